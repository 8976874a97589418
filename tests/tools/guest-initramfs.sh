#!/usr/bin/env bash
# An initramfs for a test guest: the busybox initramfs of images/build.sh
# (build/images/initrd.img) with one more cpio archive appended, holding a
# /init of the test's own and the files it needs. The kernel unpacks
# concatenated archives in order, a later file replacing an earlier one
# (Documentation/driver-api/early-userspace/buffer-format.rst): nothing is
# downloaded or unpacked here. (tests/tools/bpf-guest-initramfs.sh uses it
# with a /init of its own.)
#
#   guest-initramfs.sh OUT INIT [SRC=DEST]...
#
# SRC is installed at DEST (an absolute path in the guest): 0755 if SRC is
# executable, which then must be static (the initramfs has no libc), else
# 0644. BASE_INITRD overrides the base archive.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "guest-initramfs: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 OUT INIT [SRC=DEST]..."
out=$1 init=$2; shift 2
base=${BASE_INITRD:-$root/build/images/initrd.img}
[ -s "$base" ] || die "$base missing (run make images)"
[ -s "$init" ] || die "$init missing"

stage=$(mktemp -d "${TMPDIR:-/tmp}/guest-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$init" "$stage/init"
for pair in "$@"; do
  src=${pair%%=*} dest=${pair#*=}
  [ "$src" != "$pair" ] && [[ "$dest" == /* ]] || die "'$pair' is not SRC=/DEST"
  [ -s "$src" ] || die "$src missing"
  mode=0644
  if [ -x "$src" ]; then
    mode=0755
    ! readelf -l "$src" 2>/dev/null | grep -q 'program interpreter' || die "$src is not static"
  fi
  install -D -m "$mode" "$src" "$stage$dest"
done
{
  cat "$base"
  (cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
     cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n
} >"$out.tmp"
mv "$out.tmp" "$out"
