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
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..inventory.history import History, Sample, sample_from_poll
from ..inventory.printer import Printer
from ..inventory.store import StoreError
from ..printer.collect import TargetCache
from ..printer.model import PollResult
from ..printer.status import Thresholds
from ..snmp.client import SnmpClient
from ..snmp.credentials import SnmpSettings
from ..util.fsutil import ensure_private_dir, file_token, os_user
from ..util.timeutil import utc_now_iso
from . import staticcache
from .poller import poll_any

POLL_LOCK_FILE = "poll.lock"
SUSPECT_LANE = 256  # ceiling of the lane of printers with no answer yet (see poll_all)
MAX_IN_FLIGHT = 1024  # polls at once, counting those that gave their slot up (see _lane)
FLUSH_INTERVAL_S = 2.0
MAX_HELD_SAMPLES = 200_000  # history samples held while the database is out of reach (~40 MB)
FLUSH_SECONDS_PER_100 = 1.0  # a save re-reads and rewrites the whole file: big fleets save less often

ResultCallback = Callable[[Printer, PollResult], None]  # (printer, result) per printer
ProgressCallback = Callable[[int, int, str], None]  # (done, total, address)


class FixedLimit:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def overloaded(self) -> None:
        pass

    def answered(self, result: PollResult) -> None:
        pass

    def timed_out(self, expected: bool) -> None:
        pass

    def loop_lag(self, lag_s: float) -> None:
        pass

    release_silent = False


# The rule of AdaptiveLimit, and the measurements that chose its constants (issue 14,
# benchmarks/poll_network.py against benchmarks/netsim.py, and benchmarks/tui_scale.py
# against snmpsim, on this 2-core VM):
#
# * Latency is not overload. A printer behind a VPN answers in 300 ms whether 2 or 64
#   polls are in flight; the old rule (x0.9 whenever a reply took > 0.3 x timeout) drove
#   the limit to 2 within a second at 300 ± 150 ms and poll-all of 500 printers took
#   136–187 s. A reply's duration plays no part, only whether a request timed out.
# * Additive increase: +1 per poll answered in time, from START (16) to the ceiling (the
#   configured concurrency, 64 by default): 48 answers, ~1.5 s at 300 ms.
# * Multiplicative decrease (halve, never below MIN_LIMIT, at most once per timeout so a
#   burst is one event) on evidence of overload, counted over the last RATIO_WINDOW polls
#   of printers known to be alive:
#   - a timeout of a printer that answered its previous poll, or an answer that came only
#     after a request of it timed out (`PollResult.retried`: a retry was answered), reaching
#     LOSS_RATIO of the window. A slow reply is not one of these: a cold walk of 3 requests
#     at 450 ms takes 1.35 s with no request timing out. 2 % request loss retries ~4 % of
#     cold polls and ~2 % of steady ones (and left 0 whole-poll timeouts among 500 printers
#     per run), so 10 % is a trend, not the loss of a link that works; snmpsim saturated by
#     1,000 printers (tui_scale.py) retries most polls and trips it within the first window.
#     The count is 10 % of the whole window (10 events), not of the polls seen so far: with
#     "10 % of what is in the window, at least 2" and a 50-poll window, 2 retried polls among
#     the first 20 of a run (likely at 4 %) halved the limit, and the first run of the lossy
#     scenario took 14.5-15.4 s in 2 runs of 4 instead of ~7.6 s (the halving also keeps dead
#     printers in their slots for 2 windows). Poisson(4) reaches 10 in 0.8 % of windows;
#     overload, which retries most polls, reaches it within ~12 polls;
#   - our own loop lagging: a 50 ms tick that fires more than LAG_FRACTION x timeout late
#     means replies sit in our queue while their timers run out (a false "Offline").
#     1,100 printers with no latency lagged at most ~100 ms here; 0.25 x 1 s = 250 ms is
#     far from normal and well before a 1 s timer fires.
# * Timeouts of printers with no answer yet (never answered, or failing) are neutral:
#   they free their slot and change nothing, so dead printers can neither shrink nor
#   freeze the limit. Once printers answer in time and no overload is seen, such a poll
#   gives its slot up after one timeout (`release_silent`, see FleetPoller._lane). Seen on
#   a box loaded 8 cores deep on 2 (the responder starved, first replies > 1 s): releasing
#   before any answer flooded it with retries and v1 probes.
class AdaptiveLimit:
    """How many polls may be in flight: AIMD on evidence of overload, never on latency."""

    START = 16
    MIN_LIMIT = 4
    RATIO_WINDOW = 100
    LOSS_RATIO = 0.10  # of the whole window, also while it fills: 10 events (see the rule above)
    LAG_FRACTION = 0.25
    RELEASE_AFTER = 5  # answers in time in the window before silent polls may give their slots up

    def __init__(self, maximum: int, timeout_s: float, start: int | None = None) -> None:
        self.maximum = max(1, maximum)
        self._limit = float(min(self.maximum, self.START if start is None else start))
        self.window_s = timeout_s
        self.lag_limit_s = timeout_s * self.LAG_FRACTION
        self._recent: deque[bool] = deque(maxlen=self.RATIO_WINDOW)  # polls of live printers: a timeout?
        self._last_cut = -1e9
        self.cuts = 0  # how often the limit was halved (benchmarks print it)
        self.max_lag_s = 0.0  # the longest our loop ran late

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    @property
    def release_silent(self) -> bool:
        """May a poll that heard nothing for one timeout give its slot up? Only once printers
        have been seen answering in time (silence is then death, not a saturated agent host
        or link), and not under overload."""
        if time.monotonic() - self._last_cut < 2 * self.window_s:
            return False
        answered = len(self._recent) - sum(self._recent)
        return answered >= self.RELEASE_AFTER and not self._trend()

    def _trend(self) -> bool:
        return sum(self._recent) >= self.LOSS_RATIO * self.RATIO_WINDOW

    def overloaded(self) -> None:
        now = time.monotonic()
        if now - self._last_cut < self.window_s:
            return
        self._last_cut = now
        self.cuts += 1
        self._limit = max(float(min(self.MIN_LIMIT, self.maximum)), self._limit * 0.5)

    def answered(self, result: PollResult) -> None:
        if result.retried:  # a request of it timed out before the answer came
            self._recent.append(True)
            if self._trend():
                self.overloaded()
            return
        self._recent.append(False)
        self._limit = min(float(self.maximum), self._limit + 1.0)

    def timed_out(self, expected: bool) -> None:
        """A poll that got no reply; `expected`: the printer answered its previous poll."""
        if not expected:
            return
        self._recent.append(True)
        if self._trend():
            self.overloaded()

    def loop_lag(self, lag_s: float) -> None:
        self.max_lag_s = max(self.max_lag_s, lag_s)
        if lag_s > self.lag_limit_s:
            self.overloaded()


