"""Every file carerounds writes: written atomically, and a plan's outputs as one checked set.

I/O at the edges: analyses take and return objects; this module writes them. Each file
is written to a temporary file in its own folder, flushed to disk and renamed over the
old one, so a reader sees the old file or the new one, never half of one. Every text
cell of every CSV passes through :func:`carerounds.scheduler.escape.csv_cell`, so a
name a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is written as
text; numbers stay numbers.

A plan's outputs (rota, reports, run sheets, maps) are one set, published as a whole:

1. :func:`check_output_dir` checks ``--out`` before the solve (not a file, not under a
   file, writable, not the current folder).
2. :class:`OutputLock` stops a second run into the same folder; a lock left by a run
   that died is taken over with a warning.
3. :class:`OutputSet` stages the files in a hidden folder beside ``--out`` (same
   filesystem), writes ``manifest.json`` (every file with its size and SHA-256) last,
   reads every file back against it, then swaps the staged folder and ``--out`` in one
   ``renameat2(RENAME_EXCHANGE)`` call and deletes the old set. Until the swap the
   previous set is untouched; after it, the new set is complete. Files and folders in
   ``--out`` that carerounds did not write (an ``inputs/`` folder, notes) are carried
   into the new set as hard links (copies where links are impossible).

docs/reliability.md states what a crash at each step leaves behind.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import stat
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CareroundsError, InputError
from .escape import csv_cell
from .units import format_hhmm

if TYPE_CHECKING:
    from .actuals import ActualsReport
    from .capacity import CapacityReport, UnplacedBreakdown
    from .duplicates import DuplicatePair, Merge
    from .fairwork import FairWorkReport
    from .model import Day
    from .rota import Rota

# ---- the columns of every CSV file carerounds writes -----------------------------------

ROTA_CSV_COLUMNS = ("worker_id", "worker_name", "provider_id", "shift", "seq", "visit_id",
                    "client_id", "client_name", "postcode", "area", "window", "arrival", "start",
                    "end", "duration_min", "travel_min", "distance_km", "double_up_with", "tasks")
UNPLACED_COLUMNS = ("visit_id", "client_id", "provider_id", "service", "area", "duration_min",
                    "reason", "priority", "window_start", "window_end", "carers")
DUPLICATES_COLUMNS = ("visit_id_a", "visit_id_b", "provider_a", "provider_b", "client_a",
                      "client_b", "match", "window_a", "window_b", "overlap_min", "gap_min",
                      "drop_visit", "care_saved_min", "travel_saved_min", "reason")
MERGES_COLUMNS = ("absorbed_visit", "kept_visit", "provider", "rule", "reason")
BREAKDOWN_COLUMNS = ("dimension", "key", "unplaced_visits", "unplaced_hours",
                     "unplaced_packages", "package_hours")
QUEUE_COLUMNS = ("rank", "visit_id", "client_id", "provider_id", "service", "area", "priority",
                 "window", "duration_min", "carers", "why_first", "reason")
CAPACITY_COLUMNS = ("area", "band_start", "band_end", "demand_carer_min", "rostered_min",
                    "balance_min", "exception")
IDLE_COLUMNS = ("worker_id", "provider_id", "area", "shift", "idle_start", "idle_end",
                "idle_min")
FLAG_COLUMNS = ("rule", "worker_id", "provider_id", "shift", "client_id", "visit_id", "detail")
WORKER_COLUMNS = ("worker_id", "provider_id", "shifts", "visits", "contact_min", "travel_min",
                  "wait_min", "paid_min", "pay_gbp", "effective_hourly_gbp", "flags")
ACTUALS_COLUMNS = ("visit_id", "worker_id", "provider_id", "client_id", "window",
                   "planned_start", "planned_end", "check_in", "check_out", "start_delta_min",
                   "planned_min", "actual_min", "in_window", "categories", "detail")


__all__ = [
    "MANIFEST", "OutputError", "OutputLock", "OutputLockedError", "OutputSet",
    "check_output_dir", "manifest_run_id", "output_lock", "publish_files", "read_manifest",
    "release_locks", "verify_output_set",
    "write_actuals_csv", "write_bytes", "write_capacity_csv", "write_csv", "write_duplicates_csv",
    "write_fair_work_csv", "write_fair_work_workers_csv", "write_idle_csv", "write_merges_csv",
    "write_priority_queue_csv", "write_rota_csv", "write_rota_json",
    "write_text", "write_unplaced_breakdown_csv", "write_unplaced_csv",
]

#: The manifest of an output set: written last, it lists every file of the set.
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "carerounds.outputs/1"
#: Files a plan writes (maps add ``map_<area>.html``); used to tell them from a user's
#: own files in a folder written before manifests existed.
PLAN_FILES = frozenset({
    "rota.json", "rota.csv", "unplaced.csv", "duplicates.csv", "unplaced_breakdown.csv",
    "priority_queue.csv", "capacity.csv", "idle_time.csv", "fair_work.csv",
    "fair_work_workers.csv", "merges.csv", "report.html", "run_sheets.pdf", "run_sheets.html",
    "map.html", "map.png", MANIFEST})
_LOCK_SUFFIX = ".carerounds-lock"
_NEW_INFIX = ".carerounds-new-"
_OLD_INFIX = ".carerounds-old-"
#: Open flags POSIX has and other systems lack (0: not needed there).
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
#: renameat2(2): swap two paths atomically (Linux 3.15+, most local filesystems).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputError(CareroundsError, OSError):
    """Outputs could not be written; the message says what is left on disk and what to do."""


class OutputLockedError(OutputError):
    """Another carerounds run is writing to the same output folder."""


# ---- files --------------------------------------------------------------------------------

def _write_all(fd: int, data: bytes) -> None:
    """Write every byte to ``fd`` (the one low-level write every file goes through)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(folder: Path) -> None:
    # a rename is durable only once the folder holding it is flushed
    try:
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot flush a folder
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write a file atomically: a temporary file beside it, flushed, then renamed over it.

    A reader sees the old content or the new, never part of either; on any error the
    temporary file is removed and the old file is left as it was. A symbolic link is
    written through (its target is replaced); an existing file keeps its permissions.

    Parameters
    ----------
    path : str or Path
        The file; its folder must exist.
    data : bytes

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o666)
    try:
        try:
            with contextlib.suppress(FileNotFoundError):
                os.fchmod(fd, stat.S_IMODE(os.stat(target).st_mode))
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(target)  # so the message can say which file
        raise
    _fsync_dir(target.parent)
    return path


