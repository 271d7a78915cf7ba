"""The report's map, drawn on the server as SVG from the stored outlines (PostGIS ST_AsSVG)."""

import math

from django.db import connection

from settlements.areas.selectors import MEASURES

WIDTH = 640  # SVG user units; the page scales it
RAMP = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]  # the web map's ColorBrewer Reds


def _paths(areas) -> list[tuple[int, str, str]]:
    """(id, P-code, SVG path) of each area's outline: ST_AsSVG writes y as -latitude."""
    sql, params = areas.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT a.id, a.pcode, ST_AsSVG(a.boundary, 0, 3) FROM settlements_adminarea a
                WHERE a.id IN ({sql}) AND a.boundary IS NOT NULL ORDER BY a.pcode""",  # noqa: S608 (Django's SQL)
            params,
        )
        return cursor.fetchall()


def _extent(areas) -> tuple[float, float, float, float]:
    sql, params = areas.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
                FROM (SELECT ST_Extent(boundary) AS e FROM settlements_adminarea WHERE id IN ({sql})) x""",  # noqa: S608
            params,
        )
        return cursor.fetchone()


def classes(values: list[float]) -> list[float]:
    """Upper bounds of up to five equal classes from 1 to the largest value (as the web map)."""
    top = max(values, default=0)
    if not top:
        return []
    bounds = []
    for i in range(len(RAMP)):
        bound = -(-top * (i + 1) // len(RAMP))  # ceiling
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return bounds


def colour(value, bounds: list[float]) -> str:
    if not value or not bounds:
        return "none"
    index = next((i for i, bound in enumerate(bounds) if value <= bound), len(bounds) - 1)
    return RAMP[len(RAMP) - len(bounds) + index]


def area_map(outline_areas, shaded, figures: dict, measure: str, points) -> dict:
    """An SVG map: `shaded` areas filled by `figures[pcode][measure]`, the `outline_areas` drawn over
    them, and `points` (settlements) as dots. Returns the SVG's parts for the template."""
    west, south, east, north = _extent(outline_areas)
    pad = max(east - west, north - south) * 0.03
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    # A degree of longitude is shorter than one of latitude by cos(latitude): so it looks right.
    height = WIDTH * (north - south) / ((east - west) * math.cos(math.radians((north + south) / 2)))
    scale_x, scale_y = WIDTH / (east - west), height / (north - south)
    shaded_paths = [(pcode, path, figures.get(pcode, {}).get(measure) or 0) for _, pcode, path in _paths(shaded)]
    bounds = classes([value for _, _, value in shaded_paths])
    fills = [{"pcode": pcode, "d": path, "fill": colour(value, bounds)} for pcode, path, value in shaded_paths]
    outlines = [{"pcode": pcode, "d": path} for _, pcode, path in _paths(outline_areas)]
    dots = [
        {"x": round((point.x - west) * scale_x, 1), "y": round((north - point.y) * scale_y, 1)}
        for point in points.values_list("location", flat=True)
    ]
    legend = []
    low = 1
    for i, bound in enumerate(bounds):
        legend.append({"colour": RAMP[len(RAMP) - len(bounds) + i], "low": low, "high": bound})
        low = bound + 1
    return {
        "width": WIDTH,
        "height": round(height, 1),
        # The paths are in degrees with y = -latitude: one transform puts them on the page.
        "transform": f"scale({scale_x:.4f} {scale_y:.4f}) translate({-west:.5f} {north:.5f})",
        "stroke": round(1 / scale_x, 5),
        "fills": fills,
        "outlines": outlines,
        "dots": dots,
        "legend": legend,
        "measure": MEASURES[measure],
    }
