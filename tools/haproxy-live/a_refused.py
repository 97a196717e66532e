import sys; sys.argv=[sys.argv[0]]
exec(open("/work/scratch/hx/run.py").read())
b = Backend("x", 18081, lambda k, t: "ok")
cfg = GLOBAL.format(tconnect="5s", tcheck="", feport=18080) + "    server x 127.0.0.1:18081 check inter 1000 fastinter 200 fall 3 rise 2\n"
run(cfg, [b], [(3300, b.close), (7000, b.open)], 10000)
