"""`JamelAgent`: the packaged JAMEL model (memory-augmented Qwen-VL policy) behind the Agent protocol.

Per step t:
  1. memory: every earlier step s of the session (from `ctx.history`, across resets) is added to the
     `MemoryBank` once, as (the screenshot the agent saw when it chose s's action, s's action as executed);
     pending items are compressed lazily and batched when step t needs them (one compression per step);
  2. prompt: `jamel.prompt.build_messages(obs)` (screenshot + observation, no text history), rendered with
     JAMEL's chat template; shortened (accessibility tree) if text + image + memory exceed `max_input_tokens`;
  3. generate with the memory prefix (temperature / top_p, seeded per session), parse `<action>...</action>`.
Token counts (text, image, memory) are reported separately in `AgentOutput`. Malformed output never raises:
the action is then '' and the environment records an invalid step.

Ablations (`memory=`): "latent" (the method), "none" (no memory at all), "text" (no latent memory; the last
`text_memory_k` steps as `Previous action: ...` lines in the prompt, `jamel.prompt.build_messages(text_memory=)`).
"""
from __future__ import annotations

import itertools
import logging

import torch

from jamel.agents.base import AgentOutput, SessionContext
from jamel.model.compressor import MemoryBank
from jamel.model.modeling import JamelModel
from jamel.prompt import answer_action, build_messages, memory_action, memory_item_text
from jamel.schemas import Observation

log = logging.getLogger(__name__)
_SESSION_COUNTER = itertools.count()


class JamelAgent:
    name = "jamel"

    def __init__(self, model_path: str, device: str = "cpu", temperature: float = 0.8, top_p: float = 0.9,
                 max_new_tokens: int = 256, max_memory_items: int = 512, max_input_tokens: int = 8192,
                 compression_batch_size: int | None = None, attn_implementation: str | None = None,
                 dtype: str | None = None, memory: str = "latent", text_memory_k: int = 8):
        if memory not in ("latent", "none", "text"):
            raise ValueError(f"memory must be latent | none | text, got {memory!r}")
        if not model_path:
            raise ValueError("the jamel agent needs model_path (a packaged model folder; see jamel.model.modeling)")
        torch_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        self.model = JamelModel.from_pretrained(model_path, device=device, dtype=torch_dtype,
                                                attn_implementation=attn_implementation,
                                                max_memory_items=max_memory_items,
                                                compression_batch_size=compression_batch_size)
        self.device = torch.device(device)
        self.temperature, self.top_p, self.max_new_tokens = float(temperature), float(top_p), int(max_new_tokens)
        self.max_memory_items, self.max_input_tokens = int(max_memory_items), int(max_input_tokens)
        self.memory_mode, self.text_memory_k = memory, int(text_memory_k)
        self.bank = MemoryBank(self.model.compressor, max_items=self.max_memory_items)
        self._session_id = ""
        self._screens: dict[int, bytes] = {}  # step -> screenshot the agent acted on, until it is in the bank
        self._generator = None

    # --- Agent protocol ---------------------------------------------------------------------------------
    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.bank.clear()
        self._session_id = f"{ctx.app}#{next(_SESSION_COUNTER)}"
        self._screens = {}
        self._generator = torch.Generator(device=self.device).manual_seed(int(seed))

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        if self._generator is None:  # act() without begin_session(): start one implicitly
            self.begin_session(ctx, 0)
        text_memory = None
        if self.memory_mode == "latent":
            self.remember(ctx)
            memory = self.bank.tokens_for(self._session_id, ctx.step, self.max_memory_items)
            self._screens[ctx.step] = obs.screenshot
        else:
            memory = torch.zeros(0, self.model.compressor.hidden_size)
            if self.memory_mode == "text":
                past = [p for p in ctx.history if p.step < ctx.step]
                text_memory = [memory_item_text(p.action) for p in past[-self.text_memory_k:]] \
                    if self.text_memory_k > 0 else []
        inputs, counts = self.prepare(obs, memory.shape[0], text_memory)
        tokens = self.model.policy.generate(**inputs, memory_tokens=memory.unsqueeze(0).to(self.device),
                                            temperature=self.temperature, top_p=self.top_p,
                                            max_new_tokens=self.max_new_tokens, generator=self._generator)
        text = self.model.tokenizer.decode(tokens[0].tolist(), skip_special_tokens=True)
        return AgentOutput(model_output=text, action=answer_action(text), **counts)

    # --- helpers ----------------------------------------------------------------------------------------
    def remember(self, ctx: SessionContext) -> None:
        """Add every past step of the session not in the bank yet (compressed later, once)."""
        for past in ctx.history:
            if past.step >= ctx.step or (self._session_id, past.step) in self.bank:
                continue
            screen = self._screens.pop(past.step, None)
            if screen is None:
                log.debug("no screenshot for past step %d (the agent did not act on it); not in memory", past.step)
                continue
            self.bank.add(self._session_id, past.step, screen, memory_action(past.action))  # as the SFT data

    def prepare(self, obs: Observation, n_memory: int, text_memory: list[str] | None = None):
        """Model inputs for the step (on the device) and the token counts (AgentOutput's text_tokens,
        image_tokens, memory_tokens)."""
        processor = self.model.processor
        limit = None
        while True:
            messages = build_messages(obs, image=True, max_tree_chars=limit, text_memory=text_memory)
            enc = processor.build([messages])
            ids = enc["input_ids"][0]
            image = int((ids == processor.image_token_id).sum())
            text = int(ids.shape[0]) - image
            total = text + image + n_memory
            tree = len(getattr(obs, "axtree", ""))
            if total <= self.max_input_tokens or tree == 0 or limit == 0:
                break
            # Shorten the accessibility tree in proportion to the excess (about 3 characters per token).
            current = tree if limit is None else limit
            limit = max(0, min(current - 1000, current - 3 * (total - self.max_input_tokens)))
        if total > self.max_input_tokens:
            log.warning("prompt has %d tokens (> %d) even without the accessibility tree", total, self.max_input_tokens)
        inputs = {k: v.to(self.device) for k, v in enc.items()}
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.policy.dtype)
        return inputs, {"text_tokens": text, "image_tokens": image, "memory_tokens": n_memory}
