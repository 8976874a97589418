#!/usr/bin/env bash
# Malformed DHCP datagrams (truncated, option lengths past the end, no END,
# bogus hlen, option-overload loops, no cookie, empty, a reply) are each
# dropped with a log line naming the sender and the fault; the daemon keeps
# serving. With RACKBOOTD=build/san/bin/rackbootd (tests/run.sh does that
# too) any memory error aborts the daemon and fails the test.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }
netns_setup
at_exit ns_kill_all
mkdir -p "$WORK/root" "$WORK/state"
echo boot >"$WORK/root/undionly.kpxe"
start_rackbootd --interface "$PFX-s" --address $SRV_IP/24 --dhcp-range 198.18.0.100,198.18.0.150 \
  --root "$WORK/root" --state-dir "$WORK/state"

cases=$(in_cli $DHCPC malformed "$PFX-c")
sleep 0.3
while read -r name reason; do
  reason=${reason//_/ }
  check "$name: dropped with a log line ('$reason')" \
    grep -q "dhcp: dropped packet from $CLI_IP:68: .*$reason" "$WORK/rackbootd.log"
done <<<"$cases"
n=$(grep -c "dhcp: dropped packet" "$WORK/rackbootd.log")
check "one log line per bad packet ($n of $(wc -l <<<"$cases"))" [ "$n" = "$(wc -l <<<"$cases")" ]
check "daemon still running" kill -0 "$RB_PID"
out=$(in_cli $DHCPC pxe "$PFX-c" bios)
check "a good DISCOVER after them is answered" [ "$(kv type <<<"$out")" = OFFER ]

# A flood of garbage is rate-limited in the log but never stops service.
in_cli /usr/bin/python3 - "$PFX-c" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
for i in range(3000):
    s.sendto(os.urandom(i % 600), ("255.255.255.255", 67))
PY
sleep 0.5
lines=$(grep -c "dhcp: dropped packet" "$WORK/rackbootd.log")
check "3000 garbage datagrams: log stays bounded ($lines lines)" [ "$lines" -lt 400 ]
out=$(in_cli $DHCPC pxe "$PFX-c" efi9)
check "still answering after the flood" [ "$(kv type <<<"$out")" = OFFER ]
check "daemon still running after the flood" kill -0 "$RB_PID"
stop_pid $RB_PID
check "stopped cleanly on SIGTERM" grep -q "^stopped:" "$WORK/rackbootd.log"
finish
