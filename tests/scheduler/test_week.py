"""The care week: packages.csv, workers' days, the week sample, plan --week and check --week."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.routing import SolveParams
from carerounds.scheduler.check import Violation
from carerounds.scheduler.cli import main
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.packages import expand, read_week, recurring_key
from carerounds.scheduler.render.week_report import write_week
from carerounds.scheduler.rota import read_rota
from carerounds.scheduler.sample_week import generate_week_sample, write_week_sample
from carerounds.scheduler.travel import build_travel
from carerounds.scheduler.units import format_days, parse_days
from carerounds.scheduler.week import SETTLED, WeekOptions, WeekRules, plan_week
from carerounds.scheduler.week_check import check_week
from carerounds.scheduler.week_stats import week_stats

MONDAY = dt.date(2026, 11, 23)
WORKER = {"provider_id": "P1", "gender": "female", "home_lat": "55.8950", "home_lon": "-3.0680",
          "skills": "", "travel_mode": "drive", "max_hours": "", "days": "",
          "contract_hours_week": "", "max_hours_week": ""}
PACKAGE = {"provider_id": "P1", "days": "daily", "window_start": "08:00", "window_end": "09:00",
           "duration_min": "30", "carers": "1", "skills": "", "priority": "normal",
           "service": "integrated", "tasks": "personal care", "start_date": "", "end_date": ""}
CLIENT = {"address": "1 High Street, Dalkeith", "postcode": "EH22 1AA", "lat": "55.8960",
          "lon": "-3.0650", "area": "Dalkeith", "gender_preference": "", "preferred_workers": "",
          "excluded_workers": "", "notes": ""}


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _week_folder(folder: Path, workers: list[dict], packages: list[dict],
                 clients: list[dict] | None = None) -> Path:
    _write(folder, "providers.csv", [{"provider_id": "P1", "name": "Care at Home",
                                      "kind": "in_house"}])
    _write(folder, "workers.csv", [{**WORKER, **w} for w in workers])
    _write(folder, "clients.csv", [{**CLIENT, **c} for c in clients or [
        {"client_id": "C1", "name": "Dora O'Neill"}]])
    _write(folder, "packages.csv", [{**PACKAGE, **p} for p in packages])
    return folder


# ---- days, workers' days and packages --------------------------------------------------------


@pytest.mark.parametrize("text, days", [("Mon;Wed;Fri", {0, 2, 4}), ("daily", set(range(7))),
                                        ("weekdays", {0, 1, 2, 3, 4}), ("Sat, sunday", {5, 6}),
                                        ("TUE", {1})])
def test_parse_days(text, days):
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize("text", ["", "Mo", "Mond", "Funday", ";"])
def test_parse_days_rejects_what_is_not_a_day(text):
    with pytest.raises(ValueError):
        parse_days(text)


def test_format_days_round_trips():
    assert format_days(frozenset({0, 2, 4})) == "Mon;Wed;Fri"
    assert format_days(None) == format_days(frozenset(range(7))) == "daily"


def test_workers_days_give_each_date_its_shifts(tmp_path):
    folder = _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "14:30",
         "days": "Mon;Tue", "contract_hours_week": "16", "max_hours_week": "20"},
        # the same hours on other days, and a later shift on Monday: no overlap
        {"worker_id": "W1", "name": "Ann", "shift_start": "08:00", "shift_end": "15:00",
         "days": "Wed"},
        {"worker_id": "W1", "name": "Ann", "shift_start": "17:00", "shift_end": "20:00",
         "days": "Mon"},
        {"worker_id": "W2", "name": "Bob", "shift_start": "07:00", "shift_end": "12:00"}],
        [{"package_id": "PK1", "client_id": "C1"}])
    week = read_week(folder, start=MONDAY)
    ann = week.worker_by_id["W1"]
    assert (ann.contract_week_s, ann.max_week_s) == (16 * 3600, 20 * 3600)
    shifts = {d.strftime("%a"): [(s.start_s // 3600, s.end_s // 3600)
                                 for w in week.day(d).workers if w.worker_id == "W1"
                                 for s in w.shifts] for d in week.dates}
    assert shifts["Mon"] == [(7, 14), (17, 20)] and shifts["Tue"] == [(7, 14)]
    assert shifts["Wed"] == [(8, 15)] and shifts["Thu"] == []
    assert all(any(w.worker_id == "W2" for w in week.day(d).workers) for d in week.dates)


def test_read_day_keeps_the_shifts_of_its_weekday(tmp_path):
    folder = _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "14:30",
         "days": "Mon"},
        {"worker_id": "W2", "name": "Bob", "shift_start": "07:00", "shift_end": "12:00"}],
        [{"package_id": "PK1", "client_id": "C1"}])
    _write(folder, "visits.csv", [{"visit_id": "V1", "client_id": "C1", "provider_id": "P1",
                                   "window_start": "08:00", "window_end": "09:00",
                                   "duration_min": "30", "carers": "1", "skills": "",
                                   "priority": "normal", "service": "integrated", "tasks": ""}])
    monday = read_day(folder, date=MONDAY)
    tuesday = read_day(folder, date=MONDAY + dt.timedelta(days=1))
    assert {w.worker_id for w in monday.workers} == {"W1", "W2"}
    assert {w.worker_id for w in tuesday.workers} == {"W2"}


@pytest.mark.parametrize("second, field, words", [
    ({"shift_start": "13:00", "shift_end": "16:00", "days": "Tue;Wed"}, "shift_start",
     "overlaps the worker's shift on row 2 on Tue"),
    ({"shift_start": "15:00", "shift_end": "18:00", "contract_hours_week": "30"},
     "contract_hours_week", "differs from the worker's row 2"),
    ({"shift_start": "15:00", "shift_end": "18:00", "days": "Mon;Caturday"}, "days",
     "is not a day"),
    ({"shift_start": "15:00", "shift_end": "18:00", "max_hours_week": "200"}, "max_hours_week",
     "outside 0..168 hours"),
])
def test_worker_rows_that_contradict_each_other_name_row_and_field(tmp_path, second, field,
                                                                  words):
    first = {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "14:30",
             "days": "Mon;Tue", "contract_hours_week": "16"}
    folder = _week_folder(tmp_path, [first, {**first, **{"contract_hours_week": ""}, **second}],
                          [{"package_id": "PK1", "client_id": "C1"}])
    with pytest.raises(InputError) as err:
        read_week(folder, start=MONDAY)
    assert (err.value.file, err.value.row, err.value.field) == ("workers.csv", 3, field)
    assert words in str(err.value)


def test_packages_expand_to_dated_visits_with_stable_ids(tmp_path):
    folder = _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "22:00"}], [
        {"package_id": "PK1", "client_id": "C1", "days": "daily"},
        {"package_id": "PK1", "client_id": "C1", "days": "Mon;Wed;Fri", "window_start": "12:00",
         "window_end": "13:00"},
        {"package_id": "PK2", "client_id": "C1", "days": "weekends", "window_start": "17:00",
         "window_end": "18:00"},
        {"package_id": "PK3", "client_id": "C1", "days": "daily", "window_start": "20:00",
         "window_end": "21:00", "start_date": "2026-11-25", "end_date": "2026-11-27"}])
    week = read_week(folder, start=MONDAY)
    ids = {d.strftime("%a"): [v.visit_id for v in week.day(d).visits] for d in week.dates}
    assert ids["Mon"] == ["PK1-2026-11-23-1", "PK1-2026-11-23-2"]
    assert ids["Tue"] == ["PK1-2026-11-24-1"]
    assert ids["Wed"] == ["PK1-2026-11-25-1", "PK1-2026-11-25-2", "PK3-2026-11-25"]
    assert ids["Sat"] == ["PK1-2026-11-28-1", "PK2-2026-11-28"]
    assert ids["Fri"][-1] == "PK3-2026-11-27" and "PK3-2026-11-28" not in ids["Sat"]
    # the id is stable: the same recurring visit has one key every day
    keys = {recurring_key(v, MONDAY + dt.timedelta(days=k))
            for k, day in enumerate(ids.values()) for v in day}
    assert keys == {"PK1-1", "PK1-2", "PK2", "PK3"}
    visit = week.day(MONDAY).visit_by_id["PK1-2026-11-23-2"]
    assert (visit.window_start_s, visit.service_s, visit.row) == (12 * 3600, 1800, 3)
    assert expand(week.packages, MONDAY) == week.day(MONDAY).visits


@pytest.mark.parametrize("change, field, words", [
    ({"client_id": "C9"}, "client_id", "unknown client 'C9'"),
    ({"days": ""}, "days", "e.g. Mon;Wed;Fri or daily"),
    ({"start_date": "23/11/2026"}, "start_date", "not a date"),
    ({"start_date": "2026-11-25", "end_date": "2026-11-24"}, "end_date", "before start_date"),
    ({"provider_id": "P7"}, "provider_id", "unknown provider"),
    ({"package_id": "PK 1"}, "package_id", "not a valid id"),
])
def test_bad_package_rows_name_file_row_and_field(tmp_path, change, field, words):
    folder = _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "22:00"}],
        [{"package_id": "PK1", "client_id": "C1"}, {"package_id": "PK2", "client_id": "C1",
                                                    **change}])
    with pytest.raises(InputError) as err:
        read_week(folder, start=MONDAY)
    assert (err.value.file, err.value.row, err.value.field) == ("packages.csv", 3, field)
    assert words in str(err.value)


def test_a_package_is_one_clients_care_from_one_provider(tmp_path):
    folder = _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "22:00"}],
        [{"package_id": "PK1", "client_id": "C1"}, {"package_id": "PK1", "client_id": "C2"}],
        clients=[{"client_id": "C1", "name": "Dora"}, {"client_id": "C2", "name": "Ewan"}])
    with pytest.raises(InputError) as err:
        read_week(folder, start=MONDAY)
    assert err.value.row == 3 and "give this visit its own package_id" in str(err.value)


def test_a_week_folder_without_packages_says_how_to_make_one(tmp_path):
    folder = _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "22:00"}],
        [{"package_id": "PK1", "client_id": "C1"}])
    (folder / "packages.csv").unlink()
    with pytest.raises(InputError, match="sample --size week"):
        read_week(folder, start=MONDAY)


# ---- the week sample --------------------------------------------------------------------------


def test_week_sample_is_repeatable_and_has_days_off_and_part_timers(tmp_path):
    a = write_week_sample(generate_week_sample("midlothian", start=MONDAY, seed=4), tmp_path / "a")
    b = write_week_sample(generate_week_sample("midlothian", start=MONDAY, seed=4), tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    week = read_week(tmp_path / "a", start=MONDAY)
    days_on = Counter(sum(1 for d in week.dates if w.on(d) is not None) for w in week.workers)
    assert days_on[5] > 0 and sum(n for k, n in days_on.items() if k < 5) > 0 and days_on[7] == 0
    assert any(w.contract_week_s for w in week.workers) and any(
        w.contract_week_s is None for w in week.workers)
    patterns = Counter(format_days(p.days) for p in week.packages)
    assert patterns["daily"] > 0.6 * len(week.packages) and len(patterns) > 2
    assert any(p.end_date for p in week.packages) or any(p.start_date for p in week.packages)
    # shift patterns leave 11 hours between a day's end and the next day's start
    for worker in week.workers:
        for today, tomorrow in zip(week.dates, week.dates[1:]):
            a_day, b_day = worker.on(today), worker.on(tomorrow)
            if a_day and b_day and len({s.row for s in worker.shifts}) == len(
                    {(s.start_s, s.end_s) for s in worker.shifts}):
                gap = 86400 + b_day.shifts[0].start_s - a_day.shifts[-1].end_s
                assert gap >= 8 * 3600  # relief rows may mix early and late: the planner rests


def test_week_sample_visits_are_staffed_every_day():
    sample = generate_week_sample("monmouthshire", start=MONDAY, seed=2)
    assert sample.size == "week" and {"packages.csv", "workers.csv"} <= set(sample.files())
    workers = sample.workers.as_dicts()
    for date in (MONDAY + dt.timedelta(days=k) for k in range(7)):
        on = [w for w in workers if w["days"] == "daily"
              or date.strftime("%a") in w["days"].split(";")]
        assert len({w["worker_id"] for w in on}) > 20


# ---- planning the week ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_week(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("week") / "inputs"
    write_week_sample(generate_week_sample("midlothian", start=MONDAY, seed=1, visits=30), folder)
    return folder


#: Repeatable solves: a seed and a solution limit, a generous time limit only as a stop.
PARAMS = SolveParams(time_limit_s=10, solution_limit=10, seed=1)


@pytest.fixture(scope="module")
def small_plan(small_week):
    week = read_week(small_week, start=MONDAY)
    travel = build_travel(week.whole())
    return plan_week(week, travel, params=PARAMS, options=WeekOptions(rounds=2))


def test_every_day_checks_valid_and_the_weekly_rules_hold(small_plan):
    assert check_week(small_plan.week, small_plan.rotas, small_plan.travel) == []
    for date, rota in zip(small_plan.week.dates, small_plan.rotas):
        day = small_plan.week.day(date)
        assert {o.visit_id for o in rota.outcomes} == set(day.visit_by_id)
        assert rota.run["week"]["start"] == MONDAY.isoformat()


def test_the_last_round_continues_each_days_own_rota(small_plan):
    engines = {rota.run["engine"].removesuffix(SETTLED) for rota in small_plan.rotas}
    assert engines == {"monolithic from the day's rota of the last round"}


def test_the_week_keeps_more_of_each_clients_visits_with_their_carers(small_plan):
    week = week_stats(small_plan.week, small_plan.rotas)
    alone = week_stats(small_plan.week, small_plan.baseline)
    assert len(small_plan.baseline) == 7

    def mean_share(stats):
        shares = [c.top_share for c in stats.clients if c.top_share is not None]
        return sum(shares) / len(shares)

    # on a 30-visit week the median of 14 clients is coarse (one client moves it by
    # several points either way); the mean is not. The median is measured on the
    # Midlothian week sample (benchmarks/convrp.py --set week, docs/week.md).
    assert mean_share(week) > mean_share(alone)
    assert week.median_carers < alone.median_carers


def _rest_and_hours_week(tmp_path: Path) -> Path:
    """Ann alone does PEG care: a bedtime call Monday, an early call Tuesday (8.5 h apart);
    Bob alone does catheter care every morning but may work only 2 hours in the week."""
    return _week_folder(tmp_path, [
        {"worker_id": "W1", "name": "Ann", "shift_start": "16:00", "shift_end": "22:30",
         "days": "Mon", "skills": "peg"},
        {"worker_id": "W1", "name": "Ann", "shift_start": "06:30", "shift_end": "12:00",
         "days": "Tue", "skills": "peg"},
        {"worker_id": "W2", "name": "Bob", "shift_start": "07:00", "shift_end": "12:00",
         "skills": "catheter", "max_hours_week": "2"},
        {"worker_id": "W3", "name": "Cat", "shift_start": "07:00", "shift_end": "12:00"}], [
        {"package_id": "PK1", "client_id": "C1", "days": "Mon", "window_start": "21:30",
         "window_end": "22:00", "skills": "peg", "priority": "high"},
        {"package_id": "PK1", "client_id": "C1", "days": "Tue", "window_start": "07:00",
         "window_end": "07:30", "skills": "peg"},
        {"package_id": "PK2", "client_id": "C1", "skills": "catheter"},
        {"package_id": "PK3", "client_id": "C1", "window_start": "10:00",
         "window_end": "11:00"}])


def test_rest_between_days_and_weekly_hours_are_kept_where_independent_days_break_them(
        tmp_path):
    week = read_week(_rest_and_hours_week(tmp_path), start=MONDAY)
    plan = plan_week(week, build_travel(week.whole()), params=PARAMS,
                     options=WeekOptions(rounds=1))
    assert check_week(week, plan.rotas, plan.travel) == []
    # the independent days record no week; what they break beyond that:
    broken = {v.kind for v in check_week(week, plan.baseline, plan.travel)} - {"week_days"}
    assert broken == {"week_rest", "week_hours"}
    monday, tuesday = plan.rotas[0], plan.rotas[1]
    # the high-priority bedtime call stays, so Tuesday's early call cannot be Ann's
    assert monday.outcome("PK1-2026-11-23-1").status == "scheduled"
    assert tuesday.outcome("PK1-2026-11-24-2").status == "unplaced"
    stats = week_stats(week, plan.rotas)
    bob = next(w for w in stats.workers if w.worker_id == "W2")
    assert 0 < bob.worked_s <= 2 * 3600 and bob.days_worked < 7


def test_the_template_day_alone_is_searched_several_times_at_once(tmp_path, monkeypatch):
    import carerounds.scheduler.week as week_module

    asked = []
    real = week_module.solve

    def spy(problem, params, **kwargs):
        asked.append((params.workers, params.time_limit_s))
        return real(problem, params, **kwargs)

    monkeypatch.setattr(week_module, "solve", spy)
    week = read_week(_rest_and_hours_week(tmp_path), start=MONDAY)
    plan_week(week, build_travel(week.whole()), params=PARAMS,
              options=WeekOptions(rounds=1, baseline=False, consolidate=0,
                                  template_searches=2))
    workers, limit_s = asked[0]
    assert workers == 2 and limit_s > 2 * PARAMS.time_limit_s  # and its longer limit
    assert [workers for workers, _ in asked[1:]] == [1] * 6


def test_week_unplaced_is_the_councils_return_by_service_within_each_area(tmp_path):
    """Nobody has PEG skills: C1's mental-health package (daily) and C2's Penicuik package
    (Mon, Wed, Fri) are never placed; C1's integrated package always is."""
    folder = _week_folder(tmp_path / "in", [
        {"worker_id": "W1", "name": "Ann", "shift_start": "07:00", "shift_end": "12:00"}], [
        {"package_id": "PK1", "client_id": "C1"},
        {"package_id": "PK2", "client_id": "C1", "service": "mental_health", "skills": "peg",
         "window_start": "10:00", "window_end": "11:00"},
        {"package_id": "PK3", "client_id": "C2", "days": "Mon;Wed;Fri", "skills": "peg"}],
        clients=[{"client_id": "C1", "name": "Dora"},
                 {"client_id": "C2", "name": "Ed", "area": "Penicuik"}])
    week = read_week(folder, start=MONDAY)
    plan = plan_week(week, build_travel(week.whole()), params=PARAMS,
                     options=WeekOptions(rounds=1, baseline=False))
    write_week(plan, tmp_path / "out")
    with (tmp_path / "out" / "week_unplaced.csv").open(encoding="utf-8") as handle:
        rows = [tuple(r.values()) for r in csv.DictReader(handle)]
    assert rows == [
        ("Dalkeith", "Integrated", "0", "0", "0.0"),
        ("Dalkeith", "Mental Health", "1", "7", "3.5"),
        ("Dalkeith", "All services", "1", "7", "3.5"),
        ("Penicuik", "Integrated", "1", "3", "1.5"),
        ("Penicuik", "All services", "1", "3", "1.5"),
        ("All areas", "Integrated", "1", "3", "1.5"),
        ("All areas", "Mental Health", "1", "7", "3.5"),
        ("All areas", "All services", "2", "10", "5.0")]
    page = (tmp_path / "out" / "week_report.html").read_text(encoding="utf-8")
    assert 'aria-label="unplaced hours a week by area"' in page
    assert "<td>Penicuik</td><td>All services</td>" in page


