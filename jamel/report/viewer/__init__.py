"""`jamel view`: a static, offline viewer of explore and eval runs (see jamel/report/viewer/site.py).

    jamel view RUN_DIR [RUN_DIR ...] [--out DIR] [--serve] [--port N] [--jobs N] [--force]

Writes a self-contained HTML site (open its index.html from disk; no server, no network) and prints
its path. --serve also serves it on 127.0.0.1 until interrupted.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import sys
from dataclasses import dataclass
from pathlib import Path

from jamel.config import opt


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # no line per request on the terminal
        pass


def make_server(site: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """The site on 127.0.0.1 only (port 0: a free one)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


@dataclass
class ViewConfig:
    runs: list[Path] = opt(help="explore or eval output folders (several: side by side)", positional=True)
    out: Path | None = opt(None, "site folder (default: RUN_DIR/view for one run)")
    serve: bool = opt(False, "also serve the site on 127.0.0.1")
    port: int = opt(0, "--serve: port (0: a free one)")
    jobs: int | None = opt(None, "sessions built in parallel (default: min(4, CPUs))")
    force: bool = opt(False, "rebuild every session, even unchanged ones")


def view(cfg: ViewConfig) -> int:
    """Write a static HTML viewer of runs and print its index.html (--serve: also serve it)."""
    from jamel.report.viewer.site import build_site

    if cfg.out is None and len(cfg.runs) > 1:
        print("jamel view: several runs need --out", file=sys.stderr)
        return 2
    out = cfg.out or cfg.runs[0] / "view"
    try:
        index = build_site(cfg.runs, out, jobs=cfg.jobs, force=cfg.force)
    except (FileNotFoundError, ValueError) as exc:
        print(f"jamel view: {exc}", file=sys.stderr)
        return 2
    print(index.resolve(), flush=True)
    if cfg.serve:
        with make_server(out, cfg.port) as httpd, contextlib.suppress(KeyboardInterrupt):
            port = httpd.server_address[1]
            print(f"serving http://127.0.0.1:{port}/index.html (Ctrl-C to stop)", flush=True)
            httpd.serve_forever()
    return 0
