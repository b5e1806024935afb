"""A small BER codec for SNMPv1/v2c messages: the hot path of every community-based poll.

Why not pysnmp's message layer here: ~70 % of a pysnmp poll's CPU is pyasn1 building
and decoding objects (measured: a 24-varbind GETBULK costs 3.8 ms with
`pysnmp.hlapi.v1arch`; this codec decodes it in ~0.1 ms). SNMPv3 (USM, crypto) stays
with pysnmp's v3arch engine (core/snmp.py). tests/test_ber.py checks this codec against
pyasn1/pysnmp encodings of the same messages.

Values come out as plain Python: int, bytes, `ObjectId` (a tuple), `IpAddress` (a str),
`None` for NULL and the sentinels NO_SUCH_OBJECT / NO_SUCH_INSTANCE / END_OF_MIB_VIEW.
"""

from __future__ import annotations

import functools

GET, GETNEXT, RESPONSE, SET, TRAP_V1, GETBULK, INFORM, TRAP_V2, REPORT = (
    0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8,
)
V1, V2C = 0, 1

ERROR_STATUS_NAMES = {
    0: "noError", 1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr",
    6: "noAccess", 7: "wrongType", 8: "wrongLength", 9: "wrongEncoding", 10: "wrongValue",
    11: "noCreation", 12: "inconsistentValue", 13: "resourceUnavailable", 14: "commitFailed",
    15: "undoFailed", 16: "authorizationError", 17: "notWritable", 18: "inconsistentName",
}


class BerError(ValueError):
    """A datagram that is not a well-formed SNMP message."""


class ObjectId(tuple[int, ...]):
    """An OBJECT IDENTIFIER value (as opposed to a varbind name)."""

    __slots__ = ()

    def __str__(self) -> str:
        return ".".join(map(str, self))


class IpAddress(str):
    __slots__ = ()


class Counter64(int):
    __slots__ = ()


class _Exception:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


NO_SUCH_OBJECT = _Exception("noSuchObject")
NO_SUCH_INSTANCE = _Exception("noSuchInstance")
END_OF_MIB_VIEW = _Exception("endOfMibView")
SNMP_EXCEPTIONS = (NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW)

# What `_decode_value` yields (see the module docstring); a var-bind is (name, value).
Value = int | bytes | ObjectId | IpAddress | _Exception | None
VarBind = tuple[tuple[int, ...], Value]


# --- encoding ------------------------------------------------------------------------------

def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _len(len(body)) + body


def _int(value: int) -> bytes:
    length = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return _tlv(0x02, value.to_bytes(length, "big", signed=True))


@functools.lru_cache(maxsize=1 << 16)
def encode_oid(value: tuple[int, ...]) -> bytes:
    """Memoised: a fleet's steady polls ask the same few hundred cells of every printer (the
    encoding was 1/5 of a repeat poll's CPU in `poll --all` of 1,000 printers)."""
    if len(value) < 2:
        raise BerError("an OID needs at least two arcs")
    first, second, *rest = value
    out = bytearray()
    for arc in (first * 40 + second, *rest):
        if arc < 0:
            raise BerError("negative OID arc")
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


_NULL = b"\x05\x00"


def encode_varbinds_null(oids: list[tuple[int, ...]]) -> bytes:
    """The var-bind list of a request: each OID with a NULL value."""
    return _tlv(0x30, b"".join(_tlv(0x30, encode_oid(o) + _NULL) for o in oids))


def encode_request(version: int, community: bytes, pdu_tag: int, request_id: int,
                   varbinds: bytes, non_repeaters: int = 0, max_repetitions: int = 0) -> bytes:
    """A whole request message; `varbinds` comes from `encode_varbinds_null` (cache it)."""
    if pdu_tag == GETBULK:
        head = _int(request_id) + _int(non_repeaters) + _int(max_repetitions)
    else:
        head = _int(request_id) + b"\x02\x01\x00\x02\x01\x00"
    pdu = _tlv(pdu_tag, head + varbinds)
    return _tlv(0x30, _int(version) + _tlv(0x04, community) + pdu)


# --- decoding -------------------------------------------------------------------------------

