"""Download, verify and install the ScaleWoB app corpus (the authors' zip archive), stdlib only.

    python scripts/download_scalewob_env.py                      # download + install + check
    python scripts/download_scalewob_env.py --archive ~/scalewob-env.zip   # zip placed by hand
    python scripts/download_scalewob_env.py --check              # only check an installed corpus

Pipeline (``install``):

1. Idempotence: if ``<dest>/MANIFEST.json`` exists and matches (same archive sha256 / source and the
   folder still holds the recorded apps), nothing is downloaded or extracted; the checks still run.
2. Download (``download``) to ``<dest>.download.part`` with HTTP Range resume (``If-Range`` guards
   against a changed file; a server that ignores Range gets a restart from byte 0), socket timeouts,
   retries with exponential backoff and a progress line. A finished download is renamed to
   ``<dest>.download.zip`` (reused by a rerun, deleted after a successful install unless
   ``--keep-archive``).
3. Verify: optional ``--sha256``; ``zipfile.testzip()`` (CRC of every member). A downloaded file that
   fails is moved to ``<dest>.download.rejected`` so a rerun starts afresh.
4. Safe extraction (``safe_extract``): every member name is validated before anything is written
   (no absolute paths, drive letters, ``..`` components, NULs; symlinks must stay inside the
   destination, checked both lexically and, after creation, with ``realpath``). The corpus root inside
   the archive is found (``find_corpus_prefix``: the folder holding ``environments.json`` / the app
   folders), so an archive with one top-level folder works. Extraction goes to a hidden temporary
   folder next to ``dest``, which is renamed into place only once complete (atomic on one filesystem).
5. ``<dest>/MANIFEST.json``: source, sha256, size, dates, apps with file counts and bytes.
6. Checks (``check_corpus``): expected app count (96) and every test10/train86 id present
   (case-sensitive), listing missing and extra ids.

Exit codes of ``main``: 0 ok, 1 error (nothing installed), 2 installed/present but checks failed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, build_opener

from jamel.corpus import SCALEWOB_CORPUS, Corpus, load_splits

DEFAULT_URL = "https://cloud.tsinghua.edu.cn/f/2d5201e728bf4c58af3e/?dl=1"
URL_ENV_VAR = "JAMEL_SCALEWOB_URL"
DEFAULT_EXPECT_APPS = 96
CHECKED_SPLITS = ("test10", "train86")
MANIFEST_NAME = "MANIFEST.json"
MANIFEST_FORMAT = 1
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) jamel-scalewob-downloader/0.1"
FATAL_HTTP = {400, 401, 403, 404, 405, 410, 451}  # retrying will not help
IGNORED_PREFIXES = ("__MACOSX/",)  # macOS resource forks in zips made with Finder

Progress = Callable[[int, "int | None"], None]
Log = Callable[[str], None]


class ScaleWoBError(RuntimeError):
    """Base class: the message is meant for the user as is."""


class DownloadError(ScaleWoBError):
    pass


class ArchiveError(ScaleWoBError):
    pass


class InstallError(ScaleWoBError):
    pass


def _noop_log(_msg: str) -> None:
    pass


def manual_hint(url: str, dest: Path) -> str:
    host = urlsplit(url).hostname or url
    return (
        f"If this machine cannot reach {host} (JAMEL's build and GPU machines cannot: only PyPI, npm and "
        f"Debian mirrors are reachable there), download the zip on a machine that can (e.g. open {url} in a "
        f"browser), copy it here and install it with:\n"
        f"    python scripts/download_scalewob_env.py --archive /path/to/scalewob-env.zip --dest {dest}\n"
        f"(add --sha256 HEX to verify it). A proxy is honoured through the HTTPS_PROXY environment variable."
    )


# -- download -------------------------------------------------------------------------------------

@dataclass
class DownloadInfo:
    path: Path
    size: int
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    restarts: int = 0  # times the partial file was discarded (server ignored Range, file changed)
    requests: int = 0


_CONTENT_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_CONTENT_RANGE_416_RE = re.compile(r"bytes\s+\*/(\d+)")


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    path.write_text(json.dumps(meta), encoding="utf-8")


def _discard(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def download(url: str, part: Path, *, timeout: float = 60.0, retries: int = 5, backoff: float = 2.0,
             chunk_size: int = 1 << 20, progress: Progress | None = None, log: Log = _noop_log,
             sleep: Callable[[float], None] = time.sleep) -> DownloadInfo:
    """Stream ``url`` into ``part``, resuming an existing partial file with an HTTP Range request.

    ``part`` holds the bytes received so far; ``part + '.json'`` the validators (URL, ETag,
    Last-Modified, total size) used to resume safely. Returns once ``part`` is complete. ``retries``
    counts consecutive attempts without progress; an attempt that received bytes resets the count.
    """
    part = Path(part)
    part.parent.mkdir(parents=True, exist_ok=True)
    meta_path = part.with_name(part.name + ".json")
    meta = _read_meta(meta_path)
    info = DownloadInfo(path=part, size=0)
    if part.exists() and meta.get("url") not in (None, url):
        log(f"partial download {part} came from another URL; starting over")
        _discard(part, meta_path)
        meta = {}
    opener = build_opener()  # honours *_PROXY variables, follows redirects (keeping Range headers)
    failures = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", "Accept": "*/*"}
        if have:
            headers["Range"] = f"bytes={have}-"
            etag = meta.get("etag")
            validator = etag if etag and not etag.startswith("W/") else meta.get("last_modified")
            if validator:
                headers["If-Range"] = validator  # the server sends the whole file if it changed
        progressed = False
        err: BaseException | None = None
        info.requests += 1
        try:
            resp = opener.open(Request(url, headers=headers), timeout=timeout)
        except HTTPError as exc:
            exc_headers = exc.headers
            exc.close()
            if exc.code == 416 and have:
                m = _CONTENT_RANGE_416_RE.search(exc_headers.get("Content-Range", "") if exc_headers else "")
                if m and int(m.group(1)) == have:  # the partial file is already complete
                    _discard(meta_path)
                    info.size = have
                    return info
                log(f"server cannot resume at byte {have} (HTTP 416); restarting from byte 0")
                _discard(part, meta_path)
                meta, info.restarts = {}, info.restarts + 1
                if info.restarts > retries + 1:
                    raise DownloadError(f"{url}: server keeps rejecting resumed downloads (HTTP 416)") from exc
                continue
            if exc.code in FATAL_HTTP:
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}. The link may have expired or moved; "
                                    f"pass the current one with --url or ${URL_ENV_VAR}.") from exc
            err = exc
        except (URLError, OSError, http.client.HTTPException) as exc:  # DNS, refused, timeout, TLS
            err = exc
        else:
            with resp:
                status = resp.status
                info.final_url = resp.geturl()
                total: int | None
                if status == 206 and have:
                    m = _CONTENT_RANGE_RE.search(resp.headers.get("Content-Range", ""))
                    if not m or int(m.group(1)) != have:
                        log(f"server answered a different range ({resp.headers.get('Content-Range')!r}); "
                            "restarting from byte 0")
                        _discard(part, meta_path)
                        meta, info.restarts = {}, info.restarts + 1
                        continue
                    total = int(m.group(3)) if m.group(3) != "*" else None
                    mode = "ab"
                    log(f"resuming at byte {have}" + (f" of {total}" if total else ""))
                elif status == 200:
                    if have:
                        log(f"server ignored the Range request (or the file changed); restarting from byte 0 "
                            f"(discarding {have} bytes)")
                        info.restarts += 1
                    have = 0
                    length = resp.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    mode = "wb"
                else:
                    raise DownloadError(f"{url}: unexpected HTTP status {status}")
                meta = {"url": url, "etag": resp.headers.get("ETag"),
                        "last_modified": resp.headers.get("Last-Modified"), "total": total}
                info.etag, info.last_modified = meta["etag"], meta["last_modified"]
                _write_meta(meta_path, meta)
                if progress:
                    progress(have, total)
                # read1: whatever has arrived (up to chunk_size), so a stall loses nothing already received
                read = getattr(resp, "read1", resp.read)
                with open(part, mode) as fh:  # disk errors (ENOSPC) propagate: retrying will not help
                    while True:
                        try:
                            chunk = read(chunk_size)
                        except (OSError, http.client.HTTPException) as exc:  # reset, timeout mid-body
                            err = exc
                            break
                        if not chunk:
                            break
                        fh.write(chunk)
                        have += len(chunk)
                        progressed = True
                        if progress:
                            progress(have, total)
                if err is None:
                    if total is None or have == total:
                        _discard(meta_path)
                        info.size = have
                        return info
                    if have > total:
                        log(f"received {have} bytes but the server announced {total}; restarting")
                        _discard(part, meta_path)
                        meta, info.restarts = {}, info.restarts + 1
                        continue
                    err = ConnectionError(f"connection closed after {have} of {total} bytes")
        failures = 0 if progressed else failures + 1
        if failures > retries:
            reason = getattr(err, "reason", None) or err
            kept = f" The {have} bytes received so far are kept in {part} and will be resumed." if have else ""
            raise DownloadError(f"could not download {url} after {failures} attempts: "
                                f"{type(err).__name__}: {reason}.{kept}") from err
        delay = min(60.0, backoff * 2 ** max(0, failures - 1))
        log(f"download interrupted ({type(err).__name__}: {getattr(err, 'reason', None) or err}); "
            f"retrying in {delay:.0f}s" + (f" (attempt {failures + 1} of {retries + 1})" if failures else ""))
        sleep(delay)


class ProgressPrinter:
    """A single updating progress line on a terminal, occasional lines otherwise (logs, CI)."""

    def __init__(self, stream=None, interval: float | None = None):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.25 if self.tty else 15.0)
        self.t0 = self.t_last = time.monotonic()
        self.start: int | None = None
        self.open_line = False

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start, self.t0 = done, now
        finished = total is not None and done >= total
        if now - self.t_last < self.interval and not finished and done != self.start:
            return
        self.t_last = now
        rate = (done - self.start) / max(now - self.t0, 1e-6)
        text = f"  {human_bytes(done)}"
        if total:
            text += f" / {human_bytes(total)} ({100 * done / total:5.1f}%)"
        text += f"  {human_bytes(rate)}/s"
        if total and rate > 0 and not finished:
            text += f"  ETA {int((total - done) / rate)}s"
        if self.tty:
            self.stream.write("\r" + text.ljust(70))
            self.open_line = not finished
            if finished:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


# -- archive checks and safe extraction -----------------------------------------------------------

def verify_zip(path: Path) -> int:
    """Raise ArchiveError unless ``path`` is a readable zip whose members all pass their CRC check.

    Returns the number of members.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            n = len(zf.infolist())
    except zipfile.BadZipFile as exc:
        head = b""
        try:
            with open(path, "rb") as fh:
                head = fh.read(512)
        except OSError:
            pass
        hint = ""
        if head.lstrip()[:1] == b"<":
            hint = (" It looks like an HTML page (a login, error or 'link expired' page from the file host), "
                    "not the archive.")
        raise ArchiveError(f"{path} is not a valid zip archive ({exc}).{hint}") from exc
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise ArchiveError(f"cannot read zip archive {path}: {exc}") from exc
    if bad is not None:
        raise ArchiveError(f"{path} is corrupt: member {bad!r} fails its CRC check (truncated or damaged download)")
    if n == 0:
        raise ArchiveError(f"{path} is an empty zip archive")
    return n


