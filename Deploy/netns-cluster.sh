#!/usr/bin/env bash
# The multi-region simulation: one keycluster member per Linux network namespace, the namespaces joined by
# veth pairs to a bridge in a "hub" namespace that plays the network between regions: packets between
# regions wait there for the region pair's delay, and partitions are nftables drop rules there.
# Needs root. docs/partition-testing.md explains how it is built.
#
#   Deploy/netns-cluster.sh up [3|5]            lay out and start 3 (regions 1-1-1) or 5 (2-2-1) members
#   Deploy/netns-cluster.sh status              members, addresses, processes, delays, partition rules, Raft view
#   Deploy/netns-cluster.sh partition G1 G2 …   cut every group off from the others (a group: ids and/or
#                                               region names, comma-separated), e.g. `partition ap-south 1,2`
#   Deploy/netns-cluster.sh isolate X           cut member or region X off from every other member
#   Deploy/netns-cluster.sh cut FROM TO         one-way: drop packets from FROM's members to TO's members
#   Deploy/netns-cluster.sh heal                remove every partition rule
#   Deploy/netns-cluster.sh kill N | kill-region R | start N | start-region R | freeze N | thaw N
#   Deploy/netns-cluster.sh down                stop everything and remove namespaces, links, rules and files
#   Deploy/netns-cluster.sh sweep               remove what crashed earlier runs left (up and down do it too)
#   Deploy/netns-cluster.sh check               say whether this machine can run it (root, tools, namespaces)
#
# Environment (all optional):
#   KEYCLUSTER_NETNS_DIR            the cluster's files (default ./keycluster-netns)
#   KEYCLUSTER_BINARY               the keycluster executable (default: build the release one)
#   KEYCLUSTER_NETNS_OWNER          a pid: once that process is gone the cluster is a leftover for `sweep`
#                                   (tests set it; without it a cluster lives until `down`)
#   KEYCLUSTER_NETNS_DELAYS         one-way delay per region pair in ms (default
#                                   "eu-west:us-east:20,eu-west:ap-south:30,us-east:ap-south:40": RTT 40–80 ms)
#   KEYCLUSTER_NETNS_TICK_MS, KEYCLUSTER_NETNS_ELECTION_TICKS   Raft timing (default 50 ms, 10 ticks: see docs)
#   KEYCLUSTER_NETNS_MAX_STALENESS_MS                           bound of bounded unlocks (default: the node's)
set -euo pipefail
cd "$(dirname "$0")/.."
# live_pid (a pid only while its command line names this cluster's directory: never a recycled one), stop_pid.
source Deploy/lib/pids.sh
repo="$PWD"
dir="${KEYCLUSTER_NETNS_DIR:-$PWD/keycluster-netns}"
# Absolute, because process command lines are matched against it.
if [ -d "$dir" ]; then dir="$(cd "$dir" && pwd)"; fi
registry=/run/keycluster-netns
# Every name this script creates starts with this prefix, then the cluster's id.
prefix=kcn
subnet_base=10.213
partition_table=keycluster_partition
default_delays="eu-west:us-east:20,eu-west:ap-south:30,us-east:ap-south:40"
# Ports are the same in every namespace; each member has its own address.
peer_port=7001
client_port=8441

die() { echo "netns-cluster: $*" >&2; exit 1; }

require_tools() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables, iptables)"
  for tool in ip nft iptables tc python3; do
    command -v "$tool" >/dev/null || die "'$tool' is missing: run Deploy/install-deps.sh as root"
  done
}

