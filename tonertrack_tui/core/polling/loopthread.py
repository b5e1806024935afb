"""An asyncio event loop on a thread of its own, for the SNMP work of an interactive app.

A poll of 1,000 printers decodes thousands of replies; on the event loop that also draws
the screen, a burst of replies arriving together is decoded in one loop iteration and
the screen freezes for its duration (200+ ms measured with `benchmarks/tui_scale.py`).
On a loop of its own the decoding still shares the GIL, but Python hands the GIL over
every few milliseconds, so the drawing loop waits milliseconds, not a burst.

Everything that touches the SNMP client and the per-printer caches must run here, on the
one loop they belong to: `await thread.run(coro)` from the caller's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")

_CLOSE_WAIT_S = 10.0  # at exit, how long a cancelled poll may take to save what it polled


class LoopThread:
    def __init__(self, name: str = "tonertrack-snmp") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                ready = threading.Event()
                self._thread = threading.Thread(target=self._main, args=(ready,), name=self.name, daemon=True)
                self._thread.start()
                ready.wait()
            assert self._loop is not None
            return self._loop

    def _main(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def on_thread(self) -> bool:
        return self._thread is not None and threading.get_ident() == self._thread.ident

    async def run(self, work: Awaitable[T]) -> T:
        """Run `work` on this thread's loop and wait for it without blocking the caller's loop.

        Cancelling the caller cancels `work` there and waits until it has finished (a fleet
        poll saves what it polled when cancelled) before re-raising."""
        caller = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = caller.create_future()
        started: list[asyncio.Future[T]] = []

        def deliver(task: asyncio.Future[T]) -> None:
            if outcome.done():
                return
            if task.cancelled():
                outcome.cancel()
            elif (exc := task.exception()) is not None:
                outcome.set_exception(exc)
            else:
                outcome.set_result(task.result())

        def finished(task: asyncio.Future[T]) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop is gone already
                caller.call_soon_threadsafe(deliver, task)

        def start() -> None:
            task = asyncio.ensure_future(work)
            started.append(task)
            task.add_done_callback(finished)

        loop = self.loop
        loop.call_soon_threadsafe(start)
        try:
            return await asyncio.shield(outcome)
        except asyncio.CancelledError:
            if not outcome.done():
                # runs after start(): callbacks from one thread keep their order
                loop.call_soon_threadsafe(lambda: started and started[0].cancel())
                with contextlib.suppress(BaseException):
                    await outcome
            raise

    def close(self, cleanup: Any = None) -> None:
        """Cancel what still runs, let it finish, call `cleanup()` there, stop the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=_CLOSE_WAIT_S)
            if cleanup is not None:
                cleanup()

        if thread.is_alive():
            done = asyncio.run_coroutine_threadsafe(shutdown(), loop)
            with contextlib.suppress(Exception):
                done.result(timeout=_CLOSE_WAIT_S + 2)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
