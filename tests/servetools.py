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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_pids(pid: int) -> list[int]:
    """The processes a process started (Linux /proc), e.g. the sessions of `tonertrack serve`."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Running (a zombie is not: it has exited, its parent just has not reaped it yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


class Served:
    """`tonertrack serve` in a subprocess over a seeded data dir; stop() ends it."""

    def __init__(self, root: Path, *extra: str, polled_at: datetime | None = None) -> None:
        import subprocess
        import sys

        self.config, self.data, self.ids = seed(root, polled_at=polled_at or recently(1))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tonertrack_tui", "--config", str(self.config), "--data-dir", str(self.data),
             "serve", "--port", str(self.port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        self.preamble = ""  # what it said before it listened (warnings)
        while not (line := self.process.stdout.readline()).startswith("tonertrack serve: http://"):
            assert line, f"tonertrack serve exited: {self.preamble}"
            self.preamble += line
        self.first_line = line  # printed once it listens

    @property
    def sessions(self) -> list[int]:
        return [pid for pid in child_pids(self.process.pid) if alive(pid)]

    def stop(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=60)
        return self.first_line + out
