#!/usr/bin/env bash
# HTTP server benchmark: rackbootd's HTTP/1.1 server vs nginx, same files,
# same network namespaces, one after another.
#
#   bash bench/http-bench.sh                          # full run, 6-10 minutes
#   ROUNDS=1 CONNS=100 DURATION=5 bash bench/http-bench.sh
#   ROUNDS=0 PROFILE=1 bash bench/http-bench.sh       # only the perf profiles
#   REPORT_ONLY=1 TAG=2026-11-25 bash bench/http-bench.sh   # tables + plot again
#
# Setup: a server namespace and a client namespace joined by a veth pair
# (MTU 1500, server 198.18.0.1, client 198.18.0.2). Both servers serve the
# same directory under /tmp (page cache: the files are read once before the
# first run) on port $PORT:
#   rackbootd: build/rackbootd --interface VETH --address 198.18.0.1/24
#              --root DIR --proxy-dhcp --state-dir WORK/state --http-port PORT
#              --max-streams 0 --max-connections 10000 --stderr
#              (one HTTP io_uring loop per CPU, SO_REUSEPORT, sendfile)
#   nginx:     /usr/sbin/nginx -p WORK/nginx -c WORK/nginx/nginx.conf
#              (worker_processes auto, sendfile on, tcp_nopush on,
#              keepalive_requests 100000, access_log off, open_file_cache,
#              daemon off, master_process on; the config is written below)
# In each round every server is started fresh in its own cgroup and gets:
#   single  REPS x `curl -o /dev/null` of a BIG_MB MiB file (one connection,
#           one stream); best and median MB/s over the repetitions. The
#           server's threads are pinned to CPU 1 and curl to CPU 0 for this
#           test (SINGLE_PIN=split): unpinned, one flow's throughput flips
#           between ~1.5 and ~4 GB/s with where the scheduler happens to
#           put the two (and the softirq work), whichever server it is;
#           split is also the closer model of two machines;
#   cN      for N in $CONNS: wrk -t$THREADS -cN -dDURATIONs --latency on a
#           1 MiB file (keep-alive), with a Lua done() hook printing exact
#           totals and latency percentiles.
# Servers run in the order of $SERVERS in every round (ORDER=swap reverses it
# in even rounds), so a noisy minute on this shared machine shows up as a
# difference between rounds.
#
# CPU: each server, and the client (curl or wrk), runs in its own cgroup
# (bench/lib/cgroup.sh, as in the TFTP and DHCP benches: cgroup v2 cpu.stat
# usage_usec of everything in it; the v2 hierarchy is at
# /sys/fs/cgroup/unified on this machine). A process joins its cgroup
# before `ip netns exec`, which mounts a fresh /sys.
# Window: from just before the client starts to SETTLE s after it ended.
# "cores" = CPU seconds in the window / the client's own duration (curl's
# transfer time, wrk's run); "other" = what the rest of the machine used
# meanwhile (/proc/stat minus server and client, per second of the window),
# which includes the ksoftirqd threads (their CPU is in the CSV too). The kernel
# has no IRQ time accounting (CONFIG_IRQ_TIME_ACCOUNTING off), so softirq
# work is charged to whatever task was running: on veth the receive path of
# a packet runs on the sending CPU, so the server's figure includes most of
# the client's TCP receive processing of the data, and the client's figure
# the server's processing of the ACKs. That is the same for both servers.
# "saturated": "server" when the server used >= 90 % of its CPUs (all of
# them: both servers run one loop/worker per CPU; single-stream: >= 90 % of
# one core, one connection is one loop), "client" likewise (wrk: all
# THREADS; curl: one core), "machine" when server + client (+ other load)
# used >= 85 % of all CPUs, "-" otherwise. On a 2-CPU machine the c100/c1000
# runs are always "machine": wrk and the server compete for the same two
# cores, and veth makes both sides pay for kernel networking.
#
# Noise: this machine is shared, and what the others run takes CPU from
# both server and client (and, without IRQ time accounting, softirq work
# that runs while their tasks are current is charged to them, so the
# server's CPU per GB drops when the machine is busy). Before each
# measurement the script waits (at most QUIET_WAIT s, and QUIET_BUDGET s in
# all) for a second in which the rest of the machine used less than
# QUIET_CORES cores, and records what the rest used during the measurement;
# rows where that was >= QUIET_CORES are "disturbed" and the verdicts are
# computed on the quiet rows when both servers have some.
#
# Writes $OUT/http-$TAG.csv (one row per measurement), $OUT/http-$TAG.md
# (the tables printed at the end), $OUT/http-$TAG.png (bench/plot-http.gp),
# and with PROFILE=1 $OUT/http-$TAG-perf-<server>-<test>.txt (perf record -g
# of the server during an extra, unmeasured wrk/curl run; report --no-children
# and the top call chains). Everything is bounded: curl and wrk run under
# `timeout`, server start/stop waits are at most 5 s. Namespaces (rbh<pid>-…),
# cgroups and servers are removed on exit, also on failure or Ctrl-C.
#
# Environment (defaults in brackets):
#   SERVERS ["rackbootd nginx"]  ROUNDS [3]  ORDER [same] (same | swap)
#   REPS [5]  BIG_MB [512]  CONNS ["100 1000"]  DURATION [15] s  THREADS [2]
#   WRK_TIMEOUT [10] s (wrk's per-request timeout; its default is 2 s)
#   PROFILE [0] (1: perf profiles after the rounds)  PROFILE_SECS [10]
#   PROFILE_TESTS ["c100 single"]  PROFILE_SERVERS [$SERVERS]
#   RACKBOOTD [build/rackbootd]  RACKBOOTD_ARGS [] (extra options)
#   NGINX [/usr/sbin/nginx]  NGINX_EXTRA [] (extra http{} directives)
#   SINGLE_PIN [split] (single stream: split = server on CPU 1, curl on CPU 0;
#     none = let the scheduler place them)
#   QUIET_CORES [0.25]  QUIET_WAIT [20] s  QUIET_BUDGET [200] s (see "Noise")
#   PORT [8080]  SETTLE [0.5] s  OUT [docs/bench]  TAG [UTC date, YYYY-MM-DD]
#   REPORT_ONLY [0] (1: tables and plot again from $OUT/http-$TAG.csv)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVERS=${SERVERS:-"rackbootd nginx"}
ROUNDS=${ROUNDS:-3}
ORDER=${ORDER:-same}
REPS=${REPS:-5}
BIG_MB=${BIG_MB:-512}
CONNS=${CONNS:-"100 1000"}
DURATION=${DURATION:-15}
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-10}
PROFILE=${PROFILE:-0}
PROFILE_SECS=${PROFILE_SECS:-10}
PROFILE_TESTS=${PROFILE_TESTS:-"c100 single"}
PROFILE_SERVERS=${PROFILE_SERVERS:-$SERVERS}
RACKBOOTD=${RACKBOOTD:-$ROOT/build/rackbootd}
RACKBOOTD_ARGS=${RACKBOOTD_ARGS:-}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_EXTRA=${NGINX_EXTRA:-}
WRK=${WRK:-$(command -v wrk || echo /usr/bin/wrk)}
CURL=${CURL:-$(command -v curl || echo /usr/bin/curl)}
PORT=${PORT:-8080}
SETTLE=${SETTLE:-0.5}
SINGLE_PIN=${SINGLE_PIN:-split}
QUIET_CORES=${QUIET_CORES:-0.25}
QUIET_WAIT=${QUIET_WAIT:-20}
QUIET_BUDGET=${QUIET_BUDGET:-200}
OUT=${OUT:-$ROOT/docs/bench}
TAG=${TAG:-$(date -u +%Y-%m-%d)}
REPORT_ONLY=${REPORT_ONLY:-0}
SRV_IP=198.18.0.1 CLI_IP=198.18.0.2
SMALL=1m.bin BIG=big.bin
RB_ID="?" NGX_ID="?"

