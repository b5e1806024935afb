"""Fault drills for the PostgreSQL backend (issue 19): real daemons (`tonertrack daemon` processes),
a real PostgreSQL server of their own, printers served by the benchmark responder with latency.

* a daemon of a shared site SIGKILLed in the middle of a round: the site's other daemon finishes
  the work (the dead one's claims expire within one interval and are taken over), nothing lost;
* the database stopped while a daemon polls, then started again: the daemon never exits, keeps
  polling the printers it read last, holds the results it cannot write (saying so) and writes
  them when the database is back (saying so).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pgtools import PgServer, started_server, wait_for
from test_netsim import NetSim

from tonertrack_tui.core.inventory.pgstore import PgStore
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.util.timeutil import parse_time

pytestmark = pytest.mark.xdist_group("postgresql")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server():
    s = started_server()  # its own: these drills stop it
    try:
        yield s
    finally:
        s.stop()


def _daemon(server: PgServer, dsn: str, box: Path, *args: str, interval: float) -> tuple[subprocess.Popen[str], Path]:
    config = box / "config.toml"
    box.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[polling]\ntimeout_s = 3\nretries = 1\n[storage]\nbackend = "postgresql"\ndsn = "{dsn}"\n')
    env = {**os.environ, "TONERTRACK_DB_PASSWORD": server.PASSWORD, "PYTHONPATH": str(ROOT)}
    log = box / "daemon.log"
    proc = subprocess.Popen([sys.executable, "-m", "tonertrack_tui", "--config", str(config), "--data-dir",
                             str(box / "data"), "daemon", "--interval", str(interval), *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"), text=True)
    return proc, log


def _stop(*procs: subprocess.Popen[str]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _rows(store: PgStore) -> list[tuple[str, str | None, str | None]]:
    """(id, claimed_by, last_poll_at) of every printer."""
    with store._connect() as conn:
        return conn.execute("SELECT id, claimed_by, record->>'last_poll_at' FROM tt_printers").fetchall()


def test_a_daemon_killed_mid_round_leaves_its_printers_to_the_site_s_other_daemon(server, tmp_path):
    dsn = server.new_database()
    store = PgStore(tmp_path / "seed", dsn, server.PASSWORD)
    store.migrate()
    interval = 6.0
    with NetSim(live=300, latency_ms=800, jitter_ms=100) as sim:
        store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}", site="a") for p in sim.live_ports),
                       audit="import")
        doomed, doomed_log = _daemon(server, dsn, tmp_path / "box1", "--site", "a", interval=interval)
        survivor, survivor_log = _daemon(server, dsn, tmp_path / "box2", "--site", "a", interval=interval)
        try:
            holder = f"{os.uname().nodename}:{doomed.pid}"
            # in the middle of a round: the doomed daemon holds a batch it has not saved polls for
            assert wait_for(lambda: sum(by == holder and at is None for _, by, at in _rows(store)) >= 40, 60), \
                doomed_log.read_text()
            os.kill(doomed.pid, signal.SIGKILL)
            killed_at = time.time()
            doomed.wait(timeout=10)
            # a write it had sent before the kill may still commit (the server reads what is in the
            # socket): saved, not lost; what is left unsaved a second later is orphaned
            time.sleep(1.0)
            orphaned = {pid for pid, by, at in _rows(store) if by == holder and at is None}
            assert orphaned
            # within one interval (plus a round's polling) the survivor has polled every printer
            assert wait_for(lambda: all(at for _, _, at in _rows(store)), interval * 2 + 30), \
                survivor_log.read_text()
            taken_over = time.time() - killed_at
        finally:
            _stop(doomed, survivor)
    survivor_holder = f"{os.uname().nodename}:{survivor.pid}"
    rows = {pid: (by, at) for pid, by, at in _rows(store)}
    assert all(rows[pid][0] == survivor_holder for pid in orphaned)  # the survivor took the dead one's claims
    assert {p.status for p in store.load()} == {"OK"}  # nothing lost: every printer has its poll
    assert taken_over < interval * 2 + 30


def test_the_database_down_mid_round_costs_no_results_and_the_daemon_goes_on(server, tmp_path):
    dsn = server.new_database()
    store = PgStore(tmp_path / "seed", dsn, server.PASSWORD)
    store.migrate()
    with NetSim(live=40, latency_ms=300, jitter_ms=100) as sim:
        store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}") for p in sim.live_ports),
                       audit="import")
        daemon, log = _daemon(server, dsn, tmp_path / "box", interval=2.0)
        try:
            assert wait_for(lambda: all(at for _, _, at in _rows(store)), 60), log.read_text()
            server.stop_only()
            down_at = time.time()
            before = len(log.read_text())
            # it keeps polling the printers it read last, and says it holds what it cannot write
            assert wait_for(lambda: "held in memory" in log.read_text(), 30), log.read_text()
            requests_before, _ = sim.counts()
            assert wait_for(lambda: log.read_text()[before:].count("polled 40 printers") >= 2, 30), log.read_text()
            requests_after, _ = sim.counts()
            assert sum(requests_after.values()) > sum(requests_before.values())
            assert daemon.poll() is None  # still running
            server.start_again()
            assert wait_for(lambda: "results held earlier are written" in log.read_text(), 30), log.read_text()
        finally:
            _stop(daemon)
    text = log.read_text()
    assert daemon.returncode == 0, text
    assert "the inventory could not be read" in text and "Traceback" not in text
    written = [line for line in text.splitlines() if "results held earlier are written" in line]
    assert written and written[0].rstrip().endswith("the store is back: 40 results held earlier are written")
    # what was polled while the database was down is in it now: every printer's last poll is newer
    polled = [parse_time(at) for _, _, at in _rows(store)]
    assert all(at is not None and at.timestamp() >= down_at - 1 for at in polled)
    # the history is in the database too (every site's polls in one place), none in the data dir
    assert len(store.history().monthly_pages_all()) == 40
    assert not (tmp_path / "box" / "data" / "history").exists()


def test_a_daemon_stopped_while_the_database_is_down_says_what_it_could_not_save(server, tmp_path):
    dsn = server.new_database()
    store = PgStore(tmp_path / "seed", dsn, server.PASSWORD)
    store.migrate()
    with NetSim(live=10, latency_ms=100) as sim:
        store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}") for p in sim.live_ports), audit="import")
        daemon, log = _daemon(server, dsn, tmp_path / "box", interval=2.0)
        try:
            assert wait_for(lambda: all(at for _, _, at in _rows(store)), 60), log.read_text()
            server.stop_only()
            assert wait_for(lambda: "10 held in memory" in log.read_text(), 30), log.read_text()
        finally:
            _stop(daemon)
            server.start_again()
    text = log.read_text()
    assert daemon.returncode == 0 and "Traceback" not in text, text
    said = re.search(r"stopping with (\d+) results and (\d+) history samples not saved \(the store was out of "
                     r"reach\): they are lost", text)
    assert said, text
    # results: the newest per printer; samples: every round's while the database was down
    assert int(said[1]) == 10 and int(said[2]) >= 10 and int(said[2]) % 10 == 0


HOOK = """\
import os, sys
with open(sys.argv[1], "a") as f:
    f.write(os.environ["TONERTRACK_ADDRESS"] + " " + os.environ["TONERTRACK_STATUS"] + "\\n")
