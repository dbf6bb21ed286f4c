"""The rota store: record runs, save and publish rotas, read them back, record actuals.

A rota's rows (shifts, stops, breaks, outcomes) are written in one transaction, and
the same transaction flips ``published`` only when the checker found no violation, so
a failed, interrupted or rejected run never replaces the published rota of its date.
"""

from __future__ import annotations

import datetime as dt
import getpass
import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ...errors import InputError
from ..actuals import Call
from ..rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome
from . import schema as t
from .connect import display_url

#: pg_advisory_xact_lock key base for numbering a date's versions (plus the date's ordinal).
VERSION_LOCK = 0x0CA2E000


def now_utc() -> dt.datetime:
    """The current time in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def current_user() -> str:
    """Who is running carerounds (``getpass.getuser()``; ``unknown`` when it cannot tell)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class SavedRota:
    """A rota as saved: its id, version for its date and whether it was published."""

    rota_id: int
    run_id: int
    plan_date: dt.date
    version: int
    published: bool
    violations: int

    def __post_init__(self) -> None:
        if self.version < 1 or self.violations < 0:
            raise ValueError(f"bad saved rota: version {self.version}, "
                             f"violations {self.violations}")


@dataclass(frozen=True)
class RunRecord:
    """One row of ``runs`` (the columns a listing shows)."""

    run_id: int
    plan_date: dt.date
    label: str
    user_name: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    engine: str | None
    seed: int | None
    time_limit_s: float | None
    history_source: str | None
    visits_scheduled: int | None
    visits_unplaced: int | None
    error: str | None

    def __post_init__(self) -> None:
        if self.status not in t.RUN_STATUSES:
            raise ValueError(f"unknown run status {self.status!r}")


@dataclass(frozen=True)
class RotaVersion:
    """One saved version of a date's rota (a row of ``rotas``)."""

    rota_id: int
    run_id: int
    plan_date: dt.date
    version: int
    label: str
    created_by: str
    created_at: dt.datetime
    published: bool
    published_at: dt.datetime | None
    superseded_at: dt.datetime | None
    violations: int | None
    visits_scheduled: int
    visits_unplaced: int
    visits_merged: int

    @property
    def state(self) -> str:
        """``published``, ``superseded`` (published once, replaced since) or ``unpublished``."""
        if self.published:
            return "published"
        return "superseded" if self.published_at is not None else "unpublished"


@dataclass(frozen=True)
class DateSummary:
    """A date with rotas: how many versions, and the published one (if any)."""

    plan_date: dt.date
    versions: int
    published: RotaVersion | None


@dataclass(frozen=True)
class ActualsSaved:
    """What recording a calls file did: records added, updated (new check-out) or already there."""

    plan_date: dt.date
    added: int
    updated: int
    unchanged: int


def _run_columns(run: Mapping[str, Any]) -> dict[str, Any]:
    """The real columns of ``runs`` filled from a rota's run record."""
    found = run.get("versions")
    versions: Mapping[str, Any] = found if isinstance(found, Mapping) else {}

    def number(key: str, kind: type) -> Any:
        value = run.get(key)
        return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else None

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "engine": text(run.get("engine")), "seed": number("seed", int),
        "time_limit_s": number("time_limit_s", float),
        "solution_limit": number("solution_limit", int),
        "pool": run.get("pool") if isinstance(run.get("pool"), bool) else None,
        "dedupe": text(run.get("dedupe")), "roads": text(run.get("roads")),
        "history_source": text(run.get("history")), "solver_status": text(run.get("status")),
        "solution_source": text(run.get("solution_source")),
        "objective": number("objective", int), "wall_s": number("wall_s", float),
        "first_solution_s": number("first_solution_s", float),
        "carerounds_version": text(versions.get("carerounds")),
        "ortools_version": text(versions.get("ortools")),
        "python_version": text(versions.get("python")),
    }


