#!/usr/bin/env bash
# DHCP server benchmark: rackbootd vs Kea (kea-dhcp4, memfile) vs dnsmasq,
# all driven by the same perfdhcp (Kea 2.2) from a second network namespace.
#
#   bash bench/dhcp-bench.sh                         # full run, ~6 minutes (at most ~12)
#   RATES="500 2000" STEP_SECS=5 SERVERS="rackboot kea" MAX_RUN=0 bash bench/dhcp-bench.sh
#   MODE=direct bash bench/dhcp-bench.sh             # clients on the segment
#
# For each offered rate in $RATES (DORA exchanges per second), each server is
# started fresh (empty lease store) in its own cgroup in namespace A, and
# perfdhcp runs for STEP_SECS seconds at that rate from namespace B (veth,
# 198.18.0.1/16 <-> 198.18.0.2/16) with CLIENTS distinct simulated clients,
# then waits 1 s more for the last replies. Servers are interleaved within a
# rate, so a noisy minute on this shared machine hits all of them. A server's
# ladder stops after a step with >= STOP_PCT % drops or two steps in a row
# with >= DROP_OK % (it is past its limit). The sustained rate is the most
# DORA/s achieved in a step with < DROP_OK % drops (marked as a lower bound
# when perfdhcp could not send the offered rate). With MAX_RUN=1 each server
# then gets a run with no rate limit (perfdhcp sends as fast as it can).
#
# Measured per step: DISCOVERs sent, OFFERs and ACKs received (perfdhcp),
# drop % = 1 - ACKs / DISCOVERs, achieved DORA/s = ACKs / STEP_SECS; server
# CPU from the cgroup's cpu.stat usage_usec (all threads and processes),
# per 1000 completed DORA; perfdhcp's CPU the same way (its own cgroup); the
# busiest thread of each (/proc/PID/task/*/stat, sampled over the middle of
# the step: a single-threaded packet loop saturates at 1.0 whatever the
# process total); CPU used by the rest of the machine; UDP receive-buffer
# drops in each namespace (RcvbufErrors: which socket overflowed). rackbootd's
# lease commits (fsyncs) and rows are read from its exit line.
#
# "saturated" (per step): "server" when the server's busiest thread used
# >= 90 % of a core or its namespace dropped datagrams on a full socket
# buffer; "client" when perfdhcp could not send at the offered rate (sent
# < 95 %), its socket overflowed, or (below 10,000/s, where perfdhcp does not
# busy-poll) its busiest thread used >= 90 %; "machine" when everything
# together used >= 85 % of all CPUs; several can apply; "-" when none did
# (drops, if any, came from elsewhere: NAKs, the disk). In the unlimited run
# perfdhcp sends as fast as its one loop goes, so a server that kept up there
# is marked "client".
#
# Durability differs and is part of what is measured: rackbootd commits each
# lease to SQLite (WAL, synchronous=FULL) and sends the ACK only after the
# commit, one fsync per group of leases; dnsmasq rewrites its lease file and
# fsyncs it for every lease change, in its only thread; Kea's memfile backend
# appends to its CSV file without fsync (a crash can lose leases it ACKed).
#
# Writes $OUT/dhcp-$TAG.csv (one row per step), $OUT/dhcp-$TAG.md (the
# tables printed at the end) and, with gnuplot, $OUT/dhcp-$TAG.png
# (bench/plot-dhcp.gp: drop %, achieved DORA/s and server CPU per 1000 DORA
# against the offered rate). Everything is bounded: each perfdhcp run is killed after
# STEP_SECS + 30 s, server start/stop waits are at most 5 s, and steps that
# would end after BUDGET seconds are skipped. Namespaces (rbd<pid>-...),
# cgroups and servers are removed on exit, also on failure or Ctrl-C.
#
# Environment (defaults in brackets):
#   SERVERS ["rackboot kea dnsmasq"]  MODE [relay] (relay | direct)
#   RATES ["100 250 500 1000 2000 4000 6000 8000 12000 16000 24000 32000"]
#   STEP_SECS [10]  CLIENTS [50000]  DROP_OK [1] %  STOP_PCT [10] %
#   MAX_RUN [1]  BUDGET [660] s  PIN [none] (split: servers on CPU 1,
#   perfdhcp on CPU 0)  KEA_MT [0] (1: Kea's multi-threading on)
#   RACKBOOTD [build/rackbootd]  KEA [kea-dhcp4]  DNSMASQ [dnsmasq]
#   PERFDHCP [perfdhcp]  OUT [docs/bench]  TAG [UTC date, YYYY-MM-DD]
#   REPORT_ONLY [0] (1: only rebuild the tables and plot from $OUT/dhcp-$TAG.csv)
#   SERVER_RCVBUF [0] (bytes: Kea's and dnsmasq's UDP sockets get this
#     receive buffer through the LD_PRELOAD shim; by default they keep the
#     kernel default, ~208 KiB; rackbootd sets 8 MiB on its own)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVERS_GIVEN=${SERVERS:+1}
SERVERS=${SERVERS:-"rackboot kea dnsmasq"}
MODE=${MODE:-relay}
RATES=${RATES:-"100 250 500 1000 2000 4000 6000 8000 12000 16000 24000 32000"}
STEP_SECS=${STEP_SECS:-10}
CLIENTS=${CLIENTS:-50000}
DROP_OK=${DROP_OK:-1}
STOP_PCT=${STOP_PCT:-10}
MAX_RUN=${MAX_RUN:-1}
BUDGET=${BUDGET:-660}
PIN=${PIN:-none}
KEA_MT=${KEA_MT:-0}
SERVER_RCVBUF=${SERVER_RCVBUF:-0}
RACKBOOTD=${RACKBOOTD:-$ROOT/build/rackbootd}
KEA=${KEA:-$(command -v kea-dhcp4 || echo /usr/sbin/kea-dhcp4)}
DNSMASQ=${DNSMASQ:-$(command -v dnsmasq || echo /usr/sbin/dnsmasq)}
PERFDHCP=${PERFDHCP:-$(command -v perfdhcp || echo /usr/sbin/perfdhcp)}
OUT=${OUT:-$ROOT/docs/bench}
TAG=${TAG:-$(date -u +%Y-%m-%d)}
WAIT_US=1000000                          # perfdhcp -W: last replies after the period
SRV_IP=198.18.0.1 CLI_IP=198.18.0.2 PLEN=16
RANGE_LO=198.18.1.0 RANGE_HI=198.18.254.255   # 65,024 addresses > CLIENTS
LEASE_SECS=3600

