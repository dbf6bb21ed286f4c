"""The interactive map of a planned day: a self-contained ``map.html`` drawn with folium.

Leaflet is inlined (no CDN); input text reaches the page only through
:mod:`carerounds.scheduler.escape` (folium renders scripts as Jinja templates twice).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..escape import html_text, js_string
from ..model import Day
from ..rota import PlannedShift, Rota, VisitOutcome, check_rota_inputs
from ..travel import DayTravel
from .maps_common import area_workers, duplicate_pairs, visit_client, worker_areas, worker_colours
from .maps_popups import duplicate_popup, legend_html, stop_popup, unplaced_popup, worker_popup
from .paths import LatLon, ShiftPath, shift_paths

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

#: Above this many visit markers, homes and visit numbers show only from DETAIL_ZOOM in.
CROWDED_MARKERS = 250
DETAIL_ZOOM = 13


# ---- self-contained Leaflet ------------------------------------------------------------------

def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from the ``django-js-lib-leaflet`` wheel, images inlined."""
    try:
        root = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
        js = (root / "leaflet.js").read_text(encoding="utf-8")
        css = (root / "leaflet.css").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise RuntimeError(
            "Leaflet is not installed: run `pip install -e .` in the project (it installs "
            "django-js-lib-leaflet, which ships leaflet.js)") from exc

    def inline(match: re.Match) -> str:
        image = root / "images" / match.group(1)
        try:
            data = base64.b64encode(image.read_bytes()).decode()
        except FileNotFoundError:
            return match.group(0)
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    # A literal "</script" would end the inline block early; Leaflet has none, but be safe.
    return js.replace("</script", "<\\/script"), css


_MAP_CSS = """
.cr-stop{box-sizing:border-box;width:20px;height:20px;border-radius:10px;background:#fff;
 border:2.5px solid;font:bold 11px/15px Arial,sans-serif;text-align:center;color:#000}
.cr-home{box-sizing:border-box;width:18px;height:18px;background:#fff;border:2.5px solid;
 font:bold 10px/13px Arial,sans-serif;text-align:center;color:#000}
.cr-unplaced{box-sizing:border-box;width:20px;height:20px;background:#fff;border:2.5px solid #c00;
 transform:rotate(45deg)}
.cr-unplaced span{display:block;transform:rotate(-45deg);font:bold 12px/15px Arial,sans-serif;
 text-align:center;color:#c00}
.cr-duplicate{box-sizing:border-box;width:34px;height:34px;border-radius:50%;
 border:3px dashed #e68a00;background:rgba(255,170,0,.15)}
.cr-legend{background:#fff;padding:5px 8px;font:12px/1.4 Arial,sans-serif;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.4);max-width:290px;overflow-wrap:anywhere}
.cr-legend summary{cursor:pointer}
.cr-legend .sym{display:inline-block;vertical-align:middle;margin-right:5px}
.cr-popup{font:12px/1.4 Arial,sans-serif;overflow-wrap:anywhere}
.cr-far .leaflet-marker-pane .cr-stop,.cr-far .leaflet-marker-pane .cr-home{display:none}
"""


@functools.lru_cache(maxsize=1)
def element_classes() -> tuple[type, type, type]:
    """The folium element classes ``Bind``, ``Legend`` and ``ZoomDetail``.

    Made on first use: folium is imported only when a map is drawn.
    """
    return _bind_class(), _legend_class(), _zoom_class()


def _bind_class() -> type:
    from branca.element import MacroElement
    from folium.template import Template

    class Bind(MacroElement):
        """Bind escaped HTML to the parent layer as a popup or tooltip.

        folium's own Popup and Tooltip put their text into a JavaScript template
        literal (where ``${...}`` runs) and need jQuery; this passes a JSON string.
        """

        _template = Template("""{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.{{ this.method }}({{ this.content }}, {{ this.options }});
{% endmacro %}""")

        def __init__(self, content_html: str, *, method: str = "bindPopup",
                     options: dict | None = None) -> None:
            super().__init__()
            self._name = "Bind"
            self.method = method
            self.content = js_string(content_html)
            self.options = json.dumps(options or {})

    return Bind


