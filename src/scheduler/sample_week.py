"""The built-in sample week: packages of care with daily patterns and a workforce with days off.

:func:`generate_week_sample` draws one day's demand with the sample day's generator
(:class:`~carerounds.scheduler.sample_demand.Demand`), turns each client's visits into a
package of recurring visits (most daily; some on weekdays only, some three days a week,
a day-centre day without lunch, reablement ending and discharges starting mid-week), and
staffs it for seven days: shift patterns that leave 11 hours' rest between days, most
carers on five days with two off, part-timers on three or four, and relief carers
covering the days off (some mixing early and late shifts, which the planner must keep
11 hours apart). Contracted and maximum weekly hours come with each carer. The same
arguments give byte-identical files; the ``small`` and ``day`` samples are untouched.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from .model import SKILLS
from .packages import PACKAGE_COLUMNS
from .sample import COLUMNS as DAY_COLUMNS
from .sample import Table, _PhoneBook, _sample_region
from .sample_demand import BANDS, Demand, Size
from .sample_drafts import ClientDraft, VisitDraft, WorkerDraft
from .sample_places import Places
from .sample_supply import _COVERS, _PATTERNS, Supply
from .units import WEEKDAYS, format_hhmm

#: Shift patterns a week can repeat day after day with 11 hours' rest between days
#: (no split shift from 07:00 to 22:30), with the weights they are drawn with.
WEEK_PATTERNS = {"early": 5, "morning": 2, "mid": 1, "late": 4, "twilight": 1}
#: Two consecutive days off, rotating over carers so that every day loses as many.
_OFF_PAIRS = ((5, 6), (0, 1), (2, 3), (4, 5), (6, 0), (1, 2), (3, 4))
#: Visits a day in each region's sample week (about 2.4 per client).
WEEK_VISITS = 260
#: Workers' columns in a week: the day's, plus the days of each row and weekly hours.
WORKER_COLUMNS = (*DAY_COLUMNS["workers.csv"], "days", "contract_hours_week", "max_hours_week")
#: The files of a sample week, in writing order.
WEEK_FILE_NAMES = ("providers.csv", "workers.csv", "clients.csv", "packages.csv", "history.csv")


@dataclass(frozen=True)
class SampleWeek:
    """A generated week of inputs: the tables of the files ``write_sample`` writes.

    Parameters
    ----------
    region : str
    start : datetime.date
        The first day of the week.
    seed : int
    providers, workers, clients, packages, history : Table
        ``workers`` rows name the ``days`` they are worked; ``packages`` is the
        ``packages.csv`` contract.
    size : str
        Always ``"week"``.
    """

    region: str
    start: dt.date
    seed: int
    providers: Table
    workers: Table
    clients: Table
    packages: Table
    history: Table
    size: str = field(default="week")

    def files(self) -> dict[str, Table]:
        """The tables keyed by file name, in writing order."""
        return dict(zip(WEEK_FILE_NAMES, (self.providers, self.workers, self.clients,
                                          self.packages, self.history)))


class _WeekSupply(Supply):
    """The sample day's supply, staffed only with patterns that repeat with 11 h rest."""

    def _make_workforce(self) -> None:
        from .sample_supply import _BAND_CAPACITY_MIN, _UTILISATION

        rng = self.rng
        self.allowance = self._travel_allowance()
        names = sorted(WEEK_PATTERNS)
        for provider in self.providers:
            mine = [v for v in self.visits if v.provider is provider]
            minutes = self._demand(mine)
            need = {b: minutes[b] / (_BAND_CAPACITY_MIN[b] * _UTILISATION[b]) for b in BANDS}
            for b in BANDS:
                band_visits = [v for v in mine if v.band == b]
                if band_visits:
                    need[b] = max(need[b], max(v.carers for v in band_visits))
            while any(n > 0.1 for n in need.values()):
                scores = {p: sum(min(need[b], 1.0) for b in _COVERS[p] if need[b] > 0.1)
                          for p in names}
                best = max(scores.values())
                tied = [p for p in names if scores[p] >= best - 1e-9]
                pattern = rng.choices(tied, weights=[WEEK_PATTERNS[p] for p in tied])[0]
                for b in _COVERS[pattern]:
                    need[b] -= 1.0
                self.workers.append(self._new_worker(provider, pattern, mine))
        self._make_walkers()


@dataclass
class _Rostered:
    """A carer of the week: the draft and each shift pattern with the days it is worked."""

    draft: WorkerDraft
    rows: list[tuple[str, frozenset[int]]]
    contract: str = ""
    max_week: str = ""
    relief: bool = False

    @property
    def days(self) -> frozenset[int]:
        return frozenset(d for _, days in self.rows for d in days)


