"""Care patches: group small areas into contiguous patches balanced by demand, and measure them."""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from ...errors import InputError
from ...geo import Area, assign_areas, haversine_m, projected_crs
from ...geo.regions import region as geo_region
from ..model import Day
from ..outputs import write_text
from ..rota import Rota
from .pricing import PatchFigures

#: Settlements of at least this many residents count as towns (the ONS rural-urban
#: classification's threshold for an urban settlement).
TOWN_MIN_POPULATION = 10_000
#: A client within this many metres of a town centre lives in the town.
TOWN_RADIUS_M = 2_500


# ---- geometry helpers -------------------------------------------------------------------------

def _transformer(areas: Sequence[Area]):
    import pyproj

    bounds = np.array([a.geometry.bounds for a in areas])
    lons = np.array([bounds[:, 0].min(), bounds[:, 2].max()])
    lats = np.array([bounds[:, 1].min(), bounds[:, 3].max()])
    crs = projected_crs(lons, lats)
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(geometries, transformer):
    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return [shapely.transform(g, move) for g in geometries]


def _check_names(areas: Sequence[Area]) -> None:
    seen: set[str] = set()
    for number, area in enumerate(areas, start=1):
        if area.name in seen:
            raise InputError(f"area name {area.name!r} appears twice; area names must be unique "
                             "(choose another name_field)", row=number, field="name")
        seen.add(area.name)


# ---- which area a point is in ----------------------------------------------------------------

def locate_points(lats, lons, areas: Sequence[Area]) -> list[str]:
    """The area each point lies in; a point outside every area gets the nearest one.

    Parameters
    ----------
    lats, lons : array-like of float
        Degrees (WGS84).
    areas : sequence of Area

    Returns
    -------
    list of str
        Area names, one per point (nearest by distance in projected metres when the
        point is in no area, e.g. a home just over the county border).
    """
    areas = tuple(areas)
    if not areas:
        raise InputError("no areas given", field="areas")
    lats = np.asarray(lats, dtype=float).reshape(-1)
    lons = np.asarray(lons, dtype=float).reshape(-1)
    found = assign_areas(lats, lons, areas)
    outside = [i for i, name in enumerate(found) if name is None]
    names = [name or "" for name in found]  # the points outside are named below
    if outside:
        transformer = _transformer(areas)
        shapes = _project([a.geometry for a in areas], transformer)
        tree = shapely.STRtree(shapes)
        x, y = transformer.transform(lons[outside], lats[outside])
        nearest = tree.query_nearest(shapely.points(x, y), all_matches=False)[1]
        for i, k in zip(outside, nearest.tolist()):
            names[i] = areas[k].name
    return names


def client_areas(day: Day, areas: Sequence[Area]) -> dict[str, str]:
    """Map every client id to the area (or patch) their home is in, nearest if outside all."""
    names = locate_points([c.lat for c in day.clients], [c.lon for c in day.clients], areas)
    return {c.client_id: name for c, name in zip(day.clients, names)}


def area_demand(day: Day, areas: Sequence[Area]) -> dict[str, int]:
    """Carer-seconds of care asked for in each area (a double-up counts twice); every area listed."""
    where = client_areas(day, areas)
    demand = {a.name: 0 for a in areas}
    for visit in day.visits:
        demand[where[visit.client_id]] += visit.service_s * visit.carers
    return demand


# ---- adjacency --------------------------------------------------------------------------------

