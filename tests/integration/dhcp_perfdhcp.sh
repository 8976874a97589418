#!/usr/bin/env bash
# rackbootd's DHCP server under perfdhcp (Kea 2.2): DORA at rising rates,
# first as a relay agent would send it (giaddr set, replies to giaddr:67),
# then as clients on the server's own segment (broadcast, giaddr 0, replies
# broadcast to port 68); then a storm of 10,000 distinct clients, all
# DISCOVERs at once (perfdhcp's avalanche scenario, which retransmits with
# back-off until every client has its ACK), relayed and direct.
#
# Checks correctness, not speed: every ACK perfdhcp saw carries an address
# nobody else got (perfdhcp -u, and the -x l lease list compared here), and
# afterwards the lease store (--list-leases, read while the server runs and
# again after it stopped) has every ACKed address bound, no address or
# client bound twice, nothing bound outside the range, and as many bound
# rows per run as clients that got ACKs. The drop rate is only asserted at
# the two lower rates (at most 1 %); the top rate is printed, not judged.
#
#   bash tests/integration/dhcp_perfdhcp.sh      # as root; about a minute
#   RACKBOOTD=build/san/bin/rackbootd bash tests/integration/dhcp_perfdhcp.sh
#
# perfdhcp quirks this relies on (Kea 2.2.0 source, src/bin/perfdhcp):
# - DHCPv4 perfdhcp always sets giaddr to its own address (setDefaults4) and
#   listens on a UDP socket bound to that address, port 67 by default: with a
#   server address it is a relay agent.
# - For direct clients, packets come from templates (-T), which are sent as
#   they are (giaddr 0, broadcast flag set); -l IF makes it send to
#   255.255.255.255. The server's broadcast replies to port 68 would never
#   reach a socket bound to 198.18.0.2:68, so a tiny LD_PRELOAD shim binds
#   port 68 to INADDR_ANY instead (the wire traffic is unchanged). For the
#   rate steps it also gives perfdhcp's socket a 4 MiB receive buffer; the
#   storm keeps the default (~208 KiB), so perfdhcp's own socket overflows
#   and the retransmitted DISCOVERs and REQUESTs exercise the server's
#   handling of repeats.
# - "-n N" alone makes perfdhcp stop as soon as OFFERs + ACKs reach N (it
#   counts both against the first -n), so a run is bounded by time instead
#   (-p, then -W for the last replies).
source "$(dirname "$0")/lib.sh"
RACKBOOTD=${RACKBOOTD:-$ROOT/build/rackbootd}
RATES=${RATES:-"200 1000 3000"}    # DORA/s, STEP_SECS seconds each, per mode
STEP_SECS=${STEP_SECS:-3}
AVALANCHE_CLIENTS=${AVALANCHE_CLIENTS:-10000}
RANGE_LO=198.18.1.0 RANGE_HI=198.18.254.255   # 65,024 addresses
need perfdhcp cc timeout awk sort uniq ss
[ -x "$RACKBOOTD" ] || { fail "$RACKBOOTD is not built (make build/rackbootd)"; exit 1; }

netns_setup
at_exit ns_kill_all
# a /16 instead of lib.sh's /24: room for tens of thousands of clients, and
# the relay address (perfdhcp's 198.18.0.2) is inside the served network
in_srv ip addr del $SRV_IP/24 dev "$PFX-s"; in_srv ip addr add $SRV_IP/16 dev "$PFX-s"
in_cli ip addr del $CLI_IP/24 dev "$PFX-c"; in_cli ip addr add $CLI_IP/16 dev "$PFX-c"

# ---------------------------------------------------------------- helpers
SHIM=$WORK/perfdhcp-shim.so
# tests/tools/udp_bind_shim.c: port 68 bound to INADDR_ANY, SHIM_RCVBUF
cc -shared -fPIC -O1 -o "$SHIM" "$ROOT/tests/tools/udp_bind_shim.c" -ldl || { fail "cannot build the perfdhcp shim"; exit 1; }

# Templates for direct clients: BOOTREQUEST, broadcast flag, giaddr 0; the
# MAC (chaddr 28..33, last octet at 33), xid (4) and secs (8) are filled in
# by perfdhcp; in the REQUEST, option 50 sits at 240 and option 54 at 246.
python3 - "$WORK" <<'PYEOF' || { fail "cannot write perfdhcp templates"; exit 1; }
import sys
def hdr():
    b = bytearray(236); b[0:4] = bytes([1, 1, 6, 0]); b[10:12] = b'\x80\x00'
    return b
ck = bytes.fromhex('63825363')
d = hdr() + ck + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
r = hdr() + ck + bytes([50, 4, 0, 0, 0, 0, 54, 4, 0, 0, 0, 0, 53, 1, 3, 55, 3, 1, 3, 6, 255])
for name, p in (('discover', d), ('request', r)):
    open(f'{sys.argv[1]}/{name}.hex', 'w').write((p + bytes(300 - len(p))).hex() + '\n')
