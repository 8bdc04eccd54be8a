"""What the apps fetch from other hosts, and vendored local copies to serve instead (offline runs).

ScaleWoB pages pull CDN assets (the Tailwind runtime, web fonts, icon sets, images). Offline, the
BrowserEnv aborts every request to a host other than the local corpus server and records it in
``env.blocked_requests`` (written to each session's ``summary.json``). This module

* scans an app's HTML/JS/CSS statically for references to other hosts (``scan_app``,
  ``scan_corpus``; CLI ``scripts/scan_external_assets.py``);
* aggregates what sessions really requested from outside (``report_blocked``);
* maps external URLs to vendored local files (``load_vendor_map``, ``resolve_vendored``), so the env
  can fulfil those requests from disk instead of aborting them.

Vendor map file (default ``third_party/offline_assets.json``)::

    {
      "vendor_dir": "offline_assets",          # relative to the map file; --vendor DIR overrides it
      "assets": {
        "https://cdn.tailwindcss.com": "tailwindcss/tailwind-play.js",     # one URL -> one file
        "https://fonts.googleapis.com/css2?family=Inter": "fonts/inter.css", # key with a query: exact
        "https://fonts.gstatic.com/": "fonts.gstatic.com/"                 # key ending in '/': a folder
      }
    }

Matching (``resolve_vendored``) ignores the scheme (a protocol-relative ``//cdn...`` on our
``http://127.0.0.1`` pages is requested over http) and the fragment. A key without a query matches
the URL with any query (``?v=3``, ``?plugins=forms``); a key with a query only that exact query. A key
ending in ``/`` maps the rest of the URL path onto files under its folder (``..`` refused). The
longest matching key wins; a URL whose mapped file does not exist resolves to None (stays blocked).

Wiring into ``jamel/env/browser.py`` (not done here; the env's owner does it)::

    # EnvConfig:  vendor_map: str | None = None   (path of the map file; None = block everything)
    # BrowserEnv.__init__:
    self.vendor_map = load_vendor_map(config.vendor_map) if config.vendor_map else {}
    self.vendored_requests: list[str] = []
    # BrowserEnv._route, in the branch that now blocks:
    local = resolve_vendored(url, self.vendor_map)
    if local is not None:
        self.vendored_requests.append(url)
        route.fulfill(status=200, path=str(local), headers=vendored_headers(local))
        return
    self.blocked_requests.append(url); route.abort("blockedbyclient")

Playwright's route handler sees the request before any DNS lookup, so ``--host-resolver-rules``
can stay. ``vendored_headers`` adds ``Access-Control-Allow-Origin: *`` because cross-origin font and
module-script loads need CORS. Vendored scripts run from their original (external) URL, so the "app"
coverage filter keeps excluding them from the reward, as it does now for blocked ones.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote, urlsplit

from jamel.corpus import REPO_ROOT, Corpus

DEFAULT_VENDOR_MAP = REPO_ROOT / "third_party" / "offline_assets.json"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::1", "[::1]"})
# Namespace identifiers and the like: they appear as URLs in code but are never fetched.
NEVER_FETCHED_HOSTS = frozenset({"www.w3.org", "w3.org", "ns.adobe.com", "purl.org", "schemas.xmlsoap.org",
                                 "schemas.openxmlformats.org", "schemas.microsoft.com"})
SCANNED_SUFFIXES = {".html": "html", ".htm": "html", ".svg": "html", ".xhtml": "html",
                    ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "js", ".ts": "js", ".tsx": "js",
                    ".json": "js", ".webmanifest": "js", ".css": "css"}
MAX_SCAN_BYTES = 50 << 20
# Reference kinds the browser fetches by itself when the page (or the code path) runs.
LOADED_KINDS = frozenset({"script", "stylesheet", "icon", "preload", "manifest", "img", "media", "iframe",
                          "css-url", "css-import", "js-import", "fetch", "src"})
# Kinds that only mention a URL: navigation links, meta tags, bare strings (may still be fetched by code).
MENTION_KINDS = frozenset({"anchor", "preconnect", "meta", "attr", "string"})


@dataclass(frozen=True, order=True)
class AssetRef:
    url: str
    host: str
    kind: str
    file: str  # path relative to the app folder
    line: int

    @property
    def loaded(self) -> bool:
        return self.kind in LOADED_KINDS


@dataclass
class AppAssets:
    app: str
    refs: list[AssetRef] = field(default_factory=list)
    files_scanned: int = 0

    def select(self, loaded_only: bool = True) -> list[AssetRef]:
        return [r for r in self.refs if r.loaded or not loaded_only]

    def hosts(self, loaded_only: bool = True) -> dict[str, int]:
        """External host -> number of references, most referenced first."""
        return dict(Counter(r.host for r in self.select(loaded_only)).most_common())

    def urls(self, loaded_only: bool = True) -> list[str]:
        return sorted({r.url for r in self.select(loaded_only)})

    def to_json(self) -> dict[str, Any]:
        return {"app": self.app, "files_scanned": self.files_scanned,
                "hosts": self.hosts(True), "urls": self.urls(True),
                "mentioned_hosts": self.hosts(False), "mentioned_urls": self.urls(False),
                "refs": [{"url": r.url, "host": r.host, "kind": r.kind, "file": r.file, "line": r.line,
                          "loaded": r.loaded} for r in self.refs]}


# -- URL helpers ----------------------------------------------------------------------------------

def external_host(url: str, local_hosts: Iterable[str] = LOCAL_HOSTS) -> str | None:
    """Lower-case host of an absolute or protocol-relative http(s) URL on another host; else None."""
    url = url.strip()
    if url.startswith("//"):
        url = "http:" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if host in local_hosts or ("." not in host and host != "localhost"):
        return None  # "//comment"-like strings and single-label names are not hosts we care about
    if not re.fullmatch(r"[a-z0-9.\-]+|\[[0-9a-f:.]+\]", host) or host.startswith(".") or host.endswith("."):
        return None
    return host


# -- scanners -------------------------------------------------------------------------------------

class _Lines:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos)


_JS_URL_RE = re.compile(r"""(?P<q>["'`])(?P<url>(?:https?:)?//[A-Za-z0-9\[][^"'`\s<>\\()]*)""")
_JS_CONTEXT = [
    (re.compile(r"\bfetch\s*\(\s*$"), "fetch"),
    (re.compile(r"\.open\s*\(\s*[\"'][A-Za-z]+[\"']\s*,\s*$"), "fetch"),  # XMLHttpRequest
    (re.compile(r"(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s+|\bimportScripts\s*\(\s*|\bWorker\s*\(\s*)$"),
     "js-import"),
    (re.compile(r"\burl\(\s*$"), "css-url"),
    (re.compile(r"(?:\.src\s*=\s*|\bsrc\s*[:=]\s*|\bsrcset\s*[:=]\s*|\bposter\s*[:=]\s*"
                r"|setAttribute\(\s*[\"'](?:src|srcset|poster)[\"']\s*,\s*)$"), "src"),
    (re.compile(r"(?:\bhref\s*=\s*)$"), "attr"),
]
_CSS_URL_RE = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>[^"')\s]+)(?P=q)\s*\)""", re.I)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*)?["']?(?P<url>[^"')\s;]+)""", re.I)


def scan_js(text: str, file: str = "", line_offset: int = 0) -> list[tuple[str, str, int]]:
    """(url, kind, line) for every quoted external URL in JS (or JSON) source."""
    lines = _Lines(text)
    out = []
    for m in _JS_URL_RE.finditer(text):
        url = m.group("url")
        before = text[max(0, m.start() - 60):m.start()]
        kind = next((k for rx, k in _JS_CONTEXT if rx.search(before)), "string")
        out.append((url, kind, lines.line(m.start()) + line_offset))
    return out


def scan_css(text: str, file: str = "", line_offset: int = 0) -> list[tuple[str, str, int]]:
    lines = _Lines(text)
    out = [(m.group("url"), "css-import", lines.line(m.start()) + line_offset) for m in _CSS_IMPORT_RE.finditer(text)]
    imports = {m.start("url") for m in _CSS_IMPORT_RE.finditer(text)}
    out += [(m.group("url"), "css-url", lines.line(m.start()) + line_offset) for m in _CSS_URL_RE.finditer(text)
            if m.start("url") not in imports]
    return out


_LINK_RELS = [("stylesheet", "stylesheet"), ("icon", "icon"), ("apple-touch-icon", "icon"),
              ("modulepreload", "preload"), ("preload", "preload"), ("prefetch", "preload"),
              ("manifest", "manifest"), ("preconnect", "preconnect"), ("dns-prefetch", "preconnect")]
_SRC_KINDS = {"script": "script", "img": "img", "image": "img", "source": "media", "video": "media",
              "audio": "media", "track": "media", "embed": "media", "input": "img", "iframe": "iframe",
              "frame": "iframe"}


class _HTMLScanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, int]] = []
        self._raw: str | None = None  # "script" | "style" while inside one

    def _add(self, url: str | None, kind: str) -> None:
        if url:
            self.found.append((url.strip(), kind, self.getpos()[0]))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        line = self.getpos()[0]
        if tag in ("script", "style"):
            self._raw = tag
        if tag == "link":
            rel = a.get("rel", "").lower().split()
            kind = next((k for r, k in _LINK_RELS if r in rel), "anchor")
            self._add(a.get("href"), kind)
        elif tag in _SRC_KINDS:
            self._add(a.get("src"), _SRC_KINDS[tag])
            if tag == "image":  # SVG
                self._add(a.get("href") or a.get("xlink:href"), "img")
        elif tag in ("a", "area", "base"):
            self._add(a.get("href") or a.get("xlink:href"), "anchor")
        elif tag == "form":
            self._add(a.get("action"), "anchor")
        elif tag == "object":
            self._add(a.get("data"), "media")
        elif tag == "use":
            self._add(a.get("href") or a.get("xlink:href"), "img")
        if tag == "video":
            self._add(a.get("poster"), "img")
        for key in ("srcset", "imagesrcset"):
            for candidate in a.get(key, "").split(","):
                self._add(candidate.strip().split(" ")[0], "img")
        if a.get("style"):
            self.found += [(u, k, line) for u, k, _ in scan_css(a["style"])]
        if tag == "meta":
            self._add(a.get("content") if "//" in a.get("content", "") else None, "meta")
        handled = {"href", "src", "srcset", "imagesrcset", "style", "action", "data", "poster", "content",
                   "xlink:href"}
        for key, value in a.items():  # data-src and friends: lazy-loading libraries fetch these
            if key not in handled and not key.startswith("xmlns") and "//" in value:
                self._add(value, "src" if key in ("data-src", "data-srcset", "data-bg", "data-background")
                          else "attr")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw == "script":
            self.found += scan_js(data, line_offset=self.getpos()[0] - 1)
        elif self._raw == "style":
            self.found += scan_css(data, line_offset=self.getpos()[0] - 1)


