"""Benchmark: env steps per second, where a step's time goes, adaptive vs fixed settle, parallel workers.

    python benchmarks/bench_throughput.py [--apps shop,video,...] [--steps 50] [--workers-list 1,2,4]
                                          [--settings fixed250,adaptive] [--output runs/bench_throughput]
                                          [--baseline CHECKOUT] [--skip settle,workers,observation,scoring,cpu]
    # a baseline for part 5, e.g.: mkdir -p /tmp/base && git archive main jamel | tar -x -C /tmp/base

Three parts, each with its baseline in the same run:
  1. settle: for every app, crawler sessions with the same seed under each setting (fixed 250 ms sleep,
     the adaptive settle), run back to back per app; median step wall time, the step-time breakdown
     (action, settle, coverage take, scoring, observation), C(T), cumulative reward and the steps whose
     reward differs between settings.
  2. workers: `explore()` on the whole panel (apps x --sessions) with 1..2x cores workers: wall time
     (pool start-up included), steps/s, steps/s per core, speed-up over one worker; each count in a fresh
     child process (one `jamel explore` invocation), with JAMEL_BENCH_CODE's jamel (a baseline checkout).
  3. observation: the screenshot part of a step, the old way (1280x720 PNG + PIL bilinear resize + PNG
     encode) vs Chromium's 640x360 capture (clipped at scale 0.5 at devicePixelRatio 1, or plain with the
     page rendered at devicePixelRatio 0.5; PNG and JPEG): wall and CPU ms, size, pixel difference.
  4. scoring: a --scoring-steps crawler session on each of --scoring-apps (default backbone_todo, 300),
     replayed from its takes by the engine before plans (monocart converts every changed script, whole
     merges) and by the current one (plans, incremental merge), in fresh workers in the same run:
     p50/p90/p99/max of the worker's CPU ms and of the wall ms per step that ran app code, the C(t)
     sequences (must be identical to each other and to the live session), a replay with --verify
     (monocart's merge and conversion checked at every step) and monocart from scratch at probe steps.
  5. CPU per step (with --baseline CHECKOUT): crawler sessions on --cpu-apps, same seeds, in child
     processes that alternate between the baseline checkout's jamel and this one's: CPU ms per step by
     process kind over the step loops, the session reset's CPU apart, and whether C(t) and the actions
     are the same at every step.
Part 2 also samples where the CPU goes (psutil CPU time per process kind over the run: Chromium's
browser, renderer, GPU and utility processes, the Playwright driver, our Python, the Node scorer), per
step; with --workers-settings adaptive,fixed250 it runs the worker counts under both settles.
Default apps: the demo corpus (env/demo_apps) plus benchmarks/apps/backbone_todo.
Writes OUTPUT/bench_throughput.json and OUTPUT/bench_throughput.md.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The jamel code measured: this checkout, or (part 5's child processes) a baseline checkout.
CODE = Path(os.environ.get("JAMEL_BENCH_CODE") or ROOT)
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(CODE))

import jamel  # noqa: E402  # first: bench_scoring puts ROOT ahead of CODE, and its jamel imports must be CODE's

assert Path(jamel.__file__).resolve().is_relative_to(CODE.resolve()), f"measuring {jamel.__file__}, not {CODE}"
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from PIL import Image  # noqa: E402

from bench_scoring import build_corpus  # noqa: E402
from jamel.agents import build_agent  # noqa: E402
from jamel.env.browser import RecordEnv, EnvConfig  # noqa: E402
from jamel.corpus import ensure_demo_vendor, load_corpus  # noqa: E402
from jamel.rollout.explore import ExploreConfig, explore, run_session, session_seed  # noqa: E402
from jamel.env.server import CorpusServer  # noqa: E402
from jamel.env.coverage.scorer import find_takes, iter_takes, replay_fast, replay_reference  # noqa: E402

SETTINGS = {"fixed250": {"settle": "fixed", "settle_ms": 250}, "fixed0": {"settle": "fixed", "settle_ms": 0},
            "adaptive": {"settle": "adaptive"}}
PARTS = ("action_ms", "settle_ms", "coverage_ms", "scoring_ms", "observation_ms")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pct(xs: list[float], q: float) -> float:
    return round(float(np.percentile(xs, q)), 1) if xs else 0.0


def settle_part(corpus: Path, apps: list[str], settings: list[str], steps: int, seed: int, quiet: int, cap: int,
                out: Path) -> dict:
    """Same app, same seed, each setting back to back (one browser per app, a fresh context per session)."""
    per_app: dict[str, dict] = {}
    with CorpusServer(corpus) as server:
        for app in apps:
            per_app[app] = {}
            env = RecordEnv(EnvConfig(start_url=server.url_for(app), settle_quiet_ms=quiet, settle_cap_ms=cap))
            try:
                for name in settings:
                    for k, v in {"settle_ms": 250, **SETTINGS[name.split("#")[0]]}.items():
                        setattr(env.cfg, k, v)
                    d = out / "settle" / name / app
                    summary = run_session(env, build_agent("crawler"), app, d, session_seed(seed, app, 0), steps,
                                          session_id=f"{name}/{app}", record_takes=False, html_report=False)
                    rows = pq.read_table(d / "trajectory.parquet").to_pylist()
                    per_app[app][name] = {
                        "C_T": summary["coverage_final"], "C_0": summary["coverage_initial"],
                        "cumulative_reward": summary["cumulative_reward"],
                        "rewards": [r["reward"] for r in rows], "actions": [r["action"] for r in rows],
                        "step_ms_median": pct([r["step_ms"] for r in rows], 50),
                        "step_ms_p90": pct([r["step_ms"] for r in rows], 90),
                        **{f"{p}_median": pct([r[p] for r in rows], 50) for p in PARTS},
                        **{f"{p}_mean": round(statistics.fmean(r[p] for r in rows), 1) for p in PARTS},
                        "refused_steps": sum(bool(r["error"]) and r["settle_ms"] == 0 for r in rows),
                        "steps": len(rows), "all_step_ms": [round(r["step_ms"], 1) for r in rows],
                    }
                    print(f"  settle {name:<9} {app:<14} C(T)={summary['coverage_final']:<6} "
                          f"R={summary['cumulative_reward']:<4} median step {per_app[app][name]['step_ms_median']} ms",
                          flush=True)
            finally:
                env.close()
    return per_app


def process_kind(p: psutil.Process) -> str:
    """What a process of a run is: a Chromium process by its --type, the Node scorer, Playwright's driver, ..."""
    cmd = p.cmdline()
    exe = os.path.basename(cmd[0]) if cmd else p.name()
    if "chrom" in exe:
        kind = next((c.split("=", 1)[1] for c in cmd if c.startswith("--type=")), "browser")
        sub = next((c.split("=", 1)[1] for c in cmd if c.startswith("--utility-sub-type=")), "")
        return f"chromium {kind}" + (f" ({sub.split('.')[-1]})" if sub else "")
    if exe == "node":
        return "node scorer" if any("istanbul_worker" in c for c in cmd) else "playwright driver"
    return "python" if "python" in exe else exe


