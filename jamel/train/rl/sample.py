"""One RL training sample = one environment step, built the same way wherever it is needed.

A step sample is (prompt ids, screenshot PNG, memory vectors, response ids, rollout log-probs). The prompt ids
come from `jamel.prompt.build_messages` rendered by `VLProcessor` (exactly the SFT/eval prompt); the memory
vectors are the frozen compressor's outputs for the session's earlier steps, computed once in the env worker.
`model_inputs` turns the screenshot and the vectors into the model's extra inputs; the rollout server (to
generate) and verl's agent-loop worker (to build `multi_modal_inputs` for the trainer) both call it, so the
training forward sees the very tensors the rollout saw.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jamel.model.image import VLProcessor


@dataclass
class StepSample:
    """What the env worker returns for one step (picklable; crosses Ray)."""

    prompt_ids: list[int]
    response_ids: list[int]
    log_probs: list[float]
    screenshot: bytes | None
    memory: np.ndarray  # float32 [n, H_c]: the vectors of the earlier steps the prompt was given
    step: int  # 1-based step of the session
    episode: int
    state_key: str  # jamel.env.state.state_key of the observation the step acted from
    action: str = ""
    reward: int = 0
    valid: bool = False
    new_coverage: int = 0  # C(t) - C(t-1)
    extra: dict[str, Any] = field(default_factory=dict)


def server_name(replica_rank: int) -> str:
    """The Ray name of a replica's generate server (env workers look it up; see rollout.py)."""
    return f"jamel_hf_rollout_{replica_rank}"


def load_processor(model_path: str | Path):
    """JAMEL's PIL processor of the model folder (never HF's AutoProcessor: one image pipeline everywhere)."""
    path = Path(model_path)
    cfg = json.loads((path / "config.json").read_text()) if (path / "config.json").exists() else {}
    model_type = (cfg.get("base_config") or {}).get("model_type") or cfg.get("model_type") or "qwen2_5_vl"
    return VLProcessor.from_pretrained(path, model_type=model_type)


def model_inputs(processor, screenshot: bytes | None, memory: np.ndarray) -> dict[str, Any]:
    """The per-sample extra inputs of `JamelMemoryForCausalLM.forward` (verl's `multi_modal_inputs`):
    memory_tokens [n, H_c] + memory_counts [1], and pixel_values / image_grid_thw of the screenshot."""
    memory = np.ascontiguousarray(memory, dtype=np.float32)
    out: dict[str, Any] = {"memory_tokens": torch.from_numpy(memory.copy()),
                           "memory_counts": torch.tensor([memory.shape[0]], dtype=torch.long)}
    if screenshot:
        out.update(processor.preprocess_images([screenshot]))
    return out


def as_list(values) -> list:
    """A TransferQueue / tensordict non-tensor column as a plain list."""
    if hasattr(values, "tolist"):
        return values.tolist()
    return [v.data if hasattr(v, "data") and not isinstance(v, (dict, np.ndarray)) else v for v in values]
