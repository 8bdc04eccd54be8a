"""Launch verl 0.9.1's SFT trainer (`verl.trainer.sft_trainer.main`, Hydra) with JAMEL's adapters.

    torchrun --nproc_per_node=N -m jamel.train.sft_entry model.path=... data.train_files=... [verl overrides]

CPU mode (`jamel.train.verl_cpu`) is used when `JAMEL_VERL_DEVICE=cpu`, or when it is unset and torch sees no
CUDA device; `JAMEL_VERL_DEVICE=cuda` (or any other value) runs verl unchanged. In CPU mode the overrides of
`verl_cpu.CPU_OVERRIDES` whose keys the command line does not set are added in front of the user's.
`--print-cpu-overrides` prints them and exits. Hydra's own run folder (the resolved config and the log) goes
under `trainer.default_local_dir`, not into `outputs/` of the working directory, unless `hydra.run.dir` is given.
"""
from __future__ import annotations

import os
import sys


def _want_cpu() -> bool:
    value = os.environ.get("JAMEL_VERL_DEVICE", "").strip().lower()
    if value:
        return value == "cpu"
    import torch

    return not torch.cuda.is_available()


def hydra_run_dir(args: list[str]) -> list[str]:
    """The `hydra.run.dir` override that keeps Hydra's run folder beside the checkpoints."""
    if any(a.lstrip("+").startswith("hydra.run.dir=") for a in args):
        return []
    ckpt = next((a.split("=", 1)[1] for a in args if a.lstrip("+").startswith("trainer.default_local_dir=")), None)
    return [f"hydra.run.dir={ckpt}/hydra"] if ckpt else []


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    from jamel.train import verl_cpu

    if "--print-cpu-overrides" in args:
        for key, value, why in verl_cpu.CPU_OVERRIDES:
            print(f"{key}={value}    # {why}")
        return
    if _want_cpu():
        os.environ["JAMEL_VERL_DEVICE"] = "cpu"
        verl_cpu.enable_cpu_mode()
        args = verl_cpu.cpu_overrides(args) + args
    else:
        verl_cpu.check_verl_version()
    args = hydra_run_dir(args) + args
    from verl.trainer import sft_trainer

    sys.argv = [sys.argv[0]] + args  # Hydra reads the overrides from sys.argv
    sft_trainer.main()


if __name__ == "__main__":
    main()
