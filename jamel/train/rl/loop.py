"""verl's agent loop for JAMEL: one loop run = one browser session; each step comes back as one sample.

  * `JamelSessionLoop` (`@register("jamel_session")`, `rollout.agent.default_agent_loop=jamel_session`): verl
    runs it `rollout.n` = GROUP_SIZE times per dataset row (an app) with `session_id` 0..n-1. It submits the
    session to the env-worker pool (`jamel.rollout.pool.SessionPool`, Ray actors each owning a BrowserEnv +
    Chromium + scorer + an `RLAgent`) and turns the session's `StepSample`s into `AgentLoopOutput`s, one per
    step: prompt = the step's prompt ids, response = the answer (response_mask all 1: loss only on the answer,
    as in SFT), the memory vectors and screenshot in `multi_modal_data`, per-step reward, validity and state key
    in `extra_fields`. `reward_score` (which verl copies to every step of a loop) is the session return, so
    verl's `critic/score/*` and `val-core/*` metrics read as session returns.
    The sessions of a group share the app and the env seed (same start state); their sampling seeds differ.
    Validation rows (VAL_APPS) run one session each with a seed fixed across iterations (a fixed panel).
  * `JamelAgentLoopWorker` (verl's TransferQueue agent-loop worker, subclassed, instantiated by
    `JamelAgentLoopManager`, selected with `rollout.agent.agent_loop_manager_class`): builds each sample's
    `multi_modal_inputs` from the stored screenshot + memory vectors with `jamel.train.rl.sample.model_inputs`
    (the rollout server's own function), so the trainer's forward sees exactly what the rollout saw. Position
    ids are 1-D: `JamelMemoryForCausalLM` derives M-RoPE ids (shifted by the memory prefix) itself.
  * `JamelAppDataset` (`data.custom_cls`): one row per app (parquet column `app`, `split` train | val).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import ray
import torch
import transfer_queue as tq

from verl.experimental.agent_loop.agent_loop import (AgentLoopBase, AgentLoopMetrics, AgentLoopOutput,
                                                     AgentLoopWorker, register)
from verl.trainer.ppo.v1.agent_loop_tq import AgentLoopManagerTQ, AgentLoopWorkerTQ
from verl.utils.model import compute_position_id_with_mask

from jamel.rollout.pool import SessionPool, SessionTask, WorkerSpec
from jamel.train.rl.sample import load_processor, model_inputs

AGENT_LOOP = "jamel_session"
_POOL: Any = None  # the env-worker pool of this agent-loop worker process (warm across iterations)


def group_seed(seed: int, app: str, global_step: int, index: int, validate: bool) -> int:
    """The env seed of a group: training groups differ per iteration; the validation panel never changes."""
    key = f"{seed}/{app}/val" if validate else f"{seed}/{app}/{global_step}/{index}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")


def env_pool(config) -> Any:
    """The process's `SessionPool` of env workers (Ray backend), built on first use from `config.jamel`."""
    global _POOL
    if _POOL is None:
        j = config.jamel
        rollout = config.actor_rollout_ref.rollout
        replicas = (config.trainer.n_gpus_per_node * config.trainer.nnodes) // (
            rollout.tensor_model_parallel_size * rollout.data_parallel_size * rollout.pipeline_model_parallel_size)
        agent_kwargs = {"model_path": str(config.actor_rollout_ref.model.path), "compressor_path": str(j.compressor),
                        "servers": max(1, replicas), "max_memory_items": int(j.max_memory_items),
                        "max_input_tokens": int(rollout.prompt_length), "device": str(j.env_device),
                        "max_new_tokens": int(rollout.response_length)}
        spec = WorkerSpec(corpus=str(j.corpus), agent="jamel.train.rl.agent:RLAgent", agent_kwargs=agent_kwargs,
                          env=dict(j.get("env") or {}))
        _POOL = SessionPool(spec, workers=int(j.env_workers), backend="ray", max_retries=int(j.max_retries),
                            ray_resources={"num_cpus": float(j.env_worker_cpus)})
    return _POOL


