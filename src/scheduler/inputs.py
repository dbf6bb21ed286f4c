"""Read and validate a day's input CSV files into the care domain model."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from .model import (
    GENDERS,
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
from .units import format_days, parse_days, parse_hhmm

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

#: Generous bounds of Great Britain and Northern Ireland with their islands, degrees.
UK_LAT = (49.8, 60.95)
UK_LON = (-8.7, 1.8)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$")


class _Row:
    """One CSV record with helpers that raise InputError naming file, row and field."""

    def __init__(self, file: str, line: int, values: dict[str, str], id_field: str) -> None:
        self.file = file
        self.line = line
        self.values = values
        self.id = (values.get(id_field) or "").strip() or None

    def error(self, field: str | None, message: str) -> InputError:
        return InputError(message, file=self.file, row=self.line, field=field, id=self.id)

    def text(self, field: str, *, required: bool = True) -> str:
        value = (self.values.get(field) or "").strip()
        if required and not value:
            raise self.error(field, "is empty; a value is required")
        return value

    def ident(self, field: str, *, required: bool = True) -> str:
        value = self.text(field, required=required)
        if value and not _ID.match(value):
            raise self.error(field, f"{value!r} is not a valid id (letters, digits, _ . - / only)")
        return value

    def choice(self, field: str, options: tuple[str, ...], *, required: bool = True) -> str | None:
        value = self.text(field, required=required).lower()
        if not value:
            return None
        if value not in options:
            raise self.error(field, f"{value!r} is not one of {', '.join(options)}")
        return value

    def number(self, field: str) -> float:
        value = self.text(field)
        try:
            number = float(value)
        except ValueError:
            raise self.error(field, f"{value!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise self.error(field, f"{value!r} is not a finite number")
        return number

    def whole(self, field: str, *, low: int, high: int, required: bool = True) -> int | None:
        value = self.text(field, required=required)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            raise self.error(field, f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise self.error(field, f"{number} is outside {low}..{high}")
        return number

    def time_s(self, field: str) -> int:
        value = self.text(field)
        try:
            return parse_hhmm(value)
        except ValueError as exc:
            raise self.error(field, str(exc)) from None

    def coordinate(self, lat_field: str, lon_field: str) -> tuple[float, float]:
        lat, lon = self.number(lat_field), self.number(lon_field)
        if not UK_LAT[0] <= lat <= UK_LAT[1]:
            raise self.error(lat_field, f"latitude {lat} is outside the UK ({UK_LAT[0]} to "
                                        f"{UK_LAT[1]}); check the column order (lat, lon)")
        if not UK_LON[0] <= lon <= UK_LON[1]:
            raise self.error(lon_field, f"longitude {lon} is outside the UK ({UK_LON[0]} to "
                                        f"{UK_LON[1]}); check the column order (lat, lon)")
        return lat, lon

    def days(self, field: str) -> frozenset[int] | None:
        """An optional list of weekdays; ``None`` when blank (every day)."""
        value = self.text(field, required=False)
        if not value:
            return None
        try:
            return parse_days(value)
        except ValueError as exc:
            raise self.error(field, str(exc)) from None

    def hours_s(self, field: str, *, high: float) -> int | None:
        """An optional number of hours in ``(0, high]``, as whole seconds."""
        value = self.text(field, required=False)
        if not value:
            return None
        try:
            hours = float(value)
        except ValueError:
            raise self.error(field, f"{value!r} is not a number of hours") from None
        if not 0 < hours <= high:
            raise self.error(field, f"{hours:g} is outside 0..{high:g} hours")
        return int(round(hours * 3600))

    def items(self, field: str) -> tuple[str, ...]:
        raw = self.text(field, required=False)
        return tuple(part.strip() for part in raw.split(";") if part.strip())


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _records(folder: Path, name: str, *, id_field: str,
             required: tuple[str, ...]) -> tuple[SourceFile, Iterator[_Row]]:
    path = folder / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"file not found in {folder.name or folder}/; every day needs "
                         f"{', '.join(COLUMNS)}", file=name) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8",
                         file=name) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InputError("is empty; it needs a header row", file=name, row=1)
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; the header has "
                         f"{', '.join(header)}", file=name, row=1, field=missing[0])
    rows = list(reader)
    source = SourceFile(name=name, sha256=_hash(data), rows=len(rows))

    def iterate() -> Iterator[_Row]:
        for offset, values in enumerate(rows):
            # reader.line_num is not per-record for quoted newlines; count records instead
            line = offset + 2
            if None in values:
                raise InputError("has more fields than the header", file=name, row=line)
            yield _Row(name, line, values, id_field)

    return source, iterate()


def _check_unique(seen: dict[str, int], row: _Row, field: str, value: str) -> None:
    if value in seen:
        raise row.error(field, f"duplicate id {value!r} (first on row {seen[value]})")
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
        providers.append(Provider(pid, row.text("name"), row.choice("kind", PROVIDER_KINDS)))
    return source, tuple(providers)


def read_workers(folder: Path, providers: dict[str, Provider],
                 known_skills: Callable[[str], bool] | None = None
                 ) -> tuple[SourceFile, tuple[Worker, ...]]:
    """Read ``workers.csv``; several rows with one ``worker_id`` are that worker's shifts.

    Optional columns: ``max_hours`` (a day), ``days`` (the weekdays a row's shift is
    worked, blank for every day), ``contract_hours_week`` and ``max_hours_week``.
    """
    source, rows = _records(folder, "workers.csv", id_field="worker_id",
                            required=COLUMNS["workers.csv"])
    workers: dict[str, Worker] = {}
    for row in rows:
        worker = _worker_row(row, providers)
        first = workers.get(worker.worker_id)
        workers[worker.worker_id] = worker if first is None else _add_shift(first, worker, row)
    return source, tuple(workers.values())


def _worker_row(row: _Row, providers: dict[str, Provider]) -> Worker:
    """One row of ``workers.csv`` as a worker with that row's one shift."""
    wid = row.ident("worker_id")
    pid = row.ident("provider_id")
    if pid not in providers:
        raise row.error("provider_id", f"unknown provider {pid!r}; add it to providers.csv")
    start, end = row.time_s("shift_start"), row.time_s("shift_end")
    if end <= start:
        raise row.error("shift_end", "shift ends before it starts (overnight shifts: "
                                     "split them at midnight)")
    lat, lon = row.coordinate("home_lat", "home_lon")
    return Worker(
        worker_id=wid, provider_id=pid, name=row.text("name"),
        gender=row.choice("gender", GENDERS), home_lat=lat, home_lon=lon,
        shifts=(Shift(start, end, row.line, row.days("days")),),
        skills=frozenset(s.lower() for s in row.items("skills")),
        travel_mode=row.choice("travel_mode", TRAVEL_MODES),
        max_work_s=row.hours_s("max_hours", high=24), row=row.line,
        contract_week_s=row.hours_s("contract_hours_week", high=168),
        max_week_s=row.hours_s("max_hours_week", high=168))


