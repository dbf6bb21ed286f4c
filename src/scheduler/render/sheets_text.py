"""The words and numbers of a run sheet, shared by the PDF and the HTML.

Every function here returns plain text built from numbers (times, durations, miles) and
fixed words only: no input text goes through them, so each printer adds its own markup
and escapes input text itself.
"""

from __future__ import annotations

from ..units import format_hhmm, format_miles, whole_minutes
from .sheets_content import IdleWorker, OverviewRow, SheetShift, SheetVisit, WorkerSheet

#: Two different addresses this close (metres, straight line) are "next door / same street".
NEXT_DOOR_M = 200

NOT_NEEDED = "no visits: not needed"
CONFIDENTIAL = "Confidential: personal data"

COLUMNS = ("#", "Time", "Client and address", "Access and notes", "Tasks", "Double-up",
           "Travel")
#: Column widths in millimetres (180 mm of A4 between the margins).
COLUMN_MM = (11, 28, 42, 32, 29, 20, 18)


def minutes_text(seconds: int) -> str:
    """``1 h 05 min`` / ``25 min``; whole minutes, halves up (:func:`~..units.whole_minutes`)."""
    minutes = whole_minutes(seconds)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min"


def miles_text(metres: int) -> str:
    """Metres as miles with one decimal, ``3.2 mi``."""
    return format_miles(metres)


def mode_text(mode: str) -> str:
    """``drives`` / ``walks`` for a travel mode."""
    return {"drive": "drives", "walk": "walks"}.get(mode, mode)


def hm_range(a: int, b: int) -> str:
    """Two times of day as ``07:00–14:00``."""
    return f"{format_hhmm(a)}–{format_hhmm(b)}"


def shift_title(sh: SheetShift) -> str:
    """``Shift 2: 16:30–22:30``, numbered as the rota numbers the worker's shifts."""
    return f"Shift {sh.shift}: {hm_range(sh.shift_start_s, sh.shift_end_s)}"


def shift_plan(sh: SheetShift, *, back: bool = True) -> str:
    """When to leave home and when back, or that the shift is not needed.

    ``leave home by HH:MM`` is the latest departure that reaches the first visit on time
    (see :attr:`SheetVisit.leave_by_s`).
    """
    if sh.leave_home_by_s is None:
        return NOT_NEEDED
    text = f"leave home by {format_hhmm(sh.leave_home_by_s)}"
    return text + (f", back {format_hhmm(sh.return_s)}" if back else "")


def zero_leg(travel_s: int, straight_m: int, same_place: bool) -> tuple[str, str] | None:
    """Wording for a leg planned as 0 seconds, or ``None`` for an ordinary leg.

    Two homes can snap to one road junction, so a leg between different addresses can be
    planned as 0 min and 0.0 mi. Such a leg reads ``next door / same street`` when the
    addresses are within :data:`NEXT_DOOR_M` in a straight line, else ``close by`` and
    the straight-line miles; a leg within one address reads ``same address``.

    Returns
    -------
    (str, str) or None
        The first and second line of the leg's text.
    """
    if travel_s > 0:
        return None
    if same_place:
        return "same address", ""
    if straight_m < NEXT_DOOR_M:
        return "next door / same street", ""
    return "close by", f"{miles_text(straight_m)} as the crow flies"


def leg_lines(v: SheetVisit) -> tuple[str, str]:
    """The travel to a visit as two lines: time, then distance (see :func:`zero_leg`)."""
    return (zero_leg(v.travel_s, v.straight_m, v.same_place)
            or (minutes_text(v.travel_s), miles_text(v.distance_m)))


def back_home_text(sh: SheetShift) -> str:
    """``Back home 13:05 · 12 min, 3.4 mi from the last visit`` (or a zero-leg wording)."""
    zero = zero_leg(sh.return_travel_s, sh.return_straight_m, sh.return_same_place)
    if zero is None:
        leg = f"{minutes_text(sh.return_travel_s)}, {miles_text(sh.return_distance_m)}"
    else:
        leg = ", ".join(part for part in zero if part)
    return f"Back home {format_hhmm(sh.return_s)} · {leg} from the last visit"


