"""core/status.py: status, per-supply severity and reasons (DESIGN.md "Status")."""

from __future__ import annotations

import pytest

from tonertrack_tui.core.printer import mib
from tonertrack_tui.core.printer.decode import decode
from tonertrack_tui.core.printer.model import Alert, PollResult, Supply
from tonertrack_tui.core.printer.status import (
    ERROR,
    OK,
    UNKNOWN,
    WARNING,
    Thresholds,
    evaluate,
    supply_severity,
    worst_supply,
)
from tonertrack_tui.core.printer.words import supply_name
from tonertrack_tui.core.snmp import ber


def sup(index="1.1", description="Black Toner", *, kind="toner", color="black", pct=50, note=None,
        class_="consumed", type_="toner", level=None, max_=100, estimated=False) -> Supply:
    return Supply(index=index, description=description, type=type_, kind=kind, class_=class_, unit="percent",
                  color=color, level=pct if level is None else level, max=max_, remaining_pct=pct,
                  level_note=note, estimated=estimated)


def waste(pct, index="1.9", description="Waste Toner Box") -> Supply:
    return sup(index, description, kind="waste", color=None, pct=pct, class_="receptacle", type_="wasteToner")


def alert(severity="warning", code=1104, description="Toner almost empty", index="1.1") -> Alert:
    return Alert(index=index, severity=severity, training="untrained", group="markerSupplies", code=code,
                 code_name=mib.ALERT_CODE_NAMES.get(code), description=description)


def result(supplies=(), error_state=(), alerts=(), device_status="running", is_printer=True) -> PollResult:
    return PollResult(target="printer.example", reachable=True, supplies=list(supplies),
                      error_state=list(error_state), alerts=list(alerts), device_status=device_status,
                      printer_status="idle", is_printer=is_printer)


def run(*args, thresholds=None, **kw):
    r = evaluate(result(*args, **kw), thresholds)
    return r.status, r.reasons


# --- OK -----------------------------------------------------------------------------------------

def test_healthy_printer_is_ok():
    assert run([sup(pct=80), sup("1.2", "Cyan Toner", color="cyan", pct=20), waste(50)]) == (OK, [])


def test_no_supplies_but_a_printer_is_ok():
    assert run([]) == (OK, [])


# --- thresholds: strictly below -----------------------------------------------------------------

@pytest.mark.parametrize("pct,status,severity", [
    (0, ERROR, "error"), (1, ERROR, "error"), (9, ERROR, "error"),
    (10, WARNING, "warning"), (15, WARNING, "warning"), (19, WARNING, "warning"),
    (20, OK, "ok"), (21, OK, "ok"), (100, OK, "ok"),
])
def test_default_thresholds_20_10(pct, status, severity):
    r = evaluate(result([sup("1.2", "Cyan Toner", color="cyan", pct=pct)]))
    assert r.status == status
    assert r.supplies[0].severity == severity
    assert r.reasons == ([] if status == OK else [f"Cyan toner {pct} %"])


def test_exact_reason_cyan_toner_8():
    assert run([sup(pct=90), sup("1.2", "Cyan Toner Cartridge", color="cyan", pct=8)]) == (ERROR, ["Cyan toner 8 %"])


@pytest.mark.parametrize("space_left,status,reason", [
    (5, ERROR, "Waste Toner Box 95 % full"),
    (0, ERROR, "Waste Toner Box 100 % full"),
    (9, ERROR, "Waste Toner Box 91 % full"),
    (10, WARNING, "Waste Toner Box 90 % full"),
    (19, WARNING, "Waste Toner Box 81 % full"),
    (20, OK, None),
    (95, OK, None),
])
def test_waste_toner_box_percent_full(space_left, status, reason):
    assert run([waste(space_left)]) == (status, [reason] if reason else [])


