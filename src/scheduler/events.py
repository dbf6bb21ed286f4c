"""What happened since the rota was published: ``events.csv`` and added visits, read and validated.

``events.csv`` has the columns ``event, worker_id, visit_id, at, until, minutes`` and one
row per event (see :data:`EVENT_KINDS`):

====================== ======================= ===================================================
event                  fields                  meaning
====================== ======================= ===================================================
``worker_unavailable`` worker_id, [at], [until] no visits from ``at`` (default: the re-plan time)
                                               until ``until`` (default: the end of the day)
``worker_late``        worker_id, minutes, [at] the worker leaves home ``minutes`` later than the
                                               rota says, for the round under way or next at
                                               ``at`` (default: the re-plan time)
``visit_cancelled``    visit_id                the visit does not take place
``visit_overrun``      visit_id, minutes       the visit takes ``minutes`` longer than booked
====================== ======================= ===================================================

A field an event does not use must be blank, so a value in the wrong column is an error
rather than silently ignored. Times are ``HH:MM``; minutes whole numbers (1 to 720).
Added visits (``--add-visits``) are rows in the ``visits.csv`` format whose clients are in
``clients.csv``. Every error names the file, row and field, as for the day's inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from .inputs import _records, read_visits
from .model import Day, SourceFile, Visit
from .rota import PlannedStop, Rota
from .travel import DayTravel
from .units import format_hhmm, parse_hhmm

__all__ = ["EVENT_COLUMNS", "EVENT_KINDS", "Event", "ResolvedEvents", "check_overruns",
           "fixed_visits", "parse_replan_time", "read_added_visits", "read_events", "released_by",
           "replan_day_inputs", "resolve_events", "with_added_visits"]

EVENT_KINDS = ("worker_unavailable", "worker_late", "visit_cancelled", "visit_overrun")
EVENT_COLUMNS = ("event", "worker_id", "visit_id", "at", "until", "minutes")
#: The fields each event uses (required ones first); every other field must be blank.
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "worker_unavailable": (("worker_id",), ("at", "until")),
    "worker_late": (("worker_id", "minutes"), ("at",)),
    "visit_cancelled": (("visit_id",), ()),
    "visit_overrun": (("visit_id", "minutes"), ()),
}
#: The end of the plan date, the default ``until`` of an absence.
END_OF_DAY_S = 24 * 3600
#: Largest ``minutes`` an event may give (12 hours).
MAX_MINUTES = 720
#: Source name under which added visits are recorded among a rota's inputs.
ADDED_PREFIX = "add-visits:"


@dataclass(frozen=True)
class Event:
    """One thing that happened since the rota was published.

    Parameters
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    worker_id, visit_id : str, optional
        The worker (worker events) or the visit (visit events).
    at_s : int, optional
        Seconds since midnight; ``None`` means the re-plan time.
    until_s : int, optional
        End of an absence; ``None`` means the end of the day.
    minutes : int, optional
        Lateness or overrun in minutes.
    file, row : str, int
        Where the event was read (for messages); ``row`` 0 for an event built in code.

    Raises
    ------
    ValueError
        When a field the kind needs is missing, one it does not use is set, or the
        times or minutes are out of range.
    """

    kind: str
    worker_id: str | None = None
    visit_id: str | None = None
    at_s: int | None = None
    until_s: int | None = None
    minutes: int | None = None
    file: str = ""
    row: int = 0

    def __post_init__(self) -> None:
        if self.kind not in _FIELDS:
            raise ValueError(f"unknown event {self.kind!r}; expected one of {', '.join(EVENT_KINDS)}")
        required, optional = _FIELDS[self.kind]
        values = {"worker_id": self.worker_id, "visit_id": self.visit_id, "at": self.at_s,
                  "until": self.until_s, "minutes": self.minutes}
        for name, value in values.items():
            if name in required and value is None:
                raise ValueError(f"{self.kind} needs {name}")
            if name not in required + optional and value is not None:
                raise ValueError(f"{self.kind} does not use {name}; leave it blank")
        if self.minutes is not None and not 1 <= self.minutes <= MAX_MINUTES:
            raise ValueError(f"minutes must be 1..{MAX_MINUTES}, got {self.minutes}")
        if self.until_s is not None and self.at_s is not None and self.until_s <= self.at_s:
            raise ValueError("until must be after at")

    @property
    def extra_s(self) -> int:
        """The lateness or overrun in seconds (0 for other events)."""
        return 60 * (self.minutes or 0)

    @property
    def where(self) -> str:
        """``events.csv row 3``, the file alone, or ``event`` for one built in code."""
        return f"{self.file} row {self.row}" if self.row else (self.file or "event")

    def describe(self) -> str:
        """The event in words, e.g. ``W003 unavailable from 10:30 (events.csv row 2)``."""
        at = "the re-plan time" if self.at_s is None else format_hhmm(self.at_s)
        if self.kind == "worker_unavailable":
            until = "" if self.until_s is None else f" until {format_hhmm(self.until_s)}"
            text = f"{self.worker_id} unavailable from {at}{until}"
        elif self.kind == "worker_late":
            text = f"{self.worker_id} {self.minutes} min late"
        elif self.kind == "visit_cancelled":
            text = f"visit {self.visit_id} cancelled"
        else:
            text = f"visit {self.visit_id} overruns by {self.minutes} min"
        return f"{text} ({self.where})"

    def to_record(self) -> dict:
        """The event as recorded in a rota's run information (JSON-ready)."""
        record = {k: v for k, v in asdict(self).items() if k not in ("file", "row")}
        record.update(where=self.where)
        return record

    @classmethod
    def from_record(cls, record: Mapping) -> Event:
        """The event a run record describes (inverse of :meth:`to_record`, without its row)."""
        return cls(str(record.get("kind")), worker_id=record.get("worker_id"),
                   visit_id=record.get("visit_id"), at_s=record.get("at_s"),
                   until_s=record.get("until_s"), minutes=record.get("minutes"))

    def same_as(self, other: Event) -> bool:
        """Equal apart from where each was read."""
        return replace(self, file="", row=0) == replace(other, file="", row=0)


