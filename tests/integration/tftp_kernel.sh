#!/usr/bin/env bash
# rackbootd's TFTP in the kernel, on a plain veth pair: real clients
# (atftp with EDK2's blksize 1468 + windowsize 4, tftp-hpa, curl, busybox
# with iPXE's 1432) get the boot programs bit-exact from the eBPF fast path;
# /metrics counts sessions handed over and completed in the kernel; a file
# not named hot, or above tftp-hot-max-size, stays in userspace; storm
# nodes see "(kernel)" on their timeline; a client that stops ACKing is
# taken back and finished from userspace; 5 % loss both ways still gives
# exact files; a hot file rewritten on disk is served new; a transfer the
# kernel serves carries on through SIGQUIT while no daemon runs, and the
# next daemon adopts the maps.
source "$(dirname "$0")/lib.sh"
need atftp tftp curl busybox cmp timeout /usr/bin/python3 "$RACKBOOTD"
rb_bin
storm_bin
netns_setup
at_exit ns_kill_all
storm_root $((1 << 20)) $((1 << 20))
ipxe_files "$R"
mkrand "$R/snponly.efi" 300000          # hot through tftp-hot
mkrand "$R/cold.bin" 200000             # not hot
mkrand "$R/big-hot.bin" 3000000         # named hot, above tftp-hot-max-size
cat >>"$WORK/rb.conf" <<EOT
tftp-hot snponly.efi big-hot.bin
tftp-hot-max-size 2000000
EOT
mkdir -p "$WORK/state" "$WORK/out"
ARGS=(--config "$WORK/rb.conf" --interface "$PFX-s" --address $SRV_IP/24 --root "$R"
      --state-dir "$WORK/state" --dhcp-range 198.18.0.100,198.18.0.199 --http-port 8080 -vv)
start_rackbootd "${ARGS[@]}"
wait_until 5 tcp_listening 8080 || { fail "rackbootd does not listen on HTTP"; exit 1; }
wait_until 5 grep -q "fast path" "$WORK/rackbootd.log"
check "the fast path is attached: $(grep -o 'eBPF fast path.*' "$WORK/rackbootd.log")" \
  grep -q "eBPF fast path on $PFX-s: tc" "$WORK/rackbootd.log"

cli() { in_cli timeout 60 "$@"; }
kernel_sessions() { http_metric 8080 "rackboot_tftp_kernel_sessions_total{event=\"$1\"}"; }   # event
got() { cmp -s "$R/$1" "$WORK/out/$2"; }

cli atftp --get -r ipxe.efi -l "$WORK/out/a" --option "blksize 1468" --option "windowsize 4" \
  --option "tsize 0" $SRV_IP 69 >/dev/null 2>&1
check "atftp, EDK2's options (blksize 1468, windowsize 4, tsize): ipxe.efi bit-exact" got ipxe.efi a
cli tftp $SRV_IP -m binary -c get undionly.kpxe "$WORK/out/b" >/dev/null 2>&1
check "tftp-hpa, no options (lockstep 512): undionly.kpxe bit-exact" got undionly.kpxe b
cli curl -s -o "$WORK/out/c" "tftp://$SRV_IP/snponly.efi"
check "curl: snponly.efi (tftp-hot) bit-exact" got snponly.efi c
cli busybox tftp -g -b 1432 -r ipxe.efi -l "$WORK/out/d" $SRV_IP >/dev/null 2>&1
check "busybox tftp, iPXE's blksize 1432: ipxe.efi bit-exact" got ipxe.efi d
cli atftp --get -r ipxe.efi -l "$WORK/out/e" --option "blksize 512" --option "windowsize 16" \
  $SRV_IP 69 >/dev/null 2>&1
check "atftp windowsize 16 (one ACK, 16 frames from the kernel): bit-exact" got ipxe.efi e
h=$(kernel_sessions handed_over); c=$(kernel_sessions completed); t=$(kernel_sessions taken_back)
check "5 transfers handed to the kernel ($h) and completed there ($c), none taken back ($t)" \
  eval '[ "$h" = 5 ] && [ "$c" = 5 ] && [ "$t" = 0 ]'
sent=$(http_metric 8080 'rackboot_fastpath_packets_total{kind="tftp_data",verdict="sent"}')
check "the kernel counts the DATA frames it sent ($sent)" [ "${sent:-0}" -gt 1000 ]

cli curl -s -o "$WORK/out/f" "tftp://$SRV_IP/cold.bin"
cli curl -s -o "$WORK/out/g" "tftp://$SRV_IP/big-hot.bin"
check "a file not named hot and one above tftp-hot-max-size: served, from userspace" \
  eval 'got cold.bin f && got big-hot.bin g && [ "$(kernel_sessions handed_over)" = 5 ]'

