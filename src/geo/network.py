"""Road networks from OSM files or GraphML, with UK speeds, as immutable routable graphs."""

from __future__ import annotations

import hashlib
import logging
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import shapely
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from ..errors import InputError, NetworkUnavailableError
from . import _osm, regions

log = logging.getLogger(__name__)

#: Travel modes a network can be built for.
MODES = ("drive", "walk")

#: Walking speed in km/h used on every edge of a walk network (about 3 mph).
WALK_SPEED_KPH = 4.8

MPH_TO_KPH = 1.609344

#: Speed limit in mph assumed per OSM highway class where an edge has no usable
#: ``maxspeed`` tag (most rural UK roads are untagged): the national limits for
#: motorways and main roads, 30 mph in built-up classes, and 40 mph rather than the
#: legal 60 on tertiary and unclassified roads, which are mostly narrow lanes.
UK_SPEEDS_MPH: dict[str, float] = {
    "motorway": 70, "motorway_link": 50,
    "trunk": 60, "trunk_link": 40,
    "primary": 60, "primary_link": 40,
    "secondary": 50, "secondary_link": 30,
    "tertiary": 40, "tertiary_link": 30,
    "unclassified": 40, "road": 30, "busway": 30,
    "residential": 30, "living_street": 15, "service": 15,
}

#: Drive speeds are this share of the limit (tagged or assumed), as in OSRM's car
#: profile (``speed_reduction = 0.8``): bends, junctions, villages and other traffic
#: keep average speeds below the limit. Without it, Oakham to Uppingham (6.1 miles by
#: road, through both towns) takes 8.4 minutes, an average of 44 mph; with it, 10.4.
DRIVE_SPEED_FACTOR = 0.8

#: :data:`UK_SPEEDS_MPH` in km/h, as handed to ``osmnx.add_edge_speeds``.
UK_SPEEDS_KPH: dict[str, float] = {k: round(v * MPH_TO_KPH, 2) for k, v in UK_SPEEDS_MPH.items()}

#: Assumed limit in km/h for a highway class with neither a default above nor any tagged edge.
UK_FALLBACK_KPH = round(30 * MPH_TO_KPH, 2)

# UK implicit maxspeed values osmnx does not translate (it knows only GB:nsl_restricted).
_UK_IMPLICIT_MAXSPEED = {
    "national": "60 mph", "gb:nsl_single": "60 mph", "gb:nsl_dual": "70 mph",
    "gb:motorway": "70 mph", "gb:nsl_restricted": "30 mph", "gb:zone20": "20 mph",
    "gb:zone30": "30 mph", "gb:20 mph": "20 mph",
}

#: Weight of a millisecond in :attr:`RoadNetwork.routing`, in decimetres: 2**26 dm is
#: 6,710 km, longer than any path that takes under :data:`MAX_PATH_MS` at up to 180 km/h.
ROUTING_SCALE = 2**26

#: Longest path (ms) whose composite weight stays an exact float64 integer (2**53):
#: 2**27 ms is 37 hours, far beyond any regional network.
MAX_PATH_MS = 2**53 // ROUTING_SCALE

# British National Grid is exact to a metre or so over Great Britain; elsewhere we use UTM.
_GB_BOUNDS = (-9.0, 49.5, 2.5, 61.5)

_SHARED_BOUNDARIES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "osm" / "boundaries"


def projected_crs(lons, lats) -> str:
    """Choose a metric CRS for points: British National Grid in GB, else their UTM zone.

    Parameters
    ----------
    lons, lats : array-like of float
        Degrees (WGS84).

    Returns
    -------
    str
        ``"EPSG:27700"`` or ``"EPSG:326zz"`` / ``"EPSG:327zz"``.
    """
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    west, south, east, north = _GB_BOUNDS
    if ((lons >= west) & (lons <= east) & (lats >= south) & (lats <= north)).all():
        return "EPSG:27700"
    zone = int((float(np.mean(lons)) + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if float(np.mean(lats)) >= 0 else 32700) + zone}"


