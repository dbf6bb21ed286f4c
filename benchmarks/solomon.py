"""Solomon VRPTW benchmark: our engine against PyVRP, VROOM and plain OR-Tools, distance only.

Usage::

    python benchmarks/solomon.py [--instances C101,R101,...] [--budget 10]
        [--solvers ours,pyvrp,vroom,ortools-default] [--seed 1] [--json FILE]

Every solver gets the same integer data (scale 1000: arc cost = distance rounded,
travel time = distance rounded up, windows and service times x 1000), 25 vehicles
of capacity Q, no fixed vehicle cost; every reported distance and feasibility
verdict is recomputed in double precision from the raw file by
``benchmarks/instances.py.check_solomon``, not taken from the solver. Solvers
run one at a time (the machine has 2 cores); each budget counts from the start of
model construction.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from _common import (
    BENCH_DATA,
    load_our_solver,
    mean,
    median,
    require,
    split_names,
    table,
    write_json,
)
from instances import SolomonInstance, check_solomon, read_solomon

from carerounds.routing import SolveParams

SOLVERS = ("ours", "pyvrp", "vroom", "ortools-default")
FAMILIES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
SOLOMON_DIR = BENCH_DATA / "vrptw" / "solomon"
BKS_CSV = BENCH_DATA / "vrptw" / "solomon_bks.csv"
BASELINES_CSV = BENCH_DATA / "baselines.csv"


@dataclass
class Run:
    """What one solver returned: routes as customer numbers, or None with a status."""

    routes: list[list[int]] | None
    t_first_s: float | None
    wall_s: float
    status: str


def family(name: str) -> str:
    """``"RC105"`` -> ``"RC1"``."""
    match = re.match(r"(RC|R|C)(\d)", name.upper())
    return f"{match.group(1)}{match.group(2)}" if match else "?"


def integer_data(inst: SolomonInstance) -> dict:
    """The integer arrays every peer solver is given (the same as our Problem's)."""
    problem = inst.problem
    scale = inst.scale
    return {
        "cost": np.asarray(problem.distance_m["drive"]),
        "travel": np.asarray(problem.duration_s["drive"]),
        "ready": np.rint(inst.ready * scale).astype(np.int64),
        "due": np.rint(inst.due * scale).astype(np.int64),
        "service": np.rint(inst.service * scale).astype(np.int64),
        "demand": np.asarray(inst.demand, dtype=np.int64),
    }


# --------------------------------------------------------------------------- solvers

def run_ours(inst: SolomonInstance, budget_s: float, seed: int, solve) -> Run:
    t0 = time.perf_counter()
    solution = solve(inst.problem, SolveParams(time_limit_s=budget_s, seed=seed))
    wall = time.perf_counter() - t0
    routes = inst.routes_of(solution)
    if not routes and not solution.assigned_jobs():
        return Run(None, None, wall, solution.status)
    return Run(routes, solution.first_solution_s, wall, solution.status)


class _FirstFeasible:
    """Wraps a PyVRP stopping criterion and notes when the best cost first becomes finite."""

    def __init__(self, inner, t0: float) -> None:
        self.inner, self.t0, self.first = inner, t0, None

    def __call__(self, best_cost: float) -> bool:
        if self.first is None and best_cost < float("inf"):
            self.first = time.perf_counter() - self.t0
        return self.inner(best_cost)


def run_pyvrp(inst: SolomonInstance, budget_s: float, seed: int) -> Run:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    data = integer_data(inst)
    model = Model()
    locations = [model.add_location(float(x), float(y)) for x, y in zip(inst.x, inst.y)]
    depot = model.add_depot(locations[0], tw_early=int(data["ready"][0]),
                            tw_late=int(data["due"][0]))
    for c in range(1, len(locations)):
        model.add_client(locations[c], delivery=[int(data["demand"][c])],
                         service_duration=int(data["service"][c]),
                         tw_early=int(data["ready"][c]), tw_late=int(data["due"][c]))
    model.add_vehicle_type(num_available=inst.n_vehicles, capacity=[inst.capacity],
                           start_depot=depot, end_depot=depot, tw_early=int(data["ready"][0]),
                           tw_late=int(data["due"][0]))
    cost, travel = data["cost"], data["travel"]
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i != j:
                model.add_edge(a, b, distance=int(cost[i, j]), duration=int(travel[i, j]))
    stop = _FirstFeasible(MaxRuntime(max(budget_s - (time.perf_counter() - t0), 0.0)), t0)
    result = model.solve(stop=stop, seed=seed, collect_stats=False, display=False)
    wall = time.perf_counter() - t0
    if not result.best.is_feasible():
        return Run(None, None, wall, "no feasible solution")
    # Client activities are numbered from 0 in order of add_client: node = idx + 1.
    routes = [[a.idx + 1 for a in route if a.is_client()] for route in result.best.routes()]
    return Run(routes, stop.first, wall, "feasible")


def run_vroom(inst: SolomonInstance, budget_s: float, seed: int) -> Run:
    import vroom

    del seed  # VROOM has no random choices to seed
    t0 = time.perf_counter()
    data = integer_data(inst)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=data["travel"])
    problem.set_costs_matrix(profile="car", matrix_input=data["cost"])
    window = vroom.TimeWindow(int(data["ready"][0]), int(data["due"][0]))
    problem.add_vehicle([vroom.Vehicle(k, start=0, end=0, capacity=[inst.capacity],
                                       time_window=window) for k in range(inst.n_vehicles)])
    problem.add_job([vroom.Job(c, location=c, default_service=int(data["service"][c]),
                               delivery=[int(data["demand"][c])],
                               time_windows=[vroom.TimeWindow(int(data["ready"][c]),
                                                              int(data["due"][c]))])
                     for c in range(1, len(inst.x))])
    remaining = max(budget_s - (time.perf_counter() - t0), 0.001)
    # Exploration level 5 is VROOM's own default (its CLI's -x); one thread, as for the others.
    solution = problem.solve(exploration_level=5, nb_threads=1,
                             timeout=timedelta(seconds=remaining))
    wall = time.perf_counter() - t0
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    routes = [[int(c) for c in group["location_index"]]
              for _, group in jobs.groupby("vehicle_id", sort=True)]
    if not routes:
        return Run(None, None, wall, "no solution")
    # VROOM is not anytime: its only solution arrives when it returns.
    return Run(routes, wall, wall, "returned")


