"""Print-server sync: every export format and encoding, every merge rule, failure leaves no trace."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.core.config import SyncSource
from tonertrack_tui.core.inventory.printer import Printer, SourceRef
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.sync.plan import (
    PlanChanged,
    SyncSourceError,
    address_from_port,
    address_from_uri,
    apply_plan,
    decode_text,
    parse_lpstat_v,
    parse_rpcclient,
    plan_sync,
    read_source,
)

TYPE_LINE = '#TYPE Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_Printer'
PRINTERS_CSV = textwrap.dedent('''\
    "Name","ComputerName","Type","ShareName","PortName","DriverName","Location","Comment"
    "B1-2F-MFP01","DC3","Local","B1-2F-MFP01","IP_10.1.2.3","RICOH IM C3000","Building 1","copy room"
    "B1-3F-LASER","DC3","Local","B1-3F-LASER","10.1.2.4_1","HP Universal","Building 1",""
    "Reception – Küche","DC3","Local","RECEPTION","prn-reception.example.org","HP Universal","",""
    "Accounting","DC3","Local","ACC","ACC_PORT","HP Universal","",""
    "Microsoft Print to PDF","DC3","Local","","PORTPROMPT:","Microsoft Print To PDF","",""
    "USB Label","DC3","Local","","USB001","Zebra","",""
    ''')
PORTS_CSV = textwrap.dedent('''\
    "Name","ComputerName","Description","PortMonitor","PrinterHostAddress","PortNumber"
    "ACC_PORT","DC3","Standard TCP/IP Port","TCPMON.DLL","10.1.2.9","9100"
    "IP_10.1.2.3","DC3","Standard TCP/IP Port","TCPMON.DLL","10.1.2.3","9100"
    ''')


def write(path: Path, text: str, encoding: str) -> Path:
    """Write as Windows tools do: 'utf-16' = UTF-16 LE with BOM, 'utf-8-sig', 'cp1252'."""
    if encoding == "utf-16":
        data = b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")
    else:
        data = text.replace("\n", "\r\n").encode(encoding)
    path.write_bytes(data)
    return path


def source(tmp_path: Path, name="dc3", kind="windows-export", **kw) -> SyncSource:
    return SyncSource(name=name, kind=kind, **kw)


def export_source(tmp_path: Path, text: str, encoding="utf-8", name="dc3", location="B2", ports: str | None = None,
                  suffix=".csv") -> SyncSource:
    path = write(tmp_path / f"{name}{suffix}", text, encoding)
    ports_path = ""
    if ports is not None:
        ports_path = str(write(tmp_path / f"{name}-ports.csv", ports, encoding))
    return SyncSource(name=name, kind="windows-export", path=str(path), location=location, ports_path=ports_path)


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252", "utf-8"])
@pytest.mark.parametrize("type_line", [True, False])
def test_get_printer_export_csv_in_every_encoding(tmp_path, encoding, type_line):
    text = (TYPE_LINE + "\n" if type_line else "") + PRINTERS_CSV
    listing = read_source(export_source(tmp_path, text, encoding, ports=PORTS_CSV))
    by_queue = {q.queue: q for q in listing.queues}
    assert by_queue["B1-2F-MFP01"].address == "10.1.2.3"
    assert by_queue["B1-3F-LASER"].address == "10.1.2.4"  # port name 10.1.2.4_1
    assert by_queue["Reception – Küche"].address == "prn-reception.example.org"  # decoded, not mojibake
    assert by_queue["Accounting"].address == "10.1.2.9"  # from the joined ports export
    assert by_queue["Microsoft Print to PDF"].address is None
    assert by_queue["USB Label"].address is None
    assert by_queue["B1-2F-MFP01"].comment == "copy room"


def test_without_the_ports_file_a_custom_port_name_is_no_address(tmp_path):
    listing = read_source(export_source(tmp_path, PRINTERS_CSV))
    acc = next(q for q in listing.queues if q.queue == "Accounting")
    assert acc.address is None and "ACC_PORT" in acc.why_no_address


@pytest.mark.parametrize("port", ["USB001", "LPT1:", "COM3:", "FILE:", "PORTPROMPT:", "nul:", "TS001",
                                  "WSD-7b5c1c8e-0cde-4d5b-9a4c-1f2e3d4c5b6a", "XPSPort:"])
def test_local_ports_are_never_addresses(port):
    assert address_from_port(port, "10.9.9.9")[0] is None


@pytest.mark.parametrize("port,host,expected", [
    ("IP_10.1.2.3", "", "10.1.2.3"),
    ("10.1.2.3_2", "", "10.1.2.3"),
    ("IP_10.1.2.3_1", "", "10.1.2.3"),
    ("printer7.example.org", "", "printer7.example.org"),
    ("tsprinter", "", "tsprinter"),  # a host name that starts like TS001 is still a host
    ("MyPort", "10.4.4.4", "10.4.4.4"),
    ("My Port", "", None),
    ("ACC_PORT", "", None),
    ("", "", None),
])
def test_address_from_port(port, host, expected):
    assert address_from_port(port, host)[0] == expected


def test_json_of_the_shipped_powershell_script(tmp_path):
    doc = {
        "format": "tonertrack-printers", "version": 1, "exported_at": "2025-01-01T00:00:00Z",
        "servers": [
            {"server": "DC3",
             "printers": [{"Name": "Q1", "PortName": "Q1_PORT", "ShareName": "Q1", "Location": "", "Comment": ""},
                          {"Name": "Q2", "PortName": "IP_10.1.2.20"}],
             "ports": [{"Name": "Q1_PORT", "PrinterHostAddress": "10.1.2.10", "PortNumber": 9100}]},
            {"server": "DC4",
             # ConvertTo-Json writes a one-element array as an object
             "printers": {"Name": "Q1", "PortName": "IP_10.2.0.1"}, "ports": []},
        ],
    }
    for encoding in ("utf-16", "utf-8-sig", "utf-8"):
        listing = read_source(export_source(tmp_path, json.dumps(doc, indent=2), encoding, suffix=".json"))
        got = {q.queue: q.address for q in listing.queues}
        assert got == {"\\\\DC3\\Q1": "10.1.2.10", "\\\\DC3\\Q2": "10.1.2.20", "\\\\DC4\\Q1": "10.2.0.1"}


def test_plain_convertto_json_of_get_printer(tmp_path):
    text = json.dumps([{"Name": "A", "PortName": "IP_10.0.0.1"}, {"Name": "B", "PortName": "10.0.0.2"}])
    listing = read_source(export_source(tmp_path, text, suffix=".json"))
    assert {q.queue: q.address for q in listing.queues} == {"A": "10.0.0.1", "B": "10.0.0.2"}


def test_missing_columns_are_a_clear_error(tmp_path):
    src = export_source(tmp_path, '"Name","DriverName"\n"A","HP"\n')
    with pytest.raises(SyncSourceError, match="missing column PortName"):
        read_source(src)


def test_short_rows_and_empty_files(tmp_path):
    listing = read_source(export_source(tmp_path, '"Name","PortName","Comment"\n"A","IP_10.0.0.1"\n'))
    assert listing.queues[0].address == "10.0.0.1"
    with pytest.raises(SyncSourceError, match="empty"):
        read_source(export_source(tmp_path, TYPE_LINE + "\n"))
    with pytest.raises(SyncSourceError, match="lists no printers"):
        read_source(export_source(tmp_path, '"Name","PortName"\n'))
    with pytest.raises(SyncSourceError, match="does not exist"):
        read_source(SyncSource(name="x", kind="windows-export", path=str(tmp_path / "nope.csv")))


def test_decode_text_variants():
    assert decode_text("Küche".encode("cp1252")) == "Küche"
    assert decode_text(b"\xef\xbb\xbfK\xc3\xbcche") == "Küche"
    assert decode_text(b"\xff\xfe" + "Küche".encode("utf-16-le")) == "Küche"
    assert decode_text("Name".encode("utf-16-le")) == "Name"  # no BOM


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252"])
def test_csv_source_reuses_the_importer_in_every_encoding(tmp_path, encoding):
    text = "address,name,location\n10.5.0.1,Café printer,B9\n10.5.0.2,Plain,\n"
    path = write(tmp_path / "fleet.csv", text, encoding)
    listing = read_source(SyncSource(name="sheet", kind="csv", path=str(path), location="HQ"))
    assert [(q.address, q.name, q.location) for q in listing.queues] == [
        ("10.5.0.1", "Café printer", "B9"), ("10.5.0.2", "Plain", "")]


def test_csv_source_with_a_bad_row_fails_whole(tmp_path):
    path = write(tmp_path / "fleet.csv", "address,name\n10.5.0.1,A\nnot an address,B\n", "utf-8")
    with pytest.raises(SyncSourceError, match="line 3"):
        read_source(SyncSource(name="sheet", kind="csv", path=str(path)))


def test_lpstat_and_uri_parsing():
    text = ("device for B1-laser: socket://10.1.2.3:9100\n"
            "device for colour: ipp://10.1.2.4/ipp/print\n"
            "device for secure: ipps://printer5.example.org:631/ipp/print\n"
            "device for old: lpd://10.1.2.6/queue\n"
            "device for snmpq: snmp://10.1.2.7\n"
            "device for web: http://10.1.2.8:631/\n"
            "device for v6: socket://[2001:db8::5]:9100\n"
            "device for usb: usb://HP/LaserJet?serial=123\n"
            "device for pdf: cups-pdf:/\n")
    got = {q.queue: q.address for q in parse_lpstat_v(text)}
    assert got == {"B1-laser": "10.1.2.3", "colour": "10.1.2.4", "secure": "printer5.example.org",
                   "old": "10.1.2.6", "snmpq": "10.1.2.7", "web": "10.1.2.8", "v6": "[2001:db8::5]",
                   "usb": None, "pdf": None}
    assert address_from_uri("dnssd://Foo._ipp._tcp.local/")[0] is None


RPC_PRINTERS = """\
\tservername:[\\\\DC3]
\tprintername:[\\\\DC3\\B1-MFP]
\tsharename:[B1-MFP]
\tportname:[IP_10.1.2.3]
\tdrivername:[RICOH]
\tcomment:[copy room]
\tlocation:[]

