"""Run sheets as an A4 PDF (reportlab): a page or more per worker, every row fits a page.

Input text can be of any length, but a table row taller than a page cannot be laid out
(reportlab raises ``LayoutError``). So every cell wraps (words longer than the column
are split at any character, as ids are), and text beyond the ``*_CHARS`` limits below is
cut with an ellipsis and a note pointing to ``run_sheets.html``, which prints it whole.
The limits keep the tallest visit row to about half a page.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..escape import pdf_text
from ..units import format_hhmm
from .sheets_content import IdleWorker, RunSheets, SheetShift, SheetVisit, WorkerSheet
from .sheets_drawing import route_drawing
from .sheets_text import (
    COLUMN_MM,
    COLUMNS,
    CONFIDENTIAL,
    OVERVIEW_COLUMNS,
    OVERVIEW_MM,
    TICKS,
    back_home_text,
    idle_text,
    leg_lines,
    map_caption,
    miles_text,
    minutes_text,
    mode_text,
    office_text,
    overview_cells,
    shift_plan,
    shift_title,
    time_critical_text,
    time_notes,
)

log = logging.getLogger(__name__)

#: Characters of input text printed in the PDF before it is cut (the HTML has it all).
ID_CHARS = 24           # visit ids (narrow first column) and double-up partners' ids
WORKER_ID_CHARS = 40    # the worker's id in the header
NAME_CHARS = 100        # client, worker, partner and provider names
ADDRESS_CHARS = 160
POSTCODE_CHARS = 24
NOTES_CHARS = 450       # access notes
TASK_CHARS = 80         # one task
TASKS_CHARS = 300       # all of a visit's tasks together
TASKS_SHOWN = 12
LABEL_CHARS = 48        # running header and bookmark: "Run sheet: name (id)"
CONTACT_CHARS = 120     # a client's emergency contact
OVERVIEW_TITLE = "Coordinator's overview"

MORE = "<font size=6.5><i>(cut short: see run_sheets.html)</i></font>"
#: The same note for narrow columns (ids).
MORE_SHORT = "<font size=6><i>(see HTML)</i></font>"


def clip(text: str, limit: int) -> tuple[str, bool]:
    """Text cut to at most ``limit`` characters, and whether it was cut.

    The cut falls at a space when one is near the limit; cut text ends with an ellipsis
    and has its runs of whitespace joined.
    """
    text = " ".join(text.split()) if len(text) > limit else text
    if len(text) <= limit:
        return text, False
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 3 // 4:
        cut = cut[:space]
    return cut.rstrip() + "…", True


def _pc(text: str, limit: int, note: str = MORE) -> str:
    """Input text as Paragraph markup, cut at ``limit`` characters with ``note`` when cut."""
    shown, cut = clip(text, limit)
    return pdf_text(shown) + (" " + note if cut else "")


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
                index, label, office = section
                self.setFont(regular, 8)
                self.drawString(15 * mm, height - 10 * mm,
                                label if index < 0 else f"Run sheet: {label}")
                if office:  # the provider's office and on-call numbers on every page
                    self.setFont(bold, 8)
                    self.drawCentredString(width / 2 + 10 * mm, height - 10 * mm, office)
                    self.setFont(regular, 8)
                self.drawRightString(width - 15 * mm, height - 10 * mm,
                                     f"Sheet page {part} of {parts}")
                self.line(15 * mm, height - 11.5 * mm, width - 15 * mm, height - 11.5 * mm)
            self.restoreState()

    return SheetCanvas


def _section_mark(index: int, label: str, office: str = ""):
    from reportlab.platypus import Flowable

    class SectionMark(Flowable):
        """Zero-size marker: starts a section (running header, PDF bookmark); index -1 the overview."""

        def wrap(self, available_width, available_height):
            return 0, 0

        def draw(self) -> None:
            self.canv._cr_section = (index, label, office)
            self.canv._cr_marks.append((f"sheet{index}" if index >= 0 else "overview", label))

    return SectionMark()


def section_label(sheet: WorkerSheet | IdleWorker) -> str:
    """``Name (id)`` for the running header and the bookmark, cut to fit one line."""
    name, _ = clip(sheet.worker_name, LABEL_CHARS)
    worker_id, _ = clip(sheet.worker_id, ID_CHARS)
    return f"{name} ({worker_id})"


# ---- styles -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Styles:
    """The paragraph styles and fonts of the PDF (reportlab objects, made once per build)."""

    regular: str
    bold: str
    base: Any
    small: Any
    head: Any
    title: Any
    sub: Any
    big: Any
    shift: Any

    @property
    def box(self) -> str:
        """An empty tick box: the ballot box of DejaVu Sans, ``[ ]`` in Helvetica (which lacks it)."""
        return "☐" if self.regular.startswith("DejaVu") else "[&#160;&#160;]"


def _styles() -> _Styles:
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = pdf_fonts()
    # splitLongWords: a word wider than its column (a long id) breaks at any character.
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5,
                          splitLongWords=1)
    return _Styles(
        regular=regular, bold=bold, base=base,
        small=ParagraphStyle("small", parent=base, fontSize=7.5, leading=9),
        head=ParagraphStyle("head", parent=base, fontName=bold, fontSize=8, leading=9.5),
        title=ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21),
        sub=ParagraphStyle("sub", parent=base, fontSize=10, leading=13),
        big=ParagraphStyle("big", parent=base, fontName=bold, fontSize=11, leading=13),
        shift=ParagraphStyle("shift", parent=base, fontName=bold, fontSize=9, leading=11))


# ---- the document -----------------------------------------------------------------------------

def render_run_sheets_pdf(sheets: RunSheets) -> bytes:
    """The run sheets as an A4 PDF: the coordinator's overview, then a page or more per worker.

    The overview lists every rostered shift (:attr:`RunSheets.overview`). Workers with
    visits get their sheet, rostered workers without any a short page saying they are
    not needed; in :attr:`RunSheets.pages` order, each bookmarked.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    st = _styles()
    story: list = [_section_mark(-1, OVERVIEW_TITLE), *_overview_story(sheets, st)]
    for index, page in enumerate(sheets.pages):
        story.append(PageBreak())
        story.append(_section_mark(index, section_label(page), office_text(page)))
        if isinstance(page, WorkerSheet):
            story += _worker_story(page, sheets, st)
        else:
            story += _idle_story(page, sheets, st)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=16 * mm, invariant=True,
                            title=f"Run sheets {sheets.date.isoformat()}", author="carerounds",
                            subject=CONFIDENTIAL)
    doc.build(story, canvasmaker=functools.partial(_make_canvas_class(),
                                                   date_text=sheets.date_text,
                                                   fonts=(st.regular, st.bold)))
    return buffer.getvalue()


