#!/usr/bin/env bash
# rackboot-storm in a proxyDHCP setup: on one bridged segment dnsmasq
# (198.18.0.3, namespace $PFX-d) hands out addresses and nothing to boot,
# rackbootd --proxy-dhcp (198.18.0.1) answers with boot information only
# and serves TFTP and HTTP. Each of 30 nodes must take its address from
# dnsmasq's offer and its boot file / script URL from rackbootd's proxy
# offer (whichever arrives first, within the proxy window), boot to the
# initrd from rackbootd, and hold a dnsmasq lease. The client interface
# starts without any address: the leased ones (with dnsmasq's /24) are the
# only ones, and are all gone afterwards.
source "$(dirname "$0")/lib.sh"
need dnsmasq ip ss timeout /usr/bin/python3 "$RACKBOOTD"
rb_bin
storm_bin
IPXE=/usr/lib/ipxe
for f in undionly.kpxe ipxe.efi; do
  [ -s "$IPXE/$f" ] || { fail "$IPXE/$f is missing (package ipxe; run make deps)"; exit 1; }
done
netns_bridge_setup d
NS_D=$PFX-d
ip -n "$NS_D" addr add 198.18.0.3/24 dev "$PFX-d"
R=$WORK/root
mkdir -p "$R"
cp "$IPXE/undionly.kpxe" "$IPXE/ipxe.efi" "$R/"
mkrand "$R/vmlinuz" $((1 << 20))
mkrand "$R/initrd.img" $((1 << 20))
storm_rb_conf "$WORK/rb.conf" vmlinuz initrd.img
start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address $SRV_IP/24 --root "$R" \
  --state-dir "$WORK/state" --proxy-dhcp --http-port 8080
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
check "rackbootd handed out no address" [ ! -e "$WORK/state/leases.sqlite3" ]
left=$(ip -n "$NS_CLI" -4 -o addr show dev "$PFX-c" | wc -l)
check "no address left on the client interface (left: $left)" [ "$left" = 0 ]
finish