\tservername:[\\\\DC3]
\tprintername:[\\\\DC3\\Label]
\tsharename:[Label]
\tportname:[LABEL01]
\tdrivername:[Zebra]
\tcomment:[]
\tlocation:[]

"""
RPC_PORTS = """\
\tPort Name:\t[IP_10.1.2.3]
\tMonitor Name:\t[Standard TCP/IP Port]
\tDescription:\t[Standard TCP/IP Port]

\tPort Name:\t[LABEL01]
\tMonitor Name:\t[Local Port]
\tDescription:\t[Local Port]

"""


def test_rpcclient_output_parsing():
    queues, problems = parse_rpcclient(RPC_PRINTERS, RPC_PORTS)
    assert [(q.queue, q.address) for q in queues] == [("B1-MFP", "10.1.2.3"), ("Label", None)]
    assert queues[0].comment == "copy room"


# ---------------------------------------------------------------- merge rules


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


def csv_src(tmp_path, rows: list[str], name="dc3", location="B2") -> SyncSource:
    return export_source(tmp_path, '"Name","PortName"\n' + "".join(r + "\n" for r in rows), name=name,
                         location=location)


def sync(store: Store, *sources: SyncSource):
    listings = [read_source(s) for s in sources]
    plan = plan_sync(listings, store.load())
    return apply_plan(plan, listings, store), plan


def by_address(store: Store) -> dict[str, dict]:
    return {r.address: r for r in store.load()}


def audit(store: Store) -> list[dict]:
    if not store.audit_path.exists():
        return []
    return [json.loads(line) for line in store.audit_path.read_text().splitlines()]


def test_new_addresses_are_added_with_the_source_location(tmp_path, store):
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"']))
    assert len(plan.add) == 2 and plan.counts()["add"] == 2
    r = by_address(store)["10.0.0.1"]
    assert (r.name, r.location, r.source) == ("Q1", "B2", SourceRef("dc3", "Q1"))
    assert r.user_overridden is False and r.location_user_set is False and r.not_on_server is False
    lines = audit(store)
    assert len(lines) == 2
    assert all(line["action"] == "sync" and line["source"] == "dc3" and line["change"] == "add" for line in lines)
    assert {line["id"] for line in lines} == {r.id for r in store.load()}
    # running again changes nothing
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"']))
    assert plan.empty and len(plan.unchanged) == 2 and len(audit(store)) == 2


def test_known_address_is_renamed_unless_user_overridden(tmp_path, store):
    store.add(Printer.new("10.0.0.1", name="Mine", location="Desk"))  # user named and placed it
    auto = Printer.new("10.0.0.2")
    auto.name = "sysname-from-poll"
    store.add(auto)
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"']))
    recs = by_address(store)
    assert recs["10.0.0.1"].name == "Mine" and recs["10.0.0.1"].location == "Desk"
    assert recs["10.0.0.1"].source == SourceRef("dc3", "Q1")  # linked to its queue
    assert recs["10.0.0.2"].name == "Q2" and recs["10.0.0.2"].location == "B2"
    assert [c.address for c in plan.rename] == ["10.0.0.2"]
    assert [c.address for c in plan.relocate] == ["10.0.0.2"]
    assert [c.address for c in plan.link] == ["10.0.0.1"]
    # the server renames Q2: the name follows
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2-new","IP_10.0.0.2"']))
    assert by_address(store)["10.0.0.2"].name == "Q2-new"
    assert by_address(store)["10.0.0.1"].name == "Mine"
    rename_lines = [a for a in audit(store) if "rename" in a.get("change", "")]
    assert rename_lines[-1]["changes"]["name"] == ["Q2", "Q2-new"] and rename_lines[-1]["source"] == "dc3"


def test_location_follows_the_source_unless_set_by_hand(tmp_path, store):
    sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"']))
    rid = by_address(store)["10.0.0.1"].id
    store.update(rid, location="Lab", location_user_set=True)
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"'], location="B3"))
    recs = by_address(store)
    assert recs["10.0.0.1"].location == "Lab"
    assert recs["10.0.0.2"].location == "B3"
    assert [c.address for c in plan.relocate] == ["10.0.0.2"]


def test_a_queue_with_a_new_address_moves_keeping_id(tmp_path, store):
    sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"']))
    before = by_address(store)["10.0.0.1"]
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.99"']))
    recs = by_address(store)
    assert "10.0.0.1" not in recs
    assert recs["10.0.0.99"].id == before.id and recs["10.0.0.99"].added_at == before.added_at
    assert len(plan.move) == 1 and not plan.add and not plan.flag
    line = audit(store)[-1]
    assert line["change"] == "move" and line["changes"]["address"] == ["10.0.0.1", "10.0.0.99"]
    assert line["id"] == before.id and line["source"] == "dc3"


def test_a_disappeared_printer_is_flagged_never_deleted_and_comes_back(tmp_path, store):
    sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"']))
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"']))
    recs = by_address(store)
    assert recs["10.0.0.2"].not_on_server is True and len(recs) == 2
    assert [c.address for c in plan.flag] == ["10.0.0.2"]
    assert audit(store)[-1]["change"] == "flag"
    # still gone: no second flag
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"']))
    assert plan.empty
    # back again: the flag is cleared
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q2","IP_10.0.0.2"']))
    assert by_address(store)["10.0.0.2"].not_on_server is False


def test_printers_of_other_sources_and_manual_ones_are_never_flagged(tmp_path, store):
    store.add(Printer.new("10.9.0.1", name="Manual"))
    sync(store, csv_src(tmp_path, ['"A","IP_10.0.0.1"'], name="dc3"),
         csv_src(tmp_path, ['"B","IP_10.0.0.2"'], name="dc4", location="B4"))
    applied, plan = sync(store, csv_src(tmp_path, ['"A","IP_10.0.0.1"'], name="dc3"))
    assert plan.empty
    recs = by_address(store)
    assert not any(r.not_on_server for r in recs.values())
    assert recs["10.0.0.2"].location == "B4"


def test_an_address_synced_from_another_source_is_left_alone(tmp_path, store):
    sync(store, csv_src(tmp_path, ['"A","IP_10.0.0.1"'], name="dc3"))
    applied, plan = sync(store, csv_src(tmp_path, ['"Other","IP_10.0.0.1"'], name="dc4", location="X"))
    assert plan.empty and any("already synced from source dc3" in p for p in plan.problems)
    assert by_address(store)["10.0.0.1"].name == "A"


def test_duplicate_queues_for_one_address_are_reported(tmp_path, store):
    applied, plan = sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"', '"Q1-dup","10.0.0.1_1"',
                                                   '"Local","USB001"']))
    assert len(plan.add) == 1 and by_address(store)["10.0.0.1"].name == "Q1"
    assert any("Q1-dup" in p and "duplicate" in p for p in plan.problems)
    assert any("Local" in p and "no address" in p for p in plan.problems)


def test_hostile_names_are_stored_as_text(tmp_path, store):
    hostile = ['"[red]x[/]","IP_10.0.0.1"', '"=HYPERLINK(""http://evil"")","IP_10.0.0.2"',
               '"\x1b]52;c;ZXZpbA==\x07clip\x1b[2J","IP_10.0.0.3"']
    _, plan = sync(store, csv_src(tmp_path, hostile))
    names = {r.address: r.name for r in store.load()}
    assert names["10.0.0.1"] == "[red]x[/]"
    assert names["10.0.0.2"] == '=HYPERLINK("http://evil")'
    # an escape sequence follows the rule of typed names (validate.py): reported, not taken; still synced
    assert names["10.0.0.3"] == ""
    assert any("name must not contain control characters: U+001B (escape) (the name is not taken)" in p
               for p in plan.problems)
    raw = store.path.read_bytes()
    assert b"\x1b" not in raw  # JSON-escaped on disk


def test_a_failing_source_leaves_printers_json_byte_identical(tmp_path, store):
    sync(store, csv_src(tmp_path, ['"Q1","IP_10.0.0.1"']))
    before = store.path.read_bytes()
    audit_before = store.audit_path.read_bytes()
    for bad in (
        SyncSource(name="dc3", kind="windows-export", path=str(tmp_path / "missing.csv")),
        export_source(tmp_path, '"Name","Driver"\n"A","B"\n', name="dc3"),
        SyncSource(name="dc3", kind="cups", server="127.0.0.1:1", timeout_s=5),
    ):
        with pytest.raises(SyncSourceError):
            sync(store, bad)
    assert store.path.read_bytes() == before and store.audit_path.read_bytes() == audit_before


def test_plan_changed_meanwhile_applies_nothing(tmp_path, store):
    src = csv_src(tmp_path, ['"Q1","IP_10.0.0.1"'])
    listings = [read_source(src)]
    plan = plan_sync(listings, store.load())
    store.add(Printer.new("10.0.0.1", name="Raced"))  # another process got there first
    before = store.path.read_bytes()
    with pytest.raises(PlanChanged):
        apply_plan(plan, listings, store)
    assert store.path.read_bytes() == before


# ---------------------------------------------------------------- windows-rpc with a stand-in rpcclient


def test_windows_rpc_passes_credentials_only_through_a_private_auth_file(tmp_path, store, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "rpc.log"
    fake = bindir / "rpcclient"
    fake.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, os, stat, sys
        args = sys.argv[1:]
        auth = args[args.index("-A") + 1]
        mode = stat.S_IMODE(os.stat(auth).st_mode)
        with open({str(log)!r}, "a") as fh:
            fh.write(json.dumps({{"argv": args, "mode": mode, "auth": open(auth).read()}}) + "\\n")
        cmd = args[args.index("-c") + 1]
        sys.stdout.write({RPC_PRINTERS!r} if cmd.startswith("enumprinters") else {RPC_PORTS!r})
        """))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TT_RPC_PASSWORD", "s3cret-pass")
    src = SyncSource(name="dc3rpc", kind="windows-rpc", server="dc3.example.org", username="svc-print",
                     domain="CORP", password_env="TT_RPC_PASSWORD", location="B2", timeout_s=10)
    applied, plan = sync(store, src)
    assert [c.address for c in plan.add] == ["10.1.2.3"]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) == 2
    for call in calls:
        assert "s3cret-pass" not in " ".join(call["argv"])
        assert call["mode"] == 0o600 and "password = s3cret-pass" in call["auth"]
        assert call["argv"][-1] == "dc3.example.org"
    auth_path = calls[0]["argv"][calls[0]["argv"].index("-A") + 1]
    assert not os.path.exists(auth_path)  # the temporary auth file is gone


