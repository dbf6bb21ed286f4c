"""The plan's report files and the one-page HTML: complete, escaped, self-contained, printable."""

from __future__ import annotations

import csv
import re

import pytest

from carerounds.routing import SolveParams
from carerounds.scheduler.capacity import CapacityBand
from carerounds.scheduler.duplicates import find_duplicate_visits, merge_duplicates
from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.render.report import short_runs, write_plan_report
from carerounds.scheduler.rota import PlannedShift, PlannedStop, Rota, VisitOutcome
from carerounds.scheduler.travel import build_travel

from ...conftest import PLAN_DATE

HOSTILE_AREA = "Dalkeith & <b>North</b>"
HOSTILE_REASON = "capacity: <script>alert('x')</script>"
FILES = {"duplicates.csv", "unplaced_breakdown.csv", "priority_queue.csv", "capacity.csv",
         "idle_time.csv", "fair_work.csv", "fair_work_workers.csv", "report.html"}


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _visit(vid: str, cid: str, pid: str, start: str, minutes: int = 30) -> Visit:
    return Visit(vid, cid, pid, hm(start), hm(start) + 3600, minutes * 60, 1, frozenset(),
                 "normal", "integrated", ("personal care",))


@pytest.fixture
def hostile() -> tuple[Day, Rota]:
    """User text full of markup: area, provider name, client name, an unplaced reason; and a
    duplicate pair (V1 by P1, V2 by P2 at C1 at the same time)."""
    providers = (Provider("P1", "<img src=x onerror=alert(1)>", "in_house"),
                 Provider("P2", "Esk & Tyne", "independent"))
    clients = (Client("C1", "Dora <i>O'Neill</i>", "1 High St", "EH22 1AA", 55.895, -3.068,
                      HOSTILE_AREA, None, frozenset(), frozenset(), "Key safe <1234>"),
               Client("C2", "Ewan Test", "2 Main St", "EH19 2BB", 55.874, -3.102, "Bonnyrigg",
                      None, frozenset(), frozenset(), ""))
    visits = (_visit("V1", "C1", "P1", "08:00", 45), _visit("V2", "C1", "P2", "08:15"),
              _visit("V3", "C2", "P1", "09:30"))
    workers = (Worker("W1", "P1", "Ann <Test>", "female", 55.873, -3.105,
                      (Shift(hm("07:00"), hm("12:00")),), frozenset(), "drive"),)
    day = Day(PLAN_DATE, providers, workers, clients, visits)
    stop = PlannedStop("V1", "C1", hm("08:00"), hm("08:00"), hm("08:45"), 420, 4000)
    shift = PlannedShift("W1", "P1", 1, hm("07:00"), hm("12:00"), "drive", hm("07:53"),
                         hm("08:52"), (stop,), 420, 4000)
    outcomes = (VisitOutcome("V1", "scheduled", "P1", ("W1",), hm("08:00"), hm("08:45")),
                VisitOutcome("V2", "unplaced", "P2", reason=HOSTILE_REASON),
                VisitOutcome("V3", "unplaced", "P1", reason="no shift covers window"))
    return day, Rota(PLAN_DATE, (shift,), outcomes, run={"seed": 3, "time_limit_s": 5})


def test_writes_every_report_file(hostile, tmp_path):
    day, rota = hostile
    written = write_plan_report(day, rota, build_travel(day), tmp_path / "out")
    assert {p.name for p in written} == FILES
    assert all(p.parent == tmp_path / "out" and p.stat().st_size > 0 for p in written)


def test_duplicates_are_found_when_not_given(hostile, tmp_path):
    day, rota = hostile
    write_plan_report(day, rota, build_travel(day), tmp_path)
    rows = list(csv.DictReader((tmp_path / "duplicates.csv").open(encoding="utf-8")))
    assert [(r["visit_id_a"], r["visit_id_b"], r["drop_visit"]) for r in rows] == [
        ("V1", "V2", "V2")]
    assert rows[0]["travel_saved_min"] == ""  # P2 has no workers to travel from
    assert "travel not estimated (P2 has no worker to start from)" in rows[0]["reason"]


