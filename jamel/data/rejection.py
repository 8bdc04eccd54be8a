"""Rejection fine-tuning prefixes (docs/method.md, Training data).

Per episode keep steps 1..t*, t* = the last rewarded step; drop episodes without reward. Release
additions, each a flag: drop prefixes that contain an invalid step, remove duplicate action prefixes,
append a synthetic `reset()` step after t*.

The output (`jamel.schemas.RejectionRow`) keeps *every* input step (a step dropped here still happened:
later steps of its session remember it) and marks the training samples with `keep`; synthetic `reset()`
rows are added with `synthetic=True`. So the file is both the memory source and the sample list for
`jamel prepare-sft`.

    jamel rejection --input runs/x/*/session_*/trajectory.parquet --output data/kept.parquet
"""
from __future__ import annotations

import glob
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from jamel.config import opt
from jamel.schemas import RejectionRow, StepRecord

SYNTHETIC_RESET = "reset()"


@dataclass
class RejectionConfig:
    drop_invalid_prefixes: bool = opt(True, "do not drop prefixes with an invalid step", flag="--keep-invalid-prefixes")
    dedupe_action_prefixes: bool = opt(True, "keep duplicate action prefixes", flag="--no-dedupe")
    append_reset: bool = opt(True, "do not append a synthetic reset() after t*", flag="--no-reset")


@dataclass
class RejectionStats:
    """What each rule kept and dropped (printed, and saved next to the output)."""

    sessions: int = 0
    episodes: int = 0
    steps: int = 0
    episodes_with_reward: int = 0
    steps_in_prefixes: int = 0  # steps 1..t* of rewarded episodes
    prefixes_dropped_invalid: int = 0
    prefixes_after_invalid_filter: int = 0
    prefixes_dropped_duplicate: int = 0
    prefixes_kept: int = 0
    steps_kept: int = 0
    synthetic_resets: int = 0
    synthetic_resets_skipped_no_next_observation: int = 0  # t* ended the session or its episode
    samples: int = 0

    def table(self) -> str:
        return "\n".join(f"{k:<48}{v:>8}" for k, v in asdict(self).items())


def select_prefixes(rows: list[dict], cfg: RejectionConfig, stats: RejectionStats | None = None) -> list[dict]:
    """`rows`: step records (`StepRecord.read_rows`) of any number of sessions. Returns them all (sorted
    by session, step) with `keep` and `synthetic` added (`RejectionRow`s), plus synthetic reset rows."""
    stats = stats or RejectionStats()
    sessions: dict[str, list[dict]] = {}
    for r in rows:
        sessions.setdefault(r["session_id"], []).append(dict(r, keep=False, synthetic=False))
    seen_prefixes: set[tuple] = set()
    out: list[dict] = []
    for sid in sorted(sessions):
        steps = sorted(sessions[sid], key=lambda r: r["step"])
        if len({r["step"] for r in steps}) != len(steps):
            raise ValueError(f"session {sid}: duplicate step indices (the same session given twice?)")
        stats.sessions += 1
        stats.steps += len(steps)
        episodes: dict[int, list[dict]] = {}
        for r in steps:
            episodes.setdefault(r["episode"], []).append(r)
        stats.episodes += len(episodes)
        synthetic: list[dict] = []
        for ep in sorted(episodes):
            ep_rows = episodes[ep]
            rewarded = [i for i, r in enumerate(ep_rows) if r["reward"] > 0]
            if not rewarded:
                continue
            stats.episodes_with_reward += 1
            prefix = ep_rows[: rewarded[-1] + 1]
            stats.steps_in_prefixes += len(prefix)
            if cfg.drop_invalid_prefixes and any(not r["valid"] for r in prefix):
                stats.prefixes_dropped_invalid += 1
                continue
            stats.prefixes_after_invalid_filter += 1
            key = (prefix[0]["app"], tuple(r["action_canonical"] or r["action"] for r in prefix))
            if cfg.dedupe_action_prefixes and key in seen_prefixes:
                stats.prefixes_dropped_duplicate += 1
                continue
            seen_prefixes.add(key)
            stats.prefixes_kept += 1
            for r in prefix:
                r["keep"] = True
            stats.steps_kept += len(prefix)
            if cfg.append_reset:
                nxt = next((r for r in steps if r["step"] == prefix[-1]["step"] + 1), None)
                if nxt is None or nxt["episode"] != ep:  # t* ended the session or the episode: nothing to reset
                    stats.synthetic_resets_skipped_no_next_observation += 1
                    continue
                synthetic.append(dict(nxt, keep=True, synthetic=True, action=SYNTHETIC_RESET,
                                      action_canonical=SYNTHETIC_RESET, model_output=f"<action>{SYNTHETIC_RESET}</action>",
                                      valid=True, error="", reward=0, coverage_delta=0))
                stats.synthetic_resets += 1
        out.extend(steps)
        out.extend(synthetic)
    stats.samples = sum(r["keep"] for r in out)
    return out


def expand_inputs(inputs: list[str]) -> list[str]:
    """Files and glob patterns -> sorted file list (a pattern that matches nothing is kept, to fail loudly)."""
    paths = sorted({p for pattern in inputs for p in (glob.glob(pattern) or [pattern])})
    if not paths:
        raise FileNotFoundError(f"no input files match {inputs}")
    return paths


def run(inputs: list[str], output: str, cfg: RejectionConfig) -> RejectionStats:
    paths = expand_inputs(inputs)
    stats = RejectionStats()
    out = RejectionRow.write(output, select_prefixes(StepRecord.read_rows(*paths), cfg, stats))
    out.with_suffix(".stats.json").write_text(json.dumps({"inputs": paths, "config": asdict(cfg),
                                                          "stats": asdict(stats)}, indent=2))
    return stats


@dataclass
class DataFiles:
    input: list[str] = opt(help="input parquet files or globs (trajectory.parquet, or rejection's output)")
    output: str = opt(help="output path")


def rejection(files: DataFiles, cfg: RejectionConfig) -> int:
    """Rejection-sampling prefixes of trajectories; writes every step with keep/synthetic columns."""
    stats = run(files.input, files.output, cfg)
    print(stats.table())
    print(f"wrote {files.output} and {Path(files.output).with_suffix('.stats.json')}")
    return 0