def _roster(supply: Supply, rng: random.Random) -> list[_Rostered]:
    """Days on and off for every carer, and relief carers for the days the others are off."""
    rostered = []
    for i, draft in enumerate(supply.workers):
        kind = rng.choices(("full", "four", "three"), weights=(70, 20, 10))[0]
        off = set(_OFF_PAIRS[i % len(_OFF_PAIRS)])
        extra = {"full": 0, "four": 1, "three": 2}[kind]
        while len(off) < 2 + extra:
            # another day next to the days off (a part-timer's days off run together)
            nearby = sorted({(d + step) % 7 for d in off for step in (-1, 1)} - off)
            off.add(rng.choice(nearby))
        days = frozenset(range(7)) - off
        rostered.append(_Rostered(draft, [(draft.pattern, days)]))
    teams: dict[tuple[int, str], list[_Rostered]] = {}
    for r in list(rostered):
        if r.draft.mode == "drive":
            teams.setdefault((id(r.draft.provider), r.draft.town.area), []).append(r)
    # relief carers stand in within their own area's team, as a patch-based rota does
    for mine in teams.values():
        provider = mine[0].draft.provider
        slots = [(r, d) for r in mine for d in range(7) if d not in r.days]
        rng.shuffle(slots)
        # similar patterns together: a relief carer mostly covers one kind of shift
        slots.sort(key=lambda s: list(WEEK_PATTERNS).index(s[0].draft.pattern)
                   if s[0].draft.pattern in WEEK_PATTERNS else 0)
        while slots:
            wanted = rng.choice((3, 4, 4, 5))
            taken: list[tuple[_Rostered, int]] = []
            for slot in list(slots):
                if len(taken) < wanted and slot[1] not in {d for _, d in taken}:
                    taken.append(slot)
                    slots.remove(slot)
            first = taken[0][0].draft
            relief = supply._new_worker(provider, first.pattern, [], town=first.town)
            for covered, _ in taken:
                relief.skills.update(covered.draft.skills)
            by_pattern: dict[str, set[int]] = {}
            for covered, day in taken:
                by_pattern.setdefault(covered.draft.pattern, set()).add(day)
            rows = [(p, frozenset(d)) for p, d in sorted(by_pattern.items())]
            rostered.append(_Rostered(relief, rows, relief=True))
    for r in rostered:
        hours = sum(_PATTERNS[p][-1][1] - _PATTERNS[p][0][0] for p, d in r.rows for _ in d) / 60
        if r.relief and rng.random() < 0.4:
            r.contract = ""  # zero-hours relief carer
        else:
            r.contract = f"{round(hours * rng.uniform(0.6, 0.8) * 2) / 2:g}"
        roll = rng.random()
        r.max_week = "20" if roll < 0.04 else "40" if roll < 0.1 else ""
    return rostered


def _package_days(client: ClientDraft, visits: list[VisitDraft], rng: random.Random,
                  ) -> list[frozenset[int]]:
    """The days of each of a client's recurring visits."""
    every = frozenset(range(7))
    days = [every for _ in visits]
    roll = rng.random()
    if len(visits) == 1 and roll < 0.12:
        days[0] = rng.choice((frozenset((0, 2, 4)), frozenset((1, 3, 5))))
    elif roll < 0.2:
        # the family gives lunch or tea at the weekend
        for k, v in enumerate(visits):
            if v.band in ("lunch", "tea"):
                days[k] = frozenset(range(5))
    elif roll < 0.28:
        centre = rng.randrange(5)  # at the day centre, where lunch is served
        for k, v in enumerate(visits):
            if v.band == "lunch":
                days[k] = every - {centre}
    return days


def _package_rows(demand: Demand, start: dt.date, rng: random.Random) -> tuple[tuple[str, ...], ...]:
    """``packages.csv`` rows: one package per client and provider, one row per visit."""
    by_client: dict[int, list[VisitDraft]] = {}
    for v in demand.visits:
        by_client.setdefault(id(v.client), []).append(v)
    rows = []
    clients = sorted(demand.clients, key=lambda c: c.id)
    number = 0
    for client in clients:
        visits = sorted(by_client.get(id(client), []), key=lambda v: (v.start, v.end))
        if not visits:
            continue
        number += 1
        package = f"PK{number:04d}"
        first = last = ""
        roll = rng.random()
        if client.service == "reablement" and roll < 0.3:
            last = (start + dt.timedelta(days=rng.randrange(2, 5))).isoformat()
        elif client.service == "hospital_discharge" and roll < 0.5:
            first = (start + dt.timedelta(days=rng.randrange(1, 4))).isoformat()
        for v, days in zip(visits, _package_days(client, visits, rng)):
            rows.append((package, client.id, v.provider.id if v.provider else "",
                ";".join(WEEKDAYS[d] for d in sorted(days)) if len(days) < 7 else "daily",
                format_hhmm(v.start * 60), format_hhmm(v.end * 60), str(v.duration),
                str(v.carers), ";".join(s for s in SKILLS if s in v.skills), v.priority,
                v.service, v.tasks, first, last))
    return tuple(rows)


