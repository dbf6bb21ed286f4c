"""The care domain: providers, workers and their shifts, clients, visits and a day to plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from ..errors import InputError
from ..geo.travel import haversine_m

PRIORITIES = ("critical", "high", "normal")
PROVIDER_KINDS = ("in_house", "independent")
TRAVEL_MODES = ("drive", "walk")
GENDERS = ("female", "male", "other")
SKILLS = ("medication", "hoist", "dementia", "peg", "catheter", "complex_care")


def _run_seconds(run: Mapping, key: str, default: int, *, where: str = "run.") -> int:
    """A non-negative whole number from a rota's run record, or ``default`` when absent."""
    value = run.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**7:
        raise InputError("must be a whole number from 0 to 10,000,000", field=where + key)
    return value


@dataclass(frozen=True)
class BreakRule:
    """The rest break a long stretch of work is owed (Working Time Regulations 1998, reg. 12).

    Parameters
    ----------
    after_s : int, default 6 h
        A stretch of work (leave home to back home) longer than this needs a break.
    min_s : int, default 20 min
        The break's length.
    """

    after_s: int = 6 * 3600
    min_s: int = 20 * 60

    @classmethod
    def of_run(cls, run: Mapping) -> BreakRule:
        """The rule a rota was planned with, from its run record (defaults when absent).

        Raises
        ------
        InputError
            When the record holds something other than whole seconds.
        """
        default = cls()
        return cls(after_s=_run_seconds(run, "break_after_s", default.after_s),
                   min_s=_run_seconds(run, "break_s", default.min_s))


