"""Tests for the OR-Tools adapter on hand-built problems whose right answer is known."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from carerounds.errors import InputError
from carerounds.routing import Break, Job, Link, SolveParams, Vehicle, Weights, solve
from carerounds.routing.insertion import Inserter, solve_by_insertion
from carerounds.routing.solver import BREAKS_LNS_ABOVE, BREAKS_LNS_TIME_LIMIT_MS, _Model, solve_with

from ._helpers import H, assert_feasible, line_matrix, make_problem, served_by, start_of

FAST = SolveParams(time_limit_s=1.0, solution_limit=200)


def day_vehicle(vid="v1", resource=None, loc=0, start=7 * H, end=19 * H, **kw):
    return Vehicle(vid, resource or vid, loc, loc, start, end, **kw)


@pytest.fixture
def three_points():
    """Home at 0, clients at 1 and 2 on a line, one minute per unit."""
    return line_matrix([0, 10, 15])


# -- basics -----------------------------------------------------------------------------


def test_route_times_and_legs_follow_the_matrix(three_points):
    jobs = [Job("a", 1, 1800, 9 * H, 9 * H + 1800), Job("b", 2, 1800, 10 * H, 11 * H)]
    problem = make_problem(three_points, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    (route,) = sol.routes
    assert [problem.jobs[s.job].id for s in route.stops] == ["a", "b"]
    a, b = route.stops
    assert (a.start_s, a.travel_s, a.distance_m) == (9 * H, 600, 6000)
    assert (b.start_s, b.travel_s) == (10 * H, 300)
    assert route.start_s == 9 * H - 600          # leaves as late as the first visit allows
    assert route.end_s == b.end_s + 900          # and comes straight home
    assert route.travel_s == 1800
    assert sol.objective == 1800
    assert sol.status in ("feasible", "optimal")
    assert sol.first_solution_s is not None


def test_every_vehicle_gets_a_route_even_when_empty(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H)]
    problem = make_problem(three_points, jobs, [day_vehicle("v1"), day_vehicle("v2", loc=2)])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert [r.vehicle for r in sol.routes] == [0, 1]
    assert sum(1 for r in sol.routes if r.stops) == 1
    assert served_by(problem, sol) == {"a": "v2"}   # v2 lives nearer


def test_one_way_matrix_is_respected():
    # Clockwise 0 -> 1 -> 2 -> 0 is cheap, the other way round is slow.
    matrix = np.array([[0, 100, 1000], [1000, 0, 100], [100, 1000, 0]])
    jobs = [Job("a", 1, 0, 0, 24 * H), Job("b", 2, 0, 0, 24 * H)]
    problem = make_problem(matrix, jobs, [day_vehicle(start=0, end=24 * H)])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert [problem.jobs[s.job].id for s in sol.routes[0].stops] == ["a", "b"]
    assert sol.routes[0].travel_s == 300


# -- windows and lateness ---------------------------------------------------------------


def test_late_visit_is_served_late_at_the_lateness_cost(three_points):
    jobs = [Job("a", 1, H, 9 * H, 9 * H),
            Job("b", 2, 600, 9 * H + 1800, 9 * H + 1800, max_lateness_s=H)]
    problem = make_problem(three_points, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    starts = start_of(problem, sol)
    assert starts["b"] == 10 * H + 300               # a ends 10:00, then 5 min of travel
    late_s = starts["b"] - (9 * H + 1800)
    assert sol.objective == 1800 + late_s * problem.weights.lateness_s


def test_hard_window_that_cannot_be_met_drops_the_visit(three_points):
    jobs = [Job("a", 1, H, 9 * H, 9 * H, drop_penalty=10**6),
            Job("b", 2, 600, 9 * H + 1800, 9 * H + 1800, drop_penalty=10**5)]
    problem = make_problem(three_points, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert [(problem.jobs[u.job].id, u.cause) for u in sol.unassigned] == [("b", "capacity")]


def test_max_lateness_weight_prefers_two_small_delays_to_one_large():
    # Travel favours a then b; a long (2 h) then b waits 1.5 h. b then a: a is 30 min late.
    matrix = np.array([[0, 10, 10], [10, 0, 10], [10, 500, 0]])
    jobs = [Job("a", 1, 2 * H, 9 * H, 9 * H, max_lateness_s=3 * H),
            Job("b", 2, 1800, 9 * H, 9 * H + 1800, max_lateness_s=3 * H)]
    order = {}
    for w in (0, 100):
        weights = Weights(lateness_s=0, max_lateness_s=w)
        problem = make_problem(matrix, jobs, [day_vehicle()], weights=weights)
        sol = solve(problem, FAST)
        assert_feasible(problem, sol)
        order[w] = [problem.jobs[s.job].id for s in sol.routes[0].stops]
    assert order == {0: ["a", "b"], 100: ["b", "a"]}


# -- dropping, priorities, causes -------------------------------------------------------


def test_critical_visit_is_kept_over_a_normal_one(three_points):
    w = Weights()
    for critical_first in (True, False):
        pen = (w.drop_critical, w.drop_normal) if critical_first else (w.drop_normal,
                                                                       w.drop_critical)
        jobs = [Job("x", 1, H, 9 * H, 9 * H, drop_penalty=pen[0]),
                Job("y", 2, H, 9 * H, 9 * H, drop_penalty=pen[1])]
        problem = make_problem(three_points, jobs, [day_vehicle()])
        sol = solve(problem, FAST)
        assert_feasible(problem, sol)
        kept = "x" if critical_first else "y"
        assert set(served_by(problem, sol)) == {kept}


def test_missing_skill_drops_the_visit_with_its_reason(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist", "peg"}))]
    problem = make_problem(three_points, jobs, [day_vehicle(skills=frozenset({"peg"}))])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    (u,) = sol.unassigned
    assert (u.cause, u.detail) == ("no_eligible_vehicle", "no vehicle has skills hoist")


def test_window_outside_every_shift_is_explained(three_points):
    jobs = [Job("a", 1, 600, 6 * H, 6 * H + 1800)]
    problem = make_problem(three_points, jobs, [day_vehicle(start=8 * H)])
    sol = solve(problem, FAST)
    (u,) = sol.unassigned
    assert u.cause == "no_shift_covers_window"
    assert "06:00-06:30" in u.detail


def test_mandatory_visit_nobody_can_do_makes_the_problem_infeasible(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist"}), drop_penalty=None)]
    problem = make_problem(three_points, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert sol.status == "infeasible"
    assert [u.cause for u in sol.unassigned] == ["no_eligible_vehicle"]
    assert all(not r.stops for r in sol.routes)


def test_mandatory_visit_is_never_dropped(three_points):
    jobs = [Job("x", 1, H, 9 * H, 9 * H, drop_penalty=None),
            Job("y", 2, H, 9 * H, 9 * H, drop_penalty=10**9)]
    problem = make_problem(three_points, jobs, [day_vehicle()])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"x": "v1"}


# -- who may serve ----------------------------------------------------------------------


def test_skill_match_sends_the_qualified_vehicle(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist"}))]
    near = day_vehicle("near", loc=1)
    far = day_vehicle("far", loc=0, skills=frozenset({"hoist", "dementia"}))
    problem = make_problem(three_points, jobs, [near, far])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"a": "far"}


def test_forbidden_resource_never_serves(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, forbidden_resources=frozenset({"near"}))]
    problem = make_problem(three_points, jobs, [day_vehicle("near", loc=1), day_vehicle("far")])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"a": "far"}


def test_preferred_resource_chosen_when_costs_tie(three_points):
    for preferred in ("r1", "r2"):
        jobs = [Job("a", 1, 600, 9 * H, 10 * H, preferred_resources=frozenset({preferred}))]
        vehicles = [day_vehicle("v1", "r1"), day_vehicle("v2", "r2")]
        problem = make_problem(three_points, jobs, vehicles)
        sol = solve(problem, FAST)
        assert_feasible(problem, sol)
        assert served_by(problem, sol) == {"a": {"r1": "v1", "r2": "v2"}[preferred]}
        assert sol.objective == 1200


def test_non_preferred_cost_is_paid_when_preference_is_too_far(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, preferred_resources=frozenset({"r2"}))]
    vehicles = [day_vehicle("v1", "r1", loc=1), day_vehicle("v2", "r2", loc=0)]
    problem = make_problem(three_points, jobs, vehicles, weights=Weights(non_preferred=100))
    sol = solve(problem, FAST)
    assert served_by(problem, sol) == {"a": "v1"}
    assert sol.objective == 100


# -- shifts, breaks, work limits ---------------------------------------------------------


def test_split_shifts_serve_morning_and_evening(three_points):
    jobs = [Job("am", 1, 1800, 8 * H, 9 * H), Job("pm", 2, 1800, 17 * H, 18 * H)]
    vehicles = [day_vehicle("w#1", "w", start=7 * H, end=10 * H),
                day_vehicle("w#2", "w", start=16 * H, end=19 * H)]
    problem = make_problem(three_points, jobs, vehicles)
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"am": "w#1", "pm": "w#2"}


def test_overlapping_split_shifts_of_one_person_do_not_overlap(three_points):
    # Two shifts of one worker that overlap in time: both visits fit one route, but
    # using both shifts at once would put the worker in two places.
    jobs = [Job("a", 1, H, 9 * H, 9 * H), Job("b", 2, H, 9 * H + 1800, 9 * H + 1800)]
    vehicles = [day_vehicle("w#1", "w", loc=1, start=8 * H, end=12 * H),
                day_vehicle("w#2", "w", loc=2, start=8 * H, end=12 * H)]
    problem = make_problem(three_points, jobs, vehicles)
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert len(served_by(problem, sol)) == 1


def test_break_is_taken_in_its_window_and_not_during_service(three_points):
    jobs = [Job("a", 1, 2 * H, 11 * H, 11 * H), Job("b", 2, H, 11 * H, 14 * H)]
    vehicles = [day_vehicle(breaks=(Break(12 * H, 13 * H + 1800, 1800),))]
    problem = make_problem(three_points, jobs, vehicles)
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    route = sol.routes[0]
    (brk,) = route.breaks
    assert 13 * H <= brk.start_s <= 13 * H + 1800   # a runs 11:00-13:00
    assert len(route.stops) == 2


def test_break_that_cannot_fit_its_shift_is_an_input_error(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H)]
    vehicles = [day_vehicle(start=7 * H, end=10 * H, breaks=(Break(12 * H, 13 * H, 1800),))]
    problem = make_problem(three_points, jobs, vehicles)
    with pytest.raises(InputError, match="breaks"):
        solve(problem, FAST)


def test_max_work_limits_the_route(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 9 * H), Job("b", 2, 600, 12 * H, 12 * H)]
    problem = make_problem(three_points, jobs, [day_vehicle(max_work_s=2 * H)])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert len(served_by(problem, sol)) == 1
    assert [u.cause for u in sol.unassigned] == ["capacity"]


def test_resource_max_work_sums_split_shifts(three_points):
    jobs = [Job("am", 1, H, 8 * H, 8 * H), Job("pm", 1, H, 17 * H, 17 * H)]
    vehicles = [day_vehicle("w#1", "w", start=7 * H, end=10 * H),
                day_vehicle("w#2", "w", start=16 * H, end=19 * H)]
    ok = make_problem(three_points, jobs, vehicles)
    tight = make_problem(three_points, jobs, vehicles, resource_max_work_s={"w": 2 * H})
    assert len(served_by(ok, solve(ok, FAST))) == 2
    sol = solve(tight, FAST)
    assert_feasible(tight, sol)
    assert len(served_by(tight, sol)) == 1


def test_capacity_limits_demand(three_points):
    jobs = [Job(f"j{i}", 1 + i % 2, 0, 0, 24 * H, demand=1) for i in range(3)]
    problem = make_problem(three_points, jobs, [day_vehicle(start=0, end=24 * H, capacity=2)])
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert len(served_by(problem, sol)) == 2


def test_fixed_cost_avoids_a_vehicle(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H)]
    vehicles = [day_vehicle("dear", loc=1, fixed_cost=5000), day_vehicle("cheap", loc=0)]
    problem = make_problem(three_points, jobs, vehicles)
    sol = solve(problem, FAST)
    assert served_by(problem, sol) == {"a": "cheap"}


def test_span_weight_shares_work_between_vehicles():
    matrix = np.array([[0, 1000, 1000], [1000, 0, 100], [1000, 100, 0]])
    jobs = [Job("a", 1, 600, 0, 24 * H), Job("b", 2, 600, 0, 24 * H)]
    vehicles = [day_vehicle("v1", start=0, end=24 * H), day_vehicle("v2", start=0, end=24 * H)]
    used = {}
    for w in (0, 10):
        problem = make_problem(matrix, jobs, vehicles, weights=Weights(span_s=w))
        sol = solve(problem, FAST)
        assert_feasible(problem, sol)
        used[w] = sum(1 for r in sol.routes if r.stops)
    assert used == {0: 1, 10: 2}


# -- double-ups -------------------------------------------------------------------------


def test_double_up_starts_together_with_two_different_people(three_points):
    # Worker w has two overlapping shift vehicles living next door; the pair must
    # still take a second person (x), who lives further away.
    jobs = [Job("d1", 1, 1800, 9 * H, 10 * H), Job("d2", 1, 1800, 9 * H, 10 * H)]
    vehicles = [day_vehicle("w#1", "w", loc=1, start=8 * H, end=12 * H),
                day_vehicle("w#2", "w", loc=1, start=8 * H, end=12 * H),
                day_vehicle("x", "x", loc=2, start=8 * H, end=12 * H)]
    problem = make_problem(three_points, jobs, vehicles, links=(Link(0, 1),))
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    by = served_by(problem, sol)
    assert set(by) == {"d1", "d2"}
    resource = {veh.id: veh.resource for veh in problem.vehicles}
    assert sorted(resource[v] for v in by.values()) == ["w", "x"]
    starts = start_of(problem, sol)
    assert starts["d1"] == starts["d2"]


def test_double_up_with_only_one_person_is_dropped_as_no_partner(three_points):
    jobs = [Job("d1", 1, 1800, 9 * H, 10 * H), Job("d2", 1, 1800, 9 * H, 10 * H)]
    vehicles = [day_vehicle("w#1", "w", start=8 * H, end=12 * H),
                day_vehicle("w#2", "w", start=8 * H, end=12 * H)]
    problem = make_problem(three_points, jobs, vehicles, links=(Link(0, 1),))
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    assert sorted(u.cause for u in sol.unassigned) == ["no_partner", "no_partner"]


def test_min_max_gap_link_is_respected(three_points):
    # b must start 30-45 minutes after a; a can start at 9:00 at the earliest.
    jobs = [Job("a", 1, 600, 9 * H, 12 * H), Job("b", 2, 600, 8 * H, 12 * H)]
    vehicles = [day_vehicle("v1"), day_vehicle("v2")]
    problem = make_problem(three_points, jobs, vehicles, links=(Link(0, 1, 1800, 2700),))
    sol = solve(problem, FAST)
    assert_feasible(problem, sol)
    starts = start_of(problem, sol)
    assert starts["a"] == 9 * H and starts["b"] == 9 * H + 1800


# -- parameters -------------------------------------------------------------------------


def _random_problem(seed: int, n_jobs: int = 20, n_vehicles: int = 4):
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 100, size=(n_jobs + 1, 2))
    matrix = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 20)
    jobs = []
    for i in range(n_jobs):
        start = int(rng.integers(7, 17)) * H
        jobs.append(Job(f"j{i}", i + 1, 1800, start, start + 2 * H))
    vehicles = [day_vehicle(f"v{k}", start=7 * H, end=20 * H) for k in range(n_vehicles)]
    return make_problem(matrix.astype(np.int64), jobs, vehicles)


def test_solution_limit_gives_the_same_rota_every_time():
    problem = _random_problem(3)
    params = SolveParams(time_limit_s=30.0, solution_limit=60)
    a, b = solve(problem, params), solve(problem, params)
    assert_feasible(problem, a)
    assert a.routes == b.routes and a.objective == b.objective


@pytest.mark.parametrize("field, value", [("first_solution", "nonsense"),
                                          ("local_search", "annealing?"),
                                          ("time_limit_s", 0.0), ("solution_limit", 0),
                                          ("workers", 0)])
def test_bad_search_parameters_are_input_errors(three_points, field, value):
    problem = make_problem(three_points, [Job("a", 1, 0, 0, H)], [day_vehicle()])
    with pytest.raises(InputError, match=field):
        solve(problem, replace(FAST, **{field: value}))


@pytest.mark.parametrize("strategy", ["path_cheapest_arc", "savings", "local_cheapest_insertion"])
def test_other_first_solution_strategies_work(three_points, strategy):
    problem = _random_problem(1, n_jobs=10, n_vehicles=2)
    sol = solve(problem, replace(FAST, first_solution=strategy, solution_limit=20))
    assert_feasible(problem, sol)


# -- double-ups at scale and the pair-aware heuristic -----------------------------------------


def _day_with_pairs(seed: int, n_clients: int = 24, n_workers: int = 10, pair_every: int = 4):
    """Clients with a morning and an evening visit; every ``pair_every``-th needs two carers."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10_000, size=(n_clients + n_workers, 2))
    seconds = np.rint(np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1)) / 8.0)
    jobs, links = [], []
    for c in range(n_clients):
        for centre in (8 * H, 17 * H):
            centre += int(rng.integers(-2, 3)) * 900
            job = Job(f"c{c}@{centre}", c, 1800, centre - 1800, centre + 1800)
            jobs.append(job)
            if c % pair_every == 0:
                jobs.append(replace(job, id=job.id + "b"))
                links.append(Link(len(jobs) - 2, len(jobs) - 1))
    vehicles = [Vehicle(f"w{k}", f"w{k}", n_clients + k, n_clients + k, 7 * H, 20 * H)
                for k in range(n_workers)]
    return make_problem(seconds.astype(np.int64), jobs, vehicles, links=tuple(links))


