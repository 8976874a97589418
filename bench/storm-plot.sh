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
#                          percentiles, boot-time percentiles over all nodes
#                          (a failed node never boots: "inf"), boots/s,
#                          client CPU per node, server CPU
#   storm-N.json           rackboot-storm's raw per-node data
#   storm-N.txt            its summary
#   storm-N-timeline.dat   nodes in each phase every 10 ms (for the plot)
#   storm-N-cdf.dat        boot time of each completed node, sorted
#   storm-N.png, .svg      both, side by side (gnuplot, bench/plot-storm.gp)
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
source "$ROOT/bench/lib/cpu.sh"     # proc_ticks, CLK_TCK
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

storm_bench_setup      # namespaces (/16), files, rb.conf: tests/integration/lib.sh

CSV=$OUT/storm-summary.csv
COLS="nodes,phases,mix,start,boot_size,wall_s,completed,failed,dhcp_p50_ms,dhcp_p99_ms,tftp_p50_ms,tftp_p99_ms,http_p50_ms,http_p99_ms,boot_p50_s,boot_p90_s,boot_p99_s,boot_max_s,boots_per_s,mb_per_s,client_cpu_s,client_ms_per_node,server_cpu_s,retries,failures"
[ -s "$CSV" ] || echo "$COLS" >"$CSV"

for n in $NODES; do
  range=$((n + n / 10 + 100))
  [ $range -le 65000 ] || { echo "N=$n: more than a /16 holds" >&2; continue; }
  neigh_fill "$NS_SRV" "$PFX-s" "$CLI_MAC" 198.18.1.0 "$range"
  last=$(( (198 << 24 | 18 << 16 | 1 << 8) + range - 1 ))
  hi=$((last >> 24 & 255)).$((last >> 16 & 255)).$((last >> 8 & 255)).$((last & 255))
  rm -rf "$WORK/state"
  : >"$WORK/rackbootd.log"
  # shellcheck disable=SC2086
  start_rackbootd --config "$WORK/rb.conf" --interface "$PFX-s" --address 198.18.0.1/16 --root "$R" \
    --state-dir "$WORK/state" --dhcp-range 198.18.1.0,$hi --http-port 8080 $RB_ARGS
  wait_until 5 tcp_listening 8080 || { echo "rackbootd did not start" >&2; cat "$WORK/rackbootd.log" >&2; exit 1; }
  t0=$(proc_ticks $RB_PID)
  echo "== N=$n phases=$PHASES mix=$MIX start=$START boot file $BOOT_SIZE bytes" >&2
  in_cli timeout $((${MAX_TIME%.*} + 30)) "$STORM" --interface "$PFX-c" --nodes "$n" --mix "$MIX" \
    --start "$START" --phases "$PHASES" --timeout-scale "$SCALE" --max-time "$MAX_TIME" \
    --json "$OUT/storm-$n.json" >"$OUT/storm-$n.txt"
  t1=$(proc_ticks $RB_PID)
  stop_pid $RB_PID
  cat "$OUT/storm-$n.txt"
  srv_cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
  echo "rackbootd CPU during the run: $srv_cpu s"
  # plot data (every row) and the headline numbers (bench/storm-data.py)
  kvs=$(/usr/bin/python3 "$ROOT/bench/storm-data.py" "$OUT/storm-$n.json" "$OUT/storm-$n" 0) ||
    { echo "cannot read $OUT/storm-$n.json" >&2; exit 1; }
  row=
  for c in ${COLS//,/ }; do
    case $c in
      phases) v=${PHASES//,/+} ;; mix) v=${MIX//,/+} ;; start) v=$START ;;
      boot_size) v=$BOOT_SIZE ;; server_cpu_s) v=$srv_cpu ;;
      *) v=$(printf '%s\n' $kvs | sed -n "s/^$c=//p") ;;
    esac
    row=$row${row:+,}$v
  done
  echo "$row" >>"$CSV"
  if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "base='$OUT/storm-$n'; title='rackboot-storm: $n nodes, $PHASES, $MIX, start $START'" \
      "$ROOT/bench/plot-storm.gp" && echo "plot: $OUT/storm-$n.png .svg"
  fi
done
echo "summary: $CSV"
column -s, -t "$CSV" >&2
