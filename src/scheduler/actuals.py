"""Planned against actual: electronic call monitoring records compared with the rota."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError
from .inputs import CsvRow, read_table, shown
from .model import Day, Visit
from .rota import Rota
from .units import format_hhmm

CALLS_COLUMNS = ("visit_id", "worker_id", "check_in", "check_out")
#: Every category a planned or actual visit can fall in, in report order.
CATEGORIES = ("on_time", "late", "early", "short", "no_check_out", "missed", "covered",
              "unplanned", "not_yet_due", "in_progress")
EXCEPTIONS = ("late", "early", "short", "no_check_out", "missed", "unplanned")

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


@dataclass(frozen=True)
class Call:
    """One check-in/check-out record of an electronic call monitoring system.

    Times are seconds since midnight of ``date`` (the check-in's date when the file gave
    ISO datetimes, else ``None``); a check-out after midnight is more than 86 400.
    ``check_out_s`` is ``None`` when the carer did not check out. ``row`` is the line
    in ``file`` (header = line 1).
    """

    visit_id: str
    worker_id: str
    check_in_s: int
    check_out_s: int | None
    date: dt.date | None = None
    file: str = ""
    row: int = 0


def _parse_time(row: CsvRow, field: str, *, required: bool = True) -> tuple[dt.date | None, int] | None:
    value = row.token(field, required=required, what="a time")
    if not value:
        return None
    match = _HHMM.fullmatch(value)
    if match:
        hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hours > 23 or minutes > 59 or seconds > 59:
            raise row.error(field, f"{shown(value)} is not a valid time of day")
        return None, hours * 3600 + minutes * 60 + seconds
    try:
        # fromisoformat reads non-ASCII digits too; the contract is digits 0-9
        if not value.isascii():
            raise ValueError(value)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise row.error(field, f"{shown(value)} is not a time; use HH:MM or an ISO date and "
                               "time such as 2026-11-24T07:35:00") from None
    if moment.tzinfo is not None:
        # call monitoring exports UTC; the rota is in UK local time
        moment = moment.astimezone(_uk_zone()).replace(tzinfo=None)
    return moment.date(), moment.hour * 3600 + moment.minute * 60 + moment.second


def _uk_zone() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


def _call(row: CsvRow) -> Call:
    visit_id, worker_id = row.ident("visit_id"), row.ident("worker_id")
    checked_in = _parse_time(row, "check_in")
    assert checked_in is not None  # required
    day_in, check_in = checked_in
    checked_out = _parse_time(row, "check_out", required=False)
    check_out = None
    if checked_out is not None:
        day_out, check_out = checked_out
        if (day_in is None) != (day_out is None):
            raise row.error("check_out", "check_in and check_out must both be HH:MM or both be "
                                         "ISO datetimes")
        if day_in is not None and day_out is not None:
            check_out += (day_out - day_in).days * 86400
        if check_out < check_in:
            raise row.error("check_out", f"check-out {row.shown_value('check_out')} is before check-in "
                                         f"{row.shown_value('check_in')}")
    return Call(visit_id, worker_id, check_in, check_out, day_in, row.file, row.line)


def read_calls(path: str | Path) -> tuple[Call, ...]:
    """Read a calls file: ``visit_id, worker_id, check_in, check_out`` (UTF-8 CSV, header row).

    Times are ``HH:MM`` (or ``HH:MM:SS``) on the plan date, or ISO datetimes (with an
    offset or ``Z`` they are converted to UK local time). ``check_out`` may be blank
    (no check-out); a check-out earlier than the check-in is an error unless the times
    are ISO datetimes on different dates. The file is read by
    :func:`carerounds.scheduler.inputs.read_table`, with every protection of the day's
    input files (quoting, sizes, encodings, duplicate columns).

    Raises
    ------
    InputError
        Naming the file, row, visit id and field of the first bad record.
    """
    table = read_table(path, required=CALLS_COLUMNS, id_field="visit_id",
                       not_found="calls file not found")
    return tuple(_call(row) for row in table.rows)


@dataclass(frozen=True)
class ActualVisit:
    """One planned carer-visit or one unplanned call, compared.

    Times are seconds since midnight; ``window_*`` are ``None`` without the inputs.
    ``categories`` are from :data:`CATEGORIES`.
    """

    visit_id: str
    worker_id: str
    provider_id: str | None
    client_id: str | None
    window_start_s: int | None
    window_end_s: int | None
    planned_start_s: int | None
    planned_end_s: int | None
    check_in_s: int | None
    check_out_s: int | None
    categories: tuple[str, ...]
    detail: str

    @property
    def start_delta_s(self) -> int | None:
        """Check-in minus planned start, seconds (positive: later than planned)."""
        if self.check_in_s is None or self.planned_start_s is None:
            return None
        return self.check_in_s - self.planned_start_s

    @property
    def in_window(self) -> bool | None:
        """Whether the check-in lies inside the visit's window (``None`` when unknown)."""
        if self.check_in_s is None or self.window_start_s is None or self.window_end_s is None:
            return None
        return self.window_start_s <= self.check_in_s <= self.window_end_s


