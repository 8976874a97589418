#!/usr/bin/env bash
# `make images`: builds build/images from Debian packages, and builds it the
# same twice (reproducible: every output's sha256 equal), with what the
# boot tests need inside.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
out=build/images
_failures=0
ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; _failures=$((_failures + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
tmp=$(mktemp -d /tmp/rackboot-images.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
outputs="undionly.kpxe ipxe.efi snponly.efi vmlinuz initrd.img boot.ipxe rackboot.conf MANIFEST"

build() { # log
  local t0=$SECONDS
  if timeout 600 bash images/build.sh >"$1" 2>&1; then
    ok "images/build.sh ($((SECONDS - t0))s): $(tail -1 "$1")"
  else
    fail "images/build.sh failed"; sed 's/^/  # /' "$1"; exit 1
  fi
}
build "$tmp/build1.log"
cp "$out/SHA256SUMS" "$tmp/sums1"
for f in $outputs; do check "$f built" test -s "$out/$f"; done
# Again from nothing but the downloaded packages, a second later.
(cd "$out" && rm -f $outputs SHA256SUMS)
sleep 1
build "$tmp/build2.log"
if cmp -s "$tmp/sums1" "$out/SHA256SUMS"; then
  ok "reproducible: the second build's SHA256SUMS equal the first's"
else
  fail "reproducible: the second build's SHA256SUMS equal the first's"
  diff "$tmp/sums1" "$out/SHA256SUMS" | sed 's/^/  # /'
fi
check "SHA256SUMS verify" bash -c "cd $out && sha256sum --quiet -c SHA256SUMS"

# What is inside.
check "vmlinuz is an x86 Linux kernel (bzImage 'HdrS' header)" \
  bash -c "[ \"\$(dd if=$out/vmlinuz bs=1 skip=514 count=4 status=none)\" = HdrS ]"
check "vmlinuz is the kernel package's ($(sed -n 's/^kernel //p' "$out/MANIFEST"))" \
  grep -q '^kernel linux-image-[0-9.]*-[0-9]*-amd64 ' "$out/MANIFEST"
zcat "$out/initrd.img" | cpio -t --quiet >"$tmp/list" 2>"$tmp/cpio.err"
check "initrd.img is a gzip'd cpio archive" test -s "$tmp/list"
for p in init bin/busybox bin/sh sbin/poweroff bin/mount proc sys dev; do
  check "initrd.img holds /$p" grep -qx "$p" "$tmp/list"
done
check "initrd.img entries are sorted" bash -c "LC_ALL=C sort -c $tmp/list"
zcat "$out/initrd.img" | cpio -tv --quiet 2>/dev/null >"$tmp/listv"
check "initrd.img: every entry owned by 0:0, dated 1970-01-01 (SOURCE_DATE_EPOCH 0)" \
  bash -c "! awk '\$3 != \"root\" || \$4 != \"root\" || \$7 != 1970 && \$8 != 1970' $tmp/listv | grep -q ."
(cd "$tmp" && zcat "$ROOT/$out/initrd.img" | cpio -id --quiet init bin/busybox 2>/dev/null)
check "/init is executable and a shell script" bash -c "[ -x $tmp/init ] && head -1 $tmp/init | grep -qx '#!/bin/sh'"
check "busybox is static (no program interpreter) and runs" \
  bash -c "! readelf -l $tmp/bin/busybox | grep -q 'program interpreter' && $tmp/bin/busybox true"
check "boot.ipxe is an iPXE script" bash -c "head -1 $out/boot.ipxe | grep -qx '#!ipxe'"
check "rackboot.conf: default-profile with {{mac}} on the kernel command line" \
  grep -q 'cmdline ".*rackboot.node={{mac}}' "$out/rackboot.conf"
check "no package was installed: linux-image and busybox-static stay uninstalled" \
  bash -c "! dpkg-query -W -f='\${Status}\n' linux-image-amd64 busybox-static 2>/dev/null | grep -q 'install ok installed'"
exit $(( _failures > 0 ))
