# bench/lib/cgroup.sh: CPU accounting for the benchmarks: each server (and
# load generator) runs in a cgroup of its own, whose usage counts every
# thread and process of it, kernel time included (tftpd-hpa's children,
# threads, softirq work charged to them). Provides: cg_find_root, cg_new,
# cg_usage_us, cg_nprocs, cg_stop, cg_stop_all (for the exit trap), and the
# /proc counters of bench/lib/cpu.sh (CLK_TCK, machine_busy_ticks...).
# Starting a command inside a cgroup: cg_spawn etc. in bench/lib/server.sh.
# Source this file; it needs log() and die() and $CG_PFX (per run).
# shellcheck shell=bash disable=SC2034  # CG_KIND: for the callers
# shellcheck source=bench/lib/cpu.sh
source "$(dirname "${BASH_SOURCE[0]}")/cpu.sh"
CG_ROOT=
CG_KIND=

# cgroup v2 (cpu.stat usage_usec needs no controller), else v1 cpuacct.
# Sets CG_ROOT and CG_KIND. `ip netns exec` remounts /sys, so a process
# joins its cgroup before entering the namespace.
cg_find_root() {
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    CG_ROOT=/sys/fs/cgroup; CG_KIND=v2
  elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    CG_ROOT=/sys/fs/cgroup/unified; CG_KIND=v2
  elif [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
    CG_ROOT=/sys/fs/cgroup/cpuacct; CG_KIND=v1
  else
    die "no writable cgroup v2 or v1 cpuacct hierarchy found"
  fi
  mkdir "$CG_ROOT/$CG_PFX-probe" 2>/dev/null || die "cannot create a cgroup under $CG_ROOT"
  rmdir "$CG_ROOT/$CG_PFX-probe"
}

# cg_new VAR TAG: create the cgroup $CG_ROOT/$CG_PFX-TAG-<random> and store
# its path in VAR (set VAR first: the exit trap removes every $CG_PFX-*).
cg_new() {
  printf -v "$1" '%s' "$CG_ROOT/$CG_PFX-$2-$RANDOM$RANDOM"
  mkdir "${!1}"
}

cg_usage_us() { # cgroup dir -> CPU microseconds used by all its processes so far
  if [ "${CG_KIND:-v2}" = v2 ]; then
    awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"
  else
    echo $(( $(cat "$1/cpuacct.usage") / 1000 ))
  fi
}
cg_nprocs() { wc -l < "$1/cgroup.procs" 2>/dev/null || echo 0; }
cg_stop() { # kill everything in one of our own cgroups, then remove it (at most 5 s)
  local cg=$1 p
  [ -d "$cg" ] || return 0
  for _ in $(seq 1 50); do
    # v2: wait until the group is really empty (killed io_uring worker
    # threads keep it populated a moment after the processes are gone)
    if [ -f "$cg/cgroup.events" ]; then
      grep -q '^populated 0' "$cg/cgroup.events" 2>/dev/null && rmdir "$cg" 2>/dev/null && return 0
    elif [ "$(cg_nprocs "$cg")" -eq 0 ]; then
      break
    fi
    if [ -e "$cg/cgroup.kill" ]; then
      echo 1 > "$cg/cgroup.kill" 2>/dev/null
    else
      for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    fi
    sleep 0.1
  done
  rmdir "$cg" 2>/dev/null || log "warning: could not remove cgroup $cg"
}
cg_stop_all() { # every cgroup of this run ($CG_PFX-*), e.g. from the exit trap
  local d
  [ -n "$CG_ROOT" ] || return 0
  for d in "$CG_ROOT/$CG_PFX"-*; do [ -d "$d" ] && cg_stop "$d"; done
  return 0
}
