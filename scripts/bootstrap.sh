#!/usr/bin/env bash
# Installs what a fresh clone needs and nothing else: pnpm (from the npm registry) and the Debian
# packages the tests use (listed below). Idempotent; safe to run on every CI run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Debian packages the tests drive as real peers: tshark (the wire oracle), mbpoll, libmodbus (a C peer built in a
# test), pymodbus (with pyserial, which its client imports), socat (serial pty pairs), stunnel4 and openssl (TLS), autobahn + twisted (a WAMP peer), chromium (the dashboard tests, through playwright-core). Only what is missing is installed.
APT_PACKAGES=(tshark mbpoll libmodbus-dev python3-pymodbus python3-serial python3-serial-asyncio python3-autobahn python3-twisted socat stunnel4 openssl chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections || true
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Not corepack: this registry's metadata carries no signatures, which corepack refuses (pnpm 12 from npm instead).
PNPM_VERSION=12.21.0
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g --no-audit --no-fund --allow-scripts=pnpm "pnpm@$PNPM_VERSION"
fi
