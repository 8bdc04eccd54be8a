"""App corpora: folders of static web apps, one sub-folder per app with an ``index.html``.

A corpus is just a directory; splits (``test10``/``train86``/``demo``) live in ``configs/splits.json``
so that the paper's lists stay data, not code.
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the `jamel` package


def _repo_root() -> tuple[Path, bool]:
    """Where the bundled defaults (demo corpus, Node tooling manifest) live, and whether it is a
    checkout: $JAMEL_ROOT, else the checkout this package sits in (editable install, or run from the
    repo), else the copies a wheel carries in jamel/_bundled (same layout as the repo)."""
    if os.environ.get("JAMEL_ROOT"):
        return Path(os.environ["JAMEL_ROOT"]).expanduser().resolve(), True
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "env").is_dir():
        return checkout, True
    return PACKAGE_DIR / "_bundled", False


REPO_ROOT, IS_CHECKOUT = _repo_root()
DEMO_CORPUS = REPO_ROOT / "env" / "demo_apps"
# $SCALEWOB_ROOT, else env/browser_env/scalewob-env in the checkout (from a wheel: under the current folder,
# never inside site-packages).
SCALEWOB_CORPUS = (Path(os.environ["SCALEWOB_ROOT"]).expanduser() if os.environ.get("SCALEWOB_ROOT")
                   else (REPO_ROOT if IS_CHECKOUT else Path.cwd()) / "env" / "browser_env" / "scalewob-env")
SPLITS_FILE = PACKAGE_DIR / "configs" / "splits.json"
DOWNLOAD_HINT = "`jamel corpus download` (or scripts/download_scalewob_env.py), or set SCALEWOB_ROOT"
# Shared code of the demo corpus: framework builds pinned in third_party/node (npm), copied (never
# committed) to <corpus>/_vendor/ so that every app loads them as `../_vendor/<file>`, the way a real
# corpus shares a vendor folder. Folders starting with "_" or "." are never apps.
VENDOR_DIR = "_vendor"
DEMO_VENDOR_FILES = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "vue.global.prod.js": "vue/dist/vue.global.prod.js",
    "preact.umd.js": "preact/dist/preact.umd.js",
    "preact-hooks.umd.js": "preact/hooks/dist/hooks.umd.js",
    "htm.umd.js": "htm/dist/htm.umd.js",
}
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def load_splits() -> dict[str, tuple[str, ...]]:
    """Named splits from splits.json (cached; tuples so callers cannot mutate the cache)."""
    data = json.loads(SPLITS_FILE.read_text(encoding="utf-8"))
    return {name: tuple(ids) for name, ids in data.items()}


@dataclass(frozen=True)
class Corpus:
    root: Path

    def apps(self) -> list[str]:
        """Sorted app ids: sub-folders that contain an index.html, except hidden (`.x`) and shared (`_x`) ones."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if not p.name.startswith((".", "_")) and p.is_dir() and (p / "index.html").is_file())

    def start_path(self, app: str) -> str:
        """URL path of an app's start page; app ids may hold characters unsafe in URLs."""
        return f"/{quote(app, safe='')}/index.html"

    def resolve(self, spec: str) -> list[str]:
        """Turn ``test10|train86|demo|all`` or ``a,b,c`` (tokens may mix both) into app ids.

        Fails fast (before any browser starts) on names the corpus does not hold.
        """
        available = self.apps()
        valid = set(available)
        splits = load_splits()
        tokens = [t.strip() for t in spec.split(",") if t.strip()]
        if not tokens:
            raise ValueError(f"empty app spec {spec!r}; use one of {sorted(splits)} / 'all' or app ids")
        out, unknown = [], []
        for tok in tokens:
            if tok == "all":
                out.extend(available)
            elif tok in splits:
                missing = [a for a in splits[tok] if a not in valid]
                if len(missing) == len(splits[tok]) and self.root != SCALEWOB_CORPUS.resolve():
                    there = Corpus(SCALEWOB_CORPUS).apps()
                    raise ValueError(
                        f"split {tok!r} needs the ScaleWoB corpus and {self.root} has none of its apps: "
                        + (f"pass --corpus {SCALEWOB_CORPUS} (CORPUS= in shell/run_eval.sh)" if there else
                           f"{SCALEWOB_CORPUS} is not there either; download it with {DOWNLOAD_HINT}, or pass "
                           "the corpus folder (--corpus, CORPUS=)"))
                if missing:
                    raise ValueError(
                        f"split {tok!r}: {len(missing)} of {len(splits[tok])} apps missing from corpus "
                        f"{self.root}: {missing}. The corpus is probably not downloaded (run "
                        f"{DOWNLOAD_HINT}) or points at the wrong folder. Valid apps: {available}")
                out.extend(splits[tok])
            elif tok in valid:
                out.append(tok)
            else:
                unknown.append(tok)
        if unknown:
            raise ValueError(
                f"unknown app(s) {unknown} in corpus {self.root}. Valid apps: {available}; "
                f"named splits: {sorted(splits)} or 'all'")
        return list(dict.fromkeys(out))  # without repeats, in order


