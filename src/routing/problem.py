"""Solver-neutral vehicle-routing problem with time windows, skills and synchronised jobs."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from ..errors import InputError

#: Sentinel for "no limit" on integer second quantities.
NO_LIMIT_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Break:
    """A break a vehicle must take inside its shift.

    Parameters
    ----------
    earliest_s, latest_s : int
        Window for the start of the break, seconds since midnight.
    duration_s : int
        Length of the break in seconds.
    """

    earliest_s: int
    latest_s: int
    duration_s: int


@dataclass(frozen=True)
class Job:
    """One stop to serve.

    Parameters
    ----------
    id : str
        Caller's identifier, carried through to the solution.
    location : int
        Row/column of the travel matrices.
    service_s : int
        Time on site in seconds.
    tw_start_s, tw_end_s : int
        Window for the *start* of service, seconds since midnight. Hard unless
        ``max_lateness_s`` > 0, in which case service may start up to that many
        seconds after ``tw_end_s`` at the lateness cost of :class:`Weights`.
    skills : frozenset of str
        Attributes every serving vehicle must have (all of them).
    forbidden_resources : frozenset of str
        Resources (people) that must not serve this job.
    preferred_resources : frozenset of str
        Resources whose serving is rewarded (continuity); soft.
    drop_penalty : int or None
        Cost of leaving the job unassigned; ``None`` makes it mandatory.
    max_lateness_s : int
        Soft-window extension in seconds; 0 means the window is hard.
    demand : int
        Load taken by the job (benchmarks with vehicle capacity; 0 in home care).
    """

    id: str
    location: int
    service_s: int
    tw_start_s: int
    tw_end_s: int
    skills: frozenset[str] = frozenset()
    forbidden_resources: frozenset[str] = frozenset()
    preferred_resources: frozenset[str] = frozenset()
    drop_penalty: int | None = 1_000_000
    max_lateness_s: int = 0
    demand: int = 0


@dataclass(frozen=True)
class Vehicle:
    """One shift of one resource (a person): a route from start to end location.

    Parameters
    ----------
    id : str
        Caller's identifier (e.g. ``"W001#1"`` for a worker's first shift).
    resource : str
        The person. Vehicles sharing a resource are that person's split shifts:
        they must not overlap in time and a synchronised pair needs two resources.
    start_location, end_location : int
        Matrix indices of the route's ends (e.g. the worker's home).
    shift_start_s, shift_end_s : int
        The route leaves no earlier than ``shift_start_s`` and is back no later
        than ``shift_end_s``, seconds since midnight.
    profile : str
        Key of the travel matrices this vehicle uses (e.g. ``"drive"``).
    skills : frozenset of str
        Attributes this vehicle has.
    breaks : tuple of Break
        Breaks to schedule inside the shift.
    max_work_s : int or None
        Upper bound on the route's duration (leave home to return), seconds.
    fixed_cost : int
        Cost of using this vehicle at all.
    capacity : int or None
        Load limit over the route's job demands; ``None`` means unlimited.
    """

    id: str
    resource: str
    start_location: int
    end_location: int
    shift_start_s: int
    shift_end_s: int
    profile: str = "drive"
    skills: frozenset[str] = frozenset()
    breaks: tuple[Break, ...] = ()
    max_work_s: int | None = None
    fixed_cost: int = 0
    capacity: int | None = None


@dataclass(frozen=True)
class Link:
    """A synchronisation between two jobs (e.g. a double-up visit).

    ``start(second) - start(first)`` must lie in ``[min_gap_s, max_gap_s]``, both
    jobs are served or neither is, and by vehicles of different resources.
    A double-up visit is ``min_gap_s = max_gap_s = 0``.
    """

    first: int
    second: int
    min_gap_s: int = 0
    max_gap_s: int = 0


@dataclass(frozen=True)
class Weights:
    """Objective weights, all integer costs per unit stated in the name.

    Parameters
    ----------
    travel_s : int
        Cost per second of travel (travel is paid time). Default 1.
    distance_m : int
        Cost per metre driven (mileage). Default 0.
    lateness_s : int
        Cost per second a soft-window job starts after its window. Default 10.
    max_lateness_s : int
        Cost per second of the single largest lateness. Default 0.
    non_preferred : int
        Cost of serving a job that has preferred resources by a resource not among
        them (continuity of carer). Default 600 (ten minutes of travel).
    span_s : int
        Cost per second of the longest route (workload balance). Default 0.
    drop_critical, drop_high, drop_normal : int
        Default drop penalties by priority, for callers that use priorities.
    overtime_s : int
        Cost per second a route comes back after its shift's end. Default 0: the end is
        hard, as it always was. When positive, a route may end up to
        ``max_overtime_s`` seconds late.
    max_overtime_s : int
        The most overtime, in seconds past the shift's end, that any route may work
        when ``overtime_s`` prices it (a limit, not a cost). Default 0.
    waiting_s : int
        Cost per second of idle time between arriving at a visit and starting it
        (waiting for its window to open or for a partner). Default 0: free.
    """

    travel_s: int = 1
    distance_m: int = 0
    lateness_s: int = 10
    max_lateness_s: int = 0
    non_preferred: int = 600
    span_s: int = 0
    drop_critical: int = 50_000_000
    drop_high: int = 5_000_000
    drop_normal: int = 1_000_000
    overtime_s: int = 0
    max_overtime_s: int = 0
    waiting_s: int = 0

    @property
    def overtime_allowed_s(self) -> int:
        """Seconds a route may end after its shift: ``max_overtime_s`` when priced, else 0."""
        return self.max_overtime_s if self.overtime_s else 0

    @classmethod
    def from_toml(cls, path: str | Path) -> Weights:
        """Read weights from the ``[weights]`` table of a TOML file (or its top level).

        Unknown keys and non-integer values are input errors naming the file and key.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("file not found", file=path.name) from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", file=path.name) from None
        table = data.get("weights", data)
        return cls.from_mapping(table, source=path.name)

    @classmethod
    def from_mapping(cls, table: Mapping[str, object], *, source: str = "weights") -> Weights:
        """Build weights from a mapping, rejecting unknown keys and non-integers."""
        known = {f.name for f in fields(cls)}
        values = {}
        for key, value in table.items():
            if key not in known:
                raise InputError(f"unknown weight; expected one of {sorted(known)}",
                                 file=source, field=key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"weight must be a non-negative integer, got {value!r}",
                                 file=source, field=key)
            values[key] = value
        return cls(**values)


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search.

    Parameters
    ----------
    time_limit_s : float
        Wall-clock limit for the search. Default 10.
    solution_limit : int or None
        Stop after this many improving solutions (OR-Tools) or iterations (PyVRP, each
        of its searches); makes runs repeatable.
    seed : int
        Seed for every random choice the engine makes. Default 0.
    first_solution : str
        Name of the first-solution strategy (adapter-specific, e.g. ``"auto"``).
    local_search : str
        Metaheuristic name (e.g. ``"guided_local_search"``). Default ``"auto"``: iterated
        local search (ruin and recreate) without links, guided local search with them.
    log : bool
        Let the solver print its search log.
    workers : int
        Processes searching at once with different settings; the best solution is
        kept. Default 1 (the machine is shared); 2 uses both cores of a 2-core machine.
        OR-Tools only: PyVRP searches in one process.
    """

    time_limit_s: float = 10.0
    solution_limit: int | None = None
    seed: int = 0
    first_solution: str = "auto"
    local_search: str = "auto"
    log: bool = False
    workers: int = 1


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.int64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Problem:
    """A complete routing instance.

    Parameters
    ----------
    jobs : tuple of Job
    vehicles : tuple of Vehicle
    duration_s : mapping of str to ndarray
        Travel time in seconds per profile, square int matrices indexed by location.
    distance_m : mapping of str to ndarray
        Travel distance in metres per profile, same shape.
    links : tuple of Link
        Synchronisations between jobs.
    resource_max_work_s : mapping of str to int
        Upper bound on the summed route durations of all vehicles of a resource.
    weights : Weights
    """

    jobs: tuple[Job, ...]
    vehicles: tuple[Vehicle, ...]
    duration_s: Mapping[str, np.ndarray]
    distance_m: Mapping[str, np.ndarray]
    links: tuple[Link, ...] = ()
    resource_max_work_s: Mapping[str, int] = field(default_factory=dict)
    weights: Weights = Weights()

    def __post_init__(self) -> None:
        durations = {k: _readonly(v) for k, v in self.duration_s.items()}
        distances = {k: _readonly(v) for k, v in self.distance_m.items()}
        object.__setattr__(self, "duration_s", durations)
        object.__setattr__(self, "distance_m", distances)
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "links", tuple(self.links))
        self.validate()

    @property
    def n_locations(self) -> int:
        """Number of rows (and columns) of every matrix."""
        return next(iter(self.duration_s.values())).shape[0] if self.duration_s else 0

    def validate(self) -> None:
        """Raise ValueError when the instance is internally inconsistent."""
        if set(self.duration_s) != set(self.distance_m):
            raise ValueError("duration_s and distance_m must have the same profiles")
        n = self.n_locations
        for name, matrix in [*self.duration_s.items(), *self.distance_m.items()]:
            if matrix.shape != (n, n):
                raise ValueError(f"matrix {name!r} has shape {matrix.shape}, expected {(n, n)}")
            if (matrix < 0).any():
                raise ValueError(f"matrix {name!r} has negative entries")
        ids = set()
        for job in self.jobs:
            if job.id in ids:
                raise ValueError(f"duplicate job id {job.id!r}")
            ids.add(job.id)
            if not 0 <= job.location < n:
                raise ValueError(f"job {job.id!r} location {job.location} outside 0..{n - 1}")
            if job.tw_end_s < job.tw_start_s or job.service_s < 0:
                raise ValueError(f"job {job.id!r} has an empty window or negative service")
        vids = set()
        for vehicle in self.vehicles:
            if vehicle.id in vids:
                raise ValueError(f"duplicate vehicle id {vehicle.id!r}")
            vids.add(vehicle.id)
            if vehicle.profile not in self.duration_s:
                raise ValueError(f"vehicle {vehicle.id!r} profile {vehicle.profile!r} has no matrix")
            for loc in (vehicle.start_location, vehicle.end_location):
                if not 0 <= loc < n:
                    raise ValueError(f"vehicle {vehicle.id!r} location {loc} outside 0..{n - 1}")
            if vehicle.shift_end_s < vehicle.shift_start_s:
                raise ValueError(f"vehicle {vehicle.id!r} shift ends before it starts")
        for link in self.links:
            for j in (link.first, link.second):
                if not 0 <= j < len(self.jobs):
                    raise ValueError(f"link refers to job index {j} outside the problem")
            if link.first == link.second or link.min_gap_s > link.max_gap_s:
                raise ValueError(f"invalid link {link}")

    def with_weights(self, weights: Weights) -> Problem:
        """Return a copy with other objective weights."""
        return replace(self, weights=weights)

    def eligible_vehicles(self, job_index: int) -> list[int]:
        """Vehicles that may serve a job on skills and resource rules alone."""
        job = self.jobs[job_index]
        return [v for v, veh in enumerate(self.vehicles)
                if job.skills <= veh.skills and veh.resource not in job.forbidden_resources]


@dataclass(frozen=True)
class Stop:
    """A served job in a route, all times in seconds since midnight."""

    job: int
    arrival_s: int
    start_s: int
    end_s: int
    travel_s: int
    distance_m: int


@dataclass(frozen=True)
class BreakTaken:
    """A break as scheduled: start and duration in seconds."""

    start_s: int
    duration_s: int


@dataclass(frozen=True)
class Route:
    """One vehicle's route; an unused vehicle has no stops.

    ``start_s`` is when it leaves its start location, ``end_s`` when it is back;
    ``return_travel_s`` and ``return_distance_m`` are the leg from the last stop home;
    ``overtime_s`` is how many seconds ``end_s`` is after the vehicle's shift end (0
    unless :attr:`Weights.overtime_s` allows overtime).
    """

    vehicle: int
    stops: tuple[Stop, ...]
    start_s: int
    end_s: int
    return_travel_s: int
    return_distance_m: int
    breaks: tuple[BreakTaken, ...] = ()
    overtime_s: int = 0

    @property
    def waiting_s(self) -> int:
        """Idle seconds between arriving at each visit and starting it, summed."""
        return sum(s.start_s - s.arrival_s for s in self.stops)

    @property
    def travel_s(self) -> int:
        """Total travel in seconds including the way home."""
        return sum(s.travel_s for s in self.stops) + self.return_travel_s

    @property
    def distance_m(self) -> int:
        """Total distance in metres including the way home."""
        return sum(s.distance_m for s in self.stops) + self.return_distance_m


@dataclass(frozen=True)
class Unassigned:
    """A job left out, with a machine-readable cause and a human detail.

    ``cause`` is one of ``"no_eligible_vehicle"``, ``"no_shift_covers_window"``,
    ``"no_partner"``, ``"unreachable"``, ``"capacity"``.
    """

    job: int
    cause: str
    detail: str


@dataclass(frozen=True)
class Solution:
    """The routes, the jobs left out and what the search did."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: int
    wall_s: float
    first_solution_s: float | None
    status: str
    params: SolveParams
    #: Which engine produced the routes: ``"search"`` (OR-Tools' search), ``"pyvrp"``
    #: (PyVRP, for problems it expresses exactly), ``"improve"`` (OR-Tools' result
    #: improved by the pinned-pair loop of :mod:`.improve`) or ``"insertion"`` (no
    #: search found anything better than pair-aware insertion alone, which then stands).
    source: str = "search"

    def assigned_jobs(self) -> set[int]:
        """Indices of all jobs served."""
        return {s.job for r in self.routes for s in r.stops}