def _legend_class() -> type:
    from branca.element import MacroElement
    from folium.template import Template

    class Legend(MacroElement):
        """The key, bottom left and folding away; the view is fitted clear of it.

        The key folds on a small map. The day's bounds are then fitted with padding the
        size of the map's controls (the key and scale bottom left, the layer switcher
        top right, zoom buttons top left), so no marker starts out hidden under them.
        """

        _template = Template("""{% macro script(this, kwargs) %}
(function() {
  var map = {{ this._parent.get_name() }};
  var legend = L.control({position: "bottomleft"});
  legend.onAdd = function() {
    var div = L.DomUtil.create("div", "cr-legend");
    div.innerHTML = {{ this.content }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);
  var box = map.getContainer();
  var size = map.getSize();
  var details = box.querySelector(".cr-legend details");
  if (details && (size.x < {{ this.fold_width }} || size.y < {{ this.fold_height }})) {
    details.open = false;
  }
  function tall(selector) {
    var corner = box.querySelector(selector);
    return corner ? corner.offsetHeight : 0;
  }
  var top = Math.max(tall(".leaflet-top.leaflet-left"), tall(".leaflet-top.leaflet-right"));
  var bottom = Math.max(tall(".leaflet-bottom.leaflet-left"),
                        tall(".leaflet-bottom.leaflet-right"));
  map.fitBounds({{ this.bounds }}, {paddingTopLeft: [30, top + 20],
                                    paddingBottomRight: [30, bottom + 20], maxZoom: 16,
                                    animate: false});
})();
{% endmacro %}""")

        def __init__(self, content_html: str, bounds: list[list[float]], *,
                     fold_width: int = 700, fold_height: int = 560) -> None:
            super().__init__()
            self._name = "Legend"
            self.content = js_string(content_html)
            self.bounds = json.dumps([[float(v) for v in corner] for corner in bounds])
            self.fold_width = int(fold_width)
            self.fold_height = int(fold_height)

    return Legend


def _zoom_class() -> type:
    from branca.element import MacroElement
    from folium.template import Template

    class ZoomDetail(MacroElement):
        """Hide visit numbers and homes when zoomed out on a crowded map (lines stay)."""

        _template = Template("""{% macro script(this, kwargs) %}
(function() {
  var map = {{ this._parent.get_name() }};
  function detail() {
    map.getContainer().classList.toggle("cr-far", map.getZoom() < {{ this.zoom }});
  }
  map.on("zoomend", detail);
  detail();
})();
{% endmacro %}""")

        def __init__(self, zoom: int) -> None:
            super().__init__()
            self._name = "ZoomDetail"
            self.zoom = int(zoom)

    return ZoomDetail




# ---- what a map shows ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Shown:
    """The rounds, unplaced visits and duplicate pairs on one map, and its counts.

    ``visits`` counts the placed visits in the map's area (all of them on the day's map);
    ``visiting`` the workers shown whose own area is another one.
    """

    by_worker: dict[str, list[PlannedShift]]
    unplaced: list[VisitOutcome]
    pairs: list[tuple[str, str, str]]
    visits: int
    visiting: int


def _shown(day: Day, rota: Rota, duplicates, area: str | None) -> _Shown:
    workers = None if area is None else area_workers(day, rota, area)

    def here(visit_id: str) -> bool:
        return area is None or visit_client(day, visit_id).area == area

    by_worker: dict[str, list[PlannedShift]] = defaultdict(list)
    for sh in sorted(rota.shifts, key=lambda s: (s.worker_id, s.shift_start_s)):
        if sh.stops and (workers is None or sh.worker_id in workers):
            by_worker[sh.worker_id].append(sh)
    assigned = worker_areas(day, rota)
    return _Shown(
        by_worker=dict(by_worker),
        unplaced=[o for o in rota.unplaced if here(o.visit_id)],
        pairs=[(a, b, why) for a, b, why in duplicate_pairs(duplicates, day) if here(a)],
        visits=len({s.visit_id for shifts in by_worker.values() for sh in shifts
                    for s in sh.stops if here(s.visit_id)}),
        visiting=0 if area is None else sum(1 for w in by_worker if assigned.get(w) != area))


