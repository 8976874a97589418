#!/usr/bin/env bash
# Path traversal against $TFTPD -s ROOT: nothing outside ROOT may be read or
# written. A canary file with unique content lives OUTSIDE the root; every
# trick (.., backslashes, %-escapes, absolute paths, symlinks out of the root,
# a symlinked directory, embedded NULs) must give the client an error and
# never the canary. Puts (server with -c) must not create or modify anything
# outside the root. Positive controls check that in-root names, including an
# in-root symlink and tftpd-hpa's chroot semantics, still work.
source "$(dirname "$0")/lib.sh"
need python3 sha256sum "$TFTPD"
netns_setup
at_exit ns_kill_all

D=$WORK/root O=$WORK/out OUT=$WORK/outside
mkdir -p "$D/sub" "$O" "$OUT"
CANARY="canary-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$CANARY" >"$WORK/canary.txt"; chmod 666 "$WORK/canary.txt"   # world-readable AND writable
echo "$CANARY-2" >"$OUT/canary2.txt"; chmod 666 "$OUT/canary2.txt"
echo "in the root" >"$D/ok.txt"; chmod 644 "$D/ok.txt"
echo "inner" >"$D/sub/inner.txt"; chmod 644 "$D/sub/inner.txt"
ln -s "$WORK/canary.txt" "$D/evil"          # absolute symlink out of the root
ln -s ../canary.txt "$D/evil_rel"            # relative symlink out of the root
ln -s "$OUT" "$D/evildir"                    # symlinked directory out of the root
ln -s ../outside "$D/evildir_rel"
ln -s /etc "$D/etc_link"
ln -s ok.txt "$D/link_ok"                    # in-root symlink: must work
ln -s /ok.txt "$D/link_abs_in"               # absolute, meaningful only inside the root
P=6969 PC=6970
start_tftpd_logged "$TFTPD" $P -s -u root "$D"
start_tftpd_logged "$TFTPD" $PC -s -c -u root "$D"

# Everything under $WORK except the root, our client outputs, the server logs
# and the snapshot itself: names, and hashes of regular files.
snapshot() {
  (cd "$WORK" && find . \( -path ./root -o -path ./out -o -name 'tftpd-*.log' -o -name '*.snap' \) -prune \
     -o -type f -print0 | sort -z | xargs -0 sha256sum
   cd "$WORK" && find . \( -path ./root -o -path ./out -o -name 'tftpd-*.log' -o -name '*.snap' \) -prune \
     -o -print | sort)
}
snapshot >"$WORK/before.snap"

get() { in_cli timeout 30 python3 "$TFTPC" get $SRV_IP $P "$@" --tries 3; }

# --- positive controls ----------------------------------------------------------
for n in ok.txt /ok.txt sub/inner.txt link_ok; do
  r=$(get "$n" --out "$O/pos.out")
  check "in-root name '$n' is served ($r)" eval '[[ $r == OK* ]] && [ -s "$O/pos.out" ]'
done
# tftpd-hpa -s chroots, so these resolve inside the root; a drop-in must agree.
r=$(get sub/../ok.txt --out "$O/pos2.out")
check "tftpd-hpa compat: 'sub/../ok.txt' stays inside the root and is served ($r)" \
  eval '[[ $r == OK* ]] && same "$D/ok.txt" "$O/pos2.out"'
for n in ../ok.txt /../ok.txt ../../sub/../ok.txt; do   # ".." at the root stays at the root
  r=$(get "$n" --out "$O/pos4.out")
  check "tftpd-hpa compat: '$n' is clamped to the root and served ($r)" \
    eval '[[ $r == OK* ]] && same "$D/ok.txt" "$O/pos4.out"'
  rm -f "$O/pos4.out"
done
r=$(get link_abs_in --out "$O/pos3.out")
check "tftpd-hpa compat: symlink to /ok.txt resolves against the root ($r)" \
  eval '[[ $r == OK* ]] && same "$D/ok.txt" "$O/pos3.out"'

