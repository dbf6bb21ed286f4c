"""Readers and independent checkers for the Solomon VRPTW and Mankowska HHCRSP benchmark files."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carerounds.errors import InputError
from carerounds.routing.problem import Job, Link, Problem, Solution, Vehicle, Weights

#: Slack allowed when comparing double-precision times and gaps (instance units).
TOLERANCE = 1e-6

_PROFILE = "drive"


def _readonly_float(values) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


def _euclidean(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def _scaled_matrices(dist: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer (distance, travel time) matrices from a float distance matrix.

    Distances are rounded (the objective stays unbiased); travel times are rounded
    *up* so that every schedule feasible in integers is feasible in exact arithmetic.
    The 1e-9 keeps ``ceil`` from bumping products like 34.0 * 100 = 3400.0000000000005.
    """
    scaled = dist * scale
    distance = np.rint(scaled).astype(np.int64)
    duration = np.ceil(scaled - 1e-9).astype(np.int64)
    return distance, np.maximum(duration, 0)


def _to_int(value: float, scale: int) -> int:
    return int(round(value * scale))


# --------------------------------------------------------------------------- Solomon

_SOLOMON_COLUMNS = ("CUST NO.", "XCOORD.", "YCOORD.", "DEMAND", "READY TIME", "DUE DATE",
                    "SERVICE TIME")


@dataclass(frozen=True)
class SolomonInstance:
    """A Solomon or Gehring & Homberger VRPTW instance, as a problem and as raw data.

    Node 0 is the depot, nodes 1..n the customers; job ``k`` of :attr:`problem`
    is customer ``k + 1`` (its ``location`` is the node number, its ``id`` the
    customer number as text).

    Parameters
    ----------
    name : str
        Instance name from the file's first line (e.g. ``"C101"``).
    problem : Problem
        The instance in integer units of ``1 / scale``: distance matrix =
        Euclidean distance x scale rounded, travel-time matrix = the same rounded
        up, windows and service times x scale; ``n_vehicles`` vehicles of
        capacity ``capacity`` from the depot within its window; every job
        mandatory; objective = distance only (``Weights(travel_s=0, distance_m=1)``).
    scale : int
        Integer units per instance unit. Default 1000 in :func:`parse_solomon`.
    n_vehicles, capacity : int
        Fleet size K and vehicle capacity Q from the ``VEHICLE`` block.
    x, y, ready, due, service : ndarray of float
        Raw per-node columns, read-only; ``due[0]`` is the latest return to the depot.
    demand : ndarray of int
        Per-node demand, read-only (``demand[0] == 0``).
    """

    name: str
    problem: Problem
    scale: int
    n_vehicles: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def n_customers(self) -> int:
        """Number of customers (nodes other than the depot)."""
        return len(self.x) - 1

    @property
    def distance(self) -> np.ndarray:
        """Double-precision Euclidean distance between nodes (read-only, computed on use)."""
        return _readonly_float(_euclidean(self.x, self.y))

    def routes_of(self, solution: Solution) -> list[list[int]]:
        """Customer numbers of each used route of a solution of :attr:`problem`, in visit order."""
        return [[self.problem.jobs[stop.job].location for stop in route.stops]
                for route in solution.routes if route.stops]


@dataclass(frozen=True)
class SolomonCheck:
    """Outcome of :func:`check_solomon`.

    Parameters
    ----------
    distance : float
        Total double-precision Euclidean distance of the routes, depot legs included.
    vehicles : int
        Number of non-empty routes.
    violations : tuple of str
        One sentence per broken rule; empty when the solution is feasible.
    """

    distance: float
    vehicles: int
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """True when no rule is broken."""
        return not self.violations


