"""`HFGenerateServer`: the HF-transformers generate server of the "jamel_hf" rollout (see rollout.py).

A Ray actor (threaded) holding one copy of `JamelMemoryForCausalLM`. It imports no verl at module level: a
fresh Ray worker unpickles this class before anything else, and verl's plugin import (which registers the
rollout) must not run into a half-imported module.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch

from jamel.model.modeling import JamelMemoryForCausalLM
from jamel.train.rl.sample import load_processor, model_inputs


class HFGenerateServer:
    """Ray actor (threaded): one policy copy; `generate` serialises on a lock (one forward at a time)."""

    def __init__(self, model_path: str, device: str = "cpu", dtype: str | None = None):
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype) if dtype else (torch.bfloat16 if self.device.type == "cuda" else torch.float32)
        self.model = JamelMemoryForCausalLM.from_pretrained(model_path, dtype=self.dtype,
                                                            attn_implementation="sdpa")
        self.model.to(self.device).eval().requires_grad_(False)
        self.processor = load_processor(model_path)
        self.pad_id = self.processor.tokenizer.pad_token_id
        self.lock = threading.Lock()
        self.weights_version: int | None = None

    # --- weight sync ------------------------------------------------------------------------------------
    def load_weights(self, state: dict[str, Any], version: int | None = None) -> int:
        with self.lock, torch.no_grad():
            own = self.model.state_dict()
            unknown = sorted(set(state) - set(own))
            if unknown:
                raise KeyError(f"weights the rollout model does not have: {unknown[:5]} ({len(unknown)})")
            for name, tensor in state.items():
                own[name].copy_(tensor.to(own[name].device, own[name].dtype))
            self.weights_version = version
        return len(state)

    # --- generation ---------------------------------------------------------------------------------------
    def generate(self, prompt_ids: list[int], screenshot: bytes | None, memory: np.ndarray, temperature: float,
                 top_p: float, max_new_tokens: int, seed: int) -> dict[str, Any]:
        inputs = model_inputs(self.processor, screenshot, memory)
        ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=self.device)
        mask = torch.ones_like(ids)
        pixels = inputs.get("pixel_values")
        grid = inputs.get("image_grid_thw")
        if pixels is not None:
            pixels, grid = pixels.to(self.device, self.dtype), grid.to(self.device)
        memory_t = inputs["memory_tokens"].to(self.device, self.dtype)
        with self.lock, torch.no_grad():
            policy = self.model.policy
            eos = policy.default_eos_ids()
            generator = torch.Generator(device=self.device).manual_seed(int(seed))
            tokens = policy.generate(ids, mask, pixels, grid, memory_tokens=[memory_t], temperature=temperature,
                                     top_p=top_p, max_new_tokens=int(max_new_tokens), eos_token_ids=eos,
                                     pad_token_id=self.pad_id, generator=generator)[0].tolist()
            end = next((i + 1 for i, t in enumerate(tokens) if t in eos), len(tokens))
            tokens = tokens[:end]  # up to (and including) the first EOS
            log_probs = self._score(ids, tokens, pixels, grid, memory_t, temperature) if tokens else []
        return {"token_ids": tokens, "log_probs": log_probs, "weights_version": self.weights_version}

    def _score(self, ids, tokens, pixels, grid, memory_t, temperature: float) -> list[float]:
        """Log-probs of the sampled tokens by the trainer's own computation: one forward of the same module in
        its answer-only mode (verl's fused-kernel contract, `temperature=`), at the sampling temperature."""
        full = torch.cat([ids, torch.tensor([tokens], dtype=torch.long, device=ids.device)], dim=1)
        out = self.model(input_ids=full, attention_mask=torch.ones_like(full), memory_tokens=memory_t,
                         memory_counts=torch.tensor([memory_t.shape[0]]), pixel_values=pixels, image_grid_thw=grid,
                         temperature=temperature if temperature > 0 else 1.0)
        return out.log_probs[0, ids.shape[1] - 1:full.shape[1] - 1].float().tolist()

    # --- verl's replica control calls -----------------------------------------------------------------------
    def ready(self) -> bool:
        return True

    def _nothing_to_do(self, *args: Any, **kwargs: Any) -> None:
        """Weights stay resident and requests are never queued: nothing to free, abort or resume."""

    sleep = wake_up = clear_kv_cache = abort_all_requests = resume_generation = _nothing_to_do
