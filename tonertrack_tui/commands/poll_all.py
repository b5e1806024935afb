"""`tonertrack poll --all`: poll the inventory, save the results and history."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..core.config import ConfigError, load_config, resolve_paths
from ..core.inventory.store import Store, StoreError
from ..core.polling.fleet import FleetPollBusy, FleetPoller
from .poll import exit_code, print_results


def open_fleet(args: argparse.Namespace):
    """(config, store) from --config/--data-dir; ConfigError/StoreError propagate."""
    paths = resolve_paths(getattr(args, "config", None), getattr(args, "data_dir", None))
    config = load_config(paths)
    return config, Store(paths.data_dir)


def run_all(args: argparse.Namespace) -> int:
    try:
        config, store = open_fleet(args)
        store.load()  # a corrupt printers.json stops here, named, before any polling
    except (ConfigError, StoreError) as exc:
        print(f"tonertrack: {exc}", file=sys.stderr)
        return 1
    if args.concurrency:
        from dataclasses import replace

        config = replace(config, polling=replace(config.polling, concurrency=args.concurrency))
    poller = FleetPoller(store, config)
    interactive = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int, address: str) -> None:
        if interactive:
            sys.stderr.write(f"\r{done}/{total} polled")
            sys.stderr.flush()

    async def go():
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
    print_results(results, as_json=args.json)
    if not args.json:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
        print(f"\n{summary.done} printers polled in {summary.duration_s:.1f} s ({counts})")
    return exit_code(results, args.fail_on)