def area_adjacency(areas: Sequence[Area], *, snap_m: float = 1.0,
                   min_shared_m: float = 10.0) -> dict[str, frozenset[str]]:
    """Which areas share a border, as a graph from area name to neighbours' names.

    Two areas are neighbours when they share at least ``min_shared_m`` metres of
    border (rook contiguity: touching at a corner is not enough). Borders are
    compared after buffering both outlines by ``snap_m`` metres, so tiny gaps and
    overlaps in generalised boundary files do not break contiguity; the shared
    length is estimated as the overlap's area over ``2 * snap_m``.

    When the graph falls into pieces (an island or an exclave), each smaller piece
    is joined to the largest by one bridge between the closest pair of areas, so
    every area can belong to some patch.

    Parameters
    ----------
    areas : sequence of Area
    snap_m : float, default 1.0
        Buffer, metres.
    min_shared_m : float, default 10.0
        Shortest shared border that makes two areas neighbours, metres.
    """
    import networkx as nx

    areas = tuple(areas)
    _check_names(areas)
    shapes = _project([a.geometry for a in areas], _transformer(areas))
    buffered = [s.buffer(snap_m) for s in shapes]
    tree = shapely.STRtree(buffered)
    left, right = tree.query(buffered, predicate="intersects")
    graph = nx.Graph()
    graph.add_nodes_from(range(len(areas)))
    for i, j in zip(left.tolist(), right.tolist()):
        if i < j:
            shared = buffered[i].intersection(buffered[j]).area / (2 * snap_m)
            if shared >= min_shared_m:
                graph.add_edge(i, j)
    pieces = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    main = set(pieces[0])
    for piece in pieces[1:]:
        i, j = min(((i, j) for i in sorted(piece) for j in sorted(main)),
                   key=lambda ij: (shapes[ij[0]].distance(shapes[ij[1]]), ij))
        graph.add_edge(i, j)
        main |= piece
    return {areas[i].name: frozenset(areas[j].name for j in graph.neighbors(i))
            for i in range(len(areas))}


def is_contiguous(members: Iterable[str], adjacency: Mapping[str, Iterable[str]]) -> bool:
    """Whether a set of areas is connected through shared borders (an empty set is not)."""
    members = set(members)
    if not members:
        return False
    start = next(iter(members))
    seen, stack = {start}, [start]
    while stack:
        for other in adjacency[stack.pop()]:
            if other in members and other not in seen:
                seen.add(other)
                stack.append(other)
    return seen == members


# ---- the patch builder ------------------------------------------------------------------------

@dataclass(frozen=True)
class PatchPlan:
    """Areas grouped into patches.

    Parameters
    ----------
    patches : tuple of Area
        Each patch's outline (the union of its areas), named ``"<prefix> 01"`` ...
        numbered from north to south.
    assignment : tuple of (area name, patch name)
        Every input area exactly once, in input order.
    demand_s : tuple of int
        The balanced weight (usually carer-seconds of demand) of each patch, in
        ``patches`` order.
    target_s : int
        The ideal weight of a patch: the total over the number of patches, rounded.
    adjacency : tuple of (area name, tuple of neighbour names)
        The contiguity graph the patches were grown on (see :func:`area_adjacency`).
    moves : int
        Areas the repair pass moved between patches.
    """

    patches: tuple[Area, ...]
    assignment: tuple[tuple[str, str], ...]
    demand_s: tuple[int, ...]
    target_s: int
    adjacency: tuple[tuple[str, tuple[str, ...]], ...]
    moves: int

    @property
    def patch_of(self) -> dict[str, str]:
        """Area name to patch name."""
        return dict(self.assignment)

    def members(self, patch: str) -> tuple[str, ...]:
        """The areas of one patch, in input order."""
        return tuple(a for a, p in self.assignment if p == patch)

    @property
    def imbalance(self) -> float:
        """Largest relative deviation of a patch's weight from the target (0.1 = 10 %)."""
        if self.target_s == 0:
            return 0.0
        return max(abs(d - self.target_s) for d in self.demand_s) / self.target_s


