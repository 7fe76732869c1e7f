#!/usr/bin/env bash
# A local Kafka Connect worker with the Debezium PostgreSQL connector, for
# development and tests, installed and started by the project itself (no Docker):
#
#   scripts/services/kafka-connect.sh ensure   start the broker (kafka.sh ensure) and
#                                              PostgreSQL (postgres.sh ensure), fetch
#                                              the connector if missing, start the
#                                              worker; prints the REST URL on stdout
#                                              (last line)
#   scripts/services/kafka-connect.sh stop     stop our worker (SIGTERM, SIGKILL after 30 s);
#                                              the broker and PostgreSQL keep running
#   scripts/services/kafka-connect.sh status   exit 0 and print the URL when the worker answers
#   scripts/services/kafka-connect.sh url      print the URL
#
# A distributed worker (connectors are registered over REST), from the Kafka
# 3.9.1 jars that kafka.sh fetches (.cache/kafka/libs, connect-runtime among
# them), on the same Java 17, REST on loopback only:
#
#   http://127.0.0.1:18083      (POST /connectors, GET /connector-plugins, …)
#
# The Debezium PostgreSQL connector 3.2.7.Final (built against Kafka 3.9.1;
# scripts/services/kafka/debezium-postgres.pom.xml, with the PostgreSQL JDBC
# driver) is fetched with mvn into .cache/kafka-connect/plugins/debezium-postgres
# on the first run; plugin.path is .cache/kafka-connect/plugins. The worker's
# config, log4j config, logs (logs/connect.log, logs/connect.out) and pidfile are
# in .cache/kafka-connect (git-ignored). Its state (connector configs, source
# offsets, statuses) lives in the broker, in the topics
# _tributary-connect-{configs,offsets,status} (replication factor 1, one
# partition each), so it survives a restart of the worker.
#
# Settings are for tests: converters JSON without embedded schemas
# (key/value.converter.schemas.enable=false, so a Debezium event's value is the
# plain envelope {before, after, source, op, ts_ms, …}; a connector can override
# it in its own config), source offsets flushed every second, no delay before
# a lost task is reassigned (scheduled.rebalance.max.delay.ms=0), connectors
# may override their client configs (connector.client.config.override.policy=All),
# connector configs may use ${env:NAME} and ${file:PATH:KEY} (config providers),
# heap 512 MiB (TRIBUTARY_KAFKA_CONNECT_HEAP_OPTS overrides).
#
# PostgreSQL: Debezium's pgoutput plugin needs a role that may open replication
# connections, so `ensure` also gives the `tributary` role of
# scripts/services/postgres.sh the REPLICATION attribute (as the `postgres`
# superuser, once; postgres.sh creates the role without it). wal_level=logical
# is postgres.sh's own setting.
#
# A worker already answering on the port is used as it is when it lists the
# Debezium connector; one that does not is an error. `ensure` waits until ours
# lists it and GET /connectors answers (the worker has joined its group), at
# most TRIBUTARY_KAFKA_CONNECT_START_TIMEOUT seconds (default 120). Every command
# is idempotent; `ensure` on a running worker takes well under a second.
#
# Environment: TRIBUTARY_KAFKA_CONNECT_PORT (default 18083); TRIBUTARY_KAFKA_PORT
# and TRIBUTARY_PG_PORT reach kafka.sh and postgres.sh; TRIBUTARY_KAFKA_JAVA as in kafka.sh.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${TRIBUTARY_KAFKA_CONNECT_PORT:-18083}"
HOST=127.0.0.1
URL="http://$HOST:$PORT"
START_TIMEOUT="${TRIBUTARY_KAFKA_CONNECT_START_TIMEOUT:-120}"
CONNECTOR_CLASS=io.debezium.connector.postgresql.PostgresConnector
PG_ROLE=tributary

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$PORT" in
'' | *[!0-9]*) die "not a port: $PORT" ;;
esac

# shellcheck source-path=SCRIPTDIR source=kafka/common.sh
. "$ROOT/scripts/services/kafka/common.sh"

DIR="$CACHE/kafka-connect"
PLUGINS="$DIR/plugins"
PIDFILE="$DIR/connect.pid"
CONFIG="$DIR/connect-distributed.properties"
MARK="org.apache.kafka.connect.cli.ConnectDistributed $CONFIG"

