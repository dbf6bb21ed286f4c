"""Benchmark: full travel-time matrix on the Rutland drive network, road_matrix vs a networkx loop."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj

from carerounds.geo import load_network, road_matrix, snap_locations

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROADS = ROOT / ".." / "shared" / "data" / "osm" / "alternatives" / "rutland-latest.osm.pbf"


def random_points(network, n: int, rng: np.random.Generator, jitter_m: float = 30.0):
    """Points scattered within ``jitter_m`` of ``n`` distinct random nodes (lat, lon).

    Homes sit along roads, and distinct nodes make every row of the matrix real work
    (uniform points in a rural county snap onto far fewer distinct nodes).
    """
    pick = rng.choice(len(network.node_ids), size=min(n, len(network.node_ids)), replace=False)
    pick = np.resize(pick, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = jitter_m * np.sqrt(rng.uniform(0, 1, n))
    x = network.x_m[pick] + radius * np.cos(angle)
    y = network.y_m[pick] + radius * np.sin(angle)
    to_deg = pyproj.Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_deg.transform(x, y)
    return np.asarray(lat), np.asarray(lon)


def networkx_rows(graph, sources, targets) -> np.ndarray:
    """Seconds from each source to each target with one networkx Dijkstra per source."""
    rows = np.empty((len(sources), len(targets)), dtype=float)
    for k, source in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(graph, source, weight="travel_time")
        rows[k] = [lengths.get(t, np.inf) for t in targets]
    return rows


def run_size(network, n: int, seed: int, max_networkx_s: float) -> dict:
    rng = np.random.default_rng(seed)
    lat, lon = random_points(network, n, rng)
    nodes = snap_locations(network, lat, lon).nodes
    unique = len(np.unique(nodes))

    # Median of three runs: on a shared machine one short run is at the mercy of a
    # neighbour's burst, while the networkx loop runs long enough to average it out.
    # CPU seconds are reported too: they hardly depend on what else the machine runs.
    runs, cpu_runs = [], []
    for _ in range(3):
        start, cpu_start = time.perf_counter(), time.process_time()
        matrix = road_matrix(network, nodes)
        runs.append(time.perf_counter() - start)
        cpu_runs.append(time.process_time() - cpu_start)
    ours_s = float(np.median(runs))
    ours_cpu_s = float(np.median(cpu_runs))

    # The loop runs once per distinct node, as road_matrix does, so the ratio compares
    # the shortest-path routines rather than rewarding deduplication.
    distinct, inverse = np.unique(nodes, return_inverse=True)
    sources = [int(v) for v in distinct]
    targets = [int(v) for v in nodes]
    probe = np.sort(rng.choice(len(sources), size=min(len(sources), 25), replace=False))
    start, cpu_start = time.perf_counter(), time.process_time()
    probe_rows = networkx_rows(network.graph, [sources[i] for i in probe], targets)
    probe_s = time.perf_counter() - start
    probe_cpu_s = time.process_time() - cpu_start
    estimate_s = probe_s / len(probe) * len(sources)
    networkx_cpu_s = probe_cpu_s / len(probe) * len(sources)
    if estimate_s <= max_networkx_s:
        start, cpu_start = time.perf_counter(), time.process_time()
        rows = networkx_rows(network.graph, sources, targets)[inverse]
        networkx_s = time.perf_counter() - start
        networkx_cpu_s = time.process_time() - cpu_start
        checked_rows = np.arange(n)
        timed_sources = len(sources)
    else:
        # Every point whose node is one of the probed sources can be checked.
        row_of = {int(p): k for k, p in enumerate(probe)}
        checked_rows = np.array([i for i in range(n) if int(inverse[i]) in row_of])
        rows = probe_rows[[row_of[int(inverse[i])] for i in checked_rows]]
        networkx_s = estimate_s
        timed_sources = len(probe)

    # Same integer rounding as road_matrix: edge times are whole milliseconds, so the
    # networkx float sums round to the exact ms total, then half up to seconds.
    finite = np.isfinite(rows)
    whole_ms = np.rint(np.where(finite, rows, 0) * 1000).astype(np.int64)
    reference = np.where(finite, (whole_ms + 500) // 1000, -1)
    ours = matrix.duration_s[checked_rows].astype(float)
    ours = np.where(ours >= 10**9, -1, ours)
    mismatches = int((reference != ours).sum())
    result = {
        "points": n,
        "ours_s": round(ours_s, 3),
        "networkx_s": round(networkx_s, 3),
        "ratio": round(networkx_s / ours_s, 1),
        "pairs_checked": int(reference.size),
        "mismatches": mismatches,
        "ours_runs_s": [round(r, 3) for r in runs],
        "ours_cpu_s": round(ours_cpu_s, 3),
        "networkx_cpu_s": round(networkx_cpu_s, 3),
        "cpu_ratio": round(networkx_cpu_s / ours_cpu_s, 1),
        "unique_nodes": unique,
        "networkx_sources_timed": timed_sources,
        "networkx_extrapolated": timed_sources < unique,
        "unreachable_pairs": len(matrix.unreachable),
    }
    how = (f"all {unique} distinct sources timed" if timed_sources == unique else
           f"EXTRAPOLATED linearly to {unique} sources from {timed_sources} seeded sources "
           f"timed in {probe_s:.2f} s")
    print(f"{n:>6} points ({unique} distinct nodes): road_matrix {ours_s:7.2f} s (median of 3) | "
          f"networkx loop {networkx_s:8.2f} s ({how}) | ratio {networkx_s / ours_s:6.1f}x | "
          f"{reference.size:,} pairs checked, {mismatches} mismatches | CPU time: "
          f"{ours_cpu_s:.2f} s vs {networkx_cpu_s:.2f} s, {networkx_cpu_s / ours_cpu_s:.1f}x", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", default="1000,2000", help="comma-separated sizes (default 1000,2000)")
    parser.add_argument("--json", default=None, metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--roads", default=str(DEFAULT_ROADS), help="road network file (default Rutland)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--max-networkx-s", type=float, default=180.0,
                        help="time the whole networkx loop when it is estimated to take at most this "
                             "many seconds, else time a seeded subset and extrapolate (default 180)")
    args = parser.parse_args(argv)
    roads = Path(args.roads)
    if not roads.is_file():
        print(f"road network not found: {roads} (needs ../shared beside the project)", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.points.split(",") if s.strip()]

    start = time.perf_counter()
    network = load_network(roads, mode="drive")
    print(f"{network.summary}; built in {time.perf_counter() - start:.1f} s", flush=True)
    results = [run_size(network, n, args.seed + k, args.max_networkx_s) for k, n in enumerate(sizes)]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["mismatches"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
