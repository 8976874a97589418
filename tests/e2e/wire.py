#!/usr/bin/env python3
"""What a VM's firmware says on the wire, for the end-to-end boot tests.

  wire.py sniff IF LOG SECONDS
      Record, on interface IF (the host side of a VM's tap), the boot
      protocol events: DHCP (type, xid, options, file), TFTP (requests with
      their options, OACK, ERROR, and a summary of each transfer), the HTTP
      request lines, IPv6 router solicitations. One line each in LOG:
        SECONDS vm>|<vm EVENT...     (vm> = sent by the VM)

  wire.py mask IF_VM TAP LOG SECONDS BRIDGE [NETNS]
      Like sniff, but the VM's tap IF_VM is not on the bridge: this creates
      tap TAP on BRIDGE (moved into network namespace NETNS first, if given:
      the bridge's) and forwards every frame between the two, unchanged,
      except that until the VM's first TFTP request, its DHCP requests lose
      the options that say "iPXE" (77 user class and 175 iPXE encapsulated
      options are overwritten with pad bytes; the UDP checksum is cleared).
      The server thus sees what a vendor PXE ROM sends (vendor class
      PXEClient:Arch:00000, option 93 = 0), as QEMU has no PXE ROM that is
      not iPXE. From the first TFTP request on (the network boot program,
      undionly.kpxe, is being fetched) nothing is changed.

Standard library only. Runs at most SECONDS.
"""
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
DHCP_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
              7: "RELEASE", 8: "INFORM"}
TFTP_OPS = {1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}


def ip4(b):
    return socket.inet_ntoa(bytes(b))


class Wire:
    def __init__(self, log):
        self.f = open(log, "a", buffering=1)
        self.t0 = time.time()
        self.tftp = {}   # client (ip, port) -> transfer summary

    def log(self, d, text):
        self.f.write("%7.2f %s %s\n" % (time.time() - self.t0, d, text))

    # -- parsing ---------------------------------------------------------------
    def frame(self, fr, from_vm):
        d = "vm>" if from_vm else "<vm"
        if len(fr) < 14:
            return
        et = struct.unpack("!H", fr[12:14])[0]
        if et == 0x86dd and len(fr) >= 55 and fr[20] == 58:
            t = fr[54]
            if t in (133, 134):
                self.log(d, "icmp6 router %s" % ("solicitation" if t == 133 else "advertisement"))
            return
        if et != 0x0800 or len(fr) < 34:
            return
        ip = fr[14:]
        ihl = (ip[0] & 15) * 4
        src, dst = ip4(ip[12:16]), ip4(ip[16:20])
        l4 = ip[ihl:]
        if ip[9] == 17 and len(l4) >= 8:
            sp, dp = struct.unpack("!HH", l4[:4])
            pay = l4[8:]
            if {sp, dp} & {67, 68, 4011}:
                self.dhcp(d, pay, "%s:%d > %s:%d" % (src, sp, dst, dp))
            else:
                self.tftp_pkt(d, pay, (src, sp), (dst, dp))
        elif ip[9] == 6 and len(l4) >= 20:
            sp, dp = struct.unpack("!HH", l4[:4])
            flags = l4[13]
            pay = l4[(l4[12] >> 4) * 4:]
            if flags & 0x02 and not flags & 0x10:
                self.log(d, "tcp SYN %s:%d > %s:%d" % (src, sp, dst, dp))
            elif pay[:4] in (b"GET ", b"HEAD"):
                self.log(d, "http %s" % pay.split(b"\r\n")[0].decode(errors="replace"))
            elif pay[:5] == b"HTTP/":
                self.log(d, "http %s" % pay.split(b"\r\n")[0].decode(errors="replace"))

    @staticmethod
    def dhcp_opts(b):
        opts, i = [], 240
        while i < len(b) and b[i] != 255:
            if b[i] == 0:
                i += 1
                continue
            if i + 1 >= len(b):
                break
            opts.append((b[i], i, bytes(b[i + 2:i + 2 + b[i + 1]])))
            i += 2 + b[i + 1]
        return opts

    def dhcp(self, d, b, addr):
        if len(b) < 240 or b[236:240] != b"\x63\x82\x53\x63":
            return
        opts = self.dhcp_opts(b)
        od = {c: v for c, _, v in opts}
        t = DHCP_TYPES.get(od.get(53, b"\0")[0], "BOOTP")
        extra = ""
        if 60 in od:
            extra += " vendor-class=%s" % od[60].decode(errors="replace")
        if 77 in od:
            extra += " user-class=%s" % od[77].hex()
        if 93 in od:
            extra += " arch=%s" % od[93].hex()
        f = b[108:236].split(b"\0")[0].decode(errors="replace")
        if f:
            extra += " file=%s" % f
        if b[0] == 2:
            extra += " yiaddr=%s siaddr=%s" % (ip4(b[16:20]), ip4(b[20:24]))
        self.log(d, "dhcp %s %s xid=%08x opts=%s%s" % (
            t, addr, struct.unpack("!I", b[4:8])[0], ",".join(str(c) for c, _, _ in opts), extra))

    def tftp_pkt(self, d, b, src, dst):
        if len(b) < 4:
            return
        op = struct.unpack("!H", b[:2])[0]
        if dst[1] == 69 and op in (1, 2):
            parts = b[2:].split(b"\0")
            name, mode, rest = parts[0].decode(errors="replace"), parts[1].decode(errors="replace"), parts[2:]
            o = " ".join("%s=%s" % (rest[i].decode(errors="replace"), rest[i + 1].decode(errors="replace"))
                         for i in range(0, len(rest) - 1, 2) if rest[i])
            self.log(d, "tftp %s %s:%d %s %s%s" % (TFTP_OPS[op], src[0], src[1], name, mode,
                                                   (" " + o) if o else ""))
            self.tftp[src] = {"name": name, "data": 0, "acks": 0, "bytes": 0, "blk": 0}
            return
        client = src if src in self.tftp else dst if dst in self.tftp else None
        if client is None:
            return
        x = self.tftp[client]
        if op == 6:
            parts = b[2:].split(b"\0")
            o = " ".join("%s=%s" % (parts[i].decode(errors="replace"), parts[i + 1].decode(errors="replace"))
                         for i in range(0, len(parts) - 1, 2) if parts[i])
            self.log(d, "tftp OACK %s" % o)
        elif op == 5:
            code = struct.unpack("!H", b[2:4])[0]
            self.log(d, "tftp ERROR %d %s (%s)" % (code, b[4:].split(b"\0")[0].decode(errors="replace"),
                                                   x["name"]))
        elif op == 3:
            n = len(b) - 4
            x["data"] += 1
            x["bytes"] += n
            x["blk"] = max(x["blk"], n)
            if n < x["blk"] or (x["data"] == 1 and n < 512):
                self.log(d, "tftp transfer of %s ended: %d DATA (%d bytes, block size %d)" % (
                    x["name"], x["data"], x["bytes"], x["blk"]))
        elif op == 4:
            x["acks"] += 1

    # -- masking ---------------------------------------------------------------
    def mask(self, fr):
        """Frame from the VM, before its first TFTP request: strip iPXE's DHCP
        identity. Returns the (possibly rewritten) frame."""
        if len(fr) < 34 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
            return fr
        ihl = (fr[14] & 15) * 4
        u = 14 + ihl
        if len(fr) < u + 8:
            return fr
        dp = struct.unpack("!H", fr[u + 2:u + 4])[0]
        if dp == 69:
            if not self.nbp:
                self.nbp = True
                self.log("--", "mask: first TFTP request from the VM; DHCP passes unchanged from now on")
            return fr
        if self.nbp or dp not in (67, 4011):
            return fr
        b = bytearray(fr)
        p = u + 8
        if b[p + 236:p + 240] != b"\x63\x82\x53\x63":
            return fr
        gone = []
        for c, i, _ in self.dhcp_opts(b[p:]):
            if c in (77, 175):
                ln = b[p + i + 1]
                b[p + i:p + i + 2 + ln] = bytes(2 + ln)
                gone.append(str(c))
        if gone:
            b[u + 6:u + 8] = b"\0\0"   # no UDP checksum (valid for IPv4)
            self.log("--", "mask: options %s overwritten with pad in the VM's DHCP message" % ",".join(gone))
        return bytes(b)


