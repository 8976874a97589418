#!/usr/bin/env bash
# rackbootd's HTTP/1.1 file server, from a client namespace (curl, and
# httpc.py for raw bytes): GET/HEAD, single ranges (206/416, suffix, open,
# multi-range served whole), validators (ETag, Last-Modified,
# If-None-Match, If-Modified-Since, If-Range), keep-alive reuse and
# pipelining, error statuses (404, 400, 431, 501, 505), path traversal and
# symlinks out of the root, Content-Type, /boot.ipxe (the root's file, the
# default profile, a host's own profile by ?mac= and by DHCP lease) and
# /metrics (Prometheus text format).
source "$(dirname "$0")/lib.sh"
need curl python3 cmp
/usr/bin/python3 -c 'import scapy' 2>/dev/null || { fail "python3-scapy missing (make deps)"; exit 1; }
rb_bin
netns_setup
at_exit ns_kill_all

R=$WORK/root
mkdir -p "$R/sub"
SIZE=100000
mkrand "$R/file.bin" $SIZE
echo "a small text file" >"$R/small.txt"
printf '#!ipxe\necho the root boot.ipxe\nchain http://${next-server}/x.ipxe\n' >"$R/boot.ipxe"
mkrand "$R/ipxe.efi" 4096
mkrand "$R/blob.xyz" 100
mkrand "$R/vmlinuz" 2000
mkrand "$R/sub/in-sub.bin" 300
: >"$R/empty.bin"
echo "a name with a space" >"$R/with space.txt"
# A canary outside the root: no request may ever return it, nor /etc/passwd.
echo "CANARY-outside-the-root-$$" >"$WORK/outside.txt"
ln -s /etc/passwd "$R/passwd-link"          # absolute, out of the root
ln -s ../outside.txt "$R/outside-link"      # relative, climbs out
ln -s /etc "$R/etc-link"                    # a directory out of the root
ln -s sub/in-sub.bin "$R/good-link"         # inside the root: must work
touch -d '2024-03-01 12:00:00 UTC' "$R/file.bin"
MTIME=$(stat -c %Y "$R/file.bin")

P=8080
U=http://$SRV_IP:$P
start_rackbootd_http $P "$R"

# get NAME CURL-ARGS...: body in $WORK/b.NAME, head in $WORK/h.NAME; prints the status.
get() { local n=$1; shift; in_cli curl -sS --max-time 5 -o "$WORK/b.$n" -D "$WORK/h.$n" -w '%{http_code}' "$@"; }
# hdr NAME HEADER: that header's value in the last response of $WORK/h.NAME.
hdr() { tr -d '\r' <"$WORK/h.$1" | sed -n "s/^$2: *//Ip" | tail -1; }
# raw DATA [WAIT]: send bytes (a Python literal) in one write; what came back.
raw() { in_cli timeout 15 python3 "$HTTPC" send $SRV_IP $P "$1" --wait "${2:-3}"; }
is() { [ "$1" = "$2" ] || { echo "  # want '$2', got '$1'"; return 1; }; }
has() { grep -qF -- "$2" <<<"$1" || { echo "  # no '$2' in: $(head -c 300 <<<"$1" | tr '\r\n' '  ')"; return 1; }; }

# --- GET and HEAD -----------------------------------------------------------
s=$(get full "$U/file.bin")
check "GET: 200 (got $s)" is "$s" 200
check "GET: body intact" same "$R/file.bin" "$WORK/b.full"
check "GET: Content-Length $SIZE" is "$(hdr full Content-Length)" $SIZE
check "GET: Accept-Ranges: bytes" is "$(hdr full Accept-Ranges)" bytes
ETAG=$(hdr full ETag)
check "GET: a strong ETag ($ETAG)" bash -c "[[ '$ETAG' == '\"'*'\"' ]]"
LM=$(LC_ALL=C date -u -d "@$MTIME" '+%a, %d %b %Y %H:%M:%S GMT')
check "GET: Last-Modified is the file's mtime ($LM)" is "$(hdr full Last-Modified)" "$LM"
check "GET: Date header present" bash -c "[ -n '$(hdr full Date)' ]"

