#!/usr/bin/env bash
# Evaluate one method on an app panel, sessions in parallel workers scheduled through Ray, then write
# the reports (results.csv/.md, figures) over everything in EVAL_OUTPUT. A rerun resumes.
#
#   AGENT (jamel)            random | crawler | openai | jamel
#   MODEL_PATH               packaged JAMEL model (AGENT=jamel) or the served model name (AGENT=openai)
#   MEMORY (latent)          AGENT=jamel ablations: latent | none | text ; TEXT_MEMORY_K (8) for text
#   BASE_URL, VISION (0)     AGENT=openai: endpoint, and ReAct-vision (1) vs ReAct-text (0)
#   METHOD                   label in reports (default: from AGENT/MEMORY/VISION + the model's name)
#   CORPUS                   app folder (default: ScaleWoB at $SCALEWOB_ROOT or env/browser_env/scalewob-env
#                            if downloaded, else the demo apps)
#   BROWSER_PATH             Chromium to drive (default: $JAMEL_CHROMIUM, Playwright's own, system chromium)
#   APPS_MODE (test10)       test10 | train86 | all | demo | list (then APPS=a,b,c)
#   MAX_STEPS (50) NUM_SESSIONS (1) SEED (0) TEMPERATURE (0.8) TOP_P (0.9)
#   NUM_GPUS (0)             0 = CPU workers; WORKERS_PER_GPU (1) workers per GPU (or CPU workers with 0 GPUs)
#   EVAL_OUTPUT (runs/eval)  one folder per method inside; reports at its top level
#   RAY_ADDRESS              join a running Ray cluster (multi-node) instead of starting a local one
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIP_SETUP:-}" ] || JAMEL_EXTRAS="${JAMEL_EXTRAS:-test,model,eval}" bash shell/setup.sh
AGENT="${AGENT:-jamel}"
APPS_MODE="${APPS_MODE:-test10}"
if [ "$APPS_MODE" = "list" ]; then APPS_SPEC="${APPS:?APPS_MODE=list needs APPS=a,b,c}"; else APPS_SPEC="$APPS_MODE"; fi
args=(--agent "$AGENT" --apps "$APPS_SPEC" --max-steps "${MAX_STEPS:-50}"
      --num-sessions "${NUM_SESSIONS:-1}" --num-gpus "${NUM_GPUS:-0}" --workers-per-gpu "${WORKERS_PER_GPU:-1}"
      --output "${EVAL_OUTPUT:-runs/eval}" --seed "${SEED:-0}" --temperature "${TEMPERATURE:-0.8}" --top-p "${TOP_P:-0.9}")
[ -n "${CORPUS:-}" ] && args+=(--corpus "$CORPUS")
[ -n "${BROWSER_PATH:-}" ] && args+=(--browser-path "$BROWSER_PATH")
[ -n "${METHOD:-}" ] && args+=(--method "$METHOD")
[ -n "${MODEL_PATH:-}" ] && args+=(--model-path "$MODEL_PATH")
[ -n "${MEMORY:-}" ] && args+=(--memory "$MEMORY")
[ -n "${TEXT_MEMORY_K:-}" ] && args+=(--text-memory-k "$TEXT_MEMORY_K")
[ -n "${BASE_URL:-}" ] && args+=(--base-url "$BASE_URL")
[ "${VISION:-0}" = "1" ] && args+=(--vision)
[ -n "${RAY_ADDRESS:-}" ] && args+=(--ray-address "$RAY_ADDRESS")
PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python  # as setup.sh
exec "$PY" -m jamel eval "${args[@]}" "$@"
