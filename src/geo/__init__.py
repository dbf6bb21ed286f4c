"""Road networks, snapping and travel-time matrices (knows nothing of routing or care)."""

from __future__ import annotations

import importlib

from .regions import (
    REGIONS as REGIONS,
)
from .regions import (
    Region as Region,
)
from .regions import (
    region as region,
)
from .travel import (
    ESTIMATE_PROFILES as ESTIMATE_PROFILES,
)
from .travel import (
    EstimateProfile as EstimateProfile,
)
from .travel import (
    TravelMatrix as TravelMatrix,
)
from .travel import (
    estimate_matrix as estimate_matrix,
)
from .travel import (
    haversine_m as haversine_m,
)

# osmnx, geopandas and friends take seconds to import; a plan on the straight-line
# estimate needs none of them, so the road-network names load on first use (PEP 562).
_LAZY = {
    "Area": "areas", "assign_areas": "areas", "read_areas": "areas",
    "UNREACHABLE": "matrix", "road_matrix": "matrix", "route_geometry": "matrix",
    "DRIVE_SPEED_FACTOR": "network", "MODES": "network", "UK_SPEEDS_KPH": "network",
    "UK_SPEEDS_MPH": "network", "WALK_SPEED_KPH": "network", "RoadNetwork": "network",
    "add_travel_times": "network", "fetch_network": "network", "load_network": "network",
    "projected_crs": "network",
    "Snapping": "snap", "snap_locations": "snap",
    "ACCESS_SPEED_KPH": "edges", "MIN_TRIP_S": "edges", "EdgeSnapping": "edges",
    "edge_matrix": "edges", "snap_to_edges": "edges",
}

__all__ = sorted([*_LAZY, "ESTIMATE_PROFILES", "EstimateProfile", "REGIONS", "Region",
                  "TravelMatrix", "estimate_matrix", "haversine_m", "region"])


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
