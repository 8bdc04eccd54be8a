"""Adaptive settle, no settle after refused actions, the direct 640x360 capture, page functions, warm sessions."""
from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from conftest import bid_of
from jamel.env.browser import BrowserEnv, RecordEnv, EnvConfig

SLOW_S = 0.3


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        time.sleep(SLOW_S)
        body = json.dumps({"ok": True, "value": 42}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def slow_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def settle_env(fixture_server, slow_port, **kw) -> BrowserEnv:
    url = fixture_server.url_for("settle") + f"?slow={slow_port}"
    return RecordEnv(EnvConfig(start_url=url, max_steps=50, **kw))


@pytest.fixture(scope="module")
def warm_env(fixture_server, slow_port):
    """One browser for the module (tests reset it: a fresh context each, the warm path)."""
    env = settle_env(fixture_server, slow_port)
    yield env
    env.close()


def configured(env: BrowserEnv, **kw) -> BrowserEnv:
    defaults = {"settle": "adaptive", "settle_ms": 250, "settle_quiet_ms": 50, "raw_screenshot": False,
                "scaled_render": True}
    for k, v in {**defaults, **kw}.items():
        setattr(env.cfg, k, v)
    return env


@pytest.mark.parametrize("button,text,min_ms", [("Timer", "TIMER FIRED", 150), ("Slow", "slow 42", 300),
                                                ("Xhr", "xhr 42", 300)])
def test_adaptive_settle_counts_delayed_code_in_its_step(warm_env, button, text, min_ms):
    assert EnvConfig(start_url="x").settle == "adaptive"  # the default
    env = configured(warm_env)
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, button)}')")
    assert r == 1 and info["error"] == ""
    assert text in obs.axtree  # the delayed handler ran before the observation
    settle = info["timings"].settle_ms
    assert min_ms * 0.9 <= settle < env.cfg.settle_cap_ms  # waited for it, not for the cap
    c = info["coverage"]
    obs, r, *_, info = env.step("noop(0)")  # the delayed code was already counted: nothing left
    assert r == 0 and info["coverage"] == c


def test_fixed_short_settle_misses_delayed_code(warm_env):
    """The same step with a fixed 20 ms sleep: the timer's code lands in the next step (why we wait)."""
    env = configured(warm_env, settle="fixed", settle_ms=20)
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Timer')}')")
    c = info["coverage"]
    obs, r, *_, info = env.step("noop(300)")
    assert r == 1 and info["coverage"] > c


def test_adaptive_settle_is_short_on_a_synchronous_handler(warm_env):
    env = configured(warm_env)
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r == 1 and "quick" in obs.axtree
    assert 45 <= info["timings"].settle_ms < 500  # the quiet window, not the cap (1500 ms)


def test_no_settle_after_an_action_refused_before_dispatch(warm_env):
    env = configured(warm_env, settle="fixed", settle_ms=200)
    obs, _ = env.reset()
    for action in ("click(", "click('99999')", "tab_focus(5)", "send_msg_to_user('hi')"):
        obs, r, *_, info = env.step(action)
        assert r == 0 and info["timings"].settle_ms == 0, (action, info["error"])
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r == 1 and info["timings"].settle_ms >= 190  # a dispatched action still settles


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_direct_capture_matches_resized_viewport(warm_env):
    """The 640x360 image comes from Chromium at scale 0.5; it shows the same viewport as resizing the
    1280x720 capture (small resampling differences only), also when the page is scrolled."""
    env = configured(warm_env, raw_screenshot=True)
    obs, _ = env.reset()
    for _ in range(2):
        small = _pixels(obs.screenshot)
        raw = Image.open(io.BytesIO(obs.screenshot_raw))
        assert small.shape == (360, 640, 3) and raw.size == (1280, 720)
        resized = _pixels(_png(raw.convert("RGB").resize((640, 360), Image.BILINEAR)))
        assert np.abs(small - resized).mean() < 4
        obs, *_ = env.step("scroll(0, 400)")
        assert env.page.evaluate("scrollY") > 0
    env = configured(warm_env)
    obs, _ = env.reset()
    assert obs.screenshot_raw is None and _pixels(obs.screenshot).shape == (360, 640, 3)


