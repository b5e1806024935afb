"""Polling over a network that behaves like one (issue 14), against real agents: the
benchmark responder (benchmarks/netsim.py: latency, loss, dead ports) and snmpsim.
Everything is asserted on counts (requests a printer got, sockets, lanes), never on time."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from pathlib import Path

import pytest
from test_netsim import NetSim

from tonertrack_tui.cli import main
from tonertrack_tui.core.config import load_config, resolve_paths
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.polling import staticcache
from tonertrack_tui.core.polling.fleet import AdaptiveLimit, FleetPoller, split_lanes
from tonertrack_tui.core.polling.poller import poll_one
from tonertrack_tui.core.printer.collect import STATIC_MAX_AGE_S, TargetCache
from tonertrack_tui.core.printer.model import PollResult
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings

# --- the concurrency limit ---------------------------------------------------------------------


def _answer(duration_ms: float, retried: int = 0) -> PollResult:
    return PollResult(target="x", reachable=True, duration_ms=duration_ms, requests=3, retried=retried)


def test_latency_alone_never_shrinks_the_limit():
    limiter = AdaptiveLimit(64, timeout_s=1.0)
    for _ in range(200):
        limiter.answered(_answer(1350.0))  # 3 requests 450 ms late each: longer than a timeout
    assert limiter.limit == 64 and limiter.cuts == 0


def test_timeouts_of_printers_that_answered_before_halve_the_limit_once_per_window():
    limiter = AdaptiveLimit(64, timeout_s=1.0, start=64)
    for _ in range(40):
        limiter.answered(_answer(5.0))
    limiter.timed_out(expected=True)
    assert limiter.limit == 64  # one printer gone quiet is not congestion
    for _ in range(8):
        limiter.timed_out(expected=True)
    assert limiter.limit == 64  # 9 of 49: not yet a trend (10 of a 100-poll window)
    for _ in range(5):
        limiter.timed_out(expected=True)
    assert limiter.limit == 32 and limiter.cuts == 1  # a burst is one event, not five


def test_answers_that_came_only_after_a_timeout_are_evidence_of_overload():
    """An agent host (or link) so busy that most replies miss their first timer: halve, and
    stop letting silent polls give their slots up."""
    limiter = AdaptiveLimit(64, timeout_s=1.0, start=64)
    assert not limiter.release_silent  # nothing answered yet: silence proves nothing
    for _ in range(45):
        limiter.answered(_answer(300.0))
    assert limiter.release_silent
    for _ in range(10):
        limiter.answered(_answer(1400.0, retried=1))  # answered the retry
    assert limiter.limit == 32 and not limiter.release_silent


def test_two_retried_polls_early_in_a_run_are_not_a_trend():
    """2 % request loss retries ~4 % of cold polls: 2 of the first 20 is chance, not overload."""
    limiter = AdaptiveLimit(64, timeout_s=1.0)
    for i in range(20):
        limiter.answered(_answer(300.0, retried=int(i in (3, 11))))
    assert limiter.cuts == 0 and limiter.limit == AdaptiveLimit.START + 18


def test_timeouts_of_printers_with_no_answer_yet_neither_shrink_nor_freeze_the_limit():
    limiter = AdaptiveLimit(64, timeout_s=1.0)
    for _ in range(100):
        limiter.timed_out(expected=False)
    assert limiter.limit == AdaptiveLimit.START and limiter.cuts == 0
    for _ in range(10):
        limiter.answered(_answer(300.0))
    assert limiter.limit == AdaptiveLimit.START + 10


def test_our_own_loop_lagging_halves_the_limit():
    limiter = AdaptiveLimit(64, timeout_s=1.0, start=64)
    limiter.loop_lag(0.05)
    assert limiter.limit == 64
    limiter.loop_lag(0.5)
    assert limiter.limit == 32


def test_printers_with_no_answer_yet_go_to_the_wide_lane():
    fresh = Printer.new("10.0.0.1")  # imported, never polled
    good = Printer.new("10.0.0.2", last_good_poll_at="2026-01-01T00:00:00Z")
    failing = Printer.new("10.0.0.3", last_good_poll_at="2026-01-01T00:00:00Z", consecutive_failures=2)
    expected, unknown = split_lanes([fresh, good, failing])
    assert expected == [good]
    assert unknown == [fresh, failing]


# --- a fleet on the benchmark responder ---------------------------------------------------------


def _fleet(tmp_path: Path, ports: list[int], timeout_s: float, retries: int) -> tuple:
    config_file = tmp_path / "config" / "config.toml"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f"[polling]\ntimeout_s = {timeout_s}\nretries = {retries}\n")
    paths = resolve_paths(config_file, tmp_path / "data")
    store = Store(paths.data_dir)
    store.transact(lambda records: records.extend(Printer.new(f"127.0.0.1:{p}") for p in ports), audit="import")
    return paths, store


def _poll_all(paths, store, poller: FleetPoller | None = None):
    poller = poller or FleetPoller(store, load_config(paths))

    async def go():
        try:
            return await poller.poll_all()
        finally:
            poller.close()

    return asyncio.run(go())


def test_dead_printers_after_an_import_get_one_try_and_no_retry_pass(tmp_path):
    with NetSim(live=6, dead=4) as sim:
        paths, store = _fleet(tmp_path, sim.live_ports + sim.dead_ports, timeout_s=0.3, retries=1)
        summary = _poll_all(paths, store)
        requests, _ = sim.counts()
    assert summary.reachable == 6 and summary.done == 10
    # two v2c tries and one v1 probe each; a retry pass would double it. (Only a pass that
    # saw overload — our loop starved on a loaded box — tries silent printers once more.)
    tries = 3 if getattr(summary, "limit_cuts", 0) == 0 else 6
    assert all(requests[p] <= tries for p in sim.dead_ports), requests


def test_a_printer_that_never_answered_gets_one_timeout_not_a_window_of_retries(tmp_path):
    """The second poll of an address that has never answered: one v2c try and the v1 probe beside it
    (it still finds a printer that speaks v1 only), no resend; a printer that answered before keeps
    its retries."""
    with NetSim(live=3, dead=3) as sim:
        paths, store = _fleet(tmp_path, sim.live_ports + sim.dead_ports, timeout_s=0.3, retries=2)
        _poll_all(paths, store)
        sim.reset()
        summary = _poll_all(paths, store)
        requests, _ = sim.counts()
    assert summary.reachable == 3 and summary.done == 6
    if getattr(summary, "limit_cuts", 0) == 0:  # (a pass that saw overload tries silent printers again)
        assert [requests[p] for p in sim.dead_ports] == [2, 2, 2]  # not 1 + 2 resends + a probe
        assert sorted(r.requests for _, r in summary.results if not r.reachable) == [2, 2, 2]
    assert [requests[p] for p in sim.live_ports] == [1, 1, 1]
    by_address = {r.address: r for r in store.load()}
    dead = [by_address[f"127.0.0.1:{p}"] for p in sim.dead_ports]
    assert all(r.consecutive_failures == 2 for r in dead)
    assert [r.reasons for _, r in summary.results if not r.reachable] == [
        ["no reply within 0.3 s (check the host, port and community)"]] * 3  # the window it was given


def test_no_v1_probe_to_a_slow_printer_that_answers_v2c():
    """Replies 0.6 s late: the cold walk (2 requests) outlasts the 1 s after which the v1 probe
    would go out; the first v2c reply cancels it."""
    with NetSim(live=3, latency_ms=600) as sim:
        async def go():
            client = SnmpClient()
            try:
                settings = SnmpSettings(timeout=1.0, retries=1)
                return await asyncio.gather(*(poll_one(client, f"127.0.0.1:{p}", settings, cache=TargetCache())
                                              for p in sim.live_ports))
            finally:
                client.close()

        results = asyncio.run(go())
        requests, v1 = sim.counts()
    assert all(r.reachable for r in results)
    assert all(r.requests >= 2 for r in results)  # the walk did outlast the probe's delay
    assert sum(v1.values()) == 0
    assert not any("SNMPv1" in reason for r in results for reason in r.reasons)
    assert [requests[p] for p in sim.live_ports] == [r.requests for r in results]


class _AnswerFirstOnly(asyncio.DatagramProtocol):
    """A relay in front of one netsim printer: the first request is answered, every later one is lost
    (a printer that answered v2c, then a network that drops everything)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.seen = 0
        self.v1 = 0  # requests with version 0 (SNMPv1), read from the message header
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.seen += 1
        at = 2 + (data[1] & 0x7F if data[1] & 0x80 else 0)  # SEQUENCE header, then INTEGER version
        self.v1 += data[at:at + 3] == b"\x02\x01\x00"
        if self.seen > 1:
            return
        relay = self

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, _addr) -> None:
                assert relay.transport is not None
                relay.transport.sendto(reply, addr)

        asyncio.get_running_loop().create_task(asyncio.get_running_loop().create_datagram_endpoint(
            Back, remote_addr=("127.0.0.1", self.upstream_port))).add_done_callback(
            lambda t: t.result()[0].sendto(data))


