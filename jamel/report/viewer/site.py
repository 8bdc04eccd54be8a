"""Writes the static viewer site of one or more runs.

    OUT/index.html                          run page: every app x method, the Figure-2 chart (`jamel.report`)
    OUT/assets/viewer.css, session.js       written by this project, no third-party code
    OUT/s/<method>/<app>/session_<k>/index.html   session page (map as inline SVG)
    OUT/s/<method>/<app>/session_<k>/reward_curve.png   the session's chart, as `jamel explore` drew it
    OUT/s/<method>/<app>/session_<k>/data.js      the session's steps (a script that sets a global:
                                                  file:// pages cannot fetch() JSON in Chromium)
    OUT/s/<method>/<app>/session_<k>/shots/NNNN.jpg, thumbs/NNNN.jpg

Sessions are built in parallel worker processes; a session whose inputs have not changed since the
last build is reused (its `.stamp` matches and its row.json is a `SessionRow`), so re-viewing a growing
run only builds the new sessions.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import re
import shutil
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from html import escape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from jamel.env.browser import EnvConfig
from jamel.report import MethodResult, at_step, reward_curve_figure, run_methods, short_warning
from jamel.report.viewer.newcode import session_new_code, takes_file
from jamel.report.viewer.screens import build_graph, render_svg

ASSETS = Path(__file__).with_name("assets")
# A session page is rebuilt when its inputs or the code that renders it change.
VERSION = hashlib.sha1(b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()[:12]
COUNT_KINDS = ("lines", "branches", "statements", "functions")
TIMING_KEYS = ("agent_ms", "action_ms", "settle_ms", "coverage_ms", "scoring_ms", "observation_ms", "step_ms")
VIEWPORT = next(f.default for f in fields(EnvConfig) if f.name == "viewport")  # the box's coordinate frame


@dataclass
class SessionRef:
    run: Path
    method: str
    app: str
    index: int
    dir: Path

    @property
    def rel(self) -> str:
        return f"s/{_slug(self.method)}/{_slug(self.app)}/session_{self.index}"


@dataclass
class SessionRow:
    """A built session's line on the run page, cached in its row.json (and what `MethodResult` reads of a
    session summary). A cached row with other fields (older code's, e.g. `curve` for
    `cumulative_reward_curve`) does not load: the session is rebuilt."""
    method: str
    app: str
    session: int
    href: str
    run: str
    source: str
    steps: int
    cumulative_reward: int
    coverage_final: float
    coverage_initial: float
    failures: int
    invalid: int
    browser_restarts: int
    episodes: int
    screens: int
    input_tokens: int
    wall_s: float
    cumulative_reward_curve: list[int]
    coverage_report: str


def _cached_row(out: Path, stamp: str) -> dict[str, Any] | None:
    """The row of the last build of these inputs by this code, if it is there and is a `SessionRow`."""
    try:
        if (out / ".stamp").read_text() == stamp:
            return asdict(SessionRow(**json.loads((out / "row.json").read_text())))
    except (OSError, ValueError, TypeError):  # missing, unreadable, or another code's fields: rebuilt
        pass
    return None


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("._") or "_"


def _label(method: str, run: Path, owner: dict[str, Path]) -> str:
    """`method`, else `method (folder)`, `method (parent/folder)`, ..., else `method (#n)`: the first whose
    name and page folder (`_slug`) no other run holds."""
    parts = run.parts[1:]
    names = [method, *(f"{method} ({'/'.join(parts[-n:])})" for n in range(1, len(parts) + 1))]
    return next(label for label in itertools.chain(names, (f"{method} (#{n})" for n in itertools.count(2)))
                if owner.setdefault(label, run) == run and owner.setdefault(_slug(label), run) == run)


def discover(run_dirs: list[Path]) -> list[SessionRef]:
    """Finished sessions of explore and eval runs (`jamel.report.run_methods`). A method name met again
    in another run gets the run's folders attached (as many as it takes to be unique), so runs stay side
    by side instead of merging; a run named twice is read once."""
    refs: list[SessionRef] = []
    owner: dict[str, Path] = {}  # label and its slug -> the run (resolved) that holds it
    for run in dict.fromkeys(r.resolve() for r in run_dirs):
        for method, dirs in run_methods(run):
            label = _label(method, run, owner)
            refs.extend(SessionRef(run, label, d.parent.name, int(d.name[8:]), d) for d in dirs)
    if not refs:
        raise ValueError(f"no finished sessions (summary.json) under {[str(r) for r in run_dirs]}")
    return refs


# -- one session ---------------------------------------------------------------------------------------
def _stamp(ref: SessionRef) -> str:
    parts = [VERSION]
    for name in ("summary.json", "trajectory.parquet"):
        st = (ref.dir / name).stat()
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    takes = takes_file(ref.dir)
    if takes:
        parts.append(f"{takes.name}:{takes.stat().st_size}")
    return "|".join(parts)


def _box_percent(box: list[float]) -> list[float]:
    """The box in percent of the viewport, so it scales with whatever size the screenshot is shown at."""
    if not box or len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        return []
    return [round(v / size * 100, 3) for v, size in zip(box, VIEWPORT * 2)]


def _write_images(rows: list[dict[str, Any]], out: Path) -> None:
    from PIL import Image

    for folder in ("shots", "thumbs"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for r in rows:
        name = f"{r['step']:04d}.jpg"
        if not r["screenshot"]:
            continue
        img = Image.open(io.BytesIO(r["screenshot"])).convert("RGB")
        img.save(out / "shots" / name, "JPEG", quality=85)
        img.thumbnail((192, 108))
        img.save(out / "thumbs" / name, "JPEG", quality=70)


def _step_json(r: dict[str, Any], prev_counts: dict[str, int] | None, code: Any, screen: int) -> dict[str, Any]:
    counts = {k: int(r[k]) for k in COUNT_KINDS}
    delta_kinds = {k: counts[k] - prev_counts[k] for k in COUNT_KINDS} if prev_counts else None
    return {
        "step": r["step"], "episode": r["episode"], "episode_step": r["episode_step"], "url": r["url"],
        "action": r["action"], "action_canonical": r["action_canonical"], "valid": bool(r["valid"]),
        "error": r["error"], "last_action_error": r["last_action_error"], "reward": int(r["reward"]),
        "coverage": int(r["coverage"]), "coverage_delta": int(r["coverage_delta"]), "counts": counts,
        "delta_kinds": delta_kinds, "model_output": r["model_output"], "observation": r["observation"],
        "tokens": {k: int(r.get(k) or 0) for k in ("text_tokens", "image_tokens", "memory_tokens")},
        "timings": {k: round(float(r.get(k) or 0.0), 1) for k in TIMING_KEYS},
        "browser_restarted": bool(r["browser_restarted"]), "box": _box_percent(list(r.get("target_box") or [])),
        "shot": f"shots/{r['step']:04d}.jpg" if r["screenshot"] else "",
        "thumb": f"thumbs/{r['step']:04d}.jpg" if r["screenshot"] else "",
        "screen": screen, "new_code": asdict(code) if code else None,
    }


def build_session(ref: SessionRef, site: Path, force: bool = False) -> dict[str, Any]:
    """Writes one session's page, data and images; returns its row for the run page."""
    out, stamp = site / ref.rel, _stamp(ref)
    if not force and (cached := _cached_row(out, stamp)) is not None:
        return cached
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    summary = json.loads((ref.dir / "summary.json").read_text())
    rows = pq.read_table(ref.dir / "trajectory.parquet").to_pylist()
    try:
        code = session_new_code(ref.dir)
        code_error = ""
    except Exception as exc:  # unreadable takes: the page shows the steps without the code panel
        code, code_error = {}, f"{type(exc).__name__}: {exc}"
    graph = build_graph(rows)
    _write_images(rows, out)
    prevs = [summary.get("initial_counts"), *({k: int(r[k]) for k in COUNT_KINDS} for r in rows)]
    steps = [_step_json(r, prev, code.get(r["step"]), graph.step_screen[r["step"]])
             for r, prev in zip(rows, prevs)]
    depth = "../" * ref.rel.count("/") + "../"
    data = {"method": ref.method, "app": ref.app, "session": ref.index, "session_id": summary.get("session_id", ""),
            "steps": steps, "initial_code": asdict(code[0]) if code and 0 in code else None,
            "code_available": bool(code), "code_error": code_error,
            "screens": [{"index": s.index, "url": s.url, "digest": s.digest, "steps": s.steps} for s in graph.screens]}
    # UTF-8 rather than \u escapes (CJK apps' texts stay a third of the size); a lone surrogate becomes "?".
    (out / "data.js").write_text("window.JAMEL_SESSION = " + json.dumps(data, separators=(",", ":"), ensure_ascii=False)
                                 + ";\n", encoding="utf-8", errors="replace")
    failures = sum(not r["valid"] or bool(r["error"]) for r in rows)
    resets = [r["step"] for r in rows if r["action"].startswith("reset")]
    curve = '<p class="muted">no reward_curve.png in the session folder</p>'
    if (ref.dir / "reward_curve.png").is_file():  # the session's own chart (`jamel.rollout.explore`)
        shutil.copyfile(ref.dir / "reward_curve.png", out / "reward_curve.png")
        curve = '<img class="curve" src="reward_curve.png" alt="cumulative reward and C(t) against step">'
    (out / "index.html").write_text(_session_html(ref, summary, depth, curve, render_svg(graph), failures,
                                                  len(resets), len(graph.screens)), encoding="utf-8")
    report = summary.get("coverage_report")
    row = asdict(SessionRow(
        method=ref.method, app=ref.app, session=ref.index, href=ref.rel + "/index.html", run=str(ref.run),
        source=str(ref.dir.resolve()), steps=len(rows), cumulative_reward=summary["cumulative_reward"],
        coverage_final=summary["coverage_final"], coverage_initial=summary.get("coverage_initial", 0),
        failures=failures, invalid=sum(not r["valid"] for r in rows),
        browser_restarts=summary.get("browser_restarts", 0), episodes=summary.get("episodes", 0),
        screens=len(graph.screens), input_tokens=summary.get("input_tokens", 0), wall_s=summary.get("wall_s", 0),
        cumulative_reward_curve=summary["cumulative_reward_curve"],
        coverage_report=str((ref.dir / report).resolve()) if report else ""))
    (out / "row.json").write_text(json.dumps(row))
    (out / ".stamp").write_text(stamp)
    return row


