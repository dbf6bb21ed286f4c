"""Scenario changes, TOML scenario files, scenario travel, metrics, compare and its CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import shapely

from carerounds.errors import InputError
from carerounds.geo import Area, haversine_m
from carerounds.routing import SolveParams
from carerounds.scheduler.build import PlanOptions
from carerounds.scheduler.check import check_rota
from carerounds.scheduler.cli import build_parser
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.rota import PlannedBreak, PlannedShift, PlannedStop, Rota, VisitOutcome
from carerounds.scheduler.travel import build_travel
from carerounds.scheduler.whatif.scenarios import (
    PATCH_TAG,
    AddWorkers,
    ChangeTravelMode,
    ChangeWeights,
    Metric,
    RemoveProvider,
    RemoveWorkers,
    RestrictToPatches,
    ScaleDemand,
    Scenario,
    ScenarioRun,
    SetPool,
    compare,
    comparison_frame,
    comparison_table,
    read_scenario,
    rota_metrics,
    run_scenarios,
    scenario_travel,
    worker_areas,
)

from ...conftest import PLAN_DATE, SHARED, tiny_tables, write_day

OPTIONS = PlanOptions()
H = 3600


@pytest.fixture
def day(tiny_dir):
    """The tiny day: W1 (P1, Dalkeith, split shift), W2 (P1, Bonnyrigg), W3 (P2, Penicuik)."""
    return read_day(tiny_dir, date=PLAN_DATE)


def east_west() -> tuple[Area, ...]:
    """West (Penicuik, Bonnyrigg) and East (Dalkeith) of the tiny day, split at 3.09 W."""
    return (Area("West", shapely.box(-3.30, 55.80, -3.09, 55.95)),
            Area("East", shapely.box(-3.09, 55.80, -2.90, 55.95)))


# ---- AddWorkers --------------------------------------------------------------------------------

def test_added_workers_copy_a_provider_workers_shifts_skills_and_hours(day):
    new, _ = AddWorkers("P2", 2).apply(day, OPTIONS)
    added = new.workers[len(day.workers):]
    assert [w.worker_id for w in added] == ["NEW-W1", "NEW-W2"]
    w3 = day.worker_by_id["W3"]
    times = [(s.start_s, s.end_s) for s in w3.shifts]
    assert all((w.provider_id, [(s.start_s, s.end_s) for s in w.shifts], w.skills, w.max_work_s)
               == ("P2", times, w3.skills, w3.max_work_s) for w in added)


def test_added_workers_live_near_clients_of_the_area(day):
    new, _ = AddWorkers("P1", 3, area="Penicuik", jitter_m=300).apply(day, OPTIONS)
    c3 = day.client_by_id["C3"]
    for w in new.workers[len(day.workers):]:
        assert haversine_m(w.home_lat, w.home_lon, c3.lat, c3.lon) <= 301


def test_given_shifts_and_skills_override_the_copy(day):
    change = AddWorkers("P1", 1, shifts_s=((16 * H, 22 * H),), skills=frozenset({"peg"}),
                        travel_mode="walk")
    added = change.apply(day, OPTIONS)[0].workers[-1]
    assert (added.shifts[0].start_s, added.shifts[0].end_s) == (16 * H, 22 * H)
    assert (added.skills, added.travel_mode) == ({"peg"}, "walk")


def test_added_workers_same_seed_same_homes(day):
    homes = [tuple((w.home_lat, w.home_lon) for w in
                   AddWorkers("P1", 2).apply(day, OPTIONS, seed=s)[0].workers[-2:])
             for s in (5, 5, 6)]
    assert homes[0] == homes[1] != homes[2]


def test_adding_to_an_unknown_provider_is_an_input_error(day):
    with pytest.raises(InputError, match="unknown provider") as info:
        AddWorkers("P9", 1).apply(day, OPTIONS)
    assert (info.value.id, info.value.field) == ("P9", "provider")


def test_adding_zero_workers_is_an_input_error():
    with pytest.raises(InputError, match="at least 1"):
        AddWorkers("P1", 0)


def test_adding_in_an_unknown_area_is_an_input_error(day):
    with pytest.raises(InputError, match="no clients in this area"):
        AddWorkers("P1", 1, area="Atlantis").apply(day, OPTIONS)


# ---- RemoveWorkers -----------------------------------------------------------------------------

def test_worker_area_is_that_of_the_nearest_client(day):
    assert worker_areas(day) == {"W1": "Dalkeith", "W2": "Bonnyrigg", "W3": "Penicuik"}


def test_remove_a_providers_workers(day):
    new, _ = RemoveWorkers(provider="P1").apply(day, OPTIONS)
    assert [w.worker_id for w in new.workers] == ["W3"]


def test_removed_workers_leave_clients_preferences_and_exclusions(day):
    new, _ = RemoveWorkers(provider="P1").apply(day, OPTIONS)
    assert new.client_by_id["C1"].preferred_workers == frozenset()
    assert new.client_by_id["C2"].excluded_workers == frozenset()


def test_remove_workers_by_area(day):
    new, _ = RemoveWorkers(area="Penicuik").apply(day, OPTIONS)
    assert "W3" not in new.worker_by_id and len(new.workers) == 2


def test_shift_band_removes_only_those_shifts(day):
    new, _ = RemoveWorkers(shift_band_s=(15 * H, 24 * H)).apply(day, OPTIONS)
    w1 = new.worker_by_id["W1"]
    assert [(s.start_s, s.end_s) for s in w1.shifts] == [(7 * H, 12 * H)]
    assert len(new.workers) == 3


def test_remove_a_seeded_count_of_the_selected_workers(day):
    first = RemoveWorkers(provider="P1", count=1).apply(day, OPTIONS, seed=2)[0]
    again = RemoveWorkers(provider="P1", count=1).apply(day, OPTIONS, seed=2)[0]
    assert len(first.workers) == 2
    assert [w.worker_id for w in first.workers] == [w.worker_id for w in again.workers]


def test_fraction_is_rounded_half_up(day):
    new, _ = RemoveWorkers(fraction=0.5).apply(day, OPTIONS)  # 1.5 of 3 -> 2
    assert len(new.workers) == 1


def test_removing_workers_that_do_not_exist_is_an_input_error(day):
    with pytest.raises(InputError, match="no workers match"):
        RemoveWorkers(provider="P2", area="Dalkeith").apply(day, OPTIONS)


def test_removing_more_workers_than_match_is_an_input_error(day):
    with pytest.raises(InputError, match="only 2 workers match"):
        RemoveWorkers(provider="P1", count=3).apply(day, OPTIONS)


def test_removing_an_unknown_worker_id_is_an_input_error(day):
    with pytest.raises(InputError, match="unknown worker") as info:
        RemoveWorkers(worker_ids=frozenset({"W9"})).apply(day, OPTIONS)
    assert info.value.id == "W9"


def test_count_and_fraction_together_is_an_input_error():
    with pytest.raises(InputError, match="not both"):
        RemoveWorkers(count=1, fraction=0.5)


@pytest.mark.parametrize("fraction", [0, 1.5])
def test_fraction_outside_zero_to_one_is_an_input_error(fraction):
    with pytest.raises(InputError, match="fraction"):
        RemoveWorkers(fraction=fraction)


# ---- RemoveProvider ----------------------------------------------------------------------------

def test_a_leaving_provider_takes_its_workers_and_leaves_its_visits_blank(day):
    new, _ = RemoveProvider("P1").apply(day, OPTIONS)
    assert [p.provider_id for p in new.providers] == ["P2"]
    assert [w.worker_id for w in new.workers] == ["W3"]
    assert {v.visit_id: v.provider_id for v in new.visits if v.visit_id in {"V1", "V2", "V4"}} \
        == {"V1": None, "V2": None, "V4": None}


def test_a_leaving_provider_hands_its_visits_to_a_named_one(day):
    new, _ = RemoveProvider("P1", to="P2").apply(day, OPTIONS)
    assert {v.provider_id for v in new.visits} == {"P2", None}


def test_handing_visits_to_an_unknown_provider_is_an_input_error(day):
    with pytest.raises(InputError, match="unknown provider") as info:
        RemoveProvider("P1", to="P7").apply(day, OPTIONS)
    assert info.value.field == "to"


def test_handing_visits_to_itself_is_an_input_error(day):
    with pytest.raises(InputError, match="itself"):
        RemoveProvider("P1", to="P1").apply(day, OPTIONS)


# ---- ScaleDemand -------------------------------------------------------------------------------

def test_demand_growth_clones_a_client_with_all_their_visits(day):
    new, _ = ScaleDemand(2.0, area="Dalkeith").apply(day, OPTIONS)
    clone = new.client_by_id["C1-N1"]
    assert (clone.area, clone.preferred_workers, clone.excluded_workers) == \
        ("Dalkeith", frozenset(), frozenset())
    visits = [v for v in new.visits if v.client_id == "C1-N1"]
    assert [v.visit_id for v in visits] == ["V1-N1", "V4-N1"]
    assert [v.provider_id for v in visits] == ["P1", "P1"]


def test_cloned_clients_live_within_the_jitter_radius(day):
    new, _ = ScaleDemand(3.0, jitter_m=200).apply(day, OPTIONS)
    for clone in new.clients[len(day.clients):]:
        original = day.client_by_id[clone.client_id.split("-N")[0]]
        assert haversine_m(clone.lat, clone.lon, original.lat, original.lon) <= 201


def test_cloned_clients_carry_no_name_or_address_of_the_original(day):
    new, _ = ScaleDemand(2.0, area="Dalkeith").apply(day, OPTIONS)
    clone = new.client_by_id["C1-N1"]
    assert "Dora" not in clone.name and "High Street" not in clone.address


def test_unassigned_growth_gives_new_visits_no_provider(day):
    new, _ = ScaleDemand(2.0, area="Dalkeith", unassigned=True).apply(day, OPTIONS)
    assert {v.provider_id for v in new.visits if v.client_id == "C1-N1"} == {None}


def test_twenty_percent_more_rounds_half_up(day):
    new, _ = ScaleDemand(1.2).apply(day, OPTIONS)  # 0.6 of a client -> 1
    assert len(new.clients) == 4


def test_demand_shrink_removes_clients_with_their_visits(day):
    new, _ = ScaleDemand(0.5).apply(day, OPTIONS, seed=1)  # 1.5 fewer -> 1 fewer
    gone = set(day.client_by_id) - set(new.client_by_id)
    assert len(gone) == 1
    assert not any(v.client_id in gone for v in new.visits)


def test_same_seed_same_clones(day):
    a = ScaleDemand(3.0).apply(day, OPTIONS, seed=4)[0]
    b = ScaleDemand(3.0).apply(day, OPTIONS, seed=4)[0]
    assert a.clients == b.clients


@pytest.mark.parametrize("factor", [0, -1, "two"])
def test_a_factor_that_is_not_above_zero_is_an_input_error(factor):
    with pytest.raises(InputError, match="factor"):
        ScaleDemand(factor)


def test_scaling_an_unknown_area_is_an_input_error(day):
    with pytest.raises(InputError, match="no clients in this area"):
        ScaleDemand(1.2, area="Atlantis").apply(day, OPTIONS)


# ---- RestrictToPatches -------------------------------------------------------------------------

def test_patches_tag_visits_with_their_clients_patch(day):
    new, _ = RestrictToPatches(patches=east_west()).apply(day, OPTIONS)
    tags = {v.visit_id: {s for s in v.skills if s.startswith(PATCH_TAG)} for v in new.visits}
    assert tags == {"V1": {"patch:East"}, "V2": {"patch:West"}, "V3": {"patch:West"},
                    "V4": {"patch:East"}, "V5": {"patch:West"}}


def test_patches_tag_workers_with_their_homes_patch(day):
    new, _ = RestrictToPatches(patches=east_west()).apply(day, OPTIONS)
    assert {w.worker_id: w.skills & {"patch:East", "patch:West"} for w in new.workers} == \
        {"W1": {"patch:East"}, "W2": {"patch:West"}, "W3": {"patch:West"}}


def test_patch_working_pools_providers_unless_told_not_to(day):
    assert RestrictToPatches(patches=east_west()).apply(day, OPTIONS)[1].pool is True
    assert RestrictToPatches(patches=east_west(), pool=False).apply(day, OPTIONS)[1].pool is False


def test_applying_patches_again_replaces_the_old_tag(day):
    once, _ = RestrictToPatches(patches=east_west()).apply(day, OPTIONS)
    whole = (Area("All", shapely.box(-3.3, 55.8, -2.9, 55.95)),)
    twice, _ = RestrictToPatches(patches=whole).apply(once, OPTIONS)
    assert {s for s in twice.visit_by_id["V1"].skills if s.startswith(PATCH_TAG)} == {"patch:All"}


def test_planned_patch_day_keeps_every_worker_in_their_patch(day):
    new, options = RestrictToPatches(patches=east_west()).apply(day, OPTIONS)
    travel = build_travel(new)
    rota = plan_day(new, travel, params=SolveParams(time_limit_s=1, seed=1), options=options)
    assert check_rota(new, rota, travel) == []
    patch = {c.client_id: next(iter(new.visit_by_id[v.visit_id].skills & {"patch:East",
                                                                              "patch:West"}))
             for c in new.clients for v in new.visits if v.client_id == c.client_id}
    for shift in rota.shifts:
        for stop in shift.stops:
            assert patch[stop.client_id] in new.worker_by_id[shift.worker_id].skills
    assert rota.scheduled  # the rule did not simply empty the rota


def test_patches_built_from_areas_when_applied(day):
    cells = tuple(Area(f"c{i}", shapely.box(-3.3 + 0.1 * i, 55.8, -3.2 + 0.1 * i, 55.95))
                  for i in range(4))
    patches = RestrictToPatches(areas=cells, count=2).resolve(day)
    assert len(patches) == 2


def test_patches_need_either_polygons_or_areas():
    with pytest.raises(InputError, match="either patches or areas"):
        RestrictToPatches()


def test_building_patches_needs_a_count():
    with pytest.raises(InputError, match="at least 1"):
        RestrictToPatches(areas=east_west())


# ---- weights, travel mode, pool ----------------------------------------------------------------

def test_change_weights_changes_only_those_named():
    _, options = ChangeWeights.of(non_preferred=1200).apply(None, OPTIONS)
    assert options.weights == replace(OPTIONS.weights, non_preferred=1200)


def test_unknown_weight_is_an_input_error():
    with pytest.raises(InputError, match="unknown weight"):
        ChangeWeights.of(kindness=5)


def test_negative_weight_is_an_input_error():
    with pytest.raises(InputError, match="non-negative"):
        ChangeWeights.of(travel_s=-1)


def test_travel_mode_changes_the_selected_workers(day):
    new, _ = ChangeTravelMode("walk", area="Dalkeith").apply(day, OPTIONS)
    assert {w.worker_id: w.travel_mode for w in new.workers} == \
        {"W1": "walk", "W2": "drive", "W3": "drive"}


def test_unknown_travel_mode_is_an_input_error():
    with pytest.raises(InputError, match="cycle"):
        ChangeTravelMode("cycle")


def test_set_pool_sets_the_plan_option(day):
    assert SetPool().apply(day, OPTIONS)[1].pool is True


# ---- Scenario ----------------------------------------------------------------------------------

def test_applying_a_scenario_leaves_the_base_day_unchanged(day):
    before = (day.workers, day.clients, day.visits)
    Scenario("s", (RemoveProvider("P1"), ScaleDemand(2.0))).apply(day)
    assert (day.workers, day.clients, day.visits) == before


def test_changes_apply_in_order(day):
    scenario = Scenario("s", (ScaleDemand(2.0, area="Dalkeith"),
                              RestrictToPatches(patches=east_west())))
    new, _ = scenario.apply(day)
    assert "patch:East" in new.visit_by_id["V1-N1"].skills


def test_then_adds_changes_to_a_copy():
    base = Scenario("s", (SetPool(),))
    more = base.then(ScaleDemand(1.2))
    assert (len(base.changes), len(more.changes)) == (1, 2)


def test_the_scenario_seed_wins_over_the_callers(day):
    scenario = Scenario("s", (ScaleDemand(3.0),), seed=11)
    assert scenario.apply(day, seed=1)[0].clients == scenario.apply(day, seed=2)[0].clients


def test_a_failing_change_is_named_in_the_error(day):
    scenario = Scenario("growth", (SetPool(), ScaleDemand(1.2, area="Atlantis")))
    with pytest.raises(InputError, match=r"scenario 'growth' change 2 \(scale_demand\)"):
        scenario.apply(day)


def test_scenario_slug_is_safe_for_a_folder():
    assert Scenario("demand +20% / North").slug == "demand-20-North"


def test_a_scenario_needs_a_name():
    with pytest.raises(InputError, match="needs a name"):
        Scenario(" ")


# ---- TOML scenario files -----------------------------------------------------------------------

@pytest.mark.parametrize("table, expected", [
    ('kind = "add_workers"\nprovider = "P1"\ncount = 2\nshifts = ["07:00-13:00"]\n'
     'skills = ["hoist"]', AddWorkers("P1", 2, shifts_s=((7 * H, 13 * H),),
                                      skills=frozenset({"hoist"}))),
    ('kind = "remove_workers"\nprovider = "P1"\nshift_band = "16:00-24:00"\nfraction = 0.5',
     RemoveWorkers(provider="P1", shift_band_s=(16 * H, 24 * H), fraction=0.5)),
    ('kind = "remove_workers"\nworkers = ["W1", "W2"]',
     RemoveWorkers(worker_ids=frozenset({"W1", "W2"}))),
    ('kind = "remove_provider"\nprovider = "P2"\nto = "P1"', RemoveProvider("P2", to="P1")),
    ('kind = "scale_demand"\nfactor = 1.2\narea = "North"', ScaleDemand(1.2, area="North")),
    ('kind = "weights"\nnon_preferred = 1200', ChangeWeights((("non_preferred", 1200),))),
    ('kind = "travel_mode"\nmode = "walk"\narea = "Dalkeith"',
     ChangeTravelMode("walk", area="Dalkeith")),
    ('kind = "pool"', SetPool()),
])
def test_toml_change_kinds(tmp_path, table, expected):
    path = tmp_path / "s.toml"
    path.write_text(f'name = "s"\nseed = 3\n[[change]]\n{table}\n', encoding="utf-8")
    scenario = read_scenario(path)
    assert (scenario.name, scenario.seed, scenario.changes) == ("s", 3, (expected,))


def test_toml_name_defaults_to_the_file_name(tmp_path):
    path = tmp_path / "more-carers.toml"
    path.write_text('[[change]]\nkind = "pool"\n', encoding="utf-8")
    assert read_scenario(path).name == "more-carers"


def test_toml_patch_file_is_found_beside_the_scenario(tmp_path):
    features = [{"type": "Feature", "properties": {"name": a.name},
                 "geometry": shapely.geometry.mapping(a.geometry)} for a in east_west()]
    (tmp_path / "p.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                                    "features": features}), encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text('[[change]]\nkind = "restrict_to_patches"\npatches = "p.geojson"\n',
                    encoding="utf-8")
    change = read_scenario(path).changes[0]
    assert [p.name for p in change.patches] == ["West", "East"] and change.source == "p.geojson"


@pytest.mark.parametrize("text, message, field", [
    ('[[change]]\nkind = "teleport"', "kind must be one of", "change 1: kind"),
    ('[[change]]\nkind = "pool"\ncolour = "red"', "unknown key for pool", "change 1: colour"),
    ('[[change]]\nkind = "scale_demand"', "missing required key", "change 1: factor"),
    ('[[change]]\nkind = "scale_demand"\nfactor = 0', "above 0", "change 1: factor"),
    ('[[change]]\nkind = "remove_workers"\nshift_band = "late"', "not a band",
     "change 1: shift_band"),
    ('[[change]]\nkind = "add_workers"\nprovider = "P1"\ncount = 1\nskills = "hoist"',
     "not a list", "change 1: skills"),
    ('[[change]]\nkind = "weights"\nspeed = 3', "unknown weight", "change 1: speed"),
    ('[[change]]\nkind = "restrict_to_patches"\ncount = 3', "either patches",
     "change 1: patches"),
    ('colour = "red"', "unknown key", "colour"),
    ('seed = "one"', "whole number", "seed"),
    ('[[change]]\nkind = "pool"\n[[change]]\nkind = "travel_mode"\nmode = "fly"',
     "is not one of", "change 2: mode"),
])
def test_bad_toml_scenario_is_an_input_error_naming_file_and_field(tmp_path, text, message,
                                                                   field):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        read_scenario(path)
    assert (info.value.file, info.value.field) == ("bad.toml", field)


def test_missing_scenario_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found") as info:
        read_scenario(tmp_path / "nope.toml")
    assert info.value.file == "nope.toml"


def test_invalid_toml_is_an_input_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        read_scenario(path)


def test_patch_areas_without_count_is_an_input_error(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[change]]\nkind = "restrict_to_patches"\nareas = "a.geojson"\n',
                    encoding="utf-8")
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "A"},
         "geometry": shapely.geometry.mapping(east_west()[0].geometry)}]}), encoding="utf-8")
    with pytest.raises(InputError, match="needs count"):
        read_scenario(path)


# ---- scenario travel ---------------------------------------------------------------------------

def test_scenario_travel_reuses_the_base_when_it_covers_the_day(day):
    base = build_travel(day)
    fewer, _ = RemoveProvider("P1").apply(day, OPTIONS)
    assert scenario_travel(base, fewer) is base


def test_scenario_travel_adds_new_places(day):
    base = build_travel(day)
    more, _ = ScaleDemand(2.0, area="Dalkeith").apply(day, OPTIONS)
    travel = scenario_travel(base, more)
    assert travel.matrices["drive"].size == base.matrices["drive"].size + 1
    new, old = travel.location("client", "C1-N1"), travel.location("client", "C1")
    assert 0 < travel.matrices["drive"].duration_s[old, new] < 600  # within 500 m


def test_scenario_travel_adds_a_new_mode(day):
    base = build_travel(day)
    walking, _ = ChangeTravelMode("walk").apply(day, OPTIONS)
    assert set(scenario_travel(base, walking).matrices) == {"drive", "walk"}


TOWN = Path(__file__).resolve().parents[2] / "fixtures" / "osm" / "town.osm"
#: The tiny day moved onto tests/fixtures/osm/town.osm: homes on the street grid, C2 on
#: the island lane no road reaches, C3 about 200 m north of the last street.
TOWN_HOMES = {"W1": (52.6700, -0.7300), "W2": (52.6710, -0.7285), "W3": (52.6720, -0.7270),
              "C1": (52.6711, -0.7284), "C2": (52.6712, -0.7136), "C3": (52.6738, -0.7290)}


@pytest.fixture(scope="module")
def town_roads():
    """town.osm's roads with no connectivity check, so the island lane stays unreachable."""
    import osmnx as ox

    from carerounds.geo import RoadNetwork

    raw = ox.graph_from_xml(TOWN, simplify=False, retain_all=True)
    raw.remove_edges_from([(u, v, k) for u, v, k, d in raw.edges(keys=True, data=True)
                           if d["highway"] == "footway"])
    raw.remove_nodes_from([n for n in list(raw.nodes) if raw.degree(n) == 0])
    return RoadNetwork.from_graph(ox.simplify_graph(raw), largest_component=False)


