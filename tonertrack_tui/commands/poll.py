"""`tonertrack poll TARGET...` (ad hoc, changes nothing on disk) and `tonertrack poll --all`
(the inventory: saves the results and the history)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from ..core.address import AddressError, parse_address
from ..core.config import Config, ConfigError
from ..core.inventory.store import Store, StoreError
from ..core.polling.fleet import FleetPollBusy, FleetPoller, FleetPollSummary
from ..core.polling.poller import poll_targets, run_with_client
from ..core.printer.model import PollResult
from ..core.printer.status import STATUS_RANK, worst_supply
from ..core.printer.words import supply_reason
from ..core.snmp.client import SnmpClient
from ..core.snmp.credentials import CredentialError, SnmpSettings
from ..core.util.textsafe import safe_text, terminal_json
from .common import UsageError, add_snmp_options, open_inventory, target_settings
from .render import render_result

HELP = "poll printers now and print what they need"
DESCRIPTION = """\
Poll each TARGET over SNMP and print its status, the reasons for it, supplies,
trays and alerts. Targets are polled concurrently; nothing is written to disk.
A TARGET that is in the inventory is polled with its saved SNMP settings
(community, SNMPv3 keys, timeout); options given here win over them.

TARGET is a host name or IP address, with :PORT when not on port 161
("[::1]:1161" for IPv6). With --all, poll the whole inventory instead (and save):
one line per printer, the full details with --verbose.
"""

# SNMP options that make sense for TARGETs only: with --all each printer keeps its own.
_TARGET_ONLY = ("port", "community", "community_file", "snmp_version", "v3_user", "v3_auth_proto",
                "v3_auth_key", "v3_priv_proto", "v3_priv_key")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("poll", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", nargs="*", metavar="TARGET", help="printer address (host or host:port)")
    p.add_argument("--all", action="store_true", help="poll every printer of the inventory and save the results")
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per target")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="with --all: supplies, trays and alerts of every printer (default: one line each)")
    p.add_argument("--fail-on", choices=["warning", "error"],
                   help="exit 1 when a printer is at this status or worse (Offline counts as error)")
    p.add_argument("--concurrency", type=int, metavar="N", help="printers polled at once (default 64)")
    add_snmp_options(p)
    p.epilog = (p.epilog or "") + """
