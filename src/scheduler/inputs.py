"""Read and validate a day's input CSV files into the care domain model.

Every file goes through the project's one CSV reader
(:func:`carerounds.scheduler.csvtable.read_table`), which refuses unclosed quotes,
duplicated columns, over-long fields, lax numerals and NUL bytes, and never echoes
personal data; every rejection is one :class:`~carerounds.errors.InputError` naming the
file, the row and the field.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from .csvtable import (
    GENDER_SPELLINGS,
    MAX_FIELD_CHARS,
    MAX_FILE_BYTES,
    MAX_ID_CHARS,
    MAX_VALUE_CHARS,
    MULTILINE_COLUMNS,
    TEXT_LIMITS,
    CsvRow,
    CsvTable,
    read_file_bytes,
    read_table,
    shown,
)
from .model import (
    PRIORITIES,
    PROVIDER_KINDS,
    TRAVEL_MODES,
    Client,
    Day,
    Provider,
    Shift,
    SourceFile,
    Visit,
    Worker,
)
from .units import format_days, parse_days

__all__ = ["COLUMNS", "GENDER_SPELLINGS", "HISTORY_COLUMNS", "HISTORY_FILE", "MAX_FIELD_CHARS",
           "MAX_FILE_BYTES", "MAX_ID_CHARS", "MAX_VALUE_CHARS", "MULTILINE_COLUMNS",
           "OPTIONAL_COLUMNS", "TEXT_LIMITS", "CsvRow", "CsvTable", "read_clients", "read_day",
           "read_file_bytes", "read_history", "read_providers", "read_table", "read_visits",
           "read_workers", "shown"]

#: Columns every file must have, in contract order; optional columns are read when present.
COLUMNS: dict[str, tuple[str, ...]] = {
    "providers.csv": ("provider_id", "name", "kind"),
    "workers.csv": ("worker_id", "provider_id", "name", "gender", "home_lat", "home_lon",
                    "shift_start", "shift_end", "skills", "travel_mode"),
    "clients.csv": ("client_id", "name", "address", "postcode", "lat", "lon", "area",
                    "gender_preference", "preferred_workers", "excluded_workers", "notes"),
    "visits.csv": ("visit_id", "client_id", "provider_id", "window_start", "window_end",
                   "duration_min", "carers", "skills", "priority", "service", "tasks"),
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "workers.csv": ("max_hours", "days", "contract_hours_week", "max_hours_week")}
HISTORY_FILE = "history.csv"
HISTORY_COLUMNS = ("client_id", "worker_id", "visits")

def _records(folder: Path, name: str, *, id_field: str, required: tuple[str, ...],
             optional: tuple[str, ...] = ()) -> tuple[SourceFile, Iterator[CsvRow]]:
    table = read_table(folder / name, required=required, id_field=id_field, optional=optional,
                       not_found=f"file not found in {folder.name or folder}/; every day needs "
                                 f"{', '.join(COLUMNS)}")
    return table.source, iter(table.rows)


def _check_unique(seen: dict[str, int], row: CsvRow, field: str, value: str) -> None:
    if value in seen:
        raise row.error(field, f"duplicate id {shown(value)} (first on row {seen[value]})")
    seen[value] = row.line


def read_providers(folder: Path) -> tuple[SourceFile, tuple[Provider, ...]]:
    """Read ``providers.csv``: ``provider_id, name, kind``."""
    source, rows = _records(folder, "providers.csv", id_field="provider_id",
                            required=COLUMNS["providers.csv"])
    seen: dict[str, int] = {}
    providers = []
    for row in rows:
        pid = row.ident("provider_id")
        _check_unique(seen, row, "provider_id", pid)
        kind = row.choice("kind", PROVIDER_KINDS)
        assert kind is not None  # required
        providers.append(Provider(pid, row.text("name"), kind))
    return source, tuple(providers)


#: Worker details every split-shift row must repeat, in the order they are compared.
_WORKER_DETAILS = ("provider_id", "name", "gender", "home_lat", "home_lon", "skills",
                   "travel_mode", "max_hours")


def _worker_details(worker: Worker) -> tuple[object, ...]:
    return (worker.provider_id, worker.name, worker.gender, worker.home_lat, worker.home_lon,
            worker.skills, worker.travel_mode, worker.max_work_s)


def _max_work_s(row: CsvRow) -> int | None:
    hours = row.number("max_hours", required=False)
    if hours is None:
        return None
    if not 0 < hours <= 24:
        raise row.error("max_hours", f"{row.shown_value('max_hours')} is outside 0..24 hours")
    return int(round(hours * 3600))


def _days(row: CsvRow) -> frozenset[int] | None:
    """The optional ``days`` of a shift row (``Mon;Tue``, ``daily``); None when blank."""
    value = row.text("days", required=False)
    if not value:
        return None
    try:
        return parse_days(value)
    except ValueError as exc:
        raise row.error("days", str(exc)) from None


def _week_hours_s(row: CsvRow, field: str) -> int | None:
    """An optional number of hours a week in ``(0, 168]``, as whole seconds."""
    hours = row.number(field, required=False)
    if hours is None:
        return None
    if not 0 < hours <= 168:
        raise row.error(field, f"{row.shown_value(field)} is outside 0..168 hours")
    return int(round(hours * 3600))


def _worker(row: CsvRow, providers: dict[str, Provider]) -> Worker:
    wid = row.ident("worker_id")
    pid = row.ident("provider_id")
    if pid not in providers:
        raise row.error("provider_id", f"unknown provider {shown(pid)}; add it to providers.csv")
    start, end = row.time_s("shift_start"), row.time_s("shift_end")
    if end <= start:
        raise row.error("shift_end", "shift ends before it starts (overnight shifts: "
                                     "split them at midnight)")
    lat, lon = row.coordinate("home_lat", "home_lon")
    gender, mode = row.gender("gender"), row.choice("travel_mode", TRAVEL_MODES)
    assert gender is not None and mode is not None  # required
    return Worker(
        worker_id=wid, provider_id=pid, name=row.text("name"), gender=gender, home_lat=lat,
        home_lon=lon, shifts=(Shift(start, end, row.line, _days(row)),),
        skills=frozenset(s.lower() for s in row.items("skills")), travel_mode=mode,
        max_work_s=_max_work_s(row), row=row.line,
        contract_week_s=_week_hours_s(row, "contract_hours_week"),
        max_week_s=_week_hours_s(row, "max_hours_week"))


def read_workers(folder: Path, providers: dict[str, Provider],
                 known_skills: Callable[[str], bool] | None = None
                 ) -> tuple[SourceFile, tuple[Worker, ...]]:
    """Read ``workers.csv``; several rows with one ``worker_id`` are that worker's shifts.

    Every row of a worker must repeat the same details (provider, name, gender, home,
    skills, travel mode and ``max_hours``) and its shifts must not overlap on a day both
    are worked. Optional columns: ``max_hours`` (a day), ``days`` (the weekdays a row's
    shift is worked, blank for every day), ``contract_hours_week`` and ``max_hours_week``
    (given once per worker, or the same on every row).
    """
    source, rows = _records(folder, "workers.csv", id_field="worker_id",
                            required=COLUMNS["workers.csv"],
                            optional=OPTIONAL_COLUMNS["workers.csv"])
    workers: dict[str, Worker] = {}
    for row in rows:
        worker = _worker(row, providers)
        wid = worker.worker_id
        first = workers.get(wid)
        if first is None:
            workers[wid] = worker
            continue
        for field, was, now in zip(_WORKER_DETAILS, _worker_details(first),
                                   _worker_details(worker)):
            if was != now:
                raise row.error(field, f"worker {shown(wid)} appears again (first on row "
                                       f"{first.row}) with a different {field}; a worker's "
                                       "extra rows are split shifts and must repeat the same "
                                       "details")
        workers[wid] = _add_shift(first, worker, row)
    return source, tuple(workers.values())


def _add_shift(first: Worker, worker: Worker, row: CsvRow) -> Worker:
    """A worker's further row: another shift, with one weekly figure per worker."""
    for name, field in (("contract_week_s", "contract_hours_week"),
                        ("max_week_s", "max_hours_week")):
        mine, theirs = getattr(worker, name), getattr(first, name)
        if mine is not None and theirs is not None and mine != theirs:
            raise row.error(field, f"differs from the worker's row {first.row}; a worker has "
                                   "one weekly figure (leave it blank on extra rows)")
    new = worker.shifts[0]
    for shift in first.shifts:
        common = (set(range(7)) if shift.days is None else shift.days) & \
            (set(range(7)) if new.days is None else new.days)
        if common and new.start_s < shift.end_s and shift.start_s < new.end_s:
            on = "" if len(common) == 7 else f" on {format_days(frozenset(common))}"
            raise row.error("shift_start", f"shift overlaps the worker's shift on row "
                                           f"{shift.row}{on}")
    shifts = tuple(sorted(first.shifts + worker.shifts, key=lambda s: s.start_s))
    return replace(first, shifts=shifts,
                   contract_week_s=first.contract_week_s or worker.contract_week_s,
                   max_week_s=first.max_week_s or worker.max_week_s)


