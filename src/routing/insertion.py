"""Pair-aware cheapest insertion and time tightening: routing without a solver library.

This module never imports OR-Tools. :func:`solve_by_insertion` gives a complete rota in
well under a second on a county day; the OR-Tools adapter (:mod:`.solver`) uses the
same :class:`Inserter` for its first solution and its repair, and :func:`tighten_times`
to read every route back with the latest leave and earliest return its stops allow.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .explain import explain_unassigned
from .problem import BreakTaken, Link, Problem, Route, Solution, SolveParams, Stop, Vehicle

__all__ = ["Inserter", "TimedPlan", "build_routes", "drop_penalty", "earliest_schedule",
           "least_waiting", "place_unassigned", "schedule_sequences", "solution_from",
           "solve_by_insertion", "tighten_times"]


def solve_by_insertion(problem: Problem, params: SolveParams, *,
                       complete: bool = False) -> Solution:
    """A rota from pair-aware cheapest insertion alone, without a solver model.

    On a county day this takes about a second where building the OR-Tools model takes
    minutes, so it gives the decomposed engine its first complete rota. Pairs that do
    not fit may displace cheaper single jobs (as in :func:`solve`'s repair).

    Parameters
    ----------
    problem : Problem
    params : SolveParams
        ``seed`` orders the insertion (0: by priority and window); ``time_limit_s``
        bounds it.
    complete : bool, default False
        Let the first pass (each job offered once) finish whatever the time limit; the
        limit then bounds only the second pass, where pairs may displace single jobs.
        A first pass is one cheapest-insertion sweep: about 0.1 s at 350 jobs, 0.4 s at
        1,600 (measured), so it stays a bounded amount of work.

    Returns
    -------
    Solution
        Status ``"feasible"``; every job not placed is in ``unassigned`` with a cause.
    """
    if not params.time_limit_s > 0:
        raise InputError("time limit must be positive seconds", field="time_limit_s")
    started = time.perf_counter()
    deadline = started + params.time_limit_s
    ins = Inserter(problem, float("inf") if complete else deadline, params.seed)
    everything = list(range(len(problem.jobs)))
    ins.insert_all(everything)
    ins.deadline = deadline
    placed = {j for seq in ins.sequences() for j in seq}
    ins.insert_all([j for j in everything if j not in placed], eject=True)
    routes = timed_routes(problem, ins)
    served = {st.job for r in routes for st in r.stops}
    dropped = [j for j in everything if j not in served]
    w = problem.weights
    objective = (sum(w.travel_s * r.travel_s + w.distance_m * r.distance_m for r in routes)
                 + sum(problem.jobs[j].drop_penalty or 0 for j in dropped))
    return Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                    objective=int(objective), wall_s=time.perf_counter() - started,
                    first_solution_s=time.perf_counter() - started, status="feasible",
                    params=params)



def timed_routes(problem: Problem, ins: Inserter) -> tuple[Route, ...]:
    """Routes of an inserter's sequences, at the latest leave and earliest return they allow."""
    plans = []
    for v, seq in enumerate(ins.seqs):
        vehicle = problem.vehicles[v]
        sched = ins.schedule(v, seq)
        if sched is None or not sched.used:
            plans.append(TimedPlan(v, (), (), vehicle.shift_start_s, vehicle.shift_start_s, ()))
            continue
        jobs, starts, breaks = [], [], []
        for item, free_s in zip(seq, sched.dep):
            if item >= 0:
                jobs.append(item)
                starts.append(free_s - problem.jobs[item].service_s)
            elif free_s >= 0:
                duration = vehicle.breaks[-item - 1].duration_s
                breaks.append(BreakTaken(start_s=free_s - duration, duration_s=duration))
        plans.append(TimedPlan(v, tuple(jobs), tuple(starts), sched.leave_s, sched.back_s,
                               tuple(sorted(breaks, key=lambda b: b.start_s))))
    return build_routes(problem, _timed_within_limits(problem, tighten_times(problem, plans),
                                                      plans))


def _late_where_limited(problem: Problem, plans: list[TimedPlan], *, strict: bool = True
                        ) -> list[TimedPlan] | None:
    """Plans with each worker's visits as late as their returns allow, where that is needed.

    Earliest times make a route's span its longest; the inserter judges work limits and
    split shifts on the span with the first visit as late as the waits after it allow
    (:meth:`Inserter.schedule`), so a worker whose plans break a limit, or overlap, at
    earliest times gets :func:`least_waiting`'s times, which are at least that late.
    Other plans keep their earliest times. None, when ``strict``, if a worker breaks a
    limit even so.
    """
    by_resource: dict[str, list[int]] = {}
    for i, pl in enumerate(plans):
        if pl.jobs:
            by_resource.setdefault(problem.vehicles[pl.vehicle].resource, []).append(i)

    def over(resource: str, mine: list[TimedPlan]) -> bool:
        spans = [pl.back_s - pl.leave_s for pl in mine]
        limit = problem.resource_max_work_s.get(resource)
        ordered = sorted(mine, key=lambda pl: pl.leave_s)
        return ((limit is not None and sum(spans) > limit)
                or any(problem.vehicles[pl.vehicle].max_work_s is not None
                       and span > problem.vehicles[pl.vehicle].max_work_s  # type: ignore[operator]
                       for pl, span in zip(mine, spans))
                or any(a.back_s > b.leave_s for a, b in zip(ordered, ordered[1:])))

    out = list(plans)
    for resource, idx in by_resource.items():
        if not over(resource, [plans[i] for i in idx]):
            continue
        later = least_waiting(problem, [plans[i] for i in idx])
        if strict and over(resource, later):
            return None
        for i, pl in zip(idx, later):
            out[i] = pl
    return out


def _timed_within_limits(problem: Problem, tight: list[TimedPlan], own: list[TimedPlan]
                         ) -> list[TimedPlan]:
    """Tightened times, or the inserter's own, for each set of workers joined by links.

    Tightening (:func:`tighten_times`) moves a double-up to its earliest common time,
    which can take up a wait the inserter counted on to start a worker's day later
    (``late_s``) and so break the worker's work limit; the inserter's own times keep
    it. Workers who share a double-up must agree on its time, so the choice is made
    for each set of workers joined by links: tightened where no worker in the set then
    breaks a limit (at latest times where needed, :func:`_late_where_limited`), else
    the inserter's own.
    """
    resource_of = [problem.vehicles[pl.vehicle].resource for pl in own]
    parent: dict[str, str] = {r: r for r in resource_of}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    serving = {j: resource_of[i] for i, pl in enumerate(own) for j in pl.jobs}
    for link in problem.links:
        if link.first in serving and link.second in serving:
            parent[root(serving[link.first])] = root(serving[link.second])
    sets: dict[str, list[int]] = {}
    for i, pl in enumerate(own):
        if pl.jobs:
            sets.setdefault(root(resource_of[i]), []).append(i)
    out = list(tight)
    for idx in sets.values():
        chosen = _late_where_limited(problem, [tight[i] for i in idx])
        if chosen is None:
            chosen = _late_where_limited(problem, [own[i] for i in idx], strict=False)
        for i, pl in zip(idx, chosen or ()):
            out[i] = pl
    return out


def place_unassigned(problem: Problem, solution: Solution, *, deadline: float,
                     rounds: int = 3) -> Solution:
    """``solution`` with what fits of its unassigned jobs inserted, moving others to make room.

    The routes are loaded as they stand; each round offers every unassigned job again:
    a single job at its cheapest feasible place, else by moving one single job of no
    higher priority to another route (:meth:`Inserter.insert_moving`); a pair at its
    cheapest place, else displacing cheaper single jobs. A search that improves routes
    area by area leaves such room at its boundaries and after its last move. Routes
    that did not change keep their times exactly; the rest are re-timed. The result is
    checked (:func:`.verify.verify_solution`); a resource it finds over its limits is
    left alone in a new attempt, and after three attempts ``solution`` itself is returned.

    Parameters
    ----------
    problem : Problem
    solution : Solution
        Feasible routes of ``problem``.
    deadline : float
        ``time.perf_counter()`` time to stop by.
    rounds : int, default 3
        Passes over the unassigned jobs (each placement can open room for another).

    Returns
    -------
    Solution
        With at least as many jobs served, every job in ``unassigned`` explained; the
        objective counts travel, distance and drop penalties (as the decomposed engine's).
    """
    from .verify import verify_solution

    if not solution.unassigned or not problem.vehicles:
        return solution
    keep: set[int] = set()
    ids = {veh.id: v for v, veh in enumerate(problem.vehicles)}
    for _ in range(3):
        found = _place_once(problem, solution, deadline, rounds, keep)
        bad = {ids[x.vehicle] for x in verify_solution(problem, found) if x.vehicle in ids}
        if not bad and len(found.unassigned) <= len(solution.unassigned):
            return found
        if not bad or time.perf_counter() > deadline:
            break
        keep |= {u for v in bad for u, veh in enumerate(problem.vehicles)
                 if veh.resource == problem.vehicles[v].resource}
    return solution


def _place_once(problem: Problem, solution: Solution, deadline: float, rounds: int,
                keep: set[int]) -> Solution:
    """One attempt of :func:`place_unassigned`, the vehicles in ``keep`` left as they are."""
    left = [u.job for u in solution.unassigned]
    ins = Inserter(problem, deadline)
    ins.frozen |= keep
    ins.load_solution(solution)
    for _ in range(rounds):
        served = {j for seq in ins.sequences() for j in seq}
        if not ins.insert_all([j for j in left if j not in served], eject=True):
            break
        if time.perf_counter() > deadline:
            break
    return solution_from(problem, solution, ins)


def solution_from(problem: Problem, solution: Solution, ins: Inserter) -> Solution:
    """The solution an inserter loaded from ``solution`` now holds, its changes re-timed.

    An unchanged route keeps the times it had in ``solution`` (the inserter's timing is
    conservative, and a frozen route's is only estimated), unless it serves a link
    partner of a changed route (re-timing moves pairs together) or is another shift of
    a changed route's worker (their shared work limit was checked on the inserter's
    timing of both). Jobs served nowhere are
    explained; the objective counts travel, distance and drop penalties.
    """
    before = [[s.job for s in r.stops] for r in solution.routes]
    after = ins.sequences()
    timed = timed_routes(problem, ins)
    changed = {v for v, (seq, jobs) in enumerate(zip(after, before, strict=True)) if seq != jobs}
    vehicle_of = {j: v for v, seq in enumerate(after) for j in seq}
    partners: dict[int, list[int]] = {}
    for link in problem.links:
        partners.setdefault(link.first, []).append(link.second)
        partners.setdefault(link.second, []).append(link.first)
    todo = list(changed)
    while todo:
        v = todo.pop()
        # one person's shifts share a work limit checked on the inserter's timing of each
        near = {u for u in ins.siblings[ins.resource_of[v]] if u not in ins.frozen}
        near.update(vehicle_of[k] for j in after[v] for k in partners.get(j, ())
                    if k in vehicle_of)
        for u in near - changed:
            changed.add(u)
            todo.append(u)
    routes = tuple(new if v in changed else old
                   for v, (old, new) in enumerate(zip(solution.routes, timed, strict=True)))
    served = {st.job for r in routes for st in r.stops}
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    w = problem.weights
    objective = (sum(w.travel_s * r.travel_s + w.distance_m * r.distance_m for r in routes)
                 + sum(problem.jobs[j].drop_penalty or 0 for j in dropped))
    return Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                    objective=int(objective), wall_s=solution.wall_s,
                    first_solution_s=solution.first_solution_s, status=solution.status,
                    params=solution.params, source=solution.source)


