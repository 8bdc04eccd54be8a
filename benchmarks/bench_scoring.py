"""Benchmark: cost of scoring a step, incremental engine vs the release-style re-conversion, and
where a step's wall time goes.

    python benchmarks/bench_scoring.py [--steps 300] [--apps backbone_todo,shop,...] [--output runs/bench]

For each app, a crawler session of `--steps` steps is recorded (real Chromium, real CDP coverage),
with scoring overlapped with the observation (the default). Then, on that recording:
  * scoring p50/p90/p99 (wall ms, and the Node worker's CPU ms, which a busy machine inflates less,
    per step that ran app code) of the engine without the unchanged-pattern
    skip ("old": every script that ran is re-converted) and with it ("new"), both replayed in the
    same run from the same takes in fresh workers, and the C(t) sequences of both and of the live
    session (must be identical);
  * live: the scorer's time during the session and how long the step actually waited for it
    after the observation (`scoring_wait_ms`, the part left on the critical path);
  * naive: the public release's approach, one fresh `node` process per step that converts every
    take of steps 1..t from scratch with monocart (timed at a few probe steps; `--naive-repeats 0`
    skips it), whose C(t) must match too;
  * memory and disk: the Python process's RSS growth per 100 steps (psutil, after step 50) and the
    bytes per step of the compressed takes and of trajectory.parquet;
  * a breakdown of a step's wall time: action, settle, coverage take, scoring, observation.
`backbone_todo` is a benchmark app (benchmarks/apps) whose own scripts include jQuery, Underscore and
Backbone, copied at run time from the pinned npm packages (not committed).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from jamel.agents import build_agent  # noqa: E402
from jamel.env.browser import RecordEnv, EnvConfig  # noqa: E402
from jamel.corpus import DEMO_CORPUS  # noqa: E402
from jamel.env.coverage.scorer import (REFERENCE_JS, find_takes, iter_takes, node_env, node_modules_dir,  # noqa: E402
                                   plain_takes, replay_fast)
from jamel.rollout.explore import run_session  # noqa: E402
from jamel.env.server import CorpusServer  # noqa: E402

VENDOR = {"jquery.js": "jquery/dist/jquery.js", "underscore-umd.js": "underscore/underscore-umd.js",
          "backbone.js": "backbone/backbone.js"}


def build_corpus(dest: Path) -> Path:
    """Demo apps plus the Backbone benchmark app with its libraries as the app's own scripts."""
    shutil.copytree(DEMO_CORPUS, dest, dirs_exist_ok=True)
    app = dest / "backbone_todo"
    shutil.copytree(ROOT / "benchmarks" / "apps" / "backbone_todo", app, dirs_exist_ok=True)
    for name, rel in VENDOR.items():
        shutil.copy(node_modules_dir() / rel, app / name)
    return dest


def steps_with_takes(takes: Path) -> set[int]:
    return {step for step, entries in iter_takes(takes) if entries}


def naive_step_ms(takes: Path, step: int, repeats: int) -> tuple[float, int]:
    """Wall time of one release-style scoring of `step` (fresh node process, all takes so far)."""
    from jamel.env.coverage.scorer import node_executable  # here: a baseline checkout (JAMEL_BENCH_CODE) may lack it

    times, c = [], -1
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run([node_executable(), str(REFERENCE_JS), str(takes), "--upto", str(step)], capture_output=True,
                             text=True, env=node_env(), check=True)
        times.append((time.perf_counter() - t0) * 1000)
        c = json.loads(out.stdout.strip().splitlines()[-1])["C_merged"]
    return statistics.median(times), c


def quantiles(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs) or [0.0]
    at = lambda q: xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]  # noqa: E731
    return {"n": len(xs), "p50": round(at(0.5), 1), "p90": round(at(0.9), 1), "p99": round(at(0.99), 1),
            "max": round(xs[-1], 1)}


