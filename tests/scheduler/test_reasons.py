"""Unplaced visits name the rule that binds, found by re-testing the rota with it relaxed."""

from __future__ import annotations

import pytest

from carerounds.routing import SolveParams
from carerounds.scheduler.build import PlanOptions
from carerounds.scheduler.check import check_rota
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.plan import plan_day
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE, write_day


def _worker(wid, provider, *, gender="female", skills="hoist", max_hours=""):
    return {"worker_id": wid, "provider_id": provider, "name": f"Worker {wid}",
            "gender": gender, "home_lat": "55.8950", "home_lon": "-3.0680",
            "shift_start": "07:00", "shift_end": "12:00", "skills": skills,
            "travel_mode": "drive", "max_hours": max_hours}


def _client(cid, *, gender_preference=""):
    return {"client_id": cid, "name": f"Client {cid}", "address": f"{cid} High Street",
            "postcode": "EH22 1AA", "lat": "55.8960", "lon": "-3.0650", "area": "Dalkeith",
            "gender_preference": gender_preference, "preferred_workers": "",
            "excluded_workers": "", "notes": ""}


def _visit(vid, cid, provider, *, carers="1", skills="hoist", priority="normal"):
    return {"visit_id": vid, "client_id": cid, "provider_id": provider,
            "window_start": "09:00", "window_end": "09:15", "duration_min": "60",
            "carers": carers, "skills": skills, "priority": priority,
            "service": "integrated", "tasks": "hoist transfer"}


def _plan(tmp_path, workers, clients, visits, **options):
    tables = {"providers.csv": [{"provider_id": "P1", "name": "Council", "kind": "in_house"},
                                {"provider_id": "P2", "name": "Other", "kind": "independent"}],
              "workers.csv": workers, "clients.csv": clients, "visits.csv": visits}
    day = read_day(write_day(tmp_path / "in", tables), date=PLAN_DATE)
    travel = build_travel(day)
    rota = plan_day(day, travel, params=SolveParams(time_limit_s=2, seed=1),
                    options=PlanOptions(**options))
    assert check_rota(day, rota, travel) == []
    return rota


def test_provider_restriction_is_named_with_pool_when_another_provider_is_free(tmp_path):
    workers = [_worker("W1", "P1"), _worker("W2", "P1"), _worker("W3", "P2"),
               _worker("W4", "P2")]
    clients = [_client("C1"), _client("C2")]
    visits = [_visit("V1", "C1", "P1", carers="2", priority="critical"),
              _visit("V2", "C2", "P1", carers="2")]
    rota = _plan(tmp_path, workers, clients, visits)
    reason = rota.outcome("V2").reason
    assert rota.outcome("V2").status == "unplaced"
    assert reason.startswith("provider restriction: P1")
    assert "--pool" in reason
    pooled = _plan(tmp_path, workers, clients, visits, pool=True)
    assert pooled.outcome("V2").status == "scheduled"


def test_real_shortage_stays_capacity(tmp_path):
    workers = [_worker("W1", "P1"), _worker("W2", "P1")]
    clients = [_client("C1"), _client("C2")]
    visits = [_visit("V1", "C1", "P1", priority="critical"), _visit("V2", "C2", "P1"),
              _visit("V3", "C2", "P1")]
    rota = _plan(tmp_path, workers, clients, visits)
    unplaced = [o for o in rota.outcomes if o.status == "unplaced"]
    assert len(unplaced) == 1
    assert unplaced[0].reason.startswith("capacity: every qualified worker is busy")


def test_gender_preference_is_named(tmp_path):
    workers = [_worker("W1", "P1"), _worker("W2", "P1", gender="male")]
    clients = [_client("C1", gender_preference="female"),
               _client("C2", gender_preference="female")]
    visits = [_visit("V1", "C1", "P1", priority="critical"), _visit("V2", "C2", "P1")]
    rota = _plan(tmp_path, workers, clients, visits)
    assert rota.outcome("V2").reason.startswith("gender preference: only female workers")


def test_skill_is_named_when_unskilled_workers_are_free(tmp_path):
    workers = [_worker("W1", "P1"), _worker("W2", "P1", skills="")]
    clients = [_client("C1"), _client("C2")]
    visits = [_visit("V1", "C1", "P1", priority="critical"), _visit("V2", "C2", "P1")]
    rota = _plan(tmp_path, workers, clients, visits)
    assert rota.outcome("V2").reason.startswith("skill hoist: the workers who have it are busy")


@pytest.mark.parametrize("limit", ["0.5"])
def test_max_hours_is_named(tmp_path, limit):
    workers = [_worker("W1", "P1"), _worker("W2", "P1", max_hours=limit)]
    clients = [_client("C1"), _client("C2")]
    visits = [_visit("V1", "C1", "P1", priority="critical"), _visit("V2", "C2", "P1")]
    rota = _plan(tmp_path, workers, clients, visits)
    assert rota.outcome("V2").reason.startswith("maximum hours:")


def test_far_client_on_the_estimate_is_not_called_unreachable_on_roads(tmp_path):
    workers = [_worker("W1", "P1")]
    far = dict(_client("C1"), lat="60.15", lon="-1.15")  # Lerwick, Shetland: 8 h by estimate
    visits = [_visit("V1", "C1", "P1")]
    rota = _plan(tmp_path, workers, [far], visits)
    reason = rota.outcome("V1").reason
    assert "straight-line travel estimate" in reason
    assert "road network" not in reason
