"""A printer's problems: one per physical problem, in our words, with the device's own words as detail.

A printer says one thing three ways: a jam is the `jammed` error-state bit, a "13.A2.D2
Paper jam in tray 2 area" alert and perhaps a "Paper jam" alert as well; a low black
toner is its supply row at 14 %, the `lowToner` bit and a "Toner Low" alert. Listing
each would make "12 problems on 5 printers" out of six. `find_problems` groups them:

    jam, door, paper, output tray, tray missing, service, maintenance, device offline
        one problem each, worded by us ("Paper jam"), every alert text that says the same
        kept as detail
    toner / ink, waste box, drum
        joined to the worst supply row of that kind when one needs attention ("Black toner
        14 %"); on their own ("Toner low") when no supply row shows it
    any other alert
        a problem of its own, in the device's words

Each problem has a key that stays the same from poll to poll ("jam", "supply:1.2",
"alert:1502:toner cartridge not genuine"), so the inventory can keep when it was first
seen (Printer.problems_since) and the Alerts screen can say "since 15:32".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import mib
from .model import Alert, PollResult, Supply
from .words import ERROR_FLAGS, WARNING_FLAGS, supply_reason

ERROR, WARNING = "error", "warning"
_TOKEN = re.compile(r"[^\W_]+")
# words an alert uses to say what a supply row or our words already say
_SAYS_NOTHING_MORE = frozenset(
    "low almost nearly near empty out of is the a an soon replace order end life full cartridge supply level "
    "warning error alert critical please is has reached".split())


@dataclass(slots=True)
class Problem:
    key: str
    severity: str  # error | warning
    text: str  # our words: "Paper jam", "Cyan toner 8 %"
    details: list[str] = field(default_factory=list)  # the device's own words that say the same

    @property
    def reason(self) -> str:
        """One line: "Paper jam — 13.A2.D2 Paper jam in tray 2 area"."""
        return f"{self.text} — {'; '.join(self.details)}" if self.details else self.text

    def add_detail(self, text: str) -> None:
        """Keep the device's words when they add something ("13.A2.D2", "tray 2", "front door"),
        not when they only say again what our words say ("Magenta toner almost empty")."""
        words = " ".join(text.split())
        folded = words.casefold()
        if not words or any(folded == d.casefold() for d in self.details):
            return
        ours = set(_TOKEN.findall(self.text.casefold())) | _SAYS_NOTHING_MORE
        if set(_TOKEN.findall(folded)) <= ours:
            return
        self.details.append(words)


# error-state flags -> the problem they belong to
_FLAG_GROUP = {
    "jammed": "jam", "doorOpen": "door", "noPaper": "paper", "lowPaper": "paper", "inputTrayEmpty": "paper",
    "noToner": "toner", "lowToner": "toner", "offline": "device-offline", "serviceRequested": "service",
    "overduePreventMaint": "maintenance", "inputTrayMissing": "tray-missing", "outputTrayMissing": "output-missing",
    "outputNearFull": "output", "outputFull": "output", "markerSupplyMissing": "supply-missing",
}
# prtAlertCode -> the problem it belongs to (IANA PrtAlertCodeTC)
_ALERT_GROUP = {
    8: "jam", 3: "door", 5: "door", 18: "door", 501: "door",
    807: "paper", 808: "paper", 801: "tray-missing", 1301: "tray-missing",
    901: "output-missing", 902: "output", 903: "output", 1302: "output", 1303: "output",
    1101: "toner", 1102: "toner", 1103: "toner", 1104: "toner", 1105: "toner", 1106: "toner", 1113: "toner",
    1114: "toner", 1115: "supply-missing",
    1107: "waste", 1108: "waste", 1109: "waste", 1110: "waste",
    1111: "drum", 1112: "drum",
}
# words for a problem that only alerts report
_GROUP_WORDS = {
    "jam": ("Paper jam", "Paper jam"), "door": ("Door open", "Door open"), "paper": ("Out of paper", "Paper low"),
    "toner": ("Out of toner", "Toner low"), "waste": ("Waste box full", "Waste box nearly full"),
    "drum": ("Drum at end of life", "Drum nearly at end of life"), "output": ("Output tray full", "Output tray full"),
    "tray-missing": ("Input tray missing", "Input tray missing"),
    "output-missing": ("Output tray missing", "Output tray missing"),
    "supply-missing": ("A supply is missing", "A supply is missing"),
}
# supply kinds whose alerts and flags join the supply row
_KIND_GROUP = {"toner": "toner", "ink": "toner", "waste": "waste", "drum": "drum"}
# description words for alerts with a generic code
_WORD_GROUPS = (("jam", "jam"), ("door", "door"), ("cover", "door"), ("waste", "waste"), ("toner", "toner"),
                ("ink", "toner"), ("paper", "paper"), ("drum", "drum"))


def _alert_group(alert: Alert) -> str:
    group = _ALERT_GROUP.get(alert.code or 0)
    if group is not None:
        return group
    text = (alert.description or "").casefold()
    for word, group in _WORD_GROUPS:
        if word in text:
            return group
    return f"alert:{alert.code or 0}:{' '.join(text.split())[:80]}"


def _alert_is_problem(alert: Alert) -> bool:
    return alert.code not in mib.ALERT_CODES_NOT_A_PROBLEM and alert.severity != "other"


def find_problems(result: PollResult) -> list[Problem]:
    """The problems of a good poll whose supply severities are set, worst first."""
    supplies = [s for s in result.supplies if s.severity in (ERROR, WARNING)]
    supplies.sort(key=lambda s: (s.severity != ERROR, s.remaining_pct if s.remaining_pct is not None else 101))
    by_supply = {s.index: Problem(f"supply:{s.index}", s.severity, supply_reason(s, result.supplies))
                 for s in supplies}
    worst_of_group: dict[str, Problem] = {}
    for s in supplies:  # worst first: the first of a group is its worst
        group = _KIND_GROUP.get(s.kind)
        if group is not None:
            worst_of_group.setdefault(group, by_supply[s.index])

    groups: dict[str, Problem] = {}

    def into(group: str, severity: str, words: str | None, detail: str | None) -> None:
        """Put a flag (words) or an alert (detail) into its problem. It joins the worst supply
        row of its kind unless it says something worse than that row does."""
        row = worst_of_group.get(group)
        if row is not None and (severity == WARNING or row.severity == ERROR):
            if detail:
                row.add_detail(detail)
            return
        error_words, warning_words = _GROUP_WORDS.get(group, (words or detail or "", words or detail or ""))
        target = groups.get(group)
        if target is None:
            target = groups[group] = Problem(group, severity, words or (error_words if severity == ERROR
                                                                        else warning_words))
        elif severity == ERROR and target.severity != ERROR:
            target.severity = ERROR
            target.text = words or error_words
        if detail:
            target.add_detail(detail)

    for flag in result.error_state:
        words = ERROR_FLAGS.get(flag) or WARNING_FLAGS.get(flag)
        if words is None:
            continue
        severity = ERROR if flag in ERROR_FLAGS else WARNING
        into(_FLAG_GROUP.get(flag, flag), severity, words, None)

    for alert in result.alerts:
        if not _alert_is_problem(alert):
            continue
        severity = ERROR if alert.severity == "critical" else WARNING
        group = _alert_group(alert)
        if group.startswith("alert:"):
            into(group, severity, _alert_words(alert), None)
        else:
            into(group, severity, None, alert.description or None)

    problems = list(by_supply.values()) + list(groups.values())
    if result.device_status == "down" and not any(p.severity == ERROR for p in problems):
        problems.append(Problem("device", ERROR, "Printer reports it is down"))
    elif result.device_status == "warning" and not problems:
        problems.append(Problem("device", WARNING, "Printer reports a warning"))
    problems.sort(key=lambda p: p.severity != ERROR)  # stable: supplies first, then flags, then alerts
    return _unique(problems)


def _alert_words(alert: Alert) -> str:
    text = " ".join((alert.description or "").split()) or _code_words(alert)
    return f"{text} (critical alert)" if alert.severity == "critical" else text


def _code_words(alert: Alert) -> str:
    name = alert.code_name or f"alert code {alert.code}"
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words[:1].upper() + words[1:]


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        folded = p.reason.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(p)
    return out


def problem_keys(result: PollResult) -> list[str]:
    """The keys of the problems a good poll shows."""
    return [p.key for p in find_problems(result)]


def supply_problem_key(supply: Supply) -> str:
    return f"supply:{supply.index}"
