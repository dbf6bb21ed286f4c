"""Fair-work checks: each rule triggered by a hand-built case, and a clean rota that passes."""

from __future__ import annotations

import csv

import pytest

from carerounds.scheduler.fairwork import RULES, fair_work_checks, short_visit_allowed
from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.outputs import (
    FLAG_COLUMNS,
    WORKER_COLUMNS,
    write_fair_work_csv,
    write_fair_work_workers_csv,
)
from carerounds.scheduler.rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome

from ..conftest import PLAN_DATE

HOME = (55.8950, -3.0680)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def client(cid: str, north_m: float, *, address: str | None = None) -> Client:
    return Client(cid, f"Name {cid}", address or f"{cid} Street", "EH22 1AA",
                  HOME[0] + north_m / 111_195, HOME[1], "Dalkeith", None, frozenset(),
                  frozenset(), "")


def visit(vid: str, cid: str, start: str, minutes: int, *tasks: str) -> Visit:
    return Visit(vid, cid, "P1", hm(start), hm(start) + 1800, minutes * 60, 1, frozenset(),
                 "normal", "integrated", tasks or ("personal care",))


def stop(vid: str, cid: str, start: str, minutes: int, travel_min: int = 5) -> PlannedStop:
    return PlannedStop(vid, cid, hm(start), hm(start), hm(start) + minutes * 60, travel_min * 60,
                       travel_min * 600)


def shift(stops: tuple[PlannedStop, ...], *, worker: str = "W1", number: int = 1,
          back_min: int = 5, breaks: tuple[PlannedBreak, ...] = (),
          hours: tuple[str, str] = ("07:00", "15:00")) -> PlannedShift:
    return PlannedShift(worker, "P1", number, hm(hours[0]), hm(hours[1]), "drive",
                        stops[0].arrival_s - stops[0].travel_s, stops[-1].end_s + back_min * 60,
                        stops, back_min * 60, back_min * 600, breaks)


CLIENTS = (client("C1", 0), client("C2", 800), client("C3", 1600),
           client("C4", 800, address="C2 Street"))  # C4 shares C2's home


def make(visits: tuple[Visit, ...], shifts: tuple[PlannedShift, ...],
         history: dict | None = None, unplaced: tuple[str, ...] = ()) -> tuple[Day, Rota]:
    workers = tuple(Worker(w, "P1", f"Carer {w}", "female", *HOME,
                           (Shift(hm("07:00"), hm("15:00")),), frozenset(), "drive")
                    for w in ("W1", "W2", "W9"))
    day = Day(PLAN_DATE, (Provider("P1", "Council", "in_house"),), workers, CLIENTS, visits,
              history=history or {})
    outcomes = [VisitOutcome(s.visit_id, "scheduled", "P1", (sh.worker_id,), s.start_s, s.end_s)
                for sh in shifts for s in sh.stops]
    outcomes += [VisitOutcome(v, "unplaced", "P1", reason="capacity") for v in unplaced]
    return day, Rota(PLAN_DATE, shifts, tuple(outcomes))


@pytest.fixture
def clean() -> tuple[Day, Rota]:
    """Three 30-min visits with travel scheduled between them, well under 6 h."""
    visits = (visit("V1", "C1", "08:00", 30), visit("V2", "C2", "08:40", 30),
              visit("V3", "C3", "09:20", 30))
    return make(visits, (shift((stop("V1", "C1", "08:00", 30), stop("V2", "C2", "08:40", 30),
                                stop("V3", "C3", "09:20", 30))),),
                history={"C1": {"W1": 10}, "C2": {"W1": 4}, "C3": {"W1": 2}})


def rules(report) -> list[str]:
    return [f.rule for f in report.flags]


def test_a_clean_rota_has_no_flags(clean):
    # its 10 min of waiting paid too: at the living wage rate, nothing to flag
    report = fair_work_checks(*clean, paid_time="contact_travel_and_waiting")
    assert report.flags == ()
    assert report.counts() == {rule: 0 for rule in RULES}


def test_fifteen_minute_personal_care_visit_is_flagged():
    day, rota = make((visit("V1", "C1", "08:00", 15, "personal care", "breakfast"),),
                     (shift((stop("V1", "C1", "08:00", 15),)),))
    (flag,) = fair_work_checks(day, rota).flags
    assert (flag.rule, flag.worker_id, flag.visit_id) == ("short_visit", "W1", "V1")
    assert "personal care needs at least 30 min" in flag.detail


def test_fifteen_minute_medication_prompt_is_allowed():
    day, rota = make((visit("V1", "C1", "08:00", 15, "medication prompt"),),
                     (shift((stop("V1", "C1", "08:00", 15),)),))
    assert fair_work_checks(day, rota).flags == ()


def test_any_visit_under_fifteen_minutes_is_flagged():
    day, rota = make((visit("V1", "C1", "08:00", 10, "medication prompt"),),
                     (shift((stop("V1", "C1", "08:00", 10),)),))
    (flag,) = fair_work_checks(day, rota).flags
    assert flag.rule == "short_visit" and "under 15 min" in flag.detail


