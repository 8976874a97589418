#!/usr/bin/env bash
# Real DHCP clients against rackbootd as a full DHCP server, configured from
# a config file: busybox udhcpc with and without the broadcast flag (without
# it the server unicasts to the new address, injecting an ARP entry first),
# ISC dhclient (DORA, then INIT-REBOOT with its lease file, then RELEASE),
# dhcpcd 9 (oneshot, private /run and /var/lib/dhcpcd), a host reservation
# (MAC -> fixed address + hostname), a unicast RENEWING request (udhcpc
# SIGUSR1) and RELEASE (udhcpc -R), a DHCPINFORM (crafted: none of these
# clients sends one that works here, see below), and the lease table
# (rackbootd --list-leases) against what the clients were given.
# Every client must see: mask 255.255.255.0, router 198.18.0.1, DNS
# 198.18.0.53 198.18.0.54, domain rack1.example.net, MTU 1400, lease 7200 s.
# The server under test is $RACKBOOTD (default build/rackbootd).
source "$(dirname "$0")/lib.sh"
need busybox dhclient dhcpcd ip ss python3 timeout "$SCAPY_PY" "$RACKBOOTD"
rb_bin                                      # one copy of the server for the whole test
netns_setup
at_exit ns_kill_all
IFC=$PFX-c
in_cli ip -4 addr flush dev "$IFC"          # a DHCP client has no address yet

D=$WORK/root; S=$WORK/state; O=$WORK/out
mkdir -p "$D" "$O"
LO=198.18.0.100; HI=198.18.0.150
cat >"$WORK/rackbootd.conf" <<EOF
interface $PFX-s
address $SRV_IP/24
root $D
state-dir $S
subnet 198.18.0.0/24 {
    range $LO $HI
    router $SRV_IP
    dns 198.18.0.53 198.18.0.54
    domain rack1.example.net
    mtu 1400
    lease-time 7200
}
host node42 {
    mac 02:42:00:00:00:42
    address 198.18.0.42
}
EOF
start_rackbootd --config "$WORK/rackbootd.conf" -vv
# every DHCP datagram on the client's wire, both ways, for the routing checks
dhcp_sniff "$NS_CLI" "$IFC" "$O/wire.txt" 120

cli() { in_cli timeout 30 "$@"; }           # every client command is time-bounded
use_mac() { # the next client: a new MAC, no address, no routes
  in_cli ip -4 addr flush dev "$IFC"; in_cli ip -4 route flush dev "$IFC" 2>/dev/null
  in_cli ip link set dev "$IFC" address "$1"
}
# the packets the sniffer saw for one client (by chaddr) of one type, one direction
wire() { grep -E "^dir=$3 .* type=$2 .* chaddr=$1 " "$O/wire.txt"; }   # mac, type, in|out
# lease-table rows for a MAC, and the field N (1 ip, 3 state, 5 hostname) of its row
lease_of() { rb_leases "$S" | awk -v m="$1" -v f="$2" '$2 == m { print $f }'; }   # mac, field

# Everything a client is told, by the env names of udhcpc (u) or of
# dhclient/dhcpcd (d, the dhclient-script names).
U_OPTS=(subnet=255.255.255.0 router=$SRV_IP "dns=198.18.0.53 198.18.0.54"
        domain=rack1.example.net mtu=1400 lease=7200 serverid=$SRV_IP)
D_OPTS=(new_subnet_mask=255.255.255.0 new_routers=$SRV_IP
        "new_domain_name_servers=198.18.0.53 198.18.0.54" new_domain_name=rack1.example.net
        new_interface_mtu=1400 new_dhcp_lease_time=7200 new_dhcp_server_identifier=$SRV_IP)
# name, env dump, ip key, option list name: two checks (address in range, options)
check_lease() {
  local name=$1 f=$2 ipkey=$3 lo=${5:-$LO} hi=${6:-$HI} ip
  local -n opts=$4
  ip=$(kv_get "$f" "$ipkey" 2>/dev/null)
  check "$name: leased an address in $lo..$hi (${ip:-none})" ip_in_range "${ip:-x}" "$lo" "$hi"
  check "$name: mask, router, DNS, domain, MTU, lease time and server id as configured" \
    env_has "$f" "${opts[@]}"
}
declare -A IP                                # client MAC -> address it was given

