"""Tests for carerounds.scheduler.travel on the real Rutland roads (skipped when ../shared is absent)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from carerounds.geo import MIN_TRIP_S, haversine_m
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.sample import generate_sample, write_sample
from carerounds.scheduler.travel import build_travel

RUTLAND = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "osm" / "alternatives"
           / "rutland-latest.osm.pbf")
DATE = dt.date(2026, 12, 2)

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def rutland_travel(request, tmp_path_factory):
    if not RUTLAND.is_file():
        pytest.skip("../shared/data/osm/alternatives/rutland-latest.osm.pbf is not beside the project")
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir("carerounds-geo-networks") if cache else tmp_path_factory.mktemp("networks")
    folder = tmp_path_factory.mktemp("rutland")
    write_sample(generate_sample("rutland", date=DATE, seed=1), folder)
    return build_travel(read_day(folder, date=DATE), roads=RUTLAND, cache_dir=cache_dir)


def test_distinct_homes_on_rutland_roads_are_never_zero_seconds_apart(rutland_travel):
    places = rutland_travel.places
    lats = np.array([p.lat for p in places])
    lons = np.array([p.lon for p in places])
    distinct = haversine_m(lats[:, None], lons[:, None], lats[None, :], lons[None, :]) > 1
    seconds = rutland_travel.matrices["drive"].duration_s
    assert distinct.sum() > 1000  # the sample has many homes, some of them close together
    assert seconds[distinct].min() >= MIN_TRIP_S["drive"]


def test_rutland_homes_join_the_road_closer_than_its_junctions(rutland_travel):
    # Edge snapping: a home's offset is to the road itself, so it is rarely large.
    assert np.median(rutland_travel.snap_m["drive"]) < 60
