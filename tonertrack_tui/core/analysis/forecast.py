"""Days until a supply runs out (or a waste box is full), from its level history.

The method, step by step (`forecast_levels`):

1. The readings are the stored remaining percentages of one supply (History.supply_levels),
   oldest first, from the last WINDOW_DAYS. A level *state* (-1 no restriction, -2 unknown,
   -3 some remaining) has no number: it is a gap, like a day without a poll. For a
   receptacle (waste box) the stored percentage is the space left (RFC 3805), so the same
   fall towards 0 means "full": the forecast is days until full.
2. One point per UTC day: the day's last reading. That is what History keeps of days older
   than raw_days (compaction), so hourly raw samples and compacted days weigh the same;
   noise is left to the fit (5.). Reading the history, only that line of each day is parsed.
3. Only the days since the last replacement count. A replacement is a rise of at least
   REPLACEMENT_RISE points above the days just before it, confirmed by the day after
   (one glitch day of 100 %, or of 0 % followed by the real level, is no replacement).
4. Quantised levels (many printers report 100, 90, 80 …): a flat run only says "somewhere in
   this step"; what carries information is the moment the level changes. When every change
   is a multiple of QUANTUM_MIN or more (the step, found as the gcd of the changes), each
   change from a to b is a point at the middle of the two days, level (a + b) / 2.
5. A least-squares line through the points; points further than 3 × MAD from it (a glitch
   reading) are dropped once and the line refitted.
6. "Unknown", never a made-up number, when: fewer than MIN_DAYS distinct days since the
   replacement; for stepped levels fewer than two level changes; the line does not fall by
   at least MIN_DECLINE points over the readings or more than MAX_DAYS would be left
   (no measurable decrease); or no reading in the last STALE_DAYS.
7. days_left = the level now (the line at `now`; for stepped levels kept inside the step the
   printer reports) / the rate of fall.

`forecast_supplies` reads a printer's history file once for all its supplies and parses one
line per day (the supplies report forecasts every supply of 1,000 printers); `level_series`
gives every stored reading, like History.supply_levels, for all supplies in one read.
"""

from __future__ import annotations

import bisect
import json
import math
import operator
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

WINDOW_DAYS = 90  # how far back a forecast looks: enough days to see a slow cartridge fall
MIN_DAYS = 3  # distinct UTC days with a reading since the last replacement
MIN_DECLINE = 2.0  # percentage points the fitted line must fall over the readings
MAX_DAYS = 3 * 365  # beyond that "no measurable decrease": nobody orders toner for 2029
STALE_DAYS = 30  # no reading for that long: the forecast would be a guess
REPLACEMENT_RISE = 20  # percentage points up = a new cartridge / an emptied box
QUANTUM_MIN = 5  # changes all multiples of >= 5 points: the printer reports steps
OUTLIER_MADS = 3.0


@dataclass(frozen=True, slots=True)
class Forecast:
    """Days until empty (until full for a receptacle), or why it is unknown."""

    days_left: float | None
    rate_pct_per_day: float | None  # how fast the level falls (space left, for a receptacle)
    samples: int  # readings used (since the last replacement, within the window)
    days: int  # distinct UTC days among them
    since: datetime | None = None  # the first reading used
    reason: str | None = None  # why days_left is None
    receptacle: bool = False
    level_now: float | None = None  # the fitted level at `now`

    @property
    def known(self) -> bool:
        return self.days_left is not None

    @property
    def basis(self) -> str:
        """What the figure rests on, for people ("14 readings over 9 days since 2025-03-01")."""
        if self.samples == 0:
            return "no level readings"
        since = f" since {self.since.date().isoformat()}" if self.since else ""
        return (f"{self.samples} reading{'s' if self.samples != 1 else ''} over "
                f"{self.days} day{'s' if self.days != 1 else ''}{since}")

    @property
    def whole_days(self) -> int | None:
        """Days left rounded down (an order list errs on the early side); None when unknown."""
        return None if self.days_left is None else math.floor(self.days_left + 1e-6)

    def short(self) -> str:
        """'~12 days left', '~40 days until full', '< 1 day left', 'forecast unknown'."""
        if self.days_left is None:
            return "forecast unknown"
        goal = "until full" if self.receptacle else "left"
        if self.days_left <= 0:
            return "full now" if self.receptacle else "empty now"
        if self.days_left < 1:
            return f"< 1 day {goal}"
        n = self.whole_days
        return f"~{n} day{'s' if n != 1 else ''} {goal}"


def unknown(reason: str, *, samples: int = 0, days: int = 0, since: datetime | None = None,
            receptacle: bool = False) -> Forecast:
    return Forecast(None, None, samples, days, since, reason, receptacle)