WORK=
CLI_CG=
NCPU=$(nproc)
CSV=$OUT/http-$TAG.csv
MD=$OUT/http-$TAG.md
PNG=$OUT/http-$TAG.png
T_START=$SECONDS

BENCH_NAME=http-bench
# the shared scaffolding (bench/lib/): log/die and the exit trap that removes
# cgroups, namespaces and WORK; cgroup CPU accounting and CPU counters;
# namespaces; server start/stop; report helpers; the nginx configuration
source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/cgroup.sh"
source "$ROOT/bench/lib/netns.sh"
source "$ROOT/bench/lib/server.sh"
source "$ROOT/bench/lib/report.sh"
source "$ROOT/bench/lib/nginx.sh"
bench_names rbh rbhbench     # namespaces rbh<pid>-srv/-cli, cgroups rbhbench-<pid>-*
bench_traps

ksoftirqd_ticks() { # CPU of the ksoftirqd threads (softirq work deferred out of the
  # sender's context: charged to no server or client cgroup, counted in "other")
  local p t=0 v
  for p in $(pgrep -x 'ksoftirqd/[0-9]+' 2>/dev/null || true); do
    v=$(proc_ticks "$p")
    t=$((t + v))
  done
  echo $t
}

# ---------------------------------------------------------------- report
# Tables ($MD) and plot ($PNG) from $CSV; also alone with REPORT_ONLY=1.
# CSV columns:
#  1 round  2 slot (position in the round)  3 server  4 test  5 rep
#  6 conns  7 secs (client's own measurement)  8 requests  9 bytes
# 10 req_per_s  11 mb_per_s (10^6 bytes)  12 p50_ms  13 p90_ms  14 p99_ms
# 15 max_ms  16 err_connect  17 err_read  18 err_write  19 err_timeout
# 20 non_2xx  21 srv_cpu_s  22 srv_cpu_s_per_gb (10^9 bytes)
# 23 srv_cpu_us_per_req  24 srv_cores  25 cli_cpu_s  26 cli_cores
# 27 other_cores  28 window_s  29 saturated  30 status
# 31 ksoftirqd_cpu_s (in "other"; 1/CLK_TCK resolution)  32 quiet_wait_s
report() {
  [ -s "$CSV" ] || die "no results in $CSV"
  local head=""
  # the run's own description line, read before "> $MD" truncates the file
  [ "$REPORT_ONLY" = 1 ] && [ -f "$MD" ] && head=$(grep -m1 '^HTTP benchmark' "$MD" || true)
  {
    if [ -n "$head" ]; then
      echo "$head"
      echo
    else
      echo "HTTP benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $NCPU CPUs, kernel $(uname -r), rounds $ROUNDS (order $ORDER: $SERVERS), single stream: $REPS x curl of $BIG_MB MiB (pinning: $SINGLE_PIN), wrk -t$THREADS -c{$CONNS} -d${DURATION}s --timeout ${WRK_TIMEOUT}s on 1 MiB; rackbootd $RB_ID; $NGX_ID)"
      echo
    fi
    awk -F, -v big_mb="$BIG_MB" -v threads="$THREADS" -v qc="$QUIET_CORES" "$AWK_MED"'
      function mx(list,   a, k, i, m) { k = split(list, a, " "); m = ""; for (i = 1; i <= k; i++) if (m == "" || a[i] + 0 > m) m = a[i] + 0; return m }
      function cnt(list,   a) { return split(list, a, " ") }
      function agg(list, how) { return how == "max" ? mx(list) : med(list) }
      function ratio(x, y) { return (x != "" && y != "" && y + 0 > 0) ? sprintf("%.2f", x / y) : "-" }
      function ok(q, thr, hi) { return (hi && q + 0 >= thr) || (!hi && q + 0 <= thr) }
      function star(o) { return (o + 0 >= qc) ? sprintf("%.2f*", o) : sprintf("%.2f", o) }
      # one row of the targets table: first server / second server, per
      # round (V: per-round value), over all runs and over the quiet runs (L, LQ)
      function target(label, m, l, how, t, thr, hi,   r, q, line, k, n, qa, qq, na, nb, v) {
        line = ""; k = 0; n = 0
        for (r = 1; r <= nr; r++) {
          q = ratio(V[m, A, t, r], V[m, B, t, r]); line = line (r > 1 ? ", " : "") q
          if (q == "-") continue
          n++; if (ok(q, thr, hi)) k++
        }
        if (n == 0) return
        qa = ratio(agg(L[l, A, t], how), agg(L[l, B, t], how))
        na = cnt(LQ[l, A, t]); nb = cnt(LQ[l, B, t])
        qq = (na && nb) ? ratio(agg(LQ[l, A, t], how), agg(LQ[l, B, t], how)) : "-"
        v = (qq != "-") ? (ok(qq, thr, hi) ? "met" : "not met") " (quiet runs)" : "undecided: no quiet pair (all runs: " (ok(qa, thr, hi) ? "met" : "not met") ")"
        printf "| %s | %s | %s | %s | %d of %d | %s | %s (%d/%d) | %s |\n", label, t, mname[m], line, k, n, qa, qq, na, nb, v
      }
      BEGIN {
        mname["mbmed"] = "median MB/s"; mname["mbbest"] = "best MB/s"; mname["gb"] = "server CPU s/GB"
        mname["rps"] = "req/s"
      }
      NR == 1 { next }
      {
        r = $1; s = $3; t = $4
        if (!(s in seen)) { seen[s] = 1; srv[++ns] = s }
        if (!(t in tseen)) { tseen[t] = 1; tests[++nt] = t }
        if (r > nr) nr = r
        k = s SUBSEP t SUBSEP r
        slot[s, r] = $2
        if ($30 != "ok") { bad[k] = bad[k] " " $30; next }
        n[k]++
        quiet = ($27 + 0 < qc)
        mbs[k] = mbs[k] " " $11; gb[k] = gb[k] " " $22; sc[k] = sc[k] " " $24; cc[k] = cc[k] " " $26
        oc[k] = oc[k] " " $27; cgb[k] = cgb[k] " " ($9 > 0 ? $25 / ($9 / 1e9) : 0)
        rps[k] = $10; p50[k] = $12; p99[k] = $14; us[k] = $23
        non2[k] = $20; sat[k] = sat[k] " " $29; conns[t] = $6
        errd[k] = sprintf("%d/%d/%d/%d", $16, $17, $18, $19)
        L["mb", s, t] = L["mb", s, t] " " $11; L["gb", s, t] = L["gb", s, t] " " $22; L["rps", s, t] = L["rps", s, t] " " $10
        if (quiet) { LQ["mb", s, t] = LQ["mb", s, t] " " $11; LQ["gb", s, t] = LQ["gb", s, t] " " $22; LQ["rps", s, t] = LQ["rps", s, t] " " $10; nq[k]++ }
      }
      END {
        print "Single stream: `curl -o /dev/null` of a " big_mb " MiB file, one connection, repeated; MB/s = 10^6 bytes/s; CPU per GB = CPU s / 10^9 bytes, median of the repetitions; cores = CPU s per s of transfer, medians; other = cores used by the rest of the machine (* = disturbed: >= " qc "), median; quiet = repetitions that were not disturbed."
        print ""
        print "| server | round (slot) | best MB/s | median MB/s | all runs MB/s | quiet | server CPU s/GB | curl CPU s/GB | server cores | curl cores | other cores | saturated (each run) |"
        print "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
        for (i = 1; i <= ns; i++) for (r = 1; r <= nr; r++) {
          k = srv[i] SUBSEP "single" SUBSEP r
          if (!(k in n)) { if (k in bad) printf "| %s | %d | | | | | | | | | | failed:%s |\n", srv[i], r, bad[k]; continue }
          V["mbbest", k] = mx(mbs[k]); V["mbmed", k] = med(mbs[k]); V["gb", k] = med(gb[k])
          printf "| %s | %d (%d) | %.0f | %.0f | %s | %d of %d | %.3f | %.3f | %.2f | %.2f | %s | %s%s |\n", srv[i], r, slot[srv[i], r], V["mbbest", k], V["mbmed", k], substr(mbs[k], 2), nq[k], n[k], V["gb", k], med(cgb[k]), med(sc[k]), med(cc[k]), star(med(oc[k])), substr(sat[k], 2), (k in bad ? "; failed:" bad[k] : "")
        }
        print ""
        print "Many streams: `wrk -t" threads " -cN --latency` on a 1 MiB file (keep-alive); errors = wrk socket errors connect/read/write/timeout, non-2xx responses separately; cores = CPU s per s of the run (2 CPUs in all); wrk CPU s/GB: the client side of the same bytes; other: * = disturbed (>= " qc " cores)."
        print ""
        print "| server | conns | round (slot) | req/s | MB/s | p50 ms | p99 ms | errors c/r/w/t | non-2xx | server CPU s/GB | server CPU us/req | wrk CPU s/GB | server cores | wrk cores | other cores | saturated |"
        print "|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
        for (j = 1; j <= nt; j++) { t = tests[j]; if (t == "single") continue
          for (i = 1; i <= ns; i++) for (r = 1; r <= nr; r++) {
            k = srv[i] SUBSEP t SUBSEP r
            if (!(k in n)) { if (k in bad) printf "| %s | %s | %d | | | | | | | | | | | | | failed:%s |\n", srv[i], conns[t], r, bad[k]; continue }
            V["rps", k] = rps[k]; V["gb", k] = gb[k] + 0
            printf "| %s | %s | %d (%d) | %.0f | %.0f | %.1f | %.1f | %s | %d | %.3f | %.0f | %.3f | %.2f | %.2f | %s | %s |\n", srv[i], conns[t], r, slot[srv[i], r], rps[k], mbs[k], p50[k], p99[k], errd[k], non2[k], gb[k], us[k], cgb[k], sc[k], cc[k], star(oc[k]), substr(sat[k], 2)
          }
        }
        if (ns < 2) exit
        A = srv[1]; B = srv[2]
        print ""
        printf "Targets: ratio %s / %s in each round, rounds meeting the target, the ratio over all runs (median, or best for best MB/s) and over the quiet runs only (runs counted: %s/%s); the verdict uses the quiet runs when both servers have some.\n\n", A, B, A, B
        print "| target | test | metric | ratio per round | rounds met | ratio, all runs | ratio, quiet runs | verdict |"
        print "|---|---|---|---|---:|---:|---:|---|"
        target("single stream within 5 % of nginx or better", "mbmed", "mb", "med", "single", 0.95, 1)
        target("single stream within 5 % of nginx or better", "mbbest", "mb", "max", "single", 0.95, 1)
        for (j = 1; j <= nt; j++) if (tests[j] != "single") target("req/s on 1 MiB at least nginx", "rps", "rps", "med", tests[j], 1, 1)
        for (j = 1; j <= nt; j++) target("server CPU per GB at most nginx", "gb", "gb", "med", tests[j], 1, 0)
      }' "$CSV"
  } > "$MD"
  report_show "$MD" "raw: $CSV; tables: $MD"
  bench_plot "$ROOT/bench/plot-http.gp" "$CSV" "$PNG"
}

