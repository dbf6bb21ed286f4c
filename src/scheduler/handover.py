"""What ``--pool`` moved between providers: one :class:`Handover` per visit done by another's worker.

With ``--pool`` any provider's worker may do any visit; each provider then needs the
list of visits it hands over (or takes on) to tell its clients and carers.
``handover.csv`` (:func:`carerounds.scheduler.outputs.write_handover_csv`) prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Day
from .rota import Rota

__all__ = ["Handover", "find_handovers"]


@dataclass(frozen=True)
class Handover:
    """A visit of one provider done by the worker(s) of another.

    ``from_provider`` is the visit's provider (in ``visits.csv``), ``to_provider`` the
    provider of the worker(s) who do it (several joined by ``;`` on a double-up shared by
    two other providers); ``workers`` are only the workers of another provider;
    ``start_s`` the planned start, seconds since midnight.
    """

    visit_id: str
    area: str
    from_provider: str
    to_provider: str
    workers: tuple[str, ...]
    start_s: int

    def __post_init__(self) -> None:
        if not self.workers or self.from_provider == self.to_provider:
            raise ValueError(f"visit {self.visit_id!r}: a handover needs a worker of another "
                             "provider")


def find_handovers(day: Day, rota: Rota) -> tuple[Handover, ...]:
    """Every scheduled visit with a worker whose provider is not the visit's, by start time.

    Visits no provider has taken yet (blank ``provider_id``) move from nobody and are
    left out.

    Parameters
    ----------
    day : Day
        The day that was planned (after any merges), holding every visit of the rota.
    rota : Rota

    Returns
    -------
    tuple of Handover
        Ordered by start time, then visit id.
    """
    moved = []
    for outcome in rota.scheduled:
        visit = day.visit_by_id.get(outcome.visit_id)
        if visit is None or visit.provider_id is None or outcome.start_s is None:
            continue
        others = tuple(w for w in outcome.workers if w in day.worker_by_id
                       and day.worker_by_id[w].provider_id != visit.provider_id)
        if not others:
            continue
        to = ";".join(sorted({day.worker_by_id[w].provider_id for w in others}))
        moved.append(Handover(
            visit_id=visit.visit_id, area=day.client_by_id[visit.client_id].area,
            from_provider=visit.provider_id, to_provider=to, workers=others,
            start_s=outcome.start_s))
    return tuple(sorted(moved, key=lambda h: (h.start_s, h.visit_id)))
