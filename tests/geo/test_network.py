"""Tests for carerounds.geo.network on the hand-made town in tests/fixtures/osm/town.osm."""

from __future__ import annotations

import bz2
import hashlib
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest
import shapely

from carerounds.errors import InputError, NetworkUnavailableError
from carerounds.geo import (
    DRIVE_SPEED_FACTOR,
    UK_SPEEDS_KPH,
    WALK_SPEED_KPH,
    RoadNetwork,
    fetch_network,
    load_network,
)
from carerounds.geo import network as network_module

TOWN = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "town.osm"
MPH = 1.609344


@pytest.fixture(scope="module")
def drive() -> RoadNetwork:
    return load_network(TOWN)


@pytest.fixture(scope="module")
def walk() -> RoadNetwork:
    return load_network(TOWN, mode="walk")


def edge(network: RoadNetwork, u: int, v: int) -> dict:
    return min(network.graph[u][v].values(), key=lambda d: d["travel_time"])


# ---- what is kept --------------------------------------------------------------------------

def test_drive_network_keeps_grid_junctions_and_driveway(drive):
    # Corners 1, 3, 7 are simplified away (two neighbours, no junction).
    assert sorted(drive.graph.nodes) == [2, 4, 5, 6, 8, 9, 50]


def test_connectivity_check_drops_island_and_one_way_dead_end(drive):
    assert drive.nodes_dropped == 3  # island lane ends 20, 22 and the one-way dead end 30
    assert not {20, 22, 30} & set(drive.graph.nodes)
    assert nx.is_strongly_connected(drive.graph)
    assert "3 nodes (30.0%) dropped" in drive.summary


def test_footpath_and_private_road_are_not_drivable(drive):
    highways = {str(d["highway"]) for _, _, d in drive.graph.edges(data=True)}
    assert "footway" not in highways
    assert 60 not in drive.graph  # end of the private road


def test_service_roads_false_drops_driveway_like_osmnx_drive():
    network = load_network(TOWN, service_roads=False)
    assert sorted(network.graph.nodes) == [2, 4, 5, 6, 8, 9]


def test_walk_network_reaches_island_by_footpath(walk):
    assert 22 in walk.graph and 30 in walk.graph
    assert walk.nodes_dropped == 0


def test_walk_network_goes_both_ways_along_one_way_street(walk):
    assert walk.graph.has_edge(5, 2) and walk.graph.has_edge(8, 5)


def test_one_way_street_has_no_reverse_edge_for_drivers(drive):
    assert drive.graph.has_edge(2, 5) and not drive.graph.has_edge(5, 2)


# ---- speeds --------------------------------------------------------------------------------

def test_walk_speed_is_flat(walk):
    speeds = {d["speed_kph"] for _, _, d in walk.graph.edges(data=True)}
    assert speeds == {WALK_SPEED_KPH}


def test_mph_maxspeed_is_converted_and_reduced(drive):
    assert edge(drive, 2, 5)["speed_kph"] == pytest.approx(30 * MPH * DRIVE_SPEED_FACTOR, abs=0.01)


def test_uk_national_limit_tag_means_60_mph(drive):
    # South Street is tagged maxspeed=national, which osmnx alone does not understand.
    assert edge(drive, 2, 6)["speed_kph"] == pytest.approx(60 * MPH * DRIVE_SPEED_FACTOR, abs=0.01)


def test_untagged_road_uses_uk_default_for_its_class(drive):
    assert edge(drive, 4, 5)["speed_kph"] == pytest.approx(
        UK_SPEEDS_KPH["residential"] * DRIVE_SPEED_FACTOR, abs=0.01)


def test_highway_speed_override_and_speed_factor():
    network = load_network(TOWN, highway_speeds_kph={"residential": 20.0}, speed_factor=1.0)
    assert edge(network, 4, 5)["speed_kph"] == pytest.approx(20.0)


def test_bad_speed_factor_is_input_error():
    with pytest.raises(InputError, match="speed factor"):
        load_network(TOWN, speed_factor=0)


def test_travel_time_is_length_over_speed(drive):
    data = edge(drive, 4, 5)
    assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6), rel=1e-3)


# ---- provenance, immutability, derived arrays ------------------------------------------------

def test_network_records_file_name_and_sha256(drive):
    assert drive.source_name == "town.osm"
    assert drive.source_sha256 == hashlib.sha256(TOWN.read_bytes()).hexdigest()
    assert drive.source == f"road network town.osm (drive, sha256 {drive.source_sha256[:8]}…)"


def test_network_graph_and_arrays_are_read_only(drive):
    with pytest.raises(nx.NetworkXError):
        drive.graph.add_node(999)
    with pytest.raises(ValueError):
        drive.lat[0] = 0.0
    with pytest.raises(AttributeError):
        drive.mode = "walk"


def test_uses_british_national_grid_in_gb(drive):
    assert drive.crs == "EPSG:27700"


