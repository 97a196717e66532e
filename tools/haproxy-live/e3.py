exec(open("/work/scratch/hx/run.py").read())
b = Backend("y", 18087, lambda k, t: "ok" if t < 1500 else "hang")
cfg = GLOBAL.format(tconnect="5s", tcheck="    timeout check 300", feport=18093) + "    server y 127.0.0.1:18087 check inter 1000 fastinter 400 downinter 1500 fall 4 rise 2\n"
run(cfg, [b], [], 11000)
