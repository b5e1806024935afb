"""Discovery against snmpsim on several loopback addresses: printers, a switch, silent addresses."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from pilot_wait import until

from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.polling.discover import RangeError, discover, expand_range, range_size
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings
from tonertrack_tui.demo.simulator import Agent, Recording, SimFleet, free_udp_ports

DATA = Path(__file__).resolve().parent / "data"
# .11 colour MFP, .12 mono laser, .13 a network switch, .14 inkjet; .10 and .15-.20 are silent
HOSTS = {"127.0.0.11": "colour_mfp", "127.0.0.12": "mono_laser", "127.0.0.13": "non_printer",
         "127.0.0.14": "inkjet"}


@pytest.fixture(scope="module")
def lan():
    port = free_udp_ports(list(HOSTS))[0][1]
    agents = [Agent([Recording("public", (DATA / f"{name}.snmprec").read_bytes())]) for name in HOSTS.values()]
    with SimFleet(agents=agents, host=list(HOSTS), port=port) as fleet:
        yield fleet, port


# generous for the agents that answer (snmpsim on a loaded machine); the silent addresses cost one window
FAST = SnmpSettings(timeout=1.0, retries=1)
WINDOW = FAST.timeout * (FAST.retries + 1)  # how long a silent address is waited for



def test_ranges():
    assert expand_range("10.0.0.0/30") == ["10.0.0.1", "10.0.0.2"]
    assert expand_range("10.0.0.5/32") == ["10.0.0.5"]
    assert expand_range("10.0.0.1-10.0.0.3") == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert expand_range("10.0.0.250-252") == ["10.0.0.250", "10.0.0.251", "10.0.0.252"]
    assert range_size("10.0.0.0/16") == 65534 and range_size("10.0.0.0/20") == 4094
    for bad in ("10.0.0.9-10.0.0.1", "nonsense", "10.0.0.1-::1", ""):
        with pytest.raises(RangeError):
            expand_range(bad)
    with pytest.raises(RangeError, match="at most"):
        expand_range("10.0.0.0/8")


def test_discover_finds_the_printers_and_only_them(lan):
    fleet, port = lan

    async def go():
        client = SnmpClient()
        try:
            return await discover(client, expand_range("127.0.0.10-127.0.0.20"), FAST, port=port,
                                  known={f"127.0.0.12:{port}"})
        finally:
            client.close()

    result = asyncio.run(go())
    by_address = {f.address.split(":")[0]: f for f in result.found}
    assert set(by_address) == set(HOSTS)  # silent addresses are simply absent
    assert {a for a, f in by_address.items() if f.printer} == {"127.0.0.11", "127.0.0.12", "127.0.0.14"}
    mfp = by_address["127.0.0.11"]
    assert (mfp.name, mfp.model, mfp.serial) == ("MFP-B1-2F-01", "RICOH IM C3000", "3100R910442")
    assert by_address["127.0.0.12"].in_inventory and not mfp.in_inventory
    switch = by_address["127.0.0.13"]
    assert not switch.printer and switch.name == "sw-b1-2f-access" and "no printer" in switch.why
    # 11 addresses, 7 silent: one timeout window, not seven (in turn they would need 7 windows;
    # 3 leaves room for a loaded machine)
    assert result.seconds < 3 * WINDOW


def test_discover_command_lists_and_adds(lan, capsys):
    fleet, port = lan
    store = Store(Path(os.environ["TONERTRACK_DATA_DIR"]))
    store.add(Printer.new(f"127.0.0.14:{port}", name="Known inkjet"))
    args = ["discover", "127.0.0.8/29", "--port", str(port), "--community", "public", "--timeout", "1.5",
            "--retries", "0"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "RICOH IM C3000" in out and "sw-b1-2f-access" not in out and "3 printers, 2 not in" in out
    assert len(store.load()) == 1
    assert main(args + ["--add", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(doc["added"]) == [f"127.0.0.11:{port}", f"127.0.0.12:{port}"]
    recs = {r.address: r for r in store.load()}
    assert recs[f"127.0.0.11:{port}"].name == "MFP-B1-2F-01"
    assert recs[f"127.0.0.11:{port}"].user_overridden is False
    assert recs[f"127.0.0.11:{port}"].snmp == {"community": "public", "timeout": 1.5, "retries": 0}
    assert recs[f"127.0.0.14:{port}"].name == "Known inkjet"
    # again: nothing new to add
    assert main(args + ["--add"]) == 0
    assert "0 not in the inventory" in capsys.readouterr().out


def test_a_big_range_needs_yes(capsys):
    assert main(["discover", "10.0.0.0/19"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["discover", "10.0.0.0/8", "--yes"]) == 2


def test_a_loopback_slash_24_with_four_agents(lan, capsys):
    """A /24 of loopback, 4 agents, 250 silent addresses (how fast: benchmarks/suite_figures.py)."""
    fleet, port = lan
    assert main(["discover", "127.0.0.0/24", "--port", str(port), "--timeout", "1.5", "--retries", "0",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["scanned"] == 254 and doc["printers"] == 3


async def test_discover_screen_checklist_adds_the_checked(lan, tmp_path):
    from textual.widgets import SelectionList

    from tonertrack_tui.app import create_app
    from tonertrack_tui.screens.discover import DiscoverScreen

    fleet, port = lan
    cfg = Path(os.environ["TONERTRACK_CONFIG"])
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 2\nretries = 1\n")
    app = create_app(auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_discover()
        await pilot.pause()
        assert isinstance(app.screen, DiscoverScreen)
        screen = app.screen
        screen.query_one("#discover-range").value = "127.0.0.10-127.0.0.15"
        screen.query_one("#discover-port").value = str(port)
        screen.query_one("#discover-range").focus()
        await pilot.press("enter")
        listing = screen.query_one(SelectionList)
        await until(pilot, lambda: listing.option_count >= 3, "the scan's checklist")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert listing.option_count == 3
        listing.focus()
        await pilot.press("space")  # uncheck the first (all new ones start checked)
        await pilot.press("a")
        store = Store(Path(os.environ["TONERTRACK_DATA_DIR"]))
        await until(pilot, lambda: len(store.load()) >= 2, "the checked printers to be added")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(store.load()) == 2
