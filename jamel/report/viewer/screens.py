"""The exploration map of a session: distinct screens as nodes, the steps between them as edges.

A screen is the page URL plus a structural hash of the observation: the roles and names of the
interactive elements (bids left out, they are renumbered on every observation). Rendered as an SVG on
the server side (layered by first reach from the start screen), so the page needs no graph library.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlsplit

from jamel.env.state import screen_key

@dataclass
class Screen:
    index: int
    url: str
    digest: str
    steps: list[int] = field(default_factory=list)  # steps whose observation was this screen
    reward: int = 0  # reward earned by actions taken on it

    @property
    def label(self) -> str:
        parts = urlsplit(self.url)
        tail = parts.path.rsplit("/", 1)[-1] + (f"#{parts.fragment}" if parts.fragment else "")
        return tail or parts.path or self.url


@dataclass
class Edge:
    src: int
    dst: int
    steps: list[int] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    reward: int = 0
    reset: bool = False


@dataclass
class ScreenGraph:
    screens: list[Screen]
    edges: list[Edge]
    step_screen: dict[int, int]  # step -> screen index


def build_graph(rows: list[dict[str, Any]]) -> ScreenGraph:
    screens: dict[tuple[str, str], Screen] = {}
    step_screen: dict[int, int] = {}
    for r in rows:
        key = screen_key(r["url"], r["observation"])
        sc = screens.get(key)
        if sc is None:
            sc = screens[key] = Screen(len(screens), key[0], key[1])
        sc.steps.append(r["step"])
        sc.reward += int(r["reward"])
        step_screen[r["step"]] = sc.index
    edges: dict[tuple[int, int], Edge] = {}
    for a, b in zip(rows, rows[1:]):
        src, dst = step_screen[a["step"]], step_screen[b["step"]]
        e = edges.setdefault((src, dst), Edge(src, dst))
        e.steps.append(a["step"])
        e.actions.append(a["action"] or "(no action)")
        e.reward += int(a["reward"])
        e.reset = e.reset or a["action"].startswith("reset") or b["episode"] != a["episode"]
    return ScreenGraph(list(screens.values()), list(edges.values()), step_screen)


def _layers(g: ScreenGraph) -> list[list[int]]:
    """Screens by breadth-first distance from the first screen; unreachable ones after the rest."""
    adj: dict[int, list[int]] = {}
    for e in g.edges:
        adj.setdefault(e.src, []).append(e.dst)
    depth = {0: 0} if g.screens else {}
    todo = deque([0] if g.screens else [])
    while todo:
        n = todo.popleft()
        for m in adj.get(n, []):
            if m not in depth:
                depth[m] = depth[n] + 1
                todo.append(m)
    last = max(depth.values(), default=-1)
    for s in g.screens:
        depth.setdefault(s.index, last + 1)
    layers: list[list[int]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for s in g.screens:  # within a layer: order of first visit
        layers[depth[s.index]].append(s.index)
    return layers


def render_svg(g: ScreenGraph, col_w: int = 150, row_h: int = 64, r: int = 15, max_rows: int = 12) -> str:
    """The map as standalone SVG markup; nodes carry data-step (their first step) for the page's script."""
    # Tall layers wrap into extra columns so a 50-step session stays a compact picture.
    cols = [layer[i:i + max_rows] for layer in _layers(g) for i in range(0, len(layer), max_rows)]
    pos = {n: (40 + c * col_w, 56 + i * row_h) for c, col in enumerate(cols) for i, n in enumerate(col)}
    width = max(200, 80 + (len(cols) - 1) * col_w + 60)
    height = max(110, 56 + (max((len(c) for c in cols), default=1) - 1) * row_h + 60)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="exploration map">',
           '<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker>'
           '<marker id="arr-r" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1a7f37"/></marker></defs>']
    for e in g.edges:
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        color, marker = ("#1a7f37", "arr-r") if e.reward else ("#999", "arr")
        w = min(1 + 0.6 * (len(e.steps) - 1), 5)
        dash = ' stroke-dasharray="4 3"' if e.reset else ""
        tip = escape(f"steps {', '.join(map(str, e.steps))}: " + "; ".join(dict.fromkeys(e.actions))
                     + f" (reward {e.reward})")
        if e.src == e.dst:
            d = f"M{x1 - 6},{y1 - r} C{x1 - 26},{y1 - r - 30} {x1 + 26},{y1 - r - 30} {x1 + 6},{y1 - r}"
            lx, ly = x1, y1 - r - 24
        else:
            dx, dy = x2 - x1, y2 - y1
            dist = max((dx * dx + dy * dy) ** 0.5, 1)
            sx, sy = x1 + dx / dist * r, y1 + dy / dist * r
            ex, ey = x2 - dx / dist * (r + 2), y2 - dy / dist * (r + 2)
            # Bend every edge a little (more for edges going back, capped), so a<->b pairs do not overlap.
            off = min(dist * (0.35 if x2 <= x1 else 0.12), 50 if x2 <= x1 else 18)
            cx, cy = (sx + ex) / 2 - dy / dist * off, (sy + ey) / 2 + dx / dist * off
            d = f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}"
            lx, ly = (sx + 2 * cx + ex) / 4, (sy + 2 * cy + ey) / 4
        out.append(f'<g class="edge" data-step="{e.steps[0]}"><title>{tip}</title>'
                   f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{w:.1f}"{dash} marker-end="url(#{marker})"/>')
        if e.reward:
            out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" class="elabel">+{e.reward}</text>')
        out.append("</g>")
    for s in g.screens:
        x, y = pos[s.index]
        fill = "#d6f5dd" if s.reward else "#eef1f5"
        tip = escape(f"screen {s.index}: {s.url} [{s.digest}]\nsteps {', '.join(map(str, s.steps))}; reward {s.reward}")
        label = s.label if len(s.label) <= 20 else s.label[:19] + "…"
        out.append(f'<g class="node" data-step="{s.steps[0]}" data-screen="{s.index}"><title>{tip}</title>'
                   f'<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}" stroke="{"#1a7f37" if s.reward else "#667"}"/>'
                   f'<text x="{x}" y="{y + 4}" class="nlabel">{s.index}</text>'
                   f'<text x="{x}" y="{y + r + 12}" class="ulabel">{escape(label)}</text></g>')
    out.append("</svg>")
    return "".join(out)
