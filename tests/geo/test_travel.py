"""Tests for carerounds.geo.travel: the straight-line estimate and the matrix type."""

from __future__ import annotations

import numpy as np
import pytest

from carerounds.geo import ESTIMATE_PROFILES, EstimateProfile, TravelMatrix, estimate_matrix, haversine_m


def test_haversine_one_degree_of_latitude():
    assert haversine_m(52.0, -0.7, 53.0, -0.7) == pytest.approx(111_195, rel=1e-4)


def test_haversine_broadcasts():
    distances = haversine_m(np.array([[52.0], [52.5]]), -0.7, np.array([[52.0, 53.0]]), -0.7)
    assert distances.shape == (2, 2)


def test_estimate_applies_circuity_speed_and_overhead():
    profile = EstimateProfile(circuity=1.5, speed_kph=36.0, overhead_s=30)
    matrix = estimate_matrix([52.0, 52.01], [-0.7, -0.7], profile=profile)
    crow = haversine_m(52.0, -0.7, 52.01, -0.7)
    assert matrix.distance_m[0, 1] == round(crow * 1.5)
    assert matrix.duration_s[0, 1] == round(30 + crow * 1.5 / 10.0)
    assert matrix.duration_s.diagonal().tolist() == [0, 0]


def test_estimate_uses_the_calibrated_drive_profile_by_default():
    matrix = estimate_matrix([52.0, 52.01], [-0.7, -0.7])
    drive = ESTIMATE_PROFILES["drive"]
    assert f"circuity {drive.circuity:g}" in matrix.source
    assert f"{drive.speed_kph:g} km/h" in matrix.source


def test_walk_estimate_is_slower_than_drive():
    lats, lons = [52.0, 52.01], [-0.7, -0.7]
    walk = estimate_matrix(lats, lons, mode="walk")
    drive = estimate_matrix(lats, lons, mode="drive")
    assert walk.duration_s[0, 1] > 5 * drive.duration_s[0, 1]
    assert walk.mode == "walk"


def test_estimate_is_symmetric():
    matrix = estimate_matrix([52.0, 52.01, 52.03], [-0.7, -0.68, -0.75])
    assert np.array_equal(matrix.duration_s, matrix.duration_s.T)


def test_unknown_mode_is_value_error():
    with pytest.raises(ValueError, match="unknown travel mode 'bike'"):
        estimate_matrix([52.0], [-0.7], mode="bike")


def test_travel_matrix_arrays_are_int64_and_read_only():
    matrix = TravelMatrix(duration_s=[[0, 1.4], [2, 0]], distance_m=[[0, 10], [20, 0]],
                          mode="drive", source="test")
    assert matrix.duration_s.dtype == np.int64 and matrix.size == 2
    with pytest.raises(ValueError):
        matrix.distance_m[0, 1] = 5
    assert matrix.unreachable == () and matrix.cached_rows == 0