@dataclass(frozen=True)
class ActualsReport:
    """Planned against actual for a day.

    ``visits`` holds one entry per planned carer-visit (a double-up is two) and one per
    unplanned call. ``by_worker`` and ``by_provider`` count categories.
    """

    visits: tuple[ActualVisit, ...]
    by_worker: dict[str, dict[str, int]]
    by_provider: dict[str, dict[str, int]]
    late_after_s: int
    early_before_s: int
    short_ratio: float
    as_of_s: int | None = None

    def count(self, category: str) -> int:
        """How many entries fall in a category."""
        return sum(1 for v in self.visits if category in v.categories)

    @property
    def punctuality(self) -> float | None:
        """Share of checked-in planned visits whose check-in lies inside the window."""
        known = [v.in_window for v in self.visits if v.in_window is not None
                 and "unplanned" not in v.categories]
        return sum(known) / len(known) if known else None

    @property
    def exceptions(self) -> tuple[ActualVisit, ...]:
        """Entries with any exception category."""
        return tuple(v for v in self.visits if set(v.categories) & set(EXCEPTIONS))


def compare_actuals(day: Day | None, rota: Rota, calls: tuple[Call, ...], *,
                    late_after_s: int = 900, early_before_s: int = 900,
                    short_ratio: float = 0.8, as_of_s: int | None = None) -> ActualsReport:
    """Compare calls with the rota: late, early, short, missed and unplanned visits.

    Each planned carer-visit (visit id, worker) is matched with the calls of that
    worker for that visit (several calls for one visit are joined: first check-in,
    last check-out).

    - ``late``: check-in more than ``late_after_s`` after the window ends (after the
      planned start + ``late_after_s`` when the inputs are not given);
    - ``early``: check-in more than ``early_before_s`` before the window starts (before
      the planned start - ``early_before_s`` without inputs);
    - ``short``: on site less than ``short_ratio`` x the planned duration;
    - ``no_check_out``: checked in, never out;
    - ``missed``: no call for a planned carer-visit and no other worker called for it;
    - ``covered``: no call by the planned worker but another worker called for the visit;
    - ``unplanned``: a call with no planned carer-visit (visit not scheduled, or not for
      this worker);
    - ``on_time``: a planned visit with a check-in and none of the above.

    With ``as_of_s`` (a report during the day) nothing after that time has happened
    yet: calls checked in later are left out and later check-outs read as none, and

    - ``not_yet_due``: no call yet, but the carer can still check in without being
      late (``as_of_s`` is not past the window end + ``late_after_s``; the planned
      start without inputs) -- instead of ``missed``;
    - ``in_progress``: checked in, not yet out, and ``as_of_s`` is not past the planned
      end + ``late_after_s`` -- instead of ``no_check_out`` (not judged short).

    Parameters
    ----------
    day : Day or None
        The inputs, for windows and clients; without them punctuality is against the
        planned start only.
    rota : Rota
    calls : tuple of Call
    late_after_s, early_before_s : int, default 900
        Tolerance in seconds (15 min).
    short_ratio : float, default 0.8
        A visit shorter than this share of its planned duration is short.
    as_of_s : int, optional
        Judge the day as it stood at this time, seconds since midnight; default: the
        day is over.

    Raises
    ------
    InputError
        When a call's ISO date is not the rota's date (naming its file and row).
    """
    if not 0 < short_ratio <= 1:
        raise ValueError(f"short_ratio must be in (0, 1], got {short_ratio}")
    _check_call_dates(rota, calls)
    if as_of_s is not None:
        calls = tuple(c if c.check_out_s is None or c.check_out_s <= as_of_s
                      else replace(c, check_out_s=None) for c in calls if c.check_in_s <= as_of_s)
    planned: dict[tuple[str, str], _Planned] = {}
    for sh in rota.shifts:
        for stop in sh.stops:
            planned[(stop.visit_id, sh.worker_id)] = _Planned(sh.provider_id, stop.start_s,
                                                              stop.end_s, stop.client_id)
    by_slot: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for call in calls:
        by_slot[(call.visit_id, call.worker_id)].append(call)
    visits = day.visit_by_id if day is not None else {}
    rules = _Rules(late_after_s, early_before_s, short_ratio, as_of_s)
    entries = [_planned_entry(visit_id, worker_id, slot, visits.get(visit_id),
                              by_slot.get((visit_id, worker_id), []), calls, rules)
               for (visit_id, worker_id), slot in planned.items()]
    entries += _unplanned_entries(day, rota, visits, planned, by_slot)
    entries.sort(key=lambda e: (e.worker_id, e.planned_start_s if e.planned_start_s is not None
                                else e.check_in_s or 0, e.visit_id))
    by_worker, by_provider = _tally(entries)
    return ActualsReport(tuple(entries), by_worker, by_provider, late_after_s, early_before_s,
                         short_ratio, as_of_s)


