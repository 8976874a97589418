#!/usr/bin/env bash
# rackbootd --proxy-dhcp beside a real DHCP server on one switched segment:
# a bridge (namespace $PFX-br) joins rackbootd (198.18.0.1, $NS_SRV), the
# DHCP server (198.18.0.3, namespace $PFX-d: dnsmasq, then Kea) and the
# clients ($NS_CLI, no address until one is leased). PXE clients (crafted by
# dhcpc.py) must get two offers, the DHCP server's with an address and the
# proxy's with none but the boot file for their firmware; plain clients only
# the DHCP server's; the proxy answers a port-4011 boot-server REQUEST; the
# file it names comes over TFTP from it intact; and it never hands out an
# address (checked on the wire and in its log).
# The server under test is $RACKBOOTD (default build/rackbootd).
source "$(dirname "$0")/lib.sh"
need busybox dnsmasq kea-dhcp4 tftp cmp ip ss python3 timeout "$SCAPY_PY" "$RACKBOOTD"
rb_bin                                      # one copy of the server for the whole test
netns_bridge_setup d
NS_D=$PFX-d; IFD=$PFX-d; IFC=$PFX-c; IFP=$PFX-s
DHCP_IP=198.18.0.3
ip -n "$NS_D" addr add $DHCP_IP/24 dev "$IFD"

D=$WORK/root; O=$WORK/out
mkdir -p "$D" "$O"
ipxe_files "$D"
# every DHCP datagram leaving or reaching the proxy, for "it hands out nothing"
dhcp_sniff "$NS_SRV" "$IFP" "$O/proxy-wire.txt" 120
start_rackbootd --interface "$IFP" --address $SRV_IP/24 --root "$D" \
  --state-dir "$WORK/state" --proxy-dhcp -vv
wait_until 5 udp_bound "$NS_SRV" 4011 || fail "proxy is not listening on port 4011"
wait_until 5 udp_bound "$NS_SRV" 69 || fail "proxy is not listening on TFTP port 69"

# dhcpc.py with every reply inside the wait, blocks separated by "--"; split
# into $O/NAME.1, .2, ... one reply each.
pxe() { # name, kind, dhcpc.py args...
  local name=$1; shift
  in_cli timeout 20 "$SCAPY_PY" "$DHCPC_PY" pxe "$IFC" "$@" >"$O/$name.txt" 2>&1
  rm -f "$O/$name".[0-9]
  awk -v p="$O/$name." 'BEGIN { n = 1 } /^--$/ { n++; next } { print > (p n) }' "$O/$name.txt"
}
nreplies() { ls "$O/$1".[0-9] 2>/dev/null | wc -l; }
# the reply among $O/NAME.* whose server_id is IP (file name), or nothing
reply_from() { grep -lx "server_id=$2" "$O/$1".[0-9] 2>/dev/null | head -1; }   # name, ip
show_replies() { sed 's/^/  # /' "$O/$1.txt"; }
# check, and on failure show what dhcpc.py printed for NAME
check_show() { # name, description, command...
  local n=$1 d=$2; shift 2
  if "$@"; then ok "$d"; else fail "$d"; show_replies "$n"; fi
}

# The DHCP server's offer (address in LO..HI, not our boot file) and the
# proxy's (yiaddr 0, FILE, siaddr us, PXEClient) for one PXE DISCOVER.
check_pxe_pair() { # name, kind, file, lo, hi, server
  local name=$1 kind=$2 file=$3 lo=$4 hi=$5 srv=$6 r p
  pxe "$name" "$kind" --all
  r=$(reply_from "$name" $DHCP_IP); p=$(reply_from "$name" $SRV_IP)
  check_show "$name" "$kind PXE DISCOVER: two offers, $srv's and the proxy's ($(nreplies "$name") replies)" \
    eval '[ "$(nreplies "$name")" = 2 ] && [ -n "$r" ] && [ -n "$p" ]'
  check "$kind: $srv offers an address in $lo..$hi and not our boot file" \
    eval '[ -n "$r" ] && env_has "$r" type=OFFER && ip_in_range "$(kv_get "$r" yiaddr)" $lo $hi &&
          [ "$(kv_get "$r" file)" != "$file" ]'
  # an http:// file (iPXE's script) needs no next-server; a TFTP file does
  local sia=siaddr=$SRV_IP
  [[ $file == http* ]] && sia=
  check "$kind: the proxy offers yiaddr 0.0.0.0, file $file,${sia:+ $sia,} vendor class PXEClient" \
    eval '[ -n "$p" ] && env_has "$p" type=OFFER yiaddr=0.0.0.0 "file=$file" vendor_class=PXEClient $sia'
}