def write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write text atomically (see :func:`write_bytes`); ``encoding`` default UTF-8."""
    return write_bytes(path, text.encode(encoding))


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    r"""Write a CSV file atomically, every cell through :func:`~carerounds.scheduler.escape.csv_cell`.

    Text that a spreadsheet would run as a formula gets a leading ``'``; numbers and
    numeric text such as ``-3.07`` are written as they are. Lines end ``\r\n`` (the
    ``csv`` module's default, which spreadsheets expect).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(c) for c in header])
    for row in rows:
        writer.writerow([csv_cell(c) for c in row])
    return write_text(path, buffer.getvalue())


# ---- the rota and its reports -------------------------------------------------------------

def write_rota_json(rota: Rota, path: Path) -> Path:
    """Write ``rota.json`` (format ``carerounds.rota/1``)."""
    from .rota import rota_to_dict

    return write_text(path, json.dumps(rota_to_dict(rota), indent=1, ensure_ascii=False) + "\n")


def write_rota_csv(rota: Rota, day: Day, path: Path) -> Path:
    """Write ``rota.csv``: one row per worker per visit, in each worker's visit order."""

    def rows() -> Iterator[list[object]]:
        for sh in rota.shifts:
            worker = day.worker_by_id[sh.worker_id]
            for seq, stop in enumerate(sh.stops, start=1):
                visit = day.visit_by_id[stop.visit_id]
                client = day.client_by_id[stop.client_id]
                yield [
                    sh.worker_id, worker.name, sh.provider_id, sh.shift, seq, stop.visit_id,
                    stop.client_id, client.name, client.postcode, client.area,
                    f"{format_hhmm(visit.window_start_s)}-{format_hhmm(visit.window_end_s)}",
                    format_hhmm(stop.arrival_s), format_hhmm(stop.start_s),
                    format_hhmm(stop.end_s), (stop.end_s - stop.start_s) // 60,
                    round(stop.travel_s / 60, 1), round(stop.distance_m / 1000, 2),
                    stop.partner or "", "; ".join(visit.tasks)]

    return write_csv(path, ROTA_CSV_COLUMNS, rows())


def write_unplaced_csv(rota: Rota, day: Day, path: Path) -> Path:
    """Write ``unplaced.csv``: every visit not placed, with its reason."""

    def rows() -> Iterator[list[object]]:
        for o in rota.unplaced:
            visit = day.visit_by_id[o.visit_id]
            client = day.client_by_id[visit.client_id]
            yield [visit.visit_id, visit.client_id, visit.provider_id or "", visit.service,
                   client.area, visit.service_s // 60, o.reason, visit.priority,
                   format_hhmm(visit.window_start_s), format_hhmm(visit.window_end_s),
                   visit.carers]

    return write_csv(path, UNPLACED_COLUMNS, rows())


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.2f}"