if [ "$REPORT_ONLY" = 1 ]; then
  report
  exit 0
fi

# ---------------------------------------------------------------- checks
bench_need_root
bench_need_cmds ip ss timeout awk sed sha256sum "$CURL" "$WRK"
case " $SERVERS " in *" nginx "*) [ -x "$NGINX" ] || die "$NGINX not found";; esac
case " $SERVERS " in *" rackbootd "*) [ -x "$RACKBOOTD" ] || die "$RACKBOOTD not built (make -j2 build/rackbootd)";; esac
[ "$PROFILE" = 1 ] && { command -v perf >/dev/null || die "PROFILE=1 needs perf"; }
# cgroups for CPU accounting, shared with the TFTP and DHCP benches
cg_find_root
log "CPU accounting: cgroup $CG_KIND at $CG_ROOT"

# ---------------------------------------------------------------- setup
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/rbhbench.XXXXXX)
mkdir -p "$WORK/root" "$WORK/state" "$WORK/nginx/logs"
# one build for the whole run (build/ may be rebuilt by others meanwhile)
bench_snapshot RACKBOOTD "$WORK/rackbootd"; RB_ID=$SNAP_ID
NGX_ID=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //' || echo "nginx ?")
log "rackbootd: $RB_ID; $NGX_ID; $("$WRK" -v 2>&1 | head -1 | cut -d' ' -f1-2); $("$CURL" --version | head -1 | cut -d' ' -f1-2)"
head -c 1048576 /dev/urandom > "$WORK/root/$SMALL"
head -c $((BIG_MB * 1048576)) /dev/urandom > "$WORK/root/$BIG"
chmod 755 "$WORK" "$WORK/root"; chmod 644 "$WORK/root/"*
SUM_SMALL=$(sha256sum < "$WORK/root/$SMALL" | cut -c1-64)
SUM_BIG=$(sha256sum < "$WORK/root/$BIG" | cut -c1-64)    # also: both files now in the page cache
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
log "open files limit $(ulimit -n)"