def _partition(weight: np.ndarray, neighbours: list[list[int]], centroids: np.ndarray,
               names: list[str], count: int, first: int, limit: int, by_demand: bool
               ) -> tuple[np.ndarray, int, int]:
    """One run of seeding, growth and repair from a given first seed.

    ``by_demand`` picks each next seed by distance times demand instead of distance alone.

    Returns each area's patch number, the sum of squared deviations (in units of
    ``count * weight``) and the number of repair moves.
    """
    n = len(weight)
    total = int(weight.sum())
    # seeds: the first, then farthest-point sampling on centroids
    seeds = [first]
    nearest = np.linalg.norm(centroids - centroids[first], axis=1)
    # seed where the demand is: an empty rural seed strands its patch far from any load
    eligible = weight > 0 if int((weight > 0).sum()) >= count else np.ones(n, dtype=bool)
    for _ in range(count - 1):
        nearest[seeds] = -1.0
        score = nearest * weight if by_demand else nearest
        seeds.append(int(np.argmax(np.where(eligible, score, -1.0))))
        nearest = np.minimum(nearest, np.linalg.norm(centroids - centroids[seeds[-1]], axis=1))

    # growth: the lightest patch takes its unassigned neighbour nearest its seed
    growth = weight + max(1, total // (10 * n))
    owner = np.full(n, -1, dtype=np.int64)
    load = np.zeros(count, dtype=np.int64)
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(count)]
    for p, s in enumerate(seeds):
        owner[s] = p
        load[p] = growth[s]
    for p, s in enumerate(seeds):
        for m in neighbours[s]:
            heapq.heappush(frontier[p], (float(np.linalg.norm(centroids[m] - centroids[s])), m))
    for _ in range(n - count):
        for p in sorted(range(count), key=lambda p: (load[p], p)):
            while frontier[p] and owner[frontier[p][0][1]] >= 0:
                heapq.heappop(frontier[p])
            if frontier[p]:
                break
        else:  # pragma: no cover - the graph is connected, so some patch can always grow
            raise AssertionError("patch growth stalled on a connected graph")
        _, m = heapq.heappop(frontier[p])
        owner[m] = p
        load[p] += growth[m]
        for k in neighbours[m]:
            if owner[k] < 0:
                dist = float(np.linalg.norm(centroids[k] - centroids[seeds[p]]))
                heapq.heappush(frontier[p], (dist, k))

    # repair: steepest descent on sum of (count * load - total)^2, integers only
    load = np.bincount(owner, weights=weight, minlength=count).astype(np.int64)
    deviation = [int(count * x - total) for x in load]
    members = [set(np.flatnonzero(owner == p).tolist()) for p in range(count)]
    graph = {names[i]: [names[j] for j in neighbours[i]] for i in range(n)}
    moves = 0
    while moves < limit:
        candidates = []
        for a in range(n):
            p = int(owner[a])
            if len(members[p]) == 1:
                continue
            step = count * int(weight[a])
            for q in {int(owner[k]) for k in neighbours[a]} - {p}:
                delta = ((deviation[p] - step) ** 2 + (deviation[q] + step) ** 2
                         - deviation[p] ** 2 - deviation[q] ** 2)
                if delta < 0:
                    candidates.append((delta, a, q))
        for _delta, a, q in sorted(candidates):
            p = int(owner[a])
            if is_contiguous({names[i] for i in members[p] - {a}}, graph):
                members[p].discard(a)
                members[q].add(a)
                owner[a] = q
                step = count * int(weight[a])
                deviation[p] -= step
                deviation[q] += step
                moves += 1
                break
        else:
            break
    return owner, sum(d * d for d in deviation), moves


