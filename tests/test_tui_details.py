"""The details screen (and the help and load-error screens) driven through the real app factory."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.history import History, Sample
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Alert, Identity, PollResult, Supply, Tray
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.screens.details import DetailsScreen
from tonertrack_tui.screens.help import HelpScreen
from tonertrack_tui.screens.load_error import LoadErrorScreen
from tonertrack_tui.screens.printers import PrintersScreen
from tonertrack_tui.widgets.printer_table import PrinterTable

FIXED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
COMMUNITY = "s3cret-Community-42"
AUTH_KEY = "auth-SECRET-key-77"
PRIV_KEY = "priv-SECRET-key-88"
HOSTILE = "[red]Lab[/] \x1b[2J"


def clock() -> datetime:
    return FIXED


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def supply(index, description, kind, color, pct, *, level=None, max_=100, cls="consumed", note=None,
           unit="percent", estimated=False) -> Supply:
    return Supply(index=index, description=description, type=kind, kind=kind, class_=cls, unit=unit, color=color,
                  level=pct if level is None else level, max=max_, remaining_pct=pct, level_note=note,
                  estimated=estimated)


def mfp_result(address: str, *, polled_at: datetime = FIXED - timedelta(minutes=3)) -> PollResult:
    result = PollResult(
        target=address, reachable=True, polled_at=iso(polled_at), duration_ms=42.4, requests=3,
        identity=Identity(name="MFP-2F", model="HP Color LaserJet M479", serial="CNB123", location="2nd floor",
                          contact="it@example.com", uptime_s=4 * 86400 + 4 * 3600 + 60, description="HP sysDescr"),
        device_status="running", printer_status="idle", error_state=["doorOpen"], page_count=123456,
        supplies=[
            supply("1.1", "Black Toner", "toner", "black", 80),
            supply("1.2", "Cyan Toner", "toner", "cyan", 8),
            supply("1.3", "Yellow Toner", "toner", "yellow", None, level=-3, note="some_remaining"),
            supply("1.4", "Waste Toner Box", "waste", None, 5, cls="receptacle"),
            supply("1.5", "Imaging Drum", "drum", None, None, level=-2, max_=-2, note="unknown"),
            supply("1.6", "Fuser Kit", "fuser", None, 62, max_=-2, estimated=True),
            supply("1.7", "Staples", "staples", None, None, level=-1, max_=-1, note="unrestricted"),
            supply("1.8", "Transfer Belt", "transfer", None, None, level=7000, max_=-2, note="max_unknown",
                   unit="impressions"),
        ],
        trays=[Tray("1.1", "Tray 1", "Main tray", 250, 500, 50, None, "A4"),
               Tray("1.2", "Bypass", "Manual feed", -3, -2, None, "some_remaining", "A4")],
        alerts=[Alert("1", "critical", "field", "cover", 501, "coverOpen", "Front door open")],
    )
    return evaluate(result)


def simple_result(address: str, name: str, pct: int, *, polled_at: datetime = FIXED - timedelta(minutes=3)):
    return evaluate(PollResult(
        target=address, reachable=True, polled_at=iso(polled_at), duration_ms=10, requests=2,
        identity=Identity(name=name, model="Mono laser"), device_status="running", printer_status="idle",
        page_count=1000, supplies=[supply("1.1", "Black Toner", "toner", "black", pct)]))


def write_config(tmp_path: Path, **polling) -> Path:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    lines = ["[polling]", "interval_s = 3600", "timeout_s = 0.3", "retries = 0"]
    lines += [f"{k} = {v}" for k, v in polling.items()]
    config.write_text("\n".join(lines) + "\n")
    return config


def make_app(tmp_path: Path):
    return create_app(config_path=str(tmp_path / "config" / "config.toml"), data_dir=str(tmp_path / "data"),
                      clock=clock, auto_poll=False, watch_store=False, check_tty=False)


@pytest.fixture
def store(tmp_path) -> Store:
    write_config(tmp_path)
    return Store(tmp_path / "data")


def add(store: Store, address: str, result: PollResult | None = None, **fields) -> str:
    record = store.add(Printer.new(address, **fields))
    if result is not None:
        store.record_poll([(record.id, result)])
    return record.id


def dead_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def screen_text(app) -> str:
    """What the terminal shows now, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def flat(text: str) -> str:
    """Screen text without borders and whitespace, for values that wrap (long paths)."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "┃━┏┓┗┛")


async def open_details(app, pilot, printer_id: str) -> DetailsScreen:
    """From the printers list: put the cursor on the printer and press enter."""
    assert isinstance(app.screen, PrintersScreen)
    app.screen.query_one(PrinterTable).select_id(printer_id)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, DetailsScreen)
    assert app.screen.printer_id == printer_id
    return app.screen


async def whole_screen_text(app, pilot) -> str:
    """Text of the details screen scrolled from top to bottom (it is longer than the terminal)."""
    body = app.screen.query_one("#details-body")
    seen = []
    body.scroll_home(animate=False)
    await pilot.pause()
    for _ in range(20):
        seen.append(screen_text(app))
        if body.scroll_y >= body.max_scroll_y:
            break
        body.scroll_relative(y=body.size.height - 1, animate=False)
        await pilot.pause()
    return "\n".join(seen)


async def settle(app, pilot) -> None:
    """Let workers finish and the app's throttled fleet_changed flush reach the screens."""
    await app.workers.wait_for_complete()
    await pilot.pause(0.35)
    await pilot.pause()


