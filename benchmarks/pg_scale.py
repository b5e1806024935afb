"""Many sites on PostgreSQL at scale (issue 19), against the JSON store at 1,000 printers.

A real PostgreSQL (tests/pgtools.py: initdb + pg_ctl in a temp dir) holds N printers (default
10,000) in S sites (default 4). The printers are served by the benchmark responder
(benchmarks/netsim.py: no CPU per reply worth counting, optional latency), so what is measured
is TonerTrack and the database. On this one machine:

* S daemons, one per site, each `tonertrack daemon --site sK --once` in a process and a data dir
  of its own (as S jump boxes would), and 2 TUIs started at the same time (processes running the
  real app headless at 120x40, on the database, watching it for changes);
* round 1 is the first ever (cold walks), round 2 a repeat from fresh processes (the on-disk
  static cache: one request per printer);
* before the rounds, the TUIs' start-up alone (one, then two at once): what an admin sees
  when the jump box is not also running four daemons on its 2 cores.

Printed per round: wall time until every daemon is done, printers polled and up, SNMP requests
per printer, database transactions per printer (pg_stat_database, every client included: the
daemons' claims, reads and saves, the TUIs' reads and change checks), the TUIs' start-up to a drawn
table of N printers, and history growth (what a round adds; a day's bound from it): the
database's history tables on disk, the JSON store's history/ files. The same
for one daemon and 2 TUIs on the JSON store with 1,000 printers.

    .venv/bin/python benchmarks/pg_scale.py [--printers 10000] [--sites 4] [--latency-ms 0]
        [--json-printers 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

T_PROCESS = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from netsim import NetSim  # noqa: E402
from pgtools import PgServer, missing  # noqa: E402

from tonertrack_tui.core.inventory.pgstore import PgStore  # noqa: E402
from tonertrack_tui.core.inventory.printer import Printer  # noqa: E402
from tonertrack_tui.core.inventory.store import Store  # noqa: E402

# ---------------------------------------------------------------- a TUI, in a child process

async def _tui(config: str, data_dir: str, n: int, stay_s: float) -> dict[str, float]:
    from tonertrack_tui.app import create_app
    from tonertrack_tui.screens.printers import PrintersScreen
    from tonertrack_tui.widgets.printer_table import PrinterTable

    t0 = time.perf_counter()
    app = create_app(config, data_dir, auto_poll=False, watch_store=True, check_tty=False)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)):
        while not (isinstance(app.screen, PrintersScreen) and app.screen.query_one(PrinterTable).row_count == n):
            await asyncio.sleep(0.005)
        done = asyncio.get_running_loop().create_future()
        app.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
        drawn = await done
        figures["start"], figures["start_from_process"] = drawn - t0, drawn - T_PROCESS
        print(json.dumps(figures), flush=True)
        deadline = time.monotonic() + stay_s
        while time.monotonic() < deadline:  # until terminated: a TUI open during the round
            await asyncio.sleep(0.2)
    return figures


def start_tui(config: Path, data_dir: Path, n: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, "--tui-child", str(config), str(data_dir), str(n)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def tui_figures(proc: subprocess.Popen[str]) -> dict[str, float]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not line:
        raise RuntimeError(f"a TUI did not start: {proc.stderr.read() if proc.stderr else ''}")
    return dict(json.loads(line))


# ---------------------------------------------------------------- the fleet

def address(port: int) -> str:
    return f"127.0.0.1:{port}"


def history_files_bytes(boxes: list[Path]) -> int:
    return sum(f.stat().st_size for box in boxes for f in box.rglob("history/*") if f.is_file())


def history_table_bytes(store: PgStore) -> int:
    """The history's tables on disk, their indexes included (PostgreSQL grows them by 8 KiB pages)."""
    with store._connect() as conn:
        row = conn.execute("SELECT pg_total_relation_size('tt_history_lines') "
                           "+ pg_total_relation_size('tt_history_index')").fetchone()
    return int(row[0])


def xacts(server: PgServer, dsn: str) -> int:
    import psycopg

    time.sleep(1.2)  # the backends' statistics reach pg_stat_database within a second of their last transaction
    with psycopg.connect(server.dsn(), password=server.PASSWORD, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                           (dsn.rsplit("/", 1)[1],)).fetchone()
    return int(row[0]) if row else 0


