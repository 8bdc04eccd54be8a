"""`shell/run_eval.sh` as researchers call it: baselines and a tiny packaged JAMEL model (plus an
ablation) on the demo corpus with CPU workers, all in one output folder with merged reports."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


def run_eval(out: Path, **env) -> subprocess.CompletedProcess:
    full = {**os.environ, "SKIP_SETUP": "1", "PYTHON": sys.executable, "CORPUS": "env/demo_apps",
            "APPS_MODE": "list", "APPS": "shop,travel", "MAX_STEPS": "3", "NUM_GPUS": "0", "WORKERS_PER_GPU": "2",
            "EVAL_OUTPUT": str(out), **env}
    return subprocess.run(["bash", "shell/run_eval.sh", "--no-progress"], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.browser
def test_run_eval_sh_baselines_and_tiny_jamel(tmp_path):
    from jamel.testing.tiny_models import make_tiny_package

    out = tmp_path / "eval"
    for agent in ("crawler", "random"):
        res = run_eval(out, AGENT=agent)
        assert res.returncode == 0, res.stderr[-3000:]
    pkg = make_tiny_package(tmp_path / "tiny-jamel", seed=0)
    res = run_eval(out, AGENT="jamel", MODEL_PATH=str(pkg))
    assert res.returncode == 0, res.stderr[-3000:]
    res = run_eval(out, AGENT="jamel", MODEL_PATH=str(pkg), MEMORY="none")
    assert res.returncode == 0, res.stderr[-3000:]
    md = (out / "results.md").read_text()
    for method in ("crawler", "random", "jamel-tiny-jamel", "jamel-no-memory-tiny-jamel"):  # model agents: + model name
        assert f"| {method} | 2 | 2 |" in md, md
    assert (out / "fig_reward_curve.png").exists() and (out / "results.csv").exists()
    jamel_rows = (out / "jamel-tiny-jamel" / "shop" / "session_0" / "trajectory.parquet")
    import pyarrow.parquet as pq

    rows = pq.read_table(jamel_rows).to_pylist()
    assert [r["memory_tokens"] for r in rows] == [0, 1, 2] and all(r["image_tokens"] > 0 for r in rows)
    rows = pq.read_table(out / "jamel-no-memory-tiny-jamel" / "shop" / "session_0" / "trajectory.parquet").to_pylist()
    assert [r["memory_tokens"] for r in rows] == [0, 0, 0]
