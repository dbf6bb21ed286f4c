"""Tests for the causes given to unassigned jobs."""

from __future__ import annotations

import numpy as np

from carerounds.routing import Job, Link, Vehicle
from carerounds.routing.explain import explain_unassigned, format_clock

from ._helpers import H, line_matrix, make_problem

MATRIX = line_matrix([0, 10, 15])


def vehicle(vid, resource=None, start=7 * H, end=19 * H, **kw):
    return Vehicle(vid, resource or vid, 0, 0, start, end, **kw)


def cause(problem, j=0):
    (u,) = explain_unassigned(problem, [j])
    assert u.job == j
    return u.cause, u.detail


def test_missing_skills_are_named():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist", "dementia"}))]
    problem = make_problem(MATRIX, jobs, [vehicle("v", skills=frozenset({"peg"}))])
    assert cause(problem) == ("no_eligible_vehicle", "no vehicle has skills dementia, hoist")


def test_skills_spread_over_vehicles_are_not_enough():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist", "peg"}))]
    vehicles = [vehicle("v1", skills=frozenset({"hoist"})), vehicle("v2", skills=frozenset({"peg"}))]
    problem = make_problem(MATRIX, jobs, vehicles)
    assert cause(problem) == ("no_eligible_vehicle",
                              "no single vehicle has all of skills hoist, peg")


def test_every_skilled_resource_excluded():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, forbidden_resources=frozenset({"r1", "r2"}))]
    problem = make_problem(MATRIX, jobs, [vehicle("v1", "r1"), vehicle("v2", "r2")])
    assert cause(problem) == ("no_eligible_vehicle", "every eligible resource is excluded")


def test_demand_over_every_capacity():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, demand=5)]
    problem = make_problem(MATRIX, jobs, [vehicle("v", capacity=4)])
    assert cause(problem)[0] == "no_eligible_vehicle"


def test_location_beyond_reach_is_unreachable():
    matrix = MATRIX.copy()
    matrix[:, 2] = matrix[2, :] = 10**9
    matrix[2, 2] = 0
    jobs = [Job("a", 2, 600, 9 * H, 10 * H)]
    problem = make_problem(matrix, jobs, [vehicle("v")])
    assert cause(problem)[0] == "unreachable"


def test_window_outside_shift_names_the_window():
    jobs = [Job("a", 1, 600, 7 * H, 7 * H + 1800)]
    problem = make_problem(MATRIX, jobs, [vehicle("v", start=8 * H)])
    assert cause(problem) == ("no_shift_covers_window",
                              "no shift covers window 07:00-07:30 (+ travel)")


def test_travel_from_shift_start_can_miss_the_window():
    # Shift starts 8:55, ten minutes' drive, window ends 9:00.
    jobs = [Job("a", 1, 600, 9 * H - 600, 9 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("v", start=9 * H - 300)])
    assert cause(problem)[0] == "no_shift_covers_window"
    assert cause(make_problem(MATRIX, jobs, [vehicle("v", start=9 * H - 600)]))[0] == "capacity"


def test_no_time_to_get_home_is_no_shift():
    jobs = [Job("a", 1, H, 9 * H, 10 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("v", end=10 * H + 300)])
    assert cause(problem)[0] == "no_shift_covers_window"


def test_max_work_too_short_is_no_shift():
    jobs = [Job("a", 1, H, 9 * H, 10 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("v", max_work_s=H)])
    assert cause(problem)[0] == "no_shift_covers_window"


def test_allowed_lateness_widens_the_window():
    jobs = [Job("a", 1, 600, 7 * H, 7 * H + 1800, max_lateness_s=2 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("v", start=8 * H)])
    assert cause(problem)[0] == "capacity"


def test_pair_within_one_resource_has_no_partner():
    jobs = [Job("d1", 1, 600, 9 * H, 10 * H), Job("d2", 1, 600, 9 * H, 10 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("w#1", "w"), vehicle("w#2", "w")],
                           links=(Link(0, 1),))
    assert cause(problem, 0)[0] == "no_partner"
    assert "'d2'" in cause(problem, 0)[1]
    assert cause(problem, 1)[0] == "no_partner"


def test_partner_window_incompatible_with_gap_has_no_partner():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H), Job("b", 1, 600, 12 * H, 13 * H)]
    vehicles = [vehicle("v1"), vehicle("v2")]
    tight = make_problem(MATRIX, jobs, vehicles, links=(Link(0, 1, 0, H),))
    loose = make_problem(MATRIX, jobs, vehicles, links=(Link(0, 1, 0, 2 * H),))
    assert cause(tight, 0)[0] == "no_partner"
    assert cause(tight, 1)[0] == "no_partner"
    assert cause(loose, 0)[0] == "capacity"


def test_partner_lacking_skill_means_no_partner():
    jobs = [Job("d1", 1, 600, 9 * H, 10 * H),
            Job("d2", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist"}))]
    vehicles = [vehicle("v1", skills=frozenset({"hoist"})), vehicle("v2")]
    problem = make_problem(MATRIX, jobs, vehicles, links=(Link(0, 1),))
    # d2 can only go to v1, and then d1 only to v2: fine.
    assert cause(problem, 0)[0] == "capacity"
    vehicles = [vehicle("v1"), vehicle("v2")]
    problem = make_problem(MATRIX, jobs, vehicles, links=(Link(0, 1),))
    assert cause(problem, 0)[0] == "no_partner"
    assert cause(problem, 1)[0] == "no_eligible_vehicle"


def test_feasible_alone_is_capacity():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("v1"), vehicle("v2")])
    c, detail = cause(problem)
    assert c == "capacity"
    assert detail.startswith("2 eligible vehicle(s)")


def test_first_matching_cause_wins():
    # No skill and no window: the skill is reported.
    jobs = [Job("a", 1, 600, 2 * H, 2 * H, skills=frozenset({"hoist"}))]
    problem = make_problem(MATRIX, jobs, [vehicle("v")])
    assert cause(problem)[0] == "no_eligible_vehicle"


def test_results_keep_the_order_asked():
    jobs = [Job("a", 1, 600, 9 * H, 10 * H), Job("b", 1, 600, 2 * H, 2 * H)]
    problem = make_problem(MATRIX, jobs, [vehicle("v")])
    out = explain_unassigned(problem, [1, 0])
    assert [(u.job, u.cause) for u in out] == [(1, "no_shift_covers_window"), (0, "capacity")]


def test_clock_format():
    assert format_clock(7 * H + 30 * 60) == "07:30"
    assert format_clock(25 * H) == "25:00"
    assert format_clock(np.int64(60)) == "00:01"