@pytest.fixture
def town_day(tmp_path, monkeypatch, town_roads):
    """The tiny day in the town; build_travel(roads=TOWN) loads ``town_roads``."""
    import carerounds.geo

    tables = tiny_tables()
    for row in tables["workers.csv"]:
        row["home_lat"], row["home_lon"] = (str(x) for x in TOWN_HOMES[row["worker_id"]])
    for row in tables["clients.csv"]:
        row["lat"], row["lon"] = (str(x) for x in TOWN_HOMES[row["client_id"]])
    monkeypatch.setattr(carerounds.geo, "load_network",
                        lambda path, *, mode="drive", cache_dir=None: town_roads)
    return read_day(write_day(tmp_path / "town", tables), date=PLAN_DATE)


def test_scenario_travel_warns_as_build_travel_does(town_day):
    base = build_travel(town_day, roads=TOWN, max_snap_m=100)
    more, _ = ScaleDemand(3.0, jitter_m=300).apply(town_day, OPTIONS, seed=1)
    travel = scenario_travel(base, more, max_snap_m=100)
    direct = build_travel(more, roads=TOWN, max_snap_m=100)
    assert travel is not base and travel.roads == direct.roads == "town.osm"
    assert travel.warnings == direct.warnings
    assert any(w.endswith("to clients.csv row 3, client C2") for w in travel.warnings)
    assert any("client C3: " in w and "(more than 100 m)" in w for w in travel.warnings)
    assert any(w.endswith("more unreachable pairs") for w in travel.warnings)
    assert travel.places == direct.places and travel.index == direct.index
    for mode in direct.matrices:
        assert (travel.matrices[mode].duration_s == direct.matrices[mode].duration_s).all()
        assert (travel.matrices[mode].distance_m == direct.matrices[mode].distance_m).all()
        assert travel.matrices[mode].unreachable == direct.matrices[mode].unreachable
        assert (travel.snap_m[mode] == direct.snap_m[mode]).all()
        assert (travel.network_nodes[mode] == direct.network_nodes[mode]).all()


