"""Engines beside OR-Tools: PyVRP where it expresses the problem, and an improvement loop.

This module never imports OR-Tools (nor PyVRP: that is :mod:`.pyvrp_adapter`'s). The
OR-Tools adapter (:mod:`.solver`) calls :func:`solve_expressible` first and, on problems
with synchronised pairs, :func:`improve` on its own result.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import replace

from ..errors import InputError, SolverError
from . import pyvrp_adapter
from .explain import explain_unassigned
from .insertion import Inserter, drop_penalty, earliest_schedule, solve_by_insertion
from .lns import ruin_and_recreate
from .objective import objective
from .problem import Problem, Route, Solution, SolveParams
from .verify import verify_solution

__all__ = ["FINAL_SHARE", "LNS_FIRST_SHARE", "ORTOOLS_SHARE", "applies", "better", "improve", "keep_better",
           "solve_expressible"]

#: Share of the time limit OR-Tools searches before :func:`improve` takes over.
ORTOOLS_SHARE = 0.1
#: Share of the time limit OR-Tools searches at the end, from the loop's best solution:
#: it prices lateness exactly, which the pinned model cannot (it only caps it).
FINAL_SHARE = 0.3
#: Share of the loop's time a portfolio's odd members give to ruin and recreate
#: (:func:`.lns.ruin_and_recreate`) before the polishes. The inserter prices every
#: job's lateness exactly where the pinned polishes can only cap it, so this pays on
#: problems whose cost is mostly lateness (Mankowska E1: 1,325-1,372 against 1,458-1,722
#: with the polishes alone, 10 s) and costs on those where distance dominates.
LNS_FIRST_SHARE = 0.5
#: Seconds of PyVRP per polish of the pinned model.
POLISH_S = 0.5
#: Shortest polish worth starting, seconds.
MIN_POLISH_S = 0.1
#: Rounds of the loop when a solution limit asks for a repeatable run.
LIMITED_ROUNDS = 4
#: Pairs removed by one ruin (at most), and singles removed with them.
RUIN_PAIRS = 3
RUIN_SINGLES = 6
#: How far a polish after a ruin may move pairs' starts, as a share of their window's
#: width either side; one is drawn per polish (0 = pinned). Tuned on Mankowska D-E.
WIDEN = (0.0, 0.08, 0.25)
#: The first polishes' widths, narrowing from half a window to pinned: the first lets
#: pairs find their places almost freely, the later ones settle their times.
NARROW = (0.5, 0.25, 0.12, 0.06, 0.025, 0.0)
#: Share of its present lateness a single job may keep in a polish; one drawn per polish.
KEEP_LATE = (1.0, 0.5, 0.0)
#: Share of polishes that price lateness approximately (PyVRP's time warp at the
#: lateness weight) instead of capping it.
SOFT_SHARE = 0.5
#: Share of ruins centred on the latest job rather than on a random pair.
LATEST_RUIN = 0.5


def better(problem: Problem, a: Solution, b: Solution) -> Solution:
    """The better of two solutions: less drop penalty first, then the lower objective.

    Objectives are recomputed by :func:`.objective.objective`, so solutions from
    different engines compare on one yardstick; ties keep ``a``.
    """
    def key(s: Solution) -> tuple[int, int]:
        dropped = [u.job for u in s.unassigned]
        return drop_penalty(problem, s), objective(problem, s.routes, dropped)

    return b if key(b) < key(a) else a


def keep_better(problem: Problem, found: Solution, other: Solution | None) -> Solution:
    """``other`` when it passes the checker and is :func:`better` than ``found``, else ``found``."""
    if other is None or verify_solution(problem, other):
        return found
    return better(problem, found, other)


def solve_expressible(problem: Problem, params: SolveParams, *,
                      initial: Sequence[Sequence[int]] | None = None,
                      started: float | None = None) -> Solution | None:
    """PyVRP's solution when PyVRP is installed and expresses the problem, else None.

    The pair-aware insertion rota is the floor: the result is the better of the two
    (see :func:`better`), so it never leaves more drop penalty than insertion alone.

    Parameters
    ----------
    problem : Problem
    params : SolveParams
        ``time_limit_s`` counts from ``started``; ``solution_limit`` becomes PyVRP's
        iteration limit; ``seed`` seeds PyVRP. ``workers`` is not used: PyVRP
        searches in this process.
    initial : sequence of sequences of int, optional
        A warm start, one job sequence per vehicle.
    started : float, optional
        ``time.perf_counter()`` when the caller's clock started; default now.

    Returns
    -------
    Solution or None
        ``source`` ``"pyvrp"`` (or ``"insertion"`` when the floor is better); None when
        PyVRP is not installed, cannot express the problem (:func:`.pyvrp_adapter.
        can_express`) or fails, so the caller's OR-Tools path runs instead.
    """
    started = time.perf_counter() if started is None else started
    if not problem.jobs or not pyvrp_adapter.available():
        return None
    if pyvrp_adapter.can_express(problem) is not None:
        return None
    # The insertion's second pass (pairs displacing singles) may take a tenth of the time.
    floor = solve_by_insertion(problem, replace(params, time_limit_s=0.1 * params.time_limit_s),
                               complete=True)
    floor = replace(floor, objective=objective(problem, floor.routes,
                                               [u.job for u in floor.unassigned]),
                    source="insertion")
    left = params.time_limit_s - (time.perf_counter() - started)
    found = None
    if left > 0.05:
        try:
            found = pyvrp_adapter.solve_pyvrp(problem, replace(params, time_limit_s=left),
                                              initial=initial)
        except SolverError:
            found = None
    best = floor if found is None else better(problem, found, floor)
    return replace(best, wall_s=time.perf_counter() - started, params=params,
                   first_solution_s=best.first_solution_s)


def _checked(problem: Problem, solution: Solution) -> Solution | None:
    """``solution`` when the checker finds nothing wrong, else None."""
    return solution if not verify_solution(problem, solution) else None


def _explained(problem: Problem, solution: Solution) -> Solution:
    served = solution.assigned_jobs()
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    return replace(solution, unassigned=explain_unassigned(problem, dropped, solution.routes),
                   objective=objective(problem, solution.routes, dropped))


# -- the improvement loop for problems with synchronised pairs ----------------------------

_UNSERVABLE = "\x00unserved pair"  # a skill no vehicle has


def applies(problem: Problem) -> bool:
    """Whether :func:`improve` can work on this problem.

    It needs PyVRP, links (without them :func:`solve_expressible` already applies or
    nothing does), and a pinned model PyVRP can express: no breaks, one shift per
    resource, no span weight.
    """
    if not problem.links or not pyvrp_adapter.available():
        return False
    unlinked = replace(problem, links=(), weights=replace(problem.weights, lateness_s=0,
                                                           max_lateness_s=0))
    return pyvrp_adapter.can_express(unlinked) is None


def _sequences(problem: Problem, solution: Solution) -> list[list[int]]:
    seqs: list[list[int]] = [[] for _ in problem.vehicles]
    for route in solution.routes:
        seqs[route.vehicle] = [s.job for s in route.stops]
    return seqs


def _relaxed(problem: Problem, solution: Solution, widen: float = 0.0,
             rng: random.Random | None = None,
             keep_late: float | None = 1.0) -> tuple[Problem, dict[int, int]]:
    """The pinned model of a solution: what PyVRP may change without breaking a link.

    Every served linked job is pinned at its start (``widen`` = 0), or may start up
    to ``widen`` times its window's width either side of it (within the window, and no
    later than now if it is late), with its link dropped from the model: the read-back
    then re-synchronises the pair and prices the waiting. A single job may
    start as late as it does now, but no later (so no job becomes later than it is and
    total and largest lateness cannot grow), and lateness is not priced. A pair whose
    two visits do not overlap in time keeps its two vehicles (else one vehicle might
    take both). A pair not served stays unserved.
    """
    starts = {s.job: s.start_s for r in solution.routes for s in r.stops}
    vehicle_of = {s.job: r.vehicle for r in solution.routes for s in r.stops}
    resources = frozenset(veh.resource for veh in problem.vehicles)
    jobs = list(problem.jobs)
    pinned: dict[int, int] = {}
    for link in problem.links:
        a, b = link.first, link.second
        for j in (a, b):
            if j not in starts:
                jobs[j] = replace(jobs[j], skills=jobs[j].skills | {_UNSERVABLE})
            elif widen:
                t, job = starts[j], jobs[j]
                width = int(widen * (job.tw_end_s - job.tw_start_s))
                if keep_late is None:
                    # Soft: the window still ends where lateness is priced, so a late
                    # pair gains by moving earlier.
                    end = min(t + width, job.tw_end_s)
                    limit = job.tw_end_s + job.max_lateness_s
                    jobs[j] = replace(job, tw_start_s=min(max(job.tw_start_s, t - width), end),
                                      tw_end_s=end, max_lateness_s=limit - end)
                else:
                    jobs[j] = replace(job, tw_start_s=max(job.tw_start_s, t - width),
                                      tw_end_s=max(t, min(t + width, job.tw_end_s)),
                                      max_lateness_s=0)
            else:
                pinned[j] = starts[j]
        if a in starts and b in starts:
            ja, jb = problem.jobs[a], problem.jobs[b]
            if widen:
                _separate(problem, jobs, a, b, vehicle_of, rng)
            elif not (starts[a] < starts[b] + jb.service_s
                      and starts[b] < starts[a] + ja.service_s):
                for j in (a, b):
                    own = problem.vehicles[vehicle_of[j]].resource
                    jobs[j] = replace(jobs[j], forbidden_resources=resources - {own})
    linked = {j for link in problem.links for j in (link.first, link.second)}
    links = () if widen else problem.links
    if keep_late is None:
        # Soft model: windows keep their priced lateness up to the same hard limit.
        return replace(problem, jobs=tuple(jobs), links=links), pinned
    for j, job in enumerate(jobs):
        if j in linked:
            continue
        late = int(keep_late * max(0, starts[j] - job.tw_end_s)) if j in starts else 0
        jobs[j] = replace(job, tw_end_s=job.tw_end_s + late, max_lateness_s=0)
    weights = replace(problem.weights, lateness_s=0, max_lateness_s=0)
    return replace(problem, jobs=tuple(jobs), weights=weights, links=links), pinned


def _separate(problem: Problem, jobs: list, a: int, b: int, vehicle_of: dict[int, int],
              rng: random.Random | None) -> None:
    """Split the vehicles that may serve both ``a`` and ``b`` between the two, in ``jobs``.

    Each keeps the vehicle serving it now; the other shared vehicles go to one side or
    the other at random, so no vehicle can take both once their link is dropped.
    """
    both = set(problem.eligible_vehicles(a)) & set(problem.eligible_vehicles(b))
    side_a = {v for v in both if v == vehicle_of[a]}
    side_b = {v for v in both if v == vehicle_of[b]}
    for v in sorted(both - side_a - side_b):
        (side_a if (rng.random() if rng else v % 2) < 0.5 else side_b).add(v)
    for j, other in ((a, side_b), (b, side_a)):
        banned = frozenset(problem.vehicles[v].resource for v in other)
        jobs[j] = replace(jobs[j], forbidden_resources=jobs[j].forbidden_resources | banned)


def _apart(problem: Problem, sequences: list[list[int]]) -> bool:
    """Every link's two jobs are on vehicles of different resources (or both unserved)."""
    owner = {j: problem.vehicles[v].resource for v, seq in enumerate(sequences) for j in seq}
    return all(owner.get(lk.first, 0) != owner.get(lk.second, 1) for lk in problem.links)


