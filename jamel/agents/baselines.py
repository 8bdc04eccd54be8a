"""Non-LLM baselines: `random` and the novelty-seeking `crawler`.

Both build actions from the observation's interactive elements and speak the same action grammar
as the models (rendered with `Action.to_string()`, so they can never emit an invalid call).
"""
from __future__ import annotations

import random
import re
from collections import Counter
from urllib.parse import urlsplit

from jamel.actions import Action
from jamel.agents.base import AgentOutput, SessionContext, answer
from jamel.records import InteractiveElement, Observation

TEXT_ROLES = {"textbox", "searchbox", "spinbutton"}
CLICK_ROLES = {"button", "link", "checkbox", "radio", "tab", "menuitem", "menuitemcheckbox", "menuitemradio",
               "switch", "option", "treeitem", "generic-clickable", "slider"}

# Plausible values by field meaning; the crawler tries a wrong value first, then a valid one, so both
# sides of a form's validation run.
FIELD_VALUES = [
    (r"e-?mail", ["not-an-email", "alex.morgan@example.com"]),
    (r"password|\bpin\b", ["123", "Str0ng!Passw0rd#2026"]),
    (r"phone|mobile|tel", ["12", "+1 415 555 0134"]),
    (r"card", ["1234", "4242 4242 4242 4242"]),
    (r"cvc|cvv|security", ["1", "123"]),
    (r"expir|mm\s*/\s*yy", ["13/99", "12/29"]),
    (r"zip|postal|post code", ["x", "94107"]),
    (r"date|when|depart|return|check-?in|check-?out", ["yesterday", "2026-12-24"]),
    (r"code|otp|verification", ["000", "123456"]),
    (r"qty|quantity|number|count|guests|passengers|age|amount", ["0", "2"]),
    (r"url|website|link", ["not a url", "https://example.com"]),
    (r"name|user", ["", "Alex Morgan"]),
    (r"search|find|query|filter|where|destination|from|to\b|city", ["zzz", "Paris"]),
    (r"message|comment|note|bio|reply|caption|description", ["", "Hello there, this looks great!"]),
]
TYPE_VALUES = {"email": "email", "password": "password", "tel": "phone", "number": "quantity", "date": "date",
               "url": "url", "search": "search"}


def field_values(el: InteractiveElement) -> list[str]:
    """[invalid, valid] values for a field, by its input type first, then by its label."""
    for text in (TYPE_VALUES.get(el.input_type, ""), el.name.lower()):
        for pattern, values in FIELD_VALUES:
            if text and re.search(pattern, text):
                return values
    return ["", "Sample text 42"]


def modal_bids(axtree: str) -> set[str]:
    """Bids inside dialog subtrees of the rendered accessibility tree."""
    inside: set[str] = set()
    dialog_indent = None
    for line in axtree.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        m = re.match(r"\s*\[(\w+)\] (\S+)", line)
        if dialog_indent is not None and indent <= dialog_indent:
            dialog_indent = None
        if m and m.group(2) in ("dialog", "alertdialog"):
            dialog_indent = indent
        elif dialog_indent is not None and m:
            inside.add(m.group(1))
    return inside


def choices(el: InteractiveElement) -> list[str]:
    """Selectable option labels (a blank placeholder option cannot be named in the grammar)."""
    return [o for o in el.options if o.strip()]


def candidate_actions(obs: Observation, rng: random.Random) -> list[Action]:
    """Every action a uniform-random agent may pick on this observation."""
    acts: list[Action] = []
    for el in obs.interactive:
        if el.role in TEXT_ROLES:
            acts.append(Action("fill", {"bid": el.bid, "value": rng.choice(field_values(el)) or "x"}))
        elif el.role in ("combobox", "listbox") and choices(el):
            acts.append(Action("select_option", {"bid": el.bid, "options": rng.choice(choices(el))}))
        else:
            acts.append(Action("click", {"bid": el.bid, "button": "left", "modifiers": []}))
    acts += [Action("scroll", {"delta_x": 0.0, "delta_y": 400.0}), Action("scroll", {"delta_x": 0.0, "delta_y": -400.0}),
             Action("go_back", {}), Action("reset", {})]
    return acts


class RandomAgent:
    """Uniform over the valid actions of the current observation."""

    name = "random"

    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.rng = random.Random(seed)

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        return answer(self.rng.choice(candidate_actions(obs, self.rng)).to_string())


