"""Several sessions in one thread, interleaved: one Playwright driver, one browser (`BrowserHost`), a
browser context per session.

A session spends most of a step waiting: on the page (the settle, a screenshot) or on its scorer.
Playwright's sync API waits by switching to its dispatcher greenlet, which runs the event loop until the
awaited reply is in. `run_interleaved` runs each job in a greenlet of its own on that loop, so while one
session waits, the others go on; `wait` gives the scorer's futures the same kind of wait. N sessions then
cost one Python process, one driver and one browser process instead of N of each (on 2 cores, 4 such
sessions ran the demo panel in 19-23 s where 4 worker processes took 23-26 s; docs/environment.md).

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
    A job that never waits on the browser or on `wait` runs to its end before the next one starts."""
    if len(jobs) == 1:  # nothing to interleave with
        try:
            return [jobs[0]()]
        except Exception as exc:
            return [exc]
    loop, dispatcher = driver._loop, driver._dispatcher_fiber
    futures: list[asyncio.Future] = []
    for job in jobs:
        fut = loop.create_future()
        futures.append(fut)

        def body(job=job, fut=fut) -> None:
            # Nothing may escape a job's greenlet: its parent is the dispatcher, which would die of it.
            try:
                result = job()
            except BaseException as exc:  # noqa: BLE001  (handed back to the caller, raised there if fatal)
                if not fut.done():
                    fut.set_result(exc)
                return
            if not fut.done():
                fut.set_result(result)

        # Started from the loop (a callback), so the job's greenlet has the dispatcher as parent and
        # returns to it when done, as Playwright's own event-handler greenlets do.
        loop.call_soon(lambda body=body: SessionGreenlet(body, loop, dispatcher).switch())
    _waiter()(loop, dispatcher, asyncio.gather(*futures))
    results = [f.result() for f in futures]
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, Exception):  # KeyboardInterrupt, SystemExit
            raise r
    return results


def wait(future: "Future[Any]") -> Any:
    """``future.result()``; inside `run_interleaved` the other sessions run while this one waits."""
    g = greenlet.getcurrent()
    if isinstance(g, SessionGreenlet) and not future.done():
        _waiter()(g.loop, g.dispatcher, asyncio.wrap_future(future, loop=g.loop))
    return future.result()
