"""A hostile IPP server costs one printer's poll, never the fleet's (issue 17): real servers on
loopback answering badly on purpose, the real fleet poller; no mocked HTTP."""

from __future__ import annotations

import asyncio
import random
import struct
from pathlib import Path

from tonertrack_tui.core.config import load_config, resolve_paths
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.ipp.poll import poll_ipp
from tonertrack_tui.core.polling.fleet import FleetPoller


def attr(tag: int, name: str, value: bytes) -> bytes:
    return struct.pack(">BH", tag, len(name)) + name.encode() + struct.pack(">H", len(value)) + value


GOOD = (struct.pack(">BBHI", 2, 0, 0, 1) + b"\x01" + attr(0x47, "attributes-charset", b"utf-8") + b"\x04"
        + attr(0x23, "printer-state", struct.pack(">i", 3)) + attr(0x44, "printer-state-reasons", b"none")
        + attr(0x30, "printer-supply", b"index=1;class=supplyThatIsConsumed;type=toner;unit=percent;"
                                       b"maxcapacity=100;level=60;colorantname=black;")
        + attr(0x41, "printer-supply-description", b"Black Toner") + b"\x03")


async def _drain_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)


async def good(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _drain_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: %d\r\n\r\n" % len(GOOD) + GOOD)
    await writer.drain()
    writer.close()


async def endless_continue(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """'100 Continue' again and again: interim replies never end."""
    await _drain_request(reader)
    try:
        for _ in range(200):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 50)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_endless_interim_replies_end_as_a_failed_poll():
    async def go():
        server, port = await _serve(endless_continue)
        async with server:
            return await poll_ipp(f"ipp://127.0.0.1:{port}/ipp/print", timeout=5, retries=0)

    result = asyncio.run(go())
    assert not result.reachable and result.status == "Unknown" and not result.timed_out
    assert result.reasons == ["IPP: too many interim (1xx) HTTP replies"]


def test_a_hostile_printer_does_not_stop_the_fleet_poll(tmp_path: Path):
    paths = resolve_paths(tmp_path / "config.toml", tmp_path / "data")
    config = load_config(paths)
    store = Store(paths.data_dir)

    async def go():
        bad_server, bad_port = await _serve(endless_continue)
        good_server, good_port = await _serve(good)
        async with bad_server, good_server:
            bad = Printer.new(f"ipp://127.0.0.1:{bad_port}/ipp/print")
            fine = Printer.new(f"ipp://127.0.0.1:{good_port}/ipp/print")
            store.transact(lambda records: records.extend([bad, fine]), audit="add")
            poller = FleetPoller(store, config)
            try:
                summary = await poller.poll_all(by="test")
            finally:
                poller.close()
            return bad, fine, summary

    bad, fine, summary = asyncio.run(go())
    results = dict(summary.results)
    assert results[fine.id].reachable and results[fine.id].status == "OK"
    assert [s.level for s in results[fine.id].supplies] == [60]
    assert not results[bad.id].reachable
    saved = {p.id: p for p in Store(paths.data_dir).load()}
    assert saved[fine.id].last_poll is not None and saved[fine.id].last_poll.status == "OK"
    assert saved[bad.id].consecutive_failures == 1


def test_mangled_replies_never_raise():
    """Every byte of a good reply flipped at random, 300 times: a result each time, never an exception."""
    rng = random.Random(17)
    bodies = []
    for _ in range(300):
        body = bytearray(GOOD)
        for _ in range(rng.randint(1, 6)):
            body[rng.randrange(len(body))] = rng.randrange(256)
        bodies.append(bytes(body))

    async def go():
        async def mangled(reader, writer):
            await _drain_request(reader)
            body = bodies.pop()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            writer.close()

        server, port = await _serve(mangled)
        async with server:
            return [await poll_ipp(f"ipp://127.0.0.1:{port}/ipp/print", timeout=5, retries=0) for _ in range(300)]

    results = asyncio.run(go())
    assert len(results) == 300
    assert all(r.reachable or r.reasons for r in results)


def test_a_hostile_http_reason_phrase_and_header_flood_stay_harmless():
    async def bad_reason(reader, writer):
        await _drain_request(reader)
        writer.write(b"HTTP/1.1 503 \x1b]52;c;ZWNobw==\x07\x1b[2J[b]busy[/b]\x9b\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def header_flood(reader, writer):
        await _drain_request(reader)
        try:
            writer.write(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n")
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def go(handler):
        server, port = await _serve(handler)
        async with server:
            return await poll_ipp(f"ipp://127.0.0.1:{port}/ipp/print", timeout=5, retries=0)

    result = asyncio.run(go(bad_reason))
    assert result.reasons == ["IPP: HTTP 503 [b]busy[/b]"]
    result = asyncio.run(go(header_flood))
    assert result.reasons == ["IPP: too many HTTP headers"]
