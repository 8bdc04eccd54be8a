"""verl plugins for SFT of JAMEL's memory policy with verl 0.9.1's SFT trainer (no fork of verl).

`model.external_lib=jamel.train.memory_sft` imports this module, which registers JAMEL's model classes
(`jamel.model.modeling`) with transformers' Auto classes; `data.custom_cls.path=pkg://jamel.train.memory_sft`
+ `data.custom_cls.name=JamelStepSFTDataset` selects the dataset. How verl builds the model, which tensors
reach it and where the loss mask comes from: docs/training.md, "How JAMEL plugs into verl".
"""
from __future__ import annotations

from pathlib import Path

import torch

import jamel.model.modeling  # noqa: F401  (registers the Auto classes verl resolves model.path with)
from jamel.model.image import VLProcessor
from jamel.schemas import MemoryBankRow, SftRow, chat_messages


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
        files = [parquet_files] if isinstance(parquet_files, (str, Path)) else list(parquet_files)
        self.rows = SftRow.read_rows(*files)
        if max_samples is not None and 0 < max_samples < len(self.rows):
            self.rows = self.rows[:max_samples]
        path = config.get("processor_path") or tokenizer.name_or_path
        self.vlp = VLProcessor.from_pretrained(path, model_type="qwen2_5_vl")
        self.max_length = int(config.get("max_length", 8192))
        self.max_memory_items = int(config.get("max_memory_items", 512))
        bank_files = config.get("memory_bank_files")
        if not bank_files or (not isinstance(bank_files, (str, Path)) and len(list(bank_files)) != 1):
            raise ValueError("JamelStepSFTDataset needs exactly one memory bank (+data.memory_bank_files=PATH): "
                             "memory_ids are rows of the bank written next to the SFT files")
        self.bank = MemoryBankRow.read_vectors(bank_files)  # float32 [M, H]
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
