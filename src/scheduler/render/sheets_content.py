"""What a run sheet says: one :class:`WorkerSheet` per worker with visits, as plain data.

Nothing here draws: :mod:`.sheets_pdf` and :mod:`.sheets_html` print this content, and
notebooks can read it. Times are integer seconds since midnight, distances integer metres.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ...geo import haversine_m
from ..model import Client, Day, Worker
from ..rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome, check_rota_inputs
from ..travel import DayTravel
from .paths import ShiftPath, shift_paths

LatLon = tuple[float, float]
Segment = tuple[LatLon, LatLon]

#: A wait at least this long (seconds) before a visit gets a "leave by" time on the sheet.
LONG_WAIT_S = 15 * 60
#: What a redacted sheet prints instead of a client's access details (key safe codes).
ACCESS_REDACTED = "key safe: ask the office"
# a code in free-text notes: "Key safe 1234", "door code: 12-34", "PIN 0000"
_CODE_IN_NOTES = re.compile(
    r"\b(?:key[ -]?safe|key[ -]?box|door[ -]?code|access[ -]?code|code|pin|keypad)\b"
    r"[^.;\n\d]{0,30}\d[\d -]*\d", re.IGNORECASE)


def redact_codes(text: str) -> str:
    """``text`` with every key-safe or door code replaced by :data:`ACCESS_REDACTED`.

    For notes written before ``clients.csv`` had its ``access`` column: a code is a
    number of two or more digits shortly after words such as *key safe*, *door code*,
    *code*, *PIN* or *keypad*.
    """
    return _CODE_IN_NOTES.sub(ACCESS_REDACTED, text)


@dataclass(frozen=True)
class SheetVisit:
    """One visit on a run sheet, in the worker's order; times in seconds since midnight.

    ``partners`` holds ``(worker_id, name)`` of the other carer(s) on a double-up;
    ``travel_s`` / ``distance_m`` are the leg from the previous stop (or from home) as
    planned. ``straight_m`` is the straight-line distance of that leg in metres and
    ``same_place`` tells that the leg starts at the same address (a second visit to one
    client, or two clients of one household): with them a 0-second leg between two
    different addresses (two homes snapped to one road junction) is printed sensibly.
    ``access`` is how to get in (or :data:`ACCESS_REDACTED` on a redacted sheet),
    ``access_notes`` the client's other notes; ``phone`` and ``emergency_contact`` are
    the client's, blank when not given; ``time_critical`` visits are highlighted.
    """

    seq: int
    shift: int
    visit_id: str
    client_id: str
    client_name: str
    address: str
    postcode: str
    access_notes: str
    tasks: tuple[str, ...]
    priority: str
    arrival_s: int
    start_s: int
    end_s: int
    window_start_s: int
    window_end_s: int
    partners: tuple[tuple[str, str], ...]
    travel_s: int
    distance_m: int
    from_home: bool
    straight_m: int = 0
    same_place: bool = False
    area: str = ""
    access: str = ""
    phone: str = ""
    emergency_contact: str = ""
    time_critical: bool = False

    @property
    def duration_s(self) -> int:
        """Planned length of the visit, seconds."""
        return self.end_s - self.start_s

    @property
    def wait_s(self) -> int:
        """Seconds between arriving (as planned) and the planned start."""
        return max(0, self.start_s - self.arrival_s)

    @property
    def leave_by_s(self) -> int:
        """The latest departure that still arrives on time, seconds since midnight.

        From the previous place (or home), given the leg's planned travel time.
        """
        return self.start_s - self.travel_s

    @property
    def shows_leave_by(self) -> bool:
        """The sheet prints :attr:`leave_by_s`: the leg starts at home, or the wait is long."""
        return self.from_home or self.wait_s >= LONG_WAIT_S


@dataclass(frozen=True)
class SheetShift:
    """One rostered shift on a run sheet: its hours, when to leave and get home, its visits.

    ``shift`` is the shift's number as in ``rota.csv`` (its place in the worker's roster).
    A shift with no visits (:attr:`used` false) is printed "no visits: not needed"; its
    leave and return times are then its start, and its travel zero.
    ``return_straight_m`` / ``return_same_place`` describe the way home as
    :class:`SheetVisit` does for a leg.
    """

    shift: int
    shift_start_s: int
    shift_end_s: int
    leave_s: int
    return_s: int
    return_travel_s: int
    return_distance_m: int
    visits: tuple[SheetVisit, ...]
    breaks: tuple[PlannedBreak, ...] = ()
    return_straight_m: int = 0
    return_same_place: bool = False

    @property
    def used(self) -> bool:
        """The shift has visits."""
        return bool(self.visits)

    @property
    def leave_home_by_s(self) -> int | None:
        """The latest time to leave home for the first visit (seconds), ``None`` when unused."""
        return self.visits[0].leave_by_s if self.visits else None


@dataclass(frozen=True)
class WorkerSheet:
    """Everything printed for one worker with visits.

    ``shifts`` holds every rostered shift of the worker, unused ones included, in time
    order. Totals are seconds and metres over the shifts with visits: ``contact_s`` with
    clients, ``travel_s`` including the ways from and back home, ``paid_s`` from leaving
    home to getting back (travel time is paid time), ``distance_m`` for mileage.
    ``paths`` is the route geometry per shift with visits and ``background_roads`` road
    segments (``(lat, lon)`` pairs) around the round when a road network was used.
    ``phone`` is the worker's, ``office_phone`` and ``on_call_phone`` the provider's
    (blank when not given).
    """

    worker_id: str
    worker_name: str
    provider_id: str
    provider_name: str
    travel_mode: str
    shifts: tuple[SheetShift, ...]
    contact_s: int
    travel_s: int
    paid_s: int
    distance_m: int
    paths: tuple[ShiftPath, ...]
    on_roads: bool
    background_roads: tuple[Segment, ...] = ()
    phone: str = ""
    office_phone: str = ""
    on_call_phone: str = ""

    @property
    def visits(self) -> tuple[SheetVisit, ...]:
        """Every visit of the day in order."""
        return tuple(v for sh in self.shifts for v in sh.visits)


@dataclass(frozen=True)
class IdleWorker:
    """A rostered worker with no visits at all: printed as a short "not needed" page.

    ``shifts`` are the rostered shifts (every one unused), numbered as in the roster.
    """

    worker_id: str
    worker_name: str
    provider_id: str
    provider_name: str
    travel_mode: str
    shifts: tuple[SheetShift, ...]
    phone: str = ""
    office_phone: str = ""
    on_call_phone: str = ""


@dataclass(frozen=True)
class OverviewRow:
    """One rostered shift on the coordinator's overview; times in seconds since midnight.

    A shift with no visits has ``visits`` 0 and ``None`` for every time but its hours.
    ``carer_s`` is the shift's contact time (its carer-hours).
    """

    worker_id: str
    worker_name: str
    provider_name: str
    phone: str
    shift: int
    shift_start_s: int
    shift_end_s: int
    leave_home_by_s: int | None
    first_start_s: int | None
    first_area: str
    last_end_s: int | None
    back_home_s: int | None
    visits: int
    carer_s: int


@dataclass(frozen=True)
class RunSheets:
    """The run sheets of a day.

    ``sheets`` has one :class:`WorkerSheet` per worker with visits; ``idle`` one
    :class:`IdleWorker` per rostered worker without any. Both are ordered by provider
    name, worker name and id; :attr:`pages` merges them in that order, as printed.
    """

    date: dt.date
    sheets: tuple[WorkerSheet, ...]
    roads: str | None = None
    idle: tuple[IdleWorker, ...] = ()
    redacted: bool = False

    @property
    def date_text(self) -> str:
        """The date as printed, e.g. ``Tuesday 24 November 2026``."""
        return f"{self.date:%A} {self.date.day} {self.date:%B %Y}"

    @property
    def pages(self) -> tuple[WorkerSheet | IdleWorker, ...]:
        """Every worker's section (with visits or idle) in print order."""
        return tuple(sorted((*self.sheets, *self.idle), key=_print_order))

    @property
    def overview(self) -> tuple[OverviewRow, ...]:
        """The coordinator's overview: every rostered shift of every worker, in print order."""
        rows = []
        for page in self.pages:
            for sh in page.shifts:
                first, last = (sh.visits[0], sh.visits[-1]) if sh.visits else (None, None)
                rows.append(OverviewRow(
                    worker_id=page.worker_id, worker_name=page.worker_name,
                    provider_name=page.provider_name, phone=page.phone, shift=sh.shift,
                    shift_start_s=sh.shift_start_s, shift_end_s=sh.shift_end_s,
                    leave_home_by_s=sh.leave_home_by_s,
                    first_start_s=first.start_s if first else None,
                    first_area=first.area if first else "",
                    last_end_s=last.end_s if last else None,
                    back_home_s=sh.return_s if sh.used else None, visits=len(sh.visits),
                    carer_s=sum(v.duration_s for v in sh.visits)))
        return tuple(rows)


