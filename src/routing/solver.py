"""OR-Tools adapter: builds a routing model from a Problem and reads back a Solution."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Sequence


import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2

from ..errors import InputError, SolverError
from .explain import explain_unassigned
from .problem import BreakTaken, Problem, Route, Solution, SolveParams, Stop

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic

#: First-solution strategy names accepted in ``SolveParams.first_solution``.
FIRST_SOLUTION_STRATEGIES: dict[str, int] = {
    name.lower(): value for name, value in _FSS.Value.items() if name not in ("UNSET",)}
FIRST_SOLUTION_STRATEGIES["auto"] = _FSS.PARALLEL_CHEAPEST_INSERTION
# Our own pair-aware insertion (see _Inserter); OR-Tools' strategy is then only a fallback.
FIRST_SOLUTION_STRATEGIES["pair_insertion"] = _FSS.PARALLEL_CHEAPEST_INSERTION

#: Metaheuristic names accepted in ``SolveParams.local_search``.
METAHEURISTICS: dict[str, int] = {
    name.lower(): value for name, value in _LSM.Value.items() if name not in ("UNSET",)}
# Iterated local search (ruin and recreate) runs plain descent between perturbations.
METAHEURISTICS["iterated_local_search"] = _LSM.GREEDY_DESCENT
#: ``"auto"`` is iterated local search without links and guided local search with them.
METAHEURISTICS["auto"] = _LSM.GUIDED_LOCAL_SEARCH

_STATUS = {
    0: "not_solved", 1: "feasible", 2: "feasible", 3: "failed", 4: "timeout",
    5: "invalid", 6: "infeasible", 7: "optimal",
}


def solve(problem: Problem, params: SolveParams, *,
          initial: Sequence[Sequence[int]] | None = None) -> Solution:
    """Solve a routing problem with OR-Tools.

    Parameters
    ----------
    problem : Problem
        The instance; matrices in integer seconds and metres.
    params : SolveParams
        ``time_limit_s`` (wall seconds) and ``solution_limit`` bound the search;
        ``first_solution`` is an OR-Tools strategy name in lower case (e.g.
        ``"parallel_cheapest_insertion"``) or ``"auto"``; ``local_search`` is a
        metaheuristic name (``"auto"``, ``"iterated_local_search"``,
        ``"guided_local_search"``, ``"simulated_annealing"``, ``"tabu_search"``,
        ``"greedy_descent"``, ...); ``log`` prints the search log; ``workers`` > 1
        forks that many processes, each searching with different settings (see
        :data:`PORTFOLIO`), and keeps the best solution; ``seed`` varies the order in
        which the pair-aware insertion considers jobs (worker ``k`` uses ``seed + k``).
    initial : sequence of sequences of int, optional
        A warm start: for each vehicle, the jobs it serves in order (a feasible rota,
        e.g. the current one). Search starts from it instead of building a first
        solution, re-inserts what it leaves out, and returns nothing worse.

    Returns
    -------
    Solution
        A route for every vehicle (empty ones included), every job not served in
        ``unassigned`` with a cause, and ``status`` one of ``"optimal"``,
        ``"feasible"`` (a solution, search stopped by a limit), ``"infeasible"``,
        ``"timeout"`` (no solution within the time limit), ``"failed"``, ``"invalid"``.
        When there is no solution every route is empty and every job unassigned.

    Raises
    ------
    InputError
        On an unknown strategy name or a break that cannot fit inside its shift.
    ValueError
        If ``initial`` does not have one sequence per vehicle.
    """
    if initial is not None and len(initial) != len(problem.vehicles):
        raise ValueError(f"initial has {len(initial)} routes for {len(problem.vehicles)} vehicles")
    return _solve(problem, params, pair_aware=True, initial=initial)


def _solve_parallel(problem: Problem, params: SolveParams, pair_aware: bool,
                    repair: bool) -> Solution:
    """Fork ``workers - 1`` searches with other settings and keep the best solution."""
    import multiprocessing

    started = time.perf_counter()
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: search alone
        return _solve(problem, replace(params, workers=1), pair_aware=pair_aware, repair=repair)
    children = []
    for k in range(1, params.workers):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, problem, params, pair_aware, repair, k),
                           daemon=True)
        proc.start()
        send.close()
        children.append((proc, receive))
    results = [_solve(problem, replace(params, workers=1), pair_aware=pair_aware, repair=repair,
                      worker=0)]
    for proc, receive in children:
        wait_s = max(0.0, started + params.time_limit_s + 5.0 - time.perf_counter())
        if receive.poll(wait_s):
            try:
                results.append(receive.recv())
            except (EOFError, OSError):
                pass
        proc.join(timeout=1.0)
        if proc.is_alive():
            proc.kill()
    best = min(results, key=lambda s: (s.objective, results.index(s)))
    return replace(best, wall_s=time.perf_counter() - started, params=params)


def _child(send, problem: Problem, params: SolveParams, pair_aware: bool, repair: bool,
           worker: int) -> None:
    try:
        send.send(_solve(problem, replace(params, workers=1), pair_aware=pair_aware,
                         repair=repair, worker=worker))
    finally:
        send.close()


def solve_with(problem: Problem, params: SolveParams, variant: str = "ours") -> Solution:
    """Solve with a named engine variant, for benchmarks that compare them.

    ``"ours"`` is what :func:`solve` does; ``"plain"`` searches with OR-Tools alone
    (its first-solution strategy and local search, no pair-aware insertion or repair);
    ``"no_repair"`` is ours without the repair phase after local search.
    """
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; expected one of {VARIANTS}",
                         field="variant")
    return _solve(problem, params, pair_aware=variant != "plain",
                  repair=variant != "no_repair")


#: Engine variants :func:`solve_with` accepts.
VARIANTS = ("ours", "plain", "no_repair")


def _solve(problem: Problem, params: SolveParams, *, pair_aware: bool, repair: bool = True,
           worker: int | None = None,
           initial: Sequence[Sequence[int]] | None = None) -> Solution:
    _check_params(params)
    started = time.perf_counter()
    if worker is None and params.workers > 1 and initial is None:
        found = _solve_parallel(problem, params, pair_aware, repair)
    else:
        found = _solve_one(problem, params, pair_aware=pair_aware, repair=repair,
                           worker=worker, initial=initial)
    if worker is not None or not pair_aware:
        return found  # a portfolio member, or the plain OR-Tools reference
    return _at_least_insertion(problem, params, found, started)


def _at_least_insertion(problem: Problem, params: SolveParams, found: Solution,
                        started: float) -> Solution:
    """``found``, or the insertion rota when that leaves less work undone.

    The search can end with nothing better than "drop everything" (no first solution
    within a tiny time limit, or a model OR-Tools cannot start from). One complete
    pass of pair-aware insertion takes well under a second even on a county day, so it
    is the floor: a solve never returns a rota that leaves more drop penalty (visits
    weighted by priority) unplaced than insertion alone would.
    """
    if not found.unassigned or not problem.vehicles:
        return found
    floor = solve_by_insertion(problem, params, complete=True)
    if drop_penalty(problem, floor) < drop_penalty(problem, found):
        return replace(floor, wall_s=time.perf_counter() - started, source="insertion",
                       first_solution_s=found.first_solution_s or floor.first_solution_s)
    return found


def drop_penalty(problem: Problem, solution: Solution) -> int:
    """The summed drop penalties of a solution's unassigned jobs (mandatory ones count 10**15)."""
    return sum(10**15 if problem.jobs[u.job].drop_penalty is None
               else problem.jobs[u.job].drop_penalty for u in solution.unassigned)


