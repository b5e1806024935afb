"""core/textsafe.py: untrusted text made safe for the terminal, logs and CSV files."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tonertrack_tui.core.util.textsafe import MAX_TEXT, csv_cell, safe_optional, safe_text

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"


@pytest.mark.parametrize("raw,expected", [
    # CSI: removed whole, parameters and all
    (f"{ESC}[2J{ESC}[HPrinter", "Printer"),
    (f"{ESC}[38;2;255;0;0mred{ESC}[0m text", "red text"),
    (f"{ESC}[?1049h{ESC}[?25lhidden", "hidden"),
    (f"{ESC}[6n query", "query"),
    # OSC with BEL or ST
    (f"{ESC}]0;window title{BEL}HP-2F", "HP-2F"),
    (f"{ESC}]2;title{ST}HP-2F", "HP-2F"),
    # OSC 52: a clipboard write
    (f"{ESC}]52;c;cm0gLXJmIH4vKgo={BEL}Lobby", "Lobby"),
    (f"Lobby{ESC}]52;c;cm0gLXJmIH4vKgo={ST}", "Lobby"),
    # OSC 8: a hyperlink; the visible text stays, the link goes
    (f"{ESC}]8;;https://evil.example/{ST}click me{ESC}]8;;{ST}", "click me"),
    (f"{ESC}]8;id=1;https://evil.example/{BEL}link{ESC}]8;;{BEL}", "link"),
    # unterminated OSC eats the rest rather than leaking it
    (f"name{ESC}]52;c;AAAA", "name"),
    # DCS / APC strings
    (f"{ESC}Pq#0;2;0;0;0#1{ST}after", "after"),
    (f"{ESC}_apc payload{ST}after", "after"),
    # 8-bit CSI / OSC
    ("\x9b2Jscreen", "screen"),
    ("\x9d0;title\x9cname", "name"),
    # two-byte escapes
    (f"{ESC}Mup", "up"),
    (f"{ESC}\\plain", "plain"),
])
def test_escape_sequences_are_stripped_whole(raw, expected):
    assert safe_text(raw) == expected


@pytest.mark.parametrize("seq", [f"{ESC}7", f"{ESC}8", f"{ESC}c", f"{ESC}=", f"{ESC}>"])
def test_fp_and_fs_escapes_are_stripped_whole(seq):
    assert safe_text(f"Tray{seq} 1") == "Tray 1"


@pytest.mark.parametrize("raw,expected", [
    ("a\x00b", "ab"),
    ("\x00\x00Black\x00", "Black"),
    ("bell\x07", "bell"),
    ("back\x08space", "backspace"),
    ("del\x7fete", "delete"),
    ("c1\x80\x85\x90\x9f end", "c1 end"),
    ("esc\x1b\x00 alone", "esc alone"),
    ("lone esc at the end\x1b", "lone esc at the end"),
    ("\x1c\x1d\x1e\x1fx", "x"),
])
def test_c0_c1_and_nul_are_removed(raw, expected):
    assert safe_text(raw) == expected


@pytest.mark.parametrize("ch", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                "\u2069", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"])
def test_bidi_overrides_and_zero_width_are_removed(ch):
    assert safe_text(f"Printer{ch}Room{ch}") == "PrinterRoom"


def test_trojan_source_style_name():
    assert safe_text("evil\u202e\u2066exe.txt\u2069\u2066") == "evilexe.txt"


@pytest.mark.parametrize("text", ["café", "Schwarz für", "日本語のプリンター", "Ελληνικά", "Привет", "العربية",
                                  "emoji 🖨️ ok", "[red]markup[/] stays text", "C:\\path\\x", "100 % full"])
def test_ordinary_unicode_is_kept(text):
    assert safe_text(text) == text


@pytest.mark.parametrize("raw,expected", [
    ("line1\nline2", "line1 line2"),
    ("line1\r\nline2", "line1 line2"),
    ("a\n\n\nb", "a b"),
    ("tab\tseparated", "tab separated"),
    ("form\x0cfeed\x0bvt", "form feed vt"),
    ("  padded\n", "padded"),
    ("\n\n", ""),
])
def test_newlines_folded_to_one_line(raw, expected):
    out = safe_text(raw)
    assert out == expected
    assert len(out.splitlines()) <= 1


def test_unicode_line_separators_folded():
    assert safe_text("a\u2028b\u2029c") == "a b c"


def test_length_is_capped():
    out = safe_text("x" * 10_000)
    assert len(out) == MAX_TEXT == 512
    assert out == "x" * 511 + "…"
    assert safe_text("y" * 100, limit=10) == "y" * 9 + "…"
    assert safe_text("y" * 10, limit=10) == "y" * 10
    assert safe_text("z" * 2000, limit=None) == "z" * 2000


def test_cap_counts_visible_text_not_escapes():
    assert safe_text(f"{ESC}[31m" * 6 + "short" + f"{ESC}[0m", limit=10) == "short"
    assert safe_text(f"{ESC}[1m" * 3 + "x" * 20, limit=10) == "x" * 9 + "…"


def test_hostile_length_is_bounded_before_the_regex_work():
    # 10,000 characters of escapes: the work (and the output) stays bounded, nothing leaks
    out = safe_text(f"{ESC}[31m" * 2000 + "tail", limit=16)
    assert len(out) <= 16
    assert ESC not in out and "tail" not in out


def test_none_and_non_strings():
    assert safe_text(None) == ""
    assert safe_text(42) == "42"
    assert safe_optional(None) is None
    assert safe_optional("\x00\x1b[2J  ") is None
    assert safe_optional(" ok ") == "ok"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=("Cs",)), max_size=300)
       | st.lists(st.sampled_from([ESC, "[", "]", "52;c;", BEL, "\\", "8;;", "\x9b", "\x9d", "\x9c", "m", "2J",
                                   "a", "\u202e", "\x00", "\n", "é"]), max_size=60).map("".join),
       st.sampled_from([None, 1, 10, 512]))
def test_property_no_control_characters_ever(text, limit):
    out = safe_text(text, limit=limit)
    assert not CONTROL.search(out)
    assert "\u202e" not in out and "\u200b" not in out
    if limit is not None:
        assert len(out) <= limit
    assert out == out.strip()


# --- CSV cells ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://evil","x")', "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+41 44 123", "'+41 44 123"),
    ("-2+3", "'-2+3"),
    ("-1", "'-1"),  # a string that looks like a number is still text from a device
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1", "'\t=1"),
    ("\tindented", "'\tindented"),
    (f"{ESC}[2J=cmd", "'=cmd"),  # an escape in front does not hide the formula
    ("\x00=cmd", "'=cmd"),
    ("\r=cmd", "'=cmd"),
    ("Lobby", "Lobby"),
    ("a=b", "a=b"),
    ("HP LaserJet - 2F", "HP LaserJet - 2F"),
    ("", ""),
])
def test_csv_cell_text(raw, expected):
    assert csv_cell(raw) == expected


@pytest.mark.parametrize("raw", ["\rcmd", "\r\n=x", "\r@x", "\r"])
def test_csv_cell_leading_cr_is_never_left_bare(raw):
    out = csv_cell(raw)
    assert isinstance(out, str)
    assert out.startswith("'") or not out.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value", [0, 5, -5, 2**40, 3.5, -2.5, -0.0])
def test_csv_cell_numbers_left_alone(value):
    out = csv_cell(value)
    assert out == value
    assert type(out) is type(value)


def test_csv_cell_none_and_bool():
    assert csv_cell(None) == ""
    assert csv_cell(True) == "True"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_csv_cell_never_starts_with_a_trigger(text):
    out = csv_cell(text)
    assert out.startswith("'") or not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert ESC not in out
