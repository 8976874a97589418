#!/usr/bin/env bash
# TFTP server benchmark: rackboot's build/in.tftpd vs tftpd-hpa vs dnsmasq.
#
#   bash bench/tftp-bench.sh                      # full run
#   NS="1 100" ROUNDS=1 SERVERS="tftpd-hpa dnsmasq" bash bench/tftp-bench.sh
#
# For each server, each N in $NS and each mode in $MODES (lockstep = blksize
# 1468; win4 = blksize 1468 + windowsize 4) the server is started fresh in a
# private network namespace and build/tftp-load runs N concurrent downloads of
# a 1 MiB random file from a second namespace over a veth pair (MTU 1500),
# checking every block against the local copy. Server CPU is read from a
# cgroup holding the server and every process it forks (tftpd-hpa forks one
# child per transfer and ignores SIGCHLD, so /proc/PID/stat cutime/cstime do
# NOT include its children; that figure is kept in the CSV for comparison).
# Then a single-client goodput test over loopback inside one namespace:
# 64 MiB, lockstep vs windowsize 4, server and client pinned to different CPUs.
# A server that is missing or does not start (e.g. build/in.tftpd not built
# yet) gets "unavailable" rows and the run goes on.
#
# Writes build/bench/tftp-results.csv (raw, one row per run),
# build/bench/tftp-goodput.csv, build/bench/tftp-results.md (the tables
# printed at the end) and, with gnuplot, build/bench/tftp-bench.png
# (bench/plot-tftp.gp). Everything is bounded in time; namespaces, cgroups
# and servers are removed on exit, also on failure or Ctrl-C. See
# docs/BENCHMARKS.md for the setup and how to read the table.
#
# Environment overrides (defaults in brackets):
#   NS ["1 100 1000 5000"]  ROUNDS [3] (table: medians)  MODES ["lockstep win4"]
#   SERVERS ["rackboot rackboot-kernel tftpd-hpa dnsmasq"]  TFTPD [build/in.tftpd]
#     (rackboot-kernel: the same in.tftpd with --fastpath on the server's
#     interface: every ACK answered by the eBPF program. Its work runs in
#     softirq context, charged to whichever task was on the CPU (on veth
#     mostly the client's send), so compare the machine column too)
#   FILE_SIZE [1048576]  DEADLINE [120] s per load run  TIMEOUT_MS [1000]
#   GOODPUT [1]  GOODPUT_SIZE [67108864]  GOODPUT_REPS [5]  GOODPUT_SERVERS [$SERVERS]
#   PIN [0] (1: scaling runs with the server on CPU 1, client on CPU 0)
#   GOODPUT_PIN [split] (goodput runs: split = server CPU 1 / client CPU 0,
#     same = both on CPU 0, none = let the scheduler choose)
#   SCALING [1] (0: only the goodput test; the scaling table is re-printed
#     from the existing CSV)  OUT [build/bench]
#   SETTLE [5] s to wait for a server's children to exit after a run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NS_LIST=${NS:-"1 100 1000 5000"}
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-"lockstep win4"}
SERVERS=${SERVERS:-"rackboot rackboot-kernel tftpd-hpa dnsmasq"}
TFTPD=${TFTPD:-$ROOT/build/in.tftpd}
RACKBOOT_ARGS=${RACKBOOT_ARGS:-}          # extra in.tftpd options, e.g. "--threads 1"
HPA=${HPA:-/usr/sbin/in.tftpd}
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
FILE_SIZE=${FILE_SIZE:-1048576}
DEADLINE=${DEADLINE:-120}
TIMEOUT_MS=${TIMEOUT_MS:-1000}
GOODPUT=${GOODPUT:-1}
GOODPUT_SIZE=${GOODPUT_SIZE:-67108864}
GOODPUT_SERVERS=${GOODPUT_SERVERS:-$SERVERS}
GOODPUT_DEADLINE=${GOODPUT_DEADLINE:-60}
GOODPUT_REPS=${GOODPUT_REPS:-5}
PIN=${PIN:-0}
GOODPUT_PIN=${GOODPUT_PIN:-split}
SCALING=${SCALING:-1}
SETTLE=${SETTLE:-5}
OUT=${OUT:-$ROOT/build/bench}
LOAD=$ROOT/build/tftp-load
BLKSIZE=1468
SRV_IP=198.18.0.1
CLI_IP=198.18.0.2

