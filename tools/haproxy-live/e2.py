exec(open("/work/scratch/hx/run.py").read())
b = Backend("w", 18086, lambda k, t: "ok" if t < 1500 else "hang")
cfg = GLOBAL.format(tconnect="200", tcheck="    timeout check 300", feport=18092) + "    server w 127.0.0.1:18086 check inter 1000 fastinter 200 fall 3 rise 2\n"
run(cfg, [b], [], 7000)
