"""`tonertrack daemon` as a real process: polls, notifies, SIGTERM exits 0, a restart sends no duplicate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store


@pytest.fixture
def webhook():
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook/secret-token", bodies
    server.shutdown()
    server.server_close()


def wait_for(predicate, timeout: float = 60.0) -> None:
    """Wait for a real condition; the bound is generous (no speed is tested here)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_daemon_polls_notifies_stops_and_restarts_without_duplicates(sim_fleet, tmp_path, webhook):
    url, bodies = webhook
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    textfile = tmp_path / "metrics" / "tonertrack.prom"
    textfile.parent.mkdir()
    config.write_text(
        "[polling]\ntimeout_s = 2\nretries = 1\ninterval_s = 600\n"  # generous: snmpsim may be slow to answer
        f"[metrics]\ntextfile = \"{textfile}\"\n"
        "[notify]\nevents = [\"warning\", \"error\", \"supply_low\"]\nretry_backoff_s = 0.1\n"
        f"[[notify.webhooks]]\nurl = \"{url}\"\n"
    )
    data = tmp_path / "data"
    store = Store(data)
    printer = Printer.new(sim_fleet.address(0), snmp={"community": "inkjet"})
    store.transact(lambda printers: printers.append(printer), audit="add")
    env = dict(os.environ, TONERTRACK_CONFIG=str(config), TONERTRACK_DATA_DIR=str(data), JOURNAL_STREAM="8:1")
    command = [sys.executable, "-m", "tonertrack_tui", "daemon"]

    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: getattr(store.get(printer.id), "last_good_poll_at", None) and len(bodies) >= 2)
        assert store.get(printer.id).status == "Warning"
        wait_for(textfile.exists)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0  # stops on SIGTERM (mid-sleep: its interval is 600 s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = proc.stderr.read()
    assert "<6>tonertrack.daemon: SIGTERM received: stopping" in log  # journald level prefix, no timestamp
    assert "secret-token" not in log
    assert [b["events"][0]["type"] for b in bodies] == ["status", "supply_low"]
    assert f'tonertrack_printer_status{{printer="{sim_fleet.address(0)}",status="Warning"}} 1.0' in textfile.read_text()

    # restart: it polls again, the printer is still Warning, nothing is sent twice
    polled_before = store.get(printer.id).last_poll_at
    time.sleep(1.1)  # poll times have a resolution of one second
    done = subprocess.run(command + ["--once"], env=env, stderr=subprocess.PIPE, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert store.get(printer.id).last_poll_at != polled_before
    assert len(bodies) == 2


def test_daemon_skips_a_round_when_the_fleet_is_busy(tmp_path):
    from tonertrack_tui.core.polling.fleet import FleetLock

    data = tmp_path / "data"
    Store(data).transact(lambda printers: printers.append(Printer.new("127.0.0.1:9")), audit="add")
    lock = FleetLock(data)
    assert lock.try_acquire("a TUI")
    try:
        env = dict(os.environ, TONERTRACK_DATA_DIR=str(data))
        env.pop("JOURNAL_STREAM", None)
        done = subprocess.run([sys.executable, "-m", "tonertrack_tui", "daemon", "--once"], env=env,
                              stderr=subprocess.PIPE, text=True, timeout=30)
    finally:
        lock.release()
    assert done.returncode == 0
    assert "skipping this round: the fleet is being polled by" in done.stderr and "a TUI" in done.stderr
    assert " INFO tonertrack.daemon: " in done.stderr  # outside systemd: timestamps and level names
