# bench/lib/server.sh: start and stop the processes under test: servers,
# one at a time, and load generators, each in its own cgroup
# (bench/lib/cgroup.sh), servers inside a namespace (bench/lib/netns.sh),
# every wait bounded.
# Provides: CG_JOIN, cg_run and cg_spawn (run a command inside a cgroup,
# in the foreground or the background), srv_start (wait for the port to be
# free, start, wait until it listens; sets SRV_PID and SRV_CG) and srv_stop
# (optionally SIGTERM and wait at most 5 s, then kill whatever is left in
# the cgroup and remove it). Set SRV_STOP_TERM=1 for servers that print
# their counters on SIGTERM.
# Needs bench/lib/common.sh, cgroup.sh and netns.sh.
# shellcheck shell=bash disable=SC2034  # SPAWN_PID: for the callers
SRV_PID=
SRV_CG=
SRV_STOP_TERM=0   # (the script sets it after sourcing)

# Run a command inside a cgroup: the shell joins the cgroup, then execs the
# command, so the command keeps the shell's pid and every process it forks
# is counted. Put it before "ip netns exec" (which mounts a fresh /sys).
#   "${CG_JOIN[@]}" CG CMD...   a simple command: use it where you need $!
#                               of a job of your own (to wait for it)
CG_JOIN=(sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh)
cg_run() { "${CG_JOIN[@]}" "$@"; }   # CG CMD...: in the foreground
# cg_spawn [-n] CG LOG CMD...: start CMD in the background inside CG, stdin
# from /dev/null, stdout and stderr to LOG. Started from a command
# substitution, so it is not a job of this shell (no "Killed" notices when
# cg_stop kills it). Sets SPAWN_PID: CMD itself. -n: raise the open-file
# limit to the hard limit first.
SPAWN_PID=
cg_spawn() {
  local join=("${CG_JOIN[@]}")
  if [ "$1" = -n ]; then
    join=(sh -c 'echo $$ > "$1/cgroup.procs" && shift && ulimit -n "$(ulimit -Hn)" && exec "$@"' sh)
    shift
  fi
  local cg=$1 logf=$2; shift 2
  SPAWN_PID=$("${join[@]}" "$cg" "$@" > "$logf" 2>&1 < /dev/null & echo $!)
}

# srv_start NAME NS PROTO PORT SETTLE LOG CMD...: run CMD inside namespace NS
# in a new cgroup ($CG_PFX-NAME-...), output to LOG. Waits (at most 5 s)
# for PORT (PROTO u or t) to be free of the previous server, then (at most
# 5 s) for CMD to listen on it, then SETTLE seconds more. SRV_PID is CMD
# itself. If it does not listen: logs the start of LOG, stops what started
# and returns 1.
srv_start() {
  local name=$1 ns=$2 proto=$3 port=$4 settle=$5 logf=$6
  shift 6
  ns_wait_port_free "$ns" "$proto" "$port"
  cg_new SRV_CG "$name"
  cg_spawn "$SRV_CG" "$logf" ip netns exec "$ns" "$@"
  SRV_PID=$SPAWN_PID
  if ns_wait_listening "$ns" "$proto" "$port" "$SRV_PID"; then
    sleep "$settle"
    return 0
  fi
  log "$name did not start listening on $port; log: $(tr '\n' ' ' < "$logf" | cut -c1-300)"
  srv_stop
  return 1
}
srv_stop() {
  if [ "$SRV_STOP_TERM" = 1 ] && [ -n "$SRV_PID" ] && kill -TERM "$SRV_PID" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  [ -n "$SRV_CG" ] && cg_stop "$SRV_CG"
  SRV_PID=; SRV_CG=
  return 0
}
