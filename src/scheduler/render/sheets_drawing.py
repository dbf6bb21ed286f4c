"""The route sketch of a run sheet: a small black-and-white map drawn with reportlab."""

from __future__ import annotations

import math

from ..units import METRES_PER_MILE
from .paths import OSM_ATTRIBUTION
from .sheets_content import LatLon, WorkerSheet


def route_drawing(sheet: WorkerSheet, *, width: float, height: float, font: str = "Helvetica",
                  bold_font: str = "Helvetica-Bold"):
    """A small black-and-white map of a worker's day as a reportlab ``Drawing``.

    Straight segments (or the roads' shapes when known) between numbered stops; ``H`` is
    home; the first shift with visits is a solid line, the next dashed, later ones dotted.
    ``width``/``height`` in points.
    """
    from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, strokeColor=colors.black, strokeWidth=0.6,
                     fillColor=colors.white))
    points = [p for path in sheet.paths for p in path.line]
    lat0 = sum(p[0] for p in points) / len(points)
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_540.0
    xs = [p[1] * kx for p in points]
    ys = [p[0] * ky for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 400.0)  # at least 400 m across
    pad = 14.0
    scale = min((width - 2 * pad) / max(max(xs) - min(xs), span * 0.2),
                (height - 2 * pad - 8) / max(max(ys) - min(ys), span * 0.2))
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2

    def xy(p: LatLon) -> tuple[float, float]:
        return (width / 2 + (p[1] * kx - cx) * scale, height / 2 + 4 + (p[0] * ky - cy) * scale)

    def inside(x: float, y: float) -> bool:
        return 1 <= x <= width - 1 and 1 <= y <= height - 1

    grey = colors.Color(0.78, 0.78, 0.78)
    for a, b in sheet.background_roads:
        (x1, y1), (x2, y2) = xy(a), xy(b)
        if inside(x1, y1) and inside(x2, y2):
            drawing.add(Line(x1, y1, x2, y2, strokeColor=grey, strokeWidth=0.45))
    dashes = [None, [4, 2.5], [1.2, 2]]
    for k, path in enumerate(sheet.paths):
        coords = [c for p in path.line for c in xy(p)]
        drawing.add(PolyLine(coords, strokeColor=colors.black, strokeWidth=1.3,
                             strokeDashArray=dashes[min(k, 2)], strokeLineJoin=1))
    # Stops at the same home share one label ("2,5"): a client with two visits in a round.
    labels: dict[tuple[float, float], list[str]] = {}
    seq = 0
    for path in sheet.paths:
        for p in path.stops:
            seq += 1
            labels.setdefault((round(p[0], 5), round(p[1], 5)), []).append(str(seq))
    home = xy(sheet.paths[0].home)
    drawing.add(Rect(home[0] - 5, home[1] - 5, 10, 10, fillColor=colors.black,
                     strokeColor=colors.black))
    drawing.add(String(home[0], home[1] - 3, "H", fontName=bold_font, fontSize=7.5,
                       fillColor=colors.white, textAnchor="middle"))
    for (lat, lon), numbers in labels.items():
        x, y = xy((lat, lon))
        text = ",".join(numbers)
        half = max(5.5, 2.3 * len(text) + 1.5)
        drawing.add(Rect(x - half, y - 5.5, 2 * half, 11, rx=5.5, ry=5.5,
                         fillColor=colors.white, strokeColor=colors.black, strokeWidth=0.9))
        drawing.add(String(x, y - 2.6, text, fontName=bold_font, fontSize=7,
                           fillColor=colors.black, textAnchor="middle"))
    _scale_bar(drawing, scale, width, font)
    drawing.add(String(width - 4, height - 9, "N ↑", fontName=font, fontSize=7,
                       fillColor=colors.black, textAnchor="end"))
    if sheet.on_roads or sheet.background_roads:
        drawing.add(String(width - 4, 4, OSM_ATTRIBUTION, fontName=font, fontSize=5.5,
                           fillColor=colors.black, textAnchor="end"))
    return drawing


def _scale_bar(drawing, scale: float, width: float, font: str) -> None:
    """A scale bar in miles at the bottom left; ``scale`` in points per metre."""
    from reportlab.graphics.shapes import Line, Rect, String
    from reportlab.lib import colors

    metres_per_pt = 1 / scale
    bar_miles = max([m for m in (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)
                     if m * METRES_PER_MILE / metres_per_pt <= width * 0.3] or [0.05])
    bar = bar_miles * METRES_PER_MILE / metres_per_pt
    drawing.add(Rect(4, 3, bar + 36, 10, fillColor=colors.white, strokeColor=None))
    drawing.add(Line(6, 6, 6 + bar, 6, strokeColor=colors.black, strokeWidth=2))
    drawing.add(String(9 + bar, 4, f"{bar_miles:g} mi", fontName=font, fontSize=6.5,
                       fillColor=colors.black))
