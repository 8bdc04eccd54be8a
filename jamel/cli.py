"""`jamel` command line: one entry point per job.

    jamel explore ...        agents explore apps, every step scored by coverage novelty
    jamel eval ...           a method on an app panel, parallel workers through Ray, reports
    jamel report RUN ...     rebuild reports from existing outputs (several runs merge)
    jamel view RUN ...       static HTML viewer of runs: sessions step by step, maps, curves
    jamel rejection ...      rejection-sampling prefixes of trajectories (SFT data, step 2)
    jamel prepare-sft ...    trajectories -> memory SFT parquet files (step 3)
    jamel serve ...          serve an app corpus on 127.0.0.1
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from pathlib import Path

from jamel.corpus import load_corpus

PASSTHROUGH = {"eval": "jamel.rollout.eval", "report": "jamel.report", "view": "jamel.report.viewer",
               "rejection": "jamel.data.rejection", "prepare-sft": "jamel.data.sft",
               "serve": "jamel.env.server"}
PASSTHROUGH_HELP = {"eval": "evaluate a method on an app panel (Ray workers) and write reports",
                    "report": "rebuild reports from evaluation/explore outputs",
                    "view": "write a static HTML viewer of runs (sessions, steps, exploration maps)",
                    "rejection": "rejection-sampling prefixes of trajectories, with statistics",
                    "prepare-sft": "trajectories -> memory SFT parquet files",
                    "serve": "serve a corpus folder on 127.0.0.1 (see scripts/serve_scalewob.py)"}


def _explore_parser(sub) -> None:
    p = sub.add_parser("explore", help="let an agent explore apps; every step scored by coverage novelty",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--corpus", default=None, help="folder of <app>/index.html (default: the bundled demo corpus)")
    p.add_argument("--apps", default="all", help="comma list of app ids, or test10 | train86 | demo | all")
    p.add_argument("--agent", default="crawler", help="random | crawler | jamel | openai | package.module:Class")
    p.add_argument("--model-path", default=None, help="jamel agent: packaged model folder (actor/, compressor/, model.json)")
    p.add_argument("--device", default=None, help="jamel agent: torch device (default cpu)")
    p.add_argument("--temperature", type=float, default=None, help="jamel agent: sampling temperature (default 0.8)")
    p.add_argument("--top-p", type=float, default=None, help="jamel agent: nucleus sampling top_p (default 0.9)")
    p.add_argument("--model", default=None, help="openai agent: the served model's name")
    p.add_argument("--base-url", default="http://127.0.0.1:8000/v1", help="openai agent: chat endpoint")
    p.add_argument("--vision", action="store_true", help="openai agent: send screenshots (ReAct-vision)")
    p.add_argument("--steps", type=int, default=50, help="steps per session (T)")
    p.add_argument("--sessions", type=int, default=1, help="sessions per app")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default="runs/explore", help="run folder; rerunning with it resumes")
    p.add_argument("--coverage-filter", default="app", choices=["app", "http"],
                   help="app: only the app's own scripts count; http: every http script (the release's choice)")
    p.add_argument("--coverage-mode", default="persistent", choices=["persistent", "merged"],
                   help="persistent: every entity ever covered counts (pays once); merged: monocart's merged total")
    p.add_argument("--browser-path", default=None,
                   help="Chromium to drive (default: $JAMEL_CHROMIUM, Playwright's own Chromium, the system's chromium)")
    add_settle_args(p)
    p.add_argument("--action-timeout-ms", type=int, default=3000)
    p.add_argument("--step-timeout-s", type=float, default=30.0,
                   help="deadline for a whole step; a browser that exceeds it is killed and restarted")
    p.add_argument("--no-overlap-scoring", action="store_true",
                   help="wait for C(t) before taking the observation (default: score while observing; same records)")
    p.add_argument("--episode-steps", type=int, default=0,
                   help="go back to the start page every N steps (sessions of episodes; 0 = only when the agent resets)")
    p.add_argument("--no-record-takes", action="store_true", help="do not keep coverage_takes.jsonl.zst")
    p.add_argument("--no-html-report", action="store_true", help="skip the per-session monocart HTML report")
    p.add_argument("--workers", type=int, default=0,
                   help="sessions in parallel, each worker its own browser and scorer (0: one per core, "
                        "1 for --agent jamel)")
    p.add_argument("--no-progress", action="store_true")


def add_settle_args(p) -> None:
    """How long a step waits after its action before coverage is taken (explore and eval)."""
    p.add_argument("--settle", default=None, choices=["adaptive", "fixed"],
                   help="adaptive (default): until no request, DOM mutation or short timer is pending for the "
                        "quiet window, capped; fixed: sleep --settle-ms")
    p.add_argument("--settle-ms", type=int, default=None, help="fixed settle in ms (250 if unset); implies --settle fixed")
    p.add_argument("--settle-quiet-ms", type=int, default=50, help="adaptive settle: quiet window")
    p.add_argument("--settle-cap-ms", type=int, default=1500, help="adaptive settle: longest wait")


def settle_options(args) -> dict:
    settle = args.settle or ("fixed" if args.settle_ms is not None else "adaptive")
    return {"settle": settle, "settle_ms": 250 if args.settle_ms is None else args.settle_ms,
            "settle_quiet_ms": args.settle_quiet_ms, "settle_cap_ms": args.settle_cap_ms}


def cmd_explore(args) -> int:
    from jamel.rollout.explore import ExploreConfig, explore, format_table

    if args.steps < 1 or args.sessions < 1 or args.episode_steps < 0 or args.workers < 0:
        raise SystemExit("--steps and --sessions must be >= 1, --episode-steps and --workers >= 0")
    try:
        corpus = load_corpus(args.corpus)
        apps = corpus.resolve(args.apps)
    except (ValueError, FileNotFoundError) as exc:  # a bad corpus or app name: say which, no traceback
        raise SystemExit(f"jamel explore: {exc}")
    if args.browser_path:
        from jamel.env.browser import find_chromium

        try:  # checked now; sessions (and their worker processes) read it from the environment
            os.environ["JAMEL_CHROMIUM"] = find_chromium(args.browser_path)
        except RuntimeError as exc:
            raise SystemExit(f"jamel explore: {exc}")
    sampling = {k: v for k, v in (("temperature", args.temperature), ("top_p", args.top_p)) if v is not None}
    agent_kwargs: dict = {}
    if args.agent == "jamel":
        agent_kwargs = {k: v for k, v in (("model_path", args.model_path), ("device", args.device)) if v is not None}
        agent_kwargs.update(sampling)
        if "model_path" not in agent_kwargs:
            raise SystemExit("--agent jamel needs --model-path")
    elif args.agent == "openai":
        if not args.model:
            raise SystemExit("--agent openai needs --model (the served model's name)")
        agent_kwargs = {"model": args.model, "base_url": args.base_url, "vision": args.vision,
                        "history_images": args.vision, **sampling}
    cfg = ExploreConfig(corpus=str(corpus.root), apps=apps, agent=args.agent, steps=args.steps,
                        sessions=args.sessions, seed=args.seed, output=args.output,
                        coverage_filter=args.coverage_filter, coverage_mode=args.coverage_mode,
                        **settle_options(args), workers=args.workers,
                        action_timeout_ms=args.action_timeout_ms, step_timeout_s=args.step_timeout_s,
                        overlap_scoring=not args.no_overlap_scoring, episode_steps=args.episode_steps,
                        record_takes=not args.no_record_takes,
                        html_report=not args.no_html_report, agent_kwargs=agent_kwargs)
    print(json.dumps({"config": vars(args)}, default=str))
    summary = explore(cfg, corpus, progress=not args.no_progress)
    print(format_table(summary))
    print(f"wrote {cfg.output}/summary.json and summary.csv")
    failed = Path(cfg.output) / "failed.json"
    if failed.exists():
        print(f"some sessions failed (rerun to redo them): {failed.read_text()}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = bool(argv) and argv[0] in ("-v", "--verbose")
    rest = argv[1:] if verbose else argv
    if rest and rest[0] in PASSTHROUGH:  # jobs with their own parsers get their arguments untouched
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return importlib.import_module(PASSTHROUGH[rest[0]]).main(rest[1:])
    parser = argparse.ArgumentParser(prog="jamel", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    _explore_parser(sub)
    for name, help_text in PASSTHROUGH_HELP.items():  # listed for --help; dispatched above
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return cmd_explore(args)


if __name__ == "__main__":
    sys.exit(main())
