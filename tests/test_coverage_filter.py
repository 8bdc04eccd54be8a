"""The `app` coverage filter: the app's own code includes what it shares with the rest of the corpus."""
from __future__ import annotations

import json

import pytest

from conftest import bid_of
from jamel.env.browser import RecordEnv, EnvConfig
from jamel.env.coverage.collector import ScriptFilter


def test_app_filter_scope_is_the_corpus_root():
    f = ScriptFilter("app", "http://127.0.0.1:8000/shop/index.html")
    assert f.prefix == "http://127.0.0.1:8000/"
    assert f("http://127.0.0.1:8000/shop/app.js") and f("http://127.0.0.1:8000/shop/index.html")
    assert f("http://127.0.0.1:8000/common/util.js") and f("http://127.0.0.1:8000/_vendor/react.js")
    assert not f("http://127.0.0.1:8001/shop/app.js")  # another port is another origin
    assert not f("https://cdn.example.com/react.js") and not f("http://127.0.0.1.evil.test:8000/x.js")
    assert not f("chrome-extension://x/y.js") and not f("")
    # a corpus served under a sub-path: the root is the folder above the app's folder
    nested = ScriptFilter("app", "https://host.test/scalewob-env/taobao/index.html")
    assert nested.prefix == "https://host.test/scalewob-env/"
    assert nested("https://host.test/scalewob-env/core/x.js") and not nested("https://host.test/other/x.js")
    # the root can be given explicitly (the corpus server's URL), and must be on the app's origin
    explicit = ScriptFilter("app", "http://127.0.0.1:9/a/b/page.html", corpus_url="http://127.0.0.1:9/")
    assert explicit.prefix == "http://127.0.0.1:9/" and "prefix http://127.0.0.1:9/" in explicit.describe()
    with pytest.raises(ValueError):
        ScriptFilter("app", "http://127.0.0.1:9/a/index.html", corpus_url="http://127.0.0.1:10/")
    assert ScriptFilter("http", "http://127.0.0.1:9/a/index.html")("https://cdn.example.com/x.js")


@pytest.mark.browser
def test_shared_corpus_script_is_the_apps_code(fixture_server, tmp_path):
    """A click whose handler lives only in ../common/shared.js finds new app code."""
    env = RecordEnv(EnvConfig(start_url=fixture_server.url_for("sharedcode"), max_steps=5, settle_ms=100,
                               corpus_url=fixture_server.base_url + "/"))
    env.scorer.record_path = tmp_path / "takes.jsonl"
    try:
        obs, info = env.reset(seed=0)
        assert "prefix " + fixture_server.base_url + "/" in info["coverage_scope"]
        obs, r, *_, info = env.step(f"click('{bid_of(obs, 'Shared')}')")
        assert (r, info["error"]) == (1, "")
        step1 = json.loads((tmp_path / "takes.jsonl").read_text().splitlines()[1])
        assert [e["url"] for e in step1["entries"]] == [fixture_server.base_url + "/common/shared.js"]
        obs, r, *_ = env.step(f"click('{bid_of(obs, 'Shared')}')")  # count > 1: the other branch
        assert r == 1
    finally:
        env.close()
