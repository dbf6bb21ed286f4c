"""Road networks, snapping and travel-time matrices (knows nothing of routing or care)."""

from .areas import Area, assign_areas, read_areas
from .matrix import UNREACHABLE, road_matrix, route_geometry
from .network import (DRIVE_SPEED_FACTOR, MODES, UK_SPEEDS_KPH, UK_SPEEDS_MPH, WALK_SPEED_KPH,
                      RoadNetwork, add_travel_times, fetch_network, load_network, projected_crs)
from .snap import Snapping, snap_locations
from .travel import ESTIMATE_PROFILES, EstimateProfile, TravelMatrix, estimate_matrix, haversine_m

__all__ = [
    "Area", "DRIVE_SPEED_FACTOR", "ESTIMATE_PROFILES", "EstimateProfile", "MODES", "RoadNetwork",
    "Snapping", "TravelMatrix", "UK_SPEEDS_KPH", "UK_SPEEDS_MPH", "UNREACHABLE", "WALK_SPEED_KPH",
    "add_travel_times", "assign_areas", "estimate_matrix", "fetch_network", "haversine_m",
    "load_network", "projected_crs", "read_areas", "road_matrix", "route_geometry",
    "snap_locations",
]
