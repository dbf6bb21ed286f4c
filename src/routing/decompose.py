"""Solve a large problem as rarely-interacting subproblems in parallel, then repair across them."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import interrupt
from .explain import explain_unassigned
from .objective import route_cost
from .problem import Job, Link, Problem, Route, Solution, SolveParams, Unassigned

#: Share of the time left that each round of area re-solves may take.
FIRST_PHASE_SHARE = 0.55
#: Seconds kept back for merging, explaining and writing results.
RESERVE_S = 1.5
#: Seconds past the deadline a sub-solve may run before it is abandoned.
GRACE_S = 1.0
#: Most seconds one whole-day placing pass may take.
PLACE_LEFT_S = 5.0
#: Run the whole-day placing pass after the insertion and after every round, not only
#: after the last. Off: its ejection chains place visits greedily, and the routes they
#: bend stay bent (no later move gives a visit up), while the area rounds place nearly
#: all of them anyway. Monmouthshire day at 300 s, one run each (2026-12-02): every round
#: 1,418 placed at 7.60 travel minutes a visit, only the last 1,417 at 7.53
#: (docs/routing.md).
PLACE_EVERY_ROUND = False
#: Area rounds that re-solve each part with the solver (:func:`.solver.solve`: OR-Tools,
#: with the improvement loop where there are double-ups) before ruin and recreate
#: (:mod:`.lns`) takes the later rounds; 0 gives every round to ruin and recreate.
#: Monmouthshire day at 300 s, one run each, placing pass after every round (2026-12-02):
#: 7.60 travel minutes a visit with one such round, 7.74 with every round, 7.92 with
#: none (1,418, 1,418 and 1,419 placed); see docs/routing.md.
SOLVER_ROUNDS = 1
#: Share of the time limit kept for ruin and recreate over the whole day at the end,
#: after the last placing pass (whose ejection chains add travel): -1.5 % travel at
#: 120 s on the Midlothian day with OR-Tools areas, no change in placed visits.
POLISH_SHARE = 0.15
#: Re-solve each group's unplaced jobs with its nearest groups' workers (OR-Tools, placed
#: jobs bound to their workers) after each area round, until a pass places nothing. Off:
#: on the Monmouthshire day at 300 s a pass took 106 s of the 300 on both cores and
#: placed nothing, on Midlothian 37 s (2026-12-03, one run each); with that time given
#: to ruin and recreate the Monmouthshire rota placed 1,429 visits at 7.30 travel
#: minutes a visit against 1,427 at 7.46 (docs/routing.md). The whole-day placing
#: pass offers unplaced jobs to every worker.
BOUNDARY_ROUNDS = False
#: Shortest time worth giving one sub-solve, seconds.
MIN_SOLVE_S = 1.0
#: How many nearest other groups lend their workers' spare time to a group's unplaced jobs.
NEIGHBOURS = 2
#: Seed offset between rounds, so each round's sub-solves insert in another order.
PORTFOLIO_SEED_STEP = 7919
_BOUND = "\x00bound:"  # a skill no caller's skill can equal


@dataclass(frozen=True)
class Group:
    """Jobs and vehicles (indices into the full problem) that are solved together."""

    name: str
    jobs: tuple[int, ...]
    vehicles: tuple[int, ...]


@dataclass(frozen=True)
class Progress:
    """A progress report: phase, sub-solves done and total, and the current placed/unplaced."""

    phase: str
    done: int
    total: int
    placed: int
    unplaced: int
    travel_s: int


@dataclass(frozen=True)
class _Sub:
    problem: Problem
    jobs: tuple[int, ...]       # sub job index -> full job index
    vehicles: tuple[int, ...]   # sub vehicle index -> full vehicle index
    locations: tuple[int, ...]  # sub location -> full location


def _sub_job(problem: Problem, j: int, where: dict[int, int], bind: Mapping[int, int],
             pin: Mapping[int, int], top: int) -> Job:
    """Job ``j`` in a subproblem: relocated, bound to its vehicle, or pinned to its start."""
    job = problem.jobs[j]
    skills = job.skills | ({_BOUND + problem.vehicles[bind[j]].id} if j in bind else set())
    job = replace(job, location=where[job.location], skills=frozenset(skills))
    if j in pin:
        # a pinned job keeps its start; its penalty makes dropping it never worth it
        job = replace(job, tw_start_s=pin[j], tw_end_s=pin[j], max_lateness_s=0,
                      drop_penalty=100 * top + 1)
    return job


def subproblem(problem: Problem, jobs: Sequence[int], vehicles: Sequence[int], *,
               bind: dict[int, int] | None = None, pin: dict[int, int] | None = None) -> _Sub:
    """The problem restricted to some jobs and vehicles, on only the locations they use.

    Links with one end outside ``jobs`` are dropped, so callers keep linked jobs together.
    ``bind`` maps full job indices to the full vehicle index that alone may serve them
    (a skill only that vehicle has), so a re-solve keeps today's assignments and only
    finds room for the rest. ``pin`` maps full job indices to a service start they must
    keep (the job's partner is served outside the subproblem at that time); a pinned
    job costs far more to drop than any other, and callers reject a result without it.
    """
    bind = bind or {}
    pin = pin or {}
    jobs, vehicles = tuple(sorted(jobs)), tuple(sorted(vehicles))
    used = sorted({problem.jobs[j].location for j in jobs}
                  | {problem.vehicles[v].start_location for v in vehicles}
                  | {problem.vehicles[v].end_location for v in vehicles})
    where = {loc: i for i, loc in enumerate(used)}
    take = np.array(used, dtype=np.int64)
    position = {j: i for i, j in enumerate(jobs)}
    top = max((job.drop_penalty or 0 for job in problem.jobs), default=0)
    sub_jobs = tuple(_sub_job(problem, j, where, bind, pin, top) for j in jobs)
    sub_vehicles = tuple(replace(problem.vehicles[v],
                                 start_location=where[problem.vehicles[v].start_location],
                                 end_location=where[problem.vehicles[v].end_location],
                                 skills=problem.vehicles[v].skills | {_BOUND + problem.vehicles[v].id})
                         for v in vehicles)
    links = tuple(Link(position[k.first], position[k.second], k.min_gap_s, k.max_gap_s)
                  for k in problem.links if k.first in position and k.second in position)
    resources = {problem.vehicles[v].resource for v in vehicles}
    sub = Problem(
        jobs=sub_jobs, vehicles=sub_vehicles,
        duration_s={m: a[np.ix_(take, take)] for m, a in problem.duration_s.items()},
        distance_m={m: a[np.ix_(take, take)] for m, a in problem.distance_m.items()},
        links=links,
        resource_max_work_s={r: s for r, s in problem.resource_max_work_s.items() if r in resources},
        weights=problem.weights)
    return _Sub(sub, jobs, vehicles, tuple(used))


def _solve_sub(sub: _Sub, params: SolveParams,
               initial: list[list[int]] | None = None) -> tuple[_Sub, Solution]:
    from .solver import solve

    return sub, solve(sub.problem, params, initial=initial)


def _improve_sub(sub: _Sub, params: SolveParams, routes: tuple[Route, ...]
                 ) -> tuple[_Sub, Solution]:
    """Ruin and recreate one part from its current routes (sub indices) for its limit."""
    from .lns import ruin_and_recreate
    from .verify import verify_solution

    started = time.perf_counter()
    current = Solution(routes=routes, unassigned=(), objective=0, wall_s=0.0,
                       first_solution_s=None, status="feasible", params=params)
    found, _ = ruin_and_recreate(sub.problem, current, deadline=started + params.time_limit_s,
                                 seed=params.seed)
    if verify_solution(sub.problem, found):
        # kept only when checked: a rejected result changes nothing
        found = solution_from_routes(sub.problem, routes, params)
    return sub, replace(found, wall_s=time.perf_counter() - started)


def solution_from_routes(problem: Problem, routes: tuple[Route, ...],
                         params: SolveParams) -> Solution:
    """Routes as a Solution, every job they do not serve explained."""
    served = {st.job for r in routes for st in r.stops}
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    return Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                    objective=0, wall_s=0.0, first_solution_s=None, status="feasible",
                    params=params)


@dataclass
class _State:
    """Current routes (full indices) and the cost each group's sub-solve reported."""

    routes: dict[int, Route]
    unassigned: dict[int, Unassigned]

    def absorb(self, sub: _Sub, solution: Solution) -> None:
        for route in solution.routes:
            full_v = sub.vehicles[route.vehicle]
            self.routes[full_v] = replace(route, vehicle=full_v, stops=tuple(
                replace(s, job=sub.jobs[s.job]) for s in route.stops))
        for j in sub.jobs:
            self.unassigned.pop(j, None)
        for u in solution.unassigned:
            full_j = sub.jobs[u.job]
            self.unassigned[full_j] = replace(u, job=full_j)

    def cost(self, problem: Problem, jobs: Sequence[int], vehicles: Sequence[int]) -> int:
        """Routes' costs (:func:`.objective.route_cost`) of some vehicles, and drop penalties."""
        total = 0
        for v in vehicles:
            route = self.routes.get(v)
            if route is not None:
                total += route_cost(problem, route)
        for j in jobs:
            if j in self.unassigned:
                total += problem.jobs[j].drop_penalty or 0
        return total

    def scope(self, problem: Problem, groups: Sequence[Group], group_of: dict[int, int],
              chosen: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Jobs and vehicles to re-solve for some groups, closed under links.

        The groups' vehicles with the jobs they now serve, plus the groups' unassigned
        jobs; a linked partner served elsewhere brings its vehicle (and that vehicle's
        jobs) in, so no synchronised pair is ever split between re-solved and kept routes.
        """
        vehicles = {v for g in chosen for v in groups[g].vehicles}
        jobs = {j for j in self.unassigned if group_of[j] in chosen}
        partner: dict[int, list[int]] = {}
        for link in problem.links:
            partner.setdefault(link.first, []).append(link.second)
            partner.setdefault(link.second, []).append(link.first)
        served_by = {s.job: v for v, r in self.routes.items() for s in r.stops}
        # one person's shifts share limits (max work, no overlap): they move together
        shifts_of: dict[str, list[int]] = {}
        for v, vehicle in enumerate(problem.vehicles):
            shifts_of.setdefault(vehicle.resource, []).append(v)
        vehicles |= {w for v in list(vehicles) for w in shifts_of[problem.vehicles[v].resource]}
        todo = list(vehicles)
        while todo:
            v = todo.pop()
            route = self.routes.get(v)
            stops = [s.job for s in route.stops] if route else []
            for j in stops:
                jobs.add(j)
            frontier = list(stops)
            while frontier:
                j = frontier.pop()
                for k in partner.get(j, ()):
                    if k in jobs:
                        continue
                    jobs.add(k)
                    w = served_by.get(k)
                    if w is not None and w not in vehicles:
                        for u in shifts_of[problem.vehicles[w].resource]:
                            if u not in vehicles:
                                vehicles.add(u)
                                todo.append(u)
                    frontier.append(k)
        for j in list(jobs):
            jobs.update(k for k in partner.get(j, ()) if k in self.unassigned)
        return tuple(sorted(jobs)), tuple(sorted(vehicles))

    def initial(self, sub: _Sub) -> list[list[int]]:
        """The current routes of a subproblem's vehicles, as its job indices."""
        position = {j: i for i, j in enumerate(sub.jobs)}
        return [[position[st.job] for st in self.routes[v].stops] if v in self.routes else []
                for v in sub.vehicles]

    def sub_routes(self, sub: _Sub) -> tuple[Route, ...]:
        """The current routes of a subproblem's vehicles, in its own indices."""
        position = {j: i for i, j in enumerate(sub.jobs)}
        out = []
        for i, v in enumerate(sub.vehicles):
            route = self.routes.get(v)
            if route is None:
                veh = sub.problem.vehicles[i]
                out.append(Route(i, (), veh.shift_start_s, veh.shift_start_s, 0, 0))
            else:
                out.append(replace(route, vehicle=i, stops=tuple(
                    replace(st, job=position[st.job]) for st in route.stops)))
        return tuple(out)

    def placed(self) -> int:
        return sum(len(r.stops) for r in self.routes.values())


def _completed(futures: Iterable[cf.Future], until: float) -> Iterator[cf.Future]:
    """Futures as they finish, like ``as_completed``, until a stop is asked for or ``until``.

    ``until`` is a ``time.perf_counter()`` time: a sub-solve still running then (a
    search round that does not stop at its own limit, a loaded machine) is abandoned,
    so the whole run keeps its time limit; the caller kills the pool.
    """
    pending = set(futures)
    while pending and not interrupt.stop_requested():
        left = until - time.perf_counter()
        if left <= 0:
            return
        # short waits: Python runs between them, and with it a SIGINT/SIGTERM handler
        done, pending = cf.wait(pending, timeout=min(0.1, left),
                                return_when=cf.FIRST_COMPLETED)
        yield from done


def _stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Kill the pool's workers (their sub-solves are abandoned) and reap them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
    else:
        for process in processes:
            if process.is_alive():
                process.kill()
    for process in processes:
        process.join(timeout=5)
    # A worker killed while sending its result leaves half a message in the result pipe,
    # and the pool's manager thread waits for the rest for ever (this process holds the
    # pipe's write end too, so no end of file comes): shutdown(wait=True) then hangs.
    # With every worker gone, closing that write end ends the wait.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()
    pool.shutdown(wait=True, cancel_futures=True)


def _sub_cost(problem: Problem, sub: _Sub, solution: Solution) -> int:
    """A sub-solve's cost on the full problem: its routes' costs and its drop penalties.

    The same terms as :meth:`_State.cost` (travel, distance, lateness against the true
    windows, continuity, overtime, waiting), so a part is kept only when the objective
    falls, not merely its travel: the sub-solves' own objectives price all of them.
    """
    total = 0
    for route in solution.routes:
        stops = tuple(replace(s, job=sub.jobs[s.job]) for s in route.stops)
        total += route_cost(problem, replace(route, vehicle=sub.vehicles[route.vehicle],
                                             stops=stops))
    return total + sum(problem.jobs[sub.jobs[u.job]].drop_penalty or 0
                       for u in solution.unassigned)


def _nearest_groups(problem: Problem, groups: Sequence[Group]) -> list[list[int]]:
    """For each group, the other groups nearest first (mean travel between sample jobs)."""
    some = next(iter(problem.duration_s.values()))
    samples = []
    for g in groups:
        locs = [problem.jobs[j].location for j in g.jobs] or \
               [problem.vehicles[v].start_location for v in g.vehicles]
        samples.append(sorted(set(locs))[:50])
    near = []
    for a in range(len(groups)):
        others = [b for b in range(len(groups)) if b != a and samples[a] and samples[b]]
        others.sort(key=lambda b: (float(np.mean(some[np.ix_(samples[a], samples[b])])), b))
        near.append(others)
    return near


def _groups_by_dropped(problem: Problem, groups: Sequence[Group], state: _State) -> list[int]:
    """Groups with unassigned jobs, the largest dropped penalty first."""
    dropped = [(sum(problem.jobs[j].drop_penalty or 0 for j in g.jobs if j in state.unassigned), i)
               for i, g in enumerate(groups)]
    return [i for d, i in sorted(dropped, reverse=True) if d > 0]


def _parts_of(problem: Problem, groups: Sequence[Group], state: _State
              ) -> list[tuple[tuple[int, ...], tuple[int, ...], dict[int, int]]]:
    """Disjoint (jobs, vehicles, pinned starts) parts of the current rota, one per group.

    A used vehicle goes with the group most of its jobs belong to and takes all its
    jobs along; one person's shifts go together; unplaced jobs stay with their group.
    The two jobs of a synchronised pair served across parts are pinned to their start.
    """
    group_of_job = {j: g for g, grp in enumerate(groups) for j in grp.jobs}
    group_of_vehicle = {v: g for g, grp in enumerate(groups) for v in grp.vehicles}
    by_resource: dict[str, list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        by_resource.setdefault(vehicle.resource, []).append(v)
    for vs in by_resource.values():
        votes: dict[int, int] = {}
        for v in vs:
            route = state.routes.get(v)
            for stop in (route.stops if route else ()):
                votes[group_of_job[stop.job]] = votes.get(group_of_job[stop.job], 0) + 1
        if votes:
            home = max(sorted(votes), key=lambda g: votes[g])
            for v in vs:
                group_of_vehicle[v] = home
    owner = dict(group_of_job)
    for v, route in state.routes.items():
        for stop in route.stops:
            owner[stop.job] = group_of_vehicle[v]
    parts: dict[int, tuple[list[int], list[int]]] = {}
    for j, g in owner.items():
        parts.setdefault(g, ([], []))[0].append(j)
    for v, g in group_of_vehicle.items():
        parts.setdefault(g, ([], []))[1].append(v)
    start_of = {st.job: st.start_s for r in state.routes.values() for st in r.stops}
    pins: dict[int, dict[int, int]] = {}
    for link in problem.links:
        a, b = owner[link.first], owner[link.second]
        if a != b:
            for j, g in ((link.first, a), (link.second, b)):
                pins.setdefault(g, {})[j] = start_of[j]
    return [(tuple(sorted(js)), tuple(sorted(vs)), pins.get(g, {}))
            for g, (js, vs) in sorted(parts.items()) if js and vs]


def solve_decomposed(problem: Problem, groups: Sequence[Group], params: SolveParams, *,
                     processes: int = 2,
                     on_progress: Callable[[Progress], None] | None = None) -> Solution:
    """Insert everything at once, then improve area by area in parallel until the limit.

    Phase 0 is one pair-aware cheapest-insertion pass over the whole problem: a complete
    rota in about a second, any job with any eligible vehicle. Then, in rounds until the
    time limit: each area's part of the rota (the vehicles mostly working in it, with
    every job they serve, and its unplaced jobs) is improved from the current routes,
    by the solver (warm-started) in the first :data:`SOLVER_ROUNDS` rounds and by ruin
    and recreate (:mod:`.lns`) after, parts in parallel, each kept when it is cheaper; a
    pair served across two parts keeps its start in both. With :data:`BOUNDARY_ROUNDS`,
    groups with unplaced jobs are then re-solved by OR-Tools with their two nearest
    groups, placed jobs bound to their vehicles, so unplaced ones can use spare time
    across boundaries (skipped in later rounds once a pass finds nothing). At the end
    (and, with :data:`PLACE_EVERY_ROUND`, after the insertion and each round) every
    unplaced job is offered to the whole day (:func:`.insertion.place_unassigned`); the
    last :data:`POLISH_SHARE` of the limit is ruin and recreate over the whole day.

    Parameters
    ----------
    problem : Problem
    groups : sequence of Group
        A partition of the jobs (each job in exactly one group; linked jobs together)
        and of the vehicles: areas and the workers nearest them, or providers and their
        workers (``scheduler.plan.partition_day``). Only a seed for the parts: a job may
        end up with any eligible vehicle.
    params : SolveParams
        ``time_limit_s`` bounds the whole run (to within a couple of seconds); each
        sub-solve gets a share of it; ``seed`` orders the insertion, each round adds
        :data:`PORTFOLIO_SEED_STEP` to it.
    processes : int, default 2
        Sub-solves run at once (one per core).
    on_progress : callable, optional
        Called with a :class:`Progress` after each sub-solve.
    """
    started = time.perf_counter()
    seen = [j for g in groups for j in g.jobs]
    if sorted(seen) != list(range(len(problem.jobs))):
        raise ValueError("groups must partition the jobs: each job in exactly one group")
    run = _Run(problem, groups, params, processes, on_progress or (lambda p: None), started)
    run.seed_by_insertion()
    if PLACE_EVERY_ROUND:
        run.place_left()
    # fork: works from scripts and notebooks without a __main__ guard; the parent has
    # imported OR-Tools but built no solver, so no solver state is copied
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    stopped = interrupt.stop_requested
    # workers leave SIGINT to this process, which kills them when it stops (or fails) rather
    # than waiting out their sub-solves
    pool = cf.ProcessPoolExecutor(max_workers=max(1, processes), mp_context=context,
                                  initializer=interrupt.quiet_child, initargs=(os.getpid(),))
    idle_rounds, round_no, boundaries_help = 0, 0, BOUNDARY_ROUNDS
    try:
        while run.time_left() > MIN_SOLVE_S and idle_rounds < 2 and not stopped():
            seed = params.seed + PORTFOLIO_SEED_STEP * round_no
            improved = run.area_round(pool, seed, lns=round_no >= SOLVER_ROUNDS)
            placed_before = run.state.placed()
            if boundaries_help:
                improved = run.boundary_round(pool, seed) or improved
            # once a pass of boundary re-solves finds nothing, later rounds leave it to areas
            boundaries_help = run.state.placed() > placed_before
            if PLACE_EVERY_ROUND:
                improved = run.place_left() or improved
            idle_rounds = 0 if improved else idle_rounds + 1
            round_no += 1
    except BaseException:
        _stop_pool(pool)
        raise
    if stopped() or run.time_left() + GRACE_S <= 0:
        _stop_pool(pool)  # signalled, or sub-solves overran the limit: abandon them
    else:
        pool.shutdown(wait=True)
    if not stopped():
        run.place_left(final=True)  # the last sub-solves may have freed room
        run.polish()
    return run.solution(interrupted=stopped())


class _Run:
    """One decomposed solve: the current rota, the deadline and the progress reported."""

    def __init__(self, problem: Problem, groups: Sequence[Group], params: SolveParams,
                 processes: int, report: Callable[[Progress], None], started: float) -> None:
        self.problem, self.groups, self.params = problem, groups, params
        self.processes, self.report, self.started = processes, report, started
        self.end = started + params.time_limit_s - RESERVE_S
        self.polish_s = POLISH_SHARE * params.time_limit_s if len(groups) > 1 else 0.0
        self.deadline = self.end - self.polish_s
        self.state = _State(routes={}, unassigned={})
        self.group_of = {j: g for g, grp in enumerate(groups) for j in grp.jobs}
        self.near = _nearest_groups(problem, groups)
        self.areas_done = self.attempted = 0
        self.first_solution_s = 0.0

    def time_left(self) -> float:
        return self.deadline - time.perf_counter()

    def _progress(self, phase: str, done: int, total: int) -> None:
        state = self.state
        self.report(Progress(phase, done, total, state.placed(), len(state.unassigned),
                             sum(r.travel_s for r in state.routes.values())))

    def seed_by_insertion(self) -> None:
        """Phase 0: one cheapest-insertion pass over the whole day.

        A complete rota in about a second (an OR-Tools model of a county day takes
        minutes just to build).
        """
        from .insertion import solve_by_insertion

        problem = self.problem
        seeded = solve_by_insertion(problem, replace(self.params, time_limit_s=max(
            MIN_SOLVE_S, self.time_left() * 0.1)), complete=True)
        self.state.absorb(_Sub(problem, tuple(range(len(problem.jobs))),
                               tuple(range(len(problem.vehicles))), ()), seeded)
        self.first_solution_s = time.perf_counter() - self.started
        self._progress("insertion", 1, 1)

    def place_left(self, *, final: bool = False) -> bool:
        """Offer every unplaced job to the whole day's routes, moving others to make room.

        Area re-solves see one area's workers, boundary re-solves two neighbours'; this
        pass (:func:`.insertion.place_unassigned`, well under a second on a county day)
        sees them all, and is kept when it leaves less drop penalty. The ``final`` pass,
        after the last sub-solve, may take a second past the deadline, or up to
        :data:`PLACE_LEFT_S` of the polish's time where there is one. Unless
        :data:`PLACE_EVERY_ROUND`, it is the only one.
        """
        from .insertion import place_unassigned

        problem, state = self.problem, self.state
        if not state.unassigned:
            return False
        current = self._current()
        now = time.perf_counter()
        # the final pass may take up to PLACE_LEFT_S of the polish's time after it
        until = (max(self.deadline + GRACE_S, now + 1.0, min(self.end, now + PLACE_LEFT_S))
                 if final else self.deadline + GRACE_S)
        found = place_unassigned(problem, current, deadline=min(until, now + PLACE_LEFT_S))
        penalty = sum(problem.jobs[u.job].drop_penalty or 0 for u in found.unassigned)
        if penalty >= sum(problem.jobs[j].drop_penalty or 0 for j in state.unassigned):
            return False
        state.absorb(_Sub(problem, tuple(range(len(problem.jobs))),
                          tuple(range(len(problem.vehicles))), ()), found)
        self._progress("placing", 1, 1)
        return True

    def polish(self) -> None:
        """The whole day's routes improved by ruin and recreate until the run's end."""
        from .lns import ruin_and_recreate
        from .verify import verify_solution

        if self.polish_s <= 0 or time.perf_counter() >= self.end:
            return
        problem, current = self.problem, self._current()
        found, _ = ruin_and_recreate(problem, current, deadline=self.end, seed=self.params.seed)
        if found is current or verify_solution(problem, found):
            return
        penalty = sum(problem.jobs[u.job].drop_penalty or 0 for u in found.unassigned)
        if penalty > sum(problem.jobs[j].drop_penalty or 0 for j in self.state.unassigned):
            return
        self.state = _State(routes={}, unassigned={})
        self.state.absorb(_Sub(problem, tuple(range(len(problem.jobs))),
                               tuple(range(len(problem.vehicles))), ()), found)
        self._progress("polish", 1, 1)

    def _current(self) -> Solution:
        """The current routes and unassigned jobs as a Solution (causes as last found)."""
        problem, state = self.problem, self.state
        routes = tuple(state.routes[v] if v in state.routes else
                       Route(v, (), veh.shift_start_s, veh.shift_start_s, 0, 0)
                       for v, veh in enumerate(problem.vehicles))
        return Solution(routes=routes, unassigned=tuple(state.unassigned[j] for j in
                                                        sorted(state.unassigned)),
                        objective=0, wall_s=0.0, first_solution_s=self.first_solution_s,
                        status="feasible", params=self.params)

    def area_round(self, pool: cf.ProcessPoolExecutor, seed: int, *, lns: bool = False) -> bool:
        """Phase 1: each area's rounds re-solved on their own, in parallel, biggest first.

        An area's part is the workers mostly in it, with everything they serve; a
        re-solve (by OR-Tools, or with ``lns`` by ruin and recreate from the current
        routes, :mod:`.lns`) is kept when it is cheaper.
        """
        problem, state = self.problem, self.state
        parts = _parts_of(problem, self.groups, state)
        order = sorted(range(len(parts)), key=lambda k: -len(parts[k][0]))
        budget = max(MIN_SOLVE_S, self.time_left() * FIRST_PHASE_SHARE)
        total_jobs = max(1, len(problem.jobs))
        futures, round_start, improved = {}, self.areas_done, False
        for k in order:
            jobs, vehicles, pins = parts[k]
            share = budget * self.processes * len(jobs) / total_jobs
            limit = max(MIN_SOLVE_S, min(budget, share))
            sub = subproblem(problem, jobs, vehicles, pin=pins)
            sub_params = replace(self.params, time_limit_s=limit, seed=seed)
            if lns:
                future = pool.submit(_improve_sub, sub, sub_params, state.sub_routes(sub))
            else:
                future = pool.submit(_solve_sub, sub, sub_params, state.initial(sub))
            futures[future] = k
        for future in _completed(futures, self.deadline + GRACE_S):
            sub, solution = future.result()
            jobs, vehicles, pins = parts[futures[future]]
            position = {j: i for i, j in enumerate(sub.jobs)}
            kept = not any(u.job in {position[j] for j in pins} for u in solution.unassigned)
            # true costs: a pinned job's window and penalty are the sub-solve's device
            cost = _sub_cost(problem, sub, solution)
            if kept and cost < state.cost(problem, jobs, vehicles):
                state.absorb(sub, solution)
                improved = True
            self.areas_done += 1
            self._progress("areas", self.areas_done, round_start + len(futures))
        return improved

    def _batch(self, order: list[int]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Groups (with their nearest) to re-solve together: no vehicle in two at once."""
        batch: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        busy: set[int] = set()
        for g in list(order):
            scope = self.state.scope(self.problem, self.groups, self.group_of,
                                     (g, *self.near[g][:NEIGHBOURS]))
            if busy & set(scope[1]):
                continue
            order.remove(g)
            batch.append(scope)
            busy |= set(scope[1])
            if len(batch) == self.processes:
                break
        return batch

    def boundary_round(self, pool: cf.ProcessPoolExecutor, seed: int) -> bool:
        """Phase 2: each group's unplaced jobs offered to its own and its nearest groups' workers.

        Jobs already placed stay with their worker (bound), so the sub-solve only has to
        find room; kept when it beats the routes it replaces.
        """
        problem, state, improved = self.problem, self.state, False
        order = _groups_by_dropped(problem, self.groups, state)
        while order and self.time_left() > MIN_SOLVE_S and not interrupt.stop_requested():
            batch = self._batch(order)
            if not batch:
                break
            limit = max(MIN_SOLVE_S, min(self.time_left(), self.params.time_limit_s * 0.2))
            running = {}
            for jobs, vehicles in batch:
                served = {st.job: v for v in vehicles if v in state.routes
                          for st in state.routes[v].stops}
                sub = subproblem(problem, jobs, vehicles, bind=served)
                running[pool.submit(_solve_sub, sub, replace(
                    self.params, time_limit_s=limit, seed=seed), state.initial(sub))] \
                    = (jobs, vehicles)
            for future in _completed(running, self.deadline + GRACE_S):
                sub, solution = future.result()
                jobs, vehicles = running[future]
                self.attempted += 1
                if _sub_cost(problem, sub, solution) < state.cost(problem, jobs, vehicles):
                    state.absorb(sub, solution)
                    improved = True
                self._progress("boundaries", self.attempted, self.attempted + len(order))
        return improved

    def solution(self, *, interrupted: bool) -> Solution:
        """The current rota as a Solution, explained against the whole problem."""
        problem, state = self.problem, self.state
        routes = tuple(state.routes[v] if v in state.routes else
                       Route(v, (), veh.shift_start_s, veh.shift_start_s, 0, 0)
                       for v, veh in enumerate(problem.vehicles))
        # causes found inside one group may not hold county-wide
        unassigned = explain_unassigned(problem, sorted(state.unassigned), routes)
        w = problem.weights
        objective = (sum(w.travel_s * r.travel_s + w.distance_m * r.distance_m for r in routes)
                     + sum(problem.jobs[u.job].drop_penalty or 0 for u in unassigned))
        return Solution(routes=routes, unassigned=unassigned, objective=objective,
                        wall_s=time.perf_counter() - self.started,
                        first_solution_s=self.first_solution_s,
                        status="interrupted" if interrupted else "feasible", params=self.params)
