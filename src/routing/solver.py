"""OR-Tools adapter: builds a routing model from a Problem and reads back a Solution."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2

from ..errors import InputError, SolverError
from . import interrupt
from .explain import explain_unassigned
from .improve import (
    FINAL_SHARE,
    LNS_FIRST_SHARE,
    ORTOOLS_SHARE,
    applies,
    better,
    improve,
    keep_better,
    solve_expressible,
)
from .insertion import (
    Inserter,
    TimedPlan,
    build_routes,
    drop_penalty,
    solve_by_insertion,
    tighten_times,
)
from .problem import BreakTaken, Problem, Route, Solution, SolveParams
from .verify import verify_solution

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic

#: First-solution strategy names accepted in ``SolveParams.first_solution``.
FIRST_SOLUTION_STRATEGIES: dict[str, int] = {
    name.lower(): value for name, value in _FSS.Value.items() if name not in ("UNSET",)}
FIRST_SOLUTION_STRATEGIES["auto"] = _FSS.PARALLEL_CHEAPEST_INSERTION
# Our own pair-aware insertion (see Inserter); OR-Tools' strategy is then only a fallback.
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
    """Solve a routing problem: PyVRP where it expresses the problem, else OR-Tools.

    With PyVRP installed (the ``fast`` extra), a problem :func:`.pyvrp_adapter.
    can_express` accepts is solved by PyVRP (``source="pyvrp"``); one with pairs but
    otherwise expressible gets OR-Tools, then :func:`.improve.improve`, then OR-Tools
    again (``source="improve"``); everything else, OR-Tools as described below. Every
    result is checked, and never leaves more drop penalty than pair-aware insertion.

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
        :data:`PORTFOLIO`), and keeps the best solution (on a problem with pairs that
        the improvement loop takes, each runs the whole search with seed ``seed + k``,
        odd ones starting the loop with ruin and recreate); ``seed`` varies the order in
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
    started = time.perf_counter()

    def member(k: int) -> Solution:
        return _solve(problem, replace(params, workers=1), pair_aware=pair_aware,
                      repair=repair, worker=k)

    results = _run_members(params, member)
    best = min(results, key=lambda s: (s.objective, results.index(s)))
    return replace(best, wall_s=time.perf_counter() - started, params=params)


def _improve_portfolio(problem: Problem, params: SolveParams, started: float) -> Solution:
    """``workers`` whole improving searches at once, each its own seed; the best checked one.

    Member ``k`` searches with seed ``seed + k``; the odd members begin the improvement
    loop with ruin and recreate (:data:`.improve.LNS_FIRST_SHARE` of its time), which
    pays where lateness dominates the cost, the even ones with the pinned polishes,
    which pay where distance does. Runs of one member differ widely on problems with
    pairs (the first OR-Tools phase and the pairs' times it fixes), so the best of
    several is also steadier than any one.
    """
    def member(k: int) -> Solution:
        one = replace(params, workers=1, seed=params.seed + k)
        return _improving_search(problem, one, started,
                                 lns_share=LNS_FIRST_SHARE if k % 2 else 0.0)

    results = _run_members(params, member)
    checked = [s for s in results if not verify_solution(problem, s)] or results[:1]
    best = checked[0]
    for other in checked[1:]:
        best = better(problem, best, other)
    return replace(best, wall_s=time.perf_counter() - started, params=params)


def _run_members(params: SolveParams, member: Callable[[int], Solution]) -> list[Solution]:
    """``member(0)`` here and ``member(k)``, k = 1 .. workers - 1, in forked processes.

    Returns the results that arrived (member 0's first), waiting for each child up to
    the time limit plus 5 s.
    """
    import multiprocessing

    started = time.perf_counter()
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: search alone
        return [member(0)]
    children = []
    try:
        for k in range(1, params.workers):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(send, member, k, os.getpid()), daemon=True)
            proc.start()
            send.close()
            children.append((proc, receive))
        results = [member(0)]
        for proc, receive in children:
            wait_s = max(0.0, started + params.time_limit_s + 5.0 - time.perf_counter())
            if _wait_for(receive, wait_s):
                try:
                    results.append(receive.recv())
                except (EOFError, OSError):
                    pass
            if not interrupt.stop_requested():
                proc.join(timeout=1.0)
    finally:
        # a stopped search (or an error) does not wait for the others: they are killed
        # and reaped, so no search outlives this call
        for proc, receive in children:
            if proc.is_alive():
                proc.kill()
            proc.join()
            receive.close()
    return results


