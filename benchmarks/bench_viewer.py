"""How `jamel view` scales: build time and page weight for a run of many apps x 50 steps.

    python benchmarks/bench_viewer.py --source runs/x --apps 100 [--jobs 4]

A synthetic run of `--apps` apps is made by copying the finished sessions of a recorded run (`--source`,
ideally 50-step sessions; default: records 2 crawler sessions of 50 steps on the demo apps). Reports:
cold build time (serial and with --jobs workers), warm rebuild time (every session reused), the size of
the site, of the run page and of the largest session page + data file, and how long Chromium takes to
open the run page and a session page from disk (load event, first step shown), with console errors.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def record_source(root: Path, steps: int) -> Path:
    from jamel.corpus import load_corpus
    from jamel.rollout.explore import ExploreConfig, explore

    out = root / "source"
    cfg = ExploreConfig(corpus=str(load_corpus(None).root), apps=["shop", "travel"], agent="crawler", steps=steps,
                        output=str(out), settle_ms=150, html_report=False, episode_steps=10)
    explore(cfg, load_corpus(None), progress=False)
    return out


def synthetic_run(source: Path, root: Path, apps: int) -> Path:
    sessions = sorted(p.parent for p in source.glob("*/session_*/summary.json"))
    if not sessions:
        raise SystemExit(f"no finished sessions under {source}")
    run = root / "run"
    for i in range(apps):
        src = sessions[i % len(sessions)]
        shutil.copytree(src, run / f"app_{i:03d}" / "session_0", ignore=shutil.ignore_patterns("coverage"))
    return run


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def open_pages(site: Path) -> dict[str, float | list[str]]:
    from playwright.sync_api import sync_playwright

    from jamel.env.browser import find_chromium

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto((site / "index.html").as_uri(), wait_until="load")
        run_ms = (time.perf_counter() - t0) * 1000
        href = page.locator("a.session-link").last.get_attribute("href")
        t0 = time.perf_counter()
        page.goto((site / href).as_uri(), wait_until="load")
        page.wait_for_function("document.getElementById('step-title').textContent.length > 0")
        session_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        for _ in range(20):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("document.getElementById('shot').complete")
        step_ms = (time.perf_counter() - t0) * 1000 / 20
        browser.close()
    return {"run_page_ms": round(run_ms), "session_page_ms": round(session_ms), "step_change_ms": round(step_ms, 1),
            "console_errors": errors}


def main() -> None:
    from jamel.report.viewer.site import build_site

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=None, help="a finished run to replicate (default: record one)")
    ap.add_argument("--apps", type=int, default=100)
    ap.add_argument("--steps", type=int, default=50, help="steps per recorded session when recording a source")
    ap.add_argument("--jobs", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = args.source or record_source(root, args.steps)
        run = synthetic_run(source, root, args.apps)
        res: dict[str, object] = {"apps": args.apps}
        for jobs in (1, args.jobs):
            site = root / f"site_{jobs}"
            t0 = time.perf_counter()
            build_site([run], site, jobs=jobs)
            res[f"cold_build_s_jobs{jobs}"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        build_site([run], site, jobs=args.jobs)
        res["warm_rebuild_s"] = round(time.perf_counter() - t0, 2)
        sessions = list((site / "s").glob("*/*/session_*"))
        res["steps_total"] = sum(json.loads((s / "row.json").read_text())["steps"] for s in sessions)
        res["site_MB"] = round(du(site) / 1e6, 1)
        res["run_page_kB"] = round((site / "index.html").stat().st_size / 1e3, 1)
        res["largest_session_page_kB"] = round(max((s / "index.html").stat().st_size + (s / "data.js").stat().st_size
                                                   for s in sessions) / 1e3, 1)
        res["images_MB"] = round(sum(du(s / "shots") + du(s / "thumbs") for s in sessions) / 1e6, 1)
        res.update(open_pages(site))
        print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
