"""Property-based tests of the CSV reader and the plan: hostile inputs never crash carerounds.

Each example mutates the tiny valid day (cells, headers, rows, quoting, encodings, sizes),
writes it and runs ``carerounds plan`` in-process. The properties:

- the exit code is 0 or 2 and no exception escapes;
- with 0, every input visit is in rota.json, scheduled, unplaced with a reason, or
  merged, and ``carerounds check`` accepts the rota;
- a plausible day (generated valid rows with odd ids, texts, windows, shifts and
  spellings) always plans with 0;
- ``read_day`` returns a day or raises one InputError naming a file, and never repeats
  a personal value of the day in its message.

Profiles: the default (``make test``) runs a few dozen plans in well under a minute;
``HYPOTHESIS_PROFILE=long`` runs 1,000 plans (and more parsing examples).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carerounds.errors import InputError
from carerounds.scheduler.cli import main
from carerounds.scheduler.inputs import read_day

from ..conftest import PLAN_DATE, TINY_DAY

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much,
                                      HealthCheck.function_scoped_fixture])
# map.png is drawn with DejaVu Sans, which lacks some of the characters generated here
pytestmark = pytest.mark.filterwarnings("ignore:Glyph .* missing from font")

settings.register_profile("inputs-default", max_examples=50, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE") or "inputs-default")
#: Parsing alone is fast: this many times more examples than plans.
PARSE_FACTOR = 6

Tables = dict[str, list[list[str]]]

PERSONAL_COLUMNS = ("name", "address", "postcode", "notes")
#: Realistic personal values that a mutation may put into any cell.
PERSONAL_SAMPLES = ("Ealasaid O'Brien", "Seren Ap Rhys-Jones", "14 Eskbank Road, Dalkeith",
                    "EH22 3BU", "07700 900123", "Ring twice; key safe 4821", "Zo\u00eb M\u00fcller",
                    "\u0645\u0631\u064a\u0645 \u062d\u0633\u0646")
PERSONAL = tuple(sorted({row[f] for rows in TINY_DAY.values() for row in rows
                         for f in PERSONAL_COLUMNS if row.get(f)} | set(PERSONAL_SAMPLES)))

PLAUSIBLE = (
    "", " ", "0", "1", "2", "3", "-1", "15", "30", "45", "1440", "1441", "00:00", "07:00",
    "07:30", "12:00", "23:59", "24:00", "24:01", "7:30", "7.30", "55.9", "-3.1", "60.95",
    "49.8", "-8.7", "1.8", "V1", "V2", "V1/2", "V1#2", "C1", "C2", "C9", "W1", "W2", "W3", "P1",
    "P2", "P9", "female", "male", "other", "F", "m", "Woman", "X", "drive", "walk", "critical",
    "high", "normal", "in_house", "independent", "medication", "hoist", "dementia", "peg",
    "medication;hoist", "W1;W2", "W2;W404", "4_5", "1e2", "+3", "inf", "nan", "NaN",
    "\u0663\u0660", "\uff11", "4 5", '"', '""', 'a"b', "\n", "\r\n", "x\ny", ",", ";", "\x00",
    "\ufeff", "\u200b", "\u2028", "\x1b[31m", "{{7*191}}", "..", "/", "C:\\x",
)
CHARS = st.characters(blacklist_categories=("Cs",))
VALUES = st.one_of(
    st.sampled_from(PLAUSIBLE), st.sampled_from(PERSONAL_SAMPLES), st.text(CHARS, max_size=24),
    st.integers(-10**6, 10**6).map(str), st.floats().map(repr),
    st.sampled_from((64, 65, 200, 201, 10_000, 10_001, 131_073)).map(lambda n: "x" * n))
FILES = tuple(TINY_DAY)
INDEX = st.integers(0, 10**6)  # taken modulo the size of what it indexes

MUTATIONS = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(FILES), INDEX, INDEX, VALUES),
    st.tuples(st.just("cell"), st.sampled_from(FILES), INDEX, INDEX, VALUES),
    st.tuples(st.just("cell"), st.sampled_from(FILES), INDEX, INDEX, VALUES),
    st.tuples(st.sampled_from(("drop_column", "duplicate_column", "upper_column")),
              st.sampled_from(FILES), INDEX),
    st.tuples(st.just("rename_column"), st.sampled_from(FILES), INDEX, VALUES),
    st.tuples(st.just("reorder_columns"), st.sampled_from(FILES), INDEX),
    st.tuples(st.sampled_from(("drop_row", "duplicate_row", "extra_field", "missing_field",
                               "swap_rows", "shift_row")), st.sampled_from(FILES), INDEX, INDEX),
    st.tuples(st.sampled_from(("quote", "newline", "comma", "delete_char", "truncate")),
              st.sampled_from(FILES), INDEX),
    st.tuples(st.sampled_from(("latin-1", "utf-16", "utf-16-le", "bom", "delete", "empty",
                               "header_only", "folder", "crlf")), st.sampled_from(FILES)),
    st.tuples(st.just("history"), st.sampled_from(("C1,W1,3", "C1,W9,3", "C2,W2,x", "C3,W3,2"))),
)


def _tables() -> Tables:
    return {name: [list(rows[0])] + [list(r.values()) for r in rows]
            for name, rows in TINY_DAY.items()}


def _mutate_table(table: list[list[str]], op: tuple) -> None:
    kind = op[0]
    header, body = table[0], table[1:]
    width = max(len(header), 1)
    if kind == "cell" and body:
        row = body[op[2] % len(body)]
        if row:
            row[op[3] % len(row)] = op[4]
    elif kind == "drop_column" and header:
        col = op[2] % width
        for row in table:
            if col < len(row):
                del row[col]
    elif kind == "duplicate_column" and header:
        col = op[2] % width
        for row in table:
            if col < len(row):
                row.append(row[col])
    elif kind == "upper_column" and header:
        header[op[2] % width] = header[op[2] % width].upper()
    elif kind == "rename_column" and header:
        header[op[2] % width] = op[3]
    elif kind == "reorder_columns":
        order = list(range(width))
        random.Random(op[2]).shuffle(order)
        for i, row in enumerate(table):
            table[i] = [row[j] for j in order if j < len(row)]
    elif body:
        i, j = 1 + op[2] % len(body), 1 + op[3] % len(body)
        if kind == "drop_row":
            del table[i]
        elif kind == "duplicate_row":
            table.insert(j, list(table[i]))
        elif kind == "extra_field":
            table[i].append("extra")
        elif kind == "missing_field" and table[i]:
            table[i].pop()
        elif kind == "swap_rows":
            table[i], table[j] = table[j], table[i]
        elif kind == "shift_row" and table[i]:
            table[i] = table[i][-1:] + table[i][:-1]


def _serialise(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)  # "\r\n" lines: then a lone "\r" in a value is quoted
    return buffer.getvalue()


def _mutate_text(text: str, op: tuple) -> str:
    kind, at = op[0], op[2] % (len(text) + 1)
    if kind == "quote":
        return text[:at] + '"' + text[at:]
    if kind == "newline":
        return text[:at] + "\n" + text[at:]
    if kind == "comma":
        return text[:at] + "," + text[at:]
    if kind == "delete_char":
        return text[:at] + text[at + 1:]
    return text[:at]  # truncate


def write_mutated(folder: Path, mutations: list[tuple]) -> None:
    """Write the tiny day into ``folder`` with the mutations applied in order."""
    tables = _tables()
    history: list[str] = []
    for op in mutations:
        if op[0] == "history":
            history.append(op[1])
        elif op[1] in tables and len(op) > 2 and op[0] not in ("quote", "newline", "comma",
                                                               "delete_char", "truncate"):
            _mutate_table(tables[op[1]], op)
    texts = {name: _serialise(rows) for name, rows in tables.items()}
    if history:
        texts["history.csv"] = "client_id,worker_id,visits\n" + "\n".join(history) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes | None] = {}
    for op in mutations:
        if op[0] in ("quote", "newline", "comma", "delete_char", "truncate"):
            texts[op[1]] = _mutate_text(texts[op[1]], op)
    for name, text in texts.items():
        files[name] = text.encode("utf-8")
    for op in mutations:
        kind, name = op[0], op[1]
        if len(op) != 2 or kind == "history" or files.get(name) is None:
            continue
        text = texts[name]
        if kind in ("latin-1", "utf-16", "utf-16-le"):
            files[name] = text.encode(kind, errors="replace")
        elif kind == "bom":
            files[name] = b"\xef\xbb\xbf" + files[name]  # type: ignore[operator]
        elif kind == "crlf":
            files[name] = text.replace("\n", "\r\n").encode("utf-8")
        elif kind in ("delete", "folder"):
            files[name] = None
            if kind == "folder":
                (folder / name).mkdir()
        elif kind == "empty":
            files[name] = b""
        elif kind == "header_only":
            files[name] = (text.split("\n", 1)[0] + "\n").encode("utf-8")
    for name, data in files.items():
        if data is not None:
            (folder / name).write_bytes(data)


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    except BaseException:  # noqa: B036 - any escape (SystemExit too) is the failure we look for
        pytest.fail(f"carerounds {argv[0]} raised:\n{traceback.format_exc()}")
    return code, err.getvalue()


def _assert_accounted(folder: Path, out: Path) -> None:
    day = read_day(folder, date=PLAN_DATE)
    rota = json.loads((out / "rota.json").read_text(encoding="utf-8"))
    outcomes = {v["visit_id"]: v for v in rota["visits"]}
    for visit in day.visits:
        outcome = outcomes.get(visit.visit_id)
        assert outcome is not None, f"visit {visit.visit_id} is lost from rota.json"
        assert outcome["status"] in ("scheduled", "unplaced", "merged"), outcome
        if outcome["status"] == "unplaced":
            assert outcome["reason"], f"visit {visit.visit_id} is unplaced with no reason"
        if outcome["status"] == "scheduled":
            assert len(outcome["workers"]) == visit.carers, outcome
    assert set(outcomes) == {v.visit_id for v in day.visits}


@settings(PROFILE)
@given(mutations=st.lists(MUTATIONS, max_size=4))
def test_plan_of_a_mutated_day_exits_0_or_2_and_accounts_for_every_visit(mutations):
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        write_mutated(folder, mutations)
        code, err = _run(["plan", "--inputs", str(folder), "--out", str(out), "--date",
                          PLAN_DATE.isoformat(), "--time-limit", "1", "--solution-limit", "5",
                          "--quiet"])
        assert code in (0, 2), err
        assert "Traceback" not in err
        event(f"plan exit {code}")
        if code == 2:
            assert "error:" in err
            return
        _assert_accounted(folder, out)
        code, err = _run(["check", "--inputs", str(folder), "--rota", str(out / "rota.json"),
                          "--quiet"])
        assert code == 0, err


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,8}", fullmatch=True)
_TEXT = st.text(CHARS.filter(lambda c: c not in "\x00\r\n"), max_size=30).filter(str.strip)
_SKILLS = st.lists(st.sampled_from(("medication", "hoist", "dementia", "peg")), max_size=3,
                   unique=True).map(";".join)
_GENDERS = st.sampled_from(("female", "male", "other", "F", "m", "Woman", "MAN", "x"))
_WINDOW = st.tuples(st.integers(0, 1440), st.integers(0, 600)).map(
    lambda t: (_hhmm(t[0]), _hhmm(min(1440, t[0] + t[1]))))
_SHIFT = st.tuples(st.integers(0, 1439), st.integers(1, 900)).map(
    lambda t: (_hhmm(t[0]), _hhmm(min(1440, t[0] + t[1]))))


@st.composite
def plausible_days(draw) -> Tables:
    """A valid day unlike the tiny one: odd ids, texts, windows, shifts, spellings, sizes."""
    tables = _tables()
    workers = [tables["workers.csv"][0]]
    for n in range(draw(st.integers(0, 5))):
        start, end = draw(_SHIFT)
        workers.append([f"W{n}x", draw(st.sampled_from(("P1", "P2"))), draw(_TEXT),
                        draw(_GENDERS), f"{draw(st.floats(55.80, 55.95)):.5f}",
                        f"{draw(st.floats(-3.25, -3.0)):.5f}", start, end, draw(_SKILLS),
                        draw(st.sampled_from(("drive", "walk", "Drive"))),
                        draw(st.sampled_from(("", "1", "4.5", "24")))])
    if len(workers) > 1:
        tables["workers.csv"] = workers
    clients = tables["clients.csv"][:1] + [
        [f"C{n}y", draw(_TEXT), draw(_TEXT), draw(st.sampled_from(("", "EH22 1AA"))),
         f"{draw(st.floats(55.80, 55.95)):.5f}", f"{draw(st.floats(-3.25, -3.0)):.5f}",
         draw(st.one_of(st.just(""), _TEXT)), draw(st.sampled_from(("", "female", "M"))), "",
         "", draw(st.one_of(st.just(""), _TEXT, st.just("line one\nline two, three")))]
        for n in range(draw(st.integers(1, 4)))]
    tables["clients.csv"] = clients
    visits = [tables["visits.csv"][0]]
    ids = draw(st.lists(_IDS, max_size=10, unique=True))
    for vid in ids:
        start, end = draw(_WINDOW)
        visits.append([vid, draw(st.sampled_from([c[0] for c in clients[1:]])),
                       draw(st.sampled_from(("P1", "P2", ""))), start, end,
                       str(draw(st.integers(1, 240))), draw(st.sampled_from(("1", "2"))),
                       draw(_SKILLS), draw(st.sampled_from(("", "critical", "High", "normal"))),
                       draw(st.one_of(st.just(""), _TEXT)), draw(st.one_of(st.just(""), _TEXT))])
    tables["visits.csv"] = visits
    return tables


@settings(PROFILE)
@given(tables=plausible_days(), crlf=st.booleans(), bom=st.booleans())
def test_plan_of_a_plausible_day_exits_0_and_accounts_for_every_visit(tables, crlf, bom):
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        for name, rows in tables.items():
            text = _serialise(rows)
            data = (text if crlf else text.replace("\r\n", "\n")).encode("utf-8")
            (folder / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        code, err = _run(["plan", "--inputs", str(folder), "--out", str(out), "--date",
                          PLAN_DATE.isoformat(), "--time-limit", "1", "--solution-limit", "5",
                          "--quiet"])
        # the only refusals of a plausible day: a client's preferred or excluded worker
        # is not generated, so none are set; overlapping split shifts cannot happen
        assert code == 0, err
        _assert_accounted(folder, out)
        code, err = _run(["check", "--inputs", str(folder), "--rota", str(out / "rota.json"),
                          "--quiet"])
        assert code == 0, err


@settings(PROFILE, max_examples=PROFILE.max_examples * PARSE_FACTOR)
@given(mutations=st.lists(MUTATIONS, min_size=1, max_size=6))
def test_read_day_of_a_mutated_day_reads_or_raises_one_input_error(mutations):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        write_mutated(folder, mutations)
        try:
            day = read_day(folder, date=PLAN_DATE)
        except InputError as error:
            event(f"read_day: InputError in {error.file}")
            assert error.file, str(error)
            message = str(error)
            for value in PERSONAL:
                assert value not in message, (value, message)
            return
        except Exception:
            pytest.fail(f"read_day raised:\n{traceback.format_exc()}")
        assert len({v.visit_id for v in day.visits}) == len(day.visits)
        for visit in day.visits:
            assert visit.client_id in day.client_by_id
            assert 0 <= visit.window_start_s <= visit.window_end_s <= 86_400
            assert visit.carers in (1, 2) and visit.service_s > 0
        for worker in day.workers:
            assert worker.gender in ("female", "male", "other")
            assert all(0 <= s.start_s < s.end_s <= 86_400 for s in worker.shifts)


@settings(PROFILE, max_examples=PROFILE.max_examples * PARSE_FACTOR)
@given(notes=st.text(CHARS.filter(lambda c: c not in "\x00"), max_size=200))
def test_any_notes_text_without_nul_reads_back_unchanged(notes):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        tables = _tables()
        tables["clients.csv"][1][tables["clients.csv"][0].index("notes")] = notes
        folder.mkdir()
        for name, rows in tables.items():
            (folder / name).write_text(_serialise(rows), encoding="utf-8")
        try:
            day = read_day(folder, date=PLAN_DATE)
        except InputError as error:
            # only line breaks that look like swallowed rows, or the length limit, may refuse
            assert "look like whole rows" in error.message or "characters long" in error.message
            return
        assert day.client_by_id["C1"].notes == notes.strip()