WORK=
CLI_CG=
T_START=$SECONDS
REPORT_ONLY=${REPORT_ONLY:-0}
NCPU=$(nproc)
CSV=$OUT/dhcp-$TAG.csv
MD=$OUT/dhcp-$TAG.md
PNG=$OUT/dhcp-$TAG.png

BENCH_NAME=dhcp-bench
# the shared scaffolding (bench/lib/): log/die and the exit trap that removes
# cgroups, namespaces and WORK; cgroup CPU accounting; namespaces; server
# start/stop (SIGTERM first: rackbootd prints its counters); report helpers
source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/cgroup.sh"
source "$ROOT/bench/lib/netns.sh"
source "$ROOT/bench/lib/server.sh"
source "$ROOT/bench/lib/report.sh"
bench_names rbd rbdbench     # namespaces rbd<pid>-srv/-cli, cgroups rbdbench-<pid>-*
SRV_STOP_TERM=1
bench_traps

# ---------------------------------------------------------------- report
# Tables ($MD) and plot from $CSV; also alone with REPORT_ONLY=1 (TAG picks
# the CSV), e.g. after changing this section.
report() {
  {
    if [ "$REPORT_ONLY" = 1 ]; then
      # the run's own description, from the tables written by that run
      [ -f "$MD" ] && sed -n '1,/^| server/p' "$MD" | sed '$d' || echo "(tables re-printed from $CSV)"
    else
      echo "DHCP benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $NCPU CPUs, kernel $(uname -r), mode $MODE, $STEP_SECS s per step, $CLIENTS clients, pinning $PIN, Kea multi-threading $KEA_MT, Kea/dnsmasq receive buffer $([ "$SERVER_RCVBUF" -gt 0 ] && echo "$SERVER_RCVBUF (shim)" || echo default), rackbootd $RB_ID)"
      echo
      echo "perfdhcp per step: perfdhcp -4 -r RATE -p $STEP_SECS -W $WAIT_US -R $CLIENTS ${PD_MODE_ARGS[*]} (unlimited: no -r), LD_PRELOAD shim: receive buffer $PERFDHCP_RCVBUF$([ "$MODE" = direct ] && echo ', port 68 bound to INADDR_ANY')"
      echo
    fi
    echo "| server | sustained DORA/s (< ${DROP_OK} % drops) | vs Kea | drops there | server CPU ms / 1000 DORA there | CPU / DORA vs Kea at the same rate | server cores / busiest thread there | perfdhcp cores / busiest thread there | next step up: offered → achieved DORA/s, drops, saturated | unlimited rate: DORA/s, drops, saturated |"
    echo "|---|---:|---:|---:|---:|---:|---|---|---|---|"
    awk -F, -v servers="$SERVERS" -v ok="$DROP_OK" '
      NR == 1 { next }
      $33 != "ok" { if ($3 == "step" && !(($1) in first_bad)) first_bad[$1] = $4 " /s: " $33; next }
      $3 == "step" {
        r = $4 + 0
        # sustained: the most DORA/s achieved in a step with < ok % drops
        if ($11 + 0 < ok && $12 + 0 > best[$1] + 0) { best[$1] = $12 + 0; row[$1] = $0 }
        if ($11 + 0 >= ok && (!(($1) in fb) || r < fb[$1] + 0)) { fb[$1] = r; fbrow[$1] = $0 }
        dp[$1, r] = $11 + 0; cpuk[$1, r] = $18 + 0; if (!(r in seen)) { seen[r] = 1; rates[++nr] = r }
      }
      $3 == "max" { mx[$1] = $0 }
      END {
        n = split(servers, S, " ")
        if ("kea" in row) { split(row["kea"], K, ","); kr = K[12] }
        for (i = 1; i <= n; i++) {
          s = S[i]
          if (s in row) {
            split(row[s], a, ",")
            # perfdhcp could not send the offered rate: the server was not
            # the limit, the figure is a lower bound
            lim = (a[13] < 0.95 * a[4] || a[32] ~ /client/) ? " (≥; perfdhcp-bound)" : ""
            sus = sprintf("%.0f at -r %s%s", a[12], a[4], lim); vs = (kr > 0) ? sprintf("%s%.2fx", lim != "" ? "≥ " : "", a[12] / kr) : "-"
            dr = sprintf("%.2f %%", a[11]); cpu = sprintf("%.1f", a[18])
            # CPU per DORA depends on the rate (batching): compare with Kea
            # at the highest offered rate where both had < ok % drops
            cr = -1
            for (j = 1; j <= nr; j++) { q = rates[j]
              if (((s, q) in dp) && (("kea", q) in dp) && dp[s, q] < ok && dp["kea", q] < ok && q > cr) cr = q }
            cvs = (cr > 0 && cpuk["kea", cr] > 0) ? sprintf("%.2fx (%.1f vs %.1f at -r %d)", cpuk[s, cr] / cpuk["kea", cr], cpuk[s, cr], cpuk["kea", cr], cr) : "-"
            sc = sprintf("%.2f / %.2f", a[19], a[20]); cc = sprintf("%.2f / %.2f", a[22], a[23])
          } else { sus = "none"; vs = "-"; dr = "-"; cpu = "-"; cvs = "-"; sc = "-"; cc = "-" }
          # first failing step above the sustained rate
          nx = "-"
          if (s in fbrow) { split(fbrow[s], b, ","); nx = sprintf("%s → %.0f, %.1f %%, %s", b[4], b[12], b[11], b[32]) }
          else if (s in first_bad) nx = first_bad[s]
          m = "-"
          if (s in mx) { split(mx[s], c, ","); m = sprintf("%.0f, %.1f %%, %s", c[12], c[11], c[32]) }
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, sus, vs, dr, cpu, cvs, sc, cc, nx, m
        }
      }' "$CSV"
    echo
    echo "Server CPU ms per 1000 completed DORA by offered rate (drop % in brackets):"
    echo
    awk -F, -v servers="$SERVERS" 'NR > 1 && $33 == "ok" && $3 == "step" {
        r = $4 + 0; v[$1, r] = sprintf("%.1f (%.1f)", $18, $11); if (!(r in seen)) { seen[r] = 1; R[++n] = r } }
      END {
        for (i = 2; i <= n; i++) { t = R[i]; for (j = i - 1; j >= 1 && R[j] > t; j--) R[j + 1] = R[j]; R[j + 1] = t }
        h = "| server |"; d = "|---|"; for (i = 1; i <= n; i++) { h = h " " R[i] "/s |"; d = d "---:|" }
        print h; print d
        k = split(servers, S, " ")
        for (s = 1; s <= k; s++) { l = "| " S[s] " |"; for (i = 1; i <= n; i++) l = l " " ((S[s], R[i]) in v ? v[S[s], R[i]] : "-") " |"; print l }
      }' "$CSV"
    echo
    echo "All steps (offered rate, achieved DORA/s, drop %, server CPU ms per 1000 DORA, server cores / busiest thread, perfdhcp cores / busiest thread, UDP receive-buffer drops server/client, saturated):"
    echo
    echo "| server | offered /s | achieved DORA/s | drops % | srv CPU ms/1000 | srv cores / thread | perfdhcp cores / thread | other cores | rcvbuf drops srv/cli | ACK avg ms | bound leases | saturated |"
    echo "|---|---:|---:|---:|---:|---|---|---:|---|---:|---:|---|"
    awk -F, 'NR > 1 && $33 == "ok" {
      printf "| %s | %s | %.0f | %.2f | %.1f | %.2f / %.2f | %.2f / %.2f | %.2f | %d / %d | %s | %s | %s |\n",
        $1, ($3 == "max" ? "unlimited" : $4), $12, $11, $18, $19, $20, $22, $23, $24, $25, $26, $15, $31, $32 }
      NR > 1 && $33 != "ok" { printf "| %s | %s | | | | | | | | | | %s |\n", $1, ($3 == "max" ? "unlimited" : $4), $33 }' "$CSV"
  } > "$MD.new"
  mv "$MD.new" "$MD"
  report_show "$MD" "raw: $CSV; tables: $MD"
  bench_plot "$ROOT/bench/plot-dhcp.gp" "$CSV" "$PNG"
}

