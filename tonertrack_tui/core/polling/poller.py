"""Poll one printer, or many concurrently under a bound.

`poll_one` never raises for a device problem: an unresolvable name, silence, a wrong
community, a v3 key the agent rejects, or a malformed reply all end as a PollResult
with `reachable: false` and a reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from ..address import AddressError, ipp_uri_for, parse_address
from ..ipp.poll import poll_ipp
from ..printer import mib
from ..printer.collect import Collected, TargetCache, collect
from ..printer.decode import decode, invert_receptacle_levels
from ..printer.model import PollResult
from ..printer.status import UNKNOWN, Thresholds, evaluate
from ..snmp import ber
from ..snmp.client import Endpoint, Reply, SnmpClient, SnmpError, SnmpTimeout
from ..snmp.credentials import SnmpSettings
from ..util.timeutil import utc_now_iso

ProgressCallback = Callable[[int, int, str], None]  # (done, total, target just finished)

T = TypeVar("T")


def split_target(target: str, default_port: int = 161) -> tuple[str, int]:
    """ "host", "host:port", "[v6]:port" → (host, port). Validation lives in core/address.py."""
    from ..address import parse_address

    address = parse_address(target, default_port=default_port)
    return address.host, address.port


async def poll_one(client: SnmpClient, target: str, settings: SnmpSettings, *,
                   cache: TargetCache | None = None, thresholds: Thresholds | None = None,
                   default_port: int = 161, invert_receptacles: bool = False,
                   never_answered: bool = False) -> PollResult:
    """One printer, once. `never_answered`: it has not answered any poll yet and its last poll
    failed (an address from an import that is gone). It gets one window of one timeout: one v2c
    try with the v1 probe sent beside it, instead of the retries and the delayed probe a printer
    gets on its first poll. If it comes back, its first reply makes it a printer like any other."""
    started = time.perf_counter()
    result = PollResult(target=target, polled_at=utc_now_iso())
    requests = 0
    try:
        host, port = split_target(target, default_port)
        if never_answered:
            settings = replace(settings, retries=0)
        endpoint = await client.resolve(host, port, settings)
        collected, requests = await _collect_with_v1_fallback(client, endpoint, cache,
                                                              probe_after=0.0 if never_answered else None)
        result = decode(target, collected.values)
        result.polled_at = utc_now_iso()
        if invert_receptacles:
            invert_receptacle_levels(result)
        evaluate(result, thresholds)
        result.reasons.extend(collected.notes)
        result.retried = collected.retried
    except SnmpTimeout as exc:
        requests = getattr(exc, "requests", requests)
        result.reasons = [_no_reply_reason(settings)]
        result.timed_out = True
    except SnmpError as exc:
        requests = getattr(exc, "requests", requests)
        result.reasons = [str(exc)]
    except ValueError as exc:  # an address that cannot be valid
        result.reasons = [str(exc)]
    except Exception as exc:  # a decoder bug must cost one printer, never the fleet
        result.reasons = [f"internal error while polling: {type(exc).__name__}: {exc}"]
    if not result.reachable:
        result.status = UNKNOWN
    result.requests = requests
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


async def poll_any(client: SnmpClient, target: str, settings: SnmpSettings, *, protocol: str = "snmp",
                   prefer_ipp: bool = False, pinned: str | None = None, cache: TargetCache | None = None,
                   thresholds: Thresholds | None = None, default_port: int = 161, invert_receptacles: bool = False,
                   never_answered: bool = False) -> PollResult:
    """One printer over the protocol it speaks (issue 17). An ipp:// or ipps:// address, or
    protocol "ipp", is polled over IPP (port 631 of its host); "auto" asks SNMP first and IPP
    when SNMP gets no answer, or IPP first when IPP is what answered last (`prefer_ipp`), so a
    printer with SNMP switched off costs one SNMP window once, not every poll. A host that
    answers neither costs one window: the other protocol is asked inside the first one's. The timeout and
    retries are the printer's SNMP ones: one setting for "how long to wait for this printer"."""
    try:
        address = parse_address(target, default_port=default_port)
    except AddressError as exc:
        return PollResult(target=target, polled_at=utc_now_iso(), reasons=[str(exc)])
    retries = 0 if never_answered else settings.retries

    async def over_ipp(one_try: bool = False) -> PollResult:
        result = await poll_ipp(str(address) if address.is_ipp else ipp_uri_for(target), timeout=settings.timeout,
                                retries=0 if one_try else retries, thresholds=thresholds, pinned=pinned,
                                invert_receptacles=invert_receptacles)
        result.target = target
        return result

    async def over_snmp(one_try: bool = False) -> PollResult:
        return await poll_one(client, target, settings, cache=cache, thresholds=thresholds, default_port=default_port,
                              invert_receptacles=invert_receptacles, never_answered=never_answered or one_try)

    if address.is_ipp or protocol == "ipp":
        return await over_ipp()
    if protocol != "auto":
        return await over_snmp()
    first, second = (over_ipp, over_snmp) if prefer_ipp else (over_snmp, over_ipp)
    # The other protocol is asked once the first one's first try went unanswered (at once when the
    # first has no retry), one try only, so a host that answers neither costs one window, not two.
    first_task = asyncio.ensure_future(first())
    done, _ = await asyncio.wait({first_task}, timeout=settings.timeout if retries else 0)
    if first_task in done:
        result = first_task.result()
        if result.reachable:
            return result
        other = await second()  # the first failed at once (refused, an error): the other gets its window
    else:
        second_task = asyncio.ensure_future(second(one_try=True))
        try:
            result = await first_task
        except BaseException:
            second_task.cancel()
            raise
        if result.reachable:
            second_task.cancel()
            return result
        other = await second_task
    other.requests += result.requests
    if other.reachable:
        return other
    result.requests = other.requests
    result.reasons = result.reasons + [r for r in other.reasons if r not in result.reasons]
    result.timed_out = result.timed_out and other.timed_out
    return result


