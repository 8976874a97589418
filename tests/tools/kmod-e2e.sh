# Sourced by the rackboot.ko tests (tests/e2e/kmod_*.sh) after lib-e2e.sh:
# the module built for the guest kernel, and one guest of Debian 12's kernel
# booted straight from build/images/vmlinuz with a test initramfs, its report
# read back from the serial console.

# rackboot.ko for build/images' kernel (kern/build.sh fetches the headers the
# first time, never installs them); a copy in $WORK/g/. Sets KPKG.
kmod_build() {
  local t0=$EPOCHREALTIME
  KPKG=$(awk '$1 == "kernel" { print $2, $3 }' "$IMAGES/MANIFEST")   # linux-image-6.1.0-N-amd64 6.1.x-y
  if bash "$ROOT/kern/build.sh" >"$WORK/module-build.log" 2>&1; then
    ok "make module: $(tail -1 "$WORK/module-build.log" | sed 's/^kern: //') against the headers of $KPKG ($(e2e_secs "$t0")s)"
  else
    fail "make module (kern/build.sh) against the headers of $KPKG"
    tail -40 "$WORK/module-build.log" | sed 's/^/  # /'
    exit 1
  fi
  mkdir -p "$WORK/g"
  cp "$ROOT/build/kern/rackboot.ko" "$WORK/g/" || { fail "cannot copy build/kern/rackboot.ko"; exit 1; }
}

# The build outputs a test takes into its guest exist and are newer than
# their sources (make -q), or the test fails saying what to run.
kmod_fresh() { # build/... paths
  local f
  for f in "$@"; do
    [ -s "$ROOT/$f" ] || { fail "$f missing (run make)"; exit 1; }
  done
  make -C "$ROOT" -q "$@" >/dev/null 2>&1
  case $? in
    0) ;;
    1) fail "$* older than their sources (run make)"; exit 1 ;;
    *) fail "make -q cannot tell whether $* are up to date (Makefile broken?)"; exit 1 ;;
  esac
}

# The initramfs of guest NAME: tests/tools/kmod-guest-init, TEST as its
# /test.sh and the SRC=DEST files given (tests/tools/guest-initramfs.sh),
# in $WORK/NAME-initrd.img; KMOD_KERNEL_ARGS then holds what QEMU boots it
# with (the kernel, the initramfs, the command line with KMOD_APPEND).
kmod_initrd() { # name, test, SRC=DEST...
  local name=$1 test=$2; shift 2
  cp "$IMAGES/vmlinuz" "$IMAGES/initrd.img" "$WORK/" || { fail "cannot copy the images"; exit 1; }
  BASE_INITRD=$WORK/initrd.img bash "$ROOT/tests/tools/guest-initramfs.sh" "$WORK/$name-initrd.img" \
    "$ROOT/tests/tools/kmod-guest-init" "$test=/test.sh" "$@" >"$WORK/$name-initramfs.log" 2>&1 ||
    { fail "tests/tools/guest-initramfs.sh built $name's initramfs"; sed 's/^/  # /' "$WORK/$name-initramfs.log"; exit 1; }
  KMOD_KERNEL_ARGS=(-kernel "$WORK/vmlinuz" -initrd "$WORK/$name-initrd.img"
                    -append "console=ttyS0 quiet panic=-1 ${KMOD_APPEND:-}")
  if [ -z "${_KMOD_NS:-}" ] && ! ip netns list | grep -qw "$NS_SRV"; then   # QEMU runs there
    netns_add "$NS_SRV"; _KMOD_NS=1
  fi
}

# Boot guest NAME (kmod_initrd's arguments) with no network and wait for it
# to power off; then kmod_report.
kmod_guest() { # name, test, SRC=DEST...
  kmod_initrd "$@"
  qemu_boot "$1" -nic none "${KMOD_KERNEL_ARGS[@]}"
  kmod_report "$1"
}

