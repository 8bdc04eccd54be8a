"""The exploration environment: one app in a real Chromium, the coverage novelty reward.

`BrowserEnv` is a `gymnasium.Env`, registered as ``jamel/BrowserExplore-v0`` (jamel/env/__init__.py).
`reset(seed=, options=)` starts a new *session* (fresh browser context, empty coverage union) and
returns (observation, info); `step(action_str)` returns (observation, reward, terminated, truncated,
info). Its observation is a dict of arrays and text (jamel/env/spaces.py); `RecordEnv`, the same env,
returns `jamel.schemas.Observation` records instead (what agents and the rollout loops use), and
`env.observation` is always the last record. The `reset()` *action* is different from `reset`: it
is one step of the session that goes back to the start page and keeps the coverage baseline
(docs/method.md).

Robustness: every browser call has a timeout, and the whole step has one deadline
(`EnvConfig.step_timeout_s`) enforced by a watchdog thread that kills the browser's process tree:
Playwright's sync calls block this thread, and a renderer frozen in a CDP call (a `while(true){}`
handler) never answers, so killing the browser is the one thing that always unblocks the step. A
crashed, hung or killed browser is restarted on the start page, the step is recorded as failed
(reward 0) and the session goes on with its coverage baseline intact (the union lives in the
scorer, not in the browser).
"""
from __future__ import annotations

import base64
import heapq
import io
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gymnasium
import psutil
from PIL import Image

from jamel.env.actions import ACTION_SPECS, Action, ActionParseError, check_navigation, origin_of, parse_action
from jamel.env.coverage.collector import CoverageCollector, ScriptFilter, ScriptTake, cdp_send
from jamel.env import sessions
from jamel.env.coverage.scorer import NoveltyScorer, node_compile_cache_env, novelty_reward
from jamel.env.spaces import action_space, observation_dict, observation_space, screenshot_array
from jamel.schemas import DISPLAY_ORIGIN, InteractiveElement, Observation, StepTimings, display_urls

log = logging.getLogger(__name__)
OBSERVE_JS = (Path(__file__).with_name("observe.js")).read_text(encoding="utf-8")
SETTLE_JS = (Path(__file__).with_name("settle.js")).read_text(encoding="utf-8")
LISTENERS_JS = (Path(__file__).with_name("listeners.js")).read_text(encoding="utf-8")
# A bid is an opaque id handed out by observe.js: digits only. Anything else is refused before it
# could reach a selector, and only bids of the last observation are accepted (BrowserEnv._check_bids).
BID_RE = re.compile(r"[0-9]{1,9}")
TARGET_JS = (Path(__file__).with_name("target.js")).read_text(encoding="utf-8")
# observe.js and target.js are installed once per document (an init script, top frame only) and
# called by name: a step no longer sends and compiles their source (18 KB) on every call. A document
# the init script did not reach (none in practice) gets the source as before.
PAGE_JS = ("if (window === window.top && !window.__jamelPage) Object.defineProperty(window, '__jamelPage', "
           f"{{value: Object.freeze({{observe: {OBSERVE_JS.strip()},\ntarget: {TARGET_JS.strip()}}})}});")
CLOSE_TIMEOUT_S = 10.0  # closing a browser that does not answer: then it is killed
# The navigation hold (listeners.js): a navigation the page started to another of its documents is held
# there; the env takes the old document's coverage, then replays it (BrowserEnv._follow_navigations).
NAV_HELD_JS = "window.__jamelNavigation ? window.__jamelNavigation.held() : null"
NAV_REPLAY_JS = "window.__jamelNavigation ? window.__jamelNavigation.replay() : null"
MAX_FOLLOWED_NAVIGATIONS = 5  # per step: a page that navigates again on every load is followed this far
# Requests whose completion can run app code (a loaded script, an onload handler, a response, a new
# document). Media streams, event sources and web sockets may stay open for good: not awaited.
SETTLE_REQUEST_TYPES = {"document", "script", "fetch", "xhr", "image"}


CHROMIUM_HELP = ("pass --browser-path PATH (or set JAMEL_CHROMIUM=PATH), run `playwright install chromium` "
                 "(Playwright's own build), or install the system's `chromium` (Debian: `apt-get install chromium "
                 "chromium-headless-shell`; shell/setup.sh does)")
# Headless sessions prefer Chromium's headless shell (the same Blink and V8 without the browser UI layer,
# what Playwright itself launches for headless): measured on the demo panel, 25% less CPU per step, and 4
# workers on 2 cores 1.83x (median of 3 rounds) instead of 1.53x faster than one (docs/environment.md).
HEADLESS_SHELLS = ("chromium-headless-shell", "chrome-headless-shell")


def find_chromium(explicit: str | None = None, playwright: Any = None, headless: bool = True) -> str:
    """The Chromium to drive, first found of: an explicit path (--browser-path, EnvConfig.chromium_path),
    $JAMEL_CHROMIUM, Playwright's own installed Chromium (asked of the running driver ``playwright``, which
    knows where `playwright install chromium` puts it; nothing is launched; for a headless session its own
    headless shell of the same revision, where installed), the system's headless shell (headless only), the
    system's `chromium`."""
    for how, path in (("--browser-path", explicit), ("JAMEL_CHROMIUM", os.environ.get("JAMEL_CHROMIUM"))):
        if path:
            found = shutil.which(path)  # an executable file, or a name on PATH
            if not found:
                raise RuntimeError(f"{how} {path!r} is not an executable file; {CHROMIUM_HELP}")
            return found
    if playwright is not None:
        try:
            bundled = playwright.chromium.executable_path  # where it would be; may not be installed
        except Exception:  # an old or broken driver: not a reason to refuse the system browser
            bundled = None
        if bundled and os.access(bundled, os.X_OK):
            shell = _playwright_headless_shell(Path(bundled)) if headless else None
            return shell or bundled
    for name in (HEADLESS_SHELLS if headless else ()) + ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError(f"No Chromium found: {CHROMIUM_HELP}.")


def _playwright_headless_shell(bundled: Path) -> str | None:
    """Playwright's headless shell of the same revision as its Chromium at ``bundled``
    (<registry>/chromium-<rev>/chrome-<platform>/chrome -> <registry>/chromium_headless_shell-<rev>/
    chrome-headless-shell-<platform>/chrome-headless-shell), if `playwright install` put one there."""
    build = bundled.parent.parent
    if not build.name.startswith("chromium-"):
        return None
    folder = build.parent / ("chromium_headless_shell-" + build.name.split("-", 1)[1])
    for path in sorted(folder.glob("chrome-headless-shell-*/chrome-headless-shell*")):
        if os.access(path, os.X_OK):
            return str(path)
    return None