def read_clients(folder: Path, workers: dict[str, Worker]) -> tuple[SourceFile, tuple[Client, ...]]:
    """Read ``clients.csv``."""
    source, rows = _records(folder, "clients.csv", id_field="client_id",
                            required=COLUMNS["clients.csv"])
    seen: dict[str, int] = {}
    clients = []
    for row in rows:
        cid = row.ident("client_id")
        _check_unique(seen, row, "client_id", cid)
        lat, lon = row.coordinate("lat", "lon")
        lists = {}
        for field in ("preferred_workers", "excluded_workers"):
            ids = row.ids(field)
            for wid in ids:
                if wid not in workers:
                    raise row.error(field, f"unknown worker {shown(wid)}; it is not in "
                                           "workers.csv")
            lists[field] = frozenset(ids)
        clients.append(Client(
            client_id=cid, name=row.text("name"), address=row.text("address"),
            postcode=row.text("postcode", required=False).upper(), lat=lat, lon=lon,
            area=row.text("area", required=False) or "Unknown",
            gender_preference=row.gender("gender_preference", required=False),
            preferred_workers=lists["preferred_workers"],
            excluded_workers=lists["excluded_workers"],
            notes=row.text("notes", required=False), row=row.line))
    return source, tuple(clients)


def _visit(row: CsvRow, clients: dict[str, Client], providers: dict[str, Provider]) -> Visit:
    vid = row.ident("visit_id")
    cid = row.ident("client_id")
    if cid not in clients:
        raise row.error("client_id", f"unknown client {shown(cid)}; add it to clients.csv")
    pid = row.ident("provider_id", required=False) or None
    if pid is not None and pid not in providers:
        raise row.error("provider_id", f"unknown provider {shown(pid)}; add it to providers.csv "
                                       "or leave it blank for a visit no provider has taken")
    start, end = row.time_s("window_start"), row.time_s("window_end")
    if end < start:
        raise row.error("window_end", "window ends before it starts")
    duration_min = row.whole("duration_min", low=1, high=24 * 60)
    carers = row.whole("carers", low=1, high=2)
    assert duration_min is not None and carers is not None  # required
    return Visit(
        visit_id=vid, client_id=cid, provider_id=pid, window_start_s=start,
        window_end_s=end, service_s=duration_min * 60, carers=carers,
        skills=frozenset(s.lower() for s in row.items("skills")),
        priority=row.choice("priority", PRIORITIES, required=False) or "normal",
        service=row.text("service", required=False).lower() or "unspecified",
        tasks=row.items("tasks"), row=row.line)


