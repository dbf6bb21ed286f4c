"""The upper bound on what any solution can serve (routing/bound.py)."""

import numpy as np
import pytest

from carerounds.errors import SolverError
from carerounds.routing import Break, Job, Link, Problem, SolveParams, Vehicle, solve
from carerounds.routing.bound import placeable_bound


def _line(n_jobs: int, *, window=(0, 3600), service_s=1800, shift=(0, 4 * 3600),
          vehicles: int = 1, skills=frozenset(), links=()) -> Problem:
    """Jobs at locations 1..n on a line 60 s apart; vehicles from location 0."""
    n = n_jobs + 1
    pos = np.arange(n) * 60
    m = np.abs(pos[:, None] - pos[None, :])
    jobs = [Job(f"J{i}", i, service_s, *window, skills=skills) for i in range(1, n)]
    fleet = [Vehicle(f"V{k}", f"R{k}", 0, 0, *shift) for k in range(vehicles)]
    return Problem(jobs, fleet, {"drive": m}, {"drive": m * 10}, links=links)


def test_enough_time_bounds_every_job():
    bound = placeable_bound(_line(3, window=(0, 7200)))
    assert bound.served_whole == 3


def test_one_worker_cannot_start_four_half_hours_within_half_an_hour():
    # each job must start within [0, 1800] and lasts 30 min: one vehicle's work must all
    # lie in [0, 3600], room for fewer than two jobs with their travel
    problem = _line(4, window=(0, 1800), service_s=1800)
    bound = placeable_bound(problem)
    solution = solve(problem)
    assert len(problem.jobs) - len(solution.unassigned) <= bound.served_whole < 4


def test_a_job_without_a_qualified_vehicle_is_unreachable():
    problem = _line(2, skills=frozenset({"hoist"}))
    bound = placeable_bound(problem)
    assert bound.served_whole == 0 and bound.unreachable == (0, 1)


def test_linked_jobs_count_together_and_need_two_vehicles_at_once():
    problem = _line(2, links=(Link(0, 1),), window=(0, 0))
    bound = placeable_bound(problem, weights=[0.5, 0.5])
    assert bound.share[0] == pytest.approx(bound.share[1])
    assert bound.served <= 1.0 + 1e-9


def test_no_bound_is_below_what_a_solver_serves():
    problem = _line(12, window=(0, 7200), service_s=2400, vehicles=2)
    bound = placeable_bound(problem)
    solution = solve(problem)
    assert len(problem.jobs) - len(solution.unassigned) <= bound.served_whole


def test_bound_is_below_the_job_count_when_time_runs_out():
    problem = _line(12, window=(0, 7200), service_s=2400, vehicles=2)
    assert placeable_bound(problem).served_whole < 12


def test_mandatory_jobs_that_cannot_be_served_are_an_error():
    problem = _line(1, skills=frozenset({"hoist"}))
    problem = Problem([Job("J1", 1, 60, 0, 60, skills=frozenset({"hoist"}),
                           drop_penalty=None)], problem.vehicles, problem.duration_s,
                      problem.distance_m)
    with pytest.raises(SolverError):
        placeable_bound(problem)


def test_a_start_leads_to_one_job_only():
    # the vehicle's start is a minute from each job, the jobs ten minutes from each other:
    # only the first job of the route comes from the start, the others pay the longer leg
    m = np.full((4, 4), 600)
    m[0, :] = m[:, 0] = 60
    np.fill_diagonal(m, 0)
    jobs = [Job(f"J{i}", i, 1800, 0, 6000) for i in range(1, 4)]
    problem = Problem(jobs, [Vehicle("V", "R", 0, 0, 0, 6000)], {"drive": m}, {"drive": m})
    # three jobs with only the start's legs (5,580 s) would fit the 6,000 s shift
    assert placeable_bound(problem).served_whole == 2
    # with no arcs kept, each job's one far arc charges only its shortest leg in
    assert placeable_bound(problem, arcs=0).served_whole == 3