def _finish(problem: Problem, routes: tuple[Route, ...] | None, params: SolveParams,
            source: str) -> Solution | None:
    """A verified Solution of ``problem`` from timed routes, or None if anything is off."""
    if routes is None:
        return None
    served = {s.job for r in routes for s in r.stops}
    dropped = [j for j in range(len(problem.jobs)) if j not in served]
    solution = Solution(routes=routes, unassigned=explain_unassigned(problem, dropped, routes),
                        objective=objective(problem, routes, dropped), wall_s=0.0,
                        first_solution_s=None, status="feasible", params=params, source=source)
    return _checked(problem, solution)


def _polish(problem: Problem, solution: Solution, params: SolveParams, seconds: float,
            seed: int, widen: float = 0.0) -> Solution | None:
    """PyVRP on the pinned model of ``solution``, read back on ``problem``; None on failure."""
    draw = random.Random(seed)
    soft = problem.weights.lateness_s > 0 and draw.random() < SOFT_SHARE
    keep_late = None if soft else draw.choice(KEEP_LATE)
    relaxed, pinned = _relaxed(problem, solution, widen, random.Random(seed), keep_late)
    if pyvrp_adapter.can_express(relaxed, pinned, soft=soft) is not None:
        return None
    slice_params = SolveParams(time_limit_s=seconds, solution_limit=params.solution_limit,
                               seed=seed)
    try:
        found = pyvrp_adapter.solve_pyvrp(
            relaxed, slice_params, pinned=pinned, initial=_sequences(problem, solution),
            late_penalty=problem.weights.lateness_s if soft else None)
    except (SolverError, InputError):
        return None
    sequences = _sequences(problem, found)
    if not _apart(problem, sequences):
        return None
    routes = earliest_schedule(problem, sequences)
    if routes is None and widen:
        routes = _resynchronise(problem, sequences, found, params)
    return _finish(problem, routes, params, "improve")


