#!/usr/bin/env bash
# BIOS network boot with real firmware: SeaBIOS runs QEMU's iPXE NIC ROM
# (package ipxe-qemu), which DHCPs from rackbootd (user class iPXE, so it is
# handed http://198.18.0.1:80/boot.ipxe), fetches the node's script over
# HTTP, then the kernel and initrd, and boots them; the initramfs prints
# the marker with the MAC the script put on the kernel command line.
#  1. e1000 and virtio-net, the default-profile of images/rackboot.conf
#     (the script rackbootd renders, {{mac}} and {{arch}} filled in);
#  2. e1000 without any config: ROOT/boot.ipxe served as it is (iPXE fills
#     in ${net0/mac} and ${platform} itself).
source "$(dirname "$0")/lib-e2e.sh"
e2e_prepare
e2e_net

# name, NIC (QEMU -device, without netdev, mac and romfile), ROM, MAC,
# the firmware the marker must name, tap suffix; then checks of its own
boot_one() {
  local name=$1 model=$2 rom=$3 mac=$4 fw=$5 tap=$PFX-$6
  e2e_tap "$tap"
  e2e_boot_begin
  qemu_boot "$name" -boot n \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
    -device "$model,netdev=n0,mac=$mac,romfile=$ROMDIR/$rom"
  check_marker "$name" "$mac" "$fw"
  check_serial "$name" "the ROM is iPXE and was given boot.ipxe over DHCP" \
    "^Filename: http://$SRV_IP:80/boot\.ipxe$"
  check_rb_log "$name: DHCPACK to $mac with the iPXE script URL" \
    "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(ipxe: http://$SRV_IP:80/boot\.ipxe\)"
  local ip f
  ip=$(rb_acked_ip "$mac")
  for f in boot.ipxe vmlinuz initrd.img; do
    check_rb_log "$name: GET /$f over HTTP from ${ip:-?}" "http: GET /$f from ${ip:-none}\$"
  done
  if rb_log_has "RRQ from ${ip:-none} "; then fail "$name: no TFTP at all (iPXE ROM goes straight to HTTP)"
  else ok "$name: no TFTP at all (iPXE ROM goes straight to HTTP)"; fi
  e2e_timeline "$name" "$mac"
  check_serial "$name" "kernel command line as the script built it" \
    "Command line: console=ttyS0 rackboot\.node=$mac rackboot\.fw=$fw initrd=initrd\.img\$"
  e2e_boot_end "$name"
}

e2e_rackbootd --config "$WORK/rackboot.conf" -vv
boot_one bios-e1000 e1000 pxe-e1000.rom 52:54:00:e2:e0:01 bios t0
# Debian's pxe-virtio.rom carries PCI ID 1af4:1041 (virtio 1.0 network);
# SeaBIOS runs a ROM only on a device of the same ID, and QEMU's
# virtio-net-pci is transitional (1af4:1000) unless legacy is disabled.
boot_one bios-virtio virtio-net-pci,disable-legacy=on pxe-virtio.rom 52:54:00:e2:e0:02 bios t1

# No config: the static boot.ipxe of `make images`.
e2e_rackbootd_stop
e2e_rackbootd -vv
boot_one bios-e1000-noconfig e1000 pxe-e1000.rom 52:54:00:e2:e0:03 pcbios t2
check_serial bios-e1000-noconfig "the static boot.ipxe ran (its echo line)" \
  "^rackboot: 52:54:00:e2:e0:03 booting vmlinuz \+ initrd\.img from http://"
finish
