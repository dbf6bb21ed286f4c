"""The rest of the day: where each shift continues, and the routing problem of what is left.

:func:`rest_problem` turns a published rota, the events resolved against it
(:mod:`.events`) and the re-plan time into a :class:`~carerounds.routing.Problem` of the
visits still open and the shifts still to come. Each shift becomes a vehicle that starts
where and when the kept past leaves its worker (:class:`Round`): at the last visit kept
(bound there by an *anchor*, a zero-length job at that place and time only this shift
may serve, so its hours and breaks count from the past it continues), or at home.
Absences end a shift early or become a fixed break; the break owed on a long shift is
kept in what is left of its window; maximum hours shrink by the time already worked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from ..routing import Break, Job, Link, Problem, Vehicle
from .build import BuiltProblem, PlanOptions, build_problem, shift_breaks
from .events import Event, ResolvedEvents
from .model import BreakRule, Day, Shift, Visit
from .rota import PlannedBreak, PlannedShift, PlannedStop, Rota
from .travel import DayTravel
from .units import format_hhmm

__all__ = ["ANCHOR", "Rest", "Round", "rest_problem"]

#: A skill only one vehicle has: binds a continuation anchor to its shift.
ANCHOR = "\x00anchor:"


@dataclass
class Round:
    """One worker shift: the part kept, and where and when the rest may continue."""

    worker_id: str
    number: int
    shift: Shift
    mode: str
    home: int
    fixed: list[PlannedStop]
    fixed_breaks: list[PlannedBreak]
    leave_s: int
    location: int
    free_s: int
    end_s: int
    breaks: list[Break]
    base: PlannedShift | None = None

    @property
    def anchored(self) -> bool:
        """The shift is under way: the rest starts exactly where and when the past ends."""
        return bool(self.fixed)

    @property
    def closed(self) -> bool:
        """Nothing more can be done in this shift."""
        return self.free_s >= self.end_s


def _relegged(day: Day, travel: DayTravel, mode: str, home: int, stops: list[PlannedStop],
              ev: ResolvedEvents) -> list[PlannedStop]:
    """Kept stops with legs measured from the previous kept stop and overruns applied."""
    seconds = travel.matrices[mode].duration_s
    metres = travel.matrices[mode].distance_m
    out, place, ready = [], home, None
    for stop in stops:
        target = travel.location("client", stop.client_id)
        leg = int(seconds[place, target])
        arrival = stop.arrival_s if ready is None else max(stop.arrival_s,
                                                           min(stop.start_s, ready + leg))
        end = stop.end_s + ev.overrun_s.get(stop.visit_id, 0)
        out.append(replace(stop, arrival_s=arrival, end_s=end, travel_s=leg,
                           distance_m=int(metres[place, target])))
        place, ready = target, end
    return out


def _round(day: Day, travel: DayTravel, base_sh: PlannedShift | None, worker_id: str,
           number: int, fixed: set[str], ev: ResolvedEvents, at_s: int,
           options: PlanOptions) -> Round:
    """Where and when one shift continues, its end and the breaks it still owes."""
    worker = day.worker_by_id[worker_id]
    shift = worker.shifts[number - 1]
    home = travel.location("worker", worker_id)
    stops = list(base_sh.stops) if base_sh else []
    kept = _relegged(day, travel, worker.travel_mode, home,
                     [s for s in stops if s.visit_id in fixed], ev)
    late = ev.late.get((worker_id, number))
    kept_breaks: list[PlannedBreak] = []
    if late is not None:
        location, free = home, late[0]
    elif kept:
        location, free = travel.location("client", kept[-1].client_id), kept[-1].end_s
        kept_breaks = [b for b in (base_sh.breaks if base_sh else ()) if b.start_s < at_s
                       and not ev.absent(worker_id, b.start_s)
                       and not any(s.start_s < b.start_s + b.duration_s and b.start_s < s.end_s
                                   for s in kept)]
        free = max([free] + [b.start_s + b.duration_s for b in kept_breaks])
    elif stops and base_sh is not None:
        location, free = home, max(shift.start_s, min(base_sh.leave_s, at_s))
    else:
        location, free = home, max(shift.start_s, at_s)
    end, breaks = shift.end_s, []
    for lo, hi, _ in sorted(ev.absences.get(worker_id, ()), key=lambda a: a[0]):
        if hi <= free or lo >= end:
            continue
        if lo <= free:
            free = hi
        elif hi >= end:
            end = lo
        else:
            breaks.append(Break(lo, lo, hi - lo))
    rule = BreakRule(options.break_after_s, options.break_s)
    if not any(b.duration_s >= rule.min_s for b in kept_breaks) and \
            not any(b.duration_s >= rule.min_s for b in breaks):
        for b in shift_breaks(shift.start_s, shift.end_s, options):
            lo = max(b.earliest_s, free)
            hi = min(max(b.latest_s, lo), end - b.duration_s)
            if lo <= hi:
                breaks.append(Break(lo, hi, b.duration_s))
    leave = base_sh.leave_s if kept and base_sh else free
    return Round(worker_id, number, shift, worker.travel_mode, home, kept, kept_breaks, leave,
                 location, free, end, sorted(breaks, key=lambda b: b.earliest_s), base_sh)


# ---- the problem of the rest of the day ----------------------------------------------------------


@dataclass(frozen=True)
class Rest:
    """The routing problem of the rest of the day and its maps back to the rota."""

    built: BuiltProblem          # job_visit "" for anchors
    rounds: tuple[Round, ...]
    vehicle_round: tuple[int, ...]
    anchor_visit: dict[int, str]  # anchor job -> the kept visit it continues from
    anchor_of: dict[int, int]     # vehicle -> its anchor job
    closed: dict[str, str]        # open visit whose window has closed -> reason
    old_vehicle: dict[int, int]   # job -> vehicle the published rota gave it


def _rest_window(visit: Visit, old_start: int | None, released: bool, at_s: int, tol: int,
                 mode: str) -> tuple[int, int, int]:
    """Window (start, end) and allowed lateness of an open visit's jobs."""
    lo = max(visit.window_start_s, at_s)
    if mode == "scratch" or old_start is None:
        return lo, visit.window_end_s, 0
    if not released:
        lo = max(lo, old_start - tol)
    hi = max(lo, min(visit.window_end_s, old_start + tol))
    return lo, hi, visit.window_end_s - hi