PAGE_METRICS = """() => ({dpr: devicePixelRatio, inner: [innerWidth, innerHeight], outer: [outerWidth, outerHeight],
    screen: [screen.width, screen.height, screen.availWidth, screen.availHeight, screen.orientation.type],
    client: [document.documentElement.clientWidth, document.documentElement.clientHeight],
    vv: [visualViewport.width, visualViewport.height, visualViewport.scale],
    media: ['(max-width: 1280px)', '(min-width: 1281px)', '(orientation: landscape)', '(hover: hover)',
            '(pointer: fine)'].map((q) => matchMedia(q).matches)})"""


def test_pages_render_at_the_model_image_scale(warm_env):
    """devicePixelRatio 0.5 with the same 1280x720 CSS layout: the plain capture is the 640x360 model
    image, with the pixels of the clip-scaled capture at devicePixelRatio 1 (scaled_render=False)."""
    shots, seen = {}, {}
    for scaled in (True, False):
        env = configured(warm_env, scaled_render=scaled)
        obs, _ = env.reset()
        seen[scaled] = env.page.evaluate(PAGE_METRICS)
        shots[scaled] = _pixels(obs.screenshot)
    assert seen[True].pop("dpr") == 0.5 and seen[False].pop("dpr") == 1
    assert seen[True] == seen[False] and seen[True]["inner"] == [1280, 720]  # all else the page can see
    assert shots[True].shape == shots[False].shape == (360, 640, 3)
    assert np.abs(shots[True] - shots[False]).mean() < 0.5


@pytest.mark.slow
def test_same_session_same_coverage_at_either_render_scale(tmp_path):
    """A seeded crawler session on a demo app: the same actions, C(t) and rewards at devicePixelRatio
    0.5 (scaled_render) as at 1."""
    from jamel.agents import build_agent
    from jamel.corpus import load_corpus
    from jamel.env.server import CorpusServer
    from jamel.rollout.explore import run_session

    runs = {}
    with CorpusServer(load_corpus().root) as server:
        for scaled in (True, False):
            with RecordEnv(EnvConfig(start_url=server.url_for("messenger"), scaled_render=scaled)) as env:
                summary = run_session(env, build_agent("crawler"), "messenger", tmp_path / str(scaled), 7, 12,
                                      session_id="s", record_takes=False, html_report=False)
            rows = pq.read_table(tmp_path / str(scaled) / "trajectory.parquet").to_pylist()
            runs[scaled] = [(r["action"], r["coverage"], r["reward"]) for r in rows]
            assert summary["coverage_final"] > summary["coverage_initial"]
    assert runs[True] == runs[False]


def test_page_functions_are_installed_once_and_have_a_fallback(warm_env, monkeypatch):
    """observe.js and target.js are installed in every document (not sent per step); a document without
    them gets the source, with the same observation and the same element lookups."""
    import jamel.env.browser as browser

    env = configured(warm_env)
    obs, _ = env.reset()
    assert env.page.evaluate("Object.isFrozen(window.__jamelPage) && Object.keys(window.__jamelPage)") == [
        "observe", "target"]
    installed = env._observe()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r == 1 and info["target_box"] and info["error"] == ""
    monkeypatch.setattr(browser, "PAGE_JS", "/* not installed */")
    obs, _ = env.reset()
    assert env.page.evaluate("window.__jamelPage") is None
    assert env._observe().text() == installed.text()
    obs, r2, *_, info2 = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r2 == 1 and info2["target_box"] == info["target_box"] and info2["error"] == ""


def _count_lookups(env, monkeypatch) -> list[bool]:
    calls, lookup = [], env._lookup

    def counted(bid, check):
        calls.append(check)
        return lookup(bid, check)

    monkeypatch.setattr(env, "_lookup", counted)
    return calls


