#!/usr/bin/env bash
# rackbootd's HTTP server under load and abuse: a 2 GiB file streamed intact
# (sendfile past the 1 GiB mark, ranges past 4 GiB), wrk with 200 and 500
# keep-alive connections on a 1 MiB and a small file (no errors, no leaked
# connections), 100 slow-header clients (a normal client is still served at
# once; they are cut off after --header-timeout), idle keep-alive
# connections closed after --idle-timeout, admission control (--max-streams:
# 503 with Retry-After, the admitted downloads intact, counted in
# /metrics) and the connection cap (--max-connections: 503 and close).
source "$(dirname "$0")/lib.sh"
need curl wrk python3 openssl cmp truncate dd
rb_bin
netns_setup
at_exit ns_kill_all

R=$WORK/root
mkdir -p "$R"
is() { [ "$1" = "$2" ] || { echo "  # want '$2', got '$1'"; return 1; }; }
has() { grep -qF -- "$2" <<<"$1" || { echo "  # no '$2' in: $(head -c 400 <<<"$1" | tr '\r\n' '  ')"; return 1; }; }
hasnt() { ! grep -qF -- "$2" <<<"$1" || { echo "  # '$2' in: $(grep -F -- "$2" <<<"$1" | head -3)"; return 1; }; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }          # a <= b (decimals)
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
sha() { openssl dgst -sha256 -r | cut -d' ' -f1; }   # sha256sum runs at ~300 MB/s here; openssl at >1 GB/s
T0=$SECONDS
phase() { echo "# [$((SECONDS - T0)) s] $*"; }

# --- files ----------------------------------------------------------------------
# 2 GiB, sparse, with random 1 MiB blocks at the start, at unaligned offsets,
# across the 1 GiB mark and at the very end: a misplaced or dropped chunk
# changes the hash.
BIG=$R/big.img
truncate -s 2G "$BIG"
for off in 0 $((123456789)) $(( (1 << 30) - 524288 )) $(( (2 << 30) - (1 << 20) )); do
  head -c 1048576 /dev/urandom | dd of="$BIG" bs=1M seek="$off" oflag=seek_bytes conv=notrunc status=none
done
# 6 GiB, sparse: ranges beyond 4 GiB (a 32-bit offset would wrap)
HUGE=$R/huge.img
HOFF=$(( (4 << 30) + 12345 ))
truncate -s 6G "$HUGE"
head -c 1048576 /dev/urandom | dd of="$HUGE" bs=1M seek="$HOFF" oflag=seek_bytes conv=notrunc status=none
mkrand "$R/mib.bin" 1048576
mkrand "$R/small.bin" 2048
mkrand "$R/5mb.bin" 5000000

# --- 1. a multi-GB stream and wrk, admission out of the way ----------------------
# --max-streams 2000 (above wrk's 500 connections): this part measures the
# server, not admission control. wrk's --timeout is 5 s (default 2 s): on
# this shared 2-core machine 500 connections each pulling 1 MiB see
# tails above 1 s from any server (nginx too); a request stuck for 5 s is
# starvation, not noise.
P=8080
U=http://$SRV_IP:$P
start_rackbootd_http $P "$R" --max-streams 2000
phase "2 GiB stream"
want=$(sha <"$BIG")
t=$SECONDS
got=$(in_cli bash -c "set -o pipefail; curl -sS --max-time 40 -w '%{stderr}%{http_code} %{size_download} %{speed_download}\n' \
        '$U/big.img' 2>'$WORK/big.curl' | openssl dgst -sha256 -r | cut -d' ' -f1")
