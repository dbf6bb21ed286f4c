"""Overtime and waiting priced: the planner trades for them only when the weights say so."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from carerounds.routing import Job, SolveParams, Vehicle, Weights, solve
from carerounds.routing.objective import objective
from carerounds.routing.verify import verify_solution

from ._helpers import H, assert_feasible, line_matrix, make_problem, served_by

MIN = 60
PARAMS = SolveParams(time_limit_s=3.0, solution_limit=300, seed=1)


@pytest.fixture(params=["pyvrp", "ortools"])
def engine(request, monkeypatch):
    """Run each test through PyVRP (when installed) and through OR-Tools alone."""
    if request.param == "pyvrp":
        pytest.importorskip("pyvrp")
    else:
        monkeypatch.setitem(sys.modules, "pyvrp", None)  # import fails: OR-Tools path
    return request.param


def _idle_morning(weights: Weights):
    """Worker 1 has fixed visits at 9:00 and 12:00 next door, idle in between; a third
    visit is far from worker 1 but next to worker 2's home.

    Worker 2 taking it costs 10 minutes of travel and leaves worker 1 waiting 2.5 hours;
    worker 1 taking it between the fixed visits costs 80 minutes of travel and leaves
    1 hour of waiting.
    """
    matrix = line_matrix([0, 10, 40, 45])  # homes at 0 and 45 min; P at 10, Q at 40
    jobs = [Job("P1", 1, 30 * MIN, 9 * H, 9 * H, skills=frozenset({"p"})),
            Job("P2", 1, 30 * MIN, 12 * H, 12 * H, skills=frozenset({"p"})),
            Job("Q", 2, 30 * MIN, 9 * H, 14 * H)]
    vehicles = [Vehicle("w1", "w1", 0, 0, 7 * H, 19 * H, skills=frozenset({"p"})),
                Vehicle("w2", "w2", 3, 3, 7 * H, 19 * H)]
    return make_problem(matrix, jobs, vehicles, weights=weights)


def _totals(solution):
    travel = sum(r.travel_s for r in solution.routes)
    waiting = sum(r.waiting_s for r in solution.routes)
    return travel, waiting


def test_priced_waiting_trades_a_little_travel_for_less_waiting(engine):
    free = _idle_morning(Weights(travel_s=1, waiting_s=0))
    priced = _idle_morning(Weights(travel_s=1, waiting_s=1))
    a, b = solve(free, PARAMS), solve(priced, PARAMS)
    assert_feasible(free, a)
    assert_feasible(priced, b)
    assert served_by(free, a)["Q"] == "w2"      # waiting free: the short trip wins
    assert served_by(priced, b)["Q"] == "w1"    # waiting priced: fill the idle morning
    travel_a, waiting_a = _totals(a)
    travel_b, waiting_b = _totals(b)
    assert waiting_b < waiting_a
    assert travel_b > travel_a
    assert (travel_a, waiting_a) == (30 * MIN, 150 * MIN)
    assert (travel_b, waiting_b) == (80 * MIN, 60 * MIN)
    assert objective(priced, b.routes, []) == travel_b + waiting_b
    assert b.source == ("pyvrp" if engine == "pyvrp" else "search")


def test_waiting_is_reported_where_the_worker_waits(engine):
    problem = _idle_morning(Weights(travel_s=1, waiting_s=1))
    sol = solve(problem, PARAMS)
    route = next(r for r in sol.routes if len(r.stops) == 3)
    waits = [s.start_s - s.arrival_s for s in route.stops]
    # Q starts as late as the 12:00 visit allows, so the hour is spent before Q.
    assert waits == [0, 60 * MIN, 0]
    assert route.waiting_s == 60 * MIN


def _late_visit(weights: Weights, mandatory: bool = False):
    """A visit at 11:30 for 30 minutes, 20 minutes from home, on a shift ending at 12:00."""
    matrix = line_matrix([0, 20])
    jobs = [Job("late", 1, 30 * MIN, 11 * H + 30 * MIN, 11 * H + 30 * MIN,
                drop_penalty=None if mandatory else 100_000)]
    vehicles = [Vehicle("w1", "w1", 0, 0, 8 * H, 12 * H)]
    return make_problem(matrix, jobs, vehicles, weights=weights)


def test_overtime_within_the_limit_is_worked_and_priced(engine):
    problem = _late_visit(Weights(overtime_s=2, max_overtime_s=30 * MIN))
    sol = solve(problem, PARAMS)
    assert_feasible(problem, sol)
    (route,) = sol.routes
    assert [s.job for s in route.stops] == [0]
    assert route.end_s == 12 * H + 20 * MIN
    assert route.overtime_s == 20 * MIN
    assert objective(problem, sol.routes, []) == 40 * MIN + 2 * 20 * MIN


@pytest.mark.parametrize("weights", [Weights(overtime_s=0, max_overtime_s=H),
                                     Weights(overtime_s=2, max_overtime_s=10 * MIN)],
                         ids=["unpriced", "over_the_limit"])
def test_overtime_is_refused_unpriced_or_past_its_limit(engine, weights):
    problem = _late_visit(weights)
    sol = solve(problem, PARAMS)
    assert_feasible(problem, sol)
    assert not sol.assigned_jobs()
    assert [u.cause for u in sol.unassigned] == ["no_shift_covers_window"]


@pytest.mark.parametrize("rate, who", [(1, "w1"), (2, "w2")])
def test_overtime_is_worked_only_when_cheaper_than_the_alternative(engine, rate, who):
    # w1: 40 min of travel and 20 min of overtime; w2 (shift to 18:00): 70 min of travel.
    # At 1 per second of overtime w1 costs 3600 against 4200; at 2 it costs 4800.
    matrix = line_matrix([0, 20, 55])
    jobs = [Job("late", 1, 30 * MIN, 11 * H + 30 * MIN, 11 * H + 30 * MIN, drop_penalty=None)]
    vehicles = [Vehicle("w1", "w1", 0, 0, 8 * H, 12 * H), Vehicle("w2", "w2", 2, 2, 8 * H, 18 * H)]
    problem = make_problem(matrix, jobs, vehicles,
                           weights=Weights(overtime_s=rate, max_overtime_s=H))
    sol = solve(problem, PARAMS)
    assert_feasible(problem, sol)
    assert served_by(problem, sol) == {"late": who}
    assert sum(r.overtime_s for r in sol.routes) == (20 * MIN if who == "w1" else 0)


def test_verify_accepts_priced_overtime_and_rejects_it_otherwise():
    priced = _late_visit(Weights(overtime_s=2, max_overtime_s=30 * MIN), mandatory=True)
    sol = solve(priced, PARAMS)
    assert verify_solution(priced, sol) == []
    unpriced = priced.with_weights(Weights())
    kinds = {v.kind for v in verify_solution(unpriced, sol)}
    assert kinds == {"shift"}
    tight = priced.with_weights(Weights(overtime_s=2, max_overtime_s=10 * MIN))
    assert {v.kind for v in verify_solution(tight, sol)} == {"shift"}


def test_verify_checks_the_stated_overtime():
    problem = _late_visit(Weights(overtime_s=2, max_overtime_s=30 * MIN), mandatory=True)
    sol = solve(problem, PARAMS)
    (route,) = sol.routes
    wrong = replace(sol, routes=(replace(route, overtime_s=0),))
    assert [v.kind for v in verify_solution(problem, wrong)] == ["shift"]


def test_default_weights_keep_a_hard_shift_end_and_free_waiting():
    w = Weights()
    assert (w.overtime_s, w.max_overtime_s, w.waiting_s, w.overtime_allowed_s) == (0, 0, 0, 0)
    assert Weights.from_mapping({"overtime_s": 3, "max_overtime_s": 900}).overtime_allowed_s == 900
