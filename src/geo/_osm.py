"""Read OSM files with pyosmium, keep the ways a travel mode may use, write them as OSM XML."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

import osmium

# Overpass filters osmnx 2.1 uses for network_type="drive", "drive_service" and "walk"
# (osmnx._overpass._get_network_filter), restated as data so a local file gives the
# same network as a download. Each rule is (key, pattern): the way passes when the
# tag is absent or its value does not contain a match of the pattern (Overpass `!~`
# is an unanchored, case-sensitive regex search).
_ACCESS_RULE = ("access", "private")
MODE_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "drive": (
        ("area", "yes"),
        _ACCESS_RULE,
        ("highway", "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|"
                    "elevator|escalator|footway|no|path|pedestrian|planned|platform|"
                    "proposed|raceway|razed|rest_area|service|services|steps|track"),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "alley|driveway|emergency_access|parking|parking_aisle|private"),
    ),
    # drive_service: as drive but keeping service roads (driveways, farm and care-home
    # access roads) other than emergency, parking and private ones.
    "drive_service": (
        ("area", "yes"),
        _ACCESS_RULE,
        ("highway", "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|"
                    "elevator|escalator|footway|no|path|pedestrian|planned|platform|"
                    "proposed|raceway|razed|rest_area|services|steps|track"),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "emergency_access|parking|parking_aisle|private"),
    ),
    "walk": (
        ("area", "yes"),
        _ACCESS_RULE,
        ("highway", "abandoned|bus_guideway|construction|cycleway|motor|no|planned|"
                    "platform|proposed|raceway|razed|rest_area|services"),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ),
}
_COMPILED = {mode: tuple((key, re.compile(pattern)) for key, pattern in rules)
             for mode, rules in MODE_RULES.items()}

# Tags osmnx keeps on edges (osmnx.settings.useful_tags_way) plus those the rules read.
_KEEP_TAGS = frozenset({"access", "area", "bridge", "est_width", "highway", "junction", "landuse",
                        "lanes", "maxspeed", "name", "oneway", "ref", "service", "tunnel",
                        "width", "foot", "motor_vehicle", "motorcar"})


def way_allowed(tags: dict[str, str], rules: str) -> bool:
    """Whether a way with these tags belongs to the network of osmnx ``network_type=rules``."""
    if "highway" not in tags:
        return False
    for key, pattern in _COMPILED[rules]:
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


def write_mode_xml(source: Path, target: Path, rules: str,
                   bbox: tuple[float, float, float, float] | None = None) -> tuple[int, int]:
    """Copy the ways a network type may use (and their nodes) from any OSM file to OSM XML.

    Parameters
    ----------
    source : Path
        ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file (pyosmium reads all three).
    target : Path
        OSM XML file to write.
    rules : str
        Key of :data:`MODE_RULES`: ``"drive"``, ``"drive_service"`` or ``"walk"``.
    bbox : tuple of float, optional
        ``(min_lon, min_lat, max_lon, max_lat)``: ways with no node inside are skipped
        (a cheap pre-filter; the caller clips the graph exactly afterwards).

    Returns
    -------
    (int, int)
        Ways and nodes written.

    Notes
    -----
    A way whose nodes are partly missing from the file (cut at an extract's edge) is
    split into runs of nodes that are present, so no edge jumps across the gap.
    """
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    next_split_id = -1
    processor = (osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
                 .with_locations()
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                 .with_filter(osmium.filter.KeyFilter("highway")))
    for way in processor:
        tags = {tag.k: tag.v for tag in way.tags if tag.k in _KEEP_TAGS}
        if not way_allowed(tags, rules):
            continue
        runs: list[list[tuple[int, float, float]]] = [[]]
        for ref in way.nodes:  # type: ignore[union-attr]  # the filter passes ways only
            location = ref.location
            if location.valid():
                runs[-1].append((ref.ref, location.lat, location.lon))
            elif runs[-1]:
                runs.append([])
        runs = [run for run in runs if len(run) >= 2]
        if bbox is not None:
            runs = [run for run in runs
                    if any(bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]
                           for _, lat, lon in run)]
        for i, run in enumerate(runs):
            if i == 0:
                way_id = way.id
            else:
                way_id, next_split_id = next_split_id, next_split_id - 1
            for node_id, lat, lon in run:
                nodes[node_id] = (lat, lon)
            ways.append((way_id, [node_id for node_id, _, _ in run], tags))

    with open(target, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="carerounds">\n')
        for node_id, (lat, lon) in nodes.items():
            out.write(f'<node id="{node_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for way_id, refs, tags in ways:
            out.write(f'<way id="{way_id}">\n')
            for ref in refs:
                out.write(f'<nd ref="{ref}"/>\n')
            for key, value in tags.items():
                out.write(f"<tag k={quoteattr(key)} v={quoteattr(value)}/>\n")
            out.write("</way>\n")
        out.write("</osm>\n")
    return len(ways), len(nodes)