def _print_order(sheet: WorkerSheet | IdleWorker) -> tuple[str, str, str]:
    return (sheet.provider_name.casefold(), sheet.worker_name.casefold(), sheet.worker_id)


# ---- road segments around a round ------------------------------------------------------------

# Road segments per network (computed once per network, shared by every sheet).
_SEGMENTS: weakref.WeakKeyDictionary[Any, tuple] = weakref.WeakKeyDictionary()
_MAJOR_ROADS = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary",
                          "motorway_link", "trunk_link", "primary_link", "secondary_link"})
MAX_BACKGROUND_SEGMENTS = 2500


def _network_segments(network):
    """Arrays (lat_u, lon_u, lat_v, lon_v, is_major) of the network's roads, once per network.

    Read from the osmnx-style graph (node ``x``/``y``, edge ``highway``) so that it depends
    only on the network's documented ``graph``.
    """
    import numpy as np

    if network not in _SEGMENTS:
        nodes = network.graph.nodes
        seen: dict[tuple[int, int], bool] = {}
        for u, v, data in network.graph.edges(data=True):
            key = (u, v) if u <= v else (v, u)  # one segment per pair, whichever way it runs
            kind = data.get("highway")
            major = any(k in _MAJOR_ROADS for k in (kind if isinstance(kind, list) else [kind]))
            if u != v:
                seen[key] = seen.get(key, False) or major
        pairs = list(seen)
        lat_u = np.array([nodes[a]["y"] for a, _ in pairs], dtype=float)
        lon_u = np.array([nodes[a]["x"] for a, _ in pairs], dtype=float)
        lat_v = np.array([nodes[b]["y"] for _, b in pairs], dtype=float)
        lon_v = np.array([nodes[b]["x"] for _, b in pairs], dtype=float)
        _SEGMENTS[network] = (lat_u, lon_u, lat_v, lon_v,
                              np.array([seen[k] for k in pairs], dtype=bool))
    return _SEGMENTS[network]


