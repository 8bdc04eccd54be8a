"""Evaluation harness: many sessions in parallel warm workers, scheduled through Ray.

Each work unit is one session (method, app, session index). Units run on the session pool of
`jamel.rollout.pool` (the one explore and RL rollouts use) with its Ray backend: each worker is a Ray
actor with its own static server on its own port, its own browser and scorer and its own agent, started
once and reused for the next units (a fresh browser context per session). With GPUs, a worker asks Ray
for `1 / workers_per_gpu` of a GPU, and Ray pins it to that GPU through CUDA_VISIBLE_DEVICES; with
`num_gpus=0` workers are CPU workers. A unit whose worker process dies is retried by Ray on a restarted
worker (`max_retries`), and the session is redone from its first step; a rerun of the whole evaluation
skips finished sessions (their `summary.json` exists), and stops with `SettingsChanged` if the method's
folder holds sessions made with other settings (`jamel.rollout.options.check_resume`). Ray scales the same harness past one node
(`ray start --head` / `--address`).

Output: EVAL_OUTPUT/<method>/<app>/session_<k>/ (as `jamel explore`), EVAL_OUTPUT/<method>/config.json,
and the reports of `jamel.report`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from jamel.config import opt
from jamel.rollout.explore import run_tasks, session_seed
from jamel.rollout.options import RESULT_KEYS, SessionOptions, check_resume, env_settings
from jamel.rollout.pool import SessionPool, SessionTask, SessionWorker, WorkerSpec

log = logging.getLogger(__name__)


@dataclass
class EvalConfig(SessionOptions):
    agent: str = opt(help="random | crawler | openai | jamel | package.module:Class")
    method: str = opt("", "label of the method in reports (default: from the agent, its ablation and model, "
                          "e.g. crawler, jamel-<model>, jamel-no-memory-<model>, react-vision-<model>)")
    corpus: str = opt("", "app folder (default: ScaleWoB at $SCALEWOB_ROOT or its download folder, else the demo apps)")
    apps: list[str] = opt(["test10"], "app ids (a,b,c) or a split: test10 | train86 | demo | all")
    max_steps: int = opt(50, "steps per session (T)")
    num_sessions: int = opt(1, "sessions per app")
    num_gpus: int = opt(0, "GPUs to spread workers over (0: CPU workers)")
    workers_per_gpu: int = opt(1, "workers per GPU; with --num-gpus 0 the number of parallel CPU workers")
    output: str = opt("runs/eval", "output folder; a rerun skips finished sessions")
    seed: int = opt(0, "run seed (per-session seeds derive from it)")
    agent_kwargs: dict[str, Any] = field(default_factory=dict)  # build_agent's arguments (AgentOptions.kwargs)
    max_retries: int = opt(2, "Ray re-runs a session whose worker died this many times")
    ray_address: str | None = opt(None, "join this Ray cluster (\"auto\": the running one; default: start a local Ray)")

    def validate(self) -> None:
        self.method = self.method or self.agent
        if self.max_steps < 1 or self.num_sessions < 1 or self.workers_per_gpu < 1 or self.num_gpus < 0:
            raise ValueError("max_steps, num_sessions, workers_per_gpu must be >= 1 and num_gpus >= 0")


def session_dir(cfg: EvalConfig, app: str, k: int) -> Path:
    return Path(cfg.output) / cfg.method / app / f"session_{k}"


def _tasks(cfg: EvalConfig, units: list[tuple[str, int]]):
    return [SessionTask(app=a, index=k, seed=session_seed(cfg.seed, a, k), steps=cfg.max_steps,
                        session_dir=str(session_dir(cfg, a, k)), session_id=f"{cfg.method}/{a}/session_{k}")
            for a, k in units]


def _spec(cfg: EvalConfig):
    return WorkerSpec(corpus=cfg.corpus, agent=cfg.agent, agent_kwargs=cfg.agent_kwargs, env=env_settings(cfg))


def _finish(summary: dict[str, Any], cfg: EvalConfig, app: str, k: int) -> None:
    (session_dir(cfg, app, k) / "worker.json").write_text(json.dumps(summary["worker"]))


def run_unit(cfg_dict: dict[str, Any], app: str, k: int) -> dict[str, Any]:
    """One session in this process, with a worker of its own (debugging; evaluate() uses the pool)."""
    cfg = EvalConfig(**cfg_dict)
    worker = SessionWorker(_spec(cfg))
    try:
        summary = worker.run(_tasks(cfg, [(app, k)])[0])
    finally:
        worker.close()
    _finish(summary, cfg, app, k)
    return summary


def evaluate(cfg: EvalConfig, progress: bool = True) -> list[dict[str, Any]]:
    """Runs every unfinished session of the panel; returns the summaries of all finished ones."""
    import ray

    cfg.validate()
    cfg.output = str(Path(cfg.output).resolve())  # workers (other processes, other nodes) write here
    out = Path(cfg.output) / cfg.method
    check_resume(out, asdict(cfg), RESULT_KEYS + ("max_steps",))  # before config.json is rewritten
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    units = [(app, k) for app in cfg.apps for k in range(cfg.num_sessions)]
    todo = [(a, k) for a, k in units if not (session_dir(cfg, a, k) / "summary.json").exists()]
    log.info("%s: %d sessions, %d to run", cfg.method, len(units), len(todo))
    (out / "failed.json").unlink(missing_ok=True)
    if todo:
        if cfg.num_gpus > 0:
            slots, resources = cfg.num_gpus * cfg.workers_per_gpu, {"num_gpus": 1.0 / cfg.workers_per_gpu, "num_cpus": 1}
        else:
            slots, resources = cfg.workers_per_gpu, {"num_cpus": 1}
        if not ray.is_initialized():
            where = ({"address": cfg.ray_address} if cfg.ray_address
                     else {"num_cpus": slots, "num_gpus": cfg.num_gpus})
            ray.init(include_dashboard=False, log_to_driver=False, **where)
        bar = tqdm(total=len(todo), unit="session", desc=cfg.method, disable=not progress)

        def finished(res) -> None:
            if res.error is None:
                _finish(res.summary, cfg, res.task.app, res.task.index)
            bar.update(1)

        with SessionPool(_spec(cfg), workers=min(slots, len(todo)), backend="ray", max_retries=cfg.max_retries,
                         ray_resources=resources) as pool:
            run_tasks(pool, _tasks(cfg, todo), out, finished)
        bar.close()
    return [json.loads(p.read_text()) for a, k in units if (p := session_dir(cfg, a, k) / "summary.json").exists()]
