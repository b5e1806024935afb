"""The IPP wire format (RFC 8010): a Get-Printer-Attributes request, and a bounded decoder.

Why our own and not pyipp's parser (the issue asks for pyipp unless measured unfit): a
printer's reply is untrusted input, and pyipp 0.17.2 reads lengths as *signed* 16-bit
numbers, so a 25-byte reply whose value length is -5 sends its parser back to where it
was, forever, appending to a list: one hostile or broken printer would hang the poller's
thread and eat memory (reproduced: tests/test_ipp.py::test_pyipp_is_unfit_for_untrusted_replies).
It also reads the whole HTTP body however large, recurses into collections without a
bound and raises on invalid UTF-8. This decoder reads unsigned lengths, checks every
length against what is left, caps attributes, values and nesting, and decodes text with
replacement; anything that does not add up is an IppDecodeError (the poll says "not an
IPP reply"), never a hang. Encoding one request is a few lines.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

GET_PRINTER_ATTRIBUTES = 0x000B

# delimiter tags (RFC 8010 3.5.1)
TAG_OPERATION, TAG_JOB, TAG_END, TAG_PRINTER, TAG_UNSUPPORTED = 0x01, 0x02, 0x03, 0x04, 0x05
# value tags
TAG_UNSUPPORTED_VALUE, TAG_UNKNOWN, TAG_NO_VALUE = 0x10, 0x12, 0x13
TAG_INTEGER, TAG_BOOLEAN, TAG_ENUM = 0x21, 0x22, 0x23
TAG_OCTET_STRING, TAG_DATE, TAG_RESOLUTION, TAG_RANGE = 0x30, 0x31, 0x32, 0x33
TAG_BEGIN_COLLECTION, TAG_TEXT_LANG, TAG_NAME_LANG, TAG_END_COLLECTION = 0x34, 0x35, 0x36, 0x37
TAG_TEXT, TAG_NAME, TAG_KEYWORD, TAG_URI = 0x41, 0x42, 0x44, 0x45
TAG_CHARSET, TAG_LANGUAGE, TAG_MIME, TAG_MEMBER_NAME = 0x47, 0x48, 0x49, 0x4A

MAX_ATTRIBUTES = 2000  # named attributes in one reply (ippeveprinter sends ~150)
MAX_VALUES = 20000  # values of all attributes together
MAX_VALUES_PER_ATTRIBUTE = 1024
MAX_DEPTH = 8  # nested collections


class IppDecodeError(ValueError):
    """The bytes are not an IPP reply we can trust: the message says where it went wrong."""


@dataclass(slots=True)
class IppResponse:
    version: tuple[int, int]
    status: int  # 0x0000–0x00FF successful
    request_id: int
    printer: dict[str, list[Any]] = field(default_factory=dict)  # printer-attributes group, name -> values
    operation: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status < 0x0100


def _attribute(tag: int, name: str, value: bytes) -> bytes:
    raw_name = name.encode("ascii")
    return struct.pack(">BH", tag, len(raw_name)) + raw_name + struct.pack(">H", len(value)) + value


def encode_get_printer_attributes(printer_uri: str, request_id: int, requested: tuple[str, ...],
                                  user: str = "tonertrack") -> bytes:
    """A Get-Printer-Attributes request (IPP 2.0) asking for `requested`."""
    out = bytearray(struct.pack(">BBHI", 2, 0, GET_PRINTER_ATTRIBUTES, request_id))
    out.append(TAG_OPERATION)
    out += _attribute(TAG_CHARSET, "attributes-charset", b"utf-8")
    out += _attribute(TAG_LANGUAGE, "attributes-natural-language", b"en")
    out += _attribute(TAG_URI, "printer-uri", printer_uri.encode("utf-8"))
    out += _attribute(TAG_NAME, "requesting-user-name", user.encode("utf-8"))
    for i, keyword in enumerate(requested):
        out += _attribute(TAG_KEYWORD, "requested-attributes" if i == 0 else "", keyword.encode("ascii"))
    out.append(TAG_END)
    return bytes(out)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _value(tag: int, raw: bytes) -> Any:
    """One value by its tag; out-of-band tags (no-value, unknown…) are None."""
    if tag in (TAG_INTEGER, TAG_ENUM):
        if len(raw) != 4:
            raise IppDecodeError(f"integer of {len(raw)} bytes")
        return struct.unpack(">i", raw)[0]
    if tag == TAG_BOOLEAN:
        if len(raw) != 1:
            raise IppDecodeError(f"boolean of {len(raw)} bytes")
        return raw != b"\x00"
    if tag == TAG_RANGE:
        if len(raw) != 8:
            raise IppDecodeError(f"range of {len(raw)} bytes")
        return struct.unpack(">ii", raw)
    if tag == TAG_RESOLUTION:
        if len(raw) != 9:
            raise IppDecodeError(f"resolution of {len(raw)} bytes")
        return struct.unpack(">iib", raw)
    if tag in (TAG_TEXT_LANG, TAG_NAME_LANG):
        if len(raw) < 4:
            raise IppDecodeError("text with language too short")
        lang_len = struct.unpack_from(">H", raw, 0)[0]
        at = 2 + lang_len
        if at + 2 > len(raw):
            raise IppDecodeError("text with language: bad language length")
        text_len = struct.unpack_from(">H", raw, at)[0]
        if at + 2 + text_len != len(raw):
            raise IppDecodeError("text with language: bad text length")
        return _text(raw[at + 2:])
    if 0x10 <= tag <= 0x1F:
        return None
    if tag == TAG_DATE or tag == TAG_OCTET_STRING:
        return bytes(raw)
    return _text(raw)  # text, name, keyword, uri, charset, language, mime and unknown string types


def decode_response(data: bytes) -> IppResponse:
    """Parse a reply; IppDecodeError if anything does not add up (every length is checked)."""
    if len(data) < 9:
        raise IppDecodeError(f"{len(data)} bytes is too short for an IPP reply")
    major, minor, status, request_id = struct.unpack_from(">BBHI", data, 0)
    if major not in (1, 2):
        raise IppDecodeError(f"IPP version {major}.{minor}")
    response = IppResponse((major, minor), status, request_id)
    groups = {TAG_OPERATION: response.operation, TAG_PRINTER: response.printer}
    current: dict[str, list[Any]] | None = None
    last: list[Any] | None = None
    depth = 0
    attributes = values = 0
    at, end = 8, len(data)
    while True:
        if at >= end:
            raise IppDecodeError("no end-of-attributes tag")
        tag = data[at]
        if tag == TAG_END:
            break
        if tag < 0x10:  # a group delimiter
            if depth:
                raise IppDecodeError("group delimiter inside a collection")
            at += 1
            current = groups.get(tag, {})  # job or unsupported groups are read and dropped
            last = None
            continue
        if at + 3 > end:
            raise IppDecodeError("attribute header past the end")
        name_len = struct.unpack_from(">H", data, at + 1)[0]
        name_end = at + 3 + name_len
        if name_end + 2 > end:
            raise IppDecodeError("attribute name past the end")
        value_len = struct.unpack_from(">H", data, name_end)[0]
        value_end = name_end + 2 + value_len
        if value_end > end:
            raise IppDecodeError("attribute value past the end")
        raw_value = data[name_end + 2:value_end]
        at = value_end
        values += 1
        if values > MAX_VALUES:
            raise IppDecodeError(f"more than {MAX_VALUES} values")
        if tag == TAG_BEGIN_COLLECTION:
            depth += 1
            if depth > MAX_DEPTH:
                raise IppDecodeError(f"collections nested deeper than {MAX_DEPTH}")
        elif tag == TAG_END_COLLECTION:
            if not depth:
                raise IppDecodeError("end of a collection that was not begun")
            depth -= 1
            continue
        if depth and not (tag == TAG_BEGIN_COLLECTION and depth == 1):
            continue  # inside a collection: members are skipped (nothing we read is a collection)
        if current is None:
            raise IppDecodeError("attribute outside any group")
        if name_len:
            name = _text(data[at - value_len - 2 - name_len:at - value_len - 2])
            attributes += 1
            if attributes > MAX_ATTRIBUTES:
                raise IppDecodeError(f"more than {MAX_ATTRIBUTES} attributes")
            last = current.setdefault(name, [])
        elif last is None:
            raise IppDecodeError("an additional value with no attribute before it")
        if len(last) >= MAX_VALUES_PER_ATTRIBUTE:
            raise IppDecodeError(f"more than {MAX_VALUES_PER_ATTRIBUTE} values in one attribute")
        last.append(None if tag == TAG_BEGIN_COLLECTION else _value(tag, raw_value))
    if depth:
        raise IppDecodeError("a collection was not ended")
    return response