cat > "$WORK/report.lua" <<'LUAEOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%.0f bytes=%.0f duration_us=%.0f connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
LUAEOF

nginx_conf "$WORK/nginx" "$SRV_IP:$PORT" "$WORK/root" 10000 "$NGINX_EXTRA"
ns_pair 24 1500
cg_new CLI_CG client
if [[ " $SERVERS $PROFILE_SERVERS " == *" nginx "* ]]; then   # (-t binds: in the namespace)
  ip netns exec "$NS_SRV" "$NGINX" -t -q -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" \
    -e "$WORK/nginx/logs/error.log" >&2 || die "nginx config test failed"
fi

# start_server NAME LOG -> sets SRV_PID, SRV_CG
start_server() {
  local name=$1 logf=$2
  local -a cmd
  case $name in
    rackbootd)
      # shellcheck disable=SC2206
      cmd=("$RACKBOOTD" --interface "$PFX-s" --address $SRV_IP/24 --root "$WORK/root" --proxy-dhcp
           --state-dir "$WORK/state" --http-port "$PORT" --max-streams 0 --max-connections 10000
           --stderr $RACKBOOTD_ARGS) ;;
    nginx)
      cmd=("$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log") ;;
    *) die "unknown server $name (rackbootd, nginx)" ;;
  esac
  # bench/lib/server.sh: waits for the previous server's port to go, then
  # for this one to listen
  srv_start "$name" "$NS_SRV" t "$PORT" 0.3 "$logf" "${cmd[@]}"
}
# pin_server CPULIST: move every thread of the server to CPULIST (io_uring
# worker threads refuse: they do no work here, sendfile runs in the loops)
pin_server() {
  local p
  for p in $(cat "$SRV_CG/cgroup.procs" 2>/dev/null); do taskset -a -cp "$1" "$p" > /dev/null 2>&1 || true; done
}
# in_client CMD...: run in the client namespace and the client cgroup
in_client() {
  cg_run "$CLI_CG" ip netns exec "$NS_CLI" "$@"
}

