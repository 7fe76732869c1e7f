#!/usr/bin/env bash
# A Redis master watched by one Sentinel, on 127.0.0.1, for the tests: the
# master is our own redis-server (scripts/services/redis.sh on port 16390), the
# Sentinel is redis-server in sentinel mode on port 26390 monitoring it under
# the name "tributary". Idempotent.
#
#   scripts/services/redis-sentinel.sh ensure   the last stdout line is the address:
#       redis+sentinel://127.0.0.1:26390?sentinel_master_name=tributary
#   scripts/services/redis-sentinel.sh stop
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MASTER_PORT=16390
PORT=26390
NAME=tributary
DIR="$ROOT/.cache/redis-sentinel-$PORT"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

answers() {
  [ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$PORT" sentinel get-master-addr-by-name "$NAME" 2>/dev/null | tail -1)" = "$MASTER_PORT" ]
}

cmd_ensure() {
  bash "$HERE/redis.sh" ensure "$MASTER_PORT" >/dev/null
  if ! answers; then
    mkdir -p "$DIR"
    # Sentinel rewrites its own config file, so it gets a fresh one on every start.
    cat >"$DIR/sentinel.conf" <<CONF
bind 127.0.0.1
port $PORT
daemonize yes
dir "$DIR"
pidfile "$DIR/sentinel.pid"
logfile "$DIR/sentinel.log"
sentinel monitor $NAME 127.0.0.1 $MASTER_PORT 1
sentinel down-after-milliseconds $NAME 5000
CONF
    redis-server "$DIR/sentinel.conf" --sentinel >/dev/null
    for _ in $(seq 1 100); do
      answers && break
      sleep 0.1
    done
    answers || {
      tail -n 20 "$DIR/sentinel.log" >&2 || true
      log "error: the Sentinel did not come up on 127.0.0.1:$PORT"
      exit 1
    }
  fi
  echo "redis+sentinel://127.0.0.1:$PORT?sentinel_master_name=$NAME"
}

cmd_stop() {
  timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  bash "$HERE/redis.sh" stop "$MASTER_PORT" || true
}

case "${1:-}" in
ensure) cmd_ensure ;;
stop) cmd_stop ;;
*)
  echo "usage: $0 ensure|stop" >&2
  exit 2
  ;;
esac
