from __future__ import annotations

from pathlib import Path

import pytest

from jamel.env.browser import RecordEnv, EnvConfig
from jamel.env.server import CorpusServer

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
ROOT = Path(__file__).resolve().parents[1]


# Fixtures that start a Chromium: a test using any of them (directly or through another fixture) is marked
# `browser`; tests that start one in their own body carry the mark themselves.
BROWSER_FIXTURES = {"novelty_env", "open_app", "shots", "crawler_run", "run_and_site", "sft_data", "hostile_env",
                    "warm_env"}


# Fixtures that run whole explore sessions (tens of seconds on 2 cores): their users are `slow` as well.
SLOW_FIXTURES = {"crawler_run", "run_and_site", "sft_data"}


def pytest_collection_modifyitems(items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if BROWSER_FIXTURES & used:
            item.add_marker(pytest.mark.browser)
        if SLOW_FIXTURES & used:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_clean():
    """Tests write only under temporary folders: no new entry in the checkout's root (Hydra's outputs/, runs/)."""
    before = {p.name for p in ROOT.iterdir()}
    yield
    new = {p.name for p in ROOT.iterdir()} - before - {".pytest_cache"}
    assert not new, f"tests wrote into the checkout: {sorted(new)}"


@pytest.fixture(scope="session", autouse=True)
def private_plan_cache(tmp_path_factory):
    """Scorers keep their plans in this run's temporary folder, not in ~/.cache (tests start from none)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAMEL_PLAN_CACHE", str(tmp_path_factory.mktemp("scorer-plans")))
        yield


@pytest.fixture(scope="session")
def fixture_server():
    with CorpusServer(FIXTURE_CORPUS) as server:
        yield server


@pytest.fixture()
def novelty_env(fixture_server):
    env = RecordEnv(EnvConfig(start_url=fixture_server.url_for("novelty"), max_steps=50, settle_ms=100))
    yield env
    env.close()


def bid_of(obs, name: str, role: str | None = None) -> str:
    for el in obs.interactive:
        if el.name == name and (role is None or el.role == role):
            return el.bid
    raise AssertionError(f"no element named {name!r} in {[(e.role, e.name) for e in obs.interactive]}")


@pytest.fixture(scope="session")
def sft_data(tmp_path_factory):
    """Crawler sessions (2 apps x 2 sessions x 8 steps, episodes of 4) -> rejection -> prepare_sft_dataset
    with the compressor of a tiny packaged model. Shared by the SFT data and pipeline tests."""
    pytest.importorskip("torch")
    from jamel.corpus import load_corpus
    from jamel.data.rejection import RejectionConfig, run as run_rejection
    from jamel.rollout.explore import ExploreConfig, explore
    from jamel.testing.tiny_models import make_tiny_package
    from jamel.data import sft as prep

    root = tmp_path_factory.mktemp("sft")
    runs = root / "runs"
    corpus = load_corpus(None)
    explore(ExploreConfig(corpus=str(corpus.root), apps=["shop", "messenger"], agent="crawler", steps=8, sessions=2,
                          output=str(runs), settle_ms=100, episode_steps=4, html_report=False), corpus, progress=False)
    kept = root / "kept.parquet"
    stats = run_rejection([str(runs / "*" / "session_*" / "trajectory.parquet")], str(kept), RejectionConfig())
    package = make_tiny_package(root / "pkg", seed=0)
    out = root / "sft"
    prep_stats = prep.prepare([str(kept)], str(out), str(package), max_memory_items=5, max_length=8192,
                              val_ratio=0.3, compression_batch_size=3, seed=0)
    return runs, kept, stats, out, prep_stats
