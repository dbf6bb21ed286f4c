"""Tests of the built-in sample day generator (carerounds.scheduler.sample)."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.scheduler.sample import REGIONS, SampleDay, generate_sample, write_sample

DATE = dt.date(2026, 11, 24)
SEED = 7
ALL = [(region, size) for region in ("midlothian", "monmouthshire", "rutland")
       for size in ("small", "day")]

#: The input contract of issue 2, written out here so the test checks the generator against
#: the issue, not against the module's own constant.
#: Issue 15 added the optional contact, access and time-critical columns.
CONTRACT = {
    "providers.csv": ["provider_id", "name", "kind", "office_phone", "on_call_phone"],
    "workers.csv": ["worker_id", "provider_id", "name", "gender", "home_lat", "home_lon",
                    "shift_start", "shift_end", "skills", "travel_mode", "max_hours", "phone"],
    "clients.csv": ["client_id", "name", "address", "postcode", "lat", "lon", "area",
                    "gender_preference", "preferred_workers", "excluded_workers", "notes",
                    "phone", "emergency_contact", "access"],
    "visits.csv": ["visit_id", "client_id", "provider_id", "window_start", "window_end",
                   "duration_min", "carers", "skills", "priority", "service", "tasks",
                   "time_critical"],
    "history.csv": ["client_id", "worker_id", "visits"],
    "planted_duplicates.csv": ["visit_id_a", "visit_id_b", "kind"],
}
BANDS = {"morning": (420, 600), "lunch": (690, 810), "tea": (990, 1110), "bed": (1200, 1320)}
SKILLS = {"medication", "hoist", "dementia", "peg", "catheter"}
SERVICES = {"integrated", "adult_disability", "mental_health", "reablement", "hospital_discharge"}


@cache
def sample(region: str, size: str, seed: int = SEED) -> SampleDay:
    """Generate once per module run; the sample is immutable so sharing it is safe."""
    return generate_sample(region, date=DATE, seed=seed, size=size)


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def gap_min(a: dict, b: dict) -> int:
    """Minutes between two visits' windows; 0 when they overlap."""
    return max(0, minutes(b["window_start"]) - minutes(a["window_end"]),
               minutes(a["window_start"]) - minutes(b["window_end"]))


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


def workers_by_id(s: SampleDay) -> dict[str, list[dict]]:
    rows = defaultdict(list)
    for row in s.workers.as_dicts():
        rows[row["worker_id"]].append(row)
    return rows


# ---- determinism -----------------------------------------------------------------------------

def read_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("size", ["small", "day"])
def test_same_seed_writes_byte_identical_files(tmp_path, size):
    write_sample(generate_sample("monmouthshire", date=DATE, seed=3, size=size), tmp_path / "a")
    write_sample(generate_sample("monmouthshire", date=DATE, seed=3, size=size), tmp_path / "b")
    assert read_bytes(tmp_path / "a") == read_bytes(tmp_path / "b")


def test_other_seed_gives_other_files(tmp_path):
    write_sample(generate_sample("rutland", date=DATE, seed=1), tmp_path / "a")
    write_sample(generate_sample("rutland", date=DATE, seed=2), tmp_path / "b")
    first, second = read_bytes(tmp_path / "a"), read_bytes(tmp_path / "b")
    assert first["clients.csv"] != second["clients.csv"]
    assert first["visits.csv"] != second["visits.csv"]


def test_weekday_decides_who_is_at_the_day_centre():
    # a few clients skip lunch on their day-centre weekday; over a week the days differ
    visits = {generate_sample("rutland", date=DATE + dt.timedelta(days=d), seed=1,
                              size="day").visits.rows for d in range(7)}
    assert len(visits) > 1


# ---- files and columns -----------------------------------------------------------------------

def test_write_sample_writes_the_six_files_with_contract_headers(tmp_path):
    paths = write_sample(sample("midlothian", "small"), tmp_path / "new" / "dir")
    assert [p.name for p in paths] == list(CONTRACT)
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == CONTRACT[path.name]


