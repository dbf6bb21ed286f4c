"""Re-plan a published rota during the day: a fixed past, events, and as little change as needed.

:func:`replan_day` takes the day's inputs (with any visits added since), the published
rota, the re-plan time ``at`` and the events (:mod:`carerounds.scheduler.events`), and
returns a new rota for the rest of the day:

- **the past is fixed**: a visit the rota started before ``at`` stays as it was (same
  workers, same times; an overrun only makes it end later), unless an event says it did
  not happen (its worker was absent or late for it);
- **every worker continues from where the rota puts them at** ``at``: at the last visit
  they started (free when it ends), or at home (free from ``at``, or from when the rota
  had them leave if they were already on the way);
- **the rest may move, at a price** (:class:`ReplanOptions`): each carer-visit given to
  another worker costs ``change_cost`` (a call to the worker and the client; modelled
  as the old worker being the visit's only preferred worker), and each second a visit
  starts later than ``tolerance_s`` after its old start costs ``moved_cost_s`` (its window
  is narrowed to the old start ± the tolerance, with lateness allowed up to the window's
  end). A visit is never moved earlier than the tolerance unless it must change worker
  anyway. Placing a visit is worth its drop penalty (millions), so stability never
  costs a visit its place.

The search starts from the old routes minus what the events invalidate, inserts what
is left (the absent worker's visits, added and still unplaced visits) by pair-aware
cheapest insertion, then lets OR-Tools improve the shifts around the change
(:data:`ReplanOptions.scope_vehicles` at most, with every shift of each worker in it)
from that warm start, keeping the result only if it is cheaper. ``mode="scratch"``
plans the same rest of the day (same fixed past, same continuation points) with the
nightly engine and no stability costs, for comparison.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import InputError
from ..routing import (
    Route,
    Solution,
    SolveParams,
    Weights,
    solve,
)
from ..routing.decompose import solve_decomposed
from ..routing.explain import explain_unassigned
from .build import PlanOptions, describe_cause
from .changes import Change, changed_workers, find_changes
from .check import Violation, check_replan, check_rota
from .events import (
    ADDED_PREFIX,
    END_OF_DAY_S,
    Event,
    ResolvedEvents,
    check_overruns,
    fixed_visits,
    resolve_events,
)
from .model import BreakRule, Day
from .plan import DECOMPOSE_ABOVE_JOBS, partition_day, run_info
from .reasons import binding_rules
from .replan_search import improve_around_change, objective, timed_routes, warm_start
from .rest_of_day import Rest, Round, rest_problem
from .rota import (
    PlannedBreak,
    PlannedShift,
    PlannedStop,
    Rota,
    VisitOutcome,
    check_rota_inputs,
    rota_digest,
)
from .travel import DayTravel
from .units import format_hhmm

__all__ = ["MODES", "ReplanOptions", "ReplanResult", "replan_day"]

MODES = ("replan", "scratch")
#: Seconds kept back from the time limit for reasons, assembly and the check (at most a
#: quarter of the limit).
RESERVE_S = 2.0


@dataclass(frozen=True)
class ReplanOptions:
    """How a re-plan weighs change against travel.

    Parameters
    ----------
    tolerance_s : int, default 15 min
        A visit may start this much earlier or later than before at no cost.
    change_cost : int, default 1800
        Cost of giving a carer-visit to another worker (a call to the worker and the
        client), in the objective's units (one unit = one second of travel).
    moved_cost_s : int, default 1
        Cost per second a visit starts later than its old start plus the tolerance.
    promised_factor : int, default 2
        A visit the rota had placed costs this many times its drop penalty to leave out:
        taking a promised visit away only pays if it places more than that elsewhere.
    scope_vehicles : int, default 40
        Most shifts re-optimised by the solver around the change.
    neighbours : int, default 4
        For each visit to re-place, this many nearest eligible shifts join the scope.

    Raises
    ------
    InputError
        On a negative value, or a scope of no shift.
    """

    tolerance_s: int = 15 * 60
    change_cost: int = 1800
    moved_cost_s: int = 1
    promised_factor: int = 2
    scope_vehicles: int = 40
    neighbours: int = 4

    def __post_init__(self) -> None:
        for name in ("tolerance_s", "change_cost", "moved_cost_s", "neighbours"):
            if getattr(self, name) < 0:
                raise InputError(f"must be 0 or more, got {getattr(self, name)}", field=name)
        if self.promised_factor < 1:
            raise InputError("must be at least 1", field="promised_factor")
        if self.scope_vehicles < 1:
            raise InputError("must be at least 1", field="scope_vehicles")


@dataclass(frozen=True)
class ReplanResult:
    """A re-planned day and what changed.

    Attributes
    ----------
    day : Day
        The day re-planned (inputs plus added visits; merged when the rota was).
    base, rota : Rota
        The published rota and the new one.
    events : tuple of Event
    at_s : int
    changes : tuple of Change
        Every visit whose workers, start or status changed.
    changed_workers : tuple of str
        Workers whose list of visits or times changed (their run sheets are reprinted).
    fixed : tuple of str
        Visits kept exactly as they were (started before ``at``).
    violations : tuple of Violation
        What ``check_rota`` and ``check_replan`` found (empty: a checked rota).
    """

    day: Day
    base: Rota
    rota: Rota
    events: tuple[Event, ...]
    at_s: int
    changes: tuple[Change, ...]
    changed_workers: tuple[str, ...]
    fixed: tuple[str, ...]
    violations: tuple[Violation, ...] = ()


# ---- solving ---------------------------------------------------------------------------------


def _base_sequences(rest: Rest, base: Rota) -> tuple[list[list[int]], dict[int, int]]:
    """Each shift's old jobs in the rota's order (anchor first), and each job's old start."""
    p = rest.built.problem
    starts = {o.visit_id: o.start_s for o in base.outcomes
              if o.status == "scheduled" and o.start_s is not None}
    seqs: list[list[int]] = [[] for _ in p.vehicles]
    old_start: dict[int, int] = {}
    for j, v in rest.old_vehicle.items():
        seqs[v].append(j)
        old_start[j] = starts[rest.built.job_visit[j]]
    for v, seq in enumerate(seqs):
        seq.sort(key=lambda j: (old_start[j], j))
        if v in rest.anchor_of:
            seq.insert(0, rest.anchor_of[v])
    return seqs, old_start


