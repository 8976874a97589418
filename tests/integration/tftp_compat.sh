#!/usr/bin/env bash
# "Drop-in, measured, not claimed": the reference tftpd-hpa ($REF_TFTPD,
# Debian's 5.2) and $TFTPD run side by side on different ports with the same
# root and the same flags. Each row of the table below sends one crafted
# request to both and asserts that the FIRST reply is identical: opcode; for
# OACK the option list (names as the client spelled them, order, values);
# for ERROR the code and message; for DATA the block number and length.
#
# Known, intended difference (rows marked [rackboot-only], expected to fail
# when $TFTPD is the reference): tftpd-hpa 5.2 does not implement RFC 7440
# windowsize and silently drops it from the OACK; rackboot's server does
# implement it and must acknowledge it (clamped by -W/--windowsize).
source "$(dirname "$0")/lib.sh"
need python3 "$TFTPD" "$REF_TFTPD"
netns_setup
at_exit ns_kill_all

D=$WORK/root
mkdir -p "$D/subdir"
mkrand "$D/f.bin" 2000
mkrand "$D/big.bin" 100000
: >"$D/empty.bin"; chmod 644 "$D/empty.bin"
printf 'a\nb\n' >"$D/text.txt"; chmod 644 "$D/text.txt"
mkrand "$D/noread.bin" 100; chmod 600 "$D/noread.bin"
mkrand "$D/readonly.bin" 100                       # 644: not world-writable
mkrand "$D/writable.bin" 100; chmod 666 "$D/writable.bin"
mkrand "$D/writable2.bin" 100; chmod 666 "$D/writable2.bin"
truncate -s 5G "$D/huge.bin"; chmod 644 "$D/huge.bin"

# Server configurations: name -> flags. Reference on 69xx, ours on 79xx.
declare -A FLAGS=(
  [base]="-s -u root"
  [B1024]="-s -u root -B 1024"
  [rblksize]="-s -u root -r blksize"
  [create]="-s -c -u root"
  [T100ms]="-s -u root -T 100000"
)
declare -A REFP=([base]=6901 [B1024]=6902 [rblksize]=6903 [create]=6904 [T100ms]=6905)
declare -A OURP=([base]=7901 [B1024]=7902 [rblksize]=7903 [create]=7904 [T100ms]=7905)
for cfg in base B1024 rblksize create T100ms; do   # (not $c: lib.sh's need() uses a global c)
  # shellcheck disable=SC2086
  start_ref_tftpd ${REFP[$cfg]} ${FLAGS[$cfg]} "$D"
  # shellcheck disable=SC2086
  start_tftpd_logged "$TFTPD" ${OURP[$cfg]} ${FLAGS[$cfg]} "$D"
done

first() { # port, packet expression
  in_cli timeout 10 python3 "$TFTPC" first $SRV_IP "$1" "$2" --wait 1.5
}
# The table is collected first and then run by one python process (tftpc.py
# table), which sends each request to the reference and to ours in turn and
# deletes files a WRQ created (wrq-new*) before the next server sees it.
ROWS=$WORK/rows
row() { # config, label, packet expression (see tftpc.py packet_expr)
  echo "${REFP[$1]}|${OURP[$1]}|[$1] $2|$3" >>"$ROWS"
}
run_rows() {
  local verdict label a b n=0
  while IFS='|' read -r verdict label a b; do
    n=$((n + 1))
    case $verdict in
      SAME) ok "compat $label: $a" ;;
      DIFF) fail "compat $label: reference '$a' vs ours '$b'" ;;
      *) fail "compat table: unexpected output '$verdict|$label|$a|$b'" ;;
    esac
  done < <(in_cli timeout 200 python3 "$TFTPC" table $SRV_IP --cleanup "$D/wrq-new*" <"$ROWS" 2>&1)
  [ $n = "$(wc -l <"$ROWS")" ] || fail "compat table: $n results for $(wc -l <"$ROWS") rows"
}

