"""The packaged JAMEL model folder: one call to save, one call to load.

    <dir>/actor/               policy base (HF save_pretrained) + tokenizer + image processor
    <dir>/compressor/          frozen compressor (HF save_pretrained) + tokenizer + image processor
    <dir>/aligner.safetensors  aligner weights (proj.weight, proj.bias, norm.weight, norm.bias)
    <dir>/model.json           everything needed to rebuild (classes, hidden sizes, memory cap, RMS cap,
                               attention implementation, prompt version, ...)
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from jamel.model.aligner import MemoryAligner
from jamel.model.compressor import MemoryCompressor
from jamel.model.image import VLProcessor
from jamel.model.layout import FORMAT, FORMAT_VERSION
from jamel.model.policy import MemoryAugmentedPolicy
from jamel.prompt import MEMORY_ITEM_TEMPLATE, PROMPT_VERSION

log = logging.getLogger(__name__)

@dataclass
class PackagedModel:
    policy: MemoryAugmentedPolicy
    compressor: MemoryCompressor
    processor: VLProcessor  # the actor's
    config: dict[str, Any]
    path: Path

    @property
    def tokenizer(self):
        return self.processor.tokenizer

    @property
    def aligner(self) -> MemoryAligner:
        return self.policy.aligner


def _model_type(model) -> str:
    return model.config.model_type


def save_packaged(directory: str | Path, policy: MemoryAugmentedPolicy, compressor: MemoryCompressor,
                  aligner: MemoryAligner | None = None, tokenizer=None, processor: VLProcessor | None = None,
                  attn_implementation: str = "sdpa", extra: dict[str, Any] | None = None) -> Path:
    """Write the packaged folder. `aligner` defaults to `policy.aligner`; the actor's tokenizer/image processor
    come from `processor`, else `tokenizer` + the model type's image settings."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    aligner = aligner if aligner is not None else policy.aligner
    if aligner is None:
        raise ValueError("no aligner to save")
    if processor is None:
        if tokenizer is None:
            raise ValueError("give the actor's tokenizer or processor")
        processor = VLProcessor.for_model_type(tokenizer, _model_type(policy.base))
    policy.base.save_pretrained(directory / "actor")
    processor.save_pretrained(directory / "actor")
    compressor.model.save_pretrained(directory / "compressor")
    compressor.processor.save_pretrained(directory / "compressor")
    state = {k: v.detach().to("cpu").contiguous() for k, v in aligner.state_dict().items()}
    save_file(state, str(directory / "aligner.safetensors"), metadata={"format": "pt"})
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "prompt_version": PROMPT_VERSION,
        "actor": {"path": "actor", "model_class": type(policy.base).__name__, "model_type": _model_type(policy.base),
                  "hidden_size": policy.hidden_size},
        "compressor": {"path": "compressor", "model_class": type(compressor.model).__name__,
                       "model_type": _model_type(compressor.model), "hidden_size": compressor.hidden_size,
                       "batch_size": compressor.batch_size, "token": "last_hidden_state at the final <|im_end|>",
                       "item_text": MEMORY_ITEM_TEMPLATE},
        "aligner": {"path": "aligner.safetensors", **aligner.config()},
        "memory": {"max_items": policy.max_memory_items},
        "attn_implementation": attn_implementation,
        "dtype": {"cuda": "bfloat16", "cpu": "float32"},
        **(extra or {}),
    }
    (directory / "model.json").write_text(json.dumps(config, indent=2))
    return directory


def _resolve_attn(requested: str | None, device: torch.device) -> str:
    attn = requested or "sdpa"
    if attn == "flash_attention_2":
        try:
            import flash_attn  # noqa: F401
        except ImportError:
            log.warning("flash_attention_2 requested but flash-attn is not installed; using sdpa")
            return "sdpa"
        if device.type != "cuda":
            return "sdpa"
    return attn


def load_packaged(directory: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
                  attn_implementation: str | None = None, max_memory_items: int | None = None,
                  compression_batch_size: int | None = None) -> PackagedModel:
    """Load a packaged folder: policy (base + aligner) and frozen compressor on `device`, in bf16 on GPU and
    fp32 on CPU unless `dtype` is given. Everything is in eval mode."""
    import transformers
    from safetensors.torch import load_file

    directory = Path(directory)
    config = json.loads((directory / "model.json").read_text())
    if config.get("format") != FORMAT:
        raise ValueError(f"{directory} is not a {FORMAT} folder")
    if config.get("prompt_version") != PROMPT_VERSION:
        log.warning("model was trained with prompt %s, this code builds %s", config.get("prompt_version"),
                    PROMPT_VERSION)
    device = torch.device(device)
    if dtype is None:
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    attn = _resolve_attn(attn_implementation or config.get("attn_implementation"), device)

    def load(section: dict[str, Any]):
        cls = getattr(transformers, section["model_class"])
        model = cls.from_pretrained(directory / section["path"], dtype=dtype, attn_implementation=attn)
        return model.to(device).eval()

    actor_cfg, comp_cfg = config["actor"], config["compressor"]
    base = load(actor_cfg)
    aligner = MemoryAligner.from_config(config["aligner"])
    aligner.load_state_dict(load_file(str(directory / config["aligner"]["path"])))
    aligner.to(device=device, dtype=dtype).eval()
    cap = max_memory_items if max_memory_items is not None else config["memory"]["max_items"]
    policy = MemoryAugmentedPolicy(base, aligner, max_memory_items=cap).eval()
    comp_model = load(comp_cfg)
    comp_proc = VLProcessor.from_pretrained(directory / comp_cfg["path"], model_type=comp_cfg["model_type"])
    compressor = MemoryCompressor(comp_model, comp_proc,
                                  batch_size=compression_batch_size or comp_cfg.get("batch_size", 8))
    processor = VLProcessor.from_pretrained(directory / actor_cfg["path"], model_type=actor_cfg["model_type"])
    return PackagedModel(policy=policy, compressor=compressor, processor=processor, config=config, path=directory)
