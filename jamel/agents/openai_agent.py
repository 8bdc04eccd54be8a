"""An agent backed by any OpenAI-compatible chat endpoint (vLLM server, hosted APIs).

The ReAct prompt of `jamel.prompt` (short reasoning, then one action) with the session's full history
in context, text-only or with the current screenshot (`vision`), optionally with every past screenshot
too (`history_images`, the paper's ReAct-vision). Plain HTTP with the standard library: retries with
exponential backoff on timeouts, connection errors, 429 and 5xx; token accounting from the API's
`usage`; a clear error when the endpoint cannot be reached.
"""
from __future__ import annotations

import base64
import http.client
import json
import logging
import os
import random
import time
import urllib.error
import urllib.request
from typing import Any

from jamel.env.actions import ActionParseError
from jamel.agents.base import AgentOutput, AgentUnavailable, SessionContext
from jamel.prompt import build_react_messages, parse_answer
from jamel.schemas import Observation

log = logging.getLogger(__name__)


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """jamel.prompt messages -> OpenAI chat format (images as PNG data URLs)."""
    out = []
    for m in messages:
        parts = []
        for p in m["content"]:
            if p["type"] == "text":
                parts.append({"type": "text", "text": p["text"]})
            elif p.get("image") is not None:
                url = "data:image/png;base64," + base64.b64encode(p["image"]).decode("ascii")
                parts.append({"type": "image_url", "image_url": {"url": url}})
        if all(p["type"] == "text" for p in parts):  # plain string: accepted by every server
            out.append({"role": m["role"], "content": "".join(p["text"] for p in parts)})
        else:
            out.append({"role": m["role"], "content": parts})
    return out


class OpenAIAgent:
    name = "openai"

    def __init__(self, model: str, base_url: str = "http://127.0.0.1:8000/v1", api_key: str | None = None,
                 vision: bool = False, history_images: bool = False, temperature: float = 0.8, top_p: float = 0.9,
                 max_tokens: int = 256, timeout_s: float = 120.0, max_retries: int = 4, backoff_s: float = 1.0):
        if not model:
            raise ValueError("--model is required for the openai agent")
        self.model, self.base_url = model, base_url.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.vision, self.history_images = vision, history_images
        self.sampling = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens}
        self.timeout_s, self.max_retries, self.backoff_s = timeout_s, max_retries, backoff_s
        self.name = "react-vision" if vision else "react-text"

    # -- HTTP -------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict | None = None, timeout_s: float | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})})
        with urllib.request.urlopen(req, timeout=timeout_s or self.timeout_s) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def _chat(self, messages: list[dict[str, Any]], seed: int) -> dict:
        body = {"model": self.model, "messages": to_openai_messages(messages), "seed": seed, **self.sampling}
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            try:
                return self._request("POST", "/chat/completions", body)
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500:  # our request is wrong: retrying will not help
                    detail = exc.read().decode("utf-8", "replace")[:500]
                    raise AgentUnavailable(f"{self.base_url} refused the request ({exc.code}): {detail}") from exc
                last = exc
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException,
                    json.JSONDecodeError, UnicodeDecodeError) as exc:
                last = exc
            if attempt < self.max_retries:
                delay = self.backoff_s * 2 ** attempt * (1 + 0.25 * random.random())
                log.warning("chat request failed (%s); retry %d/%d in %.1fs", last, attempt + 1, self.max_retries, delay)
                time.sleep(delay)
        raise AgentUnavailable(f"the chat endpoint {self.base_url} did not answer after {self.max_retries + 1} "
                               f"attempts: {last}")

    # -- Agent ------------------------------------------------------------------------------------
    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.seed = seed
        self.screenshots: list[bytes] = []  # the screenshot each past step's action was taken on
        try:
            self._request("GET", "/models", timeout_s=min(10.0, self.timeout_s))
        except urllib.error.HTTPError:
            pass  # reachable; some servers do not list models
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise AgentUnavailable(f"cannot reach the chat endpoint {self.base_url} ({exc}); start the server "
                                   "(e.g. `vllm serve MODEL`) or pass --base-url") from exc

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        past = self.screenshots[: len(ctx.history)] if self.history_images else None
        messages = build_react_messages(obs, ctx.history, image=self.vision, past_screenshots=past)
        self.screenshots.append(obs.screenshot)  # before the call: a failed step is still a history step
        reply = self._chat(messages, seed=(self.seed * 1_000_003 + ctx.step) % 2**31)
        try:
            text = reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            text = ""
        try:
            action = parse_answer(text)
        except ActionParseError:
            action = ""  # recorded as an invalid step by the environment
        usage = reply.get("usage") or {}
        # The API reports one prompt count (images included); it is stored as text tokens.
        return AgentOutput(model_output=text, action=action, text_tokens=int(usage.get("prompt_tokens", 0)))
