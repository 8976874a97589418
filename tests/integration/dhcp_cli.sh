#!/usr/bin/env bash
# rackbootd's command line and lifecycle: --help documents the DESIGN.md
# flags, configuration errors name file:line and exit 78, SIGHUP reloads the
# file (new reservations take effect; a broken file keeps the old one) with
# a TFTP transfer running and leases kept, SIGTERM stops cleanly.
source "$(dirname "$0")/lib.sh"
need tftp
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }

help=$("$RACKBOOTD" --help)
for f in --interface --address --root --dhcp-range --proxy-dhcp --tftp-port --http-port \
         --state-dir --config --no-bpf --list-leases; do
  check "--help documents $f" grep -q -- "$f" <<<"$help"
done
"$RACKBOOTD" --bogus >/dev/null 2>&1; rc=$?
check "unknown flag: exit 64 (EX_USAGE), got $rc" [ $rc = 64 ]

cat >"$WORK/bad.conf" <<EOT
interface lo
address 10.0.0.1/24

subnet 10.0.0.0/24 {
    rnage 10.0.0.10 10.0.0.20
}
EOT
err=$("$RACKBOOTD" --config "$WORK/bad.conf" --stderr --root / 2>&1); rc=$?
check "config error exits 78 (EX_CONFIG), got $rc" [ $rc = 78 ]
check "config error names file and line: $err" grep -q "bad.conf:5:" <<<"$err"
err=$("$RACKBOOTD" --interface lo --address 10.0.0.1 --root / --dhcp-range 10.0.0.9 --stderr 2>&1)
check "bad --dhcp-range is named: $err" grep -q -- "--dhcp-range" <<<"$err"

netns_setup
at_exit ns_kill_all
mkdir -p "$WORK/root" "$WORK/state"
head -c 30000000 /dev/urandom >"$WORK/root/big.img"
cat >"$WORK/rb.conf" <<EOT
interface $PFX-s
address $SRV_IP/24
root $WORK/root
state-dir $WORK/state
subnet 198.18.0.0/24 {
    range 198.18.0.100 198.18.0.150
}
EOT
cp "$WORK/rb.conf" "$WORK/rb.conf.orig"
start_rackbootd --config "$WORK/rb.conf" -v
out=$(in_cli $DHCPC pxe "$PFX-c" bios --mac 02:00:00:00:00:aa --dora)
check "before reload: a pool address" bash -c "[[ '$(kv yiaddr <<<"$out")' == 198.18.0.1[0-5]? ]]"
before=$("$RACKBOOTD" --list-leases --state-dir "$WORK/state")

# A transfer in flight across the reloads.
in_cli tftp $SRV_IP -m binary -c get big.img "$WORK/big.got" >/dev/null 2>&1 &
tf=$!
sleep 0.3
cat >>"$WORK/rb.conf" <<EOT
host moved {
    mac 02:00:00:00:00:aa
    address 198.18.0.7
}
EOT
kill -HUP "$RB_PID"; sleep 0.3
out=$(in_cli $DHCPC pxe "$PFX-c" bios --mac 02:00:00:00:00:aa)
check "after SIGHUP: the new reservation is offered" [ "$(kv yiaddr <<<"$out")" = 198.18.0.7 ]
echo "subnet 198.18.0.0/24 {" >>"$WORK/rb.conf"
kill -HUP "$RB_PID"; sleep 0.3
check "a broken file on reload is reported with file:line" \
  grep -qE "reload failed.*rb.conf:[0-9]+:" "$WORK/rackbootd.log"
out=$(in_cli $DHCPC pxe "$PFX-c" bios --mac 02:00:00:00:00:aa)
check "after a failed reload the previous configuration still serves" [ "$(kv yiaddr <<<"$out")" = 198.18.0.7 ]
check "daemon survived both reloads" kill -0 "$RB_PID"
wait $tf
check "a 30 MB TFTP transfer across both reloads is intact" cmp -s "$WORK/root/big.img" "$WORK/big.got"
after=$("$RACKBOOTD" --list-leases --state-dir "$WORK/state")
check "leases kept across reloads" [ "$before" = "$after" ]
stop_pid $RB_PID
check "SIGTERM: clean stop logged" grep -q "^stopped:" "$WORK/rackbootd.log"
finish
