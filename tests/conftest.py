"""Shared fixtures: a tiny hand-made day of inputs, and the location of ../shared."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PLAN_DATE = dt.date(2026, 11, 24)

TINY_DAY: dict[str, list[dict[str, str]]] = {
    "providers.csv": [
        {"provider_id": "P1", "name": "Midlothian Council Care at Home", "kind": "in_house"},
        {"provider_id": "P2", "name": "Esk Valley Care & Support", "kind": "independent"},
    ],
    "workers.csv": [
        {"worker_id": "W1", "provider_id": "P1", "name": "Ann Test", "gender": "female",
         "home_lat": "55.8950", "home_lon": "-3.0680", "shift_start": "07:00",
         "shift_end": "12:00", "skills": "medication;hoist", "travel_mode": "drive",
         "max_hours": ""},
        {"worker_id": "W1", "provider_id": "P1", "name": "Ann Test", "gender": "female",
         "home_lat": "55.8950", "home_lon": "-3.0680", "shift_start": "16:00",
         "shift_end": "20:00", "skills": "medication;hoist", "travel_mode": "drive",
         "max_hours": ""},
        {"worker_id": "W2", "provider_id": "P1", "name": "Bob Test", "gender": "male",
         "home_lat": "55.8730", "home_lon": "-3.1050", "shift_start": "07:00",
         "shift_end": "12:00", "skills": "hoist", "travel_mode": "drive", "max_hours": ""},
        {"worker_id": "W3", "provider_id": "P2", "name": "Cat Test", "gender": "female",
         "home_lat": "55.8260", "home_lon": "-3.2200", "shift_start": "07:00",
         "shift_end": "12:00", "skills": "dementia", "travel_mode": "drive", "max_hours": "4"},
    ],
    "clients.csv": [
        {"client_id": "C1", "name": "Dora O'Neill", "address": "1 High Street, Dalkeith",
         "postcode": "EH22 1AA", "lat": "55.8960", "lon": "-3.0650", "area": "Dalkeith",
         "gender_preference": "female", "preferred_workers": "W1", "excluded_workers": "W2",
         "notes": "Key safe 1234"},
        {"client_id": "C2", "name": "Ewan Test", "address": "2 Main Street, Bonnyrigg",
         "postcode": "EH19 2BB", "lat": "55.8740", "lon": "-3.1020", "area": "Bonnyrigg",
         "gender_preference": "", "preferred_workers": "", "excluded_workers": "",
         "notes": ""},
        {"client_id": "C3", "name": "Fay Test", "address": "3 Bridge Street, Penicuik",
         "postcode": "EH26 8CC", "lat": "55.8270", "lon": "-3.2180", "area": "Penicuik",
         "gender_preference": "", "preferred_workers": "", "excluded_workers": "",
         "notes": "Dog in kitchen"},
    ],
    "visits.csv": [
        {"visit_id": "V1", "client_id": "C1", "provider_id": "P1", "window_start": "07:30",
         "window_end": "08:30", "duration_min": "30", "carers": "1", "skills": "medication",
         "priority": "critical", "service": "integrated", "tasks": "personal care;medication"},
        {"visit_id": "V2", "client_id": "C2", "provider_id": "P1", "window_start": "09:00",
         "window_end": "10:00", "duration_min": "45", "carers": "2", "skills": "hoist",
         "priority": "normal", "service": "adult_disability", "tasks": "hoist transfer"},
        {"visit_id": "V3", "client_id": "C3", "provider_id": "P2", "window_start": "08:00",
         "window_end": "09:00", "duration_min": "30", "carers": "1", "skills": "dementia",
         "priority": "high", "service": "mental_health", "tasks": "personal care"},
        {"visit_id": "V4", "client_id": "C1", "provider_id": "P1", "window_start": "17:00",
         "window_end": "18:00", "duration_min": "15", "carers": "1", "skills": "medication",
         "priority": "normal", "service": "integrated", "tasks": "medication prompt"},
        {"visit_id": "V5", "client_id": "C3", "provider_id": "", "window_start": "10:00",
         "window_end": "11:00", "duration_min": "30", "carers": "1", "skills": "",
         "priority": "normal", "service": "hospital_discharge", "tasks": "meal preparation"},
    ],
}


def write_day(folder: Path, tables: dict[str, list[dict[str, str]]] | None = None) -> Path:
    """Write a day of input CSV files (default: the tiny day) and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables or TINY_DAY).items():
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


def tiny_tables() -> dict[str, list[dict[str, str]]]:
    """A deep copy of the tiny day, to change one field in a test."""
    return {name: [dict(r) for r in rows] for name, rows in TINY_DAY.items()}


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A folder holding the tiny valid day."""
    return write_day(tmp_path / "inputs")


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the project root; skips the test when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the project root (real data not available)")
    return SHARED


#: A PostgreSQL server for the rota store tests (``.ci/run`` sets it up), e.g.
#: ``postgresql+psycopg://carerounds:carerounds@127.0.0.1:5432/carerounds_test``.
POSTGRES_ENV = "CARE_TEST_POSTGRES_URL"


def _postgres_schema_url(base: str, schema: str) -> str:
    """``base`` with every connection's search_path set to ``schema`` (one schema per test)."""
    import sqlalchemy as sa

    url = sa.make_url(base)
    if "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path):
    """A rota store URL: a SQLite file, then a fresh schema on ``$CARE_TEST_POSTGRES_URL``.

    The PostgreSQL case skips with the reason when the variable is unset, the server
    is unreachable or psycopg is not installed; each test gets its own schema, dropped
    afterwards.
    """
    pytest.importorskip("sqlalchemy", reason="the rota store needs carerounds[store]")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rotas.db'}"
        return
    import os
    import uuid

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server for the store tests "
                    "(.ci/run starts one)")
    pytest.importorskip("psycopg", reason="PostgreSQL tests need carerounds[postgres]")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_postgres_schema_url(base, "public"),
                             connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc.orig}")
    try:
        yield _postgres_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