def time_notes(v: SheetVisit) -> list[str]:
    """The small print under a visit's times: window, leave by, arrival and wait.

    From home: ``leave home by HH:MM``. Between visits: ``arrive HH:MM, wait N min``
    when the worker waits a minute or more, and ``leave the last visit by HH:MM`` when
    the wait is long (see :attr:`SheetVisit.shows_leave_by`).
    """
    notes = [f"window {hm_range(v.window_start_s, v.window_end_s)}"]
    if v.from_home:
        notes.append(f"leave home by {format_hhmm(v.leave_by_s)}")
        return notes
    if v.wait_s >= 60:
        notes.append(f"arrive {format_hhmm(v.arrival_s)}, wait {minutes_text(v.wait_s)}")
    if v.shows_leave_by:
        notes.append(f"leave the last visit by {format_hhmm(v.leave_by_s)}")
    return notes


def map_caption(sheet: WorkerSheet) -> str:
    """What the route sketch shows, naming the shifts by their rota numbers."""
    parts = ["H home, numbers: visits in order"]
    numbers = [p.shift for p in sheet.paths]
    if len(numbers) > 1:
        parts.append(f"solid line shift {numbers[0]}, dashed shift {numbers[1]}"
                     + (", dotted later shifts" if len(numbers) > 2 else ""))
    parts.append("lines follow the roads" if sheet.on_roads else
                 "straight lines between stops, not the road taken")
    return "; ".join(parts) + "."


def idle_text(date_text: str) -> str:
    """The message of a worker with no visits at all."""
    return (f"No visits for you on {date_text}: you are not needed on your rostered "
            "shifts below. Please do not travel to any client; check with your coordinator "
            "if you expected work.")


#: The words marking a time-critical visit (time-critical medication) on a sheet.
TIME_CRITICAL = "TIME-CRITICAL"

#: The columns of the coordinator's overview, one row per rostered shift.
OVERVIEW_COLUMNS = ("Worker", "Provider", "Phone", "Shift", "Leave home by", "First visit",
                    "Last visit ends", "Back home", "Visits", "Carer-hours")
#: Their widths in millimetres (180 mm of A4 between the margins).
OVERVIEW_MM = (28, 26, 22, 20, 13, 24, 12, 12, 11, 12)


def time_critical_text(v: SheetVisit) -> str:
    """``TIME-CRITICAL: start 08:00–08:30`` for a time-critical visit, else ``""``."""
    if not v.time_critical:
        return ""
    return f"{TIME_CRITICAL}: start {hm_range(v.window_start_s, v.window_end_s)}"


#: What a worker ticks at every stop on the PDF (each listed task gets a box too).
TICKS = ("arrived", "done")


def office_text(sheet: WorkerSheet | IdleWorker) -> str:
    """``Office 0131 496 0000 · On call 07700 900123``; ``""`` when the provider gave neither.

    Phone numbers are checked on reading (digits, spaces, brackets, hyphens, +), so the
    text needs no escaping.
    """
    parts = [f"{label} {number}" for label, number in (("Office", sheet.office_phone),
                                                       ("On call", sheet.on_call_phone))
             if number]
    return " · ".join(parts)


def overview_cells(row: OverviewRow) -> tuple[str, ...]:
    """The fixed-text cells of an overview row, from "Shift" on (names are escaped by the printer).

    A shift with no visits reads ``no visits`` and dashes.
    """
    shift = f"{row.shift}: {hm_range(row.shift_start_s, row.shift_end_s)}"
    if not row.visits:
        return (shift, "–", "no visits", "–", "–", "0", "0.0")

    def at(seconds: int | None) -> str:
        return "–" if seconds is None else format_hhmm(seconds)

    return (shift, at(row.leave_home_by_s), at(row.first_start_s), at(row.last_end_s),
            at(row.back_home_s), str(row.visits), f"{row.carer_s / 3600:.1f}")
