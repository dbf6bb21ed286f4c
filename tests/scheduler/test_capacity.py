"""Unplaced care breakdown and priority queue; capacity against demand; idle time to release."""

from __future__ import annotations

import csv

import pytest

from carerounds.scheduler.capacity import (
    capacity_exceptions,
    time_band,
    unplaced_breakdown,
    worker_areas,
)
from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.outputs import (
    BREAKDOWN_COLUMNS,
    CAPACITY_COLUMNS,
    IDLE_COLUMNS,
    QUEUE_COLUMNS,
    write_capacity_csv,
    write_idle_csv,
    write_priority_queue_csv,
    write_unplaced_breakdown_csv,
)
from carerounds.scheduler.rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome

from ..conftest import PLAN_DATE

DALKEITH = (55.8950, -3.0680)
PENICUIK = (55.8260, -3.2200)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def client(cid: str, area: str, where: tuple[float, float]) -> Client:
    return Client(cid, f"Name {cid}", f"{cid} Street", "EH22 1AA", where[0], where[1], area, None,
                  frozenset(), frozenset(), "")


def visit(vid: str, cid: str, pid: str | None, start: str, *, minutes: int = 30,
          carers: int = 1, service: str = "integrated", priority: str = "normal") -> Visit:
    return Visit(vid, cid, pid, hm(start), hm(start) + 3600, minutes * 60, carers, frozenset(),
                 priority, service, ("personal care",))


def worker(wid: str, where: tuple[float, float], *shifts: tuple[str, str]) -> Worker:
    return Worker(wid, "P1", f"Carer {wid}", "female", where[0], where[1],
                  tuple(Shift(hm(a), hm(b)) for a, b in shifts), frozenset(), "drive")


PROVIDERS = (Provider("P1", "Council Care at Home", "in_house"),
             Provider("P2", "Esk Care & Support", "independent"))
CLIENTS = (client("C1", "Dalkeith", DALKEITH), client("C2", "Dalkeith", DALKEITH),
           client("C3", "Penicuik", PENICUIK))


def unplaced(*visit_ids: str) -> tuple[VisitOutcome, ...]:
    return tuple(VisitOutcome(v, "unplaced", None, reason=f"capacity ({v})") for v in visit_ids)


@pytest.fixture
def mixed_day() -> Day:
    """Six visits over three clients: two packages of C1, a double-up, no-provider discharge."""
    visits = (
        visit("V1", "C1", "P1", "08:00", minutes=30),                      # C1 integrated
        visit("V2", "C1", "P1", "12:00", minutes=30),                      # C1 integrated
        visit("V3", "C1", "P2", "17:00", minutes=45, service="mental_health"),
        visit("V4", "C2", "P1", "08:30", minutes=45, carers=2, priority="high"),
        visit("V5", "C3", None, "10:00", minutes=60, service="hospital_discharge"),
        visit("V6", "C3", "P2", "19:00", minutes=30, priority="critical"),
    )
    return Day(PLAN_DATE, PROVIDERS, (), CLIENTS, visits)


@pytest.fixture
def mixed_rota() -> Rota:
    """V2, V4, V5 and V6 unplaced; V1 and V3 placed; one merged visit recorded too."""
    outcomes = (VisitOutcome("V1", "scheduled", "P1", ("W1",), hm("08:00"), hm("08:30")),
                *unplaced("V2", "V4", "V5", "V6"),
                VisitOutcome("V3", "scheduled", "P2", ("W2",), hm("17:00"), hm("17:45")),
                VisitOutcome("V0", "merged", "P1", reason="merged into V1 (...)"))
    return Rota(PLAN_DATE, (), outcomes)


# ---- unplaced breakdown ---------------------------------------------------------------------

def test_totals_count_double_ups_twice_and_packages_with_any_unplaced_visit(mixed_day, mixed_rota):
    b = unplaced_breakdown(mixed_day, mixed_rota)
    assert (b.visits, b.unplaced_visits) == (6, 4)
    assert b.unplaced_carer_s == (30 + 2 * 45 + 60 + 30) * 60
    # packages: C1/integrated (V2), C2/integrated (V4), C3/hospital_discharge, C3/integrated
    assert (b.packages, b.unplaced_packages) == (5, 4)


