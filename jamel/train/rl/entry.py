"""`jamel rl` / `python -m jamel.train.rl.entry`: an RL run from an `RLConfig`.

1. the model folder verl trains (`jamel.train.sft_model.init_sft_model`: a packaged model's actor + aligner,
   or a base policy + a fresh aligner), written once under OUTPUT_DIR/init_model;
2. the app rows (train: APPS_MODE, val: VAL_APPS) as parquet;
3. `python -m verl.trainer.main_ppo <overrides>` with `VERL_USE_EXTERNAL_MODULES=jamel.train.rl.plugin` (a
   rerun resumes from the last checkpoint: trainer.resume_mode=auto);
4. with OUTPUT_MODEL_PATH: the last checkpoint's policy + the frozen compressor packaged for `--agent jamel`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from jamel.config import run_command
from jamel.train.rl.config import RLConfig, verl_overrides, worker_env


def prepare(cfg: RLConfig) -> list[str]:
    """Everything before verl starts; returns verl's overrides. Bad input fails here, before Ray starts."""
    from jamel.corpus import default_corpus, load_corpus
    from jamel.train.rl.loop import write_app_rows

    cfg.validate()
    corpus = load_corpus(cfg.corpus or default_corpus())
    apps = corpus.resolve(cfg.apps)
    val_apps = corpus.resolve(cfg.val_apps) if cfg.val_apps else []
    if len(apps) < cfg.apps_per_batch:
        raise ValueError(f"{len(apps)} training apps but APPS_PER_BATCH={cfg.apps_per_batch}")
    packaged = (Path(cfg.model_path) / "model.json").exists()
    compressor = cfg.compressor_model or (cfg.model_path if packaged else None)
    if compressor is None:
        raise ValueError(f"{cfg.model_path} is not a packaged JAMEL model: give the compressor (COMPRESSOR_MODEL)")
    p = cfg.paths()
    for key in ("out", "ckpt", "data", "rollouts"):
        p[key].mkdir(parents=True, exist_ok=True)
    from jamel.train.sft_model import init_record, init_sft_model

    made_from = init_record(None if packaged else cfg.model_path, None if packaged else compressor,
                            cfg.model_path if packaged else None, cfg.max_memory_items)
    record = p["init"] / "jamel_sft_init.json"  # written last: an interrupted init is redone
    if record.exists():
        found = json.loads(record.read_text())
        if found != made_from:  # a rerun in the same OUTPUT_DIR with another model would train the old one
            raise ValueError(f"{p['init']} was made from {found}, this run asks for {made_from}: use another "
                             f"OUTPUT_DIR (or delete {p['init']} if no checkpoint of it should be resumed)")
    elif packaged:
        init_sft_model(p["init"], package=cfg.model_path, max_memory_items=cfg.max_memory_items)
    else:
        init_sft_model(p["init"], base_model=cfg.model_path, compressor_model=compressor,
                       max_memory_items=cfg.max_memory_items, seed=cfg.seed)
    train = write_app_rows(p["data"] / "train.parquet", apps, "train")
    val = write_app_rows(p["data"] / "val.parquet", val_apps or apps[:1], "val")
    (p["out"] / "rl_config.json").write_text(json.dumps(asdict(cfg), indent=2))
    return verl_overrides(cfg, train, val, len(val_apps), str(Path(compressor).resolve()), str(corpus.root))


def latest_actor_hf(ckpt: Path) -> Path:
    """`<ckpt>/global_step_<latest>/actor/huggingface` (verl's RL checkpoint layout)."""
    latest = ckpt / "latest_checkpointed_iteration.txt"
    if not latest.exists():
        raise FileNotFoundError(f"{ckpt}: no checkpoint yet (latest_checkpointed_iteration.txt)")
    hf = ckpt / f"global_step_{latest.read_text().strip()}" / "actor" / "huggingface"
    if not any(hf.glob("*.safetensors")):
        raise FileNotFoundError(f"{hf}: no weights (actor.checkpoint.save_contents must include hf_model)")
    return hf


def export(cfg: RLConfig) -> Path:
    from jamel.train.sft_model import export_packaged

    compressor = cfg.compressor_model or cfg.model_path
    return export_packaged(latest_actor_hf(cfg.paths()["ckpt"]), compressor, cfg.output_model_path)


def run(cfg: RLConfig, python: str = sys.executable, timeout: float | None = None) -> int:
    cmd = [python, "-m", "verl.trainer.main_ppo", *prepare(cfg)]
    print("[rl] " + " ".join(cmd[3:]), flush=True)
    rc = subprocess.run(cmd, env=dict(os.environ, **worker_env(cfg)), timeout=timeout).returncode
    if rc == 0 and cfg.output_model_path:
        print(f"[rl] packaged model: {export(cfg)}", flush=True)
    return rc


def train(cfg: RLConfig) -> int:
    """RL on the novelty reward: verl's V1 sync PPO trainer over live browser sessions (see
    shell/run_qwen25vl_7b_rl.sh and docs/training.md, "RL"). Extra verl dotted overrides: --overrides k=v ..."""
    try:
        return run(cfg)
    except (ValueError, FileNotFoundError) as exc:  # bad input: one line, before Ray starts
        print(f"jamel rl: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    return run_command(train, sys.argv[1:] if argv is None else argv, "jamel rl")


if __name__ == "__main__":
    raise SystemExit(main())
