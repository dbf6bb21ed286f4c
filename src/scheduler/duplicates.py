"""Duplicate multi-provider visits: find them, say what merging saves, and merge them on request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..geo.travel import haversine_m
from .model import Client, Day, Visit
from .rota import VisitOutcome
from .travel import DayTravel
from .units import format_hhmm

#: Planned handovers that are not duplicates: (one visit, the other visit) tokens, matched
#: against a visit's service, provider id or provider kind; ``"*"`` matches any visit.
DEFAULT_ALLOWED_PAIRS: tuple[tuple[str, str], ...] = (("reablement", "*"),)

#: Merge rules: how the kept visit (and so the provider) of a merged pair is chosen.
MERGE_RULES = {
    "longer_then_in_house": "the longer visit is kept; on equal length the in-house provider's",
    "in_house_then_longer": "the in-house provider's visit is kept; between two of the same "
                            "kind the longer one",
}


_PRIORITY_RANK = {"critical": 0, "high": 1, "normal": 2}
_ABBREVIATIONS = {"st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "dr": "drive",
                  "ln": "lane", "ct": "court", "cres": "crescent", "pl": "place", "sq": "square",
                  "gdns": "gardens", "terr": "terrace", "ter": "terrace", "pk": "park"}


@dataclass(frozen=True)
class DuplicatePair:
    """Two visits by different providers at one client or household at the same or similar time.

    Parameters
    ----------
    visit_a, visit_b : str
        The visits, ``visit_a`` first in visits.csv order.
    provider_a, provider_b : str or None
        Their providers (``None``: no provider has taken the visit yet).
    client_a, client_b : str
        Their clients (equal when ``match`` is ``"same_client"``).
    match : str
        ``"same_client"``, or ``"same_household"``: two clients at one address (same
        postcode and normalised address) or within ``near_m`` metres of each other.
    window_a, window_b : tuple of int
        Windows for the start of service, seconds since midnight.
    overlap_s, gap_s : int
        How long the windows overlap, or how far apart they lie (one of them is 0).
    keep_visit, drop_visit : str
        The visit merging would keep, and the one it could drop or absorb.
    care_saved_s : int
        Carer-seconds saved by one merged visit (longer duration, more carers) instead
        of both; 0 for a household pair (two people each still need their care).
    travel_saved_s : int or None
        The trip the dropped visit's provider no longer makes: the round trip to the
        client from the nearest home of that provider's workers, in seconds; ``None``
        when no travel figures were given.
    distance_m : int
        Straight-line metres between the two clients' homes (0 for one client).
    reason : str
        The pair explained in words (ids only: no names or addresses).
    """

    visit_a: str
    visit_b: str
    provider_a: str | None
    provider_b: str | None
    client_a: str
    client_b: str
    match: str
    window_a: tuple[int, int]
    window_b: tuple[int, int]
    overlap_s: int
    gap_s: int
    keep_visit: str
    drop_visit: str
    care_saved_s: int
    travel_saved_s: int | None
    distance_m: int
    reason: str


@dataclass(frozen=True)
class Merge:
    """One visit absorbed into another by :func:`merge_duplicates`.

    ``kept`` is the id of the merged visit in the new day, ``absorbed`` the visit that no
    longer appears in it, ``provider`` the merged visit's provider and ``rule`` the merge
    rule; ``detail`` says what the merged visit became.
    """

    kept: str
    absorbed: str
    provider: str | None
    rule: str
    detail: str

    @property
    def reason(self) -> str:
        """The reason to show on the absorbed visit, e.g. ``merged into V1 (...)``."""
        return f"merged into {self.kept} ({self.detail})"


# ---- finding ------------------------------------------------------------------------------

def normalise_address(address: str) -> str:
    """Lower case, punctuation to spaces, common abbreviations spelt out, spaces collapsed."""
    words = re.sub(r"[^0-9a-z]+", " ", address.lower()).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def normalise_postcode(postcode: str) -> str:
    """Upper case without spaces (``eh22 1aa`` -> ``EH221AA``)."""
    return re.sub(r"\s+", "", postcode.upper())


def _household_key(client: Client) -> tuple[str, str] | None:
    postcode, address = normalise_postcode(client.postcode), normalise_address(client.address)
    return (postcode, address) if postcode and address else None


def _same_address(a: Client, b: Client) -> bool:
    key = _household_key(a)
    return key is not None and key == _household_key(b)


def _window(visit: Visit) -> str:
    return f"{format_hhmm(visit.window_start_s)}-{format_hhmm(visit.window_end_s)}"


def _token_matches(token: str, visit: Visit, day: Day) -> bool:
    token = token.strip().lower()
    if token == "*":
        return True
    provider = day.provider_by_id.get(visit.provider_id or "")
    names = {visit.service.lower(), (visit.provider_id or "").lower()}
    if provider is not None:
        names.add(provider.kind.lower())
    return token in names


def _hands_over(first: Visit, second: Visit) -> bool:
    # the first provider's carer has surely left (latest start + duration) before the
    # second's window opens: the two can never be on site together
    return first.window_end_s + first.service_s <= second.window_start_s


def is_allowed_pair(a: Visit, b: Visit, day: Day,
                    allowed_pairs: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The allowed pair (a planned handover) that covers two visits, or ``None``.

    A pair ``(first, second)`` covers the visits when one matches ``first``, the other
    ``second``, and the ``first`` visit ends before the ``second`` can start (its window
    end plus its duration is no later than the other's window start). Two providers who
    could be on site at the same time are a duplicate even between allowed services: a
    handover does not need both carers at once.
    """
    for first, second in allowed_pairs:
        for x, y in ((a, b), (b, a)):
            if (_token_matches(first, x, day) and _token_matches(second, y, day)
                    and _hands_over(x, y)):
                return (first, second)
    return None


