"""`tonertrack metrics [--textfile PATH]` and `tonertrack serve-metrics [--listen HOST:PORT]`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from ..core.address import AddressError, parse_address
from ..core.config import Config, ConfigError
from ..core.inventory.backend import open_store
from ..core.inventory.store import Store
from ..core.reports.metrics import exposition, fleet_registry
from ..core.util.fsutil import atomic_write_bytes
from .common import UsageError, config_from_args

METRICS_HELP = "print the fleet as Prometheus metrics"
METRICS_DESCRIPTION = """\
Print the last known state of every printer of the inventory in the Prometheus
text exposition format (nothing is polled: run the daemon, a timer or cron for
that). With --textfile, write it to PATH atomically instead, for node_exporter's
textfile collector (PATH should end in .prom; the file is made world-readable
since it holds no secrets).
"""
SERVE_HELP = "serve /metrics over HTTP for Prometheus"
SERVE_DESCRIPTION = """\
Serve the metrics of `tonertrack metrics` at http://HOST:PORT/metrics, read from
the inventory at every scrape. Listens on 127.0.0.1:9469 unless --listen or the
config's [metrics] listen says otherwise; stop it with Ctrl-C or SIGTERM.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("metrics", help=METRICS_HELP, description=METRICS_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--textfile", metavar="PATH", help="write to PATH atomically instead of printing")
    p.set_defaults(func=run_metrics)
    s = sub.add_parser("serve-metrics", help=SERVE_HELP, description=SERVE_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--listen", metavar="HOST:PORT", help="address to listen on (default 127.0.0.1:9469)")
    s.set_defaults(func=run_serve)


def _open(args: argparse.Namespace) -> tuple[Config, Store]:
    try:
        paths, config = config_from_args(args)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return config, open_store(config, paths.data_dir)


def write_textfile(path: Path | str, data: bytes) -> None:
    """Atomic replace: node_exporter never reads a half-written file."""
    atomic_write_bytes(Path(path), data, mode=0o644)


def run_metrics(args: argparse.Namespace) -> int:
    _config, store = _open(args)
    data = exposition(store)
    if args.textfile:
        try:
            write_textfile(args.textfile, data)
        except OSError as exc:
            print(f"tonertrack: cannot write {args.textfile}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        return 0
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0


def parse_listen(text: str) -> tuple[str, int]:
    try:
        address = parse_address(text, default_port=9469)
    except AddressError as exc:
        raise UsageError(f"--listen {text!r}: {exc}") from None
    return address.host, address.port


def run_serve(args: argparse.Namespace) -> int:
    from prometheus_client import start_http_server

    config, store = _open(args)
    host, port = parse_listen(args.listen or config.metrics.listen)
    try:
        served = start_http_server(port, addr=host, registry=fleet_registry(store))
    except OSError as exc:
        print(f"tonertrack: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    shown = f"[{host}]" if ":" in host else host
    print(f"tonertrack: serving metrics at http://{shown}:{port}/metrics", file=sys.stderr, flush=True)
    while not stop.wait(1.0):
        pass
    if isinstance(served, tuple):  # prometheus_client >= 0.20 returns (server, thread)
        served[0].shutdown()
    return 0