def test_a_v2c_reply_then_silence_is_never_concluded_v1_only():
    """The first v2c request is answered, the rest of the walk is lost: the poll times out as a
    network problem. It must not send the v1 probe, nor say 'answers SNMPv1 only'."""
    with NetSim(live=1) as sim:
        async def go():
            loop = asyncio.get_running_loop()
            transport, relay = await loop.create_datagram_endpoint(
                lambda: _AnswerFirstOnly(sim.live_ports[0]), local_addr=("127.0.0.1", 0))
            port = transport.get_extra_info("sockname")[1]
            client = SnmpClient()
            try:
                return await poll_one(client, f"127.0.0.1:{port}", SnmpSettings(timeout=0.5, retries=1),
                                      cache=TargetCache()), relay
            finally:
                client.close()
                transport.close()

        result, relay = asyncio.run(go())
        requests, v1 = sim.counts()
    seen = relay.seen
    assert requests[sim.live_ports[0]] == 1  # the printer did answer v2c once
    assert not result.reachable and result.timed_out
    assert result.reasons == ["no reply within 1 s (check the host, port and community)"]
    assert relay.v1 == 0 and sum(v1.values()) == 0 and not any("SNMPv1" in r for r in result.reasons)
    # the answered request, then requests that went unanswered, each sent twice (retries=1); `requests`
    # counts requests, not their resends
    assert result.requests >= 2 and seen == 1 + 2 * (result.requests - 1)


