"""Imports go downwards only: a stage of jamel/ imports its own stage and the ones below it (at module level and
inside functions alike), and no production code imports jamel.testing. Read from the source with `ast`."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The stages in the order data flows (README, "How the pieces fit"); one set per layer, lowest first.
LAYERS = [
    {"schemas", "config"},  # the records handed between stages; config: the options' declaration helpers
    {"corpus"},
    {"env"},
    {"prompt"},  # renders the env's observation and action grammar for the models
    {"model"},
    {"agents"},
    {"rollout"},
    {"data"},
    {"train"},
    {"report"},
    {"cli", "__main__"},
]
SIDE = "testing"  # tiny models and fixtures: may import anything, imported by tests only

# Violations known when this test was written, each with whose change removes it. An entry that no longer
# matches fails too, so the list only shrinks.
KNOWN: dict[tuple[str, str], str] = {}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path):
    """(line, module) of every jamel import in the file, wherever it stands; relative imports resolved."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from jamel import cli` imports the stage jamel.cli; `from jamel.env import browser` stays jamel.env
            targets = [f"{base}.{a.name}" for a in node.names] if base == "jamel" else [base]
        else:
            continue
        yield from ((node.lineno, t) for t in targets if t == "jamel" or t.startswith("jamel."))


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package root (its version only)


def violations(root: Path) -> tuple[dict[tuple[str, str], str], set[str]]:
    """{(file, imported module): why} and the stages missing from LAYERS."""
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    found: dict[tuple[str, str], str] = {}
    unknown: set[str] = set()
    for path in sorted((root / "jamel").rglob("*.py")):
        src = stage(module_name(path, root))
        if src == SIDE:
            continue
        rel = path.relative_to(root).as_posix()
        for line, target in imported_modules(path, root):
            dst = stage(target)
            if dst is None or dst == src:
                continue
            if dst == SIDE:
                found[(rel, target)] = f"{rel}:{line} imports {target}: production code must not use jamel.testing"
                continue
            unknown |= {s for s in (src, dst) if s not in rank}
            if src in rank and dst in rank and rank[dst] > rank[src]:
                found[(rel, target)] = f"{rel}:{line} imports {target}: {src} may not import {dst} (a later stage)"
    return found, unknown


def test_imports_go_downwards():
    found, unknown = violations(ROOT)
    assert not unknown, f"stages not in LAYERS (place them in the order data flows): {sorted(unknown)}"
    new = [why for key, why in found.items() if key not in KNOWN]
    assert not new, "upward imports:\n" + "\n".join(new)
    stale = [f"{key}: {why}" for key, why in KNOWN.items() if key not in found]
    assert not stale, "fixed, delete from KNOWN:\n" + "\n".join(stale)


def test_the_check_finds_upward_imports(tmp_path):
    """The checker itself: module-level, in-function and relative imports, and jamel.testing, are caught."""
    files = {
        "jamel/__init__.py": "",
        "jamel/env/__init__.py": "",
        "jamel/env/browser.py": "import jamel.schemas\nfrom jamel import corpus\n"
                                "def f():\n    from jamel.rollout.explore import explore\n",
        "jamel/env/coverage/scorer.py": "from ...agents import base\nfrom . import collector\n",
        "jamel/data/sft.py": "def g():\n    import jamel.testing.tiny_models\n",
        "jamel/testing/tiny.py": "from jamel.cli import main\n",
        "jamel/newstage/x.py": "import jamel.env\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found, unknown = violations(tmp_path)
    assert set(found) == {("jamel/env/browser.py", "jamel.rollout.explore"),
                          ("jamel/env/coverage/scorer.py", "jamel.agents"),
                          ("jamel/data/sft.py", "jamel.testing.tiny_models")}
    assert unknown == {"newstage"}
