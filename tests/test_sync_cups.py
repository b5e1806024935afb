"""Sync against a real CUPS scheduler (Debian's cupsd) on 127.0.0.1, queues added with lpadmin.

Skipped, with the reason shown, where cupsd/lpadmin/lpstat are not installed
(`make test` installs Debian's cups-daemon and cups-client when it runs as root).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from tonertrack_tui.core.config import SyncSource
from tonertrack_tui.core.inventory.printer import Printer, SourceRef
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.sync.plan import SyncSourceError, apply_plan, plan_sync, read_source

CUPSD = shutil.which("cupsd") or (os.path.exists("/usr/sbin/cupsd") and "/usr/sbin/cupsd")
LPADMIN = shutil.which("lpadmin") or (os.path.exists("/usr/sbin/lpadmin") and "/usr/sbin/lpadmin")
LPSTAT = shutil.which("lpstat")

pytestmark = [
    pytest.mark.skipif(not (CUPSD and LPADMIN and LPSTAT),
                       reason="CUPS is not installed (cupsd, lpadmin, lpstat: Debian cups-daemon + cups-client)"),
    pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() != 0,
                       reason="a private cupsd is started as root here (it refuses other set-ups in a container)"),
]


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cups(tmp_path_factory):
    base = tmp_path_factory.mktemp("cups")
    for d in ("root", "spool", "cache", "state", "log", "bin/backend"):
        (base / d).mkdir(parents=True)
    (base / "spool").chmod(0o700)
    for d in ("daemon", "notifier", "filter", "cgi-bin", "driver", "monitor"):
        if os.path.isdir(f"/usr/lib/cups/{d}"):
            (base / "bin" / d).symlink_to(f"/usr/lib/cups/{d}")
    # cupsd accepts a device URI only when a backend of that scheme exists; these never run
    for scheme in ("socket", "lpd", "snmp", "ipp", "ipps", "http", "https", "usb"):
        backend = base / "bin" / "backend" / scheme
        backend.write_text("#!/bin/sh\nexit 0\n")
        backend.chmod(0o700)
    port = _free_tcp_port()
    (base / "root" / "cupsd.conf").write_text(f"""\
Listen 127.0.0.1:{port}
LogLevel warn
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")
    (base / "root" / "cups-files.conf").write_text(f"""\
ServerRoot {base / 'root'}
RequestRoot {base / 'spool'}
CacheDir {base / 'cache'}
StateDir {base / 'state'}
ServerBin {base / 'bin'}
DataDir /usr/share/cups
AccessLog {base / 'log' / 'access_log'}
ErrorLog {base / 'log' / 'error_log'}
PageLog {base / 'log' / 'page_log'}
SystemGroup root
""")
    proc = subprocess.Popen([CUPSD, "-f", "-c", str(base / "root" / "cupsd.conf"),
                             "-s", str(base / "root" / "cups-files.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # generous: a slow start on a loaded machine is no reason to skip
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (base / "log" / "error_log")
                    pytest.skip(f"cupsd did not start: {log.read_text()[-500:] if log.exists() else 'no log'}")
                time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def lpadmin(server: str, *args: str) -> None:
    subprocess.run([LPADMIN, "-h", server, *args], check=True, capture_output=True, timeout=60)


def test_sync_from_a_real_cups_server(cups, tmp_path):
    lpadmin(cups, "-p", "B1-laser", "-v", "socket://127.0.0.2:9100", "-E")
    lpadmin(cups, "-p", "B1-colour", "-v", "ipp://127.0.0.3/ipp/print", "-E")
    lpadmin(cups, "-p", "old-lpd", "-v", "lpd://127.0.0.4/queue", "-E")
    lpadmin(cups, "-p", "snmp-one", "-v", "snmp://127.0.0.5", "-E")
    lpadmin(cups, "-p", "usb-label", "-v", "usb://Zebra/ZD420?serial=1", "-E")
    src = SyncSource(name="cups1", kind="cups", server=cups, location="B1", timeout_s=20)
    store = Store(tmp_path / "data")
    store.add(Printer.new("127.0.0.3", name="My colour printer"))

    listing = read_source(src)
    plan = plan_sync([listing], store.load())
    assert sorted(c.address for c in plan.add) == ["127.0.0.2", "127.0.0.4", "127.0.0.5"]
    assert [c.address for c in plan.relocate] == ["127.0.0.3"]  # gets the source's location ...
    assert plan.rename == []  # ... but keeps the name the user gave
    assert any("usb-label" in p and "no address" in p for p in plan.problems)
    apply_plan(plan, [listing], store)
    recs = {r.address: r for r in store.load()}
    assert recs["127.0.0.2"].name == "B1-laser" and recs["127.0.0.2"].location == "B1"
    assert recs["127.0.0.3"].name == "My colour printer"
    assert recs["127.0.0.3"].source == SourceRef("cups1", "B1-colour")

    # the laser moves to a new address, the lpd queue is deleted on the server
    lpadmin(cups, "-p", "B1-laser", "-v", "socket://127.0.0.9:9100")
    lpadmin(cups, "-x", "old-lpd")
    listing = read_source(src)
    plan = plan_sync([listing], store.load())
    apply_plan(plan, [listing], store)
    recs = {r.address: r for r in store.load()}
    assert "127.0.0.2" not in recs and recs["127.0.0.9"].name == "B1-laser"
    assert recs["127.0.0.4"].not_on_server is True
    audit = [json.loads(x) for x in store.audit_path.read_text().splitlines()]
    sync_lines = [a for a in audit if a["action"] == "sync"]
    assert {a["change"] for a in sync_lines} >= {"add", "relocate", "move", "flag"}
    assert all(a["source"] == "cups1" for a in sync_lines)


def test_an_unreachable_cups_server_changes_nothing(tmp_path):
    store = Store(tmp_path / "data")
    store.add(Printer.new("127.0.0.2", name="kept"))
    before = store.path.read_bytes()
    port = _free_tcp_port()  # nothing listens there
    with pytest.raises(SyncSourceError, match="lpstat"):
        read_source(SyncSource(name="cups1", kind="cups", server=f"127.0.0.1:{port}", timeout_s=10))
    assert store.path.read_bytes() == before
