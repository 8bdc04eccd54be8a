"""Learning check for RL on the novelty reward (issue 8): does GRPO / GiGPO move the tiny policy, compared with
spending the same number of updates on more SFT?

    python benchmarks/bench_rl_learning.py [--output runs/bench_rl] [--apps shop,messenger] [--seeds 0,1]
        [--iters 3] [--group-size 2] [--session-steps 6] [--arms sft,grpo,gigpo] [--sft-steps 40]

Per seed (everything below is a function of it):
  1. data: crawler sessions on the apps -> rejection prefixes -> prepare_sft_dataset with the compressor of the
     tiny packaged model (jamel.testing.tiny_models) -> `--sft-steps` SFT steps through verl
     (shell/run_qwen25vl_7b_sft.sh, CPU mode, a high LR so that a random 2-layer model learns the answer format)
     -> the packaged start policy `sft0`;
  2. iteration 0: `sft0` rolled out as RL would (GROUP_SIZE sessions per app from the same start page, sampling
     seeds differ, SESSION_STEPS steps, persistent coverage baseline) -> mean session return, valid-action rate;
  3. arm `sft`: i = 1..N: one more SFT step on the same data (the run resumes from its checkpoint), export,
     roll out as in 2 with iteration i's seeds;
     arms `grpo`, `gigpo`: N iterations of the RL trainer (shell/run_qwen25vl_7b_rl.sh, the `rl` branch) from
     `sft0` with the same group layout; its per-iteration rollout metrics are the curve;
  4. every rollout batch of the sft arm (the policy's own sessions) and the crawler's and random agent's groups
     also go through jamel.train.rl.advantage: step-group counts, singleton share, advantage spread per estimator.
     State key = jamel.env.state.state_key (URL without the origin + a structural hash of the interactive elements).

Output: OUTPUT/results.json (every number) and a table on stdout. Sessions are cached in OUTPUT (rerun resumes).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from jamel.corpus import load_corpus  # noqa: E402
from jamel.env.state import state_key  # noqa: E402
from jamel.rollout.explore import ExploreConfig, explore  # noqa: E402
from jamel.train.rl.advantage import ESTIMATORS, compute_step_advantages  # noqa: E402

SFT_ENV = {"JAMEL_VERL_DEVICE": "cpu", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
           "WANDB_MODE": "disabled", "NPROC_PER_NODE": "1", "MICRO_BATCH": "1", "LOGGER": "[console]",
           "MAX_LENGTH": "6144", "WARMUP_RATIO": "0"}
TEMPERATURE = 1.0  # RL's rollout sampling (top_p 1); the sft arm's rollouts sample the same way
STEP_RE = re.compile(r"step:(\d+) - .*?train/loss:([-+0-9.eE]+|nan|inf)")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- rollouts and their statistics ----------------------------------------------------------------------------
def rollout(out: Path, apps: list[str], agent: str, sessions: int, steps: int, seed: int,
            agent_kwargs: dict[str, Any] | None = None, episode_steps: int = 0) -> list[dict[str, Any]]:
    """`sessions` sessions per app from the app's start page (one group per app); step rows of all of them."""
    corpus = load_corpus(None)
    explore(ExploreConfig(corpus=str(corpus.root), apps=apps, agent=agent, steps=steps, sessions=sessions, seed=seed,
                          output=str(out), settle_ms=100, episode_steps=episode_steps, html_report=False,
                          record_takes=False, workers=1 if agent == "jamel" else 0,
                          agent_kwargs=agent_kwargs or {}), corpus, progress=False)
    cols = ["session_id", "app", "step", "url", "observation", "action", "valid", "reward", "model_output"]
    rows = []
    for app in apps:
        for k in range(sessions):
            rows += pq.read_table(out / app / f"session_{k}" / "trajectory.parquet", columns=cols).to_pylist()
    return rows


