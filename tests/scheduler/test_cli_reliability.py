"""The command line fails early and clearly: --out, numbers, a second run, a full disk, escapes."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from carerounds.scheduler import outputs, plan
from carerounds.scheduler.cli import build_parser, main
from carerounds.scheduler.outputset import OutputLock, check_output_dir, verify_output_set

from ..conftest import tiny_tables, write_day

PLAN = ["--date", "2026-11-24", "--time-limit", "1", "--solution-limit", "5", "--quiet"]


def _plan(inputs: Path, out: Path, *extra: str) -> list[str]:
    return ["plan", "--inputs", str(inputs), "--out", str(out), *PLAN, *extra]


@pytest.fixture
def no_solve(monkeypatch):
    """Fail the test if the plan gets as far as the solve."""
    def solve(*args, **kwargs):
        raise AssertionError("the solve started before --out was checked")

    monkeypatch.setattr(plan, "plan_with_duplicates", solve)


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A folder holding a complete output set from an earlier plan of the tiny day."""
    root = tmp_path_factory.mktemp("previous")
    inputs = write_day(root / "in")
    assert main(_plan(inputs, root / "out")) == 0
    return inputs, root / "out"


def _copy_set(previous, tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    import shutil

    inputs, source = previous
    out = tmp_path / "out"
    shutil.copytree(source, out)
    return inputs, out, {p.name: p.read_bytes() for p in sorted(out.iterdir())}


# ---- --out is checked before the solve ----------------------------------------------------

def test_out_that_is_a_file_is_refused_before_the_solve(tiny_dir, tmp_path, capsys, no_solve):
    out = tmp_path / "rota.json"
    out.write_text("{}")
    assert main(_plan(tiny_dir, out)) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--out" in err and "is a file" in err


def test_out_under_a_file_is_refused_before_the_solve(tiny_dir, tmp_path, capsys, no_solve):
    (tmp_path / "notes").write_text("x")
    assert main(_plan(tiny_dir, tmp_path / "notes" / "out")) == 2
    assert "cannot be a folder under it" in capsys.readouterr().err


def test_read_only_out_is_refused_before_the_solve(tiny_dir, tmp_path, capsys, no_solve):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(_plan(tiny_dir, out)) == 2
    finally:
        out.chmod(0o755)
    assert "read-only" in capsys.readouterr().err


def test_current_folder_as_out_is_refused(tiny_dir, tmp_path, monkeypatch, capsys, no_solve):
    monkeypatch.chdir(tmp_path)
    assert main(_plan(tiny_dir, Path("."))) == 2
    assert "current folder" in capsys.readouterr().err


def test_checked_out_is_absolute_and_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert check_output_dir("link") == (tmp_path / "real").resolve()


# ---- numbers are checked by the parser ----------------------------------------------------

@pytest.mark.parametrize("flag, value", [
    ("--time-limit", "inf"), ("--time-limit", "nan"), ("--time-limit", "0"),
    ("--time-limit", "-5"), ("--time-limit", "1e9"), ("--processes", "0"),
    ("--processes", "-2"), ("--solution-limit", "0"), ("--max-snap-m", "-1"),
])
def test_bad_plan_number_exits_2_naming_the_flag(flag, value, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["plan", "--inputs", "in", "--out", "out", flag, value])
    assert stop.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["compare", "--inputs", "in", "--scenario", "s.toml", "--out", "o", "--time-limit", "nan"],
    ["compare", "--inputs", "in", "--scenario", "s.toml", "--out", "o", "--workers", "0"],
    ["duplicates", "--inputs", "in", "--gap-min", "nan"],
    ["duplicates", "--inputs", "in", "--near-m", "inf"],
    ["actuals", "--rota", "r", "--calls", "c", "--late-min", "inf"],
    ["actuals", "--rota", "r", "--calls", "c", "--short-ratio", "nan"],
])
def test_bad_number_of_other_commands_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    assert stop.value.code == 2
    assert f"argument {argv[-2]}" in capsys.readouterr().err


def test_negative_seed_is_accepted():
    args = build_parser().parse_args(["plan", "--inputs", "in", "--out", "out", "--seed", "-7"])
    assert args.seed == -7


# ---- a second run into the same folder ----------------------------------------------------

def test_second_run_into_a_locked_folder_exits_3_and_writes_nothing(tiny_dir, tmp_path):
    out = tmp_path / "out"
    lock = OutputLock(check_output_dir(out)).acquire()  # another run, as far as the CLI knows
    try:
        done = subprocess.run([sys.executable, "-m", "carerounds.scheduler.cli",
                               *_plan(tiny_dir, out)], capture_output=True, text=True,
                              timeout=120)
    finally:
        lock.release()
    assert done.returncode == 3
    assert "being written by another carerounds run" in done.stderr
    assert f"PID {os.getpid()}" in done.stderr
    assert not out.exists()


def test_stale_lock_of_a_dead_run_is_taken_over_with_a_warning(tiny_dir, tmp_path, capsys):
    out = tmp_path / "out"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock_file = tmp_path / ".out.carerounds-lock"
    lock_file.write_text(json.dumps({"pid": gone.pid, "host": "here", "started": "02:00"}))
    assert main(_plan(tiny_dir, out)) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "stale lock" in err and f"PID {gone.pid}" in err
    assert not lock_file.exists()


def test_lock_is_released_after_a_run(tiny_dir, tmp_path):
    assert main(_plan(tiny_dir, tmp_path / "out")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "out"]


# ---- a failed write keeps the previous set ------------------------------------------------

def test_disk_full_while_writing_keeps_the_previous_set(previous, tmp_path, monkeypatch, capsys):
    inputs, out, before = _copy_set(previous, tmp_path)
    real, calls = outputs._write_all, {"n": 0}

    def write_all(fd: int, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 4:  # the rota's three files and duplicates.csv, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(outputs, "_write_all", write_all)
    assert main(_plan(inputs, out)) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "No space left on device" in err
    assert "previous outputs" in err and "intact" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before
    json.loads((out / "rota.json").read_text(encoding="utf-8"))
    verify_output_set(out)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---- terminal escapes ---------------------------------------------------------------------

def test_escape_sequences_in_names_never_reach_the_terminal(tmp_path, capsys):
    tables = tiny_tables()
    for row in tables["clients.csv"]:
        row["area"] = "\x1b]0;owned\x07\x1b[2J" + row["area"]
    for row in tables["visits.csv"]:
        row["service"] = "\x1b[31m" + row["service"]
    tables["visits.csv"][2]["skills"] = "nobody has this"  # an unplaced visit: areas printed
    inputs = write_day(tmp_path / "in", tables)
    assert main(_plan(inputs, tmp_path / "out")) == 0
    captured = capsys.readouterr()
    assert "Unplaced hours by area:" in captured.out
    assert "[2JPenicuik" in captured.out  # the text is shown, its control characters are not
    assert "\x1b" not in captured.out and "\x1b" not in captured.err
    assert "\x07" not in captured.out
