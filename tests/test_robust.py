"""Hostile pages (issue 9 §2-3): a step never hangs, a dialog never traps, a popup never costs the browser,
navigation stays in the app's origin, and any text can be stored. Real Chromium on the pages under
tests/fixtures/hostile (one folder per hazard)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

from conftest import bid_of
from jamel.agents.base import AgentOutput
from jamel.env.browser import BrowserEnv, RecordEnv, EnvConfig
from jamel.env.server import CorpusServer

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
DEADLINE_S = 5.0


@pytest.fixture(scope="module")
def hostile_server():
    with CorpusServer(HOSTILE) as server:
        yield server


@pytest.fixture()
def hostile_env(hostile_server):
    envs = []

    def make(app: str, **kw) -> BrowserEnv:
        cfg = dict(start_url=hostile_server.url_for(app), settle_ms=100, step_timeout_s=DEADLINE_S)
        cfg.update(kw)
        envs.append(RecordEnv(EnvConfig(**cfg)))
        return envs[-1]

    yield make
    for env in envs:
        env.close()


def _frozen_step(env, action: str):
    old = env._browser_proc
    t0 = time.perf_counter()
    obs, r, term, trunc, info = env.step(action)
    elapsed = time.perf_counter() - t0
    assert r == 0 and info["browser_restarted"], info["error"]
    assert info["error"].startswith(f"step deadline of {DEADLINE_S:g} s exceeded") and "restarted" in info["error"]
    # bounded: the deadline, then one relaunch (slow on a loaded machine, but bounded by its own deadline)
    assert elapsed < DEADLINE_S + env.cfg.start_timeout_s
    assert not old.is_running() or old.status() == psutil.STATUS_ZOMBIE  # the frozen browser is gone
    assert env._browser_proc.pid != old.pid and env.restarts == 1
    return obs


@pytest.mark.slow  # waits out a real step deadline and a browser relaunch
def test_frozen_click_handler_hits_the_step_deadline(hostile_env):
    env = hostile_env("frozen")
    obs, _ = env.reset()
    obs = _frozen_step(env, f"click('{bid_of(obs, 'Freeze')}')")  # while(true){} in the handler
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Work')}')")  # the session goes on
    assert r == 1 and not info["browser_restarted"] and info["error"] == ""
    assert env.step_count == 2


@pytest.mark.slow  # waits out a real step deadline and a browser relaunch
def test_looping_javascript_url_hits_the_step_deadline(hostile_env):
    env = hostile_env("jsloop")
    obs, _ = env.reset()
    obs = _frozen_step(env, f"click('{bid_of(obs, 'Loop forever', 'link')}')")  # href="javascript:for(;;){}"
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Work')}')")
    assert r == 1 and not info["browser_restarted"]


def test_close_does_not_hang_on_a_frozen_browser(hostile_env):
    env = hostile_env("frozen", step_timeout_s=120)
    obs, _ = env.reset()
    env.page.evaluate("setTimeout(() => { for (;;) {} }, 0)")  # frozen between steps
    env.page.wait_for_timeout(200)
    t0 = time.perf_counter()
    env.close()
    assert time.perf_counter() - t0 < 30


def test_beforeunload_never_traps_navigation(hostile_env):
    env = hostile_env("beforeunload")
    obs, _ = env.reset()
    start = env.cfg.start_url
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Edit')}')")  # a user gesture arms the prompt
    assert r == 1
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Other page', 'link')}')")
    assert obs.url.endswith("/other.html") and info["error"] == ""
    obs, r, *_, info = env.step("go_back()")
    assert obs.url == start and info["error"] == ""
    obs, r, *_, info = env.step(f"fill('{bid_of(obs, 'Draft')}', 'unsaved')")
    t0 = time.perf_counter()
    obs, r, *_, info = env.step("reset()")
    assert info["error"] == "" and obs.url == start and time.perf_counter() - t0 < 10
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Edit')}')")
    obs, r, *_, info = env.step(f"goto('{start}')")  # a reload
    assert info["error"] == "" and info["executed"]
    assert env.restarts == 0


def test_alert_confirm_prompt_are_dismissed(hostile_env):
    env = hostile_env("dialogs")
    obs, _ = env.reset()
    for name, shown in [("Alert", "alerted"), ("Confirm", "cancelled"), ("Prompt", "no answer")]:
        obs, r, *_, info = env.step(f"click('{bid_of(obs, name)}')")
        assert (r, info["error"], info["browser_restarted"]) == (1, "", False)
        assert env.page.evaluate("document.getElementById('out').textContent") == shown


def test_popups_join_the_session_without_a_restart(hostile_env, tmp_path):
    env = hostile_env("popups")
    env.scorer.record_path = takes = tmp_path / "takes.jsonl"
    obs, _ = env.reset()
    start = env.cfg.start_url
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Open popup')}')")  # window.open, shares the renderer
    assert r == 1 and not info["browser_restarted"] and info["error"] == ""
    assert obs.open_urls == [start, start.replace("index.html", "popup.html")]
    # the popup's own script ran while it loaded, and that counts for the session
    recorded = [e["url"] for line in takes.read_text().splitlines() for e in json.loads(line)["entries"]]
    assert any(u.endswith("/popup.js") for u in recorded)
    obs, r, *_, info = env.step("tab_focus(1)")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Popup action')}')")
    assert r == 1 and obs.url.endswith("/popup.html")
    obs, r, *_, info = env.step("tab_focus(0)")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'New tab link', 'link')}')")  # target=_blank
    assert not info["browser_restarted"] and info["error"] == "" and len(obs.open_urls) == 3
    # a popup that closes itself: its script vanishes with it, which is not a browser crash
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Self-closing popup')}')")
    assert r == 1 and not info["browser_restarted"] and info["error"] == ""
    env.page.wait_for_timeout(300)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Stay')}')")
    assert r == 1 and not info["browser_restarted"]
    assert not any(u.endswith("closing.html") for u in obs.open_urls) and obs.active_tab == 0
    assert env.restarts == 0


def test_tojson_on_builtins_does_not_break_the_observation(hostile_env):
    """A library's toJSON on Array/String/Object prototypes (Prototype.js 1.6) is set aside while the walk's
    result is serialized: the session starts, names are the page's text, and the page keeps its toJSON."""
    env = hostile_env("tojson")
    obs, _ = env.reset(seed=0)
    assert [(e.role, e.name) for e in obs.interactive] == [("button", 'Go "fast"')]  # not re-quoted
    bid = bid_of(obs, 'Go "fast"')
    _, r, _, _, info = env.step(f"click('{bid}')")
    assert info["valid"] and not info["error"], info
    assert env.page.evaluate("() => JSON.stringify([1])") == '"[array 1]"'  # the page's own toJSON is back