# ------------------------------------------------------------------ values


async def test_enter_opens_details_with_every_value(store, tmp_path):
    address = "127.0.0.1:16101"
    other = add(store, "127.0.0.1:16102", simple_result("127.0.0.1:16102", "Other", 90))
    pid = add(store, address, mfp_result(address), location="Copy room")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        text = await whole_screen_text(app, pilot)
    assert other != pid
    for expected in [
        "MFP-2F", address, "✖ Error", "HP Color LaserJet M479", "CNB123", "Copy room", "4 d 4 h",
        "running · idle", "it@example.com",
        # reasons, worst first
        "Waste Toner Box 95 % full", "Cyan toner 8 %", "Door open — Front door open",
        # gauges: kind, colour, receptacle as % full, states in words, the estimate marked
        "Black toner", "80 %", "toner · black", "toner · cyan", "95 % full", "some left", "level unknown",
        "~62 %", "no limit", "capacity unknown", "level 7000 impressions",
        # trays, alerts, error state
        "Tray 1", "250/500", "Bypass", "critical · cover · cover open", "Error state: Door open (doorOpen)",
        # pages and the poll
        "123,456", "42 ms", "3 SNMP requests", "(3m ago)",
        # SNMP settings
        "version 2c", "community ••••••", "timeout 0.3 s", "retries 0",
    ]:
        assert expected in text, expected
    assert "50 %" not in text.split("Supplies")[1].split("Paper trays")[0].replace("▕", "")  # no fake numbers


async def test_details_fits_80x24_with_the_important_part_on_top(store, tmp_path):
    address = "127.0.0.1:16101"
    pid = add(store, address, mfp_result(address))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        first_page = screen_text(app)
        lines = first_page.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert "MFP-2F" in lines[0] and "✖ Error" in lines[0]
    assert "Waste Toner Box 95 % full" in first_page and "Cyan toner" in first_page
    assert "Supplies" in first_page
    assert "Back" in lines[-1] and "Poll now" in lines[-1]


async def test_sparklines_come_from_history(store, tmp_path):
    address = "127.0.0.1:16101"
    pid = add(store, address, simple_result(address, "Mono", 40))
    history = History(tmp_path / "data")
    for day, (count, pct) in enumerate([(1000, 60), (1100, 55), (1400, 50), (1450, 40)]):
        when = datetime(2025, 3, 2 + day, 9, tzinfo=UTC)
        history.append([Sample(pid, when, count, {"1.1": {"level": pct, "max": 100, "remaining_pct": pct,
                                                          "description": "Black Toner", "kind": "toner"}})],
                       today=date(2025, 3, 5))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        await settle(app, pilot)
        text = screen_text(app)
    pages_line = next(line for line in text.splitlines() if "Pages per day" in line)
    assert "peak 300 · latest 50" in pages_line
    assert pages_line.count("·") >= 27  # days without data are gaps
    assert "▃█▂" in pages_line  # 100, 300, 50 scaled to the peak of 300
    level_line = next(line for line in text.splitlines() if "Worst supply" in line)
    assert "Black toner" in level_line and "▅▅▅▄" in level_line  # 60, 55, 50, 40 on 0–100 %


