"""The inventory store: transactions, audit log, corrupt files, disk full, permissions, two processes."""

import errno
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import (
    DuplicatePrinter,
    Store,
    StoreCorrupt,
    StoreWriteError,
    UnknownPrinter,
)
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply
from tonertrack_tui.core.util import fsutil

ROOT = Path(__file__).resolve().parent.parent
SECRETS = ("s3cret-community", "auth-key-123456", "priv-key-123456")


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


def audit_lines(store: Store) -> list[dict]:
    return [json.loads(line) for line in store.audit_path.read_text().splitlines()]


def temp_files(store: Store) -> list[Path]:
    return [p for p in store.data_dir.iterdir() if fsutil.TEMP_MARK in p.name]


# ---------------------------------------------------------------- basic operations


def test_add_get_update_remove(store):
    assert store.load() == []
    rec = store.add(Printer.new("10.1.2.3", name="Front desk", location="B2"))
    assert len(rec.id) == 32 and rec.user_overridden is True and rec.location_user_set is True
    assert store.get("10.1.2.3:161").name == "Front desk"
    assert store.get(rec.id).address == "10.1.2.3"
    assert store.get("10.9.9.9") is None
    store.add(Printer.new("Printer-2.example.org:1161"))
    assert [r.address for r in store.load()] == ["10.1.2.3", "printer-2.example.org:1161"]

    updated = store.update("10.1.2.3", name="Reception", address="10.1.2.4")
    assert (updated.name, updated.address, updated.id) == ("Reception", "10.1.2.4", rec.id)
    assert store.get("10.1.2.3") is None
    assert [r.name for r in store.find("recep")] == ["Reception"]
    assert [r.address for r in store.find(location="B2")] == ["10.1.2.4"]

    removed = store.remove("10.1.2.4")
    assert removed.id == rec.id
    assert [r.address for r in store.load()] == ["printer-2.example.org:1161"]


def test_duplicates_and_unknown_printers(store):
    store.add(Printer.new("10.1.2.3"))
    store.add(Printer.new("10.1.2.4"))
    before = store.path.read_bytes()
    with pytest.raises(DuplicatePrinter, match="10.1.2.3"):
        store.add(Printer.new("10.1.2.3:161"))
    with pytest.raises(DuplicatePrinter):
        store.update("10.1.2.4", address="10.1.2.3")
    with pytest.raises(UnknownPrinter):
        store.update("10.9.9.9", name="x")
    with pytest.raises(UnknownPrinter):
        store.remove("10.9.9.9")
    assert store.path.read_bytes() == before
    assert len(audit_lines(store)) == 2


def test_a_failing_transaction_writes_nothing(store):
    store.add(Printer.new("10.1.2.3"))
    before = store.path.read_bytes()

    def boom(records):
        records[0].name = "changed"
        records.append(Printer.new("10.1.2.9"))
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        store.transact(boom)
    assert store.path.read_bytes() == before


def test_transactions_reread_the_file(store, tmp_path):
    other = Store(store.data_dir)  # another process's view
    store.add(Printer.new("10.1.2.3"))
    other.add(Printer.new("10.1.2.4"))  # must not lose the first
    store.update("10.1.2.4", name="seen")
    assert {r.address: r.name for r in other.load()} == {"10.1.2.3": "", "10.1.2.4": "seen"}


def test_change_token(store):
    store.add(Printer.new("10.1.2.3"))
    store.load()
    token = store.token
    assert token == store.mtime_token()
    assert not store.changed_since(token)
    Store(store.data_dir).add(Printer.new("10.1.2.4"))
    assert store.changed_since(token)


# ---------------------------------------------------------------- polls


def good(target: str, status: str = "OK", name: str | None = "sysname-1", at: str = "2025-01-05T10:00:00Z") -> PollResult:
    return PollResult(target=target, reachable=True, status=status, reasons=[], polled_at=at,
                      identity=Identity(name=name, model="LaserJet 4000", serial="SN1"), page_count=1234,
                      supplies=[Supply("1.1", "Black Toner", "toner", "toner", "consumed", None, "black",
                                       40, 100, 40, None, "ok")])


def by_id(store: Store, results: list[PollResult]) -> list[tuple[str, PollResult]]:
    """(printer id, result) for results of printers matched by their address."""
    ids = {p.address: p.id for p in store.load()}
    return [(ids.get(r.target, "not-in-the-inventory"), r) for r in results]


def dead(target: str, at: str = "2025-01-05T10:05:00Z") -> PollResult:
    return PollResult(target=target, reachable=False, status="Offline", reasons=["No reply"], polled_at=at)


