"""Stopping a search early when the user asks (SIGINT, SIGTERM): one flag the engines poll.

The command line installs signal handlers that call :func:`request_stop`; the engines
poll :func:`stop_requested` and return the best rota found so far. OR-Tools searches in
C++, where Python signal handlers cannot run, so the OR-Tools adapter registers
:func:`stop_requested` as a search limit: OR-Tools calls it many times a second, and each
call runs the Python interpreter, which first runs any pending signal handler.

Only the process that called :func:`arm` is stoppable this way. Processes the engines
fork (the decomposed engine's pool, the portfolio, a stoppable iterated local search)
leave signals to their parent, which kills them when it stops (see
:func:`quiet_child`).
"""

from __future__ import annotations

import ctypes
import os
import signal

__all__ = ["arm", "armed", "disarm", "quiet_child", "request_stop", "stop_requested",
           "stop_signal"]

#: prctl(2) option: the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


class _State:
    armed_pid: int | None = None
    signum: int | None = None


_state = _State()


def arm() -> None:
    """Make this process stoppable: engines start polling the flag (cleared here)."""
    _state.armed_pid = os.getpid()
    _state.signum = None


def disarm() -> None:
    """Stop polling and clear the flag (the command is over)."""
    _state.armed_pid = None
    _state.signum = None


def armed() -> bool:
    """True in the process that called :func:`arm` (not in processes it forked)."""
    return _state.armed_pid == os.getpid()


def request_stop(signum: int = 0) -> None:
    """Ask every running search in this process to stop and return its best so far.

    Parameters
    ----------
    signum : int, default 0
        The signal that asked (0: none, a programmatic stop); the first one is kept.
    """
    if _state.signum is None:
        _state.signum = signum


def stop_requested() -> bool:
    """True once a stop was asked for in an armed process.

    A Python function on purpose (not a builtin): when OR-Tools calls it from C++, the
    interpreter's evaluation loop runs, and with it any signal handler waiting to run.
    """
    return _state.signum is not None and _state.armed_pid == os.getpid()


def stop_signal() -> int | None:
    """The signal number that asked for the stop (0 for a programmatic stop), or None."""
    return _state.signum if stop_requested() else None


def quiet_child(parent: int | None = None) -> None:
    """Signal set-up for a worker process the engines fork (call it first thing in the child).

    SIGINT is ignored (Ctrl-C reaches the whole foreground process group; the parent
    decides and kills its workers, so they print no tracebacks of their own), SIGTERM
    gets its default action, and on Linux the child is killed if its parent dies, so a
    parent killed with SIGKILL leaves no search running behind it.

    Parameters
    ----------
    parent : int, optional
        The parent's process id, read before forking; the child exits at once if the
        parent has already gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent is None:
        parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent still kills its workers
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
