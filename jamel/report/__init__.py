"""Paper-style reports from evaluation (or explore) outputs; several runs merge into one panel.

    jamel report RUN_DIR [RUN_DIR ...] --output DIR

A run folder holds method folders (`<method>/<app>/session_<k>/summary.json`, as written by
`jamel.rollout.eval`), or is itself one explore run (`<app>/session_<k>/...`, the method is then its agent).
Writes results.csv, results.md, fig_reward_curve.png (mean cumulative reward against step, band =
std across apps: the paper's Figure 2 form) and fig_per_app.png (per-app finals: Figure 3 form). On a
test10 panel the paper's Table 1/2 values are added as reference rows marked as published (only when every
method has all ten apps at 50 steps).

A session shorter than the reported step (a run with a smaller T) is left out of every number, with a
warning in results.md and on the console naming it: a cumulative reward held flat past its last step
would compare unequal horizons. `--max-steps` reports at an earlier step (longer curves are cut there).
"""
from __future__ import annotations

import csv
import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from jamel.config import opt
from jamel.corpus import load_splits

REFERENCE = Path(__file__).resolve().parent.parent / "configs" / "paper_reference.json"


def mean_curve(curves: list[list[float]], steps: int) -> list[float]:
    """Mean per step of cumulative curves cut to `steps` (ValueError for a shorter one: see `at_step`)."""
    if any(len(c) < steps for c in curves):
        raise ValueError(f"a curve is shorter than step {steps}: leave its session out (at_step)")
    return [statistics.fmean(col) for col in zip(*(c[:steps] for c in curves))]


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and population std (0 for a single value): the across-apps statistics of every report."""
    values = list(values)
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


@dataclass
class MethodResult:
    method: str
    apps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # app -> session summaries

    def app_curve(self, app: str, steps: int) -> list[float]:
        """Mean cumulative reward per step over the app's sessions."""
        return mean_curve([s["cumulative_reward_curve"] for s in self.apps[app]], steps)

    def band(self, steps: int) -> tuple[list[float], list[float]]:
        """Per-step mean and std across apps of the apps' mean curves (the Figure 2 form)."""
        stats = [mean_std(col) for col in zip(*(self.app_curve(a, steps) for a in sorted(self.apps)))]
        return [m for m, _ in stats], [s for _, s in stats]

    def stats(self, steps: int) -> dict[str, Any]:
        """The method's row of every results table: finals at `steps`, mean and std across apps, tokens."""
        finals = {app: self.app_curve(app, steps)[-1] for app in sorted(self.apps)}
        sums = [s for ss in self.apps.values() for s in ss]
        tok, nsteps = sum(s.get("input_tokens", 0) for s in sums), sum(s["steps"] for s in sums)
        mean, std = mean_std(finals.values())
        return {"apps": len(finals), "sessions": len(sums), "mean": mean, "std": std, "input_tokens": tok,
                "tokens_per_step": tok / nsteps if nsteps else 0.0, "per_app": finals}


def session_dirs(folder: Path) -> list[Path]:
    """The finished sessions (`<app>/session_<k>/summary.json`) under `folder`, by app and k."""
    dirs = [p.parent for p in folder.glob("*/session_*/summary.json") if p.parent.name[8:].isdigit()]
    return sorted(dirs, key=lambda d: (d.parent.name, int(d.name[8:])))


def run_methods(run: Path) -> list[tuple[str, list[Path]]]:
    """(method, session folders) of an eval run (`<method>/<app>/session_k`) or of an explore run
    (`<app>/session_k`; its method is its agent)."""
    if not run.is_dir():
        raise FileNotFoundError(f"no run folder {run}")
    direct = session_dirs(run)
    if direct:
        return [(json.loads((direct[0] / "summary.json").read_text()).get("agent") or run.name, direct)]
    return [(m.name, dirs) for m in sorted(run.iterdir()) if m.is_dir() and (dirs := session_dirs(m))]


def collect(run_dirs: list[Path]) -> dict[str, MethodResult]:
    """The session summaries of every method; a method met in several runs merges into one."""
    methods: dict[str, MethodResult] = {}
    for run in run_dirs:
        for name, dirs in run_methods(run):
            res = methods.setdefault(name, MethodResult(name))
            for d in dirs:
                s = json.loads((d / "summary.json").read_text())
                res.apps.setdefault(s["app"], []).append(s)
    if not methods:
        raise ValueError(f"no session summaries under {[str(r) for r in run_dirs]}")
    return methods


def at_step(methods: dict[str, MethodResult], steps: int) -> tuple[dict[str, MethodResult], list[str]]:
    """Every method with only its sessions that reach `steps` (a method left with none is dropped), and the
    warning lines naming the sessions left out."""
    kept, short = {}, []
    for name, m in methods.items():
        for app, sums in m.apps.items():
            for s in sums:
                if s["steps"] >= steps:
                    kept.setdefault(name, MethodResult(m.method)).apps.setdefault(app, []).append(s)
                else:
                    short.append(f"{m.method} {s.get('session_id') or app + '/session_' + str(s.get('session'))} "
                                 f"({s['steps']} steps)")
    return kept, short


def short_warning(short: list[str], steps: int) -> str:
    return (f"{len(short)} session(s) shorter than step {steps} left out of every number (a cumulative reward "
            f"cannot be read at a step its session never reached): " + "; ".join(short)) if short else ""


