"""Consistent multi-day routing by template search: the week engine's idea on ConVRP data.

The care week keeps each client with the same carers: a template (who serves whom) that
every day's rounds follow, improved while the days are re-planned. On the consistent VRP
(Groër et al. 2009; heterogeneous fleet: Stavropoulou 2022) the same idea is exact about
driver consistency: the search state *is* the template, an assignment of every customer
to one driver, and each driver's route on a day visits the driver's customers who need
service that day, so every frequent customer has one driver on all their days by
construction. The search is large-neighbourhood: remove customers from the template
(random, related by distance, a whole driver, or the costliest), re-insert each at the
driver whose routes over all the customer's days grow least (cheapest position on each
day, within capacity and route duration), polish the changed day routes with 2-opt and
relocation, and accept by simulated annealing. Times of arrival are not bounded (the
literature's limit L is not in the data files); they are reported.

Nothing here is used by the package: it is the benchmark's solver, kept beside the
script that scores it.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

import numpy as np

INF = float("inf")
#: Search penalties: a customer left out, and an empty route of a fleet that must run daily.
MISSING, EMPTY_ROUTE = 1e6, 1e5
#: Drivers considered for a customer: those of its nearest customers (beyond small fleets).
NEIGHBOURS = 25
SMALL_FLEET = 6


@dataclass(frozen=True)
class Driver:
    """A vehicle kind: capacity, cost per day used, cost per distance unit, speed."""

    capacity: float
    fixed_cost: float = 0.0
    var_cost: float = 1.0
    speed: float = 1.0


@dataclass(frozen=True)
class ConsistentInstance:
    """A multi-day instance: node 0 is the depot, customers 1..n.

    ``need[i, t]`` says customer ``i`` is served on day ``t``; ``demand`` and ``service``
    are per day. ``fleet`` is a fixed fleet (one :class:`Driver` per vehicle) or empty
    for as many vehicles of ``unlimited`` as wanted; ``every_day`` asks every vehicle of a
    fixed fleet to run a route each day.
    """

    name: str
    xy: np.ndarray
    demand: np.ndarray
    service: np.ndarray
    need: np.ndarray
    max_duration: float = INF
    fleet: tuple[Driver, ...] = ()
    unlimited: Driver | None = None
    every_day: bool = False
    dist: np.ndarray = field(init=False, repr=False)
    near: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        d = np.hypot(self.xy[:, None, 0] - self.xy[None, :, 0],
                     self.xy[:, None, 1] - self.xy[None, :, 1])
        object.__setattr__(self, "dist", d)
        # each customer's nearest other customers (the depot excluded)
        order = np.argsort(d[:, 1:], axis=1)[:, :NEIGHBOURS + 1] + 1
        object.__setattr__(self, "near", order)

    @property
    def customers(self) -> range:
        return range(1, len(self.xy))

    @property
    def days(self) -> int:
        return self.need.shape[1]


class _State:
    """A template (customer -> driver) and each driver's route on each day."""

    def __init__(self, inst: ConsistentInstance, drivers: list[Driver]) -> None:
        self.inst = inst
        self.drivers = list(drivers)
        self.days_of = [np.flatnonzero(inst.need[i]).tolist() for i in range(len(inst.xy))]
        self.routes: list[list[list[int]]] = [[[] for _ in range(inst.days)] for _ in drivers]
        self.length = [[0.0] * inst.days for _ in drivers]
        self.load = [[0.0] * inst.days for _ in drivers]
        self.busy = [[0.0] * inst.days for _ in drivers]  # service time on the route
        self.assign = [-1] * len(inst.xy)

    def copy(self) -> _State:
        other = _State.__new__(_State)
        other.inst, other.drivers, other.days_of = self.inst, list(self.drivers), self.days_of
        other.routes = [[list(r) for r in days] for days in self.routes]
        other.length = [list(x) for x in self.length]
        other.load = [list(x) for x in self.load]
        other.busy = [list(x) for x in self.busy]
        other.assign = list(self.assign)
        return other

    # -- cost -----------------------------------------------------------------------------

    def route_len(self, route: list[int]) -> float:
        if not route:
            return 0.0
        d = self.inst.dist
        nodes = [0, *route, 0]
        return float(sum(d[a, b] for a, b in zip(nodes, nodes[1:])))

    def cost(self) -> float:
        """Distance cost plus fixed cost of every route run (per vehicle and day)."""
        total = 0.0
        for k, drv in enumerate(self.drivers):
            for t in range(self.inst.days):
                if self.routes[k][t]:
                    total += drv.var_cost * self.length[k][t] + drv.fixed_cost
        return total

    def penalty(self) -> float:
        """Unserved customers and (fixed fleets that must run daily) empty routes."""
        missing = sum(1 for i in self.inst.customers if self.assign[i] < 0)
        empty = 0
        if self.inst.every_day:
            empty = sum(1 for k in range(len(self.drivers)) for t in range(self.inst.days)
                        if not self.routes[k][t])
        return MISSING * missing + EMPTY_ROUTE * empty

    # -- moves ----------------------------------------------------------------------------

    def remove(self, i: int) -> None:
        k = self.assign[i]
        if k < 0:
            return
        inst = self.inst
        for t in self.days_of[i]:
            route = self.routes[k][t]
            route.remove(i)
            self.length[k][t] = self.route_len(route)
            self.load[k][t] -= inst.demand[i, t]
            self.busy[k][t] -= inst.service[i, t]
        self.assign[i] = -1

    def insertion(self, i: int, k: int) -> tuple[float, list[int]] | None:
        """Cost and position on each day of adding customer ``i`` to driver ``k``."""
        inst, drv, d = self.inst, self.drivers[k], self.inst.dist
        total, where = 0.0, []
        for t in self.days_of[i]:
            if self.load[k][t] + inst.demand[i, t] > drv.capacity + 1e-9:
                return None
            route = self.routes[k][t]
            if route:
                nodes = np.array([0, *route, 0])
                deltas = d[nodes[:-1], i] + d[i, nodes[1:]] - d[nodes[:-1], nodes[1:]]
                pos = int(np.argmin(deltas))
                delta = float(deltas[pos])
            else:
                pos, delta = 0, 2 * float(d[0, i])
            time_needed = ((self.length[k][t] + delta) / drv.speed + self.busy[k][t]
                           + inst.service[i, t])
            if time_needed > inst.max_duration + 1e-9:
                return None
            if route:
                total += drv.var_cost * delta
            elif inst.every_day:  # filling an empty route of a fleet that must run daily
                total += drv.var_cost * delta - EMPTY_ROUTE
            else:
                total += drv.var_cost * delta + drv.fixed_cost
            where.append(pos)
        return total, where

    def insert(self, i: int, k: int, where: list[int]) -> None:
        inst = self.inst
        for t, pos in zip(self.days_of[i], where):
            route = self.routes[k][t]
            route.insert(pos, i)
            self.length[k][t] = self.route_len(route)
            self.load[k][t] += inst.demand[i, t]
            self.busy[k][t] += inst.service[i, t]
        self.assign[i] = k

    def improve_route(self, k: int, t: int) -> None:
        """2-opt and single relocation on one day route until no move gains."""
        route = self.routes[k][t]
        if len(route) < 3:
            return
        d = self.inst.dist
        improved = True
        while improved:
            improved = False
            nodes = np.array([0, *route, 0])
            n = len(nodes)
            a, b = nodes[:-1], nodes[1:]
            # 2-opt: reverse nodes[i+1..j]
            ab = d[a, b]
            gain = d[a[:, None], a[None, :]] + d[b[:, None], b[None, :]] - ab[:, None] - ab[None, :]
            gain = np.triu(gain, 2)
            best = np.unravel_index(np.argmin(gain), gain.shape)
            if gain[best] < -1e-9:
                i, j = int(best[0]), int(best[1])
                seq = list(nodes)
                seq[i + 1:j + 1] = reversed(seq[i + 1:j + 1])
                route[:] = seq[1:-1]
                improved = True
                continue
            # relocate one customer to its best other position
            for p in range(1, n - 1):
                c = nodes[p]
                rest = np.concatenate([nodes[:p], nodes[p + 1:]])
                save = d[nodes[p - 1], c] + d[c, nodes[p + 1]] - d[nodes[p - 1], nodes[p + 1]]
                add = d[rest[:-1], c] + d[c, rest[1:]] - d[rest[:-1], rest[1:]]
                q = int(np.argmin(add))
                if add[q] < save - 1e-9:
                    seq = list(rest)
                    seq.insert(q + 1, int(c))
                    route[:] = seq[1:-1]
                    improved = True
                    break
        self.length[k][t] = self.route_len(route)

    def prune(self) -> None:
        """Drop drivers with no customers (unlimited fleets only)."""
        if self.inst.fleet:
            return
        keep = [k for k in range(len(self.drivers)) if any(self.routes[k])]
        index = {k: n for n, k in enumerate(keep)}
        self.drivers = [self.drivers[k] for k in keep]
        self.routes = [self.routes[k] for k in keep]
        self.length = [self.length[k] for k in keep]
        self.load = [self.load[k] for k in keep]
        self.busy = [self.busy[k] for k in keep]
        self.assign = [index.get(k, -1) if k >= 0 else -1 for k in self.assign]


