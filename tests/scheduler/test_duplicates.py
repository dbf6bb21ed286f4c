"""Duplicate multi-provider visits: found, explained, near misses left alone, merged safely."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.routing import SolveParams
from carerounds.scheduler.cli import build_parser
from carerounds.scheduler.duplicates import find_duplicate_visits, merge_duplicates, merged_outcomes
from carerounds.scheduler.model import Client, Day, Provider, Shift, Visit, Worker
from carerounds.scheduler.outputs import DUPLICATES_COLUMNS, write_duplicates_csv
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE, tiny_tables, write_day

DALKEITH = (55.8950, -3.0680)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def client(cid: str, *, lat: float = DALKEITH[0], lon: float = DALKEITH[1],
           address: str | None = None, postcode: str = "EH22 1AA") -> Client:
    return Client(cid, f"Name of {cid}", address or f"{cid[1:]} High Street, Dalkeith", postcode,
                  lat, lon, "Dalkeith", None, frozenset(), frozenset(), "")


def visit(vid: str, cid: str, pid: str | None, start: str = "08:00", end: str = "09:00", *,
          minutes: int = 30, carers: int = 1, service: str = "integrated",
          priority: str = "normal", skills: tuple[str, ...] = (),
          tasks: tuple[str, ...] = ("personal care",)) -> Visit:
    return Visit(vid, cid, pid, hm(start), hm(end), minutes * 60, carers, frozenset(skills),
                 priority, service, tasks)


def worker(wid: str, pid: str, lat: float, lon: float) -> Worker:
    return Worker(wid, pid, f"Carer {wid}", "female", lat, lon, (Shift(hm("07:00"), hm("14:00")),),
                  frozenset({"medication", "hoist", "dementia"}), "drive")


PROVIDERS = (Provider("P1", "Council Care at Home", "in_house"),
             Provider("P2", "Esk Care & Support", "independent"),
             Provider("P3", "Council Reablement", "in_house"))


def make_day(visits, clients=None, workers=()) -> Day:
    clients = clients or tuple(client(c) for c in dict.fromkeys(v.client_id for v in visits))
    return Day(PLAN_DATE, PROVIDERS, tuple(workers), tuple(clients), tuple(visits))


@pytest.fixture
def overlapping_pair() -> Day:
    """One client, P1 08:00-09:00 for 45 min and P2 08:30-09:30 for 30 min."""
    return make_day([visit("V1", "C1", "P1", "08:00", "09:00", minutes=45),
                     visit("V2", "C1", "P2", "08:30", "09:30", minutes=30)])


# ---- finding --------------------------------------------------------------------------------

def test_overlapping_visits_of_two_providers_are_a_same_client_pair(overlapping_pair):
    (pair,) = find_duplicate_visits(overlapping_pair)
    assert (pair.visit_a, pair.visit_b, pair.match) == ("V1", "V2", "same_client")
    assert (pair.provider_a, pair.provider_b) == ("P1", "P2")
    assert (pair.overlap_s, pair.gap_s) == (30 * 60, 0)


def test_pair_says_which_visit_to_drop_and_what_it_saves(overlapping_pair):
    (pair,) = find_duplicate_visits(overlapping_pair)
    assert (pair.keep_visit, pair.drop_visit) == ("V1", "V2")
    assert pair.care_saved_s == 30 * 60  # 45 + 30 carer-min become one 45-min visit
    assert "V2 could be absorbed into V1 (the longer visit)" in pair.reason
    assert "saves 30 carer-min" in pair.reason


def test_windows_within_the_gap_are_a_pair_with_the_gap_stated():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30"),
                    visit("V2", "C1", "P2", "09:15", "09:45")])
    (pair,) = find_duplicate_visits(day)
    assert (pair.overlap_s, pair.gap_s) == (0, 45 * 60)
    assert "windows 45 min apart" in pair.reason


def test_gap_is_configurable():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30"),
                    visit("V2", "C1", "P2", "09:15", "09:45")])
    assert find_duplicate_visits(day, gap_s=30 * 60) == ()


def test_same_client_far_apart_is_not_a_pair():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30"),
                    visit("V2", "C1", "P2", "12:00", "12:30")])
    assert find_duplicate_visits(day) == ()


def test_double_up_written_as_two_rows_of_one_provider_is_not_a_pair():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30", skills=("hoist",)),
                    visit("V2", "C1", "P1", "08:00", "08:30", skills=("hoist",))])
    assert find_duplicate_visits(day) == ()


def test_double_up_visit_with_two_carers_is_not_a_pair_on_its_own():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30", carers=2),
                    visit("V2", "C1", "P1", "12:00", "12:30")])
    assert find_duplicate_visits(day) == ()


def test_reablement_handing_over_in_sequence_is_not_a_pair():
    day = make_day([visit("V1", "C1", "P3", "08:00", "08:30", minutes=30, service="reablement"),
                    visit("V2", "C1", "P2", "09:00", "09:30")])
    assert find_duplicate_visits(day) == ()


def test_handover_check_can_be_switched_off():
    day = make_day([visit("V1", "C1", "P3", "08:00", "08:30", minutes=30, service="reablement"),
                    visit("V2", "C1", "P2", "09:00", "09:30")])
    assert len(find_duplicate_visits(day, allowed_pairs=())) == 1


def test_reablement_on_site_at_the_same_time_as_another_provider_is_a_pair():
    day = make_day([visit("V1", "C1", "P3", "08:00", "09:00", minutes=45, service="reablement"),
                    visit("V2", "C1", "P2", "08:30", "09:30")])
    assert [p.match for p in find_duplicate_visits(day)] == ["same_client"]


def test_allowed_pair_may_name_providers():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30"),
                    visit("V2", "C1", "P2", "09:15", "09:45")])
    assert find_duplicate_visits(day, allowed_pairs=(("P1", "P2"),)) == ()


def test_clients_at_one_address_spelt_differently_are_a_household():
    clients = [client("C1", address="Flat 2, 14 Eskdale St.", postcode="eh22 1aa"),
               client("C2", address="flat 2 14 eskdale street", postcode="EH221AA",
                      lat=DALKEITH[0] + 0.001)]  # geocoded 110 m off: the address decides
    day = make_day([visit("V1", "C1", "P1", "08:00", "09:00", minutes=45),
                    visit("V2", "C2", "P2", "08:15", "09:15")], clients)
    (pair,) = find_duplicate_visits(day)
    assert (pair.match, pair.client_a, pair.client_b) == ("same_household", "C1", "C2")
    assert pair.care_saved_s == 0
    assert "same postcode and address" in pair.reason
    assert "no care time saved (two people)" in pair.reason


def test_clients_a_few_metres_apart_are_a_household():
    clients = [client("C1", address="1 Mill Wynd"),
               client("C2", address="Mill House, Mill Wynd", lat=DALKEITH[0] + 0.00005)]
    day = make_day([visit("V1", "C1", "P1"), visit("V2", "C2", "P2")], clients)
    (pair,) = find_duplicate_visits(day)
    assert pair.match == "same_household"
    assert pair.distance_m == 6
    assert "homes 6 m apart" in pair.reason


def test_next_door_neighbours_at_the_same_time_are_not_a_household():
    clients = [client("C1", address="12 Eskdale Street"),
               client("C2", address="14 Eskdale Street", lat=DALKEITH[0] + 0.000225)]  # 25 m
    day = make_day([visit("V1", "C1", "P1"), visit("V2", "C2", "P2")], clients)
    assert find_duplicate_visits(day) == ()


def test_visit_no_provider_has_taken_pairs_with_a_providers_visit():
    day = make_day([visit("V1", "C1", "P1", minutes=45), visit("V2", "C1", None)])
    (pair,) = find_duplicate_visits(day)
    assert pair.drop_visit == "V2"
    assert "no provider yet" in pair.reason


def test_two_visits_no_provider_has_taken_are_not_a_pair():
    day = make_day([visit("V1", "C1", None), visit("V2", "C1", None)])
    assert find_duplicate_visits(day) == ()


def test_equal_length_keeps_the_in_house_providers_visit():
    day = make_day([visit("V1", "C1", "P2"), visit("V2", "C1", "P1")])
    (pair,) = find_duplicate_visits(day)
    assert (pair.keep_visit, pair.drop_visit) == ("V2", "V1")
    assert "(the in-house provider's)" in pair.reason


def test_travel_saved_is_the_dropped_providers_round_trip_from_its_nearest_home():
    near_home, far_home = (55.8700, -3.1000), (55.8260, -3.2200)
    workers = [worker("W1", "P1", *DALKEITH), worker("W2", "P2", *near_home),
               worker("W3", "P2", *far_home)]
    day = make_day([visit("V1", "C1", "P1", minutes=45), visit("V2", "C1", "P2")],
                   workers=workers)
    travel = build_travel(day)
    (pair,) = find_duplicate_visits(day, travel=travel)
    seconds = travel.matrices["drive"].duration_s
    home, target = travel.location("worker", "W2"), travel.location("client", "C1")
    assert pair.travel_saved_s == int(seconds[home, target] + seconds[target, home])
    assert "round trip from its nearest carer's home, straight-line estimate" in pair.reason


def test_travel_saved_is_unknown_without_travel(overlapping_pair):
    (pair,) = find_duplicate_visits(overlapping_pair)
    assert pair.travel_saved_s is None
    assert "travel not estimated" in pair.reason


def test_negative_gap_is_rejected(overlapping_pair):
    with pytest.raises(ValueError, match="gap_s"):
        find_duplicate_visits(overlapping_pair, gap_s=-1)


def test_reason_names_no_client_name_or_address():
    clients = [client("C1", address="Flat 2, 14 Eskdale St."),
               client("C2", address="Flat 2, 14 Eskdale Street")]
    day = make_day([visit("V1", "C1", "P1"), visit("V2", "C2", "P2")], clients)
    (pair,) = find_duplicate_visits(day)
    assert "Eskdale" not in pair.reason and "Name of" not in pair.reason


# ---- csv ----------------------------------------------------------------------------------

def test_duplicates_csv_has_the_contract_columns_and_one_row_per_pair(overlapping_pair, tmp_path):
    pairs = find_duplicate_visits(overlapping_pair)
    path = write_duplicates_csv(pairs, overlapping_pair, tmp_path / "duplicates.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == DUPLICATES_COLUMNS
    assert rows == [{
        "visit_id_a": "V1", "visit_id_b": "V2", "provider_a": "P1", "provider_b": "P2",
        "client_a": "C1", "client_b": "C1", "match": "same_client", "window_a": "08:00-09:00",
        "window_b": "08:30-09:30", "overlap_min": "30", "gap_min": "0", "drop_visit": "V2",
        "care_saved_min": "30", "travel_saved_min": "", "reason": pairs[0].reason}]


# ---- merging ------------------------------------------------------------------------------

def test_merge_makes_one_visit_with_the_longer_duration_and_both_needs():
    day = make_day([
        visit("V1", "C1", "P2", "08:00", "09:00", minutes=30, skills=("medication",),
              tasks=("personal care",)),
        visit("V2", "C1", "P1", "08:30", "09:30", minutes=45, carers=2, priority="high",
              skills=("hoist",), tasks=("hoist transfer", "personal care"))])
    merged, merges = merge_duplicates(day, find_duplicate_visits(day))
    (only,) = merged.visits
    assert only.visit_id == "V2" and only.provider_id == "P1"
    assert only.service_s == 45 * 60 and only.carers == 2 and only.priority == "high"
    assert only.skills == {"medication", "hoist"}
    assert (only.window_start_s, only.window_end_s) == (hm("08:30"), hm("09:00"))
    assert only.tasks == ("hoist transfer", "personal care")
    assert [(m.kept, m.absorbed, m.provider, m.rule) for m in merges] == [
        ("V2", "V1", "P1", "longer_then_in_house")]
    assert merges[0].reason.startswith("merged into V2 (")


def test_merge_keeps_the_kept_window_when_windows_do_not_meet():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30", minutes=45),
                    visit("V2", "C1", "P2", "09:00", "09:30")])
    merged, _ = merge_duplicates(day, find_duplicate_visits(day))
    (only,) = merged.visits
    assert (only.window_start_s, only.window_end_s) == (hm("08:00"), hm("08:30"))


def test_merge_keeps_the_kept_window_when_windows_only_touch():
    day = make_day([visit("V1", "C1", "P1", "08:00", "08:30", minutes=45),
                    visit("V2", "C1", "P2", "08:30", "09:00")])
    merged, _ = merge_duplicates(day, find_duplicate_visits(day))
    (only,) = merged.visits
    assert (only.window_start_s, only.window_end_s) == (hm("08:00"), hm("08:30"))


def test_merge_takes_the_higher_priority_of_the_absorbed_visit():
    day = make_day([visit("V1", "C1", "P1", minutes=45),
                    visit("V2", "C1", "P2", priority="critical")])
    merged, _ = merge_duplicates(day, find_duplicate_visits(day))
    assert merged.visits[0].priority == "critical"


def test_in_house_first_rule_keeps_the_in_house_visit_even_when_shorter():
    day = make_day([visit("V1", "C1", "P2", minutes=45), visit("V2", "C1", "P1", minutes=30)])
    merged, merges = merge_duplicates(day, find_duplicate_visits(day),
                                      rule="in_house_then_longer")
    assert [(v.visit_id, v.provider_id, v.service_s) for v in merged.visits] == [
        ("V2", "P1", 45 * 60)]
    assert merges[0].rule == "in_house_then_longer"


def test_kept_visit_with_no_provider_takes_the_other_provider():
    day = make_day([visit("V1", "C1", None, minutes=45), visit("V2", "C1", "P2")])
    merged, merges = merge_duplicates(day, find_duplicate_visits(day))
    assert merged.visits[0].visit_id == "V1" and merged.visits[0].provider_id == "P2"
    assert merges[0].provider == "P2"


def test_three_providers_at_once_merge_into_one_visit():
    day = make_day([visit("V1", "C1", "P1", minutes=30), visit("V2", "C1", "P2", minutes=45),
                    visit("V3", "C1", "P3", minutes=20),
                    visit("V4", "C1", "P1", "17:00", "17:30")])
    merged, merges = merge_duplicates(day, find_duplicate_visits(day))
    assert [v.visit_id for v in merged.visits] == ["V2", "V4"]
    assert sorted((m.absorbed, m.kept) for m in merges) == [("V1", "V2"), ("V3", "V2")]


def test_household_pairs_are_reported_but_never_merged():
    clients = [client("C1", address="3 Mill Wynd"), client("C2", address="3 Mill Wynd")]
    day = make_day([visit("V1", "C1", "P1"), visit("V2", "C2", "P2")], clients)
    pairs = find_duplicate_visits(day)
    merged, merges = merge_duplicates(day, pairs)
    assert len(pairs) == 1 and merges == ()
    assert merged.visits == day.visits


def test_merge_accounts_for_every_input_visit(overlapping_pair):
    merged, merges = merge_duplicates(overlapping_pair, find_duplicate_visits(overlapping_pair))
    kept = [v.visit_id for v in merged.visits]
    absorbed = [m.absorbed for m in merges]
    assert sorted(kept + absorbed) == sorted(v.visit_id for v in overlapping_pair.visits)
    assert all(m.kept in kept for m in merges)


def test_merge_rejects_an_unknown_rule(overlapping_pair):
    with pytest.raises(ValueError, match="unknown merge rule 'cheapest'"):
        merge_duplicates(overlapping_pair, (), rule="cheapest")


def test_merge_rejects_pairs_from_another_day(overlapping_pair):
    other = make_day([visit("V7", "C1", "P1", minutes=45), visit("V8", "C1", "P2")])
    with pytest.raises(ValueError, match="pair V7/V8 refers to a visit not in the day"):
        merge_duplicates(overlapping_pair, find_duplicate_visits(other))


def test_merged_outcomes_carry_status_merged_and_the_reason(overlapping_pair):
    _, merges = merge_duplicates(overlapping_pair, find_duplicate_visits(overlapping_pair))
    (outcome,) = merged_outcomes(merges)
    assert (outcome.visit_id, outcome.status, outcome.provider_id) == ("V2", "merged", "P1")
    assert outcome.reason.startswith("merged into V1 (duplicate of P2's visit")


# ---- the generated sample -------------------------------------------------------------------

def _sample(tmp_path: Path, size: str, seed: int):
    sample_module = pytest.importorskip("carerounds.scheduler.sample")
    from carerounds.scheduler.inputs import read_day

    sample = sample_module.generate_sample("midlothian", date=PLAN_DATE, seed=seed, size=size)
    folder = tmp_path / f"{size}-{seed}"
    sample_module.write_sample(sample, folder)
    return sample, read_day(folder, date=PLAN_DATE), folder


def _ids(pairs) -> set[tuple[str, str]]:
    return {tuple(sorted((p.visit_a, p.visit_b))) for p in pairs}


@pytest.mark.parametrize("size,seed", [("small", 1), ("small", 2), ("day", 1)])
def test_every_planted_duplicate_is_found_and_no_near_miss(tmp_path, size, seed):
    sample, day, folder = _sample(tmp_path, size, seed)
    with (folder / "planted_duplicates.csv").open(encoding="utf-8") as handle:
        planted = {(r["visit_id_a"], r["visit_id_b"]): r["kind"] for r in csv.DictReader(handle)}
    near = {(a, b) for a, b, _ in sample.near_misses.rows}
    assert planted and near
    pairs = find_duplicate_visits(day, travel=build_travel(day))
    found = {tuple(sorted((p.visit_a, p.visit_b))): p.match for p in pairs}
    assert {k: found.get(k) for k in planted} == planted
    assert not near & set(found)
    assert set(found) == set(planted)  # nothing else in the sample looks like a duplicate


def test_merge_mode_on_the_small_sample_plans_every_visit_once(tmp_path):
    from carerounds.scheduler.plan import plan_day

    _, day, _ = _sample(tmp_path, "small", 1)
    merged, merges = merge_duplicates(day, find_duplicate_visits(day))
    assert merges
    rota = plan_day(merged, build_travel(merged), params=SolveParams(time_limit_s=2, seed=1))
    outcomes = list(rota.outcomes) + list(merged_outcomes(merges))
    assert sorted(o.visit_id for o in outcomes) == sorted(v.visit_id for v in day.visits)
    assert all(o.reason for o in outcomes if o.status != "scheduled")


# ---- command line -------------------------------------------------------------------------

def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def _tables_without_pairs() -> dict[str, list[dict[str, str]]]:
    """The tiny day with its visit no provider has taken moved away from C3's P2 visit."""
    tables = tiny_tables()
    tables["visits.csv"][4].update(window_start="12:00", window_end="13:00")
    return tables


