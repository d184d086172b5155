#!/usr/bin/env bash
# checkov in its own venv (.venv-checkov): its dependencies conflict with dbt's. Installs only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOV_VERSION="3.3.30"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ -x .venv-checkov/bin/checkov ] && .venv-checkov/bin/checkov --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  exit 0
fi
"$PYTHON" -m venv .venv-checkov
.venv-checkov/bin/python -m pip install --quiet --upgrade pip
.venv-checkov/bin/python -m pip install --quiet "checkov==${CHECKOV_VERSION}"
echo "checkov $(.venv-checkov/bin/checkov --version) in .venv-checkov"
