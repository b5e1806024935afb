"""`tonertrack serve [--host H] [--port N] [--read-only] [--max-sessions N]`: the monitor in a browser."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from .common import UsageError, config_from_args, handle_errors

HELP = "the monitor in a browser (textual-serve), loopback by default"
DEFAULT_PORT = 9470
DEFAULT_MAX_SESSIONS = 6
MISSING_WEB = ("tonertrack serve: textual-serve is not installed: pip install 'tonertrack-tui[web]'")

DESCRIPTION = f"""\
Serve the monitor to web browsers, for people without a shell on this machine (the
help desk, office managers). Each browser tab runs its own `tonertrack --viewer`
process: it never polls, it shows what `tonertrack daemon` (or another TonerTrack)
last stored, follows it live, and says when that is older than expected. Run the
daemon beside it, or nothing gets polled.

Listens on 127.0.0.1:{DEFAULT_PORT} by default. textual-serve has NO authentication:
anyone who reaches the port gets a session. To let others in, keep it on loopback
and put a reverse proxy with authentication in front (contrib/serve/nginx.conf:
TLS and a password), or let each person use an SSH tunnel. Any other --host needs
--allow-remote.

--read-only sessions look and never change anything (no add, edit, delete,
settings, sync, import, discover, export to a file); without it a browser session
can edit the inventory like the TUI (never poll). At most --max-sessions sessions
run at once (about 60-70 MB each); one more gets a "session limit" page.
"""
EPILOG = f"""\
examples:
  tonertrack serve --read-only        http://127.0.0.1:{DEFAULT_PORT}/ on this machine only
  ssh -N -L {DEFAULT_PORT}:127.0.0.1:{DEFAULT_PORT} you@jumpbox
                                      (at your desk) then open http://127.0.0.1:{DEFAULT_PORT}/
  tonertrack serve --read-only --public-url https://printers.example.org
                                      behind contrib/serve/nginx.conf
"""

REMOTE_WARNING = """\
tonertrack serve: WARNING: listening on {host}, not loopback. textual-serve has no
authentication of its own: anyone who can reach http://{host}:{port}/ gets a session{what}.
Protect it: a firewall that lets only the proxy in, a reverse proxy with authentication
(contrib/serve/nginx.conf), or keep to 127.0.0.1 and use an
SSH tunnel: ssh -N -L {port}:127.0.0.1:{port} USER@THIS-HOST
"""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS, metavar="N",
                   help=f"browser sessions at once (default {DEFAULT_MAX_SESSIONS}); one more gets a 'full' page")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host that is not loopback (read the warning it prints)")
    p.add_argument("--public-url", metavar="URL",
                   help="the address browsers use, when a reverse proxy serves it (e.g. https://printers.example.org)")
    p.set_defaults(func=run)


@handle_errors
def run(args: argparse.Namespace) -> int:
    if not 1 <= args.max_sessions <= 1000:
        raise UsageError("--max-sessions must be between 1 and 1000")
    if not 0 < args.port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    if not is_loopback(args.host) and not args.allow_remote:
        raise UsageError(f"--host {args.host} is not loopback: textual-serve has no authentication; "
                         "add --allow-remote to mean it (see `tonertrack serve --help`)")
    try:
        from ..web.server import SessionServer, session_argv
    except ImportError:
        print(MISSING_WEB, file=sys.stderr)
        return 1
    paths, config = config_from_args(args)  # a broken config stops here, not in every session
    read_only = args.role.read_only
    if not is_loopback(args.host):
        print(REMOTE_WARNING.format(host=args.host, port=args.port,
                                    what="" if read_only else " that can change the inventory (add --read-only)"),
              file=sys.stderr, end="")
    elif not read_only:
        print("tonertrack serve: note: without --read-only a browser session has the TUI's powers (edit the "
              "inventory and settings, show SNMP secrets, export files on this machine)", file=sys.stderr)
    argv = session_argv(read_only=read_only, config=str(paths.config_file) if args.config else None,
                        data_dir=str(paths.data_dir))
    describe = (f"{'read-only' if read_only else 'viewer'} sessions of {paths.data_dir}, "
                f"at most {args.max_sessions} at once")
    server = SessionServer(argv, host=args.host, port=args.port, max_sessions=args.max_sessions,
                           public_url=args.public_url.rstrip("/") if args.public_url else None, describe=describe)
    try:
        server.serve()
    except OSError as exc:  # the port is taken, the address is not ours
        print(f"tonertrack serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