@dataclass
class EnvConfig:
    start_url: str
    max_steps: int = 50  # T: the session is truncated after this many steps
    viewport: tuple[int, int] = (1280, 720)
    screenshot_size: tuple[int, int] = (640, 360)  # what the model sees
    max_tree_chars: int = 8000
    max_interactive: int = 200
    max_dom_nodes: int = 5000  # elements rendered into the tree (on-screen first, see docs/environment.md)
    max_scan_nodes: int = 20000  # elements observe.js looks at per step (bounds its cost)
    coverage_filter: str = "app"  # "app" (own scripts) | "http" (every http script, as the release)
    corpus_url: str | None = None  # where the corpus root is served (`app` filter scope); None: above the app folder
    coverage_mode: str = "persistent"  # "persistent" | "merged" (see NoveltyScorer)
    action_timeout_ms: int = 3000  # Playwright waits this long for an element to become actionable
    navigation_timeout_ms: int = 15000
    # How long to let handlers, timers, requests and rendering run before coverage is taken.
    # "adaptive": until the page is quiet (no in-flight request, DOM mutation, short pending timer or
    # finite animation) for settle_quiet_ms, at most settle_cap_ms; "fixed": sleep settle_ms.
    settle: str = "adaptive"
    settle_ms: int = 250
    settle_quiet_ms: int = 50
    settle_cap_ms: int = 1500
    screenshot_format: str = "png"  # "png" (lossless) | "jpeg" (quality 90, smaller and faster)
    # Render pages at the model image's resolution (devicePixelRatio = screenshot width / viewport
    # width, 0.5; the CSS layout stays viewport-sized): the screenshot is the compositor's frame as is.
    # False: devicePixelRatio 1 and a capture scaled down by Chromium (docs/environment.md, Screenshot).
    scaled_render: bool = True
    raw_screenshot: bool = False  # also keep a full-viewport PNG (Observation.screenshot_raw)
    overlap_scoring: bool = True  # score the step's takes while the observation is captured (same C(t))
    block_external: bool = True  # offline: requests to other hosts are aborted (and recorded)
    upload_dir: str | None = None  # upload_file() may only pick files from here
    chromium_path: str | None = None
    headless: bool = True
    step_timeout_s: float = 30.0  # deadline for a whole step (action..observation); on expiry the browser is killed
    start_timeout_s: float = 60.0  # deadline for (re)starting the browser on the start page and observing it


class BrowserCrash(RuntimeError):
    pass


class _NothingHeld(Exception):
    """The page had no held navigation to replay after all (BrowserEnv._replay_navigation)."""


def kill_process_tree(proc: psutil.Process | None) -> None:
    """SIGKILL a process and all its descendants (Chromium's zygotes, renderers, GPU/utility processes)."""
    if proc is None:
        return
    try:
        procs = proc.children(recursive=True)  # collected first: children are reparented once the root dies
    except psutil.Error:
        procs = []
    for p in [proc, *procs]:
        try:
            p.kill()  # psutil refuses if the PID was reused by another process
        except psutil.Error:
            pass


def find_marked_process(marker: str) -> psutil.Process | None:
    """The topmost process whose command line carries `marker` (only Chromium's browser process does:
    it does not pass unknown switches on to its children)."""
    def marked(procs) -> list[psutil.Process]:
        out = []
        for p in procs:
            try:
                if marker in p.cmdline():
                    out.append(p)
            except psutil.Error:
                pass
        return out

    try:  # our own descendants first (Playwright's driver, then Chromium): cheap on a busy machine
        found = marked(psutil.Process().children(recursive=True)) or marked(psutil.process_iter())
    except psutil.Error:
        return None
    pids = {p.pid for p in found}
    roots = [p for p in found if p.ppid() not in pids]
    return roots[0] if roots else None


class _Deadlines(threading.Thread):
    """One thread that fires every `Watchdog` of the process when it expires (a thread per deadline cost
    ~3 ms of a step's Python time to start, in the thread that interleaved sessions share)."""

    def __init__(self):
        super().__init__(name="jamel-deadlines", daemon=True)
        self._heap: list[tuple[float, int, Watchdog]] = []
        self._wake = threading.Condition()
        self._count = 0

    def add(self, wd: "Watchdog") -> None:
        with self._wake:
            self._count += 1
            heapq.heappush(self._heap, (time.monotonic() + wd.seconds, self._count, wd))
            self._wake.notify()

    def run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                _, _, wd = heapq.heappop(self._heap)
            wd._fire()  # outside the lock: a kill takes time; a cancelled one returns at once


_DEADLINES: _Deadlines | None = None
_DEADLINES_LOCK = threading.Lock()


class Watchdog:
    """A deadline for blocking browser work: on expiry it calls `kill` (from the deadline thread) once.

    `cancel()` is final: after it returns, `kill` has either already run (then `fired` is True) or
    never will, so a deadline that expires just as the work finishes cannot kill a healthy browser.
    """

    def __init__(self, seconds: float, kill, what: str):
        global _DEADLINES
        self.seconds, self.what, self._kill = seconds, what, kill
        self.fired = False
        self._lock = threading.Lock()
        self._done = False
        with _DEADLINES_LOCK:
            if _DEADLINES is None or not _DEADLINES.is_alive():  # also after a fork
                _DEADLINES = _Deadlines()
                _DEADLINES.start()
        _DEADLINES.add(self)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            self._done = True
        log.warning("deadline of %g s exceeded (%s): killing the browser", self.seconds, self.what)
        self._kill()

    def cancel(self) -> bool:
        """Disarm; returns whether the deadline fired. (A cancelled deadline stays in the heap until its
        time, then is dropped: it holds no browser, only its kill callback.)"""
        with self._lock:
            self._done = True
        return self.fired

    def __enter__(self) -> "Watchdog":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


class _ThreadPlaywright(threading.local):
    """One Playwright driver per thread, shared by the envs of that thread: its sync API cannot start a
    second driver in a thread that runs one (several envs in one thread: gymnasium's SyncVectorEnv)."""

    def __init__(self):
        self.driver, self.users = None, 0

    def acquire(self):
        if self.driver is None:
            from playwright.sync_api import sync_playwright

            # the driver is started with this process's environment: give it Node's compile cache
            os.environ.update(node_compile_cache_env())
            self.driver = sync_playwright().start()
        self.users += 1
        return self.driver

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self.driver.stop()
            self.driver = None


_PLAYWRIGHT = _ThreadPlaywright()


