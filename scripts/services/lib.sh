# shellcheck shell=bash
# Shared by the scripts in scripts/services/ (sourced, not run): messages on
# stderr prefixed with the script's name, and installing a missing Debian
# package when we are root.

log() { echo "$(basename "$0"): $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

is_root() { [ "$(id -u)" = 0 ]; }

# apt_install WHAT PACKAGE…: WHAT names what is missing in the messages.
apt_install() {
  local what="$1"
  shift
  is_root || die "$what is not installed; install it (apt-get install $*) or run this script as root"
  command -v apt-get >/dev/null 2>&1 || die "$what is not installed and apt-get is not available to install it"
  log "installing $what from the Debian packages (first run only)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}
