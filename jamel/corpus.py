"""App corpora: folders of static web apps, one sub-folder per app with an ``index.html``.

A corpus is just a directory; splits (``test10``/``train86``/``demo``) live in ``configs/splits.json``
so that the paper's lists stay data, not code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CORPUS = REPO_ROOT / "env" / "demo_apps"
SCALEWOB_CORPUS = REPO_ROOT / "env" / "browser_env" / "scalewob-env"
SPLITS_FILE = Path(__file__).resolve().parent / "configs" / "splits.json"
DOWNLOAD_HINT = "scripts/download_scalewob_env.py"


@lru_cache(maxsize=1)
def load_splits() -> dict[str, tuple[str, ...]]:
    """Named splits from splits.json (cached; tuples so callers cannot mutate the cache)."""
    data = json.loads(SPLITS_FILE.read_text(encoding="utf-8"))
    return {name: tuple(ids) for name, ids in data.items()}


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))  # dict keeps insertion order


@dataclass(frozen=True)
class Corpus:
    root: Path

    def apps(self) -> list[str]:
        """Sorted app ids: non-hidden sub-folders that contain an index.html."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir()
            if not p.name.startswith(".") and p.is_dir() and (p / "index.html").is_file()
        )

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
        out: list[str] = []
        unknown: list[str] = []
        for tok in tokens:
            if tok == "all":
                out.extend(available)
            elif tok in splits:
                missing = [a for a in splits[tok] if a not in valid]
                if missing:
                    raise ValueError(
                        f"split {tok!r}: {len(missing)} of {len(splits[tok])} apps missing from corpus "
                        f"{self.root}: {missing}. The corpus is probably not downloaded (run "
                        f"{DOWNLOAD_HINT}) or points at the wrong folder. Valid apps: {available}"
                    )
                out.extend(splits[tok])
            elif tok in valid:
                out.append(tok)
            else:
                unknown.append(tok)
        if unknown:
            raise ValueError(
                f"unknown app(s) {unknown} in corpus {self.root}. Valid apps: {available}; "
                f"named splits: {sorted(splits)} or 'all'"
            )
        return _dedupe(out)


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Corpus at ``path`` (default: the bundled demo apps); errors if missing or empty."""
    root = Path(path).expanduser().resolve() if path else DEMO_CORPUS
    hint = f" (download it with {DOWNLOAD_HINT})" if root == SCALEWOB_CORPUS.resolve() else ""
    if not root.is_dir():
        raise FileNotFoundError(f"corpus folder {root} does not exist{hint}")
    corpus = Corpus(root)
    if not corpus.apps():
        raise ValueError(f"corpus folder {root} has no apps (no <app>/index.html sub-folders){hint}")
    return corpus
