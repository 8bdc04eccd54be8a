"""THE prompt and answer format of JAMEL: data collection, SFT, RL and evaluation all build prompts here.

JAMEL prompt (one step; the memory prefix carries the history, the prompt carries none):
    system: the task (explore the app, find new functionality, one action per step), the action grammar
            (`jamel.env.actions.action_space_doc()`) and the answer format `<action>...</action>`, optionally
            preceded by a short reasoning;
    user:   the screenshot (an image part) + the observation text (open pages, page, accessibility tree,
            interactive elements) + the error of the last action.
Memory item (what the compressor reads for one past step): the screenshot that step's action was taken on
plus `memory_item_text(action)` = ``Previous action: {action}``.

ReAct prompt (full-history baselines and LLM data collection): the same task and grammar, asks for brief
reasoning, and adds a text history of every earlier step of the session (action, error, reward), optionally
with the screenshot of every past step (ReAct-vision).

Messages are chat-template messages: ``{"role", "content": [parts]}`` with parts ``{"type": "text", "text"}``
and ``{"type": "image", "image": <PNG bytes>}``; `message_images(messages)` lists the images in prompt order.
Render them with `jamel.model.tokenizer.CHAT_TEMPLATE` (`jamel.model.image.VLProcessor.apply_chat_template`).

`obs` may be a `jamel.schemas.Observation` or anything with ``.text()``, ``.screenshot`` and
``.last_action_error`` (e.g. a row of a trajectory, see `benchmarks/bench_tokens.py`).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Sequence

from jamel.env.actions import ActionParseError, action_space_doc, extract_action, parse_action
from jamel.schemas import display_urls

__all__ = [
    "PROMPT_VERSION", "MEMORY_ITEM_TEMPLATE", "system_text", "react_system_text", "observation_text",
    "build_messages", "build_react_messages", "memory_item_text", "memory_item_messages", "parse_answer",
    "answer_action", "message_images", "history_line", "neutralize_special_tokens", "memory_action",
]

PROMPT_VERSION = "jamel-prompt-v2"  # v2: app URLs under DISPLAY_ORIGIN, `<|` neutralized
MEMORY_ITEM_TEMPLATE = "Previous action: {action}"

_TASK = (
    "You are exploring a web app. There is no task to complete: your goal is to discover as much of the app's "
    "functionality as possible. At every step choose the one action most likely to make the app do something "
    "it has not done yet in this session: open pages, menus, tabs, dialogs and forms you have not opened, fill "
    "and submit inputs, try different options and settings. Repeating an earlier action or revisiting a known "
    "state finds nothing new. `reset()` returns to the start page; the session goes on.")

_OBSERVATION_DOC = (
    "Every step you get the screenshot of the page, the open pages, the page's accessibility tree, its "
    "interactive elements (`- bid: role 'name'`) and the error of your last action, if it failed. Address "
    "elements by their bid.")

_ANSWER_DOC = (
    "Answer with exactly one action inside <action></action> tags, e.g. <action>click('12')</action>. "
    "You may write a short reasoning (at most two sentences) before the action block; write nothing after it.")

_REACT_ANSWER_DOC = (
    "First think briefly about what you have already explored (see the history) and what is still new, then "
    "answer with exactly one action inside <action></action> tags, e.g. <action>click('12')</action>. Write "
    "nothing after the action block.")


def system_text() -> str:
    """The system message of the JAMEL prompt (memory-based; no history in text)."""
    return (f"{_TASK}\nYour memory of all earlier steps of this session is given to you before this "
            f"conversation.\n\n{_OBSERVATION_DOC}\n\n# Actions (one per step)\n{action_space_doc()}\n\n"
            f"{_ANSWER_DOC}")


def react_system_text() -> str:
    """The system message of the full-history ReAct prompt."""
    return (f"{_TASK}\nThe history of all earlier steps of this session (across resets) is listed in each "
            f"message; a reward of 1 means that step found new functionality.\n\n{_OBSERVATION_DOC}\n\n"
            f"# Actions (one per step)\n{action_space_doc()}\n\n{_REACT_ANSWER_DOC}")


def observation_text(obs: Any, max_tree_chars: int | None = None) -> str:
    """The observation as shown to the model: `Observation.text()` plus the last action's error.

    `max_tree_chars` shortens the accessibility tree (only for prompts over the input budget; needs a real
    `Observation`)."""
    if max_tree_chars is not None and len(getattr(obs, "axtree", "")) > max_tree_chars:
        obs = dataclasses.replace(obs, axtree=obs.axtree[:max(0, max_tree_chars)] + "\n[... truncated]")
    error = (getattr(obs, "last_action_error", "") or "").strip()  # the env writes it under DISPLAY_ORIGIN
    return f"{obs.text()}\n\n# Last action error\n{error or 'none'}"


def _image_part(png: bytes | None) -> dict[str, Any]:
    return {"type": "image", "image": png}


def build_messages(obs: Any, image: bool = True, max_tree_chars: int | None = None,
                   text_memory: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The JAMEL prompt for one step: system + user (screenshot, observation). No text history.

    `text_memory` (ablation only: a text memory instead of the latent one) adds the given lines, e.g.
    `memory_item_text(action)` of the last k steps, under "# Memory" before the observation."""
    user: list[dict[str, Any]] = [_image_part(obs.screenshot)] if image else []
    text = observation_text(obs, max_tree_chars)
    if text_memory is not None:
        lines = "\n".join(text_memory) or "none (first step of the session)"
        text = f"# Memory (earlier steps of this session, oldest first)\n{lines}\n\n{text}"
    user.append({"type": "text", "text": text})
    return [{"role": "system", "content": [{"type": "text", "text": system_text()}]},
            {"role": "user", "content": user}]


