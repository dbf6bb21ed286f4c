"""The rota store's tables: runs, rotas and their rows, and call-monitoring actuals.

Every fact a report needs is a real column (times in seconds since midnight, distances
in metres, timestamps in UTC); the only JSON column is ``runs.parameters``, the run's
free-form settings and record. ``docs/store.md`` describes every table; the Alembic
migrations in ``migrations/versions`` create exactly these tables (a test compares them).
"""

from __future__ import annotations

import sqlalchemy as sa

#: What a run can be: still planning, finished (its rota saved), failed or interrupted.
RUN_STATUSES = ("running", "complete", "failed", "interrupted")
#: What became of a visit (see :class:`carerounds.scheduler.rota.VisitOutcome`).
OUTCOME_STATUSES = ("scheduled", "unplaced", "merged")

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

_UTC = sa.DateTime(timezone=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_date", sa.Date, nullable=False),
    sa.Column("label", sa.String, nullable=False),
    sa.Column("user_name", sa.String, nullable=False),
    sa.Column("host", sa.String, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("started_at", _UTC, nullable=False),
    sa.Column("finished_at", _UTC),
    sa.Column("engine", sa.String),
    sa.Column("seed", sa.Integer),
    sa.Column("time_limit_s", sa.Float),
    sa.Column("solution_limit", sa.Integer),
    sa.Column("pool", sa.Boolean),
    sa.Column("dedupe", sa.String),
    sa.Column("roads", sa.String),
    sa.Column("history_source", sa.String),
    sa.Column("solver_status", sa.String),
    sa.Column("solution_source", sa.String),
    sa.Column("objective", sa.BigInteger),
    sa.Column("wall_s", sa.Float),
    sa.Column("first_solution_s", sa.Float),
    sa.Column("visits_total", sa.Integer),
    sa.Column("visits_scheduled", sa.Integer),
    sa.Column("visits_unplaced", sa.Integer),
    sa.Column("visits_merged", sa.Integer),
    sa.Column("carerounds_version", sa.String),
    sa.Column("ortools_version", sa.String),
    sa.Column("python_version", sa.String),
    sa.Column("error", sa.Text),
    sa.Column("parameters", sa.JSON),
    sa.CheckConstraint(_in("status", RUN_STATUSES), name="status"),
    sa.Index(None, "plan_date"),
)

run_inputs = sa.Table(
    "run_inputs", metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("file_name", sa.String, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
)

rotas = sa.Table(
    "rotas", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("plan_date", sa.Date, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("label", sa.String, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("created_at", _UTC, nullable=False),
    sa.Column("published", sa.Boolean, nullable=False),
    sa.Column("published_at", _UTC),
    sa.Column("superseded_at", _UTC),
    sa.Column("violations", sa.Integer),
    sa.Column("visits_scheduled", sa.Integer, nullable=False),
    sa.Column("visits_unplaced", sa.Integer, nullable=False),
    sa.Column("visits_merged", sa.Integer, nullable=False),
    sa.Column("workers_used", sa.Integer, nullable=False),
    sa.Column("contact_s", sa.Integer, nullable=False),
    sa.Column("travel_s", sa.Integer, nullable=False),
    sa.Column("distance_m", sa.Integer, nullable=False),
    sa.UniqueConstraint("run_id"),
    sa.UniqueConstraint("plan_date", "version"),
    # at most one published rota per date, enforced by the database itself
    sa.Index("ux_rotas_published_date", "plan_date", unique=True,
             sqlite_where=sa.text("published"), postgresql_where=sa.text("published")),
)

shifts = sa.Table(
    "shifts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rota_id", sa.Integer, sa.ForeignKey("rotas.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("worker_id", sa.String, nullable=False),
    sa.Column("provider_id", sa.String, nullable=False),
    sa.Column("shift", sa.Integer, nullable=False),
    sa.Column("shift_start_s", sa.Integer, nullable=False),
    sa.Column("shift_end_s", sa.Integer, nullable=False),
    sa.Column("travel_mode", sa.String, nullable=False),
    sa.Column("leave_s", sa.Integer, nullable=False),
    sa.Column("return_s", sa.Integer, nullable=False),
    sa.Column("return_travel_s", sa.Integer, nullable=False),
    sa.Column("return_distance_m", sa.Integer, nullable=False),
    sa.Column("travel_s", sa.Integer, nullable=False),
    sa.Column("distance_m", sa.Integer, nullable=False),
    sa.Column("contact_s", sa.Integer, nullable=False),
    sa.UniqueConstraint("rota_id", "seq"),
    sa.Index(None, "worker_id"),
)

shift_breaks = sa.Table(
    "shift_breaks", metadata,
    sa.Column("shift_id", sa.Integer, sa.ForeignKey("shifts.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("rota_id", sa.Integer, sa.ForeignKey("rotas.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("start_s", sa.Integer, nullable=False),
    sa.Column("duration_s", sa.Integer, nullable=False),
)

stops = sa.Table(
    "stops", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rota_id", sa.Integer, sa.ForeignKey("rotas.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("shift_id", sa.Integer, sa.ForeignKey("shifts.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("visit_id", sa.String, nullable=False),
    sa.Column("client_id", sa.String, nullable=False),
    sa.Column("worker_id", sa.String, nullable=False),
    sa.Column("arrival_s", sa.Integer, nullable=False),
    sa.Column("start_s", sa.Integer, nullable=False),
    sa.Column("end_s", sa.Integer, nullable=False),
    sa.Column("travel_s", sa.Integer, nullable=False),
    sa.Column("distance_m", sa.Integer, nullable=False),
    sa.Column("partner", sa.String),
    sa.UniqueConstraint("shift_id", "seq"),
    sa.Index(None, "rota_id"),
    sa.Index(None, "client_id"),
)

visit_outcomes = sa.Table(
    "visit_outcomes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rota_id", sa.Integer, sa.ForeignKey("rotas.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("visit_id", sa.String, nullable=False),
    sa.Column("client_id", sa.String),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("provider_id", sa.String),
    sa.Column("start_s", sa.Integer),
    sa.Column("end_s", sa.Integer),
    sa.Column("reason", sa.Text),
    sa.CheckConstraint(_in("status", OUTCOME_STATUSES), name="status"),
    sa.UniqueConstraint("rota_id", "seq"),
    sa.Index(None, "visit_id"),
)

outcome_workers = sa.Table(
    "outcome_workers", metadata,
    sa.Column("outcome_id", sa.Integer, sa.ForeignKey("visit_outcomes.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("rota_id", sa.Integer, sa.ForeignKey("rotas.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("worker_id", sa.String, nullable=False),
)

actuals = sa.Table(
    "actuals", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_date", sa.Date, nullable=False),
    sa.Column("visit_id", sa.String, nullable=False),
    sa.Column("worker_id", sa.String, nullable=False),
    sa.Column("client_id", sa.String),
    sa.Column("check_in_s", sa.Integer, nullable=False),
    sa.Column("check_out_s", sa.Integer),
    sa.Column("call_date", sa.Date),
    sa.Column("source_file", sa.String),
    sa.Column("source_row", sa.Integer),
    sa.Column("recorded_at", _UTC, nullable=False),
    sa.Column("recorded_by", sa.String, nullable=False),
    sa.UniqueConstraint("plan_date", "visit_id", "worker_id", "check_in_s"),
    sa.Index(None, "client_id"),
    sa.Index(None, "worker_id"),
)
