"""Download, verify and install the ScaleWoB app corpus (the authors' zip archive).

    jamel corpus download                                  # download + install + check
    jamel corpus download --archive ~/scalewob-env.zip     # zip placed by hand
    jamel corpus check                                     # only check an installed corpus
(`python scripts/download_scalewob_env.py [--check]` is the same.)

``install`` does nothing if ``<dest>/MANIFEST.json`` still matches; otherwise it downloads with
resume (``download``: ``<dest>.download.part``, then ``.download.zip``), verifies ``--sha256`` and the
zip's CRCs (a bad download moves to ``<dest>.download.rejected``), extracts the corpus folder into a
hidden folder renamed into place once complete (``safe_extract``: no member may write outside it),
writes ``MANIFEST.json`` and checks 96 apps with every test10/train86 id (``check_corpus``).

Why not pooch: it has no resume, and on a checksum mismatch it deletes the file we keep for
``--archive``; no Hugging Face repo serves this archive, so huggingface_hub does not apply.

Exit codes of ``main``: 0 ok, 1 error (nothing installed), 2 installed/present but checks failed.
"""

from __future__ import annotations

import hashlib
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
from urllib.parse import urlsplit

import requests
import urllib3
from tqdm.auto import tqdm

from jamel.config import opt
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


def size_text(n: float) -> str:
    return tqdm.format_sizeof(n, "B", 1024)


def manual_hint(url: str, dest: Path) -> str:
    host = urlsplit(url).hostname or url
    return (
        f"If this machine cannot reach {host} (JAMEL's build and GPU machines cannot: only PyPI, npm and "
        f"Debian mirrors are reachable there), download the zip on a machine that can (e.g. open {url} in a "
        f"browser), copy it here and install it with:\n"
        f"    jamel corpus download --archive /path/to/scalewob-env.zip --dest {dest}\n"
        f"(add --sha256 HEX to verify it). A proxy is honoured through the HTTPS_PROXY environment variable."
    )


# -- download -------------------------------------------------------------------------------------

@dataclass
class DownloadInfo:
    size: int
    etag: str | None = None
    last_modified: str | None = None
    restarts: int = 0  # times the partial file was discarded (server ignored Range, file changed)


_CONTENT_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_CONTENT_RANGE_416_RE = re.compile(r"bytes\s+\*/(\d+)")


