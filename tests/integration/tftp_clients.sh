#!/usr/bin/env bash
# Real TFTP clients (atftp, tftp-hpa, curl, busybox) against $TFTPD:
# block sizes on and off block boundaries, tsize/timeout/windowsize options,
# puts with and without -c, netascii both ways, file-not-found handling and
# block-number rollover past 65535.
# Debug against the reference with TFTPD=/usr/sbin/in.tftpd.
source "$(dirname "$0")/lib.sh"
need python3 atftp tftp curl busybox cmp "$TFTPD"
netns_setup
at_exit ns_kill_all

D=$WORK/root            # served directory
O=$WORK/out             # client-side outputs
mkdir -p "$D" "$O"
P=6969                  # gets; no -c
PC=6970                 # puts; -c (create allowed, default umask 0)
PU=6971                 # puts; -c -p -U 027 (plain unix permissions, umask)
start_tftpd_logged "$TFTPD" $P  -s -u root "$D"
start_tftpd_logged "$TFTPD" $PC -s -c -u root "$D"
start_tftpd_logged "$TFTPD" $PU -s -c -p -U 027 -u root "$D"

cli() { in_cli timeout 60 "$@"; }   # every client command is time-bounded

# --- atftp gets at every block size, exact multiple and not ---------------
atftp_get() { # remote local [option...]
  local r=$1 l=$2 o=() x; shift 2
  for x in "$@"; do o+=(--option "$x"); done
  cli atftp --get -r "$r" -l "$l" "${o[@]}" $SRV_IP $P >"$O/atftp.log" 2>&1 ||
    { echo "  # atftp rc=$?: $(tr '\n' ' ' <"$O/atftp.log" | head -c 300)"; return 1; }
}
for bs in 8 512 1428 1468 8192 65464; do
  case $bs in 8) k=100 ;; 512|1428|1468) k=20 ;; 8192) k=8 ;; 65464) k=3 ;; esac
  mkrand "$D/exact-$bs.bin" $((bs * k))
  mkrand "$D/odd-$bs.bin" $((bs * k + bs / 2 + 1))
  for kind in exact odd; do
    f=$kind-$bs.bin
    check "atftp get blksize $bs, $(stat -c %s "$D/$f") bytes ($kind multiple of the block)" \
      eval 'atftp_get "$f" "$O/$f" "blksize $bs" && same "$D/$f" "$O/$f"'
  done
done

: >"$D/empty.bin"; chmod 644 "$D/empty.bin"
check "atftp get of a 0-byte file (one empty DATA block)" \
  eval 'atftp_get empty.bin "$O/empty.bin" && same "$D/empty.bin" "$O/empty.bin"'
check "atftp get without options, 512-byte multiple" \
  eval 'atftp_get exact-512.bin "$O/plain-512.bin" && same "$D/exact-512.bin" "$O/plain-512.bin"'
check "atftp get with tsize 0 + timeout 1" \
  eval 'atftp_get odd-1468.bin "$O/ts.bin" "tsize 0" "timeout 1" && same "$D/odd-1468.bin" "$O/ts.bin"'
check "atftp get with blksize 1024 + tsize + timeout 5" \
  eval 'atftp_get odd-8192.bin "$O/ts5.bin" "blksize 1024" "tsize enable" "timeout 5" && same "$D/odd-8192.bin" "$O/ts5.bin"'

r=$(cli python3 "$TFTPC" get $SRV_IP $P odd-1468.bin --opt tsize=0 --opt blksize=1468)
check "tsize 0 is answered with the file size ($r)" \
  test "$r" = "OK $(stat -c %s "$D/odd-1468.bin") OACK tsize=$(stat -c %s "$D/odd-1468.bin") blksize=1468"

mkrand "$D/win.bin" $((1024 * 1024 + 7))
for w in 1 2 4 16 64; do
  check "atftp get windowsize $w, blksize 1468, 1 MiB + 7" \
    eval 'atftp_get win.bin "$O/win-$w.bin" "blksize 1468" "windowsize $w" && same "$D/win.bin" "$O/win-$w.bin"'
