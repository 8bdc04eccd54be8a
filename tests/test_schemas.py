"""Every record handed between stages: written with its declared Arrow schema, read back by pyarrow and by
`datasets.load_dataset("parquet", ...)`, and older files still readable."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jamel.data.rejection import RejectionConfig, run as run_rejection
from jamel.rollout.explore import TrajectoryWriter
from jamel.schemas import (ChatMessage, ChatPart, MemoryBankRow, Record, RejectionRow, SftRow, StepRecord,
                           chat_messages)

datasets = pytest.importorskip("datasets")


def step(session: str, t: int, reward: int, **kw) -> StepRecord:
    base = dict(session_id=session, app="shop", start_url="http://x/shop/", episode=0, step=t, episode_step=t,
                url="http://x/shop/", observation=f"tree {t}", last_action_error="", open_urls=["http://x/shop/"],
                screenshot=b"\x89PNG" + bytes(t), model_output=f"<action>click('{t}')</action>",
                action=f"click('{t}')", action_canonical=f"click('{t}')", valid=True, error="", reward=reward,
                coverage=10 + t, coverage_delta=reward, lines=t, branches=0, statements=t, functions=1,
                coverage_filter="app", browser_restarted=False, agent="crawler", step_ms=12.5)
    return StepRecord(**{**base, **kw})


def sft_row(i: int) -> SftRow:
    return SftRow(sample_id=f"s#{i}", session_id="s", app="shop", step=i, episode=0, synthetic=False,
                  messages=[ChatMessage("system", [ChatPart("text", "explore")]),
                            ChatMessage("user", [ChatPart("image"), ChatPart("text", f"tree {i}")])],
                  image=b"\x89PNG", response=f"<action>click('{i}')</action>", memory_ids=list(range(i - 1)),
                  num_tokens=100 + i, memory_bank="bank.parquet")


def assert_declared(path, cls, n_rows: int):
    """The file's schema is the declared one, and `datasets` reads it with the same features."""
    assert pq.read_schema(path).equals(cls.schema()), (pq.read_schema(path), cls.schema())
    ds = datasets.load_dataset("parquet", data_files=str(path), split="train", cache_dir=str(path.parent / "hf"))
    assert len(ds) == n_rows
    assert ds.features == datasets.Features.from_arrow_schema(cls.schema())
    return ds


def test_trajectory_and_rejection_files(tmp_path):
    path = tmp_path / "s" / "trajectory.parquet"
    path.parent.mkdir()
    with TrajectoryWriter(path, row_group=2) as writer:
        for t, reward in enumerate([0, 1, 0], start=1):  # no step has a box: target_box stays list<double>
            writer.append(step("s", t, reward))
    ds = assert_declared(path, StepRecord, 3)
    assert ds[1]["reward"] == 1 and ds[0]["open_urls"] == ["http://x/shop/"] and ds[0]["target_box"] == []
    assert StepRecord.read(path) == [step("s", t, r) for t, r in enumerate([0, 1, 0], start=1)]

    kept = tmp_path / "kept.parquet"
    stats = run_rejection([str(path)], str(kept), RejectionConfig())
    ds = assert_declared(kept, RejectionRow, 4)  # 3 steps + the synthetic reset() after t* = 2
    assert stats.samples == sum(ds["keep"]) == 3 and sum(ds["synthetic"]) == 1


def test_empty_trajectory_has_the_declared_schema(tmp_path):
    TrajectoryWriter(tmp_path / "t.parquet").close()  # (`datasets` refuses an empty split)
    assert pq.read_schema(tmp_path / "t.parquet").equals(StepRecord.schema())
    assert StepRecord.read(tmp_path / "t.parquet") == []


def test_sft_rows_are_structs_not_json(tmp_path):
    rows = [sft_row(i) for i in (1, 2, 3)]
    path = SftRow.write(tmp_path / "train.parquet", rows)
    ds = assert_declared(path, SftRow, 3)
    assert ds[2]["messages"][1]["content"][1] == {"type": "text", "text": "tree 3"}
    assert ds[2]["memory_ids"] == [0, 1]
    assert SftRow.read(path) == rows  # nested dataclasses come back as dataclasses
    assert chat_messages(ds[0]["messages"])[1]["content"] == [{"type": "image"}, {"type": "text", "text": "tree 1"}]


