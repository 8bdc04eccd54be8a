"""One pool of warm session workers for exploration, evaluation and (RL) rollouts.

A `SessionWorker` owns a static server for the corpus, one `BrowserEnv` (one Chromium, one coverage
scoring worker) and one agent, all started once and reused for every session it runs; each session
gets a fresh browser context (`BrowserEnv.retarget` + `reset`), so sessions share no browser state.
A `SessionPool` spreads `SessionTask`s over N such workers and yields each task's summary (or its
error) as it finishes. Backends:

- "local": N processes (concurrent.futures) forked from a forkserver that imported what a worker needs
  once (`worker_context`); with N = 1 the worker runs in this process.
  A worker process that dies takes the pool with it: the pool is rebuilt and unfinished sessions are
  redone from their first step; only the session whose process died uses one of its `max_retries`.
- "ray": N Ray actors (GPU fractions, multi-node clusters); Ray restarts a dead actor and retries
  its session (`max_retries`).

Sessions are seeded per task (`session_seed`), so results do not depend on the number of workers or
on which worker ran which session.
"""
from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any, Callable, Iterator

log = logging.getLogger(__name__)


@dataclass
class WorkerSpec:
    """What every worker of a pool is built from (picklable: it crosses process boundaries)."""

    corpus: str
    agent: str
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)  # EnvConfig fields other than start_url


@dataclass
class SessionTask:
    app: str
    index: int  # session k of this app
    seed: int
    steps: int
    session_dir: str
    session_id: str
    record_takes: bool = True
    html_report: bool = True
    episode_steps: int = 0
    agent_options: dict[str, Any] = field(default_factory=dict)  # per-session agent settings (RL: sampling)


@dataclass
class StepTick:
    """Progress of one step, sent from a worker to the pool's caller."""

    session_id: str
    step: int
    reward: int
    coverage: int


@dataclass
class SessionStart:
    """A worker process began a session (so a dead process is charged only with its own session)."""

    session_id: str
    pid: int


@dataclass
class SessionResult:
    task: SessionTask
    summary: dict[str, Any] | None = None
    error: BaseException | None = None


@dataclass
class SessionDone:
    """A worker process finished a session (sent at once, so a later death of the process keeps it)."""

    result: SessionResult


SESSION_END_IMPORTS = ("pyarrow.parquet", "matplotlib.figure", "matplotlib.backends.backend_agg")


def _import_quietly(names) -> None:
    for name in names:
        with contextlib.suppress(Exception):  # not installed: the session end says so itself
            importlib.import_module(name)


