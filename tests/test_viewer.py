"""`jamel view`: the new-code computation, the screen map, the element box, and the site in a real browser."""
from __future__ import annotations

import json
import re
import shutil

import pyarrow.parquet as pq
import pytest

from jamel.env.browser import RecordEnv, EnvConfig, find_chromium
from jamel.cli import main as cli_main
from jamel.corpus import load_corpus
from jamel.env.coverage.collector import ScriptTake
from jamel.env.coverage.scorer import find_takes
from jamel.rollout.explore import ExploreConfig, explore
from jamel.env.server import CorpusServer
from jamel.report.viewer.newcode import executed_intervals, new_code_per_step, session_new_code, subtract, union
from jamel.report.viewer.screens import build_graph, render_svg, screen_key
from jamel.report.viewer.site import VIEWPORT, build_site, discover


# -- newly covered code ---------------------------------------------------------------------------------
def _r(s, e, c):
    return {"startOffset": s, "endOffset": e, "count": c}


def test_executed_intervals_innermost_range_wins():
    fns = [{"functionName": "", "ranges": [_r(0, 100, 1), _r(10, 20, 0), _r(30, 40, 2)]},
           {"functionName": "f", "ranges": [_r(50, 60, 0), _r(52, 55, 1)]}]  # f not called, a block inside ran
    assert executed_intervals(fns) == [(0, 10), (20, 50), (52, 55), (60, 100)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]
    assert union([(0, 10)], [(5, 25), (30, 31)]) == [(0, 25), (30, 31)]


def _u16(src: str, i: int) -> int:
    """V8 offset (UTF-16 code units) of Python index i."""
    return len(src[:i].encode("utf-16-le")) // 2


def test_new_code_per_step_functions_and_lines():
    # A non-BMP character before the functions: V8 offsets then differ from Python indices.
    src = "const s = '🛍️';\nfunction a() {\n  return 1;\n}\nfunction b(x) {\n  if (x) {\n    x += 1;\n  }\n  return x;\n}\n"
    end = _u16(src, len(src))
    a0, a1 = _u16(src, src.index("function a")), _u16(src, src.index("}\nfunction b") + 1)
    b0, b1 = _u16(src, src.index("function b")), end - 1
    if0, if1 = _u16(src, src.index("{\n    x")), _u16(src, src.index("}\n  return x") + 1)
    top = {"functionName": "", "ranges": [_r(0, end, 1)]}
    fa = lambda c: {"functionName": "a", "ranges": [_r(a0, a1, c)]}  # noqa: E731
    fb = lambda c, ci: {"functionName": "b", "ranges": [_r(b0, b1, c), _r(if0, if1, ci)]}  # noqa: E731
    steps = [(0, [ScriptTake("k", "http://h/app/app.js", [top, fa(0), fb(0, 0)], src)]),
             (1, [ScriptTake("k", "http://h/app/app.js", [fb(1, 0)])]),  # b runs, its if-block does not
             (2, [ScriptTake("k", "http://h/app/app.js", [fb(1, 0)])]),  # nothing new
             (3, [ScriptTake("k", "http://h/app/app.js", [fb(1, 1)])])]  # the if-block, first time
    code = new_code_per_step(steps)
    assert [f["name"] for f in code[0].functions] == ["(top-level)"]
    assert [(x["line"], x["text"]) for x in code[0].lines] == [(1, "const s = '🛍️';")]  # a and b not called
    assert [(f["name"], f["url"], f["line"]) for f in code[1].functions] == [("b", "app/app.js", 5)]
    assert [x["line"] for x in code[1].lines] == [5, 6, 9]  # not line 7 (the block did not run)
    assert code[2].n_functions == code[2].n_lines == 0
    assert code[3].n_functions == 0 and [x["text"] for x in code[3].lines] == ["x += 1;"]
    capped = new_code_per_step(steps, max_lines=2)
    assert len(capped[1].lines) == 2 and capped[1].n_lines == 3


# -- exploration map ------------------------------------------------------------------------------------
def _obs(*elements: str) -> str:
    return "# Page: x\n\n# Interactive elements\n" + "\n".join(elements)


