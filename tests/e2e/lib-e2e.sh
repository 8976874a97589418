# Shared helpers for the end-to-end boot tests (tests/e2e/*.sh): real
# firmware (SeaBIOS + the iPXE NIC ROMs of ipxe-qemu, or OVMF) in QEMU,
# without KVM (-accel tcg), booting over the network from rackbootd to the
# kernel and busybox initramfs of `make images`, whose /init prints
#   RACKBOOT-MARKER node=<mac> arch=x86_64 fw=<...>
# on ttyS0 and powers the VM off.
#
# Network: one namespace, $NS_SRV, holding bridge br0 (198.18.0.1/24, where
# rackbootd serves) and one tap per VM plugged into it; QEMU runs inside the
# namespace, so its traffic never leaves it. lib.sh deletes the namespace on
# any exit; everything still running in it (QEMU, rackbootd) is killed first.
# Every QEMU run is bounded by timeout(1) ($BOOT_BOUND seconds).
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

IMAGES=${IMAGES:-$ROOT/build/images}
QEMU=${QEMU:-qemu-system-x86_64}
ROMDIR=${ROMDIR:-/usr/lib/ipxe/qemu}          # ipxe-qemu: QEMU's iPXE NIC ROMs
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
BOOT_BOUND=${BOOT_BOUND:-150}                  # seconds a VM may take, power-off included
E2E_LOGDIR=${E2E_LOGDIR:-$ROOT/build/test-logs/e2e/$(basename "$0" .sh)}
E2E_ROOT=$WORK/root                            # rackbootd's --root: a copy of $IMAGES
E2E_START=$EPOCHREALTIME

# Seconds (one decimal) since the test started, or between two $EPOCHREALTIMEs.
e2e_secs() { # [from [to]]
  awk -v a="${1:-$E2E_START}" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'
}

# Everything the boot needs, or a loud failure naming what to run. Copies
# the images into $E2E_ROOT (a rebuild of build/images may run meanwhile).
e2e_prepare() {
  need "$QEMU" ip timeout awk sed python3
  local f
  for f in vmlinuz initrd.img undionly.kpxe ipxe.efi boot.ipxe rackboot.conf; do
    [ -s "$IMAGES/$f" ] || { fail "$IMAGES/$f missing (run make images)"; exit 1; }
  done
  mkdir -p "$E2E_ROOT"
  for f in vmlinuz initrd.img undionly.kpxe ipxe.efi snponly.efi boot.ipxe; do
    cp "$IMAGES/$f" "$E2E_ROOT/$f" || { fail "cannot copy $IMAGES/$f"; exit 1; }
  done
  cp "$IMAGES/rackboot.conf" "$WORK/rackboot.conf"
  rb_bin
  # Logs of this run (serial consoles, rackbootd, QEMU) are kept for
  # inspection; registered first, so it runs last, after QEMU is gone.
  rm -rf "$E2E_LOGDIR"; mkdir -p "$E2E_LOGDIR"
  at_exit "cp -p $WORK/*.log $E2E_LOGDIR/ 2>/dev/null"
}

# The namespace, bridge br0 with the server address, loopback.
e2e_net() {
  ip netns add "$NS_SRV" || { fail "cannot create network namespace $NS_SRV"; exit 1; }
  at_exit "ns_kill $NS_SRV"
  in_srv ip link set lo up
  in_srv ip link add br0 type bridge stp_state 0 forward_delay 0
  in_srv ip addr add $SRV_IP/24 dev br0
  in_srv ip link set br0 up
}
# A tap device NAME for one VM, plugged into br0; or, with a namespace
# (NS_VM), alone in that namespace (QEMU must then run there: QEMU_NS).
e2e_tap() { # name, [namespace]
  local ns=${2:-$NS_SRV}
  ip -n "$ns" tuntap add dev "$1" mode tap || { fail "cannot create tap $1"; exit 1; }
  [ "$ns" != "$NS_SRV" ] || ip -n "$ns" link set "$1" master br0
  ip -n "$ns" link set "$1" up
}
QEMU_NS=${QEMU_NS:-}     # namespace QEMU runs in (default $NS_SRV)
E2E_RANGE=${E2E_RANGE-198.18.0.100,198.18.0.150}   # rackbootd's --dhcp-range ("" = none)
QEMU_MEM=${QEMU_MEM:-512}                           # MiB of guest memory (-m)

