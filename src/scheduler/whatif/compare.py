"""Running what-if scenarios and comparing them: travel, solving, figures and tables.

Each scenario is applied to the base day (cheap, here), then planned, checked and
measured in parallel (:func:`carerounds.scheduler.whatif.sweep.run_sweep`); the figures
are integers (:class:`Metric`) until :func:`comparison_frame` turns them into hours,
miles and pounds for planners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...errors import InputError
from ...routing import SolveParams
from ..build import PlanOptions
from ..model import Day
from ..rota import Rota
from ..travel import DayTravel, Place, build_travel, day_places, road_travel
from ..units import METRES_PER_MILE
from .pricing import CostRates, delivery_cost_pence
from .scenario import Scenario

# ---- travel for a scenario --------------------------------------------------------------------

def modes_needed(day: Day) -> tuple[str, ...]:
    """Travel modes a day's workers use (always ``drive``: the checker and reports use it)."""
    return tuple(sorted({"drive"} | {w.travel_mode for w in day.workers}))


def scenario_travel(base: DayTravel, day: Day, *, max_snap_m: int = 1000) -> DayTravel:
    """Travel for a scenario's day, reusing the base day's matrices when they cover it.

    When every place of ``day`` is in ``base`` at the same coordinates and every mode
    is there, ``base`` itself is returned (extra rows are harmless). Otherwise the
    matrices are rebuilt over the scenario's places: by straight-line estimate when
    the base used it (:func:`~carerounds.scheduler.travel.build_travel` itself), else on
    the base's own road networks, so a sweep never reads the road file again. Either way
    the result, warnings included, is what ``build_travel`` gives for the same places.

    Parameters
    ----------
    base : DayTravel
    day : Day
    max_snap_m : int, default 1000
        A home further than this from a road is a warning, as in ``build_travel``; give
        the value the base travel was built with.

    Raises
    ------
    InputError
        When the scenario needs a travel mode whose road network the base lacks.
    """
    places = day_places(day)
    modes = modes_needed(day)
    if _covers(base, places, modes):
        return base
    if base.roads is None or not base.networks:
        return build_travel(day, modes=modes)
    missing = [m for m in modes if m not in base.networks]
    if missing:
        raise InputError(f"the scenario needs {', '.join(missing)} travel but the base travel has "
                         f"only {', '.join(sorted(base.networks))}; build the base travel with "
                         f"modes including {', '.join(missing)}", field="travel_mode")
    return road_travel(places, {m: base.networks[m] for m in modes}, roads=base.roads,
                       max_snap_m=max_snap_m)


def _covers(base: DayTravel, places: Sequence[Place], modes: Sequence[str]) -> bool:
    """Whether ``base`` has every mode and every place, at the same coordinates."""
    if not all(m in base.matrices for m in modes):
        return False
    for p in places:
        row = base.index.get((p.kind, p.id))
        if row is None or (base.places[row].lat, base.places[row].lon) != (p.lat, p.lon):
            return False
    return True