def _no_reply_reason(settings: SnmpSettings) -> str:
    window = settings.timeout * (settings.retries + 1)
    if settings.version == "3":
        return f"no reply within {window:g} s (SNMPv3: check the host, port and user)"
    return f"no reply within {window:g} s (check the host, port and community)"


async def _collect_with_v1_fallback(client: SnmpClient, endpoint: Endpoint, cache: TargetCache | None,
                                    probe_after: float | None = None) -> tuple[Collected, int]:
    """v2c first; a device that never answers v2c is tried with SNMPv1.

    The v1 probe goes out when the first v2c try times out (or `probe_after` seconds after
    it was sent), so a dead host still costs one timeout window, not two. The first v2c
    reply cancels it (a slow printer that answers v2c is never sent a v1 probe), and a poll
    that got any v2c reply never concludes "v1 only", whatever times out later. Returns (collected, request PDUs sent).
    """
    settings = endpoint.settings
    if settings.version != "2c" or (cache is not None and cache.static):
        collected = await collect(client, endpoint, cache)
        return collected, collected.requests
    v1_endpoint = replace(endpoint, settings=replace(settings, version="1", retries=max(0, settings.retries - 1)))
    probe_sent = False
    answered = False

    async def v1_probe() -> Reply:
        nonlocal probe_sent
        await asyncio.sleep(settings.timeout if probe_after is None else probe_after)
        probe_sent = True
        return await client.request(v1_endpoint, ber.GETNEXT, [mib.SYS_UPTIME])

    probe = asyncio.ensure_future(v1_probe())

    def v2c_answered() -> None:
        nonlocal answered
        answered = True
        if not probe.done():
            probe.cancel()

    try:
        collected = await collect(client, endpoint, cache, on_reply=v2c_answered)
    except SnmpTimeout as exc:
        v2_requests = getattr(exc, "requests", 0)
        if answered:  # it speaks v2c: silence now is the network's, not the version's
            exc.requests = v2_requests + probe_sent  # type: ignore[attr-defined]
            raise
        try:
            reply = await probe
        except SnmpError:
            reply = None
        if reply is None or reply.error_status or not reply.varbinds:
            exc.requests = v2_requests + probe_sent  # type: ignore[attr-defined]
            raise exc from None
        v1_real = replace(endpoint, settings=replace(settings, version="1"))
        collected = await collect(client, v1_real, cache)
        collected.notes.append("answers SNMPv1 only (set its SNMP version to 1)")
        return collected, v2_requests + 1 + collected.requests
    finally:
        if not probe.done():
            probe.cancel()
        elif not probe.cancelled():
            probe.exception()  # a probe that timed out after v2c answered: nothing to report
    return collected, collected.requests + probe_sent


async def poll_targets(client: SnmpClient, targets: Iterable[tuple[str, SnmpSettings]], *,
                       concurrency: int = 64, thresholds: Thresholds | None = None,
                       thresholds_for: Callable[[str], Thresholds] | None = None,
                       caches: dict[str, TargetCache] | None = None,
                       progress: ProgressCallback | None = None,
                       default_port: int = 161) -> list[PollResult]:
    """Poll every target concurrently (at most `concurrency` in flight); results in input order."""
    items = list(targets)
    total = len(items)
    semaphore = asyncio.Semaphore(max(1, concurrency))
    results: list[PollResult | None] = [None] * total
    done = 0

    async def one(i: int, target: str, settings: SnmpSettings) -> None:
        nonlocal done
        async with semaphore:
            cache = None
            if caches is not None:
                cache = caches.setdefault(target, TargetCache())
            th = thresholds_for(target) if thresholds_for else thresholds
            results[i] = await poll_any(client, target, settings, cache=cache, thresholds=th,
                                        default_port=default_port)
        done += 1
        if progress is not None:
            progress(done, total, target)

    await asyncio.gather(*(one(i, t, s) for i, (t, s) in enumerate(items)))
    return [r for r in results if r is not None]


async def run_with_client(fn: Callable[[SnmpClient], Awaitable[T]]) -> T:
    """Run `fn(client)` with a fresh client that is closed afterwards."""
    client = SnmpClient()
    try:
        return await fn(client)
    finally:
        client.close()