def _readonly(array: np.ndarray, dtype) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A routable road network for one travel mode, built once and never changed.

    Build it with :func:`load_network` or :meth:`from_graph`; the derived arrays are
    computed on construction.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        osmnx-style graph (node ``x``/``y`` in degrees, edge ``length`` in metres,
        ``speed_kph``, ``travel_time`` in seconds), frozen.
    mode : str
        ``"drive"`` or ``"walk"``.
    source_name : str
        File name the network came from (no directories, so reports stay free of paths).
    source_sha256 : str
        SHA-256 of that file, hex.
    nodes_kept : int
        Nodes in the graph (the largest strongly connected component).
    nodes_dropped : int
        Nodes removed because they were not in it (islands, dead-end one-ways, clipped bits).

    Attributes
    ----------
    node_ids : ndarray of int64
        Graph node ids (OSM ids), sorted; position ``i`` is CSR row ``i``.
    lat, lon : ndarray of float
        Node coordinates in degrees.
    x_m, y_m : ndarray of float
        Node coordinates in metres in :attr:`crs`.
    crs : str
        The projected CRS used for snapping (see :func:`projected_crs`).
    travel_ms : scipy.sparse.csr_matrix
        Edge travel times in whole milliseconds (of parallel edges, the fastest, then
        the shortest).
    length_dm : scipy.sparse.csr_matrix
        Lengths of the same edges in whole decimetres, same sparsity structure.
    routing : scipy.sparse.csr_matrix
        The same edges weighted ``travel_ms * ROUTING_SCALE + length_dm``: one Dijkstra
        on it finds the fastest paths, breaks ties by length, and its exact integer sums
        carry both the path's milliseconds and its decimetres (see :mod:`.matrix`).
    max_dm_per_ms : float
        Fastest edge speed in decimetres per millisecond (bounds path lengths by times).
    fingerprint : str
        SHA-256 of mode, nodes and edge weights: the key of on-disk matrix caches.
    """

    graph: nx.MultiDiGraph = field(repr=False)
    mode: str
    source_name: str
    source_sha256: str = field(repr=False)
    nodes_kept: int
    nodes_dropped: int
    node_ids: np.ndarray = field(init=False, repr=False)
    lat: np.ndarray = field(init=False, repr=False)
    lon: np.ndarray = field(init=False, repr=False)
    x_m: np.ndarray = field(init=False, repr=False)
    y_m: np.ndarray = field(init=False, repr=False)
    crs: str = field(init=False, repr=False)
    travel_ms: csr_matrix = field(init=False, repr=False)
    length_dm: csr_matrix = field(init=False, repr=False)
    routing: csr_matrix = field(init=False, repr=False)
    max_dm_per_ms: float = field(init=False, repr=False)
    fingerprint: str = field(init=False, repr=False)
    kdtree: cKDTree = field(init=False, repr=False)
    hull: shapely.Geometry = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown travel mode {self.mode!r}; expected one of {MODES}")
        graph = self.graph
        if len(graph) == 0:
            raise ValueError("the road network has no nodes")
        if not nx.is_frozen(graph):
            graph = nx.freeze(graph)
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("graph", graph)

        node_ids = np.array(sorted(graph.nodes), dtype=np.int64)
        lon = np.array([graph.nodes[n]["x"] for n in node_ids.tolist()], dtype=float)
        lat = np.array([graph.nodes[n]["y"] for n in node_ids.tolist()], dtype=float)
        crs = projected_crs(lon, lat)
        x_m, y_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
        x_m, y_m = np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)

        us, vs, seconds, metres = [], [], [], []
        for u, v, data in graph.edges(data=True):
            try:
                seconds.append(float(data["travel_time"]))
                metres.append(float(data["length"]))
            except KeyError as exc:
                raise ValueError(f"edge ({u}, {v}) has no {exc.args[0]!r} attribute; build the "
                                 "network with load_network or RoadNetwork.from_graph") from None
            us.append(u)
            vs.append(v)
        n = len(node_ids)
        u_idx = np.searchsorted(node_ids, np.array(us, dtype=np.int64))
        v_idx = np.searchsorted(node_ids, np.array(vs, dtype=np.int64))
        seconds_a = np.array(seconds, dtype=float)
        metres_a = np.array(metres, dtype=float)
        if not (np.isfinite(seconds_a).all() and np.isfinite(metres_a).all()
                and (seconds_a >= 0).all() and (metres_a >= 0).all()):
            raise ValueError("edge travel times and lengths must be finite and non-negative")
        # Integers inside: whole milliseconds and decimetres make every path sum exact.
        ms = np.rint(seconds_a * 1000).astype(np.int64)
        dm = np.rint(metres_a * 10).astype(np.int64)
        keep = u_idx != v_idx  # self-loops never lie on a shortest path
        u_idx, v_idx, ms, dm = u_idx[keep], v_idx[keep], ms[keep], dm[keep]
        # Of parallel edges keep the fastest, then the shortest, as a router would.
        order = np.lexsort((dm, ms, v_idx, u_idx))
        u_idx, v_idx, ms, dm = u_idx[order], v_idx[order], ms[order], dm[order]
        first = np.ones(len(u_idx), dtype=bool)
        first[1:] = (u_idx[1:] != u_idx[:-1]) | (v_idx[1:] != v_idx[:-1])
        u_idx, v_idx, ms, dm = u_idx[first], v_idx[first], ms[first], dm[first]
        if len(ms) and int(ms.max()) >= MAX_PATH_MS:
            raise ValueError("an edge takes longer than the longest supported path")
        indptr = np.searchsorted(u_idx, np.arange(n + 1)).astype(np.int32)
        indices = v_idx.astype(np.int32)

        def csr(values: np.ndarray) -> csr_matrix:
            # Explicit zeros stay edges in scipy.sparse.csgraph (zero-length OSM edges exist).
            return csr_matrix((values.astype(float), indices.copy(), indptr.copy()), shape=(n, n))

        digest = hashlib.sha256(self.mode.encode())
        for array in (node_ids, indptr, indices, ms, dm):
            digest.update(np.ascontiguousarray(array).tobytes())

        set_("travel_ms", csr(ms))
        set_("length_dm", csr(dm))
        set_("routing", csr(ms * ROUTING_SCALE + dm))
        set_("max_dm_per_ms", float((dm / np.maximum(ms, 1)).max()) if len(ms) else 0.0)
        set_("node_ids", _readonly(node_ids, np.int64))
        set_("lat", _readonly(lat, float))
        set_("lon", _readonly(lon, float))
        set_("x_m", _readonly(x_m, float))
        set_("y_m", _readonly(y_m, float))
        set_("crs", crs)
        set_("fingerprint", digest.hexdigest())
        set_("kdtree", cKDTree(np.column_stack([x_m, y_m])))
        set_("hull", shapely.MultiPoint(np.column_stack([x_m, y_m])).convex_hull)

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph, *, mode: str = "drive", source_name: str = "graph",
                   source_sha256: str = "", largest_component: bool = True,
                   add_speeds: bool = True,
                   highway_speeds_kph: Mapping[str, float] | None = None,
                   speed_factor: float = DRIVE_SPEED_FACTOR) -> RoadNetwork:
        """Build a network from an osmnx-style graph (not changed; a copy is made).

        Parameters
        ----------
        graph : networkx.MultiDiGraph
            Nodes with ``x``/``y`` in degrees, edges with ``length`` in metres and
            ``highway`` (and optionally ``maxspeed``).
        mode : str, default "drive"
            ``"drive"`` or ``"walk"``.
        source_name, source_sha256 : str
            Where the graph came from, for reports.
        largest_component : bool, default True
            Keep only the largest strongly connected component (every node can reach
            every other); ``False`` keeps everything, so some pairs may be unreachable.
        add_speeds : bool, default True
            Set ``speed_kph`` and ``travel_time`` (see :func:`add_travel_times`);
            ``False`` keeps the graph's own ``travel_time`` values (rounded to ms).
        highway_speeds_kph : mapping, optional
            Overrides of :data:`UK_SPEEDS_KPH` per highway class (drive only).
        speed_factor : float, default 0.8
            Average speed as a share of the limit (drive only); see :func:`add_travel_times`.
        """
        _check_mode(mode)
        graph = nx.MultiDiGraph(graph)
        if mode == "walk":
            _add_missing_reverse_edges(graph)
        _canonical_lists(graph)
        before = len(graph)
        if largest_component and before:
            graph = ox.truncate.largest_component(graph, strongly=True)
        if add_speeds:
            add_travel_times(graph, mode=mode, highway_speeds_kph=highway_speeds_kph,
                             speed_factor=speed_factor)
        else:
            _round_travel_times(graph)
        return cls(graph=graph, mode=mode, source_name=source_name, source_sha256=source_sha256,
                   nodes_kept=len(graph), nodes_dropped=before - len(graph))

    @property
    def source(self) -> str:
        """Plain description for run reports, e.g. ``road network x.osm.pbf (drive, sha256 85f7540a…)``."""
        sha = f", sha256 {self.source_sha256[:8]}…" if self.source_sha256 else ""
        return f"road network {self.source_name} ({self.mode}{sha})"

    @property
    def summary(self) -> str:
        """One line on size and what the connectivity check dropped."""
        total = self.nodes_kept + self.nodes_dropped
        share = 100 * self.nodes_dropped / total if total else 0.0
        return (f"{self.source}: {self.nodes_kept:,} nodes and {self.graph.number_of_edges():,} "
                f"edges kept in the largest strongly connected component; "
                f"{self.nodes_dropped:,} nodes ({share:.1f}%) dropped")

    def index_of(self, nodes) -> np.ndarray:
        """CSR row of each graph node id; ``ValueError`` naming ids not in the network."""
        nodes = np.asarray(nodes, dtype=np.int64).reshape(-1)
        index = np.searchsorted(self.node_ids, nodes)
        index = np.clip(index, 0, len(self.node_ids) - 1)
        bad = self.node_ids[index] != nodes
        if bad.any():
            missing = nodes[bad][:5].tolist()
            raise ValueError(f"{int(bad.sum())} node id(s) not in the {self.mode} network "
                             f"{self.source_name}, e.g. {missing}; snap points with snap_locations first")
        return index


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError(f"unknown travel mode {mode!r}; expected one of {', '.join(MODES)}",
                         field="mode")


def _add_missing_reverse_edges(graph: nx.MultiDiGraph) -> None:
    """Walkers may go both ways along one-way streets."""
    missing = [(u, v, data) for u, v, data in graph.edges(data=True)
               if u != v and not graph.has_edge(v, u)]
    for u, v, data in missing:
        data = dict(data)
        data["reversed"] = not data.get("reversed", False)
        data["oneway"] = False
        if "geometry" in data:
            data["geometry"] = data["geometry"].reverse()
        graph.add_edge(v, u, **data)


def _canonical_lists(graph: nx.MultiDiGraph) -> None:
    """Give list-valued edge attributes a fixed order, in place.

    osmnx's simplification builds them with ``list(set(...))``, whose order changes with
    Python's string hash seed, and ``add_edge_speeds`` uses the first highway class of a
    merged edge, so without this the same file could give other travel times on
    another run. The slowest class comes first, which errs towards longer journeys.
    """
    slowest_first = lambda value: (UK_SPEEDS_KPH.get(str(value), float("inf")), str(value))  # noqa: E731
    for _, _, data in graph.edges(data=True):
        for key, value in data.items():
            if isinstance(value, list):
                data[key] = sorted(value, key=slowest_first if key == "highway" else str)


def _normalise_maxspeed(value):
    if isinstance(value, list):
        return [_normalise_maxspeed(v) for v in value]
    if isinstance(value, str):
        return _UK_IMPLICIT_MAXSPEED.get(value.strip().lower(), value)
    return value


def add_travel_times(graph: nx.MultiDiGraph, *, mode: str = "drive",
                     highway_speeds_kph: Mapping[str, float] | None = None,
                     speed_factor: float = DRIVE_SPEED_FACTOR) -> nx.MultiDiGraph:
    """Set ``speed_kph`` and ``travel_time`` (seconds) on every edge, in place.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        Unfrozen osmnx-style graph with edge ``length`` (m) and ``highway``.
    mode : str, default "drive"
        ``"walk"`` sets :data:`WALK_SPEED_KPH` everywhere. ``"drive"`` takes the edge's
        limit from ``maxspeed`` (mph converted; UK implicit values such as ``national``
        and ``GB:nsl_single`` understood) or else :data:`UK_SPEEDS_KPH` for its highway
        class (via ``osmnx.add_edge_speeds``), times ``speed_factor``.
    highway_speeds_kph : mapping, optional
        Overrides of :data:`UK_SPEEDS_KPH` per highway class, km/h (limits, before
        ``speed_factor``).
    speed_factor : float, default :data:`DRIVE_SPEED_FACTOR` (0.8)
        Average speed as a share of the limit (drive only).

    Returns
    -------
    networkx.MultiDiGraph
        The same graph; ``travel_time`` is rounded to whole milliseconds.
    """
    _check_mode(mode)
    if graph.number_of_edges() == 0:
        return graph
    if mode == "walk":
        nx.set_edge_attributes(graph, WALK_SPEED_KPH, "speed_kph")
    else:
        for _, _, data in graph.edges(data=True):
            if "maxspeed" in data:
                data["maxspeed"] = _normalise_maxspeed(data["maxspeed"])
        if not 0 < speed_factor <= 2:
            raise InputError(f"speed factor must be in (0, 2], got {speed_factor}", field="speed_factor")
        speeds = {**UK_SPEEDS_KPH, **dict(highway_speeds_kph or {})}
        ox.add_edge_speeds(graph, hwy_speeds=speeds, fallback=UK_FALLBACK_KPH)
        for _, _, data in graph.edges(data=True):
            data["speed_kph"] = data["speed_kph"] * speed_factor
    ox.add_edge_travel_times(graph)
    return _round_travel_times(graph)


def _round_travel_times(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Whole milliseconds, so networkx sums on the graph match the exact matrix sums."""
    for _, _, data in graph.edges(data=True):
        if "travel_time" in data:
            data["travel_time"] = round(float(data["travel_time"]), 3)
    return graph


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".pbf") or lower.endswith(".osm") or lower.endswith(".osm.bz2"):
        return "osm"
    if lower.endswith(".graphml"):
        return "graphml"
    raise InputError("unsupported road network file type; expected .osm, .osm.bz2, .osm.pbf "
                     "or .graphml (from `carerounds roads fetch`)", file=name)


