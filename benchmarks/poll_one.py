"""Poll one recorded colour printer many times in one process (issue 2).

Prints request PDUs per poll and client CPU ms per poll, for the first poll of a
new printer and in steady state (static columns cached). Targets (DESIGN.md):
<= 3 PDUs; <= 15 ms CPU for the first poll, <= 3 ms in steady state.

    .venv/bin/python benchmarks/poll_one.py [--polls N] [--recording PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tonertrack_tui.core.polling.poller import poll_one  # noqa: E402
from tonertrack_tui.core.printer import counters  # noqa: E402
from tonertrack_tui.core.printer.collect import TargetCache  # noqa: E402
from tonertrack_tui.core.snmp.client import SnmpClient  # noqa: E402
from tonertrack_tui.core.snmp.credentials import SnmpSettings  # noqa: E402
from tonertrack_tui.demo.simulator import SimFleet  # noqa: E402


async def measure(target: str, community: str, polls: int) -> dict:
    client = SnmpClient()
    settings = SnmpSettings(community=community)
    figures: dict = {}
    try:
        # first poll of a new printer, several times (fresh cache each time)
        firsts, first_pdus = [], []
        for _ in range(20):
            t0 = time.process_time()
            result = await poll_one(client, target, settings, cache=TargetCache())
            firsts.append((time.process_time() - t0) * 1000)
            first_pdus.append(result.requests)
            assert result.reachable, result.reasons
        cache = TargetCache()
        await poll_one(client, target, settings, cache=cache)
        steady, steady_pdus = [], []
        t_all = time.process_time()
        for _ in range(polls):
            t0 = time.process_time()
            result = await poll_one(client, target, settings, cache=cache)
            steady.append((time.process_time() - t0) * 1000)
            steady_pdus.append(result.requests)
        total_ms = (time.process_time() - t_all) * 1000
        figures = {
            "supplies": len(result.supplies), "trays": len(result.trays), "alerts": len(result.alerts),
            "first_cpu_ms_median": statistics.median(firsts), "first_cpu_ms_very_first": firsts[0],
            "first_pdus": max(first_pdus),
            "steady_cpu_ms_mean": total_ms / polls, "steady_cpu_ms_median": statistics.median(steady),
            "steady_pdus": max(steady_pdus),
            "counters": result.counters.to_json(), "object_id": result.identity.object_id,
            "vendor_cells": len(cache.vendor_cells),
        }
    finally:
        client.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--recording", action="append",
                        help="a .snmprec file (repeatable; default: the colour MFP, an inkjet, a mono laser)")
    args = parser.parse_args()
    recordings = [Path(r) for r in args.recording or [
        ROOT / "tests" / "data" / name for name in ("colour_mfp.snmprec", "inkjet.snmprec", "mono_laser.snmprec",
                                                    "counters_hp_colour.snmprec", "counters_lexmark.snmprec")]]
    with SimFleet(recordings) as fleet:
        for recording in recordings:
            report(recording, asyncio.run(measure(fleet.address(0), recording.stem, args.polls)), args.polls)
    return 0


def report(recording: Path, figures: dict, polls: int) -> None:
    print(f"recording: {recording.name} ({figures['supplies']} supplies, {figures['trays']} trays, "
          f"{figures['alerts']} alerts)")
    print(f"first poll : {figures['first_pdus']} PDUs, {figures['first_cpu_ms_median']:.2f} ms CPU "
          f"(median of 20; the very first in the process {figures['first_cpu_ms_very_first']:.2f} ms)"
          "   target <= 3 PDUs, <= 15 ms")
    print(f"steady     : {figures['steady_pdus']} PDUs, {figures['steady_cpu_ms_mean']:.2f} ms CPU mean, "
          f"{figures['steady_cpu_ms_median']:.2f} ms median over {polls} polls"
          "   target <= 3 PDUs, <= 3 ms")
    print(f"counters   : {counters_requests(figures)}")


def counters_requests(figures: dict) -> str:
    """What the page counters (issue 16) add to the requests above, and what they gave."""
    cells, walks = counters.requests_for(figures["object_id"])
    c = figures["counters"]
    return (f"cold +{len(cells)} vendor cells, {len(walks)} table probe(s) (+1 marker probe and the marker unit);"
            f" steady +{figures['vendor_cells']} vendor cells; total={c['total']} mono={c['mono']}"
            f" color={c['color']} ({c['source'] or 'no source'})")


if __name__ == "__main__":
    sys.exit(main())
