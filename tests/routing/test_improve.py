"""The improvement loop for problems with pairs, and the schedules it relies on."""

from __future__ import annotations

import random
import time
from dataclasses import replace

import numpy as np
import pytest

from carerounds.routing import Break, Job, Link, SolveParams, Vehicle, Weights, solve
from carerounds.routing import improve as imp
from carerounds.routing.insertion import earliest_schedule, solve_by_insertion
from carerounds.routing.objective import objective
from carerounds.routing.verify import verify_solution

from ._helpers import H, assert_feasible, line_matrix, make_problem

pytest.importorskip("pyvrp")


def _pairs_day(seed: int = 3, n_clients: int = 18, n_workers: int = 5):
    """Soft windows (lateness priced), skills, simultaneous and gapped pairs: Mankowska-like."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 8000, size=(n_clients + 1, 2))
    seconds = np.rint(np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1)) / 6.0)
    jobs, links = [], []
    for c in range(1, n_clients + 1):
        start = 8 * H + int(rng.integers(0, 8)) * 1800
        skill = frozenset({"a" if c % 3 else "b"})
        jobs.append(Job(f"c{c}", c, 1200, start, start + 2 * H, skills=skill,
                        drop_penalty=None, max_lateness_s=6 * H))
        if c % 4 == 0:
            gap = (0, 0) if c % 8 == 0 else (1800, 3600)
            jobs.append(Job(f"c{c}b", c, 1200, start, start + 2 * H, drop_penalty=None,
                            max_lateness_s=6 * H))
            links.append(Link(len(jobs) - 2, len(jobs) - 1, *gap))
    skills = [frozenset({"a", "b"}), frozenset({"a"}), frozenset({"b"}), frozenset({"a"}),
              frozenset({"a", "b"})]
    vehicles = [Vehicle(f"w{k}", f"w{k}", 0, 0, 7 * H, 22 * H, skills=skills[k % 5])
                for k in range(n_workers)]
    return make_problem(seconds.astype(np.int64), jobs, vehicles, links=tuple(links),
                        weights=Weights(travel_s=1, lateness_s=1, max_lateness_s=1))


def test_loop_applies_to_pairs_without_breaks_only():
    problem = _pairs_day()
    assert imp.applies(problem)
    assert not imp.applies(replace(problem, links=()))
    broken = replace(problem, vehicles=tuple(
        replace(v, breaks=(Break(12 * H, 14 * H, 1800),)) for v in problem.vehicles))
    assert not imp.applies(broken)


def test_improve_is_never_worse_than_its_start_and_verified():
    problem = _pairs_day()
    params = SolveParams(time_limit_s=3.0, seed=2)
    start = solve_by_insertion(problem, params)
    assert_feasible(problem, start)
    better = imp.improve(problem, params, start, started=time.perf_counter())
    assert_feasible(problem, better)
    dropped = [u.job for u in better.unassigned]
    assert objective(problem, better.routes, dropped) <= objective(problem, start.routes, [])
    assert better.source in ("improve", start.source)


def test_solve_on_pairs_gives_a_synchronised_verified_rota():
    problem = _pairs_day()
    sol = solve(problem, SolveParams(time_limit_s=3.0, seed=1))
    assert_feasible(problem, sol)
    assert not sol.unassigned
    starts = {s.job: s.start_s for r in sol.routes for s in r.stops}
    for link in problem.links:
        assert link.min_gap_s <= starts[link.second] - starts[link.first] <= link.max_gap_s


def test_pinned_model_pins_pairs_and_caps_lateness():
    problem = _pairs_day()
    sol = solve_by_insertion(problem, SolveParams(time_limit_s=2.0))
    relaxed, pinned = imp._relaxed(problem, sol)
    starts = {s.job: s.start_s for r in sol.routes for s in r.stops}
    linked = {j for lk in problem.links for j in (lk.first, lk.second)}
    assert pinned == {j: starts[j] for j in linked}
    for j, job in enumerate(relaxed.jobs):
        assert job.max_lateness_s == 0 or j in linked
        if j not in linked:
            assert job.tw_end_s == max(problem.jobs[j].tw_end_s, starts[j])
    assert relaxed.weights.lateness_s == relaxed.weights.max_lateness_s == 0


def test_widened_model_drops_links_and_keeps_partners_apart():
    problem = _pairs_day()
    sol = solve_by_insertion(problem, SolveParams(time_limit_s=2.0))
    relaxed, pinned = imp._relaxed(problem, sol, 0.25, random.Random(0))
    assert relaxed.links == () and pinned == {}
    for link in problem.links:
        a = set(relaxed.eligible_vehicles(link.first))
        b = set(relaxed.eligible_vehicles(link.second))
        assert not a & b   # no vehicle may take both once the link is gone


def test_crossing_pairs_have_no_schedule_until_resynchronised():
    # Two double-ups; w1 does pair X then pair Y, w2 does Y then X: no common times.
    matrix = line_matrix([0, 10, 20])
    jobs = [Job("x1", 1, 1800, 9 * H, 12 * H), Job("x2", 1, 1800, 9 * H, 12 * H),
            Job("y1", 2, 1800, 9 * H, 12 * H), Job("y2", 2, 1800, 9 * H, 12 * H)]
    vehicles = [Vehicle("w1", "w1", 0, 0, 7 * H, 19 * H), Vehicle("w2", "w2", 0, 0, 7 * H, 19 * H)]
    problem = make_problem(matrix, jobs, vehicles, links=(Link(0, 1), Link(2, 3)))
    crossing = [[0, 2], [3, 1]]
    assert earliest_schedule(problem, crossing) is None
    assert earliest_schedule(problem, [[0, 2], [1, 3]]) is not None
    found = solve_by_insertion(problem, SolveParams(time_limit_s=1.0))
    routes = imp._resynchronise(problem, crossing, found, SolveParams(time_limit_s=1.0))
    assert routes is not None
    sol = replace(found, routes=routes, unassigned=())
    assert verify_solution(problem, sol) == []


def test_earliest_schedule_waits_for_the_partner_and_prices_it_as_lateness():
    matrix = line_matrix([0, 10, 60])
    jobs = [Job("far", 2, 600, 8 * H, 8 * H, max_lateness_s=2 * H),
            Job("d1", 1, 1800, 8 * H, 8 * H, max_lateness_s=2 * H),
            Job("d2", 1, 1800, 8 * H, 8 * H, max_lateness_s=2 * H)]
    vehicles = [Vehicle("w1", "w1", 0, 0, 7 * H, 19 * H), Vehicle("w2", "w2", 0, 0, 7 * H, 19 * H)]
    problem = make_problem(matrix, jobs, vehicles, links=(Link(1, 2),))
    routes = earliest_schedule(problem, [[0, 1], [2]])
    starts = {s.job: s.start_s for r in routes for s in r.stops}
    # w1 reaches d1 at 8:10 + 50 min: d2's carer waits, both start at 9:00.
    assert starts[0] == 8 * H
    assert starts[1] == starts[2] == 8 * H + 600 + 3000


def test_limited_runs_repeat_exactly_with_the_loop():
    problem = _pairs_day()
    params = SolveParams(time_limit_s=30.0, solution_limit=60, seed=4)
    one, two = solve(problem, params), solve(problem, params)
    assert [[s.job for s in r.stops] for r in one.routes] == \
        [[s.job for s in r.stops] for r in two.routes]


def test_improve_with_ruin_first_is_never_worse_than_its_start_and_verified():
    problem = _pairs_day()
    params = SolveParams(time_limit_s=2.0, seed=2)
    start = solve_by_insertion(problem, params)
    found = imp.improve(problem, params, start, started=time.perf_counter(), lns_share=0.5)
    assert_feasible(problem, found)
    dropped = [u.job for u in found.unassigned]
    assert objective(problem, found.routes, dropped) <= objective(problem, start.routes, [])


def test_portfolio_keeps_the_best_checked_member(monkeypatch):
    from carerounds.routing import solver

    problem = _pairs_day()
    params = SolveParams(time_limit_s=2.0, seed=5)
    good = solve_by_insertion(problem, replace(params, seed=1))
    plain = replace(good, routes=tuple(replace(r, stops=()) for r in good.routes),
                    unassigned=())  # every job dropped, and claims to leave none: rejected
    seen = []

    def member(problem, one, started, *, initial=None, lns_share=0.0):
        seen.append((one.seed, one.workers, lns_share))
        return good if one.seed == params.seed + 1 else plain

    monkeypatch.setattr(solver, "_improving_search", member)
    found = solve(problem, replace(params, workers=2))
    assert [[s.job for s in r.stops] for r in found.routes] == \
        [[s.job for s in r.stops] for r in good.routes]
    # member 0 ran here (member 1 in a forked child, so its call is not seen)
    assert seen == [(params.seed, 1, 0.0)]
