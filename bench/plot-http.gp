# Plot a docs/bench/http-DATE.csv written by bench/http-bench.sh.
#   gnuplot -e "csv='docs/bench/http-2026-11-25.csv'; out='docs/bench/http-2026-11-25.png'" bench/plot-http.gp
# Bars per test, one bar per server and round (rounds in lighter shades), so
# the noise between rounds is visible next to the difference between servers:
# throughput (MB/s), requests/s, server CPU seconds per GB, latency, the CPU
# the rest of the (shared) machine used meanwhile, and the cores server and
# client used (which side saturated).
# Single stream: median (and best) of the repetitions of each round.
if (!exists("csv")) csv = 'docs/bench/http.csv'
if (!exists("out")) out = 'docs/bench/http.png'
if (strlen(out) > 4 && out[strlen(out)-3:] eq ".svg") {
    set terminal svg size 1800,900 dynamic font "sans,11"
} else {
    set terminal pngcairo size 1800,900 font "sans,10"
}
set output out

# pivot(metric rows) -> "test srv1-r1 srv1-r2 ... srv2-r1 ..." table, via awk.
# A row spec is "label:test:column:agg" (agg: med | max | one), columns as in
# the CSV header (11 mb_per_s, 10 req_per_s, 22 srv_cpu_s_per_gb, 12 p50_ms,
# 14 p99_ms).
PIVOT = 'function med(l,  a, k, i, j, t) { k = split(l, a, " "); for (i = 2; i <= k; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t } \
    return k ? ((k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2) : "NaN" } \
  function mx(l,  a, k, i, m) { k = split(l, a, " "); m = "NaN"; for (i = 1; i <= k; i++) if (m == "NaN" || a[i] + 0 > m) m = a[i] + 0; return m } \
  NR == 1 { next } \
  $30 != "ok" { next } \
  { if (!($3 in seen)) { seen[$3] = 1; S[++ns] = $3 } if ($1 > nr) nr = $1; \
    for (c = 10; c <= 31; c++) v[$3, $1, $4, c] = v[$3, $1, $4, c] " " $c } \
  END { printf "test"; for (i = 1; i <= ns; i++) for (r = 1; r <= nr; r++) printf " %s-r%d", S[i], r; print ""; \
    n = split(specs, sp, " "); \
    for (q = 1; q <= n; q++) { split(sp[q], f, ":"); printf "%s", f[1]; \
      for (i = 1; i <= ns; i++) for (r = 1; r <= nr; r++) { l = v[S[i], r, f[2], f[3]]; \
        x = (l == "") ? "NaN" : (f[4] == "max" ? mx(l) : med(l)); printf " %s", x } \
      print "" } }'
pivot(specs) = "< awk -F, -v specs='" . specs . "' '" . PIVOT . "' '" . csv . "'"

nr = 0 + system(sprintf("awk -F, 'NR > 1 && $1 > r { r = $1 } END { print r + 0 }' '%s'", csv))
ns = 0 + system(sprintf("awk -F, 'NR > 1 && !($3 in s) { s[$3] = 1; n++ } END { print n + 0 }' '%s'", csv))
ncol = 1 + nr * ns
shades1 = "#b2182b #e34a33 #fc8d59 #fdbb84 #fdd49e"
shades2 = "#08519c #3182bd #6baed6 #9ecae1 #c6dbef"
shades3 = "#006d2c #31a354 #74c476 #a1d99b #c7e9c0"
color(i) = word(int((i - 2) / nr) == 0 ? shades1 : int((i - 2) / nr) == 1 ? shades2 : shades3, (i - 2) % nr + 1)

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border rgb "#333333"
set boxwidth 0.9
set grid ytics
set key top left opaque box font ",9"
set yrange [0:*]
set offsets 0, 0, graph 0.5, 0    # room above the bars for the key
set xtics nomirror
set multiplot layout 2,3 title "HTTP: rackbootd vs nginx over veth (2 CPUs shared by server and client); one bar per server and round"

set title "throughput (MB/s = 10^6 bytes/s)"
set ylabel "MB/s"
d = pivot("single-median:single:11:med single-best:single:11:max wrk-c100:c100:11:one wrk-c1000:c1000:11:one")
plot for [i=2:ncol] d using i:xtic(1) title columnheader(i) lc rgb color(i)

set title "requests/s, 1 MiB file (wrk -t2)"
set ylabel "requests/s"
d = pivot("c100:c100:10:one c1000:c1000:10:one")
plot for [i=2:ncol] d using i:xtic(1) title columnheader(i) lc rgb color(i)

set title "server CPU seconds per GB sent (lower is better)"
set ylabel "CPU s / 10^9 bytes"
d = pivot("single-median:single:22:med wrk-c100:c100:22:one wrk-c1000:c1000:22:one")
plot for [i=2:ncol] d using i:xtic(1) title columnheader(i) lc rgb color(i)

set title "wrk latency, 1 MiB responses (lower is better; log scale)"
set ylabel "ms"
set logscale y
set offsets 0, 0, 0, 0
set yrange [1:50000]    # room above the bars (at most a few seconds) for the key
d = pivot("c100-p50:c100:12:one c100-p99:c100:14:one c1000-p50:c1000:12:one c1000-p99:c1000:14:one")
plot for [i=2:ncol] d using i:xtic(1) title columnheader(i) lc rgb color(i)
unset logscale y
set yrange [0:*]
set offsets 0, 0, graph 0.5, 0
set title "rest of the machine during the run (noise; >= 0.25 = disturbed)"
set ylabel "cores used by other processes"
set arrow 1 from graph 0, first 0.25 to graph 1, first 0.25 nohead dt 3 lc rgb "#555555"
d = pivot("single:single:27:med c100:c100:27:one c1000:c1000:27:one")
plot for [i=2:ncol] d using i:xtic(1) title columnheader(i) lc rgb color(i)
unset arrow 1

set title "cores used: server and client (2 CPUs in all)"
set ylabel "CPU s per s"
set yrange [0:2]
d = pivot("srv-single:single:24:med curl-single:single:26:med srv-c100:c100:24:one wrk-c100:c100:26:one srv-c1000:c1000:24:one wrk-c1000:c1000:26:one")
plot for [i=2:ncol] d using i:xtic(1) title columnheader(i) lc rgb color(i)
unset multiplot
