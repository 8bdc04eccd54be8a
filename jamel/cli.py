"""`jamel <verb>`: one entry point per job; `jamel <verb> --help` lists its flags.

Each verb is a function whose parameters are config dataclasses; their fields are the flags (see
`jamel.config`), so a flag, its default and its help are written once, on the dataclass the code uses.
Adding a verb is one line in VERBS: `"rl": ("jamel.train.rl:train", "help")` for
`def train(cfg: RLConfig, agent: AgentOptions) -> int`. `jamel -v <verb>` logs at INFO level.
"""
from __future__ import annotations

import importlib
import logging
import sys

from jamel.config import run_command

# verb -> ("module:function", help); the module is imported only when its verb runs
VERBS: dict[str, tuple[str, str]] = {
    "explore": ("jamel.rollout.commands:explore", "let an agent explore apps; every step scored by coverage novelty"),
    "eval": ("jamel.rollout.commands:evaluate", "evaluate a method on an app panel (Ray workers) and write reports"),
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
}


def usage() -> str:
    width = max(map(len, VERBS))
    return ("usage: jamel [-v] <verb> [flags]   (jamel <verb> --help)\n\n"
            + "\n".join(f"  {verb:<{width}}  {help_text}" for verb, (_, help_text) in VERBS.items()))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = bool(argv) and argv[0] in ("-v", "--verbose")
    rest = argv[1:] if verbose else argv
    verb = next((v for v in (" ".join(rest[:2]), " ".join(rest[:1])) if v in VERBS), None)
    if verb is None:
        print(usage(), file=sys.stdout if not rest or rest[0] in ("-h", "--help") else sys.stderr)
        return 0 if not rest or rest[0] in ("-h", "--help") else 2
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module, _, name = VERBS[verb][0].partition(":")
    return run_command(getattr(importlib.import_module(module), name), rest[len(verb.split()):], f"jamel {verb}")


if __name__ == "__main__":
    sys.exit(main())