def _touched(rest: Rest, base: Rota, events: Sequence[Event]) -> list[int]:
    """Shifts the events changed: a visit of theirs cancelled or overrunning, or their worker's."""
    visits = {e.visit_id for e in events if e.visit_id}
    workers = {e.worker_id for e in events if e.worker_id}
    keys = {(sh.worker_id, sh.shift) for sh in base.shifts
            if sh.worker_id in workers or any(st.visit_id in visits for st in sh.stops)}
    return [v for v, key in enumerate(rest.built.vehicle_shift) if key in keys]


def _solve_replan(rest: Rest, base: Rota, events: Sequence[Event], params: SolveParams,
                  options: ReplanOptions, deadline: float) -> tuple[list[Route], dict]:
    """Warm start from the old routes, then improve around the change until the deadline."""
    problem = rest.built.problem
    started = time.perf_counter()
    seqs, old_start = _base_sequences(rest, base)
    ins = warm_start(problem, seqs, old_start, params.seed, deadline)
    routes = timed_routes(problem, ins)
    info = {"warm_start_s": round(time.perf_counter() - started, 2)}
    info.update(improve_around_change(problem, routes, seqs, params, deadline,
                                      most=options.scope_vehicles, neighbours=options.neighbours,
                                      touched=_touched(rest, base, events)))
    return routes, info


def _solve_scratch(day: Day, travel: DayTravel, rest: Rest, params: SolveParams,
                   processes: int) -> tuple[list[Route], dict]:
    """The rest of the day planned afresh by the nightly engine (no stability costs)."""
    problem = rest.built.problem
    if len(problem.jobs) > DECOMPOSE_ABOVE_JOBS:
        labelled = replace(rest.built, job_visit=tuple(
            rest.anchor_visit.get(j, visit_id) for j, visit_id in enumerate(rest.built.job_visit)))
        groups = partition_day(day, labelled, travel)
        if len(groups) > 1:
            found = solve_decomposed(problem, groups, params, processes=processes)
            return list(found.routes), {"engine": "decomposed"}
    found = solve(problem, params)
    return list(found.routes), {"engine": "monolithic"}


