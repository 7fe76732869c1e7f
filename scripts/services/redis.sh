#!/usr/bin/env bash
# A local Redis for development and tests, installed and started by the project
# itself (no Docker needed):
#
#   scripts/services/redis.sh ensure [PORT]   install if missing, start it; prints the
#                                             URL on stdout (last line)
#   scripts/services/redis.sh stop [PORT]     shut our instance down (SHUTDOWN NOSAVE)
#   scripts/services/redis.sh status [PORT]   exit 0 and print the URL when it answers PING
#   scripts/services/redis.sh url [PORT]      print the URL
#
# PORT defaults to 16379 (TRIBUTARY_REDIS_PORT overrides the default); a second,
# separate instance is just another port (the tests use 16380 as well). Each
# instance listens on 127.0.0.1:PORT only, so it never clashes with a system
# instance, and keeps its config, pidfile and log in .cache/redis-PORT inside the
# repository (git-ignored):
#
#   redis://127.0.0.1:16379
#
# Settings are for tests: no persistence (save "", appendonly no), no password,
# protected-mode yes (harmless: it binds loopback only). Run as root it installs
# the Debian redis-server package when redis-server/redis-cli are missing; the
# package's own service (on 6379, when the machine runs one at all) is never
# used. A server already answering PING on the port is used as it is; a server
# stopped from outside (the tests' fault test shuts it down) is started again by
# the next `ensure`. Every command is idempotent; `ensure` on a running instance
# takes well under a second.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CMD="${1:-}"
PORT="${2:-${TRIBUTARY_REDIS_PORT:-16379}}"
URL="redis://127.0.0.1:${PORT}"
CACHE="$ROOT/.cache"
DIR="$CACHE/redis-${PORT}"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$PORT" in
'' | *[!0-9]*) die "not a port: $PORT" ;;
esac

have_binaries() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }

install_redis() {
  apt_install "Redis (no redis-server/redis-cli on PATH)" redis-server
}

ensure_binaries() {
  if ! have_binaries; then
    install_redis
    hash -r
    have_binaries || die "Redis was installed but redis-server/redis-cli were not found on PATH"
  fi
}

# Whether something on the port answers PING with PONG (bounded: a stranger on
# the port that never replies must not hang us).
answers() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  [ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ]
}

write_config() {
  cat >"$DIR/redis.conf" <<EOF
# Tributary test instance (scripts/services/redis.sh); rewritten on every start.
bind 127.0.0.1
port $PORT
protected-mode yes
daemonize yes
supervised no
dir "$DIR"
pidfile "$DIR/redis.pid"
logfile "$DIR/redis.log"
loglevel notice
save ""
appendonly no
EOF
  # Extra directives from the caller (scripts/services/redis-cluster.sh turns cluster mode on this way).
  if [ -n "${TRIBUTARY_REDIS_EXTRA_CONF:-}" ]; then printf '%b\n' "$TRIBUTARY_REDIS_EXTRA_CONF" >>"$DIR/redis.conf"; fi
}

# One start attempt: 0 once it answers PING, 1 when it gave up on the port
# (bind: Address already in use), 2 on any other failure.
start_once() {
  local from i
  rm -f "$DIR/redis.pid"
  from=$(($(stat -c %s "$DIR/redis.log" 2>/dev/null || echo 0) + 1))
  # 9>&-: the daemon must not inherit (and so hold forever) the lock of cmd_ensure.
  redis-server "$DIR/redis.conf" >/dev/null 9>&- || return 2
  for i in $(seq 1 100); do
    # daemonize: the command above returns before the server binds; a failure
    # shows only in its log.
    if tail -c "+$from" "$DIR/redis.log" 2>/dev/null | grep -q 'Failed listening on port'; then
      tail -c "+$from" "$DIR/redis.log" | grep -q 'Address already in use' && return 1
      return 2
    fi
    answers && return 0
    sleep 0.1
  done
  return 2
}

start_server() {
  mkdir -p "$DIR"
  write_config
  # The default ports lie inside Linux's ephemeral range (32768-60999), so a
  # client socket of some other program can hold 127.0.0.1:PORT for a moment
  # (seen with the benchmarks' thousand connections): try again a few times.
  local attempt rc
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    rc=0
    start_once || rc=$?
    [ "$rc" = 0 ] && return 0
    [ "$rc" = 1 ] || break
    answers && return 0 # another redis took the port meanwhile: use it
    log "127.0.0.1:$PORT is in use (attempt $attempt), retrying…"
    sleep 1
  done
  tail -n 20 "$DIR/redis.log" >&2 2>/dev/null || true
  die "redis-server did not start on 127.0.0.1:$PORT (see $DIR/redis.log)"
}

cmd_ensure() {
  # Quick path: already running (ours, or anyone's) — used as it is.
  if answers; then
    echo "$URL"
    return 0
  fi
  ensure_binaries
  mkdir -p "$CACHE"
  # Two concurrent `ensure`s (parallel test runners) must not both start a server.
  exec 9>"$CACHE/.redis-${PORT}.lock"
  flock 9
  answers || start_server
  echo "$URL"
}

# Whether the server on the port is this instance (started from $DIR/redis.conf),
# not a stranger that `ensure` merely reused.
ours() {
  timeout 3 redis-cli -h 127.0.0.1 -p "$PORT" info server 2>/dev/null | tr -d '\r' |
    grep -qxF "config_file:$DIR/redis.conf"
}

cmd_stop() {
  answers || return 0
  if ! ours; then
    log "the server on 127.0.0.1:$PORT was not started by this script; leaving it running"
    return 0
  fi
  timeout 10 redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  local i
  for i in $(seq 1 50); do
    answers || {
      log "stopped 127.0.0.1:$PORT"
      return 0
    }
    sleep 0.1
  done
  die "the server on 127.0.0.1:$PORT did not shut down"
}

cmd_status() {
  command -v redis-cli >/dev/null 2>&1 || {
    log "not installed"
    return 1
  }
  if answers; then
    log "running on 127.0.0.1:$PORT"
    echo "$URL"
  else
    log "not running on 127.0.0.1:$PORT"
    return 3
  fi
}

case "$CMD" in
ensure | start) cmd_ensure ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) echo "$URL" ;;
*)
  echo "usage: $0 ensure|stop|status|url [PORT]" >&2
  exit 2
  ;;
esac
