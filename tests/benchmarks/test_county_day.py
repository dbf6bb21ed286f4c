"""The county-day benchmark's bound on a small sample day (benchmarks/county_day.py)."""

from __future__ import annotations

from benchmarks import county_day

from carerounds.scheduler.sample import generate_sample, write_sample


def test_the_bound_with_whole_visits_is_no_looser_than_the_lp(tmp_path):
    write_sample(generate_sample("midlothian", date=county_day.DATE, seed=1, size="small"),
                 tmp_path)
    found = county_day.bound(tmp_path, integer_s=5.0)
    assert found["integer_s"] == 5.0 and found["blocks"] >= 1
    assert found["bound"] <= found["lp"] + 1e-6
    assert found["placeable"] <= found["visits"]
    assert found["placeable"] == int(found["bound"] + 1e-6)