def test_pairs_at_scale_are_all_placed_and_synchronised():
    problem = _day_with_pairs(5)
    sol = solve(problem, SolveParams(time_limit_s=2.0, solution_limit=100))
    assert_feasible(problem, sol)
    served = sol.assigned_jobs()
    assert all(link.first in served for link in problem.links)
    assert sol.unassigned == ()


def test_pair_insertion_works_as_a_strategy_without_links(three_points):
    problem = _random_problem(2, n_jobs=12, n_vehicles=3)
    sol = solve(problem, replace(FAST, first_solution="pair_insertion", solution_limit=30))
    assert_feasible(problem, sol)
    assert sol.first_solution_s is not None


def test_plain_variant_is_the_same_model_without_the_heuristic(three_points):
    jobs = [Job("d1", 1, 1800, 9 * H, 10 * H), Job("d2", 1, 1800, 9 * H, 10 * H)]
    vehicles = [day_vehicle("w"), day_vehicle("x", loc=2)]
    problem = make_problem(three_points, jobs, vehicles, links=(Link(0, 1),))
    for variant in ("plain", "ours"):
        sol = solve_with(problem, FAST, variant)
        assert_feasible(problem, sol)
    with pytest.raises(InputError, match="variant"):
        solve_with(problem, FAST, "fancy")