# --- state of one cluster -------------------------------------------------------------------------------
load() {
  [ -f "$dir/id" ] || die "no cluster in $dir (run 'up' first)"
  id="$(cat "$dir/id")"
  hub="$prefix$id-hub"
}
node_ns() { echo "$prefix$id-n$1"; }
nodes() { cut -d' ' -f1 "$dir/nodes"; }
region_of() { awk -v n="$1" '$1 == n { print $2 }' "$dir/nodes"; }
ip_of() { awk -v n="$1" '$1 == n { print $3 }' "$dir/nodes"; }
# Member ids named by a token list: "2", "eu-west", "1,ap-south".
members_of() {
  local token
  for token in ${1//,/ }; do
    if [[ "$token" =~ ^[0-9]+$ ]]; then
      [ -n "$(ip_of "$token")" ] || die "no member $token"
      echo "$token"
    else
      local found; found="$(awk -v r="$token" '$2 == r { print $1 }' "$dir/nodes")"
      [ -n "$found" ] || die "no member and no region named '$token'"
      echo "$found"
    fi
  done | sort -un
}
ips_of() { local n; for n in $(members_of "$1"); do ip_of "$n"; done | paste -sd, -; }

# --- members --------------------------------------------------------------------------------------------
start_member() {
  if live_pid "$dir/node-$1.pid" "$dir" >/dev/null; then echo "member $1 already running"; return; fi
  nohup ip netns exec "$(node_ns "$1")" "$binary" serve --config "$dir/node-$1.json" \
    </dev/null >>"$dir/node-$1.log" 2>&1 &
  echo $! >"$dir/node-$1.pid"
  echo "member $1 started in $(node_ns "$1") at $(ip_of "$1") (pid $!, log $dir/node-$1.log)"
}
# signal_member SIG N: SIGSTOP freezes member N as a hung machine would (no reset reaches its peers);
# SIGCONT resumes it. Only a live pid of this cluster's member is signalled.
signal_member() {
  local pid
  if pid="$(live_pid "$dir/node-$2.pid" "$dir")"; then kill -"$1" "$pid" && echo "member $2 sent SIG$1"; fi
}

stop_member() {
  local pid
  if pid="$(live_pid "$dir/node-$2.pid" "$dir")"; then stop_pid "$pid" "$1"; echo "member $2 stopped ($1)"; fi
  rm -f "$dir/node-$2.pid"
}

# --- delays ---------------------------------------------------------------------------------------------
# "queue regionA regionB ms" lines, one queue number per region pair that has members on both sides.
delay_table() {
  local spec="${KEYCLUSTER_NETNS_DELAYS:-$default_delays}" entry queue=0 a b ms
  for entry in ${spec//,/ }; do
    IFS=: read -r a b ms <<<"$entry"
    [[ "$ms" =~ ^[0-9]+$ ]] || die "bad delay '$entry' (want regionA:regionB:milliseconds)"
    if grep -q " $a " "$dir/nodes" && grep -q " $b " "$dir/nodes"; then
      queue=$((queue + 1)); echo "$queue $a $b $ms"
    fi
  done
}
# netem where the kernel has it; otherwise (as on the machines this was built on) NFQUEUE + a delayer.
netem_works() {
  ip -n "$hub" link add probe0 type dummy 2>/dev/null || return 1
  local ok=1
  tc -n "$hub" qdisc add dev probe0 root netem delay 1ms 2>/dev/null && ok=0
  ip -n "$hub" link del probe0
  return $ok
}
install_delays() {
  delay_table >"$dir/delays"
  [ -s "$dir/delays" ] || { echo "none" >"$dir/delay-backend"; return; }
  local queue a b ms x y
  if netem_works; then
    echo "netem" >"$dir/delay-backend"
    # Each member's egress: a prio band per region pair with a netem qdisc, chosen by destination address.
    for x in $(nodes); do
      local ns; ns="$(node_ns "$x")"
      tc -n "$ns" qdisc add dev eth0 root handle 1: prio bands 16 priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
      while read -r queue a b ms; do
        tc -n "$ns" qdisc add dev eth0 parent "1:$((queue + 1))" handle "$((queue + 10)):" netem delay "${ms}ms" limit 100000
        for y in $(nodes); do
          local rx ry; rx="$(region_of "$x")"; ry="$(region_of "$y")"
          if { [ "$rx" = "$a" ] && [ "$ry" = "$b" ]; } || { [ "$rx" = "$b" ] && [ "$ry" = "$a" ]; }; then
            tc -n "$ns" filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst "$(ip_of "$y")/32" flowid "1:$((queue + 1))"
          fi
        done
      done <"$dir/delays"
    done
    return
  fi
  echo "nfqueue" >"$dir/delay-backend"
  local queues=()
  while read -r queue a b ms; do
    queues+=("$queue:$ms")
    for x in $(nodes); do
      for y in $(nodes); do
        local rx ry; rx="$(region_of "$x")"; ry="$(region_of "$y")"
        if { [ "$rx" = "$a" ] && [ "$ry" = "$b" ]; } || { [ "$rx" = "$b" ] && [ "$ry" = "$a" ]; }; then
          ip netns exec "$hub" iptables -A FORWARD -s "$(ip_of "$x")" -d "$(ip_of "$y")" -j NFQUEUE --queue-num "$queue"
        fi
      done
    done
  done <"$dir/delays"
  nohup ip netns exec "$hub" python3 "$repo/Deploy/netns/nfqueue-delay.py" --cluster-dir "$dir" "${queues[@]}" \
    </dev/null >>"$dir/delay.log" 2>&1 &
  echo $! >"$dir/delay.pid"
  # The delayer binds its queues at once; until then queued packets would be dropped.
  for _ in $(seq 1 200); do grep -q "nfqueue-delay:" "$dir/delay.log" 2>/dev/null && return; sleep 0.025; done
  die "the delay process did not start: $(tail -3 "$dir/delay.log")"
}

# --- partitions -----------------------------------------------------------------------------------------
nft_hub() { ip netns exec "$hub" nft "$@"; }
drop() { nft_hub add rule inet "$partition_table" links ip saddr "{ $1 }" ip daddr "{ $2 }" drop; }

# --- the network ----------------------------------------------------------------------------------------
# The first 10.213.S.0/24 that no route and no other cluster here uses.
choose_subnet() {
  local s
  for s in $(seq 1 250); do
    if [ -z "$(ip -4 route show "$subnet_base.$s.0/24")" ] && ! grep -qsx "$s" "$registry"/*/subnet 2>/dev/null; then
      echo "$s"; return
    fi
  done
  die "no free $subnet_base.S.0/24 subnet"
}

# Bridged traffic reaches the hub's nftables hooks (delays, partitions) only with br_netfilter loaded.
need_br_netfilter() {
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] \
    || die "the br_netfilter kernel module is not available (modprobe br_netfilter failed; a container may need it loaded on the host)"
}

build_network() {
  local s n; s="$(cat "$dir/subnet")"
  ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip -n "$hub" link add br0 type bridge
  ip -n "$hub" link set br0 up
  # Bridged IPv4 goes through the hub's iptables/nftables hooks (per namespace; the host's is untouched).
  ip netns exec "$hub" sysctl -qw net.bridge.bridge-nf-call-iptables=1
  # This machine's end: clients (tests, benchmarks, the operator) reach every member through it.
  ip link add "$prefix${id}h" type veth peer name up0 netns "$hub"
  ip -n "$hub" link set up0 master br0 up
  ip addr add "$subnet_base.$s.1/24" dev "$prefix${id}h"
  ip link set "$prefix${id}h" up
  for n in $(nodes); do
    local ns; ns="$(node_ns "$n")"
    ip netns add "$ns"
    ip link add eth0 netns "$ns" type veth peer name "n$n" netns "$hub"
    ip -n "$hub" link set "n$n" master br0 up
    ip -n "$ns" addr add "$(ip_of "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
  nft_hub add table inet "$partition_table"
  # Before the delay rules (filter priority 0), so a cut packet is never queued first.
  nft_hub add chain inet "$partition_table" links '{ type filter hook forward priority -10; policy accept; }'
}

# Removes one cluster's processes, namespaces, host link, registry entry and files; tolerates any of
# them being missing already (a crashed or half-built run).
teardown() {
  local id="$1" dir="$2" file pid ns
  for file in "$dir"/node-*.pid "$dir"/delay.pid; do
    if pid="$(live_pid "$file" "$dir")"; then stop_pid "$pid" TERM; fi
  done
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$prefix$id-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$pid" KILL; done
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$prefix${id}h" 2>/dev/null || true
  rm -rf "$registry/$id"
  case "$dir" in /|"") ;; *) rm -rf "$dir" ;; esac
}

# Clusters whose owner process is gone, and names with this prefix that no cluster here claims.
sweep() {
  mkdir -p "$registry"
  local entry id owner cdir link ns
  for entry in "$registry"/*/; do
    [ -d "$entry" ] || continue
    id="$(basename "$entry")"
    owner="$(cat "$entry/owner" 2>/dev/null || echo gone)"
    cdir="$(cat "$entry/dir" 2>/dev/null || true)"
    if [ "$owner" = operator ] && [ -n "$cdir" ] && [ -f "$cdir/id" ]; then continue; fi
    if [[ "$owner" =~ ^[0-9]+$ ]] && [ -d "/proc/$owner" ]; then continue; fi
    echo "netns-cluster: removing leftover cluster $id (${cdir:-no directory})" >&2
    teardown "$id" "${cdir:-/nonexistent}"
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1 | grep "^$prefix.*h$" || true); do
    id="${link#"$prefix"}"; id="${id%h}"
    [ -d "$registry/$id" ] || { echo "netns-cluster: removing leftover link $link" >&2; ip link del "$link" 2>/dev/null || true; }
  done
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$prefix" || true); do
    id="${ns#"$prefix"}"; id="${id%-*}"
    if [ ! -d "$registry/$id" ]; then
      echo "netns-cluster: removing leftover namespace $ns" >&2
      local pid; for pid in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$pid" KILL; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
}

find_binary() {
  binary="${KEYCLUSTER_BINARY:-}"
  if [ -z "$binary" ]; then
    Deploy/install-deps.sh
    swift build -c release --product keycluster >&2
    binary="$(swift build -c release --show-bin-path)/keycluster"
  fi
}

up() {
  local size="${1:-3}" regions
  case "$size" in
    3) regions="eu-west us-east ap-south" ;;
    5) regions="eu-west us-east ap-south eu-west us-east" ;;
    *) die "size must be 3 or 5" ;;
  esac
  [ ! -f "$dir/id" ] || die "a cluster is already up in $dir ('down' first)"
  require_tools
  need_br_netfilter
  find_binary
  sweep
  mkdir -p "$dir" "$registry"
  dir="$(cd "$dir" && pwd)"
  # The id: short (interface names have 15 characters), unique among the clusters here.
  id="$(printf '%x' $$)$(printf '%02x' $((RANDOM % 256)))"
  hub="$prefix$id-hub"
  mkdir "$registry/$id"
  # A failure from here on (set -e, die) removes whatever this run created, as `down` would.
  trap 'echo "netns-cluster: up failed; removing cluster $id" >&2; teardown "$id" "$dir"' EXIT
  echo "$dir" >"$registry/$id/dir"
  echo "${KEYCLUSTER_NETNS_OWNER:-operator}" >"$registry/$id/owner"
  choose_subnet >"$registry/$id/subnet"
  cp "$registry/$id/subnet" "$dir/subnet"
  echo "$id" >"$dir/id"
  local n=0 region hosts=()
  : >"$dir/nodes"
  for region in $regions; do
    n=$((n + 1))
    echo "$n $region $subnet_base.$(cat "$dir/subnet").$((10 + n))" >>"$dir/nodes"
    hosts+=("$(ip_of "$n")")
  done
  local staleness=()
  [ -z "${KEYCLUSTER_NETNS_MAX_STALENESS_MS:-}" ] || staleness=(--max-staleness-milliseconds "$KEYCLUSTER_NETNS_MAX_STALENESS_MS")
  "$binary" local-cluster init --dir "$dir" --regions "$(echo "$regions" | tr ' ' ,)" --hosts "$(IFS=,; echo "${hosts[*]}")" \
    --base-peer-port "$peer_port" --base-client-port "$client_port" \
    --tick-milliseconds "${KEYCLUSTER_NETNS_TICK_MS:-50}" --election-ticks "${KEYCLUSTER_NETNS_ELECTION_TICKS:-10}" \
    --debug-routes "${staleness[@]}" >/dev/null
  echo "$binary" >"$dir/binary"
  build_network
  install_delays
  for n in $(nodes); do start_member "$n"; done
  trap - EXIT
  echo "cluster $id up in $dir: delays by $(cat "$dir/delay-backend"); members:"
  cat "$dir/nodes"
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  sweep) require_tools; sweep ;;
  check)
    # Whether this machine can run the simulation: root, the tools, and network namespaces that work.
    require_tools
    python3 -c 'import ctypes; ctypes.CDLL("libnetfilter_queue.so.1")' 2>/dev/null || die "libnetfilter_queue is missing: run Deploy/install-deps.sh as root"
    need_br_netfilter
    probe="${prefix}probe$$"
    ip netns add "$probe" 2>/dev/null || die "cannot create network namespaces here"
    ip netns del "$probe"
    echo "ok" ;;
  down)
    require_tools
    if [ -f "$dir/id" ]; then load; teardown "$id" "$(cd "$dir" && pwd)"; echo "cluster $id removed"; fi
    sweep ;;
  *)
    load
    binary="$(cat "$dir/binary")"
    case "${1:-}" in
      status)
        echo "cluster $id in $dir, delays by $(cat "$dir/delay-backend")"
        while read -r queue a b ms; do echo "  delay $a <-> $b: $ms ms each way"; done <"$dir/delays"
        for n in $(nodes); do
          state=stopped; live_pid "$dir/node-$n.pid" "$dir" >/dev/null && state="running (pid $(cat "$dir/node-$n.pid"))"
          echo "  member $n region $(region_of "$n") at $(ip_of "$n") in $(node_ns "$n"): $state"
        done
        echo "partition rules:"; nft_hub list chain inet "$partition_table" links | grep drop || echo "  none"
        "$binary" cluster status --config "$dir/node-$(nodes | head -1).json" ;;
      partition)
        shift; [ $# -ge 2 ] || die "partition needs at least two groups"
        groups=("$@")
        for ((i = 0; i < ${#groups[@]}; i++)); do
          for ((j = 0; j < ${#groups[@]}; j++)); do
            [ "$i" -ne "$j" ] && drop "$(ips_of "${groups[$i]}")" "$(ips_of "${groups[$j]}")"
          done
        done
        echo "partitioned: ${groups[*]}" ;;
      isolate)
        [ -n "${2:-}" ] || die "isolate needs a member id or region"
        inside="$(members_of "$2" | paste -sd,)"
        outside="$(nodes | grep -vxF -f <(members_of "$2") | paste -sd,)"
        [ -n "$outside" ] || die "nobody is left outside $2"
        drop "$(ips_of "$inside")" "$(ips_of "$outside")"
        drop "$(ips_of "$outside")" "$(ips_of "$inside")"
        echo "isolated: $2 (members $inside)" ;;
      cut)
        [ -n "${3:-}" ] || die "cut needs FROM and TO"
        drop "$(ips_of "$2")" "$(ips_of "$3")"
        echo "cut one way: $2 -> $3" ;;
      heal) nft_hub flush chain inet "$partition_table" links; echo "healed" ;;
      kill) stop_member KILL "${2:?member id}" ;;
      freeze) signal_member STOP "${2:?member id}" ;;
      thaw) signal_member CONT "${2:?member id}" ;;
      stop) stop_member TERM "${2:?member id}" ;;
      kill-region) for n in $(members_of "${2:?region}"); do stop_member KILL "$n"; done ;;
      start) start_member "${2:?member id}" ;;
      start-region) for n in $(members_of "${2:?region}"); do start_member "$n"; done ;;
      *) sed -n '2,30p' "$0"; exit 2 ;;
    esac ;;
esac
