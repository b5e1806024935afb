"""IPP over HTTP/1.1 (RFC 8010 section 4): one POST per poll, bounded in time and size.

The request is small and fixed; the reply is read up to MAX_REPLY_BYTES (Content-Length or
chunked), within one deadline for connect + send + read. `ipps://` uses TLS. Printers'
certificates are self-signed as a rule, so they are not checked against a CA: the
certificate's SHA-256 fingerprint is pinned on first use (the caller stores it with the
printer) and a different one is refused afterwards, loudly (IppCertificateChanged), never
accepted silently.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import ssl
from dataclasses import dataclass

from ..address import AddressError, parse_address
from ..util.textsafe import safe_text

MAX_REPLY_BYTES = 1 << 20  # a printer's attributes are ~10-40 KB
MAX_HEADER_BYTES = 16 << 10


class IppTransportError(Exception):
    """No usable HTTP reply (refused, reset, not HTTP, too large, an HTTP error status)."""


class IppTimeout(IppTransportError):
    """Nothing complete within the timeout."""


class IppCertificateChanged(IppTransportError):
    def __init__(self, pinned: str, seen: str) -> None:
        super().__init__(f"the printer's TLS certificate changed (pinned SHA-256 {pinned[:16]}…, now "
                         f"{seen[:16]}…): if it was replaced on purpose, clear the pin in the printer's settings")
        self.pinned = pinned
        self.seen = seen


@dataclass(frozen=True, slots=True)
class IppUri:
    scheme: str  # ipp | ipps
    host: str
    port: int
    path: str

    @property
    def tls(self) -> bool:
        return self.scheme == "ipps"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def parse_ipp_uri(text: str) -> IppUri:
    """'ipp://host[:port]/path' → IppUri (core/address.py's rules); ValueError if it is not one."""
    address = parse_address(text)
    if not address.is_ipp:
        raise AddressError(f"{text!r} is not an ipp:// or ipps:// address")
    return IppUri(address.scheme, address.host, address.port, address.path)


@dataclass(slots=True)
class HttpReply:
    body: bytes
    fingerprint: str | None  # SHA-256 of the server certificate (ipps), hex


async def post(uri: IppUri, body: bytes, *, timeout: float, pinned: str | None = None) -> HttpReply:
    """POST `body` as application/ipp; the reply body. Everything within `timeout` seconds."""
    try:
        return await asyncio.wait_for(_post(uri, body, pinned), timeout)
    except TimeoutError:
        raise IppTimeout(f"no complete reply within {timeout:g} s") from None


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the pin below is the check (printers' certificates are self-signed)
    return context


async def _post(uri: IppUri, body: bytes, pinned: str | None) -> HttpReply:
    try:
        reader, writer = await asyncio.open_connection(uri.host, uri.port, ssl=_tls_context() if uri.tls else None,
                                                       limit=MAX_HEADER_BYTES)
    except OSError as exc:
        raise IppTransportError(f"cannot connect: {exc.strerror or exc}") from None
    try:
        fingerprint = None
        if uri.tls:
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            if not der:
                raise IppTransportError("the TLS server sent no certificate")
            fingerprint = hashlib.sha256(der).hexdigest()
            if pinned and fingerprint != pinned:
                raise IppCertificateChanged(pinned, fingerprint)
        host = f"[{uri.host}]" if ":" in uri.host else uri.host
        head = (f"POST {uri.path} HTTP/1.1\r\nHost: {host}:{uri.port}\r\nContent-Type: application/ipp\r\n"
                f"Content-Length: {len(body)}\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
                f"User-Agent: tonertrack\r\n\r\n")
        writer.write(head.encode("ascii") + body)
        await writer.drain()
        return HttpReply(await _read_reply(reader), fingerprint)
    except (ConnectionError, ssl.SSLError) as exc:
        raise IppTransportError(f"connection failed: {exc}") from None
    finally:
        writer.close()


MAX_INTERIM_REPLIES = 8  # "100 Continue" and other 1xx before the real reply


async def _read_reply(reader: asyncio.StreamReader) -> bytes:
    for _ in range(MAX_INTERIM_REPLIES + 1):
        code, reason, headers = await _read_head(reader)
        if not 100 <= code < 200:
            return await _read_body(reader, code, reason, headers)
    raise IppTransportError("too many interim (1xx) HTTP replies")


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, str, dict[str, str]]:
    try:
        status_line = await reader.readuntil(b"\r\n")
        headers: dict[str, str] = {}
        for lines in itertools.count(1):
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            if lines > 100:  # lines, not names: the same header a million times is as many
                raise IppTransportError("too many HTTP headers")
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
    except asyncio.LimitOverrunError:
        raise IppTransportError("an HTTP header line is too long") from None
    except asyncio.IncompleteReadError:
        raise IppTransportError("the connection closed before a complete HTTP reply") from None
    parts = status_line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise IppTransportError("not an HTTP reply")
    return int(parts[1]), safe_text(parts[2] if len(parts) > 2 else "", limit=60), headers


async def _read_body(reader: asyncio.StreamReader, code: int, reason: str, headers: dict[str, str]) -> bytes:
    if code != 200:
        raise IppTransportError(f"HTTP {code} {reason}".rstrip())
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    if "content-length" in headers:
        length_text = headers["content-length"]
        if not length_text.isdigit():
            raise IppTransportError("bad Content-Length")
        length = int(length_text)
        if length > MAX_REPLY_BYTES:
            raise IppTransportError(f"reply of {length} bytes is larger than {MAX_REPLY_BYTES >> 10} KB")
        try:
            return await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise IppTransportError("the reply ended early") from None
    data = await reader.read(MAX_REPLY_BYTES + 1)  # until the server closes
    while len(data) <= MAX_REPLY_BYTES:
        more = await reader.read(MAX_REPLY_BYTES + 1 - len(data))
        if not more:
            return data
        data += more
    raise IppTransportError(f"reply larger than {MAX_REPLY_BYTES >> 10} KB")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    try:
        while True:
            size_line = (await reader.readuntil(b"\r\n")).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise IppTransportError("bad chunk size") from None
            if size == 0:
                return bytes(body)
            if len(body) + size > MAX_REPLY_BYTES:
                raise IppTransportError(f"reply larger than {MAX_REPLY_BYTES >> 10} KB")
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    except asyncio.LimitOverrunError:
        raise IppTransportError("bad chunk header") from None
    except asyncio.IncompleteReadError:
        raise IppTransportError("the reply ended early") from None
