#!/usr/bin/env python3
"""Serve the ScaleWoB corpus (or the bundled demo apps if it is not downloaded) on 127.0.0.1.

    python scripts/serve_scalewob.py [--root DIR] [--host H] [--port 8000] [--verbose]
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import jamel  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jamel.corpus import DEMO_CORPUS, SCALEWOB_CORPUS, Corpus
from jamel.env.server import main

if __name__ == "__main__":
    has_scalewob = bool(Corpus(SCALEWOB_CORPUS).apps())
    if not has_scalewob and not any(a.startswith("--root") for a in sys.argv[1:]):
        print(f"note: {SCALEWOB_CORPUS} not found; serving the demo apps "
              "(run scripts/download_scalewob_env.py for ScaleWoB)", file=sys.stderr)
    raise SystemExit(main(sys.argv[1:], default_root=SCALEWOB_CORPUS if has_scalewob else DEMO_CORPUS))