# --- RRQ option negotiation ---------------------------------------------------------
row base 'no options'                 "rrq('f.bin')"
row base 'blksize 1468'               "rrq('f.bin', 'octet', ('blksize', '1468'))"
row base 'blksize 8 (minimum)'        "rrq('f.bin', 'octet', ('blksize', '8'))"
row base 'blksize 7 (below minimum)'  "rrq('f.bin', 'octet', ('blksize', '7'))"
row base 'blksize 0'                  "rrq('f.bin', 'octet', ('blksize', '0'))"
row base 'blksize 65464 (maximum)'    "rrq('f.bin', 'octet', ('blksize', '65464'))"
row base 'blksize 70000 (clamped)'    "rrq('f.bin', 'octet', ('blksize', '70000'))"
row base 'blksize 1468abc (not a number)' "rrq('f.bin', 'octet', ('blksize', '1468abc'))"
row base 'blksize empty value'        "rrq('f.bin', 'octet', ('blksize', ''))"
row base 'blksize without a value (odd strings)' "b'\\x00\\x01f.bin\\x00octet\\x00blksize\\x00'"
row base 'blksize2 1000 (power of two)' "rrq('f.bin', 'octet', ('blksize2', '1000'))"
row base 'tsize 0'                    "rrq('big.bin', 'octet', ('tsize', '0'))"
row base 'tsize 0 of an empty file'   "rrq('empty.bin', 'octet', ('tsize', '0'))"
row base 'tsize 0 of a 5 GiB (sparse) file' "rrq('huge.bin', 'octet', ('tsize', '0'))"
row base 'tsize 12345 sent by the client on RRQ' "rrq('big.bin', 'octet', ('tsize', '12345'))"
row base 'timeout 5'                  "rrq('f.bin', 'octet', ('timeout', '5'))"
row base 'timeout 1'                  "rrq('f.bin', 'octet', ('timeout', '1'))"
row base 'timeout 255'                "rrq('f.bin', 'octet', ('timeout', '255'))"
row base 'timeout 0 (rejected)'       "rrq('f.bin', 'octet', ('timeout', '0'))"
row base 'timeout 256 (rejected)'     "rrq('f.bin', 'octet', ('timeout', '256'))"
row base 'utimeout 50000'             "rrq('f.bin', 'octet', ('utimeout', '50000'))"
row base 'utimeout 9999 (rejected)'   "rrq('f.bin', 'octet', ('utimeout', '9999'))"
row base 'unknown option'             "rrq('f.bin', 'octet', ('foo', 'bar'))"
row base 'unknown option + blksize'   "rrq('f.bin', 'octet', ('foo', 'bar'), ('blksize', '1024'))"
row base 'upper-case BLKSIZE'         "rrq('f.bin', 'octet', ('BLKSIZE', '1024'))"
row base 'mixed-case TSize'           "rrq('big.bin', 'octet', ('TSize', '0'))"
row base 'duplicate blksize'          "rrq('f.bin', 'octet', ('blksize', '1024'), ('blksize', '512'))"
row base 'duplicate tsize'            "rrq('f.bin', 'octet', ('tsize', '0'), ('tsize', '0'))"
row base 'rollover 0'                 "rrq('f.bin', 'octet', ('rollover', '0'))"
row base 'rollover 1'                 "rrq('f.bin', 'octet', ('rollover', '1'))"
row base 'rollover 70000 (rejected)'  "rrq('f.bin', 'octet', ('rollover', '70000'))"
row base 'blksize + tsize + timeout'  "rrq('big.bin', 'octet', ('blksize', '1468'), ('tsize', '0'), ('timeout', '3'))"
row base 'timeout 0 after a good blksize' "rrq('f.bin', 'octet', ('blksize', '1468'), ('timeout', '0'))"

