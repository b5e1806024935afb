"""The plumbing every sub-command shares: opening the config and the inventory from the
arguments, the SNMP options, error mapping and writing bytes to standard output.

A command module imports core, this module and render.py; where one command reuses
another's code (`export` the inventory's and the reports' parsers, `demo --print` the poll),
the import goes one way only: tests/test_layers.py asserts the package has no import cycle.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

from ..core.address import AddressError
from ..core.config import Config, ConfigError, Paths, load_config, resolve_paths
from ..core.inventory import validate
from ..core.inventory.backend import open_store
from ..core.inventory.store import DuplicatePrinter, Store, StoreCorrupt, StoreError, StoreWriteError, UnknownPrinter
from ..core.snmp.credentials import AUTH_PROTOCOLS, PRIV_PROTOCOLS, CredentialError, SnmpSettings


class UsageError(Exception):
    """A mistake in what the user typed: one line on stderr, exit 2."""


# ---------------------------------------------------------------- config and inventory


def paths_from_args(args: argparse.Namespace) -> Paths:
    """The config file and data dir named by --config/--data-dir (or their environment variables)."""
    return resolve_paths(getattr(args, "config", None), getattr(args, "data_dir", None))


def config_from_args(args: argparse.Namespace) -> tuple[Paths, Config]:
    """(paths, config) from the arguments; a bad config raises ConfigError."""
    paths = paths_from_args(args)
    return paths, load_config(paths)


def open_inventory(args: argparse.Namespace, *, warn: bool = True) -> tuple[Config, Store]:
    """The config and the store named by --config/--data-dir (or their environment variables).
    The config's warnings (unknown keys) go to stderr unless warn=False."""
    paths, config = config_from_args(args)
    if warn:
        for warning in config.warnings:
            print(f"tonertrack: warning: {warning}", file=sys.stderr)
    return config, open_store(config, paths.data_dir)


def handle_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Map core errors to one clear stderr line and the exit code of the style guide."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ConfigError as exc:
            print(f"tonertrack: error: {exc}", file=sys.stderr)
            return 2
        except (StoreCorrupt, StoreWriteError) as exc:
            print(f"tonertrack: error: {exc}", file=sys.stderr)
            return 1
        except (AddressError, DuplicatePrinter, UnknownPrinter, CredentialError) as exc:
            raise UsageError(str(exc)) from None
        except validate.FieldError as exc:
            raise UsageError(exc.message) from None
        except StoreError as exc:  # e.g. the postgresql backend cannot reach its database
            print(f"tonertrack: error: {exc}", file=sys.stderr)
            return 1

    return run


def checked_snmp(own: dict[str, Any], config: Config) -> dict[str, Any]:
    """A printer's own SNMP settings after checking them over the config's defaults
    (core/inventory/validate.py: the same rules and messages as the TUI form)."""
    try:
        return validate.clean_snmp(own, config.default_snmp())
    except validate.FieldError as exc:
        raise UsageError(exc.message) from None
    except CredentialError as exc:
        raise UsageError(str(exc)) from None


# ---------------------------------------------------------------- SNMP options


# Secrets need not be typed where other users see them (`ps`): these environment variables
# stand for the option of the same name, and --community-file reads the community from a file
# or standard input. An option given on the command line wins.
SECRET_ENV = {
    "community": "TONERTRACK_COMMUNITY",
    "v3_auth_key": "TONERTRACK_V3_AUTH_KEY",
    "v3_priv_key": "TONERTRACK_V3_PRIV_KEY",
}
SNMP_EPILOG = """\
secrets: --community and --v3-*-key on the command line are visible to other users
(ps). Prefer --community-file FILE (or - for standard input), or the environment
variables TONERTRACK_COMMUNITY, TONERTRACK_V3_AUTH_KEY, TONERTRACK_V3_PRIV_KEY.
"""