def _resynchronise(problem: Problem, sequences: list[list[int]], found: Solution,
                   params: SolveParams) -> tuple[Route, ...] | None:
    """Timed routes from sequences whose pairs cross (no common schedule exists).

    With its links dropped, PyVRP may order two pairs one way on one vehicle and the
    other way on another. Pairs are kept in the order of their times in ``found`` while
    a schedule exists; the others are taken out and re-inserted by the pair-aware
    :class:`.insertion.Inserter`.
    """
    when = {s.job: s.start_s for r in found.routes for s in r.stops}
    pairs = sorted((lk for lk in problem.links if lk.first in when and lk.second in when),
                   key=lambda lk: min(when[lk.first], when[lk.second]))
    linked = {j for lk in problem.links for j in (lk.first, lk.second)}
    kept: set[int] = set()
    routes = earliest_schedule(problem, [[j for j in seq if j not in linked]
                                         for seq in sequences])
    if routes is None:
        return None
    left_out: list[int] = []
    for lk in pairs:
        trial = kept | {lk.first, lk.second}
        attempt = earliest_schedule(problem, [[j for j in seq if j not in linked or j in trial]
                                              for seq in sequences])
        if attempt is None:
            left_out += [lk.first, lk.second]
        else:
            kept, routes = trial, attempt
    if not left_out:
        return routes
    ins = Inserter(problem, time.perf_counter() + max(0.05, 0.1 * params.time_limit_s))
    ins.load_routes([([s.job for s in r.stops], [s.start_s for s in r.stops], [])
                     for r in sorted(routes, key=lambda r: r.vehicle)])
    ins.insert_all(left_out)
    placed = {j for seq in ins.sequences() for j in seq}
    if any(problem.jobs[j].drop_penalty is None and j not in placed for j in left_out):
        return None
    return earliest_schedule(problem, ins.sequences())