def drop_penalty(problem: Problem, solution: Solution) -> int:
    """The summed drop penalties of a solution's unassigned jobs (mandatory ones count 10**15)."""
    total = 0
    for u in solution.unassigned:
        penalty = problem.jobs[u.job].drop_penalty
        total += 10**15 if penalty is None else penalty
    return total



@dataclass(frozen=True)
class TimedPlan:
    """One vehicle's sequence with service starts, leave and return times and breaks."""

    vehicle: int
    jobs: tuple[int, ...]
    starts: tuple[int, ...]
    leave_s: int
    back_s: int
    breaks: tuple[BreakTaken, ...]


def build_routes(problem: Problem, plans: list[TimedPlan]) -> tuple[Route, ...]:
    """Turn timed sequences into Routes with legs measured on the matrices."""
    routes = []
    for plan in plans:
        veh = problem.vehicles[plan.vehicle]
        if not plan.jobs:
            routes.append(Route(vehicle=plan.vehicle, stops=(), start_s=veh.shift_start_s,
                                end_s=veh.shift_start_s, return_travel_s=0, return_distance_m=0))
            continue
        dur, dist = problem.duration_s[veh.profile], problem.distance_m[veh.profile]
        stops = []
        loc, prev_end = veh.start_location, plan.leave_s
        for j, begin in zip(plan.jobs, plan.starts):
            job = problem.jobs[j]
            travel = int(dur[loc, job.location])
            stops.append(Stop(job=j, arrival_s=_arrival(prev_end, travel, begin, plan.breaks),
                              start_s=begin, end_s=begin + job.service_s, travel_s=travel,
                              distance_m=int(dist[loc, job.location])))
            loc, prev_end = job.location, begin + job.service_s
        routes.append(Route(vehicle=plan.vehicle, stops=tuple(stops), start_s=plan.leave_s,
                            end_s=plan.back_s, return_travel_s=int(dur[loc, veh.end_location]),
                            return_distance_m=int(dist[loc, veh.end_location]),
                            breaks=plan.breaks,
                            overtime_s=max(0, plan.back_s - veh.shift_end_s)))
    return tuple(routes)


