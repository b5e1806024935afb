"""Every rule about what a person types or a file brings in, with the one message each surface shows.

The TUI form, `printers add|edit`, the importers (CSV, v2 JSON, backup) and print-server sync
call these functions, so a bad value gets the same words everywhere: the form shows the
message under the field, the CLI as `tonertrack: error: MESSAGE`, an import as
`line 7: MESSAGE`, sync as `SOURCE: queue Q: MESSAGE`.

Each `check_*` returns what is wrong (one message, starting with the field's name in lower
case), or None. `clean_*` returns the stored value or raises `FieldError`.

| field            | rule                                                                             |
|------------------|----------------------------------------------------------------------------------|
| name             | at most 200 characters; no control characters (below); blank = take the sysName  |
| location         | at most 200 characters; no control characters                                    |
| notes            | at most 1000 characters; no control characters                                   |
| address          | IPv4, [IPv6] or a host name, `:port` 1–65535 (core/address.py); not already in    |
|                  | the inventory; a warning when it resolves to a printer already there             |
| community        | not empty unless the config has a default; no control characters                 |
| SNMPv3 user      | 1–32 characters, no control characters; keys at least 8 characters; privacy      |
|                  | needs an auth protocol                                                           |
| thresholds       | whole numbers 0–100, blank = the default; error below warning                   |
| timeout, retries | 0.05–60 seconds; 0–10                                                            |

Control characters, refused in everything typed: C0 and C1 controls (TAB, LF, ESC and so a
pasted escape sequence, U+0085 next line), DEL, bidi embeddings, overrides and isolates
(U+202A–U+202E, U+2066–U+2069) and marks, zero-width characters (U+200B–U+200D, U+FEFF),
invisible operators and line separators. The message names the first one found.
"""

from __future__ import annotations

import ipaddress
import math
import re
import socket
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..address import DEFAULT_PORT, Address, AddressError, parse_address
from ..snmp.credentials import CredentialError, SnmpSettings, normalise_auth_proto, normalise_priv_proto
from .printer import Printer

NAME_MAX = 200
LOCATION_MAX = 200
NOTES_MAX = 1000
V3_USER_MAX = 32  # RFC 3414: a USM user name is 1 to 32 octets
MIN_KEY_LENGTH = 8
TIMEOUT_RANGE = (0.05, 60.0)
RETRIES_RANGE = (0, 10)
RESOLVE_TIMEOUT_S = 2.0  # a name that has not resolved by then is not compared

SITE_MAX = 64
_LIMITS = {"name": NAME_MAX, "location": LOCATION_MAX, "notes": NOTES_MAX, "site": SITE_MAX}

# C0 (TAB and LF too: every field is one line), DEL, C1 (U+0085, 8-bit CSI), zero-width and
# directional marks, bidi embeddings/overrides/isolates, line/paragraph separators, invisible
# operators, the BOM / zero-width no-break space and the interlinear annotation characters.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_CHAR_NAMES = {
    0x00: "null", 0x07: "bell", 0x08: "backspace", 0x09: "tab", 0x0A: "line feed", 0x0B: "vertical tab",
    0x0C: "form feed", 0x0D: "carriage return", 0x1B: "escape", 0x7F: "delete", 0x85: "next line",
    0x9B: "control sequence introducer", 0x9D: "operating system command",
    0x200B: "zero width space", 0x200C: "zero width non-joiner", 0x200D: "zero width joiner",
    0x200E: "left-to-right mark", 0x200F: "right-to-left mark",
    0x2028: "line separator", 0x2029: "paragraph separator",
    0x202A: "left-to-right embedding", 0x202B: "right-to-left embedding", 0x202C: "pop directional formatting",
    0x202D: "left-to-right override", 0x202E: "right-to-left override",
    0x2066: "left-to-right isolate", 0x2067: "right-to-left isolate", 0x2068: "first strong isolate",
    0x2069: "pop directional isolate", 0xFEFF: "zero width no-break space",
}


