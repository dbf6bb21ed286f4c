"""The ``carerounds`` command line: sample, plan, check and the other coordinator jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape

from ..errors import CareroundsError, InputError, NetworkUnavailableError
from .nightly import _plan_into, _warn, check_command, compare_command, replan_command
from .terminal import _signals, stderr, stdout

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_OTHER = 0, 1, 2, 3
#: Exit codes after SIGINT and SIGTERM (128 + the signal number, as a shell reports them).
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
#: Longest ``--time-limit`` accepted, seconds (a week; longer is a typing mistake).
MAX_TIME_LIMIT_S = 7 * 24 * 3600
#: Most ``--processes`` accepted (each is a process with its own copy of an area's model).
MAX_PROCESSES = 256


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def _number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{value!r} is not a finite number")
    return number


def _positive(value: str) -> float:
    number = _number(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def _time_limit(value: str) -> float:
    number = _positive(value)
    if number > MAX_TIME_LIMIT_S:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_TIME_LIMIT_S} seconds (a week)")
    return number


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _processes(value: str) -> int:
    number = _count(value)
    if number > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_PROCESSES}")
    return number


def _metres(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of metres") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


# ---- sample -------------------------------------------------------------------------------

def cmd_sample(args: argparse.Namespace) -> int:
    """``carerounds sample``: write a synthetic day of inputs."""
    from .sample import generate_sample, write_sample
    from .sample_calls import write_sample_calls

    if args.size == "week":
        return _week().sample_week(args, stderr.print)
    sample = generate_sample(args.region, date=args.date, seed=args.seed, size=args.size)
    paths = write_sample(sample, Path(args.out))
    paths += write_sample_calls(args.out, date=args.date, seed=args.seed)
    stderr.print(f"Wrote {len(paths)} files to {args.out} ({args.region}, {args.size}, seed {args.seed})")
    return EXIT_OK


# ---- plan ---------------------------------------------------------------------------------

def cmd_plan(args: argparse.Namespace) -> int:
    """``carerounds plan``: the nightly rota, with every output file (recorded with ``--store``).

    ``--out`` is checked and locked before the inputs are read. SIGINT and SIGTERM stop
    the search: nothing is written (the previous set stays) unless ``--keep-partial``,
    and the exit code is 130 or 143 either way (see docs/reliability.md).
    """
    from .outputset import check_output_dir, output_lock

    if args.week and args.pay:
        raise InputError("not yet taken with --week; plan the days one by one", field="--pay")
    if args.week:
        return _week().plan_week_command(args, stdout.print, stderr.print)

    out_dir = check_output_dir(args.out, flag="--out")
    with _signals.installed(), output_lock(out_dir, on_warning=_warn):
        return _plan_into(args, out_dir)


# ---- check --------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    """``carerounds check``: 0 when the rota is valid, 1 with its violations."""
    if args.week:
        return _week().check_week_command(args, stdout.print)
    return check_command(args)


# ---- replan -------------------------------------------------------------------------------

def cmd_replan(args: argparse.Namespace) -> int:
    """``carerounds replan``: the rest of the day re-planned after events; 1 if it fails checks."""
    return replan_command(args)


def _register_replan(subparsers) -> None:
    """Add ``carerounds replan`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "replan", help="re-plan the rest of the day after events (sickness, lateness, ...)",
        description="Re-plan a published rota from --at, changing as little as needed "
                    "(docs/replan.md). Exit 0, 1 when the checker rejects it, 2 on bad input.")
    _add_inputs(p)
    p.add_argument("--rota", metavar="FILE", help="the published rota.json (or --store, --date)")
    _add_store(p, "reads the rota published for --date and publishes the re-plan once checked")
    p.add_argument("--at", required=True, metavar="HH:MM", help="re-plan time")
    p.add_argument("--events", metavar="FILE.csv", help="event, worker_id, visit_id, at, until, "
                                                        "minutes")
    p.add_argument("--add-visits", metavar="FILE.csv", help="visits to add (visits.csv format)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--time-limit", type=_positive, default=10.0, metavar="S",
                   help="seconds for the whole re-plan (default 10)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--tolerance-min", type=_non_negative, default=15.0, metavar="MIN",
                   help="a visit may move this much at no cost (default 15)")
    p.set_defaults(func=cmd_replan)


# ---- roads --------------------------------------------------------------------------------

def cmd_roads_fetch(args: argparse.Namespace) -> int:
    """``carerounds roads fetch``: download a road network (online only)."""
    from ..geo import fetch_network

    path = fetch_network(region=args.region, polygon_path=args.polygon, out_path=Path(args.out))
    stdout.print(f"Wrote {path}")
    return EXIT_OK


# ---- duplicates, actuals, sheets, map, compare -------------------------------------------

def _allowed(value: str) -> tuple[str, str]:
    for sep in ("->", ":", ","):
        if sep in value:
            first, second = (part.strip() for part in value.split(sep, 1))
            if first and second:
                return (first, second)
    raise argparse.ArgumentTypeError(f"{value!r} is not a pair; write FIRST:SECOND, "
                                     "e.g. reablement:* or P1:P3")


def cmd_duplicates(args: argparse.Namespace) -> int:
    """``carerounds duplicates``: print the pairs, write duplicates.csv with --out.

    Returns 0 when no pair is found and 1 when there are pairs (findings).
    """
    from .duplicates import DEFAULT_ALLOWED_PAIRS, find_duplicate_visits, format_duplicates
    from .inputs import read_day
    from .outputs import write_duplicates_csv
    from .travel import build_travel

    day = read_day(args.inputs, date=args.date)
    travel = build_travel(day, roads=args.roads, cache_dir=args.cache)
    allowed = tuple(args.allow) if args.allow else DEFAULT_ALLOWED_PAIRS
    if args.no_allow:
        allowed = ()
    pairs = find_duplicate_visits(day, gap_s=int(round(args.gap_min * 60)), near_m=args.near_m,
                                  allowed_pairs=allowed, travel=travel)
    stdout.print(format_duplicates(pairs))
    if args.out:
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = write_duplicates_csv(pairs, day, out_dir / "duplicates.csv")
        stdout.print(f"Wrote {path}")
    return 1 if pairs else 0


def _non_negative(value: str) -> float:
    number = _number(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _register_duplicates(subparsers) -> None:
    """Add ``carerounds duplicates`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "duplicates", help="find duplicate visits by different providers",
        description="Find visits by different providers to one client or household at the "
                    "same or a similar time, and what merging them would save. Exit 0 when "
                    "none are found, 1 when there are pairs, 2 on bad input.")
    p.add_argument("--inputs", required=True, metavar="DIR",
                   help="folder with providers.csv, workers.csv, clients.csv, visits.csv")
    p.add_argument("--date", type=_date, default=None, help="plan date YYYY-MM-DD")
    p.add_argument("--gap-min", type=_non_negative, default=60.0, metavar="MIN",
                   help="largest gap between the two windows, minutes (default 60)")
    p.add_argument("--near-m", type=_non_negative, default=10.0, metavar="M",
                   help="homes this close are one household, metres (default 10)")
    p.add_argument("--allow", type=_allowed, action="append", metavar="FIRST:SECOND",
                   help="a planned handover that is not a duplicate (service, provider id or "
                        "kind; * for any); repeatable; default reablement:*")
    p.add_argument("--no-allow", action="store_true", help="flag planned handovers too")
    p.add_argument("--roads", default=None, metavar="FILE",
                   help="road network for travel saved (default: straight-line estimate)")
    p.add_argument("--cache", default=None, metavar="DIR", help="cache for road matrices")
    p.add_argument("--out", default=None, metavar="DIR", help="write DIR/duplicates.csv")
    p.set_defaults(func=cmd_duplicates)


