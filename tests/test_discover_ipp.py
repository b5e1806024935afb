"""Discovery finds printers that answer IPP on TCP 631 but not SNMP (issue 17), against a real
ippeveprinter (tests/ipptools.py) and snmpsim; no mocked network."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from ipptools import IppEvePrinter, IppServices, free_tcp_port, missing

from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.polling.discover import discover, probe_ipp
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings
from tonertrack_tui.demo.simulator import Agent, Recording, SimFleet, free_udp_ports

pytestmark = pytest.mark.xdist_group("ipp")

DATA = Path(__file__).resolve().parent / "data"
FAST = SnmpSettings(timeout=0.5, retries=0)


@pytest.fixture(scope="module")
def printer() -> Iterator[IppEvePrinter]:
    why = missing()
    if why:
        pytest.skip(f"no real IPP printer here: {why}")
    services = IppServices().start()
    try:
        with IppEvePrinter(services) as p:
            yield p
    finally:
        services.stop()


def silent_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(addresses: list[str], *, snmp_port: int, ipp_port: int | None):
    async def go():
        client = SnmpClient()
        try:
            return await discover(client, addresses, FAST, port=snmp_port, ipp_port=ipp_port)
        finally:
            client.close()
    return asyncio.run(go())


def test_a_printer_without_snmp_is_found_over_ipp(printer):
    result = run(["127.0.0.1"], snmp_port=silent_udp_port(), ipp_port=printer.port)
    assert [(f.address, f.printer, f.protocol) for f in result.found] == [(printer.uri, True, "ipp")]
    found = result.found[0]
    assert found.model == "TonerTrack Testdrucker" and found.name == "TonerTrack Test"
    assert found.why == "IPP printer (no SNMP answer)"
    # SNMP only, as before: nothing
    assert run(["127.0.0.1"], snmp_port=silent_udp_port(), ipp_port=None).found == []


def test_nothing_on_either_port_is_not_found():
    result = run(["127.0.0.1"], snmp_port=silent_udp_port(), ipp_port=free_tcp_port())  # refused at once
    assert result.found == []
    assert asyncio.run(probe_ipp("127.0.0.1", port=free_tcp_port(), timeout=0.5)) is None


def test_a_port_that_is_not_ipp_is_not_a_printer():
    async def http_server():
        async def answer(reader, writer):
            await reader.read(4096)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>")
            await writer.drain()
            writer.close()
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await probe_ipp("127.0.0.1", port=port, timeout=2.0)

    found = asyncio.run(http_server())
    assert found is not None and not found.printer and found.protocol == "ipp"
    assert "not IPP" in found.why


def test_snmp_wins_where_both_answer(printer):
    port = free_udp_ports(["127.0.0.11"])[0][1]
    agent = Agent([Recording("public", (DATA / "mono_laser.snmprec").read_bytes())])
    with SimFleet(agents=[agent], host=["127.0.0.11"], port=port):
        # ippeveprinter listens on every address, so 127.0.0.11 answers IPP as well
        result = run(["127.0.0.11", "127.0.0.12"], snmp_port=port,
                     ipp_port=printer.port)
    got = {f.address: (f.protocol, f.printer) for f in result.found}
    assert got[f"127.0.0.11:{port}"] == ("snmp", True)
    assert got[f"ipp://127.0.0.12:{printer.port}/ipp/print"] == ("ipp", True)
    assert len(got) == 2


def test_discover_command_adds_an_ipp_printer(printer, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))
    argv = ["discover", "127.0.0.1", "--port", str(silent_udp_port()), "--timeout", "0.5", "--retries", "0",
            "--ipp-port", str(printer.port), "--add", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["added"] == [printer.uri] and doc["found"][0]["protocol"] == "ipp"
    [added] = Store(tmp_path / "data").load()
    assert added.address == printer.uri and added.protocol == "ipp" and added.speaks_ipp
    assert main(["poll", "--all", "--json"]) == 0
    [polled] = json.loads(capsys.readouterr().out)
    assert polled["protocol"] == "ipp" and polled["status"] == "OK"
    assert [s["level"] for s in polled["supplies"]] == [25, 75]
