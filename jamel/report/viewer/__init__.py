"""`jamel view`: a static, offline viewer of explore and eval runs (see jamel/report/viewer/site.py).

    jamel view RUN_DIR [RUN_DIR ...] [--out DIR] [--serve] [--port N] [--jobs N] [--force]

Writes a self-contained HTML site (open its index.html from disk; no server, no network) and prints
its path. --serve also serves it on 127.0.0.1 until interrupted.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # no line per request on the terminal
        pass


def make_server(site: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """The site on 127.0.0.1 only (port 0: a free one)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(site: Path, port: int = 0) -> None:
    with make_server(site, port) as httpd:
        print(f"serving http://127.0.0.1:{httpd.server_address[1]}/index.html (Ctrl-C to stop)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str] | None = None) -> int:
    from jamel.report.viewer.site import build_site

    ap = argparse.ArgumentParser(prog="jamel view", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="explore or eval output folders (several: side by side)")
    ap.add_argument("--out", type=Path, default=None, help="site folder (default: RUN_DIR/view for one run)")
    ap.add_argument("--serve", action="store_true", help="also serve the site on 127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="--serve: port (default: a free one)")
    ap.add_argument("--jobs", type=int, default=None, help="sessions built in parallel (default: min(4, CPUs))")
    ap.add_argument("--force", action="store_true", help="rebuild every session, even unchanged ones")
    args = ap.parse_args(argv)
    if args.out is None:
        if len(args.runs) > 1:
            ap.error("several runs need --out")
        args.out = args.runs[0] / "view"
    try:
        index = build_site(args.runs, args.out, jobs=args.jobs, force=args.force)
    except (FileNotFoundError, ValueError) as exc:
        print(f"jamel view: {exc}", file=sys.stderr)
        return 2
    print(index.resolve(), flush=True)
    if args.serve:
        serve(args.out, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
