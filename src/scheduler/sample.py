"""The built-in sample day: a synthetic, realistic day of home-care inputs for a real UK region.

The public face of the generator. Its rooms: :mod:`.sample_regions` (care areas, street
and personal names per region, over the geography of :mod:`carerounds.geo.regions`),
:mod:`.sample_places` (streets, addresses, postcodes), :mod:`.sample_demand` (clients,
packages of visits, providers, planted pairs), :mod:`.sample_supply` (workforce, skills,
preferences, history) and :mod:`.sample_drafts` (their mutable records). Every random
choice comes from one ``random.Random(seed)`` in a fixed order, so the same arguments give
byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..geo import regions as geo_regions
from .model import SKILLS
from .sample_demand import BANDS as BANDS
from .sample_demand import SERVICES as SERVICES
from .sample_demand import Demand, Size
from .sample_drafts import VisitDraft
from .sample_places import Places
from .sample_regions import REGIONS as REGIONS
from .sample_regions import SampleRegion as SampleRegion
from .sample_regions import Town as Town
from .sample_supply import Supply
from .units import format_hhmm

# ---- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One CSV file's content: a header and rows of strings, all immutable."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def as_dicts(self) -> list[dict[str, str]]:
        """The rows as dictionaries keyed by column name."""
        return [dict(zip(self.header, row)) for row in self.rows]

    def column(self, name: str) -> list[str]:
        """One column's values, in row order."""
        index = self.header.index(name)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class SampleDay:
    """A generated day of inputs, as the tables of the files ``write_sample`` writes.

    Parameters
    ----------
    region, size : str
        What was asked for.
    date : datetime.date
        The plan date (a few clients attend a day centre on one weekday and skip lunch).
    seed : int
        The seed; the same arguments always give the same tables.
    providers, workers, clients, visits : Table
        The four input files of the contract, columns in contract order.
    history : Table
        ``client_id, worker_id, visits``: past visits per client and worker over the
        four weeks before the date (continuity of carer).
    planted_duplicates : Table
        ``visit_id_a, visit_id_b, kind``: pairs of visits by two different providers to one
        client (``same_client``) or to two clients at one address (``same_household``) whose
        windows overlap or are at most 60 min apart. A duplicate finder must report them.
    near_misses : Table
        ``visit_id_a, visit_id_b, kind``: pairs planted to look alike but that must NOT be
        reported: ``same_client_far_apart`` (one client, two providers, windows 3 h or more
        apart) and ``neighbours`` (same street and postcode, different house, similar time).
        Not written to disk.
    """

    region: str
    date: dt.date
    seed: int
    size: str
    providers: Table
    workers: Table
    clients: Table
    visits: Table
    history: Table
    planted_duplicates: Table
    near_misses: Table = field(default_factory=lambda: Table(("visit_id_a", "visit_id_b", "kind"),
                                                             ()))

    def files(self) -> dict[str, Table]:
        """The tables ``write_sample`` writes, keyed by file name, in writing order."""
        return {"providers.csv": self.providers, "workers.csv": self.workers,
                "clients.csv": self.clients, "visits.csv": self.visits,
                "history.csv": self.history, "planted_duplicates.csv": self.planted_duplicates}


#: Columns of each file, in contract order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "providers.csv": ("provider_id", "name", "kind", "office_phone", "on_call_phone"),
    "workers.csv": ("worker_id", "provider_id", "name", "gender", "home_lat", "home_lon",
                    "shift_start", "shift_end", "skills", "travel_mode", "max_hours", "phone"),
    "clients.csv": ("client_id", "name", "address", "postcode", "lat", "lon", "area",
                    "gender_preference", "preferred_workers", "excluded_workers", "notes",
                    "phone", "emergency_contact", "access"),
    "visits.csv": ("visit_id", "client_id", "provider_id", "window_start", "window_end",
                   "duration_min", "carers", "skills", "priority", "service", "tasks",
                   "time_critical"),
    "history.csv": ("client_id", "worker_id", "visits"),
    "planted_duplicates.csv": ("visit_id_a", "visit_id_b", "kind"),
}

