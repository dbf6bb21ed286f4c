"""The independent checker: a valid hand-built rota passes, and each broken rule is caught."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carerounds.routing import SolveParams
from carerounds.scheduler.check import check_rota
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE

H = 3600
M = 60


@pytest.fixture
def day(tiny_dir):
    return read_day(tiny_dir, date=PLAN_DATE)


@pytest.fixture
def travel(day):
    return build_travel(day)


def _shift(day, travel, worker_id, number, visits, *, leave_s=None, partner=None):
    """A shift visiting (visit_id, start_s) in order with travel from the matrix."""
    worker = day.worker_by_id[worker_id]
    shift = worker.shifts[number - 1]
    seconds = travel.matrices[worker.travel_mode].duration_s
    metres = travel.matrices[worker.travel_mode].distance_m
    home = travel.location("worker", worker_id)
    place = home
    ready = leave_s if leave_s is not None else shift.start_s
    leave = ready
    stops = []
    for visit_id, start_s in visits:
        visit = day.visit_by_id[visit_id]
        target = travel.location("client", visit.client_id)
        arrival = ready + int(seconds[place, target])
        stops.append(PlannedStop(visit_id, visit.client_id, arrival, start_s,
                                 start_s + visit.service_s, int(seconds[place, target]),
                                 int(metres[place, target]), (partner or {}).get(visit_id)))
        place, ready = target, start_s + visit.service_s
    back = int(seconds[place, home])
    return PlannedShift(worker_id, worker.provider_id, number, shift.start_s, shift.end_s,
                        worker.travel_mode, leave, ready + back, tuple(stops), back,
                        int(metres[place, home]))


@pytest.fixture
def valid_rota(day, travel):
    shifts = (
        _shift(day, travel, "W1", 1, [("V1", 7 * H + 30 * M), ("V2", 9 * H)],
               partner={"V2": "W2"}),
        _shift(day, travel, "W1", 2, [("V4", 17 * H)]),
        _shift(day, travel, "W2", 1, [("V2", 9 * H)], leave_s=8 * H, partner={"V2": "W1"}),
        _shift(day, travel, "W3", 1, [("V3", 8 * H), ("V5", 10 * H)]),
    )
    outcomes = (
        VisitOutcome("V1", "scheduled", "P1", ("W1",), 7 * H + 30 * M, 8 * H),
        VisitOutcome("V2", "scheduled", "P1", ("W1", "W2"), 9 * H, 9 * H + 45 * M),
        VisitOutcome("V3", "scheduled", "P2", ("W3",), 8 * H, 8 * H + 30 * M),
        VisitOutcome("V4", "scheduled", "P1", ("W1",), 17 * H, 17 * H + 15 * M),
        VisitOutcome("V5", "scheduled", "P2", ("W3",), 10 * H, 10 * H + 30 * M),
    )
    return Rota(PLAN_DATE, shifts, outcomes, run={"roads": None, "pool": False})


def _kinds(violations):
    return sorted({v.kind for v in violations})


def _with_shift(rota, index, shift):
    shifts = list(rota.shifts)
    shifts[index] = shift
    return replace(rota, shifts=tuple(shifts))


def test_valid_rota_passes(day, travel, valid_rota):
    assert check_rota(day, valid_rota, travel) == []


def test_missing_visit_is_caught(day, travel, valid_rota):
    rota = replace(valid_rota, outcomes=valid_rota.outcomes[:-1])
    assert "missing_visit" in _kinds(check_rota(day, rota, travel))


def test_unplaced_without_reason_is_caught(day, travel, valid_rota):
    shifts = list(valid_rota.shifts)
    shifts[3] = _shift(day, travel, "W3", 1, [("V3", 8 * H)])
    outcomes = valid_rota.outcomes[:-1] + (VisitOutcome("V5", "unplaced", None),)
    rota = replace(valid_rota, shifts=tuple(shifts), outcomes=outcomes)
    assert _kinds(check_rota(day, rota, travel)) == ["no_reason"]


def test_start_outside_window_is_caught(day, travel, valid_rota):
    rota = _with_shift(valid_rota, 1, _shift(day, travel, "W1", 2, [("V4", 18 * H + 1 * M)]))
    assert "window" in _kinds(check_rota(day, rota, travel))


def test_wrong_provider_is_caught(day, travel, valid_rota):
    # V3 belongs to P2; W2 works for P1 (and lacks dementia)
    rota = _with_shift(valid_rota, 3, replace(
        _shift(day, travel, "W2", 1, [("V3", 8 * H), ("V5", 10 * H)])))
    kinds = _kinds(check_rota(day, rota, travel))
    assert "provider" in kinds and "skill" in kinds


def test_gender_preference_is_caught(day, travel, valid_rota):
    # C1 asks for a female carer; W2 is male
    rota = _with_shift(valid_rota, 1, _shift(day, travel, "W1", 2, []))
    rota = replace(rota, shifts=rota.shifts + (
        _shift(day, travel, "W2", 1, [("V4", 10 * H)]),))
    assert "gender" in _kinds(check_rota(day, rota, travel))


def test_excluded_worker_is_caught(day, travel, valid_rota):
    # C2 (visit V2) excludes W2
    violations = check_rota(day, valid_rota, travel)
    assert violations == []
    tables_day = replace(day, clients=tuple(
        replace(c, excluded_workers=frozenset({"W1"})) if c.client_id == "C2" else c
        for c in day.clients))
    assert "excluded" in _kinds(check_rota(tables_day, valid_rota, travel))


def test_double_up_not_together_is_caught(day, travel, valid_rota):
    rota = _with_shift(valid_rota, 2, _shift(day, travel, "W2", 1, [("V2", 9 * H + 5 * M)],
                                              leave_s=8 * H))
    assert "double_up" in _kinds(check_rota(day, rota, travel))


def test_double_up_with_one_carer_is_caught(day, travel, valid_rota):
    rota = _with_shift(valid_rota, 2, _shift(day, travel, "W2", 1, []))
    assert "carers" in _kinds(check_rota(day, rota, travel))


def test_too_little_travel_is_caught(day, travel, valid_rota):
    shift = valid_rota.shifts[3]
    stops = list(shift.stops)
    stops[1] = replace(stops[1], travel_s=stops[1].travel_s + 60)
    rota = _with_shift(valid_rota, 3, replace(shift, stops=tuple(stops)))
    assert "travel" in _kinds(check_rota(day, rota, travel))


def test_impossible_arrival_is_caught(day, travel, valid_rota):
    # V3 in Penicuik at 08:00 then V1 in Dalkeith at 08:30 cannot both fit for W1
    rota = _with_shift(valid_rota, 0, replace(
        _shift(day, travel, "W1", 1, [("V1", 7 * H + 30 * M), ("V2", 9 * H)],
               partner={"V2": "W2"})))
    shift = rota.shifts[0]
    stops = list(shift.stops)
    stops[1] = replace(stops[1], arrival_s=stops[0].end_s, start_s=stops[0].end_s,
                       end_s=stops[0].end_s + 45 * M)
    rota = _with_shift(rota, 0, replace(shift, stops=tuple(stops)))
    kinds = _kinds(check_rota(day, rota, travel))
    assert "travel" in kinds


def test_late_return_is_caught(day, travel, valid_rota):
    shift = replace(valid_rota.shifts[1], return_s=20 * H + 1)
    assert "shift" in _kinds(check_rota(day, _with_shift(valid_rota, 1, shift), travel))


def test_overlapping_visits_are_caught(day, travel, valid_rota):
    extra = _shift(day, travel, "W3", 1, [("V3", 8 * H)])
    rota = replace(valid_rota, shifts=valid_rota.shifts + (replace(extra, shift=1),))
    kinds = _kinds(check_rota(day, rota, travel))
    assert "overlap" in kinds


def test_long_working_day_without_break_is_caught(day, travel, valid_rota):
    long_day = replace(day, workers=tuple(
        replace(w, shifts=(replace(w.shifts[0], end_s=14 * H),), max_work_s=None)
        if w.worker_id == "W3" else w for w in day.workers))
    # home at 13:30 after leaving at 07:00: six and a half hours of work
    shift = replace(valid_rota.shifts[3], shift_end_s=14 * H, return_s=13 * H + 30 * M)
    rota = _with_shift(valid_rota, 3, shift)
    assert "break" in _kinds(check_rota(long_day, rota, travel))
    with_break = replace(shift, breaks=(PlannedBreak(10 * H + 40 * M, 20 * M),))
    assert check_rota(long_day, _with_shift(valid_rota, 3, with_break), travel) == []


def test_break_after_return_home_is_caught(day, travel, valid_rota):
    shift = valid_rota.shifts[3]
    late = replace(shift, breaks=(PlannedBreak(shift.return_s + 10 * M, 20 * M),))
    assert "break" in _kinds(check_rota(day, _with_shift(valid_rota, 3, late), travel))


def test_break_overlapping_visit_is_caught(day, travel, valid_rota):
    shift = replace(valid_rota.shifts[3], breaks=(PlannedBreak(8 * H + 10 * M, 20 * M),))
    assert "break" in _kinds(check_rota(day, _with_shift(valid_rota, 3, shift), travel))


def test_max_hours_is_caught(day, travel, valid_rota):
    tight = replace(day, workers=tuple(
        replace(w, max_work_s=1 * H) if w.worker_id == "W3" else w for w in day.workers))
    assert "max_hours" in _kinds(check_rota(tight, valid_rota, travel))


def test_other_travel_source_is_caught(day, travel, valid_rota):
    rota = replace(valid_rota, run={"roads": "rutland-latest.osm.pbf", "pool": False})
    assert _kinds(check_rota(day, rota, travel)) == ["travel_source"]


def test_pool_mode_allows_other_provider(day, travel, valid_rota):
    shifts = list(valid_rota.shifts)
    shifts[3] = _shift(day, travel, "W3", 1, [("V3", 8 * H)])
    shifts[2] = _shift(day, travel, "W2", 1, [("V2", 9 * H), ("V5", 10 * H + 30 * M)],
                       leave_s=8 * H, partner={"V2": "W1"})
    outcomes = tuple(
        VisitOutcome("V5", "scheduled", "P1", ("W2",), 10 * H + 30 * M, 11 * H)
        if o.visit_id == "V5" else o for o in valid_rota.outcomes)
    rota = replace(valid_rota, shifts=tuple(shifts), outcomes=outcomes)
    # V5 has no provider yet, so any provider may take it even without pool
    assert check_rota(day, rota, travel) == []


def test_changed_estimate_is_caught(day, travel, valid_rota):
    rota = replace(valid_rota, run={"roads": None, "pool": False,
                                    "travel": {"drive": "straight-line estimate (older)"}})
    violations = check_rota(day, rota, travel)
    assert _kinds(violations) == ["travel_source"]
    assert "older" in violations[0].detail


def test_checker_judges_breaks_by_the_rule_the_rota_was_planned_with(tiny_dir):
    """Planner, checker and fair-work report share one break rule, read from the run record."""
    from carerounds.scheduler.fairwork import fair_work_checks
    from carerounds.scheduler.model import BREAK_RULE, BreakRule

    day = read_day(tiny_dir, date=PLAN_DATE)
    travel = build_travel(day)
    rota = plan_day(day, travel, params=SolveParams(time_limit_s=1, seed=1))
    assert BreakRule.of_run(rota.run) == BREAK_RULE
    # a stricter rule recorded in the run: every worked stretch over 10 min owes an 8 h break
    strict = replace(rota, run={**rota.run, "break_after_s": 600, "break_s": 8 * 3600})
    assert any(v.kind == "break" for v in check_rota(day, strict, travel))
    assert any(f.rule == "no_break" for f in fair_work_checks(day, strict).flags)
    assert not any(v.kind == "break" for v in check_rota(day, rota, travel))


def test_check_against_other_inputs_names_the_files_that_differ(tiny_dir, tmp_path, capsys):
    from carerounds.scheduler.cli import main

    from ..conftest import tiny_tables, write_day

    out = tmp_path / "out"
    assert main(["plan", "--inputs", str(tiny_dir), "--out", str(out), "--date", "2026-11-24",
                 "--time-limit", "2", "--quiet"]) == 0
    tables = tiny_tables()
    tables["visits.csv"][0]["duration_min"] = "35"
    other = write_day(tmp_path / "other", tables)
    capsys.readouterr()
    assert main(["check", "--inputs", str(other), "--rota", str(out / "rota.json"),
                 "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert "INVALID: 1 violation(s)" in printed
    assert "inputs_changed: visits.csv: differs from the file the rota was planned from" in printed