def _as_polygon(polygon):
    """Accept a shapely (Multi)Polygon, an Area, or a (min_lon, min_lat, max_lon, max_lat) box."""
    if polygon is None:
        return None
    geometry = getattr(polygon, "geometry", polygon)
    if isinstance(geometry, (tuple, list)) and len(geometry) == 4:
        geometry = shapely.box(*map(float, geometry))
    if not isinstance(geometry, (shapely.Polygon, shapely.MultiPolygon)) or geometry.is_empty:
        raise InputError("polygon must be a non-empty shapely Polygon/MultiPolygon in lon/lat, "
                         "an Area, or a (min_lon, min_lat, max_lon, max_lat) box", field="polygon")
    return geometry


def load_network(path, *, mode: str = "drive", polygon=None, service_roads: bool = True,
                 highway_speeds_kph: Mapping[str, float] | None = None,
                 speed_factor: float = DRIVE_SPEED_FACTOR, cache_dir=None) -> RoadNetwork:
    """Load a road network for one travel mode from a local file.

    Parameters
    ----------
    path : str or Path
        ``.osm`` / ``.osm.bz2`` (OSM XML), ``.osm.pbf`` (read with pyosmium), or
        ``.graphml`` (osmnx GraphML, e.g. from :func:`fetch_network`).
    mode : {"drive", "walk"}, default "drive"
        Which ways to keep, following osmnx's ``network_type`` rules. Walk networks
        are two-way everywhere at :data:`WALK_SPEED_KPH`.
    polygon : shapely Polygon/MultiPolygon, Area or 4-tuple, optional
        Clip to this area (lon/lat; a tuple is ``(min_lon, min_lat, max_lon, max_lat)``)
        before the connectivity check. Not applied to GraphML, which is already clipped.
    service_roads : bool, default True
        For ``drive``, keep service roads (driveways, farm and care-home access roads)
        as osmnx ``network_type="drive_service"`` does; ``False`` gives osmnx ``"drive"``.
    highway_speeds_kph : mapping, optional
        Overrides of :data:`UK_SPEEDS_KPH` per highway class (drive only).
    speed_factor : float, default :data:`DRIVE_SPEED_FACTOR` (0.8)
        Average drive speed as a share of the limit; see :func:`add_travel_times`.
    cache_dir : str or Path, optional
        Save the built network there as GraphML, keyed by the file's SHA-256 and these
        options, and load it from there next time.

    Returns
    -------
    RoadNetwork
        The largest strongly connected component, with speeds and travel times;
        ``nodes_dropped`` says what the connectivity check removed.

    Raises
    ------
    InputError
        Missing file, unsupported suffix, unreadable content, unknown mode, or no
        roads of the mode (inside the polygon); the message names the file.
    """
    path = Path(path)
    name = path.name
    _check_mode(mode)
    kind = _kind(name)
    if not path.is_file():
        raise InputError("road network file not found; check the path, or run "
                         "`carerounds roads fetch` to download one", file=name)
    clip = _as_polygon(polygon) if kind == "osm" else None
    sha = file_sha256(path)
    rules = "walk" if mode == "walk" else ("drive_service" if service_roads else "drive")
    # Everything that shapes the built graph, so a cached network is never stale.
    options = repr((rules, _osm.MODE_RULES[rules], clip.wkb_hex if clip is not None else None,
                    sorted((highway_speeds_kph or {}).items()), speed_factor,
                    sorted(UK_SPEEDS_KPH.items()), UK_FALLBACK_KPH, WALK_SPEED_KPH,
                    ox.__version__, _CACHE_VERSION))
    cache_file = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{sha}|{options}".encode()).hexdigest()[:20]
        cache_file = Path(cache_dir) / f"network-{mode}-{key}.graphml"
        if cache_file.is_file():
            graph = ox.load_graphml(cache_file, graph_dtypes={"carerounds_nodes_dropped": int})
            return RoadNetwork(graph=graph, mode=mode, source_name=name, source_sha256=sha,
                               nodes_kept=len(graph),
                               nodes_dropped=int(graph.graph.get("carerounds_nodes_dropped", 0)))

    if kind == "osm":
        graph = _graph_from_osm(path, rules=rules, clip=clip, bidirectional=mode == "walk")
    else:
        graph = _graph_from_graphml(path, mode)
    network = RoadNetwork.from_graph(graph, mode=mode, source_name=name, source_sha256=sha,
                                     highway_speeds_kph=highway_speeds_kph,
                                     speed_factor=speed_factor)
    log.info("%s", network.summary)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        out = nx.MultiDiGraph(network.graph)
        out.graph["carerounds_mode"] = mode
        out.graph["carerounds_nodes_dropped"] = network.nodes_dropped
        partial = cache_file.with_suffix(f".{id(out)}.part")
        ox.save_graphml(out, partial)
        partial.replace(cache_file)  # atomic, so a concurrent reader never sees half a file
    return network


