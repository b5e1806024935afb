"""What a new user meets on the command line (issue 15 #8, #13, #14, #17, #20, the `poll --all`
lines) and how the `commands` package is put together (issue 13), through the real entry point
against simulated printers."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tonertrack_tui.cli import build_parser, main
from tonertrack_tui.commands import demo as demo_command
from tonertrack_tui.core.inventory.store import Store

ROOT = Path(__file__).resolve().parent.parent
DEAD = "127.0.0.1:9"  # discard port: never answers
FAST = ["--timeout", "0.2", "--retries", "0"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- the package


def test_no_command_module_reads_argparse_internals():
    # `export` is built from an explicit table (commands/export.py), not by walking parser._actions
    for path in (ROOT / "tonertrack_tui").rglob("*.py"):
        assert "._actions" not in path.read_text(encoding="utf-8"), path


def test_export_lists_every_report(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = capsys.readouterr().out
    for report in ("inventory", "usage", "monthly", "supplies", "alerts"):
        assert re.search(rf"^\s+{report}\s", out, re.M), report
    assert main(["export"]) == 2
    assert "export needs a REPORT" in capsys.readouterr().err


# ---------------------------------------------------------------- #13 --config


def test_a_config_named_on_the_command_line_must_exist(tmp_path, capsys):
    missing = tmp_path / "nonexistent.toml"
    code, out, err = run(capsys, "--config", str(missing), "printers", "list")
    assert code == 2 and out == ""
    assert err.strip() == f"tonertrack: error: --config {missing}: does not exist"
    code, _, err = run(capsys, "--config", str(tmp_path), "printers", "list")
    assert code == 2 and "is not a file" in err


def test_the_default_config_may_be_absent(capsys):
    # conftest points TONERTRACK_CONFIG at a file that does not exist: defaults, no error
    code, _, err = run(capsys, "printers", "list")
    assert code == 0 and "error" not in err


# ---------------------------------------------------------------- #14, #17 and the demo extra


def test_no_mouse_before_or_after_the_sub_command():
    parser = build_parser()
    assert parser.parse_args(["--no-mouse", "demo"]).no_mouse is True
    assert parser.parse_args(["demo", "--no-mouse"]).no_mouse is True
    assert parser.parse_args(["demo"]).no_mouse is False
    assert parser.parse_args(["--no-mouse"]).no_mouse is True


def test_demo_keep_help_says_what_goes_into_dir(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "config.toml and data/" in text
    assert "'tonertrack-tui[demo]'" in text


def test_demo_without_the_simulator_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(demo_command.shutil, "which", lambda name: None)
    monkeypatch.setattr(demo_command, "_responder_beside_python", lambda: False)
    code, out, err = run(capsys, "demo", "--print")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "pip install 'tonertrack-tui[demo]'" in err


def test_the_demo_extra_is_declared():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert {d.split(">")[0] for d in extras["demo"]} == {"snmpsim", "pysmi"}
    assert "tonertrack-tui[demo,web,postgresql]" in extras["test"]
    assert not any(d.startswith(("textual-serve", "psycopg")) for d in project["dependencies"])  # extras only
    assert not any(d.startswith("snmpsim") for d in project["dependencies"])
    assert "-e '.[demo]'" in (ROOT / "Makefile").read_text()


# ---------------------------------------------------------------- #8 and the `poll --all` lines


@pytest.fixture
def fleet(sim_fleet, capsys):
    """Two simulated printers, one dead printer that has failed 3 times in a row (Offline) and
    one that has never answered (Unknown)."""
    assert run(capsys, "printers", "add", sim_fleet.address(0), "--community", "colour_mfp")[0] == 0
    assert run(capsys, "printers", "add", sim_fleet.address(1), "--community", "mono_laser")[0] == 0
    assert run(capsys, "printers", "add", DEAD)[0] == 0
    for _ in range(3):
        assert run(capsys, "poll", "--all", *FAST)[0] == 0
    assert run(capsys, "printers", "add", "127.0.0.1:7")[0] == 0  # echo port, no SNMP: never answers
    return sim_fleet


def test_poll_all_prints_one_line_per_printer_and_counts_what_it_shows(fleet, capsys):
    code, out, err = run(capsys, "poll", "--all", *FAST)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5  # four printers, one summary
    statuses = [line.split()[0] for line in lines[:4]]
    assert statuses == ["Error", "Warning", "Offline", "Unknown"]
    assert lines[0].split()[1] == fleet.address(0) and "MFP-B1-2F-01" in lines[0] and "Paper jam" in lines[0]
    # one counting rule: the summary counts the statuses the lines show (it said "2 Unknown")
    assert re.fullmatch(r"4 printers polled in \d+\.\d s \(1 Error, 1 Offline, 1 Warning, 1 Unknown\)", lines[4])


def test_poll_all_verbose_shows_the_details(fleet, capsys):
    code, out, _ = run(capsys, "poll", "--all", "--verbose", *FAST)
    assert code == 0
    assert "  Supplies:" in out and "  Trays:" in out and len(out.splitlines()) > 20
    assert out.splitlines()[-1].startswith("4 printers polled in ")


def test_poll_all_json_is_the_contract(fleet, capsys):
    code, out, _ = run(capsys, "poll", "--all", "--json", *FAST)
    results = json.loads(out)  # nothing but the JSON array
    assert [r["status"] for r in results] == ["Error", "Warning", "Offline", "Unknown"]
    assert set(results[0]) >= {"target", "reachable", "status", "reasons", "polled_at", "duration_ms", "requests"}


def test_poll_all_applies_timeout_and_retries(fleet, capsys):
    code, out, _ = run(capsys, "poll", "--all", "--timeout", "0.3", "--retries", "0")
    assert code == 0
    dead = next(line for line in out.splitlines() if DEAD in line)
    assert "no reply within 0.3 s" in dead  # not the config's 1 s × 2


def test_poll_all_refuses_options_for_targets_only(capsys):
    code, _, err = run(capsys, "poll", "--all", "--community", "x")
    assert code == 2 and "--community: for TARGETs only" in err
    code, _, err = run(capsys, "poll", "--all", "--timeout", "0")
    assert code == 2 and "timeout must be between" in err


# ---------------------------------------------------------------- #20 saved settings, secrets


@pytest.fixture
def saved(sim_fleet, capsys):
    """A printer of the inventory whose community is not "public"."""
    assert run(capsys, "printers", "add", sim_fleet.address(2), "--community", "inkjet")[0] == 0
    return sim_fleet.address(2)


def test_poll_address_uses_the_saved_settings(saved, capsys):
    code, out, err = run(capsys, "poll", saved, "--json")
    [result] = json.loads(out)
    assert result["reachable"] is True and result["identity"]["name"] == "EPSON3A7F21"
    assert "inkjet" not in out + err  # the community is never echoed


def test_check_address_uses_the_saved_settings(saved, capsys):
    code, out, _ = run(capsys, "check", saved)
    assert code == 1 and out.startswith("TONERTRACK WARNING - EPSON3A7F21 (")
    assert "inkjet" not in out.replace("'Magenta ink'", "").replace("'Yellow ink'", "").split(" | ")[0]


def test_an_option_given_wins_over_the_saved_settings(saved, capsys):
    code, out, _ = run(capsys, "poll", saved, "--community", "mono_laser", "--json")
    assert json.loads(out)[0]["identity"]["name"] == "BRN-ACCOUNTS-02"


def test_community_from_a_file_stdin_or_the_environment(sim_fleet, tmp_path, monkeypatch, capsys):
    address = sim_fleet.address(3)
    secret = tmp_path / "community"
    secret.write_text("colour_mfp\n")
    code, out, err = run(capsys, "poll", address, "--community-file", str(secret), "--json")
    assert json.loads(out)[0]["identity"]["name"] == "MFP-B1-2F-01"
    assert "colour_mfp" not in err

    monkeypatch.setattr("sys.stdin", io.StringIO("mono_laser\n"))
    code, out, _ = run(capsys, "poll", address, "--community-file", "-", "--json")
    assert json.loads(out)[0]["identity"]["name"] == "BRN-ACCOUNTS-02"

    monkeypatch.setenv("TONERTRACK_COMMUNITY", "inkjet")
    code, out, _ = run(capsys, "check", address)
    assert out.startswith("TONERTRACK WARNING - EPSON3A7F21 (")

    empty = tmp_path / "empty"
    empty.write_text("\n")
    code, _, err = run(capsys, "poll", address, "--community-file", str(empty))
    assert code == 2 and "the first line is empty" in err


def test_a_corrupt_inventory_does_not_stop_an_ad_hoc_poll(sim_fleet, tmp_path, capsys):
    data = Path(Store(tmp_path / "data").path)
    data.parent.mkdir(parents=True)
    data.write_text("{not json")
    code, out, err = run(capsys, "poll", sim_fleet.address(0), "--community", "colour_mfp", "--json")
    assert json.loads(out)[0]["reachable"] is True
    assert "warning" in err and "polling with the config's SNMP settings" in err


def test_demo_keeps_the_old_poll_module_names_out():
    # one module per command: poll --all lives in commands/poll.py
    assert not (ROOT / "tonertrack_tui" / "commands" / "poll_all.py").exists()
    parser = build_parser()
    assert parser.parse_args(["poll", "--all", "-v"]).verbose is True
    assert demo_command.MISSING_SIMULATOR.count("\n") == 0


def test_a_community_from_standard_input_is_read_once(monkeypatch):
    # discover asks for the settings twice; standard input can be read only once
    import argparse

    from tonertrack_tui.commands.common import snmp_overrides

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    args = argparse.Namespace(community=None, community_file="-")
    assert snmp_overrides(args)["community"] == "s3cret"
    assert snmp_overrides(args)["community"] == "s3cret"
