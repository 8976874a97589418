#!/usr/bin/env bash
# proxyDHCP with real firmware: the segment's DHCP server is dnsmasq
# (198.18.0.3, addresses .160-.180, no boot information at all) and
# rackbootd runs beside it with --proxy-dhcp and no range, so every address
# comes from dnsmasq and every piece of boot information from rackbootd.
#  1. SeaBIOS + QEMU's iPXE ROM (e1000): iPXE gets dnsmasq's offer and
#     rackbootd's ProxyDHCPOFFER (PXEClient, no address), takes the address
#     from dnsmasq, asks rackbootd on port 4011 (ProxyDHCPREQUEST with its
#     new address as ciaddr), and boots the URL of the ProxyDHCPACK:
#     boot.ipxe, kernel and initrd over HTTP from rackbootd.
#  2. OVMF (EDK2's own PXE on virtio-net): dnsmasq's address, rackbootd's
#     proxy offer for arch 7, EDK2 asks rackbootd on port 4011 for the boot
#     file, fetches ipxe.efi over TFTP; ipxe.efi then does what 1 does.
# Each marker must carry the VM's MAC: rackbootd learnt the node's address
# from the port-4011 request (ciaddr), never from a lease of its own.
# rackbootd must hand out no address: no DHCPOFFER/DHCPACK with one in its
# log or on the wire, no lease store.
source "$(dirname "$0")/lib-e2e.sh"
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || { fail "OVMF missing ($OVMF_CODE, $OVMF_VARS: make deps)"; exit 1; }
e2e_prepare
e2e_net
e2e_dnsmasq
E2E_RANGE=
e2e_rackbootd --config "$WORK/rackboot.conf" --proxy-dhcp -vv
wait_until 5 udp_bound "$NS_SRV" 4011 || fail "rackbootd listens on port 4011"

# The address dnsmasq leased to MAC (its lease file: expiry mac ip name id).
dm_lease() { awk -v m="$1" '$2 == m { print $3 }' "$WORK/dnsmasq.leases" 2>/dev/null | tail -1; }

# What both boots must show about who gave what.
check_split() { # name, mac, fw
  local name=$1 mac=$2 fw=$3 ip
  ip=$(dm_lease "$mac")
  if [ -n "$ip" ] && ip_in_range "$ip" $DM_LO $DM_HI; then
    ok "$name: dnsmasq leased it $ip (its lease file)"
  else
    fail "$name: dnsmasq leased it an address in $DM_LO..$DM_HI (lease file: $(tr '\n' ';' <"$WORK/dnsmasq.leases" 2>/dev/null))"
  fi
  check_dm_log "$name: dnsmasq's log has the DHCPACK of ${ip:-?} to $mac" \
    "DHCPACK\([^)]*\) ${ip:-none} $mac"
  check_wire "$name" "the VM got dnsmasq's offer with ${ip:-?}" \
    "<vm dhcp OFFER $DM_IP:67 > [0-9.]+:68 .* yiaddr=${ip:-none} "
  # iPXE's DHCP: the proxy offer, then the ProxyDHCPREQUEST on port 4011
  check_rb_log "$name: rackbootd made iPXE a ProxyDHCPOFFER with the script URL, no address" \
    "proxyDHCP OFFER 0\.0\.0\.0 to $mac \(ipxe: http://$SRV_IP:80/boot\.ipxe\)"
  check_wire "$name" "... on the wire: PXEClient, yiaddr 0.0.0.0" \
    "<vm dhcp OFFER $SRV_IP:67 > .* vendor-class=PXEClient file=http://$SRV_IP:80/boot\.ipxe yiaddr=0\.0\.0\.0 "
  check_wire "$name" "iPXE sent a ProxyDHCPREQUEST from ${ip:-?} to port 4011 of the proxy" \
    "vm> dhcp REQUEST ${ip:-none}:68 > $SRV_IP:4011 .* user-class=69505845 "
  check_rb_log "$name: rackbootd answered it on port 4011 (PXE boot ACK to ${ip:-?})" \
    "PXE boot ACK ${ip:-none} to $mac \(ipxe: http://$SRV_IP:80/boot\.ipxe\)"
  check_wire "$name" "... and the ProxyDHCPACK reached the VM" \
    "<vm dhcp ACK $SRV_IP:4011 > ${ip:-none}:68 .* file=http://$SRV_IP:80/boot\.ipxe "
  # iPXE (dhcp_proxy_rx) drops a ProxyDHCPACK without "PXE options":
  # next-server and a boot file, or a boot menu (43.9).
  check_wire "$name" "... with next-server set, which iPXE requires of a ProxyDHCPACK" \
    "<vm dhcp ACK $SRV_IP:4011 > ${ip:-none}:68 .* file=http://$SRV_IP:80/boot\.ipxe yiaddr=0\.0\.0\.0 siaddr=[1-9]"
  local f
  for f in boot.ipxe vmlinuz initrd.img; do
    check_rb_log "$name: GET /$f over HTTP from ${ip:-?}" "http: GET /$f from ${ip:-none}\$"
  done
  check_serial "$name" "kernel command line as the profile rendered it for this node" \
    "Command line: .*console=ttyS0 rackboot\.node=$mac rackboot\.fw=$fw initrd=initrd\.img\$"
  if grep -aE "<vm dhcp (OFFER|ACK) $SRV_IP:" "$WORK/$name.wire.log" | grep -qvE 'yiaddr=0\.0\.0\.0 '; then
    fail "$name: nothing from rackbootd carried an address (on the wire)"
    grep -aE "<vm dhcp (OFFER|ACK) $SRV_IP:" "$WORK/$name.wire.log" | grep -vE 'yiaddr=0\.0\.0\.0 ' | sed 's/^/  # /'
  else
    ok "$name: nothing from rackbootd carried an address (on the wire)"
  fi
  # when rackbootd saw each stage (seconds since the VM was started)
  local t0 t k out="" re
  t0=$(awk -v n="boot $name:" 'index($0, n) { print $2; exit }' "$WORK/rackbootd.log")
  for k in proxy-offer ack-4011 boot.ipxe vmlinuz initrd.img; do
    case $k in
      proxy-offer) re="proxyDHCP OFFER [0-9.]+ to $mac [(]ipxe" ;;
      ack-4011) re="PXE boot ACK [0-9.]+ to $mac [(]ipxe" ;;
      *) re="http: GET /$k from ${ip:-none}\$" ;;
    esac
    t=$(awk -v re="$re" -v t0="${t0:-0}" '$0 ~ re { printf "%.1f", $1 - t0; exit }' "$WORK/rackbootd.log")
    out+=" $k=${t:-none}s"
  done
  echo "# TIMING $name:$out marker=${MARKER_SECS}s poweroff=${BOOT_SECS}s"
}