class RotaStore:
    """Runs, rota versions and actuals in a SQL database (SQLite or PostgreSQL).

    Open one with :func:`carerounds.scheduler.store.open_store`, which migrates the
    schema first. The store can be used as a context manager; :meth:`close` releases
    its connections.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        On a migrated database.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __enter__(self) -> RotaStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return display_url(self.engine.url)

    # ---- runs ---------------------------------------------------------------------------

    def start_run(self, plan_date: dt.date, *, label: str,
                  parameters: Mapping[str, Any] | None = None, user: str | None = None) -> int:
        """Record a run as ``running`` before it plans; return its id.

        ``parameters`` are the settings asked for (seed, time limit, engine, ...); the
        run's full record replaces them when its rota is saved.
        """
        params = dict(parameters or {})
        with self.engine.begin() as conn:
            return int(conn.execute(t.runs.insert().returning(t.runs.c.id).values(
                plan_date=plan_date, label=label, user_name=user or current_user(),
                host=platform.node() or "unknown", status="running", started_at=now_utc(),
                parameters=params, **{k: v for k, v in _run_columns(params).items()
                                      if v is not None})).scalar_one())

    def finish_run(self, run_id: int, status: str, *, error: str | None = None) -> None:
        """Mark a run that saved no rota as ``failed`` or ``interrupted`` (with the error)."""
        if status not in ("failed", "interrupted"):
            raise ValueError(f"a run without a rota ends failed or interrupted, not {status!r}")
        with self.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run_id,
                                               t.runs.c.status == "running")
                         .values(status=status, finished_at=now_utc(), error=error))

    def runs(self, *, limit: int = 20, plan_date: dt.date | None = None) -> list[RunRecord]:
        """The newest runs first (of one date when given)."""
        c = t.runs.c
        query = sa.select(c.id, c.plan_date, c.label, c.user_name, c.status, c.started_at,
                          c.finished_at, c.engine, c.seed, c.time_limit_s, c.history_source,
                          c.visits_scheduled, c.visits_unplaced, c.error)
        if plan_date is not None:
            query = query.where(c.plan_date == plan_date)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(c.id.desc()).limit(limit)).all()
        return [RunRecord(row[0], row[1], row[2], row[3], row[4], _utc(row[5]) or now_utc(),
                          _utc(row[6]), row[7], row[8], row[9], row[10], row[11], row[12],
                          row[13]) for row in rows]

    # ---- saving and publishing -----------------------------------------------------------

    def save_rota(self, run_id: int, rota: Rota, *, violations: Sequence[object],
                  clients: Mapping[str, str] | None = None, label: str | None = None,
                  user: str | None = None) -> SavedRota:
        """Save a run's rota as the next version of its date, and publish it if it passed.

        Parameters
        ----------
        run_id : int
            From :meth:`start_run`.
        rota : Rota
        violations : sequence
            What :func:`carerounds.scheduler.check.check_rota` found; the rota is
            published only when this is empty, otherwise kept unpublished and the run
            marked ``failed``.
        clients : mapping, optional
            Visit id to client id for every input visit, so unplaced visits are found
            by client too (``visit_outcomes.client_id``).
        label, user : str, optional
            Who or what made it; default the run's.
        """
        clients = dict(clients or {})
        for sh in rota.shifts:
            clients.update({s.visit_id: s.client_id for s in sh.stops})
        stamp = now_utc()
        with self.engine.begin() as conn:
            run = conn.execute(sa.select(t.runs.c.label, t.runs.c.user_name, t.runs.c.plan_date)
                               .where(t.runs.c.id == run_id)).one_or_none()
            if run is None:
                raise InputError(f"run {run_id} is not in the store; start it with start_run",
                                 field="run_id")
            if run.plan_date != rota.date:
                raise InputError(f"run {run_id} plans {run.plan_date} but the rota is for "
                                 f"{rota.date}", field="date")
            version = self._next_version(conn, rota.date)
            rota_id = self._insert_rota(conn, run_id, rota, version, label or run.label,
                                        user or run.user_name, stamp)
            self._insert_rows(conn, rota_id, rota, clients)
            publish = len(violations) == 0
            if publish:
                self._publish(conn, rota_id, rota.date, stamp)
            conn.execute(t.rotas.update().where(t.rotas.c.id == rota_id)
                         .values(violations=len(violations)))
            self._complete_run(conn, run_id, rota, stamp, published=publish, version=version,
                               violations=violations)
        return SavedRota(rota_id, run_id, rota.date, version, publish, len(violations))

    def _next_version(self, conn: sa.Connection, plan_date: dt.date) -> int:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": VERSION_LOCK + plan_date.toordinal()})
        latest = conn.execute(sa.select(sa.func.max(t.rotas.c.version))
                              .where(t.rotas.c.plan_date == plan_date)).scalar()
        return int(latest or 0) + 1

    @staticmethod
    def _insert_rota(conn: sa.Connection, run_id: int, rota: Rota, version: int, label: str,
                     user: str, stamp: dt.datetime) -> int:
        worked = [sh for sh in rota.shifts if sh.stops]
        status = [o.status for o in rota.outcomes]
        return int(conn.execute(t.rotas.insert().returning(t.rotas.c.id).values(
            run_id=run_id, plan_date=rota.date, version=version, label=label, created_by=user,
            created_at=stamp, published=False, visits_scheduled=status.count("scheduled"),
            visits_unplaced=status.count("unplaced"), visits_merged=status.count("merged"),
            workers_used=len({sh.worker_id for sh in worked}),
            contact_s=sum(sh.contact_s for sh in rota.shifts),
            travel_s=sum(sh.travel_s for sh in worked),
            distance_m=sum(sh.distance_m for sh in worked))).scalar_one())

    @staticmethod
    def _insert_rows(conn: sa.Connection, rota_id: int, rota: Rota,
                     clients: Mapping[str, str]) -> None:
        if rota.shifts:
            ids = conn.execute(t.shifts.insert().returning(t.shifts.c.id,
                                                           sort_by_parameter_order=True), [
                {"rota_id": rota_id, "seq": n, "worker_id": sh.worker_id,
                 "provider_id": sh.provider_id, "shift": sh.shift,
                 "shift_start_s": sh.shift_start_s, "shift_end_s": sh.shift_end_s,
                 "travel_mode": sh.travel_mode, "leave_s": sh.leave_s, "return_s": sh.return_s,
                 "return_travel_s": sh.return_travel_s,
                 "return_distance_m": sh.return_distance_m, "travel_s": sh.travel_s,
                 "distance_m": sh.distance_m, "contact_s": sh.contact_s}
                for n, sh in enumerate(rota.shifts)]).scalars().all()
            stop_rows = [{"rota_id": rota_id, "shift_id": sid, "seq": n, "visit_id": s.visit_id,
                          "client_id": s.client_id, "worker_id": sh.worker_id,
                          "arrival_s": s.arrival_s, "start_s": s.start_s, "end_s": s.end_s,
                          "travel_s": s.travel_s, "distance_m": s.distance_m,
                          "partner": s.partner}
                         for sid, sh in zip(ids, rota.shifts) for n, s in enumerate(sh.stops)]
            break_rows = [{"rota_id": rota_id, "shift_id": sid, "seq": n, "start_s": b.start_s,
                           "duration_s": b.duration_s}
                          for sid, sh in zip(ids, rota.shifts) for n, b in enumerate(sh.breaks)]
            if stop_rows:
                conn.execute(t.stops.insert(), stop_rows)
            if break_rows:
                conn.execute(t.shift_breaks.insert(), break_rows)
        if not rota.outcomes:
            return
        outcome_ids = conn.execute(t.visit_outcomes.insert().returning(
            t.visit_outcomes.c.id, sort_by_parameter_order=True), [
            {"rota_id": rota_id, "seq": n, "visit_id": o.visit_id,
             "client_id": clients.get(o.visit_id), "status": o.status,
             "provider_id": o.provider_id, "start_s": o.start_s, "end_s": o.end_s,
             "reason": o.reason} for n, o in enumerate(rota.outcomes)]).scalars().all()
        worker_rows = [{"outcome_id": oid, "seq": n, "rota_id": rota_id, "worker_id": w}
                       for oid, o in zip(outcome_ids, rota.outcomes)
                       for n, w in enumerate(o.workers)]
        if worker_rows:
            conn.execute(t.outcome_workers.insert(), worker_rows)

    @staticmethod
    def _publish(conn: sa.Connection, rota_id: int, plan_date: dt.date,
                 stamp: dt.datetime) -> None:
        r = t.rotas.c
        conn.execute(t.rotas.update().where(r.plan_date == plan_date, r.published.is_(True))
                     .values(published=False, superseded_at=stamp))
        conn.execute(t.rotas.update().where(r.id == rota_id)
                     .values(published=True, published_at=stamp))

    @staticmethod
    def _complete_run(conn: sa.Connection, run_id: int, rota: Rota, stamp: dt.datetime, *,
                      published: bool, version: int, violations: Sequence[object]) -> None:
        status = [o.status for o in rota.outcomes]
        error = None
        if not published:
            error = (f"check_rota found {len(violations)} violation(s), first: {violations[0]}; "
                     f"the rota is kept unpublished as version {version}")
        conn.execute(t.runs.update().where(t.runs.c.id == run_id).values(
            status="complete" if published else "failed", finished_at=stamp, error=error,
            parameters=dict(rota.run), visits_total=len(status),
            visits_scheduled=status.count("scheduled"), visits_unplaced=status.count("unplaced"),
            visits_merged=status.count("merged"), **_run_columns(rota.run)))
        inputs = rota.run.get("inputs")
        if isinstance(inputs, Mapping) and inputs:
            conn.execute(t.run_inputs.delete().where(t.run_inputs.c.run_id == run_id))
            conn.execute(t.run_inputs.insert(), [
                {"run_id": run_id, "file_name": str(name), "sha256": str(info.get("sha256", "")),
                 "rows": int(info.get("rows", 0))}
                for name, info in inputs.items() if isinstance(info, Mapping)])

    # ---- reading rotas ------------------------------------------------------------------

    def versions(self, plan_date: dt.date) -> list[RotaVersion]:
        """Every saved version of a date's rota, oldest first."""
        r = t.rotas.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(
                r.id, r.run_id, r.plan_date, r.version, r.label, r.created_by, r.created_at,
                r.published, r.published_at, r.superseded_at, r.violations, r.visits_scheduled,
                r.visits_unplaced, r.visits_merged).where(r.plan_date == plan_date)
                .order_by(r.version)).all()
        return [_version_of(row) for row in rows]

    def dates(self) -> list[DateSummary]:
        """Every date with a saved rota, newest first, with its published version."""
        r = t.rotas.c
        with self.engine.connect() as conn:
            counts = conn.execute(sa.select(r.plan_date, sa.func.count())
                                  .group_by(r.plan_date).order_by(r.plan_date.desc())).all()
        published = {v.plan_date: v for v in self._published_versions()}
        return [DateSummary(d, int(n), published.get(d)) for d, n in counts]

    def _published_versions(self) -> list[RotaVersion]:
        r = t.rotas.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(
                r.id, r.run_id, r.plan_date, r.version, r.label, r.created_by, r.created_at,
                r.published, r.published_at, r.superseded_at, r.violations, r.visits_scheduled,
                r.visits_unplaced, r.visits_merged).where(r.published.is_(True))).all()
        return [_version_of(row) for row in rows]

    def published(self, plan_date: dt.date) -> Rota | None:
        """The published rota of a date, exactly as it was saved; ``None`` when there is none."""
        with self.engine.connect() as conn:
            rota_id = conn.execute(sa.select(t.rotas.c.id).where(
                t.rotas.c.plan_date == plan_date, t.rotas.c.published.is_(True))).scalar()
            return None if rota_id is None else _load_rota(conn, int(rota_id))

    def rota(self, plan_date: dt.date, version: int | None = None) -> Rota:
        """A date's rota: the published one, or the given version (published or not).

        Raises
        ------
        InputError
            When the store has no such rota; the message lists the versions it has.
        """
        with self.engine.connect() as conn:
            query = sa.select(t.rotas.c.id).where(t.rotas.c.plan_date == plan_date)
            query = query.where(t.rotas.c.published.is_(True)) if version is None else \
                query.where(t.rotas.c.version == version)
            rota_id = conn.execute(query).scalar()
            if rota_id is not None:
                return _load_rota(conn, int(rota_id))
        have = [v.version for v in self.versions(plan_date)]
        what = "no published rota" if version is None else f"no version {version}"
        hint = f"versions saved: {', '.join(map(str, have))}" if have else \
            "no rota at all for that date; plan it with --store"
        raise InputError(f"the store has {what} for {plan_date.isoformat()} ({hint})",
                         field="--version" if version is not None else "--date")

    def visit_clients(self, plan_date: dt.date) -> dict[str, str]:
        """Visit id to client id for the published rota of a date (empty when there is none)."""
        o, p, r = t.visit_outcomes.c, t.stops.c, t.rotas.c
        published = sa.select(r.id).where(r.plan_date == plan_date, r.published.is_(True))
        with self.engine.connect() as conn:
            found = {row[0]: row[1] for row in conn.execute(
                sa.select(o.visit_id, o.client_id).where(o.rota_id.in_(published),
                                                         o.client_id.is_not(None)))}
            found.update({row[0]: row[1] for row in conn.execute(
                sa.select(p.visit_id, p.client_id).where(p.rota_id.in_(published)))})
        return found

    # ---- actuals ------------------------------------------------------------------------

    def record_actuals(self, plan_date: dt.date, calls: Iterable[Call], *,
                       clients: Mapping[str, str] | None = None,
                       user: str | None = None) -> ActualsSaved:
        """Record call-monitoring records for a date (idempotent: a file recorded twice adds nothing).

        A record is keyed by date, visit, worker and check-in time; recording it again
        with a check-out it lacked before updates it.

        Parameters
        ----------
        plan_date : datetime.date
            The rota's date the calls belong to.
        calls : iterable of Call
        clients : mapping, optional
            Visit id to client id (from the rota and the inputs), stored with each call
            so continuity counts actual carers per client.
        user : str, optional
            Who recorded them; default the current user.
        """
        clients = clients or {}
        a = t.actuals.c
        added = updated = unchanged = 0
        stamp, who = now_utc(), user or current_user()
        with self.engine.begin() as conn:
            have = {(r.visit_id, r.worker_id, r.check_in_s): (r.id, r.check_out_s) for r in
                    conn.execute(sa.select(a.id, a.visit_id, a.worker_id, a.check_in_s,
                                           a.check_out_s).where(a.plan_date == plan_date))}
            new: dict[tuple[str, str, int], dict[str, Any]] = {}
            for call in calls:
                key = (call.visit_id, call.worker_id, call.check_in_s)
                if key in have:
                    row_id, out = have[key]
                    if call.check_out_s is not None and call.check_out_s != out:
                        conn.execute(t.actuals.update().where(a.id == row_id)
                                     .values(check_out_s=call.check_out_s, recorded_at=stamp,
                                             recorded_by=who))
                        updated += 1
                    else:
                        unchanged += 1
                    continue
                if key in new:  # the same call twice in one file: keep a check-out it gives
                    if call.check_out_s is not None:
                        new[key]["check_out_s"] = call.check_out_s
                    unchanged += 1
                    continue
                new[key] = {"plan_date": plan_date, "visit_id": call.visit_id,
                            "worker_id": call.worker_id, "client_id": clients.get(call.visit_id),
                            "check_in_s": call.check_in_s, "check_out_s": call.check_out_s,
                            "call_date": call.date, "source_file": call.file or None,
                            "source_row": call.row or None, "recorded_at": stamp,
                            "recorded_by": who}
            if new:
                conn.execute(t.actuals.insert(), list(new.values()))
            added = len(new)
        return ActualsSaved(plan_date, added, updated, unchanged)