def test_agents_see_the_app_under_one_origin_whatever_the_port(hostile_env):
    """The corpus server's port (a free one per worker) is nowhere in what an agent reads; a goto() to the
    display origin opens the app's own page, and the recorded canonical action keeps the display form."""
    from jamel.prompt import observation_text
    from jamel.schemas import DISPLAY_ORIGIN

    env = hostile_env("popups")
    obs, _ = env.reset()
    port = env.cfg.start_url.split(":")[2].split("/")[0]
    assert port not in observation_text(obs) and f"{DISPLAY_ORIGIN}/popups/index.html" in obs.text()
    obs, r, *_, info = env.step(f"goto('{DISPLAY_ORIGIN}/popups/popup.html')")
    assert info["valid"] and info["error"] == "" and obs.url == env.cfg.start_url.replace("index.html", "popup.html")
    assert info["action_canonical"] == f"goto('{DISPLAY_ORIGIN}/popups/popup.html')"
    obs, r, *_, info = env.step(f"goto('{env.cfg.start_url}')")  # the real URL still works, shown as displayed
    assert info["valid"] and info["action_canonical"] == f"goto('{DISPLAY_ORIGIN}/popups/index.html')"
    obs, r, *_, info = env.step("goto('https://app.local/popups/index.html')")
    assert not info["valid"] and port not in observation_text(obs)  # the error names the display origin only


