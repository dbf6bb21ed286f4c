"""An upper bound on how much of a problem any solution could serve.

A search that leaves jobs unassigned leaves two questions mixed: were there not enough
hours in the right places (shortage), or did the search not find the rota (search)?
:func:`placeable_bound` answers the first from above by a linear relaxation that every
feasible solution satisfies, so ``jobs - bound`` jobs are unservable by *any* rota and
the rest of what a solution leaves out is the search's.

The relaxation (a time-indexed capacity LP with an assignment of inbound legs)
-----------------------------------------------------------------------------
The day is cut into buckets of ``bucket_s``. Variable ``x_j`` in ``[0, 1]`` is the share
of job ``j`` served; ``z_a`` the share of *arc* ``a`` (a predecessor of a job: a
vehicle's start or another job) used; ``y[j, v, k]`` the seconds of vehicle ``v``'s time
in bucket ``k`` that job ``j`` uses. Each rule below holds for every feasible solution
(take ``x_j = 1`` for a served job, ``z_a = 1`` for each leg its routes drive, and put a
job's service and inbound leg in the buckets where they happen), so the LP optimum is at
least the best solution's served weight:

* **one way in:** a served job is reached by exactly one leg, from a vehicle's start or
  from a job that can precede it: ``sum_{a into j} z_a = x_j``; a job is left by at most
  one leg to another job, ``sum_{a out of i} z_a <= x_i``, and a vehicle's start by at
  most one, ``<= 1``. A job ``i`` can precede ``j`` when some vehicle may serve both and
  ``i`` can end and travel before ``j``'s latest start (a job it is linked to cannot,
  being served at the same time). Only each job's ``arcs`` shortest candidate legs are
  kept; every other way in is one *far* arc with no limit on its source and the length
  of the shortest leg left out, which no left-out leg is shorter than;
* **work:** a served job uses its ``service_s`` and its inbound arc's charge:
  ``sum_{v,k} y[j,v,k] = service_s x_j + sum_{a into j} charge_a z_a``. An arc from job
  ``i`` charges ``max(leg, wait - B)``, where ``wait`` is the least gap between ``i``'s
  latest end and ``j``'s earliest start and ``B`` the most break time any vehicle has:
  a break may be taken while waiting, and breaks are already taken out of a vehicle's
  day below (breaks do not overlap travel or visits), so no second counts twice. Of
  the charge, only the leg (at most ``_TIMED_S``) is placed in time, just before the
  start: a wait's moment is not known;
* **where and when:** ``y[j, v, k] > 0`` only for a vehicle with the job's skills, not a
  forbidden resource, that can reach the job from its start within the window and get
  back by its shift end (with any allowed overtime), and only inside
  ``[tw_start - L_j, tw_end + max_lateness + service_s]`` and the shift, where ``L_j``
  is the longest inbound leg the LP may charge the job;
* **one vehicle at a time per job:** in each bucket the job's work over all vehicles is
  at most the bucket's overlap with that span, times ``x_j`` (a job is not served by
  several vehicles in parallel);
* **vehicle time:** in each bucket a vehicle's work is at most the bucket's overlap with
  its shift; over the day at most the shift (less its breaks) and its ``max_work_s``;
  a resource's vehicles together at most ``resource_max_work_s``;
* **links:** linked jobs are served together, ``x_first = x_second``;
* mandatory jobs have ``x_j = 1``.

What it ignores (why it is an upper bound and not the answer): that the legs form routes
(the arcs are an assignment, so they may form cycles, and a leg need not belong to the
vehicle doing the job), the return legs, waits up to the longest breaks, the exact
position of breaks, that a job's work is done by one vehicle in one unbroken interval,
and that linked jobs need different resources at the same moment.

The LP falls apart into blocks no row joins (jobs only some vehicles may serve: a
provider's, say), each solved alone by HiGHS (``scipy.optimize.linprog``); the optimum
is their sum. With ``integer_time_limit_s`` each block is also solved with whole jobs,
legs and start bins (every solution has them whole, so this is still a relaxation),
and the best bound branch and bound proves in the time is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..errors import SolverError
from .problem import Problem

#: Tolerance when turning the LP optimum into a whole number of jobs.
_EPS = 1e-6
#: The most of a leg the LP places in time, seconds (longer legs widen every bucket's
#: span; the rest of the leg still counts against the vehicle's day).
_TIMED_S = 1800
#: Blocks of fewer variables than this are solved together (one LP call each is slow).
_BLOCK_MIN = 2000
#: Marks a leg no solution can drive.
_NO_LEG = np.iinfo(np.int64).max


@dataclass(frozen=True)
class PlaceableBound:
    """The result of :func:`placeable_bound`.

    Attributes
    ----------
    served : float
        An upper bound on the weighted jobs any solution serves: the LP optimum, or
        where lower the bound the integer solve proved (``integer_time_limit_s``).
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
    lp_served : float
        The LP optimum alone (``served`` is at most this; lower when the integer
        solve proved a better bound).
    blocks : int
        Independent blocks the LP fell apart into, each solved alone.
    """

    served: float
    served_whole: int
    share: tuple[float, ...]
    unreachable: tuple[int, ...]
    bucket_s: int
    variables: int
    wall_s: float
    lp_served: float = math.nan
    blocks: int = 1


def placeable_bound(problem: Problem, *, weights: Sequence[float] | None = None,
                    bucket_s: int = 900, start_bin_s: int = 300, arcs: int = 20,
                    integer_time_limit_s: float | None = None) -> PlaceableBound:
    """An upper bound on the (weighted) jobs any solution of ``problem`` can serve.

    Parameters
    ----------
    problem : Problem
    weights : sequence of float, optional
        Per job, what serving it counts (default 1 each). Use ``1 / parts`` on the jobs
        of a linked visit to bound visits rather than jobs.
    bucket_s : int, default 900
        Bucket length in seconds; shorter is tighter and slower.
    start_bin_s : int, default 300
        Width of the bins a job's start is placed in; shorter is tighter and slower.
    arcs : int, default 20
        Candidate inbound legs kept per job (the rest are one *far* arc); more is
        tighter and slower. 0 charges every job only its shortest possible leg in.
    integer_time_limit_s : float, optional
        Also solve the relaxation with whole jobs, legs and start bins (a mixed-integer
        program, still a relaxation of every solution) for up to this many seconds in
        all (at least a second per block), shared among the independent blocks by size,
        and keep the best bound branch and bound proves where it is below the LP's.
        Default: the LP alone.

    Returns
    -------
    PlaceableBound

    Raises
    ------
    SolverError
        When the LP solver fails, or the mandatory jobs cannot all be served even in the
        relaxation (then no solution exists).
    """
    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be positive, got {bucket_s}")
    if start_bin_s <= 0:
        raise ValueError(f"start_bin_s must be positive, got {start_bin_s}")
    if arcs < 0:
        raise ValueError(f"arcs must be at least 0, got {arcs}")
    started = time.perf_counter()
    n = len(problem.jobs)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights has {w.shape[0]} entries for {n} jobs")
    able = _able(problem)
    legs = _arcs(problem, able, arcs)
    spans = _job_spans(problem, legs.cap_s)
    cells = _cells(problem, able, spans, bucket_s)
    unreachable = tuple(j for j in range(n) if j not in cells.jobs_served)

    starts = _start_bins(problem, start_bin_s)
    a_ub, b_ub, a_eq, b_eq = _matrices(problem, cells, legs, starts, bucket_s)
    n_var = a_ub.shape[1]
    n_z = len(legs.to_job)
    lower = np.zeros(n_var)
    upper = np.full(n_var, np.inf)
    upper[:n] = 1.0
    upper[n:n + n_z] = 1.0
    for j in unreachable:
        upper[j] = 0.0
    for j, job in enumerate(problem.jobs):
        if job.drop_penalty is None:
            lower[j] = 1.0
    if (lower[:n] > upper[:n]).any():
        raise SolverError("a mandatory job cannot be served by any vehicle: no solution exists")
    cost = np.concatenate([-w, np.zeros(n_var - n)])
    whole = np.zeros(n_var, dtype=bool)
    whole[:n + n_z + len(starts.job)] = True  # x, z, u: a job, a leg, a start bin
    served, lp_served, x = 0.0, 0.0, np.zeros(n_var)
    blocks = _blocks(a_ub, a_eq, n_var)
    for columns in blocks:
        block = _Block(columns, a_ub, b_ub, a_eq, b_eq, cost, lower, upper)
        lp = block.solve_lp()
        x[columns] = lp.x
        lp_served += -lp.fun
        best = -lp.fun
        if integer_time_limit_s and columns.size > 1:
            share_s = integer_time_limit_s * columns.size / n_var
            best = min(best, block.solve_integer(whole[columns], share_s))
        served += best
    share = tuple(float(min(1.0, max(0.0, s))) for s in x[:n])
    return PlaceableBound(served=served, served_whole=math.floor(served + _EPS), share=share,
                          unreachable=unreachable, bucket_s=bucket_s, variables=n_var,
                          wall_s=time.perf_counter() - started, lp_served=lp_served,
                          blocks=len(blocks))


def _blocks(a_ub, a_eq, n_var: int) -> list[np.ndarray]:
    """The LP's independent blocks: sets of variables no constraint joins.

    Jobs only some vehicles may serve (a provider's workers, say) and the vehicles
    themselves fall apart into blocks that share no row, so each is solved alone: the
    optimum is the sum, and smaller LPs solve much faster than one large one. Blocks
    of fewer than ``_BLOCK_MIN`` variables are solved together.
    """
    from scipy.sparse import bmat, csgraph, vstack

    rows = vstack([a_ub, a_eq]).tocsr()
    graph = bmat([[None, rows.T], [rows, None]])  # variables, then rows: linear in nonzeros
    _, label = csgraph.connected_components(graph, directed=False)
    label = label[:n_var]
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    blocks: list[np.ndarray] = []
    small: list[np.ndarray] = []
    for columns in np.split(order, cuts):
        (blocks if columns.size >= _BLOCK_MIN else small).append(columns)
    if small:
        blocks.append(np.sort(np.concatenate(small)))
    return blocks


class _Block:
    """One independent block of the LP, to solve as an LP or with whole jobs."""

    def __init__(self, columns: np.ndarray, a_ub, b_ub, a_eq, b_eq, cost: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray) -> None:
        self.cost = cost[columns]
        self.bounds = np.column_stack([lower[columns], upper[columns]])
        self.a_ub, self.b_ub = self._rows(a_ub, b_ub, columns)
        self.a_eq, self.b_eq = self._rows(a_eq, b_eq, columns)

    @staticmethod
    def _rows(a, b: np.ndarray, columns: np.ndarray):
        """The rows of ``a`` that touch ``columns``, restricted to them."""
        part = a[:, columns].tocsr()
        touched = np.flatnonzero(np.diff(part.indptr))
        return part[touched], np.asarray(b)[touched]

    def solve_lp(self):
        """The block's LP optimum (``scipy`` result)."""
        from scipy.optimize import linprog

        result = linprog(self.cost, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq,
                         b_eq=self.b_eq, bounds=self.bounds, method="highs")
        if result.status == 2:
            raise SolverError("the mandatory jobs cannot all be served even in the "
                              "relaxation: no solution exists")
        if result.status != 0:
            raise SolverError(f"the bound's LP did not solve: {result.message}")
        return result

    def solve_integer(self, whole: np.ndarray, time_limit_s: float) -> float:
        """The best bound branch and bound proves in ``time_limit_s`` (served weight)."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        constraints = []
        if self.a_ub.shape[0]:
            constraints.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        if self.a_eq.shape[0]:
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        result = milp(self.cost, integrality=whole.astype(np.uint8),
                      bounds=Bounds(self.bounds[:, 0], self.bounds[:, 1]),
                      constraints=constraints,
                      options={"time_limit": max(1.0, time_limit_s), "presolve": True})
        if result.status == 2:
            raise SolverError("the mandatory jobs cannot all be served with whole jobs: "
                              "no solution exists")
        dual = getattr(result, "mip_dual_bound", None)
        if dual is None or not math.isfinite(dual):
            return math.inf
        return float(-dual)


@dataclass
class _Starts:
    """Start bins: bin ``b`` of job ``job[b]`` holds starts in ``[first_s[b], last_s[b]]``."""

    job: np.ndarray
    first_s: np.ndarray
    last_s: np.ndarray


def _start_bins(problem: Problem, width_s: int) -> _Starts:
    """Each job's possible starts, window start to latest start, cut into bins."""
    job, first, last = [], [], []
    for j, item in enumerate(problem.jobs):
        latest = item.tw_end_s + item.max_lateness_s
        t = item.tw_start_s
        while True:
            job.append(j)
            first.append(t)
            last.append(min(t + width_s, latest))
            t += width_s
            if t >= latest:
                break
    return _Starts(_ints(job), _ints(first), _ints(last))


def _ints(values: list[int]) -> np.ndarray:
    """A list of ints as an int64 array."""
    return np.asarray(values, dtype=np.int64)


def _able(problem: Problem) -> np.ndarray:
    """``able[j, v]``: vehicle ``v`` may serve job ``j`` on its own.

    It has the skills, is not a forbidden resource, reaches the job from its start
    within the window and gets back by its shift end.
    """
    n, n_v = len(problem.jobs), len(problem.vehicles)
    able = np.zeros((n, n_v), dtype=bool)
    if n == 0:
        return able
    overtime_s = problem.weights.overtime_allowed_s
    loc = np.array([j.location for j in problem.jobs])
    tw_start = np.array([j.tw_start_s for j in problem.jobs])
    latest = np.array([j.tw_end_s + j.max_lateness_s for j in problem.jobs])
    service = np.array([j.service_s for j in problem.jobs])
    for v, veh in enumerate(problem.vehicles):
        m = problem.duration_s[veh.profile]
        out_s = m[veh.start_location, loc].astype(np.int64)
        back_s = m[loc, veh.end_location].astype(np.int64)
        start_s = np.maximum(tw_start, veh.shift_start_s + out_s)
        ok = (start_s <= latest) & (start_s + service + back_s <= veh.shift_end_s + overtime_s)
        if veh.max_work_s is not None:
            ok &= out_s + service + back_s <= veh.max_work_s
        qualified = np.array([job.skills <= veh.skills and veh.resource not in
                              job.forbidden_resources for job in problem.jobs])
        able[:, v] = ok & qualified
    return able


@dataclass
class _Arcs:
    """Candidate ways into jobs: arc ``a`` goes into job ``to_job[a]``.

    ``from_job[a]`` is the job it leaves (-1 for none), ``from_start[a]`` the vehicle
    whose start it leaves (-1 for none); a far arc has both -1. ``charge_s[a]`` is the
    vehicle time it takes at least (leg, or wait beyond any breaks), ``timed_s[a]`` the
    part of it that is surely travel just before the job starts (at most ``_TIMED_S``);
    ``cap_s[j]`` the longest and ``least_s[j]`` the shortest ``timed_s`` of an arc into
    ``j``.
    """

    to_job: np.ndarray
    from_job: np.ndarray
    from_start: np.ndarray
    charge_s: np.ndarray
    timed_s: np.ndarray
    cap_s: np.ndarray
    least_s: np.ndarray


def _arcs(problem: Problem, able: np.ndarray, keep: int) -> _Arcs:
    """Each job's ``keep`` cheapest candidate ways in, and a far arc for the rest.

    From job ``i`` to job ``j`` the vehicle spends at least the leg plus the breaks it
    takes between them, and at least the wait from ``i``'s latest end to ``j``'s
    earliest start; with ``B`` the most break time any vehicle has, ``max(leg, wait -
    B)`` plus those breaks is then at most the gap, so charging it and taking every
    break out of the vehicle's day counts no second twice.
    """
    n, n_v = able.shape
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Arcs(empty, empty, empty, empty, empty, empty, empty)
    loc = np.array([j.location for j in problem.jobs])
    earliest_start = np.array([j.tw_start_s for j in problem.jobs])
    service = np.array([j.service_s for j in problem.jobs])
    latest_start = np.array([j.tw_end_s + j.max_lateness_s for j in problem.jobs])
    breaks_s = max((sum(b.duration_s for b in v.breaks) for v in problem.vehicles), default=0)
    partners = np.zeros((n, n), dtype=bool)
    for link in problem.links:
        partners[link.first, link.second] = partners[link.second, link.first] = True
    # legs[i, j]: the shortest leg i -> j over the profiles of vehicles that may serve
    # both (a leg is driven by one vehicle, which serves both ends)
    legs = np.full((n, n), _NO_LEG, dtype=np.int64)
    profiles = np.array([v.profile for v in problem.vehicles])
    for profile in sorted(set(profiles.tolist())):
        mine = able[:, profiles == profile].astype(np.float32)
        both = (mine @ mine.T) > 0
        leg = problem.duration_s[profile][np.ix_(loc, loc)].astype(np.int64)
        legs = np.where(both, np.minimum(legs, leg), legs)
    can = ((earliest_start + service)[:, None] + legs <= latest_start[None, :]) & ~partners
    np.fill_diagonal(can, False)
    can &= legs < _NO_LEG
    wait = earliest_start[None, :] - (latest_start + service)[:, None] - breaks_s
    legs = np.where(can, legs, _NO_LEG)
    charges = np.where(can, np.maximum(legs, wait), _NO_LEG)
    start_legs = np.full((n_v, n), _NO_LEG, dtype=np.int64)
    for v, veh in enumerate(problem.vehicles):
        leg = problem.duration_s[veh.profile][veh.start_location, loc].astype(np.int64)
        start_legs[v] = np.where(able[:, v], leg, _NO_LEG)
    every_leg = np.vstack([legs, start_legs])  # rows: sources (jobs, then starts)
    every = np.vstack([charges, start_legs])
    order = np.argsort(every, axis=0, kind="stable")
    to_job, from_job, from_start, charge_s, timed_s = [], [], [], [], []
    cap_s = np.zeros(n, dtype=np.int64)
    for j in range(n):
        column = every[:, j]
        sources = order[:, j]
        count = int((column < _NO_LEG).sum())
        kept = sources[:min(keep, count)]
        for s in kept.tolist():
            to_job.append(j)
            from_job.append(s if s < n else -1)
            from_start.append(s - n if s >= n else -1)
            charge_s.append(int(column[s]))
            timed_s.append(min(int(every_leg[s, j]), _TIMED_S))
        if count > len(kept):  # every left-out way in costs at least the next charge
            rest = sources[len(kept):count]
            to_job.append(j)
            from_job.append(-1)
            from_start.append(-1)
            charge_s.append(int(column[rest[0]]))
            timed_s.append(min(int(every_leg[rest, j].min()), _TIMED_S))
    arcs = _Arcs(_ints(to_job), _ints(from_job), _ints(from_start), _ints(charge_s),
                 _ints(timed_s), cap_s, np.full(n, _TIMED_S, dtype=np.int64))
    np.maximum.at(arcs.cap_s, arcs.to_job, arcs.timed_s)
    np.minimum.at(arcs.least_s, arcs.to_job, arcs.timed_s)
    return arcs


class _Rows:
    """Constraint rows built block by block: each block numbers its rows from 0."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[float] = []

    def add(self, parts: Sequence[tuple[ArrayLike, ArrayLike, ArrayLike]],
            rhs: Sequence[float]) -> None:
        """A block of ``len(rhs)`` rows; each part is (row in block, column, value)."""
        offset = len(self.rhs)
        for rows, cols, vals in parts:
            self.rows.append(offset + np.asarray(rows, dtype=np.int64))
            self.cols.append(np.asarray(cols, dtype=np.int64))
            self.vals.append(np.asarray(vals, dtype=float))
        self.rhs += [float(r) for r in rhs]

    def matrix(self, n_var: int):
        """``(A, b)``: the rows as a CSR matrix over ``n_var`` variables, and the bounds."""
        from scipy.sparse import coo_matrix

        a = coo_matrix((np.concatenate(self.vals), (np.concatenate(self.rows),
                                                    np.concatenate(self.cols))),
                       shape=(len(self.rhs), n_var)).tocsr()
        return a, np.asarray(self.rhs)


def _matrices(problem: Problem, cells: _Cells, legs: _Arcs, starts: _Starts, bucket_s: int):
    """The LP's constraints: ``(A_ub, b_ub, A_eq, b_eq)`` over ``x``, ``z``, ``u``, ``e``, ``y``."""
    n, n_v = len(problem.jobs), len(problem.vehicles)
    n_z, n_u, n_y = len(legs.to_job), len(starts.job), len(cells.job)
    job_arr = np.asarray(cells.job, dtype=np.int64)
    veh_arr = np.asarray(cells.vehicle, dtype=np.int64)
    bucket_arr = np.asarray(cells.bucket, dtype=np.int64)
    # e[j, v]: the part of j's way in not placed in time, done by vehicle v
    pairs = np.unique(job_arr * n_v + veh_arr)
    e_job, e_veh = pairs // n_v, pairs % n_v
    n_e = len(pairs)
    x_index = np.arange(n)
    z_index = n + np.arange(n_z)
    u_index = n + n_z + np.arange(n_u)
    e_index = n + n_z + n_u + np.arange(n_e)
    y_index = n + n_z + n_u + n_e + np.arange(n_y)
    eq, ub = _Rows(), _Rows()
    ones = np.ones
    # work in time: sum_y - service x_j - sum_{a into j} timed_a z_a = 0
    service = np.array([job.service_s for job in problem.jobs], dtype=float)
    eq.add([(job_arr, y_index, ones(n_y)), (x_index, x_index, -service),
            (legs.to_job, z_index, -legs.timed_s)], [0.0] * n)
    # the rest of the way in: sum_v e[j,v] - sum_{a into j} (charge_a - timed_a) z_a = 0
    eq.add([(e_job, e_index, ones(n_e)), (legs.to_job, z_index, legs.timed_s - legs.charge_s)],
           [0.0] * n)
    # one way in: sum_{a into j} z_a - x_j = 0; a start bin: sum_b u[j,b] - x_j = 0
    eq.add([(legs.to_job, z_index, ones(n_z)), (x_index, x_index, -ones(n))], [0.0] * n)
    eq.add([(starts.job, u_index, ones(n_u)), (x_index, x_index, -ones(n))], [0.0] * n)
    # links: x_first - x_second = 0
    firsts = np.array([link.first for link in problem.links], dtype=np.int64)
    seconds = np.array([link.second for link in problem.links], dtype=np.int64)
    pairs_at = np.arange(len(problem.links))
    eq.add([(pairs_at, firsts, ones(len(firsts))), (pairs_at, seconds, -ones(len(seconds)))],
           [0.0] * len(problem.links))
    # at most one way out of a job (sum_{a out of i} z_a - x_i <= 0), and of a start (<= 1)
    out = legs.from_job >= 0
    ub.add([(legs.from_job[out], z_index[out], ones(int(out.sum()))),
            (x_index, x_index, -ones(n))], [0.0] * n)
    leaves = legs.from_start >= 0
    ub.add([(legs.from_start[leaves], z_index[leaves], ones(int(leaves.sum())))], [1.0] * n_v)
    _when_rows(ub, problem, cells, legs, starts, bucket_s, u_index, y_index)
    # vehicle time per bucket
    vgroups, vgroup_of = np.unique(veh_arr * (cells.n_buckets + 1) + bucket_arr,
                                   return_inverse=True)
    ub.add([(vgroup_of, y_index, ones(n_y))],
           [_overlap(cells.shift[v], k, bucket_s) for v, k in
            (divmod(code, cells.n_buckets + 1) for code in vgroups.tolist())])
    # vehicle time over the day, and per resource
    used = np.unique(veh_arr)
    day_of = {int(v): i for i, v in enumerate(used.tolist())}
    doers = veh_arr.tolist() + e_veh.tolist()
    work_index = np.concatenate([y_index, e_index])
    ub.add([([day_of[v] for v in doers], work_index, ones(n_y + n_e))],
           [_vehicle_capacity_s(problem, v, cells.shift[v]) for v in used.tolist()])
    limited = sorted({problem.vehicles[v].resource for v in used.tolist()}
                     & set(problem.resource_max_work_s))
    if limited:
        resource_of = {r: i for i, r in enumerate(limited)}
        r_rows = np.array([resource_of.get(problem.vehicles[v].resource, -1) for v in doers])
        mask = r_rows >= 0
        ub.add([(r_rows[mask], work_index[mask], ones(int(mask.sum())))],
               [problem.resource_max_work_s[r] for r in limited])
    n_var = n + n_z + n_u + n_e + n_y
    return (*ub.matrix(n_var), *eq.matrix(n_var))


def _when_rows(ub: _Rows, problem: Problem, cells: _Cells, legs: _Arcs, starts: _Starts,
               bucket_s: int, u_index: np.ndarray, y_index: np.ndarray) -> None:
    """A job's work per bucket, from the bin it starts in.

    In each bucket a job's work over all vehicles is at most what a start in its bin
    can put there (service and the leg before it, so a job is not served by several
    vehicles in parallel) and at least what a start anywhere in the bin must put there
    (service, and the shortest leg in; the overlap of a fixed-length interval with a
    bucket is concave in its start, so the least is at one end of the bin).
    """
    key = np.asarray(cells.job, dtype=np.int64) * (cells.n_buckets + 1) + np.asarray(
        cells.bucket, dtype=np.int64)
    row_of: dict[int, int] = {}
    y_rows = np.array([row_of.setdefault(code, len(row_of)) for code in key.tolist()],
                      dtype=np.int64)
    hi: tuple[list[int], list[int], list[float]] = ([], [], [])
    lo: tuple[list[int], list[int], list[float]] = ([], [], [])
    for b, j in enumerate(starts.job.tolist()):
        service_s = problem.jobs[j].service_s
        first, last = int(starts.first_s[b]), int(starts.last_s[b])
        reach = (first - int(legs.cap_s[j]), last + service_s)
        least = int(legs.least_s[j])
        for k in range(max(0, reach[0]) // bucket_s, (reach[1] - 1) // bucket_s + 1):
            row = row_of.setdefault(j * (cells.n_buckets + 1) + k, len(row_of))
            most = _overlap(reach, k, bucket_s)
            must = min(_overlap((first - least, first + service_s), k, bucket_s),
                       _overlap((last - least, last + service_s), k, bucket_s))
            for into, value in ((hi, -most), (lo, must)):
                if value:
                    into[0].append(row)
                    into[1].append(int(u_index[b]))
                    into[2].append(float(value))
    n_rows, n_y = len(row_of), len(y_index)
    ub.add([(y_rows, y_index, np.ones(n_y)), hi], [0.0] * n_rows)  # sum_v y - most u <= 0
    ub.add([(y_rows, y_index, -np.ones(n_y)), lo], [0.0] * n_rows)  # must u - sum_v y <= 0


@dataclass
class _Cells:
    """The (job, vehicle, bucket) triples that may carry work."""

    job: list[int]
    vehicle: list[int]
    bucket: list[int]
    n_buckets: int
    shift: dict[int, tuple[int, int]]
    jobs_served: set[int]


def _job_spans(problem: Problem, cap_s: np.ndarray) -> list[tuple[int, int]]:
    """Per job, the interval its inbound leg and service must lie in."""
    return [(job.tw_start_s - int(cap_s[j]),
             job.tw_end_s + job.max_lateness_s + job.service_s)
            for j, job in enumerate(problem.jobs)]


def _cells(problem: Problem, able: np.ndarray, spans: list[tuple[int, int]],
           bucket_s: int) -> _Cells:
    """Every (job, vehicle, bucket) where a feasible solution could put the job's work."""
    overtime_s = problem.weights.overtime_allowed_s
    horizon = max([sp[1] for sp in spans] + [v.shift_end_s + overtime_s
                                              for v in problem.vehicles] + [0])
    n_buckets = horizon // bucket_s + 1
    cells = _Cells([], [], [], n_buckets, {}, set())
    for v, veh in enumerate(problem.vehicles):
        end_s = veh.shift_end_s + overtime_s
        cells.shift[v] = (veh.shift_start_s, end_s)
        for j in np.flatnonzero(able[:, v]).tolist():
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