def _solve_one(problem: Problem, params: SolveParams, *, pair_aware: bool, repair: bool,
               worker: int | None, initial: Sequence[Sequence[int]] | None) -> Solution:
    started = time.perf_counter()
    if not problem.vehicles or _mandatory_without_vehicle(problem):
        status = "infeasible" if any(j.drop_penalty is None for j in problem.jobs) else "feasible"
        return _empty_solution(problem, params, status, started)
    model = _Model(problem, params, pair_aware=pair_aware, started=started, worker=worker or 0)
    model.repair = repair
    model.initial = None if initial is None else [list(seq) for seq in initial]
    assignment = model.search()
    if assignment is None:
        return _empty_solution(problem, params, model.status(found=False), started,
                               first_s=model.first_solution_s)
    routes = model.read_routes(assignment)
    served = {s.job for r in routes for s in r.stops}
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    return Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                    objective=int(assignment.ObjectiveValue()),
                    wall_s=time.perf_counter() - started,
                    first_solution_s=model.first_solution_s, status=model.status(),
                    params=params)


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
    _check_params(params)
    started = time.perf_counter()
    deadline = started + params.time_limit_s
    ins = _Inserter(problem, float("inf") if complete else deadline, params.seed)
    everything = list(range(len(problem.jobs)))
    ins.insert_all(everything)
    ins.deadline = deadline
    placed = {j for seq in ins.sequences() for j in seq}
    ins.insert_all([j for j in everything if j not in placed], eject=True)
    plans = []
    for v, seq in enumerate(ins.seqs):
        sched = ins.schedule(v, seq)
        if sched is None or not sched.used:
            veh = problem.vehicles[v]
            plans.append(_Plan(v, (), (), veh.shift_start_s, veh.shift_start_s, ()))
            continue
        jobs, starts, breaks = [], [], []
        for item, free_s in zip(seq, sched.dep):
            if item >= 0:
                jobs.append(item)
                starts.append(free_s - problem.jobs[item].service_s)
            elif free_s >= 0:
                duration = problem.vehicles[v].breaks[-item - 1].duration_s
                breaks.append(BreakTaken(start_s=free_s - duration, duration_s=duration))
        plans.append(_Plan(v, tuple(jobs), tuple(starts), sched.leave_s, sched.back_s,
                           tuple(sorted(breaks, key=lambda b: b.start_s))))
    routes = _build_routes(problem, _tighten_times(problem, plans))
    served = {st.job for r in routes for st in r.stops}
    dropped = [j for j in everything if j not in served]
    w = problem.weights
    objective = (sum(w.travel_s * r.travel_s + w.distance_m * r.distance_m for r in routes)
                 + sum(problem.jobs[j].drop_penalty or 0 for j in dropped))
    return Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                    objective=int(objective), wall_s=time.perf_counter() - started,
                    first_solution_s=time.perf_counter() - started, status="feasible",
                    params=params)


#: Ruin sizes of iterated local search per worker: (average visits removed, longest string).
PORTFOLIO: tuple[tuple[int, int], ...] = ((30, 15), (20, 10), (40, 20), (15, 5))


def _copy_params(sp):
    copy = pywrapcp.DefaultRoutingSearchParameters()
    copy.CopyFrom(sp)
    return copy


