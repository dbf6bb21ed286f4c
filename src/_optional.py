"""Optional dependencies: which extra provides which package, and one clear error when absent.

The base install (``pip install carerounds``) reads a day, plans it on the straight-line
estimate, checks it and writes the rota, its CSV reports and ``report.html``. Road
networks, run sheets, maps and what-if scenarios need extras.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import MissingExtraError

#: Top-level import name -> the extra that installs it.
EXTRA_OF: dict[str, str] = {
    "osmnx": "roads", "osmium": "roads", "networkx": "roads", "geopandas": "roads",
    "shapely": "roads", "pyproj": "roads",
    "reportlab": "sheets",
    "folium": "maps", "branca": "maps", "js_lib_leaflet": "maps", "matplotlib": "maps",
    "pandas": "whatif", "dask": "whatif", "distributed": "whatif",
    "sqlalchemy": "store", "alembic": "store", "psycopg": "postgres",
    "pyvrp": "fast",
}


def require(module: str, *, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install.

    Parameters
    ----------
    module : str
        The dotted module name, e.g. ``"reportlab.platypus"``.
    purpose : str
        What needs it, e.g. ``"printing run sheets"``.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise missing_extra(exc, purpose=purpose) from exc


def missing_extra(exc: ModuleNotFoundError, *, purpose: str) -> MissingExtraError:
    """The :class:`MissingExtraError` for an import that failed (``exc.name`` names it)."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(top, "all")
    return MissingExtraError(
        f"{purpose} needs the optional package {top or 'unknown'!r}; install it with "
        f"pip install 'carerounds[{extra}]' (or 'carerounds[all]')")


def available(*modules: str) -> bool:
    """Every module in ``modules`` is installed (found without importing it)."""
    for module in modules:
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True