# verify SERVER: the served files are the files (outside any measurement)
verify() {
  local s
  s=$(in_client timeout -k 2 30 "$CURL" -sf "http://$SRV_IP:$PORT/$SMALL" | sha256sum | cut -c1-64) || true
  [ "$s" = "$SUM_SMALL" ] || { log "$1: $SMALL content mismatch"; return 1; }
  s=$(in_client timeout -k 2 60 "$CURL" -sf "http://$SRV_IP:$PORT/$BIG" | sha256sum | cut -c1-64) || true
  [ "$s" = "$SUM_BIG" ] || { log "$1: $BIG content mismatch"; return 1; }
}

# quiet_gate: wait (bounded) for a second in which the rest of the machine
# used < QUIET_CORES cores; sets M_QWAIT (seconds waited)
QUIET_SPENT=0
quiet_gate() {
  local t0=$SECONDS b0 b1 other
  M_QWAIT=0
  while :; do
    b0=$(machine_busy_ticks); sleep 1; b1=$(machine_busy_ticks)
    # nothing of ours runs between measurements (idle server): all "other"
    other=$(awk -v a="$b0" -v b="$b1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
    awk -v o="$other" -v q="$QUIET_CORES" 'BEGIN { exit !(o < q) }' && break
    if [ $((SECONDS - t0)) -ge "$QUIET_WAIT" ] || [ $((QUIET_SPENT + SECONDS - t0)) -ge "$QUIET_BUDGET" ]; then
      log "machine busy (${other} cores used by others); measuring anyway"
      break
    fi
  done
  M_QWAIT=$((SECONDS - t0)); QUIET_SPENT=$((QUIET_SPENT + M_QWAIT))
}

# measurement window: m_begin, (client), m_end -> sets M_* (srv/cli CPU s, window, other cores)
m_begin() {
  M_K0=$(ksoftirqd_ticks)
  M_S0=$(cg_usage_us "$SRV_CG"); M_C0=$(cg_usage_us "$CLI_CG"); M_B0=$(machine_busy_ticks); M_T0=$(date +%s.%N)
}
m_end() {
  sleep "$SETTLE"
  local s1 c1 b1 t1 k1
  s1=$(cg_usage_us "$SRV_CG"); c1=$(cg_usage_us "$CLI_CG"); b1=$(machine_busy_ticks); t1=$(date +%s.%N)
  k1=$(ksoftirqd_ticks)
  read -r M_SRV M_CLI M_WIN M_OTHER M_KSI < <(awk -v s0="$M_S0" -v s1="$s1" -v c0="$M_C0" -v c1="$c1" \
    -v b0="$M_B0" -v b1="$b1" -v t0="$M_T0" -v t1="$t1" -v k0="$M_K0" -v k1="$k1" -v hz="$CLK_TCK" -v nc="$NCPU" 'BEGIN {
      s = (s1 - s0) / 1e6; c = (c1 - c0) / 1e6; w = t1 - t0
      o = ((b1 - b0) / hz - s - c) / w; if (o < 0) o = 0; if (o > nc) o = nc
      printf "%.3f %.3f %.3f %.2f %.3f\n", s, c, w, o, (k1 - k0) / hz }')
}
# saturated SRV_CORES CLI_CORES OTHER SRV_MAX CLI_MAX
saturated() {
  awk -v s="$1" -v c="$2" -v o="$3" -v sm="$4" -v cm="$5" -v nc="$NCPU" 'BEGIN {
    r = ""
    if (s >= 0.9 * sm) r = r "+server"
    if (c >= 0.9 * cm) r = r "+client"
    if (s + c >= 0.85 * nc) r = r "+machine"
    else if (s + c + o >= 0.85 * nc) r = r "+machine(other load)"
    print (r == "" ? "-" : substr(r, 2)) }'
}

