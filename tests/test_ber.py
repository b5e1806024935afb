"""core/ber.py against pyasn1/pysnmp as the reference implementation of SNMP's BER.

Requests: what we encode must decode with pysnmp's v1/v2c Message spec to the same
fields (and is byte-identical to pyasn1's own encoding). Responses: messages built
with pysnmp/pyasn1 must decode with `ber.decode_message` to exact plain-Python values.
Garbage never raises anything but `ber.BerError`.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v1, v2c

from tonertrack_tui.core.snmp import ber

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1)
SUPPLY_LEVEL = (1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9)
HP_OID = (1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 4, 3, 3, 5, 0, 200000)


# --- reference builders (pysnmp / pyasn1) ---------------------------------------------------

def ref_request(version: int, pdu_tag: int, request_id: int, oids, community=b"public",
                non_repeaters: int | None = None, max_repetitions: int | None = None) -> bytes:
    mod = v1 if version == ber.V1 else v2c
    pdu_cls = {
        ber.GET: mod.GetRequestPDU,
        ber.GETNEXT: mod.GetNextRequestPDU,
        ber.GETBULK: v2c.GetBulkRequestPDU,
    }[pdu_tag]
    api = v2c.apiBulkPDU if pdu_tag == ber.GETBULK else mod.apiPDU
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, community)
    pdu = pdu_cls()
    api.set_defaults(pdu)
    api.set_request_id(pdu, request_id)
    if pdu_tag == ber.GETBULK:
        api.set_non_repeaters(pdu, non_repeaters)
        api.set_max_repetitions(pdu, max_repetitions)
    api.set_varbinds(pdu, [(o, mod.Null("")) for o in oids])
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def ref_response(varbinds, *, version: int = ber.V2C, community: bytes = b"public",
                 request_id: int = 4242, error_status: int = 0, error_index: int = 0) -> bytes:
    """A Response message encoded by pyasn1; `varbinds` are (oid tuple, pyasn1 value)."""
    mod = v1 if version == ber.V1 else v2c
    msg = mod.Message()
    mod.apiMessage.set_defaults(msg)
    mod.apiMessage.set_community(msg, community)
    pdu = mod.GetResponsePDU()
    mod.apiPDU.set_defaults(pdu)
    mod.apiPDU.set_request_id(pdu, request_id)
    mod.apiPDU.set_error_status(pdu, error_status)
    mod.apiPDU.set_error_index(pdu, error_index)
    mod.apiPDU.set_varbinds(pdu, varbinds)
    mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def parse_with_pysnmp(data: bytes, version: int):
    mod = v1 if version == ber.V1 else v2c
    msg, rest = decoder.decode(data, asn1Spec=mod.Message())
    assert rest == b""
    return mod, msg, mod.apiMessage.get_pdu(msg)


# --- requests ---------------------------------------------------------------------------------

REQUEST_CASES = [
    (ber.V2C, ber.GETBULK, 12345, [SYS_DESCR, SUPPLY_LEVEL], 2, 10),
    (ber.V2C, ber.GETBULK, 2**31 - 1, [SYS_DESCR, HP_OID], 1, 2**31 - 1),
    (ber.V2C, ber.GETBULK, 0, [SUPPLY_LEVEL], 0, 0),
    (ber.V2C, ber.GET, 1, [SYS_DESCR + (0,)], None, None),
    (ber.V2C, ber.GETNEXT, -(2**31), [SYS_DESCR, SUPPLY_LEVEL, HP_OID], None, None),
    (ber.V1, ber.GET, 128, [SYS_DESCR + (0,)], None, None),
    (ber.V1, ber.GETNEXT, -129, [SUPPLY_LEVEL, HP_OID], None, None),
]


@pytest.mark.parametrize("version,pdu_tag,request_id,oids,nr,mr", REQUEST_CASES)
def test_request_decodes_with_pysnmp(version, pdu_tag, request_id, oids, nr, mr):
    data = ber.encode_request(version, b"s3cret", pdu_tag, request_id, ber.encode_varbinds_null(oids),
                              nr or 0, mr or 0)
    mod, msg, pdu = parse_with_pysnmp(data, version)
    assert int(mod.apiMessage.get_version(msg)) == version
    assert bytes(mod.apiMessage.get_community(msg)) == b"s3cret"
    expected_cls = {ber.GET: mod.GetRequestPDU, ber.GETNEXT: mod.GetNextRequestPDU,
                    ber.GETBULK: v2c.GetBulkRequestPDU}[pdu_tag]
    assert pdu.tagSet == expected_cls.tagSet
    assert int(mod.apiPDU.get_request_id(pdu)) == request_id
    if pdu_tag == ber.GETBULK:
        assert int(v2c.apiBulkPDU.get_non_repeaters(pdu)) == nr
        assert int(v2c.apiBulkPDU.get_max_repetitions(pdu)) == mr
    else:
        assert int(mod.apiPDU.get_error_status(pdu)) == 0
        assert int(mod.apiPDU.get_error_index(pdu)) == 0
    varbinds = mod.apiPDU.get_varbinds(pdu)
    assert [tuple(name) for name, _ in varbinds] == [tuple(o) for o in oids]
    assert all(value.tagSet == v2c.Null.tagSet for _, value in varbinds)


def _pyasn1_pads(value: int) -> bool:
    """pyasn1 encodes -(2**(8k-1)) with a redundant 0xff octet; X.690 8.3.2 wants it minimal."""
    return value < 0 and (-value) & (-value - 1) == 0 and (-value).bit_length() % 8 == 0


@pytest.mark.parametrize("version,pdu_tag,request_id,oids,nr,mr", REQUEST_CASES)
def test_request_is_byte_identical_to_pyasn1(version, pdu_tag, request_id, oids, nr, mr):
    ours = ber.encode_request(version, b"public", pdu_tag, request_id, ber.encode_varbinds_null(oids),
                              nr or 0, mr or 0)
    ref = ref_request(version, pdu_tag, request_id, oids, non_repeaters=nr, max_repetitions=mr)
    if _pyasn1_pads(request_id):
        # same message, one octet shorter: ours is the minimal encoding
        assert len(ours) == len(ref) - 1
        assert decoder.decode(ours, asn1Spec=v2c.Message() if version else v1.Message())[0] == \
            decoder.decode(ref, asn1Spec=v2c.Message() if version else v1.Message())[0]
    else:
        assert ours == ref


@pytest.mark.parametrize("value,encoded", [
    (0, b"\x02\x01\x00"), (127, b"\x02\x01\x7f"), (128, b"\x02\x02\x00\x80"), (255, b"\x02\x02\x00\xff"),
    (256, b"\x02\x02\x01\x00"), (-1, b"\x02\x01\xff"), (-128, b"\x02\x01\x80"), (-129, b"\x02\x02\xff\x7f"),
    (-(2**31), b"\x02\x04\x80\x00\x00\x00"), (2**31 - 1, b"\x02\x04\x7f\xff\xff\xff"),
])
def test_negative_integers_are_minimal(value, encoded):
    # X.690 8.3.2: minimal two's complement; pysnmp decodes it to the same number
    data = ber.encode_request(ber.V2C, b"p", ber.GET, value, ber.encode_varbinds_null([SYS_DESCR]))
    assert data[10:10 + len(encoded)] == encoded  # 30 L | 02 01 01 | 04 01 "p" | a0 L | request-id
    _, _, pdu = parse_with_pysnmp(data, ber.V2C)
    assert int(v2c.apiPDU.get_request_id(pdu)) == value


def test_request_pdu_tags():
    vbs = ber.encode_varbinds_null([SYS_DESCR])
    for tag, expected in ((ber.GET, 0xA0), (ber.GETNEXT, 0xA1), (ber.GETBULK, 0xA5)):
        data = ber.encode_request(ber.V2C, b"public", tag, 7, vbs)
        # 30 LL | 02 01 01 | 04 06 "public" | tag
        assert data[2:5] == b"\x02\x01\x01"
        assert data[5:13] == b"\x04\x06public"
        assert data[13] == expected


def test_request_with_long_community_uses_long_form_length():
    community = b"c" * 300
    data = ber.encode_request(ber.V2C, community, ber.GET, 1, ber.encode_varbinds_null([SYS_DESCR]))
    _, msg, _ = parse_with_pysnmp(data, ber.V2C)
    assert bytes(v2c.apiMessage.get_community(msg)) == community
    assert data[:2] == b"\x30\x82"


def test_encode_oid_rejects_bad_oids():
    with pytest.raises(ber.BerError):
        ber.encode_oid((1,))
    with pytest.raises(ber.BerError):
        ber.encode_oid((1, 3, -1))


def test_encode_oid_matches_pyasn1():
    for oid in (SYS_DESCR, HP_OID, (2, 999, 3), (0, 0), (1, 39, 2**32 - 1), (2, 100000, 128, 16383, 16384)):
        assert ber.encode_oid(oid) == encoder.encode(v2c.ObjectIdentifier(oid))


oid_strategy = st.builds(
    lambda first, second, rest: (first, second, *rest),
    st.integers(0, 1), st.integers(0, 39), st.lists(st.integers(0, 2**32 - 1), max_size=20),
) | st.builds(
    lambda second, rest: (2, second, *rest),
    st.integers(0, 2**32), st.lists(st.integers(0, 2**32 - 1), max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([(ber.V1, ber.GET), (ber.V1, ber.GETNEXT), (ber.V2C, ber.GET),
                     (ber.V2C, ber.GETNEXT), (ber.V2C, ber.GETBULK)]),
    st.integers(-(2**31), 2**31 - 1),
    st.lists(oid_strategy, min_size=1, max_size=8),
    st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1),
    st.binary(max_size=300),
)
def test_request_property_matches_pyasn1(kind, request_id, oids, nr, mr, community):
    version, tag = kind
    bulk = tag == ber.GETBULK
    ours = ber.encode_request(version, community, tag, request_id, ber.encode_varbinds_null(oids),
                              nr if bulk else 0, mr if bulk else 0)
    assert _pyasn1_pads(request_id) or ours == ref_request(version, tag, request_id, oids, community=community,
                               non_repeaters=nr if bulk else None, max_repetitions=mr if bulk else None)
    mod, _, pdu = parse_with_pysnmp(ours, version)
    assert int(mod.apiPDU.get_request_id(pdu)) == request_id
    assert [tuple(n) for n, _ in mod.apiPDU.get_varbinds(pdu)] == oids


# --- responses: every value type ------------------------------------------------------------

BIN = bytes(range(256))
VALUE_CASES = [
    # (id, pyasn1 value, expected plain Python value, expected type)
    ("int-zero", v2c.Integer32(0), 0, int),
    ("int-negative", v2c.Integer32(-3), -3, int),
    ("int-minus-one", v2c.Integer32(-1), -1, int),
    ("int-min", v2c.Integer32(-(2**31)), -(2**31), int),
    ("int-max", v2c.Integer32(2**31 - 1), 2**31 - 1, int),
    ("int-128", v2c.Integer32(128), 128, int),
    ("int-minus-129", v2c.Integer32(-129), -129, int),
    ("octets-empty", v2c.OctetString(b""), b"", bytes),
    ("octets-text", v2c.OctetString(b"Black Toner"), b"Black Toner", bytes),
    ("octets-binary", v2c.OctetString(BIN[:32]), BIN[:32], bytes),
    ("octets-200", v2c.OctetString(b"x" * 200), b"x" * 200, bytes),
    ("octets-256-binary", v2c.OctetString(BIN), BIN, bytes),
    ("octets-3000", v2c.OctetString(b"\x00\xff" * 1500), b"\x00\xff" * 1500, bytes),
    ("null", v2c.Null(""), None, type(None)),
    ("oid", v2c.ObjectIdentifier((1, 3, 6, 1, 2, 1, 25, 3, 1, 5)), (1, 3, 6, 1, 2, 1, 25, 3, 1, 5), ber.ObjectId),
    ("oid-big-arcs", v2c.ObjectIdentifier(HP_OID + (2**32 - 1,)), HP_OID + (2**32 - 1,), ber.ObjectId),
    ("oid-first-arc-2", v2c.ObjectIdentifier((2, 999, 1)), (2, 999, 1), ber.ObjectId),
    ("oid-2-0", v2c.ObjectIdentifier((2, 0)), (2, 0), ber.ObjectId),
    ("oid-1-39", v2c.ObjectIdentifier((1, 39, 5)), (1, 39, 5), ber.ObjectId),
    ("oid-0-0", v2c.ObjectIdentifier((0, 0)), (0, 0), ber.ObjectId),
    ("ipaddress", v2c.IpAddress("192.168.1.254"), "192.168.1.254", ber.IpAddress),
    ("ipaddress-zero", v2c.IpAddress("0.0.0.0"), "0.0.0.0", ber.IpAddress),
    ("counter32-max", v2c.Counter32(2**32 - 1), 2**32 - 1, int),
    ("counter32-near-max", v2c.Counter32(2**32 - 2), 2**32 - 2, int),
    ("counter32-high-bit", v2c.Counter32(2**31), 2**31, int),
    ("gauge32-max", v2c.Gauge32(2**32 - 1), 2**32 - 1, int),
    ("gauge32", v2c.Gauge32(100), 100, int),
    ("timeticks", v2c.TimeTicks(123456789), 123456789, int),
    ("timeticks-max", v2c.TimeTicks(2**32 - 1), 2**32 - 1, int),
    ("counter64-max", v2c.Counter64(2**64 - 1), 2**64 - 1, ber.Counter64),
    ("counter64-near-max", v2c.Counter64(2**64 - 2), 2**64 - 2, ber.Counter64),
    ("counter64-small", v2c.Counter64(5), 5, ber.Counter64),
    ("opaque", v2c.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"), b"\x9f\x78\x04\x3f\x80\x00\x00", bytes),
]


@pytest.mark.parametrize("name,value,expected,expected_type", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_response_value_types(name, value, expected, expected_type):
    oid = SUPPLY_LEVEL + (1, 1)
    resp = ber.decode_message(ref_response([(oid, value)]))
    assert len(resp.varbinds) == 1
    got_oid, got = resp.varbinds[0]
    assert got_oid == oid
    assert type(got) is expected_type
    assert got == expected


@pytest.mark.parametrize("value,sentinel", [
    (v2c.NoSuchObject(""), ber.NO_SUCH_OBJECT),
    (v2c.NoSuchInstance(""), ber.NO_SUCH_INSTANCE),
    (v2c.EndOfMibView(""), ber.END_OF_MIB_VIEW),
])
def test_response_exception_values(value, sentinel):
    resp = ber.decode_message(ref_response([(SYS_DESCR + (0,), value), (SUPPLY_LEVEL, v2c.Integer32(7))]))
    assert resp.varbinds[0][0] == SYS_DESCR + (0,)
    assert resp.varbinds[0][1] is sentinel
    assert not resp.varbinds[0][1]  # sentinels are falsy
    assert resp.varbinds[1] == (SUPPLY_LEVEL, 7)


def test_response_header_fields():
    data = ref_response([(SYS_DESCR + (0,), v2c.OctetString(b"x"))], community=b"community-\xff",
                        request_id=-(2**31), error_status=5, error_index=1)
    resp = ber.decode_message(data)
    assert resp.version == ber.V2C
    assert resp.community == b"community-\xff"
    assert resp.pdu_tag == ber.RESPONSE
    assert resp.request_id == -(2**31)
    assert resp.error_status == 5
    assert resp.error_index == 1
    assert ber.ERROR_STATUS_NAMES[resp.error_status] == "genErr"


def test_response_v1():
    data = ref_response(
        [(SYS_DESCR + (0,), v1.OctetString(b"HP LaserJet")), ((1, 3, 6, 1, 2, 1, 1, 3, 0), v1.TimeTicks(4294967295)),
         ((1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1), v1.Counter(4294967295)),
         ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1), v1.IpAddress("10.0.0.1"))],
        version=ber.V1, request_id=99, error_status=2, error_index=1,
    )
    resp = ber.decode_message(data)
    assert (resp.version, resp.request_id, resp.error_status, resp.error_index) == (ber.V1, 99, 2, 1)
    assert [v for _, v in resp.varbinds] == [b"HP LaserJet", 4294967295, 4294967295, "10.0.0.1"]


def test_response_many_varbinds_in_order():
    varbinds = [(SUPPLY_LEVEL + (1, i), v2c.Integer32(i - 3)) for i in range(1, 301)]
    resp = ber.decode_message(ref_response(varbinds))
    assert resp.varbinds == [(SUPPLY_LEVEL + (1, i), i - 3) for i in range(1, 301)]


def test_long_form_lengths_in_varbind_and_name():
    # a 300-arc name needs a long-form OID length; a 260-byte value a long-form value length
    long_name = (1, 3) + tuple(range(300))
    resp = ber.decode_message(ref_response([(long_name, v2c.OctetString(b"a" * 260))]))
    assert resp.varbinds == [(long_name, b"a" * 260)]


def test_integer_longer_than_32_bits_hand_encoded():
    # INTEGER 2**40 (6 bytes) and -2**40, as some broken agents send: decoded, not truncated
    def msg(value_tlv: bytes) -> bytes:
        vb = b"\x30" + bytes([len(ber.encode_oid(SUPPLY_LEVEL)) + len(value_tlv)]) + ber.encode_oid(SUPPLY_LEVEL) + value_tlv
        vbl = b"\x30" + bytes([len(vb)]) + vb
        pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + vbl
        pdu = b"\xa2" + bytes([len(pdu_body)]) + pdu_body
        body = b"\x02\x01\x01\x04\x01p" + pdu
        return b"\x30" + bytes([len(body)]) + body

    assert ber.decode_message(msg(b"\x02\x06\x01\x00\x00\x00\x00\x00")).varbinds[0][1] == 2**40
    assert ber.decode_message(msg(b"\x02\x06\xff\x00\x00\x00\x00\x00")).varbinds[0][1] == -(2**40)
    assert ber.decode_message(msg(b"\x02\x00")).varbinds[0][1] == 0  # empty INTEGER: tolerated as 0


# --- hypothesis: pyasn1 encode → our decode ----------------------------------------------------

def _value_strategy():
    return st.one_of(
        st.integers(-(2**31), 2**31 - 1).map(lambda i: (v2c.Integer32(i), i)),
        st.binary(max_size=400).map(lambda b: (v2c.OctetString(b), b)),
        st.just((v2c.Null(""), None)),
        oid_strategy.map(lambda o: (v2c.ObjectIdentifier(o), o)),
        st.tuples(*[st.integers(0, 255)] * 4).map(
            lambda t: (v2c.IpAddress(".".join(map(str, t))), ".".join(map(str, t)))),
        st.integers(0, 2**32 - 1).map(lambda i: (v2c.Counter32(i), i)),
        st.integers(0, 2**32 - 1).map(lambda i: (v2c.Gauge32(i), i)),
        st.integers(0, 2**32 - 1).map(lambda i: (v2c.TimeTicks(i), i)),
        st.integers(0, 2**64 - 1).map(lambda i: (v2c.Counter64(i), i)),
        st.sampled_from([
            (v2c.NoSuchObject(""), ber.NO_SUCH_OBJECT),
            (v2c.NoSuchInstance(""), ber.NO_SUCH_INSTANCE),
            (v2c.EndOfMibView(""), ber.END_OF_MIB_VIEW),
        ]),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(oid_strategy, _value_strategy()), max_size=12),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(0, 18),
    st.binary(max_size=40),
)
def test_response_roundtrip_property(pairs, request_id, error_status, community):
    data = ref_response([(oid, value) for oid, (value, _) in pairs], request_id=request_id,
                        error_status=error_status, error_index=0, community=community)
    resp = ber.decode_message(data)
    assert resp.request_id == request_id
    assert resp.error_status == error_status
    assert resp.community == community
    assert resp.pdu_tag == ber.RESPONSE
    assert len(resp.varbinds) == len(pairs)
    for (name, got), (oid, (_, expected)) in zip(resp.varbinds, pairs, strict=False):
        assert name == oid
        if expected in ber.SNMP_EXCEPTIONS:
            assert got is expected
        else:
            assert got == expected
            if isinstance(expected, tuple):
                assert isinstance(got, ber.ObjectId)


# --- garbage ----------------------------------------------------------------------------------

VALID = ref_response([
    (SYS_DESCR + (0,), v2c.OctetString(b"HP ETHERNET MULTI-ENVIRONMENT")),
    (SUPPLY_LEVEL + (1, 1), v2c.Integer32(-3)),
    ((1, 3, 6, 1, 2, 1, 1, 2, 0), v2c.ObjectIdentifier((1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1))),
    ((1, 3, 6, 1, 2, 1, 1, 3, 0), v2c.TimeTicks(2**32 - 1)),
    ((1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1), v2c.Counter64(2**64 - 1)),
    (SUPPLY_LEVEL + (1, 2), v2c.EndOfMibView("")),
    ((1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6, 1, 1), v2c.OctetString(b"x" * 300)),
])


def test_valid_message_decodes():
    resp = ber.decode_message(VALID)
    assert len(resp.varbinds) == 7
    assert resp.varbinds[1] == (SUPPLY_LEVEL + (1, 1), -3)
    assert resp.varbinds[6][1] == b"x" * 300


@pytest.mark.parametrize("data", [
    b"",
    b"\x30",
    b"\x30\x00",
    b"\x04\x03abc",  # not a SEQUENCE
    b"\x30\x80\x02\x01\x01",  # indefinite length
    b"\x30\x85\x00\x00\x00\x00\x05",  # 5 length octets
    b"\x30\x03\x02\x01\x01",  # stops after the version
    b"\x30\x0a\x02\x01\x01\x04\x01p\x30\x00\x00\x00",  # PDU tag 0x30 is not an SNMP PDU
    b"\xff" * 50,
])
def test_garbage_raises_ber_error(data):
    with pytest.raises(ber.BerError):
        ber.decode_message(data)


def _replace_value(tag_and_body: bytes) -> bytes:
    """VALID's first var-bind value replaced (same total length is not needed: rebuilt by hand)."""
    oid = ber.encode_oid(SYS_DESCR + (0,))
    vb = b"\x30" + bytes([len(oid) + len(tag_and_body)]) + oid + tag_and_body
    vbl = b"\x30" + bytes([len(vb)]) + vb
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + vbl
    pdu = b"\xa2" + bytes([len(pdu_body)]) + pdu_body
    body = b"\x02\x01\x01\x04\x01p" + pdu
    return b"\x30" + bytes([len(body)]) + body


