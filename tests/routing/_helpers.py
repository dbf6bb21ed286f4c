"""Small hand-built routing problems shared by the routing tests."""

from __future__ import annotations

import numpy as np

from carerounds.routing import Problem, Solution
from carerounds.routing.verify import verify_solution

H = 3600


def line_matrix(xs, seconds_per_unit: int = 60) -> np.ndarray:
    """Travel seconds between points on a line (symmetric)."""
    xs = np.asarray(xs, dtype=np.int64)
    return np.abs(xs[:, None] - xs[None, :]) * seconds_per_unit


def make_problem(matrix, jobs, vehicles, **kwargs) -> Problem:
    """A problem with one ``drive`` profile; distance is ten metres per second."""
    matrix = np.asarray(matrix, dtype=np.int64)
    return Problem(jobs=tuple(jobs), vehicles=tuple(vehicles), duration_s={"drive": matrix},
                   distance_m={"drive": matrix * 10}, **kwargs)


def assert_feasible(problem: Problem, solution: Solution) -> None:
    """The independent checker finds nothing wrong."""
    violations = verify_solution(problem, solution)
    assert violations == [], violations


def served_by(problem: Problem, solution: Solution) -> dict[str, str]:
    """Job id -> vehicle id for every served job."""
    return {problem.jobs[s.job].id: problem.vehicles[r.vehicle].id
            for r in solution.routes for s in r.stops}


def start_of(problem: Problem, solution: Solution) -> dict[str, int]:
    """Job id -> service start for every served job."""
    return {problem.jobs[s.job].id: s.start_s for r in solution.routes for s in r.stops}
