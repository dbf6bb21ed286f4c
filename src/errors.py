"""Exception types shared by every carerounds subpackage."""

from __future__ import annotations


class CareroundsError(Exception):
    """Base class of every error carerounds raises on purpose."""


class InputError(CareroundsError, ValueError):
    """Bad input: names the file, row, id and field, and says how to fix it.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    file : str, optional
        The file's name (not its full path, so logs stay free of local paths).
    row : int, optional
        1-based line number in the file, counting the header as line 1.
    field : str, optional
        The column or field at fault.
    id : str, optional
        The record's id (e.g. a visit id), when it has one.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, id: str | None = None) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.id = id
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.id:
            where.append(f"id {self.id!r}")
        if self.field:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class NetworkUnavailableError(CareroundsError, ConnectionError):
    """An online-only action (e.g. an OSM download) was asked for with no network."""


class SolverError(CareroundsError, RuntimeError):
    """The routing solver failed in a way that is not the input's fault."""


class MissingExtraError(CareroundsError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""
