"""Tests for carerounds.geo.matrix on the hand-made town in tests/fixtures/osm/town.osm."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest

from carerounds.geo import UNREACHABLE, RoadNetwork, load_network, road_matrix, route_geometry
from carerounds.geo import matrix as matrix_module

TOWN = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "town.osm"


@pytest.fixture(scope="module")
def drive() -> RoadNetwork:
    return load_network(TOWN)


@pytest.fixture(scope="module")
def walk() -> RoadNetwork:
    return load_network(TOWN, mode="walk")


@pytest.fixture(scope="module")
def everything() -> RoadNetwork:
    """The town's roads (no footpath) with no connectivity check: island and dead end stay."""
    raw = ox.graph_from_xml(TOWN, simplify=False, retain_all=True)
    raw.remove_edges_from([(u, v, k) for u, v, k, d in raw.edges(keys=True, data=True)
                           if d["highway"] == "footway"])
    raw.remove_nodes_from([n for n in list(raw.nodes) if raw.degree(n) == 0])
    return RoadNetwork.from_graph(ox.simplify_graph(raw), largest_component=False)


@pytest.fixture
def count_rows(monkeypatch):
    """Record how many source rows each Dijkstra batch computes."""
    calls: list[int] = []
    real = matrix_module._shortest_rows

    def counting(network, sources, *args):
        calls.append(len(sources))
        return real(network, sources, *args)

    monkeypatch.setattr(matrix_module, "_shortest_rows", counting)
    return calls


def whole_seconds(seconds: float) -> int:
    """The matrix's rounding: edge times are whole ms, sums rounded half up to seconds."""
    return (int(round(seconds * 1000)) + 500) // 1000


def networkx_seconds_and_metres(network: RoadNetwork, source: int, target: int) -> tuple[float, float]:
    graph = network.graph
    path = nx.shortest_path(graph, source, target, weight="travel_time")
    legs = [min(graph[u][v].values(), key=lambda d: d["travel_time"]) for u, v in zip(path, path[1:])]
    return sum(d["travel_time"] for d in legs), sum(d["length"] for d in legs)


@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_every_entry_equals_networkx_shortest_path(mode, drive, walk):
    network = {"drive": drive, "walk": walk}[mode]
    nodes = sorted(network.graph.nodes)
    matrix = road_matrix(network, nodes)
    for i, u in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(network.graph, u, weight="travel_time")
        assert matrix.duration_s[i].tolist() == [whole_seconds(lengths[v]) for v in nodes]
        for j, v in enumerate(nodes):
            _, metres = networkx_seconds_and_metres(network, u, v)
            # Whole decimetres per edge: a few centimetres of drift on a long path at most.
            assert abs(int(matrix.distance_m[i, j]) - metres) <= 1


def test_one_way_street_makes_the_matrix_asymmetric(drive):
    matrix = road_matrix(drive, [2, 8])
    # Northbound 2 -> 5 -> 8 along High Street; southbound must go round the block.
    there, back = int(matrix.duration_s[0, 1]), int(matrix.duration_s[1, 0])
    assert there < back
    assert there == whole_seconds(networkx_seconds_and_metres(drive, 2, 8)[0])
    assert back == whole_seconds(networkx_seconds_and_metres(drive, 8, 2)[0])
    assert matrix.distance_m[0, 1] < matrix.distance_m[1, 0]


def test_walk_matrix_is_symmetric(walk):
    matrix = road_matrix(walk, sorted(walk.graph.nodes))
    assert np.array_equal(matrix.duration_s, matrix.duration_s.T)


def test_diagonal_is_zero_and_repeated_nodes_repeat_rows(drive):
    matrix = road_matrix(drive, [5, 9, 5])
    assert matrix.duration_s.diagonal().tolist() == [0, 0, 0]
    assert np.array_equal(matrix.duration_s[0], matrix.duration_s[2])
    assert np.array_equal(matrix.duration_s[:, 0], matrix.duration_s[:, 2])
    assert matrix.duration_s[0, 2] == 0


def test_unreachable_pairs_are_listed_with_a_finite_sentinel(everything):
    matrix = road_matrix(everything, [2, 22])  # grid and island: no road between them
    assert set(matrix.unreachable) == {(0, 1), (1, 0)}
    assert matrix.duration_s[0, 1] == matrix.distance_m[0, 1] == UNREACHABLE
    assert np.isfinite(matrix.duration_s).all()


def test_one_way_dead_end_is_reachable_one_way_only(everything):
    matrix = road_matrix(everything, [9, 30])
    assert matrix.unreachable == ((1, 0),)
    assert matrix.duration_s[0, 1] < UNREACHABLE


