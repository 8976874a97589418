#!/usr/bin/env bash
# Many simultaneous transfers against one $TFTPD: 200 mixed real clients
# fetching the same 1 MiB file, 100 clients fetching 100 different files at
# different block sizes (catches sessions crossing wires), 50 parallel puts;
# every byte compared, and the server still answers afterwards.
source "$(dirname "$0")/lib.sh"
need python3 atftp tftp curl cmp "$TFTPD"
netns_setup
at_exit ns_kill_all

D=$WORK/root O=$WORK/out
mkdir -p "$D" "$O"
P=6969 PC=6970
start_tftpd_logged "$TFTPD" $P -s -u root "$D"
MAIN_PID=$SRV_PID
start_tftpd_logged "$TFTPD" $PC -s -c -u root "$D"
mkrand "$D/one-mib.bin" $((1024 * 1024))

# Launch one client in the background; its exit status lands in $O/NAME.rc.
spawn() { # name, command...
  local n=$1; shift
  ( in_cli timeout 60 "$@" >"$O/$n.log" 2>&1; echo $? >"$O/$n.rc" ) &
  PIDS+=($!)
}
# Wait for all spawned clients (each is bounded by its own timeout 60).
reap() { local p; for p in "${PIDS[@]}"; do wait "$p"; done; PIDS=(); }
summary() { # label, expected-count, glob of names; prints failing ones
  local label=$1 want=$2 n good=0 bad=()
  shift 2
  for n in "$@"; do
    if [ "$(cat "$O/$n.rc" 2>/dev/null)" = 0 ] && cmp -s "$(cat "$O/$n.want")" "$O/$n.bin"; then
      good=$((good + 1))
    else
      bad+=("$n(rc=$(cat "$O/$n.rc" 2>/dev/null || echo none))")
    fi
  done
  if [ "$good" = "$want" ]; then ok "$label: $good/$want intact"
  else fail "$label: $good/$want intact; bad: ${bad[*]:0:20}"
    local b; for b in "${bad[@]:0:3}"; do b=${b%%(*}; echo "  # $b: $(tr '\n' ' ' <"$O/$b.log" | head -c 200)"; done
  fi
}

# --- round 1: 200 clients, one file, three client implementations ----------
PIDS=()
declare -a A=() C=() H=()
t0=$SECONDS
for i in $(seq 1 200); do
  n=r1-$i
  echo "$D/one-mib.bin" >"$O/$n.want"
  case $((i % 3)) in
    0) A+=("$n"); spawn "$n" atftp --get -r one-mib.bin -l "$O/$n.bin" $SRV_IP $P ;;
    1) C+=("$n"); spawn "$n" curl -sS -o "$O/$n.bin" tftp://$SRV_IP:$P/one-mib.bin ;;
    2) H+=("$n"); spawn "$n" tftp -m binary $SRV_IP $P -c get one-mib.bin "$O/$n.bin" ;;
  esac
done
reap
echo "# round 1 took $((SECONDS - t0))s"
summary "200 simultaneous gets, atftp" ${#A[@]} "${A[@]}"
summary "200 simultaneous gets, curl" ${#C[@]} "${C[@]}"
summary "200 simultaneous gets, tftp-hpa" ${#H[@]} "${H[@]}"
check "server process alive after 200 simultaneous gets" kill -0 $MAIN_PID
rm -f "$O"/r1-*.bin

# --- round 2: 100 clients, 100 different files, different block sizes -------
PIDS=(); declare -a R2=()
t0=$SECONDS
for i in $(seq 1 100); do
  n=r2-$i
  mkrand "$D/f$i.bin" $((20000 + i * 997))
  echo "$D/f$i.bin" >"$O/$n.want"; R2+=("$n")
  bs=$((512 + (i % 7) * 400))
  case $((i % 4)) in
    0) spawn "$n" atftp --get -r f$i.bin -l "$O/$n.bin" --option "blksize $bs" $SRV_IP $P ;;
    1) spawn "$n" curl -sS --tftp-blksize $bs -o "$O/$n.bin" tftp://$SRV_IP:$P/f$i.bin ;;
    2) spawn "$n" python3 "$TFTPC" get $SRV_IP $P f$i.bin --opt blksize=$bs --opt tsize=0 --out "$O/$n.bin" ;;
    3) spawn "$n" atftp --get -r f$i.bin -l "$O/$n.bin" --option "blksize $bs" --option "windowsize 8" $SRV_IP $P ;;
  esac
done
reap
echo "# round 2 took $((SECONDS - t0))s"
summary "100 simultaneous gets of 100 different files" 100 "${R2[@]}"

# --- round 3: 50 parallel puts of different files -------------------------------
PIDS=(); declare -a R3=()
mkdir -p "$WORK/src"
for i in $(seq 1 50); do
  n=r3-$i
  head -c $((30000 + i * 1231)) /dev/urandom >"$WORK/src/u$i.bin"
  echo "$WORK/src/u$i.bin" >"$O/$n.want"; R3+=("$n")
  spawn "$n" atftp --put -l "$WORK/src/u$i.bin" -r up$i.bin --option "blksize 1024" $SRV_IP $PC
done
reap
for i in $(seq 1 50); do ln -sf "$D/up$i.bin" "$O/r3-$i.bin"; done
summary "50 simultaneous puts" 50 "${R3[@]}"

check "server process alive at the end" kill -0 $MAIN_PID
check "server still serves a normal get afterwards" \
  eval 'in_cli timeout 30 atftp --get -r one-mib.bin -l "$O/after.bin" --option "blksize 1468" $SRV_IP $P >"$O/after.log" 2>&1 && same "$D/one-mib.bin" "$O/after.bin"'
finish