def test_scenario_travel_snap_warnings_follow_max_snap_m(town_day):
    base = build_travel(town_day, roads=TOWN, max_snap_m=100)
    more, _ = ScaleDemand(3.0, jitter_m=300).apply(town_day, OPTIONS, seed=1)
    lenient = scenario_travel(base, more, max_snap_m=5000)
    assert lenient.warnings == build_travel(more, roads=TOWN, max_snap_m=5000).warnings
    assert not any("more than" in w and " m)" in w for w in lenient.warnings)


def test_scenario_runs_carry_their_travel_warnings(town_day):
    base = build_travel(town_day, roads=TOWN, max_snap_m=100)
    grow = Scenario("grow", (ScaleDemand(3.0, jitter_m=300),), seed=1)
    (run,) = run_scenarios(town_day, grow, travel=base, include_base=False, workers=1,
                           params=SolveParams(time_limit_s=1, seed=1), max_snap_m=100)
    more, _ = grow.apply(town_day, OPTIONS)
    assert run.travel_warnings == build_travel(more, roads=TOWN, max_snap_m=100).warnings


# ---- metrics -----------------------------------------------------------------------------------

def hand_rota() -> Rota:
    """W1 does V1 and (with W2) V2; W3 does V3 and V5; V4 is unplaced."""
    w1 = PlannedShift("W1", "P1", 1, 7 * H, 12 * H, "drive", 7 * H, 11 * H,
                      (PlannedStop("V1", "C1", 7 * H + 1800, 7 * H + 1800, 8 * H, 600, 5000),
                       PlannedStop("V2", "C2", 9 * H, 9 * H, 9 * H + 2700, 900, 6000, "W2")),
                      return_travel_s=900, return_distance_m=6000,
                      breaks=(PlannedBreak(10 * H, 1200),))
    w2 = PlannedShift("W2", "P1", 1, 7 * H, 12 * H, "walk", 8 * H + 3000, 10 * H,
                      (PlannedStop("V2", "C2", 9 * H, 9 * H, 9 * H + 2700, 600, 800, "W1"),),
                      return_travel_s=600, return_distance_m=800)
    w3 = PlannedShift("W3", "P2", 1, 7 * H, 12 * H, "drive", 7 * H + 1800, 11 * H,
                      (PlannedStop("V3", "C3", 8 * H, 8 * H, 8 * H + 1800, 300, 2000),
                       PlannedStop("V5", "C3", 10 * H, 10 * H, 10 * H + 1800, 0, 0)),
                      return_travel_s=300, return_distance_m=2000)
    return Rota(PLAN_DATE, (w1, w2, w3), (
        VisitOutcome("V1", "scheduled", "P1", ("W1",), 7 * H + 1800, 8 * H),
        VisitOutcome("V2", "scheduled", "P1", ("W1", "W2"), 9 * H, 9 * H + 2700),
        VisitOutcome("V3", "scheduled", "P2", ("W3",), 8 * H, 8 * H + 1800),
        VisitOutcome("V4", "unplaced", "P1", reason="capacity"),
        VisitOutcome("V5", "scheduled", "P2", ("W3",), 10 * H, 10 * H + 1800)))


