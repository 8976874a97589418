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

# rackbootd on br0 with the flags given (besides interface, address, range,
# root, state and HTTP port 80); its log, each line stamped with the seconds
# since the test started, goes to $WORK/rackbootd.log. Sets RB_PID; waits
# until DHCP (67), TFTP (69) and HTTP (80) are bound.
e2e_rackbootd() { # [flags...]
  mkdir -p "$WORK/state"
  echo "# $(e2e_secs) rackbootd $*" >>"$WORK/rackbootd.log"
  ip netns exec "$NS_SRV" "$RACKBOOTD" --stderr --interface br0 --address $SRV_IP/24 \
    --dhcp-range 198.18.0.100,198.18.0.150 --root "$E2E_ROOT" --state-dir "$WORK/state" \
    --http-port 80 "$@" > >(while IFS= read -r l; do
                              printf '%s %s\n' "$(e2e_secs)" "$l"; done >>"$WORK/rackbootd.log") 2>&1 &
  RB_PID=$!
  at_exit "stop_pid $RB_PID"
  wait_until 5 udp_bound "$NS_SRV" 67 && wait_until 5 udp_bound "$NS_SRV" 69 &&
    wait_until 5 tcp_listening 80 ||
    { fail "rackbootd did not start"; sed 's/^/  # /' "$WORK/rackbootd.log"; exit 1; }
}
e2e_rackbootd_stop() { stop_pid "$RB_PID"; echo "# $(e2e_secs) rackbootd stopped" >>"$WORK/rackbootd.log"; }

# Boot one VM and wait until it powers off (or $BOOT_BOUND passes): QEMU in
# the namespace, serial console to $WORK/NAME.serial.log, QEMU's own output
# to $WORK/NAME.qemu.log. The QEMU arguments given follow the common ones
# (machine, memory, no display, the serial file, no reboot). Sets BOOT_RC
# (QEMU's status; 124 = killed at the bound), BOOT_SECS (to power-off) and
# MARKER_SECS (when the marker line first appeared, or "none").
qemu_boot() { # name, qemu args...
  local name=$1 t0 st; shift
  local serial=$WORK/$name.serial.log qlog=$WORK/$name.qemu.log
  : >"$serial"
  QEMU_CMD=("$QEMU" -accel tcg -m 512 -nographic -monitor none -no-reboot
            -serial "file:$serial" "$@")
  echo "# $(e2e_secs) boot $name: ${QEMU_CMD[*]}" >>"$WORK/rackbootd.log"
  echo "# $name: ${QEMU_CMD[*]}"
  t0=$EPOCHREALTIME
  ip netns exec "${QEMU_NS:-$NS_SRV}" timeout -k 5 "$BOOT_BOUND" "${QEMU_CMD[@]}" </dev/null >"$qlog" 2>&1 &
  local qpid=$!
  at_exit "stop_pid $qpid"
  MARKER_SECS=none
  while :; do
    st=$(sed 's/^.*) //' "/proc/$qpid/stat" 2>/dev/null | cut -d' ' -f1)
    if [ "$MARKER_SECS" = none ] && grep -aq RACKBOOT-MARKER "$serial"; then
      MARKER_SECS=$(e2e_secs "$t0")
    fi
    [ -z "$st" ] || [ "$st" = Z ] && break
    sleep 0.2
  done
  wait "$qpid"; BOOT_RC=$?
  BOOT_SECS=$(e2e_secs "$t0")
  [ "$MARKER_SECS" = none ] && grep -aq RACKBOOT-MARKER "$serial" && MARKER_SECS=$BOOT_SECS
  echo "# $(e2e_secs) boot $name ended: status $BOOT_RC after ${BOOT_SECS}s, marker at ${MARKER_SECS}s" \
    >>"$WORK/rackbootd.log"
  echo "# $name: QEMU status $BOOT_RC after ${BOOT_SECS}s, marker at ${MARKER_SECS}s"
}

# A serial log made readable: no ANSI/VT100 sequences, CRs or backspaced
# characters (SeaBIOS's serial console and OVMF draw with them).
plain_log() { sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][0-9A-Za-z]//g; s/.\x08//g; s/\r//g' "$1"; }

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
    fail "$name: the VM powered itself off (QEMU status $BOOT_RC after ${BOOT_SECS}s, 124 = the ${BOOT_BOUND}s bound)"
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
}

# Does rackbootd's log hold a line matching the extended regex?
rb_log_has() { grep -aqE "$1" "$WORK/rackbootd.log"; }
check_rb_log() { # description, regex
  if grep -aqE "$2" "$WORK/rackbootd.log"; then ok "$1"; else
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
