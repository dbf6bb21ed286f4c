"""Unplaced care by area, service, provider and time band; capacity against demand; idle time."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..geo.travel import haversine_m
from .model import Day, Visit
from .rota import Rota

#: Named time bands of the care day by the start of a visit's window: (name, start_s, end_s).
TIME_BANDS: tuple[tuple[str, int, int], ...] = (
    ("morning", 0, 11 * 3600),
    ("lunch", 11 * 3600, 14 * 3600),
    ("tea", 14 * 3600, 18 * 3600),
    ("bed", 18 * 3600, 24 * 3600 + 1),
)
#: Services whose unplaced visits go to the front of the priority queue (with critical visits).
URGENT_SERVICES = frozenset({"hospital_discharge"})
DIMENSIONS = ("area", "service", "provider", "time_band")
UNASSIGNED = "unassigned"



def time_band(seconds: int) -> str:
    """The named band (:data:`TIME_BANDS`) a time of day falls in."""
    for name, start, end in TIME_BANDS:
        if start <= seconds < end:
            return name
    return TIME_BANDS[-1][0]


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.2f}"


# ---- unplaced care ------------------------------------------------------------------------

@dataclass(frozen=True)
class UnplacedGroup:
    """Unplaced care under one key of one dimension.

    ``carer_s`` counts a double-up twice. A package is one client's visits of one
    service; ``packages`` counts those with an unplaced visit under this key and
    ``package_carer_s`` all their visits' carer-seconds (placed or not).
    """

    dimension: str
    key: str
    visits: int
    carer_s: int
    packages: int
    package_carer_s: int


@dataclass(frozen=True)
class QueuedVisit:
    """An unplaced visit in the priority queue, with why it stands where it does."""

    rank: int
    visit_id: str
    client_id: str
    provider_id: str | None
    service: str
    area: str
    priority: str
    window_start_s: int
    window_end_s: int
    service_s: int
    carers: int
    why_first: str
    reason: str


@dataclass(frozen=True)
class UnplacedBreakdown:
    """Unplaced visits, hours and packages by area, service, provider and time band.

    Parameters
    ----------
    visits, packages : int
        All visits and packages of the day.
    unplaced_visits, unplaced_carer_s, unplaced_packages : int
        Totals; a package counts as unplaced when any of its visits is.
    groups : tuple of UnplacedGroup
        One per (dimension, key) with unplaced care, dimensions in :data:`DIMENSIONS` order.
    queue : tuple of QueuedVisit
        Every unplaced visit, hospital-discharge and critical visits first.
    """

    visits: int
    packages: int
    unplaced_visits: int
    unplaced_carer_s: int
    unplaced_packages: int
    groups: tuple[UnplacedGroup, ...]
    queue: tuple[QueuedVisit, ...]

    def by(self, dimension: str) -> tuple[UnplacedGroup, ...]:
        """The groups of one dimension (``area``, ``service``, ``provider``, ``time_band``)."""
        return tuple(g for g in self.groups if g.dimension == dimension)


def _queue_tier(visit: Visit) -> tuple[int, str]:
    if visit.service in URGENT_SERVICES and visit.priority == "critical":
        return 0, "hospital discharge, critical"
    if visit.service in URGENT_SERVICES:
        return 0, "hospital discharge"
    if visit.priority == "critical":
        return 0, "critical"
    if visit.priority == "high":
        return 1, "high priority"
    return 2, "normal priority"


def unplaced_breakdown(day: Day, rota: Rota) -> UnplacedBreakdown:
    """Break unplaced care down as councils report it, and queue it by urgency.

    Parameters
    ----------
    day : Day
        The day that was planned (after any merge).
    rota : Rota
        Its outcomes; only ``"unplaced"`` ones count (``"merged"`` visits are accounted
        for by their merge, not unplaced).

    Returns
    -------
    UnplacedBreakdown
        Hours are carer-hours (a double-up counts twice). The time band is that of the
        window start (:data:`TIME_BANDS`). The provider key is the visit's provider, or
        ``"unassigned"`` when no provider has taken it. A package (one client's visits
        of one service) counts as unplaced when any of its visits is, under every key
        one of its unplaced visits has. The queue puts hospital-discharge and critical
        visits first, then high, then normal priority, each by window start.
    """
    unplaced_ids = {o.visit_id for o in rota.outcomes if o.status == "unplaced"}
    reasons = {o.visit_id: o.reason or "" for o in rota.outcomes if o.status == "unplaced"}
    package_s: dict[tuple[str, str], int] = defaultdict(int)
    for visit in day.visits:
        package_s[(visit.client_id, visit.service)] += visit.service_s * visit.carers
    unplaced = [v for v in day.visits if v.visit_id in unplaced_ids]

    def keys(visit: Visit) -> dict[str, str]:
        return {"area": day.client_by_id[visit.client_id].area, "service": visit.service,
                "provider": visit.provider_id or UNASSIGNED,
                "time_band": time_band(visit.window_start_s)}

    visits: Counter = Counter()
    carer_s: Counter = Counter()
    packages: dict[tuple[str, str], set] = defaultdict(set)
    for visit in unplaced:
        for dimension, key in keys(visit).items():
            visits[(dimension, key)] += 1
            carer_s[(dimension, key)] += visit.service_s * visit.carers
            packages[(dimension, key)].add((visit.client_id, visit.service))
    band_order = {name: i for i, (name, _, _) in enumerate(TIME_BANDS)}
    groups = []
    for dimension in DIMENSIONS:
        found = [k for d, k in visits if d == dimension]
        found.sort(key=lambda k: (band_order.get(k, 0), k) if dimension == "time_band" else
                   (-carer_s[(dimension, k)], k))
        for key in found:
            pkgs = packages[(dimension, key)]
            groups.append(UnplacedGroup(dimension, key, visits[(dimension, key)],
                                        carer_s[(dimension, key)], len(pkgs),
                                        sum(package_s[p] for p in pkgs)))

    ranked = sorted(unplaced, key=lambda v: (_queue_tier(v)[0], v.window_start_s,
                                             v.window_end_s, v.visit_id))
    queue = tuple(
        QueuedVisit(rank=i, visit_id=v.visit_id, client_id=v.client_id,
                    provider_id=v.provider_id, service=v.service,
                    area=day.client_by_id[v.client_id].area, priority=v.priority,
                    window_start_s=v.window_start_s, window_end_s=v.window_end_s,
                    service_s=v.service_s, carers=v.carers, why_first=_queue_tier(v)[1],
                    reason=reasons[v.visit_id])
        for i, v in enumerate(ranked, start=1))
    return UnplacedBreakdown(
        visits=len(day.visits), packages=len(package_s), unplaced_visits=len(unplaced),
        unplaced_carer_s=sum(v.service_s * v.carers for v in unplaced),
        unplaced_packages=len({(v.client_id, v.service) for v in unplaced}),
        groups=tuple(groups), queue=queue)


# ---- capacity -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CapacityBand:
    """Demand against rostered capacity in one area and time band (seconds since midnight).

    ``demand_carer_s`` counts a double-up twice; ``rostered_s`` is worker-seconds on shift.
    """

    area: str
    start_s: int
    end_s: int
    demand_carer_s: int
    rostered_s: int

    @property
    def balance_s(self) -> int:
        """Rostered minus demanded seconds; negative when capacity is short."""
        return self.rostered_s - self.demand_carer_s

    @property
    def short(self) -> bool:
        """Demand exceeds rostered capacity."""
        return self.demand_carer_s > self.rostered_s


@dataclass(frozen=True)
class IdleTime:
    """A stretch of a worker's shift with no travel, visit or break: capacity to release."""

    worker_id: str
    provider_id: str
    area: str
    shift: int
    start_s: int
    end_s: int

    @property
    def length_s(self) -> int:
        """Length of the idle stretch in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class CapacityReport:
    """Capacity exceptions of a planned day.

    Parameters
    ----------
    band_s : int
        Band length in seconds.
    bands : tuple of CapacityBand
        Every area and band with demand or capacity, by area then time.
    idle : tuple of IdleTime
        Idle stretches of at least ``min_idle_s``, by worker then time.
    worker_areas : mapping of str to str
        The area each worker's rostered time counts in.
    worker_area_basis : mapping of str to str
        Why: ``"most visits"`` or ``"nearest client"``.
    min_idle_s : int
        Shortest idle stretch reported.
    """

    band_s: int
    bands: tuple[CapacityBand, ...]
    idle: tuple[IdleTime, ...]
    worker_areas: Mapping[str, str] = field(default_factory=dict)
    worker_area_basis: Mapping[str, str] = field(default_factory=dict)
    min_idle_s: int = 3600

    @property
    def exceptions(self) -> tuple[CapacityBand, ...]:
        """Bands where demand exceeds rostered capacity."""
        return tuple(b for b in self.bands if b.short)


def worker_areas(day: Day, rota: Rota) -> tuple[dict[str, str], dict[str, str]]:
    """The area each worker's capacity counts in, and the basis for it.

    A worker belongs to the area of most of the visits they make in the rota (ties go
    to the area whose client lies nearest the worker's home, then alphabetically); a
    worker with no visits belongs to the area of the client nearest their home.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    for sh in rota.shifts:
        for stop in sh.stops:
            client = day.client_by_id.get(stop.client_id)
            if client is not None:
                counts[sh.worker_id][client.area] += 1
    areas, basis = {}, {}
    lats = np.array([c.lat for c in day.clients], dtype=float)
    lons = np.array([c.lon for c in day.clients], dtype=float)
    client_areas = [c.area for c in day.clients]
    for worker in day.workers:
        distance: dict[str, float] = {}
        for area, d in zip(client_areas, haversine_m(worker.home_lat, worker.home_lon,
                                                     lats, lons).tolist()):
            distance[area] = min(d, distance.get(area, d))
        mine = counts.get(worker.worker_id)
        if mine:
            top = max(mine.values())
            tied = sorted(a for a, n in mine.items() if n == top)
            areas[worker.worker_id] = min(tied, key=lambda a: (distance.get(a, 0.0), a))
            basis[worker.worker_id] = "most visits"
        elif distance:
            areas[worker.worker_id] = min(distance, key=lambda a: (distance[a], a))
            basis[worker.worker_id] = "nearest client"
        else:
            areas[worker.worker_id] = "Unknown"
            basis[worker.worker_id] = "no clients"
    return areas, basis


def _spread(into: dict[int, int], start_s: int, end_s: int, band_s: int, weight: int) -> None:
    """Add ``weight`` x the seconds of [start, end) that fall in each band."""
    band = start_s // band_s
    while band * band_s < end_s:
        lo, hi = max(start_s, band * band_s), min(end_s, (band + 1) * band_s)
        if hi > lo:
            into[band] = into.get(band, 0) + (hi - lo) * weight
        band += 1


def _idle_gaps(start_s: int, end_s: int, busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
    gaps, cursor = [], start_s
    for lo, hi in sorted(busy):
        lo, hi = max(lo, start_s), min(hi, end_s)
        if lo > cursor:
            gaps.append((cursor, lo))
        cursor = max(cursor, hi)
    if end_s > cursor:
        gaps.append((cursor, end_s))
    return gaps


def capacity_exceptions(day: Day, rota: Rota, *, band_s: int = 1800,
                        min_idle_s: int = 3600) -> CapacityReport:
    """Compare demanded carer-time with rostered worker-time per area and band; find idle time.

    Parameters
    ----------
    day : Day
        The day that was planned.
    rota : Rota
        The plan, used for the workers' areas and their idle time.
    band_s : int, default 1800
        Band length in seconds (30 min).
    min_idle_s : int, default 3600
        Report idle stretches of at least this many contiguous seconds (60 min).

    Returns
    -------
    CapacityReport
        Demand: every visit of the day, placed or not, as ``carers`` x its service time,
        spread over ``[window start, window start + duration)`` (anchored at the window
        start: the earliest the care is wanted, which is when a short band hurts).
        Capacity: every rostered shift of every worker, counted whole (travel included)
        in the worker's area (see :func:`worker_areas`). Idle: the parts of each rostered
        shift with no travel leg, visit or break in the rota; a shift with no visits is
        idle from start to end.
    """
    if band_s <= 0:
        raise ValueError(f"band_s must be > 0 seconds, got {band_s}")
    areas, basis = worker_areas(day, rota)
    demand: dict[str, dict[int, int]] = defaultdict(dict)
    supply: dict[str, dict[int, int]] = defaultdict(dict)
    for visit in day.visits:
        area = day.client_by_id[visit.client_id].area
        _spread(demand[area], visit.window_start_s, visit.window_start_s + visit.service_s,
                band_s, visit.carers)
    for worker in day.workers:
        for shift in worker.shifts:
            _spread(supply[areas[worker.worker_id]], shift.start_s, shift.end_s, band_s, 1)
    bands = []
    for area in sorted(set(demand) | set(supply)):
        for band in sorted(set(demand[area]) | set(supply[area])):
            bands.append(CapacityBand(area, band * band_s, (band + 1) * band_s,
                                      demand[area].get(band, 0), supply[area].get(band, 0)))

    planned = {(sh.worker_id, sh.shift): sh for sh in rota.shifts}
    idle = []
    for worker in day.workers:
        for number, shift in enumerate(worker.shifts, start=1):
            sh = planned.get((worker.worker_id, number))
            busy: list[tuple[int, int]] = []
            if sh is not None and sh.stops:
                for stop in sh.stops:
                    busy.append((stop.arrival_s - stop.travel_s, stop.arrival_s))
                    busy.append((stop.start_s, stop.end_s))
                busy.extend((b.start_s, b.start_s + b.duration_s) for b in sh.breaks)
                busy.append((sh.return_s - sh.return_travel_s, sh.return_s))
            for lo, hi in _idle_gaps(shift.start_s, shift.end_s, busy):
                if hi - lo >= min_idle_s:
                    idle.append(IdleTime(worker.worker_id, worker.provider_id,
                                         areas[worker.worker_id], number, lo, hi))
    return CapacityReport(band_s=band_s, bands=tuple(bands), idle=tuple(idle),
                          worker_areas=areas, worker_area_basis=basis, min_idle_s=min_idle_s)