def _who(sheet: WorkerSheet | IdleWorker, sheets: RunSheets, st: _Styles) -> list:
    """Name, id, provider, date and travel mode at the top of a worker's section."""
    from reportlab.platypus import Paragraph

    phone = f" &#160;·&#160; {pdf_text(sheet.phone)}" if sheet.phone else ""
    office = office_text(sheet)
    return [Paragraph(_pc(sheet.worker_name, NAME_CHARS), st.title),
            Paragraph(f"Worker {_pc(sheet.worker_id, WORKER_ID_CHARS)}{phone} &#160;·&#160; "
                      f"{_pc(sheet.provider_name, NAME_CHARS)}", st.sub),
            *([Paragraph(f"<b>{pdf_text(office)}</b>", st.sub)] if office else []),
            Paragraph(f"<b>{pdf_text(sheets.date_text)}</b> &#160;·&#160; "
                      f"{mode_text(sheet.travel_mode)}", st.sub)]


def _shift_lines(shifts: tuple[SheetShift, ...]) -> str:
    return "<br/>".join(f"<b>{shift_title(sh)}</b> &#160; {shift_plan(sh)}" for sh in shifts)


def _worker_story(sheet: WorkerSheet, sheets: RunSheets, st: _Styles) -> list:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    page_w = A4[0] - 30 * mm
    left = [*_who(sheet, sheets, st), Spacer(1, 2 * mm),
            Paragraph(_shift_lines(sheet.shifts), st.base), Spacer(1, 3 * mm), _totals(sheet, st)]
    map_w, map_h = 88 * mm, 62 * mm
    drawing = route_drawing(sheet, width=map_w, height=map_h, font=st.regular, bold_font=st.bold)
    right_col = [drawing, Paragraph(map_caption(sheet), st.small)]
    header = Table([[left, right_col]], colWidths=[page_w - map_w - 2 * mm, map_w + 2 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [header, Spacer(1, 4 * mm), _visits_table(sheet, st)]


def _totals(sheet: WorkerSheet, st: _Styles):
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    totals = Table(
        [[Paragraph(label, st.base), Paragraph(value, st.big)] for label, value in (
            ("Visits", str(len(sheet.visits))), ("Contact time", minutes_text(sheet.contact_s)),
            ("Travel time", minutes_text(sheet.travel_s)),
            ("Paid time (home to home)", minutes_text(sheet.paid_s)),
            ("Mileage", miles_text(sheet.distance_m)))],
        colWidths=[46 * mm, 28 * mm], hAlign="LEFT")
    totals.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                                ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.black),
                                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                                ("LEFTPADDING", (0, 0), (-1, -1), 3)]))
    return totals


