"""The fleet as Prometheus metrics, read from the store at scrape time.

A custom collector (`FleetCollector`) turns the inventory's last known state into
metric families; prometheus_client writes the text exposition format, so escaping
label values (backslash, double quote, newline) is the library's job. Device strings
are untrusted: every label value from a device or a user first goes through
`safe_text` (no control characters or escape sequences, bounded length).

Metrics (label `printer` is the printer's address, the key people use; `id` is on
`tonertrack_printer_info` for joins that survive an address change):

    tonertrack_printer_info{printer,id,name,model,serial,location} 1
    tonertrack_printer_up{printer}                       1 = the last poll got an answer
    tonertrack_printer_status{printer,status}            one-hot over OK Warning Error Offline Unknown
    tonertrack_printer_stale{printer}                    1 = last state is from an older poll
    tonertrack_printer_consecutive_failures{printer}
    tonertrack_printer_pages_total{printer}              prtMarkerLifeCount (counter)
    tonertrack_printer_pages_by_kind_total{printer,kind} kind = mono | color: the vendor's split
        (core/printer/counters.py), only where the printer publishes it. A family of its own: a
        kind label on pages_total would make sum(tonertrack_printer_pages_total) count pages twice.
    tonertrack_printer_alerts{printer,severity}          active prtAlertTable rows by severity
    tonertrack_printer_poll_duration_seconds{printer}    of the last good poll
    tonertrack_printer_last_success_timestamp_seconds{printer}
    tonertrack_printer_last_poll_timestamp_seconds{printer}
    tonertrack_supply_remaining_ratio{printer,supply,description,kind,color,class}
        0..1, only for supplies whose level is known. For a receptacle (waste box) it
        is the space left, as RFC 3805 defines the level: 1 - ratio is "how full".
    tonertrack_supply_level_state{printer,supply,description,kind,color,state} 1
        for a level that is a state, not a number: some_remaining, unknown,
        unrestricted, max_unknown (never turned into a made-up ratio)
    tonertrack_printers{status}                          printers per status
    tonertrack_inventory_readable                        0 when printers.json cannot be read
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

from ..inventory.printer import Printer
from ..printer.status import STATUSES
from ..util.textsafe import safe_text
from ..util.timeutil import parse_time

ALERT_SEVERITIES = ("critical", "warning", "warning_binary", "other")
LABEL_LIMIT = 200


def label(value: Any) -> str:
    """A label value fit for Prometheus: readable text, no control characters, bounded."""
    return safe_text(value, limit=LABEL_LIMIT)


def _timestamp(text: str | None) -> float | None:
    when = parse_time(text)
    return when.timestamp() if when else None


def fleet_families(printers: Iterable[Printer] | None) -> list[Metric]:
    """Metric families for these inventory printers (None: the inventory could not be read)."""
    readable = GaugeMetricFamily("tonertrack_inventory_readable",
                                 "1 when printers.json could be read, 0 when it is unreadable or corrupt")
    readable.add_metric([], 0 if printers is None else 1)
    printers = list(printers or [])

    info = GaugeMetricFamily("tonertrack_printer_info", "Printer identity (always 1)",
                             labels=["printer", "id", "name", "model", "serial", "location"])
    up = GaugeMetricFamily("tonertrack_printer_up", "1 when the printer answered its last poll",
                           labels=["printer"])
    status = GaugeMetricFamily("tonertrack_printer_status", "Printer status, one-hot (1 for the current status)",
                               labels=["printer", "status"])
    stale = GaugeMetricFamily("tonertrack_printer_stale", "1 when the last poll failed and the state shown is older",
                              labels=["printer"])
    failures = GaugeMetricFamily("tonertrack_printer_consecutive_failures", "Failed polls in a row",
                                 labels=["printer"])
    pages = CounterMetricFamily("tonertrack_printer_pages", "Lifetime page count (prtMarkerLifeCount)",
                                labels=["printer"])
    pages_by_kind = CounterMetricFamily(
        "tonertrack_printer_pages_by_kind", "Lifetime pages by kind (mono, color), from the vendor's private MIB",
        labels=["printer", "kind"])
    alerts = GaugeMetricFamily("tonertrack_printer_alerts", "Active printer alerts (prtAlertTable) by severity",
                               labels=["printer", "severity"])
    duration = GaugeMetricFamily("tonertrack_printer_poll_duration_seconds", "Duration of the last good poll",
                                 labels=["printer"])
    last_ok = GaugeMetricFamily("tonertrack_printer_last_success_timestamp_seconds",
                                "Unix time of the last poll that got an answer", labels=["printer"])
    last_poll = GaugeMetricFamily("tonertrack_printer_last_poll_timestamp_seconds",
                                  "Unix time of the last poll attempt", labels=["printer"])
    supply_labels = ["printer", "supply", "description", "kind", "color", "class"]
    ratio = GaugeMetricFamily("tonertrack_supply_remaining_ratio",
                              "Supply remaining, 0..1 (receptacles: space left); only supplies with a known level",
                              labels=supply_labels)
    state = GaugeMetricFamily("tonertrack_supply_level_state",
                              "Supply level that is a state rather than a number (some_remaining, unknown, "
                              "unrestricted, max_unknown)",
                              labels=["printer", "supply", "description", "kind", "color", "state"])
    per_status = GaugeMetricFamily("tonertrack_printers", "Printers per status", labels=["status"])
    counts = dict.fromkeys(STATUSES, 0)

    for p in printers:
        printer = label(p.address)
        current = p.status if p.status in STATUSES else "Unknown"
        counts[current] += 1
        result = p.last_poll
        ident = result.identity if result else None
        info.add_metric([printer, label(p.id), label(p.name or (ident and ident.name)),
                         label(p.model), label(p.serial), label(p.location)], 1)
        failed = p.consecutive_failures
        polled = p.last_poll_at
        up.add_metric([printer], 1 if polled and failed == 0 else 0)
        for name in STATUSES:
            status.add_metric([printer, name], 1 if name == current else 0)
        stale.add_metric([printer], 1 if p.stale else 0)
        failures.add_metric([printer], failed)
        if (t := _timestamp(p.last_good_poll_at)) is not None:
            last_ok.add_metric([printer], t)
        if (t := _timestamp(polled)) is not None:
            last_poll.add_metric([printer], t)
        if result is None:
            continue
        if isinstance(result.page_count, int) and result.page_count >= 0:
            pages.add_metric([printer], result.page_count)
        for kind, count in (("mono", result.counters.mono), ("color", result.counters.color)):
            if isinstance(count, int) and count >= 0:
                pages_by_kind.add_metric([printer, kind], count)
        by_severity = dict.fromkeys(ALERT_SEVERITIES, 0)
        for alert in result.alerts:
            by_severity[alert.severity if alert.severity in by_severity else "other"] += 1
        for severity, n in by_severity.items():
            alerts.add_metric([printer, severity], n)
        duration.add_metric([printer], round(result.duration_ms / 1000.0, 6))
        for supply in result.supplies:
            common = [printer, label(supply.index), label(supply.description), label(supply.kind),
                      label(supply.color)]
            if supply.remaining_pct is not None:
                ratio.add_metric(common + [label(supply.class_)], max(0, min(100, supply.remaining_pct)) / 100.0)
            if supply.level_note:
                state.add_metric(common + [label(supply.level_note)], 1)
    for name, n in counts.items():
        per_status.add_metric([name], n)
    return [readable, per_status, info, up, status, stale, failures, pages, pages_by_kind, alerts, duration,
            last_ok, last_poll, ratio, state]


class FleetCollector:
    """A prometheus_client collector that reads the store on every scrape."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        try:
            printers = self.store.load()
        except Exception:  # a corrupt or unreadable printers.json: say so in a metric, do not 500
            printers = None
        yield from fleet_families(printers)

    def describe(self) -> list[Metric]:
        return []  # collected at scrape time; nothing to check at registration


def fleet_registry(store: Any) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(store))
    return registry


def exposition(store: Any) -> bytes:
    """The text exposition format (version 0.0.4) for the whole fleet."""
    from prometheus_client.exposition import generate_latest

    return generate_latest(fleet_registry(store))
