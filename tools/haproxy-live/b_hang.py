exec(open("/work/scratch/hx/run.py").read())
hang_after = lambda k, t: "ok" if t < 2500 else "hang"
bx = Backend("x", 18081, hang_after); by = Backend("y", 18082, hang_after); bz = Backend("z", 18083, hang_after)
srv = " check inter 1000 fastinter 200 fall 3 rise 2\n"
cfg = GLOBAL.format(tconnect="5s", tcheck="", feport=18080) + "    server x 127.0.0.1:18081" + srv
cfg += "backend by\n    option httpchk GET /\n    option log-health-checks\n    timeout check 300\n    server y 127.0.0.1:18082" + srv
cfg += "backend bz\n    option httpchk GET /\n    option log-health-checks\n    timeout check 1500\n    server z 127.0.0.1:18083" + srv
run(cfg, [bx, by, bz], [], 9500)