class FieldError(ValueError):
    """A value that cannot be stored; `field` is the form field / option it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str


# ---------------------------------------------------------------- text


def describe_char(char: str) -> str:
    """'U+202E (right-to-left override)'."""
    code = ord(char)
    name = _CHAR_NAMES.get(code) or unicodedata.name(char, "").lower() or (
        "a C0 control" if code < 0x20 else "a C1 control" if 0x80 <= code < 0xA0 else "an invisible character")
    return f"U+{code:04X} ({name})"


def forbidden_char(value: str) -> str | None:
    """The first character that typed text must not hold, or None."""
    found = _FORBIDDEN.search(value)
    return found.group() if found else None


def control_message(label: str, value: str) -> str | None:
    char = forbidden_char(value)
    return None if char is None else f"{label} must not contain control characters: {describe_char(char)}"


def check_text(field: str, value: str, *, required: bool = False) -> str | None:
    """name / location / notes: what is wrong with `value` (before stripping), or None."""
    label = field
    limit = _LIMITS[field]
    problem = control_message(label, value)
    if problem:
        return problem
    text = value.strip()
    if required and not text:
        return f"{label} must not be empty"
    if len(text) > limit:
        return f"{label} must be at most {limit} characters (this one has {len(text)})"
    return None


def clean_text(field: str, value: Any, *, required: bool = False) -> str:
    """The text to store (stripped), or FieldError. None and "" are ""."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError(field, f"{field} must be text, not {type(value).__name__}")
    problem = check_text(field, value, required=required)
    if problem:
        raise FieldError(field, problem)
    return value.strip()


def check_name(value: str, *, required: bool = False) -> str | None:
    return check_text("name", value, required=required)


def check_location(value: str) -> str | None:
    return check_text("location", value)


def check_notes(value: str) -> str | None:
    return check_text("notes", value)


def check_site(value: str) -> str | None:
    return check_text("site", value)


# ---------------------------------------------------------------- address


def check_address_text(value: str, default_port: int = DEFAULT_PORT) -> str | None:
    """Is it an address at all (no inventory needed)?"""
    try:
        parse_address(value, default_port)
    except AddressError as exc:
        return str(exc)
    return None


def clean_address(value: str, default_port: int = DEFAULT_PORT) -> str:
    """The canonical address, or FieldError("address", ...)."""
    try:
        return str(parse_address(value, default_port))
    except AddressError as exc:
        raise FieldError("address", str(exc)) from None


def duplicate_message(address: str, other: Printer) -> str:
    owner = f" ({other.name})" if other.name else ""
    return f"{address} is already in the inventory{owner}"


def find_duplicate(address: str, printers: Iterable[Printer], exclude_id: str | None = None) -> Printer | None:
    """The printer that already has this (canonical) address, other than `exclude_id`."""
    return next((p for p in printers if p.address == address and p.id != exclude_id), None)


def check_address(value: str, printers: Iterable[Printer] = (), *, exclude_id: str | None = None,
                  default_port: int = DEFAULT_PORT) -> str | None:
    """Syntax, then the same address:port already in the inventory (not `exclude_id`)."""
    try:
        address = str(parse_address(value, default_port))
    except AddressError as exc:
        return str(exc)
    other = find_duplicate(address, printers, exclude_id)
    return duplicate_message(address, other) if other is not None else None


def check_port(port: int | None) -> str | None:
    if port is not None and not 1 <= port <= 65535:
        return f"port {port} out of range 1–65535"
    return None


# -- the same printer under another address (localhost:50623 vs 127.0.0.1:50623)

Resolver = Callable[[str, int], Sequence[str]]