def read_events(path: str | Path, day: Day) -> tuple[Event, ...]:
    """Read ``events.csv`` and check every id against the day.

    Parameters
    ----------
    path : str or Path
        The events file (UTF-8 CSV with a header row, columns :data:`EVENT_COLUMNS`).
    day : Day
        The day re-planned (with any added visits), for worker and visit ids.

    Returns
    -------
    tuple of Event
        In file order.

    Raises
    ------
    InputError
        Naming the file, row and field: unknown event, missing or misplaced field, bad
        time or number, unknown worker or visit, overlapping absences of one worker, or
        two events about one visit.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("events file not found", file=path.name)
    _, rows = _records(path.parent, path.name, id_field="worker_id", required=EVENT_COLUMNS)
    events: list[Event] = []
    about_visit: dict[str, int] = {}
    for row in rows:
        row.id = row.text("visit_id", required=False) or row.text("worker_id", required=False) \
            or None
        kind = row.choice("event", EVENT_KINDS)
        assert kind is not None  # required
        required, optional = _FIELDS[kind]
        for name in EVENT_COLUMNS[1:]:
            if name not in required + optional and row.text(name, required=False):
                raise row.error(name, f"{kind} does not use {name}; leave it blank")
        fields: dict[str, Any] = {}
        for name in required + optional:
            if name in ("worker_id", "visit_id"):
                fields[name] = row.ident(name, required=name in required) or None
            elif name == "minutes":
                fields[name] = row.whole(name, low=1, high=MAX_MINUTES)
            elif row.text(name, required=False):
                fields[name + "_s"] = row.time_s(name)
        worker, visit = fields.get("worker_id"), fields.get("visit_id")
        if worker is not None and worker not in day.worker_by_id:
            raise row.error("worker_id", f"unknown worker {worker!r}; it is not in workers.csv")
        if visit is not None:
            if visit not in day.visit_by_id:
                raise row.error("visit_id", f"unknown visit {visit!r}; it is not in visits.csv "
                                            "or the added visits")
            if visit in about_visit:
                raise row.error("visit_id", f"visit {visit!r} already has an event on row "
                                            f"{about_visit[visit]}; give one event per visit")
            about_visit[visit] = row.line
        try:
            event = Event(kind, file=path.name, row=row.line, **fields)
        except ValueError as exc:
            raise row.error("until" if "until" in str(exc) else "event", str(exc)) from None
        _check_overlap(event, events, row)
        events.append(event)
    return tuple(events)


def _check_overlap(event: Event, earlier: list[Event], row) -> None:
    """Two absences of one worker must not overlap; a worker is late once per round."""
    for other in earlier:
        if other.worker_id != event.worker_id or other.kind != event.kind:
            continue
        if event.kind == "worker_late" and other.at_s == event.at_s:
            raise row.error("worker_id", f"worker {event.worker_id!r} is already late on row "
                                         f"{other.row}; give one lateness per round")
        if event.kind == "worker_unavailable":
            lo_a, hi_a = event.at_s or 0, event.until_s or END_OF_DAY_S
            lo_b, hi_b = other.at_s or 0, other.until_s or END_OF_DAY_S
            if lo_a < hi_b and lo_b < hi_a:
                raise row.error("at", f"overlaps the absence of {event.worker_id} on row "
                                      f"{other.row}; give one row per absence")


def read_added_visits(path: str | Path, day: Day) -> tuple[SourceFile, tuple[Visit, ...]]:
    """Read visits to add (``visits.csv`` format; clients and providers from the day).

    Returns
    -------
    (SourceFile, tuple of Visit)
        The file as recorded among the rota's inputs (named ``add-visits:<file name>``)
        and its visits.

    Raises
    ------
    InputError
        As for ``visits.csv``, and for a visit id the day already has.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("added visits file not found", file=path.name)
    source, visits = read_visits(path.parent, day.client_by_id, day.provider_by_id,
                                 name=path.name)
    for visit in visits:
        if visit.visit_id in day.visit_by_id:
            raise InputError(f"visit id {visit.visit_id!r} is already in visits.csv; give the "
                             "added visit a new id", file=path.name, row=visit.row,
                             field="visit_id", id=visit.visit_id)
    return replace(source, name=ADDED_PREFIX + source.name), visits


