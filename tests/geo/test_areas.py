"""Tests for carerounds.geo.areas: reading patch polygons and point-in-polygon assignment."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas
import pytest
import shapely

from carerounds.errors import InputError
from carerounds.geo import Area, assign_areas, read_areas

BOUNDARIES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "osm" / "boundaries"


def square(west: float, south: float, size: float = 0.1) -> list:
    return [[[west, south], [west + size, south], [west + size, south + size],
             [west, south + size], [west, south]]]


def feature(properties: dict, coordinates: list, kind: str = "Polygon") -> dict:
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": kind, "coordinates": coordinates}}


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture
def patches(tmp_path) -> Path:
    """Two patches side by side: West (-3.1..-3.0) and East (-3.0..-2.9), 55.8..55.9."""
    return write_geojson(tmp_path / "patches.geojson", [
        feature({"name": "West", "code": "P1"}, square(-3.1, 55.8)),
        feature({"name": "East", "code": "P2"}, square(-3.0, 55.8)),
    ])


def test_read_geojson_names_areas_by_name_field(patches):
    areas = read_areas(patches)
    assert [a.name for a in areas] == ["West", "East"]
    assert isinstance(areas[0].geometry, shapely.Polygon)


def test_name_field_can_be_chosen(patches):
    assert [a.name for a in read_areas(patches, name_field="code")] == ["P1", "P2"]


def test_ons_style_name_field_is_guessed(tmp_path):
    path = write_geojson(tmp_path / "wards.geojson", [
        feature({"WD13CD": "S13002", "WD13NM": "Dalkeith"}, square(-3.1, 55.8))])
    assert read_areas(path)[0].name == "Dalkeith"


def test_unknown_name_field_is_input_error_listing_fields(patches):
    with pytest.raises(InputError, match=r"no such field; the features have \['name', 'code'\]") as info:
        read_areas(patches, name_field="ward")
    assert info.value.file == "patches.geojson" and info.value.field == "ward"


def test_feature_without_name_is_input_error_naming_row(tmp_path):
    path = write_geojson(tmp_path / "p.geojson", [
        feature({"name": "A"}, square(0, 50)), feature({"name": ""}, square(1, 50))])
    with pytest.raises(InputError, match="feature has no name") as info:
        read_areas(path)
    assert info.value.row == 2


def test_non_polygon_feature_is_input_error_naming_row(tmp_path):
    path = write_geojson(tmp_path / "p.geojson", [
        feature({"name": "A"}, square(0, 50)), feature({"name": "B"}, [0.5, 50.5], kind="Point")])
    with pytest.raises(InputError, match="'B' has a Point, not a polygon") as info:
        read_areas(path)
    assert info.value.row == 2 and info.value.field == "geometry"


def test_geopackage_in_british_national_grid_is_read_in_degrees(tmp_path):
    frame = geopandas.GeoDataFrame({"name": ["Patch 1"]},
                                   geometry=[shapely.Polygon(square(-3.1, 55.8)[0])], crs="EPSG:4326")
    path = tmp_path / "patches.gpkg"
    frame.to_crs("EPSG:27700").to_file(path, driver="GPKG")
    (area,) = read_areas(path)
    assert area.geometry.bounds == pytest.approx((-3.1, 55.8, -3.0, 55.9), abs=1e-6)


def test_poly_file_with_a_hole(tmp_path):
    path = tmp_path / "patch.poly"
    path.write_text("south_patch\nouter\n 0 50\n 1 50\n 1 51\n 0 51\nEND\n"
                    "!hole\n 0.4 50.4\n 0.6 50.4\n 0.6 50.6\n 0.4 50.6\nEND\nEND\n")
    (area,) = read_areas(path)
    assert area.name == "south_patch"
    assert assign_areas([50.2, 50.5], [0.2, 0.5], [area]) == ["south_patch", None]


def test_generic_poly_title_falls_back_to_file_stem(tmp_path):
    path = tmp_path / "north.poly"
    path.write_text("polygon\n1\n 0 50\n 1 50\n 1 51\nEND\nEND\n")
    assert read_areas(path)[0].name == "north"


def test_malformed_poly_is_input_error_naming_line(tmp_path):
    path = tmp_path / "bad.poly"
    path.write_text("x\n1\n 0 50\n one fifty\n 1 51\nEND\nEND\n")
    with pytest.raises(InputError, match="expected 'lon lat'") as info:
        read_areas(path)
    assert info.value.file == "bad.poly" and info.value.row == 4


def test_unclosed_poly_ring_is_input_error(tmp_path):
    path = tmp_path / "open.poly"
    path.write_text("x\n1\n 0 50\n 1 50\n 1 51\n")
    with pytest.raises(InputError, match="not closed"):
        read_areas(path)


def test_missing_area_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="not found") as info:
        read_areas(tmp_path / "wards.geojson")
    assert info.value.file == "wards.geojson"


def test_unsupported_area_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="unsupported area file type"):
        read_areas(tmp_path / "wards.kml")


def test_unreadable_geojson_is_input_error(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    with pytest.raises(InputError, match="could not read areas"):
        read_areas(path)


def test_assign_areas_point_in_polygon(patches):
    areas = read_areas(patches)
    names = assign_areas([55.85, 55.85, 55.95, float("nan")], [-3.05, -2.95, -3.05, -3.0], areas)
    assert names == ["West", "East", None, None]


def test_point_on_shared_border_goes_to_first_area(patches):
    areas = read_areas(patches)
    assert assign_areas([55.85], [-3.0], areas) == ["West"]
    assert assign_areas([55.85], [-3.0], areas[::-1]) == ["East"]


def test_assign_areas_with_no_areas_gives_none():
    assert assign_areas([55.85], [-3.0], []) == [None]


def test_area_is_immutable():
    area = Area("A", shapely.box(0, 0, 1, 1))
    with pytest.raises(AttributeError):
        area.name = "B"


@pytest.mark.shared
def test_midlothian_wards_contain_their_towns():
    path = BOUNDARIES / "midlothian_wards_S12000019.geojson"
    if not path.is_file():
        pytest.skip("../shared/data/osm/boundaries is not beside the project root")
    areas = read_areas(path)
    assert len(areas) == 6
    # Town centres: Penicuik, Dalkeith.
    names = assign_areas([55.8318, 55.8937], [-3.2229, -3.0680], areas)
    assert names == ["Penicuik", "Dalkeith"]


@pytest.mark.shared
def test_monmouthshire_poly_outline_contains_its_towns():
    path = BOUNDARIES / "monmouthshire_osm.poly"
    if not path.is_file():
        pytest.skip("../shared/data/osm/boundaries is not beside the project root")
    areas = read_areas(path)
    # Abergavenny, Monmouth, Chepstow; then Cardiff, outside the county.
    assert assign_areas([51.8244, 51.8116, 51.6418, 51.4816], [-3.0170, -2.7163, -2.6750, -3.1791],
                        areas) == [areas[0].name] * 3 + [None]
