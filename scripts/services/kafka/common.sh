# shellcheck shell=bash
# Shared by scripts/services/kafka.sh and scripts/services/kafka-connect.sh
# (sourced, not run): finding Java, fetching jars from Maven Central, probing
# the broker, starting and stopping a JVM in the background.
#
# The caller sets ROOT (the repository) and defines log() and die() first.

CACHE="$ROOT/.cache"
# shellcheck disable=SC2034 # used by the scripts that source this file
KAFKA_LIBS="$CACHE/kafka/libs"
# shellcheck disable=SC2034
KAFKA_POMS="$ROOT/scripts/services/kafka"

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$ROOT/scripts/services/lib.sh"

# The major version of a java binary (17 for "17.0.15", 8 for "1.8.0_…").
java_major() {
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)"
  case "$v" in
  1.*) v="${v#1.}" ;;
  esac
  echo "${v%%[.+-]*}"
}

# Kafka 3.9 runs on Java 11 to 21 (Java 17 is what it is tested with most);
# Java 23 and later break it (Subject.getSubject needs a security manager), and
# this machine also has a Temurin 25, so the Java is chosen, not whatever `java` is.
java_ok() {
  local m
  [ -x "$1" ] || return 1
  m="$(java_major "$1")"
  [ -n "$m" ] && [ "$m" -ge 11 ] 2>/dev/null && [ "$m" -le 21 ]
}

find_java() {
  local c
  if [ -n "${TRIBUTARY_KAFKA_JAVA:-}" ]; then
    java_ok "$TRIBUTARY_KAFKA_JAVA" || die "TRIBUTARY_KAFKA_JAVA=$TRIBUTARY_KAFKA_JAVA is not a Java 11 to 21"
    echo "$TRIBUTARY_KAFKA_JAVA"
    return
  fi
  for c in /usr/lib/jvm/java-17-openjdk*/bin/java /usr/lib/jvm/temurin-17*/bin/java \
    /usr/lib/jvm/java-21-openjdk*/bin/java /usr/lib/jvm/temurin-21*/bin/java \
    ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null || true)"; do
    if [ -n "$c" ] && java_ok "$c"; then
      echo "$c"
      return
    fi
  done
}

JAVA=""
ensure_java() {
  JAVA="$(find_java)"
  if [ -z "$JAVA" ]; then
    apt_install "Java 17" openjdk-17-jre-headless
    JAVA="$(find_java)"
    [ -n "$JAVA" ] || die "openjdk-17-jre-headless was installed but no Java 11 to 21 was found"
  fi
}

ensure_mvn() {
  command -v mvn >/dev/null 2>&1 && return 0
  apt_install Maven maven
  hash -r
  command -v mvn >/dev/null 2>&1 || die "maven was installed but mvn is not on PATH"
}

# fetch_jars POM DEST [mvn args…]: the runtime dependencies of POM copied into
# DEST, once. DEST/.fetched records a checksum of the pom and the arguments, so
# an unchanged pom costs nothing and a changed one (another version) fetches
# anew. The jars land in a temporary directory that replaces DEST only when
# complete, so an interrupted download never leaves half a classpath.
fetch_jars() {
  local pom="$1" dest="$2"
  shift 2
  local stamp tmp
  stamp="$({
    cat "$pom"
    printf '%s\n' "$@"
  } | cksum | cut -d' ' -f1)"
  if [ -f "$dest/.fetched" ] && [ "$(cat "$dest/.fetched")" = "$stamp" ]; then
    return 0
  fi
  # Two brokers' `ensure`s (other ports) share the jars: one fetches, the other waits.
  # (The lock file is not beside DEST: a plugin.path directory should hold plugins only.)
  mkdir -p "$CACHE" "$(dirname "$dest")"
  exec 8>"$CACHE/.$(basename "$dest").fetch.lock"
  flock 8
  if [ -f "$dest/.fetched" ] && [ "$(cat "$dest/.fetched")" = "$stamp" ]; then
    exec 8>&-
    return 0
  fi
  ensure_mvn
  log "fetching the jars of $(basename "$pom") from Maven Central into $dest (first run only)…"
  tmp="$dest.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # JAVA_HOME: Maven itself runs on the chosen Java too (it would run on any).
  # (sed: Maven 3.8 prints colour resets even in batch mode.)
  if ! JAVA_HOME="$(dirname "$(dirname "$JAVA")")" mvn -B -q -f "$pom" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" "$@" 2>&1 </dev/null |
    sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
    rm -rf "$tmp"
    exec 8>&-
    die "mvn could not fetch the dependencies of $pom"
  fi
  echo "$stamp" >"$tmp/.fetched"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  exec 8>&-
}

