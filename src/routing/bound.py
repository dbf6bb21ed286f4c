"""An upper bound on how much of a problem any solution could serve.

A search that leaves jobs unassigned leaves two questions mixed: were there not enough
hours in the right places (shortage), or did the search not find the rota (search)?
:func:`placeable_bound` answers the first from above by a linear relaxation that every
feasible solution satisfies, so ``jobs - bound`` jobs are unservable by *any* rota and
the rest of what a solution leaves out is the search's.

The relaxation (a time-indexed capacity LP)
-------------------------------------------
The day is cut into buckets of ``bucket_s``. Variable ``x_j`` in ``[0, 1]`` is the share
of job ``j`` served; ``y[j, v, k]`` the seconds of vehicle ``v``'s time in bucket ``k``
that job ``j`` uses. Each rule below holds for every feasible solution (take ``x_j = 1``
for a served job and put its work in the buckets where it happens), so the LP optimum is
at least the best solution's served weight:

* **work:** a served job uses ``service_s`` plus at least ``d_j`` seconds just before it
  in which its vehicle does nothing else: from a vehicle's start, the travel; from a job
  ``i`` that could end before ``j`` must start, the larger of the leg and the wait from
  ``i``'s latest end to ``j``'s earliest start (the vehicle travels, then waits); ``d_j``
  is the least of these (a job it is linked to cannot precede it, being served at the
  same time);
  ``sum_{v,k} y[j,v,k] = (service_s + d_j) x_j``;
* **where and when:** ``y[j, v, k] > 0`` only for a vehicle with the job's skills, not a
  forbidden resource, that can reach the job from its start within the window and get
  back by its shift end (with any allowed overtime), and only inside
  ``[tw_start - d_j, tw_end + max_lateness + service_s]`` and the shift;
* **one vehicle at a time per job:** in each bucket the job's work over all vehicles is
  at most the bucket's overlap with that span, times ``x_j`` (a job is not served by
  several vehicles in parallel);
* **vehicle time:** in each bucket a vehicle's work is at most the bucket's overlap with
  its shift; over the day at most the shift (less its breaks) and its ``max_work_s``;
  a resource's vehicles together at most ``resource_max_work_s``;
* **links:** linked jobs are served together, ``x_first = x_second``;
* mandatory jobs have ``x_j = 1``.

What it ignores (why it is an upper bound and not the answer): the order of jobs in a
route and travel beyond the least inbound leg, waiting beyond that, the exact position of breaks,
that a job's work is one unbroken interval, and that linked jobs need different
resources at the same moment. The LP is solved by HiGHS (``scipy.optimize.linprog``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SolverError
from .problem import Problem

#: Tolerance when turning the LP optimum into a whole number of jobs.
_EPS = 1e-6


@dataclass(frozen=True)
class PlaceableBound:
    """The result of :func:`placeable_bound`.

    Attributes
    ----------
    served : float
        LP optimum: an upper bound on the weighted jobs any solution serves.
    served_whole : int
        ``served`` rounded down (valid when every job's weight is a share of a whole
        unit served together, e.g. ``1/2`` per part of a linked pair).
    share : tuple of float
        Per job, its share ``x_j`` in the LP optimum (0 for a job no vehicle can serve).
    unreachable : tuple of int
        Jobs no vehicle can serve at all (skills, forbidden resources, windows and
        shifts); no solution serves them.
    bucket_s : int
        The bucket length used, in seconds.
    variables : int
        Number of LP variables.
    wall_s : float
        Time to build and solve the LP, seconds.
    """

    served: float
    served_whole: int
    share: tuple[float, ...]
    unreachable: tuple[int, ...]
    bucket_s: int
    variables: int
    wall_s: float


def placeable_bound(problem: Problem, *, weights: Sequence[float] | None = None,
                    bucket_s: int = 900) -> PlaceableBound:
    """An upper bound on the (weighted) jobs any solution of ``problem`` can serve.

    Parameters
    ----------
    problem : Problem
    weights : sequence of float, optional
        Per job, what serving it counts (default 1 each). Use ``1 / parts`` on the jobs
        of a linked visit to bound visits rather than jobs.
    bucket_s : int, default 900
        Bucket length in seconds; shorter is tighter and slower.

    Returns
    -------
    PlaceableBound

    Raises
    ------
    SolverError
        When the LP solver fails, or the mandatory jobs cannot all be served even in the
        relaxation (then no solution exists).
    """
    from scipy.optimize import linprog

    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be positive, got {bucket_s}")
    started = time.perf_counter()
    n = len(problem.jobs)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights has {w.shape[0]} entries for {n} jobs")
    inbound = _least_inbound_s(problem)
    spans = _job_spans(problem, inbound)
    cells = _cells(problem, inbound, spans, bucket_s)
    unreachable = tuple(j for j in range(n) if j not in cells.jobs_served)

    a_ub, b_ub, a_eq, b_eq = _matrices(problem, cells, spans, inbound, bucket_s)
    n_y = len(cells.job)
    n_var = n + n_y
    lower = np.zeros(n_var)
    upper = np.full(n_var, np.inf)
    upper[:n] = 1.0
    for j in unreachable:
        upper[j] = 0.0
    for j, job in enumerate(problem.jobs):
        if job.drop_penalty is None:
            lower[j] = 1.0
    if (lower[:n] > upper[:n]).any():
        raise SolverError("a mandatory job cannot be served by any vehicle: no solution exists")
    cost = np.concatenate([-w, np.zeros(n_y)])
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=np.column_stack([lower, upper]),
                     method="highs")
    if result.status == 2:
        raise SolverError("the mandatory jobs cannot all be served even in the relaxation: "
                          "no solution exists")
    if result.status != 0:
        raise SolverError(f"the bound's LP did not solve: {result.message}")
    served = float(-result.fun)
    share = tuple(float(min(1.0, max(0.0, s))) for s in result.x[:n])
    return PlaceableBound(served=served, served_whole=math.floor(served + _EPS), share=share,
                          unreachable=unreachable, bucket_s=bucket_s, variables=n_var,
                          wall_s=time.perf_counter() - started)


def _matrices(problem: Problem, cells: _Cells, spans: list[tuple[int, int]],
              inbound: np.ndarray, bucket_s: int):
    """The LP's constraints: ``(A_ub, b_ub, A_eq, b_eq)`` over ``x`` then one ``y`` per cell."""
    from scipy.sparse import coo_matrix

    n = len(problem.jobs)
    # variables: x_0..x_{n-1}, then one y per cell
    n_y = len(cells.job)
    n_var = n + n_y
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[float] = []
    eq_rows: list[np.ndarray] = []
    eq_cols: list[np.ndarray] = []
    eq_vals: list[np.ndarray] = []
    eq_rhs: list[float] = []
    y_index = n + np.arange(n_y)
    job_arr = np.asarray(cells.job, dtype=np.int64)
    veh_arr = np.asarray(cells.vehicle, dtype=np.int64)
    bucket_arr = np.asarray(cells.bucket, dtype=np.int64)

    # work: sum_y - (service + d_j) x_j = 0
    work = np.array([problem.jobs[j].service_s + inbound[j] for j in range(n)], dtype=float)
    eq_rows += [job_arr, np.arange(n)]
    eq_cols += [y_index, np.arange(n)]
    eq_vals += [np.ones(n_y), -work]
    eq_rhs += [0.0] * n
    next_eq = n
    # links: x_first - x_second = 0
    for link in problem.links:
        eq_rows.append(np.array([next_eq, next_eq]))
        eq_cols.append(np.array([link.first, link.second]))
        eq_vals.append(np.array([1.0, -1.0]))
        eq_rhs.append(0.0)
        next_eq += 1

    next_ub = 0
    # one vehicle at a time per job: sum_v y[j,v,k] - overlap(k, span_j) x_j <= 0
    key = job_arr * (cells.n_buckets + 1) + bucket_arr
    groups, group_of = np.unique(key, return_inverse=True)
    g_job = groups // (cells.n_buckets + 1)
    g_bucket = groups % (cells.n_buckets + 1)
    g_overlap = np.array([_overlap(spans[j], int(k), bucket_s) for j, k in
                          zip(g_job.tolist(), g_bucket.tolist(), strict=True)], dtype=float)
    rows += [next_ub + group_of, next_ub + np.arange(len(groups))]
    cols += [y_index, g_job]
    vals += [np.ones(n_y), -g_overlap]
    rhs += [0.0] * len(groups)
    next_ub += len(groups)
    # vehicle time per bucket
    vkey = veh_arr * (cells.n_buckets + 1) + bucket_arr
    vgroups, vgroup_of = np.unique(vkey, return_inverse=True)
    rows.append(next_ub + vgroup_of)
    cols.append(y_index)
    vals.append(np.ones(n_y))
    for code in vgroups.tolist():
        v, k = divmod(code, cells.n_buckets + 1)
        rhs.append(float(_overlap(cells.shift[v], k, bucket_s)))
    next_ub += len(vgroups)
    # vehicle time over the day, and per resource
    used = np.unique(veh_arr)
    vrow = {int(v): next_ub + i for i, v in enumerate(used.tolist())}
    rows.append(np.array([vrow[int(v)] for v in veh_arr.tolist()], dtype=np.int64))
    cols.append(y_index)
    vals.append(np.ones(n_y))
    for v in used.tolist():
        rhs.append(float(_vehicle_capacity_s(problem, v, cells.shift[v])))
    next_ub += len(used)
    by_resource: dict[str, int] = {}
    for v in used.tolist():
        resource = problem.vehicles[v].resource
        if resource in problem.resource_max_work_s and resource not in by_resource:
            by_resource[resource] = next_ub + len(by_resource)
            rhs.append(float(problem.resource_max_work_s[resource]))
    if by_resource:
        r_rows = [by_resource.get(problem.vehicles[v].resource, -1) for v in veh_arr.tolist()]
        mask = np.array(r_rows) >= 0
        rows.append(np.array(r_rows, dtype=np.int64)[mask])
        cols.append(y_index[mask])
        vals.append(np.ones(int(mask.sum())))
        next_ub += len(by_resource)

    a_ub = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(next_ub, n_var)).tocsr()
    a_eq = coo_matrix((np.concatenate(eq_vals),
                       (np.concatenate(eq_rows), np.concatenate(eq_cols))),
                      shape=(next_eq, n_var)).tocsr()
    return a_ub, np.asarray(rhs), a_eq, np.asarray(eq_rhs)


