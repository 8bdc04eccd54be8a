"""Tests for jamel.env.actions: the strict action parser."""

from __future__ import annotations

import ast
import builtins
import sys
from pathlib import Path

import pytest

# Allow `python -m pytest /work/main/tests/...` from any working directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jamel.env import actions  # noqa: E402
from jamel.env.actions import (  # noqa: E402
    ACTION_SPECS,
    Action,
    ActionParseError,
    action_space_doc,
    extract_action,
    parse_action,
    parse_model_output,
)

# (text, expected name, expected fully-normalised args)
VALID = [
    ("noop()", "noop", {"wait_ms": 1000.0}),
    ("noop(500)", "noop", {"wait_ms": 500.0}),
    ("noop(wait_ms=0)", "noop", {"wait_ms": 0.0}),
    ("noop(10000.0)", "noop", {"wait_ms": 10000.0}),
    ("scroll(0, 200)", "scroll", {"delta_x": 0.0, "delta_y": 200.0}),
    ("scroll(delta_x=-50.5, delta_y=-3)", "scroll", {"delta_x": -50.5, "delta_y": -3.0}),
    ("scroll(+1, 2)", "scroll", {"delta_x": 1.0, "delta_y": 2.0}),
    ("fill('12', 'hello world')", "fill", {"bid": "12", "value": "hello world"}),
    ("fill(bid='a7', value='')", "fill", {"bid": "a7", "value": ""}),
    ('fill("3", "it\'s \\"quoted\\"\\n")', "fill", {"bid": "3", "value": 'it\'s "quoted"\n'}),
    ("select_option('5', 'Red')", "select_option", {"bid": "5", "options": "Red"}),
    ("select_option('5', ['Red', 'Blue'])", "select_option",
     {"bid": "5", "options": ["Red", "Blue"]}),
    ("select_option(options=('Red',), bid='5')", "select_option",
     {"bid": "5", "options": ["Red"]}),
    ("click('12')", "click", {"bid": "12", "button": "left", "modifiers": []}),
    ("click(12)", "click", {"bid": "12", "button": "left", "modifiers": []}),
    ("click('12', 'right')", "click", {"bid": "12", "button": "right", "modifiers": []}),
    ("click('12', button='middle', modifiers=['Control', 'Shift'])", "click",
     {"bid": "12", "button": "middle", "modifiers": ["Control", "Shift"]}),
    ("click(bid='12', modifiers=['ControlOrMeta'])", "click",
     {"bid": "12", "button": "left", "modifiers": ["ControlOrMeta"]}),
    ("click('12',)", "click", {"bid": "12", "button": "left", "modifiers": []}),
    ("click(\n  '12'\n)  # comment", "click", {"bid": "12", "button": "left", "modifiers": []}),
    ("dblclick('9')", "dblclick", {"bid": "9", "button": "left", "modifiers": []}),
    ("dblclick('9', 'left', ['Alt', 'Meta'])", "dblclick",
     {"bid": "9", "button": "left", "modifiers": ["Alt", "Meta"]}),
    ("hover('4')", "hover", {"bid": "4"}),
    ("hover(bid=4)", "hover", {"bid": "4"}),
    ("press('4', 'Enter')", "press", {"bid": "4", "key_comb": "Enter"}),
    ("press(bid='4', key_comb='Control+a')", "press", {"bid": "4", "key_comb": "Control+a"}),
    ("focus('x1')", "focus", {"bid": "x1"}),
    ("clear('x1')", "clear", {"bid": "x1"}),
    ("drag_and_drop('1', '2')", "drag_and_drop", {"from_bid": "1", "to_bid": "2"}),
    ("drag_and_drop(to_bid=2, from_bid=1)", "drag_and_drop", {"from_bid": "1", "to_bid": "2"}),
    ("upload_file('7', 'a.pdf')", "upload_file", {"bid": "7", "file": "a.pdf"}),
    ("upload_file('7', file=['a.pdf', 'b.png'])", "upload_file",
     {"bid": "7", "file": ["a.pdf", "b.png"]}),
    ("tab_close()", "tab_close", {}),
    ("tab_focus(0)", "tab_focus", {"index": 0}),
    ("tab_focus(index=3)", "tab_focus", {"index": 3}),
    ("new_tab()", "new_tab", {}),
    ("go_back()", "go_back", {}),
    ("go_forward()", "go_forward", {}),
    ("goto('https://example.com/a?b=1#c')", "goto", {"url": "https://example.com/a?b=1#c"}),
    ("goto(url='http://localhost:8080')", "goto", {"url": "http://localhost:8080"}),
    ("send_msg_to_user('The answer is 42')", "send_msg_to_user", {"text": "The answer is 42"}),
    ("send_msg_to_user(text='ünïcødé ✓')", "send_msg_to_user", {"text": "ünïcødé ✓"}),
    ("report_infeasible('no such page')", "report_infeasible", {"reason": "no such page"}),
    ("reset()", "reset", {}),
    ("   click('12')   ", "click", {"bid": "12", "button": "left", "modifiers": []}),
]


