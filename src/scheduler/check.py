"""Independent rota checker: re-derives every rule from the inputs, sharing no code with the model."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..geo.travel import haversine_m
from .events import END_OF_DAY_S, Event
from .model import BreakRule, Client, Day, TravelBuffer, Visit, Worker
from .rota import PlannedShift, Rota, rota_digest
from .travel import DayTravel
from .units import format_hhmm, format_hhmmss


@dataclass(frozen=True)
class Violation:
    """A broken rule: ``kind`` (machine-readable), the record it concerns and a plain detail."""

    kind: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


def _hm(seconds: int) -> str:
    return format_hhmmss(seconds) if seconds % 60 else format_hhmm(seconds)


def _buffer_s(day: Day, buffer: TravelBuffer, previous: str | None, client_id: str,
              leg_s: int) -> int:
    """The buffer owed before a visit: after another client's home at a different address."""
    if previous is None or previous == client_id:
        return 0
    a, b = day.client_by_id[previous], day.client_by_id[client_id]
    apart = float(haversine_m(a.lat, a.lon, b.lat, b.lon)) > buffer.same_address_m
    return buffer.seconds(leg_s) if apart and (buffer.min_s or buffer.share_bp) else 0


def _check_worker_rules(visit: Visit, client: Client, worker: Worker, pool: bool, who: str,
                        out: list[Violation]) -> None:
    """The worker may do the visit: provider, skills, gender preference, exclusions."""
    if visit.provider_id and not pool and visit.provider_id != worker.provider_id:
        out.append(Violation("provider", who, f"visit belongs to provider {visit.provider_id}, "
                                              f"worker to {worker.provider_id}"))
    missing = visit.skills - worker.skills
    if missing:
        out.append(Violation("skill", who, f"worker lacks {', '.join(sorted(missing))}"))
    if client.gender_preference and worker.gender != client.gender_preference:
        out.append(Violation("gender", who, f"client asks for a {client.gender_preference} "
                                            f"carer, worker is {worker.gender}"))
    if worker.worker_id in client.excluded_workers:
        out.append(Violation("excluded", who, "client has excluded this worker"))


