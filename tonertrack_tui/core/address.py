"""Printer addresses: an IPv4/IPv6 literal or an RFC 1123 host name, with a UDP port.

`str(Address)` is the canonical form used as the printer's address everywhere
(inventory key, JSON output, `poll` targets): "10.1.2.3", "printer-3.example.org",
"10.1.2.3:1161", "[::1]" and "[::1]:1161". Host names are lower-cased and lose a
trailing dot; IPv6 is written compressed and always in brackets.

An IPP printer's address is its URI (issue 17): "ipp://host[:port]/path" or "ipps://…",
port 631 and path /ipp/print by default, written without the default port:
"ipp://10.1.2.3/ipp/print", "ipps://printer.example.org:8631/ipp/print".
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

DEFAULT_PORT = 161
IPP_PORT = 631
IPP_PATH = "/ipp/print"
IPP_SCHEMES = ("ipp", "ipps")

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DOTTED_NUMBERS = re.compile(r"^[0-9.]+$")


class AddressError(ValueError):
    """An address a person typed that cannot be a printer's (the message says why)."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int = DEFAULT_PORT
    scheme: str = ""  # "" (SNMP over UDP), or ipp / ipps
    path: str = ""  # the IPP resource path

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.host

    @property
    def is_ipp(self) -> bool:
        return self.scheme in IPP_SCHEMES

    def __str__(self) -> str:
        host = f"[{self.host}]" if self.is_ipv6 else self.host
        if self.is_ipp:
            return f"{self.scheme}://{host}{'' if self.port == IPP_PORT else f':{self.port}'}{self.path}"
        return host if self.port == DEFAULT_PORT else f"{host}:{self.port}"


def ipp_uri_for(address: str) -> str:
    """The IPP URI of a printer known by its SNMP address (protocol ipp or auto): its host, port 631."""
    parsed = parse_address(address)
    if parsed.is_ipp:
        return str(parsed)
    return str(Address(parsed.host, IPP_PORT, "ipp", IPP_PATH))


def _parse_ipp_uri(original: str) -> Address:
    scheme, _, rest = original.partition("://")
    scheme = scheme.lower()
    authority, slash, path = rest.partition("/")
    path = slash + path if slash else IPP_PATH
    if any(c in authority for c in "@?#") or any(c in path for c in "?#"):
        raise AddressError(f"{original!r}: expected {scheme}://host[:port]/path")
    if not all(c.isalnum() or c in "-._~/%" for c in path):
        raise AddressError(f"{original!r}: unexpected characters in the path")
    host, port = authority, IPP_PORT
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise AddressError(f"{original!r}: missing ']' after the IPv6 address")
        host, tail = authority[1:end], authority[end + 1:]
        if tail:
            if not tail.startswith(":"):
                raise AddressError(f"{original!r}: expected ':port' after ']'")
            port = _parse_port(tail[1:])
        if ":" not in host:
            raise AddressError(f"{original!r}: brackets are only for IPv6 addresses")
    elif ":" in authority:
        host, port_text = authority.rsplit(":", 1)
        port = _parse_port(port_text)
    return Address(_parse_host(host, original), port, scheme, path)


def _parse_port(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise AddressError(f"{text!r} is not a valid port (a number 1–65535)")
    port = int(text)
    if not 1 <= port <= 65535:
        raise AddressError(f"port {port} out of range 1–65535")
    return port


def _parse_host(host: str, original: str) -> str:
    if not host:
        raise AddressError(f"{original!r} has no host")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise AddressError(f"{original!r} is not a valid IPv6 address") from None
    if _DOTTED_NUMBERS.match(host):
        # 010.1.1.1 is octal to inet_aton but decimal to people: refuse rather than guess.
        if any(len(p) > 1 and p.startswith("0") for p in host.split(".")):
            raise AddressError(f"{original!r} is ambiguous: leading zeros in an IP address")
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise AddressError(f"{original!r} is not a valid IP address or host name") from None
    name = host.lower().removesuffix(".")
    labels = name.split(".")
    if (
        len(name) > 253
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()  # 10.0.0.300-like: a broken IP, not a name
    ):
        raise AddressError(f"{original!r} is not a valid IP address or host name")
    return name


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> Address:
    """Parse "host", "host:port", "[v6]:port" or a bare IPv6 literal into its canonical Address."""
    if not isinstance(text, str):
        raise AddressError(f"{text!r} is not an address")
    original = text.strip()
    if not original:
        raise AddressError("address must not be empty")
    if original.lower().startswith(("ipp://", "ipps://")):
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in original):
            raise AddressError(f"{original!r} is not a valid IPP address")
        return _parse_ipp_uri(original)
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c in "/@?#" for c in original):
        raise AddressError(f"{original!r} is not a valid IP address or host name")
    host, port = original, default_port
    if original.startswith("["):
        end = original.find("]")
        if end < 0:
            raise AddressError(f"{original!r}: missing ']' after the IPv6 address")
        host, rest = original[1:end], original[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise AddressError(f"{original!r}: expected ':port' after ']'")
            port = _parse_port(rest[1:])
        if ":" not in host:
            raise AddressError(f"{original!r}: brackets are only for IPv6 addresses")
    elif original.count(":") == 1:
        host, port_text = original.split(":")
        port = _parse_port(port_text)
    if not 1 <= port <= 65535:
        raise AddressError(f"port {port} out of range 1–65535")
    return Address(_parse_host(host, original), port)

