#!/usr/bin/env bash
# Makes sure the system programs the tests drive are present: Chromium (browser tests) and Nginx (the
# reverse-proxy test). Installs them with apt-get when running as root on Debian/Ubuntu; otherwise says
# what to install and fails.
set -euo pipefail
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}), or set CHROMIUM_PATH." >&2
exit 1