@dataclass(frozen=True)
class ConsistentResult:
    """Routes per driver and day, their cost, and what the search did."""

    routes: tuple[tuple[tuple[int, ...], ...], ...]
    drivers: tuple[Driver, ...]
    cost: float
    feasible: bool
    iterations: int
    wall_s: float


def _repair(state: _State, removed: list[int], rng: random.Random, noise: float) -> None:
    inst = state.inst
    # customers needed on many days first: they are the hardest to fit
    removed.sort(key=lambda i: (-len(state.days_of[i]), rng.random()))
    for i in removed:
        best: tuple[float, int, list[int]] | None = None
        candidates: set[int] | range = range(len(state.drivers))
        if len(state.drivers) > SMALL_FLEET:
            candidates = {state.assign[int(j)] for j in inst.near[i] if state.assign[int(j)] >= 0}
            candidates |= {rng.randrange(len(state.drivers)) for _ in range(2)}
        for k in sorted(candidates):
            found = state.insertion(i, k)
            if found is None:
                continue
            value = found[0] * (1 + noise * (rng.random() - 0.5))
            if best is None or value < best[0]:
                best = (value, k, found[1])
        if not inst.fleet and inst.unlimited is not None:
            fresh = sum(2 * float(inst.dist[0, i]) for _ in state.days_of[i]) * \
                inst.unlimited.var_cost
            if best is None or fresh < best[0]:
                state.drivers.append(inst.unlimited)
                for rows in (state.length, state.load, state.busy):
                    rows.append([0.0] * inst.days)
                state.routes.append([[] for _ in range(inst.days)])
                k = len(state.drivers) - 1
                found = state.insertion(i, k)
                if found is not None:
                    best = (fresh, k, found[1])
        if best is not None:
            state.insert(i, best[1], best[2])


