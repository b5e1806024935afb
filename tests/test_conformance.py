"""Conformance over real printer recordings in ../shared/printer-walks (not part of this repo).

Each recording is served by snmpsim and polled through the real client; the result is
checked against the raw values in NAME.expected.json (RFC 3805 semantics, not LibreNMS's
percentages). Skipped, visibly, when the folder is absent.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from conftest import shared_walks_dir

from tonertrack_tui.core.polling.poller import poll_targets
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings
from tonertrack_tui.demo.simulator import Recording, SimFleet

WALKS = shared_walks_dir()
NAMES = sorted(p.stem for p in WALKS.glob("*.snmprec")) if WALKS else []
pytestmark = pytest.mark.skipif(WALKS is None, reason="../shared/printer-walks not present: conformance skipped")
HEX_ONLY = re.compile(r"^(?:[0-9A-Fa-f]{2}[ :]?)+$")


@pytest.fixture(scope="module")
def walk_results():
    recordings = [Recording(name, (WALKS / f"{name}.snmprec").read_text("latin-1")) for name in NAMES]

    async def go(fleet):
        client = SnmpClient()
        try:
            results = await poll_targets(
                client, [(fleet.address(0), SnmpSettings(community=n, timeout=2)) for n in NAMES])
        finally:
            client.close()
        return dict(zip(NAMES, results, strict=False))

    with SimFleet(recordings) as fleet:
        return asyncio.run(go(fleet))


def expected(name: str) -> dict:
    return json.loads((WALKS / f"{name}.expected.json").read_text("utf-8"))


@pytest.mark.parametrize("name", NAMES or ["none"])
def test_recording(walk_results, name):
    result = walk_results[name]
    exp = expected(name)
    assert result.reachable, result.reasons
    # every supply row reported, in index order
    want = [s["index"] for s in exp["supplies"]]
    got = [s.index for s in result.supplies]
    assert got == want
    for s_exp, s in zip(exp["supplies"], result.supplies, strict=False):
        level, max_ = s_exp.get("level_raw"), s_exp.get("max_capacity_raw")
        assert (s.level, s.max) == (level, max_)
        if level is not None and max_ is not None and level >= 0 and max_ > 0:
            assert abs(s.remaining_pct - round(100 * min(level, max_) / max_)) <= 1
        if level == -3:
            assert (s.level_note, s.remaining_pct) == ("some_remaining", None)
        if level == -2:
            assert (s.level_note, s.remaining_pct) == ("unknown", None)
        assert s.description and not HEX_ONLY.match(s.description.replace(" ", "")), s.description
        raw_descr = s_exp["description"]["raw"]
        assert s.description == " ".join(raw_descr.split()).strip("\x00 ") or s.description in raw_descr
    device = exp["device"]
    err = device.get("hrPrinterDetectedErrorState.1")
    if err is not None:
        assert result.error_state == err["set_bits_rfc3805_order"]
    if "prtMarkerLifeCount.1.1" in device:
        assert result.page_count == device["prtMarkerLifeCount.1.1"]
    if "prtGeneralSerialNumber.1" in device:
        assert result.identity.serial == device["prtGeneralSerialNumber.1"]
    if "hrDeviceDescr.1" in device:
        assert result.identity.model == device["hrDeviceDescr.1"]
    if not exp["supplies"] and not exp.get("input_trays"):
        assert result.status != "OK"  # a scanner or a trimmed walk is never "OK"