def schedule_sequences(problem: Problem, sequences: Sequence[Sequence[int]],
                       pinned: Mapping[int, int] | None = None) -> tuple[Route, ...] | None:
    """Timed routes for job sequences of vehicles without breaks, or None if one cannot run.

    Each route leaves at its shift start and starts every job as early as travel and its
    window allow (a pinned job exactly at its pinned start); :func:`tighten_times` then
    moves linked jobs to their earliest common times and each departure as late as the
    first visit allows. Used to read back solvers (PyVRP) that return sequences only.

    Parameters
    ----------
    problem : Problem
    sequences : sequence of sequences of int
        For each vehicle, the job indices it serves in order.
    pinned : mapping of int to int, optional
        Job index -> the service start (seconds) it must keep.

    Returns
    -------
    tuple of Route or None
        None when a sequence misses a window (with allowed lateness), a pinned start or
        its shift end; other rules (links, work limits) are left to :mod:`.verify`.
    """
    pinned = pinned or {}
    plans = []
    for v, seq in enumerate(sequences):
        veh = problem.vehicles[v]
        if not seq:
            plans.append(TimedPlan(v, (), (), veh.shift_start_s, veh.shift_start_s, ()))
            continue
        dur = problem.duration_s[veh.profile]
        t, loc, starts = veh.shift_start_s, veh.start_location, []
        for j in seq:
            job = problem.jobs[j]
            arrive = t + int(dur[loc, job.location])
            start = max(arrive, job.tw_start_s) if j not in pinned else pinned[j]
            if start < arrive or start > job.tw_end_s + job.max_lateness_s:
                return None
            starts.append(start)
            t, loc = start + job.service_s, job.location
        back = t + int(dur[loc, veh.end_location])
        if back > veh.shift_end_s + problem.weights.overtime_allowed_s:
            return None
        plans.append(TimedPlan(v, tuple(seq), tuple(starts), veh.shift_start_s, back, ()))
    return build_routes(problem, tighten_times(problem, plans))


def earliest_schedule(problem: Problem,
                      sequences: Sequence[Sequence[int]]) -> tuple[Route, ...] | None:
    """Timed routes with every service as early as travel, windows and links allow.

    The least solution of ``start >= window start``, ``start >= previous end + travel``
    (from the shift start) and each link's gap, found by iterating to a fixed point:
    it minimises every start at once, hence every lateness term. Linked jobs wait for
    each other, so the schedule may make later jobs late; that is priced, not refused,
    up to each job's ``max_lateness_s``. Routes then leave as late as the first visit
    allows. For vehicles without breaks.

    Parameters
    ----------
    problem : Problem
    sequences : sequence of sequences of int
        For each vehicle, the job indices it serves in order.

    Returns
    -------
    tuple of Route or None
        None when the sequences' orders contradict the links (no schedule exists),
        a vehicle has breaks, or a start or return misses its hard limit.
    """
    edges: list[tuple[int, int, int]] = []
    x: dict[int, int] = {}
    for v, seq in enumerate(sequences):
        veh = problem.vehicles[v]
        if seq and veh.breaks:
            return None
        dur = problem.duration_s[veh.profile]
        loc, prev = veh.start_location, None
        for j in seq:
            job = problem.jobs[j]
            travel = int(dur[loc, job.location])
            if prev is None:
                x[j] = max(job.tw_start_s, veh.shift_start_s + travel)
            else:
                x[j] = job.tw_start_s
                edges.append((prev, j, problem.jobs[prev].service_s + travel))
            loc, prev = job.location, j
    for link in problem.links:
        if link.first in x and link.second in x:
            edges.append((link.first, link.second, link.min_gap_s))
            edges.append((link.second, link.first, -link.max_gap_s))
    for _ in range(len(x) + 1):
        changed = False
        for a, b, gap in edges:
            if x[a] + gap > x[b]:
                x[b], changed = x[a] + gap, True
        if not changed:
            break
    else:
        return None
    plans = []
    for v, seq in enumerate(sequences):
        veh = problem.vehicles[v]
        if not seq:
            plans.append(TimedPlan(v, (), (), veh.shift_start_s, veh.shift_start_s, ()))
            continue
        dur = problem.duration_s[veh.profile]
        last = problem.jobs[seq[-1]]
        back = x[seq[-1]] + last.service_s + int(dur[last.location, veh.end_location])
        if back > veh.shift_end_s + problem.weights.overtime_allowed_s or any(
                x[j] > problem.jobs[j].tw_end_s
                                         + problem.jobs[j].max_lateness_s for j in seq):
            return None
        leave = x[seq[0]] - int(dur[veh.start_location, problem.jobs[seq[0]].location])
        plans.append(TimedPlan(v, tuple(seq), tuple(x[j] for j in seq), leave, back, ()))
    if problem.weights.waiting_s:
        plans = least_waiting(problem, plans)
    return build_routes(problem, plans)


def tighten_times(problem: Problem, plans: list[TimedPlan]) -> list[TimedPlan]:
    """Move every service start to its earliest value consistent with the solver's choices.

    The solver leaves waiting time wherever it likes. Keeping its sequences, its break
    times and each route's duration as upper bounds, the earliest schedule is the least
    solution of monotone lower-bound constraints (travel, windows, breaks, link gaps,
    one resource's routes in order), found by iterating to a fixed point; it is never
    later than the solver's, so every upper bound the solver met still holds. Each route
    then leaves as late as its first stop allows. Falls back to the solver's times if
    anything looks off.
    """
    used = [pl for pl in plans if pl.jobs]
    x = {j: problem.jobs[j].tw_start_s for pl in used for j in pl.jobs}
    solver_x = {j: s for pl in used for j, s in zip(pl.jobs, pl.starts)}
    gaps = {}
    for pl in used:
        g = _break_gaps(problem, pl)
        if g is None:
            return plans
        gaps[pl.vehicle] = g
    previous: dict[int, int] = {}
    by_resource: dict[str, list[TimedPlan]] = {}
    for pl in used:
        by_resource.setdefault(problem.vehicles[pl.vehicle].resource, []).append(pl)
    for group in by_resource.values():
        group.sort(key=lambda pl: pl.leave_s)
        for a, b in zip(group, group[1:]):
            previous[b.vehicle] = a.vehicle
    back = {pl.vehicle: 0 for pl in used}
    for _ in range(10 * len(problem.links) + 10):
        changed = False
        for pl in used:
            veh = problem.vehicles[pl.vehicle]
            dur = problem.duration_s[veh.profile]
            before, inner = gaps[pl.vehicle]
            ready = max([veh.shift_start_s, back[pl.vehicle] - (pl.back_s - pl.leave_s)]
                        + [b.start_s + b.duration_s for b in before]
                        + ([back[previous[pl.vehicle]]] if pl.vehicle in previous else []))
            loc = veh.start_location
            for k, j in enumerate(pl.jobs):
                job = problem.jobs[j]
                lb = max(job.tw_start_s, _after_gap(ready, int(dur[loc, job.location]), inner[k]))
                if lb > x[j]:
                    x[j], changed = lb, True
                ready, loc = x[j] + job.service_s, job.location
            end = _after_gap(ready, int(dur[loc, veh.end_location]), inner[-1])
            if end != back[pl.vehicle]:
                back[pl.vehicle], changed = end, True
        for link in problem.links:
            first, second = link.first, link.second
            if first in x and second in x:
                if x[first] + link.min_gap_s > x[second]:
                    x[second], changed = x[first] + link.min_gap_s, True
                if x[second] - link.max_gap_s > x[first]:
                    x[first], changed = x[second] - link.max_gap_s, True
        if not changed:
            break
    else:
        return plans
    if any(x[j] > solver_x[j] for j in x) or any(back[pl.vehicle] > pl.back_s for pl in used):
        return plans
    out = []
    for pl in plans:
        if not pl.jobs:
            out.append(pl)
            continue
        veh = problem.vehicles[pl.vehicle]
        first_job = problem.jobs[pl.jobs[0]]
        gap0 = gaps[pl.vehicle][1][0]
        leave = x[pl.jobs[0]] - int(problem.duration_s[veh.profile][veh.start_location,
                                                                     first_job.location])
        leave -= sum(b.duration_s for b in gap0)
        leave = min([leave] + [b.start_s for b in gap0])
        out.append(TimedPlan(pl.vehicle, pl.jobs, tuple(x[j] for j in pl.jobs), leave,
                         back[pl.vehicle], pl.breaks))
    return least_waiting(problem, out) if problem.weights.waiting_s else out


