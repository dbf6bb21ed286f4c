"""What a planned week comes to: continuity per client, hours per worker, unplaced packages.

:func:`week_stats` reads seven rotas (the week's, or the seven independent days it is
compared with) against the week's inputs: per client the visits, distinct carers, the
share by their three most frequent carers of the week and by their regular carers, and
how far a recurring visit's start moves over the week; per worker the hours worked
against their contract and limit, the rest between days and the days worked; unplaced
packages and hours by area and service in the councils' own format. The CSV writers
give ``week_clients.csv``, ``week_workers.csv`` and ``week_unplaced.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .escape import csv_cell
from .packages import Week, recurring_key
from .rota import Rota

DAY_S = 24 * 3600
#: The continuity target: a client's visits by this many carers or fewer.
TARGET_CARERS = 3


def service_label(service: str) -> str:
    """A service as councils write it: ``adult_disability`` is ``Adult Disability``."""
    return service.replace("_", " ").title()


@dataclass(frozen=True)
class ClientWeek:
    """One client's week: carer-visits (a double-up counts two) and who made them."""

    client_id: str
    visits: int
    unplaced: int
    carer_visits: int
    carers: tuple[tuple[str, int], ...]  # (worker, carer-visits), most first
    regulars: frozenset[str]
    regular_visits: int
    spread_s: int
    within_tolerance: int
    recurring: int

    @property
    def distinct(self) -> int:
        """Distinct carers over the week."""
        return len(self.carers)

    @property
    def top_share(self) -> float | None:
        """Share of carer-visits by the client's three most frequent carers of the week."""
        if not self.carer_visits:
            return None
        return sum(n for _, n in self.carers[:TARGET_CARERS]) / self.carer_visits

    @property
    def regular_share(self) -> float | None:
        """Share of carer-visits by the client's regular carers (history), if any."""
        if not self.regulars or not self.carer_visits:
            return None
        return self.regular_visits / self.carer_visits


@dataclass(frozen=True)
class WorkerWeek:
    """One worker's week: days rostered and worked, seconds worked, least rest between days."""

    worker_id: str
    days_rostered: int
    days_worked: int
    worked_s: int
    visits: int
    contract_s: int | None
    limit_s: int
    min_rest_s: int | None

    @property
    def contract_met(self) -> bool | None:
        """Whether the worked time reaches the contract (``None`` without one)."""
        return None if self.contract_s is None else self.worked_s >= self.contract_s


@dataclass(frozen=True)
class WeekStats:
    """Continuity, hours and unplaced care of seven rotas, with headline figures."""

    clients: tuple[ClientWeek, ...]
    workers: tuple[WorkerWeek, ...]
    unplaced: tuple[tuple[str, str, int, int, int], ...]  # area, service, packages, visits, s
    travel_s: int
    distance_m: int
    visits: int
    placed: int
    tolerance_s: int
    rest_s: int

    @property
    def median_top_share(self) -> float | None:
        """The median client's share of visits by their three most frequent carers."""
        shares = [c.top_share for c in self.clients if c.top_share is not None]
        return statistics.median(shares) if shares else None

    @property
    def median_carers(self) -> float | None:
        """The median client's distinct carers over the week."""
        counts = [c.distinct for c in self.clients if c.carer_visits]
        return statistics.median(counts) if counts else None

    @property
    def clients_within_target(self) -> int:
        """Clients seen by :data:`TARGET_CARERS` carers or fewer."""
        return sum(1 for c in self.clients if c.carer_visits and c.distinct <= TARGET_CARERS)

    @property
    def regular_share(self) -> float | None:
        """Share of all carer-visits to clients with regular carers made by them."""
        slots = sum(c.carer_visits for c in self.clients if c.regulars)
        return sum(c.regular_visits for c in self.clients if c.regulars) / slots if slots \
            else None

    @property
    def on_time_share(self) -> float | None:
        """Share of recurring visits whose every start is within the tolerance of the usual."""
        total = sum(c.recurring for c in self.clients)
        return sum(c.within_tolerance for c in self.clients) / total if total else None

    @property
    def over_limit(self) -> tuple[WorkerWeek, ...]:
        """Workers over their weekly limit."""
        return tuple(w for w in self.workers if w.worked_s > w.limit_s)

    @property
    def short_rest(self) -> tuple[WorkerWeek, ...]:
        """Workers with less than the rest between two days."""
        return tuple(w for w in self.workers if w.min_rest_s is not None
                     and w.min_rest_s < self.rest_s)

    @property
    def contracts(self) -> tuple[int, int]:
        """(workers who reached their contracted hours, workers with a contract)."""
        with_contract = [w for w in self.workers if w.contract_s is not None]
        return sum(1 for w in with_contract if w.contract_met), len(with_contract)