def scan_html(text: str, file: str = "") -> list[tuple[str, str, int]]:
    parser = _HTMLScanner()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001  very broken markup: fall back to the plain string scan
        return scan_js(text)
    return parser.found


_SCANNERS = {"html": scan_html, "js": scan_js, "css": scan_css}


def scan_text(text: str, language: str, file: str = "",
              local_hosts: Iterable[str] = LOCAL_HOSTS) -> list[AssetRef]:
    """External references in one file's text; ``language`` is ``html``, ``js`` or ``css``."""
    refs = set()
    for url, kind, line in _SCANNERS[language](text, file):
        host = external_host(url, local_hosts)
        if host is None or (host in NEVER_FETCHED_HOSTS and kind in MENTION_KINDS):
            continue
        refs.add(AssetRef(url=url, host=host, kind=kind, file=file, line=line))
    return sorted(refs, key=lambda r: (r.file, r.line, r.url, r.kind))


def scan_app(app_dir: Path, app: str | None = None, local_hosts: Iterable[str] = LOCAL_HOSTS) -> AppAssets:
    """Scan every HTML/JS/CSS/JSON/SVG file of one app folder (``node_modules`` included, symlinks not followed)."""
    app_dir = Path(app_dir)
    result = AppAssets(app=app or app_dir.name)
    for dirpath, dirnames, filenames in os.walk(app_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "__MACOSX"))
        for name in sorted(filenames):
            language = SCANNED_SUFFIXES.get(os.path.splitext(name)[1].lower())
            path = Path(dirpath) / name
            if language is None or path.is_symlink():
                continue
            try:
                if path.stat().st_size > MAX_SCAN_BYTES:
                    continue
                text = path.read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            result.files_scanned += 1
            result.refs += scan_text(text, language, path.relative_to(app_dir).as_posix(), local_hosts)
    return result


