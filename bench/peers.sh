#!/usr/bin/env bash
# The same boot storm against three boot stacks, one after another:
#
#   rackboot   rackbootd alone (DHCP, TFTP and HTTP in one process)
#   dnsmasq    dnsmasq 2.90 (DHCP + TFTP) with nginx (HTTP)
#   kea        kea-dhcp4 2.2 (memfile) with tftpd-hpa 5.2 and nginx
#
#   bash bench/peers.sh                    # four storms, all stacks, ~15 min (bounded: 4 x 3 x 360 s)
#   STORMS=tftp TFTP_NODES=1000 bash bench/peers.sh      # a quick look
#   STACKS="rackboot kea" STORMS=full FULL_NODES=200 bash bench/peers.sh
#
# Two storms (STORMS):
#   tftp  TFTP_NODES nodes (10,000) power on together: PXE DHCP, then TFTP of a
#         BOOT_SIZE (1 MiB) boot file. Mix bios=50,uefi=50: BIOS nodes ask
#         blksize 1432/1456 + tsize, UEFI nodes the EDK2 pattern (tsize probe,
#         abort, blksize 1468 windowsize 4).
#   full  FULL_NODES nodes (1,000) power on together and boot all the way: PXE
#         DHCP, TFTP of the boot file, the iPXE DHCP, HTTP of the iPXE
#         script, a KERNEL_SIZE kernel and an INITRD_SIZE initrd (8 + 24 =
#         32 MiB). Mix bios=50,uefi=40,ipxe=10.
# each either all at once (START, default "all": the worst case — every
# node's retransmissions fall on the same instants, as no firmware adds
# jitter) or as a ramp, KIND@ramp:RATE nodes per second in MAC order (a row
# whose machines come out of POST over some seconds). The default runs
# both storms both ways.
#
# Same for every stack: two network namespaces on one veth (198.18.0.1/16
# server, the client side holds every leased address), the same files (one
# random boot file for both architectures, the same kernel and initrd, an
# iPXE script that boots them), the same address range, the same
# rackboot-storm command line, permanent neighbour entries for the whole
# range on the server side (the kernel's neighbour table limit is host-wide;
# without them every server stalls past ~1000 nodes on ARP, not on its own
# work). Each stack starts fresh (empty lease files) in a cgroup of its own,
# so its CPU counts every process, thread and fork of it (tftpd-hpa's
# children, nginx's workers), kernel time included; rackboot-storm runs in
# another. Stacks run one after another within a storm, ROUNDS times
# (order rotated each round), so a noisy minute on this shared machine does
# not fall on one stack only.
#
# Peers configured for the load (flags in the report and docs/BENCHMARKS.md):
#   dnsmasq: --dhcp-lease-max=100000 (default 1000), --no-ping (default: an
#     ICMP echo before each offer), --tftp-max=65000 (default 50 transfers),
#     RLIMIT_NOFILE raised to the hard limit, --quiet-dhcp --quiet-tftp, no DNS (--port=0).
#     Lease file kept (dnsmasq writes it on every change; that is its
#     durability, as rackbootd's is SQLite with fsync).
#   Kea: raw sockets on the interface, memfile (persist, no LFC), classes:
#     user class iPXE -> the script URL, PXEClient -> boot file and
#     next-server; multi-threading as KEA_MT (default 0, Kea 2.2's own
#     default), WARN logging only.
#   tftpd-hpa: in.tftpd -L -a 198.18.0.1:69 -s ROOT -u root (forks a child
#     per transfer; there is no limit to raise). No windowsize in 5.2.
#   nginx 1.22 (both peers): 2 workers (auto), sendfile, tcp_nopush,
#     worker_connections 65000, keepalive_requests 100000, access_log off,
#     open_file_cache, listen backlog 4096.
#   rackbootd: defaults, with --dhcp-range, --http-port 8080.
#
# Measured per run: from rackboot-storm's JSON (bench/storm-data.py):
# completed/failed (by phase and reason), boots/s (completed / time until the
# last of them booted), boot time p50/p99 over all nodes (a failed node
# counts as never booting), retries, 503s; server CPU seconds (cgroup
# usage_usec) per completed boot; rackboot-storm's own CPU per node (its
# cgroup); the busiest thread of each side; the whole machine's CPU.
# "saturated": "server" when a server thread used >= 90 % of a core during
# the run or the server cgroup >= 90 % of all CPUs, "client" when
# rackboot-storm's one thread used >= 90 %, "machine" when the whole machine
# was >= 85 % busy, "-" when none (then timers — the firmware's retry
# schedule — set the pace).
#
# Writes under $OUT (docs/bench): peers-$TAG.csv (one row per run),
# peers-$TAG.md (the tables), peers-$TAG-STORM-STACK-{cdf,timeline}.dat
# (thinned plot data) and peers-$TAG-STORM.{png,svg} (bench/plot-peers.gp:
# boot-time CDF and nodes booted over time, stacks side by side). Raw
# per-node JSON and the storm summaries go to $RAW (build/bench/peers).
# Every storm is bounded by MAX_TIME (rackboot-storm --max-time) and killed
# 60 s after; namespaces (rbp<pid>-...), cgroups and servers are removed on
# exit, also on failure or Ctrl-C.
#
# Environment (defaults in brackets):
#   STACKS ["rackboot dnsmasq kea"]  ROUNDS [1]
#   STORMS ["tftp full tftp@ramp:500 full@ramp:50"] (KIND[@START])
#   TFTP_NODES [10000]  FULL_NODES [1000]  BOOT_SIZE [1048576]
#   KERNEL_SIZE [8388608]  INITRD_SIZE [25165824]  START [all] (or ramp:RATE)
#   TFTP_MIX [bios=50,uefi=50]  FULL_MIX [bios=50,uefi=40,ipxe=10]
#   MAX_TIME [300] s per storm  KEA_MT [0]  OUT [docs/bench]
#   RAW [build/bench/peers]  TAG [UTC date]
#   REPORT_ONLY [0] (1: tables and plots again from $OUT/peers-$TAG.csv/.dat)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/tests/integration/lib.sh"
BENCH_NAME=peers
# from bench/lib/: log/die, cgroups and CPU counters, port checks in a
# namespace, starting processes in a cgroup, the nginx configuration (the
# namespaces themselves, the files and the exit trap come from
# tests/integration/lib.sh, as for storm-plot.sh)
source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/cgroup.sh"
source "$ROOT/bench/lib/netns.sh"
source "$ROOT/bench/lib/server.sh"
source "$ROOT/bench/lib/nginx.sh"
bench_names rbp rbpeers   # namespaces rbp<pid>-srv/-cli, cgroups rbpeers-<pid>-*

