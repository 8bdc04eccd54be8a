"""JAMEL's memory model as Hugging Face classes. No verl, no Ray: loading or exporting a model needs neither.

    JamelMemoryConfig       model_type "jamel_memory_policy": the actor's config (`base_config`), the aligner's
                            shape, the memory cap and, for a packaged model, the compressor's config
    JamelMemoryForCausalLM  the policy (actor + aligner) behind verl's forward contract: what SFT trains, a
                            standard HF folder (registered with AutoModelForCausalLM)
    JamelModel              the packaged model the `jamel` agent runs: policy + frozen compressor + processors
                            (registered with AutoModel); its `save_pretrained` / `from_pretrained` use the folder

    <dir>/actor/               policy base (HF save_pretrained) + tokenizer + image processor
    <dir>/compressor/          frozen compressor (HF save_pretrained) + tokenizer + image processor
    <dir>/aligner.safetensors  aligner weights (proj.weight, proj.bias, norm.weight, norm.bias)
    <dir>/model.json           what rebuilds it (classes, hidden sizes, memory cap, RMS cap, attention, prompt version)
    <dir>/config.json          the JamelMemoryConfig, for AutoConfig / AutoModel (folders written before it
                               existed load through `JamelModel.from_pretrained`, which reads model.json)

`load_packaged` / `save_packaged` are thin aliases. Importing this module registers the Auto classes (verl's
`model.external_lib=jamel.model.modeling` relies on that).
"""
from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import (CONFIG_MAPPING, AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForImageTextToText,
                          PretrainedConfig, PreTrainedModel)
from transformers.modeling_outputs import CausalLMOutputWithPast, ModelOutput

from jamel.model.aligner import MemoryAligner
from jamel.model.compressor import MemoryCompressor
from jamel.model.image import VLProcessor
from jamel.model.layout import FORMAT, FORMAT_VERSION
from jamel.model.policy import MemoryAugmentedPolicy
from jamel.model.tokenizer import GENERATION_PROMPT_IDS
from jamel.prompt import MEMORY_ITEM_TEMPLATE, PROMPT_VERSION

log = logging.getLogger(__name__)
MODEL_TYPE = "jamel_memory_policy"


def _as_config(cfg: PretrainedConfig | dict | None) -> PretrainedConfig | None:
    return CONFIG_MAPPING[cfg["model_type"]](**cfg) if isinstance(cfg, dict) else cfg


class JamelMemoryConfig(PretrainedConfig):
    model_type = MODEL_TYPE
    sub_configs = {"base_config": AutoConfig, "compressor_config": AutoConfig}

    def __init__(self, base_config: PretrainedConfig | dict | None = None, memory_hidden: int = 2048,
                 aligner_rms_cap: bool = True, aligner_layer_norm: bool = True, max_memory_items: int = 512,
                 compressor_config: PretrainedConfig | dict | None = None, compression_batch_size: int = 8,
                 **kwargs: Any):
        self.base_config = _as_config(base_config)
        self.compressor_config = _as_config(compressor_config)
        self.memory_hidden = memory_hidden
        self.aligner_rms_cap = aligner_rms_cap
        self.aligner_layer_norm = aligner_layer_norm
        self.max_memory_items = max_memory_items
        self.compression_batch_size = compression_batch_size
        if self.base_config is not None:
            kwargs.setdefault("tie_word_embeddings", bool(getattr(self.base_config, "tie_word_embeddings", False)))
        super().__init__(**kwargs)

    def get_text_config(self, *args, **kwargs):
        return self.base_config.get_text_config(*args, **kwargs) if self.base_config is not None else self

    @classmethod
    def for_parts(cls, policy: MemoryAugmentedPolicy, compressor: MemoryCompressor | None = None,
                  **kwargs: Any) -> "JamelMemoryConfig":
        # copies: PreTrainedModel.__init__ rewrites its sub-configs' attention setting, the parts keep theirs
        aligner = policy.aligner
        return cls(copy.deepcopy(policy.base.config), memory_hidden=aligner.in_features,
                   aligner_rms_cap=aligner.rms_cap, aligner_layer_norm=isinstance(aligner.norm, torch.nn.LayerNorm),
                   max_memory_items=policy.max_memory_items,
                   compressor_config=copy.deepcopy(compressor.model.config) if compressor is not None else None,
                   compression_batch_size=compressor.batch_size if compressor is not None else 8, **kwargs)


