#!/usr/bin/env bash
# A local PostgreSQL for development and tests, installed and started by the
# project itself (no Docker needed):
#
#   scripts/services/postgres.sh ensure   install if missing, create the cluster, start it;
#                                         prints the DSN on stdout (last line)
#   scripts/services/postgres.sh stop     stop the cluster (fast shutdown)
#   scripts/services/postgres.sh status   exit 0 and print the DSN when it is running
#   scripts/services/postgres.sh dsn      print the DSN
#
# The cluster lives in .cache/postgres inside the repository (git-ignored) and
# listens on 127.0.0.1:55432 only, so it never clashes with a system instance.
# Authentication is trust (it is a throwaway test cluster bound to loopback):
# role `tributary`, database `tributary`, no password:
#
#   postgres://tributary@127.0.0.1:55432/tributary
#
# Settings are for tests: fsync off, wal_level=logical (the Debezium/CDC work
# needs it). Run as root it installs the Debian package when initdb/pg_ctl are
# missing and runs the server as the `postgres` system user (PostgreSQL refuses
# to run as root); run as another user it uses that user.
#
# Environment: TRIBUTARY_PG_PORT (default 55432), TRIBUTARY_PG_DATA (default
# <repo>/.cache/postgres), to run a second, separate cluster (the restart test does).
# Every command is idempotent; `ensure` on a running cluster takes well under a second.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${TRIBUTARY_PG_PORT:-55432}"
ROLE=tributary
DB=tributary
DSN="postgres://${ROLE}@127.0.0.1:${PORT}/${DB}"
CACHE="$ROOT/.cache"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

find_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
    echo "$d"
    return
  fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  fi
}

install_postgres() {
  apt_install "PostgreSQL (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH)" postgresql
}

BIN="$(find_bindir)"
ensure_binaries() {
  if [ -z "$BIN" ]; then
    install_postgres
    BIN="$(find_bindir)"
    [ -n "$BIN" ] || die "PostgreSQL was installed but initdb/pg_ctl were not found"
  fi
}

# Who runs the server: root may not, so the `postgres` system user does.
RUNAS=""
if is_root; then RUNAS=postgres; fi

as_pg() {
  if [ -n "$RUNAS" ]; then
    # From /, which that user can always enter (the caller's directory may be root's own).
    (cd / && runuser -u "$RUNAS" -- "$@")
  else
    "$@"
  fi
}

# The data directory: inside the repository when the server's user can reach it,
# otherwise (a repository under /root, say) a directory of that user's own.
data_dir() {
  if [ -n "${TRIBUTARY_PG_DATA:-}" ]; then
    echo "$TRIBUTARY_PG_DATA"
    return
  fi
  mkdir -p "$CACHE"
  if [ -z "$RUNAS" ] || (cd / && runuser -u "$RUNAS" -- test -x "$CACHE") 2>/dev/null; then
    echo "$CACHE/postgres"
  else
    local home
    home="$(getent passwd "$RUNAS" | cut -d: -f6)"
    echo "${home:-/var/lib/postgresql}/tributary-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
  fi
}

psql_admin() {
  "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
}

running() {
  local data="$1"
  [ -f "$data/PG_VERSION" ] || return 1
  as_pg "$BIN/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 1
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2 >/dev/null 2>&1
}

init_cluster() {
  local data="$1"
  if [ -n "$RUNAS" ] && ! id "$RUNAS" >/dev/null 2>&1; then
    die "the '$RUNAS' system user does not exist (it comes with the Debian postgresql package)"
  fi
  log "creating a cluster in $data"
  mkdir -p "$data"
  if [ -n "$RUNAS" ]; then chown "$RUNAS:" "$data"; fi
  chmod 700 "$data"
  as_pg "$BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale -N >/dev/null ||
    die "initdb failed in $data"
  cat >>"$data/postgresql.conf" <<'EOF'

# ---- Tributary test cluster (scripts/services/postgres.sh) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 128MB
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_min_error_statement = panic
EOF
}

start_cluster() {
  local data="$1"
  # 9>&-: the server must not inherit (and so hold forever) the lock of cmd_ensure.
  as_pg "$BIN/pg_ctl" -D "$data" -l "$data/server.log" -o "-p $PORT" -w -t 60 start >/dev/null 9>&- || {
    tail -n 20 "$data/server.log" >&2 2>/dev/null || true
    die "the server in $data did not start on 127.0.0.1:$PORT (see $data/server.log)"
  }
}

ensure_role_and_db() {
  if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    psql_admin -c "CREATE ROLE $ROLE LOGIN"
  fi
  if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE $DB OWNER $ROLE"
  fi
}

cmd_ensure() {
  ensure_binaries
  local data
  data="$(data_dir)"
  mkdir -p "$(dirname "$data")"
  # Two concurrent `ensure`s (parallel test runners) must not both initdb.
  exec 9>"$(dirname "$data")/.$(basename "$data").lock"
  flock 9
  # A server already answering on the port (another checkout's cluster, say) is used as it is.
  if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2 >/dev/null 2>&1 && ! running "$data"; then
    ensure_role_and_db
    echo "$DSN"
    return 0
  fi
  if ! running "$data"; then
    [ -f "$data/PG_VERSION" ] || init_cluster "$data"
    start_cluster "$data"
  fi
  ensure_role_and_db
  echo "$DSN"
}

cmd_stop() {
  [ -n "$BIN" ] || return 0
  local data
  data="$(data_dir)"
  [ -f "$data/PG_VERSION" ] || return 0
  if as_pg "$BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    log "stopped"
  fi
}

cmd_status() {
  [ -n "$BIN" ] || {
    log "not installed"
    return 1
  }
  local data
  data="$(data_dir)"
  if running "$data"; then
    log "running: $data on 127.0.0.1:$PORT"
    echo "$DSN"
  else
    log "not running ($data)"
    return 3
  fi
}

case "${1:-}" in
ensure | start) cmd_ensure ;;
stop) cmd_stop ;;
status) cmd_status ;;
dsn) echo "$DSN" ;;
*)
  echo "usage: $0 ensure|stop|status|dsn" >&2
  exit 2
  ;;
esac