s=$(in_cli curl -sS --max-time 5 -I -o "$WORK/h.head" -w '%{http_code}' "$U/file.bin")
check "HEAD: 200 (got $s)" is "$s" 200
check "HEAD: Content-Length is the file's ($SIZE)" is "$(hdr head Content-Length)" $SIZE
check "HEAD: same ETag as GET" is "$(hdr head ETag)" "$ETAG"
out=$(raw "b'HEAD /file.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'")
# nothing may follow the blank line that ends the head
tail_bytes=$(python3 -c 'import sys; d=sys.stdin.read(); h,_,b=d.partition("\r\n\r\n"); print(len(b.split("\n#httpc:")[0]))' <<<"$out")
check "HEAD: no body bytes on the wire (got $tail_bytes)" is "$tail_bytes" 0
check "HEAD with Connection: close: closed after the head" has "$out" "#httpc: closed"

# --- ranges -----------------------------------------------------------------
s=$(get r1 -r 10-19 "$U/file.bin")
check "Range bytes=10-19: 206 (got $s)" is "$s" 206
check "Range bytes=10-19: Content-Range bytes 10-19/$SIZE" is "$(hdr r1 Content-Range)" "bytes 10-19/$SIZE"
check "Range bytes=10-19: Content-Length 10" is "$(hdr r1 Content-Length)" 10
check "Range bytes=10-19: exactly bytes 10..19" cmp -s <(tail -c +11 "$R/file.bin" | head -c 10) "$WORK/b.r1"
s=$(get r2 -H 'Range: bytes=-100' "$U/file.bin")
check "suffix Range bytes=-100: 206 (got $s)" is "$s" 206
check "suffix range: Content-Range bytes $((SIZE-100))-$((SIZE-1))/$SIZE" \
  is "$(hdr r2 Content-Range)" "bytes $((SIZE-100))-$((SIZE-1))/$SIZE"
check "suffix range: the last 100 bytes" cmp -s <(tail -c 100 "$R/file.bin") "$WORK/b.r2"
s=$(get r3 -H 'Range: bytes=100-' "$U/file.bin")
check "open Range bytes=100-: 206 (got $s)" is "$s" 206
check "open range: Content-Range bytes 100-$((SIZE-1))/$SIZE" is "$(hdr r3 Content-Range)" "bytes 100-$((SIZE-1))/$SIZE"
check "open range: bytes 100..end" cmp -s <(tail -c +101 "$R/file.bin") "$WORK/b.r3"
s=$(get r4 -H "Range: bytes=$SIZE-" "$U/file.bin")
check "unsatisfiable Range bytes=$SIZE-: 416 (got $s)" is "$s" 416
check "416 carries Content-Range: bytes */$SIZE" is "$(hdr r4 Content-Range)" "bytes */$SIZE"
s=$(get r5 -H 'Range: bytes=0-9,20-29' "$U/file.bin")
check "multi-range bytes=0-9,20-29: 200 with the whole file (got $s)" is "$s" 200
check "multi-range: whole body intact" same "$R/file.bin" "$WORK/b.r5"

