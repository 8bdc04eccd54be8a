"""The frozen memory compressor and the per-session memory bank (docs/method.md, Memory).

One memory item = one past step. The compressor (a frozen Qwen3-VL) reads a single user turn: the
screenshot that step's action was taken on + ``Previous action: {action}`` (`jamel.prompt.memory_item_messages`,
rendered with JAMEL's chat template, which ends the turn with ``<|im_end|>``). The memory token is the
last-layer hidden state (after the final norm, i.e. HF's `last_hidden_state`) at that final ``<|im_end|>``.

`MemoryBank` caches tokens by (session_id, step): every step is compressed exactly once, lazily and batched
(`flush`, `compression_batch_size` items per forward), and `tokens_for(session, t)` returns the tokens of all
earlier steps of the session (across episodes/resets), the most recent `max_items` (512) kept.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import nn

from jamel.model.image import VLProcessor
from jamel.model.tokenizer import SPECIAL_IDS
from jamel.prompt import memory_item_messages

END_OF_TURN = SPECIAL_IDS["<|im_end|>"]


class MemoryCompressor:
    """Frozen VL model -> one vector per (screenshot, action). Works with `Qwen3VLForConditionalGeneration`
    (the paper's), its base `Qwen3VLModel`, or the Qwen2.5-VL equivalents."""

    def __init__(self, model: nn.Module, processor: VLProcessor, batch_size: int = 8):
        self.model = model.eval().requires_grad_(False)
        # The base VL model (vision tower + language model, no LM head): its `last_hidden_state` is what we keep.
        self.inner = model.model if hasattr(model, "lm_head") else model
        self.processor = processor
        self.batch_size = max(1, int(batch_size))
        self.forward_calls = 0  # model forwards run (for tests and accounting)
        self.items_compressed = 0

    @property
    def hidden_size(self) -> int:
        cfg = self.model.config
        return int(getattr(cfg, "text_config", cfg).hidden_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    def parameters(self):
        return self.model.parameters()

    def inputs(self, items: Sequence[tuple[bytes | None, str]]) -> dict[str, Any]:
        """Model inputs for a batch of (screenshot PNG, action) items (right-padded)."""
        return self.processor.build([memory_item_messages(png, action) for png, action in items],
                                    add_generation_prompt=False, padding_side="right")

    def compress(self, items: Sequence[tuple[bytes | None, str]]) -> torch.Tensor:
        """[len(items), H] memory tokens, `batch_size` items per forward. No gradients ever flow here."""
        if not items:
            return torch.zeros(0, self.hidden_size, dtype=self.dtype, device=self.device)
        out = []
        # no_grad, not inference_mode: inference tensors could not be saved for backward by the aligner's Linear.
        with torch.no_grad():
            for i in range(0, len(items), self.batch_size):
                enc = self.inputs(items[i:i + self.batch_size])
                enc = {k: v.to(self.device) for k, v in enc.items()}
                if "pixel_values" in enc:
                    enc["pixel_values"] = enc["pixel_values"].to(self.dtype)
                hidden = self.inner(**enc).last_hidden_state  # [b, L, H]
                self.forward_calls += 1
                ids = enc["input_ids"]
                positions = torch.arange(ids.shape[1], device=ids.device).expand_as(ids)
                last = torch.where(ids == END_OF_TURN, positions, -1).amax(dim=1)
                if bool((last < 0).any()):
                    raise RuntimeError("a compressor input has no <|im_end|> token")
                out.append(hidden[torch.arange(ids.shape[0], device=ids.device), last])
        self.items_compressed += len(items)
        return torch.cat(out, dim=0)

    __call__ = compress


@dataclass
class _Item:
    digest: str
    action: str
    screenshot: bytes | None  # dropped once compressed
    token: torch.Tensor | None = None


def _digest(png: bytes | None, action: str) -> str:
    h = hashlib.sha256(png or b"")
    h.update(b"\0" + action.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class MemoryBank:
    """Per-session cache of memory tokens keyed by (session_id, step); each step is compressed once."""

    def __init__(self, compressor: MemoryCompressor, max_items: int = 512, storage_device: str | None = None):
        self.compressor = compressor
        self.max_items = max_items
        self.storage_device = storage_device
        self._sessions: dict[str, dict[int, _Item]] = {}

    def add(self, session_id: str, step: int, screenshot_png: bytes | None, action: str) -> None:
        """Remember step `step` of a session (the screenshot its action was taken on, and the action).
        Re-adding the same content is a no-op; different content replaces the item (compressed again)."""
        items = self._sessions.setdefault(session_id, {})
        digest = _digest(screenshot_png, action or "")
        old = items.get(step)
        if old is not None and old.digest == digest:
            return
        items[step] = _Item(digest, action or "", screenshot_png)

    def __contains__(self, key: tuple[str, int]) -> bool:
        session_id, step = key
        return step in self._sessions.get(session_id, {})

    def flush(self) -> int:
        """Compress every item not compressed yet (all sessions, batched); returns how many."""
        todo = [(sid, step, item) for sid, items in self._sessions.items() for step, item in sorted(items.items())
                if item.token is None]
        if not todo:
            return 0
        tokens = self.compressor.compress([(item.screenshot, item.action) for _, _, item in todo])
        if self.storage_device is not None:
            tokens = tokens.to(self.storage_device)
        for (_, _, item), token in zip(todo, tokens):
            item.token = token
            item.screenshot = None
        return len(todo)

    def steps_for(self, session_id: str, before_step: int, max_items: int | None = None) -> list[int]:
        cap = self.max_items if max_items is None else max_items
        steps = sorted(s for s in self._sessions.get(session_id, {}) if s < before_step)
        return steps[-cap:] if cap else []

    def tokens_for(self, session_id: str, before_step: int, max_items: int | None = None) -> torch.Tensor:
        """[N, H]: the tokens of the session's steps < `before_step` in step order, the last `max_items` kept."""
        steps = self.steps_for(session_id, before_step, max_items)
        if any(self._sessions[session_id][s].token is None for s in steps):
            self.flush()
        if not steps:
            device = self.storage_device or self.compressor.device
            return torch.zeros(0, self.compressor.hidden_size, dtype=self.compressor.dtype, device=device)
        return torch.stack([self._sessions[session_id][s].token for s in steps])

    def clear(self, session_id: str | None = None) -> None:
        if session_id is None:
            self._sessions.clear()
        else:
            self._sessions.pop(session_id, None)
