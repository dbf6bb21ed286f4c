"""Printable run sheets: one section per care worker, as an A4 PDF and as HTML."""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import math
import weakref
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..escape import html_text, pdf_text
from ..model import Day
from ..rota import PlannedBreak, Rota, check_rota_inputs
from ..travel import DayTravel
from ..units import METRES_PER_MILE, format_hhmm
from .paths import OSM_ATTRIBUTION, ShiftPath, shift_paths

log = logging.getLogger(__name__)

LatLon = tuple[float, float]
CONFIDENTIAL = "Confidential: personal data"


# ---- content ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetVisit:
    """One visit on a run sheet, in the worker's order; times in seconds since midnight.

    ``partners`` holds ``(worker_id, name)`` of the other carer(s) on a double-up;
    ``travel_s`` / ``distance_m`` are the leg from the previous stop (or from home).
    """

    seq: int
    shift: int
    visit_id: str
    client_id: str
    client_name: str
    address: str
    postcode: str
    access_notes: str
    tasks: tuple[str, ...]
    priority: str
    arrival_s: int
    start_s: int
    end_s: int
    window_start_s: int
    window_end_s: int
    partners: tuple[tuple[str, str], ...]
    travel_s: int
    distance_m: int
    from_home: bool

    @property
    def duration_s(self) -> int:
        """Planned length of the visit, seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class SheetShift:
    """One shift on a run sheet: its hours, when to leave and get home, and its visits."""

    shift: int
    shift_start_s: int
    shift_end_s: int
    leave_s: int
    return_s: int
    return_travel_s: int
    return_distance_m: int
    visits: tuple[SheetVisit, ...]
    breaks: tuple[PlannedBreak, ...] = ()


@dataclass(frozen=True)
class WorkerSheet:
    """Everything printed for one worker.

    Totals are seconds and metres over all shifts: ``contact_s`` with clients,
    ``travel_s`` including the ways from and back home, ``paid_s`` from leaving home to
    getting back (travel time is paid time), ``distance_m`` for mileage.
    ``paths`` is the route geometry per shift and ``background_roads`` road segments
    (``(lat, lon)`` pairs) around the round when a road network was used.
    """

    worker_id: str
    worker_name: str
    provider_id: str
    provider_name: str
    travel_mode: str
    shifts: tuple[SheetShift, ...]
    contact_s: int
    travel_s: int
    paid_s: int
    distance_m: int
    paths: tuple[ShiftPath, ...]
    on_roads: bool
    background_roads: tuple[tuple[LatLon, LatLon], ...] = ()

    @property
    def visits(self) -> tuple[SheetVisit, ...]:
        """Every visit of the day in order."""
        return tuple(v for sh in self.shifts for v in sh.visits)


@dataclass(frozen=True)
class RunSheets:
    """The run sheets of a day: one :class:`WorkerSheet` per worker with visits."""

    date: dt.date
    sheets: tuple[WorkerSheet, ...]
    roads: str | None = None

    @property
    def date_text(self) -> str:
        """The date as printed, e.g. ``Tuesday 24 November 2026``."""
        return f"{self.date:%A} {self.date.day} {self.date:%B %Y}"


# ---- checks and loading ----------------------------------------------------------------------

# ---- building the content --------------------------------------------------------------------

# Road segments per network (computed once per network, shared by every sheet).
_SEGMENTS: weakref.WeakKeyDictionary[object, tuple] = weakref.WeakKeyDictionary()
_MAJOR_ROADS = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary",
                          "motorway_link", "trunk_link", "primary_link", "secondary_link"})
MAX_BACKGROUND_SEGMENTS = 2500


def _network_segments(network):
    """Arrays (lat_u, lon_u, lat_v, lon_v, is_major) of the network's roads, once per network.

    Read from the osmnx-style graph (node ``x``/``y``, edge ``highway``) so that it depends
    only on the network's documented ``graph``.
    """
    import numpy as np

    if network not in _SEGMENTS:
        nodes = network.graph.nodes
        seen: dict[tuple[int, int], bool] = {}
        for u, v, data in network.graph.edges(data=True):
            key = (u, v) if u <= v else (v, u)  # one segment per pair, whichever way it runs
            kind = data.get("highway")
            major = any(k in _MAJOR_ROADS for k in (kind if isinstance(kind, list) else [kind]))
            if u != v:
                seen[key] = seen.get(key, False) or major
        pairs = list(seen)
        lat_u = np.array([nodes[a]["y"] for a, _ in pairs], dtype=float)
        lon_u = np.array([nodes[a]["x"] for a, _ in pairs], dtype=float)
        lat_v = np.array([nodes[b]["y"] for _, b in pairs], dtype=float)
        lon_v = np.array([nodes[b]["x"] for _, b in pairs], dtype=float)
        _SEGMENTS[network] = (lat_u, lon_u, lat_v, lon_v,
                              np.array([seen[k] for k in pairs], dtype=bool))
    return _SEGMENTS[network]


def _background_roads(network, points: list[LatLon]) -> tuple[tuple[LatLon, LatLon], ...]:
    lat_u, lon_u, lat_v, lon_v, major = _network_segments(network)
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    pad_lat = max(0.003, (max(lats) - min(lats)) * 0.08)
    pad_lon = max(0.005, (max(lons) - min(lons)) * 0.08)
    inside = ((lat_u >= min(lats) - pad_lat) & (lat_u <= max(lats) + pad_lat)
              & (lon_u >= min(lons) - pad_lon) & (lon_u <= max(lons) + pad_lon)
              & (lat_v >= min(lats) - pad_lat) & (lat_v <= max(lats) + pad_lat)
              & (lon_v >= min(lons) - pad_lon) & (lon_v <= max(lons) + pad_lon))
    if inside.sum() > MAX_BACKGROUND_SEGMENTS:  # a big area: major roads only, to stay legible
        inside &= major
    return tuple(((float(a), float(b)), (float(c), float(d)))
                 for a, b, c, d in zip(lat_u[inside], lon_u[inside], lat_v[inside],
                                       lon_v[inside]))


def render_run_sheets(day: Day, rota: Rota, *, travel: DayTravel | None = None) -> RunSheets:
    """The content of the run sheets of a planned day (what :func:`write_run_sheets` prints).

    Parameters
    ----------
    day : Day
        The inputs the rota was planned from.
    rota : Rota
    travel : DayTravel, optional
        With road networks (``travel.networks``) the route maps follow the roads and
        show the roads around; otherwise stops are joined by straight lines.

    Returns
    -------
    RunSheets
        One sheet per worker with visits, ordered by provider name, worker name and id;
        each worker's visits in rota order (shift by shift).

    Raises
    ------
    InputError
        When the rota does not match the inputs (see :func:`check_rota_inputs`).
    """
    check_rota_inputs(day, rota)
    paths = shift_paths(day, rota, travel)
    by_worker = defaultdict(list)
    for sh in rota.shifts:
        if sh.stops:
            by_worker[sh.worker_id].append(sh)
    networks = (travel.networks or {}) if travel is not None else {}
    outcomes = {o.visit_id: o for o in rota.outcomes}
    sheets = []
    for worker_id, shifts in by_worker.items():
        shifts.sort(key=lambda s: (s.shift_start_s, s.shift))
        worker = day.worker_by_id[worker_id]
        provider = day.provider_by_id.get(shifts[0].provider_id)
        seq = 0
        sheet_shifts = []
        for sh in shifts:
            visits = []
            for i, stop in enumerate(sh.stops):
                seq += 1
                visit = day.visit_by_id[stop.visit_id]
                client = day.client_by_id[stop.client_id]
                partners = tuple((w, day.worker_by_id[w].name)
                                 for w in _partners(outcomes.get(stop.visit_id), worker_id,
                                                    stop.partner)
                                 if w in day.worker_by_id)
                visits.append(SheetVisit(
                    seq=seq, shift=sh.shift, visit_id=visit.visit_id, client_id=client.client_id,
                    client_name=client.name, address=client.address, postcode=client.postcode,
                    access_notes=client.notes, tasks=visit.tasks, priority=visit.priority,
                    arrival_s=stop.arrival_s, start_s=stop.start_s, end_s=stop.end_s,
                    window_start_s=visit.window_start_s, window_end_s=visit.window_end_s,
                    partners=partners, travel_s=stop.travel_s, distance_m=stop.distance_m,
                    from_home=i == 0))
            sheet_shifts.append(SheetShift(
                shift=sh.shift, shift_start_s=sh.shift_start_s, shift_end_s=sh.shift_end_s,
                leave_s=sh.leave_s, return_s=sh.return_s, return_travel_s=sh.return_travel_s,
                return_distance_m=sh.return_distance_m, visits=tuple(visits), breaks=sh.breaks))
        worker_paths = tuple(paths[(worker_id, sh.shift)] for sh in shifts)
        network = networks.get(shifts[0].travel_mode)
        background = ()
        if network is not None:
            background = _background_roads(network, [p for path in worker_paths
                                                     for p in path.line])
        sheets.append(WorkerSheet(
            worker_id=worker_id, worker_name=worker.name, provider_id=shifts[0].provider_id,
            provider_name=provider.name if provider else shifts[0].provider_id,
            travel_mode=shifts[0].travel_mode, shifts=tuple(sheet_shifts),
            contact_s=sum(sh.contact_s for sh in shifts),
            travel_s=sum(sh.travel_s for sh in shifts),
            paid_s=sum(sh.return_s - sh.leave_s for sh in shifts),
            distance_m=sum(sh.distance_m for sh in shifts), paths=worker_paths,
            on_roads=all(p.on_roads for p in worker_paths), background_roads=background))
    sheets.sort(key=lambda s: (s.provider_name.casefold(), s.worker_name.casefold(), s.worker_id))
    return RunSheets(date=rota.date, sheets=tuple(sheets), roads=travel.roads if travel else None)


def _partners(outcome, worker_id: str, partner: str | None) -> tuple[str, ...]:
    others = [w for w in (outcome.workers if outcome else ()) if w != worker_id]
    if partner and partner not in others:
        others.insert(0, partner)
    return tuple(others)


# ---- formatting helpers ----------------------------------------------------------------------

def _minutes(seconds: int) -> str:
    """``1 h 05 min`` / ``25 min``; rounded to the nearest minute."""
    minutes = int(round(seconds / 60))
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min"


def _miles(metres: int) -> str:
    return f"{metres / METRES_PER_MILE:.1f} mi"


def _mode_text(mode: str) -> str:
    return {"drive": "drives", "walk": "walks"}.get(mode, mode)


def _hm_range(a: int, b: int) -> str:
    return f"{format_hhmm(a)}–{format_hhmm(b)}"


# ---- the route sketch (reportlab graphics) ---------------------------------------------------

def route_drawing(sheet: WorkerSheet, *, width: float, height: float, font: str = "Helvetica",
                  bold_font: str = "Helvetica-Bold"):
    """A small black-and-white map of a worker's day as a reportlab ``Drawing``.

    Straight segments (or the roads' shapes when known) between numbered stops; ``H`` is
    home; shift 1 is a solid line, later shifts dashed. ``width``/``height`` in points.
    """
    from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, strokeColor=colors.black, strokeWidth=0.6,
                     fillColor=colors.white))
    points = [p for path in sheet.paths for p in path.line]
    lat0 = sum(p[0] for p in points) / len(points)
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_540.0
    xs = [p[1] * kx for p in points]
    ys = [p[0] * ky for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 400.0)  # at least 400 m across
    pad = 14.0
    scale = min((width - 2 * pad) / max(max(xs) - min(xs), span * 0.2),
                (height - 2 * pad - 8) / max(max(ys) - min(ys), span * 0.2))
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2

    def xy(p: LatLon) -> tuple[float, float]:
        return (width / 2 + (p[1] * kx - cx) * scale, height / 2 + 4 + (p[0] * ky - cy) * scale)

    def inside(x: float, y: float) -> bool:
        return 1 <= x <= width - 1 and 1 <= y <= height - 1

    grey = colors.Color(0.78, 0.78, 0.78)
    for a, b in sheet.background_roads:
        (x1, y1), (x2, y2) = xy(a), xy(b)
        if inside(x1, y1) and inside(x2, y2):
            drawing.add(Line(x1, y1, x2, y2, strokeColor=grey, strokeWidth=0.45))
    dashes = [None, [4, 2.5], [1.2, 2]]
    for k, path in enumerate(sheet.paths):
        coords = [c for p in path.line for c in xy(p)]
        drawing.add(PolyLine(coords, strokeColor=colors.black, strokeWidth=1.3,
                             strokeDashArray=dashes[min(k, 2)], strokeLineJoin=1))
    # Stops at the same home share one label ("2,5"): a client with two visits in a round.
    labels: dict[tuple[float, float], list[str]] = {}
    seq = 0
    for path in sheet.paths:
        for p in path.stops:
            seq += 1
            labels.setdefault((round(p[0], 5), round(p[1], 5)), []).append(str(seq))
    home = xy(sheet.paths[0].home)
    drawing.add(Rect(home[0] - 5, home[1] - 5, 10, 10, fillColor=colors.black,
                     strokeColor=colors.black))
    drawing.add(String(home[0], home[1] - 3, "H", fontName=bold_font, fontSize=7.5,
                       fillColor=colors.white, textAnchor="middle"))
    for (lat, lon), numbers in labels.items():
        x, y = xy((lat, lon))
        text = ",".join(numbers)
        half = max(5.5, 2.3 * len(text) + 1.5)
        drawing.add(Rect(x - half, y - 5.5, 2 * half, 11, rx=5.5, ry=5.5,
                         fillColor=colors.white, strokeColor=colors.black, strokeWidth=0.9))
        drawing.add(String(x, y - 2.6, text, fontName=bold_font, fontSize=7,
                           fillColor=colors.black, textAnchor="middle"))
    # Scale bar in miles, bottom left.
    metres_per_pt = 1 / scale
    bar_miles = max([m for m in (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)
                     if m * METRES_PER_MILE / metres_per_pt <= width * 0.3] or [0.05])
    bar = bar_miles * METRES_PER_MILE / metres_per_pt
    drawing.add(Rect(4, 3, bar + 36, 10, fillColor=colors.white, strokeColor=None))
    drawing.add(Line(6, 6, 6 + bar, 6, strokeColor=colors.black, strokeWidth=2))
    drawing.add(String(9 + bar, 4, f"{bar_miles:g} mi", fontName=font, fontSize=6.5,
                       fillColor=colors.black))
    drawing.add(String(width - 4, height - 9, "N ↑", fontName=font, fontSize=7,
                       fillColor=colors.black, textAnchor="end"))
    if sheet.on_roads or sheet.background_roads:
        drawing.add(String(width - 4, 4, OSM_ATTRIBUTION, fontName=font, fontSize=5.5,
                           fillColor=colors.black, textAnchor="end"))
    return drawing


def _map_caption(sheet: WorkerSheet) -> str:
    parts = ["H home, numbers: visits in order"]
    if len(sheet.paths) > 1:
        parts.append("solid line shift 1, dashed shift 2" + (", dotted later shifts"
                                                              if len(sheet.paths) > 2 else ""))
    parts.append("lines follow the roads" if sheet.on_roads else
                 "straight lines between stops, not the road taken")
    return "; ".join(parts) + "."


# ---- PDF ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def pdf_fonts() -> tuple[str, str]:
    """Register DejaVu Sans (covers Welsh and Gaelic letters such as ŵ, ŷ, à) with reportlab.

    The TrueType files come with matplotlib. Returns the regular and bold font names;
    Helvetica (which lacks ŵ and ŷ) only if those files are missing.
    """
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
             "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
             "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf"}
    if not all((folder / f).is_file() for f in faces.values()):
        log.warning("DejaVu Sans not found in matplotlib's fonts; run sheets use Helvetica, "
                    "which cannot print letters such as ŵ and ŷ")
        return "Helvetica", "Helvetica-Bold"
    for name, file in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    addMapping("DejaVuSans", 0, 0, "DejaVuSans")
    addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    addMapping("DejaVuSans", 0, 1, "DejaVuSans-Oblique")
    addMapping("DejaVuSans", 1, 1, "DejaVuSans-BoldOblique")
    return "DejaVuSans", "DejaVuSans-Bold"


_p = pdf_text


def _make_canvas_class():
    from reportlab.pdfgen.canvas import Canvas

    class SheetCanvas(Canvas):
        """Draws the running header and footer once the page count is known."""

        def __init__(self, *args, date_text: str = "", fonts: tuple[str, str] = ("Helvetica",
                     "Helvetica-Bold"), **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._cr_date = date_text
            self._cr_fonts = fonts
            self._cr_pages: list[dict] = []
            self._cr_section: tuple[int, str] | None = None
            self._cr_marks: list[tuple[str, str]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._cr_pages.append(dict(self.__dict__))
            self._cr_marks = []
            self._startPage()

        def save(self) -> None:
            pages = self._cr_pages
            total = len(pages)
            sections = [state.get("_cr_section") for state in pages]
            for number, state in enumerate(pages, start=1):
                self.__dict__.update(state)
                # Bookmarks are made now: only now does the page exist in the PDF.
                for key, label in state.get("_cr_marks", ()):
                    self.bookmarkPage(key)
                    self.addOutlineEntry(label, key, level=0)
                section = sections[number - 1]
                same = [i for i, s in enumerate(sections) if s == section]
                self._cr_furniture(number, total, section, same.index(number - 1) + 1, len(same))
                Canvas.showPage(self)
            Canvas.save(self)

        def _cr_furniture(self, number: int, total: int, section, part: int, parts: int) -> None:
            from reportlab.lib.units import mm

            regular, bold = self._cr_fonts
            width, height = self._pagesize
            self.saveState()
            self.setLineWidth(0.5)
            self.line(15 * mm, 12 * mm, width - 15 * mm, 12 * mm)
            self.setFont(bold, 8)
            self.drawString(15 * mm, 8 * mm, CONFIDENTIAL)
            self.setFont(regular, 8)
            self.drawCentredString(width / 2, 8 * mm, self._cr_date)
            self.drawRightString(width - 15 * mm, 8 * mm, f"Page {number} of {total}")
            if section is not None:
                self.setFont(regular, 8)
                self.drawString(15 * mm, height - 10 * mm, f"Run sheet: {section[1]}")
                self.drawRightString(width - 15 * mm, height - 10 * mm,
                                     f"Sheet page {part} of {parts}")
                self.line(15 * mm, height - 11.5 * mm, width - 15 * mm, height - 11.5 * mm)
            self.restoreState()

    return SheetCanvas


def _section_mark(index: int, label: str):
    from reportlab.platypus import Flowable

    class SectionMark(Flowable):
        """Zero-size marker: starts a worker's section (running header, PDF bookmark)."""

        def wrap(self, available_width, available_height):
            return 0, 0

        def draw(self) -> None:
            self.canv._cr_section = (index, label)
            self.canv._cr_marks.append((f"sheet{index}", label))

    return SectionMark()


def render_run_sheets_pdf(sheets: RunSheets) -> bytes:
    """The run sheets as an A4 PDF: a page or more per worker (see :func:`write_run_sheets`)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = pdf_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9)
    head = ParagraphStyle("head", parent=base, fontName=bold, fontSize=8, leading=9.5)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21)
    sub = ParagraphStyle("sub", parent=base, fontSize=10, leading=13)
    big = ParagraphStyle("big", parent=base, fontName=bold, fontSize=11, leading=13)
    shift_style = ParagraphStyle("shift", parent=base, fontName=bold, fontSize=9, leading=11)

    page_w = A4[0] - 30 * mm
    story = []
    for index, sheet in enumerate(sheets.sheets):
        if index:
            story.append(PageBreak())
        story.append(_section_mark(index, f"{sheet.worker_name} ({sheet.worker_id})"))
        shifts_text = "<br/>".join(
            f"Shift {k}: <b>{_hm_range(sh.shift_start_s, sh.shift_end_s)}</b> &#160; leave home "
            f"{format_hhmm(sh.leave_s)}, back {format_hhmm(sh.return_s)}"
            for k, sh in enumerate(sheet.shifts, start=1))
        totals = Table(
            [[Paragraph(label, base), Paragraph(value, big)] for label, value in (
                ("Visits", str(len(sheet.visits))), ("Contact time", _minutes(sheet.contact_s)),
                ("Travel time", _minutes(sheet.travel_s)),
                ("Paid time (home to home)", _minutes(sheet.paid_s)),
                ("Mileage", _miles(sheet.distance_m)))],
            colWidths=[46 * mm, 28 * mm], hAlign="LEFT")
        totals.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                                    ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.black),
                                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 3)]))
        left = [Paragraph(_p(sheet.worker_name), title),
                Paragraph(f"Worker {_p(sheet.worker_id)} &#160;·&#160; {_p(sheet.provider_name)}",
                          sub),
                Paragraph(f"<b>{_p(sheets.date_text)}</b> &#160;·&#160; "
                          f"{_mode_text(sheet.travel_mode)}", sub),
                Spacer(1, 2 * mm), Paragraph(shifts_text, base), Spacer(1, 3 * mm), totals]
        map_w, map_h = 88 * mm, 62 * mm
        drawing = route_drawing(sheet, width=map_w, height=map_h, font=regular, bold_font=bold)
        right_col = [drawing, Paragraph(_map_caption(sheet), small)]
        header = Table([[left, right_col]], colWidths=[page_w - map_w - 2 * mm, map_w + 2 * mm])
        header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story += [header, Spacer(1, 4 * mm)]

        columns = ("#", "Time", "Client and address", "Access notes", "Tasks", "Double-up",
                   "Travel")
        widths = [11 * mm, 28 * mm, 42 * mm, 32 * mm, 29 * mm, 20 * mm, 18 * mm]
        rows = [[Paragraph(c, head) for c in columns]]
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                 ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.85, 0.85)),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                 ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5)]
        for k, sh in enumerate(sheet.shifts, start=1):
            rows.append([Paragraph(
                f"Shift {k}: {_hm_range(sh.shift_start_s, sh.shift_end_s)} &#160;·&#160; "
                f"leave home {format_hhmm(sh.leave_s)}", shift_style)] + [""] * 6)
            style += [("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                      ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                       colors.Color(0.93, 0.93, 0.93))]
            breaks = sorted(sh.breaks, key=lambda b: b.start_s)
            for v in sh.visits:
                while breaks and breaks[0].start_s <= v.start_s:
                    b = breaks.pop(0)
                    rows.append([Paragraph(f"Break {format_hhmm(b.start_s)}, "
                                           f"{_minutes(b.duration_s)}", base)] + [""] * 6)
                    style.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
                rows.append(_pdf_visit_row(v, base, small, bold))
            for b in breaks:
                rows.append([Paragraph(f"Break {format_hhmm(b.start_s)}, {_minutes(b.duration_s)}",
                                       base)] + [""] * 6)
                style.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
            rows.append([Paragraph(
                f"Back home {format_hhmm(sh.return_s)} &#160;·&#160; "
                f"{_minutes(sh.return_travel_s)}, {_miles(sh.return_distance_m)} from the last "
                f"visit", base)] + [""] * 6)
            style.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle(style))
        story.append(table)

    if not sheets.sheets:
        story.append(Paragraph(f"No visits were scheduled on {_p(sheets.date_text)}.", title))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=16 * mm, invariant=True,
                            title=f"Run sheets {sheets.date.isoformat()}", author="carerounds",
                            subject=CONFIDENTIAL)
    doc.build(story, canvasmaker=functools.partial(_make_canvas_class(),
                                                   date_text=sheets.date_text,
                                                   fonts=(regular, bold)))
    return buffer.getvalue()


def _shows_arrival(v: SheetVisit) -> bool:
    """Print the arrival when the worker waits a little; a long gap is free time, not a wait."""
    return 60 <= v.start_s - v.arrival_s <= 3600


def _pdf_visit_row(v: SheetVisit, base, small, bold: str) -> list:
    from reportlab.platypus import Paragraph

    time_lines = [f"<b>{format_hhmm(v.start_s)}</b>–{format_hhmm(v.end_s)}",
                  f"{_minutes(v.duration_s)}",
                  f"<font size=7>window {_hm_range(v.window_start_s, v.window_end_s)}</font>"]
    if _shows_arrival(v):
        time_lines.append(f"<font size=7>arrive {format_hhmm(v.arrival_s)}</font>")
    if v.priority != "normal":
        time_lines.append(f"<b>{_p(v.priority.upper())}</b>")
    client = (f"<b>{_p(v.client_name)}</b><br/>{_p(v.address)}<br/>{_p(v.postcode)}")
    tasks = "<br/>".join(_p(t) for t in v.tasks) or "–"
    double = ("<b>Double-up</b> with " + ", ".join(f"{_p(name)} ({_p(w)})" for w, name in v.partners)
              if v.partners else "–")
    travel = (f"{_minutes(v.travel_s)}<br/>{_miles(v.distance_m)}"
              + ("<br/><font size=7>from home</font>" if v.from_home else ""))
    return [Paragraph(f"<b>{v.seq}</b><br/><font size=6.5>{_p(v.visit_id)}</font>", base),
            Paragraph("<br/>".join(time_lines), base),
            Paragraph(client, base),
            Paragraph(_p(v.access_notes) or "–", base),
            Paragraph(tasks, base),
            Paragraph(double, base),
            Paragraph(travel, base)]


# ---- HTML -----------------------------------------------------------------------------------

_HTML_CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:10pt;color:#000;margin:0 auto;
 max-width:190mm;padding:8mm}
h1{font-size:18pt;margin:0 0 2mm}
.sub{font-size:11pt;margin:0 0 1mm}
.sheet{page-break-before:always;break-before:page;margin-bottom:10mm}
.sheet:first-of-type{page-break-before:auto;break-before:auto}
.head{display:flex;gap:4mm;justify-content:space-between}
.map{flex:0 0 88mm}.map svg{width:88mm;height:62mm;display:block}
.map p{font-size:8pt;margin:1mm 0}
table{border-collapse:collapse;width:100%}
table.visits{table-layout:fixed}
th,td{border:0.6pt solid #000;padding:1.5mm;vertical-align:top;text-align:left}
th{background:#d9d9d9;font-size:9pt}
td{font-size:9pt;overflow-wrap:anywhere}
table.totals{width:72mm;margin-top:3mm}
table.totals th{background:none;font-weight:normal;width:42mm}
table.totals td{font-weight:bold;font-size:11pt}
tr.band td{background:#eee;font-weight:bold}
.small{font-size:8pt}
.confidential{font-weight:bold;border-top:0.6pt solid #000;margin-top:3mm;padding-top:1mm;
 font-size:8pt}
@page{size:A4;margin:12mm}
@media print{body{padding:0;max-width:none}.confidential.page{position:fixed;bottom:0;left:0;
 right:0;background:#fff}}
"""


def render_run_sheets_html(sheets: RunSheets) -> str:
    """The run sheets as one self-contained HTML page (inline CSS and SVG maps, no scripts).

    Every piece of user text is HTML-escaped, and a Content-Security-Policy forbids
    scripts, so nothing in the inputs can run in a browser.
    """
    from reportlab.graphics import renderSVG

    e = html_text
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; img-src data:\">",
           '<meta name="robots" content="noindex">',
           f"<title>Run sheets {sheets.date.isoformat()}</title>",
           f"<style>{_HTML_CSS}</style></head><body>",
           f'<div class="confidential page">{CONFIDENTIAL} · {e(sheets.date_text)}</div>']
    if not sheets.sheets:
        out.append(f"<h1>No visits were scheduled on {e(sheets.date_text)}.</h1>")
    for index, sheet in enumerate(sheets.sheets):
        svg = renderSVG.drawToString(route_drawing(sheet, width=88 * 2.8346, height=62 * 2.8346))
        # Several SVGs share the page: give their ids their own names; use browser fonts.
        svg = (svg[svg.index("<svg"):]
               .replace('id="clip"', f'id="clip{index}"').replace("url(#clip)", f"url(#clip{index})")
               .replace('id="group"', f'id="group{index}"')
               .replace("font-family: Helvetica-Bold;", "font-family: Arial, sans-serif; "
                        "font-weight: bold;")
               .replace("font-family: Helvetica;", "font-family: Arial, sans-serif;"))
        shifts = "<br>".join(
            f"Shift {k}: <b>{_hm_range(sh.shift_start_s, sh.shift_end_s)}</b> &nbsp; leave home "
            f"{format_hhmm(sh.leave_s)}, back {format_hhmm(sh.return_s)}"
            for k, sh in enumerate(sheet.shifts, start=1))
        out.append(
            f'<section class="sheet" data-worker="{e(sheet.worker_id)}">'
            f'<div class="head"><div><h1>{e(sheet.worker_name)}</h1>'
            f'<p class="sub">Worker {e(sheet.worker_id)} · {e(sheet.provider_name)}</p>'
            f'<p class="sub"><b>{e(sheets.date_text)}</b> · {_mode_text(sheet.travel_mode)}</p>'
            f"<p>{shifts}</p>"
            '<table class="totals">'
            f"<tr><th>Visits</th><td>{len(sheet.visits)}</td></tr>"
            f"<tr><th>Contact time</th><td>{_minutes(sheet.contact_s)}</td></tr>"
            f"<tr><th>Travel time</th><td>{_minutes(sheet.travel_s)}</td></tr>"
            f"<tr><th>Paid time (home to home)</th><td>{_minutes(sheet.paid_s)}</td></tr>"
            f"<tr><th>Mileage</th><td>{_miles(sheet.distance_m)}</td></tr></table></div>"
            f'<div class="map">{svg}<p>{e(_map_caption(sheet))}</p></div></div>'
            '<table class="visits"><colgroup><col style="width:11mm"><col style="width:28mm">'
            '<col style="width:42mm"><col style="width:32mm"><col style="width:29mm">'
            '<col style="width:20mm"><col style="width:18mm"></colgroup>'
            "<thead><tr><th>#</th><th>Time</th><th>Client and address</th>"
            "<th>Access notes</th><th>Tasks</th><th>Double-up</th><th>Travel</th></tr></thead>"
            "<tbody>")
        for k, sh in enumerate(sheet.shifts, start=1):
            out.append(f'<tr class="band"><td colspan="7">Shift {k}: '
                       f"{_hm_range(sh.shift_start_s, sh.shift_end_s)} · leave home "
                       f"{format_hhmm(sh.leave_s)}</td></tr>")
            breaks = sorted(sh.breaks, key=lambda b: b.start_s)
            for v in sh.visits:
                while breaks and breaks[0].start_s <= v.start_s:
                    b = breaks.pop(0)
                    out.append(f'<tr><td colspan="7">Break {format_hhmm(b.start_s)}, '
                               f"{_minutes(b.duration_s)}</td></tr>")
                out.append(_html_visit_row(v, e))
            for b in breaks:
                out.append(f'<tr><td colspan="7">Break {format_hhmm(b.start_s)}, '
                           f"{_minutes(b.duration_s)}</td></tr>")
            out.append(f'<tr><td colspan="7">Back home {format_hhmm(sh.return_s)} · '
                       f"{_minutes(sh.return_travel_s)}, {_miles(sh.return_distance_m)} from "
                       "the last visit</td></tr>")
        out.append(f'</tbody></table><p class="confidential">{CONFIDENTIAL} · '
                   f"{e(sheets.date_text)} · {e(sheet.worker_name)}</p></section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_visit_row(v: SheetVisit, e) -> str:
    time_lines = [f"<b>{format_hhmm(v.start_s)}</b>–{format_hhmm(v.end_s)}",
                  _minutes(v.duration_s),
                  f'<span class="small">window {_hm_range(v.window_start_s, v.window_end_s)}</span>']
    if _shows_arrival(v):
        time_lines.append(f'<span class="small">arrive {format_hhmm(v.arrival_s)}</span>')
    if v.priority != "normal":
        time_lines.append(f"<b>{e(v.priority.upper())}</b>")
    double = ("<b>Double-up</b> with " + ", ".join(f"{e(name)} ({e(w)})" for w, name in v.partners)
              if v.partners else "–")
    travel = (f"{_minutes(v.travel_s)}<br>{_miles(v.distance_m)}"
              + ('<br><span class="small">from home</span>' if v.from_home else ""))
    return (f'<tr data-visit="{e(v.visit_id)}"><td><b>{v.seq}</b><br>'
            f'<span class="small">{e(v.visit_id)}</span></td>'
            f"<td>{'<br>'.join(time_lines)}</td>"
            f"<td><b>{e(v.client_name)}</b><br>{e(v.address)}<br>{e(v.postcode)}</td>"
            f"<td>{e(v.access_notes) or '–'}</td>"
            f"<td>{'<br>'.join(e(t) for t in v.tasks) or '–'}</td>"
            f"<td>{double}</td><td>{travel}</td></tr>")


# ---- files and CLI --------------------------------------------------------------------------

def write_run_sheets(day: Day, rota: Rota, out_dir: str | Path, *,
                     travel: DayTravel | None = None) -> list[Path]:
    """Write ``run_sheets.pdf`` and ``run_sheets.html`` for a planned day.

    Parameters
    ----------
    day : Day
        The inputs the rota was planned from.
    rota : Rota
    out_dir : str or Path
        Created if missing.
    travel : DayTravel, optional
        Pass the plan's travel to draw rounds along the roads when a road network was used.

    Returns
    -------
    list of Path
        ``[run_sheets.pdf, run_sheets.html]``.

    Raises
    ------
    InputError
        When the rota does not match the inputs.
    """
    sheets = render_run_sheets(day, rota, travel=travel)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = out_dir / "run_sheets.pdf"
    pdf.write_bytes(render_run_sheets_pdf(sheets))
    page = out_dir / "run_sheets.html"
    page.write_text(render_run_sheets_html(sheets), encoding="utf-8")
    return [pdf, page]