_CACHE_VERSION = 1


def _graph_from_osm(path: Path, *, rules: str, clip, bidirectional: bool) -> nx.MultiDiGraph:
    name = path.name
    bbox = None
    if clip is not None:
        # A margin so ways crossing the edge keep the node just inside it.
        bbox = tuple(np.asarray(clip.bounds) + np.array([-0.01, -0.01, 0.01, 0.01]))
    with tempfile.TemporaryDirectory(prefix="carerounds-osm-") as tmp:
        xml = Path(tmp) / "network.osm"
        try:
            n_ways, _ = _osm.write_mode_xml(path, xml, rules, bbox=bbox)
        except (RuntimeError, ValueError, OSError) as exc:
            raise InputError(f"could not read OSM data ({exc}); is it a valid .osm/.osm.pbf file?",
                             file=name) from None
        if n_ways == 0:
            where = " inside the polygon" if clip is not None else ""
            raise InputError(f"no {_MODE_WORD[rules]} roads{where} in this file", file=name)
        graph = ox.graph_from_xml(xml, bidirectional=bidirectional, simplify=False, retain_all=True)
    if clip is not None:
        try:
            graph = ox.truncate.truncate_graph_polygon(graph, clip)
        except ValueError:
            graph = nx.MultiDiGraph()
        if len(graph) == 0:
            raise InputError(f"no {_MODE_WORD[rules]} roads inside the polygon in this file", file=name)
    return ox.simplify_graph(graph)


