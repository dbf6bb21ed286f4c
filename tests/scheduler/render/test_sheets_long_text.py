"""Run sheets with very long input text: the PDF always lays out (long text wraps, or is cut
with a note pointing to the HTML), and the HTML prints it whole and wraps it."""

from __future__ import annotations

import copy
import io
import re
import shutil
from dataclasses import replace

import pytest
from pypdf import PdfReader

from carerounds.scheduler.cli import main
from carerounds.scheduler.render.sheets import (
    render_run_sheets,
    render_run_sheets_html,
    render_run_sheets_pdf,
)
from carerounds.scheduler.render.sheets_pdf import clip

from ...conftest import TINY_DAY, write_day
from .handmade import client, day_of, rota_of, shift, stop, visit, worker
from .test_maps import CHROMIUM, dump_dom

LONG_ID = ("Vx_1.2-3/" * 600)[:5000]  # ids allow letters, digits and _ . - / only
LONG_NOTES = " ".join(f"({i:02d}) key safe 4321 by the back door; ring twice, call out, wait "
                      "for the dog to be shut in the kitchen." for i in range(20))[:1500]
LONG_NAME = ("Dorothy Margaret Elizabeth O'Neill-Fitzgerald " * 8)[:300]
LONG_ADDRESS = ("Flat 3/2, 14 The Long Lane Through Newtongrange Village, " * 6)[:300]
MANY_TASKS = tuple(f"task {i:02d}: prompt and record" for i in range(60))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def one_visit(*, visit_id: str = "V1", worker_id: str = "W1", worker_name: str | None = None,
              name: str | None = None, address: str | None = None, notes: str = "",
              tasks: tuple[str, ...] = ("personal care",)):
    """A day of one worker with two visits; the first carries the given text."""
    clients = (client("C1", name=name, address=address, notes=notes), client("C2", 55.88))
    visits = (visit(visit_id, "C1", "08:00", tasks=tasks), visit("V2", "C2", "09:00"))
    rota = rota_of(shift(worker_id, 1, ("07:00", "14:00"), (
        stop(visit_id, "C1", "08:00"), stop("V2", "C2", "09:00"))))
    day = day_of((worker(worker_id, ("07:00", "14:00"), name=worker_name),), clients, visits)
    return render_run_sheets(day, rota)


def read_pdf(sheets) -> str:
    reader = PdfReader(io.BytesIO(render_run_sheets_pdf(sheets)))
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() for page in reader.pages)


CASES = {
    "access notes": (dict(notes=LONG_NOTES), LONG_NOTES),
    "visit id": (dict(visit_id=LONG_ID), LONG_ID),
    "worker id": (dict(worker_id=LONG_ID), LONG_ID),
    "client name": (dict(name=LONG_NAME), LONG_NAME),
    "worker name": (dict(worker_name=LONG_NAME), LONG_NAME),
    "address": (dict(address=LONG_ADDRESS), LONG_ADDRESS),
    "tasks": (dict(tasks=MANY_TASKS), MANY_TASKS[0]),
}


@pytest.mark.parametrize("case", CASES)
def test_pdf_renders_very_long_text_and_shows_its_start(case):
    fields, value = CASES[case]
    text = squash(read_pdf(one_visit(**fields)))
    assert squash(value[:20]) in text
    assert "V2" in text  # the next visit still prints


def test_pdf_renders_all_long_text_at_once():
    sheets = one_visit(visit_id=LONG_ID, worker_id=LONG_ID, worker_name=LONG_NAME,
                       name=LONG_NAME, address=LONG_ADDRESS, notes=LONG_NOTES, tasks=MANY_TASKS)
    text = squash(read_pdf(sheets))
    assert squash(LONG_NOTES[:40]) in text


def test_pdf_cut_text_says_the_html_has_the_rest():
    text = squash(read_pdf(one_visit(notes=LONG_NOTES)))
    assert "…(cutshort:seerun_sheets.html)" in text
    last_part = re.findall(r"\(\d\d\)", LONG_NOTES)[-1]
    assert "(00)" in text and last_part not in text


def test_pdf_lists_the_first_tasks_and_counts_the_rest():
    text = squash(read_pdf(one_visit(tasks=MANY_TASKS)))
    shown = len(re.findall(r"task\d\d:", text))
    assert 5 <= shown < 60
    assert f"+{60 - shown}moretasks" in text


