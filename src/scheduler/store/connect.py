"""From ``--store`` to a migrated database: URLs, engines and Alembic's ``upgrade head``.

A store is a SQLAlchemy URL (``sqlite:///rotas.db``, ``postgresql://user@host/db``,
``postgresql+psycopg://...``) or a plain file path, which means SQLite. Opening runs
the packaged migrations up to the newest revision, under a lock on PostgreSQL so two
runs opening a new database at once do not both create it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ..._optional import require
from ...errors import CareroundsError, InputError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: pg_advisory_xact_lock key held while migrating (any constant unique to carerounds).
MIGRATION_LOCK = 0x0CA2E20D
BACKENDS = ("sqlite", "postgresql")
_EXAMPLES = "sqlite:///rotas.db, postgresql://user@host/db or a file path such as rotas.db"


class StoreError(CareroundsError, RuntimeError):
    """The store cannot be reached, or its schema is not one this version knows."""


def store_url(value: str | Path) -> URL:
    """The SQLAlchemy URL meant by ``--store``: a URL as given, or a path for SQLite.

    ``postgresql://`` and ``postgres://`` use psycopg 3 (the ``postgres`` extra).

    Raises
    ------
    InputError
        For an empty value, an unsupported backend, an in-memory SQLite database (it
        would forget every rota on exit) or a SQLite file in a folder that does not exist.
    """
    text = str(value).strip()
    if not text:
        raise InputError(f"is empty; give {_EXAMPLES}", field="--store")
    if "://" not in text:
        return _sqlite_url(Path(text).expanduser(), text)
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        raise InputError(f"{_redact(text)!r} is not a database URL; use {_EXAMPLES}",
                         field="--store") from None
    backend = url.get_backend_name()
    if backend == "postgres":
        url, backend = url.set(drivername="postgresql+psycopg"), "postgresql"
    if backend == "postgresql" and "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")
    if backend not in BACKENDS:
        raise InputError(f"{backend!r} databases are not supported; use SQLite or PostgreSQL "
                         f"({_EXAMPLES})", field="--store")
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InputError("an in-memory SQLite store forgets every rota when the command "
                             "ends; name a file, e.g. sqlite:///rotas.db", field="--store")
        return _sqlite_url(Path(url.database).expanduser(), text)
    return url


def _redact(text: str) -> str:
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", text)


def _sqlite_url(path: Path, given: str) -> URL:
    if path.is_dir():
        raise InputError(f"{given!r} is a folder; name the database file, e.g. "
                         f"{path / 'rotas.db'}", field="--store")
    if not path.parent.is_dir():
        raise InputError(f"the folder of {given!r} does not exist; create it or use another "
                         "path", field="--store")
    return URL.create("sqlite", database=str(path.resolve()))


def display_url(url: URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    return url.render_as_string(hide_password=True)


def create_engine(url: URL) -> sa.Engine:
    """An engine for the store; SQLite gets foreign keys, WAL and one writer at a time.

    Every SQLite transaction starts with ``BEGIN IMMEDIATE``, so two writers (a night
    plan and a coordinator recording actuals) queue for up to 30 s instead of failing
    half-way.
    """
    if url.get_backend_name() == "postgresql":
        require("psycopg", purpose="a PostgreSQL rota store")
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below starts each one
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine) -> str:
    """Upgrade the store's schema to the newest revision (``upgrade head``); return it.

    Raises
    ------
    StoreError
        When the database cannot be reached, or was migrated by a newer carerounds.
    """
    require("alembic", purpose="the rota store's migrations")
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    where = display_url(engine.url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
            config = _alembic_config(connection)
            head = ScriptDirectory.from_config(config).get_current_head()
            current = MigrationContext.configure(connection).get_current_revision()
            if current != head:
                command.upgrade(config, "head")
            return str(head)
    except CommandError as exc:
        raise StoreError(f"the store at {where} has a schema this carerounds does not know "
                         f"({exc}); it was probably migrated by a newer version: upgrade "
                         "carerounds") from None
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot open the store at {where}: {exc.orig}; check that the "
                         "database server is running and the URL's user, password, host and "
                         "database are right") from None


def connect(value: str | Path | URL) -> sa.Engine:
    """An engine on the store named by ``value``, its schema migrated to the newest revision."""
    url = value if isinstance(value, URL) else store_url(value)
    engine = create_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
