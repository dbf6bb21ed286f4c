"""Shared helpers of the benchmark scripts: data location, our solver, tables and JSON."""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

#: ``../shared/benchmarks`` beside the project root (never an absolute path).
BENCH_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks"


def require(path: Path, what: str) -> Path:
    """Return ``path`` or exit with a message saying what is missing and where it was looked for."""
    if not path.exists():
        sys.exit(f"{what} not found at {path.resolve()}; the benchmark data lives in "
                 f"../shared/benchmarks beside the project root (see its SOURCES.md).")
    return path


def load_our_solver() -> tuple[Callable | None, str]:
    """Our engine's ``solve`` and ``""``, or ``None`` and why it is unavailable."""
    try:
        from carerounds.routing import (
            solve,
            solver,  # noqa: F401  (the adapter may not exist yet)
        )
    except ImportError as exc:
        return None, (f"our solver is not available yet (carerounds.routing.solver: {exc}); "
                      f"runs of 'ours' are skipped")
    return solve, ""


def split_names(text: str | None) -> list[str] | None:
    """Comma-separated names, stripped, or None when not given."""
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def fmt(value, digits: int = 2) -> str:
    """A number for a table: fixed digits, ``-`` for missing or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence], *, title: str = "") -> str:
    """A plain-text table with right-aligned columns (left-aligned first column)."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                         for k, (c, w) in enumerate(zip(row, widths)))

    out = [title] if title else []
    out.append(line(cells[0]))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(r) for r in cells[1:])
    return "\n".join(out)


def mean(values: Iterable[float]) -> float | None:
    """Mean of the values, or None when there are none."""
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def median(values: Iterable[float]) -> float | None:
    """Median of the values, or None when there are none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def write_json(path: str | Path, records: list[dict]) -> None:
    """Write the records as a JSON list (NaN written as null)."""
    clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
             for r in records]
    Path(path).write_text(json.dumps(clean, indent=1) + "\n", encoding="utf-8")
