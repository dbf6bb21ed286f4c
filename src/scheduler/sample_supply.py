"""Who gives care in the sample: the workforce sized to the demand, its skills, and history.

:class:`Supply` draws, after :class:`~carerounds.scheduler.sample_demand.Demand`: enough
workers per provider and band for the demand (with travel), a few walkers, the skills the
visits need, clients' gender wishes and excluded carers that still leave a choice, and
four weeks of visit history (continuity of carer).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import numpy as np

from .model import SKILLS
from .sample_demand import BAND_ORDER, BANDS, MAX_DURATION, Demand
from .sample_drafts import ProviderDraft, VisitDraft, WorkerDraft
from .sample_places import distance_m, offset, town_radius_m
from .sample_regions import SURNAMES, WORKER_FIRST, WORKER_SURNAMES, Town

# ---- workforce facts -------------------------------------------------------------------------

#: Chance that a worker of a mainstream or independent provider has each skill of
#: :data:`carerounds.scheduler.model.SKILLS`. ``None``: no visit of the sample asks for the
#: skill, so no worker is given it and no random number is drawn for it.
WORKER_SKILL_ODDS: Mapping[str, float | None] = {
    "medication": 0.7, "hoist": 0.45, "dementia": 0.45, "peg": 0.06, "catheter": 0.2,
    "complex_care": None}
#: The same for the reablement team: more hoist work, less dementia care, no PEG feeding.
REABLEMENT_SKILL_ODDS: Mapping[str, float | None] = {
    **WORKER_SKILL_ODDS, "hoist": 0.6, "dementia": 0.3, "peg": 0.0}
#: The skills the sample uses, in model order; the complex care team has every one.
SAMPLE_SKILLS = tuple(s for s in SKILLS if WORKER_SKILL_ODDS[s] is not None)

#: Shift patterns, (start, end) minutes per segment. Each pattern's segments are long enough
#: for any visit of the bands they cover, with a margin for travel.
_PATTERNS: dict[str, tuple[tuple[int, int], ...]] = {
    "split": ((420, 840), (990, 1350)),
    "split_short": ((420, 660), (990, 1350)),
    "split_bed": ((420, 840), (1170, 1350)),
    "early": ((420, 870),),
    "morning": ((420, 660),),
    "mid": ((660, 1140),),
    "late": ((960, 1350),),
    "twilight": ((1170, 1350),),
}
_PATTERN_WEIGHTS = {"split": 6, "split_short": 2, "split_bed": 2, "early": 3, "morning": 1,
                    "mid": 1, "late": 2, "twilight": 1}
#: Travel margin (minutes) assumed when asking whether a segment could hold a visit at all.
_MARGIN_MIN = 10
#: Minutes of a worker's time per band a visit can be done in (window span plus the overrun).
_BAND_CAPACITY_MIN = {"morning": 210, "lunch": 140, "tea": 140, "bed": 140}
#: Share of that time spent on visits rather than waiting; lower = more workers.
#: The morning is run hotter than the rest: the realistic pinch.
_UTILISATION = {"morning": 0.71, "lunch": 0.62, "tea": 0.62, "bed": 0.62}
_SKILL_UTILISATION = 0.5
#: Travel budgeted per carer per visit when sizing the workforce: the drive to the nearest
#: other visit of the provider that could come next (window starting within
#: ``_NEXT_WITHIN_MIN``), straight line x circuity at a drive speed, times a factor for a real
#: round not being a chain of nearest neighbours (calibrated on solved samples), plus parking.
_CIRCUITY, _DRIVE_KPH, _ROUND_FACTOR, _PARKING_MIN = 1.35, 45.0, 1.5, 2.0
_WALK_KPH = 4.8
_NEXT_WITHIN_MIN = 60
#: History: how fast a worker's chance of being on a client's round falls with the distance
#: from their home (metres, e-folding): rounds are local, a town or two neighbouring ones.
_HISTORY_REACH_M = 2500.0
#: History: how much likelier a carer already on the client's round is to cover the next
#: visit their shift covers (a morning carer doing lunch on the same shift).
_HISTORY_SAME_ROUND = 4.0


def _segment_holds(segment: tuple[int, int], start: int, end: int, duration: int, *,
                   travel: float = _MARGIN_MIN) -> bool:
    # could a shift segment hold the visit at all, leaving and returning home included
    seg_start, seg_end = segment
    return seg_start + travel <= end and start + duration + travel <= seg_end


def _weighted_sample(rng: random.Random, items: list[WorkerDraft], weights: list[float],
                     k: int) -> list[WorkerDraft]:
    """``k`` distinct items drawn with the given weights (without replacement)."""
    pool, w = list(items), list(weights)
    picks = []
    for _ in range(min(k, len(pool))):
        i = rng.choices(range(len(pool)), weights=w)[0]
        picks.append(pool.pop(i))
        w.pop(i)
    return picks


def _pattern_covers(pattern: str, band: str) -> bool:
    low, high = BANDS[band]
    # the hardest visits of the band: the earliest-ending window and the latest, longest one
    return any(_segment_holds(seg, low, low + 30, 0)
               and _segment_holds(seg, high - 30, high, MAX_DURATION[band])
               for seg in _PATTERNS[pattern])


_COVERS = {p: tuple(b for b in BAND_ORDER if _pattern_covers(p, b)) for p in _PATTERNS}


class Supply:
    """The supply side of a sample day for a drawn :class:`~carerounds.scheduler.sample_demand.Demand`.

    :meth:`build` adds the workers, sets clients' preferences and exclusions (on the
    demand's client records) and fills :attr:`history`.

    Attributes
    ----------
    workers : list of WorkerDraft
    history : dict of (client index, worker index) to int
        Past visits over four weeks, by position in ``demand.clients`` and ``workers``.
    """

    def __init__(self, demand: Demand, rng: random.Random) -> None:
        self.region = demand.region
        self.rng = rng
        self.providers = demand.providers
        self.clients = demand.clients
        self.visits = demand.visits
        self.workers: list[WorkerDraft] = []
        self.history: dict[tuple[int, int], int] = {}
        self.allowance: dict[int, float] = {}

    def build(self) -> None:
        """Draw the workforce and its skills, then clients' wishes and the history."""
        self._make_workforce()
        self._add_skills_for_demand()
        self._set_preferences()
        self._make_history()

    # -- workforce

    def _travel_allowance(self) -> dict[int, float]:
        """Minutes of travel to budget for each visit, from how close its neighbours are."""
        groups: dict[tuple[int, str], list[VisitDraft]] = {}
        for v in self.visits:
            groups.setdefault((id(v.provider), v.band), []).append(v)
        allowance = {}
        for group in groups.values():
            lat = np.radians([v.client.lat for v in group])
            lon = np.radians([v.client.lon for v in group])
            dx = (lon[:, None] - lon[None, :]) * np.cos((lat[:, None] + lat[None, :]) / 2)
            metres = 6_371_000.0 * np.hypot(dx, lat[:, None] - lat[None, :])
            np.fill_diagonal(metres, np.inf)
            start = np.array([v.start for v in group])
            in_time = np.where(np.abs(start[:, None] - start[None, :]) > _NEXT_WITHIN_MIN,
                               np.inf, metres)
            # with no neighbour in time, the nearest one in the band; alone, a town-to-town drive
            nearest = np.where(np.isfinite(in_time.min(axis=1)), in_time.min(axis=1),
                               metres.min(axis=1))
            nearest = np.minimum(nearest, 15000.0)
            minutes = nearest * _CIRCUITY / (_DRIVE_KPH * 1000 / 60) * _ROUND_FACTOR
            for v, m in zip(group, minutes):
                allowance[id(v)] = float(m) + _PARKING_MIN
        return allowance

    def _demand(self, visits: list[VisitDraft]) -> dict[str, float]:
        need = {b: 0.0 for b in BAND_ORDER}
        for v in visits:
            need[v.band] += (v.duration + self.allowance[id(v)]) * v.carers
        return need

    def _make_workforce(self) -> None:
        rng = self.rng
        self.allowance = self._travel_allowance()
        for provider in self.providers:
            mine = [v for v in self.visits if v.provider is provider]
            minutes = self._demand(mine)
            need = {b: minutes[b] / (_BAND_CAPACITY_MIN[b] * _UTILISATION[b]) for b in BANDS}
            for b in BANDS:
                band_visits = [v for v in mine if v.band == b]
                if band_visits:
                    need[b] = max(need[b], max(v.carers for v in band_visits))
            names = sorted(_PATTERNS)
            while any(n > 0.1 for n in need.values()):
                scores = {p: sum(min(need[b], 1.0) for b in _COVERS[p] if need[b] > 0.1)
                          for p in names}
                best = max(scores.values())
                tied = [p for p in names if scores[p] >= best - 1e-9]
                pattern = rng.choices(tied, weights=[_PATTERN_WEIGHTS[p] for p in tied])[0]
                for b in _COVERS[pattern]:
                    need[b] -= 1.0
                self.workers.append(self._new_worker(provider, pattern, mine))
        self._make_walkers()

    def _new_worker(self, provider: ProviderDraft, pattern: str, visits: list[VisitDraft], *,
                    town: Town | None = None) -> WorkerDraft:
        rng = self.rng
        towns = [t for t in self.region.towns if t.area in provider.areas]
        counts = {t.name: 1 for t in towns}
        for v in visits:
            if v.client.town.name in counts:
                counts[v.client.town.name] += 1
        chosen = rng.choices(towns, weights=[counts[t.name] for t in towns])[0]
        town = town or chosen
        r = town_radius_m(town) * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        lat, lon = offset(town.lat, town.lon, r * math.cos(angle), r * math.sin(angle))
        female = rng.random() < 0.84
        nation = self.region.nation
        first = rng.choice(WORKER_FIRST[nation][0 if female else 1])
        surname = rng.choice(SURNAMES[nation] + WORKER_SURNAMES)
        if provider.role == "complex":
            skills = set(SAMPLE_SKILLS)
        else:
            odds = REABLEMENT_SKILL_ODDS if provider.role == "reablement" else WORKER_SKILL_ODDS
            skills = set()
            for skill in SKILLS:
                chance = odds[skill]
                if chance is not None and rng.random() < chance:
                    skills.add(skill)
        max_hours = ""
        if pattern in ("split", "split_bed") and rng.random() < 0.2:
            max_hours = rng.choice(("9", "9.5", "10"))
        return WorkerDraft(provider, f"{first} {surname}", female, lat, lon, town, pattern,
                           _PATTERNS[pattern], skills, max_hours=max_hours)

    def _make_walkers(self) -> None:
        # a few carers walk: they live near the centre of a bigger town where their
        # provider has clients, so a planner can give them the clients of that town
        rng = self.rng
        wanted = max(1, round(0.05 * len(self.workers)))
        clients: dict[tuple[int, str], set[int]] = {}
        for v in self.visits:
            if v.provider is not None and v.client.street is not None:
                clients.setdefault((id(v.provider), v.client.town.name), set()).add(id(v.client))
        candidates = [w for w in self.workers if w.town.population >= 5000 and not w.max_hours
                      and len(clients.get((id(w.provider), w.town.name), ())) >= 3]
        rng.shuffle(candidates)
        for worker in candidates[:wanted]:
            worker.mode = "walk"
            # a walker cannot reach a double-up partner's clients in time: no hoist work
            worker.skills.discard("hoist")
            r = rng.uniform(50, 450)
            angle = rng.uniform(0, 2 * math.pi)
            worker.lat, worker.lon = offset(worker.town.lat, worker.town.lon,
                                             r * math.cos(angle), r * math.sin(angle))

    @staticmethod
    def _home_distance_m(worker: WorkerDraft, visit: VisitDraft) -> float:
        return distance_m(worker.lat, worker.lon, visit.client.lat, visit.client.lon)

    def _fits(self, worker: WorkerDraft, visit: VisitDraft) -> bool:
        """Whether one of the worker's shifts could hold the visit, travel from home included."""
        kph = _DRIVE_KPH if worker.mode == "drive" else _WALK_KPH
        travel = self._home_distance_m(worker, visit) * _CIRCUITY / (kph * 1000 / 60)
        # pad the straight-line estimate: roads and the planner's own model may be slower
        travel = max(_MARGIN_MIN, 1.2 * travel + 3)
        return any(_segment_holds(s, visit.start, visit.end, visit.duration, travel=travel)
                   for s in worker.segments)

    def _eligible(self, visit: VisitDraft, *, gender: str = "",
                  excluded: tuple[WorkerDraft, ...] = ()) -> list[WorkerDraft]:
        return [w for w in self.workers
                if (visit.provider is None or w.provider is visit.provider)
                and visit.skills <= w.skills
                and (not gender or w.female == (gender == "female"))
                and w not in excluded and self._fits(w, visit)]

    def _add_skills_for_demand(self) -> None:
        """Train more workers until each skill's demand per provider and band has capacity."""
        for provider in self.providers:
            staff = [w for w in self.workers if w.provider is provider]
            mine = [v for v in self.visits if v.provider is provider]
            for band in BAND_ORDER:
                # walkers serve their own town only, so they do not count as skill capacity
                on_band = [w for w in staff if band in _COVERS[w.pattern] and w.mode == "drive"]
                for skill in SKILLS:
                    needing = [v for v in mine if v.band == band and skill in v.skills]
                    if not needing:
                        continue
                    minutes = self._demand(needing)[band]
                    # a double-up needs two free carers at one moment: keep a third in reserve
                    floor = 3 if any(v.carers == 2 for v in needing) else 1
                    wanted = max(floor, math.ceil(
                        minutes / (_BAND_CAPACITY_MIN[band] * _SKILL_UTILISATION)))
                    wanted = min(wanted, len(on_band))
                    have = [w for w in on_band if skill in w.skills]
                    lacking = [w for w in on_band if skill not in w.skills]
                    # train those living nearest the visits that need the skill
                    lacking.sort(key=lambda w: sum(self._home_distance_m(w, v) for v in needing))
                    for worker in lacking[:max(0, wanted - len(have))]:
                        worker.skills.add(skill)
        # then every single visit must be possible in principle (skills, shift, travel, carers)
        for visit in self.visits:
            while len(self._eligible(visit)) < visit.carers:
                timely = [w for w in self.workers
                          if (visit.provider is None or w.provider is visit.provider)
                          and w.mode == "drive" and not visit.skills <= w.skills
                          and self._fits(w, visit)]
                if timely:
                    min(timely, key=lambda w: self._home_distance_m(w, visit)).skills.update(
                        visit.skills)
                    continue
                provider = visit.provider or self.providers[0]
                pattern = next(p for p in ("split", "early", "late") if visit.band in _COVERS[p])
                worker = self._new_worker(provider, pattern, [visit], town=visit.client.town)
                worker.skills.update(visit.skills)
                self.workers.append(worker)

    # -- preferences, exclusions, history

    def _set_preferences(self) -> None:
        rng = self.rng
        by_client: dict[int, list[VisitDraft]] = {}
        for v in self.visits:
            by_client.setdefault(id(v.client), []).append(v)
        male_load: dict[tuple[int, str], int] = {}
        for client in self.clients:
            visits = by_client.get(id(client), [])
            if rng.random() < 0.15:
                wish = "female" if client.female or rng.random() < 0.3 else "male"
                ok = all(len(self._eligible(v, gender=wish)) >= v.carers + 1 for v in visits)
                if wish == "male":
                    for v in visits:
                        men = len(self._eligible(v, gender="male"))
                        ok = ok and male_load.get((id(v.provider), v.band), 0) < men
                if ok:
                    client.gender_preference = wish
                    if wish == "male":
                        for v in visits:
                            key = (id(v.provider), v.band)
                            male_load[key] = male_load.get(key, 0) + 1
            providers = {id(v.provider): v.provider for v in visits if v.provider is not None}
            if rng.random() < 0.04 and len(providers) == 1:
                staff = [w for w in self.workers if w.provider is next(iter(providers.values()))]
                victim = rng.choice(staff)
                wish = client.gender_preference
                if all(len(self._eligible(v, gender=wish, excluded=(victim,))) >= v.carers + 1
                       for v in visits):
                    client.excluded = [victim]

    def _make_history(self) -> None:
        """Past visits over four weeks, as rounds work: each visit has its round's carers.

        Agencies staff each visit of a package from a round: on most days one carer does
        it, a worker whose shift holds it, who lives near the client and whose round has
        room; one or two relief carers from nearby cover their days off. So the history
        is drawn round by round: every carer-visit of the client's provider, in order of
        its window, goes to a qualified worker whose shift holds it and whose band still
        has time (:data:`_BAND_CAPACITY_MIN` at the :data:`_UTILISATION` the workforce is
        sized with, counting the visit's travel allowance: a past round fitted), with a
        weight falling with the distance from the worker's home (:data:`_HISTORY_REACH_M`)
        and higher for a carer already on the client's round (:data:`_HISTORY_SAME_ROUND`).
        That main carer did ``55-80 %`` of the visit's past days, the relief the rest.
        """
        rng = self.rng
        by_client: dict[int, list[VisitDraft]] = {}
        for v in self.visits:
            by_client.setdefault(id(v.client), []).append(v)
        index = {id(w): i for i, w in enumerate(self.workers)}
        slots: list[tuple[VisitDraft, int, list[WorkerDraft]]] = []
        days_of: dict[int, int] = {}
        for ci, client in enumerate(self.clients):
            visits = [v for v in by_client.get(id(client), []) if v.provider is not None]
            if not visits or client.service == "hospital_discharge":
                continue  # new packages have no history yet
            provider = rng.choice(visits).provider
            own = [v for v in visits if v.provider is provider]
            days_of[ci] = rng.randint(5, 14) if client.service == "reablement" else 28
            staff = [w for w in self.workers if w.provider is provider
                     and w not in client.excluded
                     and (not client.gender_preference
                          or w.female == (client.gender_preference == "female"))]
            fitting = [w for w in staff if all(v.skills <= w.skills for v in own)] or staff
            if fitting:
                slots.extend((v, ci, fitting) for v in own)
        slots.sort(key=lambda x: (x[0].start, x[0].end, x[1]))
        load: dict[tuple[int, str], float] = {}
        team: dict[int, list[WorkerDraft]] = {}
        counts: dict[tuple[int, int], int] = {}
        for v, ci, fitting in slots:
            client = v.client
            need = v.duration + self.allowance[id(v)]
            holding = [w for w in fitting if self._fits(w, v)] or fitting
            mine = team.setdefault(ci, [])
            past = int(days_of[ci] * rng.uniform(0.85, 1.0))
            on_visit: list[WorkerDraft] = []  # a double-up's two carers are two people
            for _ in range(v.carers):
                free = [w for w in holding if w not in on_visit] or holding
                room = [w for w in free if load.get((id(w), v.band), 0.0) + need
                        <= _BAND_CAPACITY_MIN[v.band] * _UTILISATION[v.band]] or free
                near = [math.exp(-distance_m(client.lat, client.lon, w.lat, w.lon)
                                 / _HISTORY_REACH_M) for w in room]
                weights = [n * (_HISTORY_SAME_ROUND if w in mine else 1.0)
                           for w, n in zip(room, near)]
                main = rng.choices(room, weights=weights)[0]
                on_visit.append(main)
                load[(id(main), v.band)] = load.get((id(main), v.band), 0.0) + need
                chosen = [(main, int(round(past * rng.uniform(0.55, 0.8))))]
                relief = [w for w in free if w is not main]
                if relief and past > chosen[0][1]:
                    picks = _weighted_sample(rng, relief, [
                        math.exp(-distance_m(client.lat, client.lon, w.lat, w.lon)
                                 / _HISTORY_REACH_M) for w in relief], rng.choice((1, 1, 2)))
                    left = past - chosen[0][1]
                    for j, worker in enumerate(picks):
                        share = left if j == len(picks) - 1 else int(left * rng.uniform(0.5, 0.8))
                        chosen.append((worker, share))
                        left -= share
                for worker, n in chosen:
                    if n > 0:
                        if worker not in mine:
                            mine.append(worker)
                        key = (ci, index[id(worker)])
                        counts[key] = counts.get(key, 0) + n
        self.history.update(counts)
        for ci in sorted(team):
            ranked = sorted(team[ci], key=lambda w: -counts.get((ci, index[id(w)]), 0))
            if ranked and rng.random() < 0.25:
                self.clients[ci].preferred = ranked[:rng.choice((1, 1, 2))]
