"""Table-driven unit tests of core/decode.py: every fact of DESIGN.md's "Printer-MIB facts".

The `values` dicts are built by hand, exactly as core/ber.py hands them over:
OID tuple → int, bytes, ber.ObjectId, ber.IpAddress, None or a sentinel.
"""

from __future__ import annotations

import json

import pytest

from tonertrack_tui.core.printer import decode as dec
from tonertrack_tui.core.printer import mib
from tonertrack_tui.core.printer.decode import decode, decode_error_state, decode_octets, level_pct, text_value
from tonertrack_tui.core.printer.model import PollResult, Supply
from tonertrack_tui.core.printer.status import evaluate
from tonertrack_tui.core.snmp import ber

S = mib.PRT_SUPPLIES_ENTRY
IN = mib.PRT_INPUT_ENTRY
AL = mib.PRT_ALERT_ENTRY
COLORANT = mib.PRT_COLORANT_VALUE  # .hrDeviceIndex.colorantIndex
HR_DEV = mib.HR_DEVICE_ENTRY
HR_PRT = mib.HR_PRINTER_ENTRY
PRINTER_TYPE = ber.ObjectId(mib.HR_DEVICE_PRINTER)
CPU_TYPE = ber.ObjectId(mib.oid("1.3.6.1.2.1.25.3.1.3"))
NET_TYPE = ber.ObjectId(mib.oid("1.3.6.1.2.1.25.3.1.4"))
OTHER_TYPE = ber.ObjectId(mib.oid("1.3.6.1.2.1.25.3.1.1"))
PAGE_COUNT = mib.PRT_MARKER_LIFE_COUNT + (1, 1)

_ABSENT = object()


def supply(index: tuple[int, ...] = (1, 1), *, colorant=_ABSENT, cls=_ABSENT, type_=_ABSENT, descr=_ABSENT,
           unit=_ABSENT, max_=_ABSENT, level=_ABSENT) -> dict:
    """The var-binds of one prtMarkerSuppliesTable row; omitted columns are absent."""
    row = {}
    for col, value in ((3, colorant), (4, cls), (5, type_), (6, descr), (7, unit), (8, max_), (9, level)):
        if value is not _ABSENT:
            row[S + (col,) + index] = value
    return row


def toner(index=(1, 1), descr=b"Black Toner", level=50, max_=100, **kw) -> dict:
    return supply(index, cls=kw.pop("cls", 3), type_=kw.pop("type_", 3), descr=descr, unit=kw.pop("unit", 19),
                  max_=max_, level=level, **kw)


def printer_rows(status=3, error_state=b"\x00", device_status=2, index=1, descr=b"ACME LaserJet 9000") -> dict:
    return {
        HR_DEV + (2, index): PRINTER_TYPE,
        HR_DEV + (3, index): descr,
        HR_DEV + (5, index): device_status,
        HR_PRT + (1, index): status,
        HR_PRT + (2, index): error_state,
    }


def only_supply(values: dict):
    result = decode("printer.example", values)
    assert len(result.supplies) == 1
    return result.supplies[0]


# --- levels: states are not numbers -------------------------------------------------------------

@pytest.mark.parametrize("level,max_,unit,expected", [
    # special levels: states, never 0 % or 50 %
    (-1, 100, None, (None, "unrestricted", False)),
    (-2, 100, None, (None, "unknown", False)),
    (-3, 100, None, (None, "some_remaining", False)),
    (-3, -2, "percent", (None, "some_remaining", False)),
    (-2, -2, None, (None, "unknown", False)),
    (-1, 0, None, (None, "unrestricted", False)),
    (-4, 100, None, (None, "unknown", False)),
    (-100, 100, None, (None, "unknown", False)),
    (None, 100, None, (None, "unknown", False)),
    # max −1 / −2 / 0: the maximum is unknown
    (50, -1, None, (None, "max_unknown", False)),
    (50, -2, None, (None, "max_unknown", False)),
    (50, 0, None, (None, "max_unknown", False)),
    (50, None, None, (None, "max_unknown", False)),
    (50, -2, "impressions", (None, "max_unknown", False)),
    # ... except a percent-unit level, shown as an estimate
    (50, -2, "percent", (50, "max_unknown", True)),
    (7, -1, "percent", (7, "max_unknown", True)),
    (0, 0, "percent", (0, "max_unknown", True)),
    (100, 0, "percent", (100, "max_unknown", True)),
    (150, -2, "percent", (None, "max_unknown", False)),
    # 100 × level / max, rounded, clamped to 0..100
    (0, 100, None, (0, None, False)),
    (100, 100, None, (100, None, False)),
    (50, 100, "percent", (50, None, False)),
    (1, 3, None, (33, None, False)),
    (2, 3, None, (67, None, False)),
    (11501, 12000, None, (96, None, False)),
    (4500, 45000, None, (10, None, False)),
    (4499, 45000, None, (10, None, False)),
    (4400, 45000, None, (10, None, False)),
    (4000, 45000, None, (9, None, False)),
    (1, 1000, None, (0, None, False)),
    (999, 1000, None, (100, None, False)),
    (3, 200, None, (2, None, False)),
    (101, 100, None, (100, None, False)),
    (12000, 100, None, (100, None, False)),
    (2**31 - 1, 1, None, (100, None, False)),
    (1, 2**31 - 1, None, (0, None, False)),
])
def test_level_pct(level, max_, unit, expected):
    assert level_pct(level, max_, unit) == expected


@pytest.mark.parametrize("level,max_,unit_code,pct,note,estimated", [
    (-1, 100, 19, None, "unrestricted", False),
    (-2, 100, 19, None, "unknown", False),
    (-3, 100, 19, None, "some_remaining", False),
    (-3, -2, 7, None, "some_remaining", False),
    (40, -1, 7, None, "max_unknown", False),
    (40, -2, 7, None, "max_unknown", False),
    (40, 0, 7, None, "max_unknown", False),
    (40, -2, 19, 40, "max_unknown", True),
    (40, 0, 19, 40, "max_unknown", True),
    (1234, 20000, 7, 6, None, False),
    (25000, 20000, 7, 100, None, False),
])
def test_supply_levels_through_decode(level, max_, unit_code, pct, note, estimated):
    s = only_supply(toner(level=level, max_=max_, unit=unit_code))
    assert (s.level, s.max, s.remaining_pct, s.level_note, s.estimated) == (level, max_, pct, note, estimated)
    if pct is None:
        assert s.to_json()["remaining_pct"] is None
    assert ("estimated" in s.to_json()) is estimated


