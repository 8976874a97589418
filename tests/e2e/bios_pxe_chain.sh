#!/usr/bin/env bash
# The legacy BIOS chain with real firmware: a PXE ROM that is not iPXE
# gets undionly.kpxe over TFTP; undionly.kpxe (iPXE on the ROM's UNDI API)
# DHCPs again, now as iPXE, gets boot.ipxe and boots over HTTP.
#
# QEMU's NIC ROMs are all iPXE, which rackbootd rightly sends straight to
# HTTP. So the ROM here is QEMU's iPXE e1000 ROM, but until its first TFTP
# request its DHCP messages lose the two options that say "iPXE" (77 user
# class, 175 iPXE options; tests/e2e/wire.py mask, between the VM's tap and
# the bridge). rackbootd then sees what a vendor PXE ROM sends
# (PXEClient:Arch:00000, option 93 = 0, UNDI 2.1) and decides by itself;
# everything after is unchanged firmware behaviour: the ROM fetches the boot
# file it was given from next-server over TFTP and runs it as a PXE NBP
# (with the PXE/UNDI API up), and undionly.kpxe's DHCP is not touched.
source "$(dirname "$0")/lib-e2e.sh"
e2e_prepare
e2e_net
e2e_rackbootd --config "$WORK/rackboot.conf" -vvv

name=bios-pxe-chain
mac=52:54:00:e2:e2:01
# The VM's tap lives in a namespace of its own: on the server's side, the
# unmasked requests would reach rackbootd straight from the tap.
vmtap=$PFX-p0
QEMU_NS=$PFX-vm
netns_add "$QEMU_NS"
e2e_tap "$vmtap" "$QEMU_NS"
ip netns exec "$QEMU_NS" sysctl -qw "net.ipv6.conf.$vmtap.disable_ipv6=1"   # the host says nothing on it
e2e_boot_begin
e2e_wire_mask "$name" "$QEMU_NS" "$vmtap" "$PFX-p1"
qemu_boot "$name" -boot n \
  -netdev "tap,id=n0,ifname=$vmtap,script=no,downscript=no" \
  -device "e1000,netdev=n0,mac=$mac,romfile=$ROMDIR/pxe-e1000.rom"
e2e_wire_stop
check_marker "$name" "$mac" bios

# Stage 1: the firmware, seen as a plain BIOS PXE client.
check_wire "$name" "the ROM's DHCP went out without iPXE's options 77 and 175" \
  "mask: options (77,175|175,77) overwritten"
check_wire "$name" "... so rackbootd saw PXEClient:Arch:00000, arch 0000 and no user class" \
  "vm> dhcp (DISCOVER|REQUEST) .*opts=[0-9,]* vendor-class=PXEClient:Arch:00000:[^ ]* arch=0000$"
check_rb_log "$name: rackbootd handed the ROM undionly.kpxe (BIOS PXE decision)" \
  "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(bios pxe: undionly\.kpxe\)"
check_wire "$name" "... with next-server $SRV_IP" \
  "<vm dhcp ACK .* file=undionly\.kpxe yiaddr=198\.18\.0\.[0-9]+ siaddr=$SRV_IP$"
check_serial "$name" "the ROM fetched undionly.kpxe from next-server over TFTP" \
  "tftp://$SRV_IP/undionly\.kpxe\.\.\. ok"
check_rb_log "$name: rackbootd's TFTP sent undionly.kpxe whole" \
  "done sending undionly\.kpxe"
size=$(stat -c %s "$E2E_ROOT/undionly.kpxe")
check_wire "$name" "the TFTP transfer ended after all $size bytes" \
  "tftp transfer of undionly\.kpxe ended: [0-9]+ DATA \($size bytes"

# Stage 2: undionly.kpxe on the ROM's UNDI, as iPXE.
check_serial "$name" "the ROM ran it as a PXE NBP" "^undionly\.kpxe : $size bytes \[PXE-NBP\]$"
check_serial "$name" "undionly.kpxe found the ROM's PXE API" "^PXE->EB: !PXE at "
check_serial "$name" "undionly.kpxe runs iPXE on the ROM's UNDI driver" \
  "net0: $mac using undionly on "
check_wire "$name" "undionly.kpxe's DHCP carries iPXE's user class (not masked)" \
  "vm> dhcp (DISCOVER|REQUEST) .* user-class=69505845 "
check_rb_log "$name: then rackbootd handed it the iPXE script URL" \
  "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(ipxe: http://$SRV_IP:80/boot\.ipxe\)"
ip=$(rb_acked_ip "$mac")
for f in boot.ipxe vmlinuz initrd.img; do
  check_rb_log "$name: GET /$f over HTTP from ${ip:-?}" "http: GET /$f from ${ip:-none}\$"
done
check_serial "$name" "kernel command line as the profile rendered it" \
  "Command line: console=ttyS0 rackboot\.node=$mac rackboot\.fw=bios initrd=initrd\.img\$"
e2e_timeline "$name" "$mac"
e2e_boot_end "$name"
finish
