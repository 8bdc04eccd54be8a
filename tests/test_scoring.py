"""Scoring off the critical path and the unchanged-pattern skip: same C(t) as monocart from scratch,
flat memory (takes on disk, compressed), and the incremental trajectory writer."""
from __future__ import annotations

import json

import pyarrow.parquet as pq

from conftest import bid_of
from jamel.coverage.scorer import ZSTD_MAGIC, find_takes, iter_takes, read_takes, replay_fast, replay_reference
from jamel.corpus import load_corpus
from jamel.explore import ExploreConfig, explore

# A long session on the fixture: the same handlers again and again (the skip path), interleaved
# with new branches, typing, reloads, a second page and resets (where `merged` and `persistent` differ).
LONG = (["Alpha", "Alpha", "Beta", "Alpha", "Beta", "Gamma", "Gamma", "Beta"] + ["goto"] + ["Alpha", "Beta"] * 3
        + ["fill"] + ["page2", "Delta", "Delta", "go_back"] + ["Alpha", "reset", "Gamma", "Alpha", "fill", "Beta"])


def _act(env, obs, name):
    if name == "goto":
        return f"goto('{env.cfg.start_url}')"
    if name in ("reset", "go_back"):
        return f"{name}()"
    if name == "fill":
        return f"fill('{bid_of(obs, 'Name')}', 'x{len(obs.url)}')"
    if name == "page2":
        return f"click('{bid_of(obs, 'Second page', 'link')}')"
    return f"click('{bid_of(obs, name)}')"


def test_skip_unchanged_matches_monocart_over_a_long_session(novelty_env, tmp_path):
    env = novelty_env
    takes = tmp_path / "coverage_takes.jsonl.zst"
    env.scorer.record_path = takes
    obs, info = env.reset()
    seq, skipped = [info["coverage"]], 0
    for name in LONG:
        obs, r, *_, info = env.step(_act(env, obs, name))
        assert not info["error"], (name, info["error"])
        seq.append(info["coverage"])
    assert env.scorer.skips > 0 and env.scorer.conversions > 0  # the skip path ran, and so did conversions
    env.scorer.record_path = None  # ends the compressed stream
    assert takes.read_bytes()[:4] == ZSTD_MAGIC and len(read_takes(takes)) == len(LONG) + 1

    reference = replay_reference(takes)
    assert [row["C_persistent"] for row in reference] == seq
    for mode, key in (("persistent", "C_persistent"), ("merged", "C_merged")):
        with_skip = replay_fast(takes, mode=mode)
        without = replay_fast(takes, mode=mode, skip_unchanged=False)
        assert [s.coverage for _, s in with_skip] == [row[key] for row in reference] == [s.coverage for _, s in without]
        assert sum(s.skipped for _, s in with_skip) > 0 and sum(s.skipped for _, s in without) == 0
        # a skipped script is not converted: the skip saves conversions
        assert sum(s.converted for _, s in with_skip) < sum(s.converted for _, s in without)


def test_overlapped_scoring_gives_the_same_session(tmp_path):
    """Scoring overlapped with the observation: identical records and C(t) on a demo app."""
    corpus = load_corpus(None)
    runs = {}
    for overlap in (True, False):
        out = tmp_path / f"overlap_{overlap}"
        cfg = ExploreConfig(corpus=str(corpus.root), apps=["shop"], agent="crawler", steps=10, output=str(out),
                            settle_ms=100, html_report=False)
        from jamel import explore as explore_mod

        orig = explore_mod.EnvConfig

        def env_config(*a, _overlap=overlap, **kw):
            return orig(*a, overlap_scoring=_overlap, **kw)

        explore_mod.EnvConfig = env_config
        try:
            explore(cfg, corpus, progress=False)
        finally:
            explore_mod.EnvConfig = orig
        rows = pq.read_table(out / "shop" / "session_0" / "trajectory.parquet").to_pylist()
        for r in rows:  # each run serves the corpus on its own port
            r["observation"] = r["observation"].replace(r["start_url"], "START")
        runs[overlap] = rows
    same = ("action", "valid", "error", "reward", "coverage", "coverage_delta", "lines", "branches", "statements",
            "functions", "observation")
    assert [[r[k] for k in same] for r in runs[True]] == [[r[k] for k in same] for r in runs[False]]
    assert sum(r["reward"] for r in runs[True]) > 0
    assert all(r["scoring_wait_ms"] >= 0 for r in runs[True])
    session = tmp_path / "overlap_True" / "shop" / "session_0"
    summary = json.loads((session / "summary.json").read_text())
    assert "scoring_wait_ms" in summary["mean_ms"]
    # the recorded takes stream back, one item per step (C(0) included)
    assert [step for step, _ in iter_takes(find_takes(session))] == list(range(11))
