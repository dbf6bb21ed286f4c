"""Run sheets: shifts numbered as the rota does, unused shifts and idle workers, leave-by
times and waits, and legs planned as 0 seconds between different addresses."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from carerounds.scheduler.render.sheets import (
    render_run_sheets,
    render_run_sheets_html,
    render_run_sheets_pdf,
)
from carerounds.scheduler.render.sheets_text import zero_leg

from .handmade import client, day_of, hm, north_of, rota_of, shift, stop, visit, worker


def pdf_text(sheets) -> str:
    reader = PdfReader(io.BytesIO(render_run_sheets_pdf(sheets)))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_sections(sheets) -> dict[str, str]:
    """Text of each worker's section of the PDF, by the worker id in its bookmark."""
    reader = PdfReader(io.BytesIO(render_run_sheets_pdf(sheets)))
    starts = [(o.title, reader.get_destination_page_number(o)) for o in reader.outline]
    bounds = [s for _, s in starts] + [len(reader.pages)]
    return {re.search(r"\(([^()]+)\)$", title).group(1):
            "\n".join(reader.pages[p].extract_text() for p in range(a, b))
            for (title, a), b in zip(starts, bounds[1:]) if title != "Coordinator's overview"}


def html_sections(sheets) -> dict[str, str]:
    page = render_run_sheets_html(sheets)
    return dict(re.findall(r'<section class="sheet[^"]*" data-worker="([^"]+)">(.*?)</section>',
                           page, flags=re.S))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---- shifts numbered as the rota does; unused shifts; idle workers -----------------------------

SPLIT = (("07:00", "14:00"), ("16:30", "22:30"))


@pytest.fixture
def rostered():
    """W1 works only its evening shift; W2 only its morning one (the rota leaves the evening
    out altogether); W3 has an empty shift in the rota; W4 is rostered but not in the rota."""
    clients = (client("C1"), client("C2"))
    visits = (visit("V1", "C1", "17:00"), visit("V2", "C2", "18:00"), visit("V3", "C1", "08:00"))
    workers = (worker("W1", *SPLIT), worker("W2", *SPLIT), worker("W3", ("07:00", "12:00")),
               worker("W4", ("09:00", "13:00")))
    rota = rota_of(
        shift("W1", 1, SPLIT[0], ()),
        shift("W1", 2, SPLIT[1], (stop("V1", "C1", "17:00"), stop("V2", "C2", "18:00"))),
        shift("W2", 1, SPLIT[0], (stop("V3", "C1", "08:00"),)),
        shift("W3", 1, ("07:00", "12:00"), ()))
    return render_run_sheets(day_of(workers, clients, visits), rota)


def by_id(sheets) -> dict:
    return {s.worker_id: s for s in (*sheets.sheets, *sheets.idle)}


def test_shifts_keep_the_rotas_numbers(rostered):
    w1 = by_id(rostered)["W1"]
    assert [(sh.shift, sh.used) for sh in w1.shifts] == [(1, False), (2, True)]
    assert {v.shift for v in w1.visits} == {2}


def test_pdf_heads_an_evening_only_round_shift_2(rostered):
    text = pdf_sections(rostered)["W1"]
    assert "Shift 2: 16:30–22:30" in text
    assert "Shift 1: 16:30" not in text


def test_unused_shift_is_listed_as_not_needed_in_pdf_and_html(rostered):
    pdf = squash(pdf_sections(rostered)["W1"])
    html = html_sections(rostered)["W1"]
    assert "Shift1:07:00–14:00" in pdf and "novisits:notneeded" in pdf
    assert "Shift 1: 07:00–14:00</b> &nbsp; no visits: not needed" in html


def test_rostered_shift_missing_from_the_rota_is_still_listed(rostered):
    w2 = by_id(rostered)["W2"]
    assert [(sh.shift, sh.shift_start_s, sh.used) for sh in w2.shifts] == [
        (1, hm("07:00"), True), (2, hm("16:30"), False)]


def test_unused_shift_adds_nothing_to_the_totals(rostered):
    w1 = by_id(rostered)["W1"]
    assert w1.contact_s == 2 * 1800
    assert w1.travel_s == 2 * 600 + 600


def test_workers_without_visits_are_idle_not_sheets(rostered):
    assert [s.worker_id for s in rostered.sheets] == ["W1", "W2"]
    assert [w.worker_id for w in rostered.idle] == ["W3", "W4"]
    assert [w.worker_id for w in rostered.pages] == ["W1", "W2", "W3", "W4"]


def test_pdf_gives_an_idle_worker_a_page_saying_not_needed(rostered):
    sections = pdf_sections(rostered)
    assert sorted(sections) == ["W1", "W2", "W3", "W4"]
    text = squash(sections["W4"])
    assert "Novisitsforyou" in text and "notneeded" in text
    assert "Shift1:09:00–13:00" in text


def test_html_gives_an_idle_worker_a_section_saying_not_needed(rostered):
    section = html_sections(rostered)["W3"]
    assert "No visits for you on Tuesday 24 November 2026" in section
    assert "Shift 1: 07:00–12:00" in section and "no visits: not needed" in section
    assert 'class="visits"' not in section


def test_route_caption_names_shifts_by_their_rota_numbers():
    clients = (client("C1"),)
    visits = (visit("V1", "C1", "08:00"), visit("V2", "C1", "13:00"))
    three = (("07:00", "10:00"), ("10:00", "12:00"), ("12:30", "15:00"))
    rota = rota_of(shift("W1", 1, three[0], (stop("V1", "C1", "08:00"),)),
                   shift("W1", 3, three[2], (stop("V2", "C1", "13:00"),)))
    sheets = render_run_sheets(day_of((worker("W1", *three),), clients, visits), rota)
    assert "solidlineshift1,dashedshift3" in squash(pdf_text(sheets))