# --- conditional requests ---------------------------------------------------
s=$(get c1 -H "If-None-Match: $ETAG" "$U/file.bin")
check "If-None-Match with the ETag: 304 (got $s)" is "$s" 304
check "304: no body" is "$(stat -c %s "$WORK/b.c1" 2>/dev/null || echo 0)" 0
check "304: repeats the ETag" is "$(hdr c1 ETag)" "$ETAG"
s=$(get c2 -H 'If-None-Match: "0-0"' "$U/file.bin")
check "If-None-Match with another ETag: 200 (got $s)" is "$s" 200
check "If-None-Match mismatch: full body" same "$R/file.bin" "$WORK/b.c2"
later=$(LC_ALL=C date -u -d "@$((MTIME + 86400))" '+%a, %d %b %Y %H:%M:%S GMT')
earlier=$(LC_ALL=C date -u -d "@$((MTIME - 86400))" '+%a, %d %b %Y %H:%M:%S GMT')
s=$(get c3 -H "If-Modified-Since: $later" "$U/file.bin")
check "If-Modified-Since a day after the mtime: 304 (got $s)" is "$s" 304
s=$(get c4 -H "If-Modified-Since: $earlier" "$U/file.bin")
check "If-Modified-Since a day before the mtime: 200 (got $s)" is "$s" 200
s=$(get c5 -H "If-Modified-Since: $LM" "$U/file.bin")
check "If-Modified-Since equal to Last-Modified: 304 (got $s)" is "$s" 304
s=$(get c6 -r 10-19 -H "If-Range: $ETAG" "$U/file.bin")
check "If-Range with the ETag: 206 (got $s)" is "$s" 206
check "If-Range match: bytes 10..19" cmp -s <(tail -c +11 "$R/file.bin" | head -c 10) "$WORK/b.c6"
s=$(get c7 -r 10-19 -H 'If-Range: "0-0"' "$U/file.bin")
check "If-Range with another ETag: 200 (got $s)" is "$s" 200
check "If-Range mismatch: the whole file" same "$R/file.bin" "$WORK/b.c7"
s=$(get c8 -r 10-19 -H "If-Range: $LM" "$U/file.bin")
check "If-Range with the Last-Modified date: 206 (got $s)" is "$s" 206
s=$(get c9 -r 10-19 -H "If-Range: W/$ETAG" "$U/file.bin")
check "If-Range with the weak form of the ETag: 200, never a range (got $s)" is "$s" 200
s=$(get c10 -H "If-None-Match: W/$ETAG" "$U/file.bin")
check "If-None-Match with the weak form (weak comparison): 304 (got $s)" is "$s" 304
s=$(get c11 -H 'If-None-Match: *' "$U/file.bin")
check "If-None-Match: * : 304 (got $s)" is "$s" 304
s=$(get c12 -H "If-None-Match: \"0-0\", $ETAG" "$U/file.bin")
check "If-None-Match list holding the ETag: 304 (got $s)" is "$s" 304
s=$(get c13 -H 'If-None-Match: "0-0"' -H "If-Modified-Since: $later" "$U/file.bin")
check "If-None-Match mismatch wins over a matching If-Modified-Since: 200 (got $s)" is "$s" 200

# --- connections --------------------------------------------------------------
out=$(in_cli curl -sv --max-time 5 -o /dev/null -o /dev/null -w '%{http_code}/%{num_connects} ' \
      "$U/file.bin" "$U/small.txt" 2>&1)
check "keep-alive: two URLs, one connection (curl: 200/1 200/0)" has "$out" "200/1 200/0"
check "keep-alive: curl re-used the connection" has "$out" "Re-using existing connection"
out=$(in_cli timeout 15 python3 "$HTTPC" pipeline $SRV_IP $P /file.bin /nope /small.txt /file.bin)
want="200 $SIZE $(sha256sum <"$R/file.bin" | cut -d' ' -f1)
404 14 $(printf '404 Not Found\n' | sha256sum | cut -d' ' -f1)
200 $(stat -c %s "$R/small.txt") $(sha256sum <"$R/small.txt" | cut -d' ' -f1)
200 $SIZE $(sha256sum <"$R/file.bin" | cut -d' ' -f1)
#httpc: writes=1"
check "pipelining: 4 GETs in one write, 4 responses in order, bodies intact" is "$out" "$want"

