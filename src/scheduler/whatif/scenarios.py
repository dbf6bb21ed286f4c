"""Planners' what-if scenarios: composable changes to a day, run in parallel and compared."""

from __future__ import annotations

import math
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ...errors import InputError
from ...geo import Area, haversine_m
from ...routing import SolveParams, Weights
from ..build import PlanOptions
from ..model import TRAVEL_MODES, Client, Day, Shift, Visit, Worker
from ..rota import Rota
from ..travel import DayTravel, build_travel, day_places
from ..units import METRES_PER_MILE, format_hhmm, parse_hhmm
from .pricing import CostRates, delivery_cost_pence

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
        for k in range(self.count):
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
        if self.count is not None or self.fraction is not None:
            k = self.count if self.count is not None else math.floor(self.fraction * len(chosen) + 0.5)
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

    def _in_band(self, shift: Shift) -> bool:
        start, end = self.shift_band_s  # type: ignore[misc]
        return start <= shift.start_s < end

    def describe(self) -> str:
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
        return day, replace(options, weights=replace(options.weights, **dict(self.values)))

    def describe(self) -> str:
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
        who = ", ".join(p for p in (self.provider or "", self.area or "") if p) or "all workers"
        return f"travel mode {self.mode} for {who}"


@dataclass(frozen=True)
class SetPool:
    """Cross-provider coordination: any provider's worker may do any visit (``plan --pool``)."""

    pool: bool = True

    def apply(self, day: Day, options: PlanOptions, *, seed: int = 0,
              position: int = 0) -> tuple[Day, PlanOptions]:
        return day, replace(options, pool=self.pool)

    def describe(self) -> str:
        return "pooled providers" if self.pool else "each visit with its own provider"


# ---- scenarios --------------------------------------------------------------------------------

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Scenario:
    """A named what-if: the base day with changes applied in order.

    Parameters
    ----------
    name : str
        Unique within a comparison; used for the output folder (letters, digits,
        ``_ . -``; other characters become ``-``).
    changes : tuple of Change
        Applied in order, each to the result of the one before: put
        :class:`RestrictToPatches` after changes that add clients or workers so they
        get patch tags too.
    seed : int, optional
        Seeds the changes' random draws and the solver; default: the comparison's
        ``SolveParams.seed``.
    description : str
    """

    name: str
    changes: tuple[Change, ...] = ()
    seed: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise InputError("a scenario needs a name", field="name")
        object.__setattr__(self, "changes", tuple(self.changes))

    @property
    def slug(self) -> str:
        """The name made safe for a folder name."""
        return _SLUG.sub("-", self.name.strip()).strip("-") or "scenario"

    def then(self, *changes: Change) -> Scenario:
        """A new scenario with more changes after these."""
        return replace(self, changes=self.changes + tuple(changes))

    def apply(self, day: Day, options: PlanOptions | None = None, *,
              seed: int | None = None) -> tuple[Day, PlanOptions]:
        """Apply every change in order; ``seed`` is used when the scenario has none (default 0)."""
        options = options or PlanOptions()
        effective = self.seed if self.seed is not None else (seed or 0)
        for position, change in enumerate(self.changes):
            try:
                day, options = change.apply(day, options, seed=effective, position=position)
            except InputError as exc:
                raise InputError(exc.message, file=exc.file,
                                 field=f"scenario {self.name!r} change {position + 1} "
                                       f"({_kind_of(change)}): {exc.field or 'value'}",
                                 id=exc.id, row=exc.row) from None
        return day, options

    def describe(self) -> str:
        """The changes in one line."""
        return "; ".join(c.describe() for c in self.changes) or "no changes (base)"


# ---- TOML scenario files ----------------------------------------------------------------------

_KINDS: dict[str, type] = {
    "add_workers": AddWorkers, "remove_workers": RemoveWorkers,
    "remove_provider": RemoveProvider, "scale_demand": ScaleDemand,
    "restrict_to_patches": RestrictToPatches, "weights": ChangeWeights,
    "travel_mode": ChangeTravelMode, "pool": SetPool,
}