# 1. SeaBIOS + iPXE ROM.
name=proxy-bios-e1000
mac=52:54:00:e2:e3:01
tap=$PFX-t0
e2e_tap "$tap"
e2e_boot_begin
e2e_wire_sniff "$name" "$tap"
qemu_boot "$name" -boot n \
  -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
  -device "e1000,netdev=n0,mac=$mac,romfile=$ROMDIR/pxe-e1000.rom"
e2e_wire_stop
check_marker "$name" "$mac" bios
check_split "$name" "$mac" bios
e2e_boot_end "$name"

# 2. OVMF, EDK2's PXE, then ipxe.efi.
name=proxy-uefi-virtio
mac=52:54:00:e2:e3:02
tap=$PFX-u0
ovmf_boot "$name" "$tap" "$mac" ,bootindex=1
check_marker "$name" "$mac" efi-x64
# Stage 1: EDK2's PXE with a proxy: the address from dnsmasq, the boot file
# from rackbootd's proxy offer and port 4011.
check_wire "$name" "EDK2 asked as a UEFI x64 PXE client (PXEClient:Arch:00007)" \
  "vm> dhcp DISCOVER .* vendor-class=PXEClient:Arch:00007:[^ ]* arch=0007"
check_rb_log "$name: rackbootd made EDK2 a proxy offer of ipxe.efi" \
  "proxyDHCP OFFER 0\.0\.0\.0 to $mac \(efi-x64 pxe: ipxe\.efi\)"
check_wire "$name" "EDK2 asked the proxy for its boot file on port 4011 (from its own port 4011)" \
  "vm> dhcp REQUEST [0-9.]+:4011 > $SRV_IP:4011 .* vendor-class=PXEClient:Arch:00007:[^ ]* arch=0007$"
check_rb_log "$name: rackbootd answered on port 4011 with ipxe.efi" \
  "PXE boot ACK [0-9.]+ to $mac \(efi-x64 pxe: ipxe\.efi\)"
size=$(stat -c %s "$E2E_ROOT/ipxe.efi")
check_wire "$name" "EDK2 fetched ipxe.efi from rackbootd over TFTP, all $size bytes" \
  "tftp transfer of ipxe\.efi ended: [0-9]+ DATA \($size bytes"
check_serial "$name" "EDK2 downloaded and started the NBP" "NBP file downloaded successfully"
# Stage 2: ipxe.efi, as the BIOS boot.
check_split "$name" "$mac" efi-x64
e2e_boot_end "$name"

# rackbootd handed out nothing at all.
if rb_log_has "DHCPOFFER|DHCPACK"; then
  fail "rackbootd logged no DHCPOFFER/DHCPACK (it hands out no address)"
  grep -aE "DHCPOFFER|DHCPACK" "$WORK/rackbootd.log" | head -5 | sed 's/^/  # /'
else
  ok "rackbootd logged no DHCPOFFER/DHCPACK (it hands out no address)"
fi
if [ -z "$(ls -A "$WORK/state" 2>/dev/null)" ]; then
  ok "rackbootd created no lease store (state dir empty)"
else
  fail "rackbootd created no lease store (state dir holds: $(ls -A "$WORK/state" | tr '\n' ' '))"
fi
finish
