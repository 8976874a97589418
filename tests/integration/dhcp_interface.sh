#!/usr/bin/env bash
# rackbootd serves DHCP on --interface only. Its sockets are bound to
# 0.0.0.0, so a broadcast from another LAN of the same host (a management
# network) reaches them too; it must be ignored, not offered an address from
# the provisioning range. A client on --interface is still served.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }
rb_bin
netns_setup                                   # srv <-> cli: the provisioning link ($PFX-s)
at_exit ns_kill_all
NS_M=$PFX-m; netns_add "$NS_M"                # a management LAN on another interface
ip link add "$PFX-ms" netns "$NS_SRV" type veth peer name "$PFX-mc" netns "$NS_M"
in_srv ip addr add 10.99.0.1/24 dev "$PFX-ms"; in_srv ip link set "$PFX-ms" up
ip -n "$NS_M" link set "$PFX-mc" up
mkdir -p "$WORK/root" "$WORK/state"; echo boot >"$WORK/root/undionly.kpxe"
start_rackbootd --interface "$PFX-s" --address $SRV_IP/24 --dhcp-range 198.18.0.100,198.18.0.150 \
  --root "$WORK/root" --state-dir "$WORK/state" -v
for kind in plain bios; do
  out=$(ip netns exec "$NS_M" $DHCPC pxe "$PFX-mc" $kind --mac 02:00:00:00:99:01 --wait 1)
  check "$kind client on another LAN: no answer" [ "$(kv type <<<"$out")" = none ]
done
check "no OFFER logged for the other LAN" bash -c "! grep -q 'OFFER.* to 02:00:00:00:99' '$WORK/rackbootd.log'"
out=$(in_cli $DHCPC pxe "$PFX-c" bios --dora)
check "a client on --interface is served" [ "$(kv type <<<"$out")" = ACK ]
leases=$(rb_leases "$WORK/state")
check "nothing leased to the other LAN" bash -c "! grep -q 02:00:00:00:99 <<<'$leases'"
check "the provisioning client's lease is there" grep -q bound <<<"$leases"
finish
