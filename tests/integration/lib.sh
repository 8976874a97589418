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
  rm -rf /sys/fs/bpf/rackboot/"$PFX"-*   # maps a fast path of this run pinned
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
  # itself rather than a subshell around it, and the kill below reaches it;
  # nsenter, not ip netns exec, so the host's bpffs stays visible (see
  # start_rackbootd)
  nsenter --net="/run/netns/$NS_SRV" "$bin" -L -a "$SRV_IP:$port" "$@" >>"$WORK/tftpd-$port.log" 2>&1 &
  SRV_PID=$!
  at_exit "stop_pid $SRV_PID"
  local i
  for i in $(seq 1 50); do
    in_srv ss -Hlun "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  fail "$bin did not start listening on port $port"; cat "$WORK/tftpd-$port.log"; exit 1
}

finish() {
  if [ -n "${TFTPD_FASTPATH:-}" ]; then
    if [ -z "$FASTPATH_PORT" ]; then
      fail "TFTPD_FASTPATH set, but no server of ours was started with the fast path"
    else
      local n
      n=$(fastpath_counter "$PFX-s" RB_CNT_TFTP_DATA_SENT)
      check "the fast path loaded on $PFX-s (port $FASTPATH_PORT)" grep -q "eBPF fast path on $PFX-s" "$WORK/tftpd-$FASTPATH_PORT.log"
      check "the kernel sent DATA frames for this test's transfers: $n" [ "${n:-0}" -gt 0 ]
    fi
  fi
  if [[ " ${RB_EXTRA_ARGS:-} " == *" --no-bpf "* ]] && [ -s "$WORK/rackbootd.log" ]; then
    check "--no-bpf: rackbootd served without the fast path" \
      eval '! grep -q "eBPF fast path on" "$WORK/rackbootd.log"'
  fi
  exit $(( _failures > 0 ))
}

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
    local fp=()
    if [ -n "${TFTPD_FASTPATH:-}" ] && [ -z "$FASTPATH_PORT" ]; then
      fp=(--fastpath "$PFX-s"); FASTPATH_PORT=$port
    fi
    start_tftpd "$bin" "$port" --stderr "${fp[@]}" "$@"
  fi
}

