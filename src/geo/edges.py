"""Snap points to the nearest road edge and build door-to-door travel matrices from there.

Snapping to the nearest *node* puts two homes on one street at the same junction, 0 s
apart. Here each point joins the road at the foot of the perpendicular on its nearest
edge; a trip leaves along that edge to one of its ends (or straight along it to a point
further down the same edge), follows the fastest node-to-node path, and comes in along
the destination's edge. The straight line from the door to the road (the *offset*) is
covered at the mode's access speed, and every trip between two distinct places takes at
least the mode's minimum door-to-door time.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from .matrix import UNREACHABLE, road_matrix
from .network import DRIVE_SPEED_FACTOR, MPH_TO_KPH, WALK_SPEED_KPH, RoadNetwork
from .snap import checked_xy, far_warnings, prepared_points
from .travel import TravelMatrix, haversine_m

#: Speed, km/h, over the straight line from a door to its road: on foot for walkers;
#: for drivers a service road's 15 mph at the drive speed factor (a drive or a lane).
ACCESS_SPEED_KPH: dict[str, float] = {
    "drive": round(15 * MPH_TO_KPH * DRIVE_SPEED_FACTOR, 2),
    "walk": WALK_SPEED_KPH,
}

#: Fewest seconds door to door between two distinct places: parking, locking up and
#: walking to the next door take about a minute even next door; on foot, half a minute.
MIN_TRIP_S: dict[str, int] = {"drive": 60, "walk": 30}

#: Points closer than this, metres, are one place (a shared address): 0 s apart.
SAME_PLACE_M = 1.0


@dataclass(frozen=True, eq=False)
class EdgeIndex:
    """A network's roads as undirected lines, each with the edge times of both directions.

    Attributes
    ----------
    lo, hi : ndarray of int64
        CSR rows of the line's end nodes, ``lo < hi``; lines run from ``lo`` to ``hi``.
    fwd_ms, bwd_ms : ndarray of int64
        Whole milliseconds of the edge ``lo -> hi`` and ``hi -> lo``; -1 where that
        direction is not driveable (one-way streets).
    fwd_dm, bwd_dm : ndarray of int64
        Their lengths in decimetres.
    lines : ndarray of shapely.LineString
        Geometry in the network's projected metres.
    tree : shapely.STRtree
        Spatial index over ``lines``.
    """

    lo: np.ndarray
    hi: np.ndarray
    fwd_ms: np.ndarray
    bwd_ms: np.ndarray
    fwd_dm: np.ndarray
    bwd_dm: np.ndarray
    lines: np.ndarray
    tree: shapely.STRtree


_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def edge_index(network: RoadNetwork) -> EdgeIndex:
    """The network's :class:`EdgeIndex`, built on first use and kept while the network lives.

    Parallel edges between the same two nodes are separate lines unless they have the
    same length to a decimetre (then they are the two directions of one road).
    """
    cached = _INDEXES.get(network)
    if cached is not None:
        return cached
    rows = {int(node): k for k, node in enumerate(network.node_ids.tolist())}
    segments: dict[tuple[int, int, int], int] = {}
    lo: list[int] = []
    hi: list[int] = []
    coords: list[list[tuple[float, float]]] = []
    times: list[list[int]] = []  # per segment: fwd_ms, bwd_ms, fwd_dm, bwd_dm
    for u, v, data in network.graph.edges(data=True):
        a, b = rows[int(u)], rows[int(v)]
        if a == b:
            continue  # a loop back to its own node never shortens a trip
        ms = int(np.rint(float(data["travel_time"]) * 1000))
        dm = int(np.rint(float(data["length"]) * 10))
        key = (min(a, b), max(a, b), dm)
        k = segments.get(key)
        if k is None:
            k = segments[key] = len(lo)
            geometry = data.get("geometry")
            points = (list(geometry.coords) if geometry is not None else
                      [(float(network.lon[a]), float(network.lat[a])),
                       (float(network.lon[b]), float(network.lat[b]))])
            lo.append(key[0])
            hi.append(key[1])
            coords.append(points if a < b else points[::-1])
            times.append([-1, -1, dm, dm])
        slot = 0 if a < b else 1
        if times[k][slot] < 0 or ms < times[k][slot]:
            times[k][slot] = ms
    lines = _project_lines(network, coords)
    t = np.array(times, dtype=np.int64).reshape(-1, 4)
    index = EdgeIndex(lo=np.array(lo, dtype=np.int64), hi=np.array(hi, dtype=np.int64),
                      fwd_ms=t[:, 0], bwd_ms=t[:, 1], fwd_dm=t[:, 2], bwd_dm=t[:, 3],
                      lines=lines, tree=shapely.STRtree(lines))
    _INDEXES[network] = index
    return index


def _project_lines(network: RoadNetwork, coords: list[list[tuple[float, float]]]) -> np.ndarray:
    counts = np.array([len(c) for c in coords], dtype=np.int64)
    flat = np.array([p for c in coords for p in c], dtype=float).reshape(-1, 2)
    x_m, y_m = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True).transform(
        flat[:, 0], flat[:, 1])
    parts = np.repeat(np.arange(len(coords)), counts)
    return shapely.linestrings(np.column_stack([x_m, y_m]), indices=parts)


@dataclass(frozen=True, eq=False)
class EdgeSnapping:
    """Where each point joins the road network: an edge, and how far along it.

    Parameters
    ----------
    segment : ndarray of int64
        Line of :func:`edge_index` each point joins.
    along : ndarray of float
        Share of the line's length from its ``lo`` end to the join, 0 to 1.
    offset_m : ndarray of float
        Straight-line metres from the point to the join.
    nodes : ndarray of int64
        Graph node id of the line's end nearer the join (for drawing routes).
    snap_m : ndarray of int64
        ``offset_m`` rounded to whole metres.
    warnings : tuple of str
        One line per point further than ``max_snap_m`` from any road.
    """

    segment: np.ndarray
    along: np.ndarray
    offset_m: np.ndarray
    nodes: np.ndarray
    snap_m: np.ndarray
    warnings: tuple[str, ...] = ()


def snap_to_edges(network: RoadNetwork, lats, lons, *, labels=None, max_snap_m: int = 1000,
                  area_margin_m: int = 5000) -> EdgeSnapping:
    """Snap points to the nearest point of the nearest road edge.

    Parameters and errors are those of :func:`carerounds.geo.snap_locations`; the snap
    distance is to the road itself, not to its nearest junction.
    """
    lats, lons, labels = prepared_points(lats, lons, labels)
    index = edge_index(network)
    if len(lats) == 0:
        empty = np.zeros(0, np.int64)
        return EdgeSnapping(empty, np.zeros(0), np.zeros(0), empty, empty)
    x_m, y_m = checked_xy(network, lats, lons, labels, area_margin_m=area_margin_m)
    points = shapely.points(x_m, y_m)
    found, distance = index.tree.query_nearest(points, return_distance=True)
    # Ties (the two directions of a drawn-twice road, a junction) keep the first match.
    first = np.unique(found[0], return_index=True)[1]
    segment = found[1][first]
    offset_m = distance[first]
    lines = index.lines[segment]
    length = shapely.length(lines)
    along = np.where(length > 0, shapely.line_locate_point(lines, points) / np.maximum(length, 1e-9),
                     0.0)
    along = np.clip(along, 0.0, 1.0)
    near = np.where(along <= 0.5, index.lo[segment], index.hi[segment])
    snap_m = np.rint(offset_m).astype(np.int64)
    return EdgeSnapping(segment=segment.astype(np.int64), along=along, offset_m=offset_m,
                        nodes=network.node_ids[near], snap_m=snap_m,
                        warnings=far_warnings(network, labels, snap_m, max_snap_m))


def edge_matrix(network: RoadNetwork, snapping: EdgeSnapping, lats, lons, *, cache_dir=None,
                access_kph: float | None = None, min_trip_s: int | None = None) -> TravelMatrix:
    """Door-to-door durations and distances between edge-snapped points.

    Parameters
    ----------
    network : RoadNetwork
    snapping : EdgeSnapping
        From :func:`snap_to_edges` on this network.
    lats, lons : array-like of float
        The same points' degrees (to tell distinct places from shared ones).
    cache_dir : path, optional
        Row cache of the node-to-node matrix (see :func:`road_matrix`).
    access_kph : float, optional
        Speed over the offsets; default :data:`ACCESS_SPEED_KPH` of the network's mode.
    min_trip_s : int, optional
        Fewest seconds between places more than :data:`SAME_PLACE_M` apart; default
        :data:`MIN_TRIP_S` of the mode. Places closer than that are 0 s and 0 m apart.

    Returns
    -------
    TravelMatrix
        Seconds: offset out + along the edge + fastest path + along the edge + offset
        in, the fastest of the (up to four) ways out and in, rounded, at least
        ``min_trip_s``. Metres: the length of that same route.
    """
    access_kph = ACCESS_SPEED_KPH[network.mode] if access_kph is None else access_kph
    min_trip_s = MIN_TRIP_S[network.mode] if min_trip_s is None else min_trip_s
    index = edge_index(network)
    seg, t = snapping.segment, snapping.along
    ends = np.unique(np.concatenate([index.lo[seg], index.hi[seg]]))
    nodes = road_matrix(network, network.node_ids[ends], cache_dir=cache_dir)
    seconds, metres = _through_nodes(index, seg, t, ends, nodes)
    _along_one_edge(index, seg, t, seconds, metres)
    unreachable = seconds >= UNREACHABLE
    offset_s = snapping.offset_m / (access_kph / 3.6)
    seconds = seconds + offset_s[:, None] + offset_s[None, :]
    metres = metres + snapping.offset_m[:, None] + snapping.offset_m[None, :]
    lats = np.asarray(lats, dtype=float).reshape(-1)
    lons = np.asarray(lons, dtype=float).reshape(-1)
    distinct = haversine_m(lats[:, None], lons[:, None], lats[None, :], lons[None, :]) > SAME_PLACE_M
    duration_s = np.where(distinct, np.maximum(np.rint(seconds), min_trip_s), 0).astype(np.int64)
    distance_m = np.where(distinct, np.rint(metres), 0).astype(np.int64)
    duration_s[unreachable] = UNREACHABLE
    distance_m[unreachable] = UNREACHABLE
    source = (f"{network.source}, snapped to the nearest road edge; door to road at "
              f"{access_kph:g} km/h, at least {min_trip_s} s between distinct places")
    pairs = tuple((int(i), int(j)) for i, j in np.argwhere(unreachable))
    return TravelMatrix(duration_s=duration_s, distance_m=distance_m, mode=network.mode,
                        source=source, unreachable=pairs, cached_rows=nodes.cached_rows)


def _ways(index: EdgeIndex, seg: np.ndarray, t: np.ndarray, *, out: bool):
    """Per point, the two ways onto (``out``) or off the network: end node, ms and dm.

    Leaving forwards goes to ``hi`` over ``1 - t`` of the ``lo -> hi`` edge, backwards
    to ``lo`` over ``t`` of ``hi -> lo``; arriving forwards comes from ``lo`` over ``t``
    of ``lo -> hi``, backwards from ``hi`` over ``1 - t`` of ``hi -> lo``. A missing
    direction costs infinity.
    """
    fwd_ms, bwd_ms = index.fwd_ms[seg], index.bwd_ms[seg]
    fwd_share, bwd_share = (1 - t, t) if out else (t, 1 - t)
    node = np.column_stack([index.hi[seg], index.lo[seg]] if out else [index.lo[seg], index.hi[seg]])
    ms = np.column_stack([np.where(fwd_ms >= 0, fwd_share * fwd_ms, np.inf),
                          np.where(bwd_ms >= 0, bwd_share * bwd_ms, np.inf)])
    dm = np.column_stack([fwd_share * index.fwd_dm[seg], bwd_share * index.bwd_dm[seg]])
    return node, ms, dm


def _through_nodes(index: EdgeIndex, seg, t, ends: np.ndarray, nodes: TravelMatrix):
    """Fastest seconds (float) and their metres via the node-to-node paths."""
    n = len(seg)
    out_node, out_ms, out_dm = _ways(index, seg, t, out=True)
    in_node, in_ms, in_dm = _ways(index, seg, t, out=False)
    out_k, in_k = np.searchsorted(ends, out_node), np.searchsorted(ends, in_node)
    best_s = np.full((n, n), np.inf)
    best_m = np.zeros((n, n))
    for a in (0, 1):
        for b in (0, 1):
            path_s = nodes.duration_s[np.ix_(out_k[:, a], in_k[:, b])].astype(float)
            s = out_ms[:, a, None] / 1000 + path_s + in_ms[None, :, b] / 1000
            m = (out_dm[:, a, None] / 10 + nodes.distance_m[np.ix_(out_k[:, a], in_k[:, b])]
                 + in_dm[None, :, b] / 10)
            s = np.where(path_s >= UNREACHABLE, np.inf, s)
            better = s < best_s
            best_s = np.where(better, s, best_s)
            best_m = np.where(better, m, best_m)
    return np.where(np.isfinite(best_s), best_s, float(UNREACHABLE)), best_m


def _along_one_edge(index: EdgeIndex, seg, t, seconds: np.ndarray, metres: np.ndarray) -> None:
    """Where two points share an edge, going straight along it may beat leaving it (in place)."""
    same = seg[:, None] == seg[None, :]
    ahead = t[None, :] - t[:, None]  # share of the line from row point to column point
    fwd_ms, bwd_ms = index.fwd_ms[seg][:, None], index.bwd_ms[seg][:, None]
    for ok, share, ms, dm in ((fwd_ms >= 0, ahead, fwd_ms, index.fwd_dm[seg][:, None]),
                              (bwd_ms >= 0, -ahead, bwd_ms, index.bwd_dm[seg][:, None])):
        direct = same & ok & (share >= 0)
        s = np.where(direct, share * ms / 1000, np.inf)
        better = s < seconds
        seconds[better] = s[better]
        metres[better] = (share * dm / 10)[better]