def test_check_week_names_missing_days_short_rest_and_long_weeks(small_plan):
    week, rotas, travel = small_plan.week, list(small_plan.rotas), small_plan.travel
    found = check_week(week, rotas[:6], travel)
    assert [v.kind for v in found] == ["week_days"] and "no rota" in found[0].detail
    strict = [replace(r, run={**r.run, "week": {**r.run["week"], "rest_s": 20 * 3600,
                                                "max_week_s": 3600}}) for r in rotas]
    kinds = Counter(v.kind for v in check_week(week, strict, travel))
    assert kinds["week_rest"] > 0 and kinds["week_hours"] > 0 and set(kinds) == {
        "week_rest", "week_hours"}
    other = [replace(r, run={**r.run, "week": {**r.run["week"], "start": "2026-11-16"}})
             for r in rotas]
    assert all(isinstance(v, Violation) and v.kind == "week_days"
               for v in check_week(week, other, travel))


def test_week_rules_are_validated():
    with pytest.raises(ValueError):
        WeekRules(rest_s=-1)
    with pytest.raises(ValueError):
        WeekOptions(rounds=0)
    with pytest.raises(ValueError):
        WeekOptions(template_time=0)
    with pytest.raises(ValueError):
        WeekOptions(template_searches=0)
    with pytest.raises(ValueError):
        WeekOptions(consolidate=-1)
    with pytest.raises(ValueError):
        WeekOptions(settle=-1)
    with pytest.raises(InputError):
        WeekOptions(engine="fastest")


