"""Initial schema: runs and their inputs, rotas, shifts, breaks, stops, outcomes, actuals.

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_actuals() -> None:
    op.create_table(
        "actuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("visit_id", sa.String(), nullable=False),
        sa.Column("worker_id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=True),
        sa.Column("check_in_s", sa.Integer(), nullable=False),
        sa.Column("check_out_s", sa.Integer(), nullable=True),
        sa.Column("call_date", sa.Date(), nullable=True),
        sa.Column("source_file", sa.String(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actuals")),
        sa.UniqueConstraint(
            "plan_date",
            "visit_id",
            "worker_id",
            "check_in_s",
            name=op.f("uq_actuals_plan_date_visit_id_worker_id_check_in_s"),
        ),
    )
    op.create_index(op.f("ix_actuals_client_id"), "actuals", ["client_id"], unique=False)
    op.create_index(op.f("ix_actuals_worker_id"), "actuals", ["worker_id"], unique=False)


def _create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("engine", sa.String(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("time_limit_s", sa.Float(), nullable=True),
        sa.Column("solution_limit", sa.Integer(), nullable=True),
        sa.Column("pool", sa.Boolean(), nullable=True),
        sa.Column("dedupe", sa.String(), nullable=True),
        sa.Column("roads", sa.String(), nullable=True),
        sa.Column("history_source", sa.String(), nullable=True),
        sa.Column("solver_status", sa.String(), nullable=True),
        sa.Column("solution_source", sa.String(), nullable=True),
        sa.Column("objective", sa.BigInteger(), nullable=True),
        sa.Column("wall_s", sa.Float(), nullable=True),
        sa.Column("first_solution_s", sa.Float(), nullable=True),
        sa.Column("visits_total", sa.Integer(), nullable=True),
        sa.Column("visits_scheduled", sa.Integer(), nullable=True),
        sa.Column("visits_unplaced", sa.Integer(), nullable=True),
        sa.Column("visits_merged", sa.Integer(), nullable=True),
        sa.Column("carerounds_version", sa.String(), nullable=True),
        sa.Column("ortools_version", sa.String(), nullable=True),
        sa.Column("python_version", sa.String(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'failed', 'interrupted')", name=op.f("ck_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_plan_date"), "runs", ["plan_date"], unique=False)


def _create_rotas() -> None:
    op.create_table(
        "rotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("violations", sa.Integer(), nullable=True),
        sa.Column("visits_scheduled", sa.Integer(), nullable=False),
        sa.Column("visits_unplaced", sa.Integer(), nullable=False),
        sa.Column("visits_merged", sa.Integer(), nullable=False),
        sa.Column("workers_used", sa.Integer(), nullable=False),
        sa.Column("contact_s", sa.Integer(), nullable=False),
        sa.Column("travel_s", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_rotas_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotas")),
        sa.UniqueConstraint("plan_date", "version", name=op.f("uq_rotas_plan_date_version")),
        sa.UniqueConstraint("run_id", name=op.f("uq_rotas_run_id")),
    )
    op.create_index(
        "ux_rotas_published_date",
        "rotas",
        ["plan_date"],
        unique=True,
        sqlite_where=sa.text("published"),
        postgresql_where=sa.text("published"),
    )


def _create_run_inputs() -> None:
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_inputs_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "file_name", name=op.f("pk_run_inputs")),
    )


def _create_shifts() -> None:
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rota_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(), nullable=False),
        sa.Column("provider_id", sa.String(), nullable=False),
        sa.Column("shift", sa.Integer(), nullable=False),
        sa.Column("shift_start_s", sa.Integer(), nullable=False),
        sa.Column("shift_end_s", sa.Integer(), nullable=False),
        sa.Column("travel_mode", sa.String(), nullable=False),
        sa.Column("leave_s", sa.Integer(), nullable=False),
        sa.Column("return_s", sa.Integer(), nullable=False),
        sa.Column("return_travel_s", sa.Integer(), nullable=False),
        sa.Column("return_distance_m", sa.Integer(), nullable=False),
        sa.Column("travel_s", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("contact_s", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rota_id"], ["rotas.id"], name=op.f("fk_shifts_rota_id_rotas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
        sa.UniqueConstraint("rota_id", "seq", name=op.f("uq_shifts_rota_id_seq")),
    )
    op.create_index(op.f("ix_shifts_worker_id"), "shifts", ["worker_id"], unique=False)


def _create_visit_outcomes() -> None:
    op.create_table(
        "visit_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rota_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider_id", sa.String(), nullable=True),
        sa.Column("start_s", sa.Integer(), nullable=True),
        sa.Column("end_s", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('scheduled', 'unplaced', 'merged')", name=op.f("ck_visit_outcomes_status")
        ),
        sa.ForeignKeyConstraint(
            ["rota_id"], ["rotas.id"], name=op.f("fk_visit_outcomes_rota_id_rotas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_outcomes")),
        sa.UniqueConstraint("rota_id", "seq", name=op.f("uq_visit_outcomes_rota_id_seq")),
    )
    op.create_index(op.f("ix_visit_outcomes_visit_id"), "visit_outcomes", ["visit_id"], unique=False)


def _create_outcome_workers() -> None:
    op.create_table(
        "outcome_workers",
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rota_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["visit_outcomes.id"],
            name=op.f("fk_outcome_workers_outcome_id_visit_outcomes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rota_id"], ["rotas.id"], name=op.f("fk_outcome_workers_rota_id_rotas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("outcome_id", "seq", name=op.f("pk_outcome_workers")),
    )


def _create_shift_breaks() -> None:
    op.create_table(
        "shift_breaks",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rota_id", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rota_id"], ["rotas.id"], name=op.f("fk_shift_breaks_rota_id_rotas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_shift_breaks_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shift_id", "seq", name=op.f("pk_shift_breaks")),
    )


def _create_stops() -> None:
    op.create_table(
        "stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rota_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("worker_id", sa.String(), nullable=False),
        sa.Column("arrival_s", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Integer(), nullable=False),
        sa.Column("end_s", sa.Integer(), nullable=False),
        sa.Column("travel_s", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rota_id"], ["rotas.id"], name=op.f("fk_stops_rota_id_rotas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_stops_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stops")),
        sa.UniqueConstraint("shift_id", "seq", name=op.f("uq_stops_shift_id_seq")),
    )
    op.create_index(op.f("ix_stops_client_id"), "stops", ["client_id"], unique=False)
    op.create_index(op.f("ix_stops_rota_id"), "stops", ["rota_id"], unique=False)


def upgrade() -> None:
    """Apply this revision: create every table (parents before children) and its indexes."""
    _create_actuals()
    _create_runs()
    _create_rotas()
    _create_run_inputs()
    _create_shifts()
    _create_visit_outcomes()
    _create_outcome_workers()
    _create_shift_breaks()
    _create_stops()


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index(op.f("ix_stops_rota_id"), table_name="stops")
    op.drop_index(op.f("ix_stops_client_id"), table_name="stops")
    op.drop_table("stops")
    op.drop_table("shift_breaks")
    op.drop_table("outcome_workers")
    op.drop_index(op.f("ix_visit_outcomes_visit_id"), table_name="visit_outcomes")
    op.drop_table("visit_outcomes")
    op.drop_index(op.f("ix_shifts_worker_id"), table_name="shifts")
    op.drop_table("shifts")
    op.drop_table("run_inputs")
    op.drop_index(
        "ux_rotas_published_date",
        table_name="rotas",
        sqlite_where=sa.text("published"),
        postgresql_where=sa.text("published"),
    )
    op.drop_table("rotas")
    op.drop_index(op.f("ix_runs_plan_date"), table_name="runs")
    op.drop_table("runs")
    op.drop_index(op.f("ix_actuals_worker_id"), table_name="actuals")
    op.drop_index(op.f("ix_actuals_client_id"), table_name="actuals")
    op.drop_table("actuals")
