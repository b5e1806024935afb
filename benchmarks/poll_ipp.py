"""IPP polling figures (issue 17): client CPU and requests per IPP poll, and poll-all of 200 IPP
printers of which 20 are dead.

A responder process (asyncio, one process, many TCP ports) answers Get-Printer-Attributes with
what an office colour laser publishes over IPP: printer-supply for four toners, a drum and a
waste box with their descriptions, state and reasons, identity, impressions and their -col
split (about 2 kB). The dead printers are ports that accept a connection and never answer (a
host that hangs, the expensive kind; a refused port costs nothing). The printers are imported
into a temporary data dir as ipp:// addresses and polled with the real fleet poller (store
writes and history included): cold, steady, then steady without the dead ones.

Prints: client CPU ms and requests per poll of one printer (sequential, 200 polls), then per
fleet run wall time, client CPU ms per printer, requests per live printer, false timeouts among
live printers (must be 0), and what the dead ones added (target: at most one timeout window).

    .venv/bin/python benchmarks/poll_ipp.py [--printers 200] [--dead 20] [--polls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tonertrack_tui.core.config import load_config, resolve_paths  # noqa: E402
from tonertrack_tui.core.inventory.printer import Printer  # noqa: E402
from tonertrack_tui.core.inventory.store import Store  # noqa: E402
from tonertrack_tui.core.ipp.poll import poll_ipp  # noqa: E402
from tonertrack_tui.core.polling.fleet import FleetPoller  # noqa: E402

# --- the responder -------------------------------------------------------------------------------

TEXT, KEYWORD, URI, OCTET, ENUM, INTEGER, BEGIN, END, MEMBER = 0x41, 0x44, 0x45, 0x30, 0x23, 0x21, 0x34, 0x37, 0x4A


def _attr(tag: int, name: str, value: bytes) -> bytes:
    raw = name.encode()
    return struct.pack(">BH", tag, len(raw)) + raw + struct.pack(">H", len(value)) + value


def printer_attributes() -> bytes:
    supplies = [
        ("toner", "supplyThatIsConsumed", 100, 62, "black", "Black Toner Cartridge"),
        ("toner", "supplyThatIsConsumed", 100, 35, "cyan", "Cyan Toner Cartridge"),
        ("toner", "supplyThatIsConsumed", 100, 18, "magenta", "Magenta Toner Cartridge"),
        ("toner", "supplyThatIsConsumed", 100, 71, "yellow", "Yellow Toner Cartridge"),
        ("opc", "supplyThatIsConsumed", 100, 80, "unknown", "Imaging Drum"),
        ("wasteToner", "receptacleThatIsFilled", 100, 40, "unknown", "Waste Toner Box"),
    ]
    out = [bytes([0x01]), _attr(0x47, "attributes-charset", b"utf-8"),
           _attr(0x48, "attributes-natural-language", b"en"), bytes([0x04])]
    for i, (kind, cls, mx, level, colorant, _) in enumerate(supplies, 1):
        value = (f"index={i};class={cls};type={kind};unit=percent;maxcapacity={mx};level={level};"
                 f"colorantname={colorant};").encode()
        out.append(_attr(OCTET, "printer-supply" if i == 1 else "", value))
    for i, s in enumerate(supplies):
        out.append(_attr(TEXT, "printer-supply-description" if i == 0 else "", s[5].encode()))
    out.append(_attr(ENUM, "printer-state", struct.pack(">i", 3)))
    out.append(_attr(KEYWORD, "printer-state-reasons", b"toner-low-warning"))
    out.append(_attr(TEXT, "printer-make-and-model", b"Example ColorLaser 4400"))
    out.append(_attr(TEXT, "printer-device-id", b"MFG:Example;MDL:ColorLaser 4400;CMD:PWG,URF;SN:EX12345;"))
    out.append(_attr(URI, "printer-uuid", b"urn:uuid:6a1c8d2e-0000-4000-8000-000000000001"))
    out.append(_attr(TEXT, "printer-info", b"Floor 2 colour"))
    out.append(_attr(TEXT, "printer-location", b"Building A, floor 2"))
    out.append(_attr(0x42, "printer-name", b"floor2-colour"))
    out.append(_attr(INTEGER, "printer-up-time", struct.pack(">i", 86400)))
    out.append(_attr(INTEGER, "printer-impressions-completed", struct.pack(">i", 123456)))
    out.append(_attr(BEGIN, "printer-impressions-completed-col", b""))
    for member, value in (("monochrome", 100000), ("full-color", 23456)):
        out.append(_attr(MEMBER, "", member.encode()))
        out.append(_attr(INTEGER, "", struct.pack(">i", value)))
    out.append(_attr(END, "", b""))
    out.append(bytes([0x03]))
    return b"".join(out)


def responder(live: int, dead: int, conn) -> None:  # runs in its own process
    attrs = printer_attributes()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            request = await reader.readexactly(length)
            body = request[:2] + b"\x00\x00" + request[4:8] + attrs  # version, successful-ok, request-id
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(3600)  # a printer that accepts and never answers

    async def main() -> None:
        servers = [await asyncio.start_server(answer, "127.0.0.1", 0, backlog=256) for _ in range(live)]
        servers += [await asyncio.start_server(hang, "127.0.0.1", 0) for _ in range(dead)]
        conn.send([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the figures -----------------------------------------------------------------------------------

async def one_printer(uri: str, polls: int) -> tuple[float, float, float, str]:
    await poll_ipp(uri, timeout=2.0)  # warm up (imports, TLS-less connect path)
    cpu0, wall0, requests = time.process_time(), time.perf_counter(), 0
    status = ""
    for _ in range(polls):
        result = await poll_ipp(uri, timeout=2.0)
        requests += result.requests
        status = f"{result.status} ({len(result.supplies)} supplies, {', '.join(result.reasons)})"
    return ((time.process_time() - cpu0) * 1000 / polls, (time.perf_counter() - wall0) * 1000 / polls,
            requests / polls, status)


async def run_poll(poller: FleetPoller) -> dict:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    summary = await poller.poll_all(by="benchmark")
    return {"summary": summary, "wall": time.perf_counter() - wall0, "cpu": time.process_time() - cpu0}


def report(label: str, run: dict, live_ids: set[str]) -> None:
    s = run["summary"]
    live = [r for pid, r in s.results if pid in live_ids]
    false_timeouts = sum(1 for r in live if not r.reachable)
    requests = sum(r.requests for r in live) / max(1, len(live))
    print(f"{label:<22} {s.done:4d} printers  wall {run['wall']:5.2f} s  "
          f"CPU {run['cpu'] * 1000 / max(1, s.done):5.2f} ms/printer  "
          f"{requests:4.2f} requests/live printer  false timeouts {false_timeouts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=200, help="IPP printers in all, dead ones included")
    parser.add_argument("--dead", type=int, default=20)
    parser.add_argument("--polls", type=int, default=200, help="sequential polls of one printer")
    args = parser.parse_args()
    live_n = args.printers - args.dead
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=responder, args=(live_n, args.dead, child), daemon=True)
    proc.start()
    try:
        ports = parent.recv()
        live_ports, dead_ports = ports[:live_n], ports[live_n:]
        uri = f"ipp://127.0.0.1:{live_ports[0]}/ipp/print"
        cpu_ms, wall_ms, requests, status = asyncio.run(one_printer(uri, args.polls))
        print(f"one printer, {args.polls} polls: client CPU {cpu_ms:.2f} ms/poll, {requests:.2f} requests/poll, "
              f"wall {wall_ms:.2f} ms/poll over loopback; result: {status}")
        with tempfile.TemporaryDirectory() as tmp:
            paths = resolve_paths(Path(tmp) / "config.toml", Path(tmp) / "data")
            config = load_config(paths)
            store = Store(paths.data_dir)
            live = [Printer.new(f"ipp://127.0.0.1:{p}/ipp/print") for p in live_ports]
            dead = [Printer.new(f"ipp://127.0.0.1:{p}/ipp/print") for p in dead_ports]
            store.transact(lambda records: records.extend(live + dead), audit="import")
            live_ids = {r.id for r in live}
            window = config.polling.timeout_s * (config.polling.retries + 1)
            poller = FleetPoller(store, config)
            responder_cpu0 = cpu_s(proc.pid)

            async def go() -> tuple[dict, dict, dict]:
                try:
                    cold = await run_poll(poller)
                    steady = await run_poll(poller)
                    store.transact(lambda records: records.__setitem__(
                        slice(None), [r for r in records if r.id in live_ids]), audit=None)
                    steady_live = await run_poll(poller)
                    return cold, steady, steady_live
                finally:
                    poller.close()

            cold, steady, steady_live = asyncio.run(go())
            print(f"fleet: {live_n} live + {args.dead} dead (accept, never answer) IPP printers; "
                  f"timeout {config.polling.timeout_s:g} s x (retries {config.polling.retries} + 1)")
            report("cold (live + dead)", cold, live_ids)
            report("steady (live + dead)", steady, live_ids)
            report("steady (live only)", steady_live, live_ids)
            print(f"dead printers added {cold['wall'] - steady_live['wall']:.2f} s (cold), "
                  f"{steady['wall'] - steady_live['wall']:.2f} s (steady) of wall time; "
                  f"one timeout window = {window:g} s")
            print(f"responder used {cpu_s(proc.pid) - responder_cpu0:.2f} s CPU for the three runs")
    finally:
        proc.kill()
        proc.join()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (client process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
