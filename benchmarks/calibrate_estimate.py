"""Fit the straight-line estimate (circuity, speed, per-trip overhead) to Rutland road travel."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from carerounds.geo import (
    ESTIMATE_PROFILES,
    EstimateProfile,
    haversine_m,
    load_network,
    road_matrix,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROADS = ROOT / ".." / "shared" / "data" / "osm" / "alternatives" / "rutland-latest.osm.pbf"
BANDS_KM = [(0, 2), (2, 5), (5, 10), (10, 1000)]
WALK_FIT_MAX_M = 5000


def sample_pairs(network, n_nodes: int, seed: int):
    """All ordered pairs among ``n_nodes`` random nodes: crow metres, road metres and seconds."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(network.node_ids), size=n_nodes, replace=False)
    matrix = road_matrix(network, network.node_ids[pick])
    lat, lon = network.lat[pick], network.lon[pick]
    crow = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    off = ~np.eye(n_nodes, dtype=bool) & (crow > 0) & (matrix.duration_s < 10**9)
    return crow[off], matrix.distance_m[off].astype(float), matrix.duration_s[off].astype(float)


def abs_pct(estimate: np.ndarray, actual: np.ndarray) -> np.ndarray:
    return 100 * np.abs(estimate - actual) / np.maximum(actual, 1.0)


def predict(profile: EstimateProfile, crow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The estimate exactly as estimate_matrix computes it (rounded to whole m and s)."""
    road = crow * profile.circuity
    return np.rint(road), np.rint(profile.overhead_s + road / (profile.speed_kph / 3.6))


def band_weights(crow: np.ndarray) -> np.ndarray:
    """Weights giving each distance band the same total, so the many long county-wide
    pairs do not drown the short trips care rounds are made of."""
    weight = np.zeros(len(crow))
    for low, high in BANDS_KM:
        band = (crow >= low * 1000) & (crow < high * 1000)
        if band.any():
            weight[band] = 1.0 / band.sum()
    return weight / weight.sum()


def fit(crow: np.ndarray, road_m: np.ndarray, road_s: np.ndarray, *,
        speed_kph: float | None = None) -> EstimateProfile:
    """Band-balanced fits: circuity is the median road/crow ratio; speed and per-trip
    overhead minimise the mean absolute log ratio of estimated to road seconds, which
    weighs over- and under-estimates alike (absolute % error favours underestimates,
    and an underestimate is what makes a carer late). ``speed_kph`` fixes the speed."""
    balance = band_weights(crow)
    ratio = road_m / crow
    order = np.argsort(ratio)
    cumulative = np.cumsum(balance[order])
    circuity = round(float(ratio[order][np.searchsorted(cumulative, cumulative[-1] / 2)]), 2)
    if speed_kph is not None:
        return EstimateProfile(circuity=circuity, speed_kph=speed_kph, overhead_s=0)
    road_est = crow * circuity

    def loss(params):
        over, kph = params
        if kph <= 1 or over < 0:
            return 1e9
        return float(np.sum(balance * np.abs(np.log((over + road_est / (kph / 3.6)) / road_s))))

    slope, intercept = np.polyfit(road_est, road_s, 1)
    best = minimize(loss, [max(intercept, 0.0), 3.6 / slope], method="Nelder-Mead",
                    options={"xatol": 0.01, "fatol": 1e-7})
    over, kph = best.x
    return EstimateProfile(circuity=circuity, speed_kph=round(float(kph), 1),
                           overhead_s=int(round(max(over, 0.0))))


def errors(profile: EstimateProfile, crow, road_m, road_s) -> dict:
    est_m, est_s = predict(profile, crow)
    out = {
        "duration_mean_abs_pct": round(float(abs_pct(est_s, road_s).mean()), 1),
        "duration_median_abs_pct": round(float(np.median(abs_pct(est_s, road_s))), 1),
        "distance_mean_abs_pct": round(float(abs_pct(est_m, road_m).mean()), 1),
        "distance_median_abs_pct": round(float(np.median(abs_pct(est_m, road_m))), 1),
        "duration_mean_bias_pct": round(float(np.mean(100 * (est_s - road_s) / road_s)), 1),
        "duration_band_balanced_mean_abs_pct": round(float(np.sum(band_weights(crow)
                                                                  * abs_pct(est_s, road_s))), 1),
        "bands": {},
    }
    for low, high in BANDS_KM:
        band = (crow >= low * 1000) & (crow < high * 1000)
        if band.any():
            out["bands"][f"{low}-{high} km" if high < 1000 else f">{low} km"] = {
                "pairs": int(band.sum()),
                "duration_median_abs_pct": round(float(np.median(abs_pct(est_s[band], road_s[band]))), 1),
                "duration_mean_bias_pct": round(float(np.mean(100 * (est_s[band] - road_s[band])
                                                              / road_s[band])), 1),
            }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roads", default=str(DEFAULT_ROADS), help="road network file (default Rutland)")
    parser.add_argument("--nodes", type=int, default=120,
                        help="random nodes; all ordered pairs among them are used "
                             "(default 120: 14,280 pairs)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", default=None, metavar="FILE", help="write the fit as JSON")
    args = parser.parse_args(argv)
    roads = Path(args.roads)
    if not roads.is_file():
        print(f"road network not found: {roads} (needs ../shared beside the project)", file=sys.stderr)
        return 2

    report = {}
    for mode in ("drive", "walk"):
        network = load_network(roads, mode=mode)
        crow, road_m, road_s = sample_pairs(network, args.nodes, args.seed)
        current = ESTIMATE_PROFILES[mode]
        if mode == "drive":
            fitted = fit(crow, road_m, road_s)
        else:
            # Walking rounds are short: fit the walk circuity on pairs under 5 km only.
            near = crow < WALK_FIT_MAX_M
            fitted = fit(crow[near], road_m[near], road_s[near], speed_kph=current.speed_kph)
        report[mode] = {
            "pairs": int(len(crow)),
            "crow_km_median": round(float(np.median(crow)) / 1000, 2),
            "road_km_median": round(float(np.median(road_m)) / 1000, 2),
            "road_kph_mean": round(float(road_m.sum() / road_s.sum() * 3.6), 1),
            "current": {**current.__dict__, **errors(current, crow, road_m, road_s)},
            "fitted": {**fitted.__dict__, **errors(fitted, crow, road_m, road_s)},
        }
        print(f"{mode}: {len(crow):,} pairs on {network.source}")
        for name in ("current", "fitted"):
            r = report[mode][name]
            print(f"  {name:8s} circuity {r['circuity']:.2f}, {r['speed_kph']:.1f} km/h, "
                  f"{r['overhead_s']} s/trip -> duration abs error mean {r['duration_mean_abs_pct']}% "
                  f"median {r['duration_median_abs_pct']}% (bias {r['duration_mean_bias_pct']:+}%; "
                  f"band-balanced mean {r['duration_band_balanced_mean_abs_pct']}%), "
                  f"distance mean {r['distance_mean_abs_pct']}% median {r['distance_median_abs_pct']}%")
            for band, b in r["bands"].items():
                print(f"           {band:>8}: {b['pairs']:5d} pairs, "
                      f"median abs {b['duration_median_abs_pct']}%,"
                      f" bias {b['duration_mean_bias_pct']:+}%")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