@pytest.mark.parametrize("text,name,args", VALID)
def test_valid_actions(text: str, name: str, args: dict) -> None:
    action = parse_action(text)
    assert action == Action(name, args)


@pytest.mark.parametrize("text", [t for t, _, _ in VALID])
def test_round_trip(text: str) -> None:
    action = parse_action(text)
    rendered = action.to_string()
    assert parse_action(rendered) == action
    assert parse_action(rendered).to_string() == rendered  # canonical form is a fixed point
    assert not ast.parse(rendered, mode="eval").body.keywords  # keyword-free form


def test_every_action_has_a_valid_example() -> None:
    assert {name for _, name, _ in VALID} == set(ACTION_SPECS)


def test_canonical_forms() -> None:
    assert parse_action("click(12)").to_string() == "click('12')"
    assert parse_action("click('12', button='left')").to_string() == "click('12')"
    assert parse_action("click('1', modifiers=['Shift'])").to_string() == \
        "click('1', 'left', ['Shift'])"
    assert parse_action("noop(wait_ms=1000)").to_string() == "noop()"
    assert parse_action("noop(5)").to_string() == "noop(5.0)"
    assert parse_action("scroll(0, -100)").to_string() == "scroll(0.0, -100.0)"
    assert parse_action("reset()").to_string() == "reset()"
    assert parse_action("fill('1', \"it's\")").to_string() == "fill('1', \"it's\")"


def test_default_modifiers_not_shared() -> None:
    a, b = parse_action("click('1')"), parse_action("click('2')")
    a.args["modifiers"].append("Shift")
    assert b.args["modifiers"] == []
    assert parse_action("click('3')").args["modifiers"] == []


def test_action_is_frozen() -> None:
    action = parse_action("click('1')")
    with pytest.raises(AttributeError):
        action.name = "hover"  # type: ignore[misc]


def test_action_space_doc() -> None:
    doc = action_space_doc()
    lines = doc.splitlines()
    assert len(lines) == len(ACTION_SPECS)
    for line, spec in zip(lines, ACTION_SPECS.values()):
        assert line.startswith(spec.name + "(")
        assert spec.description in line
    assert "click(bid: str, button: 'left'|'middle'|'right' = 'left'" in doc
    assert "'ControlOrMeta'" in doc
    assert "noop(wait_ms: float = 1000.0)" in doc


# --- extract_action ---------------------------------------------------------

def test_extract_single_block() -> None:
    assert extract_action("I will click.\n<action> click('12') </action>") == "click('12')"


def test_extract_last_block() -> None:
    out = "<action>click('1')</action> hmm, actually\n<action>\nhover('2')\n</action> done"
    assert extract_action(out) == "hover('2')"


def test_extract_ignores_unclosed_trailing_block() -> None:
    assert extract_action("<action>click('1')</action><action>click('2')") == "click('1')"


def test_extract_innermost_when_nested_open_tags() -> None:
    assert extract_action("<action>junk <action>click('3')</action>") == "click('3')"


@pytest.mark.parametrize("out", [
    "", "click('12')", "<action>click('1')", "click('1')</action>",
    "<act>click('1')</act>", "<action>   </action>", "<action></action>",
])
def test_extract_errors(out: str) -> None:
    with pytest.raises(ActionParseError):
        extract_action(out)


def test_parse_model_output() -> None:
    assert parse_model_output("think...\n<action>tab_focus(1)</action>") == \
        Action("tab_focus", {"index": 1})
    with pytest.raises(ActionParseError):
        parse_model_output("<action>click(bid)</action>")


# --- hostile / invalid inputs ----------------------------------------------