# --- phase 1: dnsmasq as the DHCP server ------------------------------------------------
# --no-ping: dnsmasq otherwise pings each new address first and offers ~3 s
# late, after the PXE client (and udhcpc's first tries) have given up.
DM_LO=198.18.0.100; DM_HI=198.18.0.150
ip netns exec "$NS_D" dnsmasq --no-daemon --port=0 --conf-file=/dev/null --user=root \
  --dhcp-range=$DM_LO,$DM_HI,255.255.255.0 --dhcp-leasefile="$WORK/dnsmasq.leases" \
  --interface="$IFD" --bind-interfaces --log-dhcp --no-ping >"$WORK/dnsmasq.log" 2>&1 &
DM_PID=$!
at_exit "stop_pid $DM_PID"
wait_until 5 udp_bound "$NS_D" 67 || { fail "dnsmasq did not start"; sed 's/^/  # /' "$WORK/dnsmasq.log"; exit 1; }

check_pxe_pair bios bios undionly.kpxe $DM_LO $DM_HI dnsmasq
p=$(reply_from bios $SRV_IP)
check "bios: the proxy offer carries PXE option 43 (discovery control: boot the offered file)" \
  eval '[ -n "$p" ] && env_has "$p" vendor_specific=060108ff'
check "bios: the proxy offer went out broadcast" \
  eval 'grep -E "^dir=out .* dst=255\.255\.255\.255 sport=67 dport=68 .* type=OFFER .* file=undionly\.kpxe " "$O/proxy-wire.txt" | grep -q .'
check_pxe_pair efi9 efi9 ipxe.efi $DM_LO $DM_HI dnsmasq
check_pxe_pair efi7 efi7 ipxe.efi $DM_LO $DM_HI dnsmasq
check_pxe_pair ipxe ipxe "http://$SRV_IP:80/boot.ipxe" $DM_LO $DM_HI dnsmasq

pxe plain plain --all
check_show plain "plain (non-PXE) DISCOVER: only dnsmasq answers ($(nreplies plain) replies)" \
  eval '[ "$(nreplies plain)" = 1 ] && [ -n "$(reply_from plain $DHCP_IP)" ]'

pxe dora bios --all --dora
check_show dora "bios PXE client completes DORA with dnsmasq (ACK, server id $DHCP_IP, an address)" \
  eval 'env_has "$O/dora.1" type=ACK server_id=$DHCP_IP && ip_in_range "$(kv_get "$O/dora.1" yiaddr)" $DM_LO $DM_HI'

# busybox udhcpc (vendor class "udhcp ...": not a network-boot client)
dhcp_hook_script "$WORK/hook-u" "$O/u" configure
in_cli timeout 30 busybox udhcpc -f -q -n -t 4 -T 1 -i "$IFC" -s "$WORK/hook-u" >"$O/u.log" 2>&1 ||
  echo "  # udhcpc failed: $(tr '\n' ' ' <"$O/u.log")"
CIP=$(kv_get "$O/u.bound" ip 2>/dev/null)
check "udhcpc leases ${CIP:-nothing} from dnsmasq (server id $DHCP_IP)" \
  eval 'env_has "$O/u.bound" serverid=$DHCP_IP && ip_in_range "$CIP" $DM_LO $DM_HI'
check "dnsmasq recorded that lease" eval '[ -n "$CIP" ] && grep -q " $CIP " "$WORK/dnsmasq.leases"'

# --- the PXE boot server on port 4011, from the leased address --------------------------
pxe binl-efi9 efi9 --port 4011 --server $SRV_IP --ciaddr "${CIP:-0.0.0.0}"
check_show binl-efi9 "port 4011 REQUEST (efi9, ciaddr $CIP): ACK from $SRV_IP:4011, file ipxe.efi, yiaddr 0.0.0.0" \
  eval 'env_has "$O/binl-efi9.1" type=ACK from=$SRV_IP:4011 file=ipxe.efi yiaddr=0.0.0.0 \
          ciaddr=${CIP:-x} siaddr=$SRV_IP vendor_class=PXEClient'
pxe binl-bios bios --port 4011 --server $SRV_IP --ciaddr "${CIP:-0.0.0.0}"
check_show binl-bios "port 4011 REQUEST (bios): ACK, file undionly.kpxe, yiaddr 0.0.0.0" \
  eval 'env_has "$O/binl-bios.1" type=ACK from=$SRV_IP:4011 file=undionly.kpxe yiaddr=0.0.0.0'

# PXE ROMs that send from port 4011 get the answer on port 4011
pxe binl-4011 efi9 --port 4011 --server $SRV_IP --ciaddr "${CIP:-0.0.0.0}" --src-4011
check_show binl-4011 "port 4011 REQUEST from client port 4011: ACK comes back (to port 4011), file ipxe.efi" \
  eval 'env_has "$O/binl-4011.1" type=ACK from=$SRV_IP:4011 file=ipxe.efi yiaddr=0.0.0.0 &&
        grep -qE "^dir=out .* dst=${CIP:-x} sport=4011 dport=4011 .* type=ACK " "$O/proxy-wire.txt"'

