"""Who saw whom: continuity history and a client's or worker's recent visits, from the store.

For each date of the window the published rota counts, unless call-monitoring actuals
were recorded for that date: then the carers who actually called count instead.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from . import schema as t

#: The continuity window: this many days before the plan date.
HISTORY_DAYS = 28


@dataclass(frozen=True)
class StoreHistory:
    """Past visits per client and worker over a window, and the dates they came from.

    ``counts`` maps client id to {worker id: visits} like ``Day.history``;
    ``actual_dates`` are the dates counted from actuals rather than the rota.
    """

    counts: Mapping[str, Mapping[str, int]]
    dates: tuple[dt.date, ...]
    actual_dates: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        if not set(self.actual_dates) <= set(self.dates):
            raise ValueError("actual_dates must be among dates")

    @property
    def source(self) -> str:
        """How the run record names it: ``store (N days)``."""
        n = len(self.dates)
        return f"store ({n} day{'' if n == 1 else 's'})"


@dataclass(frozen=True)
class HistoryVisit:
    """One carer-visit of the recent past: planned (published rota) and, where recorded, actual.

    ``worker_id`` is ``None`` for a visit left unplaced; ``check_in_s`` and
    ``check_out_s`` are ``None`` when no call was recorded.
    """

    plan_date: dt.date
    visit_id: str
    client_id: str | None
    worker_id: str | None
    status: str
    start_s: int | None
    end_s: int | None
    check_in_s: int | None = None
    check_out_s: int | None = None
    version: int | None = None

    def __post_init__(self) -> None:
        if self.status not in ("scheduled", "unplaced", "actual"):
            raise ValueError(f"unknown history status {self.status!r}")


def window(end: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The first and last date of ``days`` days ending at ``end`` (inclusive)."""
    if days < 1:
        raise ValueError(f"a history window needs at least one day, not {days}")
    return end - dt.timedelta(days=days - 1), end


def _published(conn: sa.Connection, first: dt.date, last: dt.date) -> dict[dt.date, tuple[int, int]]:
    r = t.rotas.c
    rows = conn.execute(sa.select(r.plan_date, r.id, r.version).where(
        r.published.is_(True), r.plan_date >= first, r.plan_date <= last))
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


def _actual_dates(conn: sa.Connection, first: dt.date, last: dt.date) -> set[dt.date]:
    a = t.actuals.c
    return set(conn.execute(sa.select(a.plan_date).distinct().where(
        a.plan_date >= first, a.plan_date <= last)).scalars())


def continuity(engine: sa.Engine, plan_date: dt.date, *, days: int = HISTORY_DAYS) -> StoreHistory:
    """Visits per client and worker over the ``days`` days before ``plan_date``.

    A date counts its published rota's stops (a double-up counts for both carers), or,
    when actuals were recorded for it, each (visit, worker) that called, once.
    """
    first, last = window(plan_date - dt.timedelta(days=1), days)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        published = _published(conn, first, last)
        actual = _actual_dates(conn, first, last)
        from_rota = [rota_id for d, (rota_id, _) in published.items() if d not in actual]
        if from_rota:
            p = t.stops.c
            for client, worker, n in conn.execute(
                    sa.select(p.client_id, p.worker_id, sa.func.count())
                    .where(p.rota_id.in_(from_rota)).group_by(p.client_id, p.worker_id)):
                counts[client][worker] += int(n)
        if actual:
            a = t.actuals.c
            calls = conn.execute(sa.select(a.plan_date, a.visit_id, a.worker_id, a.client_id)
                                 .distinct().where(a.plan_date.in_(sorted(actual)),
                                                   a.client_id.is_not(None)))
            for _, _, worker, client in calls:
                counts[client][worker] += 1
    return StoreHistory(counts={c: dict(ws) for c, ws in sorted(counts.items())},
                        dates=tuple(sorted(set(published) | actual)),
                        actual_dates=tuple(sorted(actual)))


