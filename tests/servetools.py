"""A small stored fleet for read-only, viewer and browser tests: printers with a stored last poll,
no SNMP needed (those sessions never poll)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.printer.model import Identity, PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate

FLEET = (
    # address, name, location, black toner %
    ("10.9.0.1", "Reception", "Building 1", 90),
    ("10.9.0.2", "Accounts", "Building 2", 15),
    ("10.9.0.3", "Lab", "Building 1", 5),
    ("10.9.0.4", "Warehouse", "Building 3", 60),
)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def stored_poll(address: str, name: str, pct: int, polled_at: datetime) -> PollResult:
    return evaluate(PollResult(
        target=address, reachable=True, polled_at=iso(polled_at), duration_ms=5, requests=1,
        identity=Identity(name=name, model="LaserJet M404"), page_count=12345,
        supplies=[Supply("1.1", "Black Toner", "toner", "toner", "consumed", "percent", "black", pct, 100,
                         pct, None)]))


def seed(root: Path, *, polled_at: datetime, interval_s: int = 300) -> tuple[Path, Path, dict[str, str]]:
    """config.toml and data/ under root with FLEET stored as last polled at `polled_at`.
    Returns (config file, data dir, {name: printer id})."""
    config = root / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[polling]\ninterval_s = {interval_s}\ntimeout_s = 1\nretries = 0\n")
    store = Store(root / "data")
    ids = {}
    for address, name, location, pct in FLEET:
        record = store.add(Printer.new(address, name=name, location=location))
        store.record_poll([(record.id, stored_poll(address, name, pct, polled_at))])
        ids[name] = record.id
    return config, root / "data", ids


def snapshot_files(data_dir: Path) -> dict[str, bytes]:
    """Every file of the data dir (and below) by relative path, as bytes: to compare before/after."""
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


def recently(minutes: int = 1) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
