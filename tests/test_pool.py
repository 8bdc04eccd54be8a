"""Parallel sessions: the warm worker pool gives a sequential run's results, and survives a dead worker."""
from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest

from jamel.corpus import load_corpus
from jamel.rollout.explore import ExploreConfig, explore

APPS = ["shop", "settings"]


def steps_of(out, app):
    rows = pq.read_table(out / app / "session_0" / "trajectory.parquet").to_pylist()
    return [(r["step"], r["action"], r["valid"], r["reward"], r["coverage"]) for r in rows]


@pytest.mark.slow
@pytest.mark.browser
def test_parallel_workers_match_a_sequential_run(tmp_path):
    """One worker; two sessions interleaved in this process (one browser); two worker processes with two
    interleaved sessions each: the same steps, rewards and C(t)."""
    corpus = load_corpus(None)
    apps = APPS + ["messenger", "travel"]
    runs = {}
    for workers, per_process in ((1, 0), (2, 0), (4, 2)):
        out = tmp_path / f"w{workers}x{per_process}"
        cfg = ExploreConfig(corpus=str(corpus.root), apps=apps, agent="crawler", steps=6, output=str(out),
                            workers=workers, sessions_per_process=per_process, html_report=False, record_takes=False)
        summary = explore(cfg, corpus, progress=False)
        assert [a["app"] for a in summary["apps"]] == apps
        runs[workers] = {app: steps_of(out, app) for app in apps}
    assert runs[1] == runs[2] == runs[4]
    assert all(len(v) == 6 for v in runs[1].values()) and sum(r[3] for v in runs[1].values() for r in v) > 0


@pytest.mark.slow
@pytest.mark.browser
def test_a_session_that_always_kills_its_worker_fails_alone(tmp_path):
    """Every death of the pool fails all unfinished sessions with it; only the one whose process died uses a
    retry. With no retries at all, the others used to fail at the first death; now they are redone."""
    from jamel.rollout.pool import SessionPool, SessionTask, WorkerSpec

    corpus = load_corpus(None)
    apps = ["shop", "settings", "messenger", "travel"]
    spec = WorkerSpec(corpus=str(corpus.root), agent="eval_agents:CrashOnAppAgent", agent_kwargs={"app": "shop"},
                      env={"settle_ms": 100})
    tasks = [SessionTask(app=a, index=0, seed=i, steps=2, session_dir=str(tmp_path / a), session_id=f"{a}/session_0",
                         record_takes=False, html_report=False) for i, a in enumerate(apps)]
    with SessionPool(spec, workers=2, max_retries=0) as pool:
        results = {r.task.app: r for r in pool.run(tasks)}
    assert sorted(results) == sorted(apps)
    assert results["shop"].error is not None and results["shop"].summary is None
    for app in apps[1:]:
        assert results[app].error is None, (app, results[app].error)
        assert results[app].summary["steps"] == 2


@pytest.mark.slow
@pytest.mark.browser
def test_a_dead_worker_process_is_replaced_and_its_session_redone(tmp_path):
    marker = tmp_path / "crashed_once"
    corpus = load_corpus(None)
    cfg = ExploreConfig(corpus=str(corpus.root), apps=APPS, agent="eval_agents:CrashOnceAgent", steps=3,
                        output=str(tmp_path / "run"), workers=2, html_report=False, record_takes=False,
                        agent_kwargs={"marker": str(marker)})
    summary = explore(cfg, corpus, progress=False)
    crashed_pid = int(marker.read_text())
    assert crashed_pid != os.getpid()  # the session ran (and died) in a worker process
    assert [a["app"] for a in summary["apps"]] == APPS and not (tmp_path / "run" / "failed.json").exists()
    assert all(len(steps_of(tmp_path / "run", app)) == 3 for app in APPS)


def test_cli_settle_and_workers_flags(monkeypatch):
    import jamel.rollout.explore
    from jamel import cli

    seen = []
    monkeypatch.setattr(jamel.rollout.explore, "explore",
                        lambda cfg, corpus, progress=True: seen.append(cfg) or {"apps": [], "mean_cumulative_reward": 0})
    base = ["explore", "--apps", "shop", "--steps", "2", "--output", "/tmp/unused", "--no-progress"]
    cli.main(base)
    cli.main(base + ["--settle-ms", "100", "--workers", "3"])
    cli.main(base + ["--settle-quiet-ms", "80", "--settle-cap-ms", "900"])
    assert (seen[0].settle, seen[0].workers) == ("adaptive", 0)
    assert (seen[1].settle, seen[1].settle_ms, seen[1].workers) == ("fixed", 100, 3)
    assert (seen[2].settle, seen[2].settle_quiet_ms, seen[2].settle_cap_ms) == ("adaptive", 80, 900)


