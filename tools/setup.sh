#!/usr/bin/env bash
# Makes a fresh machine ready: Debian packages the tests need, npm packages from the lock,
# and the command-line XS engine. Cheap when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mosquitto >/dev/null || need+=(mosquitto mosquitto-clients)
[ -x /usr/bin/chromium ] || need+=(chromium)
# The Moddable part runs mcsim on a headless display.
if [ -n "${MODDABLE:-}" ]; then command -v Xvfb >/dev/null || need+=(xvfb); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: please install the Debian packages: ${need[*]} (sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
fi

# npm ci only when the lock changed since the last install (it rebuilds XS, ~1 min). Never on a
# node_modules that is a link to an install shared with other checkouts: npm ci empties the
# link's target first, under everyone using it.
if [ -L node_modules ]; then
  :
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node --import tsx tools/xsnap.ts >/dev/null