def _ruin_recreate(problem: Problem, solution: Solution, rng: random.Random,
                   params: SolveParams, deadline: float) -> Solution | None:
    """Remove a few nearby pairs and singles and re-insert them: pairs move in time."""
    starts = {s.job: s.start_s for r in solution.routes for s in r.stops}
    served_links = [lk for lk in problem.links if lk.first in starts and lk.second in starts]
    if not served_links:
        return None
    late = {j: t - problem.jobs[j].tw_end_s for j, t in starts.items()
            if t > problem.jobs[j].tw_end_s}
    # Half the ruins start at the latest job (a worst removal), the others anywhere.
    centre = max(late, key=late.__getitem__) if late and rng.random() < LATEST_RUIN \
        else rng.choice(served_links).first
    loc, when = problem.jobs[centre].location, starts[centre]
    profile = problem.vehicles[0].profile
    dur = problem.duration_s[profile]

    def nearness(j: int) -> float:
        # Seconds apart in space plus in time: neighbours whose times could be swapped.
        return float(dur[loc, problem.jobs[j].location]) + abs(starts[j] - when) * 0.5

    pairs = sorted(served_links, key=lambda lk: nearness(lk.first))
    n_pairs = rng.randint(1, RUIN_PAIRS)
    removed = [j for lk in pairs[:n_pairs] for j in (lk.first, lk.second)]
    linked = {j for lk in problem.links for j in (lk.first, lk.second)}
    singles = sorted((j for j in starts if j not in linked), key=nearness)
    removed += singles[:rng.randint(0, RUIN_SINGLES)]
    ins = Inserter(problem, deadline, rng.randrange(1, 2**31))
    ins.load_routes([([s.job for s in r.stops], [s.start_s for s in r.stops], [])
                     for r in sorted(solution.routes, key=lambda r: r.vehicle)])
    ins.remove(removed)
    ins.insert_all(removed)
    placed = {j for seq in ins.sequences() for j in seq}
    if any(problem.jobs[j].drop_penalty is None and j not in placed for j in removed):
        return None
    return _finish(problem, earliest_schedule(problem, ins.sequences()), params, "improve")


