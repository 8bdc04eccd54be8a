"""Exploration trajectories -> memory SFT data (docs/method.md, Training data).

    jamel prepare-sft --input kept.parquet [more ...] --output DIR \
        --compressor-model PATH --max-memory-items 512 --max-length 8192 --val-ratio 0.02 \
        --compression-batch-size 4 --seed 0

Input: step records (`trajectory.parquet` files, or the output of `jamel.data.rejection`, which marks
training samples with `keep`; raw trajectories go through the rejection rules with their defaults).
Every real step of every session is compressed once by the frozen compressor (the screenshot the
step's action was taken on + `Previous action: {action}`), and its vector is stored once:

    DIR/jamel_memory_bank.parquet       `MemoryBankRow`s: session_id, step, vector (float32[H]), one per step
    DIR/jamel_memory_sft_train.parquet  `SftRow`s, one per sample: `messages` (the JAMEL prompt, image part
    DIR/jamel_memory_sft_val.parquet    without data), `image` (PNG), `response` (the target answer) and
                                        `memory_ids`: bank rows of the earlier steps of its session (across
                                        episodes, oldest first, the most recent max-memory-items); no vectors
    DIR/stats.json

The public release stores the memory (up to 512 x 2048 floats) inside every row; here a sample costs
a list of step indices. The split is by session (no session in both) and deterministic in the seed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jamel.config import opt
from jamel.data.rejection import DataFiles, RejectionConfig, RejectionStats, expand_inputs, select_prefixes
from jamel.prompt import memory_action, neutralize_special_tokens
from jamel.schemas import ChatMessage, ChatPart, MemoryBankRow, RejectionRow, SftRow, StepRecord

log = logging.getLogger(__name__)
BANK_FILE = "jamel_memory_bank.parquet"
TRAIN_FILE = "jamel_memory_sft_train.parquet"
VAL_FILE = "jamel_memory_sft_val.parquet"


def recent_steps(past: list[int], max_items: int) -> list[int]:
    """The last `max_items` of `past` (none for 0: a plain `past[-0:]` would keep them all)."""
    return past[-max_items:] if max_items > 0 else []


def split_sessions(sessions: list[str], seed: int, val_ratio: float) -> set[str]:
    """Validation sessions: hash-selected by seed; at least one when val_ratio > 0 and there are >= 2."""
    digest = {s: hashlib.sha256(f"{seed}/{s}".encode()).digest() for s in sessions}
    val = {s for s in sessions if int.from_bytes(digest[s][:8], "little") / 2**64 < val_ratio}
    if val_ratio > 0 and not val and len(sessions) >= 2:
        val = {min(sessions, key=digest.__getitem__)}
    if len(val) == len(sessions) and len(sessions) >= 2:  # never leave training empty
        val.discard(max(val))
    return val


def compressor_folder(path: str | Path) -> Path:
    """The compressor checkpoint: the folder itself, or a packaged JAMEL model's `compressor/`."""
    folder = Path(path)
    if (folder / "model.json").exists():
        folder = folder / json.loads((folder / "model.json").read_text())["compressor"]["path"]
    return folder


def load_compressor(path: str, device: str, batch_size: int):
    """A frozen compressor from a Qwen3-VL (or Qwen2.5-VL) checkpoint folder or a packaged model folder."""
    import torch
    import transformers

    from jamel.model.compressor import MemoryCompressor
    from jamel.model.image import VLProcessor
    from jamel.model.policy import SUPPORTED_ACTORS as classes  # the same two Qwen-VL classes

    folder = compressor_folder(path)
    config = transformers.AutoConfig.from_pretrained(folder)
    if config.model_type not in classes:
        raise ValueError(f"{folder}: compressor must be a Qwen3-VL or Qwen2.5-VL checkpoint, got {config.model_type}")
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    model = getattr(transformers, classes[config.model_type]).from_pretrained(folder, dtype=dtype).to(device)
    return MemoryCompressor(model, VLProcessor.from_pretrained(folder, model_type=config.model_type), batch_size)


def read_rows(inputs: list[str]) -> tuple[list[dict[str, Any]], RejectionStats | None]:
    import pyarrow.parquet as pq

    paths = expand_inputs(inputs)
    filtered = {"keep" in pq.read_schema(p).names for p in paths}
    if len(filtered) > 1:
        raise ValueError("mix of raw trajectories and rejection outputs: give one kind (run `jamel rejection` on all)")
    if filtered == {True}:
        return RejectionRow.read_rows(*paths), None
    stats = RejectionStats()  # raw trajectories: apply the rejection rules first
    return select_prefixes(StepRecord.read_rows(*paths), RejectionConfig(), stats), stats


