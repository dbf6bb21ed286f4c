"""Run sheets: content, the PDF read back with pypdf, the HTML, escaping, fonts and the CLI."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pypdf import PdfReader

from carerounds.errors import InputError
from carerounds.geo import RoadNetwork
from carerounds.scheduler.cli import build_parser
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.outputs import write_rota_json
from carerounds.scheduler.render.sheets import (
    pdf_fonts,
    render_run_sheets,
    render_run_sheets_html,
    render_run_sheets_pdf,
    write_run_sheets,
)
from carerounds.scheduler.rota import (
    PlannedShift,
    PlannedStop,
    Rota,
    VisitOutcome,
    check_rota_inputs,
)
from carerounds.scheduler.travel import build_travel

from ...conftest import PLAN_DATE, tiny_tables, write_day

SCRIPT_NAME = "<script>alert(1)</script>"
WELSH_NAME = "Siân ap Gwŷn"
WELSH_ADDRESS = 'Heol y Frenhines, Y Fenni, Caerffili & "Pont-y-pŵl"'
IMG_NAME = "<img src=x onerror=document.title='pwned'>"
BREAKOUT_NAME = "</script><script>document.title='pwned2'</script>"


# ---- fixtures: the tiny day with hostile and Welsh text, and a hand-built rota ------------------

def nasty_tables() -> dict[str, list[dict[str, str]]]:
    """The tiny day with client text that must print as text (markup, &, quotes, Welsh)."""
    tables = tiny_tables()
    c1, c2, c3 = tables["clients.csv"]
    c1["name"] = SCRIPT_NAME
    c2["name"] = WELSH_NAME
    c2["address"] = WELSH_ADDRESS
    c3["name"] = IMG_NAME
    c3["notes"] = BREAKOUT_NAME
    c3["area"] = 'Caerffili & "Pont-y-pŵl"'
    return tables


@pytest.fixture
def nasty_day(tmp_path: Path) -> Day:
    """The tiny day (3 workers, 3 clients, 5 visits) with hostile client names."""
    return read_day(write_day(tmp_path / "inputs", nasty_tables()), date=PLAN_DATE)


def tiny_rota() -> Rota:
    """A valid rota of the tiny day: W1 two shifts (V1, V2 double-up with W2; V4), W3 V3, V5 unplaced."""
    stop = PlannedStop
    return Rota(date=PLAN_DATE, shifts=(
        PlannedShift("W1", "P1", 1, 25200, 43200, "drive", 26916, 35501,
                     (stop("V1", "C1", 27000, 27000, 28800, 84, 294),
                      stop("V2", "C2", 29223, 32400, 35100, 423, 4540, "W2")), 401, 4258),
        PlannedShift("W1", "P1", 2, 57600, 72000, "drive", 61116, 62184,
                     (stop("V4", "C1", 61200, 61200, 62100, 84, 294),), 84, 294),
        PlannedShift("W2", "P1", 1, 25200, 43200, "drive", 32316, 35184,
                     (stop("V2", "C2", 32400, 32400, 35100, 84, 294, "W1"),), 84, 294),
        PlannedShift("W3", "P2", 1, 25200, 43200, "drive", 28722, 30678,
                     (stop("V3", "C3", 28800, 28800, 30600, 78, 226),), 78, 226),
    ), outcomes=(
        VisitOutcome("V1", "scheduled", "P1", ("W1",), 27000, 28800),
        VisitOutcome("V2", "scheduled", "P1", ("W1", "W2"), 32400, 35100),
        VisitOutcome("V3", "scheduled", "P2", ("W3",), 28800, 30600),
        VisitOutcome("V4", "scheduled", "P1", ("W1",), 61200, 62100),
        VisitOutcome("V5", "unplaced", None, reason="no shift covers window 10:00-11:00"),
    ))


@pytest.fixture
def rota() -> Rota:
    return tiny_rota()


def long_round(n: int = 30) -> tuple[Day, Rota]:
    """One worker with ``n`` visits (ids not in time order), enough for more than one page."""
    provider = Provider("P1", "Esk Valley Care & Support", "independent")
    worker = Worker("W1", "P1", "Ann Test", "female", 55.895, -3.068, (Shift(25200, 79200),),
                    frozenset(), "drive")
    clients, visits, stops = [], [], []
    for i in range(n):
        visit_id = f"V{(i * 7) % n:02d}"  # rota order differs from id order
        start = 25200 + 1800 * i
        clients.append(Client(f"C{i:02d}", f"Client {i}", f"{i} High Street, Dalkeith",
                              "EH22 1AA", 55.88 + 0.001 * i, -3.07 + 0.0005 * i, "Dalkeith",
                              None, frozenset(), frozenset(), "Key safe 1234"))
        visits.append(Visit(visit_id, f"C{i:02d}", "P1", start, start + 900, 900, 1, frozenset(),
                            "normal", "integrated", ("personal care",)))
        stops.append(PlannedStop(visit_id, f"C{i:02d}", start, start, start + 900, 120, 800))
    day = Day(PLAN_DATE, (provider,), (worker,), tuple(clients), tuple(visits))
    rota = Rota(PLAN_DATE, (PlannedShift("W1", "P1", 1, 25200, 79200, "drive", 25080,
                                         25200 + 1800 * (n - 1) + 1020, tuple(stops), 120, 800),),
                tuple(VisitOutcome(s.visit_id, "scheduled", "P1", ("W1",), s.start_s, s.end_s)
                      for s in stops))
    return day, rota


def grid_network(lat0: float = 55.82, lon0: float = -3.23, rows: int = 11, cols: int = 18,
                 step: float = 0.01) -> RoadNetwork:
    """A small square grid of two-way residential roads covering the tiny day."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")

    def node(r: int, c: int) -> int:
        return 10_000 + r * 100 + c

    for r in range(rows):
        for c in range(cols):
            graph.add_node(node(r, c), x=lon0 + step * c, y=lat0 + step * r)
    for r in range(rows):
        for c in range(cols):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < rows and c + dc < cols:
                    a, b = node(r, c), node(r + dr, c + dc)
                    graph.add_edge(a, b, length=800.0, highway="residential")
                    graph.add_edge(b, a, length=800.0, highway="residential")
    return RoadNetwork.from_graph(graph, mode="drive", source_name="grid.osm")


