"""The care week: seven days planned together, with the same carers every day.

Each day is the one-day routing problem (every rule of
:func:`~carerounds.scheduler.build.build_problem`), with four changes that tie it to the
rest of the week:

- **continuity**: the first day's rounds are the week's runs (lines); a visit of a run
  prefers the ``carers`` carers who worked the run on most of the other days planned
  so far, any other visit the client's ``carers`` most frequent carers there (their
  history's regulars while there are none), and a carer-visit by anyone else costs
  ``continuity``;
- **same time**: a package's visit may start up to ``tolerance_s`` after the package's
  usual start on the other days at no cost, later at ``time_weight`` per second (never
  outside its window);
- **contracted hours**: a shift of a carer who has already worked their contracted hours
  on the other days costs ``overtime``, so work goes first to those still short;
- **hard weekly rules** (:class:`WeekRules`): each carer's worked time over the week
  stays within their weekly maximum (48 hours by default, the Working Time Regulations),
  and 11 hours' rest separate one day's last shift from the next day's first: a day's
  shifts are narrowed to start after the previous day's work plus the rest, and to end
  before the next day's work minus it.

The engine (:func:`plan_week`) plans the days in order, each seeing the days before
(round 1), each later day from the template (each run whole to its regular or one
stand-in), then re-plans each day in further rounds seeing all six others, starting
from its current rota so that no round makes a day worse. The same call plans the seven
days independently with the one-day planner (``baseline``) so the continuity and travel
of the week can be compared with what the week would have been without it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from ..errors import InputError
from ..routing import Problem, Solution, SolveParams, solve
from ..routing.decompose import solve_decomposed
from .build import BuiltProblem, PlanOptions, build_problem, shift_breaks
from .duplicates import find_duplicate_visits
from .model import Day, Worker
from .packages import Week, recurring_key
from .plan import (
    DECOMPOSE_ABOVE_JOBS,
    ENGINES,
    PlanResult,
    partition_day,
    plan_day,
    rota_from_solution,
    run_info,
)
from .rota import Rota
from .travel import DayTravel
from .week_stats import TARGET_CARERS
from .week_template import (
    Line,
    WeekCarers,
    draw_together,
    settle_runs,
    swap_runs,
    template_routes,
    usual_carers,
)

DAY_S = 24 * 3600
#: Most sweeps over the week's days of the final run swaps (``WeekOptions.settle``).
SETTLE_SWEEPS = 4
#: What a settled day's engine record adds.
SETTLED = ", then settled with the week (rounds exchanged, visits moved)"
#: Shortest stretch of a shift worth keeping after the rest rule narrows it, seconds.
MIN_SHIFT_S = 15 * 60


@dataclass(frozen=True)
class WeekRules:
    """The hard rules of a week, beyond each day's.

    Parameters
    ----------
    max_week_s : int, default 48 h
        Most a carer may work in the week (leave home to back home, every shift), for
        carers whose ``max_hours_week`` is blank (Working Time Regulations 1998, reg. 4).
    rest_s : int, default 11 h
        Least rest between a day's last shift and the next day's first (reg. 10).
    """

    max_week_s: int = 48 * 3600
    rest_s: int = 11 * 3600

    def __post_init__(self) -> None:
        for name in ("max_week_s", "rest_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.rest_s > DAY_S:
            raise ValueError("rest_s over 24 h would leave no day to work")

    def limit_s(self, worker: Worker) -> int:
        """The weekly limit of one carer: their own ``max_hours_week`` or the default."""
        return self.max_week_s if worker.max_week_s is None else worker.max_week_s


@dataclass(frozen=True)
class WeekOptions:
    """How a week is planned: the day's rules, the week's rules and the soft weights.

    Parameters
    ----------
    plan : PlanOptions
        Every day's rules and base weights (as ``carerounds plan``).
    rules : WeekRules
        Weekly hours and rest between days (hard).
    continuity : int, default 3,000
        Cost of a carer-visit by a carer outside the client's week carers (replaces the
        day's ``non_preferred``): 50 minutes of travel.
    carers : int, default 3
        How many of a client's most frequent carers of the week are preferred.
    tolerance_s : int, default 30 min
        A package's visit may start this long after its usual time at no cost.
    time_weight : int, default 1
        Cost per second a visit starts later than that (replaces ``lateness_s``).
    overtime : int, default 900
        Cost of a shift of a carer already at their contracted hours on the other days.
    rounds : int, default 2
        Round 1 plans the days in order; each further round re-plans every day.
    engine : {"auto", "monolithic", "decomposed"}
        As for :func:`~carerounds.scheduler.plan.plan_day`.
    processes : int, default 2
        Parallel sub-solves of the decomposed engine.
    baseline : bool, default True
        Also plan the seven days independently, for comparison.
    template_time : int, default 3
        The first day planned (the template the others start from) gets this many times
        the time limit: every later day starts from its carers, so its rounds are worth
        the search.
    template_searches : int, default 2
        The first day is searched this many times at once, with different seeds, each in
        its own process (:attr:`~carerounds.routing.SolveParams.workers`), and the best
        kept: every later day inherits its rounds, so one poor draw would cost the whole
        week. On a 2-core machine, 2 takes no longer than 1.
    lines : bool, default True
        The first day's rounds are the week's runs: every later day's template gives
        each run whole to one carer on shift (its regular, or one stand-in), and a visit
        of a run prefers the run's carers of the other days. False: the template gives
        each visit to its usual carers one by one (the engine before runs).
    consolidate : int, default 1,200
        Worth of one carer fewer for one client on the first day, whose rounds become
        the runs: 20 minutes of travel (0: the first day is not drawn together).
    swap : bool, default True
        Later rounds first let whole runs change hands between carers where the week's
        costs fall.
    settle : int, default 3,000
        After the last round, whole rounds change hands between two carers of a day
        where the travel saved plus this much per carer-visit gained by a client's three
        most frequent carers of the whole week (this day's and the other days') is
        positive, day after day with the other days as they stand, until no day changes
        (0: not done). The search before prices a visit away from its run's carers; this
        prices the week's continuity itself, so a stand-in who covers a client's morning
        on one day is preferred for their evening on another.
    """

    plan: PlanOptions = field(default_factory=PlanOptions)
    rules: WeekRules = field(default_factory=WeekRules)
    continuity: int = 3000
    carers: int = 3
    tolerance_s: int = 30 * 60
    time_weight: int = 1
    overtime: int = 900
    rounds: int = 2
    engine: str = "auto"
    processes: int = 2
    baseline: bool = True
    template_time: int = 3
    template_searches: int = 2
    lines: bool = True
    consolidate: int = 1200
    swap: bool = True
    settle: int = 3000

    def __post_init__(self) -> None:
        for name in ("continuity", "carers", "tolerance_s", "time_weight", "overtime", "rounds",
                     "processes", "template_time", "template_searches", "consolidate",
                     "settle"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if min(self.rounds, self.carers, self.processes, self.template_time,
               self.template_searches) < 1:
            raise ValueError("rounds, carers, processes, template_time and template_searches "
                             "must be at least 1")
        if self.engine not in ENGINES:
            raise InputError(f"unknown engine {self.engine!r}; expected one of "
                             f"{', '.join(ENGINES)}", field="engine")

    def describe(self) -> dict:
        """The options as a JSON-ready record (in every day's run record)."""
        return {"max_week_s": self.rules.max_week_s, "rest_s": self.rules.rest_s,
                "continuity": self.continuity, "carers": self.carers,
                "tolerance_s": self.tolerance_s, "time_weight": self.time_weight,
                "overtime": self.overtime, "rounds": self.rounds, "settle": self.settle,
                "template_searches": self.template_searches}


@dataclass(frozen=True)
class WeekPlan:
    """A planned week: each day's plan, and the seven independent days it is compared with.

    Attributes
    ----------
    week : Week
    travel : DayTravel
        Over every worker's and client's home of the week.
    days : tuple of PlanResult
        One per date, in order; each as ``carerounds plan`` would write it.
    baseline : tuple of Rota
        The seven days planned independently by the one-day planner (empty when not asked).
    options : WeekOptions
    """

    week: Week
    travel: DayTravel
    days: tuple[PlanResult, ...]
    baseline: tuple[Rota, ...]
    options: WeekOptions

    @property
    def rotas(self) -> tuple[Rota, ...]:
        """The week's rotas, in date order."""
        return tuple(d.rota for d in self.days)


# ---- what the rest of the week says about one day ----------------------------------------


def worked_s(rota: Rota) -> dict[str, int]:
    """Seconds each worker works in a rota: leave home to back home, over every shift."""
    out: dict[str, int] = defaultdict(int)
    for sh in rota.shifts:
        if sh.stops:
            out[sh.worker_id] += sh.return_s - sh.leave_s
    return dict(out)


def day_span(rota: Rota) -> dict[str, tuple[int, int]]:
    """Each working worker's first leaving and last return of a rota, seconds."""
    out: dict[str, tuple[int, int]] = {}
    for sh in rota.shifts:
        if sh.stops:
            first, last = out.get(sh.worker_id, (sh.leave_s, sh.return_s))
            out[sh.worker_id] = (min(first, sh.leave_s), max(last, sh.return_s))
    return out


@dataclass
class _Context:
    """The week's other days as seen by one day: rotas keyed by date."""

    week: Week
    rotas: dict[dt.date, Rota]
    options: WeekOptions
    #: Each planned day's routes (jobs per vehicle of its problem, which every round
    #: builds alike), so a later round continues that day's search instead of restarting.
    routes: dict[dt.date, list[list[int]]] = field(default_factory=dict)
    #: The runs of the first day planned: each shift's recurring visits in order.
    lines: list[tuple[str, ...]] = field(default_factory=list)
    #: Each planned day's routes with their starts and breaks' starts, per vehicle.
    timed: dict[dt.date, list[tuple[list[int], list[int], list[int]]]] = field(
        default_factory=dict)
    #: A day re-planned against its own rota (the template day's runs drawn together).
    own_day: dt.date | None = None
    #: Each planned day's problem as built (before the week's changes) and its solution.
    solved: dict[dt.date, tuple[BuiltProblem, Solution]] = field(default_factory=dict)

    def keep(self, date: dt.date) -> tuple:
        """What a day's re-plan replaces, for :meth:`restore` if it is not kept."""
        return self.routes.get(date), self.timed.get(date), self.solved.get(date)

    def restore(self, date: dt.date, kept: tuple) -> None:
        """A day's routes, timed routes and solution back as :meth:`keep` saw them."""
        routes, timed, solved = kept
        _put(self.routes, date, routes)
        _put(self.timed, date, timed)
        _put(self.solved, date, solved)

    def others(self, date: dt.date) -> list[Rota]:
        return [r for d, r in sorted(self.rotas.items()) if d != date]

    def carers(self, date: dt.date) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for rota in self.others(date):
            for sh in rota.shifts:
                for stop in sh.stops:
                    counts[stop.client_id][sh.worker_id] += 1
        return counts

    def usual_start(self, date: dt.date) -> dict[str, int]:
        starts: dict[str, list[int]] = defaultdict(list)
        for rota in self.others(date):
            for o in rota.scheduled:
                if o.start_s is not None:
                    starts[recurring_key(o.visit_id, rota.date)].append(o.start_s)
        return {k: sorted(v)[(len(v) - 1) // 2] for k, v in starts.items()}

    def worked_elsewhere(self, date: dt.date) -> Counter[str]:
        total: Counter[str] = Counter()
        for rota in self.others(date):
            total.update(worked_s(rota))
        return total

    def owners(self, date: dt.date) -> dict[str, list[str]]:
        seen = [(abs((rota.date - date).days), recurring_key(stop.visit_id, rota.date), sh.worker_id)
                for rota in self.others(date) for sh in rota.shifts for stop in sh.stops]
        week = self.week
        days_on = {w.worker_id: sum(1 for d in week.dates if w.on(d) is not None)
                   for w in week.workers}
        return usual_carers(seen, days_on)

    def week_lines(self, date: dt.date) -> list[Line]:
        """The week's runs, each with who worked it on the other days (most days first).

        A day's carer of a run is the carer of most of its visits that day.
        """
        if not self.options.lines:
            return []
        rotas = self.others(date)
        done: list[dict[str, list[str]]] = [defaultdict(list) for _ in rotas]
        for k, rota in enumerate(rotas):
            for sh in rota.shifts:
                for stop in sh.stops:
                    done[k][recurring_key(stop.visit_id, rota.date)].append(sh.worker_id)
        out = []
        for keys in self.lines:
            days: Counter[str] = Counter()
            for by_key in done:
                seen = Counter(w for key in keys for w in by_key.get(key, ()))
                if seen:
                    days[min(seen, key=lambda w: (-seen[w], w))] += 1
            out.append(Line(keys, tuple(sorted(days.items(), key=lambda x: (-x[1], x[0])))))
        return out

    def neighbour(self, date: dt.date, step: int) -> dict[str, tuple[int, int]]:
        rota = self.rotas.get(date + dt.timedelta(days=step))
        return day_span(rota) if rota is not None else {}


def _put(store: dict, key: dt.date, value: object) -> None:
    """``store[key] = value``, or no ``key`` when ``value`` is None."""
    if value is None:
        store.pop(key, None)
    else:
        store[key] = value


def preferred_carers(day: Day, counts: Mapping[str, Counter[str]], client_id: str,
                     top: int) -> frozenset[str]:
    """A client's ``top`` most frequent carers of the week so far, then their regulars.

    Carers of the week rank first (most visits), history breaks ties and fills the list
    while the week has fewer; the client's own preferred carers are always in it and
    excluded ones never.
    """
    client = day.client_by_id[client_id]
    week = counts.get(client_id, Counter())
    past = day.history.get(client_id, {})
    ranked = sorted(set(week) | {w for w, n in past.items() if n > 0},
                    key=lambda w: (-week.get(w, 0), -past.get(w, 0), w))
    chosen = frozenset(ranked[:top]) | client.preferred_workers
    return chosen - client.excluded_workers


def line_preferred(day: Day, carers: Mapping[str, int], client_id: str,
                   top: int) -> frozenset[str]:
    """A visit's preferred carers: the ``top`` carers of its run on most other days.

    The client's own preferred carers are always in it and excluded ones never.
    """
    client = day.client_by_id[client_id]
    ranked = sorted(carers, key=lambda w: (-carers[w], w))
    return (frozenset(ranked[:top]) | client.preferred_workers) - client.excluded_workers


def _drawn_preferred(problem: Problem, routes: list[list[int]], clients: list[str],
                     named: list[frozenset[str]]) -> Problem:
    """Each job prefers the carers of its client in ``routes`` whose shift holds it.

    ``named`` holds each job's client's own preferred carers, always preferred.
    """
    resource = [veh.resource for veh in problem.vehicles]
    carers: dict[str, set[str]] = defaultdict(set)
    for v, seq in enumerate(routes):
        for j in seq:
            carers[clients[j]].add(resource[v])
    jobs = []
    for j, job in enumerate(problem.jobs):
        able = {resource[v] for v in problem.eligible_vehicles(j)
                if problem.vehicles[v].shift_start_s <= job.tw_end_s
                and job.tw_start_s + job.service_s <= problem.vehicles[v].shift_end_s}
        jobs.append(replace(job, preferred_resources=(frozenset(carers[clients[j]] & able)
                                                      | named[j]) - job.forbidden_resources))
    return replace(problem, jobs=tuple(jobs))


def _week_problem(day: Day, built: BuiltProblem, ctx: _Context) -> Problem:
    """The day's problem with the week's preferences, usual times, hours and rest."""
    options, date = ctx.options, day.date
    problem = built.problem
    counts, usual = ctx.carers(date), ctx.usual_start(date)
    top = options.carers
    by_line: dict[str, Counter[str]] = defaultdict(Counter)
    for line in ctx.week_lines(date):
        for key in line.keys:
            by_line[key].update(dict(line.carers))
    jobs = []
    for job, visit_id in zip(problem.jobs, built.job_visit):
        visit = day.visit_by_id[visit_id]
        line_carers = by_line.get(recurring_key(visit_id, date))
        if line_carers:
            preferred = line_preferred(day, line_carers, visit.client_id, options.carers)
        else:
            preferred = preferred_carers(day, counts, visit.client_id, top)
        ref = usual.get(recurring_key(visit_id, date))
        if ref is None or ref + options.tolerance_s >= job.tw_end_s:
            jobs.append(replace(job, preferred_resources=preferred))
            continue
        latest = max(job.tw_start_s, ref + options.tolerance_s)
        jobs.append(replace(job, preferred_resources=preferred, tw_end_s=latest,
                            max_lateness_s=job.tw_end_s - latest))
    elsewhere = ctx.worked_elsewhere(date)
    before, after = ctx.neighbour(date, -1), ctx.neighbour(date, 1)
    rules = options.rules
    vehicles, limits = [], dict(problem.resource_max_work_s)
    for vehicle, (worker_id, _) in zip(problem.vehicles, built.vehicle_shift):
        worker = day.worker_by_id[worker_id]
        start, end = vehicle.shift_start_s, vehicle.shift_end_s
        if worker_id in before:
            start = max(start, before[worker_id][1] + rules.rest_s - DAY_S)
        if worker_id in after:
            end = min(end, after[worker_id][0] + DAY_S - rules.rest_s)
        left = rules.limit_s(worker) - elsewhere.get(worker_id, 0)
        if end - start < MIN_SHIFT_S or left <= 0:
            start = end = vehicle.shift_start_s  # this shift cannot be worked
        over = (worker.contract_week_s is not None
                and elsewhere.get(worker_id, 0) >= worker.contract_week_s)
        narrowed = (start, end) != (vehicle.shift_start_s, vehicle.shift_end_s)
        vehicles.append(replace(
            vehicle, shift_start_s=start, shift_end_s=end,
            breaks=shift_breaks(start, end, ctx.options.plan) if narrowed else vehicle.breaks,
            fixed_cost=vehicle.fixed_cost + (options.overtime if over else 0)))
        if left < sum(sh.end_s - sh.start_s for sh in worker.shifts):
            # a limit the day's shifts could exceed binds; others would only slow the search
            limits[worker_id] = max(0, min(limits.get(worker_id, left), left))
    # with no other day planned yet the week has no carers to keep: plan the day as a day
    weights = problem.weights if not ctx.others(date) else replace(
        problem.weights, non_preferred=options.continuity, lateness_s=options.time_weight)
    if ctx.own_day == date:  # each job's preferred carers come with the drawn routes
        weights = replace(problem.weights, non_preferred=options.consolidate)
    return replace(problem, jobs=tuple(jobs), vehicles=tuple(vehicles),
                   resource_max_work_s=limits, weights=weights)


def _solve_day(day: Day, travel: DayTravel, built: BuiltProblem, ctx: _Context,
               params: SolveParams) -> tuple[Solution, str]:
    """Solve the day from the week's template (the other days' carers), or from scratch."""
    options, problem = ctx.options, built.problem
    engine = options.engine
    groups = partition_day(day, built, travel)
    if engine == "auto":
        big = len(problem.jobs) > DECOMPOSE_ABOVE_JOBS and len(groups) > 1
        engine = "decomposed" if big else "monolithic"
    if engine == "decomposed":
        return solve_decomposed(problem, groups, params, processes=options.processes), engine
    started = time.perf_counter()
    warm = ctx.routes.get(day.date)
    if warm is not None and ctx.own_day == day.date:
        clients = [day.visit_by_id[v].client_id for v in built.job_visit]
        warm = draw_together(problem, ctx.timed[day.date], clients, weight=options.consolidate,
                             time_limit_s=params.time_limit_s / 2)
        named = [day.client_by_id[c].preferred_workers for c in clients]
        problem = _drawn_preferred(problem, warm, clients, named)
        engine = "monolithic from the day's rota, each client's visits drawn together"
    elif warm is not None:
        if options.swap:
            warm = swap_runs(problem, ctx.timed[day.date], time_limit_s=params.time_limit_s / 4)
        engine = "monolithic from the day's rota of the last round"
    elif ctx.others(day.date):
        keys = [recurring_key(v, day.date) for v in built.job_visit]
        warm = template_routes(problem, keys, ctx.owners(day.date),
                               starts=ctx.usual_start(day.date), seed=params.seed,
                               time_limit_s=params.time_limit_s / 2,
                               lines=ctx.week_lines(day.date))
        engine = "monolithic from the week's template"
    left = max(params.time_limit_s / 2, params.time_limit_s - (time.perf_counter() - started))
    return solve(problem, replace(params, time_limit_s=left), initial=warm), engine


def plan_week_day(day: Day, travel: DayTravel, ctx: _Context,
                  params: SolveParams) -> PlanResult:
    """Plan one day of the week in the light of the week's other days in ``ctx``."""
    options = ctx.options
    built = build_problem(day, travel, options.plan)
    week_built = replace(built, problem=_week_problem(day, built, ctx))
    solution, engine = _solve_day(day, travel, week_built, ctx, params)
    routes: list[list[int]] = [[] for _ in week_built.problem.vehicles]
    for route in solution.routes:
        routes[route.vehicle] = [stop.job for stop in route.stops]
    ctx.routes[day.date] = routes
    timed: list[tuple[list[int], list[int], list[int]]] = [([], [], []) for _ in routes]
    for route in solution.routes:
        timed[route.vehicle] = ([s.job for s in route.stops], [s.start_s for s in route.stops],
                                [b.start_s for b in route.breaks])
    ctx.timed[day.date] = timed
    ctx.solved[day.date] = (built, solution)
    shifts, outcomes = rota_from_solution(day, week_built, solution, options.plan,
                                          on_roads=travel.roads is not None)
    info = run_info(day, travel, params, options.plan)
    info.update(engine=engine, objective=solution.objective, status=solution.status,
                solution_source=solution.source, wall_s=round(solution.wall_s, 2),
                first_solution_s=None if solution.first_solution_s is None
                else round(solution.first_solution_s, 2),
                week={"start": ctx.week.start.isoformat(), **options.describe()})
    rota = Rota(date=day.date, shifts=shifts, outcomes=outcomes, run=info)
    return PlanResult(day=day, planned=day, travel=travel, rota=rota,
                      duplicates=tuple(find_duplicate_visits(day, travel=travel)), merges=())


def _draw_together(day: Day, travel: DayTravel, ctx: _Context, params: SolveParams,
                   result: PlanResult) -> PlanResult:
    """The template day re-planned so that each client's visits go to fewer carers.

    Each visit is first moved into another round of its client's where one carer fewer
    is worth ``consolidate`` (:func:`~.week_template.draw_together`); the search then
    continues from there with each visit preferring its client's carers of those rounds
    (``consolidate`` a carer-visit by anyone else). The day's runs, which the week's
    other days replay whole, then hold a client's morning and lunch calls in one run
    rather than two. Kept unless it leaves out more care.
    """
    date, kept = day.date, ctx.keep(day.date)
    ctx.rotas[date], ctx.own_day = result.rota, date
    try:
        again = plan_week_day(day, travel, ctx, params)
    finally:
        del ctx.rotas[date]
        ctx.own_day = None
    options = ctx.options.plan
    if unplaced_penalty(day, again.rota, options) <= unplaced_penalty(day, result.rota, options):
        return again
    ctx.restore(date, kept)
    return result


def _settle(days: Mapping[dt.date, Day], travel: DayTravel, ctx: _Context,
            params: SolveParams, results: dict[dt.date, PlanResult]) -> None:
    """Whole rounds change hands where the week's continuity pays (``settle``).

    Each day in turn, with every other day as it stands, is rebuilt as the week's
    problem (so the weekly hours and rest still hold) and its rounds exchanged by
    :func:`~.week_template.settle_runs`; sweeps repeat until no day changes (at most
    :data:`SETTLE_SWEEPS`). Only who works each round changes: every visit stays placed.
    """
    options = ctx.options
    for _ in range(SETTLE_SWEEPS):
        changed = False
        for date in ctx.week.dates:
            day = days[date]
            built, solution = ctx.solved[date]
            problem = _week_problem(day, built, ctx)
            # the week's continuity is priced by the swaps themselves, not by the run's carers
            problem = replace(problem, weights=replace(problem.weights, non_preferred=0))
            clients = tuple(day.visit_by_id[v].client_id for v in built.job_visit)
            week = WeekCarers(clients, ctx.carers(date), options.settle, TARGET_CARERS)
            settled = settle_runs(problem, solution, week, time_limit_s=params.time_limit_s / 2)
            if settled is None:
                continue
            changed = True
            week_built = replace(built, problem=problem)
            shifts, outcomes = rota_from_solution(day, week_built, settled, options.plan,
                                                  on_roads=travel.roads is not None)
            old = results[date].rota
            info = dict(old.run)
            if not str(info.get("engine")).endswith(SETTLED):
                info["engine"] = f"{info.get('engine')}{SETTLED}"
            rota = Rota(date=date, shifts=shifts, outcomes=outcomes, run=info)
            results[date] = replace(results[date], rota=rota)
            ctx.rotas[date] = rota
            ctx.solved[date] = (built, settled)
        if not changed:
            break


def unplaced_penalty(day: Day, rota: Rota, options: PlanOptions) -> int:
    """What a rota's unplaced visits cost: each carer's drop penalty by the visit's priority."""
    w = options.weights
    penalty = {"critical": w.drop_critical, "high": w.drop_high, "normal": w.drop_normal}
    return sum(penalty[day.visit_by_id[o.visit_id].priority] * day.visit_by_id[o.visit_id].carers
               for o in rota.unplaced)


def plan_week(week: Week, travel: DayTravel, *, params: SolveParams | None = None,
              options: WeekOptions | None = None,
              on_day: Callable[[str, dt.date], None] | None = None) -> WeekPlan:
    """Plan the seven days of a week together.

    Parameters
    ----------
    week : Week
    travel : DayTravel
        Over every home of the week (build it from :meth:`Week.whole`).
    params : SolveParams, optional
        Seed and time limit of each day's solve (a week takes
        ``7 x (rounds + 1)`` of them with the baseline).
    options : WeekOptions, optional
    on_day : callable, optional
        Called with a phase (``"round 1"``, ..., ``"baseline"``) and the date before
        each day's solve.

    Returns
    -------
    WeekPlan
        Every day scheduled or unplaced with a reason, every weekly rule kept.
    """
    params = params or SolveParams()
    options = options or WeekOptions()
    ctx = _Context(week, {}, options)
    days = {date: week.day(date) for date in week.dates}
    results: dict[dt.date, PlanResult] = {}
    for number in range(1, options.rounds + 1):
        for date in week.dates:
            if on_day:
                on_day(f"round {number}", date)
            day_params = replace(params, seed=params.seed + 7919 * (number - 1))
            if not ctx.rotas:  # the first day is the week's template: give it longer
                day_params = replace(
                    day_params, time_limit_s=params.time_limit_s * options.template_time,
                    workers=max(params.workers, options.template_searches))
            kept = ctx.keep(date)
            result = plan_week_day(days[date], travel, ctx, day_params)
            old = results.get(date)
            # a later round keeps a day's rota unless the new one leaves out no more care
            if not ctx.rotas and options.consolidate:
                result = _draw_together(days[date], travel, ctx, params, result)
            if not ctx.lines and options.lines:
                ctx.lines = [tuple(recurring_key(stop.visit_id, date) for stop in sh.stops)
                             for sh in result.rota.shifts if sh.stops]
            if old is None or (unplaced_penalty(days[date], result.rota, options.plan)
                               <= unplaced_penalty(days[date], old.rota, options.plan)):
                results[date] = result
                ctx.rotas[date] = result.rota
            else:
                ctx.restore(date, kept)
    if options.settle:
        _settle(days, travel, ctx, params, results)
    baseline = []
    if options.baseline:
        for date in week.dates:
            if on_day:
                on_day("baseline", date)
            baseline.append(plan_day(days[date], travel, params=params, options=options.plan,
                                     engine=options.engine, processes=options.processes))
    return WeekPlan(week=week, travel=travel, days=tuple(results[d] for d in week.dates),
                    baseline=tuple(baseline), options=options)
