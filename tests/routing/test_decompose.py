"""The decomposed engine: groups solved apart, repaired across, every job accounted for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from carerounds.routing import Job, Link, Problem, SolveParams, Stop, Vehicle, decompose, solve_by_insertion
from carerounds.routing.decompose import Group, _parts_of, _State, solve_decomposed, subproblem
from carerounds.routing.verify import verify_solution


def _two_towns() -> Problem:
    """Two towns 30 min apart; town B has more work than its one worker can do."""
    rng = np.random.default_rng(7)
    a = rng.normal(0, 300, size=(8, 2))
    b = rng.normal(0, 300, size=(8, 2)) + np.array([30_000.0, 0.0])
    points = np.vstack([[[0.0, 0.0]], a, [[30_000.0, 0.0]], b])
    metres = np.rint(np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1)))
    seconds = np.rint(metres / 15.0)  # 54 km/h
    jobs = []
    for i in range(8):
        jobs.append(Job(f"A{i}", 1 + i, 1200, 8 * 3600, 11 * 3600))
    for i in range(8):
        jobs.append(Job(f"B{i}", 10 + i, 1200, 8 * 3600, 11 * 3600))
    jobs.append(Job("B8", 10, 1800, 9 * 3600, 9 * 3600 + 1800))
    jobs.append(Job("B8/2", 10, 1800, 9 * 3600, 9 * 3600 + 1800))
    vehicles = [Vehicle("wa1", "wa1", 0, 0, 7 * 3600, 13 * 3600),
                Vehicle("wa2", "wa2", 0, 0, 7 * 3600, 13 * 3600),
                Vehicle("wb1", "wb1", 9, 9, 7 * 3600, 13 * 3600)]
    return Problem(jobs=tuple(jobs), vehicles=tuple(vehicles),
                   duration_s={"drive": seconds}, distance_m={"drive": metres},
                   links=(Link(16, 17),))


GROUPS = [Group("A", tuple(range(8)), (0, 1)), Group("B", tuple(range(8, 18)), (2,))]


def test_subproblem_keeps_only_used_locations():
    problem = _two_towns()
    sub = subproblem(problem, GROUPS[1].jobs, GROUPS[1].vehicles)
    assert sub.problem.n_locations == 9  # town B's depot and 8 homes
    assert len(sub.problem.links) == 1
    job = sub.problem.jobs[0]
    assert sub.locations[job.location] == problem.jobs[8].location


def test_groups_must_partition_jobs():
    with pytest.raises(ValueError, match="partition"):
        solve_decomposed(_two_towns(), GROUPS[:1], SolveParams(time_limit_s=3), processes=1)


def test_decomposed_solution_is_feasible_and_complete():
    problem = _two_towns()
    solution = solve_decomposed(problem, GROUPS, SolveParams(time_limit_s=8, seed=1),
                                processes=2)
    assert verify_solution(problem, solution) == []
    served = solution.assigned_jobs()
    assert served | {u.job for u in solution.unassigned} == set(range(len(problem.jobs)))
    assert not served & {u.job for u in solution.unassigned}


@pytest.mark.parametrize("boundary_rounds", [False, True], ids=["default", "boundary_rounds"])
def test_other_towns_spare_workers_take_a_double_up_one_town_cannot_serve(
        boundary_rounds, monkeypatch):
    monkeypatch.setattr(decompose, "BOUNDARY_ROUNDS", boundary_rounds)
    problem = _two_towns()
    solution = solve_decomposed(problem, GROUPS, SolveParams(time_limit_s=10, seed=1),
                                processes=2)
    # town B's lone worker cannot do the double-up alone; town A's workers can help
    assert {16, 17} <= solution.assigned_jobs()
    helpers = {r.vehicle for r in solution.routes for s in r.stops if s.job in (16, 17)}
    assert len(helpers) == 2


def test_decomposed_is_never_worse_than_one_insertion_pass():
    problem = _two_towns()
    seeded = solve_by_insertion(problem, SolveParams(time_limit_s=5.0, seed=1))
    solution = solve_decomposed(problem, GROUPS, SolveParams(time_limit_s=6, seed=1),
                                processes=2)
    assert verify_solution(problem, solution) == []
    assert solution.objective <= seeded.objective


def test_pair_served_across_areas_keeps_its_start_in_each_area():
    problem = _two_towns()
    state = _State(routes={}, unassigned={})
    start = 9 * 3600 + 600
    template = solve_by_insertion(problem, SolveParams(time_limit_s=5.0)).routes[0]

    def stop(job: int, at: int) -> Stop:
        return Stop(job=job, arrival_s=at, start_s=at, end_s=at + 1200, travel_s=0, distance_m=0)

    # a town-A worker busy in town A also does half of town B's double-up at 09:10
    state.routes[0] = replace(template, vehicle=0, breaks=(),
                              stops=(stop(0, 8 * 3600), stop(1, 8 * 3600 + 1800), stop(16, start)))
    state.routes[2] = replace(template, vehicle=2, breaks=(), stops=(stop(17, start),))
    parts = _parts_of(problem, GROUPS, state)
    assert [sorted(p[2]) for p in parts] == [[16], [17]]
    sub = subproblem(problem, parts[0][0], parts[0][1], pin=parts[0][2])
    pinned = sub.problem.jobs[sub.jobs.index(16)]
    assert (pinned.tw_start_s, pinned.tw_end_s) == (start, start)


def _send_half_a_result(ready_path: str) -> None:
    """In a pool worker: start a result message on the result pipe, never finish it."""
    import os
    import struct
    import sys
    import time

    queue = sys._getframe(1).f_locals.get("result_queue")
    if queue is not None:
        os.write(queue._writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    with open(ready_path, "w") as f:
        f.write("ok" if queue is not None else "no queue")
    time.sleep(60)


def test_stopping_the_pool_does_not_hang_on_a_half_sent_result(tmp_path):
    """A worker killed mid-send must not leave the pool's shutdown waiting for ever."""
    import concurrent.futures as cf
    import multiprocessing
    import threading
    import time

    from carerounds.routing.decompose import _stop_pool

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method (as the decomposed engine uses)")
    ready = tmp_path / "ready"
    pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    pool.submit(_send_half_a_result, str(ready))
    for _ in range(200):
        if ready.exists() and ready.read_text():
            break
        time.sleep(0.05)
    if ready.read_text() != "ok":
        pytest.skip("this Python's pool worker keeps its result queue elsewhere")
    stopper = threading.Thread(target=_stop_pool, args=(pool,), daemon=True)
    stopper.start()
    stopper.join(timeout=20)
    assert not stopper.is_alive()


