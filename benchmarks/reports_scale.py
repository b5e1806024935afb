"""Reports at fleet scale: 1,000 printers with one year of history.

    .venv/bin/python benchmarks/reports_scale.py [--printers 1000] [--days 365] [--keep DIR]

The history is what a year of polling at the default sampling leaves on disk
(core/history.py; [history] sample_interval_s = 3600, raw_days = 31): one line per
printer per day for the days older than 31 (compacted: the day's last count and supply
state), one line per hour for the last 31 days (supplies only when they changed or on
the first line of a day). Writing it through History.append would take hours of
simulated polls, so the files are written directly in History's line format and the
index is built with History.rebuild_index(), the same code that recovers a lost index.

Supplies: 70 % of the printers are colour (4 toners, a drum, a waste box), the rest
mono (toner, drum); a third of them report levels in 10 % steps; every toner falls at
its own rate and is replaced when it runs out. Pages climb in office hours.

Prints: generation time, history size on disk, and the time to build each report
(rows and CSV bytes) from a cold start (a new History object, nothing cached).
Targets (DESIGN.md): monthly ≤ 2 s, supplies ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tonertrack_tui.core.config import Config  # noqa: E402
from tonertrack_tui.core.inventory.history import History  # noqa: E402
from tonertrack_tui.core.inventory.printer import Printer  # noqa: E402
from tonertrack_tui.core.inventory.store import Store  # noqa: E402
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply  # noqa: E402
from tonertrack_tui.core.printer.status import evaluate  # noqa: E402
from tonertrack_tui.core.reports.build import build_report  # noqa: E402

COLOURS = ("black", "cyan", "magenta", "yellow")
LOCATIONS = [f"Building {b} / floor {f}" for b in "ABCDE" for f in range(1, 5)]
RAW_DAYS = 31


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class SimPrinter:
    def __init__(self, rng: random.Random, n: int) -> None:
        self.id = uuid.UUID(int=rng.getrandbits(128)).hex
        self.address = f"10.{n // 250}.{n % 250}.{10 + n % 7}"
        self.colour = rng.random() < 0.7
        self.stepped = rng.random() < 0.33
        self.count = rng.randrange(5_000, 400_000)
        self.pages_per_hour = rng.uniform(2, 60)
        kinds = [(f"1.{i + 1}", f"{c.capitalize()} Toner Cartridge CF41{i}A", "toner", c, rng.uniform(0.4, 2.5))
                 for i, c in enumerate(COLOURS if self.colour else COLOURS[:1])]
        kinds.append((f"1.{len(kinds) + 1}", "Imaging Drum", "drum", None, rng.uniform(0.05, 0.3)))
        if self.colour:
            kinds.append((f"1.{len(kinds) + 1}", "Waste Toner Box", "waste", None, rng.uniform(0.2, 0.8)))
        self.supplies = kinds
        self.levels = {idx: rng.uniform(20, 100) for idx, *_ in kinds}

    def meta(self) -> dict:
        return {idx: [desc, kind] for idx, desc, kind, _c, _r in self.supplies}

    def advance(self, hours: float, rng: random.Random, working: bool) -> None:
        if working:
            self.count += int(self.pages_per_hour * hours * rng.uniform(0.5, 1.5))
        for idx, _d, _k, _c, rate in self.supplies:
            level = self.levels[idx] - rate * hours / 24 * rng.uniform(0.5, 1.5)
            self.levels[idx] = 100.0 if level <= 1 else level  # replaced when it runs out

    def state(self) -> dict:
        out = {}
        for idx, *_ in self.supplies:
            pct = int(self.levels[idx])
            if self.stepped:
                pct = int(round(pct / 10)) * 10
            out[idx] = [pct, 100, pct]
        return out

    def last_poll(self, when: datetime) -> dict:
        supplies = []
        for idx, desc, kind, colour, _rate in self.supplies:
            level = self.state()[idx][0]
            supplies.append(Supply(idx, desc, "wasteToner" if kind == "waste" else kind, kind,
                                   "receptacle" if kind == "waste" else "consumed", "percent", colour,
                                   level, 100, level, None))
        result = PollResult(target=self.address, reachable=True, polled_at=iso(when), duration_ms=12, requests=2,
                            identity=Identity(name=f"PRN-{self.address}", model="Colour MFP" if self.colour
                                              else "Mono laser", serial=f"SN{self.id[:8].upper()}"),
                            device_status="running", printer_status="idle", page_count=self.count,
                            supplies=supplies)
        return evaluate(result).to_json()


def generate(data_dir: Path, printers: int, days: int, seed: int = 1) -> tuple[list[dict], datetime]:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first_day = (now - timedelta(days=days - 1)).date()
    raw_from = (now - timedelta(days=RAW_DAYS)).date()
    history_dir = data_dir / "history"
    history_dir.mkdir(parents=True, mode=0o700)
    records = []
    for n in range(printers):
        p = SimPrinter(rng, n)
        lines: list[bytes] = []
        meta_written = False
        d = first_day
        while d <= now.date():
            if d < raw_from:  # compacted: the day's last count and state
                p.advance(24, rng, d.weekday() < 5)
                line = {"t": iso(datetime(d.year, d.month, d.day, 17, tzinfo=UTC)), "c": p.count}
                if not meta_written:
                    line["m"] = p.meta()
                    meta_written = True
                line["s"] = p.state()
                lines.append(json.dumps(line, separators=(",", ":")).encode())
            else:  # the raw window: one sample an hour
                last_state = None
                for hour in range(24):
                    t = datetime(d.year, d.month, d.day, hour, tzinfo=UTC)
                    if t > now:
                        break
                    p.advance(1, rng, d.weekday() < 5 and 8 <= hour < 18)
                    line = {"t": iso(t), "c": p.count}
                    if not meta_written:
                        line["m"] = p.meta()
                        meta_written = True
                    state = p.state()
                    if state != last_state:  # changed, or the first line of the day
                        line["s"] = state
                        last_state = state
                    lines.append(json.dumps(line, separators=(",", ":")).encode())
            d += timedelta(days=1)
        (history_dir / f"{p.id}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        last_poll = PollResult.from_json(p.last_poll(now))
        record = Printer.new(p.address, location=LOCATIONS[n % len(LOCATIONS)], id=p.id,
                             name=f"PRN-{n:04d}", model="Colour MFP" if p.colour else "Mono laser",
                             serial=f"SN{p.id[:8].upper()}", last_poll=last_poll, status=last_poll.status,
                             last_poll_at=iso(now), last_good_poll_at=iso(now))
        records.append(record)
    store = Store(data_dir)
    store.transact(lambda rs: rs.extend(records), audit=None)
    History(data_dir).rebuild_index()
    return records, now


def du(path: Path) -> tuple[int, int]:
    total = files = 0
    for p in path.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
            files += 1
    return total, files


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it (default: a temp dir)")
    args = parser.parse_args()

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tt-reports-"))
    data_dir = base / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    try:
        started = time.perf_counter()
        records, now = generate(data_dir, args.printers, args.days)
        gen_s = time.perf_counter() - started
        size, files = du(data_dir / "history")
        index_size = (data_dir / "history" / "index.json").stat().st_size
        lines = sum(p.read_bytes().count(b"\n") for p in (data_dir / "history").glob("*.jsonl"))
        print(f"generated {args.printers} printers × {args.days} days of history in {gen_s:.1f} s")
        print(f"history on disk: {size / 1e6:.1f} MB in {files} files ({lines:,} sample lines, "
              f"{size / max(1, args.printers) / 1e3:.0f} KB per printer; index.json {index_size / 1e6:.2f} MB)")

        config = Config()
        store = Store(data_dir)

        def monthly():
            report = build_report("monthly", store.load(), History(data_dir), config, now=now)
            return report, report.csv_bytes()

        def supplies():
            report = build_report("supplies", store.load(), History(data_dir), config, now=now)
            return report, report.csv_bytes()

        for name, fn in (("monthly", monthly), ("supplies", supplies)):
            seconds, (report, data) = timed(fn)
            verdict = "OK" if seconds <= 2.0 else "OVER TARGET"
            print(f"{name:9} report: {seconds:.3f} s  ({len(report.rows):,} rows, {len(data) / 1e3:.0f} KB CSV)"
                  f"  target ≤ 2 s: {verdict}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