def run_ortools_default(inst: SolomonInstance, budget_s: float, seed: int) -> Run:
    # A peer, not the product: this benchmark builds plain OR-Tools itself (the product's
    # only ortools import stays in src/routing/solver.py).
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed  # OR-Tools routing search is deterministic with one worker
    t0 = time.perf_counter()
    data = integer_data(inst)
    n = len(inst.x)
    manager = pywrapcp.RoutingIndexManager(n, inst.n_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    cost_cb = routing.RegisterTransitMatrix(data["cost"].tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = routing.RegisterTransitMatrix((data["travel"] + data["service"][:, None]).tolist())
    horizon = int(data["due"][0])
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for c in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(c)).SetRange(int(data["ready"][c]),
                                                           int(data["due"][c]))
    for v in range(inst.n_vehicles):
        for index in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(index).SetRange(int(data["ready"][0]), horizon)
    demand_cb = routing.RegisterUnaryTransitVector(data["demand"].tolist())
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, [inst.capacity] * inst.n_vehicles,
                                            True, "Capacity")
    first: list[float] = []
    routing.AddAtSolutionCallback(
        lambda: first.append(time.perf_counter() - t0) if not first else None)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    remaining = max(budget_s - (time.perf_counter() - t0), 0.001)
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    solution = routing.SolveWithParameters(params)
    wall = time.perf_counter() - t0
    status = routing.status()
    if solution is None:
        return Run(None, None, wall, f"no solution (routing status {status})")
    routes = []
    for v in range(inst.n_vehicles):
        index, route = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return Run(routes, first[0] if first else None, wall, f"routing status {status}")


# --------------------------------------------------------------------------- reporting

def read_bks() -> dict[str, dict]:
    with open(require(BKS_CSV, "Solomon best-known table"), newline="") as fh:
        return {row["instance"].upper(): row for row in csv.DictReader(fh)}


def summary_rows(records: list[dict], solvers: list[str]) -> list[list]:
    rows = []
    for solver in solvers:
        for fam in (*FAMILIES, "all"):
            runs = [r for r in records if r["solver"] == solver
                    and (fam == "all" or family(r["instance"]) == fam)]
            if not runs:
                continue
            ok = [r for r in runs if r["feasible"]]
            rows.append([solver, fam, len(runs), len(ok), mean(r["gap_pct"] for r in ok),
                         mean(r["vehicles"] for r in ok),
                         median(r["t_first_feasible_s"] for r in ok),
                         max((r["t_first_feasible_s"] for r in ok
                              if r["t_first_feasible_s"] is not None), default=None),
                         mean(r["wall_s"] for r in runs)])
    return rows


