"""The ``carerounds`` command line: sample, plan, check and the other coordinator jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
from collections import Counter
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import CareroundsError, InputError, NetworkUnavailableError

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_OTHER = 0, 1, 2, 3

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, markup=False, soft_wrap=True)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


class _Phases:
    """Prints each phase of a long job with its duration, on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def run(self, label: str, work: Callable[[], object]) -> object:
        started = time.perf_counter()
        with err.status(label + " ...", spinner="dots") if not self.quiet else _nothing():
            result = work()
        if not self.quiet:
            err.print(f"[green]done[/] {label} ({time.perf_counter() - started:.1f} s)")
        return result

    def timed(self, label: str, seconds: float, work: Callable[[Callable], object]) -> object:
        """Run work with a bar that fills over its time limit.

        ``work`` receives a callback for progress reports (phase, sub-solves done,
        placed / unplaced visits, travel so far) shown beside the bar.
        """
        if self.quiet:
            return work(lambda p: None)
        stop = threading.Event()
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task(label, total=seconds)
            started = time.perf_counter()

            def tick() -> None:
                while not stop.wait(0.25):
                    progress.update(task, completed=min(seconds, time.perf_counter() - started))

            def report(p) -> None:
                progress.update(task, description=(
                    f"{label}: {p.phase} {p.done}/{p.total}, {p.placed} placed, "
                    f"{p.unplaced} unplaced, travel {p.travel_s / 3600:.1f} h"))

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            try:
                result = work(report)
            finally:
                stop.set()
                ticker.join()
        err.print(f"[green]done[/] {label} ({time.perf_counter() - started:.1f} s)")
        return result


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# ---- sample -------------------------------------------------------------------------------

def cmd_sample(args: argparse.Namespace) -> int:
    from .sample import generate_sample, write_sample

    sample = generate_sample(args.region, date=args.date, seed=args.seed, size=args.size)
    paths = write_sample(sample, Path(args.out))
    err.print(f"Wrote {len(paths)} files to {args.out} ({args.region}, {args.size}, seed {args.seed})")
    return EXIT_OK


# ---- plan ---------------------------------------------------------------------------------

def _load_day_and_travel(args: argparse.Namespace, phases: _Phases):
    from .io import read_day
    from .travel import build_travel

    day = phases.run("Reading inputs", lambda: read_day(args.inputs, date=args.date))
    what = f"Road travel times from {Path(args.roads).name}" if args.roads else \
        "Travel times (straight-line estimate)"
    travel = phases.run(what, lambda: build_travel(
        day, roads=args.roads, cache_dir=getattr(args, "cache", None),
        max_snap_m=getattr(args, "max_snap_m", 1000)))
    for warning in travel.warnings[:20]:
        err.print(f"[yellow]warning[/] {escape(warning)}")
    return day, travel


def _plan_options(args: argparse.Namespace):
    from ..routing import Weights
    from .build import PlanOptions

    weights = Weights.from_toml(args.weights) if args.weights else Weights()
    return PlanOptions(pool=args.pool, weights=weights)


def cmd_plan(args: argparse.Namespace) -> int:
    from ..routing import SolveParams
    from .duplicates import find_duplicate_visits, merge_duplicates, merged_outcomes
    from .plan import plan_day
    from .rota import (format_summary, summarise, write_rota_csv, write_rota_json,
                       write_unplaced_csv)

    phases = _Phases(args.quiet)
    day, travel = _load_day_and_travel(args, phases)
    options = _plan_options(args)
    params = SolveParams(time_limit_s=args.time_limit, solution_limit=args.solution_limit,
                         seed=args.seed)
    pairs = find_duplicate_visits(day, travel=travel)
    planned, merges = day, ()
    if args.dedupe == "merge":
        planned, merges = merge_duplicates(day, pairs)
    err.print(f"Planning {len(planned.visits)} visits for {len(day.workers)} workers on "
              f"{day.date.isoformat()} (time limit {args.time_limit:g} s, seed {args.seed})")
    rota = phases.timed("Optimising rounds", args.time_limit,
                        lambda report: plan_day(planned, travel, params=params, options=options,
                                                engine=args.engine, processes=args.processes,
                                                on_progress=report))
    run = {**rota.run, "dedupe": args.dedupe, "duplicate_pairs": len(pairs),
           "merges": [{"kept": m.kept, "absorbed": m.absorbed} for m in merges]}
    rota = replace(rota, outcomes=rota.outcomes + merged_outcomes(merges), run=run)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_rota_json(rota, out_dir / "rota.json"),
               write_rota_csv(rota, planned, out_dir / "rota.csv"),
               write_unplaced_csv(rota, planned, out_dir / "unplaced.csv")]
    written += _write_extras(planned, rota, travel, out_dir, pairs, merges)
    summary = summarise(rota, planned)
    out.print(format_summary(summary))
    if rota.run.get("solution_source") == "insertion":
        out.print("Search: nothing better than cheapest insertion within the time limit; "
                  "the insertion rota stands (give more --time-limit to improve it)")
    out.print(f"Duplicate multi-provider visits: {len(pairs)} pair(s)"
              + (f", {len(merges)} merged" if merges else " (see duplicates.csv)"))
    if options.pool:
        changed = [o for o in rota.scheduled
                   if day.visit_by_id[o.visit_id].provider_id not in (None, o.provider_id)]
        out.print(f"Visits that changed provider (pool): {len(changed)}")
        for o in changed[:50]:
            out.print(f"  {o.visit_id}: {day.visit_by_id[o.visit_id].provider_id} -> {o.provider_id}")
        if len(changed) > 50:
            out.print(f"  ... and {len(changed) - 50} more (rota.csv has every one)")
    out.print(f"Travel: {'; '.join(travel.describe().values())}")
    out.print("Wrote " + ", ".join(p.name for p in written) + f" to {out_dir}")
    return EXIT_OK