def with_added_visits(day: Day, source: SourceFile | None, visits: tuple[Visit, ...]) -> Day:
    """The day with visits added after it was planned (recorded among its sources)."""
    if source is None:
        return day
    return replace(day, visits=day.visits + visits, sources=day.sources + (source,))


# ---- events against the published rota ----------------------------------------------------


@dataclass
class ResolvedEvents:
    """The events resolved against the rota and the re-plan time.

    ``absences`` maps a worker to ``(from_s, until_s, event)`` intervals (with those an
    earlier re-plan of the rota recorded), ``late`` a ``(worker, shift number)`` to the
    time the worker now leaves home, ``cancelled`` and ``overrun_s`` a visit to its new
    event and extra seconds; ``carried_*`` are the cancellations and overruns an earlier
    re-plan already applied (the rota's times include them).
    """

    absences: dict[str, list[tuple[int, int, Event]]] = field(default_factory=dict)
    late: dict[tuple[str, int], tuple[int, Event]] = field(default_factory=dict)
    cancelled: dict[str, Event] = field(default_factory=dict)
    overrun_s: dict[str, int] = field(default_factory=dict)
    carried_cancelled: set[str] = field(default_factory=set)
    carried_overrun_s: dict[str, int] = field(default_factory=dict)
    late_from: dict[tuple[str, int], int] = field(default_factory=dict)

    def extra_s(self, visit_id: str) -> int:
        """Every overrun of a visit so far, seconds."""
        return self.carried_overrun_s.get(visit_id, 0) + self.overrun_s.get(visit_id, 0)

    def record(self) -> dict:
        """What the next re-plan of the new rota must carry: absences, cancellations, overruns.

        A late start is carried as an absence from the shift's start until the new time.
        """
        absences = [{"worker_id": w, "from_s": lo, "until_s": hi, "why": e.describe()}
                    for w, spans in sorted(self.absences.items()) for lo, hi, e in spans]
        absences += [{"worker_id": w, "from_s": self.late_from[(w, n)], "until_s": t,
                      "why": e.describe()} for (w, n), (t, e) in sorted(self.late.items())]
        extra = {v: self.extra_s(v) for v in sorted(set(self.carried_overrun_s) | set(self.overrun_s))}
        return {"absences": absences,
                "cancelled": sorted(self.carried_cancelled | set(self.cancelled)),
                "overrun_s": extra}

    def absent(self, worker_id: str, when_s: int) -> Event | None:
        """The absence of a worker at a time (``from_s <= when_s < until_s``), if any."""
        for lo, hi, event in self.absences.get(worker_id, ()):
            if lo <= when_s < hi:
                return event
        return None


