#!/usr/bin/env bash
# Builds rackboot.ko out of tree, with module BTF, into build/kern/:
#
#   kern/build.sh [KDIR]        (make module [KDIR=...])
#
# KDIR: a kernel build or headers tree. Default: build/kern/kdir, the
# headers of the Debian 12 kernel the guest tests boot (kern/fetch-headers.sh
# fetches them on first use). Module BTF needs `vmlinux` and
# `tools/bpf/resolve_btfids/resolve_btfids` in KDIR (kern/lib.sh says why);
# when KDIR lacks them (a distribution's headers package, as dkms builds
# against) the build uses a shadow tree of links to KDIR that adds them:
#
#   VMLINUX=          the kernel's vmlinux (ELF, or raw BTF such as
#                     /sys/kernel/btf/vmlinux of that kernel running); else
#                     /usr/lib/debug/boot/vmlinux-<release>, else extracted
#                     from /boot/vmlinuz-<release>
#   RESOLVE_BTFIDS=   the tool; else built from tools/ of LINUX_SOURCE= (a
#                     source tree, Debian's linux-source .deb or tarball),
#                     else of /usr/src/linux-source-<x.y>.tar.xz
#
# Kbuild runs in build/kern/obj/<release>/ (links to kern/ and Kbuild), so
# the source tree stays clean; the module lands in
# build/kern/obj/<release>/kern/rackboot.ko and is copied to
# build/kern/rackboot.ko (dkms.conf's BUILT_MODULE_LOCATION). Any warning
# fails the build, and so does a module without BTF for its kfuncs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/kern/lib.sh"
out=$root/build/kern
kdir=${1:-${KDIR:-}}
if [ -z "$kdir" ]; then
  kdir=$(bash "$root/kern/fetch-headers.sh")
fi
[ -f "$kdir/Makefile" ] && [ -f "$kdir/.config" ] || kern_die "$kdir is not a configured kernel tree"
kdir=$(cd "$kdir" && pwd)
release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$release" ] || kern_die "$kdir has no include/generated/utsrelease.h"
grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$kdir/.config" ||
  kern_die "$release is built without CONFIG_DEBUG_INFO_BTF_MODULES: its modules cannot have kfuncs"
command -v pahole >/dev/null || kern_die "pahole missing (make deps: dwarves)"

# -- a tree with vmlinux and resolve_btfids ----------------------------------------
tree=$kdir
if [ ! -s "$kdir/vmlinux" ] || [ ! -x "$kdir/tools/bpf/resolve_btfids/resolve_btfids" ]; then
  tree=$out/shadow/$release
  rm -rf "$tree"; mkdir -p "$tree/tools"
  for e in "$kdir"/* "$kdir"/.[!.]*; do
    [ -e "$e" ] || continue
    case ${e##*/} in vmlinux|tools) continue ;; esac
    ln -s "$e" "$tree/${e##*/}"
  done
  for e in "$kdir"/tools/*; do [ -e "$e" ] && [ "${e##*/}" != bpf ] && ln -s "$e" "$tree/tools/"; done
  vml=${VMLINUX:-}
  if [ -z "$vml" ] && [ -s "$kdir/vmlinux" ]; then vml=$kdir/vmlinux; fi
  if [ -z "$vml" ] && [ -s "/usr/lib/debug/boot/vmlinux-$release" ]; then vml=/usr/lib/debug/boot/vmlinux-$release; fi
  if [ -n "$vml" ]; then
    ln -s "$(cd "$(dirname "$vml")" && pwd)/$(basename "$vml")" "$tree/vmlinux"
  elif [ -s "/boot/vmlinuz-$release" ]; then
    kern_extract_vmlinux "/boot/vmlinuz-$release" "$tree/vmlinux"
  else
    kern_die "no vmlinux for $release: set VMLINUX= (or install its vmlinuz in /boot)"
  fi
  rbt=$tree/tools/bpf/resolve_btfids/resolve_btfids
  if [ -x "$kdir/tools/bpf/resolve_btfids/resolve_btfids" ]; then
    mkdir -p "$(dirname "$rbt")"; ln -s "$kdir/tools/bpf/resolve_btfids/resolve_btfids" "$rbt"
  elif [ -n "${RESOLVE_BTFIDS:-}" ]; then
    [ -x "$RESOLVE_BTFIDS" ] || kern_die "RESOLVE_BTFIDS=$RESOLVE_BTFIDS is not executable"
    mkdir -p "$(dirname "$rbt")"; ln -s "$(cd "$(dirname "$RESOLVE_BTFIDS")" && pwd)/$(basename "$RESOLVE_BTFIDS")" "$rbt"
  else
    src=${LINUX_SOURCE:-/usr/src/linux-source-$(cut -d. -f1,2 <<<"$release").tar.xz}
    [ -e "$src" ] || kern_die "no resolve_btfids for $release: set RESOLVE_BTFIDS=, or LINUX_SOURCE= (kernel source)"
    if [ ! -d "$src" ]; then
      src=$(kern_unpack_source_tools "$src" "$tree/.src")
    fi
    kern_build_resolve_btfids "$src" "$rbt"
    rm -rf "$tree/.src"
  fi
fi

# -- kbuild, in build/kern/obj/<release> -------------------------------------------
obj=$out/obj/$release
mkdir -p "$obj/kern"
ln -sfn "$root/Kbuild" "$obj/Kbuild"
for f in "$root"/kern/Kbuild "$root"/kern/*.[ch]; do ln -sfn "$f" "$obj/kern/${f##*/}"; done
log=$obj/build.log
if ! make -C "$tree" M="$obj" -j"${KERN_JOBS:-2}" modules >"$log" 2>&1; then
  cat "$log" >&2
  kern_die "kbuild failed against $kdir"
fi
if grep -aiE 'warning|skipping btf' "$log" >&2; then
  kern_die "warnings building against $kdir (above): warnings are errors here"
fi
ko=$obj/kern/rackboot.ko

# -- the kfuncs are in the module's BTF, their ID sets filled ------------------------
btf=$(bpftool -B "$tree/vmlinux" btf dump file "$ko" 2>&1) ||
  kern_die "$ko has no BTF bpftool can read: $btf"
for fn in bpf_rb_skb_read bpf_rb_xdp_read bpf_rb_xdp_emit; do
  grep -q "FUNC '$fn'" <<<"$btf" || kern_die "$ko: no BTF for kfunc $fn"
done
# .BTF_ids: two sets of 8-byte (count, flags) then (id, flags) pairs, all
# zero until resolve_btfids fills in the counts (1, 2) and the 3 ids
ids=$(readelf -x .BTF_ids "$ko" | awk '/^  0x/ { for (i = 2; i <= 5; i++) if ($i ~ /^[0-9a-f]+$/ && length($i) == 8) print $i }')
[ "$(grep -vc '^00000000$' <<<"$ids")" = 5 ] ||
  kern_die "$ko: kfunc ID sets not filled by resolve_btfids ($(paste -sd' ' <<<"$ids"))"
cp "$ko" "$out/rackboot.ko.tmp" && mv "$out/rackboot.ko.tmp" "$out/rackboot.ko"
echo "kern: build/kern/rackboot.ko for $release ($(stat -c %s "$out/rackboot.ko") bytes, BTF with 3 kfuncs)"
