"""The coordinator's outputs end to end on the tiny day: handover.csv with ``--pool``,
``--redact-access`` on ``plan`` and ``sheets``, contact numbers and time-critical visits."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from carerounds.scheduler.cli import main
from carerounds.scheduler.units import parse_hhmm

from ..conftest import PLAN_DATE, tiny_tables, write_day

pytest.importorskip("reportlab", reason="run sheets need carerounds[sheets]")
from pypdf import PdfReader  # noqa: E402  (installed with the sheets extra's test deps)

DATE = PLAN_DATE.isoformat()
REDACTED = "key safe: ask the office"


def _plan(inputs: Path, out: Path, *extra: str) -> int:
    return main(["plan", "--inputs", str(inputs), "--out", str(out), "--date", DATE,
                 "--time-limit", "5", "--solution-limit", "20", "--quiet", *extra])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _sheet_text(out: Path) -> str:
    """Everything a reader of the sheets sees: the PDF's text and the HTML page."""
    pdf = "\n".join(page.extract_text() for page in PdfReader(out / "run_sheets.pdf").pages)
    return pdf + "\n" + (out / "run_sheets.html").read_text(encoding="utf-8")


@pytest.fixture
def pooled_dir(tmp_path: Path) -> Path:
    """The tiny day with V5 given to P2, whose only worker lacks the hoist V5 needs."""
    tables = tiny_tables()
    v5 = next(v for v in tables["visits.csv"] if v["visit_id"] == "V5")
    v5.update(provider_id="P2", skills="hoist")
    return write_day(tmp_path / "pooled", tables)


@pytest.fixture
def contact_dir(tmp_path: Path) -> Path:
    """The tiny day with every optional contact column, access codes and a time-critical visit."""
    tables = tiny_tables()
    for p, office, on_call in zip(tables["providers.csv"], ("0131 496 0001", "0131 496 0002"),
                                  ("07700 900001", "07700 900002")):
        p.update(office_phone=office, on_call_phone=on_call)
    for w in tables["workers.csv"]:
        w["phone"] = {"W1": "07700 900111", "W2": "07700 900222", "W3": "07700 900333"}[
            w["worker_id"]]
    for c in tables["clients.csv"]:
        c.update(phone="", emergency_contact="", access="")
    tables["clients.csv"][0].update(phone="01632 960123",
                                    emergency_contact="Jo O'Neill (son) 07700 900999",
                                    access="Key safe 4821 by the back door")
    for v in tables["visits.csv"]:
        v["time_critical"] = "yes" if v["visit_id"] == "V1" else ""
    return write_day(tmp_path / "contacts", tables)


def test_plan_pool_writes_handover_csv_of_the_visit_it_moved(pooled_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(pooled_dir, out, "--pool") == 0
    rows = _rows(out / "handover.csv")
    assert [(r["visit_id"], r["area"], r["from_provider"], r["to_provider"]) for r in rows] == [
        ("V5", "Penicuik", "P2", "P1")]
    assert rows[0]["workers"] in ("W1", "W2")
    assert parse_hhmm("10:00") <= parse_hhmm(rows[0]["start"]) <= parse_hhmm("11:00")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "handover.csv" in manifest["files"]


def test_plan_pool_with_nothing_moved_writes_only_the_header(tiny_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(tiny_dir, out, "--pool") == 0
    assert (out / "handover.csv").read_text(encoding="utf-8").splitlines() == [
        "visit_id,area,from_provider,to_provider,workers,start"]


def test_plan_without_pool_writes_no_handover_csv(pooled_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(pooled_dir, out) == 0
    assert not (out / "handover.csv").exists()


def test_plan_prints_contacts_access_and_time_critical_on_the_sheets(contact_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(contact_dir, out) == 0
    text = _sheet_text(out)
    for value in ("01632 960123", "07700 900999", "07700 900111", "0131 496 0001",
                  "07700 900001", "Key safe 4821", "TIME-CRITICAL: start 07:30–08:30"):
        assert value in text, value


def test_plan_redact_access_keeps_every_code_off_the_sheets(contact_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(contact_dir, out, "--redact-access") == 0
    text = _sheet_text(out)
    # the access column's code, and the code in the notes of the tiny day ("Key safe 1234")
    assert not re.search(r"4821|1234", text)
    assert REDACTED in text
    assert "Dog in kitchen" in text  # other notes are still printed
    for page in out.glob("*.html"):  # the report and the maps never carry access details
        # as a number of its own: folium's element ids are random hex, which may hold it
        code = re.search(r"(?<![0-9a-f.])4821(?![0-9a-f])", page.read_text(encoding="utf-8"))
        assert code is None, page.name


def test_sheets_redact_access_reprints_a_rota_without_codes(contact_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(contact_dir, out) == 0
    assert "4821" in _sheet_text(out)
    again = tmp_path / "again"
    assert main(["sheets", "--rota", str(out / "rota.json"), "--inputs", str(contact_dir),
                 "--out", str(again), "--redact-access"]) == 0
    text = _sheet_text(again)
    assert "4821" not in text and REDACTED in text


def test_plan_overview_lists_every_rostered_shift_first(tiny_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(tiny_dir, out) == 0
    first = PdfReader(out / "run_sheets.pdf").pages[0].extract_text()
    assert "Coordinator's overview" in first
    for worker in ("W1", "W2", "W3"):
        assert worker in first
    assert "4 rostered shifts" in first  # W1's two shifts, W2's and W3's
    html = (out / "run_sheets.html").read_text(encoding="utf-8")
    shifts = re.findall(r'<tr data-worker="(W\d)" data-shift="(\d)"', html)
    assert sorted(shifts) == [("W1", "1"), ("W1", "2"), ("W2", "1"), ("W3", "1")]


def test_duplicates_and_plan_show_one_travel_saved_figure(tiny_dir, tmp_path, capsys):
    assert main(["duplicates", "--inputs", str(tiny_dir), "--date", DATE,
                 "--out", str(tmp_path / "dup")]) == 1  # pairs found
    terminal = capsys.readouterr().out
    (row,) = _rows(tmp_path / "dup" / "duplicates.csv")
    shown = row["travel_saved_min"]
    assert shown and re.search(rf"\b{shown}m$", terminal, flags=re.M)
    assert f"about {shown} min of travel" in terminal
    out = tmp_path / "out"
    assert _plan(tiny_dir, out) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"about {shown} min of travel" in html and f"~{shown} min travel to save" in html
    assert _rows(out / "duplicates.csv")[0]["travel_saved_min"] == shown


def test_plan_carries_time_critical_into_rota_csv(contact_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(contact_dir, out) == 0
    flags = {r["visit_id"]: r["time_critical"] for r in _rows(out / "rota.csv")}
    assert flags.pop("V1") == "yes"
    assert flags and set(flags.values()) == {""}
