"""One IPP printer polled into the same PollResult as SNMP (issue 17).

What maps to what (PWG 5100.13, RFC 8011):
* `printer-supply` (key=value;… per supply: index, class, type, unit, maxcapacity, level,
  colorantname) with `printer-supply-description` → supplies, through the same level rules
  as the Printer-MIB (core/printer/decode.level_pct: −1/−2/−3 are states). Without it,
  `marker-names`/`-levels`/`-types`/`-colors` (levels are percent, −1/−2/−3 the same states).
* `printer-state` (3 idle, 4 processing, 5 stopped) → printer_status and device_status;
  `printer-state-reasons` → the RFC 3805 error-state flags where one means the same
  (media-jam → jammed, toner-low → lowToner, door-open → doorOpen…) and an alert for each
  reason, its severity from the suffix (-error critical, -warning warning, -report not a
  problem; no suffix means error, RFC 8011 5.4.12).
* `printer-make-and-model` → model, `printer-name`/`printer-info` → name, `printer-location`,
  `printer-uuid` → object_id, serial from `printer-device-id` (SN/SERN) when it has one,
  `printer-up-time` → uptime_s.
* `printer-impressions-completed` → page_count and counters.total; `…-col` → counters.color
  and mono = total − colour (both stated by the printer).
Every string is the printer's: kept as data, shown through textsafe, never interpreted.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from ..printer.decode import color_from_text, invert_receptacle_levels, level_pct, supply_kind
from ..printer.mib import SUPPLY_TYPE_NAMES, UNIT_NAMES
from ..printer.model import Alert, Counters, Identity, PollResult, Supply
from ..printer.status import UNKNOWN, Thresholds, evaluate
from ..util.textsafe import safe_text
from ..util.timeutil import utc_now_iso
from .codec import IppDecodeError, IppResponse, decode_response, encode_get_printer_attributes
from .transport import IppCertificateChanged, IppTimeout, IppTransportError, IppUri, parse_ipp_uri, post

REQUESTED = (
    "printer-supply", "printer-supply-description", "marker-names", "marker-levels", "marker-types",
    "marker-colors", "marker-low-levels", "marker-high-levels", "printer-state", "printer-state-reasons",
    "printer-state-message", "printer-alert", "printer-alert-description", "printer-make-and-model",
    "printer-device-id", "printer-uuid", "printer-info", "printer-name", "printer-location", "printer-up-time",
    "printer-impressions-completed", "printer-impressions-completed-col",
)
_request_ids = itertools.count(1)

_TYPES = {name.casefold(): name for name in SUPPLY_TYPE_NAMES.values()}
_UNITS = {name.casefold(): name for name in UNIT_NAMES.values()}
_CLASSES = {"supplythatisconsumed": "consumed", "receptaclethatisfilled": "receptacle", "other": "other"}
# marker-types keywords (RFC 3805 names in IPP spelling) → IANA supply type names
_MARKER_TYPES = {"toner": "toner", "toner-cartridge": "tonerCartridge", "ink": "ink", "ink-cartridge": "inkCartridge",
                 "waste-toner": "wasteToner", "waste-ink": "wasteInk", "opc": "opc", "developer": "developer",
                 "fuser": "fuser", "transfer-unit": "transferUnit", "staples": "staples", "ink-ribbon": "inkRibbon"}
# printer-state-reasons keyword (without suffix) → the RFC 3805 error-state flag that means the same
_REASON_FLAGS = {
    "media-jam": "jammed", "media-empty": "noPaper", "media-needed": "noPaper", "media-low": "lowPaper",
    "toner-low": "lowToner", "toner-empty": "noToner", "marker-supply-low": "lowToner",
    "marker-supply-empty": "noToner", "door-open": "doorOpen", "cover-open": "doorOpen", "interlock-open": "doorOpen",
    "offline": "offline", "shutdown": "offline", "input-tray-missing": "inputTrayMissing",
    "output-tray-missing": "outputTrayMissing", "output-area-almost-full": "outputNearFull",
    "output-area-full": "outputFull", "marker-supply-missing": "markerSupplyMissing",
}
# reasons that are states, not problems
_NOT_PROBLEMS = frozenset({"none", "paused", "moving-to-paused", "printer-restarted", "printer-shutdown",
                           "identify-printer-requested", "other"})
_SUFFIX = re.compile(r"-(report|warning|error)$")
_SERIAL = re.compile(r"(?:^|;)\s*(?:SN|SERN|SERIALNUMBER)\s*:\s*([^;]{1,64})", re.IGNORECASE)


def colon_fingerprint(hex_digest: str) -> str:
    """'5aa6…' → '5A:A6:…' (how browsers and openssl show a certificate's fingerprint)."""
    return ":".join(hex_digest[i:i + 2] for i in range(0, len(hex_digest), 2)).upper()


def _first(attrs: dict[str, list[Any]], name: str) -> Any:
    values = attrs.get(name)
    return values[0] if values else None


def _text(value: Any, limit: int = 200) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return safe_text(value, limit=limit) or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value).strip()) if value is not None else None
        except ValueError:
            return None
    return value