def cmd_actuals(args: argparse.Namespace) -> int:
    """``carerounds actuals``: 0 when every visit went as planned, 1 with exceptions."""
    from .actuals import compare_actuals, format_actuals, read_calls
    from .inputs import read_day
    from .outputs import write_actuals_csv
    from .store.reports import record_calls, rota_of

    rota = rota_of(args.rota, args.store, args.date)
    calls = read_calls(args.calls)
    day = read_day(args.inputs, date=rota.date) if args.inputs else None
    report = compare_actuals(day, rota, calls, late_after_s=int(args.late_min * 60),
                             early_before_s=int(args.early_min * 60), short_ratio=args.short_ratio,
                             as_of_s=args.as_of)
    stdout.print(format_actuals(report))
    if args.store:
        stdout.print(record_calls(args.store, rota, calls, day))
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() != ".csv":
            out.mkdir(parents=True, exist_ok=True)
            out = out / "actuals.csv"
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
        stdout.print(f"Wrote {write_actuals_csv(report, out)}")
    return 1 if report.exceptions else 0


def _minutes(value: str) -> float:
    try:
        number = _number(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of minutes") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _ratio(value: str) -> float:
    number = _number(value)
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 1")
    return number


def _clock(value: str) -> int:
    from .units import parse_hhmm

    try:
        return parse_hhmm(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time; use HH:MM, e.g. 12:30") from None


def _register_actuals(subparsers) -> None:
    """Add ``carerounds actuals`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "actuals", help="compare call-monitoring records with the rota",
        description="Compare check-in/check-out records with a rota: late, early, short, "
                    "missed and unplanned visits per worker and provider. Exit 0 when all "
                    "went as planned, 1 with exceptions, 2 on bad input.")
    p.add_argument("--rota", metavar="FILE", help="rota.json written by plan (or --store, --date)")
    _add_store(p, "records the calls; with --date and no --rota, compares the published rota")
    p.add_argument("--date", type=_date, default=None, help="with --store: the rota's date")
    p.add_argument("--calls", required=True, metavar="FILE",
                   help="calls CSV: visit_id, worker_id, check_in, check_out")
    p.add_argument("--inputs", default=None, metavar="DIR",
                   help="the day's input folder, for windows (punctuality) and clients")
    p.add_argument("--late-min", type=_minutes, default=15.0, metavar="MIN",
                   help="late when checked in this long after the window (default 15)")
    p.add_argument("--early-min", type=_minutes, default=15.0, metavar="MIN",
                   help="early when checked in this long before the window (default 15)")
    p.add_argument("--short-ratio", type=_ratio, default=0.8, metavar="R",
                   help="short when on site under R x the planned time (default 0.8)")
    p.add_argument("--as-of", type=_clock, default=None, metavar="HH:MM",
                   help="judge the day so far: visits still to come are not_yet_due, "
                        "open calls in_progress (default: the day is over)")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="write the comparison: a .csv file, or a folder for actuals.csv")
    p.set_defaults(func=cmd_actuals)


# ---- store --------------------------------------------------------------------------------

def _add_store(p: argparse.ArgumentParser, what: str, *, required: bool = False) -> None:
    p.add_argument("--store", default=None, required=required, metavar="URL",
                   help=f"rota store, {what}: a URL such as sqlite:///rotas.db or "
                        "postgresql://user@host/db, or a SQLite file path (docs/store.md)")


def cmd_store(args: argparse.Namespace) -> int:
    """``carerounds store``: dates, versions, runs, export, a client's or worker's history."""
    from .store.reports import show

    stdout.print(show(args.store, args.action, vars(args)))
    return EXIT_OK


def _register_store(subparsers) -> None:
    """Add ``carerounds store --store URL ACTION`` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "store", help="list, export and look up rotas in the rota store",
        description="The rota store: dates, versions and runs; export a stored rota; a "
                    "client's or worker's recent visits (planned, and actual where recorded).")
    _add_store(p, "to read", required=True)
    act = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    act.add_parser("dates", help="dates with rotas, and the published version of each")
    act.add_parser("versions", help="every version of a date's rota: who, what, when") \
        .add_argument("--date", type=_date, required=True, help="plan date YYYY-MM-DD")
    a = act.add_parser("runs", help="the newest runs and how each ended")
    a.add_argument("--date", type=_date, default=None, help="only runs for this date")
    a.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (default 20)")
    a = act.add_parser("export", help="write a stored rota: rota.json, rota.csv, unplaced.csv")
    a.add_argument("--date", type=_date, required=True, help="plan date YYYY-MM-DD")
    a.add_argument("--version", type=int, default=None, help="this version (default published)")
    a.add_argument("--out", required=True, metavar="DIR", help="output folder")
    a.add_argument("--inputs", default=None, metavar="DIR", help="the folder planned from, "
                   "for rota.csv and unplaced.csv (the store keeps ids, not names)")
    for who in ("client", "worker"):
        a = act.add_parser(who, help=f"a {who}'s visits over the last 28 days")
        a.add_argument("id", metavar=f"{who.upper()}_ID")
        a.add_argument("--date", type=_date, default=None, help="last day (default newest)")
        a.add_argument("--days", type=int, default=28, help="days shown (default 28)")
    p.set_defaults(func=cmd_store)


def load_rota_day(args: argparse.Namespace):
    """Read ``--rota``, the ``--inputs`` for its date and, with ``--roads``, road travel."""
    from .inputs import read_day
    from .render.sheets import check_rota_inputs
    from .rota import read_rota
    from .travel import build_travel

    rota = read_rota(args.rota)
    name = Path(args.rota).name
    if args.date is not None and args.date != rota.date:
        raise InputError(f"the rota is for {rota.date.isoformat()} but --date is "
                         f"{args.date.isoformat()}; leave --date out", file=name, field="date")
    day = read_day(args.inputs, date=rota.date)
    check_rota_inputs(day, rota, file=name)
    travel = build_travel(day, roads=args.roads) if args.roads else None
    return day, rota, travel


def add_rota_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments shared by ``sheets`` and ``map``: ``--rota --inputs --out --date --roads``."""
    p.add_argument("--rota", required=True, metavar="FILE", help="rota.json written by plan")
    p.add_argument("--inputs", required=True, metavar="DIR",
                   help="the folder of input CSV files the rota was planned from")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--date", type=_date, default=None,
                   help="plan date YYYY-MM-DD (default and only allowed value: the rota's)")
    p.add_argument("--roads", default=None, metavar="FILE",
                   help="road network used for the plan, to draw rounds along the roads "
                        "(default: straight lines)")


def cmd_sheets(args: argparse.Namespace) -> int:
    """``carerounds sheets``: print the run sheets of a rota already planned."""
    from .outputset import check_output_dir, publish_files
    from .render.sheets import write_run_sheets

    out = check_output_dir(args.out, flag="--out", whole=False)
    day, rota, travel = load_rota_day(args)
    for path in publish_files(out, lambda folder: write_run_sheets(
            day, rota, folder, travel=travel, redact_access=args.redact_access)):
        stdout.print(f"Wrote {path}")
    return 0


def _register_sheets(subparsers) -> None:
    """Add ``carerounds sheets --rota FILE --inputs DIR --out DIR`` to the CLI."""
    p = subparsers.add_parser(
        "sheets", help="print run sheets (PDF and HTML) for a planned day",
        description="Write run_sheets.pdf and run_sheets.html: one section per care worker "
                    "with the day's visits in order, travel, totals and a route map.")
    add_rota_arguments(p)
    _add_redact(p)
    p.set_defaults(func=cmd_sheets)


def _add_redact(p: argparse.ArgumentParser) -> None:
    p.add_argument("--redact-access", action="store_true", help="print 'key safe: ask the "
                   "office' instead of clients' access details and codes on the run sheets")


def cmd_map(args: argparse.Namespace) -> int:
    """``carerounds map``: write the maps of a rota already planned."""
    from .outputset import check_output_dir, publish_files
    from .render.maps import write_maps

    out = check_output_dir(args.out, flag="--out", whole=False)
    day, rota, travel = load_rota_day(args)
    for path in publish_files(out, lambda folder: write_maps(
            day, rota, travel, folder, per_area=not args.no_areas, tiles=not args.no_tiles)):
        stdout.print(f"Wrote {path}")
    return 0


def _register_maps(subparsers) -> None:
    """Add ``carerounds map --rota FILE --inputs DIR --out DIR`` to the CLI."""
    p = subparsers.add_parser(
        "map", help="draw a planned day on a map (map.html, map.png)",
        description="Write map.html (interactive, self-contained apart from background "
                    "tiles), map.png and one map_<area>.html per area for a rota.")
    add_rota_arguments(p)
    p.add_argument("--no-areas", action="store_true", help="skip the per-area maps")
    p.add_argument("--no-tiles", action="store_true",
                   help="no OpenStreetMap background (for machines with no internet)")
    p.set_defaults(func=cmd_map)


def cmd_compare(args: argparse.Namespace) -> int:
    """``carerounds compare``: run scenarios against the base day and print the comparison."""
    return compare_command(args)


def _register_scenarios(subparsers) -> None:
    """Add ``carerounds compare`` to the CLI's subparsers (handler returns the exit code)."""
    p = subparsers.add_parser(
        "compare", help="run what-if scenarios against a day and compare them",
        description="Plan the base day and each scenario (TOML files) in parallel, print a "
                    "comparison table and write comparison.csv (tidy), summary.csv (wide) and "
                    "each scenario's rota.json and unplaced.csv. Exit 0, or 1 when the checker "
                    "rejects a scenario's rota.")
    p.add_argument("--inputs", required=True, metavar="DIR",
                   help="folder with providers.csv, workers.csv, clients.csv, visits.csv")
    p.add_argument("--scenario", required=True, nargs="+", metavar="FILE.toml",
                   help="scenario file(s); see docs/scenarios.md")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--date", type=_date, default=None, help="plan date YYYY-MM-DD (default tomorrow)")
    p.add_argument("--seed", type=int, default=1, help="seed for scenarios without one (default 1)")
    p.add_argument("--time-limit", type=_time_limit, default=10.0, metavar="S",
                   help="optimisation time limit per scenario in seconds (default 10)")
    p.add_argument("--workers", type=_processes, default=None, metavar="N",
                   help="local processes (default one per core; 1 = no subprocesses)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://HOST:PORT of a running scheduler, or "
                        "'local' to start one here")
    p.add_argument("--roads", default=None, metavar="FILE",
                   help="road network (.osm, .osm.bz2, .osm.pbf, .graphml); default: "
                        "straight-line estimate")
    p.add_argument("--cache", default=None, metavar="DIR", help="cache folder for road matrices")
    p.add_argument("--weights", default=None, metavar="FILE", help="base objective weights (TOML)")
    p.add_argument("--no-base", action="store_true", help="do not run the base day itself")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_compare)