@pytest.mark.parametrize("value", [
    b"\x47\x01\x00",  # unknown application tag
    b"\x04\x10abc",  # value longer than the var-bind list
])
def test_bad_values_raise_ber_error(value):
    with pytest.raises(ber.BerError):
        ber.decode_message(_replace_value(value))


def test_bad_oid_raises_ber_error():
    # a var-bind whose name is an empty OID, and one whose last OID byte has the continuation bit
    for name in (b"\x06\x00", b"\x06\x02\x2b\x86"):
        vb = b"\x30" + bytes([len(name) + 2]) + name + b"\x05\x00"
        vbl = b"\x30" + bytes([len(vb)]) + vb
        pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + vbl
        pdu = b"\xa2" + bytes([len(pdu_body)]) + pdu_body
        body = b"\x02\x01\x01\x04\x01p" + pdu
        with pytest.raises(ber.BerError):
            ber.decode_message(b"\x30" + bytes([len(body)]) + body)


def test_every_truncation_of_a_valid_message_raises_ber_error():
    for cut in range(len(VALID)):
        with pytest.raises(ber.BerError):
            ber.decode_message(VALID[:cut])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_ber_error(data):
    try:
        resp = ber.decode_message(data)
    except ber.BerError:
        return
    assert isinstance(resp, ber.Response)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_valid_messages_only_raise_ber_error(data):
    raw = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        ber.decode_message(bytes(raw[:cut]))
    except ber.BerError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(oid_strategy, _value_strategy()), min_size=1, max_size=6), st.data())
def test_truncated_random_messages_raise_ber_error(pairs, data):
    raw = ref_response([(oid, value) for oid, (value, _) in pairs])
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(ber.BerError):
        ber.decode_message(raw[:cut])


def test_ber_error_is_a_value_error():
    assert issubclass(ber.BerError, ValueError)


def test_objectid_str_and_sentinel_repr():
    assert str(ber.ObjectId((1, 3, 6, 1))) == "1.3.6.1"
    assert ber.ObjectId((1, 3)) == (1, 3)
    assert repr(ber.NO_SUCH_OBJECT) == "noSuchObject"
    assert repr(ber.NO_SUCH_INSTANCE) == "noSuchInstance"
    assert repr(ber.END_OF_MIB_VIEW) == "endOfMibView"


def test_pysnmp_type_aliases_are_the_rfc_types():
    # guards the reference itself: the v2c API types are the RFC 1902/1905 ones
    assert v2c.Counter64 is rfc1902.Counter64
    assert v2c.NoSuchObject is rfc1905.NoSuchObject
