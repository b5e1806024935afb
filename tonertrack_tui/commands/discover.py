"""`tonertrack discover RANGE [SNMP options] [--add] [--yes] [--json]`: find SNMP printers."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable

from ..core.polling.discover import (
    CONFIRM_ABOVE,
    IPP_PORT,
    MAX_RANGE,
    DiscoverResult,
    Found,
    RangeError,
    add_found,
    discover,
    expand_range,
    range_size,
)
from ..core.snmp.client import SnmpClient
from ..core.util.textsafe import safe_text, terminal_json
from .common import (
    UsageError,
    add_snmp_options,
    checked_snmp,
    handle_errors,
    open_inventory,
    snmp_overrides,
    snmp_settings_from_args,
)

HELP = "find printers (SNMP, or IPP on TCP 631) on a network range"
DESCRIPTION = f"""\
Probe every address of RANGE with SNMP and list the printers: devices that answer
and have a printer in their hrDeviceTable or supplies in the Printer-MIB. Shows
address, sysName, model, serial and whether the printer is already in the
inventory. Nothing is changed unless --add is given. An address that does not
answer SNMP but answers IPP on TCP 631 (--ipp-port) at /ipp/print is listed as
ipp://host/ipp/print and added as an IPP printer.

RANGE is a CIDR (10.1.2.0/24: network and broadcast addresses skipped) or
first-last (10.1.2.1-10.1.2.254, or 10.1.2.1-254). A range of more than
{CONFIRM_ABOVE:,} addresses needs --yes; at most {MAX_RANGE:,} at once.

Probes run concurrently (polling.concurrency of the config, or --concurrency);
each costs 1-2 small requests, and a silent address one timeout window
(--timeout x (--retries + 1)). SNMP options default to the config's [snmp].
Devices that only speak SNMPv1 are found with --snmp-version 1.
"""
EPILOG = """\
exit status: 0 done (whether or not printers were found), 1 the inventory cannot
be read or saved, 2 usage error (bad range, too large without --yes).
"""


def format_found(found: Iterable[Found], *, show_all: bool = False) -> str:
    rows = []
    for f in found:
        if not f.printer and not show_all:
            continue
        rows.append((
            safe_text(f.address, limit=45),
            safe_text(f.name, limit=28) or "-",
            safe_text(f.model if f.printer else f.why, limit=36) or "-",
            safe_text(f.serial, limit=20) or "-",
            ("yes" if f.in_inventory else "no") if f.printer else "not a printer",
        ))
    headers = ("ADDRESS", "SYSNAME", "MODEL", "SERIAL", "IN INVENTORY")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(headers, widths, strict=False)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    return "\n".join(lines)


@handle_errors
def run_discover(args: argparse.Namespace) -> int:
    config, store = open_inventory(args)
    try:
        size = range_size(args.range)
        if size > CONFIRM_ABOVE and not args.yes:
            raise UsageError(f"{args.range} covers {size:,} addresses (more than {CONFIRM_ABOVE:,}): "
                             f"give --yes to scan them all")
        addresses = expand_range(args.range)
    except RangeError as exc:
        raise UsageError(str(exc)) from None
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError(f"port {args.port} out of range 1–65535")
    if not 0 <= args.ipp_port <= 65535:
        raise UsageError(f"--ipp-port {args.ipp_port} out of range 0–65535")
    if args.concurrency is not None and not 1 <= args.concurrency <= 1024:
        raise UsageError("--concurrency must be between 1 and 1024")
    settings = snmp_settings_from_args(args, config.default_snmp())
    known = {p.address for p in store.load()}
    concurrency = args.concurrency or config.polling.concurrency
    tty = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int, found: Found | None) -> None:
        if tty and (done == total or done % 16 == 0):
            print(f"\rprobed {done}/{total}", end="", file=sys.stderr, flush=True)

    async def go() -> DiscoverResult:
        client = SnmpClient()
        try:
            return await discover(client, addresses, settings, port=args.port or 161, concurrency=concurrency,
                                  known=known, progress=progress, ipp_port=args.ipp_port or None)
        finally:
            client.close()

    result = asyncio.run(go())
    if tty:
        print("\r" + " " * 30 + "\r", end="", file=sys.stderr)
    printers = result.printers
    new = [f for f in printers if not f.in_inventory]
    added = []
    if args.add and new:
        own = checked_snmp(snmp_overrides(args), config)  # the port is part of each address
        added = add_found(store, new, own)
    if args.json:
        shown = result.found if args.all else printers
        print(terminal_json({
            "range": args.range, "scanned": result.scanned, "answered": len(result.found),
            "printers": len(printers), "seconds": round(result.seconds, 2),
            "found": [f.to_json() for f in shown], "added": [p.address for p in added],
        }, indent=2))
        return 0
    if printers or args.all and result.found:
        print(format_found(result.found, show_all=args.all))
    print(f"{result.scanned} addresses probed in {result.seconds:.1f} s: {len(result.found)} answered SNMP or IPP, "
          f"{len(printers)} printers, {len(new)} not in the inventory.")
    if added:
        print(f"Added {len(added)} printers: {', '.join(p.address for p in added)}")
    elif new and not args.add:
        print("Add them with --add.")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("discover", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("range", metavar="RANGE", help="CIDR (10.1.2.0/24) or first-last (10.1.2.1-10.1.2.254)")
    p.add_argument("--add", action="store_true", help="add the printers not yet in the inventory")
    p.add_argument("--yes", "-y", action="store_true", help=f"scan a range of more than {CONFIRM_ABOVE:,} addresses")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--all", action="store_true", help="also list devices that answer but are not printers")
    p.add_argument("--concurrency", type=int, metavar="N", help="probes at a time (default: polling.concurrency)")
    p.add_argument("--ipp-port", type=int, default=IPP_PORT, metavar="N",
                   help=f"also ask IPP on this TCP port, for printers without SNMP (default {IPP_PORT}; 0: SNMP only)")
    add_snmp_options(p)
    p.set_defaults(func=run_discover)


__all__ = ["register", "format_found"]
