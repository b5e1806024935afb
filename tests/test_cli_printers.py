"""`tonertrack printers ...`, `import`, `export inventory` through the real entry point."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Identity, PollResult

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_CONFIG", str(tmp_path / "cfg" / "config.toml"))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def store(dirs) -> Store:
    return Store(dirs / "data")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_show_edit_remove(capsys, store):
    assert run(capsys, "printers", "add", "10.1.2.3", "--name", "Front desk", "--location", "B2")[0] == 0
    code, out, _ = run(capsys, "printers", "add", "Printer-2.Example.org", "--port", "1161", "--community", "s3cret")
    assert code == 0 and "printer-2.example.org:1161" in out and "sysName" in out
    code, out, _ = run(capsys, "printers", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["ADDRESS", "NAME", "LOCATION", "STATUS", "LAST", "POLL"]
    assert lines[1].split() == ["10.1.2.3", "Front", "desk", "B2", "Unknown", "never"]
    assert lines[2].split()[0] == "printer-2.example.org:1161"
    assert lines[0].index("NAME") == lines[1].index("Front")  # aligned columns

    code, out, _ = run(capsys, "printers", "list", "--json")
    data = json.loads(out)
    assert [p["address"] for p in data] == ["10.1.2.3", "printer-2.example.org:1161"]
    for key in ("address", "name", "location", "status", "user_overridden", "last_poll_at"):
        assert key in data[0]
    assert data[0]["user_overridden"] is True and data[1]["user_overridden"] is False
    assert "s3cret" not in out and data[1]["snmp"]["community"] == "••••••"

    code, out, _ = run(capsys, "printers", "edit", "printer-2.example.org:1161", "--name", "Lab", "--snmp-version", "1")
    assert code == 0 and "name" in out
    rec = store.get("printer-2.example.org:1161")
    assert (rec.name, rec.user_overridden, rec.snmp) == ("Lab", True, {"community": "s3cret", "version": "1"})
    code, out, _ = run(capsys, "printers", "edit", "10.1.2.3", "--address", "10.1.2.30")
    assert code == 0 and store.get("10.1.2.30").name == "Front desk"

    code, out, _ = run(capsys, "printers", "show", "10.1.2.30", "--json")
    assert json.loads(out)["address"] == "10.1.2.30"
    code, out, _ = run(capsys, "printers", "show", "printer-2.example.org:1161")
    assert code == 0 and "Lab" in out and "s3cret" not in out

    code, out, _ = run(capsys, "printers", "remove", "10.1.2.30", "--yes")
    assert code == 0 and [r.address for r in store.load()] == ["printer-2.example.org:1161"]
    actions = [json.loads(x)["action"] for x in store.audit_path.read_text().splitlines()]
    assert actions == ["add", "add", "edit", "edit", "delete"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["printers", "add", "10.0.0.300"], "'10.0.0.300' is not a valid IP address or host name"),
        (["printers", "add", "10.1.2.3:70000"], "port 70000 out of range 1–65535"),
        (["printers", "add", "10.1.2.3"], "10.1.2.3 is already in the inventory (A)"),
        (["printers", "add", "10.1.2.9", "--name", "  "], "name must not be empty"),
        (["printers", "add", "10.1.2.9", "--snmp-version", "3"], "SNMPv3 needs a user name"),
        (["printers", "edit", "10.1.2.3", "--name", ""], "name must not be empty"),
        (["printers", "edit", "10.9.9.9", "--name", "x"], "no printer '10.9.9.9' in the inventory"),
        (["printers", "edit", "10.1.2.3"], "nothing to change"),
        (["printers", "show", "10.9.9.9"], "no printer '10.9.9.9' in the inventory"),
        (["printers", "remove", "10.1.2.3"], "without --yes"),
        (["printers", "edit", "10.1.2.3", "--address", "10.1.2.4"], "10.1.2.4 is already in the inventory"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, store, argv, message):
    assert run(capsys, "printers", "add", "10.1.2.3", "--name", "A")[0] == 0
    assert run(capsys, "printers", "add", "10.1.2.4")[0] == 0
    before = store.path.read_bytes()
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("tonertrack: error: ") and message in err and err.count("\n") == 1
    assert store.path.read_bytes() == before


def test_remove_asks_on_a_terminal(capsys, store, monkeypatch):
    run(capsys, "printers", "add", "10.1.2.3")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out, _ = run(capsys, "printers", "remove", "10.1.2.3")
    assert code == 0 and "Not removed" in out and store.get("10.1.2.3") is not None
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, _ = run(capsys, "printers", "remove", "10.1.2.3")
    assert code == 0 and store.get("10.1.2.3") is None


def test_corrupt_inventory_exits_1_naming_the_file(capsys, store):
    run(capsys, "printers", "add", "10.1.2.3")
    store.path.write_text('{"schema": 1, "printers": [')
    for argv in (["printers", "list"], ["printers", "add", "10.1.2.4"], ["printers", "remove", "10.1.2.3", "--yes"]):
        code, _, err = run(capsys, *argv)
        assert code == 1 and str(store.path) in err and "corrupt" in err
    assert store.path.read_text() == '{"schema": 1, "printers": ['


def test_bad_config_exits_2_naming_file_and_key(capsys, dirs):
    cfg = dirs / "cfg" / "config.toml"
    cfg.parent.mkdir()
    cfg.write_text("[polling]\nconcurrency = 'lots'\n")
    code, _, err = run(capsys, "printers", "list")
    assert code == 2 and "config.toml: polling.concurrency: must be an integer" in err


def test_device_text_is_made_safe_in_the_table(capsys, store):
    run(capsys, "printers", "add", "10.1.2.3")
    evil = "evil\x1b[2J\x1b]52;c;aGk=\x07name\x07"
    store.record_poll([(store.get("10.1.2.3").id,
                        PollResult(target="10.1.2.3", reachable=True, status="OK", polled_at="2025-01-05T10:00:00Z",
                                   identity=Identity(name=evil)))])
    code, out, _ = run(capsys, "printers", "list")
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "evilname" in out
    assert "2025-01-05 10:00Z" in out
    code, out, _ = run(capsys, "printers", "show", "10.1.2.3")
    assert "\x1b" not in out


def test_import_cli_dry_run_then_real(capsys, store, dirs):
    v2 = dirs / "v2.json"
    v2.write_text(json.dumps({"10.5.0.1": {"name": "A", "ip": "10.5.0.1", "total_pages": "N/A",
                                           "pages_history": {"2025-01": 10}},
                              "10.5.0.2": {"name": "B", "ip": "10.5.0.2"}}))
    code, out, err = run(capsys, "import", str(v2), "--format", "v2", "--dry-run")
    assert code == 0 and "add     10.5.0.1  A" in out and "nothing was written" in out
    assert "total_pages is 'N/A'" in err
    assert not store.path.exists()
    code, out, _ = run(capsys, "import", str(v2), "--format", "v2")
    assert code == 0 and "2 added" in out
    code, out, _ = run(capsys, "import", str(v2), "--format", "v2")
    assert code == 0 and "skip    10.5.0.1" in out and "Nothing to import" in out
    bad = dirs / "bad.csv"
    bad.write_text("address,name\n10.0.0.300,x\n")
    code, out, err = run(capsys, "import", str(bad))
    assert code == 2 and "line 2: '10.0.0.300'" in err
    code, _, err = run(capsys, "import", str(dirs / "missing.json"))
    assert code == 2 and "cannot read" in err
    assert len(store.load()) == 2


def test_export_inventory_backup_and_restore(capsys, store, dirs, monkeypatch):
    run(capsys, "printers", "add", "10.1.2.3", "--name", "A", "--community", "s3cret")
    run(capsys, "printers", "add", "10.1.2.4", "--name", "=cmd|' /C calc'!A0")
    code, out, _ = run(capsys, "export", "inventory")
    assert code == 0 and out.splitlines()[0].startswith("address,name,location")
    assert "'=cmd" in out and "s3cret" not in out  # CSV cells never run as formulas; no secrets
    backup = dirs / "backup.json"
    code, _, err = run(capsys, "export", "inventory", "--json", "-o", str(backup))
    assert code == 0 and stat.S_IMODE(backup.stat().st_mode) == 0o600 and "s3cret" in backup.read_text()
    original = store.load()
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(dirs / "restored"))
    code, out, _ = run(capsys, "import", str(backup), "--format", "json")
    assert code == 0 and "2 added" in out
    assert Store(dirs / "restored").load() == original


def test_real_subprocess(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TONERTRACK_CONFIG": str(tmp_path / "c" / "config.toml"),
           "TONERTRACK_DATA_DIR": str(tmp_path / "d")}
    cmd = [sys.executable, "-m", "tonertrack_tui"]
    p = subprocess.run(cmd + ["printers", "add", "[::1]:1161", "--name", "Loopback"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    p = subprocess.run(cmd + ["printers", "list", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and [x["address"] for x in json.loads(p.stdout)] == ["[::1]:1161"]
    p = subprocess.run(cmd + ["--data-dir", str(tmp_path / "other"), "printers", "list", "--json"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout) == []
    p = subprocess.run(cmd + ["printers", "add", "nope..bad"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith("tonertrack: error:")
    assert stat.S_IMODE((tmp_path / "d" / "printers.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700


def test_add_with_poll_goes_through_the_fleet_poller(capsys, store):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a UDP port nobody answers on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        code, out, _ = run(capsys, "printers", "add", f"127.0.0.1:{port}", "--poll", "--timeout", "0.2", "--retries", "0")
    assert code == 0 and f"Polled 127.0.0.1:{port}: Unknown" in out
    rec = store.get(f"127.0.0.1:{port}")
    assert rec.consecutive_failures == 1 and rec.last_poll_at and rec.status == "Unknown"
    assert rec.snmp == {"timeout": 0.2, "retries": 0}


def test_invert_receptacles_is_set_and_cleared_per_printer(capsys, store):
    assert run(capsys, "printers", "add", "10.1.2.3", "--invert-receptacles")[0] == 0
    assert store.get("10.1.2.3").invert_receptacles is True
    code, out, _ = run(capsys, "printers", "edit", "10.1.2.3", "--no-invert-receptacles")
    assert code == 0 and "invert receptacles" in out
    assert store.get("10.1.2.3").invert_receptacles is False
    code, out, _ = run(capsys, "printers", "edit", "10.1.2.3", "--no-invert-receptacles")
    assert code == 0 and "nothing changed" in out
    audit = [json.loads(line) for line in store.audit_path.read_text().splitlines()]
    assert audit[-1]["changes"]["invert_receptacles"] == [True, False]


def test_show_and_check_carry_the_mono_colour_split(capsys, store):
    """Issue 16: `printers show` (text and --json) shows the vendor's split; unknown stays null."""
    from tonertrack_tui.core.inventory.printer import Printer
    from tonertrack_tui.core.printer.model import Counters

    poll = PollResult(target="10.1.2.40:161", reachable=True, page_count=87012,
                      counters=Counters(total=87012, mono=60000, color=27012, source="HP-LASERJET-COMMON-MIB"))
    split = Printer.new("10.1.2.40", name="Colour MFP", last_poll=poll, status="OK")
    plain = Printer.new("10.1.2.41", name="Old laser", status="OK",
                        last_poll=PollResult(target="10.1.2.41:161", reachable=True, page_count=500))
    store.transact(lambda printers: printers.extend([split, plain]), audit=None)
    code, out, _ = run(capsys, "printers", "show", "10.1.2.40")
    assert code == 0 and "87,012 (mono 60,000 · colour 27,012)" in out
    code, out, _ = run(capsys, "printers", "show", "10.1.2.40", "--json")
    doc = json.loads(out)
    assert doc["page_count"] == 87012
    assert (doc["counters"]["mono"], doc["counters"]["color"]) == (60000, 27012)
    code, out, _ = run(capsys, "printers", "show", "10.1.2.41", "--json")
    doc = json.loads(out)
    assert doc["page_count"] == 500 and doc["counters"]["mono"] is None and doc["counters"]["color"] is None
    code, out, _ = run(capsys, "printers", "show", "10.1.2.41")
    assert "Page count" in out and "mono" not in out
