"""Rendering for people: the manager's report, run sheets (PDF, HTML) and maps.

reportlab, folium, matplotlib and geopandas are imported only here, and only when a
page is drawn; the core of :mod:`carerounds.scheduler` never imports this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..plan import PlanResult

__all__ = ["write_plan"]

#: Packages each optional part of a plan's output set needs (see ``carerounds._optional``).
SHEETS_NEED = ("reportlab",)
MAPS_NEED = ("folium", "js_lib_leaflet", "matplotlib", "geopandas", "shapely", "pyproj")


def write_plan(result: PlanResult, out_dir: str | Path, *,
               skipped: list[str] | None = None) -> list[Path]:
    """Write every file ``carerounds plan`` writes for a planned day into ``out_dir``.

    ``rota.json``, ``rota.csv`` and ``unplaced.csv``; the reports (duplicates, unplaced
    breakdown, capacity, fair work, ``report.html``); run sheets; maps.

    Parameters
    ----------
    result : PlanResult
        From :func:`carerounds.scheduler.plan.plan_folder` or ``plan_with_duplicates``.
    out_dir : str or Path
        Created if missing.
    skipped : list of str, optional
        Receives one line per part not written because its extra is not installed
        (run sheets need ``carerounds[sheets]``, maps ``carerounds[maps]``); the base
        install still writes the rota, the CSV reports and ``report.html``.

    Returns
    -------
    list of Path
        The files written, in that order.
    """
    from ..._optional import available
    from ..rota import write_rota_csv, write_rota_json, write_unplaced_csv
    from . import report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day, rota, travel = result.planned, result.rota, result.travel
    written = [write_rota_json(rota, out / "rota.json"),
               write_rota_csv(rota, day, out / "rota.csv"),
               write_unplaced_csv(rota, day, out / "unplaced.csv")]
    written += report.write_plan_report(day, rota, travel, out, duplicates=result.duplicates,
                                        merges=result.merges)
    notes = skipped if skipped is not None else []
    if available(*SHEETS_NEED):
        from . import sheets

        written += sheets.write_run_sheets(day, rota, out, travel=travel)
    else:
        notes.append("run sheets skipped: pip install 'carerounds[sheets]' to print them")
    if available(*MAPS_NEED):
        from . import maps

        written += maps.write_maps(day, rota, travel, out, duplicates=result.duplicates)
    else:
        notes.append("maps skipped: pip install 'carerounds[maps]' to draw them")
    return written
