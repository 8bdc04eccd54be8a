"""ScaleWoB download/install (jamel.corpus.scalewob) and the external-asset scanner (jamel.env.offline).

Everything runs against a fixture zip served from 127.0.0.1 by a small threaded server that can
honour Range, ignore it, drop the connection halfway or stall; no real network access.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import stat
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jamel.corpus import scalewob  # noqa: E402
from jamel.corpus import load_splits  # noqa: E402
from jamel.env.offline import external_host, report_blocked, scan_app, scan_corpus  # noqa: E402
from jamel.cli import main as cli_main  # noqa: E402
from jamel.corpus.scalewob import (  # noqa: E402
    ArchiveError, DownloadError, InstallError, check_corpus, find_corpus_prefix, install, member_parts,
    safe_extract,
)

SPLITS = load_splits()
ALL_APPS = list(SPLITS["test10"]) + list(SPLITS["train86"])
TOP = "scalewob-env"


# -- fixtures -------------------------------------------------------------------------------------

def make_zip(path: Path, apps: list[str] = ALL_APPS, top: str | None = TOP, extra: list[tuple] = ()) -> Path:
    """A ScaleWoB-like archive: <top>/<app>/index.html (+ a script), <top>/environments.json.

    ``extra`` entries are (name, data) or (name, data, "symlink").
    """
    rng = random.Random(0)  # incompressible-ish filler so the archive has some size to interrupt
    pre = f"{top}/" if top else ""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{pre}environments.json", json.dumps([{"id": a} for a in apps]))
        for app in apps:
            zf.writestr(f"{pre}{app}/index.html", f"<!doctype html><title>{app}</title><script src='app.js'></script>")
            zf.writestr(f"{pre}{app}/app.js", "// " + "".join(rng.choice("abcdef0123") for _ in range(900)))
        zf.writestr("__MACOSX/._junk", b"\x00\x05")
        for entry in extra:
            name, data = entry[0], entry[1]
            if len(entry) > 2 and entry[2] == "symlink":
                info = zipfile.ZipInfo(name)
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, data)
            else:
                zf.writestr(name, data)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArchiveServer:
    """Serves ``payload`` at /files/scalewob-env.zip; /f/<id>/?dl=1 redirects there (like the file host).

    mode: "range" (honours Range/If-Range), "ignore_range" (always 200), "drop_once" (first file
    request sends half the body, then closes), "stall_once" (first request stalls after half),
    "404".
    """

    ETAG = '"v1"'

    def __init__(self, payload: bytes, mode: str = "range"):
        self.payload, self.mode = payload, mode
        self.requests: list[dict] = []
        self.file_requests = 0
        self.lock = threading.Lock()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                state.requests.append({"path": self.path, "range": self.headers.get("Range"),
                                       "if_range": self.headers.get("If-Range")})
                if self.path.startswith("/f/"):
                    self.send_response(302)
                    self.send_header("Location", "/files/scalewob-env.zip")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if state.mode == "404" or self.path != "/files/scalewob-env.zip":
                    self.send_error(404)
                    return
                with state.lock:
                    state.file_requests += 1
                    first = state.file_requests == 1
                data, start, status = state.payload, 0, 200
                rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
                if rng and state.mode != "ignore_range" and (if_range is None or if_range == state.ETAG):
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                body = data[start:]
                self.send_response(status)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", state.ETAG)
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                if first and state.mode in ("drop_once", "stall_once"):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    if state.mode == "stall_once":
                        time.sleep(1.0)
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/f/2d5201e728bf/?dl=1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def file_gets(self) -> list[dict]:
        return [r for r in self.requests if r["path"].startswith("/files/")]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, bytes]:
    path = make_zip(tmp_path_factory.mktemp("zip") / "scalewob-env.zip")
    return path, path.read_bytes()


def no_leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}."))


def fast(**kw):
    return dict(dict(retries=2, backoff=0, timeout=5), **kw)


# -- download + install ---------------------------------------------------------------------------

def test_full_download_extract_and_manifest(tmp_path, archive):
    path, payload = archive
    dest = tmp_path / "env" / "scalewob-env"
    seen = []
    with ArchiveServer(payload) as srv:
        result = install(dest, url=srv.url, progress=lambda done, total: seen.append((done, total)), **fast())
    assert result.action == "installed" and result.ok, result.summary()
    assert [r["path"] for r in srv.requests] == ["/f/2d5201e728bf/?dl=1", "/files/scalewob-env.zip"]
    assert srv.requests[1]["range"] is None
    assert seen[-1] == (len(payload), len(payload))
    assert sorted(p.name for p in dest.iterdir() if p.is_dir()) == sorted(ALL_APPS)  # top folder stripped
    assert (dest / "environments.json").is_file() and not (dest / "__MACOSX").exists()
    assert (dest / "taobao" / "index.html").read_text().startswith("<!doctype html>")
    manifest = json.loads((dest / "MANIFEST.json").read_text())
    assert manifest["source_url"] == srv.url and manifest["sha256"] == sha(payload)
    assert manifest["size"] == len(payload) and manifest["app_count"] == 96
    assert manifest["archive_prefix"] == TOP and manifest["environments_json"] is True
    assert manifest["installed_at"].endswith("+00:00") and manifest["etag"] == ArchiveServer.ETAG
    apps = {a["id"]: a for a in manifest["apps"]}
    assert set(apps) == set(ALL_APPS) and apps["BestBuy"]["files"] == 2 and apps["BestBuy"]["bytes"] > 900
    part, done, _ = scalewob.download_paths(dest)
    assert not part.exists() and not done.exists()  # the zip is removed unless --keep-archive
    assert no_leftovers(dest) == []
    assert oct(dest.stat().st_mode & 0o777) == oct(0o755)
    assert "Result: OK" in result.summary() and "test10   10/10 present" in result.summary()


def test_resume_after_connection_dropped_halfway(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    logs = []
    with ArchiveServer(payload, mode="drop_once") as srv:
        result = install(dest, url=srv.url, log=logs.append, **fast())
    gets = srv.file_gets()
    assert len(gets) == 2 and gets[0]["range"] is None
    half = len(payload) // 2
    assert gets[1]["range"] == f"bytes={half}-"  # the .part file was continued, not restarted
    assert gets[1]["if_range"] == ArchiveServer.ETAG
    assert result.download.restarts == 0 and result.download.size == len(payload)
    assert result.manifest["sha256"] == sha(payload) and result.ok
    assert any("connection closed after" in m for m in logs) and any("resuming at byte" in m for m in logs)


def test_resume_partial_file_from_an_earlier_run(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    part = scalewob.download_paths(dest)[0]
    part.write_bytes(payload[:1000])  # e.g. the previous run was killed
    with ArchiveServer(payload) as srv:
        result = install(dest, url=srv.url, sha256=sha(payload), **fast())
    assert [g["range"] for g in srv.file_gets()] == ["bytes=1000-"]
    assert result.ok and result.download.restarts == 0


def test_tqdm_bar_follows_a_resumed_download(tmp_path, archive):
    import io

    _, payload = archive
    out = io.StringIO()
    progress, bar = scalewob.tqdm_progress(file=out, disable=False, mininterval=0)
    with ArchiveServer(payload, mode="drop_once") as srv:
        install(tmp_path / "scalewob-env", url=srv.url, progress=progress, **fast())
    bar.close()
    assert (bar.n, bar.total) == (len(payload), len(payload))  # the resumed half continued the bar
    assert "ScaleWoB: 100%" in out.getvalue()


def test_server_ignoring_range_restarts_from_zero(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    part = scalewob.download_paths(dest)[0]
    part.write_bytes(b"garbage!" * 100)
    with ArchiveServer(payload, mode="ignore_range") as srv:
        result = install(dest, url=srv.url, sha256=sha(payload), **fast())
    assert [g["range"] for g in srv.file_gets()] == ["bytes=800-"]
    assert result.download.restarts == 1 and result.manifest["sha256"] == sha(payload)


def test_stalled_transfer_times_out_and_resumes(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    with ArchiveServer(payload, mode="stall_once") as srv:
        result = install(dest, url=srv.url, **fast(timeout=0.3))
    gets = srv.file_gets()
    assert len(gets) == 2 and gets[1]["range"] == f"bytes={len(payload) // 2}-"
    assert result.ok


def test_completed_part_file_answered_416(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    scalewob.download_paths(dest)[0].write_bytes(payload)  # complete but not yet renamed
    with ArchiveServer(payload) as srv:
        result = install(dest, url=srv.url, **fast())
    assert [g["range"] for g in srv.file_gets()] == [f"bytes={len(payload)}-"]
    assert result.ok and result.manifest["sha256"] == sha(payload)


def test_sha256_mismatch_fails_and_leaves_no_folder(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    with ArchiveServer(payload) as srv, pytest.raises(ArchiveError, match="sha256 mismatch") as err:
        install(dest, url=srv.url, sha256="0" * 64, **fast())
    assert sha(payload) in str(err.value) and "--archive" in str(err.value)
    assert not dest.exists() and no_leftovers(dest) == []
    part, done, rejected = scalewob.download_paths(dest)
    assert rejected.read_bytes() == payload and not part.exists() and not done.exists()


def test_html_page_instead_of_zip(tmp_path):
    dest = tmp_path / "scalewob-env"
    with ArchiveServer(b"<!DOCTYPE html><html>link expired</html>") as srv, \
            pytest.raises(ArchiveError, match="HTML page"):
        install(dest, url=srv.url, **fast())
    assert not dest.exists() and scalewob.download_paths(dest)[2].exists()


@pytest.mark.parametrize("extra", [
    [(f"{TOP}/../../evil.txt", "x")],
    [("/tmp/evil.txt", "x")],
    [(f"{TOP}/BestBuy/../../../evil.txt", "x")],
    [(f"{TOP}\\..\\..\\evil.txt", "x")],
    [("C:/evil.txt", "x")],
    [(f"{TOP}/BestBuy/link", "../../../evil_dir", "symlink")],
    [(f"{TOP}/BestBuy/abs", "/etc", "symlink")],
    # a chain: each link lexically inside, but together they resolve outside
    [(f"{TOP}/a/b/s", "..", "symlink"), (f"{TOP}/t", "a/b/s/../..", "symlink")],
    # a chain that escapes three levels up, then a member whose folder would be made through it
    [(f"{TOP}/d", ".", "symlink"), (f"{TOP}/e", "d/d/d/../../..", "symlink"), (f"{TOP}/e/evil_planted/x", "y", "symlink")],
    # each link resolves inside when made (x does not exist yet); together a/.. is the parent
    [(f"{TOP}/a", "x/..", "symlink"), (f"{TOP}/x", ".", "symlink"), (f"{TOP}/a/evil_planted/y", "z", "symlink")],
], ids=["dotdot", "absolute", "nested-dotdot", "backslash", "drive", "symlink-out", "symlink-abs",
        "symlink-chain", "symlink-chain-mkdir", "symlink-later-link"])
def test_zip_slip_rejected(tmp_path, extra):
    bad = make_zip(tmp_path / "bad.zip", extra=extra)
    dest = tmp_path / "out" / "scalewob-env"
    with pytest.raises(ArchiveError, match="unsafe archive member"):
        install(dest, archive=bad, **fast())
    assert not dest.exists() and no_leftovers(dest) == []
    assert not list(tmp_path.rglob("evil*")) and not list(tmp_path.parent.glob("evil*"))
    assert bad.exists()  # a user's --archive is never moved or deleted


def test_member_parts_and_prefix():
    assert member_parts("a/./b//c") == ("a", "b", "c")
    for name in ("../x", "/x", "a/../../x", "c:\\x", "a\x00b"):
        with pytest.raises(ArchiveError):
            member_parts(name)
    flat = ["environments.json", "jd/index.html", "kfc/index.html"]
    assert find_corpus_prefix(flat) == ()
    nested = ["README.txt", "pkg/x/scalewob-env/environments.json", "pkg/x/scalewob-env/jd/index.html",
              "pkg/x/scalewob-env/jd/sub/index.html", "pkg/x/scalewob-env/kfc/index.html"]
    assert find_corpus_prefix(nested) == ("pkg", "x", "scalewob-env")
    with pytest.raises(ArchiveError, match="no app folders"):
        find_corpus_prefix(["readme.txt", "a/b.js"])


def test_safe_extract_keeps_inner_symlinks(tmp_path):
    z = make_zip(tmp_path / "ok.zip", apps=["jd"], extra=[(f"{TOP}/jd/alias.js", "app.js", "symlink")])
    out = tmp_path / "out"
    out.mkdir()
    res = safe_extract(z, out)
    assert res.prefix == (TOP,) and res.symlinks == 1 and "__MACOSX/._junk" in res.skipped
    assert os.readlink(out / "jd" / "alias.js") == "app.js" and (out / "jd" / "alias.js").read_text().startswith("//")


def test_missing_split_apps_reported(tmp_path, capsys):
    apps = [a for a in ALL_APPS if a not in ("taobao", "BestBuy")] + ["bestbuy"]
    z = make_zip(tmp_path / "partial.zip", apps=apps)
    dest = tmp_path / "scalewob-env"
    rc = cli_main(["corpus", "download", "--archive", str(z), "--dest", str(dest), "--quiet"])
    out = capsys.readouterr().out
    assert rc == 2 and dest.is_dir()  # the corpus is in place, but the checks fail
    assert "test10   9/10 present; missing: taobao" in out
    assert "train86  85/86 present; missing: BestBuy" in out
    assert "extra    bestbuy" in out and "'BestBuy' is missing but 'bestbuy' exists" in out
    assert "apps     95 (expected 96)  MISMATCH" in out and "CHECKS FAILED" in out
    report = check_corpus(dest)
    assert report.missing == {"test10": ["taobao"], "train86": ["BestBuy"]} and report.extra == ["bestbuy"]
    assert not report.ok and check_corpus(dest, expect_apps=None, split_names=["demo"]).missing["demo"]
    assert cli_main(["corpus", "check", "--dest", str(dest)]) == 2


def test_idempotent_rerun_and_force(tmp_path, archive):
    _, payload = archive
    dest = tmp_path / "scalewob-env"
    with ArchiveServer(payload) as srv:
        first = install(dest, url=srv.url, **fast())
        stamp = (dest / "MANIFEST.json").read_text()
        again = install(dest, url=srv.url, **fast())
        assert again.action == "skipped" and again.ok and len(srv.file_gets()) == 1
        assert (dest / "MANIFEST.json").read_text() == stamp
        assert "already installed" in again.summary()
        forced = install(dest, url=srv.url, force=True, **fast())
        assert forced.action == "installed" and len(srv.file_gets()) == 2
        assert no_leftovers(dest) == []
        # a sha256 that differs from the installed one is not silently accepted
        with pytest.raises(InstallError, match="--force"):
            install(dest, url=srv.url, sha256="1" * 64, **fast())
        # a damaged folder no longer matches its manifest
        (dest / "jd" / "app.js").unlink()
        with pytest.raises(InstallError, match="changed"):
            install(dest, url=srv.url, **fast())
    assert first.manifest["sha256"] == forced.manifest["sha256"]


def test_refuses_unmanaged_existing_folder(tmp_path, archive):
    path, _ = archive
    dest = tmp_path / "scalewob-env"
    (dest / "jd").mkdir(parents=True)
    (dest / "jd" / "index.html").write_text("hand-made")
    with pytest.raises(InstallError, match="no MANIFEST.json"):
        install(dest, archive=path)
    assert (dest / "jd" / "index.html").read_text() == "hand-made"
    assert install(dest, archive=path, force=True).ok


def test_local_archive_cli(tmp_path, archive, capsys):
    path, payload = archive
    dest = tmp_path / "scalewob-env"
    argv = ["--archive", str(path), "--dest", str(dest), "--sha256", sha(payload).upper(), "--quiet"]
    assert cli_main(["corpus", "download", *argv]) == 0
    out = capsys.readouterr().out
    assert "Result: OK" in out and "96 app folders" in out
    manifest = json.loads((dest / "MANIFEST.json").read_text())
    assert manifest["source_url"] is None and manifest["archive"] == str(path)
    assert path.exists()  # the user's archive is kept
    assert cli_main(["corpus", "download", *argv]) == 0 and "already installed" in capsys.readouterr().out
    assert cli_main(["corpus", "check", "--dest", str(dest)]) == 0


def test_unreachable_host_explains_manual_placement(tmp_path, capsys):
    with socket.socket() as s:  # a port with nothing listening: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "scalewob-env"
    rc = cli_main(["corpus", "download", "--url", f"http://127.0.0.1:{port}/x.zip", "--dest", str(dest), "--retries", "1",
                        "--backoff", "0", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "after 2 attempts" in err and "--archive /path/to/scalewob-env.zip" in err
    assert not dest.exists()


def test_http_404_is_not_retried(tmp_path, archive, monkeypatch):
    _, payload = archive
    with ArchiveServer(payload, mode="404") as srv:
        monkeypatch.setenv(scalewob.URL_ENV_VAR, srv.url)  # the env var supplies the default URL
        with pytest.raises(DownloadError, match="HTTP 404"):
            install(tmp_path / "scalewob-env", **fast(retries=5))
    assert len(srv.file_gets()) == 1


# -- external assets ------------------------------------------------------------------------------

def make_asset_corpus(root: Path) -> Path:
    shop = root / "shop"
    (shop / "css").mkdir(parents=True)
    (shop / "index.html").write_text("""<!doctype html>