class SessionWorker:
    """Warm: the server, browser, scorers and agents live as long as the worker.

    ``slots`` sessions run at once, interleaved in this thread (`jamel.env.sessions`): they share one
    Playwright driver and one browser (a context each); each slot has its own env (scorer) and agent."""

    def __init__(self, spec: WorkerSpec, slots: int = 1):
        from jamel.env.browser import BrowserHost
        from jamel.env.server import CorpusServer

        self.spec, self.slots = spec, max(1, slots)
        # What a session's end imports (its parquet, its reward curve: ~1.7 s of CPU), imported while the
        # browser starts instead of at the first session's end, where it would hold every interleaved
        # session of this thread for that long. Forked workers have them from the forkserver already.
        threading.Thread(target=_import_quietly, args=(SESSION_END_IMPORTS,), daemon=True,
                         name="jamel-preload").start()
        self.server = CorpusServer(spec.corpus)  # port 0: a free port per worker
        self.host = BrowserHost()
        self.envs: list[Any] = [None] * self.slots
        self.agents: list[Any] = [None] * self.slots
        self.sessions = 0

    @property
    def agent(self):  # the first slot's agent (one-slot workers)
        return self.agents[0]

    def run(self, task: SessionTask, on_step: Callable[[StepTick], None] | None = None, slot: int = 0
            ) -> dict[str, Any]:
        from jamel.agents import build_agent
        from jamel.env.browser import RecordEnv, EnvConfig
        from jamel.rollout.explore import run_session

        url = self.server.url_for(task.app)
        env = self.envs[slot]
        if env is None:
            env = self.envs[slot] = RecordEnv(EnvConfig(start_url=url, corpus_url=self.server.base_url + "/",
                                                        **self.spec.env),
                                              browser=self.host if self.slots > 1 else None)
        else:
            env.retarget(url)
        if self.agents[slot] is None:
            self.agents[slot] = build_agent(self.spec.agent, **self.spec.agent_kwargs)
        agent = self.agents[slot]
        if task.agent_options:
            agent.set_options(**task.agent_options)
        started = time.time()
        tick = None
        if on_step is not None:
            tick = lambda rec: on_step(StepTick(task.session_id, rec.step, rec.reward, rec.coverage))  # noqa: E731
        summary = run_session(env, agent, task.app, Path(task.session_dir), task.seed, task.steps,
                              session_id=task.session_id, on_step=tick, record_takes=task.record_takes,
                              html_report=task.html_report, episode_steps=task.episode_steps)
        self.sessions += 1
        summary["worker"] = {"pid": os.getpid(), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES", ""),
                             "wall_s": round(time.time() - started, 1), "warm_sessions": self.sessions - 1}
        if hasattr(agent, "session_payload"):  # RL: the step samples (not written to summary.json)
            summary["payload"] = agent.session_payload()
        return summary

    def run_many(self, tasks: list[SessionTask], on_step: Callable[[Any], None] | None = None,
                 on_start: Callable[[SessionTask], None] | None = None,
                 on_result: Callable[[SessionResult], None] | None = None, slots: int | None = None,
                 stop: Callable[[], bool] | None = None) -> list[SessionResult]:
        """``tasks`` on ``slots`` (default: all) of this worker's slots, each slot taking the next task when
        its session ends; the results in task order (a session that raised has its error; one never begun
        because ``stop()`` said so is missing), each also to ``on_result`` when in."""
        from jamel.env.browser import _PLAYWRIGHT
        from jamel.env.sessions import run_interleaved

        queue, results = list(tasks), {}

        def slot_loop(slot: int) -> None:
            while queue and not (stop is not None and stop()):
                task = queue.pop(0)
                if on_start is not None:
                    on_start(task)
                try:
                    results[id(task)] = SessionResult(task, summary=self.run(task, on_step, slot))
                except Exception as exc:
                    results[id(task)] = SessionResult(task, error=exc)
                if on_result is not None:
                    on_result(results[id(task)])

        n = min(slots or self.slots, self.slots, len(tasks))
        driver = _PLAYWRIGHT.acquire()  # held across the jobs: one driver for every slot's env
        try:
            for out in run_interleaved(driver, [lambda k=k: slot_loop(k) for k in range(n)]):
                if isinstance(out, BaseException):
                    raise out
        finally:
            _PLAYWRIGHT.release()
        return [results[id(t)] for t in tasks if id(t) in results]

    def close(self) -> None:
        for env in self.envs:
            if env is not None:
                env.close()
        self.envs = [None] * self.slots
        self.host.discard()
        self.server.close()


# -- local processes ------------------------------------------------------------------------------
_WORKER: SessionWorker | None = None
_TICKS: Any = None
_STOP: Any = None  # a multiprocessing Event: the pool is closing, begin no more sessions


def _init_process(spec: WorkerSpec, slots: int, ticks: Any, stop: Any, log_level: int,
                  environ: dict[str, str] | None = None) -> None:
    global _WORKER, _TICKS, _STOP
    if environ is not None:  # the caller's environment now, not the forkserver's from when it started
        os.environ.clear()
        os.environ.update(environ)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _WORKER, _TICKS, _STOP = SessionWorker(spec, slots), ticks, stop
    # pool processes end through os._exit: atexit would not run, multiprocessing's finalizers do
    Finalize(_WORKER, _WORKER.close, exitpriority=10)