# --- TFTP from the proxy: the file and server its offer named -------------------------------
p=$(reply_from bios $SRV_IP)
tf=$(kv_get "${p:-/dev/null}" file); ts=$(kv_get "${p:-/dev/null}" siaddr)
check "tftp-hpa fetches ${tf:-?} from ${ts:-?} (the proxy offer's file and siaddr), bytes intact" \
  eval '[ -n "$tf" ] && [ -n "$ts" ] &&
        in_cli timeout 30 tftp -m binary "$ts" -c get "$tf" "$O/got-$tf" >"$O/tftp.log" 2>&1 &&
        same "$IPXE/undionly.kpxe" "$O/got-$tf"'
check "tftp-hpa fetches ipxe.efi from the proxy, bytes intact" \
  eval 'in_cli timeout 30 tftp -m binary $SRV_IP -c get ipxe.efi "$O/got-ipxe.efi" >"$O/tftp2.log" 2>&1 &&
        same "$IPXE/ipxe.efi" "$O/got-ipxe.efi"'

# --- phase 2: Kea instead of dnsmasq ----------------------------------------------------------
stop_pid $DM_PID
in_cli ip -4 addr flush dev "$IFC"
KEA_LO=198.18.0.160; KEA_HI=198.18.0.180      # not dnsmasq's: whose address it is shows
cat >"$WORK/kea-dhcp4.json" <<EOF
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$IFD" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "lfc-interval": 0,
                        "name": "$WORK/kea-leases4.csv" },
    "valid-lifetime": 600,
    "subnet4": [ { "id": 1, "subnet": "198.18.0.0/24",
                   "pools": [ { "pool": "$KEA_LO - $KEA_HI" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                   "output_options": [ { "output": "stdout" } ] } ]
} }
EOF
# Kea's pid and logger lock files go to these directories (default /run/kea, /var/run/kea)
KEA_PIDFILE_DIR=$WORK KEA_LOCKFILE_DIR=$WORK \
  ip netns exec "$NS_D" kea-dhcp4 -c "$WORK/kea-dhcp4.json" >"$WORK/kea.log" 2>&1 &
KEA_PID=$!
at_exit "stop_pid $KEA_PID"
if ! wait_until 10 grep -q DHCP4_STARTED "$WORK/kea.log"; then
  fail "kea-dhcp4 did not start in a namespace"; sed 's/^/  # /' "$WORK/kea.log"
else
  ok "kea-dhcp4 runs in namespace $NS_D (memfile leases in \$WORK)"
  check_pxe_pair kea-bios bios undionly.kpxe $KEA_LO $KEA_HI Kea
  check_pxe_pair kea-efi9 efi9 ipxe.efi $KEA_LO $KEA_HI Kea
  pxe kea-plain plain --all
  check_show kea-plain "plain DISCOVER with Kea: only Kea answers ($(nreplies kea-plain) replies)" \
    eval '[ "$(nreplies kea-plain)" = 1 ] && [ -n "$(reply_from kea-plain $DHCP_IP)" ]'
  pxe kea-dora efi9 --all --dora
  kip=$(kv_get "$O/kea-dora.1" yiaddr 2>/dev/null)
  check_show kea-dora "efi9 PXE client completes DORA with Kea (ACK, server id $DHCP_IP, ${kip:-no address})" \
    eval 'env_has "$O/kea-dora.1" type=ACK server_id=$DHCP_IP && ip_in_range "$kip" $KEA_LO $KEA_HI'
  check "Kea's lease file holds that lease" eval '[ -n "$kip" ] && grep -q "^$kip," "$WORK/kea-leases4.csv"'
fi

# --- the proxy handed out nothing ----------------------------------------------------------------
stop_pid $SNIFF_PID
grep '^dir=out ' "$O/proxy-wire.txt" >"$O/proxy-sent.txt"
check "the proxy sent $(wc -l <"$O/proxy-sent.txt") DHCP replies, every one with yiaddr 0.0.0.0 and no lease time (option 51)" \
  eval '[ -s "$O/proxy-sent.txt" ] && ! grep -v " yiaddr=0\.0\.0\.0 " "$O/proxy-sent.txt" &&
        ! grep -E " opts=([0-9]+,)*51(,|$)" "$O/proxy-sent.txt"'
check "the proxy sent no ACK on port 67 (it answers REQUESTs only on 4011)" \
  eval '! grep -E "sport=67 .* type=ACK " "$O/proxy-sent.txt"'
check "rackbootd's log: no DHCPOFFER/DHCPACK of an address, proxyDHCP OFFERs of 0.0.0.0 only" \
  eval '! grep -E "^DHCP(OFFER|ACK) " "$WORK/rackbootd.log" && grep -Eq "^proxyDHCP OFFER( \(kernel\))? 0\.0\.0\.0 " "$WORK/rackbootd.log" &&
        ! grep -E "^proxyDHCP OFFER " "$WORK/rackbootd.log" | grep -Ev "^proxyDHCP OFFER( \(kernel\))? 0\.0\.0\.0 "'
check "proxy mode keeps no lease store" test ! -e "$WORK/state"
check "rackbootd still running" kill -0 "$RB_PID"
finish
