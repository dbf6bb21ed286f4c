"""A planned day (the rota): its types, its JSON form and its coordinator-readable CSVs."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputError
from .model import Day
from .units import METRES_PER_MILE, format_hhmm, format_hhmmss

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
        if o.start_s is not None:
            record.update(start=format_hhmmss(o.start_s), end=format_hhmmss(o.end_s))
        visits.append(record)
    return {"format": ROTA_FORMAT, "date": rota.date.isoformat(), "run": rota.run,
            "shifts": shifts, "visits": visits}


def write_rota_json(rota: Rota, path: Path) -> Path:
    """Write ``rota.json``."""
    path.write_text(json.dumps(rota_to_dict(rota), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def read_rota(path: str | Path) -> Rota:
    """Read a ``rota.json`` written by :func:`write_rota_json`.

    Raises
    ------
    InputError
        When the file is missing, not JSON or not a carerounds rota.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("rota file not found", file=path.name) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"is not a JSON rota: {exc}", file=path.name) from None
    if not isinstance(data, dict) or data.get("format") != ROTA_FORMAT:
        raise InputError(f"is not a carerounds rota (expected format {ROTA_FORMAT!r})",
                         file=path.name, field="format")
    try:
        shifts = tuple(
            PlannedShift(
                worker_id=s["worker_id"], provider_id=s["provider_id"], shift=s["shift"],
                shift_start_s=s["shift_start_s"], shift_end_s=s["shift_end_s"],
                travel_mode=s["travel_mode"], leave_s=s["leave_s"], return_s=s["return_s"],
                stops=tuple(PlannedStop(p["visit_id"], p["client_id"], p["arrival_s"],
                                        p["start_s"], p["end_s"], p["travel_s"],
                                        p["distance_m"], p.get("partner")) for p in s["stops"]),
                return_travel_s=s["return_travel_s"], return_distance_m=s["return_distance_m"],
                breaks=tuple(PlannedBreak(b["start_s"], b["duration_s"]) for b in s["breaks"]))
            for s in data["shifts"])
        outcomes = tuple(
            VisitOutcome(v["visit_id"], v["status"], v.get("provider_id"), tuple(v["workers"]),
                         v.get("start_s"), v.get("end_s"), v.get("reason"))
            for v in data["visits"])
        date = dt.date.fromisoformat(data["date"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"rota is incomplete or malformed ({exc!r})", file=path.name) from None
    return Rota(date=date, shifts=shifts, outcomes=outcomes, run=data.get("run", {}))


ROTA_CSV_COLUMNS = ("worker_id", "worker_name", "provider_id", "shift", "seq", "visit_id",
                    "client_id", "client_name", "postcode", "area", "window", "arrival", "start",
                    "end", "duration_min", "travel_min", "distance_km", "double_up_with", "tasks")
UNPLACED_COLUMNS = ("visit_id", "client_id", "provider_id", "service", "area", "duration_min",
                    "reason", "priority", "window_start", "window_end", "carers")


def write_rota_csv(rota: Rota, day: Day, path: Path) -> Path:
    """Write ``rota.csv``: one row per worker per visit, in each worker's visit order."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROTA_CSV_COLUMNS)
        for sh in rota.shifts:
            worker = day.worker_by_id[sh.worker_id]
            for seq, stop in enumerate(sh.stops, start=1):
                visit = day.visit_by_id[stop.visit_id]
                client = day.client_by_id[stop.client_id]
                writer.writerow([
                    sh.worker_id, worker.name, sh.provider_id, sh.shift, seq, stop.visit_id,
                    stop.client_id, client.name, client.postcode, client.area,
                    f"{format_hhmm(visit.window_start_s)}-{format_hhmm(visit.window_end_s)}",
                    format_hhmm(stop.arrival_s), format_hhmm(stop.start_s),
                    format_hhmm(stop.end_s), (stop.end_s - stop.start_s) // 60,
                    round(stop.travel_s / 60, 1), round(stop.distance_m / 1000, 2),
                    stop.partner or "", "; ".join(visit.tasks)])
    return path


def write_unplaced_csv(rota: Rota, day: Day, path: Path) -> Path:
    """Write ``unplaced.csv``: every visit not placed, with its reason."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(UNPLACED_COLUMNS)
        for o in rota.unplaced:
            visit = day.visit_by_id[o.visit_id]
            client = day.client_by_id[visit.client_id]
            writer.writerow([visit.visit_id, visit.client_id, visit.provider_id or "",
                             visit.service, client.area, visit.service_s // 60, o.reason,
                             visit.priority, format_hhmm(visit.window_start_s),
                             format_hhmm(visit.window_end_s), visit.carers])
    return path


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
        waiting_s=sum(s.start_s - s.arrival_s for sh in rota.shifts for s in sh.stops))


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