@pytest.fixture
def metrics(day):
    found = rota_metrics(day, hand_rota(), violations=0)
    return {(m.metric, m.by, m.group): m.value for m in found}


def test_metrics_count_visits_and_carer_seconds(metrics):
    assert (metrics["visits", "all", ""], metrics["placed_visits", "all", ""],
            metrics["unplaced_visits", "all", ""]) == (5, 4, 1)
    # 30 + 2 x 45 + 30 + 30 min placed; V4's 15 min unplaced
    assert (metrics["placed_s", "all", ""], metrics["unplaced_s", "all", ""]) == (10_800, 900)


def test_metrics_break_unplaced_care_down_by_area_and_service(metrics):
    assert metrics["unplaced_s", "area", "Dalkeith"] == 900
    assert metrics["unplaced_s", "area", "Penicuik"] == 0
    assert metrics["unplaced_s", "service", "integrated"] == 900
    assert metrics["placed_s", "service", "adult_disability"] == 5400


def test_metrics_travel_distance_and_paid_time(metrics):
    assert metrics["travel_s", "all", ""] == 600 + 900 + 900 + 600 + 600 + 300 + 300
    assert metrics["distance_m", "all", ""] == 17_000 + 1_600 + 4_000
    # W1 4 h less a 20 min break, W2 7200 - 3000 s, W3 3.5 h
    assert metrics["paid_s", "all", ""] == (4 * H - 1200) + (2 * H - 3000) + int(3.5 * H)


