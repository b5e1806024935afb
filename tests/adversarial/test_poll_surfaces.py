"""The hostile fleet through `poll --json`, `check`, and a slow agent."""

from __future__ import annotations

import json
import re

import pytest

from tonertrack_tui.cli import main

from .hostile import HOSTILE, HOSTILE_COMMUNITIES, forbidden_in, strings_of, tally

PERF = re.compile(r"'([^'=|]+)'=(U|\d+%;\d*:?;\d*:?;0;100)$|^pages=\d+c$")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("community", [*HOSTILE_COMMUNITIES, "adv_count_hi"])
def test_poll_json_is_valid_and_control_free(hostile_fleet, capsys, community):
    code, out, err = run(capsys, "poll", hostile_fleet.address(0), "--community", community, "--json",
                         "--timeout", "3")
    assert code == 0, err
    [doc] = json.loads(out)
    assert doc["reachable"] is True, doc["reasons"]
    texts = list(strings_of(doc))
    for text in texts:
        assert not forbidden_in(text), (community, text[:80])
        assert len(text) <= 2000
    # the raw text never leaks to stdout either (json.dump with ensure_ascii=False)
    assert not forbidden_in(out.replace("\n", ""))
    tally("poll --json", len(texts))
    if community == "adv_text":
        shown = " ".join(texts)
        for literal in ("[red]Lab[/]", "[@click=app.quit]x[/]", "[link=https://evil.example/]", "=HYPERLINK("):
            assert literal in shown  # markup is data: kept, never interpreted or dropped
        assert len(doc["supplies"]) == len(HOSTILE) and len(doc["alerts"]) == len(HOSTILE)
        for s in doc["supplies"]:
            assert s["remaining_pct"] is None or 0 <= s["remaining_pct"] <= 100
            if s["max"] is not None and s["max"] <= 0:
                assert s["remaining_pct"] is None or s["level_note"] == "max_unknown"
    if community == "adv_rows":
        assert 0 < len(doc["supplies"]) <= 2048  # bounded walk of a 10,000-row table
    if community == "adv_types":
        assert doc["status"] in ("OK", "Warning", "Error", "Unknown")


def test_poll_text_output_is_control_free(hostile_fleet, capsys):
    code, out, err = run(capsys, "poll", hostile_fleet.address(0), "--community", "adv_text", "--timeout", "3")
    assert code == 0, err
    assert not forbidden_in(out.replace("\n", "")), [c for c in forbidden_in(out.replace("\n", ""))]
    tally("poll (text)", len(HOSTILE))


@pytest.mark.parametrize("community", [*HOSTILE_COMMUNITIES, "adv_count_lo"])
def test_check_plugin_is_one_line_with_valid_perfdata(hostile_fleet, capsys, community):
    code, out, err = run(capsys, "check", hostile_fleet.address(0), "--community", community, "--timeout", "3")
    assert code in (0, 1, 2, 3), err
    assert out.endswith("\n") and out.count("\n") == 1, out[:300]
    line = out.rstrip("\n")
    assert not forbidden_in(line)
    head, _, perf = line.partition(" | ")
    assert "|" not in head
    items = re.findall(r"'[^']*'=\S+|pages=\S+", perf)
    assert " ".join(items) == perf, perf[:300]
    labels = []
    for item in items:
        assert PERF.match(item), item
        if item.startswith("'"):
            labels.append(item.split("'")[1])
    assert len(labels) == len(set(labels)), "perfdata labels must be unique"
    tally("check", max(1, len(items)))


def test_slow_agent_costs_its_own_timeout_only(hostile_fleet, slow_agent, capsys):
    # 2 s agent, 1 s timeout, no retry: no reply; the fast printer beside it answers. (That it is
    # not held up is shown without a clock by test_poll_integration::test_failures_do_not_delay_the_others.)
    code, out, err = run(capsys, "poll", slow_agent.address, hostile_fleet.address(0), "--community", "adv_text",
                         "--json", "--timeout", "1", "--retries", "0")
    slow, fast = json.loads(out)
    assert slow["reachable"] is False and fast["reachable"] is True
    assert "no reply within 1 s" in slow["reasons"][0]
    # a timeout above the delay gets the answer
    code, out, err = run(capsys, "poll", slow_agent.address, "--community", "adv_count_hi", "--json",
                         "--timeout", "4", "--retries", "0")
    [doc] = json.loads(out)
    assert doc["reachable"] is True and doc["page_count"] == 100000
    assert doc["duration_ms"] >= 1900
    code, out, err = run(capsys, "check", slow_agent.address, "--community", "adv_count_hi", "--timeout", "1",
                         "--retries", "0")
    assert code == 2 and out.startswith("TONERTRACK CRITICAL") and out.count("\n") == 1
    tally("slow agent", 3)