def test_screen_graph_merges_renumbered_screens():
    home1 = _obs("- 3: button 'Home'", "- 4: link 'Cart'")
    home2 = _obs("- 9: button 'Home'", "- 12: link 'Cart'")  # same screen, new bids
    cart = _obs("- 3: button 'Home'", "- 5: button 'Pay'")
    assert screen_key("u", home1) == screen_key("u", home2) != screen_key("u", cart)
    rows = [{"step": 1, "url": "http://a/#/", "observation": home1, "action": "click('4')", "reward": 1, "episode": 0},
            {"step": 2, "url": "http://a/#/cart", "observation": cart, "action": "click('3')", "reward": 0, "episode": 0},
            {"step": 3, "url": "http://a/#/", "observation": home2, "action": "click('4')", "reward": 0, "episode": 0},
            {"step": 4, "url": "http://a/#/cart", "observation": cart, "action": "reset()", "reward": 0, "episode": 0},
            {"step": 5, "url": "http://a/#/", "observation": home1, "action": "noop()", "reward": 0, "episode": 1}]
    g = build_graph(rows)
    assert [s.steps for s in g.screens] == [[1, 3, 5], [2, 4]]
    edges = {(e.src, e.dst): e for e in g.edges}
    assert set(edges) == {(0, 1), (1, 0)}
    assert edges[(0, 1)].steps == [1, 3] and edges[(0, 1)].reward == 1 and not edges[(0, 1)].reset
    assert edges[(1, 0)].steps == [2, 4] and edges[(1, 0)].reset
    svg = render_svg(g)
    assert svg.count('class="node"') == 2 and svg.count('class="edge"') == 2 and "+1" in svg


# -- the element box in the step record -----------------------------------------------------------------
@pytest.mark.browser
def test_click_records_target_box_as_seen_before_the_action():
    corpus = load_corpus(None)
    with CorpusServer(corpus.root) as server, RecordEnv(EnvConfig(start_url=server.url_for("shop"), settle_ms=50)) as env:
        obs, _ = env.reset(seed=0)
        bid = next(e.bid for e in obs.interactive if e.name == "Accept")
        expected = env.page.locator(f'[data-jamel-bid="{bid}"]').bounding_box()
        _, _, _, _, info = env.step(f"click('{bid}')")
        assert not info["error"]
        assert info["target_box"] == pytest.approx([expected[k] for k in ("x", "y", "width", "height")], abs=0.1)
        _, _, _, _, info = env.step("scroll(0, 200)")
        assert info.get("target_box", []) == []
        _, _, _, _, info = env.step("click('99999')")  # no such element: no box, the action fails (invalid)
        assert info.get("target_box", []) == [] and info["error"]


# -- the site, end to end -------------------------------------------------------------------------------
STEPS = 6


@pytest.fixture(scope="module")
def run_and_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("view")
    out = root / "run"
    cfg = ExploreConfig(corpus=str(load_corpus(None).root), apps=["shop"], agent="crawler", steps=STEPS,
                        output=str(out), settle_ms=150, html_report=False)
    explore(cfg, load_corpus(None), progress=False)
    site = root / "site"
    assert cli_main(["view", str(out), "--out", str(site), "--jobs", "1"]) == 0
    return out, site


def test_step_records_hold_boxes(run_and_site):
    out, _ = run_and_site
    rows = pq.read_table(out / "shop" / "session_0" / "trajectory.parquet").to_pylist()
    for r in rows:
        if re.match(r"(click|fill|hover|select_option)\(", r["action"]) and not r["error"]:
            x, y, w, h = r["target_box"]
            assert w > 0 and h > 0 and -h < y < VIEWPORT[1] and -w < x < VIEWPORT[0]
        elif r["action"].startswith(("scroll", "noop", "reset", "go_")):
            assert r["target_box"] == []


