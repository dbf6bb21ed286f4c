"""Consistent VRP benchmarks (ConVRP, HConVRP) and the care week against seven independent days.

Usage::

    python benchmarks/convrp.py [--set convrp,hconvrp,week] [--instances P1,b3]
        [--budget 30] [--seed 0] [--week-limit 10] [--json FILE]

- ``convrp``: the 12 instances of Groër, Golden & Wasil (2009), 50-199 customers over
  5 days (p = 0.7), solved by the template search of ``benchmarks/consistent.py``
  (unlimited fleet, no arrival-time limit: neither the fleet sizes nor Groër's L are in
  the files); cost = travel + service over the 5 days, against the best known
  (``convrp_bks.csv``, which was found with both limits).
- ``hconvrp``: Stavropoulou's (2022) small set b1-b11 (heterogeneous fixed fleet,
  3 days, every vehicle out every day), driver consistency only, against the CPLEX
  optimum of that variant (``hconvrp_small_reference.csv``, ``cplex_tt_driver_only``).
- ``week``: ``carerounds``' Midlothian sample week (``sample --size week``) planned as a
  week and as seven independent days, each day solve ``--week-limit`` seconds.

Every ConVRP solution is re-checked here from the raw file, independently of the
solver: each customer served exactly on its days, loads within capacity, route
durations within the limit, one vehicle for every frequent customer on all its days
(driver consistency), and the largest spread of arrival times of a frequent customer
over their days (vehicles leave the depot at 0 and never wait).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
from _common import BENCH_DATA, mean, require, split_names, table, write_json
from consistent import ConsistentInstance, ConsistentResult, Driver, solve_consistent

CONVRP_DIR = BENCH_DATA / "convrp"
HEADERS = ["instance", "customers", "days", "cost", "reference", "gap %", "feasible",
           "consistent %", "max arrival spread", "vehicles/day", "iterations", "wall s"]


# ---- readers -----------------------------------------------------------------------------


def read_groer(path: Path) -> ConsistentInstance:
    """A Groër et al. (2009) ``.vrp`` file: TSPLIB-like, demand ``-1`` = no service."""
    lines = path.read_text(encoding="ascii").splitlines()
    header: dict[str, str] = {}
    sections: dict[str, list[list[float]]] = {}
    current = None
    for line in lines:
        text = line.strip()
        if not text or text == "EOF":
            continue
        if text.endswith("SECTION"):
            current = text
            sections[current] = []
        elif ":" in text and current is None:
            key, value = text.split(":", 1)
            header[key.strip()] = value.strip()
        elif current is not None:
            sections[current].append([float(v) for v in text.split()])
    days = int(header["NUM_DAYS"])
    n = int(header["DIMENSION"]) - 1
    depot = sections["DEPOT_SECTION"][0][:2]
    xy = np.array([depot] + [row[1:3] for row in sections["NODE_COORD_SECTION"][:n]])
    raw = np.array([[0] * days] + [row[1:1 + days] for row in sections["DEMAND_SECTION"][:n]])
    service = np.array([[0] * days] + [row[1:1 + days]
                                       for row in sections["SVC_TIME_SECTION"][:n]])
    need = raw >= 0
    need[0] = False
    limit = float(header.get("DISTANCE", "9999999"))
    return ConsistentInstance(
        name=path.stem, xy=xy, demand=np.where(need, raw, 0), service=np.where(need, service, 0),
        need=need, max_duration=float("inf") if limit >= 999999 else limit,
        unlimited=Driver(capacity=float(header["CAPACITY"])))


def read_hconvrp(path: Path) -> ConsistentInstance:
    """A Stavropoulou (2022) HConVRP file: fleet by type, demands 0 = no service."""
    tokens = [line.split() for line in path.read_text(encoding="ascii").splitlines()
              if line.strip()]
    at = {row[0]: k for k, row in enumerate(tokens)}
    days = int(tokens[at["DAYS"]][1])
    fleet = []
    for row in tokens:
        if row[0].startswith("TYPE") and len(row) == 6:
            count, capacity, fixed, var, speed = (float(v) for v in row[1:])
            fleet += [Driver(capacity, fixed, var, speed)] * int(count)
    n = int(tokens[at["CUSTOMERS"]][1]) - 1
    depot = [float(v) for v in tokens[at["DEPOT"]][1:3]]
    coords = tokens[at["CUSTOMERCOORDINATES"] + 1: at["CUSTOMERCOORDINATES"] + 1 + n]
    demands = tokens[at["CUSTOMERDEMANDS"] + 1: at["CUSTOMERDEMANDS"] + 1 + n]
    xy = np.array([depot] + [[float(r[0]), float(r[1])] for r in coords])
    demand = np.array([[0.0] * days] + [[float(v) for v in r[1:1 + days]] for r in demands])
    need = demand > 0
    service = np.where(need, np.array([[0.0]] + [[float(r[2])] for r in coords]), 0.0)
    return ConsistentInstance(name=path.stem, xy=xy, demand=demand, service=service, need=need,
                              max_duration=float(tokens[at["MAXTIME"]][1]), fleet=tuple(fleet),
                              every_day=True)


# ---- independent check -------------------------------------------------------------------


def check(inst: ConsistentInstance, result: ConsistentResult) -> dict:
    """Re-derive cost, feasibility, consistency and arrival spread from the routes alone."""
    d = inst.dist
    served: dict[tuple[int, int], list[int]] = {}
    arrivals: dict[int, list[float]] = {}
    problems = []
    cost = 0.0
    for k, (drv, days) in enumerate(zip(result.drivers, result.routes)):
        for t, route in enumerate(days):
            if not route:
                if inst.every_day:
                    problems.append(f"vehicle {k} has no route on day {t + 1}")
                continue
            nodes = [0, *route, 0]
            length = sum(float(d[a, b]) for a, b in zip(nodes, nodes[1:]))
            clock, prev = 0.0, 0
            for i in route:
                clock += float(d[prev, i]) / drv.speed
                arrivals.setdefault(i, []).append(clock)
                clock += float(inst.service[i, t])
                served.setdefault((i, t), []).append(k)
                prev = i
            duration = length / drv.speed + sum(float(inst.service[i, t]) for i in route)
            load = sum(float(inst.demand[i, t]) for i in route)
            if load > drv.capacity + 1e-6:
                problems.append(f"vehicle {k} day {t + 1} carries {load} > {drv.capacity}")
            if duration > inst.max_duration + 1e-6:
                problems.append(f"vehicle {k} day {t + 1} takes {duration:.2f} > "
                                f"{inst.max_duration}")
            cost += drv.var_cost * length + drv.fixed_cost
    for i in inst.customers:
        for t in range(inst.days):
            got = len(served.get((i, t), []))
            if got != int(inst.need[i, t]):
                problems.append(f"customer {i} day {t + 1} served {got} times")
    frequent = [i for i in inst.customers if inst.need[i].sum() >= 2]
    consistent = sum(1 for i in frequent
                     if len({k for t in range(inst.days) for k in served.get((i, t), [])}) == 1)
    spread = max((max(a) - min(a) for i, a in arrivals.items() if i in set(frequent)),
                 default=0.0)
    return {"cost": cost, "problems": problems, "frequent": len(frequent),
            "consistent_pct": 100.0 * consistent / len(frequent) if frequent else 100.0,
            "max_arrival_spread": spread,
            "vehicles_per_day": max(sum(1 for days in result.routes if days[t])
                                    for t in range(inst.days))}


def _reference(path: Path, column: str) -> dict[str, float]:
    with path.open(encoding="utf-8") as handle:
        return {Path(r["instance_file"]).name: float(r[column]) for r in csv.DictReader(handle)}


def run_set(name: str, ids: list[str] | None, budget: float, seed: int) -> list[dict]:
    """Solve and check one benchmark set; one record per instance."""
    if name == "convrp":
        folder = require(CONVRP_DIR / "groer2009_p07", "ConVRP instances")
        files = sorted(folder.glob("*.vrp"), key=lambda p: int(p.stem.split("_")[1]))
        ref = _reference(CONVRP_DIR / "convrp_bks.csv", "bks_total_time")
        labels = {p.name: f"P{p.stem.split('_')[1]}" for p in files}
        reader = read_groer
    else:
        folder = require(CONVRP_DIR / "hconvrp_stavropoulou2022" / "small", "HConVRP instances")
        ref = _reference(CONVRP_DIR / "hconvrp_small_reference.csv", "cplex_tt_driver_only")
        files = sorted((folder / name for name in ref), key=lambda p: int(p.stem[1:]))
        labels = {p.name: p.stem for p in files}
        reader = read_hconvrp
    records = []
    for path in files:
        label = labels[path.name]
        if ids and label not in ids:
            continue
        inst = reader(path)
        result = solve_consistent(inst, time_limit_s=budget, seed=seed)
        checked = check(inst, result)
        # ConVRP's objective counts service time as well as travel
        cost = checked["cost"] + (float(inst.service.sum()) if name == "convrp" else 0.0)
        reference = ref.get(path.name)
        records.append({
            "set": name, "instance": label, "file": path.name,
            "customers": len(inst.xy) - 1, "days": inst.days, "cost": round(cost, 2),
            "reference": reference,
            "gap_pct": None if reference is None else round(100 * (cost / reference - 1), 3),
            "feasible": not checked["problems"], "problems": checked["problems"][:5],
            "consistent_pct": checked["consistent_pct"],
            "max_arrival_spread": round(checked["max_arrival_spread"], 2),
            "vehicles_per_day": checked["vehicles_per_day"], "iterations": result.iterations,
            "wall_s": round(result.wall_s, 1), "budget_s": budget, "seed": seed})
        row = records[-1]
        print(f"{label}: cost {row['cost']:.2f}, reference {reference}, gap {row['gap_pct']} %, "
              f"consistent {row['consistent_pct']:.0f} %, feasible {row['feasible']}",
              file=sys.stderr)
    return records


def run_week(limit_s: float, seed: int, rounds: int, *, template_time: int = 3,
             continuity: int | None = None, extra: dict[str, int] | None = None,
             out: Path | None = None) -> dict:
    """The Midlothian sample week planned as a week and as seven independent days.

    With ``out``, the per-client figures of both (``week_clients.csv``,
    ``independent_clients.csv``) and every day's rota (``week/DATE.json``,
    ``independent/DATE.json``) are written there for analysis.
    """
    import tempfile

    from carerounds.routing import SolveParams
    from carerounds.scheduler.outputs import write_rota_json
    from carerounds.scheduler.packages import read_week
    from carerounds.scheduler.render.week_report import headline
    from carerounds.scheduler.sample_week import generate_week_sample, write_week_sample
    from carerounds.scheduler.travel import build_travel
    from carerounds.scheduler.week import WeekOptions, plan_week
    from carerounds.scheduler.week_check import check_week
    from carerounds.scheduler.week_stats import week_stats, write_week_clients_csv

    start = dt.date(2026, 11, 23)
    with tempfile.TemporaryDirectory() as tmp:
        write_week_sample(generate_week_sample("midlothian", start=start, seed=1), Path(tmp))
        week = read_week(tmp, start=start)
    travel = build_travel(week.whole())
    began = time.perf_counter()
    plan = plan_week(week, travel, params=SolveParams(time_limit_s=limit_s, seed=seed),
                     options=WeekOptions(rounds=rounds, template_time=template_time,
                                         **({} if continuity is None
                                            else {"continuity": continuity}),
                                         **(extra or {})))
    ours, alone = week_stats(week, plan.rotas), week_stats(week, plan.baseline)
    violations = check_week(week, plan.rotas, travel)
    base_violations = [v for v in check_week(week, plan.baseline, travel)
                       if v.kind != "week_days"]
    if out is not None:
        for label, stats, rotas in (("week", ours, plan.rotas),
                                    ("independent", alone, plan.baseline)):
            (out / label).mkdir(parents=True, exist_ok=True)
            write_week_clients_csv(stats, week, out / f"{label}_clients.csv")
            for rota in rotas:
                write_rota_json(rota, out / label / f"{rota.date.isoformat()}.json")
    return {"set": "week", "instance": "midlothian week sample", "day_limit_s": limit_s,
            "rounds": rounds, "seed": seed, "template_time": template_time,
            "continuity": plan.options.continuity,
            "options": plan.options.describe(), "wall_s": round(time.perf_counter() - began, 1),
            "week": headline(ours), "independent_days": headline(alone),
            "travel_change_pct": round(100 * (ours.travel_s / alone.travel_s - 1), 2),
            "days": [{"date": r.date.isoformat(), "engine": r.run.get("engine"),
                      "travel_h": round(sum(sh.travel_s for sh in r.shifts if sh.stops) / 3600, 2),
                      "independent_travel_h": round(sum(sh.travel_s for sh in b.shifts
                                                        if sh.stops) / 3600, 2),
                      "unplaced": len(r.unplaced), "independent_unplaced": len(b.unplaced)}
                     for r, b in zip(plan.rotas, plan.baseline)],
            "violations": [str(v) for v in violations][:10],
            "independent_days_weekly_violations": len(base_violations)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="convrp,hconvrp", help="convrp, hconvrp, week "
                                                               "(comma-separated)")
    parser.add_argument("--instances", help="e.g. P1,P7,b3 (default: all of each set)")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds per ConVRP/HConVRP instance (default 30)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--week-limit", type=float, default=10.0,
                        help="seconds per day solve of the week (default 10)")
    parser.add_argument("--week-rounds", type=int, default=2)
    parser.add_argument("--week-template-time", type=int, default=3,
                        help="the first (template) day's limit, times --week-limit")
    parser.add_argument("--week-continuity", type=int, help="WeekOptions.continuity")
    parser.add_argument("--week-option", action="append", default=[], metavar="NAME=N",
                        help="another integer WeekOptions field, e.g. overtime=0 (repeatable)")
    parser.add_argument("--week-out", metavar="DIR", type=Path,
                        help="write the week's per-client figures and rotas here")
    parser.add_argument("--json", metavar="FILE", help="write one record per instance")
    args = parser.parse_args(argv)
    sets = split_names(args.set) or []
    ids = split_names(args.instances)
    records: list[dict] = []
    for name in sets:
        if name in ("convrp", "hconvrp"):
            found = run_set(name, ids, args.budget, args.seed)
            records += found
            rows = [(r["instance"], r["customers"], r["days"], r["cost"], r["reference"],
                     r["gap_pct"], r["feasible"], r["consistent_pct"], r["max_arrival_spread"],
                     r["vehicles_per_day"], r["iterations"], r["wall_s"]) for r in found]
            print(table(HEADERS, rows, title=f"{name} ({args.budget:g} s each, seed "
                                              f"{args.seed})"))
            print(f"mean gap {mean(r['gap_pct'] for r in found)} %, all feasible: "
                  f"{all(r['feasible'] for r in found)}, all 100 % consistent: "
                  f"{all(r['consistent_pct'] == 100.0 for r in found)}\n")
        elif name == "week":
            record = run_week(args.week_limit, args.seed, args.week_rounds,
                              template_time=args.week_template_time,
                              continuity=args.week_continuity,
                              extra={k: int(v) for k, v in
                                     (o.split("=", 1) for o in args.week_option)},
                              out=args.week_out)
            records.append(record)
            w, b = record["week"], record["independent_days"]
            print(table(["", "placed", "unplaced", "travel h", "median top-3 share",
                         "median carers", "over weekly limit", "short rest"],
                        [(label, x["placed"], x["unplaced"], x["travel_h"],
                          x["median_top3_share"], x["median_carers"],
                          x["workers_over_weekly_limit"], x["workers_short_rest"])
                         for label, x in (("week", w), ("independent days", b))],
                        title=f"Midlothian sample week ({args.week_limit:g} s per day solve, "
                              f"{args.week_rounds} rounds, template x{args.week_template_time}, "
                              f"continuity {record['continuity']})"))
            print(f"travel {record['travel_change_pct']:+.2f} % against independent days; "
                  f"check --week: {len(record['violations'])} violation(s)\n")
        else:
            parser.error(f"unknown set {name!r}; choose convrp, hconvrp, week")
    if args.json:
        write_json(args.json, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
