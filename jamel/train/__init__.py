"""Training with verl 0.9.1's SFT trainer.

* `verl_cpu`: CPU mode (gloo + FSDP2, fp32) for laptops and CI; `sft_entry`: the torchrun entry point.
* `memory_sft`: JAMEL's memory policy as verl plugins (custom model + `JamelStepSFTDataset`).
* `sft_model`: `jamel sft init` / `jamel sft export` (the folder verl trains from, and the packaged model).

Nothing here imports verl at package import time.
"""
