"""The project's one CSV reader, :func:`read_table`, and its checks of every field.

The day's files (:mod:`carerounds.scheduler.inputs`) and the call-monitoring file
(:func:`carerounds.scheduler.actuals.read_calls`) all go through it, so every file gets
the same protections. Every rejection is one :class:`~carerounds.errors.InputError`
naming the file, the row and the field.

Rows are counted as a spreadsheet shows them: the header is row 1 and each record is
one row, however many lines a quoted value spans; a blank line is a (skipped) row.

What the reader refuses, and why:

- a file that is not a regular file (a folder, a symbolic-link loop, a pipe) or is
  larger than :data:`MAX_FILE_BYTES`;
- text that is not UTF-8 (UTF-16 is named as such), and NUL characters anywhere: they
  are never part of care data and mean a corrupt or binary file;
- a quote that is never closed. The rule: a field that opens with ``"`` runs to the
  next lone ``"``; when there is none before the end of the file the file is rejected
  at the row where the quote opened (the quote would otherwise swallow every later
  row). A quoted value may span lines only in the free-text columns
  (:data:`MULTILINE_COLUMNS`), and a line inside it that has as many commas as a whole
  record is taken for a swallowed row (an unclosed quote that happens to meet a stray
  quote later), so legitimate multi-line notes and addresses are still read;
- text after a closing quote (``"abc"def``), which spreadsheets never write;
- a row with more or fewer fields than the header, a header naming a column twice;
- a field longer than :data:`MAX_FIELD_CHARS` (ids :data:`MAX_ID_CHARS`, numbers,
  times and choices :data:`MAX_VALUE_CHARS`, short text :data:`TEXT_LIMITS`);
- numbers that are not plain decimals (``4_5``, ``1e2``, ``+3``, ``inf``, non-ASCII
  digits): Python's own ``int`` and ``float`` accept all of these.

Messages never repeat the text of a personal-data column (names, addresses, postcodes,
notes, phone numbers). A value is echoed only when it looks like an id, number, time or
choice (see :func:`shown`), because a misaligned row can put a name in a numeric column.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .model import GENDERS, SourceFile
from .units import parse_hhmm

#: Generous bounds of Great Britain and Northern Ireland with their islands, degrees.
UK_LAT = (49.8, 60.95)
UK_LON = (-8.7, 1.8)

#: Largest file read, bytes. A county day is well under 1 MiB; the bound keeps a wrong
#: file (a database dump, a video) from being read into memory.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Longest value of any field, characters (access notes are the longest real text).
MAX_FIELD_CHARS = 10_000
#: Longest id (visit, client, worker, provider).
MAX_ID_CHARS = 64
#: Longest number, time or choice (``female``, ``critical``); longer is not one.
MAX_VALUE_CHARS = 40
#: Tighter limits for the short text columns (characters); they appear on run sheets,
#: in report tables and (areas) in file names.
TEXT_LIMITS: dict[str, int] = {"name": 200, "address": 500, "postcode": 200, "area": 200,
                               "service": 200, "skills": 1_000, "preferred_workers": 2_000,
                               "excluded_workers": 2_000, "tasks": 2_000}
#: The only columns whose values may span lines (quoted line breaks).
MULTILINE_COLUMNS = frozenset({"address", "notes", "tasks"})
#: Accepted spellings of each gender (case-insensitive), as rostering exports write them.
GENDER_SPELLINGS: dict[str, str] = {
    "female": "female", "f": "female", "woman": "female",
    "male": "male", "m": "male", "man": "male",
    "other": "other", "o": "other", "x": "other", "non-binary": "other", "nonbinary": "other",
}

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_WHOLE = re.compile(r"-?[0-9]+")
_HHMM = re.compile(r"[0-9]{1,2}:[0-9]{2}")
_UNQUOTED = re.compile(r"[^,\r\n]*")
# echo policy: short tokens of id, number, time and choice characters only ...
_ECHO = re.compile(r"[A-Za-z0-9_.:+\-/]{1,40}")
# ... that are neither a postcode written without its space nor a phone number
_POSTCODE = re.compile(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?[0-9][A-Za-z]{2}")
_PHONE = re.compile(r"[0-9]{9,}")
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def shown(value: str, *, quote: bool = True) -> str:
    """A value as an error message may show it: ``'V3'``, or ``the value`` when it might be personal.

    Only short tokens made of letters, digits and ``_ . : + - /`` are shown (ids,
    numbers, times, choices), and not even those when they look like a postcode or a
    phone number: a misaligned row can put a name, an address or a postcode in any
    column, and messages are logged.

    Parameters
    ----------
    value : str
        The value as read (stripped).
    quote : bool, default True
        Show it as ``'V3'`` (text) rather than ``48.85`` (a number).
    """
    if _ECHO.fullmatch(value) and not _POSTCODE.fullmatch(value) and not _PHONE.search(value):
        return repr(value) if quote else value
    return "the value"


def _same_spelling(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _shown_header(cells: list[str]) -> str:
    safe = [c for c in cells if c and shown(c) != "the value"]
    others = len(cells) - len(safe)
    return ", ".join(safe) + (f" and {others} other column(s) not shown" if others else "")


class CsvRow:
    """One record of a CSV file, with readers that raise InputError naming file, row and field.

    Parameters
    ----------
    file : str
        The file's name (no directory).
    line : int
        The row number: the header is row 1 and each record one row.
    values : dict of str to str
        Field values by column name, as read.
    id_field : str
        The column holding the record's id, named in every error when it is valid.
    """

    def __init__(self, file: str, line: int, values: dict[str, str], id_field: str) -> None:
        self.file = file
        self.line = line
        self.values = values
        ident = (values.get(id_field) or "").strip()
        # only a valid, showable id goes into messages: the id column may hold a name
        self.id = (ident if len(ident) <= MAX_ID_CHARS and _ID.fullmatch(ident)
                   and shown(ident) != "the value" else None)

    def error(self, field: str | None, message: str) -> InputError:
        """An InputError naming this row's file, row, id and ``field``."""
        return InputError(message, file=self.file, row=self.line, field=field, id=self.id)

    def text(self, field: str, *, required: bool = True) -> str:
        """A text field, stripped; blank is an error when ``required``.

        Its length is bounded by :data:`TEXT_LIMITS` (else :data:`MAX_FIELD_CHARS`), and
        only :data:`MULTILINE_COLUMNS` may hold line breaks.
        """
        value = (self.values.get(field) or "").strip()
        if required and not value:
            raise self.error(field, "is empty; a value is required")
        limit = TEXT_LIMITS.get(field, MAX_FIELD_CHARS)
        if len(value) > limit:
            raise self.error(field, f"is {len(value):,} characters long; at most {limit:,} "
                                    "are allowed")
        if ("\n" in value or "\r" in value) and field not in MULTILINE_COLUMNS:
            raise self.error(field, "contains a line break; only "
                                    f"{', '.join(sorted(MULTILINE_COLUMNS))} may span lines "
                                    "(if a quote opened in this row is never closed, close it)")
        return value

    def token(self, field: str, *, required: bool = True, limit: int = MAX_VALUE_CHARS,
              what: str = "a value") -> str:
        """A short single-line value (a number, time or code) of at most ``limit`` characters.

        ``what`` names the kind of value in the error (``an id``, ``a time``).
        """
        value = (self.values.get(field) or "").strip()
        if len(value) > limit:
            raise self.error(field, f"is {len(value):,} characters long; {what} is at most "
                                    f"{limit} characters")
        return self.text(field, required=required)

    def ident(self, field: str, *, required: bool = True) -> str:
        """An id: letters, digits and ``_ . - /``, starting with a letter or digit."""
        value = self.token(field, required=required, limit=MAX_ID_CHARS, what="an id")
        if value and not _ID.fullmatch(value):
            raise self.error(field, f"{shown(value)} is not a valid id (letters, digits, "
                                    "_ . - / only)")
        return value

    def choice(self, field: str, options: tuple[str, ...], *, required: bool = True,
               spellings: dict[str, str] | None = None, hint: str = "") -> str | None:
        """One of ``options``, case-insensitive (``-`` and spaces read as ``_``).

        ``spellings`` maps other accepted spellings to an option; ``hint`` is added to
        the error.
        """
        raw = self.token(field, required=required, limit=MAX_VALUE_CHARS, what="a choice")
        if not raw:
            return None
        value = _same_spelling(raw)
        if spellings is not None:
            value = spellings.get(raw.lower(), spellings.get(value, value))
        if value not in options:
            raise self.error(field, f"{shown(raw)} is not one of {', '.join(options)}{hint}")
        return value

    def gender(self, field: str, *, required: bool = True) -> str | None:
        """A gender: ``female``, ``male`` or ``other``, with the spellings of :data:`GENDER_SPELLINGS`."""
        return self.choice(field, GENDERS, required=required, spellings=GENDER_SPELLINGS,
                           hint=" (F, M, woman, man and X are accepted too, in any case"
                                + ("; leave it blank for no preference)" if not required else ")"))

    def _numeral(self, field: str, pattern: re.Pattern[str], what: str,
                 required: bool) -> str:
        value = self.token(field, required=required, limit=MAX_VALUE_CHARS, what="a number")
        if value and not pattern.fullmatch(value):
            raise self.error(field, f"{shown(value)} is not {what}; write it with digits 0-9 "
                                    "only (no exponent, + sign, spaces or separators)")
        return value

    def number(self, field: str, *, required: bool = True) -> float | None:
        """A plain decimal number such as ``55.8950`` or ``-3.07``."""
        value = self._numeral(field, _DECIMAL, "a number", required)
        return float(value) if value else None

    def whole(self, field: str, *, low: int, high: int, required: bool = True) -> int | None:
        """A whole number in ``low..high`` written with digits 0-9."""
        value = self._numeral(field, _WHOLE, "a whole number", required)
        if not value:
            return None
        number = int(value)
        if not low <= number <= high:
            raise self.error(field, f"{shown(value, quote=False)} is outside {low}..{high}")
        return number

    def time_s(self, field: str) -> int:
        """A clock time ``HH:MM`` (24-hour) as seconds since midnight."""
        value = self.token(field, required=True, limit=MAX_VALUE_CHARS, what="a time")
        if not _HHMM.fullmatch(value):
            raise self.error(field, f"{shown(value)} is not a time; use HH:MM (24-hour), "
                                    "e.g. 07:30")
        try:
            return parse_hhmm(value)
        except ValueError:
            raise self.error(field, f"{shown(value)} is not a valid time of day (00:00 to "
                                    "24:00)") from None

    def coordinate(self, lat_field: str, lon_field: str) -> tuple[float, float]:
        """WGS84 latitude and longitude, inside the UK."""
        lat, lon = self.number(lat_field), self.number(lon_field)
        assert lat is not None and lon is not None  # required fields
        if not UK_LAT[0] <= lat <= UK_LAT[1]:
            raise self.error(lat_field, f"latitude {self.shown_value(lat_field)} is outside the UK "
                                        f"({UK_LAT[0]} to {UK_LAT[1]}); check the column order "
                                        "(lat, lon)")
        if not UK_LON[0] <= lon <= UK_LON[1]:
            raise self.error(lon_field, f"longitude {self.shown_value(lon_field)} is outside the UK "
                                        f"({UK_LON[0]} to {UK_LON[1]}); check the column order "
                                        "(lat, lon)")
        return lat, lon

    def shown_value(self, field: str) -> str:
        """The field's value as a message may show it (see :func:`shown`), unquoted."""
        return shown((self.values.get(field) or "").strip(), quote=False)

    def items(self, field: str) -> tuple[str, ...]:
        """A ``;``-separated list, items stripped, blanks dropped."""
        raw = self.text(field, required=False)
        return tuple(part.strip() for part in raw.split(";") if part.strip())

    def ids(self, field: str) -> tuple[str, ...]:
        """A ``;``-separated list of ids."""
        values = self.items(field)
        for value in values:
            if len(value) > MAX_ID_CHARS or not _ID.fullmatch(value):
                raise self.error(field, f"{shown(value)} is not a valid id (letters, digits, "
                                        "_ . - / only)")
        return values