STACKS=${STACKS:-"rackboot dnsmasq kea"}
STORMS=${STORMS:-"tftp full tftp@ramp:500 full@ramp:50"}
ROUNDS=${ROUNDS:-1}
TFTP_NODES=${TFTP_NODES:-10000}
FULL_NODES=${FULL_NODES:-1000}
BOOT_SIZE=${BOOT_SIZE:-1048576}
KERNEL_SIZE=${KERNEL_SIZE:-8388608}
INITRD_SIZE=${INITRD_SIZE:-25165824}
START=${START:-all}
TFTP_MIX=${TFTP_MIX:-bios=50,uefi=50}
FULL_MIX=${FULL_MIX:-bios=50,uefi=40,ipxe=10}
MAX_TIME=${MAX_TIME:-300}
KEA_MT=${KEA_MT:-0}
OUT=${OUT:-$ROOT/docs/bench}
RAW=${RAW:-$ROOT/build/bench/peers}
TAG=${TAG:-$(date -u +%Y-%m-%d)}
REPORT_ONLY=${REPORT_ONLY:-0}
KEA=${KEA:-/usr/sbin/kea-dhcp4}
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
NGINX=${NGINX:-/usr/sbin/nginx}
HPA=${HPA:-/usr/sbin/in.tftpd}
SRV=198.18.0.1 HTTP_PORT=8080 RANGE_LO=198.18.1.0
NCPU=$(nproc)
CSV=$OUT/peers-$TAG.csv
MD=$OUT/peers-$TAG.md
mkdir -p "$OUT" "$RAW"
COLS="storm,stack,round,nodes,completed,failed,boots_per_s,last_ok_s,wall_s,boot_p50_s,boot_p90_s,boot_p99_s,boot_max_s,mb_per_s,server_cpu_s,server_ms_per_boot,server_busiest,client_cpu_s,client_ms_per_node,client_busiest,machine_busy,saturated,retries,http_503,dhcp_p99_ms,tftp_p99_ms,ipxe_dhcp_p99_ms,http_p99_ms,failures"

