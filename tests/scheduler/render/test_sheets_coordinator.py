"""Run sheets for the coordinator: the overview of every shift, contact numbers, access
details and their redaction, time-critical visits and tick boxes."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from pypdf import PdfReader

from carerounds.scheduler.render.sheets import (
    ACCESS_REDACTED,
    render_run_sheets,
    render_run_sheets_html,
    render_run_sheets_pdf,
)
from carerounds.scheduler.render.sheets_content import redact_codes
from carerounds.scheduler.render.sheets_text import overview_cells

from .handmade import PROVIDER, client, day_of, rota_of, shift, stop, visit, worker

SPLIT = (("07:00", "14:00"), ("16:30", "22:30"))


def pdf_pages(sheets) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(render_run_sheets_pdf(sheets))).pages]


def squash(text: str) -> str:
    """Text without whitespace: narrow cells wrap lines anywhere."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def day_and_rota():
    """W1 works its evening shift only, W2 is rostered with no visits; C1 has every contact
    detail and an access code; V1 is time-critical."""
    c1 = replace(client("C1", notes="Key safe 1234. Dog in kitchen"), phone="01632 960123",
                 emergency_contact="Jo (son) 07700 900999", access="Key safe 4821")
    clients = (c1, client("C2"))
    visits = (replace(visit("V1", "C1", "17:00", tasks=("insulin", "meal")), time_critical=True),
              visit("V2", "C2", "18:00"))
    workers = (replace(worker("W1", *SPLIT), phone="07700 900111"),
               worker("W2", ("09:00", "13:00")))
    day = day_of(workers, clients, visits)
    day = replace(day, providers=(replace(PROVIDER, office_phone="0131 496 0001",
                                          on_call_phone="07700 900001"),))
    rota = rota_of(shift("W1", 2, SPLIT[1], (stop("V1", "C1", "17:00"),
                                             stop("V2", "C2", "18:00"))))
    return day, rota


def test_overview_has_a_row_for_every_rostered_shift(day_and_rota):
    rows = render_run_sheets(*day_and_rota).overview
    assert [(r.worker_id, r.shift, r.visits) for r in rows] == [
        ("W1", 1, 0), ("W1", 2, 2), ("W2", 1, 0)]


def test_overview_row_gives_leave_first_last_back_and_carer_hours(day_and_rota):
    row = render_run_sheets(*day_and_rota).overview[1]
    assert row.phone == "07700 900111" and row.first_area == "Dalkeith"
    assert overview_cells(row) == ("2: 16:30–22:30", "16:50", "17:00", "18:30", "18:40", "2",
                                   "1.0")


def test_overview_says_no_visits_for_an_unused_shift(day_and_rota):
    row = render_run_sheets(*day_and_rota).overview[2]
    assert overview_cells(row)[2] == "no visits"


def test_pdf_starts_with_the_overview(day_and_rota):
    first = pdf_pages(render_run_sheets(*day_and_rota))[0]
    assert "Coordinator's overview" in first and "3 rostered shifts" in first
    assert "07700 900111" in first and "Office 0131 496 0001 · On call 07700 900001" in first


def test_html_starts_with_the_overview(day_and_rota):
    page = render_run_sheets_html(render_run_sheets(*day_and_rota))
    assert page.index('class="sheet overview"') < page.index('data-worker="W1">')
    assert page.count('class="unused"') == 2


def test_every_sheet_page_carries_the_providers_office_and_on_call_numbers(day_and_rota):
    for text in pdf_pages(render_run_sheets(*day_and_rota))[1:]:
        assert "Office 0131 496 0001 · On call 07700 900001" in text


def test_stop_prints_client_phone_and_emergency_contact(day_and_rota):
    sheets = render_run_sheets(*day_and_rota)
    pdf, html = squash("\n".join(pdf_pages(sheets))), squash(render_run_sheets_html(sheets))
    for text in (pdf, html):
        assert "Tel01632960123" in text and "Emergency:Jo(son)07700900999" in text


def test_time_critical_visit_is_marked_with_its_window(day_and_rota):
    sheets = render_run_sheets(*day_and_rota)
    pdf, html = squash("\n".join(pdf_pages(sheets))), render_run_sheets_html(sheets)
    assert pdf.count("TIME-CRITICAL:start17:00–18:00") == 1
    assert '<tr data-visit="V1" class="critical">' in html
    assert '<tr data-visit="V2">' in html


def test_pdf_has_tick_boxes_for_arrival_done_and_each_task(day_and_rota):
    text = "\n".join(pdf_pages(render_run_sheets(*day_and_rota)))
    assert text.count("☐ arrived") == 2 and text.count("☐ done") == 2
    assert "☐ insulin" in text and "☐ meal" in text


def test_access_is_printed_without_redaction(day_and_rota):
    sheets = render_run_sheets(*day_and_rota)
    assert "Key safe 4821" in render_run_sheets_html(sheets)
    assert "Keysafe4821" in squash("\n".join(pdf_pages(sheets)))


def test_redacted_sheets_print_ask_the_office_and_no_code(day_and_rota):
    sheets = render_run_sheets(*day_and_rota, redact_access=True)
    for text in (squash(render_run_sheets_html(sheets)), squash("\n".join(pdf_pages(sheets)))):
        assert "4821" not in text and "1234" not in text
        assert squash(ACCESS_REDACTED) in text and "Doginkitchen" in text


@pytest.mark.parametrize(("notes", "expected"), [
    ("Key safe 1234, by the back door", f"{ACCESS_REDACTED}, by the back door"),
    ("Door code: 12-34. Dog", f"{ACCESS_REDACTED}. Dog"),
    ("keysafe 0042", ACCESS_REDACTED),
    ("PIN is 9876", ACCESS_REDACTED),
    ("Ring twice; flat 12", "Ring twice; flat 12"),
    ("Dog in kitchen", "Dog in kitchen"),
])
def test_redact_codes_replaces_codes_in_notes_only(notes, expected):
    assert redact_codes(notes) == expected
