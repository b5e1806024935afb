"""`tonertrack poll` and the poller against real SNMP agents (snmpsim on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time

import pytest
from conftest import BIG_TABLE_ROWS, V3_USERS

from tonertrack_tui.cli import main
from tonertrack_tui.core.polling.poller import poll_one, poll_targets
from tonertrack_tui.core.printer.collect import TargetCache
from tonertrack_tui.core.snmp.client import SnmpClient
from tonertrack_tui.core.snmp.credentials import SnmpSettings

CONTROL = {chr(c) for c in range(32)} | {"\x7f", "\x1b", "\x9b", "\x9d"}


def dead_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(targets, **settings):
    async def go():
        client = SnmpClient()
        try:
            return await poll_targets(client, [(t, SnmpSettings(**settings).validated()) for t in targets])
        finally:
            client.close()

    return asyncio.run(go())


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_colour_mfp_json_fields(sim_fleet, capsys):
    code, out, err = run_cli(capsys, "poll", sim_fleet.address(0), "--community", "colour_mfp", "--json")
    assert code == 0, err
    [r] = json.loads(out)
    assert set(r) == {"target", "reachable", "status", "reasons", "polled_at", "duration_ms", "requests",
                      "identity", "device_status", "printer_status", "error_state", "page_count",
                      "counters", "supplies", "trays", "alerts", "protocol"}
    assert r["reachable"] is True and r["status"] == "Error"
    # one physical problem, one reason: the jam bit and the critical jam alert are one jam
    assert r["reasons"][:2] == ["Magenta toner 8 %",
                                "Paper jam — Paper jam in paper path: open the front cover and remove the paper"]
    assert "Waste Toner Bottle 88 % full" in r["reasons"] and "Cyan toner 15 %" in r["reasons"]
    assert "Energy Saver Mode" not in " ".join(r["reasons"])
    assert r["identity"]["name"] == "MFP-B1-2F-01"
    assert r["identity"]["model"] == "RICOH IM C3000"
    assert r["identity"]["serial"] == "3100R910442"
    assert r["page_count"] == 184230
    # a Ricoh answering ricohEngCounterTotal but no counter table: total known, the split not
    counters = r["counters"]
    assert (counters["total"], counters["mono"], counters["color"]) == (184230, None, None)
    assert counters["source"] == "RicohPrivateMIB: ricohEngCounterTotal"
    assert counters["markers"] == [{"index": "1.1", "life_count": 184230, "unit": "impressions"}]
    assert r["error_state"] == ["lowToner", "jammed"]
    assert 1 <= r["requests"] <= 4
    supplies = {s["index"]: s for s in r["supplies"]}
    assert len(supplies) == 11
    magenta = next(s for s in r["supplies"] if s["color"] == "magenta" and s["kind"] == "toner")
    assert (magenta["remaining_pct"], magenta["severity"]) == (8, "error")
    waste = next(s for s in r["supplies"] if s["kind"] == "waste")
    assert (waste["class"], waste["remaining_pct"], waste["severity"]) == ("receptacle", 12, "warning")
    assert [a["severity"] for a in r["alerts"]] == ["critical", "warning", "warning_binary", "other"]
    assert r["alerts"][0]["code_name"] == "jam"
    trays = {t["name"]: t for t in r["trays"]}
    assert trays["Bypass Tray"]["level_note"] == "some_remaining" and trays["Bypass Tray"]["remaining_pct"] is None
    assert trays["Tray 2"]["remaining_pct"] == 0


def test_text_output_is_readable(sim_fleet, capsys):
    code, out, _ = run_cli(capsys, "poll", sim_fleet.address(1), "--community", "mono_laser")
    assert code == 0
    assert out.splitlines()[0].endswith("Warning  (BRN-ACCOUNTS-02)")
    assert "some left" in out and "level unknown" in out  # the words of every surface (words.level_text)


def test_steady_state_uses_fewer_requests_and_same_answer(sim_fleet):
    async def go():
        client = SnmpClient()
        cache = TargetCache()
        settings = SnmpSettings(community="inkjet")
        try:
            first = await poll_one(client, sim_fleet.address(0), settings, cache=cache)
            second = await poll_one(client, sim_fleet.address(0), settings, cache=cache)
        finally:
            client.close()
        return first, second

    first, second = asyncio.run(go())
    assert second.requests == 1 < first.requests
    a, b = first.to_json(), second.to_json()
    for key in ("polled_at", "duration_ms", "requests"):
        a.pop(key), b.pop(key)
    assert a == b


def test_v1_uses_getnext_and_gets_the_same_supplies(sim_fleet):
    [v1] = poll([sim_fleet.address(0)], community="inkjet", version="1")
    [v2] = poll([sim_fleet.address(0)], community="inkjet")
    assert v1.reachable and v1.requests > v2.requests
    assert [s.to_json() for s in v1.supplies] == [s.to_json() for s in v2.supplies]


def test_v3_auth_priv(sim_v3):
    user = V3_USERS["authPriv"]
    [r] = poll([sim_v3.address(0)], version="3", v3_user=user.name, v3_auth_proto="SHA",
               v3_auth_key=user.auth_key, v3_priv_proto="AES", v3_priv_key=user.priv_key)
    assert r.reachable, r.reasons
    assert r.supplies and r.requests <= 3


@pytest.mark.parametrize("name, auth, priv", [("authPriv-sha256", "SHA256", "AES256"),
                                              ("authPriv-aes256c", "SHA512", "AES256C"),
                                              ("authNoPriv", "SHA", "none")])
def test_v3_protocols(sim_v3, name, auth, priv):
    user = V3_USERS[name]
    [r] = poll([sim_v3.address(1)], version="3", v3_user=user.name, v3_auth_proto=auth,
               v3_auth_key=user.auth_key, v3_priv_proto=priv, v3_priv_key=user.priv_key or "")
    assert r.reachable, r.reasons


def test_v3_wrong_key_and_unknown_user_are_reasons_not_tracebacks(sim_v3):
    user = V3_USERS["authPriv"]
    wrong, unknown = poll([sim_v3.address(0), sim_v3.address(1)], version="3", v3_user=user.name,
                          v3_auth_proto="SHA", v3_auth_key="not-the-key", v3_priv_proto="AES",
                          v3_priv_key=user.priv_key, timeout=0.5, retries=0)
    assert not wrong.reachable and wrong.reasons
    [r] = poll([sim_v3.address(0)], version="3", v3_user="nobody", v3_auth_proto="SHA",
               v3_auth_key="whatever-key", v3_priv_proto="AES", v3_priv_key="whatever-key",
               timeout=0.5, retries=0)
    assert not r.reachable and r.reasons and r.status == "Unknown"


class BlackHole:
    """A UDP port that takes requests and never answers; `received` counts them."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.received = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.sock.recvfrom(65535)
            except OSError:
                return
            self.received += 1

    def close(self) -> None:
        self.sock.close()


