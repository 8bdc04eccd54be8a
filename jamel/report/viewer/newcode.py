"""Why a step paid: the code that ran for the first time in the session at that step.

Computed from the recorded V8 takes (`coverage_takes.jsonl.zst`, read through `scorer.read_takes`). Each
take holds, per script, V8 block coverage: function ranges with nested block ranges, each with the
count since the previous take; the innermost range around an offset gives its count. For each step:
- new functions: (script, function range) pairs with a count > 0 not seen earlier in the session;
- new lines: source lines holding code whose offsets ran now and never before in the session.
This is a reading aid next to C(t) (which is monocart's Istanbul count), not a second reward.
"""
from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

Interval = tuple[int, int]  # [start, end) in the script's UTF-16 offsets (V8 source positions)


def executed_intervals(functions: list[dict[str, Any]]) -> list[Interval]:
    """Offsets that ran in one take of one script: the innermost range around an offset decides."""
    ranges = sorted(((r["startOffset"], r["endOffset"], r["count"]) for fn in functions for r in fn["ranges"]),
                    key=lambda r: (r[0], -r[1]))
    # Sweep over range boundaries with a stack of open ranges (V8's ranges nest).
    out, stack, pos = [], [], 0

    def segment(a: int, b: int, count: int) -> None:
        if b > a and count > 0:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))

    for start, end, count in ranges + [(math.inf, math.inf, 0)]:  # the sentinel closes every open range
        while stack and stack[-1][1] <= start:
            _, top_end, top_count = stack.pop()
            segment(pos, top_end, top_count)
            pos = top_end
        if stack:
            segment(pos, start, stack[-1][2])
        pos = start
        stack.append((start, end, count))
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """a minus b (both sorted, disjoint)."""
    out, j = [], 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k, cur = j, s
        while k < len(b) and b[k][0] < e:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def union(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(a + b):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


@dataclass
class _Script:
    url: str
    lines: list[str]  # source split into lines (Python strings)
    starts: list[int]  # UTF-16 offset of every line start
    covered: list[Interval] = field(default_factory=list)
    functions: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def of(cls, url: str, source: str) -> "_Script":
        lines = source.split("\n")
        # V8 offsets count UTF-16 code units: characters outside the BMP take two.
        sizes = [(len(line) if line.isascii() else len(line.encode("utf-16-le")) // 2) + 1 for line in lines]
        return cls(url, lines, list(itertools.accumulate(sizes[:-1], initial=0)))

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1  # 0-based

    def has_code(self, lineno: int, s: int, e: int) -> bool:
        """Whether the part of line `lineno` inside [s, e) holds code (not blanks, brackets, comments)."""
        text, start = self.lines[lineno], self.starts[lineno]
        if text.isascii():
            text = text[max(0, s - start): max(0, e - start)]
        text = text.strip()
        return bool(text.strip("{}();,")) and not text.startswith(("//", "/*", "*"))


@dataclass
class StepCode:
    """The newly covered code of one step (capped for display; totals are exact)."""

    functions: list[dict[str, Any]] = field(default_factory=list)  # {name, url, line}
    lines: list[dict[str, Any]] = field(default_factory=list)  # {url, line, text}
    n_functions: int = 0
    n_lines: int = 0


def short_url(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[-1]


def new_code_per_step(steps: Iterable[tuple[int, list[Any]]], max_functions: int = 25, max_lines: int = 40,
                      max_line_chars: int = 160) -> dict[int, StepCode]:
    """step -> StepCode for `read_takes`-style input: (step, [ScriptTake(key, url, functions, source)])."""
    scripts: dict[str, _Script] = {}
    out: dict[int, StepCode] = {}
    for step, takes in steps:
        code = StepCode()
        for take in takes:
            sc = scripts.get(take.key)
            if sc is None:
                if take.source is None:  # a source that never arrived: nothing to show for it
                    continue
                sc = scripts[take.key] = _Script.of(take.url, take.source)
            for fn in take.functions:
                if not fn["ranges"]:
                    continue
                r0 = fn["ranges"][0]
                rng = (r0["startOffset"], r0["endOffset"])
                if r0["count"] > 0 and rng not in sc.functions:
                    sc.functions.add(rng)
                    code.n_functions += 1
                    if len(code.functions) < max_functions:
                        name = fn.get("functionName") or ("(top-level)" if rng[0] == 0 else "(anonymous)")
                        code.functions.append({"name": name, "url": short_url(sc.url), "line": sc.line_of(rng[0]) + 1})
            fresh = subtract(executed_intervals(take.functions), sc.covered)
            if not fresh:
                continue
            sc.covered = union(sc.covered, fresh)
            seen = {ln for s, e in fresh for ln in range(sc.line_of(s), sc.line_of(max(s, e - 1)) + 1)
                    if sc.has_code(ln, s, e)}
            code.n_lines += len(seen)
            for ln in sorted(seen)[: max(0, max_lines - len(code.lines))]:
                text = sc.lines[ln].strip()
                if len(text) > max_line_chars:
                    text = text[:max_line_chars] + " …"
                code.lines.append({"url": short_url(sc.url), "line": ln + 1, "text": text})
        out[step] = code
    return out


def takes_file(session_dir: Path) -> Path | None:
    """The session's recorded takes, whatever compression the recorder chose."""
    return next((p for p in sorted(session_dir.glob("coverage_takes*")) if p.is_file()), None)


def session_new_code(session_dir: Path, **caps) -> dict[int, StepCode]:
    from jamel.env.coverage.scorer import read_takes

    path = takes_file(session_dir)
    return new_code_per_step(read_takes(path), **caps) if path else {}
