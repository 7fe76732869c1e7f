#!/usr/bin/env bash
# A local Apache Kafka broker for development and tests, installed and started
# by the project itself (no Docker needed):
#
#   scripts/services/kafka.sh ensure   fetch the jars if missing, format the storage
#                                      once, start the broker; prints the bootstrap
#                                      address on stdout (last line)
#   scripts/services/kafka.sh stop     stop our broker (SIGTERM, SIGKILL after 30 s)
#   scripts/services/kafka.sh status   exit 0 and print the address when a broker answers
#   scripts/services/kafka.sh address  print the address
#
# Apache Kafka 3.9.1 (not 4.x: Kafka 4 removed the old protocol versions that
# kafkajs speaks), as jars from Maven Central (scripts/services/kafka/pom.xml,
# fetched with mvn into .cache/kafka/libs on the first run; Maven and a Java 17
# come from the Debian packages when missing and the script runs as root), run
# on Java 17 in KRaft mode: one JVM that is both broker and controller, on
# loopback only:
#
#   127.0.0.1:19092   PLAINTEXT, the address for clients (kafkajs: brokers: ['127.0.0.1:19092'])
#   127.0.0.1:19093   the KRaft controller (not for clients)
#
# Both ports are below Linux's ephemeral range (32768-60999), so a client
# socket of some other program can never hold them. State lives in .cache/kafka
# inside the repository (git-ignored): libs/ (the jars), data/ (the log dirs,
# formatted once with a fixed cluster id), server.properties and
# log4j.properties (rewritten on every start), logs/server.log (the broker's
# log) and logs/kafka.out (the JVM's own stdout/stderr), kafka.pid.
#
# Settings are for tests: topics are created on first use
# (auto.create.topics.enable=true) with one partition, every internal topic has
# replication factor 1 and a single partition (__consumer_offsets too, so the
# first consumer group is ready at once), group.initial.rebalance.delay.ms=0,
# heap 512 MiB (TRIBUTARY_KAFKA_HEAP_OPTS overrides the JVM heap options).
#
# A broker already answering a Kafka ApiVersions request on the port is used
# as it is (another checkout's, say). `ensure` waits until ours answers one
# (at most TRIBUTARY_KAFKA_START_TIMEOUT seconds, default 90). Every command is
# idempotent; `ensure` on a running broker takes well under a second; the first
# run downloads about 60 MB of jars.
#
# Environment: TRIBUTARY_KAFKA_PORT (default 19092) and TRIBUTARY_KAFKA_CONTROLLER_PORT
# (default 19093) for a second, separate broker (its state then goes to
# .cache/kafka-PORT; the jars stay shared), TRIBUTARY_KAFKA_JAVA (a java binary to
# use instead of the one found).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${TRIBUTARY_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${TRIBUTARY_KAFKA_CONTROLLER_PORT:-19093}"
HOST=127.0.0.1
ADDRESS="$HOST:$PORT"
# A fixed cluster id (base64 of "TributaryKafka01"): the storage is formatted
# once, and a data directory left from an earlier run always matches.
CLUSTER_ID=VHJpYnV0YXJ5S2Fma2EwMQ
START_TIMEOUT="${TRIBUTARY_KAFKA_START_TIMEOUT:-90}"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source-path=SCRIPTDIR source=kafka/common.sh
. "$ROOT/scripts/services/kafka/common.sh"

# The default instance keeps its state in .cache/kafka; one on other ports (a
# second broker for a test of its own) in .cache/kafka-PORT. The jars are shared.
if [ "$PORT" = 19092 ]; then DIR="$CACHE/kafka"; else DIR="$CACHE/kafka-$PORT"; fi
DATA="$DIR/data"
PIDFILE="$DIR/kafka.pid"
CONFIG="$DIR/server.properties"
# What our broker's command line contains (see live_pid).
MARK="kafka.Kafka $CONFIG"

for p in "$PORT" "$CONTROLLER_PORT"; do
  case "$p" in
  '' | *[!0-9]*) die "not a port: $p" ;;
  esac
done

answers() { kafka_answers "$HOST" "$PORT"; }