# ------------------------------------------------------------------ report
report() {
  [ -s "$CSV" ] || die "no results in $CSV"
  /usr/bin/python3 - "$CSV" "$MD" "$REPORT_ONLY" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
md, report_only = sys.argv[2], sys.argv[3] == "1"
head = ""
if report_only:
    try:
        head = open(md).read().split("\n| storm")[0].rstrip() + "\n"
    except OSError:
        pass
names = {"rackboot": "rackbootd", "dnsmasq": "dnsmasq + nginx", "kea": "Kea + tftpd-hpa + nginx"}
def med(v):
    v = sorted(v)
    return v[(len(v) - 1) // 2] if v else None
def ratio(ours, peer, peer_inf="-"):
    """rackbootd / peer; inf: the peer's p99 node never booted, or it booted none."""
    if peer == float("inf"):
        return peer_inf
    if ours == float("inf") or peer == 0:
        return "-"
    return "%.2fx" % (ours / peer)
def f(x):
    try:
        return float(x)
    except ValueError:
        return float("inf")
out = [head] if head else []
out.append("| storm | stack | round | completed | failed (phase:reason) | boots/s | p50 boot | p99 boot | server CPU s | server CPU ms/boot | busiest server thread | storm CPU ms/node | storm thread | machine | saturated |")
out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    fails = r["failures"].replace(";", ", ") if r["failures"] != "-" else "0"
    if r["failures"] != "-":
        fails = "%s (%s)" % (r["failed"], fails)
    out.append("| %s (%s nodes) | %s | %s | %s | %s | %s | %s s | %s s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["storm"], r["nodes"], names.get(r["stack"], r["stack"]), r["round"], r["completed"], fails,
        r["boots_per_s"], r["boot_p50_s"], r["boot_p99_s"], r["server_cpu_s"], r["server_ms_per_boot"],
        r["server_busiest"], r["client_ms_per_node"], r["client_busiest"], r["machine_busy"], r["saturated"]))
out.append("")
storms = []
for r in rows:
    if r["storm"] not in storms:
        storms.append(r["storm"])
out.append("rackbootd against each peer (medians over rounds; boots/s: higher is better, the others lower):")
out.append("")
out.append("| storm | peer | boots/s ratio | p99 boot ratio | server CPU/boot ratio | peer failures |")
out.append("|---|---|---|---|---|---|")
for st in storms:
    by = {}
    for r in rows:
        if r["storm"] == st:
            by.setdefault(r["stack"], []).append(r)
    if "rackboot" not in by:
        continue
    rb = by["rackboot"]
    rb_bps = med([f(r["boots_per_s"]) for r in rb])
    rb_p99 = med([f(r["boot_p99_s"]) for r in rb])
    rb_cpu = med([f(r["server_ms_per_boot"]) for r in rb])
    for peer, pr in by.items():
        if peer == "rackboot":
            continue
        p_bps = med([f(r["boots_per_s"]) for r in pr])
        p_p99 = med([f(r["boot_p99_s"]) for r in pr])
        p_cpu = med([f(r["server_ms_per_boot"]) for r in pr])
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            st, names.get(peer, peer), ratio(rb_bps, p_bps), ratio(rb_p99, p_p99, "peer's p99 node never booted"),
            ratio(rb_cpu, p_cpu), " / ".join(r["failed"] for r in pr)))
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PYEOF
  local st
  command -v gnuplot >/dev/null || die "gnuplot is missing (package gnuplot-nox; run make deps)"
  for st in $STORMS; do
    st=$(storm_tag "$st")
    ls "$OUT/peers-$TAG-$st"-*-cdf.dat >/dev/null 2>&1 || continue
    gnuplot -e "base='$OUT/peers-$TAG-$st'; title='$(storm_title "$st")'; stacks='$(stacks_present "$st")'" \
      "$ROOT/bench/plot-peers.gp" || die "gnuplot failed for $st"
    log "plots: $OUT/peers-$TAG-$st.png .svg"
  done
}
# A storm is KIND[@START]: tftp@ramp:500 is the tftp storm with nodes
# powered on 500 per second. Its tag in file names: tftp-ramp500.
storm_kind() { echo "${1%%[@-]*}"; }
storm_start() { case $1 in *@*) echo "${1#*@}" ;; *-ramp*) echo "ramp:${1#*-ramp}" ;; *) echo "$START" ;; esac; }
storm_tag() { case $1 in *@*) local x=${1#*@}; echo "$(storm_kind "$1")-${x//:/}" ;; *) echo "$1" ;; esac; }
storm_title() { # tag
  local start; start=$(storm_start "$1")
  case $start in all) start="at once" ;; ramp:*) start="powered on ${start#ramp:}/s" ;; esac
  case $(storm_kind "$1") in
    tftp) echo "$TFTP_NODES nodes $start: PXE DHCP + TFTP of a $((BOOT_SIZE >> 10)) KiB boot file ($TFTP_MIX)" ;;
    full) echo "$FULL_NODES nodes $start: DHCP, TFTP, iPXE DHCP, HTTP of $(((KERNEL_SIZE + INITRD_SIZE) >> 20)) MiB ($FULL_MIX)" ;;
  esac
}
stacks_present() { # storm -> the stacks that have plot data, in STACKS order
  local s out=
  for s in $STACKS; do [ -f "$OUT/peers-$TAG-$1-$s-cdf.dat" ] && out="$out $s"; done
  echo $out
}