read -r code size speed <<<"$(grep -E '^[0-9]{3} ' "$WORK/big.curl" | tail -1)"
echo "# 2 GiB in $((SECONDS - t)) s, curl: $(awk -v s="${speed:-0}" 'BEGIN { printf "%.0f MB/s", s / 1e6 }')"
check "2 GiB GET: 200 (got ${code:-none}; $(grep -v '^[0-9]' "$WORK/big.curl" | head -2 | tr '\n' ' '))" is "${code:-none}" 200
check "2 GiB GET: 2147483648 bytes (got ${size:-none})" is "${size:-none}" 2147483648
check "2 GiB GET: SHA-256 matches the file" is "$got" "$want"
s=$(in_cli curl -sS --max-time 10 -o "$WORK/r-1g" -w '%{http_code}' -r $(( (1 << 30) - 1000 ))-$(( (1 << 30) + 999 )) "$U/big.img")
check "2 GiB file: Range across the 1 GiB mark: 206 (got $s)" is "$s" 206
check "2 GiB file: Range across the 1 GiB mark: exact bytes" \
  cmp -s "$WORK/r-1g" <(tail -c +$(( (1 << 30) - 999 )) "$BIG" | head -c 2000)
s=$(in_cli curl -sS --max-time 10 -o "$WORK/r-4g" -w '%{http_code}' -r "$HOFF-$((HOFF + 1048575))" "$U/huge.img")
check "6 GiB file: 1 MiB Range at 4 GiB + 12345: 206 (got $s)" is "$s" 206
check "6 GiB file: Range beyond 4 GiB: exact bytes" \
  cmp -s "$WORK/r-4g" <(dd if="$HUGE" bs=1M skip="$HOFF" count=1 iflag=skip_bytes status=none)
s=$(in_cli curl -sS --max-time 10 -o /dev/null -D "$WORK/h-huge" -w '%{http_code}' -I "$U/huge.img")
check "6 GiB file: HEAD Content-Length 6442450944" \
  grep -qix 'Content-Length: 6442450944' <(tr -d '\r' <"$WORK/h-huge")

wrk_run() { # connections, path
  local out
  phase "wrk -c$1 $2"
  out=$(in_cli timeout 30 wrk -t2 -c"$1" -d10s --timeout 5s "$U/$2" 2>&1)
  echo "$out" | sed 's/^/  # /'
  local n rps
  n=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' <<<"$out")
  rps=$(sed -n 's/^Requests\/sec: *//p' <<<"$out")
  check "wrk -c$1 $2: requests made (${n:-0}, ${rps:-?}/s)" [ "${n:-0}" -gt 0 ]
  check "wrk -c$1 $2: no non-2xx/3xx responses" hasnt "$out" "Non-2xx or 3xx responses"
  check "wrk -c$1 $2: no socket errors (connect/read/write/timeout)" hasnt "$out" "Socket errors"
}
wrk_run 200 mib.bin
wrk_run 500 mib.bin
wrk_run 200 small.bin
wrk_run 500 small.bin
# wrk has gone: every connection it had is closed and every stream ended.
conns_back() { [ "$(http_metric $P rackboot_http_connections)" = 1 ]; }   # just the scrape
wait_until 5 conns_back
n=$(http_metric $P rackboot_http_connections)
check "after wrk: open connections back to 1, the scrape itself (got $n)" is "$n" 1
check "after wrk: no stream left open" is "$(http_metric $P rackboot_http_streams)" 0
check "after wrk: nothing rejected" is "$(http_metric $P rackboot_http_rejected_streams_total)" 0
same_url() { in_cli curl -sS --max-time 5 "$1" | cmp -s - "$2"; }   # url, file
check "after wrk: the 1 MiB file still intact" same_url "$U/mib.bin" "$R/mib.bin"
stop_pid $RB_PID

# --- 2. admission, with slow clients and idle keep-alive meanwhile ------------------
# Two slow readers (300 KB/s, 64 KiB receive buffers: about 17 s for 5 MB)
# fill --max-streams 2; a third large download must get 503. While they
# run, 100 slow-header clients and 20 idle keep-alive connections are cut
# off by --header-timeout 2 / --idle-timeout 2. (curl --limit-rate is no
# slow reader here: curl 7.88 averages over seconds and the socket buffers
# take megabytes, so a "200k" 5 MB download ends in well under a second.)
P=8090
U=http://$SRV_IP:$P
start_rackbootd_http $P "$R" --header-timeout 2 --idle-timeout 2 --max-streams 2 --retry-after 7

