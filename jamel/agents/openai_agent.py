"""An agent backed by any OpenAI-compatible chat endpoint (vLLM server, hosted APIs).

The ReAct prompt of `jamel.prompt` (short reasoning, then one action) with the session's full history
in context, text-only or with the current screenshot (`vision`), optionally with every past screenshot
too (`history_images`, the paper's ReAct-vision). Requests go through the `openai` SDK: its timeouts and
its retries with exponential backoff on connection errors, timeouts, 408/409/429 and 5xx; token accounting
from the API's `usage`; a clear error when the endpoint cannot be reached.
"""
from __future__ import annotations

import base64
import os
from typing import Any

import openai

from jamel.agents.base import AgentOutput, AgentUnavailable, SessionContext
from jamel.prompt import answer_action, build_react_messages
from jamel.schemas import Observation


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
        text_only = all(p["type"] == "text" for p in parts)  # then a plain string: accepted by every server
        out.append({"role": m["role"], "content": "".join(p["text"] for p in parts) if text_only else parts})
    return out


class OpenAIAgent:
    name = "openai"

    def __init__(self, model: str, base_url: str = "http://127.0.0.1:8000/v1", api_key: str | None = None,
                 vision: bool = False, history_images: bool = False, temperature: float = 0.8, top_p: float = 0.9,
                 max_tokens: int = 256, timeout_s: float = 120.0, max_retries: int = 4):
        if not model:
            raise ValueError("--model is required for the openai agent")
        self.model, self.base_url = model, base_url.rstrip("/")
        # A local vLLM server takes any key; the SDK insists on one.
        api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "EMPTY", timeout=timeout_s,
                                    max_retries=max_retries)
        self.vision, self.history_images = vision, history_images
        self.sampling = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens}
        self.timeout_s, self.max_retries = timeout_s, max_retries
        self.name = "react-vision" if vision else "react-text"

    def _chat(self, messages: list[dict[str, Any]], seed: int):
        try:
            return self.client.chat.completions.create(model=self.model, messages=to_openai_messages(messages),
                                                       seed=seed, **self.sampling)
        except openai.APIError as exc:
            status = exc.status_code if isinstance(exc, openai.APIStatusError) else None  # None: no answer
            if status is not None and status not in (408, 409, 429) and status < 500:
                # our request is wrong (bad model name, context too long): retrying will not help
                raise AgentUnavailable(f"{self.base_url} refused the request ({status}): "
                                       f"{exc.response.text[:500]}") from exc
            # retried by the SDK (connection errors, timeouts, 408/409/429, 5xx) and still failing
            raise AgentUnavailable(f"the chat endpoint {self.base_url} did not answer after "
                                   f"{self.max_retries + 1} attempts: {exc}") from exc

    # -- Agent ------------------------------------------------------------------------------------
    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.seed = seed
        self.screenshots: list[bytes] = []  # the screenshot each past step's action was taken on
        try:
            self.client.with_options(timeout=min(10.0, self.timeout_s), max_retries=0).models.list()
        except openai.APIStatusError:
            pass  # reachable; some servers do not list models
        except openai.APIConnectionError as exc:  # refused, DNS, timeout
            raise AgentUnavailable(f"cannot reach the chat endpoint {self.base_url} ({exc}); start the server "
                                   "(e.g. `vllm serve MODEL`) or pass --base-url") from exc

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        past = self.screenshots[: len(ctx.history)] if self.history_images else None
        messages = build_react_messages(obs, ctx.history, image=self.vision, past_screenshots=past)
        self.screenshots.append(obs.screenshot)  # before the call: a failed step is still a history step
        reply = self._chat(messages, seed=(self.seed * 1_000_003 + ctx.step) % 2**31)
        try:
            text = reply.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError):  # a reply without a message: an invalid step
            text = ""
        usage = getattr(reply, "usage", None)
        # The API reports one prompt count (images included); it is stored as text tokens.
        return AgentOutput(model_output=text, action=answer_action(text),
                           text_tokens=int(getattr(usage, "prompt_tokens", 0) or 0))
