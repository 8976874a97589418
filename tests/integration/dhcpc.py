#!/usr/bin/python3
"""Crafted DHCP clients for the integration tests, built with scapy (Debian's
python3-scapy) and sent from an ordinary UDP socket on port 68.

  dhcpc.py pxe IF KIND [--mac M] [--port 67|4011] [--server IP] [--dora] [--all]
      One PXE-style DISCOVER (and REQUEST with --dora); prints the reply as
      key=value lines: type, yiaddr, siaddr, file, vendor_class, server_id...
      KIND: bios | efi7 | efi9 | arm64 | http | http-arm64 | ipxe | ipxe175 | plain
      --port 4011 sends a DHCPREQUEST to SERVER:4011 (PXE boot server) instead.
      --all prints every reply received within the wait (proxy beside a DHCP
      server answers twice), one block each, separated by "--".
  dhcpc.py load IF N [--mac-base M] [--acked FILE] [--seconds S]
      N clients through DISCOVER/OFFER/REQUEST/ACK as fast as the server
      answers; every ACK is appended to FILE (mac ip) as it arrives, flushed
      line by line, so a server killed mid-run leaves a true record.
  dhcpc.py raw IF HEX
      Sends the bytes HEX to 255.255.255.255:67 (malformed-packet tests).
"""
import argparse
import os
import random
import select
import socket
import sys
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.dhcp import BOOTP, DHCP  # noqa: E402

KINDS = {
    #        arch  vendor class                         user class / 175
    "bios":  (0,  b"PXEClient:Arch:00000:UNDI:002001", None),
    "efi7":  (7,  b"PXEClient:Arch:00007:UNDI:003016", None),
    "efi9":  (9,  b"PXEClient:Arch:00009:UNDI:003016", None),
    "arm64": (11, b"PXEClient:Arch:00011:UNDI:003016", None),
    "http":  (16, b"HTTPClient:Arch:00016:UNDI:003001", None),
    "http-arm64": (19, b"HTTPClient:Arch:00019:UNDI:003001", None),
    "ipxe":  (0,  b"PXEClient:Arch:00000:UNDI:002001", "userclass"),
    "ipxe175": (7, b"PXEClient:Arch:00007:UNDI:003010", "175"),
    "plain": (None, None, None),
}


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def sock(ifname, port=68):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    return s


def request(mac, xid, mtype, kind, extra=(), ciaddr="0.0.0.0"):
    arch, vc, uc = KINDS[kind]
    opts = [("message-type", mtype)]
    if vc:
        opts.append(("vendor_class_id", vc))
    if arch is not None:
        opts.append((93, arch.to_bytes(2, "big")))
        opts.append((94, b"\x01\x02\x01"))
        opts.append((97, b"\x00" + bytes(range(16))))
    if uc == "userclass":
        opts.append(("user_class", b"iPXE"))
    elif uc == "175":
        opts.append((175, b"\xb1\x01\x01"))
    opts += list(extra)
    opts.append(("param_req_list", [1, 3, 6, 15, 26, 28, 43, 51, 54, 60, 66, 67]))
    opts.append("end")
    p = BOOTP(op=1, htype=1, hlen=6, xid=xid, flags=0x8000, ciaddr=ciaddr,
              chaddr=mac + b"\x00" * 10) / DHCP(options=opts)
    return bytes(p)


def decode(data):
    p = BOOTP(data)
    out = {"yiaddr": p.yiaddr, "siaddr": p.siaddr, "ciaddr": p.ciaddr,
           "giaddr": p.giaddr, "xid": p.xid,
           "file": p.file.rstrip(b"\x00").decode(errors="replace"),
           "chaddr": ":".join("%02x" % b for b in bytes(p.chaddr)[:6])}
    names = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
             7: "RELEASE", 8: "INFORM"}
    if DHCP in p:
        for o in p[DHCP].options:
            if not isinstance(o, tuple):
                continue
            k, v = o[0], o[1:]
            v = v[0] if len(v) == 1 else v
            if k == "message-type":
                out["type"] = names.get(v, str(v))
            elif k == "vendor_class_id":
                out["vendor_class"] = v.decode(errors="replace") if isinstance(v, bytes) else v
            elif isinstance(v, bytes):
                out[str(k)] = v.hex()
            else:
                out[str(k)] = v if not isinstance(v, (list, tuple)) else ",".join(map(str, v))
    return out


def wait_replies(s, xid, seconds, want_all):
    end = time.time() + seconds
    got = []
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        data, src = s.recvfrom(4096)
        try:
            d = decode(data)
        except Exception:
            continue
        if d["xid"] != xid:
            continue
        d["from"] = "%s:%d" % src
        got.append(d)
        if not want_all:
            break
    return got


def show(d):
    for k in sorted(d):
        print("%s=%s" % (k, d[k]))


def cmd_pxe(a):
    mac = mac_bytes(a.mac)
    xid = random.getrandbits(32)
    if a.port == 4011:
        s = sock(a.ifname, 4011 if a.src_4011 else 68)
        s.sendto(request(mac, xid, "request", a.kind, ciaddr=a.ciaddr), (a.server, 4011))
        got = wait_replies(s, xid, a.wait, False)
    else:
        s = sock(a.ifname)
        s.sendto(request(mac, xid, "discover", a.kind), ("255.255.255.255", 67))
        got = wait_replies(s, xid, a.wait, a.all)
        if a.dora and got:
            offer = next((g for g in got if g["yiaddr"] != "0.0.0.0"), None)
            if offer is None:
                print("error=no offer with an address", file=sys.stderr)
                return 1
            sid = offer["server_id"]
            s.sendto(request(mac, xid, "request", a.kind,
                             extra=[("requested_addr", offer["yiaddr"]), ("server_id", sid)]),
                     ("255.255.255.255", 67))
            got = wait_replies(s, xid, a.wait, False)
    if not got:
        print("type=none")
        return 0
    for i, d in enumerate(got):
        if i:
            print("--")
        show(d)
    return 0