write_config() {
  mkdir -p "$DATA" "$DIR/logs"
  cat >"$CONFIG" <<EOF
# Tributary test broker (scripts/services/kafka.sh); rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA

auto.create.topics.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
delete.topic.enable=true

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
EOF
  cat >"$DIR/log4j.properties" <<EOF
# Tributary test broker (scripts/services/kafka.sh); rewritten on every start.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$DIR/logs/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
EOF
}

# The JVM options of Kafka's own kafka-server-start.sh / kafka-run-class.sh,
# with a smaller heap.
jvm_opts() {
  local heap
  read -r -a heap <<<"${TRIBUTARY_KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
  JVM_OPTS=("${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$DIR/log4j.properties" "-Dkafka.logs.dir=$DIR/logs")
}

format_storage() {
  [ -f "$DATA/meta.properties" ] && return 0
  log "formatting the KRaft storage in $DATA (cluster id $CLUSTER_ID)"
  "$JAVA" -Xmx256m "-Dlog4j.configuration=file:$DIR/log4j.properties" -cp "$KAFKA_LIBS/*" \
    kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONFIG" --ignore-formatted >&2 ||
    die "formatting the storage in $DATA failed"
}

start_broker() {
  local from pid
  from=$(($(stat -c %s "$DIR/logs/server.log" 2>/dev/null || echo 0) + 1))
  echo "---- $(date -Is) start" >>"$DIR/logs/kafka.out"
  jvm_opts
  start_jvm "$PIDFILE" "$DIR/logs/kafka.out" "${JVM_OPTS[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$CONFIG"
  pid="$(cat "$PIDFILE")"
  await_jvm "$pid" broker "$ADDRESS" answers "$START_TIMEOUT" "$DIR/logs/kafka.out" "$DIR/logs/server.log" "$from"
}

cmd_ensure() {
  # Quick path: a broker already answers (ours, or anyone's) — used as it is.
  if answers; then
    echo "$ADDRESS"
    return 0
  fi
  mkdir -p "$DIR"
  # Two concurrent `ensure`s (parallel test runners, kafka-connect.sh) must not
  # both fetch the jars or start a broker.
  exec 9>"$CACHE/.kafka-$PORT.lock"
  flock 9
  if answers; then
    echo "$ADDRESS"
    return 0
  fi
  ensure_java
  fetch_jars "$KAFKA_POMS/pom.xml" "$KAFKA_LIBS"
  local pid
  if pid="$(live_pid "$PIDFILE" "$MARK")"; then
    # Ours, alive, not answering: still starting (or wedged). Give it the
    # usual time, then replace it.
    log "our broker (pid $pid) is running but does not answer yet; waiting…"
    local _
    for _ in $(seq 1 $((START_TIMEOUT * 5))); do
      if answers; then
        echo "$ADDRESS"
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && stop_pid "$pid" broker 10
  fi
  write_config
  format_storage
  start_broker
  echo "$ADDRESS"
}

cmd_stop() {
  local pid
  if pid="$(live_pid "$PIDFILE" "$MARK")"; then
    # A single-node KRaft broker shuts down cleanly in a few seconds.
    stop_pid "$pid" broker 30
    rm -f "$PIDFILE"
    return 0
  fi
  rm -f "$PIDFILE"
  if answers; then
    log "the broker on $ADDRESS was not started by this script; leaving it running"
  fi
  return 0
}

cmd_status() {
  if answers; then
    local pid
    if pid="$(live_pid "$PIDFILE" "$MARK")"; then
      log "running on $ADDRESS (pid $pid, $(rss_of "$pid") resident; logs in $DIR/logs)"
    else
      log "a broker answers on $ADDRESS (not started by this script)"
    fi
    echo "$ADDRESS"
  else
    log "not running on $ADDRESS"
    return 3
  fi
}

case "${1:-}" in
ensure | start) cmd_ensure ;;
stop) cmd_stop ;;
status) cmd_status ;;
address) echo "$ADDRESS" ;;
*)
  echo "usage: $0 ensure|stop|status|address" >&2
  exit 2
  ;;
esac
