exec(open("/work/scratch/hx/run.py").read())
seq = ["500", "ok", "500", "ok", "ok", "ok", "500", "ok", "500", "500"]
b = Backend("d", 18084, lambda k, t: seq[k] if k < len(seq) else "ok")
cfg = GLOBAL.format(tconnect="5s", tcheck="", feport=18090) + "    server d 127.0.0.1:18084 check inter 1000 fastinter 300 downinter 2000 fall 2 rise 3\n"
run(cfg, [b], [], 12500)