class CrawlerAgent:
    """A systematic novelty seeker.

    It remembers, for the whole session, what it has tried, keyed by the element's role and label
    rather than its bid (bids are renumbered after a reload). On each page, in tiers: fill untried
    fields with valid values and pick one choice per select (so forms can be submitted), then click
    untried elements, then the other side of validation (invalid values), more choices while they
    keep paying, Enter in search boxes, hovers. Elements inside an open dialog come first. When a page
    is exhausted it goes back, and after `patience` steps without reward it resets to the start page.
    An action that failed is not retried.
    """

    name = "crawler"

    def __init__(self, patience: int = 6):
        self.patience = patience  # steps without reward before a reset()

    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tried: Counter[tuple] = Counter()
        self.failed: set[tuple] = set()
        self.pending: tuple | None = None
        self.backs_in_row = 0
        self.fruitless: set[tuple] = set()  # selects whose extra choices stopped paying
        self.last_select: tuple | None = None

    @staticmethod
    def _page_key(obs: Observation) -> str:
        parts = urlsplit(obs.url)
        return f"{parts.path}#{parts.fragment}|{obs.title}"

    def _keys(self, obs: Observation) -> list[tuple[InteractiveElement, tuple]]:
        page, seen, out = self._page_key(obs), Counter(), []
        for el in obs.interactive:
            seen[(el.role, el.name)] += 1
            out.append((el, (page, el.role, el.name, seen[(el.role, el.name)])))
        return out

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        last = ctx.history[-1] if ctx.history else None
        if last is not None and self.pending is not None:
            if last.error:
                self.failed.add(self.pending)
        if last is not None and self.last_select is not None and not last.reward:
            self.fruitless.add(self.last_select)
        self.pending = self.last_select = None
        since_reward = 0
        for past in reversed(ctx.history):
            if past.reward:
                break
            since_reward += 1

        elements = self._keys(obs)
        modal = modal_bids(obs.axtree)
        if modal:  # an open dialog usually blocks the page behind it: work inside it first
            elements = [ek for ek in elements if ek[0].bid in modal] + [ek for ek in elements if ek[0].bid not in modal]

        action = self._next_untried(elements)
        if action is not None:
            self.backs_in_row = 0
            return answer(action.to_string())
        # Nothing untried here: leave the page (back, then reset) or revisit the least-tried element.
        if since_reward >= self.patience or self.backs_in_row >= 2:
            self.backs_in_row = 0
            return answer("reset()")
        if len(ctx.history) and ctx.history[-1].action != "go_back()":
            self.backs_in_row += 1
            return answer("go_back()")
        if elements:
            el, key = min(elements, key=lambda ek: (self.tried[ek[1] + ("click",)], self.rng.random()))
            self.tried[key + ("click",)] += 1
            return answer(Action("click", {"bid": el.bid, "button": "left", "modifiers": []}).to_string())
        return answer(Action("scroll", {"delta_x": 0.0, "delta_y": 400.0}).to_string())

    def _try(self, key: tuple) -> bool:
        if key in self.failed or self.tried[key]:
            return False
        self.tried[key] += 1
        self.pending = key
        return True

    def _next_untried(self, elements: list[tuple[InteractiveElement, tuple]]) -> Action | None:
        # Fields and selects are keyed without the page (the same form shows under several routes);
        # clicks are keyed per page (the same label can do different things on different views).
        def field_key(el: InteractiveElement, key: tuple) -> tuple:
            return key[1:]

        # 1. fill every field once with a plausible valid value, pick one non-default choice per select
        for el, key in elements:
            if el.role in TEXT_ROLES and self._try(field_key(el, key) + ("fill", "valid")):
                return Action("fill", {"bid": el.bid, "value": field_values(el)[1]})
            opts = choices(el)
            if el.role in ("combobox", "listbox") and len(opts) > 1 and self._try(field_key(el, key) + ("select", 1)):
                return Action("select_option", {"bid": el.bid, "options": opts[1]})
        # 2. clicks, in document order (deterministic, so a session can be reproduced)
        for el, key in elements:
            if el.role not in TEXT_ROLES | {"combobox", "listbox"} and self._try(key + ("click",)):
                return Action("click", {"bid": el.bid, "button": "left", "modifiers": []})
        # 3. the other side of validation, more choices (while they keep paying), Enter, hovers
        for el, key in elements:
            fk = field_key(el, key)
            if el.role in TEXT_ROLES and self._try(fk + ("fill", "invalid")):
                return Action("fill", {"bid": el.bid, "value": field_values(el)[0]})
            if el.role == "searchbox" and self._try(fk + ("press", "Enter")):
                return Action("press", {"bid": el.bid, "key_comb": "Enter"})
            if el.role in ("combobox", "listbox") and fk not in self.fruitless:
                opts = choices(el)
                for i in (2, 0):
                    if i < len(opts) and self._try(fk + ("select", i)):
                        self.last_select = fk
                        return Action("select_option", {"bid": el.bid, "options": opts[i]})
        for el, key in elements:
            if el.role in ("link", "generic-clickable", "button") and self._try(key + ("hover",)):
                return Action("hover", {"bid": el.bid})
        return None


AGENTS = {"random": RandomAgent, "crawler": CrawlerAgent}