# --- busybox udhcpc, broadcast flag set (-B) ---------------------------------------
MA=02:00:00:00:01:01
use_mac $MA
dhcp_hook_script "$WORK/hook-ua" "$O/ua"
cli busybox udhcpc -f -q -n -B -t 4 -T 1 -i "$IFC" -x hostname:udhcpc-a -s "$WORK/hook-ua" \
  >"$O/ua.log" 2>&1 || echo "  # udhcpc -B failed: $(tr '\n' ' ' <"$O/ua.log")"
check_lease "udhcpc -B" "$O/ua.bound" ip U_OPTS
IP[$MA]=$(kv_get "$O/ua.bound" ip 2>/dev/null)
check "udhcpc -B: OFFER and ACK were broadcast (IP and Ethernet)" eval '
  [ "$(wire $MA OFFER in | wc -l)" -ge 1 ] && [ "$(wire $MA ACK in | wc -l)" -ge 1 ] &&
  ! wire $MA "(OFFER|ACK)" in | grep -qv "ethdst=ff:ff:ff:ff:ff:ff src=$SRV_IP dst=255.255.255.255 "'

# --- busybox udhcpc without -B: unicast replies ---------------------------------------
MB=02:00:00:00:01:02
use_mac $MB
dhcp_hook_script "$WORK/hook-ub" "$O/ub"
cli busybox udhcpc -f -q -n -t 4 -T 1 -i "$IFC" -x hostname:udhcpc-b -s "$WORK/hook-ub" \
  >"$O/ub.log" 2>&1 || echo "  # udhcpc failed: $(tr '\n' ' ' <"$O/ub.log")"
check_lease "udhcpc (no broadcast flag)" "$O/ub.bound" ip U_OPTS
IP[$MB]=$(kv_get "$O/ub.bound" ip 2>/dev/null)
check "udhcpc (no broadcast flag): OFFER and ACK unicast to ${IP[$MB]:-?} at $MB" eval '
  [ -n "${IP[$MB]}" ] && [ "$(wire $MB OFFER in | wc -l)" -ge 1 ] && [ "$(wire $MB ACK in | wc -l)" -ge 1 ] &&
  ! wire $MB "(OFFER|ACK)" in | grep -qv "ethdst=$MB src=$SRV_IP dst=${IP[$MB]} "'
check "server injected an ARP entry ${IP[$MB]:-?} -> $MB before unicasting" \
  eval 'in_srv ip neigh show to "${IP[$MB]}" dev $PFX-s | grep -q "lladdr $MB"'

# --- ISC dhclient: DORA, INIT-REBOOT from its lease file -------------------------------
MC=02:00:00:00:01:03
use_mac $MC
dhcp_hook_script "$WORK/hook-dc" "$O/dc" configure
cat >"$WORK/dhclient.conf" <<EOF
send host-name "dhclient-c";
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,
        host-name, interface-mtu;
EOF
DHCLIENT=(dhclient -v -cf "$WORK/dhclient.conf" -sf "$WORK/hook-dc" -lf "$O/dc.leases"
          -pf "$O/dc.pid")
# -1: one try; on success it forks to the background (stopped below with -x)
cli "${DHCLIENT[@]}" -1 "$IFC" >"$O/dc.log" 2>&1 || echo "  # dhclient failed: $(tr '\n' ' ' <"$O/dc.log")"
check_lease "dhclient" "$O/dc.BOUND" new_ip_address D_OPTS
IP[$MC]=$(kv_get "$O/dc.BOUND" new_ip_address 2>/dev/null)
check "dhclient (no broadcast flag): ACK unicast to ${IP[$MC]:-?} at $MC" eval '
  [ -n "${IP[$MC]}" ] && [ "$(wire $MC ACK in | wc -l)" -ge 1 ] &&
  ! wire $MC ACK in | grep -qv "ethdst=$MC src=$SRV_IP dst=${IP[$MC]} "'
cli "${DHCLIENT[@]}" -x "$IFC" >>"$O/dc.log" 2>&1        # stop, keeping the lease
in_cli ip -4 addr flush dev "$IFC"
cli "${DHCLIENT[@]}" -1 "$IFC" >"$O/dc2.log" 2>&1 || echo "  # dhclient (again) failed: $(tr '\n' ' ' <"$O/dc2.log")"
check "dhclient restarted with its lease file: INIT-REBOOT REQUEST ACKed, same address ${IP[$MC]:-?}" \
  eval '[ -n "${IP[$MC]}" ] && env_has "$O/dc.REBOOT" "new_ip_address=${IP[$MC]}" new_dhcp_lease_time=7200 &&
        ! grep -q DHCPDISCOVER "$O/dc2.log"'