def _visits_table(sheet: WorkerSheet, st: _Styles):
    """The visits, shift by shift: a band per shift, breaks, and the way back home."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    rows: list[list] = [[Paragraph(c, st.head) for c in COLUMNS]]
    style: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.85, 0.85)),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5)]

    def line(markup: str, paragraph_style=st.base, shade: float | None = None) -> None:
        rows.append([Paragraph(markup, paragraph_style)] + [""] * (len(COLUMNS) - 1))
        style.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
        if shade is not None:
            style.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                          colors.Color(shade, shade, shade)))

    for sh in sheet.shifts:
        line(f"{shift_title(sh)} &#160;·&#160; {shift_plan(sh, back=False)}", st.shift, 0.93)
        if not sh.used:
            continue
        breaks = sorted(sh.breaks, key=lambda b: b.start_s)
        for v in sh.visits:
            while breaks and breaks[0].start_s <= v.start_s:
                b = breaks.pop(0)
                line(f"Break {format_hhmm(b.start_s)}, {minutes_text(b.duration_s)}")
            rows.append(_visit_row(v, st))
            if v.time_critical:  # shaded and boxed: it shows in black and white too
                r = len(rows) - 1
                style += [("BACKGROUND", (0, r), (-1, r), colors.Color(1, 0.93, 0.6)),
                          ("BOX", (0, r), (-1, r), 2, colors.black)]
        for b in breaks:
            line(f"Break {format_hhmm(b.start_s)}, {minutes_text(b.duration_s)}")
        line(back_home_text(sh))
    table = Table(rows, colWidths=[w * mm for w in COLUMN_MM], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _tasks_markup(tasks: tuple[str, ...], box: str = "") -> str:
    """Tasks one per line, each after a tick ``box``; at most :data:`TASKS_SHOWN`, :data:`TASKS_CHARS`."""
    if not tasks:
        return "–"
    shown: list[str] = []
    budget = TASKS_CHARS
    for task in tasks[:TASKS_SHOWN]:
        limit = min(TASK_CHARS, budget)
        if limit < 12 and shown:  # no room left for a useful line
            break
        shown.append((f"{box} " if box else "") + _pc(task, limit))
        budget -= min(len(task), limit)
    more = len(tasks) - len(shown)
    tail = [f"<i>+ {more} more task{'s' if more != 1 else ''}</i> {MORE}"] if more else []
    return "<br/>".join(shown + tail)


def _visit_row(v: SheetVisit, st: _Styles) -> list:
    from reportlab.platypus import Paragraph

    time_lines = [f"<b>{format_hhmm(v.start_s)}</b>–{format_hhmm(v.end_s)}",
                  minutes_text(v.duration_s)]
    critical = time_critical_text(v)
    if critical:
        time_lines.insert(0, f"<b>{critical}</b>")
    time_lines += [f"<font size=7>{note}</font>" for note in time_notes(v)]
    if v.priority != "normal":
        time_lines.append(f"<b>{pdf_text(v.priority.upper())}</b>")
    time_lines.append("<font size=7.5>" + " &#160;".join(f"{st.box} {t}" for t in TICKS)
                      + "</font>")
    client = (f"<b>{_pc(v.client_name, NAME_CHARS)}</b><br/>{_pc(v.address, ADDRESS_CHARS)}"
              f"<br/>{_pc(v.postcode, POSTCODE_CHARS)}")
    if v.phone:
        client += f"<br/>Tel {pdf_text(v.phone)}"
    if v.emergency_contact:
        client += f"<br/><font size=7.5>Emergency: {_pc(v.emergency_contact, CONTACT_CHARS)}</font>"
    access = "<br/>".join(part for part in (
        f"<b>{_pc(v.access, NOTES_CHARS)}</b>" if v.access else "",
        _pc(v.access_notes, NOTES_CHARS)) if part)
    double = ("<b>Double-up</b> with " + ", ".join(
        f"{_pc(name, NAME_CHARS)} ({_pc(w, ID_CHARS, MORE_SHORT)})" for w, name in v.partners)
              if v.partners else "–")
    first, second = leg_lines(v)
    travel = "<br/>".join(part for part in (first, second) if part) + (
        "<br/><font size=7>from home</font>" if v.from_home else "")
    return [Paragraph(f"<b>{v.seq}</b><br/><font size=6.5>{_pc(v.visit_id, ID_CHARS, MORE_SHORT)}</font>",
                      st.base),
            Paragraph("<br/>".join(time_lines), st.base),
            Paragraph(client, st.base),
            Paragraph(access or "–", st.base),
            Paragraph(_tasks_markup(v.tasks, st.box), st.base),
            Paragraph(double, st.base),
            Paragraph(travel, st.base)]


def _idle_story(idle: IdleWorker, sheets: RunSheets, st: _Styles) -> list:
    """The short page of a rostered worker with no visits."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    return [*_who(idle, sheets, st), Spacer(1, 6 * mm),
            Paragraph(f"<b>{pdf_text(idle_text(sheets.date_text))}</b>", st.sub),
            Spacer(1, 3 * mm), Paragraph(_shift_lines(idle.shifts), st.sub)]


