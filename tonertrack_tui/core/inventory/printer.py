"""The printer: one typed model of an inventory entry and its last state, and every rule about it.

A `Printer` is what printers.json holds per printer (one JSON object per line, see
core/inventory/store.py), what the TUI, the CLI, reports, sync and notifications read, and
what a poll updates (`apply_poll`). The JSON field names are a contract (scripts read
`printers list --json`); `to_json()` writes them, `from_json()` reads any older or
hand-edited record and fills what it lacks.

Fields
    id                  uuid4 hex: the stable key (an address can change; history is keyed by id)
    address             canonical "10.1.2.3", "host", "host:1161", "[::1]:1161" (core.address)
    name                "" until the first good poll supplies sysName
    user_overridden     the user named it: sync and sysName never change the name
    location            the "view": a print server's location group, or the user's
    location_user_set   the user set the location: sync never changes it
    model, serial       from polls
    snmp                the printer's own SNMP settings (keys of SnmpSettings); a key left out
                        follows the config's [snmp] defaults. Secrets in clear: the file is 0600
    thresholds          its own warning/error percentages, overall and per supply kind
    invert_receptacles  the device counts waste boxes the other way round
    source              None, or the print-server queue it came from (sync)
    not_on_server       the sync source no longer lists it
    notes, added_at
    last_poll           the last *good* poll (a PollResult), or None
    status              OK | Warning | Error | Offline | Unknown
    consecutive_failures failed polls in a row (Offline at polling.offline_after)
    last_poll_at        when it was last polled, good or not
    last_good_poll_at   when it last answered
    stale               the last poll failed: last_poll is older state
    problems_since      {problem key: ISO time it was first seen}, kept across polls
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from typing import Any

from ..address import parse_address
from ..printer.model import PollResult
from ..printer.problems import problem_keys
from ..printer.status import OFFLINE, STATUSES, UNKNOWN, Thresholds
from ..snmp.credentials import SECRET_FIELDS, CredentialError, SnmpSettings, mask_secret
from ..util.timeutil import parse_time, utc_now_iso

SNMP_KEYS = frozenset(f.name for f in fields(SnmpSettings))
# Fields a poll rewrites every few minutes: not inventory changes, never audited.
VOLATILE_FIELDS = frozenset({"last_poll", "status", "consecutive_failures", "last_poll_at", "last_good_poll_at",
                             "stale", "problems_since"})
OFFLINE_PROBLEM = "offline"  # the problems_since key of "no reply"
DEFAULT_SITE = "default"  # every printer's site until sites are named (issue 19)


@dataclass(slots=True)
class KindThreshold:
    warning_pct: int | None = None
    error_pct: int | None = None


@dataclass(slots=True)
class PrinterThresholds:
    """A printer's own thresholds; None follows the config's."""

    warning_pct: int | None = None
    error_pct: int | None = None
    kinds: dict[str, KindThreshold] = field(default_factory=dict)

    def over(self, base: Thresholds) -> Thresholds:
        """The config's thresholds with this printer's own on top."""
        kinds = {kind: (k.warning_pct, k.error_pct) for kind, k in self.kinds.items()}
        return base.overridden(self.warning_pct, self.error_pct, kinds)

    def to_json(self) -> dict[str, Any]:
        return {"warning_pct": self.warning_pct, "error_pct": self.error_pct,
                "kinds": {kind: {"warning_pct": k.warning_pct, "error_pct": k.error_pct}
                          for kind, k in self.kinds.items()}}

    @classmethod
    def from_json(cls, d: Any) -> PrinterThresholds:
        if not isinstance(d, dict):
            return cls()
        kinds: dict[str, KindThreshold] = {}
        raw_kinds = d.get("kinds")
        for kind, pair in (raw_kinds.items() if isinstance(raw_kinds, dict) else ()):
            if isinstance(pair, dict):
                kinds[str(kind)] = KindThreshold(_pct_or_none(pair.get("warning_pct")),
                                                 _pct_or_none(pair.get("error_pct")))
            elif isinstance(pair, (list, tuple)) and len(pair) == 2:
                kinds[str(kind)] = KindThreshold(_pct_or_none(pair[0]), _pct_or_none(pair[1]))
        return cls(_pct_or_none(d.get("warning_pct")), _pct_or_none(d.get("error_pct")), kinds)


def _pct_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(slots=True, frozen=True)
class SourceRef:
    """The print-server queue a printer came from (sync)."""

    name: str
    queue: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "queue": self.queue}

    @classmethod
    def from_json(cls, d: Any) -> SourceRef | None:
        if not isinstance(d, dict) or not d.get("name"):
            return None
        return cls(str(d["name"]), str(d.get("queue") or ""))


@dataclass(slots=True, eq=True)
class Printer:
    id: str
    address: str
    name: str = ""
    user_overridden: bool = False
    location: str = ""
    location_user_set: bool = False
    model: str | None = None
    serial: str | None = None
    snmp: dict[str, Any] = field(default_factory=dict)
    thresholds: PrinterThresholds = field(default_factory=PrinterThresholds)
    invert_receptacles: bool = False
    source: SourceRef | None = None
    not_on_server: bool = False
    notes: str = ""
    site: str = DEFAULT_SITE  # which daemons poll it (issue 19: `daemon --site`); one site unless you name others
    protocol: str = "snmp"  # snmp | ipp | auto (SNMP first, IPP when SNMP gets no answer); ipp:// addresses are IPP
    ipp_pin: str | None = None  # ipps: SHA-256 of the certificate pinned on first use (hex)
    added_at: str = ""
    last_poll: PollResult | None = None
    status: str = UNKNOWN
    consecutive_failures: int = 0
    last_poll_at: str | None = None
    last_good_poll_at: str | None = None
    stale: bool = False
    problems_since: dict[str, str] = field(default_factory=dict)
    # keys this version does not know (written by a newer TonerTrack or by hand): kept as they are
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ building

    @classmethod
    def new(cls, address: str, *, name: str = "", location: str = "",
            snmp: SnmpSettings | dict[str, Any] | None = None, **values: Any) -> Printer:
        """A printer about to be added: canonical address (AddressError if invalid), a fresh id,
        `user_overridden`/`location_user_set` set when a name/location is given."""
        own = snmp.to_json() if isinstance(snmp, SnmpSettings) else own_snmp(snmp)
        printer = cls(id=uuid.uuid4().hex, address=str(parse_address(address)), name=name,
                      user_overridden=bool(name), location=location, location_user_set=bool(location),
                      snmp=own, added_at=utc_now_iso())
        for key, value in values.items():
            if key not in _FIELD_NAMES:
                raise TypeError(f"unknown printer field: {key}")
            setattr(printer, key, value)
        return printer

    def copy(self) -> Printer:
        return Printer.from_json(self.to_json())

    # ------------------------------------------------------------------ JSON

    def to_json(self, *, with_last_poll: bool = True) -> dict[str, Any]:
        """The printers.json object ("id" first: the store finds a record's line by it)."""
        d: dict[str, Any] = {
            "id": self.id,
            "address": self.address,
            "name": self.name,
            "user_overridden": self.user_overridden,
            "location": self.location,
            "location_user_set": self.location_user_set,
            "model": self.model,
            "serial": self.serial,
            "snmp": dict(self.snmp),
            "thresholds": self.thresholds.to_json(),
            "invert_receptacles": self.invert_receptacles,
            "source": self.source.to_json() if self.source else None,
            "not_on_server": self.not_on_server,
            "notes": self.notes,
            "site": self.site,
            "protocol": self.protocol,
            "ipp_pin": self.ipp_pin,
            "added_at": self.added_at,
            "status": self.status,
            "consecutive_failures": self.consecutive_failures,
            "last_poll_at": self.last_poll_at,
            "last_good_poll_at": self.last_good_poll_at,
            "stale": self.stale,
            "problems_since": dict(self.problems_since),
        }
        for key, value in self.extra.items():
            d.setdefault(key, value)
        if with_last_poll:
            d["last_poll"] = self.last_poll.to_json() if self.last_poll is not None else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any], *, with_last_poll: bool = True) -> Printer:
        """A printer from a printers.json object of any TonerTrack version; keys it lacks get
        their defaults, values of the wrong type are dropped rather than trusted."""
        last_poll = None
        if with_last_poll and isinstance(d.get("last_poll"), dict):
            try:
                last_poll = PollResult.from_json(d["last_poll"])
            except (TypeError, ValueError, KeyError):
                last_poll = None
        status = d.get("status")
        since = d.get("problems_since")
        return cls(
            id=str(d.get("id") or ""),
            address=str(d.get("address") or ""),
            name=_str(d.get("name")),
            user_overridden=bool(d.get("user_overridden")),
            location=_str(d.get("location")),
            location_user_set=bool(d.get("location_user_set")),
            model=_str_or_none(d.get("model")),
            serial=_str_or_none(d.get("serial")),
            snmp=own_snmp(d.get("snmp")),
            thresholds=PrinterThresholds.from_json(d.get("thresholds")),
            invert_receptacles=bool(d.get("invert_receptacles")),
            source=SourceRef.from_json(d.get("source")),
            not_on_server=bool(d.get("not_on_server")),
            notes=_str(d.get("notes")),
            site=_str(d.get("site")) or DEFAULT_SITE,
            protocol=d["protocol"] if d.get("protocol") in PROTOCOLS else "snmp",
            ipp_pin=_str_or_none(d.get("ipp_pin")),
            added_at=_str(d.get("added_at")),
            last_poll=last_poll,
            status=status if status in STATUSES else UNKNOWN,
            consecutive_failures=_count(d.get("consecutive_failures")),
            last_poll_at=_str_or_none(d.get("last_poll_at")),
            last_good_poll_at=_str_or_none(d.get("last_good_poll_at")),
            stale=bool(d.get("stale")),
            problems_since={str(k): str(v) for k, v in since.items()} if isinstance(since, dict) else {},
            extra={k: v for k, v in d.items() if k not in _JSON_KEYS},
        )

    def masked_json(self, *, with_last_poll: bool = True) -> dict[str, Any]:
        """What may be shown, printed, logged or exported: SNMP secrets masked."""
        d = self.to_json(with_last_poll=with_last_poll)
        d["snmp"] = masked_snmp(self.snmp)
        return d

    def audit_view(self) -> dict[str, Any]:
        """The audited fields, flattened one level ("snmp.community"), secrets masked."""
        view: dict[str, Any] = {}
        for key, value in self.to_json(with_last_poll=False).items():
            if key in VOLATILE_FIELDS or key == "id" or key in self.extra:
                continue
            if key == "snmp":
                for sk, sv in value.items():
                    view[f"snmp.{sk}"] = mask_secret(sv) if sk in SECRET_FIELDS else sv
            else:
                view[key] = value
        return view

    # ------------------------------------------------------------------ what it means

    @property
    def speaks_ipp(self) -> bool:
        """Polled over IPP: an ipp:// address, or protocol ipp."""
        return self.protocol == "ipp" or self.address.startswith(("ipp://", "ipps://"))

    def protocol_text(self) -> str:
        """How it is polled, in words every surface uses: "SNMP", "IPP", "auto (IPP answered last)"."""
        if self.speaks_ipp:
            text = "IPP"
        elif self.protocol == "auto":
            answered = self.last_poll.protocol.upper() if self.last_poll is not None else None
            text = f"auto: SNMP, else IPP ({answered} answered last)" if answered else "auto: SNMP, else IPP"
        else:
            text = "SNMP"
        if self.ipp_pin:
            text += f"; TLS certificate pinned (SHA-256 {self.ipp_pin[:16]}…)"
        return text

    @property
    def display_name(self) -> str:
        """The name people know it by: its name, else what it calls itself, else its address."""
        if self.name:
            return self.name
        if self.last_poll is not None and self.last_poll.identity.name:
            return self.last_poll.identity.name
        return self.address

    def snmp_settings(self, defaults: SnmpSettings) -> SnmpSettings:
        """Its SNMP settings: its own where set, the config's defaults elsewhere (validated when
        they are valid; a poll reports what is wrong otherwise)."""
        merged = defaults.overridden(self.snmp)
        try:
            return merged.validated()
        except CredentialError:
            return merged

    def thresholds_over(self, base: Thresholds) -> Thresholds:
        return self.thresholds.over(base)

    @property
    def no_reply_text(self) -> str:
        """Why it is Offline (or stale), in words."""
        n = self.consecutive_failures
        return "no reply to the last poll" if n == 1 else f"no reply to the last {n} polls"

    # ------------------------------------------------------------------ a poll

    def predates_saved_poll(self, result: PollResult) -> bool:
        """The result was taken before the poll already saved: a result held through a store
        outage (core/polling/fleet.py) and written late never replaces a newer one."""
        taken, saved = parse_time(result.polled_at), parse_time(self.last_poll_at)
        return taken is not None and saved is not None and taken < saved

    def apply_poll(self, result: PollResult, offline_after: int) -> None:
        """Take a poll outcome: the last good state, the status, Offline after `offline_after`
        failures in a row (until then the last good status is kept and marked stale), the
        sysName as name when the user gave none, and when each current problem was first seen
        (core/printer/problems.py: a problem keeps its key from poll to poll)."""
        polled_at = result.polled_at or utc_now_iso()
        self.last_poll_at = polled_at
        if result.reachable:
            self.consecutive_failures = 0
            self.last_poll = result
            self.status = result.status if result.status in STATUSES else UNKNOWN
            self.last_good_poll_at = polled_at
            self.stale = False
            ident = result.identity
            if ident.name and not self.user_overridden and not self.name:
                self.name = ident.name
            if ident.model:
                self.model = ident.model
            if ident.serial:
                self.serial = ident.serial
            if result.tls_fingerprint and not self.ipp_pin:
                self.ipp_pin = result.tls_fingerprint  # trust on first use; a different one is refused later
            self.problems_since = {key: self.problems_since.get(key, polled_at) for key in problem_keys(result)}
            return
        self.consecutive_failures += 1
        self.stale = self.last_poll is not None
        if self.consecutive_failures >= offline_after:
            self.status = OFFLINE
            self.problems_since = {OFFLINE_PROBLEM: self.problems_since.get(
                OFFLINE_PROBLEM, self.last_good_poll_at or polled_at)}
        elif self.last_poll is None:
            self.status = UNKNOWN
        # else: the last good status stays until the offline threshold (marked stale)