# --- receptacles --------------------------------------------------------------------------------

@pytest.mark.parametrize("level,max_,space_left,full", [
    (5, 100, 5, 95),
    (0, 100, 0, 100),
    (100, 100, 100, 0),
    (1000, 4000, 25, 75),
])
def test_waste_toner_receptacle(level, max_, space_left, full):
    s = only_supply(supply(cls=4, type_=4, descr=b"Waste Toner Box", unit=19, max_=max_, level=level))
    assert s.class_ == "receptacle"
    assert s.kind == "waste"
    assert s.type == "wasteToner"
    assert s.is_receptacle
    assert s.remaining_pct == space_left  # RFC: the level of a receptacle is the space left
    assert s.full_pct == full
    assert s.color is None


def test_receptacle_with_states_has_no_full_pct():
    s = only_supply(supply(cls=4, type_=4, descr=b"Waste Toner Container", max_=-2, level=-3))
    assert (s.remaining_pct, s.full_pct, s.level_note) == (None, None, "some_remaining")


def test_waste_by_description_without_class_or_type_is_a_receptacle():
    s = only_supply(supply(descr=b"Waste Toner Box", max_=100, level=20))
    assert (s.class_, s.type, s.kind) == (None, None, "waste")
    assert s.is_receptacle
    assert s.full_pct == 80


@pytest.mark.parametrize("code,name", [(1, "other"), (3, "consumed"), (4, "receptacle"), (2, None), (99, None),
                                       (b"garbage", None), (None, None)])
def test_supply_class_names(code, name):
    assert only_supply(toner(cls=code)).class_ == name


# --- missing columns ----------------------------------------------------------------------------

def test_missing_type_class_and_description_still_one_supply_per_row():
    values = {}
    values.update(supply((1, 1), max_=100, level=40))
    values.update(supply((1, 2), level=-3))
    values.update(supply((1, 3), descr=b"Cyan Toner"))
    values.update(supply((1, 4), colorant=2))
    result = decode("p", values)
    got = [(s.index, s.description, s.type, s.class_, s.kind, s.level, s.max, s.remaining_pct, s.level_note)
           for s in result.supplies]
    assert got == [
        ("1.1", "Other 1.1", None, None, "other", 40, 100, 40, None),
        ("1.2", "Other 1.2", None, None, "other", -3, None, None, "some_remaining"),
        ("1.3", "Cyan Toner", None, None, "toner", None, None, None, "unknown"),
        ("1.4", "Other 1.4", None, None, "other", None, None, None, "unknown"),
    ]
    assert result.supplies[2].color == "cyan"


def test_missing_description_named_after_type():
    s = only_supply(supply((1, 7), type_=9, max_=100, level=80))
    assert (s.description, s.kind) == ("Opc 1.7", "drum")


def test_no_supplies_table_at_all():
    result = decode("p", printer_rows())
    assert result.supplies == []
    assert result.is_printer


# --- index order, duplicates ---------------------------------------------------------------------

def test_non_contiguous_indexes_in_numeric_order():
    values = {}
    for idx in [(1, 10), (2, 1), (1, 2), (1, 1), (1, 31), (1, 30), (1, 9)]:
        values.update(toner(idx, descr=f"Supply {idx[0]}-{idx[1]}".encode()))
    result = decode("p", values)
    assert [s.index for s in result.supplies] == ["1.1", "1.2", "1.9", "1.10", "1.30", "1.31", "2.1"]
    assert [s.description for s in result.supplies] == [
        "Supply 1-1", "Supply 1-2", "Supply 1-9", "Supply 1-10", "Supply 1-30", "Supply 1-31", "Supply 2-1"]


def test_duplicate_descriptions_are_both_reported():
    values = {**toner((1, 1), level=30), **toner((1, 2), level=70)}
    result = decode("p", values)
    assert [(s.index, s.description, s.color, s.remaining_pct) for s in result.supplies] == [
        ("1.1", "Black Toner", "black", 30), ("1.2", "Black Toner", "black", 70)]


def test_fujifilm_two_black_toners_and_sparse_indexes():
    values = {}
    values.update(toner((1, 2), descr=b"Black Toner 1", level=80, max_=100))
    values.update(toner((1, 3), descr=b"Black Toner 2", level=60, max_=100))
    values.update(supply((1, 30), cls=4, type_=4, descr=b"Waste Toner Container", max_=-2, level=-3))
    values.update(supply((1, 31), cls=3, type_=9, descr=b"Drum Cartridge (K)", max_=290000, level=145000))
    result = decode("p", values)
    assert [(s.index, s.kind, s.color, s.remaining_pct, s.level_note) for s in result.supplies] == [
        ("1.2", "toner", "black", 80, None),
        ("1.3", "toner", "black", 60, None),
        ("1.30", "waste", None, None, "some_remaining"),
        ("1.31", "drum", "black", 50, None),
    ]


# --- colour -----------------------------------------------------------------------------------------

COLORANTS = {COLORANT + (1, 1): b"black", COLORANT + (1, 2): b"cyan", COLORANT + (1, 3): b"magenta",
             COLORANT + (1, 4): b"yellow"}


def test_colour_from_colorant_table_not_from_index_or_description():
    values = dict(COLORANTS)
    # indexes are not colours: supply 1.1 uses colorant 3, 1.2 colorant 1 ...
    values.update(toner((1, 1), descr=b"Toner Cartridge", colorant=3))
    values.update(toner((1, 2), descr=b"Toner Cartridge", colorant=1))
    values.update(toner((1, 3), descr=b"Toner Cartridge", colorant=4))
    values.update(toner((1, 4), descr=b"Toner Cartridge", colorant=2))
    result = decode("p", values)
    assert [s.color for s in result.supplies] == ["magenta", "black", "yellow", "cyan"]


def test_colorant_beats_description():
    values = {**COLORANTS, **toner(descr=b"Black Toner", colorant=2)}
    assert only_supply(values).color == "cyan"