def _destroy(state: _State, rng: random.Random, size: int) -> list[int]:
    inst = state.inst
    placed = [i for i in inst.customers if state.assign[i] >= 0]
    missing = [i for i in inst.customers if state.assign[i] < 0]
    kind = rng.random()
    if kind < 0.4:  # related: a customer and its nearest neighbours
        seed = rng.choice(placed)
        order = np.argsort(inst.dist[seed])
        chosen = [int(i) for i in order if i != 0 and state.assign[int(i)] >= 0][:size]
    elif kind < 0.55 and len(state.drivers) > 1:  # a whole driver
        k = rng.randrange(len(state.drivers))
        chosen = [i for i in placed if state.assign[i] == k]
    elif kind < 0.75:  # the costliest customers to keep where they are
        d = inst.dist
        savings = []
        for i in placed:
            k, gain = state.assign[i], 0.0
            for t in state.days_of[i]:
                route = state.routes[k][t]
                p = route.index(i)
                a = route[p - 1] if p else 0
                b = route[p + 1] if p + 1 < len(route) else 0
                gain += d[a, i] + d[i, b] - d[a, b]
            savings.append((gain * (0.7 + 0.6 * rng.random()), i))
        chosen = [i for _, i in sorted(savings, reverse=True)[:size]]
    else:
        chosen = rng.sample(placed, min(size, len(placed)))
    for i in chosen:
        state.remove(i)
    return chosen + missing


