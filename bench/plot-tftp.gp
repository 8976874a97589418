# Plot build/bench/tftp-results.csv (written by bench/tftp-bench.sh).
#   gnuplot -e "csv='build/bench/tftp-results.csv'; out='build/bench/tftp-bench.svg'" bench/plot-tftp.gp
# Left: server CPU ms per completed transfer; right: wall time; both against
# N concurrent transfers, one line per server and mode (mean over rounds).
if (!exists("csv")) csv = 'build/bench/tftp-results.csv'
if (!exists("out")) out = 'build/bench/tftp-bench.svg'
if (strlen(out) > 4 && out[strlen(out)-3:] eq ".png") {
    set terminal pngcairo size 1200,500 font "sans,10"
} else {
    set terminal svg size 1200,500 dynamic font "sans,11"
}
set output out
set key top left box opaque
set grid
set logscale x 10
set logscale y 10
set xlabel "concurrent transfers (N)"
set xrange [0.7:*]
servers = "rackboot rackboot-kernel tftpd-hpa dnsmasq"
colors = "#d62728 #9467bd #1f77b4 #2ca02c"
# column numbers in the CSV; rows of one server and mode, "N value", sorted
C_SRV = 2; C_MODE = 3; C_N = 4; C_WALL = 11; C_CPUX = 17; C_STATUS = 26
# (wall only from runs without failed transfers: a run that gave up on most
# transfers after 6 s of RRQ retries is not faster)
C_FAILED = 9
rows(s, m, col) = sprintf("< awk -F, '$%d == \"%s\" && $%d == \"%s\" && $%d == \"ok\" && $%d > 0 && (%d != %d || $%d == 0) { print $%d, $%d }' '%s' | sort -n", \
                          C_SRV, s, C_MODE, m, C_STATUS, col, col, C_WALL, C_FAILED, C_N, col, csv)
set multiplot layout 1,2 title "TFTP RRQ load, 1 MiB file, blksize 1468 (win4: + windowsize 4)"
set ylabel "server CPU ms per transfer"
plot for [s=1:words(servers)] rows(word(servers, s), "lockstep", C_CPUX) using 1:2 smooth unique \
       with linespoints lw 2 dt 1 pt 7 lc rgb word(colors, s) title word(servers, s)." lockstep", \
     for [s=1:words(servers)] rows(word(servers, s), "win4", C_CPUX) using 1:2 smooth unique \
       with linespoints lw 2 dt 2 pt 6 lc rgb word(colors, s) title word(servers, s)." win4"
set ylabel "wall s, first RRQ to last completion (runs without failures)"
plot for [s=1:words(servers)] rows(word(servers, s), "lockstep", C_WALL) using 1:2 smooth unique \
       with linespoints lw 2 dt 1 pt 7 lc rgb word(colors, s) title word(servers, s)." lockstep", \
     for [s=1:words(servers)] rows(word(servers, s), "win4", C_WALL) using 1:2 smooth unique \
       with linespoints lw 2 dt 2 pt 6 lc rgb word(colors, s) title word(servers, s)." win4"
unset multiplot
