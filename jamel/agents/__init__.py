"""Agents: observation + session context -> one action string."""
from __future__ import annotations

import importlib

from jamel.agents.base import Agent

# The model-backed agents by name, imported only when built: the packaged JAMEL model (torch/transformers are
# imported only then) and any OpenAI-compatible chat endpoint (ReAct prompt, full history).
_MODEL_AGENTS = {"jamel": "jamel.agents.jamel_agent:JamelAgent",
                 "openai": "jamel.agents.openai_agent:OpenAIAgent"}


def build_agent(name: str, **kwargs) -> Agent:
    """The agent registry; model-backed agents import their heavy dependencies lazily."""
    name = _MODEL_AGENTS.get(name, name)
    if ":" in name:  # a model agent or a user's agent class, "package.module:ClassName"
        module, _, cls = name.partition(":")
        return getattr(importlib.import_module(module), cls)(**kwargs)
    from jamel.agents.baselines import AGENTS

    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose one of {sorted([*AGENTS, *_MODEL_AGENTS])}")
    return AGENTS[name](**kwargs)