def _loaded(names):
    import sys

    return {n: n in sys.modules for n in names}


@pytest.mark.slow  # starts a forkserver that imports Playwright, pandas, matplotlib (~5 s)
def test_worker_processes_start_with_the_worker_imports_done():
    """Workers are forked from a forkserver that imported Playwright, matplotlib, ... once, instead of each
    spawned worker importing them again (~2.5 s CPU per worker)."""
    from concurrent.futures import ProcessPoolExecutor

    from jamel.rollout.pool import worker_context

    # both are imported lazily (first browser start, first reward curve): only a preload puts them there
    names = ["playwright.sync_api", "matplotlib.figure"]
    with ProcessPoolExecutor(1, mp_context=worker_context()) as ex:
        assert ex.submit(_loaded, names).result() == {n: True for n in names}


@pytest.mark.slow  # starts a forkserver that imports Playwright, pandas, matplotlib (~5 s)
def test_worker_processes_run_this_processs_jamel(tmp_path):
    """The forkserver preloads jamel from this process's sys.path (Python 3.11's forkserver ignores it:
    started from another folder it imported the installed jamel, not the checkout the caller runs)."""
    import subprocess
    import sys
    from pathlib import Path

    import jamel

    here = str(Path(jamel.__file__).resolve().parents[1])
    code = (f"import sys; sys.path.insert(0, {here!r})\n"
            "from concurrent.futures import ProcessPoolExecutor\n"
            "import jamel.rollout.pool as p\n"
            "def where():\n"
            "    return sys.modules['jamel.rollout.pool'].__file__  # preloaded by the forkserver\n"
            "if __name__ == '__main__':\n"
            "    with ProcessPoolExecutor(1, mp_context=p.worker_context()) as ex:\n"
            "        print(ex.submit(where).result())\n")
    (tmp_path / "main.py").write_text(code)
    # "the installed jamel": a decoy on PYTHONPATH, which every fresh interpreter sees (an editable install
    # maps jamel to this checkout anyway, so without a decoy the test could not tell the copies apart)
    decoy = tmp_path / "site"
    (decoy / "jamel" / "rollout").mkdir(parents=True)
    for f in ("jamel/__init__.py", "jamel/rollout/__init__.py", "jamel/rollout/pool.py"):
        (decoy / f).write_text("")
    out = subprocess.run([sys.executable, "main.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(decoy)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == str(Path(here) / "jamel" / "rollout" / "pool.py"), out.stdout


def _environ(name):
    return os.environ.get(name)


@pytest.mark.slow  # starts a forkserver that imports Playwright, pandas, matplotlib (~5 s)
def test_worker_processes_get_the_environment_of_their_pool_start(monkeypatch):
    """Forked from a forkserver started earlier, a worker still sees the caller's environment as it is when
    the pool starts (e.g. JAMEL_CHROMIUM set by the CLI), not the forkserver's."""
    from jamel.rollout.pool import SessionPool, WorkerSpec, worker_context

    worker_context()  # the forkserver is running before the variable is set
    monkeypatch.setenv("JAMEL_POOL_ENV_CHECK", "set-after-the-forkserver")
    pool = SessionPool(WorkerSpec(corpus=str(load_corpus(None).root), agent="random"), workers=2)
    try:
        pool._start_processes()
        assert pool._executor.submit(_environ, "JAMEL_POOL_ENV_CHECK").result(timeout=60) == "set-after-the-forkserver"
        assert pool._executor.submit(_environ, "PYTHONPATH").result(timeout=60) == os.environ.get("PYTHONPATH")
    finally:
        pool.close()


def test_a_session_waiting_on_its_scorer_lets_the_others_run():
    """`sessions.wait` (what a step's scorer result waits through) hands the thread to the other interleaved
    sessions: here the one that completes the awaited future. A plain blocking wait would hold the thread
    until the safety timer gives up (-1)."""
    import threading
    from concurrent.futures import Future

    from jamel.env import sessions
    from jamel.env.browser import _PLAYWRIGHT

    fut, order = Future(), []

    def waiter():
        order.append("wait")
        value = sessions.wait(fut)
        order.append("got")
        return value

    def setter():
        order.append("set")
        fut.set_result(7)
        return "set"

    def fails():
        raise ValueError("a job's error is its result")

    safety = threading.Timer(20, lambda: fut.done() or fut.set_result(-1))
    safety.start()
    driver = _PLAYWRIGHT.acquire()
    try:
        out = sessions.run_interleaved(driver, [waiter, setter, fails])
    finally:
        _PLAYWRIGHT.release()
        safety.cancel()
    assert out[:2] == [7, "set"] and isinstance(out[2], ValueError)
    assert order == ["wait", "set", "got"]


@pytest.mark.browser
def test_interleaved_sessions_share_one_browser_and_a_hang_traps_none(tmp_path):
    """Two sessions in one thread on one browser (a context each). One freezes its renderer: while it waits
    out its step deadline the other keeps stepping; after the browser is killed and relaunched both go on."""
    import time
    from pathlib import Path

    from conftest import bid_of
    from jamel.env.browser import BrowserHost, EnvConfig, RecordEnv, _PLAYWRIGHT
    from jamel.env.server import CorpusServer
    from jamel.env.sessions import run_interleaved

    host = BrowserHost()
    spans: dict[str, list[tuple[float, float, int]]] = {"frozen": [], "busy": []}
    with CorpusServer(Path(__file__).parent / "fixtures" / "hostile") as server:
        envs = {app: RecordEnv(EnvConfig(start_url=server.url_for("frozen"), settle_ms=50, step_timeout_s=4.0),
                               browser=host) for app in spans}

        ended = []

        def session(app: str, actions: list[str]):
            env = envs[app]
            obs, _ = env.reset()
            for label in actions:
                t0 = time.perf_counter()
                obs, r, *_, info = env.step(f"click('{bid_of(obs, label)}')")
                spans[app].append((t0, time.perf_counter(), r if app == "frozen" else info["browser_restarted"]))
                if app == "busy" and ended and len(spans[app]) > 3:
                    break
            ended.append(app)
            return env.restarts

        driver = _PLAYWRIGHT.acquire()
        try:
            out = run_interleaved(driver, [lambda: session("frozen", ["Freeze", "Work"]),
                                           lambda: session("busy", ["Work"] * 1000)])
            assert not any(isinstance(o, BaseException) for o in out), out
            procs = {env._browser_proc.pid for env in envs.values()}
        finally:
            for env in envs.values():
                env.close()
            host.discard()
            _PLAYWRIGHT.release()
    (f0, f1, fr), (w0, w1, wr) = spans["frozen"]
    assert fr == 0 and wr == 1 and f1 - f0 >= 4.0  # the frozen step hit its deadline; the next one worked
    assert len(procs) == 1 and out[0] == 1  # one browser, relaunched once
    during = [s for s in spans["busy"] if f0 < s[0] and s[1] < f0 + 3.5]
    assert len(during) >= 3, spans["busy"]  # the other session stepped while the frozen one waited
    assert out[1] == 1 and sum(s[2] for s in spans["busy"]) == 1  # ...and lost one step to the shared restart


def test_a_fatal_error_in_one_interleaved_session_ends_the_others():
    """Ctrl-C (KeyboardInterrupt) in one session is raised to the caller at once, and the other sessions
    end there (their cleanup runs) instead of going on at the next sync call."""
    from concurrent.futures import Future

    from jamel.env import sessions
    from jamel.env.browser import _PLAYWRIGHT

    cleaned = []

    def waits_forever():
        try:
            sessions.wait(Future())
        finally:
            cleaned.append("waiter")

    def interrupted():
        raise KeyboardInterrupt

    driver = _PLAYWRIGHT.acquire()
    try:
        with pytest.raises(KeyboardInterrupt):
            sessions.run_interleaved(driver, [waits_forever, interrupted, lambda: cleaned.append("never started")])
        assert cleaned == ["waiter"]
        assert sessions.run_interleaved(driver, [lambda: 1, lambda: 2]) == [1, 2]  # the driver still works
    finally:
        _PLAYWRIGHT.release()


def test_workers_are_dealt_over_processes():
    from jamel.rollout.pool import SessionPool, WorkerSpec

    spec = WorkerSpec(corpus=str(load_corpus(None).root), agent="random")
    layouts = {(w, k): (SessionPool(spec, w, sessions_per_process=k).processes,
                        SessionPool(spec, w, sessions_per_process=k).process_slots)
               for w, k in ((4, 4), (6, 4), (5, 4), (3, 1), (1, 4))}
    assert layouts == {(4, 4): (1, [4]), (6, 4): (2, [3, 3]), (5, 4): (2, [3, 2]), (3, 1): (3, [1, 1, 1]),
                       (1, 4): (1, [1])}
