"""Print-server sync: read a source's queues, plan the changes, apply them in one transaction.

## Sources (`[[sync.sources]]` in the config; `kind` picks the reader)

* `windows-export` (`path`, optional `ports_path`): what a Windows print server exports.
  - `Get-Printer -ComputerName SRV | Export-Csv` (Windows PowerShell 5.1 writes a `#TYPE ...`
    first line, PowerShell 7 does not), optionally joined by port name with
    `Get-PrinterPort -ComputerName SRV | Export-Csv` (`ports_path`) for `PrinterHostAddress`;
  - or the JSON of `scripts/Export-TonerTrackPrinters.ps1` (`{"format": "tonertrack-printers",
    "servers": [{"server", "printers": [...], "ports": [...]}]}`); a plain `ConvertTo-Json`
    of Get-Printer (one object or a list) is read too.
  The address is the port's host address, else taken from the port name (`IP_10.1.2.3`,
  `10.1.2.3_1`, a host name), else the queue is a problem "no address". Local ports
  (`USB001`, `LPT1:`, `COM3:`, `TS001`, `WSD-…`, `FILE:`, `PORTPROMPT:`, `nul:`, any name
  ending in `:`) are never addresses.
* `csv` (`path`): `address,name[,location]` read by the CSV importer (core/importers.py).
* `cups` (`server`, host[:port]): `lpstat -h SERVER -v`, device URIs `socket://`, `ipp://`,
  `ipps://`, `lpd://`, `snmp://`, `http(s)://`.
* `windows-rpc` (`server`, `username`, `domain`, `credentials_file` or `password_env`):
  Samba's `rpcclient` (`enumprinters 2`, `enumports 2`). The password reaches rpcclient
  only through `-A AUTHFILE` (the given file, or a 0600 temporary one written from the
  environment variable), never on a command line that `ps` shows.

Files may be UTF-16 (with BOM: what Windows PowerShell 5.1's `Out-File` writes), UTF-8
(with or without BOM) or CP-1252. Programs run without a shell, with a timeout.

## Merge rules (`plan_sync`)

* A new address is added, named after its queue, with the source's location (a `csv`
  row's own location wins), `source = {"name", "queue"}`.
* A known address: the name follows the queue unless `user_overridden`; the location
  follows the source unless `location_user_set`; a printer added by hand is linked to
  the source. A printer synced from *another* source is left alone (reported).
* Same source and queue at a new address: the printer **moves** (same id, so its history
  stays).
* A printer of this source that the source no longer lists is flagged
  `not_on_server: true` (never deleted); listed again, the flag is cleared.
* Several queues for one address: the first is used, the others are reported.

The plan is computed on a copy; `apply_plan` recomputes it inside ONE store transaction
and refuses (writing nothing) if the inventory changed meanwhile so that the result
would differ from what was shown. Every changed printer gets one audit line
`{"action": "sync", "source": NAME, "change": "add|rename|...", "changes": {...}}`.
Untrusted text (queue names, comments) is kept as data; show it through `safe_text`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..address import AddressError, parse_address
from ..config import SyncSource
from ..inventory import validate
from ..inventory.importers import ImportFileError, parse_csv
from ..inventory.printer import Printer, SourceRef
from ..inventory.store import Store
from ..snmp.credentials import SnmpSettings
from ..util.textsafe import safe_text

MAX_FILE_BYTES = 64 << 20  # an export bigger than this is not a print server's queue list
MAX_OUTPUT_BYTES = 32 << 20
EXPORT_FORMAT = "tonertrack-printers"

# What each kind of source reads, and the field it cannot do without: the readers' errors and the
# source form (screens/sync_sources.py) say the same words.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "windows-export": ("path", "ports_path", "location"),
    "csv": ("path", "location"),
    "cups": ("server", "location", "timeout_s"),
    "windows-rpc": ("server", "username", "domain", "credentials_file", "password_env", "location", "timeout_s"),
}
KIND_NEEDS: dict[str, tuple[str, str]] = {
    "windows-export": ("path", "the exported file"),
    "csv": ("path", "the CSV file"),
    "cups": ("server", "the CUPS server (host or host:port)"),
    "windows-rpc": ("server", "the Windows print server"),
}

CHANGE_KINDS = ("add", "rename", "move", "relocate", "link", "flag")


class SyncError(Exception):
    """A sync that cannot go ahead; the inventory was not touched. The message says why."""


class SyncSourceError(SyncError):
    """A source could not be read (missing file, bad format, unreachable server, failing tool)."""

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"source {source!r}: {message}")


class PlanChanged(SyncError):
    """The inventory changed between showing the plan and applying it."""


# ---------------------------------------------------------------- what a source lists


@dataclass(slots=True)
class SourceQueue:
    """One print queue as a source lists it (texts are raw data from the server)."""

    queue: str
    address: str | None  # canonical, or None when the queue has no usable address
    name: str = ""  # the printer name the queue gives (the queue name, or a csv name)
    location: str = ""  # a csv row's own location ("" = the source's)
    port: str = ""
    comment: str = ""
    origin: str = ""  # "line 4", "printer 7" (for messages)
    why_no_address: str = ""


@dataclass(slots=True)
class SourceListing:
    source: SyncSource
    queues: list[SourceQueue]
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- text decoding


def decode_text(data: bytes) -> str:
    """UTF-16 with BOM (PowerShell 5.1 Out-File), UTF-8 with/without BOM, else CP-1252."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0] and data[2]:
        return data.decode("utf-16-le", "replace")  # UTF-16 LE without BOM: ASCII with NULs between
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _read_file(source: SyncSource, path_text: str, what: str) -> bytes:
    path = Path(path_text).expanduser()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SyncSourceError(source.name, f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise SyncSourceError(source.name, f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise SyncSourceError(source.name, f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise SyncSourceError(source.name, f"{what} {path} is larger than {MAX_FILE_BYTES >> 20} MB")
    return data


# ---------------------------------------------------------------- addresses from ports and URIs

_LOCAL_PORT = re.compile(r"^(?:(?:USB|LPT|COM|TS)\d+:?|WSD-.*|FILE:|PORTPROMPT:|NUL:?|.*:)$", re.IGNORECASE)
_PORT_SUFFIX = re.compile(r"_\d+$")


def is_local_port(port: str) -> bool:
    return bool(_LOCAL_PORT.match(port.strip()))


def address_from_port(port: str, host_address: str = "") -> tuple[str | None, str]:
    """(canonical address, "") or (None, why). Host address first, then the port name."""
    port = (port or "").strip()
    host_address = (host_address or "").strip()
    if port and is_local_port(port):
        return None, f"local port {port}"
    if host_address:
        try:
            return str(parse_address(host_address)), ""
        except AddressError:
            pass
    if not port:
        return None, "no port"
    text = port
    if text[:3].upper() == "IP_":
        text = text[3:]
    text = _PORT_SUFFIX.sub("", text)  # Windows' second port to one host: 10.1.2.3_1
    try:
        return str(parse_address(text)), ""
    except AddressError:
        return None, f"port {port} names no address"


_URI_SCHEMES = ("socket", "ipp", "ipps", "lpd", "snmp", "http", "https")


def address_from_uri(uri: str) -> tuple[str | None, str]:
    """The printer's host from a CUPS device URI (SNMP on port 161, whatever the URI's port)."""
    try:
        parts = urlsplit(uri.strip())
        host = parts.hostname
    except ValueError:
        return None, f"bad device URI {uri}"
    if parts.scheme.lower() not in _URI_SCHEMES:
        return None, f"device URI {parts.scheme or uri}: is not a network printer"
    if not host:
        return None, f"device URI {uri} has no host"
    try:
        return str(parse_address(f"[{host}]" if ":" in host else host)), ""
    except AddressError:
        return None, f"device URI host {host} is not an address"


# ---------------------------------------------------------------- windows-export


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the CSV importer's rule (core/inventory/importers.py)


def _csv_rows(text: str, source: SyncSource, what: str, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Export-Csv text → [(line number, {lower-case column: value})]; `#TYPE` line skipped."""
    lines = _LINE_BREAK.split(text.removesuffix("\n"))  # not splitlines(): U+0085 in a queue name is data
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1  # "#TYPE Microsoft.Management.Infrastructure.CimInstance#..." (PowerShell 5.1)
    if start >= len(lines):
        raise SyncSourceError(source.name, f"{what} is empty")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    except csv.Error as exc:
        raise SyncSourceError(source.name, f"{what} is not a CSV file: {exc}") from None
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in required if c.lower() not in header]
    if missing:
        raise SyncSourceError(
            source.name,
            f"{what}: line {start + 1}: missing column {', '.join(missing)} "
            f"(has: {safe_text(','.join(rows[0]), limit=200)}); is this Get-Printer | Export-Csv output?",
        )
    out = []
    for n, values in enumerate(rows[1:], start + 2):
        if not any(v.strip() for v in values):
            continue
        out.append((n, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}))
    return out


def _host_address(port_row: dict[str, Any]) -> str:
    for key in ("printerhostaddress", "hostaddress", "printerhostip"):
        value = port_row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _lower_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in obj.items()}


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _queue_from_printer(printer: dict[str, Any], ports: dict[str, dict[str, Any]], origin: str,
                        prefix: str = "") -> SourceQueue | str:
    name = _str(printer.get("name")).strip()
    if not name:
        return f"{origin}: no printer name"
    port = _str(printer.get("portname")).strip()
    # a printer may print to several ports ("IP_1,IP_2"): the first one is its address
    first_port = port.split(",")[0].strip() if port else ""
    port_row = ports.get(first_port.lower(), {})
    address, why = address_from_port(first_port, _host_address(port_row))
    return SourceQueue(
        queue=prefix + name, address=address, name=name, port=port, origin=origin,
        comment=_str(printer.get("comment")), why_no_address=why,
    )


def read_windows_export(source: SyncSource) -> SourceListing:
    _require(source)
    text = decode_text(_read_file(source, source.path, "export file"))
    stripped = text.lstrip()
    ports: dict[str, dict[str, Any]] = {}
    if source.ports_path:
        ports_text = decode_text(_read_file(source, source.ports_path, "ports file"))
        for _, row in _csv_rows(ports_text, source, f"ports file {source.ports_path}", ("Name",)):
            ports[row["name"].strip().lower()] = row
    if stripped.startswith(("{", "[")):
        return _read_export_json(source, stripped, ports)
    queues: list[SourceQueue] = []
    problems: list[str] = []
    for n, row in _csv_rows(text, source, f"export file {source.path}", ("Name", "PortName")):
        item = _queue_from_printer(row, ports, f"line {n}")
        if isinstance(item, str):
            problems.append(item)
        else:
            queues.append(item)
    return SourceListing(source, queues, problems)


def _read_export_json(source: SyncSource, text: str, extra_ports: dict[str, dict[str, Any]]) -> SourceListing:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SyncSourceError(source.name, f"export file {source.path} is not valid JSON: "
                                           f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    servers: list[tuple[str, list[Any], list[Any]]]
    if isinstance(doc, dict) and isinstance(doc.get("servers"), list):
        if doc.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
            raise SyncSourceError(source.name, f"export file format {doc.get('format')!r} is not {EXPORT_FORMAT!r}")
        servers = []
        for i, srv in enumerate(doc["servers"], 1):
            if not isinstance(srv, dict):
                raise SyncSourceError(source.name, f"servers[{i}] is not an object")
            srv = _lower_keys(srv)
            printers, port_list = srv.get("printers") or [], srv.get("ports") or []
            if isinstance(printers, dict):  # ConvertTo-Json of a one-element array
                printers = [printers]
            if isinstance(port_list, dict):
                port_list = [port_list]
            if not isinstance(printers, list) or not isinstance(port_list, list):
                raise SyncSourceError(source.name, f"servers[{i}]: printers and ports must be lists")
            servers.append((_str(srv.get("server") or srv.get("computername")).strip(), printers, port_list))
    elif isinstance(doc, (dict, list)):  # plain Get-Printer | ConvertTo-Json
        servers = [("", doc if isinstance(doc, list) else [doc], [])]
    else:
        raise SyncSourceError(source.name, "export file: expected an object with 'servers' or a list of printers")
    several = len(servers) > 1
    queues: list[SourceQueue] = []
    problems: list[str] = []
    for server, printers, port_list in servers:
        ports = dict(extra_ports)
        for p in port_list:
            if isinstance(p, dict):
                p = _lower_keys(p)
                ports[_str(p.get("name")).strip().lower()] = p
        prefix = f"\\\\{server}\\" if several and server else ""
        for i, printer in enumerate(printers, 1):
            origin = f"{server + ' ' if server else ''}printer #{i}"
            if not isinstance(printer, dict):
                problems.append(f"{origin}: not an object")
                continue
            printer = _lower_keys(printer)
            if "portname" not in printer:
                problems.append(f"{origin}: no PortName")
                continue
            item = _queue_from_printer(printer, ports, origin, prefix)
            if isinstance(item, str):
                problems.append(item)
            else:
                queues.append(item)
    return SourceListing(source, queues, problems)


# ---------------------------------------------------------------- csv


def read_csv_source(source: SyncSource) -> SourceListing:
    _require(source)
    data = decode_text(_read_file(source, source.path, "CSV file")).encode("utf-8")
    try:
        rows, _ = parse_csv(data, source.path, SnmpSettings())
    except ImportFileError as exc:
        raise SyncSourceError(source.name, str(exc)) from None
    queues = [
        SourceQueue(queue=row.fields.get("name") or row.address, address=row.address,
                    name=row.fields.get("name", ""), location=row.fields.get("location", ""), origin=row.origin)
        for row in rows
    ]
    return SourceListing(source, queues, [])


# ---------------------------------------------------------------- running programs


def _run(source: SyncSource, argv: list[str], what: str) -> str:
    """Run a program (no shell) with the source's timeout; its stdout, or SyncSourceError."""
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                              timeout=source.timeout_s, check=False)
    except FileNotFoundError:
        raise SyncSourceError(source.name, f"{argv[0]} is not installed ({what})") from None
    except subprocess.TimeoutExpired:
        raise SyncSourceError(source.name, f"{what} did not finish within {source.timeout_s:g} s "
                                           f"(server {source.server} unreachable?)") from None
    except OSError as exc:
        raise SyncSourceError(source.name, f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    out = proc.stdout[:MAX_OUTPUT_BYTES].decode("utf-8", "replace")
    if proc.returncode != 0:
        err = safe_text(proc.stderr.decode("utf-8", "replace") or out, limit=300) or f"exit status {proc.returncode}"
        raise SyncSourceError(source.name, f"{what} failed: {err}")
    return out


def _program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(name)
    return found


# ---------------------------------------------------------------- cups

_LPSTAT_DEVICE = re.compile(r"^device for (\S+?):\s+(\S.*)$")


def parse_lpstat_v(text: str) -> list[SourceQueue]:
    queues = []
    for line in text.splitlines():
        m = _LPSTAT_DEVICE.match(line.strip())
        if not m:
            continue
        queue, uri = m.group(1), m.group(2).strip()
        address, why = address_from_uri(uri)
        queues.append(SourceQueue(queue=queue, address=address, name=queue, port=uri, origin=f"queue {queue}",
                                  why_no_address=why))
    return queues


def read_cups(source: SyncSource) -> SourceListing:
    _require(source)
    try:
        lpstat = _program("lpstat")
    except FileNotFoundError:
        raise SyncSourceError(source.name, "lpstat is not installed (Debian: apt install cups-client)") from None
    out = _run(source, [lpstat, "-h", source.server, "-v"], f"lpstat -h {source.server} -v")
    return SourceListing(source, parse_lpstat_v(out), [])


# ---------------------------------------------------------------- windows-rpc

_RPC_FIELD = re.compile(r"^\s*([A-Za-z ]+?):\s*\[(.*)\]\s*$")


def _rpc_records(text: str, first_key: str) -> list[dict[str, str]]:
    """rpcclient's `key:[value]` blocks; a new record starts at `first_key`."""
    records: list[dict[str, str]] = []
    for line in text.splitlines():
        m = _RPC_FIELD.match(line)
        if not m:
            continue
        key, value = m.group(1).strip().lower(), m.group(2)
        if key == first_key or not records:
            records.append({})
        records[-1][key] = value
    return records


def parse_rpcclient(printers_text: str, ports_text: str = "") -> tuple[list[SourceQueue], list[str]]:
    """`enumprinters 2` (blocks from `servername:[...]`) joined with `enumports 2` by port name."""
    ports = {r.get("port name", "").lower(): r for r in _rpc_records(ports_text, "port name")}
    first = "servername" if re.search(r"^\s*servername:", printers_text, re.M) else "printername"
    queues, problems = [], []
    for i, rec in enumerate(_rpc_records(printers_text, first), 1):
        full = rec.get("printername", "")
        if not full:
            problems.append(f"printer #{i}: no printername in rpcclient's output")
            continue
        name = full.rsplit("\\", 1)[-1]  # \\SERVER\queue -> queue
        port = rec.get("portname", "")
        first_port = port.split(",")[0].strip()
        monitor = ports.get(first_port.lower(), {}).get("monitor name", "")
        if monitor.lower() == "local port":
            address, why = None, f"local port {first_port}"
        else:
            address, why = address_from_port(first_port)
        queues.append(SourceQueue(queue=name, address=address, name=name, port=port, origin=f"printer {name}",
                                  comment=rec.get("comment", ""), why_no_address=why))
    return queues, problems


def _auth_file(source: SyncSource) -> tuple[str | None, bool]:
    """(path for -A, is_temporary). The password never goes on a command line (_require checked the fields)."""
    if source.credentials_file:
        given = Path(source.credentials_file).expanduser()
        if not given.is_file():
            raise SyncSourceError(source.name, f"credentials file {given} does not exist")
        return str(given), False
    if source.password_env:
        password = os.environ.get(source.password_env)
        if password is None:
            raise SyncSourceError(source.name, f"environment variable {source.password_env} is not set")
        if any(c in password for c in "\r\n") or any(c in source.username + source.domain for c in "\r\n"):
            raise SyncSourceError(source.name, "user name, domain or password contains a line break")
        fd, path = tempfile.mkstemp(prefix="tonertrack-rpc-", suffix=".auth")  # created 0600
        try:
            lines = [f"username = {source.username}", f"password = {password}"]
            if source.domain:
                lines.append(f"domain = {source.domain}")
            os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return path, True
    return None, False


def read_windows_rpc(source: SyncSource) -> SourceListing:
    _require(source)
    try:
        rpcclient = _program("rpcclient")
    except FileNotFoundError:
        raise SyncSourceError(source.name, "rpcclient is not installed (Debian: apt install smbclient)") from None
    auth, temporary = _auth_file(source)
    try:
        base = [rpcclient]
        if auth:
            base += ["-A", auth]
        elif source.username:
            base += ["-U", source.username, "-N"]  # a user without a password: never "user%password"
        else:
            base += ["-N"]
        server = source.server
        printers = _run(source, base + ["-c", "enumprinters 2", server], f"rpcclient enumprinters on {server}")
        ports = _run(source, base + ["-c", "enumports 2", server], f"rpcclient enumports on {server}")
    finally:
        if temporary and auth:
            try:
                os.unlink(auth)
            except OSError:
                pass
    queues, problems = parse_rpcclient(printers, ports)
    return SourceListing(source, queues, problems)


# ---------------------------------------------------------------- reading a source

READERS = {
    "windows-export": read_windows_export,
    "csv": read_csv_source,
    "cups": read_cups,
    "windows-rpc": read_windows_rpc,
}


def read_source(source: SyncSource) -> SourceListing:
    """Every queue of a source, or SyncSourceError (nothing is changed either way)."""
    reader = READERS.get(source.kind)
    if reader is None:
        raise SyncSourceError(source.name, f"unknown kind {source.kind!r}")
    listing = reader(source)
    if not listing.queues:
        raise SyncSourceError(source.name, "lists no printers; refusing to flag every printer of this source "
                                           "as not on the server (check the export or the server)")
    return listing


# ---------------------------------------------------------------- the plan


@dataclass(slots=True)
class Change:
    """What sync does to one printer. `fields` maps record field -> [old, new]."""

    kinds: tuple[str, ...]  # from CHANGE_KINDS; a printer may be renamed and relocated at once
    source: str
    queue: str
    address: str  # the address after the change
    printer_id: str | None  # None for an addition (the id is made when applied)
    fields: dict[str, list[Any]]
    name: str = ""

    @property
    def kind(self) -> str:
        return self.kinds[0]

    def describe(self) -> str:
        """One line for people (raw texts: pass through safe_text before showing)."""
        parts = []
        for key in ("address", "name", "location"):
            if key in self.fields:
                old, new = self.fields[key]
                parts.append(f"{key} {old or '-'} -> {new or '-'}" if old is not None else f"{key} {new or '-'}")
        if "not_on_server" in self.fields:
            parts.append("not on the server" if self.fields["not_on_server"][1] else "back on the server")
        if "source" in self.fields and self.kind == "link":
            parts.append(f"linked to queue {self.queue}")
        return "; ".join(parts)

    def signature(self) -> ChangeSignature:
        return (self.kinds, self.source, self.queue, self.address, self.printer_id,
                json.dumps(self.fields, sort_keys=True, default=str))


# what makes two changes the same: kinds, source, queue, address, printer id, fields as JSON
ChangeSignature = tuple[tuple[str, ...], str, str, str, str | None, str]


@dataclass(slots=True)
class SyncPlan:
    changes: list[Change] = field(default_factory=list)
    unchanged: list[tuple[str, str, str]] = field(default_factory=list)  # (source, queue, address)
    problems: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # sources that could not be read

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if kind in c.kinds]

    @property
    def add(self) -> list[Change]:
        return self.of("add")

    @property
    def rename(self) -> list[Change]:
        return self.of("rename")

    @property
    def move(self) -> list[Change]:
        return self.of("move")

    @property
    def relocate(self) -> list[Change]:
        return self.of("relocate")

    @property
    def flag(self) -> list[Change]:
        return self.of("flag")

    @property
    def link(self) -> list[Change]:
        return self.of("link")

    def counts(self) -> dict[str, int]:
        out = {k: len(self.of(k)) for k in CHANGE_KINDS}
        out["unchanged"] = len(self.unchanged)
        out["problems"] = len(self.problems)
        return out

    @property
    def empty(self) -> bool:
        return not self.changes

    def signature(self) -> list[ChangeSignature]:
        return sorted(c.signature() for c in self.changes)


def _source_json(ref: SourceRef | None) -> dict[str, str] | None:
    """A printer's source as the plan and the audit log show it."""
    return ref.to_json() if ref is not None else None


def _checked_queue(q: SourceQueue, source: SyncSource, plan: SyncPlan) -> SourceQueue:
    """The queue with a name and location that follow the rules of typed text (core/inventory/
    validate.py); one that does not is reported and not taken (the printer is still synced)."""
    name_problem = validate.check_name(q.name)
    if name_problem:
        plan.problems.append(f"{source.name}: queue {q.queue}: {name_problem} (the name is not taken)")
        q = replace(q, name="")
    location_problem = validate.check_location(q.location or source.location)
    if location_problem:
        plan.problems.append(f"{source.name}: queue {q.queue}: {location_problem} (the location is not taken)")
        q = replace(q, location="")
    return q


def _merge_listing(listing: SourceListing, printers: list[Printer], plan: SyncPlan) -> None:
    """Apply one source's merge rules to `printers` in place, recording every change in `plan`."""
    source = listing.source
    sname = source.name
    source_location = source.location if validate.check_location(source.location) is None else ""
    plan.sources.append(sname)
    plan.problems.extend(f"{sname}: {p}" for p in listing.problems)

    # one queue per address; the others are reported
    first_for: dict[str, SourceQueue] = {}
    wanted: list[tuple[str, SourceQueue]] = []  # (its address, the queue)
    listed_queues: set[str] = set()
    for q in listing.queues:
        listed_queues.add(q.queue)
        address = q.address
        if address is None:
            plan.problems.append(f"{sname}: queue {q.queue}: no address ({q.why_no_address or 'unknown port'})")
            continue
        q = _checked_queue(q, source, plan)
        if address in first_for:
            plan.problems.append(f"{sname}: queue {q.queue}: same address {address} as queue "
                                 f"{first_for[address].queue} (duplicate; {first_for[address].queue} is used)")
            continue
        first_for[address] = q
        wanted.append((address, q))

    by_address = {p.address: p for p in printers}
    claimed: set[str] = set()
    pending: list[tuple[str, SourceQueue]] = []

    def update(printer: Printer, q: SourceQueue, kinds: list[str], fields: dict[str, list[Any]]) -> None:
        new_name = q.name
        if new_name and not printer.user_overridden and printer.name != new_name:
            fields["name"] = [printer.name, new_name]
            printer.name = new_name
            kinds.append("rename")
        location = q.location or source_location
        if location and not printer.location_user_set and printer.location != location:
            fields["location"] = [printer.location, location]
            printer.location = location
            kinds.append("relocate")
        new_source = SourceRef(sname, q.queue)
        if printer.source != new_source:
            fields["source"] = [_source_json(printer.source), new_source.to_json()]
            printer.source = new_source
            if not kinds:
                kinds.append("link")
        if printer.not_on_server:
            fields["not_on_server"] = [True, False]
            printer.not_on_server = False
            if not kinds:
                kinds.append("link")
        if not fields:
            plan.unchanged.append((sname, q.queue, printer.address))
            return
        plan.changes.append(Change(tuple(dict.fromkeys(kinds)), sname, q.queue, printer.address, printer.id,
                                   fields, name=printer.name))

    # 1. known addresses
    for address, q in wanted:
        printer = by_address.get(address)
        if printer is None:
            pending.append((address, q))
            continue
        ref = printer.source
        if ref is not None and ref.name != sname and not printer.not_on_server:
            plan.problems.append(f"{sname}: queue {q.queue}: {address} is already synced from source "
                                 f"{ref.name} (queue {ref.queue}); left as it is")
            claimed.add(printer.id)
            continue
        claimed.add(printer.id)
        update(printer, q, [], {})

    # 2. new addresses: a queue of this source that moved, else a new printer
    by_queue: dict[str, Printer] = {}
    for p in printers:
        if p.source is not None and p.source.name == sname and p.id not in claimed:
            by_queue.setdefault(p.source.queue, p)
    for address, q in pending:
        moved = by_queue.pop(q.queue, None)
        if moved is not None:
            claimed.add(moved.id)
            old_address = moved.address
            by_address.pop(old_address, None)
            moved.address = address
            by_address[address] = moved
            update(moved, q, ["move"], {"address": [old_address, address]})
            continue
        location = q.location or source_location
        new_source = SourceRef(sname, q.queue)
        added = Printer.new(address, name=q.name, location=location)
        added.user_overridden = False  # named and placed by the source, not by the user
        added.location_user_set = False
        added.source = new_source
        printers.append(added)
        by_address[address] = added
        claimed.add(added.id)
        fields: dict[str, list[Any]] = {"address": [None, address], "name": [None, q.name],
                                        "location": [None, location], "source": [None, new_source.to_json()]}
        plan.changes.append(Change(("add",), sname, q.queue, address, None, fields, name=q.name))

    # 3. printers of this source it no longer lists
    for p in printers:
        ref = p.source
        if ref is None or ref.name != sname or p.id in claimed:
            continue
        if ref.queue in listed_queues:
            continue  # listed, but without a usable address this time: reported above, not flagged
        if not p.not_on_server:
            p.not_on_server = True
            plan.changes.append(Change(("flag",), sname, ref.queue, p.address, p.id,
                                       {"not_on_server": [False, True]}, name=p.name))


def plan_sync(listings: Iterable[SourceListing], printers: list[Printer], *,
              in_place: bool = False) -> SyncPlan:
    """The changes sync would make (on a copy of `printers` unless `in_place`)."""
    work = printers if in_place else [p.copy() for p in printers]
    plan = SyncPlan()
    for listing in listings:
        _merge_listing(listing, work, plan)
    return plan


# ---------------------------------------------------------------- applying


def _audit_entries(plan: SyncPlan, printers: list[Printer]) -> list[dict[str, Any]]:
    """One audit line per change (an added printer's id is the one it got in the transaction)."""
    ids = {p.address: p.id for p in printers} if plan.add else {}
    return [
        {"action": "sync", "source": change.source, "change": "+".join(change.kinds), "queue": change.queue,
         "printer": change.address, "id": change.printer_id or ids.get(change.address),
         "changes": change.fields}
        for change in plan.changes
    ]


def apply_plan(plan: SyncPlan, listings: list[SourceListing], store: Store) -> SyncPlan:
    """Write the plan in ONE transaction (PlanChanged if the inventory moved meanwhile), with
    its audit lines."""
    if plan.empty:
        return plan

    def apply(printers: list[Printer]) -> tuple[SyncPlan, list[dict[str, Any]]]:
        fresh = plan_sync(listings, printers, in_place=True)
        if fresh.signature() != plan.signature():
            raise PlanChanged("the inventory changed while the plan was shown; nothing was applied: "
                              "run sync again to see the new plan")
        return fresh, _audit_entries(fresh, printers)

    applied, _ = store.transact(apply, audit=None, audit_entries=lambda result: result[1])
    return applied


def missing_field(source: SyncSource) -> tuple[str, str] | None:
    """(field, "kind K needs FIELD = what it is") when the field the kind reads is empty, else None."""
    field_name, what = KIND_NEEDS.get(source.kind, ("", ""))
    if field_name and not str(getattr(source, field_name)).strip():
        return field_name, f"kind {source.kind} needs {field_name} = {what}"
    return None


def credential_problem(source: SyncSource) -> tuple[str, str] | None:
    """(field, problem) for windows-rpc credentials given in a way that cannot work, else None."""
    if source.kind != "windows-rpc":
        return None
    if source.credentials_file and source.password_env:
        return "password_env", "give credentials_file or password_env, not both"
    if source.password_env and not source.username:
        return "username", "password_env needs username"
    return None


def _require(source: SyncSource) -> None:
    problem = missing_field(source) or credential_problem(source)
    if problem:
        raise SyncSourceError(source.name, problem[1])


def read_sources(sources: Iterable[SyncSource]) -> tuple[list[SourceListing], list[SyncSourceError]]:
    """Read every source; a failing one is returned as its error (its printers stay as they are)."""
    listings, errors = [], []
    for source in sources:
        try:
            listings.append(read_source(source))
        except SyncSourceError as exc:
            errors.append(exc)
    return listings, errors


def select_sources(all_sources: Iterable[SyncSource], name: str | None = None) -> list[SyncSource]:
    """The enabled sources, or the one named (enabled or not); SyncError if there is none."""
    sources = list(all_sources)
    if name is not None:
        chosen = [s for s in sources if s.name == name]
        if not chosen:
            known = ", ".join(s.name for s in sources) or "none configured"
            raise SyncError(f"no sync source named {name!r} (sources: {known})")
        return chosen
    enabled = [s for s in sources if s.enabled]
    if not enabled:
        raise SyncError("no sync sources configured: add [[sync.sources]] tables to the config "
                        "(see config.example.toml)")
    return enabled


__all__ = [
    "KIND_FIELDS", "KIND_NEEDS", "Change", "PlanChanged", "SourceListing", "SourceQueue", "SyncError", "SyncPlan",
    "SyncSourceError", "address_from_port", "address_from_uri", "apply_plan", "credential_problem", "decode_text",
    "is_local_port", "missing_field", "parse_lpstat_v", "parse_rpcclient", "plan_sync", "read_source",
    "read_sources", "select_sources",
]