def test_site_in_a_real_browser(run_and_site):
    from playwright.sync_api import sync_playwright

    out, site = run_and_site
    session = out / "shop" / "session_0"
    rows = pq.read_table(session / "trajectory.parquet").to_pylist()
    summary = json.loads((session / "summary.json").read_text())
    code = session_new_code(session)
    # why a step paid: every step that raised C(t) ran code for the first time, and only those
    assert [r["step"] for r in rows if r["coverage_delta"] > 0] == \
        [t for t, c in sorted(code.items()) if t > 0 and (c.n_functions or c.n_lines)]
    target = next(r for r in rows if r["reward"] and r["target_box"] and r["action"].startswith("click"))
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((site / "index.html").as_uri())
        row = page.locator('#sessions tr[data-app="shop"]')
        assert row.locator("td").nth(2).inner_text() == str(summary["cumulative_reward"])
        assert row.locator("td").nth(3).inner_text() == str(summary["coverage_final"])
        assert page.locator("svg.chart path").count() >= 1
        row.locator("a.session-link").click()
        page.wait_for_selector("#step-title")
        assert page.url.startswith("file://") and "/s/crawler/shop/session_0/" in page.url

        def check(r) -> None:
            assert page.inner_text("#step-title").startswith(f"step {r['step']} /")
            assert page.inner_text("#action") == r["action"]
            assert page.inner_text("#reward") == str(r["reward"])
            assert page.inner_text("#coverage").startswith(str(r["coverage"]))
            assert page.inner_text("#model-output") == r["model_output"]
            assert page.wait_for_function("() => { const i = document.getElementById('shot');"
                                          " return i.complete && i.naturalWidth > 0 && i.src; }").json_value()
            assert page.evaluate("document.getElementById('shot').naturalWidth") == 640
            c = code[r["step"]]
            panel = page.inner_text("#newcode")
            for f in c.functions:
                assert f"{f['name']} {f['url']}:{f['line']}" in panel
            for line in c.lines:
                assert line["text"] in panel

        check(rows[0])
        page.click(f"#tl-{target['step']}")
        check(target)
        assert page.url.endswith(f"#step-{target['step']}")
        assert code[target["step"]].n_functions + code[target["step"]].n_lines > 0
        box = page.locator("#box")
        assert box.is_visible()
        left = float(box.evaluate("e => e.style.left").rstrip("%"))
        assert left == pytest.approx(target["target_box"][0] / VIEWPORT[0] * 100, abs=0.01)
        shot = page.locator("#shot").bounding_box()
        drawn = box.bounding_box()  # the overlay sits on the element in the displayed screenshot
        assert drawn["x"] == pytest.approx(shot["x"] + target["target_box"][0] * shot["width"] / VIEWPORT[0], abs=3)
        page.keyboard.press("ArrowRight")
        check(rows[target["step"]])  # the next step (rows are 1-based steps)
        page.check('input[name="filter"][value="reward"]')
        rewarded = [r for r in rows if r["reward"]]
        assert page.locator(".tl-item:visible").count() == len(rewarded)
        page.click(f"#tl-{rewarded[0]['step']}")
        page.keyboard.press("ArrowRight")
        check(rewarded[1])  # the filter applies to the keys: the next *rewarded* step
        page.locator("#map .node").first.click()
        check(rows[0])
        browser.close()
    assert errors == []


def test_several_runs_side_by_side(run_and_site, tmp_path):
    out, _ = run_and_site
    evals = tmp_path / "eval"
    for method in ("jamel", "react-text"):  # eval layout: <method>/<app>/session_k
        shutil.copytree(out / "shop", evals / method / "shop")
    find_takes(evals / "react-text" / "shop" / "session_0").unlink()  # as with --no-record-takes
    again = tmp_path / "again"  # a second explore run of the same agent
    shutil.copytree(out / "shop", again / "shop")
    refs = discover([out, evals, again])
    assert [r.method for r in refs] == ["crawler", "jamel", "react-text", "crawler (again)"]
    index = build_site([out, evals, again], tmp_path / "site", jobs=2)
    html = index.read_text()
    assert all(f'class="mhead">{m}</th>' in html for m in ("crawler", "jamel", "react-text", "crawler (again)"))
    data = (tmp_path / "site" / "s" / "react-text" / "shop" / "session_0" / "data.js").read_text()
    assert '"code_available":false' in data and '"new_code":null' in data
    assert '"code_available":true' in (tmp_path / "site" / "s" / "jamel" / "shop" / "session_0" / "data.js").read_text()
    assert html.count('class="session-link"') == 4
    (evals / "jamel" / "shop" / "session_0" / "trajectory.parquet").write_bytes(b"not parquet")
    html = build_site([out, evals], tmp_path / "site2", jobs=1).read_text()
    assert "unreadable session" in html and html.count('class="session-link"') == 2


