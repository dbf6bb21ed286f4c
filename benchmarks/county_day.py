"""A full county day: the monolithic OR-Tools model against the decomposed engine, same run.

Generates the ``day`` samples (about 1,500 visits and 180 workers) and plans each with
both engines at each budget, reporting placed and unplaced visits, travel hours, time
to the first complete rota and the independent checker's verdict.

    python benchmarks/county_day.py [--regions midlothian,monmouthshire]
                                    [--budgets 60,300,900] [--seed 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from carerounds.routing import SolveParams
from carerounds.scheduler.check import check_rota
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.sample import generate_sample, write_sample
from carerounds.scheduler.travel import build_travel

DATE = dt.date(2026, 11, 24)


def run(region: str, engine: str, budget_s: int, seed: int, folder: Path) -> dict:
    """Plan one region's day with one engine and budget, and check the rota."""
    day = read_day(folder, date=DATE)
    travel = build_travel(day)
    started = time.perf_counter()
    rota = plan_day(day, travel, params=SolveParams(time_limit_s=budget_s, seed=seed),
                    engine=engine)
    wall_s = time.perf_counter() - started
    violations = check_rota(day, rota, travel)
    travel_s = sum(sh.travel_s for sh in rota.shifts if sh.stops)
    placed = len(rota.scheduled)
    return {"region": region, "engine": engine, "budget_s": budget_s, "placed": placed,
            "unplaced": len(rota.unplaced), "travel_h": round(travel_s / 3600, 2),
            "travel_min_per_visit": round(travel_s / 60 / max(1, placed), 2),
            "check_ok": not violations, "violations": len(violations),
            "first_rota_s": rota.run.get("first_solution_s"), "wall_s": round(wall_s, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="midlothian,monmouthshire")
    parser.add_argument("--budgets", default="60,300,900", help="seconds, comma-separated")
    parser.add_argument("--engines", default="monolithic,decomposed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None, metavar="FILE")
    args = parser.parse_args(argv)
    regions = args.regions.split(",")
    budgets = [int(b) for b in args.budgets.split(",")]
    engines = args.engines.split(",")
    records = []
    header = (f"{'region':<14}{'engine':<12}{'budget_s':>9}{'placed':>8}{'unplaced':>9}"
              f"{'travel_h':>9}{'min/visit':>10}{'check':>7}{'first_s':>9}{'wall_s':>8}")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for region in regions:
            folder = Path(tmp) / region
            write_sample(generate_sample(region, date=DATE, seed=args.seed, size="day"), folder)
            for budget in budgets:
                for engine in engines:
                    r = run(region, engine, budget, args.seed, folder)
                    records.append(r)
                    first = "-" if r["first_rota_s"] is None else f"{r['first_rota_s']:.1f}"
                    print(f"{r['region']:<14}{r['engine']:<12}{r['budget_s']:>9}{r['placed']:>8}"
                          f"{r['unplaced']:>9}{r['travel_h']:>9.1f}{r['travel_min_per_visit']:>10.2f}"
                          f"{'ok' if r['check_ok'] else 'FAIL':>7}{first:>9}{r['wall_s']:>8.1f}",
                          flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of a solver process: {peak_mb:.0f} MB; machine: 2 cores")
    if args.json:
        keys = ("region", "engine", "budget_s", "placed", "unplaced", "travel_h", "check_ok",
                "first_rota_s")
        Path(args.json).write_text(json.dumps([{k: r[k] for k in keys} | r for r in records],
                                              indent=1))
    return 0 if all(r["check_ok"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
