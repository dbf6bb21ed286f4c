"""Maps of a planned day: an interactive, self-contained ``map.html`` and a static ``map.png``.

The parts live in their own modules and are importable from here as before:
:mod:`.maps_common` (areas, colours), :mod:`.maps_html` (folium), :mod:`.maps_popups`
(popup and key text) and :mod:`.maps_png` (matplotlib).
"""

from __future__ import annotations

from pathlib import Path

from ..model import Day
from ..rota import Rota, check_rota_inputs
from ..travel import DayTravel
from .maps_common import PALETTE, area_slug, area_workers, worker_areas
from .maps_html import CROWDED_MARKERS, DETAIL_ZOOM, OSM_TILES, map_day
from .maps_png import MAX_KEYED_WORKERS, plot_day
from .paths import shift_paths

__all__ = ["CROWDED_MARKERS", "DETAIL_ZOOM", "MAX_KEYED_WORKERS", "OSM_TILES", "PALETTE",
           "area_slug", "area_workers", "map_day", "plot_day", "shift_paths", "worker_areas",
           "write_maps"]


def write_maps(day: Day, rota: Rota, travel: DayTravel | None, out_dir: str | Path, *,
               duplicates=None, per_area: bool = True, tiles: bool = True) -> list[Path]:
    """Write ``map.html`` and ``map.png`` for a planned day, and ``map_<area>.html`` per area.

    Parameters
    ----------
    day, rota : Day, Rota
    travel : DayTravel or None
        With road networks, rounds follow the roads; otherwise straight segments.
    out_dir : str or Path
        Created if missing.
    duplicates : iterable, optional
        Duplicate pairs to mark (see :func:`map_day`); maps work without them.
    per_area : bool, default True
        Also write one map per area (only when the day has more than one area).
    tiles : bool, default True
        OpenStreetMap background tiles.

    Returns
    -------
    list of Path
        The files written.
    """
    check_rota_inputs(day, rota)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = shift_paths(day, rota, travel)
    written = []
    target = out_dir / "map.html"
    map_day(day, rota, travel, duplicates=duplicates, tiles=tiles, paths=paths).save(str(target))
    written.append(target)

    ax = plot_day(day, rota, travel, duplicates=duplicates, paths=paths)
    target = out_dir / "map.png"
    ax.figure.savefig(target, bbox_inches="tight")
    written.append(target)

    areas = sorted({c.area for c in day.clients})
    if per_area and len(areas) > 1:
        used: set[str] = set()
        for area in areas:
            slug = area_slug(area)
            while slug in used:
                slug += "_"
            used.add(slug)
            target = out_dir / f"map_{slug}.html"
            map_day(day, rota, travel, duplicates=duplicates, area=area, tiles=tiles,
                    paths=paths).save(str(target))
            written.append(target)
    return written