def _check_shift(day: Day, travel: DayTravel, sh: PlannedShift, pool: bool, rule: BreakRule,
                 buffer: TravelBuffer, out: list[Violation],
                 replanned: _Replanned | None = None) -> None:
    subject = f"worker {sh.worker_id} shift {sh.shift}"
    worker = day.worker_by_id.get(sh.worker_id)
    if worker is None:
        out.append(Violation("unknown_worker", subject, "worker is not in workers.csv"))
        return
    if not 1 <= sh.shift <= len(worker.shifts):
        out.append(Violation("unknown_shift", subject,
                             f"worker has {len(worker.shifts)} shift(s) in workers.csv"))
        return
    shift = worker.shifts[sh.shift - 1]
    if (sh.shift_start_s, sh.shift_end_s) != (shift.start_s, shift.end_s):
        out.append(Violation("shift_mismatch", subject, "shift times differ from workers.csv"))
    if sh.provider_id != worker.provider_id:
        out.append(Violation("provider_mismatch", subject, "provider differs from workers.csv"))
    if not sh.stops:
        return
    if sh.leave_s < shift.start_s:
        out.append(Violation("shift", subject, f"leaves home {_hm(sh.leave_s)} before the shift "
                                               f"starts {_hm(shift.start_s)}"))
    if sh.return_s > shift.end_s and not (replanned and replanned.overran_home(sh)):
        out.append(Violation("shift", subject, f"home {_hm(sh.return_s)} after the shift ends "
                                               f"{_hm(shift.end_s)}"))
    if worker.travel_mode not in travel.matrices:
        out.append(Violation("travel_mode", subject, f"no {worker.travel_mode} travel to check"))
        return
    seconds = travel.matrices[worker.travel_mode].duration_s
    metres = travel.matrices[worker.travel_mode].distance_m
    home = travel.location("worker", worker.worker_id)
    breaks = sorted(sh.breaks, key=lambda b: b.start_s)
    for b in breaks:
        if b.start_s < shift.start_s or b.start_s + b.duration_s > shift.end_s:
            out.append(Violation("break", subject, f"break at {_hm(b.start_s)} is outside the shift"))
        if b.start_s < sh.leave_s or b.start_s + b.duration_s > sh.return_s:
            out.append(Violation("break", subject, f"break at {_hm(b.start_s)} is outside the "
                                                   "worked time (leave home to return)"))
    worked_s = sh.return_s - sh.leave_s
    if worked_s > rule.after_s and not any(b.duration_s >= rule.min_s for b in breaks):
        out.append(Violation("break", subject, f"works {worked_s / 3600:.1f} h with no "
                                               f"break of {rule.min_s // 60} min"))

    place, ready = home, sh.leave_s
    previous: str | None = None
    for stop in sh.stops:
        visit = day.visit_by_id.get(stop.visit_id)
        who = f"{subject}, visit {stop.visit_id}"
        if visit is None:
            out.append(Violation("unknown_visit", who, "visit is not in visits.csv"))
            continue
        client = day.client_by_id[visit.client_id]
        target = travel.location("client", client.client_id)
        leg_s, leg_m = int(seconds[place, target]), int(metres[place, target])
        if (stop.travel_s, stop.distance_m) != (leg_s, leg_m):
            out.append(Violation("travel", who, f"states {stop.travel_s} s / {stop.distance_m} m "
                                                f"from the previous stop; recomputed {leg_s} s / "
                                                f"{leg_m} m"))
        in_gap = [b for b in breaks if ready <= b.start_s < stop.start_s]
        owed = _buffer_s(day, buffer, previous, client.client_id, leg_s)
        previous = client.client_id
        needed = ready + leg_s + owed + sum(b.duration_s for b in in_gap)
        if stop.arrival_s < ready + leg_s:
            out.append(Violation("travel", who, f"arrives {_hm(stop.arrival_s)}, but leaving "
                                                f"{_hm(ready)} it cannot arrive before "
                                                f"{_hm(ready + leg_s)}"))
        if stop.start_s < max(stop.arrival_s, needed):
            out.append(Violation("travel", who, f"starts {_hm(stop.start_s)} before travel, "
                                                f"the {owed // 60} min buffer and breaks allow "
                                                f"({_hm(needed)})"))
        if not visit.window_start_s <= stop.start_s <= visit.window_end_s:
            out.append(Violation("window", who, f"starts {_hm(stop.start_s)} outside the window "
                                                f"{_hm(visit.window_start_s)}-"
                                                f"{_hm(visit.window_end_s)}"))
        needs_s = visit.service_s + (replanned.extra_s.get(visit.visit_id, 0) if replanned else 0)
        if stop.end_s - stop.start_s != needs_s:
            out.append(Violation("duration", who, f"lasts {(stop.end_s - stop.start_s) // 60} min, "
                                                  f"visit needs {needs_s // 60} min"))
        _check_worker_rules(visit, client, worker, pool, who, out)
        for b in breaks:
            if b.start_s < stop.end_s and stop.start_s < b.start_s + b.duration_s:
                out.append(Violation("break", who, f"break at {_hm(b.start_s)} overlaps the visit"))
        place, ready = target, stop.end_s
    back_s, back_m = int(seconds[place, home]), int(metres[place, home])
    if (sh.return_travel_s, sh.return_distance_m) != (back_s, back_m):
        out.append(Violation("travel", subject, f"states {sh.return_travel_s} s home; "
                                                f"recomputed {back_s} s"))
    tail = sum(b.duration_s for b in breaks if b.start_s >= ready)
    if sh.return_s < ready + back_s + tail:
        out.append(Violation("travel", subject, f"home {_hm(sh.return_s)} before travel allows "
                                                f"({_hm(ready + back_s + tail)})"))


