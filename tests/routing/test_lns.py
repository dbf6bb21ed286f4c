"""Ruin and recreate over a whole rota (routing.lns)."""

import random
import time
from dataclasses import replace

import numpy as np
import pytest

from carerounds.routing import Break, Job, Link, Solution, SolveParams, Vehicle
from carerounds.routing.insertion import Inserter, solution_from, solve_by_insertion, timed_routes
from carerounds.routing.lns import _Loop, ruin_and_recreate
from carerounds.routing.objective import objective
from carerounds.routing.verify import verify_solution

from ._helpers import H, assert_feasible, line_matrix, make_problem


def _day(seed: int = 3):
    """40 visits on a 2-D grid, four carers with a break each, one double-up."""
    rng = random.Random(seed)
    points = [(0, 0)] + [(rng.randrange(30), rng.randrange(30)) for _ in range(40)]
    xy = np.array(points)
    matrix = (np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2) * 40).astype(np.int64)
    jobs = []
    for k in range(40):
        start = 8 * H + rng.randrange(8) * H
        jobs.append(Job(f"J{k}", k + 1, 1200, start, start + 2 * H, drop_penalty=1_000_000))
    vehicles = [Vehicle(f"W{v}", f"W{v}", 0, 0, 7 * H, 19 * H,
                        breaks=(Break(12 * H, 14 * H, 1800),)) for v in range(4)]
    links = (Link(0, 1, 0, 0),)
    return make_problem(matrix, jobs, vehicles, links=links)


def _poor_start(problem):
    """A feasible rota from insertion in a jittered order: plenty for the loop to improve."""
    return solve_by_insertion(problem, SolveParams(time_limit_s=5, seed=11), complete=True)


def _travel(solution) -> int:
    return sum(r.travel_s for r in solution.routes)


def test_the_result_is_feasible_and_costs_less():
    problem = _day()
    start = _poor_start(problem)
    found, stats = ruin_and_recreate(problem, start, deadline=time.perf_counter() + 60,
                                     seed=1, max_iterations=400)
    assert_feasible(problem, found)
    assert stats.accepted > 0
    assert stats.cost_after < stats.cost_before
    assert _travel(found) < _travel(start)


def test_no_served_job_is_given_up():
    problem = _day()
    start = _poor_start(problem)
    found, _ = ruin_and_recreate(problem, start, deadline=time.perf_counter() + 60,
                                 seed=2, max_iterations=300)
    assert len(found.assigned_jobs()) >= len(start.assigned_jobs())
    dropped = [u.job for u in found.unassigned]
    assert objective(problem, found.routes, dropped) <= objective(
        problem, start.routes, [u.job for u in start.unassigned])


def test_the_same_seed_and_iterations_give_the_same_rota():
    problem = _day()
    start = _poor_start(problem)
    runs = [ruin_and_recreate(problem, start, deadline=time.perf_counter() + 60, seed=5,
                              max_iterations=150)[0] for _ in range(2)]
    assert [[s.job for s in r.stops] for r in runs[0].routes] == \
        [[s.job for s in r.stops] for r in runs[1].routes]


def test_the_double_up_stays_together():
    problem = _day()
    found, _ = ruin_and_recreate(problem, _poor_start(problem),
                                 deadline=time.perf_counter() + 60, seed=4, max_iterations=300)
    starts = {s.job: (s.start_s, r.vehicle) for r in found.routes for s in r.stops}
    assert 0 in starts and 1 in starts
    assert starts[0][0] == starts[1][0] and starts[0][1] != starts[1][1]


def test_nothing_to_gain_returns_the_solution_itself():
    problem = _day()
    start = _poor_start(problem)
    found, stats = ruin_and_recreate(problem, start, deadline=time.perf_counter() - 1, seed=1)
    assert found is start and stats.iterations == 0


def test_a_worker_over_their_limit_by_the_inserters_timing_is_frozen_on_load():
    """Routes timed more tightly than the inserter can reproduce must not be moved."""
    m = np.array([[0, 600], [600, 0]])
    jobs = [Job("A", 1, 3600, 9 * H, 9 * H), Job("B", 1, 3600, 15 * H, 15 * H)]
    vehicles = [Vehicle("W#1", "W", 0, 0, 8 * H, 12 * H), Vehicle("W#2", "W", 0, 0, 14 * H, 18 * H)]
    # each shift leaves 10 min before its visit and is back 10 min after: 2 x 80 min
    problem = make_problem(m, jobs, vehicles, resource_max_work_s={"W": 150 * 60})
    ins = Inserter(problem, float("inf"))
    ins.load_routes([([0], [9 * H], []), ([1], [15 * H], [])])
    assert ins.frozen == {0, 1}


