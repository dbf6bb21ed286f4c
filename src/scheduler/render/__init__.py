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


def write_plan(result: "PlanResult", out_dir: str | Path) -> list[Path]:
    """Write every file ``carerounds plan`` writes for a planned day into ``out_dir``.

    ``rota.json``, ``rota.csv`` and ``unplaced.csv``; the reports (duplicates, unplaced
    breakdown, capacity, fair work, ``report.html``); run sheets; maps.

    Parameters
    ----------
    result : PlanResult
        From :func:`carerounds.scheduler.plan.plan_folder` or ``plan_with_duplicates``.
    out_dir : str or Path
        Created if missing.

    Returns
    -------
    list of Path
        The files written, in that order.
    """
    from ..rota import write_rota_csv, write_rota_json, write_unplaced_csv
    from . import maps, report, sheets

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day, rota, travel = result.planned, result.rota, result.travel
    written = [write_rota_json(rota, out / "rota.json"),
               write_rota_csv(rota, day, out / "rota.csv"),
               write_unplaced_csv(rota, day, out / "unplaced.csv")]
    written += report.write_plan_report(day, rota, travel, out, duplicates=result.duplicates,
                                        merges=result.merges)
    written += sheets.write_run_sheets(day, rota, out, travel=travel)
    written += maps.write_maps(day, rota, travel, out, duplicates=result.duplicates)
    return written
