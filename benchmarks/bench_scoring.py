"""Benchmark: cost of scoring a step, incremental engine vs the release-style re-conversion, and
where a step's wall time goes.

    python benchmarks/bench_scoring.py [--steps 50] [--apps backbone_todo,shop,...] [--output runs/bench]

For each app, a crawler session of `--steps` steps is recorded (real Chromium, real CDP coverage).
Then, on that recording:
  * engine: per-step scoring time of the incremental scorer (replayed in a fresh worker; also the
    live time measured during the session);
  * naive: the public release's approach, one fresh `node` process per step that converts every
    take of steps 1..t from scratch with monocart (timed at steps 1, 25 and 50);
  * both give the same C(t) (checked here too);
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

import pyarrow.parquet as pq  # noqa: E402

from jamel.agents import build_agent  # noqa: E402
from jamel.browser.env import BrowserEnv, EnvConfig  # noqa: E402
from jamel.corpus import DEMO_CORPUS  # noqa: E402
from jamel.coverage.scorer import REFERENCE_JS, node_env, node_modules_dir, replay_fast  # noqa: E402
from jamel.explore import run_session  # noqa: E402
from jamel.server import CorpusServer  # noqa: E402

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
    with open(takes) as fh:
        return {d["step"] for d in map(json.loads, fh) if d["entries"]}


def naive_step_ms(takes: Path, step: int, repeats: int) -> tuple[float, int]:
    """Wall time of one release-style scoring of `step` (fresh node process, all takes so far)."""
    times, c = [], -1
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run(["node", str(REFERENCE_JS), str(takes), "--upto", str(step)], capture_output=True,
                             text=True, env=node_env(), check=True)
        times.append((time.perf_counter() - t0) * 1000)
        c = json.loads(out.stdout.strip().splitlines()[-1])["C_merged"]
    return statistics.median(times), c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--apps", default="backbone_todo,shop")
    ap.add_argument("--agent", default="crawler")
    ap.add_argument("--repeats", type=int, default=3, help="naive timings: median of this many runs")
    ap.add_argument("--settle-ms", type=int, default=250)
    ap.add_argument("--output", default="runs/bench_scoring")
    args = ap.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    results = {"config": vars(args), "apps": {}}
    probe_steps = sorted({1, max(1, args.steps // 2), args.steps})
    with tempfile.TemporaryDirectory() as tmp:
        corpus = build_corpus(Path(tmp) / "corpus")
        with CorpusServer(corpus) as server:
            for app in args.apps.split(","):
                session = out / app
                cfg = EnvConfig(start_url=server.url_for(app), max_steps=args.steps, settle_ms=args.settle_ms)
                with BrowserEnv(cfg) as env:
                    summary = run_session(env, build_agent(args.agent), app, session, seed=0, steps=args.steps,
                                          session_id=f"bench/{app}", html_report=False)
                rows = pq.read_table(session / "trajectory.parquet").to_pylist()
                takes = session / "coverage_takes.jsonl"
                replay = replay_fast(takes, mode="merged")  # fresh worker: step 0 is the page load
                # Steps where nothing of the app ran cost nothing to score; report the cost at the probe
                # step, or at the next step that had new coverage to fold in.
                ran = steps_with_takes(takes)
                active = [t for t, _ in replay if t >= 1 and t in ran]
                probe_at = {t: next((a for a in active if a >= t), t) for t in probe_steps}
                engine = {t: round(replay[probe_at[t]][1].scoring_ms, 1) for t in probe_steps}
                busy = sorted(replay[a][1].scoring_ms for a in active) or [0.0]
                naive, parity = {}, True
                for t in probe_steps:
                    ms, c = naive_step_ms(takes, t, args.repeats)
                    naive[t] = round(ms, 1)
                    parity &= c == replay[t][1].coverage
                mean = lambda k: round(statistics.fmean(r[k] for r in rows), 1)  # noqa: E731
                steps_ms = mean("step_ms")
                breakdown = {k: mean(k) for k in ("action_ms", "settle_ms", "coverage_ms", "scoring_ms",
                                                  "observation_ms", "step_ms")}
                live = [r["scoring_ms"] for r in rows]
                res = {
                    "cumulative_reward": summary["cumulative_reward"], "coverage_final": summary["coverage_final"],
                    "engine_scoring_ms_at_step": engine, "engine_probe_step_used": probe_at,
                    "engine_scoring_ms_steps_with_takes": {
                        "n": len(active), "p50": round(statistics.median(busy), 1),
                        "p90": round(busy[int(0.9 * (len(busy) - 1))], 1), "max": round(busy[-1], 1)},
                    "naive_scoring_ms_at_step": naive,
                    "parity_with_monocart": parity,
                    "live_scoring_ms": {"mean": round(statistics.fmean(live), 1), "max": round(max(live), 1),
                                        "p50": round(statistics.median(live), 1)},
                    "step_breakdown_ms": breakdown,
                    "instrumentation_share": round((breakdown["coverage_ms"] + breakdown["scoring_ms"]) / steps_ms, 3),
                    "coverage_take_share": round(breakdown["coverage_ms"] / steps_ms, 3),
                    "takes_file_bytes": takes.stat().st_size,
                }
                results["apps"][app] = res
                print(f"\n== {app}: {args.steps} steps, cumulative reward {res['cumulative_reward']}, "
                      f"C(T)={res['coverage_final']}, parity={parity}")
                print(f"{'step':>6}{'engine ms':>12}{'(at step)':>10}{'naive ms':>12}")
                for t in probe_steps:
                    print(f"{t:>6}{engine[t]:>12.1f}{probe_at[t]:>10}{naive[t]:>12.1f}")
                e = res["engine_scoring_ms_steps_with_takes"]
                print(f"engine over the {e['n']} steps that ran app code: p50 {e['p50']} ms, p90 {e['p90']} ms, max {e['max']} ms")
                print("step breakdown (mean ms): " + ", ".join(f"{k[:-3]} {v}" for k, v in breakdown.items()))
                print(f"instrumentation (take + scoring) {100 * res['instrumentation_share']:.1f}% of step wall time; "
                      f"take alone {100 * res['coverage_take_share']:.1f}%")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out / 'results.json'}")


if __name__ == "__main__":
    main()
