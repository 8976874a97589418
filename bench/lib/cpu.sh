# bench/lib/cpu.sh: CPU counters read from /proc, for the bench scripts.
# Provides: CLK_TCK (ticks per second), machine_busy_ticks (the whole
# machine), proc_ticks (one process), pid_thread_ticks and cg_thread_ticks
# (per thread, for finding the busiest one). Sourced by bench/lib/cgroup.sh;
# needs nothing else.
# shellcheck shell=bash disable=SC2034  # CLK_TCK: for the callers
CLK_TCK=$(getconf CLK_TCK)

machine_busy_ticks() { # all CPUs: user+nice+system+irq+softirq+steal
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
# proc_ticks PID [children]: utime + stime of PID in clock ticks (with
# "children": + cutime + cstime, its reaped children); 0 if it is gone
proc_ticks() {
  awk -v c="${2:+1}" '{ sub(/^.*\) /, ""); print $12 + $13 + (c ? $14 + $15 : 0) }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# per-thread CPU ticks (user + system) as "tid ticks" lines
pid_thread_ticks() { # pid
  local t
  for t in /proc/"$1"/task/*; do
    awk -v t="${t##*/}" '{ sub(/^.*\) /, ""); print t, $12 + $13 }' "$t/stat" 2>/dev/null || true
  done
}
cg_thread_ticks() { # cgroup dir: every thread of every process in it
  local p
  for p in $(cat "$1/cgroup.procs" 2>/dev/null); do pid_thread_ticks "$p"; done
}