def test_navigation_stays_in_the_apps_origin(hostile_env):
    env = hostile_env("popups")
    obs, _ = env.reset()
    start = env.cfg.start_url
    port = start.split(":")[2].split("/")[0]
    for url in ["http://127.0.0.1:9/away.html", f"http://localhost:{port}/popups/index.html",
                f"https://127.0.0.1:{port}/popups/index.html", "http://example.com/"]:
        obs, r, *_, info = env.step(f"goto('{url}')")
        assert not info["valid"] and "outside the app's site" in info["error"] and r == 0
    obs, r, *_, info = env.step(f"goto('{start.replace('index.html', 'popup.html')}')")
    assert info["valid"] and info["error"] == "" and obs.url.endswith("/popup.html")
    obs, r, *_, info = env.step("go_back()")
    # a link and a window.open to another port of the same host: refused by the router, recorded,
    # and the page stays in the app
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Leave the app', 'link')}')")
    assert obs.url == start and not info["browser_restarted"]
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Popup elsewhere')}')")
    assert not info["browser_restarted"] and all("127.0.0.1:9" not in u for u in obs.open_urls)
    assert "http://127.0.0.1:9/away.html" in env.blocked_requests
    assert "http://127.0.0.1:9/elsewhere.html" in env.blocked_requests


def _ran(takes_path: Path, step: int, function: str) -> bool:
    """Whether `function` ran in a take folded into `step` (the takes file the scorer records)."""
    from jamel.env.coverage.scorer import read_takes

    return any(fn["functionName"] == function and fn["ranges"][0]["count"] > 0
               for s, takes in read_takes(takes_path) if s == step for take in takes for fn in take.functions)


def _history_index(env) -> list:
    """The current entry of the session history (the app's entries) and whether there are entries after it."""
    return env.page.evaluate("[navigation.currentEntry.index, navigation.canGoForward]")


def test_code_run_just_before_a_page_load_is_counted(hostile_env, tmp_path):
    """A handler that runs new code, then loads another document of the app: the step earns the handler's
    code (held navigation, old document's take, replay) and the new page is loaded after it; history and
    back navigation behave as without the hold. second.html's code is in the union before each such step,
    so the reward can only come from the handler (on main it was 0)."""
    env = hostile_env("navcode")
    env.scorer.record_path = takes = tmp_path / "takes.jsonl"
    obs, _ = env.reset()
    start = env.cfg.start_url
    second = start.replace("index.html", "second.html")
    obs, r, *_, info = env.step(f"goto('{second}')")  # second.js joins the union
    assert r == 1 and obs.title == "Second page"
    obs, *_ = env.step("go_back()")
    cases = [("Leave by script", None, "leaveByScript", "?via=script"),
             ("Link with code", "link", "countLinkClick", "?via=link"),
             ("Search", None, "checkSearch", "?q=hello")]
    for name, role, function, query in cases:
        assert obs.url == start
        if name == "Search":
            obs, *_ = env.step(f"fill('{bid_of(obs, 'Query')}', ' Hello ')")
        at = _history_index(env)
        obs, r, *_, info = env.step(f"click('{bid_of(obs, name, role)}')")
        assert (r, info["error"], info["browser_restarted"]) == (1, "", False), (name, info)
        assert info["coverage_delta"] > 0 and _ran(takes, env.step_count, function), name
        assert obs.url == second + query and obs.title == "Second page"  # the page started the load; it happened
        assert _history_index(env) == [at[0] + 1, False]  # a new entry, as the page's own navigation makes
        obs, r, *_, info = env.step("go_back()")
        assert obs.url == start and info["error"] == ""
    # location.replace: the entry is replaced, not added; location.reload: the same page again
    at = _history_index(env)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Replace by script')}')")
    assert r == 1 and _ran(takes, env.step_count, "replaceByScript") and obs.url == second + "?via=replace"
    assert _history_index(env) == at
    obs, *_ = env.step(f"goto('{start}')")
    at = _history_index(env)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Reload by script')}')")
    assert r == 1 and _ran(takes, env.step_count, "reloadByScript") and obs.url == start
    assert _history_index(env) == at and env.page.evaluate("sessionStorage.getItem('reloads')") == "1"
    # a POST form is let through as before (not held: its body could not be replayed); the page leaves
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Send')}')")
    assert obs.url == second and info["error"] == "" and not info["browser_restarted"]
    assert env.restarts == 0


