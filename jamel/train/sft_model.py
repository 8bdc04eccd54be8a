"""The model folder verl trains, and the packaged model folder the `jamel` agent loads.

verl's SFT trainer loads `model.path` with `AutoModelForCausalLM`, which resolves `JamelMemoryForCausalLM`
(`jamel.model.modeling`: the policy base + aligner behind verl's forward contract). So:

    init  : base Qwen2.5-VL (or a packaged model's actor + aligner) + the compressor's hidden size
            -> DIR with config.json (model_type jamel_memory_policy), weights, tokenizer, image processor
    train : torchrun -m jamel.train.sft_entry model.path=DIR ... (checkpoints with an hf_model copy)
    export: a checkpoint's huggingface/ folder + the compressor -> the packaged folder
            (actor/, compressor/, aligner.safetensors, model.json; `jamel.model.modeling.JamelModel`)

    jamel sft init --base-model PATH --compressor-model PATH --output DIR
    jamel sft init --package PKG --output DIR
    jamel sft export --checkpoint CKPT_DIR --compressor-model PATH --output PKG
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import transformers

from jamel.config import opt
from jamel.data.sft import compressor_folder, load_compressor
from jamel.model.aligner import MemoryAligner
from jamel.model.image import VLProcessor
from jamel.model.modeling import JamelMemoryConfig, JamelMemoryForCausalLM, JamelModel
from jamel.model.policy import MemoryAugmentedPolicy


def init_sft_model(output: str | Path, base_model: str | None = None, compressor_model: str | None = None,
                   package: str | None = None, max_memory_items: int | None = None, rms_cap: bool = True,
                   seed: int = 0) -> Path:
    """Write the folder verl starts from: from a packaged model (actor + its aligner), or from a base
    Qwen2.5-VL checkpoint + a fresh aligner sized by the compressor. `max_memory_items` defaults to the
    package's cap (512 from a base model); a package's aligner keeps its RMS cap (rms_cap=False refuses
    a package whose aligner has one). `jamel_sft_init.json`, written last, records what it was made from."""
    output = Path(output)
    if package:
        pkg = JamelModel.from_pretrained(package, device="cpu", dtype=torch.float32)
        base, aligner, processor = pkg.policy.base, pkg.policy.aligner, pkg.processor
        if not rms_cap and aligner.rms_cap:
            raise ValueError(f"{package}: its aligner was trained with the RMS cap; --no-rms-cap needs a base model")
        max_memory_items = pkg.policy.max_memory_items if max_memory_items is None else max_memory_items
    else:
        if not (base_model and compressor_model):
            raise ValueError("give --package, or both --base-model and --compressor-model")
        base = transformers.AutoModelForImageTextToText.from_pretrained(base_model, dtype=torch.float32)
        comp_cfg = transformers.AutoConfig.from_pretrained(compressor_folder(compressor_model))
        max_memory_items = 512 if max_memory_items is None else max_memory_items
        torch.manual_seed(seed)
        aligner = MemoryAligner(comp_cfg.get_text_config().hidden_size,
                                base.config.get_text_config().hidden_size, rms_cap=rms_cap)
        processor = VLProcessor.from_pretrained(base_model, model_type=base.config.model_type)
    policy = MemoryAugmentedPolicy(base, aligner, max_memory_items=max_memory_items)
    tok = processor.tokenizer
    config = JamelMemoryConfig.for_parts(policy, architectures=["JamelMemoryForCausalLM"],
                                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    JamelMemoryForCausalLM(config, policy).save_pretrained(output)
    processor.save_pretrained(output)
    (output / "jamel_sft_init.json").write_text(json.dumps(init_record(base_model, compressor_model, package,
                                                                        max_memory_items), indent=2))
    return output


def init_record(base_model: str | None, compressor_model: str | None, package: str | None,
                max_memory_items: int) -> dict[str, Any]:
    """What an init folder was made from (absolute paths), to tell a reusable one from a stale one."""
    where = lambda p: str(Path(p).resolve()) if p else None  # noqa: E731
    return {"base_model": where(base_model), "compressor_model": where(compressor_model), "package": where(package),
            "max_memory_items": max_memory_items}


def latest_hf_checkpoint(checkpoint_dir: str | Path) -> Path:
    """`<dir>/global_step_<latest>/huggingface` (verl's layout), or the folder itself if it is one."""
    d = Path(checkpoint_dir)
    if (d / "config.json").exists():
        return d
    latest = d / "latest_checkpointed_iteration.txt"
    if not latest.exists():
        raise FileNotFoundError(f"{d}: no verl checkpoint (latest_checkpointed_iteration.txt) and no config.json")
    hf = d / f"global_step_{latest.read_text().strip()}" / "huggingface"
    if not any(hf.glob("*.safetensors")):
        raise FileNotFoundError(f"{hf} has no weights: train with checkpoint.save_contents including hf_model")
    return hf


def export_packaged(checkpoint: str | Path, compressor_model: str | Path, output: str | Path,
                    compression_batch_size: int = 8) -> Path:
    """A trained `JamelMemoryForCausalLM` (verl checkpoint) + the frozen compressor -> the packaged folder."""
    hf = latest_hf_checkpoint(checkpoint)
    model = JamelMemoryForCausalLM.from_pretrained(hf, dtype=torch.float32)
    processor = VLProcessor.from_pretrained(hf, model_type=model.config.base_config.model_type)
    compressor = load_compressor(str(compressor_model), "cpu", compression_batch_size)
    return JamelModel.from_parts(model.policy, compressor, processor).save_pretrained(
        output, extra={"trained_from": str(hf)})


@dataclass
class SftInitConfig:  # init_sft_model()'s arguments, by the same names
    output: str = opt(help="the folder to write")
    base_model: str | None = opt(None, "base Qwen2.5-VL checkpoint (with --compressor-model)")
    compressor_model: str | None = opt(None, "the compressor (Qwen3-VL) whose hidden size the aligner takes")
    package: str | None = opt(None, "start from a packaged JAMEL model (actor + aligner) instead")
    max_memory_items: int | None = opt(None, "memory vectors per sample (default: the package's, else 512)")
    rms_cap: bool = opt(True, "no RMS cap on the aligner's output")
    seed: int = opt(0, "seed of the fresh aligner")


@dataclass
class SftExportConfig:  # export_packaged()'s arguments, by the same names
    checkpoint: str = opt(help="verl's default_local_dir (its latest step) or an HF folder")
    compressor_model: str = opt(help="the compressor the model was trained with")
    output: str = opt(help="the packaged model folder to write")


def init(cfg: SftInitConfig) -> int:
    """Write the folder verl's SFT trainer starts from; prints its path."""
    print(init_sft_model(**asdict(cfg)))
    return 0


def export(cfg: SftExportConfig) -> int:
    """A verl SFT checkpoint + the compressor -> the packaged model folder (`--agent jamel`); prints its path."""
    print(export_packaged(**asdict(cfg)))
    return 0