def test_given_duplicates_are_used_as_they_are(hostile, tmp_path):
    day, rota = hostile
    write_plan_report(day, rota, None, tmp_path, duplicates=())
    assert (tmp_path / "duplicates.csv").read_text(encoding="utf-8").count("\n") == 1


def test_all_user_text_is_escaped(hostile, tmp_path):
    day, rota = hostile
    write_plan_report(day, rota, build_travel(day), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Dalkeith &amp; &lt;b&gt;North&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<b>North" not in page and "<script" not in page.lower()


def test_no_client_names_addresses_or_notes_on_the_page(hostile, tmp_path):
    day, rota = hostile
    write_plan_report(day, rota, build_travel(day), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    for text in ("Dora", "O'Neill", "O&#x27;Neill", "High St", "Key safe", "Ann "):
        assert text not in page


def test_page_is_self_contained_and_printable(hostile, tmp_path):
    day, rota = hostile
    write_plan_report(day, rota, build_travel(day), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "@media print" in page and "@page" in page
    for external in ("http://", "https://", "<link", "@import", "url(", " src="):
        assert external not in page


def test_page_states_the_headline_figures(hostile, tmp_path):
    day, rota = hostile
    write_plan_report(day, rota, build_travel(day), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page)
    assert "1 of 3" in text and "visits placed" in text
    assert "Rota report for Tuesday 24 November 2026" in text
    assert "seed 3" in text
    assert "Priority queue" in text and "V2" in text


def test_merges_are_listed_and_written(hostile, tmp_path):
    day, rota = hostile
    pairs = find_duplicate_visits(day)
    merged, merges = merge_duplicates(day, pairs)
    rota = Rota(rota.date, rota.shifts, tuple(o for o in rota.outcomes if o.visit_id != "V2"))
    written = write_plan_report(merged, rota, None, tmp_path, duplicates=pairs, merges=merges)
    assert "merges.csv" in {p.name for p in written}
    rows = list(csv.DictReader((tmp_path / "merges.csv").open(encoding="utf-8")))
    assert [(r["absorbed_visit"], r["kept_visit"]) for r in rows] == [("V2", "V1")]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Merged in this plan (1)" in page


def test_consecutive_short_bands_join_into_one_period():
    bands = [CapacityBand("A", hm("07:00"), hm("07:30"), 90 * 60, 60 * 60),
             CapacityBand("A", hm("07:30"), hm("08:00"), 80 * 60, 60 * 60),
             CapacityBand("A", hm("08:00"), hm("08:30"), 10 * 60, 60 * 60),
             CapacityBand("A", hm("08:30"), hm("09:00"), 70 * 60, 60 * 60),
             CapacityBand("B", hm("07:00"), hm("07:30"), 30 * 60, 0)]
    assert short_runs(bands) == [("A", hm("07:00"), hm("08:00"), 30 * 60, 50 * 60),
                                 ("B", hm("07:00"), hm("07:30"), 30 * 60, 30 * 60),
                                 ("A", hm("08:30"), hm("09:00"), 10 * 60, 10 * 60)]


def test_small_sample_plan_reports_its_planted_duplicates(tmp_path):
    sample_module = pytest.importorskip("carerounds.scheduler.sample")
    from carerounds.scheduler.inputs import read_day
    from carerounds.scheduler.plan import plan_day

    sample = sample_module.generate_sample("midlothian", date=PLAN_DATE, seed=1, size="small")
    sample_module.write_sample(sample, tmp_path / "in")
    day = read_day(tmp_path / "in", date=PLAN_DATE)
    travel = build_travel(day)
    rota = plan_day(day, travel, params=SolveParams(time_limit_s=2, seed=1))
    written = write_plan_report(day, rota, travel, tmp_path / "out")
    assert {p.name for p in written} == FILES
    rows = list(csv.DictReader((tmp_path / "out" / "duplicates.csv").open(encoding="utf-8")))
    found = {tuple(sorted((r["visit_id_a"], r["visit_id_b"]))) for r in rows}
    assert {(a, b) for a, b, _ in sample.planted_duplicates.rows} <= found
    breakdown = list(csv.DictReader((tmp_path / "out" / "unplaced_breakdown.csv").open()))
    assert breakdown[0]["unplaced_visits"] == str(len(rota.unplaced))
