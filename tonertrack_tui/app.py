"""The Textual app: screens, bindings, the poll scheduler, and messages in and out of core.

Long work (polls, store reloads) starts here, in workers owned by the App, never by a
screen that may be popped. Workers never touch widgets: results land in `self.records`
and screens hear about them through the `fleet_changed` signal, at most a few times a
second however many printers answered.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.signal import Signal

from .core.inventory.store import StoreError, apply_poll
from .core.polling.fleet import FleetPollBusy, describe_holder
from .core.polling.loopthread import LoopThread
from .core.printer.model import PollResult
from .core.views.fleet import PrinterRow, row_for
from .services import Services

TTY_CHECK_S = 5.0
STORE_CHECK_S = 2.0
REFRESH_S = 0.25
GC_FULL_AFTER_IDLE_S = 2.0  # a full collection waits until nobody has typed for this long …
GC_AFTER_POLL_S = 5.0  # … and, after a poll-all, until its last save and redraws are over …
GC_FULL_EVERY = 100  # … and until as many younger collections as Python's default would wait


class TonerTrackApp(App):
    TITLE = "TonerTrack"
    CSS_PATH = "tonertrack.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark,f1", "help", "Help", id="help", key_display="?"),
        Binding("P", "poll_all", "Poll all", id="poll_all"),
        Binding("A", "alerts", "Alerts", id="alerts"),
        Binding("x", "export", "Export", id="export"),
        Binding("comma", "settings", "Settings", id="settings", key_display=","),
    ]

    def __init__(self, services: Services, *, auto_poll: bool = True, watch_store: bool = True,
                 check_tty: bool = True) -> None:
        super().__init__()
        self.services = services
        self.auto_poll = auto_poll
        self.watch_store = watch_store
        self.check_tty = check_tty
        self.records: dict[str, dict[str, Any]] = {r["id"]: r for r in services.records}
        self._rows: dict[str, PrinterRow] = {}
        self._all_rows: list[PrinterRow] | None = None
        self._dirty: set[str] = set()
        self._all_dirty = False
        self.fleet_changed: Signal[set[str] | None] = Signal(self, "fleet-changed")
        self.poll_state_changed: Signal[None] = Signal(self, "poll-state-changed")
        self.polling = False
        self.poll_done = 0
        self.poll_total = 0
        self.poll_current = ""
        self.polling_elsewhere: str | None = None
        self.last_poll_finished: datetime | None = None
        self.next_poll_at: datetime | None = None
        self._auto_timer = None
        # SNMP work runs on an event loop of its own (core/loopthread.py): decoding a burst of
        # replies must not hold up drawing. Its results come back through `_arrived`.
        self.snmp = LoopThread()
        self._arrived: deque[tuple[str, PollResult]] = deque()
        self._last_input = 0.0
        self._gc_threshold: tuple[int, int, int] | None = None
        self._gc_full_due_at: float | None = None
        self._store_token = services.store.token if services.store is not None else None

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def config(self):
        return self.services.config

    @property
    def store(self):
        return self.services.store

    @property
    def poller(self):
        return self.services.poller

    def now(self) -> datetime:
        return self.services.clock()

    def on_mount(self) -> None:
        if self.services.load_error:
            from .screens.load_error import LoadErrorScreen

            self.push_screen(LoadErrorScreen(self.services.load_error, self.services.load_error_file))
            return
        if not self.is_headless and self.console.color_system == "standard":
            # 16 colours: Textual's remapping turns warnings bright red; the terminal's own
            # palette keeps red, yellow, green and magenta what they say
            self.ansi_color = True
        # The inventory and the modules are long-lived: keep them out of full collections.
        # (Frozen once, here: objects frozen later and then dropped in a cycle, such as the
        # ring of a cleared LRU cache, would never be freed.)
        gc.collect()
        gc.freeze()
        # Full collections are the app's own from here (see _collect_garbage): one walks
        # every render cache and poll result (150,000+ objects with 1,000 printers) with every
        # thread stopped, 100-200 ms — never while a poll runs or a key was just pressed.
        # Python still collects the young generations, a millisecond or two at a time.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(self._gc_threshold[0], self._gc_threshold[1], 1 << 30)
        keys = dict(self.config.ui.keys) if self.config else {}
        if keys:
            self.set_keymap(keys)
        from .screens.printers import PrintersScreen

        self.push_screen(PrintersScreen())
        self.set_interval(REFRESH_S, self._flush_dirty)
        if self.watch_store:
            self.set_interval(STORE_CHECK_S, self._check_store)
        if self.check_tty:
            self._watch_terminal()
        if self.auto_poll:
            self._schedule_first_poll()

    def on_unmount(self) -> None:
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
        self.snmp.close(cleanup=self.poller.close if self.poller is not None else None)

    def _watch_terminal(self) -> None:
        """Exit when the SSH session (our terminal) goes away, as Dolphie does."""
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

        def check() -> None:
            try:
                alive = os.isatty(sys.__stdout__.fileno()) and os.getppid() != 1
            except (OSError, ValueError, AttributeError):
                alive = False
            if not alive:
                self.exit()

        if sys.__stdout__ is not None and sys.__stdout__.isatty():
            self.set_interval(TTY_CHECK_S, check)

    # -- fleet state ---------------------------------------------------------------------------

    def row(self, printer_id: str) -> PrinterRow | None:
        row = self._rows.get(printer_id)
        if row is None and printer_id in self.records:
            row = self._rows[printer_id] = row_for(self.records[printer_id])
        return row

    def all_rows(self) -> list[PrinterRow]:
        """Every printer's row (the same list until a printer changes: callers don't modify it)."""
        if self._all_rows is None:
            self._all_rows = [r for r in (self.row(pid) for pid in self.records) if r is not None]
        return self._all_rows

    def mark_dirty(self, printer_id: str | None = None) -> None:
        self._all_rows = None
        if printer_id is None:
            self._all_dirty = True
            self._rows.clear()
        else:
            self._dirty.add(printer_id)
            self._rows.pop(printer_id, None)

    def _take_arrived(self) -> None:
        """Apply the poll results the SNMP thread handed over since the last refresh."""
        while self._arrived:
            self._apply_result(*self._arrived.popleft())

    def _apply_result(self, printer_id: str, result: PollResult) -> None:
        """A poll result into the app's copy of the record, as the store applies it."""
        mine = self.records.get(printer_id)
        if mine is None:
            return
        apply_poll(mine, result, self.config.polling.offline_after if self.config else 3)
        self.mark_dirty(printer_id)
        if result.reachable:  # the row from the result itself, not from its JSON parsed back
            self._rows[printer_id] = row_for(mine, result)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def _collect_garbage(self) -> None:
        """The full collection, when no poll runs and nobody has typed for 2 s, after a poll-all
        or once Python would have run one. Render caches (Textual's Strips refer to themselves)
        are cyclic garbage that only a collection frees."""
        now = time.monotonic()
        if self._gc_threshold is None or self.polling or now - self._last_input < GC_FULL_AFTER_IDLE_S:
            return
        if self._gc_full_due_at is not None:
            due = now >= self._gc_full_due_at
        else:
            due = gc.get_count()[2] >= GC_FULL_EVERY
        if due:
            self._gc_full_due_at = None
            gc.collect()

    def _flush_dirty(self) -> None:
        self._collect_garbage()
        self._take_arrived()
        if self._all_dirty:
            self._all_dirty = False
            self._dirty.clear()
            self.fleet_changed.publish(None)
        elif self._dirty:
            dirty, self._dirty = self._dirty, set()
            self.fleet_changed.publish(dirty)

    def replace_records(self, records: list[dict[str, Any]]) -> None:
        self.records = {r["id"]: r for r in records}
        self.mark_dirty(None)
        self._flush_dirty()

    async def reload_records(self) -> None:
        if self.store is None:
            return
        try:
            records = await asyncio.to_thread(self.store.load)
        except StoreError as exc:
            self.notify(str(exc), title="Cannot read the inventory", severity="error", timeout=15)
            return
        self._store_token = self.store.token
        self.replace_records(records)

    def _check_store(self) -> None:
        if self.store is None:
            return
        if self.store.changed_since(self._store_token):
            self.run_worker(self.reload_records(), group="reload", exclusive=True, exit_on_error=False)
        if self.poller is not None and not self.polling:
            held = self.poller.lock.is_held_elsewhere()
            holder = describe_holder(self.poller.lock.holder()) if held else None
            if holder != self.polling_elsewhere:
                self.polling_elsewhere = holder
                self.poll_state_changed.publish(None)

    # App-wide single keys must not fire under a modal: a stray `q` on a form's Select
    # would quit and lose what was typed.
    _GLOBAL_ACTIONS = frozenset({"quit", "poll_all", "alerts", "export", "settings", "help"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self._GLOBAL_ACTIONS and isinstance(self.screen, ModalScreen):
            return False
        return True

    # -- polling ---------------------------------------------------------------------------------

    def reschedule_poll(self) -> None:
        """Apply a changed poll interval to the pending auto-poll (after Settings saves)."""
        if self.polling or not self.auto_poll:
            return
        interval = self._interval()
        if interval is None:
            if self._auto_timer is not None:
                self._auto_timer.stop()
                self._auto_timer = None
            self.next_poll_at = None
            self.poll_state_changed.publish(None)
            return
        last = self.last_poll_finished or max(
            (r.last_poll_at for r in self.all_rows() if r.last_poll_at), default=None)
        due = self.now() if last is None else last + interval
        self._schedule_poll(max(0.0, (due - self.now()).total_seconds()))

    def _interval(self) -> timedelta | None:
        seconds = self.config.polling.interval_s if self.config else 0
        return timedelta(seconds=seconds) if seconds and seconds > 0 else None

    def _schedule_first_poll(self) -> None:
        interval = self._interval()
        if interval is None or not self.records:
            return
        last = max((r.last_poll_at for r in self.all_rows() if r.last_poll_at), default=None)
        due = self.now() if last is None else last + interval
        delay = max(0.0, (due - self.now()).total_seconds())
        self._schedule_poll(delay)

    def _schedule_poll(self, delay: float) -> None:
        if self._auto_timer is not None:
            self._auto_timer.stop()
        self.next_poll_at = self.now() + timedelta(seconds=delay)
        self._auto_timer = self.set_timer(max(0.05, delay), self._auto_poll)  # 0 divides by zero in Timer
        self.poll_state_changed.publish(None)

    def _auto_poll(self) -> None:
        self._auto_timer = None
        self.start_poll_all(auto=True)

    def action_poll_all(self) -> None:
        self.start_poll_all()

    def start_poll_all(self, *, auto: bool = False) -> None:
        if self.poller is None or self.polling:
            if self.polling and not auto:
                self.notify("A poll of the whole fleet is already running.")
            return
        if not self.records:
            if not auto:
                self.notify("No printers yet: press a to add one.")
            return
        self.run_worker(self._poll_all(auto), group="fleet-poll", exclusive=True, exit_on_error=False)

    async def _poll_all(self, auto: bool) -> None:
        assert self.poller is not None
        self.polling = True
        self.poll_done, self.poll_total, self.poll_current = 0, len(self.records), ""
        self.poll_state_changed.publish(None)

        # both called on the SNMP thread: hand over, never touch the app's records there
        def on_result(record: dict[str, Any], result: PollResult) -> None:
            self._arrived.append((record["id"], result))

        def progress(done: int, total: int, address: str) -> None:
            self.poll_done, self.poll_total, self.poll_current = done, total, address

        try:
            # results reach the screen through on_result; the summary need not hold 1,000 of them
            await self.snmp.run(self.poller.poll_all(on_result=on_result, progress=progress, by="TUI",
                                                     keep_results=False))
        except FleetPollBusy as busy:
            self.polling_elsewhere = str(busy)
            if not auto:
                self.notify(f"Not polling twice: {busy}. Its results show here as they are saved.",
                            title="Fleet poll already running", timeout=10)
        except StoreError as exc:
            self.notify(str(exc), title="Could not save poll results", severity="error", timeout=15)
        except Exception as exc:  # a poll must never end the app
            self.notify(f"{type(exc).__name__}: {exc}", title="Poll failed", severity="error", timeout=15)
        else:
            self.last_poll_finished = self.now()
        finally:
            self._take_arrived()
            self._gc_full_due_at = time.monotonic() + GC_AFTER_POLL_S
            self.polling = False
            self._store_token = self.store.token if self.store else None
            interval = self._interval()
            if interval is not None and self.auto_poll:
                self._schedule_poll(interval.total_seconds())
            else:
                self.next_poll_at = None
            self.poll_state_changed.publish(None)

    def poll_printer(self, printer_id: str) -> None:
        record = self.records.get(printer_id)
        if record is None or self.poller is None:
            return
        self.run_worker(self._poll_one(record), group=f"poll-{printer_id}", exclusive=True, exit_on_error=False)

    async def _poll_one(self, record: dict[str, Any]) -> None:
        name = record.get("name") or record.get("address")
        try:
            result = await self.snmp.run(self.poller.poll_record(dict(record)))
        except StoreError as exc:
            self.notify(str(exc), title="Could not save the poll result", severity="error", timeout=15)
            return
        except Exception as exc:
            self.notify(f"{type(exc).__name__}: {exc}", title="Poll failed", severity="error")
            return
        self._apply_result(record["id"], result)
        self._store_token = self.store.token if self.store else None
        from .core.util.textsafe import safe_text

        self.notify(f"{safe_text(name, limit=60)}: {result.status}" if result.reachable
                    else f"{safe_text(name, limit=60)}: {safe_text(result.reasons[0] if result.reasons else 'no reply')}",
                    title="Polled", markup=False)

    # -- navigation --------------------------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_alerts(self) -> None:
        from .screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen())

    def action_export(self) -> None:
        from .screens.export import ExportScreen

        if not isinstance(self.screen, ExportScreen):
            self.push_screen(ExportScreen())

    def action_settings(self) -> None:
        from .screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def action_sync(self) -> None:
        from .screens.sync import SyncScreen

        if not isinstance(self.screen, SyncScreen) and self.store is not None:
            self.push_screen(SyncScreen())

    def action_discover(self) -> None:
        from .screens.discover import DiscoverScreen

        if not isinstance(self.screen, DiscoverScreen) and self.store is not None:
            self.push_screen(DiscoverScreen())

    def get_system_commands(self, screen):
        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        yield SystemCommand("Print-server sync", "Show the sync plan of the configured sources; apply it",
                            self.action_sync)
        yield SystemCommand("Discover printers", "Find SNMP printers on an address range and add them",
                            self.action_discover)

    def show_details(self, printer_id: str) -> None:
        from .screens.details import DetailsScreen

        self.push_screen(DetailsScreen(printer_id))


def create_app(config_path: str | None = None, data_dir: str | None = None, *, clock=None,
               auto_poll: bool = True, watch_store: bool = True, check_tty: bool = True,
               services: Services | None = None) -> TonerTrackApp:
    """The one app factory: used by `tonertrack`, `tonertrack demo` and the tests."""
    from .services import build_services

    services = services or build_services(config_path, data_dir, clock=clock)
    return TonerTrackApp(services, auto_poll=auto_poll, watch_store=watch_store, check_tty=check_tty)
