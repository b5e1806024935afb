"""Issue 19: the inventory on a real PostgreSQL server (started by these tests, never mocked).

The store contract runs against both backends; then what only the database has: one
transaction with its audit, versions, the revision other processes watch, `storage`
commands, the copy there and back, the CLI and the TUI on the database."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.core.config import ConfigError, load_config, resolve_paths
from tonertrack_tui.core.inventory.history import Sample
from tonertrack_tui.core.inventory.pgstore import LATEST, PgStore, PgStoreError, read_password
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import DuplicatePrinter, Store, UnknownPrinter
from tonertrack_tui.core.printer.model import PollResult

pytestmark = pytest.mark.xdist_group("postgresql")  # one server for these tests


@pytest.fixture(params=["json", "postgresql"])
def any_store(request, tmp_path):
    if request.param == "json":
        return Store(tmp_path / "data")
    return request.getfixturevalue("pg")


def good_poll(target: str, name: str = "MFP") -> PollResult:
    from tonertrack_tui.core.printer.model import Identity

    return PollResult(target=target, reachable=True, status="OK", polled_at="2026-12-03T10:00:00Z", requests=1,
                      identity=Identity(name=name, model="Laser 5"), page_count=1234)


# ---------------------------------------------------------------- the contract, on both backends


def test_add_update_remove_and_their_errors(any_store):
    a = any_store.add(Printer.new("10.0.0.1", name="A", snmp={"community": "topsecret"}))
    any_store.add(Printer.new("10.0.0.2"))
    with pytest.raises(DuplicatePrinter):
        any_store.add(Printer.new("10.0.0.1"))
    assert any_store.update("10.0.0.1", location="B2").location == "B2"
    with pytest.raises(DuplicatePrinter):
        any_store.update("10.0.0.2", address="10.0.0.1")
    with pytest.raises(UnknownPrinter):
        any_store.update("10.9.9.9", location="x")
    any_store.remove("10.0.0.2")
    assert [(p.id, p.address, p.location, p.snmp) for p in any_store.load()] == [
        (a.id, "10.0.0.1", "B2", {"community": "topsecret"})]


def test_a_failing_change_writes_nothing(any_store):
    any_store.add(Printer.new("10.0.0.1"))

    def half(printers):
        printers[0].location = "changed"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        any_store.transact(half)
    assert any_store.load()[0].location == ""


def test_poll_results_count_failures_and_keep_the_last_good_state(any_store):
    p = any_store.add(Printer.new("10.0.0.1"))
    any_store.record_poll([(p.id, good_poll("10.0.0.1"))])
    for _ in range(3):
        any_store.record_poll([(p.id, PollResult(target="10.0.0.1", timed_out=True))], offline_after=3)
    (after,) = any_store.load()
    assert after.status == "Offline" and after.consecutive_failures == 3
    assert after.last_poll.page_count == 1234 and after.name == "MFP" and after.model == "Laser 5"


def test_a_result_older_than_the_saved_poll_never_replaces_it(any_store):
    """What a daemon held through a database outage is written late: where another daemon saved a
    newer poll meanwhile, the older result is skipped (the newer ones of the same batch are not)."""
    a, b = any_store.add(Printer.new("10.0.0.1")), any_store.add(Printer.new("10.0.0.2"))
    newer = good_poll("10.0.0.1", name="Newer")
    newer.polled_at, newer.page_count = "2026-12-03T10:05:00Z", 2000
    any_store.record_poll([(a.id, newer)])
    late = good_poll("10.0.0.1", name="Held")  # 10:00, page count 1234
    changed = any_store.record_poll([(a.id, late), (b.id, good_poll("10.0.0.2", name="Other"))])
    assert [p.address for p in changed] == ["10.0.0.2"]
    by_address = {p.address: p for p in any_store.load()}
    assert by_address["10.0.0.1"].last_poll.page_count == 2000 and by_address["10.0.0.1"].name == "Newer"
    assert by_address["10.0.0.1"].last_poll_at == "2026-12-03T10:05:00Z"
    assert by_address["10.0.0.2"].name == "Other"


def test_two_writers_at_once_lose_nothing(any_store, tmp_path):
    printers = [any_store.add(Printer.new(f"10.0.0.{i}")) for i in range(1, 5)]
    other = type(any_store)(*(
        (tmp_path / "data",) if isinstance(any_store, Store) and not isinstance(any_store, PgStore)
        else (tmp_path / "data", any_store.dsn, any_store._password)))
    errors = []

    def edit(store, field):
        try:
            for n in range(15):
                for p in printers:
                    store.update(p.id, **{field: f"{field}-{n}"})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(any_store, "location")),
               threading.Thread(target=edit, args=(other, "notes"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert {(p.location, p.notes) for p in any_store.load()} == {("location-14", "notes-14")}


def test_another_process_change_is_noticed(any_store, tmp_path):
    any_store.add(Printer.new("10.0.0.1"))
    any_store.load()
    token = any_store.mtime_token()
    assert not any_store.changed_since(token)
    other = Store(tmp_path / "data") if not isinstance(any_store, PgStore) else PgStore(
        tmp_path / "data", any_store.dsn, any_store._password)
    other.update("10.0.0.1", location="elsewhere")
    assert any_store.changed_since(token)


# ---------------------------------------------------------------- what the database adds


def test_each_change_is_one_transaction_with_its_masked_audit_and_a_version(pg):
    p = pg.add(Printer.new("10.0.0.1", snmp={"community": "topsecret"}))
    pg.update(p.id, location="B2")
    pg.update(p.id, location="B2")  # no change: no write, no version, no audit row
    assert pg.record_versions() == {p.id: 2}
    entries = pg.audit_entries()
    assert [e["action"] for e in entries] == ["add", "edit"]
    assert "topsecret" not in json.dumps(entries) and entries[0]["changes"]["snmp.community"][1] == "••••••"
    assert {"time", "user", "pid"} <= set(entries[0])


def test_an_uninitialised_or_unreachable_database_says_so(server, tmp_path):
    fresh = PgStore(tmp_path / "d", server.new_database(), server.PASSWORD)
    assert fresh.schema_version() == 0
    with pytest.raises(PgStoreError, match="run `tonertrack storage init`"):
        fresh.load()
    wrong = PgStore(tmp_path / "d", server.dsn(), "not-the-password")
    with pytest.raises(PgStoreError, match="cannot reach the database"):
        wrong.load()
    assert fresh.migrate() and fresh.migrate() == []  # twice: nothing more to do


def test_the_password_comes_from_the_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_DB_PASSWORD", "from-env")
    assert read_password("") == "from-env"
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    secret.chmod(0o640)
    with pytest.raises(PgStoreError, match=r"may be read by others \(mode 0640\): chmod 600 it"):
        read_password(str(secret))
    secret.chmod(0o600)
    assert read_password(str(secret)) == "from-file"
    config = tmp_path / "config.toml"
    config.write_text('[storage]\nbackend = "postgresql"\ndsn = "postgresql://u:hunter2@db/tt"\n')
    with pytest.raises(ConfigError, match="must not hold the password"):
        load_config(resolve_paths(config, tmp_path / "data"))


def _use_database(tmp_path, monkeypatch, server, dsn) -> Path:
    config = tmp_path / "c" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[storage]\nbackend = "postgresql"\ndsn = "{dsn}"\n')
    monkeypatch.setenv("TONERTRACK_CONFIG", str(config))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TONERTRACK_DB_PASSWORD", server.PASSWORD)
    return config


def test_cli_on_the_database_and_storage_commands(server, tmp_path, monkeypatch, capsys):
    _use_database(tmp_path, monkeypatch, server, server.new_database())
    assert main(["storage", "status"]) == 1
    assert "not initialised: run `tonertrack storage init`" in capsys.readouterr().out
    assert main(["storage", "init"]) == 0
    assert "applied migration 1:" in capsys.readouterr().out
    assert main(["storage", "status"]) == 0
    out = capsys.readouterr().out
    assert "backend: postgresql" in out and f"schema version: {LATEST} (current)" in out and server.PASSWORD not in out
    assert f"database: postgresql://tonertrack@127.0.0.1:{server.port}/" in out
    assert main(["printers", "add", "10.1.2.3", "--name", "Lab", "--community", "s3cret"]) == 0
    assert capsys.readouterr().out == "Added 10.1.2.3 (Lab)\n"
    assert main(["printers", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["address"] for p in listed] == ["10.1.2.3"] and "s3cret" not in json.dumps(listed)
    assert main(["printers", "add", "10.1.2.4", "--site", "north"]) == 0
    store = PgStore(tmp_path / "other", load_config(resolve_paths(tmp_path / "c" / "config.toml",
                                                                  tmp_path / "d")).storage.dsn, server.PASSWORD)
    assert len(store.claim("north", "jump2:4242", 60, 25)) == 1
    capsys.readouterr()
    assert main(["storage", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "site default: 1 printer; no daemon has claimed any (daemon --site)" in out
    assert [line for line in out if line.startswith("site north: 1 printer; claimed by jump2:4242 (last claim ")]
    assert not (tmp_path / "data" / "printers.json").exists()  # it went to the database


def test_an_unreachable_database_is_one_clear_line(server, tmp_path, monkeypatch, capsys):
    _use_database(tmp_path, monkeypatch, server, f"postgresql://tonertrack@127.0.0.1:{server.port + 1}/x")
    assert main(["printers", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tonertrack: error: cannot reach the database postgresql://tonertrack@127.0.0.1:")
    assert "Traceback" not in err


def test_copy_json_to_postgresql_and_back_loses_nothing(server, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    json_store = Store(data)
    p = json_store.add(Printer.new("10.0.0.1", name="A", snmp={"community": "s3cret"}))
    json_store.add(Printer.new("ipp://10.0.0.2/ipp/print", location="B2"))
    json_store.record_poll([(p.id, good_poll("10.0.0.1"))])
    history = json_store.history()
    history.import_months(p.id, {"2026-06": 700})
    history.append([Sample(p.id, f"2026-11-{day:02d}T10:00:00+00:00", 1000 + 40 * day) for day in range(1, 29)])
    history_raw, months = history.raw(p.id), history.monthly_pages_all()
    original = [x.to_json() for x in json_store.load()]
    audit_before = (data / "printers_audit.log").read_text().splitlines()
    config = _use_database(tmp_path, monkeypatch, server, server.new_database())
    assert main(["storage", "init"]) == 0
    assert main(["storage", "copy", "--from", "json", "--to", "postgresql"]) == 0
    assert "Copied 2 printers, 3 audit entries and the history of 1 printers (29 lines)" in capsys.readouterr().err
    in_db = PgStore(tmp_path / "elsewhere", load_config(resolve_paths(config, tmp_path / "d")).storage.dsn,
                    server.PASSWORD).history()
    assert in_db.raw(p.id) == history_raw and in_db.monthly_pages_all() == months
    assert main(["storage", "copy", "--from", "json", "--to", "postgresql"]) == 2  # not over printers unasked
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "back"))
    assert main(["storage", "copy", "--from", "postgresql", "--to", "json"]) == 0
    assert [x.to_json() for x in Store(tmp_path / "back").load()] == original
    assert [json.loads(x) for x in (tmp_path / "back" / "printers_audit.log").read_text().splitlines()] == [
        json.loads(x) for x in audit_before]
    assert stat.S_IMODE((tmp_path / "back" / "printers.json").stat().st_mode) == 0o600
    back = Store(tmp_path / "back").history()
    assert back.raw(p.id) == history_raw and back.monthly_pages_all() == months
    assert [m.pages for m in months[p.id]] == [700, 27 * 40]


async def test_the_tui_on_the_database_sees_another_admins_change(server, tmp_path, monkeypatch):
    from tonertrack_tui.app import create_app

    config = _use_database(tmp_path, monkeypatch, server, server.new_database())
    other = PgStore(tmp_path / "data", load_config(resolve_paths(config, tmp_path / "data")).storage.dsn,
                    server.PASSWORD)
    other.migrate()
    other.add(Printer.new("10.0.0.1", name="First"))
    app = create_app(auto_poll=False, check_tty=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert [r.name for r in app.all_rows()] == ["First"]
        other.add(Printer.new("10.0.0.2", name="Added elsewhere"))

        async def seen() -> bool:
            for _ in range(300):  # the App checks the store's revision every few seconds (bounded: 30 s)
                await pilot.pause(0.1)
                if "Added elsewhere" in {r.name for r in app.all_rows()}:
                    return True
            return False

        assert await seen()


async def test_the_tui_says_once_when_the_database_is_gone_and_recovers_by_itself(server, tmp_path, monkeypatch):
    """Restart PostgreSQL under a running TUI: the screen keeps the last data, says once that the inventory
    cannot be read, and reloads by itself when the server is back (the check runs off the UI thread)."""
    from tonertrack_tui.app import create_app

    config = _use_database(tmp_path, monkeypatch, server, server.new_database())
    dsn = load_config(resolve_paths(config, tmp_path / "data")).storage.dsn
    other = PgStore(tmp_path / "data", dsn, server.PASSWORD)
    other.migrate()
    other.add(Printer.new("10.0.0.1", name="Before"))
    app = create_app(auto_poll=False, check_tty=False)
    notes: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        original_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(f"{kw.get('title')}: {message}"),  # type: ignore[method-assign]
                                            original_notify(message, **kw))[1]
        server.stop_only()
        for _ in range(300):  # bounded: 30 s
            await pilot.pause(0.1)
            if any(n.startswith("Cannot read the inventory") for n in notes):
                break
        for _ in range(30):  # a few more checks while it is down: said once
            await pilot.pause(0.1)
        assert [r.name for r in app.all_rows()] == ["Before"]  # the last data stays on screen
        server.start_again()
        other.add(Printer.new("10.0.0.2", name="After"))
        for _ in range(300):
            await pilot.pause(0.1)
            if "After" in {r.name for r in app.all_rows()}:
                break
    down = [n for n in notes if n.startswith("Cannot read the inventory")]
    assert len(down) == 1 and "cannot reach the database" in down[0]
    assert "Inventory back: The inventory can be read again." in notes
    assert {r.name for r in app.all_rows()} == {"Before", "After"}


def test_two_daemons_of_a_site_share_a_round_and_poll_each_printer_once(server, tmp_path):
    """Two `daemon --site a --once` on two jump boxes (two data dirs), one database, printers served by
    the benchmark responder: every printer of site a is polled exactly once between them, site b's not
    at all, and both did part of the work."""
    import subprocess
    import sys

    from test_netsim import NetSim

    dsn = server.new_database()
    store = PgStore(tmp_path / "seed", dsn, server.PASSWORD)
    store.migrate()
    with NetSim(live=60) as sim:
        site_a, site_b = sim.live_ports[:50], sim.live_ports[50:]
        store.transact(lambda rs: rs.extend(
            [Printer.new(f"127.0.0.1:{p}", site="a") for p in site_a]
            + [Printer.new(f"127.0.0.1:{p}", site="b") for p in site_b]), audit="import")
        procs = []
        for box in ("box1", "box2"):
            config = tmp_path / box / "config.toml"
            config.parent.mkdir()
            config.write_text(f'[polling]\ntimeout_s = 2\nretries = 1\n[storage]\nbackend = "postgresql"\n'
                              f'dsn = "{dsn}"\n')
            env = {**os.environ, "TONERTRACK_DB_PASSWORD": server.PASSWORD,
                   "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "tonertrack_tui", "--config", str(config), "--data-dir",
                 str(tmp_path / box / "data"), "daemon", "--site", "a", "--once"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        logs = [p.communicate(timeout=180)[0] for p in procs]
        requests, _ = sim.counts()
    assert all(p.returncode == 0 for p in procs), logs
    assert [requests.get(p, 0) for p in site_b] == [0] * 10
    assert all(requests[p] >= 1 for p in site_a)
    # polled once each: a cold walk of this recording is 2 requests; twice would be 3 (a cached repeat) or 4
    assert sorted(set(requests[p] for p in site_a)) == [2], requests
    assert {r[0] for r in _claims(store)} <= {f"{os.uname().nodename}:{p.pid}" for p in procs}
    assert {p.status for p in store.load() if p.site == "a"} == {"OK"}
    assert {p.status for p in store.load() if p.site == "b"} == {"Unknown"}


def _claims(store: PgStore) -> list[tuple[str]]:
    with store._connect() as conn:
        return conn.execute("SELECT claimed_by FROM tt_printers WHERE claimed_by IS NOT NULL").fetchall()


def test_a_daemon_skips_what_another_claimed_and_takes_over_an_expired_claim(server, tmp_path):
    """The claims, without a race: 20 printers are claimed by a daemon that is still polling (now) and
    10 by one that died an hour ago. `daemon --site a --once` polls the 10 dead one's and the 10
    unclaimed ones, never the 20 another daemon holds."""
    import subprocess
    import sys

    from test_netsim import NetSim

    dsn = server.new_database()
    store = PgStore(tmp_path / "seed", dsn, server.PASSWORD)
    store.migrate()
    with NetSim(live=40) as sim:
        store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}", site="a") for p in sim.live_ports),
                       audit="import")
        assert len(store.claim("a", "busy-box:1", 3600, 20)) == 20
        dead = store.claim("a", "dead-box:2", 3600, 10)
        with store._connect() as conn, conn.transaction():
            conn.execute("UPDATE tt_printers SET claimed_at = now() - interval '1 hour' WHERE id = ANY(%s)", (dead,))
        config = tmp_path / "box" / "config.toml"
        config.parent.mkdir()
        config.write_text(f'[polling]\ninterval_s = 600\n[storage]\nbackend = "postgresql"\ndsn = "{dsn}"\n')
        env = {**os.environ, "TONERTRACK_DB_PASSWORD": server.PASSWORD,
               "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        run = subprocess.run([sys.executable, "-m", "tonertrack_tui", "--config", str(config), "--data-dir",
                              str(tmp_path / "box" / "data"), "daemon", "--site", "a", "--once"],
                             env=env, capture_output=True, text=True, timeout=180)
        requests, _ = sim.counts()
    assert run.returncode == 0, run.stderr
    by_port = {int(p.address.rsplit(":", 1)[1]): p for p in store.load()}
    busy = {port for port, p in by_port.items() if p.status == "Unknown"}
    assert len(busy) == 20 and all(requests.get(port, 0) == 0 for port in busy)
    assert sum(1 for port in sim.live_ports if requests.get(port, 0) > 0) == 20
    holders = {r[0] for r in _claims(store)}
    assert "busy-box:1" in holders and "dead-box:2" not in holders  # the dead one's claims were taken over


def test_load_changes_rereads_only_the_rows_whose_version_moved(pg, tmp_path):
    """What a TUI on the database does at each change: 10,000 rows are not reread for 25 polls."""
    printers = [pg.add(Printer.new(f"10.0.0.{i}", name=f"P{i}")) for i in range(1, 6)]
    ids, changed, versions = pg.load_changes({})
    assert ids == {p.id for p in printers} and set(changed) == ids and set(versions) == ids
    other = PgStore(tmp_path / "other", pg.dsn, pg._password)  # another process: a daemon saving a poll
    other.record_poll([(printers[1].id, good_poll("10.0.0.2", name="Polled"))])
    other.remove(printers[4].id)
    ids, changed, versions = pg.load_changes(versions)
    assert ids == {p.id for p in printers[:4]}
    assert list(changed) == [printers[1].id] and changed[printers[1].id].last_poll.page_count == 1234
    assert pg.load_changes(versions)[1] == {}  # nothing moved since
    json_store = Store(tmp_path / "json")
    json_store.add(Printer.new("10.0.0.9"))
    assert len(json_store.load_changes({})[1]) == 1  # printers.json has no versions: all of it, every time
