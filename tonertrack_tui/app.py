"""The Textual app: it owns the fleet in memory, the poll scheduler and every change to the store.

Data flows one way. The SNMP work runs on a thread of its own (core/polling/loopthread.py)
and sends what it finds as messages (`PollResultsArrived`, `PollProgress`); the App applies
them to its `LiveFleet` and tells screens what changed through the `fleet_changed` signal
(printer ids) at most a few times a second. Screens never write the store: they ask the App
(`add_printer`, `update_printer`, `delete_printer`, `apply_sync`, `add_found`,
`import_inventory`, `save_settings`, `test_connection`), which saves in a thread and takes
the new state from its own write. Another process's change (a cron poll, a second admin)
is noticed by the store's fingerprint and read in; the App never reads back what it wrote.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from textual import events, on
from textual.app import App
from textual.filter import Monochrome, NoColor
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.widgets import Input

from .core.config import Config
from .core.inventory.history import History
from .core.inventory.importers import ImportPlan, apply_import
from .core.inventory.printer import Printer
from .core.inventory.store import Store, StoreError
from .core.polling.discover import DiscoverResult, Found, add_found, discover
from .core.polling.fleet import FleetPollBusy, FleetPoller, describe_holder
from .core.polling.loopthread import LoopThread
from .core.printer.model import PollResult
from .core.printer.status import Thresholds
from .core.role import FULL, ReadOnlyError, Role
from .core.snmp.credentials import SnmpSettings
from .core.sync.plan import SourceListing, SyncPlan, apply_plan
from .core.util.textsafe import safe_text
from .core.views.fleet import PrinterRow
from .core.views.freshness import stale_note
from .core.views.live import LiveFleet
from .keys import bindings
from .messages import PollProgress, PollResultsArrived, PollState
from .services import Services

TTY_CHECK_S = 5.0
STORE_CHECK_S = 2.0
REFRESH_S = 0.25
GC_FULL_AFTER_IDLE_S = 2.0  # a full collection waits until nobody has typed for this long …
GC_AFTER_POLL_S = 5.0  # … and, after a poll-all, until its last save and redraws are over …
GC_FULL_EVERY = 100  # … and until as many younger collections as Python's default would wait
TYPEAHEAD_WAIT_S = 2.0  # how long keys typed ahead wait for the input that is opening

T = TypeVar("T")


class TonerTrackApp(App[int]):
    TITLE = "TonerTrack"
    CSS_PATH = "tonertrack.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = bindings("app")

    def __init__(self, services: Services, *, auto_poll: bool = True, watch_store: bool = True,
                 check_tty: bool = True, mouse: bool = True, role: Role = FULL) -> None:
        super().__init__()
        self.services = services
        self.role = role
        self.auto_poll = auto_poll and role.polls  # a viewer shows what is stored; it never polls
        self.watch_store = watch_store
        self._versions: dict[str, int] = {}  # the record versions last read (store.load_changes)
        self.check_tty = check_tty
        self.mouse = mouse
        self.fleet = LiveFleet(services.printers)
        self.fleet_changed: Signal[set[str] | None] = Signal(self, "fleet-changed")
        self.poll_state_changed: Signal[None] = Signal(self, "poll-state-changed")
        self.poll_state = PollState()
        self._auto_timer: Any = None
        # SNMP work runs on an event loop of its own: decoding a burst of replies must not
        # hold up drawing. Its results come back as PollResultsArrived messages.
        self.snmp = LoopThread()
        self._last_input = 0.0
        self._gc_threshold: tuple[int, int, int] | None = None
        self._store_error: str | None = None  # the inventory could not be read (said once until it can)
        self._gc_full_due_at: float | None = None
        self._typeahead: list[events.Key] | None = None  # keys held for an input that is opening

    # -- what screens read ------------------------------------------------------------------------

    @property
    def config(self) -> Config | None:
        return self.services.config

    @property
    def store(self) -> Store | None:
        return self.services.store

    @property
    def poller(self) -> FleetPoller | None:
        return self.services.poller

    def now(self) -> datetime:
        return self.services.clock()

    def printer(self, printer_id: str) -> Printer | None:
        return self.fleet.get(printer_id)

    def row(self, printer_id: str) -> PrinterRow | None:
        return self.fleet.row(printer_id)

    def all_rows(self) -> list[PrinterRow]:
        return self.fleet.all_rows()

    def history(self) -> History | None:
        """The page-count and supply-level history (None while the inventory cannot be opened)."""
        if self.store is None:
            return None
        return self.store.history(self.config)

    @property
    def offline_after(self) -> int:
        return self.config.polling.offline_after if self.config else 3

    # -- life cycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.services.load_error:
            self.open_screen("load_error", self.services.load_error, self.services.load_error_file)
            return
        self.start()

    def start(self) -> None:
        """Open the fleet screens and start the live work (also after the load-error screen)."""
        if not self.is_headless and self.console.color_system == "standard":
            self.use_terminal_palette()
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
        self.open_screen("printers")
        self.set_interval(REFRESH_S, self._publish_changes)
        if self.watch_store:
            self.set_interval(STORE_CHECK_S, self._check_store)
        if not self.role.polls:
            self._check_freshness()
            self.set_interval(STORE_CHECK_S, self._check_freshness)
        if self.check_tty:
            self._watch_terminal()
        if self.auto_poll:
            self._schedule_first_poll()

    def use_terminal_palette(self) -> None:
        """16 colours: Textual's remapping turns warnings bright red; the terminal's own
        palette keeps red, yellow, green and magenta what they say.

        With NO_COLOR, Textual chose its Monochrome filter at start (greys, for a truecolour
        theme); on 16 colours those greys round to black, and bars, headers and placeholders
        came out black on black (issue 15 #6). On the terminal's palette no colour means the
        terminal's own foreground and background (Textual's NoColor, what it picks itself for
        an ANSI theme); bold, dim, reverse and underline carry the rest (tonertrack.tcss :nocolor).
        """
        self.ansi_color = True
        if self.no_color:
            self._filters = [NoColor() if isinstance(f, Monochrome) else f for f in self._filters]
            self.refresh(repaint=True)

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
                alive = os.isatty(sys.__stdout__.fileno()) and os.getppid() != 1  # type: ignore[union-attr]
            except (OSError, ValueError, AttributeError):
                alive = False
            if not alive:
                self.exit()

        if sys.__stdout__ is not None and sys.__stdout__.isatty():
            self.set_interval(TTY_CHECK_S, check)

    # -- keys typed ahead ------------------------------------------------------------------------

    # A key bound to one of these actions opens an input (the filter, a form whose first field
    # is a text box). Keys typed after it — fast over SSH, or pasted — are meant for that input,
    # but they reach the App before the input exists or has the focus: held until then.
    OPENS_AN_INPUT = frozenset({"filter", "add", "edit", "new", "settings", "discover", "import_inventory"})

    def _opens_an_input(self, key: str) -> bool:
        if isinstance(self.focused, Input):
            return False
        try:
            active = self.screen.active_bindings.get(key)
        except Exception:  # no screen yet
            return False
        return active is not None and active.enabled and active.binding.action in self.OPENS_AN_INPUT

    def _input_has_focus(self) -> bool:
        return isinstance(self.focused, Input)

    async def _release_typeahead(self) -> None:
        """Hand the held keys over, in order, to whatever has the focus now."""
        if self._typeahead is None:
            return
        held, self._typeahead = self._typeahead, None
        for key in held:
            await super().on_event(events.Key(key.key, key.character))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:  # (a forwarded key bubbles back here)
            if self._typeahead is not None:
                if not self._input_has_focus():
                    self._typeahead.append(event)
                    return
                await self._release_typeahead()
            elif self._opens_an_input(event.key):
                self._typeahead = []
                # nothing opened after all (no printer selected…): the keys go where they would have
                self.set_timer(TYPEAHEAD_WAIT_S, self._release_typeahead)
        await super().on_event(event)

    async def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self._typeahead is not None and self._input_has_focus():
            await self._release_typeahead()

    def _collect_garbage(self) -> None:
        """The full collection, when no poll runs and nobody has typed for 2 s, after a poll-all
        or once Python would have run one. Render caches (Textual's Strips refer to themselves)
        are cyclic garbage that only a collection frees."""
        now = time.monotonic()
        if self._gc_threshold is None or self.poll_state.running or now - self._last_input < GC_FULL_AFTER_IDLE_S:
            return
        if self._gc_full_due_at is not None:
            due = now >= self._gc_full_due_at
        else:
            due = gc.get_count()[2] >= GC_FULL_EVERY
        if due:
            self._gc_full_due_at = None
            gc.collect()

    # -- the fleet in memory ------------------------------------------------------------------------

    def _publish_changes(self) -> None:
        """Tell screens which printers changed since the last beat (a few times a second at most)."""
        self._collect_garbage()
        changed = self.fleet.take_changes()
        if changed is None or changed:
            self.fleet_changed.publish(changed)

    def _refresh_now(self) -> None:
        self._publish_changes()

    @on(PollResultsArrived)
    def _results_arrived(self, message: PollResultsArrived) -> None:
        for printer_id, result in message.results:
            self.fleet.apply_result(printer_id, result, self.offline_after)

    @on(PollProgress)
    def _progress(self, message: PollProgress) -> None:
        self.poll_state.done, self.poll_state.total = message.done, message.total
        self.poll_state_changed.publish(None)

    def _replace_fleet(self, printers: Iterable[Printer]) -> None:
        self.fleet.replace_all(printers)
        self._refresh_now()

    async def reload(self) -> None:
        """Read the inventory again (another process changed it)."""
        if self.store is None:
            return
        store = self.store
        try:
            # on postgresql, the rows whose version moved, not the whole table
            ids, changed, self._versions = await asyncio.to_thread(store.load_changes, self._versions)
        except StoreError as exc:
            if str(exc) != self._store_error:  # said once, not at every check while it lasts
                self._store_error = str(exc)
                self.notify(f"{exc}. The last data read stays on screen; it reloads by itself when it can.",
                            title="Cannot read the inventory", severity="error", timeout=30, markup=False)
            return
        if self._store_error is not None:
            self._store_error = None
            self.notify("The inventory can be read again.", title="Inventory back", markup=False)
        self.fleet.apply(ids, changed)
        self._refresh_now()

    async def _reload_if_changed(self, store: Store) -> None:
        if store.external_change or self._store_error is not None \
                or await asyncio.to_thread(store.changed_since, store.token):
            await self.reload()

    def _check_store(self) -> None:
        store = self.store
        if store is None:
            return
        # in a thread: on the postgresql backend the check is a query, and a database that does
        # not answer must not freeze the screen
        self.run_worker(self._reload_if_changed(store), group="store-check", exclusive=True, exit_on_error=False)
        if self.poller is not None and not self.poll_state.running:
            held = self.poller.lock.is_held_elsewhere()
            holder = describe_holder(self.poller.lock.holder()) if held else None
            if holder != self.poll_state.elsewhere:
                self.poll_state.elsewhere = holder
                self.poll_state_changed.publish(None)

    def _check_freshness(self) -> None:
        """A session that does not poll says when what is stored is older than expected."""
        interval = self.config.polling.interval_s if self.config else 0
        note = stale_note(self.fleet.printers.values(), self.now(), interval)
        if note != self.poll_state.stale:
            self.poll_state.stale = note
            self.poll_state_changed.publish(None)

    # -- the role: what this session may do (core/role.py) ------------------------------------------

    def refusal(self, action: str) -> str | None:
        """Why this session may not run `action` (a binding's action or a method name), or None."""
        return self.role.refusal(action)

    def _check_role(self, action: str) -> None:
        """The guard every change and every poll passes: raises ReadOnlyError when refused."""
        why = self.role.refusal(action)
        if why is not None:
            raise ReadOnlyError(why)

    async def run_action(self, action: Any, default_namespace: Any = None, namespaces: Any = None) -> bool:
        """Keys, clicks and the palette run actions through here: a refused one says why."""
        if isinstance(action, str):
            why = self.role.refusal(action)
            if why is not None:
                self.notify(why, title="Not in this session", severity="warning", markup=False)
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def _check_action_state(self, action: str, default_namespace: Any) -> bool | None:
        # Textual asks this for every binding it shows (footer, palette): a refused one is hidden
        if self.role.refusal(action) is not None:
            return False
        return super()._check_action_state(action, default_namespace)

    # -- every change to the store goes through here ---------------------------------------------------

    async def _write(self, operation: Callable[[], T], action: str) -> T:
        """Run a store operation in a thread; the fleet is then what that write saved."""
        self._check_role(action)
        store = self.store
        if store is None:
            raise StoreError("the inventory could not be opened")

        def run() -> tuple[T, list[Printer] | None]:
            with store.capturing() as captured:
                outcome = operation()
            return outcome, captured.printers

        outcome, saved = await asyncio.to_thread(run)
        if saved is not None:
            self._replace_fleet(saved)
        return outcome

    async def add_printer(self, printer: Printer) -> Printer:
        assert self.store is not None
        store = self.store
        return await self._write(lambda: store.add(printer), "add")

    async def update_printer(self, printer_id: str, **fields: Any) -> Printer:
        assert self.store is not None
        store = self.store
        return await self._write(lambda: store.update(printer_id, **fields), "edit")

    async def delete_printer(self, printer_id: str) -> Printer:
        assert self.store is not None
        store = self.store
        return await self._write(lambda: store.remove(printer_id), "delete")

    async def apply_sync(self, plan: SyncPlan, listings: list[SourceListing]) -> SyncPlan:
        assert self.store is not None
        store = self.store
        return await self._write(lambda: apply_plan(plan, listings, store), "apply")

    async def add_found(self, found: list[Found], snmp: dict[str, Any]) -> list[Printer]:
        assert self.store is not None
        store = self.store
        return await self._write(lambda: add_found(store, found, snmp), "add_checked")

    async def import_inventory(self, plan: ImportPlan) -> dict[str, int]:
        assert self.store is not None
        store = self.store
        return await self._write(lambda: apply_import(plan, store, self.history()), "run_import")

    async def save_settings(self, changes: Mapping[str, Any]) -> Config:
        """Save settings.toml and apply it now (thresholds re-judge every row, a new interval
        reschedules the next poll)."""
        self._check_role("save_settings")
        assert self.config is not None
        old = self.config
        await asyncio.to_thread(old.save_settings, changes)
        await asyncio.to_thread(self.services.reload_config)
        new = self.config
        assert new is not None
        if new.polling.interval_s != old.polling.interval_s:
            self.reschedule_poll()
        if new.ui.keys != old.ui.keys:
            self.set_keymap(dict(new.ui.keys))
        return new

    async def discover(self, addresses: list[str], settings: SnmpSettings, *, port: int, known: set[str],
                       progress: Callable[[int, int, Any], None]) -> DiscoverResult:
        """Probe an address range for printers on the SNMP thread (progress is called there)."""
        self._check_role("discover")
        poller = self.poller
        if poller is None:
            raise StoreError("the inventory could not be opened")
        concurrency = self.config.polling.concurrency if self.config else 64
        return await self.snmp.run(discover(poller.client, addresses, settings, port=port, concurrency=concurrency,
                                            known=known, progress=progress))

    async def test_connection(self, address: str, settings: SnmpSettings, thresholds: Thresholds | None, *,
                              invert_receptacles: bool = False) -> PollResult:
        """One poll of a device that need not be in the inventory (the form's Test): nothing saved."""
        self._check_role("test_connection")
        poller = self.poller
        if poller is None:
            raise StoreError("the inventory could not be opened")
        return await self.snmp.run(poller.probe(address, settings, thresholds, invert_receptacles=invert_receptacles))

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
        if self.poll_state.running or not self.auto_poll:
            return
        interval = self._interval()
        if interval is None:
            if self._auto_timer is not None:
                self._auto_timer.stop()
                self._auto_timer = None
            self.poll_state.next_at = None
            self.poll_state_changed.publish(None)
            return
        last = self.poll_state.last_finished or max(
            (r.last_poll_at for r in self.all_rows() if r.last_poll_at), default=None)
        due = self.now() if last is None else last + interval
        self._schedule_poll(max(0.0, (due - self.now()).total_seconds()))

    def _interval(self) -> timedelta | None:
        seconds = self.config.polling.interval_s if self.config else 0
        return timedelta(seconds=seconds) if seconds and seconds > 0 else None

    def _schedule_first_poll(self) -> None:
        interval = self._interval()
        if interval is None or not self.fleet.printers:
            return
        last = max((r.last_poll_at for r in self.all_rows() if r.last_poll_at), default=None)
        due = self.now() if last is None else last + interval
        self._schedule_poll(max(0.0, (due - self.now()).total_seconds()))

    def _schedule_poll(self, delay: float) -> None:
        if self._auto_timer is not None:
            self._auto_timer.stop()
        self.poll_state.next_at = self.now() + timedelta(seconds=delay)
        self._auto_timer = self.set_timer(max(0.05, delay), self._auto_poll)  # 0 divides by zero in Timer
        self.poll_state_changed.publish(None)

    def _auto_poll(self) -> None:
        self._auto_timer = None
        self.start_poll_all(auto=True)

    def action_poll_all(self) -> None:
        self.start_poll_all()

    def start_poll_all(self, *, auto: bool = False) -> None:
        if (why := self.refusal("poll_all")) is not None:
            if not auto:
                self.notify(why, title="Not in this session", severity="warning", markup=False)
            return
        if self.poller is None or self.poll_state.running:
            if self.poll_state.running and not auto:
                self.notify("A poll of the whole fleet is already running.")
            return
        if not self.fleet.printers:
            if not auto:
                self.notify("No printers yet: press a to add one.")
            return
        self.run_worker(self._poll_all(auto), group="fleet-poll", exclusive=True, exit_on_error=False)

    async def _poll_all(self, auto: bool) -> None:
        poller = self.poller
        assert poller is not None
        state = self.poll_state
        state.running, state.done, state.total = True, 0, len(self.fleet)
        self.poll_state_changed.publish(None)
        arrived: list[tuple[str, PollResult]] = []

        # called on the SNMP thread: collect, and hand over as messages a few times a second
        def on_result(printer: Printer, result: PollResult) -> None:
            arrived.append((printer.id, result))

        def progress(done: int, total: int, address: str) -> None:
            self.post_message(PollProgress(done, total))

        async def forward() -> None:
            while True:
                await asyncio.sleep(REFRESH_S)
                hand_over()

        def hand_over() -> None:
            if arrived:
                batch = arrived[:]
                del arrived[:len(batch)]
                self.post_message(PollResultsArrived(batch))

        async def poll() -> None:
            forwarder = asyncio.ensure_future(forward())
            try:
                # results reach the screen through on_result; the summary need not hold 1,000 of them
                await poller.poll_all(on_result=on_result, progress=progress, by="TUI", keep_results=False)
            finally:
                forwarder.cancel()
                hand_over()

        try:
            await self.snmp.run(poll())
        except FleetPollBusy as busy:
            state.elsewhere = str(busy)
            if not auto:
                self.notify(f"Not polling twice: {busy}. Its results show here as they are saved.",
                            title="Fleet poll already running", timeout=10, markup=False)
        except StoreError as exc:
            self.notify(str(exc), title="Could not save poll results", severity="error", timeout=15, markup=False)
        except Exception as exc:  # a poll must never end the app
            self.notify(f"{type(exc).__name__}: {exc}", title="Poll failed", severity="error", timeout=15,
                        markup=False)
        else:
            state.last_finished = self.now()
        finally:
            self._gc_full_due_at = time.monotonic() + GC_AFTER_POLL_S
            state.running = False
            interval = self._interval()
            if interval is not None and self.auto_poll:
                self._schedule_poll(interval.total_seconds())
            else:
                state.next_at = None
            self.poll_state_changed.publish(None)

    def poll_printer(self, printer_id: str) -> None:
        if (why := self.refusal("poll")) is not None:
            self.notify(why, title="Not in this session", severity="warning", markup=False)
            return
        printer = self.fleet.get(printer_id)
        if printer is None or self.poller is None:
            return
        self.run_worker(self._poll_one(printer), group=f"poll-{printer_id}", exclusive=True, exit_on_error=False)

    async def _poll_one(self, printer: Printer) -> None:
        poller = self.poller
        assert poller is not None
        name = safe_text(printer.display_name, limit=60)
        try:
            result = await self.snmp.run(poller.poll_printer(printer))
        except StoreError as exc:
            self.notify(str(exc), title="Could not save the poll result", severity="error", timeout=15, markup=False)
            return
        except Exception as exc:
            self.notify(f"{type(exc).__name__}: {exc}", title="Poll failed", severity="error", markup=False)
            return
        self.fleet.apply_result(printer.id, result, self.offline_after)
        self._refresh_now()
        why = safe_text(result.reasons[0] if result.reasons else "no reply")
        self.notify(f"{name}: {result.status}" if result.reachable else f"{name}: {why}", title="Polled",
                    markup=False)

    # -- navigation --------------------------------------------------------------------------------

    def open_screen(self, name: str, *args: Any, callback: Callable[[Any], None] | None = None) -> None:
        """Push one of the screens (by its name in SCREEN_CLASSES) unless it is already on top."""
        screen_type = screen_class(name)
        if isinstance(self.screen, screen_type) and not args:
            return
        self.push_screen(screen_type(*args), callback)

    def action_help(self) -> None:
        self.open_screen("help")

    def action_alerts(self) -> None:
        self.open_screen("alerts")

    def action_export(self) -> None:
        self.open_screen("export")

    def action_settings(self) -> None:
        self.open_screen("settings")

    def action_sync(self) -> None:
        if self.store is not None:
            self.open_screen("sync")

    def action_discover(self) -> None:
        if self.store is not None:
            self.open_screen("discover")

    def action_import_inventory(self) -> None:
        if self.store is not None:
            self.open_screen("import")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[Any]:
        from textual.app import SystemCommand

        commands = [
            *super().get_system_commands(screen),
            SystemCommand("Print-server sync", "Show the sync plan of the configured sources; apply it",
                          self.action_sync),
            SystemCommand("Discover printers", "Find SNMP printers on an address range and add them",
                          self.action_discover),
            SystemCommand("Import printers", "From TonerTrack v2's printers.json, a CSV or a backup; preview first",
                          self.action_import_inventory),
        ]
        # the palette calls methods, not actions: a refused one is not offered (its method refuses too)
        yield from (c for c in commands if self.refusal(getattr(c.callback, "__name__", "").removeprefix("action_"))
                    is None)

    def show_details(self, printer_id: str) -> None:
        self.open_screen("details", printer_id)


# Screens by name. They import the App (for its type); the App finds them by name, so the two
# never import each other and a screen's module loads when it is first opened.
SCREEN_CLASSES = {
    "printers": "printers:PrintersScreen",
    "details": "details:DetailsScreen",
    "alerts": "alerts:AlertsScreen",
    "import": "import_inventory:ImportScreen",
    "help": "help:HelpScreen",
    "export": "export:ExportScreen",
    "settings": "settings:SettingsScreen",
    "sync": "sync:SyncScreen",
    "discover": "discover:DiscoverScreen",
    "load_error": "load_error:LoadErrorScreen",
    "form": "printer_form:PrinterFormScreen",
    "confirm": "confirm:ConfirmScreen",
}


def screen_class(name: str) -> type[Screen[Any]]:
    module, _, cls = SCREEN_CLASSES[name].partition(":")
    found: type[Screen[Any]] = getattr(importlib.import_module(f"{__package__}.screens.{module}"), cls)
    return found


def create_app(config_path: str | None = None, data_dir: str | None = None, *,
               clock: Callable[[], datetime] | None = None, auto_poll: bool = True, watch_store: bool = True,
               check_tty: bool = True, services: Services | None = None, role: Role = FULL) -> TonerTrackApp:
    """The one app factory: used by `tonertrack`, `tonertrack demo` and the tests."""
    from .services import build_services

    services = services or build_services(config_path, data_dir, clock=clock)
    return TonerTrackApp(services, auto_poll=auto_poll, watch_store=watch_store, check_tty=check_tty, role=role)
