#!/usr/bin/env bash
# Chromium for the browser tests (playwright-core drives it; Playwright's own
# browser downloads are never used), installed by the project itself:
#
#   scripts/services/chromium.sh ensure   install if missing; prints the executable's
#                                         path on stdout (last line)
#   scripts/services/chromium.sh status   exit 0 and print the path and version when installed
#   scripts/services/chromium.sh path     print the path (exit 1 when not installed)
#
# Without a command it does `ensure`. The executable is /usr/bin/chromium, or else
# `chromium` on PATH; run as root, `ensure` installs the Debian chromium package
# when neither exists (a few minutes on the first run: about 100 MB). Nothing
# runs in the background, so there is nothing to stop. Every command is
# idempotent; `ensure` on an installed Chromium takes well under a second.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CMD="${1:-ensure}"
CACHE="$ROOT/.cache"

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The executable's path on stdout, or exit 1.
find_chromium() {
  if [ -x /usr/bin/chromium ]; then
    echo /usr/bin/chromium
    return 0
  fi
  command -v chromium 2>/dev/null || return 1
}

# Whether it runs at all (a half-installed package, a missing library), bounded.
runs() {
  timeout 30 "$1" --version >/dev/null 2>&1
}

cmd_ensure() {
  local exe
  # Quick path: already installed.
  if exe="$(find_chromium)"; then
    runs "$exe" || die "$exe does not run ($exe --version failed)"
    echo "$exe"
    return 0
  fi
  mkdir -p "$CACHE"
  # Two concurrent `ensure`s (parallel test runners) must not both run apt-get.
  exec 9>"$CACHE/.chromium.lock"
  flock 9
  if ! exe="$(find_chromium)"; then
    apt_install "Chromium (no /usr/bin/chromium, no chromium on PATH)" chromium
    hash -r
    exe="$(find_chromium)" || die "Chromium was installed but neither /usr/bin/chromium nor chromium on PATH was found"
  fi
  runs "$exe" || die "$exe was installed but does not run ($exe --version failed)"
  log "$(timeout 30 "$exe" --version 2>/dev/null)"
  echo "$exe"
}

cmd_status() {
  local exe
  if ! exe="$(find_chromium)"; then
    log "not installed"
    return 1
  fi
  log "$(timeout 30 "$exe" --version 2>/dev/null || echo "$exe does not run")"
  echo "$exe"
}

case "$CMD" in
ensure) cmd_ensure ;;
status) cmd_status ;;
path) find_chromium ;;
*)
  echo "usage: $0 [ensure|status|path]" >&2
  exit 2
  ;;
esac