# rackbootd on br0 with the flags given (besides interface, address, range
# $E2E_RANGE (set it empty for none, e.g. with --proxy-dhcp), root, state and
# HTTP port 80); its log, each line stamped with the seconds
# since the test started, goes to $WORK/rackbootd.log. Sets RB_PID; waits
# until DHCP (67), TFTP (69) and HTTP (80) are bound.
e2e_rackbootd() { # [flags...]; RB_EXTRA_ARGS (e.g. --no-bpf) go first
  mkdir -p "$WORK/state"
  echo "# $(e2e_secs) rackbootd ${RB_EXTRA_ARGS:-} $*" >>"$WORK/rackbootd.log"
  # shellcheck disable=SC2086
  ip netns exec "$NS_SRV" "$RACKBOOTD" --stderr ${RB_EXTRA_ARGS:-} --interface br0 --address $SRV_IP/24 \
    ${E2E_RANGE:+--dhcp-range "$E2E_RANGE"} --root "$E2E_ROOT" --state-dir "$WORK/state" \
    --http-port 80 "$@" > >(while IFS= read -r l; do
                              printf '%s %s\n' "$(e2e_secs)" "$l"; done >>"$WORK/rackbootd.log") 2>&1 &
  RB_PID=$!
  at_exit "stop_pid $RB_PID"
  wait_until 5 udp_bound "$NS_SRV" 67 && wait_until 5 udp_bound "$NS_SRV" 69 &&
    wait_until 5 tcp_listening 80 ||
    { fail "rackbootd did not start"; sed 's/^/  # /' "$WORK/rackbootd.log"; exit 1; }
}
e2e_rackbootd_stop() { stop_pid "$RB_PID"; echo "# $(e2e_secs) rackbootd stopped" >>"$WORK/rackbootd.log"; }

# A VM whose serial console shows one of these (extended regex) has reached
# a dead end it never leaves by itself (iPXE out of network devices to boot
# from, SeaBIOS with nothing left to boot, OVMF's boot manager or shell
# after every boot option failed, a kernel panic): it is stopped there, with status 125,
# rather than at the bound. Empty: never.
QEMU_DEAD_END=${QEMU_DEAD_END-'No bootable device|No bootable option or device was found|UEFI Interactive Shell|No more network devices|end Kernel panic'}
_qemu_dead_end() { # name, serial log, t0
  [ -n "$QEMU_DEAD_END" ] && grep -aqE "$QEMU_DEAD_END" "$2" || return 1
  echo "# $1: dead end on the serial console after $(e2e_secs "$3")s" \
    "('$(grep -aoE "$QEMU_DEAD_END" "$2" | head -1)'): stopping the VM"
  echo "# $(e2e_secs) boot $1: dead end on the serial console, VM stopped" >>"$WORK/rackbootd.log"
}