def _discard(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


class _Restart(Exception):
    """The partial file cannot be continued: it was discarded, start again from byte 0."""


def download(url: str, part: Path, *, timeout: float = 60.0, retries: int = 5, backoff: float = 2.0,
             chunk_size: int = 1 << 20, progress: Progress | None = None, log: Log = _noop_log,
             sleep: Callable[[float], None] = time.sleep) -> DownloadInfo:
    """Stream ``url`` into ``part``, resuming an existing partial file with an HTTP Range request.

    ``part + '.json'`` keeps the validators (URL, ETag, Last-Modified) a resume is checked against.
    ``retries`` counts consecutive attempts without progress; an attempt that received bytes resets it.
    """
    part = Path(part)
    part.parent.mkdir(parents=True, exist_ok=True)
    meta_path = part.with_name(part.name + ".json")
    meta = _read_json(meta_path) or {}
    if part.exists() and meta.get("url") not in (None, url):
        log(f"partial download {part} came from another URL; starting over")
        _discard(part, meta_path)
        meta = {}
    info, failures = DownloadInfo(size=0), 0
    progress = progress or (lambda _done, _total: None)

    def restart(why: str) -> _Restart:
        nonlocal meta
        log(why + "; restarting from byte 0")
        _discard(part, meta_path)
        meta, info.restarts = {}, info.restarts + 1
        return _Restart()

    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
            etag = meta.get("etag")
            validator = etag if etag and not etag.startswith("W/") else meta.get("last_modified")
            if validator:
                headers["If-Range"] = validator  # the server sends the whole file if it changed
        progressed, err = False, None
        try:
            # requests honours *_PROXY variables and follows redirects, keeping the Range header
            with requests.get(url, headers=headers, stream=True, timeout=timeout) as resp:
                status = resp.status_code
                if status == 416 and have:
                    m = _CONTENT_RANGE_416_RE.search(resp.headers.get("Content-Range", ""))
                    if m and int(m.group(1)) == have:  # the partial file is already complete
                        _discard(meta_path)
                        info.size = have
                        return info
                    if info.restarts > retries:
                        raise DownloadError(f"{url}: server keeps rejecting resumed downloads (HTTP 416)")
                    raise restart(f"server cannot resume at byte {have} (HTTP 416)")
                if status in FATAL_HTTP:
                    raise DownloadError(f"{url}: HTTP {status} {resp.reason}. The link may have expired or moved; "
                                        f"pass the current one with --url or ${URL_ENV_VAR}.")
                resp.raise_for_status()  # 5xx, 429: retried below
                if status == 206 and have:
                    m = _CONTENT_RANGE_RE.search(resp.headers.get("Content-Range", ""))
                    if not m or int(m.group(1)) != have:
                        raise restart(f"server answered a different range ({resp.headers.get('Content-Range')!r})")
                    total = int(m.group(3)) if m.group(3) != "*" else None
                    log(f"resuming at byte {have}" + (f" of {total}" if total else ""))
                elif status == 200:
                    if have:
                        log(f"server ignored the Range request (or the file changed); restarting from byte 0 "
                            f"(discarding {have} bytes)")
                        info.restarts += 1
                    have = 0
                    length = resp.headers.get("Content-Length", "")
                    total = int(length) if length.isdigit() else None
                else:
                    raise DownloadError(f"{url}: unexpected HTTP status {status}")
                meta = {"url": url, "etag": resp.headers.get("ETag"),
                        "last_modified": resp.headers.get("Last-Modified"), "total": total}
                info.etag, info.last_modified = meta["etag"], meta["last_modified"]
                meta_path.write_text(json.dumps(meta), encoding="utf-8")
                progress(have, total)
                # disk errors (ENOSPC) propagate: retrying will not help
                with open(part, "ab" if have else "wb") as fh:
                    while True:
                        try:  # read1: whatever has arrived, so a stall or a reset loses nothing received
                            chunk = resp.raw.read1(chunk_size)
                        except (urllib3.exceptions.HTTPError, OSError) as exc:  # reset, timeout mid-body
                            err = ConnectionError(f"connection closed after {have} of {total} bytes "
                                                  f"({type(exc).__name__})")
                            break
                        if not chunk:
                            break
                        fh.write(chunk)
                        have += len(chunk)
                        progressed = True
                        progress(have, total)
                if err is None:
                    if total is None or have == total:
                        _discard(meta_path)
                        info.size = have
                        return info
                    if have > total:
                        raise restart(f"received {have} bytes but the server announced {total}")
                    err = ConnectionError(f"connection closed after {have} of {total} bytes")
        except _Restart:
            continue
        except requests.RequestException as exc:  # DNS, refused, timeout, TLS, 5xx
            err = exc
        failures = 0 if progressed else failures + 1
        if failures > retries:
            kept = f" The {have} bytes received so far are kept in {part} and will be resumed." if have else ""
            raise DownloadError(f"could not download {url} after {failures} attempts: "
                                f"{type(err).__name__}: {err}.{kept}") from err
        delay = min(60.0, backoff * 2 ** max(0, failures - 1))
        log(f"download interrupted ({type(err).__name__}: {err}); retrying in {delay:.0f}s"
            + (f" (attempt {failures + 1} of {retries + 1})" if failures else ""))
        sleep(delay)


def tqdm_progress(**kw: Any) -> tuple[Progress, tqdm]:
    """A `download` progress callback drawing a tqdm bar (close the bar when done)."""
    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="ScaleWoB", **kw)

    def update(done: int, total: int | None) -> None:
        if bar.total != total:
            bar.reset(total=total)
        bar.update(done - bar.n)

    return update, bar


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# -- archive checks and safe extraction -----------------------------------------------------------

