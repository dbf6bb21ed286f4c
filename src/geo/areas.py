"""Areas and patches: read boundary polygons and find which one each point lies in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from ..errors import InputError

_POLYGONAL = (shapely.Polygon, shapely.MultiPolygon)


@dataclass(frozen=True)
class Area:
    """A named region (council area, ward, care patch).

    Parameters
    ----------
    name : str
        What reports call it.
    geometry : shapely.Polygon or shapely.MultiPolygon
        Outline in lon/lat degrees (WGS84).
    """

    name: str
    geometry: shapely.Polygon | shapely.MultiPolygon


def read_areas(path, *, name_field: str | None = None) -> tuple[Area, ...]:
    """Read named polygons from GeoJSON, GeoPackage or an Osmosis ``.poly`` file.

    Parameters
    ----------
    path : str or Path
        ``.geojson`` / ``.json`` / ``.gpkg`` (any CRS; converted to WGS84) or ``.poly``
        (one area named by the file's first line, or its stem when that line is
        just ``polygon``/``none``).
    name_field : str, optional
        Property holding each area's name. Default: a field called ``name`` (any
        case), else one ending in ``NM``/``NAME`` (ONS style, e.g. ``WD13NM``), else
        the first text field whose values are all present and distinct.

    Returns
    -------
    tuple of Area
        In file order.

    Raises
    ------
    InputError
        Missing or unreadable file, unsupported suffix, unknown or unusable name
        field, a feature that is not a polygon, or no features; names file, row
        (1-based feature number) and field.
    """
    path = Path(path)
    name = path.name
    lower = name.lower()
    if not lower.endswith((".geojson", ".json", ".gpkg", ".poly")):
        raise InputError("unsupported area file type; expected .geojson, .json, .gpkg or .poly",
                         file=name)
    if not path.is_file():
        raise InputError("area file not found; check the path", file=name)
    if lower.endswith(".poly"):
        return (_read_poly(path),)

    import geopandas  # heavy; only this reader needs it

    try:
        frame = geopandas.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError and friends
        raise InputError(f"could not read areas ({type(exc).__name__}: {exc})", file=name) from None
    if len(frame) == 0:
        raise InputError("no features in the file", file=name)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    columns = [c for c in frame.columns if c != frame.geometry.name]
    field = name_field if name_field is not None else _guess_name_field(frame, columns)
    if field is None:
        raise InputError(f"no field looks like an area name; pass name_field= one of {columns}",
                         file=name, field="name_field")
    if field not in columns:
        raise InputError(f"no such field; the features have {columns}", file=name, field=field)
    areas = []
    for i, (value, geometry) in enumerate(zip(frame[field], frame.geometry)):
        if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
            raise InputError("feature has no name", file=name, row=i + 1, field=field)
        if not isinstance(geometry, _POLYGONAL) or geometry.is_empty:
            kind = "no geometry" if geometry is None else f"a {geometry.geom_type}"
            raise InputError(f"feature {str(value)!r} has {kind}, not a polygon", file=name,
                             row=i + 1, field="geometry")
        areas.append(Area(name=str(value).strip(), geometry=geometry))
    return tuple(areas)


def _guess_name_field(frame, columns: list[str]) -> str | None:
    for column in columns:
        if column.lower() == "name":
            return column
    for column in columns:
        upper = column.upper()
        if upper.endswith("NM") or upper.endswith("NAME"):
            return column
    for column in columns:
        values = frame[column]
        if values.map(lambda v: isinstance(v, str) and v.strip() != "").all() and values.is_unique:
            return column
    return None


def _read_poly(path: Path) -> Area:
    """Osmosis polygon format: name line, then sections of "lon lat" lines ending in END."""
    name = path.name
    lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InputError("empty .poly file", file=name)
    outers: list[shapely.Polygon] = []
    holes: list[shapely.Polygon] = []
    ring: list[tuple[float, float]] | None = None
    hole = False
    for number, line in enumerate(lines[1:], start=2):
        if ring is None:
            if line == "END":
                break  # end of file
            hole = line.startswith("!")
            ring = []
        elif line == "END":
            if len(ring) < 3:
                raise InputError("a ring has fewer than 3 points", file=name, row=number)
            (holes if hole else outers).append(shapely.Polygon(ring))
            ring = None
        else:
            parts = line.split()
            try:
                ring.append((float(parts[0]), float(parts[1])))
            except (ValueError, IndexError):
                raise InputError(f"expected 'lon lat', got {line[:40]!r}", file=name,
                                 row=number) from None
    if ring is not None:
        raise InputError("a ring is not closed with END", file=name)
    if not outers:
        raise InputError("no polygon rings", file=name)
    geometry = shapely.union_all([shapely.make_valid(p) for p in outers])
    if holes:
        geometry = geometry.difference(shapely.union_all([shapely.make_valid(p) for p in holes]))
    title = lines[0]
    area_name = path.stem if title.lower() in {"polygon", "none", ""} else title
    return Area(name=area_name, geometry=geometry)


def assign_areas(lats, lons, areas) -> list[str | None]:
    """Name of the area each point lies in (point-in-polygon, vectorised with an STRtree).

    Parameters
    ----------
    lats, lons : array-like of float
        Degrees (WGS84).
    areas : sequence of Area

    Returns
    -------
    list of str or None
        ``None`` where a point is in no area (or has no coordinates). A point on a
        shared border, or in overlapping areas, gets the first such area in ``areas``.
    """
    lats = np.asarray(lats, dtype=float).reshape(-1)
    lons = np.asarray(lons, dtype=float).reshape(-1)
    if lats.shape != lons.shape:
        raise ValueError(f"{len(lats)} latitudes but {len(lons)} longitudes")
    areas = tuple(areas)
    result: list[str | None] = [None] * len(lats)
    if not areas or not len(lats):
        return result
    tree = shapely.STRtree([area.geometry for area in areas])
    points = shapely.points(lons, lats)
    point_idx, area_idx = tree.query(points, predicate="intersects")
    best = np.full(len(lats), len(areas), dtype=np.int64)
    np.minimum.at(best, point_idx, area_idx)
    for i in np.flatnonzero(best < len(areas)).tolist():
        result[i] = areas[best[i]].name
    return result
