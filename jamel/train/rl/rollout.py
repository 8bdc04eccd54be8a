"""HF-transformers generate as a verl rollout backend ("jamel_hf"): works on CPU (tiny models, CI) and GPU.

verl 0.9.1 ships rollout servers for vLLM / SGLang / TensorRT-LLM only (its `HFRollout` is abstract). A
backend is two registrations:
  * `RolloutReplicaRegistry.register("jamel_hf", ...)` -> `HFRolloutReplica`: launches one `HFGenerateServer`
    Ray actor per replica (a named actor, so env workers can reach it) holding a copy of the policy;
  * `verl.workers.rollout.base._ROLLOUT_REGISTRY[("jamel_hf", "async")]` -> `HFServerAdapter`: lives in every
    actor (FSDP) worker and receives verl's weight sync (`update_weights`, full tensors gathered from FSDP);
    the replica's leader rank ships them to its server.
The server generates with `MemoryAugmentedPolicy.generate` (the eval agent's sampler: memory prefix, M-RoPE
shift, KV cache, seeded) and then scores the sampled tokens with one forward of `JamelMemoryForCausalLM`, the
module the trainer runs, so rollout log-probs equal the trainer's recomputed ones up to float noise (verl's
`training/rollout_probs_diff_*` metrics check it every iteration).
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

from jamel.train.rl.sample import server_name

log = logging.getLogger(__name__)

NAME = "jamel_hf"


class HFGenerateServer:
    """Ray actor (threaded): one policy copy; `generate` serialises on a lock (one forward at a time)."""

    def __init__(self, model_path: str, device: str = "cpu", dtype: str | None = None):
        import torch

        from jamel.train.memory_sft import JamelMemoryForCausalLM, register
        from jamel.train.rl.sample import load_processor

        register()
        self.device = torch.device(device)
        self.dtype = getattr(torch, dtype) if dtype else (torch.bfloat16 if self.device.type == "cuda" else torch.float32)
        attn = "sdpa"
        self.model = JamelMemoryForCausalLM.from_pretrained(model_path, dtype=self.dtype, attn_implementation=attn)
        self.model.to(self.device).eval().requires_grad_(False)
        self.processor = load_processor(model_path)
        self.pad_id = self.processor.tokenizer.pad_token_id
        self.lock = threading.Lock()
        self.weights_version: int | None = None
        self.requests = 0

    # --- weight sync ------------------------------------------------------------------------------------
    def load_weights(self, state: dict[str, Any], version: int | None = None) -> int:
        import torch

        with self.lock, torch.no_grad():
            own = self.model.state_dict()
            unknown = sorted(set(state) - set(own))
            if unknown:
                raise KeyError(f"weights the rollout model does not have: {unknown[:5]} ({len(unknown)})")
            for name, tensor in state.items():
                own[name].copy_(tensor.to(own[name].device, own[name].dtype))
            self.weights_version = version
        return len(state)

    # --- generation ---------------------------------------------------------------------------------------
    def generate(self, prompt_ids: list[int], screenshot: bytes | None, memory: np.ndarray, temperature: float,
                 top_p: float, max_new_tokens: int, seed: int) -> dict[str, Any]:
        import torch

        from jamel.train.rl.sample import model_inputs

        inputs = model_inputs(self.processor, screenshot, memory)
        ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=self.device)
        mask = torch.ones_like(ids)
        pixels = inputs.get("pixel_values")
        grid = inputs.get("image_grid_thw")
        if pixels is not None:
            pixels, grid = pixels.to(self.device, self.dtype), grid.to(self.device)
        memory_t = inputs["memory_tokens"].to(self.device, self.dtype)
        with self.lock, torch.no_grad():
            policy = self.model.policy
            eos = policy.default_eos_ids()
            generator = torch.Generator(device=self.device).manual_seed(int(seed))
            tokens = policy.generate(ids, mask, pixels, grid, memory_tokens=[memory_t], temperature=temperature,
                                     top_p=top_p, max_new_tokens=int(max_new_tokens), eos_token_ids=eos,
                                     pad_token_id=self.pad_id, generator=generator)[0].tolist()
            for i, t in enumerate(tokens):  # keep up to (and including) the first EOS
                if t in eos:
                    tokens = tokens[:i + 1]
                    break
            log_probs = self._score(ids, tokens, pixels, grid, memory_t, temperature) if tokens else []
            self.requests += 1
        return {"token_ids": tokens, "log_probs": log_probs, "weights_version": self.weights_version}

    def _score(self, ids, tokens, pixels, grid, memory_t, temperature: float) -> list[float]:
        """Log-probs of the sampled tokens under one full forward (the trainer's computation, same temperature)."""
        import torch

        resp = torch.tensor([tokens], dtype=torch.long, device=ids.device)
        full = torch.cat([ids, resp], dim=1)
        out = self.model(input_ids=full, attention_mask=torch.ones_like(full), memory_tokens=memory_t,
                         memory_counts=torch.tensor([memory_t.shape[0]]), pixel_values=pixels, image_grid_thw=grid)
        p = ids.shape[1]
        logits = out.logits[0, p - 1:full.shape[1] - 1].float()
        if temperature > 0:
            logits = logits / temperature
        return torch.log_softmax(logits, dim=-1).gather(-1, resp[0, :, None])[:, 0].tolist()

    # --- verl's replica control calls (weights stay resident; nothing to free on CPU) --------------------
    def ready(self) -> bool:
        return True

    def sleep(self) -> None:
        pass

    def wake_up(self) -> None:
        pass

    def clear_kv_cache(self) -> None:
        pass

    def abort_all_requests(self, reject_request: bool = False) -> None:
        pass

    def resume_generation(self) -> None:
        pass


def _base_rollout():
    from verl.workers.rollout.base import BaseRollout

    return BaseRollout


class HFServerAdapter(_base_rollout()):
    """In each FSDP actor worker: forwards verl's weight sync to the replica's `HFGenerateServer`."""

    def __init__(self, config, model_config, device_mesh, *args, **kwargs):
        super().__init__(config, model_config, device_mesh, *args, **kwargs)
        import torch.distributed as dist

        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        per_replica = (self.config.tensor_model_parallel_size * self.config.data_parallel_size
                       * self.config.pipeline_model_parallel_size)
        self.replica_rank, self.leader = rank // per_replica, rank % per_replica == 0

    async def resume(self, tags: list[str]):
        pass

    async def release(self):
        pass

    async def update_weights(self, weights, wire_format: str = "named_tensors", **kwargs):
        import ray

        if wire_format != "named_tensors":
            raise ValueError(f"the jamel_hf rollout takes full named tensors, not {wire_format!r}")
        state = {}
        for name, tensor in weights:  # every rank iterates: gathering FSDP shards is collective
            if hasattr(tensor, "full_tensor"):
                tensor = tensor.full_tensor()
            if self.leader:
                state[name] = tensor.detach().to("cpu", copy=True)
        if self.leader:
            server = ray.get_actor(server_name(self.replica_rank))
            await server.load_weights.remote(state, kwargs.get("global_steps"))


def _replica_base():
    from verl.workers.rollout.replica import RolloutReplica

    return RolloutReplica


class HFRolloutReplica(_replica_base()):
    """Launches the replica's `HFGenerateServer` next to its (first) actor worker."""

    async def launch_servers(self):
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from verl.utils.device import get_device_name

        device = "cuda" if get_device_name() == "cuda" else "cpu"
        options: dict[str, Any] = {"name": server_name(self.replica_rank), "max_concurrency": 64, "num_cpus": 0}
        if self.workers:
            node, visible = await self.workers[0].__ray_call__.remote(
                lambda _w: (ray.get_runtime_context().get_node_id(), os.environ.get("CUDA_VISIBLE_DEVICES", "")))
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id=node, soft=False)
            if device == "cuda":  # share the worker's GPU (hybrid engine): Ray must not hide it
                options["runtime_env"] = {"env_vars": {"CUDA_VISIBLE_DEVICES": visible,
                                                       "RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES": "1"}}
        model_path = self.model_config.local_path if hasattr(self.model_config, "local_path") else self.model_config.path
        server = ray.remote(HFGenerateServer).options(**options).remote(str(model_path), device, None)
        await server.ready.remote()
        self.servers = [server]
        self._server_handle = server
        self._server_address = f"{NAME}://{self.replica_rank}"


def register() -> None:
    """Make `actor_rollout_ref.rollout.name=jamel_hf` resolve (idempotent)."""
    from verl.workers.rollout import base
    from verl.workers.rollout.replica import RolloutReplicaRegistry

    base._ROLLOUT_REGISTRY[(NAME, "async")] = f"{__name__}.HFServerAdapter"
    RolloutReplicaRegistry.register(NAME, lambda: HFRolloutReplica)
