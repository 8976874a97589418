#!/usr/bin/env bash
# A boot storm against rackbootd, measured and plotted: for each N in
# $NODES, rackbootd starts fresh in a private network namespace and
# build/rackboot-storm boots N simulated nodes from a second one (one veth,
# 198.18.0.0/16) — by default PXE DHCP and TFTP of a 1 MiB boot file, all
# nodes powered on at once.
#
#   bash bench/storm-plot.sh
#   NODES="1000" PHASES=dhcp,tftp,http MIX=bios=50,uefi=40,ipxe=10 bash bench/storm-plot.sh
#
# Writes, under $OUT:
#   storm-summary.csv      one row per run: wall time, completed/failed, phase
#                          percentiles, client CPU per node, server CPU
#   storm-N.json           rackboot-storm's raw per-node data
#   storm-N.txt            its summary
#   storm-N-timeline.dat   nodes in each phase every 10 ms (for the plot)
#   storm-N-cdf.dat        boot time of each completed node, sorted
#   storm-N.png            both, side by side (gnuplot, bench/plot-storm.gp)
#
# Environment (defaults in brackets): NODES ["100 1000 5000"]
#   PHASES [dhcp,tftp]  MIX [bios=50,uefi=50]  START [all] (or ramp:RATE)
#   BOOT_SIZE [1048576] bytes of the boot file (BIOS and UEFI alike)
#   KERNEL_SIZE [8388608] INITRD_SIZE [33554432] (with PHASES ...,http)
#   SCALE [1] (--timeout-scale)  MAX_TIME [300] s per run  OUT [build/bench]
#   RB_ARGS [] extra rackbootd flags (e.g. "--max-streams 64")
#
# The server's neighbour table is filled with permanent entries for the
# whole range first (see neigh_fill in tests/integration/lib.sh: the
# kernel's limit of 1024 is host-wide and would otherwise throttle the
# server past ~1000 nodes). Namespaces and processes are removed on exit,
# also on failure or Ctrl-C; every run is bounded by MAX_TIME.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/integration/lib.sh"
NODES=${NODES:-"100 1000 5000"}
PHASES=${PHASES:-dhcp,tftp}
MIX=${MIX:-bios=50,uefi=50}
START=${START:-all}
BOOT_SIZE=${BOOT_SIZE:-1048576}
KERNEL_SIZE=${KERNEL_SIZE:-8388608}
INITRD_SIZE=${INITRD_SIZE:-33554432}
SCALE=${SCALE:-1}
MAX_TIME=${MAX_TIME:-300}
OUT=${OUT:-$ROOT/build/bench}
RB_ARGS=${RB_ARGS:-}
mkdir -p "$OUT"
need ip ss timeout /usr/bin/python3 "$RACKBOOTD"
rb_bin
storm_bin

# Two namespaces on a veth, /16 so that tens of thousands of leases fit.
ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || { echo "cannot create namespaces" >&2; exit 1; }
at_exit ns_kill_all
ip link add "$PFX-s" netns "$NS_SRV" type veth peer name "$PFX-c" netns "$NS_CLI"
ip -n "$NS_SRV" addr add 198.18.0.1/16 dev "$PFX-s"
ip -n "$NS_CLI" addr add 198.18.0.2/16 dev "$PFX-c"
for ns in "$NS_SRV" "$NS_CLI"; do ip -n "$ns" link set lo up; done
ip -n "$NS_SRV" link set "$PFX-s" up
ip -n "$NS_CLI" link set "$PFX-c" up
cmac=$(ip -n "$NS_CLI" -br link show dev "$PFX-c" | awk '{ print $3 }')

R=$WORK/root
mkdir -p "$R"
mkrand "$R/boot.bin" "$BOOT_SIZE"
mkrand "$R/vmlinuz" "$KERNEL_SIZE"
mkrand "$R/initrd.img" "$INITRD_SIZE"
storm_rb_conf "$WORK/rb.conf" vmlinuz initrd.img
printf 'boot-bios boot.bin\nboot-efi-x64 boot.bin\n' >>"$WORK/rb.conf"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }   # pid
CSV=$OUT/storm-summary.csv
[ -s "$CSV" ] || echo "nodes,phases,mix,start,boot_size,wall_s,completed,failed,dhcp_p50_ms,dhcp_p99_ms,tftp_p50_ms,tftp_p99_ms,http_p50_ms,http_p99_ms,boot_p50_ms,boot_p90_ms,boot_p99_ms,boot_max_ms,mb_per_s,client_cpu_s,client_cpu_ms_per_node,server_cpu_s,retransmits" >"$CSV"
hz=$(getconf CLK_TCK)