class BrowserHost:
    """The Chromium process that envs of one thread share, a browser context each (`jamel.env.sessions`);
    an env built without one has a host of its own. A dead browser is relaunched by the first env that
    needs it again; the others find the new one when they restart."""

    def __init__(self):
        self.browser: Any = None
        self.proc: psutil.Process | None = None
        self._launching: Future | None = None

    def get(self, pw: Any, cfg: "EnvConfig") -> tuple[Any, psutil.Process | None]:
        while self._launching is not None:  # another session of this thread is launching it: one browser
            sessions.wait(self._launching)
        if self.browser is None or not self.browser.is_connected():
            self._launching = Future()
            try:
                self._launch(pw, cfg)
            finally:
                launching, self._launching = self._launching, None
                launching.set_result(None)
        return self.browser, self.proc

    def _launch(self, pw: Any, cfg: "EnvConfig") -> None:
        self.discard()
        # A unique switch that Chromium ignores: it lets the watchdog find (and kill) this browser's
        # process tree without asking the browser, which may be the thing that hangs.
        marker = f"--jamel-browser={uuid.uuid4().hex}"
        # --in-process-gpu: the (software) GPU work runs as a thread of the browser process instead of a
        # process of its own; the same pixels (checked on every demo app), less CPU per step (IPC and a
        # process fewer: 1 session 176-183 -> 165 ms, 4 interleaved ~177 -> 139 ms; docs/environment.md).
        args = ["--no-sandbox", "--disable-gpu", "--in-process-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
                "--disable-quic", "--mute-audio", "--font-render-hinting=none", marker]
        if cfg.block_external:
            # Belt and braces with the request router: never wait on DNS for another host.
            args.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost")
        exe = find_chromium(cfg.chromium_path, pw, cfg.headless)
        self.browser = pw.chromium.launch(executable_path=exe, headless=cfg.headless, args=args)
        self.proc = find_marked_process(marker)
        if self.proc is None:
            log.warning("browser process not found: the step deadline cannot kill a hung browser")

    def discard(self, browser: Any = None) -> None:
        """Close (or kill) the browser; with ``browser``, only if that is still the one running here."""
        if browser is not None and browser is not self.browser:
            return  # another env has relaunched it already
        # Forget it first: closing yields to other sessions, and one of them may launch the next browser.
        old, proc, self.browser, self.proc = self.browser, self.proc, None, None
        with Watchdog(CLOSE_TIMEOUT_S, lambda: kill_process_tree(proc), "closing the browser"):
            try:
                if old is not None:
                    old.close()
            except Exception:  # already dead
                pass
        kill_process_tree(proc)  # stragglers of a killed or crashed browser


