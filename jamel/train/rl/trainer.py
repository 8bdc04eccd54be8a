"""verl's V1 sync PPO trainer with JAMEL's advantage step (`trainer.v1.trainer_mode=jamel_sync`).

verl's advantage-estimator hook (`register_adv_est`) sees token-level tensors and uids only; step-level groups
(GiGPO) need each sample's session, step index and state key, which travel in the samples' `extra_fields`.
So `JamelPPOTrainer` overrides only `_compute_advantage`: it reads those fields from TransferQueue, calls
`jamel.train.rl.advantage.compute_step_advantages` (one scalar per step sample), broadcasts each scalar over
the sample's response mask and writes `advantages` / `returns` back, as verl's own step does. Everything else
(rollout, old/ref log-probs, PPO update, checkpoints, validation, loggers) is verl's sync trainer. The same
place logs the per-iteration environment metrics (`jamel/*`).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
import transfer_queue as tq
from tensordict import TensorDict

from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync

from jamel.train.rl.advantage import compute_step_advantages
from jamel.train.rl.sample import as_list

TRAINER_MODE = "jamel_sync"


def session_metrics(extras: list[dict], gen_s: float | None) -> dict[str, float]:
    """Environment metrics of one iteration's step samples (see docs/training.md, RL metrics)."""
    sessions: dict[str, float] = defaultdict(float)
    for e in extras:
        sessions[e["jamel_session"]] += e["jamel_env_reward"]
    mean = lambda key: float(np.mean([float(e[key]) for e in extras])) if extras else 0.0  # noqa: E731
    out = {"jamel/session_return/mean": float(np.mean(list(sessions.values()))) if sessions else 0.0,
           "jamel/session_return/max": float(max(sessions.values())) if sessions else 0.0,
           "jamel/reward_per_step": mean("jamel_env_reward"),
           "jamel/valid_action_rate": mean("jamel_valid"),
           "jamel/new_coverage_per_step": mean("jamel_new_coverage"),
           "jamel/memory_items_per_step": mean("jamel_memory_items"),
           "jamel/sessions": float(len(sessions)), "jamel/step_samples": float(len(extras)),
           "jamel/time/scoring_ms_per_step": mean("jamel_scoring_ms"),
           "jamel/time/env_step_ms": mean("jamel_env_step_ms"),
           "jamel/time/agent_ms_per_step": mean("jamel_agent_ms")}
    if gen_s:
        out["jamel/env_steps_per_s"] = max(1, len(extras)) / gen_s
    return out


@register_trainer(TRAINER_MODE)
class JamelPPOTrainer(PPOTrainerSync):
    def _build_replay_buffer(self):
        # verl branches on the mode's *name* ("sync" vs async modes) for its replay buffer, dataloader refill
        # and checkpoint contents: this trainer is the sync trainer in all of them.
        self.trainer_mode = "sync"
        return super()._build_replay_buffer()

    def _compute_advantage(self, batch, metrics: dict):
        j = self.config.jamel
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id,
                               select_fields=["uid", "response_mask", "extra_fields"])
        masks = list(data["response_mask"].unbind())
        extras = as_list(data["extra_fields"])
        adv, stats = compute_step_advantages(
            str(j.adv_estimator),
            rewards=np.array([float(e["jamel_reward"]) for e in extras], dtype=np.float64),
            group_ids=np.array([str(u) for u in as_list(data["uid"])], dtype=object),
            session_ids=np.array([e["jamel_session"] for e in extras], dtype=object),
            step_index=np.array([int(e["jamel_step"]) for e in extras], dtype=np.int64),
            state_keys=np.array([e["jamel_state_key"] for e in extras], dtype=object),
            gamma=float(self.config.algorithm.gamma), **dict(j.get("adv_knobs") or {}))
        adv = np.asarray(adv, dtype=np.float32)
        if adv.shape != (len(extras),):
            raise ValueError(f"{j.adv_estimator}: {adv.shape} advantages for {len(extras)} step samples")
        # one scalar per step sample, on every response token the loss sees
        per_token = [torch.full(m.shape, float(a), dtype=torch.float32) * m.float() for a, m in zip(adv, masks)]
        nested = torch.nested.as_nested_tensor(per_token, layout=torch.jagged)
        out = TensorDict({"advantages": nested, "returns": nested.clone()}, batch_size=len(batch))
        batch = tq.kv_batch_put(keys=batch.keys, partition_id=batch.partition_id, fields=out)
        metrics.update({f"jamel/adv/{k}": float(v) for k, v in stats.items()})
        metrics["jamel/adv/abs_mean"] = float(np.abs(adv).mean())  # the estimator's stats hold mean/std/min/max
        metrics.update(session_metrics(extras, getattr(self, "timing_raw", {}).get("gen")))
        return batch