paths=(); for _ in $(seq 1 300); do paths+=(/small.txt); done
out=$(in_cli timeout 15 python3 "$HTTPC" pipeline $SRV_IP $P "${paths[@]}")
n=$(grep -c "^200 $(stat -c %s "$R/small.txt") $(sha256sum <"$R/small.txt" | cut -d' ' -f1)\$" <<<"$out")
check "pipelining: 300 GETs (about 12 KB, more than the 8 KiB buffer) in one write: 300 good responses (got $n)" is "$n" 300

# --- a few more files --------------------------------------------------------------
s=$(get f1 "$U/empty.bin")
check "empty file: 200, Content-Length 0, no body (got $s)" \
  bash -c "[ '$s' = 200 ] && [ '$(hdr f1 Content-Length)' = 0 ] && [ ! -s '$WORK/b.f1' ]"
s=$(get f2 -r 0-0 "$U/empty.bin")
check "empty file, Range bytes=0-0: 416 (got $s)" is "$s" 416
s=$(get f3 "$U/with%20space.txt")
check "percent-encoded name (with%20space.txt): 200 (got $s)" is "$s" 200
check "with%20space.txt: the file" same "$R/with space.txt" "$WORK/b.f3"
s=$(get f4 "$U/file.bin?x=1&y=2")
check "a query string on a file is ignored: 200 (got $s)" is "$s" 200
s=$(get f5 "$U/file.bin%00.txt")
check "%00 in the path: 400 (got $s)" is "$s" 400

# --- error statuses -------------------------------------------------------------
s=$(get e1 "$U/does-not-exist")
check "missing file: 404 (got $s)" is "$s" 404
s=$(get e1d "$U/sub/")
check "a directory: 404 (got $s)" is "$s" 404
out=$(raw "b'GET /file.bin\r\nHost: x\r\n\r\n'")
check "request line without a version: 400" has "$out" "HTTP/1.1 400 "
check "400: then closed" has "$out" "#httpc: closed"
out=$(raw "b'GET  /file.bin HTTP/1.1\r\nHost: x\r\n\r\n'")
check "request line with two spaces: 400" has "$out" "HTTP/1.1 400 "
out=$(raw "b'GET /file.bin HTTP/1.1\r\n\r\n'")
check "HTTP/1.1 without Host: 400" has "$out" "HTTP/1.1 400 "
big=$(head -c 9000 /dev/zero | tr '\0' a)
s=$(get e2 -H "X-Big: $big" "$U/file.bin")
check "9000-byte header: 431 (got $s)" is "$s" 431
check "431: Connection: close" is "$(hdr e2 Connection)" close
out=$(raw "b'GET /file.bin HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 9000 + b'\r\n\r\n'")
check "9000-byte header in one write, raw: 431" has "$out" "HTTP/1.1 431 "
# RFC 9112 9.6: closing with the rest of the client's bytes unread makes
# the kernel answer with a reset, which can destroy the 431 before the
# client has read it; a server half-closes and drains first.
check "after the 431 the connection ends with FIN, not a reset (RFC 9112 9.6)" \
  has "$out" "#httpc: closed"
s=$(get e3 -X POST "$U/file.bin")
check "POST: 501 (got $s)" is "$s" 501
s=$(get e3b -X PUT -d hello "$U/file.bin")
check "PUT with a body: 501 (got $s)" is "$s" 501
out=$(raw "b'GET /file.bin HTTP/2.0\r\nHost: x\r\n\r\n'")
check "HTTP/2.0 request line: 505" has "$out" "HTTP/1.1 505 "
out=$(raw "b'GET /small.txt HTTP/1.0\r\n\r\n'")
check "HTTP/1.0 without keep-alive: 200 and Connection: close" \
  bash -c "grep -q 'HTTP/1.1 200 ' <<<\"\$1\" && grep -qi 'Connection: close' <<<\"\$1\" && grep -q '#httpc: closed' <<<\"\$1\"" _ "$out"
check "server still answers after the bad requests" is "$(get alive "$U/small.txt")" 200

