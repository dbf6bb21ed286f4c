"""Parallel runs: in-process, local processes, and a real Dask scheduler with two workers on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carerounds.errors import InputError
from carerounds.scheduler.whatif.sweep import check_cluster_address, run_sweep

from ...conftest import PLAN_DATE, ROOT

# ---- helpers the worker processes import (this module must be importable there) ---------------

_LOADS = 0  # how many times this process unpickled a Payload


class Payload:
    """A shared payload that counts how often a process receives it."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self):
        return (_load_payload, (self.value,))


def _load_payload(value: int) -> Payload:
    global _LOADS
    _LOADS += 1
    return Payload(value)


def add_and_report(shared: Payload, item: int) -> tuple[int, int, int]:
    """The run: payload value plus item, with this process's id and payload loads."""
    time.sleep(0.05)  # long enough that a second worker picks up work
    return shared.value + item, os.getpid(), _LOADS


def fail_on_three(shared: Payload, item: int) -> int:
    if item == 3:
        raise ValueError("item 3 is bad")
    return item


# ---- local ---------------------------------------------------------------------------------------

def test_in_process_runs_keep_item_order():
    results = run_sweep(add_and_report, Payload(100), [1, 2, 3], workers=1)
    assert [r[0] for r in results] == [101, 102, 103]
    assert {r[1] for r in results} == {os.getpid()}


def test_process_pool_keeps_item_order_and_ships_the_payload_once_per_process():
    results = run_sweep(add_and_report, Payload(100), list(range(8)), workers=2)
    assert [r[0] for r in results] == [100 + i for i in range(8)]
    assert os.getpid() not in {r[1] for r in results}
    assert {r[2] for r in results} == {1}


def test_an_error_in_a_run_is_raised_here():
    with pytest.raises(ValueError, match="item 3 is bad"):
        run_sweep(fail_on_three, Payload(0), [1, 2, 3, 4], workers=2)


def test_no_items_no_runs():
    assert run_sweep(add_and_report, Payload(0), [], workers=2) == []


@pytest.mark.parametrize("workers", [0, -2])
def test_fewer_than_one_worker_is_an_input_error(workers):
    with pytest.raises(InputError, match="at least 1") as info:
        run_sweep(add_and_report, Payload(0), [1], workers=workers)
    assert info.value.field == "workers"


def test_labels_must_match_items():
    with pytest.raises(ValueError, match="2 labels for 1 items"):
        run_sweep(add_and_report, Payload(0), [1], labels=["a", "b"], workers=1)


def test_progress_bar_names_each_finished_run(capsys):
    run_sweep(add_and_report, Payload(0), [1, 2], labels=["north", "south"], workers=1,
              progress=True)
    err = capsys.readouterr().err
    assert "done north" in err and "done south" in err


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tls://sched.example:8786",
                                     "local"])
def test_dask_addresses_are_accepted(address):
    assert check_cluster_address(address) == address


@pytest.mark.parametrize("address", ["127.0.0.1:8786", "http://127.0.0.1:8786", "tcp://"])
def test_other_addresses_are_an_input_error(address):
    with pytest.raises(InputError, match="not a Dask scheduler address"):
        check_cluster_address(address)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_unreachable_scheduler_is_an_input_error():
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_sweep(add_and_report, Payload(0), [1], cluster=f"tcp://127.0.0.1:{_free_port()}",
                  connect_timeout_s=2)


@pytest.mark.slow
def test_local_dask_cluster_runs_the_sweep_in_worker_processes():
    results = run_sweep(add_and_report, Payload(100), [1, 2, 3], cluster="local", workers=2)
    assert [r[0] for r in results] == [101, 102, 103]
    assert os.getpid() not in {r[1] for r in results}
    assert {r[2] for r in results} == {1}


# ---- a real Dask cluster on loopback -----------------------------------------------------------

@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, always torn down."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "dask").exists():
        pytest.skip("the dask command is not installed beside this Python")
    from dask.distributed import Client

    logs = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # workers import this test module to unpickle its helpers
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    commands = [[str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                 "--no-dashboard", "--no-show", "--idle-timeout", "300"]]
    commands += [[str(bin_dir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                  "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60",
                  "--name", f"w{i}"] for i in range(2)]
    processes = []
    try:
        for i, command in enumerate(commands):
            with (logs / f"{i}.log").open("w") as log:
                processes.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log,
                                                  stderr=subprocess.STDOUT,
                                                  start_new_session=True))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.mark.slow
def test_dask_sweep_keeps_order_and_scatters_the_payload_once_per_worker(dask_cluster):
    results = run_sweep(add_and_report, Payload(100), list(range(10)), cluster=dask_cluster)
    assert [r[0] for r in results] == [100 + i for i in range(10)]
    assert os.getpid() not in {r[1] for r in results}
    assert {r[2] for r in results} == {1}


@pytest.mark.slow
def test_dask_sweep_uses_both_workers(dask_cluster):
    results = run_sweep(add_and_report, Payload(0), list(range(20)), cluster=dask_cluster)
    assert len({r[1] for r in results}) == 2


@pytest.mark.slow
def test_dask_sweep_raises_a_runs_error_here(dask_cluster):
    with pytest.raises(ValueError, match="item 3 is bad"):
        run_sweep(fail_on_three, Payload(0), [1, 2, 3], cluster=dask_cluster)


@pytest.mark.slow
def test_cli_compare_runs_scenarios_on_the_dask_cluster(dask_cluster, tiny_dir, tmp_path, capsys):
    from .test_scenarios import run_cli

    (tmp_path / "pool.toml").write_text('name = "pooled"\n[[change]]\nkind = "pool"\n',
                                        encoding="utf-8")
    (tmp_path / "more.toml").write_text(
        'name = "more demand"\n[[change]]\nkind = "scale_demand"\nfactor = 2.0\n',
        encoding="utf-8")
    out = tmp_path / "out"
    code = run_cli(["compare", "--inputs", str(tiny_dir), "--scenario", str(tmp_path / "pool.toml"),
                    str(tmp_path / "more.toml"), "--out", str(out), "--date", PLAN_DATE.isoformat(),
                    "--time-limit", "1", "--cluster", dask_cluster, "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    header = next(line for line in printed.splitlines() if line.split()[:1] == ["base"])
    assert header.split() == ["base", "pooled", "more", "demand"]
    assert (out / "more-demand" / "rota.json").is_file()