@pytest.mark.parametrize("colorant_value,color", [
    (b"Cyan", "cyan"), (b"MAGENTA", "magenta"), (b"gelb", "yellow"), (b"schwarz", "black"),
    (b"photo black", "photo black"), (b"light cyan", "light cyan"), (b"grey", "gray"),
    (b"blue", "blue"), (b"Gold", "gold"),
    (b"orange", "orange"),  # not a word we know: kept as the device said it
    (b"clear\x00\x00", "clear"),
])
def test_colorant_values(colorant_value, color):
    values = {COLORANT + (1, 5): colorant_value, **toner(descr=b"Toner", colorant=5)}
    assert only_supply(values).color == color


def test_colorant_of_the_same_device_row():
    # colorant index 1 of device 2 is cyan, of device 1 black: the supply of device 2 is cyan
    values = {COLORANT + (1, 1): b"black", COLORANT + (2, 1): b"cyan", **toner((2, 1), descr=b"Toner", colorant=1)}
    assert only_supply(values).color == "cyan"


def test_missing_colorant_row_falls_back_to_description():
    values = {**COLORANTS, **toner(descr=b"Yellow Toner", colorant=9)}
    assert only_supply(values).color == "yellow"


@pytest.mark.parametrize("colorant", [0, -1, None, b"x", ber.NO_SUCH_INSTANCE])
def test_no_colorant_index_falls_back_to_description(colorant):
    values = {**COLORANTS, **toner(descr=b"Magenta Toner Cartridge", colorant=colorant)}
    assert only_supply(values).color == "magenta"


@pytest.mark.parametrize("descr,kind,color", [
    (b"Black Toner", "toner", "black"),
    (b"Cyan Toner Cartridge HP 201A", "toner", "cyan"),
    (b"Toner Cartridge (K)", "toner", "black"),
    (b"Toner Cartridge (Y)", "toner", "yellow"),
    (b"Photo Black Ink", "ink", "photo black"),
    (b"Light Magenta Ink", "ink", "light magenta"),
    (b"Drum Unit Cyan", "drum", "cyan"),
    (b"Developer Unit Yellow", "developer", "yellow"),
    (b"Schwarz Toner", "toner", "black"),
    (b"Toner Cartridge", "toner", None),
    (b"Waste Toner", "waste", None),  # a waste box has no colour, even if the words say one
    (b"Fuser Kit", "fuser", None),
    (b"Blackboard", "other", None),
])
def test_colour_from_description_without_colorant_table(descr, kind, color):
    s = only_supply(supply(descr=descr, max_=100, level=50))
    assert (s.kind, s.color) == (kind, color)


def test_colorant_unknown_is_not_a_colour():
    values = {COLORANT + (1, 1): b"unknown", **toner(descr=b"Black Toner", colorant=1)}
    assert only_supply(values).color == "black"


# --- kinds ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,name", sorted(mib.SUPPLY_TYPE_NAMES.items()))
def test_type_to_kind_for_every_iana_type(code, name):
    # the type decides; a misleading description does not change a known type's kind
    s = only_supply(supply(type_=code, descr=b"Part", max_=100, level=50))
    assert s.type == name
    assert s.kind == mib.SUPPLY_TYPE_KIND.get(name, "other")
    assert s.kind in mib.KINDS


@pytest.mark.parametrize("name,kind", sorted(mib.SUPPLY_TYPE_KIND.items()))
def test_known_type_beats_description(name, kind):
    code = {v: k for k, v in mib.SUPPLY_TYPE_NAMES.items()}[name]
    misleading = b"Black Toner" if kind == "waste" else b"Waste Toner Box"
    assert only_supply(supply(type_=code, descr=misleading, max_=100, level=50)).kind == kind


@pytest.mark.parametrize("type_", [1, 2, _ABSENT, 999, b"toner", None])
@pytest.mark.parametrize("descr,kind", [
    (b"Waste Toner", "waste"),
    (b"Waste Toner Box", "waste"),
    (b"Toner Collection Unit", "waste"),
    (b"Resttonerbeh\xe4lter", "waste"),
    (b"Black Toner", "toner"),
    (b"Toner Cartridge", "toner"),
    (b"Imaging Drum", "drum"),
    (b"OPC Drum", "drum"),
    (b"Imaging Unit", "drum"),
    (b"Developer Unit", "developer"),
    (b"Fuser Unit", "fuser"),
    (b"Transfer Belt", "transfer"),
    (b"Staple Cartridge", "staples"),
    (b"Cyan Ink", "ink"),
    (b"Maintenance Kit", "other"),
    (b"Roller Kit", "other"),
    ("ブラックトナー".encode("cp932"), "toner"),
])
def test_kind_from_description_when_type_is_missing_or_generic(type_, descr, kind):
    assert only_supply(supply(type_=type_, descr=descr, max_=100, level=50)).kind == kind


def test_pink_toner_is_toner():
    assert only_supply(supply(descr=b"Fluorescent Pink Toner", max_=100, level=50)).kind == "toner"


@pytest.mark.parametrize("code,name", [(19, "percent"), (7, "impressions"), (8, "sheets"),
                                       (3, "tenThousandthsOfInches"), (4, "micrometers"), (13, "tenthsOfGrams"),
                                       (15, "tenthsOfMilliliters"), (18, "items"), (5, None), (None, None)])
def test_supply_units(code, name):
    assert only_supply(toner(unit=code)).unit == name


# --- strings -----------------------------------------------------------------------------------------

