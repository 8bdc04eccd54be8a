#!/usr/bin/env bash
# Installs what is missing, then runs the main job on the bundled demo apps.
#   AGENT (crawler) APPS (demo) STEPS (50) SESSIONS (1) SEED (0) OUTPUT (runs/explore_$AGENT)
#   COVERAGE_FILTER (app|http)   extra `jamel explore` flags may follow on the command line
set -euo pipefail
cd "$(dirname "$0")/.."
bash shell/setup.sh
AGENT="${AGENT:-crawler}"
exec "${PYTHON:-python3}" -m jamel explore --agent "$AGENT" --apps "${APPS:-demo}" --steps "${STEPS:-50}" \
  --sessions "${SESSIONS:-1}" --seed "${SEED:-0}" --output "${OUTPUT:-runs/explore_$AGENT}" \
  --coverage-filter "${COVERAGE_FILTER:-app}" "$@"