def batch_stats(rows: list[dict[str, Any]], gamma: float) -> dict[str, Any]:
    """What an RL iteration would log for this batch: returns, valid rate, and each estimator's advantage stats."""
    returns: dict[str, float] = {}
    for r in rows:
        returns[r["session_id"]] = returns.get(r["session_id"], 0.0) + r["reward"]
    stats: dict[str, Any] = {
        "mean_return": statistics.fmean(returns.values()),
        "returns": returns,
        "valid_rate": statistics.fmean(float(r["valid"]) for r in rows),
        "reward_per_step": statistics.fmean(float(r["reward"]) for r in rows),
        "steps": len(rows),
    }
    layout = dict(rewards=np.array([float(r["reward"]) for r in rows]), group_ids=[r["app"] for r in rows],
                  session_ids=[r["session_id"] for r in rows], step_index=np.array([r["step"] for r in rows]),
                  state_keys=[state_key(r["url"], r["observation"]) for r in rows], gamma=gamma)
    variants = [(est, est, {}) for est in ESTIMATORS] + [("gigpo_state_step", "gigpo", {"anchor": "state_step"})]
    for name, est, knobs in variants:
        _, s = compute_step_advantages(est, **layout, **knobs)
        stats[name] = {k: round(v, 4) for k, v in s.items()}
    return stats


