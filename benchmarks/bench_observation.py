"""Benchmark: per-step cost of the observation's page walk (issue 9 §1), before/after, per demo app.

    python benchmarks/bench_observation.py [--steps 15] [--apps shop,travel,...] [--baseline-rev REV]
                                           [--output runs/bench_observation.json]

For each app a crawler session runs in a real BrowserEnv (so the pages are in the states an agent
reaches). Before each step, on the same page state, in rotating order, it times:
  * before:      page.evaluate of observe.js as it was at --baseline-rev (semantic roles, onclick
                 attribute, tabindex; first 5,000 nodes in document order), read with `git show`;
  * after:       page.evaluate of the current observe.js (+ json.loads of its result, as env.py does); it
                 adds addEventListener/.onclick listeners via the init-script registry, cursor:pointer,
                 contenteditable, shadow roots and iframes, on-screen-first caps;
  * before_walk, after_walk: the same two walks timed inside the page (performance.now), without the
                 CDP round trip and the transfer of the result;
  * cdp_all:     the alternative for listener detection: CDP DOMDebugger.getEventListeners on every
                 element (one Runtime.getProperties for the element objects, then one call per element);
  * cdp_rest:    the same, only on elements with no other signal (no interactive tag/role, tabindex,
                 handler property or cursor:pointer), i.e. the cheapest CDP variant that finds the same.
The CDP rows are the cost of detection alone, on top of a walk. Each variant runs --repeats times per
step (CDP ones once) and the best is kept; the table shows the median over the session's steps (mean
in the JSON). The machine may be shared: compare rows of the same run only.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jamel.agents import build_agent  # noqa: E402
from jamel.agents.base import SessionContext  # noqa: E402
from jamel.env.browser import OBSERVE_JS, RecordEnv, EnvConfig  # noqa: E402
from jamel.corpus import DEMO_CORPUS  # noqa: E402
from jamel.env.server import CorpusServer  # noqa: E402

# The commit of main before issue 9's observation work.
BASELINE_REV = "3fee90c"

# Elements with no signal other than a possible listener (the CDP-only candidates).
REST_JS = """() => {
    const sel = 'a[href],button,input,select,textarea,summary,[role],[tabindex],[onclick],[contenteditable]';
    const props = ['onclick', 'onmousedown', 'onmouseup', 'onpointerdown', 'onkeydown', 'oninput', 'onchange'];
    return Array.from(document.querySelectorAll('body *')).filter((el) => !el.matches(sel)
        && !props.some((p) => typeof el[p] === 'function') && getComputedStyle(el).cursor !== 'pointer');
}"""
LISTEN = {"click", "dblclick", "auxclick", "contextmenu", "mousedown", "mouseup", "pointerdown", "pointerup",
          "touchstart", "touchend", "keydown", "keyup", "keypress", "input", "beforeinput", "change", "submit",
          "mouseenter", "mouseover"}


def in_page(walk_js: str) -> str:
    """The walk timed inside the page (no CDP round trip, no result transfer)."""
    return (f"(args) => {{ const walk = {walk_js}; const t = performance.now(); walk(args); "
            "return {walk_ms: performance.now() - t}; }")


def cdp_listeners(cdp, expression: str) -> int:
    """getEventListeners on each element the expression returns; the number with interaction listeners."""
    arr = cdp.send("Runtime.evaluate", {"expression": expression, "objectGroup": "bench"})["result"]
    props = cdp.send("Runtime.getProperties", {"objectId": arr["objectId"], "ownProperties": True})["result"]
    found = 0
    for prop in props:
        if prop["name"].isdigit():
            listeners = cdp.send("DOMDebugger.getEventListeners", {"objectId": prop["value"]["objectId"]})["listeners"]
            found += any(x["type"] in LISTEN for x in listeners)
    cdp.send("Runtime.releaseObjectGroup", {"objectGroup": "bench"})
    return found


def bench_app(url: str, app: str, steps: int, baseline_js: str | None, repeats: int) -> dict:
    env = RecordEnv(EnvConfig(start_url=url, max_steps=steps, settle_ms=150))
    agent = build_agent("crawler")
    ctx = SessionContext(app=app, start_url=url, max_steps=steps)
    times: dict[str, list[float]] = {"before": [], "after": [], "before_walk": [], "after_walk": [],
                                     "cdp_all": [], "cdp_rest": []}
    counts = {"before_interactive": [], "after_interactive": [], "elements": [], "cdp_all_found": []}
    try:
        obs, _ = env.reset(seed=0)
        agent.begin_session(ctx, 0)
        for step in range(1, steps + 1):
            page = env.page
            cdp = env._context.new_cdp_session(page)
            variants = {
                "before": (lambda: page.evaluate(baseline_js, {"maxNodes": 5000})) if baseline_js else None,
                "after": lambda: json.loads(page.evaluate(OBSERVE_JS, {"maxNodes": 5000, "scanLimit": 20000})),
                "before_walk": ((lambda: page.evaluate(in_page(baseline_js), {"maxNodes": 5000}))
                                if baseline_js else None),
                "after_walk": lambda: page.evaluate(in_page(OBSERVE_JS), {"maxNodes": 5000, "scanLimit": 20000}),
                "cdp_all": lambda: cdp_listeners(cdp, "Array.from(document.querySelectorAll('*'))"),
                "cdp_rest": lambda: cdp_listeners(cdp, f"({REST_JS})()"),
            }
            names = [n for n in variants if variants[n]]
            best: dict[str, float] = {}
            for rep in range(repeats):  # the machine is shared: keep each variant's best of `repeats`
                order = names[(step + rep) % len(names):] + names[: (step + rep) % len(names)]  # rotate
                for name in order:
                    if rep and name.startswith("cdp"):
                        continue  # seconds each: once is enough to compare
                    t0 = time.perf_counter()
                    out = variants[name]()
                    ms = out["walk_ms"] if name.endswith("_walk") else (time.perf_counter() - t0) * 1000
                    best[name] = min(ms, best.get(name, ms))
                    if rep == 0 and name in ("before", "after"):
                        counts[f"{name}_interactive"].append(len(out["interactive"]))
                    if rep == 0 and name == "cdp_all":
                        counts["cdp_all_found"].append(out)
            for name, ms in best.items():
                times[name].append(ms)
            counts["elements"].append(page.evaluate("document.getElementsByTagName('*').length"))
            cdp.detach()
            env._observe()  # the bids the agent sees come from the current walk
            ctx.step = step
            obs, *_ = env.step(agent.act(obs, ctx).action)
    finally:
        env.close()
    row = {"app": app, "steps": steps}
    for name, xs in times.items():
        if xs:
            row[f"{name}_median_ms"] = round(statistics.median(xs), 2)
            row[f"{name}_mean_ms"] = round(statistics.fmean(xs), 2)
    for name, xs in counts.items():
        if xs:
            row[f"{name}_mean"] = round(statistics.fmean(xs), 1)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--apps", default="shop,travel,video,messenger,settings")
    ap.add_argument("--corpus", default=str(DEMO_CORPUS))
    ap.add_argument("--repeats", type=int, default=3, help="timings per variant and step (the best is kept)")
    ap.add_argument("--baseline-rev", default=BASELINE_REV, help="git revision of the 'before' observe.js")
    ap.add_argument("--output", default="runs/bench_observation.json")
    args = ap.parse_args()
    try:
        baseline_js = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.baseline_rev}:jamel/env/observe.js"],
                                     check=True, capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"no baseline ({exc}); timing the current walk and CDP only", file=sys.stderr)
        baseline_js = None
    rows = []
    with CorpusServer(args.corpus) as server:
        for app in args.apps.split(","):
            row = bench_app(server.url_for(app), app, args.steps, baseline_js, args.repeats)
            rows.append(row)
            print(json.dumps(row), flush=True)
    cols = ["before", "after", "before_walk", "after_walk", "cdp_all", "cdp_rest"]
    print(f"\n{'app':<10} {'elements':>8} " + " ".join(f"{c + ' ms':>12}" for c in cols)
          + f" {'listed before':>14} {'listed after':>13}")
    for r in rows:
        print(f"{r['app']:<10} {r['elements_mean']:>8} "
              + " ".join(f"{r.get(c + '_median_ms', float('nan')):>12}" for c in cols)
              + f" {r.get('before_interactive_mean', float('nan')):>14} {r['after_interactive_mean']:>13}")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"baseline_rev": args.baseline_rev, "rows": rows}, indent=1))
    print(f"wrote {out} (medians of per-step ms)")


if __name__ == "__main__":
    main()