def add_snmp_options(parser: argparse.ArgumentParser, *, with_port: bool = True) -> None:
    """The SNMP options of DESIGN.md; every default is None so config defaults can apply."""
    g = parser.add_argument_group("SNMP options")
    if with_port:
        g.add_argument("--port", type=int, metavar="N", help="UDP port when TARGET has none (default 161)")
    g.add_argument("--community", metavar="C",
                   help="SNMPv1/v2c community (default public; env TONERTRACK_COMMUNITY)")
    g.add_argument("--community-file", metavar="FILE",
                   help="read the community from the first line of FILE ('-': standard input)")
    g.add_argument("--snmp-version", choices=["1", "2c", "3"], metavar="1|2c|3", help="SNMP version (default 2c)")
    g.add_argument("--v3-user", metavar="U", help="SNMPv3 user name")
    g.add_argument("--v3-auth-proto", metavar="P", help=f"SNMPv3 auth protocol: {', '.join(AUTH_PROTOCOLS)}")
    g.add_argument("--v3-auth-key", metavar="K", help="SNMPv3 auth pass phrase (env TONERTRACK_V3_AUTH_KEY)")
    g.add_argument("--v3-priv-proto", metavar="P", help=f"SNMPv3 privacy protocol: {', '.join(PRIV_PROTOCOLS)}")
    g.add_argument("--v3-priv-key", metavar="K", help="SNMPv3 privacy pass phrase (env TONERTRACK_V3_PRIV_KEY)")
    g.add_argument("--timeout", type=float, metavar="S", help="seconds to wait for each reply (default 1)")
    g.add_argument("--retries", type=int, metavar="N", help="retries after a timeout (default 1)")
    if parser.epilog is None:
        parser.epilog = SNMP_EPILOG
        parser.formatter_class = argparse.RawDescriptionHelpFormatter


_OPTION_FIELDS = {
    "community": "community",
    "snmp_version": "version",
    "v3_user": "v3_user",
    "v3_auth_proto": "v3_auth_proto",
    "v3_auth_key": "v3_auth_key",
    "v3_priv_proto": "v3_priv_proto",
    "v3_priv_key": "v3_priv_key",
    "timeout": "timeout",
    "retries": "retries",
}


def read_secret_file(name: str, what: str = "community") -> str:
    """The first line of a file ('-': standard input), without its line end. Never echoed."""
    try:
        if name == "-":
            line = sys.stdin.readline()
        else:
            with open(name, encoding="utf-8") as f:
                line = f.readline()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} from {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read the {what} from {name}: not UTF-8 text") from None
    value = line.rstrip("\r\n")
    if not value:
        raise UsageError(f"no {what} in {'standard input' if name == '-' else name} (the first line is empty)")
    return value


def snmp_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Only the SNMP settings the user actually gave (field name -> value): options, then
    --community-file, then the secrets' environment variables."""
    import os

    out: dict[str, Any] = {}
    for opt, field_name in _OPTION_FIELDS.items():
        value = getattr(args, opt, None)
        if value is not None:
            out[field_name] = value
    community_file = getattr(args, "community_file", None)
    if community_file is not None and "community" not in out:
        out["community"] = args.community = read_secret_file(community_file)
        args.community_file = None  # read once: standard input cannot be read twice
    if hasattr(args, "community"):  # a command with SNMP options
        for field_name, env in SECRET_ENV.items():
            value = os.environ.get(env)
            if field_name not in out and value:
                out[field_name] = value
    if "v3_user" in out and "version" not in out:
        out["version"] = "3"
    return out


def snmp_settings_from_args(args: argparse.Namespace, base: SnmpSettings | None = None) -> SnmpSettings:
    from dataclasses import replace

    settings = replace(base or SnmpSettings(), **snmp_overrides(args))
    try:
        return settings.validated()
    except CredentialError as exc:
        raise UsageError(str(exc)) from None


def target_settings(args: argparse.Namespace, targets: list[str], default_port: int,
                    config: Config | None = None) -> list[SnmpSettings]:
    """The SNMP settings to poll each TARGET with: a printer of the inventory keeps its saved
    settings (community, v3 keys, timeout), others get the config's defaults; options given on
    the command line (or by file / environment) win over both. Nothing is written."""
    from dataclasses import replace

    from ..core.address import parse_address
    from ..core.inventory.store import find_printer

    if config is None:
        try:
            _, config = config_from_args(args)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    try:
        printers = open_store(config, paths_from_args(args).data_dir).load()
    except StoreError as exc:
        print(f"tonertrack: warning: {exc}; polling with the config's SNMP settings", file=sys.stderr)
        printers = []
    overrides = snmp_overrides(args)
    defaults = config.default_snmp()
    out = []
    for text in targets:
        printer = find_printer(printers, str(parse_address(text, default_port=default_port))) if printers else None
        base = defaults.overridden(printer.snmp) if printer is not None else defaults
        try:
            out.append(replace(base, **overrides).validated())
        except CredentialError as exc:
            raise UsageError(str(exc)) from None
    return out


def fail_usage(message: str) -> int:
    print(f"tonertrack: error: {message}", file=sys.stderr)
    return 2


def write_stdout_bytes(data: bytes) -> None:
    """Bytes to stdout as they are (a BOM or CRLF must not be re-encoded by a text layer)."""
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    out.write(data)
    out.flush()
