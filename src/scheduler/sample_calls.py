"""Call-monitoring records for a sample day: a quick rota, then plausible check-ins and -outs.

``carerounds sample`` writes ``calls.csv`` (the format :func:`carerounds.scheduler.actuals.read_calls`
reads) and the rota the calls were made from, ``calls_rota.json``, so that ``carerounds
actuals`` can be tried on a fresh sample. The rota is the pair-aware cheapest insertion
(:func:`carerounds.routing.solve_by_insertion`) over straight-line travel estimates: a
fraction of a second on a small day, about a second on a county day, and deterministic
(no search bounded by the clock), so the same seed gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from .model import Day
from .rota import Rota
from .units import format_hhmm

#: The files :func:`write_sample_calls` writes, in writing order.
CALL_FILE_NAMES = ("calls.csv", "calls_rota.json")
#: Share of planned carer-visits made late, short and missed (no record); the rest on time.
LATE_SHARE, SHORT_SHARE, MISSED_SHARE = 0.06, 0.06, 0.04
#: How many unplanned calls (a carer checking in at a visit not on their round) to add.
UNPLANNED_CALLS = 2
#: Minutes after the window ends that a late check-in comes (actuals flags > 15 min).
_LATE_MIN = (20, 45)
#: Share of the planned duration a short visit lasts (actuals flags < 0.8).
_SHORT_RATIO = (0.4, 0.7)
# a stable offset so the calls' draws do not repeat the sample generator's
_SEED_SALT = 15_015


@dataclass(frozen=True)
class SampleCall:
    """One synthetic call: times in seconds since midnight; ``kind`` is what it was made as."""

    visit_id: str
    worker_id: str
    check_in_s: int
    check_out_s: int
    kind: str  # "on_time" | "late" | "short" | "unplanned"


def plan_sample_rota(day: Day, *, seed: int) -> Rota:
    """The quick rota the sample's calls are made from (pair-aware cheapest insertion).

    Parameters
    ----------
    day : Day
        The sample day, as read from its files.
    seed : int
        Orders the insertion (as ``plan --seed``).

    Returns
    -------
    Rota
        Its ``run`` records the seed, the engine (``"insertion"``) and the inputs' SHA-256,
        with no creation time, so the file is the same on every machine.
    """
    from ..routing import SolveParams, solve_by_insertion
    from .build import PlanOptions, build_problem
    from .plan import rota_from_solution, run_info
    from .travel import build_travel

    travel = build_travel(day)
    options = PlanOptions()
    built = build_problem(day, travel, options)
    # a generous limit: the insertion ends long before it, so the clock never decides
    params = SolveParams(time_limit_s=600.0, seed=seed)
    solution = solve_by_insertion(built.problem, params)
    shifts, outcomes = rota_from_solution(day, built, solution, options)
    info = run_info(day, travel, params, options)
    for varying in ("created", "versions", "time_limit_s"):
        info.pop(varying, None)
    info.update(engine="insertion", made_by="carerounds sample (calls.csv was made from it)")
    return Rota(date=day.date, shifts=shifts, outcomes=outcomes, run=info)


def _on_time(rng: random.Random, start_s: int, service_s: int) -> tuple[int, int]:
    check_in = max(0, start_s + 60 * rng.randint(-5, 8))
    return check_in, check_in + int(service_s * rng.uniform(0.9, 1.08))


def make_calls(day: Day, rota: Rota, *, seed: int) -> tuple[SampleCall, ...]:
    """Plausible call-monitoring records of ``rota``: mostly on time, some late, short, missed.

    Every planned carer-visit (a double-up is two) gets one call, except the missed ones;
    with four or more carer-visits at least one is late, one short and one missed. Then
    :data:`UNPLANNED_CALLS` calls by a worker not planned for the visit: at an unplaced
    visit when there is one, else alongside a planned visit.

    Parameters
    ----------
    day : Day
    rota : Rota
        From :func:`plan_sample_rota`.
    seed : int
        Seed of the random draws; the same arguments give the same calls.

    Returns
    -------
    tuple of SampleCall
        In check-in order (then visit and worker).
    """
    rng = random.Random(seed * 1_000_003 + _SEED_SALT)
    stops = [(sh.worker_id, stop) for sh in rota.shifts for stop in sh.stops]
    kinds = [_draw_kind(rng) for _ in stops]
    if len(stops) >= 4:
        forced = rng.sample(range(len(stops)), 3)
        for index, kind in zip(forced, ("late", "short", "missed")):
            kinds[index] = kind
    calls = []
    for (worker_id, stop), kind in zip(stops, kinds):
        visit = day.visit_by_id[stop.visit_id]
        check_in, check_out = _on_time(rng, stop.start_s, visit.service_s)
        if kind == "missed":
            continue
        if kind == "late":
            check_in = visit.window_end_s + 60 * rng.randint(*_LATE_MIN)
            check_out = check_in + visit.service_s
        elif kind == "short":
            check_out = check_in + int(visit.service_s * rng.uniform(*_SHORT_RATIO))
        calls.append(SampleCall(stop.visit_id, worker_id, check_in, check_out, kind))
    calls += _unplanned(day, rota, rng)
    return tuple(sorted(calls, key=lambda c: (c.check_in_s, c.visit_id, c.worker_id)))


def _draw_kind(rng: random.Random) -> str:
    draw = rng.random()
    if draw < LATE_SHARE:
        return "late"
    if draw < LATE_SHARE + SHORT_SHARE:
        return "short"
    if draw < LATE_SHARE + SHORT_SHARE + MISSED_SHARE:
        return "missed"
    return "on_time"


def _unplanned(day: Day, rota: Rota, rng: random.Random) -> list[SampleCall]:
    """Calls by a worker of the visit's provider who was not planned for it."""
    planned = {o.visit_id: set(o.workers) for o in rota.outcomes}
    unplaced = [o.visit_id for o in rota.outcomes if o.status == "unplaced"]
    scheduled = [o.visit_id for o in rota.outcomes if o.status == "scheduled"]
    candidates = unplaced + rng.sample(scheduled, len(scheduled))
    out: list[SampleCall] = []
    for visit_id in candidates:
        if len(out) == UNPLANNED_CALLS:
            break
        visit = day.visit_by_id[visit_id]
        others = sorted(w.worker_id for w in day.workers
                        if w.worker_id not in planned.get(visit_id, set())
                        and visit.provider_id in (None, w.provider_id))
        if not others:
            continue
        start = visit.window_start_s + 60 * rng.randint(0, 10)
        out.append(SampleCall(visit_id, rng.choice(others), *_on_time(rng, start, visit.service_s),
                              "unplanned"))
    return out


