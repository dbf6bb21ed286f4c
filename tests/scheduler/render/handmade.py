"""Hand-built days and rotas for rendering tests: a few lines each, times as "HH:MM"."""

from __future__ import annotations

from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.rota import PlannedShift, PlannedStop, Rota, VisitOutcome

from ...conftest import PLAN_DATE

PROVIDER = Provider("P1", "Esk Valley Care", "independent")
#: Metres per degree of latitude on the sphere geo.haversine_m uses.
METRES_PER_DEGREE = 6_371_008.8 * 3.141592653589793 / 180


def hm(text: str) -> int:
    """``"HH:MM"`` as seconds since midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def client(client_id: str, lat: float = 55.89, lon: float = -3.07, *, name: str | None = None,
           address: str | None = None, postcode: str = "EH22 1AA", notes: str = "",
           area: str = "Dalkeith") -> Client:
    return Client(client_id, name or f"Client {client_id}",
                  address if address is not None else f"{client_id} High Street", postcode,
                  lat, lon, area, None, frozenset(), frozenset(), notes)


def worker(worker_id: str, *shifts: tuple[str, str], lat: float = 55.90, lon: float = -3.10,
           name: str | None = None) -> Worker:
    return Worker(worker_id, "P1", name or f"Worker {worker_id}", "female", lat, lon,
                  tuple(Shift(hm(a), hm(b)) for a, b in shifts), frozenset(), "drive")


def visit(visit_id: str, client_id: str, start: str, minutes: int = 30,
          tasks: tuple[str, ...] = ("personal care",)) -> Visit:
    return Visit(visit_id, client_id, "P1", hm(start), hm(start) + 3600, minutes * 60, 1,
                 frozenset(), "normal", "integrated", tasks)


def stop(visit_id: str, client_id: str, start: str, *, arrival: str | None = None,
         travel_s: int = 600, distance_m: int = 5000, minutes: int = 30,
         partner: str | None = None) -> PlannedStop:
    begin = hm(start)
    return PlannedStop(visit_id, client_id, hm(arrival) if arrival else begin, begin,
                       begin + minutes * 60, travel_s, distance_m, partner)


def shift(worker_id: str, number: int, hours: tuple[str, str], stops: tuple[PlannedStop, ...],
          *, leave: str | None = None, back_s: int = 600, back_m: int = 5000) -> PlannedShift:
    """A planned shift; by default the worker leaves home just in time for the first stop."""
    leave_s = hm(leave) if leave else (stops[0].arrival_s - stops[0].travel_s if stops
                                       else hm(hours[0]))
    return_s = stops[-1].end_s + back_s if stops else leave_s
    return PlannedShift(worker_id, "P1", number, hm(hours[0]), hm(hours[1]), "drive", leave_s,
                        return_s, stops, back_s if stops else 0, back_m if stops else 0)


def day_of(workers: tuple[Worker, ...], clients: tuple[Client, ...],
           visits: tuple[Visit, ...]) -> Day:
    return Day(PLAN_DATE, (PROVIDER,), workers, clients, visits)


def rota_of(*shifts: PlannedShift) -> Rota:
    """A rota of these shifts; every stop's visit is scheduled with the shift's worker."""
    workers: dict[str, list[str]] = {}
    first: dict[str, PlannedStop] = {}
    for sh in shifts:
        for s in sh.stops:
            workers.setdefault(s.visit_id, []).append(sh.worker_id)
            first.setdefault(s.visit_id, s)
    return Rota(PLAN_DATE, shifts, tuple(
        VisitOutcome(v, "scheduled", "P1", tuple(ws), first[v].start_s, first[v].end_s)
        for v, ws in workers.items()))


def north_of(lat: float, metres: float) -> float:
    """The latitude ``metres`` north of ``lat`` (same longitude)."""
    return lat + metres / METRES_PER_DEGREE
