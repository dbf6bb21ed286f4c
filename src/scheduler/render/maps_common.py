"""What every map of a planned day shares: workers' areas and colours, duplicate pairs."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from ..model import Client, Day
from ..rota import Rota

#: Route colours: distinct on screen; workers beyond 20 reuse them.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")


def worker_areas(day: Day, rota: Rota) -> dict[str, str]:
    """Each worker's area: the area most of their visits are in (ties: alphabetical)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for sh in rota.shifts:
        for stop in sh.stops:
            counts[sh.worker_id][day.client_by_id[stop.client_id].area] += 1
    return {w: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for w, c in counts.items()}


def area_workers(day: Day, rota: Rota, area: str) -> set[str]:
    """Workers whose round belongs on ``area``'s map.

    Those assigned to the area (see :func:`worker_areas`) and every worker with a visit
    there, so that the area map shows each of its visits whoever does it.
    """
    assigned = worker_areas(day, rota)
    return {sh.worker_id for sh in rota.shifts
            if assigned.get(sh.worker_id) == area
            or any(day.client_by_id[s.client_id].area == area for s in sh.stops)}


def area_slug(area: str) -> str:
    """A file-name-safe form of an area name (``"Ystrad Mynach"`` -> ``"ystrad_mynach"``)."""
    ascii_ = unicodedata.normalize("NFKD", area).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")
    return slug[:60] or "area"


def worker_colours(rota: Rota) -> dict[str, str]:
    """A route colour per worker with visits (by worker id; repeats past 20 workers)."""
    used = sorted({sh.worker_id for sh in rota.shifts if sh.stops})
    return {w: PALETTE[i % len(PALETTE)] for i, w in enumerate(used)}


def visit_client(day: Day, visit_id: str) -> Client:
    """The client a visit is for."""
    return day.client_by_id[day.visit_by_id[visit_id].client_id]


def duplicate_pairs(duplicates: Iterable | None, day: Day) -> list[tuple[str, str, str]]:
    """``(visit_a, visit_b, reason)`` of each pair that names two visits of the day.

    Accepts ``carerounds.scheduler.duplicates.DuplicatePair`` (``visit_a``/``visit_b``)
    or any object with ``visit_id_a``/``visit_id_b``; the module itself stays optional.
    """
    pairs = []
    for pair in duplicates or ():
        a = getattr(pair, "visit_id_a", None) or getattr(pair, "visit_a", None)
        b = getattr(pair, "visit_id_b", None) or getattr(pair, "visit_b", None)
        if a in day.visit_by_id and b in day.visit_by_id:
            pairs.append((a, b, str(getattr(pair, "reason", "") or "")))
    return pairs