"""


def test_two_daemons_of_a_shared_site_notify_each_change_once(server, tmp_path):
    """The notified state of a site is in the database: whichever daemon sees a change first
    tells of it, the other finds it told (a state per data dir sent it twice)."""
    dsn = server.new_database()
    store = PgStore(tmp_path / "seed", dsn, server.PASSWORD)
    store.migrate()
    hook, told = tmp_path / "hook.py", tmp_path / "told.txt"
    hook.write_text(HOOK)
    env = {**os.environ, "TONERTRACK_DB_PASSWORD": server.PASSWORD, "PYTHONPATH": str(ROOT)}
    with NetSim(live=0, dead=30) as sim:
        store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}", site="a") for p in sim.dead_ports),
                       audit="import")
        procs = []
        for box in ("box1", "box2"):
            config = tmp_path / box / "config.toml"
            config.parent.mkdir()
            config.write_text(f'[polling]\ntimeout_s = 0.5\nretries = 0\noffline_after = 1\n[storage]\n'
                              f'backend = "postgresql"\ndsn = "{dsn}"\n[notify]\nevents = ["offline"]\n'
                              f'[[notify.commands]]\nargv = ["{sys.executable}", "{hook}", "{told}"]\n')
            procs.append(subprocess.Popen([sys.executable, "-m", "tonertrack_tui", "--config", str(config),
                                           "--data-dir", str(tmp_path / box / "data"), "daemon", "--site", "a",
                                           "--once"], env=env, stderr=subprocess.PIPE, text=True))
        logs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], logs
    assert {p.status for p in store.load()} == {"Offline"}
    lines = told.read_text().splitlines()
    assert sorted(lines) == sorted(f"127.0.0.1:{p} Offline" for p in sim.dead_ports)  # each once, none twice