def test_failures_are_reported_beside_the_others(sim_fleet):
    dead = f"127.0.0.1:{dead_port()}"
    good, silent, wrong_community, unresolvable = poll(
        [sim_fleet.address(0), dead, sim_fleet.address(1), "no-such-host.invalid"],
        community="colour_mfp", timeout=1, retries=1)
    assert good.reachable and good.status == "Error"
    assert not silent.reachable and "no reply within 2 s" in silent.reasons[0]
    # snmpsim serves colour_mfp on every endpoint: a wrong community is another silent target
    assert wrong_community.reachable
    assert not unresolvable.reachable and "cannot resolve" in unresolvable.reasons[0]


def test_failures_do_not_delay_the_others(sim_fleet):
    # Counted, not timed: two silent targets (first in the list) are waited for 60 s each. While
    # both are still being waited for, both have been asked and the two printers are done; polled
    # one after the other, the printers would wait a whole minute behind them.
    holes = [BlackHole(), BlackHole()]
    finished: list[str] = []
    printers = [sim_fleet.address(0), sim_fleet.address(1)]

    async def go() -> None:
        client = SnmpClient()
        settings = SnmpSettings(community="colour_mfp", timeout=60, retries=0).validated()
        task = asyncio.ensure_future(poll_targets(
            client, [(t, settings) for t in [h.address for h in holes] + printers],
            progress=lambda done, total, target: finished.append(target)))
        try:
            deadline = time.monotonic() + 40  # generous, and less than the silent ones' 60 s
            while not (sorted(finished) == sorted(printers) and all(h.received for h in holes)):
                assert not task.done() and time.monotonic() < deadline, (finished, [h.received for h in holes])
                await asyncio.sleep(0.02)
            assert not task.done()  # the silent ones are still waited for
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            client.close()

    try:
        asyncio.run(go())
    finally:
        for hole in holes:
            hole.close()