def parse_solomon(text: str, *, scale: int = 1000, source: str = "<text>") -> SolomonInstance:
    """Read Solomon / Gehring & Homberger VRPTW text into a :class:`SolomonInstance`.

    Parameters
    ----------
    text : str
        The file's content (CRLF or LF line ends).
    scale : int, keyword-only
        Integer units per instance unit of distance and time. Default 1000.
    source : str, keyword-only
        File name used in error messages. Default ``"<text>"``.

    Raises
    ------
    InputError
        A missing ``VEHICLE``/``CUSTOMER`` block, a row without 7 numbers, a
        customer numbered out of sequence, an empty window or a demand above the
        vehicle capacity; the message names the file, line and column.
    """
    if scale < 1:
        raise InputError(f"scale must be a positive integer, got {scale}", file=source,
                         field="scale")
    lines = text.splitlines()
    name = next((line.strip() for line in lines if line.strip()), "")
    if not name:
        raise InputError("file is empty; expected a Solomon VRPTW instance", file=source)

    def find(keyword: str) -> int:
        for number, line in enumerate(lines, start=1):
            if line.strip().upper() == keyword:
                return number
        raise InputError(f"no {keyword} line; is this a Solomon/Homberger VRPTW file?",
                         file=source, field=keyword)

    vehicle_row = find("VEHICLE")
    customer_row = find("CUSTOMER")
    fleet = None
    for number in range(vehicle_row + 1, customer_row):
        tokens = lines[number - 1].split()
        if not tokens or tokens[0].upper() == "NUMBER":
            continue
        if len(tokens) != 2 or not all(t.isdigit() for t in tokens):
            raise InputError(f"expected two integers NUMBER CAPACITY, got {' '.join(tokens)!r}",
                             file=source, row=number, field="VEHICLE")
        fleet = (int(tokens[0]), int(tokens[1]))
        break
    if fleet is None:
        raise InputError("VEHICLE block has no NUMBER CAPACITY values", file=source,
                         row=vehicle_row, field="VEHICLE")
    n_vehicles, capacity = fleet
    if n_vehicles < 1:
        raise InputError("vehicle NUMBER must be at least 1", file=source, field="NUMBER")

    rows: list[list[float]] = []
    for number in range(customer_row + 1, len(lines) + 1):
        tokens = lines[number - 1].split()
        if not tokens or tokens[0].upper().startswith("CUST"):
            continue
        if len(tokens) != len(_SOLOMON_COLUMNS):
            raise InputError(f"expected {len(_SOLOMON_COLUMNS)} numbers "
                             f"({', '.join(_SOLOMON_COLUMNS)}), found {len(tokens)}",
                             file=source, row=number, field="CUSTOMER")
        values = []
        for column, token in zip(_SOLOMON_COLUMNS, tokens):
            try:
                value = float(token)
            except ValueError:
                raise InputError(f"not a number: {token!r}", file=source, row=number,
                                 field=column) from None
            if not math.isfinite(value) or value < 0:
                raise InputError(f"must be a finite non-negative number, got {token!r}",
                                 file=source, row=number, field=column)
            values.append(value)
        cust = len(rows)
        if values[0] != cust:
            raise InputError(f"customers must be numbered 0, 1, 2, ... in order (0 = depot); "
                             f"expected {cust}, got {tokens[0]}", file=source, row=number,
                             field="CUST NO.")
        if values[4] > values[5]:
            raise InputError(f"READY TIME {tokens[4]} is after DUE DATE {tokens[5]}",
                             file=source, row=number, field="DUE DATE", id=tokens[0])
        if not values[3].is_integer():
            raise InputError(f"demand must be a whole number, got {tokens[3]}", file=source,
                             row=number, field="DEMAND", id=tokens[0])
        if values[3] > capacity:
            raise InputError(f"demand {tokens[3]} exceeds the vehicle capacity {capacity}",
                             file=source, row=number, field="DEMAND", id=tokens[0])
        rows.append(values)
    if len(rows) < 2:
        raise InputError("need the depot (0) and at least one customer under CUSTOMER",
                         file=source, row=customer_row, field="CUSTOMER")

    data = np.array(rows, dtype=np.float64)
    x, y, demand, ready, due, service = (data[:, k] for k in range(1, 7))
    distance_m, duration_s = _scaled_matrices(_euclidean(x, y), scale)
    jobs = tuple(
        Job(id=str(c), location=c, service_s=_to_int(service[c], scale),
            tw_start_s=_to_int(ready[c], scale), tw_end_s=_to_int(due[c], scale),
            demand=int(demand[c]), drop_penalty=None)
        for c in range(1, len(rows)))
    vehicles = tuple(
        Vehicle(id=f"v{k + 1}", resource=f"v{k + 1}", start_location=0, end_location=0,
                shift_start_s=_to_int(ready[0], scale), shift_end_s=_to_int(due[0], scale),
                profile=_PROFILE, capacity=capacity)
        for k in range(n_vehicles))
    problem = Problem(jobs=jobs, vehicles=vehicles, duration_s={_PROFILE: duration_s},
                      distance_m={_PROFILE: distance_m},
                      weights=Weights(travel_s=0, distance_m=1))
    demand_int = np.array(demand, dtype=np.int64)
    demand_int.setflags(write=False)
    return SolomonInstance(name=name, problem=problem, scale=scale, n_vehicles=n_vehicles,
                           capacity=capacity, x=_readonly_float(x), y=_readonly_float(y),
                           demand=demand_int, ready=_readonly_float(ready),
                           due=_readonly_float(due), service=_readonly_float(service))