def _set_ils(sp, avg_removed: int = 20, max_string: int = 10) -> None:
    """Ruin (SISR: about ``avg_removed`` visits in strings of up to ``max_string``) and
    recreate (local cheapest insertion), accepted by simulated annealing.

    Tuned on Solomon instances at 5-10 s; see docs/routing.md.
    """
    sp.use_iterated_local_search = True
    # Between perturbations the local search must stop at a local optimum.
    sp.local_search_metaheuristic = _LSM.GREEDY_DESCENT
    ils = sp.iterated_local_search_parameters
    ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
    rr = ils.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.avg_num_removed_visits = avg_removed
    sisr.max_removed_sequence_size = max_string
    sisr.bypass_factor = 0.01
    rr.recreate_strategy.heuristic = _FSS.LOCAL_CHEAPEST_INSERTION
    ils.improve_perturbed_solution = True
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.automatic_temperatures = True
    annealing.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
    ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()


def _check_params(params: SolveParams) -> None:
    if params.first_solution not in FIRST_SOLUTION_STRATEGIES:
        raise InputError(f"unknown first-solution strategy {params.first_solution!r}; expected "
                         f"one of {sorted(FIRST_SOLUTION_STRATEGIES)}", field="first_solution")
    if params.local_search not in METAHEURISTICS:
        raise InputError(f"unknown local search {params.local_search!r}; expected one of "
                         f"{sorted(METAHEURISTICS)}", field="local_search")
    if not params.time_limit_s > 0:
        raise InputError("time limit must be positive seconds", field="time_limit_s")
    if params.workers < 1:
        raise InputError("workers must be at least 1", field="workers")
    if params.solution_limit is not None and params.solution_limit < 1:
        raise InputError("solution limit must be at least 1 or None", field="solution_limit")


def _mandatory_without_vehicle(problem: Problem) -> bool:
    return any(job.drop_penalty is None and not problem.eligible_vehicles(j)
               for j, job in enumerate(problem.jobs))


def _empty_solution(problem: Problem, params: SolveParams, status: str, started: float,
                    first_s: float | None = None) -> Solution:
    routes = tuple(Route(vehicle=v, stops=(), start_s=veh.shift_start_s, end_s=veh.shift_start_s,
                         return_travel_s=0, return_distance_m=0)
                   for v, veh in enumerate(problem.vehicles))
    penalty = sum(j.drop_penalty or 0 for j in problem.jobs)
    return Solution(routes=routes,
                    unassigned=explain_unassigned(problem, range(len(problem.jobs)), routes),
                    objective=penalty, wall_s=time.perf_counter() - started,
                    first_solution_s=first_s, status=status, params=params)


#: Above this many cost-matrix entries over all vehicle classes (about 0.5 GB while
#: registering), continuity of carer is modelled as a dimension instead of in arc costs.
MATRIX_CLASS_ENTRIES = 20_000_000
#: Shifts with breaks above which sub-searches get :data:`BREAKS_LNS_TIME_LIMIT_MS`.
BREAKS_LNS_ABOVE = 40
#: OR-Tools' limit on each local-search sub-search (default 100 ms) with many breaks.
BREAKS_LNS_TIME_LIMIT_MS = 1000


