"""Placing what a solution left out, moving other jobs to make room (insertion.place_unassigned)."""

import time

import numpy as np

from carerounds.routing import Job, Problem, Route, Solution, SolveParams, Stop, Unassigned, Vehicle
from carerounds.routing.insertion import Inserter, place_unassigned
from carerounds.routing.verify import verify_solution


def _two_workers() -> Problem:
    """A and B at location 0; K (any worker) and J (hoist: A only), both 08:00-08:30, 1 h."""
    m = np.array([[0, 300, 300], [300, 0, 60], [300, 60, 0]])
    jobs = [Job("K", 1, 3600, 8 * 3600, 8 * 3600 + 1800),
            Job("J", 2, 3600, 8 * 3600, 8 * 3600 + 1800, skills=frozenset({"hoist"}))]
    vehicles = [Vehicle("A", "A", 0, 0, 7 * 3600, 10 * 3600, skills=frozenset({"hoist"})),
                Vehicle("B", "B", 0, 0, 7 * 3600, 10 * 3600)]
    return Problem(jobs, vehicles, {"drive": m}, {"drive": m * 10})


def _k_with_a() -> Solution:
    """K served by A (the hoist worker), J left out, B idle."""
    k = Stop(job=0, arrival_s=8 * 3600, start_s=8 * 3600, end_s=9 * 3600, travel_s=300,
             distance_m=3000)
    a = Route(0, (k,), 8 * 3600 - 300, 9 * 3600 + 300, 300, 3000)
    b = Route(1, (), 7 * 3600, 7 * 3600, 0, 0)
    return Solution(routes=(a, b), unassigned=(Unassigned(1, "capacity", ""),), objective=0,
                    wall_s=0.0, first_solution_s=0.0, status="feasible", params=SolveParams())


def test_plain_insertion_cannot_place_the_hoist_job():
    problem = _two_workers()
    ins = Inserter(problem, deadline=float("inf"))
    solution = _k_with_a()
    ins.load_routes([([s.job for s in r.stops], [s.start_s for s in r.stops], [])
                     for r in solution.routes])
    assert not ins.insert_single(1)


def test_moving_the_other_job_places_the_hoist_job():
    problem = _two_workers()
    found = place_unassigned(problem, _k_with_a(), deadline=time.perf_counter() + 10)
    assert not found.unassigned
    by_vehicle = {r.vehicle: [s.job for s in r.stops] for r in found.routes}
    assert by_vehicle == {0: [1], 1: [0]}
    assert verify_solution(problem, found) == []


def test_a_solution_with_nothing_left_out_is_returned_as_it_is():
    problem = _two_workers()
    solution = place_unassigned(problem, _k_with_a(), deadline=time.perf_counter() + 10)
    assert place_unassigned(problem, solution, deadline=time.perf_counter() + 10) is solution