#: Sizes of sample, by command-line name.
SIZES: dict[str, Size] = {
    "small": Size(visits=60, same_client=1, same_household=1, far_apart=1, neighbours=1,
                  day_scale=False),
    "day": Size(visits=1500, same_client=10, same_household=5, far_apart=5, neighbours=5,
                day_scale=True),
}

# ---- public API ------------------------------------------------------------------------------


def generate_sample(region: str, *, date: dt.date, seed: int, size: str = "small") -> SampleDay:
    """Generate a synthetic day of home-care inputs for a real region.

    Parameters
    ----------
    region : str
        A region of :data:`REGIONS` (names from the registry,
        :data:`carerounds.geo.regions.REGIONS`): ``"midlothian"``, ``"monmouthshire"`` or
        ``"rutland"``.
    date : datetime.date
        The plan date. It only decides which clients are at a day centre (they skip lunch).
    seed : int
        Seed of every random choice; the same arguments give byte-identical files.
    size : str, default "small"
        ``"small"`` (about 60 visits, 8 workers, 2 providers) or ``"day"`` (about 1,500
        visits, 180 workers, 4 in-house teams and 3-5 independent providers).

    Returns
    -------
    SampleDay

    Raises
    ------
    InputError
        (a ``ValueError``) for an unknown region or size, naming the valid ones.
    """
    sample_region = _sample_region(region)
    if size not in SIZES:
        raise InputError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}",
                         field="size")
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    rng = random.Random(seed)
    # the order of these steps is the order of the random draws: keep it
    demand = Demand(sample_region, SIZES[size], date, rng, Places(sample_region, rng))
    demand.build()
    supply = Supply(demand, rng)
    supply.build()
    demand.guarantee_special_characters()
    return _tables(demand, supply, rng, seed=seed, size=size)


def write_sample(sample: SampleDay, out_dir: Path) -> list[Path]:
    r"""Write a sample day as UTF-8 CSV files with a header row.

    Writes ``providers.csv``, ``workers.csv``, ``clients.csv``, ``visits.csv`` (the inputs,
    columns in contract order) plus ``history.csv`` and ``planted_duplicates.csv``,
    replacing files of those names. Lines end with ``\n``; fields are quoted only when
    needed.

    Parameters
    ----------
    sample : SampleDay
    out_dir : Path
        Folder to write into; created with its parents if missing.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
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


# ---- generation ------------------------------------------------------------------------------


def _sample_region(name: str) -> SampleRegion:
    place = geo_regions.region(name)  # an unknown name is an InputError listing the known ones
    try:
        return REGIONS[place.name]
    except KeyError:
        raise InputError(f"the sample has no care data for region {name!r}; choose one of "
                         f"{', '.join(REGIONS)}", field="region") from None


def _hhmm(minutes: int) -> str:
    return format_hhmm(minutes * 60)


#: Relations of a client's emergency contact, and first names for them (fictional).
_RELATIONS = ("daughter", "son", "niece", "nephew", "neighbour", "friend", "granddaughter")
_CONTACT_NAMES = ("Alex", "Sam", "Jo", "Chris", "Morgan", "Jamie", "Lee", "Robin", "Kim", "Pat")


def _time_critical(visit: VisitDraft, rng: random.Random) -> bool:
    """Whether a visit is time-critical: insulin, and about a third of other medication visits.

    The others stand for Parkinson's drugs and anticoagulants, which must be given on time.
    """
    return "insulin" in visit.tasks or ("medication" in visit.skills and rng.random() < 0.35)


class _PhoneBook:
    """Fictional numbers from Ofcom's ranges for drama (never connected to anyone).

    Landlines 01632 960000-960999 and mobiles 07700 900000-900999, each drawn once in a
    shuffled order (again from the start if a very large sample needs more than 1,000).
    A random generator of its own keeps every other draw of the sample as it was.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"carerounds-phones-{seed}")
        self._free: dict[str, list[int]] = {"01632 960": [], "07700 900": []}

    def number(self, kind: str) -> str:
        prefix = "01632 960" if kind == "landline" else "07700 900"
        if not self._free[prefix]:
            self._free[prefix] = self.rng.sample(range(1000), 1000)
        return f"{prefix}{self._free[prefix].pop():03d}"

    def emergency_contact(self, client_name: str) -> str:
        surname = client_name.rsplit(" ", 1)[-1]
        return (f"{self.rng.choice(_CONTACT_NAMES)} {surname} ({self.rng.choice(_RELATIONS)}) "
                f"{self.number('mobile')}")


