"""Overtime and waiting in the run record and the printed rota summary."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carerounds.routing import SolveParams, Weights
from carerounds.scheduler.build import PlanOptions
from carerounds.scheduler.check import check_rota
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.rota import format_summary, summarise
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE

PARAMS = SolveParams(time_limit_s=2, solution_limit=30, seed=1)


@pytest.fixture
def day(tiny_dir):
    return read_day(tiny_dir, date=PLAN_DATE)


def test_unpriced_run_record_keeps_its_shape_and_the_summary_shows_both(day):
    from carerounds.scheduler.model import TravelBuffer

    # without the travel buffer, waiting is every second between arriving and starting
    options = PlanOptions(buffer=TravelBuffer(min_s=0, share_bp=0))
    rota = plan_day(day, build_travel(day), params=PARAMS, options=options)
    assert "waiting_s" not in rota.run and "overtime_s" not in rota.run
    assert "waiting_s" not in rota.run["weights"]
    summary = summarise(rota, day)
    assert summary.waiting_s == sum(s.start_s - s.arrival_s for sh in rota.shifts
                                    for s in sh.stops)
    # with it, the buffer kept between addresses is not idle waiting
    buffered = plan_day(day, build_travel(day), params=PARAMS, options=PlanOptions())
    raw = sum(s.start_s - s.arrival_s for sh in buffered.shifts for s in sh.stops)
    assert summarise(buffered, day).waiting_s < raw
    text = format_summary(summary)
    assert "Overtime:        0.0 h past shift ends" in text
    assert "Waiting:" in text


def test_priced_waiting_is_recorded_and_summarised(day):
    travel = build_travel(day)
    options = PlanOptions(weights=Weights(waiting_s=1))
    rota = plan_day(day, travel, params=PARAMS, options=options)
    assert check_rota(day, rota, travel) == []
    assert rota.run["weights"]["waiting_s"] == 1
    summary = summarise(rota, day)
    assert rota.run["waiting_s"] == summary.waiting_s
    assert rota.run["overtime_s"] == summary.overtime_s == 0


def test_summary_counts_overtime_past_each_shift_end(day):
    rota = plan_day(day, build_travel(day), params=PARAMS, options=PlanOptions())
    used = [k for k, sh in enumerate(rota.shifts) if sh.stops]
    k = used[0]
    late = replace(rota.shifts[k], return_s=rota.shifts[k].shift_end_s + 1800)
    shifts = rota.shifts[:k] + (late,) + rota.shifts[k + 1:]
    summary = summarise(replace(rota, shifts=shifts), day)
    assert summary.overtime_s == 1800
    assert "Overtime:        0.5 h past shift ends" in format_summary(summary)
