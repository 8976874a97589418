#!/usr/bin/env bash
# Issue 12, part 1: every fast-path BPF program (each program of each
# build/bpf/*.bpf.o) passes the verifier of Debian 12's 6.1 kernel, the one
# `make images` fetches, and of the host's kernel. The static loader
# build/tools/bpf_verify (tests/tools/bpf_verify.c) loads each program alone,
# libbpf relocating it (CO-RE) against that kernel's own BTF, and prints
#   ok - <object>/<program> loads on <uname -r> (<type>: K insns, N processed by the verifier)
#   not ok - <object>/<program> loads on <uname -r> (<type>: <error>: <verifier's reason>)
# with the verifier's statistics, or libbpf's warnings and the tail of the
# verifier log, as "  #" lines beneath. It runs on the host, then in one
# QEMU TCG guest booted straight from build/images/vmlinuz (no firmware, no
# network) with the busybox initramfs of images/build.sh plus the loader and
# the objects (tests/tools/bpf-guest-initramfs.sh); the guest's lines are
# read back from its serial console between RACKBOOT-BPF-BEGIN/-END.
source "$(dirname "$0")/lib-e2e.sh"
VERIFY=${BPF_VERIFY:-$ROOT/build/tools/bpf_verify}
BPF_OBJDIR=${BPF_OBJDIR:-$ROOT/build/bpf}

# -- what it needs: loud failures, never a skip -------------------------------
need "$QEMU" timeout cpio gzip readelf ip make
for f in vmlinuz initrd.img MANIFEST; do
  [ -s "$IMAGES/$f" ] || { fail "$IMAGES/$f missing (run make images)"; exit 1; }
done
[ -x "$VERIFY" ] || { fail "$VERIFY missing (run make build/tools/bpf_verify)"; exit 1; }
objs=()
for src in "$ROOT"/bpf/*.bpf.c; do
  [ -e "$src" ] || continue
  o=$BPF_OBJDIR/$(basename "$src" .c).o
  [ -s "$o" ] || { fail "$o missing (run make)"; exit 1; }
  objs+=("$o")
done
[ ${#objs[@]} -gt 0 ] || { fail "no bpf/*.bpf.c to verify"; exit 1; }
# Objects older than their sources would prove nothing about the tree.
if [ "$BPF_OBJDIR" = "$ROOT/build/bpf" ]; then
  make -C "$ROOT" -q "${objs[@]#"$ROOT/"}" build/tools/bpf_verify >/dev/null 2>&1
  case $? in
    0) ;;
    1) fail "build/bpf/*.bpf.o or build/tools/bpf_verify are older than their sources (run make)"; exit 1 ;;
    *) fail "make -q cannot tell whether build/bpf/*.bpf.o are up to date (Makefile broken?)"; exit 1 ;;
  esac
fi
# A copy of everything: others may rebuild build/ while the guest boots.
mkdir -p "$WORK/bpf"
cp "${objs[@]}" "$WORK/bpf/" && cp "$VERIFY" "$WORK/bpf_verify" &&
  cp "$IMAGES/vmlinuz" "$IMAGES/initrd.img" "$WORK/" || { fail "cannot copy the inputs"; exit 1; }
rm -rf "$E2E_LOGDIR"; mkdir -p "$E2E_LOGDIR"
at_exit "cp -p $WORK/*.log $WORK/*.out $E2E_LOGDIR/ 2>/dev/null"

# The programs each object holds, as "object/program" (from the loader's
# lines), sorted: the guest must report the same set as the host.
programs() { sed -nE 's/^(not )?ok - ([^ ]+\/[^ ]+) loads on .*/\2/p' "$1" | LC_ALL=C sort; }