# TFTPD_FASTPATH=1: the first of our servers a test starts serves with the
# eBPF fast path on the server's veth (one per interface: they share the
# maps pinned under /sys/fs/bpf/rackboot/IF). tests/run.sh runs the TFTP
# suites once more that way; `finish` then checks the kernel sent DATA.
FASTPATH_PORT=
# A counter of the fast path on IF (name as in bpf/fastpath_abi.h's enum
# rb_counter, e.g. RB_CNT_TFTP_DATA_SENT), summed over CPUs.
fastpath_counter() { # if, counter
  local idx
  idx=$(awk -v c="$2" '/^enum rb_counter/ {on = 1; n = 0; next} on && /^}/ {exit}
        on && match($0, /RB_CNT_[A-Z0-9_]+/) { if (substr($0, RSTART, RLENGTH) == c) { print n; exit } n++ }' \
        "$ROOT/bpf/fastpath_abi.h")
  [ -n "$idx" ] || { echo "no counter $2" >&2; echo 0; return; }
  bpftool -j map lookup pinned "/sys/fs/bpf/rackboot/$1/rb_counters" key $idx 0 0 0 2>/dev/null |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(sum(v["value"] for v in d["formatted"]["values"]))' 2>/dev/null || echo 0
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
# sets RB_PID. Waits until DHCP port 67 is bound. RB_EXTRA_ARGS go first
# (tests/run.sh runs some suites again with --no-bpf). nsenter rather than `ip
# netns exec`: it keeps the host's /sys/fs/bpf, so the fast path's pinned
# maps outlive one daemon and the next adopts them, as on a real host.
start_rackbootd() {
  # shellcheck disable=SC2086  # RB_EXTRA_ARGS: words, e.g. --no-bpf (tests/run.sh)
  nsenter --net="/run/netns/$NS_SRV" "$RACKBOOTD" --stderr ${RB_EXTRA_ARGS:-} "$@" >>"$WORK/rackbootd.log" 2>&1 &
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

# ---------------------------------------------------------------------------
# More DHCP helpers (dhcp_clients.sh, dhcp_proxy.sh). Additions only:
# nothing above changes (start_rackbootd, $DHCPC, kv are the section above's).
DHCPC_PY="$ROOT/tests/integration/dhcpc.py"   # the same tool, as a path
SCAPY_PY=/usr/bin/python3                     # Debian's python3: has python3-scapy

# Poll every 0.1 s until COMMAND succeeds, for at most SECONDS (whole
# seconds); the last try's status is the result.
wait_until() { # seconds, command...
  local n=$(( $1 * 10 )) i; shift
  for ((i = 1; i < n; i++)); do "$@" && return 0; sleep 0.1; done
  "$@"
}

# True once a UDP socket is bound to PORT inside namespace NS.
udp_bound() { ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q .; }   # ns, port

# Kill everything that runs inside the namespaces named (SIGKILL).
ns_kill() {
  local ns p
  for ns in "$@"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
}

# One more namespace, NAME as given (use "$PFX-..." names), loopback up. On
# exit whatever runs in it is killed and it is deleted (NS_SRV/NS_CLI are
# deleted by _cleanup already; this is for the others).
netns_add() {
  ip netns add "$1" || { fail "cannot create network namespace $1"; exit 1; }
  at_exit "ip netns del $1"
  at_exit "ns_kill $1"
  ip -n "$1" link set lo up
}

# A switched segment instead of netns_setup's point-to-point veth: bridge
# br0 in namespace $NS_BR ($PFX-br). $NS_SRV plugs in with $PFX-s
# (198.18.0.1/24), $NS_CLI with $PFX-c (no address: a DHCP client's), and
# every extra LETTER names a namespace $PFX-LETTER plugged in with
# $PFX-LETTER (no address; add one with ip -n). Bridge ports are $PFX-bX.
NS_BR=$PFX-br
netns_bridge_setup() { # [letter...]
  local l ns
  netns_add "$NS_BR"
  ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || { fail "cannot create network namespaces"; exit 1; }
  at_exit "ns_kill $NS_SRV $NS_CLI"
  ip -n "$NS_SRV" link set lo up; ip -n "$NS_CLI" link set lo up
  ip -n "$NS_BR" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$NS_BR" link set br0 up
  for l in s c "$@"; do
    case $l in s) ns=$NS_SRV ;; c) ns=$NS_CLI ;; *) ns=$PFX-$l; netns_add "$ns" ;; esac
    ip link add "$PFX-$l" netns "$ns" type veth peer name "$PFX-b$l" netns "$NS_BR" ||
      { fail "cannot create veth $PFX-$l"; exit 1; }
    ip -n "$NS_BR" link set "$PFX-b$l" master br0 up
    ip -n "$ns" link set "$PFX-$l" up
  done
  ip -n "$NS_SRV" addr add $SRV_IP/24 dev "$PFX-s"
}

# The build tree is shared and may be rebuilt while a test runs (a rebuild
# removes build/rackbootd for a while): call rb_bin first and the test uses
# one copy of $RACKBOOTD, in $WORK, for the server (start_rackbootd) and for
# --list-leases alike. It points RACKBOOTD at the copy.
rb_bin() {
  [ "$RACKBOOTD" = "$WORK/rackbootd" ] && return 0
  need "$RACKBOOTD"
  cp "$RACKBOOTD" "$WORK/rackbootd" || { fail "cannot copy $RACKBOOTD"; exit 1; }
  RACKBOOTD=$WORK/rackbootd
}
# rackbootd's lease table (ip mac state expires hostname), header dropped.
rb_leases() { "$RACKBOOTD" --list-leases --state-dir "$1" | tail -n +2; }   # state dir

# A hook script for udhcpc (-s), dhclient (-sf) and dhcpcd (-c) that saves
# its environment to PREFIX.EVENT (udhcpc's $1: bound, renew...; dhclient's
# and dhcpcd's $reason: BOUND, REBOOT, INFORM...), written atomically. With
# "configure" it also puts the leased address on the interface (needed for
# unicast renewals and releases); it never touches routes or resolv.conf.
dhcp_hook_script() { # path, prefix, [configure]
  cat >"$1" <<EOF
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
ev=\${reason:-\$1}
env | sort >"$2.\$ev.tmp" && mv "$2.\$ev.tmp" "$2.\$ev"
[ "${3:-}" = configure ] || exit 0
case \$ev in
  bound|renew) ip -4 addr flush dev "\$interface"; ip addr add "\$ip/\$mask" dev "\$interface" ;;
  BOUND|RENEW|REBIND|REBOOT)
    [ "\$new_ip_address" = "\$old_ip_address" ] || ip -4 addr flush dev "\$interface"
    ip addr replace "\$new_ip_address/\$new_subnet_mask" dev "\$interface" ;;