def test_record_poll_offline_after_three_failures_and_stale(store):
    rec = store.add(Printer.new("10.1.2.3"))
    [r] = store.record_poll(by_id(store, [good("10.1.2.3", "Warning")]), offline_after=3)
    assert (r.status, r.stale, r.consecutive_failures) == ("Warning", False, 0)
    assert (r.name, r.model, r.serial) == ("sysname-1", "LaserJet 4000", "SN1")
    assert r.last_good_poll_at == "2025-01-05T10:00:00Z"
    for n in (1, 2):
        [r] = store.record_poll([(rec.id, dead("10.1.2.3", f"2025-01-05T10:0{n}:00Z"))], offline_after=3)
        assert (r.status, r.stale, r.consecutive_failures) == ("Warning", True, n)
        assert r.last_poll.page_count == 1234  # last good state kept
    [r] = store.record_poll(by_id(store, [dead("10.1.2.3", "2025-01-05T10:03:00Z")]), offline_after=3)
    assert (r.status, r.consecutive_failures, r.last_poll_at) == ("Offline", 3, "2025-01-05T10:03:00Z")
    assert r.last_good_poll_at == "2025-01-05T10:00:00Z"
    [r] = store.record_poll(by_id(store, [good("10.1.2.3", at="2025-01-05T10:04:00Z")]))
    assert (r.status, r.stale, r.consecutive_failures) == ("OK", False, 0)


def test_record_poll_never_polled_stays_unknown_until_offline(store):
    store.add(Printer.new("10.1.2.3"))
    [r] = store.record_poll(by_id(store, [dead("10.1.2.3")]))
    assert (r.status, r.stale) == ("Unknown", False)


def test_sysname_never_replaces_a_name(store):
    store.add(Printer.new("10.1.2.3", name="Mine"))
    store.add(Printer.new("10.1.2.4"))
    store.update("10.1.2.4", name="Theirs", user_overridden=False)
    store.record_poll(by_id(store, [good("10.1.2.3", name="sys-a"), good("10.1.2.4", name="sys-b")]))
    assert {r.address: r.name for r in store.load()} == {"10.1.2.3": "Mine", "10.1.2.4": "Theirs"}


def test_record_poll_is_one_transaction_and_audits_only_inventory_changes(store):
    for i in range(5):
        store.add(Printer.new(f"10.1.2.{i}"))
    n_audit = len(audit_lines(store))
    store.record_poll(by_id(store, [good(f"10.1.2.{i}", name=f"sys{i}") for i in range(5)] + [good("10.9.9.9")]))
    lines = audit_lines(store)[n_audit:]
    assert [x["action"] for x in lines] == ["poll"] * 5  # the sysName was taken: an inventory change
    assert set(lines[0]["changes"]) == {"name", "model", "serial"}
    store.record_poll(by_id(store, [good(f"10.1.2.{i}", name=f"sys{i}", at="2025-01-06T00:00:00Z")
                                        for i in range(5)]))
    assert len(audit_lines(store)) == n_audit + 5  # status-only polls are not audited


# ---------------------------------------------------------------- audit log and secrets


def test_audit_log_masks_secrets(store):
    snmp = {"version": "3", "v3_user": "ops", "v3_auth_proto": "SHA", "v3_auth_key": SECRETS[1],
            "v3_priv_proto": "AES", "v3_priv_key": SECRETS[2]}
    store.add(Printer.new("10.1.2.3", snmp=snmp))
    store.add(Printer.new("10.1.2.4", snmp={"community": SECRETS[0]}))
    store.update("10.1.2.4", snmp={"community": "other-secret-x"})
    store.remove("10.1.2.3")
    text = store.audit_path.read_text()
    for secret in SECRETS + ("other-secret-x",):
        assert secret not in text
    lines = audit_lines(store)
    assert [x["action"] for x in lines] == ["add", "add", "edit", "delete"]
    assert lines[2]["changes"] == {"snmp.community": ["••••••", "••••••"]}
    for line in lines:
        assert set(line) == {"time", "user", "pid", "action", "printer", "id", "changes"}
        assert line["user"] and line["pid"] > 0 and line["time"].endswith("Z")
    # masked_json is what list/show print
    shown = json.dumps(Printer.new("10.1.2.5", snmp=snmp).masked_json())
    assert SECRETS[1] not in shown and SECRETS[2] not in shown
    # the inventory itself keeps them (0600)
    assert "other-secret-x" in store.path.read_text()