# ---- back to the rota ------------------------------------------------------------------------


def _merged_shift(day: Day, travel: DayTravel, rest: Rest, r: Round, route: Route | None,
                  worker_of: dict[int, str], parts: dict[str, list[int]],
                  rule: BreakRule) -> PlannedShift:
    """One shift of the new rota: the kept past, then the rest of the route found."""
    worker = day.worker_by_id[r.worker_id]
    stops = list(r.fixed)
    problem = rest.built.problem
    buffers = rest.built.buffer_s.get(r.mode)
    place = problem.vehicles[route.vehicle].start_location if route else None
    for stop in route.stops if route else ():
        visit_id = rest.built.job_visit[stop.job]
        here = problem.jobs[stop.job].location
        # the solver's leg holds the travel buffer; the rota gives travel and arrival
        buffer = int(buffers[place, here]) if buffers is not None and place is not None else 0
        place = here
        if not visit_id:
            continue  # the anchor: where the kept past ends
        partners = [worker_of[k] for k in parts[visit_id] if k != stop.job and k in worker_of]
        stops.append(PlannedStop(visit_id, day.visit_by_id[visit_id].client_id,
                                 stop.arrival_s - buffer, stop.start_s, stop.end_s,
                                 stop.travel_s - buffer, stop.distance_m,
                                 partners[0] if partners else None))
    shift = r.shift
    whole = r.base is not None and r.base.stops and stops == list(r.fixed) and \
        [s.visit_id for s in r.fixed] == [s.visit_id for s in r.base.stops] and \
        r.fixed[-1].end_s == r.base.stops[-1].end_s
    if whole and r.base is not None and (route is None or len(route.stops) <= 1):
        return replace(r.base, stops=tuple(stops))  # the whole shift is past and unchanged
    if not stops:
        return PlannedShift(r.worker_id, worker.provider_id, r.number, shift.start_s,
                            shift.end_s, worker.travel_mode, shift.start_s, shift.start_s, (),
                            0, 0)
    leave = r.leave_s if r.fixed else (route.start_s if route else r.free_s)
    breaks = list(r.fixed_breaks)
    if route is not None and route.stops:
        back_s, back_m, home_s = route.return_travel_s, route.return_distance_m, route.end_s
        breaks += [PlannedBreak(b.start_s, b.duration_s) for b in route.breaks]
    else:
        last = travel.location("client", stops[-1].client_id)
        back_s = int(travel.matrices[r.mode].duration_s[last, r.home])
        back_m = int(travel.matrices[r.mode].distance_m[last, r.home])
        home_s = stops[-1].end_s + back_s
        if home_s - leave > rule.after_s and not any(b.duration_s >= rule.min_s for b in breaks):
            # the break owed before going home (the rest of the shift was cut short)
            breaks.append(PlannedBreak(stops[-1].end_s, rule.min_s))
            home_s += rule.min_s
    breaks = sorted((b for b in breaks if leave <= b.start_s and b.start_s + b.duration_s <= home_s),
                    key=lambda b: b.start_s)
    return PlannedShift(r.worker_id, worker.provider_id, r.number, shift.start_s, shift.end_s,
                        worker.travel_mode, leave, home_s, tuple(stops), back_s, back_m,
                        tuple(breaks))


def _parts(rest: Rest) -> dict[str, list[int]]:
    parts: dict[str, list[int]] = defaultdict(list)
    for j, visit_id in enumerate(rest.built.job_visit):
        if visit_id:
            parts[visit_id].append(j)
    return parts