for n in $NODES; do
  range=$((n + n / 10 + 100))
  [ $range -le 65000 ] || { echo "N=$n: more than a /16 holds" >&2; continue; }
  neigh_fill "$NS_SRV" "$PFX-s" "$cmac" 198.18.1.0 "$range"
  last=$(( (198 << 24 | 18 << 16 | 1 << 8) + range - 1 ))
  hi=$((last >> 24 & 255)).$((last >> 16 & 255)).$((last >> 8 & 255)).$((last & 255))
  rm -rf "$WORK/state"
  : >"$WORK/rackbootd.log"
  # shellcheck disable=SC2086
  start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address 198.18.0.1/16 --root "$R" \
    --state-dir "$WORK/state" --dhcp-range 198.18.1.0,$hi --http-port 8080 $RB_ARGS
  wait_until 5 tcp_listening 8080 || { echo "rackbootd did not start" >&2; cat "$WORK/rackbootd.log" >&2; exit 1; }
  t0=$(cpu_ticks $RB_PID)
  echo "== N=$n phases=$PHASES mix=$MIX start=$START boot file $BOOT_SIZE bytes" >&2
  in_cli timeout $((${MAX_TIME%.*} + 30)) "$STORM" --interface "$PFX-c" --nodes "$n" --mix "$MIX" \
    --start "$START" --phases "$PHASES" --timeout-scale "$SCALE" --max-time "$MAX_TIME" \
    --json "$OUT/storm-$n.json" >"$OUT/storm-$n.txt"
  t1=$(cpu_ticks $RB_PID)
  stop_pid $RB_PID
  cat "$OUT/storm-$n.txt"
  srv_cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
  echo "rackbootd CPU during the run: $srv_cpu s"
  /usr/bin/python3 - "$OUT/storm-$n.json" "$OUT/storm-$n" "$CSV" "$PHASES" "$MIX" "$START" "$BOOT_SIZE" "$srv_cpu" <<'PYEOF'
import json, sys
src, base, csv, phases, mix, start, boot_size, srv_cpu = sys.argv[1:9]
d = json.load(open(src))
s, nodes = d["summary"], d["nodes"]
P = ("dhcp", "tftp", "ipxe_dhcp", "http")
# nodes in each phase over time: +1 at a phase's start, -1 at its end (or
# when the node gave up in it)
ev = []
for n in nodes:
    for p, sp in n["phases"].items():
        ev.append((sp["start_ms"], P.index(p), 1))
        ev.append((sp["end_ms"] if sp["end_ms"] is not None else n["end_ms"], P.index(p), -1))
    ev.append((n["end_ms"], 4 if n["status"] == "ok" else 5, 1))
ev.sort()
cur = [0] * 6
step, t, i = 10.0, 0.0, 0
end = max((e[0] for e in ev), default=0) + step
with open(base + "-timeline.dat", "w") as f:
    f.write("# t_ms dhcp tftp ipxe_dhcp http done failed\n")
    while t <= end:
        while i < len(ev) and ev[i][0] <= t:
            cur[ev[i][1]] += ev[i][2]
            i += 1
        f.write("%.0f %s\n" % (t, " ".join(map(str, cur))))
        t += step
boot = sorted(n["end_ms"] - min(sp["start_ms"] for sp in n["phases"].values())
              for n in nodes if n["status"] == "ok")
with open(base + "-cdf.dat", "w") as f:
    f.write("# boot_ms fraction_of_all_nodes\n")
    for k, b in enumerate(boot):
        f.write("%.3f %.5f\n" % (b, (k + 1) / len(nodes)))
ph = s["phases"]
retx = sum(sp["retries"] for n in nodes for sp in n["phases"].values())
row = [len(nodes), phases.replace(",", "+"), mix.replace(",", "+"), start, boot_size,
       "%.3f" % s["wall_s"], s["completed"], s["failed"],
       ph["dhcp"]["p50_ms"], ph["dhcp"]["p99_ms"], ph["tftp"]["p50_ms"], ph["tftp"]["p99_ms"],
       ph["http"]["p50_ms"], ph["http"]["p99_ms"], ph["boot"]["p50_ms"], ph["boot"]["p90_ms"],
       ph["boot"]["p99_ms"], ph["boot"]["max_ms"], s["mb_per_s"],
       "%.3f" % (s["cpu_user_s"] + s["cpu_sys_s"]), "%.4f" % s["cpu_ms_per_node"], srv_cpu, retx]
open(csv, "a").write(",".join(map(str, row)) + "\n")
PYEOF
  if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "base='$OUT/storm-$n'; title='rackboot-storm: $n nodes, $PHASES, $MIX, start $START'" \
      "$ROOT/bench/plot-storm.gp" && echo "plot: $OUT/storm-$n.png"
  fi
done
echo "summary: $CSV"
column -s, -t "$CSV" >&2
