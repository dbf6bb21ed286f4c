"""Printable run sheets: one section per care worker, as an A4 PDF and as HTML.

The parts live in their own modules and are importable from here as before:
:mod:`.sheets_content` (what a sheet says), :mod:`.sheets_text` (its wording),
:mod:`.sheets_drawing` (the route sketch), :mod:`.sheets_pdf` and :mod:`.sheets_html`.
"""

from __future__ import annotations

from pathlib import Path

from ..model import Day
from ..rota import Rota, check_rota_inputs
from ..travel import DayTravel
from .sheets_content import (
    ACCESS_REDACTED,
    LONG_WAIT_S,
    IdleWorker,
    OverviewRow,
    RunSheets,
    SheetShift,
    SheetVisit,
    WorkerSheet,
    render_run_sheets,
)
from .sheets_drawing import route_drawing
from .sheets_html import render_run_sheets_html
from .sheets_pdf import pdf_fonts, render_run_sheets_pdf
from .sheets_text import CONFIDENTIAL

__all__ = ["ACCESS_REDACTED", "CONFIDENTIAL", "LONG_WAIT_S", "IdleWorker", "OverviewRow",
           "RunSheets", "SheetShift", "SheetVisit",
           "WorkerSheet", "check_rota_inputs", "pdf_fonts", "render_run_sheets",
           "render_run_sheets_html", "render_run_sheets_pdf", "route_drawing",
           "write_run_sheets"]


def write_run_sheets(day: Day, rota: Rota, out_dir: str | Path, *,
                     travel: DayTravel | None = None, redact_access: bool = False) -> list[Path]:
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
    redact_access : bool, default False
        Print "key safe: ask the office" instead of access details and codes
        (see :func:`render_run_sheets`).

    Returns
    -------
    list of Path
        ``[run_sheets.pdf, run_sheets.html]``.

    Raises
    ------
    InputError
        When the rota does not match the inputs.
    """
    sheets = render_run_sheets(day, rota, travel=travel, redact_access=redact_access)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = out_dir / "run_sheets.pdf"
    pdf.write_bytes(render_run_sheets_pdf(sheets))
    page = out_dir / "run_sheets.html"
    page.write_text(render_run_sheets_html(sheets), encoding="utf-8")
    return [pdf, page]