# kept for code that knew the reader's row helper by its old name
_Row = CsvRow


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as read by :func:`read_table`: its record, header and data rows."""

    source: SourceFile
    header: tuple[str, ...]
    rows: tuple[CsvRow, ...]


class _Malformed(Exception):
    """A quoting problem found while splitting records: the row, its fields so far."""

    def __init__(self, row: int, fields: list[str], message: str) -> None:
        super().__init__(message)
        self.row, self.fields, self.message = row, fields, message


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _split_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Split CSV text (RFC 4180, comma-separated) into ``(row, fields)``.

    Rows count records from 1. Unlike :mod:`csv`, an opening quote with no closing
    quote, and text after a closing quote, are errors rather than silently read, and
    there is no process-wide field size limit to trip over.
    """
    pos, end, row, line = 0, len(text), 0, 1
    while pos < end:
        row += 1
        fields: list[str] = []
        while True:
            if pos < end and text[pos] == '"':
                opened, parts, pos = line, [], pos + 1
                while True:
                    close = text.find('"', pos)
                    if close < 0:
                        rest = text[pos:]
                        later = _line_breaks(rest) - (1 if rest.endswith(("\n", "\r")) else 0)
                        raise _Malformed(row, fields, (
                            f"a quote opened on line {opened} is never closed, so it would "
                            f"swallow the rest of the file ({later} more line(s)); close the "
                            "quote or remove it"))
                    parts.append(text[pos:close])
                    if text.startswith('""', close):
                        parts.append('"')
                        pos = close + 2
                        continue
                    pos = close + 1
                    break
                value = "".join(parts)
                line += _line_breaks(value)
                if pos < end and text[pos] not in ",\r\n":
                    raise _Malformed(row, fields, (
                        "has text after the closing quote of a quoted value; quote the whole "
                        'value and double each quote inside it ("")'))
            else:
                match = _UNQUOTED.match(text, pos)
                assert match is not None  # the pattern matches the empty string
                value, pos = match.group(), match.end()
            fields.append(value)
            if pos < end and text[pos] == ",":
                pos += 1
                continue
            pos += 2 if text.startswith("\r\n", pos) else 1
            line += 1
            break
        yield row, fields


