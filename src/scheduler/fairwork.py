"""Fair-work checks of a rota (UNISON Ethical Care Charter, Working Time rules) and continuity."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..geo.travel import haversine_m
from .duplicates import normalise_address, normalise_postcode
from .model import BreakRule, Client, Day
from .rota import PlannedShift, PlannedStop, Rota
from .units import format_hhmm

#: Tasks that justify a visit shorter than 30 minutes (still at least 15): all of a short
#: visit's tasks must be among these (compared lower case, ``_`` read as a space).
SHORT_VISIT_TASKS = frozenset({"medication prompt", "medication check", "welfare check",
                               "check", "safety check", "check call"})
#: Personal-care visits shorter than this are flagged (the Charter's "no 15-minute visits").
MIN_CARE_VISIT_S = 30 * 60
#: No visit should be shorter than this, whatever its tasks.
MIN_VISIT_S = 15 * 60
#: Ways a worker may be paid: what counts as paid time.
PAID_TIME = ("contact_and_travel", "contact", "contact_travel_and_waiting", "shift")

RULES = {
    "short_visit": "personal-care visit under 30 min, or any visit under 15 min",
    "call_cramming": "back-to-back visits at different addresses with no time to travel",
    "travel_not_scheduled": "less time between visits than the travel between them",
    "travel_unpaid": "travel time scheduled but not paid",
    "below_living_wage": "effective hourly pay (contact and travel time) below the living wage",
    "no_break": "over 6 h of work without a 20-min break",
    "low_continuity": "under half of the client's visits today by their regular carers",
}


@dataclass(frozen=True)
class FairWorkFlag:
    """One fair-work finding: the rule broken (see :data:`RULES`), whom it concerns, and why."""

    rule: str
    worker_id: str | None
    provider_id: str | None
    shift: int | None
    client_id: str | None
    visit_id: str | None
    detail: str


@dataclass(frozen=True)
class WorkerPay:
    """A worker's day: seconds of contact, travel and waiting, and pay in pence.

    ``effective_p_per_h`` is pay divided by the hours the worker gives the day (contact,
    travel and waiting between visits: leave home to back home, breaks excluded), rounded
    down to the penny from the exact figure (``None`` with no work). Unpaid travel or
    waiting therefore lowers it, as the UNISON Ethical Care Charter counts it.
    """

    worker_id: str
    provider_id: str
    shifts: int
    visits: int
    contact_s: int
    travel_s: int
    wait_s: int
    paid_s: int
    pay_p: int
    effective_p_per_h: int | None


@dataclass(frozen=True)
class ClientContinuity:
    """Continuity of carer for one client.

    ``slots`` counts carer-visits today (a double-up is two), ``regular_slots`` those by
    the client's regular carers; ``carers_window`` counts distinct carers in the history
    window and today together.
    """

    client_id: str
    slots: int
    regular_slots: int
    carers_today: int
    carers_window: int
    regulars: frozenset[str]

    @property
    def regular_share(self) -> float | None:
        """Share of today's carer-visits by regular carers; ``None`` without regulars."""
        if not self.regulars or not self.slots:
            return None
        return self.regular_slots / self.slots


@dataclass(frozen=True)
class FairWorkReport:
    """Fair-work flags per worker and client, pay per worker, continuity per client.

    Money is integer pence: ``hourly_rate_p`` and ``living_wage_p`` per hour.
    """

    flags: tuple[FairWorkFlag, ...]
    workers: tuple[WorkerPay, ...]
    clients: tuple[ClientContinuity, ...]
    hourly_rate_p: int
    living_wage_p: int
    paid_time: str

    def counts(self) -> dict[str, int]:
        """Number of flags per rule, every rule listed (0 when none)."""
        found = Counter(f.rule for f in self.flags)
        return {rule: found.get(rule, 0) for rule in RULES}

    def flags_for(self, worker_id: str) -> tuple[FairWorkFlag, ...]:
        """The flags concerning one worker."""
        return tuple(f for f in self.flags if f.worker_id == worker_id)

    @property
    def regular_share(self) -> float | None:
        """Share of all carer-visits today by the clients' regular carers (clients with some)."""
        slots = sum(c.slots for c in self.clients if c.regulars)
        return sum(c.regular_slots for c in self.clients if c.regulars) / slots if slots else None

    @property
    def effective_p_per_h(self) -> int | None:
        """Pay over contact, travel and waiting hours, all workers together."""
        work = sum(w.contact_s + w.travel_s + w.wait_s for w in self.workers)
        return _per_hour(self.hourly_rate_p * sum(w.paid_s for w in self.workers), work)


