"""The whole training path on CPU with tiny models, as CI runs it:
crawler sessions -> rejection prefixes -> prepare_sft_dataset (tiny compressor) -> 2 SFT steps through verl
(shell/run_qwen25vl_7b_sft.sh, CPU mode) -> packaged model -> `jamel explore --agent jamel` for 3 steps.
Resuming from a checkpoint is tested once, with exact losses, in test_verl_cpu.py."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("verl")
pytestmark = [pytest.mark.train, pytest.mark.slow]
torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
STEP_RE = re.compile(r"step:(\d+) - .*?train/loss:([-+0-9.eE]+|nan|inf)")


def sft(tmp: Path, out: Path, package: Path, steps: int) -> dict[int, float]:
    env = {**os.environ, "PYTHON": sys.executable, "JAMEL_VERL_DEVICE": "cpu", "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "WANDB_MODE": "disabled",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "TRAIN_FILE": str(out / "jamel_memory_sft_train.parquet"), "INIT_PACKAGE": str(package),
           "COMPRESSOR_MODEL": str(package), "OUTPUT_DIR": str(tmp / "ckpt"), "OUTPUT_MODEL_PATH": str(tmp / "trained"),
           "NPROC_PER_NODE": "1", "GLOBAL_BATCH": "2", "MICRO_BATCH": "1", "TOTAL_STEPS": str(steps),
           "SAVE_STEPS": "2", "LOGGER": "[console,tensorboard]", "MAX_LENGTH": "4096", "MAX_MEMORY_ITEMS": "5"}
    proc = subprocess.run(["bash", "shell/run_qwen25vl_7b_sft.sh", "data.num_workers=0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    return {int(s): float(v) for s, v in STEP_RE.findall(log)}


def test_only_the_action_carries_loss(sft_data):
    from omegaconf import OmegaConf

    from jamel.train.sft_model import init_sft_model
    from jamel.train.memory_sft import JamelStepSFTDataset

    _, _, _, out, _ = sft_data
    init = init_sft_model(out.parent / "init_check", package=str(out.parent / "pkg"))
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(init)
    ds = JamelStepSFTDataset(str(out / "jamel_memory_sft_train.parquet"), tok, OmegaConf.create(
        {"memory_bank_files": str(out / "jamel_memory_bank.parquet"), "max_length": 8192, "max_memory_items": 5}))
    rows = pq.read_table(out / "jamel_memory_sft_train.parquet").to_pylist()
    for i in (0, len(ds) - 1):
        item = ds[i]
        assert tok.decode(item["input_ids"][item["loss_mask"].bool()]) == rows[i]["response"] + "<|im_end|>"
        assert item["multi_modal_inputs"]["memory_counts"].item() == len(rows[i]["memory_ids"])


def test_crawler_to_trained_model_to_agent(sft_data, tmp_path):
    from jamel.corpus import load_corpus
    from jamel.rollout.explore import ExploreConfig, explore

    _, _, _, out, _ = sft_data
    package = out.parent / "pkg"
    losses = sft(tmp_path, out, package, steps=2)
    assert sorted(losses) == [1, 2] and all(v == v and v < 1e6 for v in losses.values()), losses
    assert list((tmp_path / "ckpt" / "tensorboard").glob("events.out.tfevents.*"))  # LOGGER's TensorBoard logs
    trained = tmp_path / "trained"
    cfg = json.loads((trained / "model.json").read_text())
    assert cfg["format"] == "jamel-packaged-model" and "trained_from" in cfg

    # the trained aligner is not the initial one: training reached it
    from safetensors.torch import load_file

    before, after = load_file(str(package / "aligner.safetensors")), load_file(str(trained / "aligner.safetensors"))
    assert (before["proj.weight"] - after["proj.weight"]).abs().max() > 0

    corpus = load_corpus(None)
    explore(ExploreConfig(corpus=str(corpus.root), apps=["shop"], agent="jamel", steps=3, output=str(tmp_path / "x"),
                          settle_ms=50, html_report=False, agent_kwargs={"model_path": str(trained)}), corpus,
            progress=False)
    rows = pq.read_table(tmp_path / "x" / "shop" / "session_0" / "trajectory.parquet").to_pylist()
    assert [r["memory_tokens"] for r in rows] == [0, 1, 2]