def road_travel(day: Day):
    """The straight-line travel of a day plus a grid road network with every place snapped."""
    travel = build_travel(day)
    network = grid_network()
    nodes = []
    for place in travel.places:
        i = int(np.argmin((network.lat - place.lat) ** 2 + (network.lon - place.lon) ** 2))
        nodes.append(int(network.node_ids[i]))
    return replace(travel, roads="grid.osm", networks={"drive": network},
                   network_nodes={"drive": np.array(nodes, dtype=np.int64)})


def pdf_sections(pdf: Path) -> list[tuple[str, str]]:
    """(outline title, text of the section's pages) for each worker section of a run-sheet PDF."""
    reader = PdfReader(pdf)
    starts = [(o.title, reader.get_destination_page_number(o)) for o in reader.outline]
    bounds = [s for _, s in starts] + [len(reader.pages)]
    return [(title, "\n".join(reader.pages[p].extract_text() for p in range(a, b)))
            for (title, a), b in zip(starts, bounds[1:])]


def squash(text: str) -> str:
    """Text without whitespace, so a name wrapped over two lines still matches."""
    return re.sub(r"\s+", "", text)


# ---- content ------------------------------------------------------------------------------------

def test_one_sheet_per_worker_with_visits(nasty_day, rota):
    idle = replace(rota, shifts=rota.shifts[:2] + (replace(rota.shifts[2], stops=()),)
                   + rota.shifts[3:])
    sheets = render_run_sheets(nasty_day, idle)
    assert sorted(s.worker_id for s in sheets.sheets) == ["W1", "W3"]


