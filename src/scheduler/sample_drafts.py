"""The sample generator's mutable records, filled in while drawing; the result is frozen tables.

Ids stay blank until the end (:func:`carerounds.scheduler.sample.generate_sample`
numbers everything once the day is complete), so records refer to each other directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .sample_regions import Town


@dataclass
class Street:
    """A straight street of numbered houses in a town, all under one postcode."""

    town: Town
    name: str
    lat: float
    lon: float
    bearing: float                 # radians, direction house numbers grow along
    max_number: int
    postcode: str
    used: set[int] = field(default_factory=set)


@dataclass
class ProviderDraft:
    """A provider and the care areas it works in."""

    name: str
    kind: str
    role: str                      # mainstream, reablement, complex, rapid, independent
    areas: tuple[str, ...]
    id: str = ""


@dataclass
class ClientDraft:
    """A client, their home and needs, and (later) their wishes about carers."""

    name: str
    female: bool
    address: str
    postcode: str
    lat: float
    lon: float
    town: Town
    street: Street | None          # None: a rural address between towns
    number: int | None
    service: str
    needs: frozenset[str]          # dementia, hoist, peg, catheter, insulin
    gender_preference: str = ""
    preferred: list[WorkerDraft] = field(default_factory=list)
    excluded: list[WorkerDraft] = field(default_factory=list)
    notes: str = ""
    access: str = ""
    planted: bool = False          # part of a planted pair: keep it as it is
    id: str = ""


@dataclass
class VisitDraft:
    """One visit of a client's package, in one band of the day."""

    client: ClientDraft
    provider: ProviderDraft | None
    start: int                     # window start, minutes since midnight
    end: int
    duration: int
    carers: int
    skills: frozenset[str]
    priority: str
    service: str
    tasks: str
    band: str
    id: str = ""


@dataclass
class WorkerDraft:
    """A care worker: home, shift pattern and its segments, skills and travel mode."""

    provider: ProviderDraft
    name: str
    female: bool
    lat: float
    lon: float
    town: Town
    pattern: str
    segments: tuple[tuple[int, int], ...]  # the pattern's (start, end) minutes
    skills: set[str]
    mode: str = "drive"
    max_hours: str = ""
    id: str = ""