def prepare(inputs: list[str], output: str, compressor_model: str, max_memory_items: int = 512,
            max_length: int = 8192, val_ratio: float = 0.02, compression_batch_size: int = 4, seed: int = 0,
            device: str = "cpu", tokenizer_model_type: str = "qwen2_5_vl") -> dict[str, Any]:
    import torch

    from jamel.model.image import image_token_count
    from jamel.prompt import build_messages

    t0 = time.perf_counter()
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rows, rejection = read_rows(inputs)
    real = sorted((r for r in rows if not r["synthetic"]), key=lambda r: (r["session_id"], r["step"]))
    samples = [r for r in rows if r["keep"]]
    if not samples:
        raise ValueError("no training samples: no episode with a reward survived the rejection rules")

    # 1. compress every real step once, in session order, batched; store each vector once
    compressor = load_compressor(compressor_model, device, compression_batch_size)
    vectors = []
    with torch.no_grad():
        for i in range(0, len(real), compression_batch_size):
            batch = real[i:i + compression_batch_size]
            # the canonical action (the form the policy is trained to emit, app URLs under DISPLAY_ORIGIN); an
            # action that did not run (canonical '') as the agent's memory holds it: memory_action of the raw text
            items = [(r["screenshot"], memory_action(r["action_canonical"] or r["action"] or "")) for r in batch]
            vectors.append(compressor.compress(items).float().cpu())
    bank = torch.cat(vectors) if vectors else torch.zeros(0, compressor.hidden_size)
    hidden = int(bank.shape[1])
    MemoryBankRow.write_vectors(out / BANK_FILE, [(r["session_id"], r["step"]) for r in real], bank.numpy())
    steps_by_session: dict[str, list[int]] = {}
    bank_row = {(r["session_id"], r["step"]): i for i, r in enumerate(real)}
    for r in real:
        steps_by_session.setdefault(r["session_id"], []).append(r["step"])

    # 2. one row per sample, referencing its memory by step index
    tokenizer = compressor.processor.tokenizer
    image_tokens = image_token_count(model_type=tokenizer_model_type)
    val_sessions = split_sessions(sorted(steps_by_session), seed, val_ratio)
    train, val, too_long = [], [], 0
    for r in sorted(samples, key=lambda r: (r["session_id"], r["step"], r["synthetic"])):
        memory_steps = recent_steps([s for s in steps_by_session[r["session_id"]] if s < r["step"]], max_memory_items)
        memory_ids = [bank_row[(r["session_id"], s)] for s in memory_steps]
        # the prompt exactly as the agent saw it at this step (observation + the error shown with it)
        obs = _StoredObservation(r["observation"], r["screenshot"], r["last_action_error"])
        messages = build_messages(obs)
        prompt = compressor.processor.apply_chat_template(messages, add_generation_prompt=True)
        # the supervised answer: the action only, in the answer format (loss is on these tokens)
        answer = f"<action>{neutralize_special_tokens(r['action_canonical'] or r['action'])}</action>"
        total = len(tokenizer(prompt + answer + "<|im_end|>")["input_ids"]) + image_tokens + len(memory_steps)
        if total > max_length:
            too_long += 1
            continue
        # image parts without their PNG (it is stored once, in `SftRow.image`)
        stored_messages = [ChatMessage(m["role"], [ChatPart(p["type"], p.get("text")) for p in m["content"]])
                           for m in messages]
        row = SftRow(sample_id=f"{r['session_id']}#{r['step']}{'+reset' if r['synthetic'] else ''}",
                     session_id=r["session_id"], app=r["app"], step=r["step"], episode=r["episode"],
                     synthetic=r["synthetic"], messages=stored_messages,
                     image=r["screenshot"], response=answer, memory_ids=memory_ids, num_tokens=total,
                     memory_bank=BANK_FILE)
        (val if r["session_id"] in val_sessions else train).append(row)
    SftRow.write(out / TRAIN_FILE, train)
    SftRow.write(out / VAL_FILE, val)

    inline_bytes = sum(len(x.memory_ids) for x in train + val) * hidden * 4
    stats = {
        "rejection": asdict(rejection) if rejection else "input already filtered",
        "sessions": len(steps_by_session), "val_sessions": sorted(val_sessions), "steps_compressed": len(real),
        "compressor_forward_calls": compressor.forward_calls, "hidden_size": hidden,
        "samples_train": len(train), "samples_val": len(val), "samples_dropped_too_long": too_long,
        "max_memory_items": max_memory_items, "max_length": max_length, "seed": seed,
        "bytes": {name: (out / name).stat().st_size for name in (BANK_FILE, TRAIN_FILE, VAL_FILE)},
        "release_style_inline_memory_bytes": inline_bytes,
        "wall_s": round(time.perf_counter() - t0, 2),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    return stats


@dataclass
class _StoredObservation:
    """An observation rebuilt from a step record: what `build_messages` reads of one."""

    observation: str  # the rendered text, as the agent saw it
    screenshot: bytes
    last_action_error: str = ""

    def text(self) -> str:
        return self.observation


@dataclass
class PrepareSftConfig:  # prepare()'s options, by the same names
    compressor_model: str = opt(help="Qwen3-VL checkpoint or packaged JAMEL model folder")
    max_memory_items: int = opt(512, "memory vectors per sample (the most recent ones)")
    max_length: int = opt(8192, "drop samples longer than this (all tokens)")
    val_ratio: float = opt(0.02, "share of sessions in the validation file")
    compression_batch_size: int = opt(4, "steps per compressor forward")
    seed: int = opt(0, "seed of the train/val split")
    device: str = opt("cpu", "torch device of the compressor")


def prepare_sft(files: DataFiles, cfg: PrepareSftConfig) -> int:
    """Trajectories (or rejection output) -> memory bank + SFT train/val parquet files; prints the statistics."""
    print(json.dumps(prepare(files.input, files.output, **asdict(cfg)), indent=2))
    return 0
