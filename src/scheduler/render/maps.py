"""Maps of a planned day: an interactive, self-contained ``map.html`` (folium) and a static ``map.png``."""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ..escape import html_text, js_string
from ..model import Day
from ..rota import PlannedShift, Rota, check_rota_inputs
from ..travel import DayTravel
from ..units import METRES_PER_MILE, format_hhmm
from .paths import OSM_ATTRIBUTION, LatLon, shift_paths

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

#: Route colours: distinct on screen; workers beyond 20 reuse them.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")

#: Above this many visit markers, homes and visit numbers show only from DETAIL_ZOOM in.
CROWDED_MARKERS = 250
DETAIL_ZOOM = 13


def worker_areas(day: Day, rota: Rota) -> dict[str, str]:
    """Each worker's area: the area most of their visits are in (ties: alphabetical)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for sh in rota.shifts:
        for stop in sh.stops:
            counts[sh.worker_id][day.client_by_id[stop.client_id].area] += 1
    return {w: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for w, c in counts.items()}


def area_slug(area: str) -> str:
    """A file-name-safe form of an area name (``"Ystrad Mynach"`` -> ``"ystrad_mynach"``)."""
    ascii_ = unicodedata.normalize("NFKD", area).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")
    return slug[:60] or "area"


def _worker_colours(rota: Rota) -> dict[str, str]:
    used = sorted({sh.worker_id for sh in rota.shifts if sh.stops})
    return {w: PALETTE[i % len(PALETTE)] for i, w in enumerate(used)}


def _duplicate_pairs(duplicates: Iterable | None, day: Day) -> list[tuple[str, str, str]]:
    """``(visit_a, visit_b, reason)`` of each pair that names two visits of the day.

    Accepts ``carerounds.scheduler.duplicates.DuplicatePair`` (``visit_a``/``visit_b``)
    or any object with ``visit_id_a``/``visit_id_b``; the module itself stays optional.
    """
    pairs = []
    for pair in duplicates or ():
        a = getattr(pair, "visit_id_a", None) or getattr(pair, "visit_a", None)
        b = getattr(pair, "visit_id_b", None) or getattr(pair, "visit_b", None)
        if a in day.visit_by_id and b in day.visit_by_id:
            pairs.append((a, b, str(getattr(pair, "reason", "") or "")))
    return pairs


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
 box-shadow:0 1px 4px rgba(0,0,0,.4);max-width:290px}
.cr-legend summary{cursor:pointer}
.cr-legend .sym{display:inline-block;vertical-align:middle;margin-right:5px}
.cr-popup{font:12px/1.4 Arial,sans-serif}
.cr-far .leaflet-marker-pane .cr-stop,.cr-far .leaflet-marker-pane .cr-home{display:none}
"""


def _element_classes():
    """Folium element classes (imported lazily: folium is only needed for maps)."""
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

    class Legend(MacroElement):
        """A fixed box on the map with the title, counts and the symbol key."""

        _template = Template("""{% macro script(this, kwargs) %}
(function() {
  var legend = L.control({position: "bottomleft"});
  legend.onAdd = function() {
    var div = L.DomUtil.create("div", "cr-legend");
    div.innerHTML = {{ this.content }};
    return div;
  };
  legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}""")

        def __init__(self, content_html: str) -> None:
            super().__init__()
            self._name = "Legend"
            self.content = js_string(content_html)

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

    return Bind, Legend, ZoomDetail


# ---- interactive map -------------------------------------------------------------------------

