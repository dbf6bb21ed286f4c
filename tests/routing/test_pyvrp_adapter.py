"""The PyVRP adapter on hand-built problems whose right answer is known."""

from __future__ import annotations

import sys

import pytest

from carerounds.errors import InputError
from carerounds.routing import Break, Job, Link, SolveParams, Vehicle, Weights, pyvrp_adapter, solve
from carerounds.routing.pyvrp_adapter import can_express, solve_pyvrp

from ._helpers import H, assert_feasible, line_matrix, make_problem, served_by, start_of

pytest.importorskip("pyvrp")

FAST = SolveParams(time_limit_s=2.0, solution_limit=300, seed=1)


def day_vehicle(vid="v1", resource=None, loc=0, start=7 * H, end=19 * H, **kw):
    return Vehicle(vid, resource or vid, loc, loc, start, end, **kw)


@pytest.fixture
def line():
    """Home at 0, clients at 1..4 on a line at 10, 15, 40, 45 minutes out."""
    return line_matrix([0, 10, 15, 40, 45])


def test_small_vrptw_is_solved_feasibly_with_exact_times(line):
    jobs = [Job("a", 1, 1800, 9 * H, 9 * H + 1800), Job("b", 2, 1800, 10 * H, 11 * H),
            Job("c", 3, 900, 8 * H, 12 * H), Job("d", 4, 900, 8 * H, 12 * H)]
    problem = make_problem(line, jobs, [day_vehicle("v1"), day_vehicle("v2")])
    sol = solve_pyvrp(problem, FAST)
    assert_feasible(problem, sol)
    assert sol.source == "pyvrp" and sol.status == "feasible"
    assert not sol.unassigned
    # The objective is recomputed from the routes on our own matrices.
    assert sol.objective == sum(r.travel_s for r in sol.routes)
    for route in sol.routes:
        if route.stops:
            first = route.stops[0]
            assert route.start_s == first.start_s - first.travel_s  # leaves as late as it can


def test_a_job_only_one_vehicle_may_do_goes_to_it(line):
    # v2 lives at the client's door, but only v1 has the skill.
    jobs = [Job("hoist", 4, 600, 9 * H, 10 * H, skills=frozenset({"hoist"})),
            Job("x", 3, 600, 9 * H, 10 * H, forbidden_resources=frozenset({"v2"}))]
    vehicles = [day_vehicle("v1", skills=frozenset({"hoist"})), day_vehicle("v2", loc=4)]
    problem = make_problem(line, jobs, vehicles)
    sol = solve_pyvrp(problem, FAST)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"hoist": "v1", "x": "v1"}


def test_two_jobs_at_one_address_can_differ_in_who_may_serve_them(line):
    jobs = [Job("a/s1", 2, 600, 9 * H, 12 * H, skills=frozenset({"s1"})),
            Job("a/s2", 2, 600, 9 * H, 12 * H, skills=frozenset({"s2"}))]
    vehicles = [day_vehicle("v1", skills=frozenset({"s1"})),
                day_vehicle("v2", skills=frozenset({"s2"}))]
    problem = make_problem(line, jobs, vehicles)
    sol = solve_pyvrp(problem, FAST)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"a/s1": "v1", "a/s2": "v2"}


def test_mandatory_job_is_served_even_when_far():
    far = line_matrix([0, 10, 150])
    jobs = [Job("far", 2, 600, 8 * H, 18 * H, drop_penalty=None), Job("near", 1, 600, 8 * H, 18 * H)]
    problem = make_problem(far, jobs, [day_vehicle()])
    sol = solve_pyvrp(problem, FAST)
    assert_feasible(problem, sol)
    assert set(served_by(problem, sol)) == {"far", "near"}
    # The same trip is not worth a small penalty when the job is optional.
    cheap = make_problem(far, [Job("far", 2, 600, 8 * H, 18 * H, drop_penalty=100), jobs[1]],
                         [day_vehicle()])
    assert set(served_by(cheap, solve_pyvrp(cheap, FAST))) == {"near"}


def test_optional_job_is_dropped_when_its_penalty_is_below_its_travel(line):
    # The trip out to "d" and back costs 5400 s of travel; leaving it out costs 1000.
    jobs = [Job("a", 1, 600, 8 * H, 18 * H), Job("d", 4, 600, 8 * H, 18 * H, drop_penalty=1000)]
    problem = make_problem(line, jobs, [day_vehicle()])
    sol = solve_pyvrp(problem, FAST)
    assert_feasible(problem, sol)
    assert set(served_by(problem, sol)) == {"a"}
    assert [problem.jobs[u.job].id for u in sol.unassigned] == ["d"]
    assert sol.objective == 1200 + 1000
    # Worth it at a higher penalty.
    dear = make_problem(line, [jobs[0], Job("d", 4, 600, 8 * H, 18 * H, drop_penalty=10_000)],
                        [day_vehicle()])
    assert set(served_by(dear, solve_pyvrp(dear, FAST))) == {"a", "d"}


def test_preferred_resource_is_priced_like_ortools(line):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, preferred_resources=frozenset({"v2"}))]
    problem = make_problem(line, jobs, [day_vehicle("v1"), day_vehicle("v2", loc=2)])
    sol = solve_pyvrp(problem, FAST)
    assert served_by(problem, sol) == {"a": "v2"}
    assert sol.objective == 2 * 300


