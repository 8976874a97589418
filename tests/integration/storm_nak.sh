#!/usr/bin/env bash
# rackboot-storm and DHCPNAK, against a real dnsmasq. With --no-ping
# dnsmasq keeps no record of an offer, and it picks a client's first
# address candidate by hashing its MAC (the last octet counts once), so two
# clients whose MACs differ by the range size in the last octet are offered
# the same address when they DISCOVER together; the second REQUEST gets
# "DHCPNAK ... address in use". Two storms of 16 nodes each, MAC bases 32
# apart, on a range of 32 addresses, produce up to 16 such NAKs.
# Firmware differs on a NAK:
#  - a BIOS PXE ROM and iPXE go back to DISCOVER (RFC 2131 3.1; iPXE after
#    1 s): all 32 BIOS nodes must end bound to 32 distinct addresses, the
#    NAKed ones after a second exchange (a retry each), none failed;
#  - EDK2 ends its DHCP session with an error: each UEFI node that got a
#    NAK fails with dhcp-nak in phase dhcp; the others are bound.
# The race (both DISCOVERs before either REQUEST) is dnsmasq's, not ours to
# force: each half runs up to 5 times until a NAK happened, and fails
# loudly if none ever did.
source "$(dirname "$0")/lib.sh"
need dnsmasq ip timeout /usr/bin/python3
storm_bin
netns_setup
at_exit ns_kill_all

run() { # tag, mix -> WORK/TAG-{a,b}.json, .out; a fresh dnsmasq each time
  local tag=$1 mix=$2 pid
  rm -f "$WORK/$tag.leases"
  ip netns exec "$NS_SRV" dnsmasq --no-daemon --port=0 --conf-file=/dev/null --user=root --pid-file= \
    --dhcp-range=198.18.0.100,198.18.0.131,255.255.255.0 --dhcp-leasefile="$WORK/$tag.leases" \
    --interface="$PFX-s" --bind-interfaces --no-ping --dhcp-boot=boot.bin,,$SRV_IP \
    --log-dhcp --log-facility="$WORK/$tag-dnsmasq.txt" >"$WORK/dnsmasq-$tag.log" 2>&1 &
  pid=$!
  wait_until 5 udp_bound "$NS_SRV" 67 || { fail "dnsmasq did not start"; sed 's/^/  # /' "$WORK/dnsmasq-$tag.log"; exit 1; }
  local h pids=()
  for h in a b; do
    in_cli timeout 60 "$STORM" --interface "$PFX-c" --nodes 16 --mix "$mix" --phases dhcp \
      --mac-base 02:53:00:00:00:$([ $h = a ] && echo 00 || echo 20) \
      --timeout-scale 0.25 --max-time 45 --json "$WORK/$tag-$h.json" >"$WORK/$tag-$h.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}
naks() { grep -c 'DHCPNAK' "$WORK/$1-dnsmasq.txt" 2>/dev/null; true; }
verdict() { # tag -> "completed failures-by-reason dhcp-retries" over both storms
  /usr/bin/python3 - "$WORK/$1-a.json" "$WORK/$1-b.json" <<'PYEOF'
import json, sys
fails, done, retries = {}, 0, 0
for f in sys.argv[1:]:
    d = json.load(open(f))
    done += d["summary"]["completed"]
    for n in d["nodes"]:
        retries += n["phases"]["dhcp"]["retries"] if "dhcp" in n["phases"] else 0
        if n["status"] != "ok":
            k = "%s:%s" % (n["fail_phase"], n["fail_reason"])
            fails[k] = fails.get(k, 0) + 1
print(done, ",".join("%s=%d" % kv for kv in sorted(fails.items())) or "none", retries)
PYEOF
}

# --- BIOS: a NAK sends the node back to DISCOVER --------------------------------
for try in 1 2 3 4 5; do
  run bios$try bios=1
  [ "$(naks bios$try)" -gt 0 ] && break
done
echo "# try $try: dnsmasq NAKed $(naks bios$try) REQUESTs"
sed 's/^/  # /' "$WORK/bios$try-a.out" | head -3
check "dnsmasq's offer race produced a NAK within 5 runs (got $(naks bios$try))" [ "$(naks bios$try)" -gt 0 ]
read -r done fails retries <<<"$(verdict bios$try)"
check "BIOS nodes NAKed by dnsmasq DISCOVER again: 32 of 32 bound, none failed (completed $done, failures $fails)" \
  [ "$done" = 32 -a "$fails" = none ]
check "each NAK cost its node a retry ($retries retries >= $(naks bios$try) NAKs)" [ "$retries" -ge "$(naks bios$try)" ]
b=$(awk '{ print $3 }' "$WORK/bios$try.leases" | sort -u | wc -l)
check "dnsmasq holds 32 distinct leases, one per node (got $b)" [ "$b" = 32 ]

# --- UEFI: EDK2 gives up on a NAK ---------------------------------------------------
for try in 1 2 3 4 5; do
  run uefi$try uefi=1
  [ "$(naks uefi$try)" -gt 0 ] && break
done
nk=$(naks uefi$try)
echo "# try $try: dnsmasq NAKed $nk REQUESTs"
check "dnsmasq's offer race produced a NAK within 5 runs (got $nk)" [ "$nk" -gt 0 ]
read -r done fails retries <<<"$(verdict uefi$try)"
check "UEFI nodes NAKed fail with dhcp-nak in phase dhcp, one per NAK, the rest bound ($done bound, failures $fails, $nk NAKs)" \
  [ "$fails" = "dhcp:dhcp-nak=$nk" -a "$done" = $((32 - nk)) ]
finish
