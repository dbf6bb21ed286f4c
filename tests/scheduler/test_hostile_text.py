"""Input text is never evaluated as a template, and shows literally in every output."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import pytest

from carerounds.scheduler.cli import main
from carerounds.scheduler.escape import csv_cell, html_text, js_string, terminal_text

from ..conftest import TINY_DAY, write_day

EVALUATED = "Q1337Q"  # what the expression below renders to if anything evaluates it
EXPRESSION = "Q{{7*191}}Q"


def _payload(mark: Path) -> str:
    # an expression, a statement, and a call that would create a directory if run
    return (f"{EXPRESSION} {{% if true %}}JINJA{{% endif %}} "
            f"{{{{ cycler.__init__.__globals__.os.mkdir('{mark}') }}}}")


def _hostile_day(folder: Path, payload: str) -> Path:
    tables = copy.deepcopy(TINY_DAY)
    for row in tables["providers.csv"]:
        row["name"] = payload
    for row in tables["workers.csv"]:
        row["name"] = payload + " " + row["worker_id"]
        row["skills"] = row["skills"] + ";" + payload.lower()
    for row in tables["clients.csv"]:
        for field in ("name", "address", "postcode", "notes"):
            row[field] = payload
        row["area"] = payload + " " + row["area"]
    for row in tables["visits.csv"]:
        row["service"] = payload
        row["tasks"] = payload
        if row["visit_id"] == "V5":
            row["skills"] = payload.lower()  # a skill only hostile-named workers have
    return write_day(folder, tables)


def _decoded(text: str) -> str:
    """What a browser shows: JavaScript \\uXXXX escapes and HTML entities undone."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    mark = root / "pwned"
    inputs = _hostile_day(root / "in", _payload(mark))
    out = root / "out"
    code = main(["plan", "--inputs", str(inputs), "--out", str(out), "--date", "2026-11-24",
                 "--time-limit", "5", "--solution-limit", "20", "--quiet"])
    return code, out, mark


def test_plan_with_template_text_succeeds_and_runs_nothing(planned):
    code, out, mark = planned
    assert code == 0
    assert not mark.exists()


def test_every_html_output_shows_the_text_literally(planned):
    _, out, _ = planned
    pages = sorted(out.glob("*.html"))
    assert {p.name for p in pages} >= {"map.html", "report.html", "run_sheets.html"}
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        shown = _decoded(raw)
        assert EXPRESSION in shown, page.name
        assert "{% if true %}JINJA{% endif %}" in shown, page.name
        assert EVALUATED not in shown, page.name
        # escaped in the file: no template delimiter from input text reaches the page raw
        assert EXPRESSION not in raw, page.name


def test_no_output_file_holds_an_evaluated_template(planned):
    _, out, _ = planned
    for path in out.iterdir():
        if path.suffix in (".csv", ".json", ".html"):
            assert EVALUATED not in _decoded(path.read_text(encoding="utf-8")), path.name
    rota = json.loads((out / "rota.json").read_text(encoding="utf-8"))
    assert all(o["status"] in ("scheduled", "unplaced", "merged") for o in rota["visits"])


def test_run_sheet_pdf_shows_the_text_literally(planned):
    pypdf = pytest.importorskip("pypdf")
    _, out, _ = planned
    text = "".join(page.extract_text() for page in pypdf.PdfReader(out / "run_sheets.pdf").pages)
    compact = re.sub(r"\s+", "", text)
    assert EXPRESSION in compact
    assert EVALUATED not in compact


@pytest.mark.parametrize("text", ["{{7*7}}", "{% raw %}", "{#", "</script>", "a & b", "'\""])
def test_js_string_has_no_template_or_script_delimiters(text):
    literal = js_string(text)
    assert not set("{}<>&") & set(literal)
    assert json.loads(literal) == text


@pytest.mark.parametrize("text", ["{{7*7}}", "{%", "<b>", "a & b", "'\""])
def test_html_text_has_no_template_or_markup_delimiters(text):
    escaped = html_text(text)
    assert not set("{}<>\"'") & set(escaped)
    assert html.unescape(escaped) == text


@pytest.mark.parametrize("text, expected", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+44 131", "'+44 131"),
    ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("-3.07", "-3.07"), ("Dalkeith", "Dalkeith"),
])
def test_csv_cell_neutralises_formulas(text, expected):
    assert csv_cell(text) == expected


def test_terminal_text_strips_escape_sequences():
    assert terminal_text("Ann\x1b[2J\x1b]0;x\x07 Test\u202e") == "Ann[2J]0;x Test"
