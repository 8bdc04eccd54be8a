"""Session settings that explore, eval and RL rollouts share: how the env runs and scores a step."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

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
