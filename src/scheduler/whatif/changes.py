"""What-if changes to a day: recruit, remove, scale demand, patch-based working, weights, ...

Each change is an immutable dataclass with ``apply(day, options, *, seed, position)``
returning a new day and plan options. A named sequence of them is a
:class:`~carerounds.scheduler.whatif.scenario.Scenario`; runs and comparisons are
:mod:`carerounds.scheduler.whatif.compare`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from ...errors import InputError
from ...geo import Area, haversine_m
from ...routing import Weights
from ..build import PlanOptions
from ..model import TRAVEL_MODES, Client, Day, Shift, Visit, Worker
from ..units import format_hhmm

#: Skill tag prefix that ties visits and workers to a patch (see :class:`RestrictToPatches`).
PATCH_TAG = "patch:"
#: A typical split shift, used for added workers with nothing to copy.
DEFAULT_SHIFTS_S = ((7 * 3600, 13 * 3600), (16 * 3600, 21 * 3600))
_M_PER_DEG_LAT = 111_320.0


# ---- small helpers ----------------------------------------------------------------------------

def _rng(seed: int, position: int) -> np.random.Generator:
    # one independent stream per change, so adding a change never shifts another's draws
    return np.random.default_rng([seed, position])


def _jitter(rng: np.random.Generator, lat: float, lon: float, radius_m: int) -> tuple[float, float]:
    """A point uniformly inside a disc of ``radius_m`` metres around (lat, lon), 6 decimals."""
    distance = radius_m * math.sqrt(rng.random())
    angle = 2 * math.pi * rng.random()
    dlat = distance * math.cos(angle) / _M_PER_DEG_LAT
    dlon = distance * math.sin(angle) / (_M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _fresh_id(base: str, taken: set[str]) -> str:
    number = 1
    while f"{base}{number}" in taken:
        number += 1
    taken.add(f"{base}{number}")
    return f"{base}{number}"


def worker_areas(day: Day) -> dict[str, str]:
    """Each worker's care area: the ``area`` of the client living nearest their home.

    Workers carry no area in ``workers.csv``, so a scenario that adds or removes
    workers "in an area" uses this. With no clients, every worker's area is ``""``.
    """
    if not day.clients:
        return {w.worker_id: "" for w in day.workers}
    clat = np.array([c.lat for c in day.clients])
    clon = np.array([c.lon for c in day.clients])
    result = {}
    for w in day.workers:
        nearest = int(np.argmin(haversine_m(w.home_lat, w.home_lon, clat, clon)))
        result[w.worker_id] = day.clients[nearest].area
    return result


def _check_provider(day: Day, provider: str | None, field_name: str) -> None:
    if provider is not None and provider not in day.provider_by_id:
        raise InputError(f"unknown provider; the day has {sorted(day.provider_by_id)}",
                         id=provider, field=field_name)


def _check_area(day: Day, area: str | None, field_name: str = "area") -> None:
    if area is not None and not any(c.area == area for c in day.clients):
        raise InputError(f"no clients in this area; the day's areas are "
                         f"{sorted({c.area for c in day.clients})}", id=area, field=field_name)


def _without_workers(day: Day, gone: set[str]) -> tuple[Client, ...]:
    """Clients with removed workers taken out of their preferred and excluded lists."""
    return tuple(replace(c, preferred_workers=c.preferred_workers - gone,
                         excluded_workers=c.excluded_workers - gone)
                 if (c.preferred_workers | c.excluded_workers) & gone else c
                 for c in day.clients)


# ---- the changes ------------------------------------------------------------------------------

class Change(Protocol):
    """One named, immutable transformation of a day and its plan options."""

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """Return the changed day and options; ``seed`` and ``position`` seed any random draw."""

    def describe(self) -> str:
        """One line for reports, free of personal data."""


@dataclass(frozen=True)
class AddWorkers:
    """Recruit ``count`` workers for a provider.

    Each new worker copies the shifts, skills, gender, travel mode and hours limit of
    an existing worker of the provider drawn at random (one in ``area`` if there is
    one), unless given here, and lives within ``jitter_m`` of a random client home in
    ``area`` (or of the provider's clients, or of any client). Ids are ``NEW-W1``,
    ``NEW-W2``, ... and names ``New carer 1``, ...

    Parameters
    ----------
    provider : str
        Provider id; must be in the day.
    count : int
        Workers to add, at least 1.
    area : str, optional
        Care area (``clients.csv`` ``area``) to recruit in.
    shifts_s : tuple of (start_s, end_s), optional
        Shifts in seconds since midnight; default copied (or :data:`DEFAULT_SHIFTS_S`).
    skills : frozenset of str, optional
        Default copied (or none).
    travel_mode : str, optional
        ``"drive"`` or ``"walk"``; default copied (or ``"drive"``).
    jitter_m : int, default 1000
        How far from a client's home a new worker may live, metres.
    """

    provider: str
    count: int
    area: str | None = None
    shifts_s: tuple[tuple[int, int], ...] | None = None
    skills: frozenset[str] | None = None
    travel_mode: str | None = None
    jitter_m: int = 1000

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InputError(f"must be a whole number of at least 1, got {self.count!r}",
                             field="count")
        if self.travel_mode is not None and self.travel_mode not in TRAVEL_MODES:
            raise InputError(f"{self.travel_mode!r} is not one of {', '.join(TRAVEL_MODES)}",
                             field="travel_mode")
        for start, end in self.shifts_s or ():
            if not 0 <= start < end <= 24 * 3600:
                raise InputError("a shift must end after it starts, within the day",
                                 field="shifts")

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day with the new workers after the existing ones; options unchanged."""
        _check_provider(day, self.provider, "provider")
        _check_area(day, self.area)
        rng = _rng(seed, position)
        areas = worker_areas(day)
        mine = [w for w in day.workers if w.provider_id == self.provider]
        local = [w for w in mine if self.area is None or areas[w.worker_id] == self.area]
        templates = local or mine
        homes = [c for c in day.clients if self.area is None or c.area == self.area]
        if self.area is None:
            served = {v.client_id for v in day.visits if v.provider_id == self.provider}
            homes = [c for c in day.clients if c.client_id in served] or homes
        taken = set(day.worker_by_id)
        added = []
        for _ in range(self.count):
            like = templates[int(rng.integers(len(templates)))] if templates else None
            if homes:
                anchor = homes[int(rng.integers(len(homes)))]
                lat, lon = _jitter(rng, anchor.lat, anchor.lon, self.jitter_m)
            elif like is not None:
                lat, lon = _jitter(rng, like.home_lat, like.home_lon, self.jitter_m)
            else:
                raise InputError("nowhere to place new workers: the day has no clients and the "
                                 "provider no workers", id=self.provider, field="provider")
            shifts = (tuple(Shift(s, e) for s, e in self.shifts_s) if self.shifts_s
                      else tuple(Shift(s.start_s, s.end_s) for s in like.shifts) if like
                      else tuple(Shift(s, e) for s, e in DEFAULT_SHIFTS_S))
            worker_id = _fresh_id("NEW-W", taken)
            added.append(Worker(
                worker_id=worker_id, provider_id=self.provider,
                name=f"New carer {worker_id.removeprefix('NEW-W')}",
                gender=like.gender if like else "female", home_lat=lat, home_lon=lon,
                shifts=shifts,
                skills=self.skills if self.skills is not None else (like.skills if like else frozenset()),
                travel_mode=self.travel_mode or (like.travel_mode if like else "drive"),
                max_work_s=like.max_work_s if like else None))
        return replace(day, workers=day.workers + tuple(added)), options

    def describe(self) -> str:
        """``add N worker(s) to PROVIDER [in AREA]``."""
        where = f" in {self.area}" if self.area else ""
        return f"add {self.count} worker(s) to {self.provider}{where}"


@dataclass(frozen=True)
class RemoveWorkers:
    """Take workers (or some of their shifts) out of the day.

    Selects workers by any of ``provider``, ``area`` (see :func:`worker_areas`) and
    ``worker_ids``; then, if ``count`` or ``fraction`` is given, a seeded random subset
    of them. With ``shift_band_s``, only their shifts starting in that band go (e.g.
    the late shifts); a worker left with no shift goes altogether. Removed workers
    are also taken out of clients' preferred and excluded lists.

    Parameters
    ----------
    provider, area : str, optional
    worker_ids : frozenset of str, optional
    shift_band_s : (start_s, end_s), optional
        Remove shifts that start at or after ``start_s`` and before ``end_s``.
    count : int, optional
        Remove this many of the selected workers.
    fraction : float, optional
        Remove this share of the selected workers (above 0, at most 1), rounded half up.

    Raises
    ------
    InputError
        When nothing matches, or count exceeds the workers selected.
    """

    provider: str | None = None
    area: str | None = None
    worker_ids: frozenset[str] = frozenset()
    shift_band_s: tuple[int, int] | None = None
    count: int | None = None
    fraction: float | None = None

    def __post_init__(self) -> None:
        if self.count is not None and self.fraction is not None:
            raise InputError("give count or fraction, not both", field="fraction")
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise InputError(f"must be at least 1, got {self.count!r}", field="count")
        if self.fraction is not None and not 0 < self.fraction <= 1:
            raise InputError(f"must be above 0 and at most 1, got {self.fraction!r}",
                             field="fraction")

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day without the selected workers (or their shifts in the band); options unchanged."""
        _check_provider(day, self.provider, "provider")
        _check_area(day, self.area)
        unknown = sorted(self.worker_ids - set(day.worker_by_id))
        if unknown:
            raise InputError("unknown worker(s)", id=", ".join(unknown), field="worker_ids")
        areas = worker_areas(day)
        chosen = [w for w in day.workers
                  if (self.provider is None or w.provider_id == self.provider)
                  and (self.area is None or areas[w.worker_id] == self.area)
                  and (not self.worker_ids or w.worker_id in self.worker_ids)
                  and (self.shift_band_s is None or any(self._in_band(s) for s in w.shifts))]
        if not chosen:
            raise InputError(f"no workers match ({self.describe()})", field="remove_workers")
        k = self._how_many(len(chosen))
        if k is not None:
            if k > len(chosen):
                raise InputError(f"asked to remove {k} but only {len(chosen)} workers match",
                                 field="count")
            picks = _rng(seed, position).choice(len(chosen), size=k, replace=False)
            chosen = [chosen[i] for i in sorted(picks.tolist())]
        chosen_ids = {w.worker_id for w in chosen}
        kept, gone = [], set()
        for w in day.workers:
            if w.worker_id not in chosen_ids:
                kept.append(w)
                continue
            shifts = tuple(s for s in w.shifts if self.shift_band_s is not None
                           and not self._in_band(s))
            if shifts:
                kept.append(replace(w, shifts=shifts))
            else:
                gone.add(w.worker_id)
        return replace(day, workers=tuple(kept), clients=_without_workers(day, gone)), options

    def _how_many(self, selected: int) -> int | None:
        """Workers to draw from the ``selected``, or ``None`` to remove them all."""
        if self.count is not None:
            return self.count
        if self.fraction is not None:
            return math.floor(self.fraction * selected + 0.5)  # half up
        return None

    def _in_band(self, shift: Shift) -> bool:
        band = self.shift_band_s
        return band is not None and band[0] <= shift.start_s < band[1]

    def describe(self) -> str:
        """``remove workers: `` and the selection (provider, area, named, band, share)."""
        parts = [f"provider {self.provider}" if self.provider else "",
                 f"area {self.area}" if self.area else "",
                 f"{len(self.worker_ids)} named" if self.worker_ids else "",
                 f"shifts starting {_hhmm_band(self.shift_band_s)}" if self.shift_band_s else "",
                 f"{self.count} of them" if self.count else "",
                 f"{self.fraction:.0%} of them" if self.fraction else ""]
        return "remove workers: " + (", ".join(p for p in parts if p) or "all")


@dataclass(frozen=True)
class RemoveProvider:
    """A provider leaves: its workers go, and its visits pass to another provider or to none.

    Parameters
    ----------
    provider : str
        The provider leaving.
    to : str, optional
        Provider taking its visits. Default: nobody (a blank provider: any provider's
        worker may take them, as with packages still looking for a provider).
    """

    provider: str
    to: str | None = None

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day without the provider and its workers, its visits passed on; options unchanged."""
        _check_provider(day, self.provider, "provider")
        _check_provider(day, self.to, "to")
        if self.to == self.provider:
            raise InputError("a provider cannot hand its visits to itself", id=self.to, field="to")
        gone = {w.worker_id for w in day.workers if w.provider_id == self.provider}
        visits = tuple(replace(v, provider_id=self.to) if v.provider_id == self.provider else v
                       for v in day.visits)
        return replace(
            day, providers=tuple(p for p in day.providers if p.provider_id != self.provider),
            workers=tuple(w for w in day.workers if w.worker_id not in gone),
            clients=_without_workers(day, gone), visits=visits), options

    def describe(self) -> str:
        """``provider P leaves; visits to Q`` (or ``to any provider``)."""
        return f"provider {self.provider} leaves; visits to {self.to or 'any provider'}"


@dataclass(frozen=True)
class ScaleDemand:
    """Grow (or shrink) the number of clients, in one area or everywhere, seeded.

    Growth clones randomly drawn clients of the area with all their visits: the new
    client lives within ``jitter_m`` of the original, keeps its area, postcode, gender
    preference and package, but has no preferred or excluded carers and no history
    (a new client). Ids are ``<client id>-N1``, ``<visit id>-N1``, ...; names are
    ``New client 1``, ... Shrinking removes a random share of the area's clients with
    their visits.

    Parameters
    ----------
    factor : float
        New number of clients over the current (1.2 = +20 %); must be above 0. The
        number of clients added or removed is rounded half up.
    area : str, optional
        Care area to scale; default all.
    jitter_m : int, default 500
        How far a cloned client may live from the original, metres.
    unassigned : bool, default False
        Give the new visits no provider (packages waiting for one) instead of the
        original's provider.
    """

    factor: float
    area: str | None = None
    jitter_m: int = 500
    unassigned: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)) \
                or not self.factor > 0:
            raise InputError(f"must be a number above 0, got {self.factor!r}", field="factor")

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day with clients cloned (or removed) with their visits; options unchanged."""
        _check_area(day, self.area)
        rng = _rng(seed, position)
        pool = [c for c in day.clients if self.area is None or c.area == self.area]
        change = math.floor(len(pool) * (self.factor - 1) + 0.5)
        if change < 0:
            picks = rng.choice(len(pool), size=min(-change, len(pool)), replace=False)
            gone = {pool[i].client_id for i in picks.tolist()}
            return replace(
                day, clients=tuple(c for c in day.clients if c.client_id not in gone),
                visits=tuple(v for v in day.visits if v.client_id not in gone),
                history={k: v for k, v in day.history.items() if k not in gone}), options
        visits_of: dict[str, list[Visit]] = defaultdict(list)
        for v in day.visits:
            visits_of[v.client_id].append(v)
        client_ids = set(day.client_by_id)
        visit_ids = set(day.visit_by_id)
        new_clients, new_visits = [], []
        for k in range(1, change + 1):
            original = pool[int(rng.integers(len(pool)))]
            lat, lon = _jitter(rng, original.lat, original.lon, self.jitter_m)
            client_id = _fresh_id(f"{original.client_id}-N", client_ids)
            new_clients.append(replace(
                original, client_id=client_id, name=f"New client {k}",
                address=f"near {original.postcode}", lat=lat, lon=lon,
                preferred_workers=frozenset(), excluded_workers=frozenset(), notes="", row=0))
            for v in visits_of[original.client_id]:
                new_visits.append(replace(
                    v, visit_id=_fresh_id(f"{v.visit_id}-N", visit_ids), client_id=client_id,
                    provider_id=None if self.unassigned else v.provider_id, row=0))
        return replace(day, clients=day.clients + tuple(new_clients),
                       visits=day.visits + tuple(new_visits)), options

    def describe(self) -> str:
        """``clients xFACTOR [in AREA]``."""
        where = f" in {self.area}" if self.area else ""
        return f"clients x{self.factor:g}{where}"


@dataclass(frozen=True)
class RestrictToPatches:
    """Patch-based working: a worker may only visit clients in their own patch.

    A client's patch is the patch their home is in; a worker's is the patch their
    home is in (nearest patch when outside all). The rule reaches the solver as
    skills, with no change to the routing model: every visit needs the skill
    ``patch:<its patch>`` and every worker has ``patch:<their patch>``. A visit in a
    patch where no worker lives is therefore unplaced with the reason
    ``no worker with skill patch:<name>``.

    Patches are given directly (``patches``) or built when applied from smaller
    ``areas`` into ``count`` patches balanced by this scenario's demand
    (:func:`carerounds.scheduler.whatif.patches.build_patches`).

    Parameters
    ----------
    patches : tuple of Area, optional
    areas : tuple of Area, optional
    count : int, optional
        Number of patches to build from ``areas``.
    pool : bool, default True
        Let every provider working in a patch share its visits (Monmouthshire's
        model: providers are commissioned per patch). ``False`` keeps each visit with
        its own provider as well.
    source : str, default ""
        Where the polygons came from (a file name), for reports.
    """

    patches: tuple[Area, ...] = ()
    areas: tuple[Area, ...] = ()
    count: int = 0
    pool: bool = True
    source: str = ""

    def __post_init__(self) -> None:
        if bool(self.patches) == bool(self.areas):
            raise InputError("give either patches or areas (with count)", field="patches")
        if self.areas and (isinstance(self.count, bool) or not isinstance(self.count, int)
                           or self.count < 1):
            raise InputError(f"number of patches to build must be at least 1, got {self.count!r}",
                             field="count")

    def resolve(self, day: Day) -> tuple[Area, ...]:
        """The patches: as given, or built from the areas on this day's demand."""
        if self.patches:
            return self.patches
        from .patches import area_demand, build_patches

        return build_patches(self.areas, area_demand(day, self.areas), self.count).patches

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day with visits and workers tagged by patch; options pooled if :attr:`pool`."""
        from .patches import client_areas, locate_points

        patches = self.resolve(day)
        where = client_areas(day, patches)
        homes = locate_points([w.home_lat for w in day.workers],
                              [w.home_lon for w in day.workers], patches) if day.workers else []
        workers = tuple(replace(w, skills=_retag(w.skills, home))
                        for w, home in zip(day.workers, homes))
        visits = tuple(replace(v, skills=_retag(v.skills, where[v.client_id])) for v in day.visits)
        return (replace(day, workers=workers, visits=visits),
                replace(options, pool=options.pool or self.pool))

    def describe(self) -> str:
        """``patch-based working: N patches`` (or how they are built) and their source."""
        what = (f"{len(self.patches)} patches" if self.patches
                else f"{self.count} patches built from {len(self.areas)} areas")
        return f"patch-based working: {what}" + (f" ({self.source})" if self.source else "")


def _retag(skills: frozenset[str], patch: str) -> frozenset[str]:
    return frozenset(s for s in skills if not s.startswith(PATCH_TAG)) | {PATCH_TAG + patch}


@dataclass(frozen=True)
class ChangeWeights:
    """Change objective weights (e.g. ``non_preferred`` for continuity, ``travel_s``).

    Parameters
    ----------
    values : tuple of (name, int)
        Weight names of :class:`carerounds.routing.Weights` and their new values;
        build it with ``ChangeWeights.of(non_preferred=1200)``.
    """

    values: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        Weights.from_mapping(dict(self.values), source="weights")

    @classmethod
    def of(cls, **values: int) -> ChangeWeights:
        """Build from keyword arguments."""
        return cls(tuple(sorted(values.items())))

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day unchanged; options with these weights replaced."""
        return day, replace(options, weights=replace(options.weights, **dict(self.values)))

    def describe(self) -> str:
        """``weights NAME=VALUE, ...``."""
        return "weights " + ", ".join(f"{k}={v}" for k, v in self.values)