SINGLE_CPIN=()
case $SINGLE_PIN in
  split) [ "$NCPU" -ge 2 ] || die "SINGLE_PIN=split needs 2 CPUs"; SINGLE_CPIN=(taskset -c 0) ;;
  none) ;;
  *) die "SINGLE_PIN must be split or none" ;;
esac

CSV_HEADER="round,slot,server,test,rep,conns,secs,requests,bytes,req_per_s,mb_per_s,p50_ms,p90_ms,p99_ms,max_ms,err_connect,err_read,err_write,err_timeout,non_2xx,srv_cpu_s,srv_cpu_s_per_gb,srv_cpu_us_per_req,srv_cores,cli_cpu_s,cli_cores,other_cores,window_s,saturated,status,ksoftirqd_cpu_s,quiet_wait_s"
[ "$ROUNDS" -gt 0 ] && echo "$CSV_HEADER" > "$CSV"

# run_single ROUND SLOT SERVER REP
run_single() {
  local round=$1 slot=$2 srv=$3 rep=$4 out rc=0 size secs code
  quiet_gate
  m_begin
  out=$(in_client "${SINGLE_CPIN[@]}" timeout -k 2 120 "$CURL" -s -o /dev/null \
        -w '%{size_download} %{time_total} %{http_code}' "http://$SRV_IP:$PORT/$BIG") || rc=$?
  m_end
  read -r size secs code <<<"$out"
  local st=ok
  [ "$rc" = 0 ] || st="curl_rc=$rc"
  [ "${code:-}" = 200 ] || st="$st;http=${code:-none}"
  [ "${size:-0}" = $((BIG_MB * 1048576)) ] || st="$st;short=${size:-0}"
  st=${st#ok;}
  [ "$st" = ok ] || log "$srv single rep $rep: $st"
  local sat
  # cores over the transfer itself (curl's time), not the whole window
  sat=$(awk -v s="$M_SRV" -v c="$M_CLI" -v t="${secs:-0}" 'BEGIN { if (t <= 0) t = 1; printf "%.2f %.2f", s / t, c / t }')
  # shellcheck disable=SC2086
  sat=$(saturated $sat "$M_OTHER" 1 1)
  awk -v r="$round" -v sl="$slot" -v sv="$srv" -v rep="$rep" -v b="${size:-0}" -v t="${secs:-0}" \
      -v s="$M_SRV" -v c="$M_CLI" -v w="$M_WIN" -v o="$M_OTHER" -v sat="$sat" -v st="$st" -v k="$M_KSI" -v qw="$M_QWAIT" 'BEGIN {
    mb = (t > 0) ? b / t / 1e6 : 0
    tt = (t > 0) ? t : 1
    printf "%d,%d,%s,single,%d,1,%.4f,1,%.0f,%.2f,%.1f,,,,,,,,,,%.3f,%.3f,%.0f,%.2f,%.3f,%.2f,%.2f,%.3f,%s,%s,%.2f,%d\n",
      r, sl, sv, rep, t, b, (t > 0 ? 1 / t : 0), mb, s, (b > 0 ? s / (b / 1e9) : 0), s * 1e6, s / tt, c, c / tt, o, w, sat, st, k, qw }' >> "$CSV"
  log "$srv single rep $rep: $(tail -1 "$CSV" | cut -d, -f11) MB/s, server CPU $(tail -1 "$CSV" | cut -d, -f22) s/GB, cores srv/cli/other $(tail -1 "$CSV" | cut -d, -f24,26,27)"
}

