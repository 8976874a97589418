#!/usr/bin/env bash
# The boot decision end to end: crafted PXE, UEFI, HTTP-boot and iPXE
# clients (scapy) against rackbootd as a full DHCP server and as proxyDHCP,
# on port 67 and on the PXE boot server port 4011; then the boot file they
# were given is fetched over rackbootd's own TFTP.
source "$(dirname "$0")/lib.sh"
need tftp /usr/bin/python3
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }
netns_setup
at_exit ns_kill_all
mkdir -p "$WORK/root" "$WORK/state"
for f in undionly.kpxe ipxe.efi snponly.efi; do
  cp "/usr/lib/ipxe/$f" "$WORK/root/$f" 2>/dev/null || head -c 70000 /dev/urandom >"$WORK/root/$f"
done
head -c 90000 /dev/urandom >"$WORK/root/ipxe-arm64.efi"
start_rackbootd --interface "$PFX-s" --address $SRV_IP/24 --dhcp-range 198.18.0.100,198.18.0.150 \
  --root "$WORK/root" --state-dir "$WORK/state" --http-port 8080 -v

U=http://$SRV_IP:8080
# kind | file | siaddr | vendor class echoed
while read -r kind file siaddr vc; do
  out=$(in_cli $DHCPC pxe "$PFX-c" "$kind" --dora)
  [ "$vc" = - ] && vc=""
  [ "$file" = - ] && file=""
  check "$kind: ACK"                      [ "$(kv type <<<"$out")" = ACK ]
  check "$kind: file '$file'"             [ "$(kv file <<<"$out")" = "$file" ]
  check "$kind: next-server $siaddr"      [ "$(kv siaddr <<<"$out")" = "$siaddr" ]
  check "$kind: vendor class '$vc'"       [ "$(kv vendor_class <<<"$out")" = "$vc" ]
  ip=$(kv yiaddr <<<"$out")
  check "$kind: address $ip in the range" bash -c "[[ $ip =~ ^198\.18\.0\.(1[0-4][0-9]|150)$ ]]"
done <<EOT
bios undionly.kpxe $SRV_IP PXEClient
efi7 ipxe.efi $SRV_IP PXEClient
efi9 ipxe.efi $SRV_IP PXEClient
arm64 ipxe-arm64.efi $SRV_IP PXEClient
http $U/ipxe.efi 0.0.0.0 HTTPClient
http-arm64 $U/ipxe-arm64.efi 0.0.0.0 HTTPClient
ipxe $U/boot.ipxe 0.0.0.0 -
ipxe175 $U/boot.ipxe 0.0.0.0 -
plain - 0.0.0.0 -
EOT

# The PXE boot server on 4011 (EDK2 asks there after a proxy offer).
out=$(in_cli $DHCPC pxe "$PFX-c" efi9 --port 4011 --server $SRV_IP --ciaddr $CLI_IP)
check "4011: ACK"               [ "$(kv type <<<"$out")" = ACK ]
check "4011: ipxe.efi"          [ "$(kv file <<<"$out")" = ipxe.efi ]
check "4011: no address"        [ "$(kv yiaddr <<<"$out")" = 0.0.0.0 ]
check "4011: reply from :4011"  [ "$(kv from <<<"$out")" = "$SRV_IP:4011" ]
out=$(in_cli $DHCPC pxe "$PFX-c" plain --port 4011 --server $SRV_IP --ciaddr $CLI_IP --wait 1)
check "4011: a non-PXE client gets no answer" [ "$(kv type <<<"$out")" = none ]

# The file a BIOS client was given comes over rackbootd's TFTP intact.
in_cli tftp $SRV_IP -m binary -c get undionly.kpxe "$WORK/got.kpxe" >/dev/null 2>&1
check "TFTP: undionly.kpxe from the same daemon" cmp -s "$WORK/got.kpxe" "$WORK/root/undionly.kpxe"

# Every ACKed client is in the lease table, bound.
n=$("$RACKBOOTD" --list-leases --state-dir "$WORK/state" | awk '$3 == "bound"' | wc -l)
check "9 bound leases listed (got $n)" [ "$n" = 9 ]

# proxyDHCP: boot information, never an address.
stop_pid $RB_PID
start_rackbootd --interface "$PFX-s" --address $SRV_IP/24 --proxy-dhcp --root "$WORK/root" \
  --http-port 8080 --state-dir "$WORK/pstate" -v
while read -r kind file; do
  out=$(in_cli $DHCPC pxe "$PFX-c" "$kind")
  check "proxy $kind: OFFER"            [ "$(kv type <<<"$out")" = OFFER ]
  check "proxy $kind: no address"       [ "$(kv yiaddr <<<"$out")" = 0.0.0.0 ]
  check "proxy $kind: file $file"       [ "$(kv file <<<"$out")" = "$file" ]
done <<EOT
bios undionly.kpxe
efi9 ipxe.efi
ipxe $U/boot.ipxe
EOT
out=$(in_cli $DHCPC pxe "$PFX-c" bios)
check "proxy bios: option 43 discovery control = boot this file" \
  [ "$(kv vendor_specific <<<"$out")" = 060108ff ]
out=$(in_cli $DHCPC pxe "$PFX-c" plain --wait 1)
check "proxy: a non-PXE client gets no answer" [ "$(kv type <<<"$out")" = none ]
out=$(in_cli $DHCPC pxe "$PFX-c" efi9 --port 4011 --server $SRV_IP --ciaddr $CLI_IP)
check "proxy 4011: ACK with ipxe.efi" [ "$(kv file <<<"$out")" = ipxe.efi ]
check "proxy: no lease store created" [ ! -e "$WORK/pstate/leases.sqlite3" ]
check "proxy: never offered an address" bash -c "! grep -E '^DHCP(OFFER|ACK) ' <(sed -n '/proxyDHCP/,\$p' '$WORK/rackbootd.log')"
finish
