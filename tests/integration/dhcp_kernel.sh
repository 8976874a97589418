#!/usr/bin/env bash
# DHCP answered in the kernel, with real clients, on a plain veth pair:
# busybox udhcpc and dhclient get leases whose OFFERs came from the eBPF
# fast path (the ACKs from the daemon, after the lease is durable); PXE
# clients of every kind get the same boot file whichever path answers;
# while the daemon is stopped (SIGSTOP) DISCOVERs are still answered —
# a known client gets its own address, new ones distinct addresses from
# the stock — and once it runs again every kernel offer is held, so the
# REQUESTs are ACKed with exactly those addresses and no address goes to
# two clients. In proxy mode the kernel answers the proxy DISCOVER and the
# port-4011 request.
source "$(dirname "$0")/lib.sh"
need busybox dhclient timeout curl /usr/bin/python3 "$RACKBOOTD"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }
rb_bin
netns_setup
at_exit ns_kill_all
mkdir -p "$WORK/root" "$WORK/state"
ipxe_files "$WORK/root"
ARGS=(--interface "$PFX-s" --address $SRV_IP/24 --root "$WORK/root" --state-dir "$WORK/state"
      --dhcp-range 198.18.0.100,198.18.0.199 --http-port 8080 -v)
start_rackbootd "${ARGS[@]}"
wait_until 5 grep -q "dhcp fast path:" "$WORK/rackbootd.log"
check "the DHCP side of the fast path is filled: $(grep -o 'dhcp fast path: [0-9]* templates.*' "$WORK/rackbootd.log" | head -1)" \
  grep -q "dhcp fast path: [1-9][0-9]* templates, .* [1-9][0-9]* addresses in stock" "$WORK/rackbootd.log"
kernel_answers() { http_metric 8080 'rackboot_dhcp_messages_total{type="answered_in_kernel"}'; }

# busybox udhcpc: the script records the lease
dhcp_hook_script "$WORK/udhcpc.sh" "$WORK/u"
in_cli timeout 20 busybox udhcpc -i "$PFX-c" -n -q -s "$WORK/udhcpc.sh" >/dev/null 2>&1
ip=$(kv_get "$WORK/u.bound" ip 2>/dev/null)
check "udhcpc got a lease in the range ($ip)" ip_in_range "${ip:-0}" 198.18.0.100 198.18.0.199
check "its OFFER came from the kernel (log: DHCPOFFER (kernel) $ip)" grep -q "DHCPOFFER (kernel) $ip " "$WORK/rackbootd.log"
check "and its ACK from the daemon, after the lease was committed" grep -q "^DHCPACK $ip " "$WORK/rackbootd.log"
check "the lease is in the store" eval '"$RACKBOOTD" --list-leases --state-dir "$WORK/state" | grep -q "^$ip "'

# PXE clients of every kind: boot file and server identical to --no-bpf's
i=0
for kind in bios efi7 efi9 arm64 http ipxe; do
  i=$((i + 1))
  out=$(in_cli $DHCPC pxe "$PFX-c" "$kind" --mac "02:00:00:00:01:0$i" 2>/dev/null)
  echo "$out" >"$WORK/pxe-$kind"
  check "PXE $kind: offered an address and a boot file ($(kv file <<<"$out"))" \
    eval '[ -n "$(kv yiaddr <<<"$out")" ] && [ -n "$(kv file <<<"$out")" ]'
done
n=$(kernel_answers)
check "/metrics counts the replies the kernel sent ($n)" [ "${n:-0}" -ge 7 ]

# SIGSTOP: the daemon answers nothing; the kernel still offers
kill -STOP "$RB_PID"
at_exit "kill -CONT $RB_PID"
known=$(in_cli $DHCPC pxe "$PFX-c" bios --mac "02:00:00:00:01:01" 2>/dev/null | kv yiaddr)
check "daemon stopped: a known client is offered its own address again ($known)" \
  [ "$known" = "$(kv yiaddr <"$WORK/pxe-bios")" ]
: >"$WORK/offers"
for i in 1 2 3 4 5 6; do
  in_cli $DHCPC pxe "$PFX-c" bios --mac "02:00:00:00:02:0$i" 2>/dev/null | kv yiaddr >>"$WORK/offers"
done
check "daemon stopped: 6 new clients are offered 6 distinct addresses ($(tr '\n' ' ' <"$WORK/offers"))" \
  eval '[ "$(grep -c . "$WORK/offers")" = 6 ] && [ "$(sort -u "$WORK/offers" | grep -c .)" = 6 ]'
kill -CONT "$RB_PID"
sleep 0.5
check "after SIGCONT the daemon holds the kernel's offers" \
  eval '[ "$(grep -c "DHCPOFFER (kernel)" "$WORK/rackbootd.log")" -ge 13 ]'
# the six REQUEST what they were offered and get exactly that
good=0
for i in 1 2 3 4 5 6; do
  want=$(sed -n "${i}p" "$WORK/offers")
  got=$(in_cli $DHCPC pxe "$PFX-c" bios --mac "02:00:00:00:02:0$i" --dora 2>/dev/null | kv yiaddr)
  [ -n "$want" ] && [ "$got" = "$want" ] && good=$((good + 1))
done
check "each of them is ACKed the address the kernel offered while the daemon was stopped ($good of 6)" [ $good = 6 ]
dups=$("$RACKBOOTD" --list-leases --state-dir "$WORK/state" | awk 'NR > 1 && $3 == "bound" {print $2}' | sort | uniq -d | wc -l)
check "no address bound to two clients" [ "$dups" = 0 ]
stop_pid "$RB_PID"

# proxy mode: the kernel answers the proxy DISCOVER and the port-4011 request
: >"$WORK/rackbootd.log"
start_rackbootd --interface "$PFX-s" --address $SRV_IP/24 --root "$WORK/root" --proxy-dhcp \
  --http-port 8080 -v
wait_until 5 grep -q "dhcp fast path:" "$WORK/rackbootd.log"
out=$(in_cli $DHCPC pxe "$PFX-c" efi7 --mac 02:00:00:00:03:01 2>/dev/null)
check "proxy: EDK2's DISCOVER gets ipxe.efi and no address from the kernel" \
  eval '[ "$(kv file <<<"$out")" = ipxe.efi ] && [ "$(kv yiaddr <<<"$out")" = 0.0.0.0 ] &&
        grep -q "proxyDHCP OFFER (kernel)" "$WORK/rackbootd.log"'
in_cli ip addr add 198.18.0.50/24 dev "$PFX-c" 2>/dev/null
out=$(in_cli $DHCPC pxe "$PFX-c" efi7 --port 4011 --server $SRV_IP --ciaddr 198.18.0.50 --mac 02:00:00:00:03:01 2>/dev/null)
check "proxy: the port-4011 request gets its ACK from the kernel" \
  eval '[ "$(kv file <<<"$out")" = ipxe.efi ] && grep -q "PXE boot ACK (kernel)" "$WORK/rackbootd.log"'
finish