@pytest.mark.browser
def test_runs_with_the_same_folder_name_stay_apart(tmp_path):
    """Three runs all called `explore` (and one named twice): three methods, each with its own session."""
    corpus = load_corpus(None)
    src = tmp_path / "src"
    explore(ExploreConfig(corpus=str(corpus.root), apps=["shop"], agent="random", steps=2, sessions=3, workers=1,
                          output=str(src), settle_ms=50, html_report=False), corpus, progress=False)
    runs = [tmp_path / f"s{k + 1}" / "explore" for k in range(3)]
    for k, run in enumerate(runs):  # session k of the source run becomes run k's only session
        shutil.copytree(src / "shop" / f"session_{k}", run / "shop" / "session_0")
    assert cli_main(["view", *map(str, runs), str(runs[0]) + "/", "--out", str(tmp_path / "v3"), "--jobs", "1"]) == 0
    rows = json.loads((tmp_path / "v3" / "rows.json").read_text())
    assert [r["method"] for r in rows] == ["random", "random (explore)", "random (s3/explore)"]
    assert [r["source"] for r in rows] == [str((run / "shop" / "session_0").resolve()) for run in runs]
    assert len({r["href"] for r in rows}) == 3
    for k, r in enumerate(rows):  # each page shows its own run's session
        assert f'"session_id":"shop/session_{k}"' in (tmp_path / "v3" / r["href"]).with_name("data.js").read_text()


@pytest.mark.parametrize("older_code_stamp", [True, False])
def test_a_site_cached_by_older_code_is_rebuilt(run_and_site, tmp_path, older_code_stamp):
    """A session cached by older code (its row keyed `curve` rather than `cumulative_reward_curve`) is rebuilt,
    whether its stamp tells (another VERSION) or not (same viewer code, another reader of the row)."""
    out, site = run_and_site
    shutil.copytree(site, tmp_path / "site")
    cached = tmp_path / "site" / "s" / "crawler" / "shop" / "session_0"
    row = json.loads((cached / "row.json").read_text())
    row["curve"] = row.pop("cumulative_reward_curve")
    (cached / "row.json").write_text(json.dumps(row))
    if older_code_stamp:
        stamp = (cached / ".stamp").read_text()
        (cached / ".stamp").write_text("0" * 12 + stamp[12:])
    html = build_site([out], tmp_path / "site", jobs=1).read_text()
    summary = json.loads((out / "shop" / "session_0" / "summary.json").read_text())
    assert html.count('class="session-link"') == 1 and "unreadable session" not in html
    assert f'<td class="num">{summary["cumulative_reward"]}</td>' in html
    rebuilt = json.loads((cached / "row.json").read_text())
    assert rebuilt["cumulative_reward_curve"] == summary["cumulative_reward_curve"] and "curve" not in rebuilt


def test_serve_on_loopback(run_and_site):
    import threading
    import urllib.request

    from jamel.report.viewer import make_server

    _, site = run_and_site
    with make_server(site) as httpd:
        assert httpd.server_address[0] == "127.0.0.1"
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        try:
            assert b"JAMEL runs" in urllib.request.urlopen(base + "index.html", timeout=10).read()
            data = urllib.request.urlopen(base + "s/crawler/shop/session_0/data.js", timeout=10).read()
            assert data.startswith(b"window.JAMEL_SESSION = ")
        finally:
            httpd.shutdown()


def test_view_errors_are_clear(tmp_path, capsys):
    assert cli_main(["view", str(tmp_path / "missing")]) == 2
    assert "no run folder" in capsys.readouterr().err
    assert cli_main(["view", str(tmp_path)]) == 2
    assert "no finished sessions" in capsys.readouterr().err