# ---- leave by, and waits -----------------------------------------------------------------------

@pytest.fixture
def early():
    """W1 leaves home at 09:19 for a 12:30 visit 10 min away, then waits 40 min and 5 min."""
    clients = (client("C1"), client("C2", 55.88), client("C3", 55.87))
    visits = (visit("V1", "C1", "12:30"), visit("V2", "C2", "13:45"), visit("V3", "C3", "14:25"))
    rota = rota_of(shift("W1", 1, ("09:00", "17:00"), (
        stop("V1", "C1", "12:30", arrival="09:29", travel_s=600),
        stop("V2", "C2", "13:45", arrival="13:05", travel_s=300),
        stop("V3", "C3", "14:25", arrival="14:20", travel_s=300),
    ), leave="09:19"))
    return render_run_sheets(day_of((worker("W1", ("09:00", "17:00")),), clients, visits), rota)


def test_leave_by_is_the_start_less_the_legs_travel(early):
    first, second, third = early.sheets[0].visits
    assert first.leave_by_s == hm("12:20")
    assert second.leave_by_s == hm("13:40")
    assert (first.shows_leave_by, second.shows_leave_by, third.shows_leave_by) == (
        True, True, False)


def test_pdf_says_leave_home_by_for_the_first_visit(early):
    text = squash(pdf_text(early))
    assert "leavehomeby12:20" in text
    assert "09:19" not in text  # the planned departure would send the worker 3 hours early


def test_pdf_shows_a_long_wait_and_when_to_leave_the_last_visit(early):
    text = squash(pdf_text(early))
    assert "arrive13:05,wait40min" in text
    assert "leavethelastvisitby13:40" in text


def test_short_wait_shows_the_wait_but_no_leave_by(early):
    html = html_sections(early)["W1"]
    row = re.search(r'<tr data-visit="V3">.*?</tr>', html, flags=re.S).group(0)
    assert "arrive 14:20, wait 5 min" in row
    assert "leave" not in row


def test_html_shift_band_says_leave_home_by(early):
    html = html_sections(early)["W1"]
    assert "Shift 1: 09:00–17:00 · leave home by 12:20" in html


# ---- legs planned as 0 seconds -----------------------------------------------------------------

LAT = 55.89


@pytest.fixture
def snapped():
    """Legs of 0 s and 0 m: C1 to C2 (588 m apart), C2 to C3 (50 m), C3 to C3 (same home);
    then home, 0 s from C3 too."""
    clients = (client("C1", LAT), client("C2", north_of(LAT, 588)),
               client("C3", north_of(LAT, 638)))
    visits = (visit("V1", "C1", "08:00"), visit("V2", "C2", "09:00"), visit("V3", "C3", "10:00"),
              visit("V4", "C3", "11:00"))
    rota = rota_of(shift("W1", 1, ("07:00", "14:00"), (
        stop("V1", "C1", "08:00"),
        stop("V2", "C2", "09:00", travel_s=0, distance_m=0),
        stop("V3", "C3", "10:00", travel_s=0, distance_m=0),
        stop("V4", "C3", "11:00", travel_s=0, distance_m=0)), back_s=0, back_m=0))
    day = day_of((worker("W1", ("07:00", "14:00"), lat=north_of(LAT, 1800), lon=-3.07),),
                 clients, visits)
    return render_run_sheets(day, rota)


def travel_cell(html: str, visit_id: str) -> str:
    row = re.search(rf'<tr data-visit="{visit_id}">(.*?)</tr>', html, flags=re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row, flags=re.S)[-1]


def test_zero_leg_keeps_the_planned_figures(snapped):
    second = snapped.sheets[0].visits[1]
    assert (second.travel_s, second.distance_m) == (0, 0)
    assert second.straight_m == pytest.approx(588, abs=1)


def test_zero_leg_between_homes_apart_shows_the_straight_line_distance(snapped):
    cell = travel_cell(html_sections(snapped)["W1"], "V2")
    assert cell == "close by<br>0.4 mi as the crow flies"


def test_zero_leg_between_close_homes_reads_next_door(snapped):
    assert travel_cell(html_sections(snapped)["W1"], "V3") == "next door / same street"


def test_zero_leg_within_one_home_reads_same_address(snapped):
    assert travel_cell(html_sections(snapped)["W1"], "V4") == "same address"


def test_ordinary_leg_shows_minutes_and_miles(snapped):
    cell = travel_cell(html_sections(snapped)["W1"], "V1")
    assert cell.startswith("10 min<br>3.1 mi")


def test_zero_way_home_shows_the_straight_line_distance(snapped):
    assert "Back home 11:30 · close by, 0.7 mi as the crow flies from the last visit" in \
        html_sections(snapped)["W1"]


def test_pdf_never_prints_a_zero_leg_as_0_0_mi(snapped):
    text = squash(pdf_text(snapped))
    assert "0.0mi" not in text
    assert "0.4miasthecrowflies" in text and "nextdoor/samestreet" in text


@pytest.mark.parametrize("travel_s, straight_m, same, expected", [
    (60, 588, False, None),
    (0, 588, False, ("close by", "0.4 mi as the crow flies")),
    (0, 199, False, ("next door / same street", "")),
    (0, 0, True, ("same address", "")),
])
def test_zero_leg_wording(travel_s, straight_m, same, expected):
    assert zero_leg(travel_s, straight_m, same) == expected