PYEOF
DIRECT_ARGS=(-l "$PFX-c" -B -L 68 -T "$WORK/discover.hex" -T "$WORK/request.hex"
             -O 33 -O 33 -E 8 -S 246 -I 240)
RELAY_ARGS=()   # and the server address last: perfdhcp picks 198.18.0.2:67, giaddr 198.18.0.2

ip2n() { awk -F. '{ printf "%.0f\n", (($1 * 256 + $2) * 256 + $3) * 256 + $4 }' <<<"$1"; }
# addresses (one per line on stdin) outside the range, at most 5
outside_range() { awk -v lo="$LO_N" -v hi="$HI_N" '{ split($1, o, "."); v = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
                                                     if (v < lo + 0 || v > hi + 0) print $1 }' | head -5 | tr '\n' ' '; }
# true if every argument is the string "1" (several conditions for one check)
all1() { local a; for a in "$@"; do [ "$a" = 1 ] || return 1; done; }
b() { "$@" && echo 1 || echo 0; }   # condition -> 1/0
LO_N=$(ip2n $RANGE_LO) HI_N=$(ip2n $RANGE_HI)

# perfdhcp's final report -> "# " comment lines, and KEY=VALUE variables
# (DO_SENT DO_RCVD DO_NONUNIQ RA_SENT RA_RCVD RA_NONUNIQ ...) in $WORK/NAME.vars
pd_summary() { # name
  local out=$WORK/$1.out
  awk '/^\*\*\*Statistics for: DISCOVER-OFFER/ { s = "DO" } /^\*\*\*Statistics for: REQUEST-ACK/ { s = "RA" }
       /^\*\*\*Leases for/ { s = "" }
       s != "" && /^sent packets:/ { print s "_SENT=" $3 }
       s != "" && /^received packets:/ { print s "_RCVD=" $3 }
       s != "" && /^drops:/ { print s "_DROPS=" $2 }
       s != "" && /^non unique addresses:/ { print s "_NONUNIQ=" $4 }
       /^Requests resent:/ { print "RESENT=" $3 }' "$out" >"$WORK/$1.vars"
  awk -v n="$1" 'BEGIN { hdr = "Rate" } /^Rate:|^\*\*\*Statistics for|^sent packets|^received packets|^drops ratio|^non unique|^avg delay|^max delay|^It took|^Requests|^Responses received/ {
         if ($0 ~ /^\*\*\*Statistics/) { gsub(/\*/, ""); hdr = $0; next }
         line[hdr] = line[hdr] (line[hdr] == "" ? "" : ", ") $0 }
       END { for (h in line) printf "# %s %s: %s\n", n, h, line[h] }' "$out" | sort
}
# addresses in the ACKs perfdhcp received (-x l), one per line
pd_acked() { awk '/^\*\*\*Leases for REQUEST-ACK/ { s = 1; next } /^\*\*\*/ { s = 0 }
                  s && /^[^,]*,[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+,/ { split($0, f, ","); print f[2] }' "$WORK/$1.out"; }
vars() { # name -> sets DO_SENT ... for this run (0 when missing)
  # shellcheck disable=SC2034  # DO_DROPS: for completeness
  DO_SENT=0 DO_RCVD=0 DO_DROPS=0 DO_NONUNIQ=0 RA_SENT=0 RA_RCVD=0 RA_DROPS=0 RA_NONUNIQ=0 RESENT=0
  # shellcheck disable=SC1090
  source "$WORK/$1.vars"
}
# run perfdhcp (bounded) in the client namespace; output in $WORK/NAME.out
pd() { # name, timeout-seconds, receive buffer (0: default), perfdhcp args...
  local name=$1 t=$2 rcv=$3 rc; shift 3
  in_cli timeout -k 5 "$t" env LD_PRELOAD="$SHIM" SHIM_RCVBUF="$rcv" perfdhcp -4 "$@" >"$WORK/$name.out" 2>&1
  rc=$?
  echo "# perfdhcp -4 $* -> exit $rc"
  pd_summary "$name"
  return $rc
}

# checks on one perfdhcp run's ACKs: unique, inside the range, as many as ACKs
check_acked() { # name, label
  local name=$1 label=$2 n d out
  pd_acked "$name" >"$WORK/$name.acked"
  n=$(wc -l <"$WORK/$name.acked"); d=$(sort -u "$WORK/$name.acked" | wc -l)
  out=$(outside_range <"$WORK/$name.acked")
  check "$label: perfdhcp -u found no address offered or ACKed twice (OFFER $DO_NONUNIQ, ACK $RA_NONUNIQ)" \
    all1 "$(b [ "$DO_NONUNIQ" = 0 ])" "$(b [ "$RA_NONUNIQ" = 0 ])"
  check "$label: the $RA_RCVD ACKs carry $d distinct addresses, all in $RANGE_LO-$RANGE_HI${out:+ (outside: $out)}" \
    all1 "$(b [ "$n" = "$RA_RCVD" ])" "$(b [ "$d" = "$n" ])" "$(b [ -z "$out" ])"
}

# UDP datagrams a namespace dropped because a socket's receive buffer was full
rcvbuf_errors() { ip netns exec "$1" awk '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else { print $c; exit } }' /proc/net/snmp; }

# --list-leases -> $WORK/leases-TAG.txt (ip mac state), without the header
list_leases() { # tag
  timeout 20 "$RACKBOOTD" --list-leases --state-dir "$WORK/state" >"$WORK/leases-$1.raw" 2>"$WORK/leases-$1.err"
  local rc=$?
  awk 'NR > 1 { print $1, $2, $3 }' "$WORK/leases-$1.raw" >"$WORK/leases-$1.txt"
  return $rc
}
bound_with_prefix() { awk -v p="$2" '$3 == "bound" && index($2, p) == 1' "$WORK/leases-$1.txt" | wc -l; }

# ---------------------------------------------------------------- server
mkdir -p "$WORK/root" "$WORK/state"
ip netns exec "$NS_SRV" "$RACKBOOTD" --interface "$PFX-s" --address $SRV_IP/16 \
  --dhcp-range $RANGE_LO,$RANGE_HI --root "$WORK/root" --state-dir "$WORK/state" \
  --stderr >"$WORK/rackbootd.log" 2>&1 &
SRV_PID=$!
at_exit "stop_pid $SRV_PID"
for _ in $(seq 1 50); do in_srv ss -Hlun "sport = :67" | grep -q . && break; sleep 0.1; done
in_srv ss -Hlun "sport = :67" | grep -q . || { fail "rackbootd did not start listening on 67"; sed 's/^/  # /' "$WORK/rackbootd.log"; exit 1; }
ok "rackbootd listens on 67 ($SRV_IP/16, range $RANGE_LO-$RANGE_HI)"

# ---------------------------------------------------------------- rising rates
declare -A PREFIX=()   # run name -> MAC prefix of its clients
mi=0
for mode in relay direct; do
  for rate in $RATES; do
    mi=$((mi + 1))
    name=$mode-$rate
    n=$((rate * STEP_SECS))
    PREFIX[$name]=$(printf '02:%02x:' "$mi")
    # -p: send for STEP_SECS, then -W: 1.5 s more for the last replies. -R
    # has room to spare, so every DISCOVER is a new client (perfdhcp's rate
    # control may send a few more than rate x seconds; with -R at exactly
    # that count the extra ones would reuse the first clients)
    if [ $mode = relay ]; then args=("${RELAY_ARGS[@]}") server=("$SRV_IP"); else args=("${DIRECT_ARGS[@]}") server=(); fi
    pd "$name" $((STEP_SECS + 10)) $((4 << 20)) "${args[@]}" -r "$rate" -p "$STEP_SECS" -W 1500000 -R $((n + n / 10 + 100)) \
       -b "mac=$(printf '02:%02x:00:00:00:00' "$mi")" -u -x l "${server[@]}"
    rc=$?
    vars "$name"
    check "$mode $rate/s: perfdhcp ran and reported both exchanges (exit $rc: 0 = no drops, 3 = some)" \
      all1 "$(b [ "$rc" = 0 -o "$rc" = 3 ])" "$(b [ "$DO_SENT" -gt 0 ])"
    lost=$((DO_SENT - RA_RCVD))
    pct=$(awk -v l="$lost" -v s="$DO_SENT" 'BEGIN { printf "%.2f", s ? 100 * l / s : 100 }')
    echo "# $mode $rate/s: $DO_SENT DISCOVERs, $RA_RCVD ACKs, $lost exchanges incomplete ($pct %)"
    if [ "$rate" != "${RATES##* }" ]; then
      check "$mode $rate/s: at most 1 % of the $DO_SENT DORA exchanges incomplete ($lost, $pct %)" \
        awk -v p="$pct" 'BEGIN { exit !(p <= 1) }'
    fi
    check_acked "$name" "$mode $rate/s"
  done
done

# ---------------------------------------------------------------- storm
for mode in relay direct; do
  mi=$((mi + 1))
  name=storm-$mode
  PREFIX[$name]=$(printf '02:%02x:' "$mi")
  if [ $mode = relay ]; then args=("${RELAY_ARGS[@]}") server=("$SRV_IP"); else args=("${DIRECT_ARGS[@]}") server=(); fi
  sd0=$(rcvbuf_errors "$NS_SRV"); cd0=$(rcvbuf_errors "$NS_CLI")
  pd "$name" 45 0 --scenario avalanche "${args[@]}" -R "$AVALANCHE_CLIENTS" \
     -b "mac=$(printf '02:%02x:00:00:00:00' "$mi")" -u -x l "${server[@]}"
  rc=$?
  vars "$name"
  echo "# storm $mode: datagrams dropped on a full socket receive buffer: server namespace $(( $(rcvbuf_errors "$NS_SRV") - sd0 )), client namespace $(( $(rcvbuf_errors "$NS_CLI") - cd0 )) (what perfdhcp retransmitted for)"
  check "storm $mode: all $AVALANCHE_CLIENTS clients completed DORA (OFFERs $DO_RCVD, ACKs $RA_RCVD, $RESENT retransmissions, exit $rc)" \
    all1 "$(b [ "$rc" = 0 ])" "$(b [ "$DO_RCVD" = "$AVALANCHE_CLIENTS" ])" "$(b [ "$RA_RCVD" = "$AVALANCHE_CLIENTS" ])"
  check_acked "$name" "storm $mode"
done

# ---------------------------------------------------------------- lease store
# Live (the server keeps running: an ACK leaves only after its row is
# committed, so every ACKed lease must already be readable), then after a
# clean stop.
lease_checks() { # tag
  local t=$1 f=$WORK/leases-$1.txt dup_ip dup_mac outside missing name got
  dup_ip=$(awk '{ print $1 }' "$f" | sort | uniq -d | head -5 | tr '\n' ' ')
  dup_mac=$(awk '$3 == "bound" { print $2 }' "$f" | sort | uniq -d | head -5 | tr '\n' ' ')
  outside=$(awk '$3 == "bound" { print $1 }' "$f" | outside_range)
  check "leases ($t): no address listed twice${dup_ip:+ ($dup_ip)}" [ -z "$dup_ip" ]
  check "leases ($t): no client with two bound addresses${dup_mac:+ ($dup_mac)}" [ -z "$dup_mac" ]
  check "leases ($t): no bound address outside $RANGE_LO-$RANGE_HI${outside:+ ($outside)}" [ -z "$outside" ]
  cat "$WORK"/*.acked | sort >"$WORK/all-acked.txt"
  awk '$3 == "bound" { print $1 }' "$f" | sort >"$WORK/bound-$t.txt"
  missing=$(comm -23 "$WORK/all-acked.txt" "$WORK/bound-$t.txt" | head -5 | tr '\n' ' ')
  check "leases ($t): all $(wc -l <"$WORK/all-acked.txt") ACKed addresses are bound${missing:+ (missing: $missing)}" [ -z "$missing" ]
  # per run: bound rows of its clients (MAC prefix) = clients that got ACKs;
  # an ACK lost on the way back leaves a bound row perfdhcp did not count,
  # so with ACK drops the rows may exceed the ACKs, never the REQUESTs
  for name in "${!PREFIX[@]}"; do
    vars "$name"
    got=$(bound_with_prefix "$t" "${PREFIX[$name]}")
    if [ "$RA_DROPS" = 0 ]; then
      check "leases ($t): $name: $got bound rows for clients ${PREFIX[$name]}* = $RA_RCVD clients ACKed" [ "$got" = "$RA_RCVD" ]
    else
      check "leases ($t): $name: $got bound rows for clients ${PREFIX[$name]}*, between $RA_RCVD ACKed and $RA_SENT REQUESTs ($RA_DROPS ACKs not seen)" \
        all1 "$(b [ "$got" -ge "$RA_RCVD" ])" "$(b [ "$got" -le "$RA_SENT" ])"
    fi
  done
}
if list_leases live; then ok "--list-leases while the server runs"; else fail "--list-leases while the server runs: $(head -c 300 "$WORK/leases-live.err")"; fi
lease_checks live

kill -TERM "$SRV_PID"
for _ in $(seq 1 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SRV_PID" 2>/dev/null; then fail "rackbootd still running 5 s after SIGTERM"; kill -9 "$SRV_PID"; fi
wait "$SRV_PID"; rc=$?
check "rackbootd exits 0 on SIGTERM (got $rc)" [ "$rc" = 0 ]
grep -E '^stopped:' "$WORK/rackbootd.log" | sed 's/^/# rackbootd /'
errs=$(grep -ciE 'commit.*failed|error|out of memory' "$WORK/rackbootd.log")
check "rackbootd logged no lease-store errors ($errs lines)" [ "$errs" = 0 ]
if list_leases stopped; then ok "--list-leases after the stop"; else fail "--list-leases after the stop: $(head -c 300 "$WORK/leases-stopped.err")"; fi
check "leases after the stop are the same rows as while running ($(wc -l <"$WORK/leases-stopped.txt") rows)" \
  cmp -s "$WORK/leases-live.txt" "$WORK/leases-stopped.txt"
lease_checks stopped
finish
