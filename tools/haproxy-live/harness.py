#!/usr/bin/env python3
"""Runs one experiment against the real haproxy (2.6) on loopback and prints what it saw.

Called by the differential test `tests/it/live_haproxy.rs` (which runs the same experiment
through simpark's policy machines and compares), or by hand:

    python3 tools/haproxy-live/harness.py < experiment.json

Input (JSON on stdin):
    {"balance": "roundrobin", "backend": ["option redispatch", ...],
     "defaults": ["timeout connect 200", ...],
     "servers": [{"line": "weight 2 backup", "state": "ok|refused|blackhole|hang"},
                 {"line": "check", "process": true}],   # a server in its own process
     "steps": [{"req": 5}, {"req": 3, "src": [2, 3, 4]}, {"req": 2, "paths": ["/a?x", "/b"]}, {"cli": "set server be/s0 health down"},
               {"sleep_ms": 300}, {"set": [0, "refused|ok|blackhole|hang|resume"]},
               {"req_async": 1}, {"wait_async": true}, {"wait_log": "substring", "timeout_ms": 5000},
               {"mark": true}, {"at_ms": 1300},   # at_ms: sleep until the mark + at_ms
               {"load": {"rate_per_s": 30, "ms": 4000}},   # requests at a constant rate, in
                                                           # the background; wait_async joins
               {"signal": [0, "KILL|STOP|CONT"]},  # to a "process" server's PID
               {"haproxy_signal": "USR1|TERM"}],  # to haproxy: soft stop | hard stop
     "duration_ms": 0}
Servers are named s0, s1, ... in declaration order and answer `200` with their name as body.
Output (JSON on stdout):
    {"picks": [{"server": "s1"|null, "status": 200, "ms": 1.2, "at_ms": ...}, ...],
     "log": [[at_ms, "haproxy log line"], ...]}
All times are ms since the harness started (one monotonic clock). Everything binds 127.0.0.1
only; every request and the whole run are bounded in time; haproxy and the server processes
are stopped by their PIDs (a server process also exits on its own after RUN_MAX_S).

A "process" server is this script run as `harness.py --serve <name> <port>`: the kernel then
does what it does to a real server process. SIGKILL closes its sockets (connections in flight
and later SYNs get RST: refused at once); SIGSTOP leaves its listening socket open, so the
kernel completes new connections into the accept queue and everything waits for SIGCONT.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

T0 = time.monotonic()
RUN_MAX_S = 60.0  # hard bound on one experiment
REQ_TIMEOUT_S = 15.0


def now_ms():
    return (time.monotonic() - T0) * 1000.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Backend:
    """A tiny HTTP/1.0 server whose behaviour can be switched while it runs."""

    def __init__(self, name, port, state):
        self.name, self.port = name, port
        self.ls = None
        self.fillers = []
        self.hung = []
        self.lock = threading.Lock()
        self.resume = threading.Event()
        self.set(state)

    def set(self, state):
        if state == "resume":
            self.resume.set()
            return
        self.close()
        if state in ("ok", "hang"):
            self.state = state
            if state == "hang":
                self.resume.clear()
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", self.port))
            s.listen(64)
            self.ls = s
            threading.Thread(target=self.loop, args=(s,), daemon=True).start()
        elif state == "blackhole":
            # listen(0) and never accept; fill the accept queue so later SYNs are dropped.
            self.state = state
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", self.port))
            s.listen(0)
            self.fillers.append(s)
            for _ in range(3):
                c = socket.socket()
                c.setblocking(False)
                try:
                    c.connect(("127.0.0.1", self.port))
                except BlockingIOError:
                    pass
                self.fillers.append(c)
        elif state == "refused":
            self.state = state  # nothing listens: SYN -> RST
        else:
            raise SystemExit(f"unknown server state {state!r}")

    def close(self):
        s, self.ls = self.ls, None
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for f in self.fillers:
            f.close()
        self.fillers = []

    def loop(self, s):
        while True:
            if self.state == "hang":
                # stalled like a SIGSTOPped process: new connections wait in the kernel's
                # accept queue (haproxy sees them connected) until the resume
                self.resume.wait(REQ_TIMEOUT_S)
            try:
                c, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c, self.state), daemon=True).start()

    def serve(self, c, state):
        try:
            c.settimeout(REQ_TIMEOUT_S)
            data = b""
            while b"\r\n\r\n" not in data:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            if state == "hang":
                self.resume.wait(REQ_TIMEOUT_S)
            body = self.name.encode()
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            c.close()
        except OSError:
            pass


class ProcessServer:
    """A backend in its own process (`--serve`), so that signals act on a real process."""

    def __init__(self, name, port):
        self.name, self.port = name, port
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", name, str(port)])
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.01)
        raise SystemExit(f"server process {name} did not listen on {port}")

    def signal(self, sig):
        os.kill(self.p.pid, {"KILL": signal.SIGKILL, "STOP": signal.SIGSTOP, "CONT": signal.SIGCONT}[sig])

    def close(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGCONT)
            self.p.kill()
        self.p.wait(5)


def serve(name, port):
    """`--serve`: one backend answering its name until killed, at most RUN_MAX_S."""
    Backend(name, port, "ok")
    time.sleep(RUN_MAX_S)


def request(port, src_octet=None, path="/"):
    """One GET of `path` through the frontend: (server name or None, status, elapsed ms)."""
    t = now_ms()
    c = socket.socket()
    c.settimeout(REQ_TIMEOUT_S)
    if src_octet is not None:
        c.bind((f"127.0.0.{src_octet}", 0))
    try:
        c.connect(("127.0.0.1", port))
        c.sendall(b"GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % path.encode())
        data = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            data += d
    except OSError as e:
        return {"server": None, "status": 0, "ms": now_ms() - t, "at_ms": t, "error": str(e)}
    finally:
        c.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    server = body.decode() if status == 200 else None
    return {"server": server, "status": status, "ms": now_ms() - t, "at_ms": t}


def cli(sock_path, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
    s.close()
    return out.decode().strip()


def main():
    exp = json.load(sys.stdin)
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    tmp = tempfile.mkdtemp(prefix="simpark-haproxy-")
    sock_path = os.path.join(tmp, "admin.sock")
    fe_port = free_port()
    backends = [Backend(f"s{i}", free_port(), "refused") for i in range(len(exp["servers"]))]
    procs = {}
    cfg = [
        "global",
        "    log stdout format raw local0",
        "    nbthread 1",
        f"    stats socket {sock_path} level admin",
        "defaults",
        "    mode http",
        "    log global",
        "    timeout client 10s",
        "    timeout server 10s",
        "    timeout connect 5s",
    ]
    cfg += ["    " + line for line in exp.get("defaults", [])]
    cfg += ["frontend fe", f"    bind 127.0.0.1:{fe_port}", "    no log", "    default_backend be", "backend be"]
    cfg += ["    balance " + exp["balance"], "    option log-health-checks"]
    cfg += ["    " + line for line in exp.get("backend", [])]
    for b, s in zip(backends, exp["servers"]):
        cfg.append(f"    server {b.name} 127.0.0.1:{b.port} {s.get('line', '')}".rstrip())
    path = os.path.join(tmp, "haproxy.cfg")
    with open(path, "w") as f:
        f.write("\n".join(cfg) + "\n")
    for i, (b, s) in enumerate(zip(backends, exp["servers"])):
        if s.get("process"):
            procs[i] = ProcessServer(b.name, b.port)
        else:
            b.set(s.get("state", "ok"))
    log = []
    picks = []
    asyncs = []
    loads = []
    mark = 0.0

    def load(rate_per_s, duration_ms):
        start = time.monotonic()
        for k in range(int(rate_per_s * duration_ms / 1000.0)):
            rest = start + k / rate_per_s - time.monotonic()
            if rest > 0:
                time.sleep(rest)
            r = {}
            th = threading.Thread(target=lambda r=r: r.update(request(fe_port)), daemon=True)
            th.start()
            asyncs.append((th, r))
    p = subprocess.Popen([haproxy, "-db", "-f", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log.append([now_ms(), f"haproxy started pid={p.pid}"])

    def reader():
        for line in p.stdout:
            log.append([now_ms(), line.decode(errors="replace").rstrip()])

    threading.Thread(target=reader, daemon=True).start()
    try:
        # ready when the admin socket answers
        for _ in range(200):
            try:
                cli(sock_path, "show info")
                break
            except OSError:
                time.sleep(0.01)
        else:
            raise SystemExit("haproxy did not start:\n" + "\n".join(m for _, m in log))
        for step in exp["steps"]:
            if now_ms() > RUN_MAX_S * 1000:
                raise SystemExit("experiment exceeded its time bound")
            if "req" in step:
                srcs = step.get("src") or [None] * step["req"]
                paths = step.get("paths") or ["/"]
                for i in range(step["req"]):
                    picks.append(request(fe_port, srcs[i % len(srcs)], paths[i % len(paths)]))
            elif "req_async" in step:
                for _ in range(step["req_async"]):
                    r = {}
                    th = threading.Thread(target=lambda r=r: r.update(request(fe_port)), daemon=True)
                    th.start()
                    asyncs.append((th, r))
            elif "load" in step:
                th = threading.Thread(target=load, args=(step["load"]["rate_per_s"], step["load"]["ms"]), daemon=True)
                th.start()
                loads.append(th)
            elif "signal" in step:
                i, sig = step["signal"]
                procs[i].signal(sig)
                log.append([now_ms(), f"SIGNAL s{i} {sig}"])
            elif "haproxy_signal" in step:
                sig = step["haproxy_signal"]
                p.send_signal({"USR1": signal.SIGUSR1, "TERM": signal.SIGTERM}[sig])
                log.append([now_ms(), f"SIGNAL haproxy {sig}"])
            elif "wait_async" in step:
                for th in loads:
                    th.join(RUN_MAX_S)
                loads = []
                for th, r in asyncs:
                    th.join(REQ_TIMEOUT_S)
                    picks.append(r)
                asyncs = []
            elif "cli" in step:
                log.append([now_ms(), "CLI " + step["cli"] + " -> " + cli(sock_path, step["cli"])])
            elif "wait_log" in step:
                deadline = time.monotonic() + step.get("timeout_ms", 5000) / 1000.0
                while not any(step["wait_log"] in m for _, m in list(log)):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"no log line with {step['wait_log']!r}")
                    time.sleep(0.001)
            elif "mark" in step:
                mark = now_ms()
                log.append([mark, "MARK"])
            elif "at_ms" in step:
                rest = mark + step["at_ms"] - now_ms()
                if rest > 0:
                    time.sleep(rest / 1000.0)
            elif "sleep_ms" in step:
                time.sleep(step["sleep_ms"] / 1000.0)
            elif "set" in step:
                i, state = step["set"]
                if i in procs:
                    raise SystemExit(f"s{i} is a process: use signal steps, not set {state!r}")
                backends[i].set(state)
                log.append([now_ms(), f"SET s{i} {state}"])
            else:
                raise SystemExit(f"unknown step {step!r}")
        rest = exp.get("duration_ms", 0) - now_ms()
        if rest > 0:
            time.sleep(rest / 1000.0)
    finally:
        p.terminate()
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        for b in backends:
            b.resume.set()
            b.close()
        for pr in procs.values():
            pr.close()
        shutil.rmtree(tmp, ignore_errors=True)
    time.sleep(0.05)
    json.dump({"picks": picks, "log": log}, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
