"""Printer addresses: canonical forms and clear refusals."""

import pytest

from tonertrack_tui.core.address import Address, AddressError, parse_address


@pytest.mark.parametrize(
    "text, host, port, canonical",
    [
        ("10.1.2.3", "10.1.2.3", 161, "10.1.2.3"),
        (" 10.1.2.3 ", "10.1.2.3", 161, "10.1.2.3"),
        ("10.1.2.3:161", "10.1.2.3", 161, "10.1.2.3"),
        ("10.1.2.3:1161", "10.1.2.3", 1161, "10.1.2.3:1161"),
        ("Printer-3.Example.ORG", "printer-3.example.org", 161, "printer-3.example.org"),
        ("printer.example.org.", "printer.example.org", 161, "printer.example.org"),
        ("prn:65535", "prn", 65535, "prn:65535"),
        ("::1", "::1", 161, "[::1]"),
        ("[::1]:1161", "::1", 1161, "[::1]:1161"),
        ("[::1]", "::1", 161, "[::1]"),
        ("[2001:DB8:0:0::1]:162", "2001:db8::1", 162, "[2001:db8::1]:162"),
        ("0.0.0.1", "0.0.0.1", 161, "0.0.0.1"),
    ],
)
def test_valid_addresses(text, host, port, canonical):
    a = parse_address(text)
    assert (a.host, a.port) == (host, port)
    assert str(a) == canonical
    assert parse_address(canonical) == a  # canonical form is a fixed point


def test_default_port_applies_only_without_a_port():
    assert str(parse_address("10.1.2.3", default_port=1161)) == "10.1.2.3:1161"
    assert str(parse_address("10.1.2.3:162", default_port=1161)) == "10.1.2.3:162"
    assert parse_address("10.1.2.3", default_port=1161) == Address("10.1.2.3", 1161)


@pytest.mark.parametrize(
    "text, message",
    [
        ("10.0.0.300", "'10.0.0.300' is not a valid IP address or host name"),
        ("host:70000", "port 70000 out of range 1–65535"),
        ("host:0", "port 0 out of range 1–65535"),
        ("host:abc", "'abc' is not a valid port"),
        ("010.1.1.1", "ambiguous"),
        ("10.01.1.1", "ambiguous"),
        ("", "address must not be empty"),
        ("   ", "address must not be empty"),
        ("-printer", "not a valid IP address or host name"),
        ("printer-", "not a valid IP address or host name"),
        ("under_score", "not a valid IP address or host name"),
        ("a..b", "not a valid IP address or host name"),
        ("a" * 64 + ".com", "not a valid IP address or host name"),
        ("1.2.3", "not a valid IP address or host name"),
        ("host name", "not a valid IP address or host name"),
        ("http://10.1.2.3/", "not a valid IP address or host name"),
        ("[::1", "missing ']'"),
        ("[::1]x", "expected ':port'"),
        ("[10.1.2.3]:161", "only for IPv6"),
        ("[::1]:99999", "port 99999 out of range"),
        ("gg::1", "not a valid IPv6 address"),
        ("evil\x1b[2J", "not a valid IP address or host name"),
    ],
)
def test_invalid_addresses(text, message):
    with pytest.raises(AddressError) as info:
        parse_address(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_address_is_frozen_and_hashable():
    a = parse_address("10.1.2.3")
    with pytest.raises(AttributeError):
        a.port = 1  # type: ignore[misc]
    assert {a, parse_address("10.1.2.3:161")} == {a}
