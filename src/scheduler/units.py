"""Clock times, durations and distances: parsed and formatted here, once.

Inside the package every time is an integer number of seconds since midnight of the
plan date (``*_s``) and every distance integer metres (``*_m``); text such as ``07:30``,
``45 min`` or ``3.2 mi`` exists only at the edges (CSV files, pages, the terminal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["METRES_PER_MILE", "WEEKDAYS", "format_carer_hours", "format_days", "format_hhmm",
           "format_hhmmss", "format_miles", "format_minutes", "miles", "parse_days",
           "parse_hhmm", "parse_hhmmss", "total_minutes", "whole_minutes"]

#: Metres in a statute mile (exact, by definition).
METRES_PER_MILE = 1609.344

#: Weekday names as written in CSV files, Monday first (``date.weekday()`` indexes them).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_WORDS = {"daily": frozenset(range(7)), "weekdays": frozenset(range(5)),
              "weekends": frozenset((5, 6))}

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_HHMMSS = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def format_hhmm(seconds: int) -> str:
    """Seconds since midnight as ``HH:MM`` (seconds dropped; ``24:00`` for midnight at the end)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def format_hhmmss(seconds: int) -> str:
    """Seconds since midnight as ``HH:MM:SS``."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def parse_hhmm(text: str) -> int:
    """``HH:MM`` (24-hour, ``00:00`` to ``24:00``) as seconds since midnight.

    Raises
    ------
    ValueError
        For anything else; the caller turns it into an error naming file, row and field.
    """
    match = _HHMM.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a time; use HH:MM (24-hour), e.g. 07:30")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{text!r} is not a valid time of day (00:00 to 24:00)")
    return hours * 3600 + minutes * 60


def parse_hhmmss(text: str) -> int:
    """``HH:MM`` or ``HH:MM:SS`` as seconds since midnight (as written in ``rota.json``).

    Raises
    ------
    ValueError
        When the text is not such a time.
    """
    match = _HHMMSS.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a time HH:MM:SS")
    hours, minutes, secs = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if minutes > 59 or secs > 59 or hours > 24 or (hours == 24 and (minutes or secs)):
        raise ValueError(f"{text!r} is not a valid time of day (00:00:00 to 24:00:00)")
    return hours * 3600 + minutes * 60 + secs


def format_minutes(seconds: int) -> str:
    """A duration as whole minutes: ``"45 min"`` (rounded down, as run sheets show it)."""
    return f"{seconds // 60} min"


def whole_minutes(seconds: int) -> int:
    """Seconds as whole minutes, halves rounded up (90 s is 2 min, 89 s is 1 min).

    The one rounding of every minute figure shown in more than one place (a CSV, the
    terminal, report.html, run sheets), so they all show the same number.
    """
    return (int(seconds) + 30) // 60


def total_minutes(parts_s: Iterable[int]) -> int:
    """A total as the sum of its parts as shown: each rounded by :func:`whole_minutes` first.

    A total shown beside its parts then always equals their sum.
    """
    return sum(whole_minutes(s) for s in parts_s)


def format_carer_hours(carer_s: int) -> str:
    """Carer time (a double-up counts each carer) as ``1.0 carer-hours``, one decimal."""
    return f"{carer_s / 3600:.1f} carer-hours"


def miles(metres: float) -> float:
    """Metres in miles."""
    return metres / METRES_PER_MILE


def format_miles(metres: float, *, digits: int = 1) -> str:
    """Metres as miles with ``digits`` decimals: ``"3.2 mi"``."""
    return f"{miles(metres):.{digits}f} mi"


def parse_days(text: str) -> frozenset[int]:
    """Days of the week (``Mon;Wed;Fri``, ``daily``, ``weekdays``, ``weekends``) as weekday numbers.

    Day names are the first three letters or the full English name, any case; 0 is Monday.

    Raises
    ------
    ValueError
        For an unknown day or an empty list; the caller names file, row and field.
    """
    words = [part.strip().lower() for part in str(text).replace(",", ";").split(";")]
    words = [w for w in words if w]
    if not words:
        raise ValueError("no days given; write e.g. Mon;Wed;Fri or daily")
    days: set[int] = set()
    for word in words:
        if word in _DAY_WORDS:
            days |= _DAY_WORDS[word]
            continue
        short = word[:3]
        names = [d.lower() for d in WEEKDAYS]
        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        if short not in names or (len(word) > 3 and word != full[names.index(short)]):
            raise ValueError(f"{word!r} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun "
                             "(separated by ;), daily, weekdays or weekends")
        days.add(names.index(short))
    return frozenset(days)


def format_days(days: frozenset[int] | None) -> str:
    """Weekday numbers as ``Mon;Wed;Fri`` (``daily`` for all seven or ``None``)."""
    if days is None or len(days) == 7:
        return "daily"
    return ";".join(WEEKDAYS[d] for d in sorted(days))
