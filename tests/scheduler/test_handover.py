"""find_handovers: the visits --pool gave to another provider's workers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from carerounds.scheduler.handover import Handover, find_handovers
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.rota import Rota, VisitOutcome

from ..conftest import PLAN_DATE


@pytest.fixture
def day(tiny_dir):
    return read_day(tiny_dir, date=PLAN_DATE)


def _rota(*outcomes: VisitOutcome) -> Rota:
    return Rota(date=PLAN_DATE, shifts=(), outcomes=outcomes)


def test_a_visit_done_by_its_own_providers_worker_is_no_handover(day):
    assert find_handovers(day, _rota(VisitOutcome("V1", "scheduled", "P1", ("W1",), 27000,
                                                  28800))) == ()


def test_a_visit_done_by_another_providers_worker_is_listed(day):
    moved = find_handovers(day, _rota(VisitOutcome("V3", "scheduled", "P1", ("W2",), 28800,
                                                   30600)))
    assert moved == (Handover("V3", "Penicuik", "P2", "P1", ("W2",), 28800),)


def test_a_double_up_lists_only_the_other_providers_worker(day):
    moved = find_handovers(day, _rota(VisitOutcome("V2", "scheduled", "P1", ("W1", "W3"),
                                                   32400, 35100)))
    assert [(h.visit_id, h.from_provider, h.to_provider, h.workers) for h in moved] == [
        ("V2", "P1", "P2", ("W3",))]


def test_a_visit_no_provider_had_taken_moves_from_nobody(day):
    assert find_handovers(day, _rota(VisitOutcome("V5", "scheduled", "P2", ("W3",), 36000,
                                                  37800))) == ()


def test_unplaced_visits_are_not_handovers(day):
    assert find_handovers(day, _rota(VisitOutcome("V3", "unplaced", None,
                                                  reason="capacity"))) == ()


def test_handovers_are_ordered_by_start(day):
    late = VisitOutcome("V3", "scheduled", "P1", ("W2",), 30000, 31800)
    early = replace(late, visit_id="V2", workers=("W3",), start_s=29000)
    assert [h.visit_id for h in find_handovers(day, _rota(late, early))] == ["V2", "V3"]


def test_a_handover_within_one_provider_is_refused():
    with pytest.raises(ValueError, match="another provider"):
        Handover("V1", "Dalkeith", "P1", "P1", ("W1",), 0)
