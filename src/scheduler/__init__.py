"""The care domain: read a day, plan it, check it, and the analyses coordinators read.

The public API, by verb (names load on first use, so ``import carerounds.scheduler``
stays cheap; rendering lives in :mod:`carerounds.scheduler.render` and what-if
scenarios in :mod:`carerounds.scheduler.whatif`, neither imported by the core):

- read: :func:`read_day`, :func:`read_calls`, :func:`read_rota`, :func:`build_travel`
- plan: :func:`plan_folder` (everything ``carerounds plan`` does, as one call),
  :func:`plan_with_duplicates`, :func:`plan_day`, :class:`PlanOptions`, :class:`PlanResult`
- check: :func:`check_rota`, :class:`Violation`
- analyse: :func:`find_duplicate_visits`, :func:`merge_duplicates`,
  :func:`unplaced_breakdown`, :func:`capacity_exceptions`, :func:`fair_work_checks`,
  :func:`compare_actuals`, :func:`summarise`
- samples: :func:`generate_sample`, :func:`write_sample`
- types: :class:`Day`, :class:`Provider`, :class:`Worker`, :class:`Shift`,
  :class:`Client`, :class:`Visit`, :class:`Rota`, :class:`DayTravel`, :class:`BreakRule`
"""

from __future__ import annotations

import importlib

_PUBLIC = {
    "read_day": "inputs", "read_calls": "actuals", "read_rota": "rota",
    "build_travel": "travel", "DayTravel": "travel",
    "plan_folder": "plan", "plan_with_duplicates": "plan", "plan_day": "plan",
    "PlanResult": "plan", "PlanOptions": "build",
    "check_rota": "check", "Violation": "check",
    "find_duplicate_visits": "duplicates", "merge_duplicates": "duplicates",
    "unplaced_breakdown": "capacity", "capacity_exceptions": "capacity",
    "fair_work_checks": "fairwork", "compare_actuals": "actuals", "summarise": "rota",
    "generate_sample": "sample", "write_sample": "sample",
    "Day": "model", "Provider": "model", "Worker": "model", "Shift": "model",
    "Client": "model", "Visit": "model", "BreakRule": "model", "BREAK_RULE": "model",
    "SKILLS": "model", "Rota": "rota",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