cli "${DHCLIENT[@]}" -x "$IFC" >>"$O/dc2.log" 2>&1

# --- dhcpcd 9, oneshot ------------------------------------------------------------------
# Its test mode (-T) segfaults after the first OFFER in Debian 12's 9.4.1
# (Debian #1041204, upstream dhcpcd#232), so it binds for real (-1 -B): in a
# mount namespace of its own (ip netns exec gives one) with tmpfs on /run and
# /var/lib/dhcpcd, so nothing of the host's changes. No ARP probe (-noarp):
# that only tests the client and costs seconds.
MD=02:00:00:00:01:04
use_mac $MD
dhcp_hook_script "$WORK/hook-dd" "$O/dd"
cat >"$WORK/dhcpcd.conf" <<EOF
option subnet_mask, routers, domain_name_servers, domain_name, host_name, interface_mtu
hostname dhcpcd-d
noipv4ll
noarp
EOF
cli sh -c 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/dhcpcd &&
           exec dhcpcd -1 -4 -B -t 15 -f "$1" -c "$2" "$3"' sh "$WORK/dhcpcd.conf" "$WORK/hook-dd" "$IFC" \
  >"$O/dd.log" 2>&1 || echo "  # dhcpcd failed: $(tr '\n' ' ' <"$O/dd.log")"
check_lease "dhcpcd" "$O/dd.BOUND" new_ip_address D_OPTS
IP[$MD]=$(kv_get "$O/dd.BOUND" new_ip_address 2>/dev/null)

# --- a reserved host: its fixed address and its name -------------------------------------
MH=02:42:00:00:00:42
use_mac $MH
dhcp_hook_script "$WORK/hook-uh" "$O/uh"
cli busybox udhcpc -f -q -n -t 4 -T 1 -i "$IFC" -s "$WORK/hook-uh" >"$O/uh.log" 2>&1 ||
  echo "  # udhcpc (node42) failed: $(tr '\n' ' ' <"$O/uh.log")"
check "reserved host $MH gets 198.18.0.42 and hostname node42" env_has "$O/uh.bound" ip=198.18.0.42 hostname=node42
check_lease "reserved host" "$O/uh.bound" ip U_OPTS 198.18.0.42 198.18.0.42
IP[$MH]=$(kv_get "$O/uh.bound" ip 2>/dev/null)

# --- DHCPINFORM: options for a client that has its address already -----------------------
# (dhcpcd --inform segfaults at start in 9.4.1 here; udhcpc and dhclient
# never send INFORM; so it is crafted with scapy.)
MI=02:00:00:00:01:06
use_mac $MI
in_cli ip addr add 198.18.0.200/24 dev "$IFC"
dhcp_inform "$NS_CLI" "$IFC" 198.18.0.200 >"$O/inform.txt" 2>&1
DOMAIN_HEX=$(printf %s rack1.example.net | od -An -tx1 | tr -d ' \n')   # how dhcpc.py prints option 15
check "DHCPINFORM (broadcast, ciaddr 198.18.0.200): an ACK unicast to the ciaddr, yiaddr 0, no lease time" eval '
  env_has "$O/inform.txt" type=ACK yiaddr=0.0.0.0 ciaddr=198.18.0.200 server_id=$SRV_IP &&
  ! grep -q "^lease_time=" "$O/inform.txt" && wire $MI ACK in | grep -q "dst=198.18.0.200 "'
check "DHCPINFORM ACK: mask, router, DNS, domain, MTU as configured" eval '
  env_has "$O/inform.txt" subnet_mask=255.255.255.0 router=$SRV_IP domain=$DOMAIN_HEX interface-mtu=1400 \
    name_server=198.18.0.53,198.18.0.54'
check "DHCPINFORM made no lease" eval '[ -z "$(lease_of $MI 1)" ]'

# --- udhcpc stays up: RENEWING (unicast REQUEST with ciaddr) on SIGUSR1 -------------------
MR=02:00:00:00:01:05
use_mac $MR
dhcp_hook_script "$WORK/hook-ur" "$O/ur" configure
ip netns exec "$NS_CLI" timeout 60 busybox udhcpc -f -R -t 4 -T 1 -i "$IFC" -p "$O/ur.pid" -x hostname:udhcpc-r \
  -s "$WORK/hook-ur" >"$O/ur.log" 2>&1 &
