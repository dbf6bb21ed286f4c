"""Planners' what-if scenarios: composable changes to a day, run in parallel and compared.

The front door of the what-if API: every public name of its rooms, importable from here.

- :mod:`.changes`: the changes (:class:`AddWorkers`, :class:`RemoveWorkers`,
  :class:`RemoveProvider`, :class:`ScaleDemand`, :class:`RestrictToPatches`,
  :class:`ChangeWeights`, :class:`ChangeTravelMode`, :class:`SetPool`) and
  :func:`worker_areas`.
- :mod:`.scenario`: :class:`Scenario` (a named sequence of changes) and
  :func:`read_scenario` (TOML files).
- :mod:`.compare`: travel for a scenario, the figures of a rota (:func:`rota_metrics`),
  parallel runs (:func:`run_scenarios`, :func:`compare`) and comparison tables and files.
"""

from __future__ import annotations

from .changes import (
    DEFAULT_SHIFTS_S,
    KINDS,
    PATCH_TAG,
    AddWorkers,
    Change,
    ChangeTravelMode,
    ChangeWeights,
    RemoveProvider,
    RemoveWorkers,
    RestrictToPatches,
    ScaleDemand,
    SetPool,
    kind_of,
    worker_areas,
)
from .compare import (
    BASE,
    HEADLINE,
    Metric,
    PreparedRun,
    ScenarioRun,
    compare,
    comparison_frame,
    comparison_table,
    modes_needed,
    prepare_runs,
    rota_metrics,
    run_prepared,
    run_scenarios,
    scenario_travel,
    travel_modes,
    write_comparison,
)
from .scenario import Scenario, read_scenario

__all__ = [
    "BASE", "DEFAULT_SHIFTS_S", "HEADLINE", "KINDS", "PATCH_TAG", "AddWorkers", "Change",
    "ChangeTravelMode", "ChangeWeights", "Metric", "PreparedRun", "RemoveProvider",
    "RemoveWorkers", "RestrictToPatches", "ScaleDemand", "Scenario", "ScenarioRun", "SetPool",
    "compare", "comparison_frame", "comparison_table", "kind_of", "modes_needed",
    "prepare_runs", "read_scenario", "rota_metrics", "run_prepared", "run_scenarios",
    "scenario_travel", "travel_modes", "worker_areas", "write_comparison",
]
