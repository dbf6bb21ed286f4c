"""PyVRP adapter: solves the problems PyVRP can express exactly and reads back a Solution.

PyVRP (MIT, C++ iterated local search; the optional extra ``[fast]``) finds far better
VRPTW routes in a few seconds than OR-Tools' local search, but its model is narrower:
no breaks, no synchronised jobs, one route per vehicle, hard windows. :func:`can_express`
says whether a :class:`Problem` fits (and why not); :func:`solve_pyvrp` solves one that
does. This is the only module that imports :mod:`pyvrp`, lazily, and no PyVRP object or
index leaves it: routes come back as job indices, are timed by
:func:`.insertion.schedule_sequences` on the problem's own matrices and checked by
:func:`.verify.verify_solution` before they are returned.

Mapping (the objective PyVRP minimises equals :func:`.objective.objective` up to a
constant):

- locations: one per distinct vehicle start/end location (the depots), then one per job,
  so two jobs at one address can differ in who may serve them;
- one vehicle type per kind of vehicle (identical shifts share one, ``num_available``
  = how many; routes come back to them in turn), its shift as the type's window,
  ``max_work_s`` (and a one-shift resource's ``resource_max_work_s``) as
  ``shift_duration``, its capacity and fixed cost;
- costs: PyVRP's "distance" matrix is our arc cost (``travel_s`` x seconds +
  ``distance_m`` x metres, plus ``non_preferred`` into jobs the vehicle's resource is not
  preferred for) with ``unit_distance_cost=1``; the duration matrix stays exact travel
  seconds, so PyVRP's time feasibility is ours;
- eligibility (skills, forbidden resources, capacity): one routing profile per distinct
  (travel profile, jobs the vehicle may not serve, jobs it is not preferred for); in a
  profile, legs into and out of a job the vehicle may not serve take longer than any
  shift, so a route through one always has time warp and PyVRP never returns it as
  feasible (and :mod:`.verify` would reject it anyway);
- optional jobs: ``required=False`` with ``prize`` = drop penalty; mandatory jobs
  ``required=True``;
- waiting (``Weights.waiting_s``): PyVRP's duration cost per second (its route
  duration is travel + service + waiting, with the start chosen to wait least), the arc
  cost lowered by the same per travel second and each prize raised by it per service
  second, so the objectives differ by a constant;
- overtime (``Weights.overtime_s``): the route leaves at the shift start (``start_late``
  = ``tw_early``), ``shift_duration`` = the shift's length, ``max_overtime`` = the
  allowance at ``unit_overtime_cost``: PyVRP's duration past the shift length is then
  exactly the time back after the shift's end;
- pinned jobs (``pinned``): window ``[t, t]``. A link whose two jobs are pinned needs no
  constraint of its own when its two visits overlap in time (one vehicle cannot be in
  two places at once) or no vehicle may serve both.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._optional import available as _available
from ..errors import InputError, SolverError
from .explain import explain_unassigned
from .insertion import earliest_schedule, schedule_sequences
from .objective import objective
from .problem import Problem, Solution, SolveParams
from .verify import verify_solution

__all__ = ["MAX_PROFILE_ENTRIES", "available", "can_express", "solve_pyvrp"]

#: Most matrix entries (distance and duration, over all routing profiles) the adapter
#: builds: about 320 MB of int64. A county day with a preferred-carer set per worker
#: would need one profile per worker and far more; it stays with OR-Tools.
MAX_PROFILE_ENTRIES = 40_000_000


def available() -> bool:
    """Whether PyVRP is installed (found without importing it).

    Returns
    -------
    bool
        True when ``import pyvrp`` would succeed, e.g. after ``pip install 'carerounds[fast]'``.
    """
    return _available("pyvrp")


def _eligible(problem: Problem) -> list[set[int]]:
    """Per job, the vehicles allowed to serve it: skills, forbidden resources, capacity."""
    out = []
    for j, job in enumerate(problem.jobs):
        out.append({v for v in problem.eligible_vehicles(j)
                    if problem.vehicles[v].capacity is None
                    or job.demand <= (problem.vehicles[v].capacity or 0)})
    return out


def can_express(problem: Problem, pinned: Mapping[int, int] | None = None, *,
                soft: bool = False) -> str | None:
    """Why PyVRP cannot solve this problem exactly, or None when it can.

    Parameters
    ----------
    problem : Problem
    pinned : mapping of int to int, optional
        Job index -> fixed service start (seconds); a link whose two jobs are pinned is
        expressible when its two visits overlap in time or share no eligible vehicle.
    soft : bool, keyword-only
        Whether lateness may be approximated by PyVRP's time warp (see ``late_penalty``
        of :func:`solve_pyvrp`); then priced soft windows are no reason.

    Returns
    -------
    str or None
        The first reason found, in words (e.g. ``"vehicle 'W1#1' has breaks"``), or None.
    """
    pinned = pinned or {}
    w = problem.weights
    if not problem.vehicles:
        return "no vehicles"
    if w.span_s:
        return "the span weight (longest route) has no PyVRP equivalent"
    why = _pricing_problem(problem)
    if why:
        return why
    shifts: dict[str, int] = {}
    for veh in problem.vehicles:
        if veh.breaks:
            return f"vehicle {veh.id!r} has breaks"
        shifts[veh.resource] = shifts.get(veh.resource, 0) + 1
    for resource, n in shifts.items():
        if n > 1:
            return (f"resource {resource!r} has {n} shifts (split shifts share work limits "
                    f"and must not overlap)")
    eligible = _eligible(problem)
    for j, job in enumerate(problem.jobs):
        if job.drop_penalty is None and not eligible[j]:
            return f"mandatory job {job.id!r} has no eligible vehicle"
        if j in pinned:
            if not job.tw_start_s <= pinned[j] <= job.tw_end_s + job.max_lateness_s:
                return f"job {job.id!r} is pinned outside its window"
        elif job.max_lateness_s and (w.lateness_s or w.max_lateness_s) and not soft:
            return f"job {job.id!r} has a soft window (priced lateness)"
    for link in problem.links:
        why = _pinned_link_problem(problem, link.first, link.second, link.min_gap_s,
                                   link.max_gap_s, pinned, eligible)
        if why:
            return why
    if _profile_entries(problem, eligible) > MAX_PROFILE_ENTRIES:
        return "too many distinct routing profiles (eligibility and preference sets)"
    return None


def _pricing_problem(problem: Problem) -> str | None:
    """Why waiting or overtime prices cannot be carried over to PyVRP, or None."""
    w = problem.weights
    if w.waiting_s > w.travel_s:
        # PyVRP's duration cost counts travel too; the arc cost pays it back, and cannot
        # go negative.
        return "waiting costs more per second than travel"
    if w.overtime_allowed_s:
        if w.waiting_s:
            return "overtime and waiting both priced (PyVRP's overtime needs a fixed start)"
        for veh in problem.vehicles:
            limits = [x for x in (veh.max_work_s, problem.resource_max_work_s.get(veh.resource))
                      if x is not None]
            if limits and min(limits) < veh.shift_end_s + w.overtime_allowed_s - veh.shift_start_s:
                return f"vehicle {veh.id!r} has a work limit and overtime is priced"
    return None


def _pinned_link_problem(problem: Problem, a: int, b: int, lo: int, hi: int,
                         pinned: Mapping[int, int], eligible: list[set[int]]) -> str | None:
    ja, jb = problem.jobs[a], problem.jobs[b]
    if a not in pinned or b not in pinned:
        return f"link of {ja.id!r} and {jb.id!r} is not pinned to start times"
    ta, tb = pinned[a], pinned[b]
    if not lo <= tb - ta <= hi:
        return f"pinned starts of {ja.id!r} and {jb.id!r} break their link's gap"
    overlap = ta < tb + jb.service_s and tb < ta + ja.service_s
    if not overlap and eligible[a] & eligible[b]:
        return (f"pinned visits {ja.id!r} and {jb.id!r} do not overlap in time, so one "
                f"vehicle could serve both")
    return None


def _profile_keys(problem: Problem, eligible: list[set[int]]) -> list[tuple]:
    """Per vehicle: (travel profile, jobs it may not serve, jobs it is not preferred for)."""
    w = problem.weights
    keys = []
    for v, veh in enumerate(problem.vehicles):
        banned = frozenset(j for j in range(len(problem.jobs)) if v not in eligible[j])
        penalised = frozenset(
            j for j, job in enumerate(problem.jobs)
            if w.non_preferred and job.preferred_resources
            and veh.resource not in job.preferred_resources) - banned
        keys.append((veh.profile, banned, penalised))
    return keys


def _profile_entries(problem: Problem, eligible: list[set[int]]) -> int:
    depots = {loc for veh in problem.vehicles for loc in (veh.start_location, veh.end_location)}
    size = len(depots) + len(problem.jobs)
    return 2 * len(set(_profile_keys(problem, eligible))) * size * size


@dataclass
class _Model:
    """PyVRP's data for one problem, and the maps back to the problem's indices."""

    data: Any
    client_job: list[int]           # PyVRP client index -> job index
    job_client: dict[int, int]      # job index -> PyVRP client index
    type_vehicles: list[list[int]]  # PyVRP vehicle type -> the vehicles it stands for
    type_of: dict[int, int]         # vehicle -> its PyVRP vehicle type

    def sequences(self, solution: Any, n_vehicles: int) -> list[list[int]]:
        """Each vehicle's jobs in order; a type's routes go to its vehicles in turn."""
        out: list[list[int]] = [[] for _ in range(n_vehicles)]
        free = [list(members) for members in self.type_vehicles]
        for route in solution.routes():
            v = free[route.vehicle_type()].pop(0)
            out[v] = [self.client_job[a.idx] for a in route.schedule() if a.is_client()]
        return out


def _build(problem: Problem, pinned: Mapping[int, int], soft: bool = False) -> _Model:
    import pyvrp

    w = problem.weights
    eligible = _eligible(problem)
    jobs = [j for j in range(len(problem.jobs)) if eligible[j]]
    depot_locs = sorted({loc for veh in problem.vehicles
                         for loc in (veh.start_location, veh.end_location)})
    depot_of = {loc: k for k, loc in enumerate(depot_locs)}
    nd = len(depot_locs)
    index = np.array(depot_locs + [problem.jobs[j].location for j in jobs], dtype=np.int64)
    horizon = max([veh.shift_end_s for veh in problem.vehicles]
                  + [problem.jobs[j].tw_end_s + problem.jobs[j].max_lateness_s
                     + problem.jobs[j].service_s for j in jobs])
    # Longer than any shift: a leg this long always leaves time warp (infeasible).
    never = 2 * int(horizon) + 1
    keys = _profile_keys(problem, eligible)
    profiles: dict[tuple, int] = {}
    distances: list[Any] = []
    durations: list[Any] = []
    for key in keys:
        if key in profiles:
            continue
        profile, banned, penalised = key
        ix = np.ix_(index, index)
        dur = problem.duration_s[profile][ix].copy()
        # PyVRP's duration cost (waiting_s per second) also counts travel: pay it back here.
        cost = dur * (w.travel_s - w.waiting_s) + problem.distance_m[profile][ix] * w.distance_m
        cols = [nd + k for k, j in enumerate(jobs) if j in penalised]
        cost[:, cols] += w.non_preferred
        np.fill_diagonal(cost, 0)  # PyVRP wants a zero diagonal; no route uses it
        out = [nd + k for k, j in enumerate(jobs) if j in banned]
        for m, big in ((dur, never), (cost, never)):
            m[out, :] = big
            m[:, out] = big
            m[out, out] = 0
        profiles[key] = len(durations)
        durations.append(dur)
        distances.append(cost)
    capacity = any(veh.capacity is not None for veh in problem.vehicles)
    total_demand = sum(problem.jobs[j].demand for j in jobs) + 1
    clients = []
    for k, j in enumerate(jobs):
        job = problem.jobs[j]
        # Soft: the window's end is where time warp (PyVRP's lateness) starts to cost.
        early, late = job.tw_start_s, job.tw_end_s + (0 if soft else job.max_lateness_s)
        if j in pinned:
            early = late = int(pinned[j])
        clients.append(pyvrp.Client(
            location=nd + k, delivery=[int(job.demand)] if capacity else [],
            service_duration=int(job.service_s), tw_early=int(early), tw_late=int(late),
            # Serving also adds the visit's service to PyVRP's duration cost; a prize that
            # large again keeps dropping or serving it as dear as in our objective.
            prize=int((job.drop_penalty or 0) + w.waiting_s * job.service_s),
            required=job.drop_penalty is None, name=job.id))
    # Identical shifts share one vehicle type (num_available = their count): PyVRP then
    # does not tell them apart, as with a plain fleet, instead of searching symmetric moves.
    kinds: dict[tuple, list[int]] = {}
    for v, veh in enumerate(problem.vehicles):
        limits = [x for x in (veh.max_work_s, problem.resource_max_work_s.get(veh.resource))
                  if x is not None]
        kind: dict[str, Any] = {"shift_duration": int(min(limits))} if limits else {}
        if w.overtime_allowed_s:
            # PyVRP prices duration past shift_duration; leaving at the shift start makes
            # that exactly the time back after the shift's end.
            kind = {"shift_duration": int(veh.shift_end_s - veh.shift_start_s),
                    "start_late": int(veh.shift_start_s),
                    "max_overtime": int(w.overtime_allowed_s),
                    "unit_overtime_cost": int(w.overtime_s)}
        kind.update(
            capacity=(int(veh.capacity if veh.capacity is not None else total_demand),)
            if capacity else (),
            start_depot=depot_of[veh.start_location], end_depot=depot_of[veh.end_location],
            fixed_cost=int(veh.fixed_cost), tw_early=int(veh.shift_start_s),
            tw_late=int(veh.shift_end_s + w.overtime_allowed_s), unit_distance_cost=1,
            unit_duration_cost=int(w.waiting_s), profile=profiles[keys[v]])
        kinds.setdefault(tuple(sorted(kind.items())), []).append(v)
    types = []
    for kind_key, members in kinds.items():
        kwargs = dict(kind_key)
        kwargs["capacity"] = list(kwargs["capacity"])
        types.append(pyvrp.VehicleType(num_available=len(members),
                                       name=problem.vehicles[members[0]].id, **kwargs))
    locations = [pyvrp.Location(x=float(loc), y=0.0) for loc in index]
    depots = [pyvrp.Depot(location=k) for k in range(nd)]
    data = pyvrp.ProblemData(locations, clients, depots, types, distances, durations)
    return _Model(data=data, client_job=jobs, job_client={j: k for k, j in enumerate(jobs)},
                  type_vehicles=list(kinds.values()),
                  type_of={v: t for t, members in enumerate(kinds.values()) for v in members})


class _Stop:
    """PyVRP stopping criterion: the deadline or an iteration count; notes the first feasible."""

    def __init__(self, deadline: float, iterations: int | None, started: float) -> None:
        self.deadline, self.iterations, self.started = deadline, iterations, started
        self.count = 0
        self.first_s: float | None = None

    def __call__(self, best_cost: float) -> bool:
        if self.first_s is None and best_cost < float("inf"):
            self.first_s = time.perf_counter() - self.started
        self.count += 1
        if self.iterations is not None and self.count > self.iterations:
            return True
        return time.perf_counter() >= self.deadline


def _initial(model: _Model, problem: Problem, initial: Sequence[Sequence[int]]):
    import pyvrp

    routes = []
    for v, seq in enumerate(initial):
        visits = [model.job_client[j] for j in seq if j in model.job_client]
        if visits:
            routes.append(pyvrp.Route(model.data, visits, model.type_of[v]))
    # An infeasible warm start is still a good place for PyVRP's penalised search to begin.
    return pyvrp.Solution(model.data, routes)


def _solve_penalised(data: Any, stop: _Stop, seed: int, warm: Any, late_penalty: float) -> Any:
    """PyVRP's iterated local search at a fixed time-warp price; the best penalised solution.

    The body of :func:`pyvrp.solve` with a penalty manager that never adapts: time warp
    costs ``late_penalty`` per second, excess load a price no distance can pay.
    """
    import pyvrp
    from pyvrp.search import LocalSearch, PerturbationManager, compute_neighbours

    class Fixed(pyvrp.PenaltyManager):
        def register(self, sol: Any) -> None:  # the price is the objective's: never adapt
            pass

        def cost_evaluator(self) -> Any:
            loads = [1e9] * data.num_load_dimensions
            return pyvrp.CostEvaluator(loads, late_penalty, 1e9)

        def max_cost_evaluator(self) -> Any:
            return self.cost_evaluator()

    class Tracker(pyvrp.IteratedLocalSearchCallbacks):
        def __init__(self) -> None:
            self.best: Any = None
            self.cost = float("inf")

        def offer(self, sol: Any, cost_eval: Any) -> None:
            if sol.excess_load() and any(sol.excess_load()):
                return
            cost = cost_eval.penalised_cost(sol)
            if cost < self.cost:
                self.best, self.cost = sol, cost

        def on_iteration(self, current: Any, candidate: Any, best: Any, cost_eval: Any) -> None:
            self.offer(candidate, cost_eval)

    rng = pyvrp.RandomNumberGenerator(seed=seed)
    params = pyvrp.SolveParams()
    ls = LocalSearch(data, rng, compute_neighbours(data, params.neighbourhood),
                     PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = Fixed(params.penalty.midpoint_penalties(data), params.penalty)
    tracker = Tracker()
    init = warm if warm is not None else ls(pyvrp.Solution.make_random(data, rng),
                                            pm.cost_evaluator(), exhaustive=True)
    tracker.offer(init, pm.cost_evaluator())
    ils = pyvrp.IteratedLocalSearchParams(callbacks=tracker)
    pyvrp.IteratedLocalSearch(data, pm, ls, init, ils).run(stop, collect_stats=False)
    return tracker.best


def solve_pyvrp(problem: Problem, params: SolveParams, *, pinned: Mapping[int, int] | None = None,
                initial: Sequence[Sequence[int]] | None = None,
                late_penalty: int | None = None) -> Solution:
    """Solve a problem PyVRP can express (see :func:`can_express`) and verify the result.

    Parameters
    ----------
    problem : Problem
    params : SolveParams
        ``time_limit_s`` bounds the whole call (building the model included);
        ``solution_limit``, when set, stops PyVRP after that many iterations of its
        search instead (the time limit still applies), which makes runs repeatable;
        ``seed`` seeds PyVRP's random numbers.
    pinned : mapping of int to int, optional
        Job index -> service start (seconds since midnight) fixed in PyVRP's model; the
        read-back may start a pinned pair earlier, both halves together, when every
        rule still holds.
    initial : sequence of sequences of int, optional
        A warm start: for each vehicle, its jobs in order (it need not be feasible in
        PyVRP's model: the search starts from it and keeps only feasible solutions).
    late_penalty : int, optional
        Approximate priced soft windows: PyVRP's time warp past each window's end costs
        this much per second (its penalty fixed, not adapted), and the best *penalised*
        solution seen is returned, timed by :func:`.insertion.earliest_schedule` (true
        lateness: a late visit delays the rest of its route, where time warp does not)
        and checked against ``problem`` like any other. Capacity stays hard.

    Returns
    -------
    Solution
        ``source="pyvrp"``, status ``"feasible"``; a route for every vehicle, every job
        left out in ``unassigned`` with its cause; ``objective`` recomputed by
        :func:`.objective.objective` from the routes.

    Raises
    ------
    InputError
        When :func:`can_express` gives a reason.
    SolverError
        When PyVRP found no feasible solution in time, or its routes fail
        :func:`.verify.verify_solution` (never returned).
    """
    started = time.perf_counter()
    pinned = dict(pinned or {})
    soft = late_penalty is not None
    reason = can_express(problem, pinned, soft=soft)
    if reason is not None:
        raise InputError(f"PyVRP cannot express this problem: {reason}", field="problem")
    import pyvrp

    model = _build(problem, pinned, soft)
    sequences: list[list[int]] = [[] for _ in problem.vehicles]
    stop = _Stop(started + params.time_limit_s, params.solution_limit, started)
    if model.client_job:
        warm = _initial(model, problem, initial) if initial is not None else None
        with warnings.catch_warnings():
            # PyVRP warns when its penalties saturate; infeasible results are refused below.
            warnings.simplefilter("ignore")
            if soft:
                best = _solve_penalised(model.data, stop, int(params.seed) % 2**31, warm,
                                        float(late_penalty or 0))
            else:
                best = pyvrp.solve(model.data, stop=stop, seed=int(params.seed) % 2**31,
                                   collect_stats=False, display=False,
                                   initial_solution=warm).best
        if best is None or (not soft and not best.is_feasible()):
            raise SolverError("PyVRP found no feasible solution within the time limit")
        sequences = model.sequences(best, len(problem.vehicles))
    routes = (earliest_schedule(problem, sequences) if soft
              else schedule_sequences(problem, sequences, pinned))
    if routes is None:
        raise SolverError("PyVRP returned a route that misses a window on our matrices")
    served = {s.job for r in routes for s in r.stops}
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    solution = Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                        objective=objective(problem, routes, dropped),
                        wall_s=time.perf_counter() - started,
                        first_solution_s=stop.first_s if model.client_job else 0.0,
                        status="feasible", params=params, source="pyvrp")
    violations = verify_solution(problem, solution)
    if violations:
        raise SolverError(f"PyVRP's solution fails the checker: {violations[0].kind}: "
                          f"{violations[0].detail}")
    return solution
