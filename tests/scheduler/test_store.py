"""The rota store on real databases: SQLite always, PostgreSQL when CARE_TEST_POSTGRES_URL is set.

Covers the URLs, the migrations, the exact round trip of a rota, the publishing rules
(a failed, interrupted or rejected run never replaces the published rota), continuity
from the store, actuals, and a CLI test per ``carerounds store`` action.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the rota store needs carerounds[store]")
pytest.importorskip("alembic", reason="the rota store needs carerounds[store]")

import sqlalchemy as sa  # noqa: E402

from carerounds.errors import InputError, MissingExtraError  # noqa: E402
from carerounds.scheduler import plan as plan_module  # noqa: E402
from carerounds.scheduler.cli import main  # noqa: E402
from carerounds.scheduler.rota import (  # noqa: E402
    PlannedBreak,
    PlannedShift,
    PlannedStop,
    Rota,
    VisitOutcome,
    read_rota,
    rota_to_dict,
)
from carerounds.scheduler.store import open_store  # noqa: E402
from carerounds.scheduler.store import schema as t  # noqa: E402
from carerounds.scheduler.store.connect import display_url, store_url  # noqa: E402
from carerounds.scheduler.store.history import continuity  # noqa: E402

from ..conftest import PLAN_DATE, ROOT  # noqa: E402

DATE = PLAN_DATE.isoformat()
NEXT = PLAN_DATE + dt.timedelta(days=1)


def _plan(inputs: Path, out: Path, url: str, date: dt.date = PLAN_DATE, *extra: str) -> int:
    return main(["plan", "--inputs", str(inputs), "--out", str(out), "--date", date.isoformat(),
                 "--time-limit", "5", "--solution-limit", "20", "--quiet", "--store", url,
                 *extra])


def _json(rota: Rota) -> str:
    return json.dumps(rota_to_dict(rota), ensure_ascii=False)


def _stop_counts(rota: Rota) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for sh in rota.shifts:
        for stop in sh.stops:
            per = counts.setdefault(stop.client_id, {})
            per[sh.worker_id] = per.get(sh.worker_id, 0) + 1
    return counts


def _hand_made_rota(date: dt.date = PLAN_DATE, *, status: str = "merged") -> Rota:
    """Every field a rota has, including breaks, a double-up partner and empty values."""
    stops = (PlannedStop("V1", "C1", 27000, 27000, 28800, 300, 2500),
             PlannedStop("V2", "C2", 30000, 32400, 35100, 600, 4100, partner="W2"))
    return Rota(
        date=date,
        shifts=(PlannedShift("W1", "P1", 1, 25200, 50400, "drive", 26700, 36000, stops, 900,
                             5200, (PlannedBreak(35200, 600), PlannedBreak(40000, 1200))),
                PlannedShift("W2", "P1", 1, 25200, 43200, "walk", 25200, 25200, (), 0, 0),
                PlannedShift("W1", "P1", 2, 57600, 72000, "drive", 57600, 57600, (), 0, 0)),
        outcomes=(VisitOutcome("V1", "scheduled", "P1", ("W1",), 27000, 28800),
                  VisitOutcome("V2", "scheduled", "P1", ("W1", "W2"), 32400, 35100),
                  VisitOutcome("V3", "unplaced", None, reason="no worker with skill dementia"),
                  VisitOutcome("V4", status, "P2", reason="merged into V1 (same client)")),
        run={"seed": 3, "time_limit_s": 2.5, "solution_limit": None, "engine": "monolithic",
             "weights": {"travel_s": 1, "drop_high": 5_000_000}, "travel_warnings": [],
             "inputs": {"visits.csv": {"sha256": "ab" * 32, "rows": 4}}, "objective": 2 ** 40,
             "versions": {"carerounds": "0.0", "python": "3.11"}, "note": "Dora O'Neill – café",
             "merges": [{"kept": "V1", "absorbed": "V4"}], "history": "store (2 days)"})


# ---- URLs ---------------------------------------------------------------------------------

def test_a_plain_path_means_sqlite_and_postgresql_uses_psycopg(tmp_path):
    assert store_url(tmp_path / "r.db").render_as_string() == f"sqlite:///{tmp_path / 'r.db'}"
    assert store_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert store_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert store_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert display_url(store_url("postgresql://u:secret@h/db")) == "postgresql+psycopg://u:***@h/db"


@pytest.mark.parametrize("url, words", [
    ("mysql://u@h/db", "not supported"), ("sqlite://", "in-memory"),
    ("sqlite:///:memory:", "in-memory"), ("", "is empty"), ("/no/such/folder/r.db", "does not exist")])
def test_bad_store_urls_say_how_to_fix(url, words):
    with pytest.raises(InputError, match=words):
        store_url(url)


def test_a_folder_is_not_a_store(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        store_url(tmp_path)


def test_an_unreachable_server_is_a_store_error_naming_the_url_without_password():
    pytest.importorskip("psycopg")
    from carerounds.scheduler.store.connect import StoreError

    with pytest.raises(StoreError, match=r"cannot open the store at .*u:\*\*\*@127\.0\.0\.1:9"):
        open_store("postgresql://u:pw@127.0.0.1:9/none?connect_timeout=2")


# ---- migrations ---------------------------------------------------------------------------

def test_migrations_build_exactly_the_schema_and_reopening_is_a_no_op(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with open_store(store_url) as store:
        pass
    with open_store(store_url) as store, store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []
        assert MigrationContext.configure(conn).get_current_revision() == "0001"
        assert set(sa.inspect(conn).get_table_names()) >= {
            "runs", "run_inputs", "rotas", "shifts", "shift_breaks", "stops", "visit_outcomes",
            "outcome_workers", "actuals", "alembic_version"}


def test_the_migrations_are_package_data():
    from carerounds.scheduler.store.connect import MIGRATIONS

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"carerounds.scheduler.store.migrations.versions"' in text
    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()


# ---- saving, publishing, round trip -------------------------------------------------------

def test_a_saved_rota_round_trips_exactly_with_its_run_record(store_url):
    rota = _hand_made_rota()
    with open_store(store_url) as store:
        run_id = store.start_run(PLAN_DATE, label="night plan", parameters={"seed": 3})
        saved = store.save_rota(run_id, rota, violations=[], clients={"V3": "C3", "V4": "C1"})
        assert (saved.version, saved.published) == (1, True)
        assert _json(store.published(PLAN_DATE)) == _json(rota)
        assert _json(store.rota(PLAN_DATE, 1)) == _json(rota)
        with store.engine.connect() as conn:
            run = conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).one()
            inputs = conn.execute(sa.select(t.run_inputs)).all()
            clients = dict(conn.execute(sa.select(t.visit_outcomes.c.visit_id,
                                                  t.visit_outcomes.c.client_id)).all())
    assert (run.status, run.seed, run.time_limit_s, run.engine, run.objective) == \
        ("complete", 3, 2.5, "monolithic", 2 ** 40)
    assert (run.history_source, run.visits_scheduled, run.visits_unplaced, run.visits_merged) \
        == ("store (2 days)", 2, 1, 1)
    assert [(i.file_name, i.sha256, i.rows) for i in inputs] == [("visits.csv", "ab" * 32, 4)]
    assert clients == {"V1": "C1", "V2": "C2", "V3": "C3", "V4": "C1"}


def test_a_planned_rota_round_trips_to_its_rota_json(store_url, tiny_dir, tmp_path):
    assert _plan(tiny_dir, tmp_path / "out", store_url, PLAN_DATE, "--dedupe", "merge") == 0
    written = read_rota(tmp_path / "out" / "rota.json")
    with open_store(store_url) as store:
        stored = store.published(PLAN_DATE)
    assert stored is not None and _json(stored) == _json(written)
    assert stored.run["history"] == "store (0 days)"
    assert any(o.status == "merged" for o in stored.outcomes)


def test_versions_are_kept_and_only_the_newest_checked_one_is_published(store_url):
    with open_store(store_url) as store:
        first = store.save_rota(store.start_run(PLAN_DATE, label="night plan"),
                                _hand_made_rota(), violations=[])
        second = store.save_rota(store.start_run(PLAN_DATE, label="replan 07:45", user="ann"),
                                 _hand_made_rota(), violations=[])
        rejected = store.save_rota(store.start_run(PLAN_DATE, label="replan 09:10"),
                                   _hand_made_rota(), violations=["overlap: worker W1"])
        versions = store.versions(PLAN_DATE)
        runs = {r.run_id: r for r in store.runs()}
        assert store.published(PLAN_DATE) is not None
        with store.engine.connect() as conn:
            published = conn.execute(sa.select(t.rotas.c.version).where(
                t.rotas.c.published.is_(True))).scalars().all()
    assert (first.version, second.version, rejected.version) == (1, 2, 3)
    assert [(v.version, v.state, v.label, v.violations) for v in versions] == [
        (1, "superseded", "night plan", 0), (2, "published", "replan 07:45", 0),
        (3, "unpublished", "replan 09:10", 1)]
    assert versions[1].created_by == "ann" and versions[0].superseded_at is not None
    assert published == [2]
    assert runs[rejected.run_id].status == "failed"
    assert "1 violation(s), first: overlap: worker W1" in runs[rejected.run_id].error


def test_the_database_itself_refuses_two_published_rotas_for_a_date(store_url):
    with open_store(store_url) as store:
        for label in ("a", "b"):
            store.save_rota(store.start_run(PLAN_DATE, label=label), _hand_made_rota(),
                            violations=[])
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(t.rotas.update().values(published=True))


def test_a_save_that_fails_half_way_leaves_no_rows_and_the_published_rota(store_url):
    with open_store(store_url) as store:
        store.save_rota(store.start_run(PLAN_DATE, label="night plan"), _hand_made_rota(),
                        violations=[])
        before = _json(store.published(PLAN_DATE))
        run_id = store.start_run(PLAN_DATE, label="replan")
        # the last outcome breaks a CHECK constraint after shifts and stops were inserted
        with pytest.raises(sa.exc.IntegrityError):
            store.save_rota(run_id, _hand_made_rota(status="lost"), violations=[])
        assert _json(store.published(PLAN_DATE)) == before
        assert [v.version for v in store.versions(PLAN_DATE)] == [1]
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(t.shifts)).scalar() == 3
            assert conn.execute(sa.select(sa.func.count()).select_from(t.stops)).scalar() == 2
        assert {r.run_id: r.status for r in store.runs()}[run_id] == "running"


def test_save_rota_refuses_a_rota_of_another_date(store_url):
    with open_store(store_url) as store:
        run_id = store.start_run(NEXT, label="night plan")
        with pytest.raises(InputError, match="rota is for 2026-11-24"):
            store.save_rota(run_id, _hand_made_rota(), violations=[])


# ---- a run that fails or is interrupted ---------------------------------------------------

@pytest.mark.parametrize("error, status", [(RuntimeError("solver crashed"), "failed"),
                                           (KeyboardInterrupt(), "interrupted")])
def test_a_run_that_fails_before_publishing_leaves_the_published_rota(
        store_url, tiny_dir, monkeypatch, error, status):
    first = plan_module.plan_folder(tiny_dir, date=PLAN_DATE, time_limit_s=5, solution_limit=20,
                                    store=store_url)
    assert first.stored is not None and first.stored.published
    seen = {}

    def broken(*args, **kwargs):
        with open_store(store_url) as store:
            seen["runs"] = [(r.plan_date, r.status) for r in store.runs()]
        raise error

    monkeypatch.setattr(plan_module, "plan_with_duplicates", broken)
    with pytest.raises(type(error)):
        plan_module.plan_folder(tiny_dir, date=PLAN_DATE, time_limit_s=5, store=store_url)
    assert seen["runs"][0] == (PLAN_DATE, "running")  # recorded before planning
    with open_store(store_url) as store:
        assert _json(store.published(PLAN_DATE)) == _json(first.rota)
        assert [v.version for v in store.versions(PLAN_DATE)] == [1]
        last = store.runs()[0]
    assert last.status == status and last.finished_at is not None
    assert last.error.startswith(type(error).__name__)


def test_an_input_error_is_recorded_as_a_failed_run(store_url, tmp_path, capsys):
    assert _plan(tmp_path / "missing", tmp_path / "out", store_url) == 2
    with open_store(store_url) as store:
        run = store.runs()[0]
    assert run.status == "failed" and "does not exist" in run.error


def test_sigterm_during_the_plan_leaves_the_published_rota(tiny_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'rotas.db'}"
    assert _plan(tiny_dir, tmp_path / "first", url) == 0
    with open_store(url) as store:
        before = _json(store.published(PLAN_DATE))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "carerounds.scheduler.cli", "plan", "--inputs", str(tiny_dir),
         "--out", str(tmp_path / "second"), "--date", DATE, "--time-limit", "60", "--quiet",
         "--store", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with open_store(url) as store:
                if any(r.status == "running" for r in store.runs()):
                    break
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(1.0)  # into the search
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    with open_store(url) as store:
        assert _json(store.published(PLAN_DATE)) == before
        assert [v.version for v in store.versions(PLAN_DATE)] == [1]
        # "interrupted" once plan turns SIGTERM into an exception; "running" if it dies at once
        assert store.runs()[0].status in ("interrupted", "running")


# ---- continuity from the store ------------------------------------------------------------

def test_the_second_nights_continuity_comes_from_the_first_nights_rota(store_url, tiny_dir,
                                                                       tmp_path):
    from carerounds.scheduler.build import PlanOptions, build_problem
    from carerounds.scheduler.inputs import read_day
    from carerounds.scheduler.travel import build_travel

    assert not (tiny_dir / "history.csv").exists()
    assert _plan(tiny_dir, tmp_path / "d1", store_url, PLAN_DATE) == 0
    assert _plan(tiny_dir, tmp_path / "d2", store_url, NEXT) == 0
    first = read_rota(tmp_path / "d1" / "rota.json")
    second = json.loads((tmp_path / "d2" / "rota.json").read_text(encoding="utf-8"))
    assert first.run["history"] == "store (0 days)"
    assert second["run"]["history"] == "store (1 day)"
    with open_store(store_url) as store:
        history = continuity(store.engine, NEXT)
        runs = store.runs()
    assert history.counts == _stop_counts(first) and history.dates == (PLAN_DATE,)
    assert [r.history_source for r in runs] == ["store (1 day)", "store (0 days)"]
    # the regular carers become the preferred workers of the next day's visits
    day = read_day(tiny_dir, date=NEXT)
    built = build_problem(replace(day, history=history.counts),
                          build_travel(day), PlanOptions())
    c2 = next(j for j in built.problem.jobs if j.id == "V2")
    assert set(_stop_counts(first)["C2"]) <= c2.preferred_resources
    plain = build_problem(day, build_travel(day), PlanOptions())
    assert next(j for j in plain.problem.jobs if j.id == "V2").preferred_resources == frozenset()


def test_history_csv_wins_over_the_store(store_url, tiny_dir, tmp_path):
    (tiny_dir / "history.csv").write_text("client_id,worker_id,visits\nC2,W3,9\n",
                                          encoding="utf-8")
    assert _plan(tiny_dir, tmp_path / "d1", store_url) == 0
    assert read_rota(tmp_path / "d1" / "rota.json").run["history"] == "history.csv"


def test_the_window_is_the_28_days_before_the_plan_date(store_url):
    with open_store(store_url) as store:
        for days in (0, 1, 28, 29):
            date = PLAN_DATE - dt.timedelta(days=days)
            store.save_rota(store.start_run(date, label="x"), _hand_made_rota(date), violations=[])
        history = continuity(store.engine, PLAN_DATE)
    assert history.dates == (PLAN_DATE - dt.timedelta(days=28), PLAN_DATE - dt.timedelta(days=1))
    assert history.counts == {"C1": {"W1": 2}, "C2": {"W1": 2}}
    assert history.source == "store (2 days)"


def _write_calls(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["visit_id", "worker_id", "check_in", "check_out"])
        writer.writerows(rows)
    return path


def test_actuals_are_recorded_once_and_preferred_over_the_rota(store_url, tiny_dir, tmp_path,
                                                               capsys):
    assert _plan(tiny_dir, tmp_path / "d1", store_url) == 0
    calls = _write_calls(tmp_path / "calls.csv", [("V1", "W3", "07:40", "08:10"),
                                                  ("V3", "W3", "08:05", ""),
                                                  ("V3", "W3", "08:05", "08:40")])
    capsys.readouterr()
    args = ["actuals", "--store", store_url, "--date", DATE, "--calls", str(calls)]
    assert main(args) == 1  # missed and covered visits are exceptions
    assert "2 call(s) recorded for 2026-11-24, 0 updated, 1 already there" in capsys.readouterr().out
    assert main(["actuals", "--rota", str(tmp_path / "d1" / "rota.json"), "--store", store_url,
                 "--calls", str(calls), "--inputs", str(tiny_dir)]) == 1
    assert "0 call(s) recorded for 2026-11-24, 0 updated, 3 already there" in capsys.readouterr().out
    later = _write_calls(tmp_path / "later.csv", [("V3", "W3", "08:05", "08:45")])
    assert main(["actuals", "--store", store_url, "--date", DATE, "--calls", str(later)]) == 1
    assert "0 call(s) recorded for 2026-11-24, 1 updated, 0 already there" in capsys.readouterr().out
    with open_store(store_url) as store:
        history = continuity(store.engine, NEXT)
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(t.actuals.c.visit_id, t.actuals.c.client_id,
                                          t.actuals.c.check_out_s)
                                .order_by(t.actuals.c.visit_id)).all()
    assert [tuple(r) for r in rows] == [("V1", "C1", 8 * 3600 + 600), ("V3", "C3", 8 * 3600 + 2700)]
    assert history.counts == {"C1": {"W3": 1}, "C3": {"W3": 1}}
    assert history.actual_dates == (PLAN_DATE,)


# ---- the CLI ------------------------------------------------------------------------------

@pytest.fixture
def planned(tiny_dir, tmp_path):
    """A SQLite store with two nights planned and a re-plan of the second."""
    url = f"sqlite:///{tmp_path / 'rotas.db'}"
    assert _plan(tiny_dir, tmp_path / "d1", url, PLAN_DATE) == 0
    assert _plan(tiny_dir, tmp_path / "d2", url, NEXT) == 0
    assert _plan(tiny_dir, tmp_path / "d2b", url, NEXT, "--label", "replan 07:45") == 0
    return url


def test_plan_says_what_it_published(tiny_dir, tmp_path, capsys):
    assert _plan(tiny_dir, tmp_path / "out", str(tmp_path / "r.db")) == 0
    assert "Store: published version 1 of 2026-11-24 (night plan)" in capsys.readouterr().out


def test_store_help():
    with pytest.raises(SystemExit) as done:
        main(["store", "--help"])
    assert done.value.code == 0


def test_store_dates_lists_each_date_and_its_published_version(planned, capsys):
    capsys.readouterr()
    assert main(["store", "--store", planned, "dates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["date", "versions", "published"]
    assert lines[1].split()[:5] == [NEXT.isoformat(), "2", "2", "replan", "07:45"]
    assert lines[2].split()[:5] == [DATE, "1", "1", "night", "plan"]


def test_store_versions_shows_who_what_and_state(planned, capsys):
    capsys.readouterr()
    assert main(["store", "--store", planned, "versions", "--date", NEXT.isoformat()]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:4] == ["1", "superseded", "night", "plan"]
    assert out[2].split()[:4] == ["2", "published", "replan", "07:45"]


def test_store_runs_lists_the_newest_first_with_history_source(planned, capsys):
    capsys.readouterr()
    assert main(["store", "--store", planned, "runs", "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[1].split()[:3] == ["3", NEXT.isoformat(), "complete"]
    assert "store (1 day)" in out[1]
    assert main(["store", "--store", planned, "runs", "--limit", "0"]) == 2


def test_store_export_writes_the_usual_files(planned, tiny_dir, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["store", "--store", planned, "export", "--date", NEXT.isoformat(), "--out",
                 str(out), "--inputs", str(tiny_dir)]) == 0
    assert "Wrote rota.json, rota.csv, unplaced.csv" in capsys.readouterr().out
    assert (out / "rota.json").read_text(encoding="utf-8") == \
        (tmp_path / "d2b" / "rota.json").read_text(encoding="utf-8")
    assert (out / "rota.csv").read_text(encoding="utf-8") == \
        (tmp_path / "d2b" / "rota.csv").read_text(encoding="utf-8")
    assert (out / "unplaced.csv").read_text(encoding="utf-8") == \
        (tmp_path / "d2b" / "unplaced.csv").read_text(encoding="utf-8")
    old = tmp_path / "v1"
    assert main(["store", "--store", planned, "export", "--date", NEXT.isoformat(),
                 "--version", "1", "--out", str(old)]) == 0
    assert "need --inputs" in capsys.readouterr().out
    assert sorted(p.name for p in old.iterdir()) == ["rota.json"]
    assert main(["store", "--store", planned, "export", "--date", "2026-01-01",
                 "--out", str(old)]) == 2
    assert "no rota at all for that date" in capsys.readouterr().err


def test_store_client_shows_the_last_28_days_of_visits(planned, capsys):
    capsys.readouterr()
    assert main(["store", "--store", planned, "client", "C2"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"Client C2, 2026-10-29 to {NEXT.isoformat()} (28 days): "
                            "2 visit(s) on 2 day(s)")
    assert out.count("V2") == 4  # a double-up: two carers on each of two days
    assert "Carers: " in out


def test_store_worker_shows_planned_visits_and_clients(planned, capsys):
    capsys.readouterr()
    assert main(["store", "--store", planned, "worker", "W1", "--date", DATE, "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Worker W1, {DATE} to {DATE} (1 days): ")
    assert NEXT.isoformat() not in out
    assert "Clients: C1" in out


def test_check_store_checks_the_published_rota(planned, tiny_dir, capsys):
    capsys.readouterr()
    assert main(["check", "--inputs", str(tiny_dir), "--store", planned, "--date", DATE,
                 "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("VALID")
    assert main(["check", "--inputs", str(tiny_dir), "--store", planned, "--quiet"]) == 2
    assert "--store URL with --date" in capsys.readouterr().err


def test_a_rota_the_checker_rejects_is_not_published(tiny_dir, tmp_path, monkeypatch, capsys):
    from carerounds.scheduler.check import Violation
    from carerounds.scheduler.store import recording

    url = str(tmp_path / "r.db")
    assert _plan(tiny_dir, tmp_path / "d1", url) == 0
    monkeypatch.setattr(recording, "check_rota",
                        lambda day, rota, travel: [Violation("overlap", "worker W1", "test")])
    capsys.readouterr()
    assert _plan(tiny_dir, tmp_path / "d1b", url) == 1
    assert "NOT published: version 2" in capsys.readouterr().out
    with open_store(url) as store:
        assert _json(store.published(PLAN_DATE)) == \
            _json(read_rota(tmp_path / "d1" / "rota.json"))


# ---- without the extra --------------------------------------------------------------------

def test_a_missing_extra_names_it(monkeypatch, tiny_dir, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "alembic", None)
    with pytest.raises(MissingExtraError, match=r"carerounds\[store\]"):
        open_store(tmp_path / "r.db")
    assert _plan(tiny_dir, tmp_path / "out", str(tmp_path / "r.db")) == 3
    assert "carerounds[store]" in capsys.readouterr().err


def test_the_base_install_plans_without_importing_sqlalchemy(tiny_dir, tmp_path):
    code = ("import sys; from carerounds.scheduler.cli import main; "
            f"rc = main(['plan', '--inputs', {str(tiny_dir)!r}, '--out', {str(tmp_path)!r}, "
            f"'--date', {DATE!r}, '--time-limit', '2', '--solution-limit', '5', '--quiet']); "
            "assert rc == 0 and 'sqlalchemy' not in sys.modules, sorted(sys.modules)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_replan_from_the_store_publishes_a_new_version(store_url, tiny_dir, tmp_path, capsys):
    assert _plan(tiny_dir, tmp_path / "night", store_url) == 0
    events = tmp_path / "events.csv"
    events.write_text("event,worker_id,visit_id,at,until,minutes\n"
                      "worker_unavailable,W3,,07:00,,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["replan", "--inputs", str(tiny_dir), "--store", store_url, "--date",
                 PLAN_DATE.isoformat(), "--at", "07:00", "--events", str(events),
                 "--out", str(tmp_path / "replan"), "--time-limit", "3", "--quiet"]) == 0
    assert "Store: version 2 of 2026-11-24 published" in capsys.readouterr().out
    with open_store(store_url) as store:
        versions = store.versions(PLAN_DATE)
        published = store.published(PLAN_DATE)
    assert [(v.version, v.state, v.label) for v in versions] == [
        (1, "superseded", "night plan"), (2, "published", "replan 07:00")]
    assert published is not None and published.run["replan"]["at"] == "07:00"