def build_session_or_error(ref: SessionRef, site: Path, force: bool = False) -> dict[str, Any]:
    """One unreadable session (a truncated parquet, say) is listed as broken; the others are still built."""
    try:
        return build_session(ref, site, force)
    except Exception as exc:
        return {"method": ref.method, "app": ref.app, "session": ref.index, "source": str(ref.dir.resolve()),
                "error": f"{type(exc).__name__}: {exc}"}


def _page(title: str, depth: str, body: str, scripts: list[str] = ()) -> str:
    tags = "".join(f'<script src="{escape(s)}"></script>' for s in scripts)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="stylesheet" href="{depth}assets/viewer.css"></head><body>{body}{tags}</body></html>\n')


def _session_html(ref: SessionRef, summary: dict[str, Any], depth: str, curve: str, graph_svg: str, failures: int,
                  resets: int, screens: int) -> str:
    report = summary.get("coverage_report")
    report_link = (f' · <a href="{escape((ref.dir / report).resolve().as_uri())}">monocart coverage report</a>'
                   if report and (ref.dir / report).exists() else "")
    stats = (f'<b>{summary["cumulative_reward"]}</b> reward in {summary["steps"]} steps · C(0)={summary.get("coverage_initial", 0)}'
             f' → C(T)={summary["coverage_final"]} · {summary.get("episodes", 0)} episodes · {resets} resets · '
             f'{failures} failed steps · {summary.get("browser_restarts", 0)} browser restarts · {screens} screens'
             f' · {summary.get("input_tokens", 0):,} input tokens · {summary.get("wall_s", 0)} s')
    body = f"""
<header><a href="{depth}index.html" id="back">← run</a> <h1>{escape(ref.app)} · {escape(ref.method)} · session {ref.index}</h1>
<div class="stats">{stats}{report_link}</div></header>
<main class="session">
<aside id="timeline-pane">
  <div class="filters" role="radiogroup" aria-label="filter steps">
    <label><input type="radio" name="filter" value="all" checked> all</label>
    <label><input type="radio" name="filter" value="reward"> rewarded</label>
    <label><input type="radio" name="filter" value="failed"> failed</label>
  </div>
  <div id="timeline"></div>
</aside>
<section id="step-pane">
  <div class="step-head"><button id="prev" title="previous (←)">◀</button><span id="step-title"></span>
    <button id="next" title="next (→)">▶</button><span id="step-flags"></span></div>
  <div class="step-grid">
    <div><div id="shot-wrap"><img id="shot" alt="screenshot the agent acted on"><div id="box" hidden></div></div>
      <div id="url" class="url"></div></div>
    <div class="panels">
      <table class="kv">
        <tr><th>action</th><td><code id="action"></code><div id="canonical" class="muted"></div></td></tr>
        <tr><th>valid</th><td id="valid"></td></tr>
        <tr><th>error</th><td id="error"></td></tr>
        <tr><th>reward</th><td id="reward"></td></tr>
        <tr><th>C(t)</th><td id="coverage"></td></tr>
      </table>
      <table class="delta" id="delta"><thead><tr><th></th><th>lines</th><th>branches</th><th>statements</th><th>functions</th></tr></thead>
        <tbody><tr><th>C(t)</th></tr><tr><th>Δ</th></tr></tbody></table>
      <table class="kv small"><tr><th>tokens</th><td id="tokens"></td></tr><tr><th>timings</th><td id="timings"></td></tr></table>
    </div>
  </div>
  <h3>Newly covered code <span id="code-count" class="muted"></span></h3>
  <div id="newcode"></div>
  <h3>Model output</h3><pre id="model-output"></pre>
  <details><summary>Observation (what the agent read)</summary><pre id="observation"></pre></details>
</section>
</main>
<section class="below">
  <div><h3>Exploration map <span class="muted">(screens = URL + interactive structure; green: rewarded; dashed: reset; click a node)</span></h3>
    <div id="map">{graph_svg}</div></div>
  <div><h3>Reward and C(t)</h3>{curve}</div>
</section>
<details class="below"><summary>Page load (step 0) code</summary><div id="initial-code"></div></details>
"""
    return _page(f"{ref.app} · {ref.method} · session {ref.index}", depth, body, ["data.js", f"{depth}assets/session.js"])