ensure_curl() {
  command -v curl >/dev/null 2>&1 && return 0
  apt_install curl curl
  hash -r
}

# GET PATH on the worker: the body on stdout; fails unless 200 (bounded).
get() { curl -fsS --max-time 3 "$URL$1" 2>/dev/null; }

# Whether a worker answers and lists the Debezium PostgreSQL connector.
lists_debezium() {
  local body
  body="$(get /connector-plugins)" || return 1
  [[ "$body" == *"\"$CONNECTOR_CLASS\""* ]]
}

# Whether it answers at all (any HTTP status).
answers_http() { curl -sS --max-time 3 -o /dev/null "$URL/" 2>/dev/null; }

# Ready: the plugin is listed and the herder serves requests (GET /connectors
# is 200 only once the worker has joined its group and read the config topic).
ready() { lists_debezium && get /connectors >/dev/null; }

find_psql() {
  local d
  # shellcheck disable=SC2012 # as in postgres.sh
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/psql" ]; then
    echo "$d/psql"
  else
    command -v psql 2>/dev/null || true
  fi
}

# PostgreSQL up (postgres.sh ensure) and the tributary role allowed to open
# replication connections. Creating the publication needs no more: with
# publication.autocreate.mode=filtered Debezium creates it FOR TABLE …, which the
# tables' owner (tributary) may do.
ensure_postgres() {
  local dsn hostport host port psql
  dsn="$(bash "$ROOT/scripts/services/postgres.sh" ensure | tail -n 1)" || die "scripts/services/postgres.sh ensure failed"
  hostport="${dsn#*@}"
  hostport="${hostport%%/*}"
  host="${hostport%:*}"
  port="${hostport##*:}"
  psql="$(find_psql)"
  [ -n "$psql" ] || die "psql not found (it comes with postgres.sh's PostgreSQL)"
  local admin=("$psql" -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d postgres)
  if [ "$("${admin[@]}" -tAc "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = '$PG_ROLE'")" != t ]; then
    "${admin[@]}" -c "ALTER ROLE $PG_ROLE REPLICATION" ||
      die "could not give the $PG_ROLE role the REPLICATION attribute on $host:$port"
    log "gave the $PG_ROLE role the REPLICATION attribute (for Debezium's pgoutput)"
  fi
  [ "$("${admin[@]}" -tAc 'SHOW wal_level')" = logical ] ||
    die "PostgreSQL on $host:$port does not have wal_level=logical (Debezium needs it)"
}

write_config() {
  local brokers="$1"
  mkdir -p "$DIR/logs" "$PLUGINS"
  cat >"$CONFIG" <<EOF
# Tributary test Kafka Connect worker (scripts/services/kafka-connect.sh); rewritten on every start.
bootstrap.servers=$brokers
group.id=tributary-connect

config.storage.topic=_tributary-connect-configs
config.storage.replication.factor=1
offset.storage.topic=_tributary-connect-offsets
offset.storage.replication.factor=1
offset.storage.partitions=1
status.storage.topic=_tributary-connect-status
status.storage.replication.factor=1
status.storage.partitions=1
offset.flush.interval.ms=1000
# A task being stopped while the broker is away (a rebalance after the broker
# restarted) needs more than the default 5 s, or it is abandoned still holding
# its replication slot and the restarted task cannot start streaming.
task.shutdown.graceful.timeout.ms=60000

key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false

listeners=http://$HOST:$PORT
rest.advertised.host.name=$HOST
rest.advertised.port=$PORT

plugin.path=$PLUGINS
# Debezium's jars carry ServiceLoader manifests (KIP-898), so the worker need not
# scan every class of its own classpath for plugins: a much quicker start.
plugin.discovery=service_load

scheduled.rebalance.max.delay.ms=0
connector.client.config.override.policy=All
# \${env:NAME} and \${file:PATH:KEY} in connector configs (consumers/debezium/*.connector.json use env).
config.providers=env,file
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
EOF
  cat >"$DIR/log4j.properties" <<EOF
# Tributary test Kafka Connect worker (scripts/services/kafka-connect.sh); rewritten on every start.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$DIR/logs/connect.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %X{connector.context}%m (%c:%L)%n
log4j.logger.org.reflections=ERROR
log4j.logger.org.apache.kafka.clients.consumer.ConsumerConfig=WARN
log4j.logger.org.apache.kafka.clients.producer.ProducerConfig=WARN
log4j.logger.org.apache.kafka.clients.admin.AdminClientConfig=WARN
EOF
}

