#!/usr/bin/env python3
"""Serve the ScaleWoB corpus (or the bundled demo apps if it is not downloaded) on 127.0.0.1: `jamel serve`.

    python scripts/serve_scalewob.py [--root DIR] [--host H] [--port 8000] [--verbose]
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import jamel  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jamel.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", *sys.argv[1:]]))