def test_written_rows_read_back_equal_to_the_tables(tmp_path):
    # quoting of commas, apostrophes, ampersands and non-ASCII letters survives a round trip
    s = sample("monmouthshire", "day")
    write_sample(s, tmp_path)
    for name, table in s.files().items():
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            rows = [tuple(r) for r in csv.reader(handle)][1:]
        assert rows == list(table.rows), name


@pytest.mark.parametrize("region,size", ALL)
def test_every_row_has_every_contract_column(region, size):
    s = sample(region, size)
    for name, table in s.files().items():
        assert list(table.header) == CONTRACT[name]
        assert all(len(row) == len(table.header) for row in table.rows), name
        assert all(isinstance(v, str) for row in table.rows for v in row), name


def test_the_reader_accepts_the_sample(tmp_path):
    from carerounds.scheduler.inputs import read_day

    s = sample("midlothian", "small")
    write_sample(s, tmp_path)
    day = read_day(tmp_path, date=DATE)
    assert len(day.visits) == len(s.visits.rows)
    assert len(day.workers) == len(workers_by_id(s))
    assert sum(len(h) for h in day.history.values()) == len(s.history.rows)


# ---- sizes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("region,size", ALL)
def test_sizes_are_in_the_stated_ranges(region, size):
    s = sample(region, size)
    visits, workers = len(s.visits.rows), len(workers_by_id(s))
    kinds = Counter(s.providers.column("kind"))
    if size == "small":
        assert 55 <= visits <= 66
        assert 6 <= workers <= 15  # about 8; more in rural Monmouthshire
        assert kinds == {"in_house": 1, "independent": 1}
    else:
        assert 1400 <= visits <= 1600
        assert 150 <= workers <= 210  # about 180
        assert kinds["in_house"] == 4 and 3 <= kinds["independent"] <= 5


# ---- ids and references ----------------------------------------------------------------------

@pytest.mark.parametrize("region,size", ALL)
def test_ids_are_unique_and_well_formed(region, size):
    s = sample(region, size)
    patterns = {"provider_id": r"P\d{2}", "worker_id": r"W\d{3}", "client_id": r"C\d{4}",
                "visit_id": r"V\d{5}"}
    for table, field in ((s.providers, "provider_id"), (s.clients, "client_id"),
                         (s.visits, "visit_id")):
        ids = table.column(field)
        assert len(ids) == len(set(ids)), field
        assert all(re.fullmatch(patterns[field], i) for i in ids), field
    assert all(re.fullmatch(patterns["worker_id"], w) for w in workers_by_id(s))


@pytest.mark.parametrize("region,size", ALL)
def test_every_reference_resolves(region, size):
    s = sample(region, size)
    providers = set(s.providers.column("provider_id"))
    workers = workers_by_id(s)
    clients = set(s.clients.column("client_id"))
    visits = set(s.visits.column("visit_id"))
    assert {r[0]["provider_id"] for r in workers.values()} <= providers
    for v in s.visits.as_dicts():
        assert v["client_id"] in clients
        assert v["provider_id"] in providers | {""}
    for c in s.clients.as_dicts():
        for field in ("preferred_workers", "excluded_workers"):
            assert {w for w in c[field].split(";") if w} <= set(workers), c["client_id"]
    for h in s.history.as_dicts():
        assert h["client_id"] in clients and h["worker_id"] in workers
    for a, b, _ in s.planted_duplicates.rows + s.near_misses.rows:
        assert {a, b} <= visits
    assert clients == set(s.visits.column("client_id"))  # every client has a visit