def test_solution_from_keeps_unchanged_routes_exactly():
    problem = _day()
    start = _poor_start(problem)
    ins = Inserter(problem, float("inf"))
    ins.load_solution(start)
    assert solution_from(problem, start, ins).routes == start.routes


def _with_preferences_and_mileage(problem):
    """The same day with continuity preferences, mileage priced and soft windows."""
    rng = random.Random(7)
    jobs = tuple(replace(job, preferred_resources=frozenset({f"W{rng.randrange(4)}"}),
                         max_lateness_s=rng.choice((0, 900)))
                 for job in problem.jobs)
    return replace(problem, jobs=jobs, distance_m={m: a * 10 for m, a in
                                                  problem.duration_s.items()},
                   weights=replace(problem.weights, distance_m=1))


@pytest.mark.parametrize("variant", ["plain", "preferences_and_mileage", "waiting_priced"])
def test_the_bounded_search_finds_the_place_trying_every_place_finds(variant):
    problem = _day()
    if variant == "preferences_and_mileage":
        problem = _with_preferences_and_mileage(problem)
    elif variant == "waiting_priced":
        problem = replace(problem, weights=replace(problem.weights, waiting_s=1))
    ins = Inserter(problem, float("inf"))
    ins.load_solution(_poor_start(problem))
    rng = random.Random(1)
    compared = 0
    for _ in range(30):
        out = rng.sample([j for j in range(len(problem.jobs)) if j not in ins.linked], 3)
        ins.remove(out)
        for j in out:
            every = ins._candidates(j)
            want = min(every, key=lambda c: (c[0], c[1], c[2]))[:3] if every else None
            got = ins._cheapest(j)
            assert (got[:3] if got else None) == want
            compared += want is not None
            if got:
                ins._apply(got[1], got[2], j, got[3])
    assert compared > 60


def test_the_loops_running_cost_and_places_match_a_recount():
    problem = _day()
    # two carers for forty visits: steps that leave visits out are tried and refused
    problem = replace(problem, vehicles=problem.vehicles[:2])
    ins = Inserter(problem, float("inf"))
    ins.load_solution(_poor_start(problem))
    loop = _Loop(problem, ins, random.Random(4))
    accepted = 0
    for _ in range(200):
        accepted += loop.step()
        assert loop.current == loop.cost()
        assert loop.where == loop.served()
    assert accepted > 0


def _midday_break_route():
    """One carer 08:00-17:00 with a 30 min break taken 12:00-14:00, visits all day."""
    m = line_matrix([0, 1, 2, 3, 4], seconds_per_unit=300)
    jobs = [Job(f"J{k}", k + 1, 1800, (9 + 2 * k) * H, (9 + 2 * k) * H + 1800)
            for k in range(4)]
    vehicle = Vehicle("W", "W", 0, 0, 8 * H, 17 * H, breaks=(Break(12 * H, 14 * H, 1800),))
    return make_problem(m, jobs, [vehicle])


@pytest.mark.parametrize("break_starts", [[], [8 * H]], ids=["not_given", "out_of_place"])
def test_a_route_whose_break_does_not_fit_where_given_loads_with_it_moved(break_starts):
    """Freezing a route spreads to the worker's other shifts and partners: avoid it."""
    problem = _midday_break_route()
    starts = [9 * H, 11 * H, 13 * H, 15 * H]
    ins = Inserter(problem, float("inf"))
    ins.load_routes([([0, 1, 2, 3], starts, break_starts)])
    assert ins.frozen == set()
    assert [x for x in ins.seqs[0] if x >= 0] == [0, 1, 2, 3]
    # the break sits between the visits at 11:00 and 13:00, the only gap in its window
    assert ins.seqs[0].index(-1) == 2