if [ "$REPORT_ONLY" = 1 ]; then report; exit 0; fi

# ------------------------------------------------------------------ setup
need ip ss timeout /usr/bin/python3 gnuplot "$RACKBOOTD" "$KEA" "$DNSMASQ" "$NGINX" "$HPA"
bench_need_root
rb_bin
storm_bin
cg_find_root
for s in $STACKS; do case $s in rackboot|dnsmasq|kea) ;; *) die "unknown stack $s (rackboot dnsmasq kea)";; esac; done
for s in $STORMS; do
  case $(storm_kind "$s") in tftp|full) ;; *) die "unknown storm $s (tftp, full, KIND@ramp:RATE)";; esac
  case $(storm_start "$s") in all|ramp:[0-9]*) ;; *) die "storm $s: start must be all or ramp:RATE";; esac
done
pkill -x kea-dhcp4 2>/dev/null; pkill -x nginx 2>/dev/null   # a packaged service would hold the lock files

at_exit cg_stop_all
storm_bench_setup      # namespaces (/16), files, rb.conf: tests/integration/lib.sh
# the peers' script (rackbootd renders the same lines from its profile)
printf '#!ipxe\nkernel http://%s:%s/vmlinuz console=ttyS0 rackboot-storm\ninitrd http://%s:%s/initrd.img\nboot\n' \
  $SRV $HTTP_PORT $SRV $HTTP_PORT >"$R/boot.ipxe"
chmod 644 "$R/boot.ipxe"