class _Model:
    """The OR-Tools model of one problem; nothing of it escapes this module."""

    def __init__(self, problem: Problem, params: SolveParams, *, pair_aware: bool = True,
                 started: float | None = None, worker: int = 0) -> None:
        self.problem = problem
        self.worker = worker
        self.repair = True
        self.initial: list[list[int]] | None = None
        self.pair_aware = pair_aware
        self.params = params
        self.first_solution_s: float | None = None
        # The time limit covers building the model too, as callers measure wall time.
        self._t0 = time.perf_counter() if started is None else started
        n, nv = len(problem.jobs), len(problem.vehicles)
        self.n_jobs = n
        starts = [n + 2 * v for v in range(nv)]
        ends = [n + 2 * v + 1 for v in range(nv)]
        self.manager = pywrapcp.RoutingIndexManager(n + 2 * nv, nv, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.solver = self.routing.solver()
        self.node_loc = np.array([j.location for j in problem.jobs]
                                 + [loc for veh in problem.vehicles
                                    for loc in (veh.start_location, veh.end_location)],
                                 dtype=np.int64)
        self.service = np.array([j.service_s for j in problem.jobs] + [0] * (2 * nv),
                                dtype=np.int64)
        self.horizon = self._horizon()
        self.job_index = [self.manager.NodeToIndex(j) for j in range(n)]
        self._add_costs()
        self.time = self._add_time()
        self.breaks = self._add_breaks()
        self._add_split_shifts()
        self._add_resource_work()
        self._add_eligibility_and_drops()
        self._add_links()
        self._add_capacity()
        self._add_max_lateness()
        self._add_span_cost()
        self._add_finalizer()
        self.routing.AddAtSolutionCallback(self._on_solution)

    # -- model -----------------------------------------------------------------

    def _horizon(self) -> int:
        p = self.problem
        h = max([v.shift_end_s for v in p.vehicles]
                + [j.tw_end_s + j.max_lateness_s + j.service_s for j in p.jobs]
                + [b.latest_s + b.duration_s for v in p.vehicles for b in v.breaks])
        return int(h) + 1

    def _node_matrix(self, matrix: np.ndarray, cap: int) -> np.ndarray:
        """A location matrix re-indexed by routing node, clipped to ``cap``."""
        m = np.minimum(matrix[np.ix_(self.node_loc, self.node_loc)], cap)
        nv = len(self.problem.vehicles)
        n = self.n_jobs
        # An unused vehicle goes straight from its start node to its end node: make that free.
        for v in range(nv):
            m[n + 2 * v, n + 2 * v + 1] = 0
        return m

    def _penalised_jobs(self) -> list[tuple[int, ...]]:
        """Per vehicle, the jobs with preferred resources that it is not one of."""
        p, w = self.problem, self.problem.weights
        preferred = [j for j, job in enumerate(p.jobs) if job.preferred_resources]
        if not w.non_preferred or not preferred:
            return [() for _ in p.vehicles]
        return [tuple(j for j in preferred if veh.resource not in p.jobs[j].preferred_resources)
                for veh in p.vehicles]

    def _add_costs(self) -> None:
        p, w = self.problem, self.problem.weights
        base: dict[str, np.ndarray] = {}
        for profile in sorted({veh.profile for veh in p.vehicles}):
            cost = self._node_matrix(p.duration_s[profile], self.horizon) * w.travel_s
            if w.distance_m:
                cost = cost + self._node_matrix(p.distance_m[profile], 10**9) * w.distance_m
            base[profile] = cost
        penalised = self._penalised_jobs()
        keys = [(veh.profile, pen) for veh, pen in zip(p.vehicles, penalised)]
        n_nodes = self.manager.GetNumberOfNodes()
        # A cost matrix per class is fastest to search, but a county day has a class for
        # nearly every worker: past a size, continuity moves to a dimension costing O(nodes)
        in_matrix = len(set(keys)) * n_nodes * n_nodes <= MATRIX_CLASS_ENTRIES
        if not in_matrix:
            keys = [(veh.profile, ()) for veh in p.vehicles]
        classes: dict[tuple, int] = {}
        vehicle_class: list[int] = []
        for v, (veh, key) in enumerate(zip(p.vehicles, keys)):
            if key not in classes:
                cost = base[veh.profile]
                if key[1]:
                    cost = cost.copy()
                    cost[:, list(key[1])] += w.non_preferred
                classes[key] = self.routing.RegisterTransitMatrix(cost.tolist())
            vehicle_class.append(classes[key])
            if veh.fixed_cost:
                self.routing.SetFixedCostOfVehicle(int(veh.fixed_cost), v)
        self.n_cost_classes = len(classes)
        if len(classes) == 1:
            self.routing.SetArcCostEvaluatorOfAllVehicles(vehicle_class[0])
        else:
            for v, evaluator in enumerate(vehicle_class):
                self.routing.SetArcCostEvaluatorOfVehicle(evaluator, v)
        if not in_matrix:
            self._add_continuity(penalised)

    def _add_continuity(self, penalised: list[tuple[int, ...]]) -> None:
        """Continuity as a zero-slack dimension counting the penalised jobs a route leaves.

        Its span costs ``non_preferred`` per unit. The callbacks are Python (slower to
        search than a native matrix) but hold one set of jobs per vehicle class.
        """
        manager, n_jobs = self.manager, self.n_jobs
        self._continuity_callbacks = []
        ids: dict[tuple[int, ...], int] = {}
        for pen in set(penalised):
            members = np.zeros(n_jobs + 1, dtype=bool)
            members[list(pen)] = True

            def leaving(i: int, j: int, members=members) -> int:
                node = manager.IndexToNode(i)
                return int(node < n_jobs and members[node])

            self._continuity_callbacks.append(leaving)
            ids[pen] = self.routing.RegisterTransitCallback(leaving)
        self.routing.AddDimensionWithVehicleTransits([ids[pen] for pen in penalised], 0,
                                                     n_jobs + 1, True, "continuity")
        dim = self.routing.GetDimensionOrDie("continuity")
        for v in range(len(self.problem.vehicles)):
            dim.SetSpanCostCoefficientForVehicle(int(self.problem.weights.non_preferred), v)

    def _add_time(self) -> pywrapcp.RoutingDimension:
        p = self.problem
        transit_ids = {}
        for profile in {veh.profile for veh in p.vehicles}:
            m = self._node_matrix(p.duration_s[profile], self.horizon) + self.service[:, None]
            transit_ids[profile] = self.routing.RegisterTransitMatrix(m.tolist())
        self.transit_ids = transit_ids
        self.routing.AddDimensionWithVehicleTransits(
            [transit_ids[veh.profile] for veh in p.vehicles], self.horizon, self.horizon,
            False, "time")
        dim = self.routing.GetDimensionOrDie("time")
        w = p.weights
        for j, job in enumerate(p.jobs):
            idx = self.job_index[j]
            dim.CumulVar(idx).SetRange(job.tw_start_s, job.tw_end_s + job.max_lateness_s)
            if job.max_lateness_s and w.lateness_s:
                dim.SetCumulVarSoftUpperBound(idx, job.tw_end_s, w.lateness_s)
        for v, veh in enumerate(p.vehicles):
            for idx in (self.routing.Start(v), self.routing.End(v)):
                dim.CumulVar(idx).SetRange(veh.shift_start_s, veh.shift_end_s)
            if veh.max_work_s is not None:
                dim.SetSpanUpperBoundForVehicle(int(veh.max_work_s), v)
        return dim

    def _add_breaks(self) -> dict[int, list]:
        p = self.problem
        out: dict[int, list] = {}
        visit = None
        for v, veh in enumerate(p.vehicles):
            if not veh.breaks:
                continue
            if visit is None:
                visit = [int(self.service[self.manager.IndexToNode(i)])
                         for i in range(self.routing.Size())]
            intervals = []
            for k, b in enumerate(veh.breaks):
                lo = max(b.earliest_s, veh.shift_start_s)
                hi = min(b.latest_s, veh.shift_end_s - b.duration_s)
                if lo > hi:
                    raise InputError(
                        f"break {k + 1} ({b.duration_s} s starting "
                        f"{b.earliest_s}-{b.latest_s} s) does not fit inside the shift "
                        f"{veh.shift_start_s}-{veh.shift_end_s} s; widen its window or drop it",
                        id=veh.id, field="breaks")
                intervals.append(self.solver.FixedDurationIntervalVar(
                    lo, hi, b.duration_s, False, f"break {v} {k}"))
            self.time.SetBreakIntervalsOfVehicle(intervals, v, visit)
            for iv in intervals:
                self.routing.AddIntervalToAssignment(iv)
            out[v] = intervals
        return out

    def _add_split_shifts(self) -> None:
        """Two routes of one resource whose shifts overlap must not overlap in time."""
        p = self.problem
        by_resource: dict[str, list[int]] = {}
        for v, veh in enumerate(p.vehicles):
            by_resource.setdefault(veh.resource, []).append(v)
        s, r, t = self.solver, self.routing, self.time
        for vs in by_resource.values():
            for i, a in enumerate(vs):
                for b in vs[i + 1:]:
                    va, vb = p.vehicles[a], p.vehicles[b]
                    if va.shift_end_s <= vb.shift_start_s or vb.shift_end_s <= va.shift_start_s:
                        continue
                    a_first = s.IsLessOrEqualVar(t.CumulVar(r.End(a)), t.CumulVar(r.Start(b)))
                    b_first = s.IsLessOrEqualVar(t.CumulVar(r.End(b)), t.CumulVar(r.Start(a)))
                    s.Add(a_first + b_first + (1 - r.ActiveVehicleVar(a))
                          + (1 - r.ActiveVehicleVar(b)) >= 1)

    def _add_resource_work(self) -> None:
        p = self.problem
        r, t = self.routing, self.time
        for resource, limit in p.resource_max_work_s.items():
            vs = [v for v, veh in enumerate(p.vehicles) if veh.resource == resource]
            if not vs:
                continue
            spans = [t.CumulVar(r.End(v)) - t.CumulVar(r.Start(v)) for v in vs]
            self.solver.Add(self.solver.Sum(spans) <= int(limit))

    def _add_eligibility_and_drops(self) -> None:
        p = self.problem
        nv = len(p.vehicles)
        for j, job in enumerate(p.jobs):
            idx = self.job_index[j]
            allowed = p.eligible_vehicles(j)
            if not allowed:
                # Only optional jobs get here (mandatory ones are caught before modelling).
                self.routing.ActiveVar(idx).SetValue(0)
            elif len(allowed) < nv:
                # -1 is the vehicle of an unperformed node.
                extra = [-1] if job.drop_penalty is not None else []
                self.routing.VehicleVar(idx).SetValues(allowed + extra)
            if job.drop_penalty is not None:
                self.routing.AddDisjunction([idx], int(job.drop_penalty))

    def _add_links(self) -> None:
        p = self.problem
        if not p.links:
            return
        s, r, t = self.solver, self.routing, self.time
        resources = sorted({veh.resource for veh in p.vehicles})
        rid = [resources.index(veh.resource) for veh in p.vehicles]
        big = 2 * self.horizon
        for link in p.links:
            ia, ib = self.job_index[link.first], self.job_index[link.second]
            act = r.ActiveVar(ia)
            s.Add(act == r.ActiveVar(ib))
            gap = t.CumulVar(ib) - t.CumulVar(ia)
            s.Add(gap >= link.min_gap_s * act - big * (1 - act))
            s.Add(gap <= link.max_gap_s * act + big * (1 - act))
            # VehicleVar is -1 when inactive: shift by one and give the two sides
            # different sentinels so an unserved pair never violates the constraint.
            res_a = s.Element([-1] + rid, (r.VehicleVar(ia) + 1).Var())
            res_b = s.Element([-2] + rid, (r.VehicleVar(ib) + 1).Var())
            s.Add(res_a != res_b)

    def _add_capacity(self) -> None:
        p = self.problem
        if all(veh.capacity is None for veh in p.vehicles):
            return
        demands = [int(j.demand) for j in p.jobs] + [0] * (2 * len(p.vehicles))
        total = sum(demands) + 1
        cb = self.routing.RegisterUnaryTransitVector(demands)
        self.routing.AddDimensionWithVehicleCapacity(
            cb, 0, [total if veh.capacity is None else int(veh.capacity) for veh in p.vehicles],
            True, "load")

    def _add_max_lateness(self) -> None:
        """Largest lateness as the global span of a dimension that only grows along routes."""
        p = self.problem
        w = p.weights
        soft = [j for j, job in enumerate(p.jobs) if job.max_lateness_s]
        if not w.max_lateness_s or not soft:
            return
        zero = self.routing.RegisterUnaryTransitVector([0] * (self.n_jobs + 2 * len(p.vehicles)))
        self.routing.AddDimension(zero, self.horizon, self.horizon, True, "max_lateness")
        dim = self.routing.GetDimensionOrDie("max_lateness")
        for j in soft:
            idx = self.job_index[j]
            self.solver.Add(dim.CumulVar(idx) >= self.time.CumulVar(idx) - p.jobs[j].tw_end_s)
        dim.SetGlobalSpanCostCoefficient(int(w.max_lateness_s))
        self.max_lateness_dim = dim

    def _add_span_cost(self) -> None:
        """Longest route duration as the global span of a copy of time starting at zero."""
        p = self.problem
        if not p.weights.span_s:
            return
        self.routing.AddDimensionWithVehicleTransits(
            [self.transit_ids[veh.profile] for veh in p.vehicles], self.horizon, self.horizon,
            True, "route")
        dim = self.routing.GetDimensionOrDie("route")
        # Same transits and same waiting: route cumul = time cumul - route start.
        for i in range(self.routing.Size()):
            if not self.routing.IsEnd(i):
                self.solver.Add(dim.SlackVar(i) == self.time.SlackVar(i))
        dim.SetGlobalSpanCostCoefficient(int(p.weights.span_s))

    def _add_finalizer(self) -> None:
        # Cumuls carry no cost of their own, so pin them to the earliest consistent
        # service starts, leave home as late as that allows, and come home at once.
        r, t = self.routing, self.time
        for idx in self.job_index:
            r.AddVariableMinimizedByFinalizer(t.CumulVar(idx))
        for v in range(len(self.problem.vehicles)):
            r.AddVariableMaximizedByFinalizer(t.CumulVar(r.Start(v)))
            r.AddVariableMinimizedByFinalizer(t.CumulVar(r.End(v)))

    # -- search ------------------------------------------------------------------

    def _on_solution(self) -> None:
        if self.first_solution_s is None:
            self.first_solution_s = time.perf_counter() - self._t0

    def search_parameters(self):
        params = self.params
        sp = pywrapcp.DefaultRoutingSearchParameters()
        sp.first_solution_strategy = FIRST_SOLUTION_STRATEGIES[params.first_solution]
        sp.local_search_metaheuristic = METAHEURISTICS[params.local_search]
        sp.time_limit.FromMilliseconds(max(1, int(params.time_limit_s * 1000)))
        if params.solution_limit is not None:
            sp.solution_limit = int(params.solution_limit)
        if sum(1 for veh in self.problem.vehicles if veh.breaks) > BREAKS_LNS_ABOVE:
            # Each move re-places every break interval in a sub-search; past about 90
            # shifts with breaks that takes longer than the default 0.1 s, every move
            # fails and local search stops at its start (measured on a county day).
            sp.lns_time_limit.FromMilliseconds(BREAKS_LNS_TIME_LIMIT_MS)
        sp.log_search = bool(params.log)
        if self.use_ils:
            _set_ils(sp, *PORTFOLIO[self.worker % len(PORTFOLIO)])
        elif self.worker % 2:
            # A second guided search differs from the first by its penalty weight.
            sp.guided_local_search_lambda_coefficient = 0.2
        return sp

    @property
    def use_ils(self) -> bool:
        """Iterated local search: asked for, or ``"auto"`` on a problem without links."""
        ls = self.params.local_search
        return ls == "iterated_local_search" or (ls == "auto" and not self.problem.links)

    def search(self):
        """Run the search; the best assignment or None.

        With linked jobs (or ``first_solution="pair_insertion"``) the first solution is
        built by :class:`_Inserter`, which places both jobs of a pair at once; local
        search then runs for part of the time, dropped pairs are re-inserted, and local
        search resumes. Otherwise OR-Tools builds the first solution itself, and the
        insertion heuristic is the fallback if that fails.
        """
        deadline = self._t0 + self.params.time_limit_s
        sp = self.search_parameters()
        self.routing.CloseModelWithParameters(sp)
        if not self.pair_aware:
            return self._local_search(None, sp, deadline - time.perf_counter())
        links = bool(self.problem.links)
        start = None
        if self.initial is not None:
            start = self._restore(self.initial)
            if start is not None and self.first_solution_s is None:
                self.first_solution_s = time.perf_counter() - self._t0
        if start is None and (links or self.params.first_solution == "pair_insertion"):
            start = self._construct(deadline)
        if start is None:
            best = self._local_search(None, sp, deadline - time.perf_counter())
            if best is None or self.first_solution_s is None:
                start = self._construct(deadline)
                if start is not None:
                    best = self._local_search(start, sp, deadline - time.perf_counter())
            if not links or best is None:
                return best
        else:
            share = 0.6 if links and self.repair else 1.0
            best = self._local_search(start, sp, share * (deadline - time.perf_counter()))
        if links and self.repair:
            repaired = self._repair(best, deadline)
            if repaired is not None and repaired.ObjectiveValue() < best.ObjectiveValue():
                best = repaired
            left = deadline - time.perf_counter()
            if left > 0.05:
                best = self._local_search(best, sp, left) or best
        return best

    def _local_search(self, start, sp, seconds: float):
        """Search from ``start`` (or from OR-Tools' own first solution) for ``seconds``."""
        # Leave a little for reading the solution back within the caller's budget.
        sp.time_limit.FromMilliseconds(max(1, int((seconds - 0.02) * 1000)))
        if start is None:
            if self.use_ils:
                return self.routing.SolveWithIteratedLocalSearch(sp)
            return self.routing.SolveWithParameters(sp)
        if sp.use_iterated_local_search:
            # OR-Tools' iterated search cannot start from a given solution (from one it
            # stops at the first local optimum), so a warm start runs guided search.
            sp = _copy_params(sp)
            sp.use_iterated_local_search = False
            sp.local_search_metaheuristic = _LSM.GUIDED_LOCAL_SEARCH
        found = self.routing.SolveFromAssignmentWithParameters(start, sp)
        return found if found is not None else start

    def _restore(self, sequences: list[list[int]]):
        routes = [[self.manager.NodeToIndex(j) for j in seq] for seq in sequences]
        return self.routing.ReadAssignmentFromRoutes(routes, True)

    def _construct(self, deadline: float):
        """A first solution from pair-aware insertion, or None if it cannot be restored."""
        ins = _Inserter(self.problem, deadline, self.params.seed + self.worker)
        ins.insert_all(list(range(self.n_jobs)))
        placed = {j for seq in ins.sequences() for j in seq}
        if any(job.drop_penalty is None and j not in placed
               for j, job in enumerate(self.problem.jobs)):
            return None
        start = self._restore(ins.sequences())
        if start is not None and self.first_solution_s is None:
            self.first_solution_s = time.perf_counter() - self._t0
        return start

    def _repair(self, assignment, deadline: float):
        """Re-insert dropped jobs (pairs above all) into a local-search solution."""
        r, t = self.routing, self.time
        routes = []
        for v in range(len(self.problem.vehicles)):
            jobs, starts = [], []
            idx = assignment.Value(r.NextVar(r.Start(v)))
            while not r.IsEnd(idx):
                jobs.append(self.manager.IndexToNode(idx))
                starts.append(int(assignment.Value(t.CumulVar(idx))))
                idx = assignment.Value(r.NextVar(idx))
            breaks = sorted(int(assignment.StartValue(iv)) for iv in self.breaks.get(v, ()))
            routes.append((jobs, starts, breaks))
        served = {j for jobs, _, _ in routes for j in jobs}
        dropped = [j for j in range(self.n_jobs) if j not in served]
        if not dropped:
            return None
        ins = _Inserter(self.problem, deadline, self.params.seed + self.worker)
        ins.load_routes(routes)
        if not ins.insert_all(dropped, eject=True):
            return None
        return self._restore(ins.sequences())

    def status(self, found: bool = True) -> str:
        status = _STATUS.get(int(self.routing.status()), "unknown")
        # Iterated local search and our own first solution leave the status unset.
        if found and status in ("not_solved", "failed", "timeout"):
            return "feasible"
        return status

    # -- read back -------------------------------------------------------------

    def read_routes(self, assignment) -> tuple[Route, ...]:
        p = self.problem
        r, t = self.routing, self.time
        plans = []
        for v in range(len(p.vehicles)):
            jobs, times = [], []
            idx = assignment.Value(r.NextVar(r.Start(v)))
            while not r.IsEnd(idx):
                node = self.manager.IndexToNode(idx)
                if node >= self.n_jobs:
                    raise SolverError(f"route of vehicle {p.vehicles[v].id!r} visits a non-job node")
                jobs.append(node)
                times.append(int(assignment.Value(t.CumulVar(idx))))
                idx = assignment.Value(r.NextVar(idx))
            breaks = tuple(sorted(
                (BreakTaken(start_s=int(assignment.StartValue(iv)),
                            duration_s=int(assignment.DurationValue(iv)))
                 for iv in self.breaks.get(v, ()) if assignment.PerformedValue(iv)),
                key=lambda b: b.start_s)) if jobs else ()
            plans.append(_Plan(v, tuple(jobs), tuple(times),
                               int(assignment.Value(t.CumulVar(r.Start(v)))),
                               int(assignment.Value(t.CumulVar(r.End(v)))), breaks))
        return _build_routes(p, _tighten_times(p, plans))


@dataclass(frozen=True)
class _Plan:
    """One vehicle's sequence with service starts, leave and return times and breaks."""

    vehicle: int
    jobs: tuple[int, ...]
    starts: tuple[int, ...]
    leave_s: int
    back_s: int
    breaks: tuple[BreakTaken, ...]


def _build_routes(problem: Problem, plans: list[_Plan]) -> tuple[Route, ...]:
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
                            breaks=plan.breaks))
    return tuple(routes)