@pytest.mark.parametrize("region,size", ALL)
def test_a_workers_rows_repeat_the_same_details_with_separate_shifts(region, size):
    for wid, rows in workers_by_id(sample(region, size)).items():
        details = {tuple(r[k] for k in CONTRACT["workers.csv"] if not k.startswith("shift_"))
                   for r in rows}
        assert len(details) == 1, wid
        shifts = sorted((minutes(r["shift_start"]), minutes(r["shift_end"])) for r in rows)
        assert all(start < end for start, end in shifts)
        assert all(a[1] <= b[0] for a, b in zip(shifts, shifts[1:])), wid


# ---- values by the contract ------------------------------------------------------------------

@pytest.mark.parametrize("region,size", ALL)
def test_visit_values_follow_the_contract_and_the_bands(region, size):
    for v in sample(region, size).visits.as_dicts():
        assert re.fullmatch(r"\d\d:\d\d", v["window_start"])
        assert re.fullmatch(r"\d\d:\d\d", v["window_end"])
        start, end = minutes(v["window_start"]), minutes(v["window_end"])
        assert 30 <= end - start <= 60, v["visit_id"]
        assert any(low <= start and end <= high for low, high in BANDS.values()), v["visit_id"]
        assert v["duration_min"].isdigit() and 15 <= int(v["duration_min"]) <= 60
        assert v["carers"] in ("1", "2")
        assert {k for k in v["skills"].split(";") if k} <= SKILLS
        assert v["priority"] in ("critical", "high", "normal")
        assert v["service"] in SERVICES
        assert v["tasks"]


@pytest.mark.parametrize("region,size", ALL)
def test_coordinates_are_in_the_region(region, size):
    s, towns = sample(region, size), REGIONS[region].towns

    def near_a_town(lat: float, lon: float) -> bool:
        return min(metres(lat, lon, t.lat, t.lon) for t in towns) < 15_000

    for c in s.clients.as_dicts():
        assert near_a_town(float(c["lat"]), float(c["lon"])), c["client_id"]
    for w in s.workers.as_dicts():
        assert near_a_town(float(w["home_lat"]), float(w["home_lon"])), w["worker_id"]


@pytest.mark.parametrize("region,size", ALL)
def test_clients_have_postcodes_and_areas_of_their_town(region, size):
    towns = {t.name: t for t in REGIONS[region].towns}
    for c in sample(region, size).clients.as_dicts():
        town = towns[c["address"].rsplit(", ", 1)[1]]
        assert re.fullmatch(rf"{town.district} \d[A-Z]{{2}}", c["postcode"]), c["client_id"]
        assert c["area"] == town.area
        assert c["gender_preference"] in ("", "female", "male")


def test_distinct_addresses_are_at_least_twenty_metres_apart():
    clients = sample("midlothian", "day").clients.as_dicts()
    by_cell = defaultdict(list)
    for c in clients:
        by_cell[(round(float(c["lat"]), 2), round(float(c["lon"]), 2))].append(c)
    for group in by_cell.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a["address"] != b["address"]:
                    assert metres(float(a["lat"]), float(a["lon"]), float(b["lat"]),
                                  float(b["lon"])) >= 20, (a["client_id"], b["client_id"])


def test_workers_split_shifts_walkers_and_max_hours():
    s = sample("rutland", "day")
    workers = workers_by_id(s)
    assert sum(len(rows) > 1 for rows in workers.values()) > len(workers) / 2
    assert any(len(rows) == 1 for rows in workers.values())  # some only early or late
    genders = Counter(rows[0]["gender"] for rows in workers.values())
    assert set(genders) == {"female", "male"} and genders["female"] > 3 * genders["male"]
    assert 0 < sum(rows[0]["max_hours"] != "" for rows in workers.values()) < len(workers) / 2
    skill_sets = {rows[0]["skills"] for rows in workers.values()}
    assert len(skill_sets) > 5 and ";".join(sorted(SKILLS)) != min(skill_sets)


