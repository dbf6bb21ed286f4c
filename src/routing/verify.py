"""Independent feasibility checker: recomputes a solution from the problem's matrices."""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, Route, Solution

#: Every ``Violation.kind`` this checker reports.
VIOLATION_KINDS = (
    "structure", "missing", "duplicate", "mandatory_dropped", "unknown_cause", "travel",
    "service", "time_travel", "window", "shift", "max_work", "resource_max_work",
    "split_overlap", "skills", "forbidden", "link_both", "link_gap", "link_resource",
    "break", "capacity",
)

_CAUSES = {"no_eligible_vehicle", "no_shift_covers_window", "no_partner", "unreachable",
           "capacity"}


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Parameters
    ----------
    kind : str
        One of :data:`VIOLATION_KINDS`.
    detail : str
        What is wrong, with the figures, in seconds or metres.
    job : str, optional
        Id of the job concerned.
    vehicle : str, optional
        Id of the vehicle concerned.
    """

    kind: str
    detail: str
    job: str | None = None
    vehicle: str | None = None


def verify_solution(problem: Problem, solution: Solution) -> list[Violation]:
    """Check a solution against every hard rule of the problem.

    Recomputes every leg's travel and distance from ``problem``'s matrices and checks
    service times, windows (with allowed lateness), shifts (with overtime when
    :attr:`~.problem.Weights.overtime_s` prices it, up to ``max_overtime_s``, and the
    route's stated ``overtime_s``), route and resource work
    limits, split shifts of one resource not overlapping, skills, forbidden resources,
    links (both served or neither, start gap, different resources), breaks (count,
    window, inside the shift, not during service or another break), capacity, that no
    stop starts before it can be reached (``start >= arrival >= previous end + travel``,
    with breaks taken on the way not counted as travel), and that every job is served
    exactly once or listed unassigned once with a known cause.

    Parameters
    ----------
    problem : Problem
    solution : Solution

    Returns
    -------
    list of Violation
        Empty when the solution is feasible.
    """
    out: list[Violation] = []
    jobs, vehicles = problem.jobs, problem.vehicles
    seen_vehicles = [r.vehicle for r in solution.routes]
    if sorted(seen_vehicles) != list(range(len(vehicles))):
        out.append(Violation("structure", f"expected one route per vehicle 0..{len(vehicles) - 1},"
                                          f" got vehicles {sorted(seen_vehicles)}"))
    served_by: dict[int, int] = {}
    start_of: dict[int, int] = {}
    for route in solution.routes:
        if not 0 <= route.vehicle < len(vehicles):
            out.append(Violation("structure", f"route for unknown vehicle {route.vehicle}"))
            continue
        for stop in route.stops:
            if not 0 <= stop.job < len(jobs):
                out.append(Violation("structure", f"stop for unknown job {stop.job}",
                                     vehicle=vehicles[route.vehicle].id))
                continue
            if stop.job in served_by:
                out.append(Violation("duplicate", "served more than once", job=jobs[stop.job].id,
                                     vehicle=vehicles[route.vehicle].id))
            served_by[stop.job] = route.vehicle
            start_of[stop.job] = stop.start_s
        out.extend(_check_route(problem, route))
    out.extend(_check_unassigned(problem, solution, served_by))
    out.extend(_check_resources(problem, solution))
    out.extend(_check_links(problem, served_by, start_of))
    return out


def _check_unassigned(problem: Problem, solution: Solution,
                      served_by: dict[int, int]) -> list[Violation]:
    out = []
    listed: set[int] = set()
    for u in solution.unassigned:
        if not 0 <= u.job < len(problem.jobs):
            out.append(Violation("structure", f"unassigned entry for unknown job {u.job}"))
            continue
        jid = problem.jobs[u.job].id
        if u.job in listed or u.job in served_by:
            out.append(Violation("duplicate", "listed unassigned twice or also served", job=jid))
        listed.add(u.job)
        if u.cause not in _CAUSES:
            out.append(Violation("unknown_cause", f"cause {u.cause!r} is not one of "
                                                  f"{sorted(_CAUSES)}", job=jid))
        if problem.jobs[u.job].drop_penalty is None:
            out.append(Violation("mandatory_dropped", "mandatory job left unassigned", job=jid))
    for j, job in enumerate(problem.jobs):
        if j not in served_by and j not in listed:
            out.append(Violation("missing", "neither served nor listed unassigned", job=job.id))
    return out


def _break_time_within(route: Route, lo: int, hi: int) -> int:
    return sum(max(0, min(hi, b.start_s + b.duration_s) - max(lo, b.start_s))
               for b in route.breaks)


def _check_route(problem: Problem, route: Route) -> list[Violation]:
    out: list[Violation] = []
    veh = problem.vehicles[route.vehicle]
    vid = veh.id
    dur, dist = problem.duration_s[veh.profile], problem.distance_m[veh.profile]
    if not route.stops:
        return out
    # Overtime past the shift's end is allowed only when priced, and only up to its limit.
    allowed = problem.weights.overtime_allowed_s
    if route.start_s < veh.shift_start_s or route.end_s > veh.shift_end_s + allowed:
        extra = f" (+{allowed} s overtime)" if allowed else ""
        out.append(Violation("shift", f"route {route.start_s}-{route.end_s} s outside shift "
                                      f"{veh.shift_start_s}-{veh.shift_end_s} s{extra}",
                             vehicle=vid))
    if route.overtime_s != max(0, route.end_s - veh.shift_end_s):
        out.append(Violation("shift", f"stated overtime {route.overtime_s} s, but the route is "
                                      f"back {max(0, route.end_s - veh.shift_end_s)} s after "
                                      f"its shift", vehicle=vid))
    if veh.max_work_s is not None and route.end_s - route.start_s > veh.max_work_s:
        out.append(Violation("max_work", f"route lasts {route.end_s - route.start_s} s, "
                                         f"limit {veh.max_work_s} s", vehicle=vid))
    loc, prev_end, load = veh.start_location, route.start_s, 0
    for stop in route.stops:
        if not 0 <= stop.job < len(problem.jobs):
            continue
        job = problem.jobs[stop.job]
        jid = job.id
        travel, metres = int(dur[loc, job.location]), int(dist[loc, job.location])
        if stop.travel_s != travel or stop.distance_m != metres:
            out.append(Violation("travel", f"stated leg {stop.travel_s} s/{stop.distance_m} m, "
                                           f"matrix {travel} s/{metres} m", jid, vid))
        if stop.end_s - stop.start_s != job.service_s:
            out.append(Violation("service", f"service {stop.end_s - stop.start_s} s, "
                                            f"expected {job.service_s} s", jid, vid))
        free = stop.start_s - prev_end - _break_time_within(route, prev_end, stop.start_s)
        if not prev_end + travel <= stop.arrival_s <= stop.start_s or free < travel:
            out.append(Violation("time_travel", f"left {prev_end}, arrived {stop.arrival_s}, "
                                                f"started {stop.start_s} with {travel} s travel",
                                 jid, vid))
        if not job.tw_start_s <= stop.start_s <= job.tw_end_s + job.max_lateness_s:
            out.append(Violation("window", f"starts {stop.start_s} s, window {job.tw_start_s}-"
                                           f"{job.tw_end_s} s + {job.max_lateness_s} s late",
                                 jid, vid))
        if not job.skills <= veh.skills:
            out.append(Violation("skills", "vehicle lacks " + ", ".join(sorted(job.skills
                                                                               - veh.skills)),
                                 jid, vid))
        if veh.resource in job.forbidden_resources:
            out.append(Violation("forbidden", "served by a forbidden resource", jid, vid))
        load += job.demand
        loc, prev_end = job.location, stop.end_s
    back, metres = int(dur[loc, veh.end_location]), int(dist[loc, veh.end_location])
    if route.return_travel_s != back or route.return_distance_m != metres:
        out.append(Violation("travel", f"stated return {route.return_travel_s} s/"
                                       f"{route.return_distance_m} m, matrix {back} s/{metres} m",
                             vehicle=vid))
    if route.end_s - prev_end - _break_time_within(route, prev_end, route.end_s) < back:
        out.append(Violation("time_travel", f"back at {route.end_s} s but last stop ends "
                                            f"{prev_end} s and the way home takes {back} s",
                             vehicle=vid))
    if veh.capacity is not None and load > veh.capacity:
        out.append(Violation("capacity", f"load {load} over capacity {veh.capacity}",
                             vehicle=vid))
    out.extend(_check_breaks(problem, route))
    return out


def _check_breaks(problem: Problem, route: Route) -> list[Violation]:
    out = []
    veh = problem.vehicles[route.vehicle]
    vid = veh.id
    if len(route.breaks) != len(veh.breaks):
        out.append(Violation("break", f"{len(route.breaks)} breaks taken, "
                                      f"{len(veh.breaks)} required", vehicle=vid))
    wanted = sorted(veh.breaks, key=lambda b: (b.earliest_s, b.latest_s))
    for want, took in zip(wanted, sorted(route.breaks, key=lambda b: b.start_s)):
        if (took.duration_s != want.duration_s
                or not want.earliest_s <= took.start_s <= want.latest_s):
            out.append(Violation("break", f"break at {took.start_s} s for {took.duration_s} s, "
                                          f"required {want.duration_s} s starting "
                                          f"{want.earliest_s}-{want.latest_s} s", vehicle=vid))
    taken = sorted(route.breaks, key=lambda b: b.start_s)
    for i, b in enumerate(taken):
        b_end = b.start_s + b.duration_s
        if b.start_s < veh.shift_start_s or b_end > veh.shift_end_s:
            out.append(Violation("break", f"break {b.start_s}-{b_end} s outside shift",
                                 vehicle=vid))
        if i and taken[i - 1].start_s + taken[i - 1].duration_s > b.start_s:
            out.append(Violation("break", "breaks overlap", vehicle=vid))
        for stop in route.stops:
            if stop.start_s < b_end and b.start_s < stop.end_s:
                jid = problem.jobs[stop.job].id if 0 <= stop.job < len(problem.jobs) else None
                out.append(Violation("break", f"break {b.start_s}-{b_end} s during service "
                                              f"{stop.start_s}-{stop.end_s} s", jid, vid))
    return out


def _check_resources(problem: Problem, solution: Solution) -> list[Violation]:
    out = []
    by_resource: dict[str, list[Route]] = {}
    for route in solution.routes:
        if route.stops and 0 <= route.vehicle < len(problem.vehicles):
            by_resource.setdefault(problem.vehicles[route.vehicle].resource, []).append(route)
    for resource, routes in by_resource.items():
        limit = problem.resource_max_work_s.get(resource)
        total = sum(r.end_s - r.start_s for r in routes)
        if limit is not None and total > limit:
            out.append(Violation("resource_max_work", f"resource works {total} s over its "
                                                      f"routes, limit {limit} s",
                                 vehicle=problem.vehicles[routes[0].vehicle].id))
        routes = sorted(routes, key=lambda r: r.start_s)
        for a, b in zip(routes, routes[1:]):
            if a.end_s > b.start_s:
                out.append(Violation("split_overlap", f"routes of one resource overlap: "
                                                      f"{a.start_s}-{a.end_s} s and "
                                                      f"{b.start_s}-{b.end_s} s",
                                     vehicle=problem.vehicles[b.vehicle].id))
    return out


def _check_links(problem: Problem, served_by: dict[int, int],
                 start_of: dict[int, int]) -> list[Violation]:
    out = []
    for link in problem.links:
        a, b = link.first, link.second
        jid = problem.jobs[a].id
        if (a in served_by) != (b in served_by):
            out.append(Violation("link_both", f"only one of {problem.jobs[a].id!r} and "
                                              f"{problem.jobs[b].id!r} is served", jid))
            continue
        if a not in served_by:
            continue
        gap = start_of[b] - start_of[a]
        if not link.min_gap_s <= gap <= link.max_gap_s:
            out.append(Violation("link_gap", f"start gap {gap} s outside "
                                             f"{link.min_gap_s}-{link.max_gap_s} s", jid))
        va, vb = problem.vehicles[served_by[a]], problem.vehicles[served_by[b]]
        if va.resource == vb.resource:
            out.append(Violation("link_resource", f"both served by resource of {va.id!r} and "
                                                  f"{vb.id!r}", jid, va.id))
    return out
