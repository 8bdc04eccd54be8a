"""Small line charts as inline SVG markup (no plotting library in the page, no image files)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


@dataclass
class Series:
    label: str
    ys: list[float]  # y at x = 1..len(ys)
    band: list[float] = field(default_factory=list)  # +- this around ys (empty: none)
    step: bool = False  # draw as a step function (cumulative counts)
    dashed: bool = False


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    return [round(start + i * step, 6) for i in range(int((hi - start) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.3g}"


def line_chart(series: list[Series], title: str = "", xlabel: str = "step", ylabel: str = "",
               width: int = 640, height: int = 300, right: list[Series] | None = None, right_label: str = "",
               marks: list[int] | None = None) -> str:
    """Series against x = 1..n; `right` series use a second y axis; `marks` draw dotted vertical lines."""
    right = right or []
    ml, mr, mt, mb = 56, 60 if right else 16, 28 if title else 12, 60
    pw, ph = width - ml - mr, height - mt - mb
    n = max((len(s.ys) for s in series + right), default=1)

    def yrange(ss: list[Series]) -> tuple[float, float]:
        vals = [y + b for s in ss for y, b in zip(s.ys, s.band or [0] * len(s.ys))] + [y for s in ss for y in s.ys]
        lo = min([0.0] + [y - b for s in ss for y, b in zip(s.ys, s.band or [0] * len(s.ys))])
        hi = max(vals, default=1.0)
        return lo, hi if hi > lo else lo + 1

    def sx(x: float) -> float:
        return ml + (x - 1) / max(n - 1, 1) * pw

    def scaler(lo: float, hi: float):
        return lambda y: mt + ph - (y - lo) / (hi - lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or ylabel)}">']
    if title:
        out.append(f'<text x="{ml + pw / 2}" y="16" text-anchor="middle" class="ctitle">{escape(title)}</text>')
    lo, hi = yrange(series)
    sy = scaler(lo, hi)
    for t in _ticks(lo, hi):
        y = sy(t)
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_fmt(t)}</text>')
    for t in _ticks(1, n, 8) if n > 1 else [1]:
        if t != int(t):
            continue
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{mt + ph}" y2="{mt + ph + 4}" class="axis"/>'
                   f'<text x="{x:.1f}" y="{mt + ph + 16}" text-anchor="middle" class="tick">{int(t)}</text>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" class="axis"/>')
    out.append(f'<text x="{ml + pw / 2}" y="{mt + ph + 32}" text-anchor="middle" class="alabel">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(14,{mt + ph / 2}) rotate(-90)" text-anchor="middle" class="alabel">'
               f'{escape(ylabel)}</text>')
    for m in marks or []:
        out.append(f'<line x1="{sx(m):.1f}" x2="{sx(m):.1f}" y1="{mt}" y2="{mt + ph}" class="mark"/>')

    def path(s: Series, scale) -> str:
        pts: list[tuple[float, float]] = []
        for i, y in enumerate(s.ys):
            if s.step and pts:
                pts.append((sx(i + 1), pts[-1][1]))
            pts.append((sx(i + 1), scale(y)))
        return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(pts))

    legend: list[tuple[str, str, bool]] = []
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        if s.band:
            up = [(sx(i + 1), sy(y + b)) for i, (y, b) in enumerate(zip(s.ys, s.band))]
            dn = [(sx(i + 1), sy(y - b)) for i, (y, b) in enumerate(zip(s.ys, s.band))]
            poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in up + dn[::-1])
            out.append(f'<polygon points="{poly}" fill="{color}" fill-opacity="0.15" stroke="none"/>')
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(f'<path d="{path(s, sy)}" fill="none" stroke="{color}" stroke-width="2"{dash}>'
                   f'<title>{escape(s.label)}: {_fmt(s.ys[-1]) if s.ys else ""} at step {len(s.ys)}</title></path>')
        legend.append((s.label, color, s.dashed))
    if right:
        rlo, rhi = yrange(right)
        ry = scaler(rlo, rhi)
        for t in _ticks(rlo, rhi):
            out.append(f'<text x="{ml + pw + 6}" y="{ry(t) + 4:.1f}" class="tick">{_fmt(t)}</text>')
        out.append(f'<text transform="translate({width - 10},{mt + ph / 2}) rotate(90)" text-anchor="middle" '
                   f'class="alabel">{escape(right_label)}</text>')
        for k, s in enumerate(right, start=len(series)):
            color = PALETTE[k % len(PALETTE)]
            dash = ' stroke-dasharray="5 3"' if s.dashed else ""
            out.append(f'<path d="{path(s, ry)}" fill="none" stroke="{color}" stroke-width="1.5"{dash}/>')
            legend.append((s.label, color, s.dashed))
    x = ml
    for label, color, dashed in legend:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        out.append(f'<line x1="{x}" x2="{x + 18}" y1="{height - 10}" y2="{height - 10}" stroke="{color}" '
                   f'stroke-width="2"{dash}/><text x="{x + 22}" y="{height - 6}" class="legend">{escape(label)}</text>')
        x += 30 + 7 * len(label)
    out.append("</svg>")
    return "".join(out)
