"""V8 precise coverage over CDP, one collector per open page.

Each `Profiler.takePreciseCoverage` returns only what ran since the previous take (the counters are
reset by the take), so a take is a *delta*; the session-wide union lives in the scorer. Scripts are
keyed by URL and content, never by scriptId, so a reload or a navigation that loads the same file
again lands on the same key.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit


@dataclass
class ScriptTake:
    """One script's coverage in one take (V8 `ScriptCoverage` plus our stable key)."""

    key: str
    url: str
    functions: list[dict[str, Any]]
    source: str | None = None  # attached the first time a collector meets the script (the scorer keeps one)


def script_key(url: str, source: str) -> str:
    return hashlib.sha1(f"{url}\n{source}".encode("utf-8", "surrogatepass")).hexdigest()[:20]


class ScriptFilter:
    """Which scripts count toward C(t).

    `app` (default): scripts on the app's origin whose URL path lies under the corpus root: the app's
    own files, its pages' inline scripts, and the code it shares with other apps of the corpus
    (`../common/*.js`, `../core/*.js`, a shared `../_vendor/` folder). Real corpora factor code out of
    the app folder that way; it is the app's code all the same. The corpus root is the URL the corpus
    server serves the corpus folder at (`corpus_url`), by default the folder above the app's folder
    (apps live at `<corpus>/<app>/index.html`). Scripts of other hosts or ports (CDNs) never count.
    `http`: every http(s) script, as the public release counted (CDN runtimes included, so novelty can
    come from outside the app).
    """

    RULES = {
        "app": "scripts on the app's origin under the corpus root (own, inline and shared corpus code)",
        "http": "every http(s) script (the release's rule)",
    }
    MODES = tuple(RULES)

    def __init__(self, mode: str, app_url: str, corpus_url: str | None = None):
        if mode not in self.MODES:
            raise ValueError(f"unknown coverage filter {mode!r}; choose one of {self.MODES}")
        self.mode = mode
        parts = urlsplit(app_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if corpus_url is None:
            app_folder = parts.path.rsplit("/", 1)[0]  # /<root>/<app>
            root = app_folder.rsplit("/", 1)[0] + "/"  # /<root>/
        else:
            c = urlsplit(corpus_url)
            if f"{c.scheme}://{c.netloc}" != origin:
                raise ValueError(f"corpus URL {corpus_url!r} is not on the app's origin {origin!r}")
            root = c.path if c.path.endswith("/") else c.path + "/"
        self.prefix = origin + root if mode == "app" else "http(s)://"

    def describe(self) -> str:
        """The rule with its resolved scope, as recorded in run summaries."""
        return f"{self.mode}: {self.RULES[self.mode]}" + (f"; prefix {self.prefix}" if self.mode == "app" else "")

    def __call__(self, url: str) -> bool:
        if self.mode == "http":
            return url.startswith(("http://", "https://"))
        return url.startswith(self.prefix)


@functools.lru_cache(maxsize=None)
def _takes_timeout(send: Any) -> bool:
    return "timeout" in inspect.signature(send).parameters


def cdp_send(cdp: Any, method: str, params: dict[str, Any] | None = None) -> Any:
    """A CDP call without the sync API's mapping of its reply: Playwright walks every value of a reply
    looking for its own objects, which cost ~40 ms of Python per V8 coverage take of a jQuery-sized
    script (a CDP reply is plain JSON, nothing to map). Falls back to `cdp.send` on other objects."""
    impl, sync = getattr(cdp, "_impl_obj", None), getattr(cdp, "_sync", None)
    if impl is None or sync is None:
        return cdp.send(method, params) if params is not None else cdp.send(method)
    extra = {"timeout": None} if _takes_timeout(type(impl).send) else {}
    return sync(impl.send(method=method, params=params, **extra))


class CoverageCollector:
    """Starts precise coverage on one page's CDP session and takes filtered deltas from it."""

    def __init__(self, cdp: Any, script_filter: Callable[[str], bool]):
        self.cdp = cdp
        self.script_filter = script_filter
        self._known: dict[str, str] = {}  # scriptId -> key
        self.profiling = False

    def start(self, profile: bool = True) -> None:
        """`profile=False`: sources only, for a page whose V8 isolate another collector already profiles
        (precise coverage is per isolate, and starting it again would reset the isolate's counters)."""
        # Debugger is needed for getScriptSource; it also keeps scripts alive until we read them.
        cdp_send(self.cdp, "Debugger.enable", {"maxScriptsCacheSize": 100_000_000})
        cdp_send(self.cdp, "Debugger.setSkipAllPauses", {"skip": True})  # a `debugger;` in app code must not freeze it
        if profile:
            self.start_profiling()

    def start_profiling(self) -> None:
        cdp_send(self.cdp, "Profiler.enable")
        cdp_send(self.cdp, "Profiler.startPreciseCoverage", {"callCount": True, "detailed": True})
        self.profiling = True

    def isolate_id(self) -> str:
        return cdp_send(self.cdp, "Runtime.getIsolateId")["id"]

    def _source(self, script_id: str, others: tuple[Any, ...]) -> str | None:
        # A take covers the whole V8 isolate, which pages of one renderer (an opener and its window.open
        # popup) share; each page's session only knows its own scripts' sources.
        for cdp in (self.cdp, *others):
            try:
                return cdp_send(cdp, "Debugger.getScriptSource", {"scriptId": script_id})["scriptSource"]
            except Exception:
                continue
        return None

    def take(self, source_sessions: tuple[Any, ...] = ()) -> list[ScriptTake]:
        """Coverage since the previous take, for filtered scripts that executed anything (merging only
        adds counts, so a script whose counts are all zero changes nothing). `source_sessions`: CDP
        sessions of other pages in the same isolate, asked for sources this page does not know."""
        result = cdp_send(self.cdp, "Profiler.takePreciseCoverage")["result"]
        takes: list[ScriptTake] = []
        for script in result:
            url = script.get("url") or ""
            if not url or not self.script_filter(url):
                continue
            functions = script["functions"]
            if not any(r["count"] > 0 for fn in functions for r in fn["ranges"]):
                continue
            key = self._known.get(script["scriptId"])
            source = None
            if key is None:
                source = self._source(script["scriptId"], source_sessions)
                if source is None:  # its page closed since the script ran: nothing can read it any more
                    continue
                key = self._known[script["scriptId"]] = script_key(url, source)
            takes.append(ScriptTake(key, url, functions, source))
        return takes

