"""Crawler trajectories -> rejection prefixes -> prepare_sft_dataset (tiny compressor, real tokenizer)."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from jamel.data import sft as prep  # noqa: E402
from jamel.schemas import ChatPart  # noqa: E402


def test_rejection_counts_are_consistent(sft_data):
    _, kept, stats, _, _ = sft_data
    rows = pq.read_table(kept).to_pylist()
    assert stats.sessions == 4 and stats.steps == 32 and stats.episodes == 8
    assert stats.samples == sum(r["keep"] for r in rows) == stats.steps_kept + stats.synthetic_resets > 0
    assert json.loads(kept.with_suffix(".stats.json").read_text())["stats"]["samples"] == stats.samples


def test_one_vector_per_step_rows_reference_earlier_steps(sft_data):
    _, kept, rejection, out, stats = sft_data
    bank = pq.read_table(out / prep.BANK_FILE).to_pylist()
    assert len(bank) == stats["steps_compressed"] == 32  # every real step once, kept or not
    assert len({(b["session_id"], b["step"]) for b in bank}) == 32
    assert len(bank[0]["vector"]) == stats["hidden_size"]
    assert stats["compressor_forward_calls"] == -(-32 // 3)  # batches of 3
    train = pq.read_table(out / prep.TRAIN_FILE).to_pylist()
    val = pq.read_table(out / prep.VAL_FILE).to_pylist()
    assert train and val and not {r["session_id"] for r in train} & {r["session_id"] for r in val}
    assert len(train) + len(val) + stats["samples_dropped_too_long"] == rejection.samples
    rows_of_bank = [(b["session_id"], b["step"]) for b in bank]
    for r in train + val:  # memory = the earlier steps of its own session, capped, oldest first
        assert [rows_of_bank[i] for i in r["memory_ids"]] == [(r["session_id"], s) for s in range(1, r["step"])][-5:]
        assert r["response"].startswith("<action>") and r["response"].endswith("</action>")
        assert "vector" not in r
    # the same seed gives the same split; rows are readable with `datasets`
    assert prep.split_sessions(sorted({b["session_id"] for b in bank}), 0, 0.3) == set(stats["val_sessions"])
    import datasets

    ds = datasets.load_dataset("parquet", data_files=str(out / prep.TRAIN_FILE), split="train")
    assert len(ds) == len(train)


def test_memory_vectors_match_the_compressor(sft_data):
    """A stored vector is what the compressor gives for that step's screenshot and action."""
    runs, _, _, out, _ = sft_data
    from jamel.data.sft import load_compressor
    from jamel.prompt import memory_action

    bank = {(b["session_id"], b["step"]): b["vector"] for b in pq.read_table(out / prep.BANK_FILE).to_pylist()}
    row = pq.read_table(runs / "shop" / "session_0" / "trajectory.parquet").to_pylist()[2]
    comp = load_compressor(str(out.parent / "pkg"), "cpu", 1)
    vec = comp.compress([(row["screenshot"], memory_action(row["action_canonical"] or row["action"]))])[0]
    assert torch.allclose(vec, torch.tensor(bank[(row["session_id"], row["step"])]), atol=1e-5)


def test_files_have_their_declared_schemas(sft_data, tmp_path):
    """rejection output, memory bank, train and val rows: as `jamel.schemas` declares them, and `datasets`
    reads each with those features (the JAMEL SFT dataset reads the same rows)."""
    import datasets

    from jamel.schemas import MemoryBankRow, RejectionRow, SftRow

    _, kept, _, out, _ = sft_data
    for path, cls in ((kept, RejectionRow), (out / prep.BANK_FILE, MemoryBankRow), (out / prep.TRAIN_FILE, SftRow),
                      (out / prep.VAL_FILE, SftRow)):
        assert pq.read_schema(path).equals(cls.schema()), path
        ds = datasets.load_dataset("parquet", data_files=str(path), split="train", cache_dir=str(tmp_path))
        assert ds.features == datasets.Features.from_arrow_schema(cls.schema())
        assert len(ds) == pq.read_metadata(path).num_rows
    row = SftRow.read(out / prep.TRAIN_FILE)[0]
    assert [m.role for m in row.messages] == ["system", "user"] and row.messages[1].content[0] == ChatPart("image")


def test_recent_steps_cap():
    """--max-memory-items 0 is the no-memory setting: it used to keep every earlier step."""
    assert prep.recent_steps([1, 2, 3], 0) == [] and prep.recent_steps([1, 2, 3], 2) == [2, 3]
    assert prep.recent_steps([1, 2, 3], 512) == [1, 2, 3] and prep.recent_steps([], 5) == []