def test_sheet_lists_visits_in_rota_order_across_shifts(nasty_day, rota):
    sheet = {s.worker_id: s for s in render_run_sheets(nasty_day, rota).sheets}["W1"]
    assert [v.visit_id for v in sheet.visits] == ["V1", "V2", "V4"]
    assert [v.seq for v in sheet.visits] == [1, 2, 3]
    assert [len(sh.visits) for sh in sheet.shifts] == [2, 1]


def test_sheet_totals_count_contact_travel_paid_time_and_miles(nasty_day, rota):
    sheet = {s.worker_id: s for s in render_run_sheets(nasty_day, rota).sheets}["W1"]
    assert sheet.contact_s == 1800 + 2700 + 900
    assert sheet.travel_s == 84 + 423 + 401 + 84 + 84
    assert sheet.paid_s == (35501 - 26916) + (62184 - 61116)
    assert sheet.distance_m == 294 + 4540 + 4258 + 294 + 294


def test_double_up_names_the_other_carer(nasty_day, rota):
    sheet = {s.worker_id: s for s in render_run_sheets(nasty_day, rota).sheets}["W1"]
    assert sheet.visits[1].partners == (("W2", "Bob Test"),)
    assert sheet.visits[0].partners == ()


def test_visit_carries_address_access_notes_tasks_and_leg(nasty_day, rota):
    sheet = {s.worker_id: s for s in render_run_sheets(nasty_day, rota).sheets}["W1"]
    first = sheet.visits[0]
    assert (first.address, first.postcode, first.access_notes) == (
        "1 High Street, Dalkeith", "EH22 1AA", "Key safe 1234")
    assert first.tasks == ("personal care", "medication")
    assert (first.travel_s, first.distance_m, first.from_home) == (84, 294, True)
    assert (first.window_start_s, first.window_end_s) == (27000, 30600)


def test_sheets_are_ordered_by_provider_then_worker_name(nasty_day, rota):
    names = [(s.provider_name, s.worker_name) for s in render_run_sheets(nasty_day, rota).sheets]
    assert names == sorted(names, key=lambda n: (n[0].casefold(), n[1].casefold()))


# ---- PDF ----------------------------------------------------------------------------------------

def test_pdf_has_a_section_per_worker_listing_exactly_its_visits_in_order(nasty_day, rota,
                                                                          tmp_path):
    pdf, _ = write_run_sheets(nasty_day, rota, tmp_path)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 3  # three workers with visits, one page each
    expected = {"W1": ["V1", "V2", "V4"], "W2": ["V2"], "W3": ["V3"]}
    sections = pdf_sections(pdf)
    assert len(sections) == 3
    for title, text in sections:
        worker_id = re.search(r"\((W\d)\)$", title).group(1)
        assert re.findall(r"\bV\d\b", text) == expected[worker_id], title


def test_pdf_long_round_runs_over_pages_in_order(tmp_path):
    day, rota = long_round(30)
    pdf, _ = write_run_sheets(day, rota, tmp_path)
    reader = PdfReader(pdf)
    pages = len(reader.pages)
    assert pages >= 2
    texts = [page.extract_text() for page in reader.pages]
    known = {v.visit_id for v in day.visits}
    listed = [v for v in re.findall(r"\bV\d\d\b", "\n".join(texts)) if v in known]
    assert listed == [s.visit_id for s in rota.shifts[0].stops]
    assert f"Sheet page {pages} of {pages}" in texts[-1]


def test_every_pdf_page_has_number_date_and_confidential_footer(tmp_path):
    day, rota = long_round(30)
    pdf, _ = write_run_sheets(day, rota, tmp_path)
    texts = [page.extract_text() for page in PdfReader(pdf).pages]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text
        assert "Confidential: personal data" in text
        assert "Tuesday 24 November 2026" in text


