"""A what-if scenario: a named sequence of changes to a day, written by hand or read from TOML."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ...errors import InputError
from ..build import PlanOptions
from ..model import Day
from ..units import parse_hhmm
from .changes import KINDS, Change, ChangeWeights, RestrictToPatches, kind_of

# ---- scenarios --------------------------------------------------------------------------------

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Scenario:
    """A named what-if: the base day with changes applied in order.

    Parameters
    ----------
    name : str
        Unique within a comparison; used for the output folder (letters, digits,
        ``_ . -``; other characters become ``-``).
    changes : tuple of Change
        Applied in order, each to the result of the one before: put
        :class:`RestrictToPatches` after changes that add clients or workers so they
        get patch tags too.
    seed : int, optional
        Seeds the changes' random draws and the solver; default: the comparison's
        ``SolveParams.seed``.
    description : str
    """

    name: str
    changes: tuple[Change, ...] = ()
    seed: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise InputError("a scenario needs a name", field="name")
        object.__setattr__(self, "changes", tuple(self.changes))

    @property
    def slug(self) -> str:
        """The name made safe for a folder name."""
        return _SLUG.sub("-", self.name.strip()).strip("-") or "scenario"

    def then(self, *changes: Change) -> Scenario:
        """A new scenario with more changes after these."""
        return replace(self, changes=self.changes + tuple(changes))

    def apply(self, day: Day, options: PlanOptions | None = None, *,
              seed: int | None = None) -> tuple[Day, PlanOptions]:
        """Apply every change in order; ``seed`` is used when the scenario has none (default 0)."""
        options = options or PlanOptions()
        effective = self.seed if self.seed is not None else (seed or 0)
        for position, change in enumerate(self.changes):
            try:
                day, options = change.apply(day, options, seed=effective, position=position)
            except InputError as exc:
                raise InputError(exc.message, file=exc.file,
                                 field=f"scenario {self.name!r} change {position + 1} "
                                       f"({kind_of(change)}): {exc.field or 'value'}",
                                 id=exc.id, row=exc.row) from None
        return day, options

    def describe(self) -> str:
        """The changes in one line."""
        return "; ".join(c.describe() for c in self.changes) or "no changes (base)"


# ---- TOML scenario files ----------------------------------------------------------------------

def _hhmm(value: Any) -> int:
    return parse_hhmm(value)


def _band(value: Any) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{value!r} is not a band HH:MM-HH:MM")
    start, end = (_hhmm(v) for v in value.split("-"))
    if end <= start:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end


def read_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a TOML file.

    The format (every key but ``kind`` optional unless stated)::

        name = "patches"              # default: the file name without .toml
        description = "12 patches, providers share each patch"
        seed = 1
        [[change]]
        kind = "restrict_to_patches"  # patches from a polygon file ...
        patches = "patches.geojson"   # relative to this file; name_field = "name"
        # ... or built: areas = "wards.geojson", count = 12
        [[change]]
        kind = "scale_demand"
        factor = 1.2                  # required
        area = "North"

    Kinds and keys: ``add_workers`` (provider, count, area, shifts = ["07:00-13:00"],
    skills = ["hoist"], travel_mode, jitter_m); ``remove_workers`` (provider, area,
    workers = [ids], shift_band = "16:00-24:00", count, fraction); ``remove_provider``
    (provider, to); ``scale_demand`` (factor, area, jitter_m, unassigned);
    ``restrict_to_patches`` (patches | areas + count, name_field, pool); ``weights``
    (any :class:`carerounds.routing.Weights` field); ``travel_mode`` (mode, provider,
    area, workers); ``pool`` (pool = true).

    Raises
    ------
    InputError
        Missing file, bad TOML, unknown kind or key, or a bad value; the message names
        the file, the change (``change 2``) and the key.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("scenario file not found", file=path.name) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=path.name) from None
    known = {"name", "description", "seed", "change"}
    for key in data:
        if key not in known:
            raise InputError(f"unknown key; expected {sorted(known)}", file=path.name, field=key)
    name = data.get("name", path.name.removesuffix(".toml"))
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InputError(f"seed must be a whole number, got {seed!r}", file=path.name, field="seed")
    tables = data.get("change", [])
    if not isinstance(tables, list):
        raise InputError("use [[change]] tables", file=path.name, field="change")
    changes = []
    for number, table in enumerate(tables, start=1):
        try:
            changes.append(_change_from_table(dict(table), path.parent))
        except InputError as exc:
            raise InputError(exc.message, file=path.name,
                             field=f"change {number}: {exc.field or 'value'}", id=exc.id) from None
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), file=path.name, field=f"change {number}") from None
    return Scenario(name=str(name), changes=tuple(changes), seed=seed,
                    description=str(data.get("description", "")))


def _change_from_table(table: dict, folder: Path) -> Change:
    kind = table.pop("kind", None)
    if kind not in KINDS:
        raise InputError(f"kind must be one of {sorted(KINDS)}, got {kind!r}", field="kind")
    if kind == "weights":
        return ChangeWeights(tuple(sorted(table.items())))
    if kind == "restrict_to_patches":
        return _patches_from_table(table, folder)
    cls = KINDS[kind]
    renames = {"shifts": "shifts_s", "shift_band": "shift_band_s", "workers": "worker_ids"}
    allowed = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        target = renames.get(key, key)
        if target not in allowed or target in renames.values() and key == target:
            shown = sorted({next((k for k, v in renames.items() if v == a), a) for a in allowed})
            raise InputError(f"unknown key for {kind}; expected {shown}", field=key)
        try:
            if target == "shifts_s":
                value = tuple(_band(v) for v in value)
            elif target == "shift_band_s":
                value = _band(value)
            elif target in ("skills", "worker_ids"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{value!r} is not a list of strings")
                value = frozenset(value)
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), field=key) from None
        values[target] = value
    try:
        return cls(**values)
    except TypeError as exc:
        missing = re.findall(r"'(\w+)'", str(exc))
        raise InputError(f"missing required key(s) for {kind}: {', '.join(missing) or exc}",
                         field=missing[0] if missing else "kind") from None


def _patches_from_table(table: dict, folder: Path) -> RestrictToPatches:
    from ...geo import read_areas

    allowed = {"patches", "areas", "count", "name_field", "pool"}
    for key in table:
        if key not in allowed:
            raise InputError(f"unknown key for restrict_to_patches; expected {sorted(allowed)}",
                             field=key)
    if ("patches" in table) == ("areas" in table):
        raise InputError("give either patches = FILE or areas = FILE with count = N",
                         field="patches")
    key = "patches" if "patches" in table else "areas"
    polygons = read_areas(folder / str(table[key]), name_field=table.get("name_field"))
    pool = table.get("pool", True)
    if not isinstance(pool, bool):
        raise InputError(f"must be true or false, got {pool!r}", field="pool")
    if key == "patches":
        if "count" in table:
            raise InputError("count is only for areas = FILE", field="count")
        return RestrictToPatches(patches=polygons, pool=pool, source=Path(table[key]).name)
    if "count" not in table:
        raise InputError("areas = FILE needs count = N (number of patches)", field="count")
    return RestrictToPatches(areas=polygons, count=table["count"], pool=pool,
                             source=Path(table[key]).name)

