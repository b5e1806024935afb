"""Raw var-binds → PollResult fields: pure functions, no I/O.

Everything here must survive any value a device can send: missing columns, wrong
value types, noSuchObject, hostile strings. Numbers that are states (−1/−2/−3) stay
states; text comes out decoded and safe (core/textsafe.py).
"""

from __future__ import annotations

import re
from typing import Any

from ..snmp import ber
from ..util.textsafe import safe_optional
from . import counters, mib
from .model import Alert, Identity, PollResult, Supply, Tray

OID = tuple[int, ...]


# --- text -------------------------------------------------------------------------------------

_HEX_PAIRS = re.compile(r"^(?:[0-9A-Fa-f]{2}[ \t\r\n]*)+$")
# Two Japanese characters in a row: one alone is too often Latin-1 read as Shift-JIS ("é" + letter).
_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]{2,}")


def _printable_ratio(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for c in text if c.isprintable() or c in "\t\n")
    return good / len(text)


def _looks_utf16(raw: bytes) -> str | None:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if len(raw) >= 4 and len(raw) % 2 == 0:
        evens, odds = raw[0::2], raw[1::2]
        if odds.count(0) >= len(odds) * 0.9 and evens.count(0) <= len(evens) * 0.1:
            return "utf-16-le"
        if evens.count(0) >= len(evens) * 0.9 and odds.count(0) <= len(odds) * 0.1:
            return "utf-16-be"
    return None


def decode_octets(raw: bytes) -> str:
    """Bytes a printer sent as text → str, whatever the encoding (never raw hex for text)."""
    utf16 = _looks_utf16(raw)
    if utf16:
        try:
            return raw.decode(utf16).rstrip("\x00")
        except UnicodeDecodeError:
            pass
    raw = raw.rstrip(b"\x00").lstrip(b"\x00")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        lenient = raw.decode("utf-8", errors="replace")
        bad = lenient.count("\ufffd")
        if any(ord(c) > 0x7F and c != "\ufffd" for c in lenient) and bad * 4 <= len(lenient):
            text = lenient.replace("\ufffd", "")  # mostly UTF-8 with a few broken bytes
    if text is None:
        try:
            sjis = raw.decode("cp932")
            if _JAPANESE.search(sjis) and _printable_ratio(sjis) > 0.95:
                text = sjis
        except UnicodeDecodeError:
            pass
    if text is None:
        text = raw.decode("cp1252", errors="replace")
        if "\ufffd" in text:
            text = raw.decode("latin-1")
    return _unhex(text)


def _unhex(text: str) -> str:
    """A description that is a hex dump of text (whole, or as its second line: HP) → the text."""
    stripped = text.strip()
    if len(stripped) >= 5 and _HEX_PAIRS.match(stripped) and re.search(r"\s", stripped):
        decoded = _hex_to_text(stripped)
        if decoded is not None:
            return decoded
    if "\n" in stripped:
        head, _, tail = stripped.partition("\n")
        tail = tail.strip()
        if _HEX_PAIRS.match(tail):
            decoded = _hex_to_text(tail)
            if decoded is not None:
                return head.rstrip("\r") + decoded
    return text


def _hex_to_text(hex_text: str) -> str | None:
    try:
        raw = bytes.fromhex(re.sub(r"\s+", "", hex_text))
    except ValueError:
        return None
    if not raw:
        return None
    inner = decode_octets(raw)
    if _printable_ratio(inner.strip("\x00")) < 0.9:
        return None
    return inner


def text_value(value: Any, *, limit: int | None = 512) -> str | None:
    """Any SNMP value where text belongs → safe text, or None when absent."""
    if value is None or value in ber.SNMP_EXCEPTIONS:
        return None
    if isinstance(value, bytes):
        return safe_optional(decode_octets(value), limit=limit)
    if isinstance(value, ber.ObjectId):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = int_value(value)
        return None if number is None else str(number)
    return safe_optional(value, limit=limit)


_INT_RANGE = (-(2**63), 2**64)  # anything outside no SNMP type can carry


def enum_name(names: dict[int, str], value: Any, default: str | None = None) -> str | None:
    """The name of an enumerated INTEGER; unknown numbers and wrong types → `default`."""
    number = int_value(value)
    return names.get(number, default) if number is not None else default