def test_walkers_live_in_a_town_centre_where_their_provider_has_clients():
    s = sample("midlothian", "day")
    clients = {c["client_id"]: c for c in s.clients.as_dicts()}
    towns_of = defaultdict(set)
    for v in s.visits.as_dicts():
        towns_of[v["provider_id"]].add(clients[v["client_id"]]["address"].rsplit(", ", 1)[1])
    walkers = [rows[0] for rows in workers_by_id(s).values() if rows[0]["travel_mode"] == "walk"]
    assert 2 <= len(walkers) <= len(workers_by_id(s)) / 10
    for w in walkers:
        lat, lon = float(w["home_lat"]), float(w["home_lon"])
        town = min(REGIONS["midlothian"].towns, key=lambda t: metres(lat, lon, t.lat, t.lon))
        assert metres(lat, lon, town.lat, town.lon) <= 500
        assert town.name in towns_of[w["provider_id"]]
        assert "hoist" not in w["skills"].split(";")


# ---- care content ----------------------------------------------------------------------------

@pytest.mark.parametrize("region,size", ALL)
def test_fifteen_minute_visits_are_only_medication_prompts(region, size):
    visits = sample(region, size).visits.as_dicts()
    short = [v for v in visits if v["duration_min"] == "15"]
    assert short
    assert {v["tasks"] for v in short} == {"medication prompt"}


@pytest.mark.parametrize("region,size", ALL)
def test_about_ten_percent_are_hoist_double_ups(region, size):
    visits = sample(region, size).visits.as_dicts()
    doubles = [v for v in visits if v["carers"] == "2"]
    assert 0.07 <= len(doubles) / len(visits) <= 0.13
    assert all("hoist" in v["skills"].split(";") and "hoist transfer" in v["tasks"]
               for v in doubles)


@pytest.mark.parametrize("region,size", ALL)
def test_a_few_visits_have_no_provider_yet(region, size):
    visits = sample(region, size).visits.as_dicts()
    blank = sum(v["provider_id"] == "" for v in visits)
    assert 1 <= blank <= 0.05 * len(visits)


def test_day_mix_of_services_priorities_and_preferences():
    s = sample("monmouthshire", "day")
    visits, clients = s.visits.as_dicts(), s.clients.as_dicts()
    services = Counter(v["service"] for v in visits)
    assert set(services) == SERVICES and services.most_common(1)[0][0] == "integrated"
    priorities = Counter(v["priority"] for v in visits)
    assert priorities["normal"] > priorities["high"] > priorities["critical"] > 0
    wishes = Counter(c["gender_preference"] for c in clients)
    assert 0.08 <= (wishes["female"] + wishes["male"]) / len(clients) <= 0.22
    assert wishes["male"] > 0
    assert 0 < sum(bool(c["excluded_workers"]) for c in clients) < 0.1 * len(clients)
    assert sum(bool(c["preferred_workers"]) for c in clients) > 0.1 * len(clients)
    assert any(c["access"].startswith("Key safe ") for c in clients)  # codes: access column
    assert {v["skills"] for v in visits} >= {"hoist", "dementia", "peg", ""}


@pytest.mark.parametrize("region", ["midlothian", "monmouthshire", "rutland"])
def test_names_and_addresses_exercise_escaping(region):
    clients = sample(region, "small").clients.as_dicts()
    assert any("'" in c["name"] for c in clients)
    assert any("&" in c["address"] for c in clients)


@pytest.mark.parametrize("region", ["midlothian", "monmouthshire", "rutland"])
def test_independents_work_two_or_three_areas_covering_the_region(region):
    s = sample(region, "day")
    area_of = dict(zip(s.clients.column("client_id"), s.clients.column("area")))
    independents = {p["provider_id"] for p in s.providers.as_dicts()
                    if p["kind"] == "independent"}
    areas = defaultdict(set)
    for v in s.visits.as_dicts():
        if v["provider_id"] in independents:
            areas[v["provider_id"]].add(area_of[v["client_id"]])
    assert set(areas) == independents
    assert all(2 <= len(a) <= 3 for a in areas.values())
    assert set().union(*areas.values()) == set(REGIONS[region].areas)


