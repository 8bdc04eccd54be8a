"""`jamel` command line: `jamel explore ...`, `jamel serve ...`."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from jamel.corpus import load_corpus


def _explore_parser(sub) -> None:
    p = sub.add_parser("explore", help="let an agent explore apps; every step scored by coverage novelty",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--corpus", default=None, help="folder of <app>/index.html (default: the bundled demo corpus)")
    p.add_argument("--apps", default="all", help="comma list of app ids, or test10 | train86 | demo | all")
    p.add_argument("--agent", default="crawler", help="random | crawler | jamel")
    p.add_argument("--model-path", default=None, help="jamel agent: packaged model folder (actor/, compressor/, model.json)")
    p.add_argument("--device", default=None, help="jamel agent: torch device (default cpu)")
    p.add_argument("--temperature", type=float, default=None, help="jamel agent: sampling temperature (default 0.8)")
    p.add_argument("--top-p", type=float, default=None, help="jamel agent: nucleus sampling top_p (default 0.9)")
    p.add_argument("--steps", type=int, default=50, help="steps per session (T)")
    p.add_argument("--sessions", type=int, default=1, help="sessions per app")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default="runs/explore", help="run folder; rerunning with it resumes")
    p.add_argument("--coverage-filter", default="app", choices=["app", "http"],
                   help="app: only the app's own scripts count; http: every http script (the release's choice)")
    p.add_argument("--settle-ms", type=int, default=250, help="wait after each action before coverage is taken")
    p.add_argument("--action-timeout-ms", type=int, default=3000)
    p.add_argument("--episode-steps", type=int, default=0,
                   help="go back to the start page every N steps (sessions of episodes; 0 = only when the agent resets)")
    p.add_argument("--no-record-takes", action="store_true", help="do not keep coverage_takes.jsonl")
    p.add_argument("--no-html-report", action="store_true", help="skip the per-session monocart HTML report")
    p.add_argument("--no-progress", action="store_true")


def cmd_explore(args) -> int:
    from jamel.explore import ExploreConfig, explore, format_table

    if args.steps < 1 or args.sessions < 1 or args.episode_steps < 0:
        raise SystemExit("--steps and --sessions must be >= 1, --episode-steps >= 0")
    corpus = load_corpus(args.corpus)
    apps = corpus.resolve(args.apps)
    agent_kwargs = {k: v for k, v in (("model_path", args.model_path), ("device", args.device),
                                      ("temperature", args.temperature), ("top_p", args.top_p)) if v is not None}
    if args.agent != "jamel":
        agent_kwargs = {}  # the model options only concern the jamel agent
    elif "model_path" not in agent_kwargs:
        raise SystemExit("--agent jamel needs --model-path")
    cfg = ExploreConfig(corpus=str(corpus.root), apps=apps, agent=args.agent, steps=args.steps,
                        sessions=args.sessions, seed=args.seed, output=args.output,
                        coverage_filter=args.coverage_filter, settle_ms=args.settle_ms,
                        action_timeout_ms=args.action_timeout_ms, episode_steps=args.episode_steps,
                        record_takes=not args.no_record_takes,
                        html_report=not args.no_html_report, agent_kwargs=agent_kwargs)
    print(json.dumps({"config": vars(args)}, default=str))
    summary = explore(cfg, corpus, progress=not args.no_progress)
    print(format_table(summary))
    print(f"wrote {cfg.output}/summary.json and summary.csv")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jamel", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    _explore_parser(sub)
    serve = sub.add_parser("serve", help="serve a corpus folder on 127.0.0.1 (see scripts/serve_scalewob.py)",
                           add_help=False)
    serve.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "explore":
        return cmd_explore(args)
    if args.command == "serve":
        from jamel.server import main as serve_main

        return serve_main(args.rest)
    return 2


if __name__ == "__main__":
    sys.exit(main())
