"""Approximate outlines for the areas whose official boundary is not available offline.

OCHA's sub-district (admin3) polygons are not shipped, and the 2015 district file predates
Qadmous (SY1006). AidTrack draws them from what it has: every community gets the Voronoi cell
of its point (the land nearer to it than to any other community), clipped to the official
district outline the point lies in; a sub-district is the union of its communities' cells, and
a district without an official outline the union of its sub-districts, cut out of the official
district that held it. The result is written to the gazetteer folder, and `load_gazetteer`
loads it marked approximate, so the map can say so.
"""

import json
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction

from settlements.models import AdminArea

SIMPLIFY_DEGREES = 0.002  # about 200 m: cells are straight lines, the clipped edges are simplified already
PRECISION = 4  # decimals written (about 10 m)

SUB_DISTRICT_CELLS = """
    WITH pieces AS (
        SELECT s.sub_district_id AS area,
               CASE WHEN ST_CoveredBy(c.cell, clip.outline) THEN c.cell
                    ELSE ST_Intersection(c.cell, clip.outline) END AS piece
        FROM settlements_settlement s
        JOIN drawing_cells c ON ST_Intersects(c.cell, s.location)
        CROSS JOIN LATERAL (
            SELECT COALESCE(
                (SELECT d.outline FROM drawing_districts d WHERE ST_Intersects(d.outline, s.location) LIMIT 1),
                (SELECT g.boundary FROM settlements_adminarea g WHERE g.id = s.governorate_id)
            ) AS outline
        ) clip
        WHERE s.sub_district_id IS NOT NULL AND NOT s.unverified
    )
    SELECT a.pcode, ST_Multi(ST_CollectionExtract(ST_SimplifyPreserveTopology(ST_Union(piece), %s), 3))
    FROM pieces JOIN settlements_adminarea a ON a.id = pieces.area
    GROUP BY a.pcode
    ORDER BY a.pcode
"""


def _multipolygon(geom) -> MultiPolygon | None:
    """Only the polygons of `geom`, as one MultiPolygon (None when nothing is left)."""
    if geom.geom_type == "Polygon":
        return MultiPolygon(geom, srid=4326)
    polygons = [part for part in geom if part.geom_type == "Polygon"]
    return MultiPolygon(*polygons, srid=4326) if polygons else None


def sub_district_outlines(districts: dict[str, MultiPolygon]) -> dict[str, MultiPolygon]:
    """Sub-district P-code -> its communities' cells clipped to the official `districts`."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE drawing_districts (outline geometry(MultiPolygon, 4326)) ON COMMIT DROP")
        cursor.executemany(
            "INSERT INTO drawing_districts VALUES (ST_GeomFromEWKB(%s))", [(bytes(o.ewkb),) for o in districts.values()]
        )
        cursor.execute("CREATE INDEX ON drawing_districts USING gist (outline)")
        cursor.execute(
            """CREATE TEMP TABLE drawing_cells ON COMMIT DROP AS
               SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(location)))).geom AS cell
               FROM settlements_settlement WHERE sub_district_id IS NOT NULL AND NOT unverified"""
        )
        cursor.execute("CREATE INDEX ON drawing_cells USING gist (cell)")
        cursor.execute(SUB_DISTRICT_CELLS, [SIMPLIFY_DEGREES])
        return {pcode: GEOSGeometry(outline, srid=4326) for pcode, outline in cursor.fetchall()}


def draw_areas(official: dict[str, MultiPolygon]) -> dict[str, MultiPolygon]:
    """P-code -> approximate outline of every sub-district with communities, of every district the
    official outlines lack, and of the official districts those were cut out of."""
    districts = AdminArea.objects.filter(level=AdminArea.Level.DISTRICT)
    district_pcodes = set(districts.values_list("pcode", flat=True))
    official_districts = {pcode: outline for pcode, outline in official.items() if pcode in district_pcodes}
    drawn = sub_district_outlines(official_districts)
    parents = dict(AdminArea.objects.filter(level=AdminArea.Level.SUB_DISTRICT).values_list("pcode", "parent__pcode"))
    for district in districts.exclude(pcode__in=official_districts).order_by("pcode"):
        parts = [outline for pcode, outline in drawn.items() if parents.get(pcode) == district.pcode]
        if not parts:
            continue
        outline = _multipolygon(MultiPolygon(*[p for part in parts for p in part], srid=4326).unary_union)
        drawn[district.pcode] = outline
        for pcode, official_outline in official_districts.items():
            overlap = official_outline.intersection(outline).area if official_outline.intersects(outline) else 0
            if overlap > 0.01 * outline.area:
                rest = _multipolygon(official_outline.difference(outline))
                if rest is not None:
                    drawn[pcode] = rest
    return dict(sorted(drawn.items()))


ON_GRID = """
    SELECT ST_AsGeoJSON(
        ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_ReducePrecision(ST_GeomFromEWKB(%s), %s)), 3)), %s
    )
"""


def on_grid(outline: MultiPolygon) -> dict:
    """The outline as GeoJSON with PRECISION decimals, still valid (snapped by PostGIS, not rounded)."""
    with connection.cursor() as cursor:
        cursor.execute(ON_GRID, [bytes(outline.ewkb), 10**-PRECISION, PRECISION])
        return json.loads(cursor.fetchone()[0])


def write_outlines(outlines: dict[str, MultiPolygon], path: Path) -> None:
    """A GeoJSON file of the outlines, one feature per P-code (what `load_gazetteer` reads)."""
    levels = dict(AdminArea.objects.filter(pcode__in=outlines).values_list("pcode", "level"))
    features = [
        {"type": "Feature", "properties": {"pcode": pcode, "level": levels[pcode]}, "geometry": on_grid(outline)}
        for pcode, outline in outlines.items()
    ]
    collection = {
        "type": "FeatureCollection",
        "name": "AidTrack approximate district and sub-district outlines (drawn from OCHA 2015 communities)",
        "features": features,
    }
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