def least_waiting(problem: Problem, plans: list[TimedPlan]) -> list[TimedPlan]:
    """Move visits as late as each route's return allows, so idle time gathers at the start.

    With waiting priced (:attr:`Weights.waiting_s`), the earliest schedule is the wrong
    one: it starts early and waits for later windows. Keeping each route's sequence,
    its return time and its breaks, every stop (last to first) starts as late as the
    next stop (or the way home, breaks in between) allows, never after its window's end
    (nor later than now if already late) and never earlier than now; linked jobs keep
    their times, since their partners' routes depend on them. The route then leaves as
    late as its first visit allows. Nothing gets later than the route's end, so shift,
    work limits and other routes are untouched; each route's waiting is then the least
    its sequence and return time permit.
    """
    linked = {j for link in problem.links for j in (link.first, link.second)}
    out = []
    for pl in plans:
        gaps = _break_gaps(problem, pl) if pl.jobs else None
        if gaps is None:
            out.append(pl)
            continue
        veh = problem.vehicles[pl.vehicle]
        dur = problem.duration_s[veh.profile]
        inner = gaps[1]
        starts = list(pl.starts)
        nxt_start, nxt_loc = pl.back_s, veh.end_location
        for k in range(len(pl.jobs) - 1, -1, -1):
            job = problem.jobs[pl.jobs[k]]
            gap = inner[k + 1]
            latest = (nxt_start - int(dur[job.location, nxt_loc]) - job.service_s
                      - sum(b.duration_s for b in gap))
            latest = min([latest] + [b.start_s - job.service_s for b in gap])
            cap = job.tw_end_s if starts[k] <= job.tw_end_s else starts[k]
            if pl.jobs[k] not in linked:
                starts[k] = max(starts[k], min(latest, cap))
            nxt_start, nxt_loc = starts[k], job.location
        first = problem.jobs[pl.jobs[0]]
        leave = starts[0] - int(dur[veh.start_location, first.location])
        leave -= sum(b.duration_s for b in inner[0])
        leave = min([leave] + [b.start_s for b in inner[0]])
        out.append(TimedPlan(pl.vehicle, pl.jobs, tuple(starts), max(leave, pl.leave_s),
                             pl.back_s, pl.breaks))
    return out


def _after_gap(ready: int, travel: int, breaks: list[BreakTaken]) -> int:
    """Earliest time after ``ready`` that fits ``travel`` plus breaks fixed in this gap."""
    return max([ready + travel + sum(b.duration_s for b in breaks)]
               + [b.start_s + b.duration_s for b in breaks])


def _break_gaps(problem: Problem, pl: TimedPlan):
    """Assign each break to before the route or to the gap before stop k (k = n: return)."""
    ends = [pl.leave_s] + [s + problem.jobs[j].service_s for j, s in zip(pl.jobs, pl.starts)]
    begins = list(pl.starts) + [pl.back_s]
    before: list[BreakTaken] = []
    inner: list[list[BreakTaken]] = [[] for _ in begins]
    for b in pl.breaks:
        b_end = b.start_s + b.duration_s
        if b_end <= pl.leave_s:
            before.append(b)
            continue
        if b.start_s >= pl.back_s:
            continue
        for k, (lo, hi) in enumerate(zip(ends, begins)):
            if lo <= b.start_s and b_end <= hi:
                inner[k].append(b)
                break
        else:
            return None
    return before, inner


def _arrival(leave_s: int, travel_s: int, latest_s: int, breaks: tuple[BreakTaken, ...]) -> int:
    """When travel started at ``leave_s`` ends, pausing for breaks taken on the way."""
    t, remaining = leave_s, travel_s
    for b in breaks:
        b_end = b.start_s + b.duration_s
        if b_end <= t or b.start_s >= latest_s:
            continue
        if b.start_s >= t + remaining:
            break
        remaining -= max(0, b.start_s - t)
        t = max(t, b_end)
    return min(t + remaining, latest_s)



# -- pair-aware insertion (plain Python on the Problem; no OR-Tools) -------------------------


def _fits(problem: Problem, v: int, demand: int) -> bool:
    """The job's load fits the vehicle's capacity (no capacity: always)."""
    capacity = problem.vehicles[v].capacity
    return capacity is None or demand <= capacity


@dataclass(frozen=True)
class _Sched:
    """A route's timing under the insertion heuristic's conservative rules."""

    cost: int
    leave_s: int
    back_s: int
    dep: tuple[int, ...]       # time the vehicle is free after each item of the sequence
    used: bool
    late_s: int = 0            # latest leave keeping every later time (work limits use it)


_UNUSED = _Sched(cost=0, leave_s=0, back_s=0, dep=(), used=False)


def _breaks_after_return(veh: Vehicle, seq: list[int], last: int, back: int, dep: list[int]
                         ) -> bool:
    """Time the breaks after a route's last job (past ``last``) from its return ``back``.

    Each is taken after the one before, into ``dep``; False when one cannot start by its
    latest start or end by the shift's end.
    """
    after = back
    for i in range(last + 1, len(seq)):
        b = veh.breaks[-seq[i] - 1]
        bs = max(after, b.earliest_s)
        if bs > b.latest_s or bs + b.duration_s > veh.shift_end_s:
            return False
        after = bs + b.duration_s
        dep[i] = after
    return True


