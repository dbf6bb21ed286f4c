"""Patch pricing and staff cost arithmetic on hand-worked cases, to the penny."""

from __future__ import annotations

import pytest

from carerounds.errors import InputError
from carerounds.scheduler.whatif.pricing import (
    CostRates,
    PatchFigures,
    PricingFactors,
    delivery_cost_pence,
    price_patch,
    price_patches,
    price_table,
    provider_payments,
    split_payment,
)

# 10 h asked for, 8 h placed with 2 h travel, half of it rural, 2 h unplaced
RURAL_PATCH = PatchFigures("Patch 01", demand_s=36_000, contact_s=28_800, travel_s=7_200,
                           rural_demand_s=18_000, unplaced_s=7_200)
# nothing placed: travel share must come from elsewhere
EMPTY_PATCH = PatchFigures("Patch 02", demand_s=3_600, contact_s=0, travel_s=0,
                           rural_demand_s=0, unplaced_s=3_600)


def test_travel_uplift_is_the_measured_travel_share():
    price = price_patch(RURAL_PATCH)
    assert (price.travel_share_bp, price.travel_bp, price.travel_source) == (2500, 2500, "patch")


def test_travel_paid_at_half_rate_halves_the_uplift():
    price = price_patch(RURAL_PATCH, PricingFactors(travel_paid_bp=5000))
    assert price.travel_bp == 1250


def test_rurality_and_unmet_need_scale_with_their_shares():
    price = price_patch(RURAL_PATCH)
    # 50 % rural x 500 bp; 20 % unplaced x 1000 bp
    assert (price.rural_share_bp, price.rurality_bp) == (5000, 250)
    assert (price.unmet_share_bp, price.unmet_need_bp) == (2000, 200)


def test_hourly_price_is_base_times_one_plus_every_uplift():
    price = price_patch(RURAL_PATCH)
    # 2500 + 250 + 400 + 200 + 200 = 3550 bp; 2000 p x 1.355 = 2710 p
    assert price.total_uplift_bp == 3550
    assert price.price_per_hour_pence == 2710


def test_monthly_payment_is_price_times_a_twelfth_of_a_year_of_census_days():
    price = price_patch(RURAL_PATCH)
    # 36,000 s x 365 / 12 = 1,095,000 s; x 2710 p / 3600 = 824,291.67 p, half up
    assert price.monthly_demand_s == 1_095_000
    assert price.monthly_payment_pence == 824_292


def test_patch_without_placed_care_uses_the_all_patch_travel_share():
    prices = price_patches([RURAL_PATCH, EMPTY_PATCH])
    assert (prices[1].travel_share_bp, prices[1].travel_source) == (2500, "all patches")


def test_split_payment_follows_hours_exactly():
    assert split_payment(824_292, {"P01": 3 * 3600, "P02": 3600}) == {"P01": 618_219,
                                                                     "P02": 206_073}


def test_split_payment_leftover_pennies_go_to_largest_remainders_and_add_up():
    parts = split_payment(100, {"B": 1, "A": 1, "C": 1})
    assert parts == {"A": 34, "B": 33, "C": 33}


def test_split_payment_skips_providers_without_hours():
    assert split_payment(100, {"A": 0, "B": 5}) == {"B": 100}


def test_provider_payments_unallocated_when_nobody_placed_care():
    prices = price_patches([RURAL_PATCH, EMPTY_PATCH])
    table = provider_payments(prices, {"Patch 01": {"P01": 3 * 3600, "P02": 3600}})
    empty = table[table["patch"] == "Patch 02"]
    assert list(empty["provider_id"]) == ["(unallocated)"]
    assert int(empty["monthly_payment_pence"].iloc[0]) == prices[1].monthly_payment_pence


def test_provider_payments_sum_to_the_patch_payment():
    prices = price_patches([RURAL_PATCH])
    table = provider_payments(prices, {"Patch 01": {"P01": 1000, "P02": 2000, "P03": 4000}})
    assert int(table["monthly_payment_pence"].sum()) == prices[0].monthly_payment_pence


def test_price_table_shows_every_factor_as_a_column():
    table = price_table(price_patches([RURAL_PATCH]))
    for column in ("base_rate_gbp", "travel_uplift_pct", "rurality_uplift_pct",
                   "cost_pressures_pct", "training_pct", "unmet_need_uplift_pct",
                   "total_uplift_pct", "price_per_hour_gbp", "monthly_payment_gbp"):
        assert column in table.columns
    assert table["price_per_hour_gbp"].iloc[0] == pytest.approx(27.10)


@pytest.mark.parametrize("name", ["base_rate_pence", "rurality_bp", "days_per_year"])
def test_negative_pricing_factor_is_an_input_error_naming_it(name):
    with pytest.raises(InputError, match=name):
        PricingFactors(**{name: -1})


def test_zero_days_per_year_is_an_input_error():
    with pytest.raises(InputError, match="days_per_year"):
        PricingFactors(days_per_year=0)


def test_delivery_cost_is_paid_time_plus_mileage():
    # 2 h at £15.00 = 3000 p; 16,093.44 m = 10 miles at 45 p = 450 p
    assert delivery_cost_pence(7200, 16_093, CostRates()) == 3000 + 450


def test_negative_cost_rate_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="mileage_pence_per_mile"):
        CostRates(mileage_pence_per_mile=-5)
