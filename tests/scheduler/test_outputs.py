"""One module writes files, atomically; a plan's outputs are one checked set swapped into place."""

from __future__ import annotations

import ast
import csv
import errno
import json
from pathlib import Path

import pytest

from carerounds.routing import SolveParams
from carerounds.scheduler import outputs, outputset
from carerounds.scheduler.inputs import read_day
from carerounds.scheduler.outputs import (
    OutputError,
    write_bytes,
    write_csv,
    write_rota_csv,
    write_unplaced_csv,
)
from carerounds.scheduler.outputset import MANIFEST, OutputSet, verify_output_set
from carerounds.scheduler.plan import plan_with_duplicates
from carerounds.scheduler.render import write_plan
from carerounds.scheduler.travel import build_travel

from ..conftest import PLAN_DATE, tiny_tables, write_day

SRC = Path(__file__).resolve().parents[2] / "src"


def _disk_full_after(monkeypatch, writes: int) -> None:
    """Make the low-level write fail with ENOSPC after ``writes`` successful calls."""
    real = outputs._write_all
    calls = {"n": 0}

    def write_all(fd: int, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(outputs, "_write_all", write_all)


# ---- single files -------------------------------------------------------------------------

def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = write_bytes(tmp_path / "rota.csv", b"old\n")
    _disk_full_after(monkeypatch, 0)
    with pytest.raises(OSError):
        write_bytes(path, b"new\n")
    assert path.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rota.csv"]


def test_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"1\n")
    path.chmod(0o640)
    write_bytes(path, b"2\n")
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+44 131 000", "-cmd", "@SUM(A1)"])
def test_csv_text_that_starts_a_formula_is_written_as_text(tmp_path, text):
    path = write_csv(tmp_path / "x.csv", ["name"], [[text]])
    assert next(csv.DictReader(path.open(newline="")))["name"] == "'" + text


def test_csv_numbers_stay_numbers(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["lon", "text_lon", "count"], [[-3.07, "-3.07", -2]])
    assert path.read_text().splitlines()[1] == "-3.07,-3.07,-2"


def _hostile_day(tmp_path):
    tables = tiny_tables()
    for row in tables["clients.csv"]:
        row["name"] = "=HYPERLINK(\"http://evil\",\"x\")"
        row["area"] = "+" + row["area"]
    tables["visits.csv"][0]["tasks"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    tables["visits.csv"][2]["skills"] = "nobody has this"  # V3 stays unplaced
    day = read_day(write_day(tmp_path / "in", tables), date=PLAN_DATE)
    travel = build_travel(day)
    return plan_with_duplicates(day, travel, params=SolveParams(time_limit_s=1, seed=1))


def test_rota_csv_neutralises_names_areas_and_tasks(tmp_path):
    result = _hostile_day(tmp_path)
    path = write_rota_csv(result.rota, result.planned, tmp_path / "rota.csv")
    rows = list(csv.DictReader(path.open(newline="")))
    assert {r["client_name"] for r in rows} == {"'=HYPERLINK(\"http://evil\",\"x\")"}
    assert all(r["area"].startswith("'+") for r in rows)
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {r["tasks"] for r in rows}


def test_unplaced_csv_neutralises_areas(tmp_path):
    result = _hostile_day(tmp_path)
    path = write_unplaced_csv(result.rota, result.planned, tmp_path / "unplaced.csv")
    rows = list(csv.DictReader(path.open(newline="")))
    assert [r["visit_id"] for r in rows] == ["V3"]
    assert rows[0]["area"] == "'+Penicuik"


_MIGRATED = ["scheduler/rota.py", "scheduler/capacity.py", "scheduler/fairwork.py",
             "scheduler/duplicates.py", "scheduler/actuals.py", "scheduler/render/report.py",
             "scheduler/render/__init__.py", "scheduler/whatif/patches.py"]


@pytest.mark.parametrize("module", _MIGRATED)
def test_analysis_modules_do_not_write_files_themselves(module):
    # the writers moved to outputs.py; nothing here may open a file for writing again
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if isinstance(func, ast.Attribute) and name in ("write_text", "write_bytes"):
            found.append(f"{name} at line {node.lineno}")
        if name == "writer" and isinstance(func, ast.Attribute):
            found.append(f"csv.writer at line {node.lineno}")
        if name == "open" and any(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                  and set(a.value) & set("wax+") for a in node.args):
            found.append(f"open for writing at line {node.lineno}")
    assert found == []


def test_every_writer_has_one_home():
    """The analyses only compute; their writers live in outputs alone (no copies, no aliases)."""
    from carerounds.scheduler import actuals, capacity, duplicates, fairwork, rota

    for module in (actuals, capacity, duplicates, fairwork, rota):
        assert not [n for n in vars(module) if n.startswith("write_")], module.__name__


# ---- output sets --------------------------------------------------------------------------

def _stage(out: Path, files: dict[str, bytes], *, partial: bool = False) -> dict:
    with OutputSet(out, partial=partial) as staged:
        for name, data in files.items():
            write_bytes(staged.path / name, data)
        return staged.commit()


def _hidden_leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith("."))