def _policy_from_config(config: JamelMemoryConfig) -> MemoryAugmentedPolicy:
    base_cfg = config.base_config
    if attn := getattr(config, "_attn_implementation", None):
        base_cfg._attn_implementation = attn
    base = AutoModelForImageTextToText.from_config(base_cfg)
    aligner = MemoryAligner(config.memory_hidden, base_cfg.get_text_config().hidden_size,
                            rms_cap=config.aligner_rms_cap, layer_norm=config.aligner_layer_norm)
    return MemoryAugmentedPolicy(base, aligner, max_memory_items=config.max_memory_items)


def _keep_weights(*parts: torch.nn.Module) -> None:
    """Mark given (loaded or trained) parts as initialised: `post_init` re-initialises every module not marked."""
    for part in parts:
        for module in part.modules():
            module._is_hf_initialized = True


@dataclass
class TokenLogProbs(ModelOutput):
    """verl's fused-kernel output contract: per position, the log-prob of the next input token and the entropy
    of the next-token distribution, [B, L] each."""

    log_probs: torch.Tensor | None = None
    entropy: torch.Tensor | None = None


def answer_start(input_ids: torch.Tensor) -> int:
    """The first position whose next-token prediction can belong to an answer: the "\\n" that ends the first
    "<|im_start|>assistant\\n" of every row (0 if a row has none). Conservative: an earlier, injected copy of
    the marker only makes the kept span longer, never shorter."""
    im_start, role, newline = GENERATION_PROMPT_IDS
    ids = input_ids
    hit = (ids[:, :-2] == im_start) & (ids[:, 1:-1] == role) & (ids[:, 2:] == newline)  # [B, L-2]
    if ids.shape[1] < 3 or not bool(hit.any(dim=1).all()):
        return 0
    return int(hit.float().argmax(dim=1).min()) + 2


