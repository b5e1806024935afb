"""How each screen looks: pytest-textual-snapshot baselines at 80×24 and 120×40.

The app comes from the real factory (`create_app`) with a fixed clock, no auto-poll,
no store watcher and no TTY check. The fleet is real poll results: the tests/data
recordings polled once through `sim_fleet`, then pinned (fixed addresses, poll times
relative to the fixed clock, fixed durations) so nothing on screen moves between runs.
Paths are shown under a temporary HOME ("~/…"); the load-error screen names its file
in full, so that one lives at a fixed path.

Update the baselines after a deliberate change, and look at them before committing:

    .venv/bin/pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.history import History, Sample
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.polling.poller import poll_targets, run_with_client
from tonertrack_tui.core.printer.model import PollResult
from tonertrack_tui.core.printer.status import worst_supply
from tonertrack_tui.core.snmp.credentials import SnmpSettings

FIXED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
# The load-error screen prints the full path of the broken file: keep it the same every run.
LOAD_ERROR_DIR = Path("/tmp/tonertrack-snapshot")
CORRUPT_INVENTORY = b'{"schema": 1, "printers": [\n{"id": "x"'

# (recording = community, fixed address, location, minutes since the poll)
FLEET = [
    ("colour_mfp", "10.20.1.21", "B1 – 2nd floor, copy room", 2),
    ("mono_laser", "10.20.1.35", "B1 – Accounts", 2),
    ("inkjet", "10.20.2.14", "B2 – Marketing", 3),
    ("v3_printer", "10.20.2.40", "B2 – Finance", 2),
    ("non_printer", "10.20.9.2", "B1 – 2nd floor, rack", 4),
]
OFFLINE = ("10.20.3.12", "HP-B3-3F-OLD", "B3 – 3rd floor")
NEVER_POLLED = ("10.20.3.90", "B3 – Stores")


def clock() -> datetime:
    return FIXED


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def polled(sim_fleet) -> dict[str, PollResult]:
    """Each recording polled once over SNMP (module scope: one poll per xdist worker)."""
    targets = [(sim_fleet.address(0), SnmpSettings(version="2c", community=name, timeout=2.0, retries=2))
               for name, *_ in FLEET]
    results = asyncio.run(run_with_client(lambda client: poll_targets(client, targets)))
    by_name = {}
    for (name, *_), result in zip(FLEET, results, strict=False):
        assert result.reachable, (name, result.reasons)
        by_name[name] = result
    return by_name


@pytest.fixture(autouse=True)
def _steady_environment(tmp_path, monkeypatch):
    """UTC wall clock (details print local times), paths shown as ~/…, no animations."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("NO_COLOR", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def write_config(root: Path) -> Path:
    config = root / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("# hand-written\n[polling]\ninterval_s = 300\ntimeout_s = 1.0\nretries = 1\n")
    return config


def build_fleet(data_dir: Path, polled: dict[str, PollResult]) -> dict[str, str]:
    """printers.json (and some page/level history) for the fixed fleet; returns {recording: id}."""
    store = Store(data_dir)
    ids: dict[str, str] = {}
    pinned = []
    for name, address, location, minutes in FLEET:
        result = PollResult.from_json(polled[name].to_json())
        result = replace(result, target=address, polled_at=iso(FIXED - timedelta(minutes=minutes)),
                         duration_ms=38.0 + minutes)
        record = store.add(Printer.new(address, location=location, added_at="2025-01-10T09:00:00Z"))
        ids[name] = record.id
        pinned.append((record.id, result))
    store.record_poll(pinned)

    address, name, location = OFFLINE
    offline = store.add(Printer.new(address, name=name, location=location, added_at="2025-01-10T09:00:00Z"))
    good = replace(PollResult.from_json(polled["v3_printer"].to_json()), target=address,
                   polled_at=iso(FIXED - timedelta(hours=6)), duration_ms=51.0)
    good = replace(good, identity=replace(good.identity, name=name, model="HP LaserJet P3015"))
    store.record_poll([(offline.id, good)])
    for minutes in (25, 15, 5):
        store.record_poll([(offline.id, PollResult(target=address, reachable=False, timed_out=True,
                                                      polled_at=iso(FIXED - timedelta(minutes=minutes)),
                                                      reasons=["no reply within 2 s"]))])
    address, location = NEVER_POLLED
    store.add(Printer.new(address, location=location, added_at="2025-03-05T11:58:00Z"))

    # 30 days of the colour MFP: pages per day and its worst supply falling.
    mfp = polled["colour_mfp"]
    worst = worst_supply(mfp.supplies)
    history = History(data_dir)
    samples = []
    count = (mfp.page_count or 0) - 30 * 180
    for day in range(30, 0, -1):
        when = FIXED - timedelta(days=day, hours=3)
        count += 60 + (day * 37) % 240 if when.weekday() < 5 else 5
        pct = min(100, worst.remaining_pct + day * 2) if worst and worst.remaining_pct is not None else None
        supplies = {worst.index: {"level": pct, "max": 100, "remaining_pct": pct,
                                  "description": worst.description, "kind": worst.kind}} if worst else {}
        samples.append(Sample(ids["colour_mfp"], iso(when), count, supplies))
    history.append(samples, today=(FIXED - timedelta(days=1)).date())
    return ids


