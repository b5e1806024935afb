"""Colour and mono page counts (issue 16): core/printer/counters.py, decode and the poll.

Decode tests read recordings straight into var-binds; integration tests poll them through
snmpsim. Vendor fixtures (tests/data/counters_*.snmprec) are written from each vendor's MIB
text; the shared real recordings in ../shared/printer-walks are read where present and the
tests skip, visibly, without them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA_DIR, shared_walks_dir

from tonertrack_tui.cli import main
from tonertrack_tui.core.polling.poller import poll_one
from tonertrack_tui.core.printer import counters, mib
from tonertrack_tui.core.printer.collect import TargetCache
from tonertrack_tui.core.printer.decode import decode
from tonertrack_tui.core.printer.model import Counters, PollResult
from tonertrack_tui.core.snmp import ber
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings

OID = tuple[int, ...]
WALKS = shared_walks_dir()
needs_walks = pytest.mark.skipif(WALKS is None, reason="../shared/printer-walks not present: shared recordings skipped")


def read_snmprec(path: Path) -> dict[OID, Any]:
    """An .snmprec file → var-binds as core/snmp/ber.py hands them over (the types used here)."""
    values: dict[OID, Any] = {}
    for line in path.read_text("latin-1").splitlines():
        if not line.strip():
            continue
        name, kind, raw = line.split("|", 2)
        oid = tuple(int(a) for a in name.split("."))
        if kind in ("2", "65", "66", "67", "70"):
            if raw.lstrip("-").isdigit():  # a few real recordings carry junk here: not a value
                values[oid] = int(raw)
        elif kind == "4":
            values[oid] = raw.encode("latin-1")
        elif kind == "4x":
            values[oid] = bytes.fromhex(raw)
        elif kind == "6":
            values[oid] = ber.ObjectId(tuple(int(a) for a in raw.split(".")))
    return values


def decoded(path: Path) -> dict[str, Any]:
    return decode("10.0.0.1", read_snmprec(path)).counters.to_json()


def fixture(name: str) -> Path:
    return DATA_DIR / f"counters_{name}.snmprec"


def walk(name: str) -> Path:
    assert WALKS is not None
    return WALKS / f"{name}.snmprec"


# --- each vendor mapping, from a fixture written from its MIB ---------------------------------

def test_hp_colour_from_hp_laserjet_common_mib():
    c = decoded(fixture("hp_colour"))
    assert (c["total"], c["mono"], c["color"]) == (31000, 20000, 11000)
    assert c["source"] == ("HP-LASERJET-COMMON-MIB: total-engine-page-count, total-mono-page-count, "
                           "total-color-page-count")
    assert c["markers"] == [{"index": "1.1", "life_count": 31000, "unit": "impressions"}]
    assert "detail" not in c


def test_brother_function_table_summed_by_kind():
    c = decoded(fixture("brother"))
    # the rows' indexes are not their types: the type column decides
    assert (c["total"], c["mono"], c["color"]) == (6650, 5150, 1500)
    assert c["detail"] == {"print_total": 5200, "copy_total": 1300, "fax_total": 150, "print_color": 1200,
                           "print_mono": 4000, "copy_color": 300, "copy_mono": 1000, "fax_mono": 150, "fax_color": 0}
    assert c["source"] == "BROTHER-MIB: brPrintPagesFuncType/brPrintPagesFuncCounter"
    assert "differs" not in (c["note"] or "")


def test_lexmark_disagreement_is_kept_and_said():
    c = decoded(fixture("lexmark"))
    assert (c["total"], c["mono"], c["color"], c["unit"]) == (20480, 14000, 6400, "impressions")
    assert "mono + colour = 20400, total = 20480 (differs by +80); all three kept" in c["note"]
    # Lexmark's colour classes stay apart, and the note says what colour is
    assert {k: c["detail"][k] for k in ("highlight_color", "business_color", "graphics_color")} == {
        "highlight_color": 1200, "business_color": 3100, "graphics_color": 2100}
    assert "colour = totalColorSafe" in c["note"]
    assert "total_picked" not in c["detail"] and 20510 not in c["detail"].values()


def test_ricoh_counter_table_by_type():
    c = decoded(fixture("ricoh"))
    assert (c["total"], c["mono"], c["color"]) == (88412, 65000, 23412)
    assert (c["detail"]["full_color"], c["detail"]["single_color"]) == (23000, 412)
    assert c["markers"] == [{"index": "1.1", "life_count": 88412, "unit": "sheets"}]
    assert c["source"] == "RicohPrivateMIB: ricohEngCounterType/ricohEngCounterValue"


def test_xerox_lifetime_usage_by_count_type_label():
    c = decoded(fixture("xerox"))
    assert (c["total"], c["mono"], c["color"]) == (54321, 41000, 13321)
    assert c["detail"] == {"full_color": 12000, "highlight_color": 1321}
    assert c["note"] == "colour = highlight colour (black + one colorant) + full colour (3+ colorants)"
    # two markers: each one's life count and unit, and the vendor total stands
    assert c["markers"] == [{"index": "1.1", "life_count": 54321, "unit": "impressions"},
                            {"index": "1.2", "life_count": 1234, "unit": "sheets"}]


def test_samsung_rows_summed_for_output_jobs_only():
    c = decoded(fixture("samsung"))
    assert (c["mono"], c["color"], c["unit"]) == (10500, 3700, "impressions")
    assert c["detail"] == {"full_color": 3500, "single_color": 200}  # the 777 scan row is not a print
    # Samsung publishes no total: the Printer-MIB life count, and the source says so
    assert c["total"] == 14200
    assert "Printer-MIB prtMarkerLifeCount (the device publishes no vendor total)" in c["source"]


# --- the shared real recordings ------------------------------------------------------------------

@needs_walks
def test_sharp_recording_split_adds_up():
    c = decoded(walk("sharp"))
    assert (c["total"], c["mono"], c["color"]) == (121104, 91164, 29940)
    assert c["detail"] == {"full_color": 29940, "two_color": 0, "single_color": 0}
    assert "colour = full colour + two-colour + single colour" in c["note"]
    assert "differs" not in c["note"]
    assert "no published Sharp MIB module" in c["note"]


@needs_walks
def test_konica_c250i_recording_disagreement_kept():
    c = decoded(walk("konica_c250i"))
    assert (c["total"], c["mono"], c["color"]) == (33810, 3672 + 22876, 544 + 6711)
    assert c["mono"] + c["color"] == 33803
    assert "mono + colour = 33803, total = 33810 (differs by +7); all three kept" in c["note"]
    assert "no published Konica Minolta MIB module" in c["note"]
    assert c["detail"] == {"copy_mono": 3672, "print_mono": 22876, "copy_color": 544, "print_color": 6711}


@needs_walks
def test_jetdirect_m130nw_recording_is_mono():
    c = decoded(walk("jetdirect_m130nw"))
    assert (c["total"], c["mono"], c["color"]) == (15232, 15232, None)
    assert c["note"] == "the device publishes no colour count"
    assert c["markers"] == [{"index": "1.1", "life_count": 15232, "unit": "impressions"}]


@needs_walks
def test_brother_recording_publishes_nothing():
    c = decoded(walk("brother"))
    assert (c["total"], c["mono"], c["color"], c["markers"]) == (None, None, None, [])
    assert "none of the Brother counter objects" in c["note"]


@needs_walks
@pytest.mark.parametrize(("name", "total", "unit"), [
    ("utax", 427, "impressions"),  # Kyocera OEM: no mapping (KMCOMMON-MIB defines no rows)
    ("ricoh_mpc3002", 271871, "sheets"),  # Ricoh without ricohEngCounter objects
    ("samsungprinter_m4080fx", 22934, "impressions"),
    ("sharp", 121104, "impressions"),
])
def test_total_falls_back_to_life_count(name, total, unit):
    c = decoded(walk(name))
    assert (c["total"], c["unit"]) == (total, unit)
    assert "Printer-MIB prtMarkerLifeCount" in c["source"]


@needs_walks
def test_colour_printers_without_a_split_report_null_not_zero():
    for name in ("jetdirect_m252dw", "konica", "fujifilmprinter_c7580", "canonprinter_lbp", "okilan_9450g"):
        c = decoded(walk(name))
        assert (c["mono"], c["color"]) == (None, None), name


# --- decode rules ----------------------------------------------------------------------------------

HP = (1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1)


def test_markers_with_different_counts_give_no_single_total():
    result = counters.decode_counters({}, "1.3.6.1.4.1.99999.1", {"1.1": 100, "1.2": 7}, {"1.1": "impressions"})
    assert result.total is None
    assert result.note == "2 markers with different life counts: no single total"


def test_unknown_vendor_keeps_split_unknown():
    result = counters.decode_counters({}, "1.3.6.1.4.1.1602.4.2", {"1.1": 500}, {"1.1": "impressions"})
    assert (result.total, result.mono, result.color, result.unit) == (500, None, None, "impressions")
    assert result.note == "no vendor mapping for this device: mono and colour unknown"


@pytest.mark.parametrize("bad", [-1, -2, ber.NO_SUCH_OBJECT, b"junk", None, 2**70])
def test_states_and_wrong_types_are_unknown(bad):
    values = {counters.HP_TOTAL: bad, counters.HP_MONO: 5, counters.HP_COLOR: bad}
    result = counters.decode_counters(values, HP, {}, {})
    assert (result.total, result.mono, result.color) == (None, 5, None)


def test_sharp_row_used_only_when_its_name_says_so():
    values = {counters.SHARP_VALUES[0]: 10, counters.SHARP_NAMES[0]: b"Black & White Total Count",
              counters.SHARP_VALUES[1]: 4, counters.SHARP_NAMES[1]: b"Staple Count"}
    result = counters.decode_counters(values, "1.3.6.1.4.1.2385.3.1.112.1.2", {}, {})
    assert (result.mono, result.color) == (10, None)
    assert "Sharp row 63 is named 'Staple Count', not 'full color': not used" in result.note


def test_samsung_overlapping_rows_are_not_added_up():
    e = counters.SAMSUNG_COUNT_ENTRY
    values = {}
    for idx in (1, 2):  # the same job, size, duplex and colour twice
        values.update({e + (2, 1, idx): 1, e + (3, 1, idx): 1, e + (4, 1, idx): 7, e + (5, 1, idx): 1,
                       e + (6, 1, idx): 3, e + (7, 1, idx): 100})
    result = counters.decode_counters(values, "1.3.6.1.4.1.236.11.5.11.62.1", {}, {})
    assert (result.mono, result.color) == (None, None)
    assert "overlap" in result.note


def test_hostile_names_are_neutralised():
    values = {counters.SHARP_VALUES[1]: 4, counters.SHARP_NAMES[1]: b"\x1b]52;c;ZXZpbA==\x07Full Color Total"}
    result = counters.decode_counters(values, "1.3.6.1.4.1.2385.1", {}, {})
    assert result.color == 4
    assert "\x1b" not in (result.source or "") and "\x07" not in (result.source or "")


def test_enterprise_of():
    assert counters.enterprise_of(ber.ObjectId((1, 3, 6, 1, 4, 1, 367, 1, 1))) == 367
    assert counters.enterprise_of(".1.3.6.1.4.1.11.2.3.9.1") == 11
    assert counters.enterprise_of("1.3.6.1.2.1.1") is None
    assert counters.enterprise_of(b"\xff") is None
    assert counters.enterprise_of(None) is None


def test_predecessor_asks_the_cell_itself():
    assert counters.predecessor((1, 3, 6, 5, 0)) == (1, 3, 6, 5)
    assert counters.predecessor((1, 3, 6, 5, 4, 61)) == (1, 3, 6, 5, 4, 60)


# --- the contract: to_json / from_json ---------------------------------------------------------------

def test_counters_round_trip_and_old_json():
    c = Counters(total=10, mono=6, color=4, unit="impressions", source="X", note=None,
                 detail={"full_color": 4}, markers=[{"index": "1.1", "life_count": 10, "unit": "impressions"}])
    result = PollResult(target="t", counters=c, page_count=10)
    doc = json.loads(json.dumps(result.to_json()))
    assert doc["counters"] == {"total": 10, "mono": 6, "color": 4, "unit": "impressions", "source": "X",
                               "note": None, "markers": [{"index": "1.1", "life_count": 10, "unit": "impressions"}],
                               "detail": {"full_color": 4}}
    assert PollResult.from_json(doc).counters == c
    # a result stored before issue 16 has no counters: read back as all unknown, page_count kept
    del doc["counters"]
    old = PollResult.from_json(doc)
    assert old.counters == Counters() and old.page_count == 10
    assert PollResult.from_json({**doc, "counters": "garbage"}).counters == Counters()


# --- through snmpsim: the JSON, the requests --------------------------------------------------------

FIXTURES = ["hp_colour", "brother", "lexmark", "ricoh", "xerox", "samsung"]
EXPECTED = {  # (total, mono, color) each fixture is written to report
    "hp_colour": (31000, 20000, 11000), "brother": (6650, 5150, 1500), "lexmark": (20480, 14000, 6400),
    "ricoh": (88412, 65000, 23412), "xerox": (54321, 41000, 13321), "samsung": (14200, 10500, 3700),
}


def _poll_twice(address: str, community: str, *, stale: bool = False) -> tuple[PollResult, PollResult]:
    async def go() -> tuple[PollResult, PollResult]:
        client = SnmpClient()
        try:
            cache = TargetCache()
            settings = SnmpSettings(community=community, timeout=2)
            cold = await poll_one(client, address, settings, cache=cache)
            if stale:  # the cached copy of every vendor counter is wrong: steady polls must re-read them
                for cell in cache.vendor_cells:
                    cache.static[cell] = 1
            steady = await poll_one(client, address, settings, cache=cache)
            return cold, steady
        finally:
            client.close()

    return asyncio.run(go())


@pytest.mark.parametrize("name", FIXTURES)
def test_poll_reports_counters_within_the_request_budget(sim_fleet, name):
    cold, steady = _poll_twice(sim_fleet.address(0), f"counters_{name}", stale=True)
    assert cold.reachable and steady.reachable
    for result in (cold, steady):
        c = result.counters
        assert (c.total, c.mono, c.color) == EXPECTED[name]
    assert steady.counters == cold.counters
    assert cold.requests <= 3, cold.requests
    assert steady.requests <= 2, steady.requests


def test_vendor_counters_ride_in_existing_requests(sim_fleet):
    """An HP with its three counters costs no more requests than the HP without them."""
    with_counters = _poll_twice(sim_fleet.address(0), "counters_hp_colour")
    without = _poll_twice(sim_fleet.address(0), "v3_printer")
    assert [r.requests for r in with_counters] == [r.requests for r in without] == [2, 1]
    assert (without[0].counters.total, without[0].counters.mono, without[0].counters.color) == (23517, None, None)


def test_cli_json_has_counters(sim_fleet, capsys):
    code = main(["poll", sim_fleet.address(1), "--community", "counters_lexmark", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [r] = json.loads(out)
    assert r["page_count"] == 20480
    c = r["counters"]
    assert (c["total"], c["mono"], c["color"], c["unit"]) == (20480, 14000, 6400, "impressions")
    assert c["source"] == "LEXMARK-MPS-MIB: paperGeneralCountType/paperGeneralCountValue"
    assert "differs by +80" in c["note"]
    assert set(c) == {"total", "mono", "color", "unit", "source", "note", "markers", "detail"}


def test_every_source_names_its_mib_or_why_not():
    for source in counters.SOURCES:
        assert source.mib or source.basis, source.vendor
        assert source.verified_by and source.objects
        assert source.scalars or source.walks
    assert {s.vendor for s in counters.SOURCES} >= {
        "HP", "Brother", "Lexmark", "Ricoh", "Xerox", "Samsung", "Sharp", "Konica Minolta"}
    assert mib.PRT_MARKER_LIFE_COUNT == mib.PRT_MARKER_ENTRY + (4,)


@pytest.mark.parametrize("name", ["xerox", "hp_colour"])
def test_snmpv1_getnext_walk_reads_the_same_counters(sim_fleet, name):
    """SNMPv1 has no GETBULK: the probes, tables and vendor cells go through GETNEXT as well."""

    async def go() -> PollResult:
        client = SnmpClient()
        try:
            settings = SnmpSettings(community=f"counters_{name}", version="1", timeout=2).validated()
            return await poll_one(client, sim_fleet.address(0), settings, cache=TargetCache())
        finally:
            client.close()

    result = asyncio.run(go())
    assert (result.counters.total, result.counters.mono, result.counters.color) == EXPECTED[name]
    if name == "xerox":
        assert [m["index"] for m in result.counters.markers] == ["1.1", "1.2"]


def test_pages_text_shows_only_what_is_known():
    from tonertrack_tui.core.printer.model import Counters
    from tonertrack_tui.core.printer.words import pages_text

    assert pages_text(87012, Counters(mono=60000, color=27012)) == "87,012 (mono 60,000 · colour 27,012)"
    assert pages_text(15232, Counters(mono=15232)) == "15,232 (mono 15,232)"  # no colour object: not "colour 0"
    assert pages_text(500, Counters()) == "500"
    assert pages_text(None, Counters(total=42)) == "42"
    assert pages_text(None, None) == "—"