_MODE_WORD = {"drive": "drivable", "drive_service": "drivable", "walk": "walkable"}


def _graph_from_graphml(path: Path, mode: str) -> nx.MultiDiGraph:
    name = path.name
    try:
        graph = ox.load_graphml(path, graph_dtypes={"carerounds_nodes_dropped": int})
    except Exception as exc:  # networkx/lxml raise many types for a bad file
        raise InputError(f"could not read GraphML ({type(exc).__name__}: {exc})", file=name) from None
    stored = graph.graph.get("carerounds_mode")
    if stored is not None and stored != mode:
        raise InputError(f"this GraphML holds a {stored} network, not {mode}; fetch one with "
                         f"`carerounds roads fetch --mode {mode}`", file=name, field="mode")
    if len(graph) == 0 or graph.number_of_edges() == 0:
        raise InputError("the GraphML has no roads", file=name)
    return graph


def _require_online(timeout_s: float) -> None:
    """Fail fast when the Overpass API cannot be reached."""
    host = ox.settings.overpass_url.split("://", 1)[-1].split("/", 1)[0]
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
    except OSError as exc:
        raise NetworkUnavailableError(
            f"cannot reach {host} ({exc.__class__.__name__}); downloading a road network needs "
            "internet access. Offline, pass a local .osm.pbf/.osm/.graphml file instead "
            "(e.g. a Geofabrik extract)") from None


