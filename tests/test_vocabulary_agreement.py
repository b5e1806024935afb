"""One vocabulary (issue 13, issue 15 #7): the same recorded printer, served by snmpsim and read
through every surface — the TUI's row and details (core/views, no Textual needed),
`printers show`, `poll`, `check` and the supplies CSV — names each supply and words each level
the same way (core/printer/words.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.commands.check import perf_label
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.views.fleet import row_for, supply_view

# recordings with what tells the words apart: a waste box (% full), levels that are states
# (some left, level unknown, no limit), part numbers in the device's text, colour twins
RECORDINGS = ["colour_mfp", "inkjet", "mono_laser", "v3_printer"]
SUPPLY_LINE = re.compile(r"^  (?:!!|! |\? |  )(.{40}) \[[#\-·]{10}\] (.+)$")


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture(params=RECORDINGS)
def polled(request, sim_fleet, tmp_path, capsys):
    """(address, the stored printer) after `printers add` and `poll --all`."""
    address = sim_fleet.address(RECORDINGS.index(request.param))  # any endpoint serves every recording
    assert run(capsys, "printers", "add", address, "--community", request.param)[0] == 0
    assert run(capsys, "poll", "--all")[0] in (0, 1)
    [printer] = Store(tmp_path / "data").load()
    assert printer.last_poll is not None and printer.last_poll.reachable
    return address, printer


def tui_words(printer) -> list[tuple[str, str]]:
    supplies = printer.last_poll.supplies
    return [(v.label, v.text) for v in (supply_view(s, supplies) for s in supplies)]


def show_words(out: str) -> list[tuple[str, str]]:
    lines = out.splitlines()
    body = lines[lines.index("Supplies:") + 1:]
    return [(line[2:42].rstrip(), line[43:59].strip()) for line in body if line.startswith("  ")]


def poll_words(out: str) -> list[tuple[str, str]]:
    return [(m[1].rstrip(), m[2]) for m in map(SUPPLY_LINE.match, out.splitlines()) if m]


def test_every_surface_names_supplies_and_words_levels_alike(polled, capsys):
    address, printer = polled
    tui = tui_words(printer)
    assert tui, "the recording has supplies"

    # the TUI's row shows the most urgent supply with the same words
    row = row_for(printer)
    assert row.supply is not None and (row.supply.label, row.supply.text) in tui

    code, out = run(capsys, "printers", "show", address)
    assert code == 0 and show_words(out) == tui

    code, out = run(capsys, "poll", address)  # the saved community: no option needed
    assert poll_words(out) == tui

    code, out = run(capsys, "check", address)
    perf = out.rstrip("\n").split(" | ", 1)[1]
    labels = re.findall(r"'([^']*)'=", perf)
    supplies = printer.last_poll.supplies
    expected = [perf_label(name) + (" full" if s.is_receptacle else "") for (name, _), s in zip(tui, supplies, strict=True)]
    assert labels == expected

    code, out = run(capsys, "export", "supplies", "-o", "-")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert all((r["supply"], r["level"]) in tui for r in rows if r["address"] == address)
    # the order list says the same about the supplies that need ordering as the alerts do
    assert {r["supply"] for r in rows} <= {name for name, _ in tui}


def test_the_words_that_used_to_disagree(sim_fleet, capsys):
    """`printers show` said "5% error" for a waste box the TUI shows "95 % full"; poll said
    "some remaining" and "no restriction" where the TUI says "some left" and "no limit"."""
    words = {}
    for i, name in enumerate(["colour_mfp", "inkjet", "mono_laser"]):
        address = sim_fleet.address(i)
        run(capsys, "printers", "add", address, "--community", name)
        run(capsys, "poll", "--all")
        words[name] = run(capsys, "printers", "show", address)[1] + run(capsys, "poll", address)[1]
        run(capsys, "printers", "remove", address, "--yes")
    assert re.search(r"Waste Toner Bottle +88 % full", words["colour_mfp"])
    assert "% error" not in words["colour_mfp"]
    assert "no limit" in words["inkjet"] and "no restriction" not in words["inkjet"]
    assert "some left" in words["mono_laser"] and "some remaining" not in words["mono_laser"]