def test_pinned_double_up_is_served_by_two_vehicles_at_its_time(line):
    jobs = [Job("p/a", 2, 1800, 9 * H, 12 * H), Job("p/b", 2, 1800, 9 * H, 12 * H),
            Job("s", 1, 600, 8 * H, 18 * H)]
    problem = make_problem(line, jobs, [day_vehicle("v1"), day_vehicle("v2")],
                           links=(Link(0, 1),))
    assert can_express(problem) is not None
    pinned = {0: 10 * H, 1: 10 * H}
    assert can_express(problem, pinned) is None
    sol = solve_pyvrp(problem, FAST, pinned=pinned)
    assert_feasible(problem, sol)
    who = served_by(problem, sol)
    assert who["p/a"] != who["p/b"]
    starts = start_of(problem, sol)
    assert starts["p/a"] == starts["p/b"]


def test_solution_limit_repeats_exactly(line):
    jobs = [Job(f"j{k}", 1 + k % 4, 600, 8 * H, 18 * H) for k in range(8)]
    problem = make_problem(line, jobs, [day_vehicle("v1"), day_vehicle("v2", loc=3)])
    params = SolveParams(time_limit_s=30, solution_limit=100, seed=3)
    first, second = solve_pyvrp(problem, params), solve_pyvrp(problem, params)
    assert [[s.job for s in r.stops] for r in first.routes] == \
        [[s.job for s in r.stops] for r in second.routes]


@pytest.mark.parametrize("change, words", [
    (dict(vehicles=[day_vehicle(breaks=(Break(12 * H, 13 * H, 1800),))]), "breaks"),
    (dict(vehicles=[day_vehicle("v1", "W"), day_vehicle("v2", "W")]), "shifts"),
    (dict(links=(Link(0, 1),)), "not pinned"),
    (dict(jobs=[Job("a", 1, 600, 9 * H, 10 * H, max_lateness_s=H), Job("b", 2, 0, 0, 24 * H)]),
     "soft window"),
    (dict(jobs=[Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"x"}), drop_penalty=None),
                Job("b", 2, 0, 0, 24 * H)]), "no eligible vehicle"),
    (dict(weights=Weights(span_s=1)), "span"),
    (dict(vehicles=[]), "no vehicles"),
])
def test_can_express_names_what_pyvrp_cannot_model(line, change, words):
    base = dict(jobs=[Job("a", 1, 600, 9 * H, 10 * H), Job("b", 2, 600, 9 * H, 10 * H)],
                vehicles=[day_vehicle()])
    base.update(change)
    problem = make_problem(line, base.pop("jobs"), base.pop("vehicles"), **base)
    reason = can_express(problem)
    assert reason is not None and words in reason
    with pytest.raises(InputError):
        solve_pyvrp(problem, FAST)


def test_pinned_pair_apart_in_time_is_refused_unless_no_vehicle_may_do_both(line):
    jobs = [Job("a", 1, 600, 9 * H, 12 * H), Job("b", 1, 600, 9 * H, 12 * H,
                                                 skills=frozenset({"x"}))]
    vehicles = [day_vehicle("v1"), day_vehicle("v2", skills=frozenset({"x"}))]
    problem = make_problem(line, jobs, vehicles, links=(Link(0, 1, H, 2 * H),))
    pinned = {0: 9 * H, 1: 10 * H + 1800}
    # v2 may do both, an hour and a half apart: one vehicle would break the link.
    assert "one vehicle" in can_express(problem, pinned)
    only_v1 = Job("a", 1, 600, 9 * H, 12 * H, forbidden_resources=frozenset({"v2"}))
    apart = make_problem(line, [only_v1, jobs[1]], vehicles, links=(Link(0, 1, H, 2 * H),))
    assert can_express(apart, pinned) is None
    sol = solve_pyvrp(apart, FAST, pinned=pinned)
    assert_feasible(apart, sol)
    assert served_by(apart, sol) == {"a": "v1", "b": "v2"}


def test_solve_uses_pyvrp_when_it_expresses_the_problem(line):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H), Job("b", 3, 600, 9 * H, 12 * H)]
    problem = make_problem(line, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert sol.source == "pyvrp"


def test_without_pyvrp_installed_solve_still_uses_ortools(line, monkeypatch):
    # A None entry makes "import pyvrp" fail as if the package were absent.
    monkeypatch.setitem(sys.modules, "pyvrp", None)
    assert not pyvrp_adapter.available()
    jobs = [Job("a", 1, 600, 9 * H, 10 * H), Job("b", 3, 600, 9 * H, 12 * H)]
    problem = make_problem(line, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert sol.source == "search"
    assert set(served_by(problem, sol)) == {"a", "b"}


def test_problems_pyvrp_cannot_express_stay_with_ortools(line):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H), Job("b", 3, 600, 9 * H, 12 * H)]
    vehicles = [day_vehicle(breaks=(Break(12 * H, 13 * H, 1800),))]
    problem = make_problem(line, jobs, vehicles)
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert sol.source == "search"