def test_metrics_cost_is_paid_time_and_driven_miles_only(metrics):
    paid = (4 * H - 1200) + (2 * H - 3000) + int(3.5 * H)
    # W2 walks: its 1,600 m claim no mileage; 21,000 m driven = 13.05 miles x 45 p
    expected = (paid * 1500 * 2 + 3600) // 7200 + (21_000 * 1000 * 45 * 2 + 1_609_344) // 3_218_688
    assert metrics["cost_pence", "all", ""] == expected


def test_metrics_placed_care_by_provider(metrics):
    assert (metrics["placed_s", "provider", "P1"], metrics["placed_s", "provider", "P2"]) == \
        (1800 + 2700 + 2700, 3600)


def test_metrics_workers_and_checker_findings(metrics):
    assert (metrics["workers", "all", ""], metrics["workers_used", "all", ""]) == (3, 3)
    assert metrics["check_violations", "all", ""] == 0


def test_metrics_include_fair_work_flags_by_rule(day, metrics):
    from carerounds.scheduler.fairwork import RULES, fair_work_checks

    by_rule = {k[2]: v for k, v in metrics.items() if k[1] == "fair_work"}
    report = fair_work_checks(day, hand_rota())
    assert set(by_rule) == set(RULES)
    assert by_rule == report.counts()
    assert metrics["fair_work_flags", "all", ""] == len(report.flags)