@dataclass(frozen=True)
class _Replanned:
    """What a re-planned rota's run record allows: cancelled visits and overruns."""

    at_s: int
    cancelled: frozenset[str]
    extra_s: dict[str, int]

    @classmethod
    def of(cls, rota: Rota) -> _Replanned | None:
        record = rota.run.get("replan")
        if not isinstance(record, dict) or "at_s" not in record:
            return None
        return cls(int(record["at_s"]), frozenset(record.get("cancelled") or ()),
                   {k: int(v) for k, v in (record.get("overrun_s") or {}).items()})

    def overran_home(self, sh: PlannedShift) -> bool:
        """Home after the shift ends because the last visit, under way, overran."""
        last = sh.stops[-1]
        return last.start_s < self.at_s and last.visit_id in self.extra_s


def _merged_day(day: Day, rota: Rota, out: list[Violation]) -> tuple[Day, dict[str, str]]:
    """Re-derive the merged day from the inputs and compare with the merges the rota lists."""
    from .duplicates import find_duplicate_visits, merge_duplicates

    merged, merges = merge_duplicates(day, find_duplicate_visits(day))
    derived = {(m.kept, m.absorbed) for m in merges}
    listed = {(m.get("kept"), m.get("absorbed")) for m in rota.run.get("merges", [])}
    if derived != listed:
        out.append(Violation("merge", "run", f"rota lists {len(listed)} merge(s); the inputs give "
                                             f"{len(derived)}: {sorted(derived ^ listed)[:5]}"))
    return merged, {m.absorbed: m.kept for m in merges}


def check_rota(day: Day, rota: Rota, travel: DayTravel) -> list[Violation]:
    """Verify a rota against the inputs and return every violation found (empty when valid).

    Checks: every input visit appears exactly once (scheduled or unplaced with a
    reason, or cancelled when a re-plan's run record says so), each scheduled visit has
    as many distinct workers as it needs, all starting together, inside the window, with
    the right provider, skills, gender and no exclusion; each shift leaves and returns
    inside its hours with travel recomputed from the travel matrices, breaks owed on
    long shifts, no visit overlapping for a worker, and each worker within their maximum
    hours. A re-planned rota's visits last as booked plus any overrun its run record
    gives, and a worker whose visit under way overran may be home after the shift ends;
    :func:`check_replan` checks those records against the events and the rota changed.
    """
    # other inputs than the rota was planned from would show as hundreds of violations;
    # say which files differ instead
    out = _check_input_files(day, rota) or _check_travel_source(rota, travel)
    if out:
        return out
    pool = bool(rota.run.get("pool", False))
    rule = BreakRule.of_run(rota.run)
    buffer = TravelBuffer.of_run(rota.run)
    if rota.date != day.date:
        out.append(Violation("date", "run", f"rota is for {rota.date}, inputs for {day.date}"))

    counts = Counter(o.visit_id for o in rota.outcomes)
    inputs = day.visit_by_id
    absorbed: dict[str, str] = {}
    if rota.run.get("dedupe") == "merge":
        day, absorbed = _merged_day(day, rota, out)
    for visit_id, n in counts.items():
        if visit_id not in inputs:
            out.append(Violation("unknown_visit", f"visit {visit_id}", "not in visits.csv"))
        elif n > 1:
            out.append(Violation("duplicate_outcome", f"visit {visit_id}", f"listed {n} times"))
    for visit in inputs.values():
        if visit.visit_id not in counts:
            out.append(Violation("missing_visit", f"visit {visit.visit_id}",
                                 "neither scheduled nor listed as unplaced"))

    served: dict[str, list[tuple[str, int]]] = defaultdict(list)
    replanned = _Replanned.of(rota)
    for sh in rota.shifts:
        _check_shift(day, travel, sh, pool, rule, buffer, out, replanned)
        for stop in sh.stops:
            served[stop.visit_id].append((sh.worker_id, stop.start_s))

    _check_outcomes(day, rota, served, absorbed, out, replanned.cancelled if replanned else ())
    _check_worker_days(day, rota, out)
    return out