DESCRIPTIONS = [
    ("ascii", b"Black Toner", "Black Toner"),
    ("utf8", "Tóner Amarillo für Drücker".encode(), "Tóner Amarillo für Drücker"),
    ("utf8-japanese", "ブラックトナー".encode(), "ブラックトナー"),
    ("utf8-bom", b"\xef\xbb\xbfBlack Toner", "Black Toner"),
    ("latin1", b"Schwarz f\xfcr", "Schwarz für"),
    ("latin1-german", "Gelb Tonerkartusche für Drucker".encode("latin-1"), "Gelb Tonerkartusche für Drucker"),
    ("latin1-trommel", "Trommel grün".encode("latin-1"), "Trommel grün"),
    ("cp1252", "Toner – Schwarz".encode("cp1252"), "Toner – Schwarz"),
    ("shift-jis", "ブラックトナー".encode("cp932"), "ブラックトナー"),
    ("shift-jis-kanji", "黒トナー".encode("cp932"), "黒トナー"),
    ("utf16-le-bom", b"\xff\xfe" + "Black Toner".encode("utf-16-le"), "Black Toner"),
    ("utf16-be-bom", b"\xfe\xff" + "Black Toner".encode("utf-16-be"), "Black Toner"),
    ("utf16-le-bom-japanese", b"\xff\xfe" + "ブラックトナー".encode("utf-16-le"), "ブラックトナー"),
    ("utf16-le-no-bom", "Black Toner".encode("utf-16-le"), "Black Toner"),
    ("utf16-be-no-bom", "Cyan Toner".encode("utf-16-be"), "Cyan Toner"),
    ("utf16-le-no-bom-latin", "Schwarz für".encode("utf-16-le"), "Schwarz für"),
    ("utf16-le-nul-padded", "Cyan".encode("utf-16-le") + b"\x00\x00\x00\x00", "Cyan"),
    ("utf16-bom-nul-padded", b"\xff\xfe" + "Cyan Toner".encode("utf-16-le") + b"\x00\x00", "Cyan Toner"),
    ("nul-padded", b"Black Toner\x00\x00\x00\x00", "Black Toner"),
    ("nul-padded-long", b"Black Toner" + b"\x00" * 53, "Black Toner"),
    ("leading-nul", b"\x00\x00Black Toner", "Black Toner"),
    ("hex-dump", b"42 6C 61 63 6B 20 54 6F 6E 65 72", "Black Toner"),
    ("hex-dump-lower", b"42 6c 61 63 6b 20 54 6f 6e 65 72", "Black Toner"),
    ("hex-dump-lines", b"42 6C 61 63 6B 20 54 6F\n6E 65 72 00", "Black Toner"),
    ("hex-dump-trailing-space", b"42 6C 61 63 6B 20 54 6F 6E 65 72 ", "Black Toner"),
    ("hex-dump-latin1", b"53 63 68 77 61 72 7A 20 66 FC 72", "Schwarz für"),
    ("hex-dump-utf8-japanese", b"E3 83 88 E3 83 8A E3 83 BC", "トナー"),
    ("hex-dump-nul-terminated", b"43 79 61 6E 00 00", "Cyan"),
    ("hp-split", b"Black Cartridge HP\n20 43 46 32 35 38 41", "Black Cartridge HP CF258A"),
    ("hp-split-crlf", b"Black Cartridge HP\r\n20 43 46 32 35 38 41", "Black Cartridge HP CF258A"),
    ("not-hex-words", b"Toner 12 34", "Toner 12 34"),
    ("not-hex-model", b"Fuser Kit 110V", "Fuser Kit 110V"),
    ("not-hex-binary", b"00 01 02 03", "00 01 02 03"),  # hex of non-text stays as it was
    ("multiline-text", b"Black Toner\nCartridge", "Black Toner Cartridge"),
    ("escape-sequences", b"\x1b[2J\x1b]52;c;ZXZpbA==\x07Black Toner\x1b[0m", "Black Toner"),
    ("markup-kept-as-text", b"[red]Black[/] Toner", "[red]Black[/] Toner"),
    ("control-chars", b"Bl\x00ack\x07 To\x7fner\x1b", "Black Toner"),
    ("c1-in-utf8", "Black\u0085 Toner\u009b".encode("utf-8"), "Black Toner"),
    ("bidi-override", "Black \u202eToner\u200b".encode("utf-8"), "Black Toner"),
]


@pytest.mark.parametrize("raw,expected", [c[1:] for c in DESCRIPTIONS], ids=[c[0] for c in DESCRIPTIONS])
def test_description_decoding(raw, expected):
    s = only_supply(toner(descr=raw))
    assert s.description == expected


@pytest.mark.parametrize("raw,expected", [
    ("Bac récupérateur de toner".encode("latin-1"), "Bac récupérateur de toner"),
    ("Toner Négro".encode("latin-1"), "Toner Négro"),
    ("Résidus toner".encode("latin-1"), "Résidus toner"),
    ("Toner Weiß".encode("latin-1"), "Toner Weiß"),
    ("ÜBERGABEEINHEIT".encode("latin-1"), "ÜBERGABEEINHEIT"),
])
def test_latin1_not_mistaken_for_shift_jis(raw, expected):
    assert decode_octets(raw) == expected


def test_long_description_is_capped():
    s = only_supply(toner(descr=b"A" * 10_000))
    assert len(s.description) == 160
    assert s.description.endswith("…")


@pytest.mark.parametrize("value,expected", [
    (None, None), (ber.NO_SUCH_OBJECT, None), (ber.NO_SUCH_INSTANCE, None), (ber.END_OF_MIB_VIEW, None),
    (b"", None), (b"\x00\x00", None), (b"   ", None),
    (ber.ObjectId((1, 3, 6, 1, 4, 1, 11)), "1.3.6.1.4.1.11"),
    (ber.IpAddress("10.0.0.5"), "10.0.0.5"),
    (42, "42"), (-3, "-3"),
    (b"Printer\x1b[31m Room", "Printer Room"),
])
def test_text_value(value, expected):
    assert text_value(value) == expected


# --- error state -----------------------------------------------------------------------------------

ERROR_STATES = [
    (b"", []),
    (b"\x00", []),
    (b"\x00\x00", []),
    (b"\x80", ["lowPaper"]),
    (b"\x40", ["noPaper"]),
    (b"\x20", ["lowToner"]),
    (b"\x10", ["noToner"]),
    (b"\x08", ["doorOpen"]),
    (b"\x04", ["jammed"]),
    (b"\x02", ["offline"]),
    (b"\x01", ["serviceRequested"]),
    (b"\x80\x00", ["lowPaper"]),
    (b"\x00\x80", ["inputTrayMissing"]),
    (b"\x00\x40", ["outputTrayMissing"]),
    (b"\x00\x20", ["markerSupplyMissing"]),
    (b"\x00\x10", ["outputNearFull"]),
    (b"\x00\x08", ["outputFull"]),
    (b"\x00\x04", ["inputTrayEmpty"]),
    (b"\x00\x02", ["overduePreventMaint"]),
    (b"\x00\x01", []),  # bit 15 is not defined
    (b"\x48", ["noPaper", "doorOpen"]),
    (b"\x21\x02", ["lowToner", "serviceRequested", "overduePreventMaint"]),
    (b"\xff", list(mib.ERROR_STATE_BITS[:8])),
    (b"\xff\xff", list(mib.ERROR_STATE_BITS)),
    (b"\x00\x00\xff", []),  # bytes beyond the second: no defined bits
    (b"\x01\x80\xff", ["serviceRequested", "inputTrayMissing"]),
    # wrong types: no flags, no crash
    (0x80, []),
    (None, []),
    ("\x80", []),
    (ber.ObjectId((1, 3)), []),
    (ber.NO_SUCH_INSTANCE, []),
    (ber.END_OF_MIB_VIEW, []),
]