def build_patches(areas: Sequence[Area], demand_s: Mapping[str, int], count: int, *,
                  prefix: str = "Patch", restarts: int = 8, max_moves: int | None = None,
                  adjacency: Mapping[str, Iterable[str]] | None = None) -> PatchPlan:
    """Group areas (wards, LSOAs, output areas) into ``count`` contiguous patches balanced by demand.

    The algorithm, deterministic for given inputs:

    1. **Graph**: areas are nodes, shared borders are edges (:func:`area_adjacency`).
    2. **Seeds**: a first area, then repeatedly the area with demand whose centroid
       is farthest from every seed chosen so far (or, in the second rule, farthest
       times its demand), so seeds spread out over where the demand is.
    3. **Growth**: the patch with the least weight so far takes the unassigned
       neighbouring area closest to its seed, until every area is taken. For growth
       only, each area weighs its demand plus a tenth of the mean demand per area, so
       areas with no demand still count and patches stay compact.
    4. **Repair**: steepest descent on the sum of squared deviations from the target:
       move one border area from a patch to a neighbouring patch when that lowers the
       sum and leaves the donor contiguous and non-empty; stop when no move helps or
       after ``max_moves``.
    5. **Restarts**: steps 2-4 run from each of the ``restarts`` areas with the most
       demand as first seed, with each of the two seed rules; the most balanced result
       (least sum of squares, ties to the earlier run) is kept.

    Every patch is contiguous in the graph and every area is in exactly one patch.
    Balance is limited by single areas: a patch cannot come closer to its target
    than its areas' sizes allow, so use small areas (LSOAs, output areas) for tight
    balance. :attr:`PatchPlan.imbalance` reports what was achieved; ``docs/scenarios.md``
    gives measured figures.

    Parameters
    ----------
    areas : sequence of Area
        Polygons in WGS84 with unique names.
    demand_s : mapping of area name to int
        Weight to balance, usually carer-seconds of demand (:func:`area_demand`).
        Missing areas weigh 0; with no weight at all, patches balance the number of areas.
    count : int
        Number of patches, from 1 to the number of areas.
    prefix : str, default "Patch"
        Patch names are ``f"{prefix} {k:02d}"``.
    restarts : int, default 8
        First seeds to try (at least 1); each is run with both seed rules.
    max_moves : int, optional
        Cap on repair moves per run; default 20 per area.
    adjacency : mapping, optional
        A precomputed contiguity graph (area name to neighbour names); default
        :func:`area_adjacency` of ``areas``.

    Raises
    ------
    InputError
        Duplicate area names, a weight for an unknown area, a negative weight, or a
        count outside 1..len(areas).
    """
    areas = tuple(areas)
    _check_names(areas)
    names = [a.name for a in areas]
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= len(areas):
        raise InputError(f"number of patches must be between 1 and {len(areas)} (the number of "
                         f"areas), got {count!r}", field="count")
    weight = _weights(names, demand_s)
    graph = adjacency if adjacency is not None else area_adjacency(areas)
    index = {name: i for i, name in enumerate(names)}
    neighbours = [sorted(index[m] for m in graph[n]) for n in names]
    centroids = np.array([[c.x, c.y] for c in (s.centroid for s in _project(
        [a.geometry for a in areas], _transformer(areas)))])
    limit = 20 * len(areas) if max_moves is None else max_moves
    firsts = sorted(range(len(areas)), key=lambda i: (-int(weight[i]), i))[:max(1, restarts)]
    runs = (_partition(weight, neighbours, centroids, names, count, first, limit, by_demand)
            for by_demand in (False, True) for first in firsts)
    owner, _, moves = min(runs, key=lambda run: run[1])  # the first of the most balanced
    return _patch_plan(areas, weight, owner, count, centroids, prefix=prefix, moves=moves,
                       adjacency=tuple((n, tuple(sorted(graph[n]))) for n in names))


def _weights(names: Sequence[str], demand_s: Mapping[str, int]) -> np.ndarray:
    """Each area's weight to balance, checked: demand, or 1 each when there is none at all."""
    known = set(names)
    for name, value in demand_s.items():
        if name not in known:
            raise InputError("demand given for an area that is not in the area file",
                             id=str(name), field="demand_s")
        if value < 0:
            raise InputError(f"demand must not be negative, got {value}", id=str(name),
                             field="demand_s")
    weight = np.array([int(demand_s.get(n, 0)) for n in names], dtype=np.int64)
    if weight.sum() == 0:
        weight = np.ones(len(names), dtype=np.int64)  # nothing to balance: balance area counts
    return weight