def calls_rows(calls: tuple[SampleCall, ...]) -> list[list[str]]:
    """The rows of ``calls.csv`` (``visit_id, worker_id, check_in, check_out``, HH:MM)."""
    return [[c.visit_id, c.worker_id, format_hhmm(c.check_in_s), format_hhmm(c.check_out_s)]
            for c in calls]


def write_sample_calls(folder: str | Path, *, date: dt.date, seed: int) -> list[Path]:
    """Read the sample day in ``folder``, plan its quick rota, write its calls beside it.

    Writes ``calls.csv`` (for ``carerounds actuals --calls``) and ``calls_rota.json`` (the
    rota they were made from, for ``actuals --rota``), through
    :mod:`carerounds.scheduler.outputs`.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`carerounds.scheduler.sample.write_sample`.
    date : datetime.date
        The sample's plan date.
    seed : int
        The sample's seed: orders the insertion and draws the calls.

    Returns
    -------
    list of Path
        The files written, in :data:`CALL_FILE_NAMES` order.
    """
    from .actuals import CALLS_COLUMNS
    from .inputs import read_day
    from .outputs import write_csv, write_rota_json

    folder = Path(folder)
    day = read_day(folder, date=date)
    rota = plan_sample_rota(day, seed=seed)
    calls = make_calls(day, rota, seed=seed)
    return [write_csv(folder / "calls.csv", CALLS_COLUMNS, calls_rows(calls)),
            write_rota_json(rota, folder / "calls_rota.json")]