def _unplaced_reasons(day: Day, base: Rota, rest: Rest, solution: Solution, ev: ResolvedEvents,
                      released: dict[str, Event], at_s: int, pool: bool, on_roads: bool,
                      deadline: float) -> dict[str, str]:
    """Why each open visit is unplaced, in care terms, with what the re-plan changed for it.

    Visits newly unplaced are explained first; re-testing the binding rule
    (:func:`carerounds.scheduler.reasons.binding_rules`) stops at the deadline, after
    which a visit still unplaced keeps the reason the published rota gave it.
    """
    parts = _parts(rest)
    served = {s.job for r in solution.routes for s in r.stops}
    causes = {u.job: u.cause for u in solution.unassigned}
    old = {o.visit_id: o for o in base.outcomes}
    todo = [v for v, jobs in parts.items() if not all(j in served for j in jobs)]
    todo.sort(key=lambda v: (v in old and old[v].status != "scheduled", v))
    reasons = {}
    cause_of = {v: next((causes[j] for j in parts[v] if j in causes), "capacity") for v in todo}
    bound = binding_rules(day, rest.built, solution,
                          [day.visit_by_id[v] for v in todo if cause_of[v] == "capacity"],
                          pool=pool, deadline=deadline)
    for visit_id in todo:
        visit = day.visit_by_id[visit_id]
        cause = cause_of[visit_id]
        reason = describe_cause(cause, visit, day, pool=pool)
        before = old.get(visit_id)
        if cause == "capacity":
            if visit_id in bound:
                reason = bound[visit_id] or reason
            elif before is not None and before.status == "unplaced" and before.reason:
                reason = before.reason
        elif cause == "unreachable" and not on_roads:
            reason = ("client too far from every qualified worker to get there and back "
                      "within a shift (straight-line travel estimate)")
        elif cause == "no_shift_covers_window" and visit.window_start_s < at_s:
            reason = (f"no shift covers the rest of its window, {format_hhmm(at_s)}-"
                      f"{format_hhmm(visit.window_end_s)}, after the re-plan")
        if visit_id in released and before is not None:
            reason = (f"was planned with {', '.join(before.workers)}, but "
                      f"{released[visit_id].describe()}; {reason}")
        elif before is not None and before.status == "scheduled":
            reason = f"no longer fits after the re-plan; {reason}"
        reasons[visit_id] = reason
    return reasons


def _outcomes(day: Day, base: Rota, rest: Rest, routes: Sequence[Route], fixed: set[str],
              ev: ResolvedEvents, reasons: dict[str, str]) -> tuple[VisitOutcome, ...]:
    """Every visit's outcome: kept, cancelled, scheduled anew or unplaced with a reason."""
    old = {o.visit_id: o for o in base.outcomes}
    starts = {s.job: s for r in routes for s in r.stops}
    worker_of = {s.job: rest.built.vehicle_shift[r.vehicle][0] for r in routes for s in r.stops}
    parts = _parts(rest)
    out = []
    for visit in day.visits:
        visit_id = visit.visit_id
        before = old.get(visit_id)
        if visit_id in fixed and before is not None and before.start_s is not None:
            assert before.end_s is not None
            out.append(replace(before, end_s=before.end_s + ev.overrun_s.get(visit_id, 0)))
        elif visit_id in ev.carried_cancelled and before is not None:
            out.append(before)
        elif visit_id in ev.cancelled:
            provider = before.provider_id if before is not None else visit.provider_id
            out.append(VisitOutcome(visit_id, "cancelled", provider,
                                    reason=f"cancelled: {ev.cancelled[visit_id].describe()}"))
        elif visit_id in rest.closed:
            out.append(VisitOutcome(visit_id, "unplaced", visit.provider_id,
                                    reason=rest.closed[visit_id]))
        elif parts[visit_id] and all(j in starts for j in parts[visit_id]):
            jobs = parts[visit_id]
            workers = tuple(worker_of[j] for j in jobs)
            first = starts[jobs[0]]
            out.append(VisitOutcome(visit_id, "scheduled", day.worker_by_id[workers[0]].provider_id,
                                    workers, first.start_s, first.end_s))
        else:
            out.append(VisitOutcome(visit_id, "unplaced", visit.provider_id,
                                    reason=reasons.get(visit_id, "capacity")))
    out += [o for o in base.outcomes if o.status == "merged"]
    return tuple(out)


