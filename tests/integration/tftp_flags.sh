#!/usr/bin/env bash
# The tftpd-hpa command line on $TFTPD, flag by flag: -V, -P (pid file, removed
# on SIGTERM), -l (detach), -R (transfer port range), -p, -u (privileges
# dropped), -a (bound address; replies come from the address asked), inetd mode
# (socket on fd 0) with -t, and bad flag values rejected at startup with the
# same exit status as the reference ($REF_TFTPD).
source "$(dirname "$0")/lib.sh"
need python3 ss "$TFTPD" "$REF_TFTPD"
netns_setup
at_exit ns_kill_all
SRV_IP2=198.18.0.3          # a second address on the server side of our veth
in_srv ip addr add $SRV_IP2/24 dev "$PFX-s"

D=$WORK/root O=$WORK/out
mkdir -p "$D/pub" "$O"; chmod 777 "$D/pub"
mkrand "$D/f.bin" 3000
mkrand "$D/private.bin" 300; chmod 600 "$D/private.bin"
listening() { in_srv ss -Hlun "sport = :$1" | grep -q .; }   # port
wait_for() { # seconds, command...: poll every 0.1 s
  local n=$(($1 * 10)) i; shift
  for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done; return 1
}
first() { in_cli timeout 10 python3 "$TFTPC" first "$@" --wait 1.5; }

# --- -V --------------------------------------------------------------------------
v=$(timeout 5 "$TFTPD" -V 2>&1); rc=$?
check "-V exits 0 and reports 'with remap' like tftpd-hpa ($v)" eval '[ $rc = 0 ] && [[ $v == *"with remap"* ]]'

# --- -P with -L: pid file holds the server pid, removed on SIGTERM ---------------------
start_tftpd_logged "$TFTPD" 6969 -P "$WORK/fg.pid" -s -u root "$D"
wait_for 3 test -s "$WORK/fg.pid"
check "-P writes the server's pid ($(cat "$WORK/fg.pid" 2>/dev/null) = $SRV_PID)" test "$(cat "$WORK/fg.pid" 2>/dev/null)" = "$SRV_PID"
kill -TERM $SRV_PID
wait_for 3 eval '! kill -0 $SRV_PID 2>/dev/null'; gone=$?
check "SIGTERM stops the server" test $gone = 0
check "SIGTERM removes the pid file" wait_for 2 test ! -e "$WORK/fg.pid"

# --- -l: detaches; the daemon serves and obeys SIGTERM --------------------------------------
tftpd_argv "$TFTPD"
in_srv timeout 10 "${TFTPD_ARGV[@]}" -l -a $SRV_IP:6970 -P "$WORK/daemon.pid" -s -u root "$D" >"$WORK/daemon.log" 2>&1
rc=$?
check "-l returns to the caller at once with status 0 (rc=$rc)" test $rc = 0
wait_for 3 test -s "$WORK/daemon.pid"
DPID=$(cat "$WORK/daemon.pid" 2>/dev/null)
at_exit "kill ${DPID:-0}"
check "-l daemon ($DPID) is alive, in our namespace, listening" \
  eval '[ -n "$DPID" ] && kill -0 $DPID && ip netns pids "$NS_SRV" | grep -qx "$DPID" && wait_for 3 listening 6970'
check "-l daemon serves a file" \
  eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP 6970 f.bin --out "$O/d.bin" >/dev/null && same "$D/f.bin" "$O/d.bin"'
[ -n "$DPID" ] && kill -TERM "$DPID"
check "-l daemon stops on SIGTERM and removes its pid file" \
  eval 'wait_for 3 eval "! kill -0 $DPID 2>/dev/null" && wait_for 2 test ! -e "$WORK/daemon.pid"'

# --- -R: every transfer's port (TID) within the range -------------------------------------
start_tftpd_logged "$TFTPD" 6971 -R 40000:40009 -s -u root "$D"
bad=""
for i in $(seq 1 20); do
  r=$(first $SRV_IP 6971 "rrq('f.bin')" --from)
  port=${r##*:}
  [[ $r == "DATA 1 512 from $SRV_IP:"* ]] && [ "$port" -ge 40000 ] && [ "$port" -le 40009 ] || bad+=" [$r]"
done
check "-R 40000:40009: 20 transfers all use server ports in range${bad}" test -z "$bad"

# --- -p: only the system's permission checks ---------------------------------------------
start_tftpd_logged "$TFTPD" 6972 -p -s -u root "$D"
check "-p: a mode 0600 file is served (running as root)" \
  eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP 6972 private.bin --out "$O/p.bin" >/dev/null && same "$D/private.bin" "$O/p.bin"'
start_tftpd_logged "$TFTPD" 6973 -s -u root "$D"
r=$(first $SRV_IP 6973 "rrq('private.bin')")
check "without -p: the same file is refused ($r)" test "$r" = "ERROR 2 File must have global read permissions"

# --- -u nobody: transfers run without root's rights ---------------------------------------
start_tftpd_logged "$TFTPD" 6974 -c -u nobody -s "$D"
check "-u nobody: a world-readable file is served" \
  eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP 6974 f.bin --out "$O/n.bin" >/dev/null && same "$D/f.bin" "$O/n.bin"'
r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP 6974 nobody-root.bin --data "$D/f.bin")
check "-u nobody -c: creating a file in a root-owned 0755 directory is refused ($r)" \
  eval '[[ $r == ERROR* ]] && [ ! -e "$D/nobody-root.bin" ]'
