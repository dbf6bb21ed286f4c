"""Travel-time matrices: the common result type and the straight-line estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class EstimateProfile:
    """How the straight-line estimate turns crow-fly metres into road metres and seconds.

    Parameters
    ----------
    circuity : float
        Road distance divided by straight-line distance.
    speed_kph : float
        Average door-to-door speed over the road distance, km/h.
    overhead_s : int
        Fixed seconds added to every trip between two different places
        (parking, getting in and out).
    """

    circuity: float
    speed_kph: float
    overhead_s: int = 0


#: Defaults per travel mode, fitted to the Rutland road network as carerounds builds it
#: (``benchmarks/calibrate_estimate.py``; fit and errors in ``docs/geo.md``). Drive:
#: median abs error 11% on durations over 14,280 node pairs. Walk: circuity fitted on
#: pairs under 5 km, at the network's 4.8 km/h.
ESTIMATE_PROFILES: dict[str, EstimateProfile] = {
    "drive": EstimateProfile(circuity=1.33, speed_kph=58.6, overhead_s=48),
    "walk": EstimateProfile(circuity=1.28, speed_kph=4.8, overhead_s=0),
}


@dataclass(frozen=True)
class TravelMatrix:
    """Durations and distances between points, for one travel mode.

    Parameters
    ----------
    duration_s : ndarray
        ``(n, n)`` int64 seconds, read-only; row = from, column = to. Not assumed symmetric.
    distance_m : ndarray
        ``(n, n)`` int64 metres, read-only.
    mode : str
        ``"drive"`` or ``"walk"``.
    source : str
        Plain description of where the figures came from, for run reports.
    unreachable : tuple of (int, int)
        Pairs with no path; their entries hold a large finite sentinel, never inf.
    cached_rows : int
        Rows (distinct source points) read from an on-disk cache instead of computed;
        0 for estimates and uncached road matrices.
    """

    duration_s: np.ndarray
    distance_m: np.ndarray
    mode: str
    source: str
    unreachable: tuple[tuple[int, int], ...] = ()
    cached_rows: int = 0

    def __post_init__(self) -> None:
        for name in ("duration_s", "distance_m"):
            array = np.ascontiguousarray(getattr(self, name), dtype=np.int64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def size(self) -> int:
        """Number of points."""
        return int(self.duration_s.shape[0])


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (broadcasts)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def estimate_matrix(lats, lons, *, mode: str = "drive",
                    profile: EstimateProfile | None = None) -> TravelMatrix:
    """Estimate travel between points from straight-line distance.

    Parameters
    ----------
    lats, lons : array-like of float
        Coordinates in degrees (WGS84).
    mode : str, default "drive"
        Travel mode, selecting the profile from :data:`ESTIMATE_PROFILES`.
    profile : EstimateProfile, optional
        Overrides the mode's default profile.

    Returns
    -------
    TravelMatrix
        Road metres = crow metres x circuity; seconds = overhead + road metres / speed,
        both rounded to integers; the diagonal is zero.
    """
    if profile is None:
        try:
            profile = ESTIMATE_PROFILES[mode]
        except KeyError:
            raise ValueError(f"unknown travel mode {mode!r}; expected one of "
                             f"{sorted(ESTIMATE_PROFILES)}") from None
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    crow = haversine_m(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
    road = crow * profile.circuity
    seconds = road / (profile.speed_kph / 3.6)
    off_diagonal = ~np.eye(len(lats), dtype=bool)
    seconds = np.where(off_diagonal, seconds + profile.overhead_s, 0.0)
    road = np.where(off_diagonal, road, 0.0)
    source = (f"straight-line estimate ({mode}: circuity {profile.circuity:g}, "
              f"{profile.speed_kph:g} km/h, {profile.overhead_s} s per trip)")
    return TravelMatrix(duration_s=np.rint(seconds).astype(np.int64),
                        distance_m=np.rint(road).astype(np.int64), mode=mode, source=source)