def _background_roads(network, points: list[LatLon]) -> tuple[Segment, ...]:
    lat_u, lon_u, lat_v, lon_v, major = _network_segments(network)
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    pad_lat = max(0.003, (max(lats) - min(lats)) * 0.08)
    pad_lon = max(0.005, (max(lons) - min(lons)) * 0.08)
    inside = ((lat_u >= min(lats) - pad_lat) & (lat_u <= max(lats) + pad_lat)
              & (lon_u >= min(lons) - pad_lon) & (lon_u <= max(lons) + pad_lon)
              & (lat_v >= min(lats) - pad_lat) & (lat_v <= max(lats) + pad_lat)
              & (lon_v >= min(lons) - pad_lon) & (lon_v <= max(lons) + pad_lon))
    if inside.sum() > MAX_BACKGROUND_SEGMENTS:  # a big area: major roads only, to stay legible
        inside &= major
    return tuple(((float(a), float(b)), (float(c), float(d)))
                 for a, b, c, d in zip(lat_u[inside], lon_u[inside], lat_v[inside],
                                       lon_v[inside]))


# ---- legs between places ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Place:
    """Where a leg starts or ends: a client's home (with its address) or a worker's home."""

    lat: float
    lon: float
    client_id: str | None = None
    address: str = ""

    @classmethod
    def of_client(cls, client: Client) -> _Place:
        key = f"{client.address} {client.postcode}".casefold().split()
        return cls(client.lat, client.lon, client.client_id, " ".join(key))

    @classmethod
    def of_worker(cls, worker: Worker) -> _Place:
        return cls(worker.home_lat, worker.home_lon)


def _straight_m(a: _Place, b: _Place) -> int:
    """Straight-line distance between two places, metres."""
    return int(round(float(haversine_m(a.lat, a.lon, b.lat, b.lon))))


def _same_place(a: _Place, b: _Place) -> bool:
    """One client, one address, or the very same point (a household, or home next door)."""
    return ((a.client_id is not None and a.client_id == b.client_id)
            or (bool(a.address) and a.address == b.address)
            or (round(a.lat, 6), round(a.lon, 6)) == (round(b.lat, 6), round(b.lon, 6)))