def test_committed_set_has_a_manifest_with_every_file(tmp_path):
    out = tmp_path / "out"
    manifest = _stage(out, {"rota.json": b"{}\n", "rota.csv": b"a\r\n"})
    assert sorted(manifest["files"]) == ["rota.csv", "rota.json"]
    assert verify_output_set(out)["run_id"] == manifest["run_id"]
    assert _hidden_leftovers(out) == []


def test_manifest_records_a_partial_set(tmp_path):
    _stage(tmp_path / "out", {"rota.json": b"{}\n"}, partial=True)
    assert verify_output_set(tmp_path / "out")["partial"] is True


def test_verify_rejects_a_file_changed_after_the_set_was_written(tmp_path):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"{}\n"})
    (out / "rota.json").write_bytes(b"[]\n")
    with pytest.raises(OutputError, match="differs"):
        verify_output_set(out)


def test_new_set_replaces_the_whole_previous_set(tmp_path):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"old\n", "merges.csv": b"old\n"})
    _stage(out, {"rota.json": b"new\n"})
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "rota.json"]
    assert (out / "rota.json").read_bytes() == b"new\n"


def test_users_own_files_and_folders_are_kept(tmp_path):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"old\n"})
    (out / "inputs").mkdir()
    (out / "inputs" / "visits.csv").write_text("visit_id\nV1\n")
    (out / "notes.txt").write_text("call Ann")
    manifest = _stage(out, {"rota.json": b"new\n"})
    assert (out / "inputs" / "visits.csv").read_text() == "visit_id\nV1\n"
    assert (out / "notes.txt").read_text() == "call Ann"
    assert manifest["kept"] == ["inputs", "notes.txt"]
    assert "notes.txt" not in manifest["files"]


def test_error_while_staging_leaves_the_previous_set_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"old\n", "rota.csv": b"old\n"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _disk_full_after(monkeypatch, 1)
    with pytest.raises(OutputError, match="previous outputs .* are intact"):
        _stage(out, {"rota.json": b"new\n", "rota.csv": b"new\n"})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _hidden_leftovers(out) == []


def test_failed_swap_leaves_the_previous_set_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"old\n"})

    def broken(a, b):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(outputset, "_exchange", broken)
    with pytest.raises(OutputError):
        _stage(out, {"rota.json": b"new\n"})
    assert (out / "rota.json").read_bytes() == b"old\n"
    assert verify_output_set(out)
    assert _hidden_leftovers(out) == []


def test_without_an_atomic_swap_two_renames_publish_the_set(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"old\n"})
    monkeypatch.setattr(outputset, "_exchange", lambda a, b: False)
    manifest = _stage(out, {"rota.json": b"new\n"})
    assert verify_output_set(out)["run_id"] == manifest["run_id"]
    assert _hidden_leftovers(out) == []


def test_next_run_restores_a_set_left_aside_by_a_crash_between_renames(tmp_path):
    out = tmp_path / "out"
    _stage(out, {"rota.json": b"old\n"})
    aside = tmp_path / ".out.carerounds-old-0123456789ab"
    out.rename(aside)  # what a crash after "out -> old" leaves
    unfinished = tmp_path / ".out.carerounds-new-ba9876543210"
    unfinished.mkdir()
    notes: list[str] = []
    with OutputSet(out, notes=notes):
        assert (out / "rota.json").read_bytes() == b"old\n"
    assert _hidden_leftovers(out) == []
    assert any("restored the previous outputs" in n for n in notes)


def test_write_plan_returns_the_files_in_place_with_the_manifest_last(tiny_dir, tmp_path):
    day = read_day(tiny_dir, date=PLAN_DATE)
    result = plan_with_duplicates(day, build_travel(day), params=SolveParams(time_limit_s=1))
    written = write_plan(result, tmp_path / "out")
    assert written[0] == tmp_path / "out" / "rota.json"
    assert written[-1] == tmp_path / "out" / MANIFEST
    assert all(p.is_file() for p in written)
    manifest = verify_output_set(tmp_path / "out")
    assert set(manifest["files"]) == {p.name for p in written[:-1]}
    assert json.loads((tmp_path / "out" / "rota.json").read_text())["run"]["partial"] is False
