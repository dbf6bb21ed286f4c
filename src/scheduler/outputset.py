"""The output folder of a plan: checked early, locked, and replaced as one checked set.

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
import ctypes
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from .outputs import _CLOEXEC, OutputError, OutputLockedError, _fsync_dir, write_text

__all__ = ["MANIFEST", "OutputLock", "OutputSet", "check_output_dir", "manifest_run_id",
           "output_lock", "publish_files", "read_manifest", "release_locks",
           "verify_output_set"]

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
#: renameat2(2): swap two paths atomically (Linux 3.15+, most local filesystems).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


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