def test_repair_lets_a_critical_pair_displace_a_normal_visit(three_points):
    # Both carers are busy 9:00-10:00 with normal singles; the critical pair needs them both.
    w = Weights()
    jobs = [Job("s1", 1, H, 9 * H, 9 * H, drop_penalty=w.drop_normal),
            Job("s2", 2, H, 9 * H, 9 * H, drop_penalty=w.drop_normal),
            Job("p1", 1, H, 9 * H, 9 * H, drop_penalty=w.drop_critical),
            Job("p2", 1, H, 9 * H, 9 * H, drop_penalty=w.drop_critical)]
    vehicles = [day_vehicle("w", start=8 * H, end=11 * H),
                day_vehicle("x", start=8 * H, end=11 * H)]
    problem = make_problem(three_points, jobs, vehicles, links=(Link(2, 3),))
    ins = Inserter(problem, deadline=float("inf"))
    ins.load_routes([([0], [9 * H], []), ([1], [9 * H], [])])
    assert ins.insert_all([2, 3]) == 0
    assert ins.insert_all([2, 3], eject=True) == 2
    assert sorted(ins.sequences()) == [[2], [3]]


def test_insertion_timing_never_breaks_the_solver_model(three_points):
    # A break in the middle of the day and a pair: the heuristic's routes must restore.
    problem = _day_with_pairs(7, n_clients=12, n_workers=5)
    vehicles = tuple(replace(v, breaks=(Break(12 * H, 14 * H, 1800),)) for v in problem.vehicles)
    problem = replace(problem, vehicles=vehicles)
    sol = solve(problem, SolveParams(time_limit_s=2.0, solution_limit=50))
    assert_feasible(problem, sol)
    assert len(sol.assigned_jobs()) == len(problem.jobs)


