"""Hostile printers polled into an inventory, then every output: exports, audit, metrics, lists,
notifications (webhook and hook) and print-server sync."""

from __future__ import annotations

import csv
import io
import json
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tonertrack_tui.cli import main
from tonertrack_tui.core.config import CommandHook, NotifyConfig, Webhook
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.notify.notifier import Notifier

from .hostile import CSV_TRIGGERS, HOSTILE, forbidden_in, strings_of, tally

SECRET = "Top-Secret-Community-4711"
USER_NAME = "=cmd|' /C calc'!A0 [b]Boss[/b] [@click=app.quit]y[/] \"q\" \\ back"
ESC_NAME = "[b]Boss[/b] \x1b[2J\x1b]52;c;ZXZpbA==\x07"


class Inventory:
    def __init__(self, root: Path) -> None:
        self.config = root / "config" / "config.toml"
        self.config.parent.mkdir(parents=True)
        self.config.write_text("[polling]\ntimeout_s = 3\nretries = 0\n")
        self.data = root / "data"
        self.root = root

    def cli(self, capsys, *argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(self.config), "--data-dir", str(self.data), *argv])
        out, err = capsys.readouterr()
        return code, out, err


@pytest.fixture(scope="module")
def inventory(tmp_path_factory, hostile_fleet):
    inv = Inventory(tmp_path_factory.mktemp("hostile-inventory"))  # capsys is per test: capture by hand
    adds = [
        (hostile_fleet.address(0), "adv_text", []),
        (hostile_fleet.address(1), "adv_types", []),
        (hostile_fleet.address(3), "adv_count_hi", []),
        ("localhost:" + hostile_fleet.address(0).rsplit(":", 1)[1], "adv_text",
         ["--name", USER_NAME, "--location", HOSTILE["csv_eq"].decode()]),
        ("127.0.0.1:9", SECRET, ["--timeout", "0.2", "--retries", "0"]),  # never answers; its secret never shows
    ]
    out = io.StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        for address, community, extra in adds:
            assert main(["--config", str(inv.config), "--data-dir", str(inv.data), "printers", "add", address,
                         "--community", community, *extra]) == 0, out.getvalue()
        assert main(["--config", str(inv.config), "--data-dir", str(inv.data), "poll", "--all"]) == 0
        # the counter goes backwards: the same printer answers 500 pages after 100,000
        assert main(["--config", str(inv.config), "--data-dir", str(inv.data), "printers", "edit",
                     hostile_fleet.address(3), "--community", "adv_count_lo"]) == 0
        assert main(["--config", str(inv.config), "--data-dir", str(inv.data), "poll", "--all"]) == 0
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    inv.printers = Store(inv.data).load()
    assert len(inv.printers) == 5
    return inv


def test_cli_refuses_control_characters_in_names(inventory, capsys):
    for bad in (ESC_NAME, "a\x00b", "tab\there", "c1\x9b31m", "\u202eevil", "zero\u200bwidth"):
        code, out, err = inventory.cli(capsys, "printers", "add", "192.0.2.77", "--name", bad)
        assert code == 2 and "control characters" in err
    assert all(p.address != "192.0.2.77" for p in Store(inventory.data).load())
    tally("cli input", 6)


