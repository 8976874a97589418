# bench/lib/common.sh: what every bench script starts with.
# Provides: log and die (stderr, tagged "[$BENCH_NAME]"), bench_names (the
# per-run prefixes of namespaces and cgroups), bench_need_root and
# bench_need_cmds (checks that die with a clear message), bench_cleanup /
# bench_traps (the exit trap: kill and remove this run's cgroups, delete its
# network namespaces, remove $WORK; on success, failure and Ctrl-C alike),
# bench_snapshot (copy a binary for the whole run, build id for the
# report), bench_pin (the CPU-pinning command prefixes) and round_order
# (the order of the servers in each of the ROUNDS).
# The other files: cgroup.sh (+ cpu.sh), netns.sh, server.sh, report.sh,
# nginx.sh.
# shellcheck shell=bash disable=SC2034  # the variables set here are the callers'
BENCH_NAME=${BENCH_NAME:-bench}

log() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# bench_names NS_TAG CG_TAG: this run's names, unique per run (the pid):
# PFX=NS_TAG<pid> (namespaces $NS_SRV = $PFX-srv and $NS_CLI = $PFX-cli,
# veth $PFX-s / $PFX-c, bench/lib/netns.sh) and CG_PFX=CG_TAG-<pid> (cgroups,
# bench/lib/cgroup.sh).
bench_names() {
  PFX=$1$$
  NS_SRV=$PFX-srv
  NS_CLI=$PFX-cli
  CG_PFX=$2-$$
}

bench_need_root() { [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, cgroups)"; }
bench_need_cmds() { local c; for c in "$@"; do command -v "$c" >/dev/null || die "missing command: $c"; done; }

# The exit trap (bench_traps installs it): first the servers and clients
# (their cgroups: $SRV_CG, $CLI_CG, then any $CG_PFX-* left), then the
# namespaces (ns_del_all), then $WORK; exits with the script's status.
bench_cleanup() {
  local rc=$?
  set +e
  [ -n "${SRV_CG:-}" ] && cg_stop "$SRV_CG"
  [ -n "${CLI_CG:-}" ] && cg_stop "$CLI_CG"
  declare -F cg_stop_all >/dev/null && cg_stop_all
  declare -F ns_del_all >/dev/null && ns_del_all
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
  exit $rc
}
bench_traps() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM HUP
}

# bench_snapshot VAR COPY: build/ may be rebuilt by others while a benchmark
# runs, and one run must use one build. If the executable named by $VAR
# exists, copy it to COPY, point VAR at the copy and set SNAP_ID to
# "<sha256 prefix>, built <mtime>"; else SNAP_ID="not built".
bench_snapshot() {
  local src=${!1}
  SNAP_ID="not built"
  [ -x "$src" ] || return 0
  cp "$src" "$2"
  SNAP_ID="$(sha256sum "$src" | cut -c1-12), built $(date -u -r "$src" +%Y-%m-%dT%H:%MZ)"
  printf -v "$1" '%s' "$2"
}

# bench_pin MODE: sets the arrays PIN_SRV and PIN_CLI (command prefixes):
# split = server on CPU 1, client on CPU 0; same = both on CPU 0; none =
# no pinning. Returns 1 for any other MODE.
bench_pin() {
  case $1 in
    split) PIN_SRV=(taskset -c 1); PIN_CLI=(taskset -c 0) ;;
    same)  PIN_SRV=(taskset -c 0); PIN_CLI=(taskset -c 0) ;;
    none)  PIN_SRV=(); PIN_CLI=() ;;
    *) return 1 ;;
  esac
}

# round_order ROUND HOW WORD...: the WORDs (servers, stacks) in their order
# for round ROUND (1, 2, ...): same = as given; swap = reversed in even
# rounds; rotate = rotated left by ROUND - 1 (each one first in turn).
round_order() {
  local round=$1 how=$2 i
  shift 2
  case $how in
    swap) if [ $((round % 2)) = 0 ]; then
            for ((i = $#; i >= 1; i--)); do printf '%s ' "${!i}"; done
            echo; return 0
          fi ;;
    rotate) [ $# -gt 0 ] && for ((i = 1; i < round; i++)); do set -- "${@:2}" "$1"; done ;;
  esac
  echo "$*"
}
