#!/usr/bin/env python3
"""Raw TFTP tool for the integration tests (RFC 1350, 2347-2349, 7440).

Only ever talks to the address given on the command line (the tests pass the
server address inside their private network namespace). Every wait is bounded.

  tftpc.py get   HOST PORT FILE [--mode M] [--opt NAME=VALUE]... [--out F]
        Full read transfer (handles OACK, windowsize, block-number rollover).
        Prints "OK <bytes> [<OACK summary>]", "ERROR <code> <message>" or
        "TIMEOUT ..."; exit status 0 only for OK.
  tftpc.py put   HOST PORT FILE --data F [--mode M] [--opt NAME=VALUE]...
        Full write transfer. Same output convention.
  tftpc.py first HOST PORT PACKET [--wait S]
        Send one datagram (PACKET is a Python bytes literal, e.g.
        "b'\\x00\\x01f\\x00octet\\x00'", or an expression such as
        "rrq('f.bin', 'octet', ('blksize', '1468'))"; see packet_expr), print
        a summary of the first reply
        ("OACK k=v ...", "DATA <block> <len>", "ERROR <code> <msg>", "ACK <n>",
        "NONE"), then abort the transfer with an ERROR to the server's TID.
  tftpc.py table HOST [--cleanup GLOB] < rows
        Rows "REFPORT|OURPORT|LABEL|EXPR": send EXPR to both servers, print
        "SAME|LABEL|reply" or "DIFF|LABEL|reference reply|our reply".
  tftpc.py silent HOST PORT PACKET [--listen S]
        Send one request and never answer: print how many packets the server
        sent (retransmissions) and when the last one came.
  tftpc.py rrq   FILE [MODE] [NAME=VALUE]...
        Print the Python literal of an RRQ (helper for building tables).
  tftpc.py hostile HOST PORT
        Send the hostile-datagram suite; prints "PASS <desc>"/"FAIL <desc>".
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6


def b(s):
    return s if isinstance(s, bytes) else s.encode('latin-1')


def request(op, filename, mode=b'octet', opts=()):
    p = struct.pack('!H', op) + b(filename) + b'\0' + b(mode) + b'\0'
    for k, v in opts:
        p += b(k) + b'\0' + b(v) + b'\0'
    return p


def parse_opts(fields):
    out = []
    for f in fields:
        k, _, v = f.partition('=')
        out.append((k, v))
    return out


def esc(bs):
    """Printable, single-line rendering of bytes."""
    s = bs.decode('latin-1')
    return ''.join(c if 32 <= ord(c) < 127 and c != '\\' else '\\x%02x' % ord(c) for c in s)


def describe(pkt):
    if len(pkt) < 2:
        return 'SHORT %s' % pkt.hex()
    op = struct.unpack('!H', pkt[:2])[0]
    if op == DATA and len(pkt) >= 4:
        return 'DATA %d %d' % (struct.unpack('!H', pkt[2:4])[0], len(pkt) - 4)
    if op == ACK and len(pkt) >= 4:
        return 'ACK %d' % struct.unpack('!H', pkt[2:4])[0]
    if op == ERROR and len(pkt) >= 4:
        code = struct.unpack('!H', pkt[2:4])[0]
        msg = pkt[4:]
        term = 'NUL' if msg.endswith(b'\0') else 'unterminated'
        msg = msg.split(b'\0')[0]
        return 'ERROR %d %s%s' % (code, esc(msg), '' if term == 'NUL' else ' [unterminated]')
    if op == OACK:
        parts = pkt[2:].split(b'\0')
        if parts and parts[-1] == b'':
            parts = parts[:-1]
        kv = []
        for i in range(0, len(parts) - 1, 2):
            kv.append('%s=%s' % (esc(parts[i]), esc(parts[i + 1])))
        if len(parts) % 2:
            kv.append('%s=<missing>' % esc(parts[-1]))
        return ('OACK ' + ' '.join(kv)).rstrip()
    return 'OPCODE %d len %d' % (op, len(pkt))


def oack_dict(pkt):
    parts = pkt[2:].split(b'\0')
    d = {}
    for i in range(0, len(parts) - 1, 2):
        d[parts[i].decode('latin-1').lower()] = parts[i + 1].decode('latin-1')
    return d


def mksock(host):
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    return s


def recv(s, wait):
    r, _, _ = select.select([s], [], [], max(wait, 0))
    if not r:
        return None, None
    return s.recvfrom(65536)


def errpkt(code, msg):
    return struct.pack('!HH', ERROR, code) + msg + b'\0'


class Result(Exception):
    pass


def do_get(host, port, filename, mode, opts, out, timeout, tries, deadline,
           drop=(), dup_ack=False, stats=False, trace=False, dup_rrq=False):
    """drop: 1-based indexes of received DATA packets to ignore (simulated
    loss); dup_ack: send every ACK twice; stats: append [data=N acks=M]."""
    s = mksock(host)
    req = request(RRQ, filename, mode, opts)
    srv = (host, port)
    tid = None
    blksize, window = 512, 1
    oack = ''
    data = bytearray()
    expect = 1             # next block number (mod 65536)
    inwin = 0
    gap_acked = False
    last = req             # what to resend on timeout
    dest = srv
    ndata = nacks = 0
    s.sendto(req, srv)
    if dup_rrq:            # an impatient client: the same RRQ again, same port
        time.sleep(0.005)
        s.sendto(req, srv)
    misses = 0
    end = time.monotonic() + deadline

    t0 = time.monotonic()

    def tr(what):
        if trace:
            sys.stderr.write('%7.3f %s\n' % (time.monotonic() - t0, what))

    def ack(n):
        nonlocal last, nacks
        tr('  -> ACK %d' % (n & 0xffff))
        last = struct.pack('!HH', ACK, n & 0xffff)
        for _ in range(2 if dup_ack else 1):
            s.sendto(last, tid)
            nacks += 1

    while True:
        if time.monotonic() > end:
            return 'TIMEOUT overall deadline after %d bytes' % len(data), None
        pkt, addr = recv(s, timeout)
        if pkt is None:
            misses += 1
            tr('timeout')
            if misses > tries:
                return 'TIMEOUT after %d bytes' % len(data), None
            if tid is not None and (data or oack):
                ack(expect - 1)            # the last block we have, in order
            else:
                s.sendto(last, dest)
            continue
        if tid is None:
            if addr[0] != host:
                continue
            tid = addr
        elif addr != tid:
            s.sendto(errpkt(5, b'Unknown transfer ID'), addr)
            continue
        dest = tid
        if len(pkt) < 4:
            continue
        op = struct.unpack('!H', pkt[:2])[0]
        if op == ERROR:
            return describe(pkt), None
        if op == OACK and expect == 1 and not data:
            d = oack_dict(pkt)
            oack = describe(pkt)
            blksize = int(d.get('blksize', blksize))
            window = int(d.get('windowsize', 1))
            ack(0)
            misses = 0
            continue
        if op != DATA:
            continue
        ndata += 1
        tr('<- DATA %d%s' % (struct.unpack('!H', pkt[2:4])[0], ' (dropped)' if ndata in drop else ''))
        if ndata in drop:
            continue                       # simulated loss
        blk = struct.unpack('!H', pkt[2:4])[0]
        if blk != expect:
            behind = (blk - expect) & 0xffff >= 0x8000
            if window == 1:
                ack(expect - 1)            # lockstep: re-acknowledge (RFC 1350)
            elif not behind and not gap_acked:
                # a gap: acknowledge the last in-order block, once (RFC 7440
                # 4: the server resends from the block after it); blocks we
                # already have (a retransmitted window) are just ignored
                ack(expect - 1)
                gap_acked = True
                inwin = 0
            continue
        misses = 0
        gap_acked = False
        payload = pkt[4:]
        data += payload
        expect = (expect + 1) & 0xffff
        inwin += 1
        done = len(payload) < blksize
        if inwin >= window or done:
            ack(blk)
            inwin = 0
        if done:
            if out:
                with open(out, 'wb') as f:
                    f.write(data)
            r = ('OK %d %s' % (len(data), oack)).rstrip()
            if stats:
                r += ' [data=%d acks=%d]' % (ndata, nacks)
            return r, bytes(data)


def do_put(host, port, filename, mode, opts, src, timeout, tries, deadline):
    """Write transfer; honours a windowsize the server acknowledges (RFC 7440:
    send a window, the ACK names the last block received in order)."""
    s = mksock(host)
    with open(src, 'rb') as f:
        content = f.read()
    req = request(WRQ, filename, mode, opts)
    srv = (host, port)
    s.sendto(req, srv)
    dest, tid = srv, None
    blksize, window = 512, 1
    acked = -1             # absolute number of the last block acknowledged; -1: none yet
    nblocks = None         # known once blksize is settled
    misses = 0
    oack = ''
    end = time.monotonic() + deadline

    def block(i):          # absolute block i (1-based) as a DATA packet
        chunk = content[(i - 1) * blksize:i * blksize]
        return struct.pack('!HH', DATA, i & 0xffff) + chunk

    def send_window():
        for i in range(acked + 1, min(acked + window, nblocks) + 1):
            s.sendto(block(i), tid)

    while True:
        if time.monotonic() > end:
            return 'TIMEOUT overall deadline'
        pkt, addr = recv(s, timeout)
        if pkt is None:
            misses += 1
            if misses > tries:
                return 'TIMEOUT after block %d' % max(acked, 0)
            if acked < 0:
                s.sendto(req, dest)
            else:
                send_window()
            continue
        if tid is None:
            tid = addr
        elif addr != tid:
            continue
        dest = tid
        if len(pkt) < 4:
            continue
        op, n = struct.unpack('!HH', pkt[:4])
        if op == ERROR:
            return describe(pkt)
        if op == OACK and acked < 0:
            d = oack_dict(pkt)
            oack = describe(pkt)
            blksize = int(d.get('blksize', blksize))
            window = int(d.get('windowsize', 1))
            n = 0
        elif op != ACK:
            continue
        if acked < 0:
            if n != 0:
                continue
            acked = 0
            nblocks = len(content) // blksize + 1
        else:
            # map the 16-bit number onto the blocks in flight
            cand = [i for i in range(acked, min(acked + window, nblocks) + 1) if i & 0xffff == n]
            if not cand:
                continue
            if cand[0] == acked:
                continue           # duplicate ACK: the timeout path resends
            acked = cand[0]
        misses = 0
        if acked == nblocks:
            return ('OK %d %s' % (len(content), oack)).rstrip()
        send_window()


def first_reply(host, port, pkt, wait, show_from=False):
    s = mksock(host)
    s.sendto(pkt, (host, port))
    end = time.monotonic() + wait
    while True:
        rep, addr = recv(s, end - time.monotonic())
        if rep is None:
            return 'NONE'
        if len(rep) >= 2 and struct.unpack('!H', rep[:2])[0] in (DATA, OACK, ACK):
            s.sendto(errpkt(0, b'test done'), addr)
        if addr[0] != host:
            return 'WRONG-SOURCE %s: %s' % (addr[0], describe(rep))
        if show_from:
            return '%s from %s:%d' % (describe(rep), addr[0], addr[1])
        return describe(rep)


def silent(host, port, pkt, listen):
    """Send pkt, never answer; report how often the server repeated itself."""
    s = mksock(host)
    s.sendto(pkt, (host, port))
    t0 = time.monotonic()
    seen = []
    first = None
    while time.monotonic() - t0 < listen:
        rep, addr = recv(s, t0 + listen - time.monotonic())
        if rep is None:
            break
        seen.append((round(time.monotonic() - t0, 1), describe(rep)))
        first = first or addr
    kinds = sorted(set(d for _, d in seen))
    last = seen[-1][0] if seen else 0
    if first:
        s.sendto(errpkt(0, b'test done'), first)
    return '%d x %s, last at %.1fs' % (len(seen), '/'.join(kinds) or 'nothing', last)


def table(host, lines, cleanup, wait):
    """Rows 'REFPORT|OURPORT|LABEL|EXPR' from stdin: send EXPR to both ports,
    print 'SAME|LABEL|reply' or 'DIFF|LABEL|reference reply|our reply'."""
    import glob
    for line in lines:
        line = line.rstrip('\n')
        if not line.strip() or line.startswith('#'):
            continue
        rp, op, label, expr = line.split('|', 3)
        got = []
        for port in (int(rp), int(op)):
            pkt = packet_expr(expr)
            got.append(first_reply(host, port, pkt, wait))
            if pkt[:2] == b'\x00\x02':
                # tftpd-hpa write-locks the file (F_SETLK) and silently drops a
                # request it cannot lock: let the aborted session go first.
                time.sleep(0.3)
            for f in glob.glob(cleanup) if cleanup else ():
                os.remove(f)
        if got[0] == got[1]:
            print('SAME|%s|%s' % (label, got[0]), flush=True)
        else:
            print('DIFF|%s|%s|%s' % (label, got[0], got[1]), flush=True)


# ---------------------------------------------------------------- hostile
def hostile(host, port):
    res = []

    def check(desc, okay, detail=''):
        res.append(okay)
        print('%s %s%s' % ('PASS' if okay else 'FAIL', desc, (' -- ' + detail) if detail and not okay else ''), flush=True)

    def send_get(pkt, wait=1.0):
        return first_reply(host, port, pkt, wait)

    def no_transfer(desc, pkt, wait=0.7):
        r = send_get(pkt, wait)
        check('%s: no transfer started (reply: %s)' % (desc, r),
              r == 'NONE' or r.startswith('ERROR '), r)
        return r

    no_transfer('empty datagram', b'')
    no_transfer('1-byte datagram', b'\x00')
    no_transfer('2-byte RRQ opcode only', b'\x00\x01')
    no_transfer('truncated RRQ (filename, no NUL, no mode)', b'\x00\x01hello.bin')
    no_transfer('truncated RRQ (no mode)', b'\x00\x01hello.bin\x00')
    # tftpd-hpa accepts the end of the datagram as the mode's terminator.
    r = send_get(b'\x00\x01hello.bin\x00octet')
    check('RRQ mode without NUL: an error or a normal transfer (got: %s)' % r,
          r in ('NONE', 'DATA 1 512') or r.startswith('ERROR '), r)
    for op in (0, 7, 8, 255, 65535):
        no_transfer('unknown opcode %d' % op, struct.pack('!H', op) + b'hello.bin\x00octet\x00')
    no_transfer('ACK to the listen port', struct.pack('!HH', ACK, 1))
    no_transfer('ACK 0 to the listen port', struct.pack('!HH', ACK, 0))
    no_transfer('DATA to the listen port', struct.pack('!HH', DATA, 1) + b'x' * 512)
    no_transfer('ERROR to the listen port', errpkt(0, b'boo'))
    no_transfer('ERROR without NUL to the listen port', struct.pack('!HH', ERROR, 3) + b'boo')
    no_transfer('OACK to the listen port', struct.pack('!H', OACK) + b'blksize\x001024\x00')

    for mode in (b'mail', b'MAIL', b'binary', b'foo', b'', b'octet\xff'):
        r = send_get(request(RRQ, b'hello.bin', mode))
        check('RRQ mode %r: ERROR 4 (illegal operation) reply (got: %s)' % (mode.decode('latin-1'), r),
              r.startswith('ERROR 4 '), r)

    # A request option that cannot be honoured must never give an OACK with a
    # value outside RFC 2348's range.
    def sane(desc, pkt):
        r = send_get(pkt)
        bad = False
        if r.startswith('OACK'):
            for kv in r[5:].split(' '):
                k, _, v = kv.partition('=')
                if k.lower() == 'blksize' and (not v.isdigit() or not 8 <= int(v) <= 65464):
                    bad = True
        check('%s: sane reply (got: %s)' % (desc, r[:120]),
              not bad and r.split(' ')[0] in ('DATA', 'OACK', 'ERROR'), r[:200])

    sane('blksize 999999999999999999999', request(RRQ, 'hello.bin', 'octet', [('blksize', '999999999999999999999')]))
    sane('blksize 18446744073709551616', request(RRQ, 'hello.bin', 'octet', [('blksize', '18446744073709551616')]))
    sane('blksize -1', request(RRQ, 'hello.bin', 'octet', [('blksize', '-1')]))
    sane('blksize of 3000 digits', request(RRQ, 'hello.bin', 'octet', [('blksize', '9' * 3000)]))
    sane('tsize 99999999999999999999999', request(RRQ, 'hello.bin', 'octet', [('tsize', '9' * 23)]))
    sane('timeout 99999999999999999999999', request(RRQ, 'hello.bin', 'octet', [('timeout', '9' * 23)]))
    sane('windowsize 99999999999999999999999', request(RRQ, 'hello.bin', 'octet', [('windowsize', '9' * 23)]))
    sane('500-byte option name', request(RRQ, 'hello.bin', 'octet', [('x' * 500, '1')]))
    sane('500-byte option name that starts with blksize',
         request(RRQ, 'hello.bin', 'octet', [('blksize' + 'x' * 493, '1024')]))
    sane('100 unknown options', request(RRQ, 'hello.bin', 'octet', [('opt%d' % i, str(i)) for i in range(100)]))
    sane('100 x tsize 0', request(RRQ, 'hello.bin', 'octet', [('tsize', '0')] * 100))
    sane('100 x blksize', request(RRQ, 'hello.bin', 'octet', [('blksize', str(512 + i)) for i in range(100)]))
    sane('1000 x tsize 0 (OACK would exceed any block)',
         request(RRQ, 'hello.bin', 'octet', [('tsize', '0')] * 1000))
    sane('4000-byte filename', request(RRQ, 'a' * 4000, 'octet'))
    sane('filename of slashes', request(RRQ, '/' * 2000, 'octet'))
    sane('odd number of option strings', b'\x00\x01hello.bin\x00octet\x00blksize\x001024\x00tsize\x00')

    big = request(RRQ, 'hello.bin', 'octet', [('tsize', '0')])
    big = big + b'z' * (65507 - len(big))
    r = send_get(big)
    check('65507-byte RRQ datagram: sane reply (got: %s)' % r[:80],
          r.split(' ')[0] in ('NONE', 'DATA', 'OACK', 'ERROR'), r[:200])
    big = b'\x00\x01' + b'A' * 65505
    r = send_get(big)
    check('65507-byte unterminated RRQ: no transfer (got: %s)' % r[:80],
          r == 'NONE' or r.startswith('ERROR'), r[:200])

    # 1000 random datagrams from a seeded PRNG, fired from one socket; WRQs
    # included (the hostile server runs without -c, so nothing gets created).
    rnd = random.Random(20240601)
    s = mksock(host)
    s.setblocking(False)
    kinds = 0
    for i in range(1000):
        n = rnd.choice([0, 1, 2, 3, 4, 5, 8, 16, 64, 200, 516, 1500, rnd.randrange(0, 2000)])
        body = bytes(rnd.getrandbits(8) for _ in range(n))
        if i % 3 == 0 and n >= 2:           # make a third of them look like requests
            body = struct.pack('!H', rnd.choice([RRQ, WRQ])) + body[2:]
        try:
            s.sendto(body, (host, port))
        except (BlockingIOError, OSError):
            time.sleep(0.01)
        if i % 50 == 49:
            time.sleep(0.02)
            try:
                while s.recvfrom(65536):
                    kinds += 1
            except (BlockingIOError, OSError):
                pass
    time.sleep(0.5)
    check('1000 seeded random datagrams sent', True)

    # A transfer in progress must ignore strangers and nonsense: another port
    # sending ACK/DATA/ERROR to the transfer's TID, and ACKs for blocks never
    # sent, must neither end nor divert it.
    s = mksock(host)
    s.sendto(request(RRQ, 'hello.bin', 'octet'), (host, port))
    pkt, tid = recv(s, 2.0)
    if pkt is None or describe(pkt) != 'DATA 1 512':
        check('intruder scenario: got DATA 1 (got %s)' % (describe(pkt) if pkt else 'NONE'), False)
        return all(res)
    x = mksock(host)
    for bad in (struct.pack('!HH', ACK, 1), struct.pack('!HH', DATA, 1) + b'evil',
                errpkt(0, b'go away'), struct.pack('!HH', ACK, 0)):
        x.sendto(bad, tid)
    got, _ = recv(x, 0.7)
    check('intruder from another port gets no DATA (got %s)' % (describe(got) if got else 'NONE'),
          got is None or describe(got).startswith('ERROR 5'))
    s.sendto(struct.pack('!HH', ACK, 50), tid)      # ACK for a block never sent
    s.sendto(b'\x00\x04', tid)                      # truncated ACK
    s.sendto(b'\x00\x63\x00\x01', tid)              # unknown opcode 99 to the TID
    time.sleep(0.2)     # (tftpd-hpa drains its queue after a bogus ACK)
    s.sendto(struct.pack('!HH', ACK, 1), tid)
    nxt = None
    end = time.monotonic() + 4
    while time.monotonic() < end:
        pkt, addr = recv(s, end - time.monotonic())
        if pkt is None:
            break
        if addr != tid:
            continue
        if describe(pkt) == 'DATA 1 512':           # retransmission: ACK again
            s.sendto(struct.pack('!HH', ACK, 1), tid)
        elif describe(pkt) == 'DATA 2 512':
            nxt = pkt
            break
    check('transfer continues with DATA 2 after intruders and bogus ACKs', nxt is not None)
    # An ERROR from the client ends the session: nothing more from that TID.
    while recv(s, 0.3)[0] is not None:     # let in-flight duplicates land first
        pass
    s.sendto(errpkt(0, b'client gives up'), tid)
    more = []
    end = time.monotonic() + 2.5
    while time.monotonic() < end:
        pkt, addr = recv(s, end - time.monotonic())
        if pkt is None:
            break
        if addr == tid:
            more.append(describe(pkt))
    check('client ERROR ends the session: nothing more sent in 2.5 s (got %s)' % (more[:3] or 'nothing'),
          not more)
    return all(res)


def packet_expr(text):
    """A bytes literal, or an expression over rrq()/wrq()/op(), e.g.
    rrq('f.bin', 'octet', ('blksize', '1468'), ('tsize', '0'))."""
    env = {
        '__builtins__': {},
        'rrq': lambda f, m='octet', *o: request(RRQ, f, m, o),
        'wrq': lambda f, m='octet', *o: request(WRQ, f, m, o),
        'op': lambda n, rest=b'': struct.pack('!H', n) + b(rest),
    }
    pkt = eval(text, env)  # test-suite input only
    if not isinstance(pkt, bytes):
        raise SystemExit('packet must evaluate to bytes')
    return pkt


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('get', 'put'):
        p = sub.add_parser(name)
        p.add_argument('host')
        p.add_argument('port', type=int)
        p.add_argument('file')
        p.add_argument('--mode', default='octet')
        p.add_argument('--opt', action='append', default=[])
        p.add_argument('--out')
        p.add_argument('--data')
        p.add_argument('--timeout', type=float, default=1.0)
        p.add_argument('--tries', type=int, default=5)
        p.add_argument('--deadline', type=float, default=60.0)
        p.add_argument('--drop', type=int, action='append', default=[],
                       help='get: ignore the Nth DATA packet received (repeatable)')
        p.add_argument('--dup-ack', action='store_true', help='get: send every ACK twice')
        p.add_argument('--stats', action='store_true', help='get: append [data=N acks=M]')
        p.add_argument('--trace', action='store_true', help='get: log packets to stderr')
        p.add_argument('--dup-rrq', action='store_true', help='get: send the RRQ twice')
    p = sub.add_parser('first')
    p.add_argument('host')
    p.add_argument('port', type=int)
    p.add_argument('packet')
    p.add_argument('--wait', type=float, default=2.0)
    p.add_argument('--from', dest='show_from', action='store_true',
                   help='append "from ADDR:PORT" (the server TID) to the summary')
    p = sub.add_parser('table')
    p.add_argument('host')
    p.add_argument('--cleanup', help='glob of files to delete after each request')
    p.add_argument('--wait', type=float, default=1.5)
    p = sub.add_parser('silent')
    p.add_argument('host')
    p.add_argument('port', type=int)
    p.add_argument('packet')
    p.add_argument('--listen', type=float, default=10.0)
    p = sub.add_parser('rrq')
    p.add_argument('file')
    p.add_argument('mode', nargs='?', default='octet')
    p.add_argument('opts', nargs='*')
    p = sub.add_parser('hostile')
    p.add_argument('host')
    p.add_argument('port', type=int)
    a = ap.parse_args()

    fname = None
    if hasattr(a, 'file'):
        fname = os.fsencode(a.file)
    if a.cmd == 'get':
        r, _ = do_get(a.host, a.port, fname, a.mode, parse_opts(a.opt), a.out,
                      a.timeout, a.tries, a.deadline, set(a.drop), a.dup_ack, a.stats,
                      a.trace, a.dup_rrq)
        print(r)
        return 0 if r.startswith('OK') else 1
    if a.cmd == 'put':
        r = do_put(a.host, a.port, fname, a.mode, parse_opts(a.opt), a.data,
                   a.timeout, a.tries, a.deadline)
        print(r)
        return 0 if r.startswith('OK') else 1
    if a.cmd == 'first':
        pkt = packet_expr(a.packet)
        print(first_reply(a.host, a.port, pkt, a.wait, a.show_from))
        return 0
    if a.cmd == 'table':
        table(a.host, sys.stdin, a.cleanup, a.wait)
        return 0
    if a.cmd == 'silent':
        print(silent(a.host, a.port, packet_expr(a.packet), a.listen))
        return 0
    if a.cmd == 'rrq':
        print(repr(request(RRQ, fname, a.mode, parse_opts(a.opts))))
        return 0
    if a.cmd == 'hostile':
        return 0 if hostile(a.host, a.port) else 1
    return 2


if __name__ == '__main__':
    sys.exit(main())
