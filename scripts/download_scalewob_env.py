#!/usr/bin/env python3
"""Download, verify, extract and check the ScaleWoB app corpus (see jamel/corpus/scalewob.py): `jamel corpus download`.

    python scripts/download_scalewob_env.py [--url URL] [--dest DIR] [--sha256 HEX] [--force]
    python scripts/download_scalewob_env.py --archive /path/to/scalewob-env.zip   # no download
    python scripts/download_scalewob_env.py --check                              # check only

Our machines cannot reach the file host: download the zip on a machine that can and use --archive.
Exit status: 0 ok, 1 error (nothing changed), 2 corpus in place but the split checks failed.
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
    args = sys.argv[1:]
    verb = ["corpus", "check"] if "--check" in args else ["corpus", "download"]
    raise SystemExit(main([*verb, *(a for a in args if a != "--check")]))