def parse_supply(text: str) -> dict[str, str]:
    """'index=1;class=receptacleThatIsFilled;type=wasteToner;…' → {key: value} (keys lower-cased)."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip().casefold()] = value.strip()
    return out


def _supply(index: str, description: str | None, type_word: str | None, class_: str | None, unit: str | None,
            max_: int | None, level: int | None, colorant: str | None) -> Supply:
    type_name = _TYPES.get((type_word or "").casefold())
    description = description or (f"{type_name or 'Supply'} {index}")
    kind = supply_kind(type_name, description)
    color = None
    if colorant and colorant.casefold() not in ("unknown", "other", "none", "no-color"):
        color = color_from_text(colorant.replace("-", " ")) or colorant
    if color is None and kind in ("toner", "ink", "drum", "developer"):
        color = color_from_text(description)
    pct, note, estimated = level_pct(level, max_, unit)
    return Supply(index=index, description=description, type=type_name, kind=kind, class_=class_, unit=unit,
                  color=color, level=level, max=max_, remaining_pct=pct, level_note=note, estimated=estimated)


def decode_supplies(attrs: dict[str, list[Any]]) -> list[Supply]:
    supplies: list[Supply] = []
    descriptions = attrs.get("printer-supply-description") or []
    for n, raw in enumerate(attrs.get("printer-supply") or []):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        fields = parse_supply(text)
        description = _text(descriptions[n], 160) if n < len(descriptions) else None
        class_ = _CLASSES.get(fields.get("class", "").casefold())
        supplies.append(_supply(
            f"1.{_int(fields.get('index')) or n + 1}", description, fields.get("type"), class_,
            _UNITS.get(fields.get("unit", "").casefold()), _int(fields.get("maxcapacity")), _int(fields.get("level")),
            _text(fields.get("colorantname"), 32)))
    if supplies:
        return supplies
    names = attrs.get("marker-names") or []
    levels = attrs.get("marker-levels") or []
    types = attrs.get("marker-types") or []
    colors = attrs.get("marker-colors") or []
    for n, name in enumerate(names):
        type_word = _MARKER_TYPES.get(str(types[n]).casefold()) if n < len(types) else None
        level = _int(levels[n]) if n < len(levels) else None
        kind_word = (type_word or "").casefold()
        class_ = "receptacle" if kind_word.startswith("waste") else "consumed"
        colorant = _text(colors[n], 32) if n < len(colors) else None
        # marker-colors are "#RRGGBB"; the name usually says the colour
        supply = _supply(f"1.{n + 1}", _text(name, 160), type_word, class_, "percent", 100, level,
                         None if colorant and colorant.startswith("#") else colorant)
        supplies.append(supply)
    return supplies


def decode_state(attrs: dict[str, list[Any]]) -> tuple[str | None, str | None, list[str], list[Alert]]:
    """(printer_status, device_status, error_state flags, alerts) from printer-state and its reasons."""
    state = _int(_first(attrs, "printer-state"))
    printer_status = {3: "idle", 4: "printing", 5: "other"}.get(state or 0)
    flags: list[str] = []
    alerts: list[Alert] = []
    worst = "running"
    for n, raw in enumerate(attrs.get("printer-state-reasons") or []):
        keyword = _text(raw, 80)
        if not keyword:
            continue
        match = _SUFFIX.search(keyword)
        suffix = match.group(1) if match else "error"
        base = keyword[:match.start()] if match else keyword
        if base in _NOT_PROBLEMS:
            continue
        severity = {"error": "critical", "warning": "warning", "report": "other"}[suffix]
        flag = _REASON_FLAGS.get(base)
        if flag and suffix != "report" and flag not in flags:
            flags.append(flag)
        if severity == "critical":
            worst = "down"
        elif severity == "warning" and worst == "running":
            worst = "warning"
        alerts.append(Alert(index=f"ipp.{n + 1}", severity=severity, training=None, group=None, code=None,
                            code_name=base, description=base.replace("-", " ").capitalize()))
    if state == 5 and worst == "running":
        worst = "warning"  # stopped with no reason given
    return printer_status, worst if state is not None else None, flags, alerts


def decode_identity(attrs: dict[str, list[Any]]) -> Identity:
    device_id = _text(_first(attrs, "printer-device-id"), 1023) or ""
    serial = _SERIAL.search(device_id)
    uptime = _int(_first(attrs, "printer-up-time"))
    return Identity(
        name=_text(_first(attrs, "printer-info"), 128) or _text(_first(attrs, "printer-name"), 128),
        model=_text(_first(attrs, "printer-make-and-model"), 128),
        serial=safe_text(serial.group(1), limit=64) if serial else None,
        description=_text(device_id, 255) or None,
        location=_text(_first(attrs, "printer-location"), 128),
        contact=None,
        object_id=_text(_first(attrs, "printer-uuid"), 64),
        uptime_s=uptime if uptime is not None and uptime >= 0 else None,
    )


def decode_counters(attrs: dict[str, list[Any]]) -> Counters:
    total = _int(_first(attrs, "printer-impressions-completed"))
    color = _int(_first(attrs, "printer-impressions-completed-col"))
    total = total if total is not None and total >= 0 else None
    color = color if color is not None and color >= 0 else None
    mono = total - color if total is not None and color is not None and color <= total else None
    note = None
    if total is not None and color is not None and color > total:
        note = "the colour count is larger than the total: mono unknown"
    return Counters(total=total, mono=mono, color=color, unit="impressions" if total is not None else None,
                    source="ipp printer-impressions-completed" + ("(-col)" if color is not None else "")
                    if total is not None else None, note=note)


def result_from_response(target: str, response: IppResponse) -> PollResult:
    """A decoded reply → PollResult (status is set by evaluate())."""
    attrs = response.printer
    result = PollResult(target=target, reachable=True, polled_at=utc_now_iso(), protocol="ipp")
    result.identity = decode_identity(attrs)
    result.supplies = decode_supplies(attrs)
    result.printer_status, result.device_status, result.error_state, result.alerts = decode_state(attrs)
    result.counters = decode_counters(attrs)
    result.page_count = result.counters.total
    result.is_printer = bool(attrs.get("printer-state") is not None or result.supplies)
    return result


async def poll_ipp(target: str, *, timeout: float = 2.0, retries: int = 1, thresholds: Thresholds | None = None,
                   pinned: str | None = None, invert_receptacles: bool = False) -> PollResult:
    """Poll one IPP printer; never raises for the printer's sake (the result says what went wrong).

    `result.tls_fingerprint` is the certificate seen (ipps): the caller pins it when none was."""
    started = time.perf_counter()
    result = PollResult(target=target, polled_at=utc_now_iso(), protocol="ipp")
    requests = 0
    try:
        uri: IppUri = parse_ipp_uri(target)
    except ValueError as exc:
        result.reasons = [str(exc)]
        return result
    body = encode_get_printer_attributes(str(uri), next(_request_ids) & 0x7FFFFFFF, REQUESTED)
    for attempt in range(retries + 1):
        requests += 1
        try:
            reply = await post(uri, body, timeout=timeout, pinned=pinned)
            response = decode_response(reply.body)
            if not response.ok:
                raise IppTransportError(f"the printer refused Get-Printer-Attributes "
                                        f"(IPP status 0x{response.status:04x})")
            result = result_from_response(target, response)
            result.tls_fingerprint = reply.fingerprint
            if invert_receptacles:
                invert_receptacle_levels(result)
            evaluate(result, thresholds)
            if uri.tls and not pinned and reply.fingerprint:  # never trusted silently: say what was met
                result.reasons.append(f"TLS certificate not pinned (self-signed, not checked): SHA-256 "
                                      f"{colon_fingerprint(reply.fingerprint)}")
            break
        except IppTimeout:
            if attempt < retries:
                continue
            window = timeout * (retries + 1)
            result.reasons = [f"no IPP reply within {window:g} s (check the address, port and path)"]
            result.timed_out = True
        except IppCertificateChanged as exc:
            result.reasons = [str(exc)]
            break
        except IppDecodeError as exc:
            result.reasons = [f"not an IPP reply: {exc}"]
            break
        except IppTransportError as exc:
            result.reasons = [f"IPP: {exc}"]
            break
        except Exception as exc:  # a decoder bug must cost one printer, never the fleet (as poll_one)
            result = PollResult(target=target, polled_at=result.polled_at, protocol="ipp",
                                reasons=[f"internal error while polling over IPP: {type(exc).__name__}"])
            break
    if not result.reachable:
        result.status = UNKNOWN
    result.requests = requests
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return result
