"""The words people read about a printer's supplies and state: one vocabulary for every surface.

The TUI, `poll`, `printers show`, `check`, the CSV reports, notifications and metrics all
name a supply and word its level through these functions, so they never disagree:

    supply_name   "Cyan toner" when colour and kind say it all (and no sibling shares them);
                  the device's own text when it carries a part number ("Black Cartridge HP
                  CF410A": that is what gets ordered) or when colour and kind are not enough
    level_text    "78 %", "~78 %" (estimated), "95 % full" (a receptacle), "some left",
                  "level unknown", "no limit", "capacity unknown"
    supply_reason "Cyan toner 8 %", "Waste toner box 95 % full"
    pages_text    "87,012" or "87,012 (mono 60,000 · colour 27,012)" where the printer splits them
    FLAG_WORDS    hrPrinterDetectedErrorState flags in words ("Paper jam", "Door open")

Ages ("3m", "just now") are in core/util/timeutil.py. Text from devices goes through
core/util/textsafe.safe_text where it is shown; these functions return raw words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..util.textsafe import safe_text
from .model import Counters, Supply

# what a level note means, in words (RFC 3805 levels -1/-2/-3 are states, never numbers)
LEVEL_NOTE_WORDS = {
    "some_remaining": "some left",
    "unknown": "level unknown",
    "unrestricted": "no limit",
    "max_unknown": "capacity unknown",
}

# hrPrinterDetectedErrorState flags: (severity, words)
ERROR_FLAGS = {
    "noToner": "Out of toner",
    "noPaper": "Out of paper",
    "jammed": "Paper jam",
    "doorOpen": "Door open",
    "offline": "Printer offline",
}
WARNING_FLAGS = {
    "lowToner": "Toner low",
    "lowPaper": "Paper low",
    "serviceRequested": "Service requested",
    "overduePreventMaint": "Maintenance overdue",
    "inputTrayMissing": "Input tray missing",
    "outputTrayMissing": "Output tray missing",
    "markerSupplyMissing": "A supply is missing",
    "outputNearFull": "Output tray nearly full",
    "outputFull": "Output tray full",
    "inputTrayEmpty": "Input tray empty",
}
FLAG_WORDS = {**ERROR_FLAGS, **WARNING_FLAGS}

# kinds that read well after a colour: "Cyan toner", "Black drum"
_LABELLED_KINDS = {"toner": "toner", "ink": "ink", "drum": "drum", "developer": "developer"}


_pair_counts_cache: tuple[object, int, Counter[tuple[str | None, str]]] | None = None


def _pair_counts(siblings: Sequence[Supply]) -> Counter[tuple[str | None, str]]:
    """(colour, kind) counts of a supply list; naming every supply of a list asks for the
    same list over and over (a hostile device has 2,048 rows), so the last answer is kept."""
    global _pair_counts_cache
    cached = _pair_counts_cache
    if cached is not None and cached[0] is siblings and cached[1] == len(siblings):
        return cached[2]
    counts = Counter((s.color, s.kind) for s in siblings)
    _pair_counts_cache = (siblings, len(siblings), counts)
    return counts


def supply_name(supply: Supply, siblings: Sequence[Supply] | None = None) -> str:
    """What people call this supply (raw: pass it through safe_text to show it)."""
    if supply.color and supply.kind in _LABELLED_KINDS and not part_number(supply.description):
        label = f"{supply.color.capitalize()} {_LABELLED_KINDS[supply.kind]}"
        if siblings is None or _pair_counts(siblings)[(supply.color, supply.kind)] == 1:
            return label
    return supply.description or f"Supply {supply.index}"


def note_text(note: str | None) -> str:
    """A level that is a state, not a number (a supply's or a paper tray's), in words."""
    return LEVEL_NOTE_WORDS.get(note or "unknown", "level unknown")


def level_text(supply: Supply) -> str:
    """How much is left (or, for a receptacle, how full it is), in words."""
    if supply.remaining_pct is None:
        return note_text(supply.level_note)
    if supply.is_receptacle:
        return f"{supply.full_pct} % full"
    return f"{'~' if supply.estimated else ''}{supply.remaining_pct} %"


def supply_reason(supply: Supply, siblings: Sequence[Supply] | None = None) -> str:
    """ "Cyan toner 8 %", "Waste toner box 95 % full": a supply that needs attention."""
    return f"{supply_name(supply, siblings)} {level_text(supply)}"


# Part numbers as vendors print them in supply descriptions. Each alternative is a shape that
# plain words and quantities ("Black", "4000 pages", "110V", "A4", "M507") never have.
_PART_LABELLED = re.compile(
    r"(?i:\b(?:P/?N|part\s*(?:no\.?|number|#)|order\s*(?:no\.?|number)|ref\.?)\s*[:#.]?\s*)"
    r"([A-Z0-9][A-Z0-9-]{3,19})\b")
_PART_SHAPES = re.compile(
    r"""
    \b(?:
        \d{3}R\d{5}                                   # Xerox        106R03533, 013R00662
      | C13T[0-9A-Z]{4,6}                             # Epson        C13T7911, C13T09K140
      | (?:C[A-Z]?|Q|W)\d{3,4}[A-Z]{1,2}              # HP           CF410A, CE285A, Q2612A, W2030X, C4092A
      | (?!(?:SN|ISO|IEC|RFC|USB|UTF|MAC|DIN|IP)-)
        [A-Z]{2,4}-[A-Z]{0,2}\d{2,5}[A-Z0-9]{0,6}    # prefix-number TN-2420, TK-5240K, DR-2400, MLT-D111S, CRG-045H
      | \d{2}[A-Z][0-9A-Z]{3}\d                       # Lexmark      50F2H00, 71B20K0, 24B6035
    )\b
    """,
    re.VERBOSE,
)


def part_number(description: str | None) -> str | None:
    """The vendor part number in a supply description, if it carries one.

    "Black Cartridge HP CF410A" -> "CF410A"; "TN-2420"; "Toner Cartridge; PN 106R03533";
    "Black Toner" -> None; "Imaging Unit 4000 pages" -> None.
    """
    if not description:
        return None
    text = safe_text(description, limit=200)
    labelled = _PART_LABELLED.search(text)
    if labelled and any(c.isdigit() for c in labelled.group(1)):
        return labelled.group(1)
    m = _PART_SHAPES.search(text)
    return m.group(0) if m else None


def pages_text(page_count: int | None, counters: Counters | None = None) -> str:
    """The page count as people read it, with the vendor's mono/colour split where it is known
    (issue 16): "87,012 (mono 60,000 · colour 27,012)". Nothing is derived: a printer that
    publishes only one of the two shows only that one."""
    if page_count is None and (counters is None or counters.total is None):
        return "—"
    total = page_count if page_count is not None else counters.total if counters is not None else None
    text = f"{total:,}" if total is not None else "—"
    split = split_text(counters)
    return f"{text} ({split})" if split else text


def split_text(counters: Counters | None) -> str:
    """"mono 60,000 · colour 27,012", or only the one the printer publishes, or ""."""
    if counters is None:
        return ""
    return " · ".join(f"{word} {value:,}" for word, value in (("mono", counters.mono), ("colour", counters.color))
                      if value is not None)


# ---------------------------------------------------------------- alert table rows (issue 15: "write for people")

# prtAlertGroup: what part of the printer an alert is about
ALERT_GROUP_WORDS = {
    "hostResourcesMIBStorageTable": "storage", "hostResourcesMIBDeviceTable": "device",
    "generalPrinter": "printer", "cover": "cover", "localization": "language settings",
    "input": "paper tray", "output": "output tray", "marker": "print engine",
    "markerSupplies": "supplies", "markerColorant": "colorant", "mediaPath": "paper path",
    "channel": "connection", "interpreter": "interpreter", "consoleDisplayBuffer": "panel display",
    "consoleLights": "panel lights", "alert": "alert table", "finDevice": "finisher",
    "finSupply": "finisher supply", "finSupplyMediaInput": "finisher input", "finAttribute": "finisher",
}
# prtAlertTrainingLevel: who can fix it (RFC 3805)
ALERT_TRAINING_WORDS = {
    "untrained": "anyone can fix it", "trained": "a trained operator can fix it",
    "fieldService": "needs a service technician", "management": "needs the administrator",
    "noInterventionRequired": "no action needed", "other": "", "unknown": "",
}
ALERT_SEVERITY_WORDS = {"critical": "critical", "warning": "warning", "warning_binary": "warning", "other": ""}
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def alert_code_words(code_name: str | None) -> str:
    """prtAlertCode in words: "markerTonerAlmostEmpty" -> "toner almost empty",
    "markerWasteTonerReceptacleAlmostFull" -> "waste toner box almost full"."""
    if not code_name or code_name in ("other", "unknown"):
        return ""
    words = [w.lower() for w in _CAMEL.findall(code_name)]
    if len(words) > 1 and words[0] == "marker":  # the print engine: "toner almost empty" says it
        words = words[1:]
    return " ".join(words).replace("receptacle", "box").replace("opc", "drum")


def alert_extra_words(severity: str | None, group: str | None, code_name: str | None,
                      training: str | None) -> list[str]:
    """The words shown after an alert's own description: severity, part, what, who can fix it
    (never the MIB's camelCase names: those stay in `printers show --json`)."""
    out = [ALERT_SEVERITY_WORDS.get(severity or "", safe_text(severity or "", limit=20)),
           ALERT_GROUP_WORDS.get(group or "", safe_text(group or "", limit=30)),
           alert_code_words(code_name),
           ALERT_TRAINING_WORDS.get(training or "", safe_text(training or "", limit=30))]
    seen: list[str] = []
    for word in out:
        if word and word not in seen:
            seen.append(word)
    return seen