# ---------------------------------------------------------------- checks
if [ "$REPORT_ONLY" = 1 ]; then
  [ -s "$CSV" ] || die "REPORT_ONLY=1: no $CSV"
  # the servers of that run, in its order, unless SERVERS says otherwise
  [ -n "$SERVERS_GIVEN" ] || SERVERS=$(awk -F, 'NR > 1 && !seen[$1]++ { printf "%s ", $1 }' "$CSV")
  report
  exit 0
fi
bench_need_root
bench_need_cmds ip ss awk sed cc python3 "$PERFDHCP"
case $MODE in relay|direct) ;; *) die "MODE must be relay or direct" ;; esac
case $PIN in none|split) bench_pin "$PIN" ;; *) die "PIN must be none or split" ;; esac
[ -x "$RACKBOOTD" ] || log "warning: $RACKBOOTD not built: rackboot rows will be unavailable"
[ -x "$KEA" ] || log "warning: $KEA not found: kea rows will be unavailable"
[ -x "$DNSMASQ" ] || log "warning: $DNSMASQ not found: dnsmasq rows will be unavailable"

# cgroup v2 for CPU accounting (bench/lib/cgroup.sh, as the TFTP bench).
cg_find_root
[ "$CG_KIND" = v2 ] || die "no cgroup v2 hierarchy found"