def _overview_story(sheets: RunSheets, st: _Styles) -> list:
    """The first page(s): one row per rostered shift, and each provider's numbers."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    rows = sheets.overview
    story: list = [Paragraph(f"{OVERVIEW_TITLE}: {pdf_text(sheets.date_text)}", st.title),
                   Paragraph(f"{len({r.worker_id for r in rows})} workers, {len(rows)} rostered "
                             f"shifts, {sum(r.visits for r in rows)} visits, "
                             f"{sum(1 for r in rows if not r.visits)} shift(s) with no visits; "
                             "carer-hours are contact time.", st.sub)]
    offices = sorted({(p.provider_name, office_text(p)) for p in sheets.pages if office_text(p)})
    story += [Paragraph(f"<b>{_pc(name, NAME_CHARS)}</b>: {pdf_text(text)}", st.base)
              for name, text in offices]
    if not sheets.sheets:
        story.append(Paragraph(f"No visits were scheduled on {pdf_text(sheets.date_text)}.",
                               st.big))
    story.append(Spacer(1, 3 * mm))
    if not rows:
        return story
    # "Carer-hours" breaks after its hyphen to fit its narrow column
    table: list[list] = [[Paragraph(c.replace("-", "-<br/>"), st.head)
                          for c in OVERVIEW_COLUMNS]]
    style: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.85, 0.85)),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for r in rows:
        shift, leave, first, last, back, visits, hours = overview_cells(r)
        if r.first_area:
            first += f"<br/>{_pc(r.first_area, NAME_CHARS)}"
        table.append([Paragraph(f"<b>{_pc(r.worker_name, NAME_CHARS)}</b><br/>"
                                f"{_pc(r.worker_id, ID_CHARS, MORE_SHORT)}", st.small),
                      Paragraph(_pc(r.provider_name, NAME_CHARS), st.small),
                      Paragraph(pdf_text(r.phone) or "–", st.small),
                      *(Paragraph(c, st.small) for c in (shift, leave, first, last, back,
                                                         visits, hours))])
        if not r.visits:
            style.append(("BACKGROUND", (0, len(table) - 1), (-1, len(table) - 1),
                          colors.Color(0.93, 0.93, 0.93)))
    grid = Table(table, colWidths=[w * mm for w in OVERVIEW_MM], repeatRows=1)
    grid.setStyle(TableStyle(style))
    return [*story, grid]
