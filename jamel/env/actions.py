"""Strict parsing of the agent action language.

The model answers ``<action>click('12')</action>``. The action string is
untrusted model output, so it is parsed with ``ast.parse`` only and then
validated node by node against ``ACTION_SPECS``; nothing is ever evaluated
or executed. Any rejection raises ``ActionParseError`` whose message is
stored in the step record and shown back to the model, so messages are
specific and actionable.

``ACTION_SPECS`` is the one place an action is defined: its parameters (with
their checks), its prompt description and its executor, ``run(env, **args)``,
which performs it on a ``jamel.env.browser.BrowserEnv`` through the small
interface that class documents under "actions" (element, reachable, tabs, ...).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

MAX_ACTION_CHARS = 2000  # also bounds every text argument (fill values, messages, urls)
MAX_SCROLL_PX = 10000  # per axis, per scroll() action
MAX_MODIFIERS = 3  # in one key combination
_REQUIRED: Any = object()  # sentinel: parameter has no default
_MODIFIERS = ("Alt", "Control", "ControlOrMeta", "Meta", "Shift")
_BUTTONS = ("left", "middle", "right")


class ActionParseError(ValueError):
    """The action text is not a single valid call of the action grammar."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    # bid | str | float | int | enum | str_or_list | modifiers | key_comb
    kind: str
    default: Any = _REQUIRED
    allowed: tuple[str, ...] = ()  # for enum / modifiers
    min: float | None = None
    max: float | None = None
    allow_empty: bool = False  # e.g. fill('12', '') legitimately clears a field

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def type_doc(self) -> str:
        choices = "|".join(repr(a) for a in self.allowed)
        renamed = {"bid": "str", "key_comb": "str", "enum": choices, "str_or_list": "str | list[str]",
                   "modifiers": f"list[{choices}]"}
        return renamed.get(self.kind, self.kind)  # str, float, int: as named


@dataclass(frozen=True)
class ActionSpec:
    name: str
    params: tuple[ParamSpec, ...]
    description: str
    run: Callable[..., None]  # run(env, **args): performs the action on a BrowserEnv
    navigates: bool = False  # the document may be gone afterwards: its coverage is taken before
    touches_page: bool = True  # False: recorded only, nothing happens in the browser (no settle)


def _spec(name: str, description: str, run: Callable[..., None], *params: ParamSpec,
          **flags: bool) -> tuple[str, ActionSpec]:
    return name, ActionSpec(name, params, description, run, **flags)


def _mods(modifiers: list[str]) -> list[str] | None:
    return list(modifiers) or None  # Playwright: None = no modifier keys


def _bid(name: str = "bid") -> ParamSpec:
    return ParamSpec(name, "bid")


_BUTTON = ParamSpec("button", "enum", "left", _BUTTONS)
_MODS = ParamSpec("modifiers", "modifiers", (), _MODIFIERS)

