#!/usr/bin/env bash
# Issue 13, "Measured inside the guest": TFTP transfers of hot files served
# by rackbootd with rackboot.ko (page cache), with the map-based fast path
# (files copied into BPF maps) and from userspace (--no-bpf), in one QEMU
# TCG guest of Debian 12's kernel with a virtio-net NIC (the machinery of
# tests/e2e/kmod_tftp.sh: tests/tools/kmod-e2e.sh, guest script
# bench/kmod-bench-guest.sh). TCG makes absolute times meaningless: what
# counts are the ratios between the three ways in one run.
#
#   bash bench/kmod-bench.sh              # as root; about a minute
#   N_SMALL=30 N_MID=15 N_BIG=3 bash bench/kmod-bench.sh
#
# Per way and file: transfers one after another from the host, each timed by
# the client (wall, ms) and by the CPU the whole guest (its QEMU process)
# used for it; the memory the guest lost to hot files (MemAvailable, ready
# vs after the transfers: the map copies live in kernel memory). Writes
# build/bench/kmod-results.csv and build/bench/kmod-results.md.
source "$(dirname "$0")/../tests/e2e/lib-e2e.sh"
source "$ROOT/tests/tools/kmod-e2e.sh"
GUEST_IP=198.18.0.10
BOOT_BOUND=${KMOD_BENCH_BOUND:-1200}      # (lib-e2e.sh's default is one boot's)
N_SMALL=${N_SMALL:-20} N_MID=${N_MID:-10} N_BIG=${N_BIG:-2}
OUT=$ROOT/build/bench
mkdir -p "$OUT"
E2E_LOGDIR=$OUT/kmod-logs

need "$QEMU" atftp tftp python3 awk
kmod_build
kmod_nic_layer

kmod_nic_guest kmod-bench "$ROOT/bench/kmod-bench-guest.sh" kb0 52:54:00:6b:6d:02
qemu_pid() { cat "/proc/${_QPID[kmod-bench]}/task/${_QPID[kmod-bench]}/children" | awk '{ print $1 }'; }
qemu_ticks() { awk '{ print $14 + $15 }' "/proc/$(qemu_pid)/stat"; }
fetch() { # file, client -> 0 if it got the whole file
  case $2 in
    tftp-hpa) in_srv timeout 300 tftp $GUEST_IP -m binary -c get "$1" "$WORK/got" >/dev/null 2>&1 ;;
    atftp) in_srv timeout 300 atftp --get -r "$1" -l "$WORK/got" --option "blksize 1468" \
             --option "windowsize 4" $GUEST_IP 69 >/dev/null 2>&1 ;;
  esac
}
hz=$(getconf CLK_TCK)
echo "way,file,bytes,client,transfers,failed,wall_ms_per_transfer,guest_cpu_ms_per_transfer,mem_lost_kb" \
  >"$OUT/kmod-results.csv"
for way in kmod maps userspace; do
  ready=$(kmod_line "^BENCH-READY $way " 400) || { fail "the guest serves ($way)"; break; }
  # warm-up: the first transfer of each loads the maps or registers the file
  for f in undionly.kpxe ipxe.efi ipxe-arm64.efi; do fetch "$f" atftp; done
  for spec in "undionly.kpxe tftp-hpa $N_SMALL" "ipxe.efi atftp $N_MID" "ipxe-arm64.efi atftp $N_BIG"; do
    read -r f c n <<<"$spec"
    bad=0 t0=$EPOCHREALTIME c0=$(qemu_ticks)
    for ((i = 0; i < n; i++)); do fetch "$f" "$c" || bad=$((bad + 1)); done
    c1=$(qemu_ticks) t1=$EPOCHREALTIME
    echo "$way,$f,$(stat -c %s "$WORK/got"),$c,$n,$bad,$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }'),$(awk -v a="$c0" -v b="$c1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 1000 / hz / n }')," \
      >>"$OUT/kmod-results.csv"
  done
  ask_next() { in_srv timeout 10 python3 "$ROOT/tests/integration/tftpc.py" first $GUEST_IP 69 \
                 "rrq('kmod-next-$way')" --wait 1 >/dev/null 2>&1; }
  ask_next
  mem=$(kmod_line "^BENCH-MEM $way " 60)
  lost=$(( ${ready##* } - ${mem##* } ))
  sed -i "/^$way,/s/,\$/,$lost/" "$OUT/kmod-results.csv"
done
qemu_wait_all
qemu_result kmod-bench
kmod_report kmod-bench >"$WORK/report.out"
# the table: ratios to the map path, per file
awk -F, 'NR > 1 { k = $2; w[$1 "," k] = $7; c[$1 "," k] = $8; m[$1] = $9; f[k] = $3 " B, " $4; fail += $6; files[k] = 1 }
  END {
    print "| file (size, client) | way | wall ms/transfer | guest CPU ms/transfer | CPU vs maps |"
    print "| --- | --- | ---: | ---: | ---: |"
    split("undionly.kpxe ipxe.efi ipxe-arm64.efi", order, " ")
    for (i = 1; i <= 3; i++) { k = order[i]; split("kmod maps userspace", ways, " ")
      for (j = 1; j <= 3; j++) { x = ways[j] "," k
        printf "| %s (%s) | %s | %s | %s | %.2fx |\n", k, f[k], ways[j], w[x], c[x], c["maps," k] ? c[x] / c["maps," k] : 0 } }
    print ""
    print "| way | guest memory lost to the hot files (kB, MemAvailable) |"
    print "| --- | ---: |"
    split("kmod maps userspace", ways, " ")
    for (j = 1; j <= 3; j++) printf "| %s | %s |\n", ways[j], m[ways[j]]
    if (fail) printf "\n%d transfers failed\n", fail
  }' "$OUT/kmod-results.csv" >"$OUT/kmod-results.md"
cat "$OUT/kmod-results.md"
echo "# guest ${BOOT_SECS}s; $(grep -c '^not ok' "$WORK/report.out") failures in the guest; csv: build/bench/kmod-results.csv"
finish