def _minutes(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.0f}"


def write_unplaced_breakdown_csv(breakdown: UnplacedBreakdown, path: Path) -> Path:
    """Write ``unplaced_breakdown.csv``: a ``total`` row, then one row per dimension and key.

    Hours are carer-hours with two decimals.
    """
    total_package_s = sum(g.package_carer_s for g in breakdown.by("service"))
    rows: list[list[object]] = [["total", "all", breakdown.unplaced_visits,
                                 _hours(breakdown.unplaced_carer_s), breakdown.unplaced_packages,
                                 _hours(total_package_s)]]
    rows += [[g.dimension, g.key, g.visits, _hours(g.carer_s), g.packages,
              _hours(g.package_carer_s)] for g in breakdown.groups]
    return write_csv(path, BREAKDOWN_COLUMNS, rows)


def write_priority_queue_csv(breakdown: UnplacedBreakdown, path: Path) -> Path:
    """Write ``priority_queue.csv``: unplaced visits in the order to find them a carer."""
    return write_csv(path, QUEUE_COLUMNS, (
        [q.rank, q.visit_id, q.client_id, q.provider_id or "", q.service, q.area, q.priority,
         f"{format_hhmm(q.window_start_s)}-{format_hhmm(q.window_end_s)}", q.service_s // 60,
         q.carers, q.why_first, q.reason] for q in breakdown.queue))


def write_capacity_csv(report: CapacityReport, path: Path) -> Path:
    """Write ``capacity.csv``: one row per area and band.

    ``exception`` is ``short`` when demand exceeds rostered capacity. Minutes are whole
    minutes.
    """
    return write_csv(path, CAPACITY_COLUMNS, (
        [b.area, format_hhmm(b.start_s), format_hhmm(b.end_s), round(b.demand_carer_s / 60),
         round(b.rostered_s / 60), round(b.balance_s / 60), "short" if b.short else ""]
        for b in report.bands))


