"""Re-planning a county day: the re-plan against a from-scratch plan of the rest of the day.

Generates the Midlothian ``day`` sample (about 1,490 visits and 170 workers), plans it
as the night would (or reads a rota already planned), then runs 20 seeded disruption
scenarios: a worker off from 07:30, from 10:30 and from 12:00, two workers off from
10:30, five urgent visits added, cancellations and overruns. Each is re-planned twice
with the same time limit, both from the same fixed past and the same continuation
points: (a) ``carerounds replan`` (warm start, the costs of change) and (b) a
from-scratch plan of the rest of the day by the nightly engine (no costs of change).
Reported per run: wall time to a rota both checkers accept, visits placed and
unplaced, changed assignments, visits moved beyond the tolerance, phone calls, the
share of unaffected later visits that keep their worker and start (within 15 min),
and travel.

    python benchmarks/replan.py [--time-limit 10] [--base-budget 120] [--seed 1]
                                [--inputs DIR --rota FILE] [--only off_1030] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table, write_json  # noqa: E402

from carerounds.routing import SolveParams  # noqa: E402
from carerounds.scheduler.events import ADDED_PREFIX, Event, with_added_visits  # noqa: E402
from carerounds.scheduler.inputs import read_day  # noqa: E402
from carerounds.scheduler.model import Day, SourceFile, Visit  # noqa: E402
from carerounds.scheduler.outputs import write_rota_json
from carerounds.scheduler.plan import plan_day  # noqa: E402
from carerounds.scheduler.replan import ReplanOptions, replan_day  # noqa: E402
from carerounds.scheduler.rota import Rota, read_rota
from carerounds.scheduler.sample import generate_sample, write_sample  # noqa: E402
from carerounds.scheduler.travel import build_travel  # noqa: E402

DATE = dt.date(2026, 11, 24)
H, M = 3600, 60
TOLERANCE_S = 15 * M


def _busy_workers(base: Rota, at_s: int) -> list[str]:
    """Workers with visits after ``at_s``, busiest first (ties by id)."""
    counts: dict[str, int] = {}
    for sh in base.shifts:
        for st in sh.stops:
            if st.start_s >= at_s:
                counts[sh.worker_id] = counts.get(sh.worker_id, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))


def _urgent(day: Day, rng: random.Random, at_s: int, n: int) -> tuple[SourceFile, tuple[Visit, ...]]:
    """``n`` hospital discharges for random clients, starting within two hours of ``at_s``."""
    clients = rng.sample(sorted(day.client_by_id), n)
    visits = []
    for k, client in enumerate(clients, start=1):
        start = at_s + rng.choice((30, 60, 90, 120)) * M
        visits.append(Visit(f"URG{k:02d}", client, None, start, start + 2 * H,
                            rng.choice((30, 45)) * M, 1, frozenset(), "high",
                            "hospital_discharge", ("settle home", "meal preparation")))
    digest = hashlib.sha256(repr(visits).encode()).hexdigest()
    return SourceFile(ADDED_PREFIX + "urgent.csv", digest, n), tuple(visits)


def scenarios(day: Day, base: Rota, seed: int) -> list[dict]:
    """The 20 seeded disruptions: name, re-plan time, events and added visits."""
    rng = random.Random(seed)
    out: list[dict] = []

    def off(name: str, at_s: int, k: int, count: int = 1) -> None:
        picked = rng.sample(_busy_workers(base, at_s)[:40], k * count)
        for i in range(k):
            workers = picked[i * count:(i + 1) * count]
            out.append({"name": f"{name}#{i + 1}", "at_s": at_s, "added": None,
                        "events": tuple(Event("worker_unavailable", worker_id=w, at_s=at_s)
                                        for w in workers)})

    off("off_0730", 7 * H + 30 * M, 3)
    off("off_1030", 10 * H + 30 * M, 3)
    off("off_1200", 12 * H, 3)
    off("two_off_1030", 10 * H + 30 * M, 3, count=2)
    for i, at_s in enumerate((10 * H, 13 * H, 16 * H), start=1):
        out.append({"name": f"urgent5#{i}", "at_s": at_s, "events": (),
                    "added": _urgent(day, rng, at_s, 5)})
    for i, at_s in enumerate((9 * H, 14 * H, 17 * H), start=1):
        later = sorted(o.visit_id for o in base.scheduled if o.start_s >= at_s + 30 * M)
        out.append({"name": f"cancel5#{i}", "at_s": at_s, "added": None,
                    "events": tuple(Event("visit_cancelled", visit_id=v)
                                    for v in rng.sample(later, 5))})
    for i, at_s in enumerate((12 * H + 10 * M, 18 * H + 15 * M), start=1):
        under_way = sorted({st.visit_id for sh in base.shifts for st in sh.stops
                            if st.start_s < at_s < st.end_s})
        out.append({"name": f"overrun3#{i}", "at_s": at_s, "added": None,
                    "events": tuple(Event("visit_overrun", visit_id=v,
                                          minutes=rng.choice((20, 30, 45)))
                                    for v in rng.sample(under_way, 3))})
    return out


def measure(day: Day, base: Rota, travel, scenario: dict, mode: str, time_limit: float,
            seed: int) -> dict:
    """Run one scenario in one mode and measure it against the published rota."""
    at_s, events = scenario["at_s"], scenario["events"]
    planned = with_added_visits(day, *scenario["added"]) if scenario["added"] else day
    started = time.perf_counter()
    result = replan_day(planned, base, travel, at_s=at_s, events=events, mode=mode,
                        params=SolveParams(time_limit_s=time_limit, seed=seed),
                        options=ReplanOptions(tolerance_s=TOLERANCE_S))
    wall_s = time.perf_counter() - started
    rota = result.rota
    new = {o.visit_id: o for o in rota.outcomes}
    touched_workers = {e.worker_id for e in events if e.worker_id}
    touched_visits = {e.visit_id for e in events if e.visit_id}
    later = [o for o in base.scheduled if o.start_s is not None and o.start_s >= at_s]
    unaffected = [o for o in later if not set(o.workers) & touched_workers
                  and o.visit_id not in touched_visits]
    kept = [o for o in unaffected if new[o.visit_id].status == "scheduled"
            and set(new[o.visit_id].workers) == set(o.workers)
            and abs((new[o.visit_id].start_s or 0) - o.start_s) <= TOLERANCE_S]
    reassigned = [o for o in later if new[o.visit_id].status == "scheduled"
                  and set(new[o.visit_id].workers) != set(o.workers)]
    moved = [o for o in later if new[o.visit_id].status == "scheduled"
             and set(new[o.visit_id].workers) == set(o.workers)
             and abs((new[o.visit_id].start_s or 0) - o.start_s) > TOLERANCE_S]
    past = [o for o in base.scheduled if o.visit_id in result.fixed]
    return {
        "scenario": scenario["name"], "mode": mode,
        "events": [e.describe() for e in events] + [f"add {v.visit_id}" for v in
                                                     (scenario["added"] or (None, ()))[1]],
        "at": f"{at_s // H:02d}:{at_s % H // M:02d}",
        "wall_s": round(wall_s, 2), "check_ok": not result.violations,
        "violations": len(result.violations),
        "placed": len(rota.scheduled), "unplaced": len(rota.unplaced),
        "base_unplaced": len(base.unplaced),
        "reassigned": len(reassigned), "moved_beyond_tol": len(moved),
        "changes": len(result.changes), "calls": sum(c.needs_call for c in result.changes),
        "keep_unaffected": round(len(kept) / max(1, len(unaffected)), 4),
        "unaffected": len(unaffected), "fixed": len(past),
        "fixed_unchanged": all(new[o.visit_id] == o or (new[o.visit_id].workers == o.workers
                                                        and new[o.visit_id].start_s == o.start_s)
                               for o in past),
        "travel_h": round(sum(sh.travel_s for sh in rota.shifts if sh.stops) / H, 2),
    }


def _base(args, folder: Path) -> tuple[Day, Rota]:
    if args.inputs and args.rota:
        base = read_rota(args.rota)
        return read_day(args.inputs, date=base.date), base
    write_sample(generate_sample("midlothian", date=DATE, seed=args.seed, size="day"), folder)
    day = read_day(folder, date=DATE)
    print(f"planning the night rota ({args.base_budget:g} s) ...", flush=True)
    base = plan_day(day, build_travel(day), params=SolveParams(time_limit_s=args.base_budget,
                                                                seed=args.seed))
    write_rota_json(base, folder / "rota.json")
    return day, base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per re-plan")
    parser.add_argument("--base-budget", type=float, default=120.0,
                        help="seconds for the night plan (when no --rota is given)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--inputs", default=None, help="a day already generated (with --rota)")
    parser.add_argument("--rota", default=None, help="its night rota.json")
    parser.add_argument("--only", default=None, help="run scenarios whose name starts so")
    parser.add_argument("--modes", default="replan,scratch")
    parser.add_argument("--json", default=None, metavar="FILE")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        day, base = _base(args, Path(tmp))
        travel = build_travel(day)
        print(f"base rota: {len(base.scheduled)} placed, {len(base.unplaced)} unplaced")
        chosen = [s for s in scenarios(day, base, args.seed)
                  if not args.only or s["name"].startswith(args.only)]
        for scenario in chosen:
            for mode in args.modes.split(","):
                r = measure(day, base, travel, scenario, mode, args.time_limit, args.seed)
                records.append(r)
                print(f"{r['scenario']:<16}{r['mode']:<8}{r['wall_s']:>7.1f} s  placed "
                      f"{r['placed']:>5}  unplaced {r['unplaced']:>3}  reassigned "
                      f"{r['reassigned']:>4}  keep {r['keep_unaffected']:.3f}  check "
                      f"{'ok' if r['check_ok'] else 'FAIL'}", flush=True)
    cols = ("scenario", "mode", "at", "wall_s", "check_ok", "placed", "unplaced", "reassigned",
            "moved_beyond_tol", "calls", "keep_unaffected", "travel_h")
    print()
    print(table(cols, [[r[c] for c in cols] for r in records],
                title=f"Re-plan against from-scratch, {args.time_limit:g} s each"))
    for mode in args.modes.split(","):
        mine = [r for r in records if r["mode"] == mode]
        if mine:
            print(f"{mode}: median wall {sorted(r['wall_s'] for r in mine)[len(mine) // 2]:.1f} s, "
                  f"max {max(r['wall_s'] for r in mine):.1f} s; unplaced total "
                  f"{sum(r['unplaced'] for r in mine)}; reassigned total "
                  f"{sum(r['reassigned'] for r in mine)}; mean keep "
                  f"{sum(r['keep_unaffected'] for r in mine) / len(mine):.3f}; all checked "
                  f"{all(r['check_ok'] for r in mine)}")
    if args.json:
        write_json(args.json, records)
    return 0 if all(r["check_ok"] and r["fixed_unchanged"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
