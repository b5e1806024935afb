"""Poll the whole inventory: concurrently, bounded, saved in batches, one poller per data dir.

`FleetPoller.poll_all()` takes the fleet-poll lock (`poll.lock` in the data dir, an
flock held for the whole run, with who/when written inside). A second poll-all — a
cron job beside an open TUI, or a second admin — finds it held and either waits for it
to finish (`wait=True`) or gets `FleetPollBusy` saying who holds it; either way the
same printers are never polled twice at the same time.

Results are written to printers.json in batches (one transaction every
`FLUSH_INTERVAL_S`, not one per printer) and to history; offline counting and stale
marking happen in the store transaction (core/store.py).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..inventory.history import History, sample_from_poll
from ..inventory.printer import Printer
from ..printer.collect import TargetCache
from ..printer.model import PollResult
from ..printer.status import Thresholds
from ..snmp.client import SnmpClient
from ..snmp.credentials import SnmpSettings
from ..util.fsutil import ensure_private_dir, os_user
from .poller import poll_one, utc_now_iso

POLL_LOCK_FILE = "poll.lock"
SUSPECT_LANE = 256  # printers that failed last time: they mostly wait, they cost no CPU
FLUSH_INTERVAL_S = 2.0
FLUSH_SECONDS_PER_100 = 1.0  # a save re-reads and rewrites the whole file: big fleets save less often

ResultCallback = Callable[[Printer, PollResult], None]  # (printer, result) per printer
ProgressCallback = Callable[[int, int, str], None]  # (done, total, address)


class FixedLimit:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def congested(self) -> None:
        pass

    def answered(self, result: PollResult) -> None:
        pass


class AdaptiveLimit:
    """How many polls may be in flight: grows while replies come fast, halves on a timeout.

    Too many requests in flight saturate the event loop (or a small agent host, or a
    slow link) and replies then miss their timeout: a false "Offline". The configured
    concurrency is the ceiling, not the starting point.
    """

    def __init__(self, maximum: int, timeout_s: float, start: int = 16) -> None:
        self.maximum = max(1, maximum)
        self._limit = float(min(self.maximum, start))
        self.slow_ms = timeout_s * 1000 * 0.3

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    def congested(self) -> None:
        self._limit = max(2.0, self._limit * 0.5)

    def answered(self, result: PollResult) -> None:
        rtt = result.duration_ms / max(1, result.requests)
        if rtt > self.slow_ms:
            self._limit = max(2.0, self._limit * 0.9)
        else:
            self._limit = min(float(self.maximum), self._limit + 0.5)


class FleetPollBusy(Exception):
    def __init__(self, holder: dict[str, Any]):
        self.holder = holder
        super().__init__(describe_holder(holder))


def describe_holder(holder: dict[str, Any]) -> str:
    who = holder.get("user") or "someone"
    pid = holder.get("pid")
    where = holder.get("host")
    since = holder.get("started") or "?"
    what = holder.get("by") or "tonertrack"
    host = f" on {where}" if where and where != socket.gethostname() else ""
    return f"the fleet is being polled by {who} ({what}, pid {pid}{host}) since {since}"


class FleetLock:
    """An exclusive, non-blocking flock on <data dir>/poll.lock; released on close or process exit."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / POLL_LOCK_FILE
        self._fd: int | None = None

    def try_acquire(self, by: str) -> bool:
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        info = {"pid": os.getpid(), "user": os_user(), "host": socket.gethostname(),
                "started": utc_now_iso(), "by": by}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        return True

    def holder(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text("utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def is_held_elsewhere(self) -> bool:
        if self._fd is not None:
            return False
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)


@dataclass(slots=True)
class FleetPollSummary:
    total: int = 0
    done: int = 0
    reachable: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    started_at: str = ""
    duration_s: float = 0.0
    cancelled: bool = False
    results: list[tuple[str, PollResult]] = field(default_factory=list)  # (printer id, result)



class FleetPoller:
    """Owns the process's SNMP client and the per-printer caches. Use from one event loop."""

    def __init__(self, store: Any, config: Any, history: History | None = None) -> None:
        self.store = store
        self.config = config
        self.history = history if history is not None else History.from_config(store.data_dir, config)
        self.caches: dict[str, TargetCache] = {}
        self._client: SnmpClient | None = None
        self.lock = FleetLock(store.data_dir)

    @property
    def client(self) -> SnmpClient:
        if self._client is None:
            self._client = SnmpClient()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _defaults(self) -> SnmpSettings:
        return self.config.default_snmp()

    async def poll_printer(self, printer: Printer) -> PollResult:
        """Poll one inventory printer (no fleet lock) and save the result."""
        result = await self._poll(printer, self.config.base_thresholds())
        await asyncio.to_thread(self._save, [(printer.id, result)])
        return result

    async def probe(self, address: str, settings: SnmpSettings, thresholds: Thresholds | None, *,
                    invert_receptacles: bool = False) -> PollResult:
        """One poll of a device that need not be in the inventory (the form's Test): no cache
        kept, nothing saved."""
        return await poll_one(self.client, address, settings, cache=TargetCache(), thresholds=thresholds,
                              invert_receptacles=invert_receptacles)

    async def _poll(self, printer: Printer, base: Thresholds) -> PollResult:
        cache = self.caches.setdefault(printer.id, TargetCache())
        return await poll_one(self.client, printer.address, printer.snmp_settings(self._defaults()),
                              cache=cache, thresholds=printer.thresholds_over(base),
                              invert_receptacles=printer.invert_receptacles)

    def _save(self, batch: list[tuple[str, PollResult]]) -> None:
        if not batch:
            return
        self.store.record_poll(batch, offline_after=self.config.polling.offline_after)
        samples = [sample_from_poll(pid, r) for pid, r in batch if r.reachable]
        if samples:
            self.history.append(samples)

    async def _lane(self, records: list[Printer], limiter: Any, base: Thresholds,
                    handle: Callable[[Printer, PollResult], None], *, retry_timeouts: bool) -> None:
        """Poll `records` with at most `limiter.limit` in flight; a timeout of a printer that
        may be alive is tried once more at the end, when the load is lower."""
        queue = deque(records)
        retry: list[Printer] = []
        running: dict[asyncio.Future[PollResult], Printer] = {}
        second_round = False
        try:
            while queue or running:
                while queue and len(running) < limiter.limit:
                    record = queue.popleft()
                    running[asyncio.ensure_future(self._poll(record, base))] = record
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    record = running.pop(task)
                    result = task.result()
                    if result.timed_out:
                        if record.last_good_poll_at:  # answered before: likely congestion
                            limiter.congested()
                        if retry_timeouts and not second_round:
                            retry.append(record)
                            continue
                    else:
                        limiter.answered(result)
                    handle(record, result)
                if not queue and not running and retry:
                    queue.extend(retry)
                    retry = []
                    second_round = True
        finally:
            for task in running:
                task.cancel()

    async def poll_all(self, *, progress: ProgressCallback | None = None,
                       on_result: ResultCallback | None = None, wait: bool = False,
                       by: str = "tonertrack", keep_results: bool = True) -> FleetPollSummary:
        """Poll every printer once. Cancel the task to stop: what was polled is still saved."""
        while not self.lock.try_acquire(by):
            if not wait:
                raise FleetPollBusy(self.lock.holder())
            await asyncio.sleep(0.5)
        summary = FleetPollSummary(started_at=utc_now_iso())
        started = time.perf_counter()
        pending: list[tuple[str, PollResult]] = []
        last_flush = time.monotonic()
        flushing: asyncio.Task | None = None
        try:
            records = await asyncio.to_thread(self.store.load_for_polling)
            summary.total = len(records)
            flush_every = max(FLUSH_INTERVAL_S, FLUSH_SECONDS_PER_100 * len(records) / 100)
            base = self.config.base_thresholds()
            bound = max(1, self.config.polling.concurrency)

            def handle(record: Printer, result: PollResult) -> None:
                nonlocal last_flush, flushing, pending
                summary.done += 1
                summary.reachable += result.reachable
                summary.by_status[result.status] = summary.by_status.get(result.status, 0) + 1
                if keep_results:
                    summary.results.append((record.id, result))
                pending.append((record.id, result))
                if on_result is not None:
                    on_result(record, result)
                if progress is not None:
                    progress(summary.done, summary.total, record.address)
                now = time.monotonic()
                if now - last_flush >= flush_every and (flushing is None or flushing.done()):
                    batch, pending = pending, []
                    last_flush = now
                    flushing = asyncio.ensure_future(asyncio.to_thread(self._save, batch))

            # Printers that failed last time wait out their timeouts in a lane of their own,
            # so 100 dead printers cost one timeout window, not a share of the live lane.
            suspects = [r for r in records if r.consecutive_failures > 0]
            live = [r for r in records if r.consecutive_failures == 0]
            limiter = AdaptiveLimit(bound, self.config.polling.timeout_s)
            await asyncio.gather(
                self._lane(live, limiter, base, handle, retry_timeouts=True),
                self._lane(suspects, FixedLimit(max(bound, SUSPECT_LANE)), base, handle, retry_timeouts=False),
            )
        except asyncio.CancelledError:
            summary.cancelled = True
            raise
        finally:
            if flushing is not None:
                try:
                    await asyncio.shield(flushing)
                except Exception:
                    pass
            try:
                # save what was polled, even when cancelled (shielded from the cancellation)
                await asyncio.shield(asyncio.to_thread(self._save, pending))
            finally:
                summary.duration_s = time.perf_counter() - started
                self.lock.release()
        return summary
