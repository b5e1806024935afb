"""The data a poll produces: plain dataclasses that serialise to the public JSON shape.

Field names follow DESIGN.md "What a poll returns"; scripts read them, so they are a contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _flat_json(obj: Any) -> dict[str, Any]:
    """dataclasses.asdict for a slotted dataclass of plain values, without its deep copies
    (a result is serialised twice per poll: 1,000 printers spent 0.3 s in asdict)."""
    return {name: getattr(obj, name) for name in obj.__slots__}


@dataclass(slots=True)
class Identity:
    name: str | None = None  # sysName
    model: str | None = None  # hrDeviceDescr of the printer row, else cleaned sysDescr
    serial: str | None = None  # prtGeneralSerialNumber
    description: str | None = None  # sysDescr
    location: str | None = None  # sysLocation
    contact: str | None = None  # sysContact
    object_id: str | None = None  # sysObjectID
    uptime_s: int | None = None  # sysUpTime in seconds


@dataclass(slots=True)
class Supply:
    index: str  # "1.5": hrDeviceIndex.prtMarkerSuppliesIndex
    description: str
    type: str | None  # IANA PrtMarkerSuppliesTypeTC name, e.g. "toner"
    kind: str  # toner ink drum developer fuser transfer waste staples other
    class_: str | None  # consumed | receptacle | other
    unit: str | None  # IANA unit name
    color: str | None
    level: int | None  # raw prtMarkerSuppliesLevel
    max: int | None  # raw prtMarkerSuppliesMaxCapacity
    remaining_pct: int | None  # 0..100, None for states
    level_note: str | None  # None | some_remaining | unknown | unrestricted | max_unknown
    severity: str = "unknown"  # ok | warning | error | unknown
    estimated: bool = False  # remaining_pct derived without a known max (percent-unit device)

    @property
    def is_receptacle(self) -> bool:
        return self.class_ == "receptacle" or self.kind == "waste"

    @property
    def full_pct(self) -> int | None:
        """For receptacles: how full the box is (the RFC level is space left)."""
        return None if self.remaining_pct is None else 100 - self.remaining_pct

    def to_json(self) -> dict[str, Any]:
        d = {
            "index": self.index,
            "description": self.description,
            "type": self.type,
            "kind": self.kind,
            "class": self.class_,
            "unit": self.unit,
            "color": self.color,
            "level": self.level,
            "max": self.max,
            "remaining_pct": self.remaining_pct,
            "level_note": self.level_note,
            "severity": self.severity,
        }
        if self.estimated:
            d["estimated"] = True
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Supply:
        return cls(
            index=str(d.get("index", "")),
            description=str(d.get("description") or ""),
            type=d.get("type"),
            kind=d.get("kind") or "other",
            class_=d.get("class"),
            unit=d.get("unit"),
            color=d.get("color"),
            level=d.get("level"),
            max=d.get("max"),
            remaining_pct=d.get("remaining_pct"),
            level_note=d.get("level_note"),
            severity=d.get("severity") or "unknown",
            estimated=bool(d.get("estimated", False)),
        )


@dataclass(slots=True)
class Tray:
    index: str
    name: str | None
    description: str | None
    level: int | None
    max: int | None
    remaining_pct: int | None
    level_note: str | None
    media: str | None

    def to_json(self) -> dict[str, Any]:
        return _flat_json(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Tray:
        return cls(**{k: d.get(k) for k in cls.__slots__})  # type: ignore[arg-type]


@dataclass(slots=True)
class Alert:
    index: str
    severity: str  # critical | warning | warning_binary | other
    training: str | None
    group: str | None
    code: int | None
    code_name: str | None
    description: str

    def to_json(self) -> dict[str, Any]:
        return _flat_json(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Alert:
        return cls(**{k: d.get(k) for k in cls.__slots__})  # type: ignore[arg-type]


@dataclass(slots=True)
class Counters:
    """Page counts split by colour (issue 16): DESIGN.md "What a poll returns" → counters.

    None means the device does not publish that count; nothing is derived by guessing.
    """

    total: int | None = None
    mono: int | None = None
    color: int | None = None
    unit: str | None = None  # Printer-MIB counter unit name (impressions, sheets, ...) when stated
    source: str | None = None  # the MIB module and objects the numbers came from
    note: str | None = None  # disagreements, what counts as colour, why something is unknown
    detail: dict[str, int] = field(default_factory=dict)  # vendor classes: full_color, two_color, ...
    markers: list[dict[str, Any]] = field(default_factory=list)  # {index, life_count, unit} per marker

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "total": self.total, "mono": self.mono, "color": self.color, "unit": self.unit,
            "source": self.source, "note": self.note,
            "markers": [dict(m) for m in self.markers],
        }
        if self.detail:
            d["detail"] = dict(self.detail)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> Counters:
        d = d if isinstance(d, dict) else {}
        raw_detail, raw_markers = d.get("detail"), d.get("markers")
        detail: dict[Any, Any] = raw_detail if isinstance(raw_detail, dict) else {}
        markers: list[Any] = raw_markers if isinstance(raw_markers, list) else []
        return cls(
            total=d.get("total"), mono=d.get("mono"), color=d.get("color"), unit=d.get("unit"),
            source=d.get("source"), note=d.get("note"),
            detail={str(k): v for k, v in detail.items()},
            markers=[dict(m) for m in markers if isinstance(m, dict)],
        )


@dataclass(slots=True)
class PollResult:
    """One poll of one target: the object `tonertrack poll --json` prints."""

    target: str
    reachable: bool = False
    status: str = "Unknown"  # OK | Warning | Error | Offline | Unknown
    reasons: list[str] = field(default_factory=list)
    polled_at: str = ""  # ISO 8601 UTC
    duration_ms: float = 0.0
    requests: int = 0
    identity: Identity = field(default_factory=Identity)
    device_status: str | None = None
    printer_status: str | None = None
    error_state: list[str] = field(default_factory=list)
    page_count: int | None = None
    counters: Counters = field(default_factory=Counters)
    supplies: list[Supply] = field(default_factory=list)
    trays: list[Tray] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    is_printer: bool = True  # False: answers SNMP but has no printer rows
    timed_out: bool = False  # unreachable because nothing answered (not e.g. a DNS error)
    retried: int = 0  # requests answered only after a retry; for the fleet's limit, not in JSON
    protocol: str = "snmp"  # snmp | ipp: what answered (or was asked)
    tls_fingerprint: str | None = None  # ipps: SHA-256 of the certificate seen, for pinning; not in JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "reachable": self.reachable,
            "status": self.status,
            "reasons": list(self.reasons),
            "polled_at": self.polled_at,
            "duration_ms": self.duration_ms,
            "requests": self.requests,
            "identity": _flat_json(self.identity),
            "device_status": self.device_status,
            "printer_status": self.printer_status,
            "error_state": list(self.error_state),
            "page_count": self.page_count,
            "counters": self.counters.to_json(),
            "supplies": [s.to_json() for s in self.supplies],
            "trays": [t.to_json() for t in self.trays],
            "alerts": [a.to_json() for a in self.alerts],
            "protocol": self.protocol,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PollResult:
        ident = d.get("identity") or {}
        return cls(
            target=str(d.get("target", "")),
            reachable=bool(d.get("reachable", False)),
            status=d.get("status") or "Unknown",
            reasons=[str(r) for r in d.get("reasons") or []],
            polled_at=d.get("polled_at") or "",
            duration_ms=float(d.get("duration_ms") or 0.0),
            requests=int(d.get("requests") or 0),
            identity=Identity(**{k: ident.get(k) for k in Identity.__slots__}),
            device_status=d.get("device_status"),
            printer_status=d.get("printer_status"),
            error_state=list(d.get("error_state") or []),
            page_count=d.get("page_count"),
            counters=Counters.from_json(d.get("counters")),
            supplies=[Supply.from_json(s) for s in d.get("supplies") or []],
            trays=[Tray.from_json(t) for t in d.get("trays") or []],
            alerts=[Alert.from_json(a) for a in d.get("alerts") or []],
            protocol="ipp" if d.get("protocol") == "ipp" else "snmp",
        )
