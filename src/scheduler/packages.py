"""Packages of care over a week: ``packages.csv``, dated visits from it, and the week's inputs.

A package is a client's recurring care: each row of ``packages.csv`` is one recurring
visit (a morning call, a bedtime call) on the days it lists, optionally only between a
start and an end date. :func:`read_week` reads a folder of week inputs (``providers.csv``,
``workers.csv`` whose rows may name their ``days``, ``clients.csv``, ``packages.csv`` and
optionally ``history.csv``) into a :class:`Week`; :meth:`Week.day` gives any of its days
as the :class:`~carerounds.scheduler.model.Day` the one-day planner and checker take.

Visit ids are stable: ``{package_id}-{YYYY-MM-DD}`` for a package of one row and
``{package_id}-{YYYY-MM-DD}-{k}`` for the ``k``-th row (in file order) of a package of
several, so the same visit has the same id in every plan of the week.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import InputError
from .inputs import (
    PRIORITIES,
    CsvRow,
    _records,
    read_clients,
    read_history,
    read_providers,
    read_workers,
)
from .model import Client, Day, Provider, SourceFile, Visit, Worker
from .units import WEEKDAYS, format_hhmm, parse_days

PACKAGES_FILE = "packages.csv"
#: Columns of ``packages.csv`` in contract order; ``start_date`` and ``end_date`` are optional.
PACKAGE_COLUMNS = ("package_id", "client_id", "provider_id", "days", "window_start",
                   "window_end", "duration_min", "carers", "skills", "priority", "service",
                   "tasks")
PACKAGE_OPTIONAL = ("start_date", "end_date")
#: Files a week folder needs (``history.csv`` is optional).
WEEK_FILES = ("providers.csv", "workers.csv", "clients.csv", PACKAGES_FILE)
DAYS_IN_WEEK = 7


@dataclass(frozen=True)
class PackageVisit:
    """One recurring visit of a package (a row of ``packages.csv``).

    Parameters
    ----------
    package_id : str
    number : int
        The row's place among its package's rows, from 1; 0 when the package has one row.
    client_id : str
    provider_id : str or None
        ``None`` when no provider has taken the package.
    days : frozenset of int
        Weekdays (0 Monday) the visit happens.
    window_start_s, window_end_s, service_s, carers, skills, priority, service, tasks
        As for :class:`~carerounds.scheduler.model.Visit`.
    start_date, end_date : datetime.date or None
        First and last date of the package (inclusive); ``None`` for open.
    row : int
        Line in ``packages.csv``.
    """

    package_id: str
    number: int
    client_id: str
    provider_id: str | None
    days: frozenset[int]
    window_start_s: int
    window_end_s: int
    service_s: int
    carers: int
    skills: frozenset[str]
    priority: str
    service: str
    tasks: tuple[str, ...]
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    row: int = 0

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(DAYS_IN_WEEK)):
            raise ValueError(f"package {self.package_id}: days must be weekdays 0..6")
        if self.window_end_s < self.window_start_s or self.service_s <= 0:
            raise ValueError(f"package {self.package_id}: empty window or no duration")
        if self.carers not in (1, 2) or self.priority not in PRIORITIES or self.number < 0:
            raise ValueError(f"package {self.package_id}: carers 1 or 2, a known priority")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"package {self.package_id}: ends before it starts")

    def on(self, date: dt.date) -> bool:
        """Whether the visit happens on ``date``."""
        return (date.weekday() in self.days
                and (self.start_date is None or self.start_date <= date)
                and (self.end_date is None or date <= self.end_date))

    def visit_id(self, date: dt.date) -> str:
        """The stable id of this visit on ``date``."""
        suffix = f"-{self.number}" if self.number else ""
        return f"{self.package_id}-{date.isoformat()}{suffix}"

    def visit(self, date: dt.date) -> Visit:
        """The dated visit (``row`` is the package's row in ``packages.csv``)."""
        return Visit(visit_id=self.visit_id(date), client_id=self.client_id,
                     provider_id=self.provider_id, window_start_s=self.window_start_s,
                     window_end_s=self.window_end_s, service_s=self.service_s,
                     carers=self.carers, skills=self.skills, priority=self.priority,
                     service=self.service, tasks=self.tasks, row=self.row)


def recurring_key(visit_id: str, date: dt.date) -> str:
    """A dated visit's id without its date: the recurring visit it is (``PK12`` or ``PK12-2``).

    The inverse of :meth:`PackageVisit.visit_id` up to the date, so a recurring visit's
    days can be grouped across the week.
    """
    return visit_id.replace(f"-{date.isoformat()}", "", 1)


def _package_days(row: CsvRow) -> frozenset[int] | None:
    """The ``days`` of a package row (``Mon;Tue`` or ``daily``); None when blank."""
    value = row.text("days", required=False)
    if not value:
        return None
    try:
        return parse_days(value)
    except ValueError as exc:
        raise row.error("days", str(exc)) from None


def _date(row: CsvRow, field: str) -> dt.date | None:
    value = row.text(field, required=False)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise row.error(field, f"{value!r} is not a date; use YYYY-MM-DD") from None


def _package_row(row: CsvRow, clients: Mapping[str, Client],
                 providers: Mapping[str, Provider]) -> PackageVisit:
    pid = row.ident("package_id")
    cid = row.ident("client_id")
    if cid not in clients:
        raise row.error("client_id", f"unknown client {cid!r}; add it to clients.csv")
    provider = row.ident("provider_id", required=False) or None
    if provider is not None and provider not in providers:
        raise row.error("provider_id", f"unknown provider {provider!r}; add it to providers.csv "
                                       "or leave it blank for a package no provider has taken")
    days = _package_days(row)
    if days is None:
        raise row.error("days", "is empty; write the days of the visit, e.g. Mon;Wed;Fri or "
                                "daily")
    start, end = row.time_s("window_start"), row.time_s("window_end")
    if end < start:
        raise row.error("window_end", "window ends before it starts")
    first, last = _date(row, "start_date"), _date(row, "end_date")
    if first and last and last < first:
        raise row.error("end_date", f"{last.isoformat()} is before start_date "
                                    f"{first.isoformat()}")
    duration = row.whole("duration_min", low=1, high=24 * 60)
    carers = row.whole("carers", low=1, high=2)
    assert duration is not None and carers is not None  # required fields
    return PackageVisit(
        package_id=pid, number=0, client_id=cid, provider_id=provider, days=days,
        window_start_s=start, window_end_s=end, service_s=duration * 60, carers=carers,
        skills=frozenset(s.lower() for s in row.items("skills")),
        priority=row.choice("priority", PRIORITIES, required=False) or "normal",
        service=row.text("service", required=False).lower() or "unspecified",
        tasks=row.items("tasks"), start_date=first, end_date=last, row=row.line)


def read_packages(folder: Path, clients: Mapping[str, Client],
                  providers: Mapping[str, Provider]) -> tuple[SourceFile, tuple[PackageVisit, ...]]:
    """Read ``packages.csv``: one row per recurring visit of a package.

    Every row of one ``package_id`` must be for the same client and provider (a package
    is one client's care from one provider); rows are numbered in file order.

    Raises
    ------
    InputError
        Naming file, row and field of the first problem.
    """
    source, rows = _records(folder, PACKAGES_FILE, id_field="package_id",
                            required=PACKAGE_COLUMNS)
    read: list[PackageVisit] = []
    first: dict[str, PackageVisit] = {}
    for row in rows:
        visit = _package_row(row, clients, providers)
        head = first.setdefault(visit.package_id, visit)
        if (head.client_id, head.provider_id) != (visit.client_id, visit.provider_id):
            field = "client_id" if head.client_id != visit.client_id else "provider_id"
            raise row.error(field, f"package {visit.package_id!r} is for client "
                                   f"{head.client_id!r} with provider "
                                   f"{head.provider_id or '(none)'} on row {head.row}; a package "
                                   "is one client's care from one provider: give this visit "
                                   "its own package_id")
        read.append(visit)
    sizes = Counter(v.package_id for v in read)
    seen: Counter[str] = Counter()
    numbered = []
    for visit in read:
        seen[visit.package_id] += 1
        number = seen[visit.package_id] if sizes[visit.package_id] > 1 else 0
        numbered.append(PackageVisit(**{**visit.__dict__, "number": number}))
    return source, tuple(numbered)


def expand(packages: Iterable[PackageVisit], date: dt.date) -> tuple[Visit, ...]:
    """The dated visits of ``date``, in ``packages.csv`` order.

    Raises
    ------
    InputError
        When two packages would give one visit id (rename one of them).
    """
    visits = []
    seen: dict[str, int] = {}
    for package in packages:
        if not package.on(date):
            continue
        visit = package.visit(date)
        if visit.visit_id in seen:
            raise InputError(f"visit id {visit.visit_id!r} comes from this row and row "
                             f"{seen[visit.visit_id]}; rename one of the packages",
                             file=PACKAGES_FILE, row=package.row, field="package_id")
        seen[visit.visit_id] = package.row
        visits.append(visit)
    return tuple(visits)


@dataclass(frozen=True)
class Week:
    """Seven days of inputs from ``start``: workers with their days, clients, packages.

    ``workers`` hold every shift of the week (each with its ``days``);
    :meth:`day` gives one date's :class:`Day` with only that day's shifts and visits.
    """

    start: dt.date
    providers: tuple[Provider, ...]
    workers: tuple[Worker, ...]
    clients: tuple[Client, ...]
    packages: tuple[PackageVisit, ...]
    sources: tuple[SourceFile, ...] = ()
    history: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.start, dt.date):
            raise TypeError("start must be a datetime.date")

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """The seven dates of the week, in order."""
        return tuple(self.start + dt.timedelta(days=k) for k in range(DAYS_IN_WEEK))

    @cached_property
    def worker_by_id(self) -> dict[str, Worker]:
        """Workers keyed by id (every shift of the week)."""
        return {w.worker_id: w for w in self.workers}

    @cached_property
    def client_by_id(self) -> dict[str, Client]:
        """Clients keyed by id."""
        return {c.client_id: c for c in self.clients}

    def package_of(self, visit_id: str, date: dt.date) -> PackageVisit | None:
        """The recurring visit a dated visit id comes from (``None`` if none)."""
        return self._by_key.get(recurring_key(visit_id, date))

    @cached_property
    def _by_key(self) -> dict[str, PackageVisit]:
        probe = self.start
        return {recurring_key(p.visit_id(probe), probe): p for p in self.packages}

    def day(self, date: dt.date) -> Day:
        """One date of the week as a :class:`Day`: its shifts and its packages' visits."""
        if date not in self.dates:
            raise InputError(f"{date.isoformat()} is not in the week of "
                             f"{self.start.isoformat()} to {self.dates[-1].isoformat()}",
                             field="date")
        workers = tuple(w for w in (worker.on(date) for worker in self.workers) if w is not None)
        return Day(date=date, providers=self.providers, workers=workers, clients=self.clients,
                   visits=expand(self.packages, date), sources=self.sources,
                   history=self.history)

    def whole(self) -> Day:
        """Every worker and client of the week in one :class:`Day` (for travel over all homes)."""
        return Day(date=self.start, providers=self.providers, workers=self.workers,
                   clients=self.clients, visits=(), sources=self.sources, history=self.history)


