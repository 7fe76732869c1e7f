#!/usr/bin/env bash
# A reference Centrifugo for side-by-side benchmarks (npm run bench -- … --target
# tributary,centrifugo), built by the project itself from the Go module proxy:
#
#   scripts/services/centrifugo.sh ensure   build it if missing; prints the binary's path
#                                           on stdout (last line)
#   scripts/services/centrifugo.sh path     print the binary's path (built or not)
#   scripts/services/centrifugo.sh status   exit 0 and print the path when the binary is there
#
# The binary goes to .cache/centrifugo/<version>/centrifugo inside the repository
# (git-ignored), built with
#
#   GOBIN=<repo>/.cache/centrifugo/<version> go install github.com/centrifugal/centrifugo/v6@<version>
#
# plus -ldflags setting internal/build.Version, as Centrifugo's release build does
# (without it `centrifugo version` says 0.0.0). Version: TRIBUTARY_CENTRIFUGO_VERSION,
# default v6.9.1 (the one the performance figures were measured against).
#
# Needs the go command, Go >= 1.26 (what Centrifugo v6.9.1's go.mod names; this
# machine kind has 1.26.8); a machine without one gets Debian's golang-go when run
# as root, and a Go older than go.mod asks for fetches that toolchain through the
# module proxy (GOTOOLCHAIN=auto). The module zip already holds the embedded admin
# web UI and the swagger assets (internal/webui, internal/swaggerui), so no npm
# step runs and nothing needs working around. The first build took 119 s on 2 cores
# (downloading the dependencies into Go's module cache included); `ensure` with the
# binary present returns at once. Two concurrent `ensure`s build once (flock).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CMD="${1:-}"
VERSION="${TRIBUTARY_CENTRIFUGO_VERSION:-v6.9.1}"
CACHE="$ROOT/.cache"
DIR="$CACHE/centrifugo/$VERSION"
BIN="$DIR/centrifugo"
MODULE="github.com/centrifugal/centrifugo/v6"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$VERSION" in
v[0-9]*) ;;
*) die "not a version: $VERSION (e.g. v6.9.1)" ;;
esac

# Whether the binary is there, runs and says it is $VERSION (a half-written file
# from a killed build does not count).
built() { [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -qF "Centrifugo ${VERSION} "; }

ensure_go() {
  if ! command -v go >/dev/null 2>&1; then
    # /usr/local/go is where the official tarball puts it; PATH may lack it.
    if [ -x /usr/local/go/bin/go ]; then
      PATH="/usr/local/go/bin:$PATH"
    else
      apt_install "Go (no go command on PATH)" golang-go ca-certificates
      hash -r
      command -v go >/dev/null 2>&1 || die "Go was installed but the go command was not found on PATH"
    fi
  fi
}

build() {
  ensure_go
  mkdir -p "$DIR"
  local start end
  start=$(date +%s)
  log "building Centrifugo $VERSION with $(go version | awk '{print $3}') (first run only; a few minutes)…"
  # A toolchain newer than the machine's, if go.mod asks for one, comes from the
  # module proxy like a module. CGO off: a static binary, no C compiler needed.
  GOBIN="$DIR" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    go install -trimpath -ldflags "-X $MODULE/internal/build.Version=${VERSION#v}" "$MODULE@$VERSION" >&2 || die "go install $MODULE@$VERSION failed"
  end=$(date +%s)
  built || die "the build finished but $BIN does not run"
  log "built $BIN in $((end - start)) s"
}

cmd_ensure() {
  if built; then
    echo "$BIN"
    return 0
  fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.centrifugo-${VERSION}.lock"
  flock 9
  built || build
  echo "$BIN"
}

cmd_status() {
  if built; then
    log "$("$BIN" version 2>/dev/null | head -n 1)"
    echo "$BIN"
  else
    log "not built ($BIN); run: $0 ensure"
    return 3
  fi
}

case "$CMD" in
ensure | build) cmd_ensure ;;
status) cmd_status ;;
path) echo "$BIN" ;;
*)
  echo "usage: $0 ensure|status|path" >&2
  exit 2
  ;;
esac