def test_custom_global_thresholds():
    t = Thresholds(warning_pct=30, error_pct=15)
    assert run([sup(pct=14)], thresholds=t) == (ERROR, ["Black toner 14 %"])
    assert run([sup(pct=15)], thresholds=t) == (WARNING, ["Black toner 15 %"])
    assert run([sup(pct=29)], thresholds=t) == (WARNING, ["Black toner 29 %"])
    assert run([sup(pct=30)], thresholds=t) == (OK, [])


def test_per_kind_thresholds():
    t = Thresholds(kinds={"drum": (10, 5), "waste": (None, 3)})
    drum = lambda pct: sup("1.5", "Imaging Drum", kind="drum", color=None, pct=pct, type_="opc")  # noqa: E731
    assert run([drum(9)], thresholds=t) == (WARNING, ["Imaging Drum 9 %"])
    assert run([drum(4)], thresholds=t) == (ERROR, ["Imaging Drum 4 %"])
    assert run([drum(10)], thresholds=t) == (OK, [])
    assert run([sup(pct=9)], thresholds=t) == (ERROR, ["Black toner 9 %"])  # toner keeps the defaults
    assert run([waste(5)], thresholds=t) == (WARNING, ["Waste Toner Box 95 % full"])  # warning stays 20
    assert run([waste(2)], thresholds=t) == (ERROR, ["Waste Toner Box 98 % full"])
    assert t.for_kind("drum") == (10, 5)
    assert t.for_kind("waste") == (20, 3)
    assert t.for_kind("toner") == (20, 10)


def test_thresholds_overridden_merges():
    base = Thresholds(warning_pct=25, error_pct=12, kinds={"drum": (10, 5)})
    per_printer = base.overridden(error_pct=8, kinds={"toner": (30, None)})
    assert per_printer.warning_pct == 25
    assert per_printer.error_pct == 8
    assert per_printer.for_kind("drum") == (10, 5)
    assert per_printer.for_kind("toner") == (30, 8)
    assert base.for_kind("toner") == (25, 12)  # the original is untouched


# --- supply severities for states -----------------------------------------------------------------

@pytest.mark.parametrize("note,severity", [
    ("some_remaining", "ok"), ("unrestricted", "ok"), ("unknown", "unknown"), ("max_unknown", "unknown"),
    (None, "unknown"),
])
def test_state_severities(note, severity):
    s = sup(pct=None, note=note, level={"some_remaining": -3, "unrestricted": -1}.get(note, -2))
    assert supply_severity(s, Thresholds()) == severity
    r = evaluate(result([s]))
    assert r.supplies[0].severity == severity
    assert (r.status, r.reasons) == (OK, [])  # a state is never a problem by itself


@pytest.mark.parametrize("level,severity", [(-3, "ok"), (-2, "unknown"), (-1, "ok")])
def test_state_severities_from_decoded_levels(level, severity):
    e = mib.PRT_SUPPLIES_ENTRY
    values = {e + (5, 1, 1): 3, e + (6, 1, 1): b"Black Toner", e + (8, 1, 1): 100, e + (9, 1, 1): level}
    r = evaluate(decode("p", values))
    assert r.supplies[0].severity == severity
    assert r.status == OK


def test_estimated_percentage_is_judged_and_marked():
    s = sup(pct=5, note="max_unknown", estimated=True, max_=-2)
    assert run([s]) == (ERROR, ["Black toner ~5 %"])


# --- error-state flags ------------------------------------------------------------------------------

@pytest.mark.parametrize("flag,reason", [
    ("noToner", "Out of toner"), ("noPaper", "Out of paper"), ("jammed", "Paper jam"),
    ("doorOpen", "Door open"), ("offline", "Printer offline"),
])
def test_error_flags(flag, reason):
    assert run([sup(pct=80)], error_state=[flag]) == (ERROR, [reason])