UR_PID=$!
at_exit "stop_pid $UR_PID"
wait_until 10 test -s "$O/ur.bound"
check_lease "udhcpc (long-running)" "$O/ur.bound" ip U_OPTS
IP[$MR]=$(kv_get "$O/ur.bound" ip 2>/dev/null)
wait_until 5 test -s "$O/ur.pid"
kill -USR1 "$(cat "$O/ur.pid" 2>/dev/null)" 2>/dev/null
wait_until 10 test -s "$O/ur.renew"
check "udhcpc renew (SIGUSR1): same address ${IP[$MR]:-?}, lease 7200 again" \
  eval '[ -n "${IP[$MR]}" ] && env_has "$O/ur.renew" "ip=${IP[$MR]}" lease=7200'
check "the renewal was RENEWING: REQUEST unicast from ${IP[$MR]:-?} with ciaddr, ACK unicast back" eval '
  wire $MR REQUEST out | grep -q "src=${IP[$MR]} dst=$SRV_IP .* ciaddr=${IP[$MR]} " &&
  wire $MR ACK in | grep -q "src=$SRV_IP dst=${IP[$MR]} .* yiaddr=${IP[$MR]} "'

# --- the lease table now: one bound row per client, as handed out -------------------------
rb_leases "$S" >"$O/leases.txt" 2>&1
sed 's/^/  # /' "$O/leases.txt"
now=$(date +%s)
for m in $MA $MB $MC $MD $MH $MR; do
  row=$(awk -v m=$m '$2 == m && $3 == "bound"' "$O/leases.txt")
  check "lease table: $m bound to ${IP[$m]:-?}" eval '[ -n "${IP[$m]}" ] && [ "$(awk "{print \$1}" <<<"$row")" = "${IP[$m]}" ]'
done
check "lease table: no address bound twice" \
  eval '[ -z "$(awk "\$3 == \"bound\" {print \$1}" "$O/leases.txt" | sort | uniq -d)" ]'
check "lease table: only our six clients are bound" \
  test "$(awk '$3 == "bound"' "$O/leases.txt" | wc -l)" = 6
exp=$(awk -v m=$MA '$2 == m {print $4}' "$O/leases.txt")
exp_s=$(date -u -d "$(sed 's/T/ /; s/Z$//' <<<"${exp:-x}")" +%s 2>/dev/null || echo 0)
check "lease table: expiry is now + 7200 s ($exp)" eval '[ $((exp_s - now)) -ge 7100 ] && [ $((exp_s - now)) -le 7300 ]'
check "lease table: hostnames (client option 12, the reservation's name)" eval '
  [ "$(lease_of $MA 5)" = udhcpc-a ] && [ "$(lease_of $MC 5)" = dhclient-c ] &&
  [ "$(lease_of $MD 5)" = dhcpcd-d ] && [ "$(lease_of $MH 5)" = node42 ]'

# --- RELEASE: udhcpc -R on SIGTERM, dhclient -r -----------------------------------------------
kill -TERM "$(cat "$O/ur.pid" 2>/dev/null)" 2>/dev/null
wait_until 10 eval '! kill -0 $UR_PID 2>/dev/null'
check "udhcpc -R sent a RELEASE on SIGTERM" eval 'wire $MR RELEASE out | grep -q "ciaddr=${IP[$MR]} "'
check "after udhcpc's RELEASE the lease of $MR is free" \
  wait_until 5 eval '[ "$(lease_of $MR 3)" = free ]'
use_mac $MC
in_cli ip addr add "${IP[$MC]:-198.18.0.99}/24" dev "$IFC"
cli "${DHCLIENT[@]}" -r "$IFC" >"$O/dc3.log" 2>&1
check "dhclient -r sent a RELEASE" eval 'wire $MC RELEASE out | grep -q "ciaddr=${IP[$MC]} "'
check "after dhclient's RELEASE the lease of $MC is free" \
  wait_until 5 eval '[ "$(lease_of $MC 3)" = free ]'
check "the other leases are still bound" \
  eval '[ "$(rb_leases "$S" | awk "\$3 == \"bound\"" | wc -l)" = 4 ]'

check "server never failed to set an ARP entry or to send" \
  eval '! grep -E "cannot set ARP entry|dhcp: send to" "$WORK/rackbootd.log"'
check "server still running" kill -0 "$RB_PID"
finish
