"""Planned against actual: reading call-monitoring records and each category of exception."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.scheduler.actuals import CATEGORIES, compare_actuals, read_calls
from carerounds.scheduler.cli import build_parser
from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.outputs import ACTUALS_COLUMNS, write_actuals_csv, write_rota_json
from carerounds.scheduler.rota import PlannedShift, PlannedStop, Rota, VisitOutcome

from ..conftest import PLAN_DATE, write_day


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def write_calls(path: Path, rows: list[tuple[str, ...]],
                header: tuple[str, ...] = ("visit_id", "worker_id", "check_in", "check_out"),
                ) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ---- reading --------------------------------------------------------------------------------

def test_read_calls_reads_hhmm_iso_and_blank_check_out(tmp_path):
    path = write_calls(tmp_path / "calls.csv", [
        ("V1", "W1", "08:05", "08:35"),
        ("V2", "W1", "2026-11-24T09:50:00", "2026-11-24 10:20"),
        ("V3", "W2", "2026-11-24T09:05:00+01:00", "2026-11-24T08:35:00Z"),
        ("V4", "W2", "21:50", ""),
        ("V5", "W3", "2026-11-24T23:50:00", "2026-11-25T00:20:00")])
    calls = read_calls(path)
    assert [(c.visit_id, c.worker_id, c.check_in_s, c.check_out_s) for c in calls] == [
        ("V1", "W1", hm("08:05"), hm("08:35")), ("V2", "W1", hm("09:50"), hm("10:20")),
        ("V3", "W2", hm("08:05"), hm("08:35")), ("V4", "W2", hm("21:50"), None),
        ("V5", "W3", hm("23:50"), hm("24:20"))]
    assert calls[0].date is None and calls[1].date == PLAN_DATE
    assert (calls[2].file, calls[2].row) == ("calls.csv", 4)


@pytest.mark.parametrize("rows,message", [
    ([("V1", "W1", "8.05", "08:35")],
     "calls.csv, row 2, id 'V1', field 'check_in': '8.05' is not a time; use HH:MM"),
    ([("V1", "W1", "08:05", "25:00")],
     "calls.csv, row 2, id 'V1', field 'check_out': '25:00' is not a valid time of day"),
    ([("V1", "W1", "08:35", "08:05")],
     "calls.csv, row 2, id 'V1', field 'check_out': check-out 08:05 is before check-in 08:35"),
    ([("V1", "", "08:05", "08:35")],
     "calls.csv, row 2, id 'V1', field 'worker_id': is empty; a value is required"),
    ([("V1", "W1", "08:05", "08:35"), ("", "W1", "09:05", "09:35")],
     "calls.csv, row 3, field 'visit_id': is empty; a value is required"),
    ([("V1", "W1", "08:05", "2026-11-24T08:35:00")],
     "calls.csv, row 2, id 'V1', field 'check_out': check_in and check_out must both be HH:MM"),
])
def test_bad_calls_name_file_row_id_and_field(tmp_path, rows, message):
    with pytest.raises(InputError) as error:
        read_calls(write_calls(tmp_path / "calls.csv", rows))
    assert str(error.value).startswith(message)


def test_missing_column_is_named(tmp_path):
    path = write_calls(tmp_path / "calls.csv", [("V1", "W1", "08:05")],
                       header=("visit_id", "worker_id", "check_in"))
    with pytest.raises(InputError, match=r"calls.csv, row 1, field 'check_out': missing column"):
        read_calls(path)


def test_missing_calls_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="calls.csv: calls file not found"):
        read_calls(tmp_path / "calls.csv")


def test_extra_fields_are_an_input_error(tmp_path):
    path = write_calls(tmp_path / "calls.csv", [("V1", "W1", "08:05", "08:35", "oops")])
    with pytest.raises(InputError, match="calls.csv, row 2: has more fields than the header"):
        read_calls(path)


def test_calls_file_not_in_utf8_is_an_input_error(tmp_path):
    (tmp_path / "calls.csv").write_bytes(
        "visit_id,worker_id,check_in,check_out\nV1,W\u00e9,08:05,08:35\n".encode("latin-1"))
    with pytest.raises(InputError, match="calls.csv: is not UTF-8 text"):
        read_calls(tmp_path / "calls.csv")


def test_empty_calls_file_is_an_input_error(tmp_path):
    (tmp_path / "calls.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="calls.csv, row 1: is empty"):
        read_calls(tmp_path / "calls.csv")


# ---- comparing ------------------------------------------------------------------------------

def _visit(vid: str, cid: str, start: str, minutes: int = 30) -> Visit:
    return Visit(vid, cid, "P1", hm(start), hm(start) + 1800, minutes * 60, 1, frozenset(),
                 "normal", "integrated", ("personal care",))


def _stop(vid: str, cid: str, start: str, minutes: int = 30) -> PlannedStop:
    return PlannedStop(vid, cid, hm(start), hm(start), hm(start) + minutes * 60, 300, 3000)


def _shift(worker: str, provider: str, stops: tuple[PlannedStop, ...]) -> PlannedShift:
    return PlannedShift(worker, provider, 1, hm("07:00"), hm("15:00"), "drive",
                        stops[0].arrival_s - 300, stops[-1].end_s + 300, stops, 300, 3000)


@pytest.fixture
def day() -> Day:
    """Visits with windows 30 min wide from the times below; workers W1 (P1), W2, W3 (P2)."""
    clients = tuple(Client(c, f"Name {c}", f"{c} Street", "EH22 1AA", 55.89, -3.06, "Dalkeith",
                           None, frozenset(), frozenset(), "") for c in ("C1", "C2", "C3"))
    visits = (_visit("V1", "C1", "08:00"), _visit("V2", "C2", "09:00"),
              _visit("V3", "C3", "10:00"), _visit("V4", "C1", "12:00"),
              _visit("V5", "C2", "13:00"), _visit("V6", "C3", "08:00"),
              _visit("V7", "C1", "11:00"), _visit("V8", "C1", "09:00"))
    workers = tuple(Worker(w, p, f"Carer {w}", "female", 55.89, -3.06,
                           (Shift(hm("07:00"), hm("15:00")),), frozenset(), "drive")
                    for w, p in (("W1", "P1"), ("W2", "P2"), ("W3", "P2")))
    providers = (Provider("P1", "Council", "in_house"), Provider("P2", "Esk & Co", "independent"))
    return Day(PLAN_DATE, providers, workers, clients, visits)


@pytest.fixture
def rota() -> Rota:
    """W1: V1 08:00, V2 09:00, V3 10:00, V4 12:00, V5 13:00; W2: V6 08:00, V8 09:00; V7 unplaced."""
    w1 = _shift("W1", "P1", (_stop("V1", "C1", "08:00"), _stop("V2", "C2", "09:00"),
                             _stop("V3", "C3", "10:00"), _stop("V4", "C1", "12:00"),
                             _stop("V5", "C2", "13:00")))
    w2 = _shift("W2", "P2", (_stop("V6", "C3", "08:00"), _stop("V8", "C1", "09:00")))
    outcomes = tuple(VisitOutcome(s.visit_id, "scheduled", sh.provider_id, (sh.worker_id,),
                                  s.start_s, s.end_s) for sh in (w1, w2) for s in sh.stops)
    return Rota(PLAN_DATE, (w1, w2), outcomes + (VisitOutcome("V7", "unplaced", "P1",
                                                              reason="capacity"),))


CALLS = [("V1", "W1", "08:05", "08:35"),   # on time
         ("V2", "W1", "09:50", "10:20"),   # late: window ends 09:30
         ("V3", "W1", "09:30", "10:00"),   # early: window starts 10:00
         ("V4", "W1", "12:00", "12:15"),   # short: 15 of 30 min
         ("V6", "W3", "08:00", "08:30"),   # W2's visit done by W3: covered + unplanned
         ("V7", "W2", "11:00", "11:30"),   # unplaced in the rota: unplanned
         ("V99", "W2", "14:00", "14:30"),  # not in the rota: unplanned
         ("V8", "W2", "09:05", "")]        # no check-out; V5 has no call: missed


@pytest.fixture
def report(tmp_path, day, rota):
    return compare_actuals(day, rota, read_calls(write_calls(tmp_path / "calls.csv", CALLS)))


def _by_visit(report) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(e.visit_id, e.worker_id): e.categories for e in report.visits}


def test_each_category_from_a_hand_built_calls_file(report):
    assert _by_visit(report) == {
        ("V1", "W1"): ("on_time",), ("V2", "W1"): ("late",), ("V3", "W1"): ("early",),
        ("V4", "W1"): ("short",), ("V5", "W1"): ("missed",), ("V6", "W2"): ("covered",),
        ("V6", "W3"): ("unplanned",), ("V7", "W2"): ("unplanned",),
        ("V99", "W2"): ("unplanned",), ("V8", "W2"): ("no_check_out",)}


def test_as_of_lunchtime_judges_only_what_has_happened(tmp_path, day, rota):
    calls = read_calls(write_calls(tmp_path / "calls.csv", CALLS))
    report = compare_actuals(day, rota, calls, as_of_s=hm("12:10"))
    assert _by_visit(report) == {
        ("V1", "W1"): ("on_time",), ("V2", "W1"): ("late",), ("V3", "W1"): ("early",),
        # V4 checked in 12:00, its 12:15 check-out is still to come; V5 is due at 13:00;
        # the 14:00 call of V99 has not happened; V8's check-out is overdue since 09:45.
        ("V4", "W1"): ("in_progress",), ("V5", "W1"): ("not_yet_due",),
        ("V6", "W2"): ("covered",), ("V6", "W3"): ("unplanned",), ("V7", "W2"): ("unplanned",),
        ("V8", "W2"): ("no_check_out",)}


@pytest.mark.parametrize("as_of, category", [("13:44", "not_yet_due"), ("13:46", "missed")])
def test_as_of_calls_a_visit_missed_once_it_could_no_longer_be_on_time(
        tmp_path, day, rota, as_of, category):
    # V5's window ends 13:30; with the 15 min tolerance a check-in up to 13:45 is not late.
    calls = read_calls(write_calls(tmp_path / "calls.csv", CALLS))
    report = compare_actuals(day, rota, calls, as_of_s=hm(as_of))
    assert _by_visit(report)[("V5", "W1")] == (category,)


def test_each_exception_explains_itself(report):
    detail = {(e.visit_id, e.worker_id): e.detail for e in report.visits}
    assert detail[("V2", "W1")] == "checked in 09:50, 20 min after the window end 09:30"
    assert detail[("V3", "W1")] == "checked in 09:30, 30 min before the window start 10:00"
    assert detail[("V4", "W1")] == "15 min on site of 30 planned"
    assert detail[("V5", "W1")] == "no call for the visit planned 13:00"
    assert detail[("V6", "W2")] == "no call by W2; called by W3"
    assert detail[("V6", "W3")] == "visit is planned for W2"
    assert detail[("V7", "W2")] == "visit is unplaced in the rota"
    assert detail[("V99", "W2")] == "visit is not in the rota"


def test_counts_per_worker_and_provider(report):
    assert report.by_worker["W1"] == {**dict.fromkeys(CATEGORIES, 0), "on_time": 1, "late": 1,
                                      "early": 1, "short": 1, "missed": 1}
    assert report.by_worker["W3"]["unplanned"] == 1
    assert report.by_provider["P2"] == {**dict.fromkeys(CATEGORIES, 0), "covered": 1,
                                        "unplanned": 3, "no_check_out": 1}


def test_punctuality_is_the_share_of_check_ins_inside_the_window(report):
    # checked-in planned visits: V1 in, V2 out, V3 out, V4 in, V8 in
    assert report.punctuality == pytest.approx(3 / 5)


def test_tolerance_and_short_ratio_are_configurable(tmp_path, day, rota):
    calls = read_calls(write_calls(tmp_path / "calls.csv", CALLS))
    loose = compare_actuals(day, rota, calls, late_after_s=1800, early_before_s=1800,
                            short_ratio=0.5)
    assert _by_visit(loose)[("V2", "W1")] == ("on_time",)
    assert _by_visit(loose)[("V3", "W1")] == ("on_time",)
    assert _by_visit(loose)[("V4", "W1")] == ("on_time",)


def test_short_ratio_must_be_a_share(day, rota):
    with pytest.raises(ValueError, match="short_ratio"):
        compare_actuals(day, rota, (), short_ratio=1.5)


def test_several_calls_for_one_visit_are_joined(tmp_path, day, rota):
    calls = read_calls(write_calls(tmp_path / "calls.csv", [("V1", "W1", "08:00", "08:10"),
                                                            ("V1", "W1", "08:12", "08:31")]))
    entry = next(e for e in compare_actuals(day, rota, calls).visits if e.visit_id == "V1")
    assert (entry.check_in_s, entry.check_out_s, entry.categories) == (
        hm("08:00"), hm("08:31"), ("on_time",))
    assert "2 calls joined" in entry.detail


def test_without_inputs_punctuality_is_against_the_planned_start(tmp_path, rota):
    calls = read_calls(write_calls(tmp_path / "calls.csv", [("V2", "W1", "09:20", "09:50")]))
    entry = next(e for e in compare_actuals(None, rota, calls).visits if e.visit_id == "V2")
    assert entry.categories == ("late",)
    assert entry.detail == "checked in 09:20, 20 min after the planned start 09:00"
    assert entry.in_window is None


def test_calls_on_another_date_are_an_input_error(tmp_path, day, rota):
    path = write_calls(tmp_path / "calls.csv", [("V1", "W1", "2026-11-23T08:05:00",
                                                 "2026-11-23T08:35:00")])
    with pytest.raises(InputError, match=r"calls.csv, row 2, id 'V1', field 'check_in': "
                                         r"check-in is on 2026-11-23, the rota is for 2026-11-24"):
        compare_actuals(day, rota, read_calls(path))


def test_actuals_csv_has_one_row_per_entry(report, tmp_path):
    rows = list(csv.DictReader(write_actuals_csv(report, tmp_path / "a.csv").open()))
    assert tuple(rows[0]) == ACTUALS_COLUMNS
    assert len(rows) == len(report.visits)
    late = next(r for r in rows if r["visit_id"] == "V2")
    assert (late["window"], late["planned_start"], late["check_in"], late["start_delta_min"],
            late["in_window"], late["categories"]) == ("09:00-09:30", "09:00", "09:50", "50",
                                                       "no", "late")


# ---- command line -------------------------------------------------------------------------

def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


@pytest.fixture
def tiny_rota(tmp_path) -> Path:
    """A rota on the tiny day: W1 does V1 at 07:45, W3 does V3 at 08:00, the rest unplaced."""
    w1 = PlannedShift("W1", "P1", 1, hm("07:00"), hm("12:00"), "drive", hm("07:40"), hm("08:20"),
                      (PlannedStop("V1", "C1", hm("07:45"), hm("07:45"), hm("08:15"), 300, 300),),
                      300, 300)
    w3 = PlannedShift("W3", "P2", 1, hm("07:00"), hm("12:00"), "drive", hm("07:55"), hm("08:35"),
                      (PlannedStop("V3", "C3", hm("08:00"), hm("08:00"), hm("08:30"), 300, 300),),
                      300, 300)
    outcomes = (VisitOutcome("V1", "scheduled", "P1", ("W1",), hm("07:45"), hm("08:15")),
                VisitOutcome("V3", "scheduled", "P2", ("W3",), hm("08:00"), hm("08:30")),
                *(VisitOutcome(v, "unplaced", None, reason="capacity") for v in ("V2", "V4", "V5")))
    return write_rota_json(Rota(PLAN_DATE, (w1, w3), outcomes), tmp_path / "rota.json")


def test_cli_prints_a_table_writes_csv_and_exits_1_on_exceptions(tmp_path, tiny_rota, capsys):
    inputs = write_day(tmp_path / "in")
    calls = write_calls(tmp_path / "calls.csv", [("V1", "W1", "07:50", "08:20"),
                                                 ("V3", "W3", "09:30", "09:40")])
    code = _run(["actuals", "--rota", str(tiny_rota), "--calls", str(calls), "--inputs",
                 str(inputs), "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "By worker" in printed and "By provider" in printed
    assert "Punctuality: 50% of check-ins inside the window" in printed
    assert "V3" in printed and "late,short" in printed
    rows = list(csv.DictReader((tmp_path / "out" / "actuals.csv").open()))
    assert [(r["visit_id"], r["categories"]) for r in rows] == [("V1", "on_time"),
                                                               ("V3", "late;short")]


def test_cli_exits_0_when_all_went_to_plan_and_writes_a_named_csv(tmp_path, tiny_rota, capsys):
    calls = write_calls(tmp_path / "calls.csv", [("V1", "W1", "07:50", "08:20"),
                                                 ("V3", "W3", "08:00", "08:30")])
    code = _run(["actuals", "--rota", str(tiny_rota), "--calls", str(calls),
                 "--out", str(tmp_path / "ecm" / "tuesday.csv")])
    assert code == 0
    assert "n/a (no windows: pass --inputs)" in capsys.readouterr().out
    assert (tmp_path / "ecm" / "tuesday.csv").is_file()


def test_cli_as_of_calls_visits_still_to_come_not_yet_due_and_open_calls_in_progress(
        tmp_path, tiny_rota, capsys):
    calls = write_calls(tmp_path / "calls.csv", [("V1", "W1", "07:50", "08:20")])
    code = _run(["actuals", "--rota", str(tiny_rota), "--calls", str(calls), "--inputs",
                 str(write_day(tmp_path / "in")), "--as-of", "08:05",
                 "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "As of 08:05: 1 not yet due, 1 in progress" in printed
    rows = list(csv.DictReader((tmp_path / "out" / "actuals.csv").open()))
    assert [(r["visit_id"], r["categories"]) for r in rows] == [("V1", "in_progress"),
                                                               ("V3", "not_yet_due")]


def test_cli_rejects_an_as_of_that_is_not_a_time(tmp_path, tiny_rota):
    with pytest.raises(SystemExit) as exit_info:
        _run(["actuals", "--rota", str(tiny_rota), "--calls", "x.csv", "--as-of", "noon"])
    assert exit_info.value.code == 2


def test_cli_bad_calls_file_is_an_input_error(tmp_path, tiny_rota):
    calls = write_calls(tmp_path / "calls.csv", [("V1", "W1", "late", "08:20")])
    with pytest.raises(InputError, match="calls.csv, row 2, id 'V1', field 'check_in'"):
        _run(["actuals", "--rota", str(tiny_rota), "--calls", str(calls)])


def test_cli_rejects_a_short_ratio_above_one(tmp_path, tiny_rota, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _run(["actuals", "--rota", str(tiny_rota), "--calls", "x.csv", "--short-ratio", "1.5"])
    assert exit_info.value.code == 2


# ---- the calls file gets every protection of the shared reader ---------------------------

def _calls_text(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "calls.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


CALLS_HEADER = "visit_id,worker_id,check_in,check_out\n"


@pytest.mark.parametrize("body,row,field,message", [
    ('V1,W1,08:05,"08:35\nV2,W1,09:05,09:35\n', 2, "check_out", "is never closed"),
    ('V1,W1,"08:05"x,08:35\n', 2, "check_in", "text after the closing quote"),
    ("V1,W1,08:05,08\x0035\n", 2, "check_out", "NUL"),
    ("V1,W1,08:05," + "9" * 10_001 + "\n", 2, "check_out", "characters long"),
    ("V1,W1,\u0660\u0668:05,08:35\n", 2, "check_in", "is not a time"),
    ("V1,W1,08:05,2026-11-24T\u0660\u0668:35:00\n", 2, "check_out", "is not a time"),
    ("V" * 65 + ",W1,08:05,08:35\n", 2, "visit_id", "an id is at most 64"),
    ("V1,W 1,08:05,08:35\n", 2, "worker_id", "is not a valid id"),
    ("V1,W1,08:05\n", 2, None, "fewer fields than the header"),
])
def test_calls_file_gets_the_shared_reader_protections(tmp_path, body, row, field, message):
    with pytest.raises(InputError) as caught:
        read_calls(_calls_text(tmp_path, CALLS_HEADER + body))
    error = caught.value
    assert (error.file, error.row, error.field) == ("calls.csv", row, field), str(error)
    assert message in error.message


def test_calls_file_with_a_duplicated_column_is_rejected(tmp_path):
    path = _calls_text(tmp_path, "visit_id,worker_id,check_in,check_out,check_in\n"
                                 "V1,W1,08:05,08:35,09:00\n")
    with pytest.raises(InputError, match=r"calls.csv, row 1, field 'check_in': column "
                                         r"'check_in' appears twice in the header \(columns 3 "
                                         r"and 5\)"):
        read_calls(path)


def test_calls_file_in_utf16_is_rejected(tmp_path):
    path = _calls_text(tmp_path, (CALLS_HEADER + "V1,W1,08:05,08:35\n").encode("utf-16"))
    with pytest.raises(InputError, match="calls.csv: is UTF-16 text"):
        read_calls(path)


def test_calls_file_that_is_a_folder_is_rejected(tmp_path):
    (tmp_path / "calls.csv").mkdir()
    with pytest.raises(InputError, match="calls.csv: is a folder"):
        read_calls(tmp_path / "calls.csv")


def test_calls_file_with_only_its_header_has_no_calls(tmp_path):
    assert read_calls(_calls_text(tmp_path, CALLS_HEADER)) == ()


def test_calls_bad_time_never_echoes_text_that_is_not_a_time(tmp_path):
    path = _calls_text(tmp_path, CALLS_HEADER + "V1,W1,Dora O'Neill,08:35\n")
    with pytest.raises(InputError) as caught:
        read_calls(path)
    assert "Dora" not in str(caught.value)
    assert "the value is not a time" in str(caught.value)
