"""Typed records shared by exploration, data preparation, training and evaluation.

One step record schema (`StepRecord`) is the row format of every `trajectory.parquet`.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

MAX_MODEL_OUTPUT_CHARS = 20_000  # far above a real answer (256 new tokens); a runaway one is cut
MAX_FIELD_CHARS = 200_000  # any other text of a record (page titles and URLs can be anything)
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def safe_text(text: str, max_chars: int = MAX_FIELD_CHARS) -> str:
    """Text from a model or a page made storable: UTF-8 encoders (parquet, most JSON readers) reject
    lone surrogates, so they become U+FFFD (a valid surrogate pair is joined into its character), NULs
    become U+FFFD too (C readers truncate at them), and the length is capped with a visible marker."""
    if len(text) > max_chars:
        text = text[:max_chars] + f"[... {len(text) - max_chars} characters cut]"
    if _UNSAFE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").replace("\x00", "\ufffd")
    return text


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
    screenshot_raw: bytes | None = None  # 1280x720 PNG, only with EnvConfig.raw_screenshot; never stored
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
    scoring_ms: float = 0.0  # C(t) update (the scorer's work, overlapped with the observation)
    scoring_wait_ms: float = 0.0  # how long the step waited for C(t) after its observation
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
    scoring_wait_ms: float = 0.0
    observation_ms: float = 0.0
    agent_ms: float = 0.0
    step_ms: float = 0.0
    # The acted-on element's box on the screenshot, [x, y, w, h] in viewport CSS px ([] if no element)
    target_box: list[float] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        """The parquet row; every text goes through `safe_text`, so no model answer or page content can
        make the trajectory unwritable."""
        row = dataclasses.asdict(self)
        for key, value in row.items():
            cap = MAX_MODEL_OUTPUT_CHARS if key == "model_output" else MAX_FIELD_CHARS
            if isinstance(value, str):
                row[key] = safe_text(value, cap)
            elif isinstance(value, list):
                row[key] = [safe_text(v, cap) if isinstance(v, str) else v for v in value]
        return row


STEP_RECORD_FIELDS = [f.name for f in dataclasses.fields(StepRecord)]

_ARROW_TYPES = {"str": "string", "int": "int64", "float": "float64", "bool": "bool", "bytes": "binary"}


def step_record_schema(rows: list[dict[str, Any]] | None = None):
    """The Arrow schema of `trajectory.parquet`, from StepRecord's annotations, so that row groups
    written one after another agree (an all-empty list in the first group must not become `null`).
    A field whose annotation is not a plain type here takes the type Arrow infers from `rows`."""
    import pyarrow as pa

    fields = []
    for f in dataclasses.fields(StepRecord):
        ann = str(f.type).replace(" ", "")
        if ann in _ARROW_TYPES:
            typ = pa.type_for_alias(_ARROW_TYPES[ann])
        elif ann.startswith("list[") and ann[5:-1] in _ARROW_TYPES:
            typ = pa.list_(pa.type_for_alias(_ARROW_TYPES[ann[5:-1]]))
        else:
            typ = pa.array([r.get(f.name) for r in rows or []]).type
        fields.append(pa.field(f.name, typ))
    return pa.schema(fields)
