"""The week's commands: ``expand``, ``sample --size week``, ``plan --week``, ``check --week``.

:mod:`carerounds.scheduler.cli` parses the arguments and calls these with the parsed
namespace and two printers (standard output and standard error); each returns the exit
code. No argument parsing happens here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError

Printer = Callable[[str], None]
EXIT_OK, EXIT_VIOLATIONS = 0, 1


def _week_start(args: Any) -> dt.date:
    start = getattr(args, "week", None)
    if start is None:
        raise InputError("give the first day of the week with --week YYYY-MM-DD", field="--week")
    if getattr(args, "date", None) is not None:
        raise InputError("--date plans one day; with --week leave it out", field="--date")
    return start


def sample_week(args: Any, err: Printer) -> int:
    """``carerounds sample --size week``: write a synthetic week of inputs."""
    from .sample_week import generate_week_sample, write_week_sample

    sample = generate_week_sample(args.region, start=args.date, seed=args.seed)
    paths = write_week_sample(sample, Path(args.out))
    err(f"Wrote {len(paths)} files to {args.out} ({args.region}, week from "
        f"{args.date.isoformat()}, seed {args.seed})")
    return EXIT_OK


def expand(args: Any, out: Printer) -> int:
    """``carerounds expand``: one input folder per date of the week, visits from packages."""
    from .packages import read_week, write_day_folder

    start = args.week or args.date
    if start is None:
        raise InputError("give --week YYYY-MM-DD (seven days) or --date YYYY-MM-DD (one day)",
                         field="--week")
    week = read_week(args.inputs, start=start)
    dates = week.dates if args.week else (start,)
    for date in dates:
        folder = Path(args.out) / date.isoformat()
        write_day_folder(week, Path(args.inputs), date, folder)
        day = week.day(date)
        out(f"{date.isoformat()} ({date.strftime('%a')}): {len(day.visits)} visits, "
            f"{len(day.workers)} workers on shift -> {folder}")
    return EXIT_OK


def _options(args: Any):
    from ..routing import Weights
    from .build import PlanOptions
    from .week import WeekOptions

    weights = Weights.from_toml(args.weights) if args.weights else Weights()
    return WeekOptions(plan=PlanOptions(pool=args.pool, weights=weights),
                       continuity=args.continuity, rounds=args.rounds, engine=args.engine,
                       processes=args.processes, baseline=not args.no_baseline)


def plan_week_command(args: Any, out: Printer, err: Printer) -> int:
    """``carerounds plan --week``: plan seven days together and write the week's files."""
    from ..routing import SolveParams
    from .packages import read_week
    from .render.week_report import headline, stats_of, write_week
    from .travel import build_travel
    from .week import plan_week

    start = _week_start(args)
    if getattr(args, "store", None):
        raise InputError("a week is not recorded in the rota store yet; plan it without "
                         "--store", field="--store")
    if getattr(args, "dedupe", "report") != "report":
        raise InputError("a week reports duplicate visits per day; --dedupe merge is for one "
                         "day", field="--dedupe")
    week = read_week(args.inputs, start=start)
    travel = build_travel(week.whole(), roads=args.roads, cache_dir=args.cache,
                          max_snap_m=args.max_snap_m)
    for warning in travel.warnings[:20]:
        err(f"warning {warning}")
    options = _options(args)
    params = SolveParams(time_limit_s=args.time_limit, solution_limit=args.solution_limit,
                         seed=args.seed)
    solves = 7 * (options.rounds + (1 if options.baseline else 0))
    err(f"Planning the week {week.dates[0]} to {week.dates[-1]}: {solves} day solves of "
        f"{args.time_limit:g} s (seed {args.seed})")
    started = time.perf_counter()

    def progress(phase: str, date: dt.date) -> None:
        if not args.quiet:
            err(f"  {phase}: {date.isoformat()} ({time.perf_counter() - started:.0f} s)")

    plan = plan_week(week, travel, params=params, options=options, on_day=progress)
    skipped: list[str] = []
    written = write_week(plan, Path(args.out), skipped=skipped)
    for note in skipped:
        err(f"note {note}")
    stats, base = stats_of(plan)
    _print_week(out, headline(stats), headline(base) if base else None)
    out(f"Wrote {len(written)} files to {args.out} (week_report.html, week_clients.csv, "
        "week_workers.csv, week_unplaced.csv, week.json and a folder per day)")
    return EXIT_OK


def _print_week(out: Printer, week: dict, base: dict | None) -> None:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f} %"

    out(f"Visits placed:    {week['placed']} of {week['visits']} "
        f"({week['unplaced']} unplaced)")
    out(f"Travel:           {week['travel_h']:.1f} h")
    out(f"Continuity:       median client {pct(week['median_top3_share'])} of visits by their "
        f"3 most frequent carers; median {week['median_carers']} carers; "
        f"{week['clients_within_3_carers']} of {week['clients']} clients with 3 or fewer")
    out(f"Same time:        {pct(week['recurring_on_time_share'])} of recurring visits always "
        "within the tolerance")
    out(f"Weekly rules:     {week['workers_over_weekly_limit']} worker(s) over the weekly limit, "
        f"{week['workers_short_rest']} with short rest between days")
    out(f"Contracted hours: met by {week['contracts_met']} of {week['contracts']} workers")
    if base:
        change = week["travel_h"] / base["travel_h"] - 1 if base["travel_h"] else 0.0
        out(f"Seven independent days: {base['placed']} placed, travel {base['travel_h']:.1f} h "
            f"(the week: {change:+.1%}), median continuity {pct(base['median_top3_share'])}, "
            f"{base['workers_over_weekly_limit']} over the weekly limit, "
            f"{base['workers_short_rest']} with short rest")


def check_week_command(args: Any, out: Printer) -> int:
    """``carerounds check --week``: 0 when all seven days and the week's rules hold."""
    from .packages import read_week
    from .rota import read_rota
    from .travel import build_travel
    from .week_check import check_week

    start = _week_start(args)
    if not args.rota:
        raise InputError("give --rota DIR, the folder plan --week wrote", field="--rota")
    folder = Path(args.rota)
    week = read_week(args.inputs, start=start)
    rotas = []
    for date in week.dates:
        path = folder / date.isoformat() / "rota.json"
        if path.exists():
            rotas.append(read_rota(path))
    travel = build_travel(week.whole(), roads=args.roads, cache_dir=args.cache,
                          max_snap_m=args.max_snap_m)
    violations = check_week(week, rotas, travel)
    if violations:
        out(f"INVALID: {len(violations)} violation(s)")
        for v in violations:
            out(f"  {v}")
        return EXIT_VIOLATIONS
    for rota in rotas:
        out(f"VALID {rota.date.isoformat()}: {len(rota.scheduled)} visits scheduled, "
            f"{len(rota.unplaced)} unplaced with reasons")
    out(f"VALID week: {len(rotas)} days, every worker within the weekly limit and rested "
        "between days")
    return EXIT_OK
