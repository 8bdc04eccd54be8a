"""Advantage estimators for RL on browser sessions, one scalar advantage per step sample.

Layout: every env step is a training sample. A *session* (one app, many steps, persistent coverage baseline) is the
unit whose return the novelty reward defines; a *group* is GROUP_SIZE sessions of the same app from the same start
state. The trainer's advantage step calls `compute_step_advantages` with one entry per step sample and broadcasts
the result over the step's response tokens.

Estimators
* ``grpo``: verl's GRPO on session returns (sum of the session's step rewards), grouped by `group_ids`; every step
  of a session gets its session's advantage. Knob ``norm_by_std`` (default True; False is Dr.GRPO).
* ``gigpo``: GiGPO-style. Episode part = the ``grpo`` advantage above. Step part: steps of one group's sessions that
  act from the same `state_keys` value form a step group; each step's discounted return-to-go (``gamma``, to the
  end of its session, since the novelty baseline persists across resets) is normalised within its step group
  (verl's GRPO again, same ``norm_by_std``). A step group of one gets step advantage 0 (no baseline to compare
  with). Advantage = episode + ``step_weight`` * step (default 1.0, GiGPO's omega). Knob ``anchor``: "state"
  (default) groups by state key alone, so a screen seen at step 2 and at step 9 shares a baseline; with the
  persistent novelty reward the screen is not the whole state (what is already covered is not on it, and fewer
  steps remain later), so those visits have systematically different returns-to-go. "state_step" also requires
  the same step index, which removes that time bias at the cost of more singletons.
* ``rloo``, ``reinforce_plus_plus_baseline``: verl's estimators of those names on session returns, broadcast to
  the session's steps like ``grpo``.

verl's outcome estimators take (batch, tokens) reward tensors and an index; a session is passed as one row of
one token holding its return, so verl's own code does the group statistics (torch.std, i.e. unbiased, eps 1e-6).
verl's convention for a session group of one (mean 0, std 1) is kept for the session-level estimators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch

ESTIMATORS = ("grpo", "gigpo", "rloo", "reinforce_plus_plus_baseline")
ANCHORS = ("state", "state_step")  # what makes steps comparable in a gigpo step group (see the module docstring)

# Knobs each estimator accepts (anything else is a typo and is refused).
_KNOBS: dict[str, frozenset[str]] = {
    "grpo": frozenset({"norm_by_std", "epsilon"}),
    "gigpo": frozenset({"norm_by_std", "epsilon", "step_weight", "anchor"}),
    "rloo": frozenset({"epsilon"}),
    "reinforce_plus_plus_baseline": frozenset({"epsilon"}),
}


@dataclass(frozen=True)
class _Layout:
    """Step samples indexed into sessions, groups and step groups (all int arrays of length n_steps)."""

    session: np.ndarray  # dense session index per step
    session_group: np.ndarray  # dense group index per session
    step_group: np.ndarray  # dense (group, state_key) index per step
    step_group_size: np.ndarray  # size of each step's step group, per step
    order: np.ndarray  # step positions sorted by (session, step_index)


def _dense(values: Sequence[Any]) -> np.ndarray:
    """Dense 0..k-1 ids in order of first appearance (keys may be any hashable)."""
    ids: dict[Any, int] = {}
    return np.fromiter((ids.setdefault(v, len(ids)) for v in values), dtype=np.int64, count=len(values))


def _layout(group_ids, session_ids, step_index: np.ndarray, state_keys, anchor: str = "state") -> _Layout:
    n = len(step_index)
    session = _dense(list(session_ids))
    group = _dense(list(group_ids))
    n_sessions = int(session.max()) + 1 if n else 0
    session_group = np.full(n_sessions, -1, dtype=np.int64)
    for key, s, g in zip(session_ids, session, group):
        if session_group[s] not in (-1, g):
            raise ValueError(f"session {key!r} appears in more than one group")
        session_group[s] = g
    order = np.lexsort((step_index, session))
    same_session = session[order][1:] == session[order][:-1]
    if np.any(same_session & (step_index[order][1:] == step_index[order][:-1])):
        raise ValueError("duplicate step_index within a session")
    if anchor not in ANCHORS:
        raise ValueError(f"anchor must be one of {ANCHORS}, got {anchor!r}")
    keys = zip(group.tolist(), list(state_keys), step_index.tolist() if anchor == "state_step" else [0] * n)
    step_group = _dense(list(keys))
    step_group_size = np.bincount(step_group)[step_group] if n else step_group
    return _Layout(session, session_group, step_group, step_group_size, order)


def discounted_returns(rewards: np.ndarray, layout: _Layout, gamma: float) -> np.ndarray:
    """Return-to-go G_t = r_t + gamma * G_{t+1} within each session, in step_index order."""
    out = np.zeros(len(rewards), dtype=np.float64)
    running, prev_session = 0.0, None
    for pos in layout.order[::-1]:
        if layout.session[pos] != prev_session:
            running, prev_session = 0.0, layout.session[pos]
        running = float(rewards[pos]) + gamma * running
        out[pos] = running
    return out


def _verl_outcome(name: str, scores: np.ndarray, index: np.ndarray, **kwargs) -> np.ndarray:
    """Run verl's registered outcome estimator `name` with one single-token row per score."""
    from verl.trainer.ppo.core_algos import get_adv_estimator_fn

    fn: Callable = get_adv_estimator_fn(name)
    rewards = torch.tensor(scores, dtype=torch.float32).unsqueeze(-1)
    adv, _ = fn(token_level_rewards=rewards, response_mask=torch.ones_like(rewards), index=index, **kwargs)
    return adv[:, 0].double().numpy()