# --- SFT -----------------------------------------------------------------------------------------------------
def prepare_sft_data(work: Path, apps: list[str], seed: int, crawl_sessions: int, crawl_steps: int) -> Path:
    from jamel.data import sft as prep
    from jamel.data.rejection import RejectionConfig, run as run_rejection
    from jamel.testing.tiny_models import make_tiny_package

    data = work / "sft_data"
    if (data / "stats.json").exists():
        return data
    runs = work / "crawl"
    rollout(runs, apps, "crawler", crawl_sessions, crawl_steps, seed, episode_steps=crawl_steps // 2)
    kept = work / "kept.parquet"
    rej = run_rejection([str(runs / "*" / "session_*" / "trajectory.parquet")], str(kept), RejectionConfig())
    log(f"rejection: {rej.samples} samples from {rej.sessions} crawler sessions")
    package = make_tiny_package(work / "tiny_pkg", seed=seed)
    prep.prepare([str(kept)], str(data), str(package), max_memory_items=64, max_length=int(SFT_ENV["MAX_LENGTH"]),
                 val_ratio=0.0, compression_batch_size=4, seed=seed)
    return data


def sft(work: Path, data: Path, total_steps: int, lr: float, batch: int, export_to: Path) -> dict[int, float]:
    """SFT to `total_steps` (resuming the run in work/sft_ckpt), then export the packaged policy."""
    env = {**os.environ, **SFT_ENV, "PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "TRAIN_FILE": str(data / "jamel_memory_sft_train.parquet"), "INIT_PACKAGE": str(work / "tiny_pkg"),
           "COMPRESSOR_MODEL": str(work / "tiny_pkg"), "OUTPUT_DIR": str(work / "sft_ckpt"),
           "OUTPUT_MODEL_PATH": str(export_to), "GLOBAL_BATCH": str(batch), "TOTAL_STEPS": str(total_steps),
           "TOTAL_EPOCHS": "1000", "SAVE_STEPS": str(total_steps), "LR": str(lr), "MAX_MEMORY_ITEMS": "64"}
    # constant LR: the schedule must not depend on where a resumed run stops
    text = run_logged(["bash", "shell/run_qwen25vl_7b_sft.sh", "data.num_workers=0",
                       "optim.lr_scheduler_type=constant"], env, work / f"sft_to_{total_steps}.log")
    return {int(s): float(v) for s, v in STEP_RE.findall(text)}


def run_logged(cmd: list[str], env: dict[str, str], log_path: Path, timeout: int = 3600) -> str:
    """Run `cmd` from the repo root with its output streamed to `log_path` (watch it with tail -f); its text."""
    with open(log_path, "w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
    text = log_path.read_text()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed with exit {proc.returncode} (see {log_path}):\n{text[-3000:]}")
    return text


# --- RL (the `rl` branch's entry point) ---------------------------------------------------------------------
RL_SCRIPT = ROOT / "shell" / "run_qwen25vl_7b_rl.sh"


def rl_arm(work: Path, estimator: str, start: Path, args, seed: int) -> dict[str, Any]:
    """N RL iterations through the shell entry point; per-iteration metrics from its console log."""
    if not RL_SCRIPT.exists():
        return {"ran": False, "why": f"{RL_SCRIPT.relative_to(ROOT)} does not exist on this branch"}
    out = work / f"rl_{estimator}"
    env = {**os.environ, "PYTHON": sys.executable, "JAMEL_VERL_DEVICE": "cpu", "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "WANDB_MODE": "disabled",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MODEL_PATH": str(start), "APPS_MODE": ",".join(args.apps), "GROUP_SIZE": str(args.group_size),
           "APPS_PER_BATCH": str(len(args.apps)), "SESSION_STEPS": str(args.session_steps), "EPISODE_STEPS": "0",
           "ADV_ESTIMATOR": estimator, "GAMMA": str(args.gamma), "LR": str(args.rl_lr), "KL_COEF": "0",
           # iteration k's rollouts come from the policy after k-1 updates: one more iteration than the sft arm's
           # extra steps, so both curves end with a policy after `iters` updates
           "TOTAL_ITERS": str(args.iters + 1), "SAVE_EVERY": str(args.iters + 1), "NUM_GPUS": "0",
           "ENV_WORKERS": str(args.env_workers), "ROLLOUT": "hf", "CORPUS": str(load_corpus(None).root),
           "OUTPUT_DIR": str(out), "SEED": str(seed), "LOGGER": "[console]", "VAL_APPS": "",
           "TEMPERATURE": str(TEMPERATURE), "MAX_RESPONSE_TOKENS": str(args.max_new_tokens),
           "FORMAT_PENALTY": str(args.format_penalty)}
    t0 = time.perf_counter()
    try:
        text = run_logged(["bash", str(RL_SCRIPT)], env, work / f"rl_{estimator}.log", timeout=7200)
    except RuntimeError as exc:
        return {"ran": False, "why": str(exc)[-1500:]}
    iters = parse_verl_console(text)
    return {"ran": True, "wall_s": round(time.perf_counter() - t0, 1), "iterations": iters}


def parse_verl_console(text: str) -> list[dict[str, float]]:
    """verl's console logger prints `step:N - key:value - key:value ...` per training step."""
    rows = []
    for line in text.splitlines():
        m = re.search(r"step:(\d+) - (.*)$", line)
        if not m:
            continue
        row: dict[str, float] = {"step": float(m.group(1))}
        for kv in m.group(2).split(" - "):
            k, _, v = kv.rpartition(":")
            v = re.sub(r"^np\.\w+\((.*)\)$", r"\1", v.strip())  # numpy scalars print as np.float64(x)
            try:
                row[k.strip()] = float(v)
            except ValueError:
                pass
        rows.append(row)
    return rows


# --- main ----------------------------------------------------------------------------------------------------
def run_seed(args, seed: int) -> dict[str, Any]:
    work = Path(args.output) / f"seed_{seed}"
    work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"seed": seed}
    t0 = time.perf_counter()
    data = prepare_sft_data(work, args.apps, seed, args.crawl_sessions, args.crawl_steps)
    res["sft_data"] = json.loads((data / "stats.json").read_text())
    res["time_data_s"] = round(time.perf_counter() - t0, 1)

    # reference groups from the baseline agents (what the step-level grouping sees without a model)
    size, steps = args.baseline_group_size or args.group_size, args.baseline_steps or args.session_steps
    for agent in ("crawler", "random"):
        rows = rollout(work / f"groups_{agent}_{size}x{steps}", args.apps, agent, size, steps, seed)
        res[f"groups_{agent}"] = {"group_size": size, "session_steps": steps, **batch_stats(rows, args.gamma)}
    if args.only_groups:
        res["arms"] = {}
        return res

    start = work / "policy_sft0"
    t0 = time.perf_counter()
    if not (start / "model.json").exists():
        res["sft0_losses"] = sft(work, data, args.sft_steps, args.sft_lr, args.sft_batch, start)
    res["time_sft0_s"] = round(time.perf_counter() - t0, 1)
    agent_kwargs = {"model_path": str(start), "max_new_tokens": args.max_new_tokens, "temperature": TEMPERATURE,
                    "top_p": 1.0}

    def policy_batch(policy: Path, it: int, arm: str) -> dict[str, Any]:
        t = time.perf_counter()
        rows = rollout(work / f"roll_{arm}_{it}", args.apps, "jamel", args.group_size, args.session_steps,
                       seed * 1000 + it, {**agent_kwargs, "model_path": str(policy)})
        s = batch_stats(rows, args.gamma)
        s["rollout_s"] = round(time.perf_counter() - t, 1)
        s["sample_answers"] = [r["model_output"][:80] for r in rows[:3]]
        log(f"seed {seed} {arm} it {it}: return {s['mean_return']:.2f} valid {s['valid_rate']:.2f} "
            f"gigpo singletons {s['gigpo']['step_group_singleton_share']:.2f}")
        return s

    arms: dict[str, Any] = {}
    if "sft" in args.arms:
        curve = [policy_batch(start, 0, "sft")]
        for it in range(1, args.iters + 1):
            pol = work / f"policy_sft{it}"
            if not (pol / "model.json").exists():
                sft(work, data, args.sft_steps + it, args.sft_lr, args.sft_batch, pol)
            curve.append(policy_batch(pol, it, "sft"))
        arms["sft"] = {"ran": True, "iterations": curve}
    for est in ("grpo", "gigpo"):
        if est in args.arms:
            arms[est] = rl_arm(work, est, start, args, seed)
            log(f"seed {seed} {est}: {'ran' if arms[est]['ran'] else 'did not run: ' + arms[est]['why'][:200]}")
    res["arms"] = arms
    return res


def summary_table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'seed':>4} {'arm':<6} {'iter':>4} {'mean return':>12} {'valid rate':>11} {'singleton share':>16}"]
    for res in results:
        for arm, a in res["arms"].items():
            if not a.get("ran"):
                lines.append(f"{res['seed']:>4} {arm:<6}  not run: {a['why'][:90]}")
                continue
            for it, s in enumerate(a["iterations"]):
                if "mean_return" in s:
                    lines.append(f"{res['seed']:>4} {arm:<6} {it:>4} {s['mean_return']:>12.2f} {s['valid_rate']:>11.2f} "
                                 f"{s['gigpo']['step_group_singleton_share']:>16.2f}")
                else:  # verl metrics of the RL trainer: step k's rollouts come from the policy after k-1 updates
                    lines.append(f"{res['seed']:>4} {arm:<6} {int(s['step']) - 1:>4} "
                                 f"{s['jamel/session_return/mean']:>12.2f} {s['jamel/valid_action_rate']:>11.2f} "
                                 f"{s['jamel/adv/step_group_singleton_share']:>16.2f}")
        for agent in ("crawler", "random"):
            g = res[f"groups_{agent}"]
            lines.append(f"{res['seed']:>4} {agent:<8} {g['group_size']}x{g['session_steps']} groups: return "
                         f"{g['mean_return']:.2f}, valid {g['valid_rate']:.2f}, step groups (state) "
                         f"{g['gigpo']['step_groups']:.0f}, singleton share {g['gigpo']['step_group_singleton_share']:.2f}"
                         f"; (state, step) {g['gigpo_state_step']['step_groups']:.0f}, "
                         f"{g['gigpo_state_step']['step_group_singleton_share']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default="runs/bench_rl")
    ap.add_argument("--apps", default="shop,messenger")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--arms", default="sft,grpo,gigpo")
    ap.add_argument("--iters", type=int, default=3, help="RL iterations = extra SFT steps of the sft arm")
    ap.add_argument("--group-size", type=int, default=2)
    ap.add_argument("--session-steps", type=int, default=6)
    ap.add_argument("--gamma", type=float, default=0.95)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--crawl-sessions", type=int, default=3)
    ap.add_argument("--crawl-steps", type=int, default=12)
    ap.add_argument("--sft-steps", type=int, default=40)
    ap.add_argument("--sft-batch", type=int, default=4)
    ap.add_argument("--sft-lr", type=float, default=2e-3)
    ap.add_argument("--rl-lr", type=float, default=2e-4)
    ap.add_argument("--format-penalty", type=float, default=0.0,
                    help="RL arms: subtracted from an invalid step's reward (0: the env's 0; the returns above are "
                         "always the env's)")
    ap.add_argument("--baseline-group-size", type=int, default=0, help="crawler/random groups (0: --group-size)")
    ap.add_argument("--baseline-steps", type=int, default=0, help="their session length (0: --session-steps)")
    ap.add_argument("--only-groups", action="store_true", help="stop after the crawler/random groups")
    ap.add_argument("--env-workers", type=int, default=2, help="RL arms: browser workers (Ray actors)")
    args = ap.parse_args(argv)
    args.apps = args.apps.split(",")
    args.arms = args.arms.split(",")
    results = []
    for seed in (int(s) for s in args.seeds.split(",")):
        results.append(run_seed(args, seed))
        Path(args.output, "results_groups.json" if args.only_groups else "results.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=1))
    print(summary_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