SUMMARY_HEADERS = ["solver", "family", "runs", "feasible", "mean gap %", "vehicles",
                   "t_first med s", "t_first max s", "wall mean s"]


def baseline_rows(instances: set[str], budget_s: float) -> tuple[list[list], str]:
    if not BASELINES_CSV.exists():
        return [], f"(no {BASELINES_CSV.name} found)"
    with open(BASELINES_CSV, newline="") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["instance"].upper() in instances and float(r["budget_s"]) == budget_s]
    if not rows:
        return [], f"(baselines.csv has no runs of these instances at budget {budget_s:g} s)"
    records = [{"instance": r["instance"], "solver": r["solver"],
                "feasible": r["feasible"] == "True",
                "gap_pct": float(r["gap_pct"]) if r["gap_pct"] else None,
                "vehicles": int(r["vehicles"]) if r["vehicles"] else None,
                "t_first_feasible_s": (float(r["t_first_feasible_s"])
                                       if r["t_first_feasible_s"] else None),
                "wall_s": float(r["wall_s"]) if r["wall_s"] else None} for r in rows]
    solvers = list(dict.fromkeys(r["solver"] for r in records))
    return summary_rows(records, solvers), ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", help="comma-separated names (default: all 56)")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per run (default 10)")
    parser.add_argument("--solvers", default=",".join(SOLVERS),
                        help=f"comma-separated subset of {','.join(SOLVERS)}")
    parser.add_argument("--seed", type=int, default=1, help="seed for ours and PyVRP (default 1)")
    parser.add_argument("--json", metavar="FILE", help="write one record per instance and solver")
    args = parser.parse_args(argv)

    solvers = split_names(args.solvers) or list(SOLVERS)
    unknown = sorted(set(solvers) - set(SOLVERS))
    if unknown:
        parser.error(f"unknown solvers {unknown}; choose from {','.join(SOLVERS)}")
    require(SOLOMON_DIR, "Solomon instances")
    wanted = split_names(args.instances)
    if wanted:
        paths = []
        for name in wanted:
            path = SOLOMON_DIR / f"{name.upper()}.txt"
            if not path.exists():
                parser.error(f"no instance {name!r} in {SOLOMON_DIR.resolve()}")
            paths.append(path)
    else:
        paths = sorted(SOLOMON_DIR.glob("*.txt"))
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
        best = bks.get(inst.name.upper())
        best_distance = float(best["bks_distonly_distance"]) if best else None
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
                   if feasible and best_distance else None)
            records.append({
                "instance": inst.name, "solver": solver, "budget_s": args.budget,
                "vehicles": vehicles, "distance": distance, "gap_pct": gap,
                "feasible": feasible,
                "t_first_feasible_s": (round(run.t_first_s, 4)
                                       if feasible and run.t_first_s is not None else None),
                "wall_s": round(run.wall_s, 3), "status": run.status,
                "violations": violations[:5], "bks_distonly_distance": best_distance,
                "bks_distonly_vehicles": int(best["bks_distonly_vehicles"]) if best else None,
            })
            print(f"  {inst.name:6} {solver:16} vehicles {vehicles if vehicles else '-':>3}  "
                  f"distance {distance if distance is not None else '-':>10}  gap "
                  f"{gap if gap is not None else '-':>7} %  "
                  f"{'feasible' if feasible else 'NOT FEASIBLE: ' + '; '.join(violations[:2])}"
                  f"  ({run.wall_s:.1f} s)", flush=True)

    print()
    print(table(SUMMARY_HEADERS, summary_rows(records, solvers),
                title=f"THIS RUN, budget {args.budget:g} s: gap to the distance-only best known "
                      f"(solomon_bks.csv), mean over feasible runs"))
    names = {inst.upper() for inst in (r["instance"] for r in records)}
    rows, note = baseline_rows(names, args.budget)
    print()
    print(f"EARLIER MEASUREMENT, NOT THIS RUN: {BASELINES_CSV.name} (2026-11-23, same "
          f"recipe, same instances and budget) for reference")
    print(note if note else table(SUMMARY_HEADERS, rows))
    if args.json:
        write_json(args.json, records)
        print(f"\nwrote {len(records)} records to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