def read_visits(folder: Path, clients: dict[str, Client], providers: dict[str, Provider], *,
                name: str = "visits.csv") -> tuple[SourceFile, tuple[Visit, ...]]:
    """Read ``visits.csv`` (or ``name``, in its format); times are ``HH:MM``, durations minutes.

    A file with only its header is a day with no visits (the plan is an empty rota).
    """
    source, rows = _records(folder, name, id_field="visit_id", required=COLUMNS["visits.csv"])
    seen: dict[str, int] = {}
    visits = []
    for row in rows:
        _check_unique(seen, row, "visit_id", row.ident("visit_id"))
        visits.append(_visit(row, clients, providers))
    return source, tuple(visits)


def read_history(folder: Path, clients: dict[str, Client],
                 workers: dict[str, Worker]) -> tuple[SourceFile | None, dict[str, dict[str, int]]]:
    """Read the optional ``history.csv`` (past visits per client and worker)."""
    # lexists: a broken or looping link named history.csv is an error, not "no history"
    if not os.path.lexists(folder / HISTORY_FILE):
        return None, {}
    source, rows = _records(folder, HISTORY_FILE, id_field="client_id", required=HISTORY_COLUMNS)
    history: dict[str, dict[str, int]] = {}
    for row in rows:
        cid, wid = row.ident("client_id"), row.ident("worker_id")
        if cid not in clients:
            raise row.error("client_id", f"unknown client {shown(cid)}")
        if wid not in workers:
            raise row.error("worker_id", f"unknown worker {shown(wid)}")
        count = row.whole("visits", low=0, high=100_000)
        assert count is not None  # required
        history.setdefault(cid, {})[wid] = history.get(cid, {}).get(wid, 0) + count
    return source, history


def read_day(folder: str | Path, *, date: dt.date | None = None) -> Day:
    """Read a folder of input CSV files into a validated :class:`Day`.

    Parameters
    ----------
    folder : str or Path
        Holds ``providers.csv``, ``workers.csv``, ``clients.csv``, ``visits.csv`` and
        optionally ``history.csv``.
    date : datetime.date, optional
        The plan date; defaults to tomorrow.

    Raises
    ------
    InputError
        Naming the file, row and field of the first problem found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist or is not a folder"
        raise InputError(f"input folder {str(folder)!r} {what}; give the folder that holds "
                         f"{', '.join(COLUMNS)}")
    psrc, providers = read_providers(folder)
    by_provider = {p.provider_id: p for p in providers}
    wsrc, workers = read_workers(folder, by_provider)
    by_worker = {w.worker_id: w for w in workers}
    csrc, clients = read_clients(folder, by_worker)
    by_client = {c.client_id: c for c in clients}
    vsrc, visits = read_visits(folder, by_client, by_provider)
    hsrc, history = read_history(folder, by_client, by_worker)
    sources = tuple(s for s in (psrc, wsrc, csrc, vsrc, hsrc) if s is not None)
    plan_date = date or (dt.date.today() + dt.timedelta(days=1))
    # shifts with days (workers.csv's optional column) are worked on those weekdays only
    on_shift = tuple(w for w in (worker.on(plan_date) for worker in workers) if w is not None)
    return Day(date=plan_date, providers=providers, workers=on_shift, clients=clients,
               visits=visits, sources=sources, history=history)
