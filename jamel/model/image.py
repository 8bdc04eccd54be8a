"""Image preprocessing and model-input building for Qwen2.5-VL / Qwen3-VL, without torchvision.

`transformers`' full `AutoProcessor` for these models needs a video processor, which needs torchvision
(absent, and broken beside our torch, on the CPU machines). `VLProcessor` therefore builds model inputs from
the tokenizer and the PIL/numpy image processor `Qwen2VLImageProcessorPil` alone, on every machine and in
every stage (data, SFT, RL, eval see the same pixels): `input_ids`, `attention_mask`, `mm_token_type_ids`,
`pixel_values`, `image_grid_thw`, as the HF processor gives them.

Screenshot sizes (the model sees 640x360 PNGs):
  Qwen2.5-VL: patch 14, merge 2 -> side multiple of 28; min_pixels 56*56 = 3,136, max_pixels 12,845,056
      (the checkpoint's preprocessor_config). smart_resize(360, 640) = 364 x 644 -> patch grid (1, 26, 46)
      = 1,196 patches -> 26*46/4 = 299 image tokens.
  Qwen3-VL: patch 16, merge 2 -> side multiple of 32; min_pixels 65,536, max_pixels 16,777,216.
      smart_resize(360, 640) = 352 x 640 -> grid (1, 22, 40) = 880 patches -> 220 image tokens.
Both pixel bounds are far from 640x360 = 230,400 pixels, so only the rounding to the patch factor applies.
The resize rule is transformers' `smart_resize` (what `Qwen2VLImageProcessorPil` applies to the pixels).
"""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any, Sequence

import torch
from PIL import Image
from transformers import AutoTokenizer, Qwen2VLImageProcessorPil
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

from jamel.model.tokenizer import CHAT_TEMPLATE, IMAGE_PAD, SPECIAL_IDS
from jamel.prompt import message_images, neutralize_special_tokens

SCREENSHOT_SIZE = (640, 360)  # width, height of the model's screenshot

# Image-processor settings of the real checkpoints (preprocessor_config.json), by model_type.
IMAGE_SETTINGS: dict[str, dict[str, Any]] = {
    "qwen2_5_vl": dict(patch_size=14, merge_size=2, temporal_patch_size=2, min_pixels=56 * 56,
                       max_pixels=12845056, image_mean=[0.48145466, 0.4578275, 0.40821073],
                       image_std=[0.26862954, 0.26130258, 0.27577711]),
    "qwen3_vl": dict(patch_size=16, merge_size=2, temporal_patch_size=2, min_pixels=65536,
                     max_pixels=16777216, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]),
}
IMAGE_SETTINGS["qwen2_vl"] = IMAGE_SETTINGS["qwen2_5_vl"]


def expected_grid(width: int = SCREENSHOT_SIZE[0], height: int = SCREENSHOT_SIZE[1], model_type: str = "qwen2_5_vl",
                  **overrides) -> tuple[int, int, int]:
    """The (t, h, w) patch grid an image of this size gets (before the 2x2 merge): transformers' own resize rule,
    the one its image processor applies."""
    s = {**IMAGE_SETTINGS[model_type], **overrides}
    h, w = smart_resize(height, width, s["patch_size"] * s["merge_size"], s["min_pixels"], s["max_pixels"])
    return 1, h // s["patch_size"], w // s["patch_size"]


def image_token_count(width: int = SCREENSHOT_SIZE[0], height: int = SCREENSHOT_SIZE[1],
                      model_type: str = "qwen2_5_vl", **overrides) -> int:
    """LLM tokens of one image: grid cells / merge_size**2 (299 for a 640x360 screenshot on Qwen2.5-VL)."""
    t, h, w = expected_grid(width, height, model_type, **overrides)
    merge = {**IMAGE_SETTINGS[model_type], **overrides}["merge_size"]
    return t * h * w // merge**2


def make_image_processor(model_type: str = "qwen2_5_vl", **overrides):
    """A `Qwen2VLImageProcessorPil` (PIL + numpy, no torchvision) with the checkpoint's settings."""
    s = {**IMAGE_SETTINGS[model_type], **overrides}
    return Qwen2VLImageProcessorPil(
        patch_size=s["patch_size"], merge_size=s["merge_size"], temporal_patch_size=s["temporal_patch_size"],
        image_mean=s["image_mean"], image_std=s["image_std"],
        size={"shortest_edge": s["min_pixels"], "longest_edge": s["max_pixels"]})