def test_metrics_count_distinct_carers_per_client(metrics):
    # C1: W1; C2: W1, W2; C3: W3
    assert (metrics["clients_served", "all", ""], metrics["client_carer_pairs", "all", ""]) == (3, 4)


def fake_run(name: str, metrics: list[Metric]) -> ScenarioRun:
    return ScenarioRun(name, "", 0, None, OPTIONS, None, tuple(metrics), ())


def test_frame_converts_units_at_the_edge():
    frame = comparison_frame([fake_run("base", [
        Metric("placed_s", "all", "", 5400), Metric("distance_m", "all", "", 16_093),
        Metric("cost_pence", "all", "", 12_345), Metric("continuity_bp", "all", "", 7550),
        Metric("clients_served", "all", "", 4), Metric("client_carer_pairs", "all", "", 6)])])
    rows = {r.metric: (r.value, r.unit) for r in frame.itertuples()}
    assert rows["placed_hours"] == (1.5, "h")
    assert rows["distance_miles"][0] == pytest.approx(10.0, abs=0.001)
    assert rows["cost_gbp"] == (123.45, "GBP")
    assert rows["continuity_pct"] == (75.5, "%")
    assert rows["carers_per_client"] == (1.5, "count")


def test_wide_table_keeps_scenario_order_and_adds_unplaced_by_area():
    runs = [fake_run(n, [Metric("unplaced_s", "all", "", v), Metric("unplaced_s", "area", "North", v)])
            for n, v in (("base", 3600), ("patches", 7200))]
    table = comparison_table(comparison_frame(runs))
    assert list(table.columns) == ["base", "patches"]
    assert table.loc["unplaced_hours [area North]", "patches"] == 2.0


