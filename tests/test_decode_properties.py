"""Property tests: arbitrary var-binds over the Printer-MIB / Host-Resources OIDs never break decode().

Values are what core/ber.py can hand over: ints (hypothesis' unbounded integers), bytes of any
content (invalid UTF-8, escape sequences, NULs), ObjectId, IpAddress, Counter64, None and the
exception sentinels. Integers of thousands of digits are covered (as known bugs) in test_decode.py.
"""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tonertrack_tui.core.printer import mib
from tonertrack_tui.core.printer.decode import decode, decode_octets, level_pct, text_value
from tonertrack_tui.core.printer.model import PollResult
from tonertrack_tui.core.printer.status import Thresholds, evaluate
from tonertrack_tui.core.snmp import ber

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

HOSTILE = [
    b"\x1b[2J\x1b[H", b"\x1b]52;c;cm0gLXJmIC8K\x07", b"\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\",
    b"[red]alert[/]", b"[/]", b"\x00\x00\x00", b"\x9b31m", "\u202eevil".encode(), b"\xff\xfe\x00\x00",
    b"42 6C 61 63 6B", b"Black Toner\n42 6C 61 63 6B", "ブラックトナー".encode("cp932"), b"\xc3\x28",
    b"\r\n\t\x0b\x0c", b"x" * 3000,
]

values_st = st.one_of(
    st.integers(),
    st.integers(-4, 200),
    st.binary(max_size=200),
    st.sampled_from(HOSTILE),
    st.text(max_size=50).map(lambda t: t.encode("utf-8")),
    st.text(max_size=30).map(lambda t: t.encode("utf-16")),
    st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=12).map(lambda a: ber.ObjectId(a)),
    st.just(ber.ObjectId(mib.HR_DEVICE_PRINTER)),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ber.IpAddress(".".join(map(str, t)))),
    st.integers(0, 2**64 - 1).map(ber.Counter64),
    st.sampled_from([None, ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW]),
)

small = st.integers(1, 6)
TABLE_COLUMNS = [
    (mib.PRT_SUPPLIES_ENTRY, tuple(range(3, 10)), 2),
    (mib.PRT_INPUT_ENTRY, (8, 9, 10, 11, 12, 13, 18), 2),
    (mib.PRT_ALERT_ENTRY, tuple(range(2, 9)), 2),
    (mib.PRT_COLORANT_VALUE[:-1], (4,), 2),
    (mib.HR_DEVICE_ENTRY, (2, 3, 5), 1),
    (mib.HR_PRINTER_ENTRY, (1, 2), 1),
]
SCALAR_NAMES = [
    mib.SYS_DESCR + (0,), mib.SYS_OBJECT_ID + (0,), mib.SYS_UPTIME + (0,), mib.SYS_CONTACT + (0,),
    mib.SYS_NAME + (0,), mib.SYS_LOCATION + (0,), mib.PRT_GENERAL_SERIAL + (1,),
    mib.PRT_MARKER_LIFE_COUNT + (1, 1), mib.PRT_MARKER_LIFE_COUNT + (1, 2),
]


@st.composite
def table_oid(draw):
    entry, columns, index_len = draw(st.sampled_from(TABLE_COLUMNS))
    column = draw(st.sampled_from(columns))
    index = tuple(draw(st.lists(small, min_size=index_len, max_size=index_len)))
    if index_len == 2 and draw(st.booleans()):
        index = (index[0], draw(st.integers(1, 2000)))  # sparse, multi-digit indexes
    return entry + (column,) + index


oid_st = st.one_of(table_oid(), st.sampled_from(SCALAR_NAMES))
varbinds_st = st.dictionaries(oid_st, values_st, max_size=60)


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


def _supply_rows(values) -> list[str]:
    entry = mib.PRT_SUPPLIES_ENTRY
    n = len(entry)
    rows = {k[n + 1:] for k in values if len(k) > n + 1 and k[:n] == entry and k[n] in range(3, 10)}
    return [".".join(map(str, r)) for r in sorted(rows)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(varbinds_st, st.sampled_from([Thresholds(), Thresholds(30, 5, {"waste": (50, 40), "toner": (None, 0)})]))
def test_decode_and_evaluate_never_break(values, thresholds):
    result = evaluate(decode("printer.example:1161", values), thresholds)

    assert result.status in ("OK", "Warning", "Error", "Unknown")
    assert result.reasons or result.status == "OK"
    if not result.is_printer:
        assert result.status == "Unknown"

    # every supply row exactly once, in index order
    assert [s.index for s in result.supplies] == _supply_rows(values)
    for s in result.supplies:
        assert s.remaining_pct is None or (type(s.remaining_pct) is int and 0 <= s.remaining_pct <= 100)
        assert s.level_note in (None, "some_remaining", "unknown", "unrestricted", "max_unknown")
        assert (s.remaining_pct is None) == (s.level_note is not None) or s.estimated
        assert s.severity in ("ok", "warning", "error", "unknown")
        assert s.kind in mib.KINDS
        assert s.class_ in (None, "other", "consumed", "receptacle")
        assert s.description  # never empty: a supply always has a name
        if s.level in (-1, -2, -3):
            assert s.remaining_pct is None
    for t in result.trays:
        assert t.remaining_pct is None or 0 <= t.remaining_pct <= 100
    for a in result.alerts:
        assert a.severity in ("critical", "warning", "warning_binary", "other")
        assert a.description
    assert result.page_count is None or result.page_count >= 0
    assert result.identity.uptime_s is None or result.identity.uptime_s >= 0

    doc = result.to_json()
    text = json.dumps(doc)
    assert json.loads(text) == doc
    for s in _strings(doc):
        assert not CONTROL.search(s), repr(s)
        assert "\x1b" not in s
    assert PollResult.from_json(json.loads(text)).to_json() == doc


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.sampled_from(HOSTILE)))
def test_any_octets_become_safe_text(raw):
    assert isinstance(decode_octets(raw), str)
    text = text_value(raw)
    assert text is None or (text and not CONTROL.search(text) and len(text) <= 512)
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff":
        assert text is None or ch not in text


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.integers(-(2**64), 2**64)), st.one_of(st.none(), st.integers(-(2**64), 2**64)),
       st.sampled_from([None, "percent", "impressions"]))
def test_level_pct_is_a_percentage_or_a_state(level, max_, unit):
    pct, note, estimated = level_pct(level, max_, unit)
    assert pct is None or 0 <= pct <= 100
    assert note in (None, "some_remaining", "unknown", "unrestricted", "max_unknown")
    if level is not None and level < 0:
        assert pct is None
    if level is not None and level >= 0 and max_ is not None and max_ > 0:
        assert note is None and not estimated
        assert abs(pct - min(100, 100 * level / max_)) <= 0.5 + 1e-9
    if estimated:
        assert note == "max_unknown" and pct == level
