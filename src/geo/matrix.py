"""Travel-time and distance matrices on a road network, with an on-disk per-row cache."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .network import MAX_PATH_MS, ROUTING_SCALE, RoadNetwork
from .travel import TravelMatrix

log = logging.getLogger(__name__)

#: Finite stand-in for "no path" in duration (s) and distance (m) matrices.
UNREACHABLE = 10**9

# Sources per Dijkstra batch: at most 512, and at most this many row entries, so a
# batch's float64 result stays near 32 MB however big the network.
_BATCH = 512
_BATCH_ENTRIES = 4_000_000


def _shortest_rows(network: RoadNetwork, sources: np.ndarray,
                   columns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fastest-path seconds and the metres of those paths from each source to nodes.

    One Dijkstra on ``network.routing`` (weights ``ms * ROUTING_SCALE + dm``): the
    smallest composite sum is the fastest path, ties broken by length, and since every
    partial sum is an integer below 2**53 the float64 sums are exact, so the quotient
    and remainder by ``ROUTING_SCALE`` are the path's exact milliseconds and decimetres.

    Parameters
    ----------
    network : RoadNetwork
    sources : ndarray of int
        CSR rows (not graph ids).
    columns : ndarray of int, optional
        CSR rows of the targets; default every node.

    Returns
    -------
    (ndarray, ndarray)
        ``(len(sources), len(columns))`` int64 seconds and metres, rounded half up
        from the exact milliseconds and decimetres; :data:`UNREACHABLE` where there is
        no path.
    """
    weights = np.atleast_2d(dijkstra(network.routing, directed=True, indices=sources))
    if columns is not None:
        weights = weights[:, columns]
    reachable = np.isfinite(weights)
    composite = np.where(reachable, weights, 0.0).astype(np.int64)
    ms, dm = np.divmod(composite, ROUTING_SCALE)
    longest_ms = int(ms.max()) if ms.size else 0
    if longest_ms >= MAX_PATH_MS or longest_ms * network.max_dm_per_ms >= ROUTING_SCALE:
        raise ValueError(f"a path in {network.source_name} is too long ({longest_ms / 3.6e6:.0f} h) "
                         "for exact travel matrices; clip the network to the area you plan")
    seconds = np.where(reachable, (ms + 500) // 1000, UNREACHABLE)
    metres = np.where(reachable, (dm + 5) // 10, UNREACHABLE)
    return seconds, metres


def _row_cache_dir(cache_dir, network: RoadNetwork) -> Path:
    return Path(cache_dir) / f"rows-{network.mode}-{network.fingerprint[:24]}"


def _read_row(path: Path, n: int) -> np.ndarray | None:
    try:
        row = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return row if row.shape == (2, n) and row.dtype == np.int32 else None


def _write_row(folder: Path, name: str, row: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        np.save(handle, row.astype(np.int32))
    os.replace(tmp, folder / name)  # atomic: concurrent planners never read half a row


def road_matrix(network: RoadNetwork, nodes, *, cache_dir=None) -> TravelMatrix:
    """Durations and distances between graph nodes along the fastest road paths.

    Parameters
    ----------
    network : RoadNetwork
    nodes : array-like of int
        Graph node ids (e.g. ``Snapping.nodes``), in matrix order; repeats allowed.
    cache_dir : str or Path, optional
        Keep each source's full row (seconds and metres to every node of the network)
        on disk, keyed by the network's fingerprint and the source node, so a re-plan
        with a few changed points computes only the new sources' rows.

    Returns
    -------
    TravelMatrix
        ``duration_s[i, j]``: seconds of the fastest path from ``nodes[i]`` to
        ``nodes[j]`` (edge times in whole ms, summed exactly, rounded half up);
        ``distance_m``: metres along that same path (the shortest of equally fast ones).
        Not symmetric on one-way streets. Pairs with no path are listed in
        ``unreachable`` and hold :data:`UNREACHABLE` in both.

    Raises
    ------
    ValueError
        A node id is not in the network, or a path is too long for exact sums
        (over 37 hours; only continental networks).
    """
    nodes = np.asarray(nodes, dtype=np.int64).reshape(-1)
    index = network.index_of(nodes) if len(nodes) else np.zeros(0, dtype=np.int64)
    sources, inverse = np.unique(index, return_inverse=True)
    n_nodes = len(network.node_ids)
    seconds = np.empty((len(sources), len(nodes)), dtype=np.int64)
    metres = np.empty_like(seconds)

    todo = np.arange(len(sources))
    cached = 0
    folder = None
    if cache_dir is not None and len(sources):
        folder = _row_cache_dir(cache_dir, network)
        folder.mkdir(parents=True, exist_ok=True)
        missing = []
        for k, source in enumerate(sources.tolist()):
            row = _read_row(folder / f"{network.node_ids[source]}.npy", n_nodes)
            if row is None:
                missing.append(k)
            else:
                seconds[k] = row[0, index]
                metres[k] = row[1, index]
                cached += 1
        todo = np.array(missing, dtype=np.int64)

    batch_size = max(1, min(_BATCH, _BATCH_ENTRIES // max(n_nodes, 1)))
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        if folder is None:
            seconds[batch], metres[batch] = _shortest_rows(network, sources[batch], index)
            continue
        row_s, row_m = _shortest_rows(network, sources[batch])
        seconds[batch] = row_s[:, index]
        metres[batch] = row_m[:, index]
        for k, s_row, m_row in zip(batch.tolist(), row_s, row_m):
            _write_row(folder, f"{network.node_ids[sources[k]]}.npy", np.stack([s_row, m_row]))
    if cached:
        log.info("travel matrix: %d of %d source rows read from cache", cached, len(sources))

    duration_s = seconds[inverse]
    distance_m = metres[inverse]
    unreachable = tuple((int(i), int(j)) for i, j in np.argwhere(duration_s >= UNREACHABLE))
    return TravelMatrix(duration_s=duration_s, distance_m=distance_m, mode=network.mode,
                        source=network.source, unreachable=unreachable, cached_rows=cached)


def route_geometry(network: RoadNetwork, from_node: int, to_node: int) -> list[tuple[float, float]]:
    """Points along the fastest path between two graph nodes, for drawing maps.

    Parameters
    ----------
    network : RoadNetwork
    from_node, to_node : int
        Graph node ids.

    Returns
    -------
    list of (float, float)
        ``(lat, lon)`` in degrees from ``from_node`` to ``to_node``, following the
        roads' shapes; a single point when the nodes are the same.

    Raises
    ------
    ValueError
        A node is not in the network, or ``to_node`` cannot be reached.
    """
    start, end = network.index_of([from_node, to_node]).tolist()
    if start == end:
        return [(float(network.lat[start]), float(network.lon[start]))]
    weights, predecessors = dijkstra(network.routing, directed=True, indices=start,
                                     return_predecessors=True)
    if not np.isfinite(weights[end]):
        raise ValueError(f"node {to_node} cannot be reached from node {from_node} in the "
                         f"{network.mode} network {network.source_name}")
    path = [end]
    while path[-1] != start:
        path.append(int(predecessors[path[-1]]))
    path.reverse()
    ids = network.node_ids
    graph = network.graph
    points: list[tuple[float, float]] = [(float(network.lon[start]), float(network.lat[start]))]
    for a, b in zip(path, path[1:]):
        u, v = int(ids[a]), int(ids[b])
        data = min(graph[u][v].values(), key=lambda d: (d["travel_time"], d["length"]))
        geometry = data.get("geometry")
        if geometry is None:
            leg = [(float(network.lon[b]), float(network.lat[b]))]
        else:
            coords = [(float(x), float(y)) for x, y in geometry.coords]
            if _sq(coords[0], points[-1]) > _sq(coords[-1], points[-1]):
                coords.reverse()  # osmnx keeps u->v order, but be safe with foreign GraphML
            leg = coords[1:]
        points.extend(leg)
    return [(lat, lon) for lon, lat in points]


def _sq(p: tuple[float, float], q: tuple[float, float]) -> float:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2
