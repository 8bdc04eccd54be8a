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

import os
from typing import Any

import ray
import torch.distributed as dist
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from verl.workers.rollout import base as rollout_base
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutReplica, RolloutReplicaRegistry

from jamel.train.rl.sample import server_name
from jamel.train.rl.server import HFGenerateServer

NAME = "jamel_hf"


class HFServerAdapter(BaseRollout):
    """In each FSDP actor worker: forwards verl's weight sync to the replica's `HFGenerateServer`."""

    def __init__(self, config, model_config, device_mesh, *args, **kwargs):
        super().__init__(config, model_config, device_mesh, *args, **kwargs)
        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        per_replica = (self.config.tensor_model_parallel_size * self.config.data_parallel_size
                       * self.config.pipeline_model_parallel_size)
        self.replica_rank, self.leader = rank // per_replica, rank % per_replica == 0

    async def resume(self, *args, **kwargs):  # also release(): the weights stay on the server
        pass

    release = resume

    async def update_weights(self, weights, wire_format: str = "named_tensors", **kwargs):
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


class HFRolloutReplica(RolloutReplica):
    """Launches the replica's `HFGenerateServer` next to its (first) actor worker."""

    async def launch_servers(self):
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
        self.servers, self._server_handle = [server], server
        self._server_address = f"{NAME}://{self.replica_rank}"


def register() -> None:
    """Make `actor_rollout_ref.rollout.name=jamel_hf` resolve (idempotent)."""
    rollout_base._ROLLOUT_REGISTRY[(NAME, "async")] = f"{__name__}.HFServerAdapter"
    RolloutReplicaRegistry.register(NAME, lambda: HFRolloutReplica)


register()  # on import (verl imports this module through jamel.train.rl.plugin in every process)