def _tables(demand: Demand, supply: Supply, rng: random.Random, *, seed: int,
            size: str) -> SampleDay:
    """Number providers, workers, clients and visits, and write them out as tables."""
    for i, provider in enumerate(demand.providers, start=1):
        provider.id = f"P{i:02d}"
    order = {id(p): i for i, p in enumerate(demand.providers)}
    worker_index = {id(w): i for i, w in enumerate(supply.workers)}
    workers = sorted(supply.workers, key=lambda w: (order[id(w.provider)], worker_index[id(w)]))
    for i, worker in enumerate(workers, start=1):
        worker.id = f"W{i:03d}"
    clients = list(demand.clients)
    rng.shuffle(clients)  # ids carry no hint of which clients were planted
    for i, client in enumerate(clients, start=1):
        client.id = f"C{i:04d}"
    visits = sorted(demand.visits, key=lambda v: (v.client.id, v.start, v.end,
                                                  v.provider.id if v.provider else ""))
    for i, visit in enumerate(visits, start=1):
        visit.id = f"V{i:05d}"

    book = _PhoneBook(seed)
    providers = tuple((p.id, p.name, p.kind, book.number("landline"), book.number("mobile"))
                      for p in demand.providers)
    worker_rows = []
    for w in workers:
        phone = book.number("mobile")
        for seg_start, seg_end in w.segments:
            worker_rows.append((
                w.id, w.provider.id, w.name, "female" if w.female else "male",
                f"{w.lat:.6f}", f"{w.lon:.6f}", _hhmm(seg_start), _hhmm(seg_end),
                ";".join(s for s in SKILLS if s in w.skills), w.mode, w.max_hours, phone))
    client_rows = []
    for c in sorted(clients, key=lambda c: c.id):
        # most clients have a landline and a relative or neighbour to call; some neither
        phone = book.number("landline") if book.rng.random() < 0.7 else ""
        contact = book.emergency_contact(c.name) if book.rng.random() < 0.8 else ""
        client_rows.append((
            c.id, c.name, c.address, c.postcode, f"{c.lat:.6f}", f"{c.lon:.6f}", c.town.area,
            c.gender_preference, ";".join(w.id for w in c.preferred),
            ";".join(w.id for w in c.excluded), c.notes, phone, contact, c.access))
    visit_rows = tuple(
        (v.id, v.client.id, v.provider.id if v.provider else "", _hhmm(v.start),
         _hhmm(v.end), str(v.duration), str(v.carers),
         ";".join(s for s in SKILLS if s in v.skills), v.priority, v.service, v.tasks,
         "yes" if _time_critical(v, book.rng) else "")
        for v in visits)
    history = tuple(sorted(
        (demand.clients[ci].id, supply.workers[wi].id, str(n))
        for (ci, wi), n in supply.history.items()))
    planted = tuple(sorted((a.id, b.id, kind) if a.id < b.id else (b.id, a.id, kind)
                           for a, b, kind in demand.planted))
    near = tuple(sorted((a.id, b.id, kind) if a.id < b.id else (b.id, a.id, kind)
                        for a, b, kind in demand.near))
    pair = ("visit_id_a", "visit_id_b", "kind")
    return SampleDay(
        region=demand.region.name, date=demand.date, seed=seed, size=size,
        providers=Table(COLUMNS["providers.csv"], providers),
        workers=Table(COLUMNS["workers.csv"], tuple(worker_rows)),
        clients=Table(COLUMNS["clients.csv"], tuple(client_rows)),
        visits=Table(COLUMNS["visits.csv"], visit_rows),
        history=Table(COLUMNS["history.csv"], history),
        planted_duplicates=Table(pair, planted),
        near_misses=Table(pair, near))
