"""Home-care vehicle routing: a solver-neutral problem type and its OR-Tools adapter."""

from .problem import (Break, BreakTaken, Job, Link, Problem, Route, Solution, SolveParams,
                      Stop, Unassigned, Vehicle, Weights)

__all__ = ["Break", "BreakTaken", "Job", "Link", "Problem", "Route", "Solution", "SolveParams",
           "Stop", "Unassigned", "Vehicle", "Weights", "solve"]


def solve(problem: Problem, params: SolveParams | None = None) -> Solution:
    """Solve a problem with the OR-Tools adapter (imported lazily: it is heavy).

    Parameters
    ----------
    problem : Problem
    params : SolveParams, optional
        Time limit, solution limit and seed; defaults to ``SolveParams()``.
    """
    from .solver import solve as _solve

    return _solve(problem, params or SolveParams())