def _tighten_times(problem: Problem, plans: list[_Plan]) -> list[_Plan]:
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
    by_resource: dict[str, list[_Plan]] = {}
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
            a, b = link.first, link.second
            if a in x and b in x:
                if x[a] + link.min_gap_s > x[b]:
                    x[b], changed = x[a] + link.min_gap_s, True
                if x[b] - link.max_gap_s > x[a]:
                    x[a], changed = x[b] - link.max_gap_s, True
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
        first = problem.jobs[pl.jobs[0]]
        gap0 = gaps[pl.vehicle][1][0]
        leave = x[pl.jobs[0]] - int(problem.duration_s[veh.profile][veh.start_location,
                                                                     first.location])
        leave -= sum(b.duration_s for b in gap0)
        leave = min([leave] + [b.start_s for b in gap0])
        out.append(_Plan(pl.vehicle, pl.jobs, tuple(x[j] for j in pl.jobs), leave,
                         back[pl.vehicle], pl.breaks))
    return out


def _after_gap(ready: int, travel: int, breaks: list[BreakTaken]) -> int:
    """Earliest time after ``ready`` that fits ``travel`` plus breaks fixed in this gap."""
    return max([ready + travel + sum(b.duration_s for b in breaks)]
               + [b.start_s + b.duration_s for b in breaks])


