"""Typed records shared by exploration, data preparation, training and evaluation.

One step record schema (`StepRecord`) is the row format of every `trajectory.parquet`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class InteractiveElement:
    bid: str
    role: str
    name: str
    options: list[str] = field(default_factory=list)  # choices of a <select>
    input_type: str = ""  # type attribute of an <input>, "textarea" for a textarea

    def line(self) -> str:
        return f"- {self.bid}: {self.role} {self.name!r}"


@dataclass
class Observation:
    """What the agent sees before a step (PAPER.md, Environment/Observation)."""

    url: str
    title: str
    axtree: str  # pruned to `max_tree_chars`
    interactive: list[InteractiveElement]  # at most `max_interactive`
    open_urls: list[str]
    active_tab: int
    screenshot: bytes  # PNG, resized for the model (640x360)
    screenshot_raw: bytes | None = None  # PNG at viewport size, not stored in trajectories
    last_action_error: str = ""

    def interactive_text(self) -> str:
        return "\n".join(e.line() for e in self.interactive)

    def text(self) -> str:
        """The observation as it is stored in the step record (and rendered into prompts)."""
        tabs = "\n".join(f"{'*' if i == self.active_tab else ' '} [{i}] {u}" for i, u in enumerate(self.open_urls))
        return (f"# Open pages\n{tabs}\n\n# Page: {self.title}\n{self.url}\n\n# Accessibility tree\n{self.axtree}\n\n"
                f"# Interactive elements\n{self.interactive_text()}")


@dataclass
class StepTimings:
    action_ms: float = 0.0
    settle_ms: float = 0.0
    coverage_ms: float = 0.0  # CDP takes (instrumentation)
    scoring_ms: float = 0.0  # C(t) update
    observation_ms: float = 0.0
    step_ms: float = 0.0  # env.step wall time (action .. observation)


@dataclass
class StepRecord:
    """One row of `trajectory.parquet`. `step` counts from 1 within the session."""

    session_id: str
    app: str
    start_url: str
    episode: int
    step: int
    episode_step: int
    url: str  # page the action was taken on
    observation: str  # Observation.text() before the step
    last_action_error: str  # the error shown with that observation (the previous action's)
    open_urls: list[str]
    screenshot: bytes  # PNG before the step (model resolution)
    model_output: str  # the agent's raw answer
    action: str  # the action string extracted from it ('' if none)
    action_canonical: str  # canonical form after parsing ('' if invalid)
    valid: bool
    error: str
    reward: int
    coverage: int  # C(t)
    coverage_delta: int
    lines: int
    branches: int
    statements: int
    functions: int
    coverage_filter: str
    browser_restarted: bool
    agent: str
    text_tokens: int = 0
    image_tokens: int = 0
    memory_tokens: int = 0
    action_ms: float = 0.0
    settle_ms: float = 0.0
    coverage_ms: float = 0.0
    scoring_ms: float = 0.0
    observation_ms: float = 0.0
    agent_ms: float = 0.0
    step_ms: float = 0.0
    # The acted-on element's box on the screenshot, [x, y, w, h] in viewport CSS px ([] if no element)
    target_box: list[float] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


STEP_RECORD_FIELDS = [f.name for f in dataclasses.fields(StepRecord)]