def generate_week_sample(region: str, *, start: dt.date, seed: int,
                         visits: int = WEEK_VISITS) -> SampleWeek:
    """Generate a synthetic week of home-care inputs for a real region.

    Parameters
    ----------
    region : str
        ``"midlothian"``, ``"monmouthshire"`` or ``"rutland"``.
    start : datetime.date
        The first day of the week (any weekday).
    seed : int
        Seed of every random choice; the same arguments give byte-identical files.
    visits : int, default :data:`WEEK_VISITS`
        Visits on a full day (a smaller week suits tests).

    Returns
    -------
    SampleWeek
    """
    if not isinstance(start, dt.date):
        raise TypeError(f"start must be a datetime.date, got {type(start).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    sample_region = _sample_region(region)
    rng = random.Random(seed)
    size = Size(visits=visits, same_client=0, same_household=0, far_apart=0, neighbours=0,
                day_scale=False)
    demand = Demand(sample_region, size, start, rng, Places(sample_region, rng))
    demand.build()
    supply = _WeekSupply(demand, rng)
    supply.build()
    demand.guarantee_special_characters()
    for worker in supply.workers:
        if worker.pattern.startswith("split"):
            worker.pattern = "early"
            worker.segments = _PATTERNS["early"]
    rostered = _roster(supply, rng)
    return _tables(demand, supply, rostered, rng, start=start, seed=seed)


def _tables(demand: Demand, supply: Supply, rostered: list[_Rostered], rng: random.Random, *,
            start: dt.date, seed: int) -> SampleWeek:
    for i, provider in enumerate(demand.providers, start=1):
        provider.id = f"P{i:02d}"
    order = {id(p): i for i, p in enumerate(demand.providers)}
    position = {id(r.draft): i for i, r in enumerate(rostered)}
    rostered = sorted(rostered, key=lambda r: (order[id(r.draft.provider)], position[id(r.draft)]))
    for i, r in enumerate(rostered, start=1):
        r.draft.id = f"W{i:03d}"
    clients = list(demand.clients)
    rng.shuffle(clients)
    for i, client in enumerate(clients, start=1):
        client.id = f"C{i:04d}"
    book = _PhoneBook(seed)
    providers = tuple((p.id, p.name, p.kind, book.number("landline"), book.number("mobile"))
                      for p in demand.providers)
    worker_rows = []
    for r in rostered:
        w = r.draft
        phone = book.number("mobile")
        for pattern, days in r.rows:
            for seg_start, seg_end in _PATTERNS[pattern]:
                worker_rows.append((
                    w.id, w.provider.id, w.name, "female" if w.female else "male",
                    f"{w.lat:.6f}", f"{w.lon:.6f}", format_hhmm(seg_start * 60),
                    format_hhmm(seg_end * 60), ";".join(s for s in SKILLS if s in w.skills),
                    w.mode, w.max_hours, phone, ";".join(WEEKDAYS[d] for d in sorted(days))
                    if len(days) < 7 else "daily", r.contract, r.max_week))
    client_rows = tuple(
        (c.id, c.name, c.address, c.postcode, f"{c.lat:.6f}", f"{c.lon:.6f}", c.town.area,
         c.gender_preference, ";".join(w.id for w in c.preferred),
         ";".join(w.id for w in c.excluded), c.notes,
         book.number("landline") if book.rng.random() < 0.7 else "",
         book.emergency_contact(c.name) if book.rng.random() < 0.8 else "", c.access)
        for c in sorted(clients, key=lambda c: c.id))
    history = tuple(sorted(
        (demand.clients[ci].id, supply.workers[wi].id, str(n))
        for (ci, wi), n in supply.history.items()))
    return SampleWeek(
        region=demand.region.name, start=start, seed=seed,
        providers=Table(DAY_COLUMNS["providers.csv"], providers),
        workers=Table(WORKER_COLUMNS, tuple(worker_rows)),
        clients=Table(DAY_COLUMNS["clients.csv"], client_rows),
        packages=Table((*PACKAGE_COLUMNS, "start_date", "end_date"),
                       _package_rows(demand, start, rng)),
        history=Table(DAY_COLUMNS["history.csv"], history))


def write_week_sample(sample: SampleWeek, out_dir: Path) -> list[Path]:
    """Write a sample week's files (UTF-8 CSV, one line per row), as :func:`write_sample`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in sample.files().items():
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(table.header)
            writer.writerows(table.rows)
        paths.append(path)
    return paths


__all__ = ["SampleWeek", "WEEK_PATTERNS", "generate_week_sample", "write_week_sample"]
