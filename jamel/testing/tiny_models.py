"""Tiny random-weight Qwen2.5-VL (policy) and Qwen3-VL (compressor) models for tests and CI.

Same classes, same special-token ids and the real vocabulary sizes as the real checkpoints (so the real
tokenizer's ids, special tokens included, all index the embedding), but 2 layers, hidden 64 / 48 and a
2-block vision tower with the real patch sizes (14 / 16, merge 2), so a 640x360 screenshot gives the real
image-token counts (299 / 220). Weights are a deterministic function of the seed.
"""
from __future__ import annotations

from pathlib import Path

from jamel.model.tokenizer import SPECIAL_IDS

POLICY_HIDDEN = 64
COMPRESSOR_HIDDEN = 48
_TOKENS = dict(image_token_id=SPECIAL_IDS["<|image_pad|>"], video_token_id=SPECIAL_IDS["<|video_pad|>"],
               vision_start_token_id=SPECIAL_IDS["<|vision_start|>"],
               vision_end_token_id=SPECIAL_IDS["<|vision_end|>"])


def tiny_qwen2_5_vl_config(hidden: int = POLICY_HIDDEN, layers: int = 2, vocab_size: int = 152064):
    from transformers import Qwen2_5_VLConfig

    heads = 4
    half = hidden // heads // 2  # rotary frequencies per head, split over (t, h, w)
    section = [half - 2 * (half // 3), half // 3, half // 3]
    text = dict(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                num_attention_heads=heads, num_key_value_heads=2, max_position_embeddings=32768,
                rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": section},
                bos_token_id=SPECIAL_IDS["<|endoftext|>"], eos_token_id=SPECIAL_IDS["<|im_end|>"],
                tie_word_embeddings=True)
    vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=hidden, patch_size=14,
                  spatial_merge_size=2, temporal_patch_size=2, window_size=112, fullatt_block_indexes=[1],
                  tokens_per_second=2)
    return Qwen2_5_VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=True, **_TOKENS)


def tiny_qwen3_vl_config(hidden: int = COMPRESSOR_HIDDEN, layers: int = 2, vocab_size: int = 151936):
    from transformers import Qwen3VLConfig

    heads, head_dim = 4, 12
    half = head_dim // 2
    section = [half - 2 * (half // 3), half // 3, half // 3]
    text = dict(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                num_attention_heads=heads, num_key_value_heads=2, head_dim=head_dim, max_position_embeddings=32768,
                rope_parameters={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": section,
                                 "mrope_interleaved": True},
                bos_token_id=SPECIAL_IDS["<|endoftext|>"], eos_token_id=SPECIAL_IDS["<|im_end|>"],
                tie_word_embeddings=True)
    vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=hidden, patch_size=16,
                  spatial_merge_size=2, temporal_patch_size=2, num_position_embeddings=256,
                  deepstack_visual_indexes=[0, 1])
    return Qwen3VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=True, **_TOKENS)


def _build(cls, config, seed: int, attn_implementation: str):
    import torch

    torch.manual_seed(seed)
    model = cls._from_config(config, attn_implementation=attn_implementation, dtype=torch.float32)
    # Random init is mostly N(0, 0.02); make the tiny net's outputs a bit less flat so tests see real effects.
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed + 1)
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * (0.05 if "embed" in name else 0.1))
    generation = getattr(model, "generation_config", None)
    if generation is not None:
        generation.eos_token_id = [SPECIAL_IDS["<|im_end|>"], SPECIAL_IDS["<|endoftext|>"]]
        generation.pad_token_id = SPECIAL_IDS["<|endoftext|>"]
    return model.eval()


def build_tiny_qwen2_5_vl(seed: int = 0, attn_implementation: str = "sdpa"):
    from transformers import Qwen2_5_VLForConditionalGeneration

    return _build(Qwen2_5_VLForConditionalGeneration, tiny_qwen2_5_vl_config(), seed, attn_implementation)


def build_tiny_qwen3_vl(seed: int = 0, attn_implementation: str = "sdpa", hidden: int = COMPRESSOR_HIDDEN):
    from transformers import Qwen3VLForConditionalGeneration

    return _build(Qwen3VLForConditionalGeneration, tiny_qwen3_vl_config(hidden=hidden), seed, attn_implementation)


def build_tiny_components(seed: int = 0, actor: str = "qwen2_5_vl", max_memory_items: int = 512,
                          compression_batch_size: int = 8):
    """(policy, compressor, tokenizer) of random tiny models: a Qwen2.5-VL (or Qwen3-VL) actor with a fresh
    aligner, and a frozen Qwen3-VL compressor."""
    import torch

    from jamel.model.aligner import MemoryAligner
    from jamel.model.compressor import MemoryCompressor
    from jamel.model.image import VLProcessor
    from jamel.model.policy import MemoryAugmentedPolicy
    from jamel.model.tokenizer import qwen2_tokenizer

    tok = qwen2_tokenizer()
    base = build_tiny_qwen2_5_vl(seed) if actor == "qwen2_5_vl" else build_tiny_qwen3_vl(seed, hidden=POLICY_HIDDEN)
    comp_model = build_tiny_qwen3_vl(seed + 100)
    torch.manual_seed(seed + 200)
    aligner = MemoryAligner(COMPRESSOR_HIDDEN, POLICY_HIDDEN, rms_cap=True)
    policy = MemoryAugmentedPolicy(base, aligner, max_memory_items=max_memory_items)
    compressor = MemoryCompressor(comp_model, VLProcessor.for_model_type(tok, "qwen3_vl"),
                                  batch_size=compression_batch_size)
    return policy, compressor, tok


def make_tiny_package(directory: str | Path, seed: int = 0, actor: str = "qwen2_5_vl") -> Path:
    """Write a packaged model folder (actor/, compressor/, model.json, aligner.safetensors) of tiny models."""
    from jamel.model.image import VLProcessor
    from jamel.model.modeling import save_packaged

    policy, compressor, tok = build_tiny_components(seed, actor=actor)
    return save_packaged(directory, policy, compressor, VLProcessor.for_model_type(tok, actor))