def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    return [str(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos]


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tonertrack-resolve")


def resolve_hosts(hosts: Iterable[Address], *, timeout: float = RESOLVE_TIMEOUT_S,
                  resolver: Resolver = _getaddrinfo) -> dict[Address, frozenset[str]]:
    """The IPs each address's host stands for; literal IPs at once, names in worker threads
    for at most `timeout` seconds altogether (an unresolved or failing name maps to nothing).
    Blocks its caller up to `timeout`: call it from a worker thread, never the UI thread."""
    out: dict[Address, frozenset[str]] = {}
    pending = {}
    for address in set(hosts):
        ip = _literal_ip(address.host)
        if ip is not None:
            out[address] = frozenset({ip})
        else:
            pending[address] = _POOL.submit(resolver, address.host, address.port)
    if pending:
        wait(pending.values(), timeout=timeout)
    for address, future in pending.items():
        if not future.done():
            future.cancel()
            out[address] = frozenset()
            continue
        try:
            out[address] = frozenset(future.result())
        except (OSError, UnicodeError, ValueError):
            out[address] = frozenset()
    return out


def same_printer_warnings(address: str, printers: Iterable[Printer], *, exclude_id: str | None = None,
                          timeout: float = RESOLVE_TIMEOUT_S, resolver: Resolver = _getaddrinfo) -> list[str]:
    """'localhost:50623 resolves to 127.0.0.1, like 127.0.0.1:50623 (Lab) already in the inventory:
    it may be the same printer' — for each printer on the same port whose host resolves to an IP the
    new address resolves to. Name resolution is bounded by `timeout` (see resolve_hosts)."""
    others = [p for p in printers if p.id != exclude_id]
    return same_printer_warnings_for([address], others, timeout=timeout, resolver=resolver).get(address, [])


def same_printer_warnings_for(addresses: Iterable[str], printers: Iterable[Printer], *,
                              timeout: float = RESOLVE_TIMEOUT_S,
                              resolver: Resolver = _getaddrinfo) -> dict[str, list[str]]:
    """`same_printer_warnings` for many new addresses at once (an import): every host is resolved
    once, all within `timeout` altogether."""
    new: dict[str, Address] = {}
    for text in addresses:
        try:
            new[text] = parse_address(text)
        except AddressError:
            continue
    known: list[tuple[Printer, Address]] = []
    for p in printers:
        try:
            known.append((p, parse_address(p.address)))
        except AddressError:
            continue
    pairs = [(text, mine, p, other) for text, mine in new.items() for p, other in known
             if other.port == mine.port and other.host != mine.host
             and (_literal_ip(mine.host) is None or _literal_ip(other.host) is None)]
    if not pairs:
        return {}
    ips = resolve_hosts({a for _, mine, _, other in pairs for a in (mine, other)}, timeout=timeout,
                        resolver=resolver)
    warnings: dict[str, list[str]] = {}
    for text, mine, p, other in pairs:
        shared = sorted(ips.get(mine, frozenset()) & ips.get(other, frozenset()))
        if shared:
            owner = f" ({p.name})" if p.name else ""
            warnings.setdefault(text, []).append(
                f"{mine} resolves to {shared[0]}, like {p.address}{owner} already in the inventory: "
                "it may be the same printer")
    return warnings


# ---------------------------------------------------------------- SNMP


def check_community(value: str, *, default: str | None = None, keeps_current: bool = False) -> str | None:
    """A community typed for SNMPv1/v2c: blank is fine when a default (or the current one) applies."""
    problem = control_message("community", value)
    if problem:
        return problem
    if not value and not default and not keeps_current:
        return "community must not be empty (there is no default in the config)"
    return None


def check_v3_user(value: str) -> str | None:
    problem = control_message("SNMPv3 user", value)
    if problem:
        return problem
    if not value.strip():
        return "SNMPv3 needs a user name"
    if len(value.strip()) > V3_USER_MAX:
        return f"SNMPv3 user must be at most {V3_USER_MAX} characters"
    return None


def check_v3_key(key: str, value: str, *, proto: str, auth_proto: str = "SHA",
                 keeps_current: bool = False) -> str | None:
    """v3_auth_key / v3_priv_key with the protocol chosen for it."""
    what = "auth key" if key == "v3_auth_key" else "privacy key"
    if proto.strip().lower() in ("", "none", "noauth", "nopriv"):
        return None
    if key == "v3_priv_key" and auth_proto.strip().lower() in ("", "none", "noauth"):
        return "SNMPv3 privacy needs an auth protocol too"
    if not value and keeps_current:
        return None
    problem = control_message(f"SNMPv3 {what}", value)
    if problem:
        return problem
    if len(value) < MIN_KEY_LENGTH:
        return f"SNMPv3 {what} must be at least {MIN_KEY_LENGTH} characters"
    return None


def check_timeout(value: Any) -> str | None:
    low, high = TIMEOUT_RANGE
    number = _number(value)
    if number is None or not low <= number <= high:
        return f"timeout must be a number of seconds from {low:g} to {high:g}, not {_shown(value)}"
    return None


def check_retries(value: Any) -> str | None:
    low, high = RETRIES_RANGE
    number = _whole(value)
    if number is None or not low <= number <= high:
        return f"retries must be a whole number from {low} to {high}, not {_shown(value)}"
    return None


def _shown(value: Any) -> str:
    """A value in a message, the same whether it was typed in a form (text) or given as an option (a number)."""
    number = _number(value)
    if number is not None:
        return f"{number:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def snmp_problems(own: dict[str, Any], defaults: SnmpSettings) -> list[Problem]:
    """Every problem with a printer's own SNMP settings (over the config's defaults), one per field."""
    merged = defaults.overridden({k: v for k, v in own.items() if v is not None})
    problems: list[Problem] = []
    version = str(merged.version).strip().lower().removeprefix("v")
    if version not in ("1", "2c", "3"):
        problems.append(Problem("version", f"SNMP version must be 1, 2c or 3, not {_shown(merged.version)}"))
    if "community" in own and own["community"] is not None:
        problem = check_community(str(own["community"]), default=defaults.community)
        if problem:
            problems.append(Problem("community", problem))
    elif version in ("1", "2c") and not merged.community:
        problems.append(Problem("community", check_community("") or ""))
    for key, check in (("timeout", check_timeout), ("retries", check_retries)):
        if key in own and own[key] is not None:
            problem = check(own[key])
            if problem:
                problems.append(Problem(key, problem))
    try:
        auth = normalise_auth_proto(merged.v3_auth_proto)
    except CredentialError as exc:
        problems.append(Problem("v3_auth_proto", str(exc)))
        auth = "none"
    try:
        priv = normalise_priv_proto(merged.v3_priv_proto)
    except CredentialError as exc:
        problems.append(Problem("v3_priv_proto", str(exc)))
        priv = "none"
    if version == "3":
        problem = check_v3_user(str(merged.v3_user))
        if problem:
            problems.append(Problem("v3_user", problem))
        for key, proto in (("v3_auth_key", auth), ("v3_priv_key", priv)):
            problem = check_v3_key(key, str(getattr(merged, key)), proto=proto, auth_proto=auth)
            if problem:
                problems.append(Problem(key, problem))
    return problems


def clean_snmp(own: dict[str, Any], defaults: SnmpSettings) -> dict[str, Any]:
    """A printer's own SNMP settings, normalised (blank values dropped), or FieldError for the first
    problem (`snmp_problems` lists them all)."""
    own = {k: v for k, v in own.items() if v not in (None, "")}
    problems = snmp_problems(own, defaults)
    if problems:
        raise FieldError(problems[0].field, problems[0].message)
    merged = defaults.overridden(own).validated()
    return {k: getattr(merged, k) for k in own if k in SnmpSettings.__dataclass_fields__}


# ---------------------------------------------------------------- thresholds


def check_pct(which: str, value: str | int | None) -> str | None:
    """One threshold: a whole number 0–100, or blank/None for the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _whole(value)
    if number is None or not 0 <= number <= 100:
        return f"{which} level must be a whole number from 0 to 100 (blank: the default), not {_shown(value)}"
    return None


def check_thresholds(warning: int | None, error: int | None) -> str | None:
    """The effective warning and error levels together (each already a valid number)."""
    if warning is not None and error is not None and error >= warning:
        return f"error level ({error} %) must be below the warning level ({warning} %)"
    return None


def threshold_problems(thresholds: Any) -> list[Problem]:
    """A record's `thresholds` object (a backup's), every level checked."""
    if thresholds is None:
        return []
    if not isinstance(thresholds, dict):
        return [Problem("thresholds", "thresholds must be an object")]
    problems = []
    levels = [("", thresholds)]
    kinds = thresholds.get("kinds")
    if isinstance(kinds, dict):
        levels += [(f"{kind} ", pair) for kind, pair in kinds.items() if isinstance(pair, dict)]
    for prefix, pair in levels:
        for key, which in (("warning_pct", "warning"), ("error_pct", "error")):
            problem = check_pct(f"{prefix}{which}", pair.get(key))
            if problem:
                problems.append(Problem(key, problem))
        warning, error = pair.get("warning_pct"), pair.get("error_pct")
        if not problems and isinstance(warning, int) and isinstance(error, int):
            problem = check_thresholds(warning, error)
            if problem:
                problems.append(Problem("error_pct", prefix + problem))
    return problems


# ---------------------------------------------------------------- a whole printer


def printer_problems(*, name: str = "", location: str = "", notes: str = "", snmp: dict[str, Any] | None = None,
                     defaults: SnmpSettings | None = None, thresholds: Any = None) -> list[Problem]:
    """Every problem of one printer's typed fields (not its address)."""
    problems = []
    for field, value in (("name", name), ("location", location), ("notes", notes)):
        problem = check_text(field, value if isinstance(value, str) else str(value))
        if problem:
            problems.append(Problem(field, problem))
    if snmp:
        problems += snmp_problems(snmp, defaults or SnmpSettings())
    problems += threshold_problems(thresholds)
    return problems


__all__ = [
    "FieldError", "LOCATION_MAX", "MIN_KEY_LENGTH", "NAME_MAX", "NOTES_MAX", "Problem", "RESOLVE_TIMEOUT_S",
    "check_address", "check_address_text", "check_community", "check_location", "check_name", "check_notes",
    "check_pct", "check_site", "check_port", "check_retries", "check_text", "check_thresholds", "check_timeout",
    "check_v3_key", "check_v3_user", "clean_address", "clean_snmp", "clean_text", "control_message",
    "describe_char", "duplicate_message", "find_duplicate", "forbidden_char", "printer_problems",
    "resolve_hosts", "same_printer_warnings", "same_printer_warnings_for", "snmp_problems", "threshold_problems",
]
