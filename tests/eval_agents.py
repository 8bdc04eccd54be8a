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


class CrashOnAppAgent(CrawlerAgent):
    """Kills its worker process on every session of one app (a page that always crashes the worker)."""

    def __init__(self, app: str):
        self.app = app

    def act(self, obs, ctx):
        if f"/{self.app}/" in obs.url:
            os._exit(17)
        return super().act(obs, ctx)


class CountingAgent(CrawlerAgent):
    """Appends its process id to a file when it is built, and the session to another when one begins: a test
    counts agent constructions (model loads) per worker process."""

    def __init__(self, log: str):
        super().__init__()
        self.log = Path(log)
        with self.log.open("a") as f:
            f.write(f"{os.getpid()}\n")

    def begin_session(self, ctx, seed):
        with self.log.with_suffix(".sessions").open("a") as f:
            f.write(f"{os.getpid()} {ctx.app}\n")
        super().begin_session(ctx, seed)
