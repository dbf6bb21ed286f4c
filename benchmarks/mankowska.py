"""Mankowska HHCRSP benchmark: our engine on sets A-C, scored by the literature's cost.

Usage::

    python benchmarks/mankowska.py [--sets A,B,C] [--instances A1,B3] [--budget 10]
        [--seed 0] [--workers 1] [--json FILE]

Per instance: the cost (total distance + total tardiness + maximum tardiness) / 3
computed from our solution's routes and start times by
``benchmarks/instances.py.check_mankowska`` in double precision from the raw
file (distances ``d``, not the solver's integers), against ``best_known_cost`` of
``bks_merged.csv``; the checker also verifies every double service (two different
carers, start gap within [mind, maxd]). "retimed" is the cost of the same routes
with the earliest schedule, which minimises tardiness for those sequences: a gap
between the two shows tardiness our schedule leaves on the table.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

from _common import BENCH_DATA, load_our_solver, mean, require, split_names, table, write_json
from instances import check_mankowska, read_mankowska

from carerounds.routing import SolveParams

SETS = {"A": 10, "B": 25, "C": 50, "D": 75, "E": 100, "F": 200, "G": 300}
MANKOWSKA_DIR = BENCH_DATA / "hhc" / "mankowska2014"
HEADERS = ["instance", "file", "patients", "carers", "double", "cost", "best known", "gap %",
           "feasible", "distance", "tardiness", "max tard", "retimed", "unassigned", "wall s"]


def file_stem(paper_id: str) -> str:
    """``"A1"`` -> ``"InstanzCPLEX_HCSRP_10_1"``, ``"E3"`` -> ``"InstanzVNS_HCSRP_100_3"``."""
    size = SETS[paper_id[0].upper()]
    kind = "CPLEX" if size <= 75 else "VNS"
    return f"Instanz{kind}_HCSRP_{size}_{int(paper_id[1:])}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="A,B,C", help="comma-separated sets A-G (default A,B,C)")
    parser.add_argument("--instances", help="comma-separated paper ids (e.g. A1,B3); "
                                            "overrides --sets")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per run (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of our solver (default 0)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes our solver searches in at once (default 1; on "
                             "problems with pairs each runs a whole search with its own seed "
                             "and the best is kept)")
    parser.add_argument("--json", metavar="FILE", help="write one record per instance")
    args = parser.parse_args(argv)

    ids = split_names(args.instances)
    if ids is None:
        sets = [s.upper() for s in split_names(args.sets) or []]
        bad = [s for s in sets if s not in SETS]
        if bad or not sets:
            parser.error(f"unknown sets {bad}; choose from {','.join(SETS)}")
        ids = [f"{s}{k}" for s in sets for k in range(1, 11)]
    for paper_id in ids:
        if not (paper_id[:1].upper() in SETS and paper_id[1:].isdigit()
                and 1 <= int(paper_id[1:]) <= 10):
            parser.error(f"bad instance id {paper_id!r}; expected a set letter A-G and 1-10")

    folder = require(MANKOWSKA_DIR / "instances", "Mankowska instances")
    with open(require(MANKOWSKA_DIR / "bks_merged.csv", "bks_merged.csv"), newline="") as fh:
        best = {row["instance"]: row for row in csv.DictReader(fh)}

    solve, why = load_our_solver()
    if solve is None:
        print(f"NOTE: {why}; only reading and checking the instances.", flush=True)

    records = []
    rows = []
    for paper_id in ids:
        stem = file_stem(paper_id)
        inst = read_mankowska(require(folder / f"{stem}.txt", f"instance {paper_id}"))
        best_known = float(best[stem]["best_known_cost"]) if stem in best else None
        row = [paper_id.upper(), stem, inst.n_patients, inst.n_carers, len(inst.double)]
        if solve is None:
            rows.append(row + [None, best_known] + [None] * 8)
            continue
        t0 = time.perf_counter()
        try:
            params = SolveParams(time_limit_s=args.budget, seed=args.seed,
                                 workers=args.workers)
            solution = solve(inst.problem, params)
        except Exception as exc:  # a crash is a result of this run: record it, go on
            wall = time.perf_counter() - t0
            message = f"solver raised {type(exc).__name__}: {exc}"
            print(f"  {paper_id.upper():4} {message}", flush=True)
            records.append({"instance": paper_id.upper(), "cost": None, "best_known": best_known,
                            "gap_pct": None, "feasible": False, "file": stem,
                            "budget_s": args.budget, "seed": args.seed,
                            "workers": args.workers, "status": message,
                            "wall_s": round(wall, 3)})
            rows.append(row + [None, best_known, None, False] + [None] * 5 + [wall])
            continue
        wall = time.perf_counter() - t0
        routes, starts = inst.routes_of(solution)
        check = check_mankowska(inst, routes, starts=starts)
        retimed = check_mankowska(inst, routes) if check.feasible else None
        cost = check.cost if check.feasible else None
        gap = (round(100 * (cost - best_known) / best_known, 3) + 0.0
               if cost is not None and best_known else None)
        records.append({
            "instance": paper_id.upper(), "cost": round(cost, 4) if cost is not None else None,
            "best_known": best_known, "gap_pct": gap, "feasible": check.feasible,
            "file": stem, "budget_s": args.budget, "seed": args.seed, "workers": args.workers,
            "distance": round(check.distance, 4) if check.feasible else None,
            "total_tardiness": round(check.total_tardiness, 4) if check.feasible else None,
            "max_tardiness": round(check.max_tardiness, 4) if check.feasible else None,
            "retimed_cost": round(retimed.cost, 4) if retimed else None,
            "unassigned": len(solution.unassigned), "status": solution.status,
            "wall_s": round(wall, 3), "violations": list(check.violations[:5]),
        })
        rows.append(row + [cost, best_known, gap, check.feasible,
                           check.distance if check.feasible else None,
                           check.total_tardiness if check.feasible else None,
                           check.max_tardiness if check.feasible else None,
                           retimed.cost if retimed else None, len(solution.unassigned), wall])
        verdict = ("feasible" if check.feasible
                   else f"NOT FEASIBLE ({solution.status}): " + "; ".join(check.violations[:2]))
        print(f"  {paper_id.upper():4} cost {cost if cost is None else round(cost, 2)!s:>8}  "
              f"best {best_known!s:>8}  gap {gap if gap is not None else '-':>7} %  "
              f"{verdict}  ({wall:.1f} s)", flush=True)

    print()
    print(table(HEADERS, rows, title="Mankowska HHCRSP: cost = (distance + total tardiness + "
                                     "max tardiness) / 3, gap to bks_merged.csv"))
    if solve is None:
        print(f"\nNothing solved: {why}.")
        return 1
    feasible = [r for r in records if r["feasible"]]
    overall = mean(r["gap_pct"] for r in feasible)
    print(f"\nfeasible {len(feasible)}/{len(records)}; mean gap over feasible "
          f"{'-' if overall is None else f'{overall:.2f}'} %  "
          f"(budget {args.budget:g} s, seed {args.seed}, workers {args.workers})")
    for paper_set in sorted({r["instance"][0] for r in records}):
        subset = [r for r in feasible if r["instance"][0] == paper_set]
        if subset:
            print(f"  set {paper_set}: {len(subset)} feasible, mean gap "
                  f"{mean(r['gap_pct'] for r in subset):.2f} %")
    if args.json:
        write_json(args.json, records)
        print(f"\nwrote {len(records)} records to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