def _kind_of(change: Change) -> str:
    return next((k for k, cls in _KINDS.items() if isinstance(change, cls)), type(change).__name__)


def _hhmm(value: Any) -> int:
    return parse_hhmm(value)


def _band(value: Any) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{value!r} is not a band HH:MM-HH:MM")
    start, end = (_hhmm(v) for v in value.split("-"))
    if end <= start:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end


def _hhmm_band(band: tuple[int, int] | None) -> str:
    if band is None:
        return ""
    return "-".join(format_hhmm(s) for s in band)


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a TOML file.

    The format (every key but ``kind`` optional unless stated)::

        name = "patches"              # default: the file name without .toml
        description = "12 patches, providers share each patch"
        seed = 1
        [[change]]
        kind = "restrict_to_patches"  # patches from a polygon file ...
        patches = "patches.geojson"   # relative to this file; name_field = "name"
        # ... or built: areas = "wards.geojson", count = 12
        [[change]]
        kind = "scale_demand"
        factor = 1.2                  # required
        area = "North"

    Kinds and keys: ``add_workers`` (provider, count, area, shifts = ["07:00-13:00"],
    skills = ["hoist"], travel_mode, jitter_m); ``remove_workers`` (provider, area,
    workers = [ids], shift_band = "16:00-24:00", count, fraction); ``remove_provider``
    (provider, to); ``scale_demand`` (factor, area, jitter_m, unassigned);
    ``restrict_to_patches`` (patches | areas + count, name_field, pool); ``weights``
    (any :class:`carerounds.routing.Weights` field); ``travel_mode`` (mode, provider,
    area, workers); ``pool`` (pool = true).

    Raises
    ------
    InputError
        Missing file, bad TOML, unknown kind or key, or a bad value; the message names
        the file, the change (``change 2``) and the key.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("scenario file not found", file=path.name) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=path.name) from None
    known = {"name", "description", "seed", "change"}
    for key in data:
        if key not in known:
            raise InputError(f"unknown key; expected {sorted(known)}", file=path.name, field=key)
    name = data.get("name", path.name.removesuffix(".toml"))
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InputError(f"seed must be a whole number, got {seed!r}", file=path.name, field="seed")
    tables = data.get("change", [])
    if not isinstance(tables, list):
        raise InputError("use [[change]] tables", file=path.name, field="change")
    changes = []
    for number, table in enumerate(tables, start=1):
        try:
            changes.append(_change_from_table(dict(table), path.parent))
        except InputError as exc:
            raise InputError(exc.message, file=path.name,
                             field=f"change {number}: {exc.field or 'value'}", id=exc.id) from None
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), file=path.name, field=f"change {number}") from None
    return Scenario(name=str(name), changes=tuple(changes), seed=seed,
                    description=str(data.get("description", "")))


def _change_from_table(table: dict, folder: Path) -> Change:
    kind = table.pop("kind", None)
    if kind not in _KINDS:
        raise InputError(f"kind must be one of {sorted(_KINDS)}, got {kind!r}", field="kind")
    if kind == "weights":
        return ChangeWeights(tuple(sorted(table.items())))
    if kind == "restrict_to_patches":
        return _patches_from_table(table, folder)
    cls = _KINDS[kind]
    renames = {"shifts": "shifts_s", "shift_band": "shift_band_s", "workers": "worker_ids"}
    allowed = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        target = renames.get(key, key)
        if target not in allowed or target in renames.values() and key == target:
            shown = sorted({next((k for k, v in renames.items() if v == a), a) for a in allowed})
            raise InputError(f"unknown key for {kind}; expected {shown}", field=key)
        try:
            if target == "shifts_s":
                value = tuple(_band(v) for v in value)
            elif target == "shift_band_s":
                value = _band(value)
            elif target in ("skills", "worker_ids"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{value!r} is not a list of strings")
                value = frozenset(value)
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), field=key) from None
        values[target] = value
    try:
        return cls(**values)
    except TypeError as exc:
        missing = re.findall(r"'(\w+)'", str(exc))
        raise InputError(f"missing required key(s) for {kind}: {', '.join(missing) or exc}",
                         field=missing[0] if missing else "kind") from None


