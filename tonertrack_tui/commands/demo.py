"""`tonertrack demo`: the monitor on a simulated office fleet, in a throwaway data dir."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.role import FULL

if TYPE_CHECKING:
    from ..demo import DemoFleet

HELP = "open the monitor on a simulated printer fleet (snmpsim on 127.0.0.1)"
DESCRIPTION = """\
Start 13 simulated printers (snmpsim on 127.0.0.1: colour MFPs, a mono laser running
out of toner, a jam, an open door, a nearly full waste box, an SNMPv3 printer …) plus
one that never answers, put them in a throwaway data dir, and open the monitor on
them. Their levels and page counters move while the demo runs. Nothing of yours is
read or written; everything is removed on exit.

Needs the demo extra: pip install 'tonertrack-tui[demo]' (`make demo` does it).
"""
MISSING_SIMULATOR = ("tonertrack demo: the simulator (snmpsim) is not installed: "
                     "pip install 'tonertrack-tui[demo]' (or run `make demo`)")

DEMO_CONFIG = """\
# tonertrack demo: poll often so the simulated levels visibly move
[polling]
interval_s = 30
timeout_s = 1.0
retries = 1
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--print", dest="print_only", action="store_true",
                   help="poll the demo fleet once, print the result and exit (no TUI)")
    p.add_argument("--keep", metavar="DIR",
                   help="write the demo's config.toml and data/ (inventory, history) into DIR and keep them "
                        "afterwards (DIR is created when missing; a second run reuses it)")
    p.add_argument("--no-mouse", action="store_true", default=argparse.SUPPRESS,
                   help="leave mouse tracking off (for SSH); same as `tonertrack --no-mouse demo`")
    p.set_defaults(func=run)


def prepare(data_root: Path, fleet: DemoFleet) -> tuple[Path, Path]:
    """Write the demo config and inventory; returns (config file, data dir)."""
    from ..core.inventory.printer import Printer
    from ..core.inventory.store import Store

    config_file = data_root / "config.toml"
    data_dir = data_root / "data"
    data_root.mkdir(parents=True, exist_ok=True)
    config_file.write_text(DEMO_CONFIG, encoding="utf-8")
    store = Store(data_dir)
    existing = {p.address for p in store.load()}

    def add_all(printers: list[Printer]) -> None:
        for simulated, address in fleet.entries():
            if address in existing:
                continue
            snmp = simulated.snmp_settings().to_json()
            snmp.pop("timeout"), snmp.pop("retries")
            printers.append(Printer.new(address, location=simulated.location, snmp=snmp))

    store.transact(add_all, audit="import")
    return config_file, data_dir


def run(args: argparse.Namespace) -> int:
    try:
        from ..demo import DemoFleet
        from ..demo.simulator import SimFleetError
    except ImportError:  # pragma: no cover - the venv of `make demo` has it
        print(MISSING_SIMULATOR, file=sys.stderr)
        return 1
    if shutil.which("snmpsim-command-responder") is None and not _responder_beside_python():
        print(MISSING_SIMULATOR, file=sys.stderr)
        return 1
    if not args.print_only and not sys.stdout.isatty():
        print("tonertrack demo: the monitor needs a terminal (use --print for a one-off poll)", file=sys.stderr)
        return 2
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tonertrack-demo-"))
    try:
        fleet = DemoFleet(die_with_parent=True)
        try:
            fleet.start()
        except SimFleetError as exc:
            print(f"tonertrack demo: could not start the simulated fleet: {exc}", file=sys.stderr)
            return 1
        try:
            config_file, data_dir = prepare(root, fleet)
            if args.print_only:
                return _print_once(config_file, data_dir)
            from ..app import create_app

            app = create_app(str(config_file), str(data_dir), role=getattr(args, "role", FULL))
            app.run(mouse=not args.no_mouse)
            return app.return_code or 0
        finally:
            fleet.stop()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def _responder_beside_python() -> bool:
    return (Path(sys.executable).parent / "snmpsim-command-responder").exists()


def _print_once(config_file: Path, data_dir: Path) -> int:
    from .poll import run_all

    args = argparse.Namespace(config=str(config_file), data_dir=str(data_dir), json=False, fail_on=None,
                              concurrency=None, targets=[], all=True, verbose=True, timeout=None, retries=None)
    return run_all(args)