class CpuSampler(threading.Thread):
    """CPU seconds of this process and all its descendants (by kind), sampled until stopped; a process
    that ends between samples keeps its last reading. Debian's `chromium` launcher execs the browser (its
    `chromium-headless-shell` launcher stays as a parent `sh`, ~0 CPU, listed as "sh"), so a
    process's kind is read again when its command line changes."""

    def __init__(self, period_s: float = 0.25):
        super().__init__(daemon=True)
        self.period_s, self._halt, self.seen = period_s, threading.Event(), {}

    def sample(self) -> None:
        me = psutil.Process()
        for p in [me, *me.children(recursive=True)]:
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    self.seen[(p.pid, p.create_time())] = (process_kind(p), t.user + t.system)
            except psutil.Error:
                pass

    def run(self) -> None:
        while not self._halt.wait(self.period_s):
            self.sample()

    def stop(self) -> dict[str, float]:
        self._halt.set()
        if self.ident is not None:
            self.join()
        self.sample()
        out: dict[str, float] = {}
        for kind, seconds in self.seen.values():
            out[kind] = out.get(kind, 0.0) + seconds
        return out


def workers_part(corpus: Path, apps: list[str], workers_list: list[str], steps: int, sessions: int, seed: int,
                 settings: list[str], out: Path, repeats: int = 1, plan_cache: str = "cold") -> list[dict]:
    """Each worker count in a fresh child process (as one `jamel explore` invocation: nothing warm, e.g.
    the pool's forkserver, carries over from the previous count), with JAMEL_BENCH_CODE's jamel. With
    `repeats` > 1 the counts run in rounds (1, 4, 1, 4, ...), so a drift of the machine hits both alike.
    `plan_cache`: "cold", each child's scorers start with an empty plan cache (a first run on these apps);
    "warm", all children share one, filled by an untimed run first (a later run on the same apps)."""
    rows = []
    shared = out / "workers" / "plan-cache"
    shutil.rmtree(shared, ignore_errors=True)

    def child(n: str, setting: str, result: str) -> None:
        cache = shared if plan_cache == "warm" else Path(tempfile.mkdtemp(prefix="jamel-plans-"))
        cmd = [sys.executable, __file__, "--workers-child", result, "--child-corpus", str(corpus),
               "--workers-apps", ",".join(apps), "--workers-list", n, "--workers-steps", str(steps),
               "--sessions", str(sessions), "--seed", str(seed), "--workers-settings", setting,
               "--output", str(out)]
        try:
            subprocess.run(cmd, check=True, env={**os.environ, "JAMEL_PLAN_CACHE": str(cache)})
        finally:
            if cache != shared:
                shutil.rmtree(cache, ignore_errors=True)

    if plan_cache == "warm":
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            child(workers_list[0], settings[0], f.name)
    for setting, rnd in [(s, r) for s in settings for r in range(repeats)]:
        first = len(rows)
        for n in workers_list:
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                child(n, setting, f.name)
                rows.append({**json.loads(Path(f.name).read_text()), "round": rnd, "plan_cache": plan_cache,
                             "layout": n})
            print(f"  workers {n} ({setting}, round {rnd}): {rows[-1]['wall_s']} s, {rows[-1]['steps_per_s']} steps/s, "
                  f"CPU {rows[-1]['cpu_ms_per_step']} ms/step, {rows[-1]['cores_busy']} cores busy, "
                  f"load {rows[-1]['loadavg']}", flush=True)
        for r in rows[first:]:
            r["speedup_vs_first"] = round(rows[first]["wall_s"] / r["wall_s"], 2)
    return rows