def _wait_for(receive, seconds: float) -> bool:
    """Wait for a message on a pipe; False after ``seconds`` or as soon as a stop is asked for."""
    end = time.perf_counter() + seconds
    while not interrupt.stop_requested():
        left = end - time.perf_counter()
        # short polls: the parent's Python runs between them, and with it signal handlers
        if receive.poll(min(0.1, max(0.0, left))):
            return True
        if left <= 0:
            return False
    return False


def _child(send, member: Callable[[int], Solution], k: int, parent: int) -> None:
    interrupt.quiet_child(parent)
    try:
        send.send(member(k))
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
    ours = pair_aware and repair and worker is None
    if ours:
        # "ours": PyVRP when it is installed and expresses the whole problem (see
        # improve.solve_expressible); OR-Tools below for everything else, and on
        # problems with pairs improve.improve takes over after a share of the time.
        fast = solve_expressible(problem, params, initial=initial, started=started)
        if fast is not None:
            return fast
    if ours and applies(problem):
        if params.workers > 1 and initial is None:
            return _improve_portfolio(problem, params, started)
        return _improving_search(problem, params, started, initial=initial)
    if worker is None and params.workers > 1 and initial is None:
        found = _solve_parallel(problem, params, pair_aware, repair)
    else:
        found = _solve_one(problem, params, pair_aware=pair_aware, repair=repair,
                           worker=worker, initial=initial)
    if worker is not None or not pair_aware:
        return found  # a portfolio member, or the plain OR-Tools reference
    return _at_least_insertion(problem, params, found, started)


def _improving_search(problem: Problem, params: SolveParams, started: float, *,
                      initial: Sequence[Sequence[int]] | None = None,
                      lns_share: float = 0.0) -> Solution:
    """OR-Tools for :data:`ORTOOLS_SHARE` of the time, then :func:`_improve_then_search`."""
    search = replace(params, time_limit_s=ORTOOLS_SHARE * params.time_limit_s)
    found = _solve_one(problem, search, pair_aware=True, repair=True, worker=None,
                       initial=initial)
    found = _at_least_insertion(problem, search, found, started)
    return _improve_then_search(problem, params, found, started, lns_share=lns_share)


def _improve_then_search(problem: Problem, params: SolveParams, found: Solution,
                         started: float, *, lns_share: float = 0.0) -> Solution:
    """improve.improve until FINAL_SHARE of the time is left, then OR-Tools from its best.

    With ``lns_share``, that share of the loop's time goes first to ruin and recreate
    (:func:`.improve.improve`'s ``lns_share``).
    """
    loop = replace(params, time_limit_s=(1 - FINAL_SHARE) * params.time_limit_s)
    found = improve(problem, loop, found, started, lns_share=lns_share)
    left = started + params.time_limit_s - time.perf_counter()
    if left > 0.2:
        warm = [[s.job for s in r.stops] for r in sorted(found.routes, key=lambda r: r.vehicle)]
        final = _solve_one(problem, replace(params, time_limit_s=left), pair_aware=True,
                           repair=True, worker=None, initial=warm)
        source = found.source
        found = keep_better(problem, found, final)
        if source == "improve":
            found = replace(found, source=source)  # OR-Tools finished what the loop began
    return replace(found, params=params, wall_s=time.perf_counter() - started)


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


