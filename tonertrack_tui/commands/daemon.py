"""`tonertrack daemon`: poll the fleet unattended, send notifications, run scheduled syncs."""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from ..core.config import Config, ConfigError, Paths
from ..core.inventory.backend import open_store
from ..core.inventory.store import Store, StoreError
from ..core.polling.fleet import FleetPollBusy, FleetPoller, FleetPollSummary
from .common import config_from_args

log = logging.getLogger("tonertrack.daemon")
MIN_CLAIM_BATCH = 25


def claim_batch(config: Config) -> int:
    """Printers a daemon of a shared site claims at a time: twice the poll concurrency (128 by
    default), so a batch keeps the limit busy while its slowest printers answer; at least 25.
    Batches of 25 at 300 ms per reply spent most of a round waiting for each batch's slowest
    printer (benchmarks/pg_scale.py --latency-ms 300: 500 printers a daemon in 17.5 s, against
    4.2 s for one daemon without claims). A dead daemon's claims are taken over as a batch."""
    return max(MIN_CLAIM_BATCH, 2 * config.polling.concurrency)

HELP = "poll the fleet unattended and send notifications (for systemd)"
DESCRIPTION = """\
Poll every printer of the inventory every polling.interval_s seconds, save the
results and history, send notifications ([notify] in the config), rewrite the
metrics textfile ([metrics] textfile) and run print-server syncs every
daemon.sync_interval_s seconds.

The daemon shares the fleet-poll lock with the TUI and `poll --all`: when another
process is polling the fleet, this round is skipped (and logged). Notifications
come from the saved state, so a poll made by a TUI still notifies.

Logs go to stderr with their level; under systemd (JOURNAL_STREAM set) without
timestamps and with syslog level prefixes that journald understands. SIGTERM or
SIGINT stops it cleanly: a running poll is cancelled, what was polled is saved,
unsent notifications are kept for the next start, and the exit status is 0.
"""

_SYSLOG_LEVELS = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
# names a sync module may give its "sync every enabled source" function (core/sync.py is optional)
_SYNC_FUNCTIONS = ("run_scheduled_sync", "scheduled_sync", "sync_all", "sync_sources", "run_all")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("daemon", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--interval", type=float, metavar="S", help="seconds between polls (default: polling.interval_s)")
    p.add_argument("--once", action="store_true", help="one round (poll, notify, metrics), then exit")
    p.add_argument("--site", metavar="NAME",
                   help="poll only this site's printers; on the postgresql backend, daemons of one site share "
                        "each round (each printer is claimed by one of them)")
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                   help="log level (default: daemon.log_level, info)")
    p.set_defaults(func=run)


class _JournalFormatter(logging.Formatter):
    """`<6>message`: journald takes the level from the prefix and adds its own timestamp."""

    def format(self, record: logging.LogRecord) -> str:
        return f"<{_SYSLOG_LEVELS.get(record.levelno, 6)}>{super().format(record)}"