def _client_weeks(week: Week, rotas: Sequence[Rota], tolerance_s: int) -> list[ClientWeek]:
    carers: dict[str, Counter[str]] = defaultdict(Counter)
    starts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    visits: Counter[str] = Counter()
    unplaced: Counter[str] = Counter()
    for rota in rotas:
        day = week.day(rota.date)
        for sh in rota.shifts:
            for stop in sh.stops:
                carers[stop.client_id][sh.worker_id] += 1
        for o in rota.outcomes:
            visit = day.visit_by_id.get(o.visit_id)
            if visit is None:
                continue
            if o.status == "scheduled" and o.start_s is not None:
                visits[visit.client_id] += 1
                starts[visit.client_id][recurring_key(o.visit_id, rota.date)].append(o.start_s)
            elif o.status == "unplaced":
                unplaced[visit.client_id] += 1
    out = []
    for client in week.clients:
        cid = client.client_id
        if not visits[cid] and not unplaced[cid]:
            continue
        counts = carers[cid]
        past = week.history.get(cid, {})
        ranked = sorted(((w, n) for w, n in past.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
        regulars = frozenset(w for w, _ in ranked[:TARGET_CARERS])
        spreads, within = [], 0
        for times in starts[cid].values():
            spreads.append(max(times) - min(times))
            usual = sorted(times)[(len(times) - 1) // 2]
            within += all(abs(t - usual) <= tolerance_s for t in times)
        out.append(ClientWeek(
            client_id=cid, visits=visits[cid], unplaced=unplaced[cid],
            carer_visits=sum(counts.values()),
            carers=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            regulars=regulars, regular_visits=sum(n for w, n in counts.items() if w in regulars),
            spread_s=max(spreads, default=0), within_tolerance=within,
            recurring=len(starts[cid])))
    return out


def _worker_weeks(week: Week, rotas: Sequence[Rota], max_week_s: int) -> list[WorkerWeek]:
    spans: dict[str, dict[dt.date, tuple[int, int]]] = defaultdict(dict)
    worked: Counter[str] = Counter()
    visits: Counter[str] = Counter()
    for rota in rotas:
        for sh in rota.shifts:
            if not sh.stops:
                continue
            worked[sh.worker_id] += sh.return_s - sh.leave_s
            visits[sh.worker_id] += len(sh.stops)
            first, last = spans[sh.worker_id].get(rota.date, (sh.leave_s, sh.return_s))
            spans[sh.worker_id][rota.date] = (min(first, sh.leave_s), max(last, sh.return_s))
    out = []
    for worker in week.workers:
        wid = worker.worker_id
        days = spans.get(wid, {})
        rests = [DAY_S * (b - a).days + days[b][0] - days[a][1]
                 for a, b in zip(sorted(days), sorted(days)[1:]) if (b - a).days == 1]
        out.append(WorkerWeek(
            worker_id=wid, days_rostered=sum(1 for d in week.dates if worker.on(d) is not None),
            days_worked=len(days), worked_s=worked[wid], visits=visits[wid],
            contract_s=worker.contract_week_s,
            limit_s=max_week_s if worker.max_week_s is None else worker.max_week_s,
            min_rest_s=min(rests) if rests else None))
    return out


def _unplaced(week: Week, rotas: Sequence[Rota]) -> list[tuple[str, str, int, int, int]]:
    # every area and service with care in the week gets a row, so the return keeps its shape
    packages: dict[tuple[str, str], set[str]] = defaultdict(set)
    count: Counter[tuple[str, str]] = Counter()
    seconds: Counter[tuple[str, str]] = Counter()
    for rota in rotas:
        day = week.day(rota.date)
        for visit in day.visits:
            packages.setdefault((week.client_by_id[visit.client_id].area,
                                 service_label(visit.service)), set())
        for o in rota.unplaced:
            found = day.visit_by_id.get(o.visit_id)
            if found is None:
                continue
            visit = found
            key = (week.client_by_id[visit.client_id].area, service_label(visit.service))
            package = week.package_of(o.visit_id, rota.date)
            packages[key].add(package.package_id if package else o.visit_id)
            count[key] += 1
            seconds[key] += visit.service_s * visit.carers
    return [(area, service, len(packages[(area, service)]), count[(area, service)],
             seconds[(area, service)]) for area, service in sorted(packages)]


#: The total rows of the councils' return.
ALL_AREAS, ALL_SERVICES = "All areas", "All services"


def council_unplaced_rows(stats: WeekStats) -> list[tuple[str, str, int, int, int]]:
    """The unplaced care in the councils' layout: by service within each area, with totals.

    For each area (in name order) one row per service with care in the week (zero rows
    included, so every week's return has the same rows), then the area's
    ``All services`` row; then ``All areas`` by service and the grand total. Each row:
    area, service, unplaced packages, unplaced visits, unplaced carer-seconds a week.
    Totals add the rows (a package whose rows name two services counts under each).
    """
    rows: list[tuple[str, str, int, int, int]] = []
    areas = sorted({u[0] for u in stats.unplaced})
    services = sorted({u[1] for u in stats.unplaced})

    def total(area: str, service: str, part: list[tuple[str, str, int, int, int]]) -> tuple:
        return (area, service, sum(u[2] for u in part), sum(u[3] for u in part),
                sum(u[4] for u in part))

    for area in areas:
        mine = [u for u in stats.unplaced if u[0] == area]
        rows += mine
        rows.append(total(area, ALL_SERVICES, mine))
    if len(areas) > 1:
        rows += [total(ALL_AREAS, service, [u for u in stats.unplaced if u[1] == service])
                 for service in services]
    rows.append(total(ALL_AREAS, ALL_SERVICES, list(stats.unplaced)))
    return rows


def week_stats(week: Week, rotas: Sequence[Rota], *, tolerance_s: int = 30 * 60,
               max_week_s: int = 48 * 3600, rest_s: int = 11 * 3600) -> WeekStats:
    """The week's figures from seven rotas planned for its dates.

    Parameters
    ----------
    week : Week
    rotas : sequence of Rota
        One per date planned (any subset of the week's dates).
    tolerance_s : int, default 30 min
        A recurring visit is on time when every start is this close to its usual start.
    max_week_s, rest_s : int
        The weekly limit for workers without their own, and the rest owed between days.
    """
    placed = sum(len(r.scheduled) for r in rotas)
    return WeekStats(
        clients=tuple(_client_weeks(week, rotas, tolerance_s)),
        workers=tuple(_worker_weeks(week, rotas, max_week_s)),
        unplaced=tuple(_unplaced(week, rotas)),
        travel_s=sum(sh.travel_s for r in rotas for sh in r.shifts if sh.stops),
        distance_m=sum(sh.distance_m for r in rotas for sh in r.shifts if sh.stops),
        visits=sum(len(r.outcomes) for r in rotas), placed=placed, tolerance_s=tolerance_s,
        rest_s=rest_s)


def _pct(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}"


def _hours(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


CLIENT_COLUMNS = ("client_id", "name", "area", "visits", "unplaced_visits", "carer_visits",
                  "distinct_carers", "top3_carers", "top3_share_pct", "regular_carers",
                  "regular_share_pct", "start_spread_min", "recurring_visits",
                  "recurring_on_time")
WORKER_COLUMNS = ("worker_id", "name", "provider_id", "days_rostered", "days_worked",
                  "visits", "hours_worked", "contract_hours", "hours_vs_contract",
                  "contract_met", "max_hours_week", "within_limit", "min_rest_hours",
                  "rest_ok")
UNPLACED_COLUMNS = ("area", "service", "packages", "visits", "hours_per_week")


def write_week_clients_csv(stats: WeekStats, week: Week, path: Path) -> Path:
    """Write ``week_clients.csv``: one row per client with visits in the week."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CLIENT_COLUMNS)
        for c in stats.clients:
            client = week.client_by_id[c.client_id]
            writer.writerow([csv_cell(v) for v in (
                c.client_id, client.name, client.area, c.visits, c.unplaced, c.carer_visits,
                c.distinct, ";".join(w for w, _ in c.carers[:TARGET_CARERS]),
                _pct(c.top_share), ";".join(sorted(c.regulars)), _pct(c.regular_share),
                c.spread_s // 60, c.recurring, c.within_tolerance)])
    return path


def write_week_workers_csv(stats: WeekStats, week: Week, path: Path) -> Path:
    """Write ``week_workers.csv``: hours against contract and limit, rest, days worked."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(WORKER_COLUMNS)
        for w in stats.workers:
            worker = week.worker_by_id[w.worker_id]
            met = "" if w.contract_met is None else ("yes" if w.contract_met else "no")
            writer.writerow([csv_cell(v) for v in (
                w.worker_id, worker.name, worker.provider_id, w.days_rostered, w.days_worked,
                w.visits, _hours(w.worked_s), _hours(w.contract_s),
                "" if w.contract_s is None else _hours(w.worked_s - w.contract_s), met,
                _hours(w.limit_s), "yes" if w.worked_s <= w.limit_s else "no",
                _hours(w.min_rest_s),
                "" if w.min_rest_s is None else ("yes" if w.min_rest_s >= stats.rest_s else "no"))])
    return path


def write_week_unplaced_csv(stats: WeekStats, path: Path) -> Path:
    """Write ``week_unplaced.csv``: unplaced packages and hours a week, the councils' return.

    The rows of :func:`council_unplaced_rows`: by service within each area, each area's
    total, then all areas by service and the grand total (``All areas``, ``All services``).
    """
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(UNPLACED_COLUMNS)
        for area, service, packages, visits, seconds in council_unplaced_rows(stats):
            writer.writerow([csv_cell(area), csv_cell(service), packages, visits,
                             f"{seconds / 3600:.1f}"])
    return path
