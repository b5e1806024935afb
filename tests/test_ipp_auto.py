"""Protocol `auto` on a host that answers neither SNMP nor IPP (issue 17): it costs one window, as a dead
SNMP printer does, not an SNMP window and then an IPP one. Real sockets: a UDP socket that never
answers SNMP and a TCP listener on port 631 that accepts and never answers (a hung printer)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tonertrack_tui.core.polling.poller import poll_any
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings

HOST = "127.0.0.77"


@pytest.fixture
def silent_udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        yield s


async def _poll_with_hung_ipp(target: str, settings: SnmpSettings, **kw):
    connections = []

    async def hang(reader, writer):
        connections.append(writer)
        await reader.read(65536)  # the request; never an answer

    try:
        server = await asyncio.start_server(hang, HOST, 631)
    except PermissionError:
        pytest.skip("binding TCP port 631 needs root")
    client = SnmpClient()
    try:
        async with server:
            result = await poll_any(client, target, settings, protocol="auto", **kw)
            for w in connections:
                w.close()
            return result, len(connections)
    finally:
        client.close()


def test_auto_on_a_dead_host_asks_ipp_within_the_snmp_window(silent_udp):
    port = silent_udp.getsockname()[1]
    settings = SnmpSettings(timeout=0.3, retries=1)
    result, ipp_connections = asyncio.run(_poll_with_hung_ipp(f"{HOST}:{port}", settings))
    assert not result.reachable and result.timed_out
    # SNMP: one try and its retry; IPP: one try, started when SNMP's first try went unanswered
    # (its retry would fall outside the window): 3 requests, not 2 + 2 one window after the other
    assert ipp_connections == 1
    assert result.requests == 3
    assert any("IPP" in r for r in result.reasons) and any("community" in r for r in result.reasons)


def test_auto_that_answered_ipp_last_asks_snmp_within_the_ipp_window(silent_udp):
    port = silent_udp.getsockname()[1]
    settings = SnmpSettings(timeout=0.3, retries=1)
    result, ipp_connections = asyncio.run(_poll_with_hung_ipp(f"{HOST}:{port}", settings, prefer_ipp=True))
    assert not result.reachable and result.timed_out
    assert ipp_connections == 2  # IPP first, with its retry
    data = []
    silent_udp.setblocking(False)
    try:
        while True:
            data.append(silent_udp.recv(65536))
    except BlockingIOError:
        pass
    # SNMP asked inside IPP's window: one v2c try with the v1 probe beside it (a printer that has
    # never answered SNMP), no retry
    assert len(data) == 2
    assert result.requests == 4
