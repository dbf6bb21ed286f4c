"""The plan's coordinator reports: CSV files and a one-page printable HTML summary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import __version__
from ..capacity import (
    CapacityBand,
    CapacityReport,
    UnplacedBreakdown,
    capacity_exceptions,
    unplaced_breakdown,
)
from ..duplicates import DuplicatePair, Merge, find_duplicate_visits
from ..escape import html_text
from ..fairwork import RULES, FairWorkReport, fair_work_checks
from ..model import Day
from ..outputs import (
    write_capacity_csv,
    write_duplicates_csv,
    write_fair_work_csv,
    write_fair_work_workers_csv,
    write_idle_csv,
    write_merges_csv,
    write_priority_queue_csv,
    write_text,
    write_unplaced_breakdown_csv,
)
from ..rota import Rota, RotaSummary, summarise
from ..travel import DayTravel
from ..units import METRES_PER_MILE, format_carer_hours, format_hhmm, total_minutes, whole_minutes

#: Rows shown per table on the one-page report; the CSV files hold them all.
TOP = 8


@dataclass(frozen=True)
class PlanReports:
    """Everything the run report shows, computed once."""

    summary: RotaSummary
    duplicates: tuple[DuplicatePair, ...]
    merges: tuple[Merge, ...]
    unplaced: UnplacedBreakdown
    capacity: CapacityReport
    fair_work: FairWorkReport


def build_reports(day: Day, rota: Rota, travel: DayTravel | None, *,
                  duplicates: Sequence[DuplicatePair] | None = None,
                  merges: Iterable[Merge] = (),
                  pay: Mapping[str, Any] | None = None) -> PlanReports:
    """Compute every report of a plan (see :func:`write_plan_report` for the arguments)."""
    if duplicates is None:
        duplicates = find_duplicate_visits(day, travel=travel)
    return PlanReports(summary=summarise(rota, day), duplicates=tuple(duplicates),
                       merges=tuple(merges), unplaced=unplaced_breakdown(day, rota),
                       capacity=capacity_exceptions(day, rota),
                       fair_work=fair_work_checks(day, rota, **(pay or {})))


def write_plan_report(day: Day, rota: Rota, travel: DayTravel | None, out_dir: str | Path, *,
                      duplicates: Sequence[DuplicatePair] | None = None,
                      merges: Iterable[Merge] = (),
                      pay: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the coordinator's reports of a plan next to its rota.

    Writes ``duplicates.csv``, ``unplaced_breakdown.csv``, ``priority_queue.csv``,
    ``capacity.csv``, ``idle_time.csv``, ``fair_work.csv``, ``fair_work_workers.csv``,
    ``merges.csv`` (only when there were merges) and ``report.html``.

    Parameters
    ----------
    day : Day
        The day that was planned (after merging, in merge mode).
    rota : Rota
    travel : DayTravel or None
        The travel the plan used, for the travel a merge would save.
    out_dir : path
        Output folder; created when missing.
    duplicates : sequence of DuplicatePair, optional
        Pairs found before planning (pass them in merge mode: the merged day has none
        left to find); default: found on ``day`` with the default settings.
    merges : iterable of Merge
        Visits absorbed by ``merge_duplicates``, listed in the report and merges.csv.
    pay : mapping, optional
        The pay model for the fair-work reports, keyword arguments of
        :func:`carerounds.scheduler.fairwork.fair_work_checks` as
        :func:`carerounds.scheduler.fairwork.read_pay_model` reads them; default its defaults.

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = build_reports(day, rota, travel, duplicates=duplicates, merges=merges, pay=pay)
    written = [
        write_duplicates_csv(reports.duplicates, day, out_dir / "duplicates.csv"),
        write_unplaced_breakdown_csv(reports.unplaced, out_dir / "unplaced_breakdown.csv"),
        write_priority_queue_csv(reports.unplaced, out_dir / "priority_queue.csv"),
        write_capacity_csv(reports.capacity, out_dir / "capacity.csv"),
        write_idle_csv(reports.capacity, out_dir / "idle_time.csv"),
        write_fair_work_csv(reports.fair_work, out_dir / "fair_work.csv"),
        write_fair_work_workers_csv(reports.fair_work, out_dir / "fair_work_workers.csv"),
    ]
    if reports.merges:
        written.append(write_merges_csv(reports.merges, out_dir / "merges.csv"))
    written.append(write_text(out_dir / "report.html",
                              render_report_html(day, rota, reports, travel)))
    return written


# ---- HTML ---------------------------------------------------------------------------------

_e = html_text


def _h(seconds: int) -> str:
    return f"{seconds / 3600:.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, more: int = 0,
           where: str = "", numeric: Sequence[int] = ()) -> str:
    if not rows:
        return '<p class="none">None.</p>'
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{_e(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    tail = (f'<p class="more">and {more} more in {_e(where)}</p>' if more > 0 else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}"


def _kpi(label: str, value: str, note: str = "", *, alert: bool = False) -> str:
    return (f'<div class="kpi{" alert" if alert else ""}"><div class="v">{_e(value)}</div>'
            f'<div class="l">{_e(label)}</div><div class="s">{_e(note)}</div></div>')


def short_runs(bands: Sequence[CapacityBand]) -> list[tuple[str, int, int, int, int]]:
    """Consecutive short bands of one area joined, largest total first.

    Each run is (area, start_s, end_s, worst shortfall in carer-seconds, total shortfall
    in carer-seconds).
    """
    runs: list[list] = []
    for band in sorted((b for b in bands if b.short), key=lambda b: (b.area, b.start_s)):
        last = runs[-1] if runs else None
        if last and last[0] == band.area and last[2] == band.start_s:
            last[2] = band.end_s
            last[3] = max(last[3], -band.balance_s)
            last[4] += -band.balance_s
        else:
            runs.append([band.area, band.start_s, band.end_s, -band.balance_s, -band.balance_s])
    return sorted((tuple(r) for r in runs), key=lambda r: (-r[4], r[0], r[1]))


_CSS = """
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.3 "Segoe UI", Arial, Helvetica, sans-serif; color: #1a1a1a; margin: 1.2em;
       max-width: 1100px; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
