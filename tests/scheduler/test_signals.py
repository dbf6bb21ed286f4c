"""SIGINT and SIGTERM stop ``carerounds plan`` promptly, leave no process behind, keep the set.

Each test runs the real command in its own session (``start_new_session``), sends a real
signal, and afterwards looks in /proc for any process of that session. The time limit
is far longer than the wait: a search that ignored the signal would hit the hang guard.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from carerounds.scheduler.cli import main
from carerounds.scheduler.outputset import manifest_run_id, verify_output_set

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="needs /proc to look for leftover processes")

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "midlothian-small"
#: Far longer than any test waits: only a search that ignores the signal gets near it.
TIME_LIMIT = "300"
#: Hang guard for the process to exit after the signal, seconds (not a timing assertion).
GUARD_S = 90
CLI = [sys.executable, "-m", "carerounds.scheduler.cli"]


def _session(sid: int) -> list[int]:
    """Processes (zombies too) whose session id is ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[3]) == sid:
            found.append(int(entry))
    return found


def _plan_args(inputs: Path, out: Path, *extra: str) -> list[str]:
    return ["plan", "--inputs", str(inputs), "--out", str(out), "--date", "2026-11-24",
            "--quiet", *extra]


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A complete output set from an earlier plan of the Midlothian sample."""
    out = tmp_path_factory.mktemp("previous") / "out"
    assert main(_plan_args(SAMPLE, out, "--time-limit", "1", "--solution-limit", "3")) == 0
    return out


@pytest.fixture
def out(previous, tmp_path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(previous, target)
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class _Run:
    """The CLI in its own session, its stderr collected as it comes."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        self.err: list[str] = []
        self.out = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def wait_for(self, text: str, guard_s: float = GUARD_S) -> None:
        end = time.monotonic() + guard_s
        while not any(text in line for line in self.err):
            assert self.proc.poll() is None, "".join(self.err)
            assert time.monotonic() < end, f"never printed {text!r}"
            time.sleep(0.05)

    def wait_for_children(self, count: int, guard_s: float = GUARD_S) -> None:
        end = time.monotonic() + guard_s
        while len(_session(self.proc.pid)) < 1 + count:
            assert time.monotonic() < end, "the engine never started its worker processes"
            time.sleep(0.05)

    def stop(self, signum: int) -> int:
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=GUARD_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("the plan did not stop after the signal") from None
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.read()
        self._reader.join(timeout=10)
        return code

    @property
    def stderr(self) -> str:
        return " ".join("".join(self.err).split())

    def leftovers(self) -> list[int]:
        # reaped children vanish from /proc; give the kernel a moment to finish a SIGKILL
        end = time.monotonic() + 10
        while _session(self.proc.pid) and time.monotonic() < end:
            time.sleep(0.1)
        return _session(self.proc.pid)


def _interrupt_search(inputs: Path, out: Path, signum: int, *extra: str,
                      workers: int = 0) -> tuple[_Run, int]:
    run = _Run(CLI + _plan_args(inputs, out, "--time-limit", TIME_LIMIT, *extra))
    run.wait_for("Planning")
    if workers:
        run.wait_for_children(workers)
    else:
        time.sleep(1.5)  # into the search
    return run, run.stop(signum)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_the_monolithic_search_and_writes_nothing(out, signum, code):
    before = _snapshot(out)
    run, exit_code = _interrupt_search(SAMPLE, out, signum, "--engine", "monolithic")
    assert exit_code == code
    assert "nothing written" in run.stderr
    assert _snapshot(out) == before
    assert run.leftovers() == []


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_the_decomposed_engine_and_its_workers(out, signum, code):
    before = _snapshot(out)
    run, exit_code = _interrupt_search(SAMPLE, out, signum, "--engine", "decomposed", "--processes", "2",
                            workers=2)
    assert exit_code == code
    assert _snapshot(out) == before
    assert run.leftovers() == []


def test_signal_stops_an_iterated_local_search_and_its_child(tmp_path, out):
    # without double-ups the monolithic engine runs iterated local search, which OR-Tools
    # does not let a search limit stop: it runs in a child process that is killed
    inputs = tmp_path / "single"
    shutil.copytree(SAMPLE, inputs)
    rows = list(csv.DictReader((inputs / "visits.csv").open(newline="")))
    for row in rows:
        row["carers"] = "1"
    with (inputs / "visits.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = _snapshot(out)
    run, exit_code = _interrupt_search(inputs, out, signal.SIGTERM, "--engine", "monolithic", workers=1)
    assert exit_code == 143
    assert _snapshot(out) == before
    assert run.leftovers() == []


@pytest.mark.parametrize("engine", ["monolithic", "decomposed"])
def test_keep_partial_writes_a_checked_set_marked_partial(out, engine):
    run, exit_code = _interrupt_search(SAMPLE, out, signal.SIGTERM, "--engine", engine, "--keep-partial")
    assert exit_code == 143
    assert "PARTIAL rota" in run.out
    manifest = verify_output_set(out)
    assert manifest["partial"] is True
    rota = json.loads((out / "rota.json").read_text(encoding="utf-8"))
    assert rota["run"]["partial"] is True
    assert rota["run"]["interrupted"] == "SIGTERM"
    assert main(["check", "--inputs", str(SAMPLE), "--rota", str(out / "rota.json"),
                 "--quiet"]) == 0
    assert run.leftovers() == []


_WRAPPED = textwrap.dedent("""
    import os, signal, sys
    from carerounds.scheduler import outputset as outputs
    from carerounds.scheduler.cli import main
    from carerounds.scheduler.render import report

    def signal_self():
        os.kill(os.getpid(), signal.SIGTERM)

    if sys.argv[1] == "writing":
        real = report.write_plan_report
        def write_plan_report(*args, **kwargs):
            written = real(*args, **kwargs)
            signal_self()  # half the set is staged
            return written
        report.write_plan_report = write_plan_report
    else:
        real = outputs._exchange
        def exchange(a, b):
            signal_self()  # while the set is swapped into place
            return real(a, b)
        outputs._exchange = exchange
    sys.exit(main(sys.argv[2:]))
""")


def test_sigterm_while_writing_leaves_the_previous_set(out):
    before = _snapshot(out)
    done = subprocess.run([sys.executable, "-c", _WRAPPED, "writing",
                           *_plan_args(SAMPLE, out, "--time-limit", "1")],
                          capture_output=True, text=True, timeout=GUARD_S)
    assert done.returncode == 143
    assert "nothing written" in " ".join(done.stderr.split())
    assert _snapshot(out) == before
    verify_output_set(out)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_sigterm_during_the_swap_waits_for_the_new_set_to_be_complete(out):
    previous_run = manifest_run_id(out)
    done = subprocess.run([sys.executable, "-c", _WRAPPED, "swap",
                           *_plan_args(SAMPLE, out, "--time-limit", "1")],
                          capture_output=True, text=True, timeout=GUARD_S)
    assert done.returncode == 143
    assert "complete and in place" in " ".join(done.stderr.split())
    manifest = verify_output_set(out)
    assert manifest["run_id"] != previous_run
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
