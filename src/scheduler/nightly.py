"""The ``plan``, ``check``, ``replan`` and ``compare`` runs: read, plan or check, write, report.

Called only by :mod:`carerounds.scheduler.cli` (``args`` is its parsed command line); the
planning itself is :func:`carerounds.scheduler.plan.plan_with_duplicates` and the files
:func:`carerounds.scheduler.render.write_plan`.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.markup import escape

from ..errors import InputError
from .terminal import _Phases, _signals, stderr, stdout

EXIT_OK, EXIT_VIOLATIONS, EXIT_OTHER = 0, 1, 3


def _load_day_and_travel(args: Any, phases: _Phases):
    from .inputs import read_day
    from .travel import build_travel

    day = phases.run("Reading inputs", lambda: read_day(args.inputs, date=args.date))
    what = f"Road travel times from {Path(args.roads).name}" if args.roads else \
        "Travel times (straight-line estimate)"
    travel = phases.run(what, lambda: build_travel(
        day, roads=args.roads, cache_dir=getattr(args, "cache", None),
        max_snap_m=getattr(args, "max_snap_m", 1000)))
    for warning in travel.warnings[:20]:
        _warn(warning)
    return day, travel


def _warn(message: str) -> None:
    stderr.print(f"[yellow]warning[/] {escape(message)}", soft_wrap=True)


def _plan_options(args: Any):
    from ..routing import Weights
    from .build import PlanOptions

    weights = Weights.from_toml(args.weights) if args.weights else Weights()
    return PlanOptions(pool=args.pool, weights=weights)


def _pay_model(args: Any) -> tuple[dict[str, object] | None, dict[str, str] | None]:
    """``--pay FILE.toml``: the pay rules and, for rota.json's run, the file's name and SHA-256."""
    import hashlib

    from .fairwork import read_pay_model

    if not getattr(args, "pay", None):
        return None, None
    pay = read_pay_model(args.pay)  # InputError naming the file and key: exit 2
    digest = hashlib.sha256(Path(args.pay).read_bytes()).hexdigest()
    return pay, {"file": Path(args.pay).name, "sha256": digest}


def _unchanged(out_dir: Path) -> str:
    if not out_dir.exists():
        return f"{out_dir} was not created"
    return f"the previous outputs in {out_dir} are unchanged"


def _plan_into(args: Any, out_dir: Path) -> int:
    from .outputset import manifest_run_id
    from .store import recorder

    previous = manifest_run_id(out_dir)
    asked = {"seed": args.seed, "time_limit_s": args.time_limit, "engine": args.engine,
             "solution_limit": args.solution_limit, "pool": args.pool, "dedupe": args.dedupe}
    try:
        with recorder(args.store, args.date, label=args.label, parameters=asked) as run:
            args.date = run.plan_date or args.date  # --store needs the date now: default tomorrow
            return _plan_and_write(args, out_dir, run)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        current = manifest_run_id(out_dir)
        if current is not None and current != previous:
            state = f"the new outputs in {out_dir} were complete and in place before it stopped"
        else:
            state = f"nothing written; {_unchanged(out_dir)}"
        stderr.print(f"[red]interrupted[/] by {signal.Signals(signum).name}: {escape(state)}")
        return 128 + signum


def _plan_and_write(args: Any, out_dir: Path, run) -> int:
    from ..routing import SolveParams
    from .plan import plan_with_duplicates
    from .render import search_budget_s, write_plan
    from .rota import format_summary, summarise

    phases = _Phases(args.quiet)
    pay, pay_source = _pay_model(args)  # read first: a bad pay file stops before the solve
    day, travel = _load_day_and_travel(args, phases)
    day = run.use_history(day)
    options = _plan_options(args)
    # --time-limit bounds the run, outputs written: the search leaves time for writing
    search_s = search_budget_s(args.time_limit, len(day.visits))
    params = SolveParams(time_limit_s=search_s, solution_limit=args.solution_limit,
                         seed=args.seed)
    kept = (f": {search_s:.1f} s of search, {args.time_limit - search_s:.1f} s kept for writing"
            if search_s < args.time_limit - 0.05 else "")
    stderr.print(f"Planning {len(day.visits)} visits for {len(day.workers)} workers on "
                 f"{day.date.isoformat()} (time limit {args.time_limit:g} s{kept}, "
                 f"seed {args.seed})")
    if not day.visits:
        stderr.print("[yellow]note[/] visits.csv has no visits: the rota will be empty")
    started = time.perf_counter()
    with _signals.mode_of("search"):
        result = phases.timed("Optimising rounds", search_s,
                              lambda report: plan_with_duplicates(
                                  day, travel, params=params, options=options,
                                  dedupe=args.dedupe, engine=args.engine,
                                  processes=args.processes, on_progress=report,
                                  history_source=run.history_source))
    stopped = _signals.received
    if stopped is not None:
        name = signal.Signals(stopped).name
        elapsed = time.perf_counter() - started
        if not args.keep_partial:
            run.stopped_by = name
            stderr.print(f"[yellow]stopped[/] by {name} after {elapsed:.1f} s of optimising: "
                         f"nothing written; {escape(_unchanged(out_dir))} (pass --keep-partial "
                         "to keep the best rota found so far)")
            return 128 + stopped
        result = _partial(result, name, elapsed)
        problem = _check_partial(result)
        if problem:
            stderr.print(f"[red]error:[/] {escape(problem)}; nothing written; "
                         f"{escape(_unchanged(out_dir))}")
            return EXIT_OTHER
    if pay_source is not None:
        result = replace(result, rota=replace(result.rota, run={**result.rota.run,
                                                                "pay_model": pay_source}))
    skipped: list[str] = []
    # with --keep-partial a signal while writing lets the set be finished (a second one
    # abandons it); otherwise writing stops at once and the staged set is dropped
    with _signals.mode_of("finish") if args.keep_partial else contextlib.nullcontext():
        written = phases.run("Writing rota, reports, run sheets and maps",
                             lambda: write_plan(result, out_dir, skipped=skipped,
                                                redact_access=args.redact_access, pay=pay))
    for note in skipped:
        stderr.print(f"[yellow]note[/] {escape(note)}")
    if stopped is None:
        run.save(result)  # a partial rota is written for the coordinator, never published
    else:
        run.stopped_by = signal.Signals(stopped).name
    rota = result.rota
    stdout.print(format_summary(summarise(rota, result.planned)))
    if rota.run.get("solution_source") == "insertion":
        stdout.print("Search: nothing better than cheapest insertion within the time limit; "
                     "the insertion rota stands (give more --time-limit to improve it)")
    stdout.print(f"Duplicate multi-provider visits: {len(result.duplicates)} pair(s)"
                 + (f", {len(result.merges)} merged" if result.merges
                    else " (see duplicates.csv)"))
    if options.pool:
        changed = [o for o in rota.scheduled
                   if day.visit_by_id[o.visit_id].provider_id not in (None, o.provider_id)]
        stdout.print(f"Visits that changed provider (pool): {len(changed)}")
        for o in changed[:50]:
            stdout.print(f"  {o.visit_id}: {day.visit_by_id[o.visit_id].provider_id} -> "
                         f"{o.provider_id}")
        if len(changed) > 50:
            stdout.print(f"  ... and {len(changed) - 50} more (rota.csv has every one)")
    stdout.print(f"Travel: {'; '.join(travel.describe().values())}")
    stdout.print("Wrote " + ", ".join(p.name for p in written) + f" to {out_dir}")
    if stopped is not None:
        stdout.print(f"PARTIAL rota: the search was stopped by {signal.Signals(stopped).name} "
                     f"after {rota.run['stopped_after_s']:g} s of its {args.time_limit:g} s; this "
                     "is the best rota found by then, a complete and checked set marked "
                     "run.partial = true in rota.json and partial in manifest.json")
    elif _signals.received is not None:
        name = signal.Signals(_signals.received).name
        stderr.print(f"[yellow]stopped[/] by {name} while writing; the outputs in "
                     f"{escape(str(out_dir))} are complete")
        return 128 + _signals.received
    if run.saved:
        stdout.print(run.describe())
        if stopped is None:
            return EXIT_OK if run.saved.published else EXIT_VIOLATIONS
    return 128 + stopped if stopped is not None else EXIT_OK


def _partial(result, signal_name: str, elapsed_s: float):
    """``result`` with its rota marked partial: stopped by a signal before the time limit."""
    run = {**result.rota.run, "partial": True, "interrupted": signal_name,
           "stopped_after_s": round(elapsed_s, 1)}
    return replace(result, rota=replace(result.rota, run=run))


def _check_partial(result) -> str | None:
    """Why a partial rota must not be handed out (the independent check fails), or None."""
    from .check import check_rota

    violations = check_rota(result.day, result.rota, result.travel)
    if violations:
        return (f"the best rota found before the stop fails the independent check "
                f"({len(violations)} violation(s), first: {violations[0]})")
    return None


def check_command(args: Any) -> int:
    """``carerounds check``: 0 when the rota is valid, 1 with its violations."""
    from .check import check_replan, check_rota
    from .events import read_events, replan_day_inputs
    from .rota import read_rota
    from .store.reports import rota_of

    phases = _Phases(args.quiet)
    rota = rota_of(args.rota, args.store, args.date)
    if args.date is None:
        args.date = rota.date
    day, travel = _load_day_and_travel(args, phases)
    day = replan_day_inputs(day, rota, args.add_visits,
                            rota_file=Path(args.rota).name if args.rota else "rota.json")
    violations = check_rota(day, rota, travel)
    if args.base_rota:
        events = read_events(args.events, day) if args.events else ()
        violations += check_replan(day, read_rota(args.base_rota), events, rota, travel)
    if violations:
        stdout.print(f"INVALID: {len(violations)} violation(s)")
        for v in violations:
            stdout.print(f"  {v}", markup=False)
        return EXIT_VIOLATIONS
    status = Counter(o.status for o in rota.outcomes)
    merged = f", {status['merged']} merged into others" if status["merged"] else ""
    merged += f", {status['cancelled']} cancelled" if status["cancelled"] else ""
    stdout.print(f"VALID: {status['scheduled']} visits scheduled, {status['unplaced']} unplaced with "
              f"reasons{merged}, every one of {len(day.visits)} input visits accounted for")
    return EXIT_OK


def replan_command(args: Any) -> int:
    """``carerounds replan``: the rest of the day re-planned after events; 1 if it fails checks."""
    from .._optional import available
    from ..routing import SolveParams
    from .changes import changed_rota, format_replan_summary, write_replan
    from .events import parse_replan_time, read_events, replan_day_inputs
    from .replan import ReplanOptions, replan_day
    from .store.reports import rota_of

    base, at_s = rota_of(args.rota, args.store, args.date), parse_replan_time(args.at)
    args.date = args.date or base.date
    day, travel = _load_day_and_travel(args, _Phases(args.quiet))
    day = replan_day_inputs(day, base, args.add_visits,
                            rota_file=Path(args.rota).name if args.rota else "rota.json")
    events = read_events(args.events, day) if args.events else ()
    result = _Phases(args.quiet).run(
        f"Re-planning from {args.at}",
        lambda: replan_day(day, base, travel, at_s=at_s, events=events, params=SolveParams(
            time_limit_s=args.time_limit, seed=args.seed), options=ReplanOptions(
            tolerance_s=int(round(args.tolerance_min * 60)))))
    written = write_replan(result, Path(args.out))
    if result.changed_workers and available("reportlab"):
        from .render.sheets import write_run_sheets

        written += write_run_sheets(result.day, changed_rota(result), args.out, travel=travel)
    stdout.print(format_replan_summary(result))
    stdout.print("Wrote " + ", ".join(p.name for p in written) + f" to {args.out}")
    if args.store:
        from .store import open_store

        # a new version of the date, published only when the checks above passed
        with open_store(args.store) as store:
            run_id = store.start_run(base.date, label=f"replan {args.at}")
            saved = store.save_rota(run_id, result.rota, violations=list(result.violations))
        stdout.print(f"Store: version {saved.version} of {base.date.isoformat()} "
                     + ("published" if saved.published else "kept unpublished (failed checks)"))
    return EXIT_VIOLATIONS if result.violations else EXIT_OK


def format_table(table) -> str:
    """A wide comparison table as plain aligned text (two decimals, blanks for missing)."""
    return table.to_string(float_format=lambda v: f"{v:,.2f}", na_rep="-")


def compare_command(args: Any) -> int:
    """``carerounds compare``: run scenarios against the base day and print the comparison."""
    from ..routing import SolveParams, Weights
    from .build import PlanOptions
    from .inputs import read_day
    from .travel import build_travel
    from .whatif.scenarios import (
        Scenario,
        comparison_frame,
        comparison_table,
        prepare_runs,
        read_scenario,
        run_prepared,
        travel_modes,
        write_comparison,
    )
    from .whatif.sweep import check_cluster_address

    if args.cluster:
        check_cluster_address(args.cluster)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"must be at least 1, got {args.workers}", field="--workers")
    scenarios = [read_scenario(p) for p in args.scenario]
    day = read_day(args.inputs, date=args.date)
    params = SolveParams(time_limit_s=args.time_limit, seed=args.seed)
    options = PlanOptions(weights=Weights.from_toml(args.weights) if args.weights else Weights())
    runs = prepare_runs(day, scenarios, options=options, params=params,
                        include_base=not args.no_base)
    modes = travel_modes(runs)
    if not args.quiet:
        stderr.print(f"Travel times for {', '.join(modes)}"
                  + (f" from {Path(args.roads).name}" if args.roads else " (straight-line estimate)"))
    travel = build_travel(day, roads=args.roads, cache_dir=args.cache, modes=modes)
    where = args.cluster or f"{args.workers or 'one per core'} local process(es)"
    if not args.quiet:
        stderr.print(f"Running {len(runs)} scenario(s) on {where}, {args.time_limit:g} s each, "
                  f"seed {args.seed} unless a scenario sets its own")
    results = run_prepared(runs, travel, workers=args.workers, cluster=args.cluster,
                           progress=not args.quiet)
    written = write_comparison(results, args.out)
    table = comparison_table(comparison_frame(results))
    for run in results:
        stdout.print(f"{run.name}: {run.description}")
    stdout.print("")
    stdout.print(format_table(table))
    stdout.print("")
    stdout.print(f"Wrote {written[0]} and {written[1]}, and a folder per scenario in {args.out}")
    bad = [r for r in results if r.violations]
    for run in bad:
        stdout.print(f"CHECK FAILED for {run.name}: {len(run.violations)} violation(s), "
                  f"see {Path(args.out) / Scenario(run.name).slug / 'violations.txt'}")
    return 1 if bad else 0