def test_preferences_and_exclusions_name_workers_of_the_clients_provider():
    s = sample("midlothian", "day")
    provider_of = {wid: rows[0]["provider_id"] for wid, rows in workers_by_id(s).items()}
    providers_for = defaultdict(set)
    for v in s.visits.as_dicts():
        providers_for[v["client_id"]].add(v["provider_id"])
    for c in s.clients.as_dicts():
        preferred = {w for w in c["preferred_workers"].split(";") if w}
        excluded = {w for w in c["excluded_workers"].split(";") if w}
        assert not preferred & excluded
        assert {provider_of[w] for w in preferred | excluded} <= providers_for[c["client_id"]]


def test_history_counts_four_weeks_of_visits_by_the_clients_providers():
    s = sample("rutland", "day")
    provider_of = {wid: rows[0]["provider_id"] for wid, rows in workers_by_id(s).items()}
    providers_for, per_day = defaultdict(set), Counter()
    for v in s.visits.as_dicts():
        providers_for[v["client_id"]].add(v["provider_id"])
        per_day[v["client_id"]] += int(v["carers"])
    totals = Counter()
    for h in s.history.as_dicts():
        assert int(h["visits"]) > 0
        assert provider_of[h["worker_id"]] in providers_for[h["client_id"]]
        totals[h["client_id"]] += int(h["visits"])
    assert len(totals) > 0.5 * len(s.clients.rows)
    assert all(totals[c] <= 28 * per_day[c] + 2 for c in totals)


def _main_carers(s: SampleDay) -> dict[str, str]:
    """Each client with history: the carer with most past visits (ties by id)."""
    past = defaultdict(list)
    for h in s.history.as_dicts():
        past[h["client_id"]].append((-int(h["visits"]), h["worker_id"]))
    return {c: min(rows)[1] for c, rows in past.items()}


