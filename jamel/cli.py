"""`jamel <verb>`: one entry point per job; `jamel <verb> --help` lists its flags.

Each verb is a function whose parameters are config dataclasses; their fields are the flags (see
`jamel.config`), so a flag, its default and its help are written once, on the dataclass the code uses.
Adding a verb is one line in VERBS: `"rl": ("jamel.train.rl:train", "help")` for
`def train(cfg: RLConfig, agent: AgentOptions) -> int`. `jamel -v <verb>` logs at INFO level.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from jamel.agents.base import AgentUnavailable
from jamel.agents.options import AgentOptions
from jamel.config import opt, run_command
from jamel.corpus import default_corpus, load_corpus
from jamel.env.browser import find_chromium
from jamel.model.layout import packaged_model_problem
from jamel.rollout import explore as rollout
from jamel.rollout.eval import EvalConfig
from jamel.rollout.explore import ExploreConfig
from jamel.rollout.options import SettingsChanged

# verb -> ("module:function", help); the module is imported only when its verb runs
VERBS: dict[str, tuple[str, str]] = {
    "explore": ("jamel.cli:explore", "let an agent explore apps; every step scored by coverage novelty"),
    "eval": ("jamel.cli:evaluate", "evaluate a method on an app panel (Ray workers) and write reports"),
    "report": ("jamel.report:report", "rebuild reports from evaluation/explore outputs (several runs merge)"),
    "view": ("jamel.report.viewer:view", "write a static HTML viewer of runs (sessions, steps, exploration maps)"),
    "rejection": ("jamel.data.rejection:rejection", "rejection-sampling prefixes of trajectories (SFT data, step 2)"),
    "prepare-sft": ("jamel.data.sft:prepare_sft", "trajectories -> memory SFT parquet files (step 3)"),
    "sft init": ("jamel.train.sft_model:init", "write the model folder verl's SFT trainer starts from"),
    "sft export": ("jamel.train.sft_model:export", "verl SFT checkpoint + compressor -> packaged model folder"),
    "corpus download": ("jamel.corpus.scalewob:corpus_download", "download, verify, extract and check ScaleWoB"),
    "corpus check": ("jamel.corpus.scalewob:corpus_check", "check an installed ScaleWoB corpus against the splits"),
    "corpus scan": ("jamel.env.offline:scan", "report what each app loads from other hosts"),
    "serve": ("jamel.env.server:serve", "serve an app corpus on 127.0.0.1"),
    "rl": ("jamel.train.rl.entry:train", "RL on the novelty reward: verl's PPO trainer over live browser sessions"),
}


@dataclass
class RunOptions:
    """Options of this process, not of the run's results."""

    browser_path: str | None = opt(None, "Chromium to drive (default: $JAMEL_CHROMIUM, Playwright's own Chromium, "
                                         "then the system's chromium)")
    progress: bool = opt(True, "no progress bar")


def _resolve(cfg: ExploreConfig | EvalConfig, run: RunOptions, default_corpus: Path | None):
    """Corpus, app ids and browser checked before any worker starts (ValueError, FileNotFoundError,
    RuntimeError on a bad one)."""
    corpus = load_corpus(cfg.corpus or default_corpus)
    cfg.corpus, cfg.apps = str(corpus.root), corpus.resolve(",".join(cfg.apps))
    if run.browser_path:
        os.environ["JAMEL_CHROMIUM"] = find_chromium(run.browser_path)  # worker processes read it from here
    return corpus


def explore(cfg: ExploreConfig, agent: AgentOptions, run: RunOptions) -> int:
    """Let an agent explore apps; every step is scored by the persistent coverage novelty.

    python -m jamel explore --apps shop,travel --agent crawler --steps 50 --output runs/x
    """
    if cfg.steps < 1 or cfg.sessions < 1 or min(cfg.episode_steps, cfg.workers, cfg.sessions_per_process) < 0:
        raise SystemExit("--steps and --sessions must be >= 1, --episode-steps, --workers and "
                         "--sessions-per-process >= 0")
    try:  # a bad corpus, app name, browser or agent option: say which, no traceback
        corpus = _resolve(cfg, run, None)
        cfg.agent_kwargs = agent.kwargs(cfg.agent)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        raise SystemExit(f"jamel explore: {exc}")
    try:  # a rerun with other settings, or an agent that cannot run at all: one line, no traceback
        summary = rollout.explore(cfg, corpus, progress=run.progress)
    except (SettingsChanged, AgentUnavailable) as exc:
        raise SystemExit(f"jamel explore: {exc}")
    print(rollout.format_table(summary))
    print(f"wrote {cfg.output}/summary.json and summary.csv")
    failed = Path(cfg.output) / "failed.json"
    if failed.exists():
        print(f"some sessions failed (rerun to redo them): {failed.read_text()}", file=sys.stderr)
        return 1
    return 0


def evaluate(cfg: EvalConfig, agent: AgentOptions, run: RunOptions) -> int:
    """Evaluate a method on an app panel with parallel workers (Ray), then write the reports.

    Output: OUTPUT/<method>/<app>/session_<k>/ (as `jamel explore`) and the reports of `jamel report`.
    """
    from jamel.report import build_report
    from jamel.rollout.eval import evaluate as run_eval  # looked up at call time (tests replace it)

    try:  # every input checked before any worker starts: one line and exit status 2 on a bad one
        _resolve(cfg, run, default_corpus())
        cfg.agent_kwargs = agent.kwargs(cfg.agent, gpus=cfg.num_gpus > 0)
        cfg.method = cfg.method or agent.label(cfg.agent)
        if cfg.agent == "jamel":
            if problem := packaged_model_problem(agent.model_path):  # before Ray and torch start, not after
                raise ValueError(problem)
        cfg.validate()
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"jamel eval: {exc}", file=sys.stderr)
        return 2
    try:
        run_eval(cfg, progress=run.progress)
    except (SettingsChanged, AgentUnavailable) as exc:
        print(f"jamel eval: {exc}", file=sys.stderr)
        return 2
    build_report([Path(cfg.output)], Path(cfg.output), max_steps=cfg.max_steps)
    print((Path(cfg.output) / "results.md").read_text())
    return 1 if (Path(cfg.output) / cfg.method / "failed.json").exists() else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = bool(argv) and argv[0] in ("-v", "--verbose")
    rest = argv[1:] if verbose else argv
    verb = next((v for v in (" ".join(rest[:2]), " ".join(rest[:1])) if v in VERBS), None)
    if verb is None:
        asked = not rest or rest[0] in ("-h", "--help")
        width = max(map(len, VERBS))
        print("usage: jamel [-v] <verb> [flags]   (jamel <verb> --help)\n\n"
              + "\n".join(f"  {v:<{width}}  {help_text}" for v, (_, help_text) in VERBS.items()),
              file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module, _, name = VERBS[verb][0].partition(":")
    return run_command(getattr(importlib.import_module(module), name), rest[len(verb.split()):], f"jamel {verb}")


if __name__ == "__main__":
    sys.exit(main())
