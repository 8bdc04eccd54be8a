"""Scoring off the critical path and the unchanged-pattern skip: same C(t) as monocart from scratch,
flat memory (takes on disk, compressed), and the incremental trajectory writer."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from conftest import bid_of
from jamel.env.coverage.scorer import ZSTD_MAGIC, find_takes, iter_takes, read_takes, replay_fast, replay_reference
from jamel.corpus import load_corpus
from jamel.rollout.explore import ExploreConfig, explore

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


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.browser
def test_overlapped_scoring_gives_the_same_session(tmp_path):
    """Scoring overlapped with the observation: identical records and C(t) on a demo app."""
    corpus = load_corpus(None)
    runs = {}
    for overlap in (True, False):
        out = tmp_path / f"overlap_{overlap}"
        cfg = ExploreConfig(corpus=str(corpus.root), apps=["shop"], agent="crawler", steps=10, output=str(out),
                            settle_ms=100, html_report=False, overlap_scoring=overlap)
        explore(cfg, corpus, progress=False)
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


# -- without a browser: synthetic V8 takes of a small script ---------------------------------------
SRC = "function f(x) {\n  if (x) { return 1; }\n  return 2;\n}\nf(0);\n"


def _take(count_f: int, if_taken: int, first: bool = False):
    from jamel.env.coverage.collector import ScriptTake

    body_start, body_end = SRC.index("{"), SRC.index("}\nf(") + 1
    then_start, then_end = SRC.index("{ return 1"), SRC.index("}\n  return 2") + 1
    ranges = [{"startOffset": 0, "endOffset": body_end, "count": count_f}]
    if if_taken != count_f:
        ranges.append({"startOffset": then_start, "endOffset": then_end, "count": if_taken})
    functions = [{"functionName": "", "isBlockCoverage": False,
                  "ranges": [{"startOffset": 0, "endOffset": len(SRC), "count": 1 if first else 0}]},
                 {"functionName": "f", "isBlockCoverage": True, "ranges": ranges}]
    assert body_start < then_start
    return ScriptTake("k1", "http://127.0.0.1/app/s.js", functions, SRC if first else None)


def test_takes_on_disk_survive_a_worker_kill_and_sessions_append(tmp_path):
    from jamel.env.coverage.scorer import NoveltyScorer

    takes = tmp_path / "coverage_takes.jsonl.zst"
    with NoveltyScorer() as scorer:
        scorer.record_path = takes
        seqs = []
        for session in range(2):
            scorer.clear()
            seq = [scorer.add([_take(1, 0, first=True)]).coverage]
            seq.append(scorer.add([_take(1, 0)]).coverage)  # new: the top level did not run this time
            seq.append(scorer.add([_take(1, 0)]).coverage)  # the same pattern again: skipped
            assert (scorer.skips, scorer.conversions) == (1, 2)
            scorer._worker.proc.kill()  # dies mid-session: the next step replays the session from disk
            scorer._worker.proc.wait()
            seq.append(scorer.add([_take(2, 1)]).coverage)  # the `then` branch for the first time
            seq.append(scorer.add([]).coverage)
            seqs.append(seq)
        assert seqs[0] == seqs[1] and seqs[0][3] > seqs[0][2] == seqs[0][1] == seqs[0][0]
    with NoveltyScorer() as fresh:  # the same steps without a kill
        expected = [fresh.add(t).coverage for t in ([_take(1, 0, first=True)], [_take(1, 0)], [_take(1, 0)],
                                                     [_take(2, 1)], [])]
    assert seqs[0] == expected
    assert takes.read_bytes()[:4] == ZSTD_MAGIC
    steps = [step for step, _ in iter_takes(takes)]
    assert steps == [0, 1, 2, 3, 4] * 2  # both sessions, in order, nothing replayed twice
    sources = [t.source is not None for _, ts in iter_takes(takes) for t in ts]
    assert sources == [True, False, False, False] * 2  # the source once per session


def test_trajectory_is_written_in_row_groups(tmp_path):
    from dataclasses import fields

    from jamel.rollout.explore import TrajectoryWriter
    from jamel.schemas import StepRecord

    def record(t):
        kw = {f.name: (0 if f.type == "int" else "" if f.type == "str" else False if f.type == "bool" else
                       b"" if f.type == "bytes" else [] if f.type.startswith("list") else 0.0)
              for f in fields(StepRecord)}
        kw.update(step=t, screenshot=b"\x89PNG" + bytes(1000), observation="tree", open_urls=[])
        return StepRecord(**kw)

    writer = TrajectoryWriter(tmp_path / "trajectory.parquet", row_group=4)
    for t in range(1, 11):
        writer.append(record(t))
    assert len(writer._buffer) == 2  # 8 steps already on disk, 2 waiting
    assert all(r.screenshot == b"" and r.observation == "" for r in writer.light)
    writer.close()
    table = pq.read_table(tmp_path / "trajectory.parquet")
    assert pq.ParquetFile(tmp_path / "trajectory.parquet").metadata.num_row_groups == 3
    assert table.column("step").to_pylist() == list(range(1, 11))
    assert table.column("screenshot").to_pylist()[0].startswith(b"\x89PNG")