def read_file_bytes(path: str | Path, *, not_found: str = "file not found") -> bytes:
    """The bytes of an input file, or one InputError naming it (never a traceback).

    Refuses a missing file (``not_found`` is the message), a broken or looping
    symbolic link, a folder, a device or pipe (reading one would block), and a file
    over :data:`MAX_FILE_BYTES`.
    """
    path = Path(path)
    name = path.name
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError("is a symbolic link to a file that does not exist",
                             file=name) from None
        raise InputError(not_found, file=name) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("is a symbolic link loop (links that point at each other); "
                             "replace it with the file", file=name) from None
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=name) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, not a file; it must be a CSV file", file=name)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a device, pipe or socket); it must be a CSV "
                         "file", file=name)
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(f"is {info.st_size:,} bytes; an input file is at most "
                         f"{MAX_FILE_BYTES // 2**20} MiB", file=name)
    try:
        with path.open("rb") as handle:
            # read one byte past the limit: the file may have grown since stat
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=name) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"is over {MAX_FILE_BYTES // 2**20} MiB; an input file is at most "
                         "that", file=name)
    return data


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise InputError(f"is {encoding} text; save it as CSV UTF-8", file=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8",
                         file=name) from None


def _check_header(header: list[str], name: str, required: tuple[str, ...],
                  optional: tuple[str, ...]) -> None:
    known = required + optional
    for column, cell in enumerate(header, start=1):
        if "\x00" in cell:
            raise InputError("contains NUL characters; the file may be UTF-16 or not text at "
                             "all: save it as CSV UTF-8", file=name, row=1)
        if len(cell) > MAX_FIELD_CHARS:
            raise InputError(f"header column {column} is {len(cell):,} characters long",
                             file=name, row=1)
    if required and not set(required) & set(header):
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            hint = " (it looks separated by semicolons or tabs: save it as CSV, comma-separated)"
        raise InputError(f"is not a header row: it has none of the columns "
                         f"{', '.join(required)}{hint}", file=name, row=1)
    seen: dict[str, int] = {}
    for column, cell in enumerate(header, start=1):
        if not cell:
            continue
        if cell in seen:
            label = shown(cell)
            what = f"column {label}" if label != "the value" else "a column name"
            raise InputError(f"{what} appears twice in the header (columns {seen[cell]} and "
                             f"{column}); keep one", file=name, row=1,
                             field=cell if label != "the value" else None)
        seen[cell] = column
    missing = [c for c in required if c not in seen]
    if missing:
        near = {_same_spelling(c): n for n, c in enumerate(header, start=1) if c not in known}
        hints = [f"column {near[m]} should be named {m}" for m in missing if m in near]
        raise InputError(f"missing column(s) {', '.join(missing)}; the header has "
                         f"{_shown_header(header)}" + (f" ({'; '.join(hints)})" if hints else ""),
                         file=name, row=1, field=missing[0])


