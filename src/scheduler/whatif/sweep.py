"""Independent runs in parallel: in-process, over local processes, or on a Dask cluster."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, TypeVar

from ...errors import InputError

T = TypeVar("T")
R = TypeVar("R")

#: ``cluster=`` value that starts a throwaway Dask cluster on this machine.
LOCAL_CLUSTER = "local"

# the shared payload in a local worker process, sent once by the pool initialiser
_SHARED: Any = None


def _init_process(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_in_process(fn: Callable[[Any, T], R], item: T) -> R:
    return fn(_SHARED, item)


def default_workers() -> int:
    """Processes to use when not told: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Bar:
    """A rich progress bar on stderr counting finished runs, or nothing.

    The only output of the what-if modules, and only when the caller asks for it
    (``run_sweep(progress=True)``): the bar, and a line above it naming each finished run.
    """

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.enabled = enabled
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=Console(stderr=True), transient=False)
            self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> _Bar:
        if self.enabled:
            self.progress.__enter__()
        return self

    def advance(self, name: str) -> None:
        if self.enabled:
            self.progress.update(self.task, advance=1)
            self.progress.console.print(f"[green]done[/] {name}", markup=True, highlight=False)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.enabled:
            self.progress.__exit__(exc_type, exc, traceback)


def run_sweep(fn: Callable[[Any, T], R], shared: Any, items: Sequence[T], *,
              labels: Sequence[str] | None = None, workers: int | None = None,
              cluster: str | None = None, progress: bool = False,
              label: str = "Runs", connect_timeout_s: float = 20.0) -> list[R]:
    """Run ``fn(shared, item)`` for every item, in parallel, and return results in item order.

    ``shared`` is the large read-only payload every run needs (e.g. travel matrices and
    road networks): it is sent to each worker once, never per item.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference) taking ``(shared, item)``.
    shared : object
        Picklable payload shared by every run.
    items : sequence
        One picklable item per run.
    labels : sequence of str, optional
        Names of the runs for the progress display; default ``"run 1"``, ...
    workers : int, optional
        Local processes (default: one per core). ``1`` runs everything in this process,
        in order. Ignored when ``cluster`` is given: the cluster decides.
    cluster : str, optional
        ``None`` for local processes; ``"local"`` to start a throwaway Dask cluster of
        ``workers`` single-threaded processes here; or a Dask scheduler address such as
        ``"tcp://10.0.0.5:8786"`` to use a running cluster. With Dask, ``shared`` is
        scattered to every worker once (``broadcast=True``) and runs are submitted as
        tasks that refer to it.
    progress : bool, default False
        Show a rich progress bar on stderr.
    label : str, default "Runs"
        Caption of the progress bar.
    connect_timeout_s : float, default 20
        How long to try reaching a Dask scheduler before giving up, seconds.

    Returns
    -------
    list
        ``fn``'s results, in the order of ``items``.

    Raises
    ------
    InputError
        ``workers`` below 1, a cluster address that is not a Dask address, or a
        scheduler that cannot be reached within ``connect_timeout_s``.
    Exception
        The first exception a run raised, re-raised here.
    """
    items = list(items)
    labels = list(labels) if labels is not None else [f"run {i + 1}" for i in range(len(items))]
    if len(labels) != len(items):
        raise ValueError(f"{len(labels)} labels for {len(items)} items")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InputError(f"must be at least 1, got {workers!r}", field="workers")
    if not items:
        return []
    with _Bar(len(items), label, progress) as bar:
        if cluster is not None:
            return _run_dask(fn, shared, items, labels, cluster, workers, bar,
                             connect_timeout_s)
        count = min(workers or default_workers(), len(items))
        if count == 1:
            results = []
            for item, name in zip(items, labels):
                results.append(fn(shared, item))
                bar.advance(name)
            return results
        return _run_processes(fn, shared, items, labels, count, bar)


def _run_processes(fn, shared, items, labels, count: int, bar: _Bar) -> list:
    # spawn, not fork: OR-Tools and rich keep threads, which fork copies badly
    context = multiprocessing.get_context("spawn")
    results: list = [None] * len(items)
    with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_init_process,
                             initargs=(shared,)) as pool:
        pending = {pool.submit(_call_in_process, fn, item): i for i, item in enumerate(items)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    i = pending.pop(future)
                    results[i] = future.result()
                    bar.advance(labels[i])
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results


def check_cluster_address(address: str) -> str:
    """Accept ``"local"`` or a Dask scheduler address (``tcp://``, ``tls://``, ``inproc://``, ``ucx://``)."""
    scheme, separator, rest = address.partition("://")
    if address == LOCAL_CLUSTER or (separator and rest and scheme in {"tcp", "tls", "inproc", "ucx"}):
        return address
    raise InputError(f"{address!r} is not a Dask scheduler address; use tcp://HOST:PORT "
                     f"(e.g. tcp://127.0.0.1:8786) or '{LOCAL_CLUSTER}'", field="cluster")


def _run_dask(fn, shared, items, labels, cluster: str, workers: int | None, bar: _Bar,
              connect_timeout_s: float) -> list:
    from dask.distributed import Client, LocalCluster, as_completed

    check_cluster_address(cluster)
    local = None
    if cluster == LOCAL_CLUSTER:
        local = LocalCluster(n_workers=min(workers or default_workers(), len(items)),
                             threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(local)
    else:
        try:
            client = Client(cluster, timeout=f"{connect_timeout_s}s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {cluster} ({exc}); is it "
                             "running?", field="cluster") from None
    try:
        payload = client.scatter(shared, broadcast=True, hash=False)
        batch = uuid.uuid4().hex[:12]
        futures = [client.submit(fn, payload, item, key=f"carerounds-{batch}-{i}", pure=False)
                   for i, item in enumerate(items)]
        position = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(items)
        for future in as_completed(futures):
            i = position[future.key]
            results[i] = future.result()
            bar.advance(labels[i])
        return results
    finally:
        client.close()
        if local is not None:
            local.close()
