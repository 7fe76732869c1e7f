#!/usr/bin/env bash
# Stops every service the tests start (npm run services:stop): Kafka Connect,
# Kafka, the Redis servers (standalone on each test port, cluster, Sentinel),
# NATS and PostgreSQL. Each script stops only what it started itself, so a server
# someone else runs on the same port is left alone. Data stays in .cache/
# (delete that folder to start from nothing); stopping what is not running
# succeeds.
set -uo pipefail
cd "$(dirname "$0")/../.."

status=0
stop() {
  bash "$@" stop || status=1
}

# Connect uses Kafka; Debezium's slot uses PostgreSQL: stop in that order.
stop scripts/services/kafka-connect.sh
stop scripts/services/kafka.sh
stop scripts/services/redis-sentinel.sh
stop scripts/services/redis-cluster.sh
# The standalone ports of test/services.json and of the tests that run their own Redis.
for port in 16379 16380 16381 16382; do bash scripts/services/redis.sh stop "$port" || status=1; done
# NATS: the shared test instance and the restart test's own (its after hook stops it; a run cut short does not).
for port in 14222 14223; do bash scripts/services/nats.sh stop "$port" || status=1; done
# The cluster test/integration/outbox/restart.test.ts runs on its own (its after hook stops it; a run cut short does not).
TRIBUTARY_PG_DATA="$PWD/.cache/postgres-restart-test" TRIBUTARY_PG_PORT=55433 bash scripts/services/postgres.sh stop || status=1
stop scripts/services/postgres.sh
# scripts/services/chromium.sh only installs the browser the browser tests drive: nothing of it runs to stop.
# scripts/services/centrifugo.sh only builds the reference binary the bench starts and stops itself: nothing to stop here.
exit "$status"