@pytest.mark.parametrize("flag,reason", [
    ("lowToner", "Toner low"), ("lowPaper", "Paper low"), ("serviceRequested", "Service requested"),
    ("overduePreventMaint", "Maintenance overdue"), ("inputTrayMissing", "Input tray missing"),
    ("outputTrayMissing", "Output tray missing"), ("markerSupplyMissing", "A supply is missing"),
    ("outputNearFull", "Output tray nearly full"), ("outputFull", "Output tray full"),
    ("inputTrayEmpty", "Input tray empty"),
])
def test_warning_flags(flag, reason):
    assert run([sup(pct=80)], error_state=[flag]) == (WARNING, [reason])


def test_every_rfc_flag_has_a_reason():
    for flag in mib.ERROR_STATE_BITS:
        status, reasons = run([], error_state=[flag])
        assert status in (ERROR, WARNING)
        assert len(reasons) == 1 and reasons[0]


def test_low_toner_not_repeated_when_a_toner_supply_says_it():
    assert run([sup(pct=15)], error_state=["lowToner"]) == (WARNING, ["Black toner 15 %"])
    assert run([sup(pct=5)], error_state=["lowToner", "noToner"]) == (ERROR, ["Black toner 5 %"])


def test_low_toner_reported_when_no_supply_says_it():
    assert run([sup(pct=None, note="some_remaining", level=-3)], error_state=["lowToner"]) == (WARNING, ["Toner low"])


def test_low_toner_still_reported_when_only_a_drum_is_low():
    drum = sup("1.5", "Imaging Drum", kind="drum", color=None, pct=15, type_="opc")
    assert run([drum], error_state=["lowToner"]) == (WARNING, ["Imaging Drum 15 %", "Toner low"])


def test_no_toner_flag_is_an_error_even_when_a_toner_is_only_warning():
    supplies = [sup(pct=None, note="unknown", level=-2), sup("1.2", "Cyan Toner", color="cyan", pct=15)]
    status, reasons = run(supplies, error_state=["noToner"])
    assert status == ERROR
    assert reasons == ["Out of toner", "Cyan toner 15 %"]


# --- alerts -----------------------------------------------------------------------------------------

def test_critical_alert_is_error():
    assert run([sup(pct=80)], alerts=[alert("critical", 8, "Paper jam in tray 2")]) == (
        ERROR, ["Paper jam — Paper jam in tray 2"])
    assert run([sup(pct=80)], alerts=[alert("critical", 1506, "Font deleted")]) == (
        ERROR, ["Font deleted (critical alert)"])


@pytest.mark.parametrize("severity", ["warning", "warning_binary"])
def test_warning_alerts_are_warning(severity):
    assert run([sup(pct=80)], alerts=[alert(severity, 1104, "Black toner almost empty")]) == (
        WARNING, ["Toner low — Black toner almost empty"])
    assert run([sup(pct=80)], alerts=[alert(severity, 1507, "Resource unavailable")]) == (
        WARNING, ["Resource unavailable"])


@pytest.mark.parametrize("code", sorted(mib.ALERT_CODES_NOT_A_PROBLEM))
@pytest.mark.parametrize("severity", ["critical", "warning", "warning_binary"])
def test_informational_alert_codes_are_not_problems(code, severity):
    assert run([sup(pct=80)], alerts=[alert(severity, code, "Sleep mode")]) == (OK, [])


def test_energy_saver_alert_is_not_a_problem():
    assert run([sup(pct=80)], alerts=[alert("warning", 23, "Energy Saver Mode")]) == (OK, [])


@pytest.mark.parametrize("code", [8, 1101, 501, None])
def test_other_severity_alert_is_not_a_problem(code):
    assert run([sup(pct=80)], alerts=[alert("other", code, "Something happened")]) == (OK, [])


def test_alerts_through_decode():
    a = mib.PRT_ALERT_ENTRY
    values = {
        **{mib.PRT_SUPPLIES_ENTRY + (c, 1, 1): v for c, v in ((5, 3), (6, b"Black Toner"), (8, 100), (9, 80))},
        a + (2, 1, 1): 5, a + (7, 1, 1): 23, a + (8, 1, 1): b"Sleep",  # power saver
        a + (2, 1, 2): 1, a + (7, 1, 2): 1104, a + (8, 1, 2): b"Info only",  # severity other
        a + (2, 1, 3): 4, a + (7, 1, 3): 1104,  # warning without a description
    }
    r = evaluate(decode("p", values))
    assert (r.status, r.reasons) == (WARNING, ["Toner low — Marker toner almost empty"])