def _check_input_files(day: Day, rota: Rota) -> list[Violation]:
    """The inputs are the files the rota was planned from (by the SHA-256 its run recorded).

    A rota without recorded inputs (built by hand or by an older version) is checked
    rule by rule as it is.
    """
    recorded = rota.run.get("inputs")
    if not isinstance(recorded, dict) or not recorded:
        return []
    read = {s.name: s.sha256 for s in day.sources}
    out = []
    for name in sorted(set(recorded) | set(read)):
        planned = recorded.get(name, {}).get("sha256") if isinstance(recorded.get(name), dict) \
            else None
        if name not in read:
            out.append(Violation("inputs_changed", name, "the rota was planned with this file "
                                                         "but the inputs folder has none"))
        elif name not in recorded:
            out.append(Violation("inputs_changed", name, "this file was not among the inputs "
                                                         "the rota was planned from"))
        elif planned != read[name]:
            out.append(Violation("inputs_changed", name, "differs from the file the rota was "
                                                         "planned from (SHA-256); check against "
                                                         "the --inputs folder used for plan"))
    return out


def _check_travel_source(rota: Rota, travel: DayTravel) -> list[Violation]:
    """The rota was planned on the travel it is checked with (same roads, same estimate)."""
    out: list[Violation] = []
    if rota.run.get("roads") != travel.roads:
        out.append(Violation("travel_source", "run", f"rota was planned with roads="
                                                     f"{rota.run.get('roads')!r}, checked with "
                                                     f"roads={travel.roads!r}; pass the same --roads"))
        return out
    planned_with = rota.run.get("travel") or {}
    for mode, source in travel.describe().items():
        if mode in planned_with and planned_with[mode] != source:
            out.append(Violation("travel_source", "run", f"{mode} travel was planned with "
                                                         f"{planned_with[mode]!r} but is checked "
                                                         f"with {source!r}; re-plan or check with "
                                                         "the same version and --roads"))
    return out


def _check_outcomes(day: Day, rota: Rota, served: dict[str, list[tuple[str, int]]],
                    absorbed: dict[str, str], out: list[Violation],
                    cancelled: frozenset[str] | tuple = ()) -> None:
    """Each outcome agrees with the rounds: merged, unplaced with a reason, or fully served."""
    for o in rota.outcomes:
        subject = f"visit {o.visit_id}"
        done = served.get(o.visit_id, [])
        if o.status == "merged" or o.visit_id in absorbed:
            if o.status != "merged" or o.visit_id not in absorbed:
                out.append(Violation("merge", subject, "merged status does not match the "
                                                       "merges the inputs give"))
            elif done:
                out.append(Violation("merge", subject, "merged away but still in a round"))
            elif not o.reason:
                out.append(Violation("no_reason", subject, "merged with no reason"))
            continue
        visit = day.visit_by_id.get(o.visit_id)
        if visit is None:
            continue
        if o.status == "cancelled" and o.visit_id in cancelled:
            if done:
                out.append(Violation("cancelled_but_served", subject, "cancelled but in a round"))
            if not o.reason:
                out.append(Violation("no_reason", subject, "cancelled with no reason"))
            continue
        if o.status == "unplaced":
            if done:
                out.append(Violation("unplaced_but_served", subject, "listed unplaced but in a round"))
            if not o.reason:
                out.append(Violation("no_reason", subject, "unplaced with no reason"))
            continue
        if o.status != "scheduled":
            out.append(Violation("status", subject, f"unknown status {o.status!r}"))
            continue
        workers = [w for w, _ in done]
        if len(done) != visit.carers:
            out.append(Violation("carers", subject, f"needs {visit.carers} carer(s), has {len(done)}"))
        if len(set(workers)) != len(workers):
            out.append(Violation("double_up", subject, "the same worker is counted twice"))
        if len({s for _, s in done}) > 1:
            out.append(Violation("double_up", subject, "carers do not start together: " + ", ".join(
                f"{w} {_hm(s)}" for w, s in done)))
        if sorted(workers) != sorted(o.workers):
            out.append(Violation("outcome", subject, "workers listed differ from the rounds"))