# Single source of truth for the actions: parsing, validation, canonical rendering, the prompt
# documentation and execution (BrowserEnv calls `run`) are all derived from this table.
ACTION_SPECS: dict[str, ActionSpec] = dict([
    _spec("noop", "Do nothing and wait wait_ms milliseconds (0 to 10000).",
          lambda env, wait_ms: env.page.wait_for_timeout(wait_ms),
          ParamSpec("wait_ms", "float", 1000.0, min=0, max=10000)),
    _spec("scroll", f"Scroll the page by delta_x, delta_y pixels (each -{MAX_SCROLL_PX} to {MAX_SCROLL_PX}).",
          lambda env, delta_x, delta_y: env.page.mouse.wheel(delta_x, delta_y),
          ParamSpec("delta_x", "float", min=-MAX_SCROLL_PX, max=MAX_SCROLL_PX),
          ParamSpec("delta_y", "float", min=-MAX_SCROLL_PX, max=MAX_SCROLL_PX)),
    _spec("fill", "Type value into the input element bid, replacing its content.",
          lambda env, bid, value: env.element(bid).fill(value),
          _bid(), ParamSpec("value", "str", allow_empty=True)),
    _spec("select_option", "Select one or more options of the <select> element bid.",
          lambda env, bid, options: env.element(bid).select_option(options),
          _bid(), ParamSpec("options", "str_or_list")),
    _spec("click", "Click the element bid, optionally with a mouse button and modifier keys.",
          lambda env, bid, button, modifiers: env.reachable(bid).click(button=button, modifiers=_mods(modifiers)),
          _bid(), _BUTTON, _MODS),
    _spec("dblclick", "Double-click the element bid.",
          lambda env, bid, button, modifiers: env.reachable(bid).dblclick(button=button, modifiers=_mods(modifiers)),
          _bid(), _BUTTON, _MODS),
    _spec("hover", "Move the mouse over the element bid.", lambda env, bid: env.reachable(bid).hover(), _bid()),
    _spec("press", "Focus the element bid and press a key combination, e.g. 'Enter' or 'Control+a'.",
          lambda env, bid, key_comb: env.element(bid).press(key_comb),
          _bid(), ParamSpec("key_comb", "key_comb", allowed=_MODIFIERS)),
    _spec("focus", "Focus the element bid.", lambda env, bid: env.element(bid).focus(), _bid()),
    _spec("clear", "Clear the content of the input element bid.", lambda env, bid: env.element(bid).clear(), _bid()),
    _spec("drag_and_drop", "Drag the element from_bid and drop it onto the element to_bid.",
          lambda env, from_bid, to_bid: env.element(from_bid).drag_to(env.element(to_bid)),
          _bid("from_bid"), _bid("to_bid")),
    _spec("upload_file", "Upload one or more files through the file input bid.",
          lambda env, bid, file: env.element(bid).set_input_files(env.upload_paths(file)),
          _bid(), ParamSpec("file", "str_or_list")),
    _spec("tab_close", "Close the current tab.", lambda env: env.close_tab(), navigates=True),
    _spec("tab_focus", "Switch to the tab at position index (0-based).",
          lambda env, index: env.focus_tab(index), ParamSpec("index", "int", min=0)),
    _spec("new_tab", "Open a new empty tab.", lambda env: env.open_tab()),
    _spec("go_back", "Go back in the browser history.",
          lambda env: env.page.go_back(wait_until="load"), navigates=True),
    _spec("go_forward", "Go forward in the browser history.",
          lambda env: env.page.go_forward(wait_until="load"), navigates=True),
    _spec("goto", "Navigate to an http:// or https:// url of the app's own site (same scheme, host and port).",
          lambda env, url: env.navigate(env.page, url), ParamSpec("url", "str"), navigates=True),
    _spec("send_msg_to_user", "Send a message (e.g. the final answer) to the user.",
          lambda env, text: None, ParamSpec("text", "str"), touches_page=False),
    _spec("report_infeasible", "Declare the task infeasible, giving the reason.",
          lambda env, reason: None, ParamSpec("reason", "str"), touches_page=False),
    _spec("reset", "Reset the environment to the start of the task.",
          lambda env: env.back_to_start(), navigates=True),
])


