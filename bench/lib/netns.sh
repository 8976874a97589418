# bench/lib/netns.sh: the private network of a benchmark run. Every name
# starts with $PFX, a per-run prefix the script sets (rbb$$, rbd$$, rbh$$,
# ...), so two runs never share a namespace; all traffic stays inside the
# namespaces made here (addresses are RFC 2544 benchmark space).
# Provides: ns_add (one namespace, loopback up), ns_pair (server and client
# namespaces $NS_SRV / $NS_CLI joined by the veth $PFX-s / $PFX-c, with
# $SRV_IP / $CLI_IP), ns_del_all (delete every namespace made here: for the
# exit trap, bench/lib/common.sh), ns_udp_counter (a /proc/net/snmp Udp:
# counter inside a namespace), ns_listening, ns_wait_port_free and
# ns_wait_listening (sockets inside a namespace, bounded waits).
# shellcheck shell=bash
BENCH_NETNS=()

# ns_add NAME: create a namespace (deleted again by ns_del_all), loopback up
ns_add() {
  BENCH_NETNS+=("$1")   # first: a failure half-way still gets it deleted
  ip netns add "$1"
  ip -n "$1" link set lo up
}
# ns_pair PREFIXLEN [MTU]: $NS_SRV and $NS_CLI joined by one veth pair,
# $SRV_IP/PREFIXLEN on $PFX-s, $CLI_IP/PREFIXLEN on $PFX-c, both up (with
# MTU when given).
ns_pair() {
  local mtu=()
  [ -n "${2:-}" ] && mtu=(mtu "$2")
  ns_add "$NS_SRV"; ns_add "$NS_CLI"
  ip link add "$PFX-s" netns "$NS_SRV" type veth peer name "$PFX-c" netns "$NS_CLI"
  ip -n "$NS_SRV" addr add "$SRV_IP/$1" dev "$PFX-s"
  ip -n "$NS_CLI" addr add "$CLI_IP/$1" dev "$PFX-c"
  ip -n "$NS_SRV" link set "$PFX-s" "${mtu[@]}" up
  ip -n "$NS_CLI" link set "$PFX-c" "${mtu[@]}" up
}
ns_del_all() { # (deleting a namespace also kills its veth ends)
  local ns
  for ns in "${BENCH_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  return 0
}

ns_udp_counter() { # netns, name (RcvbufErrors, InDatagrams...) -> value of Udp: NAME
  ip netns exec "$1" awk -v k="$2" '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == k) c = i; h = 1 } else { print $c; exit } }' /proc/net/snmp
}
# PROTO is u (UDP) or t (TCP): is a socket bound/listening on PORT in NS?
ns_listening() { # netns, proto, port
  ip netns exec "$1" ss -Hl"$2"n "sport = :$3" 2>/dev/null | grep -q .
}
# Wait (at most 5 s) until nothing is bound to PORT any more: a previous
# server's socket can stay a moment after it died (io_uring tears its rings
# down asynchronously). Always returns 0.
ns_wait_port_free() { # netns, proto, port
  for _ in $(seq 1 50); do
    ns_listening "$@" || break
    sleep 0.1
  done
  return 0
}
# Wait (at most 5 s) until PORT is bound in NS; gives up early when PID
# exits. 0 once it is.
ns_wait_listening() { # netns, proto, port, pid
  for _ in $(seq 1 50); do
    kill -0 "$4" 2>/dev/null || return 1
    ns_listening "$1" "$2" "$3" && return 0
    sleep 0.1
  done
  return 1
}
