"""verl plugins (verl 0.9.1), imported only by training jobs; the model classes are in `jamel.model.modeling`.

* `sft_entry`: the torchrun entry point; `verl_cpu`: CPU mode (gloo + FSDP2, fp32) for laptops and CI.
* `memory_sft`: `model.external_lib` (registers the model classes) and the dataset (`JamelStepSFTDataset`).
* `sft_model`: `init` (the folder verl trains from) and `export` (a checkpoint -> the packaged model).
"""
