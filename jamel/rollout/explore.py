"""`jamel explore`: agents explore apps; every step is scored by the persistent coverage novelty.

Output layout (one folder per run):
    OUTPUT/config.json                       every setting of the run
    OUTPUT/<app>/session_<k>/trajectory.parquet   one StepRecord per step
    OUTPUT/<app>/session_<k>/summary.json    cumulative reward, C(t) curve, timings (written last)
    OUTPUT/<app>/session_<k>/coverage_takes.jsonl.zst  the raw V8 takes, zstd JSONL (sources once per
                                             script; read with jamel.env.coverage.scorer.iter_takes)
    OUTPUT/<app>/session_<k>/coverage/       monocart's HTML report of the session's union
    OUTPUT/<app>/session_<k>/reward_curve.png
    OUTPUT/summary.json, OUTPUT/summary.csv  per-app cumulative reward
A session whose summary.json exists is finished and skipped on a rerun; an unfinished one is redone
from its first step (a browser's state cannot be restored half-way). A rerun whose settings would change
the records (agent and its arguments, seed, steps, episode steps, corpus, env settings; `RESULT_KEYS`)
stops with `SettingsChanged` naming them, while finished sessions are there; workers, progress bar and
reports may change.
Nothing of a session grows in memory with its length: step records go to the parquet file in row
groups of `TRAJECTORY_ROW_GROUP` steps (screenshots included) and takes go to the compressed file.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import itertools
import json
import logging
import shutil
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from jamel.agents.base import Agent, AgentUnavailable, PastStep, SessionContext
from jamel.env.browser import BrowserEnv
from jamel.corpus import Corpus
from jamel.env.coverage.collector import ScriptFilter
from jamel.env.coverage.scorer import TAKES_FILE
from jamel.schemas import RecordWriter, StepRecord, StepTimings
from jamel.config import opt
from jamel.prompt import answer_action
from jamel.rollout.options import RESULT_KEYS, SessionOptions, check_resume, env_settings
from jamel.rollout.pool import SessionPool, SessionTask, WorkerSpec, default_workers

log = logging.getLogger(__name__)
TRAJECTORY_ROW_GROUP = 100  # steps held in memory before they are written out (larger groups dedupe
# repeated screenshots better: 300 Backbone steps, 25 -> 1.15 MB, 100 -> 0.79 MB, one group 0.64 MB)


class TrajectoryWriter(RecordWriter):
    """Writes `trajectory.parquet` incrementally and keeps only a light copy of each record (no
    screenshot, observation or model output) for the session summary."""

    def __init__(self, path: Path, row_group: int = TRAJECTORY_ROW_GROUP):
        super().__init__(StepRecord, path, row_group)
        self.light: list[StepRecord] = []

    def append(self, record: StepRecord) -> None:
        self.light.append(dataclasses.replace(record, screenshot=b"", observation="", model_output=""))
        super().append(record)


@dataclass
class ExploreConfig(SessionOptions):
    corpus: str = opt("", "folder of <app>/index.html (default: the bundled demo corpus)")
    apps: list[str] = opt(["all"], "app ids (a,b,c), or a split of jamel/configs/splits.json: test10 | train86 | "
                                   "demo | all")
    agent: str = opt("crawler", "random | crawler | jamel | openai | package.module:Class")
    steps: int = opt(50, "steps per session (T)")
    sessions: int = opt(1, "sessions per app")
    seed: int = opt(0, "run seed (per-session seeds derive from it)")
    output: str = opt("runs/explore", "run folder; rerunning with it resumes")
    workers: int = opt(0, "sessions in parallel, each with its own browser context, scorer and agent (0: two per "
                          "core for the random and crawler agents, one per core for others, 1 for model agents); "
                          "the same results as one worker")
    sessions_per_process: int = opt(0, "sessions interleaved in one worker process, sharing its Playwright driver "
                                       "and browser (0: 4 for the random and crawler agents, else 1)")
    episode_steps: int = opt(0, "go back to the start page every N steps (sessions of episodes; 0: only when the "
                                "agent resets)")
    record_takes: bool = opt(True, "do not keep coverage_takes.jsonl.zst")
    html_report: bool = opt(True, "skip the per-session monocart HTML report")
    agent_kwargs: dict[str, Any] = field(default_factory=dict)  # build_agent's arguments (AgentOptions.kwargs)


def session_seed(seed: int, app: str, index: int) -> int:
    """A seed per (run seed, app, session) that does not depend on which other apps run."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{app}/{index}".encode()).digest()[:4], "little")