# ---- the re-plan -----------------------------------------------------------------------------


def _check_base(day: Day, base: Rota, travel: DayTravel) -> None:
    """The rota was planned from these inputs and this travel; raise InputError if not."""
    check_rota_inputs(day, base)
    recorded = base.run.get("inputs")
    if isinstance(recorded, dict):
        read = {s.name: s.sha256 for s in day.sources}
        for name, entry in sorted(recorded.items()):
            # the day's added visits grow from one re-plan to the next
            if name.startswith(ADDED_PREFIX):
                continue
            if isinstance(entry, dict) and read.get(name) != entry.get("sha256"):
                raise InputError("differs from the file the rota was planned from (SHA-256); "
                                 "re-plan with the --inputs the rota was planned from",
                                 file=name)
    if base.run.get("roads", travel.roads) != travel.roads:
        raise InputError(f"the rota was planned with roads={base.run.get('roads')!r}; re-plan "
                         "with the same --roads", file="rota.json", field="roads")


def _planned_day(day: Day, base: Rota) -> Day:
    """The day as the rota planned it: merged when the rota merged duplicate visits."""
    if base.run.get("dedupe") != "merge":
        return day
    from .duplicates import find_duplicate_visits, merge_duplicates

    merged, merges = merge_duplicates(day, find_duplicate_visits(day))
    listed = {(m.get("kept"), m.get("absorbed")) for m in base.run.get("merges", [])}
    if {(m.kept, m.absorbed) for m in merges} != listed:
        raise InputError("the added visits duplicate visits the rota merged differently; add "
                         "them without a duplicate or re-plan without merging", field="merges")
    return merged


def _plan_options(base: Rota, options: ReplanOptions, mode: str) -> PlanOptions:
    """The rota's own rules (pool, breaks, weights), with the cost of change when re-planning."""
    weights = Weights.from_mapping(base.run.get("weights") or {}, source="rota.json run.weights")
    if mode == "replan":
        weights = replace(weights, non_preferred=options.change_cost,
                          lateness_s=options.moved_cost_s)
    rule = BreakRule.of_run(base.run)
    return PlanOptions(pool=bool(base.run.get("pool", False)), break_after_s=rule.after_s,
                       break_s=rule.min_s, weights=weights)


