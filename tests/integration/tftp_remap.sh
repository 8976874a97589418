#!/usr/bin/env bash
# Filename remapping (-m rules file, tftpd-hpa syntax) on $TFTPD: r, g, i, a,
# e, G, P flags, \1 \i \x \U \<space> substitutions, access-denied errors,
# the -v log lines ("RRQ from 198.18.0.2 filename X remapped to Y"), and
# rereading the rules on SIGHUP.
source "$(dirname "$0")/lib.sh"
need python3 atftp "$TFTPD"
netns_setup
at_exit ns_kill_all

D=$WORK/root O=$WORK/out
mkdir -p "$D"/{clients,lower,dir,second,wrong,incoming} "$O"
for f in a.txt plain.txt dir/b.txt secret.txt SECRET.txt lower/c.txt real_get.txt clients/$CLI_IP \
         clients/C6120002 second/x.txt wrong/x.txt ABC.TXT 'with space.txt' new.txt old.txt; do
  echo "content of $f" >"$D/$f"; chmod 644 "$D/$f"
done
chmod 777 "$D/incoming"
RULES=$WORK/rules
cat >"$RULES" <<'EOF'
# tftpd-hpa remap syntax: operation  regex  [replacement]
r	^/tftpboot/	/
rg	\\	/
a	^secret
ri	^upper/	lower/
rG	^getonly$	real_get.txt
rP	^putonly$	incoming/put.bin
r	^perclient$	clients/\i
r	^perhex$	clients/\x
re	^first/(.*)$	second/\1
r	^second/	wrong/
r	^up/(.*)$	\U\1
r	^spaced$	with\ space.txt
r	^reload$	old.txt
EOF
P=6969
start_tftpd_logged "$TFTPD" $P -s -c -u root -v -m "$RULES" "$D"

get() { in_cli timeout 30 python3 "$TFTPC" get $SRV_IP $P "$@"; }
serves() { # requested-name expected-file-in-root [description]
  local r; r=$(get "$1" --out "$O/g.out")
  if [[ $r == OK* ]] && cmp -s "$D/$2" "$O/g.out"; then ok "${3:-get '$1'} -> $2"
  else fail "${3:-get '$1'} -> $2 (got: $r: $(head -c 60 "$O/g.out" 2>/dev/null))"; fi
  rm -f "$O/g.out"
}
refused() { # requested-name expected-error-prefix description
  local r; r=$(get "$1")
  if [[ $r == "$2"* ]]; then ok "$3 ($r)"; else fail "$3 (got: $r)"; fi
}

serves /tftpboot/a.txt a.txt    "r ^/tftpboot/ /: get '/tftpboot/a.txt'"
serves plain.txt plain.txt      "no rule matches: get 'plain.txt' unchanged"
serves 'dir\b.txt' dir/b.txt    "rg \\\\ /: get 'dir\\b.txt' (backslashes to slashes)"
serves 'dir\\b.txt' dir/b.txt   "rg repeats: get 'dir\\\\b.txt' (two backslashes, both replaced)"
refused secret.txt 'ERROR 2 '   "a ^secret: get 'secret.txt' gets an access violation"
refused secretive 'ERROR 2 '    "a ^secret: get 'secretive' (no such file) still an access violation"
serves SECRET.txt SECRET.txt    "a rules are case-sensitive without i: get 'SECRET.txt' is served"
serves UpPeR/c.txt lower/c.txt  "ri ^upper/ lower/: case-insensitive match of 'UpPeR/c.txt'"
serves getonly real_get.txt     "rG: GET of 'getonly' is remapped"
refused putonly 'ERROR 1 '      "rP: GET of 'putonly' is not remapped (no such file)"
serves perclient "clients/$CLI_IP" "\\i: 'perclient' -> per-client file named by the client address"
serves perhex clients/C6120002  "\\x: 'perhex' -> per-client file named by the hex address"
serves first/x.txt second/x.txt "re (end): later rules are not applied after a match"
serves up/abc.txt ABC.TXT       "\\U: 'up/abc.txt' upper-cased to 'ABC.TXT'"
serves spaced 'with space.txt'  "'\\ ' in a replacement is a literal space"
check "atftp get through a rule ('/tftpboot/a.txt')" \
  eval 'in_cli timeout 30 atftp --get -r /tftpboot/a.txt -l "$O/atftp.out" --option "blksize 1468" $SRV_IP $P >"$O/atftp.log" 2>&1 && same "$D/a.txt" "$O/atftp.out"'

echo "uploaded" >"$O/up.txt"
r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP $P putonly --data "$O/up.txt")
check "rP: PUT of 'putonly' lands in incoming/put.bin ($r)" \
  eval '[[ $r == OK* ]] && same "$O/up.txt" "$D/incoming/put.bin" && [ ! -e "$D/putonly" ]'
r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP $P getonly --data "$O/up.txt")
check "rG: PUT of 'getonly' is not remapped (real_get.txt untouched) ($r)" \
  eval '[[ $r == OK* ]] && same "$O/up.txt" "$D/getonly" && grep -q "content of real_get.txt" "$D/real_get.txt"'
r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP $P secret-upload --data "$O/up.txt")
check "a ^secret: PUT of 'secret-upload' gets an access violation ($r)" \
  eval '[[ $r == "ERROR 2 "* ]] && [ ! -e "$D/secret-upload" ]'

sleep 0.3   # let the forked children (reference) flush their log lines
L=$WORK/tftpd-$P.log
check "-v log: 'RRQ from $CLI_IP filename /tftpboot/a.txt remapped to /a.txt'" \
  grep -q "RRQ from $CLI_IP filename /tftpboot/a.txt remapped to /a.txt" "$L"
check "-v log: 'RRQ from $CLI_IP filename plain.txt' (no remap)" \
  eval 'grep "RRQ from $CLI_IP filename plain.txt" "$L" | grep -vq "remapped to"'
check "-v log: 'RRQ from $CLI_IP filename perclient remapped to clients/$CLI_IP'" \
  grep -q "RRQ from $CLI_IP filename perclient remapped to clients/$CLI_IP" "$L"
check "-v log: 'WRQ from $CLI_IP filename putonly remapped to incoming/put.bin'" \
  grep -q "WRQ from $CLI_IP filename putonly remapped to incoming/put.bin" "$L"

# SIGHUP rereads the rules file (standalone mode).
serves reload old.txt "before SIGHUP: 'reload' -> old.txt"
sed -i 's/^r\t^reload\$\told.txt$/r\t^reload$\tnew.txt/' "$RULES"
grep -q 'new.txt' "$RULES" || fail "test bug: rules file not rewritten"
kill -HUP $SRV_PID
sleep 0.5
serves reload new.txt "after SIGHUP: 'reload' -> new.txt"
serves /tftpboot/a.txt a.txt "after SIGHUP: other rules still apply"
check "server alive after SIGHUP" kill -0 $SRV_PID
echo "# server log:"; sed 's/^/#   /' "$L" | tail -30
finish