def int_value(value: Any) -> int | None:
    """An INTEGER where one belongs; wrong types → None (a device bug, not our crash)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return int(value) if _INT_RANGE[0] <= value < _INT_RANGE[1] else None
    if isinstance(value, bytes) and 0 < len(value) <= 12:  # some devices send numbers as strings
        try:
            return int(value.decode("ascii").strip().rstrip("\x00"))
        except (UnicodeDecodeError, ValueError):
            return None
    return None


# --- tables ------------------------------------------------------------------------------------

class Varbinds(dict[OID, Any]):
    """OID → value, with the values grouped by column once (decode reads each column many times)."""

    _columns: dict[OID, dict[OID, Any]] | None = None

    @property
    def columns(self) -> dict[OID, dict[OID, Any]]:
        if self._columns is None:
            cols: dict[OID, dict[OID, Any]] = {}
            for name, value in self.items():
                # every table entry we read is 10 arcs long: the column is the first 11
                cols.setdefault(name[:_COLUMN_LEN], {})[name[_COLUMN_LEN:]] = value
            self._columns = cols
        return self._columns


_COLUMN_LEN = 11


def _view(values: dict[OID, Any]) -> Varbinds:
    return values if isinstance(values, Varbinds) else Varbinds(values)


def table(values: dict[OID, Any], entry: OID, columns: tuple[int, ...]) -> dict[OID, dict[int, Any]]:
    """{row index: {column: value}} in index order, rows defined by the union of columns."""
    cols = _view(values).columns
    rows: dict[OID, dict[int, Any]] = {}
    for col in columns:
        key = entry + (col,)
        if len(key) != _COLUMN_LEN:  # not a 10-arc entry: fall back to a scan
            n = len(entry)
            for name, value in values.items():
                if len(name) > n + 1 and name[:n] == entry and name[n] == col:
                    rows.setdefault(name[n + 1:], {})[col] = value
            continue
        for index, value in cols.get(key, {}).items():
            if index:
                rows.setdefault(index, {})[col] = value
    return dict(sorted(rows.items()))


def _first(values: dict[OID, Any], prefix: OID) -> Any:
    """The value of the lowest instance under `prefix` (scalars: prefix.0)."""
    view = _view(values)
    if len(prefix) == _COLUMN_LEN:
        instances = view.columns.get(prefix)
        if not instances:
            return None
        return instances[min(k for k in instances if k)] if any(instances) else None
    exact = view.get(prefix + (0,))
    if exact is not None:
        return exact
    n = len(prefix)
    best = None
    for name, value in view.items():
        if name[:n] == prefix and len(name) > n and (best is None or name < best[0]):
            best = (name, value)
    return None if best is None else best[1]


def _index_str(index: OID) -> str:
    return ".".join(str(i) for i in index)


# --- identity ----------------------------------------------------------------------------------

_PRINTERISH_TYPES = {mib.HR_DEVICE_PRINTER, mib.oid("1.3.6.1.2.1.25.3.1.1"), mib.oid("1.3.6.1.2.1.25.3.1.2")}


def _clean_sys_descr(descr: str | None) -> str | None:
    if not descr:
        return None
    m = re.search(r"PID:([^,;]+)", descr)  # HP JetDirect: the model is the PID field
    if m:
        return m.group(1).strip() or None
    m = re.search(r"Attached to ([^:;,]+?)(?: Rev\.[^:;,]*)?(?:\s*:|$)", descr)  # print servers
    if m:
        vendor = descr.split()[0]
        model = m.group(1).strip()
        return f"{vendor} {model}" if vendor.lower() not in model.lower() else model
    text = re.split(r";|,| / | version | Ver\.| V\d+\.\d+", descr, maxsplit=1)[0].strip()
    return text or None


def decode_identity(values: dict[OID, Any]) -> tuple[Identity, OID | None]:
    """Identity, and the hrDeviceIndex of the printer row (None when there is none)."""
    devices = table(values, mib.HR_DEVICE_ENTRY, (2, 3, 5))
    printer_row: OID | None = None
    for index, row in devices.items():
        if row.get(2) == mib.HR_DEVICE_PRINTER:
            printer_row = index
            break
    model = None
    if printer_row is not None:
        model = text_value(devices[printer_row].get(3), limit=128)
    elif devices:
        index, row = next(iter(devices.items()))
        dtype = row.get(2)
        if dtype is None or dtype in _PRINTERISH_TYPES:
            model = text_value(row.get(3), limit=128)
    descr = text_value(_first(values, mib.SYS_DESCR), limit=256)
    if not model:
        model = _clean_sys_descr(descr)
    object_id = _first(values, mib.SYS_OBJECT_ID)
    uptime = int_value(_first(values, mib.SYS_UPTIME))
    identity = Identity(
        name=text_value(_first(values, mib.SYS_NAME), limit=128),
        model=model,
        serial=text_value(_first(values, mib.PRT_GENERAL_SERIAL), limit=64),
        description=descr,
        location=text_value(_first(values, mib.SYS_LOCATION), limit=128),
        contact=text_value(_first(values, mib.SYS_CONTACT), limit=128),
        object_id=str(object_id) if isinstance(object_id, ber.ObjectId) else text_value(object_id, limit=128),
        uptime_s=uptime // 100 if uptime is not None and uptime >= 0 else None,
    )
    return identity, printer_row


# --- device and printer status -----------------------------------------------------------------

def decode_error_state(value: Any) -> list[str]:
    """hrPrinterDetectedErrorState: bit 0 is the most significant bit of the first octet."""
    if not isinstance(value, bytes):
        return []
    flags = []
    for bit, name in enumerate(mib.ERROR_STATE_BITS):
        byte, offset = divmod(bit, 8)
        if byte < len(value) and value[byte] & (0x80 >> offset):
            flags.append(name)
    return flags


# --- supplies ----------------------------------------------------------------------------------

_KIND_WORDS = (  # order matters: "waste toner" before "toner", "drum" before "toner" ("toner drum"?)
    ("waste", "waste"), ("resíduos", "waste"), ("abfall", "waste"), ("rest", "waste"),
    ("collection", "waste"), ("maintenance box", "waste"), ("maintenance kit", "other"),
    ("drum", "drum"), ("opc", "drum"), ("imaging unit", "drum"), ("photoconductor", "drum"),
    ("trommel", "drum"), ("tambour", "drum"), ("image unit", "drum"), ("imaging drum", "drum"),
    ("developer", "developer"), ("entwickler", "developer"),
    ("fuser", "fuser"), ("fixing", "fuser"), ("fixier", "fuser"),
    ("transfer", "transfer"), ("belt", "transfer"), ("itb", "transfer"),
    ("staple", "staples"), ("heftklammer", "staples"),
    ("ink", "ink"), ("tinte", "ink"),
    ("toner", "toner"), ("cartridge", "toner"), ("kartusche", "toner"), ("トナー", "toner"),
)


def supply_kind(type_name: str | None, description: str) -> str:
    """Our grouping; by type first, then by words in the description ("Waste Toner" is waste)."""
    if type_name in mib.SUPPLY_TYPE_KIND:
        return mib.SUPPLY_TYPE_KIND[type_name]
    lowered = description.lower()
    for word, kind in _KIND_WORDS:
        if re.search(rf"(?<![a-z]){re.escape(word)}", lowered):  # "pink" is not "ink"
            return kind
    return "other"


def color_from_text(text: str | None) -> str | None:
    if not text:
        return None
    lowered = text.lower()
    # the longest colour words first ("photo black" before "black")
    for word in sorted(mib.COLOR_WORDS, key=len, reverse=True):
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered):
            return mib.COLOR_WORDS[word]
    short = {"bk": "black", "k": "black", "c": "cyan", "m": "magenta", "y": "yellow"}
    m = re.search(r"\(([A-Za-z]{1,2})\)|\b([CMYK])\b(?=\s|$)", text)
    if m:
        return short.get((m.group(1) or m.group(2)).lower())
    return None


def invert_receptacle_levels(result: PollResult) -> None:
    """For a device that counts its waste boxes the other way round (the per-printer
    `invert_receptacles` override): the level of a receptacle is how full it is, not the
    space left that RFC 3805 defines. remaining_pct stays "space left"; raw levels stay raw."""
    for supply in result.supplies:
        if not supply.is_receptacle or supply.remaining_pct is None:
            continue
        level, max_ = supply.level, supply.max
        if level is not None and level >= 0 and max_ is not None and max_ > 0:
            supply.remaining_pct = round(100 * (max_ - min(level, max_)) / max_)
        else:  # a percent-unit level read without a max
            supply.remaining_pct = 100 - supply.remaining_pct


def level_pct(level: int | None, max_: int | None, unit: str | None) -> tuple[int | None, str | None, bool]:
    """(remaining_pct, level_note, estimated) per RFC 3805: states stay states."""
    if level is None:
        return None, "unknown", False
    if level == mib.LEVEL_UNRESTRICTED:
        return None, "unrestricted", False
    if level == mib.LEVEL_UNKNOWN:
        return None, "unknown", False
    if level == mib.LEVEL_SOME_REMAINING:
        return None, "some_remaining", False
    if level < 0:
        return None, "unknown", False
    if max_ is not None and max_ > 0:
        if level >= max_:
            return 100, None, False
        return round(100 * level / max_), None, False
    # MaxCapacity −1/−2/0: unknown. A percent-unit level can still be read as a percentage.
    if unit == "percent" and level <= 100:
        return level, "max_unknown", True
    return None, "max_unknown", False


def decode_supplies(values: dict[OID, Any]) -> list[Supply]:
    colorants = table(values, mib.PRT_COLORANT_VALUE[:-1], (4,))
    rows = table(values, mib.PRT_SUPPLIES_ENTRY, (3, 4, 5, 6, 7, 8, 9))
    supplies = []
    for index, row in rows.items():
        description = text_value(row.get(6), limit=160) or ""
        class_ = enum_name(mib.SUPPLY_CLASS_NAMES, row.get(4))
        type_name = enum_name(mib.SUPPLY_TYPE_NAMES, row.get(5))
        unit = enum_name(mib.UNIT_NAMES, row.get(7))
        max_ = int_value(row.get(8))
        level = int_value(row.get(9))
        kind = supply_kind(type_name, description)
        if class_ is None and kind == "waste":
            class_ = None  # unknown class: kind alone marks it as a receptacle for display
        color = None
        colorant_index = int_value(row.get(3))
        if colorant_index and colorant_index > 0 and index:
            colorant = text_value(colorants.get((index[0], colorant_index), {}).get(4), limit=32)
            if colorant and colorant.casefold() not in ("unknown", "other", "none"):
                color = color_from_text(colorant) or colorant
        if color is None and kind in ("toner", "ink", "drum", "developer"):
            color = color_from_text(description)
        pct, note, estimated = level_pct(level, max_, unit)
        if not description:
            description = f"{(type_name or kind).capitalize()} {_index_str(index)}"
        supplies.append(Supply(
            index=_index_str(index), description=description, type=type_name, kind=kind, class_=class_,
            unit=unit, color=color, level=level, max=max_, remaining_pct=pct, level_note=note,
            estimated=estimated,
        ))
    return supplies


# --- trays and alerts ---------------------------------------------------------------------------

def decode_trays(values: dict[OID, Any]) -> list[Tray]:
    rows = table(values, mib.PRT_INPUT_ENTRY, (8, 9, 10, 11, 12, 13, 18))
    trays = []
    for index, row in rows.items():
        max_ = int_value(row.get(9))
        level = int_value(row.get(10))
        unit = enum_name(mib.UNIT_NAMES, row.get(8))
        pct, note, _ = level_pct(level, max_, unit)
        trays.append(Tray(
            index=_index_str(index),
            name=text_value(row.get(13), limit=64),
            description=text_value(row.get(18), limit=128),
            level=level, max=max_, remaining_pct=pct, level_note=note,
            media=text_value(row.get(12), limit=64),
        ))
    return trays


def decode_alerts(values: dict[OID, Any]) -> list[Alert]:
    rows = table(values, mib.PRT_ALERT_ENTRY, (2, 3, 4, 5, 6, 7, 8))
    alerts = []
    for index, row in rows.items():
        code = int_value(row.get(7))
        code_name = mib.ALERT_CODE_NAMES.get(code) if code is not None else None
        description = text_value(row.get(8), limit=200) or ""
        if not description:
            description = _words(code_name) if code_name else (f"alert code {code}" if code is not None else "alert")
        alerts.append(Alert(
            index=_index_str(index),
            severity=enum_name(mib.ALERT_SEVERITY_NAMES, row.get(2)) or "other",
            training=enum_name(mib.ALERT_TRAINING_NAMES, row.get(3)),
            group=enum_name(mib.ALERT_GROUP_NAMES, row.get(4)),
            code=code,
            code_name=code_name,
            description=description,
        ))
    return alerts


def _words(camel: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", camel).capitalize()


# --- everything --------------------------------------------------------------------------------

def decode(target: str, values: dict[OID, Any]) -> PollResult:
    """A reachable device's var-binds → PollResult (status is set later by core/status.py)."""
    values = _view(values)
    identity, printer_row = decode_identity(values)
    result = PollResult(target=target, reachable=True, identity=identity)
    devices = table(values, mib.HR_DEVICE_ENTRY, (5,))
    printers = table(values, mib.HR_PRINTER_ENTRY, (1, 2))
    row_key = printer_row if printer_row is not None else (next(iter(printers)) if printers else None)
    if row_key is not None:
        result.device_status = enum_name(mib.HR_DEVICE_STATUS_NAMES, devices.get(row_key, {}).get(5))
        prow = printers.get(row_key, {})
        result.printer_status = enum_name(mib.HR_PRINTER_STATUS_NAMES, prow.get(1))
        result.error_state = decode_error_state(prow.get(2))
    elif devices and printer_row is None and not printers:
        result.device_status = None
    result.page_count = _page_count(values)
    lives, units = counters.marker_counts(values, mib.PRT_MARKER_ENTRY)
    result.counters = counters.decode_counters(values, _first(values, mib.SYS_OBJECT_ID), lives, units)
    result.supplies = decode_supplies(values)
    result.trays = decode_trays(values)
    result.alerts = decode_alerts(values)
    result.is_printer = bool(printer_row is not None or printers or result.supplies)
    return result


def _page_count(values: dict[OID, Any]) -> int | None:
    value = int_value(_first(values, mib.PRT_MARKER_LIFE_COUNT))
    return value if value is not None and value >= 0 else None