# --- one socket ---------------------------------------------------------------------------------


def _open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts sockets through /proc")
def test_simultaneous_first_requests_open_one_socket(sim_fleet):
    async def go():
        client = SnmpClient()
        before = _open_sockets()
        settings = SnmpSettings(community="mono_laser", timeout=2.0, retries=1)
        results = await asyncio.gather(*(poll_one(client, sim_fleet.address(i % 4), settings)
                                         for i in range(16)))
        during = _open_sockets() - before
        opened = getattr(client, "sockets_opened", None)
        client.close()
        await asyncio.sleep(0)  # let the transport finish closing
        return results, during, opened, _open_sockets() - before

    results, during, opened, after = asyncio.run(go())
    assert all(r.reachable for r in results)
    assert during == 1
    assert after == 0  # nothing leaked
    assert opened == 1


# --- the static-column cache on disk --------------------------------------------------------------


@pytest.fixture
def snmpsim_fleet(tmp_path: Path, sim_fleet):
    config_file = tmp_path / "config" / "config.toml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[polling]\ntimeout_s = 2\nretries = 1\n")
    paths = resolve_paths(config_file, tmp_path / "data")
    store = Store(paths.data_dir)
    live = [
        Printer.new(sim_fleet.address(0), snmp={"community": "colour_mfp"}),
        Printer.new(sim_fleet.address(1), snmp={"community": "inkjet"}),
        Printer.new(sim_fleet.address(2), snmp={"community": "mono_laser"}),
    ]
    store.transact(lambda records: records.extend(live), audit="import")
    return paths, store, live


def _cli_poll_all(paths, capsys) -> list[dict]:
    """`tonertrack poll --all --json`: a new FleetPoller each time, nothing kept in memory."""
    main(["--config", str(paths.config_file), "--data-dir", str(paths.data_dir), "poll", "--all", "--json"])
    return json.loads(capsys.readouterr().out)


def _steady_in_memory(tmp_path: Path, live: list[Printer]) -> list[int]:
    """Requests per printer of a long-running poller's second round (the in-memory cache)."""
    store = Store(tmp_path / "elsewhere")
    store.transact(lambda records: records.extend(p.copy() for p in live), audit="import")
    config = load_config(resolve_paths(tmp_path / "config" / "config.toml", tmp_path / "elsewhere"))
    poller = FleetPoller(store, config)

    async def go():
        try:
            await poller.poll_all()
            return await poller.poll_all()
        finally:
            poller.close()

    steady = dict(asyncio.run(go()).results)
    return [steady[p.id].requests for p in live]