def read_solomon(path: str | Path, *, scale: int = 1000) -> SolomonInstance:
    """Read a Solomon / Gehring & Homberger file; see :func:`parse_solomon`.

    Parameters
    ----------
    path : str or Path
    scale : int, keyword-only
        Integer units per instance unit. Default 1000.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise InputError("file not found", file=path.name) from None
    return parse_solomon(text, scale=scale, source=path.name)


def _list_some(items: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def check_solomon(instance: SolomonInstance, routes: Sequence[Sequence[int]]) -> SolomonCheck:
    """Check VRPTW routes against the raw data in double precision, independently of any solver.

    Each route leaves the depot at its ready time, serves its customers in order
    (waiting for a window to open when early) and returns. Rules: every customer
    exactly once, at most K non-empty routes, load within Q, service starting no
    later than the customer's due date and return to the depot no later than its
    due date (both within :data:`TOLERANCE`).

    Parameters
    ----------
    instance : SolomonInstance
    routes : sequence of sequences of int
        Customer numbers (1..n) of each route in visit order; empty routes are ignored.

    Returns
    -------
    SolomonCheck
        Total distance, vehicles used and the violations, each naming route and customer.
    """
    dist = instance.distance
    n = instance.n_customers
    violations: list[str] = []
    seen = np.zeros(n + 1, dtype=np.int64)
    total = 0.0
    used = [list(r) for r in routes if len(r)]
    if len(used) > instance.n_vehicles:
        violations.append(f"{len(used)} routes used but the fleet has "
                          f"{instance.n_vehicles} vehicles")
    for number, route in enumerate(used, start=1):
        bad = [c for c in route if not (isinstance(c, (int, np.integer)) and 1 <= c <= n)]
        if bad:
            violations.append(f"route {number}: unknown customers {_list_some(bad)} "
                              f"(customers are 1..{n})")
            continue
        load = int(instance.demand[route].sum())
        if load > instance.capacity:
            violations.append(f"route {number}: load {load} exceeds capacity {instance.capacity}")
        time = float(instance.ready[0])
        previous = 0
        for customer in route:
            seen[customer] += 1
            total += dist[previous, customer]
            start = max(time + dist[previous, customer], instance.ready[customer])
            if start > instance.due[customer] + TOLERANCE:
                violations.append(f"route {number}: customer {customer} starts at {start:.4f}, "
                                  f"after its due date {instance.due[customer]:g} "
                                  f"by {start - instance.due[customer]:.4f}")
            time = start + instance.service[customer]
            previous = customer
        total += dist[previous, 0]
        back = time + dist[previous, 0]
        if back > instance.due[0] + TOLERANCE:
            violations.append(f"route {number}: returns to the depot at {back:.4f}, after its "
                              f"due date {instance.due[0]:g}")
    missing = [int(c) for c in np.flatnonzero(seen[1:] == 0) + 1]
    if missing:
        violations.append(f"{len(missing)} customers never visited: {_list_some(missing)}")
    for customer in np.flatnonzero(seen > 1):
        violations.append(f"customer {customer} visited {seen[customer]} times")
    return SolomonCheck(distance=float(total), vehicles=len(used), violations=tuple(violations))


# --------------------------------------------------------------------------- Mankowska

_MANKOWSKA_SECTIONS = ("nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p",
                       "mind", "maxd", "e", "l")


@dataclass(frozen=True)
class MankowskaInstance:
    """A Mankowska et al. (2014) HHCRSP instance, as a problem and as raw data.

    Nodes: 0 is the depot, 1..N-2 the patients, N-1 a copy of the depot where
    routes end. Each required service of a patient is one job, in node order and
    then service order; a double-service patient's two jobs are joined by a
    :class:`Link` from the lower-numbered service to the higher one with gap
    ``[mind, maxd]`` (0/0 = simultaneous).

    Parameters
    ----------
    name : str
        Instance name (the file's stem, e.g. ``"InstanzCPLEX_HCSRP_10_1"``).
    problem : Problem
        The instance in integer units of ``1 / scale``: one vehicle per carer
        (resource ``"c1"``, ``"c2"``, ...; skills ``"s1"``.. from ``a``) leaving the
        depot at 0; job skill = its service name (``"s3"``); windows soft (a job
        may start up to the horizon after ``l``); objective weights
        ``distance_m = lateness_s = max_lateness_s = 1`` (the literature's cost x 3 x scale).
    scale : int
        Integer units per instance unit. Default 100 in :func:`parse_mankowska`.
    n_carers, n_services : int
    distance : ndarray of float
        The file's ``d`` matrix (travel distance = travel time), read-only, N x N.
    x, y, ready, due, min_gap, max_gap : ndarray of float
        Per-node ``x``, ``y``, ``e``, ``l``, ``mind``, ``maxd``, read-only.
    required : ndarray of bool
        N x S, service s required at node i (``r``).
    qualified : ndarray of bool
        Carers x S, carer v can perform service s (``a``).
    processing : ndarray of float
        N x S processing times (``p``; identical for every carer in all 70 published files).
    double : tuple of int
        The double-service patients (node numbers).
    job_node, job_service : tuple of int
        Node and 0-based service index of each job of :attr:`problem`.
    """

    name: str
    problem: Problem
    scale: int
    n_carers: int
    n_services: int
    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    min_gap: np.ndarray
    max_gap: np.ndarray
    required: np.ndarray
    qualified: np.ndarray
    processing: np.ndarray
    double: tuple[int, ...]
    job_node: tuple[int, ...]
    job_service: tuple[int, ...]

    @property
    def n_patients(self) -> int:
        """Number of patients (nodes other than the depot and its copy)."""
        return len(self.x) - 2

    def routes_of(self, solution: Solution) -> tuple[list[list[int]], dict[int, float]]:
        """Per-carer job sequences and start times (instance units) of a solution.

        Returns
        -------
        routes : list of list of int
            ``routes[v]`` is carer v's job indices in visit order (empty when unused).
        starts : dict of int to float
            Start of service of every served job, ``start_s / scale``.
        """
        routes: list[list[int]] = [[] for _ in range(self.n_carers)]
        starts: dict[int, float] = {}
        for route in solution.routes:
            routes[route.vehicle] = [stop.job for stop in route.stops]
            for stop in route.stops:
                starts[stop.job] = stop.start_s / self.scale
        return routes, starts


@dataclass(frozen=True)
class MankowskaCheck:
    """Outcome of :func:`check_mankowska`: the literature's cost terms and the violations.

    Parameters
    ----------
    distance : float
        Total travel distance, depot legs included.
    total_tardiness, max_tardiness : float
        Sum and maximum over jobs of ``max(0, start - l)``.
    violations : tuple of str
        One sentence per broken hard rule; empty when feasible.
    starts : dict of int to float
        The start times evaluated (given, or the earliest schedule computed).
    """

    distance: float
    total_tardiness: float
    max_tardiness: float
    violations: tuple[str, ...]
    starts: Mapping[int, float]

    @property
    def cost(self) -> float:
        """``(distance + total tardiness + max tardiness) / 3``, the literature's objective."""
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3

    @property
    def feasible(self) -> bool:
        """True when no hard rule is broken."""
        return not self.violations


class _Sections:
    """Numeric tokens of each keyword section, with their line numbers."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.values: dict[str, list[tuple[str, int]]] = {}
        self.header: dict[str, int] = {}
        current = None
        for number, line in enumerate(text.splitlines(), start=1):
            tokens = line.split()
            if not tokens:
                continue
            if tokens[0][0].isalpha():
                if len(tokens) != 1 or tokens[0] not in _MANKOWSKA_SECTIONS:
                    raise InputError(f"unknown section {line.strip()!r}; expected one of "
                                     f"{', '.join(_MANKOWSKA_SECTIONS)}", file=source,
                                     row=number, field=tokens[0])
                current = tokens[0]
                if current in self.header:
                    raise InputError("section appears twice", file=source, row=number,
                                     field=current)
                self.header[current] = number
                self.values[current] = []
                continue
            if current is None:
                raise InputError("numbers before the first section keyword (nbNodes)",
                                 file=source, row=number)
            self.values[current].extend((token, number) for token in tokens)
        for name in _MANKOWSKA_SECTIONS:
            if name not in self.header:
                raise InputError("section missing; is this a Mankowska HHCRSP file?",
                                 file=source, field=name)

    def floats(self, name: str, count: int | None = None) -> tuple[np.ndarray, list[int]]:
        tokens = self.values[name]
        if count is not None and len(tokens) != count:
            raise InputError(f"expected {count} values, found {len(tokens)}", file=self.source,
                             row=self.header[name], field=name)
        out = np.empty(len(tokens), dtype=np.float64)
        for k, (token, number) in enumerate(tokens):
            try:
                out[k] = float(token)
            except ValueError:
                raise InputError(f"not a number: {token!r}", file=self.source, row=number,
                                 field=name) from None
            if not math.isfinite(out[k]):
                raise InputError(f"not a finite number: {token!r}", file=self.source,
                                 row=number, field=name)
        return out, [number for _, number in tokens]

    def count(self, name: str) -> int:
        values, rows = self.floats(name, 1)
        if not values[0].is_integer() or values[0] < 1:
            raise InputError(f"must be a positive whole number, got {self.values[name][0][0]}",
                             file=self.source, row=rows[0], field=name)
        return int(values[0])

    def flags(self, name: str, count: int) -> tuple[np.ndarray, list[int]]:
        values, rows = self.floats(name, count)
        for value, row in zip(values, rows):
            if value not in (0.0, 1.0):
                raise InputError(f"must be 0 or 1, got {value:g}", file=self.source, row=row,
                                 field=name)
        return values.astype(bool), rows


def parse_mankowska(text: str, *, scale: int = 100, name: str = "mankowska",
                    source: str = "<text>") -> MankowskaInstance:
    """Read Mankowska HHCRSP text (``nbNodes``, ``r``, ``DS``, ``a``, ``d``, ``p``, ...).

    ``p`` is read as N blocks (one per node) of one row per carer with one column
    per service. The problem type has one service time per job, so a required
    service whose processing time differs between carers is rejected (no
    published file has one).

    Parameters
    ----------
    text : str
        The file's content.
    scale : int, keyword-only
        Integer units per instance unit of distance and time. Default 100 (the
        files give distances to 6 decimals; 0.01 keeps rounding error far below
        the cost's reported precision).
    name : str, keyword-only
        Instance name to record. Default ``"mankowska"``.
    source : str, keyword-only
        File name used in error messages. Default ``"<text>"``.

    Raises
    ------
    InputError
        A missing or unknown section, a wrong count of values, a non-number, a
        patient with the wrong number of required services, a service nobody is
        qualified for, an empty window, ``mind > maxd`` or carer-dependent
        processing times; the message names the file, line and section.
    """
    if scale < 1:
        raise InputError(f"scale must be a positive integer, got {scale}", file=source,
                         field="scale")
    sec = _Sections(text, source)
    n_nodes, n_carers, n_services = sec.count("nbNodes"), sec.count("nbVehi"), sec.count("nbServi")
    if n_nodes < 3:
        raise InputError("need at least 3 nodes (depot, one patient, depot copy)", file=source,
                         row=sec.header["nbNodes"], field="nbNodes")
    required, r_rows = sec.flags("r", n_nodes * n_services)
    required = required.reshape(n_nodes, n_services)
    qualified, a_rows = sec.flags("a", n_carers * n_services)
    qualified = qualified.reshape(n_carers, n_services)
    ds_values, ds_rows = sec.floats("DS")
    double = []
    for value, row in zip(ds_values, ds_rows):
        # DS lists 1-based node numbers (DS 11 = node 10, the last patient of set A).
        if not value.is_integer() or not 2 <= value <= n_nodes - 1:
            raise InputError(f"double-service node {value:g} is not a patient "
                             f"(1-based node numbers 2..{n_nodes - 1})", file=source, row=row,
                             field="DS")
        if int(value) - 1 in double:
            raise InputError(f"node {value:g} listed twice", file=source, row=row, field="DS")
        double.append(int(value) - 1)
    x, _ = sec.floats("x", n_nodes)
    y, _ = sec.floats("y", n_nodes)
    dist, d_rows = sec.floats("d", n_nodes * n_nodes)
    if (dist < 0).any():
        row = d_rows[int(np.flatnonzero(dist < 0)[0])]
        raise InputError("distances must be non-negative", file=source, row=row, field="d")
    dist = dist.reshape(n_nodes, n_nodes)
    p, p_rows = sec.floats("p", n_nodes * n_carers * n_services)
    if (p < 0).any():
        row = p_rows[int(np.flatnonzero(p < 0)[0])]
        raise InputError("processing times must be non-negative", file=source, row=row,
                         field="p")
    p = p.reshape(n_nodes, n_carers, n_services)
    min_gap, _ = sec.floats("mind", n_nodes)
    max_gap, gap_rows = sec.floats("maxd", n_nodes)
    ready, _ = sec.floats("e", n_nodes)
    due, l_rows = sec.floats("l", n_nodes)

    patients = range(1, n_nodes - 1)
    for i in patients:
        want = 2 if i in double else 1
        got = int(required[i].sum())
        if got != want:
            kind = "a double-service (DS) patient" if want == 2 else "a single-service patient"
            raise InputError(f"{kind} must require {want} service(s), found {got}",
                             file=source, row=r_rows[i * n_services], field="r", id=str(i))
        for s in np.flatnonzero(required[i]):
            if not qualified[:, s].any():
                raise InputError(f"service s{s + 1} required by patient {i} but no carer is "
                                 f"qualified for it", file=source, row=a_rows[0], field="a",
                                 id=str(i))
            times = p[i, :, s]
            if (times != times[0]).any():
                raise InputError(f"processing time of service s{s + 1} differs between "
                                 f"carers ({sorted(set(times.tolist()))}); per-carer service "
                                 f"times are not supported", file=source,
                                 row=p_rows[(i * n_carers) * n_services], field="p", id=str(i))
        if ready[i] > due[i]:
            raise InputError(f"window opens at {ready[i]:g} after it closes at {due[i]:g}",
                             file=source, row=l_rows[i], field="l", id=str(i))
        if i in double and min_gap[i] > max_gap[i]:
            raise InputError(f"mind {min_gap[i]:g} is above maxd {max_gap[i]:g}", file=source,
                             row=gap_rows[i], field="maxd", id=str(i))
    for i in double:
        pair = np.flatnonzero(required[i])
        if not any(qualified[v, pair[0]] and qualified[w, pair[1]]
                   for v in range(n_carers) for w in range(n_carers) if v != w):
            raise InputError(f"double-service patient {i} needs two different carers for "
                             f"s{pair[0] + 1} and s{pair[1] + 1}; none exist", file=source,
                             row=a_rows[0], field="a", id=str(i))

    processing = p[:, 0, :]
    job_node, job_service = [], []
    for i in patients:
        for s in np.flatnonzero(required[i]):
            job_node.append(i)
            job_service.append(int(s))
    # A horizon no sensible schedule reaches: every job served one after another by
    # one carer, each after the longest possible trip.
    horizon = (float(ready[1:-1].max()) + float(dist.max())
               + sum(processing[i, s] + dist[i].max() for i, s in zip(job_node, job_service)))
    horizon_s = int(math.ceil(horizon * scale))

    distance_m, duration_s = _scaled_matrices(dist, scale)
    jobs = []
    for i, s in zip(job_node, job_service):
        tw_end_s = _to_int(due[i], scale)
        jobs.append(Job(id=f"p{i}/s{s + 1}", location=i,
                        service_s=_to_int(processing[i, s], scale),
                        tw_start_s=_to_int(ready[i], scale), tw_end_s=tw_end_s,
                        skills=frozenset({f"s{s + 1}"}), drop_penalty=None,
                        max_lateness_s=max(horizon_s - tw_end_s, 1)))
    links = []
    for k in range(len(jobs) - 1):
        if job_node[k] == job_node[k + 1]:
            i = job_node[k]
            links.append(Link(first=k, second=k + 1, min_gap_s=_to_int(min_gap[i], scale),
                              max_gap_s=_to_int(max_gap[i], scale)))
    vehicles = tuple(
        Vehicle(id=f"c{v + 1}", resource=f"c{v + 1}", start_location=0,
                end_location=n_nodes - 1, shift_start_s=0, shift_end_s=horizon_s,
                profile=_PROFILE,
                skills=frozenset(f"s{s + 1}" for s in np.flatnonzero(qualified[v])))
        for v in range(n_carers))
    problem = Problem(jobs=tuple(jobs), vehicles=vehicles, duration_s={_PROFILE: duration_s},
                      distance_m={_PROFILE: distance_m}, links=tuple(links),
                      weights=Weights(travel_s=0, distance_m=1, lateness_s=1,
                                      max_lateness_s=1))

    def ro_bool(a: np.ndarray) -> np.ndarray:
        a = np.array(a, dtype=bool)
        a.setflags(write=False)
        return a

    return MankowskaInstance(
        name=name, problem=problem, scale=scale, n_carers=n_carers, n_services=n_services,
        distance=_readonly_float(dist), x=_readonly_float(x), y=_readonly_float(y),
        ready=_readonly_float(ready), due=_readonly_float(due),
        min_gap=_readonly_float(min_gap), max_gap=_readonly_float(max_gap),
        required=ro_bool(required), qualified=ro_bool(qualified),
        processing=_readonly_float(processing), double=tuple(sorted(double)),
        job_node=tuple(job_node), job_service=tuple(job_service))


def read_mankowska(path: str | Path, *, scale: int = 100) -> MankowskaInstance:
    """Read a Mankowska HHCRSP file; see :func:`parse_mankowska`. The name is the file's stem.

    Parameters
    ----------
    path : str or Path
    scale : int, keyword-only
        Integer units per instance unit. Default 100.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise InputError("file not found", file=path.name) from None
    return parse_mankowska(text, scale=scale, name=path.stem, source=path.name)


def _earliest_starts(instance: MankowskaInstance, routes: Sequence[Sequence[int]],
                     pairs: Sequence[tuple[int, int]]) -> dict[int, float] | None:
    """Least start times meeting windows' opening, travel and gaps; None if none exist.

    All constraints are ``start[b] >= start[a] + w``, so the least solution (found by
    label correcting) exists unless a positive cycle does, and it minimises every
    start at once, hence every tardiness term.
    """
    dist, proc = instance.distance, instance.processing
    node, service = instance.job_node, instance.job_service
    starts: dict[int, float] = {}
    edges: list[tuple[int, int, float]] = []
    for route in routes:
        for k, job in enumerate(route):
            if k == 0:
                starts[job] = max(float(instance.ready[node[job]]), float(dist[0, node[job]]))
            else:
                starts[job] = float(instance.ready[node[job]])
                prev = route[k - 1]
                edges.append((prev, job, proc[node[prev], service[prev]]
                              + dist[node[prev], node[job]]))
    for first, second in pairs:
        i = node[first]
        edges.append((first, second, float(instance.min_gap[i])))
        edges.append((second, first, -float(instance.max_gap[i])))
    for _ in range(len(starts) + 1):
        changed = False
        for a, b, w in edges:
            if starts[a] + w > starts[b] + 1e-9:
                starts[b] = starts[a] + w
                changed = True
        if not changed:
            return starts
    return None


def check_mankowska(instance: MankowskaInstance, routes: Sequence[Sequence[int]], *,
                    starts: Mapping[int, float] | None = None) -> MankowskaCheck:
    """Check HHCRSP routes against the raw data and compute the literature's cost terms.

    Hard rules: every job exactly once, by a carer qualified for its service;
    service starting no earlier than the window opens and than the carer can
    arrive (travel ``d``, processing ``p``, leaving the depot at 0); the two jobs
    of a double-service patient by two different carers with ``start(second) -
    start(first)`` in ``[mind, maxd]``. Lateness after ``l`` is allowed and costed.

    Parameters
    ----------
    instance : MankowskaInstance
    routes : sequence of sequences of int
        ``routes[v]`` = job indices of carer v in visit order (at most one per carer).
    starts : mapping of int to float, optional, keyword-only
        Start of each job in instance units, as the solver scheduled it; checked
        against the rules (within :data:`TOLERANCE`). When omitted, the earliest
        schedule of these sequences is computed (which minimises tardiness).

    Returns
    -------
    MankowskaCheck
        Distance, total and maximum tardiness, and the violations in words.
    """
    n_jobs = len(instance.problem.jobs)
    node, service = instance.job_node, instance.job_service
    dist, proc = instance.distance, instance.processing
    violations: list[str] = []
    if len(routes) > instance.n_carers:
        violations.append(f"{len(routes)} routes but only {instance.n_carers} carers")
    routes = [list(r) for r in routes[:instance.n_carers]]
    count = np.zeros(n_jobs, dtype=np.int64)
    carer_of: dict[int, int] = {}
    for v, route in enumerate(routes):
        for job in route:
            if not 0 <= job < n_jobs:
                violations.append(f"carer c{v + 1}: unknown job index {job}")
                continue
            count[job] += 1
            carer_of[job] = v
            if not instance.qualified[v, service[job]]:
                violations.append(f"carer c{v + 1} is not qualified for s{service[job] + 1} "
                                  f"at patient {node[job]}")
    missing = [int(j) for j in np.flatnonzero(count == 0)]
    if missing:
        violations.append(f"{len(missing)} jobs never served: {_list_some(missing)}")
    for job in np.flatnonzero(count > 1):
        violations.append(f"job {job} (patient {node[job]}) served {count[job]} times")
    routes = [[j for j in r if 0 <= j < n_jobs] for r in routes]
    pairs = [(link.first, link.second) for link in instance.problem.links]
    for first, second in pairs:
        if first in carer_of and carer_of.get(first) == carer_of.get(second):
            violations.append(f"patient {node[first]}: both services by the same carer "
                              f"c{carer_of[first] + 1}")
    if violations:
        return MankowskaCheck(distance=math.nan, total_tardiness=math.nan,
                              max_tardiness=math.nan, violations=tuple(violations), starts={})

    if starts is None:
        computed = _earliest_starts(instance, routes, pairs)
        if computed is None:
            violations.append("these sequences admit no schedule meeting every double "
                              "service's gap (the orders contradict each other)")
            return MankowskaCheck(distance=math.nan, total_tardiness=math.nan,
                                  max_tardiness=math.nan, violations=tuple(violations),
                                  starts={})
        times = computed
    else:
        absent = [j for r in routes for j in r if j not in starts]
        if absent:
            raise ValueError(f"starts has no time for jobs {_list_some(absent)}")
        times = {j: float(starts[j]) for r in routes for j in r}
        for v, route in enumerate(routes):
            clock, here = 0.0, 0
            for job in route:
                i = node[job]
                earliest = max(clock + dist[here, i], float(instance.ready[i]))
                if times[job] < earliest - TOLERANCE:
                    violations.append(f"carer c{v + 1}: patient {i} s{service[job] + 1} starts "
                                      f"at {times[job]:.4f}, before it can ({earliest:.4f})")
                clock, here = times[job] + proc[i, service[job]], i
        for first, second in pairs:
            i = node[first]
            gap = times[second] - times[first]
            if not (instance.min_gap[i] - TOLERANCE <= gap <= instance.max_gap[i] + TOLERANCE):
                violations.append(f"patient {i}: gap between s{service[first] + 1} and "
                                  f"s{service[second] + 1} is {gap:.4f}, outside "
                                  f"[{instance.min_gap[i]:g}, {instance.max_gap[i]:g}]")

    total_distance = 0.0
    end = len(instance.x) - 1
    for route in routes:
        if route:
            path = [0, *(node[j] for j in route), end]
            total_distance += float(sum(dist[a, b] for a, b in zip(path, path[1:])))
    tardiness = [max(0.0, times[j] - float(instance.due[node[j]])) for j in times]
    return MankowskaCheck(distance=total_distance, total_tardiness=float(sum(tardiness)),
                          max_tardiness=float(max(tardiness, default=0.0)),
                          violations=tuple(violations), starts=times)