class JamelMemoryForCausalLM(PreTrainedModel):
    """`MemoryAugmentedPolicy` (base VL model + aligner) behind the forward contract verl's FSDP engine expects
    (docs/training.md): memory arrives as `memory_tokens` [sum N_b, H_c] + `memory_counts` [B]; the logits are
    those of the text positions only (the prefix is cut off), aligned with `input_ids`."""

    config_class = JamelMemoryConfig
    base_model_prefix = "policy"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True

    def __init__(self, config: JamelMemoryConfig, policy: MemoryAugmentedPolicy | None = None):
        super().__init__(config)
        if policy is not None:
            _keep_weights(policy)
        self.policy = policy if policy is not None else _policy_from_config(config)
        self._no_split_modules = list(getattr(self.policy.base, "_no_split_modules", None) or [])  # FSDP2 units
        if getattr(config, "tie_word_embeddings", False):  # a tied base saves no lm_head: tie it again on load
            self._tied_weights_keys = {"policy.base.lm_head.weight": "policy.base.model.language_model.embed_tokens.weight"}
        self.post_init()

    def get_input_embeddings(self):
        return self.policy.base.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.policy.base.set_input_embeddings(value)

    def get_output_embeddings(self):
        return self.policy.base.get_output_embeddings()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, memory_tokens: torch.Tensor | None = None,
                memory_counts: torch.Tensor | None = None, pixel_values: torch.Tensor | None = None,
                image_grid_thw: torch.Tensor | None = None, use_cache: bool = False,
                temperature: float | None = None, shift_labels: torch.Tensor | None = None, **_: Any):
        """Logits of the text positions; or, when verl passes `temperature` (`model.use_fused_kernels=true`,
        the SFT and RL recipes), per-position next-token log-probs and entropies computed only from the answer on:
        verl uses those of the response tokens alone, and a full [L, V] logit tensor over a ~2k-token step
        prompt and a 152k vocabulary is most of an update's time and memory."""
        # position_ids from verl are ignored: the policy derives M-RoPE ids (shifted by the prefix) itself.
        memory = None
        if memory_tokens is not None:
            if memory_counts is None:
                raise ValueError("memory_tokens without memory_counts")
            counts = [int(c) for c in memory_counts.reshape(-1).tolist()]
            if len(counts) != input_ids.shape[0]:
                raise ValueError(f"{len(counts)} memory counts for {input_ids.shape[0]} rows: packed batches "
                                 "(model.use_remove_padding=true) are not supported, set it to false")
            memory = list(memory_tokens.to(input_ids.device).split(counts))
        if pixel_values is not None:
            pixel_values = pixel_values.to(input_ids.device)
            image_grid_thw = image_grid_thw.to(input_ids.device)
        # The prefix is in front of the text, so the last L positions are the text: logits only there (no
        # [B, N, V] logits for the prefix; contiguous, as verl's jagged narrowing needs).
        start = 0 if temperature is None else answer_start(input_ids)
        out = self.policy(input_ids, attention_mask, pixel_values, image_grid_thw, memory_tokens=memory,
                          logits_to_keep=input_ids.shape[1] - start)
        if temperature is None:
            return CausalLMOutputWithPast(logits=out.logits)
        labels = shift_labels if shift_labels is not None else torch.roll(input_ids, shifts=-1, dims=-1)
        logp = torch.log_softmax(out.logits.float() / temperature, dim=-1)  # [B, L - start, V]
        token = logp.gather(-1, labels[:, start:].unsqueeze(-1).to(logp.device)).squeeze(-1)
        entropy = -(logp.exp() * logp).sum(-1)
        pad = token.new_zeros(input_ids.shape[0], start)  # prompt positions: never in a loss, not computed
        return TokenLogProbs(log_probs=torch.cat([pad, token], 1), entropy=torch.cat([pad, entropy], 1))


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