# --- modes ------------------------------------------------------------------------------
row base 'netascii'                   "rrq('text.txt', 'netascii')"
row base 'netascii + tsize 0'         "rrq('text.txt', 'netascii', ('tsize', '0'))"
row base 'netascii + blksize 1024'    "rrq('text.txt', 'netascii', ('blksize', '1024'))"
row base 'NETASCII (upper-case mode)' "rrq('text.txt', 'NETASCII')"
row base 'OcTeT (mixed-case mode)'    "rrq('f.bin', 'OcTeT')"
row base 'mode binary (unknown)'      "rrq('f.bin', 'binary')"
row base 'mode mail'                  "rrq('f.bin', 'mail')"
row base 'missing mode'               "b'\\x00\\x01f.bin\\x00'"

# --- files ------------------------------------------------------------------------------
row base 'file not found'             "rrq('no-such-file')"
row base 'file not found + options'   "rrq('no-such-file', 'octet', ('blksize', '1468'), ('tsize', '0'))"
row base 'no world read permission'   "rrq('noread.bin')"
row base 'a directory'                "rrq('subdir')"
row base 'empty filename'             "rrq('')"
row base 'leading slash'              "rrq('/f.bin')"
row base 'unknown opcode 9'           "op(9, b'f.bin\\x00octet\\x00')"
row base 'DATA to the listen port'    "op(3, b'\\x00\\x01hello')"

# --- server flags -----------------------------------------------------------------------
row B1024 '-B 1024, blksize 1468 (clamped to 1024)' "rrq('f.bin', 'octet', ('blksize', '1468'))"
row B1024 '-B 1024, blksize 512'      "rrq('f.bin', 'octet', ('blksize', '512'))"
row B1024 '-B 1024, blksize 65464'    "rrq('f.bin', 'octet', ('blksize', '65464'))"
row rblksize '-r blksize, blksize 1468 (refused option ignored)' "rrq('f.bin', 'octet', ('blksize', '1468'))"
row rblksize '-r blksize, blksize 1468 + tsize 0' "rrq('f.bin', 'octet', ('blksize', '1468'), ('tsize', '0'))"
row rblksize '-r blksize, tsize 0 alone' "rrq('f.bin', 'octet', ('tsize', '0'))"

# --- WRQ ---------------------------------------------------------------------------------
row base 'WRQ without -c, new file'   "wrq('wrq-new.bin')"
row base 'WRQ without -c, file not world-writable' "wrq('readonly.bin')"
row base 'WRQ without -c, world-writable file' "wrq('writable.bin')"
row base 'WRQ world-writable + blksize + tsize' "wrq('writable.bin', 'octet', ('blksize', '1024'), ('tsize', '5000'))"
row base 'WRQ netascii + tsize'       "wrq('writable.bin', 'netascii', ('tsize', '5000'))"
row create 'WRQ with -c, new file'    "wrq('wrq-new.bin')"
row create 'WRQ with -c, new file + blksize' "wrq('wrq-new2.bin', 'octet', ('blksize', '1468'))"
row create 'WRQ with -c, missing directory' "wrq('no-such-dir/x.bin')"
row create 'WRQ with -c, existing file not world-writable' "wrq('readonly.bin')"

run_rows

# --- retransmission: request answered, client silent ---------------------------------------
# tftpd-hpa doubles the timeout after each send and gives up once it reaches
# 63 x the base timeout: 6 sends (0, .1, .3, .7, 1.5, 3.1 s with a 100 ms base).
srow() { # config, label, packet expression [, expression for ours]: same number and kind of packets
  local c=$1 label=$2 expr=$3 a b pid expr2=${4:-$3}
  in_cli timeout 20 python3 "$TFTPC" silent $SRV_IP ${REFP[$c]} "$expr" --listen 7 >"$WORK/silent.ref" &
  pid=$!     # both at once: each listens the full 7 s (tftpd-hpa gives up at 6.3 s)
  b=$(in_cli timeout 20 python3 "$TFTPC" silent $SRV_IP ${OURP[$c]} "$expr2" --listen 7)
  wait $pid; a=$(cat "$WORK/silent.ref")
  if [ "${a%%,*}" = "${b%%,*}" ]; then ok "compat [$c] $label: $b (reference: $a)"
  else fail "compat [$c] $label: reference '$a' vs ours '$b'"; fi
}
srow T100ms '-T 100000: DATA 1 resent with backoff, then abandoned' "rrq('f.bin')"
srow base 'utimeout 100000: OACK resent with backoff, then abandoned' "rrq('f.bin', 'octet', ('utimeout', '100000'))"
# (two files: both servers write-lock the file they receive into)
srow T100ms '-T 100000: WRQ ACK 0 resent with backoff, then abandoned' "wrq('writable.bin')" "wrq('writable2.bin')"

