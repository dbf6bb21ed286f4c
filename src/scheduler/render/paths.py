"""Where each planned shift goes, as drawn on maps and run sheets (no drawing library needed)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from ..model import Day
from ..rota import Rota
from ..travel import DayTravel

LatLon = tuple[float, float]

#: Attribution required wherever OpenStreetMap tiles or roads are shown.
OSM_ATTRIBUTION = "© OpenStreetMap contributors"


@dataclass(frozen=True)
class ShiftPath:
    """One planned shift as drawn on a map.

    Attributes
    ----------
    worker_id : str
    shift : int
        The shift's number (1-based) in the worker's day.
    travel_mode : str
        ``"drive"`` or ``"walk"``.
    home : (float, float)
        The worker's home, ``(lat, lon)`` in degrees.
    stops : tuple of (float, float)
        Each stop's client home, in visit order.
    legs : tuple of tuple of (float, float)
        ``len(stops) + 1`` polylines: home to the first stop, stop to stop, last stop home.
        Along the roads when a road network was used, else straight.
    on_roads : bool
        Every leg follows the road network (``False`` for the straight-line estimate, or
        when some leg had no road path and is drawn straight).
    """

    worker_id: str
    shift: int
    travel_mode: str
    home: LatLon
    stops: tuple[LatLon, ...]
    legs: tuple[tuple[LatLon, ...], ...]
    on_roads: bool

    @property
    def line(self) -> tuple[LatLon, ...]:
        """The whole round as one polyline, home to home."""
        points: list[LatLon] = [self.home]
        for leg in self.legs:
            points.extend(p for p in leg if p != points[-1])
        return tuple(points)


# Road legs per network, kept while the network lives: sheets and maps of one plan share them.
_ROAD_LEGS: weakref.WeakKeyDictionary[object, dict[tuple[int, int], tuple[LatLon, ...] | None]] = \
    weakref.WeakKeyDictionary()


def _road_leg(network, a: int, b: int) -> tuple[LatLon, ...] | None:
    from ...geo import route_geometry

    cache = _ROAD_LEGS.setdefault(network, {})
    if (a, b) not in cache:
        try:
            cache[(a, b)] = tuple((float(lat), float(lon))
                                  for lat, lon in route_geometry(network, a, b))
        except ValueError:  # no road path: the leg is drawn straight
            cache[(a, b)] = None
    return cache[(a, b)]


def shift_paths(day: Day, rota: Rota, travel: DayTravel | None = None
                ) -> dict[tuple[str, int], ShiftPath]:
    """Geometry of every shift with visits, keyed by ``(worker_id, shift)``.

    Parameters
    ----------
    day : Day
    rota : Rota
    travel : DayTravel, optional
        When it holds road networks (``travel.networks``), legs follow the fastest road
        path between the places' snapped nodes (via :func:`carerounds.geo.route_geometry`),
        joined to the places themselves; otherwise legs are straight segments.
    """
    networks = (travel.networks or {}) if travel is not None else {}
    nodes = (travel.network_nodes or {}) if travel is not None else {}
    paths: dict[tuple[str, int], ShiftPath] = {}
    for sh in rota.shifts:
        if not sh.stops:
            continue
        worker = day.worker_by_id[sh.worker_id]
        home = (worker.home_lat, worker.home_lon)
        keys = [("worker", sh.worker_id)] + [("client", s.client_id) for s in sh.stops] + \
            [("worker", sh.worker_id)]
        points = [home] + [(day.client_by_id[s.client_id].lat, day.client_by_id[s.client_id].lon)
                           for s in sh.stops] + [home]
        network = networks.get(sh.travel_mode)
        legs: list[tuple[LatLon, ...]] = []
        on_roads = True
        for (ka, pa), (kb, pb) in zip(zip(keys, points), zip(keys[1:], points[1:])):
            road = None
            if (network is not None and travel is not None and sh.travel_mode in nodes
                    and pa != pb):
                node_of = nodes[sh.travel_mode]
                road = _road_leg(network, int(node_of[travel.location(*ka)]),
                                 int(node_of[travel.location(*kb)]))
            if road is None:
                on_roads = on_roads and (pa == pb)
                legs.append((pa, pb))
            else:
                legs.append((pa, *road, pb))
        paths[(sh.worker_id, sh.shift)] = ShiftPath(
            worker_id=sh.worker_id, shift=sh.shift, travel_mode=sh.travel_mode, home=home,
            stops=tuple(points[1:-1]), legs=tuple(legs), on_roads=on_roads and network is not None)
    return paths