async def test_stale_printer_says_since_when(store, tmp_path):
    address = "127.0.0.1:16105"
    pid = add(store, address, simple_result(address, "Warehouse", 55, polled_at=FIXED - timedelta(hours=5)))
    for minutes in (30, 20, 10):
        store.record_poll([(pid, PollResult(target=address, reachable=False,
                                            polled_at=iso(FIXED - timedelta(minutes=minutes))))])
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        text = screen_text(app)
    assert "○ Offline*" in text
    assert "Last good data from" in text and "(5h ago), the printer did not answer since" in text
    assert "3 failed polls in a row" in text
    # the Offline reason once, not again as "Offline: no reply to the last 3 polls" (issue 15)
    assert "no reply to the last" not in text and text.count("3 failed polls") == 1


# ------------------------------------------------------------------ untrusted text, secrets


async def test_secrets_never_reach_the_screen(store, tmp_path):
    v2 = add(store, "127.0.0.1:16101", mfp_result("127.0.0.1:16101"), snmp={"community": COMMUNITY})
    v3 = add(store, "127.0.0.1:16102", simple_result("127.0.0.1:16102", "V3", 50),
             snmp={"version": "3", "v3_user": "monitor", "v3_auth_proto": "SHA", "v3_auth_key": AUTH_KEY,
                   "v3_priv_proto": "AES", "v3_priv_key": PRIV_KEY})
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, v2)
        text_v2 = await whole_screen_text(app, pilot)
        svg_v2 = app.export_screenshot()
        await pilot.press("escape")
        await pilot.pause()
        await open_details(app, pilot, v3)
        text_v3 = await whole_screen_text(app, pilot)
        svg_v3 = app.export_screenshot()
    assert "community ••••••" in text_v2
    assert "user monitor" in text_v3 and "auth SHA" in text_v3 and "privacy AES" in text_v3
    assert "auth key ••••••" in text_v3 and "privacy key ••••••" in text_v3
    for secret in (COMMUNITY, AUTH_KEY, PRIV_KEY):
        for shown in (text_v2, text_v3, svg_v2, svg_v3):
            assert secret not in shown


async def test_hostile_name_renders_literally(store, tmp_path):
    address = "127.0.0.1:16102"
    result = simple_result(address, "ignored", 30)
    pid = add(store, address, result, name=HOSTILE, location="[b]Lab[/b] [@click=app.quit]x[/]")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        text = screen_text(app)
        svg = app.export_screenshot()
        assert app.is_running
    assert "[red]Lab[/]" in text.splitlines()[0]
    assert "[b]Lab[/b] [@click=app.quit]x[/]" in text
    assert "\x1b" not in text and "[2J" not in text
    assert "\x1b" not in svg and "[2J" not in svg


async def test_a_real_hostile_device_polled_over_snmp(sim_fleet, store, tmp_path):
    pid = add(store, sim_fleet.address(1), snmp={"community": "hostile"})
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        await pilot.press("p")
        await settle(app, pilot)
        text = await whole_screen_text(app, pilot)
        assert app.is_running
    assert app.fleet.printers[pid].last_poll is not None
    assert "[red]Lab[/]" not in text or "[red]Lab[/] printer" in text  # sysDescr, literally when shown
    assert "[@click=app.quit]x[/]" in text  # sysName, literally
    assert not any(ch in text for ch in "\x1b\x07\x9b\x9d")


# ------------------------------------------------------------------ keys


async def test_p_polls_a_real_agent_and_the_screen_updates_live(sim_fleet, store, tmp_path):
    pid = add(store, sim_fleet.address(0), snmp={"community": "colour_mfp"})
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = await open_details(app, pilot, pid)
        before = screen_text(app)
        assert "Not polled successfully yet" in before and "? Unknown" in before
        await pilot.press("p")
        await settle(app, pilot)
        assert app.screen is screen
        text = await whole_screen_text(app, pilot)
    assert "MFP-B1-2F-01" in text and "RICOH IM C3000" in text
    assert "✖ Error" in text and "Magenta toner 8 %" in text and "Waste Toner Bottle" in text
    assert "Not polled successfully yet" not in text
    assert "colour_mfp" not in text  # the community is the secret here