async def watch_loop_lag(limiters: list[Any], tick_s: float = 0.05) -> None:
    """Tell the limiters how late our own loop runs (until cancelled)."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + tick_s
        await asyncio.sleep(tick_s)
        lag = loop.time() - due
        for limiter in limiters:
            limiter.loop_lag(lag)


def split_lanes(records: list[Printer]) -> tuple[list[Printer], list[Printer]]:
    """(printers that answered their last poll, printers with no answer yet: failing or never polled)."""
    expected: list[Printer] = []
    unknown: list[Printer] = []
    for record in records:
        (expected if record.consecutive_failures == 0 and record.last_good_poll_at else unknown).append(record)
    return expected, unknown


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
            holder = json.loads(self.path.read_text("utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}  # a lock file that is not ours: holder unknown

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
    duration_s: float = 0.0
    cancelled: bool = False
    results: list[tuple[str, PollResult]] = field(default_factory=list)  # (printer id, result)
    limit_cuts: int = 0  # times a concurrency limit was halved on evidence of overload
    max_loop_lag_s: float = 0.0  # the longest our event loop ran late during the poll
    # the store could not be read or written (FleetPoller.hold_unsaved): what happened
    store_error: str = ""
    polled_from_memory: bool = False  # the inventory could not be read: the last one read was polled
    held: int = 0  # results not written at the end of the round, held for the next write
    written_late: int = 0  # results held from an earlier round written in this one



class FleetPoller:
    """Owns the process's SNMP client and the per-printer caches. Use from one event loop."""

    def __init__(self, store: Any, config: Config, history: History | None = None) -> None:
        self.store = store
        self.config = config
        self.history = history if history is not None else store.history(config)
        self.caches: dict[str, TargetCache] = {}
        self.cache_path = staticcache.cache_path(store.data_dir)
        self._static_text: dict[str, tuple[dict[Any, Any], str]] = {}  # id → (cache.static, its JSON)
        self._static_file: tuple[Any, dict[str, Any]] = (None, {})  # (stat token, entries) of the file
        self._client: SnmpClient | None = None
        self.lock = FleetLock(store.data_dir)
        self.last_summary: FleetPollSummary | None = None  # of the last poll_all that ran (its counts)
        # When the store cannot be written (the database is down or cut off, a full disk), a
        # round's results are held and written with the next write that succeeds: within a
        # round always (a failed flush is not lost), across rounds only with `hold_unsaved`
        # (the daemon; a CLI or TUI poll says the save failed). Held: the newest result per
        # printer (bounded by the inventory); written late, a result older than the poll saved
        # meanwhile (another daemon of the site) is skipped (Printer.predates_saved_poll).
        # With `hold_unsaved`, a round whose inventory cannot be read polls the last one read.
        self.hold_unsaved = False
        self.held: dict[str, PollResult] = {}
        self.held_samples: list[Sample] = []  # history samples not written yet (the same reasons)
        self._known: dict[str, Printer] = {}  # every printer read for polling (a full read replaces it)
        self._summary: FleetPollSummary | None = None
        self._save_lock = threading.Lock()  # a single poll's save may run beside a round's flush

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
        await asyncio.to_thread(self._save, [(printer.id, result)], final=True)
        return result

    async def probe(self, address: str, settings: SnmpSettings, thresholds: Thresholds | None, *,
                    invert_receptacles: bool = False) -> PollResult:
        """One poll of a device that need not be in the inventory (the form's Test): no cache
        kept, nothing saved."""
        return await poll_any(self.client, address, settings, cache=TargetCache(), thresholds=thresholds,
                              invert_receptacles=invert_receptacles)

    async def _poll(self, printer: Printer, base: Thresholds) -> PollResult:
        cache = self.caches.setdefault(printer.id, TargetCache())
        last = printer.last_poll
        return await poll_any(self.client, printer.address, printer.snmp_settings(self._defaults()),
                              protocol=printer.protocol, prefer_ipp=last is not None and last.protocol == "ipp",
                              pinned=printer.ipp_pin, cache=cache, thresholds=printer.thresholds_over(base),
                              invert_receptacles=printer.invert_receptacles,
                              never_answered=printer.consecutive_failures > 0 and not printer.last_good_poll_at)

    def _save(self, batch: list[tuple[str, PollResult]], *, final: bool = False) -> None:
        """Write `batch` after the results held (see __init__). A failed write holds them all,
        unless this is the last write of a poll that may not hold them: then it raises."""
        with self._save_lock:
            late = len(self.held)
            items = [*self.held.items(), *batch]
            try:
                if items:
                    self.store.record_poll(items, offline_after=self.config.polling.offline_after)
            except StoreError as exc:
                self.held.update(items)  # in order: the newest result of a printer wins
                if self._summary is not None:
                    self._summary.store_error = str(exc)
                if final and not self.hold_unsaved:
                    self.held.clear()
                    raise
            else:
                self.held.clear()
                if late and self._summary is not None:
                    self._summary.written_late += late
        # The history: the data dir's files, or the database's tables (postgresql), which can be
        # out of reach like the inventory: then its samples are held (in time order, the oldest
        # dropped past MAX_HELD_SAMPLES) and written with the next ones.
        samples = [sample_from_poll(pid, r) for pid, r in batch if r.reachable]
        with self._save_lock:
            pending = [*self.held_samples, *samples]
            if not pending:
                return
            try:
                self.history.append(pending)
            except StoreError as exc:
                self.held_samples = pending[-MAX_HELD_SAMPLES:]
                if self._summary is not None:
                    self._summary.store_error = self._summary.store_error or str(exc)
            else:
                self.held_samples = []

    async def _lane(self, records: list[Printer], limiter: Any, base: Thresholds,
                    handle: Callable[[Printer, PollResult], None], *, expected: bool) -> None:
        """Poll `records` with at most `limiter.limit` polls holding a slot.

        In the lane of printers with no answer yet, a poll that has heard nothing for one
        timeout gives its slot up (it keeps waiting, at no CPU cost) while the limiter sees
        no overload: a dead printer holds a slot for one timeout, not for the whole window
        with its retries, and dead ones never stall the printers behind them. Under
        overload (replies late everywhere) silence is not death, and every poll keeps its
        slot. At most MAX_IN_FLIGHT polls run at once, slots or not.

        `expected`: these printers answered their last poll. Their timeouts are evidence for
        the limiter, and a timeout is tried once more at the end, when the load is lower.
        Printers with no answer yet get no second try — a dead one costs one timeout window —
        unless the limiter saw overload during the pass (then their silence may have been
        ours, and a live printer must not come out down on its first poll)."""
        loop = asyncio.get_running_loop()
        slot_s = self.config.polling.timeout_s
        release = not expected
        queue = deque(records)
        retry: list[Printer] = []
        silent: list[tuple[Printer, PollResult]] = []  # no answer yet, none now: kept to the end
        running: dict[asyncio.Future[PollResult], Printer] = {}
        holding: dict[asyncio.Future[PollResult], asyncio.TimerHandle] = {}
        finished: deque[asyncio.Future[PollResult]] = deque()
        wake = asyncio.Event()

        # Completions arrive through a callback, not asyncio.wait(): wait() hooks and unhooks
        # every running task on each call, O(in flight) per completion.
        def on_done(task: asyncio.Future[PollResult]) -> None:
            finished.append(task)
            wake.set()

        def give_up_slot(task: asyncio.Future[PollResult]) -> None:
            if not (release and limiter.release_silent):
                return  # it keeps its slot until it ends
            if holding.pop(task, None) is not None:
                wake.set()

        second_round = False
        try:
            while queue or running:
                while queue and len(holding) < limiter.limit and len(running) < MAX_IN_FLIGHT:
                    record = queue.popleft()
                    task: asyncio.Future[PollResult] = asyncio.ensure_future(self._poll(record, base))
                    running[task] = record
                    holding[task] = loop.call_later(slot_s, give_up_slot, task)
                    task.add_done_callback(on_done)
                if not finished:
                    wake.clear()
                    await wake.wait()
                while finished:
                    task = finished.popleft()
                    record = running.pop(task)
                    timer = holding.pop(task, None)
                    if timer is not None:
                        timer.cancel()
                    try:
                        result = task.result()
                    except Exception as exc:  # a bug in one printer's poll must cost that printer, not the round
                        result = PollResult(target=record.address, polled_at=utc_now_iso(),
                                            reasons=[f"internal error while polling: {type(exc).__name__}: {exc}"])
                    if result.timed_out:
                        limiter.timed_out(expected and not second_round)
                        if expected and not second_round:
                            retry.append(record)
                            continue
                        if not second_round:
                            silent.append((record, result))
                            continue
                    else:
                        limiter.answered(result)
                    handle(record, result)
                if not queue and not running and (retry or silent):
                    if silent and limiter.cuts:
                        # overload was seen: their silence may have been ours; one more try
                        retry.extend(record for record, _ in silent)
                    else:
                        for record, result in silent:
                            handle(record, result)
                    silent = []
                    queue.extend(retry)
                    retry = []
                    second_round = True
        finally:
            for record, result in silent:  # cancelled: what was polled is still reported
                handle(record, result)
            for timer in holding.values():
                timer.cancel()
            for task in running:
                task.remove_done_callback(on_done)
                task.cancel()

    # -- the static-column cache on disk (core/polling/staticcache.py) -------------------------

    def _load_static_caches(self, records: list[Printer]) -> None:
        """Fill the in-memory caches of printers this process has not polled yet from disk."""
        missing = [r for r in records if r.id not in self.caches]
        if not missing:
            return
        entries = self._static_file_entries()
        if not entries:
            return
        defaults = self._defaults()
        for record in missing:
            entry = entries.get(record.id)
            if entry is None:
                continue
            cache = staticcache.cache_from_entry(entry, record.address, record.snmp_settings(defaults).version)
            if cache is not None:
                self.caches[record.id] = cache
                self._static_text[record.id] = (cache.static, entry["s"])

    def _static_file_entries(self) -> dict[str, Any]:
        """The cache file's entries, parsed again only when the file changed (a daemon of a shared
        site loads the printers of each claimed batch: one parse per round, not per batch)."""
        token = file_token(self.cache_path)
        if token is None:
            return {}
        if self._static_file[0] != token:
            self._static_file = (token, staticcache.read_entries(self.cache_path))
        return self._static_file[1]

    def save_static_caches(self, ids: Collection[str]) -> None:
        """Write the caches of the printers `ids` polled (a daemon of a shared site: once per
        round, after its batches polled with save_static=False)."""
        self._save_static_caches([self._known[i] for i in ids if i in self._known], everything=False)

    def _save_static_caches(self, records: list[Printer], *, everything: bool = True) -> None:
        """Write the caches of `records`; when they are `everything` (the whole inventory, not a
        site's printers or a claimed batch), the entries of printers no longer in it are dropped."""
        defaults = self._defaults()
        updates: dict[str, dict[str, Any] | None] = {}
        for record in records:
            cache = self.caches.get(record.id)
            if cache is None:
                continue
            known = self._static_text.get(record.id)
            if known is not None and known[0] is cache.static:  # unchanged since: not encoded again
                text: str | None = known[1]
            else:
                text = staticcache.static_text(cache)
                if text is not None:
                    self._static_text[record.id] = (cache.static, text)
            updates[record.id] = staticcache.entry_from_cache(cache, record.address,
                                                              record.snmp_settings(defaults).version, text)
        if updates:
            inventory = {r.id for r in records} if everything else None
            staticcache.write_entries(self.cache_path, updates, inventory=inventory)

    async def poll_all(self, *, progress: ProgressCallback | None = None,
                       on_result: ResultCallback | None = None, wait: bool = False,
                       by: str = "tonertrack", keep_results: bool = True, site: str | None = None,
                       only: Collection[str] | None = None, save_static: bool = True,
                       limits: dict[str, AdaptiveLimit] | None = None) -> FleetPollSummary:
        """Poll every printer once (of `site`, or the ids in `only`, when given). Cancel the task to
        stop: what was polled is still saved."""
        while not self.lock.try_acquire(by):
            if not wait:
                raise FleetPollBusy(self.lock.holder())
            await asyncio.sleep(0.5)
        summary = self.last_summary = self._summary = FleetPollSummary()
        started = time.perf_counter()
        pending: list[tuple[str, PollResult]] = []
        last_flush = time.monotonic()
        flushing: asyncio.Task[None] | None = None
        records: list[Printer] = []
        everything = False
        try:
            try:
                records = await asyncio.to_thread(self.store.load_for_polling, only)
                if only is None:
                    self._known.clear()
                self._known.update((r.id, r) for r in records)
            except StoreError as exc:
                if not self.hold_unsaved or not self._known:
                    raise
                summary.store_error, summary.polled_from_memory = str(exc), True
                records = [r for r in self._known.values() if only is None or r.id in set(only)]
            everything = only is None and site is None and not summary.polled_from_memory
            if site is not None:
                records = [r for r in records if r.site == site]
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

            # Two lanes, polled at the same time. Printers that answered their last poll share
            # an adaptive limit (AdaptiveLimit: it grows while they answer, shrinks on evidence
            # of overload). Printers with no answer yet — failing last time, or never polled
            # (an import) — go to a lane of their own, never behind the live ones: it starts
            # like the other (plus one slot per failing printer) and may grow to SUSPECT_LANE
            # while they answer in time (a box loaded 8 deep on 2 cores starved the responder
            # when it started at 64: retries and v1 probes doubled the requests), and its dead printers
            # give their slots up after one timeout (_lane), so 100 of them cost one window.
            expected, unknown = split_lanes(records)
            await asyncio.to_thread(self._load_static_caches, records)
            # Printers that failed last time are mostly dead (they wait, at no CPU cost): they go
            # first and all at once; printers never polled may be live (a cold walk each).
            unknown.sort(key=lambda r: r.consecutive_failures == 0)
            failing = sum(1 for r in unknown if r.consecutive_failures)
            ceiling = max(bound, SUSPECT_LANE)
            # `limits`: the limits of the round this poll is part of (a daemon's claimed batches
            # share them: a batch does not start again from START, what the last one learnt holds)
            limits = limits if limits is not None else {}
            if "expected" not in limits:
                limits["expected"] = AdaptiveLimit(bound, self.config.polling.timeout_s)
                limits["unknown"] = AdaptiveLimit(ceiling, self.config.polling.timeout_s,
                                                  start=min(ceiling, min(bound, AdaptiveLimit.START) + failing))
            limiter, wide = limits["expected"], limits["unknown"]
            watcher = asyncio.ensure_future(watch_loop_lag([limiter, wide]))
            try:
                await asyncio.gather(
                    self._lane(expected, limiter, base, handle, expected=True),
                    self._lane(unknown, wide, base, handle, expected=False),
                )
            finally:
                watcher.cancel()
            summary.limit_cuts = limiter.cuts + wide.cuts
            summary.max_loop_lag_s = limiter.max_lag_s
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
                await asyncio.shield(asyncio.to_thread(self._save, pending, final=True))
                summary.held = len(self.held)
                if records and save_static:
                    await asyncio.shield(asyncio.to_thread(self._save_static_caches, records, everything=everything))
            finally:
                summary.duration_s = time.perf_counter() - started
                self.lock.release()
        return summary
