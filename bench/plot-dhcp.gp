# Plot a docs/bench/dhcp-DATE.csv written by bench/dhcp-bench.sh.
#   gnuplot -e "csv='docs/bench/dhcp-2026-11-25.csv'; out='docs/bench/dhcp-2026-11-25.png'" bench/plot-dhcp.gp
# Against the offered DORA rate: drop % (1 - ACKs / DISCOVERs), achieved
# DORA/s, and server CPU ms per 1000 completed DORA. One line per server;
# rate-limited steps only (the unlimited-rate run is in the table).
if (!exists("csv")) csv = 'docs/bench/dhcp.csv'
if (!exists("out")) out = 'docs/bench/dhcp.png'
if (strlen(out) > 4 && out[strlen(out)-3:] eq ".svg") {
    set terminal svg size 1500,500 dynamic font "sans,11"
} else {
    set terminal pngcairo size 1500,500 font "sans,10"
}
set output out
servers = "rackboot kea dnsmasq"
colors = "#d62728 #1f77b4 #2ca02c"
# CSV columns (see the header line)
C_SRV = 1; C_KIND = 3; C_RATE = 4; C_DROP = 11; C_DORA = 12; C_CPUK = 18; C_STATUS = 33
rows(s, col) = sprintf("< awk -F, '$%d == \"%s\" && $%d == \"step\" && $%d == \"ok\" { print $%d, $%d }' '%s' | sort -n", \
                       C_SRV, s, C_KIND, C_STATUS, C_RATE, col, csv)
points = "7 5 9"
widths = "2.5 2 2"
set grid
set logscale x 2
set xlabel "offered DORA/s (perfdhcp -r)"
set key top left box opaque
set multiplot layout 1,3 title "DHCP DORA under perfdhcp (fresh server per step; the unlimited-rate run is in the table)"
set ylabel "drops: 1 - ACKs / DISCOVERs (%)"
set yrange [-2:100]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 3 lc rgb "#555555"
set label 1 "1 %" at graph 0.02, first 4 tc rgb "#555555"
# steps where perfdhcp, not the server, was the limit ("client" in column 32)
C_SAT = 32
client_rows(col) = sprintf("< awk -F, '$%d == \"step\" && $%d == \"ok\" && $%d ~ /client/ { print $%d, $%d }' '%s' | sort -n", \
                           C_KIND, C_STATUS, C_SAT, C_RATE, col, csv)
plot for [i=1:words(servers)] rows(word(servers, i), C_DROP) using 1:2 \
       with linespoints lw (word(widths, i) + 0) pt (word(points, i) + 0) lc rgb word(colors, i) title word(servers, i), \
     client_rows(C_DROP) using 1:2 with points pt 6 ps 2.2 lc rgb "black" title "perfdhcp-bound step"
unset arrow 1; unset label 1
set yrange [*:*]
set logscale y 2
set ylabel "achieved DORA/s (ACKs received per second)"
plot for [i=1:words(servers)] rows(word(servers, i), C_DORA) using 1:2 \
       with linespoints lw (word(widths, i) + 0) pt (word(points, i) + 0) lc rgb word(colors, i) title word(servers, i), \
     rows("rackboot", C_DORA) using 1:1 with lines dt 3 lc rgb "#555555" title "offered"
set logscale y 10
set ylabel "server CPU ms per 1000 completed DORA"
plot for [i=1:words(servers)] rows(word(servers, i), C_CPUK) using 1:2 \
       with linespoints lw (word(widths, i) + 0) pt (word(points, i) + 0) lc rgb word(colors, i) title word(servers, i)
unset multiplot