def _check_worker_days(day: Day, rota: Rota, out: list[Violation]) -> None:
    """No worker is in two places at once, and nobody works over their maximum hours."""
    by_worker: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for sh in rota.shifts:
        if sh.stops:
            by_worker[sh.worker_id].append((sh.leave_s, sh.return_s, f"shift {sh.shift}"))
        for stop in sh.stops:
            by_worker[sh.worker_id].append((stop.start_s, stop.end_s, f"visit {stop.visit_id}"))
    for worker_id, spans in by_worker.items():
        visits = sorted(s for s in spans if s[2].startswith("visit"))
        for (_, e1, a), (s2, _, b) in zip(visits, visits[1:]):
            if s2 < e1:
                out.append(Violation("overlap", f"worker {worker_id}", f"{a} and {b} overlap"))
        rounds = sorted(s for s in spans if s[2].startswith("shift"))
        for (_, e1, a), (s2, _, b) in zip(rounds, rounds[1:]):
            if s2 < e1:
                out.append(Violation("overlap", f"worker {worker_id}", f"{a} and {b} overlap"))
        worker = day.worker_by_id.get(worker_id)
        worked = sum(e - s for s, e, _ in rounds)
        if worker and worker.max_work_s is not None and worked > worker.max_work_s:
            out.append(Violation("max_hours", f"worker {worker_id}",
                                 f"works {worked / 3600:.2f} h, maximum {worker.max_work_s / 3600:g} h"))


# ---- re-planned rotas ----------------------------------------------------------------------


def _replan_record(base: Rota, events: Sequence[Event], rota: Rota) -> list[Violation]:
    """The run record names this base rota and exactly these events."""
    record = rota.run["replan"]
    out = []
    if record.get("base_rota_sha256") != rota_digest(base):
        out.append(Violation("base_rota", "run", "the re-plan was made from another rota "
                                                 "(SHA-256 differs); check against the rota "
                                                 "it changed"))
    recorded = [Event.from_record(r) for r in record.get("events") or ()]
    if len(recorded) != len(events) or not all(a.same_as(b) for a, b in zip(recorded, events)):
        out.append(Violation("events", "run", f"the re-plan records {len(recorded)} event(s) "
                                              f"that differ from the {len(events)} given"))
    before = base.run.get("replan") or {}
    cancelled = sorted(set(before.get("cancelled") or ())
                       | {e.visit_id for e in events if e.kind == "visit_cancelled" and e.visit_id})
    extra = dict(before.get("overrun_s") or {})
    for e in events:
        if e.kind == "visit_overrun" and e.visit_id:
            extra[e.visit_id] = extra.get(e.visit_id, 0) + e.extra_s
    if sorted(record.get("cancelled") or ()) != cancelled or \
            dict(record.get("overrun_s") or {}) != extra:
        out.append(Violation("events", "run", "cancellations or overruns recorded differ from "
                                              "the events"))
    return out


def _off(day: Day, base: Rota, events: Sequence[Event], at_s: int
         ) -> tuple[dict[str, list[tuple[int, int]]], dict[tuple[str, int], int]]:
    """Each worker's absences (with those the base rota recorded) and late rounds' new times."""
    absences: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in (base.run.get("replan") or {}).get("absences") or ():
        absences[a["worker_id"]].append((int(a["from_s"]), int(a["until_s"])))
    late: dict[tuple[str, int], int] = {}
    shifts = {(sh.worker_id, sh.shift): sh for sh in base.shifts}
    for e in events:
        worker = day.worker_by_id.get(e.worker_id or "")
        if worker is None:
            continue
        start = at_s if e.at_s is None else e.at_s
        if e.kind == "worker_unavailable":
            absences[worker.worker_id].append((start, e.until_s or END_OF_DAY_S))
        elif e.kind == "worker_late":
            number = next((n for n, s in enumerate(worker.shifts, 1) if s.end_s > start), 0)
            if number:
                sh = shifts.get((worker.worker_id, number))
                leave = sh.leave_s if sh and sh.stops else worker.shifts[number - 1].start_s
                late[(worker.worker_id, number)] = leave + e.extra_s
    return absences, late


