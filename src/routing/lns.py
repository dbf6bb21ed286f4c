"""Ruin and recreate over a whole rota, with the pair-aware inserter as the recreate step.

OR-Tools' local search on a day with breaks and split shifts is slow (a move can take a
second to evaluate, and its first pass over 400 jobs about 28 s), so at the size of one
area's day it gets one or two rounds. This loop is the other way round: each iteration
takes a few jobs out (ruin) and puts them back by cheapest insertion (recreate) in
milliseconds, under the inserter's rules, which are stricter than the solver's (see
:class:`.insertion.Inserter`), so every state it visits is feasible.

The ruin is adjacent string removal (after Christiaens and Vanden Berghe's SISR, 2020):
a seed job is drawn, and from the routes serving its nearest jobs a short string of
consecutive stops around each of those jobs is removed, a few routes each time, with
the partner of any removed double-up job. The recreate inserts what was removed and any
unserved job near the seed, in the inserter's order (drop penalty first, then window,
jittered per iteration). A result is kept when it costs no more than the current rota
(drop penalties, travel, waiting, lateness, continuity: the inserter's costs), so the
search walks across plateaus but never gives a visit up for travel.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from . import interrupt
from .insertion import Inserter, solution_from
from .problem import Problem, Solution

__all__ = ["LnsStats", "ruin_and_recreate"]

#: Nearest jobs considered around a ruin's seed.
NEAREST = 60
#: Jobs removed by one ruin: drawn between these, inclusive.
RUIN_MIN, RUIN_MAX = 4, 20
#: Longest string of consecutive stops removed from one route.
STRING_MAX = 5


@dataclass(frozen=True)
class LnsStats:
    """What one :func:`ruin_and_recreate` run did (for logs and benchmarks)."""

    iterations: int
    accepted: int
    cost_before: int
    cost_after: int


def ruin_and_recreate(problem: Problem, solution: Solution, *, deadline: float,
                      seed: int = 0, max_iterations: int | None = None
                      ) -> tuple[Solution, LnsStats]:
    """Improve a feasible solution by ruin and recreate until ``deadline``.

    Parameters
    ----------
    problem : Problem
    solution : Solution
        Feasible routes of ``problem`` (e.g. a sub-solve's or the decomposed engine's).
    deadline : float
        ``time.perf_counter()`` time to stop by.
    seed : int, default 0
        Seeds the ruins and the recreate order: the same seed and iteration limit give
        the same result.
    max_iterations : int, optional
        Stop after this many ruins (for repeatable runs and tests).

    Returns
    -------
    (Solution, LnsStats)
        The improved solution (never more drop penalty; routes the loop did not change
        keep their times exactly; every unserved job explained), and counts. The caller
        verifies it (:func:`.verify.verify_solution`) before use.
    """
    ins = Inserter(problem, float("inf"))
    ins.load_solution(solution)
    loop = _Loop(problem, ins, random.Random(seed))
    before = loop.cost()
    iterations = accepted = 0
    # a SIGINT/SIGTERM asks the whole run to stop: the loop ends with what it has
    while (time.perf_counter() < deadline and not interrupt.stop_requested()
           and (max_iterations is None or iterations < max_iterations)):
        iterations += 1
        accepted += loop.step()
    if not accepted:
        return solution, LnsStats(iterations, 0, before, before)
    found = solution_from(problem, solution, ins)
    return found, LnsStats(iterations, accepted, before, loop.current)


class _Loop:
    """The ruin-and-recreate state: the inserter, neighbours and the current cost."""

    def __init__(self, problem: Problem, ins: Inserter, rng: random.Random) -> None:
        self.p, self.ins, self.rng = problem, ins, rng
        self.penalty = [job.drop_penalty or 0 for job in problem.jobs]
        self.partner: dict[int, int] = {}
        degree: dict[int, int] = {}
        for link in problem.links:
            self.partner[link.first], self.partner[link.second] = link.second, link.first
            for j in (link.first, link.second):
                degree[j] = degree.get(j, 0) + 1
        # jobs in chains of several links are left where they are (the inserter's units
        # are single jobs and simple pairs)
        self.fixed = {j for j, d in degree.items() if d > 1}
        self.fixed |= {self.partner[j] for j in list(self.fixed)}
        self.near = _nearest(problem)
        self.where = self.served()
        self.current = self.cost()

    def served(self) -> dict[int, int]:
        """Where each served job is (job -> vehicle), from the inserter's routes."""
        return {j: v for v, seq in enumerate(self.ins.seqs) for j in seq if j >= 0}

    def cost(self) -> int:
        """The inserter's cost of the routes plus the drop penalties of unserved jobs."""
        served = self.served()
        return (sum(s.cost for s in self.ins.scheds)
                + sum(p for j, p in enumerate(self.penalty) if j not in served))

    def _draw(self) -> int | None:
        """A served job on a route that may change, uniformly at random (None: no such job)."""
        ins, where, rng, n = self.ins, self.where, self.rng, len(self.penalty)
        # rejection sampling: nearly every job is served and movable, and this spares a
        # list of them at every step (same distribution as drawing from that list)
        for _ in range(64):
            j = rng.randrange(n)
            v = where.get(j)
            if v is not None and v not in ins.frozen and j not in self.fixed:
                return j
        movable = [j for j, v in where.items() if v not in ins.frozen and j not in self.fixed]
        return movable[rng.randrange(len(movable))] if movable else None

    def step(self) -> bool:
        """One ruin and recreate; True when it is kept.

        Only the routes the step changed are re-read (the inserter gives a changed
        route a new list), so a step costs what its moves cost, not the size of the day.
        """
        ins, rng, where = self.ins, self.rng, self.where
        centre = self._draw()
        if centre is None:
            return False
        removed = self._ruin(centre, rng.randint(RUIN_MIN, RUIN_MAX))
        unserved = [int(j) for j in self.near[centre]
                    if int(j) not in where and int(j) not in self.fixed]
        seqs, scheds = list(ins.seqs), list(ins.scheds)
        saved = (dict(ins.pinned), set(ins.frozen))
        ins.remove(removed, vehicles=[where[j] for j in removed if j in where])
        ins.jitter = random.Random(rng.random())
        ins.insert_all(removed + unserved)
        touched = [v for v, seq in enumerate(ins.seqs) if seq is not seqs[v]]
        delta = sum(ins.scheds[v].cost - scheds[v].cost for v in touched)
        before = {j for v in touched for j in seqs[v] if j >= 0}
        after = {j for v in touched for j in ins.seqs[v] if j >= 0}
        delta += sum(self.penalty[j] for j in before - after)
        delta -= sum(self.penalty[j] for j in after - before)
        if delta <= 0:
            self.current += delta
            for j in before - after:
                del where[j]
            for v in touched:
                for j in ins.seqs[v]:
                    if j >= 0:
                        where[j] = v
            return True
        ins.seqs, ins.scheds = seqs, scheds
        ins.pinned, ins.frozen = saved
        return False

    def _ruin(self, centre: int, size: int) -> list[int]:
        """Strings of stops around the jobs nearest ``centre``, one per route, ``size`` jobs."""
        ins, rng, served = self.ins, self.rng, self.where
        removed: list[int] = []
        touched: set[int] = set()
        for n in self.near[centre]:
            if len(removed) >= size:
                break
            j = int(n)
            v = served.get(j)
            if v is None or v in ins.frozen or v in touched or j in self.fixed:
                continue
            touched.add(v)
            seq = [x for x in ins.seqs[v] if x >= 0]
            length = rng.randint(1, min(len(seq), STRING_MAX))
            at = seq.index(j)
            first = max(0, min(at - rng.randint(0, length - 1), len(seq) - length))
            for x in seq[first:first + length]:
                if x in self.fixed:
                    continue
                removed.append(x)
                if x in self.partner:
                    removed.append(self.partner[x])
        removed = list(dict.fromkeys(removed))
        # a partner served on a frozen route cannot be moved: keep that pair in place
        keep = {x for x in removed if served.get(x) in ins.frozen}
        keep |= {self.partner[x] for x in keep if x in self.partner}
        return [x for x in removed if x not in keep]


def _nearest(problem: Problem) -> np.ndarray:
    """For each job, the :data:`NEAREST` jobs nearest it (either direction), itself first."""
    n = len(problem.jobs)
    if not n:
        return np.zeros((0, 0), dtype=np.int64)
    some = next(iter(problem.duration_s.values()))
    loc = np.array([job.location for job in problem.jobs], dtype=np.int64)
    both = some[np.ix_(loc, loc)].astype(np.int64)
    both = both + both.T
    np.fill_diagonal(both, -1)
    k = min(NEAREST, n)
    part = np.argpartition(both, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(both, part, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