# Boot one VM and wait until it powers off (or $BOOT_BOUND passes): QEMU in
# the namespace, serial console to $WORK/NAME.serial.log, QEMU's own output
# to $WORK/NAME.qemu.log. The QEMU arguments given follow the common ones
# (machine, memory, no display, the serial file, no reboot). Sets BOOT_RC
# (QEMU's status; 124 = killed at the bound, 125 = stopped at a dead end,
# see QEMU_DEAD_END), BOOT_SECS (to power-off) and
# MARKER_SECS (when the marker line first appeared, or "none").
qemu_boot() { # name, qemu args...
  local name=$1 t0 st; shift
  local serial=$WORK/$name.serial.log qlog=$WORK/$name.qemu.log
  : >"$serial"
  QEMU_CMD=("$QEMU" -accel tcg -m "$QEMU_MEM" -nographic -monitor none -no-reboot
            -serial "file:$serial" "$@")
  echo "# $(e2e_secs) boot $name: ${QEMU_CMD[*]}" >>"$WORK/rackbootd.log"
  echo "# $name: ${QEMU_CMD[*]}"
  t0=$EPOCHREALTIME
  ip netns exec "${QEMU_NS:-$NS_SRV}" timeout -k 5 "$BOOT_BOUND" "${QEMU_CMD[@]}" </dev/null >"$qlog" 2>&1 &
  local qpid=$!
  at_exit "stop_pid $qpid"
  MARKER_SECS=none
  local gaveup=
  while :; do
    st=$(sed 's/^.*) //' "/proc/$qpid/stat" 2>/dev/null | cut -d' ' -f1)
    if [ "$MARKER_SECS" = none ] && grep -aq RACKBOOT-MARKER "$serial"; then
      MARKER_SECS=$(e2e_secs "$t0")
    fi
    [ -z "$st" ] || [ "$st" = Z ] && break
    if [ -z "$gaveup" ] && _qemu_dead_end "$name" "$serial" "$t0"; then gaveup=1; kill "$qpid" 2>/dev/null; fi
    sleep 0.2
  done
  wait "$qpid"; BOOT_RC=$?
  [ -z "$gaveup" ] || BOOT_RC=125
  BOOT_SECS=$(e2e_secs "$t0")
  [ "$MARKER_SECS" = none ] && grep -aq RACKBOOT-MARKER "$serial" && MARKER_SECS=$BOOT_SECS
  echo "# $(e2e_secs) boot $name ended: status $BOOT_RC after ${BOOT_SECS}s, marker at ${MARKER_SECS}s" \
    >>"$WORK/rackbootd.log"
  echo "# $name: QEMU status $BOOT_RC after ${BOOT_SECS}s, marker at ${MARKER_SECS}s"
}

# A serial log made readable: no ANSI/VT100 sequences, CRs or backspaced
# characters (SeaBIOS's serial console and OVMF draw with them).
plain_log() { sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][0-9A-Za-z]//g; s/.\x08//g; s/\r//g' "$1"; }

# One OVMF (UEFI) boot of a q35 VM with a virtio NIC on a new tap, its
# wire sniffed, its own copy of the variable store; NIC_OPTS go on the
# -device line (",bootindex=1"), further arguments to QEMU. Starts the
# boot's checks (e2e_boot_begin); the caller ends them.
ovmf_boot() { # name, tap, mac, nic opts, [qemu args...]
  local name=$1 tap=$2 mac=$3 nic=$4; shift 4
  e2e_tap "$tap"
  cp "$OVMF_VARS" "$WORK/ovmf-vars.fd"
  e2e_boot_begin
  e2e_wire_sniff "$name" "$tap"
  qemu_boot "$name" -machine q35 \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
    -drive "if=pflash,format=raw,unit=1,file=$WORK/ovmf-vars.fd" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=$nic" "$@"
  e2e_wire_stop
}

# What ipxe.efi does once running on OVMF, seen from rackbootd, the wire
# and the serial console: its DHCP with iPXE's user class, the script URL
# in the ACK, the script, kernel and initrd over HTTP from address IP, the
# EFI stub's initrd and the rendered command line.
check_ipxe_efi_boot() { # name, mac, ip
  local name=$1 mac=$2 ip=$3 f
  check_wire "$name" "ipxe.efi's DHCP carries iPXE's user class" \
    "vm> dhcp (DISCOVER|REQUEST) .* user-class=69505845 .*arch=0007"
  check_rb_log "$name: then rackbootd handed it the iPXE script URL" \
    "DHCPACK 198\.18\.0\.[0-9]+ to $mac \(ipxe: http://$SRV_IP:80/boot\.ipxe\)"
  for f in boot.ipxe vmlinuz initrd.img; do
    check_rb_log "$name: GET /$f over HTTP from ${ip:-?}" "http: GET /$f from ${ip:-none}\$"
  done
  check_serial "$name" "the EFI stub loaded initrd=initrd.img" \
    "EFI stub: Loaded initrd from command line option"
  check_serial "$name" "kernel command line as the profile rendered it ({{arch}} = efi-x64)" \
    "Command line: .*console=ttyS0 rackboot\.node=$mac rackboot\.fw=efi-x64 initrd=initrd\.img\$"
}