def build_report(run_dirs: list[Path], output: Path, max_steps: int | None = None) -> dict[str, Any]:
    everything = collect(run_dirs)
    steps = max_steps or max(s["steps"] for m in everything.values() for ss in m.apps.values() for s in ss)
    methods, short = at_step(everything, steps)
    if not methods:
        raise ValueError(f"no session reaches step {steps}; report at an earlier one (--max-steps)")
    output.mkdir(parents=True, exist_ok=True)
    rows, table = [], {}
    for m in methods.values():
        table[m.method] = m.stats(steps)
        for app, v in table[m.method]["per_app"].items():
            rows.append({"method": m.method, "app": app, "sessions": len(m.apps[app]),
                         f"cumulative_reward_at_{steps}": round(v, 3)})
    with open(output / "results.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    all_apps = sorted({a for m in methods.values() for a in m.apps})
    test10 = set(load_splits()["test10"])
    # the paper's rows compare only with methods measured as it did: every method on all of test10 at step 50
    comparable = steps == 50 and len(methods) == len(everything) and all(set(m.apps) == test10
                                                                         for m in methods.values())
    published = json.loads(REFERENCE.read_text()) if comparable else None
    (output / "results.md").write_text(_markdown(table, all_apps, steps, published, short_warning(short, steps)))
    _plots(methods, all_apps, steps, output)
    summary = {"max_steps": steps, "methods": table, "published_reference": published is not None,
               "short_sessions": short}
    (output / "results.json").write_text(json.dumps(summary, indent=2))
    return summary


def _markdown(table: dict[str, Any], apps: list[str], steps: int, published: dict | None, warning: str) -> str:
    out = [f"# Exploration results (cumulative reward at step {steps})", "",
           *([f"**Warning:** {warning}", ""] if warning else []),
           "Mean and standard deviation are across apps (each app: mean over its sessions).", "",
           "| method | apps | sessions | mean | std across apps | input tokens | tokens/step |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for name, t in table.items():
        out.append(f"| {name} | {t['apps']} | {t['sessions']} | {t['mean']:.2f} | {t['std']:.2f} | "
                   f"{t['input_tokens']:,} | {t['tokens_per_step']:,.0f} |")
    if published:
        out += ["", f"Published reference ({published['source']}), test10, 50 steps:", "",
                "| method (published) | avg cumulative reward @50 | input tokens, 500 steps |", "|---|---:|---:|"]
        base = published["table2_input_tokens_500_steps"]
        jamel_tokens = next(v for v in base.values() if isinstance(v, int))
        for name, r in published["table1_avg_cumulative_reward_at_50"].items():
            t = base.get(name, "")
            t = f"{t:,}" if isinstance(t, int) else (f"{t} (= {float(t[:-1]) * jamel_tokens:,.0f})" if t else "")
            out.append(f"| {name} *(published)* | {r} | {t} |")
    out += ["", "## Per app", "", "| app | " + " | ".join(table) + " |", "|---|" + "---:|" * len(table)]
    for app in apps:
        out.append(f"| {app} | " + " | ".join(f"{t['per_app'][app]:.2f}" if app in t["per_app"] else "-"
                                              for t in table.values()) + " |")
    return "\n".join(out) + "\n"


def reward_curve_figure(methods: dict[str, MethodResult], steps: int, dpi: int = 110):
    """Figure 2 form: mean cumulative reward against step, band = std across apps (results' PNG, the viewer's
    run page)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = list(range(1, steps + 1))
    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=dpi)
    for m in methods.values():
        mean, std = m.band(steps)
        ax.plot(xs, mean, label=f"{m.method} (n={len(m.apps)} apps)")
        ax.fill_between(xs, [a - b for a, b in zip(mean, std)], [a + b for a, b in zip(mean, std)], alpha=0.2)
    ax.set(xlabel="step", ylabel="cumulative reward", title="Mean cumulative reward (band: std across apps)")
    ax.legend()
    fig.tight_layout()
    return fig


def _plots(methods: dict[str, MethodResult], apps: list[str], steps: int, output: Path) -> None:
    import matplotlib.pyplot as plt

    fig = reward_curve_figure(methods, steps)
    fig.savefig(output / "fig_reward_curve.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(max(6.4, 0.6 * len(apps) * max(1, len(methods)) / 2), 4), dpi=110)
    width = 0.8 / max(1, len(methods))
    for i, m in enumerate(methods.values()):
        vals = [m.app_curve(a, steps)[-1] if a in m.apps else 0.0 for a in apps]
        ax.bar([j + i * width for j in range(len(apps))], vals, width, label=m.method)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(apps))], apps, rotation=45, ha="right")
    ax.set(ylabel=f"cumulative reward at step {steps}", title="Per-app final cumulative reward")
    ax.legend()
    fig.tight_layout()
    fig.savefig(output / "fig_per_app.png")
    plt.close(fig)


@dataclass
class ReportConfig:
    runs: list[Path] = opt(help="evaluation or explore output folders", positional=True)
    output: Path = opt(help="report folder")
    max_steps: int | None = opt(None, "report at this step (default: the longest session's last); shorter sessions "
                                     "are left out, with a warning")


def report(cfg: ReportConfig) -> int:
    """Paper-style reports (tables, Figure 2 and 3 forms) from evaluation or explore outputs."""
    try:
        summary = build_report(cfg.runs, cfg.output, cfg.max_steps)
    except (FileNotFoundError, ValueError) as exc:
        print(f"jamel report: {exc}", file=sys.stderr)
        return 2
    print((cfg.output / "results.md").read_text())
    if summary["short_sessions"]:
        print(f"warning: {short_warning(summary['short_sessions'], summary['max_steps'])}", file=sys.stderr)
    print(f"wrote {cfg.output}/results.csv, results.md, fig_reward_curve.png, fig_per_app.png")
    return 0
