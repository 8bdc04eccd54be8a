#!/usr/bin/env bash
# RL of the memory-augmented Qwen2.5-VL policy on the coverage-novelty reward: verl's V1 sync PPO trainer
# (verl.trainer.main_ppo: agent loops, FSDP2 actor, reference policy, checkpoints, loggers) over live browser
# sessions. Knobs (defaults in jamel/train/rl/config.py, RLConfig):
#
#   MODEL_PATH         packaged JAMEL model from SFT (actor + aligner + compressor), or a base Qwen2.5-VL policy
#                      (then COMPRESSOR_MODEL: the frozen Qwen3-VL compressor; a fresh aligner is initialised)
#   CORPUS APPS_MODE   app folder; training apps: train86 | demo | comma list
#   VAL_APPS           held-out validation panel (fixed seeds), run every VAL_EVERY iterations ("" = none)
#   GROUP_SIZE         sessions per app per batch (same start state, different sampling seeds)
#   APPS_PER_BATCH SESSION_STEPS EPISODE_STEPS   apps per iteration; steps per session; reset every N steps
#   ADV_ESTIMATOR      grpo | gigpo | rloo | reinforce_plus_plus_baseline;  GAMMA (gigpo step returns)
#   LR KL_COEF TOTAL_ITERS SAVE_EVERY FORMAT_PENALTY TEMPERATURE MAX_PROMPT_TOKENS MAX_RESPONSE_TOKENS
#   NUM_GPUS           GPUs per node for the trainer (0 = CPU mode: tiny models, CI);  NNODES
#   ENV_WORKERS        browser workers (Ray actors: BrowserEnv + Chromium + scorer + compressor)
#   ROLLOUT            hf (HF generate servers, CPU and GPU) | vllm (refused: see docs/training.md)
#   OUTPUT_DIR         checkpoints (resumed when rerun), rollouts (trajectories per iteration), logs
#   OUTPUT_MODEL_PATH  if set: the final policy is packaged here for `--agent jamel` / run_eval.sh
#   RAY_ADDRESS        join a running Ray cluster (multi-node) instead of starting one
#   LOGGER             verl loggers, e.g. [console,tensorboard] or [console,wandb]
# Extra verl dotted overrides may follow on the command line.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${MODEL_PATH:?set MODEL_PATH (a packaged JAMEL model, or a base policy + COMPRESSOR_MODEL)}"
PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python  # as setup.sh
args=(--model-path "$MODEL_PATH" --output-dir "${OUTPUT_DIR:-runs/rl}" --apps "${APPS_MODE:-train86}"
      --val-apps "${VAL_APPS:-}" --group-size "${GROUP_SIZE:-8}" --apps-per-batch "${APPS_PER_BATCH:-4}"
      --session-steps "${SESSION_STEPS:-50}" --episode-steps "${EPISODE_STEPS:-0}"
      --adv-estimator "${ADV_ESTIMATOR:-grpo}" --gamma "${GAMMA:-0.95}" --lr "${LR:-1e-6}" --kl-coef "${KL_COEF:-0.001}"
      --total-iters "${TOTAL_ITERS:-100}" --num-gpus "${NUM_GPUS:-8}" --nnodes "${NNODES:-1}"
      --env-workers "${ENV_WORKERS:-16}" --rollout "${ROLLOUT:-hf}" --val-every "${VAL_EVERY:-10}"
      --save-every "${SAVE_EVERY:-10}" --format-penalty "${FORMAT_PENALTY:-0}" --temperature "${TEMPERATURE:-1.0}"
      --max-prompt-tokens "${MAX_PROMPT_TOKENS:-8192}" --max-response-tokens "${MAX_RESPONSE_TOKENS:-256}"
      --seed "${SEED:-0}" --logger "${LOGGER:-[console,tensorboard]}")
[ -n "${CORPUS:-}" ] && args+=(--corpus "$CORPUS")
[ -n "${COMPRESSOR_MODEL:-}" ] && args+=(--compressor-model "$COMPRESSOR_MODEL")
[ -n "${OUTPUT_MODEL_PATH:-}" ] && args+=(--output-model-path "$OUTPUT_MODEL_PATH")
[ -n "${RAY_ADDRESS:-}" ] && args+=(--ray-address "$RAY_ADDRESS")
[ "$#" -gt 0 ] && args+=(--overrides "$@")
echo "[rl] ${args[*]}"
exec "$PY" -m jamel.train.rl.entry "${args[@]}"
