"""Untrusted text (from printers, print servers, files) made safe to show, log and export.

A printer's sysName can carry an ANSI screen clear, an OSC 52 clipboard write or a
bidi override. Everything that reaches a terminal or a file goes through `safe_text`.
Markup is not this module's concern: the UI passes text as `Text`/`Content`, never markup.
"""

from __future__ import annotations

import json
import re
from typing import Any

# CSI / OSC / other escape sequences, so that "ESC[2J" disappears whole instead of leaving "[2J".
_ESCAPE_SEQ = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI ... final byte
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC ... BEL or ST (or unterminated)
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS / SOS / PM / APC strings
    | \x1b[ -/]*[0-~]                  # other ESC sequences (ESC 7, ESC c, ESC ( B ...)
    | \x9b[0-?]*[ -/]*[@-~]            # 8-bit CSI
    | \x9d[^\x07\x9c]*(?:\x07|\x9c)?   # 8-bit OSC
    """,
    re.VERBOSE,
)
# C0 (but TAB/LF handled apart), DEL, C1, bidi controls, zero-width and other invisible format chars.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_WHITESPACE = re.compile("[\t\n\r\f\v\u2028\u2029]+")

MAX_TEXT = 512  # a description longer than this is cut: nobody reads 10,000 characters in a cell


def safe_text(value: object, *, limit: int | None = MAX_TEXT) -> str:
    """Readable, single-line, control-free text; `None` becomes ''."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit * 4:
        text = text[: limit * 4]  # bound the regex work on hostile 10,000-character values
    text = _ESCAPE_SEQ.sub("", text)
    text = _WHITESPACE.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    text = text.strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def safe_optional(value: object, *, limit: int | None = MAX_TEXT) -> str | None:
    text = safe_text(value, limit=limit)
    return text or None


# What json.dumps(ensure_ascii=False) leaves raw but a terminal may act on: C1 (8-bit CSI/OSC), DEL,
# bidi and zero-width characters. Inside a JSON string a \uXXXX escape is the same data.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


def terminal_json(obj: object, **kwargs: Any) -> str:
    """json.dumps for a terminal: readable non-ASCII, but every control or bidi character escaped."""
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A spreadsheet never runs a cell: text starting with = + - @ TAB CR gets a leading quote.

    Numbers stay numbers (a negative number is data, not a formula).
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = safe_text(value, limit=None) if not isinstance(value, str) else value
    text = _ESCAPE_SEQ.sub("", text)
    text = _INVISIBLE.sub("", text)
    if text.startswith(_CSV_TRIGGERS):
        return "'" + text
    return text