esac
exit 0
EOF
  chmod 755 "$1"
}
# Does env dump FILE hold every KEY=VALUE given? Prints what differs.
env_has() { # file, key=value...
  local f=$1 kv bad=0; shift
  [ -f "$f" ] || { echo "  # no $f"; return 1; }
  for kv in "$@"; do
    grep -qxF -- "$kv" "$f" && continue
    echo "  # want $kv, got: $(grep -E "^${kv%%=*}=" "$f" | head -1 | tr -d '\n')"
    bad=1
  done
  return $bad
}
# The value of KEY in a key=value listing FILE (env dumps, dhcpc.py output).
kv_get() { sed -n "s/^$2=//p" "$1" | head -1; }   # file, key
# Is address IP inside LO..HI (dotted quads)?
ip_in_range() { # ip, lo, hi
  local a b c
  a=$(_ip2n "$1") && b=$(_ip2n "$2") && c=$(_ip2n "$3") && [ "$a" -ge "$b" ] && [ "$a" -le "$c" ]
}
_ip2n() {
  local IFS=. q
  read -r -a q <<<"$1"
  [ ${#q[@]} = 4 ] || return 1
  echo $(( (q[0] << 24) | (q[1] << 16) | (q[2] << 8) | q[3] ))
}

# Record every DHCP/BOOTP datagram (UDP 67, 68, 4011) seen on IF in
# namespace NS, both directions, one line each in OUT:
#   dir=in|out ethsrc= ethdst= src= dst= sport= dport= op= type= xid=
#   flags= ciaddr= yiaddr= siaddr= chaddr= file= opts=1,3,6,...
# (AF_PACKET, standard library only). Runs at most SECONDS; returns once it
# listens. Sets SNIFF_PID (stopped on exit, or with stop_pid).
dhcp_sniff() { # ns, if, out, seconds
  cat >"$WORK/dhcp_sniff.py" <<'PYEOF'
import socket, struct, sys, time
ifname, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((ifname, 0))
s.settimeout(0.2)
f = open(out, "a", buffering=1)
f.write("# listening on %s\n" % ifname)
names = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
         7: "RELEASE", 8: "INFORM"}
hw = lambda b: ":".join("%02x" % x for x in b)
q = socket.inet_ntoa
end = time.time() + seconds
while time.time() < end:
    try:
        fr, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if len(fr) < 14 + 20 + 8 + 240 or fr[12:14] != b"\x08\x00":
        continue
    ip = fr[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17:
        continue
    udp = ip[ihl:]
    sp, dp = struct.unpack("!HH", udp[:4])
    if not {sp, dp} & {67, 68, 4011}:
        continue
    b = udp[8:]
    if len(b) < 240:
        continue
    t, i, opts = "BOOTP", 240, []
    while i < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        if i + 1 >= len(b):
            break
        opts.append(str(b[i]))
        if b[i] == 53 and b[i + 1] >= 1:
            t = names.get(b[i + 2], str(b[i + 2]))
        i += 2 + b[i + 1]
    f.write("dir=%s ethsrc=%s ethdst=%s src=%s dst=%s sport=%d dport=%d op=%d type=%s xid=%08x "
            "flags=%04x ciaddr=%s yiaddr=%s siaddr=%s chaddr=%s file=%s opts=%s\n" % (
                "out" if addr[2] == socket.PACKET_OUTGOING else "in", hw(fr[6:12]), hw(fr[0:6]),
                q(ip[12:16]), q(ip[16:20]), sp, dp, b[0], t, struct.unpack("!I", b[4:8])[0],
                struct.unpack("!H", b[10:12])[0], q(b[12:16]), q(b[16:20]), q(b[20:24]),
                hw(b[28:34]), b[108:236].split(b"\0")[0].decode(errors="replace") or "-",
                ",".join(opts)))
PYEOF
  need python3
  ip netns exec "$1" timeout "$(( ${4%.*} + 5 ))" python3 "$WORK/dhcp_sniff.py" "$2" "$3" "$4" \
    2>>"$WORK/dhcp_sniff.err" &
  SNIFF_PID=$!
  at_exit "stop_pid $SNIFF_PID"
  wait_until 5 grep -q '^# listening' "$3" 2>/dev/null ||
    { fail "DHCP sniffer on $2 did not start: $(head -c 300 "$WORK/dhcp_sniff.err" 2>/dev/null)"; exit 1; }
}
# A DHCPINFORM from IF with ciaddr CIADDR (the address must be on IF), sent
# to DEST:67 (default broadcast); prints the first reply like dhcpc.py does
# (key=value lines, or type=none).
dhcp_inform() { # ns, if, ciaddr, [dest]
  ip netns exec "$1" timeout 20 "$SCAPY_PY" - "$2" "$3" "${4:-255.255.255.255}" "$DHCPC_PY" <<'PYEOF'
import os, random, sys
ifname, ciaddr, dest, dhcpc_path = sys.argv[1:5]
sys.path.insert(0, os.path.dirname(dhcpc_path))
import dhcpc
mac = dhcpc.mac_bytes(open("/sys/class/net/%s/address" % ifname).read().strip())
xid = random.getrandbits(32)
s = dhcpc.sock(ifname)
s.sendto(dhcpc.request(mac, xid, "inform", "plain", ciaddr=ciaddr), (dest, 67))
got = dhcpc.wait_replies(s, xid, 3.0, False)
if not got:
    print("type=none")
else:
    dhcpc.show(got[0])
PYEOF
}

# ---------------------------------------------------------------------------
# HTTP helpers (http_*.sh). Additions only.
HTTPC="$ROOT/tests/integration/httpc.py"   # raw HTTP/1.1 tool (python3, stdlib only)

# True once a TCP socket listens on PORT inside the server namespace.
tcp_listening() { in_srv ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }   # port

# rackbootd on $SRV_IP serving ROOT over HTTP on PORT (TFTP on PORT+1, a
# DHCP range on the veth subnet, state in $WORK/state-PORT), plus any extra
# flags; waits until HTTP listens. Sets RB_PID (stopped on exit or with
# stop_pid). Call rb_bin first.
start_rackbootd_http() { # port, root, [flags...]
  local port=$1 root=$2; shift 2
  mkdir -p "$WORK/state-$port"
  start_rackbootd --interface "$PFX-s" --address $SRV_IP/24 --root "$root" \
    --dhcp-range 198.18.0.100,198.18.0.150 --state-dir "$WORK/state-$port" \
    --http-port "$port" --tftp-port $((port + 1)) "$@"
  wait_until 5 tcp_listening "$port" ||
    { fail "rackbootd does not listen on HTTP port $port"; cat "$WORK/rackbootd.log"; exit 1; }
}

# The value of the sample NAME (exact, labels included, e.g.
# 'rackboot_http_responses_total{code="5xx"}') in /metrics on PORT, or
# "none" if /metrics or the sample is missing.
http_metric() { # port, name
  local v
  v=$(in_cli curl -s --max-time 5 "http://$SRV_IP:$1/metrics" |
      awk -v n="$2" '$1 == n { print $2; exit }')
  echo "${v:-none}"
}

# ---------------------------------------------------------------------------
# rackboot-storm helpers (storm_*.sh, bench/storm-plot.sh). Additions only.
STORM=${STORM:-$ROOT/build/rackboot-storm}

# One copy of rackboot-storm in $WORK for the whole test (a rebuild of the
# shared build tree would remove build/rackboot-storm for a while); points
# STORM at it.
storm_bin() {
  [ "$STORM" = "$WORK/rackboot-storm" ] && return 0
  need "$STORM"
  cp "$STORM" "$WORK/rackboot-storm" || { fail "cannot copy $STORM"; exit 1; }
  STORM=$WORK/rackboot-storm
}

# A rackbootd configuration file whose default profile boots KERNEL and
# INITRD (paths below the root) with a short command line.
storm_rb_conf() { # path, kernel, initrd
  cat >"$1" <<EOC
default-profile storm
profile storm {
    kernel $2
    initrd $3
    cmdline "console=ttyS0 rackboot-storm"
}
EOC
}

# WORK/root (R) with a random kernel and initrd of the given sizes, and a
# rackbootd configuration booting them (WORK/rb.conf).
storm_root() { # kernel bytes, initrd bytes
  R=$WORK/root
  mkdir -p "$R"
  mkrand "$R/vmlinuz" "$1"
  mkrand "$R/initrd.img" "$2"
  storm_rb_conf "$WORK/rb.conf" vmlinuz initrd.img
}

# Drop PERCENT % of the UDP datagrams arriving on interface IF of
# namespace NS, at random (nftables numgen, in the kernel: this kernel has
# no sch_netem). Put it on both ends of a veth for loss both ways. The
# netdev ingress hook, not input/output: a drop there is silent, as on a
# wire (an output-hook drop returns EPERM to the sending server), and it
# comes before a packet socket bound to ETH_P_IP sees the frame.
# Rules go in through libnftables (python ctypes; the library comes with
# dnsmasq-base) or the nft command when installed. TCP is left alone.
_nft() { # ns, commands
  if command -v nft >/dev/null 2>&1; then
    ip netns exec "$1" nft -f - <<<"$2"
    return
  fi
  ip netns exec "$1" /usr/bin/python3 - "$2" <<'PYEOF'
import ctypes, sys
lib = ctypes.CDLL("libnftables.so.1")
lib.nft_ctx_new.restype = ctypes.c_void_p
for f in ("nft_ctx_buffer_error", "nft_ctx_buffer_output"):
    getattr(lib, f).argtypes = [ctypes.c_void_p]
for f in ("nft_ctx_get_error_buffer", "nft_ctx_get_output_buffer"):
    getattr(lib, f).argtypes = [ctypes.c_void_p]
    getattr(lib, f).restype = ctypes.c_char_p
lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
ctx = lib.nft_ctx_new(0)
lib.nft_ctx_buffer_error(ctx)
lib.nft_ctx_buffer_output(ctx)
rc = lib.nft_run_cmd_from_buffer(ctx, sys.argv[1].encode())
sys.stdout.write(lib.nft_ctx_get_output_buffer(ctx).decode())
if rc:
    sys.stderr.write(lib.nft_ctx_get_error_buffer(ctx).decode())
sys.exit(1 if rc else 0)
PYEOF
}
udp_loss() { # ns, if, percent
  _nft "$1" "add table netdev stormloss
add chain netdev stormloss in { type filter hook ingress device \"$2\" priority 0; }
add rule netdev stormloss in ip protocol udp numgen random mod 100 < $3 counter drop"
}
udp_loss_off() { _nft "$1" "delete table netdev stormloss"; }   # ns
# Datagrams dropped so far by udp_loss in NS.
udp_loss_count() { # ns
  _nft "$1" "list table netdev stormloss" |
    awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# Permanent ARP entries in NS on IF for COUNT addresses from FIRST, all
# pointing at MAC. Why: the kernel's neighbour table limit (gc_thresh3,
# 1024 by default) is one for the whole host, shared by every namespace;
# a server answering thousands of simulated nodes overflows it ("neighbor
# table overflow", ENOBUFS on its sends, even its DHCP broadcasts).
# Permanent entries do not count against the limit and need no host-wide
# sysctl change.
neigh_fill() { # ns, if, mac, first-ip, count
  local a
  a=$(_ip2n "$4") || return 1
  awk -v a="$a" -v n="$5" -v dev="$2" -v mac="$3" 'BEGIN {
    for (i = 0; i < n; i++) { x = a + i
      printf "neigh replace %d.%d.%d.%d lladdr %s dev %s nud permanent\n",
        int(x / 16777216) % 256, int(x / 65536) % 256, int(x / 256) % 256, x % 256, mac, dev } }' |
    ip -n "$1" -batch -
}

# Storm benchmarks (bench/storm-plot.sh, bench/peers.sh): two namespaces on
# one veth with a /16 (server 198.18.0.1, client 198.18.0.2), room for tens
# of thousands of leases, and the same storm files under WORK/root: a
# BOOT_SIZE boot file for BIOS and UEFI alike, a KERNEL_SIZE kernel and an
# INITRD_SIZE initrd, with a rackbootd configuration booting them
# (WORK/rb.conf). Sets CLI_MAC (the client interface's MAC, for neigh_fill)
# and R.
storm_bench_setup() {
  ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || { echo "cannot create namespaces" >&2; exit 1; }
  at_exit ns_kill_all
  ip link add "$PFX-s" netns "$NS_SRV" type veth peer name "$PFX-c" netns "$NS_CLI"
  ip -n "$NS_SRV" addr add 198.18.0.1/16 dev "$PFX-s"
  ip -n "$NS_CLI" addr add 198.18.0.2/16 dev "$PFX-c"
  local ns
  for ns in "$NS_SRV" "$NS_CLI"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_SRV" link set "$PFX-s" up
  ip -n "$NS_CLI" link set "$PFX-c" up
  CLI_MAC=$(ip -n "$NS_CLI" -br link show dev "$PFX-c" | awk '{ print $3 }')
  storm_root "$KERNEL_SIZE" "$INITRD_SIZE"
  mkrand "$R/boot.bin" "$BOOT_SIZE"
  printf 'boot-bios boot.bin\nboot-efi-x64 boot.bin\n' >>"$WORK/rb.conf"
}

# The real iPXE boot programs (package ipxe), copied into DIR for tests
# that serve them; a test without them fails loudly.
IPXE=/usr/lib/ipxe
ipxe_files() { # dir
  local f
  for f in undionly.kpxe ipxe.efi; do
    [ -s "$IPXE/$f" ] || { fail "$IPXE/$f is missing (package ipxe; run make deps)"; exit 1; }
  done
  mkdir -p "$1" && cp "$IPXE/undionly.kpxe" "$IPXE/ipxe.efi" "$1/" &&
    chmod 644 "$1/undionly.kpxe" "$1/ipxe.efi"
}
