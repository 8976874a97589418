#!/usr/bin/env bash
# Acknowledged leases survive kill -9. A crafted-client storm (dhcpc.py load,
# which records every DHCPACK the moment it arrives) runs against rackbootd;
# the daemon is killed with SIGKILL mid-storm and restarted on the same
# state directory. Every lease acknowledged before the kill must be listed
# as bound to its client, the storm must finish against the new daemon, and
# no address may ever have been acknowledged to two clients.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }
netns_setup
at_exit ns_kill_all
mkdir -p "$WORK/root" "$WORK/state"
ARGS=(--interface "$PFX-s" --address $SRV_IP/16 --dhcp-range 198.18.1.0,198.18.40.255
      --root "$WORK/root" --state-dir "$WORK/state")
leases() { "$RACKBOOTD" --list-leases --state-dir "$WORK/state" | awk 'NR > 1 && $3 == "bound" {print $2, $1}' | sort; }

for round in 1 2 3; do
  : >"$WORK/acked-$round"
  start_rackbootd "${ARGS[@]}"
  in_cli $DHCPC load "$PFX-c" 3000 --mac-base "02:0$round:00:00:00:00" --acked "$WORK/acked-$round" \
    --seconds 40 >"$WORK/load-$round.out" 2>&1 &
  load=$!
  # kill at a different point each round: early, mid, late
  want=$((round * 600))
  for i in $(seq 1 200); do [ "$(wc -l <"$WORK/acked-$round")" -ge $want ] && break; sleep 0.05; done
  kill -9 "$RB_PID"; wait "$RB_PID" 2>/dev/null
  sort "$WORK/acked-$round" >"$WORK/before-kill"
  n=$(wc -l <"$WORK/before-kill")
  missing=$(comm -23 "$WORK/before-kill" <(leases) | wc -l)
  check "round $round: all $n leases acknowledged before kill -9 are bound after it" [ "$missing" = 0 ]
  [ "$missing" = 0 ] || comm -23 "$WORK/before-kill" <(leases) | head -5 | sed 's/^/# missing: /'
  start_rackbootd "${ARGS[@]}"
  wait $load
  check "round $round: the storm finished against the restarted daemon ($(cat "$WORK/load-$round.out"))" \
    grep -q "^bound=3000 of 3000" "$WORK/load-$round.out"
  stop_pid $RB_PID
done
sort -u "$WORK"/acked-* >"$WORK/all-acked"
dups=$(awk '{print $2}' "$WORK/all-acked" | sort | uniq -d | wc -l)
check "no address acknowledged to two clients across $(wc -l <"$WORK/all-acked") ACKs" [ "$dups" = 0 ]
missing=$(comm -23 "$WORK/all-acked" <(leases) | wc -l)
check "every acknowledged lease is in the final table" [ "$missing" = 0 ]
bound_dups=$(leases | awk '{print $2}' | uniq -d | wc -l)
check "no address bound twice in the table" [ "$bound_dups" = 0 ]
finish
