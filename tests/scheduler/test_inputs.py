"""Reading and validating input CSVs: every bad-input case names file, row and field, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.scheduler.cli import main
from carerounds.scheduler.inputs import read_day

from ..conftest import PLAN_DATE, tiny_tables, write_day


def _plan(folder: Path, tmp_path: Path, capsys) -> tuple[int, str]:
    code = main(["plan", "--inputs", str(folder), "--out", str(tmp_path / "out"), "--quiet",
                 "--time-limit", "1"])
    return code, capsys.readouterr().err


def _broken(tmp_path: Path, file: str, row: int, field: str, value: str) -> Path:
    tables = tiny_tables()
    tables[file][row][field] = value
    return write_day(tmp_path / "broken", tables)


def test_read_day_reads_the_tiny_day(tiny_dir):
    day = read_day(tiny_dir, date=PLAN_DATE)
    assert [p.provider_id for p in day.providers] == ["P1", "P2"]
    assert len(day.workers) == 3
    assert [len(w.shifts) for w in day.workers] == [2, 1, 1]
    assert day.worker_by_id["W3"].max_work_s == 4 * 3600
    assert day.visit_by_id["V1"].window_start_s == 7 * 3600 + 30 * 60
    assert day.visit_by_id["V2"].service_s == 45 * 60
    assert day.visit_by_id["V5"].provider_id is None
    assert day.client_by_id["C1"].excluded_workers == {"W2"}
    assert {s.name for s in day.sources} == {"providers.csv", "workers.csv", "clients.csv",
                                              "visits.csv"}


def test_missing_file(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    (folder / "visits.csv").unlink()
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert "visits.csv: file not found" in message
    assert "Traceback" not in message


def test_missing_column(tmp_path, capsys):
    tables = tiny_tables()
    for row in tables["clients.csv"]:
        del row["lon"]
    code, message = _plan(write_day(tmp_path / "in", tables), tmp_path, capsys)
    assert code == 2
    assert "clients.csv, row 1, field 'lon': missing column(s) lon" in message


def test_unknown_client_id(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 2, "client_id", "C99"), tmp_path, capsys)
    assert code == 2
    assert "visits.csv, row 4, id 'V3', field 'client_id': unknown client 'C99'" in message


def test_unknown_provider_id(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "workers.csv", 2, "provider_id", "PX"), tmp_path, capsys)
    assert code == 2
    assert "workers.csv, row 4, id 'W2', field 'provider_id': unknown provider 'PX'" in message


def test_unknown_worker_in_exclusions(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "clients.csv", 0, "excluded_workers", "W1;W404"),
                          tmp_path, capsys)
    assert code == 2
    assert "clients.csv, row 2, id 'C1', field 'excluded_workers': unknown worker 'W404'" in message


def test_bad_time(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 0, "window_start", "7.30am"),
                          tmp_path, capsys)
    assert code == 2
    assert "visits.csv, row 2, id 'V1', field 'window_start': '7.30am' is not a time" in message


def test_impossible_time(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "workers.csv", 0, "shift_end", "25:10"), tmp_path, capsys)
    assert code == 2
    assert "workers.csv, row 2, id 'W1', field 'shift_end'" in message


def test_window_end_before_start(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 1, "window_end", "08:00"), tmp_path, capsys)
    assert code == 2
    assert "visits.csv, row 3, id 'V2', field 'window_end': window ends before it starts" in message


def test_coordinate_outside_uk(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "clients.csv", 1, "lat", "48.85"), tmp_path, capsys)
    assert code == 2
    assert "clients.csv, row 3, id 'C2', field 'lat': latitude 48.85 is outside the UK" in message


def test_swapped_coordinates_are_outside_uk(tmp_path, capsys):
    tables = tiny_tables()
    tables["workers.csv"][2].update(home_lat="-3.1050", home_lon="55.8730")
    code, message = _plan(write_day(tmp_path / "in", tables), tmp_path, capsys)
    assert code == 2
    assert "workers.csv, row 4, id 'W2', field 'home_lat'" in message
    assert "check the column order" in message


def test_duplicate_visit_id(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 3, "visit_id", "V1"), tmp_path, capsys)
    assert code == 2
    assert "visits.csv, row 5, id 'V1', field 'visit_id': duplicate id 'V1' (first on row 2)" in message


def test_duplicate_client_id(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "clients.csv", 2, "client_id", "C1"), tmp_path, capsys)
    assert code == 2
    assert "clients.csv, row 4, id 'C1', field 'client_id': duplicate id 'C1'" in message


def test_non_numeric_duration(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 0, "duration_min", "half an hour"),
                          tmp_path, capsys)
    assert code == 2
    # words are not echoed: a misaligned row could put a name here
    assert ("visits.csv, row 2, id 'V1', field 'duration_min': the value is not a whole "
            "number") in message


def test_bad_carers_count(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 0, "carers", "3"), tmp_path, capsys)
    assert code == 2
    assert "field 'carers': 3 is outside 1..2" in message


def test_bad_enum_value(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "workers.csv", 0, "travel_mode", "bicycle"),
                          tmp_path, capsys)
    assert code == 2
    assert "field 'travel_mode': 'bicycle' is not one of drive, walk" in message


def test_split_shift_rows_must_agree(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "workers.csv", 1, "gender", "male"), tmp_path, capsys)
    assert code == 2
    assert "workers.csv, row 3, id 'W1', field 'gender'" in message
    assert "split shifts" in message


def test_overlapping_split_shifts(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "workers.csv", 1, "shift_start", "11:00"),
                          tmp_path, capsys)
    assert code == 2
    assert "shift overlaps the worker's shift on row 2" in message


def test_not_utf8(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    (folder / "clients.csv").write_bytes("client_id,name\nC1,Jos\xe9\n".encode("latin-1"))
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert "clients.csv: is not UTF-8 text" in message


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_day(tmp_path / "nowhere")


def test_input_error_is_a_value_error(tmp_path):
    folder = write_day(tmp_path / "in")
    (folder / "providers.csv").unlink()
    with pytest.raises(ValueError):
        read_day(folder)