start_worker() {
  local from pid heap
  from=$(($(stat -c %s "$DIR/logs/connect.log" 2>/dev/null || echo 0) + 1))
  echo "---- $(date -Is) start" >>"$DIR/logs/connect.out"
  read -r -a heap <<<"${TRIBUTARY_KAFKA_CONNECT_HEAP_OPTS:--Xmx512m -Xms128m}"
  start_jvm "$PIDFILE" "$DIR/logs/connect.out" "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true "-Dlog4j.configuration=file:$DIR/log4j.properties" \
    -cp "$KAFKA_LIBS/*" org.apache.kafka.connect.cli.ConnectDistributed "$CONFIG"
  pid="$(cat "$PIDFILE")"
  await_jvm "$pid" worker "$URL" ready "$START_TIMEOUT" "$DIR/logs/connect.out" "$DIR/logs/connect.log" "$from"
}

cmd_ensure() {
  ensure_curl
  local brokers
  brokers="$(bash "$ROOT/scripts/services/kafka.sh" ensure | tail -n 1)" || die "scripts/services/kafka.sh ensure failed"
  [ -n "$brokers" ] || die "scripts/services/kafka.sh ensure printed no address"
  ensure_postgres
  # Quick path: a ready worker with the connector already answers (ours, or anyone's).
  if ready; then
    echo "$URL"
    return 0
  fi
  mkdir -p "$DIR"
  # Two concurrent `ensure`s must not both fetch the plugin or start a worker.
  exec 9>"$CACHE/.kafka-connect.lock"
  flock 9
  if ready; then
    echo "$URL"
    return 0
  fi
  local pid
  if ! pid="$(live_pid "$PIDFILE" "$MARK")"; then
    pid=""
    if answers_http; then
      die "something not started by this script answers on $URL but is not a ready worker listing $CONNECTOR_CLASS; stop it or set TRIBUTARY_KAFKA_CONNECT_PORT"
    fi
  fi
  ensure_java
  # The worker runs on the broker's jars. They are fetched by kafka.sh ensure,
  # but only when it starts a broker: one that already answers may be another
  # checkout's, and this checkout's cache then has no connect-runtime.
  fetch_jars "$KAFKA_POMS/pom.xml" "$KAFKA_LIBS"
  # slf4j and Jackson's core come from the worker (as in Debezium's own plugin
  # archive): a second copy of jackson-databind inside the plugin breaks
  # Debezium's converters, which call the worker's JsonConverter with JsonNode.
  fetch_jars "$KAFKA_POMS/debezium-postgres.pom.xml" "$PLUGINS/debezium-postgres" \
    -DexcludeGroupIds=org.slf4j,com.fasterxml.jackson.core
  if [ -n "$pid" ]; then
    # Ours, alive, not ready: still starting (or wedged). Give it the usual
    # time, then replace it.
    log "our worker (pid $pid) is running but not ready yet; waiting…"
    local _
    for _ in $(seq 1 $((START_TIMEOUT * 4))); do
      if ready; then
        echo "$URL"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && stop_pid "$pid" worker 10
  fi
  write_config "$brokers"
  start_worker
  echo "$URL"
}

cmd_stop() {
  local pid
  if pid="$(live_pid "$PIDFILE" "$MARK")"; then
    stop_pid "$pid" worker 30
    rm -f "$PIDFILE"
    return 0
  fi
  rm -f "$PIDFILE"
  if command -v curl >/dev/null 2>&1 && answers_http; then
    log "the worker on $URL was not started by this script; leaving it running"
  fi
  return 0
}

cmd_status() {
  command -v curl >/dev/null 2>&1 || {
    log "curl is not installed"
    return 1
  }
  if lists_debezium; then
    local pid
    if pid="$(live_pid "$PIDFILE" "$MARK")"; then
      log "running on $URL (pid $pid, $(rss_of "$pid") resident; logs in $DIR/logs)"
    else
      log "a worker answers on $URL (not started by this script)"
    fi
    echo "$URL"
  else
    log "not running on $URL"
    return 3
  fi
}

case "${1:-}" in
ensure | start) cmd_ensure ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) echo "$URL" ;;
*)
  echo "usage: $0 ensure|stop|status|url" >&2
  exit 2
  ;;
esac