def neutralize_special_tokens(text: str) -> str:
    """Page text, typed values and actions are untrusted: a literal ``<|im_end|>`` or ``<|image_pad|>`` in them
    would tokenize as the control token (a forged chat turn, an image placeholder without an image). A space
    after ``<`` breaks every ``<|...|>`` token and changes nothing else (applied when a prompt is rendered)."""
    return text.replace("<|", "< |")


def memory_action(action: str) -> str:
    """The action text of a memory item: its canonical form if it parses (whether or not it was valid on its
    page), else the raw text. The one rule for SFT data (`jamel prepare-sft`) and the agent at run time."""
    try:
        return parse_action(action).to_string()
    except ActionParseError:
        return action


def memory_item_text(action: str) -> str:
    """The text the compressor reads for one past step (with the screenshot the action was taken on)."""
    return MEMORY_ITEM_TEMPLATE.format(action=action)


def memory_item_messages(screenshot: bytes | None, action: str) -> list[dict[str, Any]]:
    """The compressor's input for one past step: a single user turn (screenshot, `Previous action: ...`)."""
    return [{"role": "user", "content": [_image_part(screenshot), {"type": "text", "text": memory_item_text(action)}]}]


def parse_answer(text: str) -> str:
    """The action string of a model answer (the last `<action>` block); raises `ActionParseError`."""
    return extract_action(text)


def answer_action(text: str) -> str:
    """`parse_answer`, or '' when the answer has no valid action block (the env records an invalid step)."""
    try:
        return extract_action(text)
    except ActionParseError:
        return ""


def history_line(past: Any) -> str:
    """One `PastStep` as a line of the ReAct history."""
    result = "invalid action" if not past.valid else ("ok" if not past.error else "failed")
    if past.error:
        result += f": {past.error}"
    return (f"Step {past.step} (episode {past.episode}) on {past.url}: {past.action or '(no action)'} -> "
            f"{result}; reward {past.reward}")


def build_react_messages(obs: Any, history: Sequence[Any], image: bool = True,
                         past_screenshots: Sequence[bytes] | None = None,
                         past_observations: Sequence[str] | None = None,
                         max_tree_chars: int | None = None) -> list[dict[str, Any]]:
    """The full-history ReAct prompt: system + user (history of every past step, screenshot, observation).

    `history` is `SessionContext.history` (`PastStep`s): one line per step (action, result, reward). With
    `past_screenshots` (one per history step, the screenshot that step's action was taken on) every history
    entry is preceded by its image (ReAct-vision as in the paper's baseline); with `past_observations` (one
    observation text per history step) every entry also carries the page the step saw. `image` adds the
    current screenshot."""
    for name, seq in (("past screenshots", past_screenshots), ("past observations", past_observations)):
        if seq is not None and len(seq) != len(history):
            raise ValueError(f"{len(seq)} {name} for {len(history)} history steps")
    shown = functools.partial(display_urls, origin=getattr(obs, "origin", ""))  # the URLs as obs.text() shows them
    parts: list[dict[str, Any]] = []
    if not history:
        parts.append({"type": "text", "text": "# History\nnone (this is the first step of the session)\n\n"})
    elif past_screenshots is None and past_observations is None:
        lines = "\n".join(shown(history_line(p)) for p in history)
        parts.append({"type": "text", "text": f"# History\n{lines}\n\n"})
    else:
        parts.append({"type": "text", "text": "# History\n"})
        for i, past in enumerate(history):
            if past_screenshots is not None:
                parts.append(_image_part(past_screenshots[i]))
            page = f"## Page at step {past.step}\n{past_observations[i]}\n" if past_observations is not None else ""
            parts.append({"type": "text", "text": shown(page + history_line(past)) + "\n"})
        parts.append({"type": "text", "text": "\n"})
    parts.append({"type": "text", "text": f"# Current step {len(history) + 1}\n"})
    if image:
        parts.append(_image_part(obs.screenshot))
    parts.append({"type": "text", "text": observation_text(obs, max_tree_chars)})
    return [{"role": "system", "content": [{"type": "text", "text": react_system_text()}]},
            {"role": "user", "content": parts}]


def message_images(messages: Sequence[dict[str, Any]]) -> list[bytes | None]:
    """The images of a message list, in the order their placeholders appear in the rendered prompt."""
    return [p.get("image") for m in messages if isinstance(m.get("content"), list)
            for p in m["content"] if p.get("type") == "image"]