def default_corpus() -> Path:
    """The evaluation default: ScaleWoB ($SCALEWOB_ROOT or its download folder) when there, else the demo apps."""
    return SCALEWOB_CORPUS if Corpus(SCALEWOB_CORPUS).apps() else DEMO_CORPUS


def ensure_demo_vendor(root: Path | None = None, node_modules: Path | None = None) -> Path:
    """Copy the pinned framework builds into ``<demo corpus>/_vendor/`` (idempotent: a file is rewritten
    only when it differs from node_modules). Copies, not symlinks: the corpus server refuses links that
    leave the corpus."""
    root = Path(root or _BUNDLED_DEMO)
    # JAMEL_NODE_MODULES may point at another checkout's tooling that predates these packages: fall back
    # to this repository's own install before giving up.
    options = [Path(node_modules)] if node_modules else \
        [Path(p) for p in (os.environ.get("JAMEL_NODE_MODULES"), REPO_ROOT / "third_party" / "node" / "node_modules") if p]
    node_modules = next((nm for nm in options if all((nm / rel).is_file() for rel in DEMO_VENDOR_FILES.values())),
                        options[0])
    missing = [rel for rel in DEMO_VENDOR_FILES.values() if not (node_modules / rel).is_file()]
    if missing:
        raise FileNotFoundError(
            f"framework builds {missing} not found under {node_modules}: install the pinned Node packages with "
            f"`npm ci --prefix {REPO_ROOT / 'third_party' / 'node'}` (or run shell/setup.sh), or point "
            "JAMEL_NODE_MODULES at a node_modules folder that has them")
    dest = root / VENDOR_DIR
    dest.mkdir(exist_ok=True)
    for name, rel in DEMO_VENDOR_FILES.items():
        src, dst = node_modules / rel, dest / name
        if not dst.is_file() or not filecmp.cmp(src, dst, shallow=False):
            tmp = dst.with_name(f".{name}.{os.getpid()}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)  # atomic: a concurrent reader never sees half a file
    return dest


_BUNDLED_DEMO = DEMO_CORPUS.resolve()


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Corpus at ``path`` (default: the bundled demo apps); errors if missing or empty.

    The bundled demo corpus gets its shared `_vendor/` folder filled on the way (`ensure_demo_vendor`): an
    error in a checkout; from a wheel without the Node packages only a warning (the plain apps still work)."""
    root = Path(path).expanduser().resolve() if path else DEMO_CORPUS
    if root == _BUNDLED_DEMO:
        try:
            ensure_demo_vendor(root)
        except OSError as exc:
            if IS_CHECKOUT:
                raise
            log.warning("the framework demo apps (tasks, bank, circle) will not render: %s", exc)
    hint = f" (download it with {DOWNLOAD_HINT})" if root == SCALEWOB_CORPUS.resolve() else ""
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist{hint}")
    corpus = Corpus(root)
    if not corpus.apps():
        raise ValueError(f"corpus folder {root} has no apps (no <app>/index.html sub-folders){hint}")
    return corpus
