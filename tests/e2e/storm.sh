#!/usr/bin/env bash
# Several BIOS machines booting at once: STORM_VMS (default 4) VMs, SeaBIOS
# + QEMU's iPXE ROM, e1000 and virtio-net alternately, distinct MACs,
# started together against one rackbootd (the profile of
# images/rackboot.conf). Every one must reach its own marker (its MAC on
# the kernel command line) within STORM_BOUND seconds (default 240: with
# 2 cores and TCG the VMs share the CPU). Prints, per VM, when rackbootd
# saw each stage, the time to the marker, QEMU's peak resident memory and
# CPU time; and the storm's wall time and the host's CPU use meanwhile.
# The VMs get STORM_MEM MiB (default 256; the kernel + busybox initramfs
# boot needs far less).
source "$(dirname "$0")/lib-e2e.sh"
STORM_VMS=${STORM_VMS:-4}
BOOT_BOUND=${STORM_BOUND:-240}
QEMU_MEM=${STORM_MEM:-256}
e2e_prepare
e2e_net
e2e_rackbootd --config "$WORK/rackboot.conf" -vv

names=() macs=() devs=()
for ((i = 1; i <= STORM_VMS; i++)); do
  mac=$(printf '52:54:00:e2:e4:%02x' "$i")
  if ((i % 2)); then
    model=e1000 dev="e1000,netdev=n0,mac=$mac,romfile=$ROMDIR/pxe-e1000.rom"
  else   # pxe-virtio.rom is for 1af4:1041 only (see bios_ipxe_http.sh)
    model=virtio dev="virtio-net-pci,disable-legacy=on,netdev=n0,mac=$mac,romfile=$ROMDIR/pxe-virtio.rom"
  fi
  name=storm$i-$model
  names+=("$name") macs+=("$mac") devs+=("$dev")
  e2e_tap "$PFX-s$i"
done

read -r busy0 total0 <<<"$(host_cpu)"
t0=$EPOCHREALTIME
for ((i = 1; i <= STORM_VMS; i++)); do
  qemu_start "${names[i-1]}" -boot n \
    -netdev "tap,id=n0,ifname=$PFX-s$i,script=no,downscript=no" -device "${devs[i-1]}"
done
qemu_wait_all
wall=$(e2e_secs "$t0")
read -r busy1 total1 <<<"$(host_cpu)"

ips=() rows=() worst=0
for ((i = 1; i <= STORM_VMS; i++)); do
  name=${names[i-1]} mac=${macs[i-1]}
  qemu_result "$name"
  e2e_boot_begin
  check_marker "$name" "$mac" bios
  check_rb_log "$name: DHCPACK to $mac with the iPXE script URL" \
    "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(ipxe: http://$SRV_IP:80/boot\.ipxe\)"
  ip=$(rb_acked_ip "$mac")
  ips+=("${ip:-none}")
  for f in boot.ipxe vmlinuz initrd.img; do
    check_rb_log "$name: GET /$f over HTTP from ${ip:-?}" "http: GET /$f from ${ip:-none}\$"
  done
  e2e_timeline "$name" "$mac"
  if grep -aq "IO-APIC + timer doesn't work" "$WORK/$name.serial.log"; then
    echo "# $name: the guest kernel panicked in its boot-time timer check (check_timer):" \
      "with the host's CPUs oversubscribed, TCG did not deliver enough timer ticks in time;" \
      "a limit of this machine under TCG, not of the boot server (use fewer STORM_VMS)"
  fi
  e2e_boot_end "$name"
  rows+=("$(printf '%-16s %-17s %-13s %8s %8s %7s %7s' "$name" "$mac" "${ip:-none}" \
    "${MARKER_SECS}" "${BOOT_SECS}" "${VM_RSS_MB}" "${VM_CPU_SECS}")")
  [ "$MARKER_SECS" != none ] && awk -v a="$MARKER_SECS" -v b="$worst" 'BEGIN { exit !(a > b) }' &&
    worst=$MARKER_SECS
done
n_distinct=$(printf '%s\n' "${ips[@]}" | grep -v '^none$' | sort -u | wc -l)
check "all $STORM_VMS VMs got distinct addresses (${ips[*]})" [ "$n_distinct" = "$STORM_VMS" ]

cpu_pct=$(awk -v b="$((busy1 - busy0))" -v t="$((total1 - total0))" 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
echo "# STORM $STORM_VMS VMs, $(nproc) CPUs, -m $QEMU_MEM, bound ${BOOT_BOUND}s:"
printf '# %-16s %-17s %-13s %8s %8s %7s %7s\n' vm mac ip marker_s off_s rss_MiB cpu_s
printf '# %s\n' "${rows[@]}"
echo "# STORM total: all ended after ${wall}s, last marker at ${worst}s; host CPU ${cpu_pct}% busy meanwhile"
echo "# TIMING storm: vms=$STORM_VMS wall=${wall}s last_marker=${worst}s host_cpu=${cpu_pct}%"
finish