def _in_house(visit: Visit, day: Day) -> bool:
    provider = day.provider_by_id.get(visit.provider_id or "")
    return provider is not None and provider.kind == "in_house"


def _keep_key(visit: Visit, day: Day, rule: str, order: dict[str, int]) -> tuple:
    """Sort key: the visit to keep sorts first."""
    longer = -visit.service_s
    in_house = 0 if _in_house(visit, day) else 1
    unassigned = 1 if visit.provider_id is None else 0
    if rule == "longer_then_in_house":
        return (longer, in_house, unassigned, order[visit.visit_id])
    if rule == "in_house_then_longer":
        return (in_house, unassigned, longer, order[visit.visit_id])
    raise ValueError(f"unknown merge rule {rule!r}; expected one of {', '.join(MERGE_RULES)}")


def _trip_s(provider_id: str | None, client_id: str, day: Day, travel: DayTravel) -> int | None:
    """Round trip to a client from the nearest home of the provider's workers.

    Any worker when the visit has no provider yet; each worker by their own travel mode.
    """
    workers = [w for w in day.workers if provider_id is None or w.provider_id == provider_id]
    try:
        target = travel.location("client", client_id)
    except KeyError:
        return None
    best = None
    for worker in workers:
        matrix = travel.matrices.get(worker.travel_mode)
        if matrix is None or ("worker", worker.worker_id) not in travel.index:
            continue
        home = travel.location("worker", worker.worker_id)
        seconds = int(matrix.duration_s[home, target]) + int(matrix.duration_s[target, home])
        best = seconds if best is None else min(best, seconds)
    return best


def _carer_s(visit: Visit) -> int:
    return visit.service_s * visit.carers


