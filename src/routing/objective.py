"""The objective of a solution, recomputed from its routes: one yardstick for every engine.

OR-Tools reports its own objective; PyVRP and the improvement loop (:mod:`.improve`)
need the same number from routes alone, to compare candidates and to keep the better
one. :func:`objective` prices exactly what the OR-Tools model prices, term by term.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .problem import Problem, Route

__all__ = ["objective", "route_cost"]


def route_cost(problem: Problem, route: Route) -> int:
    """Cost of one route alone: travel, distance, lateness, continuity and fixed cost.

    Parameters
    ----------
    problem : Problem
    route : Route
        A route of ``problem`` (an unused vehicle costs 0).

    Returns
    -------
    int
        ``travel_s`` x travel seconds + ``distance_m`` x metres + ``lateness_s`` x
        seconds started after each window + ``non_preferred`` per job served by a
        resource it does not prefer + ``overtime_s`` x seconds back after the shift +
        ``waiting_s`` x seconds waiting at visits + the vehicle's ``fixed_cost``. Terms
        over the whole solution (largest lateness, longest route) are left to
        :func:`objective`.
    """
    if not route.stops:
        return 0
    w = problem.weights
    veh = problem.vehicles[route.vehicle]
    cost = w.travel_s * route.travel_s + w.distance_m * route.distance_m + veh.fixed_cost
    cost += w.overtime_s * route.overtime_s + w.waiting_s * route.waiting_s
    for stop in route.stops:
        job = problem.jobs[stop.job]
        cost += w.lateness_s * max(0, stop.start_s - job.tw_end_s)
        if job.preferred_resources and veh.resource not in job.preferred_resources:
            cost += w.non_preferred
    return int(cost)


def objective(problem: Problem, routes: Sequence[Route], dropped: Iterable[int]) -> int:
    """The objective OR-Tools minimises, recomputed from routes and the jobs left out.

    Parameters
    ----------
    problem : Problem
    routes : sequence of Route
    dropped : iterable of int
        Indices of the jobs not served; each costs its ``drop_penalty`` (a mandatory
        job left out costs nothing here: feasibility is :mod:`.verify`'s business).

    Returns
    -------
    int
        The sum of :func:`route_cost` over routes, plus ``max_lateness_s`` x the largest
        lateness in seconds, ``span_s`` x the longest route's duration in seconds and
        the drop penalties.
    """
    w = problem.weights
    total = sum(route_cost(problem, r) for r in routes)
    late = [max(0, s.start_s - problem.jobs[s.job].tw_end_s) for r in routes for s in r.stops]
    total += w.max_lateness_s * max(late, default=0)
    total += w.span_s * max((r.end_s - r.start_s for r in routes if r.stops), default=0)
    total += sum(problem.jobs[j].drop_penalty or 0 for j in dropped)
    return int(total)
