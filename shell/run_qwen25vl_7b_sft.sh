#!/usr/bin/env bash
# SFT of the memory-augmented Qwen2.5-VL policy with verl's SFT trainer (FSDP2), defaults from the release (docs/method.md).
#
#   TRAIN_FILE VAL_FILE       `jamel prepare-sft` outputs (jamel_memory_sft_{train,val}.parquet); the
#                             memory bank is the jamel_memory_bank.parquet next to TRAIN_FILE (MEMORY_BANK)
#   BASE_MODEL_PATH           Qwen2.5-VL-7B-Instruct checkpoint   (or INIT_PACKAGE: start from a packaged model)
#   COMPRESSOR_MODEL          Qwen3-VL-2B-Instruct checkpoint (frozen; sizes the aligner, packaged with the result)
#   OUTPUT_DIR                verl checkpoints (resumed automatically when rerun)
#   OUTPUT_MODEL_PATH         if set: the final checkpoint is packaged here for `--agent jamel`
#   NPROC_PER_NODE (8) NNODES (1) TOTAL_EPOCHS (1) VAL_STEPS (test_freq, -1 = off) SAVE_STEPS (-1 = end only)
#   LR (2e-5) WARMUP_RATIO (0.05) WEIGHT_DECAY (0.01) GRAD_CLIP (1.0) GLOBAL_BATCH (16) MICRO_BATCH (1)
#   MAX_LENGTH (8192) MAX_MEMORY_ITEMS (512) TOTAL_STEPS (unset: from epochs) EXPERIMENT (qwen25vl_7b_memory)
#   LOGGER ([console,tensorboard])  verl's trainer.logger, any of console, tensorboard, wandb:
#                             tensorboard writes to TENSORBOARD_DIR (default $OUTPUT_DIR/tensorboard);
#                             wandb logs to project jamel-sft, run EXPERIMENT (WANDB_API_KEY, or WANDB_MODE=offline
#                             with WANDB_DIR, default $OUTPUT_DIR)
#   JAMEL_VERL_DEVICE=cpu     CPU mode (gloo, fp32) for tiny models; default: cuda when visible
# Extra verl dotted overrides may follow on the command line.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TRAIN_FILE:?}" "${COMPRESSOR_MODEL:?}" "${OUTPUT_DIR:?}"
PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python  # as setup.sh
MEMORY_BANK="${MEMORY_BANK:-$(dirname "$TRAIN_FILE")/jamel_memory_bank.parquet}"
INIT_DIR="${INIT_DIR:-$OUTPUT_DIR/init_model}"
export TENSORBOARD_DIR="${TENSORBOARD_DIR:-$OUTPUT_DIR/tensorboard}" WANDB_DIR="${WANDB_DIR:-$OUTPUT_DIR}"
if [ ! -f "$INIT_DIR/jamel_sft_init.json" ]; then  # written last: an interrupted init is redone
  if [ -n "${INIT_PACKAGE:-}" ]; then
    "$PY" -m jamel sft init --package "$INIT_PACKAGE" --output "$INIT_DIR"
  else
    : "${BASE_MODEL_PATH:?set BASE_MODEL_PATH (or INIT_PACKAGE)}"
    "$PY" -m jamel sft init --base-model "$BASE_MODEL_PATH" --compressor-model "$COMPRESSOR_MODEL" \
      --max-memory-items "${MAX_MEMORY_ITEMS:-512}" --output "$INIT_DIR"
  fi
fi
args=(
  model.path="$INIT_DIR" model.external_lib=jamel.train.memory_sft model.use_remove_padding=false
  "data.train_files=$TRAIN_FILE" "data.val_files=${VAL_FILE:-null}"
  data.custom_cls.path=pkg://jamel.train.memory_sft data.custom_cls.name=JamelStepSFTDataset
  "+data.memory_bank_files=$MEMORY_BANK" "+data.max_memory_items=${MAX_MEMORY_ITEMS:-512}"
  "data.max_length=${MAX_LENGTH:-8192}" data.truncation=error data.use_dynamic_bsz=false
  "data.train_batch_size=${GLOBAL_BATCH:-16}" "data.micro_batch_size_per_gpu=${MICRO_BATCH:-1}"
  "optim.lr=${LR:-2e-5}" optim.lr_scheduler_type=cosine "optim.lr_warmup_steps_ratio=${WARMUP_RATIO:-0.05}"
  "optim.weight_decay=${WEIGHT_DECAY:-0.01}" "optim.clip_grad=${GRAD_CLIP:-1.0}"
  engine.strategy=fsdp2 model.enable_gradient_checkpointing=true
  # log-probs of the answer positions only (JAMEL's forward under verl's fused-kernel contract; the loss mask
  # covers the answer alone, so the loss is unchanged and no [L, 152k] logits are built)
  model.use_fused_kernels=true model.fused_kernel_options.impl_backend=jamel
  "trainer.total_epochs=${TOTAL_EPOCHS:-1}" "trainer.test_freq=${VAL_STEPS:--1}" "trainer.save_freq=${SAVE_STEPS:--1}"
  "trainer.default_local_dir=$OUTPUT_DIR" "trainer.logger=${LOGGER:-[console,tensorboard]}"
  "trainer.nnodes=${NNODES:-1}" "trainer.n_gpus_per_node=${NPROC_PER_NODE:-8}"
  trainer.project_name=jamel-sft "trainer.experiment_name=${EXPERIMENT:-qwen25vl_7b_memory}"
  "checkpoint.save_contents=[model,optimizer,extra,hf_model]"
)
[ -n "${TOTAL_STEPS:-}" ] && args+=("trainer.total_training_steps=$TOTAL_STEPS")
echo "[sft] ${args[*]} $*"
"$PY" -m torch.distributed.run --nnodes="${NNODES:-1}" --nproc_per_node="${NPROC_PER_NODE:-8}" \
  ${MASTER_ADDR:+--master_addr=$MASTER_ADDR} ${MASTER_PORT:+--master_port=$MASTER_PORT} ${NODE_RANK:+--node_rank=$NODE_RANK} \
  $( [ "${NNODES:-1}" = 1 ] && echo --standalone ) -m jamel.train.sft_entry "${args[@]}" "$@"
if [ -n "${OUTPUT_MODEL_PATH:-}" ]; then
  "$PY" -m jamel sft export --checkpoint "$OUTPUT_DIR" --compressor-model "$COMPRESSOR_MODEL" \
    --output "$OUTPUT_MODEL_PATH"
  echo "[sft] packaged model: $OUTPUT_MODEL_PATH"
fi