# --- device status ------------------------------------------------------------------------------------

def test_device_down_without_other_errors():
    assert run([sup(pct=80)], device_status="down") == (ERROR, ["Printer reports it is down"])


def test_device_down_with_a_better_reason():
    assert run([sup(pct=80)], error_state=["jammed"], device_status="down") == (ERROR, ["Paper jam"])


def test_device_warning_without_other_reasons():
    assert run([sup(pct=80)], device_status="warning") == (WARNING, ["Printer reports a warning"])
    assert run([sup(pct=15)], device_status="warning") == (WARNING, ["Black toner 15 %"])


@pytest.mark.parametrize("device_status", ["running", "unknown", "testing", None])
def test_other_device_states_are_fine(device_status):
    assert run([sup(pct=80)], device_status=device_status) == (OK, [])


# --- worst first ------------------------------------------------------------------------------------

def test_reasons_worst_first():
    supplies = [
        sup("1.1", "Black Toner", pct=12),
        sup("1.2", "Cyan Toner", color="cyan", pct=8),
        sup("1.3", "Magenta Toner", color="magenta", pct=3),
        sup("1.4", "Yellow Toner", color="yellow", pct=18),
        waste(5),
    ]
    status, reasons = run(supplies, error_state=["doorOpen", "lowPaper"],
                          alerts=[alert("warning", 807, "Tray 2 low"), alert("critical", 8, "Jam", index="1.2")])
    assert status == ERROR
    assert reasons == [
        "Magenta toner 3 %", "Waste Toner Box 95 % full", "Cyan toner 8 %", "Door open", "Paper jam",
        "Black toner 12 %", "Yellow toner 18 %", "Paper low — Tray 2 low",
    ]


def test_duplicate_reasons_are_said_once():
    status, reasons = run([], error_state=["doorOpen"], alerts=[alert("warning", 501, "door open")])
    assert (status, reasons) == (ERROR, ["Door open"])


# --- labels -------------------------------------------------------------------------------------------

def test_label_uses_description_when_colour_kind_is_ambiguous():
    supplies = [sup("1.1", "Black Toner 1", pct=5), sup("1.2", "Black Toner 2", pct=8)]
    assert [supply_name(s, supplies) for s in supplies] == ["Black Toner 1", "Black Toner 2"]
    assert run(supplies) == (ERROR, ["Black Toner 1 5 %", "Black Toner 2 8 %"])


@pytest.mark.parametrize("kind,color,description,label", [
    ("toner", "cyan", "Cyan Toner Cartridge HP 201A", "Cyan toner"),
    ("ink", "photo black", "PK ink", "Photo black ink"),
    ("drum", "yellow", "Drum Y", "Yellow drum"),
    ("developer", "black", "Dev K", "Black developer"),
    ("fuser", None, "Fuser Kit", "Fuser Kit"),
    ("toner", None, "Toner Cartridge", "Toner Cartridge"),
    ("other", None, "", "Supply 1.1"),
])
def test_supply_name(kind, color, description, label):
    assert supply_name(sup(description=description, kind=kind, color=color)) == label


# --- not a printer --------------------------------------------------------------------------------------

def test_non_printer_is_unknown_with_a_reason():
    r = evaluate(result([], is_printer=False))
    assert r.status == UNKNOWN
    assert r.reasons == ["Answers SNMP but reports no printer (no Printer-MIB supplies or printer device)"]


def test_non_printer_with_alerts_is_still_unknown_reason_first():
    r = evaluate(result([], error_state=["doorOpen"], is_printer=False))
    assert r.status == UNKNOWN
    assert r.reasons[0].startswith("Answers SNMP but reports no printer")
    assert r.reasons[1:] == ["Door open"]


