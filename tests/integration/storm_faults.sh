#!/usr/bin/env bash
# rackboot-storm when things go wrong, against rackbootd:
#  1. 10 % of UDP datagrams dropped in both directions (nftables numgen on
#     the ingress of both veth ends: this kernel has no sch_netem): nodes
#     retransmit like
#     firmware (DHCP, TFTP RRQ/ACK) and nearly all boot; any that do not are
#     reported in DHCP or TFTP with a timeout, nothing else.
#  2. A range of 12 addresses for 16 nodes, ipxe.efi and the initrd removed:
#     4 nodes end with dhcp-timeout (phase dhcp), the UEFI nodes with an
#     address with tftp-error-1 (phase tftp), the BIOS ones with
#     http-status-404 (phase http); exit status 1.
#  3. No server at all: --max-time ends the run on time, every node failed
#     with "deadline" in dhcp.
#  4. SIGTERM in the middle of a run (nodes retrying TFTP that is blocked):
#     prompt exit, nodes "interrupted", summary and JSON written, leased
#     addresses removed.
# Timeouts are scaled (--timeout-scale 0.1 under loss: DHCP retries at
# 0.4, 0.8, 1.6, 3.2 s, TFTP 0.4 s; 0.05 elsewhere) so the whole file stays
# under 90 s. (Not much lower under loss: the client would give up on TFTP
# before rackbootd's own 1 s retransmission.)
source "$(dirname "$0")/lib.sh"
need ip ss timeout /usr/bin/python3 "$RACKBOOTD"
rb_bin
storm_bin
netns_setup
at_exit ns_kill_all
storm_root $((512 << 10)) $((1 << 20))
ipxe_files "$R"
serve() { # state dir, range end, [flags]
  local st=$1 hi=$2; shift 2
  start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address $SRV_IP/24 --root "$R" \
    --state-dir "$WORK/$st" --dhcp-range 198.18.0.100,$hi --http-port 8080 "$@"
  wait_until 5 tcp_listening 8080 || { fail "rackbootd does not listen on HTTP"; exit 1; }
}
# "phase reason" of every failed node, one per line, sorted with counts
failures() { /usr/bin/python3 -c '
import json, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter((n["fail_phase"], n["fail_reason"], n["kind"]) for n in d["nodes"] if n["status"] == "failed")
for (p, r, k), n in sorted(c.items()):
    print(p, r, k, n)' "$1"; }
summary() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"][sys.argv[2]])' "$@"; }

# --- 1. packet loss ------------------------------------------------------------------------
serve state1 198.18.0.199
udp_loss "$NS_SRV" "$PFX-s" 10 && udp_loss "$NS_CLI" "$PFX-c" 10 ||
  { fail "cannot install the nftables loss rules"; exit 1; }
J=$WORK/loss.json
start=$SECONDS
in_cli timeout 70 "$STORM" --interface "$PFX-c" --nodes 30 --mix bios=50,uefi=40,ipxe=10 \
  --timeout-scale 0.1 --max-time 55 --json "$J" >"$WORK/loss.out" 2>&1
rc=$?
sed 's/^/  # /' "$WORK/loss.out"
dropped=$(( $(udp_loss_count "$NS_SRV") + $(udp_loss_count "$NS_CLI") ))
check "the loss rules dropped datagrams ($dropped)" [ "${dropped:-0}" -gt 50 ]
done_n=$(summary "$J" completed)
check "under 10 % loss at least 27 of 30 nodes boot (got $done_n, rc $rc, $((SECONDS - start)) s)" \
  [ "${done_n:-0}" -ge 27 ]
retx=$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(n["phases"].get(p, {}).get("retries", 0) for n in d["nodes"] for p in ("dhcp", "tftp", "ipxe_dhcp")))' "$J")
check "they got there by retransmitting ($retx DHCP/TFTP retransmissions)" [ "${retx:-0}" -gt 10 ]
opts=$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = ["%d:%d/%d" % (n["idx"], n["tftp_blksize"], n["tftp_windowsize"]) for n in d["nodes"]
       if n["kind"] == "uefi" and n["status"] == "ok" and (n["tftp_blksize"], n["tftp_windowsize"]) != (1468, 4)]
print(" ".join(bad) or "ok")' "$J")
# a retransmitted EDK2 size probe leaves a second probe session behind: its
# OACK must never be taken for the answer to the real request
check "under loss every UEFI node still got blksize 1468, windowsize 4 ($opts)" [ "$opts" = ok ]
failures "$J" >"$WORK/loss.fail"
sed 's/^/  # failed: /' "$WORK/loss.fail"
check "any node lost is reported as a DHCP or TFTP timeout in that phase" \
  bash -c "! grep -vE '^(dhcp dhcp-timeout|ipxe_dhcp dhcp-timeout|tftp tftp-timeout) ' '$WORK/loss.fail'"
check "the loss run is bounded by --max-time (took $((SECONDS - start)) s)" [ $((SECONDS - start)) -le 60 ]
stop_pid $RB_PID
udp_loss_off "$NS_SRV"
udp_loss_off "$NS_CLI"

