"""The nightly plan: build the routing problem for a day, solve it, and read the rota back.

:func:`plan_day` plans a :class:`~carerounds.scheduler.model.Day` already read;
:func:`plan_folder` is the whole ``carerounds plan`` pipeline (read the inputs, travel
times, duplicate visits and optional merging, the plan, merged visits' outcomes, the
run record) as one call a notebook can make.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__
from ..errors import InputError
from ..routing import Problem, Solution, SolveParams, Weights, solve
from ..routing.decompose import Group, Progress, solve_decomposed
from .build import PROVIDER_TAG, BuiltProblem, PlanOptions, build_problem, describe_cause
from .duplicates import (
    DuplicatePair,
    Merge,
    find_duplicate_visits,
    merge_duplicates,
    merged_outcomes,
)
from .model import Day, Visit
from .reasons import binding_rules
from .rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome
from .travel import DayTravel

if TYPE_CHECKING:
    from .store.recording import RunRecorder
    from .store.repository import RotaStore, SavedRota

#: Above this many jobs ``engine="auto"`` decomposes the day (:func:`partition_day`).
DECOMPOSE_ABOVE_JOBS = 400
#: A provider's part bigger than this many jobs is split further by area (ruin and
#: recreate and the solver both stall on parts much bigger than one area's day).
SPLIT_PROVIDER_ABOVE_JOBS = 600
ENGINES = ("auto", "monolithic", "decomposed")
#: What ``dedupe`` accepts: report duplicate visits, or merge each pair into one visit.
DEDUPE_MODES = ("report", "merge")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def run_info(day: Day, travel: DayTravel, params: SolveParams, options: PlanOptions) -> dict:
    """What a run needs to be reproduced: inputs' hashes, versions, limits, travel source."""
    return {
        "seed": params.seed, "time_limit_s": params.time_limit_s,
        "solution_limit": params.solution_limit, "pool": options.pool,
        "travel": travel.describe(), "roads": travel.roads,
        "travel_warnings": list(travel.warnings),
        "inputs": {s.name: {"sha256": s.sha256, "rows": s.rows} for s in day.sources},
        "versions": {"carerounds": __version__, "ortools": _version("ortools"),
                     "osmnx": _version("osmnx"), "python": platform.python_version()},
        "weights": _weights_record(options.weights),
        # the checker and the fair-work report judge breaks by the rule planned with
        "break_after_s": options.break_after_s, "break_s": options.break_s,
        "travel_buffer": dict(options.buffer.__dict__),
        # true only for a rota kept after a signal stopped the search (--keep-partial)
        "partial": False,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


#: Weights added later: recorded only when set, so earlier run records read the same.
_PRICED_LATER = ("overtime_s", "max_overtime_s", "waiting_s")


def _weights_record(weights: Weights) -> dict:
    return {k: v for k, v in weights.__dict__.items() if v or k not in _PRICED_LATER}


def rota_from_solution(day: Day, built: BuiltProblem, solution: Solution,
                       options: PlanOptions, *, on_roads: bool = False
                       ) -> tuple[tuple[PlannedShift, ...], tuple[VisitOutcome, ...]]:
    """Map a routing solution back to workers' shifts and visits' outcomes.

    Each unplaced visit gets a reason in care terms: the routing cause, and for
    ``capacity`` the rule that binds when re-testing shows one (see
    :func:`carerounds.scheduler.reasons.binding_rules`); ``on_roads`` words the
    unreachable case for a road network or the straight-line estimate.
    """
    job_worker: dict[int, str] = {}
    for route in solution.routes:
        for stop in route.stops:
            job_worker[stop.job] = built.vehicle_shift[route.vehicle][0]
    parts: dict[str, list[int]] = {}
    for j, visit_id in enumerate(built.job_visit):
        parts.setdefault(visit_id, []).append(j)

    shifts = []
    for route in solution.routes:
        worker_id, number = built.vehicle_shift[route.vehicle]
        worker = day.worker_by_id[worker_id]
        shift = worker.shifts[number - 1]
        stops = []
        vehicle = built.problem.vehicles[route.vehicle]
        buffers = built.buffer_s.get(vehicle.profile)
        place = vehicle.start_location
        for stop in route.stops:
            visit_id = built.job_visit[stop.job]
            partners = [job_worker[j] for j in parts[visit_id] if j != stop.job and j in job_worker]
            here = built.problem.jobs[stop.job].location
            # the solver's leg holds the travel buffer; the rota gives travel and arrival
            buffer = int(buffers[place, here]) if buffers is not None else 0
            place = here
            stops.append(PlannedStop(
                visit_id=visit_id, client_id=day.visit_by_id[visit_id].client_id,
                arrival_s=stop.arrival_s - buffer, start_s=stop.start_s, end_s=stop.end_s,
                travel_s=stop.travel_s - buffer, distance_m=stop.distance_m,
                partner=partners[0] if partners else None))
        shifts.append(PlannedShift(
            worker_id=worker_id, provider_id=worker.provider_id, shift=number,
            shift_start_s=shift.start_s, shift_end_s=shift.end_s,
            travel_mode=worker.travel_mode,
            leave_s=route.start_s, return_s=route.end_s, stops=tuple(stops),
            return_travel_s=route.return_travel_s, return_distance_m=route.return_distance_m,
            # a break the solver parks outside the worked span is not a break from work
            breaks=tuple(PlannedBreak(b.start_s, b.duration_s) for b in route.breaks
                         if route.stops and route.start_s <= b.start_s
                         and b.start_s + b.duration_s <= route.end_s)))

    causes = {u.job: u.cause for u in solution.unassigned}
    starts = {stop.job: stop for route in solution.routes for stop in route.stops}

    def cause_of(visit: Visit) -> str:
        # a half-served double-up never leaves the solver, but if it did it is unplaced
        return next((causes[j] for j in parts[visit.visit_id] if j in causes), "capacity")

    capacity = [v for v in day.visits if cause_of(v) == "capacity"
                and not all(j in starts for j in parts[v.visit_id])]
    bound = binding_rules(day, built, solution, capacity, pool=options.pool)
    outcomes = []
    for visit in day.visits:
        jobs = parts[visit.visit_id]
        served = [j for j in jobs if j in starts]
        if len(served) == len(jobs):
            workers = tuple(job_worker[j] for j in jobs)
            first = starts[jobs[0]]
            provider = day.worker_by_id[workers[0]].provider_id
            outcomes.append(VisitOutcome(visit.visit_id, "scheduled", provider, workers,
                                         first.start_s, first.end_s))
            continue
        cause = cause_of(visit)
        reason = describe_cause(cause, visit, day, pool=options.pool)
        if cause == "capacity":
            reason = bound.get(visit.visit_id) or reason
        elif cause == "unreachable" and not on_roads:
            reason = ("client too far from every qualified worker's home to get there and "
                      "back within a shift (straight-line travel estimate)")
        outcomes.append(VisitOutcome(visit.visit_id, "unplaced", visit.provider_id, reason=reason))
    return tuple(shifts), tuple(outcomes)


def partition_day(day: Day, built: BuiltProblem, travel: DayTravel) -> list[Group]:
    """Seed parts for the decomposed engine: one per provider, else one per area.

    Where visits keep to their provider (no ``--pool``), each provider's visits and
    workers form a part, since no visit can move between providers' workers: a part by
    area mixes providers whose workers cannot take each other's visits, so its search
    spends most of its moves on changes that cannot happen. A visit open to every
    provider goes with the provider whose nearest worker lives closest; a provider with
    more than :data:`SPLIT_PROVIDER_ABOVE_JOBS` jobs is split by area. With one provider,
    or pooled workers, the parts are areas (:func:`partition_by_area`).
    Monmouthshire day at 300 s, one run each (2026-12-03): 1,446 visits placed at 6.75
    travel minutes a visit by provider, 1,431 at 7.31 by area (docs/routing.md).
    """
    problem = built.problem
    tag_of = {w: _provider_tag(problem.vehicles[v].skills)
              for v, (w, _) in enumerate(built.vehicle_shift)}
    providers = sorted({t for t in tag_of.values() if t is not None})
    job_tags = [_provider_tag(job.skills) for job in problem.jobs]
    if len(providers) < 2 or None in tag_of.values() or not any(job_tags):
        return partition_by_area(day, built, travel)
    vehicles: dict[str, list[int]] = {p: [] for p in providers}
    for v, (worker_id, _) in enumerate(built.vehicle_shift):
        vehicles[str(tag_of[worker_id])].append(v)
    jobs: dict[str, list[int]] = {p: [] for p in providers}
    partner = {link.first: link.second for link in problem.links}
    partner.update({link.second: link.first for link in problem.links})
    for j, tag in enumerate(job_tags):
        if tag in jobs:
            jobs[tag].append(j)
    placed = {j for js in jobs.values() for j in js}
    for j in range(len(problem.jobs)):
        if j in placed:
            continue
        nearest = min(providers, key=lambda p: (_nearest_home_s(problem, vehicles[p], j), p))
        for k in (j, partner.get(j, j)):  # a pair's two jobs stay together
            if k not in placed:
                jobs[nearest].append(k)
                placed.add(k)
    groups: list[Group] = []
    for p in providers:
        if not jobs[p]:
            continue
        name = p.removeprefix(PROVIDER_TAG)
        if len(jobs[p]) > SPLIT_PROVIDER_ABOVE_JOBS:
            groups += [Group(f"{name} {g.name}", g.jobs, g.vehicles)
                       for g in _by_area(day, built, sorted(jobs[p]), vehicles[p])]
        else:
            groups.append(Group(name, tuple(sorted(jobs[p])), tuple(vehicles[p])))
    return groups


def _provider_tag(tags: frozenset[str]) -> str | None:
    """The provider tag among a job's or vehicle's attributes, if any."""
    return next((t for t in sorted(tags) if t.startswith(PROVIDER_TAG)), None)


def _nearest_home_s(problem: Problem, vehicles: list[int], j: int) -> int:
    """Travel to job ``j`` from the nearest start of those ``vehicles`` that may serve it.

    Seconds; the largest int64 when none may.
    """
    job = problem.jobs[j]
    able = [problem.vehicles[v] for v in vehicles]
    able = [v for v in able if job.skills <= v.skills and v.resource not in job.forbidden_resources]
    return min((int(problem.duration_s[v.profile][v.start_location, job.location]) for v in able),
               default=int(np.iinfo(np.int64).max))


def partition_by_area(day: Day, built: BuiltProblem, travel: DayTravel) -> list[Group]:
    """Group jobs by their client's area and each worker's shifts with the nearest area.

    A worker belongs to the area whose clients are, on average, the shortest trip
    from home (over up to 40 clients per area). The split only seeds the search:
    the second phase lets visits move to a neighbouring area's workers.
    """
    return _by_area(day, built, range(len(built.problem.jobs)),
                    range(len(built.problem.vehicles)))


def _by_area(day: Day, built: BuiltProblem, jobs: Iterable[int],
             vehicles: Iterable[int]) -> list[Group]:
    """:func:`partition_by_area` over some jobs and vehicles."""
    areas: dict[str, list[int]] = {}
    for j in jobs:
        client = day.client_by_id[day.visit_by_id[built.job_visit[j]].client_id]
        areas.setdefault(client.area, []).append(j)
    names = sorted(areas)
    if not names:
        return []  # a day with no visits (visits.csv with only its header) has no areas
    samples = {a: sorted({built.problem.jobs[j].location for j in areas[a]})[:40] for a in names}
    by_area: dict[str, list[int]] = {a: [] for a in names}
    home_area: dict[str, str] = {}
    for v in vehicles:
        worker_id = built.vehicle_shift[v][0]
        if worker_id not in home_area:
            vehicle = built.problem.vehicles[v]
            seconds = built.problem.duration_s[vehicle.profile]
            home_area[worker_id] = min(names, key=lambda a: (
                float(np.mean(seconds[vehicle.start_location, samples[a]])), a))
        by_area[home_area[worker_id]].append(v)
    return [Group(a, tuple(areas[a]), tuple(by_area[a])) for a in names]




def plan_day(day: Day, travel: DayTravel, *, params: SolveParams | None = None,
             options: PlanOptions | None = None, engine: str = "auto", processes: int = 2,
             on_progress: Callable[[Progress], None] | None = None) -> Rota:
    """Plan a day: every visit comes back scheduled or unplaced with a reason.

    Parameters
    ----------
    day : Day
    travel : DayTravel
        Matrices over the day's places (road network or estimate).
    params : SolveParams, optional
        Seed, time limit and solution limit; default ``SolveParams()`` (10 s).
    options : PlanOptions, optional
        Pool mode, breaks and objective weights.
    engine : {"auto", "monolithic", "decomposed"}, default "auto"
        ``decomposed`` inserts every visit at once, then improves the rounds part by
        part in parallel, a part per provider or else per area (:func:`partition_day`,
        :func:`carerounds.routing.decompose.solve_decomposed`); ``auto`` decomposes days
        of more than 400 carer-visits with more than one part.
    processes : int, default 2
        Parallel sub-solves for the decomposed engine.
    on_progress : callable, optional
        Receives :class:`carerounds.routing.decompose.Progress` reports (decomposed engine).
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}",
                         field="engine")
    params = params or SolveParams()
    options = options or PlanOptions()
    built = build_problem(day, travel, options)
    groups = partition_day(day, built, travel)
    if engine == "auto":
        big = len(built.problem.jobs) > DECOMPOSE_ABOVE_JOBS and len(groups) > 1
        engine = "decomposed" if big else "monolithic"
    if engine == "decomposed":
        solution = solve_decomposed(built.problem, groups, params, processes=processes,
                                    on_progress=on_progress)
    else:
        solution = solve(built.problem, params)
    shifts, outcomes = rota_from_solution(day, built, solution, options,
                                          on_roads=travel.roads is not None)
    info = run_info(day, travel, params, options)
    info.update(engine=engine, objective=solution.objective, status=solution.status,
                solution_source=solution.source,
                wall_s=round(solution.wall_s, 2),
                first_solution_s=None if solution.first_solution_s is None
                else round(solution.first_solution_s, 2))
    if options.weights.overtime_s or options.weights.waiting_s:
        # Totals of what the weights price; absent when unpriced (earlier records' shape).
        info.update(overtime_s=sum(r.overtime_s for r in solution.routes),
                    waiting_s=sum(r.waiting_s for r in solution.routes))
    if engine == "decomposed":
        info["areas"] = {g.name: {"jobs": len(g.jobs), "shifts": len(g.vehicles)} for g in groups}
    return Rota(date=day.date, shifts=shifts, outcomes=outcomes, run=info)


@dataclass(frozen=True)
class PlanResult:
    """Everything ``carerounds plan`` produces before it writes files.

    Attributes
    ----------
    day : Day
        The inputs as read.
    planned : Day
        The day that was planned: ``day`` itself, or with duplicate pairs merged.
    travel : DayTravel
    rota : Rota
        Every visit of ``day`` scheduled, unplaced with a reason, or merged.
    duplicates : tuple of DuplicatePair
        Duplicate multi-provider visits found in ``day``.
    merges : tuple of Merge
        The merges made (empty unless ``dedupe="merge"``).
    stored : SavedRota or None
        The version saved in the rota store, and whether it was published (``None``
        when planned without a store).
    """

    day: Day
    planned: Day
    travel: DayTravel
    rota: Rota
    duplicates: tuple[DuplicatePair, ...]
    merges: tuple[Merge, ...]
    stored: SavedRota | None = None


def plan_with_duplicates(day: Day, travel: DayTravel, *, params: SolveParams | None = None,
                         options: PlanOptions | None = None, dedupe: str = "report",
                         engine: str = "auto", processes: int = 2,
                         on_progress: Callable[[Progress], None] | None = None,
                         history_source: str | None = None) -> PlanResult:
    """Find duplicate visits, merge them if asked, plan the day and account for every visit.

    Parameters
    ----------
    day : Day
    travel : DayTravel
    params, options, engine, processes, on_progress
        As for :func:`plan_day`.
    dedupe : {"report", "merge"}, default "report"
        ``"merge"`` plans one visit per duplicate pair; the absorbed visit comes out
        ``merged`` into the one kept.
    history_source : str, optional
        Where ``day.history`` came from (``history.csv``, ``store (N days)``); recorded
        as the run record's ``history`` when given.
    """
    if dedupe not in DEDUPE_MODES:
        raise InputError(f"unknown dedupe mode {dedupe!r}; expected one of "
                         f"{', '.join(DEDUPE_MODES)}", field="dedupe")
    pairs = tuple(find_duplicate_visits(day, travel=travel))
    planned, merges = day, tuple[Merge, ...]()
    if dedupe == "merge":
        planned, merges = merge_duplicates(day, pairs)
    rota = plan_day(planned, travel, params=params, options=options, engine=engine,
                    processes=processes, on_progress=on_progress)
    run = {**rota.run, "dedupe": dedupe, "duplicate_pairs": len(pairs),
           "merges": [{"kept": m.kept, "absorbed": m.absorbed} for m in merges]}
    if history_source is not None:
        run["history"] = history_source
    rota = replace(rota, outcomes=rota.outcomes + merged_outcomes(merges), run=run)
    return PlanResult(day=day, planned=planned, travel=travel, rota=rota, duplicates=pairs,
                      merges=merges)


def plan_folder(inputs: str | Path, *, date: dt.date | None = None, seed: int = 1,
                time_limit_s: float = 30.0, solution_limit: int | None = None,
                roads: str | Path | None = None, cache_dir: str | Path | None = None,
                max_snap_m: int = 1000, pool: bool = False, weights: Weights | None = None,
                dedupe: str = "report", engine: str = "auto", processes: int = 2,
                on_progress: Callable[[Progress], None] | None = None,
                store: str | Path | RotaStore | None = None,
                label: str | None = None) -> PlanResult:
    """Plan a folder of input CSV files exactly as ``carerounds plan`` does.

    Parameters
    ----------
    inputs : str or Path
        The folder with ``providers.csv``, ``workers.csv``, ``clients.csv``,
        ``visits.csv`` (and optionally ``history.csv``).
    date : datetime.date, optional
        The plan date; default tomorrow.
    seed : int, default 1
    time_limit_s : float, default 30
        Wall-clock seconds for the search.
    solution_limit : int, optional
        Stop after this many improving solutions (repeatable runs).
    roads : str or Path, optional
        A road network file; default the straight-line estimate.
    cache_dir : str or Path, optional
        Keeps built networks and matrices between runs.
    max_snap_m : float, default 1000
        Warn when a home is further than this from a road, metres.
    pool : bool, default False
        Let any provider's workers take any visit.
    weights : Weights, optional
        Objective weights; default ``Weights()``.
    dedupe : {"report", "merge"}, default "report"
    engine : {"auto", "monolithic", "decomposed"}, default "auto"
    processes : int, default 2
        Parallel sub-solves of the decomposed engine.
    on_progress : callable, optional
        Receives progress reports of the decomposed engine.
    store : str, Path or RotaStore, optional
        Record the run in this rota store (a URL or SQLite path; see
        :func:`carerounds.scheduler.store.open_store`): continuity comes from its last
        28 days when the inputs have no ``history.csv``, and the rota is saved as a
        new version, published only when :func:`~carerounds.scheduler.check.check_rota`
        accepts it (``PlanResult.stored`` says).
    label : str, optional
        Who or what planned, for the store (default ``night plan``, or ``replan HH:MM``
        when the date has a rota already).

    Returns
    -------
    PlanResult
        Write it with :func:`carerounds.scheduler.render.write_plan` to get the files
        ``carerounds plan`` writes.
    """
    from .inputs import read_day
    from .travel import build_travel

    plan_date = date or (dt.date.today() + dt.timedelta(days=1))
    params = SolveParams(time_limit_s=time_limit_s, solution_limit=solution_limit, seed=seed)
    options = PlanOptions(pool=pool, weights=weights or Weights())

    def plan(run: RunRecorder | None) -> PlanResult:
        day = read_day(inputs, date=plan_date)
        day = run.use_history(day) if run else day
        travel = build_travel(day, roads=roads, cache_dir=cache_dir, max_snap_m=max_snap_m)
        result = plan_with_duplicates(day, travel, params=params, options=options,
                                      dedupe=dedupe, engine=engine, processes=processes,
                                      on_progress=on_progress,
                                      history_source=run.history_source if run else None)
        return replace(result, stored=run.save(result)) if run else result

    if store is None:
        return plan(None)
    return _plan_in_store(store, plan_date, plan, label=label, parameters={
        "seed": seed, "time_limit_s": time_limit_s, "solution_limit": solution_limit,
        "engine": engine, "pool": pool, "dedupe": dedupe, "processes": processes})


def _plan_in_store(store: str | Path | RotaStore, plan_date: dt.date,
                   plan: Callable[[RunRecorder], PlanResult], *, label: str | None,
                   parameters: dict) -> PlanResult:
    """Run ``plan`` inside a :class:`~carerounds.scheduler.store.recording.RunRecorder`."""
    from .store import open_store
    from .store.recording import RunRecorder

    opened = open_store(store) if isinstance(store, (str, Path)) else store
    try:
        with RunRecorder(opened, plan_date, label=label, parameters=parameters) as run:
            return plan(run)
    finally:
        if opened is not store:
            opened.close()
