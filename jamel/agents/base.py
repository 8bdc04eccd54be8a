"""The agent contract: observation + session context -> one action string."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from jamel.schemas import Observation


@dataclass
class PastStep:
    """What an agent may know of an earlier step of its session."""

    step: int
    episode: int
    url: str
    action: str
    valid: bool
    error: str
    reward: int


@dataclass
class SessionContext:
    app: str
    start_url: str
    max_steps: int
    step: int = 0  # index of the step about to be taken (1-based)
    episode: int = 0
    history: list[PastStep] = field(default_factory=list)  # all earlier steps, across resets


@dataclass
class AgentOutput:
    model_output: str  # the raw answer; must contain `<action>...</action>`
    action: str  # the action string extracted from it ('' if none could be extracted)
    text_tokens: int = 0
    image_tokens: int = 0
    memory_tokens: int = 0


class AgentUnavailable(RuntimeError):
    """The agent's backend cannot answer (endpoint down, model missing): the session stops, unfinished,
    and a rerun redoes it. Any other agent failure only makes that step an invalid action."""


class Agent(Protocol):
    name: str

    def begin_session(self, ctx: SessionContext, seed: int) -> None: ...

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput: ...


def answer(action: str) -> AgentOutput:
    """Wrap an action the way a model answers (one format for every agent)."""
    return AgentOutput(model_output=f"<action>{action}</action>", action=action)