def test_pdf_does_not_cut_text_that_fits(nasty_day, rota):
    text = squash(read_pdf(render_run_sheets(nasty_day, rota)))
    assert "cutshort" not in text and "…" not in text


def test_pdf_wraps_an_id_wider_than_its_column():
    visit_id = "V2026-11-24/DALKEITH-0017"[:24]
    text = read_pdf(one_visit(visit_id=visit_id))
    assert visit_id in squash(text)
    assert visit_id not in text  # split over lines inside the narrow first column


def test_html_prints_long_text_whole():
    page = render_run_sheets_html(one_visit(visit_id=LONG_ID, notes=LONG_NOTES,
                                            tasks=MANY_TASKS))
    assert f'data-visit="{LONG_ID}"' in page
    assert LONG_NOTES.replace("'", "&#x27;") in page
    assert all(task in page for task in MANY_TASKS)
    assert "cut short" not in page


@pytest.mark.parametrize("text, limit, expected", [
    ("Key safe 1234", 40, ("Key safe 1234", False)),
    ("Key safe 1234 by the back door", 20, ("Key safe 1234 by…", True)),
    ("A_b.c-d/A_b.c-d/A_b.c-d", 10, ("A_b.c-d/A…", True)),
])
def test_clip_cuts_with_an_ellipsis_at_a_space_when_near(text, limit, expected):
    assert clip(text, limit) == expected
    assert len(clip(text, limit)[0]) <= limit


# ---- the plan still writes sheets and maps --------------------------------------------------------

def test_plan_with_very_long_text_writes_sheets_and_maps(tmp_path):
    from carerounds.scheduler.inputs import MAX_ID_CHARS, TEXT_LIMITS

    # the longest text the reader accepts (it refuses more, naming file, row and field)
    tables = copy.deepcopy(TINY_DAY)
    for row in tables["clients.csv"]:
        row.update(notes=LONG_NOTES, name=LONG_NAME[:TEXT_LIMITS["name"]],
                   address=LONG_ADDRESS[:TEXT_LIMITS["address"]])
    for row in tables["visits.csv"]:
        row.update(tasks=";".join(MANY_TASKS))
    tables["visits.csv"][0]["visit_id"] = LONG_ID[:MAX_ID_CHARS]
    inputs = write_day(tmp_path / "in", tables)
    out = tmp_path / "out"
    code = main(["plan", "--inputs", str(inputs), "--out", str(out), "--date", "2026-11-24",
                 "--time-limit", "5", "--solution-limit", "20", "--quiet"])
    assert code == 0
    assert {"run_sheets.pdf", "run_sheets.html", "map.html", "map.png"} <= \
        {p.name for p in out.iterdir()}
    assert squash(LONG_NOTES[:40]) in squash(
        "".join(p.extract_text() for p in PdfReader(out / "run_sheets.pdf").pages))


# ---- in a real browser ---------------------------------------------------------------------------

WIDTH_PROBE = """
<script>
window.addEventListener("load", function () {
  var wide = 0;
  document.querySelectorAll("td, th, h1, p").forEach(function (el) {
    if (el.scrollWidth > el.clientWidth + 1) { wide += 1; }
  });
  var root = document.documentElement;
  document.body.setAttribute("data-wide-cells", wide);
  document.body.setAttribute("data-page-overflow", root.scrollWidth - root.clientWidth);
});
</script>
"""


@pytest.mark.browser
def test_browser_wraps_long_text_inside_every_cell(tmp_path):
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): "
                    "apt-get install -y chromium")
    sheets = one_visit(visit_id=LONG_ID, worker_id=LONG_ID, name=LONG_NAME, notes=LONG_NOTES,
                       address=LONG_ADDRESS.replace(" ", ""), tasks=MANY_TASKS)
    page = render_run_sheets_html(replace(sheets))
    # The page forbids scripts; the probe copy drops that rule to measure the layout.
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probe = tmp_path / "sheets.html"
    probe.write_text(page.replace("</body>", WIDTH_PROBE + "</body>"), encoding="utf-8")
    dom = dump_dom(probe, tmp_path / "profile")
    assert re.search(r'data-wide-cells="(\d+)"', dom).group(1) == "0"
    assert re.search(r'data-page-overflow="(-?\d+)"', dom).group(1) == "0"
