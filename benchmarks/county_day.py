"""A full county day: visits placed against an upper bound, and travel, same run.

Generates the ``day`` samples (about 1,500 visits and 170 workers) and plans each with
the engines asked for at each budget, reporting placed and unplaced visits, travel, the
independent checker's verdict and wall time. For each day it also computes an **upper
bound** on the visits any rota could place (:func:`carerounds.routing.bound.placeable_bound`,
a time-indexed capacity relaxation over every worker's shift, skills, provider, gender
and exclusion rules, windows, start times in five-minute bins and an assignment of one
leg into each visit: valid because every feasible rota satisfies each of its
constraints), so the table shows ``unplaced``, the
``by_bound`` visits no rota could place, and their difference, ``search``: visits the
search left out that the relaxation does not rule out (an over-estimate of what a
better search could place, as the relaxation is not tight). ``--bound-integer-s S``
also solves the relaxation with whole visits, legs and start bins for ``S`` seconds
(still valid; on the sample days it rules out no more, docs/routing.md).

``--reference-budgets`` plans each day once more with this engine at longer budgets,
and every run is then also compared with the most visits any run of the same day placed
(``behind_best``): a best-found reference, valid as a lower bound on what can be placed,
not an upper bound, so it complements the relaxation rather than replacing it.

``--baseline-src DIR`` also plans each day with another checkout's code (e.g. the
engine as it was when the issue was filed: ``git worktree add DIR <commit>``), in a
subprocess on the same inputs and budget, so "today's engine" is measured in the same run.

``regular%`` is the share of carer-visits by one of the client's three regular carers
(the sample's four weeks of history), which the objective prices
(``Weights.non_preferred``, 600 s of travel a carer-visit by default): a search that
serves the objective better may spend travel on it.

    python benchmarks/county_day.py [--regions midlothian,monmouthshire] [--budgets 300]
                                    [--engines decomposed] [--baseline-src DIR]
                                    [--reference-budgets 900] [--bound-integer-s 0]
                                    [--seed 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATE = dt.date(2026, 11, 24)


def run(region: str, engine: str, budget_s: float, seed: int, folder: Path) -> dict:
    """Plan one region's day with one engine and budget, and check the rota.

    Uses only names every version of the planner has (the baseline runs this too).
    """
    from carerounds.routing import SolveParams
    from carerounds.scheduler.check import check_rota
    from carerounds.scheduler.inputs import read_day
    from carerounds.scheduler.plan import plan_day
    from carerounds.scheduler.travel import build_travel

    day = read_day(folder, date=DATE)
    travel = build_travel(day)
    started = time.perf_counter()
    rota = plan_day(day, travel, params=SolveParams(time_limit_s=budget_s, seed=seed),
                    engine=engine)
    wall_s = time.perf_counter() - started
    violations = check_rota(day, rota, travel)
    travel_s = sum(sh.travel_s for sh in rota.shifts if sh.stops)
    placed = len(rota.scheduled)
    # carer-visits by one of the client's three regular carers (history), which the
    # objective prices (Weights.non_preferred): travel spent on continuity shows here
    slots = [(stop.client_id, sh.worker_id) for sh in rota.shifts for stop in sh.stops]
    regular = sum(1 for client, worker in slots if worker in day.regular_workers(client))
    return {"region": region, "engine": engine, "budget_s": budget_s, "placed": placed,
            "unplaced": len(rota.unplaced), "travel_h": round(travel_s / 3600, 2),
            "travel_min_per_visit": round(travel_s / 60 / max(1, placed), 2),
            "carer_visits": len(slots), "by_regulars": regular,
            "check_ok": not violations, "violations": len(violations),
            "first_rota_s": rota.run.get("first_solution_s"), "wall_s": round(wall_s, 1)}


def bound(folder: Path, integer_s: float = 0.0) -> dict:
    """The upper bound on placeable visits of a day folder, with its size and time.

    ``integer_s`` > 0 also solves the relaxation with whole visits, legs and start bins
    for that long (``placeable_bound(integer_time_limit_s=...)``).
    """
    from carerounds.routing.bound import placeable_bound
    from carerounds.scheduler.build import build_problem
    from carerounds.scheduler.inputs import read_day
    from carerounds.scheduler.travel import build_travel

    day = read_day(folder, date=DATE)
    built = build_problem(day, build_travel(day))
    parts: dict[str, int] = {}
    for visit_id in built.job_visit:
        parts[visit_id] = parts.get(visit_id, 0) + 1
    # a visit counts once: each of its carers' jobs weighs 1/parts, linked ones move together
    found = placeable_bound(built.problem, weights=[1 / parts[v] for v in built.job_visit],
                            integer_time_limit_s=integer_s or None)
    return {"visits": len(day.visits), "placeable": found.served_whole,
            "lp": round(found.lp_served, 2), "bound": round(found.served, 2),
            "unreachable_jobs": len(found.unreachable), "blocks": found.blocks,
            "variables": found.variables, "bound_s": round(found.wall_s, 1),
            "integer_s": integer_s}


def _baseline(src: Path, region: str, engine: str, budget_s: float, seed: int,
              folder: Path) -> dict:
    """:func:`run` with another checkout's code, in a subprocess."""
    shim = Path(tempfile.mkdtemp(prefix="baseline-"))
    (shim / "carerounds").symlink_to(src.resolve() / "src")
    env = {**os.environ, "PYTHONPATH": str(shim)}
    out = subprocess.run([sys.executable, __file__, "--_row", region, engine, str(budget_s),
                          str(seed), str(folder)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"engine": f"{engine}@baseline"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="midlothian,monmouthshire")
    parser.add_argument("--budgets", default="300", help="seconds, comma-separated")
    parser.add_argument("--engines", default="decomposed")
    parser.add_argument("--baseline-src", default=None, metavar="DIR")
    parser.add_argument("--reference-budgets", default="", help="seconds, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bound-integer-s", type=float, default=0.0, metavar="S",
                        help="also bound with whole visits, legs and start bins for S seconds")
    parser.add_argument("--json", default=None, metavar="FILE")
    parser.add_argument("--_row", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._row:
        region, engine, budget, seed, folder = args._row
        print(json.dumps(run(region, engine, float(budget), int(seed), Path(folder))))
        return 0
    from carerounds.scheduler.sample import generate_sample, write_sample

    regions = args.regions.split(",")
    budgets = [float(b) for b in args.budgets.split(",")]
    references = [float(b) for b in args.reference_budgets.split(",") if b]
    engines = args.engines.split(",")
    records, bounds = [], {}
    print(f"load average at start: {os.getloadavg()[0]:.2f}; machine: {os.cpu_count()} cores")
    header = (f"{'region':<14}{'engine':<22}{'budget_s':>9}{'placed':>8}{'unplaced':>9}"
              f"{'by_bound':>9}{'search':>8}{'search%':>8}{'travel_h':>9}{'min/visit':>10}"
              f"{'regular%':>9}{'check':>7}{'wall_s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for region in regions:
            folder = Path(tmp) / region
            write_sample(generate_sample(region, date=DATE, seed=args.seed, size="day"), folder)
            b = bounds[region] = bound(folder, args.bound_integer_s)
            print(f"{region}: {b['visits']} visits; at most {b['placeable']} placeable by the "
                  f"bound ({b['bound']}; LP {b['lp']}, {b['variables']} variables in "
                  f"{b['blocks']} blocks, {b['bound_s']} s)", flush=True)
        print(header)
        for region in regions:
            folder = Path(tmp) / region
            b = bounds[region]
            for budget in budgets + references:
                todo = [(e, None) for e in engines]
                if args.baseline_src and budget in budgets:
                    todo += [(e, Path(args.baseline_src)) for e in engines]
                for engine, src in todo:
                    r = (run(region, engine, budget, args.seed, folder) if src is None
                         else _baseline(src, region, engine, budget, args.seed, folder))
                    by_bound = b["visits"] - b["placeable"]
                    r |= {"unplaced_by_bound": by_bound,
                          "search_caused": r["unplaced"] - by_bound,
                          "search_caused_pct": round(100 * (r["unplaced"] - by_bound)
                                                     / max(1, b["visits"]), 2)}
                    records.append(r)
                    print(f"{r['region']:<14}{r['engine']:<22}{r['budget_s']:>9g}"
                          f"{r['placed']:>8}{r['unplaced']:>9}{by_bound:>9}"
                          f"{r['search_caused']:>8}{r['search_caused_pct']:>8.2f}"
                          f"{r['travel_h']:>9.1f}{r['travel_min_per_visit']:>10.2f}"
                          f"{100 * r['by_regulars'] / max(1, r['carer_visits']):>9.1f}"
                          f"{'ok' if r['check_ok'] else 'FAIL':>7}{r['wall_s']:>8.1f}",
                          flush=True)
    print("against the most visits any run of the same day placed (a best-found reference):")
    for region in regions:
        best = max(r["placed"] for r in records if r["region"] == region and r["check_ok"])
        for r in records:
            if r["region"] == region:
                r["behind_best"] = best - r["placed"]
                r["behind_best_pct"] = round(100 * r["behind_best"] / bounds[region]["visits"], 2)
                print(f"{region:<14}{r['engine']:<22}{r['budget_s']:>9g}{r['placed']:>8}"
                      f"  best {best}  behind {r['behind_best']} ({r['behind_best_pct']:.2f} %)")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of a solver process: {peak_mb:.0f} MB; "
          f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"bounds": bounds, "runs": records}, indent=1))
    return 0 if all(r["check_ok"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