def _patches_from_table(table: dict, folder: Path) -> RestrictToPatches:
    from ...geo import read_areas

    allowed = {"patches", "areas", "count", "name_field", "pool"}
    for key in table:
        if key not in allowed:
            raise InputError(f"unknown key for restrict_to_patches; expected {sorted(allowed)}",
                             field=key)
    if ("patches" in table) == ("areas" in table):
        raise InputError("give either patches = FILE or areas = FILE with count = N",
                         field="patches")
    key = "patches" if "patches" in table else "areas"
    polygons = read_areas(folder / str(table[key]), name_field=table.get("name_field"))
    pool = table.get("pool", True)
    if not isinstance(pool, bool):
        raise InputError(f"must be true or false, got {pool!r}", field="pool")
    if key == "patches":
        if "count" in table:
            raise InputError("count is only for areas = FILE", field="count")
        return RestrictToPatches(patches=polygons, pool=pool, source=Path(table[key]).name)
    if "count" not in table:
        raise InputError("areas = FILE needs count = N (number of patches)", field="count")
    return RestrictToPatches(areas=polygons, count=table["count"], pool=pool,
                             source=Path(table[key]).name)


# ---- travel for a scenario --------------------------------------------------------------------

def modes_needed(day: Day) -> tuple[str, ...]:
    """Travel modes a day's workers use (always ``drive``: the checker and reports use it)."""
    return tuple(sorted({"drive"} | {w.travel_mode for w in day.workers}))


def scenario_travel(base: DayTravel, day: Day) -> DayTravel:
    """Travel for a scenario's day, reusing the base day's matrices when they cover it.

    When every place of ``day`` is in ``base`` at the same coordinates and every mode
    is there, ``base`` itself is returned (extra rows are harmless). Otherwise the
    matrices are rebuilt over the scenario's places: by straight-line estimate when
    the base used it, else on the base's own road networks (snapping new homes), so a
    sweep never reads the road file again.

    Raises
    ------
    InputError
        When the scenario needs a travel mode whose road network the base lacks.
    """
    places = day_places(day)
    modes = modes_needed(day)
    covered = all(m in base.matrices for m in modes) and all(
        (p.kind, p.id) in base.index
        and (base.places[base.index[(p.kind, p.id)]].lat, base.places[base.index[(p.kind, p.id)]].lon)
        == (p.lat, p.lon) for p in places)
    if covered:
        return base
    if base.roads is None or not base.networks:
        return build_travel(day, modes=modes)
    missing = [m for m in modes if m not in base.networks]
    if missing:
        raise InputError(f"the scenario needs {', '.join(missing)} travel but the base travel has "
                         f"only {', '.join(sorted(base.networks))}; build the base travel with "
                         f"modes including {', '.join(missing)}", field="travel_mode")
    from ...geo import road_matrix, snap_locations

    index = {(p.kind, p.id): i for i, p in enumerate(places)}
    lats = np.array([p.lat for p in places])
    lons = np.array([p.lon for p in places])
    labels = [p.label for p in places]
    matrices, warnings, snaps, nodes = {}, [], {}, {}
    for mode in modes:
        network = base.networks[mode]
        snapping = snap_locations(network, lats, lons, labels=labels)
        warnings.extend(f"{mode}: {w}" for w in snapping.warnings)
        matrices[mode] = road_matrix(network, snapping.nodes)
        snaps[mode] = np.asarray(snapping.snap_m)
        nodes[mode] = np.asarray(snapping.nodes)
    return DayTravel(places, index, matrices, roads=base.roads, warnings=tuple(warnings),
                     snap_m=snaps, network_nodes=nodes,
                     networks={m: base.networks[m] for m in modes})