# ---- compare end to end ------------------------------------------------------------------------

def test_compare_runs_base_and_scenarios_and_checks_them(day):
    frame = compare(day, Scenario("P2 leaves", (RemoveProvider("P2"),)),
                    params=SolveParams(time_limit_s=1, seed=1), workers=1)
    head = frame[frame["by"] == "all"].pivot_table(index="metric", columns="scenario",
                                                    values="value")
    assert list(dict.fromkeys(frame["scenario"])) == ["base", "P2 leaves"]
    assert head.loc["check_violations"].tolist() == [0.0, 0.0]
    # only P2's worker has the dementia skill V3 needs
    assert head.loc["unplaced_visits", "P2 leaves"] > head.loc["unplaced_visits", "base"]


def test_compare_rejects_two_scenarios_with_one_name(day):
    with pytest.raises(InputError, match="names must be unique"):
        compare(day, Scenario("a", (SetPool(),)), Scenario("a", (SetPool(),)), workers=1)


# ---- CLI ---------------------------------------------------------------------------------------

def run_cli(argv: list[str]) -> int:
    """``carerounds`` with ``compare`` registered as the lead's CLI does, errors as main() reports them."""
    from carerounds.scheduler import cli

    sub = next(a for a in cli.build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    if "compare" in sub.choices:
        return cli.main(argv)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def test_cli_compare_prints_the_table_and_writes_outputs(tiny_dir, tmp_path, capsys):
    scenario = tmp_path / "pool.toml"
    scenario.write_text('name = "pooled"\n[[change]]\nkind = "pool"\n', encoding="utf-8")
    out = tmp_path / "out"
    code = run_cli(["compare", "--inputs", str(tiny_dir), "--scenario", str(scenario),
                    "--out", str(out), "--date", PLAN_DATE.isoformat(), "--time-limit", "1",
                    "--workers", "1", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "base" in printed and "pooled" in printed and "unplaced_hours" in printed
    assert (out / "comparison.csv").is_file() and (out / "summary.csv").is_file()
    assert (out / "pooled" / "rota.json").is_file() and (out / "base" / "unplaced.csv").is_file()


def test_cli_compare_bad_scenario_file_exits_2_naming_it(tiny_dir, tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[[change]]\nkind = "teleport"\n', encoding="utf-8")
    code = run_cli(["compare", "--inputs", str(tiny_dir), "--scenario", str(scenario),
                    "--out", str(tmp_path / "out"), "--date", PLAN_DATE.isoformat()])
    assert code == 2
    assert "bad.toml" in capsys.readouterr().err


def test_cli_compare_bad_cluster_address_exits_2(tiny_dir, tmp_path, capsys):
    scenario = tmp_path / "pool.toml"
    scenario.write_text('[[change]]\nkind = "pool"\n', encoding="utf-8")
    code = run_cli(["compare", "--inputs", str(tiny_dir), "--scenario", str(scenario),
                    "--out", str(tmp_path / "out"), "--cluster", "127.0.0.1:8786"])
    assert code == 2
    assert "not a Dask scheduler address" in capsys.readouterr().err


@pytest.mark.shared
@pytest.mark.slow
def test_cli_compare_monmouthshire_patches_and_demand_growth(shared_dir, tmp_path, capsys):
    from carerounds.scheduler.sample import generate_sample, write_sample

    date = dt.date(2026, 11, 24)
    inputs = tmp_path / "in"
    write_sample(generate_sample("monmouthshire", date=date, seed=1, size="small"), inputs)
    wards = (SHARED / "data/osm/boundaries/monmouthshire_wards_W06000021.geojson").resolve()
    (tmp_path / "patches.toml").write_text(
        'name = "patches"\n[[change]]\nkind = "restrict_to_patches"\n'
        f'areas = {json.dumps(str(wards))}\nname_field = "WD13NM"\ncount = 3\n', encoding="utf-8")
    (tmp_path / "growth.toml").write_text(
        'name = "demand +20%"\nseed = 7\n[[change]]\nkind = "scale_demand"\nfactor = 1.2\n',
        encoding="utf-8")
    out = tmp_path / "out"
    code = run_cli(["compare", "--inputs", str(inputs), "--scenario",
                    str(tmp_path / "patches.toml"), str(tmp_path / "growth.toml"),
                    "--out", str(out), "--date", date.isoformat(), "--time-limit", "2",
                    "--workers", "2", "--quiet"])
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.split()[:1] == ["base"])
    assert header.split() == ["base", "patches", "demand", "+20%"]
    for row in ("placed_visits", "unplaced_hours", "travel_hours", "continuity_pct",
                "unplaced_hours [area North]"):
        assert row in printed
    visits = next(line for line in printed.splitlines() if line.startswith("visits "))
    base_visits, patch_visits, growth_visits = (float(v) for v in visits.split()[1:])
    assert base_visits == patch_visits < growth_visits
    # 0 when every rota passes the checker; 1 (with violations.txt) when one does not
    failed = sorted(p.parent.name for p in out.glob("*/violations.txt"))
    assert code == (1 if failed else 0), failed
