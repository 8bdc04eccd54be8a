"""The structural key of a page state: what the viewer's exploration map and RL's step groups (GiGPO) share.

A state is the page URL plus a hash of the observation's structure: the roles and names of the interactive
elements, bids left out (they are renumbered on every observation), so the same screen reached twice gets
the same key while its text content (counters, timestamps in the tree) may differ.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

INTERACTIVE_HEADER = "# Interactive elements\n"


def screen_key(url: str, observation: str) -> tuple[str, str]:
    """(url, structure hash) of an observation text as stored in StepRecord.observation."""
    listing = observation.split(INTERACTIVE_HEADER, 1)[1] if INTERACTIVE_HEADER in observation else ""
    parts = []
    for line in listing.splitlines():
        line = line.strip()
        if line.startswith("- ") and ": " in line:
            line = line.split(": ", 1)[1]  # drop "- {bid}"
        parts.append(line)
    return url, hashlib.sha1("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:8]


def state_key(url: str, observation: str) -> str:
    """`screen_key` as one string (`path?query#fragment|hash`), e.g. a group key. The origin is left out: every
    env worker serves the corpus on its own port, and the same screen must get the same key in every worker."""
    url, digest = screen_key(url, observation)
    local = urlunsplit(("", "") + tuple(urlsplit(url))[2:])
    return f"{local}|{digest}"
