"""`tonertrack metrics` / `--textfile` / `serve-metrics`: exact values from a store we fill, parsed back."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Alert, Counters, Identity, PollResult, Supply
from tonertrack_tui.core.reports.metrics import exposition

HOSTILE = 'Cyan "XL" \\ toner\nnext line \x1b[2J\x1b]0;title\x07[red]x[/]'


def supply(index, description, kind, color, level, pct, note=None, class_="consumed"):
    return Supply(index=index, description=description, type=None, kind=kind, class_=class_, unit="percent",
                  color=color, level=level, max=100, remaining_pct=pct, level_note=note, severity="ok")


def fill(store: Store) -> tuple[dict, dict, dict]:
    result = PollResult(
        target="10.0.0.5", reachable=True, status="Warning", reasons=["Cyan toner 15 %"],
        polled_at="2025-03-01T10:00:00Z", duration_ms=12.5, requests=3,
        identity=Identity(name="MFP-1", model="RICOH IM C3000"), page_count=184230,
        counters=Counters(total=184230, mono=150000, color=34230, source="RicohPrivateMIB"),
        supplies=[
            supply("1.1", "Black Toner", "toner", "black", 62, 62),
            supply("1.2", HOSTILE, "toner", "cyan", 15, 15),
            supply("1.3", "Drum", "drum", None, -3, None, "some_remaining"),
            supply("1.4", "Fuser", "fuser", None, -2, None, "unknown"),
            supply("1.20", "Waste Toner Bottle", "waste", None, 12, 12, class_="receptacle"),
        ],
        alerts=[Alert("1.1", "critical", None, None, 8, "jam", "Jam"),
                Alert("1.2", "warning", None, None, 1104, None, "Low"),
                Alert("1.3", "warning", None, None, 1104, None, "Low 2")],
    )
    good = Printer.new("10.0.0.5", name="MFP-1", location='B1 "copy" room',
                       last_poll=result, status="Warning", last_poll_at="2025-03-01T10:00:00Z",
                       last_good_poll_at="2025-03-01T10:00:00Z")
    offline = Printer.new("10.0.0.6", status="Offline", consecutive_failures=3,
                          last_poll_at="2025-03-01T10:05:00Z", stale=False)
    never = Printer.new("printer.example.com:1161")
    store.transact(lambda printers: printers.extend([good, offline, never]), audit=None)
    return good, offline, never


def samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append(s)
    return out


def value(found: dict, metric: str, **labels) -> float:
    matches = [s.value for s in found.get(metric, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (metric, labels, found.get(metric))
    return matches[0]


def test_exact_values(tmp_path):
    store = Store(tmp_path / "data")
    good, offline, never = fill(store)
    found = samples(exposition(store).decode())
    p = "10.0.0.5"
    assert value(found, "tonertrack_inventory_readable") == 1
    assert value(found, "tonertrack_printer_up", printer=p) == 1
    assert value(found, "tonertrack_printer_up", printer="10.0.0.6") == 0
    assert value(found, "tonertrack_printer_up", printer="printer.example.com:1161") == 0
    assert value(found, "tonertrack_printer_status", printer=p, status="Warning") == 1
    assert value(found, "tonertrack_printer_status", printer=p, status="OK") == 0
    assert sum(s.value for s in found["tonertrack_printer_status"] if s.labels["printer"] == p) == 1
    assert value(found, "tonertrack_printer_status", printer="10.0.0.6", status="Offline") == 1
    assert value(found, "tonertrack_printer_consecutive_failures", printer="10.0.0.6") == 3
    assert value(found, "tonertrack_printer_pages_total", printer=p) == 184230
    assert value(found, "tonertrack_printer_pages_by_kind_total", printer=p, kind="mono") == 150000
    assert value(found, "tonertrack_printer_pages_by_kind_total", printer=p, kind="color") == 34230
    assert {s.labels["printer"] for s in found["tonertrack_printer_pages_by_kind_total"]} == {p}  # only where known
    assert value(found, "tonertrack_printer_alerts", printer=p, severity="critical") == 1
    assert value(found, "tonertrack_printer_alerts", printer=p, severity="warning") == 2
    assert value(found, "tonertrack_printer_alerts", printer=p, severity="other") == 0
    assert value(found, "tonertrack_printer_poll_duration_seconds", printer=p) == 0.0125
    assert value(found, "tonertrack_printer_last_success_timestamp_seconds", printer=p) == 1740823200
    assert value(found, "tonertrack_printer_last_poll_timestamp_seconds", printer="10.0.0.6") == 1740823500
    assert "tonertrack_printer_last_success_timestamp_seconds" not in {
        s.name for s in found["tonertrack_printer_last_success_timestamp_seconds"] if s.labels["printer"] != p}
    assert value(found, "tonertrack_supply_remaining_ratio", printer=p, supply="1.1") == 0.62
    assert value(found, "tonertrack_supply_remaining_ratio", printer=p, supply="1.1", kind="toner",
                 color="black", description="Black Toner", **{"class": "consumed"}) == 0.62
    assert value(found, "tonertrack_supply_remaining_ratio", printer=p, supply="1.20", **{"class": "receptacle"}) == 0.12
    # level states: a separate metric, never a made-up ratio
    ratios = {s.labels["supply"] for s in found["tonertrack_supply_remaining_ratio"]}
    assert ratios == {"1.1", "1.2", "1.20"}
    assert value(found, "tonertrack_supply_level_state", printer=p, supply="1.3", state="some_remaining") == 1
    assert value(found, "tonertrack_supply_level_state", printer=p, supply="1.4", state="unknown") == 1
    assert value(found, "tonertrack_printers", status="Offline") == 1
    assert value(found, "tonertrack_printers", status="Unknown") == 1
    assert value(found, "tonertrack_printer_info", printer=p, id=good.id, name="MFP-1",
                 location='B1 "copy" room') == 1


def test_hostile_label_values_are_escaped_and_safe(tmp_path):
    store = Store(tmp_path / "data")
    fill(store)
    text = exposition(store).decode()
    assert "\x1b" not in text and "\x07" not in text
    # the raw exposition escapes quote and backslash; the newline became a space (textsafe)
    assert 'description="Cyan \\"XL\\" \\\\ toner next line [red]x[/]"' in text
    found = samples(text)
    s = [s for s in found["tonertrack_supply_remaining_ratio"] if s.labels["supply"] == "1.2"][0]
    assert s.labels["description"] == 'Cyan "XL" \\ toner next line [red]x[/]'
    assert s.value == 0.15


def test_hostile_recording_round_trips(sim_fleet, tmp_path):
    """A real poll of the hostile recording: every line of the exposition parses."""
    import asyncio

    from tonertrack_tui.core.polling.poller import poll_targets, run_with_client
    from tonertrack_tui.core.snmp.credentials import SnmpSettings

    async def go(client):
        return await poll_targets(client, [(sim_fleet.address(0), SnmpSettings(community="hostile"))])

    result = asyncio.run(run_with_client(go))[0]
    printer = Printer.new(sim_fleet.address(0))
    printer.apply_poll(result, 3)
    store = Store(tmp_path / "data")
    store.transact(lambda printers: printers.append(printer), audit=None)
    found = samples(exposition(store).decode())
    assert len(found["tonertrack_supply_remaining_ratio"]) >= 9
    for family in found.values():
        for s in family:
            for v in s.labels.values():
                assert not any(ord(c) < 32 for c in v)


def test_metrics_command_and_textfile(tmp_path, capsys):
    store = Store(Path(os.environ["TONERTRACK_DATA_DIR"]))
    fill(store)
    assert main(["metrics"]) == 0
    printed = capsys.readouterr().out
    assert "# TYPE tonertrack_printer_pages_total counter" in printed
    target = tmp_path / "textfile" / "tonertrack.prom"
    target.parent.mkdir()
    assert main(["metrics", "--textfile", str(target)]) == 0
    assert target.read_text() == printed
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in target.parent.iterdir()] == ["tonertrack.prom"]  # no temp file left


def test_corrupt_store_is_a_metric(tmp_path, capsys):
    data = Path(os.environ["TONERTRACK_DATA_DIR"])
    data.mkdir(parents=True)
    (data / "printers.json").write_text("{not json")
    assert main(["metrics"]) == 0
    found = samples(capsys.readouterr().out)
    assert value(found, "tonertrack_inventory_readable") == 0


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_metrics(tmp_path):
    store = Store(Path(os.environ["TONERTRACK_DATA_DIR"]))
    fill(store)
    port = free_tcp_port()
    proc = subprocess.Popen([sys.executable, "-m", "tonertrack_tui", "serve-metrics", "--listen", f"127.0.0.1:{port}"],
                            stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60  # generous: waits for the server to start, tests no speed
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                    body = r.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        found = samples(body)
        assert value(found, "tonertrack_printer_pages_total", printer="10.0.0.5") == 184230
        proc.terminate()
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_promtool_check_metrics(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'): `promtool check metrics` not run")
    store = Store(tmp_path / "data")
    fill(store)
    proc = subprocess.run([promtool, "check", "metrics"], input=exposition(store), capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
