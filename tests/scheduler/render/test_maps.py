"""Maps: route geometry, the self-contained map.html (checked in headless Chromium), map.png."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.legend import Legend

from carerounds.scheduler.cli import build_parser
from carerounds.scheduler.outputs import write_rota_json
from carerounds.scheduler.render.maps import (
    PALETTE,
    area_slug,
    area_workers,
    map_day,
    plot_day,
    shift_paths,
    worker_areas,
    write_maps,
)

from ...conftest import PLAN_DATE, write_day
from .handmade import client, day_of, rota_of, shift, stop, visit, worker
from .test_sheets import BREAKOUT_NAME, IMG_NAME, nasty_tables, road_travel, tiny_rota

CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Pair:
    """Stands in for a duplicates.DuplicatePair: the maps only read the two visit ids."""

    visit_id_a: str
    visit_id_b: str


def html_of(fmap) -> str:
    return fmap.get_root().render()


# ---- geometry -----------------------------------------------------------------------------------

def test_shift_paths_without_roads_are_straight_legs(nasty_day, rota):
    paths = shift_paths(nasty_day, rota)
    w1 = paths[("W1", 1)]
    assert len(w1.legs) == len(rota.shifts[0].stops) + 1
    assert all(len(leg) == 2 for leg in w1.legs)
    assert not w1.on_roads
    assert w1.line[0] == w1.line[-1] == w1.home


def test_shift_paths_follow_the_roads_when_a_network_was_used(nasty_day, rota):
    travel = road_travel(nasty_day)
    w1 = shift_paths(nasty_day, rota, travel)[("W1", 1)]
    assert w1.on_roads
    dalkeith_to_bonnyrigg = w1.legs[1]
    assert len(dalkeith_to_bonnyrigg) > 3  # turns at grid corners, not one straight segment
    network = travel.networks["drive"]
    corners = set(zip(network.lat.round(6).tolist(), network.lon.round(6).tolist()))
    inner = dalkeith_to_bonnyrigg[1:-1]
    assert all((round(lat, 6), round(lon, 6)) in corners for lat, lon in inner)


def test_idle_shifts_have_no_path(nasty_day, rota):
    idle = replace(rota, shifts=rota.shifts[:2] + (replace(rota.shifts[2], stops=()),)
                   + rota.shifts[3:])
    assert ("W2", 1) not in shift_paths(nasty_day, idle)


def test_worker_area_is_where_most_visits_are(nasty_day, rota):
    assert worker_areas(nasty_day, rota) == {"W1": "Dalkeith", "W2": "Bonnyrigg",
                                             "W3": 'Caerffili & "Pont-y-pŵl"'}


@pytest.mark.parametrize("area, slug", [("Dalkeith", "dalkeith"),
                                        ('Caerffili & "Pont-y-pŵl"', "caerffili_pont_y_pwl"),
                                        ("../../etc", "etc"), ("***", "area")])
def test_area_slug_is_safe_for_file_names(area, slug):
    assert area_slug(area) == slug


# ---- map.html -----------------------------------------------------------------------------------

def test_map_html_loads_nothing_from_a_cdn(nasty_day, rota):
    page = html_of(map_day(nasty_day, rota))
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", page)
    assert "L.version" in page or "leaflet" in page.lower()  # Leaflet itself is inline
    assert "jquery" not in page.lower()


def test_map_html_credits_openstreetmap(nasty_day, rota):
    page = html_of(map_day(nasty_day, rota))
    attribution = re.search(r'"attribution": (".*?[^\\]")', page).group(1)
    assert json.loads(attribution) == ('&copy; <a href="https://www.openstreetmap.org/copyright">'
                                       "OpenStreetMap</a> contributors")


def test_map_html_has_one_route_line_per_worker_used(nasty_day, rota):
    page = html_of(map_day(nasty_day, rota))
    assert page.count('"className": "cr-route"') == 3


def test_map_html_never_contains_user_markup_raw(nasty_day, rota):
    page = html_of(map_day(nasty_day, rota, duplicates=[Pair("V3", "V5")]))
    for raw in ("<script>alert(1)", IMG_NAME, BREAKOUT_NAME, "<img"):
        assert raw not in page


def test_map_html_marks_unplaced_visits_with_their_reason(nasty_day, rota):
    page = html_of(map_day(nasty_day, rota))
    assert page.count("Unplaced visit V5") == 1
    assert "no shift covers window 10:00-11:00" in page


def test_map_html_marks_duplicate_visits(nasty_day, rota):
    without = html_of(map_day(nasty_day, rota))
    with_pair = html_of(map_day(nasty_day, rota, duplicates=[Pair("V3", "V5")]))
    assert "cr-duplicate\\" not in without and "Possible duplicate visits" not in without
    assert "Possible duplicate visits" in with_pair


def test_map_accepts_duplicate_pairs_from_the_duplicates_module(nasty_day, rota):
    from carerounds.scheduler.duplicates import find_duplicate_visits

    pairs = find_duplicate_visits(nasty_day)
    assert [(p.visit_a, p.visit_b) for p in pairs] == [("V3", "V5")]
    page = html_of(map_day(nasty_day, rota, duplicates=pairs))
    assert "Possible duplicate visits" in page
    assert "V5 could be absorbed into V3" in page  # the pair's own explanation


def test_area_map_keeps_out_rounds_with_no_visit_there(nasty_day, rota):
    page = html_of(map_day(nasty_day, rota, area="Dalkeith"))
    assert page.count('"className": "cr-route"') == 1  # W1's: W2 and W3 never visit Dalkeith
    assert "no shift covers window" not in page  # V5 is in another area


def away_visits():
    """W1 (area Dalkeith: two visits there) also does V3 in Bonnyrigg; W2 does two there."""
    clients = (client("C1", area="Dalkeith"), client("C2", 55.88, area="Dalkeith"),
               client("C3", 55.87, -3.10, area="Bonnyrigg"),
               client("C4", 55.86, -3.11, area="Bonnyrigg"))
    visits = (visit("V1", "C1", "08:00"), visit("V2", "C2", "09:00"), visit("V3", "C3", "10:00"),
              visit("V4", "C4", "08:00"), visit("V5", "C4", "11:00"))
    workers = (worker("W1", ("07:00", "14:00")), worker("W2", ("07:00", "14:00")))
    rota = rota_of(
        shift("W1", 1, ("07:00", "14:00"), (stop("V1", "C1", "08:00"), stop("V2", "C2", "09:00"),
                                            stop("V3", "C3", "10:00"))),
        shift("W2", 1, ("07:00", "14:00"), (stop("V4", "C4", "08:00"),
                                            stop("V5", "C4", "11:00"))))
    return day_of(workers, clients, visits), rota


def test_area_workers_include_those_from_elsewhere_who_visit():
    day, rota = away_visits()
    assert worker_areas(day, rota) == {"W1": "Dalkeith", "W2": "Bonnyrigg"}
    assert area_workers(day, rota, "Bonnyrigg") == {"W1", "W2"}
    assert area_workers(day, rota, "Dalkeith") == {"W1"}


def test_area_map_shows_a_visit_by_a_worker_from_another_area():
    day, rota = away_visits()
    page = html_of(map_day(day, rota, area="Bonnyrigg"))
    assert "Visit V3 " in page
    assert page.count('"className": "cr-route"') == 2


def test_every_placed_visit_is_on_its_areas_map():
    day, rota = away_visits()
    for area in ("Dalkeith", "Bonnyrigg"):
        page = html_of(map_day(day, rota, area=area))
        for o in rota.scheduled:
            if day.client_by_id[day.visit_by_id[o.visit_id].client_id].area == area:
                assert f"Visit {o.visit_id} " in page, (area, o.visit_id)


def test_area_map_key_counts_its_visits_and_workers_from_elsewhere():
    day, rota = away_visits()
    key = json.loads(re.search(r"div\.innerHTML = (\".*?[^\\]\");", html_of(
        map_day(day, rota, area="Bonnyrigg"))).group(1))
    assert "2 workers, 3 visits placed here, 0 unplaced" in key
    assert "1 of the workers are based in other areas" in key


def test_map_key_folds_away():
    day, rota = away_visits()
    page = html_of(map_day(day, rota))
    key = json.loads(re.search(r"div\.innerHTML = (\".*?[^\\]\");", page).group(1))
    assert key.startswith("<details open><summary>")


def test_worker_popup_says_leave_home_by_as_the_run_sheet_does():
    day, rota = away_visits()
    first = rota.shifts[0].stops[0]
    late = replace(rota, shifts=(replace(rota.shifts[0], leave_s=first.start_s - 3 * 3600),)
                   + rota.shifts[1:])
    page = html_of(map_day(day, late))
    assert "leave home by 07:50, back" in page  # 08:00 less the 10 min leg, not 05:00
    assert "leave home 05:00" not in page


# ---- map.png ------------------------------------------------------------------------------------

def legends(ax) -> list[Legend]:
    return [child for child in ax.get_children() if isinstance(child, Legend)]


def test_png_has_a_key_of_worker_colours_by_id(nasty_day, rota):
    ax = plot_day(nasty_day, rota)
    (key,) = [g for g in legends(ax) if g.get_title().get_text() == "Workers"]
    labels = [t.get_text() for t in key.get_texts()]
    assert labels == ["W1", "W2", "W3"]  # ids only: no names on map.png
    colours = [to_hex(h.get_color()) for h in key.legend_handles]
    assert colours == [PALETTE[0], PALETTE[1], PALETTE[2]]


def test_png_keeps_the_key_of_symbols_too(nasty_day, rota):
    ax = plot_day(nasty_day, rota)
    texts = {t.get_text() for g in legends(ax) for t in g.get_texts()}
    assert {"a worker's round", "worker's home", "visit", "unplaced visit"} <= texts


def test_png_saves_the_keys_whole(nasty_day, rota):
    ax = plot_day(nasty_day, rota)
    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    picture = ax.figure.get_tightbbox(renderer)  # what savefig(bbox_inches="tight") keeps
    for key in legends(ax):
        box = key.get_window_extent(renderer).transformed(ax.figure.dpi_scale_trans.inverted())
        assert picture.x0 <= box.x0 + 0.01 and box.x1 <= picture.x1 + 0.01
        assert picture.y0 <= box.y0 + 0.01 and box.y1 <= picture.y1 + 0.01


def test_png_with_more_workers_than_colours_has_a_note_instead_of_a_key():
    n = len(PALETTE) + 1
    clients = tuple(client(f"C{i}", 55.85 + 0.003 * i) for i in range(n))
    visits = tuple(visit(f"V{i}", f"C{i}", "08:00") for i in range(n))
    workers = tuple(worker(f"W{i:02d}", ("07:00", "12:00")) for i in range(n))
    rota = rota_of(*(shift(f"W{i:02d}", 1, ("07:00", "12:00"), (stop(f"V{i}", f"C{i}", "08:00"),))
                     for i in range(n)))
    ax = plot_day(day_of(workers, clients, visits), rota)
    assert not [g for g in legends(ax) if g.get_title().get_text() == "Workers"]
    assert any(t.get_text().startswith(f"{n} workers: route colours repeat") for t in ax.texts)


def test_write_maps_writes_html_png_and_one_map_per_area(nasty_day, rota, tmp_path):
    written = write_maps(nasty_day, rota, None, tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["map.html", "map.png", "map_bonnyrigg.html", "map_caerffili_pont_y_pwl.html",
                     "map_dalkeith.html"]
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_write_maps_along_roads(nasty_day, rota, tmp_path):
    write_maps(nasty_day, rota, road_travel(nasty_day), tmp_path, per_area=False)
    assert "(along the roads)" in (tmp_path / "map.html").read_text(encoding="utf-8")


def test_map_cli_writes_the_maps(tmp_path):
    inputs = write_day(tmp_path / "inputs", nasty_tables())
    rota_path = write_rota_json(tiny_rota(), tmp_path / "rota.json")
    args = build_parser().parse_args(["map", "--rota", str(rota_path), "--inputs", str(inputs),
                              "--out", str(tmp_path / "out"), "--no-areas"])
    assert args.func(args) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["map.html", "map.png"]


# ---- in a real browser --------------------------------------------------------------------------

PROBE = """
<script>
window.addEventListener("load", function () {
  // Before any popup opens (and pans the map): markers under a control (the key included).
  var covered = 0;
  var controls = document.querySelectorAll(".leaflet-control");
  document.querySelectorAll(".leaflet-marker-icon").forEach(function (marker) {
    var a = marker.getBoundingClientRect();
    controls.forEach(function (control) {
      var b = control.getBoundingClientRect();
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        covered += 1;
      }
    });
  });
  document.body.setAttribute("data-covered", covered);
  var key = document.querySelector(".cr-legend details");
  document.body.setAttribute("data-key-open", key && key.open ? "yes" : "no");
  var map = Object.values(window).find(function (v) { return v instanceof L.Map; });
  var contents = [];
  map.eachLayer(function (layer) {
    if (layer.getPopup && layer.getPopup()) {
      contents.push(layer.getPopup().getContent());
      layer.openPopup();
    }
    if (layer.getTooltip && layer.getTooltip()) {
      contents.push(layer.getTooltip().getContent());
      layer.openTooltip();
    }
  });
  // Leaflet shows popup text as HTML: do the same with all of it at once.
  var probe = document.createElement("div");
  probe.id = "cr-probe";
  probe.innerHTML = contents.join("<hr>");
  document.body.appendChild(probe);
  var box = document.querySelector(".leaflet-container").getBoundingClientRect();
  document.body.setAttribute("data-routes", document.querySelectorAll("path.cr-route").length);
  document.body.setAttribute("data-map-height", Math.round(box.height));
  document.body.setAttribute("data-popups", contents.length);
});
</script>
"""


def dump_dom(page: Path, profile: Path, window: str = "1000,800") -> str:
    """The DOM of a page after its scripts ran, from headless Chromium with no network."""
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # tiles fail fast: tests never touch the network
         f"--window-size={window}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def need_chromium() -> None:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): "
                    "apt-get install -y chromium")


def probed_map(day, rota, folder: Path, window: str = "1000,800") -> str:
    """The DOM of the day's map.html with the probe run, in a window of that size."""
    need_chromium()
    write_maps(day, rota, None, folder, duplicates=[Pair("V3", "V5")], per_area=False)
    page = folder / "probe.html"
    page.write_text((folder / "map.html").read_text(encoding="utf-8") + PROBE, encoding="utf-8")
    return dump_dom(page, folder / "profile", window)


