#!/usr/bin/env bash
# UEFI network boot with real firmware: OVMF (EDK2, package ovmf) on a
# virtio-net NIC without an option ROM (romfile=""), so EDK2's own
# VirtioNetDxe, SNP and PXE drivers do the first stage: DHCP with option 93
# = 7 (x64 UEFI), a request to the PXE boot server port 4011, ipxe.efi over
# TFTP (EDK2's MTFTP: a tsize probe, then the transfer), iPXE runs, DHCPs
# again as iPXE, fetches boot.ipxe, the kernel and the initrd over HTTP,
# and starts the kernel's EFI stub, which loads initrd=initrd.img from
# iPXE's file system. The initramfs prints the marker.
source "$(dirname "$0")/lib-e2e.sh"
[ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS" ] || { fail "OVMF missing ($OVMF_CODE, $OVMF_VARS: make deps)"; exit 1; }
e2e_prepare
e2e_net
e2e_rackbootd --config "$WORK/rackboot.conf" -vvv

mac=52:54:00:e2:e1:01
name=uefi-virtio
tap=$PFX-u0
ovmf_boot "$name" "$tap" "$mac" ,bootindex=1
check_marker "$name" "$mac" efi-x64

# Stage 1: EDK2's PXE.
check_wire "$name" "EDK2 asked as a UEFI x64 PXE client (PXEClient:Arch:00007, option 93 = 7)" \
  "vm> dhcp DISCOVER .* vendor-class=PXEClient:Arch:00007:[^ ]* arch=0007"
check_rb_log "$name: rackbootd handed it ipxe.efi" \
  "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(efi-x64 pxe: ipxe\.efi\)"
check_rb_log "$name: and answered its request on the PXE boot server port 4011" \
  "PXE boot ACK 198\.18\.0\.[0-9]+ to $mac \(efi-x64 pxe: ipxe\.efi\)"
# the eBPF fast path (on by default) answered some of it in the kernel:
# EDK2's DISCOVER, its port-4011 request, the blocks of ipxe.efi
if [[ " ${RB_EXTRA_ARGS:-} " == *" --no-bpf "* ]]; then
  check "$name: --no-bpf: every answer from userspace" eval '! grep -aq "(kernel)\|handed to the kernel" "$WORK/rackbootd.log"'
elif grep -aqE "(DHCPOFFER|PXE boot ACK) \(kernel\)" "$WORK/rackbootd.log" &&
   grep -aq "ipxe.efi to .*: handed to the kernel" "$WORK/rackbootd.log"; then
  ok "$name: the eBPF fast path answered DHCP and served ipxe.efi from the kernel"
else
  fail "$name: no kernel answer in rackbootd's log (DHCP '(kernel)' lines, 'handed to the kernel')"
fi
check_wire "$name" "EDK2 probed the size first (RRQ with tsize)" \
  "vm> tftp RRQ [0-9.:]+ ipxe\.efi octet .*tsize=0"
size=$(stat -c %s "$E2E_ROOT/ipxe.efi")
check_wire "$name" "rackbootd's OACK told it tsize=$size" "<vm tftp OACK .*tsize=$size"
check_wire "$name" "the TFTP transfer ended after all $size bytes" \
  "tftp transfer of ipxe\.efi ended: [0-9]+ DATA \($size bytes"
check_rb_log "$name: rackbootd's TFTP sent ipxe.efi whole" "done sending ipxe\.efi"
check_serial "$name" "EDK2 downloaded and started the NBP" "NBP file downloaded successfully"

# Stage 2: ipxe.efi.
check_ipxe_efi_boot "$name" "$mac" "$(rb_acked_ip "$mac")"
e2e_timeline "$name" "$mac"
e2e_boot_end "$name"
finish
