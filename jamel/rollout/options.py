"""Session settings that explore, eval and RL rollouts share: how the env runs and scores a step."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterable

from jamel.config import opt


@dataclass(kw_only=True)
class SessionOptions:
    """EnvConfig fields (jamel.env.browser) a run sets; see `env_settings`."""

    coverage_filter: str = opt("app", "app: only the app's own scripts count (incl. code it shares from the corpus "
                                      "root); http: every http script (the release's choice)", choices=("app", "http"))
    coverage_mode: str = opt("persistent", "persistent: every entity ever covered counts (pays once); merged: "
                                           "monocart's merged total", choices=("persistent", "merged"))
    settle: str = opt("adaptive", "after an action, adaptive: wait until no request, DOM mutation or short timer is "
                                  "pending for the quiet window, capped; fixed: sleep --settle-ms (which implies it)",
                      choices=("adaptive", "fixed"))
    settle_ms: int = opt(250, "fixed settle in ms")
    settle_quiet_ms: int = opt(50, "adaptive settle: quiet window in ms")
    settle_cap_ms: int = opt(1500, "adaptive settle: longest wait in ms")
    action_timeout_ms: int = opt(3000, "how long an action waits for its element to become actionable")
    step_timeout_s: float = opt(30.0, "deadline for a whole step; a browser that exceeds it is killed and restarted")
    overlap_scoring: bool = opt(True, "wait for C(t) before taking the observation (default: score while observing; "
                                      "same records)")

    def cli_given(self, given: set[str]) -> None:
        """`--settle-ms N` alone means a fixed settle of N ms."""
        if "settle_ms" in given and "settle" not in given:
            self.settle = "fixed"


def env_settings(cfg: SessionOptions) -> dict[str, Any]:
    """EnvConfig fields (other than start_url) from an explore/eval/RL config."""
    return {f.name: getattr(cfg, f.name) for f in fields(SessionOptions)}


class SettingsChanged(ValueError):
    """A rerun into a folder whose finished sessions were made with other settings."""


# Settings that change how a session runs, not what it records; a rerun may change them and resume:
# scoring overlap, where a model is served, the step deadline (a robustness bound, not a behaviour).
_SAME_RESULTS = {"overlap_scoring", "agent_kwargs.base_url", "step_timeout_s"}
# What every session's records depend on besides the steps (explore: steps, episode_steps; eval: max_steps).
RESULT_KEYS = ("corpus", "agent", "agent_kwargs", "seed", *(f.name for f in fields(SessionOptions)))


def _same_path(value: Any) -> Any:
    """A model folder as one spelling: `runs/ckpt`, `runs/ckpt/` and its absolute path are one model."""
    return os.path.realpath(value) if isinstance(value, str) and os.path.exists(value) else value


def _flat(config: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """`keys` of a config as JSON stores them, dicts one level deep (`agent_kwargs.model`)."""
    out: dict[str, Any] = {}
    for k in keys:
        v = json.loads(json.dumps(config[k]))
        out.update({f"{k}.{sub}": x for sub, x in v.items()} if isinstance(v, dict) else {k: v})
    if out.get("settle") == "adaptive":
        out.pop("settle_ms", None)  # the fixed settle's length: unused by the adaptive one
    return {k: _same_path(v) if k.endswith("model_path") else v for k, v in out.items() if k not in _SAME_RESULTS}


def check_resume(folder: Path, config: dict[str, Any], keys: Iterable[str]) -> None:
    """Raises SettingsChanged when `folder` holds finished sessions (a rerun would skip them) and its
    config.json gives any of `keys` another value than `config`: they would be reported as this run's.
    Keys the old config lacks (written before they existed, at any depth) are not compared."""
    path = folder / "config.json"
    if not path.is_file() or not any(folder.glob("*/session_*/summary.json")):
        return
    stored = json.loads(path.read_text())
    keys = [k for k in keys if k in stored]
    old, new = _flat(stored, keys), _flat(config, keys)
    diffs = [f"{k} {old.get(k, '(unset)')!r} -> {new.get(k, '(unset)')!r}" for k in sorted(old)
             if old.get(k) != new.get(k)]
    if diffs:
        raise SettingsChanged(f"{folder} holds finished sessions run with other settings ({'; '.join(diffs)}); "
                              "rerun with the same settings to resume, or write to another --output")