def write_idle_csv(report: CapacityReport, path: Path) -> Path:
    """Write ``idle_time.csv``: idle stretches that could be released, one row each."""
    return write_csv(path, IDLE_COLUMNS, (
        [i.worker_id, i.provider_id, i.area, i.shift, format_hhmm(i.start_s),
         format_hhmm(i.end_s), i.length_s // 60] for i in report.idle))


def write_fair_work_csv(report: FairWorkReport, path: Path) -> Path:
    """Write ``fair_work.csv``: one row per flag (columns ``fairwork.FLAG_COLUMNS``)."""
    return write_csv(path, FLAG_COLUMNS, (
        [f.rule, f.worker_id or "", f.provider_id or "", "" if f.shift is None else f.shift,
         f.client_id or "", f.visit_id or "", f.detail] for f in report.flags))


def write_fair_work_workers_csv(report: FairWorkReport, path: Path) -> Path:
    """Write ``fair_work_workers.csv``: each working worker's time, pay and flag count."""
    from collections import Counter

    counts = Counter(f.worker_id for f in report.flags if f.worker_id)
    return write_csv(path, WORKER_COLUMNS, (
        [w.worker_id, w.provider_id, w.shifts, w.visits, round(w.contact_s / 60),
         round(w.travel_s / 60), round(w.wait_s / 60), round(w.paid_s / 60),
         f"{w.pay_p / 100:.2f}",
         "" if w.effective_p_per_h is None else f"{w.effective_p_per_h / 100:.2f}",
         counts.get(w.worker_id, 0)] for w in report.workers))


def write_duplicates_csv(pairs: Iterable[DuplicatePair], day: Day, path: Path) -> Path:
    """Write ``duplicates.csv``: one row per pair, columns ``duplicates.DUPLICATES_COLUMNS``.

    Minutes are whole minutes; ``travel_saved_min`` is empty when travel was not estimated.
    """
    del day  # the pair carries everything; kept in the signature for symmetry with the others
    return write_csv(path, DUPLICATES_COLUMNS, (
        [p.visit_a, p.visit_b, p.provider_a or "", p.provider_b or "", p.client_a, p.client_b,
         p.match, f"{format_hhmm(p.window_a[0])}-{format_hhmm(p.window_a[1])}",
         f"{format_hhmm(p.window_b[0])}-{format_hhmm(p.window_b[1])}",
         _minutes(p.overlap_s), _minutes(p.gap_s), p.drop_visit, _minutes(p.care_saved_s),
         _minutes(p.travel_saved_s), p.reason] for p in pairs))


def write_merges_csv(merges: Iterable[Merge], path: Path) -> Path:
    """Write ``merges.csv``: one row per absorbed visit."""
    return write_csv(path, MERGES_COLUMNS, (
        [m.absorbed, m.kept, m.provider or "", m.rule, m.reason] for m in merges))


def _next_day_time(seconds: int | None) -> str:
    if seconds is None:
        return ""
    prefix = "+1 " if seconds >= 86400 else ""
    return prefix + format_hhmm(seconds % 86400)


def write_actuals_csv(report: ActualsReport, path: Path) -> Path:
    """Write ``actuals.csv``: one row per planned carer-visit or unplanned call.

    Times after midnight read ``+1 HH:MM`` (written ``'+1 HH:MM``, as text, like any
    cell a spreadsheet would take for a formula).
    """

    def rows() -> Iterator[list[object]]:
        t = _next_day_time
        for e in report.visits:
            window = (f"{format_hhmm(e.window_start_s)}-{format_hhmm(e.window_end_s)}"
                      if e.window_start_s is not None and e.window_end_s is not None else "")
            planned = (None if e.planned_start_s is None or e.planned_end_s is None
                       else (e.planned_end_s - e.planned_start_s) // 60)
            actual = (None if e.check_in_s is None or e.check_out_s is None
                      else (e.check_out_s - e.check_in_s) // 60)
            delta = e.start_delta_s
            yield [e.visit_id, e.worker_id, e.provider_id or "", e.client_id or "", window,
                   t(e.planned_start_s), t(e.planned_end_s), t(e.check_in_s), t(e.check_out_s),
                   "" if delta is None else round(delta / 60), "" if planned is None else planned,
                   "" if actual is None else actual,
                   "" if e.in_window is None else ("yes" if e.in_window else "no"),
                   ";".join(e.categories), e.detail]

    return write_csv(path, ACTUALS_COLUMNS, rows())


# ---- the output folder --------------------------------------------------------------------

def _read_only(folder: Path) -> bool:
    # os.access is True for root whatever the mode; a folder nobody may write to was
    # marked read-only on purpose (e.g. to keep last night's rota), so respect the bits too
    try:
        mode = folder.stat().st_mode
    except OSError:
        return True
    return not os.access(folder, os.W_OK | os.X_OK) or not mode & 0o222


def check_output_dir(out: str | Path, *, flag: str = "--out", whole: bool = True) -> Path:
    """Check that a plan can write its output set into ``out``, before any work is done.

    Parameters
    ----------
    out : str or Path
        The output folder; it need not exist (it and its parents are created when the
        set is written).
    flag : str, default "--out"
        The option or argument named in errors.
    whole : bool, default True
        The folder will be replaced as a whole (a plan's set); False when files are only
        added to it (:func:`publish_files`), which the current folder allows.

    Returns
    -------
    Path
        ``out`` made absolute, symbolic links resolved (the set replaces the real folder).

    Raises
    ------
    InputError
        When ``out`` is a file, lies under a file, is read-only or sits in a read-only
        folder (the staging folder and the lock go beside it), is a mount point, or is
        the current folder or one of its parents (the set replaces the folder as a
        whole, which would pull it from under the shell).
    """
    given = Path(out).expanduser()
    try:
        path = given.resolve()
    except (OSError, RuntimeError) as exc:
        raise InputError(f"{given} cannot be used as a folder ({exc}); choose another {flag}",
                         field=flag) from None
    if path.parent == path:
        raise InputError(f"{path} is the root folder; give a folder for this plan, "
                         f"e.g. {flag} out/plan", field=flag)
    cwd = Path.cwd().resolve()
    if whole and (path == cwd or path in cwd.parents):
        raise InputError(f"{given} is the current folder or holds it; a plan replaces its "
                         f"output folder as a whole, so give a subfolder, e.g. {flag} out/",
                         field=flag)
    if path.exists() and not path.is_dir():
        raise InputError(f"{given} is a file, not a folder; give a folder name (it is created "
                         "if missing)", field=flag)
    if whole and path.is_dir() and os.path.ismount(path):
        raise InputError(f"{given} is a mount point, which cannot be replaced as a whole; give "
                         f"a folder inside it, e.g. {flag} {given / 'plan'}", field=flag)
    existing = path if path.exists() else path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{existing} is a file, so {given} cannot be a folder under it; "
                         f"choose another {flag}", field=flag)
    for folder in {path, path.parent} if path.exists() else {existing}:
        if _read_only(folder):
            raise InputError(f"{folder} is read-only; make it writable (chmod u+w {folder}) or "
                             f"choose another {flag}", field=flag)
    return path


def _describe_holder(text: str) -> tuple[int | None, str]:
    try:
        info = json.loads(text)
        pid = int(info["pid"])
    except (ValueError, KeyError, TypeError):
        return None, "an unknown process"
    return pid, f"PID {pid} on {info.get('host', '?')}, since {info.get('started', '?')}"


def _read_at_start(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4096).decode("utf-8", "replace")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


class OutputLock:
    """An exclusive lock on an output folder, held while a plan reads, solves and writes.

    The lock is ``.<folder>.carerounds-lock`` beside the folder (the folder itself is
    replaced when a set is written, so it cannot hold its own lock). It is an ``flock``
    on that file, which the kernel releases when the holder dies however it dies; the
    file also names the holder (PID, host, start time) for the message a second run
    prints. A lock file left by a run that ended without removing it is taken over, and
    :attr:`stale` says whose it was.

    Parameters
    ----------
    out : Path
        The output folder, as returned by :func:`check_output_dir`.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.parent / f".{out.name}{_LOCK_SUFFIX}"
        self.stale: str | None = None
        self._fd: int | None = None
        self._made: list[Path] = []

    def acquire(self) -> OutputLock:
        """Take the lock.

        Raises
        ------
        OutputLockedError
            When another live run holds it.
        OutputError
            When the lock file cannot be created.
        """
        folder = self.path.parent
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        try:
            for made in reversed(missing):
                made.mkdir()
                self._made.append(made)
            for _ in range(10):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _CLOEXEC, 0o644)
                try:
                    if self._lock(fd):
                        self._fd = fd
                        return self
                except BaseException:
                    os.close(fd)
                    raise
                os.close(fd)  # the file was replaced under us: open the new one
        except OutputError:
            self._remove_made()
            raise
        except OSError as exc:
            self._remove_made()
            raise OutputError(f"cannot create the lock file {self.path}: {exc.strerror}; "
                              "check that the folder is writable") from exc
        raise OutputError(f"cannot take the lock {self.path}: it keeps changing; another "
                          "program may be deleting it")

    def _lock(self, fd: int) -> bool:
        """Lock ``fd``; False when ``fd`` is no longer the file at :attr:`path`."""
        try:
            import fcntl
        except ImportError:  # not POSIX: trust the PID in the file alone
            fcntl = None  # type: ignore[assignment]
        try:
            if fcntl is None:
                raise OSError(errno.EOPNOTSUPP, "no flock")
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _, holder = _describe_holder(_read_at_start(fd))
            raise OutputLockedError(
                f"{self.out} is being written by another carerounds run ({holder}); wait "
                f"for it to finish or stop it, then run again (lock file {self.path})") from None
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
            flocked = False  # no flock here (some network filesystems): trust the PID alone
        else:
            flocked = True
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        if (mine.st_ino, mine.st_dev) != (current.st_ino, current.st_dev):
            return False
        previous = _read_at_start(fd).strip()
        if previous:
            pid, holder = _describe_holder(previous)
            alive = pid is not None and _pid_alive(pid)
            if not flocked and alive and pid != os.getpid():
                raise OutputLockedError(
                    f"{self.out} is being written by another carerounds run ({holder}); wait "
                    f"for it to finish or stop it, then run again (lock file {self.path})")
            self.stale = (f"took over a stale lock on {self.out} left by {holder}, "
                          + ("which still runs but does not hold it" if alive else
                             "which ended without releasing it"))
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started": dt.datetime.now().astimezone().isoformat(
                                 timespec="seconds")})
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, record.encode("utf-8") + b"\n")  # one short write; not an output file
        os.fsync(fd)
        return True

    def release(self) -> None:
        """Remove the lock file and release the lock (folders made for it go too, if empty)."""
        if self._fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                    os.unlink(self.path)
        finally:
            os.close(self._fd)
            self._fd = None
        self._remove_made()

    def _remove_made(self) -> None:
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: nothing was written there
        self._made = []


#: Locks this process holds, by lock path, with the holder's PID (a forked child is not it).
_held: dict[str, tuple[OutputLock, int]] = {}


def release_locks() -> None:
    """Release every output lock this process holds (before leaving with ``os._exit``)."""
    for key, (lock, pid) in list(_held.items()):
        if pid == os.getpid():
            _held.pop(key, None)
            lock.release()


@contextlib.contextmanager
def output_lock(out: Path, *,
                on_warning: Callable[[str], None] | None = None) -> Iterator[OutputLock]:
    """Hold the :class:`OutputLock` of ``out`` for the ``with`` block (re-entrant).

    When this process already holds it (the CLI takes it before the solve and
    :func:`carerounds.scheduler.render.write_plan` asks again) the block just runs.

    Parameters
    ----------
    out : Path
        From :func:`check_output_dir`.
    on_warning : callable, optional
        Receives the message when a stale lock is taken over; default
        :func:`warnings.warn`.
    """
    key = str(OutputLock(out).path)
    held = _held.get(key)
    if held is not None and held[1] == os.getpid():
        yield held[0]
        return
    lock = OutputLock(out).acquire()
    _held[key] = (lock, os.getpid())
    try:
        if lock.stale:
            if on_warning is None:
                import warnings

                warnings.warn(lock.stale, stacklevel=3)
            else:
                on_warning(lock.stale)
        yield lock
    finally:
        _held.pop(key, None)
        lock.release()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, then reach the handlers they would have.

    Only the main thread can change signal handlers; elsewhere the block runs as it is
    (a crash inside it is then what docs/reliability.md describes).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def record(signum: int, frame: object) -> None:
        pending.append(signum)

    for s in previous:
        signal.signal(s, record)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False when the system or filesystem cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(handle.fileno())
    return digest.hexdigest(), size


def _files(folder: Path) -> list[str]:
    """Every regular file under ``folder`` as a relative POSIX path, sorted."""
    names = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            names.append((Path(root) / name).relative_to(folder).as_posix())
    return sorted(names)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of an output set, or None when ``folder`` has none (or it is unreadable)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None


def manifest_run_id(folder: str | Path) -> str | None:
    """The run id in ``folder``'s manifest (which run wrote the set there), or None."""
    data = read_manifest(Path(folder))
    return None if data is None else data.get("run_id")


def verify_output_set(folder: str | Path) -> dict[str, Any]:
    """Check an output set against its manifest: every file present with its size and hash.

    A reader (the 7 a.m. print job, a script copying the rota) can call this before
    trusting the folder.

    Returns
    -------
    dict
        The manifest (``format``, ``run_id``, ``created``, ``partial``, ``files``, ``kept``).

    Raises
    ------
    OutputError
        When the manifest is missing or a file is missing, has another size or hash.
    """
    folder = Path(folder)
    data = read_manifest(folder)
    if data is None:
        raise OutputError(f"{folder} has no readable {MANIFEST}: it is not a complete "
                          "carerounds output set; plan again")
    for name, entry in data.get("files", {}).items():
        path = folder / name
        try:
            digest, size = _sha256(path)
        except OSError as exc:
            raise OutputError(f"{name} in {folder} cannot be read ({exc.strerror}); the set is "
                              "incomplete; plan again") from None
        if size != entry.get("bytes") or digest != entry.get("sha256"):
            raise OutputError(f"{name} in {folder} differs from {MANIFEST} (changed since it "
                              "was written); plan again or restore the folder")
    return data


def _recover(out: Path, notes: list[str]) -> None:
    """Clear what a run into ``out`` that died left beside it (the caller holds the lock)."""
    parent = out.parent
    if not parent.is_dir():
        return
    new = sorted(p for p in parent.iterdir() if p.name.startswith(f".{out.name}{_NEW_INFIX}"))
    old = sorted(p for p in parent.iterdir() if p.name.startswith(f".{out.name}{_OLD_INFIX}"))
    if old and not os.path.lexists(out):
        # died between "out -> old" and "new -> out" (systems without an atomic swap):
        # the previous set is complete in old, so it goes back
        keep = max(old, key=lambda p: p.stat().st_mtime)
        os.rename(keep, out)
        old.remove(keep)
        notes.append(f"restored the previous outputs in {out}, left aside by a run that died")
    for leftover in new + old:
        shutil.rmtree(leftover, ignore_errors=True)
    if new or old:
        notes.append(f"removed {len(new) + len(old)} unfinished output folder(s) beside {out} "
                     "left by a run that died")


class OutputSet:
    """A plan's files staged beside ``out`` and published as one set by :meth:`commit`.

    Use as a context manager: write every file into :attr:`path`, then call
    :meth:`commit`. Leaving the block without committing (an error, an interruption)
    removes the staging folder and leaves ``out`` exactly as it was; an ``OSError``
    (disk full, permissions) comes out as :class:`OutputError` saying so.

    Parameters
    ----------
    out : Path
        From :func:`check_output_dir`.
    partial : bool, default False
        Recorded in the manifest: the rota is the best found before the search was
        stopped, not the result of the full time limit.
    notes : list of str, optional
        Receives what was cleaned up from an earlier run that died.
    """

    def __init__(self, out: Path, *, partial: bool = False,
                 notes: list[str] | None = None) -> None:
        self.out = out
        self.partial = partial
        self.run_id = uuid.uuid4().hex
        self.path = out.parent / f".{out.name}{_NEW_INFIX}{self.run_id[:12]}"
        self.committed = False
        self.notes = notes if notes is not None else []

    def __enter__(self) -> OutputSet:
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            _recover(self.out, self.notes)
            os.mkdir(self.path)  # mode 0o777 less the umask, as a plain mkdir would give
            if self.out.is_dir():
                # the new folder replaces the old one: same permissions, and owner if allowed
                st = self.out.stat()
                os.chmod(self.path, stat.S_IMODE(st.st_mode))
                with contextlib.suppress(OSError):
                    os.chown(self.path, st.st_uid, st.st_gid)
        except OSError as exc:
            raise self._error(exc) from exc
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        if self.committed:
            return
        with _signals_deferred():
            shutil.rmtree(self.path, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise self._error(exc) from exc

    def _error(self, exc: OSError) -> OutputError:
        why = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free some disk space (or choose another --out) and plan again"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = "make the folder writable (or choose another --out) and plan again"
        else:
            fix = "fix the cause and plan again"
        where = f" ({Path(exc.filename).name})" if getattr(exc, "filename", None) else ""
        kept = (f"the previous outputs in {self.out} are intact" if self.out.exists()
                else f"{self.out} was not created")
        return OutputError(f"could not write the outputs to {self.out}: {why}{where}. Nothing "
                           f"was changed: {kept}; {fix}")

    def _carry_over(self, ours: set[str]) -> list[str]:
        """Link the user's own files and folders in ``out`` into the new set."""
        if not self.out.is_dir():
            return []
        previous = read_manifest(self.out)
        theirs = set(previous.get("files", {})) if previous else set()
        kept = []
        for entry in sorted(self.out.iterdir(), key=lambda p: p.name):
            name = entry.name
            if name in ours or name in theirs or name == MANIFEST:
                continue
            if previous is None and (name in PLAN_FILES or (name.startswith("map_")
                                                            and name.endswith(".html"))):
                continue  # a plan's file from before manifests: replaced, not kept
            target = self.path / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(str(entry), str(target))
            kept.append(name)
        return kept

    def commit(self) -> dict[str, Any]:
        """Write the manifest, check the set against it, and swap it into place.

        Returns
        -------
        dict
            The manifest written.

        Raises
        ------
        OutputError
            When a file cannot be written or read back; ``out`` is then unchanged.
        """
        try:
            top = {name.split("/", 1)[0] for name in _files(self.path)}
            kept = self._carry_over(top)
            files = {}
            for name in _files(self.path):
                if name.split("/", 1)[0] in kept:
                    continue
                digest, size = _sha256(self.path / name)
                files[name] = {"bytes": size, "sha256": digest}
            manifest = {"format": MANIFEST_FORMAT, "run_id": self.run_id,
                        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "partial": self.partial, "files": files, "kept": kept}
            write_text(self.path / MANIFEST, json.dumps(manifest, indent=1) + "\n")
            for root, _, _ in os.walk(self.path):
                _fsync_dir(Path(root))
            if verify_output_set(self.path)["run_id"] != self.run_id:
                raise OutputError(f"the staged {MANIFEST} was not the one written")
            with _signals_deferred():
                self._swap()
        except OutputError:
            raise
        except OSError as exc:
            raise self._error(exc) from exc
        return manifest

    def _swap(self) -> None:
        out, staged = self.out, self.path
        if not os.path.lexists(out):
            os.rename(staged, out)
            self.committed = True
            _fsync_dir(out.parent)
            return
        if _exchange(staged, out):
            self.committed = True  # out is the new set; staged now holds the previous one
            _fsync_dir(out.parent)
            shutil.rmtree(staged, ignore_errors=True)
            return
        # no atomic swap here: two renames, with a moment where out does not exist (a
        # reader then finds no set, never a mixed one); a crash in that moment leaves the
        # previous set complete in old, and the next run puts it back (_recover)
        old = out.parent / f".{out.name}{_OLD_INFIX}{self.run_id[:12]}"
        os.rename(out, old)
        try:
            os.rename(staged, out)
        except BaseException:
            os.rename(old, out)
            raise
        self.committed = True
        _fsync_dir(out.parent)
        shutil.rmtree(old, ignore_errors=True)


def publish_files(out: Path, render: Callable[[Path], Sequence[Path]]) -> list[Path]:
    """Render files into a staging folder, then move each into ``out`` atomically.

    For ``carerounds sheets`` and ``carerounds map``, which add files to a folder that
    may hold a plan's set: each file appears whole or not at all, and when ``out`` has a
    manifest listing a file, the manifest is updated to its new hash.

    Parameters
    ----------
    out : Path
        From :func:`check_output_dir`; created when missing.
    render : callable
        Writes the files into the folder it is given and returns their paths.

    Returns
    -------
    list of Path
        The files now in ``out``.
    """
    with output_lock(out), OutputSet(out) as staged:
        produced = [Path(p) for p in render(staged.path)]
        try:
            out.mkdir(parents=True, exist_ok=True)
            placed = []
            manifest = read_manifest(out)
            with _signals_deferred():
                for path in produced:
                    target = out / path.relative_to(staged.path)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digest, size = _sha256(path)
                    os.replace(path, target)
                    placed.append(target)
                    name = target.relative_to(out).as_posix()
                    if manifest is not None and name in manifest.get("files", {}):
                        manifest["files"][name] = {"bytes": size, "sha256": digest}
                _fsync_dir(out)
                if manifest is not None:
                    write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        except OSError as exc:
            raise staged._error(exc) from exc
    return placed