def _bounds(day: Day, shown: _Shown, paths: dict[tuple[str, int], ShiftPath],
            area: str | None) -> list[list[float]]:
    """``[[south, west], [north, east]]`` around everything drawn, in degrees."""
    points: list[LatLon] = [p for worker_id, shifts in shown.by_worker.items() for sh in shifts
                            for p in paths[(worker_id, sh.shift)].line]
    points += [(visit_client(day, o.visit_id).lat, visit_client(day, o.visit_id).lon)
               for o in shown.unplaced]
    if not points:
        points = [(c.lat, c.lon) for c in day.clients if area is None or c.area == area] or \
            [(w.home_lat, w.home_lon) for w in day.workers]
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _base_map(day: Day, bounds: list[list[float]], tiles: bool):
    """An empty folium map with Leaflet inlined (no CDN requests), the title and tiles."""
    import folium

    (south, west), (north, east) = bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=12,
                      tiles=None, control_scale=True, zoom_snap=0.5)
    fmap.default_js = []
    fmap.default_css = []
    js, css = _leaflet_assets()
    root: Any = fmap.get_root()
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css")
    root.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js")
    root.header.add_child(folium.Element(f"<style>{_MAP_CSS}</style>"), name="carerounds_css")
    root.header.add_child(folium.Element(
        f"<title>Rota map {day.date.isoformat()}</title>"
        '<meta name="robots" content="noindex">'), name="carerounds_title")
    if tiles:
        folium.TileLayer(OSM_TILES, attr='&copy; <a href="https://www.openstreetmap.org/'
                         'copyright">OpenStreetMap</a> contributors', name="OpenStreetMap",
                         max_zoom=19, control=False).add_to(fmap)
    return fmap


class _Layers:
    """One folium feature group per area, made on first use.

    Names are escaped: Leaflet's layer control shows them as HTML.
    """

    def __init__(self) -> None:
        self.groups: dict[str, Any] = {}

    def __call__(self, area: str):
        import folium

        if area not in self.groups:
            self.groups[area] = folium.FeatureGroup(name=html_text(area), show=True)
        return self.groups[area]


