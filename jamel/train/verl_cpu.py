"""CPU mode for verl's SFT trainer (`verl.trainer.sft_trainer`, FSDP2): laptops and CI, no GPU.

verl 0.9.1 resolves its device through one platform singleton (`verl.plugin.platform.get_platform()`,
registry `PlatformRegistry`, override `VERL_PLATFORM`), which only knows CUDA / ROCm / NPU. CPU mode is
the smallest adapter that makes the real trainer run on CPU with gloo:

  1. register `PlatformCPU` as platform "cpu" and select it (before anything asks `get_platform()`):
     device name "cpu", backend "gloo", `current_device()` -> "cpu" (verl does `tensor.to(get_device_id())`),
     no-op synchronize / set_device / empty_cache, zero memory statistics, torch.manual_seed as device seed;
     `get_torch_device()` returns a small namespace (torch.cpu has no memory_allocated, mem_get_info, ...);
  2. `verl.utils.distributed.initialize_global_process_group` (torchrun) and `..._ray` (RL workers): verl builds
     the backend string "cpu:gloo,{device}:{backend}", which torch rejects as "cpu:gloo,cpu:gloo" (duplicate
     device type); both use "gloo";
  3. register verl's own `FSDPEngineWithLMHead` for device "cpu" in `EngineRegistry` (it is registered for
     "cuda"/"npu" only; the class itself is device-agnostic once the platform says "cpu");
  4. (RL, `verl.trainer.main_ppo`) `ResourcePoolManager._check_resource_available` counts GPUs only: skipped;
     the reference policy's FSDP2 engine (forward only) uses CPUOffloadPolicy(pin_memory=True), and pinning
     needs an accelerator: pin_memory=False.

Everything else is configuration, which `cpu_overrides()` lists (each with its reason) and `jamel.train.sft_entry`
applies unless the user sets the same key: fp32 FSDP2 mixed precision, sdpa attention (flash-attn has no CPU
build), padded (not packed) micro-batches, no torch.compile.

Not patched, because not on the path: FSDP1 (`engine.strategy=fsdp`), Ulysses sequence parallelism, vLLM. The RL
trainer's rollout is `jamel.train.rl.rollout` (HF generate), registered through verl's rollout registries. Measured on 2 CPU cores (tests/test_verl_cpu.py): a tiny Qwen2 runs 2 steps in ~12 s wall with
1 rank and ~15 s with 2 ranks (process start included); losses of 1 and 2 ranks agree to 1e-6 and a resumed run
continues at global step 3 with the same losses as an uninterrupted one. verl 0.9.1 imports `uvicorn` and
`fastapi` on the SFT path (verl/workers/rollout/utils.py via verl.checkpoint_engine) without declaring them.

Enable with `JAMEL_VERL_DEVICE=cpu` + `import jamel.train.verl_cpu` (or `VERL_USE_EXTERNAL_MODULES=jamel.train.verl_cpu`,
which verl imports at `import verl`), or call `enable_cpu_mode()` explicitly. It must run before
`verl.workers.engine` is imported (that module caches the device name at import time); `enable_cpu_mode()`
raises if it is too late. Tested against verl 0.9.1 only (`TESTED_VERL_VERSIONS`); other versions are refused
(`JAMEL_VERL_ALLOW_UNTESTED=1` to try anyway).
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import types
from datetime import timedelta

TESTED_VERL_VERSIONS = ("0.9.1",)
ENV_DEVICE = "JAMEL_VERL_DEVICE"

_enabled = False


class VerlCPUModeError(RuntimeError):
    pass


def check_verl_version() -> str:
    try:
        import verl
    except ImportError as e:  # pragma: no cover - exercised only without verl
        raise VerlCPUModeError("verl is not installed: pip install 'verl==0.9.1' (see pyproject [train])") from e
    version = getattr(verl, "__version__", "?")
    if version not in TESTED_VERL_VERSIONS and os.environ.get("JAMEL_VERL_ALLOW_UNTESTED") != "1":
        raise VerlCPUModeError(
            f"jamel.train.verl_cpu patches verl internals and was tested with verl {TESTED_VERL_VERSIONS}, "
            f"but verl {version} is installed. Install verl==0.9.1, or set JAMEL_VERL_ALLOW_UNTESTED=1 to try "
            f"(then re-check every patch listed in {__file__})."
        )
    return version


def _host_memory() -> tuple[int, int]:
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.available), int(vm.total)
    except Exception:  # pragma: no cover
        return 0, 0


@functools.cache
def _cpu_device_module() -> types.ModuleType:
    """`get_torch_device()` for CPU: torch.cpu plus the torch.cuda calls verl makes on the SFT path."""
    import torch  # torch is imported where it is used: the RL config reads this module's overrides only

    mod = types.ModuleType("jamel_verl_cpu_device")
    zero = lambda *a, **k: 0  # no device allocator on CPU: memory statistics are 0
    noop = lambda *a, **k: None
    for name in ("memory_allocated", "memory_reserved", "max_memory_allocated", "max_memory_reserved"):
        setattr(mod, name, zero)
    for name in ("empty_cache", "reset_peak_memory_stats", "reset_accumulated_memory_stats",
                 "set_per_process_memory_fraction", "set_device", "synchronize", "ipc_collect"):
        setattr(mod, name, noop)
    mod.mem_get_info = lambda *a, **k: _host_memory()
    mod.get_device_name = lambda *a, **k: "CPU"  # flops_counter looks it up in its peak-FLOPS table
    mod.is_available = lambda: True
    mod.device_count = lambda: 1
    mod.current_device = lambda: "cpu"
    mod.manual_seed = mod.manual_seed_all = torch.manual_seed
    mod.get_rng_state, mod.set_rng_state = torch.get_rng_state, torch.set_rng_state
    mod.Stream, mod.Event, mod.stream, mod.current_stream = torch.cpu.Stream, torch.cpu.Event, torch.cpu.stream, \
        torch.cpu.current_stream
    mod.amp = torch.cpu.amp
    return mod


def _make_platform_class():
    from verl.plugin.platform import PlatformBase

    class PlatformCPU(PlatformBase):
        """verl platform "cpu": gloo collectives, no device allocator, no profiler, no IPC."""

        device_name = property(lambda self: "cpu")
        vendor_name = property(lambda self: "cpu")
        device_module = property(lambda self: _cpu_device_module())  # one per process

        def manual_seed(self, seed: int) -> None:
            import torch

            torch.manual_seed(seed)

        manual_seed_all = manual_seed

        @contextlib.contextmanager
        def nvtx_range(self, msg: str):
            yield

        def _nothing_to_do(self, *args, **kwargs) -> None:
            """No device to select, synchronize, free or profile."""

        set_device = synchronize = set_allocator_settings = empty_cache = profiler_start = profiler_stop = \
            _nothing_to_do
        is_available = lambda self: True
        is_platform_available = lambda self, use_smi_check=False: cpu_mode_requested()  # never auto-picked
        device_count = lambda self: 1
        current_device = lambda self: "cpu"  # used as `x.to(get_device_id())`
        get_device_capability = lambda self, device_index=0: (None, None)
        communication_backend_name = lambda self: "gloo"
        visible_devices_envvar = lambda self: "CUDA_VISIBLE_DEVICES"
        ray_resource_name = lambda self: "CPU"
        ray_resource_options = lambda self, num_gpus: {"num_cpus": max(1, int(num_gpus))}
        ray_noset_envvars = lambda self: []
        is_ipc_supported = lambda self: False
        cudart = lambda self: None

    return PlatformCPU


def _initialize_global_process_group(timeout_second=36000):
    """verl.utils.distributed.initialize_global_process_group with backend "gloo" (torchrun env)."""
    import torch.distributed

    torch.distributed.init_process_group(backend="gloo", timeout=timedelta(seconds=timeout_second),
                                         init_method=os.environ.get("DIST_INIT_METHOD", None))
    return int(os.environ["LOCAL_RANK"]), int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])


def enable_cpu_mode() -> None:
    """Select the CPU platform and apply the patches listed in the module docstring (idempotent)."""
    global _enabled
    if _enabled:
        return
    check_verl_version()
    import verl.plugin.platform.platform_manager as pm
    from verl.plugin.platform import PlatformRegistry

    current = pm._current_platform
    if current is not None and current.device_name != "cpu":
        raise VerlCPUModeError(
            f"verl already resolved its platform to {current.device_name!r}: call enable_cpu_mode() (or set "
            f"{ENV_DEVICE}=cpu) before importing verl.trainer / verl.workers")
    cached = sys.modules.get("verl.workers.engine.fsdp.transformer_impl")
    if cached is not None and getattr(cached, "device_name", "cpu") != "cpu":
        raise VerlCPUModeError("verl.workers.engine was imported before CPU mode was enabled")

    # 1. the platform: everything in verl.utils.device (get_device_name, get_nccl_backend, get_torch_device,
    #    get_device_id, ...) delegates to it.
    platform_cls = PlatformRegistry.register(platform="cpu")(_make_platform_class())
    os.environ["VERL_PLATFORM"] = "cpu"  # also picked by child processes that import verl
    pm.set_platform(platform_cls())

    # 2. process group: "cpu:gloo,cpu:gloo" is rejected by torch; run_sft imports this name at call time.
    import verl.utils.distributed as vdist

    vdist.initialize_global_process_group = _initialize_global_process_group
    ray_init = vdist.initialize_global_process_group_ray  # the RL workers' variant builds the same string
    if not getattr(ray_init, "_jamel_cpu", False):
        def _ray_gloo(timeout_second=None, backend=None):
            return ray_init(timeout_second=timeout_second, backend=backend or "gloo")

        _ray_gloo._jamel_cpu = True
        vdist.initialize_global_process_group_ray = _ray_gloo

    # 3. engine lookup: FSDPEngineWithLMHead is registered for cuda/npu only.
    from verl.workers.engine.base import EngineRegistry
    from verl.workers.engine.fsdp.transformer_impl import FSDPEngineWithLMHead

    registry = EngineRegistry._engines.get("language_model", {})
    for backend in ("fsdp", "fsdp2"):
        if "cpu" not in registry.get(backend, {}):
            EngineRegistry.register(model_type="language_model", backend=backend, device="cpu")(FSDPEngineWithLMHead)

    # 3b. FSDP2 engines in forward-only mode (the RL reference policy) shard with CPUOffloadPolicy(pin_memory=True);
    #     pinning needs an accelerator. On CPU the "offload" target is where the weights already are: no pinning.
    import verl.workers.engine.fsdp.transformer_impl as fsdp_impl

    base_policy = fsdp_impl.CPUOffloadPolicy
    if base_policy is not None and not getattr(base_policy, "_jamel_cpu", False):
        class _UnpinnedOffloadPolicy(base_policy):
            _jamel_cpu = True

            def __init__(self, pin_memory: bool = False):
                super().__init__(pin_memory=False)

        fsdp_impl.CPUOffloadPolicy = _UnpinnedOffloadPolicy

    # 4. RL trainer (Ray): ResourcePoolManager checks the cluster for GPUs/NPUs only; on CPU its placement
    #    groups ask for CPU bundles (the platform's ray_resource_name), which Ray itself checks.
    from verl.single_controller.ray.base import ResourcePoolManager

    ResourcePoolManager._check_resource_available = lambda self: None
    _enabled = True


def cpu_mode_requested() -> bool:
    return os.environ.get(ENV_DEVICE, "").lower() == "cpu"


# FSDP2 mixed precision all in fp32 (SFT and RL on CPU): also turns verl's bf16 autocast off.
FP32_MIXED_PRECISION = "{param_dtype:fp32,reduce_dtype:fp32,buffer_dtype:fp32}"

# Hydra overrides CPU mode needs, as (key, value, why). `sft_entry` adds those the user did not set.
CPU_OVERRIDES: tuple[tuple[str, str, str], ...] = (
    ("trainer.device", "cpu", "sft_trainer puts per-step tensors on config.trainer.device (default cuda)"),
    ("engine.strategy", "fsdp2", "FSDP2 (fully_shard) runs on a gloo CPU mesh; the yaml default is FSDP1"),
    ("++engine.mixed_precision", FP32_MIXED_PRECISION,
     "default param dtype is bf16 (CPU autocast, slow and lossy); fp32 also disables autocast"),
    ("++model.override_config.attn_implementation", "sdpa", "HFModelConfig defaults to flash_attention_2 (no CPU build)"),
    ("model.use_remove_padding", "false",
     "packed batches: verl swaps Qwen-VL attention for flash-attn varlen (text-only HF models do work packed with "
     "sdpa, same loss); padded is exact for every model and the only layout the memory prefix fits"),
    ("engine.use_torch_compile", "false", "no inductor/C++ toolchain needed on CPU"),
)


def cpu_overrides(user_args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The CPU-mode Hydra overrides whose keys the user did not set (`key=v`, `+key=v`, `++key=v`, `~key`)."""
    given = {a.split("=", 1)[0].lstrip("+~") for a in user_args if not a.startswith("-")}
    def taken(bare: str) -> bool:  # the user set this key, a key inside it, or one it is inside
        return any(g == bare or g.startswith(bare + ".") or bare.startswith(g + ".") for g in given)

    return [f"{key}={value}" for key, value, _why in CPU_OVERRIDES if not taken(key.lstrip("+"))]


if cpu_mode_requested():  # `VERL_USE_EXTERNAL_MODULES=jamel.train.verl_cpu` or a plain import with the env set
    enable_cpu_mode()