def test_breakdown_by_area(mixed_day, mixed_rota):
    b = unplaced_breakdown(mixed_day, mixed_rota)
    by_area = {g.key: (g.visits, g.carer_s // 60, g.packages, g.package_carer_s // 60)
               for g in b.by("area")}
    # Dalkeith: V2 (30) + V4 (2 x 45); its packages C1/integrated (V1+V2 = 60) and C2 (90)
    assert by_area == {"Dalkeith": (2, 120, 2, 150), "Penicuik": (2, 90, 2, 90)}


def test_breakdown_by_service_provider_and_time_band(mixed_day, mixed_rota):
    b = unplaced_breakdown(mixed_day, mixed_rota)
    assert {g.key: g.visits for g in b.by("service")} == {"integrated": 3,
                                                         "hospital_discharge": 1}
    assert {g.key: g.visits for g in b.by("provider")} == {"P1": 2, "P2": 1, "unassigned": 1}
    assert [(g.key, g.visits) for g in b.by("time_band")] == [("morning", 2), ("lunch", 1),
                                                              ("bed", 1)]


def test_merged_and_scheduled_visits_are_not_unplaced(mixed_day, mixed_rota):
    b = unplaced_breakdown(mixed_day, mixed_rota)
    assert {q.visit_id for q in b.queue} == {"V2", "V4", "V5", "V6"}


def test_priority_queue_puts_hospital_discharge_and_critical_first(mixed_day, mixed_rota):
    queue = unplaced_breakdown(mixed_day, mixed_rota).queue
    assert [(q.rank, q.visit_id, q.why_first) for q in queue] == [
        (1, "V5", "hospital discharge"), (2, "V6", "critical"), (3, "V4", "high priority"),
        (4, "V2", "normal priority")]
    assert queue[0].reason == "capacity (V5)"


def test_time_bands_follow_the_window_start():
    assert [time_band(hm(t)) for t in ("06:30", "10:59", "11:00", "14:00", "18:00", "23:59")] == [
        "morning", "morning", "lunch", "tea", "bed", "bed"]


def test_breakdown_csv_has_a_total_row_then_each_key(mixed_day, mixed_rota, tmp_path):
    path = write_unplaced_breakdown_csv(unplaced_breakdown(mixed_day, mixed_rota),
                                        tmp_path / "b.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == BREAKDOWN_COLUMNS
    assert rows[0] == {"dimension": "total", "key": "all", "unplaced_visits": "4",
                       "unplaced_hours": "3.50", "unplaced_packages": "4",
                       "package_hours": "4.00"}
    assert {(r["dimension"], r["key"]) for r in rows[1:]} >= {("area", "Dalkeith"),
                                                              ("provider", "unassigned")}


def test_priority_queue_csv_lists_the_queue_in_order(mixed_day, mixed_rota, tmp_path):
    path = write_priority_queue_csv(unplaced_breakdown(mixed_day, mixed_rota), tmp_path / "q.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == QUEUE_COLUMNS
    assert [r["visit_id"] for r in rows] == ["V5", "V6", "V4", "V2"]
    assert rows[0]["provider_id"] == "" and rows[0]["window"] == "10:00-11:00"


# ---- capacity -------------------------------------------------------------------------------

def _stop(vid: str, cid: str, start: str, minutes: int, travel_min: int) -> PlannedStop:
    return PlannedStop(vid, cid, hm(start), hm(start), hm(start) + minutes * 60, travel_min * 60,
                       travel_min * 500)


def _shift(wid: str, number: int, shift: tuple[str, str], stops: tuple[PlannedStop, ...],
           back_min: int = 10, breaks: tuple[PlannedBreak, ...] = ()) -> PlannedShift:
    leave = stops[0].arrival_s - stops[0].travel_s if stops else hm(shift[0])
    end = stops[-1].end_s + back_min * 60 if stops else hm(shift[0])
    return PlannedShift(wid, "P1", number, hm(shift[0]), hm(shift[1]), "drive", leave, end, stops,
                        back_min * 60 if stops else 0, back_min * 500 if stops else 0, breaks)


@pytest.fixture
def short_morning() -> tuple[Day, Rota]:
    """Dalkeith: a double-up at 07:15 (45 min) and a 30-min visit at 07:30; one worker
    rostered 07:00-09:00; a Penicuik worker 07:00-12:00 with nothing to do."""
    visits = (visit("V1", "C1", "P1", "07:15", minutes=45, carers=2),
              visit("V2", "C2", "P1", "07:30", minutes=30))
    workers = (worker("W1", DALKEITH, ("07:00", "09:00")),
               worker("W2", PENICUIK, ("07:00", "12:00")))
    day = Day(PLAN_DATE, PROVIDERS, workers, CLIENTS, visits)
    rota = Rota(PLAN_DATE, (_shift("W1", 1, ("07:00", "09:00"),
                                   (_stop("V2", "C2", "07:30", 30, 10),)),),
                (*unplaced("V1"), VisitOutcome("V2", "scheduled", "P1", ("W1",))))
    return day, rota


def test_demand_is_spread_from_the_window_start_with_double_ups_twice(short_morning):
    report = capacity_exceptions(*short_morning)
    dalkeith = {b.start_s: b for b in report.bands if b.area == "Dalkeith"}
    assert dalkeith[hm("07:00")].demand_carer_s == 2 * 15 * 60
    assert dalkeith[hm("07:30")].demand_carer_s == 2 * 30 * 60 + 30 * 60
    assert dalkeith[hm("08:00")].demand_carer_s == 0


def test_rostered_capacity_counts_in_the_workers_area(short_morning):
    report = capacity_exceptions(*short_morning)
    rostered = {(b.area, b.start_s): b.rostered_s for b in report.bands}
    assert rostered[("Dalkeith", hm("07:30"))] == 30 * 60
    assert rostered[("Penicuik", hm("11:30"))] == 30 * 60
    assert ("Dalkeith", hm("09:00")) not in rostered


def test_bands_where_demand_exceeds_capacity_are_exceptions(short_morning):
    report = capacity_exceptions(*short_morning)
    assert [(b.area, b.start_s, b.balance_s) for b in report.exceptions] == [
        ("Dalkeith", hm("07:30"), 30 * 60 - 90 * 60)]


def test_band_length_is_configurable(short_morning):
    report = capacity_exceptions(*short_morning, band_s=3600)
    dalkeith = {b.start_s: b for b in report.bands if b.area == "Dalkeith"}
    assert dalkeith[hm("07:00")].demand_carer_s == 2 * 45 * 60 + 30 * 60
    assert dalkeith[hm("07:00")].rostered_s == 3600


def test_worker_area_is_where_most_visits_are_else_the_nearest_client(short_morning):
    day, rota = short_morning
    # W1 lives in Penicuik but works in Dalkeith; W2 has no visits and lives in Penicuik
    day = Day(day.date, day.providers, (worker("W1", PENICUIK, ("07:00", "09:00")),
                                        day.workers[1]), day.clients, day.visits)
    areas, basis = worker_areas(day, rota)
    assert areas == {"W1": "Dalkeith", "W2": "Penicuik"}
    assert basis == {"W1": "most visits", "W2": "nearest client"}


def test_idle_time_of_an_unused_shift_is_the_whole_shift(short_morning):
    report = capacity_exceptions(*short_morning)
    w2 = [(i.start_s, i.end_s) for i in report.idle if i.worker_id == "W2"]
    assert w2 == [(hm("07:00"), hm("12:00"))]


def test_idle_time_skips_travel_visits_and_short_gaps(short_morning):
    # W1: travel 07:20-07:30, visit 07:30-08:00, home 08:10; idle 07:00-07:20 and 08:10-09:00
    report = capacity_exceptions(*short_morning)
    assert [i for i in report.idle if i.worker_id == "W1"] == []
    report = capacity_exceptions(*short_morning, min_idle_s=20 * 60)
    assert [(i.start_s, i.end_s) for i in report.idle if i.worker_id == "W1"] == [
        (hm("07:00"), hm("07:20")), (hm("08:10"), hm("09:00"))]


def test_breaks_are_not_idle_time():
    day = Day(PLAN_DATE, PROVIDERS, (worker("W1", DALKEITH, ("07:00", "15:00")),), CLIENTS,
              (visit("V1", "C1", "P1", "07:10"), visit("V2", "C2", "P1", "13:00")))
    stops = (_stop("V1", "C1", "07:10", 30, 10), _stop("V2", "C2", "13:00", 30, 5))
    rota = Rota(PLAN_DATE, (_shift("W1", 1, ("07:00", "15:00"), stops,
                                   breaks=(PlannedBreak(hm("10:00"), 20 * 60),)),), ())
    idle = [(i.start_s, i.end_s) for i in capacity_exceptions(day, rota).idle]
    assert idle == [(hm("07:40"), hm("10:00")), (hm("10:20"), hm("12:55")),
                    (hm("13:40"), hm("15:00"))]


def test_band_length_must_be_positive(short_morning):
    with pytest.raises(ValueError, match="band_s"):
        capacity_exceptions(*short_morning, band_s=0)


def test_capacity_csv_marks_short_bands(short_morning, tmp_path):
    path = write_capacity_csv(capacity_exceptions(*short_morning), tmp_path / "capacity.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == CAPACITY_COLUMNS
    short = [r for r in rows if r["exception"]]
    assert short == [{"area": "Dalkeith", "band_start": "07:30", "band_end": "08:00",
                      "demand_carer_min": "90", "rostered_min": "30", "balance_min": "-60",
                      "exception": "short"}]


def test_idle_csv_lists_each_stretch(short_morning, tmp_path):
    path = write_idle_csv(capacity_exceptions(*short_morning), tmp_path / "idle.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == IDLE_COLUMNS
    assert rows == [{"worker_id": "W2", "provider_id": "P1", "area": "Penicuik", "shift": "1",
                     "idle_start": "07:00", "idle_end": "12:00", "idle_min": "300"}]