def scan_corpus(root: Path, apps: Iterable[str] | None = None) -> dict[str, AppAssets]:
    root = Path(root)
    names = list(apps) if apps is not None else Corpus(root).apps()
    return {app: scan_app(root / app, app) for app in names}


def corpus_hosts(scans: dict[str, AppAssets], loaded_only: bool = True) -> dict[str, list[str]]:
    """External host -> apps referencing it, hosts used by most apps first."""
    by_host: dict[str, set[str]] = {}
    for app, scan in scans.items():
        for host in scan.hosts(loaded_only):
            by_host.setdefault(host, set()).add(app)
    return {h: sorted(a) for h, a in sorted(by_host.items(), key=lambda kv: (-len(kv[1]), kv[0]))}


# -- runtime: what sessions really requested ------------------------------------------------------

def report_blocked(summary_paths: Iterable[str | Path]) -> dict[str, list[str]]:
    """App -> sorted unique URLs it requested from outside, from session ``summary.json`` files.

    Each path is a ``summary.json`` (keys ``app`` and ``blocked_requests``) or a folder searched
    recursively for them (a run folder); files without those keys (run-level summaries) are skipped.
    """
    found: dict[str, set[str]] = {}
    files: list[Path] = []
    for p in map(Path, summary_paths):
        files += sorted(p.rglob("summary.json")) if p.is_dir() else [p]
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or "app" not in data or "blocked_requests" not in data:
            continue
        found.setdefault(str(data["app"]), set()).update(map(str, data["blocked_requests"] or []))
    return {app: sorted(urls) for app, urls in sorted(found.items())}