def test_unplaced_short_visit_is_flagged_with_no_worker():
    day, rota = make((visit("V1", "C1", "08:00", 20, "shower"),), (), unplaced=("V1",))
    (flag,) = fair_work_checks(day, rota).flags
    assert (flag.rule, flag.worker_id) == ("short_visit", None)
    assert flag.detail.endswith("visit is unplaced")


def test_short_visit_tasks_must_all_be_short_tasks():
    assert short_visit_allowed(["Medication prompt", "welfare_check"])
    assert not short_visit_allowed(["medication prompt", "personal care"])
    assert not short_visit_allowed([])


def test_back_to_back_visits_at_different_addresses_are_call_cramming():
    visits = (visit("V1", "C1", "08:00", 30), visit("V2", "C2", "08:30", 30))
    day, rota = make(visits, (shift((stop("V1", "C1", "08:00", 30),
                                     stop("V2", "C2", "08:30", 30, travel_min=0))),))
    (flag,) = fair_work_checks(day, rota).flags
    assert (flag.rule, flag.visit_id) == ("call_cramming", "V2")
    assert "V1 ends 08:30, V2 at another address starts 08:30" in flag.detail


def test_back_to_back_visits_in_one_home_are_not_call_cramming():
    visits = (visit("V1", "C2", "08:00", 30), visit("V2", "C4", "08:30", 30))
    day, rota = make(visits, (shift((stop("V1", "C2", "08:00", 30),
                                     stop("V2", "C4", "08:30", 30, travel_min=0))),))
    assert fair_work_checks(day, rota).flags == ()


def test_less_time_between_visits_than_the_travel_is_flagged():
    visits = (visit("V1", "C1", "08:00", 30), visit("V2", "C3", "08:35", 30))
    day, rota = make(visits, (shift((stop("V1", "C1", "08:00", 30),
                                     stop("V2", "C3", "08:35", 30, travel_min=12))),))
    (flag,) = fair_work_checks(day, rota).flags
    assert flag.rule == "travel_not_scheduled"
    assert "5 min between them, travel needs 12 min" in flag.detail


def test_contact_only_pay_leaves_travel_unpaid_and_pay_below_the_living_wage(clean):
    report = fair_work_checks(*clean, paid_time="contact")
    assert rules(report) == ["travel_unpaid", "below_living_wage"]
    (pay,) = report.workers
    # 90 min contact paid at 1260 p/h = 1890 p, over 90 + 20 + 10 min of contact, travel
    # and waiting
    assert (pay.contact_s, pay.travel_s, pay.wait_s, pay.pay_p) == (90 * 60, 20 * 60, 600, 1890)
    assert pay.effective_p_per_h == 945
    assert "effective £9.45/h" in report.flags[1].detail


def test_low_hourly_rate_is_below_the_living_wage(clean):
    report = fair_work_checks(*clean, hourly_rate_gbp=11.44, living_wage_gbp=12.60,
                              paid_time="contact_travel_and_waiting")
    assert rules(report) == ["below_living_wage"]
    assert report.workers[0].effective_p_per_h == 1144


def test_pay_at_the_living_wage_is_never_flagged_by_rounding():
    # 30 min of contact and 1 s of travel: pay 630.35 p rounds to 630 p, yet the rate is
    # exactly the living wage
    leg = PlannedStop("V1", "C1", hm("08:00"), hm("08:00"), hm("08:30"), 1, 10)
    day, rota = make((visit("V1", "C1", "08:00", 30),), (shift((leg,), back_min=0),))
    report = fair_work_checks(day, rota)
    assert (report.workers[0].pay_p, report.workers[0].effective_p_per_h) == (630, 1260)
    assert report.flags == ()


def test_paid_shift_hours_lift_effective_pay(clean):
    report = fair_work_checks(*clean, paid_time="shift", hourly_rate_gbp=10.00)
    # 8 rostered hours paid (8000 p) over 110 min of contact and travel
    assert report.workers[0].pay_p == 8000
    assert report.flags == ()


def test_waiting_time_is_reported():
    visits = (visit("V1", "C1", "08:00", 30), visit("V2", "C2", "10:00", 30))
    day, rota = make(visits, (shift((stop("V1", "C1", "08:00", 30),
                                     stop("V2", "C2", "10:00", 30))),))
    (pay,) = fair_work_checks(day, rota).workers
    assert pay.wait_s == (hm("10:00") - hm("08:30") - 5 * 60)


def test_over_six_hours_without_a_twenty_minute_break_is_flagged():
    visits = (visit("V1", "C1", "07:10", 30), visit("V2", "C2", "13:30", 30))
    stops = (stop("V1", "C1", "07:10", 30), stop("V2", "C2", "13:30", 30))
    day, rota = make(visits, (shift(stops),))
    (flag,) = fair_work_checks(day, rota, paid_time="contact_travel_and_waiting").flags
    assert flag.rule == "no_break" and "07:05-14:05 (7.0 h)" in flag.detail
    day, rota = make(visits, (shift(stops, breaks=(PlannedBreak(hm("10:00"), 20 * 60),)),))
    assert fair_work_checks(day, rota, paid_time="contact_travel_and_waiting").flags == ()


