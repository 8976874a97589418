#!/usr/bin/env bash
# in.tftpd as a drop-in: exit codes, inetd and systemd socket passing, idle
# exit, pid file, privilege drop and chroot, SIGHUP reload of the remap
# rules (bad rules keep the old ones; a transfer in progress survives),
# SIGTERM, port range, --map-test, IPv6.
source "$(dirname "$0")/lib.sh"
need python3 atftp curl
netns_setup
at_exit ns_kill_all
R=$WORK/root; mkdir -p "$R"; chmod 755 "$WORK" "$R"
mkrand "$R/small" 5000
mkrand "$R/big" 30000000
echo "v1" > "$R/one"; echo "v2" > "$R/two"; chmod 644 "$R/one" "$R/two"

# --- exit codes (sysexits) and messages ---
expect_exit() { # code, description, args...
  local want=$1 d=$2; shift 2
  "$TFTPD" "$@" >"$WORK/out" 2>&1 </dev/null; local rc=$?
  if [ "$rc" = "$want" ]; then ok "exit $want: $d"; else fail "exit $rc, expected $want: $d ($(head -c 200 "$WORK/out"))"; fi
}
expect_exit 0 "-V prints the version" -V
grep -q "in.tftpd" "$WORK/out" && ok "-V output names in.tftpd" || fail "-V output: $(cat "$WORK/out")"
expect_exit 64 "-B below 512 (EX_USAGE)" --stderr -B 100 -L "$R"
grep -q "Bad maximum blocksize value" "$WORK/out" && ok "-B error message" || fail "-B message: $(cat "$WORK/out")"
expect_exit 64 "-R malformed" --stderr -R 5:x -L "$R"
expect_exit 64 "-r unknown option" --stderr -r frobnicate -L "$R"
expect_exit 64 "no directory" --stderr -L -a 127.0.0.1:0
expect_exit 64 "-s with two directories" --stderr -s -L -a 127.0.0.1:0 "$R" "$R"
expect_exit 66 "directory does not exist (EX_NOINPUT)" --stderr -L -a 127.0.0.1:0 "$WORK/nonexistent"
expect_exit 67 "unknown user (EX_NOUSER)" --stderr -L -a 127.0.0.1:0 -u no-such-user-rb "$R"
expect_exit 66 "map file missing" --stderr -m "$WORK/nomap" -L "$R"
printf 'r ^a b\nz foo bar\n' > "$WORK/bad.rules"
expect_exit 65 "bad map file (EX_DATAERR)" --stderr -m "$WORK/bad.rules" -L "$R"
grep -q "bad.rules:2" "$WORK/out" && ok "rule error names file and line" || fail "rule error: $(cat "$WORK/out")"

# --- --map-test ---
printf 'r ^/tftpboot/ /\nrg \\\\ /\na ^secret\n' > "$WORK/map.rules"
printf '/tftpboot/pxelinux.0\nboot\\x86\\a.efi\nsecret.key\n' > "$WORK/names"
"$TFTPD" -m "$WORK/map.rules" --map-test "$WORK/names" >"$WORK/mt" 2>&1
if [ "$(sed -n 1p "$WORK/mt")" = "/pxelinux.0" ] && [ "$(sed -n 2p "$WORK/mt")" = "boot/x86/a.efi" ] &&
   grep -q '^ERROR: ' "$WORK/mt"; then ok "--map-test applies the rules"; else fail "--map-test output: $(cat "$WORK/mt")"; fi

# --- standalone: pid file, privilege drop, chroot, log lines, SIGHUP, SIGTERM ---
echo 'r ^alias$ one' > "$WORK/live.rules"; chmod 644 "$WORK/live.rules"
start_tftpd "$TFTPD" 69 --stderr -v -v -s -u nobody -P "$WORK/pid" -m "$WORK/live.rules" -R 30000:30010 "$R"
[ "$(cat "$WORK/pid" 2>/dev/null)" = "$SRV_PID" ] && ok "-P writes the pid" || fail "-P pid file: $(cat "$WORK/pid" 2>/dev/null) vs $SRV_PID"
# With -P and -u, a root parent keeps the pid file and the server is its child.
SERVER=$(pgrep -P $SRV_PID | head -1)
uid=$(awk '/^Uid:/ {print $2}' /proc/$SERVER/status)
[ "$uid" = "$(id -u nobody)" ] && ok "-u nobody: runs as uid $uid" || fail "-u nobody: uid is $uid"
[ "$(readlink /proc/$SERVER/root)" = "$(readlink -f "$R")" ] && ok "-s chroots into the root" || fail "-s root is $(readlink /proc/$SERVER/root)"
in_cli timeout 10 curl -s -o "$WORK/got" "tftp://$SRV_IP/alias" && same "$R/one" "$WORK/got" && ok "remap rule served alias -> one" || fail "alias before reload"
grep -q "RRQ from $CLI_IP filename alias remapped to one" "$WORK/tftpd-69.log" && ok "-v logs the remap like tftpd-hpa" || fail "log: $(tail -3 "$WORK/tftpd-69.log")"
# The reply's source port (the transfer's TID) lies in the -R range.
port=$(in_cli python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"\0\1small\0octet\0", (sys.argv[1], 69))
data, addr = s.recvfrom(2048)
s.sendto(b"\0\5\0\0abort\0", addr)
print(addr[1])' $SRV_IP 2>/dev/null)
if [ -n "$port" ] && [ "$port" -ge 30000 ] && [ "$port" -le 30010 ]; then ok "-R: transfer port $port in 30000:30010"; else fail "-R: transfer port '$port'"; fi
in_cli timeout 10 curl -s -o /dev/null "tftp://$SRV_IP/missing"
grep -q "sending NAK (1, File not found) to $CLI_IP" "$WORK/tftpd-69.log" && ok "-vv logs NAKs" || fail "NAK log: $(tail -3 "$WORK/tftpd-69.log")"

