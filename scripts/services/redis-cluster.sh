#!/usr/bin/env bash
# A three-master Redis Cluster on 127.0.0.1 for the tests (no replicas), built
# from our own redis-server instances (scripts/services/redis.sh with cluster
# mode on). Idempotent: a cluster that already reports cluster_state:ok is used
# as it is.
#
#   scripts/services/redis-cluster.sh ensure   start it; the last stdout line is its address:
#       redis+cluster://127.0.0.1:17001?addr=127.0.0.1:17002&addr=127.0.0.1:17003
#   scripts/services/redis-cluster.sh stop     stop the three instances
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORTS=(17001 17002 17003)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every node, not just the first: a node that has not yet heard of every slot
# answers CLUSTERDOWN or MOVED, and clients then retry their first commands.
cluster_ok() {
  local port
  for port in "${PORTS[@]}"; do
    timeout 3 redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

address() {
  echo "redis+cluster://127.0.0.1:${PORTS[0]}?addr=127.0.0.1:${PORTS[1]}&addr=127.0.0.1:${PORTS[2]}"
}

cmd_ensure() {
  if cluster_ok; then
    address
    return 0
  fi
  for port in "${PORTS[@]}"; do
    TRIBUTARY_REDIS_EXTRA_CONF="cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 2000" \
      bash "$HERE/redis.sh" ensure "$port" >/dev/null
  done
  if ! cluster_ok; then
    # Fresh instances (or a half-made cluster): start clean and create it, but
    # only wipe servers that are ours (their data directory is in our cache).
    for port in "${PORTS[@]}"; do
      dir=$(redis-cli -h 127.0.0.1 -p "$port" config get dir 2>/dev/null | tail -1)
      if [ "$dir" != "$ROOT/.cache/redis-$port" ]; then
        log "error: 127.0.0.1:$port is a Redis that is not ours ($dir) and not a ready cluster; not touching it"
        exit 1
      fi
      redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1 || true
      redis-cli -h 127.0.0.1 -p "$port" cluster reset hard >/dev/null 2>&1 || true
    done
    log "creating the cluster…"
    redis-cli --cluster create "${PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >&2
    for _ in $(seq 1 100); do
      cluster_ok && break
      sleep 0.1
    done
    cluster_ok || {
      log "error: the cluster did not reach cluster_state:ok"
      exit 1
    }
  fi
  address
}

cmd_stop() {
  for port in "${PORTS[@]}"; do bash "$HERE/redis.sh" stop "$port" || true; done
}

case "${1:-}" in
ensure) cmd_ensure ;;
stop) cmd_stop ;;
*)
  echo "usage: $0 ensure|stop" >&2
  exit 2
  ;;
esac