def test_two_workers_return_a_verified_solution_no_worse_than_one():
    problem = _random_problem(4, n_jobs=25, n_vehicles=4)
    one = solve(problem, SolveParams(time_limit_s=2.0, solution_limit=40))
    two = solve(problem, SolveParams(time_limit_s=2.0, solution_limit=40, workers=2))
    assert_feasible(problem, two)
    assert two.objective <= one.objective
    assert two.params.workers == 2


def test_seed_changes_only_the_insertion_order_not_feasibility():
    problem = _day_with_pairs(9, n_clients=12, n_workers=5)
    for seed in (0, 1, 2):
        sol = solve(problem, SolveParams(time_limit_s=2.0, solution_limit=30, seed=seed))
        assert_feasible(problem, sol)


def test_solution_limit_repeats_exactly_with_pairs_too():
    problem = _day_with_pairs(11, n_clients=10, n_workers=4)
    params = SolveParams(time_limit_s=30.0, solution_limit=25)
    a, b = solve(problem, params), solve(problem, params)
    assert_feasible(problem, a)
    assert a.routes == b.routes and a.objective == b.objective


# -- insertion alone, warm starts, many breaks ------------------------------------------


def test_insertion_alone_gives_a_verified_rota_with_pairs_and_breaks():
    problem = _day_with_pairs(7, n_clients=12, n_workers=5)
    vehicles = tuple(replace(v, breaks=(Break(12 * H, 14 * H, 1800),)) for v in problem.vehicles)
    problem = replace(problem, vehicles=vehicles)
    sol = solve_by_insertion(problem, SolveParams(time_limit_s=5.0))
    assert_feasible(problem, sol)
    assert len(sol.assigned_jobs()) >= len(problem.jobs) - 2  # local search does the rest
    assert len(sol.assigned_jobs()) + len(sol.unassigned) == len(problem.jobs)
    assert all(r.breaks for r in sol.routes if r.stops)


