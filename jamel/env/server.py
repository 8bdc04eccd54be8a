"""Threaded static file server for an app corpus (stdlib only).

Why not ``python -m http.server``: it caches (Last-Modified), lists directories, logs every request
and serves ``.js`` with platform-dependent MIME types. Coverage measurements need every page load to
really execute the served scripts, and the agent must never see files outside the corpus.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, unquote, urlsplit

from jamel.config import opt
from jamel.corpus import DEMO_CORPUS, Corpus, default_corpus, load_corpus

# Explicit table: mimetypes' answers depend on the host's /etc/mime.types (e.g. .js as
# application/x-javascript, .wasm unknown), and module scripts need a JavaScript type.
CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "text/javascript",
    ".json": "application/json", ".map": "application/json", ".webmanifest": "application/manifest+json",
    ".txt": "text/plain", ".csv": "text/csv", ".xml": "application/xml",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".wasm": "application/wasm", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
    ".otf": "font/otf", ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg",
    ".wav": "audio/wav", ".ogg": "audio/ogg", ".pdf": "application/pdf",
}
_CHARSET_TYPES = {"application/json", "application/xml", "image/svg+xml", "application/manifest+json",
                  "application/javascript"}
NO_CACHE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "Expires": "0"}
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)$")

Request = tuple[str, str, int]  # (method, raw request path, status)


def content_type(path: Path) -> str:
    ctype = CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name, strict=False)[0]
    ctype = ctype or "application/octet-stream"
    return f"{ctype}; charset=utf-8" if ctype.startswith("text/") or ctype in _CHARSET_TYPES else ctype


class _Unsatisfiable(Exception):
    pass


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Single ``bytes=`` range -> inclusive (start, end); None = send the whole file.

    Media elements seek with Range requests; multi-range requests just get the full body (allowed).
    """
    m = _RANGE_RE.match((header or "").strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):  # suffix range: last N bytes
        n = int(m.group(2))
        if n == 0:
            raise _Unsatisfiable
        return max(0, size - n), size - 1
    start = int(m.group(1))
    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if start >= size or end < start:
        raise _Unsatisfiable
    return start, end


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung browser connection must not block shutdown
    request_queue_size = 128  # Chromium opens many parallel connections on page load

    def __init__(self, addr: tuple[str, int], root: Path, verbose: bool) -> None:
        self.root = root
        self.verbose = verbose
        self.lock = threading.Lock()
        self.log: list[Request] = []
        super().__init__(addr, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "JamelCorpus/1.0"
    sys_version = ""

    # -- logging: quiet by default, but every response is recorded for tests/reports ------------
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        with self.server.lock:
            self.server.log.append((self.command or "", getattr(self, "path", ""), int(code)))
        if self.server.verbose:
            super().log_request(code, size)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # -- methods --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler answers 501 for methods without a do_X; we want 405 for all of them.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._text(HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} not allowed", {"Allow": "GET, HEAD"})

    # -- helpers --------------------------------------------------------------------------------
    def _headers(self, status: int, ctype: str, length: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        for k, v in {**NO_CACHE_HEADERS, "X-Content-Type-Options": "nosniff", **(extra or {})}.items():
            self.send_header(k, v)
        self.end_headers()

    def _text(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
        data = f"{int(status)} {HTTPStatus(status).phrase}: {text}\n".encode("utf-8", "replace")
        self._headers(status, "text/plain; charset=utf-8", len(data), extra)
        if self.command != "HEAD":
            self.wfile.write(data)

    def _url_path(self) -> str:
        """Path part of the request target (origin-form or absolute-form), still percent-encoded."""
        target = self.path
        if not target.startswith("/"):  # absolute-form "http://host/x"; urlsplit would misread "//x"
            target = urlsplit(target).path or "/"
        return target.split("?", 1)[0].split("#", 1)[0]

    def _parts(self) -> list[str]:
        # Decode first, then treat backslashes as separators, so %2e%2e, %2f and \\ cannot sneak '..' in.
        return [p for p in unquote(self._url_path()).replace("\\", "/").split("/") if p not in ("", ".")]

    def _locate(self) -> Path | int:
        """Map the request path to a file inside root, or return an HTTP status to answer with."""
        raw = self._url_path()
        parts = self._parts()
        if any(p == ".." for p in parts):
            return HTTPStatus.FORBIDDEN
        if any("\x00" in p for p in parts):
            return HTTPStatus.BAD_REQUEST
        root = self.server.root
        try:
            target = root.joinpath(*parts).resolve()  # follows symlinks: a link out of root lands outside
            if not target.is_relative_to(root):
                return HTTPStatus.FORBIDDEN
            if target.is_dir():  # no listings: a folder is only its index.html
                target = (target / "index.html").resolve()
                if not target.is_relative_to(root):
                    return HTTPStatus.FORBIDDEN
                if target.is_file() and not raw.endswith("/"):
                    return HTTPStatus.MOVED_PERMANENTLY  # so relative asset URLs resolve inside the app
            return target if target.is_file() else HTTPStatus.NOT_FOUND
        except (OSError, RuntimeError, ValueError):  # name too long, symlink loop, ...
            return HTTPStatus.NOT_FOUND

    def _serve(self, body: bool) -> None:
        found = self._locate()
        if found == HTTPStatus.MOVED_PERMANENTLY:
            query = self.path.partition("?")[2]
            # Rebuilt from the decoded segments: echoing "//host" or "/\\host" would be an open redirect.
            location = "/" + "".join(quote(p, safe="") + "/" for p in self._parts()) + (f"?{query}" if query else "")
            self._text(HTTPStatus.MOVED_PERMANENTLY, location, {"Location": location})
            return
        if isinstance(found, int):
            self._text(found, self._url_path())  # names the path (text/plain, so no injection)
            return
        try:
            f = open(found, "rb")
        except OSError:
            self._text(HTTPStatus.FORBIDDEN, self._url_path())
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            ctype = content_type(found)
            try:
                rng = _byte_range(self.headers.get("Range"), size)
            except _Unsatisfiable:
                self._text(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, self._url_path(),
                           {"Content-Range": f"bytes */{size}"})
                return
            if rng is None:
                self._headers(HTTPStatus.OK, ctype, size, {"Accept-Ranges": "bytes"})
                if body:
                    shutil.copyfileobj(f, self.wfile)
                return
            start, end = rng
            self._headers(HTTPStatus.PARTIAL_CONTENT, ctype, end - start + 1,
                          {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}"})
            if body:
                f.seek(start)
                left = end - start + 1
                while left > 0 and (chunk := f.read(min(left, 1 << 16))):
                    self.wfile.write(chunk)
                    left -= len(chunk)


class CorpusServer:
    """Serve ``root`` on a background daemon thread; serving starts on construction.

    >>> with CorpusServer(root) as srv:
    ...     page.goto(srv.url_for("shop"))
    """

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> None:
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"corpus folder {self.root} does not exist")
        self._httpd = _HTTPServer((host, port), self.root, verbose)
        self.host, self.port = host, int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"CorpusServer:{self.port}", daemon=True)
        self._thread.start()
        self._closed = False

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url_for(self, app: str) -> str:
        return self.base_url + Corpus(self.root).start_path(app)

    @property
    def requests(self) -> list[Request]:
        """Snapshot of all answered requests as (method, path, status)."""
        with self._httpd.lock:
            return list(self._httpd.log)

    def status_counts(self) -> Counter[int]:
        return Counter(status for _, _, status in self.requests)

    def not_found(self) -> list[str]:
        """Paths answered 404 (missing assets are worth reporting: the app may be broken)."""
        return [path for _, path, status in self.requests if status == HTTPStatus.NOT_FOUND]

    def clear_requests(self) -> None:
        with self._httpd.lock:
            self._httpd.log.clear()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._httpd.shutdown()  # stops serve_forever; must not run on the serving thread
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CorpusServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ServeConfig:
    root: str | None = opt(None, "corpus folder (default: ScaleWoB if downloaded, else the bundled demo apps)")
    host: str = opt("127.0.0.1", "address to listen on")
    port: int = opt(8000, "0 picks a free port")
    verbose: bool = opt(False, "log every request to stderr")


def serve(cfg: ServeConfig) -> int:
    """Serve an app corpus over HTTP (no caching) until Ctrl-C."""
    if not cfg.root and default_corpus() == DEMO_CORPUS:
        print("note: ScaleWoB is not downloaded (`jamel corpus download`); serving the demo apps", file=sys.stderr)
    try:
        corpus = load_corpus(cfg.root or default_corpus())
        srv = CorpusServer(corpus.root, host=cfg.host, port=cfg.port, verbose=cfg.verbose)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with srv:
        print(f"Serving {corpus.root} at {srv.base_url}", flush=True)
        for app in corpus.apps():
            print(f"  {srv.url_for(app)}")
        print("Ctrl-C to stop.", flush=True)
        try:
            while srv._thread.is_alive():
                srv._thread.join(0.5)  # short joins keep Ctrl-C responsive
        except KeyboardInterrupt:
            print("\nstopped.", file=sys.stderr)
    return 0