@register(AGENT_LOOP)
class JamelSessionLoop(AgentLoopBase):
    async def run(self, sampling_params: dict[str, Any], **kwargs) -> list[AgentLoopOutput]:
        j = self.config.jamel
        app, split = str(kwargs["app"]), str(kwargs.get("split", "train"))
        k, gs, uid = int(kwargs["session_id"]), int(kwargs["global_steps"]), str(kwargs["uid"])
        seed = group_seed(int(j.seed), app, gs, int(kwargs.get("index", 0)), split == "val")
        session_name = f"{split}/step_{gs}/{app}_{uid[:8]}/session_{k}"
        task = SessionTask(app=app, index=k, seed=seed, steps=int(j.session_steps),
                           session_dir=str(Path(j.rollout_dir) / session_name), session_id=session_name,
                           record_takes=False, html_report=False, episode_steps=int(j.episode_steps),
                           agent_options={"temperature": float(sampling_params.get("temperature", 1.0)),
                                          "top_p": float(sampling_params.get("top_p", 1.0)), "sample_seed": k})
        started = time.perf_counter()
        result = await env_pool(self.config).run_async(task)
        if result.error is not None:
            raise RuntimeError(f"session {session_name} failed: {result.error}") from result.error
        wall = time.perf_counter() - started
        summary = result.summary
        samples = summary["payload"]
        curve = [int(summary["coverage_initial"])] + [int(c) for c in summary["coverage_curve"]]
        session_return = float(sum(s.reward for s in samples))
        penalty = float(j.format_penalty)
        ms = summary.get("mean_ms", {})
        outputs = []
        for s in samples:
            new_cov = curve[s.step] - curve[s.step - 1] if s.step < len(curve) else 0
            outputs.append(AgentLoopOutput(
                prompt_ids=s.prompt_ids, response_ids=s.response_ids, response_mask=[1] * len(s.response_ids),
                response_logprobs=s.log_probs,
                multi_modal_data={"jamel_screenshot": s.screenshot, "jamel_memory": s.memory},
                reward_score=session_return, num_turns=2,
                metrics=AgentLoopMetrics(generate_sequences=wall / max(1, len(samples))),
                extra_fields={"min_global_steps": gs, "max_global_steps": gs, "reward_extra_info": {},
                              "jamel_reward": float(s.reward) - (penalty if not s.valid else 0.0),
                              "jamel_env_reward": int(s.reward), "jamel_valid": bool(s.valid),
                              "jamel_step": int(s.step), "jamel_state_key": s.state_key,
                              "jamel_session": f"{uid}_{k}", "jamel_app": app, "jamel_new_coverage": int(new_cov),
                              "jamel_memory_items": int(s.memory.shape[0]),
                              "jamel_scoring_ms": float(ms.get("scoring_ms", 0.0)),
                              "jamel_env_step_ms": float(ms.get("step_ms", 0.0)),
                              "jamel_agent_ms": float(ms.get("agent_ms", 0.0)), "jamel_session_wall_s": wall}))
        return outputs


def _tq_method(name: str):
    """A method of verl's TransferQueue worker (`AgentLoopWorkerTQ`, a Ray actor class wrapping a plain one)."""
    return getattr(AgentLoopWorkerTQ.__ray_metadata__.modified_class.__ray_actor_class__, name)


class JamelAgentLoopWorker(AgentLoopWorker):
    """verl's TransferQueue agent-loop worker, rebuilt on verl's plain `AgentLoopWorker`: a subclass of the
    TQ class fails in Ray workers (its zero-argument `super()` no longer matches once Ray re-creates the class:
    "super(type, obj): obj must be an instance or subtype of type"), so the TQ methods are reused as they are
    and only the two input builders are JAMEL's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tq.init()
        self.background_tasks = set()

    generate_sequences = _tq_method("generate_sequences")
    _run_prompt = _tq_method("_run_prompt")
    _agent_loop_postprocess = _tq_method("_agent_loop_postprocess")
    _jamel_processor = None

    def _compute_multi_modal_inputs(self, output, input_ids) -> dict[str, torch.Tensor]:
        mm = output.multi_modal_data or {}
        if "jamel_memory" not in mm:
            return super()._compute_multi_modal_inputs(output, input_ids)
        if self._jamel_processor is None:
            self._jamel_processor = load_processor(self.config.actor_rollout_ref.model.path)
        return model_inputs(self._jamel_processor, mm.get("jamel_screenshot"), mm["jamel_memory"])

    def _compute_position_ids(self, input_ids, attention_mask, multi_modal_inputs, mm_processor_kwargs=None):
        return compute_position_id_with_mask(attention_mask)


class JamelAgentLoopManager(AgentLoopManagerTQ):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent_loop_workers_class = ray.remote(JamelAgentLoopWorker)


class JamelAppDataset(torch.utils.data.Dataset):
    """Rows of apps for verl's dataloader: parquet files with columns `app` and `split` (train | val)."""

    def __init__(self, data_files, tokenizer=None, processor=None, config=None, max_samples: int = -1):
        files = [data_files] if isinstance(data_files, (str, Path)) else list(data_files)
        self.rows = [r for f in files for r in pq.read_table(str(f)).to_pylist()]
        if max_samples and max_samples > 0:
            self.rows = self.rows[:max_samples]
        if not self.rows:
            raise ValueError(f"no apps in {files}")

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self.rows[i]
        return {"app": row["app"], "split": row.get("split", "train"), "index": i,
                "raw_prompt": [{"role": "user", "content": f"explore {row['app']}"}],
                "data_source": f"jamel/{row['app']}", "dummy_tensor": torch.tensor([0], dtype=torch.uint8)}


def write_app_rows(path: str | Path, apps: list[str], split: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"app": list(apps), "split": [split] * len(apps)}), path)
    return path