def _write_extras(day, rota, travel, out_dir: Path, pairs, merges) -> list[Path]:
    """Reports, run sheets and maps that accompany every plan."""
    from . import maps, report, sheets

    written = report.write_plan_report(day, rota, travel, out_dir, duplicates=pairs,
                                       merges=merges)
    written += sheets.write_run_sheets(day, rota, out_dir, travel=travel)
    written += maps.write_maps(day, rota, travel, out_dir, duplicates=pairs)
    return written


# ---- check --------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_rota
    from .rota import read_rota

    phases = _Phases(args.quiet)
    rota = read_rota(args.rota)
    if args.date is None:
        args.date = rota.date
    day, travel = _load_day_and_travel(args, phases)
    violations = check_rota(day, rota, travel)
    if violations:
        out.print(f"INVALID: {len(violations)} violation(s)")
        for v in violations:
            out.print(f"  {v}", markup=False)
        return EXIT_VIOLATIONS
    status = Counter(o.status for o in rota.outcomes)
    merged = f", {status['merged']} merged into others" if status["merged"] else ""
    out.print(f"VALID: {status['scheduled']} visits scheduled, {status['unplaced']} unplaced with "
              f"reasons{merged}, every one of {len(day.visits)} input visits accounted for")
    return EXIT_OK


# ---- roads --------------------------------------------------------------------------------

def cmd_roads_fetch(args: argparse.Namespace) -> int:
    from ..geo import fetch_network

    path = fetch_network(region=args.region, polygon_path=args.polygon, out_path=Path(args.out))
    out.print(f"Wrote {path}")
    return EXIT_OK


# ---- parser -------------------------------------------------------------------------------

def _add_inputs(p: argparse.ArgumentParser, *, roads: bool = True) -> None:
    p.add_argument("--inputs", required=True, metavar="DIR",
                   help="folder with providers.csv, workers.csv, clients.csv, visits.csv")
    p.add_argument("--date", type=_date, default=None, help="plan date YYYY-MM-DD (default tomorrow)")
    if roads:
        p.add_argument("--roads", default=None, metavar="FILE",
                       help="road network (.osm, .osm.bz2, .osm.pbf, .graphml); default: "
                            "straight-line estimate")
        p.add_argument("--cache", default=None, metavar="DIR",
                       help="cache folder for road travel matrices")
        p.add_argument("--max-snap-m", type=int, default=1000,
                       help="warn when a home is further than this from a road (default 1000)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="carerounds", description="Home-care visit scheduling on the real road network.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("sample", help="write a synthetic but realistic day of inputs",
                       description="Write a synthetic day (providers, workers, clients, visits).")
    p.add_argument("--region", required=True, choices=["midlothian", "monmouthshire", "rutland"])
    p.add_argument("--date", type=_date, required=True, help="plan date YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--size", choices=["small", "day"], default="small",
                   help="small: ~60 visits, 8 workers; day: ~1,500 visits, 180 workers")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the CSV files to")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("plan", help="plan the rota for a day",
                       description="Plan every worker's round for a day and write rota.json, "
                                   "rota.csv and unplaced.csv.")
    _add_inputs(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--time-limit", type=_positive, default=30.0, metavar="S",
                   help="optimisation time limit in seconds (default 30)")
    p.add_argument("--solution-limit", type=int, default=None, metavar="N",
                   help="stop after N improving solutions (repeatable runs)")
    p.add_argument("--pool", action="store_true",
                   help="let any provider's workers do every visit, and list provider changes")
    p.add_argument("--weights", default=None, metavar="FILE", help="objective weights (TOML)")
    p.add_argument("--engine", choices=["auto", "monolithic", "decomposed"], default="auto",
                   help="decomposed: solve areas in parallel then repair across them; auto "
                        "decomposes days over 400 carer-visits (default auto)")
    p.add_argument("--processes", type=int, default=2, metavar="N",
                   help="parallel sub-solves for the decomposed engine (default 2)")
    p.add_argument("--dedupe", choices=["report", "merge"], default="report",
                   help="duplicate multi-provider visits: report them (default) or plan one "
                        "merged visit per duplicate pair and list every merge")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("check", help="independently verify a rota against its inputs",
                       description="Check a rota: exit 0 when valid, 1 with the violations.")
    _add_inputs(p)
    p.add_argument("--rota", required=True, metavar="FILE", help="rota.json written by plan")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("roads", help="road networks (download when online)")
    roads_sub = p.add_subparsers(dest="roads_command", required=True, metavar="ACTION")
    f = roads_sub.add_parser("fetch", help="download a region's drive network with osmnx (online)",
                             description="Download a road network with osmnx; fails at once offline.")
    where = f.add_mutually_exclusive_group(required=True)
    where.add_argument("--region", choices=["midlothian", "monmouthshire", "rutland"])
    where.add_argument("--polygon", metavar="FILE", help="boundary polygon (GeoJSON, GPKG, .poly)")
    f.add_argument("--out", required=True, metavar="FILE.graphml")
    f.set_defaults(func=cmd_roads_fetch)

    from . import actuals, duplicates, maps, scenarios, sheets

    for module in (duplicates, actuals, sheets, maps, scenarios):
        module.register_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carerounds`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_INPUT
    except NetworkUnavailableError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_OTHER
    except CareroundsError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_OTHER
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