def _check_field(row: CsvRow, column: str, value: str, width: int) -> None:
    # an unknown column's name is only shown when it looks like a column name
    field = column if column and shown(column) != "the value" else None
    if "\x00" in value:
        raise row.error(field, "contains a NUL character; the file is corrupt or not text")
    if len(value) > MAX_FIELD_CHARS:
        raise row.error(field, f"is {len(value):,} characters long; a field is at most "
                               f"{MAX_FIELD_CHARS:,}")
    if "\n" in value or "\r" in value:
        swallowed = [part for part in re.split(r"\r\n|\r|\n", value)[1:]
                     if part.count(",") >= max(2, width - 1)]
        if swallowed:
            raise row.error(field, f"a quoted value runs over {len(swallowed)} line(s) that look "
                                   "like whole rows; a quote opened in this field is probably "
                                   "never closed: close it or remove it")


def read_table(path: str | Path, *, required: tuple[str, ...], id_field: str | None = None,
               optional: tuple[str, ...] = (), not_found: str | None = None) -> CsvTable:
    """Read one CSV file (UTF-8, comma-separated, header row) with every protection above.

    Parameters
    ----------
    path : str or Path
        The file.
    required : tuple of str
        Columns the header must have.
    id_field : str, optional
        The column holding each record's id, named in errors; default the first required.
    optional : tuple of str
        Columns read when present.
    not_found : str, optional
        The message when the file does not exist.

    Returns
    -------
    CsvTable
        The file's record (name, SHA-256, data rows), header and rows; blank rows are
        skipped but counted, so row numbers match the file.

    Raises
    ------
    InputError
        Naming the file, row and field of the first problem.
    """
    path = Path(path)
    name = path.name
    data = read_file_bytes(path, not_found=not_found or "file not found")
    text = _decode(data, name)
    records: list[tuple[int, list[str]]] = []
    problem = None
    try:
        for record in _split_records(text):
            records.append(record)
    except _Malformed as exc:
        problem = exc
    if problem is not None and problem.row == 1:
        raise InputError(problem.message, file=name, row=1)
    if not records or not any(cell.strip() for cell in records[0][1]):
        if problem is None and not any(any(f.strip() for f in r) for _, r in records):
            raise InputError("is empty; it needs a header row: " + ", ".join(required),
                             file=name, row=1)
        raise InputError("row 1 is blank; the first row must be the header: "
                         + ", ".join(required), file=name, row=1)
    # a second byte-order mark (files joined together) is not part of the first name
    header = [cell.strip().lstrip("\ufeff").strip() for cell in records[0][1]]
    _check_header(header, name, required, optional)
    if problem is not None:
        # the rows before the bad one are whole, and the header names the field
        index = len(problem.fields)
        column = header[index] if index < len(header) else None
        partial = CsvRow(name, problem.row, dict(zip(header, problem.fields)),
                         id_field or (required[0] if required else ""))
        raise partial.error(column or None, problem.message)
    rows = []
    for number, fields in records[1:]:
        if not any(f.strip() for f in fields):
            continue
        row = CsvRow(name, number, {c: v for c, v in zip(header, fields) if c},
                     id_field or (required[0] if required else ""))
        for index, value in enumerate(fields):
            _check_field(row, header[index] if index < len(header) else "", value, len(header))
        if len(fields) != len(header):
            more = len(fields) > len(header)
            # no id: when the fields do not line up, neither may the id column
            raise InputError(f"has {'more' if more else 'fewer'} fields than the header "
                             f"({len(fields)}; the header has {len(header)}); "
                             + ("quote values that contain commas" if more else
                                "every row needs a field per column, blank for no value"),
                             file=name, row=number)
        rows.append(row)
    source = SourceFile(name=name, sha256=hashlib.sha256(data).hexdigest(), rows=len(rows))
    return CsvTable(source, tuple(header), tuple(rows))
