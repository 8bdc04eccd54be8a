"""Agents used by tests/test_eval.py (importable by Ray worker processes)."""
from __future__ import annotations

import os
from pathlib import Path

from jamel.agents.baselines import CrawlerAgent


class CrashOnceAgent(CrawlerAgent):
    """Kills its worker process at the first step of the first attempt (a crashed eval worker)."""

    def __init__(self, marker: str):
        self.marker = Path(marker)

    def act(self, obs, ctx):
        if not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(17)
        return super().act(obs, ctx)
