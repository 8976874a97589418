#!/usr/bin/env bash
# The kernel headers `make module` builds against by default: those of the
# Debian 12 kernel that `make images` fetched (build/images/MANIFEST names
# it, e.g. linux-image-6.1.0-57-amd64 6.1.192-3), the same version exactly,
# downloaded with apt-get download into build/kern/debs and unpacked into
# build/kern/root, never installed:
#
#   linux-headers-<abi>-amd64, linux-headers-<abi>-common, linux-kbuild-<x.y>
#                  the tree kbuild needs (its Makefile made relocatable)
#   vmlinux        extracted from build/images/vmlinuz (kern/lib.sh)
#   resolve_btfids built from tools/ of linux-source-<x.y>: Debian's
#                  linux-kbuild-6.1 does not ship it
#
# build/kern/kdir then points at the tree (a symlink); prints its path.
# Reuses what is there while the MANIFEST names the same kernel.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/kern/lib.sh"
out=$root/build/kern
debs=$out/debs
manifest=$root/build/images/MANIFEST
[ -s "$manifest" ] && [ -s "$root/build/images/vmlinuz" ] ||
  kern_die "$manifest or build/images/vmlinuz missing (run make images)"
read -r kpkg pver < <(awk '$1 == "kernel" { print $2, $3 }' "$manifest")
[[ "$kpkg" == linux-image-*-amd64 && -n "$pver" ]] || kern_die "no kernel line in $manifest"
kver=${kpkg#linux-image-}          # 6.1.0-57-amd64
abi=${kver%-amd64}                 # 6.1.0-57
xy=$(cut -d. -f1,2 <<<"$kver")     # 6.1
kdir=$out/root/usr/src/linux-headers-$kver
stamp="$kpkg $pver"
if [ -f "$kdir/.rackboot-kdir" ] && [ "$(cat "$kdir/.rackboot-kdir")" = "$stamp" ] &&
   [ -s "$kdir/vmlinux" ] && [ -x "$kdir/tools/bpf/resolve_btfids/resolve_btfids" ]; then
  ln -sfn "root/usr/src/linux-headers-$kver" "$out/kdir"
  echo "$out/kdir"
  exit 0
fi

# deb PACKAGE: its .deb at version $pver in $debs, downloaded if missing
mkdir -p "$debs"
deb() {
  local p=$1 f tmp
  f=$(ls "$debs/${p}_${pver}_"*.deb 2>/dev/null | head -1)
  if [ -z "$f" ]; then
    # apt drops privileges to _apt for downloads: a directory it may write
    tmp=$(mktemp -d "$debs/.dl.XXXXXX"); chmod 777 "$tmp"
    if ! (cd "$tmp" && apt-get download -qq "$p=$pver" >/dev/null 2>&1); then
      apt-get update -qq >/dev/null 2>&1 || true
      (cd "$tmp" && apt-get download -qq "$p=$pver") >&2 ||
        { rm -rf "$tmp"; kern_die "cannot download $p=$pver (the archive may have moved on: make images again)"; }
    fi
    f=$debs/$(basename "$tmp"/*.deb)
    mv "$tmp"/*.deb "$f"; rm -rf "$tmp"
  fi
  echo "$f"
}
hdeb=$(deb "linux-headers-$kver")
cdeb=$(deb "linux-headers-$abi-common")
bdeb=$(deb "linux-kbuild-$xy")
sdeb=$(deb "linux-source-$xy")

# -- the headers tree ---------------------------------------------------------------
rm -rf "$out/root.tmp"
mkdir -p "$out/root.tmp"
for d in "$hdeb" "$cdeb" "$bdeb"; do dpkg-deb -x "$d" "$out/root.tmp"; done
tdir=$out/root.tmp/usr/src/linux-headers-$kver
[ -f "$tdir/.config" ] && [ -f "$tdir/Module.symvers" ] || kern_die "$hdeb has no .config/Module.symvers"
# Its Makefile includes the common tree by absolute path (/usr/src/...):
# point it next door instead, so the tree works wherever it is unpacked.
grep -q "^include /usr/src/linux-headers-$abi-common/Makefile\$" "$tdir/Makefile" ||
  kern_die "unexpected $tdir/Makefile: $(head -3 "$tdir/Makefile")"
printf 'include $(dir $(lastword $(MAKEFILE_LIST)))../linux-headers-%s-common/Makefile\n' "$abi" \
  >"$tdir/Makefile"

# -- vmlinux, for the base BTF -----------------------------------------------------------
kern_extract_vmlinux "$root/build/images/vmlinuz" "$tdir/vmlinux"
LC_ALL=C grep -aq "Linux version $kver " "$tdir/vmlinux" ||
  kern_die "build/images/vmlinuz is not $kver (make images again)"
readelf -S "$tdir/vmlinux" | grep -q ' \.BTF ' || kern_die "the vmlinux of $kver has no .BTF section"

# -- resolve_btfids, from the kernel's own source --------------------------------------------
src=$(kern_unpack_source_tools "$sdeb" "$out/src.tmp")
kern_build_resolve_btfids "$src" "$tdir/tools/bpf/resolve_btfids/resolve_btfids"
rm -rf "$out/src.tmp"

echo "$stamp" >"$tdir/.rackboot-kdir"
rm -rf "$out/root"
mv "$out/root.tmp" "$out/root"
ln -sfn "root/usr/src/linux-headers-$kver" "$out/kdir"
echo "kern: headers of $kpkg $pver in build/kern/kdir (with vmlinux and resolve_btfids)" >&2
echo "$out/kdir"
