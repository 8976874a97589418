# One storm against several boot stacks (bench/peers.sh): left, the
# boot-time CDF of each stack (as a fraction of all nodes, so a stack that
# failed nodes levels off below 1); right, nodes booted (solid) and failed
# (dashed) over time since the first DISCOVER.
#   gnuplot -e "base='docs/bench/peers-2026-11-25-tftp'; stacks='rackboot dnsmasq kea'; title='...'" bench/plot-peers.gp
# Reads base-STACK-cdf.dat and base-STACK-timeline.dat, writes base.png and base.svg.
if (!exists("base")) base = 'docs/bench/peers-tftp'
if (!exists("stacks")) stacks = 'rackboot dnsmasq kea'
if (!exists("title")) title = 'boot storm'
name(s) = s eq 'rackboot' ? 'rackbootd' : s eq 'dnsmasq' ? 'dnsmasq + nginx' : s eq 'kea' ? 'Kea + tftpd-hpa + nginx' : s
col(s) = s eq 'rackboot' ? '#1b9e77' : s eq 'dnsmasq' ? '#d95f02' : '#7570b3'

do for [term in 'png svg'] {
    if (term eq 'png') { set terminal pngcairo size 1400,520 font ",10" } else { set terminal svg size 1400,520 font ",10" }
    set output base.'.'.term
    set multiplot layout 1,2 title title
    set grid
    set title 'boot time (first DISCOVER to last byte)'
    set xlabel 'boot time (s)'
    set ylabel 'fraction of all nodes booted'
    set yrange [0:1.02]
    set key bottom right
    plot for [s in stacks] base.'-'.s.'-cdf.dat' using ($1/1000):2 with steps lw 2 lc rgb col(s) title name(s)
    set title 'nodes booted and failed over time'
    set xlabel 'time since the first DISCOVER (s)'
    set ylabel 'nodes'
    set autoscale y
    set key top left
    plot for [s in stacks] base.'-'.s.'-timeline.dat' using ($1/1000):6 with lines lw 2 lc rgb col(s) title name(s).' booted', \
         for [s in stacks] base.'-'.s.'-timeline.dat' using ($1/1000):7 with lines lw 1 dt 2 lc rgb col(s) title name(s).' failed'
    unset multiplot
    set output
}
