"""The environment and the novelty reward, for real: Chromium, CDP coverage, monocart."""
from __future__ import annotations

import os
import signal

import pytest

from conftest import bid_of
from jamel.env.coverage.scorer import replay_fast, replay_reference


def test_reward_semantics(novelty_env):
    env = novelty_env
    obs, info = env.reset(seed=0)
    c0 = info["coverage"]
    assert c0 > 0  # the page load itself ran app code
    alpha = bid_of(obs, "Alpha")

    obs, r, term, trunc, info = env.step(f"click('{alpha}')")
    assert (r, info["valid"], info["error"]) == (1, True, "")
    c1 = info["coverage"]
    assert c1 > c0 and info["coverage_delta"] == c1 - c0

    obs, r, *_, info = env.step(f"click('{alpha}')")  # the same code again: nothing new
    assert r == 0 and info["coverage"] == c1

    obs, r, *_, info = env.step("reset()")  # back to the start page; the baseline persists
    assert r == 0 and info["coverage"] == c1 and env.episode == 1
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 0 and info["coverage"] == c1

    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Beta')}')")
    assert r == 1
    c_beta = info["coverage"]
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Gamma')}')")  # same function, other branch
    assert r == 1 and info["coverage"] > c_beta


def test_invalid_and_failed_actions_get_zero(novelty_env):
    env = novelty_env
    obs, _ = env.reset()
    for bad in ["__import__('os').system('touch /tmp/jamel_pwned')", "click(", "", "click('1'); click('2')"]:
        obs, r, term, trunc, info = env.step(bad)
        assert r == 0 and not info["valid"] and info["error"].startswith("invalid action")
    assert not os.path.exists("/tmp/jamel_pwned")
    obs, r, *_, info = env.step("click('99999')")  # valid grammar, but not a bid of the observation (issue 9 §3)
    assert r == 0 and not info["valid"] and "no element" in info["error"]
    # a valid action that runs new code still scores after the failures
    obs, r, *_ = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 1


def test_union_survives_reload_and_navigation(novelty_env):
    env = novelty_env
    obs, _ = env.reset()
    obs, r, *_ = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 1
    obs, r, *_, info = env.step(f"goto('{env.cfg.start_url}')")  # reload: new scriptIds, same scripts
    c = info["coverage"]
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 0 and info["coverage"] == c  # keyed by URL + content, not by scriptId
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Second page', 'link')}')")
    assert "page2.html" in obs.url
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Delta')}')")
    assert r == 1
    obs, r, *_, info = env.step("go_back()")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 0


def test_observation_contract(novelty_env):
    env = novelty_env
    obs, info = env.reset()
    from PIL import Image
    import io

    assert Image.open(io.BytesIO(obs.screenshot)).size == (640, 360)
    assert obs.screenshot_raw is None  # the full-size capture only on request (EnvConfig.raw_screenshot)
    assert len(obs.axtree) <= 8000 and len(obs.interactive) <= 200
    line = next(e.line() for e in obs.interactive if e.name == "Alpha")
    assert line == f"- {bid_of(obs, 'Alpha')}: button 'Alpha'"
    assert obs.open_urls == [env.cfg.start_url]
    # bids are stable from step to step
    obs2, *_ = env.step("noop(10)")
    assert bid_of(obs2, "Alpha") == bid_of(obs, "Alpha")
    # offline: the CDN script was refused quickly, and recorded
    assert any("cdn.invalid.example" in u for u in env.blocked_requests)


def test_killed_browser_loses_no_step(novelty_env):
    env = novelty_env
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    c = info["coverage"]
    cdp = env._browser.new_browser_cdp_session()
    pid = next(p["id"] for p in cdp.send("SystemInfo.getProcessInfo")["processInfo"] if p["type"] == "browser")
    os.kill(pid, signal.SIGKILL)
    obs, r, term, trunc, info = env.step(f"click('{bid_of(obs, 'Beta')}')")
    assert info["browser_restarted"] and r == 0 and "browser failure" in info["error"]
    assert env.step_count == 2 and info["coverage"] >= c  # the baseline survived the crash
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")  # seen before the crash
    assert r == 0
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Gamma')}')")
    assert r == 1 and env.restarts == 1


def test_fast_engine_matches_monocart_on_fixture(novelty_env, tmp_path):
    env = novelty_env
    takes = tmp_path / "coverage_takes.jsonl"
    env.scorer.record_path = takes
    obs, info = env.reset()
    seq = [info["coverage"]]
    for name in ["Alpha", "Beta", "Gamma", "Alpha"]:
        obs, r, *_, info = env.step(f"click('{bid_of(obs, name)}')")
        seq.append(info["coverage"])
    obs, r, *_, info = env.step(f"fill('{bid_of(obs, 'Name')}', 'hello')")
    seq.append(info["coverage"])
    obs, r, *_, info = env.step("reset()")
    seq.append(info["coverage"])
    reference = replay_reference(takes)
    assert [row["C_persistent"] for row in reference] == seq
    merged = [score.coverage for _, score in replay_fast(takes, mode="merged")]
    assert [row["C_merged"] for row in reference] == merged


def test_episodes_inside_a_session_keep_the_baseline(novelty_env, tmp_path):
    env = novelty_env
    takes = tmp_path / "takes.jsonl"
    env.scorer.record_path = takes
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Second page', 'link')}')")
    assert "page2.html" in obs.url and env.episode == 0
    obs = env.begin_episode()  # not a step: no step count, no record line
    assert obs.url == env.cfg.start_url and env.episode == 1 and env.episode_step == 0 and env.step_count == 1
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 1 and env.episode_step == 1
    assert len(takes.read_text().splitlines()) == 3  # C(0) + one line per step
    assert [row["C_persistent"] for row in replay_reference(takes)][-1] == info["coverage"]


def test_a_new_action_is_one_table_entry(novelty_env, monkeypatch):
    """Grammar, checks, prompt line and execution all come from the ACTION_SPECS entry (issue 10 §1)."""
    from jamel.env.actions import ACTION_SPECS, ActionSpec, ParamSpec, action_space_doc

    spec = ActionSpec("set_title", (ParamSpec("text", "str"),), "Set the page title.",
                      run=lambda env, text: env.page.evaluate("t => { document.title = t; }", text))
    monkeypatch.setitem(ACTION_SPECS, "set_title", spec)
    assert "set_title(text: str): Set the page title." in action_space_doc()
    env = novelty_env
    env.reset()
    obs, r, *_, info = env.step("set_title('from the table')")
    assert info["valid"] and info["error"] == "" and info["executed"]
    assert info["action_canonical"] == "set_title('from the table')" and obs.title == "from the table"
    obs, r, *_, info = env.step("set_title('')")  # the entry's argument checks apply
    assert not info["valid"] and "must not be empty" in info["error"] and r == 0


def test_killed_coverage_worker_is_replayed(novelty_env):
    env = novelty_env
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    c = info["coverage"]
    env.scorer._worker.proc.kill()  # the Node worker dies between steps
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 0 and info["coverage"] == c  # the union was rebuilt from the session's takes
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Beta')}')")  # new code: the dead worker is replaced
    assert r == 1 and info["coverage"] > c
    obs, r, *_, info = env.step(f"goto('{env.cfg.start_url}')")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")
    assert r == 0  # Alpha's code is still in the union after the replay