def test_non_printer_decoded():
    values = {mib.SYS_DESCR + (0,): b"Linux nas 5.10", mib.SYS_NAME + (0,): b"nas"}
    r = evaluate(decode("nas.example", values))
    assert r.status == UNKNOWN
    assert len(r.reasons) == 1
    assert r.identity.name == "nas"


# --- evaluate is idempotent and in place ------------------------------------------------------------

def test_evaluate_in_place_and_idempotent():
    r = result([sup(pct=5)], error_state=["doorOpen"])
    assert evaluate(r) is r
    first = (r.status, list(r.reasons), [s.severity for s in r.supplies])
    evaluate(r)
    assert (r.status, r.reasons, [s.severity for s in r.supplies]) == first
    assert first == (ERROR, ["Black toner 5 %", "Door open"], ["error"])


def test_worst_supply():
    supplies = [sup("1.1", pct=50), sup("1.2", "Cyan Toner", color="cyan", pct=15),
                sup("1.3", "Magenta Toner", color="magenta", pct=None, note="unknown", level=-2),
                sup("1.4", "Yellow Toner", color="yellow", pct=9)]
    r = evaluate(result(supplies))
    assert worst_supply(r.supplies).index == "1.4"
    assert worst_supply([]) is None


def test_sentinels_do_not_leak_into_status():
    # decode turns sentinels into None; evaluate copes with every column missing
    e = mib.PRT_SUPPLIES_ENTRY
    values = {e + (c, 1, 1): ber.NO_SUCH_INSTANCE for c in range(3, 10)}
    r = evaluate(decode("p", values))
    assert [(s.severity, s.remaining_pct) for s in r.supplies] == [("unknown", None)]
    assert r.status == OK


# --- one physical problem, however the printer reports it ---------------------------------------------

def test_a_jam_reported_three_ways_is_one_problem():
    status, reasons = run([sup(pct=80)], error_state=["jammed"],
                          alerts=[alert("critical", 8, "13.A2.D2 Paper jam in tray 2 area"),
                                  alert("warning", 8, "Paper jam", index="1.2")])
    assert (status, reasons) == (ERROR, ["Paper jam — 13.A2.D2 Paper jam in tray 2 area"])


def test_door_flag_and_close_the_door_alert_are_one_problem():
    status, reasons = run([sup(pct=80)], error_state=["doorOpen"], alerts=[alert("critical", 501, "Close front door")])
    assert (status, reasons) == (ERROR, ["Door open — Close front door"])


def test_low_toner_row_flag_and_alert_are_one_problem():
    status, reasons = run([sup(pct=14)], error_state=["lowToner"], alerts=[alert("warning", 1104, "Toner Low")])
    assert (status, reasons) == (WARNING, ["Black toner 14 %"])  # "Toner Low" says nothing more


def test_an_alert_worse_than_the_supply_row_stays_its_own_problem():
    # the device says a toner is empty; the rows only show cyan low: both are worth reading
    status, reasons = run([sup("1.2", "Cyan Toner", color="cyan", pct=15)], error_state=["noToner"],
                          alerts=[alert("critical", 1101, "Replace black toner")])
    assert (status, reasons) == (ERROR, ["Out of toner — Replace black toner", "Cyan toner 15 %"])


def test_problem_keys_stay_the_same_from_poll_to_poll():
    from tonertrack_tui.core.printer.problems import problem_keys

    first = evaluate(PollResult(target="p", reachable=True, supplies=[sup(pct=14)], error_state=["jammed"],
                                alerts=[alert("critical", 8, "Jam in tray 2", index="1.7")]))
    later = evaluate(PollResult(target="p", reachable=True, supplies=[sup(pct=12)], error_state=["jammed"],
                                alerts=[alert("critical", 8, "Jam in tray 2", index="1.9")]))
    assert problem_keys(first) == problem_keys(later) == ["jam", "supply:1.1"]
