"""An ipps:// certificate is never trusted silently (issue 17): a poll that meets a certificate no
pin vouches for says so, with its fingerprint, in the reasons (an ad-hoc `tonertrack poll` too);
once the fleet has pinned it on that first use, the note is gone. Against a real ippeveprinter
serving TLS (-K)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from ipptools import IppEvePrinter, IppServices, missing

from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.store import Store

pytestmark = pytest.mark.xdist_group("ipp")


@pytest.fixture(scope="module")
def tls_printer() -> Iterator[IppEvePrinter]:
    why = missing()
    if why:
        pytest.skip(f"no real IPP printer here: {why}")
    services = IppServices().start()
    try:
        with IppEvePrinter(services, tls=True) as p:
            yield p
    finally:
        services.stop()


def _colons(hex_text: str) -> str:
    return ":".join(hex_text[i:i + 2] for i in range(0, len(hex_text), 2)).upper()


def test_an_ad_hoc_poll_says_the_certificate_is_not_pinned(tls_printer, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))
    assert main(["poll", tls_printer.uri, "--json"]) == 0
    [doc] = json.loads(capsys.readouterr().out)
    assert doc["reachable"] and doc["status"] == "OK"
    [note] = [r for r in doc["reasons"] if "certificate" in r]
    assert note.startswith("TLS certificate not pinned (self-signed, not checked): SHA-256 ")
    assert len(note.rsplit(" ", 1)[1]) == 95  # 32 bytes as AA:BB:...


def test_the_fleet_pins_it_on_first_use_and_the_note_goes(tls_printer, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))
    assert main(["printers", "add", tls_printer.uri]) == 0
    capsys.readouterr()
    assert main(["poll", "--all", "--json"]) == 0
    [first] = json.loads(capsys.readouterr().out)
    [note] = [r for r in first["reasons"] if "certificate" in r]
    [record] = Store(tmp_path / "data").load()
    assert record.ipp_pin and note.endswith(_colons(record.ipp_pin))  # the one it said is the one pinned
    assert main(["poll", "--all", "--json"]) == 0
    [second] = json.loads(capsys.readouterr().out)
    assert second["status"] == "OK" and not any("certificate" in r for r in second["reasons"])
