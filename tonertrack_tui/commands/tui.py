"""`tonertrack` with no sub-command: the full-screen monitor."""

from __future__ import annotations

import argparse
import os
import sys


def run(args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() and not os.environ.get("TEXTUAL_DRIVER"):  # (a browser session: serve)
        print("tonertrack: the monitor needs a terminal; use a sub-command for scripts "
              "(tonertrack --help)", file=sys.stderr)
        return 2
    from ..app import create_app

    app = create_app(args.config, args.data_dir, role=args.role)
    mouse = not args.no_mouse and (app.config.ui.mouse if app.config else True)
    app.run(mouse=mouse)
    return app.return_code or 0