def check_replan(day: Day, base: Rota, events: Sequence[Event], rota: Rota,
                 travel: DayTravel) -> list[Violation]:
    """Verify a re-planned rota against the rota it changed and the events it was given.

    Re-derives the kept past on its own: a visit the base rota started before the
    re-plan time with no event against it (cancelled, or a worker absent or late for
    it). Checks that the run record names this base rota and these events; the kept
    visits are untouched (same workers, shifts and starts, ending as booked plus any
    overrun) and lead their shifts in the old order; no other visit starts before the
    re-plan time; nothing is lost (every visit of the base rota and every added one has
    an outcome); cancelled visits are cancelled; no worker visits anyone while absent;
    a late worker leaves home no earlier than the rota's time plus the lateness; and a
    shift with nothing kept does not leave home before the worker could have (the
    re-plan time, or when the rota had them leave). Run :func:`check_rota` as well for
    every rule of the inputs (travel, windows, breaks, double-ups, no one in two places).
    """
    if not isinstance(rota.run.get("replan"), dict) or "at_s" not in rota.run["replan"]:
        return [Violation("replan", "run", "the rota records no re-plan (run.replan); check it "
                                           "with check_rota alone")]
    out = _replan_record(base, events, rota)
    at_s = int(rota.run["replan"]["at_s"])
    absences, late = _off(day, base, events, at_s)
    cancelled = {e.visit_id for e in events if e.kind == "visit_cancelled"}
    extra = {e.visit_id: e.extra_s for e in events if e.kind == "visit_overrun"}
    parts: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)
    for sh in base.shifts:
        for st in sh.stops:
            parts[st.visit_id].append((sh.worker_id, sh.shift, st.start_s, st.end_s))
    kept = {v for v, ps in parts.items() if v not in cancelled and all(
        s < at_s and (w, n) not in late and not any(lo <= s < hi for lo, hi in absences[w])
        for w, n, s, e in ps)}
    now: dict[str, list[tuple[str, int, int, int]]] = defaultdict(list)
    base_by = {(sh.worker_id, sh.shift): sh for sh in base.shifts}
    for sh in rota.shifts:
        subject = f"worker {sh.worker_id} shift {sh.shift}"
        for st in sh.stops:
            now[st.visit_id].append((sh.worker_id, sh.shift, st.start_s, st.end_s))
            if st.visit_id not in kept and st.start_s < at_s:
                out.append(Violation("past", f"{subject}, visit {st.visit_id}",
                                     f"starts {_hm(st.start_s)}, before the re-plan at {_hm(at_s)}"))
            if st.visit_id not in kept and any(st.start_s < hi and lo < st.end_s
                                               for lo, hi in absences[sh.worker_id]):
                out.append(Violation("unavailable", f"{subject}, visit {st.visit_id}",
                                     "the worker is unavailable then"))
        old = base_by.get((sh.worker_id, sh.shift))
        head = [st.visit_id for st in sh.stops if st.visit_id in kept]
        if head != [st.visit_id for st in (old.stops if old else ()) if st.visit_id in kept] or \
                head != [st.visit_id for st in sh.stops[:len(head)]]:
            out.append(Violation("fixed_changed", subject, "the kept visits are not the first "
                                                           "ones of the shift in the old order"))
        if sh.stops and not head:
            free = late.get((sh.worker_id, sh.shift),
                            min(at_s, old.leave_s) if old and old.stops else at_s)
            if sh.leave_s < free:
                out.append(Violation("continuation", subject, f"leaves home {_hm(sh.leave_s)}, "
                                                              f"but could not before {_hm(free)}"))
    for visit_id in sorted(kept):
        want = sorted((w, n, s, e + extra.get(visit_id, 0)) for w, n, s, e in parts[visit_id])
        if sorted(now.get(visit_id, [])) != want:
            out.append(Violation("fixed_changed", f"visit {visit_id}", "started before the "
                                                                       "re-plan but was changed"))
    outcomes = {o.visit_id: o for o in rota.outcomes}
    added = rota.run["replan"].get("added_visits") or []
    for visit_id in [o.visit_id for o in base.outcomes] + list(added):
        if visit_id not in outcomes:
            out.append(Violation("lost", f"visit {visit_id}", "in the base rota or added, but "
                                                              "not in the re-planned rota"))
    for visit_id in sorted(v for v in cancelled if v):
        if visit_id in outcomes and outcomes[visit_id].status != "cancelled":
            out.append(Violation("cancelled", f"visit {visit_id}", "cancelled by an event but "
                                                                   f"{outcomes[visit_id].status}"))
    return out