# ---- measuring a rota -------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """One figure of one run: integers in the unit its name ends with.

    ``by`` is ``"all"``, ``"area"``, ``"service"``, ``"provider"`` or ``"fair_work"``;
    ``group`` the area, service, provider or flag kind (``""`` for ``"all"``).
    Names end in ``_s`` (seconds), ``_m`` (metres), ``_pence`` or ``_bp`` (basis
    points, 100 = 1 %); counts have no suffix.
    """

    metric: str
    by: str
    group: str
    value: int


def _duplicate_count(day: Day) -> int:
    from ..duplicates import find_duplicate_visits

    return len(find_duplicate_visits(day))


def rota_metrics(day: Day, rota: Rota, *, options: PlanOptions | None = None,
                 rates: CostRates | None = None, violations: int | None = None
                 ) -> tuple[Metric, ...]:
    """The comparison figures of one planned day.

    Parameters
    ----------
    day : Day
        The (scenario's) day the rota was planned for.
    rota : Rota
    options : PlanOptions, optional
        For the number of regular carers counted in continuity; default ``PlanOptions()``.
    rates : CostRates, optional
        Staff and mileage costs; default ``CostRates()``.
    violations : int, optional
        Checker violations, recorded as ``check_violations`` when given.

    Returns
    -------
    tuple of Metric
        ``visits, placed_visits, unplaced_visits, demand_s, placed_s, unplaced_s,
        travel_s, distance_m, paid_s, workers, workers_used, cost_pence,
        clients_served, client_carer_pairs`` and, when defined,
        ``continuity_bp`` (share of today's carer-visits to clients with regular carers
        done by one of them, as in the fair-work report; absent when no client has
        any), ``duplicate_visits`` (multi-provider pairs, see
        :func:`carerounds.scheduler.duplicates.find_duplicate_visits`), ``fair_work_flags``
        in total and by rule (:func:`carerounds.scheduler.fairwork.fair_work_checks`); then
        ``placed_s, unplaced_s, unplaced_visits`` by area and by service, and
        ``placed_s`` by provider. Hours are carer-hours (a double-up counts twice);
        paid time runs from leaving home to getting back, less breaks.
    """
    options = options or PlanOptions()
    out: list[Metric] = []

    def add(metric: str, value: int, by: str = "all", group: str = "") -> None:
        out.append(Metric(metric, by, group, int(value)))

    outcome = {o.visit_id: o for o in rota.outcomes}
    placed = {"area": defaultdict(int), "service": defaultdict(int)}
    unplaced = {"area": defaultdict(int), "service": defaultdict(int)}
    unplaced_n = {"area": defaultdict(int), "service": defaultdict(int)}
    demand_s = placed_s = unplaced_s = placed_n = 0
    for visit in day.visits:
        seconds = visit.service_s * visit.carers
        demand_s += seconds
        keys = {"area": day.client_by_id[visit.client_id].area, "service": visit.service}
        o = outcome.get(visit.visit_id)
        if o is not None and o.status == "scheduled":
            placed_n += 1
            placed_s += seconds
            for by, key in keys.items():
                placed[by][key] += seconds
        else:
            unplaced_s += seconds
            for by, key in keys.items():
                unplaced[by][key] += seconds
                unplaced_n[by][key] += 1
    used = [sh for sh in rota.shifts if sh.stops]
    paid_s = sum(sh.return_s - sh.leave_s - sum(b.duration_s for b in sh.breaks) for sh in used)
    drive_m = sum(sh.distance_m for sh in used if sh.travel_mode == "drive")
    add("visits", len(day.visits))
    add("placed_visits", placed_n)
    add("unplaced_visits", len(day.visits) - placed_n)
    add("demand_s", demand_s)
    add("placed_s", placed_s)
    add("unplaced_s", unplaced_s)
    add("travel_s", sum(sh.travel_s for sh in used))
    add("distance_m", sum(sh.distance_m for sh in used))
    add("paid_s", paid_s)
    add("workers", len(day.workers))
    add("workers_used", len({sh.worker_id for sh in used}))
    add("cost_pence", delivery_cost_pence(paid_s, drive_m, rates))

    from ..fairwork import fair_work_checks

    carers: dict[str, set[str]] = defaultdict(set)
    for o in rota.scheduled:
        carers[day.visit_by_id[o.visit_id].client_id].update(o.workers)
    add("clients_served", len(carers))
    add("client_carer_pairs", sum(len(ws) for ws in carers.values()))
    fair = fair_work_checks(day, rota, regular_carers=options.regular_carers)
    if fair.regular_share is not None:
        add("continuity_bp", round(fair.regular_share * 10_000))
    add("duplicate_visits", _duplicate_count(day))
    counts = fair.counts()
    add("fair_work_flags", sum(counts.values()))
    for rule, n in counts.items():
        add("fair_work_flags", n, "fair_work", rule)
    if violations is not None:
        add("check_violations", violations)
    for by in ("area", "service"):
        for key in sorted(set(placed[by]) | set(unplaced[by])):
            add("placed_s", placed[by][key], by, key)
            add("unplaced_s", unplaced[by][key], by, key)
            add("unplaced_visits", unplaced_n[by][key], by, key)
    by_provider: dict[str, int] = defaultdict(int)
    for sh in rota.shifts:
        by_provider[sh.provider_id] += sh.contact_s
    for provider in sorted(by_provider):
        add("placed_s", by_provider[provider], "provider", provider)
    return tuple(out)


# ---- running and comparing --------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedRun:
    """A scenario applied to the base day, ready to solve."""

    name: str
    description: str
    seed: int
    day: Day
    options: PlanOptions
    params: SolveParams


@dataclass(frozen=True)
class ScenarioRun:
    """A solved scenario: its day, rota, figures and the independent checker's findings."""

    name: str
    description: str
    seed: int
    day: Day
    options: PlanOptions
    rota: Rota
    metrics: tuple[Metric, ...]
    violations: tuple[str, ...]


BASE = Scenario("base", description="the day as given")


def prepare_runs(base: Day, scenarios: Sequence[Scenario], *, options: PlanOptions | None = None,
                 params: SolveParams | None = None, include_base: bool = True
                 ) -> tuple[PreparedRun, ...]:
    """Apply every scenario to the base day (cheap, in this process).

    Each run's seed is the scenario's ``seed`` or else ``params.seed``; it seeds both
    the changes and the solver, so every run is reproducible on its own.

    Raises
    ------
    InputError
        Two scenarios with the same name, or a change that does not fit the day.
    """
    options = options or PlanOptions()
    params = params or SolveParams(time_limit_s=10, seed=0)
    todo = ([BASE] if include_base else []) + list(scenarios)
    seen: set[str] = set()
    runs = []
    for scenario in todo:
        if scenario.slug in seen:
            raise InputError("two scenarios have this name; names must be unique",
                             id=scenario.name, field="name")
        seen.add(scenario.slug)
        seed = scenario.seed if scenario.seed is not None else params.seed
        day, opts = scenario.apply(base, options, seed=seed)
        runs.append(PreparedRun(scenario.name, scenario.description or scenario.describe(), seed,
                                day, opts, replace(params, seed=seed)))
    return tuple(runs)


def travel_modes(runs: Iterable[PreparedRun]) -> tuple[str, ...]:
    """Every travel mode any run needs; build the shared base travel with these."""
    return tuple(sorted({m for run in runs for m in modes_needed(run.day)}))


def _solve_one(travel: DayTravel, item: tuple) -> tuple[Rota, tuple[Metric, ...], tuple[str, ...]]:
    """Plan, check and measure one run (runs in a worker process or on a Dask worker)."""
    from ..check import check_rota
    from ..plan import plan_day

    day, options, params, rates = item
    own = scenario_travel(travel, day)
    rota = plan_day(day, own, params=params, options=options)
    violations = tuple(str(v) for v in check_rota(day, rota, own))
    return rota, rota_metrics(day, rota, options=options, rates=rates,
                              violations=len(violations)), violations


def run_prepared(runs: Sequence[PreparedRun], travel: DayTravel, *, workers: int | None = None,
                 cluster: str | None = None, progress: bool = False,
                 rates: CostRates | None = None) -> tuple[ScenarioRun, ...]:
    """Solve prepared runs in parallel (see :func:`carerounds.scheduler.whatif.sweep.run_sweep`).

    ``travel`` (matrices and any road networks) is sent to each worker once; a run
    whose day has places the base lacks extends it there (:func:`scenario_travel`).
    """
    from .sweep import run_sweep

    items = [(r.day, r.options, r.params, rates) for r in runs]
    results = run_sweep(_solve_one, travel, items, labels=[r.name for r in runs],
                        workers=workers, cluster=cluster, progress=progress, label="Scenarios")
    return tuple(ScenarioRun(r.name, r.description, r.seed, r.day, r.options, rota, metrics,
                             violations)
                 for r, (rota, metrics, violations) in zip(runs, results))


def run_scenarios(base: Day, *scenarios: Scenario, travel: DayTravel | None = None,
                  options: PlanOptions | None = None, params: SolveParams | None = None,
                  workers: int | None = None, cluster: str | None = None,
                  progress: bool = False, include_base: bool = True,
                  rates: CostRates | None = None) -> tuple[ScenarioRun, ...]:
    """Apply, solve, check and measure each scenario (and the base day), in parallel.

    Parameters
    ----------
    base : Day
    *scenarios : Scenario
    travel : DayTravel, optional
        Base travel (e.g. on a road network). Default: the straight-line estimate over
        the base day, with every mode the runs need.
    options : PlanOptions, optional
        Base plan options each scenario starts from.
    params : SolveParams, optional
        Time limit (per run) and default seed; default 10 s, seed 0.
    workers, cluster, progress
        See :func:`carerounds.scheduler.whatif.sweep.run_sweep`: local processes by default,
        or a Dask cluster (``"local"`` or ``"tcp://host:port"``).
    include_base : bool, default True
        Also run the base day as scenario ``"base"``.
    rates : CostRates, optional
        For the ``cost_pence`` figure.

    Returns
    -------
    tuple of ScenarioRun
        In order: base first, then the scenarios as given.
    """
    runs = prepare_runs(base, scenarios, options=options, params=params,
                        include_base=include_base)
    needed = travel_modes(runs)
    if travel is None or (travel.roads is None and not set(needed) <= set(travel.matrices)):
        travel = build_travel(base, modes=needed)
    return run_prepared(runs, travel, workers=workers, cluster=cluster, progress=progress,
                        rates=rates)


#: How tidy-table units come from the integer metrics' suffixes.
_UNITS = (("_s", "_hours", "h", 3600), ("_m", "_miles", "miles", METRES_PER_MILE),
          ("_pence", "_gbp", "GBP", 100), ("_bp", "_pct", "%", 100))


def comparison_frame(runs: Iterable[ScenarioRun]):
    """The tidy comparison table (pandas): one row per scenario x metric x group.

    Columns ``scenario, metric, by, group, value, unit``. Seconds become hours
    (``*_hours``), metres miles (``*_miles``), pence pounds (``*_gbp``), basis points
    percent (``*_pct``); ``carers_per_client`` (distinct carers per client served) is
    derived here. Filter ``by == "all"`` for headline figures, or use
    :func:`comparison_table` for one column per scenario.
    """
    import pandas as pd

    rows = []
    for run in runs:
        values = {}
        for m in run.metrics:
            name, unit, value = m.metric, "count", float(m.value)
            for suffix, new, new_unit, scale in _UNITS:
                if name.endswith(suffix):
                    name, unit, value = name[: -len(suffix)] + new, new_unit, m.value / scale
                    break
            rows.append(dict(scenario=run.name, metric=name, by=m.by, group=m.group,
                             value=value, unit=unit))
            if m.by == "all":
                values[m.metric] = m.value
        if values.get("clients_served"):
            rows.append(dict(scenario=run.name, metric="carers_per_client", by="all", group="",
                             value=values["client_carer_pairs"] / values["clients_served"],
                             unit="count"))
    return pd.DataFrame(rows, columns=["scenario", "metric", "by", "group", "value", "unit"])


#: The headline rows of :func:`comparison_table`, in display order.
HEADLINE = ("visits", "placed_visits", "unplaced_visits", "placed_hours", "unplaced_hours",
            "travel_hours", "distance_miles", "paid_hours", "cost_gbp", "workers_used",
            "continuity_pct", "carers_per_client", "fair_work_flags", "duplicate_visits",
            "check_violations")


def comparison_table(frame, *, breakdowns: Sequence[str] = ("area", "service")):
    """One column per scenario, one row per headline figure (pandas), for printing.

    Rows are :data:`HEADLINE` figures present in the frame, then unplaced hours by
    each breakdown (``unplaced_hours [area North]``).
    """
    import pandas as pd

    order = list(dict.fromkeys(frame["scenario"]))
    head = frame[frame["by"] == "all"]
    wide = head.pivot_table(index="metric", columns="scenario", values="value", aggfunc="first")
    wide = wide.reindex([m for m in HEADLINE if m in wide.index])
    parts = [wide]
    for by in breakdowns:
        part = frame[(frame["by"] == by) & (frame["metric"] == "unplaced_hours")]
        if len(part):
            table = part.pivot_table(index="group", columns="scenario", values="value",
                                     aggfunc="first").fillna(0.0)
            table.index = [f"unplaced_hours [{by} {g}]" for g in table.index]
            parts.append(table)
    result = pd.concat(parts)
    result = result[[s for s in order if s in result.columns]]
    result.columns.name = None
    return result


def compare(base: Day, *scenarios: Scenario, params: SolveParams | None = None,
            workers: int | None = None, cluster: str | None = None, **kwargs):
    """Run the base day and each scenario, and return the tidy comparison table (pandas).

    A shortcut for ``comparison_frame(run_scenarios(base, *scenarios, ...))``; keyword
    arguments are those of :func:`run_scenarios` (``travel``, ``options``, ``progress``,
    ``include_base``, ``rates``). See :func:`comparison_frame` for the columns and
    :func:`comparison_table` for a wide view.
    """
    return comparison_frame(run_scenarios(base, *scenarios, params=params, workers=workers,
                                          cluster=cluster, **kwargs))


# ---- command line -----------------------------------------------------------------------------

def write_comparison(runs: Sequence[ScenarioRun], out_dir: str | Path) -> list[Path]:
    """Write ``comparison.csv`` (tidy), ``summary.csv`` (wide) and each run's ``rota.json`` and
    ``unplaced.csv`` under ``<out>/<scenario>/``.
    """
    from ..rota import write_rota_json, write_unplaced_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = comparison_frame(runs)
    written = [out / "comparison.csv", out / "summary.csv"]
    frame.to_csv(written[0], index=False)
    comparison_table(frame).to_csv(written[1], index_label="metric")
    for run in runs:
        folder = out / Scenario(run.name).slug
        folder.mkdir(exist_ok=True)
        written.append(write_rota_json(run.rota, folder / "rota.json"))
        written.append(write_unplaced_csv(run.rota, run.day, folder / "unplaced.csv"))
        if run.violations:
            path = folder / "violations.txt"
            path.write_text("\n".join(run.violations) + "\n", encoding="utf-8")
            written.append(path)
    return written