def test_insertion_alone_explains_what_it_cannot_place(three_points):
    jobs = [Job("a", 1, 600, 9 * H, 10 * H, skills=frozenset({"hoist"})),
            Job("b", 2, 600, 9 * H, 10 * H)]
    problem = make_problem(three_points, jobs, [day_vehicle()])
    sol = solve_by_insertion(problem, SolveParams(time_limit_s=1.0))
    assert_feasible(problem, sol)
    assert [(u.job, u.cause) for u in sol.unassigned] == [(0, "no_eligible_vehicle")]


def test_warm_start_is_never_worse_than_the_rota_it_starts_from():
    problem = _random_problem(4, n_jobs=25, n_vehicles=4)
    start = solve_by_insertion(problem, SolveParams(time_limit_s=5.0))
    initial = [[s.job for s in r.stops] for r in start.routes]
    sol = solve(problem, SolveParams(time_limit_s=2.0, solution_limit=40), initial=initial)
    assert_feasible(problem, sol)
    assert sol.objective <= start.objective


def test_warm_start_needs_one_sequence_per_vehicle():
    problem = _random_problem(4, n_jobs=5, n_vehicles=2)
    with pytest.raises(ValueError, match="initial has 1 routes for 2 vehicles"):
        solve(problem, FAST, initial=[[0]])


