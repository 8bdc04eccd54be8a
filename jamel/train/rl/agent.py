"""The RL policy's side of a session, run inside an env worker (`jamel.rollout.pool.SessionWorker`).

`RLAgent` is the eval agent (`JamelAgent`: same memory bank, same prompt, same input budget) with generation
moved to the rollout server: per step it compresses the session's earlier steps once (the frozen compressor
lives here, next to the browser), renders the prompt, sends prompt ids + screenshot + memory vectors to an
`HFGenerateServer` and parses the answer. It keeps one `StepSample` per step; `session_payload()` returns them
with each step's reward and validity (from the session's history), and the pool hands them back to the
agent loop with the session summary.
"""
from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import ray
import torch

from jamel.agents.base import AgentOutput, SessionContext
from jamel.agents.jamel_agent import JamelAgent
from jamel.data.sft import load_compressor
from jamel.env.state import state_key
from jamel.model.compressor import MemoryBank
from jamel.prompt import answer_action
from jamel.schemas import Observation
from jamel.train.rl.sample import StepSample, load_processor, server_name


def step_seed(session_seed: int, sample_seed: int, step: int) -> int:
    """The sampling seed of one generate call: a function of the session's env seed, its sampling seed (the
    session's index in its group) and the step only."""
    return int.from_bytes(hashlib.sha256(f"{session_seed}/{sample_seed}/{step}".encode()).digest()[:4], "little")


class RLAgent(JamelAgent):
    name = "jamel-rl"

    def __init__(self, model_path: str, compressor_path: str, servers: int = 1, temperature: float = 1.0,
                 top_p: float = 1.0, max_new_tokens: int = 64, max_memory_items: int = 512,
                 max_input_tokens: int = 8192, compression_batch_size: int = 8, device: str = "cpu"):
        compressor = load_compressor(str(compressor_path), device, compression_batch_size)
        processor = load_processor(model_path)
        # JamelAgent's helpers (remember, prepare) need the processor, the compressor and the input dtype only.
        self.model = SimpleNamespace(processor=processor, compressor=compressor, tokenizer=processor.tokenizer,
                                     policy=SimpleNamespace(dtype=torch.float32))
        self.device = torch.device("cpu")  # prompt tensors stay here; the server moves what it needs
        self.servers = int(servers)
        self.temperature, self.top_p, self.max_new_tokens = float(temperature), float(top_p), int(max_new_tokens)
        self.max_memory_items, self.max_input_tokens = int(max_memory_items), int(max_input_tokens)
        self.memory_mode, self.text_memory_k = "latent", 0
        self.bank = MemoryBank(compressor, max_items=self.max_memory_items, storage_device="cpu")
        self._session_id, self._screens, self._generator = "", {}, None
        self._seed, self._ctx, self._handles, self.sample_seed = 0, None, {}, 0
        self.samples: list[StepSample] = []

    def set_options(self, temperature: float | None = None, top_p: float | None = None,
                    max_new_tokens: int | None = None, sample_seed: int | None = None) -> None:
        """Per-session sampling (training vs validation), set by the pool before the session starts."""
        for name, value, cast in (("temperature", temperature, float), ("top_p", top_p, float),
                                  ("max_new_tokens", max_new_tokens, int), ("sample_seed", sample_seed, int)):
            if value is not None:
                setattr(self, name, cast(value))

    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        super().begin_session(ctx, seed)
        self._seed, self._ctx, self.samples = int(seed), ctx, []

    def _server(self):
        rank = (self._seed + self.sample_seed) % max(1, self.servers)  # a session stays on one replica
        if rank not in self._handles:
            self._handles[rank] = ray.get_actor(server_name(rank))
        return self._handles[rank]

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        if self._ctx is None:
            self.begin_session(ctx, 0)
        self.remember(ctx)
        memory = self.bank.tokens_for(self._session_id, ctx.step, self.max_memory_items).float().cpu().numpy()
        self._screens[ctx.step] = obs.screenshot
        inputs, counts = self.prepare(obs, memory.shape[0])
        prompt_ids = inputs["input_ids"][0].tolist()
        out = ray.get(self._server().generate.remote(prompt_ids, obs.screenshot, memory, self.temperature,
                                                     self.top_p, self.max_new_tokens, step_seed(self._seed, self.sample_seed, ctx.step)))
        text = self.model.tokenizer.decode(out["token_ids"], skip_special_tokens=True)
        action = answer_action(text)
        self.samples.append(StepSample(prompt_ids=prompt_ids, response_ids=list(out["token_ids"]),
                                       log_probs=list(out["log_probs"]), screenshot=obs.screenshot, memory=memory,
                                       step=ctx.step, episode=ctx.episode, state_key=state_key(obs.url, obs.text()),
                                       action=action, extra={"weights_version": out.get("weights_version")}))
        return AgentOutput(model_output=text, action=action, **counts)

    def session_payload(self) -> list[StepSample]:
        """The session's step samples with reward and validity from its history (the env's verdict)."""
        by_step: dict[int, Any] = {p.step: p for p in (self._ctx.history if self._ctx else [])}
        for s in self.samples:
            past = by_step.get(s.step)
            if past is not None:
                s.reward, s.valid = int(past.reward), bool(past.valid)
        return self.samples