ip2n() { local IFS=.; set -- $1; echo $(( $1 << 24 | $2 << 16 | $3 << 8 | $4 )); }
n2ip() { echo $(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255)); }
MAXN=$TFTP_NODES; [ "$FULL_NODES" -gt "$MAXN" ] && MAXN=$FULL_NODES
RANGE=$((MAXN + MAXN / 10 + 100))
[ $RANGE -le 65000 ] || die "$MAXN nodes: more than a /16 holds"
RANGE_HI=$(n2ip $(( $(ip2n $RANGE_LO) + RANGE - 1 )))
neigh_fill "$NS_SRV" "$PFX-s" "$CLI_MAC" $RANGE_LO $RANGE || die "cannot fill the neighbour table"

nginx_conf "$WORK/nginx" "$SRV:$HTTP_PORT" "$R" 65000

kea_conf() { # dir
  local mt=false; [ "$KEA_MT" = 1 ] && mt=true
  cat >"$1/kea.json" <<JEOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "$PFX-s" ], "dhcp-socket-type": "raw" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$1/kea-leases4.csv", "lfc-interval": 0 },
  "multi-threading": { "enable-multi-threading": $mt },
  "valid-lifetime": 3600,
  "client-classes": [
    { "name": "ipxe", "test": "substring(option[77].hex,0,4) == 'iPXE'",
      "boot-file-name": "http://$SRV:$HTTP_PORT/boot.ipxe" },
    { "name": "pxe", "test": "not member('ipxe') and substring(option[60].hex,0,9) == 'PXEClient'",
      "next-server": "$SRV", "boot-file-name": "boot.bin" }
  ],
  "subnet4": [ { "id": 1, "subnet": "198.18.0.0/16", "pools": [ { "pool": "$RANGE_LO - $RANGE_HI" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stderr" } ], "severity": "WARN" } ]
} }
JEOF
}

# Start one process of a stack in the stack's cgroup, in the server
# namespace, with a large descriptor limit; its output goes to LOG.
start_in_cg() { # cgroup, log, command...
  local cg=$1 logf=$2; shift 2
  cg_spawn -n "$cg" "$logf" ip netns exec "$NS_SRV" "$@"   # bench/lib/server.sh
}
listening() { ns_listening "$NS_SRV" "$@"; }   # proto (u, t), port
start_stack() { # stack, dir; sets SRV_CG
  local st=$1 d=$2
  cg_new SRV_CG "$st"
  mkdir "$d/run" "$d/state"
  case $st in
    rackboot)
      start_in_cg "$SRV_CG" "$d/rackbootd.log" "$RACKBOOTD" --stderr --config "$WORK/rb.conf" \
        --interface "$PFX-s" --address $SRV/16 --root "$R" --state-dir "$d/state" \
        --dhcp-range $RANGE_LO,$RANGE_HI --http-port $HTTP_PORT ;;
    dnsmasq)
      start_in_cg "$SRV_CG" "$d/dnsmasq.log" "$DNSMASQ" --no-daemon --port=0 --conf-file=/dev/null \
        --pid-file= --user=root --interface="$PFX-s" --bind-interfaces \
        --dhcp-range=$RANGE_LO,$RANGE_HI,255.255.0.0,3600s --dhcp-leasefile="$d/dnsmasq.leases" \
        --dhcp-lease-max=100000 --no-ping --quiet-dhcp --quiet-tftp --log-facility="$d/dnsmasq-syslog.log" \
        --enable-tftp --tftp-root="$R" --tftp-max=65000 \
        --dhcp-userclass=set:ipxe,iPXE \
        --dhcp-boot=tag:ipxe,http://$SRV:$HTTP_PORT/boot.ipxe \
        --dhcp-boot=tag:!ipxe,boot.bin,,$SRV
      start_in_cg "$SRV_CG" "$d/nginx.log" "$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" \
        -e "$WORK/nginx/logs/error.log" ;;
    kea)
      kea_conf "$d"
      start_in_cg "$SRV_CG" "$d/kea.log" env KEA_PIDFILE_DIR="$d/run" KEA_LOCKFILE_DIR="$d/run" \
        "$KEA" -c "$d/kea.json"
      start_in_cg "$SRV_CG" "$d/tftpd-hpa.log" "$HPA" -L -a $SRV:69 -s "$R" -u root
      start_in_cg "$SRV_CG" "$d/nginx.log" "$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" \
        -e "$WORK/nginx/logs/error.log" ;;
  esac
  local i
  for i in $(seq 1 100); do
    listening u 67 && listening u 69 && listening t $HTTP_PORT && { sleep 0.5; return 0; }
    sleep 0.1
  done
  log "$st did not start: 67/udp $(listening u 67 && echo up || echo down), 69/udp $(listening u 69 && echo up || echo down), $HTTP_PORT/tcp $(listening t $HTTP_PORT && echo up || echo down)"
  tail -n 20 "$d"/*.log >&2
  return 1
}
stack_versions() {
  echo "rackbootd $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$("$DNSMASQ" --version | head -1 | sed 's/ *Copyright.*//')," \
    "kea-dhcp4 $("$KEA" -v 2>/dev/null)," \
    "tftpd-hpa $("$HPA" -V 2>&1 | head -1 | awk '{ sub(/,$/, "", $2); print $2 }')," \
    "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
}