#: Ruin sizes of iterated local search per worker: (average visits removed, longest string).
PORTFOLIO: tuple[tuple[int, int], ...] = ((30, 15), (20, 10), (40, 20), (15, 5))


def _copy_params(sp):
    copy = pywrapcp.DefaultRoutingSearchParameters()
    copy.CopyFrom(sp)
    return copy


def _set_ils(sp, avg_removed: int = 20, max_string: int = 10) -> None:
    """Ruin and recreate, accepted by simulated annealing.

    Ruin is SISR (about ``avg_removed`` visits in strings of up to ``max_string``),
    recreate local cheapest insertion.

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
        #: Called at every solution when set (a stoppable iterated local search streams them).
        self.on_solution: Callable[[], None] | None = None
        self._restoring = False
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
        if interrupt.armed():
            # OR-Tools checks search limits many times a second from C++; each check of
            # this one runs Python, so a pending SIGINT/SIGTERM handler runs at once and
            # the search stops with its best solution (iterated local search ignores
            # search monitors: see _iterated_local_search)
            self._stop_limit = self.solver.CustomLimit(self._should_stop)
            self.routing.AddSearchMonitor(self._stop_limit)

    def _should_stop(self) -> bool:
        # reading routes back into an assignment is a small search too: never cut it short
        return not self._restoring and interrupt.stop_requested()

    # -- model -----------------------------------------------------------------

    def _horizon(self) -> int:
        p = self.problem
        h = max([v.shift_end_s + p.weights.overtime_allowed_s for v in p.vehicles]
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
            dim.CumulVar(self.routing.Start(v)).SetRange(veh.shift_start_s, veh.shift_end_s)
            # Priced overtime: the return may run past the shift's end, at a cost per second.
            end = self.routing.End(v)
            dim.CumulVar(end).SetRange(veh.shift_start_s, veh.shift_end_s + w.overtime_allowed_s)
            if w.overtime_allowed_s:
                dim.SetCumulVarSoftUpperBound(end, veh.shift_end_s, w.overtime_s)
            if veh.max_work_s is not None:
                dim.SetSpanUpperBoundForVehicle(int(veh.max_work_s), v)
        if w.waiting_s:
            # Slack = idle time on the route: waiting at visits, and breaks taken between
            # leaving and coming home (OR-Tools cannot tell them apart; see docs/routing.md).
            dim.SetSlackCostCoefficientForAllVehicles(w.waiting_s)
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
                    late = p.weights.overtime_allowed_s  # overtime may run into the next shift
                    if (va.shift_end_s + late <= vb.shift_start_s
                            or vb.shift_end_s + late <= va.shift_start_s):
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
        if self.on_solution is not None:
            self.on_solution()

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
        built by :class:`Inserter`, which places both jobs of a pair at once; local
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
            if (best is None or self.first_solution_s is None) and not interrupt.stop_requested():
                start = self._construct(deadline)
                if start is not None:
                    best = self._local_search(start, sp, deadline - time.perf_counter())
            if not links or best is None:
                return best
        else:
            share = 0.6 if links and self.repair else 1.0
            best = self._local_search(start, sp, share * (deadline - time.perf_counter()))
        if links and self.repair and not interrupt.stop_requested():
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
                return self._iterated_local_search(sp)
            return self.routing.SolveWithParameters(sp)
        if sp.use_iterated_local_search:
            # OR-Tools' iterated search cannot start from a given solution (from one it
            # stops at the first local optimum), so a warm start runs guided search.
            sp = _copy_params(sp)
            sp.use_iterated_local_search = False
            sp.local_search_metaheuristic = _LSM.GUIDED_LOCAL_SEARCH
        found = self.routing.SolveFromAssignmentWithParameters(start, sp)
        return found if found is not None else start

    def _iterated_local_search(self, sp):
        """OR-Tools' iterated local search, stoppable at once when this process is armed.

        Iterated local search checks only its own time limit (not search monitors nor
        ``CancelSearch``, measured with OR-Tools 9.15), so a stoppable one runs in a
        forked child that streams each better solution's routes here; on a stop the
        child is killed and the best routes it sent are restored in this model.
        """
        import multiprocessing

        if not interrupt.armed():
            return self.routing.SolveWithIteratedLocalSearch(sp)
        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: it runs to its time limit
            return self.routing.SolveWithIteratedLocalSearch(sp)
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=self._ils_child, args=(send, sp, os.getpid()), daemon=True)
        proc.start()
        send.close()
        best, first_s = None, None
        try:
            while not interrupt.stop_requested():
                if not receive.poll(0.1):
                    if proc.is_alive():
                        continue
                    if not receive.poll(0):
                        break
                try:
                    kind, routes, first_s = receive.recv()
                except (EOFError, OSError):
                    break
                best = routes if routes is not None else best
                if kind == "done":
                    break
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join()
            receive.close()
        if first_s is not None and self.first_solution_s is None:
            self.first_solution_s = first_s
        return None if best is None else self._restore(best)

    def _ils_child(self, send, sp, parent: int) -> None:
        """The child of :meth:`_iterated_local_search`: search, sending better routes."""
        interrupt.quiet_child(parent)
        best: list = [None, None, 0.0, False]  # cost, routes, when last sent, unsent

        def on_solution() -> None:
            cost = self.routing.CostVar().Value()
            if best[0] is None or cost < best[0]:
                best[:2], best[3] = (cost, self._current_routes()), True
            now = time.perf_counter()
            # a few messages a second keep the parent's copy fresh without flooding the pipe
            if best[3] and now - best[2] >= 0.2:
                send.send(("best", best[1], self.first_solution_s))
                best[2], best[3] = now, False

        self.on_solution = on_solution
        try:
            found = self.routing.SolveWithIteratedLocalSearch(sp)
            routes = self._routes_of(found) if found is not None else best[1]
            send.send(("done", routes, self.first_solution_s))
        finally:
            send.close()

    def _current_routes(self) -> list[list[int]]:
        """Each vehicle's jobs in the solution OR-Tools holds now (inside a callback)."""
        r, m = self.routing, self.manager
        routes = []
        for v in range(len(self.problem.vehicles)):
            jobs, idx = [], r.NextVar(r.Start(v)).Value()
            while not r.IsEnd(idx):
                jobs.append(m.IndexToNode(idx))
                idx = r.NextVar(idx).Value()
            routes.append(jobs)
        return routes

    def _routes_of(self, assignment) -> list[list[int]]:
        r, m = self.routing, self.manager
        routes = []
        for v in range(len(self.problem.vehicles)):
            jobs, idx = [], assignment.Value(r.NextVar(r.Start(v)))
            while not r.IsEnd(idx):
                jobs.append(m.IndexToNode(idx))
                idx = assignment.Value(r.NextVar(idx))
            routes.append(jobs)
        return routes

    def _restore(self, sequences: list[list[int]]):
        routes = [[self.manager.NodeToIndex(j) for j in seq] for seq in sequences]
        self._restoring = True
        try:
            return self.routing.ReadAssignmentFromRoutes(routes, True)
        finally:
            self._restoring = False

    def _construct(self, deadline: float):
        """A first solution from pair-aware insertion, or None if it cannot be restored."""
        ins = Inserter(self.problem, deadline, self.params.seed + self.worker)
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
        ins = Inserter(self.problem, deadline, self.params.seed + self.worker)
        ins.load_routes(routes)
        if not ins.insert_all(dropped, eject=True):
            return None
        return self._restore(ins.sequences())

    def status(self, found: bool = True) -> str:
        if interrupt.stop_requested():
            return "interrupted"
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
            plans.append(TimedPlan(v, tuple(jobs), tuple(times),
                               int(assignment.Value(t.CumulVar(r.Start(v)))),
                               int(assignment.Value(t.CumulVar(r.End(v)))), breaks))
        return build_routes(p, tighten_times(p, plans))
