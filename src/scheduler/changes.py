"""What a re-plan changed: ``changes.csv`` (who to phone), the output files and the summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .events import ResolvedEvents
from .model import Day
from .outputs import write_changes_csv, write_rota_csv, write_rota_json, write_unplaced_csv
from .rota import Rota
from .units import format_hhmm

if TYPE_CHECKING:
    from .replan import ReplanResult

__all__ = ["Change", "changed_rota", "changed_workers", "find_changes",
           "format_replan_summary", "write_replan"]


@dataclass(frozen=True)
class Change:
    """One visit whose plan changed, and who to phone about it.

    ``old_*`` are the published rota's (empty for an added visit), ``new_*`` the re-plan's;
    times in seconds since midnight, ``None`` when not scheduled.
    """

    visit_id: str
    client_id: str
    area: str
    change: str
    old_workers: tuple[str, ...]
    old_start_s: int | None
    new_workers: tuple[str, ...]
    new_start_s: int | None
    phone_workers: tuple[str, ...]
    phone_client: bool

    @property
    def needs_call(self) -> bool:
        """Someone must be phoned about it."""
        return bool(self.phone_workers) or self.phone_client


def find_changes(day: Day, base: Rota, rota: Rota, ev: ResolvedEvents, at_s: int,
                 tolerance_s: int) -> tuple[Change, ...]:
    """Every visit whose plan changed, and who to phone (nobody for moves within tolerance).

    A new worker: the workers taken off (unless absent then) and put on, and the client.
    Moved beyond the tolerance: the worker and the client. Unplaced: the old workers and
    the client. Placed (added or was unplaced): the workers and the client. Cancelled: the
    old workers. A move within the tolerance is listed (the run sheet shows it) but
    needs no call.
    """
    old = {o.visit_id: o for o in base.outcomes}
    out = []
    for o in rota.outcomes:
        visit = day.visit_by_id.get(o.visit_id)
        if o.status == "merged" or visit is None:
            continue
        before = old.get(o.visit_id)
        was = before.workers if before is not None and before.status == "scheduled" else ()
        was_s = before.start_s if was and before is not None else None
        now = o.workers if o.status == "scheduled" else ()
        now_s = o.start_s if now else None

        def reachable(workers: tuple[str, ...], when: int | None) -> tuple[str, ...]:
            return tuple(w for w in workers if when is None or not ev.absent(w, when))

        client = True
        if o.status == "cancelled":
            if before is not None and before.status == "cancelled":
                continue
            what, phone, client = "cancelled", reachable(was, was_s), False
        elif was and not now:
            what, phone = f"unplaced: {o.reason}", reachable(was, was_s)
        elif now and not was:
            what = "added, placed" if before is None else "placed (was unplaced)"
            phone = now
        elif not now:
            if before is not None:
                continue
            what, phone, client = f"added, unplaced: {o.reason}", (), False
        else:
            assert was_s is not None and now_s is not None
            delta_s = now_s - was_s
            delta = round(delta_s / 60)
            moved = f", moved {delta:+d} min" if abs(delta_s) >= 60 else ""
            if set(was) != set(now):
                what = "new worker" + moved
                phone = tuple(sorted(set(reachable(tuple(set(was) - set(now)), was_s))
                                     | (set(now) - set(was))))
            elif abs(delta_s) > tolerance_s:
                what, phone = f"moved {delta:+d} min", now
            elif abs(delta_s) >= 60:
                what, phone, client = f"moved {delta:+d} min (within tolerance)", (), False
            elif o.visit_id in ev.overrun_s:
                under_way = was_s < at_s
                what = f"takes {ev.overrun_s[o.visit_id] // 60} min longer" + \
                    (" (under way)" if under_way else "")
                phone, client = (() if under_way else now), False
            else:
                continue
        out.append(Change(o.visit_id, visit.client_id, day.client_by_id[visit.client_id].area,
                          what, was, was_s, now, now_s, phone, client))
    return tuple(out)


def changed_workers(base: Rota, rota: Rota) -> tuple[str, ...]:
    """Workers whose visits or visit times (to the minute) differ from the published rota."""
    def days(r: Rota) -> dict[str, list[tuple[str, int, int]]]:
        out: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for sh in sorted(r.shifts, key=lambda s: (s.worker_id, s.shift)):
            out[sh.worker_id] += [(s.visit_id, s.start_s // 60, s.end_s // 60) for s in sh.stops]
        return out

    before, after = days(base), days(rota)
    return tuple(sorted(w for w in set(before) | set(after) if before.get(w) != after.get(w)))


def changed_rota(result: ReplanResult) -> Rota:
    """The new rota with only the shifts of workers whose day changed (for run sheets)."""
    changed = set(result.changed_workers)
    return replace(result.rota, shifts=tuple(sh for sh in result.rota.shifts
                                             if sh.worker_id in changed))


def write_replan(result: ReplanResult, out_dir: str | Path) -> list[Path]:
    """Write ``rota.json``, ``rota.csv``, ``unplaced.csv`` and ``changes.csv`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_rota_json(result.rota, out / "rota.json"),
            write_rota_csv(result.rota, result.day, out / "rota.csv"),
            write_unplaced_csv(result.rota, result.day, out / "unplaced.csv"),
            write_changes_csv(result.changes, out / "changes.csv")]


def format_replan_summary(result: ReplanResult) -> str:
    """The printed summary: events, what was kept, what changed, who to phone."""
    rota, base = result.rota, result.base
    calls = [c for c in result.changes if c.needs_call]
    workers = sorted({w for c in calls for w in c.phone_workers})
    clients = sorted({c.client_id for c in calls if c.phone_client})
    placed = sum(1 for o in rota.outcomes if o.status == "scheduled")
    cancelled = sum(1 for o in rota.outcomes if o.status == "cancelled")
    counted = sum(1 for o in rota.outcomes if o.status != "merged")
    lines = [f"Re-planned from {format_hhmm(result.at_s)} with {len(result.events)} event(s)"]
    lines += [f"  {e.describe()}" for e in result.events]
    lines += [
        f"Kept as they were (started before {format_hhmm(result.at_s)}): {len(result.fixed)} visits",
        f"Changed visits:  {len(result.changes)} ({len(calls)} need a phone call)",
        f"Workers to phone: {len(workers)}" + (f" ({', '.join(workers)})" if workers else ""),
        f"Clients to phone: {len(clients)}",
        f"Visits placed:   {placed} of {counted}" + (f" ({cancelled} cancelled)" if cancelled else ""),
        f"Visits unplaced: {len(rota.unplaced)} (published rota: {len(base.unplaced)})",
        f"Run sheets to reprint: {len(result.changed_workers)} worker(s)",
    ]
    if result.violations:
        lines.append(f"CHECK FAILED: {len(result.violations)} violation(s)")
        lines += [f"  {v}" for v in result.violations[:20]]
    else:
        lines.append("Check: VALID (inputs, events and the published rota)")
    return "\n".join(lines)