def test_a_break_taken_while_waiting_is_not_counted_twice():
    # two hour-long visits at one place, at 50 min and at 2 h 50 min (50 min's drive
    # there, none back): the half-hour break fits in the hour of waiting between them,
    # so one worker does both in a 3 h 50 min shift
    m = np.array([[0, 3000], [0, 0]])
    jobs = [Job("A", 1, 3600, 3000, 3000), Job("B", 1, 3600, 10200, 10200)]
    worker = Vehicle("V", "R", 0, 0, 0, 13800, breaks=(Break(6600, 8400, 1800),))
    problem = Problem(jobs, [worker], {"drive": m}, {"drive": m})
    assert not solve(problem, SolveParams(time_limit_s=2, seed=1)).unassigned
    assert placeable_bound(problem).served_whole == 2


def _random_day(seed: int, *, n_loc: int = 16, vehicles: int = 3) -> Problem:
    """Jobs in half-hour windows over a morning, one hoist vehicle, breaks on two."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1200, size=(n_loc, 2))
    m = np.rint(np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)).astype(np.int64)
    jobs = []
    for i in range(1, n_loc):
        start = int(rng.integers(7, 12)) * 1800
        jobs.append(Job(f"J{i}", i, int(rng.choice([900, 1800, 2700])), start,
                        start + int(rng.choice([0, 900, 1800])),
                        skills=frozenset({"hoist"}) if rng.random() < 0.2 else frozenset()))
    fleet = [Vehicle(f"V{k}", f"R{k}", 0, 0, 3 * 3600 + 1800 * k, 7 * 3600 + 1800 * k,
                     skills=frozenset({"hoist"}) if k == 0 else frozenset(),
                     breaks=(Break(4 * 3600, 5 * 3600, 900),) if k < 2 else ())
             for k in range(vehicles)]
    return Problem(jobs, fleet, {"drive": m}, {"drive": m})


@pytest.mark.parametrize("seed", range(6))
def test_random_days_bound_what_a_solver_serves(seed):
    problem = _random_day(seed)
    served = len(problem.jobs) - len(solve(problem, SolveParams(time_limit_s=2,
                                                                seed=seed)).unassigned)
    assert served <= placeable_bound(problem).served_whole


def test_whole_jobs_prove_less_than_the_lp_and_no_less_than_a_solver_serves():
    # on this day the LP serves 16.8 jobs in fractions; with whole jobs, legs and start
    # bins no more than 15 fit
    problem = _random_day(5, n_loc=30, vehicles=4)
    lp = placeable_bound(problem)
    whole = placeable_bound(problem, integer_time_limit_s=20)
    served = len(problem.jobs) - len(solve(problem, SolveParams(time_limit_s=2,
                                                                seed=5)).unassigned)
    assert served <= whole.served_whole < lp.served_whole
    assert whole.lp_served == pytest.approx(lp.served)


def _two_providers() -> Problem:
    """Two groups of jobs and vehicles that share nothing (a skill each)."""
    n = 9
    pos = np.arange(n) * 120
    m = np.abs(pos[:, None] - pos[None, :])
    jobs = [Job(f"J{i}", i, 1800, 0, 3600, skills=frozenset({"a" if i <= 4 else "b"}))
            for i in range(1, n)]
    fleet = [Vehicle(f"V{k}", f"R{k}", 0, 0, 0, 3 * 3600,
                     skills=frozenset({"a" if k == 0 else "b"})) for k in range(2)]
    return Problem(jobs, fleet, {"drive": m}, {"drive": m})


def test_blocks_no_row_joins_are_solved_apart_to_the_same_bound(monkeypatch):
    import carerounds.routing.bound as bound

    problem = _two_providers()
    together = placeable_bound(problem)
    monkeypatch.setattr(bound, "_BLOCK_MIN", 1)
    apart = placeable_bound(problem)
    assert (together.blocks, apart.blocks) == (1, 2)
    assert apart.served == pytest.approx(together.served)
