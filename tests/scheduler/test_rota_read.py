"""read_rota checks every value of rota.json: one InputError naming the file and field, exit 2."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carerounds.errors import InputError
from carerounds.scheduler.cli import main
from carerounds.scheduler.rota import read_rota, rota_to_dict

from ..conftest import PLAN_DATE, write_day


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> tuple[Path, dict]:
    """The tiny day planned once: its input folder and rota.json as a dict."""
    root = tmp_path_factory.mktemp("rota")
    inputs = write_day(root / "in")
    code = main(["plan", "--inputs", str(inputs), "--out", str(root / "out"), "--quiet",
                 "--time-limit", "2", "--solution-limit", "20", "--date", PLAN_DATE.isoformat()])
    assert code == 0
    data = json.loads((root / "out" / "rota.json").read_text(encoding="utf-8"))
    assert data["shifts"] and any(s["stops"] and s["breaks"] == [] for s in data["shifts"])
    return inputs, data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "rota.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _first_stop_shift(data: dict) -> int:
    return next(i for i, s in enumerate(data["shifts"]) if s["stops"])


def test_a_rota_as_written_reads_back_unchanged(planned, tmp_path):
    _, data = planned
    rota = read_rota(_write(tmp_path, data))
    assert rota.date == PLAN_DATE
    again = rota_to_dict(rota)
    assert again["shifts"] == data["shifts"] and again["visits"] == data["visits"]


def _mutated(data: dict, path: str, value: object) -> dict:
    """A deep copy with the value at ``shifts.0.stops.0.start_s``-like ``path`` replaced."""
    data = copy.deepcopy(data)
    target: object = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]  # type: ignore[index]
    last = keys[-1]
    if value is _DELETE:
        del target[last]  # type: ignore[union-attr, arg-type]
    else:
        target[int(last) if isinstance(target, list) else last] = value  # type: ignore[index]
    return data


_DELETE = object()

#: (path with S for the first shift that has stops, new value, field named in the error)
BAD_VALUES = [
    ("shifts.S.stops.0.start_s", "08:00", "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.start_s", 1e300, "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.start_s", 28800.0, "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.start_s", -60, "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.start_s", True, "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.start_s", None, "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.end_s", 90_000, "shifts[S].stops[0].end_s"),
    ("shifts.S.stops.0.travel_s", -1, "shifts[S].stops[0].travel_s"),
    ("shifts.S.stops.0.distance_m", 10**400, "shifts[S].stops[0].distance_m"),
    ("shifts.S.stops.0.start_s", _DELETE, "shifts[S].stops[0].start_s"),
    ("shifts.S.stops.0.visit_id", _DELETE, "shifts[S].stops[0].visit_id"),
    ("shifts.S.stops.0.visit_id", 7, "shifts[S].stops[0].visit_id"),
    ("shifts.S.stops.0.visit_id", "", "shifts[S].stops[0].visit_id"),
    ("shifts.S.stops.0.partner", 3, "shifts[S].stops[0].partner"),
    ("shifts.S.stops.0.start", "23:59:00", "shifts[S].stops[0].start"),
    ("shifts.S.stops.0.start", 28800, "shifts[S].stops[0].start"),
    ("shifts.S.stops.0", "V1", "shifts[S].stops[0]"),
    ("shifts.S.stops", {"0": {}}, "shifts[S].stops"),
    ("shifts.S.breaks", None, "shifts[S].breaks"),
    ("shifts.S.shift", 0, "shifts[S].shift"),
    ("shifts.S.leave_s", "07:00", "shifts[S].leave_s"),
    ("shifts.S.leave", "06:00:00", "shifts[S].leave"),
    ("shifts.S.worker_id", ["W1"], "shifts[S].worker_id"),
    ("shifts.S.return_distance_m", -5, "shifts[S].return_distance_m"),
    ("shifts.S", [], "shifts[S]"),
    ("shifts", {}, "shifts"),
    ("shifts", _DELETE, "shifts"),
    ("visits.0.status", "done", "visits[0].status"),
    ("visits.0.workers", "W1", "visits[0].workers"),
    ("visits.0.workers", [None], "visits[0].workers[0]"),
    ("visits.0.start_s", "08:00", "visits[0].start_s"),
    ("visits.0.end_s", 1e300, "visits[0].end_s"),
    ("visits.0.visit_id", _DELETE, "visits[0].visit_id"),
    ("visits.0", 5, "visits[0]"),
    ("visits", None, "visits"),
    ("date", "24/11/2026", "date"),
    ("date", 20261124, "date"),
    ("date", _DELETE, "date"),
    ("run", [], "run"),
]


@pytest.mark.parametrize("path,value,field", BAD_VALUES,
                         ids=[f"{p}={v!r:.20}" for p, v, _ in BAD_VALUES])
def test_bad_value_is_an_input_error_naming_the_field(planned, tmp_path, path, value, field):
    _, data = planned
    shift = str(_first_stop_shift(data))
    path, field = path.replace("S", shift), field.replace("S", shift)
    with pytest.raises(InputError) as caught:
        read_rota(_write(tmp_path, _mutated(data, path, value)))
    assert (caught.value.file, caught.value.field) == ("rota.json", field), str(caught.value)


@pytest.mark.parametrize("text", ["[]", '"rota"', "42", "null", "{}",
                                  '{"format": "carerounds.rota/2"}'])
def test_a_file_that_is_not_a_rota_object_is_an_input_error(tmp_path, text):
    (tmp_path / "rota.json").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="rota.json, field 'format': is not a carerounds rota"):
        read_rota(tmp_path / "rota.json")


@pytest.mark.parametrize("text,message", [
    ("{", "is not a JSON rota"),
    ('{"format": NaN}', "is not a JSON rota"),
    ('{"a": ' + "1" * 5000 + "}", "is not a JSON rota"),
    ("[" * 100_000 + "]" * 100_000, "is not a JSON rota"),
])
def test_text_that_is_not_json_is_an_input_error(tmp_path, text, message):
    (tmp_path / "rota.json").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_rota(tmp_path / "rota.json")


def test_not_utf8_is_an_input_error(tmp_path):
    (tmp_path / "rota.json").write_bytes(b'{"format": "\xff"}')
    with pytest.raises(InputError, match="rota.json: is not UTF-8 text"):
        read_rota(tmp_path / "rota.json")


def test_missing_rota_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="rota.json: rota file not found"):
        read_rota(tmp_path / "rota.json")


def test_rota_that_is_a_folder_or_a_link_loop_is_an_input_error(tmp_path):
    (tmp_path / "rota.json").mkdir()
    with pytest.raises(InputError, match="rota.json: is a folder"):
        read_rota(tmp_path / "rota.json")
    os.symlink("loop.json", tmp_path / "loop.json")
    with pytest.raises(InputError, match="loop.json: is a symbolic link loop"):
        read_rota(tmp_path / "loop.json")


@pytest.mark.parametrize("path,value", [("shifts.S.stops.0.start_s", "08:00"),
                                        ("shifts.S.stops.0.start_s", 1e300),
                                        ("visits.0.end_s", -1), ("shifts", _DELETE)])
def test_check_exits_2_on_a_malformed_rota(planned, tmp_path, capsys, path, value):
    inputs, data = planned
    path = path.replace("S", str(_first_stop_shift(data)))
    rota = _write(tmp_path, _mutated(data, path, value))
    code = main(["check", "--inputs", str(inputs), "--rota", str(rota), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "rota.json" in err and "field '" in err
    assert "Traceback" not in err


# ---- property: any edit of a rota is read, or refused with exit 2; check never crashes -----

# the same profiles as test_inputs_properties.py: a quick default, HYPOTHESIS_PROFILE=long
_COMMON = dict(deadline=None, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("inputs-default", max_examples=50, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
_PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE") or "inputs-default")
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.sampled_from([0, 1, 86_400, 86_401, -1, 10**30, "08:00:00", "V1", "W1", "C1", ""])
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3), max_leaves=5)


def _leaves(value: object, path: tuple = ()) -> list[tuple]:
    """Every path in a JSON value (objects and lists included)."""
    paths = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _leaves(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            paths += _leaves(item, path + (i,))
    return paths


def _edited(data: dict, edits: list[tuple[int, bool, object]]) -> object:
    data = copy.deepcopy(data)
    for pick, delete, value in edits:
        paths = [p for p in _leaves(data) if p]
        if not paths:
            break
        path = paths[pick % len(paths)]
        parent: object = data
        for key in path[:-1]:
            parent = parent[key]  # type: ignore[index]
        if delete:
            del parent[path[-1]]  # type: ignore[union-attr, attr-defined]
        else:
            parent[path[-1]] = value  # type: ignore[index]
    return data


@settings(_PROFILE)
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.booleans(), _JSON_VALUES),
                      min_size=1, max_size=3))
def test_any_edit_of_a_rota_is_checked_or_refused_never_crashes(planned, edits):
    inputs, data = planned
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rota.json"
        path.write_text(json.dumps(_edited(data, edits)), encoding="utf-8")
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["check", "--inputs", str(inputs), "--rota", str(path), "--quiet"])
        except BaseException:  # noqa: B036 - any escape is the failure looked for
            pytest.fail(f"carerounds check raised:\n{traceback.format_exc()}")
    assert code in (0, 1, 2), err.getvalue()
    event(f"check exit {code}")
    if code == 2:
        assert "rota.json" in err.getvalue()
