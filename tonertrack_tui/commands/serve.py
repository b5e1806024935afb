"""`tonertrack serve`: the monitor in a browser (textual-serve)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="the monitor in a browser (textual-serve), loopback by default")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return 2