@pytest.mark.parametrize("value,flags", ERROR_STATES)
def test_error_state_bits(value, flags):
    assert decode_error_state(value) == flags


@pytest.mark.parametrize("value,flags", ERROR_STATES)
def test_error_state_through_decode(value, flags):
    result = decode("p", printer_rows(error_state=value))
    assert result.error_state == flags


# --- device and printer status -------------------------------------------------------------------

@pytest.mark.parametrize("code,name", [(1, "unknown"), (2, "running"), (3, "warning"), (4, "testing"), (5, "down"),
                                       (0, None), (6, None), (b"2", "running"), (b"x", None), (None, None),
                                       (ber.NO_SUCH_INSTANCE, None)])
def test_device_status_names(code, name):
    assert decode("p", printer_rows(device_status=code)).device_status == name


@pytest.mark.parametrize("code,name", [(1, "other"), (2, "unknown"), (3, "idle"), (4, "printing"), (5, "warmup"),
                                       (0, None), (7, None), (ber.ObjectId((1, 3)), None), (None, None)])
def test_printer_status_names(code, name):
    assert decode("p", printer_rows(status=code)).printer_status == name


def test_status_of_the_printer_row_not_row_one():
    values = {
        HR_DEV + (2, 1): CPU_TYPE, HR_DEV + (3, 1): b"Intel Atom", HR_DEV + (5, 1): 2,
        HR_DEV + (2, 2): NET_TYPE, HR_DEV + (3, 2): b"eth0", HR_DEV + (5, 2): 2,
        **printer_rows(index=3, device_status=5, status=1, error_state=b"\x04", descr=b"ACME 3000"),
    }
    result = decode("p", values)
    assert (result.device_status, result.printer_status, result.error_state) == ("down", "other", ["jammed"])
    assert result.identity.model == "ACME 3000"


def test_printer_status_without_hr_device_table():
    values = {HR_PRT + (1, 1): 4, HR_PRT + (2, 1): b"\x20"}
    result = decode("p", values)
    assert (result.device_status, result.printer_status, result.error_state) == (None, "printing", ["lowToner"])
    assert result.is_printer


# --- alerts ------------------------------------------------------------------------------------------

def alert(index, *, severity=_ABSENT, training=_ABSENT, group=_ABSENT, group_index=_ABSENT, location=_ABSENT,
          code=_ABSENT, descr=_ABSENT) -> dict:
    row = {}
    for col, value in ((2, severity), (3, training), (4, group), (5, group_index), (6, location), (7, code),
                       (8, descr)):
        if value is not _ABSENT:
            row[AL + (col,) + index] = value
    return row


def test_alerts():
    values = {}
    values.update(alert((1, 1), severity=3, training=4, group=6, group_index=1, location=3, code=501,
                        descr=b"Front door open"))
    values.update(alert((1, 2), severity=4, training=3, group=11, code=1104))
    values.update(alert((1, 10), severity=5, training=7, group=5, code=23, descr=b"Sleep mode"))
    values.update(alert((1, 3), severity=1, training=2, group=8, code=99999))
    values.update(alert((1, 4), severity=2))
    values.update(alert((1, 5), code=1101, descr=b""))
    values.update(alert((1, 6), severity=b"junk", training=99, group=99, code=b"nope", descr=ber.NO_SUCH_INSTANCE))
    result = decode("p", values)
    assert [a.to_json() for a in result.alerts] == [
        {"index": "1.1", "severity": "critical", "training": "trained", "group": "cover", "code": 501,
         "code_name": "doorOpen", "description": "Front door open"},
        {"index": "1.2", "severity": "warning", "training": "untrained", "group": "markerSupplies", "code": 1104,
         "code_name": "markerTonerAlmostEmpty", "description": "Marker toner almost empty"},
        {"index": "1.3", "severity": "other", "training": "unknown", "group": "input", "code": 99999,
         "code_name": None, "description": "alert code 99999"},
        {"index": "1.4", "severity": "other", "training": None, "group": None, "code": None,
         "code_name": None, "description": "alert"},
        {"index": "1.5", "severity": "other", "training": None, "group": None, "code": 1101,
         "code_name": "markerTonerEmpty", "description": "Marker toner empty"},
        {"index": "1.6", "severity": "other", "training": None, "group": None, "code": None,
         "code_name": None, "description": "alert"},
        {"index": "1.10", "severity": "warning_binary", "training": "noInterventionRequired",
         "group": "generalPrinter", "code": 23, "code_name": "subunitPowerSaver", "description": "Sleep mode"},
    ]


# --- trays -------------------------------------------------------------------------------------------

def tray(index, *, unit=_ABSENT, max_=_ABSENT, level=_ABSENT, status=_ABSENT, media=_ABSENT, name=_ABSENT,
         descr=_ABSENT) -> dict:
    row = {}
    for col, value in ((8, unit), (9, max_), (10, level), (11, status), (12, media), (13, name), (18, descr)):
        if value is not _ABSENT:
            row[IN + (col,) + index] = value
    return row