def workers_child(corpus: Path, apps: list[str], layout: str, steps: int, sessions: int, seed: int, setting: str,
                  out: Path) -> dict:
    """One `explore` of the panel. ``layout``: "N" (N workers, the default sessions per process) or "NxK"
    (N workers, K sessions per worker process; "4x1" is four processes, each with its own browser)."""
    n, _, per = layout.partition("x")
    n = int(n)
    run = out / "workers" / setting / f"w{layout}"
    shutil.rmtree(run, ignore_errors=True)
    cfg = ExploreConfig(corpus=str(corpus), apps=apps, agent="crawler", steps=steps, sessions=sessions,
                        seed=seed, output=str(run), workers=n, html_report=False, record_takes=False,
                        **SETTINGS[setting], **({"sessions_per_process": int(per)} if per else {}))
    base_cpu = CpuSampler().stop()  # this process's CPU so far
    sampler = CpuSampler()
    sampler.start()
    load = round(os.getloadavg()[0], 1)
    t0 = time.perf_counter()
    summary = explore(cfg, load_corpus(corpus), progress=False)
    wall = time.perf_counter() - t0
    cpu = sampler.stop()
    cpu["python"] = cpu.get("python", 0.0) - base_cpu.get("python", 0.0)
    total_steps = sum(a["steps"] * a["sessions"] for a in summary["apps"])
    per_step = {k: round(1000 * v / total_steps, 1) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])}
    return {"setting": setting, "workers": n, "wall_s": round(wall, 1), "steps": total_steps, "loadavg": load,
            "steps_per_s": round(total_steps / wall, 2), "steps_per_s_per_core": round(total_steps / wall / cores(), 2),
            "cpu_ms_per_step": round(sum(per_step.values()), 1), "cpu_ms_per_step_by_kind": per_step,
            "cores_busy": round(sum(cpu.values()) / wall, 2),
            "C_T": {a["app"]: a["coverage_final"] for a in summary["apps"]},
            "cumulative_reward": {a["app"]: a["cumulative_reward"] for a in summary["apps"]}}