def _session_level(name: str, rewards: np.ndarray, layout: _Layout, **kwargs) -> np.ndarray:
    """verl estimator `name` on session returns, broadcast back to every step of the session."""
    returns = np.bincount(layout.session, weights=rewards, minlength=len(layout.session_group))
    return _verl_outcome(name, returns, layout.session_group, **kwargs)[layout.session]


def compute_step_advantages(
    estimator: str,
    *,
    rewards: np.ndarray,
    group_ids,
    session_ids,
    step_index: np.ndarray,
    state_keys,
    gamma: float,
    **knobs,
) -> tuple[np.ndarray, dict[str, float]]:
    """One advantage per step sample (float64 array) plus stats: step groups (count, singleton share, mean
    size), sessions, session groups and advantage mean/std/min/max. See the module docstring for the estimators."""
    if estimator not in _KNOBS:
        raise ValueError(f"unknown advantage estimator {estimator!r}; choose from {', '.join(ESTIMATORS)}")
    unknown = set(knobs) - _KNOBS[estimator]
    if unknown:
        raise ValueError(f"estimator {estimator!r} takes no knob(s) {sorted(unknown)}; "
                         f"allowed: {sorted(_KNOBS[estimator])}")
    rewards = np.asarray(rewards, dtype=np.float64)
    step_index = np.asarray(step_index)
    lengths = {"rewards": len(rewards), "group_ids": len(group_ids), "session_ids": len(session_ids),
               "step_index": len(step_index), "state_keys": len(state_keys)}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"inconsistent lengths: {lengths}")
    if rewards.ndim != 1 or step_index.ndim != 1:
        raise ValueError("rewards and step_index must be 1-D (one entry per step sample)")
    if len(rewards) == 0:
        raise ValueError("no step samples")
    if not np.all(np.isfinite(rewards)):
        raise ValueError("rewards must be finite")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    layout = _layout(group_ids, session_ids, step_index, state_keys, str(knobs.get("anchor", "state")))

    eps = {"epsilon": float(knobs["epsilon"])} if "epsilon" in knobs else {}
    norm = {"norm_adv_by_std_in_grpo": bool(knobs.get("norm_by_std", True))}
    if estimator in ("grpo", "gigpo"):
        adv = _session_level("grpo", rewards, layout, **norm, **eps)
    else:
        adv = _session_level(estimator, rewards, layout, **eps)
    if estimator == "gigpo":
        step_adv = _verl_outcome("grpo", discounted_returns(rewards, layout, gamma), layout.step_group, **norm, **eps)
        step_adv[layout.step_group_size == 1] = 0.0
        adv = adv + float(knobs.get("step_weight", 1.0)) * step_adv

    sizes = np.bincount(layout.step_group)
    stats = {
        "step_groups": float(len(sizes)),
        "step_group_singleton_share": float(np.mean(sizes == 1)),
        "step_group_mean_size": float(np.mean(sizes)),
        "sessions": float(len(layout.session_group)),
        "session_groups": float(layout.session_group.max() + 1),
        "adv_mean": float(adv.mean()),
        "adv_std": float(adv.std()),
        "adv_min": float(adv.min()),
        "adv_max": float(adv.max()),
    }
    return adv, stats