def _split_shift_worker():
    """A worker with a morning and an afternoon shift and 170 min of work between them.

    The morning's first visit may start at 09:00 or as late as 10:30; its second is at
    11:00 sharp, at the same place. At earliest times the morning spans 170 min (a wait
    of 90), as late as the second visit allows 80; the afternoon spans 80.
    """
    m = np.array([[0, 600], [600, 0]])
    jobs = [Job("A", 1, 1800, 9 * H, 10 * H + 1800), Job("C", 1, 1800, 11 * H, 11 * H),
            Job("B", 1, 3600, 15 * H, 15 * H)]
    vehicles = [Vehicle("W#1", "W", 0, 0, 8 * H, 12 * H),
                Vehicle("W#2", "W", 0, 0, 14 * H, 18 * H)]
    return make_problem(m, jobs, vehicles, resource_max_work_s={"W": 170 * 60})


def test_a_split_shift_worker_within_their_limit_at_latest_times_is_not_frozen():
    problem = _split_shift_worker()
    ins = Inserter(problem, float("inf"))
    ins.load_routes([([0, 1], [9 * H, 11 * H], []), ([2], [15 * H], [])])
    assert ins.frozen == set()


def test_insertion_uses_the_latest_times_and_its_rota_keeps_the_work_limit():
    problem = _split_shift_worker()
    found = solve_by_insertion(problem, SolveParams(time_limit_s=5, seed=1), complete=True)
    assert found.unassigned == ()
    assert_feasible(problem, found)
    first = {problem.jobs[s.job].id: s.start_s for r in found.routes for s in r.stops}
    assert first["A"] == 10 * H + 1800


def test_a_double_up_moved_earlier_does_not_take_the_wait_a_work_limit_counted_on():
    """The inserter starts A late, in the wait before the double-up at 10:30; moving the
    double-up to its earliest time (09:30) would take that wait and with it the limit."""
    m = np.array([[0, 600], [600, 0]])
    jobs = [Job("A", 1, 1800, 9 * H, 10 * H), Job("P", 1, 1800, 9 * H + 1800, 11 * H),
            Job("Q", 1, 1800, 9 * H + 1800, 11 * H), Job("R", 1, 1800, 14 * H, 14 * H)]
    vehicles = [Vehicle("W", "W", 0, 0, 8 * H, 18 * H), Vehicle("X", "X", 0, 0, 8 * H, 18 * H)]
    # W's day from 09:50 (A at 10:00) to 14:40, back from R: 290 min; from 08:50, 350
    problem = make_problem(m, jobs, vehicles, links=(Link(1, 2, 0, 0),),
                           resource_max_work_s={"W": 290 * 60})
    ins = Inserter(problem, float("inf"))
    ins.load_routes([([0, 1, 3], [9 * H, 10 * H + 1800, 14 * H], []),
                     ([2], [10 * H + 1800], [])])
    assert ins.frozen == set()
    routes = timed_routes(problem, ins)
    assert_feasible(problem, Solution(routes=routes, unassigned=(), objective=0, wall_s=0.0,
                                      first_solution_s=None, status="feasible",
                                      params=SolveParams(time_limit_s=1)))


def test_a_worker_whose_times_cannot_keep_a_limit_leaves_the_others_times_alone():
    """F's loaded shifts break F's limit whatever the times; W's keep W's at latest times."""
    split = _split_shift_worker()
    jobs = split.jobs + (Job("F1", 1, 3600, 9 * H, 9 * H), Job("F2", 1, 3600, 15 * H, 15 * H))
    vehicles = split.vehicles + (Vehicle("F#1", "F", 0, 0, 8 * H, 12 * H),
                                 Vehicle("F#2", "F", 0, 0, 14 * H, 18 * H))
    problem = make_problem(np.array([[0, 600], [600, 0]]), jobs, vehicles,
                           resource_max_work_s={"W": 170 * 60, "F": 150 * 60})
    ins = Inserter(problem, float("inf"))
    ins.load_routes([([0, 1], [9 * H, 11 * H], []), ([2], [15 * H], []),
                     ([3], [9 * H], []), ([4], [15 * H], [])])
    assert ins.frozen == {2, 3}
    routes = timed_routes(problem, ins)
    found = Solution(routes=routes, unassigned=(), objective=0, wall_s=0.0,
                     first_solution_s=None, status="feasible", params=SolveParams(time_limit_s=1))
    broken = {v.vehicle for v in verify_solution(problem, found)}
    assert broken and broken <= {"F#1", "F#2"}
