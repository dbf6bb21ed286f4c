"""The optional contact, access and time-critical columns of the CSV contract."""

from __future__ import annotations

import pytest

from carerounds.errors import InputError
from carerounds.scheduler.inputs import read_day

from ..conftest import PLAN_DATE, tiny_tables, write_day


def _day(tmp_path, change):
    tables = tiny_tables()
    change(tables)
    return read_day(write_day(tmp_path / "in", tables), date=PLAN_DATE)


def _set(name: str, index: int, **values: str):
    def change(tables):
        for i, row in enumerate(tables[name]):
            row.update({k: (v if i == index else "") for k, v in values.items()})
    return change


def test_a_day_without_the_optional_columns_reads_them_as_blank(tmp_path):
    day = _day(tmp_path, lambda tables: None)  # the tiny day has none of them
    assert {c.phone + c.emergency_contact + c.access for c in day.clients} == {""}
    assert {w.phone for w in day.workers} == {""}
    assert {p.office_phone + p.on_call_phone for p in day.providers} == {""}
    assert not any(v.time_critical for v in day.visits)


@pytest.mark.parametrize(("file", "field", "attribute"), [
    ("providers.csv", "office_phone", "office_phone"),
    ("providers.csv", "on_call_phone", "on_call_phone"),
    ("workers.csv", "phone", "phone"),
    ("clients.csv", "phone", "phone"),
])
def test_phone_columns_are_read_with_spaces_joined(tmp_path, file, field, attribute):
    day = _day(tmp_path, _set(file, 0, **{field: "+44  (0)131 496-0000"}))
    record = {"providers.csv": day.providers, "workers.csv": day.workers,
              "clients.csv": day.clients}[file][0]
    assert getattr(record, attribute) == "+44 (0)131 496-0000"


@pytest.mark.parametrize("value", ["0131 496 000x", "call Jo", "12345", "0" * 16,
                                   "0131+4960000", "0131 496 0000 ext. 3"])
def test_a_bad_phone_names_file_row_and_field_and_never_echoes_it(tmp_path, value):
    with pytest.raises(InputError) as info:
        _day(tmp_path, _set("clients.csv", 1, phone=value))
    message = str(info.value)
    assert "clients.csv" in message and "row 3" in message and "'phone'" in message
    assert value not in message
    assert "is not a phone number" in message


def test_a_phone_longer_than_the_limit_is_refused_without_echo(tmp_path):
    value = "0131 " * 10
    with pytest.raises(InputError) as info:
        _day(tmp_path, _set("workers.csv", 0, phone=value))
    assert "'phone'" in str(info.value) and value.strip() not in str(info.value)


def test_worker_phone_given_on_the_first_row_applies_to_every_shift(tmp_path):
    day = _day(tmp_path, _set("workers.csv", 0, phone="07700 900111"))
    w1 = day.worker_by_id["W1"]
    assert len(w1.shifts) == 2 and w1.phone == "07700 900111"


def test_worker_phone_may_repeat_on_extra_rows_but_not_differ(tmp_path):
    def same(tables):
        for row in tables["workers.csv"]:
            row["phone"] = "07700 900111" if row["worker_id"] == "W1" else ""
    assert _day(tmp_path, same).worker_by_id["W1"].phone == "07700 900111"

    def differ(tables):
        same(tables)
        tables["workers.csv"][1]["phone"] = "07700 900222"
    with pytest.raises(InputError) as info:
        _day(tmp_path / "b", differ)
    message = str(info.value)
    assert "row 3" in message and "one phone number" in message and "900222" not in message


def test_client_emergency_contact_and_access_are_read(tmp_path):
    day = _day(tmp_path, _set("clients.csv", 0, emergency_contact="Jo (son) 07700 900999",
                              access="Key safe 4821"))
    c1 = day.client_by_id["C1"]
    assert (c1.emergency_contact, c1.access) == ("Jo (son) 07700 900999", "Key safe 4821")
    assert day.client_by_id["C2"].access == ""


def test_emergency_contact_over_200_characters_is_refused(tmp_path):
    with pytest.raises(InputError, match="emergency_contact"):
        _day(tmp_path, _set("clients.csv", 0, emergency_contact="x" * 201))


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("Y", True), ("TRUE", True),
                                                 ("1", True), ("no", False), ("", False),
                                                 ("N", False)])
def test_time_critical_reads_yes_and_no(tmp_path, value, expected):
    day = _day(tmp_path, _set("visits.csv", 0, time_critical=value))
    assert day.visit_by_id["V1"].time_critical is expected
    assert day.visit_by_id["V2"].time_critical is False


def test_time_critical_refuses_anything_else(tmp_path):
    with pytest.raises(InputError) as info:
        _day(tmp_path, _set("visits.csv", 0, time_critical="urgent"))
    assert "visits.csv" in str(info.value) and "is not yes or no" in str(info.value)