class Inserter:
    """Cheapest insertion that places both jobs of a link at once.

    Sequences hold job indices (>= 0) and the vehicle's breaks as ``-(k + 1)``. Timing
    is conservative with respect to the OR-Tools model (a break is taken where it sits
    in the sequence, before the next trip; a linked job is pinned to one start time),
    so a sequence feasible here is feasible there. Used to build the first solution
    when jobs are linked and to re-insert dropped pairs after local search.
    """

    def __init__(self, problem: Problem, deadline: float, seed: int = 0) -> None:
        p = self.p = problem
        # Seed 0 keeps the plain order; another seed jitters window starts by up to 30 min.
        self.jitter = random.Random(seed) if seed else None
        self.w = p.weights
        self.deadline = deadline
        self.dur = {k: m.tolist() for k, m in p.duration_s.items()}
        self.dist = {k: m.tolist() for k, m in p.distance_m.items()} if self.w.distance_m else None
        self.eligible = []
        for j, job in enumerate(p.jobs):
            self.eligible.append([v for v in p.eligible_vehicles(j)
                                  if self._shift_can_cover(v, j) and _fits(p, v, job.demand)])
        self.resource_of = [veh.resource for veh in p.vehicles]
        self.siblings: dict[str, list[int]] = {}
        for v, veh in enumerate(p.vehicles):
            self.siblings.setdefault(veh.resource, []).append(v)
        self.pinned: dict[int, int] = {}
        self.linked = {j for link in p.links for j in (link.first, link.second)}
        self.seqs: list[list[int]] = [[-(k + 1) for k in self._break_order(v)]
                                      for v in range(len(p.vehicles))]
        self.frozen: set[int] = set()
        self.scheds: list[_Sched] = [_UNUSED for _ in p.vehicles]
        # each job's links (ruin and recreate asks for units thousands of times a second)
        self._link_of: dict[int, list[Link]] = {}
        for link in p.links:
            self._link_of.setdefault(link.first, []).append(link)
            self._link_of.setdefault(link.second, []).append(link)

    def _break_order(self, v: int) -> list[int]:
        breaks = self.p.vehicles[v].breaks
        return sorted(range(len(breaks)), key=lambda k: (breaks[k].earliest_s, breaks[k].latest_s))

    def _shift_can_cover(self, v: int, j: int) -> bool:
        veh, job = self.p.vehicles[v], self.p.jobs[j]
        dur = self.p.duration_s[veh.profile]
        arrive = veh.shift_start_s + int(dur[veh.start_location, job.location])
        if max(arrive, job.tw_start_s) > job.tw_end_s + job.max_lateness_s:
            return False
        back = (max(arrive, job.tw_start_s) + job.service_s
                + int(dur[job.location, veh.end_location]))
        return back <= veh.shift_end_s + self.w.overtime_allowed_s

    # -- timing ---------------------------------------------------------------------------

    def schedule(self, v: int, seq: list[int]) -> _Sched | None:
        """Timing and cost of a sequence on vehicle ``v``, or None if infeasible."""
        p, w = self.p, self.w
        veh = p.vehicles[v]
        last = len(seq) - 1
        while last >= 0 and seq[last] < 0:  # the last job (breaks are few and negative)
            last -= 1
        if last < 0:
            return _UNUSED
        dur = self.dur[veh.profile]
        dist = self.dist[veh.profile] if self.dist is not None else None
        jobs = p.jobs
        t, loc = veh.shift_start_s, veh.start_location
        cost, load = veh.fixed_cost, 0
        first_start = first_travel = None
        pre_breaks: list[tuple[int, int]] = []
        dep = []
        # How much later the first visit could start without moving the return: the
        # waits after it absorb the delay, up to the first break or linked visit (which
        # keep their times); no visit may start later than its window (or than now, if
        # already late). The route may then leave that much later (a shorter span, for
        # work limits and split shifts); :func:`timed_routes` times it so where it must.
        delay, waited, delayable = 0, 0, True
        linked = self.linked
        for i, item in enumerate(seq):
            if item < 0:
                b = veh.breaks[-item - 1]
                if i > last:
                    dep.append(-1)
                    continue
                bs = max(t, b.earliest_s)
                if bs > b.latest_s:
                    return None
                t = bs + b.duration_s
                if first_start is None:
                    pre_breaks.append((bs, t))
                elif delayable:
                    delay, delayable = min(delay, waited), False
                dep.append(t)
                continue
            job = jobs[item]
            travel = dur[loc][job.location]
            s = t + travel
            pin = self.pinned.get(item)
            if pin is not None:
                if s > pin:
                    return None
                s = pin
            elif s < job.tw_start_s:
                s = job.tw_start_s
            if s > job.tw_end_s + job.max_lateness_s:
                return None
            if s > job.tw_end_s:
                cost += (s - job.tw_end_s) * w.lateness_s
            if first_start is None:
                first_start, first_travel = s, travel
                delay = 0 if pin is not None or item in linked else \
                    (job.tw_end_s if s <= job.tw_end_s else s) - s
                delayable = delay > 0
            else:
                # Conservative: these times are earliest starts, so waiting is at its most.
                cost += (s - t - travel) * w.waiting_s
                if delayable:
                    waited += s - t - travel
                    if pin is not None or item in linked:
                        delay, delayable = min(delay, waited), False
                    else:
                        delay = min(delay, waited + (job.tw_end_s if s <= job.tw_end_s
                                                     else s) - s)
            cost += travel * w.travel_s
            if dist is not None:
                cost += dist[loc][job.location] * w.distance_m
            if job.preferred_resources and veh.resource not in job.preferred_resources:
                cost += w.non_preferred
            load += job.demand
            t, loc = s + job.service_s, job.location
            dep.append(t)
        back_travel = dur[loc][veh.end_location]
        back = t + back_travel
        cost += back_travel * w.travel_s
        if dist is not None:
            cost += dist[loc][veh.end_location] * w.distance_m
        if back > veh.shift_end_s + w.overtime_allowed_s:
            return None
        cost += max(0, back - veh.shift_end_s) * w.overtime_s
        if not _breaks_after_return(veh, seq, last, back, dep):
            return None
        assert first_start is not None and first_travel is not None  # a job was placed
        leave = first_start - first_travel
        if pre_breaks and pre_breaks[-1][1] > leave:
            leave = min([leave - sum(e - s for s, e in pre_breaks)] + [s for s, _ in pre_breaks])
        # the latest leave that keeps every time after it (see ``delay`` above)
        late = leave if pre_breaks else leave + max(0, min(delay, waited) if delayable
                                                    else delay)
        if veh.max_work_s is not None and back - late > veh.max_work_s:
            return None
        if veh.capacity is not None and load > veh.capacity:
            return None
        return _Sched(cost=cost, leave_s=leave, back_s=back, dep=tuple(dep), used=True,
                      late_s=late)

    def _resource_ok(self, v: int, sched: _Sched) -> bool:
        if not sched.used:
            return True
        p = self.p
        veh = p.vehicles[v]
        others = [u for u in self.siblings[veh.resource] if u != v and self.scheds[u].used]
        # The limit binds a resource with one shift too (a worker's max_hours).
        limit = p.resource_max_work_s.get(veh.resource)
        if limit is not None:
            total = sched.back_s - sched.late_s + sum(self.scheds[u].back_s
                                                      - self.scheds[u].late_s for u in others)
            if total > limit:
                return False
        for u in others:
            o = self.scheds[u]
            if o.late_s < sched.back_s and sched.late_s < o.back_s:
                return False
        return True

    # -- insertion --------------------------------------------------------------------------

    def _candidates(self, j: int, vehicles=None):
        """Every feasible single insertion of job ``j``: (delta, vehicle, position, sched)."""
        p = self.p
        job = p.jobs[j]
        hi_j = job.tw_end_s + job.max_lateness_s
        pin = self.pinned.get(j)
        out = []
        for v in (self.eligible[j] if vehicles is None else vehicles):
            if v in self.frozen:
                continue
            veh = p.vehicles[v]
            dur = self.dur[veh.profile]
            seq = self.seqs[v]
            old = self.scheds[v]
            prev_free, prev_loc = veh.shift_start_s, veh.start_location
            for pos in range(len(seq) + 1):
                if pos > 0:
                    item = seq[pos - 1]
                    if item >= 0:
                        prev_loc = p.jobs[item].location
                    if old.used and old.dep[pos - 1] >= 0:
                        prev_free = old.dep[pos - 1]
                arrive = prev_free + dur[prev_loc][job.location]
                if arrive > (pin if pin is not None else hi_j):
                    break
                if pos < len(seq) and seq[pos] >= 0:
                    nxt = p.jobs[seq[pos]]
                    s = max(arrive, job.tw_start_s if pin is None else pin)
                    nxt_hi = self.pinned.get(seq[pos], nxt.tw_end_s + nxt.max_lateness_s)
                    if s + job.service_s + dur[job.location][nxt.location] > nxt_hi:
                        continue
                new_seq = seq[:pos] + [j] + seq[pos:]
                sched = self.schedule(v, new_seq)
                if sched is None or not self._resource_ok(v, sched):
                    continue
                out.append((sched.cost - old.cost, v, pos, sched))
        return out

    def _ejection_candidates(self, j: int, budget: int):
        """Insertions of ``j`` that first remove one unlinked, cheaper job from the route.

        Entries are (delta, vehicle, position, sched, base sequence, ejected job), where
        delta includes the ejected job's drop penalty; only ejections whose penalty is
        below ``budget`` are tried.
        """
        p = self.p
        linked = self.linked
        out = []
        for v in self.eligible[j]:
            if v in self.frozen:
                continue
            seq, old = self.seqs[v], self.scheds[v]
            for k in [i for i in seq if i >= 0 and i not in linked]:
                pen = p.jobs[k].drop_penalty
                if pen is None or pen >= budget:
                    continue
                base = [i for i in seq if i != k]
                base_sched = self.schedule(v, base)
                if base_sched is None:
                    continue
                self.seqs[v], self.scheds[v] = base, base_sched
                try:
                    for delta, _, pos, sched in self._candidates(j, [v]):
                        out.append((delta + base_sched.cost - old.cost + pen, v, pos, sched,
                                    base, k))
                finally:
                    self.seqs[v], self.scheds[v] = seq, old
        return out

    def _start_in(self, v: int, seq: list[int], j: int) -> int:
        """Service start of ``j`` in a feasible sequence (recomputed from the departures)."""
        p = self.p
        veh = p.vehicles[v]
        dur = self.dur[veh.profile]
        sched = self.schedule(v, seq)
        if sched is None:  # callers pass sequences that may not fit: start at the window
            return self.pinned.get(j, p.jobs[j].tw_start_s)
        pos = seq.index(j)
        prev_free, prev_loc = veh.shift_start_s, veh.start_location
        for i in range(pos):
            if seq[i] >= 0:
                prev_loc = p.jobs[seq[i]].location
            if sched.dep[i] >= 0:
                prev_free = sched.dep[i]
        s = prev_free + dur[prev_loc][p.jobs[j].location]
        return self.pinned.get(j, max(s, p.jobs[j].tw_start_s))

    def _apply(self, v: int, pos: int, j: int, sched: _Sched) -> None:
        # a new list, never edited in place: a caller holding the old one (ruin and
        # recreate keeps the lists of a state it may return to) finds it unchanged
        seq = self.seqs[v]
        self.seqs[v] = seq[:pos] + [j] + seq[pos:]
        self.scheds[v] = sched

    def _cheapest(self, j: int):
        """The cheapest of :meth:`_candidates` (least delta, then vehicle, then position).

        Times only the places that could win. Without a price on waiting, inserting a
        job never makes the rest of a route cheaper (it starts no one earlier, so
        lateness and overtime only grow), so a place's change in travel and distance,
        plus the job's continuity price and the vehicle's fixed cost if it was unused,
        is a lower bound on its delta: places are timed in the order of that bound,
        until it passes the best delta found. The same answer as the minimum over every
        candidate, for about a third of the timings on a county day.
        """
        p, w = self.p, self.w
        if w.waiting_s:  # filling a wait can make a route cheaper: no bound
            cands = self._candidates(j)
            return min(cands, key=lambda c: (c[0], c[1], c[2])) if cands else None
        job = p.jobs[j]
        jl = job.location
        hi_j = job.tw_end_s + job.max_lateness_s
        pin = self.pinned.get(j)
        latest = pin if pin is not None else hi_j
        first_s = job.tw_start_s if pin is None else pin
        jobs, pinned = p.jobs, self.pinned
        places = []
        for v in self.eligible[j]:
            if v in self.frozen:
                continue
            veh = p.vehicles[v]
            dur = self.dur[veh.profile]
            dist = self.dist[veh.profile] if self.dist is not None else None
            seq = self.seqs[v]
            old = self.scheds[v]
            n = len(seq)
            fixed = (job.preferred_resources and veh.resource not in job.preferred_resources
                     and w.non_preferred or 0) + (0 if old.used else veh.fixed_cost)
            # the location after each position: the next job's, or the way home
            after = [veh.end_location] * (n + 1)
            for i in range(n - 1, -1, -1):
                after[i] = jobs[seq[i]].location if seq[i] >= 0 else after[i + 1]
            prev_free, prev_loc = veh.shift_start_s, veh.start_location
            for pos in range(n + 1):
                if pos > 0:
                    item = seq[pos - 1]
                    if item >= 0:
                        prev_loc = jobs[item].location
                    if old.used and old.dep[pos - 1] >= 0:
                        prev_free = old.dep[pos - 1]
                to_j = dur[prev_loc][jl]
                if prev_free + to_j > latest:
                    break
                if pos < n and seq[pos] >= 0:
                    nxt = jobs[seq[pos]]
                    s_ = max(prev_free + to_j, first_s)
                    nxt_hi = pinned.get(seq[pos], nxt.tw_end_s + nxt.max_lateness_s)
                    if s_ + job.service_s + dur[jl][nxt.location] > nxt_hi:
                        continue
                nl = after[pos]
                if old.used:
                    bound = (to_j + dur[jl][nl] - dur[prev_loc][nl]) * w.travel_s
                    if dist is not None:
                        bound += (dist[prev_loc][jl] + dist[jl][nl]
                                  - dist[prev_loc][nl]) * w.distance_m
                else:
                    bound = (to_j + dur[jl][nl]) * w.travel_s
                    if dist is not None:
                        bound += (dist[prev_loc][jl] + dist[jl][nl]) * w.distance_m
                places.append((bound + fixed, v, pos))
        places.sort()
        best = None
        for bound, v, pos in places:
            if best is not None and bound > best[0]:
                break
            seq = self.seqs[v]
            sched = self.schedule(v, seq[:pos] + [j] + seq[pos:])
            if sched is None or not self._resource_ok(v, sched):
                continue
            found = (sched.cost - self.scheds[v].cost, v, pos, sched)
            if best is None or found[:3] < best[:3]:
                best = found
        return best

    def insert_single(self, j: int) -> bool:
        """Insert one job at its cheapest feasible place; False if there is none."""
        best = self._cheapest(j)
        if best is None:
            return False
        delta, v, pos, sched = best
        self._apply(v, pos, j, sched)
        return True

    def insert_pair(self, a: int, b: int, lo: int, hi: int, *, eject: bool = False,
                    top: int = 25, enough: int = 4) -> bool:
        """Insert linked jobs a, b with start(b) - start(a) in [lo, hi] on two resources.

        With ``eject``, each half may also displace one cheaper unlinked job from its
        route; the displaced jobs are re-inserted elsewhere where they fit, and the move
        is kept only if the pair's drop penalties outweigh the extra cost plus the
        penalties of displaced jobs left out.
        """
        p = self.p

        def plain(j):
            return [(d, v, pos, sc, self.seqs[v], None) for d, v, pos, sc in self._candidates(j)]

        ca, cb = plain(a), plain(b)
        budget = 0
        if eject:
            pa_, pb_ = p.jobs[a].drop_penalty, p.jobs[b].drop_penalty
            budget = (pa_ or 0) + (pb_ or 0)
            ca += self._ejection_candidates(a, budget)
            cb += self._ejection_candidates(b, budget)
        ca = sorted(ca, key=lambda c: (c[0], c[1], c[2]))[:top]
        cb = sorted(cb, key=lambda c: (c[0], c[1], c[2]))[:top]
        combos = sorted(((x[0] + y[0], i, k) for i, x in enumerate(ca) for k, y in enumerate(cb)
                         if self.resource_of[x[1]] != self.resource_of[y[1]]))
        feasible: list[tuple] = []
        for _, i, k in combos:
            if len(feasible) >= enough or time.perf_counter() > self.deadline:
                break
            _, va, pa, _, base_a, ej_a = ca[i]
            _, vb, pb, _, base_b, ej_b = cb[k]
            seq_a = base_a[:pa] + [a] + base_a[pa:]
            seq_b = base_b[:pb] + [b] + base_b[pb:]
            sa, sb = self._start_in(va, seq_a, a), self._start_in(vb, seq_b, b)
            ta = max(sa, sb - hi)
            tb = max(sb, ta + lo)
            if tb - ta > hi:
                continue
            self.pinned[a], self.pinned[b] = ta, tb
            new_a = self.schedule(va, seq_a)
            new_b = self.schedule(vb, seq_b) if new_a is not None else None
            ok = (new_a is not None and new_b is not None and self._resource_ok(va, new_a)
                  and self._resource_ok(vb, new_b))
            del self.pinned[a], self.pinned[b]
            if ok and new_a is not None and new_b is not None:
                delta = new_a.cost - self.scheds[va].cost + new_b.cost - self.scheds[vb].cost
                ejected = tuple(e for e in (ej_a, ej_b) if e is not None)
                feasible.append((delta, (a, b, va, seq_a, new_a, vb, seq_b, new_b, ta, tb,
                                         ejected)))
        if not feasible:
            return False
        if not eject:
            self._place_pair(*min(feasible, key=lambda f: f[0])[1])
            return True
        # An ejection pays only if the pair's penalties outweigh the extra cost and the
        # penalties of the ejected jobs that find no other place: try each and undo.
        best = None
        for _, move in feasible:
            saved = ([list(q) for q in self.seqs], list(self.scheds), dict(self.pinned))
            before = sum(sc.cost for sc in self.scheds)
            lost = self._place_pair(*move)
            net = sum(sc.cost for sc in self.scheds) - before + lost
            self.seqs, self.scheds, self.pinned = saved
            if net < budget and (best is None or net < best[0]):
                best = (net, move)
        if best is None:
            return False
        self._place_pair(*best[1])
        return True

    def _place_pair(self, a, b, va, seq_a, new_a, vb, seq_b, new_b, ta, tb, ejected) -> int:
        """Apply a pair insertion; re-insert ejected jobs; return penalties of those left out."""
        self.pinned[a], self.pinned[b] = ta, tb
        self.seqs[va], self.scheds[va] = list(seq_a), new_a
        self.seqs[vb], self.scheds[vb] = list(seq_b), new_b
        return sum(self.p.jobs[e].drop_penalty for e in ejected if not self.insert_single(e))

    def load_routes(self, routes: list[tuple[list[int], list[int], list[int]]]) -> None:
        """Start from given routes: per vehicle (jobs, service starts, break starts).

        Linked jobs keep their starts (pinned). A route the heuristic's timing cannot
        reproduce is frozen: nothing is inserted into it.
        """
        p = self.p
        linked = {j for link in p.links for j in (link.first, link.second)}
        for jobs, starts, _ in routes:
            for j, s in zip(jobs, starts):
                if j in linked:
                    self.pinned[j] = s
        for v, (jobs, starts, break_starts) in enumerate(routes):
            order = self._break_order(v)
            seq: list[int] = []
            pending = sorted(zip(break_starts, order)) if len(break_starts) == len(order) else \
                [(0, k) for k in order]
            for j, s in zip(jobs, starts):
                while pending and pending[0][0] < s:
                    seq.append(-(pending.pop(0)[1] + 1))
                seq.append(j)
            seq.extend(-(k + 1) for _, k in pending)
            sched = self.schedule(v, seq)
            if sched is None and order:
                seq, sched = self._rebreak(v, [j for j in seq if j >= 0], seq)
            self.seqs[v] = seq
            if sched is None:
                self.frozen.add(v)
                self.scheds[v] = _Sched(cost=0, leave_s=int(starts[0]) if starts else 0,
                                        back_s=int(starts[-1]) if starts else 0, dep=(),
                                        used=bool(jobs),
                                        late_s=int(starts[0]) if starts else 0)
            else:
                self.scheds[v] = sched
        # The inserter's timing is stricter than the routes' own: a worker whose shifts
        # break their shared limits under it is left as loaded (its moves would be judged
        # against a state it could not have reached).
        for siblings in self.siblings.values():
            if any(v not in self.frozen and not self._resource_ok(v, self.scheds[v])
                   for v in siblings):
                self._shorten(siblings)
            for v in siblings:
                if v not in self.frozen and not self._resource_ok(v, self.scheds[v]):
                    self.frozen.update(siblings)
                    break
        self._freeze_around(routes)

    def _shorten(self, siblings: list[int]) -> None:
        """One worker's routes with their breaks placed for the least span each.

        Tried when the routes as loaded break the worker's shared limits under this
        timing; a route keeps its shorter placement only when it still fits.
        """
        for v in siblings:
            seq = self.seqs[v]
            if v in self.frozen or not self.scheds[v].used or all(x >= 0 for x in seq):
                continue
            new_seq, sched = self._rebreak(v, [x for x in seq if x >= 0], seq, shortest=True)
            if sched is not None:
                self.seqs[v], self.scheds[v] = new_seq, sched

    def _rebreak(self, v: int, jobs: list[int], seq: list[int], *, shortest: bool = False
                 ) -> tuple[list[int], _Sched | None]:
        """The cheapest places for vehicle ``v``'s breaks among ``jobs``, kept in order.

        A solver's route may take a break where this timing cannot (during a trip, or in
        a wait): the same jobs with the breaks elsewhere often fit, and a route that
        fits need not be frozen (freezing spreads to the worker's other shifts and to
        partners' routes). Every placement is tried for up to two breaks; with more, each
        break in turn takes its best place given the ones before. ``(seq, None)`` when
        none fits. With ``shortest``, the placement that keeps the route's span (leave
        to back) least, then the cheapest: for a worker whose shifts together exceed
        their work limit only because a break sits before the first trip.
        """
        n = len(jobs)
        order = self._break_order(v)
        best: tuple[tuple[int, int], list[int], _Sched] | None = None

        def consider(candidate: list[int]) -> None:
            nonlocal best
            sched = self.schedule(v, candidate)
            if sched is None:
                return
            key = (sched.back_s - sched.late_s if shortest else 0, sched.cost)
            if best is None or key < best[0]:
                best = (key, candidate, sched)

        if len(order) <= 2:
            spots = [(a,) for a in range(n + 1)] if len(order) == 1 else \
                [(a, b) for a in range(n + 1) for b in range(a, n + 1)]
            for at in spots:
                candidate: list[int] = []
                for i in range(n + 1):
                    candidate.extend(-(k + 1) for k, a in zip(order, at) if a == i)
                    if i < n:
                        candidate.append(jobs[i])
                consider(candidate)
        else:
            placed: list[int] = list(jobs)
            for k in order:
                trials = [placed[:i] + [-(k + 1)] + placed[i:] for i in range(len(placed) + 1)
                          if all(x >= 0 or order.index(-x - 1) < order.index(k)
                                 for x in placed[:i])]
                # breaks not yet placed go last while this one is tried
                rest = [-(m + 1) for m in order[order.index(k) + 1:]]
                best = None
                for t in trials:
                    consider(t + rest)
                if best is None:
                    return seq, None
                placed = [x for x in best[1] if x not in rest]
        return (seq, None) if best is None else (best[1], best[2])

    def load_solution(self, solution: Solution) -> None:
        """Start from a solution's routes (see :meth:`load_routes`)."""
        self.load_routes([([s.job for s in r.stops], [s.start_s for s in r.stops],
                           [b.start_s for b in r.breaks]) for r in solution.routes])

    def _freeze_around(self, routes: list[tuple[list[int], list[int], list[int]]]) -> None:
        """Freeze what a frozen route's stand-in timing could mislead.

        A frozen route's work is only estimated, so its resource's other routes are
        frozen too (their shared max-work limit cannot be checked), and so are the routes
        serving a link partner of one of its jobs (the pair's start is not re-timed).
        """
        p = self.p
        partner: dict[int, list[int]] = {}
        for link in p.links:
            partner.setdefault(link.first, []).append(link.second)
            partner.setdefault(link.second, []).append(link.first)
        serving = {j: v for v, (jobs, _, _) in enumerate(routes) for j in jobs}
        todo = list(self.frozen)
        while todo:
            v = todo.pop()
            near = set(self.siblings[self.resource_of[v]])
            near.update(serving[k] for j in routes[v][0] for k in partner.get(j, ())
                        if k in serving)
            for u in near - self.frozen:
                self.frozen.add(u)
                todo.append(u)

    def remove(self, jobs: list[int], *, vehicles: Iterable[int] | None = None) -> None:
        """Take jobs out of their routes and unpin them; the routes they leave are re-timed.

        Used by ruin and recreate (:mod:`.improve`, :mod:`.lns`): what remains keeps its
        order and its linked jobs' pinned starts, and :meth:`insert_all` puts the jobs
        back. ``vehicles``, when given, are the only routes serving any of ``jobs`` (a
        caller that tracks where each job is spares the scan of every route).
        """
        gone = set(jobs)
        for j in gone:
            self.pinned.pop(j, None)
        for v in (range(len(self.seqs)) if vehicles is None else sorted(set(vehicles))):
            seq = self.seqs[v]
            if not gone.intersection(seq):
                continue
            self.seqs[v] = [i for i in seq if i not in gone]
            sched = self.schedule(v, self.seqs[v]) if v not in self.frozen else None
            if sched is None:
                # Removing stops never delays the others; freeze rather than guess if it did.
                self.frozen.add(v)
            else:
                self.scheds[v] = sched

    def units(self, jobs: list[int]) -> list[tuple[Any, ...]]:
        """Jobs to insert as ``("single", j)`` or ``("pair", a, b, lo, hi)``, hardest first."""
        p = self.p
        link_of = self._link_of
        todo = set(jobs)
        out: list[tuple[Any, ...]] = []
        for j in sorted(todo):
            links = link_of.get(j, [])
            if not links:
                out.append(("single", j))
            elif len(links) == 1 and len(link_of[links[0].first]) == 1 \
                    and len(link_of[links[0].second]) == 1:
                link = links[0]
                if j == link.first and link.second in todo:
                    out.append(("pair", link.first, link.second, link.min_gap_s, link.max_gap_s))
            # Jobs in chains of three or more links are left to the solver.

        def key(unit):
            jobs_ = unit[1:3] if unit[0] == "pair" else unit[1:2]
            pen = min(float("inf") if p.jobs[j].drop_penalty is None else p.jobs[j].drop_penalty
                      for j in jobs_)
            first = p.jobs[jobs_[0]]
            # Pairs before singles of the same priority: measured better than one
            # chronological order (more pairs placed, fewer jobs dropped).
            return (-pen, unit[0] != "pair", first.tw_start_s + shift[jobs_[0]],
                    first.tw_end_s, jobs_[0])

        shift = {u[1]: self.jitter.randrange(1800) if self.jitter else 0 for u in out}
        return sorted(out, key=key)

    def insert_moving(self, j: int, *, tries: int = 30) -> bool:
        """Insert single job ``j`` by moving another single job to a different place.

        A depth-one ejection chain: ``j`` takes the place of an unlinked job ``k`` (of no
        higher drop penalty) in one of its eligible routes, and ``k`` is re-inserted at
        its cheapest feasible place elsewhere; nothing is left out. The ``tries``
        cheapest such swaps are tried in turn; False (and the routes as they were) when
        none works.
        """
        if j in self.linked:
            return False
        budget = (self.p.jobs[j].drop_penalty or 0) + 1
        for _, v, pos, sched, base, k in sorted(self._ejection_candidates(j, budget),
                                                key=lambda c: (c[0], c[1], c[2]))[:tries]:
            if time.perf_counter() > self.deadline:
                return False
            seq, old = self.seqs[v], self.scheds[v]
            base_sched = self.schedule(v, base)
            if base_sched is None:
                continue
            self.seqs[v], self.scheds[v] = list(base), base_sched
            self._apply(v, pos, j, sched)
            if self.insert_single(k):
                return True
            self.seqs[v], self.scheds[v] = seq, old
        return False

    def insert_all(self, jobs: list[int], *, eject: bool = False) -> int:
        """Insert what fits of ``jobs``; returns how many jobs were placed.

        With ``eject``, pairs that do not fit may displace cheaper single jobs, and single
        jobs that do not fit may move another single job elsewhere (:meth:`insert_moving`).
        """
        placed = 0
        for unit in self.units(jobs):
            if time.perf_counter() > self.deadline:
                break
            if unit[0] == "single":
                placed += self.insert_single(unit[1]) or (eject and self.insert_moving(unit[1]))
            elif self.insert_pair(*unit[1:]) or (eject and self.insert_pair(*unit[1:],
                                                                               eject=True)):
                placed += 2
        return placed

    def sequences(self) -> list[list[int]]:
        """The job sequence of every vehicle (breaks removed)."""
        return [[i for i in seq if i >= 0] for seq in self.seqs]
