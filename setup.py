"""Setuptools hook for the wheel's bundled copies; everything else is configured in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# Repo files a non-editable install needs at run time. A wheel carries them in jamel/_bundled/, same relative
# paths, which jamel.corpus.REPO_ROOT points at when the package does not sit in a checkout. Not the demo
# corpus's _vendor/ (third-party framework builds, copied from node_modules by jamel.corpus.ensure_demo_vendor).
BUNDLED = ["env/demo_apps", "third_party/node/package.json", "third_party/node/package-lock.json"]


class BuildPyWithBundled(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads them from the checkout
            return
        root = Path(__file__).resolve().parent
        for rel in BUNDLED:
            src, dst = root / rel, Path(self.build_lib) / "jamel" / "_bundled" / rel
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules", ".*", "_vendor"))
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildPyWithBundled})