r=$(in_cli timeout 30 python3 "$TFTPC" put $SRV_IP 6974 pub/nobody.bin --data "$D/f.bin")
check "-u nobody -c: a file created in a 0777 directory is owned by nobody ($r, $(stat -c %U "$D/pub/nobody.bin" 2>&1))" \
  eval '[[ $r == OK* ]] && [ "$(stat -c %U "$D/pub/nobody.bin")" = nobody ] && same "$D/f.bin" "$D/pub/nobody.bin"'

# --- -a: bound address; replies leave from the address the client asked -----------------------
start_tftpd_logged "$TFTPD" 6975 -s -u root "$D"          # start_tftpd binds $SRV_IP:6975
r=$(first $SRV_IP2 6975 "rrq('f.bin')")
check "-a $SRV_IP:6975: nothing answers on $SRV_IP2:6975 ($r)" test "$r" = NONE
ip netns exec "$NS_SRV" "${TFTPD_ARGV[@]}" -L -a :6976 -s -u root "$D" >>"$WORK/tftpd-6976.log" 2>&1 &
at_exit "kill $!"
wait_for 5 listening 6976 || fail "server with -a :6976 did not start: $(tail -3 "$WORK/tftpd-6976.log")"
for a in $SRV_IP $SRV_IP2; do
  r=$(first $a 6976 "rrq('f.bin')" --from)
  check "-a :6976 (any address): request to $a answered from $a ($r)" eval '[[ $r == "DATA 1 512 from $a:"* ]]'
  check "-a :6976: whole transfer via $a" \
    eval 'in_cli timeout 30 python3 "$TFTPC" get $a 6976 f.bin --out "$O/a.bin" >/dev/null && same "$D/f.bin" "$O/a.bin"'
done

# --- inetd mode: the socket on fd 0, exit after -t seconds idle ---------------------------
# A wait-style inetd in python: bind, wait for the first datagram, hand the
# socket over as stdin, report how the server exits.
inetd() { # port, log, server argv...
  in_srv timeout 40 python3 - "$SRV_IP" "$@" <<'PY'
import select, socket, subprocess, sys, time
host, port, log, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, port))
r, _, _ = select.select([s], [], [], 20)
if not r:
    print('no request'); sys.exit(0)
t0 = time.monotonic()
p = subprocess.Popen(argv, stdin=s.fileno(), stdout=open(log, 'ab'), stderr=subprocess.STDOUT)
try:
    rc = p.wait(timeout=25)
except subprocess.TimeoutExpired:
    p.kill(); rc = 'still running after 25s'
print('exit %s after %.0fs' % (rc, time.monotonic() - t0))
PY
}
inetd 6977 "$WORK/inetd.log" "${TFTPD_ARGV[@]}" -t 3 -s -u root "$D" >"$WORK/inetd.out" 2>&1 &
IPID=$!
wait_for 5 listening 6977
check "inetd mode: transfer over the inherited socket" \
  eval 'in_cli timeout 30 python3 "$TFTPC" get $SRV_IP 6977 f.bin --out "$O/i.bin" >/dev/null && same "$D/f.bin" "$O/i.bin"'
wait $IPID
r=$(cat "$WORK/inetd.out")
check "inetd mode with -t 3: exits 0 within a few seconds once idle ($r)" \
  eval '[[ $r =~ ^exit\ 0\ after\ ([0-9]+)s$ ]] && [ ${BASH_REMATCH[1]} -ge 3 ] && [ ${BASH_REMATCH[1]} -le 8 ]'

# --- bad flag values: refused at startup, same exit status as tftpd-hpa -------------------------
startup_rc() { # binary, args...: exit status within 5 s (124 = still running)
  local bin=$1; shift
  tftpd_argv "$bin"
  in_srv timeout 5 "${TFTPD_ARGV[@]}" -L -a $SRV_IP:6990 "$@" >>"$WORK/badflags.log" 2>&1
}
while IFS='|' read -r label args; do
  # shellcheck disable=SC2086
  startup_rc "$REF_TFTPD" $args; a=$?
  # shellcheck disable=SC2086
  startup_rc "$TFTPD" $args; b=$?
  check "bad flags refused like tftpd-hpa: $label (reference rc=$a, ours rc=$b)" \
    eval '[ $a = $b ] && [ $a != 0 ] && [ $a != 124 ]'
done <<EOF
-B 100 (below 512)|-B 100 -s -u root $D
-B 70000 (above 65464)|-B 70000 -s -u root $D
-B 1k (not a number)|-B 1k -s -u root $D
-r nosuchoption|-r nosuchoption -s -u root $D
-R 5000 (no colon)|-R 5000 -s -u root $D
-R 6000:5000 (reversed)|-R 6000:5000 -s -u root $D
-U 9 (not octal)|-U 9 -s -u root $D
-T 5 (below 10000 us)|-T 5 -s -u root $D
-u nosuchuser|-s -u nosuchuser-rbt $D
-m missing map file|-m $WORK/no-such-rules -s -u root $D
-s without a directory|-s -u root
-s with two directories|-s -u root $D $WORK
-s with a missing directory|-s -u root $WORK/no-such-dir
EOF
finish