def blocked_hosts(report: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """``report_blocked`` output -> app -> {host: number of distinct URLs}."""
    out = {}
    for app, urls in report.items():
        hosts = Counter(external_host(u, ()) or urlsplit(u).hostname or u for u in urls)
        out[app] = dict(hosts.most_common())
    return out


# -- vendored copies ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Key:
    host: str
    path: str
    query: str
    is_dir: bool


@lru_cache(maxsize=4096)
def _parse_key(key: str) -> _Key:
    u = urlsplit("http:" + key if key.startswith("//") else key)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ValueError(f"vendor map key {key!r} is not an http(s) URL prefix")
    path = u.path or "/"
    return _Key(host=u.netloc.lower(), path=path, query=u.query, is_dir=key.endswith("/") and not u.query)


def load_vendor_map(path: str | Path = DEFAULT_VENDOR_MAP, vendor_dir: str | Path | None = None) -> dict[str, Path]:
    """URL prefix -> absolute local path, from a vendor map file (format in the module docstring).

    ``vendor_dir`` overrides the file's ``vendor_dir`` (relative to the file; default: the file's
    folder). Local paths must stay inside the vendor folder. Missing files are allowed here (they
    resolve to None at request time), so a map can be committed before its assets are fetched.
    """
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assets = data.get("assets", {}) if isinstance(data, dict) else None
    if not isinstance(assets, dict):
        raise ValueError(f"{path}: expected an object with an 'assets' object (URL prefix -> local path)")
    base = Path(vendor_dir) if vendor_dir is not None else path.parent / data.get("vendor_dir", ".")
    base = base.expanduser().resolve()
    out: dict[str, Path] = {}
    for key, rel in assets.items():
        if key.startswith("_"):
            continue  # comments
        _parse_key(key)
        if not isinstance(rel, str) or not rel or Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"{path}: local path {rel!r} for {key!r} must be relative, inside the vendor folder")
        out[key] = (base / rel).resolve()
        if base not in out[key].parents and out[key] != base:
            raise ValueError(f"{path}: local path {rel!r} for {key!r} leaves the vendor folder {base}")
    return out


