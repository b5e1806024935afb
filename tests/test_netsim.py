"""benchmarks/netsim.py, the benchmark responder: it must answer the poller like snmpsim
does, and delay, drop and play dead as configured (counted, never timed)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from tonertrack_tui.core.polling.poller import poll_one
from tonertrack_tui.core.printer.collect import TargetCache
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings

ROOT = Path(__file__).resolve().parent.parent


def _load_netsim():
    spec = importlib.util.spec_from_file_location("netsim", ROOT / "benchmarks" / "netsim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("netsim", module)
    spec.loader.exec_module(module)
    return module


netsim = _load_netsim()
NetSim = netsim.NetSim

# what varies between two polls of the same recording
_VOLATILE = {"target", "polled_at", "duration_ms"}


def _poll(address: str, settings: SnmpSettings, cache: TargetCache | None = None):
    async def go():
        client = SnmpClient()
        try:
            return await poll_one(client, address, settings, cache=cache)
        finally:
            client.close()

    return asyncio.run(go())


def _comparable(result) -> dict:
    return {k: v for k, v in result.to_json().items() if k not in _VOLATILE}


def test_netsim_answers_the_poller_like_snmpsim(sim_fleet):
    fast = SnmpSettings(timeout=2.0, retries=1)
    expected = _poll(sim_fleet.address(0), SnmpSettings(community="v3_printer", timeout=2.0, retries=1))
    assert expected.reachable and expected.supplies
    with NetSim(live=1) as sim:
        got = _poll(f"127.0.0.1:{sim.live_ports[0]}", fast)
        requests, v1 = sim.counts()
    assert _comparable(got) == _comparable(expected)
    assert requests[sim.live_ports[0]] == got.requests
    assert v1[sim.live_ports[0]] == 0


def test_netsim_steady_poll_from_a_cache_is_one_request():
    settings = SnmpSettings(timeout=2.0, retries=0)
    cache = TargetCache()
    with NetSim(live=1) as sim:
        address = f"127.0.0.1:{sim.live_ports[0]}"
        cold = _poll(address, settings, cache)
        sim.reset()
        steady = _poll(address, settings, cache)
        requests, _ = sim.counts()
    assert cold.reachable and steady.reachable
    assert steady.requests == 1 and requests[sim.live_ports[0]] == 1
    assert [s.level for s in steady.supplies] == [s.level for s in cold.supplies]


def test_netsim_dead_ports_count_requests_and_never_answer():
    with NetSim(live=1, dead=2) as sim:
        result = _poll(f"127.0.0.1:{sim.dead_ports[0]}", SnmpSettings(timeout=0.2, retries=1))
        requests, _ = sim.counts()
    assert not result.reachable and result.timed_out
    assert requests[sim.dead_ports[0]] >= 2  # the first try and its retry both arrived
    assert requests[sim.dead_ports[1]] == 0
    assert requests[sim.live_ports[0]] == 0


def test_netsim_loss_drops_requests():
    with NetSim(live=1, loss=1.0) as sim:
        result = _poll(f"127.0.0.1:{sim.live_ports[0]}", SnmpSettings(timeout=0.2, retries=2))
        requests, _ = sim.counts()
    assert not result.reachable and result.timed_out
    assert requests[sim.live_ports[0]] >= 3  # every try arrived, none was answered


def test_netsim_latency_delays_replies_past_a_short_timeout():
    """Replies 1.5 s late miss a 0.3 s timeout (3 tries = 0.9 s) but make a 3 s one."""
    with NetSim(live=2, latency_ms=1500) as sim:
        late = _poll(f"127.0.0.1:{sim.live_ports[0]}", SnmpSettings(timeout=0.3, retries=2))
        patient = _poll(f"127.0.0.1:{sim.live_ports[1]}", SnmpSettings(timeout=3.0, retries=0))
    assert not late.reachable and late.timed_out
    assert patient.reachable and patient.supplies


def test_netsim_table_walks_in_order_and_ends():
    table = netsim.Table((ROOT / "tests" / "data" / "v3_printer.snmprec").read_text("latin-1"))
    assert table.oids == sorted(table.oids)
    assert table.next_index(table.oids[-1]) == len(table.oids)
    assert table.next_index((1, 3)) == 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
