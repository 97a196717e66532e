exec(open("/work/scratch/hx/run.py").read())
b = Backend("h1", 18100, lambda k, t: "ok" if t < 2500 else "hang")
cfg = GLOBAL.format(tconnect="5s", tcheck="    timeout check 600", feport=18101) + "    server h1 127.0.0.1:18100 check inter 1000 fastinter 200 fall 4 rise 2\n"
run(cfg, [b], [], 8000)
