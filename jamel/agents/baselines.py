"""Non-LLM baselines: `random` and the novelty-seeking `crawler`.

Both build actions from the observation (its interactive elements, plus the list items, rows and
cells of its tree for double-clicks) and speak the same action grammar as the models (rendered with
`Action.to_string()`, so they can never emit an invalid call). Both use one set of behaviours: a text
box is filled with a value typical of its type and then submitted with Enter; checkboxes are
toggled; list items are double-clicked (edit in place); menus are hovered; keys are pressed (Enter,
Escape, Tab, arrows). Neither offers `go_back()` on the start page nor a `reset()` right after one.
"""
from __future__ import annotations

import itertools
import random
import re
from collections import Counter, deque
from urllib.parse import urlsplit

from jamel.env.actions import Action
from jamel.agents.base import AgentOutput, SessionContext, answer
from jamel.schemas import InteractiveElement, Observation

TEXT_ROLES = {"textbox", "searchbox", "spinbutton"}
SELECT_ROLES = {"combobox", "listbox"}
TOGGLE_ROLES = {"checkbox", "switch", "menuitemcheckbox"}
HOVER_ROLES = {"link", "button", "generic-clickable", "menuitem"}
# Elements of the tree (not necessarily in the interactive list) that apps edit or open on double-click.
DBLCLICK_ROLES = {"listitem", "row", "cell", "generic-clickable", "article", "option", "treeitem"}
FIELD_KEYS = ("Tab", "ArrowDown", "Escape")  # blur validation, suggestion lists, cancel
PAGE_KEYS = ("ArrowDown", "Enter", "Escape", "ArrowUp", "Tab")  # list selection, open, close
RANDOM_KEYS = ("Enter", "Escape", "Tab", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Space")

# [invalid, valid] values by input type. These come first: a date, number or time input only accepts
# values in its own format (Playwright refuses anything else), and the type says what the field wants.
TYPE_VALUES = {
    "email": ["not-an-email", "alex.morgan@example.com"],
    "password": ["123", "Str0ng!Passw0rd#2026"],
    "tel": ["12", "+1 415 555 0134"],
    "url": ["not a url", "https://example.com"],
    "number": ["-1", "2"],
    "date": ["2020-01-15", "2026-12-24"],
    "time": ["03:00", "09:30"],
    "datetime-local": ["2020-01-15T03:00", "2026-12-24T09:30"],
    "month": ["2020-01", "2026-12"],
    "week": ["2020-W03", "2026-W52"],
    "search": ["zzz", "Paris"],
}
# Plausible values by field meaning (label or placeholder), for plain text boxes.
FIELD_VALUES = [
    (r"e-?mail", ["not-an-email", "alex.morgan@example.com"]),
    (r"password|\bpin\b", ["123", "Str0ng!Passw0rd#2026"]),
    (r"phone|mobile|\btel\b", ["12", "+1 415 555 0134"]),
    (r"card", ["1234", "4242 4242 4242 4242"]),
    (r"cvc|cvv|security", ["1", "123"]),
    (r"expir|mm\s*/\s*yy", ["13/99", "12/29"]),
    (r"zip|postal|post code", ["x", "94107"]),
    (r"date|when|depart|return|check-?in|check-?out|birthday", ["yesterday", "2026-12-24"]),
    (r"code|otp|verification", ["000", "123456"]),
    (r"iban|account n", ["123", "DE89370400440532013000"]),
    (r"qty|quantity|number|count|guests|passengers|age|amount|price|limit", ["0", "2"]),
    (r"url|website|link", ["not a url", "https://example.com"]),
    (r"user ?name|username|handle", ["a", "alex_morgan"]),
    (r"name|user", ["", "Alex Morgan"]),
    (r"search|find|query|filter|where|destination|from|to\b|city", ["zzz", "Paris"]),
    (r"message|comment|note|bio|reply|caption|description|post|what", ["", "Hello there, this looks great!"]),
    (r"tag", ["#", "urgent"]),
]
_WORD = re.compile(r"[A-Za-z]{4,}")
_TREE_LINE = re.compile(r"\s*\[(\w+)\] (\S+)(?: \"((?:[^\"\\]|\\.)*)\")?")


def is_search(el: InteractiveElement) -> bool:
    return el.role == "searchbox" or el.input_type == "search" or bool(re.search(r"search|filter|find", el.name, re.I))


def page_words(obs: Observation) -> list[str]:
    """Words shown on the page (static text), in order: searching for one of them finds something."""
    texts = [line[11:] for line in map(str.strip, obs.axtree.splitlines()) if line.startswith("StaticText ")]
    words = (w for text in texts for w in _WORD.findall(text) if w.lower() not in ("search", "filter"))
    return list(dict.fromkeys(words))


def field_values(el: InteractiveElement, obs: Observation | None = None) -> list[str]:
    """[invalid, valid] values for a field: by input type, then by label; a search box looks for a word
    of the page (so the search finds something) and for nonsense (so it finds nothing)."""
    if is_search(el) and obs is not None:
        words = page_words(obs)
        if words:
            return ["zzqx", words[min(len(words) - 1, 3)]]
    if el.input_type in TYPE_VALUES:
        return TYPE_VALUES[el.input_type]
    name = el.name.lower()
    found = (values for pattern, values in FIELD_VALUES if name and re.search(pattern, name))
    return next(found, ["", "Sample text 42"])


def tree_elements(axtree: str) -> list[tuple[str, str, str]]:
    """(bid, role, name) of every element of the rendered tree, in document order."""
    return [(m[1], m[2], m[3] or "") for m in map(_TREE_LINE.match, axtree.splitlines()) if m]


def modal_bids(axtree: str) -> set[str]:
    """Bids inside dialog subtrees of the rendered accessibility tree."""
    inside: set[str] = set()
    dialog_indent = None
    for line in axtree.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        m = _TREE_LINE.match(line)
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


def at_start(obs: Observation, ctx: SessionContext) -> bool:
    """On the start page with nothing to go back to in this episode."""
    return not ctx.history or ctx.history[-1].action.startswith("reset") or obs.url == ctx.start_url


def click(bid: str, name: str = "click") -> Action:
    """A plain left click (`name="dblclick"`: a double-click)."""
    return Action(name, {"bid": bid, "button": "left", "modifiers": []})


def press(bid: str, key: str) -> Action:
    return Action("press", {"bid": bid, "key_comb": key})


def key_target(obs: Observation) -> str | None:
    """An element to press page-level keys on: the first element of the tree that is not a control (a
    heading, a list, the main region), so that keydown reaches the document's shortcuts, not a text box
    or a button (where Enter would only click it)."""
    controls, fields = {e.bid for e in obs.interactive}, TEXT_ROLES | SELECT_ROLES
    return next(itertools.chain((bid for bid, _, _ in tree_elements(obs.axtree) if bid not in controls),
                                (e.bid for e in obs.interactive if e.role not in fields)), None)


def candidate_actions(obs: Observation, rng: random.Random, ctx: SessionContext | None = None) -> list[Action]:
    """Every action a uniform-random agent may pick on this observation (the crawler's behaviours)."""
    acts: list[Action] = []
    for el in obs.interactive:
        if el.role in TEXT_ROLES:
            acts.append(Action("fill", {"bid": el.bid, "value": rng.choice(field_values(el, obs)) or "x"}))
            acts.append(press(el.bid, "Enter"))  # submit what is in it (its form, or the field's own handler)
        elif el.role in SELECT_ROLES and choices(el):
            acts.append(Action("select_option", {"bid": el.bid, "options": rng.choice(choices(el))}))
        else:
            acts.append(click(el.bid))
            if el.role in HOVER_ROLES:
                acts.append(Action("hover", {"bid": el.bid}))
    interactive = {e.bid for e in obs.interactive}
    dbl = [bid for bid, role, _ in tree_elements(obs.axtree) if role in DBLCLICK_ROLES and bid not in interactive]
    if dbl:
        acts.append(click(rng.choice(dbl), "dblclick"))
    target = key_target(obs)
    if target is not None:  # one key press per step, on a random element, among the candidates
        bid = rng.choice([target] + sorted(interactive))
        acts.append(press(bid, rng.choice(RANDOM_KEYS)))
    acts += [Action("scroll", {"delta_x": 0.0, "delta_y": 400.0}), Action("scroll", {"delta_x": 0.0, "delta_y": -400.0})]
    if ctx is None or not at_start(obs, ctx):
        acts += [Action("go_back", {}), Action("reset", {})]
    return acts


class RandomAgent:
    """Uniform over the candidate actions of the current observation."""

    name = "random"

    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.rng = random.Random(seed)

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        return answer(self.rng.choice(candidate_actions(obs, self.rng, ctx)).to_string())


class CrawlerAgent:
    """A systematic novelty seeker (a model-based web crawler).

    It remembers, for the whole session, what it has tried, keyed by the element's role and label
    rather than its bid (bids are renumbered after a reload). On each page, in tiers: fill untried
    fields with valid values and submit each with Enter, pick one choice per select; then click
    untried elements; then the other side of validation (invalid values, also submitted), more choices
    while they keep paying, toggling checkboxes back, double-clicks on list items, hovers, keys in
    fields (Tab, ArrowDown, Escape) and on the page (arrows, Enter, Escape, Tab). Elements inside an
    open dialog come first, then elements the last action revealed; after a click was refused because
    something covers the page (an overlay without a dialog role), the page is tried from its end, where
    overlays live. An action that failed is not retried.

    When a page has nothing untried, it navigates to a page that still has (along transitions it has
    seen, by clicking), else goes back, else resets, and otherwise revisits least-tried elements: it
    never resets twice in a row, never goes back from the start page, and never resets when the start
    page and everything reachable from it are exhausted.
    """

    name = "crawler"

    def __init__(self, patience: int = 6):
        self.patience = patience  # steps without reward (with nothing untried) before a reset()

    def begin_session(self, ctx: SessionContext, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tried: Counter[tuple] = Counter()
        self.failed: set[tuple] = set()
        self.pending: tuple | None = None
        self.pending_page: str | None = None
        self.followup: tuple[str, str, tuple] | None = None  # (bid, key, tried-key) to press next
        self.backs_in_row = 0
        self.fruitless: set[tuple] = set()  # selects whose extra choices stopped paying
        self.last_select: tuple | None = None
        self.blocked: str | None = None  # page whose clicks are refused: something covers it
        self.prev_bids: dict[str, set[str]] = {}  # per page, the bids of its previous observation
        self.untried: dict[str, int] = {}  # per page, untried actions at its last visit
        self.edges: dict[str, dict[tuple, str]] = {}  # page -> {click key: page it led to}
        self.dest: dict[tuple, str] = {}  # (role, name, n) -> page its click led to, on any page (nav links)
        self.start_page: str | None = None

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

    def _learn(self, ctx: SessionContext, page: str) -> None:
        """Fold the outcome of the previous step into the memory."""
        last = ctx.history[-1] if ctx.history else None
        if last is not None and self.pending is not None:
            if last.error:
                self.failed.add(self.pending)
                if "not clickable" in last.error and "covered" in last.error:
                    self.blocked = self.pending_page
            else:
                if self.blocked == self.pending_page:
                    self.blocked = None
                if self.pending_page != page and self.pending[-1] == "click":
                    self.edges.setdefault(self.pending_page, {})[self.pending] = page
                    self.dest[self.pending[1:4]] = page
        if last is not None and self.last_select is not None and not last.reward:
            self.fruitless.add(self.last_select)
        if last is not None and self.followup is not None and last.error:
            self.followup = None
        self.pending = self.pending_page = self.last_select = None

    def act(self, obs: Observation, ctx: SessionContext) -> AgentOutput:
        page = self._page_key(obs)
        if self.start_page is None or (ctx.history and ctx.history[-1].action.startswith("reset")):
            self.start_page = page
        self._learn(ctx, page)

        elements = self._keys(obs)
        bids_now = {el.bid for el, _ in elements}
        fresh = bids_now - self.prev_bids.get(page, set())
        self.prev_bids[page] = bids_now
        modal = modal_bids(obs.axtree)
        order = {el.bid: i for i, (el, _) in enumerate(elements)}
        sign = -1 if self.blocked == page else 1
        elements.sort(key=lambda ek: (ek[0].bid not in modal, ek[0].bid not in fresh, sign * order[ek[0].bid]))

        if self.followup is not None:  # a filled field is submitted right away (a text box is a behaviour)
            bid, key, tkey = self.followup
            self.followup = None
            if bid in bids_now and self._ok(tkey):
                self._mark(tkey, page)
                return answer(press(bid, key).to_string())

        plan = self._plan(elements, obs)
        self.untried[page] = len(plan)
        if plan:
            action, key, follow = plan[0]
            self._mark(key, page)
            self.followup = follow
            if key[-2:-1] == ("select",) and key[-1] != 1:
                self.last_select = key[:-2]
            self.backs_in_row = 0
            return answer(action.to_string())
        return answer(self._leave(obs, ctx, page, elements, bool(modal) or self.blocked == page).to_string())

    def _mark(self, key: tuple, page: str) -> None:
        """Take `key`; its outcome is learnt next step."""
        self.tried[key] += 1
        self.pending, self.pending_page = key, page

    def _ok(self, key: tuple) -> bool:  # untried and not failed
        return key not in self.failed and not self.tried[key]

    def _plan(self, elements: list[tuple[InteractiveElement, tuple]], obs: Observation) -> list[tuple]:
        """Untried (action, key, follow-up) on this page, best first."""
        out: list[tuple] = []

        # Fields and selects are keyed without the page (the same form shows under several routes);
        # clicks are keyed per page (the same label can do different things on different views).
        def add(action: Action, key: tuple, follow: tuple | None = None) -> None:
            if self._ok(key):
                out.append((action, key, follow))

        # 1. fill every field once with a typical valid value (then Enter), one non-default choice per select
        for el, key in elements:
            fk = key[1:]
            if el.role in TEXT_ROLES:
                add(Action("fill", {"bid": el.bid, "value": field_values(el, obs)[1]}), fk + ("fill", "valid"),
                    (el.bid, "Enter", fk + ("press", "Enter", "valid")))
            opts = choices(el)
            if el.role in SELECT_ROLES and len(opts) > 1:
                add(Action("select_option", {"bid": el.bid, "options": opts[1]}), fk + ("select", 1))
        # 2. clicks, in the order above (deterministic, so a session can be reproduced). An element seen on
        #    another page whose click led to a known page (a nav link) waits until the end.
        known_dest = []
        for el, key in elements:
            if el.role not in TEXT_ROLES | SELECT_ROLES:
                if key[1:4] in self.dest:
                    known_dest.append((el, key))
                else:
                    add(click(el.bid), key + ("click",))
        # 3. the other side: invalid values (submitted too), more choices while they pay, toggles back
        for el, key in elements:
            fk = key[1:]
            if el.role in TEXT_ROLES:
                add(Action("fill", {"bid": el.bid, "value": field_values(el, obs)[0]}), fk + ("fill", "invalid"),
                    (el.bid, "Enter", fk + ("press", "Enter", "invalid")))
            if el.role in SELECT_ROLES and fk not in self.fruitless:
                opts = choices(el)
                for i in (2, 0):
                    if i < len(opts):
                        add(Action("select_option", {"bid": el.bid, "options": opts[i]}), fk + ("select", i))
            if el.role in TOGGLE_ROLES and self.tried[key + ("click",)]:
                add(click(el.bid), key + ("click", 2))
        # 4. hovers (menus open on mouseenter), double-clicks (edit in place), keys in fields and on the page
        for el, key in elements:
            if el.role in HOVER_ROLES - {"link"}:
                add(Action("hover", {"bid": el.bid}), key + ("hover",))
        page = self._page_key(obs)
        seen: Counter = Counter()
        for bid, role, _ in tree_elements(obs.axtree):
            if role in DBLCLICK_ROLES - {"cell"}:  # a row stands for its cells
                seen[role] += 1
                if seen[role] <= 2:  # items of one list share their handler: two tell the story
                    add(click(bid, "dblclick"), (page, role, seen[role], "dblclick"))
        for el, key in elements:
            if el.role in TEXT_ROLES:
                for k in FIELD_KEYS:
                    add(press(el.bid, k), key[1:] + ("press", k))
        target = key_target(obs)
        if target is not None:
            for k in PAGE_KEYS:
                add(press(target, k), (page, "page-key", k))
        # 5. hovers on links (previews, tooltips), clicks that lead to pages already seen
        for el, key in elements:
            if el.role == "link":
                add(Action("hover", {"bid": el.bid}), key + ("hover",))
        for el, key in known_dest:
            if self.dest[key[1:4]] != key[0]:
                add(click(el.bid), key + ("click",))
        return out

    def _leave(self, obs: Observation, ctx: SessionContext, page: str, elements, covered: bool) -> Action:
        """Nothing untried here: go where something is, without wasting steps on resets and backs."""
        last = ctx.history[-1].action if ctx.history else ""
        start = at_start(obs, ctx)
        since_reward = next((i for i, past in enumerate(reversed(ctx.history)) if past.reward), len(ctx.history))
        if covered and self._ok((page, "leave-key", "Escape")):
            target = key_target(obs)
            if target is not None:
                self._mark((page, "leave-key", "Escape"), page)
                return press(target, "Escape")
        path = self._path(page)
        step = next(((el, key) for el, key in elements if key == path[0]), None) if path else None
        if step is not None:  # the first click of the known way to a page with untried actions
            el, key = step
            self._mark(key, page)
            return click(el.bid)
        if not start and not last.startswith("go_back") and self.backs_in_row < 2 and since_reward < self.patience:
            self.backs_in_row += 1
            return Action("go_back", {})
        self.backs_in_row = 0
        if not start and (self.untried.get(self.start_page, 1) > 0
                          or (self.start_page is not None and self._path(self.start_page) is not None)):
            return Action("reset", {})
        if elements:  # everything known is exhausted: revisit the least-tried element (new states may follow)
            el, key = min(elements, key=lambda ek: (self.tried[ek[1] + ("click",)] + self.tried[ek[1] + ("revisit",)],
                                                    self.rng.random()))
            self._mark(key + ("revisit",), page)
            return click(el.bid) if el.role not in TEXT_ROLES | SELECT_ROLES else press(el.bid, "Enter")
        return Action("scroll", {"delta_x": 0.0, "delta_y": 400.0})

    def _path(self, page: str) -> list[tuple] | None:
        """Shortest known click path from `page` to a page with untried actions (breadth-first)."""
        queue, seen = deque([(page, [])]), {page}
        while queue:
            cur, path = queue.popleft()
            if path and self.untried.get(cur, 0) > 0:
                return path
            for key, nxt in sorted(self.edges.get(cur, {}).items()):
                if nxt not in seen and key not in self.failed:
                    seen.add(nxt)
                    queue.append((nxt, path + [key]))
        return None


AGENTS = {"random": RandomAgent, "crawler": CrawlerAgent}
