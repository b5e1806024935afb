"""Poll-all against snmpsim: offline counting, stale marking, progress, cancellation, the fleet lock."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.core.config import load_config, resolve_paths
from tonertrack_tui.core.inventory.history import History
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.polling.fleet import FleetPollBusy, FleetPoller


def dead_ports(n: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture
def fleet_dir(tmp_path: Path, sim_fleet):
    config_file = tmp_path / "config" / "config.toml"
    config_file.parent.mkdir(parents=True)
    # 1 s: generous for snmpsim on a loaded machine (and the live lane retries a timeout once)
    config_file.write_text("[polling]\ntimeout_s = 1\nretries = 0\n")
    paths = resolve_paths(config_file, tmp_path / "data")
    store = Store(paths.data_dir)
    live = [
        Printer.new(sim_fleet.address(0), snmp={"community": "colour_mfp"}),
        Printer.new(sim_fleet.address(1), snmp={"community": "inkjet"}, name="Marketing inkjet"),
        Printer.new(sim_fleet.address(2), snmp={"community": "mono_laser"}),
    ]
    dead = [Printer.new(f"127.0.0.1:{p}") for p in dead_ports(2)]
    store.transact(lambda records: records.extend(live + dead), audit="import")
    return paths, store, live, dead


def poll_all(paths, store, **kwargs):
    poller = FleetPoller(store, load_config(paths))

    async def go():
        try:
            return await poller.poll_all(**kwargs)
        finally:
            poller.close()

    return asyncio.run(go())


def by_address(store: Store) -> dict[str, dict]:
    return {r.address: r for r in store.load()}


def test_poll_all_saves_status_names_and_history(fleet_dir):
    paths, store, live, dead = fleet_dir
    seen = []
    summary = poll_all(paths, store, progress=lambda done, total, address: seen.append((done, total, address)))
    assert summary.done == summary.total == 5 and summary.reachable == 3
    assert [d for d, _, _ in seen] == [1, 2, 3, 4, 5] and {t for _, t, _ in seen} == {5}
    assert {a for _, _, a in seen} == {r.address for r in live + dead}
    records = by_address(store)
    mfp = records[live[0].address]
    assert mfp.status == "Error" and mfp.name == "MFP-B1-2F-01" and not mfp.user_overridden
    assert mfp.model == "RICOH IM C3000" and mfp.serial == "3100R910442"
    assert mfp.last_poll.page_count == 184230 and mfp.last_good_poll_at
    assert records[live[1].address].name == "Marketing inkjet"  # a name the user gave stays
    assert records[dead[0].address].status == "Unknown"
    assert records[dead[0].address].consecutive_failures == 1
    counts = list(History.from_config(paths.data_dir, load_config(paths)).page_counts(mfp.id))
    assert counts and counts[-1][1] == 184230


def test_offline_after_three_failures_and_stale_until_then(fleet_dir):
    paths, store, live, dead = fleet_dir
    poll_all(paths, store)
    # the inkjet stops answering: its community no longer matches anything snmpsim serves
    store.update(live[1].address, snmp={"community": "gone"})
    for expected_failures, expected_status in ((1, "Warning"), (2, "Warning"), (3, "Offline")):
        poll_all(paths, store)
        ink = by_address(store)[live[1].address]
        assert ink.consecutive_failures == expected_failures
        assert ink.status == expected_status  # the last good state is kept until the threshold
        assert ink.stale is True
        assert ink.last_poll.status == "Warning"  # last good snapshot kept
    assert by_address(store)[dead[0].address].status == "Offline"
    store.update(live[1].address, snmp={"community": "inkjet"})
    poll_all(paths, store)
    ink = by_address(store)[live[1].address]
    assert (ink.status, ink.stale, ink.consecutive_failures) == ("Warning", False, 0)


def test_cancel_saves_what_was_polled_and_releases_the_lock(fleet_dir):
    paths, store, live, dead = fleet_dir
    poller = FleetPoller(store, load_config(paths))

    async def go():
        task = asyncio.ensure_future(poller.poll_all())
        # cancelled mid-poll: this timer is due before any of the dead ones' 1 s timeouts (loop order)
        await asyncio.sleep(0.15)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not poller.lock.is_held_elsewhere()
        again = await poller.poll_all()  # the lock is free again
        poller.close()
        return again

    again = asyncio.run(go())
    assert again.done == 5


def test_second_poll_all_does_not_poll_twice(fleet_dir):
    paths, store, live, dead = fleet_dir
    first = FleetPoller(store, load_config(paths))
    second = FleetPoller(store, load_config(paths))

    async def go():
        running = asyncio.ensure_future(first.poll_all(by="cron"))
        await asyncio.sleep(0.05)
        with pytest.raises(FleetPollBusy) as busy:
            await second.poll_all()
        assert "cron" in str(busy.value) and str(busy.value).startswith("the fleet is being polled by")
        waited = await second.poll_all(wait=True)  # waits for the first, then polls
        await running
        first.close(), second.close()
        return waited

    assert asyncio.run(go()).done == 5


def test_poll_all_cli_json(fleet_dir, capsys):
    paths, store, live, dead = fleet_dir
    code = main(["--config", str(paths.config_file), "--data-dir", str(paths.data_dir), "poll", "--all", "--json",
                 "--fail-on", "error"])
    out = capsys.readouterr().out
    results = json.loads(out)
    assert code == 1  # the colour MFP is in Error
    assert [r["target"] for r in results] == [r.address for r in live + dead]
    assert results[0]["status"] == "Error" and results[0]["reachable"] is True
    assert results[3]["reachable"] is False


def test_a_printer_whose_waste_box_counts_up_is_read_inverted(fleet_dir):
    """DESIGN: some devices count receptacles the other way round — a per-printer override,
    never a silent guess. The colour MFP's waste bottle reports level 12 of 100."""
    paths, store, live, dead = fleet_dir
    mfp = live[0]

    def waste(record_id: str) -> dict:
        [supply] = [s for s in store.get(record_id).last_poll.supplies if s.kind == "waste"]
        return supply

    poll_all(paths, store)
    normal = waste(mfp.id)
    assert (normal.level, normal.max, normal.remaining_pct) == (12, 100, 12)  # RFC: 12 % space left
    assert any("88 % full" in r for r in store.get(mfp.id).last_poll.reasons)

    store.update(mfp.id, invert_receptacles=True)
    poll_all(paths, store)
    inverted = waste(mfp.id)
    assert (inverted.level, inverted.max, inverted.remaining_pct) == (12, 100, 88)  # raw stays raw
    assert inverted.severity == "ok"
    assert not any("Waste" in r and "full" in r for r in store.get(mfp.id).last_poll.reasons)


def test_a_lock_file_that_is_not_an_object_says_someone(tmp_path):
    """poll.lock is written by another process: valid JSON that is not an object must not crash the message."""
    from tonertrack_tui.core.polling.fleet import FleetLock, describe_holder

    lock = FleetLock(tmp_path)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    lock.path.write_text("[1, 2]")
    assert lock.holder() == {}
    assert "someone" in describe_holder(lock.holder())