with --all: --timeout and --retries replace the config's [polling] values for this run
(a printer's own timeout/retries, set with `printers edit`, still win); the other SNMP
options are refused (each printer keeps its saved settings).
"""
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.all:
        if args.targets:
            raise UsageError("give TARGETs or --all, not both")
        return run_all(args)
    if not args.targets:
        raise UsageError("poll needs at least one TARGET (or --all)")
    port = args.port if args.port is not None else 161
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port} out of range 1–65535")
    for text in args.targets:
        try:
            parse_address(text, default_port=port)
        except AddressError as exc:
            raise UsageError(str(exc)) from None
    settings = target_settings(args, list(args.targets), port)
    concurrency = args.concurrency or 64

    async def go(client: SnmpClient) -> list[PollResult]:
        return await poll_targets(client, list(zip(args.targets, settings, strict=True)),
                                  concurrency=concurrency, default_port=port)

    results = asyncio.run(run_with_client(go))
    print_results(results, as_json=args.json)
    return exit_code(results, args.fail_on)


def exit_code(results: Sequence[PollResult], fail_on: str | None) -> int:
    if not fail_on:
        return 0
    bad = {"error": {"Error", "Offline"}, "warning": {"Error", "Offline", "Warning"}}[fail_on]
    return 1 if any(r.status in bad or not r.reachable for r in results) else 0


def print_results(results: Sequence[PollResult], *, as_json: bool, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if as_json:
        # indented for a person at a terminal; one line for a pipe or file (jq, scripts): the same
        # data, and Python's C encoder only runs without indent (4x faster for 1,000 printers)
        indent = 2 if out.isatty() else None
        out.write(terminal_json([r.to_json() for r in results], indent=indent))
        out.write("\n")
        return
    out.write("\n\n".join(render_result(r) for r in results))
    out.write("\n")


# ---------------------------------------------------------------- --all


def _all_config(args: argparse.Namespace, config: Config) -> Config:
    """The config for this run: --concurrency, --timeout and --retries applied (checked)."""
    given = [f"--{name.replace('_', '-')}" for name in _TARGET_ONLY if getattr(args, name, None) is not None]
    if given:
        raise UsageError(f"{', '.join(given)}: for TARGETs only; with --all each printer is polled with "
                         "its saved settings (change them with `tonertrack printers edit`)")
    polling = config.polling
    if args.concurrency:
        polling = replace(polling, concurrency=args.concurrency)
    if args.timeout is not None or args.retries is not None:
        try:
            checked = SnmpSettings(
                timeout=polling.timeout_s if args.timeout is None else args.timeout,
                retries=polling.retries if args.retries is None else args.retries).validated()
        except CredentialError as exc:
            raise UsageError(str(exc)) from None
        polling = replace(polling, timeout_s=checked.timeout, retries=checked.retries)
    return replace(config, polling=polling)


def run_all(args: argparse.Namespace) -> int:
    try:
        config, store = open_inventory(args, warn=False)
        store.load()  # a corrupt printers.json stops here, named, before any polling
    except (ConfigError, StoreError) as exc:
        print(f"tonertrack: {exc}", file=sys.stderr)
        return 1
    config = _all_config(args, config)
    poller = FleetPoller(store, config)
    interactive = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int, address: str) -> None:
        if interactive:
            sys.stderr.write(f"\r{done}/{total} polled")
            sys.stderr.flush()

    async def go() -> FleetPollSummary:
        try:
            if poller.lock.is_held_elsewhere():
                print(f"tonertrack: {FleetPollBusy(poller.lock.holder())}; waiting for it to finish",
                      file=sys.stderr)
            return await poller.poll_all(progress=progress, wait=True, by="poll --all")
        finally:
            poller.close()

    try:
        summary = asyncio.run(go())
    except StoreError as exc:
        print(f"\ntonertrack: {exc}", file=sys.stderr)
        return 1
    if interactive:
        sys.stderr.write("\n")
    results = inventory_results(store, summary)
    if args.json:
        print_results(results, as_json=True)
    elif args.verbose:
        print_results(results, as_json=False)
        print()
    else:
        for line in compact_lines(results):
            print(line)
    if not args.json:
        print(summary_line(results, summary.duration_s))
    return exit_code(results, args.fail_on)


def inventory_results(store: Store, summary: FleetPollSummary) -> list[PollResult]:
    """The poll results in inventory order, each with the printer's address as target and,
    when it did not answer, the status the inventory now gives it (Offline only after
    `offline_after` failures in a row; until then it keeps its last status)."""
    printers = {p.id: p for p in store.load()}
    results = []
    for printer_id, result in summary.results:
        printer = printers.get(printer_id)
        if printer is not None:
            result.target = printer.address
            if not result.reachable:
                result.status = printer.status
        results.append(result)
    order = {p.address: i for i, p in enumerate(printers.values())}
    results.sort(key=lambda r: order.get(r.target, len(order)))
    return results


def status_counts(results: Sequence[PollResult]) -> str:
    """"3 Error, 1 Offline, 8 OK": the statuses the lines above show, worst first (one rule
    for the lines and the summary)."""
    counts = Counter(r.status for r in results)
    ranked = sorted(counts, key=lambda s: (STATUS_RANK.get(s, len(STATUS_RANK)), s))
    return ", ".join(f"{counts[s]} {s}" for s in ranked)


def summary_line(results: Sequence[PollResult], duration_s: float) -> str:
    n = len(results)
    return f"{n} printer{'s' if n != 1 else ''} polled in {duration_s:.1f} s ({status_counts(results)})"


def compact_lines(results: Sequence[PollResult]) -> list[str]:
    """One line per printer: status, address, name, and what needs attention (the first
    reasons, or the most urgent supply when there are none). `--verbose` prints everything."""
    if not results:
        return []
    width = max(len(safe_text(r.target, limit=40)) for r in results)
    lines = []
    for r in results:
        name = safe_text(r.identity.name or "", limit=30)
        if r.reasons:
            # each reason's headline: "Paper jam", not the device's own words after " — "
            what = "; ".join(safe_text(x.split(" — ", 1)[0], limit=60) for x in r.reasons[:3])
            if len(r.reasons) > 3:
                what += f" (+{len(r.reasons) - 3} more)"
        else:
            worst = worst_supply(r.supplies) if r.reachable else None
            what = safe_text(supply_reason(worst, r.supplies), limit=60) if worst is not None else ""
        parts = [f"{r.status:<8}", f"{safe_text(r.target, limit=40):<{width}}"]
        if name:
            parts.append(name)
        if what:
            parts.append(f"— {what}")
        lines.append("  ".join(parts).rstrip())
    return lines