def _carried(base: Rota) -> ResolvedEvents:
    """What earlier re-plans of the rota recorded: absences, cancellations, overruns."""
    record = base.run.get("replan") or {}
    out = ResolvedEvents(carried_cancelled=set(record.get("cancelled") or ()),
                         carried_overrun_s={k: int(v) for k, v in
                                            (record.get("overrun_s") or {}).items()})
    for a in record.get("absences") or ():
        until = int(a["until_s"])
        event = Event("worker_unavailable", worker_id=a["worker_id"], at_s=int(a["from_s"]),
                      until_s=None if until >= END_OF_DAY_S else until,
                      file="an earlier re-plan")
        out.absences.setdefault(a["worker_id"], []).append((int(a["from_s"]), until, event))
    return out


def _error(event: Event, field: str, message: str) -> InputError:
    return InputError(message, file=event.file, row=event.row or None, field=field,
                      id=event.visit_id or event.worker_id)


def resolve_events(day: Day, base: Rota, events: Sequence[Event], at_s: int) -> ResolvedEvents:
    """Absences, late rounds, cancellations and overruns, checked against the rota.

    Raises
    ------
    InputError
        Naming the event's file, row and field: lateness for a worker with no shift
        left, or reported after the rota has the worker finish a visit of that round.
    """
    out = _carried(base)
    shifts = {(sh.worker_id, sh.shift): sh for sh in base.shifts}
    for event in events:
        if event.kind == "worker_unavailable":
            assert event.worker_id is not None
            lo = at_s if event.at_s is None else event.at_s
            hi = END_OF_DAY_S if event.until_s is None else event.until_s
            if hi <= lo:
                raise _error(event, "until", f"ends at {format_hhmm(hi)}, before the absence "
                                             f"starts at {format_hhmm(lo)}")
            out.absences.setdefault(event.worker_id, []).append((lo, hi, event))
        elif event.kind == "worker_late":
            assert event.worker_id is not None
            when = at_s if event.at_s is None else event.at_s
            worker = day.worker_by_id[event.worker_id]
            number = next((n for n, s in enumerate(worker.shifts, 1) if s.end_s > when), None)
            if number is None:
                raise _error(event, "at", f"{worker.worker_id} has no shift ending after "
                                          f"{format_hhmm(when)}; nothing to be late for")
            sh = shifts.get((worker.worker_id, number))
            leave = sh.leave_s if sh is not None and sh.stops else \
                worker.shifts[number - 1].start_s
            done = [s for s in (sh.stops if sh else ()) if s.end_s <= at_s]
            if done:
                raise _error(event, "at", f"the rota has {worker.worker_id} finish visit "
                                          f"{done[0].visit_id} at {format_hhmm(done[0].end_s)}, "
                                          f"before the re-plan at {format_hhmm(at_s)}; report "
                                          "lateness by re-planning before the round gets that "
                                          "far, or record what happened as visit_overrun")
            out.late[(worker.worker_id, number)] = (leave + event.extra_s, event)
            out.late_from[(worker.worker_id, number)] = worker.shifts[number - 1].start_s
        elif event.kind == "visit_cancelled":
            assert event.visit_id is not None
            if event.visit_id in out.carried_cancelled:
                raise _error(event, "visit_id", f"visit {event.visit_id} is already cancelled "
                                                "in the rota")
            out.cancelled[event.visit_id] = event
        else:
            assert event.visit_id is not None
            out.overrun_s[event.visit_id] = event.extra_s
    return out


def released_by(ev: ResolvedEvents, worker_id: str, number: int, stop: PlannedStop) -> Event | None:
    """The event that says a planned stop did not (or will not) happen as planned.

    The worker is late for its round, or absent when it starts (a visit under way when
    an absence begins is finished first).
    """
    late = ev.late.get((worker_id, number))
    if late is not None:
        return late[1]
    return ev.absent(worker_id, stop.start_s)


