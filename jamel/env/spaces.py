"""Gymnasium spaces of BrowserEnv: the observation as a dict of arrays and text, the action as text.

The record type the rollout loops use (`jamel.schemas.Observation`) maps onto the dict one to one
(`observation_dict`); the screenshot becomes the uint8 array the model sees (H x W x 3, RGB).
"""
from __future__ import annotations

import io
import string

import numpy as np
from gymnasium import spaces
from PIL import Image

from jamel.env.actions import MAX_ACTION_CHARS
from jamel.schemas import Observation

MAX_TEXT = 1 << 20  # urls, titles, element lists and errors are not capped by the env: a generous bound
MAX_TABS = 64  # bounds the declared space only: the env itself does not cap the number of pages
_SAMPLE_CHARS = string.ascii_letters + string.digits + string.punctuation + " "


class AnyText(spaces.Text):
    """Text of any Unicode characters (page text is Chinese, emoji, ...), up to `max_length`.

    gymnasium's Text only holds strings over a finite charset; samples still come from one (ASCII)."""

    def __init__(self, max_length: int, min_length: int = 0):
        super().__init__(max_length, min_length=min_length, charset=_SAMPLE_CHARS)

    def contains(self, x) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"AnyText({self.min_length}, {self.max_length})"


def observation_space(screenshot_size: tuple[int, int], max_tree_chars: int) -> spaces.Dict:
    w, h = screenshot_size
    return spaces.Dict({
        "screenshot": spaces.Box(0, 255, (h, w, 3), np.uint8),  # what the model sees, RGB
        "url": AnyText(MAX_TEXT),
        "title": AnyText(MAX_TEXT),
        "axtree": AnyText(max_tree_chars),  # pruned to this many characters (browser.prune_tree)
        "interactive": AnyText(MAX_TEXT),  # one line per element (at most max_interactive): `- {bid}: {role} {name!r}`
        "open_urls": spaces.Sequence(AnyText(MAX_TEXT)),
        "active_tab": spaces.Discrete(MAX_TABS),
        "last_action_error": AnyText(MAX_TEXT),
    })


def action_space() -> spaces.Text:
    """An action is the text of one call of the grammar (jamel/env/actions.py), e.g. ``click('12')``.
    Any text is a legal input: what does not parse is an invalid action (reward 0)."""
    return AnyText(MAX_ACTION_CHARS)


def screenshot_array(png_or_jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png_or_jpeg)).convert("RGB"), dtype=np.uint8)


def observation_dict(obs: Observation) -> dict:
    """The gymnasium observation of a record (new objects every call, as gymnasium asks)."""
    return {"screenshot": screenshot_array(obs.screenshot), "url": obs.url, "title": obs.title,
            "axtree": obs.axtree, "interactive": obs.interactive_text(), "open_urls": tuple(obs.open_urls),
            "active_tab": int(obs.active_tab), "last_action_error": obs.last_action_error}
