#!/usr/bin/python3
"""Plot data and headline numbers from one rackboot-storm --json file.

    storm-data.py STORM.json BASE [MAX_POINTS]

Writes BASE-timeline.dat (nodes in each phase, done and failed, over time)
and BASE-cdf.dat (boot times, as a fraction of *all* nodes, so a stack that
failed nodes plateaus below 1), each thinned to at most MAX_POINTS rows
(default 2000; 0 keeps every row) so that the files can be committed next
to the plots made from them. Prints one line of key=value pairs on stdout:

  nodes completed failed  wall_s  last_ok_s  boots_per_s  (completed nodes
  / time until the last of them booted: the rate a rack comes up at)
  boot_p50_s boot_p90_s boot_p99_s boot_max_s  (nearest rank over ALL
  nodes, a failed node counting as never booted: "inf" when more than that
  fraction failed)
  mb_per_s client_cpu_s client_ms_per_node retries http_503
  failures  (phase:reason:count, ";"-separated, "-" for none)
  PHASE_p50_ms PHASE_p99_ms  (over the nodes that completed that phase)

Used by bench/storm-plot.sh and bench/peers.sh.
"""
import json
import math
import sys

PHASES = ("dhcp", "tftp", "ipxe_dhcp", "http")


def thin(rows, limit):
    """Every k-th row so that at most `limit` remain; the last is kept."""
    if limit <= 0 or len(rows) <= limit:
        return rows
    k = math.ceil(len(rows) / limit)
    out = rows[::k]
    if out[-1] is not rows[-1]:
        out.append(rows[-1])
    return out


def timeline(nodes, step_ms):
    """Rows (t_ms, dhcp, tftp, ipxe_dhcp, http, done, failed): +1 at a
    phase's start, -1 at its end (or when the node gave up in it)."""
    ev = []
    for n in nodes:
        for p, sp in n["phases"].items():
            ev.append((sp["start_ms"], PHASES.index(p), 1))
            end = sp["end_ms"] if sp["end_ms"] is not None else n["end_ms"]
            ev.append((end, PHASES.index(p), -1))
        ev.append((n["end_ms"], 4 if n["status"] == "ok" else 5, 1))
    ev.sort()
    cur = [0] * 6
    rows, t, i = [], 0.0, 0
    end = max((e[0] for e in ev), default=0) + step_ms
    while t <= end:
        while i < len(ev) and ev[i][0] <= t:
            cur[ev[i][1]] += ev[i][2]
            i += 1
        rows.append((t, *cur))
        t += step_ms
    return rows


def boot_ms(n):
    return n["end_ms"] - min(sp["start_ms"] for sp in n["phases"].values())


def rank(sorted_all, q):
    """Nearest-rank percentile q of a list where None is +infinity."""
    if not sorted_all:
        return None
    v = sorted_all[max(0, math.ceil(q / 100 * len(sorted_all)) - 1)]
    return v


def main():
    src, base = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    d = json.load(open(src))
    s, nodes = d["summary"], d["nodes"]
    end = max((n["end_ms"] for n in nodes), default=0)
    step = max(10.0, math.ceil(end / 2000 / 10) * 10) if limit else 10.0
    with open(base + "-timeline.dat", "w") as f:
        f.write("# t_ms dhcp tftp ipxe_dhcp http done failed\n")
        for r in thin(timeline(nodes, step), limit):
            f.write("%.0f %s\n" % (r[0], " ".join(map(str, r[1:]))))
    ok = sorted(boot_ms(n) for n in nodes if n["status"] == "ok")
    with open(base + "-cdf.dat", "w") as f:
        f.write("# boot_ms fraction_of_all_nodes\n")
        rows = [(b, (k + 1) / len(nodes)) for k, b in enumerate(ok)]
        for b, frac in thin(rows, limit):
            f.write("%.3f %.5f\n" % (b, frac))
    everyone = ok + [math.inf] * (len(nodes) - len(ok))
    last_ok = max((n["end_ms"] for n in nodes if n["status"] == "ok"), default=0) / 1000
    fails = {}
    for n in nodes:
        if n["status"] != "ok":
            k = "%s:%s" % (n["fail_phase"], n["fail_reason"])
            fails[k] = fails.get(k, 0) + 1
    sec = lambda v: "inf" if v is None or v == math.inf else "%.3f" % (v / 1000)
    out = {
        "nodes": len(nodes), "completed": s["completed"], "failed": s["failed"],
        "wall_s": "%.3f" % s["wall_s"], "last_ok_s": "%.3f" % last_ok,
        "boots_per_s": "%.1f" % (len(ok) / last_ok if last_ok > 0 else 0),
        "boot_p50_s": sec(rank(everyone, 50)), "boot_p90_s": sec(rank(everyone, 90)),
        "boot_p99_s": sec(rank(everyone, 99)), "boot_max_s": sec(everyone[-1] if everyone else None),
        "mb_per_s": s["mb_per_s"],
        "client_cpu_s": "%.3f" % (s["cpu_user_s"] + s["cpu_sys_s"]),
        "client_ms_per_node": "%.3f" % s["cpu_ms_per_node"],
        "retries": sum(sp["retries"] for n in nodes for sp in n["phases"].values()),
        "http_503": sum(n["http_503"] for n in nodes),
        "failures": ";".join("%s:%d" % kv for kv in sorted(fails.items(), key=lambda kv: -kv[1])) or "-",
    }
    for p in PHASES:
        ph = s["phases"].get(p, {})
        for q in ("p50_ms", "p99_ms"):
            out[p + "_" + q] = ph.get(q, "-") if ph.get("n") else "-"
    print(" ".join("%s=%s" % kv for kv in out.items()))


if __name__ == "__main__":
    main()
