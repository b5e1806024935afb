"""Poll-all of 1,000 simulated printers plus 100 dead ports (issue 3).

snmpsim serves one recorded colour printer on 1,000 loopback endpoints (two responder
processes); 100 more ports have nobody listening. They are imported into a temporary
data dir and polled with the real fleet poller (store writes and history included):
cold, then steady, then steady without the dead ones to see what those add.

For a network with latency, loss and a responder that costs no CPU, see poll_network.py.

Prints wall time, client CPU ms per printer, request PDUs per printer, false timeouts
among live printers (must be 0), what the dead ones added, and peak RSS.
Targets: <= 4 ms CPU per printer steady, <= 10 s wall for 1,000 live printers,
dead ones add <= one timeout window, peak RSS <= 150 MB.

    .venv/bin/python benchmarks/poll_fleet.py [--printers 1000] [--dead 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tonertrack_tui.core.config import load_config, resolve_paths  # noqa: E402
from tonertrack_tui.core.inventory.printer import Printer  # noqa: E402
from tonertrack_tui.core.inventory.store import Store  # noqa: E402
from tonertrack_tui.core.polling.fleet import FleetPoller  # noqa: E402
from tonertrack_tui.demo.simulator import Recording, SimFleet  # noqa: E402


def dead_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def sim_cpu_s(pids: list[int]) -> float:
    """CPU seconds the snmpsim responders have used (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return float("nan")
    return total / os.sysconf("SC_CLK_TCK")


async def run_poll(poller: FleetPoller, sim_pids: list[int]) -> dict:
    sim0 = sim_cpu_s(sim_pids)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    summary = await poller.poll_all(by="benchmark")
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return {"summary": summary, "wall": wall, "cpu": cpu, "sim_cpu": sim_cpu_s(sim_pids) - sim0}


def report(label: str, run: dict, live_ids: set[str]) -> None:
    s = run["summary"]
    live = [(pid, r) for pid, r in s.results if pid in live_ids]
    false_timeouts = sum(1 for _, r in live if not r.reachable)
    pdus = sum(r.requests for _, r in live) / max(1, len(live))
    print(f"{label:<28} {s.done:5d} printers  wall {run['wall']:6.2f} s  "
          f"CPU {run['cpu'] * 1000 / max(1, s.done):5.2f} ms/printer  "
          f"{pdus:4.2f} PDUs/live printer  false timeouts {false_timeouts}  "
          f"(snmpsim used {run['sim_cpu']:.1f} s CPU)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=1000)
    parser.add_argument("--dead", type=int, default=100)
    # a typical office colour laser: 4 toners, 2 trays, no alerts
    parser.add_argument("--recording", default=str(ROOT / "tests" / "data" / "v3_printer.snmprec"))
    args = parser.parse_args()
    text = Path(args.recording).read_text("latin-1")
    with tempfile.TemporaryDirectory() as tmp, \
            SimFleet([Recording("public", text)], endpoints=args.printers, processes=2) as fleet:
        print(f"snmpsim: {args.printers} endpoints ready in {fleet.startup_seconds:.1f} s")
        paths = resolve_paths(Path(tmp) / "config.toml", Path(tmp) / "data")
        config = load_config(paths)
        store = Store(paths.data_dir)
        live = [Printer.new(a) for a in fleet.addresses()]
        # SimFleet gives each responder process a contiguous block of endpoints; real printers
        # are independent devices, so interleave them (fixed seed) to keep both responders busy
        random.Random(1).shuffle(live)
        dead = [Printer.new(f"127.0.0.1:{p}") for p in dead_ports(args.dead)]
        t0 = time.perf_counter()
        store.transact(lambda records: records.extend(live + dead), audit="import")
        print(f"imported {len(live)} live + {len(dead)} dead printers in {time.perf_counter() - t0:.2f} s")
        live_ids = {r.id for r in live}
        window = config.polling.timeout_s * (config.polling.retries + 1)
        poller = FleetPoller(store, config)

        async def go():
            try:
                cold = await run_poll(poller, fleet.pids)
                steady = await run_poll(poller, fleet.pids)
                store.transact(lambda records: records.__setitem__(
                    slice(None), [r for r in records if r.id in live_ids]), audit=None)
                steady_live = await run_poll(poller, fleet.pids)
                return cold, steady, steady_live
            finally:
                poller.close()

        cold, steady, steady_live = asyncio.run(go())
        report("cold (live + dead)", cold, live_ids)
        report("steady (live + dead)", steady, live_ids)
        report("steady (live only)", steady_live, live_ids)
        added = steady["wall"] - steady_live["wall"]
        print(f"dead printers added {added:.2f} s wall (one timeout window = {window:g} s)")
        history = sum(f.stat().st_size for f in (paths.data_dir / "history").glob("*"))
        print(f"printers.json {(paths.data_dir / 'printers.json').stat().st_size / 1e6:.1f} MB, "
              f"history {history / 1e6:.2f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB (client process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
