"""Snap points to the nearest node of a road network, in projected metres."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from ..errors import InputError
from .network import RoadNetwork

_ROAD_WORD = {"drive": "drivable", "walk": "walkable"}


@dataclass(frozen=True, eq=False)
class Snapping:
    """Where each point joins the road network.

    Parameters
    ----------
    nodes : ndarray of int64
        Graph node id (OSM id) of the nearest node for each point, read-only.
    snap_m : ndarray of int64
        Straight-line metres from each point to its node, read-only.
    warnings : tuple of str
        One line per point further than ``max_snap_m`` from the network, naming the
        point by its label (for the run report).
    """

    nodes: np.ndarray
    snap_m: np.ndarray
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("nodes", "snap_m"):
            array = np.ascontiguousarray(getattr(self, name), dtype=np.int64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "warnings", tuple(self.warnings))


def snap_locations(network: RoadNetwork, lats, lons, *, labels=None, max_snap_m: int = 1000,
                   area_margin_m: int = 5000) -> Snapping:
    """Snap points to their nearest network node (British National Grid or UTM metres).

    Parameters
    ----------
    network : RoadNetwork
    lats, lons : array-like of float
        Degrees (WGS84), one per point.
    labels : sequence of str, optional
        How to name each point in messages, e.g. ``"clients.csv row 7, client C012"``;
        default ``"point <i>"`` (0-based).
    max_snap_m : int, default 1000
        Points further than this from any node get a warning (they are still snapped).
    area_margin_m : int, default 5000
        Points more than this outside the convex hull of the network's nodes are an error.

    Returns
    -------
    Snapping

    Raises
    ------
    InputError
        A coordinate is missing, not a number, out of range, or the point lies outside
        the network's area; the message names the point by its label and says how many
        others share the problem. Coordinates are not echoed (they are personal data).
    ValueError
        ``lats``, ``lons`` and ``labels`` differ in length.
    """
    lats, lons, labels = prepared_points(lats, lons, labels)
    if len(lats) == 0:
        return Snapping(nodes=np.zeros(0, np.int64), snap_m=np.zeros(0, np.int64))

    x_m, y_m = checked_xy(network, lats, lons, labels, area_margin_m=area_margin_m)
    distance, index = network.kdtree.query(np.column_stack([x_m, y_m]))
    snap_m = np.rint(distance).astype(np.int64)
    return Snapping(nodes=network.node_ids[index], snap_m=snap_m,
                    warnings=far_warnings(network, labels, snap_m, max_snap_m))


def prepared_points(lats, lons, labels) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Flat float arrays of degrees and a label per point; ``ValueError`` when lengths differ."""
    lats = np.asarray(lats, dtype=float).reshape(-1)
    lons = np.asarray(lons, dtype=float).reshape(-1)
    if lats.shape != lons.shape:
        raise ValueError(f"{len(lats)} latitudes but {len(lons)} longitudes")
    if labels is None:
        labels = [f"point {i}" for i in range(len(lats))]
    labels = list(labels)
    if len(labels) != len(lats):
        raise ValueError(f"{len(labels)} labels for {len(lats)} points")
    return lats, lons, labels


def far_warnings(network: RoadNetwork, labels, snap_m: np.ndarray, max_snap_m: int) -> tuple[str, ...]:
    """One line per point further than ``max_snap_m`` metres from the network."""
    road = _ROAD_WORD.get(network.mode, network.mode)
    return tuple(f"{labels[i]}: {int(snap_m[i]):,} m from the nearest {road} road "
                 f"(more than {max_snap_m:,} m); travel to and from it is underestimated"
                 for i in np.flatnonzero(snap_m > max_snap_m).tolist())


def checked_xy(network: RoadNetwork, lats: np.ndarray, lons: np.ndarray, labels, *,
               area_margin_m: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Project checked degrees to the network's metres; ``InputError`` for bad or far points.

    ``lats`` and ``lons`` are 1-d float arrays of one length, ``labels`` names each point.
    """
    bad = ~(np.isfinite(lats) & np.isfinite(lons) & (np.abs(lats) <= 90) & (np.abs(lons) <= 180))
    if bad.any():
        _raise_for(labels, np.flatnonzero(bad),
                   "latitude/longitude missing, not a number or out of range; give decimal "
                   "degrees (WGS84), e.g. 52.6700, -0.7270")
    x_m, y_m = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True).transform(lons, lats)
    x_m, y_m = np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)
    area = network.hull.buffer(area_margin_m)
    outside = ~shapely.contains_xy(area, x_m, y_m)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        away_km = shapely.distance(network.hull, shapely.Point(x_m[first], y_m[first])) / 1000
        hint = ""
        sx, sy = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True).transform(
            lats[first], lons[first])
        if np.isfinite(sx) and shapely.contains_xy(area, sx, sy):
            hint = " Latitude and longitude look swapped."
        _raise_for(labels, np.flatnonzero(outside),
                   f"about {away_km:,.1f} km outside the area of {network.source} "
                   f"(more than {area_margin_m:,} m beyond its outermost roads); check the "
                   f"coordinates or load a network that covers this place.{hint}")
    return x_m, y_m


def _raise_for(labels, indices: np.ndarray, message: str) -> None:
    first = int(indices[0])
    more = len(indices) - 1
    tail = f" ({more} more point{'s' if more != 1 else ''} with the same problem)" if more else ""
    raise InputError(f"{labels[first]}: {message}{tail}")