def test_files_and_dirs_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        store = Store(tmp_path / "a" / "data")
        store.add(Printer.new("10.1.2.3", snmp={"community": SECRETS[0]}))
    finally:
        os.umask(old)
    for path in (store.path, store.audit_path, store.lock_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(store.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700


# ---------------------------------------------------------------- corrupt files


@pytest.mark.parametrize(
    "kind, content, reason",
    [
        ("truncated", None, "invalid JSON"),
        ("garbage", b"\x00\xffnot json at all", "not UTF-8"),
        ("text garbage", b"hello world", "invalid JSON at line 1"),
        ("empty", b"", "empty"),
        ("wrong shape", b'[{"address": "10.1.2.3"}]', "not a TonerTrack inventory"),
        ("newer schema", b'{"schema": 99, "printers": []}', "newer TonerTrack"),
        ("record without id", b'{"schema": 1, "printers": [{"address": "10.1.2.3"}]}', "printer #1"),
    ],
)
def test_corrupt_file_is_reported_and_never_written(store, kind, content, reason):
    store.add(Printer.new("10.1.2.3"))
    store.add(Printer.new("10.1.2.4"))
    if content is None:
        content = store.path.read_bytes()[:-40]
    store.path.write_bytes(content)
    with pytest.raises(StoreCorrupt) as info:
        store.load()
    assert str(store.path) in str(info.value) and reason in str(info.value)
    assert info.value.path == store.path
    for attempt in (lambda: store.add(Printer.new("10.1.2.5")), lambda: store.update("10.1.2.3", name="x"),
                    lambda: store.remove("10.1.2.3"), lambda: store.record_poll([("x" * 32, good("10.1.2.3"))])):
        with pytest.raises(StoreCorrupt):
            attempt()
    assert store.path.read_bytes() == content
    assert temp_files(store) == []
    # the user acts: quarantine keeps the bytes aside, then the store starts afresh
    moved = store.quarantine()
    assert moved.name.startswith("printers.json.corrupt-") and moved.read_bytes() == content
    store.add(Printer.new("10.1.2.5"))
    assert [r.address for r in store.load()] == ["10.1.2.5"]


def test_directory_in_place_of_the_file(store):
    store.path.mkdir(parents=True)
    with pytest.raises(StoreCorrupt, match="directory"):
        store.load()
    with pytest.raises(StoreCorrupt):
        store.add(Printer.new("10.1.2.3"))
    assert store.path.is_dir() and list(store.path.iterdir()) == []


# ---------------------------------------------------------------- disk full


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_enospc_keeps_the_old_file(store, monkeypatch, call):
    store.add(Printer.new("10.1.2.3"))
    before = store.path.read_bytes()
    real = getattr(os, call)

    def failing(fd, *args):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if fsutil.TEMP_MARK in target:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, *args)

    monkeypatch.setattr(fsutil.os, call, failing)
    with pytest.raises(StoreWriteError) as info:
        store.add(Printer.new("10.1.2.4"))
    assert "No space left on device" in str(info.value) and str(store.path) in str(info.value)
    assert isinstance(info.value.error, OSError) and info.value.error.errno == errno.ENOSPC
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert temp_files(store) == []
    assert [r.address for r in store.load()] == ["10.1.2.3"]
    assert len(audit_lines(store)) == 1  # nothing audited for the failed save


def test_stale_temp_files_are_cleaned_under_the_lock(store):
    store.add(Printer.new("10.1.2.3"))
    leftover = store.data_dir / f".printers.json{fsutil.TEMP_MARK}999-dead"
    leftover.write_text("half")
    assert store.load()[0].address == "10.1.2.3"  # ignored when reading
    store.add(Printer.new("10.1.2.4"))
    assert not leftover.exists()


# ---------------------------------------------------------------- two processes


WRITER = textwrap.dedent("""
    import sys
    from tonertrack_tui.core.inventory.printer import Printer
    from tonertrack_tui.core.inventory.store import Store
    store = Store(sys.argv[1])
    net = int(sys.argv[2])
    for i in range(200):
        store.add(Printer.new(f"10.{net}.{i // 250}.{i % 250 + 1}", name=f"p{net}-{i}"))
""")


def test_two_processes_adding_200_each(store):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store.data_dir), str(n)], env=env)
             for n in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    records = store.load()
    assert len(records) == 400
    assert len({r.address for r in records}) == 400
    lines = store.audit_path.read_text().splitlines()
    assert len(lines) == 400
    parsed = [json.loads(line) for line in lines]
    assert {x["action"] for x in parsed} == {"add"}
    assert {x["printer"] for x in parsed} == {r.address for r in records}