def test_code_the_browser_would_not_run_after_a_page_load_starts_is_not_counted(hostile_env, tmp_path):
    """The hold must not keep the old document alive longer than the browser would: a timer a handler sets
    after starting a load, and the rest of a page that redirects while it is still parsing (a guard in
    <head>), never run there, so they earn nothing (the handler's own code still counts)."""
    env = hostile_env("navcode")
    env.scorer.record_path = takes = tmp_path / "takes.jsonl"
    env.reset()
    late = env.cfg.start_url.replace("index.html", "late.html")
    second = late.replace("late.html", "second.html")
    obs, *_ = env.step(f"goto('{late}')")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Leave then timer')}')")
    assert info["error"] == "" and obs.url == second + "?via=timer"
    assert _ran(takes, env.step_count, "leaveThenTimer") and not _ran(takes, env.step_count, "lateCode")
    obs, *_ = env.step(f"goto('{late}')")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Guarded page', 'link')}')")
    assert info["error"] == "" and obs.url == second + "?via=guard"
    assert not _ran(takes, env.step_count, "guardedCode")


def test_a_held_form_submission_goes_where_the_browser_would(hostile_env):
    """The URL of a held GET form is built as Chromium builds it (checked against Chromium without the hold):
    an empty query stays, controls named like the form's properties do not fool it, a submitter's formaction
    wins, the action's fragment is kept. A form for another tab is let through (a new tab opens)."""
    env = hostile_env("navcode")
    obs, _ = env.reset()
    replayed, replay = [], env._replay_navigation
    env._replay_navigation = lambda page: (replayed.append(page.url), replay(page))
    forms = env.cfg.start_url.replace("index.html", "forms.html")
    second = forms.replace("forms.html", "second.html")
    for button, url in [("Empty form", second + "?"),
                        ("Shadowed form", second + "?action=a+b%26c&method=%C3%A9&c=on&go=yes#frag"),
                        ("Other action", second + "?action=a+b%26c&method=%C3%A9&c=on")]:
        obs, *_ = env.step(f"goto('{forms}')")
        obs, r, *_, info = env.step(f"click('{bid_of(obs, button)}')")
        assert info["error"] == "" and obs.url == url and replayed == [forms], button  # held, then replayed
        replayed.clear()
    obs, *_ = env.step(f"goto('{forms}')")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'New tab form')}')")
    assert info["error"] == "" and obs.open_urls == [forms, second + "?"] and not replayed


def test_a_popup_that_replaces_itself_while_loading_is_followed(hostile_env, tmp_path):
    """A navigation held in another tab (a popup whose script replaces it while it loads) is followed in
    the same step: the popup ends on its target and the code that ran before the replace counts."""
    env = hostile_env("navcode")
    env.scorer.record_path = takes = tmp_path / "takes.jsonl"
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Open redirecting popup')}')")
    assert r == 1 and info["error"] == "" and obs.active_tab == 0
    assert obs.open_urls[1] == env.cfg.start_url.replace("index.html", "second.html?via=redirect")
    assert _ran(takes, env.step_count, "rememberHop")


def test_held_navigations_with_the_fixed_settle(hostile_env, tmp_path):
    env = hostile_env("navcode", settle="fixed")
    env.scorer.record_path = takes = tmp_path / "takes.jsonl"
    obs, _ = env.reset()
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Leave by script')}')")
    assert r == 1 and _ran(takes, env.step_count, "leaveByScript") and obs.url.endswith("/second.html?via=script")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Second action')}')")  # the new page works
    assert r == 1 and info["error"] == ""


def test_a_page_that_handles_navigate_itself_is_left_alone(hostile_env):
    """A Navigation API router intercepts same-origin navigations into same-document ones: the hold must not
    cancel them first (the page handles `navigate`, so nothing of it is held)."""
    env = hostile_env("navcode")
    obs, _ = env.reset()
    router = env.cfg.start_url.replace("index.html", "router.html")
    obs, *_ = env.step(f"goto('{router}')")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'View A', 'link')}')")
    assert info["error"] == "" and obs.url == router + "?view=a"
    assert env.page.evaluate("[window.loadedOnce, document.getElementById('view').textContent]") == [True, "view a"]