# --- whole transfers: the same bytes on the wire ---------------------------------------
# Text with CR and LF at every offset, so that netascii expansions straddle
# block boundaries; python's tftpc does no conversion and records the wire.
python3 - "$D/mixed.txt" <<'PY'
import random, sys
r = random.Random(7440)
data = bytes(r.choice(b'abcdefgh \n\n\r') for _ in range(20000)) + b'\r'
open(sys.argv[1], 'wb').write(data)
PY
chmod 644 "$D/mixed.txt"
xrow() { # config, label, file, tftpc get options...: same result line and bytes
  local c=$1 label=$2 f=$3 a b; shift 3
  a=$(in_cli timeout 60 python3 "$TFTPC" get $SRV_IP ${REFP[$c]} "$f" --out "$WORK/x.ref" "$@")
  b=$(in_cli timeout 60 python3 "$TFTPC" get $SRV_IP ${OURP[$c]} "$f" --out "$WORK/x.our" "$@")
  if [ "$a" = "$b" ] && cmp -s "$WORK/x.ref" "$WORK/x.our"; then ok "compat [$c] $label, whole transfer: $b"
  else fail "compat [$c] $label, whole transfer: reference '$a' vs ours '$b' ($(cmp "$WORK/x.ref" "$WORK/x.our" 2>&1))"; fi
  rm -f "$WORK/x.ref" "$WORK/x.our"
}
xrow base 'netascii of CR/LF-dense text' mixed.txt --mode netascii
xrow base 'netascii, blksize 1024' mixed.txt --mode netascii --opt blksize=1024
xrow base 'netascii, blksize 8' text.txt --mode netascii --opt blksize=8
xrow base 'octet, blksize 1468 + tsize' big.bin --opt blksize=1468 --opt tsize=0
xrow base 'octet, blksize 8' f.bin --opt blksize=8

# netascii upload: the stored file must be decoded identically by both.
python3 - "$D/mixed.txt" "$WORK/mixed.wire" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(d.replace(b'\r', b'\r\0').replace(b'\n', b'\r\n'))
PY
a=$(in_cli timeout 60 python3 "$TFTPC" put $SRV_IP ${REFP[create]} wrq-new-asc.txt --mode netascii --data "$WORK/mixed.wire")
mv "$D/wrq-new-asc.txt" "$WORK/asc.ref" 2>/dev/null
b=$(in_cli timeout 60 python3 "$TFTPC" put $SRV_IP ${OURP[create]} wrq-new-asc.txt --mode netascii --data "$WORK/mixed.wire")
mv "$D/wrq-new-asc.txt" "$WORK/asc.our" 2>/dev/null
check "compat [create] netascii WRQ of CR/LF-dense text stores the same file: $b (reference: $a)" \
  eval '[ "$a" = "$b" ] && cmp "$WORK/asc.ref" "$WORK/asc.our" && same "$D/mixed.txt" "$WORK/asc.our"'

