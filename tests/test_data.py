"""The sample days in data/ are exactly what the generator makes today."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.sample import generate_sample, write_sample
from carerounds.scheduler.sample_calls import write_sample_calls

DATA = Path(__file__).resolve().parents[1] / "data" / "samples"
DATE = dt.date(2026, 11, 24)


@pytest.mark.parametrize("region", ["midlothian", "monmouthshire"])
def test_committed_sample_matches_the_generator(region, tmp_path):
    committed = DATA / f"{region}-small"
    write_sample(generate_sample(region, date=DATE, seed=1, size="small"), tmp_path)
    write_sample_calls(tmp_path, date=DATE, seed=1)  # calls.csv and calls_rota.json, as sample
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (committed / name).read_text() == (tmp_path / name).read_text(), (
            f"data/samples/{region}-small/{name} differs from the generator: regenerate it "
            "with the command in data/README.md")


@pytest.mark.parametrize("region", ["midlothian", "monmouthshire"])
def test_committed_sample_reads_under_the_csv_contract(region):
    day = read_day(DATA / f"{region}-small", date=DATE)
    assert len(day.visits) > 40 and len(day.workers) > 5
