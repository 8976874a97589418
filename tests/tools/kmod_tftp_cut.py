#!/usr/bin/env python3
"""A TFTP download that asks the server's host to change the file midway,
for tests/e2e/kmod_tftp.sh: tests/integration/tftpc.py's client (imported,
unchanged), with every DATA packet it receives also recorded, so that what
arrived is known even when the transfer ends in an ERROR or a timeout.

  kmod_tftp_cut.py HOST FILE SIGNAL AFTER OUT [NAME=VALUE]...

After AFTER DATA packets it sends an RRQ for SIGNAL to HOST:69 from another
socket (the guest watches rackbootd's log for it, and answers nothing
useful) and goes on. Writes the bytes received in order, blocks 1, 2, ...
as far as they were contiguous, to OUT; prints tftpc's result line
("OK ...", "ERROR ...", "TIMEOUT ...") and the count of bytes written.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import tftpc  # noqa: E402

host, name, signal, after, out = sys.argv[1:6]
opts = tftpc.parse_opts(sys.argv[6:])
after = int(after)
blocks = {}            # absolute block -> payload
state = {'n': 0, 'last': 0, 'signalled': False}
plain_recv = tftpc.recv


def recording_recv(s, wait):
    pkt, addr = plain_recv(s, wait)
    if pkt and len(pkt) >= 4 and struct.unpack('!H', pkt[:2])[0] == tftpc.DATA:
        wire = struct.unpack('!H', pkt[2:4])[0]
        # the absolute block nearest the last one seen with this wire number
        base = state['last'] - (state['last'] & 0xffff)
        cand = [base + wire - 65536, base + wire, base + wire + 65536]
        blk = min((c for c in cand if c > 0), key=lambda c: abs(c - state['last']))
        blocks.setdefault(blk, pkt[4:])
        state['last'] = max(state['last'], blk)
        state['n'] += 1
        if state['n'] == after and not state['signalled']:
            state['signalled'] = True
            sig = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sig.sendto(tftpc.request(tftpc.RRQ, signal), (host, 69))
            sig.close()
    return pkt, addr


tftpc.recv = recording_recv
result, _ = tftpc.do_get(host, 69, os.fsencode(name), 'octet', opts, None, 1.0, 5, 120.0)
data = bytearray()
b = 1
while b in blocks:
    data += blocks[b]
    b += 1
with open(out, 'wb') as f:
    f.write(data)
print('%s (%d bytes in order%s)' % (result, len(data),
                                    '' if state['signalled'] else ', never signalled'))