def resolve_vendored(url: str, vendor_map: dict[str, Path]) -> Path | None:
    """The vendored file that answers ``url``, or None (then the request stays blocked)."""
    if not vendor_map:
        return None
    try:
        u = urlsplit("http:" + url if url.startswith("//") else url)
        host = u.netloc.lower()
    except ValueError:
        return None
    if u.scheme not in ("http", "https") or not host:
        return None
    path = u.path or "/"
    for key in sorted(vendor_map, key=len, reverse=True):  # maps are small; longest key wins
        k = _parse_key(key)
        if k.host != host:
            continue
        target = vendor_map[key]
        if k.is_dir:
            if not path.startswith(k.path) or len(path) == len(k.path):
                continue
            parts = unquote(path[len(k.path):]).split("/")
            if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
                continue
            candidate = target.joinpath(*parts)
            try:
                real = candidate.resolve()
            except OSError:
                continue
            if target.resolve() in real.parents and real.is_file():
                return candidate
        elif path == k.path and (not k.query or k.query == u.query) and target.is_file():
            return target
    return None


def vendored_headers(path: Path) -> dict[str, str]:
    """Response headers for a vendored file fulfilled in place of an external request."""
    from jamel.env.server import content_type

    return {"Content-Type": content_type(Path(path)), "Access-Control-Allow-Origin": "*",
            "Cache-Control": "no-store"}


def vendor_status(urls: Iterable[str], vendor_map: dict[str, Path]) -> dict[str, str | None]:
    """URL -> vendored file (str) or None, for a report of what is still missing."""
    return {u: (str(p) if (p := resolve_vendored(u, vendor_map)) else None) for u in urls}


def suggest_vendor_map(urls: Iterable[str]) -> dict[str, str]:
    """Skeleton ``assets`` entries, one folder per host (``https://host/`` -> ``host/``), to fill by mirroring."""
    out = {}
    for u in urls:
        host = external_host(u)
        if host:
            out[f"https://{host}/"] = f"{host}/"
    return dict(sorted(out.items()))


# -- CLI ------------------------------------------------------------------------------------------

def _default_corpus() -> Path:
    from jamel.corpus import DEMO_CORPUS, SCALEWOB_CORPUS

    return SCALEWOB_CORPUS if Corpus(SCALEWOB_CORPUS).apps() else DEMO_CORPUS


def build_parser():
    import argparse

    p = argparse.ArgumentParser(
        prog="scan_external_assets.py",
        description="Report, per app, the other hosts its HTML/JS/CSS refers to (static scan), what sessions "
                    "really requested from outside (--blocked), and which of those URLs a vendor map serves "
                    "from local copies (--vendor/--vendor-map).")
    p.add_argument("--corpus", type=Path, default=None,
                   help="corpus folder (default: ScaleWoB if downloaded, else the demo apps)")
    p.add_argument("--apps", default="all", help="split name or comma-separated app ids (default: all)")
    p.add_argument("--all", action="store_true",
                   help="also list mere mentions (links, meta tags, bare strings), not only loaded assets")
    p.add_argument("--urls", action="store_true", help="list every URL, not only hosts")
    p.add_argument("--json", type=Path, default=None, help="write the full report (every reference) here")
    p.add_argument("--blocked", type=Path, nargs="+", default=None, metavar="PATH",
                   help="session summary.json files or run folders: aggregate their blocked_requests")
    p.add_argument("--vendor", type=Path, default=None, metavar="DIR",
                   help="folder of vendored copies (overrides the map's vendor_dir); marks each URL vendored/missing")
    p.add_argument("--vendor-map", type=Path, default=None,
                   help=f"vendor map file (default with --vendor: {DEFAULT_VENDOR_MAP})")
    p.add_argument("--suggest-map", action="store_true",
                   help="print skeleton vendor-map entries (one folder per host) for URLs not yet vendored")
    p.add_argument("--strict", action="store_true",
                   help="exit 3 if a loaded external URL is not vendored (needs --vendor or --vendor-map)")
    return p