# ---- building the content --------------------------------------------------------------------

def render_run_sheets(day: Day, rota: Rota, *, travel: DayTravel | None = None,
                      redact_access: bool = False) -> RunSheets:
    """The content of the run sheets of a planned day (what ``write_run_sheets`` prints).

    Parameters
    ----------
    day : Day
        The inputs the rota was planned from.
    rota : Rota
    travel : DayTravel, optional
        With road networks (``travel.networks``) the route maps follow the roads and
        show the roads around; otherwise stops are joined by straight lines.
    redact_access : bool, default False
        Print :data:`ACCESS_REDACTED` instead of the clients' ``access`` details, and
        replace codes found in their notes (:func:`redact_codes`), so that no key safe
        code reaches a printed sheet.

    Returns
    -------
    RunSheets
        One sheet per worker with visits, listing every rostered shift of the worker
        (numbered as the rota numbers them), and one idle entry per rostered worker
        without visits; ordered by provider name, worker name and id; each worker's
        visits in rota order (shift by shift).

    Raises
    ------
    InputError
        When the rota does not match the inputs (see :func:`check_rota_inputs`).
    """
    check_rota_inputs(day, rota)
    paths = shift_paths(day, rota, travel)
    by_worker: dict[str, list[PlannedShift]] = defaultdict(list)
    for sh in rota.shifts:
        if sh.stops:
            by_worker[sh.worker_id].append(sh)
    networks = (travel.networks or {}) if travel is not None else {}
    outcomes = {o.visit_id: o for o in rota.outcomes}
    sheets = []
    for worker_id, shifts in by_worker.items():
        shifts.sort(key=lambda s: (s.shift_start_s, s.shift))
        worker_paths = tuple(paths[(worker_id, sh.shift)] for sh in shifts)
        network = networks.get(shifts[0].travel_mode)
        background: tuple[Segment, ...] = ()
        if network is not None:
            background = _background_roads(network, [p for path in worker_paths
                                                     for p in path.line])
        sheets.append(_worker_sheet(day, worker_id, shifts, outcomes, worker_paths, background,
                                    redact_access=redact_access))
    idle = [_idle_worker(day, w) for w in day.workers if w.shifts and w.worker_id not in by_worker]
    return RunSheets(date=rota.date, sheets=tuple(sorted(sheets, key=_print_order)),
                     roads=travel.roads if travel else None,
                     idle=tuple(sorted(idle, key=_print_order)), redacted=redact_access)


def _provider_name(day: Day, provider_id: str) -> str:
    provider = day.provider_by_id.get(provider_id)
    return provider.name if provider else provider_id


def _provider_phones(day: Day, provider_id: str) -> dict[str, str]:
    """The provider's office and on-call numbers as :class:`WorkerSheet` fields."""
    provider = day.provider_by_id.get(provider_id)
    if provider is None:
        return {"office_phone": "", "on_call_phone": ""}
    return {"office_phone": provider.office_phone, "on_call_phone": provider.on_call_phone}


def _worker_sheet(day: Day, worker_id: str, shifts: list[PlannedShift],
                  outcomes: dict[str, VisitOutcome], worker_paths: tuple[ShiftPath, ...],
                  background: tuple[Segment, ...], *, redact_access: bool) -> WorkerSheet:
    """One worker's sheet from the worker's shifts with visits (in time order)."""
    worker = day.worker_by_id[worker_id]
    used = {sh.shift: sh for sh in shifts}
    seq = 0
    sheet_shifts = []
    for sh in shifts:
        visits = _sheet_visits(day, worker, sh, outcomes, first_seq=seq + 1,
                               redact_access=redact_access)
        seq += len(visits)
        sheet_shifts.append(_sheet_shift(day, worker, sh, visits))
    for number, rostered in enumerate(worker.shifts, start=1):
        if number not in used:
            sheet_shifts.append(_unused_shift(number, rostered.start_s, rostered.end_s))
    sheet_shifts.sort(key=lambda s: (s.shift_start_s, s.shift))
    return WorkerSheet(
        worker_id=worker_id, worker_name=worker.name, provider_id=shifts[0].provider_id,
        provider_name=_provider_name(day, shifts[0].provider_id),
        travel_mode=shifts[0].travel_mode, shifts=tuple(sheet_shifts),
        contact_s=sum(sh.contact_s for sh in shifts),
        travel_s=sum(sh.travel_s for sh in shifts),
        paid_s=sum(sh.return_s - sh.leave_s for sh in shifts),
        distance_m=sum(sh.distance_m for sh in shifts), paths=worker_paths,
        on_roads=all(p.on_roads for p in worker_paths), background_roads=background,
        phone=worker.phone, **_provider_phones(day, shifts[0].provider_id))