def fetch_network(*, region: str | None = None, polygon_path=None, out_path, buffer_m: int = 3000,
                  mode: str = "drive", service_roads: bool = True, timeout_s: float = 3.0,
                  boundaries_dir=None) -> Path:
    """Download a road network with osmnx and save it as GraphML.

    Parameters
    ----------
    region : str, optional
        A name in :data:`carerounds.geo.regions.REGIONS`: use the region's
        :attr:`~carerounds.geo.regions.Region.boundary_file` in
        ``../shared/data/osm/boundaries`` when present, else osmnx geocoding of its
        :attr:`~carerounds.geo.regions.Region.geocode_query`.
    polygon_path : str or Path, optional
        Or a boundary file readable by :func:`read_areas` (GeoJSON, GeoPackage, .poly).
    out_path : str or Path
        GraphML file to write.
    buffer_m : int, default 3000
        Grow the boundary by this many metres so rounds can cross the border.
    mode : {"drive", "walk"}, default "drive"
    service_roads : bool, default True
        As in :func:`load_network`.
    timeout_s : float, default 3.0
        Connectivity check timeout, seconds.
    boundaries_dir : str or Path, optional
        Where region ``.poly`` files live; default ``../shared/data/osm/boundaries``.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    NetworkUnavailableError
        At once, when the download server cannot be reached.
    InputError
        Unknown region, both or neither of region/polygon_path, unreadable polygon.
    """
    from .areas import read_areas  # areas imports geopandas, slow; only needed here

    _check_mode(mode)
    if (region is None) == (polygon_path is None):
        raise InputError("give exactly one of a region or a polygon file", field="region")
    polygon = None
    place = None
    if region is not None:
        try:
            place = regions.region(region)
        except InputError as exc:
            raise InputError(f"{exc.message} or a polygon file", field="region") from None
        poly_file = Path(boundaries_dir or _SHARED_BOUNDARIES) / place.boundary_file
        if poly_file.is_file():
            polygon = shapely.union_all([a.geometry for a in read_areas(poly_file)])
    else:
        polygon = shapely.union_all([a.geometry for a in read_areas(polygon_path)])
    _require_online(timeout_s)
    if polygon is None:
        assert place is not None  # a polygon file always gives a polygon
        polygon = ox.geocode_to_gdf(place.geocode_query).union_all()
    centre = polygon.centroid
    crs = projected_crs([centre.x], [centre.y])
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_deg = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    projected = shapely.transform(polygon, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
    buffered = shapely.transform(projected.buffer(buffer_m),
                                 lambda xy: np.column_stack(to_deg.transform(xy[:, 0], xy[:, 1])))
    rules = "walk" if mode == "walk" else ("drive_service" if service_roads else "drive")
    try:
        graph = ox.graph_from_polygon(buffered, network_type=rules, simplify=True, retain_all=True)
    except OSError as exc:  # requests' errors are OSErrors
        raise NetworkUnavailableError(f"download failed ({type(exc).__name__}); try again "
                                      "later or pass a local .osm.pbf file") from None
    graph.graph["carerounds_mode"] = mode
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, out_path)
    return out_path