def _stop_popup(day: Day, stop, seq: int, worker_label: str) -> str:
    visit = day.visit_by_id[stop.visit_id]
    client = day.client_by_id[stop.client_id]
    lines = [f"<b>{seq}. {format_hhmm(stop.start_s)}&ndash;{format_hhmm(stop.end_s)}</b> "
             f"(window {format_hhmm(visit.window_start_s)}&ndash;"
             f"{format_hhmm(visit.window_end_s)}"
             + (f", arrive {format_hhmm(stop.arrival_s)}"
                if 60 <= stop.start_s - stop.arrival_s <= 3600 else "") + ")",
             f"<b>{html_text(client.name)}</b>",
             f"{html_text(client.address)}, {html_text(client.postcode)}",
             f"Visit {html_text(visit.visit_id)} &middot; {(stop.end_s - stop.start_s) // 60} min "
             f"&middot; {html_text(visit.service.replace('_', ' '))}"]
    if stop.partner:
        partner = day.worker_by_id.get(stop.partner)
        name = partner.name if partner else ""
        lines.append(f"Double-up with {html_text(name)} ({html_text(stop.partner)})")
    lines.append(f"Carer: {worker_label}")
    return '<div class="cr-popup">' + "<br>".join(lines) + "</div>"


def _worker_popup(day: Day, worker_id: str, shifts: list[PlannedShift]) -> str:
    worker = day.worker_by_id[worker_id]
    provider = day.provider_by_id.get(shifts[0].provider_id)
    lines = [f"<b>{html_text(worker.name)}</b> ({html_text(worker_id)})",
             html_text(provider.name if provider else shifts[0].provider_id)]
    for sh in shifts:
        lines.append(
            f"Shift {format_hhmm(sh.shift_start_s)}&ndash;{format_hhmm(sh.shift_end_s)}: "
            f"{len(sh.stops)} visit{'s' if len(sh.stops) != 1 else ''}, leave home {format_hhmm(sh.leave_s)}, back "
            f"{format_hhmm(sh.return_s)}, travel {sh.travel_s // 60} min, "
            f"{sh.distance_m / METRES_PER_MILE:.1f} mi")
    return '<div class="cr-popup">' + "<br>".join(lines) + "</div>"


def _unplaced_popup(day: Day, visit_id: str, reason: str | None) -> str:
    visit = day.visit_by_id[visit_id]
    client = day.client_by_id[visit.client_id]
    lines = [f"<b>Unplaced visit {html_text(visit_id)}</b>",
             f"Window {format_hhmm(visit.window_start_s)}&ndash;{format_hhmm(visit.window_end_s)}"
             f", {visit.service_s // 60} min" + (", 2 carers" if visit.carers > 1 else "")
             + f", {html_text(visit.priority)} priority",
             f"<b>{html_text(client.name)}</b>, {html_text(client.postcode)}",
             f"Reason: {html_text(reason or 'not given')}"]
    return '<div class="cr-popup">' + "<br>".join(lines) + "</div>"


def _duplicate_popup(day: Day, rota: Rota, a: str, b: str, reason: str) -> str:
    outcomes = {o.visit_id: o for o in rota.outcomes}
    parts = []
    for visit_id in (a, b):
        visit = day.visit_by_id[visit_id]
        o = outcomes.get(visit_id)
        provider = (o.provider_id if o and o.provider_id else visit.provider_id) or "no provider"
        when = (f"{format_hhmm(o.start_s)}" if o is not None and o.start_s is not None
                else f"window {format_hhmm(visit.window_start_s)}")
        who = ", ".join(day.worker_by_id[w].name for w in (o.workers if o else ())
                        if w in day.worker_by_id)
        parts.append(f"{html_text(visit_id)}: {html_text(provider)} at {when}"
                     + (f" ({html_text(who)})" if who else ""))
    clients = {day.visit_by_id[v].client_id for v in (a, b)}
    names = "; ".join(f"{html_text(day.client_by_id[c].name)}, {html_text(day.client_by_id[c].postcode)}"
                      for c in sorted(clients))
    return ('<div class="cr-popup"><b>Possible duplicate visits</b><br>'
            f"{names}<br>" + "<br>".join(parts)
            + (f"<br><i>{html_text(reason)}</i>" if reason else "") + "</div>")


