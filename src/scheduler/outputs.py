"""Every file carerounds writes: written atomically, and a plan's outputs as one checked set.

I/O at the edges: analyses take and return objects; this module writes them. Each file
is written to a temporary file in its own folder, flushed to disk and renamed over the
old one, so a reader sees the old file or the new one, never half of one. Every text
cell of every CSV passes through :func:`carerounds.scheduler.escape.csv_cell`, so a
name a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is written as
text; numbers stay numbers.

A plan's outputs are one set, staged, checked and swapped into place as a whole by
:mod:`carerounds.scheduler.outputset`.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import stat
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CareroundsError
from .escape import csv_cell
from .units import format_hhmm

if TYPE_CHECKING:
    from .actuals import ActualsReport
    from .capacity import CapacityReport, UnplacedBreakdown
    from .changes import Change
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
    "OutputError", "OutputLockedError",
    "write_actuals_csv", "write_bytes", "write_capacity_csv", "write_changes_csv", "write_csv",
    "write_duplicates_csv",
    "write_fair_work_csv", "write_fair_work_workers_csv", "write_idle_csv", "write_merges_csv",
    "write_priority_queue_csv", "write_rota_csv", "write_rota_json",
    "write_text", "write_unplaced_breakdown_csv", "write_unplaced_csv",
]

#: Open flags POSIX has and other systems lack (0: not needed there).
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


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


#: The columns of ``changes.csv`` (a re-plan's changed visits and who to phone).
CHANGES_COLUMNS = ("visit_id", "client_id", "area", "change", "old_workers", "old_start",
                   "new_workers", "new_start", "phone_workers", "phone_client")


def write_changes_csv(changes: Iterable[Change], path: Path) -> Path:
    """Write ``changes.csv``: one row per changed visit, with who to phone."""
    def hm(seconds: int | None) -> str:
        return "" if seconds is None else format_hhmm(seconds)

    return write_csv(path, CHANGES_COLUMNS, (
        [c.visit_id, c.client_id, c.area, c.change, ";".join(c.old_workers), hm(c.old_start_s),
         ";".join(c.new_workers), hm(c.new_start_s), ";".join(c.phone_workers),
         "yes" if c.phone_client else "no"] for c in changes))