class JamelModel(PreTrainedModel):
    """The packaged model: `policy` (actor + aligner), `compressor` (frozen), `processor` (the actor's)."""

    config_class = JamelMemoryConfig
    base_model_prefix = "policy"

    def __init__(self, config: JamelMemoryConfig, policy: MemoryAugmentedPolicy | None = None,
                 compressor: MemoryCompressor | None = None, processor: VLProcessor | None = None):
        super().__init__(config)
        if policy is None or compressor is None or processor is None:
            raise ValueError("JamelModel is built from its parts (JamelModel.from_parts) or loaded (from_pretrained)")
        _keep_weights(policy, compressor.model)
        self.policy, self.compressor, self.processor = policy, compressor, processor
        self.frozen_compressor = compressor.model  # a submodule, so .to() and .parameters() include it
        self.package: dict[str, Any] = {}  # model.json of the folder it was loaded from
        self.post_init()

    @property
    def tokenizer(self):
        return self.processor.tokenizer

    def forward(self, *args, **kwargs):
        return self.policy(*args, **kwargs)

    def save_pretrained(self, save_directory: str | Path, extra: dict[str, Any] | None = None,
                        attn_implementation: str = "sdpa", **_: Any) -> Path:
        directory = Path(save_directory)
        directory.mkdir(parents=True, exist_ok=True)
        policy, compressor, aligner = self.policy, self.compressor, self.policy.aligner
        policy.base.save_pretrained(directory / "actor")
        self.processor.save_pretrained(directory / "actor")
        compressor.model.save_pretrained(directory / "compressor")
        compressor.processor.save_pretrained(directory / "compressor")
        state = {k: v.detach().to("cpu").contiguous() for k, v in aligner.state_dict().items()}
        save_file(state, str(directory / "aligner.safetensors"), metadata={"format": "pt"})

        def part(path: str, model) -> dict[str, Any]:
            return {"path": path, "model_class": type(model).__name__, "model_type": model.config.model_type}

        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "prompt_version": PROMPT_VERSION,
            "actor": {**part("actor", policy.base), "hidden_size": policy.hidden_size},
            "compressor": {**part("compressor", compressor.model), "hidden_size": compressor.hidden_size,
                           "batch_size": compressor.batch_size, "token": "last_hidden_state at the final <|im_end|>",
                           "item_text": MEMORY_ITEM_TEMPLATE},
            "aligner": {"path": "aligner.safetensors", **aligner.config()},
            "memory": {"max_items": policy.max_memory_items},
            "attn_implementation": attn_implementation,
            "dtype": {"cuda": "bfloat16", "cpu": "float32"},
            **(extra or {}),
        }
        (directory / "model.json").write_text(json.dumps(meta, indent=2))
        self.config.architectures = [type(self).__name__]
        self.config.save_pretrained(directory)
        return directory

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, *_: Any, device: str | torch.device = "cpu",
                        dtype: torch.dtype | None = None, attn_implementation: str | None = None,
                        max_memory_items: int | None = None, compression_batch_size: int | None = None,
                        **__: Any) -> "JamelModel":
        """Load a packaged folder on `device`, in bf16 on GPU and fp32 on CPU unless `dtype` is given, in eval
        mode. Reads model.json (so folders without config.json load too); hub options of AutoModel are ignored."""
        directory = Path(pretrained_model_name_or_path)
        meta = json.loads((directory / "model.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory} is not a {FORMAT} folder")
        if meta.get("prompt_version") != PROMPT_VERSION:
            log.warning("model was trained with prompt %s, this code builds %s", meta.get("prompt_version"),
                        PROMPT_VERSION)
        device = torch.device(device)
        if dtype is None:
            dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
        attn = _resolve_attn(attn_implementation or meta.get("attn_implementation"), device)

        def load(section: dict[str, Any]):
            model = getattr(transformers, section["model_class"]).from_pretrained(
                directory / section["path"], dtype=dtype, attn_implementation=attn)
            return model.to(device).eval(), VLProcessor.from_pretrained(directory / section["path"],
                                                                        model_type=section["model_type"])

        (base, processor), (comp_model, comp_proc) = load(meta["actor"]), load(meta["compressor"])
        aligner = MemoryAligner.from_config(meta["aligner"])
        aligner.load_state_dict(load_file(str(directory / meta["aligner"]["path"])))
        aligner.to(device=device, dtype=dtype).eval()
        cap = max_memory_items if max_memory_items is not None else meta["memory"]["max_items"]
        policy = MemoryAugmentedPolicy(base, aligner, max_memory_items=cap).eval()
        compressor = MemoryCompressor(comp_model, comp_proc,
                                      batch_size=compression_batch_size or meta["compressor"].get("batch_size", 8))
        model = cls.from_parts(policy, compressor, processor)
        model.package, model.name_or_path = meta, str(directory)
        return model.eval()

    @classmethod
    def from_parts(cls, policy: MemoryAugmentedPolicy, compressor: MemoryCompressor,
                   processor: VLProcessor) -> "JamelModel":
        return cls(JamelMemoryConfig.for_parts(policy, compressor, architectures=[cls.__name__]), policy, compressor,
                   processor)


def save_packaged(directory: str | Path, policy: MemoryAugmentedPolicy, compressor: MemoryCompressor,
                  processor: VLProcessor, attn_implementation: str = "sdpa",
                  extra: dict[str, Any] | None = None) -> Path:
    """Write the packaged folder (`JamelModel.save_pretrained`)."""
    return JamelModel.from_parts(policy, compressor, processor).save_pretrained(
        directory, extra=extra, attn_implementation=attn_implementation)


load_packaged = JamelModel.from_pretrained


def register() -> None:
    """AutoConfig / AutoModelForCausalLM / AutoModel resolve model_type "jamel_memory_policy" (idempotent)."""
    AutoConfig.register(MODEL_TYPE, JamelMemoryConfig, exist_ok=True)
    AutoModelForCausalLM.register(JamelMemoryConfig, JamelMemoryForCausalLM, exist_ok=True)
    AutoModel.register(JamelMemoryConfig, JamelModel, exist_ok=True)


register()