def test_a_clients_main_carer_lives_nearer_than_the_providers_other_workers():
    # rounds are local: the main carer's home is nearer the client than most of the
    # provider's staff (under random teams the main carer is a median worker)
    s = sample("midlothian", "day")
    clients = {c["client_id"]: c for c in s.clients.as_dicts()}
    rows = workers_by_id(s)
    staff = defaultdict(list)
    for wid, r in rows.items():
        staff[r[0]["provider_id"]].append(wid)

    def away(cid: str, wid: str) -> float:
        c, w = clients[cid], rows[wid][0]
        return metres(float(c["lat"]), float(c["lon"]), float(w["home_lat"]),
                      float(w["home_lon"]))

    ranks = []
    for cid, main in _main_carers(s).items():
        others = [away(cid, w) for w in staff[rows[main][0]["provider_id"]] if w != main]
        ranks.append(sum(d < away(cid, main) for d in others) / len(others))
    ranks.sort()
    assert ranks[len(ranks) // 2] < 0.2


# ---- solvable in principle -------------------------------------------------------------------

@pytest.mark.parametrize("region,size", ALL)
def test_every_visit_has_enough_qualified_workers_on_shift(region, size):
    """Skills, gender wish, exclusions, a shift holding the window, and one worker per carer."""
    s = sample(region, size)
    workers = workers_by_id(s)
    clients = {c["client_id"]: c for c in s.clients.as_dicts()}
    for v in s.visits.as_dicts():
        client = clients[v["client_id"]]
        needs = {k for k in v["skills"].split(";") if k}
        excluded = set(client["excluded_workers"].split(";"))
        start, end, duration = (minutes(v["window_start"]), minutes(v["window_end"]),
                                int(v["duration_min"]))
        able = [wid for wid, rows in workers.items()
                if v["provider_id"] in ("", rows[0]["provider_id"])
                and needs <= set(rows[0]["skills"].split(";"))
                and client["gender_preference"] in ("", rows[0]["gender"])
                and wid not in excluded
                and any(minutes(r["shift_start"]) < end
                        and start + duration < minutes(r["shift_end"]) for r in rows)]
        assert len(able) >= int(v["carers"]), v["visit_id"]


def test_workforce_has_a_morning_pinch_but_enough_hours():
    s = sample("midlothian", "day")
    visits, shifts = s.visits.as_dicts(), s.workers.as_dicts()
    contact = sum(int(v["duration_min"]) * int(v["carers"]) for v in visits)
    paid = sum(minutes(w["shift_end"]) - minutes(w["shift_start"]) for w in shifts)
    assert 0.3 <= contact / paid <= 0.6

    def load(low: int, high: int) -> float:
        demand = sum(int(v["duration_min"]) * int(v["carers"]) for v in visits
                     if low <= minutes(v["window_start"]) < high)
        on = sum(1 for w in shifts
                 if minutes(w["shift_start"]) <= low and minutes(w["shift_end"]) >= high)
        return demand / on

    assert load(420, 600) > 1.3 * load(1200, 1320)  # morning busier per carer than bedtime


@pytest.mark.slow
def test_the_small_sample_is_mostly_placed_by_the_planner():
    import tempfile

    from carerounds.routing import SolveParams
    from carerounds.scheduler.inputs import read_day
    from carerounds.scheduler.plan import plan_day
    from carerounds.scheduler.travel import build_travel

    with tempfile.TemporaryDirectory() as folder:
        write_sample(sample("midlothian", "small", 1), Path(folder))
        day = read_day(folder, date=DATE)
    rota = plan_day(day, build_travel(day), params=SolveParams(time_limit_s=5, seed=1))
    assert len(rota.scheduled) >= 0.9 * len(day.visits)


# ---- planted duplicates and near misses ------------------------------------------------------

def visit_index(s: SampleDay) -> tuple[dict[str, dict], dict[str, dict]]:
    return ({v["visit_id"]: v for v in s.visits.as_dicts()},
            {c["client_id"]: c for c in s.clients.as_dicts()})


@pytest.mark.parametrize("region,size", ALL)
def test_planted_duplicates_are_two_providers_at_one_home_at_about_one_time(region, size):
    s = sample(region, size)
    visits, clients = visit_index(s)
    planted = s.planted_duplicates.as_dicts()
    assert len(planted) == (2 if size == "small" else 15)
    assert {p["kind"] for p in planted} == {"same_client", "same_household"}
    for p in planted:
        a, b = visits[p["visit_id_a"]], visits[p["visit_id_b"]]
        assert a["provider_id"] and b["provider_id"] and a["provider_id"] != b["provider_id"]
        assert gap_min(a, b) <= 60
        ca, cb = clients[a["client_id"]], clients[b["client_id"]]
        if p["kind"] == "same_client":
            assert ca is cb
        else:
            assert ca is not cb
            assert (ca["address"], ca["postcode"], ca["lat"], ca["lon"]) == \
                   (cb["address"], cb["postcode"], cb["lat"], cb["lon"])


@pytest.mark.parametrize("region,size", ALL)
def test_no_other_pair_of_visits_looks_like_a_duplicate(region, size):
    s = sample(region, size)
    visits, clients = visit_index(s)
    at_home = defaultdict(list)
    for v in visits.values():
        c = clients[v["client_id"]]
        at_home[(c["address"], c["postcode"])].append(v)
    found = set()
    for group in at_home.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if (a["provider_id"] and b["provider_id"] and a["provider_id"] != b["provider_id"]
                        and gap_min(a, b) <= 60):
                    found.add(tuple(sorted((a["visit_id"], b["visit_id"]))))
    assert found == {(a, b) for a, b, _ in s.planted_duplicates.rows}


@pytest.mark.parametrize("region,size", ALL)
def test_near_misses_look_alike_but_are_not_duplicates(region, size):
    s = sample(region, size)
    visits, clients = visit_index(s)
    kinds = Counter(kind for _, _, kind in s.near_misses.rows)
    assert kinds == ({"same_client_far_apart": 1, "neighbours": 1} if size == "small"
                     else {"same_client_far_apart": 5, "neighbours": 5})
    for a_id, b_id, kind in s.near_misses.rows:
        a, b = visits[a_id], visits[b_id]
        assert a["provider_id"] and b["provider_id"] and a["provider_id"] != b["provider_id"]
        ca, cb = clients[a["client_id"]], clients[b["client_id"]]
        if kind == "same_client_far_apart":
            assert ca is cb and gap_min(a, b) >= 180
        else:
            assert ca["address"] != cb["address"] and ca["postcode"] == cb["postcode"]
            assert ca["address"].split(" ", 1)[1] == cb["address"].split(" ", 1)[1]  # street
            assert 20 <= metres(float(ca["lat"]), float(ca["lon"]), float(cb["lat"]),
                                float(cb["lon"])) <= 150
            assert gap_min(a, b) <= 60


# ---- regions and bad arguments ---------------------------------------------------------------

def test_regions_hold_real_towns_with_alternative_names():
    assert set(REGIONS) == {"midlothian", "monmouthshire", "rutland"}
    welsh = {t.name: t.alt_name for t in REGIONS["monmouthshire"].towns}
    assert {k: welsh[k] for k in ("Abergavenny", "Monmouth", "Chepstow", "Usk", "Caldicot")} == {
        "Abergavenny": "Y Fenni", "Monmouth": "Trefynwy", "Chepstow": "Cas-gwent",
        "Usk": "Brynbuga", "Caldicot": "Cil-y-coed"}
    for region in REGIONS.values():
        assert {t.area for t in region.towns} == set(region.areas)
        assert all(re.fullmatch(r"[A-Z]{1,2}\d{1,2}", t.district) for t in region.towns)


@pytest.mark.parametrize("kwargs,match", [
    ({"region": "atlantis"}, "unknown region 'atlantis'; choose one of midlothian, "
                             "monmouthshire, rutland"),
    ({"size": "huge"}, "unknown size 'huge'; choose one of small, day"),
])
def test_unknown_region_or_size_is_a_value_error_listing_the_valid_ones(kwargs, match):
    arguments = {"region": "rutland", "size": "small", **kwargs}
    with pytest.raises(ValueError, match=re.escape(match)) as caught:
        generate_sample(arguments["region"], date=DATE, seed=1, size=arguments["size"])
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize("kwargs", [{"date": "2026-11-24"}, {"seed": "1"}, {"seed": 1.5}])
def test_wrong_argument_types_are_type_errors(kwargs):
    arguments = {"date": DATE, "seed": 1, **kwargs}
    with pytest.raises(TypeError):
        generate_sample("rutland", **arguments)


# ---- one list of skills, one list of regions ---------------------------------------------------

def test_skill_odds_cover_exactly_the_models_skills():
    from carerounds.scheduler import model
    from carerounds.scheduler.sample_supply import REABLEMENT_SKILL_ODDS, SAMPLE_SKILLS, WORKER_SKILL_ODDS

    assert set(WORKER_SKILL_ODDS) == set(model.SKILLS)
    assert set(REABLEMENT_SKILL_ODDS) == set(model.SKILLS)
    # a skill the sample never draws is never drawn for any provider
    assert ({s for s, p in WORKER_SKILL_ODDS.items() if p is None}
            == {s for s, p in REABLEMENT_SKILL_ODDS.items() if p is None})
    assert SAMPLE_SKILLS == tuple(s for s in model.SKILLS if s in SKILLS)
    assert set(SAMPLE_SKILLS) == SKILLS  # the contract's skills, as written in this file


@pytest.mark.parametrize("region,size", ALL)
def test_every_skill_in_the_files_is_a_model_skill_in_model_order(region, size):
    from carerounds.scheduler import model

    s = sample(region, size)
    for column in (s.workers.column("skills"), s.visits.column("skills")):
        for value in column:
            tags = [k for k in value.split(";") if k]
            assert set(tags) <= set(model.SKILLS)
            assert tags == sorted(tags, key=model.SKILLS.index)


def test_sample_regions_are_the_registrys_regions_with_its_towns():
    from carerounds.geo.regions import REGIONS as REGISTRY

    assert set(REGIONS) == set(REGISTRY)
    for name, care in REGIONS.items():
        place = REGISTRY[name]
        assert care.place is place and care.name == name
        assert care.council == place.council and care.nation == place.nation
        # the same towns in the same order (the generator's draws depend on it), plus an area
        assert [(t.name, t.lat, t.lon, t.population, t.district, t.alt_name, t.sectors)
                for t in care.towns] == [
            (t.name, t.lat, t.lon, t.population, t.district, t.alt_name, t.sectors)
            for t in place.towns]


def test_sample_regions_are_read_only():
    with pytest.raises(TypeError):
        REGIONS["atlantis"] = REGIONS["rutland"]


def test_a_registry_region_without_care_data_is_an_input_error(monkeypatch):
    from carerounds.geo import regions as geo_regions
    from carerounds.scheduler import sample as sample_module

    extra = geo_regions.Region("atlantis", "Atlantis", "england", "Atlantis Council",
                               "atlantis_osm.poly", "Atlantis", ())
    monkeypatch.setattr(geo_regions, "REGIONS", {**geo_regions.REGIONS, "atlantis": extra})
    with pytest.raises(InputError, match="no care data for region 'atlantis'"):
        sample_module.generate_sample("atlantis", date=DATE, seed=1)


def test_care_areas_must_hold_each_town_once():
    from carerounds.scheduler.sample_regions import _sample_region

    with pytest.raises(ValueError, match="each of its towns exactly once"):
        _sample_region("rutland", areas={"All": ("Oakham",)}, streets=(), rural_roads=(),
                       house_names=(), independents=())


# ---- contact numbers, access, time-critical visits (issue 15) ---------------------------------

DRAMA_NUMBER = re.compile(r"(01632 960|07700 900)[0-9]{3}")


@pytest.mark.parametrize("region,size", [("midlothian", "small"), ("rutland", "day")])
def test_every_phone_number_is_from_ofcoms_drama_ranges(region, size):
    s = sample(region, size)
    numbers = [r[3] for r in s.providers.rows] + [r[4] for r in s.providers.rows]
    numbers += [r[11] for r in s.workers.rows] + [r[11] for r in s.clients.rows if r[11]]
    numbers += [r[12].rsplit(" ", 2)[-2] + " " + r[12].rsplit(" ", 1)[-1]
                for r in s.clients.rows if r[12]]
    assert numbers and all(DRAMA_NUMBER.fullmatch(n) for n in numbers)


def test_each_worker_has_one_phone_number_and_numbers_are_not_shared():
    s = sample("midlothian", "day")
    by_worker: dict[str, set[str]] = {}
    for row in s.workers.rows:
        by_worker.setdefault(row[0], set()).add(row[11])
    assert all(len(numbers) == 1 for numbers in by_worker.values())
    phones = [next(iter(n)) for n in by_worker.values()]
    assert len(set(phones)) == len(phones)


def test_key_safe_codes_are_in_the_access_column_not_the_notes():
    s = sample("midlothian", "day")
    access = [r[13] for r in s.clients.rows if r[13]]
    assert access and all(re.search(r"(Key safe|Door code) [0-9]{4}", a) for a in access)
    assert not any(re.search(r"Key safe|Door code", r[10]) for r in s.clients.rows)


def test_some_medication_visits_are_time_critical():
    s = sample("midlothian", "day")
    flagged = [r for r in s.visits.rows if r[11] == "yes"]
    assert flagged and all("medication" in r[7] or "insulin" in r[10] for r in flagged)
    assert {r[11] for r in s.visits.rows} == {"yes", ""}
