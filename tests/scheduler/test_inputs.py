"""Reading and validating input CSVs: every bad-input case names file, row and field, exit 2."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.scheduler import csvtable, inputs
from carerounds.scheduler.cli import main
from carerounds.scheduler.inputs import read_day

from ..conftest import PLAN_DATE, TINY_DAY, tiny_tables, write_day


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


# ---- hostile input (issue 14) -------------------------------------------------------------

#: Every value of a personal-data column in the tiny day: never in an error message.
_PERSONAL_COLUMNS = ("name", "address", "postcode", "notes")
PERSONAL = sorted({row[field] for name, rows in TINY_DAY.items() for row in rows
                   for field in _PERSONAL_COLUMNS if row.get(field)})
#: Words of those values that no other column holds (``Dalkeith`` is also an area).
_OTHER_WORDS = {word for rows in TINY_DAY.values() for row in rows for field, value in row.items()
                if field not in _PERSONAL_COLUMNS for word in value.split()}
PERSONAL_WORDS = sorted({word for value in PERSONAL for word in value.replace(",", " ").split()
                         if len(word) > 3 and not word.isdigit()} - _OTHER_WORDS)


def _replace(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(folder: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_day(folder, date=PLAN_DATE)
    return caught.value


def _where(error: InputError) -> tuple[str | None, int | None, str | None]:
    return error.file, error.row, error.field


V1_LINE = "V1,C1,P1,07:30,08:30,30,1,medication,critical,integrated,personal care;medication"


def test_stray_quote_opening_the_last_field_is_rejected_where_it_opened(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    _replace(folder, "visits.csv", "integrated,personal care;medication",
             'integrated,"personal care;medication')
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert ("visits.csv, row 2, id 'V1', field 'tasks': a quote opened on line 2 is never "
            "closed, so it would swallow the rest of the file (4 more line(s))") in message
    assert "Traceback" not in message


def test_stray_quote_in_a_middle_field_is_rejected_where_it_opened(tmp_path):
    folder = write_day(tmp_path / "in")
    _replace(folder, "visits.csv", "V3,C3,", 'V3,"C3,')
    assert _where(_error(folder)) == ("visits.csv", 4, "client_id")


def test_unclosed_quote_that_meets_a_later_stray_quote_is_rejected(tmp_path):
    # the quote opened on row 2 closes at a stray quote ending row 6: rows 3-6 would vanish
    folder = write_day(tmp_path / "in")
    _replace(folder, "visits.csv", "integrated,personal care;medication",
             'integrated,"personal care;medication')
    _replace(folder, "visits.csv", "meal preparation", 'meal preparation"')
    error = _error(folder)
    assert _where(error) == ("visits.csv", 2, "tasks")
    assert "look like whole rows" in error.message


def test_quoted_line_breaks_in_notes_and_address_are_read(tmp_path):
    folder = write_day(tmp_path / "in")
    _replace(folder, "clients.csv", "Key safe 1234", '"Key safe 1234\nRing twice, then wait"')
    _replace(folder, "clients.csv", '"2 Main Street, Bonnyrigg"', '"2 Main Street\r\nBonnyrigg"')
    day = read_day(folder, date=PLAN_DATE)
    assert day.client_by_id["C1"].notes == "Key safe 1234\nRing twice, then wait"
    assert day.client_by_id["C2"].address == "2 Main Street\r\nBonnyrigg"
    # rows count records, not lines: C3 is still row 4
    assert day.client_by_id["C3"].row == 4


def test_quoted_quotes_and_commas_are_read(tmp_path):
    tables = tiny_tables()
    tables["clients.csv"][0]["notes"] = 'Say "hello", then wait'
    day = read_day(write_day(tmp_path / "in", tables), date=PLAN_DATE)
    assert day.client_by_id["C1"].notes == 'Say "hello", then wait'


def test_line_break_outside_the_free_text_columns_is_rejected(tmp_path):
    folder = write_day(tmp_path / "in")
    _replace(folder, "clients.csv", "C2,Ewan Test,", 'C2,"Ewan\nTest",')
    error = _error(folder)
    assert _where(error) == ("clients.csv", 3, "name")
    assert "contains a line break" in error.message


def test_text_after_a_closing_quote_is_rejected(tmp_path):
    folder = write_day(tmp_path / "in")
    _replace(folder, "visits.csv", "V2,C2,P1,", 'V2,"C2"x,P1,')
    assert _where(_error(folder)) == ("visits.csv", 3, "client_id")


def test_header_only_visits_plans_an_empty_rota_and_checks(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    (folder / "visits.csv").write_text(",".join(inputs.COLUMNS["visits.csv"]) + "\n",
                                       encoding="utf-8")
    out = tmp_path / "out"
    code = main(["plan", "--inputs", str(folder), "--out", str(out), "--quiet", "--time-limit",
                 "1", "--date", PLAN_DATE.isoformat()])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "visits.csv has no visits: the rota will be empty" in captured.err
    assert "Visits placed:   0 of 0" in captured.out
    assert main(["check", "--inputs", str(folder), "--rota", str(out / "rota.json"),
                 "--quiet"]) == 0


@pytest.mark.parametrize("length", [10_001, 131_073, 200_000])
def test_field_over_the_limit_is_rejected_naming_the_field(tmp_path, capsys, length):
    tables = tiny_tables()
    tables["clients.csv"][1]["notes"] = "x" * length
    code, message = _plan(write_day(tmp_path / "in", tables), tmp_path, capsys)
    assert code == 2
    assert f"clients.csv, row 3, id 'C2', field 'notes': is {length:,} characters long" in message
    assert "Traceback" not in message and "_csv" not in message


def test_field_at_the_limit_is_read(tmp_path):
    tables = tiny_tables()
    tables["clients.csv"][1]["notes"] = "x" * inputs.MAX_FIELD_CHARS
    assert read_day(write_day(tmp_path / "in", tables)).client_by_id["C2"].notes == \
        "x" * inputs.MAX_FIELD_CHARS


def test_five_thousand_character_id_is_rejected(tmp_path, capsys):
    code, message = _plan(_broken(tmp_path, "visits.csv", 0, "visit_id", "V" * 5000), tmp_path,
                          capsys)
    assert code == 2
    assert ("visits.csv, row 2, field 'visit_id': is 5,000 characters long; an id is at most 64 "
            "characters") in message
    assert "VVVVVVVVVV" not in message


def test_duplicated_column_is_rejected_naming_both_positions(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    text = (folder / "visits.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",duration_min"] + [line + ",90" for line in text[1:]]
    (folder / "visits.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert ("visits.csv, row 1, field 'duration_min': column 'duration_min' appears twice in "
            "the header (columns 6 and 12)") in message


@pytest.mark.parametrize("field,value", [
    ("duration_min", "4_5"), ("duration_min", "\u0664\u0665"), ("duration_min", "\uff14\uff15"),
    ("duration_min", "1e2"), ("duration_min", "+45"), ("duration_min", "4 5"),
    ("duration_min", "45.0"), ("carers", "\u0661"), ("window_start", "\u0660\u0667:30"),
])
def test_lax_visit_numerals_are_rejected(tmp_path, field, value):
    error = _error(_broken(tmp_path, "visits.csv", 0, field, value))
    assert _where(error) == ("visits.csv", 2, field)


@pytest.mark.parametrize("field,value", [
    ("lat", "5_5.896"), ("lat", "inf"), ("lat", "nan"), ("lat", "5.5896e1"), ("lat", "+55.896"),
    ("lat", "55. 896"), ("lon", "-3,065"), ("lon", "-\u0663.065"), ("lat", "Infinity"),
])
def test_lax_coordinates_are_rejected(tmp_path, field, value):
    error = _error(_broken(tmp_path, "clients.csv", 0, field, value))
    assert _where(error) == ("clients.csv", 2, field)
    assert "is not a number" in error.message


@pytest.mark.parametrize("value", ["4_0", "nan", "inf", "1e1", "+4", "\u0664"])
def test_lax_max_hours_are_rejected(tmp_path, value):
    error = _error(_broken(tmp_path, "workers.csv", 3, "max_hours", value))
    assert _where(error) == ("workers.csv", 5, "max_hours")


def test_history_visits_must_be_plain_digits(tmp_path):
    folder = write_day(tmp_path / "in")
    (folder / "history.csv").write_text("client_id,worker_id,visits\nC1,W1,1_0\n",
                                        encoding="utf-8")
    assert _where(_error(folder)) == ("history.csv", 2, "visits")


@pytest.mark.parametrize("file,old", [
    ("providers.csv", "Esk Valley"), ("workers.csv", "Bob Test"), ("clients.csv", "Key safe"),
    ("visits.csv", "hoist transfer"), ("visits.csv", "V3,"),
])
def test_nul_character_is_rejected_naming_file_row_and_field(tmp_path, capsys, file, old):
    folder = write_day(tmp_path / "in")
    _replace(folder, file, old, old[:2] + "\x00" + old[2:])
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert f"{file}, row " in message and "contains a NUL character" in message
    assert "field '" in message


def test_nul_in_the_header_is_rejected(tmp_path):
    folder = write_day(tmp_path / "in")
    _replace(folder, "visits.csv", "visit_id", "visit\x00_id")
    error = _error(folder)
    assert (error.file, error.row) == ("visits.csv", 1)
    assert "NUL" in error.message


@pytest.mark.parametrize("field,value", [
    ("name", "Ann Tester"), ("max_hours", "8"), ("home_lat", "55.8951"), ("travel_mode", "walk"),
    ("skills", "medication"), ("provider_id", "P2"),
])
def test_split_shift_rows_that_disagree_are_rejected(tmp_path, capsys, field, value):
    code, message = _plan(_broken(tmp_path, "workers.csv", 1, field, value), tmp_path, capsys)
    assert code == 2
    assert f"workers.csv, row 3, id 'W1', field '{field}': worker 'W1' appears again" in message
    assert value not in message or field not in ("name",)


def test_split_shift_rows_may_list_skills_in_another_order_and_case(tmp_path):
    day = read_day(_broken(tmp_path, "workers.csv", 1, "skills", "Hoist; medication"))
    assert len(day.worker_by_id["W1"].shifts) == 2


def test_visits_file_that_is_a_folder_is_rejected(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    (folder / "visits.csv").unlink()
    (folder / "visits.csv").mkdir()
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert "visits.csv: is a folder, not a file" in message


def test_visits_file_that_is_a_symlink_loop_is_rejected(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    (folder / "visits.csv").unlink()
    os.symlink("loop.csv", folder / "visits.csv")
    os.symlink("visits.csv", folder / "loop.csv")
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert "visits.csv: is a symbolic link loop" in message


def test_history_file_that_is_a_broken_link_is_rejected(tmp_path):
    folder = write_day(tmp_path / "in")
    os.symlink("gone.csv", folder / "history.csv")
    error = _error(folder)
    assert error.file == "history.csv"
    assert "does not exist" in error.message


def test_visits_file_that_is_a_pipe_is_rejected_without_blocking(tmp_path):
    folder = write_day(tmp_path / "in")
    (folder / "visits.csv").unlink()
    os.mkfifo(folder / "visits.csv")
    error = _error(folder)
    assert error.file == "visits.csv"
    assert "not a regular file" in error.message


def test_input_folder_that_is_a_file_is_rejected(tmp_path, capsys):
    folder = write_day(tmp_path / "in")
    code, message = _plan(folder / "visits.csv", tmp_path, capsys)
    assert code == 2
    assert "is a file, not a folder" in message


def test_oversized_file_is_rejected_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(csvtable, "MAX_FILE_BYTES", 200)
    error = _error(write_day(tmp_path / "in"))
    assert error.file == "workers.csv"  # providers.csv is under 200 bytes
    assert "an input file is at most" in error.message


@pytest.mark.parametrize("spelling,gender", [
    ("F", "female"), ("f", "female"), ("Female", "female"), ("FEMALE", "female"),
    ("woman", "female"), ("Woman", "female"), ("M", "male"), ("Male", "male"), ("man", "male"),
    ("MAN", "male"), ("Other", "other"), ("X", "other"), ("non-binary", "other"),
])
def test_common_gender_spellings_are_accepted(tmp_path, spelling, gender):
    tables = tiny_tables()
    tables["workers.csv"][2]["gender"] = spelling
    tables["clients.csv"][1]["gender_preference"] = spelling
    day = read_day(write_day(tmp_path / "in", tables))
    assert day.worker_by_id["W2"].gender == gender
    assert day.client_by_id["C2"].gender_preference == gender


@pytest.mark.parametrize("file,index,field", [
    ("workers.csv", 2, "gender"), ("clients.csv", 1, "gender_preference")])
def test_unknown_gender_spelling_says_what_is_accepted(tmp_path, file, index, field):
    error = _error(_broken(tmp_path, file, index, field, "bloke"))
    assert _where(error) == (file, index + 2, field)
    assert "'bloke' is not one of female, male, other" in error.message
    assert "F, M, woman, man" in error.message


def _rotated(folder: Path, file: str, by: int) -> None:
    """Shift every data row's values ``by`` columns to the right (same field count)."""
    import csv

    path = folder / file
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    body = [row[-by:] + row[:-by] for row in rows[1:]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([rows[0]] + body)


@pytest.mark.parametrize("file,by", [(file, by) for file in ("providers.csv", "workers.csv",
                                                               "clients.csv")
                                     for by in range(1, len(TINY_DAY[file][0]))])
def test_misaligned_file_never_echoes_personal_data(tmp_path, capsys, file, by):
    folder = write_day(tmp_path / "in")
    _rotated(folder, file, by)
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert file in message
    for value in PERSONAL:
        assert value not in message and value.upper() not in message
    for word in PERSONAL_WORDS:
        assert word not in message, (word, message)


@pytest.mark.parametrize("file", ["providers.csv", "workers.csv", "clients.csv"])
def test_file_without_its_header_never_echoes_personal_data(tmp_path, capsys, file):
    folder = write_day(tmp_path / "in")
    path = folder / file
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[1:]) + "\n",
                    encoding="utf-8")
    code, message = _plan(folder, tmp_path, capsys)
    assert code == 2
    assert f"{file}, row 1: is not a header row" in message
    for value in PERSONAL:
        assert value not in message


