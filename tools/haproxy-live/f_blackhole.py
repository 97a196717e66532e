exec(open("/work/scratch/hx/run.py").read())
import sys
mode = sys.argv[1] if len(sys.argv) > 1 else "plain"
PORT = 18089 if mode == "plain" else 18095
b = Backend("h", PORT, lambda k, t: "ok")
fillers = []
def blackhole():
    b.close()
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT)); s.listen(0)
    fillers.append(s)
    for _ in range(3):   # fill the accept queue; never accept -> further SYNs are dropped
        c = socket.socket(); c.setblocking(False)
        try: c.connect(("127.0.0.1", PORT))
        except BlockingIOError: pass
        fillers.append(c)
    ev("h BLACKHOLE (accept queue full, SYNs dropped)")
if mode == "plain":
    cfg = GLOBAL.format(tconnect="5s", tcheck="", feport=18096) + "    server h 127.0.0.1:%d check inter 1000 fastinter 200 fall 3 rise 2\n" % PORT
else:
    cfg = GLOBAL.format(tconnect="300", tcheck="    timeout check 2000", feport=18097) + "    server h 127.0.0.1:%d check inter 1000 fastinter 200 fall 3 rise 2\n" % PORT
run(cfg, [b], [(2500, blackhole)], 8000)
