"""Continuity of carer within one day: share of carer-visits by regular carers against travel.

Generates the Midlothian ``day`` sample (with its four weeks of history, ``history.csv``)
and plans it at several weights of a carer-visit by someone outside the client's regular
carers (``Weights.non_preferred``; the planner's default is the first row), all with the
same seed and time limit, in one run. Reports per weight: placed and unplaced visits,
carer-visits by the client's regular carers (the three with most past visits, as the
fair-work report counts them), travel hours and the change against the default weight,
and the independent checker's verdict. ``reachable`` is the most a plan could reach:
carer-visits whose client has a regular carer on shift today.

    python benchmarks/continuity_day.py [--region midlothian] [--weights 600,1200,2400]
                                        [--limit 30] [--seed 1] [--plan-seed N] [--json FILE]

``--seed`` is the sample's seed (and the solver's, unless ``--plan-seed`` gives another:
repeat runs of the same day).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _common import split_names, table, write_json

from carerounds.routing import SolveParams
from carerounds.scheduler.build import PlanOptions
from carerounds.scheduler.check import check_rota
from carerounds.scheduler.fairwork import fair_work_checks
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.sample import generate_sample, write_sample
from carerounds.scheduler.travel import build_travel

DATE = dt.date(2026, 11, 24)


def reachable(day) -> tuple[int, int]:
    """Carer-visits whose client has a regular carer on shift today, and all carer-visits."""
    on_shift = {w.worker_id for w in day.workers if w.shifts}
    total = hit = 0
    for visit in day.visits:
        total += visit.carers
        regulars = day.regular_workers(visit.client_id) & on_shift
        hit += min(visit.carers, len(regulars))
    return hit, total


def run(day, travel, weight: int, limit_s: float, seed: int) -> dict:
    """Plan the day with one continuity weight; share, travel and the checker's verdict."""
    options = PlanOptions()
    options = replace(options, weights=replace(options.weights, non_preferred=weight))
    began = time.perf_counter()
    rota = plan_day(day, travel, params=SolveParams(time_limit_s=limit_s, seed=seed),
                    options=options)
    wall_s = time.perf_counter() - began
    report = fair_work_checks(day, rota)
    with_regulars = [c for c in report.clients if c.regulars]
    slots = sum(c.slots for c in with_regulars)
    regular = sum(c.regular_slots for c in with_regulars)
    return {"weight": weight, "placed": len(rota.scheduled), "unplaced": len(rota.unplaced),
            "carer_visits": slots, "by_regulars": regular,
            "share_pct": round(100 * regular / slots, 1) if slots else None,
            "travel_s": sum(sh.travel_s for sh in rota.shifts if sh.stops),
            "violations": len(check_rota(day, rota, travel)), "engine": rota.run.get("engine"),
            "wall_s": round(wall_s, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="midlothian")
    parser.add_argument("--weights", default="600,1200,2400,4800",
                        help="non_preferred weights, the first is the reference")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds per plan")
    parser.add_argument("--seed", type=int, default=1, help="the sample's seed")
    parser.add_argument("--plan-seed", type=int, default=None,
                        help="the solver's seed (default: --seed)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    weights = [int(w) for w in split_names(args.weights) or ["600"]]
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(generate_sample(args.region, date=DATE, seed=args.seed, size="day"),
                     Path(tmp))
        day = read_day(tmp, date=DATE)
    travel = build_travel(day)
    hit, total = reachable(day)
    plan_seed = args.seed if args.plan_seed is None else args.plan_seed
    records = []
    for weight in weights:
        records.append(run(day, travel, weight, args.limit, plan_seed))
        r = records[-1]
        print(f"weight {weight}: {r['by_regulars']}/{r['carer_visits']} by regulars, "
              f"travel {r['travel_s'] / 3600:.1f} h", file=sys.stderr, flush=True)
    base = records[0]["travel_s"]
    rows = [(r["weight"], r["placed"], r["unplaced"], f"{r['by_regulars']}/{r['carer_visits']}",
             r["share_pct"], round(r["travel_s"] / 3600, 1),
             round(100 * (r["travel_s"] / base - 1), 1), r["violations"], r["wall_s"])
            for r in records]
    print(table(["non_preferred", "placed", "unplaced", "by regulars", "share %", "travel h",
                 "travel vs first %", "violations", "wall s"], rows,
                title=f"{args.region} day, {args.limit:g} s per plan, sample seed {args.seed}, "
                      f"solver seed {plan_seed}; "
                      f"reachable {hit}/{total} carer-visits "
                      f"({100 * hit / max(1, total):.1f} %)"))
    if args.json:
        write_json(args.json, [{"reachable": hit, "carer_visits_total": total, **r}
                               for r in records])
    return 0


if __name__ == "__main__":
    sys.exit(main())
