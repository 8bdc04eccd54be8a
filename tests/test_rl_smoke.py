"""End-to-end RL smoke on CPU (CI): `verl.trainer.main_ppo` with JAMEL's plugin, tiny memory model, real Chromium
sessions on 2 demo apps, group 2, 4 steps per session.

Run 1: GRPO, iteration 1 (checkpoint, validation on a fixed panel). Run 2: the same command with TOTAL_ITERS=2
and GiGPO resumes from iteration 1's checkpoint and trains iteration 2, then packages the policy; the packaged
model explores for 3 steps with `--agent jamel`. verl's rollout-vs-trainer log-prob check must stay at float
noise (memory reaches the training forward).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("verl")
pytest.importorskip("transfer_queue")
pytestmark = [pytest.mark.train, pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
METRIC_RE = re.compile(r"step:(\d+) - (.*)")
NP_SCALAR_RE = re.compile(r"^np\.\w+\((.*)\)$")


def metrics(log: str) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    for step, rest in METRIC_RE.findall(log):
        vals = {}
        for item in rest.split(" - "):
            key, _, value = item.rpartition(":")
            value = NP_SCALAR_RE.sub(r"\1", value.strip())  # verl prints numpy scalars as np.float64(0.0)
            try:
                vals[key.strip()] = float(value)
            except ValueError:
                pass
        out.setdefault(int(step), {}).update(vals)
    return out


def rl(tmp: Path, pkg: Path, estimator: str, iters: int, package: bool) -> tuple[dict, float]:
    import subprocess
    import sys

    env = {**os.environ, "PYTHON": sys.executable, "MODEL_PATH": str(pkg), "OUTPUT_DIR": str(tmp / "rl"),
           "APPS_MODE": "shop,messenger", "VAL_APPS": "shop", "GROUP_SIZE": "2", "APPS_PER_BATCH": "2",
           "SESSION_STEPS": "4", "ADV_ESTIMATOR": estimator, "TOTAL_ITERS": str(iters), "SAVE_EVERY": "1",
           "VAL_EVERY": "1", "NUM_GPUS": "0", "ENV_WORKERS": "2", "LR": "1e-4", "LOGGER": "[console]",
           "MAX_PROMPT_TOKENS": "4096", "MAX_RESPONSE_TOKENS": "16", "OMP_NUM_THREADS": "1",
           "RAY_memory_monitor_refresh_ms": "0", "WANDB_MODE": "disabled",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if package:
        env["OUTPUT_MODEL_PATH"] = str(tmp / "trained")
    t = time.time()
    proc = subprocess.run(["bash", "shell/run_qwen25vl_7b_rl.sh"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    log = proc.stdout + proc.stderr
    (tmp / f"rl_{estimator}_{iters}.log").write_text(log)  # kept for a failing run's post-mortem
    assert proc.returncode == 0, log[-8000:]
    return metrics(log), time.time() - t


def test_rl_smoke_grpo_then_resume_gigpo_then_eval(tmp_path):
    import pyarrow.parquet as pq

    from jamel.corpus import load_corpus
    from jamel.testing.tiny_models import make_tiny_package

    pkg = make_tiny_package(tmp_path / "pkg", seed=0)
    first, t1 = rl(tmp_path, pkg, "grpo", 1, package=False)
    assert sorted(first) == [1], first
    m = first[1]
    assert m["jamel/sessions"] == 4 and m["jamel/step_samples"] == 16
    # memory reached the training forward: rollout and trainer probabilities agree to fp32 noise (~1e-11 here;
    # a bf16 trainer forward gave ~1.5e-7, a forward without memory ~1e-4: the tiny model's probs are ~1/152k)
    assert m["training/rollout_probs_diff_max"] < 1e-8, m["training/rollout_probs_diff_max"]
    assert "val-core/jamel/shop/reward/mean@1" in m or any(k.startswith("val-core/") for k in m)
    ckpt = tmp_path / "rl" / "checkpoints"
    assert (ckpt / "latest_checkpointed_iteration.txt").read_text().strip() == "1"

    second, t2 = rl(tmp_path, pkg, "gigpo", 2, package=True)
    assert sorted(second) == [2], second  # resumed: iteration 1 is not redone
    m2 = second[2]
    assert m2["training/rollout_probs_diff_max"] < 1e-8, m2["training/rollout_probs_diff_max"]
    assert 0.0 <= m2["jamel/adv/step_group_singleton_share"] <= 1.0
    assert (ckpt / "latest_checkpointed_iteration.txt").read_text().strip() == "2"

    # the packaged policy through the eval harness (one unit in this process): memory grows step by step
    from dataclasses import asdict

    from jamel.rollout.eval import EvalConfig, run_unit, session_dir

    cfg = EvalConfig(method="rl", agent="jamel", corpus=str(load_corpus(None).root), apps=["shop"], max_steps=3,
                     output=str(tmp_path / "eval"), settle="fixed", settle_ms=50,
                     agent_kwargs={"model_path": str(tmp_path / "trained")})
    summary = run_unit(asdict(cfg), "shop", 0)
    rows = pq.read_table(session_dir(cfg, "shop", 0) / "trajectory.parquet").to_pylist()
    assert summary["steps"] == 3 and [r["memory_tokens"] for r in rows] == [0, 1, 2]
    print(f"\nRL smoke: run 1 (GRPO, 1 iteration) {t1:.0f} s, run 2 (resume, GiGPO, package) {t2:.0f} s")