# --- traversal: nothing outside the root ----------------------------------------
leak() { # the last response carried /etc/passwd or the canary?
  grep -qE '^root:|CANARY-outside' "$WORK/b.$1" 2>/dev/null
}
refused() { # name, codes allowed, curl args...
  local n=$1 ok=$2 st; shift 2
  st=$(get "$n" "$@")
  if leak "$n"; then echo "  # LEAKED: $(head -c 100 "$WORK/b.$n")"; return 1; fi
  [[ " $ok " == *" $st "* ]] || { echo "  # status $st, want one of: $ok"; return 1; }
}
check "/../../etc/passwd (--path-as-is): refused" refused t1 "400 403 404" --path-as-is "$U/../../etc/passwd"
check "/%2e%2e/%2e%2e/etc/passwd: refused" refused t2 "400 403 404" "$U/%2e%2e/%2e%2e/etc/passwd"
check "/..%2f..%2fetc/passwd: refused" refused t3 "400 403 404" "$U/..%2f..%2fetc/passwd"
check "/%2e%2e%5c: refused" refused t4 "400 403 404" "$U/%2e%2e%5c"
check "/%2e%2e%5c..%5cetc%5cpasswd: refused" refused t5 "400 403 404" "$U/%2e%2e%5c..%5cetc%5cpasswd"
check "/sub/../../outside.txt (--path-as-is): refused" refused t6 "400 403 404" --path-as-is "$U/sub/../../outside.txt"
check "symlink to /etc/passwd: 403 or 404" refused t7 "403 404" "$U/passwd-link"
check "symlink to ../outside.txt: 403 or 404" refused t8 "403 404" "$U/outside-link"
check "symlinked directory /etc: etc-link/passwd 403 or 404" refused t9 "403 404" "$U/etc-link/passwd"
check "absolute path of a file outside the root: 403 or 404" refused t10 "403 404" "$U$WORK/outside.txt"
check "//etc/passwd: 403 or 404" refused t11 "403 404" --path-as-is "$U//etc/passwd"
out=$(raw "b'GET http://$SRV_IP:$P/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'")
check "absolute-form target with /../..: no /etc/passwd" bash -c "! grep -q '^root:' <<<\"\$1\"" _ "$out"
s=$(get t12 "$U/good-link")
check "a symlink inside the root still works: 200 (got $s)" is "$s" 200
check "in-root symlink: the target's content" same "$R/sub/in-sub.bin" "$WORK/b.t12"
s=$(get t13 "$U/sub/../file.bin")
check "/sub/../file.bin (normalised by curl): 200 (got $s)" is "$s" 200
s=$(get t14 "$U/sub/%2e%2e/file.bin")
check "/sub/%2e%2e/file.bin: dot segment decoded, stays in root: 200 (got $s)" is "$s" 200

# --- Content-Type -----------------------------------------------------------------
get ct1 "$U/boot.ipxe" >/dev/null
check ".ipxe: text/plain" bash -c "[[ '$(hdr ct1 Content-Type)' == text/plain* ]]"
get ct2 "$U/ipxe.efi" >/dev/null
check ".efi: application/octet-stream" is "$(hdr ct2 Content-Type)" application/octet-stream
get ct3 "$U/blob.xyz" >/dev/null
check "unknown extension: application/octet-stream" is "$(hdr ct3 Content-Type)" application/octet-stream
get ct4 "$U/vmlinuz" >/dev/null
check "no extension: application/octet-stream" is "$(hdr ct4 Content-Type)" application/octet-stream
check ".efi: intact" same "$R/ipxe.efi" "$WORK/b.ct2"