def test_connected_network_has_no_unreachable_pairs(drive):
    assert road_matrix(drive, sorted(drive.graph.nodes)).unreachable == ()


def test_matrix_is_int64_read_only_and_names_its_source(drive):
    matrix = road_matrix(drive, [2, 8])
    assert matrix.duration_s.dtype == np.int64 and matrix.distance_m.dtype == np.int64
    with pytest.raises(ValueError):
        matrix.duration_s[0, 0] = 1
    assert matrix.source == drive.source and matrix.mode == "drive"
    assert matrix.source.startswith("road network town.osm (drive, sha256 ")


def test_unknown_node_is_value_error(drive):
    with pytest.raises(ValueError, match="not in the drive network"):
        road_matrix(drive, [2, 22])


def test_no_nodes_give_an_empty_matrix(drive):
    assert road_matrix(drive, []).duration_s.shape == (0, 0)


# ---- cache ---------------------------------------------------------------------------------

def test_second_call_reads_every_row_from_cache(tmp_path, drive, count_rows):
    nodes = [2, 4, 5, 9]
    first = road_matrix(drive, nodes, cache_dir=tmp_path)
    assert sum(count_rows) == 4 and first.cached_rows == 0
    count_rows.clear()
    second = road_matrix(drive, nodes, cache_dir=tmp_path)
    assert count_rows == []
    assert second.cached_rows == 4
    assert np.array_equal(second.duration_s, first.duration_s)
    assert np.array_equal(second.distance_m, first.distance_m)


def test_replan_with_one_new_point_computes_one_row(tmp_path, drive, count_rows):
    road_matrix(drive, [2, 4, 5], cache_dir=tmp_path)
    count_rows.clear()
    grown = road_matrix(drive, [9, 2, 4, 5], cache_dir=tmp_path)
    assert count_rows == [1]
    assert grown.cached_rows == 3
    assert np.array_equal(grown.duration_s, road_matrix(drive, [9, 2, 4, 5]).duration_s)


def test_cache_is_keyed_by_the_graph(tmp_path, drive, count_rows):
    road_matrix(drive, [2, 4], cache_dir=tmp_path)
    other = load_network(TOWN, speed_factor=0.5)  # same nodes, other travel times
    count_rows.clear()
    matrix = road_matrix(other, [2, 4], cache_dir=tmp_path)
    assert count_rows == [2] and matrix.cached_rows == 0


def test_damaged_cache_row_is_recomputed(tmp_path, drive, count_rows):
    expected = road_matrix(drive, [2, 4], cache_dir=tmp_path)
    for row in tmp_path.rglob("2.npy"):
        row.write_bytes(b"not numpy")
    count_rows.clear()
    again = road_matrix(drive, [2, 4], cache_dir=tmp_path)
    assert count_rows == [1]
    assert np.array_equal(again.duration_s, expected.duration_s)


# ---- route geometry ------------------------------------------------------------------------

def test_route_geometry_runs_from_node_to_node_along_the_fastest_path(drive):
    points = route_geometry(drive, 2, 8)
    lat, lon = drive.lat, drive.lon
    i2, i5, i8 = drive.index_of([2, 5, 8]).tolist()
    assert points[0] == (lat[i2], lon[i2]) and points[-1] == (lat[i8], lon[i8])
    assert (lat[i5], lon[i5]) in points  # up High Street


def test_route_geometry_follows_the_road_shape(walk):
    points = route_geometry(walk, 9, 22)
    assert (52.6715, -0.7210) in [(round(a, 4), round(b, 4)) for a, b in points]  # footpath bend
    backwards = route_geometry(walk, 22, 9)
    assert backwards == points[::-1]


def test_route_geometry_of_one_node_is_one_point(drive):
    assert len(route_geometry(drive, 5, 5)) == 1


def test_route_geometry_unreachable_is_value_error(everything):
    with pytest.raises(ValueError, match="cannot be reached"):
        route_geometry(everything, 2, 22)


def test_small_batches_give_the_same_matrix(drive, monkeypatch, count_rows):
    nodes = sorted(drive.graph.nodes)
    whole = road_matrix(drive, nodes)
    monkeypatch.setattr(matrix_module, "_BATCH", 2)
    count_rows.clear()
    batched = road_matrix(drive, nodes)
    assert count_rows == [2, 2, 2, 1]
    assert np.array_equal(batched.duration_s, whole.duration_s)
    assert np.array_equal(batched.distance_m, whole.distance_m)