def _run_batch_in_process(tasks: list[SessionTask], slots: int) -> None:
    """The sessions of one worker process, ``slots`` at a time; each result goes back through the tick
    queue as it is in."""
    assert _WORKER is not None and _TICKS is not None
    pid = os.getpid()

    def driver_died() -> None:
        from jamel.env.browser import _PLAYWRIGHT

        if _PLAYWRIGHT.driver is not None and _PLAYWRIGHT.driver._dispatcher_fiber.dead:
            # Playwright's driver died under the sessions: nothing in this process can drive a browser
            # again, so the process ends and the pool redoes its unfinished sessions (as for any dead worker).
            log.error("the Playwright driver of worker process %d died; ending the process", pid)
            os._exit(70)

    def send(result: SessionResult) -> None:
        if result.error is not None:
            driver_died()  # a session failed by it is redone, not reported
            try:  # the parent must be able to rebuild it (else its text goes instead)
                pickle.loads(pickle.dumps(result.error))
            except Exception:
                result = SessionResult(result.task, error=RuntimeError(f"{type(result.error).__name__}: "
                                                                       f"{result.error}"))
        _TICKS.put(SessionDone(result))

    try:
        _WORKER.run_many(tasks, on_step=_TICKS.put, on_start=lambda t: _TICKS.put(SessionStart(t.session_id, pid)),
                         on_result=send, slots=slots, stop=_STOP.is_set if _STOP is not None else None)
    except BaseException:
        driver_died()
        raise


# What a worker process imports before it runs a session. Worker processes are forked from a forkserver
# that has imported these once (a fresh process that has started no driver, browser or thread), so N
# workers share one ~2.5 s CPU import instead of each paying it: jamel and gymnasium, Playwright's API
# (0.5 s), pyarrow and pandas (pyarrow imports pandas on its first array), matplotlib (reward_curve.png)
# and the launching script (what spawn re-runs in every child). A module that is not installed is skipped.
WORKER_PRELOAD = ["__main__", "jamel.rollout.pool", "jamel.rollout.explore", "jamel.env.browser", "jamel.env.server",
                  "jamel.agents.baselines", "playwright.sync_api", "pyarrow.parquet", "pandas", "matplotlib.figure",
                  "matplotlib.backends.backend_agg"]


_FORKSERVER_LOCK = threading.Lock()


def worker_context():
    """The multiprocessing context of local worker processes: forkserver with WORKER_PRELOAD (spawn
    where there is no forkserver). Neither copies this process's Playwright driver or threads."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    from multiprocessing import forkserver

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)
    # Python 3.11's forkserver is handed this process's sys.path but does not apply it before the preload:
    # it would import jamel from its default path (an installed copy, not this checkout). Start it with our
    # sys.path as PYTHONPATH (the workers fork from it; this process's environment is left as it was).
    # Workers forked from it get this process's environment at pool start (_init_process), not this one.
    with _FORKSERVER_LOCK:  # os.environ is process-wide: one start at a time
        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            forkserver.ensure_running()
        finally:
            if old is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = old
    return ctx


def default_workers(n_tasks: int, per_core: int = 1) -> int:
    """``per_core`` workers per core the process may use, no more than there are sessions."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(n_tasks, per_core * cores))