def fixed_visits(base: Rota, ev: ResolvedEvents, at_s: int, events: Sequence[Event]
                  ) -> tuple[set[str], dict[str, Event]]:
    """Visits kept as they were, and visits the events released (with the event).

    A visit is kept when the rota started every carer of it before ``at_s`` and no
    event says it did not happen as planned (its worker absent, or late for that round).

    Raises
    ------
    InputError
        When an event cancels a kept visit (one under way or done).
    """
    entries: dict[str, list[tuple[str, int, PlannedStop]]] = defaultdict(list)
    for sh in base.shifts:
        for stop in sh.stops:
            entries[stop.visit_id].append((sh.worker_id, sh.shift, stop))
    fixed: set[str] = set()
    released: dict[str, Event] = {}
    for visit_id, parts in entries.items():
        why = [e for e in (released_by(ev, w, n, s) for w, n, s in parts) if e is not None]
        if why:
            released[visit_id] = why[0]
        elif all(s.start_s < at_s for _, _, s in parts):
            fixed.add(visit_id)
    by_visit = {e.visit_id: e for e in events if e.visit_id}
    for visit_id in fixed & set(ev.cancelled):
        start = entries[visit_id][0][2].start_s
        raise _error(by_visit[visit_id], "visit_id",
                     f"visit {visit_id} started at {format_hhmm(start)}, before the re-plan at "
                     f"{format_hhmm(at_s)}; a visit under way or done cannot be cancelled")
    return fixed - set(ev.cancelled), released


def check_overruns(base: Rota, ev: ResolvedEvents, fixed: set[str], events: Sequence[Event],
                    travel: DayTravel) -> None:
    """An overrun of a visit under way must not run into the next visit already started.

    Raises
    ------
    InputError
        Naming the overrun's row and its ``minutes``.
    """
    by_visit = {e.visit_id: e for e in events if e.kind == "visit_overrun"}
    for sh in base.shifts:
        for stop, nxt in zip(sh.stops, sh.stops[1:]):
            extra = ev.overrun_s.get(stop.visit_id, 0)
            if not extra or stop.visit_id not in fixed or nxt.visit_id not in fixed:
                continue
            seconds = travel.matrices[sh.travel_mode].duration_s
            leg = int(seconds[travel.location("client", stop.client_id),
                              travel.location("client", nxt.client_id)])
            if stop.end_s + extra + leg > nxt.start_s:
                raise _error(by_visit[stop.visit_id], "minutes",
                             f"visit {stop.visit_id} would end at "
                             f"{format_hhmm(stop.end_s + extra)}, too late for "
                             f"{sh.worker_id}'s next visit {nxt.visit_id}, which the rota "
                             f"started at {format_hhmm(nxt.start_s)}, before the re-plan; "
                             "re-plan from a time before that visit started")


def parse_replan_time(text: str) -> int:
    """The re-plan time ``HH:MM`` in seconds since midnight (InputError naming ``--at``)."""
    try:
        return parse_hhmm(text)
    except ValueError as exc:
        raise InputError(str(exc), field="--at") from None


def replan_day_inputs(day: Day, rota: Rota, add_visits: str | Path | None, *,
                      rota_file: str = "rota.json") -> Day:
    """The day a re-plan works on (or is checked against): the inputs plus any added visits.

    Raises
    ------
    InputError
        When ``rota`` is a re-plan that added visits and ``add_visits`` is not given, or
        the date of the inputs is not the rota's.
    """
    if day.date != rota.date:
        raise InputError(f"the rota is for {rota.date.isoformat()} but the inputs were read for "
                         f"{day.date.isoformat()}; leave --date out", file=rota_file,
                         field="date")
    added = (rota.run.get("replan") or {}).get("added_visits")
    if add_visits:
        day = with_added_visits(day, *read_added_visits(add_visits, day))
        missing = [v for v in added or () if v not in day.visit_by_id]
        if missing:
            raise InputError(f"the rota added visit(s) {', '.join(missing[:3])}; the file must "
                             "list every visit added today", file=Path(add_visits).name,
                             field="visit_id")
        return day
    if added:
        raise InputError(f"the rota is a re-plan that added {len(added)} visit(s) "
                         f"({', '.join(added[:3])}); pass the same --add-visits FILE",
                         file=rota_file, field="replan")
    return day
