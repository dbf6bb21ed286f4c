"""The week's template: a day's first rota built from the carers of the week's other days.

Most packages repeat every day, so the best start for a day's search is the week so far:
each visit goes first to the carer who did that recurring visit most often on the
other days (then the next most often), at the cheapest place in that carer's round; only
what none of them can take is inserted where it is cheapest. The result is a complete,
feasible rota (pair-aware cheapest insertion of :class:`~carerounds.routing.insertion.Inserter`,
whose timing is stricter than the solver's) that the search then improves: a day starts
as the week's routine, not from scratch.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..routing import Problem, Solution
from ..routing.insertion import Inserter, solution_from

__all__ = ["Line", "WeekCarers", "assign_lines", "draw_together", "settle_runs", "swap_runs",
           "template_routes", "usual_carers"]


#: Extra costs of a job away from its usual carers tried in turn when the replay leaves
#: out more than plain insertion would.
TEMPLATE_WEIGHTS = (20_000, 4_000, 1_200, 0)
#: What a line is worth to a carer for each day they already worked it, seconds of travel:
#: a run goes back to its regular, then to the stand-in who covered it before.
LINE_DAY_S = 3600
#: Cost of a line's visit its carer cannot take (skills, shift, provider), seconds.
LINE_MISS_S = 3600
_NO = 10**9


@dataclass(frozen=True)
class Line:
    """A run of the week: its recurring visits in order and who worked it on other days.

    Attributes
    ----------
    keys : tuple of str
        The recurring visits of the run, in order (a double-up's key is in both its
        carers' lines).
    carers : tuple of (str, int)
        Who worked the run on the week's other days and on how many, most first.
    """

    keys: tuple[str, ...]
    carers: tuple[tuple[str, int], ...] = ()


def template_routes(problem: Problem, keys: Sequence[str],
                    owners: Mapping[str, Sequence[str]], *,
                    starts: Mapping[str, int] | None = None, seed: int = 0,
                    time_limit_s: float = 5.0,
                    lines: Sequence[Line] = ()) -> list[list[int]]:
    """A first rota giving every job to its usual carers where that costs no visit.

    First the week's routine is replayed: in order of their usual start, each double-up
    is inserted for its two usual carers and each single visit for its usual carer, at
    the cheapest place in their rounds; what they cannot take is then inserted where it
    is cheapest (pair-aware, as the solver's own first solution). If that leaves out more
    than plain insertion would (by drop penalty), cheapest insertion with an extra cost
    for a job away from its usual carers is tried instead, with each of
    :data:`TEMPLATE_WEIGHTS` in turn (the last, 0, is plain insertion): the template never
    costs a visit the day could otherwise have.

    Parameters
    ----------
    problem : Problem
        The day's routing problem (with the week's preferences and limits).
    keys : sequence of str
        For each job, the recurring visit it belongs to (a double-up's two jobs share one).
    owners : mapping of str to sequence of str
        For each recurring visit, the resources (carers) that did it on other days, most
        often first; a single visit's usual carer is the first, a double-up's the first two.
    starts : mapping of str to int, optional
        Each recurring visit's usual start, seconds (default: its window's start).
    seed : int, default 0
        Jitter of the insertion order of what is left (0: none).
    time_limit_s : float, default 5
        Bound on the construction.
    lines : sequence of Line, optional
        The week's runs: each whole run goes to one carer on shift (:func:`assign_lines`),
        in its order, before any visit is offered to its usual carers one by one.

    Returns
    -------
    list of list of int
        For each vehicle, its jobs in order (the ``initial`` of
        :func:`carerounds.routing.solve`).
    """
    deadline = time.perf_counter() + time_limit_s
    starts = starts or {}
    tried = [_replay(problem, keys, owners, starts, deadline, seed, lines)]
    paired = {j for link in problem.links for j in (link.first, link.second)}
    jobs = []
    for j, job in enumerate(problem.jobs):
        usual = frozenset(owners.get(keys[j], ())[:2 if j in paired else 1])
        jobs.append(replace(job, preferred_resources=usual - job.forbidden_resources))
    for weight in TEMPLATE_WEIGHTS:
        biased = problem if not weight else replace(
            problem, jobs=tuple(jobs), weights=replace(problem.weights, non_preferred=weight))
        ins = Inserter(biased, deadline, seed)
        _fill(ins, list(range(len(jobs))))
        tried.append(ins.sequences())
    dropped = [_dropped(problem, routes) for routes in tried]
    best = next(k for k, d in enumerate(dropped) if d <= dropped[-1])
    return tried[best]


def _dropped(problem: Problem, routes: list[list[int]]) -> int:
    placed = {j for seq in routes for j in seq}
    return sum(job.drop_penalty or 0 for j, job in enumerate(problem.jobs) if j not in placed)


def _fill(ins: Inserter, jobs: list[int]) -> None:
    """Insert what fits of ``jobs``, then let pairs that do not fit displace single jobs."""
    ins.insert_all(jobs)
    placed = {j for seq in ins.sequences() for j in seq}
    ins.insert_all([j for j in jobs if j not in placed], eject=True)


def _try(ins: Inserter, unit: tuple, people: Sequence[str],
         vehicles: Mapping[str, list[int]]) -> bool:
    """Insert a unit (a single job or a pair) with only ``people``'s vehicles allowed."""
    return _try_in(ins, unit, {v for w in people for v in vehicles.get(w, ())})


def _try_in(ins: Inserter, unit: tuple, allowed: set[int]) -> bool:
    """Insert a unit (a single job or a pair) with only the ``allowed`` vehicles."""
    jobs = list(unit[1:3]) if unit[0] == "pair" else [unit[1]]
    saved = [ins.eligible[j] for j in jobs]
    for j in jobs:
        ins.eligible[j] = [v for v in ins.eligible[j] if v in allowed]
    try:
        return ins.insert_pair(*unit[1:]) if unit[0] == "pair" else ins.insert_single(jobs[0])
    finally:
        for j, eligible in zip(jobs, saved):
            ins.eligible[j] = eligible


def _cover(ins: Inserter, problem: Problem, units: Sequence[tuple],
           vehicles: Mapping[str, list[int]]) -> str | None:
    """The carer on shift best placed to take over an absent carer's run.

    Most of the run's visits within their skills and shift, then the fewest visits of
    their own already, then the nearest home (mean travel to the run's clients).
    """
    jobs = [u[1] for u in units]
    load = {w: sum(1 for v in vs for j in ins.seqs[v] if j >= 0) for w, vs in vehicles.items()}
    best: tuple[float, str] | None = None
    for worker, vs in vehicles.items():
        able = sum(1 for j in jobs if any(v in ins.eligible[j] for v in vs))
        if not able:
            continue
        veh = problem.vehicles[vs[0]]
        seconds = problem.duration_s[veh.profile]
        near = sum(int(seconds[veh.start_location, problem.jobs[j].location])
                   for j in jobs) / len(jobs)
        score = near + 600 * load[worker] - 3600 * able / len(jobs)
        if best is None or score < best[0]:
            best = (score, worker)
    return None if best is None else best[1]


def line_jobs(keys: Sequence[str], lines: Sequence[Line]) -> list[list[int]]:
    """Today's jobs of each line, in the line's order (a double-up's two jobs to two lines)."""
    jobs_of: dict[str, list[int]] = defaultdict(list)
    for j, key in enumerate(keys):
        jobs_of[key].append(j)
    taken: set[int] = set()
    out: list[list[int]] = []
    for line in lines:
        mine = []
        for key in line.keys:
            free = [j for j in jobs_of.get(key, ()) if j not in taken]
            if free:
                taken.add(free[0])
                mine.append(free[0])
        out.append(mine)
    return out


def assign_lines(ins: Inserter, problem: Problem, jobs: Sequence[Sequence[int]],
                 lines: Sequence[Line]) -> dict[int, int]:
    """One vehicle (a carer's shift today) for each line, none for two.

    A minimum-cost assignment: a line costs its travel from the vehicle's home round its
    visits and back (in the vehicle's mode), plus :data:`LINE_MISS_S` for each of its
    visits the vehicle may not take, less :data:`LINE_DAY_S` for each day the vehicle's
    carer already worked it; a vehicle that may take none of a line's visits never gets
    it. Returns line index to vehicle index.
    """
    rows = [i for i, js in enumerate(jobs) if js]
    if not rows or not problem.vehicles:
        return {}
    eligible = [set(e) for e in ins.eligible]
    cost = np.full((len(rows), len(problem.vehicles)), _NO, dtype=np.int64)
    for r, i in enumerate(rows):
        locs = [problem.jobs[j].location for j in jobs[i]]
        days = dict(lines[i].carers)
        inner: dict[str, int] = {}
        for v, veh in enumerate(problem.vehicles):
            able = sum(1 for j in jobs[i] if v in eligible[j])
            if not able:
                continue
            dur = problem.duration_s[veh.profile]
            if veh.profile not in inner:
                inner[veh.profile] = int(sum(int(dur[a, b]) for a, b in zip(locs, locs[1:])))
            travel = (int(dur[veh.start_location, locs[0]]) + inner[veh.profile]
                      + int(dur[locs[-1], veh.end_location]))
            cost[r, v] = (travel + LINE_MISS_S * (len(jobs[i]) - able)
                          - LINE_DAY_S * days.get(veh.resource, 0))
    picked_rows, picked_cols = linear_sum_assignment(cost)
    return {rows[r]: int(v) for r, v in zip(picked_rows, picked_cols) if cost[r, v] < _NO // 2}


def _replay(problem: Problem, keys: Sequence[str], owners: Mapping[str, Sequence[str]],
            starts: Mapping[str, int], deadline: float, seed: int,
            lines: Sequence[Line] = ()) -> list[list[int]]:
    """Each job to its usual carers in order of usual start, then the rest where cheapest.

    With ``lines``, each line goes whole to one vehicle (:func:`assign_lines`), as a
    relief carer covers the run of a carer who is off: its visits are inserted there
    (what does not fit is inserted where cheapest at the end). Other visits go to their
    usual carers; one whose usual carers are all off today goes with the rest of its
    usual carer's run to one stand-in (:func:`_cover`); what is still left is inserted
    where cheapest.
    """
    ins = Inserter(problem, deadline, seed)
    per_line = line_jobs(keys, lines)
    target: dict[int, int] = {}
    for i, v in assign_lines(ins, problem, per_line, lines).items():
        target.update((j, v) for j in per_line[i])
    in_line = {j for js in per_line for j in js}
    vehicles: dict[str, list[int]] = defaultdict(list)
    for v, veh in enumerate(problem.vehicles):
        vehicles[veh.resource].append(v)
    units = ins.units(list(range(len(problem.jobs))))
    units.sort(key=lambda u: (starts.get(keys[u[1]], problem.jobs[u[1]].tw_start_s), u[1]))
    runs: dict[str, list[tuple]] = defaultdict(list)
    left: list[int] = []
    for unit in units:
        jobs = list(unit[1:3]) if unit[0] == "pair" else [unit[1]]
        if any(j in in_line for j in jobs):
            if not (all(j in target for j in jobs)
                    and _try_in(ins, unit, {target[j] for j in jobs})):
                left.extend(jobs)
            continue
        usual = list(owners.get(keys[unit[1]], ()))
        # the usual carers on shift today: a single visit tries each in turn, a pair the
        # first two together
        people = [w for w in usual if w in vehicles]
        tries = [people[:2]] if unit[0] == "pair" and len(people) >= 2 else \
            [[w] for w in people] if unit[0] == "single" else []
        if any(_try(ins, unit, chosen, vehicles) for chosen in tries):
            continue
        if unit[0] == "single" and usual and not people:
            runs[usual[0]].append(unit)
        else:
            left.extend(unit[1:3] if unit[0] == "pair" else unit[1:2])
    for absent in sorted(runs, key=lambda w: (-len(runs[w]), w)):
        cover = _cover(ins, problem, runs[absent], vehicles)
        for unit in runs[absent]:
            if cover is None or not _try(ins, unit, [cover], vehicles):
                left.append(unit[1])
    _fill(ins, left)
    return ins.sequences()


def draw_together(problem: Problem, routes: Sequence[tuple[list[int], list[int], list[int]]],
                  clients: Sequence[str], *, weight: int,
                  time_limit_s: float = 5.0) -> list[list[int]]:
    """Routes with a client's visits drawn onto fewer carers where that is worth ``weight``.

    A local search the solver's own moves rarely find: each single job is moved into the
    round of another carer of the same client (directly, or by moving one of that
    round's jobs elsewhere), and the move is kept if the routes' cost plus ``weight``
    per distinct carer of each client falls. A client's lunch call then joins the round
    that brings their morning call.

    Parameters
    ----------
    problem : Problem
    routes : sequence of (jobs, starts, break starts)
        For each vehicle, its jobs in order with their starts and its breaks' starts (as
        :meth:`~carerounds.routing.insertion.Inserter.load_routes`).
    clients : sequence of str
        For each job, its client.
    weight : int
        Worth of one carer fewer for one client, cost units (seconds of travel).
    time_limit_s : float, default 5
        Bound on the search.

    Returns
    -------
    list of list of int
        For each vehicle, its jobs in order (nothing left out that ``routes`` served).
    """
    ins = Inserter(problem, time.perf_counter() + time_limit_s)
    ins.load_routes(list(routes))
    resource = [veh.resource for veh in problem.vehicles]
    jobs_of: dict[str, list[int]] = defaultdict(list)
    for j, client in enumerate(clients):
        jobs_of[client].append(j)

    def where() -> dict[int, int]:
        return {j: v for v, seq in enumerate(ins.seqs) for j in seq if j >= 0}

    def cost(at: dict[int, int], touched: set[str]) -> int:
        carers = sum(len({resource[at[j]] for j in jobs_of[c] if j in at}) for c in touched)
        return sum(sc.cost for sc in ins.scheds) + weight * carers

    for j in range(len(problem.jobs)):
        at = where()
        if j in ins.linked or j not in at or at[j] in ins.frozen:
            continue
        mine = {resource[at[k]] for k in jobs_of[clients[j]] if k in at and k != j}
        targets = [v for v in ins.eligible[j]
                   if resource[v] in mine and resource[v] != resource[at[j]]]
        if not targets:
            continue
        if time.perf_counter() > ins.deadline:
            break
        saved = ([list(q) for q in ins.seqs], list(ins.scheds), dict(ins.pinned), set(ins.frozen))
        placed = set(at)
        touched = {clients[k] for k in placed}
        before = cost(at, touched)
        ins.remove([j])
        eligible = ins.eligible[j]
        ins.eligible[j] = targets
        try:
            moved = ins.insert_single(j) or ins.insert_moving(j)
        finally:
            ins.eligible[j] = eligible
        after = where()
        if not moved or set(after) != placed or cost(after, touched) >= before:
            ins.seqs, ins.scheds, ins.pinned, ins.frozen = saved
    return ins.sequences()


@dataclass(frozen=True)
class WeekCarers:
    """What a day's run swaps owe the week: each client's carers of the other days.

    Attributes
    ----------
    clients : tuple of str
        For each job of the day's problem, its client.
    others : mapping of str to Counter
        For each client, carer-visits per carer on the week's other days.
    weight : int
        Worth of one more carer-visit by one of a client's ``top`` most frequent carers
        of the whole week, cost units (seconds of travel).
    top : int, default 3
        How many of a client's most frequent carers count.
    moves : bool, default True
        :func:`settle_runs` also moves single visits to a client's carers of the week.
    """

    clients: tuple[str, ...]
    others: Mapping[str, Counter[str]]
    weight: int
    top: int = 3
    moves: bool = True

    def top_visits(self, client: str, today: Counter[str]) -> int:
        """Carer-visits of ``client`` by their ``top`` most frequent carers of the week."""
        week = self.others.get(client, Counter()) + today
        return sum(n for _, n in week.most_common(self.top))


def _exchange_cost(week: WeekCarers, today: Mapping[str, Counter[str]], su: Sequence[int],
                   a: str, sv: Sequence[int], b: str) -> int:
    """Change of the week's continuity cost if carers ``a`` and ``b`` exchange rounds.

    ``su`` is ``a``'s round and ``sv`` ``b``'s; ``today`` each client's carer-visits of
    the day as it stands.
    """
    change: dict[str, Counter[str]] = defaultdict(Counter)
    for seq, old, new in ((su, a, b), (sv, b, a)):
        for j in seq:
            if j >= 0:
                change[week.clients[j]][old] -= 1
                change[week.clients[j]][new] += 1
    gained = 0
    for client, moved in change.items():
        now = today.get(client, Counter())
        after = Counter(now)
        after.update(moved)
        gained += week.top_visits(client, +after) - week.top_visits(client, now)
    return -week.weight * gained


def swap_runs(problem: Problem, routes: Sequence[tuple[list[int], list[int], list[int]]], *,
              time_limit_s: float = 2.0, week: WeekCarers | None = None) -> list[list[int]]:
    """Routes with whole runs exchanged between carers where that lowers the cost.

    The day's runs stay as they are; only who works each changes: two vehicles with as
    many breaks exchange their rounds (or one hands its round to an unused one) when
    both can work the other's round in full and the cost falls (travel from the new
    homes, ``non_preferred``, lateness: the problem's own weights). So a run goes to the
    stand-in who covered it on the other days, a move the solver's visit-by-visit search
    does not make.

    Parameters
    ----------
    problem : Problem
    routes : sequence of (jobs, starts, break starts)
        For each vehicle (as :meth:`~carerounds.routing.insertion.Inserter.load_routes`).
    time_limit_s : float, default 2
        Bound on the search.
    week : WeekCarers, optional
        Also count, for each client of the two rounds, the change of their carer-visits
        by their most frequent carers over the whole week (this day and the others), at
        ``week.weight`` each: a swap then pays where it gives a client's stand-in visits
        to a carer who sees them on other days.

    Returns
    -------
    list of list of int
        For each vehicle, its jobs in order.
    """
    ins = Inserter(problem, time.perf_counter() + time_limit_s)
    ins.load_routes(list(routes))
    return _swap_loaded(ins, week)


def settle_runs(problem: Problem, solution: Solution, week: WeekCarers, *,
                time_limit_s: float = 2.0) -> Solution | None:
    """``solution`` with whole rounds exchanged where travel and the week's continuity gain.

    As :func:`swap_runs` with ``week``, from a solution: the exchanged rounds are
    re-timed, the others keep their times. None when no exchange pays.
    """
    ins = Inserter(problem, time.perf_counter() + time_limit_s)
    ins.load_solution(solution)
    before = ins.sequences()
    _swap_loaded(ins, week)
    if week.moves:
        _move_visits(ins, week)
    if ins.sequences() == before:
        return None
    return solution_from(problem, solution, ins)


def _move_visits(ins: Inserter, week: WeekCarers) -> None:
    """Move single visits to another of their client's carers of the week where that pays.

    Each visit not of a double-up is offered to the rounds of its client's
    ``week.top + 1`` most frequent carers of the week (other than its own carer) on
    shift today (directly, or by moving one of that round's visits elsewhere); the move
    is kept if travel and the other costs plus ``week.weight`` per carer-visit lost by
    a client's most frequent carers fall.
    """
    resource = ins.resource_of

    def where() -> dict[int, int]:
        return {j: v for v, seq in enumerate(ins.seqs) for j in seq if j >= 0}

    def today(at: Mapping[int, int]) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for j, v in at.items():
            counts[week.clients[j]][resource[v]] += 1
        return counts

    def cost(at: Mapping[int, int], touched: set[str]) -> int:
        counts = today(at)
        return (sum(sc.cost for sc in ins.scheds)
                - week.weight * sum(week.top_visits(c, counts.get(c, Counter()))
                                    for c in touched))

    for j in range(len(ins.p.jobs)):
        if time.perf_counter() > ins.deadline:
            break
        at = where()
        if j in ins.linked or j not in at or at[j] in ins.frozen:
            continue
        client = week.clients[j]
        seen = week.others.get(client, Counter()) + today(at).get(client, Counter())
        near = {w for w, _ in seen.most_common(week.top + 1)} - {resource[at[j]]}
        targets = [v for v in ins.eligible[j] if resource[v] in near and v not in ins.frozen]
        if not targets:
            continue
        saved = ([list(q) for q in ins.seqs], list(ins.scheds), dict(ins.pinned), set(ins.frozen))
        placed = set(at)
        touched = {week.clients[k] for k in placed}
        before = cost(at, touched)
        ins.remove([j])
        eligible = ins.eligible[j]
        ins.eligible[j] = targets
        try:
            moved = ins.insert_single(j) or ins.insert_moving(j)
        finally:
            ins.eligible[j] = eligible
        after = where()
        if not moved or set(after) != placed or cost(after, touched) >= before:
            ins.seqs, ins.scheds, ins.pinned, ins.frozen = saved


def _swap_loaded(ins: Inserter, week: WeekCarers | None) -> list[list[int]]:
    """Exchange whole rounds in a loaded inserter while the cost falls (:func:`swap_runs`)."""
    problem = ins.p
    eligible = [set(e) for e in ins.eligible]
    n = len(problem.vehicles)
    breaks = [len(veh.breaks) for veh in problem.vehicles]

    def on(v: int, seq: list[int]):
        if v in ins.frozen or any(j >= 0 and v not in eligible[j] for j in seq):
            return None
        sched = ins.schedule(v, seq) if any(j >= 0 for j in seq) else None
        if sched is None:
            return None if any(j >= 0 for j in seq) else ins.schedule(v, seq)
        return sched if ins._resource_ok(v, sched) else None

    today: dict[str, Counter[str]] = defaultdict(Counter)
    if week is not None:
        for v, seq in enumerate(ins.seqs):
            for j in seq:
                if j >= 0:
                    today[week.clients[j]][ins.resource_of[v]] += 1
    improved = True
    while improved and time.perf_counter() < ins.deadline:
        improved = False
        for u in range(n):
            for v in range(u + 1, n):
                if breaks[u] != breaks[v] or ins.resource_of[u] == ins.resource_of[v]:
                    continue
                su, sv = ins.seqs[u], ins.seqs[v]
                if not any(j >= 0 for j in su + sv):
                    continue
                extra = 0 if week is None else _exchange_cost(
                    week, today, su, ins.resource_of[u], sv, ins.resource_of[v])
                new_u, new_v = on(u, sv), on(v, su)
                if new_u is None or new_v is None:
                    continue
                if (new_u.cost + new_v.cost + extra
                        < ins.scheds[u].cost + ins.scheds[v].cost):
                    if week is not None:
                        for seq, old, new in ((su, ins.resource_of[u], ins.resource_of[v]),
                                              (sv, ins.resource_of[v], ins.resource_of[u])):
                            for j in seq:
                                if j >= 0:
                                    today[week.clients[j]][old] -= 1
                                    today[week.clients[j]][new] += 1
                    ins.seqs[u], ins.seqs[v] = list(sv), list(su)
                    ins.scheds[u], ins.scheds[v] = new_u, new_v
                    improved = True
            if time.perf_counter() > ins.deadline:
                break
    return ins.sequences()


def usual_carers(history: Sequence[tuple[int, str, str]],
                 days_on: Mapping[str, int] | None = None) -> dict[str, list[str]]:
    """Rank each recurring visit's carers: most visits, most days on shift, nearest day.

    ``history`` holds ``(distance in days, recurring visit, carer)`` for every carer-visit
    of the week's other days; ``days_on`` the days each carer works in the week, so that
    between a carer and the relief who stood in for them once, the carer comes first.
    """
    days_on = days_on or {}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    nearest: dict[tuple[str, str], int] = {}
    for distance, key, worker in history:
        counts[key][worker] += 1
        nearest[(key, worker)] = min(nearest.get((key, worker), distance), distance)
    return {key: sorted(c, key=lambda w: (-c[w], -days_on.get(w, 0), nearest[(key, w)], w))
            for key, c in counts.items()}