# What guest NAME reported on its serial console: its /init prints
# "MARK-BEGIN kernel=<release> ...", TAP lines, "MARK-DMESG <kernel log
# line>"s and "MARK-END rc=<n> oops=<n>" (MARK: RACKBOOT-KMOD); they become
# this test's: the kernel must be Debian 12's, every TAP line counts, a
# kernel BUG, WARNING or Oops fails. Needs BOOT_RC and BOOT_SECS (qemu_boot,
# qemu_result); leaves the block in $WORK/NAME.out, the guest's status in
# GUEST_RC.
kmod_report() { # name
  local name=$1 mark=RACKBOOT-KMOD fields kver oops
  # the block, then "kernel rc oops" of its first and last lines
  plain_log "$WORK/$name.serial.log" |
    awk -v m="$mark" 'index($0, m "-BEGIN") { $0 = substr($0, index($0, m "-BEGIN")); on = 1 }
                      on { print } on && index($0, m "-END") == 1 { exit }' >"$WORK/$name.out"
  fields=$(awk -v m="$mark" '
    index($0, m "-BEGIN") == 1 { for (i = 2; i <= NF; i++) if ($i ~ /^kernel=/) k = substr($i, 8) }
    index($0, m "-END") == 1 { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }; e = 1 }
    END { if (e) print k, v["rc"], v["oops"] }' "$WORK/$name.out")
  read -r kver GUEST_RC oops <<<"$fields"
  if [ -z "$GUEST_RC" ]; then
    fail "$name: the guest's report ($mark-BEGIN ... $mark-END) on the serial console" \
         "(QEMU status $BOOT_RC after ${BOOT_SECS}s, bound ${BOOT_BOUND}s)"
    echo "  # --- the last lines of the serial console ---"
    plain_log "$WORK/$name.serial.log" | tail -60 | sed 's/^/  # /'
    exit 1
  fi
  if [[ "$kver" == 6.1.* ]] && [ "${KPKG%% *}" = "linux-image-$kver" ]; then
    ok "$name: guest kernel $kver is Debian 12's ($KPKG, build/images/vmlinuz)"
  else
    fail "$name: guest kernel '$kver' is Debian 12's 6.1 ($KPKG in build/images/MANIFEST)"
  fi
  echo "# $name: the guest's tests exited $GUEST_RC; it booted and powered off in ${BOOT_SECS}s"
  grep -aE '^(ok |not ok |  # )' "$WORK/$name.out"
  _failures=$((_failures + $(grep -ac '^not ok ' "$WORK/$name.out")))
  [ "$GUEST_RC" = 0 ] || grep -aq '^not ok ' "$WORK/$name.out" ||
    fail "$name: the guest's tests exited $GUEST_RC without a failure line"
  echo "# $name: the guest kernel's log of the module:"
  sed -n "s/^$mark-DMESG /  # /p" "$WORK/$name.out"
  if [ "$oops" = 0 ]; then
    ok "$name: the guest kernel logged no BUG, WARNING or Oops"
  else
    fail "$name: the guest kernel logged no BUG, WARNING or Oops ($oops such lines, above)"
  fi
  [ "$BOOT_RC" = 0 ] ||
    fail "$name: the VM powered itself off (QEMU status $BOOT_RC after ${BOOT_SECS}s, 124 = the ${BOOT_BOUND}s bound, 125 = a dead end)"
}

# For a guest that runs rackbootd on a virtio-net NIC: KMOD_LAYER (SRC=DEST
# pairs for kmod_initrd) gets rackboot.ko, the static rackbootd and the
# modules of the NIC and of TC from the kernel package images/build.sh kept
# (Debian builds them as modules), with /lib/modules/order, the order in
# which kmod-guest-init loads them.
kmod_nic_layer() {
  local kdeb m ko
  kmod_fresh build/tools/rackbootd-static
  cp "$ROOT/build/tools/rackbootd-static" "$WORK/g/rackbootd" || { fail "cannot copy rackbootd-static"; exit 1; }
  kdeb=$(ls "$IMAGES"/debs/"${KPKG%% *}"_*.deb 2>/dev/null | head -1)
  [ -s "$kdeb" ] || { fail "the kernel package ${KPKG%% *} is not in $IMAGES/debs (run make images)"; exit 1; }
  local mods=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover
              net_failover virtio_net sch_ingress cls_bpf)
  mkdir -p "$WORK/g/deb"
  dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$WORK/g/deb" --wildcards \
    $(printf "./lib/modules/*/%s.ko " "${mods[@]/#/*\/}") 2>"$WORK/mods.log"
  printf '%s\n' "${mods[@]}" >"$WORK/g/order"
  KMOD_LAYER=("$WORK/g/rackboot.ko=/lib/rackboot.ko" "$WORK/g/rackbootd=/usr/bin/rackbootd"
              "$WORK/g/order=/lib/modules/order")
  for m in "${mods[@]}"; do
    ko=$(find "$WORK/g/deb" -name "$m.ko" | head -1)
    [ -n "$ko" ] || { fail "$m.ko is not in $kdeb"; cat "$WORK/mods.log"; exit 1; }
    KMOD_LAYER+=("$ko=/lib/modules/$m.ko")
  done
}

# Start guest NAME (kmod_initrd with KMOD_LAYER, TEST as its /test.sh) and
# return: a virtio-net NIC with address MAC on tap TAP in br0 of $NS_SRV
# (e2e_net, made the first time). kmod_line then reads its console as it
# runs; qemu_wait_all, qemu_result and kmod_report end it.
kmod_nic_guest() { # name, test, tap, mac
  [ -n "${_KMOD_NET:-}" ] || { e2e_net; _KMOD_NET=1; }
  e2e_tap "$3"
  kmod_initrd "$1" "$2" "${KMOD_LAYER[@]}"
  qemu_start "$1" -netdev "tap,id=n0,ifname=$3,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=$4" "${KMOD_KERNEL_ARGS[@]}"
  _KMOD_RUNNING=$1
}

# The first line of the running guest's console that matches the extended
# regex, within SECS; fails when the guest ended or the time passed.
kmod_line() { # regex, secs
  local end=$((SECONDS + $2)) l
  while [ $SECONDS -lt $end ]; do
    l=$(plain_log "$WORK/$_KMOD_RUNNING.serial.log" | grep -aE "$1" | head -1)
    [ -n "$l" ] && { echo "$l"; return 0; }
    kill -0 "${_QPID[$_KMOD_RUNNING]}" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