# busiest thread between two pid_thread_ticks snapshots, in cores
busiest() { # file0 file1 seconds
  awk -v s="$3" -v hz="$CLK_TCK" 'NR == FNR { a[$1] = $2; next }
    ($1 in a) { d = $2 - a[$1]; if (d > m) m = d } END { if (s > 0) printf "%.2f", m / hz / s }' "$1" "$2"
}

# ---------------------------------------------------------------- setup
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/rbdbench.XXXXXX)
# one build for the whole run (build/ may be rebuilt by others meanwhile)
bench_snapshot RACKBOOTD "$WORK/rackbootd"; RB_ID=$SNAP_ID
log "rackbootd: $RB_ID"
log "kea-dhcp4 $("$KEA" -v 2>/dev/null || echo '?'), $("$DNSMASQ" --version 2>/dev/null | head -1 || echo 'dnsmasq ?'), perfdhcp $("$PERFDHCP" -v 2>&1 | sed -n 's/^VERSION: //p')"

# perfdhcp helpers (as in tests/integration/dhcp_perfdhcp.sh): an LD_PRELOAD
# shim that binds port 68 to INADDR_ANY (direct mode: broadcast replies must
# reach perfdhcp) and gives every UDP socket it binds a receive buffer of
# SHIM_RCVBUF bytes (perfdhcp; Kea and dnsmasq only with SERVER_RCVBUF), and
# the DISCOVER/REQUEST templates for direct clients.
cc -shared -fPIC -O1 -o "$WORK/shim.so" "$ROOT/tests/tools/udp_bind_shim.c" -ldl || die "cannot build the perfdhcp shim"
python3 - "$WORK" <<'PYEOF' || die "cannot write perfdhcp templates"
import sys
def hdr():
    b = bytearray(236); b[0:4] = bytes([1, 1, 6, 0]); b[10:12] = b'\x80\x00'
    return b
