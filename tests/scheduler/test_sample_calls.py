"""``carerounds sample`` writes calls.csv and the rota they were made from; ``actuals`` reads them."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from carerounds.scheduler.actuals import CALLS_COLUMNS, read_calls
from carerounds.scheduler.cli import main
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.rota import read_rota
from carerounds.scheduler.sample_calls import make_calls, plan_sample_rota

DATE = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    assert main(["sample", "--region", "midlothian", "--size", "small", "--seed", "1",
                 "--date", DATE.isoformat(), "--out", str(out)]) == 0
    return out


def test_sample_writes_calls_in_the_format_actuals_reads(sample_dir):
    with (sample_dir / "calls.csv").open(encoding="utf-8", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == CALLS_COLUMNS
    day = read_day(sample_dir, date=DATE)
    calls = read_calls(sample_dir / "calls.csv")
    workers = {w.worker_id for w in day.workers}
    assert calls and all(c.worker_id in workers and c.visit_id in day.visit_by_id
                         for c in calls)


def test_actuals_on_a_sample_finds_late_short_missed_and_unplanned(sample_dir, tmp_path):
    out = tmp_path / "actuals.csv"
    assert main(["actuals", "--rota", str(sample_dir / "calls_rota.json"), "--calls",
                 str(sample_dir / "calls.csv"), "--inputs", str(sample_dir),
                 "--out", str(out)]) == 1
    with out.open(encoding="utf-8", newline="") as handle:
        seen = {c for row in csv.DictReader(handle) for c in row["categories"].split(";") if c}
    assert {"on_time", "late", "short", "missed", "unplanned"} <= seen


def test_sample_calls_mostly_on_time(sample_dir):
    day = read_day(sample_dir, date=DATE)
    rota = read_rota(sample_dir / "calls_rota.json")
    kinds = [c.kind for c in make_calls(day, rota, seed=1)]
    assert kinds.count("on_time") > len(kinds) / 2


def test_sample_calls_rota_is_the_quick_rota_of_the_seed(sample_dir):
    day = read_day(sample_dir, date=DATE)
    rota = read_rota(sample_dir / "calls_rota.json")
    again = plan_sample_rota(day, seed=1)
    assert (rota.shifts, rota.outcomes) == (again.shifts, again.outcomes)
    assert "created" not in rota.run
