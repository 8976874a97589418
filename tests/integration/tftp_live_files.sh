#!/usr/bin/env bash
# Files that change while they are served: nothing is lost and the server
# never crashes. A file truncated under a transfer ends that transfer with
# an error (with the fast path, the kernel finishes it from its copy of
# the old version); an upload replacing a file never disturbs a read in progress
# (the reader gets the whole old version); an aborted upload leaves the
# previous content in place.
source "$(dirname "$0")/lib.sh"
need atftp curl
netns_setup
at_exit ns_kill_all
R=$WORK/root; mkdir -p "$R"; chmod 777 "$R"
mkrand "$R/big" 50000000
start_tftpd_logged "$TFTPD" 69 -s -c -u root -v "$R"

cp "$R/big" "$WORK/big.orig"
in_cli timeout 30 atftp --get -r big -l "$WORK/out" $SRV_IP 69 >"$WORK/cli.log" 2>&1 &
c=$!
sleep 0.5; truncate -s 1000000 "$R/big"
wait $c; rc=$?
if [ -n "$FASTPATH_PORT" ]; then
  # the kernel serves its own copy of a hot file: the transfer in flight
  # finishes on the old contents, never a mix (ARCHITECTURE, TFTP in the kernel)
  [ $rc = 0 ] && same "$WORK/big.orig" "$WORK/out" && ok "truncation under a kernel transfer: the client gets the whole old version" || fail "truncation (fast path): rc=$rc $(cat "$WORK/cli.log")"
else
  [ $rc != 0 ] && grep -q "File changed during transfer" "$WORK/cli.log" && ok "truncation under a transfer: the client gets an error" || fail "truncation: rc=$rc $(cat "$WORK/cli.log")"
fi
kill -0 $SRV_PID && ok "server alive after the truncation" || fail "server died"
in_cli timeout 10 curl -s -o "$WORK/o2" "tftp://$SRV_IP/big" && same "$R/big" "$WORK/o2" && ok "the truncated file is served at its new size" || fail "after truncation"

# An upload replaces a file while a slow reader (512-byte blocks) reads it.
mkrand "$R/image" 20000000; chmod 666 "$R/image"; cp "$R/image" "$WORK/old"
mkrand "$WORK/new" 3000000
in_cli timeout 60 atftp --get -r image -l "$WORK/read" $SRV_IP 69 >/dev/null 2>&1 &
c=$!
sleep 0.3
in_cli timeout 30 atftp --put -l "$WORK/new" -r image $SRV_IP 69 >/dev/null 2>&1 && ok "upload over a file being read" || fail "upload failed"
wait $c && same "$WORK/old" "$WORK/read" && ok "the reader got the whole old version" || fail "reader disturbed by the upload"
same "$WORK/new" "$R/image" && ok "the new version is in place" || fail "upload content"

# An upload cut off half-way leaves the file as it was.
cp "$R/image" "$WORK/before"
mkrand "$WORK/huge" 40000000
in_cli timeout 60 atftp --put -l "$WORK/huge" -r image $SRV_IP 69 >/dev/null 2>&1 &
c=$!
sleep 0.4; in_cli pkill -9 -x atftp; wait $c 2>/dev/null
sleep 0.2
same "$WORK/before" "$R/image" && ok "an aborted upload leaves the previous content" || fail "aborted upload damaged the file"
# An upload whose DATA is larger than the negotiated block size is refused
# (ERROR 4) and leaves nothing behind.
reply=$(in_cli timeout 10 python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"\0\2oversize.bin\0octet\0", (sys.argv[1], 69))
pkt, tid = s.recvfrom(2048)                      # ACK 0: blksize is 512
s.sendto(struct.pack("!HH", 3, 1) + b"x" * 600, tid)
pkt, _ = s.recvfrom(2048)
print(struct.unpack("!HH", pkt[:4]), pkt[4:].split(b"\0")[0].decode())' $SRV_IP 2>&1)
[ "$reply" = "(5, 4) Block too large" ] && ok "oversized DATA in an upload: ERROR 4" || fail "oversized DATA: $reply"
[ ! -e "$R/oversize.bin" ] && ok "the refused upload left no file" || fail "oversize.bin was created"
finish