def test_projected_crs_is_utm_outside_gb():
    assert network_module.projected_crs([10.0], [50.0]) == "EPSG:32632"
    assert network_module.projected_crs([-70.0], [-33.0]) == "EPSG:32719"


def test_csr_matrices_hold_whole_milliseconds_and_decimetres(drive):
    i, j = drive.index_of([2, 5]).tolist()
    data = edge(drive, 2, 5)
    assert drive.travel_ms[i, j] == round(data["travel_time"] * 1000)
    assert drive.length_dm[i, j] == round(data["length"] * 10)
    assert drive.routing[i, j] == drive.travel_ms[i, j] * network_module.ROUTING_SCALE + drive.length_dm[i, j]


def test_edge_travel_times_are_whole_milliseconds(drive):
    times = [d["travel_time"] for _, _, d in drive.graph.edges(data=True)]
    assert all(t == round(t, 3) for t in times)


def test_fastest_then_shortest_parallel_edge_is_kept():
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=-0.73, y=52.67)
    graph.add_node(2, x=-0.72, y=52.67)
    graph.add_edge(1, 2, travel_time=60.0, length=900.0)
    graph.add_edge(1, 2, travel_time=50.0, length=1000.0)
    graph.add_edge(1, 2, travel_time=50.0, length=950.0)
    graph.add_edge(2, 1, travel_time=70.0, length=900.0)
    network = RoadNetwork.from_graph(graph, add_speeds=False)
    i, j = network.index_of([1, 2]).tolist()
    assert (network.travel_ms[i, j], network.length_dm[i, j]) == (50_000, 9_500)


def test_index_of_unknown_node_is_value_error(drive):
    with pytest.raises(ValueError, match="not in the drive network"):
        drive.index_of([2, 12345])


# ---- other sources ---------------------------------------------------------------------------

def test_bz2_xml_gives_the_same_network(tmp_path, drive):
    packed = tmp_path / "town.osm.bz2"
    packed.write_bytes(bz2.compress(TOWN.read_bytes()))
    assert load_network(packed).fingerprint == drive.fingerprint


def test_graphml_round_trip_gives_the_same_network(tmp_path, drive):
    path = tmp_path / "town.graphml"
    ox.save_graphml(nx.MultiDiGraph(drive.graph), path)
    again = load_network(path)
    assert sorted(again.graph.nodes) == sorted(drive.graph.nodes)
    assert again.fingerprint == drive.fingerprint


def test_graphml_of_another_mode_is_input_error(tmp_path, walk):
    graph = nx.MultiDiGraph(walk.graph)
    graph.graph["carerounds_mode"] = "walk"
    path = tmp_path / "walk.graphml"
    ox.save_graphml(graph, path)
    with pytest.raises(InputError, match="holds a walk network") as info:
        load_network(path, mode="drive")
    assert info.value.file == "walk.graphml"


def test_from_graph_can_keep_every_component():
    raw = ox.graph_from_xml(TOWN, simplify=True, retain_all=True)
    network = RoadNetwork.from_graph(raw, largest_component=False)
    assert {22, 30} <= set(network.graph.nodes)
    assert network.nodes_dropped == 0


# ---- clipping ------------------------------------------------------------------------------

def test_polygon_clips_before_connectivity_check():
    # The western two columns of the grid only.
    network = load_network(TOWN, polygon=shapely.box(-0.7305, 52.6695, -0.7280, 52.6725))
    assert network.lon.max() <= -0.728
    assert set(network.graph.nodes) <= {1, 2, 4, 5, 7, 8}


def test_bbox_tuple_is_accepted_as_polygon():
    network = load_network(TOWN, polygon=(-0.7305, 52.6695, -0.7280, 52.6725))
    assert network.lon.max() <= -0.728


def test_polygon_without_roads_is_input_error():
    with pytest.raises(InputError, match="no drivable roads inside the polygon") as info:
        load_network(TOWN, polygon=shapely.box(1.0, 50.0, 1.1, 50.1))
    assert info.value.file == "town.osm"


def test_polygon_of_wrong_type_is_input_error():
    with pytest.raises(InputError, match="polygon must be"):
        load_network(TOWN, polygon=shapely.Point(0, 0))


# ---- cache ---------------------------------------------------------------------------------

def test_built_network_is_cached_as_graphml(tmp_path, monkeypatch, drive):
    first = load_network(TOWN, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("network-drive-*.graphml"))) == 1

    def no_rebuild(*args, **kwargs):
        raise AssertionError("rebuilt from OSM despite the cache")

    monkeypatch.setattr(network_module, "_graph_from_osm", no_rebuild)
    second = load_network(TOWN, cache_dir=tmp_path)
    assert second.fingerprint == first.fingerprint == drive.fingerprint
    assert second.nodes_dropped == first.nodes_dropped


def test_cache_key_depends_on_options(tmp_path):
    load_network(TOWN, cache_dir=tmp_path)
    load_network(TOWN, cache_dir=tmp_path, service_roads=False)
    assert len(list(tmp_path.glob("network-drive-*.graphml"))) == 2


# ---- bad files -----------------------------------------------------------------------------