BENCH_NAME=tftp-bench
# the shared scaffolding (bench/lib/): log/die and the exit trap that removes
# cgroups, namespaces and WORK; cgroup CPU accounting; namespaces; server
# start/stop; report helpers
source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/cgroup.sh"
source "$ROOT/bench/lib/netns.sh"
source "$ROOT/bench/lib/server.sh"
source "$ROOT/bench/lib/report.sh"
bench_names rbb rbbench     # namespaces rbb<pid>-srv/-cli, cgroups rbbench-<pid>-*
# SIGTERM first: in.tftpd --fastpath then detaches its programs from the veth
SRV_STOP_TERM=1
NS_LO=$PFX-lo
WORK=
bench_traps

# ---------------------------------------------------------------- checks
bench_need_root
bench_need_cmds ip ss timeout awk sed
[ -x "$HPA" ] || log "warning: $HPA not found: tftpd-hpa rows will be unavailable"
[ -x "$DNSMASQ" ] || log "warning: $DNSMASQ not found: dnsmasq rows will be unavailable"

# build the load client (make; if someone else's file breaks the tree, build
# the one file directly with the project's flags)
if [ ! -x "$LOAD" ] || [ "$ROOT/bench/tftp-load.c" -nt "$LOAD" ]; then
  log "building $LOAD"
  if ! make -C "$ROOT" -s build/tftp-load >&2; then
    log "make failed; building tftp-load directly"
    mkdir -p "$ROOT/build"
    gcc -std=gnu17 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
      -fno-strict-aliasing -D_GNU_SOURCE -o "$LOAD" "$ROOT/bench/tftp-load.c" -luring -lm \
      || die "cannot build tftp-load"
  fi
fi

# cgroup for server CPU accounting (bench/lib/cgroup.sh)
cg_find_root
log "server CPU accounting: cgroup $CG_KIND at $CG_ROOT"

# ---------------------------------------------------------------- setup
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/rbbench.XXXXXX)
mkdir -p "$WORK/root"
# Snapshot the binaries: build/ may be rebuilt by others while we run, and
# one benchmark must use one build of each.
bench_snapshot TFTPD "$WORK/in.tftpd.rackboot"; RB_ID=$SNAP_ID
cp "$LOAD" "$WORK/tftp-load"; LOAD=$WORK/tftp-load
log "rackboot in.tftpd: $RB_ID"
head -c "$FILE_SIZE" /dev/urandom > "$WORK/root/load.bin"
chmod 755 "$WORK" "$WORK/root"; chmod 644 "$WORK/root/load.bin"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

ns_pair 24 1500

if [ "$PIN" = 1 ]; then bench_pin split; else bench_pin none; fi

