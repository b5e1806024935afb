"""Issue 19: the history on PostgreSQL — the same lines, months and forecasts as the files, for
every site's daemons in one place, held while the database is out of reach. A real server,
started by these tests (tests/pgtools.py), never a mock."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from pgtools import started_server
from test_netsim import NetSim

from tonertrack_tui.core.analysis.forecast import forecast_supply
from tonertrack_tui.core.config import Config
from tonertrack_tui.core.inventory.history import COUNTER32, History, Sample
from tonertrack_tui.core.inventory.pghistory import PgHistory
from tonertrack_tui.core.inventory.pgstore import PgStore
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.polling.fleet import FleetPoller

pytestmark = pytest.mark.xdist_group("postgresql")
A = "a" * 32
B = "b" * 32


def _levels(pct: int, desc: str = "Black Toner") -> dict:
    return {"1.1": {"level": pct, "max": 100, "remaining_pct": pct, "description": desc, "kind": "toner"},
            "1.2": {"level": 40, "max": 100, "remaining_pct": 40, "description": "Drum", "kind": "opc"}}


def _a_year_of_samples() -> list[Sample]:
    """Hourly polls over two months with a counter reset, a Counter32 wrap on the other printer,
    levels falling, a renamed supply and the mono/colour split."""
    out = []
    start = datetime(2026, 9, 20, tzinfo=UTC)
    count, wrapping = 10_000, COUNTER32 - 2_000_000
    for hour in range(0, 60 * 24, 3):
        t = start + timedelta(hours=hour)
        count += 37
        wrapping = (wrapping + 90_000) % COUNTER32
        if hour == 30 * 24:
            count = 50  # a reset (a new formatter board)
        pct = max(0, 90 - hour // 18)
        desc = "Black Toner" if hour < 40 * 24 else "Black Toner HY"
        out.append(Sample(A, t, count, _levels(pct, desc), mono=count - count // 4, color=count // 4))
        out.append(Sample(B, t, wrapping))
    return out


def test_the_history_on_postgresql_is_the_files_history(pg, tmp_path):
    files = History(tmp_path / "files", sample_interval_s=3600, raw_days=31)
    db = PgHistory(pg, sample_interval_s=3600, raw_days=31)
    files.import_months(A, {"2026-07": 1200, "2026-08": 900}, imported_at=datetime(2026, 9, 1, tzinfo=UTC))
    db.import_months(A, {"2026-07": 1200, "2026-08": 900}, imported_at=datetime(2026, 9, 1, tzinfo=UTC))
    samples = _a_year_of_samples()
    today = date(2026, 11, 20)
    for i in range(0, len(samples), 100):  # as a poller writes: batch after batch
        assert files.append(samples[i:i + 100], today=today) == db.append(samples[i:i + 100], today=today)

    assert db.raw(A) == files.raw(A) and db.raw(B) == files.raw(B) and db.raw(A).count(b"\n") > 100
    months = files.monthly_pages_all()
    assert db.monthly_pages_all() == months and db.monthly_pages(A) == files.monthly_pages(A)
    assert [m.month for m in months[A]] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert any(m.note == "counter reset" for m in months[A]) and any(m.note == "counter wrapped" for m in months[B])
    assert list(db.page_counts(B)) == list(files.page_counts(B))
    assert list(db.supply_levels(A, "1.1")) == list(files.supply_levels(A, "1.1"))
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    assert forecast_supply(db, A, "1.1", now=now) == forecast_supply(files, A, "1.1", now=now)
    assert forecast_supply(db, A, "1.1", now=now).days_left is not None

    # compaction: the same days kept, one line each, on both
    later = today + timedelta(days=40)
    assert db.compact(today=later) == files.compact(today=later) == 2
    assert db.raw(A) == files.raw(A) and db.raw(A).count(b"\n") < 100
    assert db.monthly_pages_all() == months  # the months are never compacted away
    db.rebuild_index()
    files.rebuild_index()
    assert db.monthly_pages_all() == files.monthly_pages_all()
    assert not (tmp_path / "data" / "history").exists()  # nothing of it in the data dir


def test_an_older_sample_from_a_slower_daemon_never_counts_twice(pg):
    db = PgHistory(pg, sample_interval_s=0)
    t0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
    db.append([Sample(A, t0, 1000), Sample(A, t0 + timedelta(minutes=10), 1100)])
    db.append([Sample(A, t0 + timedelta(minutes=5), 1050)])  # late: another daemon's older poll
    assert [(m.pages, m.end_count) for m in db.monthly_pages(A)] == [(100, 1100)]
    assert [c for _, c in db.page_counts(A)] == [1000, 1100]


def test_every_box_sees_every_site_s_history(pg, server, tmp_path):
    """Two daemons of two sites on two jump boxes (data dirs); a third box reports on both."""
    config = Config()
    with NetSim(live=2) as sim:
        seed = PgStore(tmp_path / "seed", pg.dsn, server.PASSWORD)
        first = seed.add(Printer.new(f"127.0.0.1:{sim.live_ports[0]}", site="north"))
        second = seed.add(Printer.new(f"127.0.0.1:{sim.live_ports[1]}", site="south"))

        async def round_on(box: str, site: str) -> None:
            poller = FleetPoller(PgStore(tmp_path / box, pg.dsn, server.PASSWORD), config)
            try:
                summary = await poller.poll_all(site=site)
            finally:
                poller.close()
            assert summary.reachable == 1

        asyncio.run(round_on("box-north", "north"))
        asyncio.run(round_on("box-south", "south"))
    third = PgStore(tmp_path / "box-office", pg.dsn, server.PASSWORD).history(config)
    months = third.monthly_pages_all()
    assert set(months) == {first.id, second.id}
    polled = {p.id: p.last_poll.page_count for p in seed.load() if p.last_poll}
    assert {pid: rows[-1].end_count for pid, rows in months.items()} == polled
    assert all(not (tmp_path / box / "history").exists() for box in ("box-north", "box-south", "box-office"))


def test_samples_polled_while_the_database_is_down_are_written_when_it_is_back(tmp_path):
    server = started_server()  # its own: this test stops it
    try:
        store = PgStore(tmp_path / "data", server.new_database(), server.PASSWORD)
        store.migrate()
        with NetSim(live=5) as sim:
            store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}") for p in sim.live_ports))
            history = PgHistory(store, sample_interval_s=0)  # every poll a line: each round is seen
            poller = FleetPoller(store, Config(), history=history)
            poller.hold_unsaved = True  # as the daemon does

            async def rounds() -> list[int]:
                held = []
                try:
                    await poller.poll_all()
                    server.stop_only()
                    await asyncio.sleep(1.1)  # the next round's samples a second later (times are in s)
                    await poller.poll_all()
                    held.append(len(poller.held_samples))
                    server.start_again()
                    await asyncio.sleep(1.1)
                    await poller.poll_all()
                    held.append(len(poller.held_samples))
                finally:
                    poller.close()
                return held

            held = asyncio.run(rounds())
        assert held == [5, 0]
        ids = [p.id for p in store.load()]
        assert all(len(list(history.page_counts(pid))) == 3 for pid in ids)  # rounds 1, 2 (held) and 3
    finally:
        server.stop()
