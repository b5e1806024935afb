"""`tonertrack sync [--source NAME] [--dry-run] [--yes] [--json]`: print-server sync."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from ..core.sync.plan import (
    CHANGE_KINDS,
    PlanChanged,
    SyncError,
    SyncPlan,
    apply_plan,
    plan_sync,
    read_sources,
    select_sources,
)
from ..core.util.textsafe import safe_text, terminal_json
from .common import handle_errors, open_inventory

HELP = "keep the inventory in step with print servers (Windows, CUPS, CSV)"
DESCRIPTION = """\
Read the print-server sources of the config ([[sync.sources]]: windows-export,
windows-rpc, cups, csv), print the plan, then apply it in one transaction.

merge rules:
  - a new address is added, named after its queue, with the source's location;
  - a known address takes the queue's name unless you named the printer yourself,
    and the source's location unless you set the location yourself;
  - the same queue of the same source at a new address moves (id and history kept);
  - a printer the source no longer lists is flagged "not on server", never deleted;
  - several queues for one address: the first is used, the others are reported.
Every change is one line in printers_audit.log (action "sync", naming the source).

A source that cannot be read (missing file, unreachable server, failing lpstat or
rpcclient) is reported and its printers are left exactly as they are; the other
sources are still synced.

confirmation: on a terminal sync asks before applying unless --yes. When standard
input is not a terminal (cron, a systemd timer) it applies without asking: that is
what an unattended sync is for. Use --dry-run to only look.
"""
EPILOG = """\
exit status: 0 synced (or nothing to do), 1 a source could not be read, the
inventory changed meanwhile, or it cannot be saved; 2 usage error.
"""

COUNT_COLUMNS = ("add", "rename", "move", "relocate", "flag", "unchanged", "problems")


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]],
           right: AbstractSet[int] = frozenset()) -> list[str]:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs).rstrip()

    return [fmt(headers)] + [fmt(r) for r in rows]


def format_plan(plan: SyncPlan) -> str:
    """The plan for people: counts, one line per change, then the problems (texts made safe)."""
    counts = plan.counts()
    lines = [f"Sync plan for {', '.join(safe_text(s, limit=40) for s in plan.sources) or 'no source'}:"]
    lines += ["  " + line for line in _table(
        tuple(c.upper() for c in COUNT_COLUMNS), [tuple(str(counts[c]) for c in COUNT_COLUMNS)],
        right=set(range(len(COUNT_COLUMNS))))]
    if plan.changes:
        lines.append("")
        rows = [(
            "+".join(c.kinds),
            safe_text(c.source, limit=20),
            safe_text(c.queue, limit=30),
            safe_text(c.address, limit=40),
            safe_text(c.describe(), limit=120),
        ) for c in plan.changes]
        lines += _table(("CHANGE", "SOURCE", "QUEUE", "ADDRESS", "WHAT"), rows)
    if plan.problems:
        lines.append("")
        lines.append(f"Problems ({len(plan.problems)}):")
        lines += [f"  {safe_text(p, limit=300)}" for p in plan.problems]
    return "\n".join(lines)


def plan_json(plan: SyncPlan) -> dict[str, Any]:
    return {
        "sources": plan.sources,
        "failed": plan.failed,
        "counts": plan.counts(),
        "changes": [{"kinds": list(c.kinds), "source": c.source, "queue": c.queue, "address": c.address,
                     "id": c.printer_id, "fields": c.fields} for c in plan.changes],
        "unchanged": [{"source": s, "queue": q, "address": a} for s, q, a in plan.unchanged],
        "problems": plan.problems,
    }


def _confirm(plan: SyncPlan) -> bool:
    counts = plan.counts()
    what = ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k])
    try:
        answer = input(f"Apply these changes ({what})? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


@handle_errors
def run_sync(args: argparse.Namespace) -> int:
    config, store = open_inventory(args)
    try:
        sources = select_sources(config.sync.sources, args.source)
    except SyncError as exc:
        print(f"tonertrack: error: {exc}", file=sys.stderr)
        return 2
    listings, errors = read_sources(sources)
    for err in errors:
        print(f"tonertrack: error: {safe_text(str(err), limit=None)} (its printers were left as they are)",
              file=sys.stderr)
    if not listings:
        return 1
    plan = plan_sync(listings, store.load())
    plan.failed = [e.source for e in errors]
    status = 1 if errors else 0
    if args.json:
        print(terminal_json(plan_json(plan), indent=2))
    else:
        print(format_plan(plan))
    if plan.empty:
        if not args.json:
            print("Nothing to change.")
        return status
    if args.dry_run:
        if not args.json:
            print("Dry run: nothing was changed.")
        return status
    if not args.yes and sys.stdin.isatty() and not _confirm(plan):
        print("Not applied.")
        return status
    try:
        applied = apply_plan(plan, listings, store)
    except PlanChanged as exc:
        print(f"tonertrack: error: {exc}", file=sys.stderr)
        return 1
    counts = applied.counts()
    done = ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k])
    print(f"Applied: {done}.", file=sys.stderr if args.json else sys.stdout)
    return status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sync", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", metavar="NAME", help="only this source (also one with enabled = false)")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking (on a terminal)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(func=run_sync)
