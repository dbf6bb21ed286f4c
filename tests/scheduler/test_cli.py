"""One test per command (and main flag) of ``carerounds`` on the tiny day: exit code and outputs."""

from __future__ import annotations

import csv
import json
import socket

import pytest

from carerounds.scheduler.cli import build_parser, main

from ..conftest import PLAN_DATE

DATE = PLAN_DATE.isoformat()


def _plan(tiny_dir, out, *extra: str) -> int:
    return main(["plan", "--inputs", str(tiny_dir), "--out", str(out), "--date", DATE,
                 "--time-limit", "5", "--solution-limit", "20", "--quiet", *extra])


def _rota(out) -> dict:
    return json.loads((out / "rota.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("command", ["sample", "plan", "check", "roads", "duplicates",
                                     "actuals", "sheets", "map", "compare"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: carerounds " + command in capsys.readouterr().out


def test_sample_writes_a_day_that_plans(tmp_path, capsys):
    out = tmp_path / "sample"
    assert main(["sample", "--region", "monmouthshire", "--date", DATE, "--seed", "3",
                 "--out", str(out)]) == 0
    assert {p.name for p in out.glob("*.csv")} >= {"providers.csv", "workers.csv",
                                                   "clients.csv", "visits.csv"}
    assert main(["plan", "--inputs", str(out), "--out", str(tmp_path / "plan"), "--date", DATE,
                 "--time-limit", "3", "--quiet"]) == 0


def test_plan_dedupe_merge_writes_every_output_and_checks(tiny_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _plan(tiny_dir, out, "--dedupe", "merge") == 0
    data = _rota(out)
    merged = [v for v in data["visits"] if v["status"] == "merged"]
    assert len(merged) == 1 and merged[0]["reason"]
    assert data["run"]["dedupe"] == "merge"
    for name in ("merges.csv", "run_sheets.pdf", "run_sheets.html", "map.html", "report.html"):
        assert (out / name).is_file(), name
    capsys.readouterr()
    assert main(["check", "--inputs", str(tiny_dir), "--rota", str(out / "rota.json"),
                 "--quiet"]) == 0
    assert "1 merged into others" in capsys.readouterr().out


def test_plan_pool_lists_provider_changes(tiny_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _plan(tiny_dir, out, "--pool") == 0
    assert "Visits that changed provider (pool):" in capsys.readouterr().out
    assert _rota(out)["run"]["pool"] is True


def test_plan_decomposed_engine_is_recorded(tiny_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(tiny_dir, out, "--engine", "decomposed", "--processes", "1") == 0
    data = _rota(out)
    assert data["run"]["engine"] == "decomposed"
    assert {v["status"] for v in data["visits"]} <= {"scheduled", "unplaced"}


def test_plan_weights_file_is_used_and_recorded(tiny_dir, tmp_path):
    weights = tmp_path / "weights.toml"
    weights.write_text("travel_s = 3\nnon_preferred = 0\n", encoding="utf-8")
    out = tmp_path / "out"
    assert _plan(tiny_dir, out, "--weights", str(weights)) == 0
    assert _rota(out)["run"]["weights"]["travel_s"] == 3


def test_plan_records_seed_limits_and_date(tiny_dir, tmp_path):
    out = tmp_path / "out"
    assert _plan(tiny_dir, out, "--seed", "7") == 0
    data = _rota(out)
    assert (data["run"]["seed"], data["run"]["solution_limit"], data["date"]) == (7, 20, DATE)
    rows = list(csv.DictReader((out / "rota.csv").open(encoding="utf-8")))
    assert rows


def test_plan_bad_weights_file_is_exit_2(tiny_dir, tmp_path, capsys):
    weights = tmp_path / "weights.toml"
    weights.write_text("travel_s = -1\n", encoding="utf-8")
    assert _plan(tiny_dir, tmp_path / "out", "--weights", str(weights)) == 2
    assert "travel_s" in capsys.readouterr().err


def test_duplicates_exits_1_with_pairs_and_writes_csv(tiny_dir, tmp_path, capsys):
    out = tmp_path / "dups"
    assert main(["duplicates", "--inputs", str(tiny_dir), "--date", DATE,
                 "--out", str(out)]) == 1
    rows = list(csv.DictReader((out / "duplicates.csv").open(encoding="utf-8")))
    assert len(rows) == 1


def test_roads_fetch_offline_fails_at_once_with_exit_3(tmp_path, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", offline)
    assert main(["roads", "fetch", "--region", "rutland",
                 "--out", str(tmp_path / "r.graphml")]) == 3
    assert "cannot reach" in capsys.readouterr().err
    assert not (tmp_path / "r.graphml").exists()


def test_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["replan-everything"])
    assert done.value.code == 2


def test_plan_shows_each_phase_including_writing_the_outputs(tiny_dir, tmp_path, capsys):
    code = main(["plan", "--inputs", str(tiny_dir), "--out", str(tmp_path / "out"), "--date", DATE,
                 "--time-limit", "5", "--solution-limit", "20"])
    err = capsys.readouterr().err
    assert code == 0
    for phase in ("Reading inputs", "Optimising rounds", "Writing rota, reports, run sheets and maps"):
        assert f"done {phase}" in err
