"""The static map of a planned day, ``map.png``: geopandas and matplotlib, no personal data.

Rounds, homes, visits, unplaced and duplicate visits, area names, a scale bar, a key of
symbols and a key of worker colours by worker id; no client or worker names and no
addresses, so the picture can go into reports.
"""

from __future__ import annotations

from collections import defaultdict

from ..model import Day
from ..rota import Rota
from ..travel import DayTravel
from ..units import METRES_PER_MILE
from .maps_common import PALETTE, duplicate_pairs, visit_client, worker_colours
from .paths import OSM_ATTRIBUTION, LatLon, ShiftPath, shift_paths

#: With more workers than this (colours repeat past the palette) the key of worker
#: colours gives way to a note.
MAX_KEYED_WORKERS = len(PALETTE)
#: Characters of a worker id shown in the key (ids can be very long).
KEY_ID_CHARS = 24

Paths = dict[tuple[str, int], ShiftPath]


def plot_day(day: Day, rota: Rota, travel: DayTravel | None = None, *, duplicates=None,
             ax=None, paths=None):
    """A static map of a planned day drawn with geopandas and matplotlib.

    No client names or addresses are drawn, so the picture can go into reports; the key
    of worker colours names workers by id only.

    Parameters
    ----------
    day, rota : Day, Rota
    travel : DayTravel, optional
        With road networks, rounds follow the roads.
    duplicates : iterable, optional
        Duplicate pairs (see :func:`map_day`); marked with orange rings.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new 10 x 10 inch figure (not a pyplot one).
    paths : dict, optional
        Geometry from :func:`shift_paths`, to reuse it.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.figure import Figure

    from ...geo import projected_crs

    if paths is None:
        paths = shift_paths(day, rota, travel)
    if ax is None:
        ax = Figure(figsize=(10, 10), dpi=110).add_subplot()
    all_points = [p for path in paths.values() for p in path.line] + \
        [(c.lat, c.lon) for c in day.clients] + [(w.home_lat, w.home_lon) for w in day.workers]
    crs = projected_crs([p[1] for p in all_points], [p[0] for p in all_points])
    colours = worker_colours(rota)
    workers = _draw_routes(ax, paths, colours, crs)
    unplaced, pairs = _draw_points(ax, day, rota, paths, duplicates, crs)
    _draw_area_names(ax, day, crs)
    _frame(ax, all_points, crs)
    ax.set_title(f"Rota for {day.date:%A} {day.date.day} {day.date:%B %Y}: {len(workers)} "
                 f"workers, {len(rota.scheduled)} visits placed, {len(rota.unplaced)} unplaced",
                 fontsize=12)
    _symbol_key(ax, unplaced=unplaced, duplicates=pairs)
    _worker_key(ax, workers, colours)
    on_roads = bool(paths) and all(p.on_roads for p in paths.values())
    ax.annotate(("Rounds along the roads; roads " + OSM_ATTRIBUTION) if on_roads else
                "Straight lines between stops (estimated travel)", (1, 0),
                xycoords="axes fraction", ha="right", va="bottom", fontsize=7, color="#555555")
    return ax


def _draw_routes(ax, paths: Paths, colours: dict[str, str], crs) -> list[str]:
    """One multi-line per worker in the worker's colour; returns the workers drawn, by id."""
    import geopandas as gpd
    from shapely.geometry import LineString, MultiLineString

    by_worker: dict[str, list] = defaultdict(list)
    for (worker_id, _), path in sorted(paths.items()):
        line = [(lon, lat) for lat, lon in path.line]
        if len(line) > 1:
            by_worker[worker_id].append(LineString(line))
    if by_worker:
        routes = gpd.GeoDataFrame(
            {"colour": [colours[w] for w in by_worker]},
            geometry=[MultiLineString(parts) for parts in by_worker.values()], crs="EPSG:4326"
        ).to_crs(crs)
        busy = len(by_worker) > 40  # thinner, lighter lines so a county day stays readable
        routes.plot(ax=ax, color=routes["colour"], linewidth=0.9 if busy else 1.6,
                    alpha=0.6 if busy else 0.85, zorder=2)
    return list(by_worker)


def _draw_points(ax, day: Day, rota: Rota, paths: Paths, duplicates, crs) -> tuple[bool, bool]:
    """Visits, homes, unplaced visits and duplicate rings; whether any unplaced and pairs."""
    import geopandas as gpd
    from shapely.geometry import Point

    def series(points: list) -> gpd.GeoSeries:
        return gpd.GeoSeries(points, crs="EPSG:4326").to_crs(crs)

    stops = [Point(lon, lat) for path in paths.values() for lat, lon in path.stops]
    homes = [Point(path.home[1], path.home[0]) for path in paths.values()]
    if stops:
        series(stops).plot(ax=ax, color="white", edgecolor="black", markersize=16,
                           linewidth=0.8, zorder=3)
        series(homes).plot(ax=ax, color="black", marker="s", markersize=14, zorder=3)
    unplaced = [visit_client(day, o.visit_id) for o in rota.unplaced]
    if unplaced:
        series([Point(c.lon, c.lat) for c in unplaced]).plot(
            ax=ax, color="#cc0000", marker="X", markersize=60, edgecolor="white",
            linewidth=0.6, zorder=4)
    pairs = duplicate_pairs(duplicates, day)
    if pairs:
        dup = [visit_client(day, a) for a, _, _ in pairs]
        series([Point(c.lon, c.lat) for c in dup]).plot(
            ax=ax, facecolor="none", edgecolor="#e68a00", marker="o", markersize=200,
            linewidth=2, zorder=4)
    return bool(unplaced), bool(pairs)


