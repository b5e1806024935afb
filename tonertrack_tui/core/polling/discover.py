"""Find SNMP printers on an address range: a light probe per address, concurrent and bounded.

Per address, one GETNEXT asks for sysDescr, sysName, the first hrDeviceType/hrDeviceDescr
row, prtGeneralSerialNumber and the first cell of prtMarkerSuppliesTable. A device
whose first hrDevice row is not a printer gets one more request that reads a few more
hrDevice rows (a printer's row is not always 1). A **candidate** is a device that
answers and has an hrDevice printer row or Printer-MIB supplies; its model is
hrDeviceDescr of the printer row, else a cleaned sysDescr (core/decode.py's rules).
A dead address costs one timeout window (timeout × (retries + 1)) and holds one of at
most `concurrency` slots: a /24 with 1 s × 1 retry and 64 slots takes about 8 s.

IPP (issue 17): beside the SNMP probe, each address is asked Get-Printer-Attributes on TCP
`ipp_port` (631) at `/ipp/print` (the IPP Everywhere path), in the same window. A printer
that answers IPP but not SNMP is found as `ipp://host/ipp/print` (`protocol: "ipp"`); when
SNMP answers, the IPP probe is cancelled and the SNMP finding stands. A refused connection
ends the IPP probe at once, so a dead address still costs one window, not two.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ..address import Address
from ..inventory.printer import Printer
from ..inventory.store import Store
from ..ipp.codec import IppDecodeError, decode_response, encode_get_printer_attributes
from ..ipp.poll import decode_identity as ipp_identity
from ..ipp.transport import IppTimeout, IppTransportError, parse_ipp_uri, post
from ..printer import mib
from ..printer.decode import decode_identity
from ..snmp import ber
from ..snmp.client import Endpoint, SnmpClient, SnmpError, SnmpTimeout
from ..snmp.credentials import SnmpSettings

OID = tuple[int, ...]
CONFIRM_ABOVE = 4096  # addresses: a bigger range must be confirmed (--yes)
MAX_RANGE = 65536  # a /16: beyond that a scan is a mistake, not an inventory
HR_ROWS = 16  # hrDevice rows read when the first one is not the printer
IPP_PORT = 631
IPP_PATH = "/ipp/print"
_IPP_PROBE = ("printer-name", "printer-info", "printer-make-and-model", "printer-device-id", "printer-state")

_PROBE = [mib.SYS_DESCR, mib.SYS_NAME, mib.HR_DEVICE_TYPE, mib.HR_DEVICE_DESCR, mib.PRT_GENERAL_SERIAL,
          mib.PRT_SUPPLIES_ENTRY]
_SYS_DESCR_0 = mib.SYS_DESCR + (0,)
_SYS_NAME_0 = mib.SYS_NAME + (0,)

ProgressCallback = Callable[[int, int, "Found | None"], None]


class RangeError(ValueError):
    """A RANGE that cannot be scanned (the message says why)."""


@dataclass(slots=True)
class Found:
    """One address that answered SNMP."""

    address: str
    printer: bool
    name: str | None = None
    model: str | None = None
    serial: str | None = None
    description: str | None = None
    why: str = ""  # "hrDevice printer", "Printer-MIB supplies", or why it is not a printer
    in_inventory: bool = False
    protocol: str = "snmp"  # snmp | ipp: what it answered (issue 17)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class DiscoverResult:
    scanned: int
    found: list[Found]
    seconds: float

    @property
    def printers(self) -> list[Found]:
        return [f for f in self.found if f.printer]


# ---------------------------------------------------------------- ranges


def range_size(text: str) -> int:
    """How many addresses RANGE covers (without listing them)."""
    first, last = _bounds(text)
    return int(last) - int(first) + 1


def _bounds(text: str) -> tuple[ipaddress._BaseAddress, ipaddress._BaseAddress]:
    text = (text or "").strip()
    if not text:
        raise RangeError("empty range")
    try:
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
            if net.version == 4 and net.prefixlen < 31:
                return net.network_address + 1, net.broadcast_address - 1  # no network/broadcast address
            if net.version == 6 and net.prefixlen < 127:
                return net.network_address + 1, net.broadcast_address
            return net.network_address, net.broadcast_address
        if "-" in text:
            a, b = (p.strip() for p in text.split("-", 1))
            first = ipaddress.ip_address(a)
            if b.isdigit() and first.version == 4 and "." not in b:  # 10.0.0.1-50
                b = a.rsplit(".", 1)[0] + "." + b
            last = ipaddress.ip_address(b)
        else:
            first = last = ipaddress.ip_address(text)
    except ValueError as exc:
        raise RangeError(f"{text!r} is not a range: give a CIDR (10.1.2.0/24) or first-last "
                         f"(10.1.2.1-10.1.2.254) ({exc})") from None
    if first.version != last.version:
        raise RangeError(f"{text!r} mixes IPv4 and IPv6")
    if int(last) < int(first):
        raise RangeError(f"{text!r}: the last address is before the first")
    return first, last


def expand_range(text: str, *, limit: int = MAX_RANGE) -> list[str]:
    """The addresses of RANGE as strings; RangeError when invalid or larger than `limit`."""
    first, last = _bounds(text)
    count = int(last) - int(first) + 1
    if count > limit:
        raise RangeError(f"{text} covers {count:,} addresses; at most {limit:,} can be scanned at once")
    return [str(first + i) for i in range(count)]


# ---------------------------------------------------------------- probing


def _in(oid: OID, prefix: OID) -> bool:
    return len(oid) > len(prefix) and oid[: len(prefix)] == prefix


async def _getnext(client: SnmpClient, endpoint: Endpoint, oids: list[OID]) -> dict[OID, Any]:
    """One GETNEXT; on SNMPv1 noSuchName (end of the MIB) the offending var-bind is dropped and retried."""
    values: dict[OID, Any] = {}
    oids = list(oids)
    for _ in range(len(oids) + 1):
        if not oids:
            break
        reply = await client.request(endpoint, ber.GETNEXT, oids)
        if reply.error_status == 0:
            for (name, value), asked in zip(reply.varbinds, oids, strict=False):
                if value not in ber.SNMP_EXCEPTIONS and _in(name, asked):
                    values[name] = value
            break
        if reply.error_status == 2 and 1 <= reply.error_index <= len(oids):  # noSuchName
            del oids[reply.error_index - 1]
            continue
        raise SnmpError(f"the device answered {reply.error_name}")
    return values


async def probe(client: SnmpClient, address: str, settings: SnmpSettings, port: int = 161) -> Found | None:
    """What one address is (None when it does not answer SNMP)."""
    host = address
    target = str(Address(host, port))
    try:
        endpoint = await client.resolve(host, port, settings)
        values = await _getnext(client, endpoint, _PROBE)
        has_supplies = any(_in(o, mib.PRT_SUPPLIES_ENTRY) for o in values)
        types = [(o, v) for o, v in values.items() if _in(o, mib.HR_DEVICE_TYPE)]
        if types and types[0][1] != mib.HR_DEVICE_PRINTER and not has_supplies:
            # the printer may be a later hrDevice row: read a few more (type and description)
            rows = await _hr_rows(client, endpoint, types[0][0])
            values.update(rows)
    except SnmpTimeout:
        return None
    except SnmpError as exc:
        return Found(target, False, why=f"answered, but {exc}")
    except ValueError:
        return None
    if not values:
        return None
    identity, printer_row = decode_identity(values)
    has_supplies = any(_in(o, mib.PRT_SUPPLIES_ENTRY) for o in values)
    is_printer = printer_row is not None or has_supplies
    if printer_row is not None:
        why = "hrDevice printer"
    elif has_supplies:
        why = "Printer-MIB supplies"
    else:
        why = "no printer device and no Printer-MIB"
    return Found(target, is_printer, name=identity.name, model=identity.model if is_printer else None,
                 serial=identity.serial, description=identity.description, why=why)


async def probe_ipp(address: str, *, port: int = IPP_PORT, timeout: float = 2.0) -> Found | None:
    """What one address is over IPP (None when nothing answers IPP on `port`): one
    Get-Printer-Attributes for a few identity attributes at /ipp/print, within `timeout`."""
    host = f"[{address}]" if ":" in address else address
    try:
        uri = parse_ipp_uri(f"ipp://{host}:{port}{IPP_PATH}")
    except ValueError:
        return None
    target = str(uri)
    try:
        reply = await post(uri, encode_get_printer_attributes(target, 1, _IPP_PROBE), timeout=timeout)
        response = decode_response(reply.body)
    except IppTimeout:
        return None
    except IppTransportError as exc:
        if str(exc).startswith("cannot connect"):
            return None  # nothing listens there (refused, unreachable)
        return Found(target, False, why=f"TCP {port} answers, but not as an IPP printer ({exc})", protocol="ipp")
    except IppDecodeError as exc:
        return Found(target, False, why=f"TCP {port} answers, but not IPP ({exc})", protocol="ipp")
    if not response.ok or not response.printer:
        return Found(target, False, why=f"answers IPP, but {IPP_PATH} is not a printer "
                     f"(IPP status 0x{response.status:04x})", protocol="ipp")
    identity = ipp_identity(response.printer)
    return Found(target, True, name=identity.name, model=identity.model, serial=identity.serial,
                 description=identity.description, why="IPP printer (no SNMP answer)", protocol="ipp")


async def _probe_both(client: SnmpClient, address: str, settings: SnmpSettings, port: int,
                      ipp_port: int | None) -> Found | None:
    """SNMP and IPP side by side in one window; SNMP's finding wins when it has one."""
    if not ipp_port:
        return await probe(client, address, settings, port)
    window = settings.timeout * (settings.retries + 1)
    ipp = asyncio.ensure_future(probe_ipp(address, port=ipp_port, timeout=window))
    try:
        found = await probe(client, address, settings, port)
        if found is not None and (found.printer or found.why.startswith("answered, but")):
            return found
        ipp_found = await ipp
        if ipp_found is not None and (ipp_found.printer or found is None):
            return ipp_found
        return found
    finally:
        if not ipp.done():
            ipp.cancel()


