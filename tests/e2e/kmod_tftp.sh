#!/usr/bin/env bash
# Issue 13: rackbootd serving TFTP through rackboot.ko, in a QEMU TCG guest
# of Debian 12's kernel (tests/tools/kmod-e2e.sh) with a virtio-net NIC on a
# tap in this test's namespace. The guest (tests/tools/kmod-tftp-guest.sh)
# loads the NIC's modules from Debian's package and rackboot.ko, makes files
# of 0 B to 100 MiB and runs the static rackbootd with RACKBOOT_KMOD=require;
# real clients here (atftp, tftp-hpa, tests/integration/tftpc.py and
# rackboot-storm's nodes, through DHCP) fetch them
# with blksize 512 to 1468 and windowsize 1 to 16 and must get them
# bit-exact (sha256 against the guest's), first with XDP native + TC (XDP
# sends the windows), then TC only; a file truncated and one rewritten in
# place mid-transfer (tests/tools/kmod_tftp_cut.py, TC) must never deliver
# a byte that was not in them; rackbootd's metrics must show the kernel served
# the transfers; rmmod is refused while rackbootd's programs are attached
# and succeeds after it stops; rackbootd without the module falls back to
# the map-based fast path, says so, and still serves bit-exact.
source "$(dirname "$0")/lib-e2e.sh"
source "$ROOT/tests/tools/kmod-e2e.sh"
GUEST_IP=198.18.0.10
BOOT_BOUND=${KMOD_TFTP_BOUND:-900}
QEMU_MEM=${KMOD_TFTP_MEM:-1024}

need "$QEMU" timeout cpio gzip readelf make pahole bpftool xz dpkg-deb apt-get atftp tftp python3 sha256sum curl
for f in vmlinuz initrd.img MANIFEST; do
  [ -s "$IMAGES/$f" ] || { fail "$IMAGES/$f missing (run make images)"; exit 1; }
done
kmod_fresh build/rackboot-storm
rm -rf "$E2E_LOGDIR"; mkdir -p "$E2E_LOGDIR"
at_exit "cp -p $WORK/*.log $WORK/*.out $E2E_LOGDIR/ 2>/dev/null"
kmod_build
kmod_nic_layer

# -- the guest, on a tap in br0 ------------------------------------------------------
kmod_nic_guest kmod-tftp "$ROOT/tests/tools/kmod-tftp-guest.sh" kt0 52:54:00:6b:6d:01
serial=$WORK/kmod-tftp.serial.log
guest_says() { kmod_line "^$1\$" "$2" >/dev/null; }   # word, secs: a line of its own
ask() { in_srv timeout 10 python3 "$ROOT/tests/integration/tftpc.py" first $GUEST_IP 69 \
          "rrq('kmod-$1')" --wait 1 >/dev/null 2>&1; }
t0=$EPOCHREALTIME
if guest_says KMOD-READY 300; then
  echo "# the guest serves after $(e2e_secs "$t0")s"
else
  fail "the guest's rackbootd serves with rackboot.ko (KMOD-READY within 300 s)"
fi

declare -A size sum
while read -r _ n s h; do size[$n]=$s; sum[$n]=$h; done < <(plain_log "$serial" | grep -a '^KMOD-FILE ')
got_file() { # name, received file: its sha256 is the guest's
  [ -n "${sum[$1]:-}" ] && [ "$(sha256sum <"$2" | cut -d' ' -f1)" = "${sum[$1]}" ]
}
cli() { in_srv timeout "${CLI_SECS:-120}" "$@"; }
mkdir -p "$WORK/out"
get() { # client, name, blksize, windowsize -> $WORK/out/<name>.<client>.<blksize>.<windowsize>
  local c=$1 n=$2 bs=$3 ws=$4 out=$WORK/out/$2.$1.$3.$4
  case $c in
    atftp) cli atftp --get -r "$n" -l "$out" --option "blksize $bs" --option "windowsize $ws" \
             $GUEST_IP 69 >/dev/null 2>&1 ;;
    tftp-hpa) cli tftp $GUEST_IP -m binary -c get "$n" "$out" >/dev/null 2>&1 ;;
    tftpc) cli python3 "$ROOT/tests/integration/tftpc.py" get $GUEST_IP 69 "$n" --out "$out" \
             --opt blksize=$bs --opt windowsize=$ws --deadline 110 >/dev/null 2>&1 ;;
  esac
  got_file "$n" "$out"
}

