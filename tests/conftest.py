from __future__ import annotations

from pathlib import Path

import pytest

from jamel.browser.env import BrowserEnv, EnvConfig
from jamel.server import CorpusServer

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.fixture(scope="session")
def fixture_server():
    with CorpusServer(FIXTURE_CORPUS) as server:
        yield server


@pytest.fixture()
def novelty_env(fixture_server):
    env = BrowserEnv(EnvConfig(start_url=fixture_server.url_for("novelty"), max_steps=50, settle_ms=100))
    yield env
    env.close()


def bid_of(obs, name: str, role: str | None = None) -> str:
    for el in obs.interactive:
        if el.name == name and (role is None or el.role == role):
            return el.bid
    raise AssertionError(f"no element named {name!r} in {[(e.role, e.name) for e in obs.interactive]}")