def test_many_shifts_with_breaks_give_sub_searches_more_time():
    # OR-Tools' 0.1 s default makes every move fail once ~90 shifts have breaks
    problem = _random_problem(4, n_jobs=5, n_vehicles=BREAKS_LNS_ABOVE + 1)
    problem = replace(problem, vehicles=tuple(
        replace(v, breaks=(Break(12 * H, 14 * H, 1200),)) for v in problem.vehicles))
    sp = _Model(problem, FAST).search_parameters()
    assert sp.lns_time_limit.ToMilliseconds() == BREAKS_LNS_TIME_LIMIT_MS


# ---- the insertion floor -------------------------------------------------------------------

def _max_work_problem(links: bool):
    """Two workers on a line; one may work only 2 h of an 8 h shift; a double-up if links."""
    matrix = line_matrix([0, 1, 2, 3, 4, 5])
    jobs = [Job(f"J{k}", location=k, service_s=3600, tw_start_s=8 * H, tw_end_s=15 * H)
            for k in range(1, 5)]
    link_list = ()
    if links:
        jobs.append(Job("D/a", location=5, service_s=1800, tw_start_s=9 * H, tw_end_s=10 * H))
        jobs.append(Job("D/b", location=5, service_s=1800, tw_start_s=9 * H, tw_end_s=10 * H))
        link_list = (Link(4, 5, 0, 0),)
    vehicles = [Vehicle("A#1", "A", 0, 0, 8 * H, 16 * H),
                Vehicle("B#1", "B", 0, 0, 8 * H, 16 * H)]
    return make_problem(matrix, jobs, vehicles, links=link_list,
                        resource_max_work_s={"A": 2 * H + 600})