def _idle_worker(day: Day, worker: Worker) -> IdleWorker:
    shifts = sorted((_unused_shift(n, s.start_s, s.end_s)
                     for n, s in enumerate(worker.shifts, start=1)),
                    key=lambda s: (s.shift_start_s, s.shift))
    return IdleWorker(worker_id=worker.worker_id, worker_name=worker.name,
                      provider_id=worker.provider_id,
                      provider_name=_provider_name(day, worker.provider_id),
                      travel_mode=worker.travel_mode, shifts=tuple(shifts), phone=worker.phone,
                      **_provider_phones(day, worker.provider_id))


def _unused_shift(number: int, start_s: int, end_s: int) -> SheetShift:
    return SheetShift(shift=number, shift_start_s=start_s, shift_end_s=end_s, leave_s=start_s,
                      return_s=start_s, return_travel_s=0, return_distance_m=0, visits=())


def _sheet_shift(day: Day, worker: Worker, sh: PlannedShift,
                 visits: tuple[SheetVisit, ...]) -> SheetShift:
    last = _Place.of_client(day.client_by_id[sh.stops[-1].client_id])
    home = _Place.of_worker(worker)
    return SheetShift(
        shift=sh.shift, shift_start_s=sh.shift_start_s, shift_end_s=sh.shift_end_s,
        leave_s=sh.leave_s, return_s=sh.return_s, return_travel_s=sh.return_travel_s,
        return_distance_m=sh.return_distance_m, visits=visits, breaks=sh.breaks,
        return_straight_m=_straight_m(last, home), return_same_place=_same_place(last, home))


def _sheet_visits(day: Day, worker: Worker, sh: PlannedShift,
                  outcomes: dict[str, VisitOutcome], *, first_seq: int,
                  redact_access: bool = False) -> tuple[SheetVisit, ...]:
    visits = []
    previous = _Place.of_worker(worker)
    for i, stop in enumerate(sh.stops):
        client = day.client_by_id[stop.client_id]
        here = _Place.of_client(client)
        visits.append(_sheet_visit(day, worker.worker_id, sh.shift, stop, client,
                                   outcomes.get(stop.visit_id), seq=first_seq + i,
                                   from_home=i == 0, straight_m=_straight_m(previous, here),
                                   same_place=_same_place(previous, here),
                                   redact_access=redact_access))
        previous = here
    return tuple(visits)


def _sheet_visit(day: Day, worker_id: str, shift: int, stop: PlannedStop, client: Client,
                 outcome: VisitOutcome | None, *, seq: int, from_home: bool, straight_m: int,
                 same_place: bool, redact_access: bool = False) -> SheetVisit:
    visit = day.visit_by_id[stop.visit_id]
    partners = tuple((w, day.worker_by_id[w].name)
                     for w in _partners(outcome, worker_id, stop.partner)
                     if w in day.worker_by_id)
    return SheetVisit(
        seq=seq, shift=shift, visit_id=visit.visit_id, client_id=client.client_id,
        client_name=client.name, address=client.address, postcode=client.postcode,
        access_notes=redact_codes(client.notes) if redact_access else client.notes,
        access=(ACCESS_REDACTED if redact_access and client.access else client.access),
        phone=client.phone, emergency_contact=client.emergency_contact, area=client.area,
        time_critical=visit.time_critical, tasks=visit.tasks, priority=visit.priority,
        arrival_s=stop.arrival_s, start_s=stop.start_s, end_s=stop.end_s,
        window_start_s=visit.window_start_s, window_end_s=visit.window_end_s,
        partners=partners, travel_s=stop.travel_s, distance_m=stop.distance_m,
        from_home=from_home, straight_m=straight_m, same_place=same_place)


def _partners(outcome: VisitOutcome | None, worker_id: str,
              partner: str | None) -> tuple[str, ...]:
    others = [w for w in (outcome.workers if outcome else ()) if w != worker_id]
    if partner and partner not in others:
        others.insert(0, partner)
    return tuple(others)