def recent_visits(engine: sa.Engine, *, end: dt.date, days: int = HISTORY_DAYS,
                  client_id: str | None = None, worker_id: str | None = None
                  ) -> list[HistoryVisit]:
    """One client's or one worker's carer-visits over ``days`` days ending at ``end``.

    Planned visits come from each date's published rota (with the check-in and
    check-out recorded for that carer-visit, if any); a client's list also holds the
    visits left unplaced, and calls recorded for visits the rota did not plan for them
    (status ``actual``).
    """
    if (client_id is None) == (worker_id is None):
        raise ValueError("give exactly one of client_id and worker_id")
    first, last = window(end, days)
    p, o, a = t.stops.c, t.visit_outcomes.c, t.actuals.c
    with engine.connect() as conn:
        published = _published(conn, first, last)
        by_id = {rota_id: (d, v) for d, (rota_id, v) in published.items()}
        calls = conn.execute(sa.select(a.plan_date, a.visit_id, a.worker_id, a.client_id,
                                       a.check_in_s, a.check_out_s).where(
            a.plan_date >= first, a.plan_date <= last,
            (a.client_id == client_id) if client_id is not None else (a.worker_id == worker_id))
            .order_by(a.plan_date, a.check_in_s)).all()
        stops = conn.execute(sa.select(p.rota_id, p.visit_id, p.client_id, p.worker_id,
                                       p.start_s, p.end_s).where(
            p.rota_id.in_(list(by_id)),
            (p.client_id == client_id) if client_id is not None else (p.worker_id == worker_id)))
        unplaced = [] if client_id is None else conn.execute(
            sa.select(o.rota_id, o.visit_id, o.client_id).where(
                o.rota_id.in_(list(by_id)), o.client_id == client_id,
                o.status == "unplaced")).all()
        planned = list(stops)
    # several calls for one carer-visit are joined: first check-in, last check-out
    first_call: dict[tuple[dt.date, str, str], tuple[int, int | None]] = {}
    for d, visit, worker, _, check_in, check_out in calls:
        earlier = first_call.get((d, visit, worker))
        if earlier is None:
            first_call[(d, visit, worker)] = (check_in, check_out)
            continue
        outs = [x for x in (earlier[1], check_out) if x is not None]
        first_call[(d, visit, worker)] = (earlier[0], max(outs) if outs else None)
    out = []
    for rota_id, visit, client, worker, start, end_s in planned:
        d, version = by_id[rota_id]
        check_in, check_out = first_call.pop((d, visit, worker), (None, None))
        out.append(HistoryVisit(d, visit, client, worker, "scheduled", start, end_s, check_in,
                                check_out, version))
    for rota_id, visit, client in unplaced:
        d, version = by_id[rota_id]
        out.append(HistoryVisit(d, visit, client, None, "unplaced", None, None, version=version))
    for (d, visit, worker), (check_in, check_out) in first_call.items():
        client = next((c[3] for c in calls if (c[0], c[1], c[2]) == (d, visit, worker)), None)
        out.append(HistoryVisit(d, visit, client, worker, "actual", None, None, check_in,
                                check_out, published.get(d, (0, None))[1]))
    return sorted(out, key=lambda v: (v.plan_date, v.start_s if v.start_s is not None
                                      else v.check_in_s or 0, v.visit_id, v.worker_id or ""))


def latest_date(engine: sa.Engine) -> dt.date | None:
    """The newest date with a published rota or recorded actuals (``None`` for an empty store)."""
    with engine.connect() as conn:
        rota = conn.execute(sa.select(sa.func.max(t.rotas.c.plan_date))
                            .where(t.rotas.c.published.is_(True))).scalar()
        calls = conn.execute(sa.select(sa.func.max(t.actuals.c.plan_date))).scalar()
    dates = [d for d in (rota, calls) if d is not None]
    return max(dates) if dates else None
