"""`tonertrack printers list|show|add|edit|remove`: the inventory, headless."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

from ..core.address import AddressError, parse_address
from ..core.config import Config
from ..core.inventory import validate
from ..core.inventory.printer import DEFAULT_SITE, PROTOCOLS, Printer, masked_snmp
from ..core.inventory.store import Store, UnknownPrinter
from ..core.printer.model import PollResult
from ..core.printer.status import STATUSES
from ..core.printer.words import level_text, pages_text, supply_name
from ..core.util.textsafe import safe_text, terminal_json
from .common import UsageError, add_snmp_options, checked_snmp, handle_errors, open_inventory, snmp_overrides

HELP = "the printer inventory: list, show, add, edit, remove"
DESCRIPTION = """\
Manage the printer inventory (printers.json in the data directory) without the TUI.

A printer is identified by its address: an IP or host name, with :port when not 161.
Changes are saved atomically under a lock and written to printers_audit.log
(who, when, what; SNMP secrets masked).
"""
EPILOG = """\
exit status: 0 success, 1 the inventory cannot be read or saved, 2 usage error
(bad address, duplicate, unknown printer, empty name).
"""

def _key(printer: Printer) -> tuple[int, int, str, int]:
    """Sort order of the table: IPv4 numerically, then IPv6, then host names."""
    try:
        address = parse_address(printer.address)
    except AddressError:
        return (3, 0, printer.address, 0)
    try:
        ip = ipaddress.ip_address(address.host)
        return (0 if ip.version == 4 else 1, int(ip), "", address.port)
    except ValueError:
        return (2, 0, address.host, address.port)


def _find(store: Store, key: str) -> Printer:
    printer = store.get(key)
    if printer is None:
        raise UnknownPrinter(key)
    return printer


_checked_snmp = checked_snmp  # the add/edit bodies below call it by this name


def _add_invert_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--invert-receptacles", action=argparse.BooleanOptionalAction, default=None,
                   help="the device counts its waste boxes the other way round (its level is how full the "
                        "box is, not the space left that RFC 3805 defines)")


def _text_arg(value: str | None, field: str, *, required: bool = False) -> str | None:
    """--name / --location / --notes checked by the rules every surface uses (None: not given)."""
    return None if value is None else validate.clean_text(field, value, required=required)


def _address_arg(text: str, port: int | None, printers: list[Printer], exclude_id: str | None = None) -> str:
    """A new address: valid, not already in the inventory; a warning when it resolves to one that is."""
    problem = validate.check_port(port)
    if problem:
        raise UsageError(problem)
    address = validate.clean_address(text, default_port=port or 161)
    other = validate.find_duplicate(address, printers, exclude_id)
    if other is not None:
        raise UsageError(validate.duplicate_message(address, other))
    for warning in validate.same_printer_warnings(address, printers, exclude_id=exclude_id):
        print(f"tonertrack: warning: {safe_text(warning, limit=None)}", file=sys.stderr)
    return address


# ---------------------------------------------------------------- list / show


def public_record(printer: Printer, *, with_last_poll: bool = False) -> dict[str, Any]:
    """What list/show print: every field, SNMP secrets masked, plus the last page count."""
    out = printer.masked_json(with_last_poll=with_last_poll)
    out["page_count"] = printer.last_poll.page_count if printer.last_poll is not None else None
    out["counters"] = printer.last_poll.counters.to_json() if printer.last_poll is not None else None
    return out


def _short_time(iso: str | None) -> str:
    if not iso:
        return "never"
    return iso.replace("T", " ")[:16] + ("Z" if iso.endswith("Z") else "")


def format_table(printers: list[Printer]) -> str:
    headers = ("ADDRESS", "NAME", "LOCATION", "STATUS", "LAST POLL")
    rows = []
    for p in printers:
        status = p.status
        if p.stale and status != "Offline":
            status += " (stale)"
        rows.append((
            safe_text(p.address, limit=60),
            safe_text(p.name, limit=40) or "-",
            safe_text(p.location, limit=30) or "-",
            status,
            _short_time(p.last_poll_at),
        ))
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return "\n".join(lines)


@handle_errors
def run_list(args: argparse.Namespace) -> int:
    _, store = open_inventory(args)
    printers = store.find(args.search, status=args.status, location=args.location)
    printers.sort(key=_key)
    if args.json:
        print(terminal_json([public_record(p) for p in printers], indent=2))
    elif printers:
        print(format_table(printers))
    elif not args.search and args.status is None and args.location is None:
        print("No printers yet: add one with `tonertrack printers add ADDRESS` or `tonertrack import FILE`.",
              file=sys.stderr)
    return 0


def format_details(printer: Printer) -> str:
    snmp = masked_snmp(printer.snmp)
    poll = printer.last_poll or PollResult(target=printer.address)
    fields = [
        ("Address", printer.address),
        ("Name", (printer.name or "-") + ("  (set by you)" if printer.user_overridden else "")),
        ("Location", printer.location or "-"),
        ("Status", printer.status + ("  (stale: last poll failed)" if printer.stale else "")),
        ("Model", printer.model or "-"),
        ("Serial", printer.serial or "-"),
        ("Page count", pages_text(poll.page_count, poll.counters) if poll.page_count is not None else "-"),
        ("Protocol", printer.protocol_text()),
        ("Site", printer.site),
        ("SNMP", ", ".join(f"{k}={v}" for k, v in snmp.items()) or "defaults from the config"),
        ("Last poll", _short_time(printer.last_poll_at)),
        ("Last good poll", _short_time(printer.last_good_poll_at)),
        ("Failures in a row", printer.consecutive_failures),
        ("Added", _short_time(printer.added_at)),
        ("Id", printer.id),
    ]
    if printer.source is not None:
        fields.append(("Sync source", f"{printer.source.name} / {printer.source.queue}"))
    if printer.notes:
        fields.append(("Notes", printer.notes))
    lines = [f"{label + ':':<19}{safe_text(value)}" for label, value in fields]
    for reason in poll.reasons:
        lines.append(f"{'Reason:':<19}{safe_text(reason)}")
    if poll.supplies:
        lines.append("Supplies:")
        for s in poll.supplies:  # the names and level words of every other surface (core/printer/words.py)
            name = safe_text(supply_name(s, poll.supplies), limit=40)
            lines.append(f"  {name:<40} {level_text(s):>16}  {s.severity or ''}")
    return "\n".join(lines)


@handle_errors
def run_show(args: argparse.Namespace) -> int:
    _, store = open_inventory(args)
    printer = _find(store, args.address)
    if args.json:
        print(terminal_json(public_record(printer, with_last_poll=True), indent=2))
    else:
        print(format_details(printer))
    return 0


# ---------------------------------------------------------------- add / edit / remove


def _poll_now(config: Config, store: Store, printer: Printer) -> PollResult:
    """Poll the new printer once through the fleet poller (saves the result and history)."""
    import asyncio

    from ..core.polling.fleet import FleetPoller

    poller = FleetPoller(store, config)

    async def go() -> PollResult:
        try:
            return await poller.poll_printer(printer)
        finally:
            poller.close()

    return asyncio.run(go())


@handle_errors
def run_add(args: argparse.Namespace) -> int:
    config, store = open_inventory(args)
    name = _text_arg(args.name, "name", required=True) or ""
    location = _text_arg(args.location, "location") or ""
    notes = _text_arg(args.notes, "notes") or ""
    own = _checked_snmp(snmp_overrides(args), config)
    address = _address_arg(args.address, args.port, store.load())
    site = _text_arg(args.site, "site", required=True) or DEFAULT_SITE
    printer = Printer.new(address, name=name, location=location, snmp=own, notes=notes,
                          protocol=args.protocol or "snmp", site=site)
    if args.invert_receptacles:
        printer.invert_receptacles = True
    store.add(printer)
    print(f"Added {address}" + (f" ({safe_text(name)})" if name else " (named by its sysName at the first good poll)"))
    if args.poll:
        result = _poll_now(config, store, printer)
        reasons = "; ".join(safe_text(r) for r in result.reasons)
        print(f"Polled {address}: {result.status}" + (f" — {reasons}" if reasons else ""))
    return 0


@handle_errors
def run_edit(args: argparse.Namespace) -> int:
    config, store = open_inventory(args)
    current = _find(store, args.address)
    fields: dict[str, Any] = {}
    name = _text_arg(args.name, "name", required=True)
    if args.auto_name:
        if name is not None:
            raise UsageError("--name and --auto-name contradict each other")
        fields.update(name="", user_overridden=False)
    elif name is not None and (name != current.name or not current.user_overridden):
        fields.update(name=name, user_overridden=True)
    location = _text_arg(args.location, "location")
    if location is not None:
        fields.update(location=location, location_user_set=bool(location))
    notes = _text_arg(args.notes, "notes")
    if notes is not None:
        fields["notes"] = notes
    if args.new_address is not None:
        fields["address"] = _address_arg(args.new_address, args.port, store.load(), exclude_id=current.id)
    if args.invert_receptacles is not None:
        fields["invert_receptacles"] = args.invert_receptacles
    if args.protocol is not None:
        fields["protocol"] = args.protocol
    site = _text_arg(args.site, "site", required=True)
    if site is not None:
        fields["site"] = site
    if args.clear_ipp_pin:
        fields["ipp_pin"] = None
    overrides = snmp_overrides(args)
    if args.reset_snmp or overrides:
        own = {} if args.reset_snmp else dict(current.snmp)
        own.update(overrides)
        fields["snmp"] = _checked_snmp(own, config)
    if not fields:
        if name is not None:  # the name it already has
            print(f"{current.address}: nothing changed")
            return 0
        raise UsageError("nothing to change: give --name, --location, --address, --notes, --protocol, "
                         "--[no-]invert-receptacles or SNMP options")
    updated = store.update(current.id, **fields)
    changed = sorted(k for k in fields if getattr(current, k) != getattr(updated, k))
    if not changed:
        print(f"{updated.address}: nothing changed")
    else:
        shown = ", ".join("SNMP settings" if k == "snmp" else k.replace("_", " ") for k in changed)
        print(f"Updated {updated.address}: {shown}")
    return 0


@handle_errors
def run_remove(args: argparse.Namespace) -> int:
    _, store = open_inventory(args)
    printer = _find(store, args.address)
    label = printer.address + (f" ({safe_text(printer.name)})" if printer.name else "")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not removing {printer.address} without --yes (standard input is not a terminal)")
        try:
            answer = input(f"Remove {label} from the inventory? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Not removed.")
            return 0
    store.remove(printer.id)
    print(f"Removed {label}")
    return 0


# ---------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = sub.add_parser("printers", help=HELP, description=DESCRIPTION, epilog=EPILOG, formatter_class=fmt)
    actions = parser.add_subparsers(dest="printers_command", metavar="ACTION", required=True,
                                    parser_class=type(parser))

    p = actions.add_parser("list", help="list the printers", formatter_class=fmt,
                           description="List the printers as an aligned table, or as JSON with --json "
                                       "(every field, SNMP secrets masked).")
    p.add_argument("search", nargs="?", metavar="TEXT",
                   help="only printers whose address, name, location, model or serial contains TEXT")
    p.add_argument("--status", choices=STATUSES, help="only printers with this status")
    p.add_argument("--location", metavar="L", help="only printers in this location")
    p.add_argument("--json", action="store_true", help="print a JSON array of printer records")
    p.set_defaults(func=run_list)

    p = actions.add_parser("show", help="show one printer", formatter_class=fmt,
                           description="Show one printer: settings, status, supplies of its last good poll.")
    p.add_argument("address", metavar="ADDRESS", help="the printer's address (or id)")
    p.add_argument("--json", action="store_true", help="print the record as JSON (SNMP secrets masked)")
    p.set_defaults(func=run_show)

    p = actions.add_parser("add", help="add a printer", formatter_class=fmt,
                           description="Add a printer. Without --name it takes its sysName at the first "
                                       "good poll. SNMP options not given follow the config's [snmp] defaults. "
                                       "It is not polled unless --poll is given.")
    p.add_argument("address", metavar="ADDRESS",
                   help="IP or host name, with :port when not 161; or an ipp:// / ipps:// URI")
    p.add_argument("--name", metavar="N", help="a name of your choice (kept over sysName and print-server sync)")
    p.add_argument("--protocol", choices=PROTOCOLS,
                   help="snmp (default), ipp (port 631 of the host), or auto: SNMP, and IPP when SNMP gets no answer")
    p.add_argument("--site", metavar="NAME", help="the site whose daemons poll it (default: default)")
    p.add_argument("--location", metavar="L", help="location / group (kept over print-server sync)")
    p.add_argument("--notes", metavar="TEXT", help="free text")
    p.add_argument("--poll", action="store_true", help="poll it once right away")
    _add_invert_option(p)
    add_snmp_options(p)
    p.set_defaults(func=run_add)

    p = actions.add_parser("edit", help="change a printer", formatter_class=fmt,
                           description="Change a printer's name, location, address or SNMP settings. "
                                       "A name given here is kept: sysName and sync never change it again "
                                       "(--auto-name undoes that).")
    p.add_argument("address", metavar="ADDRESS", help="the printer's current address (or id)")
    p.add_argument("--name", metavar="N", help="new name (not empty)")
    p.add_argument("--auto-name", action="store_true", help="forget the name you gave: take sysName at the next poll")
    p.add_argument("--location", metavar="L", help="new location (\"\" clears it)")
    p.add_argument("--address", dest="new_address", metavar="NEW", help="new address (e.g. the queue moved)")
    p.add_argument("--notes", metavar="TEXT", help="free text (\"\" clears it)")
    p.add_argument("--reset-snmp", action="store_true", help="drop the printer's own SNMP settings: use the config's")
    p.add_argument("--protocol", choices=PROTOCOLS, help="snmp, ipp or auto (SNMP, then IPP when SNMP gets no answer)")
    p.add_argument("--site", metavar="NAME", help="move it to another site (its daemons poll it)")
    p.add_argument("--clear-ipp-pin", action="store_true",
                   help="forget the pinned ipps certificate (after the printer's certificate was replaced)")
    _add_invert_option(p)
    add_snmp_options(p)
    p.set_defaults(func=run_edit)

    p = actions.add_parser("remove", help="remove a printer", formatter_class=fmt,
                           description="Remove a printer from the inventory (its history stays). Asks for "
                                       "confirmation on a terminal; elsewhere --yes is required.")
    p.add_argument("address", metavar="ADDRESS", help="the printer's address (or id)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    p.set_defaults(func=run_remove)

