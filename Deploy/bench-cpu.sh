#!/usr/bin/env bash
# Runs `keycluster bench unlock` and reports the CPU time its servers used: every `keycluster serve` and
# `etcd` process is sampled (utime + stime from /proc/PID/stat, every 0.2 s) for the whole run. Divide by the
# operations the run printed to get server CPU per operation (BENCHMARKS.md).
#   usage: Deploy/bench-cpu.sh BINARY [bench unlock options, default --clients 64 --seconds 5]
set -uo pipefail
binary=$1; shift
options=("$@"); [ ${#options[@]} -eq 0 ] && options=(--clients 64 --seconds 5)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$binary" bench unlock "${options[@]}" &
bench=$!
declare -A first last kind
while kill -0 "$bench" 2>/dev/null; do
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ "$pid" = "$bench" ] && continue
    comm=$(cat "$dir/comm" 2>/dev/null) || continue
    case "$comm" in keycluster) grep -qa serve "$dir/cmdline" 2>/dev/null || continue ;; etcd) ;; *) continue ;; esac
    fields=$(cut -d' ' -f14,15 "$dir/stat" 2>/dev/null) || continue
    ticks=$(( ${fields% *} + ${fields#* } ))
    [ -z "${first[$pid]:-}" ] && first[$pid]=$ticks && kind[$pid]=$comm
    last[$pid]=$ticks
  done
  sleep 0.2
done
wait "$bench"; status=$?
hz=$(getconf CLK_TCK)
keycluster=0; etcd=0
for pid in "${!last[@]}"; do
  used=$(( last[$pid] - first[$pid] ))
  if [ "${kind[$pid]}" = etcd ]; then etcd=$((etcd + used)); else keycluster=$((keycluster + used)); fi
done
echo "server CPU over the run: keycluster $(awk "BEGIN{print $keycluster/$hz}") s, etcd $(awk "BEGIN{print $etcd/$hz}") s"
exit $status