def test_missing_file_is_input_error_naming_it(tmp_path):
    with pytest.raises(InputError, match="not found") as info:
        load_network(tmp_path / "nowhere.osm.pbf")
    assert info.value.file == "nowhere.osm.pbf"


def test_unknown_suffix_is_input_error(tmp_path):
    path = tmp_path / "roads.shp"
    path.write_text("x")
    with pytest.raises(InputError, match="unsupported road network file type") as info:
        load_network(path)
    assert info.value.file == "roads.shp"


def test_malformed_osm_xml_is_input_error(tmp_path):
    path = tmp_path / "broken.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat=')
    with pytest.raises(InputError, match="could not read OSM data") as info:
        load_network(path)
    assert info.value.file == "broken.osm"


def test_corrupt_pbf_is_input_error(tmp_path):
    path = tmp_path / "broken.osm.pbf"
    path.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError, match="could not read OSM data"):
        load_network(path)


def test_file_without_roads_of_the_mode_is_input_error(tmp_path):
    path = tmp_path / "paths.osm"
    path.write_text('<?xml version="1.0"?><osm version="0.6">'
                    '<node id="1" lat="52.67" lon="-0.73"/><node id="2" lat="52.671" lon="-0.73"/>'
                    '<way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>')
    with pytest.raises(InputError, match="no drivable roads in this file"):
        load_network(path)


def test_corrupt_graphml_is_input_error(tmp_path):
    path = tmp_path / "roads.graphml"
    path.write_text("<graphml><graph")
    with pytest.raises(InputError, match="could not read GraphML") as info:
        load_network(path)
    assert info.value.file == "roads.graphml"


def test_unknown_mode_is_input_error():
    with pytest.raises(InputError, match="unknown travel mode 'bike'"):
        load_network(TOWN, mode="bike")


# ---- fetch_network (never touches the network) ------------------------------------------------

@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download while offline")

    monkeypatch.setattr(network_module.socket, "create_connection", refuse)
    monkeypatch.setattr(ox, "graph_from_polygon", no_download)
    monkeypatch.setattr(ox, "geocode_to_gdf", no_download)


def test_fetch_offline_fails_at_once_with_clear_message(offline, tmp_path):
    out = tmp_path / "rutland.graphml"
    with pytest.raises(NetworkUnavailableError, match="needs internet access"):
        fetch_network(region="rutland", out_path=out)
    assert not out.exists()


def test_fetch_unknown_region_is_input_error(offline, tmp_path):
    with pytest.raises(InputError, match="unknown region 'narnia'"):
        fetch_network(region="narnia", out_path=tmp_path / "x.graphml")


def test_fetch_needs_exactly_one_of_region_or_polygon(offline, tmp_path):
    with pytest.raises(InputError, match="exactly one"):
        fetch_network(out_path=tmp_path / "x.graphml")


def test_fetch_buffers_polygon_and_saves_graphml(monkeypatch, tmp_path):
    """With the connectivity check and the download both faked, check the wiring."""
    poly = tmp_path / "patch.poly"
    poly.write_text("patch\n1\n -0.731 52.669\n -0.726 52.669\n -0.726 52.673\n -0.731 52.673\nEND\nEND\n")
    seen = {}

    class Socket:
        def close(self):
            pass

    def fake_download(polygon, **kwargs):
        seen["polygon"], seen["kwargs"] = polygon, kwargs
        return ox.graph_from_xml(TOWN, simplify=True, retain_all=True)

    monkeypatch.setattr(network_module.socket, "create_connection", lambda *a, **k: Socket())
    monkeypatch.setattr(ox, "graph_from_polygon", fake_download)
    out = fetch_network(polygon_path=poly, out_path=tmp_path / "patch.graphml", buffer_m=1000)
    original = shapely.box(-0.731, 52.669, -0.726, 52.673)
    assert seen["polygon"].contains(original)
    # 1 km of buffer is about 0.009 degrees of latitude.
    assert seen["polygon"].bounds[3] == pytest.approx(52.673 + 1000 / 111_200, abs=2e-4)
    assert seen["kwargs"]["network_type"] == "drive_service"
    assert load_network(out).source_name == "patch.graphml"


def _two_node_graph(highway) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=-0.73, y=52.67)
    graph.add_node(2, x=-0.72, y=52.67)
    for u, v in [(1, 2), (2, 1)]:
        graph.add_edge(u, v, length=1000.0, highway=list(highway))
    return graph


@pytest.mark.parametrize("order", [["tertiary", "residential"], ["residential", "tertiary"]])
def test_merged_edge_takes_its_slowest_class_whatever_the_list_order(order):
    # osmnx simplification lists merged classes in hash-seed order; the speed must not
    # depend on it (it once changed the network fingerprint from run to run).
    network = RoadNetwork.from_graph(_two_node_graph(order))
    assert edge(network, 1, 2)["speed_kph"] == pytest.approx(
        UK_SPEEDS_KPH["residential"] * DRIVE_SPEED_FACTOR, abs=0.01)