# --- /boot.ipxe without profiles: the root's file ---------------------------------
s=$(get bi0 "$U/boot.ipxe")
check "/boot.ipxe, no profiles: 200 (got $s)" is "$s" 200
check "/boot.ipxe, no profiles: ROOT/boot.ipxe as it is" same "$R/boot.ipxe" "$WORK/b.bi0"
s=$(get bi0m "$U/boot.ipxe?mac=52:54:00:00:00:01")
check "/boot.ipxe?mac=, no profiles: ROOT/boot.ipxe" same "$R/boot.ipxe" "$WORK/b.bi0m"

# --- /metrics -----------------------------------------------------------------------
s=$(get m1 "$U/metrics")
check "/metrics: 200 (got $s)" is "$s" 200
check "/metrics: text/plain; version=0.0.4" bash -c "[[ '$(hdr m1 Content-Type)' == 'text/plain; version=0.0.4'* ]]"
for m in rackboot_http_requests_total rackboot_dhcp_messages_total rackboot_tftp_requests_total; do
  check "/metrics has $m" grep -qE "^$m(\{[^}]*\})? [0-9]" "$WORK/b.m1"
done
H=rackboot_http_response_seconds
check "/metrics: histogram $H _bucket lines" grep -qE "^${H}_bucket\{le=\"[0-9.]+\"\} [0-9]+$" "$WORK/b.m1"
check "/metrics: $H le=\"+Inf\" bucket" grep -qE "^${H}_bucket\{le=\"\+Inf\"\} [0-9]+$" "$WORK/b.m1"
check "/metrics: ${H}_sum" grep -qE "^${H}_sum [0-9.]+$" "$WORK/b.m1"
check "/metrics: ${H}_count" grep -qE "^${H}_count [0-9]+$" "$WORK/b.m1"
check "/metrics: # TYPE $H histogram" grep -qx "# TYPE $H histogram" "$WORK/b.m1"
# Text format: every sample line is NAME[{labels}] VALUE; histograms have
# cumulative buckets ending with +Inf equal to _count.
bad=$(awk '
  /^#/ || /^$/ { next }
  !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [0-9.eE+-]+$/ { print "bad line: " $0; next }
  /_bucket\{/ { n = $1; sub(/_bucket\{.*/, "", n)
                if (n in last && $2 + 0 < last[n]) print "non-cumulative: " $0
                last[n] = $2 + 0; if ($1 ~ /le="\+Inf"/) inf[n] = $2 }
  /_count / { n = $1; sub(/_count$/, "", n); cnt[n] = $2 }
  END { for (n in inf) if (inf[n] != cnt[n]) print n ": +Inf " inf[n] " != count " cnt[n] }
' "$WORK/b.m1")
check "/metrics: well-formed samples, cumulative buckets, +Inf = _count${bad:+ ($bad)}" is "$bad" ""
r1=$(awk '$1 == "rackboot_http_requests_total" { print $2 }' "$WORK/b.m1")
get m2 "$U/small.txt" >/dev/null
r2=$(http_metric $P rackboot_http_requests_total)
check "/metrics: requests_total counts requests ($r1 -> $r2)" bash -c "[ '$r2' -ge $((r1 + 2)) ]"

# --- a FIFO in the root: refused at once, never blocks a loop ------------------------
# (last on this server: a loop stuck in open() would fail what follows)
mkfifo "$R/pipe"
s=$(get fifo --max-time 2 "$U/pipe")
check "a FIFO in the root: 403 or 404 at once (got $s)" bash -c "[ '$s' = 403 ] || [ '$s' = 404 ]"
n=0
for _ in $(seq 1 8); do [ "$(get after-fifo --max-time 1 "$U/small.txt")" = 200 ] && n=$((n + 1)); done
check "after the FIFO request: 8 of 8 new connections served within 1 s (got $n)" is "$n" 8
timeout 2 bash -c "exec 3>'$R/pipe'" 2>/dev/null   # frees a loop blocked opening it
stop_pid $RB_PID

# --- /boot.ipxe with profiles ---------------------------------------------------------
cat >"$WORK/profiles.conf" <<'EOT'
default-profile compute
profile compute {
    kernel vmlinuz
    initrd initrd.img
    cmdline "console=ttyS0 node={{mac}}"
}
profile special {
    script <<END
#!ipxe
echo special mac={{mac}} host={{hostname}} profile={{profile}}
boot
END
}
host node01 {
    mac 52:54:00:00:00:01
    profile special
}
EOT
P=8090
U=http://$SRV_IP:$P
start_rackbootd_http $P "$R" --config "$WORK/profiles.conf"
s=$(get p1 "$U/boot.ipxe")
check "default profile: 200 (got $s)" is "$s" 200
check "default profile, unknown node: the kernel script" is "$(cat "$WORK/b.p1")" "#!ipxe
kernel http://$SRV_IP:$P/vmlinuz console=ttyS0 node= initrd=initrd.img
initrd http://$SRV_IP:$P/initrd.img
boot"
check "default profile: mentions http://$SRV_IP:$P/vmlinuz" grep -qF "http://$SRV_IP:$P/vmlinuz" "$WORK/b.p1"
check "default profile: initrd=initrd.img" grep -qF "initrd=initrd.img" "$WORK/b.p1"
check "rendered script: Cache-Control: no-store" is "$(hdr p1 Cache-Control)" no-store
s=$(get p2 "$U/boot.ipxe?mac=52:54:00:00:00:01")
check "?mac= of a host with its own profile: 200 (got $s)" is "$s" 200
check "?mac=52:54:00:00:00:01: that host's profile, with its MAC" is "$(cat "$WORK/b.p2")" "#!ipxe
echo special mac=52:54:00:00:00:01 host=node01 profile=special
boot"
s=$(get p3 "$U/boot.ipxe?mac=52:54:00:00:00:09")
check "?mac= of an unknown node: default profile with node=<mac>" \
  grep -qx "kernel http://$SRV_IP:$P/vmlinuz console=ttyS0 node=52:54:00:00:00:09 initrd=initrd.img" "$WORK/b.p3"
s=$(get p4 "$U/boot.ipxe?mac=not-a-mac")
check "?mac=not-a-mac: 400 (got $s)" is "$s" 400
in_cli curl -sS --max-time 5 -I -o "$WORK/h.p5" "$U/boot.ipxe?mac=52:54:00:00:00:01"
check "HEAD /boot.ipxe: Content-Length of the rendered script" \
  is "$(hdr p5 Content-Length)" "$(stat -c %s "$WORK/b.p2")"

# By DHCP lease: a node that got its address from us is known by it.
out=$(in_cli $DHCPC pxe "$PFX-c" ipxe --mac 52:54:00:00:00:01 --dora)
yi=$(kv yiaddr <<<"$out")
check "DHCP lease for node01: $yi" ip_in_range "${yi:-x}" 198.18.0.100 198.18.0.150
in_cli ip addr add "$yi/24" dev "$PFX-c" 2>/dev/null
s=$(get p6 --interface "$yi" "$U/boot.ipxe")
check "/boot.ipxe from node01's leased address: its own profile, with its MAC" \
  grep -qx "echo special mac=52:54:00:00:00:01 host=node01 profile=special" "$WORK/b.p6"
out=$(in_cli $DHCPC pxe "$PFX-c" ipxe --mac 52:54:00:aa:bb:cc --dora)
yi2=$(kv yiaddr <<<"$out")
in_cli ip addr add "$yi2/24" dev "$PFX-c" 2>/dev/null
s=$(get p7 --interface "$yi2" "$U/boot.ipxe")
check "/boot.ipxe from an unknown node's leased address: default profile, node=its MAC" \
  grep -qx "kernel http://$SRV_IP:$P/vmlinuz console=ttyS0 node=52:54:00:aa:bb:cc initrd=initrd.img" "$WORK/b.p7"
check "daemon alive at the end" kill -0 "$RB_PID"
stop_pid $RB_PID
finish
