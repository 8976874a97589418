#!/usr/bin/env python3
"""Raw HTTP/1.1 client for the integration tests (standard library only).

Only ever talks to the address given on the command line (the tests pass the
server address inside their private network namespace). Every wait and every
loop is bounded in time.

  httpc.py send HOST PORT DATA [--wait S]
        Send DATA (a Python bytes expression, e.g. "b'GET / HTTP/1.1\\r\\n\\r\\n'"
        or "b'X: ' + b'a' * 9000")
        in one write, then read until the server closes or S seconds (default
        3) pass. Prints what came back (decoded as latin-1), then a last line
        "#httpc: closed after X.XXs" or "#httpc: still open after S s"
        ("#httpc: reset after X.XXs" if the connection was reset; a failed
        write adds "(send failed after X.XXs: REASON)").
  httpc.py pipeline HOST PORT PATH... [--wait S]
        One write holding a keep-alive GET for every PATH, then the responses
        are read back in order (Content-Length framing): one line per
        response, "STATUS LENGTH SHA256-OF-BODY", then "#httpc: writes=1".
  httpc.py slow HOST PORT N [--interval S] [--max S] [--ready FILE]
        N connections that each send a request head one byte every interval
        (default 1 s), never finishing it. Watches for the server closing them
        for at most --max seconds (default 8). Prints
        "opened=N closed=K first=X last=Y" (seconds from each connection's
        connect to its close; -1 if none closed).
        FILE is created once all N are connected.
  httpc.py idle HOST PORT N PATH [--max S]
        N keep-alive connections, each makes one GET of PATH, reads the whole
        response, then sends nothing more. Prints
        "opened=N answered=A closed=K first=X last=Y" (seconds from the end
        of each response to the server's close).
  httpc.py get HOST PORT PATH --out FILE [--rate BYTES_PER_S] [--rcvbuf N] [--max S]
        A slow reader: one GET (Connection: close) from a socket whose
        receive buffer is set to N bytes (default 65536) before connecting,
        then the body read at most BYTES_PER_S (default: unlimited) into
        FILE. Prints the response head, then "#httpc: body B bytes in X.XXs"
        (or "#httpc: ERROR ..."). Gives up after --max seconds (default 60).
        (curl 7.88's --limit-rate does not hold a 5 MB download back: it
        averages over seconds, and the kernel buffers take megabytes.)
  httpc.py hold HOST PORT N [--max S] [--ready FILE] [--stop FILE]
        N connections that send nothing. FILE is created once all N are
        connected; runs until --stop FILE exists or --max seconds (default
        20). Prints "opened=N closed_by_server=K".
"""
import argparse
import hashlib
import os
import select
import socket
import sys
import time


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def touch(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(path + ".tmp", path)


def peer_closed(s):
    """Non-blocking: True if the server closed (EOF or reset) the connection;
    data that arrives is read and dropped."""
    try:
        d = s.recv(65536, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return d == b""


def cmd_send(a):
    data = eval(a.data, {"__builtins__": {}}, {})   # a literal or b'x' * 9000
    if isinstance(data, str):
        data = data.encode("latin-1")
    s = connect(a.host, a.port)
    t0 = time.monotonic()
    got, how, note = [], None, ""
    try:
        s.sendall(data)
    except OSError as e:        # the server may close before taking it all
        note = " (send failed after %.2fs: %s)" % (time.monotonic() - t0, e.strerror)
    end = t0 + a.wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            how = "still open after %g s" % a.wait
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        try:
            d = s.recv(65536)
        except OSError:
            how = "reset after %.2fs" % (time.monotonic() - t0)
            break
        if not d:
            how = "closed after %.2fs" % (time.monotonic() - t0)
            break
        got.append(d)
    sys.stdout.write(b"".join(got).decode("latin-1"))
    sys.stdout.write("\n#httpc: %s%s\n" % (how, note))


class Reader:
    def __init__(self, s, deadline):
        self.s, self.buf, self.deadline = s, b"", deadline

    def fill(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.s.settimeout(left)
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("server closed")
        self.buf += d

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        h, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return h.decode("latin-1")

    def body(self, n):
        while len(self.buf) < n:
            self.fill()
        b, self.buf = self.buf[:n], self.buf[n:]
        return b


def content_length(head):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            return int(v.strip())
    return 0


def cmd_pipeline(a):
    req = b"".join(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (p.encode(), a.host.encode())
                   for p in a.paths)
    s = connect(a.host, a.port)
    s.sendall(req)          # one write: every request is in flight at once
    rd = Reader(s, time.monotonic() + a.wait)
    try:
        for _ in a.paths:
            h = rd.head()
            status = h.split(" ", 2)[1]
            n = content_length(h)
            body = rd.body(n)
            print("%s %d %s" % (status, n, hashlib.sha256(body).hexdigest()))
    except (EOFError, TimeoutError, OSError) as e:
        print("ERROR %s" % e)
    print("#httpc: writes=1")


def watch_close(socks, since, deadline, closed_at, tick=None, interval=None):
    """select() over the open ones until all are closed or the deadline;
    records time of close per index. tick(i) is called every `interval`
    seconds for each open connection."""
    nxt = time.monotonic() + (interval or 3600)
    while len(closed_at) < len(socks):
        now = time.monotonic()
        if now >= deadline:
            break
        open_ = [s for i, s in enumerate(socks) if i not in closed_at]
        wait = min(deadline, nxt) - now
        r, _, _ = select.select(open_, [], [], max(wait, 0))
        now = time.monotonic()
        for s in r:
            i = socks.index(s)
            if peer_closed(s):
                closed_at[i] = now - since[i]
        if tick and now >= nxt:
            for i, s in enumerate(socks):
                if i not in closed_at and not tick(i, s):
                    closed_at[i] = time.monotonic() - since[i]
            nxt = now + interval


def summary(closed_at):
    if not closed_at:
        return "closed=0 first=-1 last=-1"
    v = sorted(closed_at.values())
    return "closed=%d first=%.2f last=%.2f" % (len(v), v[0], v[-1])


def cmd_slow(a):
    head = b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 4096
    socks, since, pos = [], [], []
    t_end = time.monotonic() + a.max
    for _ in range(a.n):
        s = connect(a.host, a.port)
        socks.append(s)
        since.append(time.monotonic())
        s.send(head[:1])
        pos.append(1)
    touch(a.ready)
    closed_at = {}

    def tick(i, s):
        try:
            s.send(head[pos[i]:pos[i] + 1], socket.MSG_DONTWAIT)
        except OSError:
            return False
        pos[i] = min(pos[i] + 1, len(head) - 1)
        return True

    watch_close(socks, since, t_end, closed_at, tick, a.interval)
    print("opened=%d %s" % (len(socks), summary(closed_at)))


def cmd_idle(a):
    socks, since = [], []
    answered = 0
    for _ in range(a.n):
        s = connect(a.host, a.port)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % a.path.encode())
        rd = Reader(s, time.monotonic() + 5)
        try:
            h = rd.head()
            rd.body(content_length(h))
            answered += h.startswith("HTTP/1.1 200 ")
        except (EOFError, TimeoutError, OSError):
            pass
        socks.append(s)
        since.append(time.monotonic())
    closed_at = {}
    watch_close(socks, since, time.monotonic() + a.max, closed_at)
    print("opened=%d answered=%d %s" % (len(socks), answered, summary(closed_at)))


def cmd_get(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(5)
    s.connect((a.host, a.port))
    t0 = time.monotonic()
    s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
              % (a.path.encode(), a.host.encode()))
    rd = Reader(s, t0 + a.max)
    got = 0
    try:
        h = rd.head()
        print(h)
        n = content_length(h)
        step = max(int(a.rate / 10), 1) if a.rate else 1 << 20
        with open(a.out, "wb") as f:
            while got < n:
                if not rd.buf:
                    rd.fill()
                chunk = rd.buf[:min(step, n - got)]
                rd.buf = rd.buf[len(chunk):]
                f.write(chunk)
                got += len(chunk)
                if a.rate:      # keep to the rate: sleep until this much is due
                    due = t0 + got / a.rate
                    if due > time.monotonic():
                        time.sleep(min(due - time.monotonic(), max(t0 + a.max - time.monotonic(), 0)))
        print("#httpc: body %d bytes in %.2fs" % (got, time.monotonic() - t0))
    except (EOFError, TimeoutError, OSError) as e:
        print("#httpc: ERROR after %d body bytes: %s" % (got, e))


def cmd_hold(a):
    socks = []
    for _ in range(a.n):
        socks.append(connect(a.host, a.port))
    touch(a.ready)
    since = [time.monotonic()] * len(socks)
    closed_at = {}
    end = time.monotonic() + a.max
    while time.monotonic() < end and not (a.stop and os.path.exists(a.stop)):
        if len(closed_at) == len(socks):
            time.sleep(0.1)
        watch_close(socks, since, min(end, time.monotonic() + 0.1), closed_at)
    print("opened=%d closed_by_server=%d" % (len(socks), len(closed_at)))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("send", "pipeline", "slow", "idle", "get", "hold"):
        q = sub.add_parser(name)
        q.add_argument("host")
        q.add_argument("port", type=int)
        if name == "send":
            q.add_argument("data")
            q.add_argument("--wait", type=float, default=3.0)
        elif name == "pipeline":
            q.add_argument("paths", nargs="+")
            q.add_argument("--wait", type=float, default=10.0)
        elif name == "slow":
            q.add_argument("n", type=int)
            q.add_argument("--interval", type=float, default=1.0)
            q.add_argument("--max", type=float, default=8.0)
            q.add_argument("--ready")
        elif name == "idle":
            q.add_argument("n", type=int)
            q.add_argument("path")
            q.add_argument("--max", type=float, default=8.0)
        elif name == "get":
            q.add_argument("path")
            q.add_argument("--out", required=True)
            q.add_argument("--rate", type=float, default=0)
            q.add_argument("--rcvbuf", type=int, default=65536)
            q.add_argument("--max", type=float, default=60.0)
        else:
            q.add_argument("n", type=int)
            q.add_argument("--max", type=float, default=20.0)
            q.add_argument("--ready")
            q.add_argument("--stop")
    a = p.parse_args()
    globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    main()
