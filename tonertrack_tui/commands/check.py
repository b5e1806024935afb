"""`tonertrack check TARGET`: a Nagios / Icinga plugin for one printer.

Output and exit codes follow the Monitoring Plugins development guidelines: one line
"TONERTRACK <STATE> - <text> | <perfdata>", exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

Decisions, as the guidelines ask:
* Printer status Warning → WARNING, Error → CRITICAL.
* No reply (timeout) or an unresolvable name → CRITICAL: the guidelines reserve UNKNOWN
  for failures of the plugin itself and say timeouts and name resolution errors are not
  UNKNOWN. (A host check in Icinga usually tells "host down" apart anyway.)
* A device that answers but is no printer, bad arguments or an unreadable config → UNKNOWN.
* Perfdata: one `'label'=NN%;W;C;0;100` per supply, in range syntax: a consumable
  alerts below the threshold (`20:`), a receptacle is given as "% full" and alerts
  above it (`80`). A level that is a state (some left, level unknown) is `U`. Then
  `pages=NNNc`. Labels are words.supply_name (the name every surface shows), without
  `'`, `=` or `|`, and unique.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..core.address import AddressError, parse_address
from ..core.config import ConfigError
from ..core.polling.poller import poll_targets, run_with_client
from ..core.printer.model import PollResult, Supply
from ..core.printer.status import Thresholds
from ..core.printer.words import supply_name
from ..core.snmp.client import SnmpClient
from ..core.util.textsafe import safe_text
from .common import UsageError, add_snmp_options, config_from_args, target_settings

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATE_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
STATUS_EXIT = {"OK": OK, "Warning": WARNING, "Error": CRITICAL, "Offline": CRITICAL, "Unknown": UNKNOWN}

HELP = "Nagios/Icinga plugin: check one printer"
DESCRIPTION = """\
Poll TARGET once and print one line for Nagios, Icinga, Naemon or Checkmk:
"TONERTRACK OK - ... | perfdata", with perfdata for every supply.

Exit status (plugin guidelines): 0 OK, 1 WARNING (printer status Warning),
2 CRITICAL (status Error, or no reply / name not resolvable), 3 UNKNOWN (the
device is not a printer, bad arguments, unreadable config).

Thresholds default to the config's [thresholds] (20 % / 10 %, per supply kind);
--warning and --critical override them for every supply. A TARGET that is in the
inventory is polled with its saved SNMP settings (community, SNMPv3 keys).

Perfdata labels are the supply names every other view uses ("Black toner", or the
device's own text where it carries a part number: "Black Cartridge HP CF410A").
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="TARGET", help="printer address (host or host:port)")
    p.add_argument("--warning", "-w", type=int, metavar="PCT", help="WARNING below PCT %% remaining")
    p.add_argument("--critical", "-c", type=int, metavar="PCT", help="CRITICAL below PCT %% remaining")
    add_snmp_options(p)
    # The guidelines want UNKNOWN (3) for bad arguments, not argparse's 2.
    p.error = lambda message: p.exit(UNKNOWN, f"TONERTRACK UNKNOWN - {message}\n")  # type: ignore[method-assign]
    p.set_defaults(func=run)


def _unknown(message: str) -> int:
    print(f"TONERTRACK UNKNOWN - {plain(message)}")
    return UNKNOWN


def run(args: argparse.Namespace) -> int:
    port = args.port if args.port is not None else 161
    for name in ("warning", "critical"):
        value = getattr(args, name)
        if value is not None and not 0 <= value <= 100:
            return _unknown(f"--{name} must be between 0 and 100")
    if not 1 <= port <= 65535:
        return _unknown(f"--port {port} out of range 1-65535")
    try:
        parse_address(args.target, default_port=port)
        _, config = config_from_args(args)
        [settings] = target_settings(args, [args.target], port, config)
    except (AddressError, ConfigError, UsageError) as exc:
        return _unknown(str(exc))
    thresholds = check_thresholds(config.base_thresholds(), args.warning, args.critical)
    if thresholds.error_pct > thresholds.warning_pct:
        return _unknown(f"--critical {thresholds.error_pct} is above --warning {thresholds.warning_pct}")

    async def go(client: SnmpClient) -> list[PollResult]:
        return await poll_targets(client, [(args.target, settings)], thresholds=thresholds, default_port=port)

    result = asyncio.run(run_with_client(go))[0]
    line, code = check_line(result, thresholds)
    sys.stdout.write(line + "\n")
    return code


def check_thresholds(base: Thresholds, warning: int | None, critical: int | None) -> Thresholds:
    """The config's thresholds, with --warning/--critical replacing them for every kind."""
    kinds = {k: (None if warning is not None else w, None if critical is not None else e)
             for k, (w, e) in base.kinds.items()}
    return Thresholds(base.warning_pct if warning is None else warning,
                      base.error_pct if critical is None else critical, kinds)


def plain(text: object) -> str:
    """Plugin output text: one line, no '|' (it starts the perfdata)."""
    return safe_text(text, limit=300).replace("|", "/")


def perf_label(text: str) -> str:
    """A perfdata label: printable, without the ' = | characters the format reserves."""
    out = safe_text(text, limit=60)
    for ch in "'=|":
        out = out.replace(ch, "_" if ch != "'" else "")
    return out.strip() or "supply"


def perfdata(result: PollResult, thresholds: Thresholds) -> list[str]:
    items = []
    seen: set[str] = set()
    for supply in result.supplies:
        name = perf_label(supply_name(supply, result.supplies))
        if supply.is_receptacle:
            name = f"{name} full"
        if name in seen:
            name = f"{name} {perf_label(supply.index)}"
        seen.add(name)
        items.append(_supply_perf(name, supply, thresholds))
    if isinstance(result.page_count, int) and result.page_count >= 0:
        items.append(f"pages={result.page_count}c")
    for kind, count in (("mono", result.counters.mono), ("color", result.counters.color)):
        if isinstance(count, int) and count >= 0:
            items.append(f"pages_{kind}={count}c")
    return items


def _supply_perf(name: str, supply: Supply, thresholds: Thresholds) -> str:
    warning, error = thresholds.for_kind(supply.kind)
    if supply.remaining_pct is None:
        return f"'{name}'=U"
    if supply.is_receptacle:  # "% full": alert above 100 - threshold
        return f"'{name}'={supply.full_pct}%;{100 - warning};{100 - error};0;100"
    return f"'{name}'={supply.remaining_pct}%;{warning}:;{error}:;0;100"


def check_line(result: PollResult, thresholds: Thresholds) -> tuple[str, int]:
    """(the plugin's output line, its exit code) for one poll."""
    target = plain(result.target)
    if not result.reachable:
        reason = "; ".join(plain(r) for r in result.reasons) or "no reply"
        return f"TONERTRACK CRITICAL - {target}: {reason}", CRITICAL
    name = plain(result.identity.name or "")
    who = f"{name} ({target})" if name else target
    code = STATUS_EXIT.get(result.status, UNKNOWN)
    if result.reasons:
        text = ", ".join(plain(r) for r in result.reasons[:6])
        if len(result.reasons) > 6:
            text += f" and {len(result.reasons) - 6} more"
    else:
        known = sum(1 for s in result.supplies if s.severity == "ok")
        text = f"{known} supplies ok" if result.supplies else "no supplies reported"
    perf = perfdata(result, thresholds)
    line = f"TONERTRACK {STATE_NAMES[code]} - {who}: {text}"
    if perf:
        line += " | " + " ".join(perf)
    return line, code