done

# --- loss and duplicates (python client: simulated loss, doubled ACKs) ---------
mkrand "$D/lossy.bin" 20000                       # 40 blocks of 512
r=$(cli python3 "$TFTPC" get $SRV_IP $P lossy.bin --drop 5 --drop 6 --stats --out "$O/lossy1.bin")
check "lockstep get recovers from lost DATA packets 5 and 6 ($r)" \
  eval '[[ $r == "OK 20000 "* ]] && same "$D/lossy.bin" "$O/lossy1.bin"'
r=$(cli python3 "$TFTPC" get $SRV_IP $P lossy.bin --dup-ack --stats --out "$O/lossy2.bin")
check "every ACK sent twice: intact, and no Sorcerer's Apprentice doubling of DATA ($r)" \
  eval '[[ $r =~ ^OK\ 20000\ \[data=([0-9]+) ]] && [ ${BASH_REMATCH[1]} -le 42 ] && same "$D/lossy.bin" "$O/lossy2.bin"'

# --- atftp puts -------------------------------------------------------------
mkrand "$WORK/up1.bin" 123457
check "atftp put creates a new file on a -c server" \
  eval 'cli atftp --put -l "$WORK/up1.bin" -r new-up1.bin $SRV_IP $PC >"$O/p1.log" 2>&1 && same "$WORK/up1.bin" "$D/new-up1.bin"'
check "file created by -c without -p/-U is mode 0666 ($(stat -c %a "$D/new-up1.bin" 2>&1))" \
  test "$(stat -c %a "$D/new-up1.bin" 2>&1)" = 666
check "atftp put to a -c -p -U 027 server creates a mode 0640 file" \
  eval 'cli atftp --put -l "$WORK/up1.bin" -r new-umask.bin $SRV_IP $PU >"$O/p1u.log" 2>&1 && same "$WORK/up1.bin" "$D/new-umask.bin" &&
        test "$(stat -c %a "$D/new-umask.bin")" = 640'
check "atftp put blksize 1468 (exact multiple) on a -c server" \
  eval 'head -c $((1468 * 30)) /dev/urandom >"$WORK/up2.bin" &&
        cli atftp --put -l "$WORK/up2.bin" -r new-up2.bin --option "blksize 1468" $SRV_IP $PC >"$O/p2.log" 2>&1 &&
        same "$WORK/up2.bin" "$D/new-up2.bin"'
mkrand "$D/writable.bin" 5000; chmod 666 "$D/writable.bin"
check "atftp put overwrites an existing world-writable file without -c" \
  eval 'cli atftp --put -l "$WORK/up1.bin" -r writable.bin $SRV_IP $P >"$O/p3.log" 2>&1 && same "$WORK/up1.bin" "$D/writable.bin"'
cli atftp --put -l "$WORK/up1.bin" -r not-there.bin $SRV_IP $P >"$O/p4.log" 2>&1; rc=$?
check "atftp put of a non-existent file without -c is refused (rc=$rc, $(head -1 "$O/p4.log"))" \
  eval '[ $rc != 0 ] && [ $rc != 124 ] && [ ! -e "$D/not-there.bin" ] && grep -qi error "$O/p4.log"'
mkrand "$D/readonly.bin" 777
cp "$D/readonly.bin" "$WORK/readonly.orig"
cli atftp --put -l "$WORK/up1.bin" -r readonly.bin $SRV_IP $P >"$O/p5.log" 2>&1; rc=$?
check "atftp put to an existing file that is not world-writable is refused (rc=$rc)" \
  eval '[ $rc != 0 ] && [ $rc != 124 ] && same "$WORK/readonly.orig" "$D/readonly.bin"'

