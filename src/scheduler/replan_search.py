"""Search around a change: keep old routes where they fit, insert the rest, improve locally.

Solver-neutral helpers of the re-plan (:mod:`carerounds.scheduler.replan`), on a
:class:`~carerounds.routing.Problem` whose vehicles may start part-way through their day:
:func:`warm_start` rebuilds each shift from its old jobs in order and inserts the rest,
:func:`timed_routes` times them, :func:`improve_around_change` lets the solver improve the
shifts near the change from that warm start, and :func:`objective` is the cost they share.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np

from ..routing import Problem, Route, SolveParams, solve
from ..routing.decompose import subproblem
from ..routing.insertion import Inserter
from ..routing.insertion import timed_routes as _timed_routes

__all__ = ["change_scope", "improve_around_change", "objective", "timed_routes", "warm_start"]

#: Shortest improvement search worth starting, seconds.
MIN_SEARCH_S = 0.5
#: The search around a change lasts at most this long plus :data:`SEARCH_S_PER_JOB` per job
#: in its scope: a small change is a quick change.
SEARCH_BASE_S = 1.0
SEARCH_S_PER_JOB = 0.05


def _append(ins: Inserter, v: int, j: int) -> bool:
    """Put job ``j`` after the last job of shift ``v`` (before or after its breaks) if it fits."""
    if v not in ins.eligible[j]:
        return False
    seq = ins.seqs[v]
    last = max((i for i, item in enumerate(seq) if item >= 0), default=-1)
    for pos in range(last + 1, len(seq) + 1):
        candidate = seq[:pos] + [j] + seq[pos:]
        sched = ins.schedule(v, candidate)
        if sched is not None and ins._resource_ok(v, sched):
            ins.seqs[v], ins.scheds[v] = candidate, sched
            return True
    return False


def warm_start(problem: Problem, seqs: list[list[int]], old_start: dict[int, int],
                seed: int, deadline: float) -> Inserter:
    """The old routes minus what no longer fits, then everything else by cheapest insertion.

    Each shift takes its old jobs in order while they fit (double-ups at their old,
    common start); a double-up that fits on one side only is taken off both. What is
    left (the absent worker's visits, added and unplaced ones) is inserted where it
    costs least, pairs at once.
    """
    ins = Inserter(problem, float("inf"), seed)
    empty = [list(seq) for seq in ins.seqs]
    partner: dict[int, int] = {}
    for link in problem.links:
        partner[link.first], partner[link.second] = link.second, link.first
    present = {j for seq in seqs for j in seq}
    # a double-up that lost one carer is re-placed as a pair
    dropped = {j for j in present if j in partner and partner[j] not in present}
    while True:
        keep = present - dropped
        ins.pinned = {j: old_start[j] for j in keep if j in partner and partner[j] in keep
                      and j in old_start}
        for v in range(len(problem.vehicles)):
            ins.seqs[v] = list(empty[v])
            ins.scheds[v] = ins.schedule(v, ins.seqs[v]) or ins.scheds[v]
        failed = {j for v, seq in enumerate(seqs) for j in seq
                  if j not in dropped and not _append(ins, v, j)}
        halves = {j for j in failed if j in partner}
        orphans = {partner[j] for j in halves} - failed
        dropped |= halves | orphans
        if not orphans:
            break
    placed = {j for seq in ins.sequences() for j in seq}
    ins.pinned = {j: t for j, t in ins.pinned.items() if j in placed}
    ins.deadline = deadline
    todo = [j for j in range(len(problem.jobs)) if j not in placed]
    ins.insert_all(todo)
    placed = {j for seq in ins.sequences() for j in seq}
    ins.insert_all([j for j in todo if j not in placed], eject=True)
    return ins


def timed_routes(problem: Problem, ins: Inserter) -> list[Route]:
    """Routes of the inserter's sequences at their earliest consistent times."""
    return list(_timed_routes(problem, ins))


def objective(problem: Problem, routes: Sequence[Route], unplaced: Sequence[int]) -> int:
    """The objective of some routes and unplaced jobs: travel, lateness, changes, drops."""
    w = problem.weights
    total = sum(problem.jobs[j].drop_penalty or 0 for j in unplaced)
    for route in routes:
        if not route.stops:
            continue
        resource = problem.vehicles[route.vehicle].resource
        total += w.travel_s * route.travel_s + w.distance_m * route.distance_m
        for stop in route.stops:
            job = problem.jobs[stop.job]
            total += w.lateness_s * max(0, stop.start_s - job.tw_end_s)
            if job.preferred_resources and resource not in job.preferred_resources:
                total += w.non_preferred
    return total


def change_scope(problem: Problem, routes: list[Route], seqs: list[list[int]], *,
                 most: int, neighbours: int, touched: Collection[int] = ()
                 ) -> tuple[list[int], list[int], dict[int, int]]:
    """Shifts and jobs to re-optimise around the change, and pinned starts across its edge.

    The shifts whose routes changed or that ``touched`` names (the events changed them:
    a visit cancelled or overrunning, their worker late or absent), then for each visit
    re-placed the nearest eligible shifts (by travel from their route), every shift of
    each worker taken together, up to ``most`` shifts (``neighbours`` per visit); their
    jobs and every unplaced job they may serve. A double-up half served outside keeps its
    start (pinned).
    """
    served = {s.job: r.vehicle for r in routes for s in r.stops}
    start_of = {s.job: s.start_s for r in routes for s in r.stops}
    dirty = [v for v in range(len(routes))
             if v in touched or [s.job for s in routes[v].stops] != seqs[v]]
    was = {j: v for v, seq in enumerate(seqs) for j in seq}
    focus = [j for j in range(len(problem.jobs)) if served.get(j, -1) != was.get(j, -1)]
    places: dict[int, np.ndarray] = {}
    ranked: dict[int, float] = {}
    for j in focus:
        loc = problem.jobs[j].location
        distance = []
        for v in problem.eligible_vehicles(j):
            vehicle = problem.vehicles[v]
            if v not in places:
                places[v] = np.array([vehicle.start_location] + [problem.jobs[s.job].location
                                                                 for s in routes[v].stops])
            distance.append((int(problem.duration_s[vehicle.profile][places[v], loc].min()), v))
        for seconds, v in sorted(distance)[:neighbours]:
            ranked[v] = min(ranked.get(v, seconds), seconds)
    siblings: dict[str, list[int]] = defaultdict(list)
    for v, vehicle in enumerate(problem.vehicles):
        siblings[vehicle.resource].append(v)
    chosen: list[int] = []
    for v in dirty + sorted(set(ranked) - set(dirty), key=lambda u: (ranked[u], u)):
        if len(chosen) >= most:
            break
        chosen += [u for u in siblings[problem.vehicles[v].resource] if u not in chosen]
    scope = set(chosen)
    jobs = {s.job for v in chosen for s in routes[v].stops}
    # every unplaced job the scope's shifts may serve: time the change freed can take it
    jobs |= {j for j in range(len(problem.jobs))
             if j not in served and scope & set(problem.eligible_vehicles(j))}
    pins: dict[int, int] = {}
    for link in problem.links:
        for a, b in ((link.first, link.second), (link.second, link.first)):
            if a in jobs and b not in jobs:
                if b in served:
                    pins[a] = start_of[a]
                else:
                    jobs.discard(a)
    return sorted(jobs), sorted(chosen), pins


def improve_around_change(problem: Problem, routes: list[Route], seqs: list[list[int]],
                          params: SolveParams, deadline: float, *, most: int = 40,
                          neighbours: int = 4, touched: Sequence[int] = ()) -> dict:
    """Let the solver improve the shifts around the change from the current routes, in place.

    The scope (:func:`change_scope`) becomes a subproblem solved from ``routes`` as a warm
    start until ``deadline`` or for :data:`SEARCH_BASE_S` plus :data:`SEARCH_S_PER_JOB` per
    job in scope, whichever comes first; its routes replace the current ones only when every pinned
    start is kept and the objective (:func:`objective`) is lower.

    Returns
    -------
    dict
        What was tried: scope size, search time, objective before and after, kept or not.
    """
    jobs, vehicles, pins = change_scope(problem, routes, seqs, most=most, neighbours=neighbours,
                                        touched=set(touched))
    left = deadline - time.perf_counter()
    info: dict[str, object] = {"scope_shifts": len(vehicles), "scope_jobs": len(jobs),
                               "improved": False}
    if not vehicles or not jobs or left < MIN_SEARCH_S:
        return info
    sub = subproblem(problem, jobs, vehicles, pin=pins)
    position = {j: i for i, j in enumerate(sub.jobs)}
    initial = [[position[s.job] for s in routes[v].stops] for v in sub.vehicles]
    limit = min(left, SEARCH_BASE_S + SEARCH_S_PER_JOB * len(jobs))
    found = solve(sub.problem, replace(params, time_limit_s=limit), initial=initial)
    mapped = [replace(r, vehicle=sub.vehicles[r.vehicle],
                      stops=tuple(replace(s, job=sub.jobs[s.job]) for s in r.stops))
              for r in found.routes]
    served_now = {s.job for r in mapped for s in r.stops}
    served_before = {s.job for v in vehicles for s in routes[v].stops}
    if any(j not in served_now for j in pins):
        return info
    before = objective(problem, [routes[v] for v in vehicles],
                   [j for j in sub.jobs if j not in served_before])
    after = objective(problem, mapped, [j for j in sub.jobs if j not in served_now])
    info.update(search_s=round(found.wall_s, 2), cost_before=before, cost_after=after)
    if after < before:
        for route in mapped:
            routes[route.vehicle] = route
        info["improved"] = True
    return info