def setup_logging(level: str) -> Callable[[], None]:
    """Log to stderr; returns a function that puts the previous logging set-up back."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("tonertrack")
    saved = (root.handlers[:], root.level, root.propagate)
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False

    def restore() -> None:
        root.handlers[:], level_, root.propagate = saved
        root.setLevel(level_)

    return restore


def run(args: argparse.Namespace) -> int:
    try:
        paths, config = config_from_args(args)
    except ConfigError as exc:
        print(f"tonertrack: {exc}", file=sys.stderr)
        return 1
    restore_logging = setup_logging(args.log_level or config.daemon.log_level)
    try:
        return _run(args, paths, config)
    finally:
        restore_logging()  # `main()` may be called again in the same process (tests, scripts)


def _run(args: argparse.Namespace, paths: Paths, config: Config) -> int:
    for warning in config.warnings:
        log.warning("%s", warning)
    if args.interval is not None and args.interval <= 0:
        log.error("--interval must be above 0")
        return 2
    try:
        store = open_store(config, paths.data_dir)
        store.load()
    except StoreError as exc:
        log.error("%s", exc)
        return 1
    daemon = Daemon(store, config, interval=args.interval or float(config.polling.interval_s), once=args.once,
                    site=args.site)
    return asyncio.run(daemon.run())


class Daemon:
    def __init__(self, store: Store, config: Any, *, interval: float, once: bool = False,
                 site: str | None = None) -> None:
        from ..core.notify.notifier import Notifier

        self.site = site
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.store = store
        self.config = config
        self.interval = interval
        self.once = once
        self.poller = FleetPoller(store, config)
        self.poller.hold_unsaved = True  # a database outage costs no results (see FleetPoller)
        self._claims_down = False
        shared = getattr(store, "with_notify_state", None)  # postgresql: one state per site, shared
        self.notifier = Notifier(store.data_dir, config.notify,
                                 shared_state=functools.partial(shared, site or "") if shared else None)
        self.stopping = asyncio.Event()
        self._poll_task: asyncio.Task[Any] | None = None
        self._last_sync: float | None = None
        self._sync_missing_logged = False

    def _stop(self, signame: str) -> None:
        if not self.stopping.is_set():
            log.info("%s received: stopping", signame)
        self.stopping.set()
        if self._poll_task is not None and not self._poll_task.done():
            self._poll_task.cancel()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop, sig.name)
        channels = ", ".join(w.sender.shown for w in self.notifier.workers.values()) or "none"
        log.info("started: %s, polling every %g s, notification channels: %s",
                 self.store.data_dir, self.interval, channels)
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                await self.round()
                if self.once:
                    await asyncio.to_thread(self.notifier.wait_idle, 30.0)
                    break
                delay = max(1.0, self.interval - (time.monotonic() - started))
                try:
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
                except TimeoutError:
                    pass
        finally:
            self.poller.close()
            if self.poller.held or self.poller.held_samples:  # said, never dropped silently
                log.warning("stopping with %d results and %d history samples not saved (the store was out of "
                            "reach): they are lost; the next poll measures the printers again",
                            len(self.poller.held), len(self.poller.held_samples))
            saved = await asyncio.to_thread(self.notifier.close, 3.0)
            log.info("stopped%s", f" ({saved} unsent notification(s) kept for the next start)" if saved else "")
        return 0

    async def round(self) -> None:
        await self.poll()
        try:
            printers = await asyncio.to_thread(self.store.load)
        except StoreError as exc:
            log.error("%s", exc)
            return
        if self.site is not None:  # the other sites' daemons tell of theirs: no notification sent twice
            printers = [p for p in printers if p.site == self.site]
        try:
            await asyncio.to_thread(self.notifier.process, printers, history=self.poller.history)
        except OSError as exc:
            log.error("cannot save the notification state: %s", exc)
        except StoreError as exc:  # the shared state is in the database: the next round catches up
            log.error("no notifications this round: %s", exc)
        await self.write_textfile()
        if not self.stopping.is_set():
            await self.maybe_sync()

    async def _poll_round(self) -> Any:
        """One round: every printer (of the site); on postgresql with a site, in claimed batches
        shared with the site's other daemons until no printer of the round is left unclaimed."""
        claim = getattr(self.store, "claim", None)
        if self.site is None or claim is None:
            return await self.poller.poll_all(by="daemon", site=self.site)
        total = None
        polled: set[str] = set()  # this round's: never claimed again in it, however long it runs
        limits: dict[str, Any] = {}  # the round's concurrency limits, carried from batch to batch
        try:
            while not self.stopping.is_set():
                try:
                    ids = await asyncio.to_thread(claim, self.site, self.holder, max(1.0, self.interval * 0.9),
                                                  claim_batch(self.config), polled)
                except StoreError as exc:
                    if total is not None:
                        log.warning("cannot claim more printers of site %s (%s): this round ends here", self.site, exc)
                        break
                    # Cut off from the database: no claims, so no sharing. Rather than stop watching the
                    # printers, poll the site's printers this daemon has polled before, alone; the
                    # results are held and written when the database is back.
                    if not self._claims_down:
                        log.warning("cannot claim printers of site %s (%s): polling the printers of the site this "
                                    "daemon knows, alone, until the database is back", self.site, exc)
                    self._claims_down = True
                    return await self.poller.poll_all(by="daemon", site=self.site, wait=True)
                if self._claims_down:
                    log.info("the database is back: site %s is shared by claims again", self.site)
                    self._claims_down = False
                if not ids:
                    break
                polled.update(ids)
                summary = await self.poller.poll_all(by="daemon", only=ids, wait=True, save_static=False,
                                                     limits=limits)
                if total is None:
                    total = summary
                else:
                    total.done += summary.done
                    total.total += summary.total
                    total.reachable += summary.reachable
                    total.duration_s += summary.duration_s
                    total.written_late += summary.written_late
                    total.held, total.store_error = summary.held, summary.store_error or total.store_error
                    for status, n in summary.by_status.items():
                        total.by_status[status] = total.by_status.get(status, 0) + n
            return total or FleetPollSummary()
        finally:
            # the static caches once per round, not once per batch (each a rewrite of the file);
            # a round cut short keeps what it polled too
            if polled:
                await asyncio.shield(asyncio.to_thread(self.poller.save_static_caches, polled))

    async def poll(self) -> None:
        self._poll_task = asyncio.ensure_future(self._poll_round())
        try:
            summary = await self._poll_task
        except FleetPollBusy as busy:
            log.info("skipping this round: %s", busy)
            return
        except asyncio.CancelledError:
            if not self.stopping.is_set():
                raise
            log.info("poll cancelled; what was polled is saved")
            return
        except StoreError as exc:
            log.error("poll not saved: %s", exc)
            return
        finally:
            self._poll_task = None
        counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "no printers"
        log.info("polled %d printers in %.1f s (%s)", summary.done, summary.duration_s, counts)
        if summary.polled_from_memory:
            log.warning("the inventory could not be read (%s): polled the %d printers read last time",
                        summary.store_error, summary.done)
        if summary.held:
            log.warning("results not saved (%s): %d held in memory and written when the store is back "
                        "(a printer's newest result; skipped where a newer poll was saved meanwhile)",
                        summary.store_error, summary.held)
        elif summary.written_late:
            log.info("the store is back: %d results held earlier are written", summary.written_late)

    async def write_textfile(self) -> None:
        path = self.config.metrics.textfile
        if not path:
            return
        from ..core.reports.metrics import exposition
        from .metrics import write_textfile

        try:
            await asyncio.to_thread(lambda: write_textfile(os.path.expanduser(path), exposition(self.store)))
        except OSError as exc:
            log.error("cannot write the metrics textfile %s: %s", path, exc.strerror or exc)

    async def maybe_sync(self) -> None:
        every = self.config.daemon.sync_interval_s
        if not every or not self.config.sync.sources:
            return
        if self._last_sync is not None and time.monotonic() - self._last_sync < every:
            return
        self._last_sync = time.monotonic()
        func = _sync_function()
        if func is None:
            if not self._sync_missing_logged:
                log.info("print-server sync is not available in this version; scheduled syncs are skipped")
                self._sync_missing_logged = True
            return
        try:
            result = await asyncio.to_thread(func, self.store, self.config)
            if inspect.isawaitable(result):
                result = await result
            log.info("print-server sync done%s", f": {result}" if result else "")
        except Exception as exc:  # a failing print server must not stop the polling
            log.error("print-server sync failed: %s", exc)


def _sync_function() -> Callable[[Store, Config], Any] | None:
    try:
        from ..core.sync import plan as sync
    except ImportError:
        return None
    for name in _SYNC_FUNCTIONS:
        func: Callable[[Store, Config], Any] | None = getattr(sync, name, None)
        if callable(func):
            return func
    if all(hasattr(sync, n) for n in ("select_sources", "read_sources", "plan_sync", "apply_plan")):
        return lambda store, config: _sync_enabled_sources(sync, store, config)
    return None


def _sync_enabled_sources(sync: Any, store: Store, config: Any) -> str:
    """What `tonertrack sync` does, for every enabled source: read, plan, apply in one transaction."""
    listings, errors = sync.read_sources(sync.select_sources(config.sync.sources))
    for error in errors:
        log.warning("print-server sync: %s", error)
    plan = sync.plan_sync(listings, store.load())
    applied = sync.apply_plan(plan, listings, store)
    changes = len(getattr(applied, "changes", []) or [])
    return f"{len(listings)} source(s) read, {changes} change(s)"
