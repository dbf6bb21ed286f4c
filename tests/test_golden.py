"""Whole-pipeline behaviour pinned by a golden file (VROOM style).

The tiny day planned by ``carerounds plan`` with a solution limit must give exactly the
committed ``tests/golden/tiny_rota.json`` (keys sorted; the run record's clock-dependent
fields removed). A refactor that changes any stop, time, reason or run setting fails
here. After a deliberate change of behaviour, regenerate with
``CARE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from carerounds.scheduler.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden" / "tiny_rota.json"
#: Run-record fields that depend on the clock or the machine, not on behaviour.
VOLATILE = ("created", "wall_s", "first_solution_s", "versions")


def _normalised(rota_json: Path) -> str:
    data = json.loads(rota_json.read_text(encoding="utf-8"))
    for key in VOLATILE:
        data["run"].pop(key, None)
    data["run"].pop("outputs", None)  # a manifest of file hashes, if the writer adds one
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_tiny_day_plans_to_the_golden_rota(tiny_dir, tmp_path):
    out = tmp_path / "out"
    assert main(["plan", "--inputs", str(tiny_dir), "--out", str(out), "--date", "2026-11-24",
                 "--seed", "1", "--time-limit", "60", "--solution-limit", "30", "--quiet"]) == 0
    got = _normalised(out / "rota.json")
    if os.environ.get("CARE_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")
