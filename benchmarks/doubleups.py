"""Double-ups at scale: pairs placed and visits dropped on synthetic home-care days.

Usage: ``python benchmarks/doubleups.py [--seeds 1,2,3] [--visits 200] [--pairs 0.12]
[--workers 30] [--budget 10] [--variants plain,no_repair,ours,unlinked] [--json FILE]``

Each day is generated from a seed: clients in a 15 km square with 1-4 visits a day
around 07:30, 12:00, 17:00 and 21:00 (windows of +-30 min), a share of the visits
needing two carers (two linked jobs with the same start), some needing a skill,
some critical; workers living in the same square on split or long shifts, driving at
30 km/h over 1.3 x the straight line. Every solution is checked with
``carerounds.routing.verify``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import split_names, table  # noqa: E402

from carerounds.routing import Job, Link, Problem, SolveParams, Vehicle, Weights  # noqa: E402
from carerounds.routing.verify import verify_solution  # noqa: E402

H = 3600
ROUNDS = [(7 * H + 1800, 30, 45), (12 * H, 20, 40), (17 * H, 20, 40), (21 * H, 15, 30)]
SHIFT_PATTERNS = [((7 * H, 11 * H), (16 * H, 22 * H)),   # split: early and tea/late
                  ((7 * H, 11 * H), (11 * H + 1800, 14 * H + 1800)),
                  ((7 * H, 15 * H),),                     # long early
                  ((14 * H, 22 * H),)]                    # long late


def make_day(seed: int, n_visits: int = 200, pair_share: float = 0.12, n_workers: int = 30,
             skill_share: float = 0.2) -> Problem:
    """A synthetic home-care day: about ``n_visits`` jobs, ``pair_share`` of them in pairs.

    Parameters
    ----------
    seed : int
        Everything is drawn from ``numpy.random.default_rng(seed)``.
    n_visits : int
        Target number of jobs (a double-up visit counts twice).
    pair_share : float
        Share of jobs that are one half of a double-up.
    n_workers : int
        Number of people; each has one or two shifts (vehicles).
    skill_share : float
        Share of visits that need the ``medication`` skill (60% of workers have it).
    """
    rng = np.random.default_rng(seed)
    side_m = 15_000
    homes = rng.uniform(0, side_m, size=(n_workers, 2))
    jobs: list[Job] = []
    links: list[Link] = []
    client_xy: list[np.ndarray] = []
    w = Weights()
    while len(jobs) < n_visits:
        client = len(client_xy)
        client_xy.append(rng.uniform(0, side_m, size=2))
        n_rounds = int(rng.integers(1, 5))
        double = rng.random() < pair_share * 0.9
        skill = rng.random() < skill_share
        for r in sorted(rng.choice(len(ROUNDS), size=n_rounds, replace=False)):
            centre, lo_min, hi_min = ROUNDS[r]
            centre += int(rng.integers(-2, 3)) * 900
            service = int(rng.integers(lo_min // 5, hi_min // 5 + 1)) * 300
            pri = rng.random()
            penalty = w.drop_critical if pri < 0.1 else w.drop_high if pri < 0.3 else w.drop_normal
            common = dict(location=client, service_s=service, tw_start_s=centre - 1800,
                          tw_end_s=centre + 1800, drop_penalty=penalty,
                          skills=frozenset({"medication"}) if skill else frozenset())
            jobs.append(Job(id=f"c{client}r{r}", **common))
            if double and r in (0, 2, 3):
                jobs.append(Job(id=f"c{client}r{r}b", **common))
                links.append(Link(len(jobs) - 2, len(jobs) - 1))
    n_clients = len(client_xy)
    xy = np.vstack([np.array(client_xy), homes])
    crow = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    road = crow * 1.3
    seconds = np.where(crow > 0, road / (30 / 3.6) + 60, 0)
    vehicles = []
    for k in range(n_workers):
        pattern = SHIFT_PATTERNS[int(rng.integers(len(SHIFT_PATTERNS)))]
        skills = frozenset({"medication"}) if rng.random() < 0.6 else frozenset()
        for s, (start, end) in enumerate(pattern):
            vehicles.append(Vehicle(id=f"w{k}#{s + 1}", resource=f"w{k}",
                                    start_location=n_clients + k, end_location=n_clients + k,
                                    shift_start_s=start, shift_end_s=end, skills=skills))
    return Problem(jobs=tuple(jobs), vehicles=tuple(vehicles),
                   duration_s={"drive": np.rint(seconds).astype(np.int64)},
                   distance_m={"drive": np.rint(road).astype(np.int64)},
                   links=tuple(links), weights=w)


def run(problem: Problem, variant: str, budget_s: float, seed: int) -> dict:
    """Solve one day with one variant and count pairs placed, jobs dropped and violations.

    ``variant`` is one of ``carerounds.routing.solver.VARIANTS`` or ``"unlinked"`` (the
    pairs' halves made independent: a bound on what synchronisation costs).
    """
    from carerounds.routing.solver import solve_with

    original = problem
    t0 = time.perf_counter()
    if variant == "unlinked":
        # Reference: the same day with the two halves of each pair independent.
        problem = replace(problem, links=())
        solution = solve_with(problem, SolveParams(time_limit_s=budget_s, seed=seed), "ours")
    else:
        solution = solve_with(problem, SolveParams(time_limit_s=budget_s, seed=seed), variant)
    wall = time.perf_counter() - t0
    served = solution.assigned_jobs()
    pairs = sum(1 for link in problem.links if link.first in served)
    if variant == "unlinked":
        pairs = sum(1 for link in original.links if {link.first, link.second} <= served)
    dropped_penalty = sum(problem.jobs[u.job].drop_penalty or 0 for u in solution.unassigned)
    travel = sum(r.travel_s for r in solution.routes)
    return {"variant": variant, "jobs": len(problem.jobs), "pairs": len(original.links),
            "pairs_placed": pairs, "dropped": len(solution.unassigned),
            "drop_penalty": dropped_penalty, "travel_h": travel / H,
            "objective": solution.objective, "first_s": solution.first_solution_s,
            "wall_s": wall, "violations": len(verify_solution(problem, solution))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--pairs", type=float, default=0.12)
    parser.add_argument("--workers", type=int, default=30)
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--variants", default="plain,no_repair,ours,unlinked")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    records = []
    for seed in [int(s) for s in split_names(args.seeds)]:
        problem = make_day(seed, args.visits, args.pairs, args.workers)
        for variant in split_names(args.variants):
            rec = {"seed": seed, **run(problem, variant, args.budget, seed)}
            records.append(rec)
            print(json.dumps(rec), flush=True)
    cols = ["seed", "variant", "jobs", "pairs", "pairs_placed", "dropped", "drop_penalty",
            "travel_h", "objective", "first_s", "violations"]
    print(table(cols, [[r[c] for c in cols] for r in records],
                title=f"double-ups at {args.budget:g} s per day"))
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
