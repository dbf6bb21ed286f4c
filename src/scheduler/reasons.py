"""Why a visit is unplaced, in care terms: the binding rule, found by re-testing it.

The routing layer gives each unassigned job a cause from its vocabulary
(:mod:`carerounds.routing.explain`). For ``capacity`` ("eligible workers exist but their
time is taken") that is often not the whole story: the visit may fit today's rota at
once if one care rule were relaxed. :func:`binding_rule` re-tests the visit against the
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

from dataclasses import replace

from ..routing import Problem, Solution
from ..routing.insertion import Inserter
from .build import GENDER_TAG, PROVIDER_TAG, BuiltProblem
from .model import Day, Visit
from .units import format_hhmm

__all__ = ["RELAXATIONS", "binding_rule"]

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


def _fits(problem: Problem, solution: Solution, jobs: tuple[int, ...]) -> bool:
    """The visit's jobs can be inserted into the solution's routes as they stand."""
    inserter = Inserter(problem, deadline=float("inf"))
    inserter.load_routes([([s.job for s in r.stops], [s.start_s for s in r.stops],
                           [b.start_s for b in r.breaks]) for r in solution.routes])
    if len(jobs) == 1:
        return inserter.insert_single(jobs[0])
    link = next((k for k in problem.links if {k.first, k.second} == set(jobs)), None)
    if link is None:
        return False
    return inserter.insert_pair(link.first, link.second, link.min_gap_s, link.max_gap_s)


def binding_rule(day: Day, built: BuiltProblem, solution: Solution, visit: Visit, *,
                 pool: bool) -> str | None:
    """The reason a capacity-unplaced visit names: the first relaxed rule under which it fits.

    Parameters
    ----------
    day : Day
    built : BuiltProblem
        The problem the solution was found for.
    solution : Solution
        The final routes (job indices of ``built.problem``).
    visit : Visit
        An unplaced visit whose routing cause is ``capacity``.
    pool : bool
        Whether the plan already pooled providers (then the provider rule is not tested).

    Returns
    -------
    str or None
        The reason, or None when no single relaxation makes room (a real shortage).
    """
    jobs = tuple(j for j, v in enumerate(built.job_visit) if v == visit.visit_id)
    client = day.client_by_id[visit.client_id]
    window = f"{format_hhmm(visit.window_start_s)}-{format_hhmm(visit.window_end_s)}"
    for rule in RELAXATIONS:
        if rule == "provider" and (pool or not visit.provider_id):
            continue
        relaxed = _relaxed(built.problem, jobs, rule)
        if relaxed is None or not _fits(relaxed, solution, jobs):
            continue
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
    return None
