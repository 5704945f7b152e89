#!/usr/bin/env bash
# Installs what a fresh clone needs and nothing else: pnpm (from the npm registry) and the Debian
# packages the tests use (tshark, the wire oracle). Idempotent; safe to run on every CI run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v tshark >/dev/null 2>&1; then
  $SUDO apt-get update
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections || true
  $SUDO apt-get install -y --no-install-recommends tshark
fi
# Not corepack: this registry's metadata carries no signatures, which corepack refuses (pnpm 12 from npm instead).
PNPM_VERSION=12.21.0
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g --no-audit --no-fund --allow-scripts=pnpm "pnpm@$PNPM_VERSION"
fi