def test_cli_prints_pairs_writes_csv_and_exits_1(tmp_path, capsys):
    tables = _tables_without_pairs()
    tables["visits.csv"].append({**tables["visits.csv"][0], "visit_id": "V9", "provider_id": "P2",
                                 "duration_min": "20", "skills": ""})
    folder = write_day(tmp_path / "in", tables)
    code = _run(["duplicates", "--inputs", str(folder), "--date", "2026-11-24",
                 "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "1 duplicate visit pair(s)" in printed and "V1" in printed and "V9" in printed
    rows = list(csv.DictReader((tmp_path / "out" / "duplicates.csv").open(encoding="utf-8")))
    assert [(r["visit_id_a"], r["visit_id_b"], r["drop_visit"]) for r in rows] == [
        ("V1", "V9", "V9")]
    assert rows[0]["travel_saved_min"] != ""


def test_cli_exits_0_when_there_are_no_pairs(tmp_path, capsys):
    folder = write_day(tmp_path / "in", _tables_without_pairs())
    assert _run(["duplicates", "--inputs", str(folder)]) == 0
    assert "No duplicate visits found." in capsys.readouterr().out


def test_cli_gap_option_widens_the_search(tmp_path, capsys):
    tables = _tables_without_pairs()
    tables["visits.csv"].append({**tables["visits.csv"][0], "visit_id": "V9", "provider_id": "P2",
                                 "window_start": "10:00", "window_end": "10:30", "skills": ""})
    folder = write_day(tmp_path / "in", tables)
    assert _run(["duplicates", "--inputs", str(folder)]) == 0
    assert _run(["duplicates", "--inputs", str(folder), "--gap-min", "120"]) == 1


def test_cli_bad_input_raises_input_error_naming_the_file(tmp_path):
    folder = write_day(tmp_path / "in")
    (folder / "clients.csv").unlink()
    with pytest.raises(InputError, match="clients.csv: file not found"):
        _run(["duplicates", "--inputs", str(folder)])


def test_cli_rejects_a_malformed_allowed_pair(tiny_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _run(["duplicates", "--inputs", str(tiny_dir), "--allow", "reablement"])
    assert exit_info.value.code == 2
    assert "write FIRST:SECOND" in capsys.readouterr().err


def test_cli_rejects_a_negative_gap(tiny_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _run(["duplicates", "--inputs", str(tiny_dir), "--gap-min", "-5"])
    assert exit_info.value.code == 2
    assert "must be 0 or more" in capsys.readouterr().err
