"""One plan run in the store: ``running`` at start, the rota saved (and published) at the end.

:class:`RunRecorder` is a context manager: entering records the run; :meth:`use_history`
fills a day's continuity from the store when it has no ``history.csv``; :meth:`save`
checks the rota with :func:`carerounds.scheduler.check.check_rota` and saves it,
published only when it passed. Leaving by an exception marks the run ``failed``, or
``interrupted`` for ``KeyboardInterrupt``, ``SystemExit`` and other non-``Exception``
signals, and the published rota of the date stays as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..check import check_rota
from ..inputs import HISTORY_FILE
from ..model import Day
from .history import HISTORY_DAYS, continuity
from .repository import RotaStore, SavedRota

if TYPE_CHECKING:
    from ..plan import PlanResult


def default_label(store: RotaStore, plan_date: dt.date, *, when: dt.datetime | None = None) -> str:
    """``night plan`` for a date's first rota, ``replan HH:MM`` (local time) after that."""
    if not store.versions(plan_date):
        return "night plan"
    return f"replan {(when or dt.datetime.now()).strftime('%H:%M')}"


class RunRecorder:
    """Record a plan run in a store (use as ``with RunRecorder(...) as run:``).

    Parameters
    ----------
    store : RotaStore
    plan_date : datetime.date
    label : str, optional
        Who or what runs it, e.g. ``night plan`` or ``replan 07:45``; default
        :func:`default_label`.
    parameters : mapping, optional
        The settings asked for (recorded at start; the run record replaces them).
    history_days : int, default 28
        The continuity window read from the store.
    close_store : bool, default False
        Close ``store`` when the run ends (the recorder opened it).
    """

    def __init__(self, store: RotaStore, plan_date: dt.date, *, label: str | None = None,
                 parameters: Mapping[str, Any] | None = None,
                 history_days: int = HISTORY_DAYS, close_store: bool = False) -> None:
        self.store = store
        self.plan_date = plan_date
        self.label = label or default_label(store, plan_date)
        self.parameters = dict(parameters or {})
        self.history_days = history_days
        self.close_store = close_store
        self.run_id: int | None = None
        self.history_source: str | None = None
        self.saved: SavedRota | None = None
        #: The signal that stopped the search, when the run ends without saving.
        self.stopped_by: str | None = None
        self.violations: list = []

    def __enter__(self) -> RunRecorder:
        self.run_id = self.store.start_run(self.plan_date, label=self.label,
                                           parameters=self.parameters)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._finish(kind, exc)
        finally:
            if self.close_store:
                self.store.close()

    def _finish(self, kind: type[BaseException] | None, exc: BaseException | None) -> None:
        if self.run_id is None or self.saved is not None:
            return
        if kind is None and self.stopped_by:
            status, error = "interrupted", f"stopped by {self.stopped_by} before its rota was saved"
        elif kind is None:
            status, error = "failed", "the run ended before its rota was saved"
        else:
            status = "failed" if issubclass(kind, Exception) else "interrupted"
            error = f"{kind.__name__}: {exc}" if str(exc) else kind.__name__
        try:
            self.store.finish_run(self.run_id, status, error=error)
        except Exception:  # the run's own error is the one to report
            if kind is None:
                raise

    def use_history(self, day: Day) -> Day:
        """The day with continuity from the store, unless it has ``history.csv``.

        Records which source was used in :attr:`history_source` (``history.csv`` or
        ``store (N days)``).
        """
        if any(s.name == HISTORY_FILE for s in day.sources):
            self.history_source = HISTORY_FILE
            return day
        found = continuity(self.store.engine, day.date, days=self.history_days)
        self.history_source = found.source
        return replace(day, history=found.counts)

    def save(self, result: PlanResult) -> SavedRota:
        """Check the plan's rota and save it; it is published only when the check passed."""
        if self.run_id is None:
            raise RuntimeError("save() is for inside 'with RunRecorder(...)'")
        self.violations = check_rota(result.day, result.rota, result.travel)
        clients = {v.visit_id: v.client_id for v in result.day.visits}
        self.saved = self.store.save_rota(self.run_id, result.rota, violations=self.violations,
                                          clients=clients, label=self.label)
        return self.saved

    def describe(self) -> str:
        """One line on where the rota went: published, or kept unpublished and why."""
        saved = self.saved
        if saved is None:
            return f"Store: run {self.run_id} saved no rota"
        where = f"version {saved.version} of {saved.plan_date.isoformat()} ({self.label})"
        if saved.published:
            return f"Store: published {where} in {self.store.url}"
        return (f"Store: NOT published: {where} has {saved.violations} violation(s); the "
                f"published rota is unchanged. First: {self.violations[0]}")
