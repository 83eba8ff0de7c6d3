#!/usr/bin/env bash
# Makes sure the system programs the tests drive are present: Chromium (browser tests), Nginx (the
# reverse-proxy test), Prometheus and promtool (the monitoring config and a real scrape), and
# docker-compose (validates docker-compose.yml; no Docker engine is needed). Installs them with apt-get
# when running as root on Debian/Ubuntu; otherwise says what to install and fails.
#
# A test command must not install or start daemons: no recommended packages (docker-compose would pull in
# docker.io, containerd, ...), and the services that the nginx and prometheus packages ship are neither
# started nor enabled (a policy-rc.d for the install, `systemctl disable` after). The tests run these
# programs themselves, on ports of their own.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
have_compose || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing ${missing[*]} (apt-get, without recommended packages; no service is started)"
  policy=/usr/sbin/policy-rc.d
  own_policy=false
  if [ ! -e "$policy" ]; then
    # Exit status 101 tells invoke-rc.d / deb-systemd-invoke not to start any service.
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    own_policy=true
  fi
  trap '$own_policy && rm -f "$policy"' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then
    for unit in nginx prometheus; do
      if printf '%s\n' "${missing[@]}" | grep -qx "$unit"; then
        systemctl disable --now "$unit" >/dev/null 2>&1 || true
      fi
    done
  fi
  exit 0
fi
echo "The tests need: ${missing[*]}. Install them (e.g. sudo apt-get install --no-install-recommends ${missing[*]}), or set CHROMIUM_PATH." >&2
exit 1
