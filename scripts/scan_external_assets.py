#!/usr/bin/env python3
"""Report what each app loads from other hosts (offline runs block it): `jamel corpus scan`.

    python scripts/scan_external_assets.py [--corpus DIR] [--apps SPEC] [--all] [--urls] [--json OUT]
        [--blocked RUN_DIR ...]

Static scan of HTML/JS/CSS (see jamel/env/offline.py); --blocked adds what sessions really
requested (the blocked_requests of their summary.json files).
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
    raise SystemExit(main(["corpus", "scan", *sys.argv[1:]]))