def run_round(label: str, daemons: list[list[str]], tuis: list[tuple[Path, Path]], n: int, env: dict[str, str],
              sim: NetSim, history_bytes: Callable[[], int], count_xacts: object = None) -> None:
    sim.reset()
    before_xacts = count_xacts() if callable(count_xacts) else None
    before_history = history_bytes()
    started = time.perf_counter()
    tui_procs = [start_tui(config, data, n, env) for config, data in tuis]
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for argv in daemons]
    logs = [p.communicate(timeout=3600)[1] for p in procs]
    wall = time.perf_counter() - started
    starts = [tui_figures(p) for p in tui_procs]
    failed = [log for p, log in zip(procs, logs, strict=True) if p.returncode != 0]
    if failed:
        raise RuntimeError(failed[0][-2000:])
    requests, _ = sim.counts()
    polled = [line for log in logs for line in log.splitlines() if "polled " in line and " printers in " in line]
    done = sum(int(line.split("polled ", 1)[1].split()[0]) for line in polled)
    ok = sum(int(line.split("(", 1)[1].split(" OK")[0]) for line in polled if " OK" in line)
    growth = history_bytes() - before_history
    per_day = ""
    if before_history == 0 and growth:  # the first samples: supply levels and names included
        per_day = (f"; at most {growth * 24 / 1024 / 1024:.1f} MiB/day (history.sample_interval_s = 3600: one "
                   f"sample per printer an hour, none larger than a first one)")
    tx = ""
    if callable(count_xacts) and before_xacts is not None:
        tx = f", {(count_xacts() - before_xacts) / n:.2f} database transactions/printer"
    tui = ", ".join(f"{s['start']:.2f} s ({s['start_from_process']:.2f} s from process start)" for s in starts)
    print(f"{label}: {done} polled ({ok} OK) in {wall:.1f} s wall, {sum(requests.values()) / n:.2f} SNMP "
          f"requests/printer{tx}\n    TUIs drawn with {n} printers after {tui}\n    history +{growth / 1024:.0f} KiB "
          f"({growth / n:.0f} bytes/printer){per_day}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=10000)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--json-printers", type=int, default=1000)
    parser.add_argument("--daemon-nice", type=int, default=0,
                        help="run the daemons at this niceness (contrib/systemd/tonertrack.service: Nice=10)")
    parser.add_argument("--tui-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tui_child:
        config, data, n = args.tui_child
        asyncio.run(_tui(config, data, int(n), stay_s=3600))
        return 0
    why = missing()
    if why:
        print(f"skipped: {why}")
        return 0
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.printers + 2000)), hard))
    n, sites = args.printers, args.sites
    nice = ["nice", "-n", str(args.daemon_nice)] if args.daemon_nice else []
    server = PgServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            dsn = server.new_database()
            env = {**os.environ, "TONERTRACK_DB_PASSWORD": server.PASSWORD, "PYTHONPATH": str(ROOT)}
            with NetSim(live=n, latency_ms=args.latency_ms, jitter_ms=args.latency_ms / 3) as sim:
                store = PgStore(tmp / "seed", dsn, server.PASSWORD)
                store.migrate()
                started = time.perf_counter()
                store.transact(lambda rs: rs.extend(Printer.new(address(p), site=f"s{i % sites}")
                                                    for i, p in enumerate(sim.live_ports)), audit="import")
                print(f"postgresql: {n} printers in {sites} sites imported in {time.perf_counter() - started:.1f} s "
                      f"(one transaction)", flush=True)
                boxes = [tmp / f"box{k}" for k in range(sites)]
                daemons = []
                for k, box in enumerate(boxes):
                    box.mkdir()
                    (box / "config.toml").write_text(
                        f'[polling]\ntimeout_s = 2\nretries = 1\n[storage]\nbackend = "postgresql"\ndsn = "{dsn}"\n')
                    daemons.append([*nice, sys.executable, "-m", "tonertrack_tui", "--config", str(box / "config.toml"),
                                    "--data-dir", str(box / "data"), "daemon", "--site", f"s{k}", "--once"])
                tuis = [(boxes[k % sites] / "config.toml", tmp / f"tui{k}") for k in range(2)]
                for how_many in (1, 2):  # the start-up alone, before the daemons share the 2 cores with them
                    alone = [tui_figures(p) for p in [start_tui(config, data, n, env) for config, data in
                                                      tuis[:how_many]]]
                    print(f"postgresql, {how_many} TUI{'s' if how_many > 1 else ''} alone: drawn with {n} printers "
                          "after " + ", ".join(f"{f['start']:.2f} s ({f['start_from_process']:.2f} s from process "
                                               "start)" for f in alone), flush=True)
                for round_name in ("round 1 (first ever)", "round 2 (repeat)"):
                    with store._connect() as conn, conn.transaction():  # an interval has passed: claims expired
                        conn.execute("UPDATE tt_printers SET claimed_at = NULL")
                    run_round(f"postgresql, {sites} daemons + 2 TUIs, {round_name}", daemons, tuis, n, env, sim,
                              lambda: history_table_bytes(store), lambda: xacts(server, dsn))
            # the JSON store at 1,000: one daemon (one jump box), 2 TUIs on its data dir
            m = args.json_printers
            with NetSim(live=m, latency_ms=args.latency_ms, jitter_ms=args.latency_ms / 3) as sim:
                box = tmp / "json"
                box.mkdir()
                (box / "config.toml").write_text("[polling]\ntimeout_s = 2\nretries = 1\n")
                Store(box / "data").transact(lambda rs: rs.extend(Printer.new(address(p)) for p in sim.live_ports),
                                             audit="import")
                daemon = [sys.executable, "-m", "tonertrack_tui", "--config", str(box / "config.toml"),
                          "--data-dir", str(box / "data"), "daemon", "--once"]
                for round_name in ("round 1 (first ever)", "round 2 (repeat)"):
                    run_round(f"json, 1 daemon + 2 TUIs, {m} printers, {round_name}", [daemon],
                              [(box / "config.toml", box / "data")] * 2, m, env, sim,
                              lambda: history_files_bytes([box]))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
