"""Two TUIs and a daemon on one data dir, editing and polling at once: nothing is lost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tonertrack_tui.app import create_app
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store

REPO = Path(__file__).resolve().parents[2]


async def test_two_tuis_and_a_daemon_lose_nothing(tmp_path, sim_fleet):
    config = tmp_path / "config.toml"
    config.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 1\nretries = 1\n")  # generous: snmpsim under load
    data = tmp_path / "data"
    store = Store(data)
    live = [store.add(Printer.new(sim_fleet.address(i), snmp={"community": c}))
            for i, c in enumerate(("colour_mfp", "inkjet", "mono_laser"))]
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tonertrack_tui", "--config", str(config), "--data-dir", str(data),
         "daemon", "--interval", "0.5"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    apps = [create_app(str(config), str(data), clock=lambda: datetime.now(UTC), auto_poll=False,
                       check_tty=False) for _ in range(2)]
    added: list[str] = []
    try:
        async with apps[0].run_test(size=(100, 30)) as one, apps[1].run_test(size=(100, 30)) as two:
            for round_ in range(15):
                for k, (app, pilot) in enumerate(((apps[0], one), (apps[1], two))):
                    address = f"10.{k}.{round_}.1"
                    # what the add form does on save: a store transaction from a worker thread
                    await asyncio.to_thread(app.store.add, Printer.new(address, name=f"admin{k}-{round_}"))
                    added.append(address)
                    if round_ % 5 == 0:
                        app.start_poll_all()  # may meet the daemon's lock: then it shows its results
                    if round_ % 3 == 0:
                        await asyncio.to_thread(app.store.update, live[0].address,
                                                notes=f"note by admin{k} in round {round_}")
                    await pilot.pause(0.05)
            for app, pilot in ((apps[0], one), (apps[1], two)):
                deadline = time.monotonic() + 120  # generous: waits for the poll to end, tests no speed
                while app.poll_state.running and time.monotonic() < deadline:
                    await pilot.pause(0.1)
                await app.reload()
                assert app.is_running
            seen = {p.address for p in apps[0].fleet.printers.values()}
            assert set(added) <= seen
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err.decode()[-2000:]
    printers = {p.address: p for p in Store(data).load()}
    assert set(added) <= set(printers)  # every acknowledged add survived two TUIs and a daemon
    assert printers[live[0].address].notes.startswith("note by admin")
    assert printers[live[1].address].status == "Warning"  # polled by someone, saved
    assert printers["10.1.14.1"].name == "admin1-14"
    audit = (data / "printers_audit.log").read_text().splitlines()
    assert sum('"action": "add"' in line for line in audit) == 3 + len(added)