# Checks about one boot go between e2e_boot_begin and e2e_boot_end: if any
# of them failed, the end prints the serial console, QEMU's output and
# rackbootd's log once.
e2e_boot_begin() { _boot_failures=$_failures; }
e2e_boot_end() { [ "$_failures" = "$_boot_failures" ] || e2e_dump "$1"; }   # name

# The boot of NAME shows the marker for MAC (and firmware FW), and QEMU
# exited by itself (the init powered the VM off) within the bound.
check_marker() { # name, mac, fw
  local name=$1 want="RACKBOOT-MARKER node=$2 arch=x86_64 fw=$3"
  if plain_log "$WORK/$name.serial.log" | grep -qxF "$want"; then
    ok "$name: '$want' on the serial console after ${MARKER_SECS}s"
  else
    fail "$name: '$want' on the serial console (QEMU status $BOOT_RC after ${BOOT_SECS}s)"
  fi
  if [ "$BOOT_RC" = 0 ]; then
    ok "$name: the VM powered itself off (QEMU exited 0 after ${BOOT_SECS}s, bound ${BOOT_BOUND}s)"
  else
    fail "$name: the VM powered itself off (QEMU status $BOOT_RC after ${BOOT_SECS}s, 124 = the ${BOOT_BOUND}s bound, 125 = stopped at a dead end)"
  fi
}
e2e_dump() { # name
  echo "  # --- serial console of $1 (readable, last 100 lines) ---"
  plain_log "$WORK/$1.serial.log" | tail -100 | sed 's/^/  # /'
  echo "  # --- QEMU output ---"
  sed 's/^/  # /' "$WORK/$1.qemu.log"
  if [ -f "$WORK/$1.wire.log" ]; then
    echo "  # --- on the wire (wire.py) ---"
    sed 's/^/  # /' "$WORK/$1.wire.log"
  fi
  echo "  # --- rackbootd log (seconds since the test started) ---"
  tail -100 "$WORK/rackbootd.log" | sed 's/^/  # /'
  e2e_host_hints
}

# Does rackbootd's log hold a line matching the extended regex?
# rackbootd's log with the eBPF fast path's " (kernel)" mark taken out: a
# reply is the same datagram whichever path sent it (ARCHITECTURE, "The
# eBPF fast path"), so these checks hold for both.
rb_log() { sed 's/ (kernel)//' "$WORK/rackbootd.log"; }
rb_log_has() { rb_log | grep -aqE "$1"; }
check_rb_log() { # description, regex
  if rb_log | grep -aqE "$2"; then ok "$1"; else
    fail "$1 (no line matching /$2/ in rackbootd's log)"
  fi
}
check_serial() { # name, description, regex (on the readable serial log)
  if plain_log "$WORK/$1.serial.log" | grep -aqE "$3"; then ok "$1: $2"; else
    fail "$1: $2 (no line matching /$3/ on the serial console)"
  fi
}
# The address rackbootd acknowledged to MAC last, from its log.
rb_acked_ip() { sed -n "s/.*DHCPACK \([0-9.]*\) to $1.*/\1/p" "$WORK/rackbootd.log" | tail -1; }
# Seconds (log stamp) of the first rackbootd log line matching the regex.
rb_log_time() { awk -v re="$1" '$0 ~ re { print $1; exit }' "$WORK/rackbootd.log"; }