def verify_zip(path: Path) -> int:
    """Raise ArchiveError unless ``path`` is a readable zip whose members all pass their CRC check.
    Returns the number of members."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad, n = zf.testzip(), len(zf.infolist())
    except zipfile.BadZipFile as exc:
        with open(path, "rb") as fh:
            html = fh.read(512).lstrip()[:1] == b"<"
        hint = (" It looks like an HTML page (a login, error or 'link expired' page from the file host), "
                "not the archive.") if html else ""
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

    Raises ArchiveError for names that could write outside the destination (zip-slip). Backslashes
    count as separators: archives made on Windows sometimes use them."""
    if "\x00" in name:
        raise ArchiveError(f"unsafe archive member {name!r}: NUL character in its name")
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE_RE.match(norm):
        raise ArchiveError(f"unsafe archive member {name!r}: absolute path")
    parts = tuple(p for p in norm.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(f"unsafe archive member {name!r}: '..' path component (zip-slip)")
    return parts


def _ignored(name: str) -> bool:
    return name.replace("\\", "/").startswith(IGNORED_PREFIXES)


def find_corpus_prefix(names: Iterable[str]) -> tuple[str, ...]:
    """The folder (as path components) of the archive that holds the app folders: one holding
    ``environments.json`` and apps if any, else the one with most ``<app>/index.html`` (ties: shallowest)."""
    apps_under: Counter[tuple[str, ...]] = Counter()
    env_dirs: set[tuple[str, ...]] = set()
    for name in names:
        parts = () if _ignored(name) else member_parts(name)
        if parts and parts[-1] == "environments.json":
            env_dirs.add(parts[:-1])
        elif parts and parts[-1] == "index.html" and len(parts) >= 2 and not parts[-2].startswith("."):
            apps_under[parts[:-2]] += 1
    if not apps_under:
        raise ArchiveError("the archive holds no app folders (no <app>/index.html entries); is it the ScaleWoB zip?")
    pool = [d for d in env_dirs if apps_under.get(d)] or list(apps_under)
    return max(pool, key=lambda d: (apps_under[d], -len(d), d))


@dataclass
class ExtractResult:
    prefix: tuple[str, ...]
    symlinks: int
    skipped: list[str] = field(default_factory=list)  # members outside the corpus folder


def _inside(path: Path, root: str) -> bool:
    return os.path.commonpath([os.path.realpath(path), root]) == root


def _make_dir_inside(folder: Path, root: str, member: str) -> None:
    """mkdir -p, refused when the folder would resolve (through links made so far) outside ``root``: the
    check comes first, as mkdir itself would follow an escaping link."""
    if not _inside(folder, root):
        raise ArchiveError(f"unsafe archive member {member!r}: resolves outside the destination")
    folder.mkdir(parents=True, exist_ok=True)


def _check_link(link: Path, root: str, parts: tuple[str, ...], target: str) -> None:
    if not _inside(link, root):  # real resolution, through any chain of links
        raise ArchiveError(f"unsafe archive member {'/'.join(parts)!r}: symlink {target!r} resolves outside "
                           "the destination")


def safe_extract(archive: Path, dest: Path, *, prefix: tuple[str, ...] | None = None) -> ExtractResult:
    """Extract the corpus folder of ``archive`` into the (existing, empty) folder ``dest``.

    Members under ``prefix`` (default: ``find_corpus_prefix``) are written with the prefix stripped,
    others skipped. Every name is validated before anything is written; symlinks are created last (no
    file is ever written through one). Every folder is checked to resolve inside ``dest`` before anything
    is made in it, and every link right after it is made, so a chain of links escapes nowhere."""
    dest = Path(dest)
    root = os.path.realpath(dest)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        parts = [member_parts(i.filename) for i in infos]  # a malicious archive writes nothing
        prefix = find_corpus_prefix(i.filename for i in infos) if prefix is None else prefix
        files, links, skipped = [], [], []  # (info, relative parts), (relative parts, target), names
        for info, p in zip(infos, parts):
            rel = p[len(prefix):]
            if _ignored(info.filename) or p[:len(prefix)] != prefix:
                skipped.append(info.filename)
            elif rel and info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
                target = zf.read(info).decode("utf-8", "surrogateescape").replace("\\", "/")
                joined = posixpath.normpath(posixpath.join(*rel[:-1], target))
                if target.startswith("/") or _DRIVE_RE.match(target) or "\x00" in target:
                    raise ArchiveError(f"unsafe archive member {info.filename!r}: symlink to absolute path {target!r}")
                if joined == ".." or joined.startswith("../"):
                    raise ArchiveError(f"unsafe archive member {info.filename!r}: symlink {target!r} points "
                                       "outside the destination")
                links.append((rel, target))
            elif rel:
                files.append((info, rel))
        need, free = sum(i.file_size for i, _ in files), shutil.disk_usage(dest).free
        if need > free:
            raise ArchiveError(f"not enough disk space in {dest}: the corpus needs {size_text(need)}, "
                               f"{size_text(free)} free")
        for info, rel in files:
            target = dest.joinpath(*rel)
            _make_dir_inside(target if info.is_dir() else target.parent, root, info.filename)
            if info.is_dir():
                continue
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            except IsADirectoryError as exc:
                raise ArchiveError(f"archive member {info.filename!r} clashes with a folder of the same name") from exc
    for rel, target in links:
        link = dest.joinpath(*rel)
        _make_dir_inside(link.parent, root, "/".join(prefix + rel))
        try:
            os.symlink(target, link)
        except FileExistsError as exc:
            raise ArchiveError(f"archive symlink {'/'.join(rel)!r} clashes with an extracted file or folder") from exc
        _check_link(link, root, prefix + rel, target)
    for rel, target in links:  # again once all exist: a later link can redirect an earlier one's path
        _check_link(dest.joinpath(*rel), root, prefix + rel, target)
    return ExtractResult(prefix=prefix, symlinks=len(links), skipped=skipped)


# -- manifest and checks --------------------------------------------------------------------------

def app_stats(root: Path) -> list[dict[str, Any]]:
    """``[{id, files, bytes}]`` for every app folder (sub-folder with an index.html), sorted by id."""
    out = []
    for app in Corpus(Path(root)).apps():
        paths = [Path(d, f) for d, _, names in os.walk(Path(root) / app) for f in names]
        out.append({"id": app, "files": len(paths), "bytes": sum(p.lstat().st_size for p in paths)})
    return out


def build_manifest(root: Path, *, source_url: str | None, archive: Path | None, sha256: str, size: int,
                   extract: ExtractResult | None = None, downloaded: DownloadInfo | None = None) -> dict[str, Any]:
    root = Path(root)
    apps = app_stats(root)
    ids = {a["id"] for a in apps}
    return {
        "format": MANIFEST_FORMAT, "source_url": source_url, "archive": str(archive) if archive else None,
        "sha256": sha256, "size": size, "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "last_modified": downloaded.last_modified if downloaded else None,
        "etag": downloaded.etag if downloaded else None,
        "archive_prefix": "/".join(extract.prefix) if extract else "",
        "skipped_members": len(extract.skipped) if extract else 0,
        "environments_json": (root / "environments.json").is_file(),
        "app_count": len(apps), "total_files": sum(a["files"] for a in apps),
        "total_bytes": sum(a["bytes"] for a in apps), "apps": apps,
        "other_dirs": sorted(p.name for p in root.iterdir()
                             if p.is_dir() and p.name not in ids and not p.name.startswith(".")),
    }


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifest_mismatch(root: Path, manifest: dict[str, Any], *, url: str | None, archive_sha256: str | None,
                      expected_sha256: str | None) -> str | None:
    """Why the installed corpus does not match the request (None = it matches)."""
    installed = str(manifest.get("sha256", "")).lower()
    if manifest.get("format") != MANIFEST_FORMAT:
        return f"manifest format {manifest.get('format')!r} is not {MANIFEST_FORMAT}"
    if expected_sha256 and installed != expected_sha256.lower():
        return f"installed archive sha256 {installed} != requested {expected_sha256}"
    if archive_sha256 and installed != archive_sha256.lower():
        return f"installed archive sha256 {installed} differs from the given archive ({archive_sha256})"
    if url and archive_sha256 is None and manifest.get("source_url") not in (None, url):
        return f"installed from {manifest.get('source_url')}, not {url}"
    recorded = {a["id"]: (a["files"], a["bytes"]) for a in manifest.get("apps", [])}
    current = {a["id"]: (a["files"], a["bytes"]) for a in app_stats(root)}
    if recorded == current:
        return None
    groups = (("missing", sorted(set(recorded) - set(current))), ("added", sorted(set(current) - set(recorded))),
              ("changed", sorted(a for a in set(recorded) & set(current) if recorded[a] != current[a])))
    return "the folder no longer matches MANIFEST.json (" + "; ".join(
        f"{label}: {ids[:10]}{' ...' if len(ids) > 10 else ''}" for label, ids in groups if ids) + ")"


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

    def format(self) -> str:
        expected = f" (expected {self.expected_count})" if self.expected_count is not None else ""
        lines = [f"  apps     {len(self.apps)}{expected}" + ("" if self.count_ok else "  MISMATCH")]
        for split, missing in self.missing.items():
            n = self.split_sizes[split]
            lines.append(f"  {split:<8} {n - len(missing)}/{n} present"
                         + (f"; missing: {' '.join(missing)}" if missing else ""))
        lines.append(f"  extra    {' '.join(self.extra) + ' (apps in no checked split)' if self.extra else 'none'}")
        lines += [f"  note     {want!r} is missing but {have!r} exists (app ids are case-sensitive)"
                  for want, have in self.case_hints.items()]
        return "\n".join(lines)


def check_corpus(root: Path, *, expect_apps: int | None = DEFAULT_EXPECT_APPS,
                 splits: dict[str, Sequence[str]] | None = None,
                 split_names: Sequence[str] = CHECKED_SPLITS) -> CheckReport:
    """Compare the app folders under ``root`` with the expected count and the named splits."""
    splits = splits if splits is not None else load_splits()
    apps = Corpus(Path(root)).apps()
    lower = {a.lower(): a for a in apps}
    missing = {name: [a for a in splits[name] if a not in apps] for name in split_names}
    hints = {a: lower[a.lower()] for ids in missing.values() for a in ids if a.lower() in lower}
    wanted = {a for name in split_names for a in splits[name]}
    return CheckReport(root=Path(root), apps=apps, expected_count=expect_apps,
                       split_sizes={n: len(splits[n]) for n in split_names}, missing=missing,
                       extra=sorted(a for a in apps if a not in wanted), case_hints=hints)


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
        head = ("installed" if self.action == "installed"
                else "already installed (MANIFEST.json matches; --force to redo)")
        return "\n".join([
            f"ScaleWoB corpus: {self.dest}", f"  status   {head}",
            f"  source   {m.get('source_url') or m.get('archive') or '?'}",
            f"  archive  sha256 {m.get('sha256')}, {size_text(m.get('size') or 0)}, installed {m.get('installed_at')}",
            f"  content  {m.get('app_count')} app folders, {m.get('total_files')} files, "
            f"{size_text(m.get('total_bytes') or 0)}; environments.json "
            f"{'present' if m.get('environments_json') else 'absent'}",
            self.check.format(),
            f"Result: {'OK' if self.ok else 'CHECKS FAILED (the corpus is in place but incomplete)'}"])


def download_paths(dest: Path) -> tuple[Path, Path, Path]:
    """(partial download, completed download, rejected download) next to ``dest``."""
    dest = Path(dest)
    return tuple(dest.with_name(dest.name + suffix) for suffix in (".download.part", ".download.zip",
                                                                   ".download.rejected"))


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
        manifest = _read_json(dest / MANIFEST_NAME)
        if manifest is not None:
            why = manifest_mismatch(dest, manifest, url=None if archive else url, archive_sha256=archive_sha,
                                    expected_sha256=sha256)
            if why is None:
                log(f"{dest} is already installed and matches its MANIFEST.json; nothing to do")
                return checked("skipped", manifest)
            raise InstallError(f"{dest} holds a different or modified corpus: {why}. "
                               "Rerun with --force to replace it.")
        if not dest.is_dir() or any(dest.iterdir()):
            raise InstallError(f"{dest} exists but has no {MANIFEST_NAME} (extracted by hand?). Run `jamel corpus check` to "
                               "only check it, or with --force to replace it with a fresh install.")

    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f".{dest.name}.partial-*"):
        log(f"removing leftover temporary folder {stale}")
        shutil.rmtree(stale, ignore_errors=True)
    part, done, rejected = download_paths(dest)
    info: DownloadInfo | None = None
    zip_path, ours = archive or done, not archive
    if archive:
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
    log(f"archive OK: {n_members} members, {size_text(size)}, sha256 {actual_sha}")

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
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not dest.exists():
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() and not old.is_symlink() else _discard(old)
    if ours and not keep_archive:
        _discard(zip_path)
    return checked("installed", manifest, info)