@dataclass(frozen=True)
class _Planned:
    """A planned carer-visit: the worker's provider, planned start and end, the client."""

    provider_id: str
    start_s: int
    end_s: int
    client_id: str


@dataclass(frozen=True)
class _Rules:
    late_after_s: int
    early_before_s: int
    short_ratio: float
    as_of_s: int | None = None


def _check_call_dates(rota: Rota, calls: tuple[Call, ...]) -> None:
    for call in calls:
        if call.date is not None and call.date != rota.date:
            raise InputError(f"check-in is on {call.date.isoformat()}, the rota is for "
                             f"{rota.date.isoformat()}", file=call.file, row=call.row,
                             field="check_in", id=call.visit_id)


def _planned_entry(visit_id: str, worker_id: str, slot: _Planned, visit: Visit | None,
                   mine: list[Call], calls: tuple[Call, ...], rules: _Rules) -> ActualVisit:
    """One planned carer-visit against the calls of its worker for it."""
    window_start = visit.window_start_s if visit else None
    window_end = visit.window_end_s if visit else None
    start, end = slot.start_s, slot.end_s
    if not mine:
        others = sorted({c.worker_id for c in calls if c.visit_id == visit_id})
        due_by = (window_end if window_end is not None else start) + rules.late_after_s
        if others:
            cats, detail = ("covered",), f"no call by {worker_id}; called by {', '.join(others)}"
        elif rules.as_of_s is not None and rules.as_of_s <= due_by:
            cats, detail = ("not_yet_due",), (f"no call yet at {format_hhmm(rules.as_of_s)}; "
                                              f"planned {format_hhmm(start)}")
        else:
            cats, detail = ("missed",), f"no call for the visit planned {format_hhmm(start)}"
        return ActualVisit(visit_id, worker_id, slot.provider_id, slot.client_id, window_start,
                           window_end, start, end, None, None, cats, detail)
    check_in = min(c.check_in_s for c in mine)
    outs = [c.check_out_s for c in mine if c.check_out_s is not None]
    check_out = max(outs) if outs else None
    found, notes = _judge(visit, start, end, check_in, check_out, rules)
    if len(mine) > 1:
        notes.append(f"{len(mine)} calls joined")
    return ActualVisit(visit_id, worker_id, slot.provider_id, slot.client_id, window_start,
                       window_end, start, end, check_in, check_out, tuple(found),
                       "; ".join(notes))