ck = bytes.fromhex('63825363')
d = hdr() + ck + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
r = hdr() + ck + bytes([50, 4, 0, 0, 0, 0, 54, 4, 0, 0, 0, 0, 53, 1, 3, 55, 3, 1, 3, 6, 255])
for name, p in (('discover', d), ('request', r)):
    open(f'{sys.argv[1]}/{name}.hex', 'w').write((p + bytes(300 - len(p))).hex() + '\n')
PYEOF
# perfdhcp's socket gets 8 MiB like rackbootd's (its default ~208 KiB drops
# bursts of replies, which would be the client's limit, not the server's)
PERFDHCP_RCVBUF=${PERFDHCP_RCVBUF:-8388608}

ns_pair $PLEN

if [ "$MODE" = relay ]; then
  # perfdhcp is a relay agent at 198.18.0.2 (giaddr), unicast to the server
  PD_MODE_ARGS=("$SRV_IP")
  KEA_SOCKET=udp
else
  # broadcast from "clients" with giaddr 0; replies broadcast to port 68
  PD_MODE_ARGS=(-l "$PFX-c" -B -L 68 -T "$WORK/discover.hex" -T "$WORK/request.hex"
                -O 33 -O 33 -E 8 -S 246 -I 240)
  KEA_SOCKET=raw
fi

RCVBUF_ENV=()
[ "$SERVER_RCVBUF" -gt 0 ] && RCVBUF_ENV=(LD_PRELOAD="$WORK/shim.so" SHIM_RCVBUF="$SERVER_RCVBUF")
server_cmd() { # server dir -> sets CMD (array)
  local d=$2
  case $1 in
    rackboot|rackboot-nobpf)
      # rackboot: the eBPF fast path answers DISCOVERs (the default);
      # rackboot-nobpf: everything from userspace. Each run under `ip netns
      # exec` mounts its own bpffs, so no run adopts another's maps.
      [ -x "$RACKBOOTD" ] || return 1
      mkdir -p "$d/root" "$d/state"
      CMD=("$RACKBOOTD" --interface "$PFX-s" --address $SRV_IP/$PLEN --dhcp-range $RANGE_LO,$RANGE_HI
           --root "$d/root" --state-dir "$d/state" --stderr)
      if [ "$1" = rackboot-nobpf ]; then CMD+=(--no-bpf); fi ;;
    kea)
      [ -x "$KEA" ] || return 1
      mkdir -p "$d/run"
      local mt=false; [ "$KEA_MT" = 1 ] && mt=true
      cat >"$d/kea.json" <<JEOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "$PFX-s" ], "dhcp-socket-type": "$KEA_SOCKET" },
  "lease-database": { "type": "memfile", "persist": true, "name": "$d/kea-leases4.csv", "lfc-interval": 0 },
  "multi-threading": { "enable-multi-threading": $mt },
  "valid-lifetime": $LEASE_SECS,
  "subnet4": [ { "id": 1, "subnet": "198.18.0.0/$PLEN", "pools": [ { "pool": "$RANGE_LO - $RANGE_HI" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stderr" } ], "severity": "WARN" } ]
} }
JEOF
      CMD=(env KEA_PIDFILE_DIR="$d/run" KEA_LOCKFILE_DIR="$d/run" "${RCVBUF_ENV[@]}" "$KEA" -c "$d/kea.json") ;;
    dnsmasq)
      [ -x "$DNSMASQ" ] || return 1
      CMD=(env "${RCVBUF_ENV[@]}" "$DNSMASQ" --no-daemon --port=0 --conf-file=/dev/null --pid-file= --user=root
           --interface="$PFX-s" --bind-interfaces
           --dhcp-range=$RANGE_LO,$RANGE_HI,255.255.0.0,${LEASE_SECS}s --dhcp-leasefile="$d/dnsmasq.leases"
           --dhcp-lease-max=100000 --no-ping --quiet-dhcp --log-facility="$d/dnsmasq.log") ;;
    *) return 1 ;;
  esac
}
start_server() { # server dir logfile; sets SRV_PID (the server itself), SRV_CG
  local srv=$1 d=$2 logf=$3
  server_cmd "$srv" "$d" || return 1
  srv_start "$srv" "$NS_SRV" u 67 0.3 "$logf" "${PIN_SRV[@]}" "${CMD[@]}"
}
bound_leases() { # server dir -> leases bound now, per the server's own store
  local now; now=$(date +%s)
  case $1 in
    rackboot|rackboot-nobpf) "$RACKBOOTD" --list-leases --state-dir "$2/state" 2>/dev/null | awk 'NR > 1 && $3 == "bound"' | wc -l ;;
    kea) awk -F, -v now="$now" 'NR > 1 { st[$1] = $10; ex[$1] = $5 } END { for (a in st) if (st[a] == 0 && ex[a] > now) n++; print n + 0 }' "$2/kea-leases4.csv" 2>/dev/null || echo "" ;;
    dnsmasq) awk -v now="$now" '$1 > now' "$2/dnsmasq.leases" 2>/dev/null | wc -l ;;
  esac
}