class BrowserEnv(gymnasium.Env):
    """One app in a real Chromium. Built from an EnvConfig, or (as `gymnasium.make` does) from
    ``app=`` and optionally ``corpus=`` (default: the demo apps) and EnvConfig fields as keywords:
    then the env serves the corpus itself on 127.0.0.1 until `close()`."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, config: EnvConfig | None = None, *, corpus: str | Path | None = None, app: str | None = None,
                 render_mode: str | None = None, browser: BrowserHost | None = None, **config_fields: Any):
        self._server = None
        if config is None:
            if not app:
                raise ValueError("BrowserEnv needs an EnvConfig or an app name (app=..., corpus=...)")
            from jamel.corpus import load_corpus
            from jamel.env.server import CorpusServer

            self._server = CorpusServer(load_corpus(corpus).root)
            config = EnvConfig(start_url=self._server.url_for(app), corpus_url=self._server.base_url + "/",
                               **config_fields)
        elif corpus is not None or app is not None or config_fields:
            raise TypeError("pass either an EnvConfig or app=/corpus=/EnvConfig fields, not both")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode {render_mode!r}: only 'rgb_array' (the screenshot) is supported")
        self.render_mode = render_mode
        self.observation_space = observation_space(config.screenshot_size, config.max_tree_chars)
        self.action_space = action_space()
        self.observation: Observation | None = None  # the last observation, as a record
        self.cfg = config
        self.retarget(config.start_url)  # the coverage filter and the app's origin
        self.scorer = NoveltyScorer(mode=config.coverage_mode)
        self._pw = self._browser = self._context = None
        self.pages: list[Any] = []
        self.active = 0
        self._collectors: dict[Any, CoverageCollector | None] = {}  # by Page
        self.blocked_requests: list[str] = []
        self._pending_takes: list[ScriptTake] = []  # coverage taken between steps, folded into the next
        self.step_count = self.episode = self.episode_step = self.restarts = 0
        # The bids of the last observation (bid -> bids of the iframes around it) and its page.
        self._bids: dict[str, list[str]] = {}
        self._bids_page: Any = None
        self._boxes: dict[str, list[float]] = {}  # bid -> its box at the step's first lookup (target_box)
        self._browser_proc: psutil.Process | None = None  # for the watchdog (see Watchdog)
        self._host = browser or BrowserHost()  # shared by the envs of a worker's interleaved sessions
        self._owns_host = browser is None
        self._phase = ""  # what the step is doing, for the deadline's log line
        if config.settle not in ("adaptive", "fixed"):
            raise ValueError(f"unknown settle mode {config.settle!r}; choose adaptive or fixed")
        self._inflight: dict[Any, float] = {}  # request -> start time (perf_counter), for the settle
        self._net_last = 0.0  # perf_counter of the last request start/end

    # -- browser lifecycle ------------------------------------------------------------------------
    def _launch(self) -> None:
        if self._pw is None:
            self._pw = _PLAYWRIGHT.acquire()
        self._browser, self._browser_proc = self._host.get(self._pw, self.cfg)  # warm sessions reuse it
        w, h = self.cfg.viewport
        self._context = self._browser.new_context(viewport={"width": w, "height": h},
                                                  device_scale_factor=self._render_scale(),
                                                  service_workers="block", accept_downloads=False)
        self._context.add_init_script(LISTENERS_JS)  # records addEventListener targets for observe.js
        self._context.add_init_script(PAGE_JS)
        self._context.set_default_timeout(self.cfg.action_timeout_ms)
        self._context.set_default_navigation_timeout(self.cfg.navigation_timeout_ms)
        self._context.route("**/*", self._route)
        self._install_settle_hooks()
        self.pages, self._collectors, self.active = [], {}, 0
        page = self._context.new_page()
        self._attach(page)
        # Registered after the first page exists: its own event would otherwise race the explicit attach.
        self._context.on("page", self._on_page)
        self.navigate(page, self.cfg.start_url)

    def _route(self, route) -> None:
        request = route.request
        url = request.url
        host = urlsplit(url).hostname
        if request.is_navigation_request() and origin_of(url) != self._origin:
            # A link, form, script or popup taking a page to another origin (another port included).
            # "aborted" leaves the page where it was (a blocked navigation would commit an error page).
            self.blocked_requests.append(url)
            route.abort("aborted")
        elif not self.cfg.block_external or url.startswith(("data:", "blob:", "about:")) or host in self._local_hosts:
            route.continue_()
        else:
            self.blocked_requests.append(url)
            route.abort("blockedbyclient")

    @staticmethod
    def _on_dialog(dialog) -> None:
        # alert/confirm/prompt are dismissed (Cancel; a prompt answers null) so they never block a step;
        # "leave this page?" is accepted so reset(), goto, go_back and reloads always leave the page.
        try:
            dialog.accept() if dialog.type == "beforeunload" else dialog.dismiss()
        except Exception as exc:  # the page went away with its dialog
            log.debug("dialog already gone: %s", _short(exc))

    def _on_page(self, page) -> None:
        # Pages opened by the app (target=_blank, window.open) join the session. Only bookkeeping here:
        # this handler runs interleaved with whatever the main flow is blocked in, so coverage is set up
        # by the main flow (`_adopt_pages`, before every take) at a well-defined point.
        if page in self.pages:
            return
        self.pages.append(page)
        page.on("close", lambda p: self._collectors.pop(p, None))
        page.on("dialog", self._on_dialog)

    def _adopt_pages(self) -> None:
        """Coverage for pages that joined since the last call. V8 precise coverage is per isolate, and an
        opener and its window.open popup share one: a page whose isolate is profiled already only lends
        its script sources, because starting coverage again would reset the counters of what ran."""
        for page in list(self.pages):
            if page in self._collectors or page.is_closed():
                continue
            try:
                collector = CoverageCollector(self._context.new_cdp_session(page), self.filter)
                live = [c for c in self._collectors.values() if c is not None and c.profiling]
                shared = bool(live) and collector.isolate_id() in {c.isolate_id() for c in live}
                collector.start(profile=not shared)
                if self._render_scale() != 1:
                    # The screenshot is taken on this CDP session, which sees the scale only if it sets
                    # it too (the same metrics as the context's own emulation).
                    w, h = self.cfg.viewport
                    cdp_send(collector.cdp, "Emulation.setDeviceMetricsOverride",
                             {"width": w, "height": h, "deviceScaleFactor": self._render_scale(), "mobile": False})
            except Exception as exc:
                if self._browser_dead(exc):
                    raise
                # A popup that closed itself at once: its page is gone, the browser is fine.
                log.info("coverage not started on a page that went away: %s", _short(exc))
                continue
            self._collectors[page] = collector

    def _attach(self, page) -> None:
        """Coverage on for a page we opened ourselves, *before* it loads anything."""
        self._on_page(page)
        self._adopt_pages()
        if self._collectors.get(page) is None:
            raise BrowserCrash("coverage could not be started on a new page")

    def navigate(self, page, url: str) -> None:
        page.goto(url, wait_until="load")

    def _deadline(self, seconds: float, what: str) -> Watchdog:
        # the browser is read at fire time: the one running then
        return Watchdog(seconds, lambda: kill_process_tree(self._browser_proc), what)

    def _end_context(self) -> bool:
        """Closes the session's browser context under a deadline; False if the browser could not."""
        try:
            with self._deadline(CLOSE_TIMEOUT_S, "closing the browser context"):
                if self._context is not None:
                    self._context.close()
            return True
        except Exception:
            return False
        finally:
            self._context = None
            self.pages, self._collectors = [], {}

    def retarget(self, start_url: str) -> None:
        """Point a warm env at another app (or the same one again).

        The next `reset()` opens a fresh browser context for the new session in the already running
        browser, with the same scorer worker: a session pool reuses one env for many sessions."""
        self.cfg.start_url = start_url
        self.filter = ScriptFilter(self.cfg.coverage_filter, start_url, self.cfg.corpus_url)
        self._local_hosts = {urlsplit(start_url).hostname, "127.0.0.1", "localhost"}
        self._origin = origin_of(start_url)  # the corpus server: goto and navigation stay here

    def _close_browser(self) -> None:
        """Before a restart and at close: this env's context goes; so does the browser, if it is this env's
        own or dead (a browser shared with other envs' sessions is left to them while it works)."""
        if self._owns_host:
            self._host.discard()
        elif self._browser is not None and self._browser_dead(None):
            self._host.discard(self._browser)
        else:
            self._end_context()  # a context that is gone already went with its pages
        self._browser = self._context = self._browser_proc = None
        self.pages, self._collectors = [], {}

    def _fresh_start(self, restart: bool) -> tuple[list[ScriptTake], Observation]:
        """(Re)launch the browser on the start page, under a deadline of its own; returns the page
        load's coverage and the first observation. Tried twice; a start page that cannot be loaded and
        observed at all ends the session with BrowserCrash."""
        last = ""
        warm = not restart and self._browser is not None and self._browser.is_connected()
        for attempt in range(2):
            if restart:
                log.warning("restarting the browser (step %d)", self.step_count)
                self.restarts += 1
            restart = True
            wd = self._deadline(self.cfg.start_timeout_s, f"starting the browser on {self.cfg.start_url}")
            try:
                # a new session: a new context in the same browser; a dead or stuck one starts from scratch
                if not (warm and attempt == 0 and self._end_context()):
                    self._close_browser()
                self._launch()
                takes = self._follow_navigations(self._settle())
                takes += self._take_coverage()
                obs = self._observe()
                if not wd.cancel():
                    return takes, obs
                last = "deadline exceeded"
            except Exception as exc:
                last = "deadline exceeded" if wd.cancel() else f"{type(exc).__name__}: {_short(exc)}"
            log.warning("browser start failed (attempt %d): %s", attempt + 1, last)
        raise BrowserCrash(f"the browser could not be started on {self.cfg.start_url}: {last}")

    def close(self) -> None:
        self._close_browser()
        self.scorer.close()
        if self._pw is not None:
            _PLAYWRIGHT.release()
            self._pw = None
        if self._server is not None:
            self._server.close()

    @property
    def page(self):
        if any(p.is_closed() for p in self.pages):  # the app closed a window (a popup, or its own)
            current = self.pages[self.active] if self.active < len(self.pages) else None
            self.pages = [p for p in self.pages if not p.is_closed()]
            if not self.pages:
                self._attach(self._context.new_page())
            self.active = self.pages.index(current) if current in self.pages else min(self.active, len(self.pages) - 1)
        return self.pages[self.active]

    # -- coverage ---------------------------------------------------------------------------------
    def _take_coverage(self) -> list[ScriptTake]:
        """One take per V8 isolate. A take covers the whole isolate and resets its counters, and an opener
        and its window.open popup share one, so pages are grouped by isolate: one collector of each group
        takes, the others lend the sources of their own scripts."""
        self._adopt_pages()
        live = [(p, c) for p in list(self.pages) if (c := self._collectors.get(p)) is not None and not p.is_closed()]
        groups: dict[str, list[CoverageCollector]] = {}
        for page, collector in live:
            try:
                key = collector.isolate_id() if len(live) > 1 else ""
            except Exception as exc:
                if self._browser_dead(exc):
                    raise
                log.info("page closed before its coverage was taken: %s", _short(exc))
                continue
            groups.setdefault(key, []).append(collector)
        takes: list[ScriptTake] = []
        for group in groups.values():
            group.sort(key=lambda c: not c.profiling)
            first, others = group[0], group[1:]
            try:
                if not first.profiling:  # the page that profiled this isolate has closed or moved away
                    first.start_profiling()
                takes.extend(first.take(tuple(c.cdp for c in others)))
            except Exception as exc:
                if self._browser_dead(exc):
                    raise
                # The page closed itself (a popup calling window.close()) between the check and the take:
                # what ran in it since the previous take is lost with it; the browser is fine.
                log.info("coverage of a closed page is lost: %s", _short(exc))
        return takes

    # -- Gymnasium API ----------------------------------------------------------------------------
    def _present(self, obs: Observation) -> Any:
        """The observation as this class returns it: gymnasium's dict (RecordEnv: the record itself)."""
        self.observation = obs
        return observation_dict(obs)

    def render(self) -> Any:
        if self.render_mode == "rgb_array" and self.observation is not None:
            return screenshot_array(self.observation.screenshot)
        return None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start a new session: fresh browser state, empty coverage union, C(0) = the page load.

        A running browser is kept and only its context is replaced (cookies, storage, caches and
        pages are per context); a dead one is relaunched. ``options``: ``{"app": name}`` (an env that
        serves its corpus) or ``{"start_url": url}`` moves the env to another app first."""
        super().reset(seed=seed)
        options = options or {}
        if options.get("app"):
            if self._server is None:
                raise ValueError('options={"app": ...} needs an env built with app=/corpus=; pass "start_url"')
            self.retarget(self._server.url_for(options["app"]))
        elif options.get("start_url"):
            self.retarget(options["start_url"])
        self.scorer.clear()
        self.blocked_requests = []
        self._pending_takes = []
        self.step_count = self.episode = self.episode_step = self.restarts = 0
        takes, obs = self._fresh_start(restart=False)
        score = self.scorer.add(takes)
        return self._present(obs), {"coverage": score.coverage, "counts": asdict(score.counts), "seed": seed,
                     "coverage_filter": self.cfg.coverage_filter, "coverage_scope": self.filter.describe()}

    def step(self, action_str: str) -> tuple[Any, int, bool, bool, dict[str, Any]]:
        t_start = time.perf_counter()
        timings = StepTimings()
        self.step_count += 1
        self.episode_step += 1
        info: dict[str, Any] = {"step": self.step_count, "episode": self.episode, "episode_step": self.episode_step,
                                "valid": True, "error": "", "action_canonical": "", "browser_restarted": False}
        action: Action | None = None
        try:
            action = self._check_bids(parse_action(action_str))
            canonical = display_urls(action.to_string(), self._origin)  # as agents see the app: no port
            if action.name == "goto" and origin_of(action.args["url"]) == origin_of(DISPLAY_ORIGIN):
                parts = urlsplit(action.args["url"])
                action.args["url"] = self._origin + urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
            check_navigation(action, self._origin)  # goto stays in the app's origin
            info["action_canonical"] = canonical
        except ActionParseError as exc:
            action = None
            info["valid"], info["error"] = False, f"invalid action: {exc}"

        # One deadline for the whole step: action, settle, coverage, scoring and observation.
        wd = self._deadline(self.cfg.step_timeout_s, f"step {self.step_count}")
        self._phase = "action"
        executed_ok = False
        obs: Observation | None = None
        dispatched = action is not None and ACTION_SPECS[action.name].touches_page
        takes, self._pending_takes = self._pending_takes, []
        try:
            if action is not None:
                if ACTION_SPECS[action.name].navigates:  # take the old document's coverage before it goes
                    self._phase = "coverage"
                    t0 = time.perf_counter()
                    takes.extend(self._take_coverage())
                    timings.coverage_ms += (time.perf_counter() - t0) * 1000
                self._phase = "action"
                t0 = time.perf_counter()
                try:
                    ACTION_SPECS[action.name].run(self, **action.args)
                    executed_ok = True
                except BrowserCrash:
                    raise
                except Exception as exc:  # a failed action (no such bid, timeout, ...): reward 0
                    if wd.fired or self._browser_dead(exc):
                        raise BrowserCrash(str(exc)) from exc
                    info["error"] = f"{type(exc).__name__}: {_short(exc)}"
                    dispatched = _reached_page(exc)
                info["target_box"] = self._target_box(action)
                timings.action_ms = (time.perf_counter() - t0) * 1000
                if dispatched:  # nothing to wait for after an action refused before it reached the page
                    self._phase = "settle"
                    t0, taken_ms = time.perf_counter(), timings.coverage_ms
                    takes.extend(self._follow_navigations(self._settle(), timings))
                    timings.settle_ms = (time.perf_counter() - t0) * 1000 - (timings.coverage_ms - taken_ms)
            self._phase = "coverage"
            t0 = time.perf_counter()
            takes.extend(self._take_coverage())
            timings.coverage_ms += (time.perf_counter() - t0) * 1000
        except Exception as exc:  # crashed or hung browser: restart, keep the session going
            fired = wd.cancel()
            if action is not None:  # the box the action's lookup found, before the restart clears it
                info.setdefault("target_box", self._target_box(action))
            info["error"] = self._failure_text(fired, exc)
            info["browser_restarted"] = True
            executed_ok = False
            more, obs = self._fresh_start(restart=True)
            takes.extend(more)  # the restarted page's load is part of the union
            wd = self._deadline(self.cfg.step_timeout_s, f"step {self.step_count} after a restart")
        self._phase = "scoring"
        # C(t) is computed by the scorer's thread (Node) while the browser yields the observation:
        # nothing the browser does next depends on it. Same takes, same order, same C(t). The reward
        # is computed once C(t) is in, below (a failed observation has set executed_ok = False).
        pending = self.scorer.submit(takes)
        if not self.cfg.overlap_scoring:
            t0 = time.perf_counter()
            pending.result()
            timings.scoring_wait_ms += (time.perf_counter() - t0) * 1000
        if action is not None and action.name == "reset":
            self.episode += 1
            self.episode_step = 0
        self._phase = "observation"
        t0 = time.perf_counter()
        failure: Exception | None = None
        if obs is None:
            try:
                obs = self._observe()
            except Exception as exc:
                failure = exc
        if wd.cancel() or failure is not None:
            # A failure after the reward was computed still fails the step: reward 0 (docs/method.md).
            reward, executed_ok = 0, False
            text = self._failure_text(wd.fired, failure, during="observation")
            info["error"] = (info["error"] + "; " if info["error"] else "") + text
            info["browser_restarted"] = True
            more, obs = self._fresh_start(restart=True)
            self._pending_takes += more  # the new page load counts toward the next step's take
        info["error"] = display_urls(info["error"], self._origin)  # errors name the app as agents see it
        obs.last_action_error = info["error"]
        timings.observation_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        score = pending.result()
        timings.scoring_wait_ms += (time.perf_counter() - t0) * 1000
        timings.scoring_ms = score.scoring_ms
        reward = novelty_reward(score, action_ok=info["valid"] and executed_ok)
        timings.step_ms = (time.perf_counter() - t_start) * 1000
        info.update(coverage=score.coverage, coverage_delta=score.delta, counts=asdict(score.counts),
                    timings=timings, executed=executed_ok)
        truncated = self.step_count >= self.cfg.max_steps
        return self._present(obs), reward, False, truncated, info

    def _failure_text(self, fired: bool, exc: Exception | None, during: str = "") -> str:
        if fired:
            text = (f"step deadline of {self.cfg.step_timeout_s:g} s exceeded during {self._phase}: "
                    "browser killed and restarted")
        else:
            what = f"{type(exc).__name__}: {_short(exc)}" if exc is not None else "unknown"
            text = f"{during} failed: {what}" if during else f"browser failure: {what}"
        log.warning("step %d: %s", self.step_count, text)
        return text

    def begin_episode(self) -> Any:
        """A new episode inside the session, not a step: back to the start page, baseline kept.

        Used for sessions of fixed-length episodes (data collection). Coverage taken here joins the
        next step's take, so the recorded takes stay one entry per step.
        """
        wd = self._deadline(self.cfg.step_timeout_s, "episode reset")
        try:
            self._pending_takes += self._take_coverage()
            self.back_to_start()
            self._pending_takes += self._follow_navigations(self._settle())
            self._pending_takes += self._take_coverage()
            obs = self._observe()
            if wd.cancel():
                raise BrowserCrash("deadline exceeded")
        except Exception as exc:
            wd.cancel()
            log.warning("episode reset failed (%s); restarting the browser", _short(exc))
            more, obs = self._fresh_start(restart=True)
            self._pending_takes += more
        self.episode += 1
        self.episode_step = 0
        return self._present(obs)

    # -- settling ---------------------------------------------------------------------------------
    def _install_settle_hooks(self) -> None:
        """Adaptive settle, for a new context: the page-side tracker and the request counters."""
        self._inflight = {}
        if self.cfg.settle != "adaptive":
            return
        self._context.add_init_script(SETTLE_JS.replace("__CAP_MS__", str(int(self.cfg.settle_cap_ms))))
        self._context.on("request", self._on_request)
        self._context.on("requestfinished", self._on_request_done)
        self._context.on("requestfailed", self._on_request_done)

    def _on_request(self, request) -> None:
        if request.resource_type in SETTLE_REQUEST_TYPES:
            self._inflight[request] = self._net_last = time.perf_counter()

    def _on_request_done(self, request) -> None:
        if self._inflight.pop(request, None) is not None:
            self._net_last = time.perf_counter()

    def _settle(self) -> bool:
        """Let what the last action started run, so its code is in this step's coverage take. Returns
        whether the active page holds a navigation (listeners.js), as read by the settle's last call."""
        if self.cfg.settle == "fixed":
            page = self.page
            if self._holds_navigation(page):  # leaving now: no wait on the document it leaves
                return True
            page.wait_for_timeout(self.cfg.settle_ms)
            return self._holds_navigation(page)
        quiet, cap = self.cfg.settle_quiet_ms / 1000, self.cfg.settle_cap_ms / 1000
        deadline = time.perf_counter() + cap
        mark = True
        while (left := deadline - time.perf_counter()) > 0:
            page = self.page
            try:  # resolves in the page once it has been quiet for the window (events are handled meanwhile)
                page_quiet, held = self._page_eval(
                    page, f"(async () => [window.__jamelSettle ? await window.__jamelSettle.quiet({quiet * 1000}, "
                          f"{left * 1000}, {str(mark).lower()}) : true, {NAV_HELD_JS}])()")
                mark = False
            except Exception as exc:  # the document navigated away mid-wait: wait on the new one
                if self._browser_dead(exc) or page.is_closed():
                    raise
                page_quiet = held = False
            if held:  # the page is leaving (quiet() answered at once): take its coverage and replay now
                return True
            now = time.perf_counter()
            # a request open longer than the cap is a stream or a long poll, not this step's work
            busy = any(now - t < cap for t in self._inflight.values())
            net_quiet_for = now - self._net_last
            if page_quiet and not busy and net_quiet_for >= quiet:
                return False
            wait = 0.01 if busy or not page_quiet else quiet - net_quiet_for
            page.wait_for_timeout(max(1.0, min(wait, deadline - now) * 1000))
        return False

    # -- navigations the page started (the navigation hold, listeners.js) ---------------------------
    def _holds_navigation(self, page) -> bool:
        try:
            return bool(self._page_eval(page, NAV_HELD_JS))
        except Exception as exc:  # a document being replaced, a closed popup: nothing held there
            if self._browser_dead(exc):
                raise
            return False

    def _follow_navigations(self, active_held: bool, timings: StepTimings | None = None) -> list[ScriptTake]:
        """Replays the navigations the pages hold, after taking the coverage of the documents they leave.

        A page's own navigation to another of its documents (a handler that runs code, then sets
        location.href) is held in the page by listeners.js: the take after the step would only reach the
        new document, and the handler's code would be lost. Here the old documents' coverage is taken
        first, then each navigation is replayed as the page started it and its commit awaited, and the
        settle runs again on the new document (which waits for its load); a new document that navigates at once is
        followed too, up to MAX_FOLLOWED_NAVIGATIONS times. `active_held`: the settle's answer for the
        active page; other tabs are asked here (one call each, only when there are several)."""
        takes: list[ScriptTake] = []
        for _ in range(MAX_FOLLOWED_NAVIGATIONS):
            active = self.page
            held = [active] if active_held else []
            held += [p for p in list(self.pages) if p is not active and not p.is_closed() and self._holds_navigation(p)]
            if not held:
                break
            phase, self._phase = self._phase, "coverage"
            t0 = time.perf_counter()
            takes.extend(self._take_coverage())  # the old documents' code, before they go
            if timings is not None:
                timings.coverage_ms += (time.perf_counter() - t0) * 1000
            self._phase = "navigation"
            for page in held:
                self._replay_navigation(page)
            self._phase = phase
            active_held = self._settle()
        return takes

    def _replay_navigation(self, page) -> None:
        # Until the new document commits; the settle after it waits for its load. Not "load": a document that
        # redirects while parsing is stopped there by the hold (listeners.js) and never fires a load event.
        try:
            with page.expect_navigation(wait_until="commit", timeout=self.cfg.navigation_timeout_ms):
                if self._page_eval(page, NAV_REPLAY_JS) is None:  # nothing held any more (a new document)
                    raise _NothingHeld
        except _NothingHeld:
            pass
        except Exception as exc:  # a load that never came (a 204, a download): the page stays; not a failure
            if self._browser_dead(exc):
                raise
            log.info("a held navigation did not load: %s", _short(exc))

    # -- actions ----------------------------------------------------------------------------------
    def _check_bids(self, action: Action) -> Action:
        """Every bid of the action must be an id of the current observation (an invalid action if not)."""
        for param in ACTION_SPECS[action.name].params:
            if param.kind == "bid":
                bid = action.args[param.name]
                if not BID_RE.fullmatch(bid) or bid not in self._bids:
                    raise ActionParseError(f"{action.name}(): no element with bid {bid!r} in the current "
                                           f"observation (use a bid listed there)")
        return action

    # -- actions: the interface ACTION_SPECS' executors use (jamel/env/actions.py) ------------------
    def element(self, bid: str):
        """The Playwright locator of an element of the last observation, looked up in the page right
        before the action: one that is gone fails at once (LookupError), not after Playwright's whole
        action timeout, even when an earlier lookup of the step found it."""
        self._lookup_present(bid, check=False)
        return self._locator(bid)

    def reachable(self, bid: str):
        """The element, scrolled into view, or a fast, explicit failure if something covers it.

        Playwright would wait the full action timeout for a covered element (a modal, a cookie
        banner); checking the hit target first turns a 3 s timeout into an immediate, readable error.
        The same lookup gives the step its target_box (read before the scroll).
        """
        found = self._lookup_present(bid, check=True)
        if found["blocker"]:
            raise RuntimeError(f"element {bid} is not clickable: {found['blocker']}")
        return self._locator(bid)

    def _locator(self, bid: str):
        scope = self.page
        for frame_bid in self._bids[bid]:  # same-origin iframes around the element, outermost first
            scope = scope.frame_locator(f'[data-jamel-bid="{frame_bid}"]')
        return scope.locator(f'[data-jamel-bid="{bid}"]').first  # CSS locators pierce open shadow roots

    def _lookup_present(self, bid: str, check: bool) -> dict[str, Any]:
        # Checked again here: the selectors built from it are only safe for a bid of the strict form.
        if not BID_RE.fullmatch(bid) or bid not in self._bids or self._bids_page is not self.page:
            raise LookupError(f"no element with bid {bid!r} in the current observation")
        found = self._lookup(bid, check)
        if not found["found"]:
            raise LookupError(f"no element with bid {bid!r} on the current page (it is gone since the observation)")
        return found

    def _lookup(self, bid: str, check: bool) -> dict[str, Any]:
        """target.js on the element of a bid: whether it is still there, its box, what covers it (check).
        The box of the step's first lookup of a bid is the one the agent saw (before the action)."""
        found = self._page_call(self.page, "target", {"bid": bid, "frames": self._bids.get(bid, []), "check": check},
                                TARGET_JS)
        self._boxes.setdefault(bid, found["box"])
        return found

    def _page_call(self, page, name: str, args: Any, source: str) -> Any:
        """A function installed in the document by PAGE_JS, called by name; its source only where it is not
        installed (a document the init script has not reached, or one being replaced: Playwright's evaluate
        waits for the new one). An error the function throws is raised as such, not retried from source."""
        call = (f"(() => {{ const fns = window.__jamelPage; if (!fns) return null; "
                f"try {{ return {{value: fns.{name}({json.dumps(args)})}}; }} "
                "catch (e) { return {error: String(e && e.stack || e)}; } })()")
        try:
            out = self._page_eval(page, call)
        except Exception as exc:  # no document to evaluate in (being replaced): the source, in the next one
            if self._browser_dead(exc):
                raise
            out = None
        if out is None:
            return page.evaluate(source, args)
        if "error" in out:
            from playwright.sync_api import Error as PlaywrightError

            raise PlaywrightError(f"{name}.js failed in the page: {out['error']}")
        return out["value"]

    def _page_eval(self, page, expression: str) -> Any:
        """An expression in the page's main world, its (awaited) value returned as JSON. Sent on our own
        CDP session of the page when it has one: half the CPU of `page.evaluate`, which wraps every call
        in Playwright's serializer (one more script compiled, more driver work)."""
        collector = self._collectors.get(page)
        if collector is None:
            return page.evaluate(expression)
        reply = cdp_send(collector.cdp, "Runtime.evaluate",
                         {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            from playwright.sync_api import Error as PlaywrightError

            details = reply["exceptionDetails"]
            raise PlaywrightError((details.get("exception") or {}).get("description") or details.get("text", "error"))
        return reply["result"].get("value")

    def _target_box(self, a: Action) -> list[float]:
        """Where the action's element was on the screenshot the agent acted on ([] if none or not found),
        from the lookup the action made of it before acting (element(), reachable())."""
        bid = a.args.get("bid") or a.args.get("from_bid")
        return [round(float(v), 1) for v in self._boxes.get(str(bid), [])] if bid else []

    def close_tab(self) -> None:
        if len(self.pages) == 1:
            raise ValueError("cannot close the last open page")
        page = self.pages.pop(self.active)
        self._collectors.pop(page, None)
        page.close()
        self.active = max(0, self.active - 1)

    def focus_tab(self, index: int) -> None:
        if not 0 <= index < len(self.pages):
            raise IndexError(f"tab index {index} out of range (0..{len(self.pages) - 1})")
        self.active = index
        self.page.bring_to_front()

    def open_tab(self) -> None:
        self._attach(self._context.new_page())
        self.active = len(self.pages) - 1

    def back_to_start(self) -> None:
        """The reset() action: other tabs closed, the first one back on the start page."""
        for page in self.pages[1:]:
            self._collectors.pop(page, None)
            page.close()
        self.pages, self.active = self.pages[:1], 0
        self.navigate(self.pages[0], self.cfg.start_url)

    def upload_paths(self, files: str | list[str]) -> list[str]:
        if not self.cfg.upload_dir:
            raise PermissionError("upload_file is disabled (no upload_dir configured)")
        root = Path(self.cfg.upload_dir).resolve()
        out = []
        for name in [files] if isinstance(files, str) else files:
            path = (root / name).resolve()
            if root not in path.parents or not path.is_file():
                raise PermissionError(f"{name!r} is not a file in the upload folder")
            out.append(str(path))
        return out

    def _browser_dead(self, exc: Exception) -> bool:
        # Only the browser's own state decides: error texts can quote page content (a bid, a label),
        # and a TargetClosedError from a page that closed itself (a popup) is not a crash.
        if self._browser is None or not self._browser.is_connected():
            return True
        proc = self._browser_proc
        try:
            return proc is not None and (not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return True

    # -- observation ------------------------------------------------------------------------------
    def _observe(self) -> Observation:
        page = self.page
        self._bids, self._bids_page, self._boxes = {}, None, {}  # nothing is addressable if the walk fails
        data = json.loads(self._page_call(page, "observe", {"maxNodes": self.cfg.max_dom_nodes,
                                                            "scanLimit": self.cfg.max_scan_nodes}, OBSERVE_JS))
        self._bids, self._bids_page = data["bids"], page
        tree = prune_tree(data["tree"], data["offscreen"], self.cfg.max_tree_chars)
        interactive = [InteractiveElement(e["bid"], e["role"], e["name"], e.get("options", []),
                                          e.get("input_type", "")) for e in data["interactive"]]
        shot, raw = self._screenshot(page)
        return Observation(url=data["url"], title=data["title"], axtree=tree,
                           interactive=interactive[: self.cfg.max_interactive],
                           open_urls=[p.url for p in self.pages], active_tab=self.active,
                           screenshot=shot, screenshot_raw=raw, origin=self._origin)

    def _render_scale(self) -> float:
        """The page's devicePixelRatio: the model image's scale when `scaled_render` (and the image
        has the viewport's aspect ratio and is not larger), else 1."""
        (w, h), (sw, sh) = self.cfg.viewport, self.cfg.screenshot_size
        return sw / w if self.cfg.scaled_render and sw * h == sh * w and sw < w else 1.0

    def _screenshot(self, page) -> tuple[bytes, bytes | None]:
        """The model image (the 1280x720 viewport at 640x360), rendered by Chromium at that size.

        With `scaled_render` the page is drawn at devicePixelRatio 0.5, so a plain capture of the
        viewport is the image. Otherwise CDP's captureScreenshot with a clip at scale 0.5 re-renders the
        viewport at that scale for each capture (docs/environment.md)."""
        (w, h), (sw, sh) = self.cfg.viewport, self.cfg.screenshot_size
        collector = self._collectors.get(page)
        fmt = self.cfg.screenshot_format
        raw = None
        if self.cfg.raw_screenshot:  # CSS pixels: 1280x720 at any devicePixelRatio
            raw = page.screenshot(type="png", scale="css", timeout=self.cfg.action_timeout_ms)
        if collector is None or sw * h != sh * w:  # no CDP session on this page, or another aspect ratio
            full = raw or page.screenshot(type="png", scale="css", timeout=self.cfg.action_timeout_ms)
            img = Image.open(io.BytesIO(full)).convert("RGB").resize((sw, sh), Image.BILINEAR)
            buf = io.BytesIO()
            if fmt == "jpeg":
                img.save(buf, format="JPEG", quality=90)
            else:
                img.save(buf, format="PNG", optimize=False, compress_level=1)
            return buf.getvalue(), raw
        params: dict[str, Any] = {"format": fmt, "optimizeForSpeed": True, "captureBeyondViewport": False}
        if fmt == "jpeg":
            params["quality"] = 90
        if self._render_scale() == 1 and sw != w:
            # The clip is in document coordinates: offset it by the scroll position to get the viewport.
            vv = cdp_send(collector.cdp, "Page.getLayoutMetrics")["cssVisualViewport"]
            params["clip"] = {"x": vv["pageX"], "y": vv["pageY"], "width": w, "height": h, "scale": sw / w}
        return base64.b64decode(cdp_send(collector.cdp, "Page.captureScreenshot", params)["data"]), raw


class RecordEnv(BrowserEnv):
    """BrowserEnv whose observations are `jamel.schemas.Observation` records (screenshot as PNG/JPEG
    bytes, the tree and element list as text): what agents, the rollout loops and the step records use."""

    def _present(self, obs: Observation) -> Observation:
        self.observation = obs
        return obs


def _reached_page(exc: Exception) -> bool:
    """Whether a failed action may have reached the page. Our own refusals (no such element, a
    covered element, a refused URL or file, a bad tab index) are raised before anything is
    dispatched; only Playwright's errors come from the browser side."""
    from playwright.sync_api import Error as PlaywrightError

    return isinstance(exc, PlaywrightError)


def prune_tree(tree: str, offscreen: str, max_chars: int) -> str:
    """The tree text within max_chars: lines of on-screen elements first, then off-screen ones
    (`offscreen[i] == "1"` for line i), each group as a document-order prefix; the kept lines stay in
    document order."""
    if len(tree) <= max_chars:
        return tree
    lines = tree.split("\n")
    marker = "[... truncated]"
    budget, keep = max_chars - len(marker) - 1, []
    on = [i for i in range(len(lines)) if offscreen[i:i + 1] != "1"]
    off = [i for i in range(len(lines)) if offscreen[i:i + 1] == "1"]
    for group in (on, off):
        for i in group:
            if budget < len(lines[i]) + 1:
                break
            budget -= len(lines[i]) + 1
            keep.append(i)
    return "\n".join([lines[i] for i in sorted(keep)] + [marker])


def _short(exc: Exception, n: int = 300) -> str:
    return str(exc).strip().split("\n")[0][:n]