def test_a_failure_after_the_reward_zeroes_the_step(novelty_env, monkeypatch):
    env = novelty_env
    obs, _ = env.reset()
    real, calls = env._observe, []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("screenshot failed")
        return real()

    monkeypatch.setattr(env, "_observe", flaky)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Alpha')}')")  # new code ran: would earn 1
    assert info["coverage_delta"] > 0 and r == 0
    assert "observation failed: RuntimeError: screenshot failed" in info["error"] and info["browser_restarted"]
    assert obs.last_action_error == info["error"]
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Beta')}')")
    assert r == 1 and info["error"] == ""


class _HostileTextAgent:
    name = "hostile-text"

    def begin_session(self, ctx, seed):
        self.answers = iter([
            "thinking \ud800 about it <action>noop(10)</action>",
            "nul \x00 byte <action>fill('1', 'a\x00b')</action>",
            "<action>send_msg_to_user('\ud800')</action>",
            "x" * 2_000_000 + "<action>noop(10)</action>",
            "\udfff" * 10,
        ])

    def act(self, obs, ctx):
        return AgentOutput(next(self.answers), "")


def test_any_text_is_stored_safely(novelty_env, tmp_path):
    from jamel.rollout.explore import run_session

    env, agent = novelty_env, _HostileTextAgent()
    for attempt in range(2):  # a rerun of the same session works too
        out = tmp_path / "app" / "session_0"
        summary = run_session(env, agent, "novelty", out, seed=0, steps=5, session_id="novelty/session_0",
                              html_report=False)
        assert summary["steps"] == 5
        rows = pq.read_table(out / "trajectory.parquet").to_pylist()
        assert len(rows) == 5
        assert rows[0]["model_output"].startswith("thinking \ufffd about") and rows[0]["reward"] == 0
        assert "\x00" not in rows[1]["model_output"] and not rows[1]["valid"]
        assert "unpaired surrogates" in rows[2]["error"] and not rows[2]["valid"]
        assert len(rows[3]["model_output"]) < 30_000 and "characters cut" in rows[3]["model_output"]
        assert rows[4]["model_output"] == "\ufffd" * 10
        json.loads((out / "summary.json").read_text())


@pytest.mark.slow
@pytest.mark.browser
def test_hostile_pages_random_agent(hostile_server, tmp_path):
    """The hostile-pages run: the random agent on every hazard, every step recorded, in bounded time.
    JAMEL_HOSTILE_STEPS=20 for the full run (default 6 keeps the suite fast)."""
    from jamel.corpus import Corpus
    from jamel.rollout.explore import ExploreConfig, explore

    steps = int(os.environ.get("JAMEL_HOSTILE_STEPS", "6"))
    apps = Corpus(HOSTILE).apps()
    assert apps == ["beforeunload", "dialogs", "frozen", "jsloop", "navcode", "popups", "tojson"]
    t0 = time.perf_counter()
    cfg = ExploreConfig(corpus=str(HOSTILE), apps=apps, agent="random", steps=steps, output=str(tmp_path),
                        settle_ms=100, html_report=False, step_timeout_s=DEADLINE_S)
    summary = explore(cfg, Corpus(HOSTILE), progress=False)
    wall = time.perf_counter() - t0
    assert not (tmp_path / "failed.json").exists()
    for app in apps:
        rows = pq.read_table(tmp_path / app / "session_0" / "trajectory.parquet").to_pylist()
        assert [r["step"] for r in rows] == list(range(1, steps + 1))
        assert all(r["reward"] == 0 for r in rows if r["error"])
    # each step is bounded by its deadline plus at most one relaunch
    assert wall < len(apps) * (60 + steps * (DEADLINE_S + 60))
    print(f"hostile run: {len(apps)} pages x {steps} steps in {wall:.1f} s; "
          f"restarts {[json.loads((tmp_path / a / 'session_0' / 'summary.json').read_text())['browser_restarts'] for a in apps]}")
    assert len(summary["apps"]) == len(apps)


def test_safe_text():
    from jamel.schemas import safe_text

    assert safe_text("a\ud800b\x00c") == "a\ufffdb\ufffdc"
    assert safe_text("\ud83d\ude00") == "\U0001F600"  # a valid pair (as surrogatepass decoding leaves it) is kept
    assert safe_text("x" * 30, 10) == "x" * 10 + "[... 20 characters cut]"
    assert safe_text("plain") == "plain"