def test_wrong_community_is_silence(sim_fleet):
    [r] = poll([sim_fleet.address(0)], community="no-such-community", timeout=0.3, retries=0)
    assert not r.reachable and r.reasons[0].startswith("no reply")


def test_non_printer_is_unknown_never_ok(sim_fleet):
    [r] = poll([sim_fleet.address(2)], community="non_printer")
    assert r.reachable and r.status == "Unknown"
    assert "no printer" in r.reasons[0]
    assert r.identity.name == "sw-b1-2f-access"


def test_big_table_is_bounded_and_complete(sim_fleet):
    [r] = poll([sim_fleet.address(3)], community="big_table", timeout=10)  # generous: 2,000 rows from a loaded snmpsim
    assert r.reachable, r.reasons
    assert len(r.supplies) == BIG_TABLE_ROWS
    assert [s.index for s in r.supplies[:3]] == ["1.1", "1.2", "1.3"]


def test_hostile_strings_come_out_safe(sim_fleet, capsys):
    code, out, _ = run_cli(capsys, "poll", sim_fleet.address(0), "--community", "hostile", "--json")
    assert code == 0
    [r] = json.loads(out)
    strings = [r["identity"][k] for k in r["identity"] if isinstance(r["identity"][k], str)]
    strings += [s["description"] for s in r["supplies"]] + [a["description"] for a in r["alerts"]]
    strings += [t["name"] or "" for t in r["trays"]] + r["reasons"]
    for text in strings:
        assert not (set(text) & CONTROL), repr(text)
        assert len(text) <= 512
    descriptions = [s["description"] for s in r["supplies"]]
    assert "Schwarz Tonerkartusche für Laserdrucker" in descriptions  # Latin-1
    assert "ブラックトナー" in descriptions  # Shift-JIS
    assert "Magenta Toner" in descriptions  # UTF-16 with BOM
    assert "Yellow Toner" in descriptions  # NUL padding
    assert "Imaging Drum HP CF219A" in descriptions  # HP: hex second half
    # the text output is free of escape sequences too
    code, out, _ = run_cli(capsys, "poll", sim_fleet.address(0), "--community", "hostile")
    assert "\x1b" not in out and "\x07" not in out


def test_usage_errors_exit_2_with_one_line(capsys):
    for argv in (["poll"], ["poll", "10.0.0.300"], ["poll", "host:70000"], ["poll", "h", "--snmp-version", "3"],
                 ["poll", "h", "--community", ""]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1 and err.startswith("tonertrack"), err


def test_poll_changes_nothing_on_disk(sim_fleet, tmp_path):
    env_dir = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "tonertrack_tui", "poll", sim_fleet.address(0), "--community",
                    "inkjet"], check=True, capture_output=True)
    assert not env_dir.exists() or not any(env_dir.iterdir())


def test_fail_on(sim_fleet, capsys):
    code, _, _ = run_cli(capsys, "poll", sim_fleet.address(0), "--community", "inkjet", "--fail-on", "error")
    assert code == 0
    code, _, _ = run_cli(capsys, "poll", sim_fleet.address(0), "--community", "inkjet", "--fail-on", "warning")
    assert code == 1