def _judge(visit: Visit | None, start: int, end: int, check_in: int, check_out: int | None,
           rules: _Rules) -> tuple[list[str], list[str]]:
    """The categories of a called visit and a note for each exception."""
    cats, notes = [], []
    latest = visit.window_end_s if visit else start
    earliest = visit.window_start_s if visit else start
    if check_in > latest + rules.late_after_s:
        against = "window end" if visit else "planned start"
        cats.append("late")
        notes.append(f"checked in {format_hhmm(check_in)}, {(check_in - latest) // 60} min "
                     f"after the {against} {format_hhmm(latest)}")
    elif check_in < earliest - rules.early_before_s:
        against = "window start" if visit else "planned start"
        cats.append("early")
        notes.append(f"checked in {format_hhmm(check_in)}, {(earliest - check_in) // 60} min "
                     f"before the {against} {format_hhmm(earliest)}")
    if check_out is None and rules.as_of_s is not None and rules.as_of_s <= end + rules.late_after_s:
        cats.append("in_progress")
        notes.append(f"on site since {format_hhmm(check_in)}, planned to {format_hhmm(end)}")
    elif check_out is None:
        cats.append("no_check_out")
        notes.append("no check-out")
    elif check_out - check_in < rules.short_ratio * (end - start):
        cats.append("short")
        notes.append(f"{(check_out - check_in) // 60} min on site of {(end - start) // 60} "
                     f"planned")
    if not cats:
        cats.append("on_time")
    return cats, notes


def _unplanned_entries(day: Day | None, rota: Rota, visits: dict[str, Visit],
                       planned: dict[tuple[str, str], _Planned],
                       by_slot: dict[tuple[str, str], list[Call]]) -> list[ActualVisit]:
    """Calls with no planned carer-visit, each with why it was not planned."""
    worker_provider = {w.worker_id: w.provider_id for w in day.workers} if day else {}
    worker_provider.update({sh.worker_id: sh.provider_id for sh in rota.shifts})
    outcomes = {o.visit_id: o for o in rota.outcomes}
    entries = []
    for (visit_id, worker_id), mine in by_slot.items():
        if (visit_id, worker_id) in planned:
            continue
        outcome = outcomes.get(visit_id)
        visit = visits.get(visit_id)
        if outcome is None:
            why = "visit is not in the rota"
        elif outcome.status != "scheduled":
            why = f"visit is {outcome.status} in the rota"
        else:
            why = f"visit is planned for {', '.join(outcome.workers)}"
        outs = [c.check_out_s for c in mine if c.check_out_s is not None]
        entries.append(ActualVisit(
            visit_id, worker_id, worker_provider.get(worker_id),
            visit.client_id if visit else None,
            visit.window_start_s if visit else None, visit.window_end_s if visit else None,
            None, None, min(c.check_in_s for c in mine), max(outs) if outs else None,
            ("unplanned",), why))
    return entries


def _tally(entries: list[ActualVisit]) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Counts of each category per worker and per provider, every category present."""
    by_worker: dict[str, Counter] = defaultdict(Counter)
    by_provider: dict[str, Counter] = defaultdict(Counter)
    for e in entries:
        for cat in e.categories:
            by_worker[e.worker_id][cat] += 1
            by_provider[e.provider_id or "unknown"][cat] += 1

    def as_dict(table: dict[str, Counter]) -> dict[str, dict[str, int]]:
        return {k: {c: table[k].get(c, 0) for c in CATEGORIES} for k in sorted(table)}

    return as_dict(by_worker), as_dict(by_provider)


def format_actuals(report: ActualsReport) -> str:
    """A readable table for the terminal: counts per worker and provider, then exceptions."""
    shown: tuple[str, ...] = ("on_time",) + EXCEPTIONS + ("covered",)
    head = f"{'':<12}" + "".join(f"{c:>13}" for c in shown)

    def table(title: str, rows: dict[str, dict[str, int]]) -> list[str]:
        lines = [title, head]
        lines += [f"{k:<12}" + "".join(f"{v[c]:>13}" for c in shown) for k, v in rows.items()]
        return lines

    if report.as_of_s is not None:
        shown += ("not_yet_due", "in_progress")
        head = f"{'':<12}" + "".join(f"{c:>13}" for c in shown)
    lines = table("By worker", report.by_worker) + [""] + table("By provider", report.by_provider)
    punctuality = report.punctuality
    if report.as_of_s is not None:
        lines += ["", f"As of {format_hhmm(report.as_of_s)}: {report.count('not_yet_due')} "
                      f"not yet due, {report.count('in_progress')} in progress"]
    lines += ["", "Punctuality: " + ("n/a (no windows: pass --inputs)" if punctuality is None
                                     else f"{punctuality:.0%} of check-ins inside the window")]
    if report.exceptions:
        lines += ["", f"Exceptions ({len(report.exceptions)}):"]
        lines += [f"  {e.visit_id:<10} {e.worker_id:<8} {','.join(e.categories):<18} {e.detail}"
                  for e in report.exceptions]
    return "\n".join(lines)