# Sample the busiest threads while the storm runs: per-thread ticks
# (cg_thread_ticks, bench/lib/cpu.sh) at the start and every second
# (threads that die, like tftpd-hpa's children, are counted up to their
# last sample).
sample_threads() { # cgroup, out-prefix, pid-to-watch
  local k=0
  cg_thread_ticks "$1" >"$2.0"
  while kill -0 "$3" 2>/dev/null; do
    sleep 1; k=$((k + 1))
    cg_thread_ticks "$1" >"$2.$k"
  done
  echo $k >"$2.n"
}
# the largest share of one core used by any thread over the whole sampled
# run: a thread's last sample minus its first
busiest_sampled() { # prefix, seconds
  local n; n=$(cat "$1.n" 2>/dev/null || echo 0)
  # a thread absent from the first sample was born during the run: all
  # its ticks count
  awk -v secs="$2" -v hz="$CLK_TCK" 'FILENAME == ARGV[1] { first[$1] = $2 } { if (!($1 in first)) first[$1] = 0; last[$1] = $2 }
    END { for (t in last) { d = last[t] - first[t]; if (d > m) m = d }
          printf "%.2f", (secs > 0 ? m / hz / secs : 0) }' $(seq -f "$1.%g" 0 "$n")
}

run_one() { # storm, stack, round
  local storm st=$2 round=$3 nodes mix phases d base start
  storm=$(storm_tag "$1") start=$(storm_start "$1")
  case $(storm_kind "$1") in
    tftp) nodes=$TFTP_NODES mix=$TFTP_MIX phases=dhcp,tftp ;;
    full) nodes=$FULL_NODES mix=$FULL_MIX phases=dhcp,tftp,ipxe_dhcp,http ;;
  esac
  d=$WORK/$storm-$st-$round
  mkdir -p "$d"
  start_stack "$st" "$d" || { cg_stop "$SRV_CG"; return 1; }
  local cli_cg
  cg_new cli_cg storm
  base=$RAW/$storm-$st-$round
  log "$storm storm, $nodes nodes ($mix, $phases, start $start), stack $st, round $round"
  local s0 c0 m0 t0 s1 c1 m1 t1
  s0=$(cg_usage_us "$SRV_CG"); c0=$(cg_usage_us "$cli_cg"); m0=$(machine_busy_ticks); t0=$(date +%s.%N)
  "${CG_JOIN[@]}" "$cli_cg" \
    ip netns exec "$NS_CLI" timeout $((MAX_TIME + 60)) "$STORM" --interface "$PFX-c" --nodes "$nodes" \
    --mix "$mix" --start "$start" --phases "$phases" --max-time "$MAX_TIME" \
    --json "$base.json" >"$base.txt" 2>"$base.err" &
  local spid=$!
  sample_threads "$SRV_CG" "$d/srv-threads" $spid &
  local sampler=$!
  sample_threads "$cli_cg" "$d/cli-threads" $spid &
  local csampler=$!
  wait $spid
  local rc=$?
  t1=$(date +%s.%N); s1=$(cg_usage_us "$SRV_CG"); c1=$(cg_usage_us "$cli_cg"); m1=$(machine_busy_ticks)
  wait $sampler $csampler
  cg_stop "$SRV_CG"
  cg_stop "$cli_cg"
  sed 's/^/    /' "$base.txt" >&2
  [ -s "$base.err" ] && sed 's/^/    storm stderr: /' "$base.err" | head -5 >&2
  [ -s "$base.json" ] || { log "no JSON from rackboot-storm (exit $rc)"; return 1; }
  local kvs secs
  kvs=$(/usr/bin/python3 "$ROOT/bench/storm-data.py" "$base.json" "$OUT/peers-$TAG-$storm-$st" 2000) ||
    { log "cannot read $base.json"; return 1; }
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  local srv_busiest cli_busiest
  srv_busiest=$(busiest_sampled "$d/srv-threads" "$secs")
  cli_busiest=$(busiest_sampled "$d/cli-threads" "$secs")
  /usr/bin/python3 - "$CSV" "$COLS" "$storm" "$st" "$round" "$kvs" "$(( s1 - s0 ))" "$(( c1 - c0 ))" \
    "$(( m1 - m0 ))" "$secs" "$CLK_TCK" "$NCPU" "$srv_busiest" "$cli_busiest" <<'PYEOF'
