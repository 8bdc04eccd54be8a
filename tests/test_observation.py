"""The observation on real-world-style pages (issue 9 §1) and opaque bids (§3), in a real Chromium.

Fixture pages: tests/fixtures/realworld (see its README)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import bid_of
from jamel.env.browser import RecordEnv, EnvConfig, prune_tree
from jamel.env.server import CorpusServer

REALWORLD = Path(__file__).parent / "fixtures" / "realworld"


@pytest.fixture(scope="module")
def realworld_server():
    with CorpusServer(REALWORLD) as server:
        yield server


@pytest.fixture()
def open_app(realworld_server):
    envs = []

    def _open(app: str, fragment: str = "", **cfg):
        env = RecordEnv(EnvConfig(start_url=realworld_server.url_for(app) + fragment, settle_ms=50, **cfg))
        envs.append(env)
        obs, _ = env.reset()
        return env, obs

    yield _open
    for env in envs:
        env.close()


def text_of(env, selector: str, frame: int = 0) -> str:
    return env.page.frames[frame].locator(selector).text_content()


def names(obs) -> list[str]:
    return [e.name for e in obs.interactive]


def test_listener_only_elements_are_listed_and_actionable(open_app):
    env, obs = open_app("cover")
    start = bid_of(obs, "START", "generic-clickable")  # a full-screen div with an addEventListener handler
    obs, r, *_, info = env.step(f"click('{start}')")
    assert (r, info["valid"], info["error"]) == (1, True, "") and text_of(env, "#out") == "started"
    assert "START" not in names(obs)

    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Like', 'generic-clickable')}')")  # a .onclick property
    assert r == 1 and text_of(env, "#out") == "liked"
    # cursor:pointer marks the element where the pointer starts, not its inheriting children
    assert "Menu (3)" in names(obs) and "Menu" not in names(obs) and "(3)" not in names(obs)
    obs, r, *_, info = env.step(f"fill('{bid_of(obs, '', 'textbox')}', 'hello')")  # contenteditable
    assert r == 1 and text_of(env, "#out") == "notes edited"
    assert 'value="hello"' in obs.axtree
    # a list with a delegated handler is one control; a root that listens to everything is not,
    # while its tiles with their own handlers are listed
    assert [e.role for e in obs.interactive].count("list") == 1
    assert {"Alpha tile", "Beta tile", "Gamma tile"} <= set(names(obs))
    assert not any(e.name.startswith("Alpha tile Beta tile") for e in obs.interactive)
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Beta tile')}')")
    assert r == 1 and text_of(env, "#out") == "r2"
    # listeners removed (removeEventListener, once after it ran, AbortSignal) no longer count
    assert not {"Removed listener", "Once listener", "Aborted listener"} & set(names(obs))


LISTEN_TYPES = ["click", "dblclick", "auxclick", "contextmenu", "mousedown", "mouseup", "pointerdown", "pointerup",
                "touchstart", "touchend", "keydown", "keyup", "keypress", "input", "beforeinput", "change", "submit",
                "mouseenter", "mouseover"]


def test_listener_registry_matches_cdp(open_app):
    """The init-script registry observe.js reads agrees with CDP DOMDebugger.getEventListeners on every
    element (on<event> handler properties are read directly, so CDP = registry + handler properties)."""
    env, obs = open_app("cover")
    cdp = env._context.new_cdp_session(env.page)
    array = cdp.send("Runtime.evaluate", {"expression": "Array.from(document.querySelectorAll('*'))"})["result"]
    props = cdp.send("Runtime.getProperties", {"objectId": array["objectId"], "ownProperties": True})["result"]
    checked = 0
    for prop in props:
        if not prop["name"].isdigit():
            continue
        oid = prop["value"]["objectId"]
        by_cdp = {x["type"] for x in cdp.send("DOMDebugger.getEventListeners", {"objectId": oid})["listeners"]}
        ours = cdp.send("Runtime.callFunctionOn", {
            "objectId": oid, "returnByValue": True, "arguments": [{"value": LISTEN_TYPES}],
            "functionDeclaration": "function(types) { return [...(window.__jamelListenerTypes(this) || []),"
                                   " ...types.filter((t) => typeof this['on' + t] === 'function')]; }"})
        assert set(ours["result"]["value"]) & set(LISTEN_TYPES) == by_cdp & set(LISTEN_TYPES), prop
        checked += 1
    assert checked > 20


def test_open_shadow_root_elements_are_clickable_fillable_hoverable(open_app):
    env, obs = open_app("shadow")
    ok = bid_of(obs, "Shadow OK", "button")
    assert f"[{ok}] button" in obs.axtree
    obs, r, *_, info = env.step(f"click('{ok}')")  # used to be "covered by" its host
    assert (r, info["error"]) == (1, "") and text_of(env, "#out") == "shadow clicked"
    obs, r, *_, info = env.step(f"fill('{bid_of(obs, 'Shadow name', 'textbox')}', 'bob')")
    assert (r, info["error"]) == (1, "") and text_of(env, "#out") == "typed bob"
    obs, r, *_, info = env.step(f"hover('{bid_of(obs, 'Hover me')}')")
    assert (r, info["error"]) == (1, "") and text_of(env, "#out") == "hovered"
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Slotted', 'button')}')")  # light DOM through a slot
    assert (r, info["error"]) == (1, "") and text_of(env, "#out") == "slotted clicked"
    assert obs.axtree.count('"Slotted"') == 1


def test_same_origin_iframe_elements_are_clickable_fillable_hoverable(open_app):
    env, obs = open_app("frames")
    bids = [e.bid for e in obs.interactive]
    assert len(bids) == len(set(bids))  # unique across frames
    assert {"Top button", "Frame OK", "Frame text", "Frame hover", "Deep"} <= set(names(obs))
    assert "iframe \"Inner frame\"" in obs.axtree
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Frame OK', 'button')}')")
    assert (r, info["error"]) == (1, "") and text_of(env, "#fout", frame=1) == "frame clicked"
    obs, r, *_, info = env.step(f"fill('{bid_of(obs, 'Frame text', 'textbox')}', 'x')")
    assert (r, info["error"]) == (1, "") and text_of(env, "#fout", frame=1) == "frame typed x"
    obs, r, *_, info = env.step(f"hover('{bid_of(obs, 'Frame hover')}')")
    assert (r, info["error"]) == (1, "") and text_of(env, "#fout", frame=1) == "frame hovered"
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Deep')}')")  # an iframe inside the iframe
    assert (r, info["error"]) == (1, "") and text_of(env, "#dout", frame=2) == "deep clicked"
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Top button', 'button')}')")
    assert info["error"] == "" and text_of(env, "#out") == "top"


def test_node_cap_keeps_onscreen_elements(open_app):
    # 6,000 off-screen elements come first in document order; the on-screen bar is last
    env, obs = open_app("many")
    near = [e.name for e in obs.interactive if e.name.startswith("Near")]
    assert near == [f"Near {i}" for i in range(5)]
    assert all(f'button "Near {i}"' in obs.axtree for i in range(5)) and len(obs.axtree) <= 8000
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Near 3')}')")
    assert info["error"] == "" and env.page.title() == "near 3"


def test_interactive_cap_lists_onscreen_elements_first(open_app):
    env, obs = open_app("many", "#filler=0")  # 250 off-screen buttons, then 5 on-screen ones
    assert len(obs.interactive) == 200
    assert names(obs)[:5] == [f"Near {i}" for i in range(5)]
    assert names(obs)[5:] == [f"Far {i}" for i in range(195)]  # then off-screen, in document order


def test_tree_pruning_keeps_onscreen_lines_first():
    lines = [f"off {i}" for i in range(10)] + ["on a", "on b"] + ["off tail"]
    text = prune_tree("\n".join(lines), "1" * 10 + "001", 40)
    assert text.splitlines() == ["off 0", "off 1", "on a", "on b", "[... truncated]"] and len(text) <= 40
    assert prune_tree("a\nb", "10", 100) == "a\nb"


def test_crafted_bid_selects_nothing(open_app):
    env, obs = open_app("bids")
    for crafted in ['1"], button, [x="', "1 ", " 1", "01", "-1", "1e0"]:
        obs, r, *_, info = env.step(f"click({crafted!r})")
        assert r == 0 and not info["valid"] and "no element with bid" in info["error"], crafted
        assert info["error"].startswith("invalid action")
    assert text_of(env, "#out") == "nothing yet"  # the first <button> ("Danger") was never clicked
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Danger')}')")
    assert info["valid"] and text_of(env, "#out") == "danger clicked"


def test_bid_not_in_the_observation_is_an_invalid_action(open_app):
    env, obs = open_app("bids")
    vanish = bid_of(obs, "Vanish")
    obs, r, *_, info = env.step(f"click('{vanish}')")
    assert info["valid"] and text_of(env, "#out") == "vanished"
    assert vanish not in [e.bid for e in obs.interactive]
    obs, r, *_, info = env.step(f"click('{vanish}')")  # still in the DOM, hidden: not in this observation
    assert r == 0 and not info["valid"] and "no element with bid" in info["error"]
    assert info["timings"].action_ms < 1000  # refused up front, no actionability wait


def test_copied_bid_attribute_gets_a_fresh_bid(open_app):
    env, obs = open_app("bids")
    obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Add row')}')")  # cloneNode copies data-jamel-bid
    rows = [e for e in obs.interactive if e.name.startswith("Row")]
    assert [e.name for e in rows] == ["Row", "Row 1"] and rows[0].bid != rows[1].bid
    obs, r, *_, info = env.step(f"click('{rows[1].bid}')")
    assert info["error"] == "" and text_of(env, "#out") == "clicked Row 1"
