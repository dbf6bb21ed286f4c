"""What ``carerounds store`` shows and writes: dates, versions, runs, exports, recent history.

Each function returns plain text for the command line to print (or writes files and
says which); the argument parsing stays in :mod:`carerounds.scheduler.cli`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ...errors import InputError
from ..rota import Rota, check_rota_inputs, write_rota_csv, write_rota_json, write_unplaced_csv
from ..units import format_hhmm
from .history import HISTORY_DAYS, HistoryVisit, latest_date, recent_visits, window
from .repository import RotaStore

ACTIONS = ("dates", "versions", "runs", "export", "client", "worker")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as aligned plain text under a header (``-`` for a missing value)."""
    cells = [[str(h) for h in header]] + [["-" if v is None else str(v) for v in row]
                                          for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)


def _when(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _span(start: int | None, end: int | None) -> str | None:
    if start is None:
        return None
    return format_hhmm(start) + ("" if end is None else "-" + format_hhmm(end))


def show_dates(store: RotaStore) -> str:
    """Every date with a rota: versions saved and the published one."""
    dates = store.dates()
    if not dates:
        return f"No rotas in {store.url} yet; plan with --store to add one"
    rows = [(d.plan_date, d.versions, p.version if p else None, p.label if p else None,
             _when(p.published_at) if p else None, p.visits_scheduled if p else None,
             p.visits_unplaced if p else None) for d in dates for p in [d.published]]
    return table(("date", "versions", "published", "label", "published_at", "scheduled",
                  "unplaced"), rows)


def show_versions(store: RotaStore, plan_date: dt.date) -> str:
    """Every version of a date's rota: who or what made it, when, and its state."""
    versions = store.versions(plan_date)
    if not versions:
        return f"No rota for {plan_date.isoformat()} in the store"
    rows = [(v.version, v.state, v.label, v.created_by, _when(v.created_at), v.run_id,
             v.visits_scheduled, v.visits_unplaced, v.visits_merged, v.violations)
            for v in versions]
    return table(("version", "state", "label", "by", "created_at", "run", "scheduled",
                  "unplaced", "merged", "violations"), rows)


def show_runs(store: RotaStore, *, limit: int = 20, plan_date: dt.date | None = None) -> str:
    """The newest runs: status, settings, history source and outcome counts."""
    runs = store.runs(limit=limit, plan_date=plan_date)
    if not runs:
        return "No runs recorded yet"
    rows = [(r.run_id, r.plan_date, r.status, r.label, r.user_name, _when(r.started_at),
             _when(r.finished_at), r.engine, r.seed, r.time_limit_s, r.history_source,
             r.visits_scheduled, r.visits_unplaced, (r.error or "")[:80] or None) for r in runs]
    return table(("run", "date", "status", "label", "by", "started", "finished", "engine",
                  "seed", "limit_s", "history", "scheduled", "unplaced", "error"), rows)


def export(store: RotaStore, plan_date: dt.date, out_dir: str | Path, *,
           version: int | None = None, inputs: str | Path | None = None) -> tuple[list[Path], str]:
    """Write a stored rota (published, or ``version``) as ``rota.json``, ``rota.csv``, ``unplaced.csv``.

    The CSV files name workers and clients, which the store does not keep (it holds
    ids, not personal details): they are written only with ``inputs``, the folder
    the rota was planned from. Returns the files written and a note for the user.

    Raises
    ------
    InputError
        When the store has no such rota, or the inputs do not match it.
    """
    from ..inputs import read_day

    rota = store.rota(plan_date, version)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_rota_json(rota, out / "rota.json")]
    if inputs is None:
        return written, "rota.csv and unplaced.csv need --inputs (the store keeps ids, not names)"
    day = read_day(inputs, date=rota.date)
    check_rota_inputs(day, rota, file=f"stored rota {plan_date.isoformat()}")
    written += [write_rota_csv(rota, day, out / "rota.csv"),
                write_unplaced_csv(rota, day, out / "unplaced.csv")]
    return written, _inputs_note(rota, day.sources)


def _inputs_note(rota: Rota, sources: Sequence) -> str:
    recorded = rota.run.get("inputs") if isinstance(rota.run.get("inputs"), dict) else {}
    differ = sorted(s.name for s in sources if s.name in recorded
                    and isinstance(recorded[s.name], dict)
                    and recorded[s.name].get("sha256") != s.sha256)
    if differ:
        return ("warning: " + ", ".join(differ) + " differ from the files the rota was planned "
                "from (SHA-256); names and windows come from the files given")
    return ""


def _end_date(store: RotaStore, end: dt.date | None) -> dt.date:
    found = end or latest_date(store.engine)
    if found is None:
        raise InputError("the store has no published rota or actuals yet; give --date",
                         field="--date")
    return found


def _history_rows(visits: Sequence[HistoryVisit], other: str) -> list[tuple]:
    return [(v.plan_date, v.visit_id, getattr(v, other), v.status, _span(v.start_s, v.end_s),
             _span(v.check_in_s, v.check_out_s), v.version) for v in visits]


def show_client(store: RotaStore, client_id: str, *, end: dt.date | None = None,
                days: int = HISTORY_DAYS) -> str:
    """A client's visits over the last ``days`` days: who came (planned and actual)."""
    last = _end_date(store, end)
    first, _ = window(last, days)
    visits = recent_visits(store.engine, end=last, days=days, client_id=client_id)
    head = (f"Client {client_id}, {first.isoformat()} to {last.isoformat()} ({days} days): "
            f"{len({(v.plan_date, v.visit_id) for v in visits})} visit(s) on "
            f"{len({v.plan_date for v in visits})} day(s)")
    if not visits:
        return head
    carers = Counter(v.worker_id for v in visits if v.worker_id)
    lines = [head, table(("date", "visit", "worker", "status", "planned", "actual", "version"),
                         _history_rows(visits, "worker_id")),
             "Carers: " + (", ".join(f"{w} {n} visit(s)" for w, n in carers.most_common())
                           or "none")]
    return "\n".join(lines)


def show_worker(store: RotaStore, worker_id: str, *, end: dt.date | None = None,
                days: int = HISTORY_DAYS) -> str:
    """A worker's visits over the last ``days`` days, with the clients seen most."""
    last = _end_date(store, end)
    first, _ = window(last, days)
    visits = recent_visits(store.engine, end=last, days=days, worker_id=worker_id)
    contact = sum((v.end_s or 0) - (v.start_s or 0) for v in visits if v.status == "scheduled")
    head = (f"Worker {worker_id}, {first.isoformat()} to {last.isoformat()} ({days} days): "
            f"{sum(v.status == 'scheduled' for v in visits)} planned visit(s) on "
            f"{len({v.plan_date for v in visits})} day(s), {contact / 3600:.1f} h planned contact")
    if not visits:
        return head
    clients = Counter(v.client_id for v in visits if v.client_id)
    return "\n".join([head, table(("date", "visit", "client", "status", "planned", "actual",
                                   "version"), _history_rows(visits, "client_id")),
                      "Clients: " + ", ".join(f"{c} {n} visit(s)"
                                              for c, n in clients.most_common())])