def malformed_cases():
    """(name, expected log reason, bytes): each must be dropped with a log line."""
    good = bytearray(request(b"\x02\xbb\x00\x00\x00\x01", 0x0bad, "discover", "bios"))
    cookie = 236

    def with_opts(opts, base=None):
        b = bytearray(base or good[:cookie + 4])
        return bytes(b + bytes(opts))
    trunc = bytes(good[:200])
    overlong = with_opts([53, 1, 1, 60, 200, 65, 66])
    no_end = with_opts([53, 1, 1, 12, 3, 97, 98, 99] + [12, 1, 65] * 20)
    bad_hlen = bytearray(good)
    bad_hlen[2] = 17
    # option 52 = 3 (file and sname hold options); file itself says 52 again
    loop = bytearray(good[:cookie + 4])
    loop[108:108 + 4] = bytes([52, 1, 3, 255])
    loop[44:44 + 4] = bytes([52, 1, 3, 255])
    loop += bytes([53, 1, 1, 52, 1, 3, 255])
    bad_cookie = bytearray(good)
    bad_cookie[cookie] = 0
    return [
        ("truncated", "truncated", trunc),
        ("overlong-option", "past end", overlong),
        ("no-end-option", "END", no_end),
        ("bogus-hlen", "hardware address length", bytes(bad_hlen)),
        ("overload-loop", "overload", bytes(loop)),
        ("no-cookie", "cookie", bytes(bad_cookie)),
        ("empty", "truncated", b""),
        ("reply-op", "BOOTREQUEST", bytes([2]) + bytes(good[1:])),
    ]


def cmd_malformed(a):
    s = sock(a.ifname)
    for name, reason, data in malformed_cases():
        s.sendto(data, ("255.255.255.255", 67))
        print("%s %s" % (name, reason.replace(" ", "_")))
        time.sleep(0.05)
    return 0


def cmd_raw(a):
    s = sock(a.ifname)
    s.sendto(bytes.fromhex(a.hex), ("255.255.255.255", 67))
    return 0


def cmd_load(a):
    """Many clients at once, one socket; each client is a state in a dict."""
    s = sock(a.ifname)
    s.setblocking(False)
    base = mac_bytes(a.mac_base)
    clients = {}
    for i in range(a.n):
        mac = base[:3] + (int.from_bytes(base[3:], "big") + i).to_bytes(3, "big")
        clients[0x10000000 + i] = {"mac": mac, "state": "discover", "sent": 0.0, "tries": 0}
    acked = open(a.acked, "a", buffering=1) if a.acked else None
    done = 0
    end = time.time() + a.seconds
    pending = list(clients)
    while done < a.n and time.time() < end:
        now = time.time()
        # (re)send: new clients a batch at a time, timed-out ones again
        budget = 200
        for xid in pending:
            c = clients[xid]
            if c["state"] == "bound" or now - c["sent"] < 1.0 or budget == 0:
                continue
            budget -= 1
            c["tries"] += 1
            c["sent"] = now
            if c["state"] == "discover":
                pkt = request(c["mac"], xid, "discover", "plain")
            else:
                pkt = request(c["mac"], xid, "request", "plain",
                              extra=[("requested_addr", c["ip"]), ("server_id", c["sid"])])
            try:
                s.sendto(pkt, ("255.255.255.255", 67))
            except BlockingIOError:
                pass
        r, _, _ = select.select([s], [], [], 0.02)
        while r:
            try:
                data, _ = s.recvfrom(4096)
            except BlockingIOError:
                break
            try:
                d = decode(data)
            except Exception:
                continue
            c = clients.get(d["xid"])
            if not c or c["state"] == "bound":
                continue
            if d.get("type") == "OFFER" and c["state"] == "discover":
                c.update(state="request", ip=d["yiaddr"], sid=d["server_id"], sent=0.0)
            elif d.get("type") == "ACK" and c["state"] == "request":
                c["state"] = "bound"
                done += 1
                if acked:
                    acked.write("%s %s\n" % (":".join("%02x" % b for b in c["mac"]),
                                             d["yiaddr"]))
            elif d.get("type") == "NAK":
                c.update(state="discover", sent=0.0)
        pending = [x for x in pending if clients[x]["state"] != "bound"]
    print("bound=%d of %d" % (done, a.n))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pxe")
    p.add_argument("ifname")
    p.add_argument("kind", choices=sorted(KINDS))
    p.add_argument("--mac", default="52:54:00:%02x:%02x:%02x" % tuple(os.urandom(3)))
    p.add_argument("--port", type=int, default=67)
    p.add_argument("--server", default="255.255.255.255")
    p.add_argument("--ciaddr", default="0.0.0.0")
    p.add_argument("--src-4011", action="store_true")
    p.add_argument("--dora", action="store_true")
    p.add_argument("--all", action="store_true")
    p.add_argument("--wait", type=float, default=2.0)
    p = sub.add_parser("raw")
    p.add_argument("ifname")
    p.add_argument("hex")
    p = sub.add_parser("malformed")
    p.add_argument("ifname")
    p = sub.add_parser("load")
    p.add_argument("ifname")
    p.add_argument("n", type=int)
    p.add_argument("--mac-base", default="02:00:00:00:00:00")
    p.add_argument("--acked")
    p.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    return {"pxe": cmd_pxe, "raw": cmd_raw, "load": cmd_load,
            "malformed": cmd_malformed}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
