"""Tests for the independent checker: a hand-made valid solution, then one corruption per rule."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carerounds.routing import (
    Break,
    BreakTaken,
    Job,
    Link,
    Route,
    Solution,
    SolveParams,
    Stop,
    Unassigned,
    Vehicle,
    solve,
)
from carerounds.routing.verify import VIOLATION_KINDS, Violation, verify_solution

from ._helpers import H, line_matrix, make_problem


@pytest.fixture
def problem():
    """Home at 0, clients at 1 and 2; a hoist visit, a double-up pair, an optional visit."""
    jobs = [Job("a", 1, 1800, 9 * H, 10 * H, skills=frozenset({"hoist"}), demand=1),
            Job("d1", 2, 1800, 11 * H, 12 * H),
            Job("d2", 2, 1800, 11 * H, 12 * H),
            Job("c", 1, 600, 9 * H, 10 * H)]
    vehicles = [Vehicle("v1", "r1", 0, 0, 8 * H, 14 * H, skills=frozenset({"hoist"}),
                        breaks=(Break(12 * H, 13 * H, 1800),), max_work_s=5 * H, capacity=3),
                Vehicle("v2", "r2", 0, 0, 8 * H, 14 * H),
                Vehicle("v1b", "r1", 0, 0, 15 * H, 18 * H)]
    return make_problem(line_matrix([0, 10, 15]), jobs, vehicles, links=(Link(1, 2),),
                        resource_max_work_s={"r1": 5 * H})


@pytest.fixture
def solution():
    """A valid solution of ``problem``, worked out by hand."""
    v1 = Route(vehicle=0, start_s=9 * H - 600, end_s=12 * H + 1800 + 900, return_travel_s=900,
               return_distance_m=9000, breaks=(BreakTaken(12 * H, 1800),),
               stops=(Stop(0, 9 * H, 9 * H, 9 * H + 1800, 600, 6000),
                      Stop(1, 9 * H + 2100, 11 * H, 11 * H + 1800, 300, 3000)))
    v2 = Route(vehicle=1, start_s=11 * H - 900, end_s=11 * H + 1800 + 900, return_travel_s=900,
               return_distance_m=9000, stops=(Stop(2, 11 * H, 11 * H, 11 * H + 1800, 900, 9000),))
    v1b = Route(vehicle=2, stops=(), start_s=15 * H, end_s=15 * H, return_travel_s=0,
                return_distance_m=0)
    return Solution(routes=(v1, v2, v1b), unassigned=(Unassigned(3, "capacity", "busy"),),
                    objective=0, wall_s=0.0, first_solution_s=0.0, status="feasible",
                    params=SolveParams())


def kinds(problem, solution) -> set[str]:
    return {v.kind for v in verify_solution(problem, solution)}


def with_stop(solution, route_pos, stop_pos, **changes):
    routes = list(solution.routes)
    stops = list(routes[route_pos].stops)
    stops[stop_pos] = replace(stops[stop_pos], **changes)
    routes[route_pos] = replace(routes[route_pos], stops=tuple(stops))
    return replace(solution, routes=tuple(routes))


def with_route(solution, route_pos, **changes):
    routes = list(solution.routes)
    routes[route_pos] = replace(routes[route_pos], **changes)
    return replace(solution, routes=tuple(routes))


def with_job(problem, j, **changes):
    jobs = list(problem.jobs)
    jobs[j] = replace(jobs[j], **changes)
    return replace(problem, jobs=tuple(jobs))


def with_vehicle(problem, v, **changes):
    vehicles = list(problem.vehicles)
    vehicles[v] = replace(vehicles[v], **changes)
    return replace(problem, vehicles=tuple(vehicles))


def test_hand_made_solution_is_feasible(problem, solution):
    assert verify_solution(problem, solution) == []


def test_solver_solution_of_the_same_problem_is_feasible(problem):
    sol = solve(problem, SolveParams(time_limit_s=1.0, solution_limit=100))
    assert verify_solution(problem, sol) == []


def test_violation_is_immutable_and_names_ids(problem, solution):
    (v,) = verify_solution(with_job(problem, 0, skills=frozenset({"peg"})), solution)
    assert (v.kind, v.job, v.vehicle) == ("skills", "a", "v1")
    with pytest.raises(AttributeError):
        v.kind = "other"


def test_missing_route_is_a_structure_error(problem, solution):
    assert "structure" in kinds(problem, replace(solution, routes=solution.routes[:2]))


def test_job_neither_served_nor_unassigned_is_missing(problem, solution):
    assert kinds(problem, replace(solution, unassigned=())) == {"missing"}


def test_job_served_and_unassigned_is_a_duplicate(problem, solution):
    extra = solution.unassigned + (Unassigned(0, "capacity", "x"),)
    assert "duplicate" in kinds(problem, replace(solution, unassigned=extra))


def test_job_served_twice_is_a_duplicate(problem, solution):
    v1b = replace(solution.routes[2], stops=(Stop(3, 15 * H + 600, 15 * H + 600, 15 * H + 1200,
                                                  600, 6000),),
                  start_s=15 * H, end_s=15 * H + 1800, return_travel_s=600,
                  return_distance_m=6000)
    bad = replace(solution, routes=solution.routes[:2] + (v1b,))
    assert "duplicate" in kinds(problem, bad)


def test_mandatory_job_left_out_is_flagged(problem, solution):
    assert kinds(with_job(problem, 3, drop_penalty=None), solution) == {"mandatory_dropped"}


def test_unknown_cause_is_flagged(problem, solution):
    bad = replace(solution, unassigned=(Unassigned(3, "bad luck", ""),))
    assert kinds(problem, bad) == {"unknown_cause"}


def test_stated_travel_must_equal_the_matrix(problem, solution):
    assert "travel" in kinds(problem, with_stop(solution, 0, 0, travel_s=500))
    assert "travel" in kinds(problem, with_stop(solution, 0, 0, distance_m=1))
    assert "travel" in kinds(problem, with_route(solution, 1, return_travel_s=0))


def test_service_length_must_match(problem, solution):
    assert kinds(problem, with_stop(solution, 0, 0, end_s=9 * H + 1700)) == {"service"}


def test_leaving_too_late_to_arrive_is_time_travel(problem, solution):
    assert "time_travel" in kinds(problem, with_route(solution, 0, start_s=9 * H - 300))


def test_starting_before_arrival_is_time_travel(problem, solution):
    assert "time_travel" in kinds(problem, with_stop(solution, 0, 1, arrival_s=11 * H + 60))


def test_getting_home_too_soon_is_time_travel(problem, solution):
    assert "time_travel" in kinds(problem, with_route(solution, 1, end_s=11 * H + 1800 + 600))


def test_start_outside_window_is_flagged(problem, solution):
    assert kinds(with_job(problem, 0, tw_start_s=9 * H + 600), solution) == {"window"}
    early = with_job(problem, 0, tw_start_s=8 * H, tw_end_s=8 * H + 1800)
    assert kinds(early, solution) == {"window"}


def test_allowed_lateness_is_not_a_violation(problem, solution):
    late_ok = with_job(problem, 0, tw_start_s=8 * H, tw_end_s=8 * H + 1800, max_lateness_s=H)
    assert kinds(late_ok, solution) == set()


def test_route_outside_shift_is_flagged(problem, solution):
    assert kinds(with_vehicle(problem, 1, shift_end_s=11 * H + 1800), solution) == {"shift"}


def test_route_longer_than_max_work_is_flagged(problem, solution):
    assert kinds(with_vehicle(problem, 0, max_work_s=3 * H), solution) == {"max_work"}


def test_resource_over_its_total_work_is_flagged(problem, solution):
    assert kinds(replace(problem, resource_max_work_s={"r1": 3 * H}),
                 solution) == {"resource_max_work"}


def test_two_routes_of_one_person_overlapping_are_flagged(problem, solution):
    found = kinds(with_vehicle(problem, 1, resource="r1"), solution)
    assert {"split_overlap", "link_resource"} <= found


def test_missing_skill_is_flagged(problem, solution):
    assert kinds(with_job(problem, 0, skills=frozenset({"peg"})), solution) == {"skills"}


def test_forbidden_resource_is_flagged(problem, solution):
    assert kinds(with_job(problem, 0, forbidden_resources=frozenset({"r1"})),
                 solution) == {"forbidden"}


def test_half_a_linked_pair_is_flagged(problem, solution):
    bad = with_route(solution, 1, stops=(), start_s=8 * H, end_s=8 * H, return_travel_s=0,
                     return_distance_m=0)
    bad = replace(bad, unassigned=bad.unassigned + (Unassigned(2, "no_partner", ""),))
    assert kinds(problem, bad) == {"link_both"}


def test_linked_pair_starting_apart_is_flagged(problem, solution):
    bad = with_stop(solution, 1, 0, start_s=11 * H + 60, end_s=11 * H + 1860)
    bad = with_route(bad, 1, end_s=11 * H + 1860 + 900)
    assert kinds(problem, bad) == {"link_gap"}


def test_linked_pair_on_one_resource_is_flagged(problem, solution):
    # v1b is r1's other shift; give the problem a v1b that overlaps and move d2 onto it.
    problem = with_vehicle(problem, 2, shift_start_s=8 * H, shift_end_s=14 * H)
    empty_v2 = replace(solution.routes[1], vehicle=2)
    bad = replace(solution, routes=(solution.routes[0],
                                    replace(solution.routes[2], vehicle=1), empty_v2))
    assert "link_resource" in kinds(problem, bad)


def test_break_outside_its_window_is_flagged(problem, solution):
    bad = with_route(solution, 0, breaks=(BreakTaken(13 * H + 60, 1800),),
                     end_s=13 * H + 1860 + 900)
    assert "break" in kinds(problem, bad)


def test_break_during_service_is_flagged(problem, solution):
    early = with_vehicle(problem, 0, breaks=(Break(11 * H, 12 * H, 1800),))
    bad = with_route(solution, 0, breaks=(BreakTaken(11 * H + 600, 1800),))
    assert "break" in kinds(early, bad)


def test_missing_break_is_flagged(problem, solution):
    assert kinds(problem, with_route(solution, 0, breaks=())) == {"break"}


def test_load_over_capacity_is_flagged(problem, solution):
    assert kinds(with_vehicle(problem, 0, capacity=0), solution) == {"capacity"}


def test_every_kind_is_documented():
    tested = {"structure", "missing", "duplicate", "mandatory_dropped", "unknown_cause",
              "travel", "service", "time_travel", "window", "shift", "max_work",
              "resource_max_work", "split_overlap", "skills", "forbidden", "link_both",
              "link_gap", "link_resource", "break", "capacity"}
    assert set(VIOLATION_KINDS) == tested
    assert Violation("window", "x").job is None
