#!/usr/bin/env bash
# Installs what is missing, runs the main job on the bundled demo apps, prints the path of its viewer.
#   AGENT (crawler) APPS (demo) STEPS (50) SESSIONS (1) SEED (0) OUTPUT (runs/explore_$AGENT)
#   COVERAGE_FILTER (app|http)   extra `jamel explore` flags may follow on the command line
set -euo pipefail
cd "$(dirname "$0")/.."
bash shell/setup.sh
PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python  # as setup.sh
AGENT="${AGENT:-crawler}"
OUTPUT="${OUTPUT:-runs/explore_$AGENT}"
rc=0
"$PY" -m jamel explore --agent "$AGENT" --apps "${APPS:-demo}" --steps "${STEPS:-50}" \
  --sessions "${SESSIONS:-1}" --seed "${SEED:-0}" --output "$OUTPUT" \
  --coverage-filter "${COVERAGE_FILTER:-app}" "$@" || rc=$?
# The viewer of what finished (a failed session is listed in OUTPUT/failed.json; a rerun redoes it).
echo "viewer (open in a browser):"
view_rc=0
"$PY" -m jamel view "$OUTPUT" || view_rc=$?
[ "$rc" -ne 0 ] && exit "$rc"
exit "$view_rc"
