"""Advantage estimators (jamel/train/rl/advantage.py) against values computed by hand in the comments."""

import math

import numpy as np
import pytest

from jamel.train.rl.advantage import ESTIMATORS, compute_step_advantages

R2 = math.sqrt(2.0)


def run(estimator, rows, gamma=1.0, **knobs):
    """rows: (group, session, step, state, reward) tuples, one per step sample."""
    g, s, t, k, r = zip(*rows)
    return compute_step_advantages(estimator, rewards=np.array(r, dtype=float), group_ids=list(g),
                                   session_ids=list(s), step_index=np.array(t), state_keys=list(k),
                                   gamma=gamma, **knobs)


# Group "g": session a earns 2 in 3 steps, session b earns 0. Both start from s0 and reach s1; then a sees s2, b s3.
TWO = [("g", "a", 0, "s0", 1.0), ("g", "a", 1, "s1", 0.0), ("g", "a", 2, "s2", 1.0),
       ("g", "b", 0, "s0", 0.0), ("g", "b", 1, "s1", 0.0), ("g", "b", 2, "s3", 0.0)]


def test_grpo_two_session_group():
    # returns 2 and 0: mean 1, unbiased std sqrt(2) -> +-1/sqrt(2) on every step of each session
    adv, stats = run("grpo", TWO)
    np.testing.assert_allclose(adv, [1 / R2] * 3 + [-1 / R2] * 3, atol=1e-5)
    assert stats["sessions"] == 2 and stats["session_groups"] == 1
    assert stats["step_groups"] == 4 and stats["step_group_singleton_share"] == 0.5  # {s0,s1} pairs; s2, s3 alone
    assert stats["adv_mean"] == pytest.approx(0, abs=1e-6)
    assert stats["adv_max"] == pytest.approx(1 / R2, abs=1e-5) and stats["adv_min"] == pytest.approx(-1 / R2, abs=1e-5)
    # Dr.GRPO: no std division -> +-1
    adv, _ = run("grpo", TWO, norm_by_std=False)
    np.testing.assert_allclose(adv, [1, 1, 1, -1, -1, -1], atol=1e-6)


def test_gigpo_discounting_and_singletons():
    # gamma 0.5. Returns-to-go: a: G0 = 1 + .5*0 + .25*1 = 1.25, G1 = 0 + .5*1 = .5, G2 = 1; b: all 0.
    # s0 group {1.25, 0} -> +-1/sqrt2; s1 group {.5, 0} -> +-1/sqrt2; s2, s3 singletons -> 0.
    # episode part +-1/sqrt2 as in GRPO.
    adv, _ = run("gigpo", TWO, gamma=0.5)
    np.testing.assert_allclose(adv, [R2, R2, 1 / R2, -R2, -R2, -1 / R2], atol=1e-5)
    # without std normalisation: episode +-1; step s0 +-(1.25/2), s1 +-(.5/2); weight 2 doubles the step part
    adv, _ = run("gigpo", TWO, gamma=0.5, norm_by_std=False, step_weight=2.0)
    np.testing.assert_allclose(adv, [1 + 1.25, 1 + 0.5, 1, -1 - 1.25, -1 - 0.5, -1], atol=1e-6)
    # step_weight 0 is GRPO
    np.testing.assert_allclose(run("gigpo", TWO, gamma=0.5, step_weight=0.0)[0], run("grpo", TWO)[0], atol=1e-7)


def test_gigpo_gamma_sets_returns_to_go():
    # Only the s0 pair differs from the gamma=0.5 case. gamma 1: a's G0 = 2 vs b's 0 -> still +-1/sqrt2 normalised,
    # so compare unnormalised: s0 step part +-(2/2) = +-1, s1 +-(1/2).
    adv, _ = run("gigpo", TWO, gamma=1.0, norm_by_std=False)
    np.testing.assert_allclose(adv, [2, 1.5, 1, -2, -1.5, -1], atol=1e-6)
    # gamma 0: G_t = r_t; s0 {1, 0} -> +-.5, s1 {0, 0} -> 0
    adv, _ = run("gigpo", TWO, gamma=0.0, norm_by_std=False)
    np.testing.assert_allclose(adv, [1.5, 1, 1, -1.5, -1, -1], atol=1e-6)


def test_gigpo_repeated_state_within_and_across_sessions():
    # Session a returns to the start page s0 at step 2 (after a reset); b is at s0 once. Rewards a: 0,1,1; b: 1,0.
    rows = [("g", "a", 0, "s0", 0.0), ("g", "a", 1, "x", 1.0), ("g", "a", 2, "s0", 1.0),
            ("g", "b", 0, "s0", 1.0), ("g", "b", 1, "y", 0.0)]
    adv, stats = run("gigpo", rows, gamma=1.0, norm_by_std=False)
    # episode: returns a 2, b 1 -> mean 1.5 -> a +.5, b -.5
    # step group s0 = {a0: G=2, a2: G=1, b0: G=1} mean 4/3 -> +2/3, -1/3, -1/3; x, y singletons -> 0
    np.testing.assert_allclose(adv, [0.5 + 2 / 3, 0.5, 0.5 - 1 / 3, -0.5 - 1 / 3, -0.5], atol=1e-6)
    assert stats["step_groups"] == 3 and stats["step_group_singleton_share"] == pytest.approx(2 / 3)
    assert stats["step_group_mean_size"] == pytest.approx(5 / 3)


