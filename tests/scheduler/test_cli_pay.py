"""``carerounds plan --pay FILE.toml`` on the tiny day: the pay model reaches the fair-work reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from carerounds.scheduler.cli import main

from ..conftest import PLAN_DATE


def _plan(inputs: Path, out: Path, *extra: str) -> int:
    return main(["plan", "--inputs", str(inputs), "--out", str(out), "--date",
                 PLAN_DATE.isoformat(), "--time-limit", "5", "--solution-limit", "20",
                 "--quiet", *extra])


def _workers(out: Path) -> dict[str, dict[str, str]]:
    with (out / "fair_work_workers.csv").open(encoding="utf-8", newline="") as handle:
        return {row["worker_id"]: row for row in csv.DictReader(handle)}


def _pay_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plan_pay_model_that_pays_waiting_lifts_effective_pay(tiny_dir, tmp_path):
    unpaid = _pay_file(tmp_path, "unpaid.toml", 'hourly_rate_gbp = 12.60\npaid_time = "contact"\n')
    paid = _pay_file(tmp_path, "paid.toml",
                     'hourly_rate_gbp = 12.60\npaid_time = "contact_travel_and_waiting"\n')
    assert _plan(tiny_dir, tmp_path / "a", "--pay", str(unpaid)) == 0
    assert _plan(tiny_dir, tmp_path / "b", "--pay", str(paid)) == 0
    a, b = _workers(tmp_path / "a"), _workers(tmp_path / "b")
    assert a.keys() == b.keys() and a
    rises = [w for w in a if float(b[w]["effective_hourly_gbp"]) > float(a[w]["effective_hourly_gbp"])]
    assert rises
    assert all(float(b[w]["effective_hourly_gbp"]) == 12.60 for w in b)


def test_plan_pay_model_is_recorded_with_its_hash_in_rota_json(tiny_dir, tmp_path):
    pay = _pay_file(tmp_path, "pay.toml", "hourly_rate_gbp = 13.00\n")
    assert _plan(tiny_dir, tmp_path / "out", "--pay", str(pay)) == 0
    run = json.loads((tmp_path / "out" / "rota.json").read_text(encoding="utf-8"))["run"]
    assert run["pay_model"]["file"] == "pay.toml"
    assert len(run["pay_model"]["sha256"]) == 64


def test_plan_malformed_pay_model_exits_2_naming_the_file(tiny_dir, tmp_path, capsys):
    bad = _pay_file(tmp_path, "rates.toml", "hourly_rate_gbp = = 12\n")
    assert _plan(tiny_dir, tmp_path / "out", "--pay", str(bad)) == 2
    assert "rates.toml" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_plan_pay_model_bad_value_names_the_field(tiny_dir, tmp_path, capsys):
    bad = _pay_file(tmp_path, "rates.toml", 'paid_time = "sometimes"\n')
    assert _plan(tiny_dir, tmp_path / "out", "--pay", str(bad)) == 2
    err = capsys.readouterr().err
    assert "rates.toml" in err and "paid_time" in err


def test_plan_week_with_pay_exits_2_rather_than_ignoring_it(tiny_dir, tmp_path, capsys):
    pay = _pay_file(tmp_path, "pay.toml", "hourly_rate_gbp = 13.00\n")
    assert main(["plan", "--inputs", str(tiny_dir), "--out", str(tmp_path / "out"),
                 "--week", PLAN_DATE.isoformat(), "--pay", str(pay), "--quiet"]) == 2
    assert "--pay" in capsys.readouterr().err
