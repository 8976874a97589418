# /test.sh of bench/kmod-bench.sh's guest (tests/tools/kmod-guest-init,
# Debian 12's kernel, virtio-net on the host's tap): rackbootd (static)
# three ways in turn, for the host to measure TFTP transfers against:
#   kmod       RACKBOOT_KMOD=require: the fast path with rackboot.ko
#   maps       RACKBOOT_KMOD=forbid: the fast path, hot files copied into maps
#   userspace  --no-bpf
# Hot files (the boot programs, rackbootd's default hot names):
# undionly.kpxe 70 000 B, ipxe.efi 1 MiB, ipxe-arm64.efi 32 MiB. For each
# way: "BENCH-READY <way> <MemAvailable kB>" once it serves; after the
# host's RRQ for kmod-next-<way>, "BENCH-MEM <way> <MemAvailable kB>" and
# rackbootd stops. Every wait is bounded.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
wait_for() { n=0; while [ $n -lt "$1" ]; do grep -q "$2" "$3" 2>/dev/null && return 0; sleep 0.1; n=$((n + 1)); done; return 1; }
avail() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
insmod /lib/rackboot.ko || echo "not ok - insmod rackboot.ko"
ip link set lo up; ip link set eth0 up; ip addr add 198.18.0.10/24 dev eth0
mkdir -p /srv /tmp/state
head -c 70000 /dev/urandom >/srv/undionly.kpxe
head -c 1048576 /dev/urandom >/srv/ipxe.efi
head -c 33554432 /dev/urandom >/srv/ipxe-arm64.efi
for way in kmod maps userspace; do
  case $way in
    kmod) env=require flag= ;;
    maps) env=forbid flag= ;;
    userspace) env=forbid flag=--no-bpf ;;
  esac
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null   # (tmpfs pages stay: they are the files)
  RACKBOOT_KMOD=$env rackbootd --stderr -v $flag --interface eth0 --address 198.18.0.10/24 \
    --root /srv --state-dir /tmp/state --dhcp-range 198.18.0.100,198.18.0.150 --http-port 80 \
    >"/tmp/rb-$way.log" 2>&1 &
  pid=$!
  wait_for 300 "serving eth0" "/tmp/rb-$way.log" || echo "not ok - rackbootd ($way) serves"
  sed 's/^/  # rackbootd: /' "/tmp/rb-$way.log" | grep -E "fast path|rackboot.ko"
  echo "BENCH-READY $way $(avail)"
  wait_for 6000 "filename kmod-next-$way" "/tmp/rb-$way.log" || echo "not ok - the host finished with $way"
  echo "BENCH-MEM $way $(avail)"
  kill -TERM $pid
  n=0; while kill -0 $pid 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
done
echo "ok - the guest served the three ways"
exit 0