@pytest.fixture
def browser_page(nasty_day, rota, tmp_path):
    return probed_map(nasty_day, rota, tmp_path)


@pytest.mark.browser
def test_browser_renders_the_map_with_one_line_per_worker(browser_page):
    assert 'class="leaflet-container' in browser_page or "leaflet-container" in browser_page
    height = int(re.search(r'data-map-height="(\d+)"', browser_page).group(1))
    assert height > 200
    assert re.search(r'data-routes="(\d+)"', browser_page).group(1) == "3"
    assert browser_page.count("cr-stop") >= 4
    assert "OpenStreetMap</a> contributors" in browser_page  # the attribution control shows


@pytest.mark.browser
def test_browser_runs_no_script_from_user_data(browser_page):
    assert int(re.search(r'data-popups="(\d+)"', browser_page).group(1)) > 5
    title = re.search(r"<title>(.*?)</title>", browser_page).group(1)
    assert title == f"Rota map {PLAN_DATE.isoformat()}"
    assert "pwned" not in title
    assert '<img src="x"' not in browser_page
    assert "&lt;img src=x onerror=document.title='pwned'&gt;" in browser_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser_page


@pytest.mark.browser
def test_browser_key_and_controls_cover_no_marker(browser_page):
    assert browser_page.count("leaflet-marker-icon") >= 6
    assert re.search(r'data-covered="(\d+)"', browser_page).group(1) == "0"


@pytest.mark.browser
def test_browser_key_starts_open_on_a_large_map(browser_page):
    assert 'data-key-open="yes"' in browser_page


@pytest.mark.browser
def test_browser_folds_the_key_on_a_small_map(nasty_day, rota, tmp_path):
    page = probed_map(nasty_day, rota, tmp_path, window="600,450")
    assert 'data-key-open="no"' in page
    assert re.search(r'data-covered="(\d+)"', page).group(1) == "0"

