#!/usr/bin/env bash
# Issue 13: rackboot.ko (kern/) on Debian 12's 6.1 kernel, the one `make
# images` fetches. The module is built against that kernel's headers
# (kern/build.sh: fetched into build/kern the first time, never installed),
# with BTF; then one QEMU TCG guest (tests/tools/kmod-e2e.sh: booted straight
# from build/images/vmlinuz, no firmware, no network) runs the static
# build/tools/kmod_test (tests/tools/kmod_test.c): insmod, /dev/rackboot, who
# may register, the copy kfunc through BPF_PROG_TEST_RUN (sched_cls and xdp)
# on files of many sizes, at and past their end, truncated, rewritten; the
# XDP emit kfunc; bpf_verify on the fast path's module variant
# (build/bpf/kmod/*.bpf.o); rmmod refused while programs hold the module and
# clean after. A BUG/WARNING/Oops in the guest's kernel log fails it.
source "$(dirname "$0")/lib-e2e.sh"
source "$ROOT/tests/tools/kmod-e2e.sh"

need "$QEMU" timeout cpio gzip readelf make pahole bpftool xz dpkg-deb apt-get
for f in vmlinuz initrd.img MANIFEST; do
  [ -s "$IMAGES/$f" ] || { fail "$IMAGES/$f missing (run make images)"; exit 1; }
done
inputs=(build/tools/kmod_test build/tools/kmod_test.bpf.o build/tools/bpf_verify)
for src in "$ROOT"/bpf/kmod/*.bpf.c; do
  [ -e "$src" ] && inputs+=("build/bpf/kmod/$(basename "$src" .c).o")
done
kmod_fresh "${inputs[@]}"
rm -rf "$E2E_LOGDIR"; mkdir -p "$E2E_LOGDIR"
at_exit "cp -p $WORK/*.log $WORK/*.out $E2E_LOGDIR/ 2>/dev/null"

kmod_build
# a copy of everything: others may rebuild build/ while the guest boots
layer=("$WORK/g/rackboot.ko=/lib/rackboot.ko")
for f in "${inputs[@]}"; do
  cp "$ROOT/$f" "$WORK/g/" || { fail "cannot copy $f"; exit 1; }
  case $f in
    build/bpf/kmod/*) layer+=("$WORK/g/${f##*/}=/bpf/kmod/${f##*/}") ;;
    *.bpf.o) layer+=("$WORK/g/${f##*/}=/bpf/${f##*/}") ;;
    *) layer+=("$WORK/g/${f##*/}=/usr/bin/${f##*/}") ;;
  esac
done
kmod_guest kmod-guest "$ROOT/tests/tools/kmod-module-guest.sh" "${layer[@]}"
[ "$(grep -ac '^ok ' "$WORK/kmod-guest.out")" -ge 50 ] ||
  fail "kmod_test reported all its checks (only $(grep -ac '^ok ' "$WORK/kmod-guest.out") ok lines)"
echo "# kmod_module: $(e2e_secs)s in all (guest ${BOOT_SECS}s)"
finish