def test_all_singletons_gigpo_equals_grpo():
    rows = [("g", "a", 0, "p", 1.0), ("g", "a", 1, "q", 0.0), ("g", "b", 0, "r", 0.0), ("g", "b", 1, "s", 0.0)]
    adv, stats = run("gigpo", rows, gamma=0.9)
    np.testing.assert_allclose(adv, run("grpo", rows)[0], atol=1e-7)
    assert stats["step_group_singleton_share"] == 1.0


def test_zero_variance_groups_get_zero():
    # both sessions earn 1, both at the same states with the same returns-to-go -> everything 0, no NaN
    rows = [("g", "a", 0, "s0", 1.0), ("g", "a", 1, "s1", 0.0), ("g", "b", 0, "s0", 1.0), ("g", "b", 1, "s1", 0.0)]
    for est in ("grpo", "gigpo", "rloo"):
        adv, stats = run(est, rows, gamma=0.9)
        np.testing.assert_allclose(adv, 0.0, atol=1e-9)
        assert stats["adv_std"] == 0.0


def test_several_groups_do_not_mix():
    # Group g1 (app A): returns 1, 0. Group g2 (app B): returns 3, 1, 2. Same state key "start" in both groups
    # must not share a baseline.
    rows = [("g1", "a", 0, "start", 1.0), ("g1", "b", 0, "start", 0.0),
            ("g2", "c", 0, "start", 1.0), ("g2", "c", 1, "k", 2.0),
            ("g2", "d", 0, "start", 1.0), ("g2", "d", 1, "k", 0.0),
            ("g2", "e", 0, "start", 2.0)]
    adv, stats = run("grpo", rows, norm_by_std=False)
    # g1 mean .5 -> +-.5; g2 mean 2 -> c +1, d -1, e 0
    np.testing.assert_allclose(adv, [0.5, -0.5, 1, 1, -1, -1, 0], atol=1e-6)
    assert stats["session_groups"] == 2 and stats["sessions"] == 5
    adv, stats = run("gigpo", rows, gamma=1.0, norm_by_std=False)
    # step groups: (g1,start) {1, 0} -> +-.5; (g2,start) {3, 1, 2} -> +1, -1, 0; (g2,k) {2, 0} -> +-1
    np.testing.assert_allclose(adv, [1, -1, 2, 2, -2, -2, 0], atol=1e-6)
    assert stats["step_groups"] == 3 and stats["step_group_singleton_share"] == 0.0
    # with std: g2 returns {3,1,2} std 1 -> c +1, d -1, e 0
    adv, _ = run("grpo", rows)
    np.testing.assert_allclose(adv, [1 / R2, -1 / R2, 1, 1, -1, -1, 0], atol=1e-5)


def test_input_order_is_free():
    # steps given shuffled: returns-to-go still follow step_index; the output follows the input order
    perm = [4, 2, 0, 5, 1, 3]
    adv, _ = run("gigpo", [TWO[i] for i in perm], gamma=0.5)
    ref, _ = run("gigpo", TWO, gamma=0.5)
    np.testing.assert_allclose(adv, ref[perm], atol=1e-7)


def test_verl_session_estimators():
    rows = [("g", "a", 0, "s", 2.0), ("g", "a", 1, "t", 1.0), ("g", "b", 0, "s", 0.0), ("g", "c", 0, "s", 0.0)]
    # RLOO on returns {3, 0, 0}: r_i minus the mean of the others -> 3, -1.5, -1.5 (a's two steps share 3)
    adv, _ = run("rloo", rows)
    np.testing.assert_allclose(adv, [3, 3, -1.5, -1.5], atol=1e-5)
    # REINFORCE++-baseline: minus group mean (1) -> 2, -1, -1; then whitened over the batch of sessions
    # (mean 0, unbiased var (4+1+1)/2 = 3) -> 2/sqrt3, -1/sqrt3, -1/sqrt3
    adv, _ = run("reinforce_plus_plus_baseline", rows)
    s3 = math.sqrt(3.0)
    np.testing.assert_allclose(adv, [2 / s3, 2 / s3, -1 / s3, -1 / s3], atol=1e-5)