@dataclass(frozen=True)
class ChangeTravelMode:
    """Switch workers' travel mode (e.g. town-centre carers walking).

    Selects workers by ``provider``, ``area`` (see :func:`worker_areas`) and
    ``worker_ids``; all workers when none is given.
    """

    mode: str
    provider: str | None = None
    area: str | None = None
    worker_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.mode not in TRAVEL_MODES:
            raise InputError(f"{self.mode!r} is not one of {', '.join(TRAVEL_MODES)}", field="mode")

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day with the selected workers' travel mode switched; options unchanged."""
        _check_provider(day, self.provider, "provider")
        _check_area(day, self.area)
        areas = worker_areas(day)
        workers = tuple(
            replace(w, travel_mode=self.mode)
            if (self.provider is None or w.provider_id == self.provider)
            and (self.area is None or areas[w.worker_id] == self.area)
            and (not self.worker_ids or w.worker_id in self.worker_ids) else w
            for w in day.workers)
        return replace(day, workers=workers), options

    def describe(self) -> str:
        """``travel mode MODE for WHO``."""
        who = ", ".join(p for p in (self.provider or "", self.area or "") if p) or "all workers"
        return f"travel mode {self.mode} for {who}"


@dataclass(frozen=True)
class SetPool:
    """Cross-provider coordination: any provider's worker may do any visit (``plan --pool``)."""

    pool: bool = True

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        """The day unchanged; options with ``pool`` set."""
        return day, replace(options, pool=self.pool)

    def describe(self) -> str:
        """``pooled providers`` or ``each visit with its own provider``."""
        return "pooled providers" if self.pool else "each visit with its own provider"


# ---- kinds of change --------------------------------------------------------------------------

#: Each change class by its ``kind`` in scenario files
#: (:func:`carerounds.scheduler.whatif.scenario.read_scenario`).
KINDS: dict[str, type] = {
    "add_workers": AddWorkers, "remove_workers": RemoveWorkers,
    "remove_provider": RemoveProvider, "scale_demand": ScaleDemand,
    "restrict_to_patches": RestrictToPatches, "weights": ChangeWeights,
    "travel_mode": ChangeTravelMode, "pool": SetPool,
}


def kind_of(change: Change) -> str:
    """The ``kind`` of a change in scenario files, or its class name for other changes."""
    return next((k for k, cls in KINDS.items() if isinstance(change, cls)), type(change).__name__)


def _hhmm_band(band: tuple[int, int] | None) -> str:
    if band is None:
        return ""
    return "-".join(format_hhmm(s) for s in band)

