"""Why a job was left unassigned: the most specific cause, found from the problem alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .problem import Problem, Route, Unassigned


def format_clock(seconds: int) -> str:
    """Render seconds since midnight as ``HH:MM`` (hours may exceed 23 for next-day times)."""
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def explain_unassigned(problem: Problem, job_indices: Iterable[int],
                       solution_routes: Sequence[Route] | None = None) -> tuple[Unassigned, ...]:
    """Give each unassigned job its most specific cause.

    Causes are checked in this order and the first that applies is reported:

    ``no_eligible_vehicle``
        No vehicle has all the job's skills, every vehicle with them belongs to a
        forbidden resource, or the job's demand exceeds every such vehicle's capacity.
    ``unreachable``
        From every eligible vehicle, the trip to the job (from its start) or back
        (to its end) takes longer than that vehicle's whole shift.
    ``no_shift_covers_window``
        No eligible vehicle can leave its start, begin service inside the window
        (plus allowed lateness) and be back by the end of its shift and within its
        maximum work, even with nothing else to do.
    ``no_partner``
        The job is linked to another, and no two vehicles of different resources can
        each serve one of the pair with the start-time gap the link requires.
    ``capacity``
        Eligible vehicles exist and could serve it alone, but their time is taken.

    Parameters
    ----------
    problem : Problem
    job_indices : iterable of int
        Indices into ``problem.jobs`` of the jobs to explain.
    solution_routes : sequence of Route, optional
        The routes found; used only to word the ``capacity`` detail.

    Returns
    -------
    tuple of Unassigned
        One per job, in the order given.
    """
    partners: dict[int, list[tuple[int, int, int]]] = {}
    for link in problem.links:
        # Gap expressed as start(partner) - start(job) in [lo, hi].
        partners.setdefault(link.first, []).append((link.second, link.min_gap_s, link.max_gap_s))
        partners.setdefault(link.second, []).append((link.first, -link.max_gap_s, -link.min_gap_s))
    used = {r.vehicle for r in solution_routes or () if r.stops}
    out = []
    for j in job_indices:
        out.append(_explain_one(problem, j, partners.get(j, []), used))
    return tuple(out)


def _explain_one(problem: Problem, j: int, partners: list[tuple[int, int, int]],
                 used: set[int]) -> Unassigned:
    job = problem.jobs[j]
    eligible = _eligible(problem, j)
    if not eligible:
        return Unassigned(j, "no_eligible_vehicle", _why_no_vehicle(problem, j))
    reachable = [v for v in eligible if _reachable(problem, v, job.location)]
    if not reachable:
        return Unassigned(j, "unreachable",
                          f"location {job.location} cannot be reached and left within any "
                          f"eligible vehicle's shift")
    windows = {v: _start_window(problem, v, j) for v in reachable}
    covering = {v: w for v, w in windows.items() if w is not None}
    if not covering:
        late = f" (+{job.max_lateness_s // 60} min late)" if job.max_lateness_s else ""
        return Unassigned(j, "no_shift_covers_window",
                          f"no shift covers window {format_clock(job.tw_start_s)}-"
                          f"{format_clock(job.tw_end_s)}{late} (+ travel)")
    for partner, lo, hi in partners:
        if not _pair_possible(problem, covering, partner, lo, hi):
            return Unassigned(j, "no_partner",
                              f"no vehicle of another resource can serve linked job "
                              f"{problem.jobs[partner].id!r} at the required time")
    n_used = sum(1 for v in covering if v in used)
    return Unassigned(j, "capacity",
                      f"{len(covering)} eligible vehicle(s) could serve it alone "
                      f"({n_used} of them in use) but their time is taken")


def _eligible(problem: Problem, j: int) -> list[int]:
    job = problem.jobs[j]
    eligible = []
    for v in problem.eligible_vehicles(j):
        capacity = problem.vehicles[v].capacity
        if capacity is None or job.demand <= capacity:
            eligible.append(v)
    return eligible


def _why_no_vehicle(problem: Problem, j: int) -> str:
    job = problem.jobs[j]
    skilled = [veh for veh in problem.vehicles if job.skills <= veh.skills]
    if not skilled:
        have = set().union(*(veh.skills for veh in problem.vehicles)) if problem.vehicles else set()
        missing = sorted(job.skills - have)
        if missing:
            return "no vehicle has skills " + ", ".join(missing)
        return "no single vehicle has all of skills " + ", ".join(sorted(job.skills))
    allowed = [veh for veh in skilled if veh.resource not in job.forbidden_resources]
    if not allowed:
        return "every eligible resource is excluded"
    return f"demand {job.demand} exceeds the capacity of every eligible vehicle"


def _travel(problem: Problem, v: int, a: int, b: int) -> int:
    return int(problem.duration_s[problem.vehicles[v].profile][a, b])


def _reachable(problem: Problem, v: int, location: int) -> bool:
    veh = problem.vehicles[v]
    shift = veh.shift_end_s + problem.weights.overtime_allowed_s - veh.shift_start_s
    return (_travel(problem, v, veh.start_location, location) <= shift
            and _travel(problem, v, location, veh.end_location) <= shift)


def _start_window(problem: Problem, v: int, j: int) -> tuple[int, int] | None:
    """Service-start interval open to job ``j`` on an otherwise empty vehicle ``v``."""
    job = problem.jobs[j]
    veh = problem.vehicles[v]
    to_s = _travel(problem, v, veh.start_location, job.location)
    back_s = _travel(problem, v, job.location, veh.end_location)
    earliest = max(job.tw_start_s, veh.shift_start_s + to_s)
    end = veh.shift_end_s + problem.weights.overtime_allowed_s  # priced overtime counts
    latest = min(job.tw_end_s + job.max_lateness_s, end - job.service_s - back_s)
    if earliest > latest:
        return None
    # The break durations lengthen the route only if they cannot be taken around it;
    # a shift too short for the trip plus its breaks is treated as not covering.
    breaks_s = sum(b.duration_s for b in veh.breaks)
    if veh.max_work_s is not None and to_s + job.service_s + back_s > veh.max_work_s:
        return None
    if to_s + job.service_s + back_s + breaks_s > end - veh.shift_start_s:
        return None
    return earliest, latest


def _pair_possible(problem: Problem, covering: dict[int, tuple[int, int]], partner: int,
                   lo: int, hi: int) -> bool:
    """Whether some vehicle pair of different resources can serve job and partner with the gap."""
    partner_windows = {}
    for v in _eligible(problem, partner):
        if _reachable(problem, v, problem.jobs[partner].location):
            w = _start_window(problem, v, partner)
            if w is not None:
                partner_windows[v] = w
    for v, (a0, a1) in covering.items():
        for u, (b0, b1) in partner_windows.items():
            if problem.vehicles[u].resource == problem.vehicles[v].resource:
                continue
            # Need s_b - s_a in [lo, hi] with s_a in [a0, a1], s_b in [b0, b1].
            if b0 - a1 <= hi and b1 - a0 >= lo:
                return True
    return False