def test_client_seen_mostly_by_strangers_has_low_continuity(clean):
    day, rota = clean
    day = Day(day.date, day.providers, day.workers, day.clients, day.visits,
              history={"C1": {"W9": 20, "W2": 3}, "C2": {"W1": 4}})
    report = fair_work_checks(day, rota, paid_time="contact_travel_and_waiting")
    (flag,) = report.flags
    assert (flag.rule, flag.client_id) == ("low_continuity", "C1")
    assert "0 of 1 carer-visits today by regular carers (0%)" in flag.detail
    assert "3 over the history window and today" in flag.detail
    c1 = next(c for c in report.clients if c.client_id == "C1")
    assert (c1.carers_today, c1.carers_window, c1.regulars) == (1, 3, {"W9", "W2"})
    assert report.regular_share == 0.5  # C1: 0 of 1, C2: 1 of 1 (C3 has no regulars)


def test_history_argument_overrides_the_days_history(clean):
    report = fair_work_checks(*clean, history={"C3": {"W2": 5}},
                              paid_time="contact_travel_and_waiting")
    assert [(f.rule, f.client_id) for f in report.flags] == [("low_continuity", "C3")]


def test_unknown_paid_time_is_rejected(clean):
    with pytest.raises(ValueError, match="paid_time"):
        fair_work_checks(*clean, paid_time="piecework")


def test_negative_rate_is_rejected(clean):
    with pytest.raises(ValueError, match="hourly_rate_gbp"):
        fair_work_checks(*clean, hourly_rate_gbp=-1)


def test_flag_csv_has_one_row_per_flag(clean, tmp_path):
    report = fair_work_checks(*clean, paid_time="contact")
    rows = list(csv.DictReader(write_fair_work_csv(report, tmp_path / "f.csv").open()))
    assert tuple(rows[0]) == FLAG_COLUMNS
    assert [(r["rule"], r["worker_id"], r["provider_id"]) for r in rows] == [
        ("travel_unpaid", "W1", "P1"), ("below_living_wage", "W1", "P1")]


def test_worker_csv_shows_time_pay_and_flags(clean, tmp_path):
    report = fair_work_checks(*clean, paid_time="contact")
    rows = list(csv.DictReader(write_fair_work_workers_csv(report, tmp_path / "w.csv").open()))
    assert tuple(rows[0]) == WORKER_COLUMNS
    assert rows == [{"worker_id": "W1", "provider_id": "P1", "shifts": "1", "visits": "3",
                     "contact_min": "90", "travel_min": "20", "wait_min": "10", "paid_min": "90",
                     "pay_gbp": "18.90", "effective_hourly_gbp": "9.45", "flags": "2"}]


def test_unpaid_waiting_lowers_effective_pay_so_rotas_differ():
    """Effective pay is over the hours the worker gives the day, so waiting costs them."""
    visits = (visit("V1", "C1", "08:00", 30), visit("V2", "C2", "08:40", 30))
    tight = make(visits, (shift((stop("V1", "C1", "08:00", 30),
                                 stop("V2", "C2", "08:40", 30))),))
    visits = (visit("V1", "C1", "08:00", 30), visit("V2", "C2", "10:40", 30))
    loose = make(visits, (shift((stop("V1", "C1", "08:00", 30),
                                 stop("V2", "C2", "10:40", 30))),))
    a = fair_work_checks(*tight).workers[0]
    b = fair_work_checks(*loose).workers[0]
    assert (a.pay_p, b.pay_p) == (a.pay_p, a.pay_p)  # same paid contact and travel
    assert b.wait_s > a.wait_s
    assert b.effective_p_per_h < a.effective_p_per_h
    paid = fair_work_checks(*loose, paid_time="contact_travel_and_waiting").workers[0]
    assert paid.effective_p_per_h == 1260


def test_pay_rules_are_read_from_toml(tmp_path):
    from carerounds.scheduler.fairwork import read_pay_model

    path = tmp_path / "pay.toml"
    path.write_text('hourly_rate_gbp = 13.45\npaid_time = "contact"\n', encoding="utf-8")
    assert read_pay_model(path) == {"hourly_rate_gbp": 13.45, "paid_time": "contact"}


@pytest.mark.parametrize("text, field", [
    ("hourly_rate_gbp = -1", "hourly_rate_gbp"), ('paid_time = "piecework"', "paid_time"),
    ("bonus = 1", "bonus"), ("hourly_rate_gbp = true", "hourly_rate_gbp")])
def test_bad_pay_rules_name_the_file_and_key(tmp_path, text, field):
    from carerounds.errors import InputError
    from carerounds.scheduler.fairwork import read_pay_model

    path = tmp_path / "pay.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_pay_model(path)
    assert (info.value.file, info.value.field) == ("pay.toml", field)
