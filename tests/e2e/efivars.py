#!/usr/bin/env python3
"""OVMF's variable store (the VARS flash file), for the end-to-end tests.

  efivars.py list VARS.fd
      Every live variable: name, size; boot options (Boot####) with their
      description and device path, and BootOrder.

The store is EDK2's authenticated variable format (VARIABLE_STORE_HEADER
after the firmware volume header; AUTHENTICATED_VARIABLE_HEADER per
variable, 4-byte aligned). Only variables in state VAR_ADDED (0x3f) are
live. Standard library only.
"""
import re
import struct
import sys
import uuid

AUTH_GUID = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
PLAIN_GUID = uuid.UUID("ddcf3616-3275-4164-98b6-fe85707ffe7d")
GLOBAL_GUID = uuid.UUID("8be4df61-93ca-11d2-aa0d-00e098032b8c")
VAR_ADDED = 0x3F


def variables(buf):
    """(offset of data, name, guid, data) of each live variable."""
    fv_hlen = struct.unpack_from("<H", buf, 0x30)[0]
    if buf[0x28:0x2C] != b"_FVH":
        raise SystemExit("not a firmware volume (no _FVH signature)")
    g = uuid.UUID(bytes_le=bytes(buf[fv_hlen:fv_hlen + 16]))
    if g == AUTH_GUID:
        hsize = 60
    elif g == PLAIN_GUID:
        hsize = 32
    else:
        raise SystemExit("unknown variable store format %s" % g)
    size = struct.unpack_from("<I", buf, fv_hlen + 16)[0]
    off, end = fv_hlen + 28, fv_hlen + size
    out = []
    while off + hsize <= end:
        start_id, state = struct.unpack_from("<HB", buf, off)
        if start_id != 0x55AA:
            break
        if hsize == 60:
            nsize, dsize = struct.unpack_from("<II", buf, off + 36)
            guid = uuid.UUID(bytes_le=bytes(buf[off + 44:off + 60]))
        else:
            nsize, dsize = struct.unpack_from("<II", buf, off + 8)
            guid = uuid.UUID(bytes_le=bytes(buf[off + 16:off + 32]))
        name = bytes(buf[off + hsize:off + hsize + nsize]).decode("utf-16-le").rstrip("\0")
        doff = off + hsize + nsize
        if state == VAR_ADDED:
            out.append((doff, name, guid, bytes(buf[doff:doff + dsize])))
        off = (doff + dsize + 3) & ~3
    return out


def devpath(b):
    """A readable device path (the nodes the network boot options use)."""
    parts, i = [], 0
    while i + 4 <= len(b):
        t, st, ln = b[i], b[i + 1], struct.unpack_from("<H", b, i + 2)[0]
        d = b[i + 4:i + ln]
        if t == 0x7F and st == 0xFF:
            break
        if t == 1 and st == 1:
            parts.append("Pci(0x%x,0x%x)" % (d[1], d[0]))
        elif t == 2 and st == 1:
            parts.append("PciRoot(0x%x)" % struct.unpack_from("<I", d, 4)[0])
        elif t == 3 and st == 11:
            parts.append("MAC(%s)" % d[:6].hex().upper())
        elif t == 3 and st == 12:
            parts.append("IPv4(...)")
        elif t == 3 and st == 13:
            parts.append("IPv6(...)")
        elif t == 3 and st == 24:
            parts.append("Uri(%s)" % d.decode(errors="replace"))
        elif t == 4 and st == 6:
            parts.append("FvFile(%s)" % uuid.UUID(bytes_le=bytes(d[:16])))
        elif t == 4 and st == 7:
            parts.append("Fv(%s)" % uuid.UUID(bytes_le=bytes(d[:16])))
        else:
            parts.append("Node(%d,%d)" % (t, st))
        if ln < 4:
            break
        i += ln
    return "/".join(parts)


def load_option(d):
    """(attributes, description, device path text) of an EFI_LOAD_OPTION."""
    attrs, fplen = struct.unpack_from("<IH", d, 0)
    i = 6
    while d[i:i + 2] != b"\0\0":
        i += 2
    desc = d[6:i].decode("utf-16-le")
    return attrs, desc, devpath(d[i + 2:i + 2 + fplen])


def boot_options(vs):
    opts = {}
    for _, name, guid, data in vs:
        if guid == GLOBAL_GUID and re.fullmatch(r"Boot[0-9A-F]{4}", name):
            opts[int(name[4:], 16)] = load_option(data)
    return opts


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mode, path = sys.argv[1], sys.argv[2]
    buf = open(path, "rb").read()
    vs = variables(buf)
    opts = boot_options(vs)
    order = [(o, n, d) for o, n, g, d in vs if g == GLOBAL_GUID and n == "BootOrder"]
    if mode == "list":
        for _, name, guid, data in vs:
            print("var %s %s %d bytes" % (name, guid, len(data)))
        for n, (a, desc, dp) in sorted(opts.items()):
            print("Boot%04X attrs=%x \"%s\" %s" % (n, a, desc, dp))
        for _, _, d in order:
            print("BootOrder " + ",".join("%04X" % x for x in struct.unpack("<%dH" % (len(d) // 2), d)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
