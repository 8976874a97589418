#!/usr/bin/env bash
# rackboot-storm against rackbootd: 50 simulated nodes (25 BIOS PXE, 20
# UEFI/EDK2, 5 already-iPXE) boot all the way — PXE DHCP, TFTP of
# undionly.kpxe / ipxe.efi, iPXE DHCP, HTTP of the per-node script, a
# 2 MiB kernel and a 4 MiB initrd — from one process in the client
# namespace. Then the per-node JSON must add up: every node ok, bytes per
# node = file sizes, sums = the summary, distinct addresses in the range,
# phases in order, boot information from the ACKs (no proxyDHCP, so no
# port-4011 request); rackbootd's lease table, log and /metrics must agree
# with what the storm reports; the leased addresses are gone afterwards.
# A second run stops after TFTP (--phases dhcp,tftp).
source "$(dirname "$0")/lib.sh"
need ip ss timeout curl /usr/bin/python3 "$RACKBOOTD"
rb_bin
storm_bin
netns_setup
at_exit ns_kill_all
storm_root $((2 << 20)) $((4 << 20))
ipxe_files "$R"
mkdir -p "$WORK/state"
# --max-streams 2: 50 nodes want 100 large downloads, so some are told 503
# and come back after Retry-After, as iPXE does
start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address $SRV_IP/24 --root "$R" \
  --state-dir "$WORK/state" --dhcp-range 198.18.0.100,198.18.0.199 --http-port 8080 \
  --max-streams 2 --retry-after 1 -v
wait_until 5 tcp_listening 8080 || { fail "rackbootd does not listen on HTTP"; exit 1; }

J=$WORK/storm.json
start=$SECONDS
in_cli timeout 90 "$STORM" --interface "$PFX-c" --nodes 50 --mix bios=50,uefi=40,ipxe=10 \
  --timeout-scale 0.25 --max-time 75 --json "$J" >"$WORK/storm.out" 2>"$WORK/storm.err"
rc=$?
sed 's/^/  # /' "$WORK/storm.out"
check "rackboot-storm exits 0 (every node booted) within 90 s (rc $rc, $((SECONDS - start)) s)" [ $rc = 0 ]
check "no errors on stderr" [ ! -s "$WORK/storm.err" ]
check "the summary says 50 of 50 completed" grep -q '^completed 50 of 50, failed 0' "$WORK/storm.out"

# The JSON against the files served and against itself; prints one
# "name=value" per line for the checks below, or "error=..." on a mismatch.
/usr/bin/python3 - "$J" "$R" >"$WORK/verdict" 2>&1 <<'PYEOF'
import ipaddress, json, os, sys
d = json.load(open(sys.argv[1]))
root = sys.argv[2]
size = lambda f: os.path.getsize(os.path.join(root, f))
nodes, s = d["nodes"], d["summary"]
err = []
def bad(m):
    if len(err) < 10:
        err.append(m)
want_tftp = {"bios": size("undionly.kpxe"), "uefi": size("ipxe.efi"), "ipxe": 0}
want_http = size("vmlinuz") + size("initrd.img")
kinds = {}
lo, hi = ipaddress.ip_address("198.18.0.100"), ipaddress.ip_address("198.18.0.199")
ips = set()
for n in nodes:
    k = n["kind"]
    kinds[k] = kinds.get(k, 0) + 1
    i = n["idx"]
    if n["status"] != "ok":
        bad("node %d: %s in %s: %s" % (i, n["status"], n["fail_phase"], n["fail_reason"]))
    if n["mac"] != "02:53:00:00:%02x:%02x" % (i >> 8, i & 255):
        bad("node %d: mac %s" % (i, n["mac"]))
    if n["tftp_bytes"] != want_tftp[k] or (k != "ipxe" and n["tftp_tsize"] != want_tftp[k]):
        bad("node %d (%s): tftp %d bytes, tsize %d, want %d" % (i, k, n["tftp_bytes"], n["tftp_tsize"], want_tftp[k]))
    if n["http_bytes"] != want_http:
        bad("node %d: http %d bytes, want %d" % (i, n["http_bytes"], want_http))
    if not n["script_bytes"]:
        bad("node %d: no script" % i)
    # options as each firmware asks them, granted by rackbootd
    opts = {"bios": ((1432, 1456), 1), "uefi": ((1468,), 4), "ipxe": ((0,), 0)}[k]
    if n["tftp_blksize"] not in opts[0] or n["tftp_windowsize"] != opts[1]:
        bad("node %d (%s): blksize %d windowsize %d" % (i, k, n["tftp_blksize"], n["tftp_windowsize"]))
    ip = n["ip"] and ipaddress.ip_address(n["ip"])
    if not ip or not lo <= ip <= hi:
        bad("node %d: address %s out of the range" % (i, n["ip"]))
    ips.add(n["ip"])
    want = ["ipxe_dhcp", "http"] if k == "ipxe" else ["dhcp", "tftp", "ipxe_dhcp", "http"]
    ph = n["phases"]
    if sorted(ph) != sorted(want):
        bad("node %d: phases %s, want %s" % (i, sorted(ph), want))
        continue
    t = 0
    for p in want:
        if ph[p]["end_ms"] is None or not t <= ph[p]["start_ms"] <= ph[p]["end_ms"]:
            bad("node %d: phase %s out of order (%s)" % (i, p, ph[p]))
        t = ph[p]["end_ms"] or t
    if abs(n["end_ms"] - ph["http"]["end_ms"]) > 0.01:
        bad("node %d: ends at %s, http at %s" % (i, n["end_ms"], ph["http"]["end_ms"]))
    # no proxyDHCP here: boot information from rackbootd's own ACKs, no port 4011
    if n["proxy_4011"] or any(ph[p]["boot_from"] != "ack" for p in want if "dhcp" in p):
        bad("node %d: proxy_4011 %d, boot from %s" % (i, n["proxy_4011"],
            [ph[p]["boot_from"] for p in want if "dhcp" in p]))
