# One rackboot-storm run (bench/storm-plot.sh): left, how many nodes are in
# each phase over time (a storm shows as a wave moving right: DHCP, then
# TFTP, then the iPXE DHCP and HTTP); right, the distribution of boot
# times (first DHCP to last byte) of the nodes that completed.
#   gnuplot -e "base='build/bench/storm-1000'; title='...'" bench/plot-storm.gp
# Reads base-timeline.dat and base-cdf.dat, writes base.png and base.svg.
if (!exists("base")) base = 'build/bench/storm-1000'
if (!exists("title")) title = 'rackboot-storm'
do for [term in 'png svg'] {
    if (term eq 'png') { set terminal pngcairo size 1400,520 font ",10" } else { set terminal svg size 1400,520 font ",10" }
    set output base.'.'.term
    set multiplot layout 1,2 title title
    set grid
    set key top right

    set title 'nodes per phase'
    set xlabel 'time since the first DISCOVER (s)'
    set ylabel 'nodes'
    plot base.'-timeline.dat' using ($1/1000):2 with lines lw 2 title 'DHCP', \
         ''                   using ($1/1000):3 with lines lw 2 title 'TFTP', \
         ''                   using ($1/1000):4 with lines lw 2 title 'iPXE DHCP', \
         ''                   using ($1/1000):5 with lines lw 2 title 'HTTP', \
         ''                   using ($1/1000):6 with lines lw 2 dt 2 title 'done', \
         ''                   using ($1/1000):7 with lines lw 2 dt 3 title 'failed'

    set title 'boot time of completed nodes'
    set xlabel 'boot time (s)'
    set ylabel 'fraction of all nodes'
    set yrange [0:1.02]
    set key bottom right
    plot base.'-cdf.dat' using ($1/1000):2 with steps lw 2 title 'completed'
    unset multiplot
    set autoscale y
    set output
}
