"""Tests for carerounds.geo.snap on the hand-made town in tests/fixtures/osm/town.osm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carerounds.errors import InputError
from carerounds.geo import RoadNetwork, load_network, snap_locations

TOWN = Path(__file__).resolve().parents[1] / "fixtures" / "osm" / "town.osm"
METRES_PER_DEGREE_LAT = 111_250  # at 52.67 N
NODE_5 = (52.6710, -0.7285)
NODE_2 = (52.6700, -0.7285)


@pytest.fixture(scope="module")
def drive() -> RoadNetwork:
    return load_network(TOWN)


@pytest.fixture(scope="module")
def walk() -> RoadNetwork:
    return load_network(TOWN, mode="walk")


def south_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] - metres / METRES_PER_DEGREE_LAT, point[1]


def test_point_on_a_node_snaps_to_it_at_zero_metres(drive):
    snapping = snap_locations(drive, [NODE_5[0]], [NODE_5[1]])
    assert snapping.nodes.tolist() == [5]
    assert snapping.snap_m.tolist() == [0]


def test_snap_distance_is_in_metres(drive):
    lat, lon = south_of(NODE_2, 60)
    snapping = snap_locations(drive, [lat], [lon])
    assert snapping.nodes.tolist() == [2]
    assert abs(int(snapping.snap_m[0]) - 60) <= 1


def test_far_point_gets_a_warning_naming_its_label(drive):
    lat, lon = south_of(NODE_2, 1500)
    snapping = snap_locations(drive, [NODE_5[0], lat], [NODE_5[1], lon],
                              labels=["clients.csv row 2, client C001", "clients.csv row 7, client C012"])
    assert snapping.nodes.tolist() == [5, 2]
    assert len(snapping.warnings) == 1
    assert snapping.warnings[0].startswith("clients.csv row 7, client C012: 1,50")
    assert "m from the nearest drivable road" in snapping.warnings[0]


def test_max_snap_m_sets_the_warning_distance(drive):
    lat, lon = south_of(NODE_2, 1500)
    assert snap_locations(drive, [lat], [lon], max_snap_m=2000).warnings == ()
    assert len(snap_locations(drive, [lat], [lon], max_snap_m=1000).warnings) == 1


def test_point_outside_network_area_is_input_error_naming_label(drive):
    lat, lon = south_of(NODE_2, 20_000)
    with pytest.raises(InputError, match=r"^clients.csv row 9, client C077: about 20\.0 km outside"):
        snap_locations(drive, [NODE_5[0], lat], [NODE_5[1], lon],
                       labels=["workers.csv row 2, worker W1", "clients.csv row 9, client C077"])


def test_outside_area_error_counts_the_other_points(drive):
    lat, lon = south_of(NODE_2, 20_000)
    with pytest.raises(InputError, match=r"\(2 more points with the same problem\)"):
        snap_locations(drive, [lat, lat, lat], [lon, lon, lon])


def test_area_margin_m_sets_how_far_outside_is_allowed(drive):
    lat, lon = south_of(NODE_2, 3000)
    assert snap_locations(drive, [lat], [lon]).nodes.tolist() == [2]  # default margin 5 km
    with pytest.raises(InputError, match="outside the area"):
        snap_locations(drive, [lat], [lon], area_margin_m=1000)


def test_swapped_latitude_and_longitude_get_a_hint(drive):
    with pytest.raises(InputError, match="Latitude and longitude look swapped"):
        snap_locations(drive, [NODE_5[1]], [NODE_5[0]], labels=["clients.csv row 3, client C002"])


def test_outside_area_error_does_not_echo_coordinates(drive):
    lat, lon = south_of(NODE_2, 20_000)
    with pytest.raises(InputError) as info:
        snap_locations(drive, [lat], [lon])
    assert f"{lat:.3f}" not in str(info.value) and "-0.728" not in str(info.value)


def test_missing_coordinate_is_input_error_naming_label(drive):
    with pytest.raises(InputError, match=r"^clients.csv row 4, client C003: latitude/longitude missing"):
        snap_locations(drive, [NODE_5[0], np.nan], [NODE_5[1], -0.73],
                       labels=["a", "clients.csv row 4, client C003"])


def test_out_of_range_coordinate_is_input_error(drive):
    with pytest.raises(InputError, match="out of range"):
        snap_locations(drive, [152.67], [-0.73])


def test_default_labels_are_point_indices(drive):
    lat, lon = south_of(NODE_2, 1500)
    assert snap_locations(drive, [lat], [lon]).warnings[0].startswith("point 0: ")


def test_mismatched_lengths_are_value_errors(drive):
    with pytest.raises(ValueError, match="2 latitudes but 1 longitudes"):
        snap_locations(drive, [52.67, 52.67], [-0.73])
    with pytest.raises(ValueError, match="1 labels for 2 points"):
        snap_locations(drive, [52.67, 52.67], [-0.73, -0.73], labels=["x"])


def test_no_points_give_empty_snapping(drive):
    snapping = snap_locations(drive, [], [])
    assert snapping.nodes.shape == (0,) and snapping.warnings == ()


def test_snapping_arrays_are_read_only(drive):
    snapping = snap_locations(drive, [NODE_5[0]], [NODE_5[1]])
    with pytest.raises(ValueError):
        snapping.nodes[0] = 1


def test_each_mode_snaps_to_its_own_network(drive, walk):
    # Beside the island lane: walkers reach it by the footpath, drivers cannot.
    island_end = (52.6720, -0.7135)
    assert snap_locations(walk, [island_end[0]], [island_end[1]]).nodes.tolist() == [22]
    driving = snap_locations(drive, [island_end[0]], [island_end[1]])
    assert driving.nodes.tolist() != [22]
    assert driving.snap_m[0] > 800
