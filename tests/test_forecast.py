"""Days-until-empty forecasts on synthetic level series with known answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tonertrack_tui.core.analysis.forecast import (
    MIN_DAYS,
    STALE_DAYS,
    Forecast,
    forecast_levels,
    forecast_supplies,
    forecast_supply,
    level_series,
)
from tonertrack_tui.core.inventory.history import History, Sample
from tonertrack_tui.core.printer.model import Supply

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
PID = "0123456789abcdef0123456789abcdef"


def series(level, days: int, per_day: int = 1, start: datetime = T0):
    """[(time, level(day as float))] for `days` days, `per_day` readings a day; None levels kept (states)."""
    out = []
    for d in range(days):
        for i in range(per_day):
            x = d + i / per_day
            out.append((start + timedelta(days=x), level(x)))
    return out


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_linear_decline_exact():
    fc = forecast_levels(series(lambda x: round(100 - x), 30), now=day(29))
    assert fc.known and fc.days_left == pytest.approx(71.0)
    assert fc.rate_pct_per_day == pytest.approx(1.0)
    assert (fc.samples, fc.days, fc.since) == (30, 30, T0)
    assert fc.short() == "~71 days left"
    assert fc.basis == "30 readings over 30 days since 2025-01-01"


def test_counts_down_from_now_not_from_the_last_reading():
    fc = forecast_levels(series(lambda x: round(100 - 2 * x), 20), now=day(24))  # 5 days without a poll
    assert fc.days_left == pytest.approx(26.0)  # 62 % at day 19, 52 % expected by day 24: 26 days at 2 %


def test_noise_is_averaged_out():
    rng = random.Random(7)
    readings = series(lambda x: round(100 - x + rng.gauss(0, 3)), 40, per_day=4)
    fc = forecast_levels(readings, now=day(39.75))
    # truth: 60.25 % left at 1 %/day
    assert fc.rate_pct_per_day == pytest.approx(1.0, rel=0.1)
    assert fc.days_left == pytest.approx(60.25, rel=0.1)


def test_a_glitch_reading_does_not_tilt_the_line_or_count_as_a_replacement():
    for glitch in (0, 100):
        readings = series(lambda x: round(80 - x), 30)
        readings[15] = (readings[15][0], glitch)
        fc = forecast_levels(readings, now=day(29))
        assert fc.days_left == pytest.approx(51.0), glitch
        assert fc.since == T0, glitch


@pytest.mark.parametrize("rounding", ["round", "floor"])
def test_ten_percent_steps(rounding):
    # true level 100 - 0.5 %/day; the printer reports 100, 90, 80 ... (rounded or cut down)
    def reported(x):
        true = 100 - 0.5 * x
        return int(round(true / 10)) * 10 if rounding == "round" else int(true // 10) * 10

    fc = forecast_levels(series(reported, 60, per_day=24), now=day(59.96))
    truth = (100 - 0.5 * 59.96) / 0.5  # 140 days
    assert fc.rate_pct_per_day == pytest.approx(0.5, rel=0.05)
    # a stepped level is known to half a step: 5 points = 10 days here; a floor-quantising
    # printer makes it err on the early side
    assert truth - 12 <= fc.days_left <= truth + 3


def test_steps_need_two_changes():
    fc = forecast_levels(series(lambda x: int(round((100 - 0.5 * x) / 10)) * 10, 15), now=day(14))
    assert not fc.known and "10 % steps" in fc.reason and "changed once" in fc.reason
    assert fc.short() == "forecast unknown"


def test_replacement_jump_starts_a_new_series():
    def level(x):
        return round(40 - x) if x < 20 else round(100 - 2 * (x - 20))

    fc = forecast_levels(series(level, 30), now=day(29))
    assert fc.since == day(20)
    assert fc.samples == 10
    assert fc.rate_pct_per_day == pytest.approx(2.0)
    assert fc.days_left == pytest.approx(41.0)


def test_just_replaced_is_unknown():
    fc = forecast_levels(series(lambda x: round(40 - x) if x < 28 else 100, 30), now=day(29))
    assert not fc.known
    assert fc.reason == f"2 days since the replacement on 2025-01-29; needs {MIN_DAYS}"


def test_some_remaining_states_are_gaps():
    # every third day the printer says "some remaining" (-3): no number, no fake 0 or 50
    fc = forecast_levels(series(lambda x: None if int(x) % 3 == 1 else round(80 - x), 30), now=day(29))
    assert fc.days_left == pytest.approx(51.0)
    assert fc.samples == 20


def test_gaps_in_the_data():
    readings = [r for r in series(lambda x: round(80 - x), 30) if not 8 <= (r[0] - T0).days < 22]
    fc = forecast_levels(readings, now=day(29))
    assert fc.days_left == pytest.approx(51.0)
    assert fc.days == 16


@pytest.mark.parametrize("readings, reason", [
    ([], "no level readings yet"),
    (series(lambda x: None, 10), "no level readings yet"),
    (series(lambda x: round(80 - x), 2), "2 days of level history; needs 3"),
    (series(lambda x: 50, 30), "no measurable decrease"),
    (series(lambda x: round(50 + 0.2 * x), 30), "no measurable decrease"),  # rising
    (series(lambda x: 50 - (x > 28), 30), "no measurable decrease"),  # 1 point in a month
])
def test_not_enough_data_is_unknown(readings, reason):
    fc = forecast_levels(readings, now=day(29))
    assert fc.days_left is None and fc.rate_pct_per_day is None
    assert fc.reason.startswith(reason)


def test_stale_history_is_unknown():
    fc = forecast_levels(series(lambda x: round(80 - x), 20), now=day(19 + STALE_DAYS))
    assert not fc.known and fc.reason == "no level reading since 2025-01-20"


def test_very_slow_use_is_no_decrease_rather_than_years():
    fc = forecast_levels(series(lambda x: 90 - 0.05 * x, 60), now=day(59))  # 1,700 days
    assert not fc.known and "no measurable decrease" in fc.reason


def test_empty_now():
    fc = forecast_levels(series(lambda x: max(0, round(20 - 2 * x)), 15), now=day(14))
    assert fc.days_left == 0 and fc.short() == "empty now"


def test_receptacle_days_until_full():
    # a waste box: the stored value is the space left (RFC 3805), 60 % -> 1 %/day
    fc = forecast_levels(series(lambda x: round(90 - x), 31), now=day(30), receptacle=True)
    assert fc.days_left == pytest.approx(60.0)
    assert fc.short() == "~60 days until full"
    emptied = forecast_levels(series(lambda x: round(30 - x) if x < 10 else round(100 - 2 * (x - 10)), 30),
                              now=day(29), receptacle=True)
    assert emptied.since == day(10) and emptied.days_left == pytest.approx(31.0)


def test_short_texts():
    assert Forecast(0.4, 1.0, 5, 5).short() == "< 1 day left"
    assert Forecast(1.9, 1.0, 5, 5).short() == "~1 day left"
    assert Forecast(0.0, 1.0, 5, 5, receptacle=True).short() == "full now"


# ---------------------------------------------------------------- from the history files


def supplies_at(black, waste, cyan_state=False):
    return {
        "1.1": {"level": black, "max": 100, "remaining_pct": black, "description": "Black Toner", "kind": "toner"},
        "1.2": {"level": -3 if cyan_state else 40, "max": 100, "remaining_pct": None if cyan_state else 40,
                "description": "Cyan Toner", "kind": "toner"},
        "1.3": {"level": waste, "max": 100, "remaining_pct": waste, "description": "Waste Toner Box", "kind": "waste"},
    }


@pytest.fixture
def hist(tmp_path) -> History:
    h = History(tmp_path / "data", sample_interval_s=3600, raw_days=31)
    today = day(40).date()
    for d in range(40):
        for hour in (8, 14):  # two polls a day: only changes and the first of the day are stored
            t = T0.replace(hour=hour) + timedelta(days=d)
            h.append([Sample(PID, t, 1000 + 100 * d, supplies_at(90 - d, 80 - d // 2, cyan_state=d % 2 == 0))],
                     today=today)
    return h


def test_level_series_reads_what_supply_levels_reads(hist):
    start = day(10)
    one_pass = level_series(hist, PID, start=start)
    for index in ("1.1", "1.2", "1.3"):
        expected = [(s.time, s.remaining_pct) for s in hist.supply_levels(PID, index, start=start)]
        assert one_pass[index] == expected
        assert expected
    assert level_series(hist, "f" * 32, ["1.1"]) == {"1.1": []}


def test_forecast_from_history(hist):
    now = day(39).replace(hour=14)
    black = forecast_supply(hist, PID, "1.1", now=now)
    assert black.days_left == pytest.approx(51.0, abs=0.5)
    supplies = [Supply("1.1", "Black Toner", "toner", "toner", "consumed", "percent", "black", 51, 100, 51, None),
                Supply("1.2", "Cyan Toner", "toner", "toner", "consumed", "percent", "cyan", 40, 100, 40, None),
                Supply("1.3", "Waste", "wasteToner", "waste", "receptacle", "percent", None, 61, 100, 61, None)]
    all_three = forecast_supplies(hist, PID, supplies, now=now)
    assert all_three["1.1"] == black
    assert all_three["1.2"].reason == "no measurable decrease"  # 40 % on odd days, a state on even ones
    assert all_three["1.3"].receptacle and all_three["1.3"].days_left == pytest.approx(122, abs=3)