def test_memory_bank(tmp_path):
    vectors = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    path = MemoryBankRow.write_vectors(tmp_path / "bank.parquet", [("s", t) for t in range(1, 6)], vectors)
    ds = assert_declared(path, MemoryBankRow, 5)
    assert ds[4]["session_id"] == "s" and ds[4]["step"] == 5
    np.testing.assert_array_equal(MemoryBankRow.read_vectors(path), vectors)
    np.testing.assert_array_equal(MemoryBankRow.read_vectors([path, path]), np.concatenate([vectors, vectors]))
    with pytest.raises(ValueError, match="3 keys"):
        MemoryBankRow.write_vectors(tmp_path / "bad.parquet", [("s", 1)] * 3, vectors)


def test_older_files_still_read(tmp_path):
    # SFT rows of the JSON-string era
    old = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi"}]}]
    assert chat_messages(json.dumps(old)) == old
    # a fixed-size-list bank without keys (the tiny test assets' old layout)
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    pq.write_table(pa.table({"vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), 4)}),
                   tmp_path / "bank.parquet")
    np.testing.assert_array_equal(MemoryBankRow.read_vectors(tmp_path / "bank.parquet"), vectors)
    # a trajectory written before a defaulted column existed gets the default; a missing required one fails
    table = StepRecord.table([step("s", 1, 0)])
    pq.write_table(table.drop_columns(["target_box", "agent_ms"]), tmp_path / "old.parquet")
    assert StepRecord.read(tmp_path / "old.parquet") == [step("s", 1, 0)]
    pq.write_table(table.drop_columns(["reward"]), tmp_path / "broken.parquet")
    with pytest.raises(ValueError, match=r"no column\(s\) \['reward'\]"):
        StepRecord.read_rows(tmp_path / "broken.parquet")


def test_rows_are_checked_and_text_made_storable(tmp_path):
    with pytest.raises(TypeError, match="keep"):  # a dict must have exactly the record's fields
        StepRecord.table([{**dataclasses.asdict(step("s", 1, 0)), "keep": True}])
    row = sft_row(1)
    row.messages[1].content[1].text = "a\ud800b"  # a lone surrogate (page text) inside a nested struct
    long = step("s", 1, 0, model_output="x" * 30_000, observation="y" * 30_000)
    SftRow.write(tmp_path / "x.parquet", [row])
    assert SftRow.read(tmp_path / "x.parquet")[0].messages[1].content[1].text == "a\ufffdb"
    back = StepRecord.read(StepRecord.write(tmp_path / "t.parquet", [long]))[0]
    assert back.model_output.endswith("[... 10000 characters cut]") and back.observation == "y" * 30_000


def test_an_undeclared_type_is_refused():
    @dataclass
    class Loose(Record):
        info: dict

    with pytest.raises(TypeError, match="no Arrow type declared"):
        Loose.schema()


def test_observation_text_shows_the_display_origin():
    from jamel.schemas import DISPLAY_ORIGIN, Observation, display_urls

    obs = Observation(url="http://127.0.0.1:4000/a/index.html#/x", title="A", axtree="link 'http://127.0.0.1:4000/b'",
                      interactive=[], open_urls=["http://127.0.0.1:4000/a/index.html#/x", "http://127.0.0.1:40001/c"],
                      active_tab=0, screenshot=b"", origin="http://127.0.0.1:4000")
    text = obs.text()
    assert f"{DISPLAY_ORIGIN}/a/index.html#/x" in text and f"'{DISPLAY_ORIGIN}/b'" in text
    assert "http://127.0.0.1:40001/c" in text and ":4000/" not in text  # another port is another site
    assert display_urls("x http://127.0.0.1:4000", "") == "x http://127.0.0.1:4000"