def af_packet(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    # PACKET_ADD_MEMBERSHIP (1), PACKET_MR_PROMISC (1)
    idx = socket.if_nametoindex(ifname)
    s.setsockopt(263, 1, struct.pack("iHH8s", idx, 1, 0, b""))
    return s


def tap_open(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    IFF_TAP, IFF_NO_PI, TUNSETIFF = 0x0002, 0x1000, 0x400454ca
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    mode = sys.argv[1]
    if mode == "sniff":
        ifname, log, seconds = sys.argv[2], sys.argv[3], float(sys.argv[4])
        w = Wire(log)
        s = af_packet(ifname)
        s.settimeout(0.2)
        w.log("--", "listening on %s" % ifname)
        end = time.time() + seconds
        while time.time() < end:
            try:
                fr, a = s.recvfrom(65535)
            except socket.timeout:
                continue
            # on a tap's host side, what the VM sends is "received"
            w.frame(fr, a[2] != socket.PACKET_OUTGOING)
    elif mode == "mask":
        vm_if, tap, log, seconds, bridge = sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6]
        netns = sys.argv[7] if len(sys.argv) > 7 else None
        w = Wire(log)
        w.nbp = False
        fd = tap_open(tap)
        ip = ["ip"]
        if netns:   # the open tap keeps working from its new namespace
            subprocess.run(["ip", "link", "set", tap, "netns", netns], check=True)
            ip = ["ip", "-n", netns]
        subprocess.run(ip + ["link", "set", tap, "master", bridge, "up"], check=True)
        s = af_packet(vm_if)
        w.log("--", "forwarding %s <-> %s (on %s), masking iPXE's DHCP identity" % (vm_if, tap, bridge))
        end = time.time() + seconds
        while time.time() < end:
            r, _, _ = select.select([s, fd], [], [], 0.2)
            if s in r:
                fr, a = s.recvfrom(65535)
                if a[2] != socket.PACKET_OUTGOING:     # what the VM sent
                    fr = w.mask(fr)
                    w.frame(fr, True)
                    os.write(fd, fr)
            if fd in r:
                fr = os.read(fd, 65535)                # what the bridge sends the VM
                w.frame(fr, False)
                s.send(fr)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
