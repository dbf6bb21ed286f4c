"""Tests of the Solomon and Mankowska readers and their independent checkers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from benchmarks.instances import (
    check_mankowska,
    check_solomon,
    parse_mankowska,
    parse_solomon,
    read_mankowska,
    read_solomon,
)

from carerounds.errors import InputError
from carerounds.routing import Link, Route, Solution, SolveParams, Stop

BENCH = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"
SOLOMON_DIR = BENCH / "vrptw" / "solomon"
HOMBERGER_DIR = BENCH / "vrptw" / "homberger_200"
MANKOWSKA_DIR = BENCH / "hhc" / "mankowska2014" / "instances"


def needs(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"benchmark data not found at {path} (../shared/benchmarks beside the "
                    f"project root)")


# --------------------------------------------------------------------------- Solomon

# Depot at (0,0); customers 1 (3,4), 2 (6,8), 3 (0,5): d01=5, d02=10, d12=5, d03=5,
# d13=sqrt(10)=3.1623, d23=sqrt(45)=6.7082.
SOLOMON_ROWS = [
    "    0      0         0          0          0       {depot_due}          0   ",
    "    1      3         4          4          0         20          5   ",
    "    2      6         8          5         10         30          5   ",
    "    3      0         5          2          0          8          2   ",
]


def solomon_text(*, depot_due: int = 100, rows: list[str] | None = None,
                 vehicle_line: str = "  2         10") -> str:
    body = rows if rows is not None else SOLOMON_ROWS
    lines = ["TINY", "", "VEHICLE", "NUMBER     CAPACITY", vehicle_line, "", "CUSTOMER",
             "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME",
             " ", *[r.format(depot_due=depot_due) for r in body]]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def tiny_vrptw():
    return parse_solomon(solomon_text(), source="tiny.txt")


def test_solomon_counts_fleet_and_ids(tiny_vrptw):
    problem = tiny_vrptw.problem
    assert tiny_vrptw.name == "TINY"
    assert (tiny_vrptw.n_vehicles, tiny_vrptw.capacity, tiny_vrptw.n_customers) == (2, 10, 3)
    assert [(j.id, j.location, j.demand) for j in problem.jobs] == [("1", 1, 4), ("2", 2, 5),
                                                                     ("3", 3, 2)]
    assert [v.capacity for v in problem.vehicles] == [10, 10]
    assert all(j.drop_penalty is None for j in problem.jobs)


def test_solomon_scales_windows_service_and_depot_due(tiny_vrptw):
    job = tiny_vrptw.problem.jobs[1]
    assert (job.tw_start_s, job.tw_end_s, job.service_s) == (10_000, 30_000, 5_000)
    vehicle = tiny_vrptw.problem.vehicles[0]
    assert (vehicle.start_location, vehicle.end_location) == (0, 0)
    assert (vehicle.shift_start_s, vehicle.shift_end_s) == (0, 100_000)


def test_solomon_distance_rounded_and_travel_time_rounded_up(tiny_vrptw):
    distance = tiny_vrptw.problem.distance_m["drive"]
    duration = tiny_vrptw.problem.duration_s["drive"]
    assert distance[0, 1] == duration[0, 1] == 5000  # exact distances are not bumped up
    assert distance[1, 3] == 3162 and duration[1, 3] == 3163  # sqrt(10) = 3.16228


def test_solomon_scale_is_a_keyword():
    inst = parse_solomon(solomon_text(), scale=10)
    assert inst.problem.jobs[0].service_s == 50
    assert inst.problem.distance_m["drive"][0, 2] == 100


def test_solomon_objective_is_distance_only(tiny_vrptw):
    weights = tiny_vrptw.problem.weights
    assert (weights.distance_m, weights.travel_s) == (1, 0)


def test_solomon_raw_data_is_read_only(tiny_vrptw):
    with pytest.raises(ValueError):
        tiny_vrptw.due[0] = 1.0


def test_check_solomon_feasible_routes_and_distance(tiny_vrptw):
    check = check_solomon(tiny_vrptw, [[1, 2], [3]])
    assert check.feasible, check.violations
    assert check.vehicles == 2
    assert check.distance == pytest.approx(5 + 5 + 10 + 5 + 5)


def test_check_solomon_window_bounds_start_not_end(tiny_vrptw):
    # Customer 1 starts at exactly its due date 20 and ends at 25: allowed.
    assert check_solomon(tiny_vrptw, [[2, 1], [3]]).feasible


def test_check_solomon_late_start(tiny_vrptw):
    check = check_solomon(tiny_vrptw, [[1, 3], [2]])
    assert not check.feasible
    assert any("customer 3" in v and "due date" in v for v in check.violations)


def test_check_solomon_capacity(tiny_vrptw):
    check = check_solomon(tiny_vrptw, [[1, 2, 3]])
    assert any("load 11 exceeds capacity 10" in v for v in check.violations)


def test_check_solomon_missing_and_duplicate(tiny_vrptw):
    check = check_solomon(tiny_vrptw, [[1, 2], [1]])
    assert any("never visited: 3" in v for v in check.violations)
    assert any("customer 1 visited 2 times" in v for v in check.violations)


def test_check_solomon_unknown_customer(tiny_vrptw):
    check = check_solomon(tiny_vrptw, [[1, 2], [3, 7]])
    assert any("unknown customers 7" in v for v in check.violations)


def test_check_solomon_too_many_routes(tiny_vrptw):
    check = check_solomon(tiny_vrptw, [[1], [2], [3]])
    assert any("fleet has 2" in v for v in check.violations)


def test_check_solomon_late_return_to_depot():
    inst = parse_solomon(solomon_text(depot_due=28))
    check = check_solomon(inst, [[1, 2], [3]])  # back at 30
    assert check.violations == ("route 1: returns to the depot at 30.0000, after its due date 28",)


def test_solomon_routes_of_solution(tiny_vrptw):
    def stop(job):
        return Stop(job=job, arrival_s=0, start_s=0, end_s=0, travel_s=0, distance_m=0)

    solution = Solution(
        routes=(Route(vehicle=0, stops=(stop(2),), start_s=0, end_s=0, return_travel_s=0,
                      return_distance_m=0),
                Route(vehicle=1, stops=(stop(0), stop(1)), start_s=0, end_s=0,
                      return_travel_s=0, return_distance_m=0)),
        unassigned=(), objective=0, wall_s=0.0, first_solution_s=0.0, status="test",
        params=SolveParams())
    assert tiny_vrptw.routes_of(solution) == [[3], [1, 2]]


@pytest.mark.parametrize("text, row, field", [
    ("TINY\r\n\r\nCUSTOMER\r\n    0 0 0 0 0 100 0\r\n", None, "VEHICLE"),
    (solomon_text(vehicle_line="  two  10"), 5, "VEHICLE"),
    (solomon_text(rows=SOLOMON_ROWS[:2] + ["    2      6   8   5   10   30"]), 12, "CUSTOMER"),
    (solomon_text(rows=SOLOMON_ROWS[:2] + ["    2      6   8   5   10   3O   5"]), 12, "DUE DATE"),
    (solomon_text(rows=SOLOMON_ROWS[:2] + ["    2      6   8   5   40   30   5"]), 12, "DUE DATE"),
    (solomon_text(rows=SOLOMON_ROWS[:2] + ["    2      6   8  15   10   30   5"]), 12, "DEMAND"),
    (solomon_text(rows=SOLOMON_ROWS[:2] + ["    5      6   8   5   10   30   5"]), 12, "CUST NO."),
    (solomon_text(rows=SOLOMON_ROWS[:1]), 7, "CUSTOMER"),
])
def test_solomon_malformed_text_names_file_line_and_field(text, row, field):
    with pytest.raises(InputError) as info:
        parse_solomon(text, source="bad.txt")
    assert (info.value.file, info.value.row, info.value.field) == ("bad.txt", row, field)


def test_solomon_empty_text():
    with pytest.raises(InputError, match="empty"):
        parse_solomon("  \r\n", source="empty.txt")


def test_read_solomon_missing_file(tmp_path):
    with pytest.raises(InputError) as info:
        read_solomon(tmp_path / "R999.txt")
    assert info.value.file == "R999.txt"


def test_read_solomon_c101():
    needs(SOLOMON_DIR)
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    assert (inst.name, inst.n_customers, inst.n_vehicles, inst.capacity) == ("C101", 100, 25, 200)
    first = inst.problem.jobs[0]
    assert (first.id, first.demand, first.tw_start_s, first.tw_end_s, first.service_s) == (
        "1", 10, 912_000, 967_000, 90_000)
    assert inst.problem.vehicles[0].shift_end_s == 1_236_000
    assert inst.distance[0, 1] == pytest.approx(math.hypot(45 - 40, 68 - 50))


def test_read_all_solomon_instances():
    needs(SOLOMON_DIR)
    paths = sorted(SOLOMON_DIR.glob("*.txt"))
    assert len(paths) == 56
    for path in paths:
        inst = read_solomon(path)
        assert inst.name == path.stem and len(inst.problem.jobs) == 100


def test_read_homberger_200():
    needs(HOMBERGER_DIR)
    inst = read_solomon(HOMBERGER_DIR / "rc2_2_1.txt")
    assert (inst.n_customers, inst.n_vehicles) == (200, 50)


def test_check_solomon_one_customer_per_route_breaks_fleet_limit():
    needs(SOLOMON_DIR)
    inst = read_solomon(SOLOMON_DIR / "R101.txt")
    check = check_solomon(inst, [[c] for c in range(1, 101)])
    assert check.violations == ("100 routes used but the fleet has 25 vehicles",)


# --------------------------------------------------------------------------- Mankowska

# Nodes: depot 0 (0,0); patients 1 (3,0), 2 (0,4), 3 (3,4); depot copy 4 (0,0).
# Patient 1 needs s1+s2 at the same time, patient 2 needs s2, patient 3 needs s1 then
# s2 5..8 later. Carer c1 does s1 only, c2 does s1 and s2. Processing 10 everywhere.
MANKOWSKA_SECTIONS = {
    "nbNodes": ["5"], "nbVehi": ["2"], "nbServi": ["2"],
    "r": ["1 1", "1 1", "0 1", "1 1", "1 1"],
    "DS": ["4 2"],
    "a": ["1 0", "1 1"],
    "x": ["0 3 0 3 0"], "y": ["0 0 4 4 0"],
    "d": ["0.0 3.0 4.0 5.0 0.0", "3.0 0.0 5.0 4.0 3.0", "4.0 5.0 0.0 3.0 4.0",
          "5.0 4.0 3.0 0.0 5.0", "0.0 3.0 4.0 5.0 0.0"],
    "p": ["0 0", "0 0"] + ["10.0 10.0"] * 6 + ["0 0", "0 0"],
    "mind": ["0 0 0 5 0"], "maxd": ["0 0 0 8 0"],
    "e": ["0 0 0 0 0"], "l": ["100 20 20 30 200"],
}


def mankowska_text(**replace) -> str:
    lines = []
    for name, body in MANKOWSKA_SECTIONS.items():
        if replace.get(name, body) is None:
            continue
        lines.append(name)
        lines.extend(replace.get(name, body))
    return "\n".join(lines) + "\n"


def line_of(text: str, section: str, offset: int = 1) -> int:
    """1-based line number of the ``offset``-th line after a section keyword."""
    return text.splitlines().index(section) + 1 + offset


@pytest.fixture
def tiny_hhc():
    return parse_mankowska(mankowska_text(), name="tiny", source="tiny.txt")


def test_mankowska_counts(tiny_hhc):
    assert (tiny_hhc.n_patients, tiny_hhc.n_carers, tiny_hhc.n_services) == (3, 2, 2)
    assert [j.id for j in tiny_hhc.problem.jobs] == ["p1/s1", "p1/s2", "p2/s2", "p3/s1", "p3/s2"]
    assert tiny_hhc.double == (1, 3)  # DS lists 1-based node numbers


def test_mankowska_skills_from_services_and_qualifications(tiny_hhc):
    assert [j.skills for j in tiny_hhc.problem.jobs] == [
        {"s1"}, {"s2"}, {"s2"}, {"s1"}, {"s2"}]
    assert [v.skills for v in tiny_hhc.problem.vehicles] == [{"s1"}, {"s1", "s2"}]
    assert [v.resource for v in tiny_hhc.problem.vehicles] == ["c1", "c2"]


def test_mankowska_links_simultaneous_and_gap(tiny_hhc):
    assert tiny_hhc.problem.links == (Link(first=0, second=1, min_gap_s=0, max_gap_s=0),
                                      Link(first=3, second=4, min_gap_s=500, max_gap_s=800))


def test_mankowska_scaled_times_and_routes_depot_to_copy(tiny_hhc):
    job = tiny_hhc.problem.jobs[3]
    assert (job.service_s, job.tw_start_s, job.tw_end_s) == (1000, 0, 3000)
    assert tiny_hhc.problem.duration_s["drive"][1, 3] == 400
    vehicle = tiny_hhc.problem.vehicles[0]
    assert (vehicle.start_location, vehicle.end_location, vehicle.shift_start_s) == (0, 4, 0)


def test_mankowska_windows_are_soft_with_literature_weights(tiny_hhc):
    assert all(j.max_lateness_s > 0 and j.drop_penalty is None for j in tiny_hhc.problem.jobs)
    weights = tiny_hhc.problem.weights
    assert (weights.distance_m, weights.travel_s, weights.lateness_s,
            weights.max_lateness_s) == (1, 0, 1, 1)


def test_mankowska_scale_keyword():
    inst = parse_mankowska(mankowska_text(), scale=10)
    assert inst.problem.jobs[0].service_s == 100
    assert inst.problem.links[1].max_gap_s == 80


FEASIBLE_ROUTES = [[0, 3], [1, 2, 4]]


def test_check_mankowska_earliest_schedule_and_cost(tiny_hhc):
    check = check_mankowska(tiny_hhc, FEASIBLE_ROUTES)
    assert check.feasible, check.violations
    # p3/s1 waits until 23 so that p3/s2 (at 31 at the earliest) is within 8 of it.
    assert dict(check.starts) == pytest.approx({0: 3.0, 1: 3.0, 2: 18.0, 3: 23.0, 4: 31.0})
    assert check.distance == pytest.approx(12 + 16)
    assert (check.total_tardiness, check.max_tardiness) == pytest.approx((1.0, 1.0))
    assert check.cost == pytest.approx((28 + 1 + 1) / 3)


def test_check_mankowska_given_starts_are_costed(tiny_hhc):
    starts = {0: 3.0, 1: 3.0, 2: 18.0, 3: 25.0, 4: 33.0}
    check = check_mankowska(tiny_hhc, FEASIBLE_ROUTES, starts=starts)
    assert check.feasible, check.violations
    assert (check.total_tardiness, check.max_tardiness) == pytest.approx((3.0, 3.0))


def test_check_mankowska_gap_outside_bounds(tiny_hhc):
    starts = {0: 3.0, 1: 3.0, 2: 18.0, 3: 17.0, 4: 31.0}
    check = check_mankowska(tiny_hhc, FEASIBLE_ROUTES, starts=starts)
    assert any("patient 3: gap" in v and "[5, 8]" in v for v in check.violations)


def test_check_mankowska_simultaneous_not_simultaneous(tiny_hhc):
    starts = {0: 3.0, 1: 4.0, 2: 19.0, 3: 24.0, 4: 32.0}
    check = check_mankowska(tiny_hhc, FEASIBLE_ROUTES, starts=starts)
    assert any("patient 1: gap" in v for v in check.violations)


def test_check_mankowska_start_before_arrival(tiny_hhc):
    starts = {0: 2.0, 1: 2.0, 2: 18.0, 3: 23.0, 4: 31.0}
    check = check_mankowska(tiny_hhc, FEASIBLE_ROUTES, starts=starts)
    assert any("c1: patient 1 s1 starts at 2.0000, before it can (3.0000)" in v
               for v in check.violations)


def test_check_mankowska_same_carer_for_both_services(tiny_hhc):
    check = check_mankowska(tiny_hhc, [[0], [1, 2, 3, 4]])
    assert any("patient 3: both services by the same carer c2" in v for v in check.violations)


def test_check_mankowska_unqualified_carer(tiny_hhc):
    check = check_mankowska(tiny_hhc, [[0, 2, 3], [1, 4]])
    assert any("c1 is not qualified for s2 at patient 2" in v for v in check.violations)


def test_check_mankowska_missing_job(tiny_hhc):
    check = check_mankowska(tiny_hhc, [[0, 3], [1, 4]])
    assert any("never served: 2" in v for v in check.violations)
    assert math.isnan(check.cost)


def test_check_mankowska_contradictory_orders(tiny_hhc):
    # c1 serves patient 1 before 3, c2 patient 3 before 1: both gaps cannot hold.
    check = check_mankowska(tiny_hhc, [[0, 3], [4, 2, 1]])
    assert any("no schedule" in v for v in check.violations)


def test_mankowska_routes_of_solution(tiny_hhc):
    def stop(job, start_s):
        return Stop(job=job, arrival_s=start_s, start_s=start_s, end_s=start_s, travel_s=0,
                    distance_m=0)

    solution = Solution(
        routes=(Route(vehicle=1, stops=(stop(1, 300), stop(2, 1800)), start_s=0, end_s=0,
                      return_travel_s=0, return_distance_m=0),),
        unassigned=(), objective=0, wall_s=0.0, first_solution_s=None, status="test",
        params=SolveParams())
    routes, starts = tiny_hhc.routes_of(solution)
    assert routes == [[], [1, 2]]
    assert starts == {1: 3.0, 2: 18.0}


def test_mankowska_unknown_section():
    text = mankowska_text() + "foo\n1\n"
    with pytest.raises(InputError) as info:
        parse_mankowska(text, source="bad.txt")
    assert (info.value.file, info.value.row, info.value.field) == (
        "bad.txt", text.splitlines().index("foo") + 1, "foo")


def test_mankowska_missing_section():
    with pytest.raises(InputError) as info:
        parse_mankowska(mankowska_text(l=None), source="bad.txt")
    assert info.value.field == "l"


def test_mankowska_wrong_count_names_section_line():
    text = mankowska_text(d=MANKOWSKA_SECTIONS["d"][:4])
    with pytest.raises(InputError, match="expected 25 values, found 20") as info:
        parse_mankowska(text, source="bad.txt")
    assert (info.value.row, info.value.field) == (line_of(text, "d", 0), "d")


def test_mankowska_not_a_number_names_its_line():
    text = mankowska_text(y=["0", "0 4 x 0"])
    with pytest.raises(InputError, match="'x'") as info:
        parse_mankowska(text, source="bad.txt")
    assert (info.value.row, info.value.field) == (line_of(text, "y", 2), "y")


def test_mankowska_flag_not_zero_or_one():
    text = mankowska_text(a=["1 0", "1 2"])
    with pytest.raises(InputError) as info:
        parse_mankowska(text)
    assert (info.value.row, info.value.field) == (line_of(text, "a", 2), "a")


@pytest.mark.parametrize("replace, field, patient", [
    ({"DS": ["4"]}, "r", "1"),                                   # patient 1 needs two services
    ({"DS": ["4 2 3"]}, "r", "2"),                               # patient 2 needs one
    ({"DS": ["4 1"]}, "DS", None),                               # node 1 is the depot
    ({"DS": ["4 2 6"]}, "DS", None),                             # beyond the last patient
    ({"l": ["100 20 20 30 200"], "e": ["0 0 25 0 0"]}, "l", "2"),  # window opens after it closes
    ({"maxd": ["0 0 0 4 0"]}, "maxd", "3"),                      # mind 5 above maxd 4
    ({"a": ["1 0", "1 0"]}, "a", "1"),                           # nobody does s2
])
def test_mankowska_inconsistent_data(replace, field, patient):
    with pytest.raises(InputError) as info:
        parse_mankowska(mankowska_text(**replace), source="bad.txt")
    assert (info.value.file, info.value.field, info.value.id) == ("bad.txt", field, patient)


def test_mankowska_double_service_without_two_carers():
    with pytest.raises(InputError, match="two different carers") as info:
        parse_mankowska(mankowska_text(a=["0 0", "1 1"]), source="bad.txt")
    assert info.value.field == "a"


def test_mankowska_processing_time_varying_by_carer_is_rejected():
    p = list(MANKOWSKA_SECTIONS["p"])
    p[5] = "10.0 12.0"  # patient 2, carer c2: s2 takes 12 instead of 10
    text = mankowska_text(p=p)
    with pytest.raises(InputError, match="differs between carers") as info:
        parse_mankowska(text, source="bad.txt")
    assert (info.value.row, info.value.field, info.value.id) == (line_of(text, "p", 5), "p", "2")


def test_read_mankowska_missing_file(tmp_path):
    with pytest.raises(InputError) as info:
        read_mankowska(tmp_path / "nope.txt")
    assert info.value.file == "nope.txt"


def test_read_mankowska_a1():
    needs(MANKOWSKA_DIR)
    inst = read_mankowska(MANKOWSKA_DIR / "InstanzCPLEX_HCSRP_10_1.txt")
    assert inst.name == "InstanzCPLEX_HCSRP_10_1"
    assert (inst.n_patients, inst.n_carers, inst.n_services) == (10, 3, 6)
    assert inst.double == (8, 9, 10)
    assert len(inst.problem.jobs) == 13
    assert inst.problem.links == (Link(7, 8, 0, 0), Link(9, 10, 5100, 10200),
                                  Link(11, 12, 800, 1600))
    assert {j.service_s for j in inst.problem.jobs} == {1400}
    assert inst.problem.vehicles[0].skills == {"s1", "s2", "s3"}
    assert inst.distance[0, 1] == pytest.approx(38.470768)


@pytest.mark.parametrize("size, carers, doubles", [(10, 3, 3), (25, 5, 8), (50, 10, 15)])
def test_read_mankowska_sets_a_to_c(size, carers, doubles):
    needs(MANKOWSKA_DIR)
    for k in range(1, 11):
        inst = read_mankowska(MANKOWSKA_DIR / f"InstanzCPLEX_HCSRP_{size}_{k}.txt")
        assert (inst.n_patients, inst.n_carers, len(inst.double)) == (size, carers, doubles)
        assert len(inst.problem.jobs) == size + doubles
        assert len(inst.problem.links) == doubles


def test_check_mankowska_on_a_real_instance_one_job_per_qualified_carer():
    needs(MANKOWSKA_DIR)
    inst = read_mankowska(MANKOWSKA_DIR / "InstanzCPLEX_HCSRP_10_1.txt")
    # Give each job to a qualified carer, the two jobs of a pair to different carers,
    # in job order (node order), so no two pairs are ordered against each other.
    routes = [[] for _ in range(inst.n_carers)]
    for job, service in enumerate(inst.job_service):
        taken = {v for v, r in enumerate(routes) if job - 1 in r
                 and inst.job_node[job - 1] == inst.job_node[job]}
        carer = next(v for v in range(inst.n_carers)
                     if inst.qualified[v, service] and v not in taken)
        routes[carer].append(job)
    check = check_mankowska(inst, routes)
    assert check.feasible, check.violations
    legs = [[0, *(inst.job_node[j] for j in r), 11] for r in routes if r]
    expected = sum(inst.distance[a, b] for path in legs for a, b in zip(path, path[1:]))
    assert check.distance == pytest.approx(expected)
    assert check.cost == pytest.approx(
        (expected + check.total_tardiness + check.max_tardiness) / 3)
    assert np.isfinite(check.cost)