@pytest.mark.parametrize("value,echo", [
    ("C99", "'C99'"), ("bicycle", "'bicycle'"), ("07:30", "'07:30'"), ("-3.5", "'-3.5'"),
    ("Dora O'Neill", "the value"), ("EH22 1AA", "the value"), ("EH221AA", "the value"),
    ("07700900123", "the value"), ("+447700900123", "the value"), ("x" * 41, "the value"),
    ("1 High Street", "the value"), ("V1\n", "the value"),
])
def test_messages_show_only_values_that_look_like_ids_numbers_or_times(value, echo):
    assert inputs.shown(value) == echo


@dataclass(frozen=True)
class Case:
    """A small mutation of the tiny day and where read_day must say the problem is."""

    tables: Callable[[dict], None] | None
    files: Callable[[Path], None] | None
    file: str | None
    row: int | None
    field: str | None


def cell(file: str, index: int, field: str, value: str, row: int | None = None,
         where: str | None = None) -> Case:
    def change(tables: dict) -> None:
        tables[file][index][field] = value
    return Case(change, None, file, index + 2 if row is None else row, where or field)


def raw(file: str, old: str, new: str, row: int | None, field: str | None) -> Case:
    return Case(None, lambda folder: _replace(folder, file, old, new), file, row, field)


