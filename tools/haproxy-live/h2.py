exec(open("/work/scratch/hx/run.py").read())
b = Backend("h2", 18102, lambda k, t: "ok" if t < 4500 else "hang")
cfg = GLOBAL.format(tconnect="5s", tcheck="    timeout check 300", feport=18103) + "    server h2 127.0.0.1:18102 check inter 2000 fastinter 500 fall 4 rise 2\n"
run(cfg, [b], [], 14000)