phase "admission"
slow_get() { # name: a slow 5 MB download; head and summary in $WORK/adm.NAME.out
  in_cli timeout 60 python3 "$HTTPC" get $SRV_IP $P /5mb.bin --out "$WORK/adm.$1" --rate 300000 \
    --rcvbuf 65536 --max 50 >"$WORK/adm.$1.out" 2>&1
}
streams_at() { [ "$(http_metric $P rackboot_http_streams)" = "$1" ]; }
slow_get 1 & d1=$!
slow_get 2 & d2=$!
check "two slow 5 MB downloads admitted (streams gauge 2)" wait_until 5 streams_at 2
s=$(in_cli curl -sS --max-time 5 -o "$WORK/adm.3" -D "$WORK/adm-h.3" -w '%{http_code}' "$U/5mb.bin")
check "third concurrent 5 MB download: 503 (got $s)" is "$s" 503
check "503 carries Retry-After: 7 (--retry-after)" \
  grep -qix 'Retry-After: 7' <(tr -d '\r' <"$WORK/adm-h.3")
s=$(in_cli curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "$U/small.bin")
check "at the stream cap a small file is still served: 200 (got $s)" is "$s" 200
s=$(in_cli curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -I "$U/5mb.bin")
check "at the stream cap a HEAD of the large file is still served: 200 (got $s)" is "$s" 200
s=$(in_cli curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -r 0-999 "$U/5mb.bin")
check "at the stream cap a 1000-byte range of it is still served: 206 (got $s)" is "$s" 206
check "rejected_streams_total counts the refusal" is "$(http_metric $P rackboot_http_rejected_streams_total)" 1
check "responses_total{code=\"5xx\"} counts it" is "$(http_metric $P 'rackboot_http_responses_total{code="5xx"}')" 1
check "the two downloads still running" streams_at 2

phase "slow clients (downloads running)"
to0=$(http_metric $P rackboot_http_timeouts_total)
rm -f "$WORK/slow.ready"
in_cli timeout 20 python3 "$HTTPC" slow $SRV_IP $P 100 --interval 1 --max 8 --ready "$WORK/slow.ready" \
  >"$WORK/slow.out" 2>&1 &
slow=$!
wait_until 10 test -e "$WORK/slow.ready"
check "100 slow-header clients connected" test -e "$WORK/slow.ready"
sleep 0.5
t=$(in_cli curl -sS --max-time 1 -o "$WORK/small.got" -w '%{http_code} %{time_total}' "$U/small.bin")
check "with 100 slow clients: a normal GET within 1 s ($t), intact" \
  bash -c "[ '${t%% *}' = 200 ] && cmp -s '$R/small.bin' '$WORK/small.got'"
t=$(in_cli curl -sS --max-time 1 -o /dev/null -w '%{http_code} %{time_total}' "$U/metrics")
check "with 100 slow clients: /metrics within 1 s ($t)" is "${t%% *}" 200
wait $slow
out=$(cat "$WORK/slow.out")
echo "# slow: $out"
closed=$(sed -n 's/.*closed=\([0-9]*\).*/\1/p' <<<"$out")
first=$(sed -n 's/.*first=\([-0-9.]*\).*/\1/p' <<<"$out")
last=$(sed -n 's/.*last=\([-0-9.]*\).*/\1/p' <<<"$out")
check "slow clients: all 100 closed by the server ($out)" is "${closed:-0}" 100
check "slow clients: none closed before the 2 s header timeout (first ${first:-?} s)" ge "${first:--1}" 1.9
check "slow clients: all closed within ~3 s (last ${last:-?} s)" le "${last:-99}" 3.0
to1=$(http_metric $P rackboot_http_timeouts_total)
check "slow clients: timeouts counter rose by >= 100 ($to0 -> $to1)" bash -c "[ $((to1 - to0)) -ge 100 ]"