def _patch_plan(areas: tuple[Area, ...], weight: np.ndarray, owner: np.ndarray, count: int,
                centroids: np.ndarray, *, prefix: str, moves: int,
                adjacency: tuple[tuple[str, tuple[str, ...]], ...]) -> PatchPlan:
    """The ``count`` patches of a partition (``owner``: each area's patch), named and outlined."""
    members = [np.flatnonzero(owner == p).tolist() for p in range(count)]

    # name patches north to south (100 m bands), then west to east, so names read naturally
    def key(p: int) -> tuple[float, float]:
        pts = centroids[members[p]]
        return (-round(float(pts[:, 1].mean()), -2), float(pts[:, 0].mean()))

    ordered = sorted(range(count), key=key)
    label = {p: f"{prefix} {k:02d}" for k, p in enumerate(ordered, start=1)}
    load = np.bincount(owner, weights=weight, minlength=count).astype(np.int64)
    patches = tuple(Area(label[p], shapely.union_all([areas[i].geometry for i in members[p]]))
                    for p in ordered)
    return PatchPlan(
        patches=patches,
        assignment=tuple((a.name, label[int(owner[i])]) for i, a in enumerate(areas)),
        demand_s=tuple(int(load[p]) for p in ordered),
        target_s=int(round(int(weight.sum()) / count)),
        adjacency=adjacency,
        moves=moves)


# ---- export -----------------------------------------------------------------------------------

def patches_geojson(plan: PatchPlan) -> dict:
    """A GeoJSON FeatureCollection of the patches: ``name``, ``areas``, ``demand_hours``."""
    features = []
    for patch, demand in zip(plan.patches, plan.demand_s):
        features.append({
            "type": "Feature",
            "properties": {"name": patch.name, "areas": list(plan.members(patch.name)),
                           "demand_hours": round(demand / 3600, 2)},
            "geometry": shapely.geometry.mapping(patch.geometry)})
    return {"type": "FeatureCollection", "features": features}


# ---- measuring patches ------------------------------------------------------------------------

def region_towns(region: str, *, min_population: int = TOWN_MIN_POPULATION
                 ) -> tuple[tuple[str, float, float], ...]:
    """Towns of a region, as ``(name, lat, lon)``, with at least ``min_population`` residents.

    ``region`` is a name in :data:`carerounds.geo.regions.REGIONS`; an unknown one is an
    :class:`~carerounds.errors.InputError` listing the known ones.
    """
    towns = geo_region(region).towns
    return tuple((t.name, t.lat, t.lon) for t in towns if t.population >= min_population)


def rural_clients(day: Day, towns: Sequence[tuple[str, float, float]], *,
                  town_radius_m: int = TOWN_RADIUS_M) -> frozenset[str]:
    """Ids of clients living more than ``town_radius_m`` metres from every town centre."""
    if not towns:
        return frozenset(c.client_id for c in day.clients)
    lat = np.array([c.lat for c in day.clients])
    lon = np.array([c.lon for c in day.clients])
    tlat = np.array([t[1] for t in towns])
    tlon = np.array([t[2] for t in towns])
    dist = haversine_m(lat[:, None], lon[:, None], tlat[None, :], tlon[None, :]).min(axis=1)
    return frozenset(c.client_id for c, d in zip(day.clients, dist) if d > town_radius_m)


def patch_figures(day: Day, rota: Rota, patches: Sequence[Area], *,
                  towns: Sequence[tuple[str, float, float]] = (),
                  town_radius_m: int = TOWN_RADIUS_M) -> tuple[PatchFigures, ...]:
    """Measure demand, placed care, travel, rural demand and unplaced care in each patch.

    Travel is attributed leg by leg to the patch of the client the leg ends at; the
    way home to the patch of the shift's last client. Every patch is listed, in order.
    """
    where = client_areas(day, patches)
    rural = rural_clients(day, towns, town_radius_m=town_radius_m)
    demand: defaultdict[str, int] = defaultdict(int)
    rural_s: defaultdict[str, int] = defaultdict(int)
    unplaced: defaultdict[str, int] = defaultdict(int)
    contact: defaultdict[str, int] = defaultdict(int)
    travel: defaultdict[str, int] = defaultdict(int)
    outcome = {o.visit_id: o for o in rota.outcomes}
    for visit in day.visits:
        seconds = visit.service_s * visit.carers
        patch = where[visit.client_id]
        demand[patch] += seconds
        if visit.client_id in rural:
            rural_s[patch] += seconds
        o = outcome.get(visit.visit_id)
        if o is None or o.status != "scheduled":
            unplaced[patch] += seconds
    for shift in rota.shifts:
        for stop in shift.stops:
            patch = where[stop.client_id]
            contact[patch] += stop.end_s - stop.start_s
            travel[patch] += stop.travel_s
        if shift.stops:
            travel[where[shift.stops[-1].client_id]] += shift.return_travel_s
    return tuple(PatchFigures(p.name, demand[p.name], contact[p.name], travel[p.name],
                              rural_s[p.name], unplaced[p.name]) for p in patches)