PROTOCOLS = ("snmp", "ipp", "auto")
_FIELD_NAMES = frozenset(f.name for f in fields(Printer)) - {"id", "extra"}
_JSON_KEYS = _FIELD_NAMES | {"id"}
EDITABLE_FIELDS = _FIELD_NAMES - VOLATILE_FIELDS


def own_snmp(value: Any) -> dict[str, Any]:
    """A printer's own SNMP settings from JSON: known keys only, blanks dropped."""
    if isinstance(value, SnmpSettings):
        return value.to_json()
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if k in SNMP_KEYS and v is not None}


def masked_snmp(own: dict[str, Any]) -> dict[str, Any]:
    return {k: mask_secret(v) if k in SECRET_FIELDS else v for k, v in own.items()}


def audit_changes(old: Printer | None, new: Printer | None) -> dict[str, list[Any]]:
    """{field: [old, new]} of the audited fields that differ (secrets masked; a changed
    secret whose mask reads the same still shows up)."""
    a = old.audit_view() if old else {}
    b = new.audit_view() if new else {}
    changes = {key: [a.get(key), b.get(key)] for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)}
    if old and new:
        for sk in SECRET_FIELDS:
            if old.snmp.get(sk) != new.snmp.get(sk):
                changes.setdefault(f"snmp.{sk}", [a.get(f"snmp.{sk}"), b.get(f"snmp.{sk}")])
    return changes


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


# ---------------------------------------------------------------------- search (TUI filter, `printers list --search`)

SEARCH_FIELDS = ("name", "address", "location", "model", "serial")


def search_text(*values: str | None) -> str:
    """What a search looks in: the searched fields, casefolded, in one string."""
    return " ".join(v or "" for v in values).casefold()


def query_words(query: str) -> list[str]:
    return query.casefold().split()


def words_match(text: str, words: list[str]) -> bool:
    """The search rule: every word of the query appears somewhere in the searched text."""
    return all(word in text for word in words)


def matches_query(printer: Printer, query: str) -> bool:
    text = search_text(*(getattr(printer, f) for f in SEARCH_FIELDS))
    return words_match(text, query_words(query))