def solve_consistent(inst: ConsistentInstance, *, time_limit_s: float = 10.0, seed: int = 0,
                     initial_drivers: int = 0, temperature: float = 0.3,
                     cycles: int = 3) -> ConsistentResult:
    """Search for a cheap driver-consistent plan within the time limit.

    Parameters
    ----------
    inst : ConsistentInstance
    time_limit_s : float
        Wall-clock bound of the search.
    seed : int
        Seed of every random choice.
    initial_drivers : int
        Unlimited fleets: vehicles opened before the first insertion (0: as needed).
    temperature : float
        Starting temperature of the annealing as a share of the first cost per customer.
    cycles : int
        Annealing cycles, each cooling from ``temperature`` and starting from the best.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    drivers = list(inst.fleet) if inst.fleet else [inst.unlimited] * initial_drivers  # type: ignore
    state = _State(inst, drivers)
    _repair(state, list(inst.customers), rng, 0.0)
    for k in range(len(state.drivers)):
        for t in range(inst.days):
            state.improve_route(k, t)
    state.prune()
    current, cur_val = state, state.cost() + state.penalty()
    best, best_val = state.copy(), cur_val
    n = len(inst.xy) - 1
    temp0 = temperature * cur_val / max(1, n)
    iterations = 0
    deadline = started + time_limit_s
    cycle_s = time_limit_s / max(1, cycles)
    cycle_start, cycle = started, 0
    while time.perf_counter() < deadline:
        iterations += 1
        now = time.perf_counter()
        if now - cycle_start > cycle_s and cycle + 1 < cycles:
            # another annealing cycle, from the best found so far
            cycle, cycle_start = cycle + 1, now
            current, cur_val = best.copy(), best_val
        trial = current.copy()
        size = rng.randint(max(2, n // 25), max(3, min(40, n // 4)))
        before = list(trial.assign)
        removed = _destroy(trial, rng, size)
        _repair(trial, removed, rng, 0.2 if rng.random() < 0.5 else 0.0)
        touched = {(k, t) for i in removed for k in (before[i], trial.assign[i]) if k >= 0
                   for t in trial.days_of[i]}
        for k, t in touched:
            if k < len(trial.drivers):
                trial.improve_route(k, t)
        trial.prune()
        value = trial.cost() + trial.penalty()
        progress = (now - cycle_start) / cycle_s
        temp = temp0 * max(1e-3, 1 - progress)
        if value < cur_val - 1e-9 or rng.random() < math.exp(-(value - cur_val) / temp):
            current, cur_val = trial, value
            if value < best_val - 1e-9:
                best, best_val = trial.copy(), value
    routes = tuple(tuple(tuple(r) for r in days) for days in best.routes)
    return ConsistentResult(routes=routes, drivers=tuple(best.drivers), cost=best.cost(),
                            feasible=best.penalty() == 0, iterations=iterations,
                            wall_s=time.perf_counter() - started)
