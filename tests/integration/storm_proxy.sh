#!/usr/bin/env bash
# rackboot-storm in a proxyDHCP setup: on one bridged segment dnsmasq
# (198.18.0.3, namespace $PFX-d) hands out addresses and nothing to boot,
# rackbootd --proxy-dhcp (198.18.0.1) answers with boot information only
# and serves TFTP and HTTP. Each of 30 nodes must take its address from
# dnsmasq's offer and its boot information from rackbootd (whichever offer
# arrives first, within the proxy window), boot to the initrd from
# rackbootd, and hold a dnsmasq lease. As real firmware does (see
# tests/e2e/proxy_dhcp.sh), after each DORA whose boot information came
# from the proxy offer the node asks rackbootd again on port 4011 from its
# leased address and boots what the ProxyDHCPACK says: EDK2 and iPXE
# always, a BIOS ROM not (rackbootd's offer to it has PXE discovery
# control 8, "boot this file"). rackbootd's log (-v) must show every
# "PXE boot ACK" the JSON claims, to the node's MAC and address. The client
# interface starts without any address: the leased ones (with dnsmasq's
# /24) are the only ones, and are all gone afterwards. Then with port 4011
# dropped at the server, every node fails with proxy-timeout after four
# requests.
source "$(dirname "$0")/lib.sh"
need dnsmasq ip ss timeout /usr/bin/python3 "$RACKBOOTD"
rb_bin
storm_bin
netns_bridge_setup d
NS_D=$PFX-d
ip -n "$NS_D" addr add 198.18.0.3/24 dev "$PFX-d"
storm_root $((1 << 20)) $((1 << 20))
ipxe_files "$R"
start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address $SRV_IP/24 --root "$R" \
  --state-dir "$WORK/state" --proxy-dhcp --http-port 8080 -v
wait_until 5 tcp_listening 8080 || { fail "rackbootd does not listen on HTTP"; exit 1; }
# --no-ping: dnsmasq would otherwise ping each address first (offers ~3 s late)
ip netns exec "$NS_D" dnsmasq --no-daemon --port=0 --conf-file=/dev/null --user=root \
  --dhcp-range=198.18.0.100,198.18.0.199,255.255.255.0 --dhcp-leasefile="$WORK/dnsmasq.leases" \
  --interface="$PFX-d" --bind-interfaces --no-ping >"$WORK/dnsmasq.log" 2>&1 &
DM_PID=$!
at_exit "stop_pid $DM_PID"
wait_until 5 udp_bound "$NS_D" 67 || { fail "dnsmasq did not start"; sed 's/^/  # /' "$WORK/dnsmasq.log"; exit 1; }

J=$WORK/storm.json
in_cli timeout 60 "$STORM" --interface "$PFX-c" --nodes 30 --mix bios=50,uefi=40,ipxe=10 \
  --timeout-scale 0.25 --max-time 45 --json "$J" >"$WORK/storm.out" 2>&1
rc=$?
sed 's/^/  # /' "$WORK/storm.out"
check "every node boots through proxyDHCP (rc $rc)" grep -q '^completed 30 of 30, failed 0' "$WORK/storm.out"
res=$(/usr/bin/python3 - "$J" "$R" <<'PYEOF'
import ipaddress, json, os, sys
d = json.load(open(sys.argv[1]))
size = lambda f: os.path.getsize(os.path.join(sys.argv[2], f))
want = {"bios": size("undionly.kpxe"), "uefi": size("ipxe.efi"), "ipxe": 0}
lo, hi = ipaddress.ip_address("198.18.0.100"), ipaddress.ip_address("198.18.0.199")
bad = [n["idx"] for n in d["nodes"]
       if n["status"] != "ok" or n["tftp_bytes"] != want[n["kind"]]
       or n["http_bytes"] != 2 << 20 or n["prefix"] != 24
       or not lo <= ipaddress.ip_address(n["ip"] or "0.0.0.0") <= hi]
ips = {n["ip"] for n in d["nodes"]}
print("ok" if not bad and len(ips) == 30 else "bad nodes %s, %d addresses" % (bad[:10], len(ips)))
PYEOF
)
check "addresses from dnsmasq's range (/24), boot files and images from rackbootd ($res)" [ "$res" = ok ]
po=$(sed -n 's/.*offers \([0-9]*\) + proxy \([0-9]*\),.*/\1 \2/p' "$WORK/storm.out")
check "the storm saw address offers and proxy offers for both DORAs (offers, proxy: $po)" \
  [ "${po% *}" -ge 55 -a "${po#* }" -ge 55 ]
n=$(wc -l <"$WORK/dnsmasq.leases")
check "dnsmasq holds 30 leases (got $n)" [ "$n" = 30 ]