def _draw_area_names(ax, day: Day, crs) -> None:
    """Area names at the middle of their clients: place names only, no personal data."""
    import geopandas as gpd
    from matplotlib.patheffects import withStroke
    from shapely.geometry import Point

    by_area: dict[str, list] = defaultdict(list)
    for c in day.clients:
        by_area[c.area].append(Point(c.lon, c.lat))
    if len(by_area) > 1:
        for name, pts in by_area.items():
            centre = gpd.GeoSeries(pts, crs="EPSG:4326").to_crs(crs).union_all().centroid
            ax.annotate(name.replace("$", r"\$"), (centre.x, centre.y), fontsize=11,
                        ha="center", va="center", color="#333333", fontweight="bold", zorder=6,
                        path_effects=[withStroke(linewidth=3.5, foreground="white")])


def _frame(ax, all_points: list[LatLon], crs) -> None:
    """Room around the data for the scale bar and the labels, a square-ish frame, the bar."""
    import geopandas as gpd
    from shapely.geometry import Point

    extent = gpd.GeoSeries([Point(lon, lat) for lat, lon in all_points],
                           crs="EPSG:4326").to_crs(crs).total_bounds
    x0, y0, x1, y1 = (float(v) for v in extent)
    pad = max(x1 - x0, y1 - y0, 1000.0) * 0.08
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - 1.5 * pad, y1 + pad)  # a little more below, for the scale bar
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    xs = ax.get_xlim()
    _scale_bar(ax, xs[1] - xs[0])


def _scale_bar(ax, width_m: float) -> None:
    target = width_m / 4
    miles = max([m for m in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20) if m * METRES_PER_MILE <= target]
                or [0.1])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    left, bottom = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    length = miles * METRES_PER_MILE
    ax.plot([left, left + length], [bottom, bottom], color="black", linewidth=3,
            solid_capstyle="butt", zorder=10)
    ax.text(left + length / 2, bottom + (y1 - y0) * 0.012, f"{miles:g} mile" +
            ("s" if miles > 1 else ""), ha="center", va="bottom", fontsize=8, zorder=10)


def _symbol_key(ax, *, unplaced: bool, duplicates: bool) -> None:
    """The key of symbols, in a row under the map."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=PALETTE[0], linewidth=2, label="a worker's round"),
               Line2D([], [], color="black", marker="s", linestyle="", markersize=5,
                      label="worker's home"),
               Line2D([], [], markerfacecolor="white", markeredgecolor="black", marker="o",
                      linestyle="", markersize=6, label="visit")]
    if unplaced:
        handles.append(Line2D([], [], color="#cc0000", marker="X", linestyle="", markersize=8,
                              label="unplaced visit"))
    if duplicates:
        handles.append(Line2D([], [], markerfacecolor="none", markeredgecolor="#e68a00",
                              marker="o", linestyle="", markersize=11, markeredgewidth=2,
                              label="possible duplicate"))
    key = ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                    ncol=len(handles), fontsize=8, frameon=False)
    ax.add_artist(key)  # kept when the worker key below becomes the axes' legend
    key.set_clip_on(False)  # add_artist clips to the axes; the key sits below them


def _worker_key(ax, workers: list[str], colours: dict[str, str]) -> None:
    """Worker colours by id, right of the map; a note instead when colours repeat."""
    from matplotlib.lines import Line2D

    if not workers:
        return
    if len(workers) > MAX_KEYED_WORKERS:
        ax.annotate(f"{len(workers)} workers: route colours repeat, so they have no key here; "
                    "map.html names each round", (0, 0), xycoords="axes fraction", ha="left",
                    va="bottom", fontsize=7, color="#555555")
        return
    handles = [Line2D([], [], color=colours[w], linewidth=2.5, label=_key_id(w))
               for w in sorted(workers)]
    ax.legend(handles=handles, title="Workers", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=7, title_fontsize=8, frameon=False, handlelength=1.6,
              borderaxespad=0.0, labelspacing=0.3)


def _key_id(worker_id: str) -> str:
    """A worker id for the key, shortened with an ellipsis when very long."""
    return worker_id if len(worker_id) <= KEY_ID_CHARS else worker_id[:KEY_ID_CHARS - 1] + "…"