def replan_day(day: Day, base: Rota, travel: DayTravel, *, at_s: int,
               events: Sequence[Event] = (), params: SolveParams | None = None,
               options: ReplanOptions | None = None, mode: str = "replan", processes: int = 2,
               check: bool = True) -> ReplanResult:
    """Re-plan the rest of a day from a published rota, the time and what happened.

    Parameters
    ----------
    day : Day
        The inputs the rota was planned from, with any added visits
        (:func:`carerounds.scheduler.events.with_added_visits`).
    base : Rota
        The published rota.
    travel : DayTravel
        Travel over the day's places (the same roads as the rota).
    at_s : int
        The re-plan time, seconds since midnight: visits started before it are kept.
    events : sequence of Event
        Absences, lateness, cancellations and overruns (see :mod:`.events`).
    params : SolveParams, optional
        ``time_limit_s`` bounds the whole re-plan (default 10 s), ``seed`` its choices.
    options : ReplanOptions, optional
        Tolerance and the costs of change.
    mode : {"replan", "scratch"}, default "replan"
        ``scratch`` plans the same rest of the day afresh, without the costs of change.
    processes : int, default 2
        Parallel sub-solves when ``scratch`` decomposes a county day.
    check : bool, default True
        Run :func:`check_rota` and :func:`check_replan` on the result.

    Raises
    ------
    InputError
        When the rota was planned from other inputs or travel, or an event contradicts
        the rota (cancelling a visit already under way, an overrun into a visit already
        started, lateness reported after the round got going).
    """
    started = time.perf_counter()
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}", field="mode")
    if not 0 <= at_s <= END_OF_DAY_S:
        raise InputError("the re-plan time must be within the day (00:00 to 24:00)", field="at")
    params = params or SolveParams()
    options = options or ReplanOptions()
    events = tuple(events)
    _check_base(day, base, travel)
    planned = _planned_day(day, base)
    plan_options = _plan_options(base, options, mode)
    ev = resolve_events(planned, base, events, at_s)
    fixed, released = fixed_visits(base, ev, at_s, events)
    check_overruns(base, ev, fixed, events, travel)
    rest = rest_problem(planned, travel, base, fixed, released, ev, at_s, options.tolerance_s,
                        plan_options, mode, options.promised_factor)
    reserve = min(RESERVE_S, params.time_limit_s / 4)
    deadline = started + params.time_limit_s - reserve
    if mode == "scratch":
        routes, info = _solve_scratch(planned, travel, rest, replace(
            params, time_limit_s=max(1.0, deadline - time.perf_counter())), processes)
    else:
        routes, info = _solve_replan(rest, base, events, params, options, deadline)
    problem = rest.built.problem
    served = {s.job for r in routes for s in r.stops}
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    solution = Solution(routes=tuple(routes), unassigned=explain_unassigned(problem, dropped, routes),
                        objective=objective(problem, routes, dropped),
                        wall_s=time.perf_counter() - started, first_solution_s=None,
                        status="feasible", params=params)
    reasons = _unplaced_reasons(planned, base, rest, solution, ev, released, at_s,
                                plan_options.pool, travel.roads is not None,
                                deadline + reserve / 2)
    rule = BreakRule(plan_options.break_after_s, plan_options.break_s)
    worker_of = {s.job: rest.built.vehicle_shift[r.vehicle][0] for r in routes for s in r.stops}
    route_of = {rest.vehicle_round[v]: route for v, route in enumerate(routes)}
    parts = _parts(rest)
    shifts = tuple(_merged_shift(planned, travel, rest, r, route_of.get(i), worker_of, parts, rule)
                   for i, r in enumerate(rest.rounds))
    outcomes = _outcomes(planned, base, rest, routes, fixed, ev, reasons)
    run = _run_record(planned, travel, base, events, ev, at_s, params, plan_options, options, mode,
                      fixed, info)
    run["wall_s"] = round(time.perf_counter() - started, 2)
    rota = Rota(date=base.date, shifts=shifts, outcomes=outcomes, run=run)
    violations: list[Violation] = []
    if check:
        violations = check_rota(day, rota, travel) + check_replan(day, base, events, rota, travel)
    return ReplanResult(planned, base, rota, events, at_s,
                        find_changes(planned, base, rota, ev, at_s, options.tolerance_s),
                        changed_workers(base, rota), tuple(sorted(fixed)), tuple(violations))


def _run_record(day: Day, travel: DayTravel, base: Rota, events: tuple[Event, ...],
                ev: ResolvedEvents, at_s: int, params: SolveParams, plan_options: PlanOptions,
                options: ReplanOptions, mode: str, fixed: set[str], info: dict) -> dict:
    """The run information: as for a plan, plus what the re-plan started from and did.

    ``events`` are this re-plan's; the absences, cancellations, overruns and added visits
    are everything so far today (this re-plan's and those its base rota recorded), so a
    re-plan of the new rota carries them on.
    """
    run = run_info(day, travel, params, plan_options)
    for key in ("dedupe", "duplicate_pairs", "merges"):
        if key in base.run:
            run[key] = base.run[key]
    known = {o.visit_id for o in base.outcomes}
    added = list((base.run.get("replan") or {}).get("added_visits") or ())
    run["replan"] = {
        "at": format_hhmm(at_s), "at_s": at_s, "mode": mode,
        "events": [e.to_record() for e in events],
        "base_rota_sha256": rota_digest(base), "base_created": base.run.get("created"),
        "added_visits": added + [v.visit_id for v in day.visits if v.visit_id not in known],
        "fixed_visits": len(fixed), "tolerance_s": options.tolerance_s,
        "change_cost": options.change_cost, "moved_cost_s": options.moved_cost_s,
        "promised_factor": options.promised_factor,
        "scope_vehicles": options.scope_vehicles, **info, **ev.record(),
    }
    return run


