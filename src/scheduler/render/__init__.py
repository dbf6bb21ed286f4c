"""Rendering for people: the manager's report, run sheets (PDF, HTML) and maps.

reportlab, folium, matplotlib and geopandas are imported only here, and only when a
page is drawn; the core of :mod:`carerounds.scheduler` never imports this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plan import PlanResult

__all__ = ["WRITE_SHARE_MAX", "WRITE_S_PER_VISIT", "search_budget_s", "write_plan"]

#: Packages each optional part of a plan's output set needs (see ``carerounds._optional``).
SHEETS_NEED = ("reportlab",)
MAPS_NEED = ("folium", "js_lib_leaflet", "matplotlib", "geopandas", "shapely", "pyproj")


#: Seconds per visit that explaining the rota and writing a day's full output set take
#: (rota, reports, run sheets with their overview, maps): 37 s in all after a 34.6 s
#: search on the Midlothian day (1,490 visits) on a 2-core machine at load 1.0, measured
#: on 2026-12-02 (22-24 s a day earlier, before the run sheets' overview page and
#: contacts); rounded up.
WRITE_S_PER_VISIT = 0.026
#: The most of a time limit kept back for writing.
WRITE_SHARE_MAX = 0.6


def search_budget_s(time_limit_s: float, n_visits: int) -> float:
    """The part of a whole run's time limit the search may take, the rest kept for writing.

    ``carerounds plan --time-limit T`` is a limit on the run, outputs written: the
    search gets ``T`` less an estimate of the writing (:data:`WRITE_S_PER_VISIT` per
    visit), never less than ``1 - WRITE_SHARE_MAX`` of ``T``; under a second of writing
    is not kept back. The run record's ``time_limit_s`` is then the search's limit.

    Parameters
    ----------
    time_limit_s : float
        The whole run's limit, seconds.
    n_visits : int
        Visits in the day.
    """
    reserve = min(WRITE_SHARE_MAX * time_limit_s, WRITE_S_PER_VISIT * max(0, n_visits))
    # under a second is within the run's tolerance: a small day searches the whole limit
    return time_limit_s - reserve if reserve >= 1.0 else time_limit_s


def write_plan(result: PlanResult, out_dir: str | Path, *,
               skipped: list[str] | None = None, redact_access: bool = False,
               pay: Mapping[str, Any] | None = None) -> list[Path]:
    """Write every file ``carerounds plan`` writes for a planned day into ``out_dir``, as one set.

    ``rota.json``, ``rota.csv`` and ``unplaced.csv``; ``handover.csv`` when the rota was
    planned with ``pool`` (the visits done by another provider's workers); the reports (duplicates, unplaced
    breakdown, capacity, fair work, ``report.html``); run sheets; maps; and last
    ``manifest.json`` (every file with its size and SHA-256). The files are written into
    a staging folder beside ``out_dir``, read back against the manifest, and swapped
    into place in one step (:class:`carerounds.scheduler.outputset.OutputSet`): a reader
    of ``out_dir`` sees the previous set or the new one, never a mix, and when anything
    fails the previous set is left exactly as it was. Files and folders of the user's
    own in ``out_dir`` (an ``inputs/`` folder, notes) are kept.

    Parameters
    ----------
    result : PlanResult
        From :func:`carerounds.scheduler.plan.plan_folder` or ``plan_with_duplicates``.
        ``result.rota.run["partial"]`` true (the search was stopped early) is recorded in
        the manifest.
    out_dir : str or Path
        Created if missing, with its parents.
    skipped : list of str, optional
        Receives one line per part not written because its extra is not installed
        (run sheets need ``carerounds[sheets]``, maps ``carerounds[maps]``), and one per
        leftover of an earlier run that died, cleared first; the base install still
        writes the rota, the CSV reports and ``report.html``.
    redact_access : bool, default False
        Keep clients' access details (key safe codes) off the run sheets.
    pay : mapping, optional
        The pay model of the fair-work reports
        (:func:`carerounds.scheduler.fairwork.read_pay_model`); default the Charter's.

    Returns
    -------
    list of Path
        The files written, in that order, under ``out_dir``; ``manifest.json`` last.

    Raises
    ------
    carerounds.scheduler.outputs.OutputError
        When the set cannot be written (disk full, permissions); ``out_dir`` is unchanged.
    carerounds.scheduler.outputs.OutputLockedError
        When another run holds the output folder's lock.
    """
    from ..._optional import available
    from ..handover import find_handovers
    from ..outputs import (
        write_handover_csv,
        write_rota_csv,
        write_rota_json,
        write_unplaced_csv,
    )
    from ..outputset import (
        MANIFEST,
        OutputSet,
        check_output_dir,
        output_lock,
    )
    from . import report

    out = check_output_dir(out_dir, flag="out_dir")
    day, rota, travel = result.planned, result.rota, result.travel
    partial = bool(rota.run.get("partial"))
    if "partial" not in rota.run:
        rota = replace(rota, run={**rota.run, "partial": False})
    notes = skipped if skipped is not None else []
    with output_lock(out, on_warning=notes.append), \
            OutputSet(out, partial=partial, notes=notes) as staged:
        folder = staged.path
        written = [write_rota_json(rota, folder / "rota.json"),
                   write_rota_csv(rota, day, folder / "rota.csv"),
                   write_unplaced_csv(rota, day, folder / "unplaced.csv")]
        if rota.run.get("pool"):
            written.append(write_handover_csv(find_handovers(day, rota),
                                              folder / "handover.csv"))
        written += report.write_plan_report(day, rota, travel, folder,
                                            duplicates=result.duplicates, merges=result.merges,
                                            pay=pay)
        if available(*SHEETS_NEED):
            from . import sheets

            written += sheets.write_run_sheets(day, rota, folder, travel=travel,
                                               redact_access=redact_access)
        else:
            notes.append("run sheets skipped: pip install 'carerounds[sheets]' to print them")
        if available(*MAPS_NEED):
            from . import maps

            written += maps.write_maps(day, rota, travel, folder, duplicates=result.duplicates)
        else:
            notes.append("maps skipped: pip install 'carerounds[maps]' to draw them")
        staged.commit()
    return [out / Path(p).relative_to(folder) for p in written] + [out / MANIFEST]