# ---- the care week (handlers in week_cli) -------------------------------------------------

def _week():
    from . import week_cli

    return week_cli


def _add_week_plan(p: argparse.ArgumentParser) -> None:
    """``plan --week``: seven days together (``--time-limit`` is then per day solve)."""
    p.add_argument("--week", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="plan the seven days from this date from packages.csv, with the same "
                        "carers every day (see docs/week.md); --time-limit is per day solve")
    p.add_argument("--rounds", type=int, default=2, metavar="N",
                   help="with --week: rounds over the week (default 2)")
    p.add_argument("--continuity", type=int, default=3000, metavar="COST",
                   help="with --week: cost of a carer-visit outside the client's week carers "
                        "(default 3000, 50 min of travel)")
    p.add_argument("--no-baseline", action="store_true",
                   help="with --week: do not also plan seven independent days to compare")


def _register_expand(subparsers) -> None:
    """Add ``carerounds expand`` (packages to dated visits, one folder per date)."""
    p = subparsers.add_parser(
        "expand", help="turn packages.csv into one dated input folder per day",
        description="Write OUT/YYYY-MM-DD/ for each date: the day's visits from packages.csv "
                    "(ids PACKAGE-YYYY-MM-DD), the workers on shift that day, clients and "
                    "history; each folder is a day carerounds plan reads.")
    p.add_argument("--inputs", required=True, metavar="DIR", help="a week folder (packages.csv)")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--week", type=_date, metavar="YYYY-MM-DD", help="seven days from this date")
    when.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="one date")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(func=lambda args: _week().expand(args, stdout.print))


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
        p.add_argument("--max-snap-m", type=_metres, default=1000,
                       help="warn when a home is further than this from a road (default 1000)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    from ..geo.regions import REGIONS

    parser = argparse.ArgumentParser(
        prog="carerounds", description="Home-care visit scheduling on the real road network.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("sample", help="write a synthetic but realistic day of inputs",
                       description="Write a synthetic day (providers, workers, clients, visits).")
    p.add_argument("--region", required=True, choices=sorted(REGIONS))
    p.add_argument("--date", type=_date, required=True, help="plan date YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--size", choices=["small", "day", "week"], default="small",
                   help="small: ~60 visits, 8 workers; day: ~1,500 visits, 180 workers; week: "
                        "packages.csv and workers with days off for seven days from --date")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the CSV files to")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("plan", help="plan the rota for a day",
                       description="Plan every worker's round for a day and write rota.json, "
                                   "rota.csv, unplaced.csv, the reports, run sheets and maps "
                                   "into --out as one set (manifest.json lists every file). "
                                   "Exit 0; 2 on bad input; 3 when the outputs cannot be "
                                   "written (the previous set is kept); 130/143 on "
                                   "SIGINT/SIGTERM.")
    _add_inputs(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--time-limit", type=_time_limit, default=30.0, metavar="S",
                   help="optimisation time limit in seconds, at most a week (default 30)")
    p.add_argument("--solution-limit", type=_count, default=None, metavar="N",
                   help="stop after N improving solutions (repeatable runs)")
    p.add_argument("--pool", action="store_true",
                   help="let any provider's workers do every visit, and list provider changes")
    p.add_argument("--weights", default=None, metavar="FILE", help="objective weights (TOML)")
    p.add_argument("--engine", choices=["auto", "monolithic", "decomposed"], default="auto",
                   help="decomposed: improve parts of the day (providers, else areas) in parallel "
                        "then the whole day; auto "
                        "decomposes days over 400 carer-visits (default auto)")
    p.add_argument("--processes", type=_processes, default=2, metavar="N",
                   help="parallel sub-solves for the decomposed engine (default 2)")
    p.add_argument("--dedupe", choices=["report", "merge"], default="report",
                   help="duplicate multi-provider visits: report them (default) or plan one "
                        "merged visit per duplicate pair and list every merge")
    _add_store(p, "records the run and publishes the rota once checked")
    p.add_argument("--label", default=None, help="who or what plans, for the store "
                   "(default: night plan, or replan HH:MM when the date has a rota)")
    p.add_argument("--keep-partial", action="store_true",
                   help="on SIGINT or SIGTERM write the best rota found so far, checked and "
                        "marked partial (default: write nothing and keep the previous outputs)")
    _add_redact(p)
    p.add_argument("--pay", metavar="FILE.toml", help="pay model of the fair-work reports "
                   "(docs/coordinator.md#pay-model; default: contact and travel paid at £12.60)")
    _add_week_plan(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("check", help="independently verify a rota against its inputs",
                       description="Check a rota: exit 0 when valid, 1 with the violations.")
    _add_inputs(p)
    p.add_argument("--rota", metavar="FILE", help="rota.json written by plan (or --store, --date)")
    _add_store(p, "instead of --rota: checks the rota published for --date")
    p.add_argument("--add-visits", metavar="FILE.csv", help="a re-plan's added visits")
    p.add_argument("--base-rota", metavar="FILE", help="a re-plan's base rota (checks the past)")
    p.add_argument("--events", metavar="FILE.csv", help="a re-plan's events (with --base-rota)")
    p.add_argument("--week", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="check the seven days from this date (--rota is the folder plan --week "
                        "wrote) and the weekly rules")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("roads", help="road networks (download when online)")
    roads_sub = p.add_subparsers(dest="roads_command", required=True, metavar="ACTION")
    f = roads_sub.add_parser("fetch", help="download a region's drive network with osmnx (online)",
                             description="Download a road network with osmnx; fails at once offline.")
    where = f.add_mutually_exclusive_group(required=True)
    where.add_argument("--region", choices=sorted(REGIONS))
    where.add_argument("--polygon", metavar="FILE", help="boundary polygon (GeoJSON, GPKG, .poly)")
    f.add_argument("--out", required=True, metavar="FILE.graphml")
    f.set_defaults(func=cmd_roads_fetch)

    for register in (_register_duplicates, _register_actuals, _register_sheets, _register_maps,
                     _register_scenarios, _register_store, _register_replan,
                     _register_expand):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``carerounds`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        stderr.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_INPUT
    except NetworkUnavailableError as exc:
        stderr.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_OTHER
    except CareroundsError as exc:
        stderr.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_OTHER
    except ModuleNotFoundError as exc:
        from .._optional import EXTRA_OF, missing_extra

        if (exc.name or "").split(".")[0] not in EXTRA_OF:
            raise
        stderr.print(f"[red]error:[/] {escape(str(missing_extra(exc, purpose='this command')))}",
                     soft_wrap=True)
        return EXIT_OTHER
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        stderr.print(f"interrupted by {signal.Signals(signum).name}")
        return 128 + signum


if __name__ == "__main__":
    sys.exit(main())
