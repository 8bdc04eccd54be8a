"""The persistent novelty reward (PAPER.md eq. 7-8) on top of monocart's Istanbul numbers.

C(t) = covered lines + branches + statements + functions over everything executed at least once in
the session up to step t; r_t = 1 if C(t) > C(t-1) else 0. The union is kept by a long-lived Node
worker (`istanbul_worker.js`) that re-converts only the scripts that ran in this step.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from jamel.corpus import REPO_ROOT  # the checkout, or a wheel's bundled copy of third_party/node
from jamel.coverage.collector import ScriptTake

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


def node_env() -> dict[str, str]:
    env = dict(os.environ)
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
    scoring_ms: float

    @property
    def coverage(self) -> int:
        return self.counts.total


class _NodeWorker:
    """A JSON-lines child process with per-request timeouts (a reader thread, no signals)."""

    def __init__(self, script: Path, timeout_s: float):
        if shutil.which("node") is None:
            raise CoverageToolingError("`node` is not on PATH; the coverage scorer needs Node >= 18")
        self.timeout_s = timeout_s
        self.proc = subprocess.Popen(
            ["node", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", env=node_env(), bufsize=1,
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

    def request(self, msg: dict[str, Any], timeout_s: float | None = None) -> dict[str, Any]:
        try:
            self.proc.stdin.write(json.dumps(msg, separators=(",", ":")) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise CoverageToolingError(f"coverage worker died: {''.join(self._stderr)[-2000:]}") from exc
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

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


COVERAGE_MODES = ("persistent", "merged")


class NoveltyScorer:
    """Session-wide coverage union and the persistent novelty reward.

    `mode` picks the reading of C(t) (both are monocart's Istanbul numbers; see istanbul_worker.js):
    `persistent` (default) counts every entity monocart has reported covered at any step of the
    session, so code pays once, even across reloads; `merged` is monocart's total for the session's
    merged V8 coverage, as the public release computes it, which can drop after a reload.

    The baseline lives for the whole session (across `reset()`); call `clear()` only between
    sessions. If the Node worker dies, it is restarted and the session's takes are replayed, so the
    baseline is never lost.
    """

    def __init__(self, mode: str = "persistent", timeout_s: float = 120.0):
        if mode not in COVERAGE_MODES:
            raise ValueError(f"unknown coverage mode {mode!r}; choose one of {COVERAGE_MODES}")
        self.mode = mode
        self.timeout_s = timeout_s
        self.record_path: Path | None = None  # if set, every add() is appended here (coverage_takes.jsonl)
        self._adds = 0
        self._worker: _NodeWorker | None = None
        self._sent_sources: dict[str, str] = {}  # key -> url used for it
        self._url_keys: dict[str, set[str]] = {}
        self._history: list[dict[str, Any]] = []  # every entry sent, for replay after a crash
        self.counts = CoverageCounts()

    # -- worker lifecycle -------------------------------------------------------------------------
    def _ensure_worker(self) -> _NodeWorker:
        if self._worker is None or self._worker.proc.poll() is not None:
            self._worker = _NodeWorker(WORKER_JS, self.timeout_s)
            if self._history:  # restarted mid-session: rebuild the union
                self._worker.request({"op": "add", "entries": self._history}, timeout_s=self.timeout_s * 4)
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def clear(self) -> None:
        """Start a new session: forget the union and the baseline."""
        self.close()
        self._sent_sources.clear()
        self._url_keys.clear()
        self._history.clear()
        self.counts = CoverageCounts()
        self._adds = 0

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

    def add(self, takes: Iterable[ScriptTake]) -> StepScore:
        """Fold one step's takes into the union; returns C(t) and its change."""
        t0 = time.perf_counter()
        new_urls: dict[str, str] = {}
        entries = [self._entry(t, new_urls) for t in takes]
        if self.record_path is not None:
            # Sources go in once per script (with its first entry), not in every step's file.
            with open(self.record_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"step": self._adds, "entries": entries}, separators=(",", ":")) + "\n")
        self._adds += 1
        if entries:
            try:
                reply = self._ensure_worker().request({"op": "add", "entries": entries})
            except CoverageToolingError as exc:  # worker died or hung: a fresh one replays the session, once
                log.warning("coverage worker failed (%s); restarting it and replaying the session", exc)
                self.close()
                reply = self._ensure_worker().request({"op": "add", "entries": entries})
            self._history.extend(entries)
            self._sent_sources.update(new_urls)  # only once the worker has the sources
            counts = CoverageCounts.from_json(reply["total"][self.mode])
            changed = reply["changed"]
        else:
            counts, changed = self.counts, []
        delta = counts.total - self.counts.total
        self.counts = counts
        return StepScore(counts, delta, changed, (time.perf_counter() - t0) * 1000)

    def write_report(self, out_dir: Path, name: str = "JAMEL session coverage") -> Path | None:
        """monocart's HTML report (and json-summary) of the session's union."""
        reply = self._ensure_worker().request({"op": "report", "dir": str(out_dir), "name": name},
                                              timeout_s=self.timeout_s * 4)
        return Path(reply["reportPath"]) if reply.get("reportPath") else None

    def __enter__(self) -> "NoveltyScorer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def novelty_reward(score: StepScore | None, action_ok: bool) -> int:
    """r_t = 1 iff the step was a valid, successful action and C(t) > C(t-1)."""
    return int(action_ok and score is not None and score.delta > 0)


# -- recorded takes: the session's raw coverage, written once per step ------------------------------
def read_takes(path: Path) -> list[tuple[int, list[ScriptTake]]]:
    """Steps of a `coverage_takes.jsonl` file (sources appear with a key's first entry only)."""
    steps = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                steps.append((int(d["step"]), [ScriptTake(e["key"], e["url"], e["functions"], e.get("source"))
                                                for e in d["entries"]]))
    return steps


def replay_fast(path: Path, mode: str = "persistent") -> list[tuple[int, StepScore]]:
    """C(t) for every recorded step with the incremental engine."""
    with NoveltyScorer(mode=mode) as scorer:
        return [(step, scorer.add(takes)) for step, takes in read_takes(path)]


def replay_reference(path: Path, upto: int | None = None, timeout_s: float = 1800) -> list[dict[str, Any]]:
    """C(t) from monocart converting all takes of steps 1..t from scratch (release-style)."""
    cmd = ["node", str(REFERENCE_JS), str(path)] + (["--upto", str(upto)] if upto is not None else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=node_env(), timeout=timeout_s)
    if out.returncode != 0:
        raise CoverageToolingError(f"reference scorer failed: {out.stderr[-2000:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
