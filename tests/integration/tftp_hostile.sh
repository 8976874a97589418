#!/usr/bin/env bash
# Malformed and hostile datagrams to $TFTPD's listen port (and to a live
# transfer's TID), sent with python3 from the client namespace: truncated and
# unterminated requests, unknown opcodes, stray ACK/DATA/ERROR/OACK, absurd
# options, bad modes, 1000 seeded random datagrams, a 65507-byte datagram.
# Afterwards the server must still be running and serve intact data.
# The per-case expectations live in tftpc.py (hostile).
source "$(dirname "$0")/lib.sh"
need python3 atftp cmp "$TFTPD"
netns_setup
at_exit ns_kill_all

D=$WORK/root O=$WORK/out
mkdir -p "$D" "$O"
P=6969
mkrand "$D/hello.bin" 200000
# no -c: random WRQs must not litter the root
start_tftpd_logged "$TFTPD" $P -s -u root "$D"
MAIN_PID=$SRV_PID

check "a normal get works before the abuse" \
  eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP $P hello.bin --out "$O/before.bin" >/dev/null && same "$D/hello.bin" "$O/before.bin"'

t0=$SECONDS
while read -r verdict desc; do
  case $verdict in
    PASS) ok "$desc" ;;
    FAIL) fail "$desc" ;;
    *) echo "# $verdict $desc" ;;
  esac
done < <(in_cli timeout 100 python3 "$TFTPC" hostile $SRV_IP $P 2>&1; echo "DONE rc=$?")
echo "# hostile suite took $((SECONDS - t0))s"

check "server process ($MAIN_PID) still alive" kill -0 $MAIN_PID
check "server still listening on $P" eval 'in_srv ss -Hlun "sport = :$P" | grep -q .'
check "nothing was created in the root by random WRQs" \
  test "$(find "$D" -mindepth 1 | wc -l)" = 1
check "normal get afterwards (python, blksize 1468) returns intact data" \
  eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP $P hello.bin --opt blksize=1468 --out "$O/after1.bin" >/dev/null && same "$D/hello.bin" "$O/after1.bin"'
for o in "" "--opt blksize=1468"; do
  check "RRQ sent twice from the same port ${o:+($o) }still gives one intact transfer" \
    eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP $P hello.bin --dup-rrq $o --out "$O/dup.bin" >/dev/null && same "$D/hello.bin" "$O/dup.bin"'
done
check "normal get afterwards (atftp) returns intact data" \
  eval 'in_cli timeout 30 atftp --get -r hello.bin -l "$O/after2.bin" $SRV_IP $P >"$O/after2.log" 2>&1 && same "$D/hello.bin" "$O/after2.bin"'
finish
