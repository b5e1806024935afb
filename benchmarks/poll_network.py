"""Poll-all over a network that behaves like one (issue 14): latency, loss, dead printers.

The printers are benchmarks/netsim.py in a child process (a responder that costs almost no
CPU, so what is measured is the client), with per-reply latency ± jitter, request loss and
dead ports. Each scenario is run two ways, each with a first-ever run (fresh data dir just
imported) and a repeat run:

* CLI: `tonertrack poll --all --json` in a fresh process per run (cron, `daemon --once`);
* poller: one long-running FleetPoller polling twice (the TUI's and the daemon's rounds).

Printed per run: wall time, request PDUs per live printer (counted by the responder),
SNMPv1 requests, client CPU per printer (the child's user+sys for the CLI, process time
for the poller), and whether every live printer came out up and every dead one down.

Targets (issue 14): 500 live at 300 ± 150 ms with 2 % loss + 50 dead: first CLI run
<= 15 s, repeat <= 8 s and <= 1.3 requests per live printer. 1,000 live + 100 dead with
no latency: repeat <= 3 s; CPU <= ~2.2 ms/printer cold, ~0.8 ms steady.

    .venv/bin/python benchmarks/poll_network.py                 # every scenario
    .venv/bin/python benchmarks/poll_network.py --scenario lossy --only cli
    .venv/bin/python benchmarks/poll_network.py --code /tmp/tt-main   # measure another tree
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCENARIOS = {
    # name: (live, dead, latency_ms, jitter_ms, loss)
    "lossy": (500, 50, 300.0, 150.0, 0.02),
    "fast": (1000, 100, 0.0, 0.0, 0.0),
    "slow": (500, 50, 350.0, 0.0, 0.0),
    "smoke": (20, 2, 50.0, 20.0, 0.0),  # a quick check that everything runs
}


def child_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def make_data_dir(tmp: Path, live: list[int], dead: list[int]) -> tuple[Path, Path]:
    from tonertrack_tui.core.config import load_config, resolve_paths
    from tonertrack_tui.core.inventory.printer import Printer
    from tonertrack_tui.core.inventory.store import Store

    (tmp / "config.toml").write_text("# the defaults: timeout 1 s, 1 retry\n")  # a named config must exist
    paths = resolve_paths(tmp / "config.toml", tmp / "data")
    load_config(paths)
    store = Store(paths.data_dir)
    records = [Printer.new(f"127.0.0.1:{p}") for p in live + dead]
    store.transact(lambda printers: printers.extend(records), audit="import")
    return tmp / "config.toml", tmp / "data"


def line(label: str, wall: float, cpu: float, sim, live: list[int], dead: list[int],
         up: set[int], down_dead: int) -> dict:
    requests, v1 = sim.counts()
    sim.reset()
    per_live = sum(requests[p] for p in live) / max(1, len(live))
    v1_total = sum(v1.values())
    live_up = sum(1 for p in live if p in up)
    n = len(live) + len(dead)
    print(f"  {label:<18} wall {wall:7.2f} s  {per_live:5.2f} req/live printer  v1 requests {v1_total:4d}  "
          f"CPU {cpu * 1000 / n:5.2f} ms/printer  live up {live_up}/{len(live)}  dead down {down_dead}/{len(dead)}",
          flush=True)
    return {"label": label, "wall": wall, "req_per_live": per_live, "v1": v1_total,
            "cpu_ms_per_printer": cpu * 1000 / n, "live_up": live_up, "dead_down": down_dead}


def port_of(target: str) -> int:
    return int(target.rsplit(":", 1)[1])


def run_cli(sim, live: list[int], dead: list[int], code: Path, runs: int) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        config, data = make_data_dir(Path(tmp), live, dead)
        env = dict(os.environ, PYTHONPATH=str(code))
        command = [sys.executable, "-m", "tonertrack_tui.cli", "--config", str(config), "--data-dir", str(data),
                   "poll", "--all", "--json"]
        for i in range(runs):
            cpu0, wall0 = child_cpu_s(), time.perf_counter()
            proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp)
            wall, cpu = time.perf_counter() - wall0, child_cpu_s() - cpu0
            if proc.returncode not in (0, 1):
                print(proc.stderr[-2000:], file=sys.stderr)
            results = json.loads(proc.stdout or "[]")
            up = {port_of(r["target"]) for r in results if r["reachable"]}
            dead_set = set(dead)
            down_dead = sum(1 for r in results if not r["reachable"] and port_of(r["target"]) in dead_set)
            out.append(line(f"CLI run {i + 1}", wall, cpu, sim, live, dead, up, down_dead))
    return out


def run_poller(sim, live: list[int], dead: list[int], runs: int) -> list[dict]:
    from tonertrack_tui.core.config import load_config, resolve_paths
    from tonertrack_tui.core.inventory.store import Store
    from tonertrack_tui.core.polling.fleet import FleetPoller

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        config_path, data = make_data_dir(Path(tmp), live, dead)
        config = load_config(resolve_paths(config_path, data))
        store = Store(data)
        poller = FleetPoller(store, config)
        addresses = {p.id: p.address for p in store.load()}

        async def go() -> None:
            try:
                for i in range(runs):
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    summary = await poller.poll_all(by="benchmark")
                    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                    up = {port_of(addresses[pid]) for pid, r in summary.results if r.reachable}
                    dead_set = set(dead)
                    down_dead = sum(1 for pid, r in summary.results
                                    if not r.reachable and port_of(addresses[pid]) in dead_set)
                    out.append(line(f"poller round {i + 1}", wall, cpu, sim, live, dead, up, down_dead))
                    if hasattr(summary, "limit_cuts"):
                        print(f"  {'':<18} concurrency limit halved {summary.limit_cuts} times, "
                              f"event loop at most {summary.max_loop_lag_s * 1000:.0f} ms late", flush=True)
            finally:
                poller.close()

        asyncio.run(go())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="run only this scenario (repeatable; default: all)")
    parser.add_argument("--only", choices=["cli", "poller"], help="run only the CLI or only the poller")
    parser.add_argument("--runs", type=int, default=2, help="runs per way (first + repeats)")
    parser.add_argument("--code", default=str(HERE.parent), help="the tonertrack tree to measure")
    args = parser.parse_args()
    code = Path(args.code).resolve()
    sys.path.insert(0, str(code))
    import tonertrack_tui

    sys.path.insert(1, str(HERE))
    from netsim import NetSim  # the parent only drives the child process
    print(f"code: {Path(tonertrack_tui.__file__).parent}", flush=True)
    for name in args.scenario or list(SCENARIOS):
        live_n, dead_n, latency, jitter, loss = SCENARIOS[name]
        print(f"{name}: {live_n} live + {dead_n} dead, replies {latency:g} ± {jitter:g} ms late, "
              f"{loss:.0%} of requests lost", flush=True)
        with NetSim(live_n, dead_n, latency_ms=latency, jitter_ms=jitter, loss=loss) as sim:
            if args.only in (None, "cli"):
                run_cli(sim, sim.live_ports, sim.dead_ports, code, args.runs)
            if args.only in (None, "poller"):
                run_poller(sim, sim.live_ports, sim.dead_ports, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