def check_csv(text: str, surface: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    cells = 0
    for row in rows:
        for cell in row:
            cells += 1
            assert not forbidden_in(cell), (surface, cell[:80])
            if cell.startswith(CSV_TRIGGERS):
                try:
                    float(cell)  # a negative number is data, not a formula
                except ValueError:
                    raise AssertionError(f"{surface}: formula cell {cell[:60]!r}") from None
    tally(f"export {surface}", cells)
    return rows


@pytest.mark.parametrize("kind", ["monthly", "supplies", "alerts", "inventory", "usage"])
def test_every_export_is_safe_csv(inventory, capsys, kind, tmp_path):
    target = tmp_path / f"{kind}.csv"
    subject = [inventory.printers[0].address] if kind == "usage" else []
    code, out, err = inventory.cli(capsys, "export", kind, *subject, "-o", str(target))
    assert code == 0, err
    text = target.read_bytes().decode("utf-8-sig")
    rows = check_csv(text, kind)
    assert len(rows) >= 2
    assert SECRET not in text
    if kind == "alerts":
        joined = "\n".join(",".join(r) for r in rows)
        assert "'=HYPERLINK(" in joined and "[@click=app.quit]x[/]" in joined


def test_usage_of_every_printer_and_backwards_counter(inventory, capsys, tmp_path):
    for printer in inventory.printers:
        target = tmp_path / "u.csv"
        code, out, err = inventory.cli(capsys, "export", "usage", printer.address, "-o", str(target))
        assert code == 0, err
        rows = check_csv(target.read_bytes().decode("utf-8-sig"), "usage")
        for row in rows[1:]:
            for cell in row:
                if cell.lstrip("-").isdigit():
                    assert int(cell) >= 0, (printer.address, row)  # no negative page counts
    code, out, err = inventory.cli(capsys, "export", "monthly", "-o", "-")
    rows = check_csv(out, "monthly")
    for row in rows[1:]:
        for cell in row:
            if cell.lstrip("-").isdigit():
                assert int(cell) >= 0, row


def test_audit_log_is_json_lines_without_secrets(inventory):
    lines = (inventory.data / "printers_audit.log").read_text("utf-8").splitlines()
    assert len(lines) >= 6
    for line in lines:
        entry = json.loads(line)
        for text in strings_of(entry):
            assert not forbidden_in(text) or text == entry["changes"].get("name", [None, None])[1]
    raw = "\n".join(lines)
    assert SECRET not in raw and "adv_count_lo" not in raw
    tally("audit log", len(lines))


def test_printers_list_and_show_are_control_free_and_masked(inventory, capsys):
    code, out, err = inventory.cli(capsys, "printers", "list", "--json")
    assert code == 0, err
    docs = json.loads(out)
    assert SECRET not in out
    for text in strings_of(docs):
        assert "\x1b" not in text
    code, out, err = inventory.cli(capsys, "printers", "list")
    assert code == 0 and not forbidden_in(out.replace("\n", "")), sorted(forbidden_in(out.replace("\n", "")))
    for printer in inventory.printers:
        code, out, err = inventory.cli(capsys, "printers", "show", printer.address)
        assert code == 0, err
        assert not forbidden_in(out.replace("\n", "")), (printer.address, sorted(forbidden_in(out.replace("\n", ""))))
        assert SECRET not in out
    tally("printers list/show", len(docs) * 2 + 1)


def test_metrics_parse_with_prometheus_parser(inventory, capsys):
    code, out, err = inventory.cli(capsys, "metrics")
    assert code == 0, err
    labels = 0
    families = list(text_string_to_metric_families(out))
    assert {f.name for f in families} >= {"tonertrack_printer_info", "tonertrack_supply_remaining_ratio"}
    for family in families:
        for sample in family.samples:
            for value in sample.labels.values():
                labels += 1
                assert not forbidden_in(value), value[:80]
                assert len(value) <= 200
    info = next(f for f in families if f.name == "tonertrack_printer_info")
    assert any("[@click=app.quit]x[/]" in s.labels["name"] for s in info.samples)
    assert SECRET not in out
    tally("metrics", labels)


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                recorder.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


HOOK = """\
import json, os, sys
data = sys.stdin.buffer.read()
env = {k: v for k, v in os.environ.items() if k.startswith("TONERTRACK_")}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"stdin": data.decode("utf-8"), "env": env}) + "\\n")
"""


def test_notifications_carry_hostile_names_as_data(inventory, tmp_path):
    recorder = Recorder()
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    calls = tmp_path / "calls.jsonl"
    config = NotifyConfig(webhooks=(Webhook(url=recorder.url),),
                          commands=(CommandHook(argv=(sys.executable, str(script), str(calls))),),
                          retry_backoff_s=0.05)
    notifier = Notifier(tmp_path / "notify", config)
    try:
        calm = [replace(p, status="OK") for p in inventory.printers]
        events = notifier.process(calm)  # supplies already low: supply events
        events += notifier.process(inventory.printers)
        assert events, "statuses changed from OK: there must be events"
        assert notifier.wait_idle(20)
    finally:
        notifier.close()
        recorder.close()
    assert len(recorder.bodies) == len(events)
    bodies = [json.loads(b) for b in recorder.bodies]  # valid JSON, whatever the names held
    names = [e["printer_name"] if "printer_name" in e else e.get("name") for b in bodies for e in b["events"]]
    text = json.dumps(bodies, ensure_ascii=False)
    assert "[@click=app.quit]x[/]" in text and "[b]Boss[/b]" in text, names  # markup kept, as data
    for s in strings_of(bodies):
        assert not forbidden_in(s), s[:80]
    hook_calls = [json.loads(line) for line in calls.read_text().splitlines()]
    assert len(hook_calls) == len(events)
    for call in hook_calls:
        doc = json.loads(call["stdin"])
        assert doc in bodies
        for value in call["env"].values():
            assert not forbidden_in(value), value[:80]
    tally("notify webhook", len(bodies))
    tally("notify hook", len(hook_calls))


WINDOWS_EXPORT_HEADER = '"Name","ComputerName","Type","ShareName","PortName","DriverName","Location","Comment"'


def test_sync_with_hostile_queue_names(inventory, tmp_path, capsys, monkeypatch):
    names = [v.decode("utf-8", "replace").replace('"', '""') for v in HOSTILE.values()]
    lines = [WINDOWS_EXPORT_HEADER]
    for i, name in enumerate(names, 1):
        lines.append(f'"{name}","DC3","Local","S{i}","IP_10.66.0.{i}","=cmd|\' /C calc\'!A0","{name}","{name}"')
    export = tmp_path / "dc3.csv"
    export.write_bytes(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le"))
    inv = Inventory(tmp_path / "sync")
    inv.config.write_text(f'''[[sync.sources]]
name = "dc3"
kind = "windows-export"
path = "{export}"
location = "B2"
''')
    code, out, err = inv.cli(capsys, "sync", "--dry-run")
    assert code == 0, err
    assert not forbidden_in(out.replace("\n", "")), sorted(forbidden_in(out.replace("\n", "")))
    code, out, err = inv.cli(capsys, "sync", "--json", "--dry-run")
    assert code == 0, err
    json.loads(out)
    code, out, err = inv.cli(capsys, "sync", "--yes")
    assert code == 0, err
    printers = Store(inv.data).load()
    assert len(printers) == len(names)
    # queue names are kept as data (core/sync.py); every surface that shows them must clean them
    assert any("[@click=app.quit]x[/]" in p.name for p in printers)
    assert b"\x1b" not in inv.data.joinpath("printers.json").read_bytes()
    shown = [inv.cli(capsys, "printers", "list"), inv.cli(capsys, "metrics")]
    shown += [inv.cli(capsys, "printers", "show", p.address) for p in printers]
    for code, out, err in shown:
        assert code == 0, err
        assert not forbidden_in(out.replace("\n", "")), sorted(forbidden_in(out.replace("\n", "")))
    for argv in (("printers", "list", "--json"), ("sync", "--json", "--dry-run"), ("export", "inventory", "--json")):
        code, out, err = inv.cli(capsys, *argv)
        assert code == 0, err
        json.loads(out)  # data stays data (JSON-escaped), but nothing raw reaches the terminal:
        assert not forbidden_in(out.replace("\n", "")), (argv, sorted(forbidden_in(out.replace("\n", ""))))
    for kind in ("inventory", "alerts"):
        code, out, err = inv.cli(capsys, "export", kind, "-o", "-")
        assert code == 0, err
        check_csv(out.lstrip("\ufeff"), f"{kind} after sync")
    for line in (inv.data / "printers_audit.log").read_text().splitlines():
        json.loads(line)
    tally("sync (windows export)", len(names))