def test_a_part_is_judged_by_its_whole_cost_not_its_travel_alone():
    from carerounds.routing.decompose import _sub_cost
    from carerounds.routing.objective import objective

    problem = _two_towns()
    # town A's visits prefer a worker of town B: serving them in town A costs continuity
    jobs = tuple(replace(j, preferred_resources=frozenset({"wb1"})) if j.id.startswith("A")
                 else j for j in problem.jobs)
    problem = replace(problem, jobs=jobs)
    sub = subproblem(problem, GROUPS[0].jobs, GROUPS[0].vehicles)
    solution = solve_by_insertion(sub.problem, SolveParams(time_limit_s=2))
    served = [(r, s) for r in solution.routes for s in r.stops]
    assert served and not solution.unassigned
    travel = sum(problem.weights.travel_s * r.travel_s for r in solution.routes)
    full = tuple(replace(r, vehicle=sub.vehicles[r.vehicle], stops=tuple(
        replace(s, job=sub.jobs[s.job]) for s in r.stops)) for r in solution.routes)
    cost = _sub_cost(problem, sub, solution)
    assert cost == travel + problem.weights.non_preferred * len(served)
    assert cost == objective(problem, full, [])


def test_first_area_rounds_use_the_solver_and_later_ones_ruin_and_recreate(monkeypatch):

    seen: list[bool] = []
    original = decompose._Run.area_round

    def recording(self, pool, seed, *, lns=False):
        seen.append(lns)
        return original(self, pool, seed, lns=lns)

    monkeypatch.setattr(decompose._Run, "area_round", recording)
    problem = _two_towns()
    solution = solve_decomposed(problem, GROUPS, SolveParams(time_limit_s=8, seed=1),
                                processes=2)
    assert verify_solution(problem, solution) == []
    assert len(seen) >= 2  # an idle round ends the loop only after a second one
    rounds = decompose.SOLVER_ROUNDS
    assert seen[:rounds] == [False] * rounds
    assert all(seen[rounds:])
