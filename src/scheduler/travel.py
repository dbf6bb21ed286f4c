"""Travel between a day's places: worker homes and client homes, per travel mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..geo.travel import TravelMatrix, estimate_matrix, haversine_m
from .model import Day, TravelBuffer


@dataclass(frozen=True)
class Place:
    """A point the day's rounds start, end or stop at."""

    kind: str  # "worker" or "client"
    id: str
    lat: float
    lon: float
    label: str  # e.g. "clients.csv row 7, client C0012" (for errors and warnings, no names)


@dataclass(frozen=True)
class DayTravel:
    """Travel matrices over a day's places, one per travel mode used.

    ``index`` maps ``("worker", id)`` / ``("client", id)`` to the matrix row.
    ``roads`` names the road file used, or ``None`` for the straight-line estimate.
    ``snap_m`` holds per-mode snap distances (metres) when roads were used, ``network_nodes``
    each place's graph node and ``networks`` the road networks themselves (for map geometry).
    """

    places: tuple[Place, ...]
    index: dict[tuple[str, str], int]
    matrices: dict[str, TravelMatrix]
    roads: str | None
    warnings: tuple[str, ...] = ()
    snap_m: dict[str, np.ndarray] | None = None
    network_nodes: dict[str, np.ndarray] | None = None
    networks: dict[str, object] | None = None  # mode -> carerounds.geo.RoadNetwork

    def location(self, kind: str, id: str) -> int:
        """Matrix row of a worker's or client's home."""
        return self.index[(kind, id)]

    def describe(self) -> dict[str, str]:
        """Where each mode's figures came from, for run reports."""
        return {mode: m.source for mode, m in self.matrices.items()}


def day_places(day: Day) -> tuple[Place, ...]:
    """Worker homes then client homes, in input order."""
    places = [Place("worker", w.worker_id, w.home_lat, w.home_lon,
                    f"workers.csv row {w.row}, worker {w.worker_id}") for w in day.workers]
    places += [Place("client", c.client_id, c.lat, c.lon,
                     f"clients.csv row {c.row}, client {c.client_id}") for c in day.clients]
    return tuple(places)


def build_travel(day: Day, *, roads: str | Path | None = None, cache_dir: str | Path | None = None,
                 max_snap_m: int = 1000, modes: tuple[str, ...] | None = None) -> DayTravel:
    """Compute travel matrices for every travel mode the day's workers use.

    Parameters
    ----------
    day : Day
    roads : path, optional
        An ``.osm``, ``.osm.bz2``, ``.osm.pbf`` or ``.graphml`` road network. Without it
        the calibrated straight-line estimate is used (and the run report says so).
    cache_dir : path, optional
        Where built road networks and travel matrices are cached between runs.
    max_snap_m : int, default 1000
        A place further than this from the nearest road is a warning in the run report.
    modes : tuple of str, optional
        Modes to compute; default: the modes of the day's workers (always ``drive``).
    """
    places = day_places(day)
    index = {(p.kind, p.id): i for i, p in enumerate(places)}
    if modes is None:
        modes = tuple(sorted({"drive"} | {w.travel_mode for w in day.workers}))
    lats = np.array([p.lat for p in places], dtype=float)
    lons = np.array([p.lon for p in places], dtype=float)
    if roads is None:
        estimated = {m: estimate_matrix(lats, lons, mode=m) for m in modes}
        return DayTravel(places, index, estimated, roads=None)

    from ..geo import load_network

    networks = {mode: load_network(roads, mode=mode, cache_dir=cache_dir) for mode in modes}
    return road_travel(places, networks, roads=Path(roads).name, max_snap_m=max_snap_m,
                       cache_dir=cache_dir)


#: Unreachable pairs named one by one in the warnings before the rest are counted.
UNREACHABLE_LISTED = 20


def road_travel(places: Sequence[Place], networks: Mapping[str, Any], *, roads: str,
                max_snap_m: int = 1000, cache_dir: str | Path | None = None) -> DayTravel:
    """Travel over road networks already loaded: snapping, matrices and their warnings.

    Each place joins its nearest road edge (not junction); the door-to-road offset is
    covered at the mode's access speed and distinct places are at least the mode's
    minimum door-to-door time apart (:func:`carerounds.geo.edge_matrix`).

    Parameters
    ----------
    places : sequence of Place
        The rows and columns of the matrices, in order.
    networks : mapping of str to RoadNetwork
        One loaded network per travel mode.
    roads : str
        The road file's name, as the run report gives it.
    max_snap_m : int, default 1000
        A place further than this from the nearest road is a warning.
    cache_dir : path, optional
        Where travel matrices are cached between runs.
    """
    from ..geo import edge_matrix, snap_to_edges

    index = {(p.kind, p.id): i for i, p in enumerate(places)}
    lats = np.array([p.lat for p in places], dtype=float)
    lons = np.array([p.lon for p in places], dtype=float)
    labels = [p.label for p in places]
    matrices: dict = {}
    warnings: list[str] = []
    snaps: dict = {}
    nodes: dict = {}
    for mode, network in networks.items():
        snapping = snap_to_edges(network, lats, lons, labels=labels, max_snap_m=max_snap_m)
        warnings.extend(f"{mode}: {w}" for w in snapping.warnings)
        matrix = edge_matrix(network, snapping, lats, lons, cache_dir=cache_dir)
        for i, j in matrix.unreachable[:UNREACHABLE_LISTED]:
            warnings.append(f"{mode}: no road path from {labels[i]} to {labels[j]}")
        if len(matrix.unreachable) > UNREACHABLE_LISTED:
            warnings.append(f"{mode}: {len(matrix.unreachable) - UNREACHABLE_LISTED} more "
                            "unreachable pairs")
        matrices[mode] = matrix
        snaps[mode] = np.asarray(snapping.snap_m)
        nodes[mode] = np.asarray(snapping.nodes)
    return DayTravel(tuple(places), index, matrices, roads=roads, warnings=tuple(warnings),
                     snap_m=snaps, network_nodes=nodes, networks=dict(networks))


def buffer_matrix(travel: DayTravel, mode: str, buffer: TravelBuffer) -> np.ndarray:
    """Seconds of buffer to keep after each leg (row to column), for one travel mode.

    Non-zero only between two client homes more than ``buffer.same_address_m`` apart:
    legs from and to a worker's home need no buffer.
    """
    n = len(travel.places)
    out = np.zeros((n, n), dtype=np.int64)
    if buffer.min_s == 0 and buffer.share_bp == 0:
        return out
    rows = np.array([i for i, p in enumerate(travel.places) if p.kind == "client"], dtype=np.int64)
    if rows.size == 0:
        return out
    lats = np.array([travel.places[i].lat for i in rows], dtype=float)
    lons = np.array([travel.places[i].lon for i in rows], dtype=float)
    apart = haversine_m(lats[:, None], lons[:, None], lats[None, :], lons[None, :]) \
        > buffer.same_address_m
    legs = travel.matrices[mode].duration_s[np.ix_(rows, rows)].astype(np.int64)
    block = np.maximum(buffer.min_s, legs * buffer.share_bp // 10_000)
    out[np.ix_(rows, rows)] = np.where(apart, block, 0)
    return out
