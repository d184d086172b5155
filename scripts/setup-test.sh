#!/usr/bin/env bash
# Installs what `make test` needs beyond the Python venv, each only when missing (docs/decisions/0021):
# terraform (expected on PATH), node tools (asl-validator), checkov in its own venv, Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v terraform >/dev/null || { echo "terraform is required on PATH (1.11.x)" >&2; exit 1; }
command -v npm >/dev/null || { echo "node/npm is required" >&2; exit 1; }

if [ ! -x tools/node_modules/.bin/asl-validator ]; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ -x scripts/setup-checkov.sh ]; then
  ./scripts/setup-checkov.sh
fi

if ! command -v chromium >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# Japanese glyphs in browser screenshots (tests do not depend on it; the screenshots are for people)
if command -v fc-list >/dev/null && ! fc-list :lang=ja | grep -q .; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-ipafont-gothic >/dev/null || true
fi
echo "test setup: terraform $(terraform version | head -1 | cut -d' ' -f2), asl-validator, checkov, $(chromium --version)"
