"""core/loopthread.py: SNMP work on an event loop of its own, awaited from the app's loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tonertrack_tui.core.polling.loopthread import LoopThread


@pytest.fixture
def thread():
    t = LoopThread(name="test-snmp")
    yield t
    t.close()


async def test_work_runs_on_the_other_thread_and_returns_its_value(thread):
    async def where() -> tuple[int, asyncio.AbstractEventLoop]:
        await asyncio.sleep(0)
        return threading.get_ident(), asyncio.get_running_loop()

    ident, loop = await thread.run(where())
    assert ident != threading.get_ident()
    assert loop is thread.loop and loop is not asyncio.get_running_loop()
    assert thread.on_thread() is False


async def test_exceptions_come_back_to_the_caller(thread):
    async def fail() -> None:
        raise ValueError("bad printer")

    with pytest.raises(ValueError, match="bad printer"):
        await thread.run(fail())


async def test_the_caller_loop_keeps_running_while_work_blocks_the_other_loop(thread):
    # counted, not timed: the work blocks its own loop until our loop has ticked 10 times
    ticks = 0
    ticked = threading.Event()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1
            if ticks >= 10:
                ticked.set()

    async def busy() -> str:
        # blocks its own loop, not ours (bounded: a blocked caller loop would never tick)
        return "done" if ticked.wait(60) else "the caller's loop did not run"

    task = asyncio.ensure_future(ticker())
    try:
        assert await thread.run(busy()) == "done"
    finally:
        task.cancel()
    assert ticks >= 10


async def test_cancelling_the_caller_cancels_the_work_and_waits_for_its_cleanup(thread):
    started, cleaned = asyncio.Event(), []
    caller_loop = asyncio.get_running_loop()

    async def long_poll() -> None:
        caller_loop.call_soon_threadsafe(started.set)
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0.1)  # a cancelled fleet poll still saves what it polled
            cleaned.append(threading.get_ident())

    task = asyncio.ensure_future(thread.run(long_poll()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned and cleaned[0] != threading.get_ident()  # finished before run() re-raised


def test_close_cancels_what_runs_and_calls_cleanup_on_the_thread():
    t = LoopThread()
    seen = []
    stopped = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()

    asyncio.run_coroutine_threadsafe(forever(), t.loop)
    t.close(cleanup=lambda: seen.append(threading.get_ident()))
    assert stopped.is_set()
    assert seen and seen[0] != threading.get_ident()
    t.close()  # twice is harmless