def act(action: Callable[[Path], None], file: str | None, row: int | None = None,
        field: str | None = None) -> Case:
    return Case(None, action, file, row, field)


def _header(file: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        lines = (folder / file).read_text(encoding="utf-8").split("\n")
        lines[0] = ",".join(change(lines[0].split(",")))
        (folder / file).write_text("\n".join(lines), encoding="utf-8")
    return edit


def _unlink(file: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).unlink()


def _write(file: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / file).write_bytes(data)


def _history(text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "history.csv").write_text(text, encoding="utf-8")


VISIT_HEADER = ",".join(inputs.COLUMNS["visits.csv"])

#: Every user-triggerable error of read_day, each a small mutation of the tiny day.
READ_DAY_ERRORS: dict[str, Case] = {
    # files and encodings
    "missing file": act(_unlink("workers.csv"), "workers.csv"),
    "folder for a file": act(lambda f: (_unlink("clients.csv")(f), (f / "clients.csv").mkdir()),
                             "clients.csv"),
    "symlink loop": act(lambda f: (_unlink("visits.csv")(f),
                                   os.symlink("visits.csv", f / "visits.csv")), "visits.csv"),
    "dangling symlink": act(lambda f: (_unlink("visits.csv")(f),
                                       os.symlink("nowhere.csv", f / "visits.csv")), "visits.csv"),
    "pipe": act(lambda f: (_unlink("visits.csv")(f), os.mkfifo(f / "visits.csv")), "visits.csv"),
    "latin-1": act(_write("clients.csv", "client_id,name\nC1,Jos\xe9\n".encode("latin-1")),
                   "clients.csv"),
    "utf-16 with BOM": act(_write("visits.csv", VISIT_HEADER.encode("utf-16")), "visits.csv"),
    "utf-32 with BOM": act(_write("visits.csv", VISIT_HEADER.encode("utf-32")), "visits.csv"),
    "utf-16 without BOM": act(_write("visits.csv", VISIT_HEADER.encode("utf-16-le")),
                              "visits.csv", 1),
    "empty file": act(_write("providers.csv", b""), "providers.csv", 1),
    "blank first row": act(_write("providers.csv", b"\nprovider_id,name,kind\n"),
                           "providers.csv", 1),
    # header
    "headerless": act(_write("providers.csv", b"P1,Council,in_house\n"), "providers.csv", 1),
    "semicolons": act(_write("providers.csv", b"provider_id;name;kind\nP1;A;in_house\n"),
                      "providers.csv", 1),
    "missing column": act(_header("visits.csv", lambda h: [c if c != "carers" else "carer"
                                                           for c in h]), "visits.csv", 1, "carers"),
    "duplicate column": act(_header("clients.csv", lambda h: [c if c != "notes" else "lat"
                                                              for c in h]), "clients.csv", 1, "lat"),
    "quote in header": raw("visits.csv", "visit_id", '"visit_id', 1, None),
    "header cell too long": act(_header("visits.csv", lambda h: h + ["x" * 10_001]),
                                "visits.csv", 1),
    "NUL in header": raw("workers.csv", "worker_id", "worker\x00id", 1, None),
    # records
    "unclosed quote": raw("visits.csv", "hoist transfer", '"hoist transfer', 3, "tasks"),
    "swallowed rows": Case(None, lambda f: (_replace(f, "visits.csv", "hoist transfer",
                                                     '"hoist transfer'),
                                            _replace(f, "visits.csv", "meal preparation",
                                                     'meal preparation"')),
                           "visits.csv", 3, "tasks"),
    "text after quote": raw("workers.csv", "W2,P1", '"W2"2,P1', 4, "worker_id"),
    "more fields": raw("visits.csv", "V3,C3", "V3,C3,C3", 4, None),
    "fewer fields": raw("visits.csv", "V3,C3,P2,", "V3,C3,", 4, None),
    "NUL in a field": raw("clients.csv", "Dog in", "Dog\x00in", 4, "notes"),
    "field too long": cell("clients.csv", 2, "notes", "n" * 10_001),
    "runaway in an unknown column": Case(None, _header("visits.csv", lambda h: h), None, None,
                                         None),  # placeholder, replaced below
    # cells: required, sizes, line breaks
    "empty name": cell("providers.csv", 1, "name", " "),
    "name too long": cell("workers.csv", 2, "name", "n" * 201),
    "postcode too long": cell("clients.csv", 0, "postcode", "EH22 1AA" * 26),
    "area too long": cell("clients.csv", 0, "area", "a" * 201),
    "line break in area": raw("clients.csv", ",Bonnyrigg,", ',"Bonny\nrigg",', 3, "area"),
    "id too long": cell("clients.csv", 1, "client_id", "C" * 65),
    "bad id": cell("visits.csv", 4, "visit_id", "V 5"),
    "bad id in a list": cell("clients.csv", 0, "preferred_workers", "W1;W 2"),
    "choice too long": cell("visits.csv", 0, "priority", "c" * 41),
    # providers
    "duplicate provider": cell("providers.csv", 1, "provider_id", "P1"),
    "bad kind": cell("providers.csv", 0, "kind", "council"),
    # workers
    "unknown provider of a worker": cell("workers.csv", 3, "provider_id", "P9"),
    "bad gender": cell("workers.csv", 2, "gender", "bloke"),
    "bad shift time": cell("workers.csv", 2, "shift_start", "7am"),
    "shift time out of range": cell("workers.csv", 2, "shift_end", "24:30"),
    "shift ends first": cell("workers.csv", 3, "shift_end", "06:00"),
    "home outside the UK": cell("workers.csv", 3, "home_lon", "12.5"),
    "home latitude outside the UK": cell("workers.csv", 3, "home_lat", "40.0"),
    "lax home coordinate": cell("workers.csv", 3, "home_lat", "5_5.8"),
    "bad travel mode": cell("workers.csv", 0, "travel_mode", "bicycle"),
    "max hours out of range": cell("workers.csv", 3, "max_hours", "25"),
    "max hours not a number": cell("workers.csv", 3, "max_hours", "four"),
    "split shift disagrees": cell("workers.csv", 1, "gender", "male"),
    "split shift name disagrees": cell("workers.csv", 1, "name", "Ann Other"),
    "split shifts overlap": cell("workers.csv", 1, "shift_start", "11:00", where="shift_start"),
    # clients
    "duplicate client": cell("clients.csv", 2, "client_id", "C2"),
    "client outside the UK": cell("clients.csv", 2, "lat", "48.85"),
    "unknown preferred worker": cell("clients.csv", 1, "preferred_workers", "W9"),
    "unknown excluded worker": cell("clients.csv", 0, "excluded_workers", "W2;W404"),
    "bad gender preference": cell("clients.csv", 0, "gender_preference", "any"),
    "empty address": cell("clients.csv", 2, "address", ""),
    # visits
    "duplicate visit": cell("visits.csv", 3, "visit_id", "V1"),
    "unknown client": cell("visits.csv", 2, "client_id", "C99"),
    "unknown provider of a visit": cell("visits.csv", 2, "provider_id", "P9"),
    "bad window time": cell("visits.csv", 0, "window_start", "7.30am"),
    "window ends first": cell("visits.csv", 1, "window_end", "08:00"),
    "duration zero": cell("visits.csv", 0, "duration_min", "0"),
    "duration over a day": cell("visits.csv", 0, "duration_min", "1441"),
    "duration with underscore": cell("visits.csv", 0, "duration_min", "3_0"),
    "three carers": cell("visits.csv", 0, "carers", "3"),
    "empty carers": cell("visits.csv", 0, "carers", ""),
    "bad priority": cell("visits.csv", 0, "priority", "urgent"),
    # history
    "history missing column": act(_history("client_id,worker_id\nC1,W1\n"), "history.csv", 1,
                                  "visits"),
    "history unknown client": act(_history("client_id,worker_id,visits\nC9,W1,3\n"),
                                  "history.csv", 2, "client_id"),
    "history unknown worker": act(_history("client_id,worker_id,visits\nC1,W9,3\n"),
                                  "history.csv", 2, "worker_id"),
    "history negative visits": act(_history("client_id,worker_id,visits\nC1,W1,-1\n"),
                                   "history.csv", 2, "visits"),
}
READ_DAY_ERRORS["runaway in an unknown column"] = act(
    _write("providers.csv", b'provider_id,name,kind,memo\nP1,A,in_house,"x\nP2,B,in_house,y\n'
                            b'P3,C,in_house,z"\n'), "providers.csv", 2, "memo")


@pytest.mark.parametrize("case", READ_DAY_ERRORS.values(), ids=READ_DAY_ERRORS.keys())
def test_every_user_triggerable_read_day_error_names_file_row_and_field(tmp_path, case):
    tables = tiny_tables()
    if case.tables is not None:
        case.tables(tables)
    folder = write_day(tmp_path / "in", tables)
    if case.files is not None:
        case.files(folder)
    error = _error(folder)
    assert _where(error) == (case.file, case.row, case.field), str(error)
    assert str(error).startswith(case.file or "")
    for value in PERSONAL:
        assert value not in str(error)


def test_read_day_folder_errors_name_the_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_day(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file, not a folder"):
        read_day(tmp_path / "file")


def test_blank_rows_are_skipped_and_counted(tmp_path):
    folder = write_day(tmp_path / "in")
    _replace(folder, "visits.csv", "V2,", "\n,,,,,,,,,,\nV2,")
    day = read_day(folder, date=PLAN_DATE)
    assert len(day.visits) == 5
    assert day.visit_by_id["V2"].row == 5
    assert next(s for s in day.sources if s.name == "visits.csv").rows == 5


def test_unknown_columns_are_ignored(tmp_path):
    folder = write_day(tmp_path / "in")
    lines = (folder / "visits.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",comment"] + [line + ',"free, text"' for line in lines[1:]]
    (folder / "visits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(read_day(folder).visits) == 5


def test_crlf_and_bom_files_are_read(tmp_path):
    folder = write_day(tmp_path / "in")
    path = folder / "visits.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\r\n", b"\n")
                     .replace(b"\n", b"\r\n"))
    assert len(read_day(folder).visits) == 5


def test_day_sized_sample_with_f_and_m_genders_reads_as_its_spelled_out_twin(tmp_path):
    import csv

    from carerounds.scheduler.sample import generate_sample, write_sample

    original = tmp_path / "original"
    write_sample(generate_sample("midlothian", date=PLAN_DATE, seed=1, size="day"), original)
    short = tmp_path / "short"
    short.mkdir()
    for source in original.iterdir():
        (short / source.name).write_bytes(source.read_bytes())
    with (original / "workers.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    letters = {"female": "F", "male": "M"}
    assert {r["gender"] for r in rows} >= set(letters)
    for r in rows:
        r["gender"] = letters.get(r["gender"], r["gender"])
    with (short / "workers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert read_day(short, date=PLAN_DATE).workers == read_day(original, date=PLAN_DATE).workers