def _pair(a: Visit, b: Visit, match: str, distance_m: int, same_address: bool, day: Day,
          travel: DayTravel | None, order: dict[str, int]) -> DuplicatePair:
    overlap = max(0, min(a.window_end_s, b.window_end_s) - max(a.window_start_s, b.window_start_s))
    gap = max(0, max(a.window_start_s, b.window_start_s) - min(a.window_end_s, b.window_end_s))
    keep, drop = sorted((a, b), key=lambda v: _keep_key(v, day, "longer_then_in_house", order))
    if match == "same_client":
        merged = max(a.service_s, b.service_s) * max(a.carers, b.carers)
        care_saved = _carer_s(a) + _carer_s(b) - merged
    else:
        care_saved = 0
    travel_saved = _trip_s(drop.provider_id, drop.client_id, day, travel) if travel else None

    def who(v: Visit) -> str:
        return v.provider_id or "no provider yet"

    if match == "same_client":
        where = f"same client {a.client_id}"
    else:
        how = "same postcode and address" if same_address else f"homes {distance_m} m apart"
        where = f"same household (clients {a.client_id} and {b.client_id}, {how})"
    timing = (f"windows overlap by {overlap // 60} min" if overlap else
              f"windows {gap // 60} min apart" if gap else "one window ends as the other starts")
    parts = [f"{where}: {a.visit_id} ({who(a)}, {_window(a)}, {a.service_s // 60} min) and "
             f"{b.visit_id} ({who(b)}, {_window(b)}, {b.service_s // 60} min); {timing}"]
    why = ("the longer visit" if keep.service_s != drop.service_s else
           "the in-house provider's" if _in_house(keep, day) and not _in_house(drop, day) else
           "the visit with a provider" if keep.provider_id and not drop.provider_id else
           "the first in visits.csv")
    if match == "same_client":
        parts.append(f"{drop.visit_id} could be absorbed into {keep.visit_id} ({why})")
        if care_saved >= 0:
            parts.append(f"saves {care_saved // 60} carer-min")
        else:
            parts.append(f"adds {-care_saved // 60} carer-min (the merged visit takes the "
                         f"longer duration with more carers)")
    else:
        parts.append(f"the carer of {keep.visit_id} ({who(keep)}, {why}) could also do "
                     f"{drop.visit_id} at the same address; no care time saved (two people)")
    if travel is None:
        parts.append("travel not estimated (no travel figures)")
    elif travel_saved is None:
        parts.append(f"travel not estimated ({drop.provider_id or 'the day'} has no worker to "
                     f"start from)")
    else:
        source = "road network" if travel.roads else "straight-line estimate"
        whose = f"{drop.provider_id}'s" if drop.provider_id else "any provider's"
        parts.append(f"saves ~{round(travel_saved / 60)} min travel ({whose} round trip from "
                     f"its nearest carer's home, {source})")
    return DuplicatePair(
        visit_a=a.visit_id, visit_b=b.visit_id, provider_a=a.provider_id,
        provider_b=b.provider_id, client_a=a.client_id, client_b=b.client_id, match=match,
        window_a=(a.window_start_s, a.window_end_s), window_b=(b.window_start_s, b.window_end_s),
        overlap_s=overlap, gap_s=gap, keep_visit=keep.visit_id, drop_visit=drop.visit_id,
        care_saved_s=care_saved, travel_saved_s=travel_saved, distance_m=distance_m,
        reason="; ".join(parts))


def _household_pairs(clients: Sequence[Client], near_m: float) -> dict[tuple[str, str], int]:
    """Pairs of different clients sharing a home (in input order), with their distance in metres."""
    found: set[tuple[int, int]] = set()
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, client in enumerate(clients):
        key = _household_key(client)
        if key is not None:
            by_key.setdefault(key, []).append(i)
    for group in by_key.values():
        found.update((i, j) for n, i in enumerate(group) for j in group[n + 1:])
    if near_m > 0 and len(clients) > 1:
        from scipy.spatial import cKDTree

        lat0 = np.radians(float(np.mean([c.lat for c in clients])))
        # local equirectangular metres: exact enough over a county at a few tens of metres;
        # the radius is padded and every candidate re-measured with haversine below
        xy = np.array([[np.radians(c.lon) * np.cos(lat0), np.radians(c.lat)] for c in clients])
        found.update(cKDTree(xy * 6_371_008.8).query_pairs(near_m * 1.01 + 1))
    out = {}
    for i, j in sorted(found):
        a, b = clients[i], clients[j]
        distance = int(round(float(haversine_m(a.lat, a.lon, b.lat, b.lon))))
        if distance <= near_m or _same_address(a, b):
            out[(a.client_id, b.client_id)] = distance
    return out


