"""The run's time limit covers writing: how much of it the search gets."""

import pytest

from carerounds.scheduler.render import WRITE_S_PER_VISIT, WRITE_SHARE_MAX, search_budget_s


def test_a_county_day_keeps_time_for_writing():
    assert search_budget_s(300, 1490) == pytest.approx(300 - 1490 * WRITE_S_PER_VISIT)


def test_writing_never_takes_more_than_its_share_of_a_short_limit():
    assert search_budget_s(10, 1490) == pytest.approx(10 * (1 - WRITE_SHARE_MAX))


def test_an_empty_day_searches_for_the_whole_limit():
    assert search_budget_s(30, 0) == 30


def test_a_small_day_searches_for_the_whole_limit():
    assert search_budget_s(60, 5) == 60