def _legend_html(day: Day, rota: Rota, *, area: str | None, workers: int, visits: int,
                 unplaced: int, duplicates: int, on_roads: bool, crowded: bool = False) -> str:
    title = f"Rota for {day.date:%A} {day.date.day} {day.date:%B %Y}"
    summary = f"<b>{html_text(title)}</b>" + (f" &middot; {html_text(area)}" if area else "")
    lines = [f"{workers} workers, {visits} visits placed, {unplaced} unplaced"
             + (f", {duplicates} possible duplicates" if duplicates else ""),
             '<span class="sym" style="display:inline-block;width:22px;border-top:4px solid '
             '#1f77b4"></span>a worker\'s round' + (" (along the roads)" if on_roads else
                                                    " (straight lines: estimated travel)"),
             '<span class="sym cr-home" style="border-color:#1f77b4;width:16px;height:16px;'
             'line-height:11px">H</span>worker\'s home '
             '<span class="sym cr-stop" style="border-color:#1f77b4;width:18px;height:18px;'
             'line-height:13px">1</span>visit in order']
    if unplaced:
        lines.append('<span class="sym cr-unplaced" style="width:14px;height:14px;margin:0 8px '
                     '0 3px"></span>unplaced visit')
    if duplicates:
        lines.append('<span class="sym cr-duplicate" style="width:18px;height:18px;border-width:'
                     '2px"></span>possible duplicate visits')
    if crowded:
        lines.append("Zoom in to see homes and visit numbers")
    lines.append("<i>Confidential: personal data</i>")
    return f"<details open><summary>{summary}</summary>" + "<br>".join(lines) + "</details>"


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
        Only this area: its workers' rounds (a worker belongs to the area most of their
        visits are in), and its unplaced and duplicate visits. Default: every area, one
        layer each.
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

    Bind, Legend, ZoomDetail = _element_classes()
    check_rota_inputs(day, rota)
    if paths is None:
        paths = shift_paths(day, rota, travel)
    colours = _worker_colours(rota)
    areas_of_workers = worker_areas(day, rota)
    by_worker: dict[str, list[PlannedShift]] = defaultdict(list)
    for sh in sorted(rota.shifts, key=lambda s: (s.worker_id, s.shift_start_s)):
        if sh.stops and (area is None or areas_of_workers.get(sh.worker_id) == area):
            by_worker[sh.worker_id].append(sh)
    unplaced = [o for o in rota.unplaced
                if area is None or day.client_by_id[day.visit_by_id[o.visit_id].client_id].area == area]
    pairs = [(a, b, why) for a, b, why in _duplicate_pairs(duplicates, day)
             if area is None or day.client_by_id[day.visit_by_id[a].client_id].area == area]

    points: list[LatLon] = []
    for worker_id, shifts in by_worker.items():
        for sh in shifts:
            points.extend(paths[(worker_id, sh.shift)].line)
    points += [(day.client_by_id[day.visit_by_id[o.visit_id].client_id].lat,
                day.client_by_id[day.visit_by_id[o.visit_id].client_id].lon) for o in unplaced]
    if not points:
        points = [(c.lat, c.lon) for c in day.clients if area is None or c.area == area] or \
            [(w.home_lat, w.home_lon) for w in day.workers]
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]

    fmap = folium.Map(location=[(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2],
                      zoom_start=12, tiles=None, control_scale=True, zoom_snap=0.5)
    # Everything the page needs is inlined below: no CDN requests at all.
    fmap.default_js = []
    fmap.default_css = []
    js, css = _leaflet_assets()
    root = fmap.get_root()
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
    # Keep the bottom strip clear: the legend sits there.
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]],
                    padding_top_left=(30, 30), padding_bottom_right=(30, 140), max_zoom=16)

    groups: dict[str, object] = {}

    def group(area_name: str):
        if area_name not in groups:
            # Leaflet's layer control shows names as HTML: escape them.
            groups[area_name] = folium.FeatureGroup(name=html_text(area_name), show=True)
        return groups[area_name]

    for worker_id, shifts in by_worker.items():
        worker = day.worker_by_id[worker_id]
        colour = colours[worker_id]
        target = group(areas_of_workers[worker_id])
        label = f"{html_text(worker.name)} ({html_text(worker_id)})"
        lines = [[list(p) for p in paths[(worker_id, sh.shift)].line] for sh in shifts]
        # One Leaflet polyline per worker (split shifts are parts of it): one round, one line.
        line = folium.PolyLine(lines, color=colour, weight=4, opacity=0.8,
                               className="cr-route")
        line.add_child(Bind(_worker_popup(day, worker_id, shifts)))
        line.add_child(Bind(label, method="bindTooltip", options={"sticky": True}))
        line.add_to(target)
        home = folium.Marker([worker.home_lat, worker.home_lon], icon=folium.DivIcon(
            html=f'<div class="cr-home" style="border-color:{colour}">H</div>',
            icon_size=(18, 18), icon_anchor=(9, 9), class_name="cr-icon"))
        home.add_child(Bind(_worker_popup(day, worker_id, shifts)))
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
            marker = folium.Marker([client.lat, client.lon], icon=folium.DivIcon(
                html=f'<div class="cr-stop" style="border-color:{colour};width:{width}px">'
                     f'{text}</div>',
                icon_size=(width, 20), icon_anchor=(width // 2, 10), class_name="cr-icon"),
                z_index_offset=1000)  # numbers above homes and rings
            marker.add_child(Bind("<hr>".join(_stop_popup(day, stop, n, label)
                                              for n, stop in numbered)))
            marker.add_to(target)
    for o in unplaced:
        client = day.client_by_id[day.visit_by_id[o.visit_id].client_id]
        marker = folium.Marker([client.lat, client.lon], icon=folium.DivIcon(
            html='<div class="cr-unplaced"><span>!</span></div>', icon_size=(20, 20),
            icon_anchor=(10, 10), class_name="cr-icon"), z_index_offset=1500)
        marker.add_child(Bind(_unplaced_popup(day, o.visit_id, o.reason)))
        marker.add_to(group(client.area))
    for a, b, why in pairs:
        # Both homes are ringed when the pair is two clients of one household.
        for client_id in dict.fromkeys(day.visit_by_id[v].client_id for v in (a, b)):
            client = day.client_by_id[client_id]
            marker = folium.Marker([client.lat, client.lon], icon=folium.DivIcon(
                html='<div class="cr-duplicate"></div>', icon_size=(34, 34),
                icon_anchor=(17, 17), class_name="cr-icon"))
            marker.add_child(Bind(_duplicate_popup(day, rota, a, b, why)))
            marker.add_to(group(client.area))
    for name in sorted(groups):
        groups[name].add_to(fmap)
    if len(groups) > 1:
        folium.LayerControl(collapsed=len(groups) > 8).add_to(fmap)
    stop_markers = sum(len({s.client_id for sh in shifts for s in sh.stops})
                       for shifts in by_worker.values())
    crowded = stop_markers > CROWDED_MARKERS
    if crowded:
        fmap.add_child(ZoomDetail(DETAIL_ZOOM))
    on_roads = bool(by_worker) and all(paths[(w, sh.shift)].on_roads
                                       for w, shifts in by_worker.items() for sh in shifts)
    fmap.add_child(Legend(_legend_html(
        day, rota, area=area, workers=len(by_worker),
        visits=len({s.visit_id for shifts in by_worker.values() for sh in shifts
                    for s in sh.stops}),
        unplaced=len(unplaced), duplicates=len(pairs), on_roads=on_roads, crowded=crowded)))
    return fmap


# ---- static map ------------------------------------------------------------------------------

def _scale_bar(ax, width_m: float) -> None:
    target = width_m / 4
    miles = max([m for m in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20) if m * METRES_PER_MILE <= target]
                or [0.1])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    left, bottom = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    length = miles * METRES_PER_MILE
    ax.plot([left, left + length], [bottom, bottom], color="black", linewidth=3,
            solid_capstyle="butt", zorder=10)
    ax.text(left + length / 2, bottom + (y1 - y0) * 0.012, f"{miles:g} mile" +
            ("s" if miles > 1 else ""), ha="center", va="bottom", fontsize=8, zorder=10)


def plot_day(day: Day, rota: Rota, travel: DayTravel | None = None, *, duplicates=None,
             ax=None, paths=None):
    """A static map of a planned day drawn with geopandas and matplotlib.

    No client names or addresses are drawn, so the picture can go into reports.

    Parameters
    ----------
    day, rota : Day, Rota
    travel : DayTravel, optional
        With road networks, rounds follow the roads.
    duplicates : iterable, optional
        Duplicate pairs (see :func:`map_day`); marked with orange rings.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new 10 x 10 inch figure (not a pyplot one).
    paths : dict, optional
        Geometry from :func:`shift_paths`, to reuse it.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import geopandas as gpd
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patheffects import withStroke
    from shapely.geometry import LineString, MultiLineString, Point

    from ...geo import projected_crs

    if paths is None:
        paths = shift_paths(day, rota, travel)
    if ax is None:
        ax = Figure(figsize=(10, 10), dpi=110).add_subplot()
    colours = _worker_colours(rota)
    all_points = [p for path in paths.values() for p in path.line] + \
        [(c.lat, c.lon) for c in day.clients] + [(w.home_lat, w.home_lon) for w in day.workers]
    crs = projected_crs([p[1] for p in all_points], [p[0] for p in all_points])

    by_worker: dict[str, list] = defaultdict(list)
    for (worker_id, _), path in sorted(paths.items()):
        line = [(lon, lat) for lat, lon in path.line]
        if len(line) > 1:
            by_worker[worker_id].append(LineString(line))
    if by_worker:
        routes = gpd.GeoDataFrame(
            {"colour": [colours[w] for w in by_worker]},
            geometry=[MultiLineString(parts) for parts in by_worker.values()], crs="EPSG:4326"
        ).to_crs(crs)
        busy = len(by_worker) > 40  # thinner, lighter lines so a county day stays readable
        routes.plot(ax=ax, color=routes["colour"], linewidth=0.9 if busy else 1.6,
                    alpha=0.6 if busy else 0.85, zorder=2)
    stops = [Point(lon, lat) for path in paths.values() for lat, lon in path.stops]
    homes = [Point(path.home[1], path.home[0]) for path in paths.values()]
    if stops:
        gpd.GeoSeries(stops, crs="EPSG:4326").to_crs(crs).plot(
            ax=ax, color="white", edgecolor="black", markersize=16, linewidth=0.8, zorder=3)
        gpd.GeoSeries(homes, crs="EPSG:4326").to_crs(crs).plot(
            ax=ax, color="black", marker="s", markersize=14, zorder=3)
    unplaced = [day.client_by_id[day.visit_by_id[o.visit_id].client_id] for o in rota.unplaced]
    if unplaced:
        gpd.GeoSeries([Point(c.lon, c.lat) for c in unplaced], crs="EPSG:4326").to_crs(crs).plot(
            ax=ax, color="#cc0000", marker="X", markersize=60, edgecolor="white",
            linewidth=0.6, zorder=4)
    pairs = _duplicate_pairs(duplicates, day)
    if pairs:
        dup = [day.client_by_id[day.visit_by_id[a].client_id] for a, _, _ in pairs]
        gpd.GeoSeries([Point(c.lon, c.lat) for c in dup], crs="EPSG:4326").to_crs(crs).plot(
            ax=ax, facecolor="none", edgecolor="#e68a00", marker="o", markersize=200,
            linewidth=2, zorder=4)

    # Area names at the middle of their clients: place names only, no personal data.
    by_area: dict[str, list] = defaultdict(list)
    for c in day.clients:
        by_area[c.area].append(Point(c.lon, c.lat))
    if len(by_area) > 1:
        for name, pts in by_area.items():
            centre = gpd.GeoSeries(pts, crs="EPSG:4326").to_crs(crs).union_all().centroid
            ax.annotate(name.replace("$", r"\$"), (centre.x, centre.y), fontsize=11,
                        ha="center", va="center", color="#333333", fontweight="bold", zorder=6,
                        path_effects=[withStroke(linewidth=3.5, foreground="white")])

    # Room around the data for the scale bar and the labels, and a square-ish frame.
    extent = gpd.GeoSeries([Point(lon, lat) for lat, lon in all_points],
                           crs="EPSG:4326").to_crs(crs).total_bounds
    x0, y0, x1, y1 = (float(v) for v in extent)
    pad = max(x1 - x0, y1 - y0, 1000.0) * 0.08
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - 1.5 * pad, y1 + pad)  # a little more below, for the scale bar
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    xs = ax.get_xlim()
    _scale_bar(ax, xs[1] - xs[0])
    placed = len(rota.scheduled)
    ax.set_title(f"Rota for {day.date:%A} {day.date.day} {day.date:%B %Y}: {len(by_worker)} "
                 f"workers, {placed} visits placed, {len(rota.unplaced)} unplaced", fontsize=12)
    handles = [Line2D([], [], color=PALETTE[0], linewidth=2, label="a worker's round"),
               Line2D([], [], color="black", marker="s", linestyle="", markersize=5,
                      label="worker's home"),
               Line2D([], [], markerfacecolor="white", markeredgecolor="black", marker="o",
                      linestyle="", markersize=6, label="visit")]
    if unplaced:
        handles.append(Line2D([], [], color="#cc0000", marker="X", linestyle="", markersize=8,
                              label="unplaced visit"))
    if pairs:
        handles.append(Line2D([], [], markerfacecolor="none", markeredgecolor="#e68a00",
                              marker="o", linestyle="", markersize=11, markeredgewidth=2,
                              label="possible duplicate"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
              fontsize=8, frameon=False)
    on_roads = bool(paths) and all(p.on_roads for p in paths.values())
    ax.annotate(("Rounds along the roads; roads " + OSM_ATTRIBUTION) if on_roads else
                "Straight lines between stops (estimated travel)", (1, 0),
                xycoords="axes fraction", ha="right", va="bottom", fontsize=7, color="#555555")
    return ax


# ---- files -----------------------------------------------------------------------------------

def write_maps(day: Day, rota: Rota, travel: DayTravel | None, out_dir: str | Path, *,
               duplicates=None, per_area: bool = True, tiles: bool = True) -> list[Path]:
    """Write ``map.html`` and ``map.png`` for a planned day, and ``map_<area>.html`` per area.

    Parameters
    ----------
    day, rota : Day, Rota
    travel : DayTravel or None
        With road networks, rounds follow the roads; otherwise straight segments.
    out_dir : str or Path
        Created if missing.
    duplicates : iterable, optional
        Duplicate pairs to mark (see :func:`map_day`); maps work without them.
    per_area : bool, default True
        Also write one map per area (only when the day has more than one area).
    tiles : bool, default True
        OpenStreetMap background tiles.

    Returns
    -------
    list of Path
        The files written.
    """
    check_rota_inputs(day, rota)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = shift_paths(day, rota, travel)
    written = []
    target = out_dir / "map.html"
    map_day(day, rota, travel, duplicates=duplicates, tiles=tiles, paths=paths).save(str(target))
    written.append(target)

    ax = plot_day(day, rota, travel, duplicates=duplicates, paths=paths)
    target = out_dir / "map.png"
    ax.figure.savefig(target, bbox_inches="tight")
    written.append(target)

    areas = sorted({c.area for c in day.clients})
    if per_area and len(areas) > 1:
        used: set[str] = set()
        for area in areas:
            slug = area_slug(area)
            while slug in used:
                slug += "_"
            used.add(slug)
            target = out_dir / f"map_{slug}.html"
            map_day(day, rota, travel, duplicates=duplicates, area=area, tiles=tiles,
                    paths=paths).save(str(target))
            written.append(target)
    return written