def to_pil(image: Any):
    """PNG/JPEG bytes, a path or a PIL image -> RGB PIL image."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    if isinstance(image, (bytes, bytearray, memoryview)):
        return Image.open(io.BytesIO(bytes(image))).convert("RGB")
    if isinstance(image, (str, Path)):
        return Image.open(image).convert("RGB")
    raise TypeError(f"cannot read an image from {type(image).__name__}")


_TOKENIZERS: dict[str, Any] = {}


def load_tokenizer(path: str | Path):
    """`AutoTokenizer.from_pretrained`, shared between folders holding identical tokenizer files (the actor and
    compressor usually do; a Qwen tokenizer takes ~2 s to load)."""
    path = Path(path)
    h = hashlib.sha256()
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json"):
        f = path / name
        if f.exists():
            h.update(name.encode() + b"\0" + f.read_bytes())
    key = h.hexdigest()
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = AutoTokenizer.from_pretrained(path)
    return _TOKENIZERS[key]


class VLProcessor:
    """Tokenizer + image processor -> Qwen-VL model inputs; JAMEL's chat template for rendering.

    `__call__(texts, images)`: each `<|image_pad|>` in the texts (one per image, in order) is expanded to
    the image's token count (grid cells / merge**2), exactly as the HF Qwen-VL processors do."""

    def __init__(self, tokenizer, image_processor):
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_PAD)
        self.video_token_id = tokenizer.convert_tokens_to_ids("<|video_pad|>")
        if self.image_token_id != SPECIAL_IDS[IMAGE_PAD]:
            raise ValueError(f"tokenizer maps {IMAGE_PAD} to {self.image_token_id}, expected {SPECIAL_IDS[IMAGE_PAD]}")
        self.merge_size = int(getattr(image_processor, "merge_size", 2))

    # construction / persistence
    @classmethod
    def for_model_type(cls, tokenizer, model_type: str, **overrides) -> "VLProcessor":
        return cls(tokenizer, make_image_processor(model_type, **overrides))

    @classmethod
    def from_pretrained(cls, path: str | Path, model_type: str | None = None):
        """Load from a checkpoint folder: its tokenizer + PIL image processor (from the folder's
        preprocessor_config.json, or the model type's defaults). Never HF's AutoProcessor: one image path."""
        path = Path(path)
        tokenizer = load_tokenizer(path)
        if (path / "preprocessor_config.json").exists():
            return cls(tokenizer, Qwen2VLImageProcessorPil.from_pretrained(path))
        return cls(tokenizer, make_image_processor(model_type or "qwen2_5_vl"))

    def save_pretrained(self, path: str | Path) -> None:
        self.tokenizer.save_pretrained(path)
        self.image_processor.save_pretrained(path)

    # rendering
    def apply_chat_template(self, messages: Sequence[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        """Render with JAMEL's own template (never the checkpoint's), so every stage sees the same prompt.
        Text parts go through `neutralize_special_tokens`: page text cannot forge a turn or an image."""
        safe = [{**m, "content": [{**p, "text": neutralize_special_tokens(p["text"])} if p.get("type") == "text"
                                  else p for p in m["content"]]} if isinstance(m.get("content"), list)
                else {**m, "content": neutralize_special_tokens(str(m.get("content", "")))} for m in messages]
        return self.tokenizer.apply_chat_template(safe, chat_template=CHAT_TEMPLATE, tokenize=False,
                                                  add_generation_prompt=add_generation_prompt)

    def image_tokens(self, grid_thw) -> int:
        t, h, w = (int(x) for x in grid_thw)
        return t * h * w // self.merge_size**2

    def preprocess_images(self, images: Sequence[Any]) -> dict[str, Any]:
        """`pixel_values` [patches, C*T*P*P] and `image_grid_thw` [n, 3] (torch tensors)."""
        return dict(self.image_processor(images=[to_pil(i) for i in images], return_tensors="pt"))

    def __call__(self, texts: str | Sequence[str], images: Sequence[Any] | None = None,
                 padding_side: str = "left") -> dict[str, Any]:
        texts = [texts] if isinstance(texts, str) else list(texts)
        images = list(images or [])
        n_placeholders = sum(t.count(IMAGE_PAD) for t in texts)
        if n_placeholders != len(images):
            raise ValueError(f"{n_placeholders} image placeholders but {len(images)} images")
        out: dict[str, Any] = {}
        if images:
            out.update(self.preprocess_images(images))
            counts = iter([self.image_tokens(g) for g in out["image_grid_thw"]])  # in placeholder order
            texts = [re.sub(re.escape(IMAGE_PAD), lambda _: IMAGE_PAD * next(counts), t) for t in texts]
        enc = self.tokenizer(texts, padding=True, padding_side=padding_side, return_tensors="pt",
                             add_special_tokens=False)
        ids = enc["input_ids"]
        mm = torch.zeros_like(ids, dtype=torch.int32)
        mm[ids == self.image_token_id] = 1
        mm[ids == self.video_token_id] = 2
        out.update(input_ids=ids, attention_mask=enc["attention_mask"], mm_token_type_ids=mm)
        return out

    def build(self, messages_batch: Sequence[Sequence[dict[str, Any]]], add_generation_prompt: bool = True,
              padding_side: str = "left") -> dict[str, Any]:
        """Model inputs for a batch of message lists (images taken from their image parts)."""
        texts = [self.apply_chat_template(m, add_generation_prompt) for m in messages_batch]
        images = [img for m in messages_batch for img in message_images(m)]
        return self(texts, images, padding_side=padding_side)
