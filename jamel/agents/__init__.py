"""Agents: observation + session context -> one action string."""
from __future__ import annotations

from jamel.agents.base import Agent


def build_agent(name: str, **kwargs) -> Agent:
    """The agent registry; model-backed agents import their heavy dependencies lazily."""
    if name == "jamel":  # the packaged JAMEL model; torch/transformers are imported only here
        from jamel.agents.jamel_agent import JamelAgent

        return JamelAgent(**kwargs)
    if name == "openai":  # any OpenAI-compatible chat endpoint (ReAct prompt, full history)
        from jamel.agents.openai_agent import OpenAIAgent

        return OpenAIAgent(**kwargs)
    if ":" in name:  # a user's agent class, "package.module:ClassName"
        import importlib

        module, _, cls = name.partition(":")
        return getattr(importlib.import_module(module), cls)(**kwargs)
    from jamel.agents.baselines import AGENTS

    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; choose one of {sorted([*AGENTS, 'jamel', 'openai'])}")
    return AGENTS[name](**kwargs)