printf 'first line\nsecond line\n\n  indented\tTAB\nlast line without newline' >"$WORK/text-up.txt"
atftp_script() { # commands on stdin-less atftp: connect, mode, verb
  printf 'connect %s %s\nmode netascii\n%s\nquit\n' $SRV_IP "$1" "$2" | cli atftp >"$O/atftp-i.log" 2>&1
}
check "atftp put in netascii mode stores the text with local (LF) line ends" \
  eval 'atftp_script $PC "put $WORK/text-up.txt ascii-up.txt" && same "$WORK/text-up.txt" "$D/ascii-up.txt"'

# --- netascii on the wire and through clients ---------------------------------
printf 'unix\nline\nwith cr\r\nbare\rcr\n\nend\n' >"$D/text.txt"; chmod 644 "$D/text.txt"
printf 'unix\r\nline\r\nwith cr\r\0\r\nbare\r\0cr\r\n\r\nend\r\n' >"$WORK/text.wire"
check "netascii RRQ: LF -> CR LF and CR -> CR NUL on the wire" \
  eval 'cli python3 "$TFTPC" get $SRV_IP $P text.txt --mode netascii --out "$O/text.wire" >/dev/null && same "$WORK/text.wire" "$O/text.wire"'
check "atftp get in netascii mode converts back to the original" \
  eval 'atftp_script $P "get text.txt $O/text-atftp.txt" && same "$D/text.txt" "$O/text-atftp.txt"'

# --- tftp-hpa client (sends no options; exits 0 even on errors) -------------
check "tftp-hpa get binary" \
  eval 'cli tftp -m binary $SRV_IP $P -c get odd-512.bin "$O/hpa.bin" >"$O/hpa.log" 2>&1 && same "$D/odd-512.bin" "$O/hpa.bin"'
check "tftp-hpa get ascii: LF text arrives converted back" \
  eval 'cli tftp -m ascii $SRV_IP $P -c get text.txt "$O/hpa.txt" >"$O/hpa.log" 2>&1 && same "$D/text.txt" "$O/hpa.txt"'
check "tftp-hpa put binary to a -c server" \
  eval 'cli tftp -m binary $SRV_IP $PC -c put "$WORK/up1.bin" hpa-up.bin >"$O/hpa.log" 2>&1 && same "$WORK/up1.bin" "$D/hpa-up.bin"'
check "tftp-hpa put ascii stores LF text unchanged" \
  eval 'cli tftp -m ascii $SRV_IP $PC -c put "$WORK/text-up.txt" hpa-up.txt >"$O/hpa.log" 2>&1 && same "$WORK/text-up.txt" "$D/hpa-up.txt"'

# --- curl ---------------------------------------------------------------------
check "curl tftp get (default options)" \
  eval 'cli curl -sS -o "$O/curl1.bin" tftp://$SRV_IP:$P/odd-1468.bin && same "$D/odd-1468.bin" "$O/curl1.bin"'
check "curl tftp get --tftp-blksize 1468" \
  eval 'cli curl -sS --tftp-blksize 1468 -o "$O/curl2.bin" tftp://$SRV_IP:$P/win.bin && same "$D/win.bin" "$O/curl2.bin"'
check "curl tftp get --tftp-blksize 8192" \
  eval 'cli curl -sS --tftp-blksize 8192 -o "$O/curl3.bin" tftp://$SRV_IP:$P/exact-8192.bin && same "$D/exact-8192.bin" "$O/curl3.bin"'
check "curl tftp get --tftp-no-options" \
  eval 'cli curl -sS --tftp-no-options -o "$O/curl4.bin" tftp://$SRV_IP:$P/odd-512.bin && same "$D/odd-512.bin" "$O/curl4.bin"'
check "curl tftp put (-T) to a -c server" \
  eval 'cli curl -sS -T "$WORK/up1.bin" tftp://$SRV_IP:$PC/curl-up.bin && same "$WORK/up1.bin" "$D/curl-up.bin"'

