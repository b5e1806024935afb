"""What to ask a printer, in as few request PDUs as possible.

A poll reads a handful of scalars and parts of six tables. Each table part is a
*range* (a table entry and a span of its columns) read in lexicographic order by
GETBULK repeaters, so one repeater walks several columns; scalars ride along as
non-repeaters (GETNEXT semantics, so a printer whose hrDeviceIndex is not 1 works).

First poll ("cold"): every column we decode. Later polls ("steady"): only the columns
that change (levels, status, alerts); descriptions, types, colours … come from a
per-printer cache that is dropped when prtGeneralConfigChanges moves, sysUpTime goes
backwards (a reboot), or the set of supply/tray rows changes.

Every walk is bounded: a row cap per table, a stop on a non-increasing OID, on
endOfMibView, on the first error, and a cap on requests per poll. A printer that
answers tooBig/genErr to a large request is asked again with smaller requests, then
with GETNEXT.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..snmp import ber
from ..snmp.client import Endpoint, Reply, SnmpClient, SnmpError, SnmpTimeout
from . import counters, mib

OID = tuple[int, ...]

MAX_ROWS_PER_TABLE = 2048  # a printer with more rows than this is broken or hostile
MAX_REQUESTS_PER_POLL = 400
DEFAULT_BUDGET = 60  # var-binds per reply: snmpsim caps at 64, many printers at less
STATIC_MAX_AGE_S = 6 * 3600.0  # re-read static columns at least this often


@dataclass(frozen=True, slots=True)
class Range:
    """Columns first_col..last_col of one table entry."""

    name: str
    entry: OID
    first_col: int
    last_col: int

    @property
    def start(self) -> OID:
        return self.entry + (self.first_col,)

    def contains(self, name: OID) -> bool:
        n = len(self.entry)
        return (
            len(name) > n + 1
            and name[:n] == self.entry
            and self.first_col <= name[n] <= self.last_col
        )

    @property
    def columns(self) -> int:
        return self.last_col - self.first_col + 1


# Scalars, asked with GETNEXT semantics from the column/object OID: the first instance wins.
SCALARS: tuple[OID, ...] = (
    mib.SYS_DESCR, mib.SYS_OBJECT_ID, mib.SYS_UPTIME, mib.SYS_CONTACT, mib.SYS_NAME, mib.SYS_LOCATION,
    mib.PRT_GENERAL_CONFIG_CHANGES, mib.PRT_GENERAL_SERIAL, mib.PRT_MARKER_LIFE_COUNT,
)
# Steady polls read every marker's count as a cell (STEADY_COLUMNS), not as a scalar.
STEADY_SCALARS = tuple(s for s in SCALARS if s != mib.PRT_MARKER_LIFE_COUNT)

COLD_RANGES: tuple[Range, ...] = (
    Range("hr_device", mib.HR_DEVICE_ENTRY, 2, 5),
    Range("hr_printer", mib.HR_PRINTER_ENTRY, 1, 2),
    Range("supplies", mib.PRT_SUPPLIES_ENTRY, 3, 9),
    Range("colorants", mib.PRT_COLORANT_VALUE[:-1], 4, 4),
    Range("input", mib.PRT_INPUT_ENTRY, 8, 18),
    Range("alerts", mib.PRT_ALERT_ENTRY, 2, 8),
)
# Walked only when a probe finds a second marker (the first one's count and unit are scalars).
MARKERS_RANGE = Range("markers", mib.PRT_MARKER_ENTRY, 3, 4)
# Steady state: the cells that change, read exactly (rows known from the cold poll) ...
STEADY_COLUMNS: tuple[OID, ...] = (
    mib.HR_DEVICE_STATUS, mib.HR_PRINTER_STATUS, mib.HR_PRINTER_ERROR_STATE,
    mib.PRT_SUPPLIES_MAX, mib.PRT_SUPPLIES_LEVEL, mib.PRT_INPUT_LEVEL, mib.PRT_INPUT_STATUS,
    mib.PRT_MARKER_LIFE_COUNT,
)
# ... and the alert table, whose rows come and go, walked.
ALERTS_RANGE = Range("alerts", mib.PRT_ALERT_ENTRY, 2, 8)
_DYNAMIC_COLUMNS = set(STEADY_COLUMNS) | {ALERTS_RANGE.entry + (c,) for c in range(2, 9)}
_COLUMN_LEN = 11  # every table entry we read is 10 arcs long


@dataclass(slots=True)
class Collected:
    values: dict[OID, Any]
    requests: int
    cold: bool
    notes: list[str] = field(default_factory=list)  # e.g. "supplies table cut at 2048 rows"
    retried: int = 0  # requests answered only after a retry (their first try timed out)


@dataclass(slots=True)
class TargetCache:
    """What a previous poll of one printer taught us (kept in memory by the poller)."""

    static: dict[OID, Any] = field(default_factory=dict)  # cold values minus the dynamic columns
    cells: tuple[OID, ...] = ()  # instances of STEADY_COLUMNS, in order
    config_changes: Any = None
    uptime: int | None = None
    alerts_hint: int = 0  # var-binds the alert table had last time
    budget: int = DEFAULT_BUDGET
    getnext_only: bool = False
    loaded_at: float = 0.0
    vendor_cells: tuple[OID, ...] = ()  # the vendor's page counters found cold (issue 16), re-read steady


async def collect(client: SnmpClient, ep: Endpoint, cache: TargetCache | None, *,
                  on_reply: Callable[[], None] | None = None) -> Collected:
    """Read everything decode.py needs from one printer; updates `cache` in place.

    `on_reply` is called when the first reply arrives (the poller then knows the agent
    speaks this version). An SnmpError raised from here carries `.requests`: the PDUs
    this poll sent.
    """
    walker = _Walker(client, ep, cache, on_reply)
    try:
        return await _collect(walker, cache)
    except SnmpError as exc:
        exc.requests = walker.requests  # type: ignore[attr-defined]
        raise


async def _collect(walker: _Walker, cache: TargetCache | None) -> Collected:
    if cache is not None and cache.static and time.monotonic() - cache.loaded_at < STATIC_MAX_AGE_S:
        values = await walker.run_steady(cache)
        if values is not None and _static_still_valid(cache, values):
            merged = dict(cache.static)
            merged.update(values)
            _remember(cache, values, walker)
            return Collected(merged, walker.requests, False, walker.notes, walker.retried)
    values = await walker.run(COLD_RANGES)
    if cache is not None:
        cache.static = {_shared(k): _shared(v) for k, v in values.items()
                        if k[:_COLUMN_LEN] not in _DYNAMIC_COLUMNS}
        cache.cells = tuple(sorted(_shared(k) for k in values if k[:_COLUMN_LEN] in STEADY_COLUMNS))
        cache.vendor_cells = counters.dynamic_cells(_first_under(values, mib.SYS_OBJECT_ID), values)
        cache.loaded_at = time.monotonic()
        _remember(cache, values, walker)
    return Collected(values, walker.requests, True, walker.notes, walker.retried)


# Printers of one model answer with the same OIDs and mostly the same descriptions: a cache
# for 1,000 printers holds ~150,000 of them, so equal ones are stored once (~20 MB less).
_SHARED: dict[Any, Any] = {}
_SHARED_MAX = 200_000


def _shared(value: Any) -> Any:
    if type(value) not in (tuple, bytes) or len(_SHARED) >= _SHARED_MAX:
        return value
    return _SHARED.setdefault(value, value)


def _scalar_value(name: OID, asked: OID, value: Any) -> Any:
    """A non-repeater's answer, when it really is an instance of what was asked."""
    if value in ber.SNMP_EXCEPTIONS or name[: len(asked)] != asked or len(name) <= len(asked):
        return None
    return value


