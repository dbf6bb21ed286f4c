"""Why a visit is unplaced, in care terms: the binding rule, found by re-testing it.

The routing layer gives each unassigned job a cause from its vocabulary
(:mod:`carerounds.routing.explain`). For ``capacity`` ("eligible workers exist but their
time is taken") that is often not the whole story: the visit may fit today's rota at
once if one care rule were relaxed. :func:`binding_rules` re-tests each visit against the
final rota with each rule relaxed in turn, using the pair-aware inserter, and reports the
first relaxation under which it fits:

========================  ==========================================================
rule                      reason given
========================  ==========================================================
provider                  ``provider restriction: ...`` (and that ``--pool`` places it)
max_hours                 ``maximum hours: ...``
gender                    ``gender preference: ...``
exclusion                 ``client's exclusions: ...``
skill                     ``skill ...: the workers who have it are busy then``
(none fits)               ``capacity: every qualified worker is busy around HH:MM-HH:MM``
========================  ==========================================================

A reason other than ``capacity`` is a fact about today's rota (a worker allowed by the
relaxed rule has room for the visit as it stands), not a guess.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from ..routing import Problem, Solution
from ..routing.insertion import Inserter
from .build import GENDER_TAG, PROVIDER_TAG, BuiltProblem
from .model import Day, Visit
from .units import format_hhmm

__all__ = ["RELAXATIONS", "binding_rules"]

#: The rules re-tested, in the order their reasons are preferred.
RELAXATIONS = ("provider", "max_hours", "gender", "exclusion", "skill")


def _relaxed(problem: Problem, jobs: tuple[int, ...], rule: str) -> Problem | None:
    """The problem with one rule lifted for ``jobs`` only; None when the rule is not used."""
    if rule == "max_hours":
        if not problem.resource_max_work_s and all(v.max_work_s is None
                                                   for v in problem.vehicles):
            return None
        return replace(problem, resource_max_work_s={},
                       vehicles=tuple(replace(v, max_work_s=None) for v in problem.vehicles))
    new_jobs = list(problem.jobs)
    changed = False
    for j in jobs:
        job = new_jobs[j]
        if rule == "exclusion":
            lifted = replace(job, forbidden_resources=frozenset())
        else:
            keep = {"provider": lambda t: not t.startswith(PROVIDER_TAG),
                    "gender": lambda t: not t.startswith(GENDER_TAG),
                    "skill": lambda t: t.startswith((PROVIDER_TAG, GENDER_TAG))}[rule]
            lifted = replace(job, skills=frozenset(t for t in job.skills if keep(t)))
        changed = changed or lifted != job
        new_jobs[j] = lifted
    return replace(problem, jobs=tuple(new_jobs)) if changed else None


class _Tester:
    """Re-tests visits against the final routes with one rule lifted.

    One inserter per rule, loaded with the routes once (building one copies the travel
    matrices, the slow part); each test inserts the visit's jobs and takes them out
    again, so the routes are as the solution left them for the next visit.
    """

    def __init__(self, problem: Problem, solution: Solution) -> None:
        self.problem = problem
        self.inserter = Inserter(problem, deadline=float("inf"))
        self.inserter.load_routes([([s.job for s in r.stops], [s.start_s for s in r.stops],
                                    [b.start_s for b in r.breaks]) for r in solution.routes])

    def fits(self, jobs: tuple[int, ...]) -> bool:
        """The visit's jobs can be inserted into the routes as they stand."""
        inserter = self.inserter
        if len(jobs) == 1:
            placed = inserter.insert_single(jobs[0])
        else:
            link = next((k for k in self.problem.links if {k.first, k.second} == set(jobs)),
                        None)
            if link is None:
                return False
            placed = inserter.insert_pair(link.first, link.second, link.min_gap_s,
                                          link.max_gap_s)
        if placed:
            inserter.remove(list(jobs))
        return placed


def binding_rules(day: Day, built: BuiltProblem, solution: Solution, visits: Sequence[Visit],
                  *, pool: bool, deadline: float | None = None) -> dict[str, str | None]:
    """The reason each capacity-unplaced visit names: the first relaxed rule under which it fits.

    Parameters
    ----------
    day : Day
    built : BuiltProblem
        The problem the solution was found for.
    solution : Solution
        The final routes (job indices of ``built.problem``).
    visits : sequence of Visit
        Unplaced visits whose routing cause is ``capacity``.
    pool : bool
        Whether the plan already pooled providers (then the provider rule is not tested).
    deadline : float, optional
        A ``time.perf_counter()`` time after which no further visit is re-tested; the
        visits not reached are left out of the result.

    Returns
    -------
    dict of str to str or None
        Per visit id, the reason, or None when no single relaxation makes room (a real
        shortage).
    """
    jobs_of: dict[str, tuple[int, ...]] = {}
    for j, visit_id in enumerate(built.job_visit):
        jobs_of[visit_id] = (*jobs_of.get(visit_id, ()), j)
    every = tuple(j for v in visits for j in jobs_of[v.visit_id])
    testers: dict[str, _Tester | None] = {}
    reasons: dict[str, str | None] = {}
    for visit in visits:
        if deadline is not None and time.perf_counter() >= deadline:
            break
        reasons[visit.visit_id] = None
        for rule in RELAXATIONS:
            if rule == "provider" and (pool or not visit.provider_id):
                continue
            if rule not in testers:
                # lifted for every visit to test at once: only the one tested is inserted
                relaxed = _relaxed(built.problem, every, rule)
                testers[rule] = None if relaxed is None else _Tester(relaxed, solution)
            tester = testers[rule]
            if tester is None or not tester.fits(jobs_of[visit.visit_id]):
                continue
            reasons[visit.visit_id] = _wording(rule, day, visit)
            break
    return reasons


def _wording(rule: str, day: Day, visit: Visit) -> str:
    """The reason for a visit that fits once ``rule`` is lifted."""
    client = day.client_by_id[visit.client_id]
    window = f"{format_hhmm(visit.window_start_s)}-{format_hhmm(visit.window_end_s)}"
    if rule == "provider":
        return (f"provider restriction: {visit.provider_id}'s qualified workers are busy "
                f"around {window}, but another provider's worker has room then "
                "(would be placed with --pool)")
    if rule == "max_hours":
        return (f"maximum hours: the qualified workers free around {window} would go "
                "over their max_hours")
    if rule == "gender":
        return (f"gender preference: only {client.gender_preference} workers may visit, "
                f"and the qualified ones are busy around {window}")
    if rule == "exclusion":
        return (f"client's exclusions: the workers free around {window} are excluded "
                "by the client")
    return (f"skill {', '.join(sorted(visit.skills))}: the workers who have it are busy "
            f"around {window}")