def test_record_poll_line_path_writes_what_a_full_transaction_writes(tmp_path):
    """record_poll parses only the polled printers' lines; the file must come out the same."""
    from tonertrack_tui.core.printer.status import evaluate

    def fill(store: Store) -> list[str]:
        ids = []
        for i in range(5):
            ids.append(store.add(Printer.new(f"10.0.0.{i + 1}", name=f"P{i}" if i % 2 else "")).id)
        return ids

    fast, slow = Store(tmp_path / "fast"), Store(tmp_path / "slow")
    ids_fast, ids_slow = fill(fast), fill(slow)
    # the slow store's file in another layout (pretty-printed, as a person might leave it): the
    # line-level path cannot read it, so every poll there is a full transaction
    slow.path.write_text(json.dumps(json.loads(slow.path.read_text()), indent=2))
    for rid_fast, rid_slow, i in zip(ids_fast, ids_slow, range(5), strict=True):
        result = evaluate(PollResult(target=f"10.0.0.{i + 1}", reachable=i != 2, polled_at="2026-01-01T00:00:00Z",
                                     identity=Identity(name=f"sys{i}", model="M", serial=f"S{i}"),
                                     supplies=[Supply("1.1", "Black", "toner", "toner", "consumed", None, "black",
                                                      5, 100, 5, None)]))
        fast.record_poll([(rid_fast, result)])
        slow.record_poll([(rid_slow, result)])
    a, b = fast.load(), slow.load()
    for ra, rb in zip(a, b, strict=True):
        ra.id = rb.id = ra.added_at = rb.added_at = ""
    assert a == b
    assert a[1].name == "P1" and a[0].name == "sys0" and a[2].consecutive_failures == 1
    fast_audit = (tmp_path / "fast" / "printers_audit.log").read_text().splitlines()
    slow_audit = (tmp_path / "slow" / "printers_audit.log").read_text().splitlines()
    assert len(fast_audit) == len(slow_audit)


def test_an_append_after_a_torn_line_starts_on_a_line_of_its_own(tmp_path):
    from tonertrack_tui.core.util.fsutil import append_lines

    log = tmp_path / "audit.log"
    log.write_bytes(b'{"time": "2025-01-01T00:00:00Z"}\n{"time": "2025-01-0')  # a writer killed mid-write
    append_lines(log, [b'{"a": 1}', b'{"b": 2}\n'])
    assert log.read_bytes().split(b"\n") == [b'{"time": "2025-01-01T00:00:00Z"}', b'{"time": "2025-01-0',
                                            b'{"a": 1}', b'{"b": 2}', b""]
    append_lines(log, [b'{"c": 3}'])  # a whole last line: no blank line in between
    assert log.read_bytes().endswith(b'{"b": 2}\n{"c": 3}\n')


def test_load_for_polling_reads_only_what_a_poll_needs(store):
    a = store.add(Printer.new("10.0.0.1", name="A", snmp={"community": "c1"}))
    b = store.add(Printer.new("10.0.0.2", location="B2"))
    store.record_poll([(a.id, PollResult(target="10.0.0.1", reachable=True, status="OK",
                                            polled_at="2025-03-05T12:00:00Z"))])
    store.record_poll([(b.id, PollResult(target="10.0.0.2", reachable=False, timed_out=True))])
    slim = store.load_for_polling()
    assert [r.id for r in slim] == [a.id, b.id]
    assert all(r.last_poll is None for r in slim)
    assert slim[0].snmp == {"community": "c1"} and slim[1].consecutive_failures == 1
    assert slim[0].last_good_poll_at == "2025-03-05T12:00:00Z"
    full = {r.id: r for r in store.load()}
    assert full[a.id].last_poll is not None
    for r in slim:
        r.last_poll = full[r.id].last_poll
        assert r == full[r.id]


def test_load_for_polling_of_another_layout_and_of_a_broken_file(store):
    store.path.parent.mkdir(parents=True, exist_ok=True)
    # a hand-edited (pretty-printed) file: not our line layout, read by the full parse
    store.path.write_text(json.dumps({"schema": 1, "printers": [
        {"id": "x1", "address": "10.0.0.9", "name": "Hand", "snmp": {"version": "1"}, "notes": "n"}]}, indent=2))
    [slim] = store.load_for_polling()
    assert (slim.id, slim.address, slim.name, slim.snmp, slim.notes) == ("x1", "10.0.0.9", "Hand",
                                                                         {"version": "1"}, "n")
    assert slim == store.load()[0]
    store.path.write_text('{"schema": 1, "printers": [\n{"id":"a","address":"10.0.0.1"},\n{"id":"a","address":"10.0.0.2"}\n]}\n')
    with pytest.raises(StoreCorrupt, match="repeats the id"):
        store.load_for_polling()