def test_pdf_prints_markup_ampersands_quotes_and_welsh_letters_as_text(nasty_day, rota,
                                                                       tmp_path):
    pdf, _ = write_run_sheets(nasty_day, rota, tmp_path)
    text = squash("\n".join(page.extract_text() for page in PdfReader(pdf).pages))
    for value in (SCRIPT_NAME, WELSH_NAME, WELSH_ADDRESS, IMG_NAME, BREAKOUT_NAME):
        assert squash(value) in text, value


def test_pdf_font_has_welsh_and_gaelic_letters():
    from reportlab.pdfbase import pdfmetrics

    regular, bold = pdf_fonts()
    assert regular == "DejaVuSans"
    for name in (regular, bold):
        glyphs = pdfmetrics.getFont(name).face.charToGlyph
        for letter in "ŵŷâêîôûàèìòùÀÈÌÒÙ":
            assert ord(letter) in glyphs, (name, letter)


def test_pdf_is_a4(nasty_day, rota, tmp_path):
    pdf, _ = write_run_sheets(nasty_day, rota, tmp_path)
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_pdf_is_reproducible(nasty_day, rota):
    sheets = render_run_sheets(nasty_day, rota)
    assert render_run_sheets_pdf(sheets) == render_run_sheets_pdf(sheets)


def test_pdf_with_no_visits_says_so(nasty_day, rota):
    empty = replace(rota, shifts=())
    pdf = render_run_sheets_pdf(render_run_sheets(nasty_day, empty))
    reader = PdfReader(io.BytesIO(pdf))
    assert "No visits were scheduled" in reader.pages[0].extract_text()


def test_route_map_follows_roads_and_credits_openstreetmap(nasty_day, rota, tmp_path):
    sheets = render_run_sheets(nasty_day, rota, travel=road_travel(nasty_day))
    assert all(s.on_roads for s in sheets.sheets)
    by_worker = {s.worker_id: s for s in sheets.sheets}
    assert len(by_worker["W1"].background_roads) > 10  # W1 crosses the grid: roads around
    text = PdfReader(io.BytesIO(render_run_sheets_pdf(sheets))).pages[0]
    assert "©OpenStreetMapcontributors" in squash(text.extract_text())
    assert "linesfollowtheroads" in squash(text.extract_text())


def test_route_map_without_roads_says_lines_are_straight(nasty_day, rota):
    sheets = render_run_sheets(nasty_day, rota)
    assert not any(s.on_roads or s.background_roads for s in sheets.sheets)
    text = PdfReader(io.BytesIO(render_run_sheets_pdf(sheets))).pages[0]
    assert "straightlinesbetweenstops" in squash(text.extract_text())


# ---- HTML ---------------------------------------------------------------------------------------

def test_html_escapes_user_text_and_has_no_script(nasty_day, rota):
    page = render_run_sheets_html(render_run_sheets(nasty_day, rota))
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Caerffili &amp; &quot;Pont-y-pŵl&quot;" in page
    assert WELSH_NAME in page
    assert "script-src" not in page and "default-src 'none'" in page  # CSP forbids scripts


def test_html_lists_each_workers_visits_in_rota_order(nasty_day, rota):
    page = render_run_sheets_html(render_run_sheets(nasty_day, rota))
    sections = re.findall(r'<section class="sheet" data-worker="([^"]+)">(.*?)</section>', page,
                          flags=re.S)
    found = {w: re.findall(r'data-visit="([^"]+)"', body) for w, body in sections}
    assert found == {"W1": ["V1", "V2", "V4"], "W2": ["V2"], "W3": ["V3"]}
    assert page.count("Confidential: personal data") >= 3


# ---- rota against inputs ------------------------------------------------------------------------