def run_session(env: BrowserEnv, agent: Agent, app: str, session_dir: Path, seed: int, steps: int,
                session_id: str, on_step: Callable[[StepRecord], None] | None = None, record_takes: bool = True,
                html_report: bool = True, episode_steps: int = 0) -> dict[str, Any]:
    """One session of `steps` steps; writes the session folder and returns its summary."""
    tmp_dir = session_dir.with_name(session_dir.name + ".partial")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    env.cfg.max_steps = steps
    env.scorer.record_path = tmp_dir / TAKES_FILE if record_takes else None
    t_session = time.perf_counter()
    obs, info = env.reset(seed=seed)
    ctx = SessionContext(app=app, start_url=env.cfg.start_url, max_steps=steps)
    agent.begin_session(ctx, seed)
    c0, counts0 = info["coverage"], info["counts"]
    trajectory = TrajectoryWriter(tmp_dir / "trajectory.parquet")
    rows = trajectory.light  # what the summary and the plot need, without screenshots
    for t in range(1, steps + 1):
        ctx.step, ctx.episode = t, env.episode
        t0 = time.perf_counter()
        try:
            out = agent.act(obs, ctx)
            model_output, action = out.model_output, out.action
        except AgentUnavailable:
            raise
        except Exception as exc:  # an agent failure is this step's invalid action, not a crash
            log.exception("agent failed at step %d", t)
            out, model_output, action = None, f"[agent error] {type(exc).__name__}: {exc}", ""
        agent_ms = (time.perf_counter() - t0) * 1000
        if not action:
            action = answer_action(model_output)
        before_obs, episode, episode_step = obs, env.episode, env.episode_step + 1
        obs, reward, terminated, truncated, info = env.step(action)
        counts = info["counts"]
        record = StepRecord(
            session_id=session_id, app=app, start_url=env.cfg.start_url, episode=episode, step=t,
            episode_step=episode_step, url=before_obs.url, observation=before_obs.text(),
            last_action_error=before_obs.last_action_error,
            open_urls=list(before_obs.open_urls), screenshot=before_obs.screenshot, model_output=model_output,
            action=action, action_canonical=info["action_canonical"], valid=info["valid"], error=info["error"],
            reward=reward, coverage=info["coverage"], coverage_delta=info["coverage_delta"], lines=counts["lines"],
            branches=counts["branches"], statements=counts["statements"], functions=counts["functions"],
            coverage_filter=env.cfg.coverage_filter, browser_restarted=info["browser_restarted"], agent=agent.name,
            text_tokens=getattr(out, "text_tokens", 0), image_tokens=getattr(out, "image_tokens", 0),
            memory_tokens=getattr(out, "memory_tokens", 0), **asdict(info["timings"]), agent_ms=agent_ms,
            target_box=list(info.get("target_box") or []))
        trajectory.append(record)
        ctx.history.append(PastStep(t, episode, before_obs.url, action, info["valid"], info["error"], reward))
        if on_step:
            on_step(record)
        if terminated or truncated:
            break
        if episode_steps and env.episode_step >= episode_steps:
            obs = env.begin_episode()

    trajectory.close()
    report = None
    if html_report:
        try:
            report = env.scorer.write_report(tmp_dir / "coverage", name=f"{app} / {session_id}")
        except Exception as exc:  # a report is a convenience; the trajectory is what matters
            log.warning("coverage report failed for %s: %s", session_id, exc)
    summary = session_summary(rows, app, session_id, seed, c0, env, time.perf_counter() - t_session)
    summary["coverage_report"] = "coverage/" + report.name if report else None
    summary["initial_counts"] = counts0  # C(0) by kind: the viewer splits step 1's delta with it
    plot_reward_curve(rows, summary["cumulative_reward_curve"], tmp_dir / "reward_curve.png",
                      title=f"{app} ({agent.name})")
    # summary.json is the completion marker: write it last, then move the folder into place.
    (tmp_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    shutil.rmtree(session_dir, ignore_errors=True)
    tmp_dir.rename(session_dir)
    return summary


def session_summary(rows: list[StepRecord], app: str, session_id: str, seed: int, c0: int, env: BrowserEnv,
                    wall_s: float) -> dict[str, Any]:
    curve = list(itertools.accumulate(r.reward for r in rows))
    mean = lambda xs: round(statistics.fmean(xs), 2) if xs else 0.0  # noqa: E731
    return {
        "session_id": session_id, "app": app, "seed": seed, "agent": rows[0].agent if rows else "",
        "steps": len(rows), "cumulative_reward": curve[-1] if curve else 0, "cumulative_reward_curve": curve,
        "coverage_initial": c0, "coverage_final": rows[-1].coverage if rows else c0,
        "coverage_curve": [r.coverage for r in rows],
        "final_counts": {k: getattr(rows[-1], k) for k in ("lines", "branches", "statements", "functions")} if rows else {},
        "invalid_actions": sum(not r.valid for r in rows), "failed_actions": sum(bool(r.error) for r in rows),
        "episodes": (rows[-1].episode + 1) if rows else 0, "browser_restarts": env.restarts,
        "coverage_filter": env.cfg.coverage_filter, "coverage_scope": env.filter.describe(),
        "blocked_requests": sorted(set(env.blocked_requests)),
        "input_tokens": sum(r.text_tokens + r.image_tokens + r.memory_tokens for r in rows),
        "mean_ms": {k: mean([getattr(r, k) for r in rows]) for k in
                    [f.name for f in dataclasses.fields(StepTimings)] + ["agent_ms"]},
        "wall_s": round(wall_s, 2),
    }


def plot_reward_curve(rows: list[StepRecord], cum: list[int], path: Path, title: str) -> None:
    # matplotlib's object API with the Agg canvas: no pyplot (global figure state, backend selection)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = [r.step for r in rows]
    fig = Figure(figsize=(6, 3.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.step(steps, cum, where="post", color="tab:blue", label="cumulative reward")
    ax.set(xlabel="step", title=title)
    ax.set_ylabel("cumulative reward", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(steps, [r.coverage for r in rows], color="tab:orange", alpha=0.7, label="C(t)")
    ax2.set_ylabel("C(t) covered entities", color="tab:orange")
    for a, b in zip(rows, rows[1:]):  # episode starts: after a reset() or every --episode-steps
        if b.episode != a.episode:
            ax.axvline(b.step, color="grey", lw=0.5, ls=":")
    # Fixed margins that fit both axes' labels: tight_layout measures every text first (twice the CPU,
    # ~0.12 s per session, spent in the thread that interleaved sessions share).
    fig.subplots_adjust(left=0.1, right=0.87, bottom=0.14, top=0.9)
    fig.savefig(path)


# Agents that load a model: each worker would hold its own copy, so they default to one worker.
MODEL_AGENTS = {"jamel"}
# Agents whose act() never blocks the thread: their sessions can share a worker process (SessionPool).
INTERLEAVED_AGENTS = {"random", "crawler"}
SESSIONS_PER_PROCESS = 4  # one Python, driver and browser for up to 4 sessions (docs/environment.md)


def explore(cfg: ExploreConfig, corpus: Corpus, progress: bool = True) -> dict[str, Any]:
    out = Path(cfg.output)
    check_resume(out, asdict(cfg), RESULT_KEYS + ("steps", "episode_steps"))  # before config.json is rewritten
    out.mkdir(parents=True, exist_ok=True)
    # The filter's rule is stated with the run; its resolved prefix (it names the server's port) is in
    # every session summary as `coverage_scope`.
    (out / "config.json").write_text(json.dumps({**asdict(cfg), "coverage_rule": ScriptFilter.RULES[cfg.coverage_filter]},
                                                indent=2))
    log.info("explore config: %s", json.dumps(asdict(cfg)))
    todo = [(app, k) for app in cfg.apps for k in range(cfg.sessions)]
    done = {(a, k) for a, k in todo if (out / a / f"session_{k}" / "summary.json").exists()}
    if done:
        log.info("resuming: %d of %d sessions already finished", len(done), len(todo))
    tasks = [SessionTask(app=app, index=k, seed=session_seed(cfg.seed, app, k), steps=cfg.steps,
                         session_dir=str(out / app / f"session_{k}"), session_id=f"{app}/session_{k}",
                         record_takes=cfg.record_takes, html_report=cfg.html_report, episode_steps=cfg.episode_steps)
             for app, k in todo if (app, k) not in done]
    # Interleaved sessions mostly wait on their pages: two per core keep the cores busier than one
    # (8 demo apps x 30 steps on 2 cores: 24-25 s with 4, 33 s with 2; docs/environment.md).
    interleaved = cfg.agent in INTERLEAVED_AGENTS
    workers = cfg.workers or (1 if cfg.agent in MODEL_AGENTS else default_workers(len(tasks), 2 if interleaved else 1))
    workers = max(1, min(workers, len(tasks) or 1))
    bar = tqdm(total=len(tasks) * cfg.steps, unit="step", dynamic_ncols=True, desc=f"explore x{workers}",
               disable=not progress)
    ticks: dict[str, int] = {}

    def tick(t) -> None:
        ticks[t.session_id] = ticks.get(t.session_id, 0) + 1
        bar.update(1)
        bar.set_postfix(session=t.session_id, reward=t.reward, C=t.coverage)

    def finished(res) -> None:
        # a session that ended early still completes its share of the bar
        bar.update(max(0, cfg.steps - ticks.get(res.task.session_id, 0)) if res.summary else 0)
        if isinstance(res.error, AgentUnavailable):
            raise res.error  # every later session would fail the same way

    spec = WorkerSpec(corpus=cfg.corpus, agent=cfg.agent, agent_kwargs=cfg.agent_kwargs, env=env_settings(cfg))
    per_process = cfg.sessions_per_process or (SESSIONS_PER_PROCESS if interleaved else 1)
    with SessionPool(spec, workers, sessions_per_process=per_process) as pool:
        run_tasks(pool, tasks, out, finished, on_step=tick)
    bar.close()
    return write_run_summary(out, cfg.apps, cfg.sessions)


def run_tasks(pool, tasks: list, out: Path, on_result: Callable[[Any], None], on_step=None) -> None:
    """Runs `tasks` on a `SessionPool`, calling `on_result` with each result. A session that failed for good
    is logged and listed in `out/failed.json` (rewritten by every run); it stays unfinished, so a rerun
    redoes it, and the others go on."""
    failed = []
    for res in pool.run(tasks, on_step=on_step):
        on_result(res)
        if res.error is not None:
            log.error("session %s failed: %s", res.task.session_id, res.error)
            failed.append({"app": res.task.app, "session": res.task.index,
                           "error": f"{type(res.error).__name__}: {res.error}"})
    (out / "failed.json").unlink(missing_ok=True)
    if failed:
        (out / "failed.json").write_text(json.dumps(failed, indent=2))


def write_run_summary(out: Path, apps: list[str], sessions: int) -> dict[str, Any]:
    per_app = []
    for app in apps:
        sums = [json.loads(p.read_text()) for k in range(sessions)
                if (p := out / app / f"session_{k}" / "summary.json").exists()]
        if not sums:
            continue
        rewards = [s["cumulative_reward"] for s in sums]
        per_app.append({"app": app, "agent": sums[0]["agent"], "sessions": len(sums),
                        "cumulative_reward": round(statistics.fmean(rewards), 2),
                        "cumulative_reward_std": round(statistics.pstdev(rewards), 2) if len(rewards) > 1 else 0.0,
                        "coverage_final": round(statistics.fmean(s["coverage_final"] for s in sums), 1),
                        "steps": sums[0]["steps"]})
    rewards = [r["cumulative_reward"] for r in per_app]
    summary = {"apps": per_app,
               "mean_cumulative_reward": round(statistics.fmean(rewards), 2) if rewards else 0.0,
               "std_cumulative_reward_across_apps": round(statistics.pstdev(rewards), 2) if len(rewards) > 1 else 0.0}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    with open(out / "summary.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["app", "agent", "sessions", "cumulative_reward", "cumulative_reward_std",
                                           "coverage_final", "steps"])
        w.writeheader()
        w.writerows(per_app)
    return summary


def format_table(summary: dict[str, Any]) -> str:
    lines = [f"{'app':<16}{'agent':<10}{'sessions':>9}{'cum. reward':>13}{'C(T)':>10}"]
    for r in summary["apps"]:
        lines.append(f"{r['app']:<16}{r['agent']:<10}{r['sessions']:>9}{r['cumulative_reward']:>13.2f}{r['coverage_final']:>10.1f}")
    lines.append(f"{'mean':<35}{summary['mean_cumulative_reward']:>13.2f}")
    return "\n".join(lines)