# One comment line with the boot's phases as rackbootd saw them (seconds
# since the VM was started): first DHCPDISCOVER, the DHCPACK, each file
# fetched, and the marker; then the same as a TIMING line for collection.
e2e_timeline() { # name, mac
  local name=$1 mac=$2 ip t0 out="" k re t
  t0=$(awk -v n="boot $name:" 'index($0, n) { print $2; exit }' "$WORK/rackbootd.log")
  ip=$(rb_acked_ip "$mac")
  for k in discover ack tftp boot.ipxe vmlinuz initrd.img; do
    case $k in
      discover) re="DHCPDISCOVER from $mac" ;;
      ack) re="DHCPACK [0-9.]+ to $mac" ;;
      tftp) re="RRQ from ${ip:-none} filename" ;;
      *) re="http: GET /$k from ${ip:-none}\$" ;;
    esac
    t=$(awk -v re="$re" -v t0="${t0:-0}" '$0 ~ re { printf "%.1f", $1 - t0; exit }' "$WORK/rackbootd.log")
    [ -n "$t" ] && out+=" $k=${t}s"
  done
  echo "# TIMING $name:$out marker=${MARKER_SECS}s poweroff=${BOOT_SECS}s"
}

# The boot protocol events on a VM's tap (tests/e2e/wire.py sniff), in
# $WORK/NAME.wire.log, for the length of one boot.
e2e_wire_sniff() { # name, tap
  ip netns exec "$NS_SRV" timeout -k 2 "$((BOOT_BOUND + 10))" python3 "$ROOT/tests/e2e/wire.py" \
    sniff "$2" "$WORK/$1.wire.log" "$((BOOT_BOUND + 5))" 2>>"$WORK/$1.wire.err" &
  WIRE_PID=$!
  at_exit "stop_pid $WIRE_PID"
  wait_until 5 grep -q 'listening on' "$WORK/$1.wire.log" 2>/dev/null ||
    { fail "wire.py sniff on $2 did not start: $(head -c 300 "$WORK/$1.wire.err")"; exit 1; }
}
# The VM's tap VMTAP is alone in namespace VMNS (e2e_tap VMTAP VMNS);
# wire.py forwards between it and a tap NETTAP it plugs into br0 in
# $NS_SRV, masking iPXE's DHCP identity until the VM's first TFTP request
# (see wire.py). Events in $WORK/NAME.wire.log.
e2e_wire_mask() { # name, vmns, vmtap, nettap
  ip netns exec "$2" timeout -k 2 "$((BOOT_BOUND + 10))" python3 "$ROOT/tests/e2e/wire.py" \
    mask "$3" "$4" "$WORK/$1.wire.log" "$((BOOT_BOUND + 5))" br0 "$NS_SRV" 2>>"$WORK/$1.wire.err" &
  WIRE_PID=$!
  at_exit "stop_pid $WIRE_PID"
  wait_until 5 grep -q 'forwarding' "$WORK/$1.wire.log" 2>/dev/null ||
    { fail "wire.py mask $3 <-> $4 did not start: $(head -c 300 "$WORK/$1.wire.err")"; exit 1; }
}
e2e_wire_stop() { stop_pid "$WIRE_PID"; }
# Does NAME's wire log hold a line matching the extended regex?
check_wire() { # name, description, regex
  if grep -aqE "$3" "$WORK/$1.wire.log"; then ok "$1: $2"; else
    fail "$1: $2 (no line matching /$3/ in the wire log)"
  fi
}

# ---------------------------------------------------------------------------
# Additions for proxy_dhcp.sh, storm.sh and uefi_http.sh. Nothing above
# changes behaviour (E2E_RANGE and QEMU_MEM default to what was fixed before).