# start_server NAME NETNS ADDR DIR LOG -> sets SRV_PID, SRV_CG; 1 if unavailable
start_server() {
  local name=$1 ns=$2 addr=$3 dir=$4 logf=$5 ifname=$6
  local -a cmd
  case $name in
    rackboot-kernel)
               [ -x "$TFTPD" ] || { echo "$TFTPD not built" > "$logf"; return 1; }
               # shellcheck disable=SC2206
               cmd=("$TFTPD" -L -s -a "$addr:69" -u root --fastpath "$ifname" $RACKBOOT_ARGS "$dir" --stderr) ;;
    rackboot)  [ -x "$TFTPD" ] || { echo "$TFTPD not built" > "$logf"; return 1; }
               # shellcheck disable=SC2206
               cmd=("$TFTPD" -L -s -a "$addr:69" -u root $RACKBOOT_ARGS "$dir" --stderr) ;;
    tftpd-hpa) [ -x "$HPA" ] || { echo "$HPA missing" > "$logf"; return 1; }
               cmd=("$HPA" -L -s -a "$addr:69" -u root "$dir") ;;
    dnsmasq)   [ -x "$DNSMASQ" ] || { echo "$DNSMASQ missing" > "$logf"; return 1; }
               # TFTP only (DNS off), no config file, no pid file, log to
               # the run's log file (2.90 still logs one "sent" line per
               # transfer despite --quiet-tftp), connection cap above any N
               # we run (default 50). blksize: dnsmasq caps it at the
               # interface MTU - 32 = 1468 here, so no --tftp-mtu needed.
               # windowsize: not implemented by dnsmasq (nor tftpd-hpa).
               cmd=("$DNSMASQ" --port=0 --enable-tftp --tftp-root="$dir" --tftp-max=65000
                    --listen-address="$addr" --bind-interfaces --no-daemon --tftp-no-fail
                    --user=root --conf-file=/dev/null --pid-file= --quiet-tftp
                    --log-facility=-) ;;
    *) die "unknown server $name" ;;
  esac
  # in a cgroup of its own, so every child the server forks is counted
  # (bench/lib/server.sh: waits for port 69 to be free, then listening)
  srv_start "$name" "$ns" u 69 0.2 "$logf" "${PIN_SRV[@]}" "${cmd[@]}" || return 1
  if [ "$name" = rackboot-kernel ]; then
    # the sockets listen before the fast path is attached: wait for it, and
    # count a server without it as unavailable rather than measure userspace
    for _ in $(seq 1 50); do grep -q "eBPF fast path on" "$logf" && return 0; sleep 0.1; done
    log "rackboot-kernel: no fast path ($(grep -o 'eBPF fast path.*' "$logf" | head -1))"
    srv_stop
    return 1
  fi
}

jget() { # key json -> value (numbers / booleans / flat strings only)
  sed -n 's/.*"'"$1"'":"\{0,1\}\([^",}]*\).*/\1/p' <<<"$2"
}
fail_detail() { # json -> "timeout:3;no_reply:2;error_packet:1;code1:1" or "-"
  local j=$1 out="" k v c
  for k in timeout timeouts_without_reply error_packet content_mismatch size_mismatch protocol deadline socket; do
    v=$(jget "$k" "$j"); [ -n "$v" ] && [ "$v" != 0 ] && out="$out;${k/timeouts_without_reply/no_reply}:$v"
  done
  for c in $(sed -n 's/.*"error_codes":{\([^}]*\)}.*/\1/p' <<<"$j" | tr -d '"' | tr ',' ' '); do
    out="$out;code${c}"
  done
  out=${out#;}
  echo "${out:--}"
}

CSV=$OUT/tftp-results.csv
GCSV=$OUT/tftp-goodput.csv
MD=$OUT/tftp-results.md
[ "$SCALING" = 1 ] && echo "round,server,mode,n,blksize,windowsize_req,windowsize_granted,ok,failed,fail_detail,wall_s,p50_ms,p99_ms,max_ms,mb_per_s,server_cpu_s,server_cpu_ms_per_ok,server_procstat_cpu_s,client_cpu_s,rrq_retx,ack_retx,other_cpu_cores,srv_udp_rcvbuf_drops,cli_udp_rcvbuf_drops,window_s,status,machine_cpu_s" > "$CSV"

mode_args() {
  case $1 in
    lockstep) echo "-b $BLKSIZE" ;;
    win4)     echo "-b $BLKSIZE -w 4" ;;
    *) die "unknown mode $1 (lockstep, win4)" ;;
  esac
}