def _version_of(row: Any) -> RotaVersion:
    return RotaVersion(row[0], row[1], row[2], row[3], row[4], row[5], _utc(row[6]) or now_utc(),
                       bool(row[7]), _utc(row[8]), _utc(row[9]), row[10], row[11], row[12],
                       row[13])


def _load_rota(conn: sa.Connection, rota_id: int) -> Rota:
    """Rebuild a :class:`Rota` from its rows (the inverse of ``save_rota``)."""
    r, s, p, b = t.rotas.c, t.shifts.c, t.stops.c, t.shift_breaks.c
    o, w = t.visit_outcomes.c, t.outcome_workers.c
    head = conn.execute(sa.select(r.plan_date, t.runs.c.parameters)
                        .join(t.runs, t.runs.c.id == r.run_id).where(r.id == rota_id)).one()
    stops: dict[int, list[PlannedStop]] = {}
    for stop in conn.execute(sa.select(p.shift_id, p.visit_id, p.client_id, p.arrival_s,
                                       p.start_s, p.end_s, p.travel_s, p.distance_m, p.partner)
                             .where(p.rota_id == rota_id).order_by(p.shift_id, p.seq)):
        stops.setdefault(stop[0], []).append(PlannedStop(*stop[1:]))
    breaks: dict[int, list[PlannedBreak]] = {}
    for brk in conn.execute(sa.select(b.shift_id, b.start_s, b.duration_s)
                            .where(b.rota_id == rota_id).order_by(b.shift_id, b.seq)):
        breaks.setdefault(brk[0], []).append(PlannedBreak(brk[1], brk[2]))
    shifts = tuple(
        PlannedShift(worker_id=row.worker_id, provider_id=row.provider_id, shift=row.shift,
                     shift_start_s=row.shift_start_s, shift_end_s=row.shift_end_s,
                     travel_mode=row.travel_mode, leave_s=row.leave_s, return_s=row.return_s,
                     stops=tuple(stops.get(row.id, ())), return_travel_s=row.return_travel_s,
                     return_distance_m=row.return_distance_m,
                     breaks=tuple(breaks.get(row.id, ())))
        for row in conn.execute(sa.select(t.shifts).where(s.rota_id == rota_id)
                                .order_by(s.seq)))
    workers: dict[int, list[str]] = {}
    for pair in conn.execute(sa.select(w.outcome_id, w.worker_id).where(w.rota_id == rota_id)
                             .order_by(w.outcome_id, w.seq)):
        workers.setdefault(pair[0], []).append(pair[1])
    outcomes = tuple(
        VisitOutcome(row.visit_id, row.status, row.provider_id, tuple(workers.get(row.id, ())),
                     row.start_s, row.end_s, row.reason)
        for row in conn.execute(sa.select(o.id, o.visit_id, o.status, o.provider_id, o.start_s,
                                          o.end_s, o.reason).where(o.rota_id == rota_id)
                                .order_by(o.seq)))
    return Rota(date=head.plan_date, shifts=shifts, outcomes=outcomes,
                run=dict(head.parameters or {}))