# -- CLI ------------------------------------------------------------------------------------------

@dataclass
class CheckConfig:
    dest: Path = opt(SCALEWOB_CORPUS, "corpus folder")
    expect_apps: int = opt(DEFAULT_EXPECT_APPS, "expected number of app folders (0: do not check)")


@dataclass
class DownloadConfig(CheckConfig):
    url: str | None = opt(None, f"archive URL (default: ${URL_ENV_VAR} or {DEFAULT_URL})")
    archive: Path | None = opt(None, "install from this local zip instead of downloading (machines without access)")
    sha256: str | None = opt(None, "expected sha256 of the zip (hex)")
    force: bool = opt(False, "reinstall even if MANIFEST.json matches; discards partial downloads")
    keep_archive: bool = opt(False, "keep the downloaded zip next to --dest")
    timeout: float = opt(60.0, "socket timeout in seconds")
    retries: int = opt(5, "retries without progress before giving up")
    backoff: float = opt(2.0, "first retry delay in seconds, doubled each time")
    quiet: bool = opt(False, "no progress bar or log messages")


def corpus_check(cfg: CheckConfig) -> int:
    """Check the corpus in --dest against the test10/train86 splits. Exit status: 0 ok, 1 missing, 2 checks failed."""
    dest = Path(cfg.dest).expanduser().absolute()
    if not dest.is_dir():
        print(f"error: {dest} does not exist; run `jamel corpus download` first", file=sys.stderr)
        return 1
    report = check_corpus(dest, expect_apps=cfg.expect_apps or None)
    manifest = "present" if _read_json(dest / MANIFEST_NAME) else "absent"
    print(f"ScaleWoB corpus: {dest}\n  manifest {manifest}\n"
          f"{report.format()}\nResult: {'OK' if report.ok else 'CHECKS FAILED'}")
    return 0 if report.ok else 2


def corpus_download(args: DownloadConfig) -> int:
    """Download the ScaleWoB app corpus (the authors' zip), verify it, extract it safely and check it against
    the test10/train86 splits. Our machines cannot reach the file host: download the zip elsewhere and use
    --archive PATH. Exit status: 0 ok, 1 error, 2 corpus in place but checks failed."""
    expect = args.expect_apps or None
    dest = Path(args.dest).expanduser().absolute()
    progress, bar = tqdm_progress(disable=True if args.quiet else None)  # None: no bar when not a terminal
    log: Log = _noop_log if args.quiet else (lambda msg: tqdm.write(msg, file=sys.stderr))  # off the bar
    try:
        result = install(dest, url=args.url, archive=args.archive, sha256=args.sha256, expect_apps=expect,
                         force=args.force, keep_archive=args.keep_archive, timeout=args.timeout,
                         retries=args.retries, backoff=args.backoff, progress=progress, log=log)
    except ScaleWoBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted; a partial download (if any) stays in {download_paths(dest)[0]} and is resumed "
              "by a rerun", file=sys.stderr)
        return 130
    finally:
        bar.close()
    print(result.summary())
    return 0 if result.ok else 2