# dnsmasq as the segment's own DHCP server (addresses only, no boot
# information), as a site would run it beside rackbootd --proxy-dhcp: in
# namespace $NS_DM, on veth $PFX-d (198.18.0.3/24) whose peer $PFX-bd is a
# port of br0. Leases in $WORK/dnsmasq.leases, its log (stamped like
# rackbootd's) in $WORK/dnsmasq.log. Extra dnsmasq arguments may follow.
# Sets DM_PID; waits until port 67 is bound.
DM_IP=198.18.0.3
DM_LO=198.18.0.160
DM_HI=198.18.0.180
NS_DM=$PFX-dm
e2e_dnsmasq() { # [dnsmasq args...]
  need dnsmasq
  netns_add "$NS_DM"
  ip link add "$PFX-d" netns "$NS_DM" type veth peer name "$PFX-bd" netns "$NS_SRV" ||
    { fail "cannot create veth $PFX-d"; exit 1; }
  ip -n "$NS_SRV" link set "$PFX-bd" master br0 up
  ip -n "$NS_DM" addr add $DM_IP/24 dev "$PFX-d"
  ip -n "$NS_DM" link set "$PFX-d" up
  echo "# $(e2e_secs) dnsmasq $*" >>"$WORK/dnsmasq.log"
  ip netns exec "$NS_DM" dnsmasq --no-daemon --port=0 --conf-file=/dev/null \
    --dhcp-range=$DM_LO,$DM_HI,255.255.255.0 --dhcp-leasefile="$WORK/dnsmasq.leases" \
    --interface="$PFX-d" --bind-interfaces --no-ping --log-dhcp --log-facility=- \
    --pid-file="$WORK/dnsmasq.pid" --user=root "$@" \
    > >(while IFS= read -r l; do printf '%s %s\n' "$(e2e_secs)" "$l"; done >>"$WORK/dnsmasq.log") 2>&1 &
  DM_PID=$!
  at_exit "stop_pid $DM_PID"
  wait_until 5 udp_bound "$NS_DM" 67 ||
    { fail "dnsmasq did not start"; sed 's/^/  # /' "$WORK/dnsmasq.log"; exit 1; }
}
check_dm_log() { # description, regex
  if grep -aqE "$2" "$WORK/dnsmasq.log"; then ok "$1"; else
    fail "$1 (no line matching /$2/ in dnsmasq's log)"
  fi
}

