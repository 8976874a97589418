# /test.sh of tests/e2e/kmod_tftp.sh's guest (run by kmod-guest-init, Debian
# 12's kernel, a virtio-net NIC on the host's tap): rackbootd (static) with
# the fast path and rackboot.ko serves TFTP to clients on the host.
#   1. (kmod-guest-init loaded the NIC's and TC's modules) insmod
#      rackboot.ko; eth0 198.18.0.10/24;
#   2. files of many sizes in /srv (and the boot programs rackboot-storm's
#      nodes fetch after DHCP), each announced as
#      "KMOD-FILE <name> <size> <sha256>" on the console;
#   3. rackbootd with RACKBOOT_KMOD=require; "KMOD-READY" once it serves;
#   4. then, as the host asks (an RRQ for kmod-<word> in rackbootd's log):
#      tc: rackbootd again, attached by TC only ("KMOD-READY-TC");
#      truncate: trunc.bin cut to 3 MiB; rewrite: rewrite.new written over
#      rewrite.bin in place; stop: rmmod (refused, programs attached),
#      rackbootd stopped, rmmod (clean), rackbootd again without the module
#      ("KMOD-READY2"); done: stop.
# Every wait is bounded.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
# wait up to $1 tenths of a second for a line matching $2 in $3
wait_for() { n=0; while [ $n -lt "$1" ]; do grep -q "$2" "$3" 2>/dev/null && return 0; sleep 0.1; n=$((n + 1)); done; return 1; }
rb_pid=
rb_start() { # log, RACKBOOT_KMOD, [rackbootd flags]
  log=$1 env=$2; shift 2
  RACKBOOT_KMOD=$env rackbootd --stderr -v --interface eth0 --address 198.18.0.10/24 --root /srv \
    --state-dir /tmp/state --dhcp-range 198.18.0.100,198.18.0.150 --http-port 80 "$@" >"$log" 2>&1 &
  rb_pid=$!
  wait_for 300 "eBPF fast path on eth0\|unavailable" "$log"
}
rb_stop() { kill -TERM "$rb_pid"; n=0; while kill -0 "$rb_pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done; }
rb_log() { sed 's/^/  # rackbootd: /' "$1" | grep -v 'RRQ from' | tail -15; }

check "insmod rackboot.ko" insmod /lib/rackboot.ko
ip link set lo up; ip link set eth0 up; ip addr add 198.18.0.10/24 dev eth0
check "virtio-net eth0 is up with 198.18.0.10/24 ($(cat /sys/class/net/eth0/address 2>/dev/null))" \
  ip addr show eth0 | grep -q 198.18.0.10

mkdir -p /srv /tmp/state
for s in 0 1 511 512 513 1467 1468 1469 65535 65536 1048579 10485763 104857601; do
  head -c "$s" /dev/urandom >"/srv/f$s"
done
for f in trunc.bin rewrite.bin rewrite.new; do head -c 8388608 /dev/urandom >"/srv/$f"; done
# the boot programs rackbootd hands the storm's nodes (its defaults)
head -c 70000 /dev/urandom >/srv/undionly.kpxe; head -c 1000000 /dev/urandom >/srv/ipxe.efi
for f in /srv/*; do
  echo "KMOD-FILE ${f#/srv/} $(stat -c %s "$f") $(sha256sum "$f" | cut -d' ' -f1)"
done

rb_start /tmp/rb.log require
check "rackbootd loaded the fast path's module variant ($(grep -o 'rackboot.ko on eth0.*' /tmp/rb.log))" \
  grep -q "rackboot.ko on eth0: TFTP blocks of any file from the page cache" /tmp/rb.log
grep -q "eBPF fast path on eth0" /tmp/rb.log || rb_log /tmp/rb.log
echo "  # $(grep -o 'eBPF fast path on eth0.*' /tmp/rb.log)"
echo "KMOD-READY"

# the host's orders, in its order: tc, truncate, rewrite, stop (bounded: 600 s)
done_= cur=/tmp/rb.log
for word in tc truncate rewrite stop; do
  if ! wait_for 6000 "filename kmod-$word" $cur; then
    notok "the host asked for kmod-$word (not within 600 s)"; done_=1; break
  fi
  case $word in
    tc) rb_stop; rb_log /tmp/rb.log; cur=/tmp/rb-tc.log
        rb_start $cur require --bpf-attach tc
        check "rackbootd again, TC only, with the module ($(grep -o 'eBPF fast path on eth0.*' $cur))" \
          grep -q "eBPF fast path on eth0: tc" $cur
        echo "KMOD-READY-TC" ;;
    truncate) truncate -s 3145728 /srv/trunc.bin; echo "KMOD-DID truncate $(stat -c %s /srv/trunc.bin)" ;;
    rewrite) dd if=/srv/rewrite.new of=/srv/rewrite.bin conv=notrunc bs=65536 2>/dev/null
             echo "KMOD-DID rewrite" ;;
  esac
done
if [ -z "$done_" ]; then
  echo "  # $(cat /tmp/rb.log $cur | grep -c 'RRQ from') RRQs served"
  refs=$(cat /sys/module/rackboot/refcnt)
  if rmmod rackboot 2>/dev/null; then notok "rmmod is refused while rackbootd's programs are attached"
  else ok "rmmod is refused while rackbootd's programs are attached (refcnt $refs)"; fi
  rb_stop
  n=0; until rmmod rackboot 2>/dev/null || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
  check "rmmod succeeds once rackbootd has stopped (detached its programs, closed /dev/rackboot)" \
    test ! -e /sys/module/rackboot
  rb_log $cur
  rb_start /tmp/rb2.log auto
  check "rackbootd without the module falls back and says so ($(grep -o 'rackboot.ko not used.*' /tmp/rb2.log))" \
    grep -q "rackboot.ko not used on eth0 (rackboot.ko is not loaded" /tmp/rb2.log
  check "... and loads the map-based fast path ($(grep -o 'eBPF fast path on eth0.*' /tmp/rb2.log))" \
    grep -q "eBPF fast path on eth0: " /tmp/rb2.log
  echo "KMOD-READY2"
  wait_for 3000 "filename kmod-done" /tmp/rb2.log || notok "the host said kmod-done (not within 300 s)"
  rb_stop
  rb_log /tmp/rb2.log
fi
exit 0