def _div_icon(html: str, size: tuple[int, int]):
    import folium

    return folium.DivIcon(html=html, icon_size=size, icon_anchor=(size[0] // 2, size[1] // 2),
                          class_name="cr-icon")


# ---- layers ----------------------------------------------------------------------------------

def _add_round(target, day: Day, worker_id: str, shifts: list[PlannedShift],
               paths: dict[tuple[str, int], ShiftPath], colour: str, bind) -> None:
    """A worker's round: one line (split shifts are parts of it), home, numbered visits."""
    import folium

    worker = day.worker_by_id[worker_id]
    label = f"{html_text(worker.name)} ({html_text(worker_id)})"
    lines = [[list(p) for p in paths[(worker_id, sh.shift)].line] for sh in shifts]
    line = folium.PolyLine(lines, color=colour, weight=4, opacity=0.8, className="cr-route")
    line.add_child(bind(worker_popup(day, worker_id, shifts)))
    line.add_child(bind(label, method="bindTooltip", options={"sticky": True}))
    line.add_to(target)
    home = folium.Marker([worker.home_lat, worker.home_lon], icon=_div_icon(
        f'<div class="cr-home" style="border-color:{colour}">H</div>', (18, 18)))
    home.add_child(bind(worker_popup(day, worker_id, shifts)))
    home.add_to(target)
    # A client seen twice in a round gets one marker numbered "1,3", not two stacked.
    at_place: dict[str, list] = {}
    seq = 0
    for sh in shifts:
        for stop in sh.stops:
            seq += 1
            at_place.setdefault(stop.client_id, []).append((seq, stop))
    for client_id, numbered in at_place.items():
        client = day.client_by_id[client_id]
        text = ",".join(str(n) for n, _ in numbered)
        width = max(20, 7 * len(text) + 9)
        marker = folium.Marker([client.lat, client.lon], icon=_div_icon(
            f'<div class="cr-stop" style="border-color:{colour};width:{width}px">{text}</div>',
            (width, 20)), z_index_offset=1000)  # numbers above homes and rings
        marker.add_child(bind("<hr>".join(stop_popup(day, stop, n, label)
                                          for n, stop in numbered)))
        marker.add_to(target)


def _add_unplaced(layers: _Layers, day: Day, unplaced: list[VisitOutcome], bind) -> None:
    import folium

    for o in unplaced:
        client = visit_client(day, o.visit_id)
        marker = folium.Marker([client.lat, client.lon], icon=_div_icon(
            '<div class="cr-unplaced"><span>!</span></div>', (20, 20)), z_index_offset=1500)
        marker.add_child(bind(unplaced_popup(day, o.visit_id, o.reason)))
        marker.add_to(layers(client.area))


def _add_duplicates(layers: _Layers, day: Day, rota: Rota, pairs: list[tuple[str, str, str]],
                    bind) -> None:
    import folium

    for a, b, why in pairs:
        # Both homes are ringed when the pair is two clients of one household.
        for client_id in dict.fromkeys(day.visit_by_id[v].client_id for v in (a, b)):
            client = day.client_by_id[client_id]
            marker = folium.Marker([client.lat, client.lon], icon=_div_icon(
                '<div class="cr-duplicate"></div>', (34, 34)))
            marker.add_child(bind(duplicate_popup(day, rota, a, b, why)))
            marker.add_to(layers(client.area))


def map_day(day: Day, rota: Rota, travel: DayTravel | None = None, *, duplicates=None,
            area: str | None = None, tiles: bool = True, paths=None):
    """An interactive map of a planned day (a ``folium.Map``, self-contained when saved).

    Parameters
    ----------
    day, rota : Day, Rota
        The inputs and the rota planned from them.
    travel : DayTravel, optional
        With road networks, rounds follow the roads; otherwise straight segments.
    duplicates : iterable, optional
        Pairs from ``carerounds.scheduler.duplicates.find_duplicate_visits`` (or any
        objects with ``visit_id_a`` / ``visit_id_b``); both visits are marked.
    area : str, optional
        Only this area: every visit in it with the whole round of the worker doing it
        (workers assigned to the area, the one most of their visits are in, and those
        from elsewhere who visit it), and its unplaced and duplicate visits. Default:
        every area, one layer each.
    tiles : bool, default True
        OpenStreetMap background tiles (fetched by the viewer's browser; the rounds still
        draw on a blank background when they cannot load).
    paths : dict, optional
        Geometry from :func:`shift_paths`, to reuse it between maps.

    Returns
    -------
    folium.Map
    """
    import folium

    Bind, Legend, ZoomDetail = element_classes()
    check_rota_inputs(day, rota)
    if paths is None:
        paths = shift_paths(day, rota, travel)
    shown = _shown(day, rota, duplicates, area)
    bounds = _bounds(day, shown, paths, area)
    fmap = _base_map(day, bounds, tiles)
    colours = worker_colours(rota)
    areas_of_workers = worker_areas(day, rota)
    layers = _Layers()
    for worker_id, shifts in shown.by_worker.items():
        _add_round(layers(areas_of_workers[worker_id]), day, worker_id, shifts, paths,
                   colours[worker_id], Bind)
    _add_unplaced(layers, day, shown.unplaced, Bind)
    _add_duplicates(layers, day, rota, shown.pairs, Bind)
    for name in sorted(layers.groups):
        layers.groups[name].add_to(fmap)
    if len(layers.groups) > 1:
        folium.LayerControl(collapsed=len(layers.groups) > 8).add_to(fmap)
    stop_markers = sum(len({s.client_id for sh in shifts for s in sh.stops})
                       for shifts in shown.by_worker.values())
    crowded = stop_markers > CROWDED_MARKERS
    if crowded:
        fmap.add_child(ZoomDetail(DETAIL_ZOOM))
    on_roads = bool(shown.by_worker) and all(paths[(w, sh.shift)].on_roads
                                             for w, shifts in shown.by_worker.items()
                                             for sh in shifts)
    fmap.add_child(Legend(legend_html(
        day, area=area, workers=len(shown.by_worker), visits=shown.visits,
        unplaced=len(shown.unplaced), duplicates=len(shown.pairs), on_roads=on_roads,
        crowded=crowded, visiting=shown.visiting), bounds))
    return fmap