@dataclass(frozen=True)
class Action:
    """A validated action; ``args`` holds every parameter, defaults filled in."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_string(self) -> str:
        """Canonical positional call; trailing defaulted arguments are omitted."""
        spec = ACTION_SPECS.get(self.name)
        if spec is None:
            raise ValueError(f"unknown action {self.name!r}")
        values = [self.args[p.name] for p in spec.params]
        # Drop trailing arguments equal to their default; earlier defaults must
        # stay because the canonical form is positional.
        n = len(values)
        while n and not spec.params[n - 1].required \
                and values[n - 1] == _normalise_default(spec.params[n - 1]):
            n -= 1
        return f"{self.name}({', '.join(repr(v) for v in values[:n])})"


def action_space_doc() -> str:
    """One line per action (signature and description), for the prompt."""
    lines = []
    for spec in ACTION_SPECS.values():
        params = []
        for p in spec.params:
            text = f"{p.name}: {p.type_doc()}"
            if not p.required:
                text += f" = {_normalise_default(p)!r}"
            params.append(text)
        lines.append(f"{spec.name}({', '.join(params)}): {spec.description}")
    return "\n".join(lines)


_ACTION_BLOCK = re.compile(r"<action>((?:(?!<action>).)*?)</action>", re.DOTALL)


def extract_action(model_output: str) -> str:
    """Content of the LAST complete ``<action>...</action>`` block, stripped."""
    blocks = _ACTION_BLOCK.findall(model_output or "")
    if not blocks:
        raise ActionParseError("no <action>...</action> block found; answer with exactly "
                               "one action inside <action></action> tags")
    content = blocks[-1].strip()
    if not content:
        raise ActionParseError("the last <action></action> block is empty")
    return content


def parse_model_output(model_output: str) -> Action:
    """Convenience: ``parse_action(extract_action(model_output))``."""
    return parse_action(extract_action(model_output))


def parse_action(text: str) -> Action:
    """Parse one action call such as ``click('12', button='right')``."""
    if not isinstance(text, str):
        raise ActionParseError(f"action must be a string, got {type(text).__name__}")
    text = text.strip()  # leading whitespace would be an IndentationError
    if not text:
        raise ActionParseError("empty action")
    if len(text) > MAX_ACTION_CHARS:
        raise ActionParseError(f"action is too long ({len(text)} chars, max {MAX_ACTION_CHARS})")
    if _UNTYPEABLE.search(text):
        raise ActionParseError("action must not contain NUL characters or unpaired surrogates")
    try:
        # ast.parse only builds a syntax tree; nothing is compiled to code or run.
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ActionParseError(f"could not parse action ({exc.msg}); expected exactly one "
                               "call like click('12')") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ActionParseError(f"cannot parse action: {exc}") from None

    call = tree.body
    if not isinstance(call, ast.Call):
        raise ActionParseError(f"expected a single function call like click('12'), "
                               f"got {_describe(call)}")
    if not isinstance(call.func, ast.Name):
        raise ActionParseError(f"the called object must be a plain action name, got {_describe(call.func)}")
    name = call.func.id
    spec = ACTION_SPECS.get(name)
    if spec is None:
        raise ActionParseError(f"unknown action {name!r}; valid actions: {', '.join(ACTION_SPECS)}")

    params = {p.name: p for p in spec.params}
    raw: dict[str, Any] = {}
    if len(call.args) > len(spec.params):
        raise ActionParseError(f"{name}() takes at most {len(spec.params)} argument(s), "
                               f"got {len(call.args)}")
    for param, node in zip(spec.params, call.args):
        if isinstance(node, ast.Starred):
            raise ActionParseError(f"{name}(): *args unpacking is not allowed")
        raw[param.name] = _literal(node, name, param.name)
    for kw in call.keywords:
        if kw.arg is None:
            raise ActionParseError(f"{name}(): **kwargs unpacking is not allowed")
        if kw.arg not in params:
            raise ActionParseError(f"{name}() got an unknown argument {kw.arg!r}; "
                                   f"parameters: {', '.join(params) or 'none'}")
        if kw.arg in raw:
            raise ActionParseError(f"{name}() got multiple values for argument {kw.arg!r}")
        raw[kw.arg] = _literal(kw.value, name, kw.arg)

    args: dict[str, Any] = {}
    for param in spec.params:
        if param.name in raw:
            args[param.name] = _coerce(param, raw[param.name], name)
        elif param.required:
            raise ActionParseError(f"{name}() is missing required argument {param.name!r}")
        else:
            args[param.name] = _normalise_default(param)
    return Action(name, args)


def _normalise_default(param: ParamSpec) -> Any:
    # Defaults are stored immutably in the spec; hand out a fresh list each time.
    return list(param.default) if isinstance(param.default, tuple) else param.default


def _describe(node: ast.AST) -> str:
    """Human-readable name of a disallowed syntax node, for error messages."""
    if isinstance(node, ast.Call):
        return "a nested function call"
    if isinstance(node, ast.Name):
        return f"the variable name {node.id!r} (use a quoted string or number)"
    if isinstance(node, ast.Attribute):
        return "an attribute access"
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    if isinstance(node, (ast.BinOp, ast.BoolOp, ast.Compare)):
        return "an operator expression (write the final value as a literal)"
    if isinstance(node, ast.Constant):
        return f"a {type(node.value).__name__} constant"
    return f"a {type(node).__name__} expression"


def _scalar(node: ast.AST, where: str) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (str, int, float, bool):
        return node.value
    # Only a single unary sign directly on a number literal (e.g. -300).
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    raise ActionParseError(f"{where} must be a literal string or number, got {_describe(node)}")


def _literal(node: ast.AST, action: str, param: str) -> Any:
    where = f"{action}(): argument {param!r}"
    if isinstance(node, (ast.List, ast.Tuple)):
        # Flat lists only: nested containers are never meaningful here.
        return [_scalar(elt, f"{where} list element") for elt in node.elts]
    return _scalar(node, where)


def _coerce(param: ParamSpec, value: Any, action: str) -> Any:
    """Type- and range-check one argument value; return its normalised form."""
    where = f"{action}(): argument {param.name!r}"
    kind = param.kind
    if kind == "bid":
        # Models often write click(12); bids are strings, so convert.
        if type(value) is int and value >= 0:
            return str(value)
        if type(value) is not str:
            raise ActionParseError(f"{where} must be an element id string like '12', got {value!r}")
        if not value.strip():
            raise ActionParseError(f"{where} must not be empty")
        return value
    if kind in ("float", "int"):
        ok_types = (int, float) if kind == "float" else (int,)
        if type(value) not in ok_types:
            raise ActionParseError(f"{where} must be {'a number' if kind == 'float' else 'an integer'}"
                                   f", got {value!r}")
        if kind == "float":
            try:
                value = float(value)
            except OverflowError:
                raise ActionParseError(f"{where} is too large") from None
            if not math.isfinite(value):
                raise ActionParseError(f"{where} must be a finite number, got {value!r}")
        if param.min is not None and value < param.min:
            raise ActionParseError(f"{where} must be >= {param.min}, got {value!r}")
        if param.max is not None and value > param.max:
            raise ActionParseError(f"{where} must be <= {param.max}, got {value!r}")
        return value
    if kind == "enum":
        if value not in param.allowed or type(value) is not str:
            raise ActionParseError(f"{where} must be one of {', '.join(map(repr, param.allowed))}"
                                   f", got {value!r}")
        return value
    if kind == "modifiers":
        if not isinstance(value, list):
            raise ActionParseError(f"{where} must be a list such as ['Shift'], got {value!r}")
        for item in value:
            if type(item) is not str or item not in param.allowed:
                raise ActionParseError(f"{where}: invalid modifier {item!r}; allowed: "
                                       f"{', '.join(map(repr, param.allowed))}")
        if len(set(value)) != len(value):
            raise ActionParseError(f"{where} contains a duplicate modifier")
        return value
    if kind == "key_comb":
        if type(value) is not str:
            raise ActionParseError(f"{where} must be a string such as 'Enter', got {value!r}")
        _check_key_comb(value, param.allowed, where)
        return value
    if kind == "str_or_list":
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ActionParseError(f"{where} must not be an empty list")
        for item in items:
            if type(item) is not str or not item.strip():
                raise ActionParseError(f"{where} must be a non-empty string or a list of "
                                       f"non-empty strings, got {item!r}")
            if _UNTYPEABLE.search(item):
                raise ActionParseError(f"{where} must not contain NUL characters or unpaired surrogates")
        return value
    # Plain string parameter.
    if type(value) is not str:
        raise ActionParseError(f"{where} must be a string, got {value!r}")
    if _UNTYPEABLE.search(value):
        raise ActionParseError(f"{where} must not contain NUL characters or unpaired surrogates")
    if not value.strip() and not param.allow_empty:
        raise ActionParseError(f"{where} must not be empty")
    if action == "goto":
        _check_url(value, where)
    return value


_UNTYPEABLE = re.compile("[\x00\ud800-\udfff]")  # no keyboard types them, and UTF-8 cannot carry them
# A key name as Playwright spells it (Enter, ArrowLeft, F5, KeyA, Digit1, Space) or one visible character.
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,19}|[^\s]")


def _check_key_comb(value: str, modifiers: tuple[str, ...], where: str) -> None:
    # 'Shift++' presses '+': a trailing '+' after a separator is the key itself.
    if value == "+":
        key, mods = "+", ""
    elif value.endswith("++"):
        key, mods = "+", value[:-2]
    else:
        mods, _, key = value.rpartition("+")
    mods_list = mods.split("+") if value != "+" and "+" in value else []  # '+a' -> [''] (refused)
    hint = (f"a key such as 'Enter', 'a' or 'Control+Shift+ArrowLeft' (at most {MAX_MODIFIERS} modifiers "
            f"from {', '.join(modifiers)}, then one key)")
    if not _KEY.fullmatch(key):
        raise ActionParseError(f"{where} must be {hint}, got {value!r}")
    if len(mods_list) > MAX_MODIFIERS or len(set(mods_list)) != len(mods_list) \
            or any(m not in modifiers for m in mods_list):
        raise ActionParseError(f"{where} must be {hint}, got {value!r}")


def origin_of(url: str) -> str:
    """`scheme://host:port` of an http(s) URL, default ports made explicit; '' for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{scheme}://{parts.hostname.lower()}:{port or (443 if scheme == 'https' else 80)}"


def check_navigation(action: Action, origin: str) -> None:
    """The environment's half of goto's validation: the URL must be on the app's own origin (the
    grammar cannot know it). Other hosts, other ports of the same host and other schemes are refused."""
    if action.name == "goto" and origin_of(action.args["url"]) != origin_of(origin):
        raise ActionParseError(f"goto(): {action.args['url']!r} is outside the app's site {origin_of(origin)}; "
                               "only its own pages can be opened")


def _check_url(url: str, where: str) -> None:
    # Only web URLs: javascript:, file:, data: etc. could escape the sandbox.
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ActionParseError(f"{where} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ActionParseError(f"{where} must be an absolute http:// or https:// URL, got {url!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ActionParseError(f"{where} must not contain whitespace or control characters")
