"""Home-care vehicle routing: a solver-neutral problem type, its OR-Tools and PyVRP adapters."""

from collections.abc import Sequence

from .problem import (
    Break,
    BreakTaken,
    Job,
    Link,
    Problem,
    Route,
    Solution,
    SolveParams,
    Stop,
    Unassigned,
    Vehicle,
    Weights,
)

__all__ = ["Break", "BreakTaken", "Job", "Link", "Problem", "Route", "Solution", "SolveParams",
           "Stop", "Unassigned", "Vehicle", "Weights", "solve", "solve_by_insertion"]


def solve(problem: Problem, params: SolveParams | None = None, *,
          initial: Sequence[Sequence[int]] | None = None) -> Solution:
    """Solve a problem: PyVRP when installed and able to express it, else OR-Tools.

    The adapters are imported lazily (OR-Tools is heavy; PyVRP is an optional extra).
    ``Solution.source`` says which engine produced the routes.

    Parameters
    ----------
    problem : Problem
    params : SolveParams, optional
        Time limit, solution limit and seed; defaults to ``SolveParams()``.
    initial : sequence of sequences of int, optional
        A warm start: each vehicle's jobs in order (a feasible rota); the result is
        never worse than it.
    """
    from .solver import solve as _solve

    return _solve(problem, params or SolveParams(), initial=initial)


def solve_by_insertion(problem: Problem, params: SolveParams | None = None) -> Solution:
    """A rota from pair-aware cheapest insertion alone, in about a second on a county day.

    Parameters
    ----------
    problem : Problem
    params : SolveParams, optional
        ``seed`` orders the insertion and ``time_limit_s`` bounds it.
    """
    from .insertion import solve_by_insertion as _insert

    return _insert(problem, params or SolveParams())
