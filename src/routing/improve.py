"""Engines beside OR-Tools: PyVRP where it expresses the problem, and an improvement loop.

This module never imports OR-Tools (nor PyVRP: that is :mod:`.pyvrp_adapter`'s). The
OR-Tools adapter (:mod:`.solver`) calls :func:`solve_expressible` first and, on problems
with synchronised pairs, :func:`improve` on its own result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from ..errors import SolverError
from . import pyvrp_adapter
from .explain import explain_unassigned
from .insertion import drop_penalty, solve_by_insertion
from .objective import objective
from .problem import Problem, Solution, SolveParams
from .verify import verify_solution

__all__ = ["better", "solve_expressible"]


def better(problem: Problem, a: Solution, b: Solution) -> Solution:
    """The better of two solutions: less drop penalty first, then the lower objective.

    Objectives are recomputed by :func:`.objective.objective`, so solutions from
    different engines compare on one yardstick; ties keep ``a``.
    """
    def key(s: Solution) -> tuple[int, int]:
        dropped = [u.job for u in s.unassigned]
        return drop_penalty(problem, s), objective(problem, s.routes, dropped)

    return b if key(b) < key(a) else a


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