def make_app(tmp_path: Path, data_dir: Path | None = None):
    config = write_config(tmp_path)
    app = create_app(config_path=str(config), data_dir=str(data_dir or tmp_path / "data"), clock=clock,
                     auto_poll=False, watch_store=False, check_tty=False)
    app.animation_level = "none"
    return app


async def settle(pilot) -> None:
    """Workers done, the throttled fleet refresh flushed, no blinking cursor."""
    from textual.widgets import Input

    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    for box in app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def steps(*keys: str):
    async def run_before(pilot) -> None:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await settle(pilot)
    return run_before


@pytest.fixture
def fleet_app(tmp_path, polled):
    ids = build_fleet(tmp_path / "data", polled)
    return make_app(tmp_path), ids


# ---------------------------------------------------------------------- screens


@pytest.mark.parametrize("size", SIZES)
def test_printers_screen(snap_compare, fleet_app, size):
    app, _ = fleet_app
    assert snap_compare(app, terminal_size=size, run_before=steps())


@pytest.mark.parametrize("size", SIZES)
def test_details_screen(snap_compare, fleet_app, size):
    app, ids = fleet_app

    async def run_before(pilot) -> None:
        from tonertrack_tui.widgets.printer_table import PrinterTable

        await pilot.pause()
        app.screen.query_one(PrinterTable).select_id(ids["colour_mfp"])
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_alerts_screen(snap_compare, fleet_app, size):
    app, _ = fleet_app
    assert snap_compare(app, terminal_size=size, run_before=steps("A"))


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, fleet_app, size):
    app, _ = fleet_app
    assert snap_compare(app, terminal_size=size, run_before=steps("question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_add_form(snap_compare, fleet_app, size):
    app, _ = fleet_app
    assert snap_compare(app, terminal_size=size, run_before=steps("a"))


@pytest.mark.parametrize("size", SIZES)
def test_settings_screen(snap_compare, fleet_app, size):
    app, _ = fleet_app
    assert snap_compare(app, terminal_size=size, run_before=steps("comma"))


@pytest.mark.parametrize("size", SIZES)
def test_export_menu(snap_compare, fleet_app, size):
    if not (Path(__file__).resolve().parent.parent / "tonertrack_tui" / "screens" / "export.py").exists():
        pytest.skip("screens/export.py is not written yet")
    app, _ = fleet_app
    assert snap_compare(app, terminal_size=size, run_before=steps("x"))


@pytest.mark.parametrize("screen", ["printers", "details"])
def test_no_color(snap_compare, tmp_path, polled, monkeypatch, screen):
    """NO_COLOR greys colours by brightness: badges, gauges and reasons must stay readable."""
    ids = build_fleet(tmp_path / "data", polled)
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path)
    assert app.no_color

    async def run_before(pilot) -> None:
        from tonertrack_tui.widgets.printer_table import PrinterTable

        await settle(pilot)
        if screen == "details":
            app.screen.query_one(PrinterTable).select_id(ids["colour_mfp"])
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_load_error_screen(snap_compare, tmp_path, size):
    data = LOAD_ERROR_DIR / "data"
    try:
        data.mkdir(parents=True, mode=0o700, exist_ok=True)
        target = data / "printers.json"
        if not target.exists() or target.read_bytes() != CORRUPT_INVENTORY:
            spare = data / f".printers.json.{os.getpid()}"
            spare.write_bytes(CORRUPT_INVENTORY)
            os.replace(spare, target)  # other runs may read it at the same moment
    except OSError as exc:
        pytest.skip(f"cannot use the fixed path {LOAD_ERROR_DIR}: {exc}")
    app = make_app(tmp_path, data_dir=data)
    assert snap_compare(app, terminal_size=size, run_before=steps())
    assert target.read_bytes() == CORRUPT_INVENTORY
