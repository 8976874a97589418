#!/usr/bin/env bash
# make demo, part 1: start build/rackbootd (DHCP + TFTP) with the bundled iPXE boot
# programs in a private network namespace; let crafted firmware of every
# kind (BIOS PXE, UEFI x64/arm64 PXE, UEFI HTTP boot, iPXE) ask it for an
# address and a boot file, fetch the files the way real clients do
# (iPXE blksize 1432, UEFI tsize + blksize 1468 + windowsize 4, tftp-hpa,
# curl, busybox), then a burst of 50 parallel fetches, and list the leases.
# Part 2 (scripts/demo-boot.sh) boots real QEMU machines from rackbootd:
# one, then three at once, and prints the daemon's timeline of each.
# Prints what happened and cleans up, whatever happens.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash images/build.sh >/dev/null || exit 1
PFX=rbdemo$$
NS_SRV=$PFX-srv NS_CLI=$PFX-cli SRV=198.18.0.1 CLI=198.18.0.2
WORK=$(mktemp -d /tmp/rackboot-demo.XXXXXX)
cleanup() {
  [ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
  ip netns del "$NS_SRV" 2>/dev/null; ip netns del "$NS_CLI" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || { echo "demo: cannot create network namespaces (need root)"; exit 1; }
ip link add "$PFX-s" netns "$NS_SRV" type veth peer name "$PFX-c" netns "$NS_CLI"
ip -n "$NS_SRV" addr add $SRV/24 dev "$PFX-s"; ip -n "$NS_SRV" link set "$PFX-s" up; ip -n "$NS_SRV" link set lo up
ip -n "$NS_CLI" addr add $CLI/24 dev "$PFX-c"; ip -n "$NS_CLI" link set "$PFX-c" up; ip -n "$NS_CLI" link set lo up

mkdir -p "$WORK/tftpboot" "$WORK/out" "$WORK/state"
cp build/images/*.kpxe build/images/*.efi "$WORK/tftpboot/"
chmod 0755 "$WORK/tftpboot"; chmod 0644 "$WORK"/tftpboot/*

echo "== rackboot demo: build/rackbootd serving $(ls "$WORK/tftpboot" | tr '\n' ' ')"
echo "   server $SRV (namespace $NS_SRV), clients on $CLI (namespace $NS_CLI)"
ARGS=(--interface "$PFX-s" --address $SRV/24 --dhcp-range 198.18.0.100,198.18.0.199
      --root "$WORK/tftpboot" --state-dir "$WORK/state")
echo "   command: rackbootd ${ARGS[*]}"
ip netns exec "$NS_SRV" "$ROOT/build/rackbootd" "${ARGS[@]}" --stderr -v 2>"$WORK/server.log" &
SRV_PID=$!
for _ in $(seq 50); do ip netns exec "$NS_SRV" ss -Hlun 'sport = :67' | grep -q . && break; sleep 0.1; done

echo
echo "== DHCP: each kind of firmware asks for an address and a boot file"
dhcp_bad=0
for kind in bios efi9 arm64 http ipxe; do
  out=$(timeout 20 ip netns exec "$NS_CLI" /usr/bin/python3 tests/integration/dhcpc.py pxe "$PFX-c" $kind --dora 2>&1)
  type=$(sed -n 's/^type=//p' <<<"$out"); addr=$(sed -n 's/^yiaddr=//p' <<<"$out")
  file=$(sed -n 's/^file=//p' <<<"$out"); next=$(sed -n 's/^siaddr=//p' <<<"$out")
  [ "$type" = ACK ] || dhcp_bad=$((dhcp_bad + 1))
  case $kind in bios) what="BIOS PXE ROM (arch 0)";; efi9) what="UEFI x64 PXE (arch 9)";;
    arm64) what="UEFI arm64 PXE (arch 11)";; http) what="UEFI HTTP boot (arch 16)";; ipxe) what="iPXE (user class iPXE)";; esac
  printf '  %-28s %-4s %-15s next-server %-10s file %s\n' "$what" "${type:-none}" "$addr" "$next" "$file"
done

ok=0; bad=0
fetch() { # label, file, command...
  local label=$1 file=$2; shift 2
  local out="$WORK/out/$file.$ok$bad" t0 t1
  t0=$(date +%s.%N)
  if timeout 30 ip netns exec "$NS_CLI" "$@" "$out" >/dev/null 2>&1 && cmp -s "$out" "$WORK/tftpboot/$file"; then
    t1=$(date +%s.%N); ok=$((ok + 1))
    printf '  %-44s %-14s %8d bytes  %6.3f s  intact\n' "$label" "$file" "$(stat -c %s "$out")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
  else
    bad=$((bad + 1)); printf '  %-44s %-14s FAILED\n' "$label" "$file"
  fi
  rm -f "$out"
}
echo
echo "== single clients"
fetch "iPXE-like (atftp, blksize 1432, tsize)" undionly.kpxe atftp --option "blksize 1432" --option "tsize 0" --get -r undionly.kpxe $SRV 69 -l
fetch "UEFI-like (atftp, blksize 1468, windowsize 4)" ipxe.efi atftp --option "blksize 1468" --option "tsize 0" --option "windowsize 4" --get -r ipxe.efi $SRV 69 -l
fetch "tftp-hpa tftp (lockstep, 512-byte blocks)" snponly.efi sh -c "cd $WORK/out && tftp -m binary $SRV -c get snponly.efi \"\$0\"" 
fetch "curl tftp:// (blksize 1468)" ipxe.efi curl -s --tftp-blksize 1468 tftp://$SRV/ipxe.efi -o
fetch "busybox tftp (blksize 1400)" undionly.kpxe busybox tftp -g -r undionly.kpxe -b 1400 $SRV -l
echo
echo "== a burst: 50 UEFI-like clients at once fetching ipxe.efi"
t0=$(date +%s.%N)
pids=()
for i in $(seq 50); do
  timeout 60 ip netns exec "$NS_CLI" atftp --option "blksize 1468" --option "windowsize 4" --get -r ipxe.efi -l "$WORK/out/burst.$i" $SRV 69 >/dev/null 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
t1=$(date +%s.%N)
burst_ok=0
for i in $(seq 50); do cmp -s "$WORK/out/burst.$i" "$WORK/tftpboot/ipxe.efi" && burst_ok=$((burst_ok + 1)); done
printf '  %d of 50 transfers intact in %.2f s (%d KiB each)\n' $burst_ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" $(( $(stat -c %s "$WORK/tftpboot/ipxe.efi") / 1024 ))
cpu=$(awk '{print ($14 + $15) / 100}' /proc/$SRV_PID/stat)
echo
echo "== leases, as committed before each DHCPACK left (rackbootd --list-leases)"
"$ROOT/build/rackbootd" --list-leases --state-dir "$WORK/state" | sed 's/^/  /'
echo
echo "== server log (first lines)"
grep -v "^RRQ" "$WORK/server.log" | head -8 | sed 's/^/  /'
echo "  ... $(wc -l < "$WORK/server.log") lines in all; server CPU time so far ${cpu}s"
echo
total_bad=$((bad + 50 - burst_ok + dhcp_bad))
echo "== so far: 5 firmware kinds through DHCP ($dhcp_bad failed), $((ok + burst_ok)) TFTP transfers intact"
kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; SRV_PID=

echo
echo "######## Part 2: real machines boot (QEMU) ########"
bash scripts/demo-boot.sh || total_bad=$((total_bad + 1))
echo
echo "== demo: $total_bad failures in all"
[ $total_bad = 0 ]
