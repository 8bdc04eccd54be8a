"""Rejection prefixes on hand-built step records (the paper's rule plus the release's filters)."""
from __future__ import annotations

from jamel.data.rejection import RejectionConfig, RejectionStats, select_prefixes


def rec(session, step, episode, action, reward, valid=True, app="shop"):
    return {"session_id": session, "app": app, "step": step, "episode": episode, "action": action,
            "action_canonical": action if valid else "", "reward": reward, "valid": valid, "error": "",
            "model_output": f"<action>{action}</action>", "coverage_delta": reward}


def session(sid, episodes, app="shop"):
    rows, step = [], 1
    for ep, steps in enumerate(episodes):
        for action, reward, *valid in steps:
            rows.append(rec(sid, step, ep, action, reward, valid[0] if valid else True, app))
            step += 1
    return rows


def kept(out, synthetic=False):
    return [(r["session_id"], r["step"], r["action"]) for r in out if r["keep"] and r["synthetic"] == synthetic]


def test_prefix_up_to_last_reward_and_unrewarded_episode_dropped():
    rows = session("s", [[("click('1')", 1), ("click('2')", 0), ("click('3')", 1), ("click('4')", 0)],
                         [("click('5')", 0), ("click('6')", 0)],
                         [("click('7')", 0), ("click('8')", 1)]])
    stats = RejectionStats()
    out = select_prefixes(rows, RejectionConfig(append_reset=False), stats)
    assert kept(out) == [("s", 1, "click('1')"), ("s", 2, "click('2')"), ("s", 3, "click('3')"),
                         ("s", 7, "click('7')"), ("s", 8, "click('8')")]
    assert len(out) == len(rows)  # every step survives as memory
    assert (stats.episodes, stats.episodes_with_reward, stats.steps_kept, stats.samples) == (3, 2, 5, 5)


def test_invalid_prefix_dropped_or_kept():
    rows = session("s", [[("click('1')", 1), ("bogus(", 0, False), ("click('2')", 1)]])
    assert kept(select_prefixes(rows, RejectionConfig(append_reset=False))) == []
    loose = RejectionConfig(drop_invalid_prefixes=False, append_reset=False)
    assert len(kept(select_prefixes(rows, loose))) == 3


def test_duplicate_action_prefixes_removed_per_app():
    a = session("a", [[("click('1')", 1)]])
    b = session("b", [[("click('1')", 1)]])
    c = session("c", [[("click('1')", 1)]], app="travel")
    stats = RejectionStats()
    out = select_prefixes(a + b + c, RejectionConfig(append_reset=False), stats)
    assert kept(out) == [("a", 1, "click('1')"), ("c", 1, "click('1')")]
    assert stats.prefixes_dropped_duplicate == 1
    assert len(kept(select_prefixes(a + b, RejectionConfig(dedupe_action_prefixes=False, append_reset=False)))) == 2


def test_synthetic_reset_after_t_star():
    rows = session("s", [[("click('1')", 0), ("click('2')", 1), ("click('3')", 0)], [("click('4')", 1)]])
    stats = RejectionStats()
    out = select_prefixes(rows, RejectionConfig(), stats)
    # after t*=2 the observation of step 3 gets a reset(); the last episode ends the session: no reset
    assert kept(out, synthetic=True) == [("s", 3, "reset()")]
    assert stats.synthetic_resets == 1 and stats.synthetic_resets_skipped_no_next_observation == 1
    syn = next(r for r in out if r["synthetic"])
    assert syn["reward"] == 0 and syn["model_output"] == "<action>reset()</action>"