phase "idle keep-alive (downloads running)"
out=$(in_cli timeout 20 python3 "$HTTPC" idle $SRV_IP $P 20 /small.bin --max 8)
echo "# idle: $out"
check "idle: 20 keep-alive GETs answered" has "$out" "answered=20 "
check "idle: all 20 closed by the server" has "$out" "closed=20 "
first=$(sed -n 's/.*first=\([-0-9.]*\).*/\1/p' <<<"$out")
last=$(sed -n 's/.*last=\([-0-9.]*\).*/\1/p' <<<"$out")
check "idle: none closed before the 2 s idle timeout (first ${first:-?} s)" ge "${first:--1}" 1.7
check "idle: all closed within ~3 s (last ${last:-?} s)" le "${last:-99}" 3.0
to2=$(http_metric $P rackboot_http_timeouts_total)
check "idle: timeouts counter rose by >= 20 ($to1 -> $to2)" bash -c "[ $((to2 - to1)) -ge 20 ]"

phase "admission: waiting for the slow downloads"
wait $d1; wait $d2
for n in 1 2; do
  out=$(cat "$WORK/adm.$n.out")
  echo "# download $n: $(tail -1 <<<"$out")"
  check "admitted download $n: 200, 5000000 bytes, intact" \
    bash -c "grep -q '^HTTP/1.1 200 ' <<<\"\$1\" && grep -q 'body 5000000 bytes' <<<\"\$1\" && cmp -s '$R/5mb.bin' '$WORK/adm.$n'" _ "$out"
done
check "after they finish: streams gauge 0" wait_until 3 streams_at 0
s=$(in_cli curl -sS --max-time 10 -o "$WORK/adm.4" -w '%{http_code}' "$U/5mb.bin")
check "after they finish: a new download succeeds (got $s)" is "$s" 200
check "after they finish: the new download is intact" same "$R/5mb.bin" "$WORK/adm.4"
check "rejected_streams_total still 1" is "$(http_metric $P rackboot_http_rejected_streams_total)" 1
stop_pid $RB_PID

# --- 3. the connection cap -------------------------------------------------------
phase "connection cap"
P=8100
U=http://$SRV_IP:$P
start_rackbootd_http $P "$R" --max-connections 20 --header-timeout 30
rm -f "$WORK/hold.ready" "$WORK/hold.stop"
in_cli timeout 30 python3 "$HTTPC" hold $SRV_IP $P 20 --max 20 --ready "$WORK/hold.ready" \
  --stop "$WORK/hold.stop" >"$WORK/hold.out" 2>&1 &
hold=$!
wait_until 10 test -e "$WORK/hold.ready"
# all 20 accepted by the server (nothing waiting in the listen queues)
accepted() { [ "$(in_srv ss -Hltn "sport = :$P" | awk '{ q += $2 } END { print q + 0 }')" = 0 ]; }
check "20 idle connections open and accepted" wait_until 5 accepted
out=$(in_cli timeout 10 python3 "$HTTPC" send $SRV_IP $P "b''" --wait 3)
check "21st connection: 503" has "$out" "HTTP/1.1 503 "
check "21st connection: Retry-After: 5" has "$out" "Retry-After: 5"
check "21st connection: closed by the server" has "$out" "#httpc: closed"
s=$(in_cli curl -sS --max-time 3 -o /dev/null -D "$WORK/h-cap" -w '%{http_code}' "$U/small.bin")
check "21st connection, curl: 503 (got $s)" is "$s" 503
touch "$WORK/hold.stop"
wait $hold
out=$(cat "$WORK/hold.out")
check "the 20 held connections were left alone ($out)" has "$out" "opened=20 closed_by_server=0"
s=$(in_cli curl -sS --max-time 3 -o /dev/null -w '%{http_code}' "$U/small.bin")
check "once they are gone a new connection is served: 200 (got $s)" is "$s" 200
check "rejected_connections_total counts both refusals" \
  is "$(http_metric $P rackboot_http_rejected_connections_total)" 2
check "daemon alive at the end" kill -0 "$RB_PID"
stop_pid $RB_PID
phase "done"
finish