@dataclass(frozen=True)
class TravelBuffer:
    """Time kept free between visits at different addresses, on top of the travel.

    The UNISON Ethical Care Charter asks that carers are "not forced to rush": back-to-back
    visits with only the bare driving time between them are call cramming. The planner
    keeps ``max(min_s, travel x share_bp / 10,000)`` between the end of one visit and the
    start of the next when the two homes are more than ``same_address_m`` apart; the
    checker holds every rota to the rule it was planned with.

    Parameters
    ----------
    min_s : int, default 5 min
        The least buffer, seconds; 0 with ``share_bp`` 0 turns the buffer off.
    share_bp : int, default 1,000 (10 %)
        The buffer as a share of the leg's travel time, in basis points.
    same_address_m : int, default 25
        Homes closer than this, metres, are one address (a household): no buffer.
    """

    min_s: int = 5 * 60
    share_bp: int = 1000
    same_address_m: int = 25

    def __post_init__(self) -> None:
        for name in ("min_s", "share_bp", "same_address_m"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")

    def seconds(self, travel_s: int) -> int:
        """The buffer after a leg of ``travel_s`` seconds between two addresses."""
        return max(self.min_s, travel_s * self.share_bp // 10_000)

    def owed(self, previous: Client | None, client: Client, travel_s: int) -> int:
        """The buffer owed before a visit to ``client`` after one to ``previous`` (None: home)."""
        if previous is None or previous.client_id == client.client_id or not (
                self.min_s or self.share_bp):
            return 0
        apart = float(haversine_m(previous.lat, previous.lon, client.lat, client.lon))
        return self.seconds(travel_s) if apart > self.same_address_m else 0

    @classmethod
    def of_run(cls, run: Mapping) -> TravelBuffer:
        """The buffer a rota was planned with, from its run record (none when absent).

        Rotas written before the buffer existed carry no record and were planned
        without one.
        """
        recorded = run.get("travel_buffer")
        if recorded is None:
            return cls(min_s=0, share_bp=0)
        if not isinstance(recorded, Mapping):
            raise InputError("is not an object of min_s, share_bp and same_address_m",
                             field="run.travel_buffer")
        default = cls()
        return cls(**{k: _run_seconds(recorded, k, getattr(default, k), where="run.travel_buffer.")
                      for k in ("min_s", "share_bp", "same_address_m")})


#: The break rule of the Working Time Regulations; the planner, the checker and the
#: fair-work report all read it from here (or from a rota's run record).
BREAK_RULE = BreakRule()


@dataclass(frozen=True)
class SourceFile:
    """An input file as read: name (no directory), SHA-256 of its bytes and data rows."""

    name: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class Provider:
    """A care provider: an in-house council team or an independent provider."""

    provider_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class Shift:
    """One shift of a worker, seconds since midnight; ``row`` is its line in workers.csv.

    ``days`` are the weekdays (0 Monday) the shift is worked, ``None`` for every day.
    """

    start_s: int
    end_s: int
    row: int = 0
    days: frozenset[int] | None = None

    def on(self, date: dt.date) -> bool:
        """Whether the shift is worked on ``date``."""
        return self.days is None or date.weekday() in self.days

    @property
    def length_s(self) -> int:
        """Shift length in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Worker:
    """A care worker with one or more shifts on the plan date (split shifts).

    ``max_work_s`` bounds the worker's paid time (leave home to return, over all shifts).
    Over a week (see :mod:`carerounds.scheduler.week`), ``contract_week_s`` is the time the
    worker is contracted for and ``max_week_s`` their weekly limit (``None``: the
    Working Time Regulations' 48 hours).
    """

    worker_id: str
    provider_id: str
    name: str
    gender: str
    home_lat: float
    home_lon: float
    shifts: tuple[Shift, ...]
    skills: frozenset[str]
    travel_mode: str
    max_work_s: int | None = None
    row: int = 0
    contract_week_s: int | None = None
    max_week_s: int | None = None

    def on(self, date: dt.date) -> Worker | None:
        """The worker with only the shifts worked on ``date``; ``None`` on a day off."""
        shifts = tuple(s for s in self.shifts if s.on(date))
        if len(shifts) == len(self.shifts):
            return self
        return replace(self, shifts=shifts) if shifts else None


@dataclass(frozen=True)
class Client:
    """A person receiving care at home."""

    client_id: str
    name: str
    address: str
    postcode: str
    lat: float
    lon: float
    area: str
    gender_preference: str | None
    preferred_workers: frozenset[str]
    excluded_workers: frozenset[str]
    notes: str
    row: int = 0


@dataclass(frozen=True)
class Visit:
    """One call of a package of care.

    ``provider_id`` is ``None`` when no provider has taken the package yet.
    Service must start in ``[window_start_s, window_end_s]`` and lasts ``service_s``.
    """

    visit_id: str
    client_id: str
    provider_id: str | None
    window_start_s: int
    window_end_s: int
    service_s: int
    carers: int
    skills: frozenset[str]
    priority: str
    service: str
    tasks: tuple[str, ...]
    row: int = 0


@dataclass(frozen=True)
class Day:
    """Everything needed to plan one day.

    ``history`` maps client id to {worker id: past visits} for continuity of carer.
    """

    date: dt.date
    providers: tuple[Provider, ...]
    workers: tuple[Worker, ...]
    clients: tuple[Client, ...]
    visits: tuple[Visit, ...]
    sources: tuple[SourceFile, ...] = ()
    history: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @cached_property
    def provider_by_id(self) -> dict[str, Provider]:
        """Providers keyed by id."""
        return {p.provider_id: p for p in self.providers}

    @cached_property
    def worker_by_id(self) -> dict[str, Worker]:
        """Workers keyed by id."""
        return {w.worker_id: w for w in self.workers}

    @cached_property
    def client_by_id(self) -> dict[str, Client]:
        """Clients keyed by id."""
        return {c.client_id: c for c in self.clients}

    @cached_property
    def visit_by_id(self) -> dict[str, Visit]:
        """Visits keyed by id."""
        return {v.visit_id: v for v in self.visits}

    def regular_workers(self, client_id: str, *, top: int = 3) -> frozenset[str]:
        """The client's regular carers: up to ``top`` workers with most past visits."""
        counts = self.history.get(client_id, {})
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return frozenset(w for w, n in ranked[:top] if n > 0 and w in self.worker_by_id)
