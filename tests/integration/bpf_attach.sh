#!/usr/bin/env bash
# The eBPF fast path's lifecycle on a plain veth pair (nothing set up on the
# client side): rackbootd attaches TC (auto mode on veth) and pins its maps
# under /sys/fs/bpf/rackboot/<if>/; SIGTERM detaches and keeps the pins;
# SIGQUIT and kill -9 leave it attached and the next daemon adopts the
# maps; --bpf-attach forces a mode; --no-bpf attaches nothing; started with
# `ip netns exec` (which hides bpffs) it mounts bpffs itself; a fast path
# that cannot load is one clear log line and DHCP still answers;
# --bpf-remove detaches and unpins.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }

netns_setup
at_exit ns_kill_all
IF=$PFX-s
PINS=/sys/fs/bpf/rackboot/$IF
mkdir -p "$WORK/root" "$WORK/state"
ARGS=(--interface "$IF" --address "$SRV_IP/24" --root "$WORK/root" --state-dir "$WORK/state"
      --dhcp-range 198.18.0.100,198.18.0.199 --http-port 8080)
MAPS="rb_counters rb_events rb_tftp_sessions rb_tftp_files rb_tftp_file_meta"

tc_filter() { in_srv tc filter show dev "$IF" ingress 2>/dev/null; }
xdp_prog() { in_srv ip link show dev "$IF" | grep -oE ' xdp(generic|drv)? '; }
answered() { # last MAC byte: a DISCOVER gets an OFFER
  in_cli timeout 15 $DHCPC pxe "$PFX-c" bios --mac "02:00:00:00:00:$1" 2>/dev/null |
    kv yiaddr | grep -q .
}
restart() { : >"$WORK/rackbootd.log"; start_rackbootd "$@"; wait_until 5 grep -q "fast path" "$WORK/rackbootd.log"; }
logline() { grep -o 'eBPF fast path.*' "$WORK/rackbootd.log" | head -1; }

restart "${ARGS[@]}"
check "the log says where it attached: $(logline)" grep -q "eBPF fast path on $IF: tc, new maps" "$WORK/rackbootd.log"
check "TC ingress filter attached" grep -q "rb_tc" <<<"$(tc_filter)"
check "no XDP program on veth in auto mode" [ -z "$(xdp_prog)" ]
for m in $MAPS; do check "map $m pinned under $PINS" [ -e "$PINS/$m" ]; done
check "a DISCOVER is answered with the fast path attached" answered 01
m=$(in_srv curl -s "http://$SRV_IP:8080/metrics")
check "/metrics reports the mode" grep -q 'rackboot_fastpath_info{mode="tc"} 1' <<<"$m"
check "/metrics counts what the kernel saw" [ "$(awk '/^rackboot_fastpath_packets_total\{/ {s += $2} END {print s + 0}' <<<"$m")" -gt 0 ]

# SIGQUIT: stop for a restart, leave the fast path attached
kill -QUIT "$RB_PID"; wait "$RB_PID" 2>/dev/null
check "SIGQUIT says the fast path stays" grep -q "leaving the fast path attached" "$WORK/rackbootd.log"
check "after SIGQUIT the TC filter is still attached" grep -q "rb_tc" <<<"$(tc_filter)"
restart "${ARGS[@]}"
check "the next daemon adopts the pinned maps: $(logline)" grep -q "tc, adopted pinned maps" "$WORK/rackbootd.log"
check "one TC filter, not two" [ "$(tc_filter | grep -c 'rb_tc')" = 1 ]

# kill -9: nothing runs at exit, the fast path stays, the next one adopts
kill -9 "$RB_PID"; wait "$RB_PID" 2>/dev/null
check "after kill -9 the TC filter is still attached" grep -q "rb_tc" <<<"$(tc_filter)"
restart "${ARGS[@]}"
check "after kill -9 the next daemon adopts: $(logline)" grep -q "adopted pinned maps" "$WORK/rackbootd.log"

# SIGTERM: detach, keep the maps
stop_pid "$RB_PID"
check "SIGTERM detaches the TC filter" [ -z "$(tc_filter | grep rb_tc)" ]
check "SIGTERM keeps the pinned maps" [ -e "$PINS/rb_counters" ]

