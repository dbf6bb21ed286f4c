"""Gehring & Homberger VRPTW, 200 customers: our engine against PyVRP, VROOM and plain OR-Tools.

Usage::

    python benchmarks/homberger.py [--instances c1_2_1,r1_2_1,...|all] [--budget 30]
        [--solvers ours,pyvrp,vroom,ortools-default] [--seed 1] [--json FILE]

Same rules as ``benchmarks/solomon.py`` (the files have the Solomon format, K = 50):
every solver gets the same integer data (scale 1000: arc cost = distance rounded,
travel time = distance rounded up, windows and service x 1000), K vehicles of capacity
Q, no fixed vehicle cost, distance only; every reported distance and feasibility
verdict is recomputed in double precision from the raw file by
``benchmarks/instances.py.check_solomon``. Solvers run one at a time; each budget
counts from the start of model construction. The default is one instance per family
(``*_2_1``), the table the engine's targets are stated on.

The gap is against ``homberger_bks.csv``'s SINTEF best known, which is *hierarchical*
(fewest vehicles first, then distance): a distance-only run may use more vehicles and
go below it, so negative gaps are expected and the comparison between solvers is the
figure that matters.
"""

from __future__ import annotations

import argparse
import csv
import sys

from _common import BENCH_DATA, load_our_solver, mean, require, split_names, table, write_json
from instances import check_solomon, read_solomon
from solomon import Run, run_ortools_default, run_ours, run_pyvrp, run_vroom

SOLVERS = ("ours", "pyvrp", "vroom", "ortools-default")
FAMILIES = ("c1", "c2", "r1", "r2", "rc1", "rc2")
HOMBERGER_DIR = BENCH_DATA / "vrptw" / "homberger_200"
BKS_CSV = BENCH_DATA / "vrptw" / "homberger_bks.csv"
DEFAULT_INSTANCES = tuple(f"{fam}_2_1" for fam in FAMILIES)
HEADERS = ["solver", "family", "runs", "feasible", "mean distance", "mean gap %", "vehicles",
           "wall mean s"]


def family(name: str) -> str:
    """``"rc1_2_7"`` -> ``"rc1"``."""
    return name.lower().split("_")[0]


def read_bks() -> dict[str, dict]:
    with open(require(BKS_CSV, "Gehring & Homberger best-known table"), newline="") as fh:
        return {row["instance"].lower(): row for row in csv.DictReader(fh)}


def summary_rows(records: list[dict], solvers: list[str]) -> list[list]:
    rows = []
    for solver in solvers:
        for fam in (*FAMILIES, "all"):
            runs = [r for r in records if r["solver"] == solver
                    and (fam == "all" or family(r["instance"]) == fam)]
            if not runs:
                continue
            ok = [r for r in runs if r["feasible"]]
            rows.append([solver, fam, len(runs), len(ok), mean(r["distance"] for r in ok),
                         mean(r["gap_pct"] for r in ok), mean(r["vehicles"] for r in ok),
                         mean(r["wall_s"] for r in runs)])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", help="comma-separated names, or 'all' (default: "
                                            + ",".join(DEFAULT_INSTANCES) + ")")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per run (default 30)")
    parser.add_argument("--solvers", default="ours,pyvrp,vroom",
                        help=f"comma-separated subset of {','.join(SOLVERS)} "
                             f"(default ours,pyvrp,vroom)")
    parser.add_argument("--seed", type=int, default=1, help="seed for ours and PyVRP (default 1)")
    parser.add_argument("--json", metavar="FILE", help="write one record per instance and solver")
    args = parser.parse_args(argv)

    solvers = split_names(args.solvers) or list(SOLVERS)
    unknown = sorted(set(solvers) - set(SOLVERS))
    if unknown:
        parser.error(f"unknown solvers {unknown}; choose from {','.join(SOLVERS)}")
    require(HOMBERGER_DIR, "Gehring & Homberger 200-customer instances")
    if args.instances == "all":
        paths = sorted(HOMBERGER_DIR.glob("*.txt"))
    else:
        paths = []
        for name in split_names(args.instances) or list(DEFAULT_INSTANCES):
            path = HOMBERGER_DIR / f"{name.lower()}.txt"
            if not path.exists():
                parser.error(f"no instance {name!r} in {HOMBERGER_DIR.resolve()}")
            paths.append(path)
    bks = read_bks()

    runners = {"pyvrp": run_pyvrp, "vroom": run_vroom, "ortools-default": run_ortools_default}
    if "ours" in solvers:
        solve, why = load_our_solver()
        if solve is None:
            print(f"NOTE: {why}.", flush=True)
            solvers.remove("ours")
        else:
            runners["ours"] = lambda inst, b, s: run_ours(inst, b, s, solve)

    records: list[dict] = []
    print(f"{len(paths)} instances x {len(solvers)} solvers at {args.budget:g} s, one run at "
          f"a time; distance and feasibility recomputed from the raw data", flush=True)
    for path in paths:
        inst = read_solomon(path)
        name = path.stem.lower()
        best = bks.get(name)
        best_distance = float(best["bks_hier_distance"]) if best else None
        for solver in solvers:
            try:
                run = runners[solver](inst, args.budget, args.seed)
            except Exception as exc:  # a crash is a result of this run: record it, go on
                run = Run(None, None, 0.0, f"raised {type(exc).__name__}: {exc}")
            if run.routes is None:
                distance, vehicles, feasible, violations = None, None, False, [run.status]
            else:
                check = check_solomon(inst, run.routes)
                distance, vehicles = round(check.distance, 4), check.vehicles
                feasible, violations = check.feasible, list(check.violations)
            gap = (round(100 * (distance - best_distance) / best_distance, 3) + 0.0
                   if feasible and distance is not None and best_distance else None)
            records.append({
                "instance": name, "solver": solver, "budget_s": args.budget,
                "vehicles": vehicles, "distance": distance, "gap_pct": gap,
                "feasible": feasible, "wall_s": round(run.wall_s, 3), "status": run.status,
                "violations": violations[:5], "bks_hier_distance": best_distance,
                "bks_hier_vehicles": int(best["bks_hier_vehicles"]) if best else None,
            })
            print(f"  {name:8} {solver:16} vehicles {vehicles if vehicles else '-':>3}  "
                  f"distance {distance if distance is not None else '-':>10}  gap "
                  f"{gap if gap is not None else '-':>7} %  "
                  f"{'feasible' if feasible else 'NOT FEASIBLE: ' + '; '.join(violations[:2])}"
                  f"  ({run.wall_s:.1f} s)", flush=True)

    print()
    print(table(HEADERS, summary_rows(records, solvers),
                title=f"budget {args.budget:g} s: gap to the hierarchical best known "
                      f"(homberger_bks.csv), mean over feasible runs"))
    if args.json:
        write_json(args.json, records)
        print(f"\nwrote {len(records)} records to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