def test_trays():
    values = {}
    values.update(tray((1, 1), unit=8, max_=100, level=-3, status=0, media=b"A4", name=b"Bypass Tray",
                       descr=b"Manual Feeder"))
    values.update(tray((1, 2), unit=8, max_=550, level=550, media=b"Letter", name=b"Tray 2"))
    values.update(tray((1, 3), unit=8, max_=250, level=0, name=b"Tray 3"))
    values.update(tray((1, 4), unit=8, max_=-2, level=-2))
    values.update(tray((1, 11), unit=8, max_=500, level=125, descr="Fach 4 (Papier)".encode("latin-1")))
    values.update(tray((1, 5), max_=1, level=0, name=b"MP Tray"))  # manual feed reporting 0: not -3
    result = decode("p", values)
    assert [t.to_json() for t in result.trays] == [
        {"index": "1.1", "name": "Bypass Tray", "description": "Manual Feeder", "level": -3, "max": 100,
         "remaining_pct": None, "level_note": "some_remaining", "media": "A4"},
        {"index": "1.2", "name": "Tray 2", "description": None, "level": 550, "max": 550,
         "remaining_pct": 100, "level_note": None, "media": "Letter"},
        {"index": "1.3", "name": "Tray 3", "description": None, "level": 0, "max": 250,
         "remaining_pct": 0, "level_note": None, "media": None},
        {"index": "1.4", "name": None, "description": None, "level": -2, "max": -2,
         "remaining_pct": None, "level_note": "unknown", "media": None},
        {"index": "1.5", "name": "MP Tray", "description": None, "level": 0, "max": 1,
         "remaining_pct": 0, "level_note": None, "media": None},
        {"index": "1.11", "name": None, "description": "Fach 4 (Papier)", "level": 125, "max": 500,
         "remaining_pct": 25, "level_note": None, "media": None},
    ]


def test_manual_feeder_minus_three_is_not_a_problem():
    values = {**printer_rows(), **toner(level=80), **tray((1, 1), max_=-2, level=-3, name=b"Manual Feed")}
    result = evaluate(decode("p", values))
    assert result.status == "OK"
    assert result.reasons == []


# --- identity ----------------------------------------------------------------------------------------

SYS = {
    mib.SYS_DESCR + (0,): b"ACME Printing System",
    mib.SYS_OBJECT_ID + (0,): ber.ObjectId((1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 1)),
    mib.SYS_UPTIME + (0,): 123456,
    mib.SYS_CONTACT + (0,): b"it@example.com",
    mib.SYS_NAME + (0,): b"PRN-2F-EAST",
    mib.SYS_LOCATION + (0,): b"2nd floor, east wing",
    mib.PRT_GENERAL_SERIAL + (1,): b"E12345K6N789\x00\x00",
}


def test_identity_fields():
    result = decode("p", {**SYS, **printer_rows(descr=b"Brother MFC-L2710DW series")})
    assert result.to_json()["identity"] == {
        "name": "PRN-2F-EAST",
        "model": "Brother MFC-L2710DW series",
        "serial": "E12345K6N789",
        "description": "ACME Printing System",
        "location": "2nd floor, east wing",
        "contact": "it@example.com",
        "object_id": "1.3.6.1.4.1.2435.2.3.9.1",
        "uptime_s": 1234,
    }


def test_model_from_printer_row_when_row_one_is_a_cpu():
    values = {
        **SYS,
        HR_DEV + (2, 1): CPU_TYPE, HR_DEV + (3, 1): b"GenuineIntel: Intel(R) Atom(TM) CPU", HR_DEV + (5, 1): 2,
        HR_DEV + (2, 2): NET_TYPE, HR_DEV + (3, 2): b"Ethernet interface", HR_DEV + (5, 2): 2,
        HR_DEV + (2, 5): PRINTER_TYPE, HR_DEV + (3, 5): b"Dell S5830dn", HR_DEV + (5, 5): 3,
    }
    result = decode("p", values)
    assert result.identity.model == "Dell S5830dn"
    assert result.device_status == "warning"
    assert result.is_printer


def test_no_printer_row_and_row_one_is_a_cpu_uses_sys_descr():
    values = {**SYS, mib.SYS_DESCR + (0,): b"Dell S5830dn version NH62.YS.N636 kernel 3.0.0 All-N-1",
              HR_DEV + (2, 1): CPU_TYPE, HR_DEV + (3, 1): b"GenuineIntel: Intel(R) Atom(TM) CPU"}
    assert decode("p", values).identity.model == "Dell S5830dn"


@pytest.mark.parametrize("sys_descr,model", [
    (b"HP ETHERNET MULTI-ENVIRONMENT,SN:VNCRC48198,FN:4Q817L4,SVCID:31339,PID:HP LaserJet MFP M130nw",
     "HP LaserJet MFP M130nw"),
    (b"HP ETHERNET MULTI-ENVIRONMENT,SN:VNB3J99999,FN:1F31B6C,SVCID:99999,PID:HP Color LaserJet Pro M252dw",
     "HP Color LaserJet Pro M252dw"),
    (b"OKI OkiLAN 9450g Rev.00.69 10/100/1000BASE Ethernet PrintServer: Attached to MC873 Rev.07.87 : "
     b"Copyright (c) 2015 Oki Data Corporation. All rights reserved.", "OKI MC873"),
    (b"OKI OkiLAN 8450e Rev.01.11 10/100BASE Ethernet PrintServer: Attached to C5300 Rev.N3.08 : (C)2003 Oki Data",
     "OKI C5300"),
    (b"Brother NC-8300h, Firmware Ver.1.14  (14.11.06),MID 8C5-F01,FID 2", "Brother NC-8300h"),
    (b"Samsung M4080FX; V11.01.03.04_02-27-2017;Engine V1.00.06 01-19-2017_V1.00;NIC ;S/N ", "Samsung M4080FX"),
    (b"RICOH Aficio MP C3002 2.20 / RICOH Network Printer C model", "RICOH Aficio MP C3002 2.20"),
    (b"FUJI XEROX ApeosPort-VI C4471;ESS1.0.217,IOT 52.54.1", "FUJI XEROX ApeosPort-VI C4471"),
    (b"KONICA MINOLTA bizhub C250i", "KONICA MINOLTA bizhub C250i"),
    (b"Canon LBP6670 /P", "Canon LBP6670 /P"),
    (b"", None),
])
def test_model_from_cleaned_sys_descr(sys_descr, model):
    result = decode("p", {mib.SYS_DESCR + (0,): sys_descr})
    assert result.identity.model == model
    assert result.identity.description == (sys_descr.decode().strip() or None)


