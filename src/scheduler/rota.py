"""A planned day (the rota): its types, its JSON form and its coordinator-readable CSVs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputError
from .inputs import read_file_bytes, shown
from .model import Day, TravelBuffer
from .units import METRES_PER_MILE, format_hhmmss, parse_hhmmss

ROTA_FORMAT = "carerounds.rota/1"


@dataclass(frozen=True)
class PlannedStop:
    """A visit in a worker's shift: times in seconds since midnight, leg from the previous stop."""

    visit_id: str
    client_id: str
    arrival_s: int
    start_s: int
    end_s: int
    travel_s: int
    distance_m: int
    partner: str | None = None


@dataclass(frozen=True)
class PlannedBreak:
    """A break as scheduled."""

    start_s: int
    duration_s: int


@dataclass(frozen=True)
class PlannedShift:
    """One shift of one worker as planned; ``leave_s``/``return_s`` are at the worker's home."""

    worker_id: str
    provider_id: str
    shift: int
    shift_start_s: int
    shift_end_s: int
    travel_mode: str
    leave_s: int
    return_s: int
    stops: tuple[PlannedStop, ...]
    return_travel_s: int
    return_distance_m: int
    breaks: tuple[PlannedBreak, ...] = ()

    @property
    def travel_s(self) -> int:
        """Travel in seconds including the way home."""
        return sum(s.travel_s for s in self.stops) + self.return_travel_s

    @property
    def distance_m(self) -> int:
        """Distance in metres including the way home."""
        return sum(s.distance_m for s in self.stops) + self.return_distance_m

    @property
    def contact_s(self) -> int:
        """Time with clients in seconds."""
        return sum(s.end_s - s.start_s for s in self.stops)


@dataclass(frozen=True)
class VisitOutcome:
    """What became of one input visit: scheduled (with whom, when) or unplaced (why)."""

    visit_id: str
    status: str  # "scheduled" | "unplaced"
    provider_id: str | None
    workers: tuple[str, ...] = ()
    start_s: int | None = None
    end_s: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Rota:
    """A planned day: every shift's stops and every visit's outcome, plus run information."""

    date: dt.date
    shifts: tuple[PlannedShift, ...]
    outcomes: tuple[VisitOutcome, ...]
    run: dict = field(default_factory=dict)

    def outcome(self, visit_id: str) -> VisitOutcome:
        """The outcome of one visit."""
        return {o.visit_id: o for o in self.outcomes}[visit_id]

    @property
    def scheduled(self) -> tuple[VisitOutcome, ...]:
        """Outcomes of visits placed in the rota."""
        return tuple(o for o in self.outcomes if o.status == "scheduled")

    @property
    def unplaced(self) -> tuple[VisitOutcome, ...]:
        """Outcomes of visits that could not be placed."""
        return tuple(o for o in self.outcomes if o.status == "unplaced")


def rota_to_dict(rota: Rota) -> dict:
    """The JSON-ready form of a rota (``carerounds.rota/1``)."""
    shifts = []
    for sh in rota.shifts:
        record = asdict(sh)
        record["stops"] = [{**asdict(s), "arrival": format_hhmmss(s.arrival_s),
                            "start": format_hhmmss(s.start_s), "end": format_hhmmss(s.end_s)}
                           for s in sh.stops]
        record["breaks"] = [{**asdict(b), "start": format_hhmmss(b.start_s)} for b in sh.breaks]
        record.update(leave=format_hhmmss(sh.leave_s), **{"return": format_hhmmss(sh.return_s)},
                      travel_s=sh.travel_s, distance_m=sh.distance_m, contact_s=sh.contact_s)
        shifts.append(record)
    visits = []
    for o in rota.outcomes:
        record = asdict(o)
        record["workers"] = list(o.workers)
        if o.start_s is not None and o.end_s is not None:
            record.update(start=format_hhmmss(o.start_s), end=format_hhmmss(o.end_s))
        visits.append(record)
    return {"format": ROTA_FORMAT, "date": rota.date.isoformat(), "run": rota.run,
            "shifts": shifts, "visits": visits}


