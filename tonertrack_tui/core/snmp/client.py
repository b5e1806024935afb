"""The SNMP client: one per process, shared by every poll.

Two transports behind one `request()`:

* SNMPv1/v2c: our own asyncio UDP endpoint and BER codec (core/ber.py). One socket
  for all targets, request-ids demultiplexed, retries on `call_later` timers. This is
  the hot path of a 1,000-printer fleet: pysnmp's pyasn1 message layer costs ~10x the
  CPU (see core/ber.py), and the design's CPU targets are not reachable through it.
* SNMPv3: pysnmp 7's v3arch asyncio engine (`pysnmp.hlapi.v3arch.asyncio`), one
  `SnmpEngine` per process, because USM (keys, HMACs, AES/DES, engine discovery) is
  exactly what a well-kept library should do for us.

Both return plain Python values (see core/ber.py for the representation).
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import time
from dataclasses import dataclass
from typing import Any

from . import ber
from .credentials import SnmpSettings

Varbind = tuple[tuple[int, ...], Any]


class SnmpError(Exception):
    """A request that got no usable answer; `str()` is a reason a person understands."""


class SnmpTimeout(SnmpError):
    pass


class SnmpResolveError(SnmpError):
    pass


@dataclass(slots=True)
class Reply:
    error_status: int
    error_index: int
    varbinds: list[Varbind]
    tries: int = 1  # sends it took: > 1 when the answer came only after a retry

    @property
    def error_name(self) -> str:
        return ber.ERROR_STATUS_NAMES.get(self.error_status, f"error {self.error_status}")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved target: where to send, and with which settings."""

    host: str  # as the user wrote it
    ip: str
    port: int
    settings: SnmpSettings

    @property
    def family(self) -> int:
        return socket.AF_INET6 if ":" in self.ip else socket.AF_INET


class _Pending:
    __slots__ = ("future", "addr", "data", "tries_left", "timeout", "timer")

    def __init__(self, future: asyncio.Future[ber.Response], addr: tuple[str, int], data: bytes,
                 tries_left: int, timeout: float) -> None:
        self.future = future
        self.addr = addr
        self.data = data
        self.tries_left = tries_left
        self.timeout = timeout
        self.timer: asyncio.TimerHandle | None = None