_DRIVE_RE = re.compile(r"^[A-Za-z]:")


def member_parts(name: str) -> tuple[str, ...]:
    """Validated path components of a zip member name (``()`` for the root itself).

    Raises ArchiveError for names that could write outside the destination (zip-slip).
    Backslashes count as separators: archives made on Windows sometimes use them.
    """
    if "\x00" in name:
        raise ArchiveError(f"unsafe archive member {name!r}: NUL character in its name")
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE_RE.match(norm):
        raise ArchiveError(f"unsafe archive member {name!r}: absolute path")
    parts = tuple(p for p in norm.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(f"unsafe archive member {name!r}: '..' path component (zip-slip)")
    return parts


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def find_corpus_prefix(names: Iterable[str]) -> tuple[str, ...]:
    """The folder (as path components) of the archive that holds the app folders.

    Prefers a folder holding ``environments.json`` that also holds apps; otherwise the folder with the
    most ``<app>/index.html`` children (ties: the shallowest). Raises ArchiveError if no app is found.
    """
    apps_under: Counter[tuple[str, ...]] = Counter()
    env_dirs: set[tuple[str, ...]] = set()
    for name in names:
        if name.replace("\\", "/").startswith(IGNORED_PREFIXES):
            continue
        parts = member_parts(name)
        if not parts:
            continue
        if parts[-1] == "environments.json":
            env_dirs.add(parts[:-1])
        elif parts[-1] == "index.html" and len(parts) >= 2 and not parts[-2].startswith("."):
            apps_under[parts[:-2]] += 1
    if not apps_under:
        raise ArchiveError("the archive holds no app folders (no <app>/index.html entries); is it the ScaleWoB zip?")
    with_env = [d for d in env_dirs if apps_under.get(d)]
    pool = with_env or list(apps_under)
    return max(pool, key=lambda d: (apps_under[d], -len(d), d))


@dataclass
class ExtractResult:
    prefix: tuple[str, ...]
    files: int
    symlinks: int
    skipped: list[str] = field(default_factory=list)  # members outside the corpus folder


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def safe_extract(archive: Path, dest: Path, *, prefix: tuple[str, ...] | None = None) -> ExtractResult:
    """Extract the corpus folder of ``archive`` into the (existing, empty) folder ``dest``.

    Members under ``prefix`` (default: ``find_corpus_prefix``) are written with the prefix stripped;
    others are skipped. Every member name is validated before anything is written. Symlinks are
    created last (so no file is ever written through one) and must resolve inside ``dest``.
    """
    dest = Path(dest)
    root_real = os.path.realpath(dest)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:  # validate everything first: a malicious archive writes nothing
            member_parts(info.filename)
        if prefix is None:
            prefix = find_corpus_prefix(i.filename for i in infos)
        plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        links: list[tuple[tuple[str, ...], str]] = []
        skipped: list[str] = []
        total_bytes = 0
        for info in infos:
            parts = member_parts(info.filename)
            if info.filename.replace("\\", "/").startswith(IGNORED_PREFIXES) or parts[:len(prefix)] != prefix:
                skipped.append(info.filename)
                continue
            rel = parts[len(prefix):]
            if not rel:
                continue
            if _is_symlink(info):
                target = zf.read(info).decode("utf-8", "surrogateescape")
                norm_target = target.replace("\\", "/")
                if norm_target.startswith("/") or _DRIVE_RE.match(norm_target) or "\x00" in target:
                    raise ArchiveError(f"unsafe archive member {info.filename!r}: symlink to absolute path {target!r}")
                joined = posixpath.normpath(posixpath.join(*rel[:-1], norm_target) if rel[:-1] else norm_target)
                if joined == ".." or joined.startswith("../"):
                    raise ArchiveError(f"unsafe archive member {info.filename!r}: symlink {target!r} points "
                                       "outside the destination")
                links.append((rel, norm_target))
            else:
                plan.append((info, rel))
                total_bytes += info.file_size
        free = shutil.disk_usage(dest).free
        if total_bytes > free:
            raise ArchiveError(f"not enough disk space in {dest}: the corpus needs {human_bytes(total_bytes)}, "
                               f"{human_bytes(free)} free")
        files = 0
        for info, rel in plan:
            target = dest.joinpath(*rel)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _inside(os.path.realpath(target.parent), root_real):  # belt and braces
                raise ArchiveError(f"unsafe archive member {info.filename!r}: resolves outside the destination")
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            except IsADirectoryError as exc:
                raise ArchiveError(f"archive member {info.filename!r} clashes with a folder of the same name") from exc
            files += 1
    for rel, target in links:
        link = dest.joinpath(*rel)
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(target, link)
        except FileExistsError as exc:
            raise ArchiveError(f"archive symlink {'/'.join(rel)!r} clashes with an extracted file or folder") from exc
    for rel, target in links:  # real resolution, through any chain of links: all must stay inside
        if not _inside(os.path.realpath(dest.joinpath(*rel)), root_real):
            raise ArchiveError(f"unsafe archive member {'/'.join(prefix + rel)!r}: symlink {target!r} "
                               "resolves outside the destination")
    return ExtractResult(prefix=prefix, files=files, symlinks=len(links), skipped=skipped)


# -- manifest and checks --------------------------------------------------------------------------

def _tree_stats(folder: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            files += 1
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return files, size


def app_stats(root: Path) -> list[dict[str, Any]]:
    """``[{id, files, bytes}]`` for every app folder (sub-folder with an index.html), sorted by id."""
    out = []
    for app in Corpus(Path(root)).apps():
        files, size = _tree_stats(Path(root) / app)
        out.append({"id": app, "files": files, "bytes": size})
    return out


def build_manifest(root: Path, *, source_url: str | None, archive: Path | None, sha256: str, size: int,
                   extract: ExtractResult | None = None, downloaded: DownloadInfo | None = None) -> dict[str, Any]:
    root = Path(root)
    apps = app_stats(root)
    app_ids = {a["id"] for a in apps}
    other = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and p.name not in app_ids and not p.name.startswith("."))
    return {
        "format": MANIFEST_FORMAT,
        "source_url": source_url,
        "archive": str(archive) if archive else None,
        "sha256": sha256,
        "size": size,
        "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "last_modified": downloaded.last_modified if downloaded else None,
        "etag": downloaded.etag if downloaded else None,
        "archive_prefix": "/".join(extract.prefix) if extract else "",
        "skipped_members": len(extract.skipped) if extract else 0,
        "environments_json": (root / "environments.json").is_file(),
        "app_count": len(apps),
        "total_files": sum(a["files"] for a in apps),
        "total_bytes": sum(a["bytes"] for a in apps),
        "apps": apps,
        "other_dirs": other,
    }


def read_manifest(root: Path) -> dict[str, Any] | None:
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifest_mismatch(root: Path, manifest: dict[str, Any], *, url: str | None, archive_sha256: str | None,
                      expected_sha256: str | None) -> str | None:
    """Why the installed corpus does not match the request (None = it matches)."""
    if manifest.get("format") != MANIFEST_FORMAT:
        return f"manifest format {manifest.get('format')!r} is not {MANIFEST_FORMAT}"
    if expected_sha256 and manifest.get("sha256", "").lower() != expected_sha256.lower():
        return f"installed archive sha256 {manifest.get('sha256')} != requested {expected_sha256}"
    if archive_sha256 and manifest.get("sha256", "").lower() != archive_sha256.lower():
        return f"installed archive sha256 {manifest.get('sha256')} differs from the given archive ({archive_sha256})"
    if url and archive_sha256 is None and manifest.get("source_url") not in (None, url):
        return f"installed from {manifest.get('source_url')}, not {url}"
    recorded = {a["id"]: (a["files"], a["bytes"]) for a in manifest.get("apps", [])}
    current = {a["id"]: (a["files"], a["bytes"]) for a in app_stats(root)}
    if recorded != current:
        missing = sorted(set(recorded) - set(current))
        added = sorted(set(current) - set(recorded))
        changed = sorted(a for a in set(recorded) & set(current) if recorded[a] != current[a])
        bits = [f"{label}: {ids[:10]}{' ...' if len(ids) > 10 else ''}"
                for label, ids in (("missing", missing), ("added", added), ("changed", changed)) if ids]
        return "the folder no longer matches MANIFEST.json (" + "; ".join(bits) + ")"
    return None


@dataclass
class CheckReport:
    root: Path
    apps: list[str]
    expected_count: int | None
    split_sizes: dict[str, int]
    missing: dict[str, list[str]]  # split -> ids absent from the corpus
    extra: list[str]  # corpus apps in none of the checked splits
    case_hints: dict[str, str]  # expected id -> present id that differs only in case

    @property
    def count_ok(self) -> bool:
        return self.expected_count is None or len(self.apps) == self.expected_count

    @property
    def ok(self) -> bool:
        return self.count_ok and not any(self.missing.values())

    def to_json(self) -> dict[str, Any]:
        return {"root": str(self.root), "ok": self.ok, "app_count": len(self.apps),
                "expected_count": self.expected_count, "missing": self.missing, "extra": self.extra,
                "case_hints": self.case_hints}

    def format(self) -> str:
        lines = [f"  apps     {len(self.apps)}" + (f" (expected {self.expected_count})" if self.expected_count
                                                    is not None else "")
                 + ("" if self.count_ok else "  MISMATCH")]
        for split, missing in self.missing.items():
            n = self.split_sizes[split]
            lines.append(f"  {split:<8} {n - len(missing)}/{n} present" + (f"; missing: {' '.join(missing)}"
                                                                            if missing else ""))
        lines.append(f"  extra    {' '.join(self.extra) if self.extra else 'none'}"
                     + (" (apps in no checked split)" if self.extra else ""))
        for want, have in self.case_hints.items():
            lines.append(f"  note     {want!r} is missing but {have!r} exists (app ids are case-sensitive)")
        return "\n".join(lines)


def check_corpus(root: Path, *, expect_apps: int | None = DEFAULT_EXPECT_APPS,
                 splits: dict[str, Sequence[str]] | None = None,
                 split_names: Sequence[str] = CHECKED_SPLITS) -> CheckReport:
    """Compare the app folders under ``root`` with the expected count and the named splits."""
    splits = splits if splits is not None else load_splits()
    apps = Corpus(Path(root)).apps()
    present = set(apps)
    lower = {a.lower(): a for a in apps}
    missing: dict[str, list[str]] = {}
    hints: dict[str, str] = {}
    wanted: set[str] = set()
    for name in split_names:
        ids = list(splits[name])
        wanted.update(ids)
        missing[name] = [a for a in ids if a not in present]
        for a in missing[name]:
            if a.lower() in lower:
                hints[a] = lower[a.lower()]
    extra = sorted(a for a in apps if a not in wanted)
    return CheckReport(root=Path(root), apps=apps, expected_count=expect_apps,
                       split_sizes={n: len(splits[n]) for n in split_names}, missing=missing, extra=extra,
                       case_hints=hints)


# -- install --------------------------------------------------------------------------------------

@dataclass
class InstallResult:
    action: str  # "installed" | "skipped" (already installed and matching)
    dest: Path
    manifest: dict[str, Any]
    check: CheckReport
    download: DownloadInfo | None = None

    @property
    def ok(self) -> bool:
        return self.check.ok

    def summary(self) -> str:
        m = self.manifest
        src = m.get("source_url") or m.get("archive") or "?"
        head = ("installed" if self.action == "installed"
                else "already installed (MANIFEST.json matches; --force to redo)")
        lines = [f"ScaleWoB corpus: {self.dest}", f"  status   {head}",
                 f"  source   {src}",
                 f"  archive  sha256 {m.get('sha256')}, {human_bytes(m.get('size') or 0)}, "
                 f"installed {m.get('installed_at')}",
                 f"  content  {m.get('app_count')} app folders, {m.get('total_files')} files, "
                 f"{human_bytes(m.get('total_bytes') or 0)}; environments.json "
                 f"{'present' if m.get('environments_json') else 'absent'}",
                 self.check.format(),
                 f"Result: {'OK' if self.ok else 'CHECKS FAILED (the corpus is in place but incomplete)'}"]
        return "\n".join(lines)


def download_paths(dest: Path) -> tuple[Path, Path, Path]:
    """(partial download, completed download, rejected download) next to ``dest``."""
    dest = Path(dest)
    return (dest.with_name(dest.name + ".download.part"), dest.with_name(dest.name + ".download.zip"),
            dest.with_name(dest.name + ".download.rejected"))


def _cleanup_stale(dest: Path, log: Log) -> None:
    for stale in dest.parent.glob(f".{dest.name}.partial-*"):
        log(f"removing leftover temporary folder {stale}")
        shutil.rmtree(stale, ignore_errors=True)


def install(dest: Path = SCALEWOB_CORPUS, *, url: str | None = None, archive: Path | None = None,
            sha256: str | None = None, expect_apps: int | None = DEFAULT_EXPECT_APPS, force: bool = False,
            keep_archive: bool = False, timeout: float = 60.0, retries: int = 5, backoff: float = 2.0,
            progress: Progress | None = None, log: Log = _noop_log,
            splits: dict[str, Sequence[str]] | None = None) -> InstallResult:
    """Download (or take ``archive``), verify, extract atomically into ``dest``, write the manifest, check.

    Raises ScaleWoBError subclasses with user-facing messages; on any error ``dest`` is left as it was.
    """
    dest = Path(dest).expanduser().absolute()
    url = url or os.environ.get(URL_ENV_VAR) or DEFAULT_URL
    sha256 = sha256.lower().strip() if sha256 else None
    if sha256 and not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise InstallError(f"--sha256 must be 64 hex digits, got {sha256!r}")
    archive = Path(archive).expanduser().absolute() if archive else None
    if archive and not archive.is_file():
        raise InstallError(f"archive {archive} does not exist (or is not a file)")

    def checked(action: str, manifest: dict[str, Any], info: DownloadInfo | None = None) -> InstallResult:
        return InstallResult(action=action, dest=dest, manifest=manifest, download=info,
                             check=check_corpus(dest, expect_apps=expect_apps, splits=splits))

    archive_sha = sha256_file(archive) if archive else None
    if dest.exists() and not force:
        manifest = read_manifest(dest)
        if manifest is not None:
            why = manifest_mismatch(dest, manifest, url=None if archive else url, archive_sha256=archive_sha,
                                    expected_sha256=sha256)
            if why is None:
                log(f"{dest} is already installed and matches its MANIFEST.json; nothing to do")
                return checked("skipped", manifest)
            raise InstallError(f"{dest} holds a different or modified corpus: {why}. "
                               "Rerun with --force to replace it.")
        if not dest.is_dir() or any(dest.iterdir()):
            raise InstallError(f"{dest} exists but has no {MANIFEST_NAME} (extracted by hand?). Run with --check to "
                               "only check it, or with --force to replace it with a fresh install.")

    dest.parent.mkdir(parents=True, exist_ok=True)
    _cleanup_stale(dest, log)
    part, done, rejected = download_paths(dest)
    info: DownloadInfo | None = None
    if archive:
        zip_path, ours = archive, False
        log(f"using local archive {archive} (no download)")
    else:
        if force:
            _discard(part, part.with_name(part.name + ".json"), done)
        if done.is_file():
            log(f"reusing the completed download {done}")
        else:
            log(f"downloading {url}\n  -> {part}")
            try:
                info = download(url, part, timeout=timeout, retries=retries, backoff=backoff,
                                progress=progress, log=log)
            except DownloadError as exc:
                raise DownloadError(f"{exc}\n{manual_hint(url, dest)}") from exc
            os.replace(part, done)
        zip_path, ours = done, True

    def reject(msg: str) -> ScaleWoBError:
        if ours:
            os.replace(zip_path, rejected)
            msg += (f"\nThe downloaded file was moved to {rejected}; a rerun downloads afresh. If you trust it, "
                    f"install it with --archive {rejected}.")
        return ArchiveError(msg)

    size = zip_path.stat().st_size
    actual_sha = archive_sha or sha256_file(zip_path)
    if sha256 and actual_sha != sha256:
        raise reject(f"sha256 mismatch for {zip_path}: expected {sha256}, got {actual_sha} ({size} bytes)")
    try:
        n_members = verify_zip(zip_path)
    except ArchiveError as exc:
        raise reject(str(exc)) from exc
    log(f"archive OK: {n_members} members, {human_bytes(size)}, sha256 {actual_sha}")

    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    old: Path | None = None
    try:
        extract = safe_extract(zip_path, tmp)
        if extract.prefix:
            log(f"corpus folder inside the archive: {'/'.join(extract.prefix)}/")
        if extract.skipped:
            log(f"skipped {len(extract.skipped)} archive members outside the corpus folder")
        manifest = build_manifest(tmp, source_url=None if archive else url, archive=archive, sha256=actual_sha,
                                  size=size, extract=extract, downloaded=info)
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private
        if dest.exists() or dest.is_symlink():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not dest.exists():
            os.replace(old, dest)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            _discard(old)
    if ours and not keep_archive:
        _discard(zip_path)
    return checked("installed", manifest, info)


# -- CLI ------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="download_scalewob_env.py",
        description="Download the ScaleWoB app corpus (the authors' zip), verify it, extract it safely and "
                    "check it against the test10/train86 splits.",
        epilog="Our machines cannot reach the file host: download the zip elsewhere and use --archive PATH. "
               "Exit status: 0 ok, 1 error, 2 corpus in place but checks failed.")
    p.add_argument("--url", default=None,
                   help=f"archive URL (default: ${URL_ENV_VAR} or {DEFAULT_URL})")
    p.add_argument("--dest", type=Path, default=SCALEWOB_CORPUS, help="corpus folder (default: %(default)s)")
    p.add_argument("--archive", type=Path, default=None,
                   help="install from this local zip instead of downloading (for machines without access)")
    p.add_argument("--sha256", default=None, help="expected sha256 of the zip (hex)")
    p.add_argument("--expect-apps", type=int, default=DEFAULT_EXPECT_APPS,
                   help="expected number of app folders (default: %(default)s; 0 = do not check)")
    p.add_argument("--force", action="store_true",
                   help="reinstall even if MANIFEST.json matches; discards partial downloads")
    p.add_argument("--keep-archive", action="store_true", help="keep the downloaded zip next to --dest")
    p.add_argument("--check", action="store_true", help="only check the corpus already in --dest")
    p.add_argument("--timeout", type=float, default=60.0, help="socket timeout in seconds (default: %(default)s)")
    p.add_argument("--retries", type=int, default=5,
                   help="retries without progress before giving up (default: %(default)s)")
    p.add_argument("--backoff", type=float, default=2.0, help="first retry delay in seconds, doubled each time")
    p.add_argument("--quiet", action="store_true", help="no progress line or log messages")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    expect = args.expect_apps or None
    log: Log = _noop_log if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if args.check:
        dest = Path(args.dest).expanduser().absolute()
        if not dest.is_dir():
            print(f"error: {dest} does not exist; run without --check to download it", file=sys.stderr)
            return 1
        report = check_corpus(dest, expect_apps=expect)
        manifest = read_manifest(dest)
        print(f"ScaleWoB corpus: {dest}\n  manifest {'present' if manifest else 'absent'}\n{report.format()}\n"
              f"Result: {'OK' if report.ok else 'CHECKS FAILED'}")
        return 0 if report.ok else 2
    printer = None if args.quiet else ProgressPrinter()
    try:
        result = install(args.dest, url=args.url, archive=args.archive, sha256=args.sha256, expect_apps=expect,
                         force=args.force, keep_archive=args.keep_archive, timeout=args.timeout,
                         retries=args.retries, backoff=args.backoff, progress=printer, log=log)
    except ScaleWoBError as exc:
        if printer:
            printer.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if printer:
            printer.close()
        part = download_paths(Path(args.dest).expanduser().absolute())[0]
        print(f"\ninterrupted; a partial download (if any) stays in {part} and is resumed by a rerun",
              file=sys.stderr)
        return 130
    if printer:
        printer.close()
    print(result.summary())
    return 0 if result.ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