def test_windows_rpc_failure_is_a_clear_message(tmp_path, store, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "rpcclient"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('Cannot connect to server.  Error was "
                    f"NT_STATUS_HOST_UNREACHABLE\\n')\nsys.exit(1)\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    src = SyncSource(name="dc3rpc", kind="windows-rpc", server="dc3.example.org")
    with pytest.raises(SyncSourceError, match="NT_STATUS_HOST_UNREACHABLE"):
        read_source(src)
    assert not store.path.exists()


# ---------------------------------------------------------------- the command


def write_config(tmp_path: Path, body: str) -> None:
    cfg = Path(os.environ["TONERTRACK_CONFIG"])
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(body)


def test_sync_command_dry_run_then_apply(tmp_path, capsys, monkeypatch):
    path = write(tmp_path / "dc3.csv", TYPE_LINE + "\n" + PRINTERS_CSV, "utf-16")
    ports = write(tmp_path / "dc3-ports.csv", PORTS_CSV, "utf-16")
    write_config(tmp_path, f'''
[[sync.sources]]
name = "dc3"
kind = "windows-export"
path = "{path}"
ports_path = "{ports}"
location = "B2"

[[sync.sources]]
name = "broken"
kind = "csv"
path = "{tmp_path / 'nope.csv'}"
enabled = false
''')
    assert main(["sync", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "ADD" in out and "UNCHANGED" in out and "Dry run" in out and "no address" in out
    store = Store(Path(os.environ["TONERTRACK_DATA_DIR"]))
    assert not store.path.exists()
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # not a TTY: applies without asking
    assert main(["sync"]) == 0
    assert len(store.load()) == 4
    assert "Applied: 4 add" in capsys.readouterr().out
    assert main(["sync", "--json", "--dry-run"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"]["unchanged"] == 4 and doc["counts"]["add"] == 0
    # a failing source: clear message, exit 1, nothing changed
    before = store.path.read_bytes()
    assert main(["sync", "--source", "broken", "--yes"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert store.path.read_bytes() == before
    assert main(["sync", "--source", "nope"]) == 2


# ---------------------------------------------------------------- the TUI screen


async def test_sync_screen_shows_the_plan_and_applies_on_confirmation(tmp_path):
    from textual.widgets import DataTable

    from tonertrack_tui.app import create_app
    from tonertrack_tui.screens.sync import SyncScreen

    path = write(tmp_path / "dc3.csv", '"Name","PortName"\n"[red]Q1[/]","IP_10.0.0.1"\n"Q2","USB001"\n', "utf-16")
    write_config(tmp_path, f'[polling]\ninterval_s = 3600\n\n[[sync.sources]]\nname = "dc3"\n'
                           f'kind = "windows-export"\npath = "{path}"\nlocation = "B2"\n')
    app = create_app(auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_sync()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 2  # one add, one problem
        assert str(table.get_row_at(0)[2]) == "[red]Q1[/]"  # shown literally
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("y")  # the confirm dialog
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        store = Store(Path(os.environ["TONERTRACK_DATA_DIR"]))
        assert [r.name for r in store.load()] == ["[red]Q1[/]"]
        assert any(r.name == "[red]Q1[/]" for r in app.fleet.printers.values())
