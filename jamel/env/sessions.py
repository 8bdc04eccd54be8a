"""Several sessions in one thread, interleaved: one Playwright driver, one browser (`BrowserHost`), a
browser context per session.

A session spends most of a step waiting: on the page (the settle, a screenshot) or on its scorer.
Playwright's sync API waits by switching to its dispatcher greenlet, which runs the event loop until the
awaited reply is in. `run_interleaved` runs each job in a greenlet of its own on that loop, so while one
session waits, the others go on; `wait` gives the scorer's futures the same kind of wait. N sessions then
cost one Python process, one driver and one browser process instead of N of each (on 2 cores, 4 such
sessions ran the 8 demo apps x 30 steps in 19.9-22.7 s, 2.22-2.45x one session's time; docs/environment.md).

This uses two attributes of Playwright's sync API that are not public (`_loop`, `_dispatcher_fiber`) and
its `wait_for_future`; the Playwright version is pinned (uv.lock) and tests/test_pool.py exercises it.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any, Callable

import greenlet


class SessionGreenlet(greenlet.greenlet):
    """A job of `run_interleaved`: knows the loop and dispatcher it waits through."""

    def __init__(self, run: Callable[[], None], loop: asyncio.AbstractEventLoop, dispatcher: greenlet.greenlet):
        super().__init__(run)
        self.loop, self.dispatcher = loop, dispatcher


def _waiter():
    from playwright._impl._greenlets import wait_for_future

    return wait_for_future


def run_interleaved(driver: Any, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Runs ``jobs`` at once on the Playwright ``driver`` of this thread (a started sync_playwright()),
    each in its own greenlet; returns their results in order, an exception in place of a job that raised.
    A job that never waits on the browser or on `wait` runs to its end before the next one starts.
    A KeyboardInterrupt or SystemExit in any job (or in the wait) ends the other jobs (GreenletExit)
    and is raised here."""
    if len(jobs) == 1:  # nothing to interleave with
        try:
            return [jobs[0]()]
        except Exception as exc:
            return [exc]
    loop, dispatcher = driver._loop, driver._dispatcher_fiber
    results: list[Any] = [None] * len(jobs)
    left = [len(jobs)]
    finished = loop.create_future()  # all jobs ended, or one ended with a fatal error
    live: list[SessionGreenlet] = []
    aborted = [False]

    def body(i: int) -> None:
        # Nothing may escape a job's greenlet: its parent is the dispatcher, which would die of it.
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # noqa: BLE001  (handed back to the caller, raised there if fatal)
            results[i] = exc
            if not isinstance(exc, (Exception, greenlet.GreenletExit)):
                aborted[0] = True
        left[0] -= 1
        if (left[0] == 0 or aborted[0]) and not finished.done():
            finished.set_result(None)

    def start(i: int) -> None:
        if aborted[0]:
            results[i] = greenlet.GreenletExit()
            left[0] -= 1
            return
        g = SessionGreenlet(lambda: body(i), loop, dispatcher)
        live.append(g)
        g.switch()

    for i in range(len(jobs)):
        # Started from the loop (a callback), so the job's greenlet has the dispatcher as parent and
        # returns to it when done, as Playwright's own event-handler greenlets do.
        loop.call_soon(start, i)
    try:
        _waiter()(loop, dispatcher, finished)
    finally:
        aborted[0] = True  # jobs not started yet never start
        for g in live:
            if not g.dead:  # ended here, not at a later sync call that would run the loop again
                g.parent = greenlet.getcurrent()
                g.throw(greenlet.GreenletExit)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, (Exception, greenlet.GreenletExit)):
            raise r  # KeyboardInterrupt, SystemExit
    return results


def wait(future: "Future[Any]") -> Any:
    """``future.result()``; inside `run_interleaved` the other sessions run while this one waits."""
    g = greenlet.getcurrent()
    if isinstance(g, SessionGreenlet) and not future.done():
        # A future of the loop's own, so that a waiter that is ended cancels nothing of ``future``.
        ready = g.loop.create_future()
        future.add_done_callback(lambda _: g.loop.call_soon_threadsafe(lambda: ready.done() or ready.set_result(None)))
        _waiter()(g.loop, g.dispatcher, ready)
    return future.result()
