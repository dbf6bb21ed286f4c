"""What ``carerounds store`` shows and writes: dates, versions, runs, exports, recent history.

Each function returns plain text for the command line to print (or writes files and
says which); the argument parsing stays in :mod:`carerounds.scheduler.cli`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import InputError
from ..outputs import write_rota_csv, write_rota_json, write_unplaced_csv
from ..rota import Rota, check_rota_inputs
from ..units import format_hhmm
from .history import HISTORY_DAYS, HistoryVisit, latest_date, recent_visits, window
from .repository import RotaStore

if TYPE_CHECKING:
    from ..actuals import Call
    from ..model import Day

ACTIONS = ("dates", "versions", "runs", "export", "client", "worker")


def _open(url: str | Path) -> RotaStore:
    from . import open_store

    return open_store(url)


def show(url: str | Path, action: str, options: dict[str, Any]) -> str:
    """Run one ``carerounds store`` action on the store at ``url`` and return what to print.

    ``options`` holds the action's command-line options by name (``date``, ``version``,
    ``out``, ``inputs``, ``id``, ``days``, ``limit``).

    Raises
    ------
    InputError
        For an unknown action, a count under 1, or a rota the store does not have.
    """
    if action not in ACTIONS:
        raise InputError(f"unknown store action {action!r}; use one of {', '.join(ACTIONS)}")
    for name in ("days", "limit"):
        if options.get(name) is not None and options[name] < 1:
            raise InputError(f"must be at least 1, got {options[name]}", field=f"--{name}")
    with _open(url) as store:
        if action == "export":
            written, note = export(store, options["date"], options["out"],
                                   version=options.get("version"), inputs=options.get("inputs"))
            return "\n".join(["Wrote " + ", ".join(p.name for p in written)
                              + f" to {options['out']}"] + ([note] if note else []))
        if action == "dates":
            return show_dates(store)
        if action == "versions":
            return show_versions(store, options["date"])
        if action == "runs":
            return show_runs(store, limit=options.get("limit") or 20, plan_date=options.get("date"))
        view = show_client if action == "client" else show_worker
        return view(store, options["id"], end=options.get("date"),
                    days=options.get("days") or HISTORY_DAYS)


def rota_of(rota_file: str | Path | None, url: str | Path | None, plan_date: dt.date | None) -> Rota:
    """The rota of ``--rota FILE``, else the rota published for ``plan_date`` in the store.

    Raises
    ------
    InputError
        When neither is given, or the store has no published rota for the date.
    """
    from ..rota import read_rota

    if rota_file:
        return read_rota(rota_file)
    if not (url and plan_date):
        raise InputError("give --rota FILE, or --store URL with --date D for the rota "
                         "published for that date", field="--rota")
    with _open(url) as store:
        return store.rota(plan_date)


def record_calls(url: str | Path, rota: Rota, calls: Sequence[Call], day: Day | None) -> str:
    """Record call-monitoring records in the store for the rota's date; say what was done.

    Each call is stored with its client, found from the rota's stops, the inputs'
    visits (``day``) and the published rota of that date.
    """
    with _open(url) as store:
        clients = store.visit_clients(rota.date)
        clients.update({v.visit_id: v.client_id for v in (day.visits if day else ())})
        clients.update({s.visit_id: s.client_id for sh in rota.shifts for s in sh.stops})
        done = store.record_actuals(rota.date, calls, clients=clients)
    return (f"Store: {done.added} call(s) recorded for {rota.date.isoformat()}, "
            f"{done.updated} updated, {done.unchanged} already there")


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
    found = rota.run.get("inputs")
    recorded: dict = found if isinstance(found, dict) else {}
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
