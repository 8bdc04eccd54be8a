#!/usr/bin/env bash
# Installs what is missing, then runs the test suite (real Chromium, real monocart). Arguments go to pytest:
#   bash shell/test.sh                 # the full suite (CI)
#   bash shell/test.sh -m "not slow"   # the fast tier (markers: browser, train, slow; see pyproject.toml)
#   PYTEST_ARGS   extra pytest arguments (default: -q)
#   SKIP_SETUP=1  do not run shell/setup.sh first
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIP_SETUP:-}" ] || JAMEL_EXTRAS="${JAMEL_EXTRAS:-dev}" bash shell/setup.sh
PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python  # as setup.sh
exec "$PY" -m pytest ${PYTEST_ARGS:--q} "$@"