def _rest_jobs(day: Day, full: BuiltProblem, base: Rota, fixed: set[str],
               released: dict[str, Event], ev: ResolvedEvents, at_s: int, tolerance_s: int,
               mode: str, promised_factor: int):
    """The open visits' jobs, renumbered, with their links and the closed visits.

    A visit the rota had placed costs ``promised_factor`` times its drop penalty to leave
    out (its client was expecting it).
    """
    old = {o.visit_id: o for o in base.outcomes if o.status == "scheduled"}
    jobs: list[Job] = []
    job_visit: list[str] = []
    job_part: list[int] = []
    where: dict[int, int] = {}
    closed: dict[str, str] = {}
    for j, job in enumerate(full.problem.jobs):
        visit_id = full.job_visit[j]
        if visit_id in fixed or visit_id in ev.cancelled or visit_id in ev.carried_cancelled:
            continue
        visit = day.visit_by_id[visit_id]
        outcome = old.get(visit_id)
        lo, hi, late = _rest_window(visit, outcome.start_s if outcome else None,
                                    visit_id in released, at_s, tolerance_s, mode)
        if lo > visit.window_end_s:
            closed[visit_id] = (f"window {format_hhmm(visit.window_start_s)}-"
                                f"{format_hhmm(visit.window_end_s)} closed before the re-plan at "
                                f"{format_hhmm(at_s)}")
            continue
        preferred = job.preferred_resources if mode == "scratch" else \
            frozenset(outcome.workers if outcome else ())
        penalty = job.drop_penalty
        if penalty is not None and outcome is not None and mode != "scratch":
            penalty *= promised_factor
        where[j] = len(jobs)
        jobs.append(replace(job, tw_start_s=lo, tw_end_s=hi, max_lateness_s=late,
                            service_s=job.service_s + ev.extra_s(visit_id),
                            preferred_resources=preferred, drop_penalty=penalty))
        job_visit.append(visit_id)
        job_part.append(full.job_part[j])
    links = [Link(where[k.first], where[k.second], k.min_gap_s, k.max_gap_s)
             for k in full.problem.links if k.first in where and k.second in where]
    return jobs, job_visit, job_part, links, closed