# run_wrk ROUND SLOT SERVER CONNS
run_wrk() {
  local round=$1 slot=$2 srv=$3 conns=$4 out rc=0 res
  quiet_gate
  m_begin
  out=$(in_client timeout -k 5 $((DURATION + 30)) "$WRK" -t"$THREADS" -c"$conns" -d"${DURATION}s" \
        --timeout "${WRK_TIMEOUT}s" --latency -s "$WORK/report.lua" "http://$SRV_IP:$PORT/$SMALL" 2>&1) || rc=$?
  m_end
  echo "$out" > "$WORK/wrk-$srv-c$conns-r$round.txt"
  res=$(grep '^RESULT ' <<<"$out" || true)
  local non2
  non2=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out"); non2=${non2:-0}
  local st=ok
  [ "$rc" = 0 ] || st="wrk_rc=$rc"
  [ -n "$res" ] || st="$st;no_result"
  st=${st#ok;}
  if [ "$st" != ok ]; then
    log "$srv c$conns: $st: $(tail -5 <<<"$out" | tr '\n' ' ')"
    csv_blank "$round,$slot,$srv,c$conns,1,$conns" 23 "$st" ",,$M_QWAIT" >> "$CSV"
    return 0
  fi
  kv() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$res"; }
  local req by dur ec er ew et p50 p90 p99 pmax scores ccores sat
  req=$(kv requests); by=$(kv bytes); dur=$(kv duration_us)
  ec=$(kv connect); er=$(kv read); ew=$(kv write); et=$(kv timeout)
  p50=$(kv p50_us); p90=$(kv p90_us); p99=$(kv p99_us); pmax=$(kv max_us)
  # cores over wrk's own duration (the CPU counters also cover the connection
  # set-up and the SETTLE after it, both small next to DURATION)
  read -r scores ccores < <(awk -v s="$M_SRV" -v c="$M_CLI" -v d="$dur" 'BEGIN { t = d / 1e6; if (t <= 0) t = 1; printf "%.2f %.2f\n", s / t, c / t }')
  sat=$(saturated "$scores" "$ccores" "$M_OTHER" "$NCPU" "$THREADS")
  awk -v r="$round" -v sl="$slot" -v sv="$srv" -v n="$conns" -v req="$req" -v b="$by" -v d="$dur" \
      -v ec="$ec" -v er="$er" -v ew="$ew" -v et="$et" -v non2="$non2" \
      -v p50="$p50" -v p90="$p90" -v p99="$p99" -v pmax="$pmax" \
      -v s="$M_SRV" -v c="$M_CLI" -v w="$M_WIN" -v o="$M_OTHER" -v sat="$sat" -v k="$M_KSI" -v qw="$M_QWAIT" 'BEGIN {
    t = d / 1e6
    printf "%d,%d,%s,c%d,1,%d,%.3f,%.0f,%.0f,%.1f,%.1f,%.2f,%.2f,%.2f,%.2f,%d,%d,%d,%d,%d,%.3f,%.3f,%.0f,%.2f,%.3f,%.2f,%.2f,%.3f,%s,ok,%.2f,%d\n",
      r, sl, sv, n, n, t, req, b, req / t, b / t / 1e6, p50 / 1e3, p90 / 1e3, p99 / 1e3, pmax / 1e3,
      ec, er, ew, et, non2, s, (b > 0 ? s / (b / 1e9) : 0), (req > 0 ? s * 1e6 / req : 0), s / t, c, c / t, o, w, sat, k, qw }' >> "$CSV"
  log "$srv c$conns: $(tail -1 "$CSV" | cut -d, -f10) req/s, $(tail -1 "$CSV" | cut -d, -f11) MB/s, p50/p99 $(tail -1 "$CSV" | cut -d, -f12,14) ms, errors $ec/$er/$ew/$et, non-2xx $non2, server CPU $(tail -1 "$CSV" | cut -d, -f22) s/GB $(tail -1 "$CSV" | cut -d, -f23) us/req, cores srv/wrk/other $scores/$ccores/$M_OTHER ($sat)"
}