@pytest.mark.parametrize("change, field, id_", [
    (lambda r: replace(r, shifts=(replace(r.shifts[0], worker_id="W9"),) + r.shifts[1:]),
     "worker_id", "W9"),
    (lambda r: replace(r, shifts=(replace(r.shifts[0], stops=(
        replace(r.shifts[0].stops[0], visit_id="V9"),) + r.shifts[0].stops[1:]),) + r.shifts[1:]),
     "visit_id", "V9"),
    (lambda r: replace(r, shifts=(replace(r.shifts[0], stops=(
        replace(r.shifts[0].stops[0], client_id="C2"),) + r.shifts[0].stops[1:]),) + r.shifts[1:]),
     "client_id", "V1"),
    (lambda r: replace(r, shifts=(replace(r.shifts[0], stops=r.shifts[0].stops[:1] + (
        replace(r.shifts[0].stops[1], partner="W9"),)),) + r.shifts[1:]),
     "partner", "V2"),
    (lambda r: replace(r, outcomes=r.outcomes + (VisitOutcome("V9", "unplaced", None,
                                                              reason="capacity"),)),
     "visit_id", "V9"),
])
def test_rota_not_from_these_inputs_is_refused(nasty_day, rota, change, field, id_):
    with pytest.raises(InputError) as info:
        render_run_sheets(nasty_day, change(rota))
    assert (info.value.file, info.value.field, info.value.id) == ("rota.json", field, id_)
    assert "--inputs" in str(info.value)


def test_rota_for_another_date_is_refused(nasty_day, rota):
    with pytest.raises(InputError) as info:
        check_rota_inputs(nasty_day, replace(rota, date=PLAN_DATE.replace(day=25)))
    assert info.value.field == "date"
    assert "2026-11-25" in str(info.value)


# ---- CLI ----------------------------------------------------------------------------------------

def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


@pytest.fixture
def planned(tmp_path: Path) -> tuple[Path, Path]:
    """An inputs folder (the nasty tiny day) and a rota.json planned from it."""
    inputs = write_day(tmp_path / "inputs", nasty_tables())
    rota_path = write_rota_json(tiny_rota(), tmp_path / "rota.json")
    return inputs, rota_path


def test_sheets_cli_writes_pdf_and_html(planned, tmp_path):
    inputs, rota_path = planned
    code = run_cli(["sheets", "--rota", str(rota_path), "--inputs", str(inputs),
                    "--out", str(tmp_path / "out")])
    assert code == 0
    assert len(PdfReader(tmp_path / "out" / "run_sheets.pdf").pages) == 3
    assert (tmp_path / "out" / "run_sheets.html").stat().st_size > 0


def test_sheets_cli_refuses_a_date_other_than_the_rotas(planned, tmp_path):
    inputs, rota_path = planned
    with pytest.raises(InputError) as info:
        run_cli(["sheets", "--rota", str(rota_path), "--inputs", str(inputs), "--out",
                 str(tmp_path / "out"), "--date", "2026-11-25"])
    assert (info.value.file, info.value.field) == ("rota.json", "date")


def test_sheets_cli_names_a_missing_rota_file(planned, tmp_path):
    inputs, _ = planned
    with pytest.raises(InputError) as info:
        run_cli(["sheets", "--rota", str(tmp_path / "nope.json"), "--inputs", str(inputs),
                 "--out", str(tmp_path / "out")])
    assert info.value.file == "nope.json"


def test_sheets_cli_refuses_inputs_the_rota_was_not_planned_from(planned, tmp_path):
    _, rota_path = planned
    tables = nasty_tables()
    tables["visits.csv"] = [v for v in tables["visits.csv"] if v["visit_id"] != "V4"]
    other = write_day(tmp_path / "other", tables)
    with pytest.raises(InputError) as info:
        run_cli(["sheets", "--rota", str(rota_path), "--inputs", str(other),
                 "--out", str(tmp_path / "out")])
    assert (info.value.id, info.value.field) == ("V4", "visit_id")