import sys
csv, cols, storm, stack, rnd, kvs, srv_us, cli_us, mticks, secs, hz, ncpu, sb, cb = sys.argv[1:15]
kv = dict(x.split("=", 1) for x in kvs.split())
secs, ncpu = float(secs), int(ncpu)
srv_s, cli_s = int(srv_us) / 1e6, int(cli_us) / 1e6
machine = int(mticks) / int(hz) / secs / ncpu
done = int(kv["completed"])
sat = []
if float(sb) >= 0.9 or srv_s / secs >= 0.9 * ncpu:
    sat.append("server")
if float(cb) >= 0.9:
    sat.append("client")
if machine >= 0.85:
    sat.append("machine")
row = dict(kv, storm=storm, stack=stack, round=rnd,
           server_cpu_s="%.2f" % srv_s,
           server_ms_per_boot="%.2f" % (srv_s * 1000 / done) if done else "inf",
           server_busiest=sb, client_cpu_s="%.2f" % cli_s,
           client_ms_per_node="%.2f" % (cli_s * 1000 / int(kv["nodes"])),
           client_busiest=cb, machine_busy="%.2f" % machine,
           saturated="+".join(sat) or "-")
names = cols.split(",")
with open(csv, "a") as f:
    f.write(",".join(str(row[c]) for c in names) + "\n")
print("  -> %s boots/s, p99 %s s, %s failed, server %.2f s CPU (%s ms/boot), storm %s ms/node, saturated %s" % (
    row["boots_per_s"], row["boot_p99_s"], row["failed"], srv_s, row["server_ms_per_boot"],
    row["client_ms_per_node"], row["saturated"]), file=sys.stderr)
PYEOF
}

log "$(stack_versions)"
log "$NCPU CPUs, kernel $(uname -r); range $RANGE_LO-$RANGE_HI; results to $CSV"
echo "$COLS" >"$CSV"
for storm in $STORMS; do
  for round in $(seq 1 "$ROUNDS"); do
    # shellcheck disable=SC2086  # the order rotates: each stack first in turn
    for st in $(round_order "$round" rotate $STACKS); do
      run_one "$storm" "$st" "$round" || log "$storm/$st round $round: no result"
    done
  done
done
{
  echo "Boot storms, same storm against each stack ($(date -u +%Y-%m-%dT%H:%MZ), $NCPU CPUs, kernel $(uname -r); $(stack_versions); default start $START, max $MAX_TIME s per storm, Kea multi-threading $KEA_MT)"
  echo
} >"$MD"
REPORT_ONLY=1 report
