"""`tonertrack check`: the plugin line and exit codes (Monitoring Plugins guidelines) against snmpsim."""

from __future__ import annotations

import re
import socket

import pytest

from tonertrack_tui.cli import main
from tonertrack_tui.commands.check import perf_label


def run_check(capsys, *argv: str) -> tuple[int, str]:
    code = main(["check", *argv])
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # exactly one line
    return code, out.rstrip("\n")


def test_ok(sim_fleet, capsys):
    # v3_printer also answers v2c: a healthy colour printer
    code, line = run_check(capsys, sim_fleet.address(0), "--community", "v3_printer")
    assert code == 0
    assert line.startswith("TONERTRACK OK - HP-FINANCE-CLJ (127.0.0.1:")
    assert "4 supplies ok" in line
    # labels are words.supply_name: the device's text where it carries a part number (what gets ordered)
    assert line.endswith("| 'Black Cartridge HP W2030X'=80%;20:;10:;0;100 'Cyan Cartridge HP W2031X'=60%;20:;10:;0;100 "
                         "'Magenta Cartridge HP W2033X'=50%;20:;10:;0;100 'Yellow Cartridge HP W2032X'=40%;20:;10:;0;100 "
                         "pages=23517c")


def test_warning_inkjet(sim_fleet, capsys):
    code, line = run_check(capsys, sim_fleet.address(1), "--community", "inkjet")
    assert code == 1
    assert line.startswith("TONERTRACK WARNING - EPSON3A7F21 (")
    assert "Magenta ink 18 %" in line
    perf = re.findall(r"'[^']*'=\S+", line.split(" | ", 1)[1])
    assert "'Magenta ink'=18%;20:;10:;0;100" in line
    assert "'Yellow ink'=U" in line  # unrestricted: a state, never a number
    assert "'Maintenance Box C9382 full'=65%;80;90;0;100" in line  # receptacle as % full
    assert line.endswith(" pages=10233c")
    assert len(perf) == 6


def test_critical_colour_mfp(sim_fleet, capsys):
    code, line = run_check(capsys, sim_fleet.address(2), "--community", "colour_mfp")
    assert code == 2
    assert line.startswith("TONERTRACK CRITICAL - MFP-B1-2F-01 (")
    assert "Magenta toner 8 %" in line and "Paper jam" in line
    assert "'Magenta toner'=8%;20:;10:;0;100" in line
    assert "pages=184230c" in line


def test_thresholds_from_options(sim_fleet, capsys):
    code, line = run_check(capsys, sim_fleet.address(0), "--community", "v3_printer", "-w", "60", "-c", "45")
    assert code == 2  # yellow 40 % < 45
    assert "'Yellow Cartridge HP W2032X'=40%;60:;45:;0;100" in line
    assert "'Black Cartridge HP W2030X'=80%;60:;45:;0;100" in line


def test_dead_port_is_critical(capsys):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    code, line = run_check(capsys, f"127.0.0.1:{port}", "--timeout", "0.2", "--retries", "0")
    assert code == 2
    assert line.startswith(f"TONERTRACK CRITICAL - 127.0.0.1:{port}: no reply")
    assert "|" not in line


def test_non_printer_is_unknown(sim_fleet, capsys):
    code, line = run_check(capsys, sim_fleet.address(3), "--community", "non_printer")
    assert code == 3
    assert line.startswith("TONERTRACK UNKNOWN - sw-b1-2f-access (")
    assert "no printer" in line


def test_hostile_labels_are_safe(sim_fleet, capsys):
    code, line = run_check(capsys, sim_fleet.address(0), "--community", "hostile")
    assert code == 2
    text, perf = line.split(" | ")
    assert "\x1b" not in line and "\x07" not in line
    labels = re.findall(r"'([^']*)'=", perf)
    assert len(labels) == 11
    assert len(set(labels)) == 11
    for label in labels:
        assert not set(label) & set("'=|")
    assert "|" not in text


@pytest.mark.parametrize("argv,needle", [
    (["127.0.0.1", "--warning", "120"], "--warning must be between 0 and 100"),
    (["127.0.0.1", "--warning", "10", "--critical", "20"], "above --warning"),
    (["not a host!"], "TONERTRACK UNKNOWN - "),
])
def test_bad_arguments_are_unknown(capsys, argv, needle):
    code = main(["check", *argv])
    out = capsys.readouterr().out
    assert code == 3
    assert out.startswith("TONERTRACK UNKNOWN - ") and needle in out


def test_argparse_error_exits_3(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "127.0.0.1", "--warning", "x"])
    assert info.value.code == 3
    assert "TONERTRACK UNKNOWN - " in capsys.readouterr().err


def test_perf_label():
    assert perf_label("a'b=c|d") == "ab_c_d"
    assert perf_label("\x1b[2J") == "supply"


def test_vendor_split_in_perfdata(sim_fleet, capsys):
    """Issue 16: mono/colour counters in the perfdata where the printer publishes them, and only there."""
    code, line = run_check(capsys, sim_fleet.address(0), "--community", "counters_hp_colour")
    assert line.endswith(" pages=31000c pages_mono=20000c pages_color=11000c"), line
    code, line = run_check(capsys, sim_fleet.address(1), "--community", "inkjet")
    assert "pages_mono" not in line and "pages_color" not in line
