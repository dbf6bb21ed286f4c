"""Re-planning a published rota: events, the fixed past, continuation, changes and the checks."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace

import pytest

from carerounds.errors import InputError
from carerounds.routing import SolveParams
from carerounds.scheduler.check import check_replan, check_rota
from carerounds.scheduler.cli import main
from carerounds.scheduler.events import (
    Event,
    read_added_visits,
    read_events,
    with_added_visits,
)
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.replan import ReplanOptions, replan_day
from carerounds.scheduler.rota import VisitOutcome, rota_digest
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE, ROOT, tiny_tables, write_day

H, M = 3600, 60
SMALL = ROOT / "data" / "samples" / "midlothian-small"
DATE = PLAN_DATE.isoformat()
EVENT_HEADER = "event,worker_id,visit_id,at,until,minutes\n"


def _plan(day, travel):
    return plan_day(day, travel, params=SolveParams(time_limit_s=3, solution_limit=200, seed=1))


def _replan(day, base, travel, at_s, events=(), *, limit=2.0, mode="replan", **options):
    result = replan_day(day, base, travel, at_s=at_s, events=events, mode=mode,
                        params=SolveParams(time_limit_s=limit, seed=1),
                        options=ReplanOptions(**options))
    assert list(result.violations) == []
    return result


def _stops(rota, visit_id):
    return sorted((sh.worker_id, sh.shift, st.start_s, st.end_s)
                  for sh in rota.shifts for st in sh.stops if st.visit_id == visit_id)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = write_day(tmp_path_factory.mktemp("tiny") / "inputs")
    day = read_day(folder, date=PLAN_DATE)
    travel = build_travel(day)
    return folder, day, travel, _plan(day, travel)


@pytest.fixture(scope="module")
def small():
    day = read_day(SMALL, date=PLAN_DATE)
    travel = build_travel(day)
    return day, travel, _plan(day, travel)


@pytest.fixture(scope="module")
def sick(small):
    """The small day re-planned at 10:30 with its busiest later worker off sick."""
    day, travel, base = small
    at = 10 * H + 30 * M
    busy = Counter(sh.worker_id for sh in base.shifts for st in sh.stops if st.start_s >= at)
    worker = busy.most_common(1)[0][0]
    events = (Event("worker_unavailable", worker_id=worker, at_s=at, row=2),)
    return worker, at, _replan(day, base, travel, at, events, limit=4)


# ---- events.csv ----------------------------------------------------------------------------


def test_events_file_reads_every_kind(tmp_path, tiny):
    _, day, _, _ = tiny
    path = tmp_path / "events.csv"
    path.write_text(EVENT_HEADER + "worker_unavailable,W3,,10:00,11:00,\nworker_late,W2,,,,20\n"
                    "visit_cancelled,,V5,,,\nvisit_overrun,,V1,,,15\n", encoding="utf-8")
    events = read_events(path, day)
    assert [e.kind for e in events] == ["worker_unavailable", "worker_late", "visit_cancelled",
                                        "visit_overrun"]
    assert (events[0].at_s, events[0].until_s) == (10 * H, 11 * H)
    assert events[1].extra_s == 20 * M and events[1].at_s is None
    assert events[3].describe() == "visit V1 overruns by 15 min (events.csv row 5)"
    assert all(Event.from_record(e.to_record()).same_as(e) for e in events)


@pytest.mark.parametrize("row, field, message", [
    ("worker_sick,W1,,,,", "event", "not one of"),
    ("worker_unavailable,W9,,,,", "worker_id", "unknown worker"),
    ("visit_cancelled,,V99,,,", "visit_id", "unknown visit"),
    ("visit_cancelled,W1,V1,,,", "worker_id", "does not use worker_id"),
    ("visit_overrun,,V1,,,", "minutes", "is empty"),
    ("visit_overrun,,V1,,,ten", "minutes", "not a whole number"),
    ("worker_late,W1,,,,0", "minutes", "outside 1..720"),
    ("worker_unavailable,W1,,7.30,,", "at", "not a time"),
    ("worker_unavailable,W1,,11:00,10:00,", "until", "until must be after at"),
])
def test_bad_event_names_file_row_and_field(tmp_path, tiny, row, field, message):
    _, day, _, _ = tiny
    path = tmp_path / "events.csv"
    path.write_text(EVENT_HEADER + "visit_overrun,,V2,,,5\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_events(path, day)
    assert (err.value.file, err.value.row, err.value.field) == ("events.csv", 3, field)
    assert message in str(err.value)


def test_two_events_about_one_visit_are_an_error(tmp_path, tiny):
    _, day, _, _ = tiny
    path = tmp_path / "events.csv"
    path.write_text(EVENT_HEADER + "visit_overrun,,V2,,,5\nvisit_cancelled,,V2,,,\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="already has an event on row 2"):
        read_events(path, day)


def test_added_visit_with_a_known_id_is_an_error(tmp_path, tiny):
    folder, day, _, _ = tiny
    path = tmp_path / "urgent.csv"
    path.write_text((folder / "visits.csv").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match="already in visits.csv") as err:
        read_added_visits(path, day)
    assert (err.value.file, err.value.row, err.value.field) == ("urgent.csv", 2, "visit_id")


# ---- the fixed past and continuation --------------------------------------------------------


def test_nothing_happened_changes_nothing(tiny):
    _, day, travel, base = tiny
    result = _replan(day, base, travel, 9 * H + 30 * M)
    assert result.changes == () and result.changed_workers == ()
    assert {o.visit_id: o for o in result.rota.outcomes} == {o.visit_id: o for o in base.outcomes}


def test_visits_started_before_at_are_kept_exactly(small, sick):
    day, travel, base = small
    worker, at, result = sick
    started = [o for o in base.outcomes if o.status == "scheduled" and o.start_s < at]
    assert started and set(result.fixed) == {o.visit_id for o in started}
    new = {o.visit_id: o for o in result.rota.outcomes}
    for o in started:
        assert new[o.visit_id] == o
        assert _stops(result.rota, o.visit_id) == _stops(base, o.visit_id)
    for sh in result.rota.shifts:
        assert all(st.start_s >= at for st in sh.stops if st.visit_id not in result.fixed)


def test_sick_workers_later_visits_are_replaced_or_unplaced_with_a_reason(small, sick):
    day, travel, base = small
    worker, at, result = sick
    theirs = [o for o in base.outcomes if o.status == "scheduled" and worker in o.workers
              and o.start_s >= at]
    assert theirs
    new = {o.visit_id: o for o in result.rota.outcomes}
    for o in theirs:
        now = new[o.visit_id]
        if now.status == "scheduled":
            assert worker not in now.workers
        else:
            assert now.status == "unplaced" and f"{worker} unavailable from 10:30" in now.reason
    assert not [st for sh in result.rota.shifts if sh.worker_id == worker
                for st in sh.stops if st.start_s >= at]


def test_double_ups_stay_synchronised(small, sick):
    day, _, _ = small
    _, _, result = sick
    doubles = [o for o in result.rota.scheduled if day.visit_by_id[o.visit_id].carers == 2]
    assert doubles
    for o in doubles:
        stops = _stops(result.rota, o.visit_id)
        assert len({s[2] for s in stops}) == 1 and len({s[0] for s in stops}) == 2
        partners = {sh.worker_id: st.partner for sh in result.rota.shifts for st in sh.stops
                    if st.visit_id == o.visit_id}
        a, b = partners
        assert partners == {a: b, b: a}


def test_unaffected_visits_keep_their_worker_and_time(small, sick):
    _, _, base = small
    worker, at, result = sick
    new = {o.visit_id: o for o in result.rota.outcomes}
    later = [o for o in base.scheduled if o.start_s >= at and worker not in o.workers]
    kept = [o for o in later if new[o.visit_id].status == "scheduled"
            and set(new[o.visit_id].workers) == set(o.workers)
            and abs(new[o.visit_id].start_s - o.start_s) <= 15 * M]
    assert len(kept) >= 0.8 * len(later)


def test_absence_before_at_releases_a_visit_it_stopped(tiny):
    _, day, travel, base = tiny
    assert base.outcome("V1").workers == ("W1",) and base.outcome("V1").start_s < 7 * H + 40 * M
    events = (Event("worker_unavailable", worker_id="W1", at_s=7 * H + 15 * M),)
    result = _replan(day, base, travel, 7 * H + 40 * M, events)
    v1 = result.rota.outcome("V1")
    # only W1 may visit C1 (female carer with medication; W2 excluded, W3 another provider)
    assert v1.status == "unplaced" and "W1 unavailable from 07:15" in v1.reason
    assert "V1" not in result.fixed
    assert result.rota.outcome("V2").status == "unplaced"  # its second carer is gone


def test_a_later_absence_leaves_the_visit_under_way_alone(small):
    day, travel, base = small
    at = 10 * H + 30 * M
    under_way = next((sh.worker_id, st.visit_id) for sh in base.shifts for st in sh.stops
                     if st.start_s < at < st.end_s)
    worker, visit_id = under_way
    result = _replan(day, base, travel, at, (Event("worker_unavailable", worker_id=worker),))
    assert visit_id in result.fixed
    assert _stops(result.rota, visit_id) == _stops(base, visit_id)


def test_mid_shift_absence_keeps_the_worker_away_only_then(small):
    day, travel, base = small
    at, lo, hi = 9 * H, 11 * H, 13 * H
    busy = Counter(sh.worker_id for sh in base.shifts for st in sh.stops if lo <= st.start_s < hi)
    worker = busy.most_common(1)[0][0]
    events = (Event("worker_unavailable", worker_id=worker, at_s=lo, until_s=hi),)
    result = _replan(day, base, travel, at, events)
    theirs = [st for sh in result.rota.shifts if sh.worker_id == worker for st in sh.stops]
    assert not [st for st in theirs if st.start_s < hi and lo < st.end_s]
    assert [st for st in theirs if st.start_s >= hi]  # back at work afterwards


def test_late_worker_starts_later(tiny):
    _, day, travel, base = tiny
    w1 = next(sh for sh in base.shifts if sh.worker_id == "W1" and sh.shift == 1)
    events = (Event("worker_late", worker_id="W1", minutes=20),)
    result = _replan(day, base, travel, 7 * H, events)
    shift = next(sh for sh in result.rota.shifts if sh.worker_id == "W1" and sh.shift == 1)
    assert shift.leave_s >= w1.leave_s + 20 * M
    v1 = result.rota.outcome("V1")
    assert v1.workers == ("W1",) and v1.start_s >= base.outcome("V1").start_s + 15 * M
    change = next(c for c in result.changes if c.visit_id == "V1")
    assert change.change.startswith("moved +") and change.phone_workers == ("W1",)
    assert change.phone_client


def test_overrun_of_a_visit_under_way_delays_what_follows(tiny):
    _, day, travel, base = tiny
    v3 = base.outcome("V3")
    at = v3.start_s + 10 * M
    result = _replan(day, base, travel, at, (Event("visit_overrun", visit_id="V3", minutes=60),))
    assert result.rota.outcome("V3").end_s == v3.start_s + 90 * M
    assert _stops(result.rota, "V3")[0][2] == v3.start_s
    for sh in result.rota.shifts:
        for a, b in zip(sh.stops, sh.stops[1:]):
            assert b.start_s >= a.end_s + b.travel_s


def test_overrun_into_a_visit_already_started_is_an_error(tiny):
    _, day, travel, base = tiny
    with pytest.raises(InputError, match="too late for") as err:
        replan_day(day, base, travel, at_s=10 * H + 30 * M,
                   events=(Event("visit_overrun", visit_id="V1", minutes=120, row=2),))
    assert (err.value.row, err.value.field) == (2, "minutes")


def test_cancelling_a_visit_under_way_is_an_error(tiny):
    _, day, travel, base = tiny
    with pytest.raises(InputError, match="cannot be cancelled"):
        replan_day(day, base, travel, at_s=base.outcome("V1").start_s + 5 * M,
                   events=(Event("visit_cancelled", visit_id="V1"),))


def test_cancellation_frees_time_for_an_unplaced_visit(tmp_path):
    tables = tiny_tables()
    tables["visits.csv"].append({**tables["visits.csv"][3], "visit_id": "V6", "client_id": "C2",
                                 "window_start": "17:00", "window_end": "17:05",
                                 "duration_min": "60"})
    day = read_day(write_day(tmp_path / "inputs", tables), date=PLAN_DATE)
    travel = build_travel(day)
    base = _plan(day, travel)
    # W1 alone may do V4 and V6 in the evening, and cannot do both
    statuses = {base.outcome(v).status for v in ("V4", "V6")}
    assert statuses == {"scheduled", "unplaced"}
    done, waiting = sorted(("V4", "V6"), key=lambda v: base.outcome(v).status != "scheduled")
    result = _replan(day, base, travel, 12 * H, (Event("visit_cancelled", visit_id=done),))
    assert result.rota.outcome(done).status == "cancelled"
    assert result.rota.outcome(waiting).status == "scheduled"
    kinds = {c.visit_id: c for c in result.changes}
    assert kinds[done].change == "cancelled" and kinds[done].phone_workers == ("W1",)
    assert kinds[waiting].change == "placed (was unplaced)" and kinds[waiting].phone_client


def test_added_visit_is_placed(tmp_path, tiny):
    folder, day, travel, base = tiny
    path = tmp_path / "discharge.csv"
    path.write_text("visit_id,client_id,provider_id,window_start,window_end,duration_min,carers,"
                    "skills,priority,service,tasks\nH1,C2,P1,10:30,11:30,30,1,,high,"
                    "hospital_discharge,settle home\n", encoding="utf-8")
    bigger = with_added_visits(day, *read_added_visits(path, day))
    result = _replan(bigger, base, travel, 10 * H)
    assert result.rota.outcome("H1").status == "scheduled"
    assert result.rota.run["replan"]["added_visits"] == ["H1"]
    assert next(c for c in result.changes if c.visit_id == "H1").change == "added, placed"


def test_scratch_mode_keeps_the_same_fixed_past(small, sick):
    day, travel, base = small
    worker, at, replanned = sick
    scratch = _replan(day, base, travel, at, replanned.events, mode="scratch", limit=4)
    assert scratch.fixed == replanned.fixed
    assert scratch.rota.run["replan"]["mode"] == "scratch"


# ---- changes, records and checks -----------------------------------------------------------


def test_changes_say_who_to_phone(small, sick):
    _, _, base = small
    worker, at, result = sick
    theirs = {o.visit_id for o in base.scheduled if worker in o.workers and o.start_s >= at}
    rows = {c.visit_id: c for c in result.changes}
    assert theirs <= set(rows)
    for visit_id in theirs:
        c = rows[visit_id]
        assert worker in c.old_workers and worker not in c.phone_workers  # they phoned in
        assert c.phone_client
        assert set(c.new_workers) - set(c.old_workers) <= set(c.phone_workers)
    quiet = [c for c in result.changes if "within tolerance" in c.change]
    assert all(not c.needs_call for c in quiet)


def test_run_record_names_the_base_rota_and_events(sick, small):
    _, _, base = small
    worker, at, result = sick
    record = result.rota.run["replan"]
    assert (record["at"], record["at_s"], record["mode"]) == ("10:30", at, "replan")
    assert record["base_rota_sha256"] == rota_digest(base)
    assert [Event.from_record(r).same_as(e) for r, e in zip(record["events"], result.events)] \
        == [True]


def test_check_replan_catches_a_tampered_past(small, sick):
    day, travel, base = small
    _, _, result = sick
    visit_id = result.fixed[0]
    shifts = [replace(sh, stops=tuple(replace(st, start_s=st.start_s + 5 * M,
                                              end_s=st.end_s + 5 * M)
                                      if st.visit_id == visit_id else st for st in sh.stops))
              for sh in result.rota.shifts]
    tampered = replace(result.rota, shifts=tuple(shifts))
    kinds = {v.kind for v in check_replan(day, base, result.events, tampered, travel)}
    assert "fixed_changed" in kinds
    other = (Event("worker_unavailable", worker_id="W001", at_s=12 * H),)
    assert "events" in {v.kind for v in check_replan(day, base, other, result.rota, travel)}
    assert "base_rota" in {v.kind for v in check_replan(day, result.rota, result.events,
                                                        result.rota, travel)}


def test_check_replan_catches_a_lost_visit_and_a_visit_moved_into_the_past(small, sick):
    day, travel, base = small
    _, at, result = sick
    later = next(o for o in result.rota.scheduled if o.visit_id not in result.fixed)
    lost = replace(result.rota, outcomes=tuple(o for o in result.rota.outcomes
                                               if o.visit_id != later.visit_id))
    assert "lost" in {v.kind for v in check_replan(day, base, result.events, lost, travel)}
    early = replace(result.rota, shifts=tuple(
        replace(sh, stops=tuple(replace(st, start_s=at - M) if st.visit_id == later.visit_id
                                else st for st in sh.stops)) for sh in result.rota.shifts))
    assert "past" in {v.kind for v in check_replan(day, base, result.events, early, travel)}


def test_check_rota_accepts_cancelled_only_with_a_replan_record(tiny):
    _, day, travel, base = tiny
    outcomes = tuple(VisitOutcome("V4", "cancelled", "P1", reason="client in hospital")
                     if o.visit_id == "V4" else o for o in base.outcomes)
    shifts = tuple(replace(sh, stops=()) if any(st.visit_id == "V4" for st in sh.stops) else sh
                   for sh in base.shifts)
    rota = replace(base, shifts=shifts, outcomes=outcomes)
    assert "status" in {v.kind for v in check_rota(day, rota, travel)}


# ---- the command line ----------------------------------------------------------------------


def test_cli_replan_end_to_end(tmp_path, tiny, capsys):
    folder, _, _, _ = tiny
    plan = tmp_path / "plan"
    assert main(["plan", "--inputs", str(folder), "--out", str(plan), "--date", DATE,
                 "--time-limit", "3", "--solution-limit", "50", "--quiet"]) == 0
    events = tmp_path / "events.csv"
    events.write_text(EVENT_HEADER + "worker_unavailable,W3,,09:30,,\n", encoding="utf-8")
    out = tmp_path / "replan"
    capsys.readouterr()
    assert main(["replan", "--inputs", str(folder), "--rota", str(plan / "rota.json"),
                 "--at", "09:30", "--events", str(events), "--out", str(out),
                 "--time-limit", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "Re-planned from 09:30 with 1 event(s)" in printed and "Check: VALID" in printed
    for name in ("rota.json", "rota.csv", "unplaced.csv", "changes.csv"):
        assert (out / name).is_file(), name
    data = json.loads((out / "rota.json").read_text(encoding="utf-8"))
    assert data["run"]["replan"]["events"][0]["worker_id"] == "W3"
    rows = list(csv.DictReader((out / "changes.csv").open(encoding="utf-8")))
    assert rows and all(r["old_workers"] == "W3" for r in rows if r["visit_id"] == "V5")
    assert main(["check", "--inputs", str(folder), "--rota", str(out / "rota.json"),
                 "--base-rota", str(plan / "rota.json"), "--events", str(events),
                 "--quiet"]) == 0
    assert "VALID" in capsys.readouterr().out


def test_cli_bad_events_exit_2(tmp_path, tiny, capsys):
    folder, _, _, base = tiny
    plan = tmp_path / "plan"
    plan.mkdir()
    from carerounds.scheduler.outputs import write_rota_json

    write_rota_json(base, plan / "rota.json")
    events = tmp_path / "events.csv"
    events.write_text(EVENT_HEADER + "worker_unavailable,W42,,,,\n", encoding="utf-8")
    assert main(["replan", "--inputs", str(folder), "--rota", str(plan / "rota.json"),
                 "--at", "09:30", "--events", str(events), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "events.csv" in err and "row 2" in err and "worker_id" in err
    assert main(["replan", "--inputs", str(folder), "--rota", str(plan / "rota.json"),
                 "--at", "25:00", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "--at" in capsys.readouterr().err


def test_a_replan_of_a_replan_carries_what_happened(small, sick):
    day, travel, night = small
    worker, at, first = sick
    stop = min((st for sh in first.rota.shifts for st in sh.stops if st.start_s >= 11 * H),
               key=lambda st: (st.start_s, st.visit_id))
    under_way, t2 = stop.visit_id, stop.start_s + M
    later = sorted(o.visit_id for o in first.rota.scheduled if o.start_s >= t2 + 60 * M)
    events = (Event("visit_cancelled", visit_id=later[0], file="events.csv", row=2),
              Event("visit_overrun", visit_id=under_way, minutes=25, file="events.csv", row=3))
    second = _replan(day, first.rota, travel, t2, events)
    third = _replan(day, second.rota, travel, t2 + 30 * M)
    record = third.rota.run["replan"]
    assert record["cancelled"] == [later[0]] and record["overrun_s"] == {under_way: 25 * M}
    assert [a["worker_id"] for a in record["absences"]] == [worker]
    assert third.rota.outcome(later[0]).status == "cancelled"
    booked = day.visit_by_id[under_way].service_s
    stops = _stops(third.rota, under_way)
    assert stops and all(e - s == booked + 25 * M for _, _, s, e in stops)
    assert not [st for sh in third.rota.shifts if sh.worker_id == worker
                for st in sh.stops if st.start_s >= at]  # still off sick
    assert not [c for c in third.changes if c.visit_id == later[0]]
    assert check_replan(day, second.rota, (), third.rota, travel) == []


def test_replan_has_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["replan", "--help"])
    assert done.value.code == 0
    assert "usage: carerounds replan" in capsys.readouterr().out