# ---- measuring a rota -------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """One figure of one run: integers in the unit its name ends with.

    ``by`` is ``"all"``, ``"area"``, ``"service"``, ``"provider"`` or ``"fair_work"``;
    ``group`` the area, service, provider or flag kind (``""`` for ``"all"``).
    Names end in ``_s`` (seconds), ``_m`` (metres), ``_pence`` or ``_bp`` (basis
    points, 100 = 1 %); counts have no suffix.
    """

    metric: str
    by: str
    group: str
    value: int


def _duplicate_count(day: Day) -> int:
    from ..duplicates import find_duplicate_visits

    return len(find_duplicate_visits(day))


def rota_metrics(day: Day, rota: Rota, *, options: PlanOptions | None = None,
                 rates: CostRates | None = None, violations: int | None = None
                 ) -> tuple[Metric, ...]:
    """The comparison figures of one planned day.

    Parameters
    ----------
    day : Day
        The (scenario's) day the rota was planned for.
    rota : Rota
    options : PlanOptions, optional
        For the number of regular carers counted in continuity; default ``PlanOptions()``.
    rates : CostRates, optional
        Staff and mileage costs; default ``CostRates()``.
    violations : int, optional
        Checker violations, recorded as ``check_violations`` when given.

    Returns
    -------
    tuple of Metric
        ``visits, placed_visits, unplaced_visits, demand_s, placed_s, unplaced_s,
        travel_s, distance_m, paid_s, workers, workers_used, cost_pence,
        clients_served, client_carer_pairs`` and, when defined,
        ``continuity_bp`` (share of today's carer-visits to clients with regular carers
        done by one of them, as in the fair-work report; absent when no client has
        any), ``duplicate_visits`` (multi-provider pairs, see
        :func:`carerounds.scheduler.duplicates.find_duplicate_visits`), ``fair_work_flags``
        in total and by rule (:func:`carerounds.scheduler.fairwork.fair_work_checks`); then
        ``placed_s, unplaced_s, unplaced_visits`` by area and by service, and
        ``placed_s`` by provider. Hours are carer-hours (a double-up counts twice);
        paid time runs from leaving home to getting back, less breaks.
    """
    options = options or PlanOptions()
    care = _split_care(day, rota)
    out = [*_totals(day, rota, care, rates), *_people(day, rota, options)]
    if violations is not None:
        out.append(_metric("check_violations", violations))
    out += _breakdowns(rota, care)
    return tuple(out)


def _metric(metric: str, value: float, by: str = "all", group: str = "") -> Metric:
    return Metric(metric, by, group, int(value))


def _by_area_and_service() -> dict[str, defaultdict[str, int]]:
    return {"area": defaultdict(int), "service": defaultdict(int)}


@dataclass
class _Care:
    """Carer-seconds of demand placed and left unplaced, in all and by area and service.

    ``placed[by][group]`` (``by`` is ``"area"`` or ``"service"``) is the carer-seconds
    placed in the group; ``unplaced`` those left unplaced and ``unplaced_n`` their visits.
    """

    demand_s: int = 0
    placed_s: int = 0
    unplaced_s: int = 0
    placed_visits: int = 0
    placed: dict[str, defaultdict[str, int]] = field(default_factory=_by_area_and_service)
    unplaced: dict[str, defaultdict[str, int]] = field(default_factory=_by_area_and_service)
    unplaced_n: dict[str, defaultdict[str, int]] = field(default_factory=_by_area_and_service)


def _split_care(day: Day, rota: Rota) -> _Care:
    care = _Care()
    outcome = {o.visit_id: o for o in rota.outcomes}
    for visit in day.visits:
        seconds = visit.service_s * visit.carers
        care.demand_s += seconds
        keys = {"area": day.client_by_id[visit.client_id].area, "service": visit.service}
        o = outcome.get(visit.visit_id)
        if o is not None and o.status == "scheduled":
            care.placed_visits += 1
            care.placed_s += seconds
            for by, key in keys.items():
                care.placed[by][key] += seconds
        else:
            care.unplaced_s += seconds
            for by, key in keys.items():
                care.unplaced[by][key] += seconds
                care.unplaced_n[by][key] += 1
    return care


def _totals(day: Day, rota: Rota, care: _Care, rates: CostRates | None) -> list[Metric]:
    """Visits, care, travel, paid time, workers and cost for the whole day."""
    used = [sh for sh in rota.shifts if sh.stops]
    paid_s = sum(sh.return_s - sh.leave_s - sum(b.duration_s for b in sh.breaks) for sh in used)
    drive_m = sum(sh.distance_m for sh in used if sh.travel_mode == "drive")
    return [
        _metric("visits", len(day.visits)),
        _metric("placed_visits", care.placed_visits),
        _metric("unplaced_visits", len(day.visits) - care.placed_visits),
        _metric("demand_s", care.demand_s),
        _metric("placed_s", care.placed_s),
        _metric("unplaced_s", care.unplaced_s),
        _metric("travel_s", sum(sh.travel_s for sh in used)),
        _metric("distance_m", sum(sh.distance_m for sh in used)),
        _metric("paid_s", paid_s),
        _metric("workers", len(day.workers)),
        _metric("workers_used", len({sh.worker_id for sh in used})),
        _metric("cost_pence", delivery_cost_pence(paid_s, drive_m, rates)),
    ]


def _people(day: Day, rota: Rota, options: PlanOptions) -> list[Metric]:
    """Clients served, carers per client, continuity, duplicates and fair-work flags."""
    from ..fairwork import fair_work_checks

    carers: dict[str, set[str]] = defaultdict(set)
    for o in rota.scheduled:
        carers[day.visit_by_id[o.visit_id].client_id].update(o.workers)
    out = [_metric("clients_served", len(carers)),
           _metric("client_carer_pairs", sum(len(ws) for ws in carers.values()))]
    fair = fair_work_checks(day, rota, regular_carers=options.regular_carers)
    if fair.regular_share is not None:
        out.append(_metric("continuity_bp", round(fair.regular_share * 10_000)))
    out.append(_metric("duplicate_visits", _duplicate_count(day)))
    counts = fair.counts()
    out.append(_metric("fair_work_flags", sum(counts.values())))
    out += [_metric("fair_work_flags", n, "fair_work", rule) for rule, n in counts.items()]
    return out


def _breakdowns(rota: Rota, care: _Care) -> list[Metric]:
    """Placed and unplaced care by area and by service, then placed care by provider."""
    out = []
    for by in ("area", "service"):
        for key in sorted(set(care.placed[by]) | set(care.unplaced[by])):
            out += [_metric("placed_s", care.placed[by][key], by, key),
                    _metric("unplaced_s", care.unplaced[by][key], by, key),
                    _metric("unplaced_visits", care.unplaced_n[by][key], by, key)]
    by_provider: dict[str, int] = defaultdict(int)
    for sh in rota.shifts:
        by_provider[sh.provider_id] += sh.contact_s
    out += [_metric("placed_s", by_provider[p], "provider", p) for p in sorted(by_provider)]
    return out



# ---- running and comparing --------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedRun:
    """A scenario applied to the base day, ready to solve."""

    name: str
    description: str
    seed: int
    day: Day
    options: PlanOptions
    params: SolveParams


@dataclass(frozen=True)
class ScenarioRun:
    """A solved scenario: its day, rota, figures and the independent checker's findings.

    ``travel_warnings`` are those of the travel the run was planned on (homes far from a
    road, pairs with no road path; see :func:`scenario_travel`), empty on the estimate.
    """

    name: str
    description: str
    seed: int
    day: Day
    options: PlanOptions
    rota: Rota
    metrics: tuple[Metric, ...]
    violations: tuple[str, ...]
    travel_warnings: tuple[str, ...] = ()


BASE = Scenario("base", description="the day as given")


def prepare_runs(base: Day, scenarios: Sequence[Scenario], *, options: PlanOptions | None = None,
                 params: SolveParams | None = None, include_base: bool = True
                 ) -> tuple[PreparedRun, ...]:
    """Apply every scenario to the base day (cheap, in this process).

    Each run's seed is the scenario's ``seed`` or else ``params.seed``; it seeds both
    the changes and the solver, so every run is reproducible on its own.

    Raises
    ------
    InputError
        Two scenarios with the same name, or a change that does not fit the day.
    """
    options = options or PlanOptions()
    params = params or SolveParams(time_limit_s=10, seed=0)
    todo = ([BASE] if include_base else []) + list(scenarios)
    seen: set[str] = set()
    runs = []
    for scenario in todo:
        if scenario.slug in seen:
            raise InputError("two scenarios have this name; names must be unique",
                             id=scenario.name, field="name")
        seen.add(scenario.slug)
        seed = scenario.seed if scenario.seed is not None else params.seed
        day, opts = scenario.apply(base, options, seed=seed)
        runs.append(PreparedRun(scenario.name, scenario.description or scenario.describe(), seed,
                                day, opts, replace(params, seed=seed)))
    return tuple(runs)


def travel_modes(runs: Iterable[PreparedRun]) -> tuple[str, ...]:
    """Every travel mode any run needs; build the shared base travel with these."""
    return tuple(sorted({m for run in runs for m in modes_needed(run.day)}))


def _solve_one(travel: DayTravel, item: tuple
               ) -> tuple[Rota, tuple[Metric, ...], tuple[str, ...], tuple[str, ...]]:
    """Plan, check and measure one run (runs in a worker process or on a Dask worker)."""
    from ..check import check_rota
    from ..plan import plan_day

    day, options, params, rates, max_snap_m = item
    own = scenario_travel(travel, day, max_snap_m=max_snap_m)
    rota = plan_day(day, own, params=params, options=options)
    violations = tuple(str(v) for v in check_rota(day, rota, own))
    return (rota, rota_metrics(day, rota, options=options, rates=rates,
                               violations=len(violations)), violations, own.warnings)


def run_prepared(runs: Sequence[PreparedRun], travel: DayTravel, *, workers: int | None = None,
                 cluster: str | None = None, progress: bool = False,
                 rates: CostRates | None = None, max_snap_m: int = 1000
                 ) -> tuple[ScenarioRun, ...]:
    """Solve prepared runs in parallel (see :func:`carerounds.scheduler.whatif.sweep.run_sweep`).

    ``travel`` (matrices and any road networks) is sent to each worker once; a run
    whose day has places the base lacks extends it there (:func:`scenario_travel`, with
    ``max_snap_m``: give the value ``travel`` was built with).
    """
    from .sweep import run_sweep

    items = [(r.day, r.options, r.params, rates, max_snap_m) for r in runs]
    results = run_sweep(_solve_one, travel, items, labels=[r.name for r in runs],
                        workers=workers, cluster=cluster, progress=progress, label="Scenarios")
    return tuple(ScenarioRun(r.name, r.description, r.seed, r.day, r.options, rota, metrics,
                             violations, warnings)
                 for r, (rota, metrics, violations, warnings) in zip(runs, results))


def run_scenarios(base: Day, *scenarios: Scenario, travel: DayTravel | None = None,
                  options: PlanOptions | None = None, params: SolveParams | None = None,
                  workers: int | None = None, cluster: str | None = None,
                  progress: bool = False, include_base: bool = True,
                  rates: CostRates | None = None, max_snap_m: int = 1000
                  ) -> tuple[ScenarioRun, ...]:
    """Apply, solve, check and measure each scenario (and the base day), in parallel.

    Parameters
    ----------
    base : Day
    *scenarios : Scenario
    travel : DayTravel, optional
        Base travel (e.g. on a road network). Default: the straight-line estimate over
        the base day, with every mode the runs need.
    options : PlanOptions, optional
        Base plan options each scenario starts from.
    params : SolveParams, optional
        Time limit (per run) and default seed; default 10 s, seed 0.
    workers, cluster, progress
        See :func:`carerounds.scheduler.whatif.sweep.run_sweep`: local processes by default,
        or a Dask cluster (``"local"`` or ``"tcp://host:port"``).
    include_base : bool, default True
        Also run the base day as scenario ``"base"``.
    rates : CostRates, optional
        For the ``cost_pence`` figure.
    max_snap_m : int, default 1000
        Warn about homes further than this from a road when a scenario's places are
        snapped to the base's road networks (as :func:`~carerounds.scheduler.travel.build_travel`).

    Returns
    -------
    tuple of ScenarioRun
        In order: base first, then the scenarios as given.
    """
    runs = prepare_runs(base, scenarios, options=options, params=params,
                        include_base=include_base)
    needed = travel_modes(runs)
    if travel is None or (travel.roads is None and not set(needed) <= set(travel.matrices)):
        travel = build_travel(base, modes=needed)
    return run_prepared(runs, travel, workers=workers, cluster=cluster, progress=progress,
                        rates=rates, max_snap_m=max_snap_m)


#: How tidy-table units come from the integer metrics' suffixes.
_UNITS = (("_s", "_hours", "h", 3600), ("_m", "_miles", "miles", METRES_PER_MILE),
          ("_pence", "_gbp", "GBP", 100), ("_bp", "_pct", "%", 100))


def comparison_frame(runs: Iterable[ScenarioRun]):
    """The tidy comparison table (pandas): one row per scenario x metric x group.

    Columns ``scenario, metric, by, group, value, unit``. Seconds become hours
    (``*_hours``), metres miles (``*_miles``), pence pounds (``*_gbp``), basis points
    percent (``*_pct``); ``carers_per_client`` (distinct carers per client served) is
    derived here. Filter ``by == "all"`` for headline figures, or use
    :func:`comparison_table` for one column per scenario.
    """
    import pandas as pd

    rows = []
    for run in runs:
        values = {}
        for m in run.metrics:
            name, unit, value = m.metric, "count", float(m.value)
            for suffix, new, new_unit, scale in _UNITS:
                if name.endswith(suffix):
                    name, unit, value = name[: -len(suffix)] + new, new_unit, m.value / scale
                    break
            rows.append(dict(scenario=run.name, metric=name, by=m.by, group=m.group,
                             value=value, unit=unit))
            if m.by == "all":
                values[m.metric] = m.value
        if values.get("clients_served"):
            rows.append(dict(scenario=run.name, metric="carers_per_client", by="all", group="",
                             value=values["client_carer_pairs"] / values["clients_served"],
                             unit="count"))
    return pd.DataFrame(rows, columns=["scenario", "metric", "by", "group", "value", "unit"])


#: The headline rows of :func:`comparison_table`, in display order.
HEADLINE = ("visits", "placed_visits", "unplaced_visits", "placed_hours", "unplaced_hours",
            "travel_hours", "distance_miles", "paid_hours", "cost_gbp", "workers_used",
            "continuity_pct", "carers_per_client", "fair_work_flags", "duplicate_visits",
            "check_violations")


def comparison_table(frame, *, breakdowns: Sequence[str] = ("area", "service")):
    """One column per scenario, one row per headline figure (pandas), for printing.

    Rows are :data:`HEADLINE` figures present in the frame, then unplaced hours by
    each breakdown (``unplaced_hours [area North]``).
    """
    import pandas as pd

    order = list(dict.fromkeys(frame["scenario"]))
    head = frame[frame["by"] == "all"]
    wide = head.pivot_table(index="metric", columns="scenario", values="value", aggfunc="first")
    wide = wide.reindex([m for m in HEADLINE if m in wide.index])
    parts = [wide]
    for by in breakdowns:
        part = frame[(frame["by"] == by) & (frame["metric"] == "unplaced_hours")]
        if len(part):
            table = part.pivot_table(index="group", columns="scenario", values="value",
                                     aggfunc="first").fillna(0.0)
            table.index = [f"unplaced_hours [{by} {g}]" for g in table.index]
            parts.append(table)
    result = pd.concat(parts)
    result = result[[s for s in order if s in result.columns]]
    result.columns.name = None
    return result


def compare(base: Day, *scenarios: Scenario, params: SolveParams | None = None,
            workers: int | None = None, cluster: str | None = None, **kwargs):
    """Run the base day and each scenario, and return the tidy comparison table (pandas).

    A shortcut for ``comparison_frame(run_scenarios(base, *scenarios, ...))``; keyword
    arguments are those of :func:`run_scenarios` (``travel``, ``options``, ``progress``,
    ``include_base``, ``rates``). See :func:`comparison_frame` for the columns and
    :func:`comparison_table` for a wide view.
    """
    return comparison_frame(run_scenarios(base, *scenarios, params=params, workers=workers,
                                          cluster=cluster, **kwargs))


# ---- output files -----------------------------------------------------------------------------

def write_comparison(runs: Sequence[ScenarioRun], out_dir: str | Path) -> list[Path]:
    """Write the comparison tables and each run's rota; return the paths written.

    ``comparison.csv`` (tidy) and ``summary.csv`` (wide) in ``out_dir``, and under
    ``<out_dir>/<scenario>/`` each run's ``rota.json``, ``unplaced.csv`` and, when the
    checker found any, ``violations.txt``.
    """
    from ..outputs import write_rota_json, write_unplaced_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = comparison_frame(runs)
    written = [out / "comparison.csv", out / "summary.csv"]
    frame.to_csv(written[0], index=False)
    comparison_table(frame).to_csv(written[1], index_label="metric")
    for run in runs:
        folder = out / Scenario(run.name).slug
        folder.mkdir(exist_ok=True)
        written.append(write_rota_json(run.rota, folder / "rota.json"))
        written.append(write_unplaced_csv(run.rota, run.day, folder / "unplaced.csv"))
        if run.violations:
            path = folder / "violations.txt"
            path.write_text("\n".join(run.violations) + "\n", encoding="utf-8")
            written.append(path)
    return written
