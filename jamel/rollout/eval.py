"""Evaluation harness: many sessions in parallel warm workers, scheduled through Ray.

Each work unit is one session (method, app, session index). Units run on the session pool of
`jamel.rollout.pool` (the one explore and RL rollouts use) with its Ray backend: each worker is a Ray
actor with its own static server on its own port, its own browser and scorer and its own agent, started
once and reused for the next units (a fresh browser context per session). With GPUs, a worker asks Ray
for `1 / workers_per_gpu` of a GPU, and Ray pins it to that GPU through CUDA_VISIBLE_DEVICES; with
`num_gpus=0` workers are CPU workers. A unit whose worker process dies is retried by Ray on a restarted
worker (`max_retries`), and the session is redone from its first step; a rerun of the whole evaluation
skips finished sessions (their `summary.json` exists). Ray scales the same harness past one node
(`ray start --head` / `--address`).

Output: EVAL_OUTPUT/<method>/<app>/session_<k>/ (as `jamel explore`), EVAL_OUTPUT/<method>/config.json,
and the reports of `jamel.report`.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    method: str  # label of the method in reports (e.g. "crawler", "jamel", "jamel-no-memory")
    agent: str
    corpus: str
    apps: list[str]
    max_steps: int = 50
    num_sessions: int = 1
    num_gpus: int = 0
    workers_per_gpu: int = 1  # with num_gpus=0: the number of parallel CPU workers
    output: str = "runs/eval"
    seed: int = 0
    coverage_filter: str = "app"
    coverage_mode: str = "persistent"
    settle: str = "adaptive"
    settle_ms: int = 250
    settle_quiet_ms: int = 50
    settle_cap_ms: int = 1500
    action_timeout_ms: int = 3000
    step_timeout_s: float = 30.0  # the whole step's deadline (see EnvConfig.step_timeout_s)
    overlap_scoring: bool = True  # C(t) computed while the observation is taken (same records either way)
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    max_retries: int = 2  # Ray re-runs a unit whose worker died this many times
    ray_address: str | None = None  # None: start a local Ray; "auto": join a running cluster

    def validate(self) -> None:
        if self.max_steps < 1 or self.num_sessions < 1 or self.workers_per_gpu < 1 or self.num_gpus < 0:
            raise ValueError("max_steps, num_sessions, workers_per_gpu must be >= 1 and num_gpus >= 0")


def session_dir(cfg: EvalConfig, app: str, k: int) -> Path:
    return Path(cfg.output) / cfg.method / app / f"session_{k}"


def _tasks(cfg: EvalConfig, units: list[tuple[str, int]]):
    from jamel.rollout.explore import session_seed
    from jamel.rollout.pool import SessionTask

    return [SessionTask(app=a, index=k, seed=session_seed(cfg.seed, a, k), steps=cfg.max_steps,
                        session_dir=str(session_dir(cfg, a, k)), session_id=f"{cfg.method}/{a}/session_{k}")
            for a, k in units]


def _spec(cfg: EvalConfig):
    from jamel.rollout.explore import env_settings
    from jamel.rollout.pool import WorkerSpec

    return WorkerSpec(corpus=cfg.corpus, agent=cfg.agent, agent_kwargs=cfg.agent_kwargs, env=env_settings(cfg))


def _finish(summary: dict[str, Any], cfg: EvalConfig, app: str, k: int) -> None:
    (session_dir(cfg, app, k) / "worker.json").write_text(json.dumps(summary["worker"]))


def run_unit(cfg_dict: dict[str, Any], app: str, k: int) -> dict[str, Any]:
    """One session in this process, with a worker of its own (debugging; evaluate() uses the pool)."""
    from jamel.rollout.pool import SessionWorker

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

    from jamel.rollout.pool import SessionPool

    cfg.validate()
    cfg.output = str(Path(cfg.output).resolve())  # workers (other processes, other nodes) write here
    out = Path(cfg.output) / cfg.method
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
            init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if cfg.ray_address:
                init["address"] = cfg.ray_address
            else:
                init.update(num_cpus=slots, num_gpus=cfg.num_gpus)
            ray.init(**init)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="session", desc=cfg.method)
        failed = []
        with SessionPool(_spec(cfg), workers=min(slots, len(todo)), backend="ray", max_retries=cfg.max_retries,
                         ray_resources=resources) as pool:
            for res in pool.run(_tasks(cfg, todo)):
                unit = (res.task.app, res.task.index)
                if res.error is None:
                    _finish(res.summary, cfg, *unit)
                else:  # a unit that failed for good: reported, the others go on
                    failed.append((unit, f"{type(res.error).__name__}: {res.error}"))
                    log.error("session %s failed: %s", unit, res.error)
                if bar:
                    bar.update(1)
        if bar:
            bar.close()
        if failed:
            (out / "failed.json").write_text(json.dumps([{"app": a, "session": k, "error": e} for (a, k), e in failed],
                                                        indent=2))
    return [json.loads(p.read_text()) for a, k in units if (p := session_dir(cfg, a, k) / "summary.json").exists()]


def method_and_kwargs(args) -> tuple[str, dict[str, Any]]:
    """The agent's constructor arguments and the method's report label from CLI flags."""
    if args.agent == "openai":
        if not args.model_path:
            raise SystemExit("AGENT=openai needs --model-path (the served model's name)")
        kwargs = {"model": args.model_path, "vision": args.vision, "history_images": args.vision,
                  "temperature": args.temperature, "top_p": args.top_p}
        if args.base_url:
            kwargs["base_url"] = args.base_url
        return args.method or ("react-vision" if args.vision else "react-text"), kwargs
    if args.agent == "jamel":
        if not args.model_path:
            raise SystemExit("AGENT=jamel needs --model-path (a packaged model folder)")
        from jamel.model.layout import packaged_model_problem

        if problem := packaged_model_problem(args.model_path):  # before Ray and torch start, not after
            raise SystemExit(problem)
        kwargs = {"model_path": args.model_path, "temperature": args.temperature, "top_p": args.top_p,
                  "device": "cuda" if args.num_gpus > 0 else "cpu"}
        label = "jamel"
        if args.memory != "latent":
            kwargs["memory"] = args.memory
            label = "jamel-no-memory" if args.memory == "none" else f"jamel-text-memory-k{args.text_memory_k}"
            if args.memory == "text":
                kwargs["text_memory_k"] = args.text_memory_k
        return args.method or label, kwargs
    return args.method or args.agent, {}


def main(argv: list[str] | None = None) -> int:
    import argparse

    from jamel.cli import add_settle_args, settle_options
    from jamel.corpus import default_corpus, load_corpus
    from jamel.report import build_report

    ap = argparse.ArgumentParser(prog="jamel eval", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent", required=True, help="random | crawler | openai | jamel")
    ap.add_argument("--method", default=None, help="label in reports (default: from agent and ablation)")
    ap.add_argument("--model-path", default=None, help="jamel: packaged model folder; openai: served model name")
    ap.add_argument("--memory", default="latent", choices=["latent", "none", "text"], help="jamel ablations")
    ap.add_argument("--text-memory-k", type=int, default=8, help="--memory text: last k steps as text")
    ap.add_argument("--base-url", default=None, help="openai: the chat endpoint")
    ap.add_argument("--vision", action="store_true", help="openai: ReAct-vision (screenshots) instead of text")
    ap.add_argument("--corpus", default=None,
                    help="app folder (default: ScaleWoB at $SCALEWOB_ROOT or its download folder, else the demo apps)")
    ap.add_argument("--browser-path", default=None,
                    help="Chromium to drive (default: $JAMEL_CHROMIUM, Playwright's own, the system's chromium)")
    ap.add_argument("--apps", default="test10")
    ap.add_argument("--max-steps", type=int, default=50)
    ap.add_argument("--num-sessions", type=int, default=1)
    ap.add_argument("--num-gpus", type=int, default=0)
    ap.add_argument("--workers-per-gpu", type=int, default=1)
    ap.add_argument("--output", default="runs/eval")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--top-p", type=float, default=0.9)
    ap.add_argument("--coverage-filter", default="app", choices=["app", "http"])
    ap.add_argument("--coverage-mode", default="persistent", choices=["persistent", "merged"])
    ap.add_argument("--ray-address", default=None)
    add_settle_args(ap)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    try:  # every input checked before any worker starts: one line and exit status 2 on a bad one
        corpus = load_corpus(args.corpus or default_corpus())
        apps = corpus.resolve(args.apps)
        method, kwargs = method_and_kwargs(args)
        if args.browser_path:
            from jamel.env.browser import find_chromium

            os.environ["JAMEL_CHROMIUM"] = find_chromium(args.browser_path)  # workers inherit it
    except (ValueError, FileNotFoundError, RuntimeError, SystemExit) as exc:
        print(f"jamel eval: {exc}", file=sys.stderr)
        return 2
    cfg = EvalConfig(method=method, agent=args.agent, corpus=str(corpus.root), apps=apps,
                     max_steps=args.max_steps, num_sessions=args.num_sessions, num_gpus=args.num_gpus,
                     workers_per_gpu=args.workers_per_gpu, output=args.output, seed=args.seed,
                     coverage_filter=args.coverage_filter, coverage_mode=args.coverage_mode,
                     agent_kwargs=kwargs, ray_address=args.ray_address,
                     **settle_options(args))
    print(json.dumps({"eval_config": asdict(cfg)}))
    evaluate(cfg, progress=not args.no_progress)
    build_report([Path(args.output)], Path(args.output), max_steps=args.max_steps)
    print((Path(args.output) / "results.md").read_text())
    failed = Path(args.output) / method / "failed.json"
    return 1 if failed.exists() else 0