@pytest.mark.parametrize("verb", ["click", "dblclick", "hover"])
def test_a_hit_checked_action_looks_its_element_up_once(warm_env, monkeypatch, verb):
    """One target.js round trip gives the hit check and the step's target_box (as seen before the action)."""
    env = configured(warm_env)
    obs, _ = env.reset()
    bid = bid_of(obs, "Quick")
    seen = env.page.locator(f'[data-jamel-bid="{bid}"]').bounding_box()
    calls = _count_lookups(env, monkeypatch)
    obs, r, *_, info = env.step(f"{verb}('{bid}')")
    assert info["error"] == "" and info["executed"] and calls == [True]
    assert info["target_box"] == pytest.approx([seen[k] for k in ("x", "y", "width", "height")], abs=0.1)
    # covered: the same single lookup refuses it at once, with the box still recorded
    obs, _ = env.reset()
    bid = bid_of(obs, "Quick")
    env.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div id=\"veil\" style=\"position:fixed;"
                      "inset:0;background:#fff8\"></div>')")
    calls.clear()
    obs, r, *_, info = env.step(f"{verb}('{bid}')")
    assert r == 0 and calls == [True] and "not clickable: covered by div \"#veil\"" in info["error"]
    assert info["target_box"] == pytest.approx([seen[k] for k in ("x", "y", "width", "height")], abs=0.1)


def test_an_element_gone_before_the_action_fails_at_once(warm_env, monkeypatch):
    """Removed after the step began (its target lookup) but before the action: a LookupError at once, not
    Playwright's wait of the whole action timeout; a failed step, reward 0."""
    from dataclasses import replace

    from jamel.env.actions import ACTION_SPECS

    env = configured(warm_env)
    obs, _ = env.reset()
    bid = bid_of(obs, "Quick")
    spec = ACTION_SPECS["focus"]

    took = []

    def remove_then_focus(env, bid):
        env.page.evaluate(f"document.querySelector('[data-jamel-bid=\"{bid}\"]').remove()")
        t0 = time.perf_counter()  # the action alone: the rest of the step (observation, ...) is load-dependent
        try:
            spec.run(env, bid=bid)
        finally:
            took.append(time.perf_counter() - t0)

    monkeypatch.setitem(ACTION_SPECS, "focus", replace(spec, run=remove_then_focus))
    obs, r, *_, info = env.step(f"focus('{bid}')")
    assert r == 0 and not info["executed"] and info["error"].startswith("LookupError") and "is gone" in info["error"]
    assert took[0] < env.cfg.action_timeout_ms / 1000 / 2, took


def _count_source_evaluations(env, monkeypatch) -> list[str]:
    from jamel.env.browser import TARGET_JS

    calls, evaluate = [], env.page.evaluate

    def counted(expression, *args):
        if expression == TARGET_JS:
            calls.append(expression)
        return evaluate(expression, *args)

    monkeypatch.setattr(env.page, "evaluate", counted)
    return calls


def test_page_functions_fall_back_only_where_missing(warm_env, monkeypatch):
    """An error the installed function throws is the step's error, evaluated once (not re-run from its
    source); a document without the functions gets the source."""
    import jamel.env.browser as browser

    env = configured(warm_env)
    obs, _ = env.reset()
    env.page.evaluate("void (CSS.escape = () => { throw new Error('the page broke CSS.escape'); })")
    sources = _count_source_evaluations(env, monkeypatch)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r == 0 and "the page broke CSS.escape" in info["error"] and sources == []
    monkeypatch.setattr(browser, "PAGE_JS", "/* not installed */")
    obs, _ = env.reset()
    sources = _count_source_evaluations(env, monkeypatch)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r == 1 and info["error"] == "" and len(sources) == 1


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_warm_reset_reuses_the_browser_with_a_clean_context(warm_env, fixture_server):
    env = configured(warm_env)
    start = env.cfg.start_url
    obs, info = env.reset(seed=0)
    c0, browser = info["coverage"], env._browser
    obs, r, *_ = env.step(f"click('{bid_of(obs, 'Quick')}')")
    env.page.evaluate("localStorage.setItem('k', '1')")
    obs, info = env.reset(seed=1)
    assert env._browser is browser and info["coverage"] == c0  # same process, union restarted
    assert env.page.evaluate("localStorage.getItem('k')") is None and "idle" in obs.axtree
    obs, r, *_ = env.step(f"click('{bid_of(obs, 'Quick')}')")
    assert r == 1  # the new session's union does not know the old session's code
    env.retarget(fixture_server.url_for("novelty"))
    try:
        obs, info = env.reset()
        assert env._browser is browser and "Novelty fixture" in obs.title
        obs, r, *_ = env.step(f"click('{bid_of(obs, 'Alpha')}')")
        assert r == 1
    finally:
        env.retarget(start)
