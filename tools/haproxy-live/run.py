#!/usr/bin/env python3
"""Bounded loopback experiment: one haproxy 2.6 + scripted python backends.
Every event is stamped with ms since T0 (monotonic)."""
import socket, subprocess, sys, threading, time, os, select

T0 = time.monotonic()
def now(): return (time.monotonic() - T0) * 1000.0
LOG = []
LK = threading.Lock()
def ev(msg):
    with LK:
        LOG.append((now(), msg))

class Backend:
    def __init__(self, name, port, script):
        self.name, self.port, self.script = name, port, script
        self.n = 0
        self.ls = None
        self.hung = []
        self.stop = False
    def open(self):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port)); s.listen(64); self.ls = s
        ev(f"{self.name} LISTEN-OPEN")
        threading.Thread(target=self.loop, args=(s,), daemon=True).start()
    def close(self):
        s, self.ls = self.ls, None
        try: s.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); port stops listening
        except OSError: pass
        s.close()   # subsequent SYNs get RST -> ECONNREFUSED
        ev(f"{self.name} LISTEN-CLOSED")
    def loop(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            k = self.n; self.n += 1
            act = self.script(k, now())
            ev(f"{self.name} accept#{k} -> {act}")
            threading.Thread(target=self.serve, args=(c, k, act), daemon=True).start()
    def serve(self, c, k, act):
        try:
            c.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                d = c.recv(4096)
                if not d: break
                data += d
            if act == "hang":
                self.hung.append(c); return
            code = b"200 OK" if act == "ok" else b"500 Internal Server Error"
            c.sendall(b"HTTP/1.0 " + code + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            c.close()
        except OSError as e:
            ev(f"{self.name} serve#{k} error {e}")

def run(cfg, backends, timeline, duration):
    path = "/work/scratch/hx/cur-%d.cfg" % os.getpid()
    open(path, "w").write(cfg)
    for b in backends:
        if b.script is not None: b.open()
    p = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ev(f"haproxy started pid={p.pid}")
    def reader():
        for line in p.stdout:
            ev("HAP " + line.decode(errors="replace").rstrip())
    threading.Thread(target=reader, daemon=True).start()
    for at, fn in sorted(timeline, key=lambda x: x[0]):
        dt = at - now()
        if dt > 0: time.sleep(dt / 1000.0)
        fn()
    dt = duration - now()
    if dt > 0: time.sleep(dt / 1000.0)
    p.terminate()
    try: p.wait(3)
    except subprocess.TimeoutExpired: p.kill()
    time.sleep(0.1)
    for t, m in LOG:
        print(f"{t:10.1f} {m}")

GLOBAL = """global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect {tconnect}
    timeout client 10s
    timeout server 10s
{tcheck}
frontend fe
    bind 127.0.0.1:{feport}
    default_backend be
backend be
    option httpchk GET /
    option log-health-checks
"""
