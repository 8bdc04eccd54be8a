"""The scorer's plan-based counts and incremental merge against monocart, on real V8 coverage of a
script holding every construct monocart scores differently (switch fall-through, chained logical
expressions, defaults, classes with static blocks, async and generator methods, try/finally,
functions defined after a return, `v8 ignore` comments)."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from jamel.env.coverage.scorer import (NoveltyScorer, iter_takes, node_env, node_executable, read_takes, replay_fast,
                                       replay_reference)

RECORDER = Path(__file__).parent / "fixtures" / "coverage" / "record_takes.js"


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fast") / "coverage_takes.jsonl"
    out = subprocess.run([node_executable(), str(RECORDER)], capture_output=True, text=True, env=node_env(), timeout=120,
                         check=True)
    path.write_text(out.stdout)
    return path


def test_plan_counts_equal_monocart_at_every_step(takes):
    steps = read_takes(takes)
    assert len(steps) == 29 and all(entries for _, entries in steps)
    reference = replay_reference(takes)
    for mode, key in (("persistent", "C_persistent"), ("merged", "C_merged")):
        # verify=True: every step's merge and counts are also computed by monocart, a difference fails the step
        for skip in (True, False):
            scores = replay_fast(takes, mode=mode, skip_unchanged=skip, verify=True, plan_cache=None)
            assert [s.coverage for _, s in scores] == [row[key] for row in reference]
            # the first conversion is monocart's; every later one went through the plan
            assert scores[0][1].fast == 0 and scores[0][1].converted == 1
            later = [s for _, s in scores[1:]]
            assert sum(s.fast for s in later) == sum(s.converted for s in later) > 0
    assert len({row["C_persistent"] for row in reference}) > 10  # the steps kept finding new code



def test_plans_kept_on_disk_are_shared_and_change_nothing(takes, tmp_path):
    """A scorer process reads the plans another one wrote (parallel workers, later runs): its first
    conversion already goes through the plan, every step is still checked against monocart (verify), and
    C(t) is the same as with plans kept in memory only; an unreadable plan file is a miss, not an error."""
    cache = tmp_path / "plans"
    cold = [s.coverage for _, s in replay_fast(takes, plan_cache=None)]
    assert [s.coverage for _, s in replay_fast(takes, plan_cache=cache)] == cold
    files = sorted(cache.rglob("*.plan"))
    assert len(files) == 1 and not list(cache.rglob("*.tmp"))
    with NoveltyScorer(plan_cache=cache, verify=True) as scorer:
        scores = [scorer.add(entries) for _, entries in iter_takes(takes)]
        assert scorer.plans_loaded == 1
    assert [s.coverage for s in scores] == cold
    assert scores[0].fast == scores[0].converted == 1  # no monocart conversion, no parse: the loaded plan
    files[0].write_bytes(b"not a plan")
    with NoveltyScorer(plan_cache=cache) as scorer:
        assert [scorer.add(entries).coverage for _, entries in iter_takes(takes)] == cold
        assert scorer.plans_loaded == 0
    assert files[0].read_bytes() != b"not a plan"  # rebuilt and kept again
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # a folder it cannot write (here: under a file) is a cache that stays empty, not a failed step
    assert [s.coverage for _, s in replay_fast(takes, plan_cache=blocker / "plans")] == cold


def test_plan_cache_is_pruned_once_at_start_to_its_cap(takes, tmp_path, monkeypatch):
    """A worker starting on a plan cache deletes other versions' folders unused for an hour, then its own
    least recently used plans until the cache is within 80% of JAMEL_PLAN_CACHE_MAX_MB; a plan it reads
    counts as used (mtime), and C(t) is the same."""
    cache, kb, now = tmp_path / "plans", 1024, time.time()
    before = [s.coverage for _, s in replay_fast(takes, plan_cache=cache)]
    (own,) = list(cache.iterdir())
    (plan,) = own.glob("*.plan")

    def put(path: Path, size: int, age_s: float) -> Path:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age_s, now - age_s))
        return path

    old, recent = cache / ("0" * 16), cache / ("1" * 16)  # other versions' folders
    for folder, size, age_s in ((old, 50 * kb, 2 * 3600), (recent, 100 * kb, 1800)):
        put(folder / "a.plan", size, age_s)
        os.utime(folder, (now - age_s, now - age_s))
    fakes = [put(own / f"{i:064x}.plan", 100 * kb, 3600 * (10 - i)) for i in range(10)]  # oldest first
    os.utime(plan, (now - 60, now - 60))
    cap = 1024 * kb  # JAMEL_PLAN_CACHE_MAX_MB=1: 1100 kB + the plan on disk, with old's 50 kB gone
    monkeypatch.setenv("JAMEL_PLAN_CACHE_MAX_MB", "1")
    with NoveltyScorer(plan_cache=cache) as scorer:
        assert [scorer.add(entries).coverage for _, entries in iter_takes(takes)] == before
        assert scorer.plans_loaded == 1  # the real plan was kept, and read
    assert not old.exists() and (recent / "a.plan").exists()
    kept = [f.exists() for f in fakes]
    assert any(kept) and not kept[0]
    assert all(kept[kept.index(True):])  # the oldest went, and only they
    total = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    assert total <= 0.8 * cap < total + 100 * kb  # down to 80% of the cap, no further
    assert plan.exists() and plan.stat().st_mtime >= now - 1  # loading it marked it used
    monkeypatch.setenv("JAMEL_PLAN_CACHE_MAX_MB", "a lot")
    with pytest.raises(ValueError, match="JAMEL_PLAN_CACHE_MAX_MB"):
        NoveltyScorer(plan_cache=cache)


def test_coverage_take_skips_playwrights_reply_mapping(novelty_env, monkeypatch):
    """A take is plain JSON: Playwright's sync-API mapping of the reply (a walk over every value, ~40 ms
    of Python per take of a jQuery-sized script) is not run, and the take is the same."""
    from playwright._impl import _impl_to_api_mapping as mapping_module

    env = novelty_env
    env.reset()
    collector = env._collectors[env.page]
    calls = []
    original = mapping_module.ImplToApiMapping.from_maybe_impl

    def counting(self, obj, visited=None):
        calls.append(1)
        return original(self, obj, visited) if visited is not None else original(self, obj)

    env.page.evaluate("() => document.querySelector('button') && document.querySelector('button').click()")
    monkeypatch.setattr(mapping_module.ImplToApiMapping, "from_maybe_impl", counting)
    takes = collector.take()
    assert calls == []  # before cdp_send: one call per value of the reply
    assert takes and all(t.functions and t.key for t in takes)
