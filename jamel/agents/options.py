"""The agent's options, one dataclass for every command that runs an agent (explore, eval, RL)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jamel.config import opt


@dataclass
class AgentOptions:
    """What the model-backed agents (jamel, openai) are built with; the baselines take none of it."""

    model_path: str | None = opt(None, "jamel: packaged model folder; openai: the served model's name",
                                 aliases=("--model",))
    device: str | None = opt(None, "jamel: torch device (default: cuda when the run has GPUs, else cpu)")
    temperature: float = opt(0.8, "sampling temperature (jamel, openai)")
    top_p: float = opt(0.9, "nucleus sampling top_p (jamel, openai)")
    base_url: str = opt("http://127.0.0.1:8000/v1", "openai: the OpenAI-compatible chat endpoint")
    vision: bool = opt(False, "openai: send screenshots (ReAct-vision) instead of text only")
    memory: str = opt("latent", "jamel: latent memory, or the ablations none | text",
                      choices=("latent", "none", "text"))
    text_memory_k: int = opt(8, "jamel --memory text: the last k steps as text")

    def kwargs(self, agent: str, gpus: bool = False) -> dict[str, Any]:
        """The agent's constructor arguments (`jamel.agents.build_agent(agent, **kwargs)`); ValueError
        when a model agent lacks its model."""
        sampling = {"temperature": self.temperature, "top_p": self.top_p}
        if agent == "jamel":
            if not self.model_path:
                raise ValueError("--agent jamel needs --model-path (a packaged model folder)")
            kwargs = {"model_path": self.model_path, "device": self.device or ("cuda" if gpus else "cpu"), **sampling}
            if self.memory != "latent":
                kwargs["memory"] = self.memory
                if self.memory == "text":
                    kwargs["text_memory_k"] = self.text_memory_k
            return kwargs
        if agent == "openai":
            if not self.model_path:
                raise ValueError("--agent openai needs --model-path (the served model's name)")
            return {"model": self.model_path, "base_url": self.base_url, "vision": self.vision,
                    "history_images": self.vision, **sampling}
        return {}

    def label(self, agent: str) -> str:
        """The method's name in reports (and its eval folder): a model agent's carries the model's name (the
        model path's last part), so two models never share a folder, e.g. react-vision-gpt-5, jamel-no-memory-ckpt."""
        if agent == "openai":
            base = "react-vision" if self.vision else "react-text"
        elif agent == "jamel" and self.memory != "latent":
            base = "jamel-no-memory" if self.memory == "none" else f"jamel-text-memory-k{self.text_memory_k}"
        elif agent == "jamel":
            base = agent
        else:
            return agent
        model = Path(self.model_path.rstrip("/")).name if self.model_path else ""
        return f"{base}-{model}" if model else base