def _read_len(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 4:
        raise BerError("unsupported BER length")
    return int.from_bytes(data[pos:pos + count], "big"), pos + count


def _decode_oid(body: bytes) -> tuple[int, ...]:
    if not body:
        raise BerError("empty OID")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if body[-1] & 0x80:
        raise BerError("truncated OID")
    first = arcs[0]
    if first < 80:
        head = (first // 40, first % 40)
    else:
        head = (2, first - 80)
    return head + tuple(arcs[1:])


def _decode_value(tag: int, body: bytes) -> Value:
    if tag == 0x02:
        return int.from_bytes(body, "big", signed=True) if body else 0
    if tag == 0x04:
        return bytes(body)
    if tag in (0x41, 0x42, 0x43):  # Counter32, Gauge32, TimeTicks: unsigned
        return int.from_bytes(body, "big", signed=False) & 0xFFFFFFFF
    if tag == 0x46:
        return Counter64(int.from_bytes(body, "big", signed=False) & 0xFFFFFFFFFFFFFFFF)
    if tag == 0x06:
        return ObjectId(_decode_oid(body))
    if tag == 0x40:
        return IpAddress(".".join(str(b) for b in body)) if len(body) == 4 else bytes(body)
    if tag == 0x05:
        return None
    if tag == 0x80:
        return NO_SUCH_OBJECT
    if tag == 0x81:
        return NO_SUCH_INSTANCE
    if tag == 0x82:
        return END_OF_MIB_VIEW
    if tag == 0x44:  # Opaque
        return bytes(body)
    raise BerError(f"unknown value tag 0x{tag:02x}")


class Response:
    __slots__ = ("version", "community", "pdu_tag", "request_id", "error_status", "error_index", "varbinds")

    def __init__(self, version: int, community: bytes, pdu_tag: int, request_id: int,
                 error_status: int, error_index: int, varbinds: list[VarBind]) -> None:
        self.version = version
        self.community = community
        self.pdu_tag = pdu_tag
        self.request_id = request_id
        self.error_status = error_status
        self.error_index = error_index
        self.varbinds = varbinds


def decode_message(data: bytes) -> Response:
    """Decode a v1/v2c message; raise BerError for anything malformed."""
    try:
        return _decode_message(data)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, BerError):
            raise
        raise BerError(f"malformed message: {exc}") from None


def _expect(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    if data[pos] != tag:
        raise BerError(f"expected tag 0x{tag:02x} at {pos}, got 0x{data[pos]:02x}")
    length, pos = _read_len(data, pos + 1)
    if pos + length > len(data):
        raise BerError("length beyond end of message")
    return length, pos


def _read_int(data: bytes, pos: int) -> tuple[int, int]:
    length, pos = _expect(data, pos, 0x02)
    return int.from_bytes(data[pos:pos + length], "big", signed=True), pos + length


def _decode_message(data: bytes) -> Response:
    _, pos = _expect(data, 0, 0x30)
    version, pos = _read_int(data, pos)
    length, pos = _expect(data, pos, 0x04)
    community = data[pos:pos + length]
    pos += length
    pdu_tag = data[pos]
    if pdu_tag < 0xA0 or pdu_tag > 0xA8:
        raise BerError(f"not an SNMP PDU: 0x{pdu_tag:02x}")
    length, pos = _read_len(data, pos + 1)
    request_id, pos = _read_int(data, pos)
    error_status, pos = _read_int(data, pos)
    error_index, pos = _read_int(data, pos)
    vb_len, pos = _expect(data, pos, 0x30)
    end = pos + vb_len
    varbinds: list[VarBind] = []
    append = varbinds.append
    while pos < end:
        if data[pos] != 0x30:
            raise BerError("var-bind is not a SEQUENCE")
        first = data[pos + 1]
        pos = pos + 2 if first < 0x80 else _read_len(data, pos + 1)[1]
        if data[pos] != 0x06:
            raise BerError("var-bind name is not an OID")
        nlen = data[pos + 1]
        if nlen < 0x80:
            npos = pos + 2
        else:
            nlen, npos = _read_len(data, pos + 1)
        name = _decode_oid(data[npos:npos + nlen])
        pos = npos + nlen
        tag = data[pos]
        vlen = data[pos + 1]
        if vlen < 0x80:
            vpos = pos + 2
        else:
            vlen, vpos = _read_len(data, pos + 1)
        if vpos + vlen > end:
            raise BerError("value beyond end of var-bind list")
        append((name, _decode_value(tag, data[vpos:vpos + vlen])))
        pos = vpos + vlen
    return Response(version, community, pdu_tag, request_id, error_status, error_index, varbinds)


# --- responses (the benchmark responder, benchmarks/netsim.py) ----------------------------

def encode_tlv(tag: int, body: bytes) -> bytes:
    return _tlv(tag, body)


def encode_unsigned(tag: int, value: int) -> bytes:
    """Counter32 (0x41), Gauge32 (0x42), TimeTicks (0x43), Counter64 (0x46)."""
    return _tlv(tag, value.to_bytes(max(1, value.bit_length() // 8 + 1), "big"))


def encode_integer(value: int) -> bytes:
    return _int(value)


def encode_varbind(oid: tuple[int, ...], encoded_value: bytes) -> bytes:
    """One var-bind: `encoded_value` is a whole TLV (see encode_tlv / encode_unsigned)."""
    return _tlv(0x30, encode_oid(oid) + encoded_value)


def encode_response(version: int, community: bytes, request_id: int, error_status: int, error_index: int,
                    varbinds: bytes) -> bytes:
    """A whole RESPONSE message; `varbinds` is the concatenation of encode_varbind() results."""
    pdu = _tlv(RESPONSE, _int(request_id) + _int(error_status) + _int(error_index) + _tlv(0x30, varbinds))
    return _tlv(0x30, _int(version) + _tlv(0x04, community) + pdu)