@pytest.mark.parametrize("links", [False, True])
def test_insertion_respects_a_single_shift_max_work(links):
    problem = _max_work_problem(links)
    solution = solve_by_insertion(problem, SolveParams(time_limit_s=5))
    assert_feasible(problem, solution)
    assert solution.assigned_jobs()


@pytest.mark.parametrize("links", [False, True])
def test_tiny_time_limit_still_places_what_insertion_places(links):
    problem = _max_work_problem(links)
    floor = solve_by_insertion(problem, SolveParams(time_limit_s=5))
    solution = solve(problem, SolveParams(time_limit_s=0.001))
    assert_feasible(problem, solution)
    assert len(solution.assigned_jobs()) >= len(floor.assigned_jobs()) > 0


def test_search_result_that_drops_more_is_replaced_by_the_insertion_rota():
    from carerounds.routing.solver import _at_least_insertion, _empty_solution

    problem = _max_work_problem(links=True)
    params = SolveParams(time_limit_s=5)
    nothing = _empty_solution(problem, params, "feasible", 0.0)
    kept = _at_least_insertion(problem, params, nothing, 0.0)
    assert kept.source == "insertion"
    assert kept.assigned_jobs()
    assert_feasible(problem, kept)


def test_search_result_is_kept_when_insertion_is_no_better():
    problem = _max_work_problem(links=False)
    solution = solve(problem, SolveParams(time_limit_s=2, solution_limit=50))
    # OR-Tools' search, or PyVRP when installed: either way not the insertion floor.
    assert solution.source in ("search", "pyvrp")
