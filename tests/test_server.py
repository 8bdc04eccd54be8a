"""Tests for jamel.env.server: a real static server on 127.0.0.1 (no browser needed)."""

from __future__ import annotations

import http.client
import os
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jamel.cli import main as cli_main  # noqa: E402
from jamel.env.server import CorpusServer, content_type  # noqa: E402

SECRET = "TOP-SECRET-4f9c2e"


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """tmp/secret.txt sits just outside the served root tmp/root."""
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "index.html").write_text(SECRET)
    root = tmp_path / "root"
    app = root / "app"
    (app / "js").mkdir(parents=True)
    (app / "index.html").write_text("<!doctype html><script src='js/main.js'></script>", encoding="utf-8")
    (app / "js" / "main.js").write_text("console.log('héllo');", encoding="utf-8")
    for name, body in {"m.mjs": "export {}", "d.json": "{}", "i.svg": "<svg/>", "s.css": "a{}"}.items():
        (app / name).write_text(body)
    (app / "w.wasm").write_bytes(b"\0asm\1\0\0\0")
    (app / "f.woff2").write_bytes(bytes(range(256)))
    (root / "empty_dir").mkdir()
    os.symlink(tmp_path / "secret.txt", app / "link.txt")
    os.symlink(tmp_path / "outside", root / "leak")
    os.symlink(app / "js" / "main.js", app / "inner_link.js")  # symlink that stays inside: allowed
    return root


@pytest.fixture()
def srv(site: Path) -> Iterator[CorpusServer]:
    with CorpusServer(site) as s:
        yield s


def request(srv: CorpusServer, path: str, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Raw http.client request: the path is sent verbatim (urllib would normalise some of it)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_serves_file_with_no_store(srv: CorpusServer) -> None:
    url = srv.url_for("app")
    assert url == f"http://127.0.0.1:{srv.port}/app/index.html" and srv.base_url in url
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = resp.read()
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Pragma"] == "no-cache" and resp.headers["Expires"] == "0"
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"main.js" in body
    status, headers, body = request(srv, "/app/js/main.js")
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8"
    assert body.decode("utf-8") == "console.log('héllo');"
    assert headers["content-length"] == str(len(body))
    assert ("GET", "/app/js/main.js", 200) in srv.requests


@pytest.mark.parametrize("name,ctype", [
    ("m.mjs", "text/javascript; charset=utf-8"), ("d.json", "application/json; charset=utf-8"),
    ("i.svg", "image/svg+xml; charset=utf-8"), ("s.css", "text/css; charset=utf-8"),
    ("w.wasm", "application/wasm"), ("f.woff2", "font/woff2"),
])
def test_content_types(srv: CorpusServer, name: str, ctype: str) -> None:
    status, headers, body = request(srv, f"/app/{name}")
    assert status == 200 and headers["content-type"] == ctype
    assert content_type(Path(name)) == ctype


def test_binary_and_range(srv: CorpusServer) -> None:
    status, _, body = request(srv, "/app/f.woff2")
    assert status == 200 and body == bytes(range(256))
    status, headers, body = request(srv, "/app/f.woff2", headers={"Range": "bytes=10-19"})
    assert status == 206 and body == bytes(range(10, 20)) and headers["content-range"] == "bytes 10-19/256"
    status, _, body = request(srv, "/app/f.woff2", headers={"Range": "bytes=-6"})
    assert status == 206 and body == bytes(range(250, 256))
    status, _, _ = request(srv, "/app/f.woff2", headers={"Range": "bytes=999-"})
    assert status == 416


TRAVERSALS = [
    "/../secret.txt", "/../../etc/passwd", "/%2e%2e/secret.txt", "/%2e%2e/%2e%2e/etc/passwd",
    "/app/..%2f..%2fsecret.txt", "/app/%2e%2e%2f%2e%2e%2fsecret.txt", "//../secret.txt",
    "/app\\..\\..\\secret.txt", "/app/%5c..%5c..%5csecret.txt", "/app/link.txt", "/leak/index.html",
    "/leak/", "/leak", "/app/%2E%2E/%2E%2E/secret.txt", "http://127.0.0.1/../secret.txt",
    "/app/.%2e/.%2e/secret.txt", "/app/%00", "/%252e%252e/secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_never_leaks(srv: CorpusServer, path: str) -> None:
    status, headers, body = request(srv, path)
    assert status in (400, 403, 404), (path, status)
    assert SECRET.encode() not in body
    assert "location" not in headers


def test_symlink_inside_root_allowed(srv: CorpusServer) -> None:
    status, _, body = request(srv, "/app/inner_link.js")
    assert status == 200 and b"console.log" in body


def test_404_names_path_and_no_listing(srv: CorpusServer) -> None:
    status, headers, body = request(srv, "/app/missing.js")
    assert status == 404 and headers["content-type"].startswith("text/plain")
    assert b"/app/missing.js" in body and len(body) < 200
    assert headers["cache-control"] == "no-store"
    for path in ("/empty_dir/", "/empty_dir", "/"):
        status, headers, body = request(srv, path)
        assert status == 404, path
        assert b"<a " not in body and "location" not in headers
    assert "/app/missing.js" in srv.not_found()
    assert srv.status_counts()[404] >= 4


def test_directory_redirect_and_index(srv: CorpusServer) -> None:
    status, headers, _ = request(srv, "/app?x=1")
    assert status == 301 and headers["location"] == "/app/?x=1"
    status, headers, _ = request(srv, "//app")  # must not become a protocol-relative "//app/"
    assert status == 301 and headers["location"] == "/app/"
    status, _, body = request(srv, "/app/")
    assert status == 200 and b"main.js" in body


def test_methods(srv: CorpusServer) -> None:
    status, headers, body = request(srv, "/app/index.html", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"):
        status, headers, _ = request(srv, "/app/index.html", method=method)
        assert status == 405, method
        assert headers["allow"] == "GET, HEAD"
    assert ("POST", "/app/index.html", 405) in srv.requests


def test_concurrent_requests(srv: CorpusServer) -> None:
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def fetch(i: int) -> None:
        path = "/app/js/main.js" if i % 2 else "/app/index.html"
        for _ in range(5):
            status, _, body = request(srv, path)
            with lock:
                results.append((status, body))

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 100 and all(s == 200 and b for s, b in results)
    assert srv.status_counts()[200] == 100


def test_close_releases_port(site: Path) -> None:
    srv = CorpusServer(site)
    port = srv.port
    assert request(srv, "/app/index.html")[0] == 200
    srv.close()
    srv.close()  # idempotent
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/")
    srv.clear_requests()
    assert srv.requests == []


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        CorpusServer(tmp_path / "nope")


def test_main_rejects_bad_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["serve", "--root", str(tmp_path / "nope"), "--port", "0"]) == 2
    assert "does not exist" in capsys.readouterr().err