# storm nodes through DHCP and TFTP: their timelines say where TFTP ran
in_cli timeout 60 "$STORM" --interface "$PFX-c" --nodes 6 --mix bios=50,uefi=50 --phases dhcp,tftp \
  --timeout-scale 0.25 --max-time 50 >"$WORK/storm.out" 2>&1
check "6 storm nodes through DHCP and TFTP" grep -q '^completed 6 of 6, failed 0' "$WORK/storm.out"
nodes=$(in_srv curl -s "http://$SRV_IP:8080/nodes")
check "the node timeline says the boot program came from the kernel" \
  grep -Eq '(undionly.kpxe|ipxe.efi) \(kernel\)' <<<"$nodes"

# A hand-driven TFTP client: FILE with BLKSIZE, ACKing every block, but
# pausing PAUSE seconds (without ACKing) after block PAUSE_AT and sleeping
# EACH seconds before every ACK; writes OUT, prints "ok".
slow_get() { # file blksize pause_at pause each out
  cli /usr/bin/python3 - $SRV_IP "$@" <<'PYEOF'
import socket, struct, sys, time
host, name, bs, pause_at, pause, each, out = sys.argv[1:8]
bs, pause_at, pause, each = int(bs), int(pause_at), float(pause), float(each)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
s.sendto(b"\0\1" + name.encode() + b"\0octet\0blksize\0" + str(bs).encode() + b"\0", (host, 69))
pkt, tid = s.recvfrom(2048)
assert pkt[:2] == b"\0\6", pkt[:2]          # OACK
s.sendto(struct.pack("!HH", 4, 0), tid)
data, nxt = bytearray(), 1
while True:
    pkt, src = s.recvfrom(2048)
    op, blk = struct.unpack("!HH", pkt[:4])
    if src != tid or op != 3 or blk != nxt & 0xffff:
        continue                            # a duplicate, or not ours
    data += pkt[4:]
    if nxt == pause_at:
        time.sleep(pause)
    nxt += 1
    time.sleep(each)
    s.sendto(struct.pack("!HH", 4, blk), tid)
    if len(pkt) - 4 < bs:
        break
open(out, "wb").write(data)
print("ok")
PYEOF
}

# A client that stops ACKing: the kernel has no timer, the daemon's sweep
# takes the transfer back and retransmits; the client picks up again.
stall=$(slow_get ipxe.efi 1024 19 2.5 0 "$WORK/out/h")
check "a client that pauses mid-transfer gets the whole file ($stall)" eval '[ "$stall" = ok ] && got ipxe.efi h'
check "the stalled transfer was taken back from the kernel ($(kernel_sessions taken_back))" \
  [ "$(kernel_sessions taken_back)" -ge 1 ]

udp_loss "$NS_CLI" "$PFX-c" 5; udp_loss "$NS_SRV" "$PFX-s" 5
ok_all=1
for i in 1 2 3; do
  cli atftp --get -r ipxe.efi -l "$WORK/out/l$i" --option "blksize 1468" --option "windowsize 4" \
    $SRV_IP 69 >/dev/null 2>&1 && got ipxe.efi "l$i" || ok_all=0
done
udp_loss_off "$NS_CLI"; udp_loss_off "$NS_SRV"
check "5 % loss both ways: three windowed transfers, all bit-exact" [ $ok_all = 1 ]

# a hot file rewritten on disk: the next transfer gets the new contents
mkrand "$R/snponly.efi.new" 310000; mv "$R/snponly.efi.new" "$R/snponly.efi"
cli curl -s -o "$WORK/out/m" "tftp://$SRV_IP/snponly.efi"
check "a rewritten hot file is served new" got snponly.efi m

# SIGQUIT during a kernel transfer: it goes on without any daemon
slow=$WORK/slow.out
slow_get undionly.kpxe 512 0 0 0.02 "$WORK/out/q" >"$slow" 2>&1 &   # about 3 s
cpid=$!
sleep 0.7
kill -QUIT "$RB_PID"; wait "$RB_PID" 2>/dev/null
check "SIGQUIT stopped the daemon, leaving the fast path" grep -q "leaving the fast path attached" "$WORK/rackbootd.log"
wait $cpid
check "the transfer in the kernel finished with no daemon running: bit-exact" \
  eval 'grep -q ok "$slow" && got undionly.kpxe q'
: >"$WORK/rackbootd.log"
start_rackbootd "${ARGS[@]}"
wait_until 5 grep -q "fast path" "$WORK/rackbootd.log"
check "the next daemon adopts the maps" grep -q "adopted pinned maps" "$WORK/rackbootd.log"
cli curl -s -o "$WORK/out/r" "tftp://$SRV_IP/ipxe.efi"
check "and serves from the kernel again" eval 'got ipxe.efi r && [ "$(kernel_sessions completed)" = 1 ]'
finish