# --- windowsize (RFC 7440): a deliberate difference ------------------------------------------
# tftpd-hpa 5.2 ignores the option (the OACK lacks it); ours must acknowledge it.
r=$(first ${REFP[base]} "rrq('big.bin', 'octet', ('blksize', '1468'), ('windowsize', '4'))")
check "reference 5.2 drops windowsize from its OACK (documents the difference): $r" \
  test "$r" = "OACK blksize=1468"
r=$(first ${OURP[base]} "rrq('big.bin', 'octet', ('blksize', '1468'), ('windowsize', '4'))")
check "[rackboot-only] windowsize 4 is acknowledged in the OACK: $r" \
  test "$r" = "OACK blksize=1468 windowsize=4"
r=$(first ${OURP[base]} "rrq('big.bin', 'octet', ('windowsize', '16'))")
check "[rackboot-only] windowsize 16 alone is acknowledged: $r" test "$r" = "OACK windowsize=16"
if is_ref_tftpd "$TFTPD"; then   # 5.2 has no -W (it would take "2" as a second directory)
  fail "[rackboot-only] -W 2 clamps windowsize 8 to 2: the reference has no -W option"
else
  OURW=7999
  start_tftpd_logged "$TFTPD" $OURW -s -u root -W 2 "$D"
  r=$(first $OURW "rrq('big.bin', 'octet', ('windowsize', '8'))")
  check "[rackboot-only] -W 2 clamps windowsize 8 to 2: $r" test "$r" = "OACK windowsize=2"
fi
r=$(first ${OURP[base]} "rrq('big.bin', 'octet', ('windowsize', '0'))")
check "[rackboot-only] windowsize 0 is never acknowledged as 0: $r" \
  eval '[[ $r != *windowsize=0* ]] && [[ $r =~ ^(OACK|DATA|ERROR) ]]'
r=$(in_cli timeout 30 python3 "$TFTPC" get $SRV_IP ${OURP[base]} big.bin --opt blksize=1468 --opt windowsize=8 --out "$WORK/w.out")
check "[rackboot-only] full transfer with windowsize 8 is intact: $r" \
  eval '[[ $r == "OK 100000 OACK blksize=1468 windowsize=8" ]] && same "$D/big.bin" "$WORK/w.out"'
# 100000 bytes / 1468 = 69 blocks; lose the last block of the first window
# and one in the middle of a later one.
r=$(in_cli timeout 30 python3 "$TFTPC" get $SRV_IP ${OURP[base]} big.bin --opt blksize=1468 --opt windowsize=8 \
      --drop 8 --drop 21 --stats --out "$WORK/w2.out")
check "[rackboot-only] windowsize 8 recovers from lost blocks with bounded resends: $r" \
  eval '[[ $r =~ ^OK\ 100000\ OACK\ blksize=1468\ windowsize=8\ \[data=([0-9]+) ]] && [ ${BASH_REMATCH[1]} -le $((69 + 4 * 8)) ] && same "$D/big.bin" "$WORK/w2.out"'
mkrand "$D/wrap.bin" $((32 * 1024 * 1024 + 1))    # 65537 blocks of 512
r=$(in_cli timeout 60 python3 "$TFTPC" get $SRV_IP ${OURP[base]} wrap.bin --opt windowsize=64 \
      --drop 65535 --drop 65537 --stats --out "$WORK/w3.out")
check "[rackboot-only] windowsize 64 at blksize 512 across the block-number wrap, with losses there: $r" \
  eval '[[ $r == "OK 33554433 OACK windowsize=64"* ]] && same "$D/wrap.bin" "$WORK/w3.out"'
rm -f "$WORK/w3.out"
mkrand "$WORK/up.bin" 300001
r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP ${OURP[create]} wrq-window.bin --opt blksize=1024 --opt windowsize=4 --data "$WORK/up.bin")
check "[rackboot-only] WRQ with windowsize 4 is acknowledged and the file arrives intact: $r" \
  eval '[[ $r == "OK 300001 OACK blksize=1024 windowsize=4" ]] && same "$WORK/up.bin" "$D/wrq-window.bin"'
finish