async def test_p_on_a_silent_printer_marks_its_data_stale(store, tmp_path):
    address = f"127.0.0.1:{dead_port()}"
    pid = add(store, address, simple_result(address, "Silent", 70))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        assert "did not answer since" not in screen_text(app)
        await pilot.press("p")
        await settle(app, pilot)
        text = screen_text(app)
    assert "✔ OK*" in text
    assert "the printer did not answer since (1 failed poll in a row)" in text


async def test_escape_and_q_go_back(store, tmp_path):
    pid = add(store, "127.0.0.1:16101", simple_result("127.0.0.1:16101", "A", 70))
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in ("escape", "q"):
            await open_details(app, pilot, pid)
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, PrintersScreen)
        assert app.is_running


async def test_e_opens_the_edit_form_for_this_printer(store, tmp_path):
    form = pytest.importorskip("tonertrack_tui.screens.printer_form")
    pid = add(store, "127.0.0.1:16101", simple_result("127.0.0.1:16101", "A", 70))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, form.PrinterFormScreen)


async def test_a_printer_deleted_while_shown_pops_with_a_notice(store, tmp_path):
    pid = add(store, "127.0.0.1:16101", simple_result("127.0.0.1:16101", "Doomed", 70))
    keep = add(store, "127.0.0.1:16102", simple_result("127.0.0.1:16102", "Kept", 70))
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_details(app, pilot, pid)
        Store(tmp_path / "data").remove(pid)  # as another TonerTrack process would
        await app.reload()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
        assert any("deleted" in str(n.message) for n in app._notifications)
        assert keep in app.fleet and app.is_running


# ------------------------------------------------------------------ help and load error


async def test_help_lists_every_binding_with_the_active_keymap(store, tmp_path):
    write_config(tmp_path)
    config = tmp_path / "config" / "config.toml"
    config.write_text(config.read_text() + '[ui.keys]\npoll_all = "ctrl+r"\n')
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        body = app.screen.query_one("#help-body")
        texts = []
        body.scroll_home(animate=False)
        for _ in range(20):
            await pilot.pause()
            texts.append(screen_text(app))
            if body.scroll_y >= body.max_scroll_y:
                break
            body.scroll_relative(y=body.size.height - 1, animate=False)
        text = "\n".join(texts)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
    poll_all = next(line for line in text.splitlines() if line.rstrip().endswith("poll_all"))
    assert "ctrl+r" in poll_all and " P " not in poll_all
    for expected in ("Printer details", "Alerts", "Poll the printer now", "enter", "ctrl+p", "? F1",
                     "✔ OK", "▲ Warning", "✖ Error", "○ Offline", "? Unknown", "--no-mouse", "NO_COLOR",
                     "95 % full", "some left", "no limit", "level unknown", "~45 %"):
        assert expected in text, expected


async def test_corrupt_inventory_opens_the_error_screen_and_can_be_moved_aside(tmp_path):
    write_config(tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    broken = b'{"schema": 1, "printers": [\n{"id": "x"'
    (data / "printers.json").write_bytes(broken)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadErrorScreen)
        text = flat(screen_text(app))
        assert f"File{data / 'printers.json'}" in text and "invalidJSON" in text
        assert "Nothingwaschanged" in text
        assert (data / "printers.json").read_bytes() == broken
        await pilot.press("m")
        await pilot.pause()
        assert (data / "printers.json").read_bytes() == broken  # not before the confirmation
        await pilot.press("y")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, PrintersScreen)
    moved = list(data.glob("printers.json.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == broken


async def test_broken_config_error_screen_quits_with_q(tmp_path):
    config = write_config(tmp_path)
    config.write_text("[polling]\ninterval_s = 'soon'\n")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadErrorScreen)
        text = flat(screen_text(app))
        assert f"File{config}" in text and "interval_s" in text and "Nothingwaschanged" in text
        await pilot.press("m")  # no quarantine for a config file
        await pilot.pause()
        assert "Rename" not in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1
    assert config.read_text() == "[polling]\ninterval_s = 'soon'\n"


async def test_details_show_the_printers_notes(tmp_path, store):
    """Issue 15: v2 showed notes on the details page."""
    pid = add(store, "10.0.0.1", mfp_result("10.0.0.1"), notes="Key at reception [b]not bold[/b]")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_details(app, pilot, pid)
        text = await whole_screen_text(app, pilot)
    assert "Notes" in text and "Key at reception [b]not bold[/b]" in text
