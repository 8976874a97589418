#!/usr/bin/env bash
# The initramfs of tests/e2e/bpf_verifier.sh's guest: guest-initramfs.sh
# (the busybox initramfs of images/build.sh with one archive appended) with
# the static BPF loader, the BPF objects and the /init below.
#
#   bpf-guest-initramfs.sh OUT LOADER OBJECT.bpf.o...
#
# The guest's /init mounts proc, sysfs (the kernel's BTF, for CO-RE) and
# devtmpfs, then prints on the console
#   RACKBOOT-BPF-BEGIN kernel=<uname -r> btf=<yes|no>
#   <one TAP line per program: `bpf_verify /bpf/*.bpf.o`>
#   RACKBOOT-BPF-END rc=<its exit status>
#   RACKBOOT-MARKER bpf-verify kernel=<uname -r> rc=<its exit status>
# and powers off. BASE_INITRD overrides the base archive.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "bpf-guest-initramfs: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 OUT LOADER OBJECT.bpf.o..."
out=$1 loader=$2; shift 2
[ -x "$loader" ] || die "$loader missing (run make build/tools/bpf_verify)"
stage=$(mktemp -d "${TMPDIR:-/tmp}/bpf-guest.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cat >"$stage/init" <<'EOF'
#!/bin/sh
# /init of the BPF verifier guest (tests/tools/bpf-guest-initramfs.sh)
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec >/dev/console 2>&1
# only emergencies on the console from now on: no kernel line inside ours
echo 1 >/proc/sys/kernel/printk
kver=$(uname -r)
btf=no; [ -r /sys/kernel/btf/vmlinux ] && btf=yes
echo
echo "RACKBOOT-BPF-BEGIN kernel=$kver btf=$btf"
bpf_verify /bpf/*.bpf.o
rc=$?
echo "RACKBOOT-BPF-END rc=$rc"
echo "RACKBOOT-MARKER bpf-verify kernel=$kver rc=$rc"
sync
poweroff -f
while :; do sleep 3600; done
EOF
files=("$loader=/usr/bin/bpf_verify")
for o in "$@"; do files+=("$o=/bpf/$(basename "$o")"); done
bash "$here/guest-initramfs.sh" "$out" "$stage/init" "${files[@]}"
