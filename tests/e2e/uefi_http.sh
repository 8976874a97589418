#!/usr/bin/env bash
# UEFI HTTP boot with real firmware, no TFTP at all: OVMF (EDK2, package
# ovmf 2022.11, whose network stack has HttpBootDxe) on a virtio-net NIC
# without option ROM. EDK2's HTTP boot DHCPs with vendor class
# HTTPClient:Arch:00016 and option 93 = 16 (x64 UEFI HTTP); rackbootd
# answers with option 60 HTTPClient and the URL http://198.18.0.1:80/ipxe.efi
# as boot file; EDK2 fetches it (HEAD, then GET) and starts it; ipxe.efi
# DHCPs as iPXE and boots boot.ipxe, the kernel and the initrd over HTTP.
#
# OVMF tries its boot options in BootOrder: DVD, PXEv4, PXEv6, HTTPv4,
# HTTPv6, shell. Its runtime switches opt/org.tianocore/IPv4PXESupport and
# IPv6PXESupport (fw_cfg, honoured by Debian's 2022.11 build) turn PXE off,
# so that its first network boot option is "UEFI HTTPv4 (MAC:...)"; the NIC
# has no bootindex (QEMU would then pass a boot order that OVMF applies to
# all of the NIC's options). The boot options OVMF created are listed from
# its variable store afterwards (tests/e2e/efivars.py).
source "$(dirname "$0")/lib-e2e.sh"
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || { fail "OVMF missing ($OVMF_CODE, $OVMF_VARS: make deps)"; exit 1; }
e2e_prepare
e2e_net
e2e_rackbootd --config "$WORK/rackboot.conf" -vvv

name=uefi-http
mac=52:54:00:e2:e5:01
macx=$(echo "$mac" | tr -d : | tr a-f A-F)
tap=$PFX-h0
ovmf_boot "$name" "$tap" "$mac" "" \
  -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no \
  -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
check_marker "$name" "$mac" efi-x64

# The boot options OVMF made for itself: HTTP, no PXE.
python3 "$ROOT/tests/e2e/efivars.py" list "$WORK/ovmf-vars.fd" >"$WORK/$name.bootopts.log" 2>&1
sed -n 's/^\(Boot[0-9A-F]\{4\} \|BootOrder\)/# &/p' "$WORK/$name.bootopts.log"
if grep -q "\"UEFI HTTPv4 (MAC:$macx)\" .*/MAC($macx)/IPv4(...)/Uri()" "$WORK/$name.bootopts.log"; then
  ok "$name: OVMF made an HTTPv4 boot option for the NIC (HttpBootDxe is in this firmware)"
else
  fail "$name: OVMF made an HTTPv4 boot option for the NIC (HttpBootDxe is in this firmware)"
  sed 's/^/  # /' "$WORK/$name.bootopts.log"
fi
if grep -q '"UEFI PXEv[46] ' "$WORK/$name.bootopts.log"; then
  fail "$name: and none for PXE (fw_cfg opt/org.tianocore/IPv4PXESupport, IPv6PXESupport = no)"
  sed 's/^/  # /' "$WORK/$name.bootopts.log"
else
  ok "$name: and none for PXE (fw_cfg opt/org.tianocore/IPv4PXESupport, IPv6PXESupport = no)"
fi
check_serial "$name" "OVMF ran its HTTPv4 boot option" \
  "^BdsDxe: (loading|starting) Boot[0-9A-F]{4} \"UEFI HTTPv4 \(MAC:$macx\)\""
check_wire "$name" "EDK2 asked as a UEFI x64 HTTP boot client (HTTPClient:Arch:00016, option 93 = 16)" \
  "vm> dhcp DISCOVER .* vendor-class=HTTPClient:Arch:00016[^ ]* arch=0010"
if grep -aE "vm> dhcp .* vendor-class=PXEClient:Arch:00007" "$WORK/$name.wire.log" |
     grep -qv 'user-class=69505845'; then
  fail "$name: the firmware never tried PXE (no PXEClient DHCP without iPXE's user class)"
else
  ok "$name: the firmware never tried PXE (no PXEClient DHCP without iPXE's user class)"
fi
check_rb_log "$name: rackbootd offered it the URL of ipxe.efi (HTTP boot decision)" \
  "DHCPOFFER 198\.18\.0\.[0-9]+ to $mac \(efi-x64 http: http://$SRV_IP:80/ipxe\.efi\)"
check_wire "$name" "... with option 60 HTTPClient, which EDK2 requires of an HTTP boot offer" \
  "<vm dhcp OFFER $SRV_IP:67 > .* vendor-class=HTTPClient file=http://$SRV_IP:80/ipxe\.efi yiaddr=198\.18\.0\.[0-9]+ "
check_rb_log "$name: and acknowledged it the same" \
  "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(efi-x64 http: http://$SRV_IP:80/ipxe\.efi\)"
ip=$(rb_acked_ip "$mac")
size=$(stat -c %s "$E2E_ROOT/ipxe.efi")
check_serial "$name" "EDK2 took the URL from the DHCP offer" "^ *URI: http://$SRV_IP:80/ipxe\.efi$"
check_serial "$name" "EDK2 learnt its size, $size bytes" "^ *File Size: $size Bytes$"
check_rb_log "$name: EDK2 fetched ipxe.efi over HTTP from ${ip:-?}" "http: GET /ipxe\.efi from ${ip:-none}\$"
check_wire "$name" "... after a HEAD for its size" "vm> http HEAD /ipxe\.efi HTTP/1\.1"

# Stage 2: ipxe.efi.
check_ipxe_efi_boot "$name" "$mac" "$ip"

# No TFTP at all, on the wire or in rackbootd.
if grep -aq ' tftp ' "$WORK/$name.wire.log" || rb_log_has 'RRQ from '; then
  fail "$name: no TFTP at all"
  { grep -a ' tftp ' "$WORK/$name.wire.log"; grep -a 'RRQ from ' "$WORK/rackbootd.log"; } | head -5 | sed 's/^/  # /'
else
  ok "$name: no TFTP at all"
fi

# When rackbootd saw each stage (seconds since the VM was started).
t0=$(awk -v n="boot $name:" 'index($0, n) { print $2; exit }' "$WORK/rackbootd.log")
out=""
for k in discover ack-http ipxe.efi ack-ipxe boot.ipxe vmlinuz initrd.img; do
  case $k in
    discover) re="DHCPDISCOVER from $mac" ;;
    ack-http) re="DHCPACK [0-9.]+ to $mac [(]efi-x64 http" ;;
    ack-ipxe) re="DHCPACK [0-9.]+ to $mac [(]ipxe" ;;
    *) re="http: GET /$k from ${ip:-none}\$" ;;
  esac
  t=$(awk -v re="$re" -v t0="${t0:-0}" '$0 ~ re { printf "%.1f", $1 - t0; exit }' "$WORK/rackbootd.log")
  out+=" $k=${t:-none}s"
done
echo "# TIMING $name:$out marker=${MARKER_SECS}s poweroff=${BOOT_SECS}s"
e2e_boot_end "$name"
finish
