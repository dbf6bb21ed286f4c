"""Turn a care day into a solver-neutral routing problem, and name every rule it encodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..routing import Break, Job, Link, Problem, Vehicle, Weights
from .model import BREAK_RULE, Day, TravelBuffer, Visit, Worker
from .travel import DayTravel, buffer_matrix
from .units import format_hhmm

PROVIDER_TAG = "provider:"
GENDER_TAG = "gender:"
#: Joins a visit id and a carer number into the job id of a double-up's second carer.
#: Ids in the inputs cannot contain it (letters, digits and ``_ . - /`` only), so
#: ``V1#2`` can never collide with a visit's own id (``V1/2`` is a valid visit id).
JOB_PART_SEPARATOR = "#"


def job_id(visit_id: str, part: int) -> str:
    """The routing job id of carer ``part`` (from 1) of a visit: the visit id, then ``#2`` ..."""
    return visit_id if part == 1 else f"{visit_id}{JOB_PART_SEPARATOR}{part}"


@dataclass(frozen=True)
class PlanOptions:
    """Care rules that shape the routing problem.

    Parameters
    ----------
    pool : bool, default False
        Let any provider's workers do every visit (cross-provider coordination).
    break_after_s : int, default 6 h
        Shifts longer than this get a break (Working Time rules: 20 min over 6 h).
    break_s : int, default 20 min
        Length of that break.
    weights : Weights
        Objective weights (travel, continuity, drop penalties by priority, ...).
    regular_carers : int, default 3
        How many of a client's most frequent past carers count as regulars.
    buffer : TravelBuffer
        Time kept free between visits at different addresses (default the larger of
        5 min and 10 % of the travel); the solver sees it as part of the leg and the
        rota reports travel and buffer apart.
    """

    pool: bool = False
    break_after_s: int = BREAK_RULE.after_s
    break_s: int = BREAK_RULE.min_s
    weights: Weights = field(default_factory=Weights)
    regular_carers: int = 3
    buffer: TravelBuffer = field(default_factory=TravelBuffer)


@dataclass(frozen=True)
class BuiltProblem:
    """The problem plus the maps back to the care domain.

    ``job_visit[j]`` is the visit id of job ``j`` and ``job_part[j]`` its carer number (1 or 2);
    ``vehicle_shift[v]`` is ``(worker_id, shift number from 1)``.
    """

    problem: Problem
    job_visit: tuple[str, ...]
    job_part: tuple[int, ...]
    vehicle_shift: tuple[tuple[str, int], ...]
    #: Per travel mode, the buffer seconds folded into each leg of ``problem.duration_s``.
    buffer_s: dict = field(default_factory=dict)


def visit_tags(visit: Visit, day: Day, *, pool: bool) -> frozenset[str]:
    """Attributes a worker needs to do a visit: its skills, provider and gender rule."""
    client = day.client_by_id[visit.client_id]
    tags = set(visit.skills)
    if visit.provider_id and not pool:
        tags.add(PROVIDER_TAG + visit.provider_id)
    if client.gender_preference:
        tags.add(GENDER_TAG + client.gender_preference)
    return frozenset(tags)


def worker_tags(worker: Worker) -> frozenset[str]:
    """Attributes a worker brings: skills, provider and gender."""
    return frozenset(worker.skills | {PROVIDER_TAG + worker.provider_id,
                                      GENDER_TAG + worker.gender})


def shift_breaks(start_s: int, end_s: int, options: PlanOptions) -> tuple[Break, ...]:
    """A break in the middle part of a long shift, none for a short one."""
    if end_s - start_s <= options.break_after_s:
        return ()
    # the break may start once a third of the shift is done and must end by two thirds
    third = (end_s - start_s) // 3
    return (Break(start_s + third, end_s - third - options.break_s, options.break_s),)