# Port 4011: which DORAs asked, what the JSON says, what rackbootd answered.
res=$(/usr/bin/python3 - "$J" "$WORK/rackbootd.log" <<'PYEOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
log = open(sys.argv[2], errors="replace").read()
# PXE boot ACK <ciaddr> to <mac> (<why>: <file>), as rackbootd -v logs it
# ("PXE boot ACK (kernel) ..." when the eBPF fast path answered it)
acks = re.findall(r"PXE boot ACK (?:\(kernel\) )?(\S+) to (\S+) \(([^:]+): (\S+)\)", log)
# firmware DORA (bios, uefi), iPXE DORA: where the boot information came from
want = {"bios": (1, "proxy-offer"), "uefi": (2, "proxy-ack"), "ipxe": (1, None)}
bad = []
for n in d["nodes"]:
    k, ph = n["kind"], n["phases"]
    count, fw_from = want[k]
    mine = [a for a in acks if a[1] == n["mac"]]
    script = [a for a in mine if a[2] == "ipxe" and a[3].endswith("/boot.ipxe")]
    efi = [a for a in mine if a[3] == "ipxe.efi"]
    ok = (n["proxy_4011"] == count and len(mine) == count and len(script) == 1
          and all(a[0] == n["ip"] for a in mine)
          and ph["ipxe_dhcp"]["boot_from"] == "proxy-ack"
          and (fw_from is None or ph["dhcp"]["boot_from"] == fw_from)
          and len(efi) == (1 if k == "uefi" else 0))
    if not ok:
        bad.append((n["idx"], k, n["proxy_4011"], len(mine)))
s = d["summary"]
total = sum(n["proxy_4011"] for n in d["nodes"])
if s["proxy_4011"] != total or s["proxy_4011_sent"] != len(acks) or s["proxy_4011_nodes"] != 30:
    bad.append(("summary", s["proxy_4011"], s["proxy_4011_sent"], total, len(acks)))
print("ok %d" % total if not bad else "bad %s" % bad[:6])
PYEOF
)
check "every node asked port 4011 (uefi twice, bios and ipxe once) and booted what its ACK said, as rackbootd logged ($res)" \
  [ "${res%% *}" = ok ]
px=$(sed -n 's/^proxy 4011: \([0-9]*\) requests sent, \([0-9]*\) acks (\([0-9]*\) nodes), \([0-9]*\) stray$/\1 \2 \3 \4/p' "$WORK/storm.out")
check "the summary counts them: sent = acked, 30 nodes, no stray ($px)" \
  [ -n "$px" ] && read -r a b c d <<<"$px" && [ "$a" = "$b" -a "$c" = 30 -a "$d" = 0 -a "$a" = "${res#ok }" ]
check "rackbootd handed out no address" [ ! -e "$WORK/state/leases.sqlite3" ]
left=$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)
check "no address left on the client interface (left: $left)" [ "$left" = 0 ]

# No answer on port 4011: the firmware DORA of the UEFI node and the iPXE
# DORAs of the others end in proxy-timeout after 4 requests (4, 8, 16,
# 32 s scaled by 0.05: 3 s). Started 0.2 s apart: dnsmasq picks an
# address by hashing the MAC and does not hold an offered one, so two
# nodes asking at once may be offered the same (the second REQUEST gets a
# NAK). The bridge loses them: a drop at the server's own ingress hook
# would come after the fast path's TC program, which answers port 4011.
_nft "$NS_BR" "add table bridge no4011
add chain bridge no4011 drop4011 { type filter hook forward priority 0; }
add rule bridge no4011 drop4011 ip protocol udp udp dport 4011 counter drop"
in_cli timeout 60 "$STORM" --interface "$PFX-c" --nodes 3 --mix bios=1,uefi=1,ipxe=1 \
  --start ramp:5 --mac-base 02:53:00:00:01:00 --timeout-scale 0.05 --max-time 30 --json "$J" >"$WORK/storm2.out" 2>&1
rc=$?
sed 's/^/  # /' "$WORK/storm2.out"
res=$(/usr/bin/python3 - "$J" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = {"bios": "ipxe_dhcp", "uefi": "dhcp", "ipxe": "ipxe_dhcp"}
bad = [n["idx"] for n in d["nodes"]
       if n["status"] != "failed" or n["fail_reason"] != "proxy-timeout"
       or n["fail_phase"] != want[n["kind"]] or n["proxy_4011"] != 0
       or n["phases"][want[n["kind"]]]["retries"] != 3]
print("ok" if not bad and d["summary"]["proxy_4011_sent"] == 12 else "bad %s" % bad)
PYEOF
)
check "without port 4011 every node fails with proxy-timeout after 4 requests (rc $rc, $res)" \
  [ "$rc" = 1 -a "$res" = ok ]
dropped=$(_nft "$NS_BR" "list table bridge no4011" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
check "... and the segment lost exactly those 12 requests to port 4011 (dropped: $dropped)" [ "$dropped" = 12 ]
left=$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)
check "no address left on the client interface (left: $left)" [ "$left" = 0 ]
finish