# -- the host's kernel -----------------------------------------------------------
t0=$EPOCHREALTIME
"$WORK/bpf_verify" "$WORK"/bpf/*.bpf.o >"$WORK/host.out" 2>&1
host_rc=$?
echo "# host kernel $(uname -r): bpf_verify exited $host_rc after $(e2e_secs "$t0")s"
cat "$WORK/host.out"
# the loader's "not ok" lines are failures of this test too (exit status)
count_failures() { _failures=$((_failures + $(grep -ac '^not ok ' "$1"))); }
count_failures "$WORK/host.out"
[ -n "$(programs "$WORK/host.out")" ] ||
  fail "bpf_verify on the host reported no program (exit status $host_rc)"
[ "$host_rc" = 0 ] || grep -aq '^not ok ' "$WORK/host.out" ||
  fail "bpf_verify on the host exited $host_rc without a failure line"

# -- Debian 12's kernel, in the guest ---------------------------------------------
kpkg=$(awk '$1 == "kernel" { print $2, $3 }' "$IMAGES/MANIFEST")   # linux-image-6.1.0-N-amd64 6.1.x-y
BASE_INITRD=$WORK/initrd.img bash "$ROOT/tests/tools/bpf-guest-initramfs.sh" "$WORK/bpf-initrd.img" "$WORK/bpf_verify" \
  "$WORK"/bpf/*.bpf.o >"$WORK/initramfs.log" 2>&1 ||
  { fail "tests/tools/bpf-guest-initramfs.sh built the guest's initramfs"; sed 's/^/  # /' "$WORK/initramfs.log"; exit 1; }
netns_add "$NS_SRV"       # qemu_boot runs QEMU in it: the guest has no network anyway
name=bpf-guest
qemu_boot "$name" -nic none -kernel "$WORK/vmlinuz" -initrd "$WORK/bpf-initrd.img" \
  -append "console=ttyS0 quiet panic=-1"
# (the console may prefix the first line with a terminal reset, ESC c)
plain_log "$WORK/$name.serial.log" | sed -n 's/^.*\(RACKBOOT-BPF-BEGIN\)/\1/; /^RACKBOOT-BPF-BEGIN/,/^RACKBOOT-BPF-END/p' \
  >"$WORK/guest.out"
begin=$(head -1 "$WORK/guest.out")
gkver=$(sed -n 's/^RACKBOOT-BPF-BEGIN kernel=\([^ ]*\).*/\1/p' <<<"$begin")
end=$(grep -a '^RACKBOOT-BPF-END' "$WORK/guest.out")
guest_rc=${end#RACKBOOT-BPF-END rc=}
if [ -z "$begin" ] || [ -z "$end" ]; then
  fail "$name: the loader's report (RACKBOOT-BPF-BEGIN ... -END) on the serial console" \
       "(QEMU status $BOOT_RC after ${BOOT_SECS}s, bound ${BOOT_BOUND}s)"
  echo "  # --- the last lines of the serial console ---"
  plain_log "$WORK/$name.serial.log" | tail -40 | sed 's/^/  # /'
  exit 1
fi
if [[ "$gkver" == 6.1.* ]] && [ "${kpkg%% *}" = "linux-image-$gkver" ]; then
  ok "guest kernel $gkver is Debian 12's ($kpkg, build/images/vmlinuz; $begin)"
else
  fail "guest kernel '$gkver' is Debian 12's 6.1 ($kpkg in build/images/MANIFEST; $begin)"
fi
grep -aq ' btf=yes' <<<"$begin" || fail "guest kernel $gkver has /sys/kernel/btf/vmlinux (CO-RE needs it)"
echo "# guest kernel $gkver: bpf_verify exited $guest_rc; the guest booted and powered off in ${BOOT_SECS}s"
grep -aE '^(ok |not ok |  # )' "$WORK/guest.out"
count_failures "$WORK/guest.out"
[ "$guest_rc" = 0 ] || grep -aq '^not ok ' "$WORK/guest.out" ||
  fail "bpf_verify in the guest exited $guest_rc without a failure line"

# -- the two reports cover the same programs, and the guest ended cleanly ----------
if [ "$(programs "$WORK/host.out")" = "$(programs "$WORK/guest.out")" ]; then
  ok "the guest and the host report the same $(programs "$WORK/host.out" | wc -l) programs" \
     "($(programs "$WORK/host.out" | paste -sd' '))"
else
  fail "the guest and the host report the same programs"
  diff <(programs "$WORK/host.out") <(programs "$WORK/guest.out") | sed 's/^/  # host|guest /'
fi
[ "$BOOT_RC" = 0 ] ||
  fail "$name: the VM powered itself off (QEMU status $BOOT_RC after ${BOOT_SECS}s, 124 = the ${BOOT_BOUND}s bound, 125 = a dead end)"
echo "# bpf_verifier: $(e2e_secs)s in all"
finish
