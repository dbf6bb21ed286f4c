"""Tests of the geo layer on the real Rutland OSM extract in ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from carerounds.geo import RoadNetwork, estimate_matrix, load_network, road_matrix, snap_locations

RUTLAND = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "osm" / "alternatives"
           / "rutland-latest.osm.pbf")
OAKHAM = (52.670, -0.727)
UPPINGHAM = (52.5895, -0.7239)

pytestmark = pytest.mark.shared


def _cache_dir(request, tmp_path_factory) -> Path:
    # The pbf build takes a few seconds; pytest's own cache keeps the built GraphML
    # between runs (keyed by the file's SHA-256 and every build option).
    cache = getattr(request.config, "cache", None)
    return cache.mkdir("carerounds-geo-networks") if cache else tmp_path_factory.mktemp("networks")


@pytest.fixture(scope="module")
def rutland(request, tmp_path_factory) -> RoadNetwork:
    if not RUTLAND.is_file():
        pytest.skip("../shared/data/osm/alternatives/rutland-latest.osm.pbf is not beside the project")
    return load_network(RUTLAND, cache_dir=_cache_dir(request, tmp_path_factory))


@pytest.fixture(scope="module")
def sample_nodes(rutland) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rutland.node_ids[rng.choice(len(rutland.node_ids), size=40, replace=False)]


def test_drive_network_size_is_in_expected_range(rutland):
    # osmnx drive_service rules on this extract: 5,841 nodes, 12,966 edges.
    assert 5_500 <= rutland.nodes_kept <= 6_200
    assert 12_000 <= rutland.graph.number_of_edges() <= 14_000


def test_largest_strongly_connected_component_keeps_most_nodes(rutland):
    share = rutland.nodes_dropped / (rutland.nodes_kept + rutland.nodes_dropped)
    assert 0 < share < 0.06
    assert nx.is_strongly_connected(rutland.graph)


def test_network_provenance(rutland):
    assert rutland.source.startswith("road network rutland-latest.osm.pbf (drive, sha256 85f7540a")
    assert rutland.crs == "EPSG:27700"


def test_town_centres_snap_within_100_m(rutland):
    snapping = snap_locations(rutland, [OAKHAM[0], UPPINGHAM[0]], [OAKHAM[1], UPPINGHAM[1]])
    assert (snapping.snap_m <= 100).all()
    assert snapping.warnings == ()


def test_point_in_the_north_sea_is_input_error(rutland):
    from carerounds.errors import InputError

    with pytest.raises(InputError, match="Skegness pier: about"):
        snap_locations(rutland, [53.14], [0.35], labels=["Skegness pier"])


def test_sample_of_matrix_entries_equals_networkx(rutland, sample_nodes):
    matrix = road_matrix(rutland, sample_nodes)
    for i in range(0, len(sample_nodes), 8):
        lengths = nx.single_source_dijkstra_path_length(rutland.graph, int(sample_nodes[i]),
                                                        weight="travel_time")
        # Edge times are whole ms; the matrix rounds the exact sum half up to seconds.
        expected = [(int(round(lengths[int(v)] * 1000)) + 500) // 1000 for v in sample_nodes]
        assert matrix.duration_s[i].tolist() == expected


def test_sample_of_distances_follow_the_fastest_path(rutland, sample_nodes):
    matrix = road_matrix(rutland, sample_nodes[:6])
    graph = rutland.graph
    for i, j in [(0, 1), (2, 5), (4, 3)]:
        path = nx.shortest_path(graph, int(sample_nodes[i]), int(sample_nodes[j]), weight="travel_time")
        metres = sum(min(graph[u][v].values(), key=lambda d: d["travel_time"])["length"]
                     for u, v in zip(path, path[1:]))
        assert abs(int(matrix.distance_m[i, j]) - metres) <= 1


def test_real_matrix_is_not_symmetric(rutland, sample_nodes):
    matrix = road_matrix(rutland, sample_nodes)
    assert not np.array_equal(matrix.duration_s, matrix.duration_s.T)
    assert matrix.unreachable == ()


def test_oakham_to_uppingham_takes_a_plausible_time(rutland):
    snapping = snap_locations(rutland, [OAKHAM[0], UPPINGHAM[0]], [OAKHAM[1], UPPINGHAM[1]])
    matrix = road_matrix(rutland, snapping.nodes)
    # 6.1 miles by the A6003; 8 to 15 minutes is what any driver would expect.
    assert 9_000 <= matrix.distance_m[0, 1] <= 11_000
    assert 8 * 60 <= matrix.duration_s[0, 1] <= 15 * 60


def test_calibrated_estimate_stays_close_to_road_times(rutland, sample_nodes):
    index = rutland.index_of(sample_nodes)
    road = road_matrix(rutland, sample_nodes).duration_s
    estimate = estimate_matrix(rutland.lat[index], rutland.lon[index], mode="drive").duration_s
    off = ~np.eye(len(index), dtype=bool) & (road > 0)
    error = np.abs(estimate[off] - road[off]) / road[off]
    assert np.median(error) < 0.2  # docs/geo.md: 11% median over 14,280 pairs
