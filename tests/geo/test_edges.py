"""Tests for carerounds.geo.edges on a tiny synthetic square of roads (no files, no network)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from carerounds.geo import MIN_TRIP_S, RoadNetwork, edge_matrix, snap_to_edges

LAT0, LON0 = 52.67, -0.73
M_PER_DEG_LAT = 111_250.0
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(LAT0))


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """Degrees of a point this many metres east and north of the square's south-west corner."""
    return LAT0 + north_m / M_PER_DEG_LAT, LON0 + east_m / M_PER_DEG_LON


def square(*, one_way_south: bool = False) -> RoadNetwork:
    """Four junctions 200 m apart, every street 20 s each way (the south one maybe one-way east)."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    corners = {1: at(0, 0), 2: at(200, 0), 3: at(200, 200), 4: at(0, 200)}
    for node, (lat, lon) in corners.items():
        graph.add_node(node, x=lon, y=lat)
    for u, v in ((1, 2), (2, 3), (3, 4), (4, 1)):
        graph.add_edge(u, v, length=200.0, travel_time=20.0, highway="residential")
        if not (one_way_south and (u, v) == (1, 2)):
            graph.add_edge(v, u, length=200.0, travel_time=20.0, highway="residential")
    return RoadNetwork.from_graph(graph, add_speeds=False, largest_component=False)


def points(*places: tuple[float, float]) -> tuple[list[float], list[float]]:
    degrees = [at(*p) for p in places]
    return [d[0] for d in degrees], [d[1] for d in degrees]


def test_point_beside_a_street_joins_it_at_the_foot_of_the_perpendicular():
    network = square()
    lats, lons = points((50, -30))
    snapping = snap_to_edges(network, lats, lons)
    assert snapping.snap_m.tolist() == [30]
    assert snapping.along[0] == pytest.approx(0.25, abs=0.01)


def test_two_homes_on_one_street_are_apart_by_the_share_of_the_street_between_them():
    network = square()
    lats, lons = points((50, 0), (150, 0))
    matrix = edge_matrix(network, snap_to_edges(network, lats, lons), lats, lons, min_trip_s=0)
    # Half of a 20 s, 200 m street, both ways.
    assert matrix.duration_s.tolist() == [[0, 10], [10, 0]]
    assert matrix.distance_m.tolist() == [[0, 100], [100, 0]]


def test_offset_from_door_to_road_is_covered_at_the_access_speed():
    network = square()
    lats, lons = points((50, -36), (150, 0))
    matrix = edge_matrix(network, snap_to_edges(network, lats, lons), lats, lons,
                         access_kph=3.6, min_trip_s=0)
    # 36 m at 1 m/s, then 10 s along the street.
    assert matrix.duration_s[0, 1] == 46
    assert matrix.distance_m[0, 1] == 136


def test_one_way_street_is_left_the_legal_way_round():
    network = square(one_way_south=True)
    lats, lons = points((50, 0), (150, 0))
    matrix = edge_matrix(network, snap_to_edges(network, lats, lons), lats, lons, min_trip_s=0)
    # East along the one-way: 10 s. Back west: on to corner 2 (5 s), round the other three
    # sides (60 s) and along the south street from corner 1 (5 s).
    assert matrix.duration_s.tolist() == [[0, 10], [70, 0]]


def test_homes_nearest_one_junction_are_not_zero_seconds_apart():
    network = square()
    lats, lons = points((10, 2), (2, 10))
    matrix = edge_matrix(network, snap_to_edges(network, lats, lons), lats, lons)
    assert matrix.duration_s[0, 1] >= MIN_TRIP_S["drive"]
    assert matrix.duration_s[1, 0] >= MIN_TRIP_S["drive"]


def test_two_clients_at_one_address_are_zero_seconds_apart():
    network = square()
    lats, lons = points((50, -20), (50, -20))
    matrix = edge_matrix(network, snap_to_edges(network, lats, lons), lats, lons)
    assert matrix.duration_s.tolist() == [[0, 0], [0, 0]]
