#!/usr/bin/env bash
# Installs what is missing, then runs the test suite (real Chromium, real monocart).
#   PYTEST_ARGS   extra pytest arguments (default: -q)
set -euo pipefail
cd "$(dirname "$0")/.."
JAMEL_EXTRAS="${JAMEL_EXTRAS:-dev}" bash shell/setup.sh
PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python  # as setup.sh
exec "$PY" -m pytest ${PYTEST_ARGS:--q} "$@"