def _add_shift(first: Worker, worker: Worker, row: _Row) -> Worker:
    """A worker's further row: another shift, on the same details."""
    wid = worker.worker_id
    same = (first.provider_id, first.gender, first.home_lat, first.home_lon,
            first.travel_mode, first.skills)
    if same != (worker.provider_id, worker.gender, worker.home_lat, worker.home_lon,
                worker.travel_mode, worker.skills):
        raise row.error("worker_id", f"worker {wid!r} appears again (first on row "
                        f"{first.row}) with different details; a worker's extra rows "
                        "are split shifts and must repeat the same details")
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
                   max_work_s=first.max_work_s if worker.max_work_s is None else worker.max_work_s,
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
            ids = row.items(field)
            for wid in ids:
                if wid not in workers:
                    raise row.error(field, f"unknown worker {wid!r}; it is not in workers.csv")
            lists[field] = frozenset(ids)
        clients.append(Client(
            client_id=cid, name=row.text("name"), address=row.text("address"),
            postcode=row.text("postcode", required=False).upper(), lat=lat, lon=lon,
            area=row.text("area", required=False) or "Unknown",
            gender_preference=row.choice("gender_preference", GENDERS, required=False),
            preferred_workers=lists["preferred_workers"],
            excluded_workers=lists["excluded_workers"],
            notes=row.text("notes", required=False), row=row.line))
    return source, tuple(clients)


def read_visits(folder: Path, clients: dict[str, Client],
                providers: dict[str, Provider]) -> tuple[SourceFile, tuple[Visit, ...]]:
    """Read ``visits.csv``; times are ``HH:MM`` and durations minutes."""
    source, rows = _records(folder, "visits.csv", id_field="visit_id",
                            required=COLUMNS["visits.csv"])
    seen: dict[str, int] = {}
    visits = []
    for row in rows:
        vid = row.ident("visit_id")
        _check_unique(seen, row, "visit_id", vid)
        cid = row.ident("client_id")
        if cid not in clients:
            raise row.error("client_id", f"unknown client {cid!r}; add it to clients.csv")
        pid = row.ident("provider_id", required=False) or None
        if pid is not None and pid not in providers:
            raise row.error("provider_id", f"unknown provider {pid!r}; add it to providers.csv "
                                           "or leave it blank for a visit no provider has taken")
        start, end = row.time_s("window_start"), row.time_s("window_end")
        if end < start:
            raise row.error("window_end", "window ends before it starts")
        duration_min = row.whole("duration_min", low=1, high=24 * 60)
        visits.append(Visit(
            visit_id=vid, client_id=cid, provider_id=pid, window_start_s=start,
            window_end_s=end, service_s=duration_min * 60,
            carers=row.whole("carers", low=1, high=2),
            skills=frozenset(s.lower() for s in row.items("skills")),
            priority=row.choice("priority", PRIORITIES, required=False) or "normal",
            service=row.text("service", required=False).lower() or "unspecified",
            tasks=row.items("tasks"), row=row.line))
    return source, tuple(visits)


def read_history(folder: Path, clients: dict[str, Client],
                 workers: dict[str, Worker]) -> tuple[SourceFile | None, dict[str, dict[str, int]]]:
    """Read the optional ``history.csv`` (past visits per client and worker)."""
    if not (folder / HISTORY_FILE).exists():
        return None, {}
    source, rows = _records(folder, HISTORY_FILE, id_field="client_id", required=HISTORY_COLUMNS)
    history: dict[str, dict[str, int]] = {}
    for row in rows:
        cid, wid = row.ident("client_id"), row.ident("worker_id")
        if cid not in clients:
            raise row.error("client_id", f"unknown client {cid!r}")
        if wid not in workers:
            raise row.error("worker_id", f"unknown worker {wid!r}")
        count = row.whole("visits", low=0, high=100_000)
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
        raise InputError(f"input folder {str(folder)!r} does not exist or is not a folder")
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
