"""What the apps fetch from other hosts (offline runs block it).

ScaleWoB pages pull CDN assets (the Tailwind runtime, web fonts, icon sets, images). Offline, the
BrowserEnv aborts every request to a host other than the local corpus server and records it in
``env.blocked_requests`` (written to each session's ``summary.json``). This module scans an app's
HTML/JS/CSS statically for references to other hosts (``scan_app``, ``scan_corpus``) and aggregates
what sessions really requested from outside (``report_blocked``); CLI ``jamel corpus scan``.
Blocked scripts never count toward the reward (the ``app`` coverage filter excludes other hosts), but
a missing stylesheet or font changes the screenshots: the report says which apps are affected.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from jamel.config import opt
from jamel.corpus import Corpus, default_corpus

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
                "refs": [{**dataclasses.asdict(r), "loaded": r.loaded} for r in self.refs]}


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


def scan_js(text: str, line_offset: int = 0) -> list[tuple[str, str, int]]:
    """(url, kind, line) for every quoted external URL in JS (or JSON) source."""
    lines = _Lines(text)
    out = []
    for m in _JS_URL_RE.finditer(text):
        url = m.group("url")
        before = text[max(0, m.start() - 60):m.start()]
        kind = next((k for rx, k in _JS_CONTEXT if rx.search(before)), "string")
        out.append((url, kind, lines.line(m.start()) + line_offset))
    return out


def scan_css(text: str, line_offset: int = 0) -> list[tuple[str, str, int]]:
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


def scan_html(text: str) -> list[tuple[str, str, int]]:
    parser = _HTMLScanner()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001  very broken markup: fall back to the plain string scan
        return scan_js(text)
    return parser.found


_SCANNERS = {"html": scan_html, "js": scan_js, "css": scan_css}


def scan_text(text: str, language: str, file: str = "") -> list[AssetRef]:
    """External references in one file's text; ``language`` is ``html``, ``js`` or ``css``."""
    refs = set()
    for url, kind, line in _SCANNERS[language](text):
        host = external_host(url)
        if host is None or (host in NEVER_FETCHED_HOSTS and kind in MENTION_KINDS):
            continue
        refs.add(AssetRef(url=url, host=host, kind=kind, file=file, line=line))
    return sorted(refs, key=lambda r: (r.file, r.line, r.url, r.kind))


def scan_app(app_dir: Path, app: str | None = None) -> AppAssets:
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
            result.refs += scan_text(text, language, path.relative_to(app_dir).as_posix())
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


# -- CLI ------------------------------------------------------------------------------------------

@dataclass
class ScanConfig:
    corpus: Path | None = opt(None, "corpus folder (default: ScaleWoB if downloaded, else the demo apps)")
    apps: str = opt("all", "split name or comma-separated app ids")
    all: bool = opt(False, "also list mere mentions (links, meta tags, bare strings), not only loaded assets")
    urls: bool = opt(False, "list every URL, not only hosts")
    json: Path | None = opt(None, "write the full report (every reference) here")
    blocked: list[Path] | None = opt(None, "session summary.json files or run folders: aggregate their "
                                           "blocked_requests")


def scan(args: ScanConfig) -> int:
    """Report, per app, the other hosts its HTML/JS/CSS refers to (static scan) and what sessions really
    requested from outside (--blocked)."""
    root = (args.corpus or default_corpus()).expanduser().resolve()
    try:
        apps = Corpus(root).resolve(args.apps)
        if not apps:
            raise ValueError(f"no apps in {root}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    loaded_only = not args.all
    scans = scan_corpus(root, apps)
    report: dict[str, Any] = {"corpus": str(root), "apps": {a: s.to_json() for a, s in scans.items()},
                              "hosts": corpus_hosts(scans, loaded_only)}
    print(f"External references in {root} ({len(apps)} apps; "
          f"{'loaded assets and mentions' if args.all else 'loaded assets only; --all adds mentions'})")
    for app, scan in scans.items():
        refs = scan.select(loaded_only)
        if not refs:
            print(f"{app}: none ({scan.files_scanned} files scanned)")
            continue
        hosts = scan.hosts(loaded_only)
        print(f"{app}: {len(hosts)} hosts, {len(scan.urls(loaded_only))} URLs ({scan.files_scanned} files scanned)")
        for host, n in hosts.items():
            kinds = sorted({r.kind for r in refs if r.host == host})
            print(f"  {host:<36} {n:>4} refs  [{', '.join(kinds)}]")
            if args.urls:
                print("".join(f"      {u}\n" for u in sorted({r.url for r in refs if r.host == host})), end="")
    if report["hosts"]:
        print("Hosts across the corpus (apps using each):")
        for host, host_apps in report["hosts"].items():
            print(f"  {host:<36} {len(host_apps):>3} apps")
    if args.blocked:
        report["blocked"] = blocked = report_blocked(args.blocked)
        print(f"Requested from outside at run time ({len(blocked)} apps, from session summaries):")
        for app, hosts in blocked_hosts(blocked).items():
            print(f"  {app}: " + ", ".join(f"{h} ({n})" for h, n in hosts.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0
