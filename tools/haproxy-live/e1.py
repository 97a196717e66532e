exec(open("/work/scratch/hx/run.py").read())
b = Backend("y", 18085, lambda k, t: "ok" if t < 1500 else "hang")
cfg = GLOBAL.format(tconnect="5s", tcheck="    timeout check 300", feport=18091) + "    server y 127.0.0.1:18085 check inter 1000 fastinter 200 fall 3 rise 2\n"
run(cfg, [b], [], 7000)