# run_one ROUND SERVER MODE N
run_one() {
  local round=$1 srv=$2 mode=$3 n=$4
  local logf=$WORK/$srv-$mode-$n-$round.log
  local wreq=1; [ "$mode" = win4 ] && wreq=4
  if ! start_server "$srv" "$NS_SRV" $SRV_IP "$WORK/root" "$logf" "$PFX-s"; then
    csv_blank "$round,$srv,$mode,$n,$BLKSIZE,$wreq" 19 unavailable , >> "$CSV"
    log "$srv $mode N=$n: unavailable ($(head -c 200 "$logf" | tr '\n' ' '))"
    return 0
  fi
  local base_procs cpu0 ps0 mb0 json rc=0 cpu1 ps1 mb1 t0 t1 ud0 ud1 uc0 uc1
  base_procs=$(cg_nprocs "$SRV_CG")
  ud0=$(ns_udp_counter "$NS_SRV" RcvbufErrors); uc0=$(ns_udp_counter "$NS_CLI" RcvbufErrors)
  cpu0=$(cg_usage_us "$SRV_CG"); ps0=$(proc_ticks "$SRV_PID" children); mb0=$(machine_busy_ticks)
  t0=$(date +%s.%N)
  # (timeout --foreground: tftp-load stays in our process group, so Ctrl-C
  # reaches it and the cleanup runs at once)
  # shellcheck disable=SC2046
  json=$(ip netns exec "$NS_CLI" "${PIN_CLI[@]}" timeout --foreground -k 5 $((DEADLINE + 30)) \
         "$LOAD" -s $SRV_IP -f load.bin -n "$n" $(mode_args "$mode") -t "$TIMEOUT_MS" \
         --expect-file "$WORK/root/load.bin" --deadline "$DEADLINE" --json) || rc=$?
  # let forked children (tftpd-hpa) finish and exit, bounded
  for _ in $(seq 1 $((SETTLE * 10))); do
    [ "$(cg_nprocs "$SRV_CG")" -le "$base_procs" ] && break
    sleep 0.1
  done
  cpu1=$(cg_usage_us "$SRV_CG"); ps1=$(proc_ticks "$SRV_PID" children); mb1=$(machine_busy_ticks)
  ud1=$(ns_udp_counter "$NS_SRV" RcvbufErrors); uc1=$(ns_udp_counter "$NS_CLI" RcvbufErrors)
  t1=$(date +%s.%N)
  srv_stop
  local win
  win=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  if [ -z "$json" ] || [ "$rc" -gt 1 ]; then
    csv_blank "$round,$srv,$mode,$n,$BLKSIZE,$wreq" 19 "error(rc=$rc)" , >> "$CSV"
    log "$srv $mode N=$n: tftp-load failed (rc=$rc)"
    return 0
  fi
  local ok failed wall scpu ccpu per
  ok=$(jget ok "$json"); failed=$(jget failed "$json"); wall=$(jget wall_s "$json")
  ccpu=$(jget client_cpu_s "$json")
  scpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
  per=$(awk -v c="$scpu" -v k="$ok" 'BEGIN { if (k > 0) printf "%.3f", c * 1000 / k }')
  local pscpu other
  pscpu=$(awk -v a="$ps0" -v b="$ps1" -v t="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / t }')
  # CPU used by everything else on the machine meanwhile (noise), in cores:
  # (machine busy - server - client) / elapsed; meaningless below ~0.5 s
  # (ticks are 1/CLK_TCK s), left empty there
  other=$(awk -v a="$mb0" -v b="$mb1" -v t="$CLK_TCK" -v s="$scpu" -v c="$ccpu" -v t0="$t0" -v t1="$t1" -v nc="$(nproc)" \
          'BEGIN { e = t1 - t0; if (e < 0.5) exit; o = ((b - a) / t - s - c) / e
                   if (o < 0) o = 0; if (o > nc) o = nc; printf "%.2f", o }')
  echo "$round,$srv,$mode,$n,$BLKSIZE,$wreq,$(jget windowsize_granted "$json"),$ok,$failed,$(fail_detail "$json"),$wall,$(jget p50_ms "$json"),$(jget p99_ms "$json"),$(jget max_ms "$json"),$(jget mb_per_s "$json"),$scpu,$per,$pscpu,$ccpu,$(jget rrq_retransmits "$json"),$(jget ack_retransmits "$json"),$other,$((ud1 - ud0)),$((uc1 - uc0)),$win,ok,$(awk -v a="$mb0" -v b="$mb1" -v t="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / t }')" >> "$CSV"
  log "$srv $mode N=$n: ok $ok failed $failed wall ${wall}s server CPU ${scpu}s (procstat ${pscpu}s) client CPU ${ccpu}s, other load ${other:-?} cores, server UDP rcvbuf drops $((ud1 - ud0))"
}

