"""Run sheets as one self-contained HTML page: inline CSS and SVG route sketches, no scripts.

The page prints every piece of input text whole (the PDF cuts very long text and points
here); long words and ids wrap at any character so no cell runs off the page.
"""

from __future__ import annotations

from ..escape import html_text
from ..units import format_hhmm
from .sheets_content import IdleWorker, RunSheets, SheetShift, SheetVisit, WorkerSheet
from .sheets_drawing import route_drawing
from .sheets_text import (
    COLUMN_MM,
    COLUMNS,
    CONFIDENTIAL,
    OVERVIEW_COLUMNS,
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

e = html_text

_HTML_CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:10pt;color:#000;margin:0 auto;
 max-width:190mm;padding:8mm;overflow-wrap:anywhere}
h1{font-size:18pt;margin:0 0 2mm}
.sub{font-size:11pt;margin:0 0 1mm}
.sheet{page-break-before:always;break-before:page;margin-bottom:10mm}
.sheet:first-of-type{page-break-before:auto;break-before:auto}
.head{display:flex;gap:4mm;justify-content:space-between}
.head>div:first-child{flex:1 1 auto;min-width:0}
.map{flex:0 0 88mm}.map svg{width:88mm;height:62mm;display:block}
.map p{font-size:8pt;margin:1mm 0}
table{border-collapse:collapse;width:100%}
table.visits{table-layout:fixed}
th,td{border:0.6pt solid #000;padding:1.5mm;vertical-align:top;text-align:left;
 overflow-wrap:anywhere}
