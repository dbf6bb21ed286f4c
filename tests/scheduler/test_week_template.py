"""The week's template: runs replayed whole, a client's visits drawn together, runs swapped."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from carerounds.routing import Job, Problem, Solution, SolveParams, Vehicle, Weights
from carerounds.routing.insertion import Inserter, timed_routes
from carerounds.scheduler.week_template import (
    Line,
    WeekCarers,
    assign_lines,
    draw_together,
    line_jobs,
    settle_runs,
    swap_runs,
    template_routes,
)

H = 3600


def _problem(points, homes, jobs, *, skills=None, weights=None) -> Problem:
    """Points on a line (a minute a unit); ``homes`` maps each carer to their home point."""
    xs = np.asarray(list(points) + list(homes.values()), dtype=np.int64)
    matrix = np.abs(xs[:, None] - xs[None, :]) * 60
    home_at = {w: len(points) + k for k, w in enumerate(homes)}
    vehicles = tuple(Vehicle(id=w, resource=w, start_location=home_at[w],
                             end_location=home_at[w], shift_start_s=7 * H, shift_end_s=15 * H,
                             skills=frozenset((skills or {}).get(w, ())))
                     for w in homes)
    return Problem(jobs=tuple(jobs), vehicles=vehicles, duration_s={"drive": matrix},
                   distance_m={"drive": matrix * 10}, weights=weights or Weights())


def _job(name, location, start_h, **kw) -> Job:
    return Job(id=name, location=location, service_s=1800, tw_start_s=int(start_h * H),
               tw_end_s=int(start_h * H) + H, **kw)


def _served(problem: Problem, routes) -> dict[str, str]:
    return {problem.jobs[j].id: problem.vehicles[v].resource
            for v, seq in enumerate(routes) for j in seq}


def test_line_jobs_give_a_double_ups_two_jobs_to_its_two_lines():
    keys = ["PK1", "PK2", "PK2"]
    assert line_jobs(keys, [Line(("PK1", "PK2")), Line(("PK2",))]) == [[0, 1], [2]]


def test_a_line_goes_to_the_nearest_carer_when_nobody_has_worked_it():
    problem = _problem([10, 12], {"far": 40, "near": 11}, [_job("a", 0, 8), _job("b", 1, 9)])
    ins = Inserter(problem, float("inf"))
    assigned = assign_lines(ins, problem, [[0, 1]], [Line(("a", "b"))])
    assert {i: problem.vehicles[v].resource for i, v in assigned.items()} == {0: "near"}


def test_a_line_goes_back_to_the_carer_who_worked_it_on_other_days():
    # "known" lives 20 minutes further out than "near": less than a day's worth of the line
    problem = _problem([10, 12], {"known": 31, "near": 11}, [_job("a", 0, 8), _job("b", 1, 9)])
    ins = Inserter(problem, float("inf"))
    assigned = assign_lines(ins, problem, [[0, 1]], [Line(("a", "b"), (("known", 2),))])
    assert {i: problem.vehicles[v].resource for i, v in assigned.items()} == {0: "known"}


def test_a_line_never_goes_to_a_carer_who_may_take_none_of_its_visits():
    problem = _problem([10], {"untrained": 10}, [_job("peg", 0, 8, skills=frozenset({"peg"}))])
    ins = Inserter(problem, float("inf"))
    assert assign_lines(ins, problem, [[0]], [Line(("peg",))]) == {}


def test_an_absent_carers_run_goes_whole_to_one_stand_in():
    # visit by visit, the run's first call would go to "west" and its last to "east"
    points = [10, 50, 90]
    jobs = [_job("a", 0, 8), _job("b", 1, 9.5), _job("c", 2, 11)]
    problem = _problem(points, {"west": 0, "east": 100}, jobs)
    keys = ["a", "b", "c"]
    plain = template_routes(problem, keys, {})
    assert len(set(_served(problem, plain).values())) == 2
    routes = template_routes(problem, keys, {}, lines=[Line(("a", "b", "c"), (("off", 5),))])
    assert len(set(_served(problem, routes).values())) == 1
    assert sorted(_served(problem, routes)) == ["a", "b", "c"]


def _two_rounds(weight: int):
    """Client X: a morning call by A, a lunch call by B, whose round also has Y's call there.

    Moving either of X's calls to the other's carer costs two hours of travel, there and
    back, and saves none. Returns the carers of X's calls.
    """
    jobs = [_job("x-morning", 0, 8), _job("x-lunch", 1, 12), _job("y", 1, 13)]
    problem = _problem([0, 60], {"A": 0, "B": 60}, jobs)
    routes = [([0], [8 * H], []), ([1, 2], [12 * H, 13 * H], [])]
    drawn = draw_together(problem, routes, ["X", "X", "Y"], weight=weight)
    served = _served(problem, drawn)
    assert served["y"] == "B" and len(served) == 3
    return {served["x-morning"], served["x-lunch"]}


def test_a_clients_calls_go_to_one_carer_when_one_carer_fewer_is_worth_the_travel():
    assert len(_two_rounds(3 * H)) == 1


def test_a_clients_calls_stay_with_two_carers_when_one_fewer_is_not_worth_the_travel():
    assert _two_rounds(H) == {"A", "B"}


def test_a_whole_run_moves_to_the_carer_its_visits_prefer():
    jobs = [_job("a", 0, 8, preferred_resources=frozenset({"usual"})),
            _job("b", 1, 9, preferred_resources=frozenset({"usual"}))]
    problem = _problem([10, 12], {"usual": 11, "other": 11}, jobs)
    routes = [([], [], []), ([0, 1], [8 * H, 9 * H], [])]  # "other" works the run
    swapped = swap_runs(problem, routes)
    assert _served(problem, swapped) == {"a": "usual", "b": "usual"}


def test_a_run_is_not_swapped_onto_a_carer_who_may_not_work_it():
    jobs = [_job("a", 0, 8, preferred_resources=frozenset({"usual"}),
                 skills=frozenset({"peg"}))]
    problem = _problem([10], {"usual": 10, "other": 10}, jobs, skills={"other": ("peg",)})
    routes = [([], [], []), ([0], [8 * H], [])]
    assert _served(problem, swap_runs(problem, routes)) == {"a": "other"}


def test_a_run_swap_keeps_to_the_problems_weights():
    # with no cost for a carer away from the preferred, there is nothing to gain
    jobs = [_job("a", 0, 8, preferred_resources=frozenset({"usual"}))]
    problem = _problem([10], {"usual": 10, "other": 10}, jobs)
    problem = replace(problem, weights=Weights(non_preferred=0))
    routes = [([], [], []), ([0], [8 * H], [])]
    assert _served(problem, swap_runs(problem, routes)) == {"a": "other"}


def _week(clients, others, weight=3000, **kw) -> WeekCarers:
    return WeekCarers(tuple(clients), {c: Counter(n) for c, n in others.items()}, weight, **kw)


def test_a_run_swap_gives_a_clients_visit_to_their_carer_of_other_days():
    jobs = [_job("a", 0, 8)]
    problem = _problem([10], {"seen": 10, "other": 10}, jobs)
    routes = [([], [], []), ([0], [8 * H], [])]
    week = _week(["c"], {"c": {"seen": 2, "x": 3, "y": 3}})
    assert _served(problem, swap_runs(problem, routes, week=week)) == {"a": "seen"}


def test_a_run_swap_for_the_week_is_not_bought_with_more_travel_than_it_is_worth():
    jobs = [_job("a", 0, 8)]
    problem = _problem([10], {"seen": 40, "other": 10}, jobs)  # "seen" lives 30 min further
    routes = [([], [], []), ([0], [8 * H], [])]
    week = _week(["c"], {"c": {"seen": 2, "x": 3, "y": 3}}, weight=600)
    assert _served(problem, swap_runs(problem, routes, week=week)) == {"a": "other"}


def _solution(problem: Problem, routes) -> Solution:
    ins = Inserter(problem, float("inf"))
    ins.load_routes(routes)
    return Solution(routes=timed_routes(problem, ins), unassigned=(), objective=0, wall_s=0.0,
                    first_solution_s=0.0, status="feasible", params=SolveParams())


def _settled(weight: int):
    # "B" brings the client's lunch call; "A", their carer on the other days, is on shift
    # with a round of another client's next door (theirs all week), so the lunch call can
    # join it, while exchanging the two rounds would only trade one client's carer for
    # the other's
    jobs = [_job("lunch", 0, 12), _job("next door", 1, 9)]
    problem = _problem([10, 10], {"A": 10, "B": 10}, jobs)
    routes = [([1], [9 * H], []), ([0], [12 * H], [])]
    week = _week(["c", "d"], {"c": {"A": 4, "x": 3, "y": 3}, "d": {"A": 6, "p": 5, "q": 5}},
                 weight=weight)
    return problem, settle_runs(problem, _solution(problem, routes), week)


def test_settling_moves_a_visit_to_the_clients_carer_of_the_week():
    problem, settled = _settled(3000)
    assert settled is not None
    assert {problem.jobs[s.job].id: problem.vehicles[r.vehicle].resource
            for r in settled.routes for s in r.stops} == {"lunch": "A", "next door": "A"}


def test_settling_changes_nothing_when_nothing_pays():
    assert _settled(0)[1] is None
