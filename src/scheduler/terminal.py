"""The coordinator's terminal: safe printing, progress of long work, and stopping by signal.

Used only by :mod:`carerounds.scheduler.cli`. Every string printed passes through
:func:`carerounds.scheduler.escape.terminal_text` (names come from CSV files anyone can
edit); SIGINT and SIGTERM set the routing layer's stop flag so the search ends promptly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..routing import interrupt
from .escape import terminal_text


def _plain(text: str) -> str:
    # per line: terminal_text makes one line of whatever it gets
    return "\n".join(terminal_text(line) for line in text.split("\n"))


class _SafeConsole(Console):
    """A console that prints text without control characters (terminal escape sequences).

    Names and ids come from CSV files anyone in an office can edit; an escape sequence
    in an area's name would otherwise reach the coordinator's terminal raw.
    """

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_plain(o) if isinstance(o, str) else o for o in objects), **kwargs)


stderr = _SafeConsole(stderr=True, highlight=False)
stdout = _SafeConsole(highlight=False, markup=False, soft_wrap=True)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived while Python code could stop at once.

    Parameters
    ----------
    signum : int
        The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Signals:
    """SIGINT and SIGTERM during ``carerounds plan``.

    Outside the search either raises :class:`Interrupted` at once (nothing has been
    written, or the output set's staging folder is dropped). During the search the
    first one asks the engines to stop with their best rota
    (:func:`carerounds.routing.interrupt.request_stop`); Python exceptions cannot cross
    OR-Tools' C++ frames, so a second one ends the process at once. While a
    ``--keep-partial`` set is written the first is recorded and the second raises.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.mode = "raise"
        self._pid: int | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Signals]:
        """Handle both signals in this block (main thread only) and arm the engines."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        self.received, self.mode, self._pid = None, "raise", os.getpid()
        interrupt.arm()
        for s in previous:
            signal.signal(s, self._handle)
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            interrupt.disarm()
            self._pid = None

    @contextlib.contextmanager
    def mode_of(self, mode: str) -> Iterator[None]:
        """``"search"`` or ``"finish"`` for the block (see the class docstring)."""
        before, self.mode = self.mode, mode
        try:
            yield
        finally:
            self.mode = before

    def _handle(self, signum: int, frame: object) -> None:
        if os.getpid() != self._pid:
            # a forked child that kept this handler: what it would do without it
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        first = self.received is None
        if first:
            self.received = signum
        interrupt.request_stop(signum)
        if self.mode == "search" and not first:
            from .outputset import release_locks

            os.write(2, f"\n{signal.Signals(signum).name} again: stopping at once; nothing "
                        "written\n".encode())
            release_locks()
            os._exit(128 + signum)  # worker processes die with it (PR_SET_PDEATHSIG)
        if self.mode == "raise" or not first:
            raise Interrupted(signum)


_signals = _Signals()


_T = TypeVar("_T")


class _Phases:
    """Prints each phase of a long job with its duration, on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def run(self, label: str, work: Callable[[], _T]) -> _T:
        started = time.perf_counter()
        with stderr.status(label + " ...", spinner="dots") if not self.quiet else _nothing():
            result = work()
        if not self.quiet:
            stderr.print(f"[green]done[/] {label} ({time.perf_counter() - started:.1f} s)")
        return result

    def timed(self, label: str, seconds: float, work: Callable[[Callable], _T]) -> _T:
        """Run work with a bar that fills over its time limit.

        ``work`` receives a callback for progress reports (phase, sub-solves done,
        placed / unplaced visits, travel so far) shown beside the bar.
        """
        if self.quiet:
            return work(lambda p: None)
        stop = threading.Event()
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=stderr, transient=True) as progress:
            task = progress.add_task(label, total=seconds)
            started = time.perf_counter()

            def tick() -> None:
                while not stop.wait(0.25):
                    progress.update(task, completed=min(seconds, time.perf_counter() - started))

            def report(p) -> None:
                progress.update(task, description=(
                    f"{label}: {p.phase} {p.done}/{p.total}, {p.placed} placed, "
                    f"{p.unplaced} unplaced, travel {p.travel_s / 3600:.1f} h"))

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            try:
                result = work(report)
            finally:
                stop.set()
                ticker.join()
        done = "[yellow]stopped[/]" if interrupt.stop_requested() else "[green]done[/]"
        stderr.print(f"{done} {label} ({time.perf_counter() - started:.1f} s)")
        return result


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
