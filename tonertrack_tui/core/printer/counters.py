"""Page counts split by colour and mono, read where each vendor publishes them (issue 16).

The Printer-MIB has one lifetime count per marker (prtMarkerLifeCount, in
prtMarkerCounterUnit). The split lives in private MIBs; each entry of SOURCES names
the module and the objects it reads, and says what verified it (a shared recording or
only the MIB text, with a fixture in tests/data/ written from that text).

Rules: nothing is guessed. A count the device does not publish stays None. Where mono +
colour and a total are all known and disagree, all three are kept and `note` says so.
Where a vendor reports several colour classes (full colour, single colour, two-colour,
highlight colour) they are kept apart in `detail`; `note` says what `color` adds up.

Vendors without a mapping, and why (checked against monitoring projects' mibs/ folders
and vendor-MIB collections; say so rather than guess):
- Kyocera (1347): KMCOMMON-MIB publishes kmColorModeTable / kmMFPColorModeCounterTable,
  but defines neither the rows (kmColorModeIndex) nor what kmColorModeCounterItem counts;
  KYOCERA-MIB has no page counters (kcprtMarkerDrumCounter counts the drum).
- Canon (1602): no published CANON-MIB text was found. Field tools (GLPI-Agent, Checkmk)
  read a code-indexed table under enterprises.1602.1.11, but nothing published defines the
  codes, and the shared canonprinter_lbp recording carries none of it to check against.
- Epson (1248): no published Epson MIB module with counter objects was found (only one
  user's notes on enterprises.1248.1.2.2.27).
- Fuji Xerox / FUJIFILM (297): no evidence that they implement Xerox's XCMI tables.
These fall back to the Printer-MIB life count for `total`; mono and colour stay None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..snmp import ber
from ..util.textsafe import safe_optional
from .model import Counters

OID = tuple[int, ...]
ENTERPRISES: OID = (1, 3, 6, 1, 4, 1)

# Printer-MIB PrtMarkerCounterUnitTC (RFC 3805)
MARKER_COUNTER_UNITS = {
    3: "tenThousandthsOfInches", 4: "micrometers", 5: "characters", 6: "lines", 7: "impressions",
    8: "sheets", 9: "dotRow", 11: "hours", 16: "feet", 17: "meters",
}


def _oid(text: str) -> OID:
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True, slots=True)
class Walk:
    """Columns first_col..last_col under `entry`, walked on a cold poll (rows unknown)."""

    name: str
    entry: OID
    first_col: int
    last_col: int


@dataclass(slots=True)
class VendorCounts:
    total: int | None = None
    mono: int | None = None
    color: int | None = None
    unit: str | None = None
    detail: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)  # the objects the values came from

    def put(self, what: str, count: int) -> bool:
        """One vendor count: total, mono or colour (True), or a finer class kept in `detail` (False)."""
        if what in ("total", "mono", "color"):
            setattr(self, what, count)
            return True
        self.detail[what] = count
        return False


@dataclass(frozen=True, slots=True)
class Source:
    vendor: str
    enterprise: int
    mib: str | None  # MIB module; None when no published module was found (then `basis` says why)
    objects: str  # object names → what they mean here
    verified_by: str
    scalars: tuple[OID, ...]  # exact instances, asked on every poll
    walks: tuple[Walk, ...]  # table columns walked on a cold poll
    dynamic: tuple[OID, ...]  # prefixes of the values that change: re-read on every steady poll
    decoder: Callable[[Mapping[OID, Any]], VendorCounts]
    basis: str = ""


# --- helpers -----------------------------------------------------------------------------------

def _count(value: Any) -> int | None:
    """A counter value; states, wrong types and negative numbers → None."""
    if value is None or isinstance(value, bool) or value in ber.SNMP_EXCEPTIONS:
        return None
    if isinstance(value, int):
        return int(value) if 0 <= value < 2**64 else None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return safe_optional(value.decode("utf-8", "replace"), limit=255)
    if isinstance(value, str):
        return safe_optional(value, limit=255)
    return None


def _rows(values: Mapping[OID, Any], entry: OID, columns: tuple[int, ...]) -> dict[OID, dict[int, Any]]:
    """{row index: {column: value}} under `entry`, in index order."""
    n = len(entry)
    rows: dict[OID, dict[int, Any]] = {}
    for name, value in values.items():
        if len(name) > n + 1 and name[:n] == entry and name[n] in columns:
            rows.setdefault(name[n + 1:], {})[name[n]] = value
    return dict(sorted(rows.items()))


def _sum(parts: list[int | None]) -> int | None:
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


def _dotted(name: OID) -> str:
    return ".".join(str(n) for n in name)


# --- HP: HP-LASERJET-COMMON-MIB -------------------------------------------------------------

HP_STATUS_PRT_ENG = _oid("1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2")  # status-prt-eng
HP_TOTAL = HP_STATUS_PRT_ENG + (5, 0)  # total-engine-page-count
HP_MONO = HP_STATUS_PRT_ENG + (6, 0)  # total-mono-page-count
HP_COLOR = HP_STATUS_PRT_ENG + (7, 0)  # total-color-page-count


def _decode_hp(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts(total=_count(values.get(HP_TOTAL)), mono=_count(values.get(HP_MONO)),
                       color=_count(values.get(HP_COLOR)))
    for name, oid in (("total-engine-page-count", HP_TOTAL), ("total-mono-page-count", HP_MONO),
                      ("total-color-page-count", HP_COLOR)):
        if _count(values.get(oid)) is not None:
            out.objects.append(name)
    if out.color is not None:
        out.notes.append("colour = pages with any colour pixel (HP: each side counted)")
    return out


# --- Brother: BROTHER-MIB brPrintPagesFuncTable ------------------------------------------------

BROTHER_FUNC_ENTRY = _oid("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.52.21.1")  # brPrintPagesFuncEntry
# brPrintPagesFuncType (column 2) → (function, kind); brPrintPagesFuncCounter is column 3
BROTHER_FUNC_TYPES = {
    1: ("print", "total"), 2: ("fax", "total"), 3: ("copy", "total"),
    4: ("copy", "color"), 5: ("print", "color"), 6: ("fax", "color"),
    7: ("print", "mono"), 8: ("fax", "mono"), 9: ("copy", "mono"),
}


def _decode_brother(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts()
    sums: dict[str, list[int | None]] = {"total": [], "mono": [], "color": []}
    for row in _rows(values, BROTHER_FUNC_ENTRY, (2, 3)).values():
        kind = BROTHER_FUNC_TYPES.get(_count(row.get(2)) or 0)
        count = _count(row.get(3))
        if kind is None or count is None:
            continue
        function, what = kind
        out.detail[f"{function}_{what}"] = count
        sums[what].append(count)
    out.total, out.mono, out.color = _sum(sums["total"]), _sum(sums["mono"]), _sum(sums["color"])
    if out.detail:
        out.objects.append("brPrintPagesFuncType/brPrintPagesFuncCounter")
        out.notes.append("sums over the functions the device lists (print, copy, fax)")
    return out


# --- Lexmark: LEXMARK-MPS-MIB paperGeneralCountTable ---------------------------------------------

LEXMARK_PAPER_GENERAL_ENTRY = _oid("1.3.6.1.4.1.641.6.4.2.1.1")  # paperGeneralCountEntry
# paperGeneralCountType (column 2); units column 3 (UnitsTC); value column 4
LEXMARK_TYPES = {
    2: "total", 3: "mono", 4: "color",  # totalSafe, totalMonoSafe, totalColorSafe
    17: "print_mono", 18: "print_color", 33: "copy_mono", 34: "copy_color", 49: "fax_mono", 50: "fax_color",
    90: "highlight_color", 91: "business_color", 92: "graphics_color",
}
# LEXMARK-TC-MIB UnitsTC; a side is one impression (the MPS MIB: "sides (impressions)")
LEXMARK_UNITS = {4: "impressions", 5: "sheets"}


def _decode_lexmark(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts()
    rows = _rows(values, LEXMARK_PAPER_GENERAL_ENTRY, (2, 3, 4))
    devices = sorted({index[0] for index in rows if index})
    units: set[str | None] = set()
    for index, row in rows.items():
        if not devices or index[:1] != (devices[0],):
            continue  # the first device only (deviceIndex)
        what = LEXMARK_TYPES.get(_count(row.get(2)) or 0)
        count = _count(row.get(4))
        if what is None or count is None:
            continue
        if out.put(what, count):
            units.add(LEXMARK_UNITS.get(_count(row.get(3)) or 0))
    if len(units) == 1:
        out.unit = units.pop()
    elif len(units) > 1:
        out.notes.append("Lexmark counts in mixed units")
    if out.total is not None or out.mono is not None or out.color is not None or out.detail:
        out.objects.append("paperGeneralCountType/paperGeneralCountValue")
    if any(k in out.detail for k in ("highlight_color", "business_color", "graphics_color")):
        out.notes.append("colour = totalColorSafe; Lexmark's highlight/business/graphics colour classes kept apart")
    return out


# --- Ricoh: RicohPrivateMIB ricohEngCounter --------------------------------------------------------

RICOH_ENG_COUNTER = _oid("1.3.6.1.4.1.367.3.2.1.2.19")  # ricohEngCounter
RICOH_TOTAL = RICOH_ENG_COUNTER + (1, 0)  # ricohEngCounterTotal
RICOH_COUNTER_ENTRY = RICOH_ENG_COUNTER + (5, 1)  # ricohEngCounterEntry: type col 2, value col 9
RICOH_TYPES = {
    10: "total",  # CounterMachineTotal
    609: "mono",  # TotalPrintsBlackWhite
    608: "color",  # TotalPrintsColor
    600: "full_color", 614: "full_color_2",  # TotalPrintsFullColor (the MIB lists the name twice)
    601: "single_color",  # TotalPrintsMonocolor: one colour other than black
    201: "copy_mono", 202: "copy_single_two_color", 203: "copy_full_color",
    401: "print_mono", 402: "print_single_two_color", 403: "print_full_color", 301: "fax_mono",
}


def _decode_ricoh(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts()
    for row in _rows(values, RICOH_COUNTER_ENTRY, (2, 9)).values():
        what = RICOH_TYPES.get(_count(row.get(2)) or 0)
        count = _count(row.get(9))
        if what is None or count is None:
            continue
        out.put(what, count)
    if out.total is not None or out.mono is not None or out.color is not None or out.detail:
        out.objects.append("ricohEngCounterType/ricohEngCounterValue")
    if out.total is None and _count(values.get(RICOH_TOTAL)) is not None:
        out.total = _count(values.get(RICOH_TOTAL))
        out.objects.append("ricohEngCounterTotal")
    if out.color is not None or any("color" in k for k in out.detail):
        out.notes.append("colour = Ricoh's TotalPrintsColor; full colour and single colour kept apart")
    return out


# --- Xerox: XEROX-HOST-RESOURCES-EXT-MIB xcmHrDevDetailTable ----------------------------------

XEROX_DETAIL_ENTRY = _oid("1.3.6.1.4.1.253.8.53.13.2.1")  # xcmHrDevDetailEntry
XEROX_LIFETIME_USAGE = 20  # XcmHrDevDetailType deviceLifetimeUsage
XEROX_HR_DEVICE = 1  # the rows of hrDeviceIndex 1 only (the printer row on Xerox devices)
XEROX_VALUE = XEROX_DETAIL_ENTRY + (6, XEROX_HR_DEVICE)  # xcmHrDevDetailValueInteger
XEROX_LABEL = XEROX_DETAIL_ENTRY + (8, XEROX_HR_DEVICE)  # xcmHrDevDetailValueString
XEROX_LABEL_PREFIX = "xs-xcmi-40jobtc-XcmJMImpsCountType-"
# XEROX-JOB-MONITORING-TC XcmJMImpsCountType names → ours
XEROX_COUNT_TYPES = {
    "totalCount": "total", "blackAndWhiteCount": "mono",
    "highlightColorCount": "highlight_color", "fullColorCount": "full_color",
    "oneVisibleColorCount": "one_visible_color", "limitedVisibleColorCount": "limited_visible_color",
    "oneColorantCount": "one_colorant", "twoColorantCount": "two_colorant",
    "threeColorantCount": "three_colorant", "fourColorantCount": "four_colorant",
}


def _decode_xerox(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts()
    labels = {k[len(XEROX_LABEL) + 1:]: v for k, v in values.items()
              if k[:len(XEROX_LABEL) + 1] == XEROX_LABEL + (XEROX_LIFETIME_USAGE,)}
    seen: set[str] = set()
    for index, raw_label in sorted(labels.items()):
        label = (_text(raw_label) or "").split()
        if not label or not label[0].startswith(XEROX_LABEL_PREFIX):
            continue
        what = XEROX_COUNT_TYPES.get(label[0][len(XEROX_LABEL_PREFIX):])
        count = _count(values.get(XEROX_VALUE + (XEROX_LIFETIME_USAGE,) + index))
        if what is None or count is None:
            continue
        if what in seen:
            out.notes.append(f"Xerox lists {what} twice; the first kept")
            continue
        seen.add(what)
        if what in ("total", "mono"):
            setattr(out, what, count)
        else:
            out.detail[what] = count
    colour_parts = [out.detail[k] for k in ("highlight_color", "full_color") if k in out.detail]
    if colour_parts:
        out.color = sum(colour_parts)
        out.notes.append("colour = highlight colour (black + one colorant) + full colour (3+ colorants)")
    if seen:
        out.objects.append("xcmHrDevDetailValueString/xcmHrDevDetailValueInteger (deviceLifetimeUsage)")
    return out


# --- Samsung: SAMSUNG-HOST-RESOURCES-EXT-MIB scmHrDevCountTable --------------------------------

SAMSUNG_COUNT_ENTRY = _oid("1.3.6.1.4.1.236.11.5.11.53.11.2.1")  # scmHrDevCountEntry
# jobType col 2, mediaSize col 3, unit col 4, duplex col 5, color col 6, value col 7
SAMSUNG_OUTPUT_JOBS = {1: "print", 2: "copy", 3: "fax_in", 6: "report"}  # jobs that put toner on paper
SAMSUNG_COLORS = {1: "full_color", 2: "single_color", 3: "mono"}  # ScmHrDevCountColorTC (monoColor = black)
SAMSUNG_UNITS = {7: "impressions", 8: "sheets"}  # ScmHrDevCountUnitTC (Printer-MIB numbers)


def _decode_samsung(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts()
    sums: dict[str, list[int | None]] = {"mono": [], "full_color": [], "single_color": []}
    keys: set[tuple[int | None, ...]] = set()
    units: set[int | None] = set()
    duplicate = False
    for row in _rows(values, SAMSUNG_COUNT_ENTRY, (2, 3, 4, 5, 6, 7)).values():
        job, color, count = _count(row.get(2)), _count(row.get(6)), _count(row.get(7))
        if job not in SAMSUNG_OUTPUT_JOBS or color not in SAMSUNG_COLORS or count is None:
            continue
        key = (job, _count(row.get(3)), _count(row.get(5)), color)
        duplicate = duplicate or key in keys
        keys.add(key)
        units.add(_count(row.get(4)))
        sums[SAMSUNG_COLORS[color]].append(count)
    if not keys:
        return out
    out.objects.append("scmHrDevCountJobType/scmHrDevCountColor/scmHrDevCountValue")
    if duplicate:
        out.notes.append("Samsung count rows overlap (same job, size, duplex and colour): not added up")
        return out
    out.mono = _sum(sums["mono"])
    for k in ("full_color", "single_color"):
        if sums[k]:
            out.detail[k] = sum(c for c in sums[k] if c is not None)
    if out.detail:
        out.color = sum(out.detail.values())
        out.notes.append("colour = full colour + single colour; sums of print, copy, fax-in and report rows")
    if len(units) == 1:
        out.unit = SAMSUNG_UNITS.get(units.pop() or 0)
    return out


# --- Sharp: the named counter table under enterprises.2385.1.1.19.2.1 ----------------------------

SHARP_COUNTER_ENTRY = _oid("1.3.6.1.4.1.2385.1.1.19.2.1")  # value column 3, name column 4
SHARP_TOTALS = (5, 4)  # the row group the device names "... Total Count"
# code → (our key, a word the device's own name for the row must contain)
SHARP_CODES = {61: ("mono", "black & white"), 63: ("full_color", "full color"),
               64: ("two_color", "two color"), 80: ("single_color", "single color")}
SHARP_VALUES = tuple(SHARP_COUNTER_ENTRY + (3,) + SHARP_TOTALS + (code,) for code in SHARP_CODES)
SHARP_NAMES = tuple(SHARP_COUNTER_ENTRY + (4,) + SHARP_TOTALS + (code,) for code in SHARP_CODES)


def _decode_sharp(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts()
    for (code, (what, word)), value_oid, name_oid in zip(SHARP_CODES.items(), SHARP_VALUES, SHARP_NAMES,
                                                          strict=True):
        count = _count(values.get(value_oid))
        if count is None:
            continue
        name = _text(values.get(name_oid)) or ""
        if word not in name.lower():
            out.notes.append(f"Sharp row {code} is named {name!r}, not {word!r}: not used")
            continue
        out.objects.append(name)
        if what == "mono":
            out.mono = count
        else:
            out.detail[what] = count
    if out.detail:
        out.color = sum(out.detail.values())
        out.notes.append("colour = full colour + two-colour + single colour")
    return out


# --- Konica Minolta: enterprises.18334.1.1.1.5.7.2 ------------------------------------------------

KONICA_COUNTERS = _oid("1.3.6.1.4.1.18334.1.1.1.5.7.2")
KONICA_TOTAL = KONICA_COUNTERS + (1, 1, 0)
KONICA_SPLIT = KONICA_COUNTERS + (2, 1, 5)  # .{1 black, 2 colour}.{1 copy, 2 print}
KONICA_CELLS = {(1, 1): "copy_mono", (1, 2): "print_mono", (2, 1): "copy_color", (2, 2): "print_color"}


def _decode_konica(values: Mapping[OID, Any]) -> VendorCounts:
    out = VendorCounts(total=_count(values.get(KONICA_TOTAL)))
    for (mode, function), what in KONICA_CELLS.items():
        count = _count(values.get(KONICA_SPLIT + (mode, function)))
        if count is not None:
            out.detail[what] = count
    out.mono = _sum([out.detail.get("copy_mono"), out.detail.get("print_mono")])
    out.color = _sum([out.detail.get("copy_color"), out.detail.get("print_color")])
    if out.total is not None:
        out.objects.append("total counter (…5.7.2.1.1.0)")
    if out.detail:
        out.objects.append("copy/print black and colour counters (…5.7.2.2.1.5)")
        out.notes.append("mono = copy + print black; colour = copy + print colour")
    return out


SOURCES: tuple[Source, ...] = (
    Source(
        "HP", 11, "HP-LASERJET-COMMON-MIB",
        "total-engine-page-count (status-prt-eng 5) = total, total-mono-page-count (6) = mono, "
        "total-color-page-count (7) = colour",
        "recording jetdirect_m130nw (mono: total 15232, mono 15232, no colour object)",
        (HP_TOTAL, HP_MONO, HP_COLOR), (), (HP_TOTAL, HP_MONO, HP_COLOR), _decode_hp),
    Source(
        "Brother", 2435, "BROTHER-MIB",
        "brPrintPagesFuncTable: brPrintPagesFuncType (print/copy/fax × total/colour/mono) and "
        "brPrintPagesFuncCounter, summed per kind",
        "MIB text only (fixture tests/data/counters_brother.snmprec); the shared brother recording "
        "carries no counters",
        (), (Walk("brother_counters", BROTHER_FUNC_ENTRY, 2, 3),), (BROTHER_FUNC_ENTRY + (3,),),
        _decode_brother),
    Source(
        "Lexmark", 641, "LEXMARK-MPS-MIB",
        "paperGeneralCountTable: totalSafe = total, totalMonoSafe = mono, totalColorSafe = colour, "
        "paperGeneralCountUnits = unit; print/copy/fax and highlight/business/graphics colour in detail",
        "MIB text only (fixture tests/data/counters_lexmark.snmprec)",
        (), (Walk("lexmark_counters", LEXMARK_PAPER_GENERAL_ENTRY, 2, 4),),
        (LEXMARK_PAPER_GENERAL_ENTRY + (4,),), _decode_lexmark),
    Source(
        "Ricoh", 367, "RicohPrivateMIB",
        "ricohEngCounterTable: ricohEngCounterType CounterMachineTotal = total, TotalPrintsBlackWhite = mono, "
        "TotalPrintsColor = colour (full colour, monocolor and per-function rows in detail); "
        "ricohEngCounterTotal when the table has no machine total",
        "MIB text only (fixture tests/data/counters_ricoh.snmprec); the shared ricoh_mpc3002 recording "
        "carries no ricohEngCounter objects",
        (RICOH_TOTAL,),
        (Walk("ricoh_counter_types", RICOH_COUNTER_ENTRY, 2, 2),
         Walk("ricoh_counter_values", RICOH_COUNTER_ENTRY, 9, 9)),
        (RICOH_TOTAL, RICOH_COUNTER_ENTRY + (9,)), _decode_ricoh),
    Source(
        "Xerox", 253, "XEROX-HOST-RESOURCES-EXT-MIB (+ XEROX-JOB-MONITORING-TC)",
        "xcmHrDevDetailTable rows of type deviceLifetimeUsage: xcmHrDevDetailValueString names the "
        "XcmJMImpsCountType (totalCount, blackAndWhiteCount, highlightColorCount, fullColorCount, …), "
        "xcmHrDevDetailValueInteger the count",
        "MIB text only (fixture tests/data/counters_xerox.snmprec); the shared xerox_apeosport recording "
        "is a Fuji Xerox (297) trimmed to identification",
        (),
        (Walk("xerox_counter_values", XEROX_VALUE, XEROX_LIFETIME_USAGE, XEROX_LIFETIME_USAGE),
         Walk("xerox_counter_labels", XEROX_LABEL, XEROX_LIFETIME_USAGE, XEROX_LIFETIME_USAGE)),
        (XEROX_VALUE + (XEROX_LIFETIME_USAGE,),), _decode_xerox),
    Source(
        "Samsung", 236, "SAMSUNG-HOST-RESOURCES-EXT-MIB",
        "scmHrDevCountTable: rows by scmHrDevCountJobType × MediaSize × Duplex × Color; "
        "monoColor rows = mono, fullColor + singleColor rows = colour (output jobs only)",
        "MIB text only (fixture tests/data/counters_samsung.snmprec); the shared samsung recording "
        "carries no scmHrDevCount objects",
        (), (Walk("samsung_counters", SAMSUNG_COUNT_ENTRY, 2, 7),), (SAMSUNG_COUNT_ENTRY + (7,),),
        _decode_samsung),
    Source(
        "Sharp", 2385, None,
        "counter table enterprises.2385.1.1.19.2.1: value column 3, the device's own row name column 4; "
        "rows 5.4.61 'Black & White Total Count' = mono, 5.4.63 'Full Color', 5.4.64 'Two Color', "
        "5.4.80 'Single Color Total Count' = colour classes",
        "recording sharp (91164 + 29940 + 0 + 0 = 121104 = prtMarkerLifeCount)",
        SHARP_VALUES + SHARP_NAMES, (), SHARP_VALUES, _decode_sharp,
        basis="no published Sharp MIB module was found; each row is used only when the name the "
              "device publishes for it says what it counts"),
    Source(
        "Konica Minolta", 18334, None,
        "enterprises.18334.1.1.1.5.7.2: 1.1.0 total; 2.1.5.{1 black, 2 colour}.{1 copy, 2 print}",
        "recording konica_c250i (copy + print, black + colour = 33803; life count 33810)",
        (KONICA_TOTAL,) + tuple(KONICA_SPLIT + cell for cell in KONICA_CELLS), (),
        (KONICA_TOTAL, KONICA_SPLIT), _decode_konica,
        basis="no published Konica Minolta MIB module was found; the object layout is the one field "
              "tools document (GLPI-Agent MibSupport::Konica, Lansweeper/Checkmk notes) and the "
              "konica_c250i recording agrees with it"),
)
_BY_ENTERPRISE = {s.enterprise: s for s in SOURCES}


def enterprise_of(sys_object_id: Any) -> int | None:
    """The private enterprise number of a sysObjectID (tuple, ObjectId or dotted text)."""
    if sys_object_id is None:
        return None
    try:
        if isinstance(sys_object_id, tuple):
            arcs = tuple(int(a) for a in sys_object_id)
        else:
            arcs = tuple(int(a) for a in str(sys_object_id).strip(".").split("."))
    except (TypeError, ValueError):
        return None
    return arcs[6] if len(arcs) > 6 and arcs[:6] == ENTERPRISES else None


def source_for(sys_object_id: Any) -> Source | None:
    number = enterprise_of(sys_object_id)
    return _BY_ENTERPRISE.get(number) if number is not None else None


def requests_for(sys_object_id: Any) -> tuple[tuple[OID, ...], tuple[Walk, ...]]:
    """What to ask this device for its counters: exact instances, and table columns to walk."""
    source = source_for(sys_object_id)
    return ((), ()) if source is None else (source.scalars, source.walks)


def dynamic_cells(sys_object_id: Any, values: Mapping[OID, Any]) -> tuple[OID, ...]:
    """The counter instances a cold poll found: re-read exactly on every steady poll."""
    source = source_for(sys_object_id)
    if source is None:
        return ()
    return tuple(sorted(k for k in values
                        if any(k[:len(p)] == p and len(k) > len(p) for p in source.dynamic)
                        or k in source.dynamic))


def predecessor(cell: OID) -> OID:
    """An OID whose GETNEXT is `cell` when `cell` exists (indexes of fixed length)."""
    return cell[:-1] + (cell[-1] - 1,) if cell[-1] > 0 else cell[:-1]


# --- the result --------------------------------------------------------------------------------

def decode_counters(values: Mapping[OID, Any], sys_object_id: Any,
                    life_counts: Mapping[str, int | None], counter_units: Mapping[str, str | None]) -> Counters:
    """Vendor counters where published; total falls back to the Printer-MIB life count."""
    source = source_for(sys_object_id)
    vendor = source.decoder(values) if source is not None else VendorCounts()
    notes = list(vendor.notes)
    sources: list[str] = []
    if vendor.objects and source is not None:
        sources.append(f"{source.mib or source.vendor + ' private MIB (no published module)'}: "
                       + ", ".join(vendor.objects))
    markers: list[dict[str, Any]] = [{"index": index, "life_count": count, "unit": counter_units.get(index)}
                                     for index, count in life_counts.items()]
    total, unit = vendor.total, vendor.unit
    if total is None:
        known = {(count, counter_units.get(index)) for index, count in life_counts.items() if count is not None}
        if len(known) == 1:
            total, unit = next(iter(known))
            sources.append("Printer-MIB prtMarkerLifeCount (the device publishes no vendor total)")
        elif len(known) > 1:
            notes.append(f"{len(markers)} markers with different life counts: no single total")
    if vendor.mono is not None and vendor.color is not None and total is not None \
            and vendor.mono + vendor.color != total:
        difference = total - (vendor.mono + vendor.color)
        notes.append(f"mono + colour = {vendor.mono + vendor.color}, total = {total} "
                     f"(differs by {difference:+d}); all three kept as the device reports them")
    if source is not None and source.basis and sources and source.mib is None:
        notes.append(source.basis)
    if source is None:
        if total is not None:
            notes.append("no vendor mapping for this device: mono and colour unknown")
    elif not vendor.objects:
        notes.append(f"the device answered none of the {source.vendor} counter objects: mono and colour unknown")
    elif vendor.mono is not None and vendor.color is None:
        notes.append("the device publishes no colour count")
    return Counters(total=total, mono=vendor.mono, color=vendor.color, unit=unit,
                    source="; ".join(sources) or None, note="; ".join(notes) or None,
                    detail=dict(vendor.detail), markers=markers)


def marker_counts(values: Mapping[OID, Any], entry: OID) -> tuple[dict[str, int | None], dict[str, str | None]]:
    """prtMarkerLifeCount (column 4) and prtMarkerCounterUnit (column 3) for every marker."""
    lives: dict[str, int | None] = {}
    units: dict[str, str | None] = {}
    for index, row in _rows(values, entry, (3, 4)).items():
        key = _dotted(index)
        if 4 in row:
            lives[key] = _count(row.get(4))
        unit = _count(row.get(3))
        units[key] = MARKER_COUNTER_UNITS.get(unit) if unit is not None else None
    return lives, units