# --- 2. too few addresses, missing files ---------------------------------------------------
rm "$R/ipxe.efi" "$R/initrd.img"
serve state2 198.18.0.111
J=$WORK/short.json
start=$SECONDS
in_cli timeout 60 "$STORM" --interface "$PFX-c" --nodes 16 --mix bios=1,uefi=1 \
  --mac-base 02:53:00:02:00:00 --timeout-scale 0.05 --max-time 40 --json "$J" >"$WORK/short.out" 2>&1
rc=$?
sed 's/^/  # /' "$WORK/short.out"
check "exit status 1 when nodes fail (got $rc, $((SECONDS - start)) s)" [ $rc = 1 ]
failures "$J" >"$WORK/short.fail"
sed 's/^/  # failed: /' "$WORK/short.fail"
count() { awk -v p="$1" -v r="$2" '$1 == p && $2 == r { s += $4 } END { print s + 0 }' "$WORK/short.fail"; }
n_dhcp=$(count dhcp dhcp-timeout); n_tftp=$(count tftp tftp-error-1); n_http=$(count http http-status-404)
check "4 nodes found no address: dhcp-timeout in phase dhcp (got $n_dhcp)" [ "$n_dhcp" = 4 ]
check "the 12 with an address failed in TFTP (UEFI) or HTTP (BIOS): $n_tftp + $n_http" \
  [ $((n_tftp + n_http)) = 12 ]
check "tftp-error-1 (File not found) only for UEFI nodes, http-status-404 only for BIOS nodes" \
  bash -c "! grep -E '^(tftp tftp-error-1 bios|http http-status-404 uefi) ' '$WORK/short.fail'"
others=$(grep -cvE '^(dhcp dhcp-timeout|tftp tftp-error-1|http http-status-404) ' "$WORK/short.fail")
check "no other failures ($others), none completed ($(summary "$J" completed))" \
  [ "$others" = 0 -a "$(summary "$J" completed)" = 0 ]
check "the summary lists the failures by phase and reason" \
  grep -qE '^  failed in dhcp +dhcp-timeout +4$' "$WORK/short.out"
check "dhcp-timeout came after the firmware schedule: 4 transmissions, 3 s scaled" \
  /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = [n for n in d["nodes"] if n["fail_reason"] == "dhcp-timeout"]
sys.exit(0 if t and all(n["phases"]["dhcp"]["retries"] == 3 and 2900 <= n["end_ms"] - n["phases"]["dhcp"]["start_ms"] <= 4000 for n in t) else 1)' "$J"
stop_pid $RB_PID
left=$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)
check "leased addresses removed after a failed run (left: $left)" [ "$left" = 1 ]

# --- 3. nobody answers: --max-time ends it -------------------------------------------------
start=$SECONDS
in_cli timeout 30 "$STORM" --interface "$PFX-c" --nodes 10 --max-time 2 --json "$WORK/none.json" \
  >"$WORK/none.out" 2>&1
rc=$?
el=$((SECONDS - start))
check "no server: rackboot-storm stops at --max-time 2 (took $el s, rc $rc)" [ $rc = 1 -a $el -le 4 ]
check "every node failed with 'deadline' in its first DHCP" bash -c "
  [ \"\$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for n in d[\"nodes\"] if n[\"fail_reason\"] == \"deadline\" and n[\"fail_phase\"] in (\"dhcp\", \"ipxe_dhcp\")))' '$WORK/none.json')\" = 10 ]"

# --- 4. SIGTERM mid-run: prompt, reported, cleaned up -------------------------------------
# DHCP works but every TFTP request is dropped at the server, so the nodes
# hold their leased addresses and keep retrying (unscaled: 4 s a try) when
# the signal comes
serve state4 198.18.0.199
_nft "$NS_SRV" "add table netdev stormblock
add chain netdev stormblock in { type filter hook ingress device \"$PFX-s\" priority 0; }
add rule netdev stormblock in udp dport 69 drop" || { fail "cannot block TFTP with nftables"; exit 1; }
ip netns exec "$NS_CLI" "$STORM" --interface "$PFX-c" --nodes 20 --mac-base 02:53:00:04:00:00 \
  --mix bios=1,uefi=1 --max-time 60 --json "$WORK/term.json" >"$WORK/term.out" 2>&1 &
SP=$!
at_exit "stop_pid $SP"
wait_until 10 bash -c "[ \$(ip -n $NS_CLI -4 -o addr show dev $PFX-c | wc -l) -gt 20 ]"
check "SIGTERM: 20 leased addresses are on the interface before the signal" \
  [ "$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)" = 21 ]
kill -TERM $SP
start=$SECONDS
wait_until 5 bash -c "! kill -0 $SP 2>/dev/null"
wait $SP; rc=$?
check "SIGTERM: exits within 5 s (rc $rc)" [ $((SECONDS - start)) -le 5 -a $rc = 1 ]
check "SIGTERM: every node is reported 'interrupted' in tftp" \
  /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if all(n["fail_reason"] == "interrupted" and n["fail_phase"] == "tftp"
                  for n in d["nodes"]) else 1)' "$WORK/term.json"
check "SIGTERM: the summary was printed" grep -q '^completed ' "$WORK/term.out"
left=$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)
check "SIGTERM: every leased address removed (left: $left)" [ "$left" = 1 ]
finish