def compare_engines(takes: Path) -> dict:
    """Old (no skip) vs new engine on one recorded session, in fresh workers: quantiles and C(t)."""
    ran = steps_with_takes(takes)
    replays = {name: replay_fast(takes, mode="persistent", skip_unchanged=skip, plan_cache=None)
               for name, skip in (("old", False), ("new", True))}
    res = {"same_c": [s.coverage for _, s in replays["old"]] == [s.coverage for _, s in replays["new"]]}
    for name, r in replays.items():
        busy = [s for t, s in r if t >= 1 and t in ran]
        res[name] = {"wall_ms": quantiles([s.scoring_ms for s in busy]),
                     "cpu_ms": quantiles([s.worker_cpu_ms for s in busy]),
                     "converted": sum(s.converted for _, s in r), "skipped": sum(s.skipped for _, s in r)}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--apps", default="backbone_todo,shop,messenger,settings,video,travel")
    ap.add_argument("--agent", default="crawler")
    ap.add_argument("--naive-repeats", type=int, default=1, help="naive timings: median of this many runs (0: skip)")
    ap.add_argument("--settle-ms", type=int, default=250)
    ap.add_argument("--output", default="runs/bench_scoring")
    ap.add_argument("--takes", nargs="*", help="only compare the engines on these recorded takes files")
    args = ap.parse_args()
    if args.takes:
        for path in args.takes:
            print(path, json.dumps(compare_engines(Path(path)), indent=1))
        return
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    results = {"config": vars(args), "apps": {}}
    probe_steps = sorted({1, max(1, args.steps // 2), args.steps})
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = build_corpus(Path(tmp) / "corpus")
        with CorpusServer(corpus) as server:
            for app in args.apps.split(","):
                session = out / app
                cfg = EnvConfig(start_url=server.url_for(app), max_steps=args.steps, settle_ms=args.settle_ms)
                rss: dict[int, int] = {}
                with RecordEnv(cfg) as env:
                    summary = run_session(env, build_agent(args.agent), app, session, seed=0, steps=args.steps,
                                          session_id=f"bench/{app}", html_report=False,
                                          on_step=lambda r: rss.__setitem__(r.step, proc.memory_info().rss))
                rows = pq.read_table(session / "trajectory.parquet").to_pylist()
                takes = find_takes(session)
                live_c = [summary["coverage_initial"]] + [r["coverage"] for r in rows]
                ran = steps_with_takes(takes)
                # fresh workers, same takes: the engine without the skip ("old") and with it ("new")
                replays = {name: replay_fast(takes, mode="persistent", skip_unchanged=skip, plan_cache=None)
                           for name, skip in (("old", False), ("new", True))}
                same_c = all([s.coverage for _, s in r] == live_c for r in replays.values())
                scoring = {name: quantiles([s.scoring_ms for t, s in r if t >= 1 and t in ran])
                           for name, r in replays.items()}
                cpu = {name: quantiles([s.worker_cpu_ms for t, s in r if t >= 1 and t in ran])
                       for name, r in replays.items()}
                work = {name: {"converted": sum(s.converted for _, s in r), "skipped": sum(s.skipped for _, s in r)}
                        for name, r in replays.items()}
                merged = replay_fast(takes, mode="merged")
                naive, parity = {}, True
                if args.naive_repeats > 0:
                    with plain_takes(takes) as plain:
                        for t in probe_steps:
                            ms, c = naive_step_ms(plain, t, args.naive_repeats)
                            naive[t] = round(ms, 1)
                            parity &= c == merged[t][1].coverage
                mean = lambda k: round(statistics.fmean(r[k] for r in rows), 1)  # noqa: E731
                steps_ms = mean("step_ms")
                breakdown = {k: mean(k) for k in ("action_ms", "settle_ms", "coverage_ms", "scoring_ms",
                                                  "scoring_wait_ms", "observation_ms", "step_ms")}
                after = sorted(t for t in rss if t >= min(50, args.steps // 2))
                growth = ((rss[after[-1]] - rss[after[0]]) / (after[-1] - after[0]) * 100 / 2**20
                          if len(after) > 1 else 0.0)
                res = {
                    "cumulative_reward": summary["cumulative_reward"], "coverage_final": summary["coverage_final"],
                    "steps_that_ran_app_code": len([t for t in ran if t >= 1]),
                    "scoring_ms_old": scoring["old"], "scoring_ms_new": scoring["new"],
                    "worker_cpu_ms_old": cpu["old"], "worker_cpu_ms_new": cpu["new"], "conversions": work,
                    "same_c_sequence_old_new_live": same_c,
                    "live_scoring_ms": quantiles([r["scoring_ms"] for r in rows if r["step"] in ran]),
                    "live_scoring_wait_ms": quantiles([r["scoring_wait_ms"] for r in rows]),
                    "naive_scoring_ms_at_step": naive, "parity_with_monocart": parity,
                    "step_breakdown_ms": breakdown,
                    "instrumentation_share": round((breakdown["coverage_ms"] + breakdown["scoring_wait_ms"]) / steps_ms, 3),
                    "rss_growth_mb_per_100_steps": round(growth, 2),
                    "takes_bytes_per_step": round(takes.stat().st_size / (args.steps + 1)),
                    "trajectory_bytes_per_step": round((session / "trajectory.parquet").stat().st_size / args.steps),
                }
                results["apps"][app] = res
                print(f"\n== {app}: {args.steps} steps ({res['steps_that_ran_app_code']} ran app code), cumulative "
                      f"reward {res['cumulative_reward']}, C(T)={res['coverage_final']}, same C(t) old/new/live: "
                      f"{same_c}, monocart parity: {parity}")
                for name in ("old", "new"):
                    q, c = scoring[name], cpu[name]
                    print(f"  scoring {name:>3}: p50 {q['p50']:>7} p90 {q['p90']:>7} p99 {q['p99']:>7} max {q['max']:>7} ms"
                          f"  ({work[name]['converted']} conversions, {work[name]['skipped']} skipped)")
                    print(f"     worker CPU: p50 {c['p50']:>7} p90 {c['p90']:>7} p99 {c['p99']:>7} max {c['max']:>7} ms")
                lw = res["live_scoring_wait_ms"]
                print(f"  live: waited for the score p50 {lw['p50']} p90 {lw['p90']} p99 {lw['p99']} ms after the observation")
                if naive:
                    print("  release-style ms at step " + ", ".join(f"{t}: {ms}" for t, ms in naive.items()))
                print("  step breakdown (mean ms): " + ", ".join(f"{k[:-3]} {v}" for k, v in breakdown.items()))
                print(f"  RSS growth {res['rss_growth_mb_per_100_steps']} MB / 100 steps; disk per step: takes "
                      f"{res['takes_bytes_per_step']} B, trajectory {res['trajectory_bytes_per_step']} B")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out / 'results.json'}")


if __name__ == "__main__":
    main()
