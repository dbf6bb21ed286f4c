"""One rounding rule for duplicate savings: duplicates.csv, the terminal table and
report.html show the same minutes, and totals are the sums of the figures shown."""

from __future__ import annotations

import csv
import re
from dataclasses import replace

import pytest

from carerounds.scheduler.duplicates import find_duplicate_visits, format_duplicates
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.outputs import write_duplicates_csv
from carerounds.scheduler.render.report import write_plan_report
from carerounds.scheduler.travel import build_travel
from carerounds.scheduler.units import (
    format_carer_hours,
    total_minutes,
    whole_minutes,
)

from ...conftest import PLAN_DATE
from .test_report import hostile

__all__ = ["hostile"]

#: 11 min 40 s: 11 when cut down, 12 when rounded; two of them are 23.3 min, shown 24.
TRIP_S = 11 * 60 + 40


@pytest.fixture
def pairs(hostile):
    day, _ = hostile
    (pair,) = find_duplicate_visits(day, travel=build_travel(day))
    first = replace(pair, travel_saved_s=TRIP_S)
    return (first, replace(first, visit_a="V1b", visit_b="V2b"))


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (29, 0), (30, 1), (89, 1),
                                                  (90, 2), (TRIP_S, 12), (-90, -1)])
def test_whole_minutes_rounds_halves_up(seconds, minutes):
    assert whole_minutes(seconds) == minutes


def test_total_minutes_is_the_sum_of_the_rounded_parts():
    assert total_minutes([TRIP_S, TRIP_S]) == 24  # 23.3 min of seconds, 12 + 12 as shown


def test_carer_hours_are_named_as_such():
    assert format_carer_hours(2 * 30 * 60) == "1.0 carer-hours"  # a 30-minute double-up


def test_csv_terminal_and_html_show_the_same_travel_saved(hostile, pairs, tmp_path):
    day, rota = hostile
    write_duplicates_csv(pairs, day, tmp_path / "duplicates.csv")
    rows = list(csv.DictReader((tmp_path / "duplicates.csv").open(encoding="utf-8")))
    assert {r["travel_saved_min"] for r in rows} == {"12"}
    terminal = format_duplicates(pairs)
    assert re.findall(r" (\d+)m$", terminal, flags=re.M) == ["12", "12"]
    assert "about 24 min of travel" in terminal
    write_plan_report(day, rota, build_travel(day), tmp_path / "out", duplicates=pairs)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert re.findall(r">(\d+)</td></tr>", html.split("Duplicate visits by")[1])[:2] == [
        "12", "12"]
    assert "about 24 min of travel" in html and "~24 min travel to save" in html
    assert "1.0 carer-hours of care" in html  # two pairs of 30 carer-min each


def test_the_pair_reason_uses_the_same_rounding(tiny_dir):
    day = read_day(tiny_dir, date=PLAN_DATE)
    (pair,) = find_duplicate_visits(day, travel=build_travel(day))
    assert pair.travel_saved_s is not None  # the tiny day's V3/V5 pair has a trip to save
    assert f"saves ~{whole_minutes(pair.travel_saved_s)} min travel" in pair.reason
