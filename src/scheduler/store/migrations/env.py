"""Alembic environment: migrate the connection the store hands over, or ``-x url=URL``.

The store runs ``upgrade head`` itself on open (:func:`carerounds.scheduler.store.connect.migrate`).
To add a revision, point an ``alembic.ini`` at this folder (``script_location``) and run
``alembic -x url=sqlite:///scratch.db upgrade head`` then
``alembic -x url=sqlite:///scratch.db revision --autogenerate -m "what changed"``; review it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from carerounds.scheduler.store.schema import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Upgrade the handed-over connection, or connect to ``-x url=`` / ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") \
        or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass -x url=URL or set sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


run_migrations()
