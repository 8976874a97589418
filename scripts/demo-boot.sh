#!/usr/bin/env bash
# The second half of make demo: real machines boot. rackbootd serves the
# images of `make images` on a bridge in a private namespace; QEMU (TCG,
# SeaBIOS + the iPXE NIC ROM) boots one node, then three at once, each to
# the initramfs marker; then the daemon's own per-node timeline (GET
# /nodes) and a summary. Everything runs inside the namespace and is
# removed on exit, whatever happens. Uses the e2e test helpers.
source "$(dirname "$0")/../tests/e2e/lib-e2e.sh"
BOOT_BOUND=${BOOT_BOUND:-180}
e2e_prepare >/dev/null
e2e_net
e2e_rackbootd --config "$WORK/rackboot.conf" -vv
echo "== rackbootd on br0 ($SRV_IP) in namespace $NS_SRV, serving $(ls "$E2E_ROOT" | tr '\n' ' ')"
echo "   profile: $(grep -E '^\s*(kernel|initrd|cmdline)' "$WORK/rackboot.conf" | xargs)"

boot() { # name, mac, tap, nic
  e2e_tap "$3"
  qemu_boot "$1" -boot n -netdev "tap,id=n0,ifname=$3,script=no,downscript=no" \
    -device "$4,netdev=n0,mac=$2,romfile=$ROMDIR/pxe-e1000.rom" >/dev/null
  local m
  m=$(plain_log "$WORK/$1.serial.log" | grep -a -m1 RACKBOOT-MARKER)
  printf '  %-8s %s  %s\n' "$1" "$2" "${m:-NO MARKER after ${BOOT_SECS}s}"
  [ -n "$m" ]
}
booted=0; failed=0
echo
echo "== one node (SeaBIOS + iPXE ROM, QEMU without KVM: about 25 s)"
t0=$EPOCHREALTIME
if boot node1 52:54:00:de:00:01 "$PFX-t1" e1000; then booted=$((booted + 1)); else failed=$((failed + 1)); fi
echo "   $(e2e_secs "$t0") s"
echo
echo "== three nodes at once"
t0=$EPOCHREALTIME
pids=()
for i in 2 3 4; do
  ( boot node$i 52:54:00:de:00:0$i "$PFX-t$i" e1000 ) > "$WORK/demo-node$i.out" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  if wait "${pids[$i]}"; then booted=$((booted + 1)); else failed=$((failed + 1)); fi
  cat "$WORK/demo-node$((i + 2)).out"
done
echo "   $(e2e_secs "$t0") s for all three"
echo
echo "== the daemon's timeline of each node (curl http://$SRV_IP/nodes)"
echo "   (the ~15 s between the DHCP ACK and the first HTTP request is Debian's 2019"
echo "    iPXE waiting for an IPv6 router advertisement; upstream iPXE fixed it in 2020)"
in_srv curl -s --max-time 5 "http://$SRV_IP/nodes" | sed 's/^/  /'
echo
echo "== bytes by protocol (curl http://$SRV_IP/metrics)"
in_srv curl -s --max-time 5 "http://$SRV_IP/metrics" |
  awk '/^rackboot_http_sent_bytes_total /{h=$2} /^rackboot_tftp_transfers_completed_total /{t=$2}
       /^rackboot_dhcp_messages_total\{type="ack"\}/{a=$2}
       END { printf "  DHCP: %d ACKs   TFTP: %d transfers   HTTP: %.1f MiB sent\n", a, t, h/1048576 }'
echo
echo "== summary: $booted nodes booted to the marker, $failed failed"
[ "$failed" = 0 ]
