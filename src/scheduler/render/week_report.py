"""The week's files: each day's usual outputs, the week's CSV files and ``week_report.html``.

:func:`write_week` writes one folder per date with what ``carerounds plan`` writes for a
day (:func:`carerounds.scheduler.render.write_plan`), then ``week_clients.csv``,
``week_workers.csv``, ``week_unplaced.csv``, ``week.json`` (the week's headline figures,
with the seven independent days beside them) and the week page. The page is one
self-contained HTML document: inline CSS and inline SVG charts, no scripts, every piece
of input text escaped with :func:`carerounds.scheduler.escape.html_text`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ... import __version__
from ..escape import html_text
from ..week import WeekPlan
from ..week_stats import (
    TARGET_CARERS,
    WeekStats,
    council_unplaced_rows,
    week_stats,
    write_week_clients_csv,
    write_week_unplaced_csv,
    write_week_workers_csv,
)
from .report import _CSS, _kpi, _table

_e = html_text
#: Rows shown per table on the page; the CSV files hold them all.
TOP = 12
_WEEK_CSS = _CSS + """
.kpis { grid-template-columns: repeat(4, 1fr); }
svg { max-width: 100%; height: auto; }
svg text { font: 9px "Segoe UI", Arial, sans-serif; fill: #1a1a1a; }
.legend { font-size: 8.5pt; color: #555; }
.sw { display: inline-block; width: .8em; height: .8em; margin: 0 .25em 0 .8em; }
"""
_WEEK_COLOUR, _BASE_COLOUR = "#2b5f8a", "#c9a227"


def stats_of(plan: WeekPlan) -> tuple[WeekStats, WeekStats | None]:
    """The week's figures and those of its seven independent days (``None`` without)."""
    options = plan.options
    kwargs = {"tolerance_s": options.tolerance_s, "max_week_s": options.rules.max_week_s,
              "rest_s": options.rules.rest_s}
    week = week_stats(plan.week, plan.rotas, **kwargs)
    base = week_stats(plan.week, plan.baseline, **kwargs) if plan.baseline else None
    return week, base


def headline(stats: WeekStats) -> dict:
    """The figures ``week.json`` and the terminal give for seven rotas."""
    hit, contracts = stats.contracts
    return {
        "visits": stats.visits, "placed": stats.placed, "unplaced": stats.visits - stats.placed,
        "travel_h": round(stats.travel_s / 3600, 2), "distance_km": round(stats.distance_m / 1000, 1),
        "median_top3_share": None if stats.median_top_share is None
        else round(stats.median_top_share, 4),
        "median_carers": stats.median_carers, "clients": len(stats.clients),
        "clients_within_3_carers": stats.clients_within_target,
        "regular_share": None if stats.regular_share is None else round(stats.regular_share, 4),
        "recurring_on_time_share": None if stats.on_time_share is None
        else round(stats.on_time_share, 4),
        "workers_over_weekly_limit": len(stats.over_limit),
        "workers_short_rest": len(stats.short_rest),
        "contracts_met": hit, "contracts": contracts,
    }


def write_week(plan: WeekPlan, out_dir: str | Path, *,
               skipped: list[str] | None = None) -> list[Path]:
    """Write every file of a planned week into ``out_dir``.

    Parameters
    ----------
    plan : WeekPlan
    out_dir : str or Path
        Created if missing; each day goes to ``out_dir/YYYY-MM-DD/``.
    skipped : list of str, optional
        Receives a line per optional part not written (as :func:`write_plan`).

    Returns
    -------
    list of Path
        The week's own files, then every day's.
    """
    from . import write_plan

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    days: list[Path] = []
    for result in plan.days:
        days += write_plan(result, out / result.rota.date.isoformat(), skipped=notes)
    if skipped is not None:
        skipped.extend(sorted(set(notes)))
    stats, base = stats_of(plan)
    written = [write_week_clients_csv(stats, plan.week, out / "week_clients.csv"),
               write_week_workers_csv(stats, plan.week, out / "week_workers.csv"),
               write_week_unplaced_csv(stats, out / "week_unplaced.csv")]
    record = {"format": "carerounds.week/1", "start": plan.week.start.isoformat(),
              "dates": [d.isoformat() for d in plan.week.dates],
              "options": plan.options.describe(), "week": headline(stats),
              "independent_days": headline(base) if base else None}
    path = out / "week.json"
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    written.append(path)
    page = out / "week_report.html"
    page.write_text(render_week_html(plan, stats, base), encoding="utf-8")
    written.append(page)
    return written + days


# ---- the page ---------------------------------------------------------------------------------


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _bars(groups: Sequence[tuple[str, Sequence[float]]], *, unit: str, title: str) -> str:
    """Grouped vertical bars as inline SVG: one group per label, one bar per series."""
    width, height, left, bottom = 640, 190, 34, 26
    top = max((v for _, values in groups for v in values), default=0) or 1
    slot = (width - left) / max(1, len(groups))
    series = max((len(values) for _, values in groups), default=1)
    bar = slot * 0.8 / series
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">']
    for k in range(5):
        y = height - bottom - (height - bottom - 10) * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">'
                     f"{top * k / 4:.0f}</text>")
    for g, (label, values) in enumerate(groups):
        x0 = left + g * slot + slot * 0.1
        for s, value in enumerate(values):
            h = (height - bottom - 10) * value / top
            colour = _WEEK_COLOUR if s == 0 else _BASE_COLOUR
            parts.append(f'<rect x="{x0 + s * bar:.1f}" y="{height - bottom - h:.1f}" '
                         f'width="{bar - 1:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{_e(label)}: {value:.1f} {_e(unit)}</title></rect>")
        parts.append(f'<text x="{x0 + slot * 0.4:.1f}" y="{height - bottom + 12}" '
                     f'text-anchor="middle">{_e(label)}</text>')
    parts.append(f'<text x="2" y="9">{_e(unit)}</text></svg>')
    return "".join(parts)


def _legend(base: bool) -> str:
    week = f'<span class="sw" style="background:{_WEEK_COLOUR}"></span>planned as a week'
    other = (f'<span class="sw" style="background:{_BASE_COLOUR}"></span>seven independent '
             "days" if base else "")
    return f'<p class="legend">{week}{other}</p>'


def _share_groups(stats: WeekStats, base: WeekStats | None) -> list[tuple[str, list[float]]]:
    edges = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
    labels = ("<50%", "50-59%", "60-69%", "70-79%", "80-89%", "90-100%")

    def count(s: WeekStats) -> list[int]:
        shares = [c.top_share for c in s.clients if c.top_share is not None]
        return [sum(1 for x in shares if lo <= x < hi) for lo, hi in zip(edges, edges[1:])]

    ours = count(stats)
    theirs = count(base) if base else None
    return [(lab, [float(ours[k])] + ([float(theirs[k])] if theirs else []))
            for k, lab in enumerate(labels)]


def _day_groups(plan: WeekPlan) -> list[tuple[str, list[float]]]:
    out = []
    for k, result in enumerate(plan.days):
        values = [sum(sh.travel_s for sh in result.rota.shifts if sh.stops) / 3600]
        if plan.baseline:
            values.append(sum(sh.travel_s for sh in plan.baseline[k].shifts if sh.stops) / 3600)
        out.append((result.rota.date.strftime("%a %d"), values))
    return out


def _kpis(stats: WeekStats, base: WeekStats | None) -> str:
    def vs(mine: float, other: float | None, fmt: str) -> str:
        return "" if other is None else f"seven independent days: {fmt.format(other)}"

    travel_note = ""
    if base and base.travel_s:
        travel_note = (f"{stats.travel_s / base.travel_s - 1:+.1%} against seven independent "
                       f"days ({base.travel_s / 3600:.1f} h)")
    hit, contracts = stats.contracts
    rules_broken = len(stats.over_limit) + len(stats.short_rest)
    return '<div class="kpis">' + "".join((
        _kpi("median client: visits by their 3 most frequent carers",
             _pct(stats.median_top_share),
             vs(0, base.median_top_share if base else None, "{:.0%}")),
        _kpi("travel over the week", f"{stats.travel_s / 3600:.1f} h", travel_note),
        _kpi("visits placed", f"{stats.placed} of {stats.visits}",
             vs(0, base.placed if base else None, "{}") if base else "",
             alert=stats.placed < stats.visits),
        _kpi("weekly rules broken (hours, rest)", str(rules_broken),
             f"{len(stats.over_limit)} over the weekly limit, {len(stats.short_rest)} short rest",
             alert=bool(rules_broken)),
        _kpi(f"clients seen by {TARGET_CARERS} carers or fewer",
             f"{stats.clients_within_target} of {len(stats.clients)}",
             f"median {stats.median_carers} carers"),
        _kpi("recurring visits always on time", _pct(stats.on_time_share),
             f"every start within {stats.tolerance_s // 60} min of the usual"),
        _kpi("contracted hours met", f"{hit} of {contracts}", "workers with a contract"),
        _kpi("visits by regular carers (history)", _pct(stats.regular_share),
             vs(0, base.regular_share if base else None, "{:.0%}")),
    )) + "</div>"


def render_week_html(plan: WeekPlan, stats: WeekStats, base: WeekStats | None) -> str:
    """The week page as one self-contained HTML document."""
    week = plan.week
    first, last = week.dates[0], week.dates[-1]
    parts = [f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
             f"<title>Week rota {_e(first.isoformat())}</title><style>{_WEEK_CSS}</style>"
             f"</head><body><header><h1>Care week {_e(first.strftime('%d %B'))} to "
             f"{_e(last.strftime('%d %B %Y'))}</h1><p class=\"meta\">carerounds "
             f"{_e(__version__)}; {plan.options.rounds} round(s); continuity weight "
             f"{plan.options.continuity}; weekly limit "
             f"{plan.options.rules.max_week_s / 3600:g} h; rest "
             f"{plan.options.rules.rest_s / 3600:g} h. Each day's rota, report, run sheets "
             "and maps are in its own folder.</p></header>", _kpis(stats, base)]
    parts.append("<section><h2>Continuity: clients by share of visits by their three most "
                 "frequent carers</h2>" + _bars(_share_groups(stats, base), unit="clients",
                                                title="clients by continuity")
                 + _legend(base is not None) + "</section>")
    parts.append("<section><h2>Travel by day</h2>" + _bars(_day_groups(plan), unit="hours",
                                                          title="travel hours by day")
                 + _legend(base is not None) + "</section>")
    parts.append(_days_table(plan))
    parts.append(_clients_section(stats, plan))
    parts.append(_workers_section(stats, plan))
    parts.append(_unplaced_section(stats, base))
    parts.append('<p class="meta">Details: week_clients.csv, week_workers.csv, '
                 "week_unplaced.csv, week.json and each day's folder.</p></body></html>\n")
    return "".join(parts)


def _days_table(plan: WeekPlan) -> str:
    rows = []
    for k, result in enumerate(plan.days):
        rota = result.rota
        base = plan.baseline[k] if plan.baseline else None
        rows.append((rota.date.strftime("%a %d %b"), len(rota.outcomes), len(rota.scheduled),
                     len(rota.unplaced),
                     f"{sum(sh.travel_s for sh in rota.shifts if sh.stops) / 3600:.1f}",
                     "" if base is None else len(base.unplaced),
                     "" if base is None else
                     f"{sum(sh.travel_s for sh in base.shifts if sh.stops) / 3600:.1f}",
                     len({sh.worker_id for sh in rota.shifts if sh.stops})))
    return ("<section><h2>Days</h2>" + _table(
        ("date", "visits", "placed", "unplaced", "travel h", "unplaced (independent)",
         "travel h (independent)", "workers"), rows, numeric=(1, 2, 3, 4, 5, 6, 7))
        + "</section>")


def _clients_section(stats: WeekStats, plan: WeekPlan) -> str:
    low = sorted((c for c in stats.clients if c.top_share is not None),
                 key=lambda c: (c.top_share, c.client_id))
    rows = [(c.client_id, plan.week.client_by_id[c.client_id].area, c.carer_visits, c.distinct,
             _pct(c.top_share), f"{c.spread_s // 60} min") for c in low[:TOP]]
    return ("<section><h2>Clients with the least continuity</h2>"
            + _table(("client", "area", "carer-visits", "carers", "by top 3", "start spread"),
                     rows, numeric=(2, 3), more=len(low) - TOP, where="week_clients.csv")
            + "</section>")


def _workers_section(stats: WeekStats, plan: WeekPlan) -> str:
    def row(w):
        return (w.worker_id, w.days_worked, f"{w.worked_s / 3600:.1f}",
                "" if w.contract_s is None else f"{w.contract_s / 3600:.1f}",
                f"{w.limit_s / 3600:g}",
                "" if w.min_rest_s is None else f"{w.min_rest_s / 3600:.1f}")

    short = [w for w in stats.workers if w.contract_met is False]
    short.sort(key=lambda w: (w.worked_s - (w.contract_s or 0), w.worker_id))
    headers = ("worker", "days worked", "hours", "contract h", "limit h", "least rest h")
    broken = list(stats.over_limit) + list(stats.short_rest)
    return ("<section><h2>Workers</h2><div class=\"cols\"><div><h3>Weekly limit or rest "
            "broken</h3>" + _table(headers, [row(w) for w in broken], numeric=(1, 2, 3, 4, 5))
            + "</div><div><h3>Furthest below contracted hours</h3>"
            + _table(headers, [row(w) for w in short[:TOP]], numeric=(1, 2, 3, 4, 5),
                     more=len(short) - TOP, where="week_workers.csv")
            + "</div></div></section>")


def _unplaced_section(stats: WeekStats, base: WeekStats | None) -> str:
    rows = [(area, service, packages, visits, f"{seconds / 3600:.1f}")
            for area, service, packages, visits, seconds in council_unplaced_rows(stats)]

    def by_area(s: WeekStats) -> dict[str, float]:
        hours: dict[str, float] = {}
        for area, _, _, _, seconds in s.unplaced:
            hours[area] = hours.get(area, 0.0) + seconds / 3600
        return hours

    ours, theirs = by_area(stats), by_area(base) if base else None
    groups = [(area, [ours[area]] + ([theirs.get(area, 0.0)] if theirs is not None else []))
              for area in sorted(ours)]
    return ("<section><h2>Unplaced packages by area and service (hours a week)</h2>"
            + _bars(groups, unit="unplaced hours", title="unplaced hours a week by area")
            + _legend(base is not None)
            + _table(("area", "service", "packages", "visits", "hours a week"), rows,
                     numeric=(2, 3, 4)) + "</section>")
