# Shared helpers for integration tests: TAP output, a private pair of network
# namespaces joined by a veth, and cleanup on any exit.
# Addresses are RFC 2544 benchmark space, only ever inside our namespaces.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TFTPD=${TFTPD:-$ROOT/build/in.tftpd}
REF_TFTPD=${REF_TFTPD:-/usr/sbin/in.tftpd}
PFX=rbt$$
NS_SRV=$PFX-srv
NS_CLI=$PFX-cli
SRV_IP=198.18.0.1
CLI_IP=198.18.0.2
WORK=$(mktemp -d /tmp/rackboot-test.XXXXXX)
_failures=0
_cleanups=()

ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; _failures=$((_failures + 1)); }
check() { # description, command...
  local d=$1; shift
  if "$@"; then ok "$d"; else fail "$d"; fi
}
need() { # a test that needs something missing fails loudly, never skips
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { fail "required command '$c' is missing (run make deps)"; exit 1; }
  done
}
at_exit() { _cleanups+=("$*"); }
# After the servers have stopped: a sanitizer report in any server log
# (ASan, UBSan, LeakSanitizer builds) is a failure, shown in full.
_check_sanitizer_reports() {
  local f
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$f"; then
      echo "not ok - sanitizer report in $(basename "$f")"
      grep -E -A30 'AddressSanitizer|LeakSanitizer|runtime error:' "$f" | head -60 | sed 's/^/  # /'
    fi
  done
}
_cleanup() {
  local i
  for ((i=${#_cleanups[@]}-1; i>=0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
  _check_sanitizer_reports
  ip netns del "$NS_SRV" 2>/dev/null; ip netns del "$NS_CLI" 2>/dev/null
  rm -rf "$WORK"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

in_srv() { ip netns exec "$NS_SRV" "$@"; }
in_cli() { ip netns exec "$NS_CLI" "$@"; }

# Two namespaces, one veth; loopback up in both.
netns_setup() {
  ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || { fail "cannot create network namespaces"; exit 1; }
  ip link add "$PFX-s" netns "$NS_SRV" type veth peer name "$PFX-c" netns "$NS_CLI"
  in_srv ip addr add $SRV_IP/24 dev "$PFX-s"; in_srv ip link set "$PFX-s" up; in_srv ip link set lo up
  in_cli ip addr add $CLI_IP/24 dev "$PFX-c"; in_cli ip link set "$PFX-c" up; in_cli ip link set lo up
}

# SIGTERM a child process, give it 3 s, then SIGKILL; reap it. (A bare
# "kill; wait" would hang the whole test on a server that ignores SIGTERM.)
stop_pid() {
  local p=$1 i st
  # only our own child (a reaped pid may already belong to someone else)
  [ "$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f2)" = "$$" ] || { wait "$p" 2>/dev/null; return 0; }
  kill "$p" 2>/dev/null
  for ((i = 0; i < 30; i++)); do
    st=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
    [ -z "$st" ] || [ "$st" = Z ] && break
    sleep 0.1
  done
  [ -z "$st" ] || [ "$st" = Z ] || echo "# pid $p ignored SIGTERM for 3 s; sending SIGKILL" >&2
  kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
}

# Start a TFTP server (binary, port, args...) in the server namespace; sets SRV_PID.
start_tftpd() {
  local bin=$1 port=$2; shift 2
  # a simple command (not the in_srv function) so that $! is the server
  # itself rather than a subshell around it, and the kill below reaches it
  ip netns exec "$NS_SRV" "$bin" -L -a "$SRV_IP:$port" "$@" >>"$WORK/tftpd-$port.log" 2>&1 &
  SRV_PID=$!
  at_exit "stop_pid $SRV_PID"
  local i
  for i in $(seq 1 50); do
    in_srv ss -Hlun "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  fail "$bin did not start listening on port $port"; cat "$WORK/tftpd-$port.log"; exit 1
}

finish() { exit $(( _failures > 0 )); }

# ---------------------------------------------------------------------------
# TFTP server helpers (tftp_*.sh). Additions only; the functions above keep
# their behaviour.
TFTPC="$ROOT/tests/integration/tftpc.py"   # raw TFTP packet tool (python3)

# Kill whatever still runs inside our two namespaces (forked tftpd-hpa
# children, stray clients): only processes this test started live there.
# Register with `at_exit ns_kill_all` right after netns_setup.
ns_kill_all() {
  local ns p
  for ns in "$NS_SRV" "$NS_CLI"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
}

# True if BIN is the reference server (Debian's tftpd-hpa 5.2).
is_ref_tftpd() { [ "$(readlink -f "$1")" = "$(readlink -f "$REF_TFTPD")" ]; }

# tftpd-hpa 5.2 logs to syslog only (no --stderr) and this machine has no
# /dev/log. Wrap it with a tiny LD_PRELOAD shim that turns syslog() into one
# write(2) per line on stderr, so both servers log to $WORK/tftpd-PORT.log.
# Prints the wrapper's path.
ref_tftpd_wrapper() {
  local w=$WORK/ref-tftpd so=$WORK/syslog2stderr.so
  if [ ! -x "$w" ]; then
    need cc
    cat >"$WORK/syslog2stderr.c" <<'CEOF'
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
void openlog(const char *ident, int opt, int fac) { (void)ident; (void)opt; (void)fac; }
void closelog(void) {}
void vsyslog(int pri, const char *fmt, va_list ap)
{
  char buf[8192];
  int n = snprintf(buf, sizeof buf, "in.tftpd[%d]: <%d> ", (int)getpid(), pri & 7);
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  if (m < 0) m = 0;
  n += m < (int)(sizeof buf - n - 1) ? m : (int)(sizeof buf - n - 2);
  while (n > 0 && buf[n - 1] == '\n') n--;
  buf[n++] = '\n';
  if (write(2, buf, n) < 0) { /* nothing to do */ }
}
void syslog(int pri, const char *fmt, ...)
{ va_list ap; va_start(ap, fmt); vsyslog(pri, fmt, ap); va_end(ap); }
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{ (void)flag; vsyslog(pri, fmt, ap); }
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{ va_list ap; (void)flag; va_start(ap, fmt); vsyslog(pri, fmt, ap); va_end(ap); }
CEOF
    cc -shared -fPIC -O1 -o "$so" "$WORK/syslog2stderr.c" ||
      { fail "cannot build the syslog-to-stderr shim for $REF_TFTPD"; exit 1; }
    printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$so" "$REF_TFTPD" >"$w"
    chmod 755 "$w"
  fi
  echo "$w"
}

# Start a tftpd-hpa compatible server (binary, port, args...) with its log in
# $WORK/tftpd-PORT.log either way: the reference through the shim above,
# ours with --stderr (which the reference does not accept). Sets SRV_PID.
start_tftpd_logged() {
  local bin=$1 port=$2; shift 2
  need "$bin"
  if is_ref_tftpd "$bin"; then
    start_tftpd "$(ref_tftpd_wrapper)" "$port" "$@"
  else
    start_tftpd "$bin" "$port" --stderr "$@"
  fi
}
# For launching a server some other way (inetd mode, -l): sets the array
# TFTPD_ARGV to the command words that start BIN with logging to stderr.
tftpd_argv() {
  need "$1"
  if is_ref_tftpd "$1"; then TFTPD_ARGV=("$(ref_tftpd_wrapper)"); else TFTPD_ARGV=("$1" --stderr); fi
}
# The reference server, whatever $TFTPD is. Sets SRV_PID.
start_ref_tftpd() { start_tftpd_logged "$REF_TFTPD" "$@"; }
tftpd_log() { cat "$WORK/tftpd-$1.log" 2>/dev/null; }   # port

# A file of N random bytes, world-readable (tftpd-hpa serves only o+r files).
mkrand() { head -c "$2" /dev/urandom >"$1" && chmod 644 "$1"; }   # path, bytes
# Same content? (expected, actual) — prints a short reason when not.
same() {
  [ -f "$2" ] || { echo "  # missing $2"; return 1; }
  cmp -s "$1" "$2" || { echo "  # $2 differs from $1 ($(stat -c %s "$1") vs $(stat -c %s "$2") bytes)"; return 1; }
}

# ---------------------------------------------------------------------------
# DHCP helpers (dhcp_*.sh).
RACKBOOTD=${RACKBOOTD:-$ROOT/build/rackbootd}
DHCPC="/usr/bin/python3 $ROOT/tests/integration/dhcpc.py"   # scapy is Debian's

# Start rackbootd in the server namespace (args...); log $WORK/rackbootd.log;
# sets RB_PID. Waits until DHCP port 67 is bound.
start_rackbootd() {
  ip netns exec "$NS_SRV" "$RACKBOOTD" --stderr "$@" >>"$WORK/rackbootd.log" 2>&1 &
  RB_PID=$!
  at_exit "stop_pid $RB_PID"
  local i
  for i in $(seq 1 50); do
    in_srv ss -Hlun "sport = :67" | grep -q . && return 0
    kill -0 "$RB_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "rackbootd did not start"; cat "$WORK/rackbootd.log"; exit 1
}

# key=value lines from dhcpc.py: the value of KEY in the first block.
kv() { sed -n "s/^$1=//p" | head -1; }
