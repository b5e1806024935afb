"""Options and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import sys

from ..core.snmp.credentials import AUTH_PROTOCOLS, PRIV_PROTOCOLS, CredentialError, SnmpSettings


class UsageError(Exception):
    """A mistake in what the user typed: one line on stderr, exit 2."""


def add_snmp_options(parser: argparse.ArgumentParser, *, with_port: bool = True) -> None:
    """The SNMP options of DESIGN.md; every default is None so config defaults can apply."""
    g = parser.add_argument_group("SNMP options")
    if with_port:
        g.add_argument("--port", type=int, metavar="N", help="UDP port when TARGET has none (default 161)")
    g.add_argument("--community", metavar="C", help="SNMPv1/v2c community (default public)")
    g.add_argument("--snmp-version", choices=["1", "2c", "3"], metavar="1|2c|3", help="SNMP version (default 2c)")
    g.add_argument("--v3-user", metavar="U", help="SNMPv3 user name")
    g.add_argument("--v3-auth-proto", metavar="P", help=f"SNMPv3 auth protocol: {', '.join(AUTH_PROTOCOLS)}")
    g.add_argument("--v3-auth-key", metavar="K", help="SNMPv3 auth pass phrase")
    g.add_argument("--v3-priv-proto", metavar="P", help=f"SNMPv3 privacy protocol: {', '.join(PRIV_PROTOCOLS)}")
    g.add_argument("--v3-priv-key", metavar="K", help="SNMPv3 privacy pass phrase")
    g.add_argument("--timeout", type=float, metavar="S", help="seconds to wait for each reply (default 1)")
    g.add_argument("--retries", type=int, metavar="N", help="retries after a timeout (default 1)")


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


def snmp_overrides(args: argparse.Namespace) -> dict:
    """Only the SNMP options the user actually gave (field name -> value)."""
    out = {}
    for opt, field_name in _OPTION_FIELDS.items():
        value = getattr(args, opt, None)
        if value is not None:
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