def find_duplicate_visits(day: Day, *, gap_s: int = 3600, near_m: float = 10,
                          allowed_pairs: Iterable[tuple[str, str]] = DEFAULT_ALLOWED_PAIRS,
                          travel: DayTravel | None = None) -> tuple[DuplicatePair, ...]:
    """Find visits by different providers to one client or household at a similar time.

    Two visits are a pair when their providers differ (a visit no provider has taken yet
    differs from any provider's visit, but two such visits do not differ), they go to the
    same client or to two clients of one household, and their service-start windows
    overlap or lie at most ``gap_s`` apart. Visits of the same provider are never a pair:
    that is how a double-up written as two rows looks, and the provider's own rota
    already puts them together.

    Parameters
    ----------
    day : Day
    gap_s : int, default 3600
        Largest gap in seconds between the two windows for a pair (60 min).
    near_m : float, default 10
        Two clients whose homes lie within this many metres (straight line) are one
        household, as are clients with the same postcode and normalised address. Next
        door in a street of semis is 15-25 m away, so the default stays well below it.
    allowed_pairs : iterable of (str, str), default ``(("reablement", "*"),)``
        Planned handovers, not duplicates: a pair is skipped when one visit matches the
        first token, the other the second, and the first ends before the second can
        start (see :func:`is_allowed_pair`). A token matches a visit's service, provider
        id or provider kind (``in_house``/``independent``); ``"*"`` matches any visit.
    travel : DayTravel, optional
        Travel figures to estimate the travel saved: the dropped visit's provider's
        round trip from its workers' nearest home. Without it travel saved is ``None``.

    Returns
    -------
    tuple of DuplicatePair
        In visits.csv order of the first visit, then of the second.
    """
    if gap_s < 0:
        raise ValueError(f"gap_s must be >= 0 seconds, got {gap_s}")
    allowed = tuple(allowed_pairs)
    order = {v.visit_id: i for i, v in enumerate(day.visits)}
    by_client: dict[str, list[Visit]] = {}
    for visit in day.visits:
        by_client.setdefault(visit.client_id, []).append(visit)

    candidates: list[tuple[Visit, Visit, str, int]] = []
    for visits in by_client.values():
        for i, a in enumerate(visits):
            for b in visits[i + 1:]:
                candidates.append((a, b, "same_client", 0))
    clients = [c for c in day.clients if c.client_id in by_client]
    for (c1, c2), distance in _household_pairs(clients, near_m).items():
        for a in by_client[c1]:
            for b in by_client[c2]:
                first, second = (a, b) if order[a.visit_id] < order[b.visit_id] else (b, a)
                candidates.append((first, second, "same_household", distance))

    pairs = []
    for a, b, match, distance in candidates:
        if a.provider_id == b.provider_id:
            continue
        gap = max(a.window_start_s, b.window_start_s) - min(a.window_end_s, b.window_end_s)
        if gap > gap_s:
            continue
        if is_allowed_pair(a, b, day, allowed):
            continue
        same_address = match == "same_household" and _same_address(
            day.client_by_id[a.client_id], day.client_by_id[b.client_id])
        pairs.append(_pair(a, b, match, distance, same_address, day, travel, order))
    pairs.sort(key=lambda p: (order[p.visit_a], order[p.visit_b]))
    return tuple(pairs)


# ---- merging ------------------------------------------------------------------------------

def _merge_two(keep: Visit, other: Visit) -> Visit:
    start = max(keep.window_start_s, other.window_start_s)
    end = min(keep.window_end_s, other.window_end_s)
    if start >= end:
        # windows that only touch would pin the merged visit to one instant
        start, end = keep.window_start_s, keep.window_end_s
    priority = min(keep.priority, other.priority, key=lambda p: _PRIORITY_RANK.get(p, 3))
    tasks = tuple(dict.fromkeys(keep.tasks + other.tasks))
    return replace(keep, provider_id=keep.provider_id or other.provider_id,
                   window_start_s=start, window_end_s=end,
                   service_s=max(keep.service_s, other.service_s),
                   carers=max(keep.carers, other.carers), skills=keep.skills | other.skills,
                   priority=priority, tasks=tasks)