async def _hr_rows(client: SnmpClient, endpoint: Endpoint, after: OID) -> dict[OID, Any]:
    """hrDeviceType and hrDeviceDescr of up to HR_ROWS rows after `after` (bounded)."""
    values: dict[OID, Any] = {}
    index = after[len(mib.HR_DEVICE_TYPE):]
    for _ in range(HR_ROWS):
        got = await _getnext(client, endpoint, [mib.HR_DEVICE_TYPE + index, mib.HR_DEVICE_DESCR + index])
        types = [o for o in got if _in(o, mib.HR_DEVICE_TYPE)]
        if not types or types[0] <= mib.HR_DEVICE_TYPE + index:
            break
        values.update(got)
        if got[types[0]] == mib.HR_DEVICE_PRINTER:
            break
        index = types[0][len(mib.HR_DEVICE_TYPE):]
    return values


async def discover(client: SnmpClient, addresses: Iterable[str], settings: SnmpSettings, *, port: int = 161,
                   concurrency: int = 64, known: Iterable[str] = (),
                   progress: ProgressCallback | None = None, ipp_port: int | None = IPP_PORT) -> DiscoverResult:
    """Probe every address (at most `concurrency` at a time); results in address order.
    `ipp_port` None or 0: SNMP only."""
    started = time.perf_counter()
    items = list(addresses)
    known_set = set(known)
    semaphore = asyncio.Semaphore(max(1, concurrency))
    results: list[Found | None] = [None] * len(items)
    done = 0

    async def one(i: int, address: str) -> None:
        nonlocal done
        async with semaphore:
            found = await _probe_both(client, address, settings, port, ipp_port)
        if found is not None:
            found.in_inventory = found.address in known_set
            results[i] = found
        done += 1
        if progress is not None:
            progress(done, len(items), found)

    await asyncio.gather(*(one(i, a) for i, a in enumerate(items)))
    return DiscoverResult(len(items), [f for f in results if f is not None], time.perf_counter() - started)


def records_for(found: Iterable[Found], snmp: dict[str, Any] | None = None) -> list[Printer]:
    """New inventory printers for discovered ones (named by sysName until the user names them)."""
    out = []
    for f in found:
        printer = Printer.new(f.address, snmp=snmp or {}, model=f.model, serial=f.serial)
        if f.protocol == "ipp":
            printer.protocol = "ipp"
        printer.name = f.name or ""  # not user_overridden: the sysName, until the user names it
        out.append(printer)
    return out


def add_found(store: Store, found: Iterable[Found], snmp: dict[str, Any] | None = None) -> list[Printer]:
    """Add the printers not yet in the inventory, in ONE transaction; returns the added printers."""
    printers = records_for(found, snmp)

    def apply(existing: list[Printer]) -> list[Printer]:
        addresses = {p.address for p in existing}
        added = []
        for printer in printers:
            if printer.address in addresses:
                continue  # added meanwhile (by another process): nothing to do
            existing.append(printer)
            addresses.add(printer.address)
            added.append(printer)
        return added

    return store.transact(apply, audit="add")
