#!/usr/bin/env bash
# A local cluster of keycluster members on loopback, one process per member, spread over named regions.
#
#   Deploy/local-cluster.sh up [3|5]        create (first time) and start members; 3 → 1-1-1, 5 → 2-2-1 regions
#   Deploy/local-cluster.sh status          each member's role, term, leader, commit/applied index
#   Deploy/local-cluster.sh stop N          SIGTERM member N (clean shutdown)
#   Deploy/local-cluster.sh kill N          SIGKILL member N
#   Deploy/local-cluster.sh kill-region R   SIGKILL every member in region R
#   Deploy/local-cluster.sh start N         start member N again
#   Deploy/local-cluster.sh start-region R  start every member of region R again
#   Deploy/local-cluster.sh restart N       SIGTERM member N, then start it again
#   Deploy/local-cluster.sh down            stop every member and remove the cluster's files
#
# Files live in $KEYCLUSTER_LOCAL_DIR (default ./keycluster-local): certificates, configs, data, logs, pids.
# Ports: member N uses peer port $KEYCLUSTER_LOCAL_PEER_PORT + N - 1 (default 7201) and client (HTTPS) port
# $KEYCLUSTER_LOCAL_CLIENT_PORT + N - 1 (default 8201). KEYCLUSTER_BINARY skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source Deploy/lib/pids.sh
dir="${KEYCLUSTER_LOCAL_DIR:-$PWD/keycluster-local}"
binary="${KEYCLUSTER_BINARY:-}"
# need_binary: builds keycluster (release) once, unless KEYCLUSTER_BINARY names one.
need_binary() {
  if [ -z "$binary" ]; then
    Deploy/install-deps.sh
    swift build -c release --product keycluster >&2
    binary="$(swift build -c release --show-bin-path)/keycluster"
  fi
}

members() { ls "$dir"/node-*.json 2>/dev/null | sed -E 's/.*node-([0-9]+)\.json/\1/' | sort -n; }
pidfile() { echo "$dir/node-$1.pid"; }
# member_pid N: member N's pid, if its pidfile names a live `keycluster serve --config <its file>` process.
member_pid() { live_pid "$(pidfile "$1")" "serve --config $dir/node-$1.json "; }
running() { member_pid "$1" >/dev/null; }
# field_of N FIELD: this member's FIELD (region, clientAddress, peerAddress) from its own configuration.
field_of() {
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(next(m[sys.argv[2]] for m in c["members"] if m["id"]==c["id"]))' \
    "$dir/node-$1.json" "$2"
}

# region_members R: the ids of the members in region R.
region_members() {
  local found=""
  for id in $(members); do
    if [ "$(field_of "$id" region)" = "$1" ]; then found="$found $id"; fi
  done
  [ -n "$found" ] || { echo "local-cluster: no member in region $1" >&2; exit 2; }
  echo "$found"
}

start_member() {
  if running "$1"; then echo "member $1 already running"; return; fi
  need_binary
  # The member outlives this script: it must not keep the caller's descriptors (a supervisor watching a
  # pipe or socket for this script's end would otherwise wait for the member's end instead).
  (
    for fd in $(ls /proc/$BASHPID/fd); do
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec nohup "$binary" serve --config "$dir/node-$1.json" >>"$dir/node-$1.log" 2>&1 </dev/null
  ) &
  echo $! >"$(pidfile "$1")"
  echo "member $1 started (pid $!, log $dir/node-$1.log)"
}

signal_member() {
  local pid
  if pid="$(member_pid "$2")"; then
    stop_pid "$pid" "$1"
    echo "member $2 stopped ($1)"
  fi
  rm -f "$(pidfile "$2")"
}

case "${1:-}" in
  up)
    size="${2:-3}"
    case "$size" in
      3) regions="eu-west,us-east,ap-south" ;;
      5) regions="eu-west,us-east,ap-south,eu-west,us-east" ;;
      *) echo "local-cluster: size must be 3 or 5" >&2; exit 2 ;;
    esac
    if [ -z "$(members)" ]; then
      need_binary
      "$binary" local-cluster init --dir "$dir" --regions "$regions" \
        --base-peer-port "${KEYCLUSTER_LOCAL_PEER_PORT:-7201}" --base-client-port "${KEYCLUSTER_LOCAL_CLIENT_PORT:-8201}" >/dev/null
    fi
    for id in $(members); do start_member "$id"; done ;;
  status)
    first="$(members | head -1)"
    [ -n "$first" ] || { echo "no local cluster in $dir"; exit 1; }
    need_binary
    "$binary" cluster status --config "$dir/node-$first.json" ;;
  stop) signal_member TERM "$2" ;;
  kill) signal_member KILL "$2" ;;
  kill-region) ids="$(region_members "$2")"; for id in $ids; do signal_member KILL "$id"; done ;;
  start) start_member "$2" ;;
  start-region) ids="$(region_members "$2")"; for id in $ids; do start_member "$id"; done ;;
  restart) signal_member TERM "$2"; start_member "$2" ;;
  down)
    for id in $(members); do signal_member TERM "$id"; done
    rm -rf "$dir"
    echo "local cluster removed" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