log "results: $CSV"
[ "$SCALING" = 1 ] || [ -s "$CSV" ] || die "SCALING=0 needs an existing $CSV"
[ "$SCALING" = 1 ] || { ROUNDS=$(awk -F, 'NR > 1 && $1 > r { r = $1 } END { print r + 0 }' "$CSV"); log "SCALING=0: re-using $CSV"; }
[ "$SCALING" = 1 ] && for round in $(seq 1 "$ROUNDS"); do
  for n in $NS_LIST; do
    for mode in $MODES; do
      for srv in $SERVERS; do
        run_one "$round" "$srv" "$mode" "$n"
        sleep 1
      done
    done
  done
done

# ---------------------------------------------------------------- goodput
if [ "$GOODPUT" = 1 ]; then
  echo "server,size,lockstep_mb_s,win4_mb_s,win4_granted,ratio,status,lockstep_runs,win4_runs" > "$GCSV"
  ns_add "$NS_LO"
  # glibc's getaddrinfo(AI_ADDRCONFIG) (tftpd-hpa's -a parsing) fails in a
  # namespace with only loopback addresses: give it a veth pair with an
  # address. The traffic itself stays on lo (127.0.0.1 to 127.0.0.1).
  ip -n "$NS_LO" link add "$PFX-g0" type veth peer name "$PFX-g1"
  ip -n "$NS_LO" addr add 198.18.1.1/24 dev "$PFX-g0"
  ip -n "$NS_LO" link set "$PFX-g0" up; ip -n "$NS_LO" link set "$PFX-g1" up
  mkdir -p "$WORK/big"; chmod 755 "$WORK/big"
  head -c "$GOODPUT_SIZE" /dev/urandom > "$WORK/big/big.bin"; chmod 644 "$WORK/big/big.bin"
  # Single-flow lockstep is one wake-up per block on each side: on this VM a
  # cross-CPU wake-up costs ~50 us and a same-CPU one far less, so unpinned
  # runs flip between ~25 and ~90 MB/s depending on where the scheduler put
  # the two processes. Pinning makes the runs comparable; split (server and
  # client on different CPUs) is the closest to two machines on a network.
  bench_pin "$GOODPUT_PIN" || die "GOODPUT_PIN must be split, same or none"
  for srv in $GOODPUT_SERVERS; do
    logf=$WORK/goodput-$srv.log
    if ! start_server "$srv" "$NS_LO" 127.0.0.1 "$WORK/big" "$logf" lo; then
      csv_blank "$srv,$GOODPUT_SIZE" 4 unavailable ",," >> "$GCSV"
      log "goodput $srv: unavailable"
      continue
    fi
    declare -A mbs=() gr=() all=()
    st=ok
    # alternate lockstep / windowsize 4, best of GOODPUT_REPS each (the
    # machine is shared: the best run is the least disturbed one)
    for _ in $(seq 1 "$GOODPUT_REPS"); do
      for w in 1 4; do
        j=$(ip netns exec "$NS_LO" "${PIN_CLI[@]}" timeout --foreground -k 5 $((GOODPUT_DEADLINE + 30)) \
            "$LOAD" -s 127.0.0.1 -f big.bin -n 1 -b $BLKSIZE -w $w -t "$TIMEOUT_MS" \
            --expect-file "$WORK/big/big.bin" --deadline "$GOODPUT_DEADLINE" --json) || st="failed(w=$w)"
        v=$(jget mb_per_s "$j"); gr[$w]=$(jget windowsize_granted "$j")
        all[$w]="${all[$w]:-}${all[$w]:+ }${v:-fail}"
        if [ -n "$v" ] && awk -v a="$v" -v b="${mbs[$w]:-0}" 'BEGIN { exit !(a > b) }'; then mbs[$w]=$v; fi
        sleep 0.3
      done
    done
    srv_stop
    ratio=$(awk -v a="${mbs[1]:-0}" -v b="${mbs[4]:-0}" 'BEGIN { if (a > 0) printf "%.2f", b / a }')
    echo "$srv,$GOODPUT_SIZE,${mbs[1]:-},${mbs[4]:-},${gr[4]:-},$ratio,$st,${all[1]},${all[4]}" >> "$GCSV"
    log "goodput $srv: lockstep ${mbs[1]:-?} MB/s (runs: ${all[1]}), windowsize 4 ${mbs[4]:-?} MB/s (runs: ${all[4]}; granted: ${gr[4]:-?}), x$ratio"
  done
