#!/usr/bin/env bash
# Makes sure the system programs the tests drive are present: Chromium (browser tests), Nginx (the
# reverse-proxy test) and docker-compose (validates docker-compose.yml; no Docker engine is needed). Installs them with apt-get when running as root on Debian/Ubuntu; otherwise says
# what to install and fails.
set -euo pipefail
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}), or set CHROMIUM_PATH." >&2
exit 1