# Several VMs at once: qemu_start launches one (like qemu_boot, same logs and
# bound) and returns; qemu_wait_all polls every VM started so until each has
# ended, noting when its marker appeared and, while it ran, its QEMU's peak
# resident memory (VmHWM) and CPU time (user + system). qemu_result NAME then
# sets BOOT_RC, BOOT_SECS and MARKER_SECS (for check_marker, e2e_timeline),
# and VM_RSS_MB and VM_CPU_SECS.
declare -A _QPID _QT0 _QMARK _QEND _QRC _QRSS _QCPU _QDEAD
_QNAMES=()
qemu_start() { # name, qemu args...
  local name=$1; shift
  local serial=$WORK/$name.serial.log qlog=$WORK/$name.qemu.log
  : >"$serial"
  QEMU_CMD=("$QEMU" -accel tcg -m "$QEMU_MEM" -nographic -monitor none -no-reboot
            -serial "file:$serial" "$@")
  echo "# $(e2e_secs) boot $name: ${QEMU_CMD[*]}" >>"$WORK/rackbootd.log"
  echo "# $name: ${QEMU_CMD[*]}"
  _QT0[$name]=$EPOCHREALTIME
  ip netns exec "${QEMU_NS:-$NS_SRV}" timeout -k 5 "$BOOT_BOUND" "${QEMU_CMD[@]}" </dev/null >"$qlog" 2>&1 &
  _QPID[$name]=$!
  at_exit "stop_pid ${_QPID[$name]}"
  _QMARK[$name]=none _QEND[$name]="" _QRSS[$name]=0 _QCPU[$name]=0 _QDEAD[$name]=""
  _QNAMES+=("$name")
}
# QEMU itself is the child of timeout(1) (ip netns exec execs timeout).
_qemu_stats() { # name
  local p=${_QPID[$1]} c rss st
  c=$(cat "/proc/$p/task/$p/children" 2>/dev/null | awk '{ print $1 }')
  [ -n "$c" ] || return 0
  rss=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$c/status" 2>/dev/null)
  [ -n "$rss" ] && [ "$rss" -gt "${_QRSS[$1]}" ] && _QRSS[$1]=$rss
  st=$(sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null | awk '{ print $12 + $13 }')
  [ -n "$st" ] && [ "$st" -gt "${_QCPU[$1]}" ] && _QCPU[$1]=$st
  return 0
}
qemu_wait_all() {
  local n st running
  while :; do
    running=0
    for n in "${_QNAMES[@]}"; do
      [ -z "${_QEND[$n]}" ] || continue
      if [ "${_QMARK[$n]}" = none ] && grep -aq RACKBOOT-MARKER "$WORK/$n.serial.log"; then
        _QMARK[$n]=$(e2e_secs "${_QT0[$n]}")
      fi
      st=$(sed 's/^.*) //' "/proc/${_QPID[$n]}/stat" 2>/dev/null | cut -d' ' -f1)
      if [ -z "$st" ] || [ "$st" = Z ]; then
        wait "${_QPID[$n]}"; _QRC[$n]=$?
        [ -z "${_QDEAD[$n]}" ] || _QRC[$n]=125
        _QEND[$n]=$(e2e_secs "${_QT0[$n]}")
        [ "${_QMARK[$n]}" = none ] && grep -aq RACKBOOT-MARKER "$WORK/$n.serial.log" && _QMARK[$n]=${_QEND[$n]}
        echo "# $(e2e_secs) boot $n ended: status ${_QRC[$n]} after ${_QEND[$n]}s, marker at ${_QMARK[$n]}s" \
          >>"$WORK/rackbootd.log"
        echo "# $n: QEMU status ${_QRC[$n]} after ${_QEND[$n]}s, marker at ${_QMARK[$n]}s"
      else
        _qemu_stats "$n"
        if [ -z "${_QDEAD[$n]}" ] && _qemu_dead_end "$n" "$WORK/$n.serial.log" "${_QT0[$n]}"; then
          _QDEAD[$n]=1; kill "${_QPID[$n]}" 2>/dev/null
        fi
        running=$((running + 1))
      fi
    done
    [ "$running" = 0 ] && break
    sleep 0.2
  done
}
qemu_result() { # name
  BOOT_RC=${_QRC[$1]:-none} BOOT_SECS=${_QEND[$1]:-none} MARKER_SECS=${_QMARK[$1]:-none}
  VM_RSS_MB=$(( ${_QRSS[$1]:-0} / 1024 ))
  VM_CPU_SECS=$(awk -v t="${_QCPU[$1]:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')
}

# Busy and total CPU jiffies of the whole host so far (from /proc/stat).
host_cpu() { awk '$1 == "cpu" { b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6; print b, t; exit }' /proc/stat; }

# The host's neighbour (ARP) table is one for all network namespaces: when
# something else on the machine fills it (gc_thresh3 entries), the kernel
# drops our broadcasts and unicasts to new neighbours alike ("neighbor table
# overflow"), and DHCP replies never reach the VMs. Said once on a failure.
_E2E_OVF0=$(dmesg 2>/dev/null | grep -c 'neighbor table overflow')
e2e_host_hints() {
  local n
  n=$(dmesg 2>/dev/null | grep -c 'neighbor table overflow')
  [ "$n" -gt "$_E2E_OVF0" ] || return 0
  echo "  # HOST: the kernel logged $((n - _E2E_OVF0)) 'neighbor table overflow' during this test" \
    "(host-wide ARP table full: $(( 16#$(awk 'NR == 2 { print $1 }' /proc/net/stat/arp_cache) )) entries now," \
    "gc_thresh3 $(sysctl -n net.ipv4.neigh.default.gc_thresh3)); replies may have been dropped by the host, not by the servers"
}
