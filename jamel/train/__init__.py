"""Training with verl 0.9.1's SFT trainer.

* `verl_cpu`: CPU mode (gloo + FSDP2, fp32) for laptops and CI; `sft_entry`: the torchrun entry point.
* `tiny_sft`: tiny random Qwen2 + tokenizer + chat parquet for end-to-end runs without a model hub.
* `memory_sft`: how JAMEL's memory policy plugs into verl (custom model + dataset), with a working prototype.

Nothing here imports verl at package import time.
"""