# ---------------------------------------------------------------- rounds
for round in $(seq 1 "$ROUNDS"); do
  # shellcheck disable=SC2086  # ORDER: same (as SERVERS) or swap (reversed in even rounds)
  order=$(round_order "$round" "$ORDER" $SERVERS)
  slot=0
  for srv in $order; do
    slot=$((slot + 1))
    logf=$WORK/$srv-r$round.log
    if ! start_server "$srv" "$logf"; then
      csv_blank "$round,$slot,$srv,single" 25 unavailable ",," >> "$CSV"
      continue
    fi
    log "round $round: $srv (pid $SRV_PID, $(cg_nprocs "$SRV_CG") processes)"
    if ! verify "$srv"; then
      csv_blank "$round,$slot,$srv,single" 25 content_mismatch ",," >> "$CSV"
      srv_stop; continue
    fi
    [ "$SINGLE_PIN" = split ] && pin_server 1
    for rep in $(seq 1 "$REPS"); do run_single "$round" "$slot" "$srv" "$rep"; done
    [ "$SINGLE_PIN" = split ] && pin_server "0-$((NCPU - 1))"
    for c in $CONNS; do run_wrk "$round" "$slot" "$srv" "$c"; done
    srv_stop
    sleep 1
  done
done

# ---------------------------------------------------------------- profiles
# perf record -g of the server during an extra run (not one of the measured
# ones: perf costs CPU on this 2-CPU machine). Kernel call chains are
# complete; user-space ones are as deep as frame pointers allow.
if [ "$PROFILE" = 1 ]; then
  for srv in $PROFILE_SERVERS; do
    start_server "$srv" "$WORK/$srv-profile.log" || continue
    for t in $PROFILE_TESTS; do
      pids=$(paste -sd, "$SRV_CG/cgroup.procs")
      pf=$OUT/http-$TAG-perf-$srv-$t.txt
      perf record -q -g -F 999 -p "$pids" -o "$WORK/perf-$srv-$t.data" -- sleep "$PROFILE_SECS" 2>"$WORK/perf.err" &
      ppid=$!
      m_begin
      case $t in
        single) end=$((SECONDS + PROFILE_SECS)); n=0
                [ "$SINGLE_PIN" = split ] && pin_server 1
                while [ $SECONDS -lt $end ]; do
                  in_client "${SINGLE_CPIN[@]}" timeout -k 2 60 "$CURL" -s -o /dev/null "http://$SRV_IP:$PORT/$BIG" || true; n=$((n + 1))
                done
                [ "$SINGLE_PIN" = split ] && pin_server "0-$((NCPU - 1))"
                desc="curl of the $BIG_MB MiB file, repeated for ${PROFILE_SECS}s ($n transfers; pinning $SINGLE_PIN)" ;;
        c*)     in_client timeout -k 5 $((PROFILE_SECS + 30)) "$WRK" -t"$THREADS" -c"${t#c}" -d"${PROFILE_SECS}s" \
                  --timeout "${WRK_TIMEOUT}s" "http://$SRV_IP:$PORT/$SMALL" > "$WORK/wrk-profile.txt" 2>&1 || true
                desc="wrk -t$THREADS -${t} -d${PROFILE_SECS}s on the 1 MiB file: $(grep -E 'Requests/sec|Transfer/sec' "$WORK/wrk-profile.txt" | tr -s ' ' | tr '\n' ' ')" ;;
      esac
      wait "$ppid" || true
      m_end
      {
        echo "# perf record -g -F 999 -p <all $srv processes> during: $desc"
        echo "# server CPU ${M_SRV}s, client CPU ${M_CLI}s over ${M_WIN}s (perf itself included); rackbootd $RB_ID; $NGX_ID"
        echo "# $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r). No PMU in this VM: cpu-clock sampling, so time"
        echo "# with interrupts off (softirq, veth delivery) lands on the function that re-enables them"
        echo "# (_raw_spin_unlock_irqrestore, handle_softirqs, ...); the call chains below say whose it is."
        echo
        echo "## self time by command, object, symbol (top 60)"
        perf report -i "$WORK/perf-$srv-$t.data" --no-children --sort comm,dso,symbol --stdio -g none 2>/dev/null \
          | grep -v '^#' | grep -v '^$' | head -60 || true
        echo
        echo "## inclusive time by symbol (top 60)"
        perf report -i "$WORK/perf-$srv-$t.data" --children --sort symbol --stdio -g none 2>/dev/null \
          | grep -v '^#' | grep -v '^$' | head -60 || true
        echo
        echo "## system calls and user-space functions (inclusive time; top 40)"
        perf report -i "$WORK/perf-$srv-$t.data" --children --sort symbol --stdio -g none 2>/dev/null \
          | grep -E '\[k\] __(x64|do)_sys_|\[\.\] ' | head -40 || true
        echo
        echo "## call chains, callers first, of the symbols with >= 3 % self time"
        perf report -i "$WORK/perf-$srv-$t.data" --no-children --sort symbol --stdio -g caller,0.5,callee,function,percent \
          --percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -500 || true
      } > "$pf"
      log "profile: $pf"
      sleep 1
    done
    srv_stop
  done
fi

log "done in $((SECONDS - T_START)) s"
[ "$ROUNDS" -gt 0 ] && report
exit 0