# A long transfer runs across SIGHUP and a rule change.
in_cli timeout 60 atftp --get -r big -l "$WORK/big.out" $SRV_IP 69 >/dev/null 2>&1 &
cpid=$!
sleep 0.5
echo 'r ^alias$ two' > "$WORK/live.rules"
kill -HUP $SRV_PID; sleep 0.3
in_cli timeout 10 curl -s -o "$WORK/got" "tftp://$SRV_IP/alias" && same "$R/two" "$WORK/got" && ok "SIGHUP reloads the rules" || fail "alias after reload"
printf 'r ^alias$ one\nq broken\n' > "$WORK/live.rules"
kill -HUP $SRV_PID; sleep 0.3
grep -q "live.rules:2" "$WORK/tftpd-69.log" && ok "bad rules on reload are reported with file:line" || fail "reload error not logged"
in_cli timeout 10 curl -s -o "$WORK/got" "tftp://$SRV_IP/alias" && same "$R/two" "$WORK/got" && ok "bad rules on reload keep the previous rules" || fail "rules after a bad reload"
wait $cpid; same "$R/big" "$WORK/big.out" && ok "transfer in progress survived two reloads" || fail "transfer across SIGHUP"
kill -TERM $SRV_PID
for _ in $(seq 30); do kill -0 $SRV_PID 2>/dev/null || break; sleep 0.1; done
wait $SRV_PID 2>/dev/null; rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: clean exit 0" || fail "SIGTERM exit code $rc"
# alias, the -R probe (aborted), missing, big, and two aliases after reloads.
grep -qE "exiting: 6 requests, [0-9]+ transfers completed" "$WORK/tftpd-69.log" && ok "-v: exit summary counts the requests" || fail "exit summary: $(tail -2 "$WORK/tftpd-69.log")"
[ ! -e "$WORK/pid" ] && ok "pid file removed on exit" || fail "pid file left behind"

# --- inetd mode: the socket on fd 0, idle exit after -t ---
cat > "$WORK/inetd.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
os.dup2(s.fileno(), 0)
os.execv(sys.argv[3], sys.argv[3:])
PY
in_srv python3 "$WORK/inetd.py" $SRV_IP 6900 "$TFTPD" --stderr -s -u root -t 2 "$R" 2>"$WORK/inetd.log" &
ipid=$!; at_exit "kill $ipid"
sleep 0.5
in_cli timeout 10 curl -s -o "$WORK/got" "tftp://$SRV_IP:6900/small" && same "$R/small" "$WORK/got" && ok "inetd mode serves from fd 0" || fail "inetd mode: $(cat "$WORK/inetd.log")"
for _ in $(seq 60); do kill -0 $ipid 2>/dev/null || break; sleep 0.1; done
if kill -0 $ipid 2>/dev/null; then fail "inetd mode: still running after -t 2 idle"; else wait $ipid; rc=$?; [ $rc = 0 ] && ok "inetd mode exits after -t seconds idle" || fail "inetd idle exit code $rc"; fi

# --- systemd socket activation: LISTEN_FDS/LISTEN_PID, fd 3 ---
cat > "$WORK/sd.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[3], sys.argv[3:])
PY
in_srv python3 "$WORK/sd.py" $SRV_IP 6901 "$TFTPD" --stderr --systemd -s -u root "$R" 2>"$WORK/sd.log" &
spid=$!; at_exit "kill $spid"
sleep 0.5
in_cli timeout 10 curl -s -o "$WORK/got" "tftp://$SRV_IP:6901/small" && same "$R/small" "$WORK/got" && ok "--systemd serves the passed socket" || fail "--systemd: $(cat "$WORK/sd.log")"
kill $spid

# --- IPv6 on the namespace's loopback ---
start_tftpd "$TFTPD" 6902 --stderr -s -u root -a "[::1]:6902" "$R" 2>/dev/null || true
in_srv timeout 10 curl -s -g -o "$WORK/got6" "tftp://[::1]:6902/small" && same "$R/small" "$WORK/got6" && ok "IPv6 [::1] listen and transfer" || fail "IPv6 transfer"
finish
