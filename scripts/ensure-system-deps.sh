#!/usr/bin/env bash
# Makes sure the system packages the tests use are present: Debian's chromium (browser E2E),
# ffmpeg/ffprobe (egress), postgresql (the store tests' throwaway server, unless
# ATRIUM_TEST_DATABASE_URL names one) and, when root, iproute2/iptables (the isolated test network).
# Idempotent and quiet when everything is there; installs as root, otherwise says what to run.
set -euo pipefail

install_line='apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ffmpeg postgresql iproute2 iptables'

has() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1; }

# Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<version>/bin.
has_postgres_server() {
  has initdb && has pg_ctl && has postgres && return 0
  local bin
  for bin in /usr/lib/postgresql/*/bin; do
    [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/postgres" ] && return 0
  done
  return 1
}

missing() {
  local out=()
  [ -x /usr/bin/chromium ] || out+=(chromium)
  has ffmpeg || out+=(ffmpeg)
  has ffprobe || out+=(ffprobe)
  [ -n "${ATRIUM_TEST_DATABASE_URL:-}" ] || has_postgres_server || out+=(postgresql)
  if [ "$(id -u)" -eq 0 ]; then
    has ip || out+=(ip)
    has iptables || out+=(iptables)
  fi
  echo "${out[@]:-}"
}

absent="$(missing)"
[ -z "$absent" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-system-deps: missing: $absent" >&2
  echo "ensure-system-deps: install them as root with:" >&2
  echo "  $install_line" >&2
  exit 1
fi

echo "ensure-system-deps: installing (missing: $absent)" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ffmpeg postgresql iproute2 iptables

absent="$(missing)"
if [ -n "$absent" ]; then
  echo "ensure-system-deps: still missing after install: $absent" >&2
  exit 1
fi