def test_fail_fast():
    with pytest.raises(ValueError, match="unknown advantage estimator 'ppo'"):
        run("ppo", TWO)
    with pytest.raises(ValueError, match="inconsistent lengths"):
        compute_step_advantages("grpo", rewards=np.zeros(3), group_ids=["g"] * 3, session_ids=["a"] * 2,
                                step_index=np.arange(3), state_keys=["k"] * 3, gamma=1.0)
    with pytest.raises(ValueError, match="more than one group"):
        run("grpo", [("g1", "a", 0, "k", 1.0), ("g2", "a", 1, "k", 0.0)])
    with pytest.raises(ValueError, match="duplicate step_index"):
        run("gigpo", [("g", "a", 0, "k", 1.0), ("g", "a", 0, "j", 0.0)])
    with pytest.raises(ValueError, match="no knob"):
        run("grpo", TWO, step_weight=1.0)
    with pytest.raises(ValueError, match="gamma"):
        run("gigpo", TWO, gamma=1.5)
    with pytest.raises(ValueError, match="finite"):
        run("grpo", [("g", "a", 0, "k", float("nan")), ("g", "b", 0, "k", 0.0)])
    assert set(ESTIMATORS) == {"grpo", "gigpo", "rloo", "reinforce_plus_plus_baseline"}


def test_state_key_ignores_the_worker_port():
    # each env worker serves the corpus on its own port: the same screen must share a step group across workers
    from jamel.env.state import state_key

    obs = "# Page\n...\n# Interactive elements\n- 12: button 'Add'\n- 13: link 'Cart'\n"
    renumbered = obs.replace("12", "40").replace("13", "41")
    a = state_key("http://127.0.0.1:35541/shop/index.html#/home", obs)
    assert a == state_key("http://127.0.0.1:45375/shop/index.html#/home", renumbered)
    assert a != state_key("http://127.0.0.1:35541/shop/index.html#/cart", obs)
    assert a != state_key("http://127.0.0.1:35541/shop/index.html#/home", obs.replace("'Cart'", "'Basket'"))


def test_gigpo_anchor_state_step():
    # Same rows as the repeated-state test. anchor=state_step: (s0, step 0) = {a0: G=2, b0: G=1} -> +-.5;
    # a2 at s0 is alone at step 2 -> 0; x, y alone -> 0. Episode part a +.5, b -.5.
    rows = [("g", "a", 0, "s0", 0.0), ("g", "a", 1, "x", 1.0), ("g", "a", 2, "s0", 1.0),
            ("g", "b", 0, "s0", 1.0), ("g", "b", 1, "y", 0.0)]
    adv, stats = run("gigpo", rows, gamma=1.0, norm_by_std=False, anchor="state_step")
    np.testing.assert_allclose(adv, [1.0, 0.5, 0.5, -1.0, -0.5], atol=1e-6)
    assert stats["step_groups"] == 4 and stats["step_group_singleton_share"] == 0.75
    with pytest.raises(ValueError, match="anchor"):
        run("gigpo", rows, anchor="url")


def test_rl_overrides_keep_hydra_out_of_the_working_directory(tmp_path):
    """verl's main_ppo is a Hydra app: without hydra.run.dir it writes ./outputs into the caller's folder."""
    from jamel.train.rl.config import RLConfig, verl_overrides

    cfg = RLConfig(model_path="m", output_dir=str(tmp_path / "run"), num_gpus=0)
    o = verl_overrides(cfg, tmp_path / "t.parquet", tmp_path / "v.parquet", 1, "c", "corpus")
    assert f"hydra.run.dir={(tmp_path / 'run').resolve() / 'hydra'}" in o
    cfg.overrides = ["hydra.run.dir=/elsewhere"]
    assert [x for x in verl_overrides(cfg, tmp_path / "t", tmp_path / "v", 1, "c", "corpus")
            if x.startswith("hydra.run.dir")] == ["hydra.run.dir=/elsewhere"]


@pytest.mark.parametrize("override", ["algorithm.rollout_correction.rollout_is=token", "algorithm.use_kl_in_reward=true",
                                      "++algorithm.norm_adv_by_std_in_grpo=false", "algorithm.adv_estimator=rloo"])
def test_rl_refuses_verl_settings_its_advantage_step_ignores(override):
    from jamel.train.rl.config import RLConfig

    with pytest.raises(ValueError, match="does not read"):
        RLConfig(model_path="m", output_dir="o", overrides=[override]).validate()
    RLConfig(model_path="m", output_dir="o", overrides=["+jamel.adv_knobs.norm_by_std=false"]).validate()


def test_rl_refuses_an_init_folder_made_from_another_model(tmp_path):
    """A rerun in the same OUTPUT_DIR with another MODEL_PATH used to train the old init model silently."""
    import json

    from jamel.train.rl.config import RLConfig
    from jamel.train.rl.entry import prepare
    from jamel.train.sft_model import init_record

    old, new = tmp_path / "old_pkg", tmp_path / "new_pkg"
    for pkg in (old, new):
        pkg.mkdir()
        (pkg / "model.json").write_text("{}")  # looks packaged; the check runs before anything is loaded
    cfg = RLConfig(model_path=str(new), output_dir=str(tmp_path / "run"), num_gpus=0, apps_per_batch=1, apps="shop")
    init = cfg.paths()["init"]
    init.mkdir(parents=True)
    (init / "jamel_sft_init.json").write_text(json.dumps(init_record(None, None, str(old), 512)))
    with pytest.raises(ValueError, match="was made from"):
        prepare(cfg)