def build_problem(day: Day, travel: DayTravel, options: PlanOptions | None = None) -> BuiltProblem:
    """Build the routing problem for a day.

    Each worker shift is a vehicle from and back to the worker's home; each carer
    of a visit is a job (a double-up is two jobs linked to start together with two
    different workers); skills, provider and gender preference are required tags;
    exclusions are forbidden resources; preferred and regular carers are preferred
    resources; priorities set the cost of leaving a visit out.
    """
    options = options or PlanOptions()
    weights = options.weights
    penalty = {"critical": weights.drop_critical, "high": weights.drop_high,
               "normal": weights.drop_normal}
    vehicles, vehicle_shift, max_work = [], [], {}
    for worker in day.workers:
        home = travel.location("worker", worker.worker_id)
        tags = worker_tags(worker)
        for number, shift in enumerate(worker.shifts, start=1):
            vehicles.append(Vehicle(
                id=f"{worker.worker_id}#{number}", resource=worker.worker_id,
                start_location=home, end_location=home, shift_start_s=shift.start_s,
                shift_end_s=shift.end_s, profile=worker.travel_mode, skills=tags,
                breaks=shift_breaks(shift.start_s, shift.end_s, options)))
            vehicle_shift.append((worker.worker_id, number))
        if worker.max_work_s is not None:
            max_work[worker.worker_id] = worker.max_work_s
    jobs: list[Job] = []
    job_visit: list[str] = []
    job_part: list[int] = []
    links: list[Link] = []
    for visit in day.visits:
        client = day.client_by_id[visit.client_id]
        tags = visit_tags(visit, day, pool=options.pool)
        preferred = client.preferred_workers | day.regular_workers(
            client.client_id, top=options.regular_carers)
        first = len(jobs)
        for part in range(1, visit.carers + 1):
            jobs.append(Job(
                id=job_id(visit.visit_id, part),
                location=travel.location("client", client.client_id),
                service_s=visit.service_s, tw_start_s=visit.window_start_s,
                tw_end_s=visit.window_end_s, skills=tags,
                forbidden_resources=client.excluded_workers,
                preferred_resources=preferred - client.excluded_workers,
                drop_penalty=penalty[visit.priority]))
            job_visit.append(visit.visit_id)
            job_part.append(part)
            if part > 1:
                links.append(Link(first, len(jobs) - 1, 0, 0))
    buffers = {m: buffer_matrix(travel, m, options.buffer) for m in travel.matrices}
    problem = Problem(
        jobs=tuple(jobs), vehicles=tuple(vehicles),
        # the buffer rides on the leg, so every engine keeps it without knowing of it
        duration_s={m: t.duration_s + buffers[m] for m, t in travel.matrices.items()},
        distance_m={m: t.distance_m for m, t in travel.matrices.items()},
        links=tuple(links), resource_max_work_s=max_work, weights=weights)
    return BuiltProblem(problem, tuple(job_visit), tuple(job_part), tuple(vehicle_shift),
                        buffer_s=buffers)


def describe_missing(visit: Visit, day: Day, *, pool: bool) -> str | None:
    """Why no worker at all may do a visit, in care terms; ``None`` if some worker may.

    Checks in order: the provider has workers, someone has the skills, the gender
    rule, and the client's exclusions, so the reason names the rule that bites.
    """
    client = day.client_by_id[visit.client_id]
    workers = list(day.workers)
    if visit.provider_id and not pool:
        workers = [w for w in workers if w.provider_id == visit.provider_id]
        if not workers:
            return f"provider {visit.provider_id} has no workers on shift"
    missing_all = [s for s in sorted(visit.skills) if not any(s in w.skills for w in workers)]
    if missing_all:
        return f"no worker with skill {', '.join(missing_all)}"
    workers = [w for w in workers if visit.skills <= w.skills]
    if not workers:
        return f"no worker with all of skills {', '.join(sorted(visit.skills))}"
    if client.gender_preference:
        workers = [w for w in workers if w.gender == client.gender_preference]
        if not workers:
            return f"no {client.gender_preference} worker with the skills needed"
    workers = [w for w in workers if w.worker_id not in client.excluded_workers]
    if not workers:
        return "every qualified worker is excluded by the client"
    if visit.carers == 2 and len(workers) < 2:
        return "no second carer available (only one qualified worker)"
    return None


def describe_cause(cause: str, visit: Visit, day: Day, *, pool: bool) -> str:
    """A routing cause (see :class:`carerounds.routing.Unassigned`) in care terms."""
    window = f"{format_hhmm(visit.window_start_s)}-{format_hhmm(visit.window_end_s)}"
    if cause == "no_eligible_vehicle":
        return describe_missing(visit, day, pool=pool) or "no qualified worker"
    if cause == "no_shift_covers_window":
        return f"no shift covers window {window}"
    if cause == "no_partner":
        return "no second carer available"
    if cause == "unreachable":
        return "client unreachable on the road network from any qualified worker's home"
    return f"capacity: every qualified worker is busy around {window}"