# -- many sizes, block sizes and windows ----------------------------------------------
t1=$EPOCHREALTIME
runs=0 bad=()
for n in f0 f1 f511 f512 f513 f1467 f1468 f1469 f65535 f65536 f1048579 f10485763; do
  specs=("atftp 1468 16" "atftp 512 1" "tftpc 1432 4" "tftpc 1024 8" "tftpc 8 1")
  [ "${size[$n]:-0}" -le 65536 ] && specs+=("tftp-hpa 512 1" "atftp 1468 2")
  [ "${size[$n]:-0}" -gt 1048576 ] && specs=("atftp 1468 16" "tftpc 1432 4" "atftp 512 8")
  for spec in "${specs[@]}"; do
    read -r c bs ws <<<"$spec"
    runs=$((runs + 1))
    get "$c" "$n" "$bs" "$ws" || bad+=("$n:$c,$bs,$ws")
  done
done
if [ ${#bad[@]} = 0 ]; then
  ok "$runs transfers of 12 files (0 B to 10 MiB), blksize 8 to 1468, windowsize 1 to 16, atftp, tftp-hpa and tftpc: all bit-exact ($(e2e_secs "$t1")s)"
else
  fail "$runs transfers bit-exact: ${#bad[@]} wrong (${bad[*]:0:10})"
fi
t1=$EPOCHREALTIME
CLI_SECS=400 get atftp f104857601 1468 16
check "100 MiB (f104857601), atftp blksize 1468 windowsize 16: bit-exact ($(e2e_secs "$t1")s)" \
  got_file f104857601 "$WORK/out/f104857601.atftp.1468.16"

# rackboot-storm: 20 nodes through the guest's DHCP and TFTP at once, from a
# namespace of their own on a veth into br0
storm_bin
netns_add "$PFX-st"
ip link add ks0 netns "$NS_SRV" type veth peer name ks1 netns "$PFX-st" &&
  ip -n "$NS_SRV" link set ks0 master br0 up && ip -n "$PFX-st" link set ks1 up ||
  { fail "a veth for the storm"; exit 1; }
t1=$EPOCHREALTIME
ip netns exec "$PFX-st" timeout 200 "$STORM" --interface ks1 --nodes 20 --mix bios=50,uefi=50 \
  --phases dhcp,tftp --max-time 180 >"$WORK/storm.out" 2>&1
check "rackboot-storm: 20 BIOS and UEFI nodes through DHCP and TFTP of the boot programs ($(grep -a '^completed' "$WORK/storm.out"), $(e2e_secs "$t1")s)" \
  grep -q '^completed 20 of 20, failed 0' "$WORK/storm.out"

# the kernel served them: rackbootd's metrics
metrics() { in_srv curl -s -m 10 "http://$GUEST_IP:80/metrics"; }
kernel_sessions() { sed -n "s/^rackboot_tftp_kernel_sessions_total{event=\"$1\"} //p" "$WORK/metrics.out"; }
metrics >"$WORK/metrics.out"
grep -E '^rackboot_(tftp_kernel_sessions_total|fastpath_packets_total\{kind="tftp)' "$WORK/metrics.out" |
  sed 's/^/# /'
handed=$(kernel_sessions handed_over) done_k=$(kernel_sessions completed)
frames=$(sed -n 's/^rackboot_fastpath_packets_total{kind="tftp_data",verdict="sent"} //p' "$WORK/metrics.out")
# (every transfer above: the $runs, the 100 MiB, 20 storm nodes' and the UEFI
# nodes' size probes; nearly all complete there: a client that stalls on this
# busy TCG guest is taken back and finished from userspace, bit-exact too)
check "XDP + TC: rackbootd handed all ${handed:-0} transfers to the kernel (at least $((runs + 21)) expected), ${done_k:-0} completed there, ${frames:-0} DATA frames built in the kernel from the page cache" \
  eval '[ "${handed:-0}" -ge $((runs + 21)) ] && [ "${done_k:-0}" -ge $(((runs + 21) * 9 / 10)) ] && [ "${frames:-0}" -gt 100000 ]'


# -- TC only: the skb side of the module's reads ----------------------------------------
tc_runs=0
ask tc
if guest_says KMOD-READY-TC 120; then
  bad=()
  for n in f1 f1469 f65536 f1048579 f10485763; do
    for spec in "atftp 1468 16" "tftpc 512 1" "tftpc 1432 4"; do
      read -r c bs ws <<<"$spec"
      tc_runs=$((tc_runs + 1))
      get "$c" "$n" "$bs" "$ws" || bad+=("$n:$c,$bs,$ws")
    done
  done
  check "TC only: $tc_runs transfers (1 B to 10 MiB, windowsize 1 to 16) bit-exact${bad:+ (wrong: ${bad[*]})}" \
    [ ${#bad[@]} = 0 ]
else
  fail "the guest restarted rackbootd attached by TC only (KMOD-READY-TC within 120 s)"
fi

# -- a file truncated, and one rewritten, under a transfer (TC) --------------------------
for n in trunc.bin rewrite.bin rewrite.new; do
  get tftpc "$n" 1468 16 || fail "$n before the change, bit-exact"
done
r=$(cli python3 "$ROOT/tests/tools/kmod_tftp_cut.py" $GUEST_IP trunc.bin kmod-truncate 300 \
      "$WORK/out/trunc.cut" blksize=512)
echo "# truncated under the transfer: $r; the guest: $(plain_log "$serial" | grep -a '^KMOD-DID truncate')"
check "a file cut to 3 MiB under a transfer: what arrived is a prefix of the file, never other bytes ($(stat -c %s "$WORK/out/trunc.cut") bytes, ${r%% (*})" \
  python3 -c 'import sys; a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read(); sys.exit(not (a == b[:len(a)] and len(a) < len(b)))' \
  "$WORK/out/trunc.cut" "$WORK/out/trunc.bin.tftpc.1468.16"
r=$(cli python3 "$ROOT/tests/tools/kmod_tftp_cut.py" $GUEST_IP rewrite.bin kmod-rewrite 300 \
      "$WORK/out/rewrite.cut" blksize=512)
echo "# rewritten under the transfer: $r"
mix=$(python3 - "$WORK/out/rewrite.cut" "$WORK/out/rewrite.bin.tftpc.1468.16" "$WORK/out/rewrite.new.tftpc.1468.16" <<'EOF'
import sys
got, old, new = (open(p, 'rb').read() for p in sys.argv[1:4])
alien = sum(1 for i, c in enumerate(got) if i >= len(old) or (c != old[i] and c != new[i]))
fresh = sum(1 for i, c in enumerate(got) if i < len(old) and c == new[i] and c != old[i])
print(len(got), alien, fresh)
EOF
)
read -r mlen malien mfresh <<<"$mix"
check "a file rewritten in place under a transfer: all of it arrived (${mlen:-?} bytes), each byte the old or the new one (${malien:-?} others), ${mfresh:-?} new" \
  eval '[[ "$r" == OK* ]] && [ "${mlen:-0}" = 8388608 ] && [ "${malien:-1}" = 0 ]'

metrics >"$WORK/metrics.out"
handed=$(kernel_sessions handed_over) done_k=$(kernel_sessions completed)
check "TC only: rackbootd handed ${handed:-0} transfers to the kernel (at least $((tc_runs + 5)) expected), ${done_k:-0} completed there" \
  eval '[ "${handed:-0}" -ge $((tc_runs + 5)) ] && [ "${done_k:-0}" -ge $((tc_runs + 4)) ]'

# -- then: rmmod, and the daemon without the module ------------------------------------------
ask stop
if guest_says KMOD-READY2 120; then
  get atftp f1048579 1468 4
  check "without rackboot.ko (map-based fast path): f1048579 bit-exact" \
    got_file f1048579 "$WORK/out/f1048579.atftp.1468.4"
else
  fail "the guest restarted rackbootd without the module (KMOD-READY2 within 120 s)"
fi
ask done
qemu_wait_all
qemu_result kmod-tftp
kmod_report kmod-tftp
echo "# kmod_tftp: $(e2e_secs)s in all (guest ${BOOT_SECS}s)"
finish