HOSTILE = [
    # code execution attempts
    "__import__('os').system('x')",
    "exec('x')",
    "eval('1')",
    "open('x')",
    "compile('1', 'f', 'exec')",
    "os.system('ls')",
    "click('1').x",
    "click(__import__('os').system('x'))",
    "click(open('/etc/passwd').read())",
    "click(bid=exec('x'))",
    "lambda: 1",
    "click(lambda: 1)",
    "[click('1')]",
    "(click('1'), click('2'))",
    "click('1'); click('2')",
    "click('1')\nclick('2')",
    "x = click('1')",
    "(x := click('1'))",
    "click((x := '1'))",
    "import os",
    "click('1') if True else hover('2')",
    "click(*a)",
    "click(*['1'])",
    "click(**{'bid': '1'})",
    "click('1', **kw)",
    "getattr(click, 'x')('1')",
    "click['1']",
    "click('1')('2')",
    "click(['1'][0])",
    "click({'a': 1})",
    "click({'1'})",
    "click([x for x in '1'])",
    "click(x for x in '1')",
    "click(b'12')",
    "click(None)",
    "click(...)",
    "click(1j)",
    "click(True)",
    "await click('1')",
    "yield click('1')",
    # non-literal values
    "click(bid)",
    "click(f'{x}')",
    "click(f'1')",
    "click('1'+'2')",
    "noop(10**9)",
    "noop(--1)",
    "noop(-(1))",
    "noop(~1)",
    "click(not '1')",
    "click('1', modifiers=['Shift'] + ['Alt'])",
    # structure
    "",
    "   ",
    "click",
    "click()",
    "'click(1)'",
    "42",
    "unknown_action('1')",
    "Click('1')",
    "scroll(1)",
    "scroll(1, 2, 3)",
    "click('1', 'left', [], 'extra')",
    "click('1', button='left', button='right')",
    "click('1', bid='2')",
    "click('1', target='x')",
    "reset(1)",
    "tab_close(0)",
    "fill('1')",
    "drag_and_drop('1')",
    # types and ranges
    "click('')",
    "click('   ')",
    "click(-1)",
    "click(1.5)",
    "click(['1'])",
    "noop('1000')",
    "noop(True)",
    "noop(1e309)",
    "noop(-1e309)",
    "noop(-1)",
    "noop(10001)",
    "noop(1e10)",
    "noop(" + "9" * 400 + ")",
    "scroll(1e309, 0)",
    "scroll('1', 2)",
    "scroll([1], 2)",
    "tab_focus(-1)",
    "tab_focus(1.0)",
    "tab_focus('1')",
    "tab_focus(True)",
    "click('1', button='top')",
    "click('1', button='LEFT')",
    "click('1', button=1)",
    "click('1', modifiers=['Hyper'])",
    "click('1', modifiers='Shift')",
    "click('1', modifiers=['Shift', 'Shift'])",
    "click('1', modifiers=[1])",
    "click('1', modifiers=[['Shift']])",
    "dblclick('1', 'left', ['shift'])",
    "select_option('1', [])",
    "select_option('1', ['a', 2])",
    "select_option('1', '')",
    "select_option('1', [['a']])",
    "upload_file('1', [])",
    "upload_file('1', 5)",
    "fill('1', 5)",
    "fill('1', ['a'])",
    "press('1', '')",
    "send_msg_to_user('')",
    "send_msg_to_user(42)",
    "report_infeasible('  ')",
    # URLs
    "goto('javascript:alert(1)')",
    "goto('JavaScript:alert(1)')",
    "goto('file:///etc/passwd')",
    "goto('data:text/html,<script>alert(1)</script>')",
    "goto('chrome://settings')",
    "goto('about:blank')",
    "goto('ftp://example.com')",
    "goto('example.com')",
    "goto('//example.com')",
    "goto('http://')",
    "goto('https://exa mple.com')",
    "goto('http://a.com/\\x00')",
    "goto('http://[::1')",
    # nesting and size
    "click(" + "[" * 50 + "'1'" + "]" * 50 + ")",
    "click(" + "[" * 500 + "'1'" + "]" * 500 + ")",
    "click(" + "(" * 300 + "'1'" + ")" * 300 + ")",
    "send_msg_to_user('" + "a" * 5000 + "')",
    "x" * 5000,
    "click('1\x00')",
    "click('1'",
    "click('1'))",
    "<action>click('1')</action>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_inputs_rejected(text: str) -> None:
    with pytest.raises(ActionParseError) as info:
        parse_action(text)
    assert str(info.value)  # always a non-empty, displayable message


@pytest.mark.parametrize("bad", [None, 12, b"click('1')", ["click('1')"]])
def test_non_string_input_rejected(bad: object) -> None:
    with pytest.raises(ActionParseError):
        parse_action(bad)  # type: ignore[arg-type]


def test_action_parse_error_is_value_error() -> None:
    assert issubclass(ActionParseError, ValueError)


@pytest.mark.parametrize("text,fragment", [
    ("click(bid)", "variable name 'bid'"),
    ("click()", "missing required argument 'bid'"),
    ("scroll(1)", "missing required argument 'delta_y'"),
    ("click('1', 'left', [], 2)", "at most 3"),
    ("click('1', target='x')", "unknown argument 'target'"),
    ("click('1', bid='2')", "multiple values for argument 'bid'"),
    ("click('1', button='top')", "'left', 'middle', 'right'"),
    ("click('1', modifiers=['Hyper'])", "invalid modifier 'Hyper'"),
    ("noop(20000)", "<= 10000"),
    ("noop(1e309)", "finite"),
    ("tab_focus(-1)", ">= 0"),
    ("goto('javascript:alert(1)')", "http:// or https://"),
    ("frobnicate()", "unknown action 'frobnicate'"),
    ("os.system('x')", "plain action name"),
    ("click(f'{x}')", "f-string"),
    ("click(**{'bid': '1'})", "**kwargs"),
    ("click(*a)", "*args"),
    ("click('1'); click('2')", "could not parse action"),
    ("click('1'+'2')", "operator expression"),
    ("x" * 2001, "too long"),
])
def test_error_messages_are_specific(text: str, fragment: str) -> None:
    with pytest.raises(ActionParseError) as info:
        parse_action(text)
    assert fragment in str(info.value)


def test_length_limit_boundary() -> None:
    text = "send_msg_to_user('" + "a" * (actions.MAX_ACTION_CHARS - 20) + "')"
    assert len(text) == actions.MAX_ACTION_CHARS
    assert parse_action(text).name == "send_msg_to_user"
    with pytest.raises(ActionParseError):
        parse_action(text[:-2] + "a')")


# --- no side effects ----------------------------------------------------------

def test_parsing_has_no_side_effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "pwned"
    # Fail loudly if the parser ever reaches for eval/exec.
    def forbidden(*_a: object, **_k: object) -> None:
        raise AssertionError("parser must not call eval/exec")
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    payloads = [
        f"open({str(target)!r}, 'w').write('x')",
        f"__import__('os').system('touch {target}')",
        f"click(open({str(target)!r}, 'w').write('x'))",
        f"click('1', button=__import__('pathlib').Path({str(target)!r}).touch())",
        f"exec(\"open({str(target)!r}, 'w')\")",
        f"fill('1', open({str(target)!r}, 'w').name)",
    ]
    for payload in payloads:
        with pytest.raises(ActionParseError):
            parse_action(payload)
        with pytest.raises(ActionParseError):
            parse_model_output(f"<action>{payload}</action>")
    assert not target.exists()


def test_module_never_calls_eval_exec_compile() -> None:
    tree = ast.parse(Path(actions.__file__).read_text())
    banned = {"eval", "exec", "compile", "__import__", "literal_eval"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "re":
                continue  # re.compile builds a regex, not code
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            assert name not in banned, f"actions.py calls {name}"


# --- bounds and the environment's origin rule (issue 9 §3) ----------------------------------------

@pytest.mark.parametrize("text", [
    "scroll(0, 10001)", "scroll(-10001, 0)", "scroll(0, 1e9)",
    "press('1', 'Control+Shift+Alt+Meta+a')", "press('1', 'Shift+Shift+a')", "press('1', 'a+b')",
    "press('1', 'Control+')", "press('1', '+a')", "press('1', 'NotAKeyNameThatIsThisLong')", "press('1', 'Enter Enter')",
    "fill('1', 'a\\x00b')", "fill('1', '\\ud800')", "select_option('1', ['ok', '\\udfff'])",
    "send_msg_to_user('\ud800')", "noop(10\x00)",
])
def test_bounds_are_refused(text: str) -> None:
    with pytest.raises(ActionParseError):
        parse_action(text)


@pytest.mark.parametrize("key", ["Enter", "a", "+", "Shift++", "Control+a", "Control+Shift+ArrowLeft", "F12", "é"])
def test_key_combinations_accepted(key: str) -> None:
    assert parse_action(f"press('1', {key!r})").args["key_comb"] == key


def test_goto_origin_rule() -> None:
    origin = "http://127.0.0.1:8123/app/index.html"
    ok = parse_action("goto('http://127.0.0.1:8123/other/page.html?x=1')")
    actions.check_navigation(ok, origin)
    actions.check_navigation(parse_action("click('1')"), origin)  # only goto is concerned
    for url in ["http://127.0.0.1:8124/app/index.html", "http://localhost:8123/app/index.html",
                "https://127.0.0.1:8123/app/index.html", "http://example.com/"]:
        with pytest.raises(ActionParseError, match="outside the app's site"):
            actions.check_navigation(parse_action(f"goto({url!r})"), origin)
    assert actions.origin_of("HTTP://Example.com/x") == "http://example.com:80"
    assert actions.origin_of("javascript:alert(1)") == actions.origin_of("file:///etc/passwd") == ""