def main(argv: list[str] | None = None) -> int:
    import sys

    args = build_parser().parse_args(argv)
    root = (args.corpus or _default_corpus()).expanduser().resolve()
    corpus = Corpus(root)
    if not corpus.apps():
        print(f"error: no apps in {root}", file=sys.stderr)
        return 1
    try:
        apps = corpus.resolve(args.apps)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    vendor_map: dict[str, Path] | None = None
    if args.vendor or args.vendor_map:
        map_path = args.vendor_map or DEFAULT_VENDOR_MAP
        try:
            vendor_map = load_vendor_map(map_path, args.vendor)
        except (OSError, ValueError) as exc:
            print(f"error: cannot load vendor map {map_path}: {exc}", file=sys.stderr)
            return 1
    loaded_only = not args.all
    scans = scan_corpus(root, apps)
    report: dict[str, Any] = {"corpus": str(root), "apps": {a: s.to_json() for a, s in scans.items()},
                              "hosts": corpus_hosts(scans, loaded_only)}
    unvendored: set[str] = set()
    print(f"External references in {root} ({len(apps)} apps; "
          f"{'loaded assets and mentions' if args.all else 'loaded assets only; --all adds mentions'})")
    for app, scan in scans.items():
        refs = scan.select(loaded_only)
        if not refs:
            print(f"{app}: none ({scan.files_scanned} files scanned)")
            continue
        urls = scan.urls(loaded_only)
        status = vendor_status(urls, vendor_map) if vendor_map is not None else {}
        print(f"{app}: {len(scan.hosts(loaded_only))} hosts, {len(urls)} URLs ({scan.files_scanned} files scanned)")
        kinds: dict[str, set[str]] = {}
        for r in refs:
            kinds.setdefault(r.host, set()).add(r.kind)
        for host, n in scan.hosts(loaded_only).items():
            host_urls = sorted({r.url for r in refs if r.host == host})
            mark = ""
            if vendor_map is not None:
                missing = [u for u in host_urls if status.get(u) is None]
                unvendored.update(u for u in missing if any(r.url == u and r.loaded for r in refs))
                mark = "  vendored" if not missing else f"  MISSING {len(missing)}/{len(host_urls)}"
            print(f"  {host:<36} {n:>4} refs  [{', '.join(sorted(kinds[host]))}]{mark}")
            if args.urls:
                for u in host_urls:
                    tag = "" if vendor_map is None else ("  -> " + status[u] if status.get(u) else "  (missing)")
                    print(f"      {u}{tag}")
    if report["hosts"]:
        print("Hosts across the corpus (apps using each):")
        for host, host_apps in report["hosts"].items():
            print(f"  {host:<36} {len(host_apps):>3} apps")
    if args.blocked:
        blocked = report_blocked(args.blocked)
        report["blocked"] = blocked
        print(f"Requested from outside at run time ({len(blocked)} apps, from session summaries):")
        for app, hosts in blocked_hosts(blocked).items():
            print(f"  {app}: " + ", ".join(f"{h} ({n})" for h, n in hosts.items()))
            if vendor_map is not None:
                unvendored.update(u for u in blocked[app] if resolve_vendored(u, vendor_map) is None)
    if vendor_map is not None:
        report["unvendored"] = sorted(unvendored)
        print(f"Not vendored: {len(unvendored)} loaded URLs")
    if args.suggest_map:
        pool = unvendored if vendor_map is not None else {u for s in scans.values() for u in s.urls(loaded_only)}
        print(json.dumps({"assets": suggest_vendor_map(pool)}, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 3 if args.strict and vendor_map is not None and unvendored else 0