def test_a_repeat_poll_from_a_fresh_process_is_a_steady_poll(snmpsim_fleet, capsys, tmp_path):
    paths, store, live = snmpsim_fleet
    steady = _steady_in_memory(tmp_path, live)
    assert steady[1:] == [1, 1]  # the colour MFP has alerts: its walk takes one more
    first = _cli_poll_all(paths, capsys)
    assert all(r["reachable"] for r in first) and all(r["requests"] > 1 for r in first)
    path = staticcache.cache_path(paths.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert set(data["printers"]) == {p.id for p in live}
    second = _cli_poll_all(paths, capsys)
    assert [r["requests"] for r in second] == steady
    for a, b in zip(first, second, strict=True):  # the same answers, from the cache
        assert a["identity"] == b["identity"] and a["supplies"] == b["supplies"] and a["trays"] == b["trays"]


def test_a_corrupt_cache_file_is_ignored_and_rebuilt(snmpsim_fleet, capsys):
    paths, store, live = snmpsim_fleet
    path = staticcache.cache_path(paths.data_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"format": 2, "printers": {"' + live[0].id.encode() + b'": {"a": 3, "s": [')
    first = _cli_poll_all(paths, capsys)
    assert all(r["reachable"] for r in first) and all(r["requests"] > 1 for r in first)
    assert set(json.loads(path.read_text())["printers"]) == {p.id for p in live}
    # an entry that parses but makes no sense is dropped too, not fatal
    data = json.loads(path.read_text())
    data["printers"][live[0].id]["s"] = json.dumps({"1.3.6.1.2.1.1.1.0": "z:nonsense"})
    path.write_text(json.dumps(data))
    second = _cli_poll_all(paths, capsys)
    assert [r["requests"] for r in second][0] == first[0]["requests"]  # cold again
    assert [r["requests"] for r in second][1:] == [1, 1]


def test_cache_entries_follow_the_in_memory_invalidation_rules(snmpsim_fleet, capsys):
    paths, store, live = snmpsim_fleet
    first = _cli_poll_all(paths, capsys)
    path = staticcache.cache_path(paths.data_dir)
    data = json.loads(path.read_text())
    data["printers"][live[0].id]["t"] -= STATIC_MAX_AGE_S + 60  # too old: re-read
    data["printers"][live[1].id]["up"] += 10**6  # uptime went backwards since: a reboot
    data["printers"][live[2].id]["a"] = "192.0.2.1"  # read from another address
    path.write_text(json.dumps(data))
    second = _cli_poll_all(paths, capsys)
    cold = [r["requests"] for r in first]
    # too old and another address: cold at once; the reboot is seen by the steady request
    assert [r["requests"] for r in second] == [cold[0], 1 + cold[1], cold[2]]
    third = _cli_poll_all(paths, capsys)
    assert [r["requests"] for r in third][1:] == [1, 1]
    assert third[0]["requests"] < first[0]["requests"]


def test_two_writers_merge_and_neither_corrupts(tmp_path):
    path = staticcache.cache_path(tmp_path)
    cache = TargetCache(static={(1, 3, 6, 1, 2, 1, 1, 1, 0): b"printer"}, cells=((1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9, 1, 1),),
                        config_changes=3, uptime=100, loaded_at=time.monotonic())
    a = staticcache.entry_from_cache(cache, "10.0.0.1", "2c")
    b = staticcache.entry_from_cache(cache, "10.0.0.2", "2c")
    assert staticcache.write_entries(path, {"printer-a": a})
    assert staticcache.write_entries(path, {"printer-b": b})  # a second process, its own printers
    entries = staticcache.read_entries(path)
    assert set(entries) == {"printer-a", "printer-b"}
    back = staticcache.cache_from_entry(entries["printer-a"], "10.0.0.1", "2c")
    assert back is not None and back.static == cache.static and back.cells == cache.cells
    assert back.config_changes == 3 and back.uptime == 100
    assert staticcache.cache_from_entry(entries["printer-a"], "10.0.0.1", "1") is None  # version changed
    assert not list(path.parent.glob(".snmp-static.*"))  # no temp file left behind
    assert staticcache.write_entries(path, {"printer-b": b}, inventory={"printer-b"})  # printer-a deleted
    assert set(staticcache.read_entries(path)) == {"printer-b"}


def test_daemon_once_from_cron_repeats_with_one_request_a_printer(tmp_path):
    import subprocess
    import sys

    with NetSim(live=3) as sim:
        paths, store = _fleet(tmp_path, sim.live_ports, timeout_s=2.0, retries=1)
        env = dict(os.environ, TONERTRACK_CONFIG=str(paths.config_file), TONERTRACK_DATA_DIR=str(paths.data_dir))
        env.pop("JOURNAL_STREAM", None)
        command = [sys.executable, "-m", "tonertrack_tui", "daemon", "--once"]
        first = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True, timeout=60)
        cold, _ = sim.counts()
        sim.reset()
        second = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True, timeout=60)
        steady, _ = sim.counts()
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert all(cold[p] >= 2 for p in sim.live_ports)
    assert [steady[p] for p in sim.live_ports] == [1, 1, 1]


async def test_the_tuis_poll_rounds_behave_like_the_daemons(tmp_path):
    """Issue 14 through the TUI path: P in the App polls through the same FleetPoller: a live printer
    costs 2 requests cold and 1 on the next round, a dead one one window with no retry pass, and
    the table shows the live ones up and the dead ones down."""
    from tonertrack_tui.app import create_app

    with NetSim(live=8, dead=4) as sim:
        paths, store = _fleet(tmp_path, sim.live_ports + sim.dead_ports, timeout_s=0.3, retries=1)
        app = create_app(config_path=str(paths.config_file), data_dir=str(paths.data_dir), auto_poll=False,
                         watch_store=False, check_tty=False)
        rounds = []
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(2):
                sim.reset()
                await pilot.press("P")
                for _ in range(600):  # until the round has finished (bounded: 60 s)
                    await pilot.pause(0.1)
                    if not app.poll_state.running and app.poll_state.last_finished is not None:
                        break
                app.poll_state.last_finished = None
                rounds.append((sim.counts()[0], app.poller.last_summary.limit_cuts))
                up = {r.address for r in app.all_rows() if r.status == "OK"}
        assert up == {f"127.0.0.1:{p}" for p in sim.live_ports}
        (first, first_cuts), (second, second_cuts) = rounds
        assert [first[p] for p in sim.live_ports] == [2] * 8  # a cold walk of this recording
        assert [second[p] for p in sim.live_ports] == [1] * 8  # the static columns cached
        # 2 v2c tries + the v1 probe, no retry pass (unless overload was seen: then silence may be ours)
        assert all(first[p] <= (3 if first_cuts == 0 else 6) for p in sim.dead_ports)
        # never answered: one try + the probe beside it
        assert all(second[p] == (2 if second_cuts == 0 else 4) for p in sim.dead_ports)


def test_one_printers_poll_raising_costs_that_printer_not_the_round(tmp_path, monkeypatch):
    """A defect in one printer's poll path (a decoder bug, a protocol corner) must not end poll-all:
    the others are polled and saved, the broken one is a failed poll saying what happened."""
    from tonertrack_tui.core.polling import fleet as fleet_module

    with NetSim(live=3) as sim:
        paths, store = _fleet(tmp_path, sim.live_ports, timeout_s=0.5, retries=0)
        broken = f"127.0.0.1:{sim.live_ports[1]}"
        real = fleet_module.poll_any

        async def poll_any(client, target, *args, **kwargs):
            if target == broken:
                raise RecursionError("a printer's reply recursed")
            return await real(client, target, *args, **kwargs)

        monkeypatch.setattr(fleet_module, "poll_any", poll_any)
        summary = _poll_all(paths, store)
    assert summary.done == 3 and summary.reachable == 2
    by_address = {p.address: p for p in store.load()}
    assert by_address[broken].consecutive_failures == 1
    assert all(by_address[f"127.0.0.1:{p}"].status == "OK" for p in sim.live_ports if f"127.0.0.1:{p}" != broken)


def test_a_site_or_a_claimed_batch_keeps_the_other_printers_cache_entries(tmp_path):
    """A daemon polling one site, or a claimed batch of it (on postgresql), writes its printers'
    cache entries and keeps the others': each repeat of each site is one request a printer."""
    with NetSim(live=4) as sim:
        paths, store = _fleet(tmp_path, [], timeout_s=2.0, retries=1)
        store.transact(lambda rs: rs.extend(Printer.new(f"127.0.0.1:{p}", site="north" if i % 2 else "south")
                                            for i, p in enumerate(sim.live_ports)))
        ids = [p.id for p in store.load()]

        def rounds(**which: object) -> dict[int, int]:
            sim.reset()
            poller = FleetPoller(store, load_config(paths))  # a fresh process each time: the cache on disk

            async def go() -> None:
                try:
                    await poller.poll_all(**which)
                finally:
                    poller.close()

            asyncio.run(go())
            return sim.counts()[0]

        rounds(site="north")
        rounds(site="south")
        rounds(only=ids[:1])  # a claimed batch of one
        north = rounds(site="north")
        south = rounds(site="south")
    assert [north[p] for p in sim.live_ports[1::2]] == [1, 1] and [south[p] for p in sim.live_ports[::2]] == [1, 1]
