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
from dataclasses import replace

from ..routing import Problem
from ..routing.insertion import Inserter

__all__ = ["template_routes", "usual_carers"]


#: Extra costs of a job away from its usual carers tried in turn when the replay leaves
#: out more than plain insertion would.
TEMPLATE_WEIGHTS = (20_000, 4_000, 1_200, 0)


def template_routes(problem: Problem, keys: Sequence[str],
                    owners: Mapping[str, Sequence[str]], *,
                    starts: Mapping[str, int] | None = None, seed: int = 0,
                    time_limit_s: float = 5.0) -> list[list[int]]:
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

    Returns
    -------
    list of list of int
        For each vehicle, its jobs in order (the ``initial`` of
        :func:`carerounds.routing.solve`).
    """
    deadline = time.perf_counter() + time_limit_s
    starts = starts or {}
    tried = [_replay(problem, keys, owners, starts, deadline, seed)]
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
    jobs = list(unit[1:3]) if unit[0] == "pair" else [unit[1]]
    allowed = {v for w in people for v in vehicles.get(w, ())}
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


def _replay(problem: Problem, keys: Sequence[str], owners: Mapping[str, Sequence[str]],
            starts: Mapping[str, int], deadline: float, seed: int) -> list[list[int]]:
    """Each job to its usual carers in order of usual start, then the rest where cheapest.

    A visit whose usual carers are all off today goes with the rest of its usual carer's
    run to one stand-in (:func:`_cover`), as a relief carer covers a run; what is still
    left is inserted where cheapest.
    """
    ins = Inserter(problem, deadline, seed)
    vehicles: dict[str, list[int]] = defaultdict(list)
    for v, veh in enumerate(problem.vehicles):
        vehicles[veh.resource].append(v)
    units = ins.units(list(range(len(problem.jobs))))
    units.sort(key=lambda u: (starts.get(keys[u[1]], problem.jobs[u[1]].tw_start_s), u[1]))
    runs: dict[str, list[tuple]] = defaultdict(list)
    left: list[int] = []
    for unit in units:
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