def _first_under(values: dict[OID, Any], prefix: OID) -> Any:
    n = len(prefix)
    for k, v in values.items():
        if k[:n] == prefix:
            return v
    return None


def _static_still_valid(cache: TargetCache, values: dict[OID, Any]) -> bool:
    """Static columns are stale after a configuration change or a reboot."""
    if _first_under(values, mib.PRT_GENERAL_CONFIG_CHANGES) != cache.config_changes:
        return False
    uptime = _first_under(values, mib.SYS_UPTIME)
    if isinstance(uptime, int) and isinstance(cache.uptime, int) and uptime < cache.uptime:
        return False
    return True


def _remember(cache: TargetCache, values: dict[OID, Any], walker: _Walker) -> None:
    cache.config_changes = _first_under(values, mib.PRT_GENERAL_CONFIG_CHANGES)
    uptime = _first_under(values, mib.SYS_UPTIME)
    cache.uptime = uptime if isinstance(uptime, int) else None
    cache.alerts_hint = sum(1 for k in values if ALERTS_RANGE.contains(k))
    cache.budget = walker.budget
    cache.getnext_only = walker.getnext_only


def _counter_requests(values: dict[OID, Any], cells: dict[OID, OID], probes: dict[OID, Range]) -> list[OID]:
    """What to ask next for the page counters (core/printer/counters.py), as non-repeaters:
    the vendor's cells from their predecessors (`cells` maps them back), and one probe per
    table (`probes`): its start, or for the markers the first marker's count."""
    exact, walks = counters.requests_for(_first_under(values, mib.SYS_OBJECT_ID))
    for cell in exact:
        cells[counters.predecessor(cell)] = cell
    for w in walks:
        r = Range(w.name, w.entry, w.first_col, w.last_col)
        probes[r.start] = r
    first_marker = min((k for k in values if k[:_COLUMN_LEN] == mib.PRT_MARKER_LIFE_COUNT), default=None)
    if first_marker is None:
        return list(cells) + list(probes)
    probes[first_marker] = MARKERS_RANGE
    return [mib.PRT_MARKER_COUNTER_UNIT] + list(cells) + list(probes)


