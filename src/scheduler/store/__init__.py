"""The rota store: every run, every rota version and the actuals, in SQLite or PostgreSQL.

Needs the ``store`` extra (``pip install 'carerounds[store]'``; PostgreSQL also
``carerounds[postgres]``). Importing this package needs neither; :func:`open_store`
raises :class:`carerounds.errors.MissingExtraError` naming the extra when one is missing.

- :func:`open_store` opens a store by URL or path and migrates it (Alembic ``upgrade head``);
- :class:`~carerounds.scheduler.store.repository.RotaStore` records runs, saves and
  publishes rotas, lists dates, versions and runs, and records actuals;
- :class:`~carerounds.scheduler.store.recording.RunRecorder` records one plan run
  around the planning (``running`` first, published only after the checker passed);
- :func:`~carerounds.scheduler.store.history.continuity` gives the 28-day continuity
  history the planner uses when the inputs have no ``history.csv``.

See ``docs/store.md`` for the schema, the publishing rules and reporting queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._optional import require

if TYPE_CHECKING:
    from ..model import Day
    from ..plan import PlanResult
    from .recording import RunRecorder
    from .repository import RotaStore

#: The extras a store needs, for messages.
STORE_PURPOSE = "the rota store (--store)"


def open_store(url: str | Path) -> RotaStore:
    """Open the store at a SQLAlchemy URL or a SQLite file path, migrated to the newest schema.

    Parameters
    ----------
    url : str or Path
        ``sqlite:///rotas.db``, ``postgresql://user@host/db``,
        ``postgresql+psycopg://user:password@host:5432/db``, or a path (SQLite).

    Raises
    ------
    MissingExtraError
        When SQLAlchemy or Alembic (``carerounds[store]``) or, for PostgreSQL, psycopg
        (``carerounds[postgres]``) is not installed.
    InputError
        For a URL that is not one the store supports.
    StoreError
        When the database cannot be reached or has a newer schema.
    """
    require("sqlalchemy", purpose=STORE_PURPOSE)
    require("alembic", purpose=STORE_PURPOSE)
    from .connect import connect
    from .repository import RotaStore

    return RotaStore(connect(url))


class NoRecorder:
    """Stands in for :class:`~carerounds.scheduler.store.recording.RunRecorder` without a store.

    Records nothing and leaves the day as it is, so ``plan`` runs one way with or
    without ``--store`` (and without the ``store`` extra installed).
    """

    run_id = None
    plan_date = None
    history_source: str | None = None
    saved = None
    stopped_by: str | None = None

    def __enter__(self) -> NoRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def use_history(self, day: Day) -> Day:
        """The day unchanged."""
        return day

    def save(self, result: PlanResult) -> None:
        """Nothing to save."""
        return None


def recorder(url: str | Path | None, plan_date: dt.date | None, *, label: str | None = None,
             parameters: Mapping[str, Any] | None = None) -> RunRecorder | NoRecorder:
    """A recorder for one plan run: on the store at ``url``, or a :class:`NoRecorder` without one.

    With a store the plan date is needed when the run starts: ``plan_date``, or
    tomorrow (the planner's default). The recorder closes the store it opened.
    """
    if not url:
        return NoRecorder()
    from .recording import RunRecorder

    return RunRecorder(open_store(url), plan_date or dt.date.today() + dt.timedelta(days=1),
                       label=label, parameters=parameters, close_store=True)
