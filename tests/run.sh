#!/usr/bin/env bash
# Runs the whole suite and ends with "N passed, N failed".
# Every test prints TAP lines ("ok - name" / "not ok - name"); this counts them.
# A test program that exits non-zero without reporting a failure counts as one.
# FUZZ_SECONDS (default 10) bounds each libFuzzer target; TESTS=pattern filters.
set -u
cd "$(dirname "$0")/.."
B=build
LOG=$B/test-logs
mkdir -p "$LOG"
pass=0; fail=0; failed=()
pattern=${TESTS:-}

run_one() { # name, command...
  local name=$1; shift
  [ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && return 0
  local log="$LOG/${name//\//_}.log" start=$SECONDS rc
  "$@" >"$log" 2>&1 </dev/null; rc=$?
  local p f
  p=$(grep -cE '^ok ' "$log"); f=$(grep -cE '^not ok ' "$log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $name exited $rc" >>"$log"; fi
  if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; echo "not ok - $name reported no result" >>"$log"; fi
  pass=$((pass + p)); fail=$((fail + f))
  printf '%-48s %4d passed %3d failed  %4ds\n' "$name" "$p" "$f" $((SECONDS - start))
  if [ "$f" != 0 ]; then
    failed+=("$name")
    grep -E '^not ok ' "$log" | head -20 | sed 's/^/    /'
    echo "    --- last lines of $log ---"; tail -25 "$log" | sed 's/^/    | /'
  fi
}

run_one "layers" bash tests/tools/check_layers.sh
export CMOCKA_MESSAGE_OUTPUT=TAP
for t in $B/tests/test_*; do run_one "unit/$(basename "$t")" "$t"; done
for t in $B/tests-san/test_*; do run_one "unit-asan/$(basename "$t")" "$t"; done
for f in $B/fuzz/fuzz_*; do
  n=$(basename "$f")
  run_one "fuzz/$n" bash tests/fuzz/run-one.sh "$f" "${FUZZ_SECONDS:-10}"
done
for t in tests/integration/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  run_one "integration/$(basename "$t" .sh)" bash "$t"
done
# The server built with ASan/UBSan against the hostile, EDK2, live-file and
# real-client suites: any memory error aborts it and fails the test. (No
# leak check here: LeakSanitizer needs /proc, which -s chroots away; the
# unit tests run under LeakSanitizer.)
for t in tftp_hostile tftp_uefi tftp_live_files tftp_clients; do
  run_one "integration-asan/$t" env TFTPD="$PWD/$B/san/bin/in.tftpd" \
    ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    bash "tests/integration/$t.sh"
done

# The TFTP suites again with the eBPF fast path on (in.tftpd --fastpath on
# the server's veth): the same real clients and hostile input, now
# answered by the kernel; each also checks that the kernel sent DATA.
for t in tftp_clients tftp_uefi tftp_live_files tftp_hostile tftp_remap; do
  run_one "integration-fastpath/$t" env TFTPD_FASTPATH=1 bash "tests/integration/$t.sh"
done

# rackbootd's suites run with the fast path on (the default); these again
# without it, so that both paths stay correct on their own.
for t in dhcp_pxe dhcp_proxy dhcp_clients storm_basic storm_proxy; do
  run_one "integration-nobpf/$t" env RB_EXTRA_ARGS=--no-bpf bash "tests/integration/$t.sh"
done

# rackbootd built with ASan/UBSan (and LeakSanitizer: it does not chroot)
# against hostile DHCP input, every boot client kind, and kill -9 restarts.
for t in dhcp_hostile dhcp_pxe dhcp_durability dhcp_clients http_files; do
  run_one "integration-asan/$t" env RACKBOOTD="$PWD/$B/san/bin/rackbootd" \
    ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    bash "tests/integration/$t.sh"
done

# ---------------------------------------------------------------------------
# End-to-end boots (tests/e2e): real firmware in QEMU (TCG, no KVM) boots
# from rackbootd to a kernel and initramfs. The images come first: built
# (reproducibly, twice) from Debian packages into build/images. About 4
# minutes in all; each VM is bounded (BOOT_BOUND, default 150 s).
run_one "e2e/images" bash tests/e2e/images.sh
for t in tests/e2e/*.sh; do
  case $(basename "$t") in lib-e2e.sh|images.sh) continue ;; esac
  run_one "e2e/$(basename "$t" .sh)" bash "$t"
done

# Real firmware once more with rackbootd's fast path off (it is on above).
for t in uefi_pxe bios_pxe_chain; do
  run_one "e2e-nobpf/$t" env RB_EXTRA_ARGS=--no-bpf bash "tests/e2e/$t.sh"
done

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