# ---------------------------------------------------------------- reading the history

DAY_S = 86400.0
_PREFIX = b'{"t":"'


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _iso(t: datetime) -> str:
    return _utc(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch_series(history: Any, printer_id: str, indexes: Iterable[str] | None,
                  start: datetime | None, end: datetime | None) -> dict[str, list[tuple[float, int | None]]]:
    """{supply index: [(UTC seconds, remaining % or None)]}: ONE read of the printer's file.

    Lines outside [start, end) are skipped on their time prefix without parsing JSON (the
    history is one JSON object per line, its time first: core/history.py); so are lines
    without supply levels. Odd lines are parsed in full, torn ones skipped.
    """
    wanted = set(indexes) if indexes is not None else None
    out: dict[str, list[tuple[float, int | None]]] = {i: [] for i in wanted} if wanted else {}
    lo = _iso(start) if start else ""
    hi = _iso(end) if end else "~"
    try:
        data = history.raw(printer_id)
    except ValueError:
        return out
    if start is not None:
        data = data[_seek(data, _utc(start)):]
    stamps: dict[str, float] = {}
    for raw in data.split(b"\n"):
        if raw.startswith(_PREFIX):
            t = raw[6:26].decode("ascii", "replace")
            if t < lo or t >= hi or b'"s":' not in raw:
                continue
        elif not raw:
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a torn line
        if not isinstance(line, dict):
            continue
        t, s = line.get("t"), line.get("s")
        if not isinstance(t, str) or not isinstance(s, dict) or not lo <= t < hi:
            continue
        when = stamps.get(t)
        if when is None:
            try:
                when = stamps[t] = _utc(datetime.fromisoformat(t.replace("Z", "+00:00"))).timestamp()
            except ValueError:
                continue
        for index, value in s.items():
            if (wanted is None or index in wanted) and isinstance(value, list) and len(value) == 3:
                pct = value[2]
                out.setdefault(index, []).append(
                    (when, pct if isinstance(pct, int) and not isinstance(pct, bool) else None))
    return out


def _seek(data: bytes, start: datetime) -> int:
    """Where the first line of the first day >= start's day begins (0 if none is found).

    Sample lines are in time order (History writes them so and compaction keeps it), with
    only imported TonerTrack v2 lines, which carry no levels, before them; so no line
    before that offset holds a level reading at or after `start`.
    """
    tail = data.rfind(_PREFIX)
    if tail < 0:
        return 0
    try:
        last = datetime.fromisoformat(data[tail + 6:tail + 16].decode("ascii")).date()
    except (UnicodeDecodeError, ValueError):
        return 0
    day = start.date()
    while day <= last:
        at = data.find(_PREFIX + day.isoformat().encode())
        if at >= 0:
            return at
        day += timedelta(days=1)
    return 0


_STATE_KEY = b'"s":{'


def _day_states(history: Any, printer_id: str, start: datetime, end: datetime) -> list[tuple[float, dict[str, Any]]]:
    """[(time in days, {index: [level, max, pct]})]: the last supply state of each UTC day in [start, end).

    Only one line per day is parsed: the day's last line that carries the state (a line
    without "s" means nothing changed since the one before it). The lines are found by
    their layout — History writes each sample as compact JSON on one line, its time first:
    `{"t":"<UTC time>",...,"s":{...}}` — with bytes searches, not a parse of every line.
    """
    try:
        data = history.raw(printer_id)
    except ValueError:
        return []
    lo, hi = _iso(start).encode(), _iso(end).encode()
    find, rfind = data.find, data.rfind
    days: list[int] = []  # where each day's first line begins
    pos = _seek(data, start)
    day, last_day = start.date(), _utc(end).date()
    while day <= last_day:
        at = find(_PREFIX + day.isoformat().encode(), pos)
        if at >= 0:
            days.append(at)
            pos = at
        day += timedelta(days=1)
    last: dict[bytes, int] = {}
    for i, begin in enumerate(days):
        stop = days[i + 1] if i + 1 < len(days) else len(data)
        while (at := rfind(_STATE_KEY, begin, stop)) >= 0:  # the day's last line with a state
            line = rfind(b"\n", begin, at) + 1 or begin
            t = data[line + 6:line + 26]
            if data.startswith(_PREFIX, line) and lo <= t < hi:
                last[t[:10]] = line
                break
            stop = line  # after `end` (or odd): the line before it
    raws = []
    for begin in last.values():
        stop = find(b"\n", begin)
        raws.append(data[begin:stop if stop >= 0 else len(data)])
    try:
        lines = json.loads(b"[" + b",".join(raws) + b"]")  # one parse for all the days
    except ValueError:  # a torn line: parse them one by one, skip the bad one
        lines = []
        for raw in raws:
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
    out = []
    for line in lines:
        try:
            out.append((datetime.fromisoformat(line["t"].replace("Z", "+00:00")).timestamp() / DAY_S, line["s"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    out.sort(key=lambda item: item[0])
    return [(t, state) for t, state in out if type(state) is dict]


def _supply_days(states: list[tuple[float, dict[str, Any]]], index: str) -> list[tuple[float, float]]:
    """(time in days, level 0..100) of one supply from `_day_states`; states (-3 …) are gaps."""
    return [(t, 0.0 if p < 0 else 100.0 if p > 100 else float(p)) for t, state in states
            if type(v := state.get(index)) is list and len(v) == 3 and type(p := v[2]) is int]  # a bool is no level


def level_series(history: Any, printer_id: str, indexes: Iterable[str] | None = None, *,
                 start: datetime | None = None,
                 end: datetime | None = None) -> dict[str, list[tuple[datetime, int | None]]]:
    """{supply index: [(time, remaining % or None for a state)]}, every supply from one read.

    The same readings as `History.supply_levels` gives one supply at a time (tests hold
    the two together).
    """
    return {index: [(datetime.fromtimestamp(t, UTC), pct) for t, pct in readings]
            for index, readings in _epoch_series(history, printer_id, indexes, start, end).items()}


# ---------------------------------------------------------------- the forecast


def _daily(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(time in days, level clamped to 0..100) of the last reading of each UTC day.

    `points` are in time order. The last reading is what History keeps of days older than
    raw_days (compaction), so recent and old days are read alike.
    """
    out: list[tuple[float, float]] = []
    day = None
    for t, v in points:
        d = t // DAY_S
        item = (t / DAY_S, 0.0 if v < 0 else 100.0 if v > 100 else float(v))
        if d == day:
            out[-1] = item
        else:
            out.append(item)
            day = d
    return out


def _since_replacement(daily: list[tuple[float, float]]) -> tuple[int, bool]:
    """Where the points after the last confirmed replacement start, and whether there was one.

    A replacement is a rise of REPLACEMENT_RISE points above the highest of the three days
    before it, and the day after it stays at least half that rise up: a glitch day of 0 %
    followed by the real level, or one of 100 % followed by the old level, is no replacement.
    """
    values = [v for _, v in daily]
    if len(values) < 2 or max(map(operator.sub, values[1:], values[:-1])) < REPLACEMENT_RISE:
        return 0, False  # no rise big enough anywhere (the usual case, checked in C)
    start = 0
    replaced = False
    for i in range(1, len(values)):
        v = values[i]
        before = values[i - 1]
        if i - 2 >= start and values[i - 2] > before:
            before = values[i - 2]
        if i - 3 >= start and values[i - 3] > before:
            before = values[i - 3]
        if v >= before + REPLACEMENT_RISE:
            if i + 1 >= len(values) or values[i + 1] >= before + REPLACEMENT_RISE / 2:
                start, replaced = i, True
    return start, replaced


def _step(values: Sequence[float]) -> int:
    """The step the printer reports in (gcd of the changes), 1 when the levels look continuous."""
    g = 0
    for d in set(map(operator.sub, values[1:], values[:-1])):
        if d:
            d = abs(d)
            if d != int(d):
                return 1
            g = math.gcd(g, int(d))
    return g if g >= QUANTUM_MIN else 1


def _fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least squares y = a + b·x; returns (a, b)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return my, 0.0
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sxx
    return my - b * mx, b


def _robust_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares, then once more without the points further than OUTLIER_MADS × MAD away."""
    a, b = _fit(xs, ys)
    if len(xs) < 5:
        return a, b
    residuals = [y - (a + b * x) for x, y in zip(xs, ys, strict=False)]
    mad = statistics.median(abs(r) for r in residuals)
    limit = max(OUTLIER_MADS * mad * 1.4826, 1.0)
    keep = [i for i, r in enumerate(residuals) if abs(r) <= limit]
    if len(keep) == len(xs) or len(keep) < 3:
        return a, b
    return _fit([xs[i] for i in keep], [ys[i] for i in keep])


def _day_text(t_days: float) -> str:
    return datetime.fromtimestamp(t_days * DAY_S, UTC).date().isoformat()


def _forecast(points: list[tuple[float, int | None]], now_s: float, receptacle: bool) -> Forecast:
    """The method of the module docstring on (UTC seconds, remaining % or None) readings."""
    clean = [(t, float(v)) for t, v in points if v is not None and t <= now_s]
    clean.sort()
    if not clean:
        return unknown("no level readings yet (or only states such as 'some remaining')", receptacle=receptacle)
    return _from_daily(_daily(clean), [t for t, _ in clean], now_s, receptacle)


def _from_daily(daily: list[tuple[float, float]], times: list[float] | None, now_s: float,
                receptacle: bool) -> Forecast:
    """Steps 3 to 7 on one point per day (time in days, level); `times` are all reading times (s)."""
    if not daily:
        return unknown("no level readings yet (or only states such as 'some remaining')", receptacle=receptacle)
    now_d = now_s / DAY_S
    n_readings = len(times) if times is not None else len(daily)
    if now_d - daily[-1][0] >= STALE_DAYS:
        return unknown(f"no level reading since {_day_text(daily[-1][0])}", samples=n_readings,
                       receptacle=receptacle)
    first, replaced = _since_replacement(daily)
    if times is None:
        n_readings -= first
        since_d = daily[first][0]
    else:  # every reading from the replacement day on
        cut = bisect.bisect_left(times, (daily[first][0] // 1) * DAY_S)
        n_readings -= cut
        since_d = times[cut] / DAY_S
    daily = daily[first:]
    since = datetime.fromtimestamp(since_d * DAY_S, UTC)
    n_days = len(daily)
    base: dict[str, Any] = dict(samples=n_readings, days=n_days, since=since, receptacle=receptacle)
    if n_days < MIN_DAYS:
        what = f"since the replacement on {since.date().isoformat()}" if replaced else "of level history"
        return unknown(f"{n_days} day{'s' if n_days != 1 else ''} {what}; needs {MIN_DAYS}", **base)
    values = [v for _, v in daily]
    last_v = values[-1]
    step = _step(values)
    if step > 1:
        # the information is in the changes: level (a + b) / 2 between the two days
        xs, ys = [], []
        for (x0, v0), (x1, v1) in zip(daily, daily[1:], strict=False):
            if v1 != v0:
                xs.append((x0 + x1) / 2)
                ys.append((v0 + v1) / 2)
        if len(xs) < 2:
            return unknown(f"the level moves in {step} % steps and changed "
                           f"{'once' if xs else 'never'} since {since.date().isoformat()}; needs two changes", **base)
    else:
        xs, ys = [x for x, _ in daily], values
    a, b = _robust_fit(xs, ys)
    rate = -b
    if rate <= 0 or (step == 1 and rate * (xs[-1] - xs[0]) < MIN_DECLINE):
        return unknown("no measurable decrease", **base)
    level = a + b * now_d
    if step > 1:
        level = min(max(level, last_v - step / 2), last_v + step / 2)  # inside the step the printer reports
    level = 0.0 if last_v <= 0 else max(0.0, min(100.0, level))
    days_left = level / rate
    if days_left > MAX_DAYS:
        return unknown(f"no measurable decrease (more than {MAX_DAYS // 365} years at this rate)", **base)
    return Forecast(days_left, rate, n_readings, n_days, since, None, receptacle, level)


def forecast_levels(readings: Iterable[Any], *, now: datetime, receptacle: bool = False) -> Forecast:
    """A forecast from (time, remaining %) readings — tuples or History SupplySamples — any order.

    `remaining %` None (a level state) is a gap. For a receptacle pass the stored value
    (space left): the answer is then days until full.
    """
    points = []
    for r in readings:
        t, pct = (r.time, r.remaining_pct) if hasattr(r, "remaining_pct") else (r[0], r[1])
        if t is not None and pct is not None and not isinstance(pct, bool):
            points.append((_utc(t).timestamp(), pct))
    return _forecast(points, _utc(now).timestamp(), receptacle)


def _window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=WINDOW_DAYS), now + timedelta(seconds=1)


def forecast_supply(history: Any, printer_id: str, supply_index: str, *, now: datetime,
                    receptacle: bool = False) -> Forecast:
    """The forecast of one supply from the history (the last WINDOW_DAYS)."""
    now = _utc(now)
    states = _day_states(history, printer_id, *_window(now))
    return _from_daily(_supply_days(states, supply_index), None, now.timestamp(), receptacle)


def forecast_supplies(history: Any, printer_id: str, supplies: Iterable[Any], *, now: datetime) -> dict[str, Forecast]:
    """{supply index: Forecast} for a printer's supplies (core.model.Supply): one read of its history."""
    supplies = list(supplies)
    if not supplies:
        return {}
    now = _utc(now)
    states = _day_states(history, printer_id, *_window(now))
    now_s = now.timestamp()
    return {s.index: _from_daily(_supply_days(states, s.index), None, now_s, s.is_receptacle) for s in supplies}