def merge_duplicates(day: Day, pairs: Iterable[DuplicatePair], *,
                     rule: str = "longer_then_in_house") -> tuple[Day, tuple[Merge, ...]]:
    """Merge each same-client duplicate pair into one visit, and record every merge.

    The merged visit keeps the id, service and row of the visit chosen by ``rule`` and
    takes the longer duration (the maximum, not the sum: both visits were booked for
    the same person at the same time and their tasks largely repeat each other, so a sum
    would keep the duplication the merge removes; the union of tasks stays on the visit
    so the carer sees every task), the union of skills, the larger number of carers,
    the intersection of the two windows when they overlap (else the kept visit's window,
    also when they only touch), the higher priority, and the kept visit's provider (or
    the other's when the kept visit has no provider yet).

    Pairs are merged in order of closeness (overlapping windows first, then smallest
    gap); a visit already merged is merged on through the visit that absorbed it, as long
    as the merged windows still lie within the pair's gap. Household pairs (two people)
    are never merged: they stay in the duplicates report.

    Parameters
    ----------
    day : Day
    pairs : iterable of DuplicatePair
        Usually the result of :func:`find_duplicate_visits` on ``day``.
    rule : str, default "longer_then_in_house"
        One of :data:`MERGE_RULES`.

    Returns
    -------
    (Day, tuple of Merge)
        The day with one visit per merged group, and one Merge per absorbed visit;
        the merged day's visit ids plus the absorbed ids are exactly the input ids.
    """
    if rule not in MERGE_RULES:
        raise ValueError(f"unknown merge rule {rule!r}; expected one of {', '.join(MERGE_RULES)}")
    order = {v.visit_id: i for i, v in enumerate(day.visits)}
    current: dict[str, Visit] = {v.visit_id: v for v in day.visits}
    parent: dict[str, str] = {}

    def find(visit_id: str) -> str:
        while visit_id in parent:
            visit_id = parent[visit_id]
        return visit_id

    same_client = [p for p in pairs if p.match == "same_client"]
    for pair in same_client:
        if pair.visit_a not in order or pair.visit_b not in order:
            raise ValueError(f"pair {pair.visit_a}/{pair.visit_b} refers to a visit not in the "
                             "day; find the pairs on the day you merge")
    for pair in sorted(same_client, key=lambda p: (p.gap_s, -p.overlap_s,
                                                   order[p.visit_a], order[p.visit_b])):
        ra, rb = find(pair.visit_a), find(pair.visit_b)
        if ra == rb:
            continue
        a, b = current[ra], current[rb]
        gap = max(a.window_start_s, b.window_start_s) - min(a.window_end_s, b.window_end_s)
        if gap > max(pair.gap_s, 0):
            continue  # earlier merges narrowed a window away from this pair
        keep, other = sorted((a, b), key=lambda v: _keep_key(v, day, rule, order))
        current[keep.visit_id] = _merge_two(keep, other)
        parent[other.visit_id] = keep.visit_id
        del current[other.visit_id]

    merges = []
    for visit in day.visits:
        if visit.visit_id in parent:
            kept = current[find(visit.visit_id)]
            detail = (f"duplicate of {visit.provider_id or 'no provider'}'s visit: "
                      f"{kept.provider_id or 'no provider yet'} keeps {kept.visit_id}, "
                      f"{kept.service_s // 60} min, window {_window(kept)}, "
                      f"{kept.carers} carer(s); rule {rule}")
            merges.append(Merge(kept=kept.visit_id, absorbed=visit.visit_id,
                                provider=kept.provider_id, rule=rule, detail=detail))
    visits = tuple(current[v.visit_id] for v in day.visits if v.visit_id in current)
    return replace(day, visits=visits), tuple(merges)


def merged_outcomes(merges: Iterable[Merge]) -> tuple[VisitOutcome, ...]:
    """One ``"merged"`` outcome per absorbed visit, for the rota of a merged day."""
    return tuple(VisitOutcome(m.absorbed, "merged", m.provider, reason=m.reason) for m in merges)


# ---- output -------------------------------------------------------------------------------

def format_duplicates(pairs: Sequence[DuplicatePair]) -> str:
    """A plain table of pairs for the terminal."""
    if not pairs:
        return "No duplicate visits found."
    lines = [f"{len(pairs)} duplicate visit pair(s):",
             f"{'visit a':<10} {'visit b':<10} {'providers':<15} {'match':<15} "
             f"{'overlap':>7} {'gap':>5} {'drop':<10} {'care':>5} {'travel':>6}"]
    for p in pairs:
        providers = f"{p.provider_a or '-'}/{p.provider_b or '-'}"
        lines.append(f"{p.visit_a:<10} {p.visit_b:<10} {providers:<15} {p.match:<15} "
                     f"{p.overlap_s // 60:>5}m {p.gap_s // 60:>3}m {p.drop_visit:<10} "
                     f"{p.care_saved_s // 60:>4}m "
                     f"{'' if p.travel_saved_s is None else str(p.travel_saved_s // 60) + 'm':>6}")
    care = sum(p.care_saved_s for p in pairs)
    trips = [p.travel_saved_s for p in pairs if p.travel_saved_s is not None]
    lines.append(f"Merging would save {care / 60:.0f} carer-min of care"
                 + (f" and about {sum(trips) / 60:.0f} min of travel" if trips else ""))
    return "\n".join(lines)


# ---- command line -------------------------------------------------------------------------
