"""The text of the interactive map: popups and the key, as HTML with input text escaped."""

from __future__ import annotations

from ..escape import html_text
from ..model import Day
from ..rota import PlannedShift, PlannedStop, Rota
from ..units import format_hhmm, format_miles


def stop_popup(day: Day, stop: PlannedStop, seq: int, worker_label: str) -> str:
    """A visit's popup: planned time and window, client, address, visit, double-up, carer.

    ``worker_label`` is already HTML (escaped by the caller).
    """
    visit = day.visit_by_id[stop.visit_id]
    client = day.client_by_id[stop.client_id]
    lines = [f"<b>{seq}. {format_hhmm(stop.start_s)}&ndash;{format_hhmm(stop.end_s)}</b> "
             f"(window {format_hhmm(visit.window_start_s)}&ndash;"
             f"{format_hhmm(visit.window_end_s)}"
             + (f", arrive {format_hhmm(stop.arrival_s)}"
                if 60 <= stop.start_s - stop.arrival_s <= 3600 else "") + ")",
             f"<b>{html_text(client.name)}</b>",
             f"{html_text(client.address)}, {html_text(client.postcode)}",
             f"Visit {html_text(visit.visit_id)} &middot; {(stop.end_s - stop.start_s) // 60} min "
             f"&middot; {html_text(visit.service.replace('_', ' '))}"]
    if stop.partner:
        partner = day.worker_by_id.get(stop.partner)
        name = partner.name if partner else ""
        lines.append(f"Double-up with {html_text(name)} ({html_text(stop.partner)})")
    lines.append(f"Carer: {worker_label}")
    return '<div class="cr-popup">' + "<br>".join(lines) + "</div>"


def worker_popup(day: Day, worker_id: str, shifts: list[PlannedShift]) -> str:
    """A worker's popup: name, provider, and each shift's visits, times, travel and miles.

    "leave home by" is the latest departure that reaches the shift's first visit on time,
    as the run sheet prints it.
    """
    worker = day.worker_by_id[worker_id]
    provider = day.provider_by_id.get(shifts[0].provider_id)
    lines = [f"<b>{html_text(worker.name)}</b> ({html_text(worker_id)})",
             html_text(provider.name if provider else shifts[0].provider_id)]
    for sh in shifts:
        visits = f"{len(sh.stops)} visit{'s' if len(sh.stops) != 1 else ''}"
        # as on the run sheet: the latest departure that reaches the first visit on time
        leave_by = sh.stops[0].start_s - sh.stops[0].travel_s if sh.stops else sh.leave_s
        lines.append(
            f"Shift {format_hhmm(sh.shift_start_s)}&ndash;{format_hhmm(sh.shift_end_s)}: "
            f"{visits}, leave home by {format_hhmm(leave_by)}, back "
            f"{format_hhmm(sh.return_s)}, travel {sh.travel_s // 60} min, "
            f"{format_miles(sh.distance_m)}")
    return '<div class="cr-popup">' + "<br>".join(lines) + "</div>"


def unplaced_popup(day: Day, visit_id: str, reason: str | None) -> str:
    """An unplaced visit's popup: window, length, carers, priority, client and the reason."""
    visit = day.visit_by_id[visit_id]
    client = day.client_by_id[visit.client_id]
    lines = [f"<b>Unplaced visit {html_text(visit_id)}</b>",
             f"Window {format_hhmm(visit.window_start_s)}&ndash;{format_hhmm(visit.window_end_s)}"
             f", {visit.service_s // 60} min" + (", 2 carers" if visit.carers > 1 else "")
             + f", {html_text(visit.priority)} priority",
             f"<b>{html_text(client.name)}</b>, {html_text(client.postcode)}",
             f"Reason: {html_text(reason or 'not given')}"]
    return '<div class="cr-popup">' + "<br>".join(lines) + "</div>"


def duplicate_popup(day: Day, rota: Rota, a: str, b: str, reason: str) -> str:
    """A possible duplicate pair's popup: both visits, by whom and when, and why."""
    outcomes = {o.visit_id: o for o in rota.outcomes}
    parts = []
    for visit_id in (a, b):
        visit = day.visit_by_id[visit_id]
        o = outcomes.get(visit_id)
        provider = (o.provider_id if o and o.provider_id else visit.provider_id) or "no provider"
        when = (f"{format_hhmm(o.start_s)}" if o is not None and o.start_s is not None
                else f"window {format_hhmm(visit.window_start_s)}")
        who = ", ".join(day.worker_by_id[w].name for w in (o.workers if o else ())
                        if w in day.worker_by_id)
        parts.append(f"{html_text(visit_id)}: {html_text(provider)} at {when}"
                     + (f" ({html_text(who)})" if who else ""))
    clients = {day.visit_by_id[v].client_id for v in (a, b)}
    names = "; ".join(f"{html_text(day.client_by_id[c].name)}, {html_text(day.client_by_id[c].postcode)}"
                      for c in sorted(clients))
    return ('<div class="cr-popup"><b>Possible duplicate visits</b><br>'
            f"{names}<br>" + "<br>".join(parts)
            + (f"<br><i>{html_text(reason)}</i>" if reason else "") + "</div>")


def legend_html(day: Day, *, area: str | None, workers: int, visits: int, unplaced: int,
                duplicates: int, on_roads: bool, crowded: bool = False, visiting: int = 0) -> str:
    """The map's key: title, counts and symbols, in a ``<details>`` box that folds away.

    ``visits`` counts the placed visits shown (on an area map, those in the area);
    ``visiting`` the workers on an area map who are assigned to another area.
    """
    title = f"Rota for {day.date:%A} {day.date.day} {day.date:%B %Y}"
    summary = f"<b>{html_text(title)}</b>" + (f" &middot; {html_text(area)}" if area else "")
    where = " here" if area else ""
    lines = [f"{workers} workers, {visits} visits placed{where}, {unplaced} unplaced"
             + (f", {duplicates} possible duplicates" if duplicates else ""),
             '<span class="sym" style="display:inline-block;width:22px;border-top:4px solid '
             '#1f77b4"></span>a worker\'s round' + (" (along the roads)" if on_roads else
                                                    " (straight lines: estimated travel)"),
             '<span class="sym cr-home" style="border-color:#1f77b4;width:16px;height:16px;'
             'line-height:11px">H</span>worker\'s home '
             '<span class="sym cr-stop" style="border-color:#1f77b4;width:18px;height:18px;'
             'line-height:13px">1</span>visit in order']
    if visiting:
        lines.append(f"{visiting} of the workers are based in other areas: their whole "
                     "rounds are shown")
    if unplaced:
        lines.append('<span class="sym cr-unplaced" style="width:14px;height:14px;margin:0 8px '
                     '0 3px"></span>unplaced visit')
    if duplicates:
        lines.append('<span class="sym cr-duplicate" style="width:18px;height:18px;border-width:'
                     '2px"></span>possible duplicate visits')
    if crowded:
        lines.append("Zoom in to see homes and visit numbers")
    lines.append("<i>Confidential: personal data</i>")
    return f"<details open><summary>{summary}</summary>" + "<br>".join(lines) + "</details>"
