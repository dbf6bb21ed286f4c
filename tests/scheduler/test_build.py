"""The routing problem built from a care day: internal job ids never collide with input ids."""

from __future__ import annotations

import json

import pytest

from carerounds.scheduler.build import JOB_PART_SEPARATOR, build_problem, job_id
from carerounds.scheduler.cli import main
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE, tiny_tables, write_day


def _day_with_ids(tmp_path, first: str, second: str):
    """The tiny day with V2 (a double-up) renamed ``first`` and V3 renamed ``second``."""
    tables = tiny_tables()
    tables["visits.csv"][1]["visit_id"] = first
    tables["visits.csv"][2]["visit_id"] = second
    return write_day(tmp_path / "in", tables)


def test_separator_is_not_allowed_in_input_ids(tmp_path):
    from carerounds.errors import InputError

    folder = _day_with_ids(tmp_path, "V2", f"V3{JOB_PART_SEPARATOR}2")
    with pytest.raises(InputError, match="is not a valid id"):
        read_day(folder)


def test_job_ids_of_a_double_up(tmp_path):
    assert job_id("V1", 1) == "V1"
    assert job_id("V1", 2) == f"V1{JOB_PART_SEPARATOR}2"


@pytest.mark.parametrize("second", ["V1/2", "V1-2", "V1.2", "V1_2"])
def test_visit_id_like_a_second_carer_builds_unique_jobs(tmp_path, second):
    day = read_day(_day_with_ids(tmp_path, "V1x", "V1x" + second[2:]), date=PLAN_DATE)
    built = build_problem(day, build_travel(day))
    ids = [job.id for job in built.problem.jobs]
    assert len(ids) == len(set(ids)) == 6  # five visits, one a double-up


def test_double_up_next_to_a_visit_named_like_its_second_carer_plans(tmp_path, capsys):
    # the double-up is V1 and another visit is V1/2: what build.py used to name V1's
    # second carer, so the plan stopped with "duplicate job id 'V1/2'"
    tables = tiny_tables()
    tables["visits.csv"][0]["visit_id"] = "V0"
    tables["visits.csv"][1]["visit_id"] = "V1"  # carers 2
    tables["visits.csv"][2]["visit_id"] = "V1/2"
    folder = write_day(tmp_path / "in", tables)
    out = tmp_path / "out"
    code = main(["plan", "--inputs", str(folder), "--out", str(out), "--quiet", "--time-limit",
                 "2", "--solution-limit", "20", "--date", PLAN_DATE.isoformat()])
    err = capsys.readouterr().err
    assert code == 0, err
    rota = json.loads((out / "rota.json").read_text(encoding="utf-8"))
    outcomes = {v["visit_id"]: v for v in rota["visits"]}
    assert set(outcomes) == {"V0", "V1", "V1/2", "V4", "V5"}
    assert outcomes["V1"]["status"] == "scheduled" and len(outcomes["V1"]["workers"]) == 2
    assert outcomes["V1/2"]["status"] == "scheduled"
    assert main(["check", "--inputs", str(folder), "--rota", str(out / "rota.json"),
                 "--quiet"]) == 0
