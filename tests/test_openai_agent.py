"""The OpenAI-compatible agent against a local fake chat server (no network)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow.parquet as pq
import pytest

from jamel.agents.base import AgentUnavailable, PastStep, SessionContext
from jamel.agents.openai_agent import OpenAIAgent
from jamel.corpus import load_corpus
from jamel.rollout.explore import ExploreConfig, explore
from jamel.schemas import Observation


class FakeChat:
    """Answers /v1/chat/completions from a script of replies; fails the first `fail_first` calls."""

    def __init__(self, replies, fail_first=0):
        self.replies, self.fail_first, self.requests = list(replies), fail_first, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                self._json(200, {"data": [{"id": "fake"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if len(fake.requests) <= fake.fail_first:
                    return self._json(503, {"error": "busy"})
                text = fake.replies[min(len(fake.requests) - fake.fail_first - 1, len(fake.replies) - 1)]
                if isinstance(text, int):  # an HTTP error status
                    return self._json(text, {"error": {"message": f"status {text}"}})
                if isinstance(text, dict):  # a raw (possibly malformed) body
                    return self._json(200, text)
                self._json(200, {"choices": [{"message": {"role": "assistant", "content": text}}],
                                 "usage": {"prompt_tokens": 1000 + len(fake.requests), "completion_tokens": 7}})

            def _json(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def obs(url="http://127.0.0.1/app/index.html"):
    return Observation(url=url, title="t", axtree="[1] button 'Go'", interactive=[], open_urls=[url], active_tab=0,
                       screenshot=b"\x89PNG fake")


def test_react_prompt_history_images_retries_and_usage():
    fake = FakeChat(["I will open the menu.\n<action>click('1')</action>"], fail_first=2)
    try:
        agent = OpenAIAgent("fake-model", fake.base_url, vision=True, history_images=True)
        ctx = SessionContext(app="app", start_url="u", max_steps=5)
        agent.begin_session(ctx, seed=3)
        out = agent.act(obs(), ctx)
        assert out.action == "click('1')" and out.text_tokens == 1003  # 2 failures retried, usage recorded
        ctx.history.append(PastStep(1, 0, "u", "click('1')", True, "", 1))
        out = agent.act(obs(), ctx)
        user = fake.requests[-1]["messages"][1]["content"]
        texts = " ".join(p["text"] for p in user if p["type"] == "text")
        assert "Step 1 (episode 0) on u: click('1') -> ok; reward 1" in texts
        images = [p for p in user if p["type"] == "image_url"]
        assert len(images) == 2 and images[0]["image_url"]["url"].startswith("data:image/png;base64,")
        req = fake.requests[-1]
        assert (req["temperature"], req["top_p"], req["max_tokens"], req["model"]) == (0.8, 0.9, 256, "fake-model")
    finally:
        fake.close()


def test_odd_replies_are_invalid_steps_and_refusals_clear_errors():
    fake = FakeChat([{"id": "x", "object": "chat.completion", "choices": []}, {"choices": [{"message": {}}]}, 400])
    try:
        agent = OpenAIAgent("m", fake.base_url, max_retries=0)
        ctx = SessionContext(app="app", start_url="u", max_steps=5)
        agent.begin_session(ctx, seed=0)
        for _ in range(2):  # no choice, then a choice without content: an invalid action, not a crash
            out = agent.act(obs(), ctx)
            assert out.action == "" and out.model_output == ""
        with pytest.raises(AgentUnavailable, match=r"refused the request \(400\)"):
            agent.act(obs(), ctx)
        assert len(fake.requests) == 3  # a 400 is not retried
    finally:
        fake.close()


def test_unreachable_endpoint_is_a_clear_error():
    agent = OpenAIAgent("m", "http://127.0.0.1:9/v1", max_retries=0, timeout_s=2)
    with pytest.raises(AgentUnavailable, match="cannot reach the chat endpoint"):
        agent.begin_session(SessionContext(app="a", start_url="u", max_steps=1), seed=0)


@pytest.mark.slow
@pytest.mark.browser
def test_collection_session_with_episodes_and_malformed_output(tmp_path):
    fake = FakeChat(["no tags here", "<action>scroll(0, 200)</action>", "<action>__import__('os')</action>"])
    try:
        cfg = ExploreConfig(corpus=str(load_corpus(None).root), apps=["shop"], agent="openai", steps=5,
                            output=str(tmp_path), settle_ms=50, episode_steps=2, html_report=False,
                            agent_kwargs={"model": "fake-model", "base_url": fake.base_url})
        explore(cfg, load_corpus(None), progress=False)
        rows = pq.read_table(tmp_path / "shop" / "session_0" / "trajectory.parquet").to_pylist()
        assert [r["valid"] for r in rows] == [False, True, False, False, False]
        assert all(r["reward"] == 0 for r in rows if not r["valid"])
        assert [r["episode"] for r in rows] == [0, 0, 1, 1, 2]  # back to the start page every 2 steps
        assert rows[0]["text_tokens"] > 0 and rows[0]["agent"] == "react-text"
    finally:
        fake.close()