@dataclass
class _Cells:
    """The (job, vehicle, bucket) triples that may carry work."""

    job: list[int]
    vehicle: list[int]
    bucket: list[int]
    n_buckets: int
    shift: dict[int, tuple[int, int]]
    jobs_served: set[int]


def _least_inbound_s(problem: Problem) -> np.ndarray:
    """Per job, the least travel into it from any start or job that could precede it."""
    n = len(problem.jobs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    loc = np.array([j.location for j in problem.jobs])
    earliest_start = np.array([j.tw_start_s for j in problem.jobs])
    earliest_end = earliest_start + np.array([j.service_s for j in problem.jobs])
    latest_start = np.array([j.tw_end_s + j.max_lateness_s for j in problem.jobs])
    latest_end = latest_start + np.array([j.service_s for j in problem.jobs])
    partners = np.zeros((n, n), dtype=bool)
    for link in problem.links:
        partners[link.first, link.second] = partners[link.second, link.first] = True
    best = np.full(n, np.iinfo(np.int64).max)
    for profile in {v.profile for v in problem.vehicles}:
        m = problem.duration_s[profile]
        leg = m[np.ix_(loc, loc)]  # leg[i, j]: from job i to job j
        # i may precede j only if it can end and travel before j's latest start
        can = (earliest_end[:, None] + leg <= latest_start[None, :]) & ~partners
        np.fill_diagonal(can, False)
        # between i's end and j's start the vehicle does nothing else: at least the leg,
        # and at least the wait from i's latest end to j's earliest start
        gap = np.maximum(leg, earliest_start[None, :] - latest_end[:, None])
        from_jobs = np.where(can, gap, np.iinfo(np.int64).max).min(axis=0)
        starts = np.array([v.start_location for v in problem.vehicles if v.profile == profile])
        from_starts = m[np.ix_(starts, loc)].min(axis=0)
        best = np.minimum(best, np.minimum(from_jobs, from_starts))
    return best.astype(np.int64)


def _job_spans(problem: Problem, inbound: np.ndarray) -> list[tuple[int, int]]:
    """Per job, the interval its inbound travel and service must lie in."""
    return [(job.tw_start_s - int(inbound[j]),
             job.tw_end_s + job.max_lateness_s + job.service_s)
            for j, job in enumerate(problem.jobs)]


def _cells(problem: Problem, inbound: np.ndarray, spans: list[tuple[int, int]],
           bucket_s: int) -> _Cells:
    """Every (job, vehicle, bucket) where a feasible solution could put the job's work."""
    overtime_s = problem.weights.overtime_allowed_s
    horizon = max([sp[1] for sp in spans] + [v.shift_end_s + overtime_s
                                              for v in problem.vehicles] + [0])
    n_buckets = horizon // bucket_s + 1
    cells = _Cells([], [], [], n_buckets, {}, set())
    for v, veh in enumerate(problem.vehicles):
        m = problem.duration_s[veh.profile]
        end_s = veh.shift_end_s + overtime_s
        cells.shift[v] = (veh.shift_start_s, end_s)
        for j, job in enumerate(problem.jobs):
            if not job.skills <= veh.skills or veh.resource in job.forbidden_resources:
                continue
            out_s = int(m[veh.start_location, job.location])
            back_s = int(m[job.location, veh.end_location])
            start_s = max(job.tw_start_s, veh.shift_start_s + out_s)
            if start_s > job.tw_end_s + job.max_lateness_s:
                continue
            if start_s + job.service_s + back_s > end_s:
                continue
            if veh.max_work_s is not None and out_s + job.service_s + back_s > veh.max_work_s:
                continue
            low = max(spans[j][0], veh.shift_start_s)
            high = min(spans[j][1], end_s)
            if high <= low:
                continue
            cells.jobs_served.add(j)
            for k in range(low // bucket_s, (high - 1) // bucket_s + 1):
                cells.job.append(j)
                cells.vehicle.append(v)
                cells.bucket.append(k)
    return cells


def _overlap(span: tuple[int, int], bucket: int, bucket_s: int) -> int:
    """Seconds of ``span`` inside bucket number ``bucket``."""
    low, high = bucket * bucket_s, (bucket + 1) * bucket_s
    return max(0, min(span[1], high) - max(span[0], low))


def _vehicle_capacity_s(problem: Problem, v: int, shift: tuple[int, int]) -> int:
    """The most work a vehicle can do in the day: its shift less breaks, within max_work."""
    veh = problem.vehicles[v]
    capacity = shift[1] - shift[0] - sum(b.duration_s for b in veh.breaks)
    if veh.max_work_s is not None:
        capacity = min(capacity, veh.max_work_s)
    return max(0, capacity)