def test_model_prefers_printer_row_over_sys_descr():
    values = {mib.SYS_DESCR + (0,): b"Brother NC-8300h, Firmware Ver.1.14", **printer_rows(descr=b"Brother MFC-L2710DW series")}
    assert decode("p", values).identity.model == "Brother MFC-L2710DW series"


@pytest.mark.parametrize("ticks,seconds", [(123456, 1234), (99, 0), (100, 1), (0, 0), (2**32 - 1, 42949672),
                                           (-5, None), (b"abc", None), (ber.NO_SUCH_OBJECT, None), (None, None)])
def test_uptime_seconds(ticks, seconds):
    assert decode("p", {mib.SYS_UPTIME + (0,): ticks}).identity.uptime_s == seconds


@pytest.mark.parametrize("serial,expected", [
    (b"CNB1234567", "CNB1234567"), (b"CNB1234567\x00\x00\x00", "CNB1234567"), (b"", None),
    (ber.NO_SUCH_INSTANCE, None), (1234, "1234"), (b"\x1b]0;pwned\x07SN1", "SN1"),
])
def test_serial(serial, expected):
    assert decode("p", {mib.PRT_GENERAL_SERIAL + (1,): serial}).identity.serial == expected


# --- page count --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (12345, 12345), (0, 0), (2**32 - 1, 2**32 - 1), (ber.Counter64(2**40), 2**40),
    (b"12345", 12345),  # some devices send numbers as strings
    (-1, None), (-2**31, None),
    (b"lots", None), (ber.ObjectId((1, 3, 6)), None), (ber.IpAddress("1.2.3.4"), None), (None, None),
    (ber.NO_SUCH_INSTANCE, None), (ber.END_OF_MIB_VIEW, None),
])
def test_page_count(value, expected):
    assert decode("p", {PAGE_COUNT: value}).page_count == expected


def test_page_count_of_the_first_marker():
    values = {mib.PRT_MARKER_LIFE_COUNT + (1, 2): 999, PAGE_COUNT: 1000, mib.PRT_MARKER_LIFE_COUNT + (2, 1): 5}
    assert decode("p", values).page_count == 1000


def test_no_page_count():
    assert decode("p", {}).page_count is None


# --- printer or not ----------------------------------------------------------------------------------

def test_non_printer():
    values = {
        mib.SYS_DESCR + (0,): b"EPSON 10/100/1000 Ethernet USB Ext. Scan Server",
        mib.SYS_NAME + (0,): b"scanner-1",
        HR_DEV + (2, 1): OTHER_TYPE, HR_DEV + (3, 1): b"EPSON DS-860", HR_DEV + (5, 1): 2,
    }
    result = evaluate(decode("scanner.example", values))
    assert result.is_printer is False
    assert result.supplies == []
    assert result.status == "Unknown"
    assert result.reasons and "no printer" in result.reasons[0].lower()
    assert result.identity.name == "scanner-1"
    assert result.identity.model == "EPSON DS-860"
    assert result.reachable is True


def test_supplies_without_hr_tables_is_a_printer():
    result = decode("p", toner())
    assert result.is_printer
    assert (result.device_status, result.printer_status, result.error_state) == (None, None, [])


def test_printer_row_without_supplies_is_a_printer():
    assert decode("p", printer_rows()).is_printer


def test_empty_values():
    result = decode("p", {})
    assert result.is_printer is False
    assert (result.supplies, result.trays, result.alerts, result.error_state) == ([], [], [], [])
    assert result.identity.model is None


# --- a whole colour MFP ------------------------------------------------------------------------------

def test_colour_mfp_to_json():
    values = {**SYS, **printer_rows(descr=b"ACME ColorMFP 5500", error_state=b"\x20"), **COLORANTS,
              PAGE_COUNT: 48213}
    values.update(toner((1, 1), descr=b"Black Toner Cartridge", colorant=1, level=6000, max_=12000, unit=7))
    values.update(toner((1, 2), descr=b"Cyan Toner Cartridge", colorant=2, level=640, max_=8000, unit=7))
    values.update(toner((1, 3), descr=b"Magenta Toner Cartridge", colorant=3, level=-3, max_=8000, unit=7))
    values.update(toner((1, 4), descr=b"Yellow Toner Cartridge", colorant=4, level=-2, max_=8000, unit=7))
    values.update(supply((1, 5), cls=4, type_=4, descr=b"Waste Toner Box", unit=19, max_=100, level=5))
    values.update(supply((1, 6), cls=3, type_=9, descr=b"Imaging Drum", unit=7, max_=60000, level=45000, colorant=0))
    result = evaluate(decode("10.0.0.7", values))
    supplies = [s.to_json() for s in result.supplies]
    assert supplies[0] == {
        "index": "1.1", "description": "Black Toner Cartridge", "type": "toner", "kind": "toner",
        "class": "consumed", "unit": "impressions", "color": "black", "level": 6000, "max": 12000,
        "remaining_pct": 50, "level_note": None, "severity": "ok"}
    assert [(s["index"], s["color"], s["remaining_pct"], s["level_note"], s["severity"]) for s in supplies] == [
        ("1.1", "black", 50, None, "ok"),
        ("1.2", "cyan", 8, None, "error"),
        ("1.3", "magenta", None, "some_remaining", "ok"),
        ("1.4", "yellow", None, "unknown", "unknown"),
        ("1.5", None, 5, None, "error"),
        ("1.6", None, 75, None, "ok"),
    ]
    assert supplies[4]["kind"] == "waste" and supplies[4]["class"] == "receptacle"
    assert result.status == "Error"
    assert result.reasons == ["Waste Toner Box 95 % full", "Cyan toner 8 %"]
    assert result.page_count == 48213
    assert result.error_state == ["lowToner"]
    doc = json.loads(json.dumps(result.to_json()))
    assert doc["identity"]["model"] == "ACME ColorMFP 5500"
    assert doc["protocol"] == "snmp"
    assert set(doc) == {"target", "reachable", "status", "reasons", "polled_at", "duration_ms", "requests",
                        "identity", "device_status", "printer_status", "error_state", "page_count", "counters",
                        "supplies", "trays", "alerts", "protocol"}
    # a colour printer whose vendor publishes no split: mono and colour unknown (null), never 0
    assert (doc["counters"]["total"], doc["counters"]["mono"], doc["counters"]["color"]) == (48213, None, None)
    assert doc["counters"]["source"] == "Printer-MIB prtMarkerLifeCount (the device publishes no vendor total)"