if s["proxy_4011_sent"] or s["proxy_4011"]:
    bad("summary: %d ProxyDHCPREQUESTs sent without a proxy" % s["proxy_4011_sent"])
print("kinds=%d/%d/%d" % (kinds.get("bios", 0), kinds.get("uefi", 0), kinds.get("ipxe", 0)))
print("distinct_ips=%d" % len(ips))
for f, key in (("tftp_bytes", "bytes_tftp"), ("http_bytes", "bytes_http"), ("script_bytes", "bytes_script")):
    print("sum_%s=%s" % (f, "ok" if sum(n[f] for n in nodes) == s[key] else "%d != %d" % (sum(n[f] for n in nodes), s[key])))
print("summary_total=%s" % ("ok" if s["bytes_tftp"] + s["bytes_http"] + s["bytes_script"] == s["bytes_total"] else "bad"))
print("completed=%d" % s["completed"])
print("http_503=%d" % sum(n["http_503"] for n in nodes))
print("p_http=%d" % s["phases"]["http"]["n"])
for n in nodes:
    print("lease=%s %s" % (n["ip"], n["mac"]))
print("errors=%d" % len(err))
for e in err:
    print("error=" + e)
PYEOF
v() { sed -n "s/^$1=//p" "$WORK/verdict" | head -1; }
grep '^error=' "$WORK/verdict" | sed 's/^/  # /'
grep -q '^errors=' "$WORK/verdict" || sed 's/^/  # /' "$WORK/verdict"
check "per-node JSON: every node ok, MAC, bytes = file sizes, TFTP options, address in range, phases in order, boot info from the ACKs, no port 4011" \
  [ "$(v errors)" = 0 ]
check "mix 50/40/10 of 50 nodes: 25 BIOS, 20 UEFI, 5 iPXE (got $(v kinds))" [ "$(v kinds)" = 25/20/5 ]
check "50 distinct addresses (got $(v distinct_ips))" [ "$(v distinct_ips)" = 50 ]
check "per-node TFTP bytes add up to the summary" [ "$(v sum_tftp_bytes)" = ok ]
check "per-node HTTP bytes add up to the summary" [ "$(v sum_http_bytes)" = ok ]
check "per-node script bytes add up to the summary" [ "$(v sum_script_bytes)" = ok ]
check "the summary's total is the sum of its parts" [ "$(v summary_total)" = ok ]
tb=$(sed -n 's/^bytes: tftp \([0-9]*\), http \([0-9]*\) .*/\1 \2/p' "$WORK/storm.out")
check "the text summary's byte counts are the JSON's ($tb)" \
  [ "$tb" = "$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["bytes_tftp"], s["bytes_http"])' "$J")" ]

# rackbootd's side of the story: its 503s are the storm's waits (nothing
# else is answered 5xx here), its lease table the storm's addresses
m5=$(http_metric 8080 'rackboot_http_responses_total{code="5xx"}')
check "storm waited out $(v http_503) 503s = rackbootd's 5xx responses ($m5), at least one" \
  [ "$(v http_503)" = "$m5" -a "$m5" != none -a "$m5" != 0 ]
stop_pid $RB_PID
"$RACKBOOTD" --list-leases --state-dir "$WORK/state" | awk '$3 == "bound" { print $1, $2 }' | sort >"$WORK/leases"
check "rackbootd lists 50 bound leases (got $(wc -l <"$WORK/leases"))" [ "$(wc -l <"$WORK/leases")" = 50 ]
sed -n 's/^lease=//p' "$WORK/verdict" | sort >"$WORK/storm-leases"
check "each node's address and MAC are a bound lease of rackbootd's" cmp -s "$WORK/leases" "$WORK/storm-leases"
n=$(grep -c 'client does not accept options' "$WORK/rackbootd.log")
check "rackbootd saw the EDK2 size probe aborted by each of the 20 UEFI nodes (got $n)" [ "$n" -ge 20 ]
left=$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)
check "the leased addresses are removed from the client interface (left: $left, the test's own)" [ "$left" = 1 ]

# --- a run that stops after TFTP, against a fresh server ---------------------------
start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address $SRV_IP/24 --root "$R" \
  --state-dir "$WORK/state2" --dhcp-range 198.18.0.100,198.18.0.199 --http-port 8080
J2=$WORK/storm2.json
in_cli timeout 60 "$STORM" --interface "$PFX-c" --nodes 20 --mac-base 02:53:00:01:00:00 \
  --phases dhcp,tftp --timeout-scale 0.25 --max-time 45 --json "$J2" >"$WORK/storm2.out" 2>&1
rc=$?
check "--phases dhcp,tftp: 20 of 20 complete (rc $rc)" grep -q '^completed 20 of 20, failed 0' "$WORK/storm2.out"
res=$(/usr/bin/python3 - "$J2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [n["idx"] for n in d["nodes"]
       if n["http_bytes"] or "http" in n["phases"]
       or (n["kind"] != "ipxe" and set(n["phases"]) != {"dhcp", "tftp"})
       or (n["kind"] == "ipxe" and set(n["phases"]) != {"ipxe_dhcp"})]
print("ok" if not bad and d["summary"]["bytes_http"] == 0 else "bad nodes %s" % bad)
PYEOF
)
check "--phases dhcp,tftp: no HTTP, PXE nodes stop after TFTP, iPXE nodes after their DHCP ($res)" [ "$res" = ok ]
check "--phases dhcp,tftp: the leased addresses are gone" \
  [ "$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)" = 1 ]
finish
