# Plot build/bench/tftp-results.csv (written by bench/tftp-bench.sh).
#   gnuplot -e "csv='build/bench/tftp-results.csv'; out='build/bench/tftp-bench.svg'" bench/plot-tftp.gp
# Left: server CPU ms per completed transfer; right: wall time; both against
# N concurrent transfers, one line per server and mode (mean over rounds).
if (!exists("csv")) csv = 'build/bench/tftp-results.csv'
if (!exists("out")) out = 'build/bench/tftp-bench.svg'
set terminal svg size 1200,500 dynamic font "sans,11"
set output out
set datafile separator ","
set datafile missing ""
set key top left box opaque
set grid
set logscale x 10
set logscale y 10
set xlabel "concurrent transfers (N)"
set xrange [0.7:*]
servers = "rackboot tftpd-hpa dnsmasq"
modes = "lockstep win4"
# column numbers in the CSV
C_SRV = 2; C_MODE = 3; C_N = 4; C_WALL = 11; C_CPUX = 17; C_STATUS = 23
sel(s, m, col) = (strcol(C_SRV) eq s && strcol(C_MODE) eq m && strcol(C_STATUS) eq "ok" && column(col) > 0) ? column(col) : NaN
set multiplot layout 1,2 title "TFTP RRQ load, 1 MiB file, blksize 1468 (win4: + windowsize 4)"
set ylabel "server CPU ms per transfer"
plot for [i=1:words(servers)*words(modes)] csv every ::1 \
     using (column(C_N)):(sel(word(servers, (i-1)/words(modes)+1), word(modes, (i-1)%words(modes)+1), C_CPUX)) \
     smooth unique with linespoints lw 2 dt ((i-1)%words(modes)+1) lc ((i-1)/words(modes)+1) \
     title word(servers, (i-1)/words(modes)+1)." ".word(modes, (i-1)%words(modes)+1)
set ylabel "wall seconds (first RRQ to last completion)"
plot for [i=1:words(servers)*words(modes)] csv every ::1 \
     using (column(C_N)):(sel(word(servers, (i-1)/words(modes)+1), word(modes, (i-1)%words(modes)+1), C_WALL)) \
     smooth unique with linespoints lw 2 dt ((i-1)%words(modes)+1) lc ((i-1)/words(modes)+1) \
     title word(servers, (i-1)/words(modes)+1)." ".word(modes, (i-1)%words(modes)+1)
unset multiplot
