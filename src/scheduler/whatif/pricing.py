"""Transparent patch pricing and staff cost: integer pence and basis points, every factor shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from ...errors import InputError

#: One whole (100 %) in basis points.
BP = 10_000


def _half_up(numerator: int, denominator: int) -> int:
    """Integer division rounding halves up (non-negative operands)."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class PricingFactors:
    """How a patch's hourly price is built: a base rate and additive uplifts in basis points.

    ``price per contact hour = base_rate_pence x (1 + travel + rurality + cost pressures
    + training + unmet need)``, each uplift in basis points (100 bp = 1 %).

    Parameters
    ----------
    base_rate_pence : int, default 2000
        Base price of one contact hour in pence (£20.00), before uplifts.
    travel_paid_bp : int, default 10000
        How much of the rate a travel hour is paid at (10000 = travel paid like contact
        time, as the Ethical Care Charter asks). The travel uplift is the measured
        travel share (travel seconds per contact second) times this.
    rurality_bp : int, default 500
        Uplift at 100 % of demand outside towns; scaled by the patch's rural share.
    cost_pressures_bp : int, default 400
        Flat uplift for cost pressures (e.g. a National Living Wage rise).
    training_bp : int, default 200
        Flat uplift for training (e.g. registration, induction, moving and handling).
    unmet_need_bp : int, default 1000
        Uplift at 100 % unmet need; scaled by the patch's share of demand left unplaced,
        to attract capacity where packages wait longest.
    days_per_year : int, default 365
        Days a year the census day's hours stand for; a month is a twelfth of a year.
    """

    base_rate_pence: int = 2000
    travel_paid_bp: int = BP
    rurality_bp: int = 500
    cost_pressures_bp: int = 400
    training_bp: int = 200
    unmet_need_bp: int = 1000
    days_per_year: int = 365

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"pricing factor must be a non-negative integer, got {value!r}",
                                 field=name)
        if self.days_per_year == 0:
            raise InputError("must be at least 1", field="days_per_year")


@dataclass(frozen=True)
class PatchFigures:
    """What was measured in one patch on the census day; all integer seconds.

    Parameters
    ----------
    patch : str
    demand_s : int
        Carer-seconds of care asked for (a double-up counts twice).
    contact_s : int
        Carer-seconds of care placed in the rota.
    travel_s : int
        Travel seconds attributed to the patch (each leg to the patch it ends in).
    rural_demand_s : int
        Part of ``demand_s`` for clients outside towns.
    unplaced_s : int
        Part of ``demand_s`` left unplaced.
    """

    patch: str
    demand_s: int
    contact_s: int
    travel_s: int
    rural_demand_s: int
    unplaced_s: int


@dataclass(frozen=True)
class PatchPrice:
    """A patch's price with every factor: uplifts in basis points, money in pence.

    ``travel_source`` is ``"patch"`` when the travel share was measured in the patch
    and ``"all patches"`` when the patch had no placed care and the all-patch share
    was used instead.
    """

    patch: str
    demand_s: int
    base_rate_pence: int
    travel_share_bp: int
    travel_source: str
    travel_bp: int
    rural_share_bp: int
    rurality_bp: int
    cost_pressures_bp: int
    training_bp: int
    unmet_share_bp: int
    unmet_need_bp: int
    total_uplift_bp: int
    price_per_hour_pence: int
    monthly_demand_s: int
    monthly_payment_pence: int


def price_patch(figures: PatchFigures, factors: PricingFactors | None = None, *,
                fallback_travel_share_bp: int = 0) -> PatchPrice:
    """Price one patch from its measured figures.

    Parameters
    ----------
    figures : PatchFigures
    factors : PricingFactors, optional
        Default ``PricingFactors()``.
    fallback_travel_share_bp : int, default 0
        Travel share (basis points of contact time) to use when the patch has no
        placed care to measure it from.

    Returns
    -------
    PatchPrice
        Shares and uplifts rounded half up to whole basis points, the hourly price
        half up to a penny; the monthly payment is price x demand hours x
        days_per_year / 12, half up to a penny.
    """
    f = factors or PricingFactors()
    if figures.contact_s > 0:
        travel_share, source = _half_up(figures.travel_s * BP, figures.contact_s), "patch"
    else:
        travel_share, source = fallback_travel_share_bp, "all patches"
    demand = figures.demand_s
    rural_share = _half_up(figures.rural_demand_s * BP, demand) if demand else 0
    unmet_share = _half_up(figures.unplaced_s * BP, demand) if demand else 0
    travel_bp = _half_up(travel_share * f.travel_paid_bp, BP)
    rurality_bp = _half_up(rural_share * f.rurality_bp, BP)
    unmet_bp = _half_up(unmet_share * f.unmet_need_bp, BP)
    total = travel_bp + rurality_bp + f.cost_pressures_bp + f.training_bp + unmet_bp
    price = _half_up(f.base_rate_pence * (BP + total), BP)
    monthly_s = _half_up(demand * f.days_per_year, 12)
    payment = _half_up(price * monthly_s, 3600)
    return PatchPrice(
        patch=figures.patch, demand_s=demand, base_rate_pence=f.base_rate_pence,
        travel_share_bp=travel_share, travel_source=source, travel_bp=travel_bp,
        rural_share_bp=rural_share, rurality_bp=rurality_bp,
        cost_pressures_bp=f.cost_pressures_bp, training_bp=f.training_bp,
        unmet_share_bp=unmet_share, unmet_need_bp=unmet_bp, total_uplift_bp=total,
        price_per_hour_pence=price, monthly_demand_s=monthly_s, monthly_payment_pence=payment)