# --- reads that try to leave the root ------------------------------------------------
denied() { # name [get args...]: must be an error, and must not be the canary
  local n=$1 r; shift
  rm -f "$O/neg.out"
  r=$(get "$n" --out "$O/neg.out" "$@")
  if [[ $r == ERROR* ]] && ! grep -qs "$CANARY" "$O/neg.out" && ! cmp -s /etc/passwd "$O/neg.out"; then
    ok "get '${n//[^[:print:]]/?}' is refused ($r)"
  else
    fail "get '${n//[^[:print:]]/?}' is refused (got: $r; $(head -c 80 "$O/neg.out" 2>/dev/null | tr '\n' ' '))"
  fi
}
W=${WORK#/}
for n in ../canary.txt /../canary.txt ./../canary.txt //..//canary.txt ../../../../../../../../$W/canary.txt \
         sub/../../canary.txt sub/./../../canary.txt ..//canary.txt .../canary.txt \
         '..\canary.txt' '..\..\canary.txt' 'sub\..\..\canary.txt' \
         %2e%2e/canary.txt %2e%2e%2fcanary.txt ..%2fcanary.txt %252e%252e/canary.txt \
         "/$W/canary.txt" "$W/canary.txt" \
         evil evil_rel sub/../evil evildir/canary2.txt evildir_rel/canary2.txt evildir/../canary.txt \
         ../etc/passwd /../../etc/passwd '..\..\etc\passwd' %2e%2e/etc/passwd /etc/passwd etc/passwd \
         etc_link/passwd; do
  denied "$n"
done
denied ../canary.txt --mode netascii
denied ../canary.txt --opt blksize=1468 --opt tsize=0
denied "$(printf '\xc0\xae\xc0\xae/canary.txt')"          # overlong UTF-8 dots

# Embedded NULs: the filename ends at the first NUL, whatever follows.
nul() { # description, python bytes literal
  local r
  r=$(in_cli timeout 10 python3 "$TFTPC" first $SRV_IP $P "$2")
  if [[ $r == ERROR* ]]; then ok "NUL trick $1 is refused ($r)"
  else fail "NUL trick $1 is refused (got: $r)"; fi
}
nul 'ok.txt\0../canary.txt\0octet'  "b'\\x00\\x01ok.txt\\x00../canary.txt\\x00octet\\x00'"
nul '../canary.txt\0ok.txt\0octet'  "b'\\x00\\x01../canary.txt\\x00ok.txt\\x00octet\\x00'"
nul '..\0/canary.txt (mode "/canary.txt")' "b'\\x00\\x01..\\x00/canary.txt\\x00octet\\x00'"
nul 'evil\0octet with ok.txt appended'   "b'\\x00\\x01evil\\x00octet\\x00ok.txt\\x00'"

# --- writes that try to leave the root (server with -c) ----------------------------------
echo "ESCAPED-$CANARY" >"$O/payload.txt"   # $O is outside the snapshot
for n in ../escape1.txt /../escape2.txt "/$W/escape3.txt" "../../../../../../../../$W/escape4.txt" \
         evildir/escape5.txt evildir_rel/escape6.txt '..\escape7.txt' %2e%2e/escape8.txt sub/../../escape9.txt \
         evil evil_rel evildir/canary2.txt ../canary.txt; do
  r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP $PC "$n" --data "$O/payload.txt" --tries 3)
  if [ "$(snapshot)" = "$(cat "$WORK/before.snap")" ]; then ok "put '$n' writes nothing outside the root ($r)"
  else fail "put '$n' writes nothing outside the root ($r)"; diff <(cat "$WORK/before.snap") <(snapshot) | head -5 | sed 's/^/  # /'; fi
done
check "canary content unchanged" eval '[ "$(cat "$WORK/canary.txt")" = "$CANARY" ] && [ "$(cat "$OUT/canary2.txt")" = "$CANARY-2" ]'
check "nothing anywhere outside the root changed (sizes, hashes, names)" \
  eval '[ "$(snapshot)" = "$(cat "$WORK/before.snap")" ]'
check "no escape*.txt created outside the root" \
  test -z "$(find "$WORK" -path "$D" -prune -o -name 'escape*' -print)"
finish