def rest_problem(day: Day, travel: DayTravel, base: Rota, fixed: set[str],
                 released: dict[str, Event], ev: ResolvedEvents, at_s: int, tolerance_s: int,
                 plan_options: PlanOptions, mode: str, promised_factor: int = 1) -> Rest:
    """The routing problem of the rest of the day: open visits, shifts from where they are."""
    full = build_problem(day, travel, plan_options)
    jobs, job_visit, job_part, links, closed = _rest_jobs(day, full, base, fixed, released, ev,
                                                          at_s, tolerance_s, mode,
                                                          promised_factor)
    base_shift = {(sh.worker_id, sh.shift): sh for sh in base.shifts}
    rounds = [_round(day, travel, base_shift.get(key), key[0], key[1], fixed, ev, at_s,
                     plan_options) for key in full.vehicle_shift]
    top = max((job.drop_penalty or 0 for job in jobs), default=0)
    vehicles: list[Vehicle] = []
    vehicle_shift: list[tuple[str, int]] = []
    vehicle_round: list[int] = []
    anchor_visit: dict[int, str] = {}
    anchor_of: dict[int, int] = {}
    for v, vehicle in enumerate(full.problem.vehicles):
        r = rounds[v]
        if r.closed:
            continue
        skills = vehicle.skills
        if r.anchored:
            tag = ANCHOR + vehicle.id
            skills = skills | {tag}
            anchor_visit[len(jobs)] = r.fixed[-1].visit_id
            anchor_of[len(vehicles)] = len(jobs)
            jobs.append(Job(id=tag, location=r.location, service_s=0, tw_start_s=r.free_s,
                            tw_end_s=r.free_s, skills=frozenset({tag}), drop_penalty=100 * top + 1))
            job_visit.append("")
            job_part.append(0)
        vehicles.append(replace(vehicle, start_location=r.location, shift_start_s=r.free_s,
                                shift_end_s=r.end_s, breaks=tuple(r.breaks), skills=skills))
        vehicle_shift.append(full.vehicle_shift[v])
        vehicle_round.append(v)
    problem = Problem(jobs=tuple(jobs), vehicles=tuple(vehicles),
                      duration_s=full.problem.duration_s, distance_m=full.problem.distance_m,
                      links=tuple(links), resource_max_work_s=_remaining_work(day, rounds, travel),
                      weights=plan_options.weights)
    built = BuiltProblem(problem, tuple(job_visit), tuple(job_part), tuple(vehicle_shift),
                         buffer_s=full.buffer_s)
    position = {key: v for v, key in enumerate(vehicle_shift)}
    parts: dict[str, list[int]] = defaultdict(list)
    for j, visit_id in enumerate(job_visit):
        parts[visit_id].append(j)
    old_workers = {o.visit_id: o.workers for o in base.outcomes if o.status == "scheduled"}
    old_vehicle: dict[int, int] = {}
    for sh in base.shifts:
        where = position.get((sh.worker_id, sh.shift))
        for stop in sh.stops:
            workers = old_workers.get(stop.visit_id, ())
            mine = parts.get(stop.visit_id, [])
            if where is not None and sh.worker_id in workers and len(mine) == len(workers):
                old_vehicle[mine[workers.index(sh.worker_id)]] = where
    return Rest(built, tuple(rounds), tuple(vehicle_round), anchor_visit, anchor_of, closed,
                 old_vehicle)


def _remaining_work(day: Day, rounds: list[Round], travel: DayTravel) -> dict[str, int]:
    """Each worker's maximum hours less what the kept past already uses."""
    used: dict[str, int] = defaultdict(int)
    for r in rounds:
        if not r.fixed:
            continue
        if r.closed:
            seconds = travel.matrices[r.mode].duration_s
            back = int(seconds[r.location, r.home])
            used[r.worker_id] += r.fixed[-1].end_s + back - r.leave_s
        else:
            used[r.worker_id] += r.free_s - r.leave_s
    return {w.worker_id: max(0, w.max_work_s - used[w.worker_id])
            for w in day.workers if w.max_work_s is not None}