class SessionPool:
    """``workers`` sessions at once. Local backend: ``sessions_per_process`` of them interleaved in each
    worker process (one driver and one browser per process); when one process holds them all, they run
    in this process. Ray backend: one session per actor."""

    def __init__(self, spec: WorkerSpec, workers: int, backend: str = "local", max_retries: int = 2,
                 ray_resources: dict[str, Any] | None = None, sessions_per_process: int = 1):
        if workers < 1 or sessions_per_process < 1:
            raise ValueError("workers and sessions_per_process must be >= 1")
        if backend not in ("local", "ray"):
            raise ValueError(f"unknown pool backend {backend!r}; choose local or ray")
        self.spec, self.workers, self.backend, self.max_retries = spec, workers, backend, max_retries
        self.processes = -(-workers // sessions_per_process)
        # workers dealt over the processes: no process runs more than its share (6 over 2: 3 and 3)
        self.process_slots = [workers // self.processes + (i < workers % self.processes)
                              for i in range(self.processes)]
        self.slots = self.process_slots[0]
        self.ray_resources = ray_resources or {"num_cpus": 1}
        self._inline: SessionWorker | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._ticks: Any = None
        self._stop: Any = None
        self._started: dict[str, int] = {}  # session id -> the worker process that began it (this round)
        self._done: dict[str, SessionResult] = {}  # session id -> its result, sent by a worker process
        self._actors: list[Any] = []
        self._idle: Any = None  # asyncio.Queue of idle actors (run_async)

    # The pool stays warm between run() calls (RL: one batch of rollouts after another).
    def run(self, tasks: list[SessionTask], on_step: Callable[[StepTick], None] | None = None
            ) -> Iterator[SessionResult]:
        if not tasks:
            return iter(())
        if self.backend == "ray":
            return self._run_ray(tasks)
        if self.processes == 1:
            return self._run_inline(tasks, on_step)
        return self._run_processes(tasks, on_step)

    def _run_inline(self, tasks, on_step) -> Iterator[SessionResult]:
        if self._inline is None:
            self._inline = SessionWorker(self.spec, self.slots)
        if self.slots > 1:  # interleaved: the results are in when the last session ends
            yield from self._inline.run_many(tasks, on_step)
            return
        for task in tasks:
            try:
                yield SessionResult(task, summary=self._inline.run(task, on_step))
            except Exception as exc:
                yield SessionResult(task, error=exc)

    def _start_processes(self) -> None:
        ctx = worker_context()
        # SimpleQueue: a put is written before the worker goes on (a Queue's feeder thread could still hold
        # a SessionStart when the process dies, and the dead session would not be charged)
        self._ticks = ctx.SimpleQueue()
        self._stop = ctx.Event()
        self._executor = ProcessPoolExecutor(max_workers=self.processes, mp_context=ctx, initializer=_init_process,
                                             initargs=(self.spec, self.slots, self._ticks, self._stop,
                                                       logging.getLogger().level, dict(os.environ)))

    def _run_processes(self, tasks, on_step) -> Iterator[SessionResult]:
        attempts = {id(t): 0 for t in tasks}
        todo = list(tasks)
        while todo:
            if self._executor is None:
                self._start_processes()
            self._started, self._done = {}, {}
            # One batch per process, dealt round-robin: a process runs its batch on its slots.
            batches = [(todo[i::self.processes], self.process_slots[i]) for i in range(self.processes)
                       if todo[i::self.processes]]
            futures: dict[Future, list[SessionTask]] = {self._executor.submit(_run_batch_in_process, b, n): b
                                                        for b, n in batches}
            todo = []
            pending = set(futures)
            broken = False
            crashed: set[int] | None = None
            charged = False
            finished: set[str] = set()
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                self._drain_ticks(on_step)
                for sid in list(self._done):  # each result as it is in (it is kept if its process dies later)
                    finished.add(sid)
                    yield self._done.pop(sid)
                for fut in done:
                    exc = fut.exception()
                    for task in futures[fut]:
                        if task.session_id in finished:
                            continue
                        if isinstance(exc, BrokenProcessPool):  # a worker process died: redo the session
                            broken = True
                            if crashed is None:
                                crashed = self._crashed_pids()
                            # Every unfinished session fails with the pool, but only the one whose process
                            # died used an attempt (when that process is known; else every session that had
                            # begun).
                            pid = self._started.get(task.session_id)
                            if pid is not None and (not crashed or pid in crashed):
                                attempts[id(task)] += 1
                                charged = True
                            if attempts[id(task)] <= self.max_retries:
                                todo.append(task)
                                continue
                        yield SessionResult(task, error=exc or RuntimeError("its worker process sent no result"))
            self._drain_ticks(on_step)
            if broken and not charged:  # no session known to have died: charge every redone one (progress)
                for task in todo:
                    attempts[id(task)] += 1
                failed = [t for t in todo if attempts[id(t)] > self.max_retries]
                todo = [t for t in todo if attempts[id(t)] <= self.max_retries]
                for task in failed:
                    yield SessionResult(task, error=BrokenProcessPool("its worker process died, every retry"))
            if broken:
                log.warning("a worker process died; restarting the pool for %d session(s)", len(todo))
                self._stop_processes()

    def _drain_ticks(self, on_step) -> None:
        while True:
            try:
                if self._ticks.empty():
                    return
                tick = self._ticks.get()
            except (OSError, ValueError, EOFError):
                return
            if isinstance(tick, SessionStart):
                self._started[tick.session_id] = tick.pid
            elif isinstance(tick, SessionDone):
                self._done[tick.result.task.session_id] = tick.result
            elif on_step is not None:
                on_step(tick)

    def _crashed_pids(self) -> set[int]:
        """Worker processes that died by themselves: the pool terminates the others (SIGTERM) when one dies."""
        procs = getattr(self._executor, "_processes", None) or {}
        return {pid for pid, p in list(procs.items()) if p.exitcode not in (None, -signal.SIGTERM)}

    def _stop_processes(self) -> None:
        if self._executor is not None:
            self._stop.set()  # a process's batch is one call: its sessions not yet begun are dropped
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _actor_cls(self):
        import ray

        return ray.remote(max_restarts=self.max_retries, max_task_retries=self.max_retries,
                          **self.ray_resources)(SessionWorker)

    def _start_actors(self):
        """The pool's actors (as many as it has workers) started; returns their actor class."""
        actor_cls = self._actor_cls()
        while len(self._actors) < self.workers:
            self._actors.append(actor_cls.remote(self.spec))
        return actor_cls

    def _replace_actor(self, actor, actor_cls):
        """A new actor in place of one that is gone for good."""
        self._actors.remove(actor)
        self._actors.append(actor_cls.remote(self.spec))
        return self._actors[-1]

    def _run_ray(self, tasks) -> Iterator[SessionResult]:
        import ray

        actor_cls = self._start_actors()
        idle, todo, running = list(self._actors), list(tasks), {}
        while todo or running:
            while idle and todo:
                actor, task = idle.pop(), todo.pop(0)
                running[actor.run.remote(task)] = (actor, task)
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                actor, task = running.pop(ref)
                try:
                    yield SessionResult(task, summary=ray.get(ref))
                    idle.append(actor)
                except Exception as exc:  # retries used up: report it, replace the actor if it is gone
                    yield SessionResult(task, error=exc)
                    if isinstance(exc, ray.exceptions.RayActorError):
                        actor = self._replace_actor(actor, actor_cls)
                    idle.append(actor)

    async def run_async(self, task: SessionTask) -> SessionResult:
        """One session on an idle Ray actor, for asyncio callers that submit sessions one by one (RL agent
        loops). Ray restarts a dead actor and retries the session (`max_retries`); when that is used up the
        actor is replaced and the session redone from its first step, once more per retry."""
        import ray

        if self.backend != "ray":
            raise ValueError("run_async needs the ray backend")
        if self._idle is None:
            self._idle = asyncio.Queue()
            self._start_actors()
            for actor in self._actors:
                self._idle.put_nowait(actor)
        attempt = 0
        while True:
            actor = await self._idle.get()
            try:
                summary = await actor.run.remote(task)
            except ray.exceptions.RayActorError as exc:  # the worker is gone for good: replace it, redo
                self._idle.put_nowait(self._replace_actor(actor, self._actor_cls()))
                attempt += 1
                log.warning("session %s lost its worker (%s); redoing it (%d/%d)", task.session_id, exc, attempt,
                            self.max_retries)
                if attempt > self.max_retries:
                    return SessionResult(task, error=exc)
                continue
            except Exception as exc:
                self._idle.put_nowait(actor)
                return SessionResult(task, error=exc)
            self._idle.put_nowait(actor)
            return SessionResult(task, summary=summary)

    def close(self) -> None:
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        self._stop_processes()
        if self._actors:
            import ray

            for actor in self._actors:
                with contextlib.suppress(Exception):
                    ray.get(actor.close.remote(), timeout=60)
                    ray.kill(actor, no_restart=True)
            self._actors = []
            self._idle = None

    def __enter__(self) -> "SessionPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
