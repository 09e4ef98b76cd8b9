# Pidfile helpers shared by Deploy/local-cluster.sh and Deploy/netns-cluster.sh (sourced, not run).
#
# A pidfile outlives its process: after a crash or a reboot the pid may belong to an unrelated process,
# which a bare `kill -0` / `kill` would then wait on or signal. So a pid counts only while its command line
# still names what we started, and every wait for an exit is bounded.

# Seconds to wait for a signalled process to exit before SIGKILL (and again after it).
pid_stop_timeout_seconds="${KEYCLUSTER_STOP_TIMEOUT_SECONDS:-10}"

# live_pid PIDFILE PATTERN: prints the pid in PIDFILE if that process is alive (not a zombie) and its
# command line (arguments joined by single spaces, with a trailing space) contains PATTERN.
live_pid() {
  local file="$1" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  grep -qF -- "$2" <(tr '\0' ' ' <"/proc/$pid/cmdline") || return 1
  [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

# gone PID: the process has exited (or is a zombie awaiting its parent).
gone() { [ ! -d "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# wait_gone PID: waits up to pid_stop_timeout_seconds for PID to exit and its parent to reap it (callers
# may check right after that the pid is free); fails only if it is still running then (a zombie whose
# parent never reaps it counts as exited).
wait_gone() {
  local deadline=$((SECONDS + pid_stop_timeout_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ -d "/proc/$1" ] || return 0
    sleep 0.025
  done
  gone "$1"
}

# stop_pid PID SIGNAL: sends SIGNAL, and SIGKILL if PID has not exited within the timeout.
stop_pid() {
  local pid="$1" signal="$2"
  kill "-$signal" "$pid" 2>/dev/null || true
  wait_gone "$pid" && return 0
  echo "pid $pid did not exit after SIG$signal within ${pid_stop_timeout_seconds}s: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" || true
}