h2 { font-size: 11.5pt; margin: .9em 0 .3em; border-bottom: 2px solid #2b5f8a; color: #2b5f8a; }
h3 { font-size: 10pt; margin: .5em 0 .2em; }
.meta { color: #555; font-size: 8.5pt; margin: 0; }
.kpis { display: grid; grid-template-columns: repeat(5, 1fr); gap: .4em; margin-top: .6em; }
.kpi { border: 1px solid #bbb; border-radius: 4px; padding: .3em .5em; }
.kpi .v { font-size: 14pt; font-weight: 600; }
.kpi .l { font-size: 8.5pt; }
.kpi .s { font-size: 7.5pt; color: #555; }
.kpi.alert { border-color: #b3261e; background: #fdecea; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.2em; }
.cols4 { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0 .8em; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #ddd; padding: 1px 4px; text-align: left; vertical-align: top; }
th { background: #eef3f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td { overflow-wrap: anywhere; }
.none, .more, .note { font-size: 8.5pt; color: #555; margin: .2em 0; }
section { break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { margin: 0; max-width: none; font-size: 7.5pt; line-height: 1.2; }
  h1 { font-size: 13pt; }
  h2 { font-size: 9.5pt; margin: .45em 0 .2em; }
  h3 { font-size: 8pt; margin: .3em 0 .1em; }
  table, .none, .more, .note, .meta { font-size: 7pt; }
  .kpi { padding: .15em .4em; }
  .kpi .v { font-size: 11pt; }
  .kpi .l, .kpi .s { font-size: 7pt; }
  .kpi.alert { background: none; border-width: 2px; }
  a { color: inherit; text-decoration: none; }
}
"""


def render_report_html(day: Day, rota: Rota, reports: PlanReports,
                       travel: DayTravel | None = None) -> str:
    """The one-page run report as a self-contained HTML document.

    Inline CSS, no scripts, no external resources; every piece of user text is
    HTML-escaped. Sections: key figures, unplaced care, duplicates and merges,
    capacity exceptions, fair work and continuity.
    """
    parts = [f"<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
             f"<title>Rota report {_e(rota.date.isoformat())}</title><style>{_CSS}</style>"
             f"</head><body>", _report_header(rota, travel), _kpis(reports),
             _unplaced_section(reports.unplaced), _duplicates_section(reports),
             _capacity_section(reports.capacity), _fair_work_section(reports.fair_work)]
    parts.append('<p class="meta">Details: duplicates.csv, unplaced.csv, unplaced_breakdown.csv, '
                 'priority_queue.csv, capacity.csv, idle_time.csv, fair_work.csv, '
                 'fair_work_workers.csv' + (", merges.csv" if reports.merges else "") +
                 ". Client names and addresses are left out of this page on purpose.</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _report_header(rota: Rota, travel: DayTravel | None) -> str:
    run = rota.run or {}
    travel_source = "; ".join(travel.describe().values()) if travel else \
        "; ".join(str(v) for v in (run.get("travel") or {}).values())
    return (f"<header><h1>Rota report for {_e(rota.date.strftime('%A %d %B %Y'))}</h1>"
            f"<p class=\"meta\">carerounds {_e(__version__)}; seed {_e(run.get('seed', ''))}, "
            f"time limit {_e(run.get('time_limit_s', ''))} s"
            f"{', pool mode' if run.get('pool') else ''}; travel: {_e(travel_source)}. "
            f"Hours are carer-hours (a double-up counts twice).</p></header>")


def _care_saved_min(dup: Sequence[DuplicatePair]) -> tuple[int, int | None]:
    """Carer-minutes a merge of the same-client pairs saves, and the travel minutes saved.

    Each is the sum of the pairs' figures as the table (and duplicates.csv) shows them,
    rounded once per pair (:func:`~carerounds.scheduler.units.total_minutes`); travel is
    ``None`` when no pair has an estimate.
    """
    care = total_minutes(p.care_saved_s for p in dup if p.match == "same_client")
    trips = [p.travel_saved_s for p in dup if p.travel_saved_s is not None]
    return care, (total_minutes(trips) if trips else None)


def _kpis(reports: PlanReports) -> str:
    s, dup, fw, cap, un = (reports.summary, reports.duplicates, reports.fair_work,
                           reports.capacity, reports.unplaced)
    care_min, travel_min = _care_saved_min(dup)
    runs = short_runs(cap.bands)
    idle_s = sum(i.length_s for i in cap.idle)
    share = fw.regular_share
    parts = ['<section class="kpis">']
    parts.append(_kpi("visits placed", f"{s.placed} of {s.visits}",
                      f"{s.workers_used} of {s.workers} workers used"))
    parts.append(_kpi("visits unplaced", str(s.unplaced),
                      f"{_h(s.unplaced_s)} h, {un.unplaced_packages} package(s)",
                      alert=s.unplaced > 0))
    parts.append(_kpi("contact hours", _h(s.contact_s)))
    parts.append(_kpi("travel hours", _h(s.travel_s), f"{s.distance_m / METRES_PER_MILE:.0f} miles"))
    parts.append(_kpi("duplicate pairs", str(len(dup)),
                      f"{format_carer_hours(care_min * 60)} of care" +
                      (f", ~{travel_min} min travel to save" if travel_min is not None
                       else " to save"),
                      alert=bool(dup)))
    parts.append(_kpi("capacity short", f"{len(runs)} period(s)",
                      f"{len(cap.exceptions)} half-hour bands", alert=bool(runs)))
    parts.append(_kpi("idle time to release", f"{idle_s / 3600:.1f} h",
                      f"{len(cap.idle)} stretch(es) of {cap.min_idle_s // 60}+ min"))
    parts.append(_kpi("fair-work flags", str(len(fw.flags)),
                      f"{len({f.worker_id for f in fw.flags if f.worker_id})} worker(s)",
                      alert=bool(fw.flags)))
    parts.append(_kpi("effective pay", "n/a" if fw.effective_p_per_h is None
                      else f"£{fw.effective_p_per_h / 100:.2f}/h",
                      f"living wage £{fw.living_wage_p / 100:.2f}/h",
                      alert=fw.effective_p_per_h is not None
                      and fw.effective_p_per_h < fw.living_wage_p))
    parts.append(_kpi("continuity", "n/a" if share is None else f"{share:.0%}",
                      "carer-visits by regular carers"))
    parts.append("</section>")
    return "".join(parts)


def _unplaced_section(un: UnplacedBreakdown) -> str:
    parts = ["<section><h2>Unplaced care</h2>"]
    if not un.unplaced_visits:
        parts.append('<p class="none">Every visit is placed.</p></section>')
        return "".join(parts)
    parts.append(f'<p class="note">{un.unplaced_visits} of {un.visits} visits '
                 f'({_h(un.unplaced_carer_s)} h) and {un.unplaced_packages} of {un.packages} '
                 f'packages unplaced; a package counts when any of its visits is.</p>'
                 '<div class="cols4">')
    titles = {"area": "By area", "service": "By service", "provider": "By provider",
              "time_band": "By time band"}
    for dimension, title in titles.items():
        groups = un.by(dimension)
        rows = [(g.key, g.visits, _h(g.carer_s), g.packages) for g in groups[:TOP]]
        parts.append(f"<div><h3>{title}</h3>"
                     + _table(("", "visits", "hours", "pkgs"), rows, numeric=(1, 2, 3),
                              more=len(groups) - TOP, where="unplaced_breakdown.csv")
                     + "</div>")
    parts.append("</div><h3>Priority queue (hospital discharge and critical first)</h3>")
    queue = [(q.rank, q.visit_id, q.client_id, q.service, q.area, q.priority,
              f"{format_hhmm(q.window_start_s)}-{format_hhmm(q.window_end_s)}",
              q.service_s // 60 * q.carers, q.reason) for q in un.queue[:TOP]]
    parts.append(_table(("#", "visit", "client", "service", "area", "priority", "window",
                         "carer-min", "why unplaced"), queue, numeric=(0, 7),
                        more=len(un.queue) - TOP, where="priority_queue.csv"))
    parts.append("</section>")
    return "".join(parts)


def _duplicates_section(reports: PlanReports) -> str:
    dup = reports.duplicates
    care_min, travel_min = _care_saved_min(dup)
    parts = ["<section><h2>Duplicate visits by different providers</h2>"]
    if dup:
        parts.append(f'<p class="note">{len(dup)} pair(s): '
                     f'{sum(1 for p in dup if p.match == "same_client")} at the same client, '
                     f'{sum(1 for p in dup if p.match == "same_household")} in the same household. '
                     f"Merging the same-client pairs would save {care_min} carer-min"
                     + (f"; the dropped trips about {travel_min} min of travel"
                        if travel_min is not None else "") + " (each pair rounded to the "
                     "minute, then added).</p>")
    rows = [(p.visit_a, p.visit_b, f"{p.provider_a or '-'} / {p.provider_b or '-'}",
             p.client_a if p.client_a == p.client_b else f"{p.client_a} / {p.client_b}",
             p.match.replace("_", " "),
             f"{p.overlap_s // 60} min overlap" if p.overlap_s else
             f"{p.gap_s // 60} min apart" if p.gap_s else "back to back",
             p.drop_visit, whole_minutes(p.care_saved_s),
             "" if p.travel_saved_s is None else whole_minutes(p.travel_saved_s))
            for p in dup[:TOP]]
    parts.append(_table(("visit a", "visit b", "providers", "client", "match", "timing", "drop",
                         "care min", "travel min"), rows, numeric=(7, 8), more=len(dup) - TOP,
                        where="duplicates.csv"))
    if reports.merges:
        parts.append(f"<h3>Merged in this plan ({len(reports.merges)})</h3>")
        merged = [(m.absorbed, m.kept, m.provider or "-", m.detail) for m in reports.merges[:TOP]]
        parts.append(_table(("absorbed", "into", "provider", "merged visit"), merged,
                            more=len(reports.merges) - TOP, where="merges.csv"))
    parts.append("</section>")
    return "".join(parts)


def _capacity_section(cap: CapacityReport) -> str:
    runs = short_runs(cap.bands)
    parts = ['<section><h2>Capacity exceptions</h2><div class="cols"><div>'
             "<h3>Demand above rostered capacity</h3>"]
    rows = [(area, f"{format_hhmm(a)}-{format_hhmm(b)}", worst // 60, total // 60)
            for area, a, b, worst, total in runs[:TOP]]
    parts.append(_table(("area", "period", "worst band short (carer-min)", "total short"),
                        rows, numeric=(2, 3), more=len(runs) - TOP, where="capacity.csv"))
    parts.append(f'<p class="note">Demand: every visit at its window start, double-ups twice; '
                 f'capacity: rostered shifts in {cap.band_s // 60}-min bands, each worker in '
                 f'the area of most of their visits.</p></div><div>'
                 f"<h3>Idle time that could be released</h3>")
    by_worker: dict[str, list] = {}
    for i in cap.idle:
        by_worker.setdefault(i.worker_id, []).append(i)
    ranked = sorted(by_worker.items(), key=lambda kv: (-sum(i.length_s for i in kv[1]), kv[0]))
    idle = [(w, items[0].provider_id, items[0].area,
             ", ".join(f"{format_hhmm(i.start_s)}-{format_hhmm(i.end_s)}" for i in items),
             sum(i.length_s for i in items) // 60) for w, items in ranked[:TOP]]
    parts.append(_table(("worker", "provider", "area", "idle", "min"), idle, numeric=(4,),
                        more=len(ranked) - TOP, where="idle_time.csv"))
    parts.append("</div></div></section>")
    return "".join(parts)


def _fair_work_section(fw: FairWorkReport) -> str:
    counts = fw.counts()
    share = fw.regular_share
    parts = ['<section><h2>Fair work and continuity</h2><div class="cols"><div>']
    checks = [(RULES[rule], n) for rule, n in counts.items()]
    parts.append(_table(("check", "flags"), checks, numeric=(1,)))
    paid = {"contact_and_travel": "contact and travel time", "contact": "contact time only",
            "contact_travel_and_waiting": "contact, travel and waiting time",
            "shift": "every rostered hour"}.get(fw.paid_time, fw.paid_time)
    parts.append(f'<p class="note">Pay £{fw.hourly_rate_p / 100:.2f}/h for {paid}; effective '
                 f'pay is over contact, travel and waiting hours.</p></div><div>')
    flagged = sorted({f.worker_id for f in fw.flags if f.worker_id},
                     key=lambda w: (-len(fw.flags_for(w)), w))
    rows = [(w, len(fw.flags_for(w)), "; ".join(sorted({f.rule.replace("_", " ")
                                                         for f in fw.flags_for(w)})))
            for w in flagged[:TOP]]
    parts.append("<h3>Workers with most flags</h3>")
    parts.append(_table(("worker", "flags", "checks"), rows, numeric=(1,),
                        more=len(flagged) - TOP, where="fair_work.csv"))
    clients = [c for c in fw.clients if c.slots]
    if clients:
        mean_today = sum(c.carers_today for c in clients) / len(clients)
        mean_window = sum(c.carers_window for c in clients) / len(clients)
        parts.append(f'<p class="note">Continuity: {"n/a" if share is None else f"{share:.0%}"} '
                     f"of carer-visits by the client's regular carers; on average "
                     f"{mean_today:.1f} carer(s) per client today and {mean_window:.1f} over "
                     f"the history window; {counts['low_continuity']} client(s) below half.</p>")
    parts.append("</div></div></section>")
    return "".join(parts)
