"""Independent checker of a planned week: every day's rules, then the week's.

Each day is checked by :func:`carerounds.scheduler.check.check_rota` against that date's
inputs as derived from the week folder (its shifts and its packages' visits); the week's
rules are re-derived here from the rotas alone, sharing no code with the planner: every
date planned once, each worker's time from leaving home to coming back summed over the
week within their weekly limit (``max_hours_week``, else the limit the rotas record), and
the rest from one day's last return to the next day's first leaving at least the rest the
rotas record (11 hours by default).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from .check import Violation, check_rota
from .packages import Week
from .rota import Rota
from .travel import DayTravel

DAY_S = 24 * 3600
#: The Working Time Regulations' limits, when a rota records none.
DEFAULT_MAX_WEEK_S = 48 * 3600
DEFAULT_REST_S = 11 * 3600


def _recorded(rotas: Sequence[Rota], key: str, default: int, out: list[Violation]) -> int:
    values = set()
    for rota in rotas:
        week = rota.run.get("week")
        values.add(int(week.get(key, default)) if isinstance(week, Mapping) else default)
    if len(values) > 1:
        out.append(Violation("week_rules", "run", f"the days were planned with different "
                                                  f"{key}: {sorted(values)}; plan the week "
                                                  "in one run"))
    return min(values) if values else default


def _hm(seconds: int) -> str:
    day, rest = divmod(seconds, DAY_S)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return text if not day else f"{text} (+{day} day)"


def check_week(week: Week, rotas: Sequence[Rota], travel: DayTravel) -> list[Violation]:
    """Verify a week's rotas against the week's inputs; every violation found (empty if valid).

    Parameters
    ----------
    week : Week
        The inputs, read with :func:`carerounds.scheduler.packages.read_week`.
    rotas : sequence of Rota
        One rota per date of the week.
    travel : DayTravel
        Over every home of the week, as planned with.
    """
    out: list[Violation] = []
    by_date: dict[dt.date, Rota] = {}
    for rota in rotas:
        if rota.date in by_date:
            out.append(Violation("week_days", f"day {rota.date}", "planned twice"))
        by_date[rota.date] = rota
        recorded = rota.run.get("week")
        start = recorded.get("start") if isinstance(recorded, Mapping) else None
        if start != week.start.isoformat():
            out.append(Violation("week_days", f"day {rota.date}", f"rota is not of the week "
                                                                  f"starting {week.start} "
                                                                  f"(records {start!r})"))
    for date in week.dates:
        planned = by_date.get(date)
        if planned is None:
            out.append(Violation("week_days", f"day {date}", "no rota for this date"))
            continue
        for v in check_rota(week.day(date), planned, travel):
            out.append(Violation(v.kind, f"{date} {v.subject}", v.detail))
    extra = sorted(d for d in by_date if d not in week.dates)
    for date in extra:
        out.append(Violation("week_days", f"day {date}", "date is outside the week"))
    days = [by_date[d] for d in week.dates if d in by_date]
    max_week = _recorded(days, "max_week_s", DEFAULT_MAX_WEEK_S, out)
    rest = _recorded(days, "rest_s", DEFAULT_REST_S, out)
    _check_hours_and_rest(week, days, max_week, rest, out)
    return out


def _check_hours_and_rest(week: Week, rotas: Sequence[Rota], max_week_s: int, rest_s: int,
                          out: list[Violation]) -> None:
    worked: dict[str, int] = defaultdict(int)
    spans: dict[str, dict[dt.date, tuple[int, int]]] = defaultdict(dict)
    for rota in rotas:
        for sh in rota.shifts:
            if not sh.stops:
                continue
            worked[sh.worker_id] += sh.return_s - sh.leave_s
            first, last = spans[sh.worker_id].get(rota.date, (sh.leave_s, sh.return_s))
            spans[sh.worker_id][rota.date] = (min(first, sh.leave_s), max(last, sh.return_s))
    for worker_id in sorted(worked):
        worker = week.worker_by_id.get(worker_id)
        limit = max_week_s if worker is None or worker.max_week_s is None else worker.max_week_s
        if worked[worker_id] > limit:
            out.append(Violation("week_hours", f"worker {worker_id}",
                                 f"works {worked[worker_id] / 3600:.2f} h in the week, "
                                 f"limit {limit / 3600:g} h"))
        days = spans[worker_id]
        dates = sorted(days)
        for a, b in zip(dates, dates[1:]):
            if (b - a).days != 1:
                continue
            gap = DAY_S + days[b][0] - days[a][1]
            if gap < rest_s:
                out.append(Violation("week_rest", f"worker {worker_id}",
                                     f"{gap / 3600:.2f} h rest from {a} {_hm(days[a][1])} to "
                                     f"{b} {_hm(days[b][0])}, needs {rest_s / 3600:g} h"))