def improve(problem: Problem, params: SolveParams, found: Solution, started: float, *,
            lns_share: float = 0.0) -> Solution:
    """Improve a solution of a problem with pairs until the time limit; never worse.

    With ``lns_share``, the first part of the time is ruin and recreate over the whole
    solution (:func:`.lns.ruin_and_recreate`), its result kept when it is checked and
    :func:`better`. Then the loop alternates two moves, keeping a candidate when it is
    better:

    - *polish*: pin every served pair at its current start (which separates its two
      jobs onto two vehicles by themselves), or let it move within a share of its
      window (:data:`NARROW` for the first polishes, then one of :data:`WIDEN`), and let
      PyVRP re-route everything in that model (see :func:`_relaxed`) for a slice of
      :data:`POLISH_S` seconds; lateness is capped (:data:`KEEP_LATE`) or, in
      :data:`SOFT_SHARE` of the polishes, priced through PyVRP's time warp;
    - *ruin and recreate*: remove up to :data:`RUIN_PAIRS` pairs near one another in
      space and time with some singles (centred on the latest job in
      :data:`LATEST_RUIN` of the ruins), and re-insert them with the pair-aware
      :class:`.insertion.Inserter`, which chooses new pair times; then polish.

    Every candidate is re-timed by :func:`.insertion.earliest_schedule` on the
    problem's own matrices (partners wait for each other) and verified.

    Parameters
    ----------
    problem : Problem
    params : SolveParams
        ``time_limit_s`` counts from ``started``; with ``solution_limit`` the loop runs
        :data:`LIMITED_ROUNDS` rounds of PyVRP slices of that many iterations (repeatable);
        ``seed`` seeds the ruin and PyVRP.
    found : Solution
        The solution to start from (OR-Tools' or insertion's), verified.
    started : float
        ``time.perf_counter()`` when the caller's clock started.
    lns_share : float, default 0
        Share of the time (from now to the limit) for ruin and recreate first.

    Returns
    -------
    Solution
        ``found`` or a better solution with ``source="improve"``.
    """
    deadline = started + params.time_limit_s
    if not applies(problem) or verify_solution(problem, found):
        return found
    best = current = _explained(problem, found)
    if lns_share > 0:
        now = time.perf_counter()
        ruined, _ = ruin_and_recreate(problem, current, seed=params.seed,
                                      deadline=now + lns_share * max(0.0, deadline - now))
        if ruined is not current and _checked(problem, ruined) is not None:
            best = current = better(problem, current, replace(_explained(problem, ruined),
                                                              source="improve"))
    rng = random.Random(params.seed)
    rounds = 0
    while True:
        left = deadline - time.perf_counter()
        if left < MIN_POLISH_S or (params.solution_limit is not None
                                   and rounds >= LIMITED_ROUNDS):
            break
        rounds += 1
        candidate: Solution | None = current
        if rounds <= len(NARROW):
            widen = NARROW[rounds - 1]
        else:
            candidate = _ruin_recreate(problem, current, rng, params, deadline)
            widen = rng.choice(WIDEN)
        if candidate is None:
            continue
        left = deadline - time.perf_counter()
        polished = _polish(problem, candidate, params, min(POLISH_S, left - 0.02),
                           rng.randrange(2**31), widen) if left > MIN_POLISH_S else None
        for option in (candidate, polished):
            if option is not None and better(problem, current, option) is option:
                current = option
        best = better(problem, best, current)
    if best is found or better(problem, found, best) is found:
        return found
    return replace(best, wall_s=time.perf_counter() - started,
                   first_solution_s=found.first_solution_s, params=params)
