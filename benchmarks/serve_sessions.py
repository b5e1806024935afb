"""Memory per browser session of `tonertrack serve` (figures, not pass/fail).

Starts `tonertrack serve --read-only` on a free port over a temp data dir with a stored fleet,
opens N sessions the way the page does (a websocket to /ws; no browser needed for the server's
side), waits until each has drawn its printer list, and prints the RSS of every session process
(/proc/PID/status VmRSS), the server's own RSS, and how long the last session took to stop after
its websocket closed.

    .venv/bin/python benchmarks/serve_sessions.py [--sessions 4] [--printers 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from servetools import child_pids as children  # noqa: E402
from servetools import free_port  # noqa: E402

from tonertrack_tui.web.server import rss_kib  # noqa: E402


def seed_many(root: Path, printers: int) -> tuple[Path, Path]:
    from servetools import recently, seed, stored_poll

    from tonertrack_tui.core.inventory.printer import Printer
    from tonertrack_tui.core.inventory.store import Store

    config, data, _ = seed(root, polled_at=recently(1))
    store = Store(data)
    added = []

    def add(existing: list[Printer]) -> None:
        for i in range(printers - len(existing)):
            p = Printer.new(f"10.20.{i // 250}.{i % 250 + 1}", name=f"Printer {i:04d}", location=f"Floor {i % 7}")
            existing.append(p)
            added.append(p)

    store.transact(add, audit="import")
    store.record_poll([(p.id, stored_poll(p.address, p.name, 10 + i % 90, recently(1))) for i, p in enumerate(added)])
    return config, data


async def open_session(port: int, marker: bytes) -> tuple[object, object, int]:
    import aiohttp

    http = aiohttp.ClientSession()
    ws = await http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30")
    seen = b""
    deadline = time.monotonic() + 120
    while marker not in seen:
        assert time.monotonic() < deadline, "the session drew nothing in 120 s"
        msg = await ws.receive(timeout=120)
        if msg.type == aiohttp.WSMsgType.BINARY:
            seen += msg.data
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise RuntimeError(f"session closed: {seen[-300:]!r}")
    return http, ws, len(seen)


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config, data = seed_many(Path(tmp), args.printers)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "tonertrack_tui", "--config", str(config), "--data-dir", str(data), "serve",
             "--read-only", "--port", str(port), "--max-sessions", str(args.sessions + 1)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert server.stdout is not None
            print(server.stdout.readline().strip())
            base_rss = rss_kib(server.pid)
            opened = []
            for _ in range(args.sessions):
                opened.append(await open_session(port, b"READ-ONLY"))
            await asyncio.sleep(3)  # let every session settle after its first frames
            pids = children(server.pid)
            sizes = [rss_kib(pid) or 0 for pid in pids]
            print(f"printers: {args.printers}; sessions: {len(pids)}")
            for pid, size in zip(pids, sizes, strict=True):
                print(f"  session pid {pid}: RSS {size / 1024:.1f} MiB")
            if sizes:
                print(f"RSS per session: mean {sum(sizes) / len(sizes) / 1024:.1f} MiB, "
                      f"max {max(sizes) / 1024:.1f} MiB")
            print(f"server RSS: {(base_rss or 0) / 1024:.1f} MiB at start, "
                  f"{(rss_kib(server.pid) or 0) / 1024:.1f} MiB with {len(pids)} sessions")
            started = time.monotonic()
            for http, ws, _ in opened:
                await ws.close()  # type: ignore[attr-defined]
                await http.close()  # type: ignore[attr-defined]
            while any(os.path.exists(f"/proc/{pid}") and rss_kib(pid) for pid in pids):
                await asyncio.sleep(0.05)
                if time.monotonic() - started > 60:
                    print("sessions still running 60 s after their browsers went away!")
                    break
            else:
                print(f"all session processes gone {time.monotonic() - started:.2f} s after the websockets closed")
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--printers", type=int, default=200)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