def provider_seconds(day: Day, rota: Rota, patches: Sequence[Area]) -> dict[str, dict[str, int]]:
    """Carer-seconds each provider placed in each patch: ``{patch: {provider id: seconds}}``."""
    where = client_areas(day, patches)
    result: dict[str, dict[str, int]] = {p.name: {} for p in patches}
    for shift in rota.shifts:
        for stop in shift.stops:
            by_provider = result[where[stop.client_id]]
            by_provider[shift.provider_id] = (by_provider.get(shift.provider_id, 0)
                                              + stop.end_s - stop.start_s)
    return {p: dict(sorted(v.items())) for p, v in result.items()}


def patch_metrics(day: Day, rota: Rota, patches: Sequence[Area], *,
                  towns: Sequence[tuple[str, float, float]] = (),
                  town_radius_m: int = TOWN_RADIUS_M):
    """One row per patch (pandas DataFrame) with the planners' measures.

    Columns: ``patch, clients, visits, workers_based, demand_hours, placed_hours,
    unplaced_hours, rural_share_pct`` (demand of clients more than ``town_radius_m``
    from a town centre), ``travel_hours, travel_min_per_contact_h``. Hours are
    carer-hours; ``workers_based`` counts workers whose home is in the patch.
    """
    import pandas as pd

    where = client_areas(day, patches)
    homes = locate_points([w.home_lat for w in day.workers], [w.home_lon for w in day.workers],
                          patches) if day.workers else []
    clients: defaultdict[str, set[str]] = defaultdict(set)
    visits: defaultdict[str, int] = defaultdict(int)
    for visit in day.visits:
        clients[where[visit.client_id]].add(visit.client_id)
        visits[where[visit.client_id]] += 1
    rows = []
    for f in patch_figures(day, rota, patches, towns=towns, town_radius_m=town_radius_m):
        rows.append(dict(
            patch=f.patch, clients=len(clients[f.patch]), visits=visits[f.patch],
            workers_based=sum(1 for h in homes if h == f.patch),
            demand_hours=f.demand_s / 3600, placed_hours=(f.demand_s - f.unplaced_s) / 3600,
            unplaced_hours=f.unplaced_s / 3600,
            rural_share_pct=100 * f.rural_demand_s / f.demand_s if f.demand_s else 0.0,
            travel_hours=f.travel_s / 3600,
            travel_min_per_contact_h=60 * f.travel_s / f.contact_s if f.contact_s else float("nan")))
    return pd.DataFrame(rows)


def provider_shares(day: Day, rota: Rota, patches: Sequence[Area]):
    """Providers' share of placed hours in each patch on the rota's date (the census date).

    Returns a pandas DataFrame ``patch, provider_id, hours, share_pct, census_date``.
    """
    import pandas as pd

    rows = []
    for patch, by_provider in provider_seconds(day, rota, patches).items():
        total = sum(by_provider.values())
        for provider, seconds in by_provider.items():
            rows.append(dict(patch=patch, provider_id=provider, hours=seconds / 3600,
                             share_pct=100 * seconds / total, census_date=rota.date.isoformat()))
    return pd.DataFrame(rows, columns=["patch", "provider_id", "hours", "share_pct", "census_date"])


def write_patches_geojson(plan: PatchPlan, path: str | Path) -> Path:
    """Write the patches as GeoJSON (WGS84), readable again by :func:`carerounds.geo.read_areas`."""
    return write_text(path, json.dumps(patches_geojson(plan)) + "\n")
