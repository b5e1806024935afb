"""`tonertrack poll TARGET...`: poll printers ad hoc and change nothing on disk."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..core.address import AddressError, parse_address
from ..core.polling.poller import poll_targets, run_with_client
from ..core.printer.model import PollResult
from ..core.util.textsafe import terminal_json
from .common import UsageError, add_snmp_options, snmp_settings_from_args

HELP = "poll printers now and print what they need"
DESCRIPTION = """\
Poll each TARGET over SNMP and print its status, the reasons for it, supplies,
trays and alerts. Targets are polled concurrently; nothing is written to disk.

TARGET is a host name or IP address, with :PORT when the agent is not on port 161
("[::1]:1161" for IPv6). With --all, poll the whole inventory instead (and save).
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("poll", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", nargs="*", metavar="TARGET", help="printer address (host or host:port)")
    p.add_argument("--all", action="store_true", help="poll every printer of the inventory and save the results")
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per target")
    p.add_argument("--fail-on", choices=["warning", "error"],
                   help="exit 1 when a printer is at this status or worse (Offline counts as error)")
    p.add_argument("--concurrency", type=int, metavar="N", help="printers polled at once (default 64)")
    add_snmp_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.all:
        if args.targets:
            raise UsageError("give TARGETs or --all, not both")
        from .poll_all import run_all

        return run_all(args)
    if not args.targets:
        raise UsageError("poll needs at least one TARGET (or --all)")
    port = args.port if args.port is not None else 161
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port} out of range 1–65535")
    targets = []
    for text in args.targets:
        try:
            parse_address(text, default_port=port)
        except AddressError as exc:
            raise UsageError(str(exc)) from None
        targets.append(text)
    settings = snmp_settings_from_args(args)
    concurrency = args.concurrency or 64
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")

    async def go(client):
        return await poll_targets(client, [(t, settings) for t in targets], concurrency=concurrency,
                                  default_port=port)

    results = asyncio.run(run_with_client(go))
    print_results(results, as_json=args.json)
    return exit_code(results, args.fail_on)


def exit_code(results: list[PollResult], fail_on: str | None) -> int:
    if not fail_on:
        return 0
    bad = {"error": {"Error", "Offline"}, "warning": {"Error", "Offline", "Warning"}}[fail_on]
    return 1 if any(r.status in bad or not r.reachable for r in results) else 0


def print_results(results: list[PollResult], *, as_json: bool, out=None) -> None:
    out = out or sys.stdout
    if as_json:
        out.write(terminal_json([r.to_json() for r in results], indent=2))
        out.write("\n")
        return
    from .render import render_result

    out.write("\n\n".join(render_result(r) for r in results))
    out.write("\n")
