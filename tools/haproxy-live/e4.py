exec(open("/work/scratch/hx/run.py").read())
b = Backend("v", 18088, lambda k, t: "ok" if t < 1500 else "hang")
cfg = GLOBAL.format(tconnect="5s", tcheck="    timeout check 300", feport=18094).replace("global\n    log stdout", "global\n    nbthread 1\n    log stdout") + "    server v 127.0.0.1:18088 check inter 1000 fastinter 400 downinter 1500 fall 4 rise 2\n"
run(cfg, [b], [], 11000)