# --- busybox --------------------------------------------------------------------
check "busybox tftp get -b 1024" \
  eval 'cli busybox tftp -g -r odd-8192.bin -l "$O/bb1.bin" -b 1024 $SRV_IP $P 2>>"$O/bb.log" && same "$D/odd-8192.bin" "$O/bb1.bin"'
check "busybox tftp get -b 1468" \
  eval 'cli busybox tftp -g -r win.bin -l "$O/bb2.bin" -b 1468 $SRV_IP $P 2>>"$O/bb.log" && same "$D/win.bin" "$O/bb2.bin"'
check "busybox tftp put to a -c server" \
  eval 'cli busybox tftp -p -l "$WORK/up1.bin" -r bb-up.bin $SRV_IP $PC 2>>"$O/bb.log" && same "$WORK/up1.bin" "$D/bb-up.bin"'

# --- file not found: an error, promptly, from every client ------------------------
nf() { # name, expected-rc-test, output-pattern, command...
  local name=$1 rct=$2 pat=$3 t0=$SECONDS rc; shift 3
  cli "$@" >"$O/nf.log" 2>&1; rc=$?
  local took=$((SECONDS - t0))
  if eval "$rct" && [ $rc != 124 ] && [ $took -lt 10 ] && grep -qiE "$pat" "$O/nf.log"; then
    ok "file not found: $name reports an error (rc=$rc, ${took}s)"
  else
    fail "file not found: $name reports an error (rc=$rc, ${took}s): $(tr '\n' ' ' <"$O/nf.log" | head -c 200)"
  fi
}
nf atftp    '[ $rc != 0 ]' 'not found' atftp --get -r no-such-file -l "$O/nf1" $SRV_IP $P
nf tftp-hpa 'true'         'Error code 1' tftp -m binary $SRV_IP $P -c get no-such-file "$O/nf2"
nf curl     '[ $rc = 68 ]' '.'         curl -sS -o "$O/nf3" tftp://$SRV_IP:$P/no-such-file
nf busybox  '[ $rc != 0 ]' 'not found' busybox tftp -g -r no-such-file -l "$O/nf4" $SRV_IP $P
nf python   '[ $rc != 0 ]' '^ERROR 1 '  python3 "$TFTPC" get $SRV_IP $P no-such-file

# --- block-number rollover: 32 MiB + 1 byte at 512-byte blocks = 65537 blocks ------
mkrand "$D/big.bin" $((32 * 1024 * 1024 + 1))
t0=$SECONDS
check "atftp get 32 MiB + 1 at blksize 512 (block number wraps past 65535)" \
  eval 'cli atftp --get -r big.bin -l "$O/big-atftp.bin" $SRV_IP $P && same "$D/big.bin" "$O/big-atftp.bin"'
echo "# atftp rollover transfer took $((SECONDS - t0))s"
rm -f "$O/big-atftp.bin"
t0=$SECONDS
check "curl get 32 MiB + 1 at blksize 512 (block number wraps past 65535)" \
  eval 'cli curl -sS --tftp-blksize 512 -o "$O/big-curl.bin" tftp://$SRV_IP:$P/big.bin && same "$D/big.bin" "$O/big-curl.bin"'
echo "# curl rollover transfer took $((SECONDS - t0))s"
rm -f "$O/big-curl.bin"
check "atftp get 32 MiB + 1 at blksize 512 with windowsize 16 (windows span the wrap)" \
  eval 'cli atftp --get -r big.bin -l "$O/big-atftp-w.bin" --option "windowsize 16" $SRV_IP $P >"$O/atftp-w.log" 2>&1 && same "$D/big.bin" "$O/big-atftp-w.bin"'
rm -f "$O/big-atftp-w.bin"

check "server still answers after all of the above" \
  eval 'cli python3 "$TFTPC" get $SRV_IP $P odd-512.bin --out "$O/final.bin" >/dev/null && same "$D/odd-512.bin" "$O/final.bin"'
finish