def read_week(folder: str | Path, *, start: dt.date) -> Week:
    """Read a folder of week inputs into a validated :class:`Week` starting on ``start``.

    Parameters
    ----------
    folder : str or Path
        Holds ``providers.csv``, ``workers.csv`` (rows may name their ``days`` and
        workers their ``contract_hours_week`` and ``max_hours_week``), ``clients.csv``,
        ``packages.csv`` and optionally ``history.csv``.
    start : datetime.date
        The first of the seven days planned.

    Raises
    ------
    InputError
        Naming the file, row and field of the first problem found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"input folder {str(folder)!r} does not exist or is not a folder")
    if not (folder / PACKAGES_FILE).exists():
        raise InputError(f"file not found in {folder.name or folder}/; a week is planned from "
                         f"{', '.join(WEEK_FILES)} (write one with carerounds sample --size "
                         "week)", file=PACKAGES_FILE)
    psrc, providers = read_providers(folder)
    by_provider = {p.provider_id: p for p in providers}
    wsrc, workers = read_workers(folder, by_provider)
    by_worker = {w.worker_id: w for w in workers}
    csrc, clients = read_clients(folder, by_worker)
    by_client = {c.client_id: c for c in clients}
    ksrc, packages = read_packages(folder, by_client, by_provider)
    hsrc, history = read_history(folder, by_client, by_worker)
    sources = tuple(s for s in (psrc, wsrc, csrc, ksrc, hsrc) if s is not None)
    week = Week(start=start, providers=providers, workers=workers, clients=clients,
                packages=packages, sources=sources, history=history)
    for date in week.dates:
        expand(packages, date)  # two packages giving one visit id fail here, not mid-plan
    return week


VISIT_COLUMNS = ("visit_id", "client_id", "provider_id", "window_start", "window_end",
                 "duration_min", "carers", "skills", "priority", "service", "tasks")


def write_day_folder(week: Week, folder: Path, date: dt.date, out_dir: Path) -> list[Path]:
    """Write one date of a week as a one-day input folder ``carerounds plan`` reads.

    ``providers.csv``, ``workers.csv`` (its ``days`` tell :func:`read_day` which shifts
    are worked on the date), ``clients.csv`` and ``history.csv`` are copied; ``visits.csv``
    holds the date's visits of the packages, with their stable ids. Plan the folder with
    ``--date`` set to ``date``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("providers.csv", "workers.csv", "clients.csv", "history.csv"):
        if (folder / name).exists():
            (out_dir / name).write_bytes((folder / name).read_bytes())
            written.append(out_dir / name)
    with (out_dir / "visits.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(VISIT_COLUMNS)
        for v in week.day(date).visits:
            writer.writerow([v.visit_id, v.client_id, v.provider_id or "",
                             format_hhmm(v.window_start_s), format_hhmm(v.window_end_s),
                             v.service_s // 60, v.carers, ";".join(sorted(v.skills)),
                             v.priority, v.service, "; ".join(v.tasks)])
    written.append(out_dir / "visits.csv")
    return written


__all__ = ["PACKAGE_COLUMNS", "PACKAGES_FILE", "WEEKDAYS", "PackageVisit", "Week", "expand",
           "read_packages", "read_week", "recurring_key", "write_day_folder"]
