#!/usr/bin/env bash
# A local NATS server for development and tests (the Nats broker), installed
# and started by the project itself (no Docker needed):
#
#   scripts/services/nats.sh ensure [PORT]   install if missing, start it; prints the
#                                            URL on stdout (last line)
#   scripts/services/nats.sh stop [PORT]     stop our instance (SIGTERM, then SIGKILL)
#   scripts/services/nats.sh status [PORT]   exit 0 and print the URL when it answers PING
#   scripts/services/nats.sh url [PORT]      print the URL
#
# PORT defaults to 14222 (TRIBUTARY_NATS_PORT overrides the default); the NATS
# restart test runs its own instance on 14223 so that stopping it disturbs no
# other test. Each instance listens on 127.0.0.1:PORT only and keeps its
# pidfile and log in .cache/nats-PORT inside the repository (git-ignored):
#
#   nats://127.0.0.1:14222
#
# Which nats-server: Debian's `nats-server` package (bookworm: 2.9.10),
# installed with apt-get when no nats-server is on PATH. The broker uses core
# NATS only (PUB/SUB on plain subjects, no JetStream, no headers), which every
# 2.x server does the same way, so the packaged one serves as well as a newer
# one built with Go from its module: it installs in seconds, needs no Go
# toolchain, and is what a Debian host running NATS has. A nats-server already
# on PATH (a newer one someone built) is used instead.
#
# Settings are for tests: no auth, no JetStream, no cluster, no monitoring
# port. A server already answering on the port is used as it is; one stopped
# from outside (the restart test kills it) is started again by the next
# `ensure`. Every command is idempotent; `ensure` on a running instance takes
# well under a second.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CMD="${1:-}"
PORT="${2:-${TRIBUTARY_NATS_PORT:-14222}}"
URL="nats://127.0.0.1:${PORT}"
CACHE="$ROOT/.cache"
DIR="$CACHE/nats-${PORT}"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$PORT" in
'' | *[!0-9]*) die "not a port: $PORT" ;;
esac

# The Debian package puts it in /usr/sbin, which a non-login PATH may lack.
PATH="$PATH:/usr/sbin"

ensure_binary() {
  command -v nats-server >/dev/null 2>&1 && return 0
  apt_install "NATS (no nats-server on PATH)" nats-server
  hash -r
  command -v nats-server >/dev/null 2>&1 || die "nats-server was installed but is not on PATH"
}

# Whether a NATS server on the port answers: it greets with INFO, and answers
# CONNECT + PING with PONG (bounded: a stranger on the port must not hang us).
answers() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "CONNECT {\"verbose\":false}\r\nPING\r\n" >&3
    IFS= read -r -t 2 line <&3 && [[ $line == INFO* ]] || exit 1
    while IFS= read -r -t 2 line <&3; do
      [[ $line == PONG* ]] && exit 0
      [[ $line == -ERR* ]] && exit 1
    done
    exit 1' answers "$PORT" 2>/dev/null
}

pid_of_ours() {
  local pid
  pid=$(cat "$DIR/nats.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q nats-server "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

start_server() {
  mkdir -p "$DIR"
  rm -f "$DIR/nats.pid"
  local from i
  from=$(($(stat -c %s "$DIR/nats.log" 2>/dev/null || echo 0) + 1))
  # setsid + nohup: the server outlives this script and the test run; 9>&-: it
  # must not inherit (and so hold forever) the lock of cmd_ensure.
  setsid nohup nats-server -a 127.0.0.1 -p "$PORT" -P "$DIR/nats.pid" -l "$DIR/nats.log" </dev/null >/dev/null 2>&1 9>&- &
  for i in $(seq 1 100); do
    answers && return 0
    if tail -c "+$from" "$DIR/nats.log" 2>/dev/null | grep -q -i 'address already in use'; then break; fi
    sleep 0.1
  done
  tail -n 20 "$DIR/nats.log" >&2 2>/dev/null || true
  die "nats-server did not start on 127.0.0.1:$PORT (see $DIR/nats.log)"
}

cmd_ensure() {
  if answers; then
    echo "$URL"
    return 0
  fi
  ensure_binary
  mkdir -p "$CACHE"
  # Two concurrent `ensure`s (parallel test runners) must not both start a server.
  exec 9>"$CACHE/.nats-${PORT}.lock"
  flock 9
  answers || start_server
  echo "$URL"
}

cmd_stop() {
  local pid i
  if ! pid=$(pid_of_ours); then
    answers && log "the server on 127.0.0.1:$PORT was not started by this script; leaving it running"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || {
      log "stopped 127.0.0.1:$PORT"
      return 0
    }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  log "killed 127.0.0.1:$PORT (it did not stop on SIGTERM)"
}

cmd_status() {
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