class _CommunityProtocol(asyncio.DatagramProtocol):
    def __init__(self, client: SnmpClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.client._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP errors: ignored, the timeout decides
        pass


_RESOLVE_TTL_S = 300.0


class SnmpClient:
    """Create one, `await client.request(...)` from any task, `close()` at exit."""

    def __init__(self) -> None:
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._opening: dict[int, asyncio.Future[asyncio.DatagramTransport]] = {}
        self.sockets_opened = 0  # community sockets opened over the client's life
        self._pending: dict[int, _Pending] = {}
        self._next_id = random.randrange(1, 1 << 30)
        self._resolved: dict[str, tuple[float, str]] = {}
        self._v3: _V3Engine | None = None

    # -- name resolution ------------------------------------------------------------------

    async def resolve(self, host: str, port: int, settings: SnmpSettings) -> Endpoint:
        ip = self._literal_ip(host)
        if ip is None:
            now = time.monotonic()
            cached = self._resolved.get(host)
            if cached and cached[0] > now:
                ip = cached[1]
            else:
                loop = asyncio.get_running_loop()
                try:
                    infos = await asyncio.wait_for(
                        loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM), timeout=max(2.0, settings.timeout)
                    )
                except (TimeoutError, OSError, UnicodeError) as exc:
                    reason = getattr(exc, "strerror", None) or "no answer from DNS"
                    raise SnmpResolveError(f"cannot resolve host name {host!r}: {reason}") from None
                if not infos:
                    raise SnmpResolveError(f"cannot resolve host name {host!r}")
                ip = str(infos[0][4][0])  # the address of an AF_INET/AF_INET6 sockaddr is a str
                self._resolved[host] = (now + _RESOLVE_TTL_S, ip)
        return Endpoint(host, ip, port, settings)

    @staticmethod
    def _literal_ip(host: str) -> str | None:
        try:
            return str(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            return None

    # -- requests ---------------------------------------------------------------------------

    async def request(self, endpoint: Endpoint, pdu: int, oids: list[tuple[int, ...]],
                      non_repeaters: int = 0, max_repetitions: int = 0,
                      encoded_oids: bytes | None = None) -> Reply:
        """Send one GET / GETNEXT / GETBULK (ber.GET, ber.GETNEXT, ber.GETBULK) and wait.

        Raises SnmpTimeout after timeout × (retries + 1), SnmpError for other failures.
        `encoded_oids` lets callers reuse an encoded var-bind list between polls.
        """
        settings = endpoint.settings
        if settings.version == "3":
            if self._v3 is None:
                self._v3 = _V3Engine()
            return await self._v3.request(endpoint, pdu, oids, non_repeaters, max_repetitions)
        version = ber.V1 if settings.version == "1" else ber.V2C
        if version == ber.V1 and pdu == ber.GETBULK:
            raise SnmpError("GETBULK is not part of SNMPv1")
        if encoded_oids is None:
            encoded_oids = ber.encode_varbinds_null(oids)
        return await self._community_request(endpoint, version, pdu, encoded_oids, non_repeaters, max_repetitions)

    async def _transport(self, family: int) -> asyncio.DatagramTransport:
        """The one socket of an address family, opened by the first request that needs it.

        Requests that start together (a fleet poll's first wave) all wait for the same
        opening: one socket per family, never one each (issue 14: 16 opened, 15 leaked)."""
        transport = self._transports.get(family)
        if transport is not None and not transport.is_closing():
            return transport
        opening = self._opening.get(family)
        if opening is None:
            opening = asyncio.ensure_future(self._open_transport(family))
            self._opening[family] = opening

            def forget(_: object, family: int = family) -> None:
                self._opening.pop(family, None)

            opening.add_done_callback(forget)
        return await asyncio.shield(opening)

    async def _open_transport(self, family: int) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            try:  # a fleet's worth of replies may arrive at once
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            except OSError:
                pass
            sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))
            transport, _ = await loop.create_datagram_endpoint(lambda: _CommunityProtocol(self), sock=sock)
        except BaseException:
            sock.close()
            raise
        self._transports[family] = transport
        self.sockets_opened += 1
        return transport

    def _new_request_id(self) -> int:
        rid = self._next_id
        self._next_id = rid + 1 if rid < (1 << 31) - 2 else 1
        return rid

    async def _community_request(self, endpoint: Endpoint, version: int, pdu: int, encoded_oids: bytes,
                                 non_repeaters: int, max_repetitions: int) -> Reply:
        transport = await self._transport(endpoint.family)
        loop = asyncio.get_running_loop()
        rid = self._new_request_id()
        data = ber.encode_request(version, endpoint.settings.community.encode("utf-8", "surrogateescape"),
                                  pdu, rid, encoded_oids, non_repeaters, max_repetitions)
        addr = (endpoint.ip, endpoint.port)
        pending = _Pending(loop.create_future(), addr, data, endpoint.settings.retries, endpoint.settings.timeout)
        self._pending[rid] = pending
        self._send(transport, rid, pending)
        try:
            response: ber.Response = await pending.future
        finally:
            if pending.timer is not None:
                pending.timer.cancel()
            self._pending.pop(rid, None)
        if response.pdu_tag != ber.RESPONSE:
            raise SnmpError(f"unexpected PDU type 0x{response.pdu_tag:02x} in reply")
        return Reply(response.error_status, response.error_index, response.varbinds,
                     endpoint.settings.retries - pending.tries_left + 1)

    def _send(self, transport: asyncio.DatagramTransport, rid: int, pending: _Pending) -> None:
        try:
            transport.sendto(pending.data, pending.addr)
        except OSError as exc:  # e.g. network unreachable: fail now, not after the timeout
            if not pending.future.done():
                pending.future.set_exception(SnmpError(f"cannot send: {exc.strerror or exc}"))
            return
        pending.timer = asyncio.get_running_loop().call_later(pending.timeout, self._expire, transport, rid)

    def _expire(self, transport: asyncio.DatagramTransport, rid: int) -> None:
        pending = self._pending.get(rid)
        if pending is None or pending.future.done():
            return
        if pending.tries_left > 0:
            pending.tries_left -= 1
            self._send(transport, rid, pending)
            return
        pending.future.set_exception(SnmpTimeout("no reply (timeout)"))

    def _on_datagram(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            response = ber.decode_message(data)
        except ber.BerError:
            return  # not ours or garbage: a later retry or the timeout decides
        pending = self._pending.get(response.request_id)
        if pending is None or pending.future.done():
            return
        if addr[0] != pending.addr[0] or addr[1] != pending.addr[1]:
            return  # a reply from elsewhere with a guessed request-id
        pending.future.set_result(response)

    def close(self) -> None:
        for pending in self._pending.values():
            if pending.timer is not None:
                pending.timer.cancel()
            if not pending.future.done():
                pending.future.set_exception(SnmpError("client closed"))
        self._pending.clear()
        for opening in list(self._opening.values()):
            opening.cancel()
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
        if self._v3 is not None:
            self._v3.close()
            self._v3 = None


# --- SNMPv3 through pysnmp ---------------------------------------------------------------------

class _NoMibCompiler:
    """Stops pysnmp from building a pysmi MIB compiler (0.15–0.35 s CPU) or fetching MIBs:
    we only use numeric OIDs, so there is never anything to compile."""

    def compile(self, *names: object, **kwargs: object) -> dict[str, object]:
        return {}


class _V3Engine:
    """pysnmp's v3arch engine: one SnmpEngine for the process, a target object per endpoint."""

    def __init__(self) -> None:
        from pysnmp.hlapi.v3arch import asyncio as hl
        from pysnmp.smi import builder, view

        self.hl = hl
        self.engine = hl.SnmpEngine()
        mib_builder = builder.MibBuilder()
        mib_builder.set_mib_compiler(_NoMibCompiler(), mib_builder.get_mib_sources()[0].full_path())
        self.engine.cache["mibViewController"] = view.MibViewController(mib_builder)
        # pysnmp is untyped (Any): its UsmUserData / transport targets, keyed by what builds them
        self._targets: dict[tuple[str, int, float, int], Any] = {}
        self._auth: dict[tuple[str, str, str, str, str], Any] = {}
        self._context = hl.ContextData()

    def _auth_data(self, s: SnmpSettings) -> Any:
        key = (s.v3_user, s.v3_auth_proto, s.v3_auth_key, s.v3_priv_proto, s.v3_priv_key)
        auth = self._auth.get(key)
        if auth is None:
            hl = self.hl
            auth_protos = {
                "none": hl.usmNoAuthProtocol, "MD5": hl.usmHMACMD5AuthProtocol, "SHA": hl.usmHMACSHAAuthProtocol,
                "SHA224": hl.usmHMAC128SHA224AuthProtocol, "SHA256": hl.usmHMAC192SHA256AuthProtocol,
                "SHA384": hl.usmHMAC256SHA384AuthProtocol, "SHA512": hl.usmHMAC384SHA512AuthProtocol,
            }
            priv_protos = {
                "none": hl.usmNoPrivProtocol, "DES": hl.usmDESPrivProtocol, "AES": hl.usmAesCfb128Protocol,
                "AES192": hl.usmAesBlumenthalCfb192Protocol, "AES256": hl.usmAesBlumenthalCfb256Protocol,
                "AES192C": hl.usmAesCfb192Protocol, "AES256C": hl.usmAesCfb256Protocol,
            }
            auth = hl.UsmUserData(
                s.v3_user,
                authKey=s.v3_auth_key or None,
                privKey=s.v3_priv_key or None,
                authProtocol=auth_protos[s.v3_auth_proto],
                privProtocol=priv_protos[s.v3_priv_proto],
            )
            self._auth[key] = auth
        return auth

    async def _target(self, ep: Endpoint) -> Any:
        key = (ep.ip, ep.port, ep.settings.timeout, ep.settings.retries)
        target = self._targets.get(key)
        if target is None:
            cls = self.hl.Udp6TransportTarget if ep.family == socket.AF_INET6 else self.hl.UdpTransportTarget
            target = await cls.create((ep.ip, ep.port), timeout=ep.settings.timeout, retries=ep.settings.retries)
            self._targets[key] = target
        return target

    async def request(self, ep: Endpoint, pdu: int, oids: list[tuple[int, ...]], non_repeaters: int,
                      max_repetitions: int) -> Reply:
        from pysnmp.proto.rfc1902 import ObjectName
        from pysnmp.smi.rfc1902 import ObjectIdentity, ObjectType

        hl = self.hl
        auth = self._auth_data(ep.settings)
        target = await self._target(ep)
        varbinds = [ObjectType(ObjectIdentity(ObjectName(o))) for o in oids]
        try:
            if pdu == ber.GET:
                err, status, index, vbs = await hl.get_cmd(self.engine, auth, target, self._context, *varbinds,
                                                           lookupMib=False)
            elif pdu == ber.GETNEXT:
                err, status, index, vbs = await hl.next_cmd(self.engine, auth, target, self._context, *varbinds,
                                                            lookupMib=False)
            else:
                err, status, index, vbs = await hl.bulk_cmd(self.engine, auth, target, self._context,
                                                            non_repeaters, max_repetitions, *varbinds,
                                                            lookupMib=False)
        except Exception as exc:  # pysnmp raises for many malformed situations
            raise SnmpError(f"SNMPv3 error: {exc}") from None
        if err:
            text = str(err)
            if "timeout" in text.lower() or "timed out" in text.lower():
                raise SnmpTimeout("no reply (timeout)")
            raise SnmpError(f"SNMPv3: {text}")
        return Reply(int(status), int(index), [(tuple(name), _plain(value)) for name, value in vbs])

    def close(self) -> None:
        try:
            self.engine.close_dispatcher()
        except Exception:
            pass


def _plain(value: Any) -> ber.Value:
    """A pyasn1 value as the plain Python of core/ber.py."""
    from pyasn1.type import univ
    from pysnmp.proto import rfc1902, rfc1905

    if isinstance(value, rfc1905.NoSuchObject):
        return ber.NO_SUCH_OBJECT
    if isinstance(value, rfc1905.NoSuchInstance):
        return ber.NO_SUCH_INSTANCE
    if isinstance(value, rfc1905.EndOfMibView):
        return ber.END_OF_MIB_VIEW
    if isinstance(value, rfc1902.IpAddress):
        return ber.IpAddress(".".join(str(b) for b in value.asOctets()))
    if isinstance(value, rfc1902.Counter64):
        return ber.Counter64(int(value))
    if isinstance(value, univ.OctetString):
        return bytes(value)
    if isinstance(value, univ.ObjectIdentifier):
        return ber.ObjectId(tuple(value))
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.Null):
        return None
    return bytes(value) if hasattr(value, "asOctets") else None