def read_pay_model(path: str | Path) -> dict[str, object]:
    """A provider's pay rules from a TOML file, as keyword arguments of :func:`fair_work_checks`.

    Keys (all optional): ``hourly_rate_gbp`` (pounds per paid hour), ``living_wage_gbp``
    (pounds per hour to compare effective pay with) and ``paid_time`` (one of
    :data:`PAID_TIME`).

    Raises
    ------
    InputError
        Naming the file and key of an unknown key or a bad value.
    """
    import tomllib

    name = Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read pay rules: {exc.__class__.__name__}; write TOML such "
                         "as hourly_rate_gbp = 12.60", file=name) from None
    out: dict[str, object] = {}
    for key, value in data.items():
        if key in ("hourly_rate_gbp", "living_wage_gbp"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise InputError("must be a non-negative amount in pounds", file=name, field=key)
            out[key] = float(value)
        elif key == "paid_time":
            if value not in PAID_TIME:
                raise InputError(f"must be one of {', '.join(PAID_TIME)}", file=name, field=key)
            out[key] = value
        else:
            raise InputError("unknown key; expected hourly_rate_gbp, living_wage_gbp or "
                             "paid_time", file=name, field=key)
    return out


def _pence(gbp: float, name: str) -> int:
    if not gbp >= 0:
        raise ValueError(f"{name} must be a non-negative amount in pounds, got {gbp!r}")
    return int(round(gbp * 100))


def _per_hour(pence_seconds: int, seconds: int) -> int | None:
    # rounded down to the penny from the exact figure, so "below the living wage" is exact
    return pence_seconds // seconds if seconds > 0 else None


def _task(task: str) -> str:
    return " ".join(task.lower().replace("_", " ").split())


def short_visit_allowed(tasks: Iterable[str], *,
                        allowed: Iterable[str] = SHORT_VISIT_TASKS) -> bool:
    """Whether a visit's tasks allow it to be shorter than 30 min (all are short-visit tasks)."""
    tasks = [_task(t) for t in tasks if t.strip()]
    allowed = {_task(t) for t in allowed}
    return bool(tasks) and all(t in allowed for t in tasks)


def _different_address(a: Client, b: Client, near_m: float) -> bool:
    if a.client_id == b.client_id:
        return False
    same_address = (normalise_postcode(a.postcode) and normalise_address(a.address)
                    and (normalise_postcode(a.postcode), normalise_address(a.address))
                    == (normalise_postcode(b.postcode), normalise_address(b.address)))
    return not same_address and float(haversine_m(a.lat, a.lon, b.lat, b.lon)) > near_m


def _gm(seconds: int) -> str:
    return f"{seconds / 60:.0f} min"


def _check_short_visits(day: Day, rota: Rota, allowed: frozenset[str],
                        out: list[FairWorkFlag]) -> None:
    stops: dict[str, list[tuple[PlannedShift, PlannedStop]]] = defaultdict(list)
    for sh in rota.shifts:
        for stop in sh.stops:
            stops[stop.visit_id].append((sh, stop))
    for visit in day.visits:
        planned = stops.get(visit.visit_id)
        length = (planned[0][1].end_s - planned[0][1].start_s) if planned else visit.service_s
        tasks = ", ".join(visit.tasks) or "no tasks listed"
        if length < MIN_VISIT_S:
            detail = f"{_gm(length)} visit (under {_gm(MIN_VISIT_S)}; tasks: {tasks})"
        elif length < MIN_CARE_VISIT_S and not short_visit_allowed(visit.tasks, allowed=allowed):
            detail = (f"{_gm(length)} visit with tasks beyond a medication prompt or check "
                      f"(tasks: {tasks}); personal care needs at least {_gm(MIN_CARE_VISIT_S)}")
        else:
            continue
        for sh, _ in planned or [(None, None)]:  # type: ignore[list-item]  # unplaced: no shift
            out.append(FairWorkFlag("short_visit", sh.worker_id if sh else None,
                                    sh.provider_id if sh else visit.provider_id,
                                    sh.shift if sh else None, visit.client_id, visit.visit_id,
                                    detail + ("" if sh else "; visit is unplaced")))


def _check_shift(day: Day, sh: PlannedShift, near_m: float, min_move_s: int, rule: BreakRule,
                 out: list[FairWorkFlag]) -> None:
    def flag(rule: str, detail: str, stop: PlannedStop | None = None) -> None:
        out.append(FairWorkFlag(rule, sh.worker_id, sh.provider_id, sh.shift,
                                stop.client_id if stop else None,
                                stop.visit_id if stop else None, detail))

    for prev, stop in zip(sh.stops, sh.stops[1:]):
        a, b = day.client_by_id.get(prev.client_id), day.client_by_id.get(stop.client_id)
        if a is None or b is None or not _different_address(a, b, near_m):
            continue
        rest = sum(x.duration_s for x in sh.breaks if prev.end_s <= x.start_s < stop.start_s)
        gap = stop.start_s - prev.end_s - rest
        where = (f"{prev.visit_id} ends {format_hhmm(prev.end_s)}, {stop.visit_id} at another "
                 f"address starts {format_hhmm(stop.start_s)}")
        if gap < min_move_s:
            flag("call_cramming", f"{where}: {_gm(max(gap, 0))} between them, travel needs "
                                  f"{_gm(stop.travel_s)}", stop)
        elif gap < stop.travel_s:
            flag("travel_not_scheduled", f"{where}: {_gm(gap)} between them, travel needs "
                                         f"{_gm(stop.travel_s)}", stop)
    if sh.stops:
        span = sh.return_s - sh.leave_s
        if span > rule.after_s and not any(b.duration_s >= rule.min_s for b in sh.breaks):
            flag("no_break", f"works {format_hhmm(sh.leave_s)}-{format_hhmm(sh.return_s)} "
                             f"({span / 3600:.1f} h) with no break of {_gm(rule.min_s)} or more")


def _worker_pay(day: Day, rota: Rota, rate_p: int, paid_time: str) -> list[WorkerPay]:
    shifts: dict[str, list[PlannedShift]] = defaultdict(list)
    for sh in rota.shifts:
        if sh.stops:
            shifts[sh.worker_id].append(sh)
    pays = []
    for worker in day.workers:
        mine = shifts.get(worker.worker_id)
        if not mine:
            continue
        contact = sum(sh.contact_s for sh in mine)
        travel = sum(sh.travel_s for sh in mine)
        breaks = sum(b.duration_s for sh in mine for b in sh.breaks)
        wait = max(0, sum(sh.return_s - sh.leave_s for sh in mine) - contact - travel - breaks)
        if paid_time == "contact":
            paid = contact
        elif paid_time == "contact_travel_and_waiting":
            paid = contact + travel + wait
        elif paid_time == "shift":
            paid = sum(s.length_s for s in worker.shifts)
        else:
            paid = contact + travel
        pay = (rate_p * paid + 1800) // 3600
        pays.append(WorkerPay(worker.worker_id, worker.provider_id, len(mine),
                              sum(len(sh.stops) for sh in mine), contact, travel, wait, paid, pay,
                              _per_hour(rate_p * paid, contact + travel + wait)))
    return pays


def _continuity(day: Day, rota: Rota, history: Mapping[str, Mapping[str, int]],
                regular_carers: int) -> list[ClientContinuity]:
    today: dict[str, list[str]] = defaultdict(list)
    for sh in rota.shifts:
        for stop in sh.stops:
            today[stop.client_id].append(sh.worker_id)
    clients = []
    for client in day.clients:
        past = history.get(client.client_id, {})
        ranked = sorted(((w, n) for w, n in past.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
        regulars = frozenset(w for w, _ in ranked[:regular_carers])
        slots = today.get(client.client_id, [])
        if not slots and not past:
            continue
        clients.append(ClientContinuity(
            client.client_id, len(slots), sum(1 for w in slots if w in regulars),
            len(set(slots)), len(set(slots) | {w for w, n in past.items() if n > 0}), regulars))
    return clients


def fair_work_checks(day: Day, rota: Rota, *, hourly_rate_gbp: float = 12.60,
                     living_wage_gbp: float = 12.60,
                     history: Mapping[str, Mapping[str, int]] | None = None,
                     paid_time: str = "contact_and_travel", near_m: float = 25,
                     min_move_s: int = 60, short_visit_tasks: Iterable[str] = SHORT_VISIT_TASKS,
                     regular_carers: int = 3, min_regular_share: float = 0.5) -> FairWorkReport:
    """Check a rota against fair-work rules, per worker and overall.

    Rules (:data:`RULES`): ``short_visit`` (a visit under 30 min unless all its tasks are
    in ``short_visit_tasks``, and any visit under 15 min; unplaced visits are flagged
    with no worker), ``call_cramming`` (consecutive visits at addresses more than
    ``near_m`` apart with less than ``min_move_s`` between them), ``travel_not_scheduled``
    (less time between them than the stated travel), ``travel_unpaid`` (with
    ``paid_time="contact"``), ``below_living_wage``, ``no_break`` (leave-home to
    back-home over 6 h with no scheduled break of 20 min) and ``low_continuity``.

    Parameters
    ----------
    day : Day
    rota : Rota
    hourly_rate_gbp : float, default 12.60
        The workers' hourly pay rate, pounds.
    living_wage_gbp : float, default 12.60
        The living wage rate to compare effective pay with, pounds per hour.
    history : mapping, optional
        Client id to {worker id: past visits}; default ``day.history``.
    paid_time : str, default "contact_and_travel"
        What is paid: ``"contact_and_travel"`` (the Charter), ``"contact"`` (contact time
        only), ``"contact_travel_and_waiting"`` (waiting between visits too) or ``"shift"``
        (every rostered hour). Effective pay is pay divided by the hours the worker gives
        the day: contact, travel and waiting, so unpaid waiting lowers it.
    near_m : float, default 25
        Homes closer than this (or with the same postcode and address) are one address.
    min_move_s : int, default 60
        Least time between visits at two addresses before it counts as call cramming.
    short_visit_tasks : iterable of str
        Tasks that allow a visit of 15 to 29 minutes.
    regular_carers : int, default 3
        A client's regular carers are this many with the most past visits.
    min_regular_share : float, default 0.5
        Flag a client with regular carers whose share of today's carer-visits by them
        is below this.
    """
    if paid_time not in PAID_TIME:
        raise ValueError(f"paid_time must be one of {', '.join(PAID_TIME)}, got {paid_time!r}")
    rate_p = _pence(hourly_rate_gbp, "hourly_rate_gbp")
    wage_p = _pence(living_wage_gbp, "living_wage_gbp")
    history = day.history if history is None else history
    allowed = frozenset(_task(t) for t in short_visit_tasks)
    flags: list[FairWorkFlag] = []
    _check_short_visits(day, rota, allowed, flags)
    for sh in rota.shifts:
        _check_shift(day, sh, near_m, min_move_s, BreakRule.of_run(rota.run), flags)
    workers = _worker_pay(day, rota, rate_p, paid_time)
    for pay in workers:
        if paid_time == "contact" and pay.travel_s > 0:
            flags.append(FairWorkFlag("travel_unpaid", pay.worker_id, pay.provider_id, None, None,
                                      None, f"{_gm(pay.travel_s)} of travel scheduled, paid "
                                            f"time is contact time only"))
        if pay.effective_p_per_h is not None and pay.effective_p_per_h < wage_p:
            flags.append(FairWorkFlag(
                "below_living_wage", pay.worker_id, pay.provider_id, None, None, None,
                f"effective £{pay.effective_p_per_h / 100:.2f}/h over "
                f"{(pay.contact_s + pay.travel_s + pay.wait_s) / 3600:.1f} h of contact, "
                f"travel and waiting "
                f"(paid {pay.paid_s / 3600:.1f} h at £{rate_p / 100:.2f}); living wage "
                f"£{wage_p / 100:.2f}/h"))
    clients = _continuity(day, rota, history, regular_carers)
    for c in clients:
        share = c.regular_share
        if share is not None and share < min_regular_share:
            flags.append(FairWorkFlag(
                "low_continuity", None, None, None, c.client_id, None,
                f"{c.regular_slots} of {c.slots} carer-visits today by regular carers "
                f"({share:.0%}); {c.carers_today} carer(s) today, {c.carers_window} over the "
                f"history window and today"))
    order = {rule: i for i, rule in enumerate(RULES)}
    flags.sort(key=lambda f: (order[f.rule], f.worker_id or "", f.shift or 0, f.client_id or "",
                              f.visit_id or ""))
    return FairWorkReport(tuple(flags), tuple(workers), tuple(clients), rate_p, wage_p, paid_time)