def _break_gaps(problem: Problem, pl: _Plan):
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


@dataclass(frozen=True)
class _Sched:
    """A route's timing under the insertion heuristic's conservative rules."""

    cost: int
    leave_s: int
    back_s: int
    dep: tuple[int, ...]       # time the vehicle is free after each item of the sequence
    used: bool


_UNUSED = _Sched(cost=0, leave_s=0, back_s=0, dep=(), used=False)


class _Inserter:
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
                                  if self._shift_can_cover(v, j)
                                  and (p.vehicles[v].capacity is None
                                       or job.demand <= p.vehicles[v].capacity)])
        self.resource_of = [veh.resource for veh in p.vehicles]
        self.siblings: dict[int, list[int]] = {}
        for v, veh in enumerate(p.vehicles):
            self.siblings.setdefault(veh.resource, []).append(v)
        self.pinned: dict[int, int] = {}
        self.linked = {j for link in p.links for j in (link.first, link.second)}
        self.seqs: list[list[int]] = [[-(k + 1) for k in self._break_order(v)]
                                      for v in range(len(p.vehicles))]
        self.frozen: set[int] = set()
        self.scheds: list[_Sched] = [_UNUSED for _ in p.vehicles]

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
        return back <= veh.shift_end_s

    # -- timing ---------------------------------------------------------------------------

    def schedule(self, v: int, seq: list[int]) -> _Sched | None:
        """Timing and cost of a sequence on vehicle ``v``, or None if infeasible."""
        p, w = self.p, self.w
        veh = p.vehicles[v]
        last = max((i for i, item in enumerate(seq) if item >= 0), default=-1)
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
        if back > veh.shift_end_s:
            return None
        after = back
        for i in range(last + 1, len(seq)):
            b = veh.breaks[-seq[i] - 1]
            bs = max(after, b.earliest_s)
            if bs > b.latest_s or bs + b.duration_s > veh.shift_end_s:
                return None
            after = bs + b.duration_s
            dep[i] = after
        leave = first_start - first_travel
        if pre_breaks and pre_breaks[-1][1] > leave:
            leave = min([leave - sum(e - s for s, e in pre_breaks)] + [s for s, _ in pre_breaks])
        if veh.max_work_s is not None and back - leave > veh.max_work_s:
            return None
        if veh.capacity is not None and load > veh.capacity:
            return None
        return _Sched(cost=cost, leave_s=leave, back_s=back, dep=tuple(dep), used=True)

    def _resource_ok(self, v: int, sched: _Sched) -> bool:
        if not sched.used:
            return True
        p = self.p
        veh = p.vehicles[v]
        others = [u for u in self.siblings[veh.resource] if u != v and self.scheds[u].used]
        # The limit binds a resource with one shift too (a worker's max_hours).
        limit = p.resource_max_work_s.get(veh.resource)
        if limit is not None:
            total = sched.back_s - sched.leave_s + sum(self.scheds[u].back_s
                                                       - self.scheds[u].leave_s for u in others)
            if total > limit:
                return False
        for u in others:
            o = self.scheds[u]
            if o.leave_s < sched.back_s and sched.leave_s < o.back_s:
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
        self.seqs[v].insert(pos, j)
        self.scheds[v] = sched

    def insert_single(self, j: int) -> bool:
        """Insert one job at its cheapest feasible place; False if there is none."""
        cands = self._candidates(j)
        if not cands:
            return False
        delta, v, pos, sched = min(cands, key=lambda c: (c[0], c[1], c[2]))
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
        feasible = []
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
            ok = (new_b is not None and self._resource_ok(va, new_a)
                  and self._resource_ok(vb, new_b))
            del self.pinned[a], self.pinned[b]
            if ok:
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
        for v, (jobs, starts, break_starts) in enumerate(routes):
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
            self.seqs[v] = seq
            sched = self.schedule(v, seq)
            if sched is None:
                self.frozen.add(v)
                self.scheds[v] = _Sched(cost=0, leave_s=int(starts[0]) if starts else 0,
                                        back_s=int(starts[-1]) if starts else 0, dep=(),
                                        used=bool(jobs))
            else:
                self.scheds[v] = sched

    def units(self, jobs: list[int]) -> list[tuple]:
        """Jobs to insert as ``("single", j)`` or ``("pair", a, b, lo, hi)``, hardest first."""
        p = self.p
        link_of: dict[int, list] = {}
        for link in p.links:
            link_of.setdefault(link.first, []).append(link)
            link_of.setdefault(link.second, []).append(link)
        todo = set(jobs)
        out = []
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

    def insert_all(self, jobs: list[int], *, eject: bool = False) -> int:
        """Insert what fits of ``jobs``; returns how many jobs were placed.

        With ``eject``, pairs that do not fit may displace cheaper single jobs.
        """
        placed = 0
        for unit in self.units(jobs):
            if time.perf_counter() > self.deadline:
                break
            if unit[0] == "single":
                placed += self.insert_single(unit[1])
            elif self.insert_pair(*unit[1:]) or (eject and self.insert_pair(*unit[1:],
                                                                               eject=True)):
                placed += 2
        return placed

    def sequences(self) -> list[list[int]]:
        """The job sequence of every vehicle (breaks removed)."""
        return [[i for i in seq if i >= 0] for seq in self.seqs]