<html><head>
<script src="https://cdn.tailwindcss.com?plugins=forms"></script>
<link rel="stylesheet" href="//fonts.googleapis.com/css2?family=Inter&display=swap">
<link rel="preconnect" href="https://fonts.gstatic.com">
<link rel="stylesheet" href="css/site.css">
<script src="js/app.js"></script>
<style>.hero { background: url('https://images.example.com/hero.jpg'); }</style>
</head><body>
<svg xmlns="http://www.w3.org/2000/svg"><use href="#i"/></svg>
<img src="https://picsum.photos/200" srcset="https://img.cdn.net/a.png 1x, b.png 2x">
<img data-src="https://lazy.example.org/x.webp" src="local.png">
<a href="https://www.example.com/about">about</a>
<div style="background-image:url(//bg.example.net/bg.png)"></div>
<script>fetch("https://api.example.com/items?x=1"); const ns = "http://www.w3.org/1999/xhtml";
import("https://esm.sh/lodash");</script>
<img src="http://127.0.0.1:8000/shop/ok.png"><img src="/local/abs.png">
</body></html>""")
    (shop / "css" / "site.css").write_text("@import url('https://cdn.jsdelivr.net/npm/x.css');\n"
                                            "@font-face { src: url(\"https://fonts.gstatic.com/s/inter.woff2\"); }\n"
                                            ".a{background:url(data:image/png;base64,AAAA)}\n"
                                            ".b{background:url(img/x.png)}")
    (shop / "js").mkdir()
    (shop / "js" / "app.js").write_text("import x from 'https://unpkg.com/y@1/index.js';\n"
                                        "const products = [{img: 'https://img.alicdn.com/p1.jpg'}];\n"
                                        "el.src = 'https://img.alicdn.com/p2.jpg';\n"
                                        "// see https://github.com/foo/bar (comment, unquoted)\n"
                                        "const re = /^https?:\\/\\//; const s = '//not a host';\n")
    quiet = root / "quiet"
    quiet.mkdir()
    (quiet / "index.html").write_text("<html><body><script src='main.js'></script></body></html>")
    (quiet / "main.js").write_text("console.log('offline')")
    return root


def test_scan_external_assets(tmp_path):
    root = make_asset_corpus(tmp_path / "corpus")
    scans = scan_corpus(root)
    assert set(scans) == {"shop", "quiet"} and scans["quiet"].refs == [] and scans["quiet"].files_scanned == 2
    shop = scans["shop"]
    kinds = {(r.host, r.kind) for r in shop.refs}
    assert {("cdn.tailwindcss.com", "script"), ("fonts.googleapis.com", "stylesheet"),
            ("images.example.com", "css-url"), ("picsum.photos", "img"), ("img.cdn.net", "img"),
            ("lazy.example.org", "src"), ("bg.example.net", "css-url"), ("api.example.com", "fetch"),
            ("esm.sh", "js-import"), ("cdn.jsdelivr.net", "css-import"), ("fonts.gstatic.com", "css-url"),
            ("unpkg.com", "js-import"), ("img.alicdn.com", "string"), ("img.alicdn.com", "src"),
            ("www.example.com", "anchor"), ("fonts.gstatic.com", "preconnect")} <= kinds
    hosts = set(shop.hosts())  # loaded assets only
    assert "www.example.com" not in hosts and "img.alicdn.com" in hosts and "github.com" not in hosts
    assert not {"www.w3.org", "127.0.0.1"} & set(shop.hosts(loaded_only=False))
    assert "//fonts.googleapis.com/css2?family=Inter&display=swap" in shop.urls()
    tw = next(r for r in shop.refs if r.host == "cdn.tailwindcss.com")
    assert tw.file == "index.html" and tw.line == 3
    fetch = next(r for r in shop.refs if r.kind == "fetch")
    assert fetch.line == 15
    assert next(r for r in shop.refs if r.host == "unpkg.com").file == "js/app.js"
    assert external_host("//cdn.x.com/a.js") == "cdn.x.com" and external_host("http://localhost/x") is None
    assert scan_app(root / "shop").to_json()["urls"] == shop.urls()


def test_report_blocked_and_cli(tmp_path, capsys):
    run = tmp_path / "run"
    for app, k, urls in [("shop", 0, ["https://cdn.tailwindcss.com/", "https://picsum.photos/200"]),
                         ("shop", 1, ["https://picsum.photos/200", "https://fonts.gstatic.com/a.woff2"]),
                         ("quiet", 0, [])]:
        d = run / app / f"session_{k}"
        d.mkdir(parents=True)
        (d / "summary.json").write_text(json.dumps({"app": app, "blocked_requests": urls}))
    (run / "summary.json").write_text(json.dumps({"apps": []}))  # run-level summary: skipped
    report = report_blocked([run])
    assert report == {"quiet": [], "shop": ["https://cdn.tailwindcss.com/", "https://fonts.gstatic.com/a.woff2",
                                            "https://picsum.photos/200"]}
    assert report_blocked([run / "shop" / "session_0" / "summary.json"])["shop"] == \
        ["https://cdn.tailwindcss.com/", "https://picsum.photos/200"]

    root = make_asset_corpus(tmp_path / "corpus")
    out_json = tmp_path / "report.json"
    rc = cli_main(["corpus", "scan", "--corpus", str(root), "--urls", "--blocked", str(run), "--json", str(out_json)])
    out = capsys.readouterr().out
    assert rc == 0 and "cdn.tailwindcss.com" in out and "      https://picsum.photos/200" in out
    assert "shop: cdn.tailwindcss.com (1)" in out and "quiet: none" in out
    data = json.loads(out_json.read_text())
    assert data["hosts"]["picsum.photos"] == ["shop"] and data["blocked"] == report
    assert cli_main(["corpus", "scan", "--corpus", str(root), "--apps", "quiet"]) == 0