def price_patches(figures: Iterable[PatchFigures],
                  factors: PricingFactors | None = None) -> tuple[PatchPrice, ...]:
    """Price every patch; a patch with no placed care uses the all-patch travel share."""
    figures = tuple(figures)
    contact = sum(f.contact_s for f in figures)
    travel = sum(f.travel_s for f in figures)
    fallback = _half_up(travel * BP, contact) if contact else 0
    return tuple(price_patch(f, factors, fallback_travel_share_bp=fallback) for f in figures)


def split_payment(total_pence: int, seconds_by_provider: Mapping[str, int]) -> dict[str, int]:
    """Split a payment between providers in proportion to their hours, to the exact penny.

    Largest-remainder rounding: every provider gets the floor of its share, and the
    pennies left over go to the largest remainders (ties by provider id), so the parts
    always add up to ``total_pence``. Providers with no hours get nothing; with no hours
    at all the result is empty.
    """
    hours = {p: s for p, s in seconds_by_provider.items() if s > 0}
    whole = sum(hours.values())
    if not hours:
        return {}
    parts = {p: total_pence * s // whole for p, s in hours.items()}
    left = total_pence - sum(parts.values())
    order = sorted(hours, key=lambda p: (-(total_pence * hours[p] % whole), p))
    for provider in order[:left]:
        parts[provider] += 1
    return dict(sorted(parts.items()))


def price_table(prices: Iterable[PatchPrice]):
    """Patch prices as a pandas DataFrame: every factor a column, in % and £ beside bp and pence."""
    import pandas as pd

    rows = []
    for p in prices:
        row = asdict(p)
        row.update(
            demand_hours=p.demand_s / 3600, base_rate_gbp=p.base_rate_pence / 100,
            travel_share_pct=p.travel_share_bp / 100, travel_uplift_pct=p.travel_bp / 100,
            rural_share_pct=p.rural_share_bp / 100, rurality_uplift_pct=p.rurality_bp / 100,
            cost_pressures_pct=p.cost_pressures_bp / 100, training_pct=p.training_bp / 100,
            unmet_share_pct=p.unmet_share_bp / 100, unmet_need_uplift_pct=p.unmet_need_bp / 100,
            total_uplift_pct=p.total_uplift_bp / 100,
            price_per_hour_gbp=p.price_per_hour_pence / 100,
            monthly_hours=p.monthly_demand_s / 3600,
            monthly_payment_gbp=p.monthly_payment_pence / 100)
        rows.append(row)
    return pd.DataFrame(rows)


def provider_payments(prices: Iterable[PatchPrice],
                      seconds: Mapping[str, Mapping[str, int]]):
    """Each provider's predictable monthly payment per patch, as a pandas DataFrame.

    Parameters
    ----------
    prices : iterable of PatchPrice
    seconds : mapping of patch to {provider id: carer-seconds placed on the census day}

    Returns
    -------
    DataFrame
        ``patch, provider_id, hours, share_pct, monthly_payment_pence,
        monthly_payment_gbp``; a patch where no provider placed any care gets one row
        with provider ``"(unallocated)"`` holding the whole payment.
    """
    import pandas as pd

    rows = []
    for price in prices:
        by_provider = seconds.get(price.patch, {})
        parts = split_payment(price.monthly_payment_pence, by_provider)
        total = sum(s for s in by_provider.values() if s > 0)
        if not parts:
            rows.append(dict(patch=price.patch, provider_id="(unallocated)", hours=0.0,
                             share_pct=0.0, monthly_payment_pence=price.monthly_payment_pence))
        for provider, pence in parts.items():
            rows.append(dict(patch=price.patch, provider_id=provider,
                             hours=by_provider[provider] / 3600,
                             share_pct=100 * by_provider[provider] / total,
                             monthly_payment_pence=pence))
    frame = pd.DataFrame(rows, columns=["patch", "provider_id", "hours", "share_pct",
                                        "monthly_payment_pence"])
    frame["monthly_payment_gbp"] = frame["monthly_payment_pence"] / 100
    return frame


@dataclass(frozen=True)
class CostRates:
    """What delivering a rota costs a provider, for comparing scenarios.

    Parameters
    ----------
    staff_hour_pence : int, default 1500
        Cost of one paid staff hour in pence (£15.00: a care worker's hourly pay at
        about the National Living Wage plus employer's on-costs). Paid time runs from
        leaving home to returning, less breaks, so travel is paid.
    mileage_pence_per_mile : int, default 45
        Mileage allowance per mile driven (HMRC's approved rate for the first 10,000
        miles). Walking shifts claim none.
    """

    staff_hour_pence: int = 1500
    mileage_pence_per_mile: int = 45

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"cost rate must be a non-negative integer, got {value!r}",
                                 field=name)


def delivery_cost_pence(paid_s: int, drive_distance_m: int, rates: CostRates | None = None) -> int:
    """Staff time plus mileage in pence, each rounded half up to a penny."""
    rates = rates or CostRates()
    staff = _half_up(paid_s * rates.staff_hour_pence, 3600)
    # miles = metres / 1609.344; keep integers by scaling to millimetres
    mileage = _half_up(drive_distance_m * 1000 * rates.mileage_pence_per_mile, 1_609_344)
    return staff + mileage
