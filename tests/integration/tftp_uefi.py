#!/usr/bin/env python3
"""EDK2-style TFTP client behaviours against a server, end to end.

Usage: tftp_uefi.py HOST PORT FILE LOCAL_COPY
Prints one TAP line per check. Talks only to HOST:PORT; every wait bounded.
"""
import hashlib
import socket
import struct
import sys
import time

RRQ, DATA, ACK, ERROR, OACK = 1, 3, 4, 5, 6
host, port, name, local = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
expect = open(local, 'rb').read()
failures = 0


def check(cond, desc):
    global failures
    print(('ok - ' if cond else 'not ok - ') + desc, flush=True)
    failures += 0 if cond else 1


def rrq(opts):
    p = struct.pack('!H', RRQ) + name.encode() + b'\0octet\0'
    for k, v in opts:
        p += k.encode() + b'\0' + str(v).encode() + b'\0'
    return p


def oack(pkt):
    f = pkt[2:].split(b'\0')
    return {f[i].decode().lower(): f[i + 1].decode() for i in range(0, len(f) - 1, 2)}


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    return s


def fetch(opts, window, drop=None, dup_acks=1):
    """Windowed read. drop: set of block numbers to pretend lost (once).
    dup_acks: send each ACK this many times. Returns (data, data_packets)."""
    s = sock()
    s.sendto(rrq(opts), (host, port))
    pkt, tid = s.recvfrom(70000)
    assert struct.unpack('!H', pkt[:2])[0] == OACK, pkt
    blksize = int(oack(pkt).get('blksize', 512))
    s.sendto(struct.pack('!HH', ACK, 0), tid)
    data, expected, packets, in_window = b'', 1, 0, 0
    dropped = set()
    deadline = time.time() + 60
    while time.time() < deadline:
        pkt, addr = s.recvfrom(70000)
        if addr != tid or struct.unpack('!H', pkt[:2])[0] != DATA:
            continue
        packets += 1
        blk = struct.unpack('!H', pkt[2:4])[0]
        abs_blk = expected if blk == (expected & 0xffff) else None
        if drop and abs_blk in drop and abs_blk not in dropped:
            dropped.add(abs_blk)
            # EDK2 acks the last block it has when it sees the gap
            for _ in range(dup_acks):
                s.sendto(struct.pack('!HH', ACK, (expected - 1) & 0xffff), tid)
            in_window = 0
            continue
        if abs_blk is None:
            continue
        data += pkt[4:]
        expected += 1
        in_window += 1
        last = len(pkt) - 4 < blksize
        if in_window == window or last:
            for _ in range(dup_acks):
                s.sendto(struct.pack('!HH', ACK, blk), tid)
            in_window = 0
        if last:
            return data, packets, expected - 1
    raise TimeoutError('transfer did not finish')


# 1. The tsize probe: OACK carries the size, the client aborts with error 8.
s = sock()
s.sendto(rrq([('blksize', 1468), ('tsize', 0)]), (host, port))
pkt, tid = s.recvfrom(70000)
o = oack(pkt) if struct.unpack('!H', pkt[:2])[0] == OACK else {}
check(o.get('tsize') == str(len(expect)), 'tsize probe answered with OACK tsize=%d (got %r)' % (len(expect), o))
s.sendto(struct.pack('!HH', ERROR, 8) + b'User aborted the transfer\0', tid)
s.settimeout(0.5)
try:
    extra = s.recvfrom(70000)
except socket.timeout:
    extra = None
check(extra is None, 'nothing more is sent after the client aborts with error 8')

# 2. The real request: blksize 1468, windowsize 4.
t0 = time.time()
data, packets, blocks = fetch([('blksize', 1468), ('windowsize', 4)], 4)
check(hashlib.sha256(data).digest() == hashlib.sha256(expect).digest(), 'windowsize 4 transfer intact (%d blocks)' % blocks)
check(packets == blocks, 'no DATA sent twice without loss: %d packets for %d blocks' % (packets, blocks))

# 3. A lost block in a window: the client acks the gap, the server resends from it.
data, packets, blocks = fetch([('blksize', 1468), ('windowsize', 4)], 4, drop={6, 203})
check(data == expect, 'windowed transfer with two lost blocks recovers intact')

# 4. Sorcerer's Apprentice: every ACK sent three times must not triple the stream.
data, packets, blocks = fetch([('blksize', 1468), ('windowsize', 4)], 4, dup_acks=3)
check(data == expect, 'transfer with every ACK triplicated is intact')
check(packets <= blocks + 4, "duplicate ACKs don't multiply DATA: %d packets for %d blocks" % (packets, blocks))
data, packets, blocks = fetch([('blksize', 512)], 1, dup_acks=2)
check(data == expect and packets <= blocks + 1, 'lockstep with duplicated ACKs: %d packets for %d blocks' % (packets, blocks))
sys.exit(1 if failures else 0)