# kafka_answers HOST PORT: whether a Kafka broker answers an ApiVersions request
# (v0: size 10, api_key 18, api_version 0, correlation_id 0x7472 ("tr"), null
# client_id) with that correlation id and error code 0. Bounded: a stranger on
# the port that never replies costs at most 3 seconds.
kafka_answers() {
  local host="$1" port="$2" reply
  # shellcheck disable=SC2016 # $0 and $1 are the inner bash's arguments
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x74\x72\xff\xff" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"
  ' "$host" "$port" 2>/dev/null)" || return 1
  # size (4 bytes, any), correlation id 0x00007472, error code 0x0000
  [ "${#reply}" = 20 ] && [ "${reply:8:12}" = 000074720000 ]
}

# The pid in a pidfile when that process is alive and its command line has
# MARK (the main class and our config file), so a stale pidfile whose pid now
# belongs to something else is never acted upon.
live_pid() {
  local pidfile="$1" mark="$2" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)"
  case "$pid" in
  '' | *[!0-9]*) return 1 ;;
  esac
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mark" || return 1
  echo "$pid"
}

# stop_pid PID NAME [SECONDS]: SIGTERM (a clean shutdown), SIGKILL after SECONDS (default 30).
stop_pid() {
  local pid="$1" name="$2" secs="${3:-30}" _
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || {
      log "stopped $name (pid $pid)"
      return 0
    }
    sleep 0.1
  done
  log "$name (pid $pid) did not stop within ${secs} s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "$name (pid $pid) survived SIGKILL"
}

# start_jvm PIDFILE OUTFILE ARGS…: java ARGS in the background, in a session of
# its own (setsid: it outlives this script and the test runner, and a Ctrl-C in
# the caller's terminal does not reach it), stdout/stderr to OUTFILE (the log4j
# file has the rest). Prints nothing; the pid goes to PIDFILE.
start_jvm() {
  local pidfile="$1" out="$2"
  shift 2
  # 9>&-: the JVM must not inherit (and so hold forever) the lock of cmd_ensure.
  setsid nohup "$JAVA" "$@" >>"$out" 2>&1 </dev/null 9>&- &
  echo $! >"$pidfile"
}

# The resident memory of a pid, for the logs ("412 MiB").
rss_of() {
  awk '/^VmRSS:/ { printf "%d MiB", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || true
}

# await_jvm PID WHAT ADDRESS READY_FN TIMEOUT_S OUT_FILE LOG_FILE FROM_BYTE
# Waits until READY_FN succeeds. If the JVM exits first, or TIMEOUT_S passes,
# shows what its logs said since FROM_BYTE and dies (stopping a JVM that hung).
await_jvm() {
  local pid="$1" what="$2" address="$3" ready_fn="$4" timeout="$5" out="$6" logfile="$7" from="$8"
  log "started the $what (pid $pid), waiting for $address…"
  for _ in $(seq 1 $((timeout * 5))); do
    if "$ready_fn"; then
      log "ready on $address ($(rss_of "$pid") resident)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$out" >&2 2>/dev/null || true
      tail -c "+$from" "$logfile" 2>/dev/null | grep -E 'ERROR|FATAL|Exception' | tail -n 20 >&2 || true
      die "the $what exited during startup (see $logfile and $out)"
    fi
    sleep 0.2
  done
  tail -c "+$from" "$logfile" 2>/dev/null | tail -n 30 >&2 || true
  stop_pid "$pid" "$what" 10 || true
  die "the $what did not answer on $address within ${timeout} s (see $logfile)"
}