# -- the run page --------------------------------------------------------------------------------------
def _run_html(all_rows: list[dict[str, Any]], run_dirs: list[Path]) -> str:
    rows = [r for r in all_rows if "error" not in r]
    broken = [r for r in all_rows if "error" in r]
    if not rows:
        raise ValueError("no session could be read: " + "; ".join(f"{r['source']}: {r['error']}" for r in broken))
    everything: dict[str, MethodResult] = {}  # a row carries what `MethodResult` reads of a session summary
    for r in rows:
        everything.setdefault(r["method"], MethodResult(r["method"])).apps.setdefault(r["app"], []).append(r)
    methods = list(everything)
    steps = max(r["steps"] for r in rows)
    results, short = at_step(everything, steps)  # the method table and chart read every method at one step
    per_method: dict[str, dict[str, Any]] = {}
    for m, res in results.items():
        mine = [s for ss in res.apps.values() for s in ss]
        per_method[m] = {**res.stats(steps), "cov": statistics.fmean(r["coverage_final"] for r in mine),
                         "failures": sum(r["failures"] for r in mine), "restarts": sum(r["browser_restarts"] for r in mine)}
    import matplotlib
    import matplotlib.pyplot as plt

    fig = reward_curve_figure(results, steps, dpi=100)
    svg = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text, not glyph paths
        fig.savefig(svg, format="svg")
    plt.close(fig)
    chart = svg.getvalue()
    chart = chart[chart.index("<svg"):].replace("<svg ", '<svg class="chart" ', 1)  # inline: no XML prolog
    mt = "".join(f'<tr><td>{escape(m)}</td><td>{t["apps"]}</td><td>{t["sessions"]}</td><td>{t["mean"]:.2f}</td>'
                 f'<td>{t["std"]:.2f}</td><td>{t["cov"]:.1f}</td><td>{t["failures"]}</td><td>{t["restarts"]}</td>'
                 f'<td>{t["tokens_per_step"]:,.0f}</td></tr>' for m, t in per_method.items())
    keys = sorted({(r["app"], r["session"]) for r in rows})
    cell = {(r["method"], r["app"], r["session"]): r for r in rows}
    head1 = "".join(f'<th colspan="6" class="mhead">{escape(m)}</th>' for m in methods)
    head2 = "<th>reward</th><th>C(T)</th><th>steps</th><th>failed</th><th>restarts</th><th></th>" * len(methods)
    body = []
    for app, k in keys:
        tds = []
        for m in methods:
            r = cell.get((m, app, k))
            if r is None:
                tds.append('<td colspan="6" class="muted">–</td>')
                continue
            tds.append(f'<td class="num">{r["cumulative_reward"]}</td><td class="num">{r["coverage_final"]}</td>'
                       f'<td class="num">{r["steps"]}</td><td class="num">{r["failures"]}</td>'
                       f'<td class="num">{r["browser_restarts"]}</td>'
                       f'<td><a class="session-link" href="{escape(r["href"])}" data-method="{escape(m)}" '
                       f'data-app="{escape(app)}">view</a></td>')
        body.append(f'<tr data-app="{escape(app)}"><td>{escape(app)}</td><td class="num">{k}</td>{"".join(tds)}</tr>')
    runs = "".join(f"<li><code>{escape(str(p.resolve()))}</code></li>" for p in run_dirs)
    runs += "".join(f'<li class="bad">unreadable session <code>{escape(r["source"])}</code>: {escape(r["error"])}</li>'
                    for r in broken)
    warning = f'<p class="bad">{escape(short_warning(short, steps))}</p>' if short else ""
    page = f"""
<header><h1>JAMEL runs</h1><ul class="runs">{runs}</ul></header>
<main class="run">
<section class="overview"><div>{chart}</div>
<div><h3>Methods</h3><table class="grid"><thead><tr><th>method</th><th>apps</th><th>sessions</th><th>mean reward</th>
<th>std across apps</th><th>mean C(T)</th><th>failed steps</th><th>browser restarts</th><th>tokens/step</th></tr></thead>
<tbody>{mt}</tbody></table>
<p class="muted">Reward at step {steps}: each app's mean over its sessions, then mean and std across apps.
Failed: invalid or failed actions.</p>{warning}</div></section>
<h3>Sessions <input id="app-filter" type="search" placeholder="filter apps"></h3>
<table class="grid" id="sessions"><thead><tr><th rowspan="2">app</th><th rowspan="2">session</th>{head1}</tr>
<tr>{head2}</tr></thead><tbody>{"".join(body)}</tbody></table>
</main>"""
    return _page("JAMEL runs", "", page, ["assets/run.js"])


def build_site(run_dirs: list[Path], out: Path, jobs: int | None = None, force: bool = False) -> Path:
    """Builds (or refreshes) the site and returns the path of its index.html."""
    refs = discover(run_dirs)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ASSETS, out / "assets", dirs_exist_ok=True)
    jobs = jobs or min(4, os.cpu_count() or 1)
    if jobs > 1 and len(refs) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(refs))) as pool:
            rows = list(pool.map(build_session_or_error, refs, [out] * len(refs), [force] * len(refs)))
    else:
        rows = [build_session_or_error(r, out, force) for r in refs]
    (out / "index.html").write_text(_run_html(rows, run_dirs), encoding="utf-8")
    (out / "rows.json").write_text(json.dumps(rows))
    return out / "index.html"
