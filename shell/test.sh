#!/usr/bin/env bash
# Installs what is missing, then runs the test suite (real Chromium, real monocart).
#   PYTEST_ARGS   extra pytest arguments (default: -q)
set -euo pipefail
cd "$(dirname "$0")/.."
JAMEL_EXTRAS="${JAMEL_EXTRAS:-test,model,eval,train}" bash shell/setup.sh
exec "${PYTHON:-python3}" -m pytest ${PYTEST_ARGS:--q} "$@"