# perfdhcp report -> "KEY=value" lines
pd_parse() {
  awk '/^\*\*\*Statistics for: DISCOVER-OFFER/ { s = "do" } /^\*\*\*Statistics for: REQUEST-ACK/ { s = "ra" }
       s != "" && /^sent packets:/ { print s "_sent=" $3 }
       s != "" && /^received packets:/ { print s "_rcvd=" $3 }
       s != "" && /^avg delay:/ { print s "_avg_ms=" $3 }
       s != "" && /^max delay:/ { print s "_max_ms=" $3 }' "$1"
}

echo "server,mode,kind,offered_rate,secs,clients,do_sent,do_rcvd,ra_sent,ra_rcvd,drop_pct,dora_per_s,sent_per_s,do_avg_ms,ra_avg_ms,ra_max_ms,srv_cpu_s,srv_cpu_ms_per_1000,srv_cores,srv_thread_cores,cli_cpu_s,cli_cores,cli_thread_cores,other_cores,srv_rcvbuf_drops,cli_rcvbuf_drops,srv_udp_in,srv_udp_out,commits,rows,bound_leases,saturated,status" > "$CSV"

blank_row() { # row prefix (6 fields), status -> a CSV row with the figures empty
  csv_blank "$1" 26 "$2" >> "$CSV"
}
# run_step SERVER KIND RATE -> one CSV row; sets LAST_DROP (drop %, or "x")
LAST_DROP=
run_step() {
  local srv=$1 kind=$2 rate=$3
  local d=$WORK/$srv-$kind-$rate logf out
  mkdir -p "$d"; logf=$d/server.log; out=$d/perfdhcp.out
  local row_pfx="$srv,$MODE,$kind,$rate,$STEP_SECS,$CLIENTS"
  if ! start_server "$srv" "$d" "$logf"; then
    blank_row "$row_pfx" unavailable
    log "$srv $kind $rate: unavailable"; LAST_DROP=x; return 0
  fi
  cg_new CLI_CG cli
  local rate_args=(); [ "$rate" -gt 0 ] && rate_args=(-r "$rate")
  local c0 m0 sd0 cd0 si0 so0 t0 c1 m1 sd1 cd1 si1 so1 t1 pd_pid rc=0
  sd0=$(ns_udp_counter "$NS_SRV" RcvbufErrors); cd0=$(ns_udp_counter "$NS_CLI" RcvbufErrors)
  si0=$(ns_udp_counter "$NS_SRV" InDatagrams); so0=$(ns_udp_counter "$NS_SRV" OutDatagrams)
  c0=$(cg_usage_us "$SRV_CG"); m0=$(machine_busy_ticks); t0=$(date +%s.%N)
  cg_spawn "$CLI_CG" "$out" \
    ip netns exec "$NS_CLI" "${PIN_CLI[@]}" env LD_PRELOAD="$WORK/shim.so" SHIM_RCVBUF="$PERFDHCP_RCVBUF" \
    "$PERFDHCP" -4 "${rate_args[@]}" -p "$STEP_SECS" -W $WAIT_US -R "$CLIENTS" "${PD_MODE_ARGS[@]}"
  pd_pid=$SPAWN_PID
  # busiest threads, sampled from 1 s in to 0.5 s before the end of sending
  local win; win=$(awk -v s="$STEP_SECS" 'BEGIN { w = s - 1.5; if (w < 0.5) w = 0.5; print w }')
  sleep 1
  pid_thread_ticks "$SRV_PID" > "$d/srv.t0"; pid_thread_ticks "$pd_pid" > "$d/cli.t0"
  sleep "$win"
  pid_thread_ticks "$SRV_PID" > "$d/srv.t1"; pid_thread_ticks "$pd_pid" > "$d/cli.t1"
  # bounded: perfdhcp ends after STEP_SECS + 1 s; kill it at STEP_SECS + 30
  local deadline=$((SECONDS + STEP_SECS + 30))
  while [ -d "/proc/$pd_pid" ] && [ "$(cg_nprocs "$CLI_CG")" -gt 0 ]; do
    [ $SECONDS -ge $deadline ] && { log "$srv $kind $rate: perfdhcp still running; killed"; rc=124; cg_stop "$CLI_CG"; CLI_CG=; break; }
    sleep 0.1
  done
  sleep 0.2
  c1=$(cg_usage_us "$SRV_CG"); m1=$(machine_busy_ticks); t1=$(date +%s.%N)
  sd1=$(ns_udp_counter "$NS_SRV" RcvbufErrors); cd1=$(ns_udp_counter "$NS_CLI" RcvbufErrors)
  si1=$(ns_udp_counter "$NS_SRV" InDatagrams); so1=$(ns_udp_counter "$NS_SRV" OutDatagrams)
  local ccpu=0
  if [ -n "$CLI_CG" ]; then ccpu=$(cg_usage_us "$CLI_CG"); cg_stop "$CLI_CG"; CLI_CG=; fi
  srv_stop
  local bound commits="" rows=""
  bound=$(bound_leases "$srv" "$d")
  if [ "$srv" = rackboot ]; then
    commits=$(sed -n 's/^stopped:.* \([0-9]*\) lease commits (\([0-9]*\) rows).*/\1/p' "$logf" | tail -1)
    rows=$(sed -n 's/^stopped:.* \([0-9]*\) lease commits (\([0-9]*\) rows).*/\2/p' "$logf" | tail -1)
  fi
  # shellcheck disable=SC2034  # do_max_ms: set by the eval below, not used
  local do_sent=0 do_rcvd=0 ra_sent=0 ra_rcvd=0 do_avg_ms="" ra_avg_ms="" ra_max_ms="" do_max_ms=""
  eval "$(pd_parse "$out")"
  if [ "$do_sent" = 0 ]; then
    blank_row "$row_pfx" "error(perfdhcp rc=$rc: $(tr '\n,' '  ' < "$out" | cut -c1-80))"
    log "$srv $kind $rate: perfdhcp failed: $(head -c 300 "$out")"; LAST_DROP=x; return 0
  fi
  local srv_t cli_t
  srv_t=$(busiest "$d/srv.t0" "$d/srv.t1" "$win"); cli_t=$(busiest "$d/cli.t0" "$d/cli.t1" "$win")
  local line
  line=$(awk -v srv="$srv" -v rate="$rate" -v secs="$STEP_SECS" \
      -v do_sent="$do_sent" -v do_rcvd="$do_rcvd" -v ra_sent="$ra_sent" -v ra_rcvd="$ra_rcvd" \
      -v c0="$c0" -v c1="$c1" -v cc="$ccpu" -v m0="$m0" -v m1="$m1" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
      -v st="$srv_t" -v ct="$cli_t" -v sd=$((sd1 - sd0)) -v cd=$((cd1 - cd0)) -v ncpu="$NCPU" \
      -v dam="$do_avg_ms" -v ram="$ra_avg_ms" -v rmx="$ra_max_ms" 'BEGIN {
    e = t1 - t0
    drop = 100 * (do_sent - ra_rcvd) / do_sent
    scpu = (c1 - c0) / 1e6; ccpu = cc / 1e6
    per = ra_rcvd > 0 ? scpu * 1e6 / ra_rcvd : 0
    other = (m1 - m0) / hz - scpu - ccpu; other = other < 0 ? 0 : other / e
    sent_ps = do_sent / secs
    sat = ""
    if (st >= 0.9 || sd > 0) sat = "server"
    if ((rate > 0 && sent_ps < 0.95 * rate) || cd > 0 || ((rate > 0 && rate < 10000) && ct >= 0.9)) sat = sat (sat ? "+" : "") "client"
    if ((scpu + ccpu) / e + other >= 0.85 * ncpu) sat = sat (sat ? "+" : "") "machine"
    # unlimited: perfdhcp sends as fast as its loop goes, so when the server
    # kept up, perfdhcp was the limit
    if (rate == 0 && sat !~ /server|client/) sat = sat (sat ? "+" : "") "client"
    if (sat == "") sat = "-"
    printf "%d,%d,%d,%d,%.3f,%.1f,%.1f,%s,%s,%s,%.3f,%.1f,%.2f,%.2f,%.3f,%.2f,%.2f,%.2f,%d,%d|%s|%.3f",
      do_sent, do_rcvd, ra_sent, ra_rcvd, drop, ra_rcvd / secs, sent_ps, dam, ram, rmx,
      scpu, per, scpu / e, st, ccpu, ccpu / e, ct, other, sd, cd, sat, drop }')
  local vals=${line%%|*} rest=${line#*|}
  local sat=${rest%%|*} drop=${rest#*|}
  echo "$row_pfx,$vals,$((si1 - si0)),$((so1 - so0)),$commits,$rows,$bound,$sat,ok" >> "$CSV"
  log "$srv $kind ${rate}/s: sent $do_sent DISCOVER, $ra_rcvd ACK, drops $drop %, server CPU $(cut -d, -f11,12 <<<"$vals" | tr , ' ') ms/1000 (busiest thread $srv_t), perfdhcp busiest thread $cli_t, rcvbuf drops srv $((sd1 - sd0)) cli $((cd1 - cd0)), bound $bound${commits:+, $commits commits/$rows rows}, saturated: $sat"
  LAST_DROP=$drop
}

# ---------------------------------------------------------------- ladder
STEP_COST=$((STEP_SECS + 5))   # perfdhcp + exit wait + server start/stop, roughly
declare -A done_srv=() fails=()
log "mode $MODE, rates: $RATES, $STEP_SECS s per step, $CLIENTS clients, budget $BUDGET s; CSV: $CSV"
for rate in $RATES; do
  for srv in $SERVERS; do
    [ -n "${done_srv[$srv]:-}" ] && continue
    if [ $((SECONDS - T_START + STEP_COST)) -gt "$BUDGET" ]; then
      blank_row "$srv,$MODE,step,$rate,$STEP_SECS,$CLIENTS" "skipped(budget)"
      log "$srv $rate/s: skipped (time budget)"; continue
    fi
    run_step "$srv" step "$rate"; drop=$LAST_DROP
    if [ "$drop" = x ]; then done_srv[$srv]=1; continue; fi
    if awk -v d="$drop" -v s="$STOP_PCT" 'BEGIN { exit !(d >= s) }'; then done_srv[$srv]=1
    elif awk -v d="$drop" -v s="$DROP_OK" 'BEGIN { exit !(d >= s) }'; then
      fails[$srv]=$(( ${fails[$srv]:-0} + 1 )); [ "${fails[$srv]}" -ge 2 ] && done_srv[$srv]=1
    else fails[$srv]=0; fi
    sleep 0.5
  done
done
if [ "$MAX_RUN" = 1 ]; then
  for srv in $SERVERS; do
    if [ $((SECONDS - T_START + STEP_COST)) -gt "$((BUDGET + STEP_COST * 3))" ]; then
      blank_row "$srv,$MODE,max,0,$STEP_SECS,$CLIENTS" "skipped(budget)"; continue
    fi
    run_step "$srv" max 0
    sleep 0.5
  done
fi

report
log "done in $((SECONDS - T_START)) s"
