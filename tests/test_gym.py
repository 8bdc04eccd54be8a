"""BrowserEnv as a gymnasium.Env (issue 10 §4): registered id, spaces, dict observations, the env checker."""
from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import jamel.env  # noqa: F401  registers jamel/BrowserExplore-v0
from jamel.env.browser import BrowserEnv, RecordEnv
from jamel.schemas import Observation


@pytest.mark.browser
def test_make_reset_step_dict_observations():
    env = gymnasium.make("jamel/BrowserExplore-v0", app="shop", max_steps=3, settle_ms=50)
    try:
        base = env.unwrapped
        assert isinstance(base, BrowserEnv) and not isinstance(base, RecordEnv)
        obs, info = env.reset(seed=7)
        assert obs in env.observation_space and info["seed"] == 7 and info["coverage"] > 0
        shot = obs["screenshot"]
        assert shot.shape == (360, 640, 3) and shot.dtype == np.uint8 and shot.std() > 0  # a rendered page
        assert obs["url"].endswith("/shop/index.html") and obs["open_urls"] == (obs["url"],) and obs["active_tab"] == 0
        record = base.observation  # the same observation as the rollout loops' record
        assert isinstance(record, Observation) and record.url == obs["url"] and record.axtree == obs["axtree"]
        assert obs["interactive"] == record.interactive_text() and obs["axtree"]
        bid = record.interactive[0].bid
        obs, reward, terminated, truncated, info = env.step(f"click('{bid}')")
        assert obs in env.observation_space and info["valid"] and reward in (0, 1) and not terminated
        obs, reward, *_, info = env.step("not an action")  # any text is in the action space: an invalid step
        assert reward == 0 and not info["valid"] and obs["last_action_error"].startswith("invalid action")
        *_, truncated, _ = env.step("noop(10)")
        assert truncated  # max_steps
        obs, _ = env.reset(options={"app": "travel"})  # another app of the same corpus, same browser
        assert obs["url"].endswith("/travel/index.html")
    finally:
        env.close()


@pytest.mark.browser
@pytest.mark.slow  # ~12 s: gymnasium's checker steps the env many times
def test_gymnasium_env_checker():
    # Through make: the spec says nondeterministic (info carries wall-clock timings), so the checker skips
    # comparing the infos of two identical steps; observations, spaces, seeding, render and close are checked.
    env = gymnasium.make("jamel/BrowserExplore-v0", app="shop", render_mode="rgb_array", max_steps=10,
                         settle_ms=50).unwrapped
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env)  # raises on any violation of the API
        checker = [str(w.message) for w in caught if "gymnasium" in str(w.filename)]
        assert all("render fps" in m for m in checker), checker  # a browser has no frame rate
        frame = env.render()
        assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8
    finally:
        env.close()


def test_constructor_errors():
    with pytest.raises(ValueError, match="app name"):
        BrowserEnv()
    with pytest.raises(ValueError, match="render_mode"):
        BrowserEnv(app="shop", render_mode="human")


@pytest.mark.browser
def test_sync_vector_env_runs_two_browsers_in_one_thread():
    # Two envs in one thread share one Playwright driver (a second sync driver in a thread fails).
    envs = gymnasium.make_vec("jamel/BrowserExplore-v0", num_envs=2, vectorization_mode="sync", app="shop",
                              max_steps=5, settle_ms=50)
    try:
        obs, _ = envs.reset(seed=0)
        assert obs["screenshot"].shape == (2, 360, 640, 3) and all(u.endswith("/shop/index.html") for u in obs["url"])
        obs, reward, terminated, truncated, info = envs.step(("noop(10)", "scroll(0, 100)"))
        assert list(info["valid"]) == [True, True] and not terminated.any()
    finally:
        envs.close()