th{background:#d9d9d9;font-size:9pt}
td{font-size:9pt}
table.totals{width:72mm;margin-top:3mm}
table.totals th{background:none;font-weight:normal;width:42mm}
table.totals td{font-weight:bold;font-size:11pt}
tr.band td{background:#eee;font-weight:bold}
tr.critical td{background:#ffed99;border-top:2pt solid #000;border-bottom:2pt solid #000}
.critical-mark{font-weight:bold;border:1.5pt solid #000;padding:0 1mm}
.overview td,.overview th{font-size:8.5pt}
.overview tr.unused td{background:#eee}
.idle .message{font-size:12pt;font-weight:bold;margin:6mm 0 3mm}
.small{font-size:8pt}
.confidential{font-weight:bold;border-top:0.6pt solid #000;margin-top:3mm;padding-top:1mm;
 font-size:8pt}
@page{size:A4;margin:12mm}
@media print{body{padding:0;max-width:none}.confidential.page{position:fixed;bottom:0;left:0;
 right:0;background:#fff}}
"""


def render_run_sheets_html(sheets: RunSheets) -> str:
    """The run sheets as one self-contained HTML page (inline CSS and SVG maps, no scripts).

    The coordinator's overview (every rostered shift) comes first, then one section
    per worker.

    Every piece of user text is HTML-escaped, and a Content-Security-Policy forbids
    scripts, so nothing in the inputs can run in a browser. Rostered workers without
    visits get a short section saying they are not needed.
    """
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; img-src data:\">",
           '<meta name="robots" content="noindex">',
           f"<title>Run sheets {sheets.date.isoformat()}</title>",
           f"<style>{_HTML_CSS}</style></head><body>",
           f'<div class="confidential page">{CONFIDENTIAL} · {e(sheets.date_text)}</div>']
    out.append(_overview_html(sheets))
    for index, page in enumerate(sheets.pages):
        if isinstance(page, WorkerSheet):
            out.append(_sheet_html(page, sheets, index))
        else:
            out.append(_idle_html(page, sheets))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _svg(sheet: WorkerSheet, index: int) -> str:
    """The route sketch as inline SVG with ids of its own (several share the page)."""
    from reportlab.graphics import renderSVG

    svg = renderSVG.drawToString(route_drawing(sheet, width=88 * 2.8346, height=62 * 2.8346))
    # Several SVGs share the page: give their ids their own names; use browser fonts.
    return (svg[svg.index("<svg"):]
            .replace('id="clip"', f'id="clip{index}"').replace("url(#clip)", f"url(#clip{index})")
            .replace('id="group"', f'id="group{index}"')
            .replace("font-family: Helvetica-Bold;", "font-family: Arial, sans-serif; "
                     "font-weight: bold;")
            .replace("font-family: Helvetica;", "font-family: Arial, sans-serif;"))


def _who(sheet: WorkerSheet | IdleWorker, sheets: RunSheets) -> str:
    phone = f" · {e(sheet.phone)}" if sheet.phone else ""
    office = office_text(sheet)
    return (f"<h1>{e(sheet.worker_name)}</h1>"
            f'<p class="sub">Worker {e(sheet.worker_id)}{phone} · {e(sheet.provider_name)}</p>'
            + (f'<p class="sub office"><b>{e(office)}</b></p>' if office else "")
            + f'<p class="sub"><b>{e(sheets.date_text)}</b> · {mode_text(sheet.travel_mode)}</p>')


def _shift_lines(shifts: tuple[SheetShift, ...]) -> str:
    return "<br>".join(f"<b>{shift_title(sh)}</b> &nbsp; {shift_plan(sh)}" for sh in shifts)


def _footer(sheet: WorkerSheet | IdleWorker, sheets: RunSheets) -> str:
    office = office_text(sheet)
    return (f'<p class="confidential">{CONFIDENTIAL} · {e(sheets.date_text)} · '
            f"{e(sheet.worker_name)}" + (f" · {e(office)}" if office else "") + "</p>")


def _sheet_html(sheet: WorkerSheet, sheets: RunSheets, index: int) -> str:
    cols = "".join(f'<col style="width:{w}mm">' for w in COLUMN_MM)
    heads = "".join(f"<th>{c}</th>" for c in COLUMNS)
    parts = [
        f'<section class="sheet" data-worker="{e(sheet.worker_id)}">'
        f'<div class="head"><div>{_who(sheet, sheets)}'
        f"<p>{_shift_lines(sheet.shifts)}</p>"
        '<table class="totals">'
        f"<tr><th>Visits</th><td>{len(sheet.visits)}</td></tr>"
        f"<tr><th>Contact time</th><td>{minutes_text(sheet.contact_s)}</td></tr>"
        f"<tr><th>Travel time</th><td>{minutes_text(sheet.travel_s)}</td></tr>"
        f"<tr><th>Paid time (home to home)</th><td>{minutes_text(sheet.paid_s)}</td></tr>"
        f"<tr><th>Mileage</th><td>{miles_text(sheet.distance_m)}</td></tr></table></div>"
        f'<div class="map">{_svg(sheet, index)}<p>{e(map_caption(sheet))}</p></div></div>'
        f'<table class="visits"><colgroup>{cols}</colgroup>'
        f"<thead><tr>{heads}</tr></thead><tbody>"]
    for sh in sheet.shifts:
        parts += _shift_rows(sh)
    parts.append(f"</tbody></table>{_footer(sheet, sheets)}</section>")
    return "".join(parts)


def _shift_rows(sh: SheetShift) -> list[str]:
    """A shift's band, its visits and breaks in time order, and the way back home."""
    span = len(COLUMNS)
    rows = [f'<tr class="band"><td colspan="{span}">{shift_title(sh)} · '
            f"{shift_plan(sh, back=False)}</td></tr>"]
    if not sh.used:
        return rows
    breaks = sorted(sh.breaks, key=lambda b: b.start_s)
    for v in sh.visits:
        while breaks and breaks[0].start_s <= v.start_s:
            b = breaks.pop(0)
            rows.append(f'<tr><td colspan="{span}">Break {format_hhmm(b.start_s)}, '
                        f"{minutes_text(b.duration_s)}</td></tr>")
        rows.append(_visit_row(v))
    for b in breaks:
        rows.append(f'<tr><td colspan="{span}">Break {format_hhmm(b.start_s)}, '
                    f"{minutes_text(b.duration_s)}</td></tr>")
    rows.append(f'<tr><td colspan="{span}">{back_home_text(sh)}</td></tr>')
    return rows


def _visit_row(v: SheetVisit) -> str:
    time_lines = [f"<b>{format_hhmm(v.start_s)}</b>–{format_hhmm(v.end_s)}",
                  minutes_text(v.duration_s)]
    critical = time_critical_text(v)
    if critical:
        time_lines.insert(0, f'<span class="critical-mark">{critical}</span>')
    time_lines += [f'<span class="small">{note}</span>' for note in time_notes(v)]
    if v.priority != "normal":
        time_lines.append(f"<b>{e(v.priority.upper())}</b>")
    client = f"<b>{e(v.client_name)}</b><br>{e(v.address)}<br>{e(v.postcode)}"
    if v.phone:
        client += f"<br>Tel {e(v.phone)}"
    if v.emergency_contact:
        client += f'<br><span class="small">Emergency: {e(v.emergency_contact)}</span>'
    access = "<br>".join(part for part in (f"<b>{e(v.access)}</b>" if v.access else "",
                                           e(v.access_notes)) if part)
    double = ("<b>Double-up</b> with " + ", ".join(f"{e(name)} ({e(w)})" for w, name in v.partners)
              if v.partners else "–")
    first, second = leg_lines(v)
    travel = "<br>".join(part for part in (first, second) if part) + (
        '<br><span class="small">from home</span>' if v.from_home else "")
    marked = ' class="critical"' if v.time_critical else ""
    return (f'<tr data-visit="{e(v.visit_id)}"{marked}><td><b>{v.seq}</b><br>'
            f'<span class="small">{e(v.visit_id)}</span></td>'
            f"<td>{'<br>'.join(time_lines)}</td>"
            f"<td>{client}</td>"
            f"<td>{access or '–'}</td>"
            f"<td>{'<br>'.join(e(t) for t in v.tasks) or '–'}</td>"
            f"<td>{double}</td><td>{travel}</td></tr>")


def _idle_html(idle: IdleWorker, sheets: RunSheets) -> str:
    return (f'<section class="sheet idle" data-worker="{e(idle.worker_id)}">{_who(idle, sheets)}'
            f'<p class="message">{e(idle_text(sheets.date_text))}</p>'
            f"<p>{_shift_lines(idle.shifts)}</p>{_footer(idle, sheets)}</section>")


def _overview_html(sheets: RunSheets) -> str:
    """The coordinator's overview: one row per rostered shift, and each provider's numbers."""
    rows = sheets.overview
    offices = sorted({(p.provider_name, office_text(p)) for p in sheets.pages if office_text(p)})
    parts = [f'<section class="sheet overview"><h1>Coordinator\'s overview: '
             f"{e(sheets.date_text)}</h1>"
             f'<p class="sub">{len({r.worker_id for r in rows})} workers, {len(rows)} rostered '
             f"shifts, {sum(r.visits for r in rows)} visits, "
             f"{sum(1 for r in rows if not r.visits)} shift(s) with no visits; carer-hours "
             "are contact time.</p>"]
    parts += [f"<p><b>{e(name)}</b>: {e(text)}</p>" for name, text in offices]
    if not sheets.sheets:
        parts.append(f"<h2>No visits were scheduled on {e(sheets.date_text)}.</h2>")
    if rows:
        parts.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in OVERVIEW_COLUMNS)
                     + "</tr></thead><tbody>")
        for r in rows:
            shift, leave, first, last, back, visits, hours = overview_cells(r)
            if r.first_area:
                first += f"<br>{e(r.first_area)}"
            parts.append(
                f'<tr data-worker="{e(r.worker_id)}" data-shift="{r.shift}"'
                + (' class="unused"' if not r.visits else "")
                + f"><td><b>{e(r.worker_name)}</b><br>{e(r.worker_id)}</td>"
                f"<td>{e(r.provider_name)}</td><td>{e(r.phone) or '–'}</td>"
                + "".join(f"<td>{c}</td>" for c in (shift, leave, first, last, back, visits,
                                                    hours)) + "</tr>")
        parts.append("</tbody></table>")
    parts.append(f'<p class="confidential">{CONFIDENTIAL} · {e(sheets.date_text)}</p></section>')
    return "".join(parts)