# ---- the command line -------------------------------------------------------------------------


def test_cli_sample_size_week_writes_the_week_files(tmp_path, capsys):
    out = tmp_path / "week"
    assert main(["sample", "--region", "midlothian", "--size", "week", "--date",
                 MONDAY.isoformat(), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "clients.csv", "history.csv", "packages.csv", "providers.csv", "workers.csv"]
    header = (out / "workers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("max_hours,phone,days,contract_hours_week,max_hours_week")
    assert len(read_week(out, start=MONDAY).day(MONDAY).visits) > 200


def test_cli_expand_writes_one_plannable_folder_per_date(small_week, tmp_path, capsys):
    out = tmp_path / "days"
    assert main(["expand", "--inputs", str(small_week), "--week", MONDAY.isoformat(),
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        (MONDAY + dt.timedelta(days=k)).isoformat() for k in range(7)]
    tuesday = MONDAY + dt.timedelta(days=1)
    day = read_day(out / tuesday.isoformat(), date=tuesday)
    week = read_week(small_week, start=MONDAY)
    assert [v.visit_id for v in day.visits] == [v.visit_id for v in week.day(tuesday).visits]
    assert {w.worker_id for w in day.workers} == {w.worker_id for w in week.day(tuesday).workers}
    assert "visits" in capsys.readouterr().out


def test_cli_plan_week_writes_every_output_and_check_week_verifies_it(small_week, tmp_path,
                                                                    capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for p in small_week.iterdir():
        (inputs / p.name).write_bytes(p.read_bytes())
    clients = list(csv.DictReader((inputs / "clients.csv").open(encoding="utf-8")))
    clients[0]["area"] = '<script>alert("x")</script> & {{7*7}}'
    _write(inputs, "clients.csv", clients)
    out = tmp_path / "out"
    code = main(["plan", "--week", MONDAY.isoformat(), "--inputs", str(inputs), "--out",
                 str(out), "--time-limit", "10", "--solution-limit", "10", "--rounds", "1",
                 "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0 and "Seven independent days" in printed and "Continuity:" in printed
    for k in range(7):
        folder = out / (MONDAY + dt.timedelta(days=k)).isoformat()
        for name in ("rota.json", "rota.csv", "unplaced.csv", "report.html"):
            assert (folder / name).is_file(), (folder, name)
    record = json.loads((out / "week.json").read_text(encoding="utf-8"))
    assert record["week"]["visits"] == sum(
        len(read_rota(out / d / "rota.json").outcomes) for d in record["dates"])
    assert record["independent_days"]["visits"] == record["week"]["visits"]
    rows = list(csv.DictReader((out / "week_clients.csv").open(encoding="utf-8")))
    assert rows and all(0 <= float(r["top3_share_pct"]) <= 100 for r in rows if r["carer_visits"]
                        != "0")
    workers = list(csv.DictReader((out / "week_workers.csv").open(encoding="utf-8")))
    assert all(r["within_limit"] == "yes" for r in workers)
    assert all(r["rest_ok"] in ("yes", "") for r in workers)
    unplaced = list(csv.DictReader((out / "week_unplaced.csv").open(encoding="utf-8")))
    assert unplaced[-1]["area"] == "All areas"
    assert int(unplaced[-1]["visits"]) == record["week"]["unplaced"]
    page = (out / "week_report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page and "{{" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#123;&#123;7*7&#125;&#125;" in page

    assert main(["check", "--week", MONDAY.isoformat(), "--inputs", str(inputs), "--rota",
                 str(out), "--quiet"]) == 0
    assert "VALID week: 7 days" in capsys.readouterr().out
    (out / MONDAY.isoformat() / "rota.json").unlink()
    assert main(["check", "--week", MONDAY.isoformat(), "--inputs", str(inputs), "--rota",
                 str(out), "--quiet"]) == 1
    assert "week_days: day 2026-11-23: no rota for this date" in capsys.readouterr().out


def test_cli_plan_week_refuses_a_single_date_too(small_week, tmp_path, capsys):
    assert main(["plan", "--week", MONDAY.isoformat(), "--date", MONDAY.isoformat(),
                 "--inputs", str(small_week), "--out", str(tmp_path)]) == 2
    assert "--date plans one day" in capsys.readouterr().err