def _predecessors(cells: tuple[OID, ...]) -> list[OID]:
    """For each cell, the OID whose GETNEXT is that cell when the rows are unchanged."""
    asked: list[OID] = []
    previous: OID | None = None
    for cell in cells:
        column = cell[:_COLUMN_LEN]
        if previous is not None and previous[:_COLUMN_LEN] == column:
            asked.append(previous)  # the next cell of a column follows the one before it
        else:
            asked.append(column)  # a column's first cell follows the column itself
        previous = cell
    return asked


class _Walker:
    def __init__(self, client: SnmpClient, ep: Endpoint, cache: TargetCache | None,
                 on_reply: Callable[[], None] | None = None) -> None:
        self.client = client
        self.on_reply = on_reply
        self.retried = 0
        self.ep = ep
        self.cache = cache
        self.requests = 0
        self.notes: list[str] = []
        self.budget = cache.budget if cache else DEFAULT_BUDGET
        self.getnext_only = (cache.getnext_only if cache else False) or ep.settings.version == "1"
        self.timeout_retried = False

    async def _send(self, pdu: int, oids: list[OID], non_repeaters: int = 0,
                    max_repetitions: int = 0) -> Reply:
        if self.requests >= MAX_REQUESTS_PER_POLL:
            raise _Stop(f"stopped after {MAX_REQUESTS_PER_POLL} requests")
        self.requests += 1
        reply = await self.client.request(self.ep, pdu, oids, non_repeaters, max_repetitions)
        self.retried += reply.tries - 1
        if self.on_reply is not None:
            on_reply, self.on_reply = self.on_reply, None
            on_reply()
        return reply

    async def run(self, ranges: tuple[Range, ...]) -> dict[OID, Any]:
        values: dict[OID, Any] = {}
        cursors = {r: r.start for r in ranges}
        counts = {r: 0 for r in ranges}
        caps = {r: MAX_ROWS_PER_TABLE * r.columns for r in ranges}
        column_rows: dict[tuple[Range, int], int] = {}
        jumped: set[Range] = set()
        active = list(ranges)
        scalars = list(SCALARS)
        first_reply = True
        # Page counters (issue 16) ride in the requests after the first, which told us the
        # sysObjectID: the vendor's cells are asked from their predecessors; a table (vendor
        # counters, further markers) is probed with one GETNEXT and walked only when present.
        vendor_cells: dict[OID, OID] = {}  # asked → the instance wanted
        probes: dict[OID, Range] = {}  # asked → the range to walk when the answer falls in it
        vendor_pending = True
        pending: list[Range] = []
        try:
            while active or scalars:
                oids = scalars + [cursors[r] for r in active]
                try:
                    if self.getnext_only:
                        reply = await self._send(ber.GETNEXT, oids)
                        reps = 1
                    else:
                        room = max(1, self.budget - len(scalars))
                        reps = max(1, room // max(1, len(active)))
                        reply = await self._send(ber.GETBULK, oids, len(scalars), reps)
                except SnmpTimeout:
                    # Answered before, silent now: the reply may have been too big for the
                    # device (some drop what they cannot send). Try once with half the size;
                    # never fall back to GETNEXT on silence alone: a busy network looks the same.
                    if first_reply or self.timeout_retried or self.budget <= 16:
                        raise
                    self.timeout_retried = True
                    self.budget //= 2
                    continue
                if reply.error_status:
                    if reply.error_status in (1, 5) and self._shrink(reply.error_name):  # tooBig, genErr
                        continue
                    if reply.error_status == 2 and self.getnext_only and 0 < reply.error_index <= len(oids):
                        # SNMPv1 end of MIB: drop that var-bind and ask again
                        i = reply.error_index - 1
                        if i < len(scalars):
                            scalars.pop(i)
                        else:
                            active.pop(i - len(scalars))
                        continue
                    if first_reply:
                        raise SnmpError(f"agent answered {reply.error_name}")
                    self.notes.append(f"walk stopped: agent answered {reply.error_name}")
                    break
                first_reply = False
                vbs = reply.varbinds
                for asked, (name, value) in zip(scalars, vbs, strict=False):
                    want = vendor_cells.get(asked)
                    probed = probes.pop(asked, None)
                    if probed is not None:
                        if value not in ber.SNMP_EXCEPTIONS and probed.contains(name) and name > asked:
                            pending.append(probed)
                        continue
                    if want is None:
                        v = _scalar_value(name, asked, value)
                    else:
                        v = value if name == want and value not in ber.SNMP_EXCEPTIONS else None
                    if v is not None:
                        values[name] = v
                nonrep = len(scalars)
                scalars = []
                rest = vbs[nonrep:]
                if vendor_pending:
                    vendor_pending = False
                    scalars = _counter_requests(values, vendor_cells, probes)
                for r in pending:
                    cursors[r], counts[r], caps[r] = r.start, 0, MAX_ROWS_PER_TABLE * r.columns
                if not active:
                    if scalars or pending:
                        active, pending = pending, []
                        continue
                    break
                width = len(active)
                finished = set()
                seen = set()
                for i, (name, value) in enumerate(rest):
                    r = active[i % width]
                    if r in finished:
                        continue
                    seen.add(r)
                    if r in jumped and r.contains(name) and name[:len(cursors[r])] < cursors[r]:
                        continue  # the rest of a column cut below: skipped, not a loop
                    if value is ber.END_OF_MIB_VIEW or not r.contains(name) or name <= cursors[r]:
                        finished.add(r)
                        continue
                    column = name[len(r.entry)]
                    column_rows[r, column] = column_rows.get((r, column), 0) + 1
                    if column_rows[r, column] > MAX_ROWS_PER_TABLE:
                        # rows, not var-binds: a sparse table must not give 7 x the rows
                        note = f"{r.name} table cut at {MAX_ROWS_PER_TABLE} rows"
                        if note not in self.notes:
                            self.notes.append(note)
                        if column >= r.last_col:
                            finished.add(r)
                        else:
                            cursors[r] = r.entry + (column + 1,)
                            jumped.add(r)
                        continue
                    if value not in ber.SNMP_EXCEPTIONS:
                        values[name] = value
                    cursors[r] = name
                    jumped.discard(r)
                    counts[r] += 1
                    if counts[r] >= caps[r]:
                        note = f"{r.name} table cut at {MAX_ROWS_PER_TABLE} rows"
                        if note not in self.notes:
                            self.notes.append(note)
                        finished.add(r)
                    if self.getnext_only:
                        continue
                if not rest and not (scalars or pending):
                    break  # an agent that returns nothing for repeaters: nothing more to learn
                active = [r for r in active if r not in finished and (r in seen or not rest)] + pending
                pending = []
        except _Stop as stop:
            self.notes.append(str(stop))
        return values

    async def run_steady(self, cache: TargetCache) -> dict[OID, Any] | None:
        """Scalars and the known dynamic cells as non-repeaters (GETNEXT from each cell's
        predecessor: exactly one var-bind each), plus the alert table as the repeater.
        None when the rows are not the ones we knew (the caller then polls cold)."""
        exact = (list(STEADY_SCALARS) + _predecessors(cache.cells)
                 + [counters.predecessor(c) for c in cache.vendor_cells])
        expected: list[OID | None] = [None] * len(STEADY_SCALARS) + list(cache.cells) + list(cache.vendor_cells)
        values: dict[OID, Any] = {}
        alerts_done = False
        alert_cells = 0
        cursor = ALERTS_RANGE.start
        pos = 0
        while pos < len(exact) or not alerts_done:
            if self.getnext_only:
                chunk = exact[pos:pos + self.budget - (0 if alerts_done else 1)]
                oids = chunk + ([] if alerts_done else [cursor])
                reply = await self._send(ber.GETNEXT, oids)
                reps = 1
            else:
                room = self.budget - (0 if alerts_done else min(self.budget // 2, cache.alerts_hint + 1))
                chunk = exact[pos:pos + max(1, room)]
                reps = max(1, self.budget - len(chunk))
                oids = chunk + ([] if alerts_done else [cursor])
                if alerts_done:
                    reply = await self._send(ber.GETBULK, oids, len(chunk), 0)
                else:
                    reply = await self._send(ber.GETBULK, oids, len(chunk), reps)
            if reply.error_status:
                return None  # let the cold walk deal with it
            vbs = reply.varbinds
            for i, (name, value) in enumerate(vbs[:len(chunk)]):
                want = expected[pos + i]
                if want is None:
                    v = _scalar_value(name, exact[pos + i], value)
                    if v is not None:
                        values[name] = v
                elif name != want:
                    return None  # a row appeared or vanished
                elif value not in ber.SNMP_EXCEPTIONS:
                    values[name] = value
            pos += len(chunk)
            if not alerts_done:
                rest = vbs[len(chunk):]
                if not rest:
                    alerts_done = True
                for name, value in rest:
                    if value is ber.END_OF_MIB_VIEW or not ALERTS_RANGE.contains(name) or name <= cursor:
                        alerts_done = True
                        break
                    if value not in ber.SNMP_EXCEPTIONS:
                        values[name] = value
                        alert_cells += 1
                    cursor = name
                    if alert_cells >= MAX_ROWS_PER_TABLE * 7:
                        alerts_done = True
                        break
        return values

    def _shrink(self, why: str) -> bool:
        if self.getnext_only:
            return False
        if self.budget > 8:
            self.budget = max(8, self.budget // 2)
        else:
            self.getnext_only = True
            self.notes.append(f"fell back to GETNEXT ({why})")
        return True


class _Stop(Exception):
    pass