def rota_digest(rota: Rota) -> str:
    """SHA-256 of a rota's canonical JSON: its content, whatever the file's layout."""
    text = json.dumps(rota_to_dict(rota), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Bounds of the numbers in a rota: clock times are seconds since midnight of the plan
#: date up to 24:00 (shifts end by midnight), legs at most a day, distances 10,000 km.
_CLOCK_S = (0, 86_400)
_LEG_S = (0, 86_400)
_DISTANCE_M = (0, 10_000_000)
_STATUSES = ("scheduled", "unplaced", "merged")


class _RotaReader:
    """Checks each value of a parsed ``rota.json``; errors name the file and the field path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, where: str, message: str) -> InputError:
        return InputError(message, file=self.file, field=where or None)

    def mapping(self, value: object, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.error(where, f"is {_kind(value)}; expected an object {{...}}")
        return value

    def array(self, record: dict, key: str, where: str) -> list:
        value = self.get(record, key, where)
        if not isinstance(value, list):
            raise self.error(_at(where, key), f"is {_kind(value)}; expected a list [...]")
        return value

    def get(self, record: dict, key: str, where: str) -> object:
        if key not in record:
            raise self.error(_at(where, key), "is missing; the rota is incomplete")
        return record[key]

    def text(self, record: dict, key: str, where: str, *, optional: bool = False,
             choices: tuple[str, ...] = ()) -> str | None:
        value = record.get(key) if optional else self.get(record, key, where)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            raise self.error(_at(where, key), f"is {_kind(value)}; expected a non-empty string")
        if choices and value not in choices:
            raise self.error(_at(where, key), f"{shown(value)} is not one of {', '.join(choices)}")
        return value

    def whole(self, record: dict, key: str, where: str, bounds: tuple[int, int], *,
              optional: bool = False) -> int | None:
        value = record.get(key) if optional else self.get(record, key, where)
        if value is None and optional:
            return None
        # bool is an int in Python; 1e300 and 28800.0 are floats: none is whole seconds
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(_at(where, key), f"is {_kind(value)}; expected a whole number")
        if not bounds[0] <= value <= bounds[1]:
            raise self.error(_at(where, key), f"{shown(str(value), quote=False)} is outside "
                                              f"{bounds[0]}..{bounds[1]}")
        return value

    def clock(self, record: dict, key: str, where: str, *, optional: bool = False) -> int | None:
        """A ``*_s`` clock time, and its ``HH:MM:SS`` twin (``start_s``/``start``) when present."""
        seconds = self.whole(record, key, where, _CLOCK_S, optional=optional)
        twin = key.removesuffix("_s")
        if seconds is not None and twin in record:
            text = record[twin]
            try:
                same = isinstance(text, str) and parse_hhmmss(text) == seconds
            except ValueError:
                same = False
            if not same:
                raise self.error(_at(where, twin), f"{shown(str(text))} does not match {key} "
                                                   f"{seconds} ({format_hhmmss(seconds)}); the "
                                                   f"rota reads {key}, so edit both or neither")
        return seconds

    def stop(self, record: object, where: str) -> PlannedStop:
        p = self.mapping(record, where)
        return PlannedStop(
            visit_id=self._str(p, "visit_id", where), client_id=self._str(p, "client_id", where),
            arrival_s=self._clock(p, "arrival_s", where), start_s=self._clock(p, "start_s", where),
            end_s=self._clock(p, "end_s", where),
            travel_s=self._whole(p, "travel_s", where, _LEG_S),
            distance_m=self._whole(p, "distance_m", where, _DISTANCE_M),
            partner=self.text(p, "partner", where, optional=True))

    def shift(self, record: object, where: str) -> PlannedShift:
        s = self.mapping(record, where)
        stops = self.array(s, "stops", where)
        breaks = self.array(s, "breaks", where)
        return PlannedShift(
            worker_id=self._str(s, "worker_id", where),
            provider_id=self._str(s, "provider_id", where),
            shift=self._whole(s, "shift", where, (1, 1_000)),
            shift_start_s=self._clock(s, "shift_start_s", where),
            shift_end_s=self._clock(s, "shift_end_s", where),
            travel_mode=self._str(s, "travel_mode", where),
            leave_s=self._clock(s, "leave_s", where), return_s=self._clock(s, "return_s", where),
            stops=tuple(self.stop(p, f"{where}.stops[{i}]") for i, p in enumerate(stops)),
            return_travel_s=self._whole(s, "return_travel_s", where, _LEG_S),
            return_distance_m=self._whole(s, "return_distance_m", where, _DISTANCE_M),
            breaks=tuple(self.rest(b, f"{where}.breaks[{i}]") for i, b in enumerate(breaks)))

    def rest(self, record: object, where: str) -> PlannedBreak:
        b = self.mapping(record, where)
        return PlannedBreak(self._clock(b, "start_s", where),
                            self._whole(b, "duration_s", where, _LEG_S))

    def outcome(self, record: object, where: str) -> VisitOutcome:
        v = self.mapping(record, where)
        workers = self.array(v, "workers", where)
        for i, worker in enumerate(workers):
            if not isinstance(worker, str) or not worker:
                raise self.error(f"{where}.workers[{i}]", f"is {_kind(worker)}; expected a "
                                                          "worker id")
        return VisitOutcome(
            self._str(v, "visit_id", where),
            self.text(v, "status", where, choices=_STATUSES) or "",
            self.text(v, "provider_id", where, optional=True), tuple(workers),
            self.clock(v, "start_s", where, optional=True),
            self.clock(v, "end_s", where, optional=True),
            self.text(v, "reason", where, optional=True))

    # the non-optional forms, typed without None
    def _str(self, record: dict, key: str, where: str) -> str:
        return self.text(record, key, where) or ""

    def _whole(self, record: dict, key: str, where: str, bounds: tuple[int, int]) -> int:
        value = self.whole(record, key, where, bounds)
        assert value is not None
        return value

    def _clock(self, record: dict, key: str, where: str) -> int:
        value = self.clock(record, key, where)
        assert value is not None
        return value


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {shown(repr(value), quote=False)}"
    if isinstance(value, str):
        return f"the string {shown(value)}" if value else "an empty string"
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else type(value).__name__


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def read_rota(path: str | Path) -> Rota:
    """Read a ``rota.json`` written by :func:`write_rota_json`, checking every value.

    Numbers must be whole (seconds, metres) and in range, clock times within the day,
    each ``HH:MM:SS`` text equal to its ``*_s`` twin, and every key present.

    Raises
    ------
    InputError
        When the file is missing or unreadable, not JSON, not a carerounds rota, or a
        value is missing, of the wrong type or out of range: naming the file and the
        field (e.g. ``shifts[0].stops[2].start_s``).
    """
    path = Path(path)
    file = path.name
    raw = read_file_bytes(path, not_found="rota file not found")
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"is not a JSON rota: {exc}", file=file) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start})", file=file) from None
    except RecursionError:
        raise InputError("is not a JSON rota: it is nested too deeply", file=file) from None
    except ValueError as exc:  # NaN/Infinity, or an integer of thousands of digits
        raise InputError(f"is not a JSON rota: {exc}", file=file) from None
    if not isinstance(data, dict) or data.get("format") != ROTA_FORMAT:
        raise InputError(f"is not a carerounds rota (expected format {ROTA_FORMAT!r})",
                         file=file, field="format")
    reader = _RotaReader(file)
    date_text = reader.text(data, "date", "")
    try:
        date = dt.date.fromisoformat(date_text or "")
    except ValueError:
        raise reader.error("date", f"{shown(date_text or '')} is not a date YYYY-MM-DD") from None
    run = data.get("run", {})
    reader.mapping(run, "run")
    shifts = tuple(reader.shift(s, f"shifts[{i}]")
                   for i, s in enumerate(reader.array(data, "shifts", "")))
    outcomes = tuple(reader.outcome(v, f"visits[{i}]")
                     for i, v in enumerate(reader.array(data, "visits", "")))
    return Rota(date=date, shifts=shifts, outcomes=outcomes, run=run)




@dataclass(frozen=True)
class RotaSummary:
    """Headline figures of a rota; hours are carer-hours (a double-up counts twice)."""

    visits: int
    placed: int
    unplaced: int
    contact_s: int
    travel_s: int
    distance_m: int
    unplaced_s: int
    unplaced_by_area_s: dict[str, int]
    unplaced_by_service_s: dict[str, int]
    workers_used: int
    workers: int
    overtime_s: int = 0
    waiting_s: int = 0


def summarise(rota: Rota, day: Day) -> RotaSummary:
    """Count placed and unplaced visits and hours, travel, and unplaced hours by area and service."""
    by_area: dict[str, int] = defaultdict(int)
    by_service: dict[str, int] = defaultdict(int)
    unplaced_s = 0
    for o in rota.unplaced:
        visit = day.visit_by_id[o.visit_id]
        seconds = visit.service_s * visit.carers
        unplaced_s += seconds
        by_area[day.client_by_id[visit.client_id].area] += seconds
        by_service[visit.service] += seconds
    used = {sh.worker_id for sh in rota.shifts if sh.stops}
    return RotaSummary(
        visits=len(rota.outcomes), placed=len(rota.scheduled), unplaced=len(rota.unplaced),
        contact_s=sum(sh.contact_s for sh in rota.shifts),
        travel_s=sum(sh.travel_s for sh in rota.shifts if sh.stops),
        distance_m=sum(sh.distance_m for sh in rota.shifts if sh.stops), unplaced_s=unplaced_s,
        unplaced_by_area_s=dict(sorted(by_area.items())),
        unplaced_by_service_s=dict(sorted(by_service.items())),
        workers_used=len(used), workers=len(day.workers),
        overtime_s=sum(max(0, sh.return_s - sh.shift_end_s) for sh in rota.shifts if sh.stops),
        waiting_s=_waiting_s(rota, day))


def _waiting_s(rota: Rota, day: Day) -> int:
    """Idle time at visits before they start, the travel buffer between addresses excluded."""
    buffer = TravelBuffer.of_run(rota.run)
    total = 0
    for sh in rota.shifts:
        previous = None
        for stop in sh.stops:
            client = day.client_by_id.get(stop.client_id)
            owed = buffer.owed(previous, client, stop.travel_s) if client is not None else 0
            total += max(0, stop.start_s - stop.arrival_s - owed)
            previous = client
    return total


def format_summary(summary: RotaSummary) -> str:
    """The printed summary a coordinator reads after a plan."""
    def hours(seconds: int) -> str:
        return f"{seconds / 3600:.1f} h"

    lines = [
        f"Visits placed:   {summary.placed} of {summary.visits}",
        f"Visits unplaced: {summary.unplaced} ({hours(summary.unplaced_s)} of care)",
        f"Contact time:    {hours(summary.contact_s)}",
        f"Travel time:     {hours(summary.travel_s)} ({summary.distance_m / METRES_PER_MILE:.0f} miles)",
        f"Workers used:    {summary.workers_used} of {summary.workers}",
        f"Overtime:        {hours(summary.overtime_s)} past shift ends",
        f"Waiting:         {hours(summary.waiting_s)} at visits before they start",
    ]
    if summary.unplaced_by_area_s:
        lines.append("Unplaced hours by area:    " + ", ".join(
            f"{k} {hours(v)}" for k, v in summary.unplaced_by_area_s.items()))
        lines.append("Unplaced hours by service: " + ", ".join(
            f"{k} {hours(v)}" for k, v in summary.unplaced_by_service_s.items()))
    return "\n".join(lines)


def check_rota_inputs(day: Day, rota: Rota, *, file: str = "rota.json") -> None:
    """Check that a rota was planned from these inputs before anything is drawn from it.

    Raises
    ------
    InputError
        Naming the rota file, the id and the field that does not match the inputs
        (a worker, visit or client not in them, a visit at another client's home, or
        another date).
    """
    hint = "; pass the --inputs folder the rota was planned from"
    if rota.date != day.date:
        raise InputError(f"the rota is for {rota.date.isoformat()} but the inputs were read for "
                         f"{day.date.isoformat()}; use the rota's date", file=file, field="date")
    for sh in rota.shifts:
        if sh.worker_id not in day.worker_by_id:
            raise InputError(f"worker {sh.worker_id!r} is not in workers.csv{hint}", file=file,
                             id=sh.worker_id, field="worker_id")
        for stop in sh.stops:
            visit = day.visit_by_id.get(stop.visit_id)
            if visit is None:
                raise InputError(f"visit {stop.visit_id!r} is not in visits.csv{hint}",
                                 file=file, id=stop.visit_id, field="visit_id")
            if stop.client_id != visit.client_id:
                raise InputError(f"visit {stop.visit_id!r} is for client {visit.client_id!r} in "
                                 f"visits.csv, not {stop.client_id!r}{hint}", file=file,
                                 id=stop.visit_id, field="client_id")
            if stop.partner is not None and stop.partner not in day.worker_by_id:
                raise InputError(f"double-up partner {stop.partner!r} is not in workers.csv{hint}",
                                 file=file, id=stop.visit_id, field="partner")
    for o in rota.outcomes:
        # a visit merged into another is not in the merged day the rota was planned on
        if o.visit_id not in day.visit_by_id and o.status != "merged":
            raise InputError(f"visit {o.visit_id!r} is not in visits.csv{hint}", file=file,
                             id=o.visit_id, field="visit_id")
