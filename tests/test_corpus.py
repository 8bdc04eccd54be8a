"""Tests for jamel.corpus: splits and app-spec resolution."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jamel import corpus as corpus_mod  # noqa: E402
from jamel.corpus import DEMO_CORPUS, SCALEWOB_CORPUS, SPLITS_FILE, Corpus, load_corpus, load_splits  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_corpus(root: Path, apps: list[str]) -> Corpus:
    for app in apps:
        (root / app).mkdir(parents=True)
        (root / app / "index.html").write_text(f"<title>{app}</title>", encoding="utf-8")
    return Corpus(root)


def test_paths_point_into_repo() -> None:
    assert DEMO_CORPUS == REPO / "env" / "demo_apps"
    assert SCALEWOB_CORPUS == REPO / "env" / "browser_env" / "scalewob-env"


def test_scalewob_splits_sizes_and_disjoint() -> None:
    raw = json.loads(SPLITS_FILE.read_text(encoding="utf-8"))
    test10, train86 = raw["test10"], raw["train86"]
    assert len(test10) == len(set(test10)) == 10
    assert len(train86) == len(set(train86)) == 86
    assert not set(test10) & set(train86)
    assert {"vipshop", "temu", "12306", "BestBuy", "Feishu_D", "X", "zol"} <= set(test10) | set(train86)
    # issue 9: the framework apps (React, Vue, Preact) joined the demo split
    assert raw["demo"] == ["messenger", "settings", "shop", "travel", "video", "tasks", "bank", "circle"]
    assert set(load_splits()) == {"test10", "train86", "demo"}


def test_apps_lists_only_app_folders(tmp_path: Path) -> None:
    c = make_corpus(tmp_path, ["b", "a", ".hidden", "_vendor"])  # "_x": shared corpus code, not an app
    (tmp_path / "no_index").mkdir()
    (tmp_path / "file.html").write_text("x")
    assert c.apps() == ["a", "b"]
    assert Corpus(tmp_path / "missing").apps() == []


def test_start_path_encodes() -> None:
    c = Corpus(Path("/nowhere"))
    assert c.start_path("shop") == "/shop/index.html"
    assert c.start_path("my app#1") == "/my%20app%231/index.html"


def test_resolve_names_lists_and_all(tmp_path: Path) -> None:
    c = make_corpus(tmp_path, ["x", "y", "z"])
    assert c.resolve("all") == ["x", "y", "z"]
    assert c.resolve("z") == ["z"]
    assert c.resolve(" z, x ,z,,y ") == ["z", "x", "y"]  # dedup keeps first occurrence order
    assert c.resolve("y,all") == ["y", "x", "z"]


def test_resolve_unknown_lists_valid(tmp_path: Path) -> None:
    c = make_corpus(tmp_path, ["alpha", "beta"])
    with pytest.raises(ValueError) as e:
        c.resolve("alpha,gamma")
    msg = str(e.value)
    assert "gamma" in msg and "alpha" in msg and "beta" in msg
    with pytest.raises(ValueError):
        c.resolve(" , ")
    with pytest.raises(ValueError):
        c.resolve("Alpha")  # ids are case-sensitive


def test_resolve_split_against_fake_corpus(tmp_path: Path) -> None:
    test10 = list(load_splits()["test10"])
    c = make_corpus(tmp_path / "full", test10 + ["extra"])
    assert c.resolve("test10") == test10  # split order, not folder order
    assert c.resolve("test10,extra,vipshop") == test10 + ["extra"]

    partial = make_corpus(tmp_path / "partial", test10[:3])
    with pytest.raises(ValueError) as e:
        partial.resolve("test10")
    msg = str(e.value)
    assert "download_scalewob_env.py" in msg and "not downloaded" in msg
    assert test10[5] in msg and test10[0] in msg  # names the missing member and the valid apps


def test_resolve_demo_split(tmp_path: Path) -> None:
    demo = ["messenger", "settings", "shop", "travel", "video", "tasks", "bank", "circle"]
    c = make_corpus(tmp_path, demo)
    assert c.resolve("demo") == demo


def test_bundled_demo_corpus_has_the_split_and_its_vendor_folder() -> None:
    """The framework apps load their framework from the shared `_vendor/` folder, filled from the pinned
    npm packages; `_vendor` is never an app."""
    c = load_corpus(None)
    assert c.apps() == sorted(load_splits()["demo"]) and "_vendor" not in c.apps()
    for app in ("tasks", "bank", "circle"):
        html = (DEMO_CORPUS / app / "index.html").read_text(encoding="utf-8")
        srcs = re.findall(r'src="\.\./_vendor/([^"]+)"', html)
        assert srcs, app
        for src in srcs:
            assert (DEMO_CORPUS / "_vendor" / src).is_file(), src


def test_load_corpus(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_corpus(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="no apps"):
        load_corpus(str(tmp_path))
    make_corpus(tmp_path, ["a"])
    assert load_corpus(str(tmp_path)).apps() == ["a"]


def test_load_corpus_default_is_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    make_corpus(tmp_path, ["shop"])
    monkeypatch.setattr(corpus_mod, "DEMO_CORPUS", tmp_path)
    assert corpus_mod.load_corpus(None).root == tmp_path


def test_ensure_demo_vendor_copies_once_and_explains_what_is_missing(tmp_path: Path) -> None:
    nm = tmp_path / "node_modules"
    for rel in corpus_mod.DEMO_VENDOR_FILES.values():
        (nm / rel).parent.mkdir(parents=True, exist_ok=True)
        (nm / rel).write_text(f"/* {rel} */")
    root = tmp_path / "corpus"
    root.mkdir()
    dest = corpus_mod.ensure_demo_vendor(root, node_modules=nm)
    assert sorted(p.name for p in dest.iterdir()) == sorted(corpus_mod.DEMO_VENDOR_FILES)
    mtimes = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}
    corpus_mod.ensure_demo_vendor(root, node_modules=nm)  # idempotent: nothing rewritten
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == mtimes
    (nm / corpus_mod.DEMO_VENDOR_FILES["vue.global.prod.js"]).write_text("/* upgraded */")
    corpus_mod.ensure_demo_vendor(root, node_modules=nm)  # a changed pin is picked up
    assert (dest / "vue.global.prod.js").read_text() == "/* upgraded */"
    (nm / corpus_mod.DEMO_VENDOR_FILES["htm.umd.js"]).unlink()
    with pytest.raises(FileNotFoundError, match="npm ci"):
        corpus_mod.ensure_demo_vendor(root, node_modules=nm)