fi

# ---------------------------------------------------------------- report
# Medians over rounds per (server, mode, N); ratios are this server / tftpd-hpa
# (below 1 = better). "saturated": server CPU when the server used >= 90% of
# what it can use (1 core for dnsmasq, all cores for the others), client CPU
# when the single-threaded client used >= 90% of a core, machine CPU when
# server + client (+ other load on the shared machine) used >= 85% of all
# cores (scheduling gaps keep a busy machine a little under 100%), else wall
# (latency: lockstep round trips, retransmit timeouts).
NCPU=$(nproc)
{
  echo "| server | mode | N | ok | failed | wall s | server CPU s | CPU ms/transfer | CPU/transfer vs hpa | wall vs hpa | client CPU s | machine CPU ms/transfer | RRQ retx / srv rcvbuf drops | ws granted | cores srv/cli/other | saturated |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  awk -F, -v ncpu="$NCPU" -v servers="$SERVERS" -v modes="$MODES" -v nlist="$NS_LIST" "$AWK_MED"'
    NR == 1 { next }
    {
      key = $2 SUBSEP $3 SUBSEP $4
      if ($26 != "ok") { if (!(key in st)) st[key] = $26; bad[key]++; badst[key] = $26; next }
      st[key] = "ok"; runs[key]++
      ok[key] += $8; fl[key] += $9
      wall[key] = wall[key] " " $11; scpu[key] = scpu[key] " " $16
      ccpu[key] = ccpu[key] " " $19; retx[key] += $20; if ($22 != "") oth[key] = oth[key] " " $22
      sdrop[key] += $23; win[key] = win[key] " " $25; if ($27 != "") mach[key] = mach[key] " " $27
      gr[key] += $7
      if ($10 != "-") {
        k = split($10, parts, ";")
        for (j = 1; j <= k; j++) {
          split(parts[j], kv, ":")
          if (!((key, kv[1]) in dsum)) dkeys[key] = dkeys[key] " " kv[1]
          dsum[key, kv[1]] += kv[2]
        }
      }
    }
    END {
      ns = split(servers, S, " "); nm = split(modes, M, " "); nn = split(nlist, N, " ")
      for (m = 1; m <= nm; m++) for (i = 1; i <= nn; i++) {
        hk = "tftpd-hpa" SUBSEP M[m] SUBSEP N[i]
        if (st[hk] == "ok") { hw = med(wall[hk]); hs = med(scpu[hk]); hper = (ok[hk] > 0) ? hs * 1000 * runs[hk] / ok[hk] : 0; hfl = fl[hk] }
        else { hw = 0; hper = 0; hfl = 0 }
        for (s = 1; s <= ns; s++) {
          key = S[s] SUBSEP M[m] SUBSEP N[i]
          if (!(key in st)) continue
          if (st[key] != "ok") {
            printf "| %s | %s | %s | | | | | | | | | | | | | %s |\n", S[s], M[m], N[i], (S[s] == "rackboot" ? "not yet measured (" st[key] ")" : st[key])
            continue
          }
          w = med(wall[key]); c = med(scpu[key]); cc = med(ccpu[key])
          per = (ok[key] > 0) ? c * 1000 * runs[key] / ok[key] : 0
          # utilisation over the measurement window (client start to the
          # server being idle again), which is what the CPU figures cover
          mw = med(win[key]); if (mw < w) mw = w
          su = (mw > 0) ? c / mw : 0; cu = (mw > 0) ? cc / mw : 0
          ot = (oth[key] ~ /[0-9]/) ? med(oth[key]) : 0
          # dnsmasq is one single-threaded process; in.tftpd runs a loop per
          # CPU and tftpd-hpa a process per transfer: they can use every core
          smax = (S[s] == "dnsmasq") ? 1 : ncpu
          if (su >= 0.9 * smax) sat = "server CPU"
          else if (cu >= 0.9) sat = "client CPU"
          else if (su + cu >= 0.85 * ncpu) sat = "machine CPU"
          else if (su + cu + ot >= 0.85 * ncpu) sat = "machine CPU (with other load)"
          else sat = "wall"
          rc = (hper > 0 && per > 0) ? sprintf("%.2fx", per / hper) : "-"
          # wall is only comparable when neither side lost transfers
          rw = (hw > 0 && fl[key] == 0 && hfl == 0) ? sprintf("%.2fx", w / hw) : "-"
          f = fl[key] ""
          if (fl[key] > 0 && dkeys[key] != "") {
            k = split(substr(dkeys[key], 2), dk, " "); d = ""
            for (j = 1; j <= k; j++) d = d (j > 1 ? ", " : "") dk[j] " " dsum[key, dk[j]]
            f = f " (" d ")"
          }
          if (bad[key] > 0) sat = sat "; " bad[key] " of " bad[key] + runs[key] " rounds " badst[key]
          # the whole machine per transfer (work of the kernel path runs in
          # softirq, charged to whichever task was on the CPU)
          mper = (ok[key] > 0 && mach[key] ~ /[0-9]/) ? sprintf("%.2f", med(mach[key]) * 1000 * runs[key] / ok[key]) : "-"
          printf "| %s | %s | %s | %d | %s | %.3f | %.3f | %s | %s | %s | %.3f | %s | %d / %d | %d | %.2f/%.2f/%s | %s |\n", S[s], M[m], N[i], ok[key], f, w, c, (ok[key] > 0 ? sprintf("%.2f", per) : "-"), rc, rw, cc, mper, retx[key], sdrop[key], gr[key], su, cu, (oth[key] ~ /[0-9]/ ? sprintf("%.2f", med(oth[key])) : "-"), sat
        }
      }
    }' "$CSV"
  if [ "$GOODPUT" = 1 ]; then
    echo
    echo "Single client, $((GOODPUT_SIZE / 1048576)) MiB over loopback, blksize $BLKSIZE, best of $GOODPUT_REPS runs each, CPU pinning: $GOODPUT_PIN:"
    echo
    echo "| server | lockstep MB/s | windowsize 4 MB/s | windowsize granted | speedup | all runs lockstep / win4 |"
    echo "|---|---:|---:|---|---:|---|"
    awk -F, 'NR > 1 {
      if ($7 == "unavailable") { printf "| %s | | | | %s | |\n", $1, ($1 == "rackboot" ? "not yet measured (unavailable)" : "unavailable"); next }
      printf "| %s | %.1f | %.1f | %s | %sx%s | %s / %s |\n", $1, $3, $4, ($5 == "1" ? "yes" : "no"), $6, ($7 == "ok" ? "" : " " $7), $8, $9 }' "$GCSV"
  fi
} > "$MD"
if [ "$SCALING" = 1 ]; then
  title="## TFTP benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r), file $FILE_SIZE bytes, rounds $ROUNDS, rackboot in.tftpd $RB_ID)"
else
  title="## TFTP benchmark ($(date -u +%Y-%m-%dT%H:%MZ): goodput only, rackboot in.tftpd $RB_ID; scaling table re-printed from $CSV of $(date -u -r "$CSV" +%Y-%m-%dT%H:%MZ))"
fi
report_show "$MD" "raw: $CSV $GCSV; table: $MD" "$title"
bench_plot "$ROOT/bench/plot-tftp.gp" "$CSV" "$OUT/tftp-bench.png"