def scoring_part(corpus: Path, apps: list[str], steps: int, seed: int, probes: list[int], out: Path) -> dict:
    """Scoring cost per step over long sessions: the engine before plans vs the current one, same takes."""
    res = {}
    with CorpusServer(corpus) as server:
        for app in apps:
            d = out / "scoring" / app
            with RecordEnv(EnvConfig(start_url=server.url_for(app))) as env:
                summary = run_session(env, build_agent("crawler"), app, d, session_seed(seed, app, 0), steps,
                                      session_id=f"scoring/{app}", html_report=False)
            rows = pq.read_table(d / "trajectory.parquet").to_pylist()
            live = [summary["coverage_initial"]] + [r["coverage"] for r in rows]
            takes = find_takes(d)
            ran = {t for t, entries in iter_takes(takes) if entries and t >= 1}
            engines = {"before": replay_fast(takes, plans=False), "plans": replay_fast(takes, plan_cache=None)}
            r = {"steps": steps, "steps_that_ran_app_code": len(ran), "C_T": live[-1],
                 "same_c_before_plans_live": [s.coverage for _, s in engines["before"]] == live
                 == [s.coverage for _, s in engines["plans"]]}
            for name, scores in engines.items():
                busy = [s for t, s in scores if t in ran]
                r[name] = {"cpu_ms": {q: pct([s.worker_cpu_ms for s in busy], v) for q, v in
                                      (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
                           "wall_ms": {q: pct([s.scoring_ms for s in busy], v) for q, v in
                                       (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
                           "converted": sum(s.converted for s in busy), "through_plans": sum(s.fast for s in busy)}
            try:  # monocart's merge and conversion alongside at every step: raises on any difference
                r["verified_every_step"] = [s.coverage for _, s in replay_fast(takes, verify=True)] == live
            except Exception as exc:  # noqa: BLE001 - reported, not hidden
                r["verified_every_step"] = f"FAILED: {exc}"
            merged = replay_fast(takes, mode="merged")
            r["monocart_from_scratch_at"] = {t: replay_reference(takes, upto=t)[-1]["C_merged"] == merged[t][1].coverage
                                             for t in probes if t <= steps}
            res[app] = r
            b, p = r["before"], r["plans"]
            print(f"  scoring {app}: CPU p99 {b['cpu_ms']['p99']} -> {p['cpu_ms']['p99']} ms, wall p99 "
                  f"{b['wall_ms']['p99']} -> {p['wall_ms']['p99']} ms; same C(t) {r['same_c_before_plans_live']}, "
                  f"verified {r['verified_every_step']}, from scratch {r['monocart_from_scratch_at']}", flush=True)
    return res


def observation_part(corpus: Path, apps: list[str], repeats: int) -> dict:
    """Screenshot cost and pixel difference on each app's start page: the old path (1280x720 PNG + PIL
    resize), Chromium's clip-scaled capture at devicePixelRatio 1 (scaled_render=False) and the plain
    capture of a page rendered at devicePixelRatio 0.5 (the default), PNG and JPEG. CPU ms are summed
    over every process (Chromium's encoding and compositing, the driver, Python)."""
    res: dict[str, list[float]] = {}
    add = lambda k, v: res.setdefault(k, []).append(v)  # noqa: E731
    with CorpusServer(corpus) as server:
        env = RecordEnv(EnvConfig(start_url=server.url_for(apps[0])))
        try:
            for app in apps:
                env.retarget(server.url_for(app))
                ref = None
                for scaled in (False, True):
                    env.cfg.scaled_render = scaled
                    env.reset()
                    page = env.page
                    paths = {"scaled_png": "png", "scaled_jpeg": "jpeg"} if scaled else {
                        "old_png_resize": None, "clip_png": "png", "clip_jpeg": "jpeg"}
                    for name, fmt in paths.items():
                        env.cfg.screenshot_format = fmt or "png"
                        env._screenshot(page)  # warm-up; and let the page's own work after its load finish
                        time.sleep(0.5)
                        before = CpuSampler().stop()  # CPU over all repeats (psutil counts in 10 ms ticks)
                        for _ in range(repeats):
                            t0 = time.perf_counter()
                            if fmt is None:
                                raw = page.screenshot(type="png")
                                img = Image.open(io.BytesIO(raw)).convert("RGB").resize((640, 360), Image.BILINEAR)
                                buf = io.BytesIO()
                                img.save(buf, format="PNG", optimize=False, compress_level=1)
                                data = buf.getvalue()
                            else:
                                data = env._screenshot(page)[0]
                            add(f"{name}_ms", (time.perf_counter() - t0) * 1000)
                        time.sleep(0.05)  # the compositor's work after the last capture counts too
                        after = CpuSampler().stop()
                        add(f"{name}_cpu_ms", 1000 * sum(after[k] - before.get(k, 0) for k in after) / repeats)
                        env.cfg.screenshot_format = "png"
                        px = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)
                        ref = px if ref is None else ref
                        add(f"{name}_kib", len(data) / 1024)
                        add(f"{name}_diff", float(np.abs(px - ref).mean()))
        finally:
            env.close()
    return {k: round(statistics.median(v), 2) for k, v in res.items()}


CAPTURE_PATHS = {"old_png_resize": "old: 1280x720 PNG + PIL bilinear + PNG (DPR 1)",
                 "clip_png": "clip at scale 0.5, PNG (DPR 1, scaled_render=False)",
                 "clip_jpeg": "clip at scale 0.5, JPEG q90 (DPR 1)",
                 "scaled_png": "plain capture at DPR 0.5, PNG (default)",
                 "scaled_jpeg": "plain capture at DPR 0.5, JPEG q90"}


def cpu_child(corpus: Path, apps: list[str], steps: int, seed: int) -> dict:
    """Part 5, in a child process whose jamel is JAMEL_BENCH_CODE: crawler sessions (same seeds as
    part 1), CPU by process kind over the step loops only (agent + env.step), and apart from it the
    session overhead (reset, one per session)."""
    from jamel.agents.base import PastStep, SessionContext

    loop: dict[str, float] = {}
    overhead: dict[str, float] = {}
    out: dict = {"code": str(CODE), "apps": {}, "wall_s": 0.0, "steps": 0}

    def add(into: dict, before: dict, after: dict) -> None:
        for k, v in after.items():
            into[k] = into.get(k, 0.0) + v - before.get(k, 0.0)

    with CorpusServer(corpus) as server:
        env = RecordEnv(EnvConfig(start_url=server.url_for(apps[0])))
        env.reset()  # browser and scorer started: not part of either measure
        try:
            for app in apps:
                env.retarget(server.url_for(app))
                sampler = CpuSampler(0.05)  # running: the old context's renderer ends during the reset
                sampler.start()
                c0 = CpuSampler().stop()
                obs, info = env.reset(seed=seed)
                add(overhead, c0, sampler.stop())
                agent = build_agent("crawler")
                ctx = SessionContext(app=app, start_url=env.cfg.start_url, max_steps=steps)
                agent.begin_session(ctx, session_seed(seed, app, 0))
                curve, actions, rewards = [info["coverage"]], [], []
                sampler = CpuSampler()
                sampler.start()
                base = CpuSampler().stop()
                t0 = time.perf_counter()
                for t in range(1, steps + 1):
                    ctx.step = t
                    action = agent.act(obs, ctx).action
                    before = obs
                    obs, reward, _, _, info = env.step(action)
                    before.text()  # what the step record stores
                    ctx.history.append(PastStep(t, 0, before.url, action, info["valid"], info["error"], reward))
                    curve.append(info["coverage"])
                    actions.append(action)
                    rewards.append(reward)
                out["wall_s"] += time.perf_counter() - t0
                out["steps"] += steps
                add(loop, base, sampler.stop())
                out["apps"][app] = {"C": curve, "actions": actions, "rewards": rewards}
        finally:
            env.close()
    out["loop_cpu_s"], out["reset_cpu_s"] = loop, overhead
    return out


def cpu_part(corpus: Path, apps: list[str], steps: int, seed: int, baseline: str, repeats: int) -> dict:
    """Per-step CPU by process kind, the baseline checkout vs this one, alternating, same seeds."""
    runs: dict[str, list[dict]] = {"baseline": [], "current": []}
    for _ in range(repeats):
        for name, code in (("baseline", baseline), ("current", str(CODE))):
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                cmd = [sys.executable, __file__, "--cpu-child", f.name, "--apps", ",".join(apps), "--steps",
                       str(steps), "--seed", str(seed), "--child-corpus", str(corpus)]
                subprocess.run(cmd, check=True, env={**os.environ, "JAMEL_BENCH_CODE": code})
                runs[name].append(json.loads(Path(f.name).read_text()))
            r = runs[name][-1]
            print(f"  cpu {name:<8} {1000 * sum(r['loop_cpu_s'].values()) / r['steps']:.0f} ms CPU/step, "
                  f"{1000 * r['wall_s'] / r['steps']:.0f} ms wall/step", flush=True)
    res: dict = {"baseline_code": baseline, "current_code": str(CODE), "repeats": repeats, "apps": apps,
                 "steps": steps}
    for name, rs in runs.items():
        kinds = sorted({k for r in rs for k in r["loop_cpu_s"]})
        per = lambda r, k, key="loop_cpu_s": 1000 * r[key].get(k, 0.0) / r["steps"]  # noqa: E731
        res[name] = {
            "cpu_ms_per_step": round(statistics.median(sum(per(r, k) for k in kinds) for r in rs), 1),
            "wall_ms_per_step": round(statistics.median(1000 * r["wall_s"] / r["steps"] for r in rs), 1),
            "by_kind": {k: round(statistics.median(per(r, k) for r in rs), 1) for k in kinds},
            "reset_cpu_ms": round(statistics.median(1000 * sum(r["reset_cpu_s"].values()) / len(apps) for r in rs)),
            "C_T": {a: rs[0]["apps"][a]["C"][-1] for a in apps}}
    first = {n: rs[0]["apps"] for n, rs in runs.items()}
    res["same_c_t"] = {a: all(r["apps"][a]["C"] == first["baseline"][a]["C"] for rs in runs.values() for r in rs)
                       for a in apps}
    res["same_actions"] = {a: all(r["apps"][a]["actions"] == first["baseline"][a]["actions"]
                                  for rs in runs.values() for r in rs) for a in apps}
    return res


def markdown(result: dict) -> str:
    a = result["args"]
    lines = [f"# bench_throughput ({result['date']}, {cores()} cores, load avg at start {result['loadavg']})", "",
             f"crawler, {a['steps']} steps, seed {a['seed']}; adaptive: quiet {a['quiet_ms']} ms, cap {a['cap_ms']} ms",
             "", "## Settle: same app, same seed, back to back", ""]
    settings = a["settings"]
    head = "| app | " + " | ".join(f"{s} median step ms | {s} C(T) | {s} reward" for s in settings) + " | equal C(T) |"
    lines += [head, "|" + "---|" * (2 + 3 * len(settings))]
    for app, by in result["settle"].items():
        cells = " | ".join(f"{by[s]['step_ms_median']} | {by[s]['C_T']} | {by[s]['cumulative_reward']}" for s in settings)
        equal = len({by[s]["C_T"] for s in settings}) == 1
        lines.append(f"| {app} | {cells} | {'yes' if equal else 'NO'} |")
    lines += ["", "Step-time breakdown, median over all steps of all apps (ms):", "",
              "| setting | step | " + " | ".join(p.replace("_ms", "") for p in PARTS) + " |",
              "|" + "---|" * (2 + len(PARTS))]
    for s, b in result["breakdown"].items():
        lines.append(f"| {s} | {b['step_ms']} | " + " | ".join(str(b[p]) for p in PARTS) + " |")
    if result.get("workers"):
        lines += ["", "## Parallel sessions (explore, whole panel, pool start-up included)", "",
                  f"Scorer plan cache: {result['workers'][0].get('plan_cache', 'cold')}.", "",
                  "| settle | round | workers | wall s | steps/s | steps/s per core | speed-up | CPU ms/step | cores busy | C(T) | "
                  "load avg at start |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in result["workers"]:
            lines.append(f"| {r['setting']} | {r.get('round', 0)} | {r.get('layout', r['workers'])} | {r['wall_s']} | {r['steps_per_s']} | "
                         f"{r['steps_per_s_per_core']} | {r['speedup_vs_first']} | {r['cpu_ms_per_step']} | "
                         f"{r['cores_busy']} | {sum(r['C_T'].values())} | {r.get('loadavg', '')} |")
        lines += ["", "CPU ms per step by process kind:", ""]
        for r in result["workers"]:
            lines.append(f"- {r['setting']}, round {r.get('round', 0)}, {r.get('layout', r['workers'])} worker(s): " + ", ".join(
                f"{k} {v}" for k, v in r["cpu_ms_per_step_by_kind"].items() if v >= 1))
    if result.get("scoring"):
        lines += ["", "## Scoring per step that ran app code (engine before plans -> plans, same takes)", "",
                  "| app | steps (ran code) | CPU p50 | CPU p90 | CPU p99 | CPU max | wall p50 | wall p99 | conversions "
                  "(through plans) | same C(t) | verified every step | monocart from scratch |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for app, r in result["scoring"].items():
            b, p = r["before"], r["plans"]
            arrow = lambda k, q: f"{b[k][q]} -> {p[k][q]}"  # noqa: E731
            lines.append(f"| {app} | {r['steps']} ({r['steps_that_ran_app_code']}) | {arrow('cpu_ms', 'p50')} | "
                         f"{arrow('cpu_ms', 'p90')} | {arrow('cpu_ms', 'p99')} | {arrow('cpu_ms', 'max')} | "
                         f"{arrow('wall_ms', 'p50')} | {arrow('wall_ms', 'p99')} | {p['converted']} "
                         f"({p['through_plans']}) | {r['same_c_before_plans_live']} | {r['verified_every_step']} | "
                         f"{r['monocart_from_scratch_at']} |")
    if result.get("observation"):
        o = result["observation"]
        lines += ["", "## Observation screenshot (median per capture, CPU summed over all processes)", "",
                  "| path | wall ms | CPU ms | KiB | mean abs pixel diff vs old (0-255) |", "|---|---|---|---|---|"]
        for key, label in CAPTURE_PATHS.items():
            lines.append(f"| {label} | {o[key + '_ms']} | {o[key + '_cpu_ms']} | {o[key + '_kib']} | {o[key + '_diff']} |")
    if result.get("cpu"):
        c = result["cpu"]
        b, n = c["baseline"], c["current"]
        kinds = sorted(set(b["by_kind"]) | set(n["by_kind"]), key=lambda k: -b["by_kind"].get(k, 0))
        lines += ["", f"## CPU per step (crawler, {c['steps']} steps on {', '.join(c['apps'])}, step loops only; baseline "
                  f"{c['baseline_code']} vs {c['current_code']}, alternating, median of {c['repeats']})", "",
                  "| | " + " | ".join(["CPU ms/step", "wall ms/step", *kinds, "reset CPU ms"]) + " |",
                  "|" + "---|" * (4 + len(kinds))]
        for name, r in (("baseline", b), ("current", n)):
            lines.append(f"| {name} | {r['cpu_ms_per_step']} | {r['wall_ms_per_step']} | "
                         + " | ".join(str(r["by_kind"].get(k, 0)) for k in kinds) + f" | {r['reset_cpu_ms']} |")
        lines += ["", f"Same C(t) at every step: {c['same_c_t']}; same actions: {c['same_actions']}"]
    lines += ["", "## Targets", ""] + [f"- {t}" for t in result["targets"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", default="messenger,settings,shop,travel,video,backbone_todo")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--settings", default="fixed250,adaptive", help=f"comma list of {','.join(SETTINGS)}")
    ap.add_argument("--settle-repeats", type=int, default=1,
                    help="part 1: run each setting this many times (name#2, ...): is a setting repeatable at all?")
    ap.add_argument("--quiet-ms", type=int, default=50)
    ap.add_argument("--cap-ms", type=int, default=1500)
    ap.add_argument("--workers-list", default=None,
                    help="comma list of worker counts, default 1,2,...,2x cores (powers of two); NxK: N workers, K "
                         "sessions per worker process (4x1: four processes, each with its own driver and browser)")
    ap.add_argument("--workers-apps", default="bank,circle,messenger,settings,shop,tasks,travel,video",
                    help="panel of part 2 (the demo corpus: 8 sessions, 2 per worker with 4 workers)")
    ap.add_argument("--workers-steps", type=int, default=None, help="default --steps")
    ap.add_argument("--sessions", type=int, default=1, help="part 2: sessions per app")
    ap.add_argument("--workers-repeats", type=int, default=1,
                    help="part 2: rounds of the worker counts (the speed-up is the median over rounds)")
    ap.add_argument("--workers-settings", default="adaptive", help="comma list: settles to run part 2 under")
    ap.add_argument("--plan-cache", choices=("cold", "warm"), default="cold",
                    help="part 2: each run's scorers start with no plan kept on disk (cold: a first run on the "
                         "panel), or share one filled by an untimed run first (warm: any later run)")
    ap.add_argument("--scoring-apps", default="backbone_todo", help="part 4")
    ap.add_argument("--scoring-steps", type=int, default=300)
    ap.add_argument("--probes", default="1,150,300", help="part 4: steps checked against monocart from scratch")
    ap.add_argument("--shot-repeats", type=int, default=10)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: settle,workers,observation,scoring,cpu")
    ap.add_argument("--extra-corpus", default=None, help="another corpus folder whose apps join the demo corpus")
    ap.add_argument("--baseline", default=None, help="part 5: a checkout (e.g. a `git worktree` of main) whose "
                    "per-step CPU is measured next to this one's (part 5 is skipped without it)")
    ap.add_argument("--cpu-apps", default="shop,messenger,settings,travel")
    ap.add_argument("--cpu-steps", type=int, default=30)
    ap.add_argument("--cpu-repeats", type=int, default=2)
    ap.add_argument("--cpu-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-corpus", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--workers-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--output", default="runs/bench_throughput")
    args = ap.parse_args()
    if args.workers_child:  # part 2's child process: one worker count
        res = workers_child(Path(args.child_corpus), args.workers_apps.split(","), args.workers_list,
                            args.workers_steps, args.sessions, args.seed, args.workers_settings, Path(args.output))
        Path(args.workers_child).write_text(json.dumps(res))
        return
    if args.cpu_child:  # part 5's child process
        res = cpu_child(Path(args.child_corpus), args.apps.split(","), args.steps, args.seed)
        Path(args.cpu_child).write_text(json.dumps(res))
        return
    skip = set(filter(None, args.skip.split(",")))
    out = Path(args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    apps = [a for a in args.apps.split(",") if a]
    settings = [s + (f"#{r + 1}" if r else "") for r in range(args.settle_repeats) for s in args.settings.split(",") if s]
    wl = args.workers_list or ",".join(str(2 ** i) for i in range(8) if 2 ** i <= 2 * cores())
    workers_list = [x.strip() for x in wl.split(",") if x.strip()]
    result: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "loadavg": round(os.getloadavg()[0], 1),
                    "args": {"apps": apps, "steps": args.steps, "seed": args.seed, "settings": settings,
                             "quiet_ms": args.quiet_ms, "cap_ms": args.cap_ms, "workers_list": workers_list,
                             "sessions": args.sessions},
                    "cores": cores(), "settle": {}, "breakdown": {}, "targets": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = build_corpus(Path(tmp) / "corpus")
        ensure_demo_vendor(corpus)  # the framework apps' React/Vue/Preact builds (else they load no app code)
        if args.extra_corpus:
            shutil.copytree(args.extra_corpus, corpus, dirs_exist_ok=True)
        if "settle" not in skip:
            print("part 1: settle", flush=True)
            result["settle"] = settle_part(corpus, apps, settings, args.steps, args.seed, args.quiet_ms, args.cap_ms,
                                           out)
            for s in settings:
                steps = [r for by in result["settle"].values() for r in [by[s]]]
                all_ms = [ms for r in steps for ms in r["all_step_ms"]]
                rows = {p: [] for p in PARTS}
                for app in result["settle"]:
                    table = pq.read_table(out / "settle" / s / app / "trajectory.parquet").to_pylist()
                    for p in PARTS:
                        rows[p] += [r[p] for r in table]
                result["breakdown"][s] = {"step_ms": pct(all_ms, 50), **{p: pct(rows[p], 50) for p in PARTS}}
            if "fixed250" in settings and "adaptive" in settings:
                by = result["settle"]
                half = all(by[a]["adaptive"]["step_ms_median"] <= by[a]["fixed250"]["step_ms_median"] / 2 for a in by)
                equal = [a for a in by if by[a]["adaptive"]["C_T"] == by[a]["fixed250"]["C_T"]]
                result["targets"].append(
                    f"median step wall time adaptive <= half of fixed 250 ms on every app: {'yes' if half else 'no'} "
                    f"(overall {result['breakdown']['adaptive']['step_ms']} vs {result['breakdown']['fixed250']['step_ms']} ms); "
                    f"equal C(T) on {len(equal)}/{len(by)} apps")
        if "workers" not in skip:
            print("part 2: workers", flush=True)
            wapps = [a for a in args.workers_apps.split(",") if a]
            wsettings = [x for x in args.workers_settings.split(",") if x]
            result["workers"] = workers_part(corpus, wapps, workers_list, args.workers_steps or args.steps,
                                             args.sessions, args.seed, wsettings, out, args.workers_repeats,
                                             args.plan_cache)
            for setting in wsettings:
                walls = {(r["round"], r["layout"]): r["wall_s"] for r in result["workers"] if r["setting"] == setting}
                ups = [round(walls[(k, "1")] / walls[(k, "4")], 2) for k in range(args.workers_repeats)
                       if (k, "1") in walls and (k, "4") in walls]
                if ups:
                    result["targets"].append(f"--workers 4 vs --workers 1 on {cores()} cores ({setting} settle): "
                                             f"{statistics.median(ups)}x, median of {len(ups)} round(s) "
                                             f"{ups} (target >= 2x)")
        if "observation" not in skip:
            print("part 3: observation", flush=True)
            result["observation"] = observation_part(corpus, apps, args.shot_repeats)
        if args.baseline and "cpu" not in skip:
            print("part 5: CPU per step, baseline vs current", flush=True)
            result["cpu"] = cpu_part(corpus, [a for a in args.cpu_apps.split(",") if a], args.cpu_steps, args.seed,
                                     args.baseline, args.cpu_repeats)
            b, n = result["cpu"]["baseline"], result["cpu"]["current"]
            result["targets"].append(f"CPU per step {b['cpu_ms_per_step']} -> {n['cpu_ms_per_step']} ms "
                                     f"({round(n['cpu_ms_per_step'] / b['cpu_ms_per_step'], 2)}x); same C(t): "
                                     f"{all(result['cpu']['same_c_t'].values())}")
        if "scoring" not in skip:
            print("part 4: scoring", flush=True)
            sapps = [a for a in args.scoring_apps.split(",") if a]
            result["scoring"] = scoring_part(corpus, sapps, args.scoring_steps, args.seed,
                                             [int(x) for x in args.probes.split(",") if x], out)
            for app, r in result["scoring"].items():
                result["targets"].append(
                    f"scoring p99 on {app} over {r['steps']} steps: worker CPU {r['plans']['cpu_ms']['p99']} ms "
                    f"(before plans {r['before']['cpu_ms']['p99']}), wall {r['plans']['wall_ms']['p99']} ms "
                    f"(before {r['before']['wall_ms']['p99']}); target <= 50 ms; identical C(t): "
                    f"{r['same_c_before_plans_live']}")
    (out / "bench_throughput.json").write_text(json.dumps(result, indent=1))
    md = markdown(result)
    (out / "bench_throughput.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
