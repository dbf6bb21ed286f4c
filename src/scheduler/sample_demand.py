"""Who needs care in the sample: clients, their packages of visits, providers, planted pairs.

:class:`Demand` draws, in a fixed order from one random stream: the providers, each
client with their home (:class:`~carerounds.scheduler.sample_places.Places`) and their
package of visits, then the planted duplicate pairs and near misses a duplicate finder
must tell apart.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from .sample_drafts import ClientDraft, ProviderDraft, Street, VisitDraft
from .sample_places import Places
from .sample_regions import (
    APOSTROPHE_SURNAMES,
    CLIENT_FIRST,
    GAELIC_FIRST,
    SURNAMES,
    SampleRegion,
    Town,
)

# ---- care facts ------------------------------------------------------------------------------

#: Visit bands, minutes since midnight: every window lies inside its band.
BANDS: dict[str, tuple[int, int]] = {
    "morning": (7 * 60, 10 * 60),
    "lunch": (11 * 60 + 30, 13 * 60 + 30),
    "tea": (16 * 60 + 30, 18 * 60 + 30),
    "bed": (20 * 60, 22 * 60),
}
#: The bands in the order of the day.
BAND_ORDER = ("morning", "lunch", "tea", "bed")
#: Longest visit the generator puts in each band, minutes (shift patterns are built to fit it).
MAX_DURATION = {"morning": 60, "lunch": 45, "tea": 45, "bed": 45}
#: Window start choices per band (minutes since midnight) and their weights: the morning
#: peak is early, as everyone wants to be up and have breakfast by 08:30.
_STARTS = {
    "morning": ((420, 3), (435, 3), (450, 5), (465, 4), (480, 5), (495, 3), (510, 3), (525, 1),
                (540, 2), (555, 1), (570, 1)),
    "lunch": ((690, 2), (705, 2), (720, 4), (735, 2), (750, 3), (765, 1), (780, 1)),
    "tea": ((990, 3), (1005, 2), (1020, 4), (1035, 2), (1050, 3), (1065, 1), (1080, 1)),
    "bed": ((1200, 2), (1215, 2), (1230, 3), (1245, 2), (1260, 3), (1275, 1), (1290, 1)),
}
#: Which bands packages of 1, 2 and 3 visits a day use, with weights: most start the day
#: with a morning call, but not all (a lunchtime medication prompt, a bedtime call).
_PACKAGES = {
    1: ((("morning",), 50), (("lunch",), 20), (("tea",), 12), (("bed",), 18)),
    2: ((("morning", "bed"), 40), (("morning", "tea"), 22), (("morning", "lunch"), 15),
        (("lunch", "bed"), 13), (("lunch", "tea"), 10)),
    3: ((("morning", "lunch", "bed"), 40), (("morning", "tea", "bed"), 30),
        (("morning", "lunch", "tea"), 18), (("lunch", "tea", "bed"), 12)),
}
#: Services a visit can be under, and how often clients are under each.
SERVICES = ("integrated", "adult_disability", "mental_health", "reablement", "hospital_discharge")
_SERVICE_WEIGHTS = (68, 9, 6, 10, 7)
#: Notes for carers on a client (``{code}``: a random four-digit code).
_NOTES = ("Key safe {code}", "Key safe {code}, by the back door", "Door code {code}",
          "Dog in kitchen", "Ring before entering", "Knock loudly: hard of hearing",
          "Cat: keep the doors closed", "Park on the street, steep drive", "Use the side door",
          "Daughter visits at weekends", "Oxygen in use: no smoking", "Lives alone",
          "Likes a chat about the football", "Tea with milk, no sugar")
_NATION_NOTES = {"wales": ("Welsh speaker, prefers Welsh",),
                 "scotland": ("Gaelic speaker",), "england": ()}

# ---- the demand ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """How big a sample is: its visits and planted pairs (see :data:`~carerounds.scheduler.sample.SIZES`)."""

    visits: int          # target visit count, planted ones included
    same_client: int     # planted true duplicates by kind
    same_household: int
    far_apart: int       # planted near misses by kind
    neighbours: int
    day_scale: bool      # several in-house teams and 3-5 independents, each on some areas


class Demand:
    """The demand side of a sample day, drawn by :meth:`build`.

    Attributes
    ----------
    providers : list of ProviderDraft
    clients : list of ClientDraft
    visits : list of VisitDraft
    planted, near : list of (VisitDraft, VisitDraft, kind)
        Planted duplicate pairs and planted near misses.
    """

    def __init__(self, region: SampleRegion, size: Size, date: dt.date, rng: random.Random,
                 places: Places) -> None:
        self.region = region
        self.size = size
        self.date = date
        self.rng = rng
        self.places = places
        self.clients: list[ClientDraft] = []
        self.visits: list[VisitDraft] = []
        self.providers: list[ProviderDraft] = []
        self.planted: list[tuple[VisitDraft, VisitDraft, str]] = []
        self.near: list[tuple[VisitDraft, VisitDraft, str]] = []

    def build(self) -> None:
        """Draw the providers, the clients and their packages, then plant the pairs."""
        self.providers = self._make_providers()
        self._make_packages()
        self._plant()
        self._ensure_unplaced_package()

    # -- clients

    def _person(self, female: bool) -> str:
        rng, nation = self.rng, self.region.nation
        firsts = CLIENT_FIRST[nation][0 if female else 1]
        if nation == "scotland" and rng.random() < 0.12:
            firsts = GAELIC_FIRST[0 if female else 1]
        surnames = SURNAMES[nation]
        surname = (rng.choice(APOSTROPHE_SURNAMES) if rng.random() < 0.04
                   else rng.choice(surnames))
        return f"{rng.choice(firsts)} {surname}"

    def _new_client(self, *, service: str, needs: frozenset[str], female: bool | None = None,
                    at: tuple[Town, Street, int] | None = None) -> ClientDraft | None:
        rng = self.rng
        female = rng.random() < 0.66 if female is None else female
        name = self._person(female)
        if at is not None:
            town, street, number = at
            spot = self.places.town_address(town, street, near=number)
            if spot is None:
                return None
            street, number, lat, lon = spot
            address = f"{number} {street.name}, {town.name}"
            postcode = street.postcode
        elif rng.random() < 0.12:
            address, town, lat, lon = self.places.rural_address()
            street, number, postcode = None, None, self.places.postcode(town)
        else:
            towns = self.region.towns
            while True:
                town = rng.choices(towns, weights=[t.population for t in towns])[0]
                spot = self.places.town_address(town)
                if spot is not None:
                    break
            street, number, lat, lon = spot
            address = f"{number} {street.name}, {town.name}"
            postcode = street.postcode
        self.places.addresses.add(address)
        client = ClientDraft(name, female, address, postcode, lat, lon, town, street, number,
                             service, needs)
        client.notes = self._notes(client)
        self.clients.append(client)
        return client

    def _notes(self, client: ClientDraft) -> str:
        rng = self.rng
        pool = _NOTES + _NATION_NOTES[self.region.nation]
        picked = rng.sample(pool, rng.choice((0, 1, 1, 2)))
        notes = [n.format(code=f"{rng.randint(0, 9999):04d}") for n in picked]
        # key safe and door codes go in clients.csv's access column, which
        # --redact-access keeps off printed sheets
        client.access = ". ".join(n for n, raw in zip(notes, picked) if "{code}" in raw)
        notes = [n for n, raw in zip(notes, picked) if "{code}" not in raw]
        if "insulin" in client.needs:
            notes.append("Insulin pen in the fridge")
        if "hoist" in client.needs:
            notes.append("Ceiling hoist in bedroom")
        return ". ".join(notes)

    # -- providers

    def _make_providers(self) -> list[ProviderDraft]:
        rng, region = self.rng, self.region
        areas = region.areas
        if not self.size.day_scale:
            return [ProviderDraft(f"{region.council} Care at Home", "in_house", "mainstream", areas),
                    ProviderDraft(rng.choice(region.independents), "independent", "independent",
                              areas)]
        providers = [
            ProviderDraft(f"{region.council} Care at Home", "in_house", "mainstream", areas),
            ProviderDraft(f"{region.council} Reablement Team", "in_house", "reablement", areas),
            ProviderDraft(f"{region.council} Complex Care Team", "in_house", "complex", areas),
            ProviderDraft(f"{region.council} Rapid Response Team", "in_house", "rapid", areas),
        ]
        names = rng.sample(region.independents, rng.randint(3, 5))
        # each independent works two or three areas; each area gets two independents where
        # there are enough of them to go round, and at least one
        spans: list[list[str]] = [[] for _ in names]
        for _ in range(2):
            for area in areas:
                free = [span for span in spans if area not in span and len(span) < 3]
                if free:
                    min(free, key=len).append(area)
        for span in spans:
            while len(span) < 2:
                span.append(rng.choice([a for a in areas if a not in span]))
        for name, span in zip(names, spans):
            unique = tuple(a for a in areas if a in span)
            providers.append(ProviderDraft(name, "independent", "independent", unique))
        return providers

    def _provider_for(self, client: ClientDraft) -> ProviderDraft:
        rng = self.rng
        by_role = {p.role: p for p in self.providers if p.role != "independent"}
        area = client.town.area
        independents = [p for p in self.providers if p.role == "independent"
                        and area in p.areas]
        service = client.service
        if not self.size.day_scale:
            if service in ("reablement", "hospital_discharge"):
                return by_role["mainstream"]
            return by_role["mainstream"] if rng.random() < 0.3 else independents[0]
        if service == "reablement":
            return by_role["reablement"]
        if service == "hospital_discharge":
            return by_role["rapid"] if rng.random() < 0.7 else by_role["mainstream"]
        if "peg" in client.needs or (service == "adult_disability"
                                     and client.needs & {"hoist", "catheter"}):
            return by_role["complex"]
        share = {"integrated": 0.75, "adult_disability": 0.6, "mental_health": 0.6}[service]
        if rng.random() < share:
            return rng.choice(independents)
        return by_role["mainstream"]

    # -- packages of care

    def _make_packages(self) -> None:
        rng, size = self.rng, self.size
        planted_visits = (2 * size.same_client + 2 * size.same_household + size.far_apart
                          + 2 * size.neighbours)
        target = size.visits - planted_visits
        weekday = self.date.weekday()
        while len(self.visits) < target:
            doubles = sum(v.carers == 2 for v in self.visits)
            service = rng.choices(SERVICES, weights=_SERVICE_WEIGHTS)[0]
            needs = set()
            # steer the share of double-up visits to about 10% (a hoist package has three)
            if (service != "mental_health" and doubles + 3 <= 0.10 * size.visits + 1
                    and rng.random() < 0.4):
                needs.add("hoist")
            if service != "reablement" and rng.random() < 0.2:
                needs.add("dementia")
            if service == "adult_disability" and rng.random() < 0.25 or rng.random() < 0.01:
                needs.add("peg")
            if rng.random() < 0.05:
                needs.add("catheter")
            if rng.random() < 0.04:
                needs.add("insulin")
            client = self._new_client(service=service, needs=frozenset(needs))
            assert client is not None
            bands = self._bands(client)
            # about 3% of visits are packages no provider has taken yet
            blank = sum(v.provider is None for v in self.visits)
            unplaced = (service in ("hospital_discharge", "integrated")
                        and blank + len(bands) <= max(2, round(0.03 * size.visits))
                        and rng.random() < 0.15)
            provider = None if unplaced else self._provider_for(client)
            day_centre = rng.randrange(7) if rng.random() < 0.08 else None
            for band in bands:
                if band == "lunch" and day_centre == weekday and len(bands) > 1:
                    continue  # at the day centre, where lunch is served
                self.visits.append(self._visit(client, provider, band))

    def _bands(self, client: ClientDraft) -> tuple[str, ...]:
        rng = self.rng
        bands: tuple[str, ...]
        if "hoist" in client.needs or "peg" in client.needs:
            bands = BAND_ORDER
        elif "insulin" in client.needs:
            bands = ("morning", "tea")
        else:
            count = rng.choices((1, 2, 3, 4), weights=(22, 30, 24, 24))[0]
            if count == 4:
                return BAND_ORDER
            bands = rng.choices(*zip(*_PACKAGES[count]))[0]
        return bands

    def _window(self, band: str) -> tuple[int, int]:
        rng = self.rng
        low, high = BANDS[band]
        width = rng.choices((30, 45, 60), weights=(4, 3, 3))[0]
        starts, weights = zip(*_STARTS[band])
        start = max(low, min(rng.choices(starts, weights=weights)[0], high - width))
        return start, start + width

    def _visit(self, client: ClientDraft, provider: ProviderDraft | None, band: str, *,
               single: bool = False, service: str | None = None) -> VisitDraft:
        rng = self.rng
        needs = client.needs
        skills = set()
        if "dementia" in needs:
            skills.add("dementia")
        carers, priority = 1, "normal"
        service = service or client.service
        if "hoist" in needs and band in ("morning", "bed", "lunch") and not single:
            carers = 2
            skills.add("hoist")
            duration = {"morning": 45, "lunch": 30, "bed": 30}[band]
            tasks = {"morning": "hoist transfer; personal care; breakfast",
                     "lunch": "hoist transfer; meal preparation",
                     "bed": "hoist transfer; bed"}[band]
        elif "peg" in needs and band != "bed":
            skills.add("peg")
            duration, tasks, priority = 30, "PEG feed; personal care", "high"
        elif "insulin" in needs:
            skills.add("medication")
            duration, priority = 30, "critical"
            tasks = ("medication (insulin); personal care; breakfast" if band == "morning"
                     else "medication (insulin); meal preparation")
        elif service == "reablement":
            duration = 45 if band == "morning" else 30
            tasks = {"morning": "reablement: personal care; breakfast",
                     "lunch": "reablement: meal preparation", "tea": "reablement: meal preparation",
                     "bed": "reablement: bed"}[band]
        elif service == "mental_health":
            duration = 30 if band != "morning" else 45
            tasks = rng.choice(("wellbeing check; medication prompt", "wellbeing check; shopping",
                                "personal care; wellbeing check"))
        elif rng.random() < 0.12:
            duration, tasks = 15, "medication prompt"
        elif band == "morning":
            duration, tasks = rng.choices(
                ((45, "personal care; breakfast; medication"), (30, "personal care; breakfast"),
                 (60, "personal care; shower; breakfast"), (45, "personal care; dressing")),
                weights=(4, 3, 2, 2))[0]
        elif band == "lunch":
            duration, tasks = rng.choice(((30, "meal preparation"),
                                          (30, "meal preparation; medication"),
                                          (45, "meal preparation; personal care")))
        elif band == "tea":
            duration, tasks = rng.choice(((30, "meal preparation"),
                                          (45, "meal preparation; personal care")))
        else:
            duration, tasks = rng.choice(((30, "bed; personal care"), (30, "bed; medication"),
                                          (45, "bed; personal care; wash")))
        if tasks.endswith("medication") or "; medication;" in tasks:
            skills.add("medication")
        if "catheter" in needs and band in ("morning", "bed") and duration > 15:
            skills.add("catheter")
            tasks += "; catheter care"
        if priority == "normal" and (service == "hospital_discharge" or
                                     ("dementia" in needs and "Lives alone" in client.notes)):
            priority = "high"
        if priority == "normal" and "medication" in skills and rng.random() < 0.04:
            priority, tasks = "critical", tasks + " (time-critical)"
        start, end = self._window(band)
        return VisitDraft(client, provider, start, end, duration, carers, frozenset(skills),
                      priority, service, tasks, band)

    # -- planted duplicates and near misses

    def _other_provider(self, client: ClientDraft, provider: ProviderDraft) -> ProviderDraft:
        area = client.town.area
        candidates = [p for p in self.providers if p is not provider and area in p.areas
                      and p.role not in ("complex",)]
        if provider.kind == "independent":
            in_house = [p for p in candidates if p.kind == "in_house"]
            candidates = in_house or candidates
        return self.rng.choice(candidates)

    def _plant(self) -> None:
        rng = self.rng
        candidates = [c for c in self.clients if not (c.needs & {"peg"})]
        rng.shuffle(candidates)
        firsts: dict[int, list[VisitDraft]] = {}
        for v in self.visits:
            if v.provider is not None and v.carers == 1:
                firsts.setdefault(id(v.client), []).append(v)
        pool = [c for c in candidates if id(c) in firsts]
        by_client: dict[int, list[VisitDraft]] = {}
        for v in self.visits:
            by_client.setdefault(id(v.client), []).append(v)
        jobs = (["same_client"] * self.size.same_client
                + ["same_household"] * self.size.same_household
                + ["far_apart"] * self.size.far_apart + ["neighbours"] * self.size.neighbours)
        for kind in jobs:
            while True:
                client = pool.pop()
                # only bands the client has no visit in: a visit in another band is at
                # least 90 min from every visit of the client, so never a duplicate
                free = [b for b in BAND_ORDER if b not in {v.band for v in by_client[id(client)]}]
                base = rng.choice(firsts[id(client)])
                far = [b for b in free if self._min_gap(base, b) >= 180]
                if kind == "neighbours" and client.street is None:
                    continue
                if kind == "far_apart" and not far:
                    continue
                break
            client.planted = True
            assert base.provider is not None  # firsts holds visits with a provider only
            other = self._other_provider(client, base.provider)
            if kind == "same_client":
                gap = rng.choice((0, 0, 15, 30, 45, 60))
                twin = self._twin(client, other, base, gap)
                self.visits.append(twin)
                self.planted.append((base, twin, "same_client"))
            elif kind == "same_household":
                partner = self._partner(client)
                gap = rng.choice((0, 15, 30, 45))
                twin = self._twin(partner, other, base, gap)
                self.visits.append(twin)
                self.planted.append((base, twin, "same_household"))
                if free:  # the partner's other visit, at a time the client has none
                    self.visits.append(self._visit(partner, other, rng.choice(free)))
            elif kind == "far_apart":
                visit = self._visit(client, other, rng.choice(far), single=True,
                                    service=self._service_of(other, client))
                self.visits.append(visit)
                self.near.append((base, visit, "same_client_far_apart"))
            else:
                # a neighbours pair is only drawn for a client with a street address
                assert client.street is not None and client.number is not None
                neighbour = self._new_client(service=client.service, needs=frozenset(),
                                             at=(client.town, client.street, client.number))
                if neighbour is None:  # pragma: no cover - a full street; plant one fewer
                    continue
                neighbour.planted = True
                twin = self._twin(neighbour, other, base, rng.choice((0, 15)))
                self.visits.append(twin)
                self.near.append((base, twin, "neighbours"))
                extra = [b for b in BAND_ORDER if b != base.band]
                self.visits.append(self._visit(neighbour, other, rng.choice(extra)))

    @staticmethod
    def _service_of(provider: ProviderDraft, client: ClientDraft) -> str:
        # an in-house team's extra visit is its own service: e.g. reablement on top of
        # an independent provider's long-term package
        if provider.role == "reablement":
            return "reablement"
        if provider.role == "rapid":
            return "hospital_discharge"
        return "integrated" if client.service == "reablement" else client.service

    @staticmethod
    def _min_gap(base: VisitDraft, band: str) -> int:
        low, high = BANDS[band]
        return max(low - base.end, base.start - high)

    def _twin(self, client: ClientDraft, provider: ProviderDraft, base: VisitDraft,
              gap: int) -> VisitDraft:
        """A visit by ``provider`` whose window overlaps ``base``'s or starts ``gap`` min later."""
        twin = self._visit(client, provider, base.band, single=True,
                           service=self._service_of(provider, client))
        low, high = BANDS[base.band]
        width = base.end - base.start
        start = base.start + gap
        if start + width > high:
            start = max(low, base.start - gap)
        twin.start, twin.end = start, start + width
        return twin

    def _partner(self, client: ClientDraft) -> ClientDraft:
        rng = self.rng
        female = not client.female if rng.random() < 0.85 else client.female
        surname = client.name.split(" ", 1)[1]
        firsts = CLIENT_FIRST[self.region.nation][0 if female else 1]
        first = rng.choice([f for f in firsts if f != client.name.split(" ", 1)[0]])
        service = rng.choice(("integrated", "mental_health", "integrated"))
        partner = ClientDraft(f"{first} {surname}", female, client.address, client.postcode,
                              client.lat, client.lon, client.town, client.street, client.number,
                              service, frozenset(), planted=True)
        partner.notes = f"Lives with {client.name.split(' ', 1)[0]}"
        client.notes = ". ".join(n for n in client.notes.split(". ") if n and n != "Lives alone")
        self.clients.append(partner)
        return partner

    def _ensure_unplaced_package(self) -> None:
        # the sample always shows at least one package no provider has taken
        if any(v.provider is None for v in self.visits):
            return
        for client in self.clients:
            mine = [v for v in self.visits if v.client is client]
            if not client.planted and len(mine) <= 2:
                for v in mine:
                    v.provider = None
                return

    def guarantee_special_characters(self) -> None:
        """Make sure of an apostrophe in a name and an ampersand in an address (run last)."""
        # the sample must exercise escaping: an apostrophe in a name, an ampersand in an address
        plain = [c for c in self.clients if not c.planted]
        if not any("'" in c.name for c in self.clients):
            client = self.rng.choice(plain)
            client.name = f"{client.name.split(' ', 1)[0]} {APOSTROPHE_SURNAMES[0]}"
        if not any("&" in c.address for c in self.clients):
            amp = [h for h in self.region.house_names if "&" in h][0]
            client, street = self.rng.choice([(c, c.street) for c in plain if c.street is not None])
            client.address = f"{amp}, {client.number} {street.name}, {client.town.name}"
