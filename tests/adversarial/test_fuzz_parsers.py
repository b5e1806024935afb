"""Bounded fuzzing (hypothesis) of every file parser and of raw datagrams into the decoder.

Each parser may fail only with its documented error type: config → ConfigError,
printers.json → StoreCorrupt (or valid records), imports → ImportFileError,
print-server exports → SyncSourceError; datagrams → BerError.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tonertrack_tui.core.config import ConfigError, SyncSource, load_config, resolve_paths
from tonertrack_tui.core.inventory.importers import ImportFileError, parse_backup, parse_csv, parse_v2
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store, StoreCorrupt, StoreError
from tonertrack_tui.core.printer import mib
from tonertrack_tui.core.printer.decode import decode
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.core.snmp import ber
from tonertrack_tui.core.snmp.credentials import SnmpSettings
from tonertrack_tui.core.sync.plan import SyncSourceError, parse_lpstat_v, parse_rpcclient, read_source

from .hostile import HOSTILE, forbidden_in, strings_of, tally

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
hostile_text = st.sampled_from([v.decode("utf-8", "replace") for v in HOSTILE.values()])
any_text = st.one_of(st.text(max_size=80), hostile_text)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), any_text)
json_value = st.recursive(scalar, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                         st.dictionaries(any_text, kids, max_size=4)), max_leaves=12)

# --- config TOML ---------------------------------------------------------------------------

SECTIONS = ["polling", "snmp", "thresholds", "thresholds.kinds.toner", "export", "ui", "ui.keys", "history",
            "notify", "daemon", "metrics", "[sync.sources]", "[notify.webhooks]", "[notify.commands]", "bogus"]
KEYS = ["interval_s", "timeout_s", "retries", "offline_after", "concurrency", "community", "version",
        "warning_pct", "error_pct", "directory", "quit", "listen", "name", "kind", "path", "url", "argv",
        "template", "enabled", "events", "log_level", "headers", "v3_auth_proto", "raw_days", "x"]
toml_scalar = st.one_of(
    st.integers(-(2**65), 2**65).map(str), st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: {float("inf"): "inf", float("-inf"): "-inf"}.get(f, "nan" if f != f else repr(f))),
    st.sampled_from(["true", "false", "[]", "{}", "[1, \"a\"]", "{a = 1}", "1979-05-27T07:32:00Z", "''"]),
    any_text.map(json.dumps),
)


@st.composite
def toml_docs(draw):
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        section = draw(st.sampled_from(SECTIONS))
        lines.append(f"[{section}]")
        for _ in range(draw(st.integers(0, 4))):
            lines.append(f"{draw(st.sampled_from(KEYS))} = {draw(toml_scalar)}")
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=40)))  # garbage line
    return "\n".join(lines)


@FUZZ
@given(st.one_of(toml_docs(), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_config_load_raises_only_config_error(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("cfg")
    (root / "config.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_config(resolve_paths(root / "config.toml", root / "data"))
    except ConfigError as exc:
        assert str(exc)
    tally("fuzz config TOML")


# --- printers.json -----------------------------------------------------------------------

record_st = st.fixed_dictionaries({"id": st.one_of(st.text(max_size=8), st.integers()),
                                   "address": st.one_of(any_text, st.integers())},
                                  optional={"name": json_value, "snmp": json_value, "status": json_value,
                                            "last_poll": json_value, "thresholds": json_value})
store_docs = st.one_of(
    st.binary(max_size=300),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda schema, printers: json.dumps({"schema": schema, "printers": printers}).encode(),
              st.one_of(st.integers(-2, 3), json_value), st.one_of(st.lists(record_st, max_size=3), json_value)),
)


@FUZZ
@given(store_docs)
def test_store_load_is_records_or_store_corrupt(tmp_path_factory, raw):
    data = tmp_path_factory.mktemp("store")
    (data / "printers.json").write_bytes(raw)
    store = Store(data)
    try:
        printers = store.load()
    except StoreCorrupt:
        tally("fuzz printers.json")
        return
    for p in printers:
        assert isinstance(p, Printer) and isinstance(p.id, str) and isinstance(p.address, str)
    # whatever loaded can be saved back and loads the same
    try:
        store.transact(lambda loaded: None, audit=None)
    except StoreError:
        pass
    tally("fuzz printers.json")


# --- imports -----------------------------------------------------------------------------

v2_docs = st.one_of(
    st.binary(max_size=200),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.one_of(any_text, st.sampled_from(["10.0.0.1", "printer.example", "::1"])),
                    st.dictionaries(st.sampled_from(["ip", "name", "community", "snmp_version", "location",
                                                     "pages_history", "last_total_pages", "timestamp", "model",
                                                     "serial", "user_overridden"]), json_value, max_size=6),
                    max_size=3).map(lambda d: json.dumps(d).encode()),
)
csv_docs = st.one_of(
    st.binary(max_size=200),
    st.lists(st.lists(any_text, max_size=6), max_size=5).map(
        lambda rows: ("address,name,location,community,snmp_version,notes\n"
                      + "\n".join(",".join(json.dumps(c) for c in row) for row in rows)).encode("utf-8", "replace")),
)


def _check_rows(rows):
    for row in rows:
        assert isinstance(row.address, str)


@FUZZ
@given(v2_docs)
def test_v2_import_raises_only_import_file_error(raw):
    try:
        rows, warnings = parse_v2(raw, "v2.json", SnmpSettings())
        _check_rows(rows)
    except ImportFileError:
        pass
    tally("fuzz v2 import")


@FUZZ
@given(csv_docs)
def test_csv_import_raises_only_import_file_error(raw):
    try:
        rows, warnings = parse_csv(raw, "in.csv", SnmpSettings())
        _check_rows(rows)
    except ImportFileError:
        pass
    tally("fuzz CSV import")


@FUZZ
@given(store_docs)
def test_backup_import_raises_only_import_file_error(raw):
    try:
        rows, warnings = parse_backup(raw, "backup.json", SnmpSettings())
        _check_rows(rows)
    except ImportFileError:
        pass
    tally("fuzz JSON backup import")


# --- print-server exports ----------------------------------------------------------------

windows_docs = st.one_of(
    st.binary(max_size=200),
    st.lists(st.lists(any_text, max_size=8), max_size=5).map(
        lambda rows: ('"Name","ComputerName","Type","ShareName","PortName","DriverName","Location","Comment"\n'
                      + "\n".join(",".join(json.dumps(c) for c in row) for row in rows)).encode("utf-8", "replace")),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda servers: json.dumps({"format": "tonertrack-print-servers", "servers": servers}).encode(),
              st.lists(st.dictionaries(st.sampled_from(["server", "printers", "ports"]), json_value, max_size=3),
                       max_size=2)),
)


@FUZZ
@given(windows_docs, st.sampled_from(["windows-export", "csv"]), st.sampled_from(["", "utf-16", "sig"]))
def test_print_server_exports_raise_only_sync_source_error(tmp_path_factory, raw, kind, wrap):
    root = tmp_path_factory.mktemp("sync")
    if wrap == "utf-16":
        raw = b"\xff\xfe" + raw.decode("utf-8", "replace").encode("utf-16-le")
    elif wrap == "sig":
        raw = b"\xef\xbb\xbf" + raw
    (root / "export").write_bytes(raw)
    try:
        listing = read_source(SyncSource(name="fuzz", kind=kind, path=str(root / "export")))
        for q in listing.queues:
            assert isinstance(q.queue, str)
    except SyncSourceError:
        pass
    tally("fuzz print-server export")


@FUZZ
@given(st.text(max_size=300), st.text(max_size=200))
def test_lpstat_and_rpcclient_parsers_never_raise(lpstat, rpc):
    parse_lpstat_v(lpstat)
    parse_rpcclient(rpc, lpstat)
    tally("fuzz lpstat/rpcclient", 2)


# --- datagrams → decoder -----------------------------------------------------------------

OIDS = [mib.SYS_NAME + (0,), mib.SYS_DESCR + (0,), mib.PRT_MARKER_LIFE_COUNT + (1, 1),
        mib.PRT_SUPPLIES_ENTRY + (6, 1, 1), mib.PRT_SUPPLIES_ENTRY + (9, 1, 1), mib.PRT_SUPPLIES_ENTRY + (8, 1, 1),
        mib.PRT_ALERT_ENTRY + (8, 1, 1), mib.HR_DEVICE_ENTRY + (2, 1), mib.PRT_INPUT_ENTRY + (13, 1, 1)]
VALUE_TAGS = [0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0x30, 0xFF]


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + length + body


@st.composite
def datagrams(draw):
    varbinds = b""
    for _ in range(draw(st.integers(0, 6))):
        oid = draw(st.sampled_from(OIDS))
        name = ber.encode_oid(oid) if hasattr(ber, "encode_oid") else b""
        body = draw(st.one_of(st.binary(max_size=40), st.sampled_from(list(HOSTILE.values()))))
        varbinds += _tlv(0x30, _tlv(0x06, name) + _tlv(draw(st.sampled_from(VALUE_TAGS)), body))
    pdu = _tlv(0x02, b"\x01") + _tlv(0x02, b"\x00") + _tlv(0x02, b"\x00") + _tlv(0x30, varbinds)
    msg = _tlv(0x30, _tlv(0x02, b"\x01") + _tlv(0x04, b"public") + _tlv(0xA2, pdu))
    cut = draw(st.one_of(st.none(), st.integers(0, len(msg))))
    if cut is not None:
        msg = msg[:cut] if draw(st.booleans()) else msg[:cut] + draw(st.binary(max_size=8)) + msg[cut + 1:]
    return msg


@FUZZ
@given(st.one_of(datagrams(), st.binary(max_size=120)))
def test_raw_datagrams_decode_or_raise_ber_error(data):
    try:
        response = ber.decode_message(data)
    except ber.BerError:
        tally("fuzz datagrams")
        return
    values = {}
    for name, value in response.varbinds:
        values[tuple(name)] = value
    result = evaluate(decode("127.0.0.1:161", values))
    doc = result.to_json()
    json.dumps(doc)
    for text in strings_of(doc):
        assert not forbidden_in(text), text[:60]
    tally("fuzz datagrams")