# forced modes
restart "${ARGS[@]}" --bpf-attach xdp-generic
check "--bpf-attach xdp-generic: $(logline)" grep -q "xdp-generic+tc" "$WORK/rackbootd.log"
check "generic XDP program attached" grep -q "xdpgeneric" <<<"$(xdp_prog)"
check "a DISCOVER is answered with XDP attached" answered 02
stop_pid "$RB_PID"
check "SIGTERM detaches XDP too" [ -z "$(xdp_prog)" ]
restart "${ARGS[@]}" --bpf-attach tc
check "--bpf-attach tc: $(logline)" grep -q ": tc, " "$WORK/rackbootd.log"
stop_pid "$RB_PID"
err=$("$RACKBOOTD" "${ARGS[@]}" --bpf-attach sideways 2>&1); rc=$?
check "--bpf-attach with a bad mode: exit 64 and says so" [ $rc = 64 ] && grep -q "bpf-attach" <<<"$err"

# rackboot.ko: this kernel has no modules, so --kmod auto and forbid take
# the map path, and require refuses the fast path (one line), DHCP answered
restart "${ARGS[@]}" --kmod forbid
check "--kmod forbid: the map path ($(logline))" grep -q "eBPF fast path on $IF: tc" "$WORK/rackbootd.log"
stop_pid "$RB_PID"
restart "${ARGS[@]}" --kmod require
check "--kmod require without the module: one warning, userspace ($(logline))" \
  grep -q "eBPF fast path unavailable on $IF, serving everything from userspace: .*rackboot.ko" "$WORK/rackbootd.log"
check "--kmod require without the module: DHCP still answered" answered 05
stop_pid "$RB_PID"
err=$("$RACKBOOTD" "${ARGS[@]}" --kmod sometimes 2>&1); rc=$?
check "--kmod with a bad mode: exit 64 and says so" [ $rc = 64 ] && grep -q "kmod" <<<"$err"

# --no-bpf: nothing attached
restart "${ARGS[@]}" --no-bpf
sleep 0.5
check "--no-bpf: no TC filter" [ -z "$(tc_filter | grep rb_tc)" ]
check "--no-bpf: no fast-path line in the log" [ -z "$(logline)" ]
check "--no-bpf: a DISCOVER is answered" answered 03
stop_pid "$RB_PID"

# cannot load: without CAP_BPF and CAP_SYS_ADMIN the kernel refuses the
# programs; the daemon says so in one line and serves from userspace
: >"$WORK/rackbootd.log"
nsenter --net="/run/netns/$NS_SRV" setpriv --bounding-set=-bpf,-sys_admin,-perfmon \
  "$RACKBOOTD" --stderr "${ARGS[@]}" >>"$WORK/rackbootd.log" 2>&1 &
RB_PID=$!; at_exit "stop_pid $RB_PID"
wait_until 5 grep -q "fast path" "$WORK/rackbootd.log"
wait_until 5 udp_bound "$NS_SRV" 67
check "a fast path that cannot load is one warning line: $(logline)" \
  grep -q "eBPF fast path unavailable on $IF, serving everything from userspace: .*Operation not permitted" "$WORK/rackbootd.log"
check "and DHCP is still answered from userspace" answered 04
stop_pid "$RB_PID"

# ip netns exec hides the host's bpffs: the daemon mounts one
ip netns exec "$NS_SRV" "$RACKBOOTD" --stderr "${ARGS[@]}" >"$WORK/netns-exec.log" 2>&1 &
pid=$!; at_exit "stop_pid $pid"
wait_until 5 grep -q "fast path" "$WORK/netns-exec.log"
check "under ip netns exec it mounts bpffs and attaches: $(grep -o 'eBPF fast path.*' "$WORK/netns-exec.log")" \
  grep -q "eBPF fast path on $IF: tc" "$WORK/netns-exec.log"
stop_pid "$pid"

# --bpf-remove: detach and unpin what a killed daemon left
restart "${ARGS[@]}"
kill -9 "$RB_PID"; wait "$RB_PID" 2>/dev/null
out=$(nsenter --net="/run/netns/$NS_SRV" "$RACKBOOTD" --stderr "${ARGS[@]}" --bpf-remove 2>&1); rc=$?
check "--bpf-remove exits 0: $out" [ $rc = 0 ]
check "--bpf-remove detached the TC filter" [ -z "$(tc_filter | grep rb_tc)" ]
check "--bpf-remove removed the pins" [ ! -e "$PINS" ]
finish
