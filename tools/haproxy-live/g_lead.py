exec(open("/work/scratch/hx/run.py").read())
b = Backend("g", 18098, lambda k, t: "ok" if t < 10300 else "hang")
cfg = GLOBAL.format(tconnect="5s", tcheck="    timeout check 1s", feport=18099) + "    server g 127.0.0.1:18098 check inter 2000 fastinter 500 fall 3 rise 2\n"
run(cfg, [b], [], 21000)