# --- wrong value types in every column never raise ----------------------------------------------------

WEIRD_VALUES = [
    b"\xff\xfe\xfd garbage", b"", b"12", b"-3", b"\x1b[2J\x1b]52;c;AAAA\x07", "x" * 5000, b"\x00" * 64,
    ber.ObjectId((1, 3, 6, 1)), ber.IpAddress("10.1.2.3"), None,
    ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW,
    -(2**31), 2**32 - 1, ber.Counter64(2**64 - 1), 0, -1, -2, -3, 7, True,
]
COLUMNS = (
    [S + (c,) for c in range(3, 10)]
    + [IN + (c,) for c in (8, 9, 10, 11, 12, 13, 18)]
    + [AL + (c,) for c in range(2, 9)]
    + [HR_DEV + (c,) for c in (2, 3, 5)]
    + [HR_PRT + (c,) for c in (1, 2)]
)
SCALARS = [mib.SYS_DESCR, mib.SYS_OBJECT_ID, mib.SYS_UPTIME, mib.SYS_CONTACT, mib.SYS_NAME, mib.SYS_LOCATION,
           mib.PRT_GENERAL_SERIAL, mib.PRT_MARKER_LIFE_COUNT]


def _baseline() -> dict:
    values = {**SYS, **printer_rows(), **COLORANTS, PAGE_COUNT: 100}
    values.update(toner((1, 1), colorant=1))
    values.update(tray((1, 1), unit=8, max_=100, level=50, name=b"Tray 1"))
    values.update(alert((1, 1), severity=4, code=1104, descr=b"Toner low"))
    return values


@pytest.mark.parametrize("column", COLUMNS + [COLORANT], ids=lambda c: mib.oid_str(c))
def test_wrong_types_in_every_column_never_raise(column):
    index = (1,) if column[:8] == (1, 3, 6, 1, 2, 1, 25, 3) else (1, 1)  # hr* tables: one index arc
    for weird in WEIRD_VALUES:
        values = _baseline()
        values[column + index] = weird
        values[column + index[:-1] + (2,)] = weird  # and a row of its own
        result = evaluate(decode("p", values))
        json.dumps(result.to_json())
        for s in result.supplies:
            assert s.remaining_pct is None or 0 <= s.remaining_pct <= 100


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda c: mib.oid_str(c))
def test_wrong_types_in_every_scalar_never_raise(scalar):
    for weird in WEIRD_VALUES:
        values = _baseline()
        values[scalar + ((1, 1) if scalar == mib.PRT_MARKER_LIFE_COUNT else (1,) if scalar == mib.PRT_GENERAL_SERIAL else (0,))] = weird
        result = evaluate(decode("p", values))
        json.dumps(result.to_json())


def test_short_and_foreign_oids_are_ignored():
    values = {(1, 3): b"x", S: 5, S + (9,): 5, (1, 3, 6, 1, 4, 1, 9, 9, 9): b"y", **toner()}
    result = decode("p", values)
    assert [s.index for s in result.supplies] == ["1.1"]


# --- huge integers (a hostile INTEGER of hundreds of octets decodes to a Python int of that size) --------

def _huge_integer_from_the_wire() -> int:
    """An INTEGER of 600 octets as core/ber.py decodes it from a datagram."""
    oid = ber.encode_oid(S + (9, 1, 1))
    value = b"\x02\x82\x02\x58" + b"\x7f" + b"\xff" * 599
    vb = b"\x30\x82" + (len(oid) + len(value)).to_bytes(2, "big") + oid + value
    vbl = b"\x30\x82" + len(vb).to_bytes(2, "big") + vb
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + vbl
    pdu = b"\xa2\x82" + len(pdu_body).to_bytes(2, "big") + pdu_body
    body = b"\x02\x01\x01\x04\x01p" + pdu
    msg = b"\x30\x82" + len(body).to_bytes(2, "big") + body
    ((_, number),) = ber.decode_message(msg).varbinds
    return number


def test_huge_level_does_not_crash_decode():
    level = _huge_integer_from_the_wire()
    assert level.bit_length() > 4000
    values = toner(level=level, max_=100)
    result = evaluate(decode("p", values))
    assert result.supplies[0].remaining_pct in (None, 100)


@pytest.mark.parametrize("where", ["sys_name", "supply_max_json"])
def test_giant_integer_does_not_crash_decode_or_json(where):
    giant = 10**5000
    values = _baseline()
    if where == "sys_name":
        values[mib.SYS_NAME + (0,)] = giant
    else:
        values[S + (8, 1, 1)] = giant
    json.dumps(evaluate(decode("p", values)).to_json())


def test_module_has_the_functions_tested_here():
    # guards the names this file relies on
    for name in ("decode", "decode_octets", "decode_error_state", "level_pct", "text_value", "int_value",
                 "supply_kind", "color_from_text"):
        assert callable(getattr(dec, name))


@pytest.mark.parametrize(("cls", "kind", "level", "max_", "pct", "estimated", "expected"), [
    ("receptacle", "waste", 12, 100, 12, False, 88),
    ("receptacle", "waste", 0, 500, 0, False, 100),
    ("receptacle", "waste", 600, 500, 100, False, 0),  # level above max: full
    (None, "waste", 30, 100, 30, False, 70),  # no class column: the kind marks it
    ("receptacle", "waste", 20, -2, 20, True, 80),  # a percent level without a max
    ("receptacle", "waste", -3, 100, None, False, None),  # "some remaining" stays a state
    ("consumed", "toner", 12, 100, 12, False, 12),  # toner is never inverted
])
def test_invert_receptacle_levels(cls, kind, level, max_, pct, estimated, expected):
    from tonertrack_tui.core.printer.decode import invert_receptacle_levels

    supply = Supply("1.1", "Box", "wasteToner", kind, cls, "percent", None, level, max_, pct, None,
                    estimated=estimated)
    result = PollResult(target="x", reachable=True, supplies=[supply])
    invert_receptacle_levels(result)
    assert supply.remaining_pct == expected
    assert (supply.level, supply.max) == (level, max_)
